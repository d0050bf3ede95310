"""Sparse X (issue 21): kmix.KMeans, MiniBatchKMeans and kmeans_plusplus on scipy.sparse input
against scikit-learn on the same data, which the tests generate (TF-IDF-like rows and
scipy.sparse.random, with empty rows), plus the checks on bad sparse input."""

import platform
import warnings

import numpy as np
import pytest

sp = pytest.importorskip("scipy.sparse")
from sklearn.cluster import KMeans as SkKMeans  # noqa: E402
from sklearn.cluster import MiniBatchKMeans as SkMiniBatchKMeans  # noqa: E402
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus  # noqa: E402

import kmix  # noqa: E402
from kmix import _core  # noqa: E402
from conftest import RTOL, assert_centers_close, patch_core  # noqa: E402


def tfidf_like(n, d, density, seed, dtype=np.float64, topics=5, empty=5, unit=False):
    """Nonnegative rows of Zipf-distributed terms, each row drawn from one of a few topics (so that
    there are clusters to find), the first `empty` rows left empty. unit: L2-normalised rows, as
    TfidfVectorizer makes them; otherwise each row's length is drawn in [0.5, 2]. (With unit rows,
    seeds taken from the rows all have ‖c‖² = 1 in exact arithmetic, and an empty row, or one
    sharing no term with any seed, ties between them: the last bit of ‖c‖² decides, which numpy
    and scikit-learn round differently across versions and CPUs.)"""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, d + 1)
    prefs = [popularity[rng.permutation(d)] for _ in range(topics)]
    prefs = [p / p.sum() for p in prefs]
    rows, cols = [], []
    per_row = np.maximum(1, rng.poisson(density * d, size=n))
    for i in range(empty, n):
        terms = rng.choice(d, size=min(per_row[i], d), replace=False, p=prefs[rng.integers(topics)])
        rows.append(np.full(terms.size, i))
        cols.append(terms)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    counts = 1.0 + rng.poisson(2.0, size=rows.size)
    X = sp.csr_matrix((counts, (rows, cols)), shape=(n, d))
    df = np.bincount(X.indices, minlength=d)
    X = X.multiply(np.log((1 + n) / (1 + df)) + 1).tocsr()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    if not unit:
        norms /= rng.uniform(0.5, 2.0, n)
    X = sp.diags(1 / norms) @ X
    X = X.tocsr().astype(dtype)
    X.sort_indices()
    return X


def random_sparse(n, d, density, seed, dtype=np.float64):
    """scipy.sparse.random with a seeded RNG, values in [-1, 1), a few rows emptied."""
    rng = np.random.default_rng(seed)
    X = sp.random(
        n,
        d,
        density=density,
        format="csr",
        dtype=np.float64,
        random_state=rng,
        data_rvs=lambda m: rng.uniform(-1, 1, m),
    ).tolil()
    for i in rng.choice(n, size=3, replace=False):
        X[i] = 0
    return X.tocsr().astype(dtype)


def with_int64(X):
    """X with int64 index arrays (scipy's constructors pick int32 when the values fit)."""
    X = X.copy()
    X.indices, X.indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    assert X.indices.dtype == np.int64 and X.indptr.dtype == np.int64
    return X


def dense_rows(X, k, seed):
    rng = np.random.default_rng(seed)
    nonempty = np.flatnonzero(np.diff(X.indptr))
    return X[rng.choice(nonempty, size=k, replace=False)].toarray()


def assert_same_fit(ours, theirs, dtype):
    assert isinstance(ours.cluster_centers_, np.ndarray)
    assert ours.cluster_centers_.dtype == theirs.cluster_centers_.dtype == dtype
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    assert_centers_close(ours.cluster_centers_, theirs.cluster_centers_, dtype)
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=RTOL[np.dtype(dtype)])


DATA = {
    "tfidf": lambda dtype, seed: tfidf_like(600, 300, 0.02, seed, dtype),
    "random": lambda dtype, seed: random_sparse(500, 80, 0.1, seed, dtype),
}


# ---- KMeans against scikit-learn ------------------------------------------------------------------
@pytest.mark.parametrize("data", list(DATA))
@pytest.mark.parametrize("index", ["int32", "int64"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("init", ["k-means++", "random", "array", "callable"])
def test_kmeans_same_as_sklearn(data, index, weighted, init, dtype):
    X = DATA[data](dtype, 1)
    k = 6
    sw = np.random.default_rng(2).uniform(0.2, 3.0, X.shape[0]) if weighted else None
    if init == "array":
        init = dense_rows(X, k, 3)
    elif init == "callable":

        def init(X, k, random_state):  # noqa: E306 - receives CSR, as scikit-learn's callable does
            assert sp.issparse(X) and X.format == "csr"
            return X[random_state.choice(X.shape[0], k, replace=False)].toarray()

    n_init = 1 if isinstance(init, np.ndarray) else 2
    ours_X = with_int64(X) if index == "int64" else X
    ours = kmix.KMeans(k, init=init, n_init=n_init, random_state=5).fit(ours_X, sample_weight=sw)
    theirs = SkKMeans(k, init=init, n_init=n_init, random_state=5).fit(X, sample_weight=sw)
    assert_same_fit(ours, theirs, dtype)
    # The fitted model on sparse input: predict, transform and score, as scikit-learn's.
    np.testing.assert_array_equal(ours.predict(ours_X), theirs.predict(X))
    np.testing.assert_array_equal(ours.predict(ours_X), ours.labels_)
    rtol = RTOL[np.dtype(dtype)]
    # a distance near 0 is the root of ‖x‖² − 2x·c + ‖c‖²'s cancellation: ~sqrt(eps)·‖x‖ of noise
    noise = 4 * np.sqrt(np.finfo(dtype).eps) * float(np.sqrt(X.multiply(X).sum(axis=1).max()))
    np.testing.assert_allclose(ours.transform(ours_X), theirs.transform(X), rtol=rtol, atol=max(rtol, noise))
    np.testing.assert_allclose(ours.score(ours_X, sample_weight=sw), theirs.score(X, sample_weight=sw), rtol=rtol)


def with_full_row(X, row=0):
    """X with row `row` holding every feature (a dense row among sparse ones)."""
    X = X.tolil()
    X[row] = np.random.default_rng(row).uniform(0.5, 1.5, X.shape[1])
    return X.tocsr()


# (n, d, density, k, empty rows): d = 1, all features stored, k = n, a very sparse wide matrix.
SHAPES = [
    (60, 1, 0.5, 3, True),
    (40, 7, 1.0, 5, False),
    (25, 10, 0.4, 25, False),
    (300, 2000, 0.003, 8, True),
    (120, 40, 0.08, 4, True),
]


@pytest.mark.skipif(
    platform.machine() not in ("x86_64", "AMD64") or np.lib.NumpyVersion(np.__version__) < "2.0.0",
    reason="exact ties broken by the last bit of numpy's einsum, which kmix follows on x86-64, numpy 2",
)
@pytest.mark.parametrize("init", ["k-means++", "callable"])
def test_unit_rows_ties_broken_as_numpy(init, dtype):
    # TfidfVectorizer's unit rows: seeds tie at ‖c‖² = 1 for the rows they share no term with
    X = tfidf_like(600, 300, 0.02, 1, dtype, unit=True)
    if init == "callable":

        def init(X, k, random_state):  # noqa: E306
            return X[random_state.choice(X.shape[0], k, replace=False)].toarray()

    ours = kmix.KMeans(6, init=init, n_init=2, random_state=5).fit(X)
    theirs = SkKMeans(6, init=init, n_init=2, random_state=5).fit(X)
    assert_same_fit(ours, theirs, dtype)


@pytest.mark.parametrize("shape", SHAPES, ids=[f"{n}x{d}-p{p}-k{k}" for n, d, p, k, _ in SHAPES])
@pytest.mark.parametrize("init", ["k-means++", "array"])
def test_many_shapes_same_as_sklearn(shape, init, dtype):
    n, d, density, k, empty = shape
    rng = np.random.default_rng(n + d)
    X = sp.random(n, d, density=density, format="csr", random_state=rng, data_rvs=lambda m: rng.uniform(0.1, 2, m))
    X = with_full_row(X, row=n - 1).astype(dtype)
    if empty:
        X = X.tolil()
        X[0] = 0
        X = X.tocsr()
    if k == n:  # every row its own cluster: the rows must be distinct
        X = sp.csr_matrix(X.toarray() + np.arange(n)[:, None].astype(dtype)).astype(dtype)
    start = X[np.random.default_rng(3).choice(n, k, replace=False)].toarray() if init == "array" else init
    ours = kmix.KMeans(k, init=start, n_init=1, random_state=0).fit(X)
    theirs = SkKMeans(k, init=start, n_init=1, random_state=0).fit(X)
    np.testing.assert_array_equal(ours.predict(X), ours.labels_)
    if k == n:
        # Each row is its center: the inertia is 0 up to the rounding of ‖x‖² + ‖c‖² − 2·x·c,
        # which is all there is to compare
        np.testing.assert_array_equal(np.sort(ours.labels_), np.arange(n))
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
        assert_centers_close(ours.cluster_centers_, theirs.cluster_centers_, dtype)
        scale = float(X.multiply(X).sum())
        assert 0 <= ours.inertia_ <= 64 * np.finfo(dtype).eps * scale
        return
    assert_same_fit(ours, theirs, dtype)


def test_fit_predict_and_fit_transform(dtype):
    X = tfidf_like(400, 200, 0.03, 7, dtype)
    ours = kmix.KMeans(5, random_state=0)
    theirs = SkKMeans(5, random_state=0)
    np.testing.assert_array_equal(ours.fit_predict(X), theirs.fit_predict(X))
    T_ours, T_theirs = ours.fit_transform(X), theirs.fit_transform(X)
    assert T_ours.dtype == dtype and T_ours.shape == (400, 5)
    np.testing.assert_allclose(T_ours, T_theirs, rtol=RTOL[np.dtype(dtype)], atol=RTOL[np.dtype(dtype)])


@pytest.mark.parametrize("max_iter", [1, 2, 5])
@pytest.mark.parametrize("tol", [0.0, 1e-4, 1e-2])
def test_stopping_same_as_sklearn(max_iter, tol):
    X = random_sparse(400, 50, 0.15, 4)
    init = dense_rows(X, 7, 4)
    ours = kmix.KMeans(7, init=init, n_init=1, max_iter=max_iter, tol=tol).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = SkKMeans(7, init=init, n_init=1, max_iter=max_iter, tol=tol).fit(X)
    assert_same_fit(ours, theirs, np.float64)


def test_tolerance_is_sklearns():
    from sklearn.cluster._kmeans import _tolerance

    from kmix._sparse import as_csr, mean_variance

    for dtype in (np.float32, np.float64):
        X = random_sparse(300, 40, 0.2, 9, dtype)
        np.testing.assert_allclose(mean_variance(as_csr(X)) * 1e-4, _tolerance(X, 1e-4), rtol=1e-6)


def test_elkan_on_sparse_matches_sklearns_elkan(dtype):
    # Not TF-IDF rows: there, a row sharing no term with any center is at distance ‖x‖² + ‖c‖² of
    # every center, a tie that scikit-learn's Elkan (unlike its Lloyd) breaks by its own rounding.
    X = random_sparse(500, 60, 0.1, 11, dtype)
    init = dense_rows(X, 6, 11)
    ours = kmix.KMeans(6, init=init, n_init=1, algorithm="elkan").fit(X)
    theirs = SkKMeans(6, init=init, n_init=1, algorithm="elkan").fit(X)
    assert_same_fit(ours, theirs, dtype)


def test_empty_cluster_relocation_same_as_sklearn(dtype):
    # A center far from every row: its cluster is empty after the first assignment, and takes the
    # row farthest from its center (scikit-learn's _relocate_empty_clusters_sparse).
    # Not TF-IDF rows, many of which are at the same largest distance (2, orthogonal to their
    # normalised center) up to an ulp, where scikit-learn's argpartition picks any.
    X = random_sparse(300, 40, 0.15, 13, dtype)
    init = dense_rows(X, 5, 13)
    init[2] = 50.0
    ours = kmix.KMeans(5, init=init, n_init=1).fit(X)
    theirs = SkKMeans(5, init=init, n_init=1).fit(X)
    assert_same_fit(ours, theirs, dtype)
    assert np.bincount(ours.labels_, minlength=5).min() > 0


def test_formats_converted_once_same_result():
    X = random_sparse(300, 30, 0.2, 17)
    init = dense_rows(X, 4, 17)
    ref = kmix.KMeans(4, init=init, n_init=1).fit(X)
    for other in (X.tocsc(), X.tocoo(), sp.csr_array(X), sp.csc_array(X), sp.coo_array(X), X.tolil(), X.todok()):
        got = kmix.KMeans(4, init=init, n_init=1).fit(other)
        np.testing.assert_array_equal(got.labels_, ref.labels_)
        np.testing.assert_array_equal(got.cluster_centers_, ref.cluster_centers_)
        np.testing.assert_array_equal(got.predict(other), ref.labels_)


def test_integer_and_bool_data_become_float64():
    X = (random_sparse(200, 20, 0.3, 19) > 0).astype(np.int64)
    ours = kmix.KMeans(3, random_state=0).fit(X)
    theirs = SkKMeans(3, random_state=0).fit(X)
    assert ours.cluster_centers_.dtype == np.float64
    assert_same_fit(ours, theirs, np.float64)


# ---- k-means++ ------------------------------------------------------------------------------------
@pytest.mark.parametrize("index", ["int32", "int64"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_kmeans_plusplus_same_rows(index, weighted):
    X = tfidf_like(800, 400, 0.02, 23)
    sw = np.random.default_rng(1).uniform(0.5, 2, X.shape[0]) if weighted else None
    ours_X = with_int64(X) if index == "int64" else X
    centers, idx = kmix.kmeans_plusplus(ours_X, 12, sample_weight=sw, random_state=3)
    sk_centers, sk_idx = sk_kmeans_plusplus(X, 12, sample_weight=sw, random_state=3)
    np.testing.assert_array_equal(idx, sk_idx)
    assert isinstance(centers, np.ndarray)
    np.testing.assert_array_equal(centers, sk_centers)


def test_kmeans_plusplus_float32_gives_dense_float32_centers():
    X = tfidf_like(300, 100, 0.05, 29, np.float32)
    centers, idx = kmix.kmeans_plusplus(X, 5, random_state=0)
    assert centers.dtype == np.float32 and centers.shape == (5, 100)
    np.testing.assert_array_equal(centers, X[idx].toarray())


# ---- determinism ----------------------------------------------------------------------------------
def test_one_and_two_threads_bit_identical(dtype):
    X = tfidf_like(5000, 400, 0.02, 31, dtype)
    runs = []
    for n_threads in (1, 2):
        km = kmix.KMeans(8, n_init=2, init="random", random_state=0, n_threads=n_threads).fit(X)
        seeds = kmix.kmeans_plusplus(X, 8, random_state=1, n_threads=n_threads)[1]
        mb = kmix.MiniBatchKMeans(8, random_state=0, batch_size=512, n_threads=n_threads).fit(X)
        runs.append(
            (
                km.cluster_centers_,
                km.labels_,
                km.inertia_,
                km.transform(X),
                km.score(X),
                seeds,
                mb.cluster_centers_,
                mb.labels_,
                mb.inertia_,
            )
        )
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


# ---- magnitudes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("e", [-450, 450])
def test_extreme_magnitudes_float64(e):
    X = random_sparse(300, 30, 0.2, 37)
    init = dense_rows(X, 4, 37)
    ref = kmix.KMeans(4, init=init, n_init=1).fit(X)
    big = X.copy()
    big.data = np.ldexp(big.data, e)
    got = kmix.KMeans(4, init=np.ldexp(init, e), n_init=1).fit(big)
    np.testing.assert_array_equal(got.labels_, ref.labels_)
    assert got.n_iter_ == ref.n_iter_
    np.testing.assert_array_equal(got.cluster_centers_, np.ldexp(ref.cluster_centers_, e))
    np.testing.assert_allclose(got.inertia_, np.ldexp(ref.inertia_, 2 * e), rtol=1e-12)
    np.testing.assert_array_equal(got.predict(big), ref.labels_)
    np.testing.assert_array_equal(got.transform(big), np.ldexp(ref.transform(X), e))
    mb_ref = kmix.MiniBatchKMeans(4, init=init, random_state=0, batch_size=64).fit(X)
    mb = kmix.MiniBatchKMeans(4, init=np.ldexp(init, e), random_state=0, batch_size=64).fit(big)
    np.testing.assert_array_equal(mb.cluster_centers_, np.ldexp(mb_ref.cluster_centers_, e))


def test_extreme_magnitude_float32():
    X = random_sparse(300, 30, 0.2, 41, np.float32)
    ref = kmix.KMeans(4, random_state=0).fit(X)
    big = X.copy()
    big.data = np.ldexp(big.data, 60).astype(np.float32)
    got = kmix.KMeans(4, random_state=0).fit(big)
    np.testing.assert_array_equal(got.labels_, ref.labels_)
    np.testing.assert_array_equal(got.cluster_centers_, np.ldexp(ref.cluster_centers_, 60).astype(np.float32))


# ---- MiniBatchKMeans ------------------------------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_minibatch_fit_same_as_sklearn(weighted, init, dtype):
    X = tfidf_like(2000, 300, 0.02, 43, dtype)
    sw = np.random.default_rng(3).uniform(0.5, 2, X.shape[0]) if weighted else None
    params = dict(init=init, batch_size=200, random_state=7, max_iter=5, tol=1e-4 if init == "random" else 0.0)
    ours = kmix.MiniBatchKMeans(6, **params).fit(X, sample_weight=sw)
    theirs = SkMiniBatchKMeans(6, **params).fit(X, sample_weight=sw)
    assert ours.n_steps_ == theirs.n_steps_
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert_centers_close(ours.cluster_centers_, theirs.cluster_centers_, dtype)
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=RTOL[np.dtype(dtype)])


def test_minibatch_partial_fit_same_as_sklearn(dtype):
    X = with_int64(tfidf_like(1000, 200, 0.03, 47, dtype))
    X32 = tfidf_like(1000, 200, 0.03, 47, dtype)
    ours = kmix.MiniBatchKMeans(5, random_state=0)
    theirs = SkMiniBatchKMeans(5, random_state=0)
    for start in range(0, 1000, 100):
        ours.partial_fit(X[start : start + 100])
        theirs.partial_fit(X32[start : start + 100])
        assert_centers_close(ours.cluster_centers_, theirs.cluster_centers_, dtype)
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X32))


@pytest.mark.parametrize("index", [np.int32, np.int64])
def test_minibatch_step_on_rows_is_the_step_on_the_gathered_batch(dtype, index):
    # fit passes X and the batch's rows (the kernel gathers them); partial_fit passes the batch itself
    X = tfidf_like(400, 60, 0.08, 59, dtype)
    X = with_int64(X) if index == np.int64 else X
    rows = np.random.default_rng(1).integers(0, 400, 96).astype(np.int64)
    batch = X[rows]
    centers = dense_rows(X, 5, 2).astype(dtype)
    outs = []
    for csr, r in ((X, rows), (batch, None)):
        new, sums = np.empty_like(centers), np.full(5, 3.0, dtype=dtype)
        got = _core.sparse_minibatch_step(csr.data, csr.indices, csr.indptr, 60, None, centers, new, sums, r, 2)
        outs.append((got["labels"], got["inertia"], new, sums))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    # and the centers moved as the update rule says, from the batch's labels
    labels, _, new, sums = outs[0]
    dense = batch.toarray().astype(np.float64)
    for c in range(5):
        mine = labels == c
        if mine.any():
            expected = (centers[c].astype(np.float64) * 3.0 + dense[mine].sum(0)) / (3.0 + mine.sum())
            np.testing.assert_allclose(new[c], expected, rtol=RTOL[np.dtype(dtype)])
        else:
            np.testing.assert_array_equal(new[c], centers[c])


def test_minibatch_step_refuses_a_batch_past_int32_offsets():
    # one row of 2^20 values drawn 2^11 times: 2^31 gathered values, one past int32's offsets
    n_values = 2**20
    data = np.ones(n_values, dtype=np.float32)
    indices = np.arange(n_values, dtype=np.int32)
    indptr = np.array([0, n_values], dtype=np.int32)
    rows = np.zeros(2**11, dtype=np.int64)
    centers = np.zeros((2, n_values), dtype=np.float32)
    with pytest.raises(ValueError, match="int64 indices"):
        _core.sparse_minibatch_step(
            data, indices, indptr, n_values, None, centers, centers.copy(), np.zeros(2, dtype=np.float32), rows, 1
        )


# ---- bad and unusual input ------------------------------------------------------------------------
def test_unsorted_indices_accepted():
    X = random_sparse(200, 25, 0.3, 53)
    shuffled = X.copy()
    rng = np.random.default_rng(0)
    for i in range(X.shape[0]):  # reverse and shuffle each row's entries
        lo, hi = X.indptr[i], X.indptr[i + 1]
        perm = lo + rng.permutation(hi - lo)
        shuffled.indices[lo:hi], shuffled.data[lo:hi] = X.indices[perm], X.data[perm]
    shuffled.has_sorted_indices = False
    init = dense_rows(X, 3, 53)
    ours = kmix.KMeans(3, init=init, n_init=1).fit(shuffled)
    theirs = SkKMeans(3, init=init, n_init=1).fit(X)
    assert_same_fit(ours, theirs, np.float64)


def misaligned(a):
    """A copy of a whose data start one byte into a buffer (as an unpickled array may)."""
    buf = np.zeros(a.nbytes + 1, dtype=np.uint8)
    out = np.frombuffer(buf.data, dtype=a.dtype, count=a.size, offset=1).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned
    return out


def test_misaligned_arrays_accepted():
    """A matrix whose data, indices and indptr are misaligned (dask sends chunks pickled): the
    same fit, predict, seeding and mini-batch steps as on its aligned copy."""
    X = random_sparse(200, 25, 0.3, 54)
    odd = sp.csr_matrix((misaligned(X.data), misaligned(X.indices), misaligned(X.indptr)), shape=X.shape)
    assert not (odd.data.flags.aligned or odd.indices.flags.aligned or odd.indptr.flags.aligned)
    init = dense_rows(X, 3, 54)
    ours, ref = kmix.KMeans(3, init=init).fit(odd), kmix.KMeans(3, init=init).fit(X)
    np.testing.assert_array_equal(ours.cluster_centers_, ref.cluster_centers_)
    np.testing.assert_array_equal(ours.predict(odd), ref.labels_)
    np.testing.assert_array_equal(
        kmix.kmeans_plusplus(odd, 3, random_state=0)[1], kmix.kmeans_plusplus(X, 3, random_state=0)[1]
    )
    mb = kmix.MiniBatchKMeans(3, init=init, batch_size=50, random_state=0, n_init=1)
    np.testing.assert_array_equal(mb.fit(odd).cluster_centers_, mb.fit(X).cluster_centers_)


def test_duplicates_summed():
    data = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    indices = np.array([0, 0, 2, 1, 1, 1])
    indptr = np.array([0, 3, 6, 6])
    X = sp.csr_matrix((data, indices, indptr), shape=(3, 3))
    summed = X.copy()
    summed.sum_duplicates()
    ours = kmix.KMeans(2, init=np.array([[0.0, 0, 0], [1, 1, 1]]), n_init=1).fit(X)
    ref = kmix.KMeans(2, init=np.array([[0.0, 0, 0], [1, 1, 1]]), n_init=1).fit(summed)
    np.testing.assert_array_equal(ours.cluster_centers_, ref.cluster_centers_)
    np.testing.assert_array_equal(ours.transform(X), ref.transform(summed))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", ["fit", "predict", "kmeans_plusplus", "minibatch"])
def test_non_finite_data_rejected(bad, method, monkeypatch):
    X = random_sparse(50, 10, 0.3, 59)
    fitted = kmix.KMeans(3, random_state=0).fit(X)
    X.data[3] = bad
    patch_core(monkeypatch)
    call = {
        "fit": lambda: kmix.KMeans(3).fit(X),
        "predict": lambda: fitted.predict(X),
        "kmeans_plusplus": lambda: kmix.kmeans_plusplus(X, 3),
        "minibatch": lambda: kmix.MiniBatchKMeans(3).fit(X),
    }[method]
    with pytest.raises(ValueError, match="X"):
        call()


def test_indices_out_of_range_rejected(monkeypatch):
    X = sp.csr_matrix((np.ones(3), np.array([0, 5, 1]), np.array([0, 2, 3])), shape=(2, 4))
    patch_core(monkeypatch)
    with pytest.raises(ValueError, match="indices"):
        kmix.KMeans(1).fit(X)


def test_init_shape_against_n_features(monkeypatch):
    X = random_sparse(60, 10, 0.3, 61)
    patch_core(monkeypatch)
    with pytest.raises(ValueError, match="init"):
        kmix.KMeans(3, init=np.zeros((3, 9))).fit(X)
    with pytest.raises(ValueError, match="init"):
        kmix.KMeans(3, init=np.zeros((2, 10))).fit(X)


def test_predict_checks_n_features():
    X = random_sparse(60, 10, 0.3, 67)
    km = kmix.KMeans(3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        km.predict(random_sparse(5, 11, 0.5, 0))


def test_soft_kmeans_refuses_sparse():
    X = random_sparse(60, 10, 0.3, 71)
    with pytest.raises(TypeError, match="X"):
        kmix.SoftKMeans(3).fit(X)
    soft = kmix.SoftKMeans(3, random_state=0).fit(X.toarray())
    with pytest.raises(TypeError, match="X"):
        soft.predict(X)


# ---- the bindings on their own ----------------------------------------------------------------------
def _csr_parts(X):
    return X.data, X.indices, X.indptr, X.shape[1]


def test_bindings_check_the_structure():
    X = random_sparse(20, 6, 0.5, 73)
    C = X[:3].toarray()
    data, indices, indptr, d = _csr_parts(X)
    with pytest.raises(ValueError, match="indices"):
        _core.sparse_assign(data, indices[:-1], indptr, d, C, 1)
    bad = indices.copy()
    bad[0] = d
    with pytest.raises(ValueError, match="indices"):
        _core.sparse_assign(data, bad, indptr, d, C, 1)
    bad = indptr.copy()
    bad[1] = bad[-1]  # then indptr decreases
    assert bad[2] < bad[1]
    with pytest.raises(ValueError, match="indptr"):
        _core.sparse_assign(data, indices, bad, d, C, 1)
    bad = indptr.copy()
    bad[-1] -= 1
    with pytest.raises(ValueError, match="indptr"):
        _core.sparse_assign(data, indices, bad, d, C, 1)
    with pytest.raises(ValueError, match="centers"):
        _core.sparse_assign(data, indices, indptr, d, np.ascontiguousarray(C[:, :-1]), 1)
    with pytest.raises(TypeError, match="indices"):
        _core.sparse_assign(data, indices.astype(np.int16), indptr, d, C, 1)
    with pytest.raises(TypeError, match="indptr"):
        _core.sparse_assign(data, indices.astype(np.int64), indptr.astype(np.int32), d, C, 1)
    with pytest.raises(TypeError, match="centers"):
        _core.sparse_assign(data, indices, indptr, d, C.astype(np.float32), 1)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_kernels_never_return_a_label_out_of_range(bad):
    X = random_sparse(100, 8, 0.5, 79)
    C = X[:4].toarray()
    data = X.data.copy()
    data[::7] = bad
    labels = _core.sparse_assign(data, X.indices, X.indptr, 8, C, 2)
    assert labels.min() >= 0 and labels.max() < 4
    C[1:] = bad
    labels = _core.sparse_assign(X.data, X.indices, X.indptr, 8, C, 2)
    assert labels.min() >= 0 and labels.max() < 4
    run = _core.sparse_lloyd(data, X.indices, X.indptr, 8, None, X[:4].toarray(), 5, 0.0, False, 2)
    assert run["labels"].min() >= 0 and run["labels"].max() < 4


def test_warnings_point_at_the_callers_line():
    X = np.zeros((10, 2))
    X[:5] = 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kmix.KMeans(3, n_init=1, random_state=0).fit(sp.csr_matrix(X))  # fewer distinct clusters
        kmix.KMeans(2, n_init=3, init=X[:2]).fit(sp.csr_matrix(X))  # an init array runs once
        kmix.KMeans(1, algorithm="elkan").fit(sp.csr_matrix(X))
    assert len(caught) == 3
    assert all(w.filename == __file__ for w in caught), [(w.filename, str(w.message)) for w in caught]
