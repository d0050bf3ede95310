"""
Scaling features before clustering
==================================

k-means measures Euclidean distance, so a feature in large units outweighs the others. Here
800 customers are described by their annual income in dollars (no group structure at all) and
their visits per month (occasional customers about 3, regular ones about 12). On the raw
features, the income's spread of thousands of dollars swamps the visits' spread of a few
units, and :class:`kmix.KMeans` splits the customers by income; after standardising each
feature (zero mean, unit variance) it finds the two groups.

Look at the adjusted Rand index (ARI) against the true groups before and after scaling, and at
the cluster centers. Standardising gives every feature the same weight, noise included; it is a
choice of units, not a guarantee.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import adjusted_rand_score

import kmix

rng = np.random.default_rng(0)
groups = np.repeat([0, 1], 400)
income = rng.normal(50_000, 12_000, size=800)  # dollars
visits = np.array([3.0, 12.0])[groups] + rng.normal(0, 1.5, size=800)  # per month
X = np.column_stack([income, visits])

# %%
# k-means on the raw features
# ---------------------------
# The income's variance (1.4e8 dollars²) is millions of times the visits' (about 22): the
# inertia is almost all income, and the best split of it is at the median income.
raw = kmix.KMeans(n_clusters=2, random_state=0).fit(X)
print(f"raw features:          ARI {adjusted_rand_score(groups, raw.labels_):.3f}")
print(f"  centers (income, visits): {np.round(raw.cluster_centers_, 1).tolist()}")

# %%
# k-means on standardised features
# --------------------------------
# Subtracting each feature's mean and dividing by its standard deviation (what
# scikit-learn's ``StandardScaler`` does) puts both features in units of their own spread;
# now the gap between the two groups of visits is the largest structure in the data.
mean, std = X.mean(axis=0), X.std(axis=0)
X_scaled = (X - mean) / std
scaled = kmix.KMeans(n_clusters=2, random_state=0).fit(X_scaled)
centers = scaled.cluster_centers_ * std + mean  # back in dollars and visits
print(f"standardised features: ARI {adjusted_rand_score(groups, scaled.labels_):.3f}")
print(f"  centers (income, visits): {np.round(centers, 1).tolist()}")

# %%
# The two clusterings
# -------------------
# Both left panels show the data in its own units (the axes are scaled to fit, which hides how
# flat the data really is to k-means); the right panel shows the standardised data with equal
# axes, the picture k-means sees after scaling.
fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), layout="constrained")
for ax, labels, c, title in [
    (axes[0], raw.labels_, raw.cluster_centers_, "KMeans on raw features"),
    (axes[1], scaled.labels_, centers, "KMeans on standardised features"),
]:
    ax.scatter(X[:, 0], X[:, 1], c=labels, s=6, cmap="coolwarm")
    ax.scatter(*c.T, marker="X", s=150, c="gold", edgecolor="k")
    ax.set_xlabel("annual income ($)")
    ax.set_ylabel("visits per month")
    ax.set_title(f"{title}\nARI {adjusted_rand_score(groups, labels):.2f}")
axes[2].scatter(X_scaled[:, 0], X_scaled[:, 1], c=scaled.labels_, s=6, cmap="coolwarm")
axes[2].set_aspect("equal")
axes[2].set_xlabel("income (standardised)")
axes[2].set_ylabel("visits (standardised)")
axes[2].set_title("what k-means sees after scaling")
plt.show()
