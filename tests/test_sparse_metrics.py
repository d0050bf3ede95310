"""The cluster scores on scipy.sparse X against scikit-learn's (issue 21, part 2): the silhouette
for every metric scikit-learn computes on sparse X, float32 and float64, int32 and int64 indices,
every sparse format, sample_size, sparse precomputed distances; the refusals (bad sparse input,
the metrics and scores scikit-learn refuses sparse X for); threads; direct calls of the kernel."""

import numpy as np
import pytest

sp = pytest.importorskip("scipy.sparse")
sk_metrics = pytest.importorskip("sklearn.metrics")

from kmix import _core  # noqa: E402
from kmix._sparse import as_csr  # noqa: E402
from kmix.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,  # noqa: E402
    silhouette_score,
)

# float64: both compute the same sums in float64, in another order. float32: kmix computes in
# float64 from the float32 values (the same as scikit-learn on X.astype(float64), to float64's
# tolerance) where scikit-learn rounds every distance and its per-cluster sums to float32 (its
# arrays keep X's dtype): they differ by float32's rounding, measured up to 1.5e-7 in a silhouette.
TOL = {np.float64: dict(rtol=1e-9, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}
METRICS = [
    ("euclidean", {}),
    ("l2", {}),
    ("euclidean", {"squared": True}),
    ("manhattan", {}),
    ("cityblock", {}),
    ("l1", {}),
    ("cosine", {}),
]


def make(n=120, d=40, density=0.08, k=4, dtype=np.float64, seed=0, zero_rows=5, index_dtype=np.int32):
    """Seeded sparse rows (values of both signs, some rows all zero) and labels with k clusters."""
    rng = np.random.RandomState(seed)
    X = sp.random(
        n,
        d,
        density=density,
        format="csr",
        dtype=np.float64,
        random_state=rng,
        data_rvs=lambda m: rng.uniform(-1.0, 1.0, m),
    )
    keep = np.ones(n)
    keep[rng.choice(n, zero_rows, replace=False)] = 0.0
    X = sp.csr_matrix(sp.diags(keep) @ X, dtype=dtype)
    X.eliminate_zeros()
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    labels = rng.permutation(np.arange(n) % k)
    return X, labels


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("metric,kwds", METRICS)
def test_silhouette_samples_as_sklearn(metric, kwds, dtype):
    X, labels = make(dtype=dtype)
    ours = silhouette_samples(X, labels, metric=metric, **kwds)
    theirs = sk_metrics.silhouette_samples(X, labels, metric=metric, **kwds)
    assert ours.dtype == np.float64 and ours.shape == (X.shape[0],)
    np.testing.assert_allclose(ours, theirs, **TOL[dtype])
    if dtype == np.float32:
        np.testing.assert_allclose(
            ours, sk_metrics.silhouette_samples(X.astype(np.float64), labels, metric=metric, **kwds), **TOL[np.float64]
        )


@pytest.mark.parametrize("metric,kwds", METRICS)
@pytest.mark.parametrize(
    "shape,density,k", [((300, 25), 0.3, 7), ((60, 500), 0.01, 2), ((40, 3), 0.5, 39), ((50, 1), 0.6, 3)]
)
def test_shapes_and_densities(metric, kwds, shape, density, k):
    X, labels = make(n=shape[0], d=shape[1], density=density, k=k, seed=k, zero_rows=2)
    np.testing.assert_allclose(
        silhouette_samples(X, labels, metric=metric, **kwds),
        sk_metrics.silhouette_samples(X, labels, metric=metric, **kwds),
        **TOL[np.float64],
    )


@pytest.mark.parametrize("metric,kwds", METRICS)
def test_int64_indices_same_bits(metric, kwds):
    X32, labels = make(index_dtype=np.int32, seed=3)
    X64, _ = make(index_dtype=np.int64, seed=3)
    assert as_csr(X64).indices.dtype == np.int64 and as_csr(X32).indices.dtype == np.int32
    ours = silhouette_samples(X64, labels, metric=metric, **kwds)
    np.testing.assert_array_equal(ours, silhouette_samples(X32, labels, metric=metric, **kwds))
    # (scikit-learn 1.9's sparse Manhattan distances refuse int64 indices: compared on int32.)
    np.testing.assert_allclose(
        ours, sk_metrics.silhouette_samples(X32, labels, metric=metric, **kwds), **TOL[np.float64]
    )


@pytest.mark.parametrize("fmt", ["csc", "coo", "lil", "dok", "bsr", "csr_array", "csc_array"])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_every_format_reads_as_csr(fmt, metric):
    X, labels = make(seed=5)  # (its rows' values are not stored in column order)
    Y = sp.csr_array(X).asformat(fmt[:3]) if fmt.endswith("_array") else X.asformat(fmt)
    # The same values; another order of a row's stored values only changes the rounding.
    np.testing.assert_allclose(
        silhouette_samples(Y, labels, metric=metric),
        silhouette_samples(X, labels, metric=metric),
        rtol=1e-12,
        atol=1e-15,
    )
    assert silhouette_score(Y, labels, metric=metric) == pytest.approx(
        sk_metrics.silhouette_score(Y, labels, metric=metric), rel=1e-9
    )


def test_duplicates_and_explicit_zeros():
    """COO duplicates are summed and stored zeros are zeros, as in scipy and scikit-learn."""
    X, labels = make(seed=6)
    coo = X.tocoo()
    half = coo.data / 2
    dup = sp.coo_matrix((np.r_[half, half], (np.r_[coo.row, coo.row], np.r_[coo.col, coo.col])), shape=X.shape)
    zeros = X.copy()
    zeros.data[::3] = 0.0  # stored, not eliminated
    for Y in (dup, zeros):
        for metric in ("euclidean", "manhattan", "cosine"):
            np.testing.assert_allclose(
                silhouette_samples(Y, labels, metric=metric),
                sk_metrics.silhouette_samples(Y, labels, metric=metric),
                **TOL[np.float64],
            )


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_many_unused_columns(metric):
    """Ten million columns, a few hundred values: the kernels renumber the columns in use; the
    same distances as the 40 columns spread out."""
    X, labels = make(n=50, d=40, density=0.1, k=3, seed=7, zero_rows=3)
    wide = sp.csr_matrix((X.data.copy(), X.indices * 250_000 + 7, X.indptr.copy()), shape=(50, 10_000_000))
    np.testing.assert_allclose(
        silhouette_samples(wide, labels, metric=metric),
        sk_metrics.silhouette_samples(X, labels, metric=metric),
        **TOL[np.float64],
    )


@pytest.mark.parametrize("fmt", ["csr", "csc", "lil"])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine", "precomputed"])
def test_sample_size_draws_sklearn_rows(fmt, metric):
    X, labels = make(n=150, seed=8)
    if metric == "precomputed":
        D = sk_metrics.pairwise_distances(X)
        D[D > np.median(D)] = 0.0  # absent entries: distance 0
        X = sp.csr_matrix(D)
    X = X.asformat(fmt)
    for seed in (0, 1, 2):
        ours = silhouette_score(X, labels, metric=metric, sample_size=60, random_state=seed)
        theirs = sk_metrics.silhouette_score(X, labels, metric=metric, sample_size=60, random_state=seed)
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_precomputed_sparse_as_sklearn(dtype, fmt):
    X, labels = make(n=80, seed=9)
    D = sk_metrics.pairwise_distances(X.toarray()) * (100 if dtype == np.int64 else 1)
    rng = np.random.RandomState(9)
    D[rng.uniform(size=D.shape) < 0.4] = 0.0  # not symmetric, many absent entries
    np.fill_diagonal(D, 0.0)
    S = sp.csr_matrix(D.astype(dtype)).asformat(fmt)
    np.testing.assert_allclose(
        silhouette_samples(S, labels, metric="precomputed"),
        sk_metrics.silhouette_samples(S, labels, metric="precomputed"),
        **TOL[np.float32 if dtype == np.float32 else np.float64],
    )


def test_precomputed_sparse_refusals():
    X, labels = make(n=30, seed=10)
    D = sp.csr_matrix(sk_metrics.pairwise_distances(X))
    bad_diag = D.tolil()
    bad_diag[3, 3] = 1e-3
    for Y, match in (
        (bad_diag.tocsr(), "diagonal"),
        (sp.csr_matrix(-D.toarray()), "Negative"),
        (sp.csr_matrix(D.toarray()[:, :-1]), "square"),
    ):
        with pytest.raises(ValueError, match=match):
            silhouette_samples(Y, labels, metric="precomputed")
        with pytest.raises(ValueError):
            sk_metrics.silhouette_samples(Y, labels, metric="precomputed")
    # 100 ulps of float32 on the diagonal are allowed, as in scikit-learn.
    tiny = D.astype(np.float32).tolil()
    tiny[2, 2] = 50 * np.finfo(np.float32).eps
    np.testing.assert_allclose(
        silhouette_samples(tiny, labels, metric="precomputed"),
        sk_metrics.silhouette_samples(tiny, labels, metric="precomputed"),
        **TOL[np.float32],
    )


def test_callable_gets_sparse_rows_as_sklearn():
    X, labels = make(n=30, d=8, density=0.3, seed=11)
    seen = []

    def l1(a, b):
        seen.append((sp.issparse(a), a.shape))
        return abs(a - b).sum()

    np.testing.assert_allclose(
        silhouette_samples(X, labels, metric=l1), sk_metrics.silhouette_samples(X, labels, metric=l1), **TOL[np.float64]
    )
    assert set(seen) == {(True, (1, 8))}


def test_haversine():
    """The haversine distances of the rows, as scikit-learn computes them on X.toarray(). (Not as
    scikit-learn 1.9 computes them on sparse X: its HaversineDistance.rdist_csr walks the two
    rows' stored values in lockstep, so the longer row's last value is dropped, and takes a
    value's column as `column % row_start`, column 0 for a row that starts at offset 1.)"""
    X, labels = make(n=40, d=2, density=0.7, seed=12)
    ours = silhouette_samples(X, labels, metric="haversine")
    np.testing.assert_allclose(
        ours, sk_metrics.silhouette_samples(X.toarray(), labels, metric="haversine"), **TOL[np.float64]
    )
    np.testing.assert_array_equal(ours, silhouette_samples(X.toarray(), labels, metric="haversine"))
    with pytest.raises(ValueError, match="2 features"):
        silhouette_samples(make(n=40, d=3, seed=12)[0], labels, metric="haversine")


@pytest.mark.parametrize("metric", ["sqeuclidean", "chebyshev", "minkowski", "nan_euclidean", "correlation"])
def test_metrics_sklearn_refuses_sparse(metric):
    X, labels = make(n=30, seed=13)
    with pytest.raises(TypeError):
        sk_metrics.silhouette_samples(X, labels, metric=metric)
    with pytest.raises(TypeError, match="sparse"):
        silhouette_samples(X, labels, metric=metric)


@pytest.mark.parametrize("score", [calinski_harabasz_score, davies_bouldin_score])
def test_ch_db_refuse_sparse(score):
    X, labels = make(n=30, seed=14)
    with pytest.raises(TypeError):
        getattr(sk_metrics, score.__name__)(X, labels)
    with pytest.raises(TypeError, match="X"):
        score(X, labels)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_data_refused(value):
    X, labels = make(n=30, seed=15)
    X.data[4] = value
    for func in (silhouette_samples, silhouette_score):
        for metric in ("euclidean", "cosine", "precomputed"):
            with pytest.raises(ValueError, match="NaN|infinity"):
                func(X if metric != "precomputed" else X[:, :30], labels, metric=metric)


def test_bad_structure_refused():
    X, labels = make(n=30, seed=16)
    bad = X.copy()
    bad.indices[2] = X.shape[1] + 5
    with pytest.raises(ValueError, match="indices"):
        silhouette_samples(bad, labels)
    with pytest.raises(ValueError, match="labels"):
        silhouette_samples(X, labels[:-1])


@pytest.mark.parametrize(
    "metric,kwds", [("euclidean", {}), ("euclidean", {"squared": True}), ("manhattan", {}), ("cosine", {})]
)
def test_bit_identical_for_any_thread_count(metric, kwds):
    X, labels = make(n=700, d=60, density=0.05, k=6, seed=17)
    one = silhouette_samples(X, labels, metric=metric, n_threads=1, **kwds)
    np.testing.assert_array_equal(one, silhouette_samples(X, labels, metric=metric, n_threads=2, **kwds))
    np.testing.assert_array_equal(one, silhouette_samples(X, labels, metric=metric, n_threads=3, **kwds))


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine", "precomputed"])
def test_nothing_stored(metric):
    """All distances 0: every silhouette 0, as in scikit-learn."""
    X = sp.csr_matrix((10, 10 if metric == "precomputed" else 4))
    labels = np.arange(10) % 3
    np.testing.assert_array_equal(
        silhouette_samples(X, labels, metric=metric), sk_metrics.silhouette_samples(X, labels, metric=metric)
    )


@pytest.mark.parametrize("e", [600, -600])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_any_finite_magnitude(e, metric):
    """The silhouette does not change when X is scaled by a power of two (exact), whatever the
    magnitude; scikit-learn's squared norms would overflow (or underflow) there."""
    X, labels = make(seed=18)
    Y = X.copy()
    Y.data = np.ldexp(Y.data, e)
    np.testing.assert_array_equal(
        silhouette_samples(Y, labels, metric=metric), silhouette_samples(X, labels, metric=metric)
    )


def test_kernel_checks_its_arrays():
    """A direct call of the binding cannot make the kernel read out of bounds."""
    X, labels = make(n=20, seed=19)
    c = as_csr(X)
    order = np.argsort(labels, kind="stable")
    s = c.take_rows(order)
    starts = np.r_[0, np.cumsum(np.bincount(labels))].astype(np.int64)
    d = X.shape[1]
    ok = _core.silhouette_csr(s.data, s.indices, s.indptr, d, starts, "euclidean", 1)
    np.testing.assert_allclose(ok[np.argsort(order)], sk_metrics.silhouette_samples(X, labels), **TOL[np.float64])
    bad_col = s.indices.copy()
    bad_col[0] = d
    bad_ptr = s.indptr.copy()
    bad_ptr[3], bad_ptr[4] = bad_ptr[4], bad_ptr[3] - 1
    cases = [
        (ValueError, (s.data, bad_col, s.indptr, d, starts, "euclidean", 1)),
        (ValueError, (s.data, s.indices, bad_ptr, d, starts, "euclidean", 1)),
        (ValueError, (s.data[:-1], s.indices, s.indptr, d, starts, "euclidean", 1)),
        (ValueError, (s.data, s.indices, s.indptr[:-1], d, starts, "euclidean", 1)),
        (ValueError, (s.data, s.indices, s.indptr, 0, starts, "euclidean", 1)),
        (ValueError, (s.data, s.indices, s.indptr, d, starts[:-1], "euclidean", 1)),
        (ValueError, (s.data, s.indices, s.indptr, d, starts, "chebyshev", 1)),
        (TypeError, (s.data, s.indices, s.indptr.astype(np.int64), d, starts, "euclidean", 1)),
        (TypeError, (s.data.astype(np.float16), s.indices, s.indptr, d, starts, "euclidean", 1)),
        (TypeError, (s.data, s.indices.astype(np.uint32), s.indptr, d, starts, "euclidean", 1)),
    ]
    for err, args in cases:
        with pytest.raises(err):
            _core.silhouette_csr(*args)
