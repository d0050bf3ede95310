"""
Choosing the number of clusters
===============================

Four classic ways to choose k, run with :func:`kmix.select_k` on 500 points drawn from four
Gaussian blobs, one far from the other three (the data of scikit-learn's silhouette example):
the elbow of the inertia curve, the mean silhouette, the BIC (and AIC) of Gaussian mixtures of
each covariance type, and the gap statistic. ``select_k(...).plot()`` draws each curve with the
chosen k marked.

Look at where they disagree: the mean silhouette prefers k = 2 (the far blob against the
other three), while the elbow, BIC and the gap statistic find the four blobs. The silhouette
plots at the end show what the k = 2 score hides.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

import kmix
from kmix.metrics import silhouette_samples, silhouette_score

X, y = make_blobs(n_samples=500, centers=4, cluster_std=1.0, center_box=(-10.0, 10.0), random_state=1)

# %%
# Elbow, silhouette and gap statistic
# -----------------------------------
# ``select_k`` fits a :class:`kmix.KMeans` per k (seeded by ``random_state``). The elbow is the
# point of the inertia curve farthest below the chord joining its two ends, so it depends on
# the range of k: from k = 2 it is at 4, from k = 1 (where the inertia is far larger) at 3.
# The gap statistic compares log W_k with its mean over 10 uniform reference sets drawn over the
# data's bounding box, and takes the smallest k whose gap is within one standard error of the
# next one's; it needs k = 1 in the range to be able to say "no clusters".
elbow = kmix.select_k(X, range(2, 11), method="elbow", random_state=0)
elbow_from_1 = kmix.select_k(X, range(1, 11), method="elbow", random_state=0)
silhouette = kmix.select_k(X, range(2, 11), method="silhouette", random_state=0)
gap = kmix.select_k(X, range(1, 11), method="gap", random_state=0, n_refs=10)
print(f"elbow (k = 2..10): {elbow.best_k}   elbow (k = 1..10): {elbow_from_1.best_k}")
print(f"silhouette: {silhouette.best_k}   mean silhouette per k: {np.round(silhouette.scores['silhouette'], 3)}")
print(f"gap statistic: {gap.best_k}   gap per k: {np.round(gap.scores['gap'], 2)}")

# %%
# BIC and AIC of Gaussian mixtures
# --------------------------------
# With ``method="bic"`` the estimator is a :class:`kmix.GaussianMixture`; its BIC (and AIC) is
# computed for every k. Here the four covariance types agree on k = 4; the richer types pay
# for their extra parameters beyond it.
cov_types = ["spherical", "diag", "tied", "full"]
bic = {
    ct: kmix.select_k(X, range(1, 9), method="bic", estimator=kmix.GaussianMixture(covariance_type=ct, random_state=0))
    for ct in cov_types
}
for ct, res in bic.items():
    print(
        f"GaussianMixture {ct:<9}: lowest BIC at k = {res.best_k}, "
        f"lowest AIC at k = {res.k_values[int(np.argmin(res.scores['aic']))]}"
    )

fig, axes = plt.subplots(2, 2, figsize=(11, 8), layout="constrained")
elbow.plot(axes[0, 0])
silhouette.plot(axes[0, 1])
gap.plot(axes[1, 0])
ax = axes[1, 1]
for ct, res in bic.items():
    (line,) = ax.plot(res.k_values, res.scores["bic"], marker="o", label=f"BIC {ct}")
    ax.plot(res.k_values, res.scores["aic"], linestyle=":", color=line.get_color())
ax.set_xlabel("k")
ax.set_ylabel("BIC (solid), AIC (dotted)")
ax.set_title("GaussianMixture: BIC and AIC")
ax.legend()

# %%
# Silhouette plots for k = 2 and k = 4
# ------------------------------------
# :func:`kmix.metrics.silhouette_samples` gives each point's silhouette s = (b − a) / max(a, b),
# a its mean distance to its own cluster and b to the nearest other cluster; sorted within each
# cluster, they show how well each cluster stands apart. The silhouette rewards separation, and
# the far blob is so far away that merging the three close blobs scores higher than splitting
# them. The k = 2 plot shows one cluster three times the size of the other; at k = 4 the
# clusters have equal sizes and similar profiles. The silhouette alone cannot tell that the big
# cluster is three blobs: the elbow, BIC and gap, which ask what one more cluster buys, can.
fig, axes = plt.subplots(2, 2, figsize=(11, 8), layout="constrained")
for row, k in zip(axes, [2, 4]):
    labels = kmix.KMeans(n_clusters=k, random_state=0).fit_predict(X)
    values = silhouette_samples(X, labels)
    mean = silhouette_score(X, labels)
    print(
        f"k = {k}: mean silhouette {mean:.3f}, cluster sizes {np.bincount(labels).tolist()}, "
        f"per-cluster means {[round(float(values[labels == c].mean()), 2) for c in range(k)]}"
    )
    colors = plt.cm.viridis(np.linspace(0, 1, k))
    low = 10
    for c in range(k):
        v = np.sort(values[labels == c])
        row[0].fill_betweenx(np.arange(low, low + len(v)), 0, v, color=colors[c])
        row[0].text(-0.05, low + len(v) / 2, str(c))
        low += len(v) + 10
    row[0].axvline(mean, color="red", linestyle="--", label=f"mean {mean:.2f}")
    row[0].set_yticks([])
    row[0].set_xlabel("silhouette")
    row[0].set_title(f"silhouette plot, k = {k}")
    row[0].legend(loc="lower right")
    row[1].scatter(X[:, 0], X[:, 1], c=colors[labels], s=10)
    row[1].set_title(f"KMeans, k = {k}")
plt.show()
