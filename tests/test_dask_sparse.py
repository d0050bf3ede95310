"""kmix.dask.KMeans on dask arrays whose chunks are scipy.sparse matrices (issue 21, point 5).

References, computed in each test on data it generates: the in-memory kmix.KMeans fitted on the
same CSR matrix from the same init (same labels and n_iter_, centers and inertia to RTOL), and
scikit-learn's KMeans on that matrix. The fits run on a distributed.LocalCluster (two worker
processes: the chunks travel pickled), one on dask's synchronous scheduler.
"""

import numpy as np
import pytest

sp = pytest.importorskip("scipy.sparse")
distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
import dask  # noqa: E402
from sklearn.cluster import KMeans as SkKMeans  # noqa: E402

import kmix  # noqa: E402
import kmix.dask as kd  # noqa: E402
from conftest import DTYPES, RTOL, assert_centers_close  # noqa: E402
from test_sparse_kmeans import dense_rows, random_sparse, tfidf_like, with_int64  # noqa: E402

K = 6


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    )
    c = distributed.Client(cluster)
    try:
        files = c.run(lambda: __import__("kmix").__file__)
        assert set(files.values()) == {kmix.__file__}, files
        yield c
    finally:
        c.close()
        cluster.close()


pytestmark = pytest.mark.usefixtures("client")

DATA = {
    "tfidf": lambda dtype, seed: tfidf_like(2000, 300, 0.03, seed, dtype),
    "random": lambda dtype, seed: random_sparse(1500, 60, 0.1, seed, dtype),
}


def to_dask(X, rows):
    return da.from_array(X, chunks=(rows or X.shape[0], X.shape[1]))


def check_same(got, ref, dtype):
    """got (a kmix.dask.KMeans) as ref (an in-memory fit of the same data)."""
    dtype = np.dtype(dtype)
    assert got.n_iter_ == ref.n_iter_
    assert isinstance(got.cluster_centers_, np.ndarray)
    assert got.cluster_centers_.dtype == ref.cluster_centers_.dtype == dtype
    assert_centers_close(got.cluster_centers_, ref.cluster_centers_, dtype)
    np.testing.assert_allclose(got.inertia_, ref.inertia_, rtol=RTOL[dtype])
    assert isinstance(got.labels_, da.Array)
    np.testing.assert_array_equal(got.labels_.compute(), ref.labels_)


def check_as_sklearn(got, sk, dtype):
    """got as scikit-learn's KMeans fitted on the same CSR matrix."""
    np.testing.assert_array_equal(got.labels_.compute(), sk.labels_)
    assert got.n_iter_ == sk.n_iter_
    assert_centers_close(got.cluster_centers_, sk.cluster_centers_, dtype)
    np.testing.assert_allclose(got.inertia_, sk.inertia_, rtol=RTOL[np.dtype(dtype)])


# ---- the fit: as in memory, as scikit-learn ---------------------------------------------------
@pytest.mark.parametrize("chunks", [777, None], ids=["chunks777", "one_chunk"])
@pytest.mark.parametrize("data", list(DATA))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_matches_in_memory_and_sklearn(dtype, data, chunks):
    X = DATA[data](dtype, 3)
    init = dense_rows(X, K, seed=1)
    got = kd.KMeans(K, init=init).fit(to_dask(X, chunks))
    ref = kmix.KMeans(K, init=init).fit(X)
    assert ref.n_iter_ > 3  # several Lloyd iterations compared
    check_same(got, ref, dtype)
    check_as_sklearn(got, SkKMeans(K, init=init, n_init=1).fit(X), dtype)


def chunked(X, source):
    """X as a dask array of sparse chunks, made in several ways users make them."""
    if source == "csr_array":
        return da.from_array(sp.csr_array(X), chunks=(500, X.shape[1]))
    if source == "map_blocks":  # dense chunks turned sparse
        return da.from_array(X.toarray(), chunks=(600, X.shape[1])).map_blocks(sp.csr_matrix, dtype=X.dtype)
    if source == "coo_chunks":
        return da.from_array(X, chunks=(500, X.shape[1])).map_blocks(sp.coo_matrix, dtype=X.dtype)
    if source == "int64_indices":
        return da.from_array(with_int64(X), chunks=(500, X.shape[1]))
    if source == "column_chunks":  # chunked along both axes: joined across the features
        return da.from_array(X, chunks=(500, 100))
    raise AssertionError(source)


@pytest.mark.parametrize("source", ["csr_array", "map_blocks", "coo_chunks", "int64_indices", "column_chunks"])
def test_chunk_kinds_match_in_memory(source):
    X = tfidf_like(1800, 300, 0.03, 5)
    init = dense_rows(X, K, seed=2)
    got = kd.KMeans(K, init=init).fit(chunked(X, source))
    ref = kmix.KMeans(K, init=init).fit(X)
    check_same(got, ref, np.float64)


def test_integer_counts_and_duplicate_entries_match_in_memory():
    """Count data (int64 values, made float64), and chunks that store some entries twice in
    unsorted order (scipy's reading: their sum), against the summed matrix in memory."""
    rng = np.random.default_rng(8)
    n, d, nnz, rows_per_chunk = 1500, 80, 6000, 400
    rows = np.sort(rng.integers(0, n, nnz))
    cols, vals = rng.integers(0, d, nnz), rng.integers(1, 5, nnz)
    X = sp.csr_matrix((vals, (rows, cols)), shape=(n, d))  # duplicates summed
    init = dense_rows(X.astype(np.float64), K, seed=0)
    ref = kmix.KMeans(K, init=init).fit(X.astype(np.float64))
    counts = da.from_array(X, chunks=(rows_per_chunk, d))
    assert counts.dtype == np.int64
    check_same(kd.KMeans(K, init=init).fit(counts), ref, np.float64)
    parts = []
    for start in range(0, n, rows_per_chunk):
        m = (rows >= start) & (rows < start + rows_per_chunk)
        size = min(rows_per_chunk, n - start)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[m] - start, minlength=size))])
        parts.append(sp.csr_matrix((vals[m].astype(np.float64), cols[m], indptr), shape=(size, d)))
    assert not any(p.has_sorted_indices for p in parts)
    assert sum(p.nnz for p in parts) > X.nnz  # some entries stored twice
    unsummed = da.concatenate([da.from_array(p, chunks=p.shape) for p in parts])
    check_same(kd.KMeans(K, init=init).fit(unsummed), ref, np.float64)


@pytest.mark.parametrize("weights", ["dask", "numpy"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_weighted_matches_in_memory_and_sklearn(dtype, weights):
    X = tfidf_like(2000, 300, 0.03, 11, dtype)
    rng = np.random.default_rng(11)
    w = rng.uniform(0.2, 3.0, X.shape[0])
    w[rng.random(X.shape[0]) < 0.05] = 0.0
    w = w.astype(dtype)
    sw = w if weights == "numpy" else da.from_array(w, chunks=600)  # unlike X's chunks
    init = dense_rows(X, K, seed=4)
    got = kd.KMeans(K, init=init).fit(to_dask(X, 777), sample_weight=sw)
    check_same(got, kmix.KMeans(K, init=init).fit(X, sample_weight=w), dtype)
    check_as_sklearn(got, SkKMeans(K, init=init, n_init=1).fit(X, sample_weight=w), dtype)


def test_empty_clusters_relocated_as_in_memory():
    """An init with a repeated row leaves clusters empty; they take the farthest rows."""
    X = tfidf_like(2000, 300, 0.03, 7)
    init = dense_rows(X, K + 1, seed=1)
    init[2] = init[5] = init[0]
    w = np.random.default_rng(7).uniform(0.5, 2.0, X.shape[0])
    got = kd.KMeans(K + 1, init=init).fit(to_dask(X, 777), sample_weight=da.from_array(w, chunks=500))
    ref = kmix.KMeans(K + 1, init=init).fit(X, sample_weight=w)
    check_same(got, ref, np.float64)
    assert len(np.unique(ref.labels_)) == K + 1
    # (not compared with scikit-learn: its choice among rows equally far is unspecified)


@pytest.mark.parametrize("power", [450, -450])  # beyond the kernels' range: fitted scaled (exactly)
def test_extreme_magnitudes_match_in_memory(power):
    X = random_sparse(1500, 60, 0.1, 9)
    X.data = np.ldexp(X.data, power)  # exact
    init = dense_rows(X, K, seed=3)
    got = kd.KMeans(K, init=init).fit(to_dask(X, 500))
    ref = kmix.KMeans(K, init=init).fit(X)
    assert got.n_iter_ == ref.n_iter_
    np.testing.assert_array_equal(got.labels_.compute(), ref.labels_)
    np.testing.assert_allclose(got.cluster_centers_, ref.cluster_centers_, rtol=1e-9, atol=1e-12 * np.ldexp(1.0, power))
    np.testing.assert_allclose(got.inertia_, ref.inertia_, rtol=1e-9)


def test_independent_of_chunking_and_scheduler():
    X = tfidf_like(2000, 300, 0.03, 12)
    init = dense_rows(X, K, seed=5)
    fits = [kd.KMeans(K, init=init, tol=0).fit(to_dask(X, c)) for c in (500, 777, None)]
    with dask.config.set(scheduler="synchronous"):
        fits.append(kd.KMeans(K, init=init, tol=0).fit(to_dask(X, 333)))
    base = fits[0]
    labels = base.labels_.compute()
    for other in fits[1:]:
        assert other.n_iter_ == base.n_iter_
        np.testing.assert_allclose(other.cluster_centers_, base.cluster_centers_, rtol=0, atol=1e-15)
        assert abs(other.inertia_ - base.inertia_) <= 1e-12 * base.inertia_
        np.testing.assert_array_equal(other.labels_.compute(), labels)


def test_scipy_matrix_in_memory_input_matches_in_memory():
    X = tfidf_like(1500, 200, 0.03, 13)
    init = dense_rows(X, K, seed=0)
    got = kd.KMeans(K, init=init).fit(X.tocoo())  # not a dask array: chunked by kmix.dask
    check_same(got, kmix.KMeans(K, init=init).fit(X), np.float64)


def sk_nearest(X, C):
    """The nearest of the centers C to each row of X, by scikit-learn's predict (its rounding and
    tie-breaking: TF-IDF centers' norms can differ by an ulp, which decides for empty rows)."""
    sk = SkKMeans(C.shape[0], init=C, n_init=1, max_iter=1).fit(X)
    sk.cluster_centers_ = C
    return sk.predict(X)


# ---- initializations -------------------------------------------------------------------------
def assert_lloyd_fixed_point(model, X):
    """tol=0: labels are the nearest centers (scikit-learn's predict on the same centers) and
    each center the mean of its rows (numpy)."""
    C = model.cluster_centers_
    labels = model.labels_.compute()
    np.testing.assert_array_equal(labels, sk_nearest(X, C))
    for c in range(C.shape[0]):
        m = labels == c
        assert m.any()
        np.testing.assert_allclose(C[c], np.asarray(X[m].mean(axis=0)).ravel(), rtol=1e-9, atol=1e-15)
    assert model.n_iter_ < model.max_iter


@pytest.mark.parametrize("seed", [0, 1])
def test_kmeans_parallel_init_close_to_kmeans_plusplus(seed):
    X = tfidf_like(3000, 300, 0.03, 20 + seed, topics=K)
    got = kd.KMeans(K, random_state=seed, tol=0).fit(to_dask(X, 1000))  # init="k-means||"
    assert got.init == "k-means||"
    assert_lloyd_fixed_point(got, X)
    ref = SkKMeans(K, init="k-means++", n_init=3, random_state=seed, tol=0).fit(X)
    assert got.inertia_ <= 1.02 * ref.inertia_, (got.inertia_, ref.inertia_)


def test_kmeans_plusplus_on_the_whole_data_is_the_in_memory_seeding():
    """init="k-means++" seeds on a uniform sample of init_sample_size rows; when that is every
    row, the seeds are the in-memory k-means++'s on X, from the random state after the sample's
    draw (rs.choice(n, n, replace=False)), so the whole fit is the in-memory one."""
    X = tfidf_like(2000, 300, 0.03, 14)
    n = X.shape[0]
    got = kd.KMeans(K, init="k-means++", random_state=3, init_sample_size=n).fit(to_dask(X, 777))
    rs = np.random.RandomState(3)
    rs.choice(n, size=n, replace=False)
    ref = kmix.KMeans(K, init="k-means++", random_state=rs).fit(X)
    check_same(got, ref, np.float64)


@pytest.mark.parametrize("init", ["k-means++", "random", "k-means||"])
def test_string_inits_reach_a_fixed_point(init):
    X = tfidf_like(2000, 300, 0.03, 15)
    got = kd.KMeans(K, init=init, n_init=2, tol=0, random_state=0, init_sample_size=800).fit(to_dask(X, 700))
    assert_lloyd_fixed_point(got, X)


# ---- using the model -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_predict_transform_score(dtype):
    X = tfidf_like(2000, 300, 0.03, 16, dtype)
    Xt = tfidf_like(1200, 300, 0.03, 17, dtype)
    w = np.random.default_rng(17).uniform(0.5, 2.0, Xt.shape[0]).astype(dtype)
    init = dense_rows(X, K, seed=1)
    got = kd.KMeans(K, init=init).fit(to_dask(X, 777))
    ref = kmix.KMeans(K, init=init).fit(X)
    sk = SkKMeans(K, init=init, n_init=1).fit(X)
    rtol = RTOL[np.dtype(dtype)]
    Xt_d = da.from_array(Xt, chunks=(300, 150))  # two column chunks, too
    labels = got.predict(Xt_d)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), ref.predict(Xt))
    np.testing.assert_array_equal(labels.compute(), sk.predict(Xt))
    dist = got.transform(Xt_d)
    assert isinstance(dist, da.Array)
    dist = dist.compute()
    assert type(dist) is np.ndarray and dist.dtype == np.dtype(dtype) and dist.shape == (Xt.shape[0], K)
    np.testing.assert_allclose(dist, ref.transform(Xt), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(dist, sk.transform(Xt), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(got.score(Xt_d), ref.score(Xt), rtol=rtol)
    np.testing.assert_allclose(got.score(Xt_d), sk.score(Xt), rtol=rtol)
    np.testing.assert_allclose(
        got.score(Xt_d, sample_weight=da.from_array(w, chunks=500)), sk.score(Xt, sample_weight=w), rtol=rtol
    )
    # a scipy.sparse matrix in: numpy out, as kmix.KMeans
    np.testing.assert_array_equal(got.predict(Xt), ref.predict(Xt))
    np.testing.assert_allclose(got.transform(Xt), ref.transform(Xt), rtol=rtol, atol=rtol)
    np.testing.assert_array_equal(got.fit_predict(to_dask(X, 500)).compute(), ref.labels_)


# ---- the per-chunk kernels ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_chunk_kernels_against_numpy(dtype):
    """sparse_lloyd_chunk: per-cluster sums, weights and inertia of the nearest-center labels
    (scikit-learn's predict); sparse_nearest: those labels and the squared distances (numpy)."""
    from kmix import _core

    X = tfidf_like(700, 120, 0.05, 21, dtype)
    C = dense_rows(X, K, seed=6).astype(dtype)
    w = np.random.default_rng(21).uniform(0.5, 2.0, X.shape[0]).astype(dtype)
    labels = sk_nearest(X, C)
    args = (X.data, X.indices, X.indptr, X.shape[1])
    near = _core.sparse_nearest(*args, None, C, 2)
    np.testing.assert_array_equal(near["labels"], labels)
    # with weights: the same labels, and sparse_inertia's value from the same pass, bit for bit
    weighted = _core.sparse_nearest(*args, w, C, 2)
    np.testing.assert_array_equal(weighted["labels"], labels)
    assert weighted["inertia"] == _core.sparse_inertia(*args, w, C, labels, 2)
    Xd, C64 = X.toarray().astype(np.float64), C.astype(np.float64)
    dist = ((Xd - C64[labels]) ** 2).sum(axis=1)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(near["distances"], dist, rtol=rtol, atol=rtol)
    r = _core.sparse_lloyd_chunk(*args, w, C, 2)
    onehot = np.eye(K)[labels] * w.astype(np.float64)[:, None]
    np.testing.assert_allclose(r["sums"], onehot.T @ Xd, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r["weights"], onehot.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(r["inertia"], dist @ w.astype(np.float64), rtol=rtol)


# ---- never densified; refusals ---------------------------------------------------------------
def test_no_chunk_is_densified(monkeypatch):
    """On the synchronous scheduler (the chunks in this process), scipy's toarray/todense may
    only ever make a few rows dense (k-means|| candidates, relocated rows), never a chunk."""
    X = tfidf_like(2000, 300, 0.03, 18)
    dense_calls = []
    for cls in (sp.csr_matrix, sp.csr_array):
        for name in ("toarray", "todense"):
            original = getattr(cls, name)

            def guarded(self, *a, _original=original, **kw):
                dense_calls.append(self.shape[0])
                assert self.shape[0] <= 3 * K * 2 * 5, f"a {self.shape} sparse block made dense"
                return _original(self, *a, **kw)

            monkeypatch.setattr(cls, name, guarded)
    init = dense_rows(X, K + 1, seed=0)
    init[3] = init[0]  # an empty cluster: relocation reads a far row
    with dask.config.set(scheduler="synchronous"):
        Xd = to_dask(X, 500)
        m = kd.KMeans(K + 1, init=init).fit(Xd)
        m.predict(Xd).compute()
        m.transform(Xd).compute()
        m.score(Xd)
        kd.KMeans(K, random_state=0).fit(Xd)  # k-means||
        kd.KMeans(K, init="k-means++", random_state=0, init_sample_size=1000).fit(Xd)
    assert dense_calls  # the guard was in place (relocation and k-means|| read a few rows)


@pytest.mark.parametrize("value,what", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_value_names_its_chunk(value, what):
    X = tfidf_like(2000, 300, 0.03, 19)
    X.data[X.indptr[1234]] = value  # row 1234: chunk 2 of 500-row chunks
    with pytest.raises(ValueError, match=rf"X chunk 2 \(rows 1000 to 1499\) contains {what}"):
        kd.KMeans(K, random_state=0).fit(to_dask(X, 500))


def test_gaussian_mixture_refuses_sparse_chunks():
    X = tfidf_like(300, 50, 0.1, 0)
    with pytest.raises(TypeError, match="sparse"):
        kd.GaussianMixture(2).fit(to_dask(X, 100))


@pytest.mark.parametrize("case", ["too_many_clusters", "bad_init_shape", "bad_weight_length", "callable_init"])
def test_bad_fit_input_raises_before_computing(case):
    """Checks that need no data run before any chunk is computed, for sparse chunks too."""
    calls = []

    def boom():
        calls.append(1)
        raise AssertionError("the data was computed before the bad input was rejected")

    shape, k, params, sw = (50, 30), 3, {}, None
    if case == "too_many_clusters":
        shape, k = (4, 30), 5
    elif case == "bad_init_shape":
        params = {"init": np.zeros((3, 31))}
    elif case == "bad_weight_length":
        sw = da.ones(49, chunks=10)
    else:
        params = {"init": lambda X, k, random_state: X[:k]}
    with dask.config.set(scheduler="synchronous"):
        X = da.from_delayed(dask.delayed(boom, pure=False)(), shape=shape, dtype=np.float64, meta=sp.csr_matrix((0, 0)))
        with pytest.raises(TypeError if case == "callable_init" else ValueError):
            kd.KMeans(k, **params).fit(X, sample_weight=sw)
    assert not calls


def test_sparse_and_dense_chunks_mixed_raise():
    X = tfidf_like(600, 50, 0.1, 22)
    mixed = da.concatenate(
        [da.from_array(X[:300], chunks=(300, 50)), da.from_array(X[300:].toarray(), chunks=(300, 50))]
    )
    with pytest.raises(ValueError, match="mixes chunks of scipy.sparse matrices"):
        kd.KMeans(3, random_state=0).fit(mixed)
