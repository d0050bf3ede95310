"""
Clustering embeddings by direction
==================================

Text and image embeddings are compared by cosine similarity: their direction carries the
meaning, their length often reflects something else (word frequency, document length, model
confidence). This example generates 3,000 embedding-like vectors in 128 dimensions around six
random directions (a von Mises-Fisher-like spread: each vector is its topic's direction plus
Gaussian noise, normalised; the cosine to the topic's direction averages about 0.64), then gives
them lengths spread over a factor of ten or more, as unnormalised embeddings have.

Look at the adjusted Rand index (ARI) against the true topics: :class:`kmix.KMeans` on the raw
vectors mostly groups them by length (the short vectors all sit near the origin, so they form
one cluster), while :class:`kmix.SphericalKMeans`, which scales every row to unit length and
maximises cosine similarity, finds the six topics. The 2-D PCA projections show the same.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import adjusted_rand_score

import kmix

# %%
# Embedding-like vectors
# ----------------------
rng = np.random.default_rng(0)
n, d, k = 3000, 128, 6
directions = rng.standard_normal((k, d))
directions /= np.linalg.norm(directions, axis=1, keepdims=True)
topic = rng.integers(0, k, n)
U = directions[topic] + 1.2 * rng.standard_normal((n, d)) / np.sqrt(d)
U /= np.linalg.norm(U, axis=1, keepdims=True)  # unit vectors around each direction
lengths = rng.lognormal(mean=0.0, sigma=0.7, size=n)  # 90% of the lengths within a factor 10
X = U * lengths[:, None]
print(f"mean cosine to the topic's direction: {np.mean(np.sum(U * directions[topic], axis=1)):.2f}")
print(
    f"vector lengths: 5th percentile {np.percentile(lengths, 5):.2f}, 95th percentile {np.percentile(lengths, 95):.2f}"
)

# %%
# k-means against spherical k-means
# ---------------------------------
# k-means on the raw vectors measures Euclidean distance, in which two short vectors are close
# whatever their directions. Normalising the rows first removes the lengths, and then k-means
# and spherical k-means agree (for unit vectors ‖x − c‖² = 2 − 2·cos when ‖c‖ = 1).
km = kmix.KMeans(n_clusters=k, random_state=0).fit(X)
km_unit = kmix.KMeans(n_clusters=k, random_state=0).fit(U)
sk = kmix.SphericalKMeans(n_clusters=k, random_state=0).fit(X)
print(
    f"KMeans on the raw vectors:        ARI {adjusted_rand_score(topic, km.labels_):.3f}, "
    f"cluster sizes {np.bincount(km.labels_).tolist()}"
)
print(f"KMeans on the normalised vectors: ARI {adjusted_rand_score(topic, km_unit.labels_):.3f}")
print(
    f"SphericalKMeans on the raw ones:  ARI {adjusted_rand_score(topic, sk.labels_):.3f}, "
    f"cluster sizes {np.bincount(sk.labels_).tolist()}"
)
print("median length per KMeans cluster:", [round(float(np.median(lengths[km.labels_ == c])), 2) for c in range(k)])

# %%
# A 2-D PCA projection
# --------------------
# The unit vectors projected on their first two principal components (computed with numpy's
# SVD), coloured by topic and by each model's clusters; the last panel shows the length of
# each vector against its k-means cluster.
centered = U - U.mean(axis=0)
_, _, Vt = np.linalg.svd(centered, full_matrices=False)
P = centered @ Vt[:2].T

fig, axes = plt.subplots(1, 4, figsize=(16, 4), layout="constrained")
for ax, labels, title in [
    (axes[0], topic, "true topics"),
    (axes[1], km.labels_, f"KMeans (raw): ARI {adjusted_rand_score(topic, km.labels_):.2f}"),
    (axes[2], sk.labels_, f"SphericalKMeans: ARI {adjusted_rand_score(topic, sk.labels_):.2f}"),
]:
    ax.scatter(P[:, 0], P[:, 1], c=labels, s=4, cmap="tab10", vmin=0, vmax=9)
    ax.set_title(title)
    ax.set_xlabel("PC 1")
    ax.set_aspect("equal")
axes[0].set_ylabel("PC 2")
jitter = np.random.RandomState(0).uniform(-0.3, 0.3, n)
axes[3].scatter(km.labels_ + jitter, lengths, c=km.labels_, s=3, cmap="tab10", vmin=0, vmax=9)
axes[3].set_yscale("log")
axes[3].set_xlabel("KMeans cluster")
axes[3].set_ylabel("vector length")
axes[3].set_title("KMeans clusters by length")
plt.show()
