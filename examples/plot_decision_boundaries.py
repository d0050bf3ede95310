"""
Decision boundaries of k-means and a Gaussian mixture
=====================================================

Once fitted, a clustering model assigns every point of the plane to a cluster. This example
predicts the cluster of each point of a fine grid with :class:`kmix.KMeans` and
:class:`kmix.GaussianMixture` and colours the regions, on three stretched blobs (scikit-learn's
"demonstration of k-means assumptions" data, sheared by a linear map).

Look at the shapes of the boundaries: k-means' regions are the Voronoi cells of its centers
(each boundary is the perpendicular bisector of two centers), so it cuts across the stretched
blobs; the mixture's boundaries follow the components' covariances (quadrics in general; here
the three blobs share one shape, so they are nearly straight lines along the blobs). The last
panel shows how narrow the band is where the mixture is unsure.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import kmix

X, y = make_blobs(n_samples=1500, random_state=170)
X = X @ np.array([[0.60834549, -0.63667341], [-0.40887718, 0.85253229]])

km = kmix.KMeans(n_clusters=3, random_state=0).fit(X)
gm = kmix.GaussianMixture(n_components=3, covariance_type="full", random_state=0).fit(X)
print(f"KMeans:          ARI {adjusted_rand_score(y, km.labels_):.3f}")
print(f"GaussianMixture: ARI {adjusted_rand_score(y, gm.predict(X)):.3f}")

# %%
# Predicting on a grid
# --------------------
# ``predict`` takes any points, not only those the model was fitted on: a 400 × 400 grid
# covering the data gives the regions, and ``predict_proba`` the mixture's responsibilities.
# (A grid of 160,000 points takes a few milliseconds to predict.)
pad = 1.0
xx, yy = np.meshgrid(
    np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 400),
    np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 400),
)
grid = np.column_stack([xx.ravel(), yy.ravel()])
regions_km = km.predict(grid).reshape(xx.shape)
regions_gm = gm.predict(grid).reshape(xx.shape)
confidence = gm.predict_proba(grid).max(axis=1).reshape(xx.shape)

# %%
# The regions
# -----------
# ``contourf`` with one level per cluster fills each region; the points are coloured by the
# blob they were drawn from, so a point in a region of another colour is misassigned.
levels = np.arange(-0.5, 3)
fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), sharex=True, sharey=True, layout="constrained")
for ax, regions, title, centers in [
    (axes[0], regions_km, "KMeans: Voronoi cells", km.cluster_centers_),
    (axes[1], regions_gm, "GaussianMixture (full)", gm.means_),
]:
    ax.contourf(xx, yy, regions, levels=levels, cmap="Pastel2", alpha=0.9)
    ax.contour(xx, yy, regions, levels=levels, colors="k", linewidths=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=4, cmap="Dark2", vmin=0, vmax=7)
    ax.scatter(*centers.T, marker="X", s=120, c="red", edgecolor="k")
    ax.set_title(title)

cs = axes[2].contourf(xx, yy, confidence, levels=np.linspace(1 / 3, 1, 11), cmap="magma")
axes[2].scatter(X[:, 0], X[:, 1], c="white", s=1, alpha=0.4)
axes[2].set_title("GaussianMixture: largest responsibility")
fig.colorbar(cs, ax=axes[2], shrink=0.9, format="%.2f")
for ax in axes:
    ax.set_aspect("equal")
plt.show()
