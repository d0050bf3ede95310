"""kmix.metrics (silhouette, Calinski-Harabasz, Davies-Bouldin) against scikit-learn's metrics and
the silhouette formula written in numpy, on generated data: every metric scikit-learn's silhouette
takes for dense X (with its keyword arguments), callables and precomputed distances."""

import hashlib
import json
import sys
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm

import kmix
from kmix import metrics
from conftest import make_blobs, run

KS = [2, 3, 5, 8]


def scipy_version():
    import scipy

    return tuple(int(p) for p in scipy.__version__.split(".")[:2])


# ---- tolerances and helpers ------------------------------------------------------------------
def assert_sil_close(actual, expected, dtype):
    """Silhouette values lie in [-1, 1]: relative 1e-9 / 1e-4 plus a matching absolute floor for
    values near 0 (where a pure relative tolerance is meaningless)."""
    if np.dtype(dtype) == np.float64:
        np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def rtol_of(dtype):
    return 1e-9 if np.dtype(dtype) == np.float64 else 1e-4


def silhouette_formula(X, labels, rows=None):
    """The silhouette of the given rows, from its definition (float64, direct distances)."""
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
    out = np.empty(len(rows))
    for t, i in enumerate(rows):
        dist = np.sqrt(((X - X[i]) ** 2).sum(1))
        own = labels == labels[i]
        if own.sum() == 1:
            out[t] = 0.0
            continue
        a = dist[own].sum() / (own.sum() - 1)
        b = min(dist[labels == c].mean() for c in np.unique(labels) if c != labels[i])
        top = max(a, b)
        out[t] = 0.0 if top == 0 else (b - a) / top
    return out


def data(k, dtype=np.float64, n=200, d=3, seed=None):
    """Overlapping blobs (std 1.5 in a +-10 box), labels = the generating blob of each row."""
    X, labels, _ = make_blobs(n=n, d=d, k=k, seed=100 + k if seed is None else seed, std=1.5, dtype=dtype)
    assert len(np.unique(labels)) == k
    return X, labels


# ---- silhouette against scikit-learn ---------------------------------------------------------
@pytest.mark.parametrize("k", KS)
def test_silhouette_samples_matches_sklearn(k, dtype):
    X, labels = data(k, dtype)
    s = metrics.silhouette_samples(X, labels)
    assert s.dtype == np.float64 and s.shape == (X.shape[0],)
    expected = skm.silhouette_samples(X, labels)
    assert_sil_close(s, expected, dtype)
    # and against the definition, on the very same (possibly float32) values
    assert_sil_close(s[:40], silhouette_formula(X, labels, rows=np.arange(40)), np.float64)


@pytest.mark.parametrize("k", KS)
def test_silhouette_score_matches_sklearn(k, dtype):
    X, labels = data(k, dtype)
    score = metrics.silhouette_score(X, labels)
    assert isinstance(score, float)
    expected = skm.silhouette_score(X, labels)
    np.testing.assert_allclose(score, expected, rtol=rtol_of(dtype), atol=1e-12)
    np.testing.assert_allclose(score, metrics.silhouette_samples(X, labels).mean(), rtol=1e-12)


@pytest.mark.parametrize("k", [3, 6])
def test_silhouette_on_kmeans_labels(k, dtype):
    # Labels found by a clustering (the use in select_k), more features, more points.
    X, _ = data(k, dtype, n=400, d=5)
    labels = kmix.KMeans(k, random_state=0).fit(X).labels_
    assert_sil_close(metrics.silhouette_samples(X, labels), skm.silhouette_samples(X, labels), dtype)


@pytest.mark.parametrize("layout", ["C", "F", "rows_strided", "cols_strided", "list"])
def test_silhouette_memory_layouts(layout, dtype):
    X, labels = data(4, dtype, n=240, d=6)
    if layout == "F":
        Xin, lab = np.asfortranarray(X), labels
    elif layout == "rows_strided":
        Xin, lab = X[::2], labels[::2]
    elif layout == "cols_strided":
        Xin, lab = X[:, ::2], labels
    elif layout == "list":
        Xin, lab = X.tolist(), labels.tolist()
    else:
        Xin, lab = X, labels
    ref = np.ascontiguousarray(np.asarray(Xin, dtype=dtype if layout != "list" else np.float64))
    before = np.array(Xin, copy=True)
    s = metrics.silhouette_samples(Xin, lab)
    assert_sil_close(s, skm.silhouette_samples(ref, lab), dtype)
    # the same values as the contiguous copy, bit for bit
    np.testing.assert_array_equal(s, metrics.silhouette_samples(ref, lab))
    np.testing.assert_array_equal(np.asarray(Xin), before)  # X untouched
    np.testing.assert_allclose(
        metrics.calinski_harabasz_score(Xin, lab), skm.calinski_harabasz_score(ref, lab), rtol=rtol_of(dtype)
    )
    np.testing.assert_allclose(
        metrics.davies_bouldin_score(Xin, lab), skm.davies_bouldin_score(ref, lab), rtol=rtol_of(dtype)
    )


def test_integer_X_matches_sklearn():
    # Integer data on a small grid: many duplicate points and tied distances.
    rng = np.random.default_rng(5)
    X = rng.integers(0, 4, size=(150, 2))
    labels = rng.integers(0, 4, size=150)
    np.testing.assert_allclose(
        metrics.silhouette_samples(X, labels), skm.silhouette_samples(X, labels), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        metrics.calinski_harabasz_score(X, labels), skm.calinski_harabasz_score(X, labels), rtol=1e-9
    )
    np.testing.assert_allclose(metrics.davies_bouldin_score(X, labels), skm.davies_bouldin_score(X, labels), rtol=1e-9)


# ---- conventions -----------------------------------------------------------------------------
def test_singleton_clusters_have_silhouette_zero(dtype):
    X, labels = data(3, dtype, n=60, d=2)
    labels = labels.copy()
    labels[[5, 17]] = [7, 9]  # two points alone in their clusters
    s = metrics.silhouette_samples(X, labels)
    assert s[5] == 0.0 and s[17] == 0.0
    assert_sil_close(s, skm.silhouette_samples(X, labels), dtype)
    np.testing.assert_allclose(
        metrics.silhouette_score(X, labels), skm.silhouette_score(X, labels), rtol=rtol_of(dtype), atol=1e-12
    )


def test_all_singletons_but_one_pair():
    # n - 1 distinct labels (the largest number allowed): every singleton scores 0.
    rng = np.random.default_rng(3)
    X = rng.standard_normal((12, 3))
    labels = np.arange(12)
    labels[11] = 0
    s = metrics.silhouette_samples(X, labels)
    np.testing.assert_allclose(s, skm.silhouette_samples(X, labels), rtol=1e-9, atol=1e-12)
    assert np.all(s[1:11] == 0.0)


def test_duplicate_points_a_equals_b_zero(dtype):
    # Every point at the same place: a = b = 0, silhouette 0 (not NaN).
    X = np.zeros((10, 2), dtype=dtype)
    labels = np.arange(10) % 2
    s = metrics.silhouette_samples(X, labels)
    assert np.all(s == 0.0)
    np.testing.assert_array_equal(s, skm.silhouette_samples(X, labels))
    assert metrics.silhouette_score(X, labels) == 0.0


def test_duplicate_points_per_cluster(dtype):
    # Each cluster one repeated point: a = 0 and b > 0 -> 1; a point repeated across two
    # clusters: a = 0 = b for the members at that place.
    X = np.repeat(np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 4.0]], dtype=dtype), 4, axis=0)
    labels = np.repeat([0, 1, 2], 4)
    s = metrics.silhouette_samples(X, labels)
    np.testing.assert_array_equal(s, skm.silhouette_samples(X, labels))
    np.testing.assert_array_equal(s[:4], 1.0)
    np.testing.assert_array_equal(s[4:], 0.0)
    # a point with a > 0 and b = 0: (0 - a) / a = -1
    X2 = np.array([[0.0], [0.0], [1.0], [0.0], [5.0], [5.0]], dtype=dtype)
    labels2 = np.array([0, 0, 1, 1, 2, 2])
    s2 = metrics.silhouette_samples(X2, labels2)
    np.testing.assert_allclose(s2, skm.silhouette_samples(X2, labels2), rtol=1e-12, atol=1e-15)
    assert s2[3] == -1.0


LABEL_VARIANTS = {
    "non_consecutive": lambda c: np.array([10, 3, 42, 7])[c],
    "negative": lambda c: np.array([-5, -1, 0, 9])[c],
    "strings": lambda c: np.array(["cat", "dog", "emu", "ant"])[c],
    "string_list": lambda c: [["cat", "dog", "emu", "ant"][i] for i in c],
    "floats": lambda c: np.array([0.5, -2.0, 3.25, 1e6])[c],
    "int8": lambda c: c.astype(np.int8),
    "uint64": lambda c: c.astype(np.uint64) + np.uint64(2**40),
    "column": lambda c: c.reshape(-1, 1),
}


@pytest.mark.parametrize("variant", sorted(LABEL_VARIANTS))
def test_label_values_do_not_matter(variant):
    X, codes = data(4, n=120, d=3, seed=8)
    labels = LABEL_VARIANTS[variant](codes)
    sk_labels = np.ravel(labels) if variant == "column" else labels
    s = metrics.silhouette_samples(X, labels)
    # the same values as with codes 0..3 (up to rounding: relabelling may reorder the clusters,
    # and so the order of the additions)
    np.testing.assert_allclose(s, metrics.silhouette_samples(X, codes), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(s, skm.silhouette_samples(X, sk_labels), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(metrics.silhouette_score(X, labels), skm.silhouette_score(X, sk_labels), rtol=1e-9)
    np.testing.assert_allclose(
        metrics.calinski_harabasz_score(X, labels), skm.calinski_harabasz_score(X, sk_labels), rtol=1e-9
    )
    np.testing.assert_allclose(
        metrics.davies_bouldin_score(X, labels), skm.davies_bouldin_score(X, sk_labels), rtol=1e-9
    )


def test_bool_labels():
    X, codes = data(2, n=80, d=2, seed=9)
    labels = codes == 1
    np.testing.assert_allclose(
        metrics.silhouette_samples(X, labels), skm.silhouette_samples(X, labels), rtol=1e-9, atol=1e-12
    )


# ---- sampled silhouette_score ----------------------------------------------------------------
@pytest.mark.parametrize("sample_size", [10, 57, 150, 400])
@pytest.mark.parametrize("seed", [0, 1, 123])
def test_sampled_silhouette_score_draws_sklearn_rows(sample_size, seed, dtype):
    X, labels = data(3, dtype, n=300, d=2, seed=4)
    got = metrics.silhouette_score(X, labels, sample_size=sample_size, random_state=seed)
    expected = skm.silhouette_score(X, labels, sample_size=sample_size, random_state=seed)
    np.testing.assert_allclose(got, expected, rtol=rtol_of(dtype), atol=1e-12)
    # with a RandomState object: the same draw
    got_rs = metrics.silhouette_score(X, labels, sample_size=sample_size, random_state=np.random.RandomState(seed))
    assert got_rs == got
    # and the value is the silhouette of exactly those rows
    idx = np.random.RandomState(seed).permutation(X.shape[0])[:sample_size]
    np.testing.assert_allclose(
        got, silhouette_formula(X[idx], labels[idx]).mean(), rtol=1e-9 if dtype == np.float64 else 1e-5, atol=1e-12
    )


def test_sampled_silhouette_score_string_labels():
    X, codes = data(3, n=200, d=2, seed=6)
    labels = np.array(["x", "y", "z"])[codes].tolist()
    got = metrics.silhouette_score(X, labels, sample_size=60, random_state=7)
    expected = skm.silhouette_score(X, labels, sample_size=60, random_state=7)
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_sampled_silhouette_score_differs_from_full():
    # A draw of 30 out of 300 rows is not the full score (the sample is actually used).
    X, labels = data(3, n=300, d=2, seed=4)
    full = metrics.silhouette_score(X, labels)
    assert metrics.silhouette_score(X, labels, sample_size=30, random_state=0) != full
    assert metrics.silhouette_score(X, labels, sample_size=None, random_state=0) == full


# ---- every metric scikit-learn takes for dense X ---------------------------------------------
# Each name's data: blobs, 0/1 features for the boolean metrics (and hamming), latitude/longitude
# in radians for haversine.
BOOLEAN_METRICS = ["dice", "jaccard", "rogerstanimoto", "russellrao", "sokalsneath", "yule"]
NAMED_METRICS = [
    "euclidean",
    "l2",
    "l1",
    "manhattan",
    "cityblock",
    "cosine",
    "sqeuclidean",
    "braycurtis",
    "canberra",
    "chebyshev",
    "correlation",
    "mahalanobis",
    "seuclidean",
    "minkowski",
    "nan_euclidean",
    "hamming",
    "matching",
    "haversine",
] + BOOLEAN_METRICS


def metric_data(metric, dtype=np.float64, n=150, k=4, seed=31):
    X, labels = data(k, np.float64, n=n, d=4, seed=seed)
    rng = np.random.default_rng(seed)
    if metric in BOOLEAN_METRICS or metric in ("hamming", "matching"):
        X = (rng.random((n, 7)) < 0.2 + 0.15 * labels[:, None]).astype(np.float64)  # cluster c: P(true) = 0.2 + 0.15c
    elif metric == "haversine":
        X = np.column_stack([X[:, 0] / 12, X[:, 1] / 4])  # |lat| < pi/2, |lon| < pi
    return X.astype(dtype), labels


def test_metrics_list_is_sklearns():
    # Every dense name scikit-learn's silhouette accepts, except what scipy no longer has.
    from sklearn.metrics.pairwise import _VALID_METRICS
    from scipy.spatial.distance import _METRICS_NAMES

    sk_dense = {m for m in _VALID_METRICS if m in _METRICS_NAMES or m in skm.pairwise.PAIRWISE_DISTANCE_FUNCTIONS}
    sk_dense |= {"matching"} if "matching" in _VALID_METRICS else set()  # scipy's alias of hamming
    sk_dense -= set(metrics._REMOVED)  # removed by scipy since (an older scipy still has them)
    assert sk_dense | {"precomputed"} == set(metrics.METRICS)
    assert set(NAMED_METRICS) | {"precomputed"} == set(metrics.METRICS)


@pytest.mark.filterwarnings("ignore:Data was converted to boolean")
@pytest.mark.parametrize("metric", NAMED_METRICS)
def test_every_metric_matches_sklearn(metric, dtype):
    X, labels = metric_data(metric, dtype)
    s = metrics.silhouette_samples(X, labels, metric=metric)
    assert s.dtype == np.float64 and s.shape == (X.shape[0],)
    assert_sil_close(s, skm.silhouette_samples(X, labels, metric=metric), dtype)
    np.testing.assert_allclose(
        metrics.silhouette_score(X, labels, metric=metric),
        skm.silhouette_score(X, labels, metric=metric),
        rtol=rtol_of(dtype),
        atol=1e-12,
    )
    assert np.all(np.abs(s) <= 1)


W4 = np.array([0.5, 2.0, 1.25, 0.1])
KWDS_CASES = [
    ("minkowski", {"p": 3}),
    ("minkowski", {"p": 1}),
    ("minkowski", {"p": 0.5}),
    ("minkowski", {"p": np.inf}),
    ("minkowski", {"p": 2, "w": W4}),
    ("minkowski", {"p": 1, "w": W4}),
    ("minkowski", {"p": 3, "w": W4}),
    ("minkowski", {"p": np.inf, "w": np.array([1.0, 0.0, 2.0, 0.0])}),
    ("sqeuclidean", {"w": W4}),
    ("chebyshev", {"w": W4}),
    ("canberra", {"w": W4}),
    ("braycurtis", {"w": W4}),
    ("correlation", {"w": W4}),
    ("correlation", {"w": W4, "centered": False}),
    ("seuclidean", {"V": W4}),
    ("mahalanobis", {"VI": np.diag(W4)}),
    ("mahalanobis", {"VI": np.array([[2.0, 0.5, 0, 0], [0.5, 1.0, 0.2, 0], [0, 0.2, 1.0, 0], [0, 0, 0, 0.5]])}),
    ("mahalanobis", {"VI": np.diag([1.0, -0.05, 1.0, 1.0])}),  # indefinite: NaN distances, as scipy
    ("euclidean", {"squared": True}),
    ("l2", {"squared": True}),
    ("nan_euclidean", {"squared": True}),
    ("nan_euclidean", {"missing_values": 0}),
    ("nan_euclidean", {"missing_values": 0, "squared": True}),
    ("hamming", {"w": np.linspace(0.1, 2, 7)}),
    ("jaccard", {"w": np.linspace(0.1, 2, 7)}),
    ("yule", {"w": np.linspace(2, 0.1, 7)}),
    ("sokalsneath", {"w": np.linspace(2, 0.1, 7)}),
    ("euclidean", {"n_jobs": 2, "working_memory": 0.01}),
    ("cosine", {"working_memory": 0.0001}),
]


@pytest.mark.filterwarnings("ignore:Data was converted to boolean")
@pytest.mark.filterwarnings("ignore:Could not adhere to working_memory")  # scikit-learn's, at 0.0001 MiB
@pytest.mark.parametrize("metric,kwds", KWDS_CASES, ids=lambda v: v if isinstance(v, str) else "-".join(v))
def test_metric_kwds_match_sklearn(metric, kwds, dtype):
    if metric == "yule" and "w" in kwds and scipy_version() < (1, 16):
        pytest.skip("scipy 1.11-1.15's cdist 'yule' truncates weighted counts to integers (scipy gh-23109)")
    X, labels = metric_data(metric, dtype)
    if kwds.get("missing_values") == 0:
        X = np.round(X / 4)  # zeros: the missing coordinates
        assert (X == 0).mean() > 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's sqrt of a negative quadratic form
        expected = skm.silhouette_samples(X, labels, metric=metric, **kwds)
    s = metrics.silhouette_samples(X, labels, metric=metric, **kwds)
    assert_sil_close(s, expected, dtype)
    assert np.all(np.abs(s) <= 1)


def test_callable_metric_matches_sklearn(dtype):
    X, labels = metric_data("euclidean", dtype, n=60)

    def lp(a, b, q=2.0):
        assert a.ndim == b.ndim == 1 and a.dtype == X.dtype  # rows, as scikit-learn passes them
        return float(np.sum(np.abs(a - b) ** q) ** (1 / q))

    for kwds in ({}, {"q": 3.0}):
        assert_sil_close(
            metrics.silhouette_samples(X, labels, metric=lp, **kwds),
            skm.silhouette_samples(X, labels, metric=lp, **kwds),
            dtype,
        )
    np.testing.assert_allclose(
        metrics.silhouette_score(X, labels, metric=lp, sample_size=40, random_state=2),
        skm.silhouette_score(X, labels, metric=lp, sample_size=40, random_state=2),
        rtol=rtol_of(dtype),
    )


def test_callable_metric_calls():
    # Integer rows stay integers; each pair is computed once (the chunk's own square mirrored,
    # as scikit-learn's single chunk does), and a row's distance to itself is the metric's.
    X = np.arange(24).reshape(12, 2) % 7
    labels = np.arange(12) % 3
    seen = []

    def metric(a, b):
        seen.append((a.dtype, tuple(a), tuple(b)))
        return float(np.abs(a - b).sum()) + 0.5 * (tuple(a) == tuple(b))

    s = metrics.silhouette_samples(X, labels, metric=metric)
    assert {dt for dt, _, _ in seen} == {X.dtype}
    assert len(seen) == 12 * 13 // 2
    np.testing.assert_allclose(s, skm.silhouette_samples(X, labels, metric=metric), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "metric",
    ["cosine", "manhattan", "chebyshev", "jaccard", lambda a, b: np.abs(a - b).max()],
    ids=["cosine", "manhattan", "chebyshev", "jaccard", "callable"],
)
def test_chunking_does_not_change_the_answer(metric, monkeypatch):
    # working_memory (MiB, as scikit-learn's) down to one row per chunk; and the path for many
    # clusters, which reads each chunk of rows against all rows instead of keeping the sums.
    X, labels = metric_data("euclidean", n=90)
    X = X > 0 if metric == "jaccard" else X
    ref = metrics.silhouette_samples(X, labels, metric=metric)
    np.testing.assert_allclose(ref, skm.silhouette_samples(X, labels, metric=metric), rtol=1e-9, atol=1e-12)
    for wm in (0.0, 0.002, 0.01):
        np.testing.assert_allclose(
            metrics.silhouette_samples(X, labels, metric=metric, working_memory=wm), ref, rtol=1e-12, atol=1e-14
        )
    monkeypatch.setattr(metrics, "_ACC_ELEMENTS", 0)
    for wm in (None, 0.002):
        np.testing.assert_allclose(
            metrics.silhouette_samples(X, labels, metric=metric, working_memory=wm), ref, rtol=1e-12, atol=1e-14
        )


EDGE_CASES = {
    # integer grid: ties and duplicate points
    "grid": lambda rng: (rng.integers(0, 4, size=(150, 3)).astype(float), rng.integers(0, 4, 150)),
    # n - 1 labels: every cluster but one a single point
    "n_minus_1_labels": lambda rng: (rng.standard_normal((12, 3)), np.r_[np.arange(11), 0]),
    # two singletons among three clusters
    "singletons": lambda rng: (rng.standard_normal((30, 3)), np.r_[np.arange(28) % 3, 7, 9]),
    # clusters of copies of one point
    "copies": lambda rng: (
        np.repeat(np.array([[1.0, 0, 2], [3, 4, 1], [3, 4, 1], [0, 2, 5]]) * [[1], [2], [1], [3]], 4, axis=0),
        np.repeat([0, 1, 2, 3], 4),
    ),
    "integer_X": lambda rng: (rng.integers(-3, 4, size=(60, 4)), rng.integers(0, 3, 60)),
    "bool_X": lambda rng: (rng.random((60, 6)) < 0.5, rng.integers(0, 3, 60)),
}


@pytest.mark.filterwarnings("ignore:Data was converted to boolean")
@pytest.mark.parametrize("case", sorted(EDGE_CASES))
@pytest.mark.parametrize("metric", [m for m in NAMED_METRICS if m not in ("l2", "l1", "cityblock", "matching")])
def test_metrics_on_edge_data_match_sklearn(metric, case):
    X, labels = EDGE_CASES[case](np.random.default_rng(7))
    if metric == "haversine":
        X = X[:, :2] / 8
    if metric == "mahalanobis" and case in ("n_minus_1_labels", "copies"):
        pytest.skip("too few distinct rows for the covariance")
    if metric == "seuclidean" and case == "copies":
        pytest.skip("a constant feature (tested in test_seuclidean_constant_feature)")
    expected = skm.silhouette_samples(X, labels, metric=metric)
    s = metrics.silhouette_samples(X, labels, metric=metric)
    np.testing.assert_allclose(s, expected, rtol=1e-9, atol=1e-12)


def test_degenerate_rows_as_sklearn():
    # cosine: a zero row is at distance 1 from every other row (scikit-learn's own cosine);
    # correlation: a constant row has no correlation (scipy: NaN distances, silhouettes 0);
    # dice / sokalsneath: two all-false rows (NaN); jaccard: 0 for them.
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 3))
    labels = rng.integers(0, 3, 40)
    Xz = X.copy()
    Xz[[2, 9]] = 0.0
    Xc = X.copy()
    Xc[5] = 7.0
    Xb = (rng.random((40, 5)) < 0.3).astype(float)
    Xb[[1, 4]] = 0.0
    for metric, Z in (
        ("cosine", Xz),
        ("correlation", Xc),
        ("dice", Xb),
        ("sokalsneath", Xb),
        ("jaccard", Xb),
        ("yule", Xb),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = skm.silhouette_samples(Z, labels, metric=metric)
            s = metrics.silhouette_samples(Z, labels, metric=metric)
        np.testing.assert_allclose(s, expected, rtol=1e-9, atol=1e-12, err_msg=metric)


def test_boolean_metric_warns_on_conversion():
    X, labels = metric_data("jaccard")
    with pytest.warns(UserWarning, match="Data was converted to boolean for metric jaccard"):
        metrics.silhouette_samples(X, labels, metric="jaccard")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics.silhouette_samples(X.astype(bool), labels, metric="jaccard")
        metrics.silhouette_samples(X.astype(bool).tolist(), labels, metric="jaccard")


@pytest.mark.parametrize(
    "metric",
    [
        "manhattan",
        "cosine",
        "sqeuclidean",
        "chebyshev",
        "canberra",
        "braycurtis",
        "correlation",
        "seuclidean",
        "mahalanobis",
        ("minkowski", 3),
    ],
    ids=str,
)
@pytest.mark.parametrize("shift", [-700, -401, -300, 300, 401, 700])
def test_metrics_scale_free(metric, shift):
    # Homogeneous metrics: X·2^j gives the same silhouettes (scaled into range), bit for bit
    # except minkowski with p=3, whose root of a sum scaled by 2^3j rounds differently.
    metric, kwds = (metric[0], {"p": metric[1]}) if isinstance(metric, tuple) else (metric, {})
    X, labels = metric_data("euclidean")
    s0 = metrics.silhouette_samples(X, labels, metric=metric, **kwds)
    s1 = metrics.silhouette_samples(np.ldexp(X, shift), labels, metric=metric, **kwds)
    if kwds:
        np.testing.assert_allclose(s1, s0, rtol=1e-14, atol=1e-15)
    else:
        np.testing.assert_array_equal(s1, s0)


def test_manhattan_far_from_the_origin():
    # Prefix sums relative to each cluster's median: no cancellation at an offset of 1e6.
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 300)
    X = 1e6 + labels[:, None] * 1e-3 + rng.standard_normal((300, 3)) * 1e-3
    np.testing.assert_allclose(
        metrics.silhouette_samples(X, labels, metric="manhattan"),
        skm.silhouette_samples(X, labels, metric="manhattan"),
        rtol=1e-7,
        atol=1e-9,
    )


@pytest.mark.filterwarnings("ignore:Data was converted to boolean")
@pytest.mark.parametrize("metric", ["manhattan", "cosine", "jaccard", "seuclidean", "mahalanobis"])
@pytest.mark.parametrize("seed", [0, 5])
def test_sampled_score_other_metrics(metric, seed, dtype):
    # The drawn rows' silhouette, with data-derived parameters (V, VI) from the sample, as scikit-learn.
    X, labels = metric_data(metric, dtype, n=200)
    np.testing.assert_allclose(
        metrics.silhouette_score(X, labels, metric=metric, sample_size=80, random_state=seed),
        skm.silhouette_score(X, labels, metric=metric, sample_size=80, random_state=seed),
        rtol=rtol_of(dtype),
        atol=1e-12,
    )


# ---- precomputed distances -------------------------------------------------------------------
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_precomputed_matches_sklearn(metric, dtype):
    X, labels = data(4, np.float64, n=200, d=3)
    D = skm.pairwise_distances(X, metric=metric).astype(dtype)
    s = metrics.silhouette_samples(D, labels, metric="precomputed")
    assert_sil_close(s, skm.silhouette_samples(D, labels, metric="precomputed"), dtype)
    assert_sil_close(s, metrics.silhouette_samples(X, labels, metric=metric), dtype)
    np.testing.assert_allclose(
        metrics.silhouette_score(D, labels, metric="precomputed"),
        skm.silhouette_score(D, labels, metric="precomputed"),
        rtol=rtol_of(dtype),
    )
    for wm in (0.001, 0.05):  # chunks of 1 and 32 rows
        np.testing.assert_allclose(
            metrics.silhouette_samples(D, labels, metric="precomputed", working_memory=wm), s, rtol=1e-12, atol=1e-14
        )


@pytest.mark.parametrize("sample_size", [10, 57, 150, 500])
@pytest.mark.parametrize("seed", [0, 3])
def test_precomputed_sampled_rows_and_columns(sample_size, seed, dtype):
    X, labels = data(3, np.float64, n=200, d=2, seed=4)
    D = skm.pairwise_distances(X).astype(dtype)
    got = metrics.silhouette_score(D, labels, metric="precomputed", sample_size=sample_size, random_state=seed)
    np.testing.assert_allclose(
        got,
        skm.silhouette_score(D, labels, metric="precomputed", sample_size=sample_size, random_state=seed),
        rtol=rtol_of(dtype),
        atol=1e-12,
    )
    # the same rows as the features' sampled score: the sample's rows and columns were taken
    np.testing.assert_allclose(
        got,
        metrics.silhouette_score(X, labels, sample_size=sample_size, random_state=seed),
        rtol=rtol_of(dtype),
        atol=1e-12,
    )


def test_precomputed_integer_and_list_matrices():
    D = [[0, 1, 2, 4], [1, 0, 1, 3], [2, 1, 0, 2], [4, 3, 2, 0]]
    labels = [0, 0, 1, 1]
    for M in (D, np.array(D), np.array(D, dtype=np.int8), np.array(D, dtype=np.float32), np.array(D, dtype=object)):
        np.testing.assert_allclose(
            metrics.silhouette_samples(M, labels, metric="precomputed"),
            skm.silhouette_samples(np.array(D, dtype=float), labels, metric="precomputed"),
            rtol=1e-6,
        )


def test_precomputed_not_symmetric_reads_rows():
    # Each row's own distances, as scikit-learn reads them (no symmetrisation).
    rng = np.random.default_rng(9)
    D = rng.random((30, 30))
    np.fill_diagonal(D, 0)
    labels = np.arange(30) % 4
    np.testing.assert_allclose(
        metrics.silhouette_samples(D, labels, metric="precomputed"),
        skm.silhouette_samples(D, labels, metric="precomputed"),
        rtol=1e-12,
        atol=1e-15,
    )


@pytest.mark.parametrize("scale", [2.0**700, 2.0**-700])
def test_precomputed_scale_free(scale):
    X, labels = data(3, n=60, d=2)
    D = skm.pairwise_distances(X)
    np.testing.assert_allclose(
        metrics.silhouette_samples(D * scale, labels, metric="precomputed"),
        metrics.silhouette_samples(D, labels, metric="precomputed"),
        rtol=1e-14,
        atol=1e-15,
    )


def test_precomputed_nonzero_diagonal(dtype):
    # scikit-learn's rule: 100 ulps of the matrix's float type on the diagonal, 0 for integers.
    X, labels = data(2, np.float64, n=20, d=2)
    D = skm.pairwise_distances(X).astype(dtype)
    eps = np.finfo(dtype).eps
    D[3, 3] = eps * 10
    metrics.silhouette_samples(D, labels, metric="precomputed")
    D[3, 3] = eps * 1000
    for call in (
        lambda: metrics.silhouette_samples(D, labels, metric="precomputed"),
        lambda: metrics.silhouette_score(D, labels, metric="precomputed"),
    ):
        with pytest.raises(
            ValueError, match="X: the precomputed distance matrix contains non-zero elements on the diagonal"
        ):
            call()
    Di = np.round(skm.pairwise_distances(X) * 10).astype(np.int64)
    Di[2, 2] = 1
    with pytest.raises(ValueError, match="contains non-zero"):
        metrics.silhouette_samples(Di, labels, metric="precomputed")


def test_precomputed_negative_values():
    X, labels = data(2, n=20, d=2)
    D = skm.pairwise_distances(X)
    D[2, 5] = -1e-3
    for call in (
        lambda: metrics.silhouette_samples(D, labels, metric="precomputed"),
        lambda: metrics.silhouette_score(D, labels, metric="precomputed", working_memory=0.0001),
    ):
        with pytest.raises(ValueError, match="X: Negative values in data.*non-negative"):
            call()
    with pytest.raises(ValueError, match="Negative values"):
        skm.silhouette_samples(D, labels, metric="precomputed")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_precomputed_non_finite(bad):
    X, labels = data(2, n=20, d=2)
    D = skm.pairwise_distances(X)
    D[2, 5] = bad
    for call in (
        lambda: metrics.silhouette_samples(D, labels, metric="precomputed"),
        lambda: metrics.silhouette_score(D, labels, metric="precomputed", sample_size=5, random_state=0),
    ):
        with pytest.raises(ValueError, match="X contains"):
            call()


def test_precomputed_not_square():
    X, labels = data(2, n=20, d=2)
    D = skm.pairwise_distances(X)
    for M in (D[:, :15], D[:15], D[:, :19]):
        for call in (
            lambda: metrics.silhouette_samples(M, labels[: M.shape[0]], metric="precomputed"),
            lambda: metrics.silhouette_score(
                M, labels[: M.shape[0]], metric="precomputed", sample_size=5, random_state=0
            ),
        ):
            with pytest.raises(
                ValueError, match="X must be a square distance matrix.*Precomputed metric requires shape"
            ):
                call()


def test_precomputed_labels_checked():
    X, _ = data(2, n=20, d=2)
    D = skm.pairwise_distances(X)
    with pytest.raises(ValueError, match="Number of labels is 1"):
        metrics.silhouette_samples(D, np.zeros(20), metric="precomputed")
    with pytest.raises(ValueError, match="Number of labels is 20"):
        metrics.silhouette_samples(D, np.arange(20), metric="precomputed")
    with pytest.raises(ValueError, match="labels has 19 values"):
        metrics.silhouette_samples(D, np.arange(19) % 2, metric="precomputed")


def test_sampled_label_count_is_the_samples():
    # As scikit-learn: the number of labels is checked on the drawn sample.
    X, _ = data(2, n=30, d=2)
    for metric, M in (("euclidean", X), ("precomputed", skm.pairwise_distances(X))):
        for labels in (np.arange(30), np.zeros(30)):
            for sample_size in (5, 12):
                with pytest.raises(ValueError) as ours:
                    metrics.silhouette_score(M, labels, metric=metric, sample_size=sample_size, random_state=1)
                with pytest.raises(ValueError) as theirs:
                    skm.silhouette_score(M, labels, metric=metric, sample_size=sample_size, random_state=1)
                assert str(ours.value) == str(theirs.value)


# ---- bad metric parameters -------------------------------------------------------------------
BAD_KWDS = [
    ("manhattan", {"w": W4}, TypeError, "unexpected keyword argument 'w'"),
    ("cosine", {"p": 2}, TypeError, "unexpected keyword argument 'p'"),
    ("precomputed", {"p": 2}, TypeError, "unexpected keyword argument 'p'"),
    ("euclidean", {"X_norm_squared": np.ones(4)}, TypeError, "X_norm_squared"),
    ("chebyshev", {"out": None}, TypeError, "'out'"),
    ("minkowski", {"p": 0}, ValueError, "p must be greater than 0"),
    ("minkowski", {"p": -1.5}, ValueError, "p must be greater than 0"),
    ("minkowski", {"p": "2"}, TypeError, "p must be"),
    ("minkowski", {"p": True}, TypeError, "p must be"),
    ("minkowski", {"p": np.nan}, TypeError, "p must be"),
    ("minkowski", {"w": W4[:3]}, ValueError, "w must be.*n_features = 4"),
    ("minkowski", {"p": 3, "w": -W4}, ValueError, "w must be non-negative"),
    ("sqeuclidean", {"w": [1, np.nan, 1, 1]}, ValueError, "w must be finite"),
    ("chebyshev", {"w": "abcd"}, TypeError, "w must be"),
    ("canberra", {"w": W4.reshape(2, 2)}, ValueError, "w must be"),
    ("seuclidean", {"V": W4[:3]}, ValueError, "V must be"),
    ("seuclidean", {"V": np.r_[W4[:3], 0]}, ValueError, "V must be positive"),
    ("seuclidean", {"V": -W4}, ValueError, "V must be positive"),
    ("mahalanobis", {"VI": np.eye(3)}, ValueError, "VI must have shape"),
    ("mahalanobis", {"VI": np.full((4, 4), np.nan)}, ValueError, "VI must be finite"),
    ("mahalanobis", {"VI": "eye"}, TypeError, "VI must be"),
    ("euclidean", {"squared": "yes"}, TypeError, "squared must be"),
    ("correlation", {"centered": 1}, TypeError, "centered must be"),
    ("nan_euclidean", {"missing_values": "NaN"}, TypeError, "missing_values"),
    ("nan_euclidean", {"missing_values": None}, TypeError, "missing_values"),
    ("euclidean", {"working_memory": -1}, ValueError, "working_memory"),
    ("cosine", {"working_memory": "1"}, ValueError, "working_memory"),
    ("euclidean", {"n_jobs": 1.5}, TypeError, "n_jobs"),
]


@pytest.mark.parametrize("metric,kwds,exc,match", BAD_KWDS, ids=lambda v: v if isinstance(v, str) else None)
def test_bad_metric_kwds(metric, kwds, exc, match):
    X, labels = small()
    X = np.column_stack([X, X[:, ::-1] * 0.5 + 1])  # 4 features
    if metric == "precomputed":
        X = skm.pairwise_distances(X)
    for call in (
        lambda: metrics.silhouette_samples(X, labels, metric=metric, **kwds),
        lambda: metrics.silhouette_score(X, labels, metric=metric, **kwds),
        lambda: metrics.silhouette_score(X, labels, metric=metric, sample_size=20, random_state=0, **kwds),
    ):
        with pytest.raises(exc, match=match):
            call()


def test_metric_checked_before_X():
    # As scikit-learn's parameter validation: the metric's name first, whatever X is.
    with pytest.raises(ValueError, match="'metric' parameter of silhouette_samples must be a str among"):
        metrics.silhouette_samples("not an array", [0, 1], metric="foo")
    with pytest.raises(ValueError, match="'metric' parameter of silhouette_score must be a str among"):
        metrics.silhouette_score(np.zeros(3), [0, 1], metric="foo")


def test_haversine_needs_two_features():
    X, labels = small()
    with pytest.raises(ValueError, match="Haversine distance only valid in 2 dimensions"):
        metrics.silhouette_samples(np.column_stack([X, X[:, 0]]), labels, metric="haversine")


def test_mahalanobis_needs_more_samples_than_features():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 6))
    with pytest.raises(ValueError, match="pass VI"):
        metrics.silhouette_samples(X, [0, 0, 1, 1, 1], metric="mahalanobis")
    # with VI given, it runs (and agrees with scikit-learn)
    VI = np.eye(6) * 2
    np.testing.assert_allclose(
        metrics.silhouette_samples(X, [0, 0, 1, 1, 1], metric="mahalanobis", VI=VI),
        skm.silhouette_samples(X, [0, 0, 1, 1, 1], metric="mahalanobis", VI=VI),
        rtol=1e-9,
    )


def test_seuclidean_constant_feature():
    # A deliberate difference: scipy divides by the zero variance (NaN and inf distances, every
    # silhouette 0 in scikit-learn); kmix says which feature is constant.
    X, labels = small()
    X = np.column_stack([X, np.full(len(X), 3.0)])
    with pytest.raises(ValueError, match=r"seuclidean: feature\(s\) \[2\] of X are constant"):
        metrics.silhouette_samples(X, labels, metric="seuclidean")
    metrics.silhouette_samples(X, labels, metric="seuclidean", V=[1.0, 2.0, 3.0])


# ---- Calinski-Harabasz and Davies-Bouldin ----------------------------------------------------
def ch_formula(X, labels):
    X = np.asarray(X, dtype=np.float64)
    _, codes = np.unique(labels, return_inverse=True)
    n, k = X.shape[0], codes.max() + 1
    mean = X.mean(0)
    extra = sum((codes == c).sum() * ((X[codes == c].mean(0) - mean) ** 2).sum() for c in range(k))
    intra = sum(((X[codes == c] - X[codes == c].mean(0)) ** 2).sum() for c in range(k))
    return extra * (n - k) / (intra * (k - 1))


def db_formula(X, labels):
    X = np.asarray(X, dtype=np.float64)
    _, codes = np.unique(labels, return_inverse=True)
    k = codes.max() + 1
    cents = np.array([X[codes == c].mean(0) for c in range(k)])
    s = np.array([np.sqrt(((X[codes == c] - cents[c]) ** 2).sum(1)).mean() for c in range(k)])
    dist = np.sqrt(((cents[:, None] - cents[None]) ** 2).sum(-1))
    ratio = (s[:, None] + s[None]) / np.where(np.eye(k, dtype=bool), np.inf, dist)
    return ratio.max(1).mean()


@pytest.mark.parametrize("k", KS)
def test_calinski_harabasz_matches_sklearn(k, dtype):
    X, labels = data(k, dtype, n=250, d=4)
    got = metrics.calinski_harabasz_score(X, labels)
    assert isinstance(got, float)
    np.testing.assert_allclose(got, skm.calinski_harabasz_score(X, labels), rtol=rtol_of(dtype))
    np.testing.assert_allclose(got, ch_formula(X, labels), rtol=1e-9)


@pytest.mark.parametrize("k", KS)
def test_davies_bouldin_matches_sklearn(k, dtype):
    X, labels = data(k, dtype, n=250, d=4)
    got = metrics.davies_bouldin_score(X, labels)
    assert isinstance(got, float)
    np.testing.assert_allclose(got, skm.davies_bouldin_score(X, labels), rtol=rtol_of(dtype))
    np.testing.assert_allclose(got, db_formula(X, labels), rtol=1e-9)


@pytest.mark.parametrize("kind", ["bool", "int8", "uint64", "float16", "object", "list", "dataframe"])
def test_ch_db_accept_what_sklearn_accepts(kind):
    # Dense inputs scikit-learn's scores take; kmix computes in float64 (scikit-learn keeps some
    # float16 arithmetic in Davies-Bouldin: compared on the float16 values in float64).
    X, labels = data(3, n=60, d=3, seed=2)
    Xk = {
        "bool": lambda: X > 0,
        "int8": lambda: (X * 3).astype(np.int8),
        "uint64": lambda: np.abs(X * 3).astype(np.uint64),
        "float16": lambda: X.astype(np.float16),
        "object": lambda: X.astype(object),
        "list": lambda: X.tolist(),
        "dataframe": lambda: pytest.importorskip("pandas").DataFrame(X),
    }[kind]()
    ref = np.asarray(Xk, dtype=np.float64) if kind == "float16" else Xk
    for ours, theirs in (
        (metrics.calinski_harabasz_score, skm.calinski_harabasz_score),
        (metrics.davies_bouldin_score, skm.davies_bouldin_score),
        (metrics.silhouette_score, skm.silhouette_score),
    ):
        np.testing.assert_allclose(ours(Xk, labels), theirs(ref, labels), rtol=1e-12)


def test_ch_db_with_singletons(dtype):
    X, labels = data(3, dtype, n=50, d=2)
    labels = labels.copy()
    labels[[0, 1]] = [5, 6]
    np.testing.assert_allclose(
        metrics.calinski_harabasz_score(X, labels), skm.calinski_harabasz_score(X, labels), rtol=rtol_of(dtype)
    )
    np.testing.assert_allclose(
        metrics.davies_bouldin_score(X, labels), skm.davies_bouldin_score(X, labels), rtol=rtol_of(dtype)
    )


def test_ch_db_degenerate_conventions(dtype):
    # Every cluster one repeated point: no within-cluster dispersion -> CH 1.0, DB 0.0.
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 2.0], [5.0, -1.0]], dtype=dtype), 3, axis=0)
    labels = np.repeat([0, 1, 2], 3)
    assert metrics.calinski_harabasz_score(X, labels) == skm.calinski_harabasz_score(X, labels) == 1.0
    assert metrics.davies_bouldin_score(X, labels) == skm.davies_bouldin_score(X, labels) == 0.0
    # Two clusters with the same centroid: DB is 0.0 (every centroid distance is 0).
    X2 = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, -1.0], [0.0, 1.0]], dtype=dtype)
    labels2 = np.array([0, 0, 1, 1])
    assert metrics.davies_bouldin_score(X2, labels2) == skm.davies_bouldin_score(X2, labels2) == 0.0
    np.testing.assert_allclose(
        metrics.calinski_harabasz_score(X2, labels2), skm.calinski_harabasz_score(X2, labels2), rtol=1e-12, atol=1e-12
    )
    # Three clusters, two sharing their centroid exactly: that pair is ignored.
    X3 = np.concatenate([X2, np.array([[6.0, 6.0], [7.0, 6.0]], dtype=dtype)])
    labels3 = np.array([0, 0, 1, 1, 2, 2])
    np.testing.assert_allclose(
        metrics.davies_bouldin_score(X3, labels3), skm.davies_bouldin_score(X3, labels3), rtol=rtol_of(dtype)
    )


# ---- bad inputs ------------------------------------------------------------------------------
SCORERS = {
    "silhouette_samples": metrics.silhouette_samples,
    "silhouette_score": metrics.silhouette_score,
    "silhouette_score_sampled": lambda X, labels: metrics.silhouette_score(X, labels, sample_size=10, random_state=0),
    "calinski_harabasz_score": metrics.calinski_harabasz_score,
    "davies_bouldin_score": metrics.davies_bouldin_score,
}
scorer_ids = sorted(SCORERS)


def small():
    X, labels = data(3, n=30, d=2, seed=11)
    return X.copy(), labels.copy()


@pytest.mark.parametrize("name", scorer_ids)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_X_rejected(name, bad, dtype):
    X, labels = small()
    X = X.astype(dtype)
    X[4, 1] = bad
    with pytest.raises(ValueError, match="X"):
        SCORERS[name](X, labels)


@pytest.mark.parametrize("name", scorer_ids)
def test_labels_wrong_length(name):
    X, labels = small()
    for lab in (labels[:-1], np.append(labels, 0)):
        with pytest.raises(ValueError, match="labels"):
            SCORERS[name](X, lab)


@pytest.mark.parametrize("name", scorer_ids)
def test_labels_2d(name):
    X, labels = small()
    for lab in (labels.reshape(-1, 2), labels.reshape(2, -1), np.stack([labels, labels], axis=1)):
        with pytest.raises(ValueError, match="labels"):
            SCORERS[name](X, lab)


@pytest.mark.parametrize("name", scorer_ids)
def test_labels_nan(name):
    X, labels = small()
    for bad in (np.nan, np.inf):
        lab = labels.astype(float)
        lab[3] = bad
        with pytest.raises(ValueError, match="labels"):
            SCORERS[name](X, lab)


@pytest.mark.parametrize("name", scorer_ids)
def test_labels_string_scalar(name):
    X, _ = small()
    with pytest.raises((TypeError, ValueError), match="labels"):
        SCORERS[name](X, "a" * 30)


@pytest.mark.parametrize("name", scorer_ids)
def test_number_of_labels_out_of_range(name):
    X, _ = small()
    n = X.shape[0]
    for lab in (np.zeros(n, dtype=int), np.full(n, "same"), np.arange(n), np.arange(n)[::-1] * 3 - 5):
        with pytest.raises(ValueError, match="Number of labels is"):
            SCORERS[name](X, lab)
    # and scikit-learn agrees that these are invalid
    with pytest.raises(ValueError, match="Number of labels is"):
        skm.silhouette_score(X, np.arange(n))


def test_two_samples_two_labels_rejected():
    # n = 2 allows at most 1 label: no valid labelling exists.
    X = np.array([[0.0], [1.0]])
    with pytest.raises(ValueError, match="Number of labels is"):
        metrics.silhouette_samples(X, [0, 1])


@pytest.mark.parametrize("metric", ["Euclidean", "foo", "cblock", None, 3, "wminkowski", "sokalmichener"])
def test_unknown_metric(metric):
    # Names scikit-learn does not take (scipy's aliases included), what scipy removed, non-strings.
    X, labels = small()
    exc = TypeError if not isinstance(metric, str) else ValueError
    for call in (
        lambda: metrics.silhouette_samples(X, labels, metric=metric),
        lambda: metrics.silhouette_score(X, labels, metric=metric),
        lambda: metrics.silhouette_score(X, labels, metric=metric, sample_size=10, random_state=0),
    ):
        with pytest.raises(exc, match="metric"):
            call()


def test_metric_euclidean_explicit():
    X, labels = small()
    np.testing.assert_array_equal(
        metrics.silhouette_samples(X, labels, metric="euclidean"), metrics.silhouette_samples(X, labels)
    )


@pytest.mark.parametrize("sample_size", [0, -3])
def test_bad_sample_size_value(sample_size):
    X, labels = small()
    with pytest.raises(ValueError, match="sample_size"):
        metrics.silhouette_score(X, labels, sample_size=sample_size, random_state=0)


@pytest.mark.parametrize("sample_size", [2.5, "10", True])
def test_bad_sample_size_type(sample_size):
    X, labels = small()
    with pytest.raises((TypeError, ValueError), match="sample_size"):
        metrics.silhouette_score(X, labels, sample_size=sample_size, random_state=0)


@pytest.mark.parametrize(
    "X",
    [np.zeros(10), np.zeros((0, 2)), np.zeros((10, 0)), np.zeros((10, 2, 2))],
    ids=["1d", "no_rows", "no_features", "3d"],
)
def test_bad_X_shape(X):
    labels = np.arange(max(len(X), 1)) % 2
    for name in scorer_ids:
        with pytest.raises(ValueError, match="X"):
            SCORERS[name](X, labels)


def test_bad_X_type():
    labels = np.arange(4) % 2
    with pytest.raises(TypeError, match="X"):
        metrics.silhouette_samples(np.array([["a", "b"]] * 4), labels)
    with pytest.raises(ValueError, match="Complex data not supported: X"):  # scikit-learn's class and words
        metrics.silhouette_samples(np.ones((4, 2), dtype=complex), labels)


@pytest.mark.parametrize("n_threads", [0, "2", 1.5])
def test_bad_n_threads(n_threads):
    X, labels = small()
    with pytest.raises((TypeError, ValueError), match="n_threads"):
        metrics.silhouette_samples(X, labels, n_threads=n_threads)


# ---- threads ---------------------------------------------------------------------------------
def test_thread_count_does_not_change_bits(dtype):
    X, labels = data(5, dtype, n=1501, d=4, seed=12)
    ref = metrics.silhouette_samples(X, labels, n_threads=1)
    for t in (2, 3, -1):
        s = metrics.silhouette_samples(X, labels, n_threads=t)
        assert s.tobytes() == ref.tobytes()
    assert metrics.silhouette_score(X, labels, n_threads=1) == metrics.silhouette_score(X, labels, n_threads=2)
    assert_sil_close(ref, skm.silhouette_samples(X, labels), dtype)


@pytest.mark.parametrize("k", [2, 13, 40])
def test_many_uneven_clusters(k, dtype):
    # Cluster sizes 1..25 (not multiples of any SIMD width or row tile), labels shuffled, more
    # pairs of clusters than threads; against scikit-learn and across thread counts.
    rng = np.random.default_rng(k)
    sizes = rng.integers(1, 26, size=k)
    sizes[0] = max(sizes[0], 2)
    labels = rng.permutation(np.repeat(np.arange(k), sizes))
    X = (rng.standard_normal((labels.size, 3)) + rng.uniform(-4, 4, size=(k, 3))[labels]).astype(dtype)
    s1 = metrics.silhouette_samples(X, labels, n_threads=1)
    assert_sil_close(s1, skm.silhouette_samples(X, labels), dtype)
    for t in (2, 4):
        assert metrics.silhouette_samples(X, labels, n_threads=t).tobytes() == s1.tobytes()
    assert np.all(s1[np.isin(labels, np.flatnonzero(sizes == 1))] == 0.0)


THREAD_SCRIPT = """
import hashlib, json
import numpy as np
import kmix
from kmix import metrics, _core
rng = np.random.default_rng(13)
X = rng.standard_normal((2001, 3)) * 3
labels = rng.integers(0, 6, size=2001)
out = {"max_threads": _core.max_threads()}
for dt in ("float64", "float32"):
    out[dt] = hashlib.sha256(metrics.silhouette_samples(X.astype(dt), labels).tobytes()).hexdigest()
print(json.dumps(out))
"""


def test_omp_num_threads_subprocesses_bit_identical(tmp_path):
    script = tmp_path / "sil.py"
    script.write_text(THREAD_SCRIPT)
    results = {}
    for omp in (1, 2):
        proc = run([sys.executable, str(script)], env_update={"OMP_NUM_THREADS": omp}, cwd=str(tmp_path))
        results[omp] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results[1]["max_threads"] == 1 and results[2]["max_threads"] == 2
    rng = np.random.default_rng(13)
    X = rng.standard_normal((2001, 3)) * 3
    labels = rng.integers(0, 6, size=2001)
    for dt in ("float64", "float32"):
        assert results[1][dt] == results[2][dt]
        here = metrics.silhouette_samples(X.astype(dt), labels, n_threads=2)
        assert results[1][dt] == hashlib.sha256(here.tobytes()).hexdigest()


OTHER_METRICS_THREAD_SCRIPT = """
import hashlib, json
import numpy as np
from kmix import metrics
rng = np.random.default_rng(14)
labels = rng.integers(0, 5, size=1200)
X = rng.standard_normal((1200, 4)) + labels[:, None]
D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
out = {}
for metric in ("manhattan", "cosine", "correlation", "sqeuclidean", "chebyshev", "seuclidean", "mahalanobis",
               "precomputed"):
    s = metrics.silhouette_samples(D if metric == "precomputed" else X, labels, metric=metric)
    out[metric] = hashlib.sha256(s.tobytes()).hexdigest()
print(json.dumps(out))
"""


def test_other_metrics_bits_do_not_depend_on_threads(tmp_path):
    # OpenMP and BLAS thread counts (the mapped metrics use the C++ kernel, the others numpy).
    script = tmp_path / "sil_metrics.py"
    script.write_text(OTHER_METRICS_THREAD_SCRIPT)
    results = []
    for threads in (1, 2):
        env = {"OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        proc = run([sys.executable, str(script)], env_update=env, cwd=str(tmp_path))
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert results[0] == results[1]


# ---- memory ----------------------------------------------------------------------------------
MEMORY_SCRIPT = """
import json, resource, sys, time
import numpy as np
from kmix import metrics
rng = np.random.default_rng(21)
n = {n}
X = rng.standard_normal((n, 2)) + rng.integers(0, 5, size=(n, 1)) * 3.0
labels = rng.integers(0, 5, size=n)
np.save("X.npy", X); np.save("labels.npy", labels)
t0 = time.perf_counter()
s = metrics.silhouette_samples(X, labels)
score = metrics.silhouette_score(X, labels)
elapsed = time.perf_counter() - t0
np.save("s.npy", s)
try:  # this process's own peak: ru_maxrss would also count the parent's pages at fork time
    with open("/proc/self/status") as f:
        rss_mb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 2**10
except OSError:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mb = rss / 2**20 if sys.platform == "darwin" else rss / 2**10
print(json.dumps({{"rss_mb": rss_mb, "seconds": elapsed, "score": score}}))
"""


def test_silhouette_memory_is_not_quadratic(tmp_path):
    pytest.importorskip("resource")
    n = 30_000  # an n x n float64 matrix would be 7.2 GB
    script = tmp_path / "mem.py"
    script.write_text(MEMORY_SCRIPT.format(n=n))
    proc = run([sys.executable, str(script)], cwd=str(tmp_path), timeout=60)
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["rss_mb"] < 400, info  # peak of the whole process (Python, numpy, kmix included)
    X, labels, s = (np.load(tmp_path / f) for f in ("X.npy", "labels.npy", "s.npy"))
    assert s.shape == (n,) and np.all(np.abs(s) <= 1)
    rows = np.random.default_rng(0).choice(n, size=15, replace=False)
    np.testing.assert_allclose(s[rows], silhouette_formula(X, labels, rows), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(info["score"], s.mean(), rtol=1e-12)


OTHER_METRICS_MEMORY_SCRIPT = """
import json, sys
import numpy as np
from kmix import metrics
rng = np.random.default_rng(22)
n = {n}
labels = rng.integers(0, 5, size=n)
X = rng.standard_normal((n, 3)) + labels[:, None] * 2.0
def peak_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 2**10
before = peak_mb()
out = {{}}
for metric in ("manhattan", "cosine", "sqeuclidean", "correlation", "chebyshev"):
    out[metric] = metrics.silhouette_score(X, labels, metric=metric)
out["growth_mb"] = peak_mb() - before
np.save("X.npy", X); np.save("labels.npy", labels)
print(json.dumps(out))
"""


def test_other_metrics_memory_is_not_quadratic(tmp_path):
    # Closed forms and chunked blocks: no n x n matrix (3.2 GB here) for any of these metrics. The
    # peak's growth over the process's peak before the scores, with room for a sanitizer's
    # allocator (its quarantine alone keeps up to 256 MB of freed blocks).
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/self/status")
    n = 20_000
    script = tmp_path / "mem.py"
    script.write_text(OTHER_METRICS_MEMORY_SCRIPT.format(n=n))
    proc = run([sys.executable, str(script)], cwd=str(tmp_path), timeout=120)
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info.pop("growth_mb") < 800, info
    X, labels = np.load(tmp_path / "X.npy"), np.load(tmp_path / "labels.npy")
    rows = np.random.default_rng(0).choice(n, size=3000, replace=False)  # the references at a size they take
    for metric, score in info.items():
        assert -1 <= score <= 1
        sub = metrics.silhouette_score(X[rows], labels[rows], metric=metric)
        np.testing.assert_allclose(sub, skm.silhouette_score(X[rows], labels[rows], metric=metric), rtol=1e-9)
        np.testing.assert_allclose(score, sub, atol=0.05)  # the full score near the subsample's
