"""
A Dirichlet-process mixture finds the number of clusters
========================================================

A :class:`kmix.GaussianMixture` given ten components uses all ten, however many clusters the
data hold. :class:`kmix.BayesianGaussianMixture` with a Dirichlet-process prior on the weights
(the default, ``weight_concentration_prior_type="dirichlet_process"``) is given the same
upper bound of ten components, and the variational fit leaves the components the data do not
need with weights near zero.

Look at the bar plots of the fitted weights: four weights carry the mixture (the data are four
Gaussian blobs of 300, 200, 150 and 100 points), the other six are near zero. The second
figure shows what the concentration prior changes: the Dirichlet process finds four components
from a prior of 0.001 to one of 1000, while a finite Dirichlet prior with a large
concentration spreads the weight over all ten.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse
from sklearn.metrics import adjusted_rand_score

import kmix

rng = np.random.default_rng(1)
means = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 6.0], [6.0, 6.0]])
covs = [np.eye(2), [[2.0, 0.9], [0.9, 0.8]], [[0.5, 0.0], [0.0, 1.5]], [[1.0, -0.6], [-0.6, 1.0]]]
sizes = [300, 200, 150, 100]
X = np.vstack([rng.multivariate_normal(m, c, size=s) for m, c, s in zip(means, covs, sizes)])
y = np.repeat(np.arange(4), sizes)

# %%
# Ten components for four blobs
# -----------------------------
bgm = kmix.BayesianGaussianMixture(n_components=10, max_iter=500, random_state=0).fit(X)
gm = kmix.GaussianMixture(n_components=10, random_state=0).fit(X)
active = bgm.weights_ > 0.01
print(
    f"BayesianGaussianMixture: {active.sum()} components above weight 0.01, "
    f"weights {np.round(np.sort(bgm.weights_)[::-1], 3)}, ARI {adjusted_rand_score(y, bgm.predict(X)):.3f}"
)
print(f"GaussianMixture:         {np.sum(gm.weights_ > 0.01)} components above weight 0.01")

fig, axes = plt.subplots(1, 3, figsize=(14, 4), layout="constrained")
axes[0].scatter(X[:, 0], X[:, 1], c=bgm.predict(X), s=5, cmap="tab10", vmin=0, vmax=9)
for mean, cov, weight in zip(bgm.means_, bgm.covariances_, bgm.weights_):
    if weight > 0.01:  # the ellipse (2 standard deviations) of each component in use
        values, vectors = np.linalg.eigh(cov)
        angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1]))
        w, h = 4 * np.sqrt(values[::-1])
        axes[0].add_patch(Ellipse(mean, w, h, angle=angle, fill=False, color="k"))
axes[0].set_aspect("equal")
axes[0].set_title("BayesianGaussianMixture (10 components)")
for ax, model, name in [(axes[1], bgm, "BayesianGaussianMixture"), (axes[2], gm, "GaussianMixture")]:
    ax.bar(np.arange(1, 11), model.weights_, color=["C0" if w > 0.01 else "C7" for w in model.weights_])
    ax.axhline(0.01, color="tab:orange", linestyle=":", label="weight 0.01")
    ax.set_xticks(np.arange(1, 11))
    ax.set_xlabel("component")
    ax.set_ylabel("weight")
    ax.set_title(f"{name}: {np.sum(model.weights_ > 0.01)} weights above 0.01")
    ax.legend()

# %%
# The concentration prior
# -----------------------
# ``weight_concentration_prior`` (γ) says how many components the prior expects to be used:
# few for a small γ, many for a large one. A finite Dirichlet prior adds γ pseudo-points to
# every component: with γ = 1000, ten thousand pseudo-points against 750 real ones pull every
# weight towards 1/10, and the blobs are split. Under the Dirichlet process (stick breaking)
# each component takes a share of the weight the components before it left, and a component
# with no points gets almost none whatever γ: the data decide.
settings = [
    ("dirichlet_process", 0.001),
    ("dirichlet_process", 1000.0),
    ("dirichlet_distribution", 0.001),
    ("dirichlet_distribution", 1000.0),
]
fig, axes = plt.subplots(1, len(settings), figsize=(13, 3.2), sharey=True, layout="constrained")
for ax, (prior_type, gamma) in zip(axes, settings):
    model = kmix.BayesianGaussianMixture(
        n_components=10,
        weight_concentration_prior_type=prior_type,
        weight_concentration_prior=gamma,
        max_iter=500,
        random_state=0,
    ).fit(X)
    n_active = np.sum(model.weights_ > 0.01)
    print(
        f"{prior_type:<22} γ = {gamma:<7g}: {n_active} components above 0.01, "
        f"ARI {adjusted_rand_score(y, model.predict(X)):.3f}"
    )
    ax.bar(np.arange(1, 11), model.weights_)
    ax.set_xticks(np.arange(1, 11))
    ax.set_title(f"{prior_type.replace('_', ' ')}\nγ = {gamma:g}: {n_active} above 0.01", fontsize=10)
axes[0].set_ylabel("weight")

# %%
# The same count with ``select_k``
# --------------------------------
# ``kmix.select_k(X, method="bgmm")`` fits one Dirichlet-process mixture with ``max(k_range)``
# components and counts the weights above a threshold (0.01 by default); its plot shows the
# sorted weights against the threshold.
result = kmix.select_k(X, range(1, 11), method="bgmm", random_state=0)
print(f"select_k(method='bgmm'): best_k = {result.best_k}")
fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
result.plot(ax)
plt.show()
