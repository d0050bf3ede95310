"""AgglomerativeClustering(connectivity=...) and kmix.linkage(..., connectivity=...) (issue 25)
against scikit-learn's structured tree builders on generated data and graphs: k-nearest-neighbour
graphs (as matrices, callables and dense arrays), image grids, graphs of several components."""

import pickle
import warnings

import numpy as np
import pytest

import kmix

sklearn = pytest.importorskip("sklearn")
sp = pytest.importorskip("scipy.sparse")
from scipy.cluster import hierarchy  # noqa: E402
from sklearn.cluster import AgglomerativeClustering as SkAgglomerative  # noqa: E402
from sklearn.feature_extraction.image import grid_to_graph  # noqa: E402
from sklearn.neighbors import kneighbors_graph  # noqa: E402

LINKAGES = ("ward", "average", "complete", "single")


def blobs(n, d, seed, k=6):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-6, 6, size=(k, d))
    return centers[rng.integers(0, k, size=n)] + rng.standard_normal((n, d))


def fit_both(X, **params):
    """(scikit-learn's fit, kmix's fit, their warnings' messages)."""
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        sk = SkAgglomerative(**params).fit(X)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        km = kmix.AgglomerativeClustering(**params).fit(X)
    return sk, km, [str(w.message) for w in theirs], [str(w.message) for w in ours]


def assert_same(sk, km):
    np.testing.assert_array_equal(km.labels_, sk.labels_)
    np.testing.assert_array_equal(km.children_, sk.children_)
    assert km.n_clusters_ == sk.n_clusters_
    assert km.n_leaves_ == sk.n_leaves_
    assert km.n_connected_components_ == sk.n_connected_components_
    assert hasattr(km, "distances_") == hasattr(sk, "distances_")
    if hasattr(sk, "distances_"):
        np.testing.assert_allclose(km.distances_, sk.distances_, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("linkage", LINKAGES)
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
@pytest.mark.parametrize("graph", ["knn", "callable", "dense"])
def test_knn_graphs_equal_sklearn(linkage, metric, graph):
    if linkage == "ward" and metric != "euclidean":
        pytest.skip("ward is Euclidean")
    X = blobs(300, 4, seed=hash((linkage, metric, graph)) % 1000)
    G = kneighbors_graph(X, 6, include_self=False)
    conn = {"knn": G, "callable": (lambda X: kneighbors_graph(X, 4, include_self=True)), "dense": G.toarray()}[graph]
    for params in (
        dict(n_clusters=5),
        dict(n_clusters=None, distance_threshold=2.0),
        dict(n_clusters=5, compute_full_tree=False, compute_distances=True),
        dict(n_clusters=120),
    ):  # "auto": stops early from max(100, 0.02·n) clusters
        sk, km, w_sk, w_km = fit_both(X, linkage=linkage, metric=metric, connectivity=conn, **params)
        assert_same(sk, km)
        assert w_km == w_sk


@pytest.mark.parametrize("linkage", LINKAGES)
def test_image_grid_equals_sklearn(linkage):
    rng = np.random.default_rng(3)
    img = rng.random((24, 30)) + np.linspace(0, 3, 30)[None, :]  # a gradient plus noise
    X = img.reshape(-1, 1)
    G = grid_to_graph(24, 30)
    for params in (
        dict(n_clusters=12),
        dict(n_clusters=12, compute_full_tree=False),
        dict(n_clusters=None, distance_threshold=0.5),
    ):
        sk, km, _, _ = fit_both(X, linkage=linkage, connectivity=G, compute_distances=True, **params)
        assert_same(sk, km)
        # The constraint holds: every cluster is connected in the grid (4-neighbours).
        labels = km.labels_.reshape(24, 30)
        for c in np.unique(labels):
            mask = labels == c
            seen = np.zeros_like(mask)
            stack = [tuple(np.argwhere(mask)[0])]
            while stack:
                i, j = stack.pop()
                if not (0 <= i < 24 and 0 <= j < 30) or seen[i, j] or not mask[i, j]:
                    continue
                seen[i, j] = True
                stack += [(i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)]
            assert seen.sum() == mask.sum()


@pytest.mark.parametrize("linkage", LINKAGES)
def test_several_components_completed_as_sklearn(linkage):
    X = blobs(240, 3, seed=7)
    # Three blocks of rows with edges only inside each block.
    G = kneighbors_graph(X, 5).tolil()
    block = np.arange(240) // 80
    rows, cols = G.nonzero()
    G[rows[block[rows] != block[cols]], cols[block[rows] != block[cols]]] = 0
    G = G.tocsr()
    G.eliminate_zeros()
    sk, km, w_sk, w_km = fit_both(X, n_clusters=4, linkage=linkage, connectivity=G, compute_distances=True)
    assert_same(sk, km)
    assert km.n_connected_components_ >= 3
    assert any("connected components" in w for w in w_km) and w_km == w_sk


def test_precomputed_metric_with_connectivity_equals_sklearn():
    X = blobs(150, 3, seed=11)
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    G = kneighbors_graph(X, 5)
    for linkage in ("average", "complete", "single"):
        sk, km, _, _ = fit_both(
            D, n_clusters=3, metric="precomputed", linkage=linkage, connectivity=G, compute_distances=True
        )
        assert_same(sk, km)


def test_diagonal_and_weights_of_the_graph_do_not_matter():
    X = blobs(200, 3, seed=5)
    G = kneighbors_graph(X, 5)
    W = G.multiply(np.random.default_rng(0).uniform(0.5, 3.0, size=G.shape)).tocsr()  # other positive values
    L = (G + sp.eye(200)).tocsr()  # self loops
    base = kmix.AgglomerativeClustering(n_clusters=4, connectivity=G, compute_distances=True).fit(X)
    for other in (W, L, G.T.tocsr(), G.tocoo(), G.tolil()):
        est = kmix.AgglomerativeClustering(n_clusters=4, connectivity=other, compute_distances=True).fit(X)
        np.testing.assert_array_equal(est.children_, base.children_)
        np.testing.assert_array_equal(est.labels_, base.labels_)


@pytest.mark.parametrize("method", LINKAGES)
def test_linkage_with_connectivity_is_scipy_z(method):
    X = blobs(260, 4, seed=2)
    G = kneighbors_graph(X, 6)
    Z = kmix.linkage(X, method, connectivity=G)
    assert Z.shape == (259, 4) and hierarchy.is_valid_linkage(Z)
    sk = SkAgglomerative(
        n_clusters=None, distance_threshold=0.0, linkage=method, connectivity=G, compute_distances=True
    ).fit(X)
    np.testing.assert_array_equal(Z[:, :2], np.sort(sk.children_, axis=1))
    np.testing.assert_allclose(Z[:, 2], sk.distances_, rtol=1e-12, atol=1e-12)
    # sizes: the leaves under each node, counted from the tree
    size = np.ones(2 * 260 - 1)
    for s, (a, b) in enumerate(Z[:, :2].astype(int)):
        size[260 + s] = size[a] + size[b]
    np.testing.assert_array_equal(Z[:, 3], size[260:])
    # scipy's tools take it: fcluster into 5 clusters, the dendrogram's leaves
    assert hierarchy.fcluster(Z, 5, criterion="maxclust").max() == 5
    assert sorted(hierarchy.dendrogram(Z, no_plot=True)["leaves"]) == list(range(260))
    # The cut into 5 clusters equals AgglomerativeClustering's labels (up to their names).
    ours = kmix.AgglomerativeClustering(n_clusters=5, linkage=method, connectivity=G).fit(X).labels_
    cut = hierarchy.cut_tree(Z, n_clusters=5).ravel()
    assert sklearn.metrics.adjusted_rand_score(ours, cut) == 1.0


def test_linkage_with_connectivity_optimal_ordering_and_several_components():
    X = blobs(120, 3, seed=4)
    G = kneighbors_graph(X, 2)
    with pytest.warns(UserWarning, match="connected components"):
        Z = kmix.linkage(X, "average", connectivity=G, optimal_ordering=True)
    assert hierarchy.is_valid_linkage(Z)
    with pytest.warns(UserWarning, match="connected components"):
        plain = kmix.linkage(X, "average", connectivity=G)
    np.testing.assert_allclose(np.sort(Z[:, 2]), np.sort(plain[:, 2]))


def test_bad_connectivity_inputs():
    X = blobs(50, 3, seed=1)
    G = kneighbors_graph(X, 4)
    with pytest.raises(ValueError, match="Wrong shape for connectivity matrix"):
        kmix.AgglomerativeClustering(connectivity=G[:40, :40]).fit(X)
    with pytest.raises(ValueError, match="Wrong shape for connectivity matrix"):
        kmix.AgglomerativeClustering(connectivity=np.ones((50, 49))).fit(X)
    with pytest.raises(ValueError, match="Wrong shape for connectivity matrix"):
        kmix.AgglomerativeClustering(connectivity=lambda X: np.ones((3, 3))).fit(X)
    neg = G.copy()
    neg.data[0] = -1.0
    with pytest.raises(ValueError, match="connectivity has negative entries"):
        kmix.AgglomerativeClustering(connectivity=neg).fit(X)
    nan = G.toarray()
    nan[0, 1] = np.nan
    with pytest.raises(ValueError, match="connectivity holds NaN"):
        kmix.AgglomerativeClustering(connectivity=nan).fit(X)
    with pytest.raises(TypeError, match="connectivity"):
        kmix.AgglomerativeClustering(connectivity="knn").fit(X)
    with pytest.raises(ValueError, match="Ward can only work with euclidean"):
        kmix.AgglomerativeClustering(connectivity=G, metric="manhattan").fit(X)
    with pytest.raises(ValueError, match="method='weighted' with connectivity"):
        kmix.linkage(X, "weighted", connectivity=G)
    with pytest.raises(ValueError, match="connectivity needs observations"):
        kmix.linkage(np.arange(1.0, 11.0), "average", connectivity=np.ones((5, 5)))
    with pytest.raises(ValueError, match="with connectivity: use"):
        kmix.linkage(X, "average", metric="chebyshev", connectivity=G)
    Xz = X.copy()
    Xz[3] = 0.0
    with pytest.raises(ValueError, match="zero vectors"):
        kmix.AgglomerativeClustering(connectivity=G, linkage="average", metric="cosine").fit(Xz)
    # a dense matrix where a sparse one is expected is accepted, as scikit-learn does
    dense = kmix.AgglomerativeClustering(n_clusters=3, connectivity=G.toarray()).fit(X)
    assert dense.n_clusters_ == 3


@pytest.mark.filterwarnings("ignore:the number of connected components")
def test_deterministic_threads_pickle_and_model_files(tmp_path):
    X = blobs(400, 5, seed=9)
    G = kneighbors_graph(X, 5)
    a = kmix.AgglomerativeClustering(n_clusters=150, connectivity=G, n_threads=1).fit(X)  # a partial tree
    b = kmix.AgglomerativeClustering(n_clusters=150, connectivity=G, n_threads=2).fit(X)
    assert a.children_.shape == (400 - 150, 2)
    np.testing.assert_array_equal(a.children_, b.children_)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.labels_, a.labels_)
    # A sparse matrix (or callable) parameter cannot go into a model file: save says so; without
    # it the fitted tree (here a partial one) saves and loads.
    with pytest.raises(TypeError, match="connectivity"):
        a.save(tmp_path / "a.npz")
    a.set_params(connectivity=None)
    a.save(tmp_path / "a.npz")
    back = kmix.load(tmp_path / "a.npz")
    np.testing.assert_array_equal(back.children_, a.children_)
    np.testing.assert_array_equal(back.labels_, a.labels_)
    # A dense connectivity array is a plain array: it saves with the model.
    d = kmix.AgglomerativeClustering(n_clusters=3, connectivity=G.toarray()).fit(X)
    d.save(tmp_path / "d.npz")
    np.testing.assert_array_equal(kmix.load(tmp_path / "d.npz").connectivity, G.toarray())


@pytest.mark.filterwarnings("ignore:the number of connected components")
def test_memory_caches_the_tree(tmp_path):
    joblib = pytest.importorskip("joblib")
    X = blobs(300, 3, seed=8)
    G = kneighbors_graph(X, 5)
    plain = kmix.AgglomerativeClustering(n_clusters=4, connectivity=G).fit(X)
    for memory in (str(tmp_path / "cache"), joblib.Memory(tmp_path / "cache2", verbose=0)):
        first = kmix.AgglomerativeClustering(n_clusters=4, connectivity=G, memory=memory).fit(X)
        again = kmix.AgglomerativeClustering(n_clusters=4, connectivity=G, memory=memory).fit(X)
        np.testing.assert_array_equal(first.labels_, plain.labels_)
        np.testing.assert_array_equal(again.children_, plain.children_)
    assert any((tmp_path / "cache").rglob("output.pkl"))  # the tree was written to the cache
    with pytest.raises(ValueError, match="memory"):
        kmix.AgglomerativeClustering(memory=3).fit(X)


def test_larger_graph_ward_and_average_match_sklearn():
    X = blobs(3000, 8, seed=12, k=20)
    G = kneighbors_graph(X, 10)
    for linkage in ("ward", "average"):
        sk, km, _, _ = fit_both(X, n_clusters=20, linkage=linkage, connectivity=G, compute_distances=True)
        assert_same(sk, km)
