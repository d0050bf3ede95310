"""
Clustering text: TF-IDF and spherical k-means
=============================================

Documents are compared by direction: two texts on one subject use the same words in similar
proportions, whatever their length. This example generates 1,500 short documents from five
topic vocabularies mixed with common words (no download), turns them into a sparse TF-IDF
matrix with scikit-learn's ``TfidfVectorizer``, and clusters that CSR matrix as it is (never
densified) with :class:`kmix.SphericalKMeans`, which maximises the cosine similarity between
documents and unit-length centers, and with :class:`kmix.KMeans` for comparison.

Look at the top terms of each cluster (the largest weights of its center), which name the
topics, and at the adjusted Rand index (ARI) against the topics that generated the documents.
TF-IDF rows have unit length, so k-means is close to spherical k-means here and both recover the
topics. A single seeding merges two topics and splits another in about one run in five
(``random_state`` 0 to 39 here), hence ``n_init=5``, which keeps the best of five.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.cluster import contingency_matrix

import kmix
from kmix.metrics import silhouette_score

# %%
# A generated corpus
# ------------------
# Each document has 6 to 40 words; each word comes from its topic's vocabulary with
# probability 0.35 and otherwise from a list of common words, some of which ("team",
# "season", "market", "price", "study") also belong to a topic.
rng = np.random.default_rng(0)
topics = {
    "sport": "match goal team coach league score season player referee stadium cup fans win transfer striker",
    "space": "orbit rocket planet launch moon star telescope mission astronaut galaxy satellite gravity comet mars",
    "cooking": "recipe bake flour sugar oven taste dinner spice butter sauce garlic roast dough chef salt",
    "finance": "market stock bank rate inflation investor price bond profit shares trade fund economy tax loan",
    "health": "doctor patient hospital vaccine disease treatment nurse symptoms virus clinic drug health study care",
}
common = (
    "people year time day week new good first last long great little own other old right big high "
    "different small large next early young important few public bad same able report news world "
    "city country game home plan team study price market season"
).split()
vocabularies = [words.split() for words in topics.values()]
docs, y = [], []
for t, vocabulary in enumerate(vocabularies):
    for _ in range(300):
        n_words = rng.integers(6, 41)
        from_topic = rng.random(n_words) < 0.35
        words = np.where(from_topic, rng.choice(vocabulary, n_words), rng.choice(common, n_words))
        docs.append(" ".join(words))
        y.append(t)
y = np.array(y)

vectorizer = TfidfVectorizer()
X = vectorizer.fit_transform(docs)  # scipy.sparse CSR, one unit-length row per document
terms = vectorizer.get_feature_names_out()
print(
    f"TF-IDF matrix: {X.shape[0]} documents × {X.shape[1]} terms, {X.nnz} nonzeros "
    f"({X.nnz / np.prod(X.shape):.1%} dense)"
)

# %%
# Spherical k-means and k-means on the sparse matrix
# --------------------------------------------------
# Both take the CSR matrix directly. For spherical k-means the natural silhouette is the
# cosine one, which :func:`kmix.metrics.silhouette_score` computes on sparse rows.
models = {
    "SphericalKMeans": kmix.SphericalKMeans(n_clusters=5, n_init=5, random_state=0).fit(X),
    "KMeans": kmix.KMeans(n_clusters=5, n_init=5, random_state=0).fit(X),
}
for name, model in models.items():
    print(
        f"\n{name}: ARI {adjusted_rand_score(y, model.labels_):.3f}, "
        f"cosine silhouette {silhouette_score(X, model.labels_, metric='cosine'):.3f}"
    )
    for c, center in enumerate(model.cluster_centers_):
        top = terms[np.argsort(center)[::-1][:6]]
        print(f"  cluster {c} ({np.sum(model.labels_ == c)} docs): {', '.join(top)}")
same = adjusted_rand_score(models["SphericalKMeans"].labels_, models["KMeans"].labels_)
print(f"\nARI between the two clusterings: {same:.3f}")

# %%
# Top terms and the topics found
# ------------------------------
# Left: the six heaviest terms of each spherical k-means center. Right: how the documents of
# each topic spread over the clusters of each model (the clusters put in the order of the
# topics they match best).
sk = models["SphericalKMeans"]
fig, axes = plt.subplots(1, 5, figsize=(14, 3), layout="constrained")
for c, ax in enumerate(axes):
    order = np.argsort(sk.cluster_centers_[c])[::-1][:6]
    ax.barh(terms[order][::-1], sk.cluster_centers_[c][order][::-1], color=f"C{c}")
    ax.set_title(f"cluster {c}")
fig.suptitle("SphericalKMeans: heaviest terms of each center")

fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
for ax, (name, model) in zip(axes, models.items()):
    table = contingency_matrix(y, model.labels_)
    _, cols = linear_sum_assignment(-table)
    ax.imshow(table[:, cols], cmap="Blues")
    for (i, j), count in np.ndenumerate(table[:, cols]):
        ax.text(j, i, count, ha="center", va="center", color="white" if count > 150 else "black")
    ax.set_yticks(range(5), list(topics))
    ax.set_xticks(range(5), [str(c) for c in cols])
    ax.set_xlabel("cluster")
    ax.set_title(f"{name}: ARI {adjusted_rand_score(y, model.labels_):.3f}")
plt.show()
