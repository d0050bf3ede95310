"""
k-means++ against random seeds, and the effect of ``n_init``
============================================================

Lloyd's iterations only find a local minimum of the inertia, and which one depends on the
initial centers. This example repeats scikit-learn's "empirical evaluation of the impact of
k-means initialization" with :class:`kmix.KMeans`: on a board of 4 × 4 tight clusters it fits
k-means from many ``random_state`` values, with ``init="k-means++"`` and ``init="random"`` and
with ``n_init`` restarts (the best of which is kept).

Look at the spread of the final inertia: k-means++ seeds are spread out over the board, so one
run usually (not always) finds the best solution and a few restarts make it certain, while
random seeds often put two centers in one cluster and leave another cluster to share a center,
which even ten restarts do not always repair.
"""

import matplotlib.pyplot as plt
import numpy as np

import kmix

# %%
# The board
# ---------
# 16 clusters of 100 points on a 4 × 4 grid, each with standard deviation 0.15 (the grid step
# is 1).
rng = np.random.default_rng(0)
grid = np.array([[i, j] for i in range(4) for j in range(4)], dtype=float)
X = np.vstack([c + 0.15 * rng.standard_normal((100, 2)) for c in grid])
n_clusters = len(grid)

# %%
# Seeds
# -----
# :func:`kmix.kmeans_plusplus` draws each new seed with probability proportional to its
# squared distance to the seeds already drawn; ``init="random"`` takes ``n_clusters`` rows
# uniformly. Then Lloyd's iterations run from each set of seeds (one run, ``n_init=1``).
seeds_pp, _ = kmix.kmeans_plusplus(X, n_clusters, random_state=3)
seeds_random = X[np.random.RandomState(3).choice(len(X), n_clusters, replace=False)]

fig, axes = plt.subplots(1, 2, figsize=(10, 5), layout="constrained")
for ax, name, seeds in zip(axes, ["k-means++", "random"], [seeds_pp, seeds_random]):
    km = kmix.KMeans(n_clusters, init=seeds, n_init=1).fit(X)
    ax.scatter(X[:, 0], X[:, 1], c=km.labels_, s=4, cmap="tab20")
    ax.scatter(*seeds.T, marker="o", s=60, facecolor="none", edgecolor="k", label="seeds")
    ax.scatter(*km.cluster_centers_.T, marker="X", s=90, c="red", edgecolor="k", label="final centers")
    ax.set_title(f"{name} seeds: inertia {km.inertia_:.1f}")
    ax.set_aspect("equal")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2)

# %%
# Inertia over many random states
# -------------------------------
# For each ``init`` and ``n_init``, 20 fits with ``random_state`` 0 to 19. The best inertia
# seen anywhere is (almost surely) the global minimum: one center per cluster.
n_init_values = [1, 2, 5, 10]
seeds = range(20)
inertia = {
    init: np.array(
        [
            [kmix.KMeans(n_clusters, init=init, n_init=n_init, random_state=s).fit(X).inertia_ for s in seeds]
            for n_init in n_init_values
        ]
    )
    for init in ["k-means++", "random"]
}
best = min(v.min() for v in inertia.values())

print(f"best inertia found: {best:.2f}")
print(f"{'init':<10} {'n_init':>6} {'mean':>8} {'std':>7} {'runs at the best':>17}")
for init, values in inertia.items():
    for n_init, row in zip(n_init_values, values):
        at_best = np.mean(np.isclose(row, best, rtol=1e-6))
        print(f"{init:<10} {n_init:>6} {row.mean():8.2f} {row.std():7.2f} {at_best:17.0%}")

fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
jitter = np.random.RandomState(0).uniform(-0.12, 0.12, len(seeds))
for shift, (init, values), color in zip([-0.2, 0.2], inertia.items(), ["tab:blue", "tab:orange"]):
    x = np.arange(len(n_init_values)) + shift
    for xi, row in zip(x, values):
        ax.scatter(xi + jitter, row, s=12, color=color, alpha=0.6)
    ax.plot(x, values.mean(axis=1), marker="_", markersize=20, color=color, label=f"{init} (mean)")
ax.axhline(best, color="k", linestyle=":", label="best inertia")
ax.set_xticks(range(len(n_init_values)), [str(n) for n in n_init_values])
ax.set_xlabel("n_init")
ax.set_ylabel("final inertia")
ax.set_title("KMeans on the 4 × 4 board: 20 random states per setting")
ax.legend()
plt.show()
