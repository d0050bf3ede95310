"""
Three Gaussian blobs, four ways
===============================

Three 2-D Gaussian blobs of different shapes, clustered by :class:`kmix.KMeans`,
:class:`kmix.SoftKMeans`, :class:`kmix.GaussianMixture` and Ward's agglomerative clustering
(:class:`kmix.AgglomerativeClustering`, :func:`kmix.linkage`).

Look at how the soft assignments of soft k-means sharpen as ``beta`` grows (and how, below a
critical ``beta``, all its centers fall onto the data's mean), at the ellipses that each
covariance type of the Gaussian mixture can draw, and at the long last branches of the Ward
dendrogram that say "three clusters".
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse
from scipy.cluster.hierarchy import dendrogram
from sklearn.metrics import adjusted_rand_score

import kmix

# sphinx_gallery_thumbnail_number = 3

# %%
# The data
# --------
# One round blob, one stretched along a diagonal, one tall and thin: 150 points each.
rng = np.random.default_rng(0)
means = np.array([[0.0, 0.0], [6.0, 1.0], [2.0, 6.0]])
covs = [np.eye(2), [[2.0, 1.2], [1.2, 1.0]], [[0.4, 0.0], [0.0, 2.0]]]
X = np.vstack([rng.multivariate_normal(m, c, size=150) for m, c in zip(means, covs)])
y = np.repeat([0, 1, 2], 150)

# %%
# k-means
# -------
# Lloyd's iterations from k-means++ seeds: each point goes to its nearest center.
km = kmix.KMeans(n_clusters=3, random_state=0).fit(X)
print(f"KMeans: inertia {km.inertia_:.1f} after {km.n_iter_} iterations, ARI {adjusted_rand_score(y, km.labels_):.3f}")

fig, ax = plt.subplots(figsize=(4.5, 4), layout="constrained")
ax.scatter(X[:, 0], X[:, 1], c=km.labels_, s=8, cmap="viridis")
ax.scatter(*km.cluster_centers_.T, marker="X", s=150, c="red", edgecolor="k")
ax.set_title("KMeans (k=3)")
ax.set_aspect("equal")

# %%
# Soft k-means: responsibilities sharpen with ``beta``
# ----------------------------------------------------
# Each point belongs to cluster k with responsibility proportional to exp(-beta·‖x − c_k‖²).
# With three clusters the three responsibilities of a point can be drawn directly as its red,
# green and blue levels: pure colours are confident points, mixed colours uncertain ones.
# ``beta`` has the units of 1 / distance². Below 1 / (2·λ), λ the largest variance of the data
# along any direction, the only stable solution puts every center on the mean of the data
# (the grey panel: deterministic annealing's first phase transition); at 5 the assignments are
# as hard as k-means'.
betas = [0.02, 0.1, 0.5, 5.0]
largest_variance = np.linalg.eigvalsh(np.cov(X.T, bias=True)).max()
print(f"critical beta 1 / (2·λ) = {1 / (2 * largest_variance):.3f}")
fig, axes = plt.subplots(1, len(betas), figsize=(13, 3.6), sharex=True, sharey=True, layout="constrained")
for ax, beta in zip(axes, betas):
    soft = kmix.SoftKMeans(n_clusters=3, beta=beta, random_state=0).fit(X)
    proba = soft.predict_proba(X)
    ax.scatter(X[:, 0], X[:, 1], c=proba, s=8)
    ax.scatter(*soft.cluster_centers_.T, marker="X", s=120, c="white", edgecolor="k")
    ax.set_title(f"beta = {beta:g}")
    ax.set_aspect("equal")
    print(
        f"SoftKMeans beta={beta:<5g}: mean largest responsibility {proba.max(axis=1).mean():.3f}, "
        f"points above 0.9: {np.mean(proba.max(axis=1) > 0.9):.0%}"
    )
fig.suptitle("SoftKMeans: responsibilities as RGB")


# %%
# Gaussian mixtures: the four covariance types
# --------------------------------------------
# ``spherical`` gives each component one variance (circles), ``diag`` one variance per axis
# (axis-aligned ellipses), ``tied`` one full covariance shared by all components (the same
# ellipse three times) and ``full`` a covariance of its own to each. The ellipses are drawn at
# 1 and 2 standard deviations. Only ``full`` can match all three shapes, and BIC (lower is
# better) prefers it despite its extra parameters.
def full_covariances(gm):
    """The (k, d, d) covariance matrices whatever the covariance type."""
    k, d = gm.means_.shape
    cov = gm.covariances_
    return {
        "full": lambda: cov,
        "tied": lambda: np.repeat(cov[None], k, axis=0),
        "diag": lambda: np.array([np.diag(c) for c in cov]),
        "spherical": lambda: np.array([v * np.eye(d) for v in cov]),
    }[gm.covariance_type]()


fig, axes = plt.subplots(1, 4, figsize=(13, 3.6), sharex=True, sharey=True, layout="constrained")
for ax, cov_type in zip(axes, ["spherical", "diag", "tied", "full"]):
    gm = kmix.GaussianMixture(n_components=3, covariance_type=cov_type, random_state=0).fit(X)
    labels = gm.predict(X)
    ax.scatter(X[:, 0], X[:, 1], c=labels, s=6, cmap="viridis")
    for mean, cov in zip(gm.means_, full_covariances(gm)):
        values, vectors = np.linalg.eigh(cov)
        angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1]))
        for n_std in (1, 2):
            w, h = 2 * n_std * np.sqrt(values[::-1])
            ax.add_patch(Ellipse(mean, w, h, angle=angle, fill=False, color="red", lw=1))
    ax.set_title(f"{cov_type}: BIC {gm.bic(X):.0f}")
    ax.set_aspect("equal")
    print(f"GaussianMixture {cov_type:<9}: BIC {gm.bic(X):7.1f}, ARI {adjusted_rand_score(y, labels):.3f}")

# %%
# Ward's agglomerative clustering
# -------------------------------
# :func:`kmix.linkage` returns scipy's linkage matrix, so scipy's ``dendrogram`` draws it (here
# only the last 20 merges). The three long vertical branches are the three blobs: cutting the
# tree anywhere between the heights of the last merges gives them, which is what
# ``AgglomerativeClustering(n_clusters=3, linkage="ward")`` does.
Z = kmix.linkage(X, method="ward")
ward = kmix.AgglomerativeClustering(n_clusters=3, linkage="ward").fit(X)
print(f"Ward: last three merge heights {np.round(Z[-3:, 2], 1)}, ARI {adjusted_rand_score(y, ward.labels_):.3f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
dendrogram(Z, truncate_mode="lastp", p=20, color_threshold=0.5 * (Z[-2, 2] + Z[-3, 2]), leaf_rotation=90, ax=ax1)
ax1.set_title("Ward dendrogram (last 20 merges)")
ax1.set_ylabel("merge height")
ax2.scatter(X[:, 0], X[:, 1], c=ward.labels_, s=8, cmap="viridis")
ax2.set_title("AgglomerativeClustering(linkage='ward')")
ax2.set_aspect("equal")
plt.show()
