"""
Two moons: where k-means fails and single linkage succeeds
==========================================================

k-means (and a Gaussian mixture, and Ward's method) looks for compact, convex clusters, so it
cannot separate two interleaved half circles. Single linkage merges the two closest points of
two clusters, so a cluster can be any shape as long as its points form a chain with no gap
wider than the gap between clusters.

Look at the adjusted Rand index (ARI, 1 for a perfect match with the two moons, about 0 for a
random split) of each method, and at the last panel: the same chaining that follows the moons
joins them as soon as a thin bridge of a few points connects them.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.metrics import adjusted_rand_score

import kmix

X, y = make_moons(n_samples=500, noise=0.06, random_state=0)

# %%
# Five clusterings into two clusters
# ----------------------------------
models = {
    "KMeans": kmix.KMeans(n_clusters=2, random_state=0),
    "GaussianMixture (full)": kmix.GaussianMixture(n_components=2, random_state=0),
    "Ward": kmix.AgglomerativeClustering(n_clusters=2, linkage="ward"),
    "average linkage": kmix.AgglomerativeClustering(n_clusters=2, linkage="average"),
    "single linkage": kmix.AgglomerativeClustering(n_clusters=2, linkage="single"),
}
labels = {name: model.fit_predict(X) for name, model in models.items()}
for name, lab in labels.items():
    print(f"{name:<23} ARI {adjusted_rand_score(y, lab):.3f}")

# %%
# Single linkage and its weakness: chaining
# -----------------------------------------
# Single linkage's tree is the minimum spanning tree of the points: cutting its longest edge
# gives the two clusters. The last merge height (the gap between the moons) is much larger
# than the one before it. Eight points laid between the tip of the upper moon and the
# lower moon close that gap, and the longest edge left is one to a stray point: the moons are
# merged and the stray point is the second "cluster".
Z = kmix.linkage(X, method="single")
print(f"single linkage, last three merge heights: {np.round(Z[-3:, 2], 3)}")
bridge = np.column_stack([np.full(8, 1.0), np.linspace(-0.05, -0.45, 8)])
X_bridge = np.vstack([X, bridge])
bridged = kmix.AgglomerativeClustering(n_clusters=2, linkage="single").fit_predict(X_bridge)
print(
    f"with a bridge of 8 points: cluster sizes {np.bincount(bridged).tolist()}, "
    f"ARI on the moons {adjusted_rand_score(y, bridged[: len(X)]):.3f}"
)

fig, axes = plt.subplots(2, 3, figsize=(13, 6), sharex=True, sharey=True, layout="constrained")
for ax, (name, lab) in zip(axes.flat, labels.items()):
    ax.scatter(X[:, 0], X[:, 1], c=lab, s=6, cmap="coolwarm")
    ax.set_title(f"{name}: ARI {adjusted_rand_score(y, lab):.2f}")
ax = axes.flat[-1]
ax.scatter(X_bridge[:, 0], X_bridge[:, 1], c=bridged, s=6, cmap="coolwarm")
ax.scatter(*bridge.T, s=40, facecolor="none", edgecolor="k", label="bridge")
ax.set_title("single linkage with a bridge")
ax.legend(loc="lower left")
for ax in axes.flat:
    ax.set_aspect("equal")
plt.show()
