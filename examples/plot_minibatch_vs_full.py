"""
Mini-batch k-means against full k-means
=======================================

:class:`kmix.MiniBatchKMeans` updates the centers from small random batches of rows instead of
the whole data set at every iteration, trading a little inertia for speed on large data. This
example clusters 200,000 2-D points from three overlapping blobs (scikit-learn's comparison of
``KMeans`` and ``MiniBatchKMeans``, scaled up) with both.

Look at the fit times, at the relative difference of the final inertias (small), and at where
the labels differ: only points near the boundaries between clusters, where the two slightly
different sets of centers disagree. On data this easy full k-means converges in a handful of
iterations, so mini-batch has little to gain and may even be the slower of the two; it pays
off when a full pass is expensive (more rows, more features) and many iterations are needed.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.datasets import make_blobs

import kmix

centers = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
X, _ = make_blobs(n_samples=200_000, centers=centers, cluster_std=0.7, random_state=0)

# %%
# Fitting both
# ------------
# Both start from k-means++ seeds. The mini-batch fit draws batches of 2,048 rows and stops
# when the smoothed batch inertia has not improved for 10 batches.
t0 = time.perf_counter()
km = kmix.KMeans(n_clusters=3, random_state=0).fit(X)
t_km = time.perf_counter() - t0
t0 = time.perf_counter()
mbk = kmix.MiniBatchKMeans(n_clusters=3, batch_size=2048, random_state=0).fit(X)
t_mbk = time.perf_counter() - t0
print(f"KMeans:          {t_km:.3f} s, {km.n_iter_} iterations, inertia {km.inertia_:.1f}")
print(
    f"MiniBatchKMeans: {t_mbk:.3f} s, {mbk.n_steps_} batches ({mbk.n_iter_} pass over the data), "
    f"inertia {mbk.inertia_:.1f}"
)
print(f"relative inertia difference: {(mbk.inertia_ - km.inertia_) / km.inertia_:.2e}")

# %%
# Which labels differ?
# --------------------
# Cluster numbers are arbitrary, so the mini-batch clusters are first matched to the full
# ones: the matching that minimises the total distance between paired centers.
cost = ((km.cluster_centers_[:, None, :] - mbk.cluster_centers_[None, :, :]) ** 2).sum(axis=2)
rows, cols = linear_sum_assignment(cost)  # full cluster rows[i] <-> mini-batch cluster cols[i]
to_full = np.empty(3, dtype=int)
to_full[cols] = rows
mbk_labels = to_full[mbk.labels_]
differ = km.labels_ != mbk_labels
print(f"labels that differ: {differ.sum()} of {len(X)} ({differ.mean():.3%})")
print(
    f"largest distance between matched centers: "
    f"{np.sqrt(cost[rows, cols].max()):.4f} (the blobs' standard deviation is 0.7)"
)

# %%
# The picture
# -----------
# 5,000 points drawn at random stand for the 200,000 in the first two panels; the third shows
# every point whose label differs.
show = np.random.RandomState(0).choice(len(X), 5000, replace=False)
colors = np.array(["tab:blue", "tab:orange", "tab:green"])
fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), sharex=True, sharey=True, layout="constrained")
for ax, labels, c, title in [
    (axes[0], km.labels_, km.cluster_centers_, f"KMeans ({t_km:.2f} s)"),
    (axes[1], mbk_labels, mbk.cluster_centers_[cols], f"MiniBatchKMeans ({t_mbk:.2f} s)"),
]:
    ax.scatter(X[show, 0], X[show, 1], c=colors[labels[show]], s=3)
    ax.scatter(*c.T, marker="X", s=150, c=colors, edgecolor="k")
    ax.set_title(title)
axes[2].scatter(X[show, 0], X[show, 1], c="lightgrey", s=3)
axes[2].scatter(X[differ, 0], X[differ, 1], c="magenta", s=3)
axes[2].set_title(f"{differ.sum()} labels differ")
for ax in axes:
    ax.set_aspect("equal")
plt.show()
