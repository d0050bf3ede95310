"""kmix.metrics (silhouette, Calinski-Harabasz, Davies-Bouldin) against scikit-learn's metrics and
the silhouette formula written in numpy, on generated data."""
import hashlib
import json
import sys

import numpy as np
import pytest
import sklearn.metrics as skm

import kmix
from kmix import metrics
from conftest import make_blobs, run

KS = [2, 3, 5, 8]


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
    np.testing.assert_allclose(metrics.calinski_harabasz_score(Xin, lab), skm.calinski_harabasz_score(ref, lab),
                               rtol=rtol_of(dtype))
    np.testing.assert_allclose(metrics.davies_bouldin_score(Xin, lab), skm.davies_bouldin_score(ref, lab),
                               rtol=rtol_of(dtype))


def test_integer_X_matches_sklearn():
    # Integer data on a small grid: many duplicate points and tied distances.
    rng = np.random.default_rng(5)
    X = rng.integers(0, 4, size=(150, 2))
    labels = rng.integers(0, 4, size=150)
    np.testing.assert_allclose(metrics.silhouette_samples(X, labels), skm.silhouette_samples(X, labels),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(metrics.calinski_harabasz_score(X, labels), skm.calinski_harabasz_score(X, labels),
                               rtol=1e-9)
    np.testing.assert_allclose(metrics.davies_bouldin_score(X, labels), skm.davies_bouldin_score(X, labels),
                               rtol=1e-9)


# ---- conventions -----------------------------------------------------------------------------
def test_singleton_clusters_have_silhouette_zero(dtype):
    X, labels = data(3, dtype, n=60, d=2)
    labels = labels.copy()
    labels[[5, 17]] = [7, 9]  # two points alone in their clusters
    s = metrics.silhouette_samples(X, labels)
    assert s[5] == 0.0 and s[17] == 0.0
    assert_sil_close(s, skm.silhouette_samples(X, labels), dtype)
    np.testing.assert_allclose(metrics.silhouette_score(X, labels), skm.silhouette_score(X, labels),
                               rtol=rtol_of(dtype), atol=1e-12)


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
    np.testing.assert_allclose(metrics.calinski_harabasz_score(X, labels),
                               skm.calinski_harabasz_score(X, sk_labels), rtol=1e-9)
    np.testing.assert_allclose(metrics.davies_bouldin_score(X, labels), skm.davies_bouldin_score(X, sk_labels),
                               rtol=1e-9)


def test_bool_labels():
    X, codes = data(2, n=80, d=2, seed=9)
    labels = codes == 1
    np.testing.assert_allclose(metrics.silhouette_samples(X, labels), skm.silhouette_samples(X, labels),
                               rtol=1e-9, atol=1e-12)


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
    np.testing.assert_allclose(got, silhouette_formula(X[idx], labels[idx]).mean(),
                               rtol=1e-9 if dtype == np.float64 else 1e-5, atol=1e-12)


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


def test_ch_db_with_singletons(dtype):
    X, labels = data(3, dtype, n=50, d=2)
    labels = labels.copy()
    labels[[0, 1]] = [5, 6]
    np.testing.assert_allclose(metrics.calinski_harabasz_score(X, labels), skm.calinski_harabasz_score(X, labels),
                               rtol=rtol_of(dtype))
    np.testing.assert_allclose(metrics.davies_bouldin_score(X, labels), skm.davies_bouldin_score(X, labels),
                               rtol=rtol_of(dtype))


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
    np.testing.assert_allclose(metrics.calinski_harabasz_score(X2, labels2),
                               skm.calinski_harabasz_score(X2, labels2), rtol=1e-12, atol=1e-12)
    # Three clusters, two sharing their centroid exactly: that pair is ignored.
    X3 = np.concatenate([X2, np.array([[6.0, 6.0], [7.0, 6.0]], dtype=dtype)])
    labels3 = np.array([0, 0, 1, 1, 2, 2])
    np.testing.assert_allclose(metrics.davies_bouldin_score(X3, labels3), skm.davies_bouldin_score(X3, labels3),
                               rtol=rtol_of(dtype))


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
    for call in (lambda: metrics.silhouette_samples(X, labels, metric=metric),
                 lambda: metrics.silhouette_score(X, labels, metric=metric),
                 lambda: metrics.silhouette_score(X, labels, metric=metric, sample_size=10, random_state=0)):
        with pytest.raises(exc, match="metric"):
            call()


def test_metric_euclidean_explicit():
    X, labels = small()
    np.testing.assert_array_equal(metrics.silhouette_samples(X, labels, metric="euclidean"),
                                  metrics.silhouette_samples(X, labels))


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


@pytest.mark.parametrize("X", [np.zeros(10), np.zeros((0, 2)), np.zeros((10, 0)), np.zeros((10, 2, 2))],
                         ids=["1d", "no_rows", "no_features", "3d"])
def test_bad_X_shape(X):
    labels = np.arange(max(len(X), 1)) % 2
    for name in scorer_ids:
        with pytest.raises(ValueError, match="X"):
            SCORERS[name](X, labels)


def test_bad_X_type():
    labels = np.arange(4) % 2
    with pytest.raises(TypeError, match="X"):
        metrics.silhouette_samples(np.array([["a", "b"]] * 4), labels)
    with pytest.raises(TypeError, match="X"):
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
