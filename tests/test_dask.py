"""kmix.dask on a real distributed.LocalCluster, against the in-memory kmix estimators.

The module starts one LocalCluster (two worker processes, one thread each, loopback only, no
dashboard) and shuts it down at the end. Every comparison is with an independent reference
computed in the test: the in-memory kmix.KMeans / kmix.GaussianMixture fitted on the same numpy
data from the same initialization, or numpy formulas. The tests that check that bad inputs are
rejected *before anything is computed* run on dask's synchronous scheduler, with a dask array
whose only task fails loudly if it runs.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
import dask  # noqa: E402

import kmix  # noqa: E402
import kmix.dask as kd  # noqa: E402
from conftest import (
    DTYPES,
    RTOL,
    assert_centers_close,
    data_scale,
    inertia_formula,  # noqa: E402
    init_rows,
    make_blobs,
    make_separated_blobs,
    make_uniform,
    nearest,
)

N, D, K = 3000, 4, 5
CHUNKINGS = [1000, 777, None]  # None: one chunk
COV_TYPES = ["full", "tied", "diag", "spherical"]
GMM_RTOL = {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-4}


# ---- the cluster -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    )
    c = distributed.Client(cluster)
    try:
        # the workers must run the kmix under test, not another installed copy
        files = c.run(lambda: __import__("kmix").__file__)
        assert len(files) == 2 and set(files.values()) == {kmix.__file__}, files
        yield c
    finally:
        c.close()
        cluster.close()


pytestmark = pytest.mark.usefixtures("client")


# ---- data ------------------------------------------------------------------------------------
def blobs(dtype=np.float64, n=N, d=D, k=K, seed=0, offset=0.0):
    """Overlapping Gaussian blobs (Lloyd and EM take several iterations) and their true labels."""
    X, labels, _ = make_blobs(n, d, k, seed=seed, std=2.0, spread=8.0)
    return (X + offset).astype(dtype), labels


def weights_for(n, seed=0):
    """Positive weights with about 5% zeros."""
    rng = np.random.default_rng(seed + 100)
    w = rng.uniform(0.2, 3.0, size=n)
    w[rng.random(n) < 0.05] = 0.0
    return w


def to_dask(X, chunks):
    rows = X.shape[0] if chunks is None else chunks
    return da.from_array(X, chunks=(rows,) + X.shape[1:])


def dask_weights(w, X, kind, dtype):
    """sample_weight given as a numpy array or as a dask array chunked unlike X's rows."""
    w = w.astype(dtype)
    return w if kind == "numpy" else da.from_array(w, chunks=600)


def label_init(X, labels, k, cov_type):
    """weights_init, means_init, precisions_init from hard labels, by numpy formulas."""
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    means = np.stack([X[labels == c].mean(axis=0) for c in range(k)])
    covs = np.stack([np.cov(X[labels == c].T, bias=True) for c in range(k)]) + 1e-6 * np.eye(d)
    if cov_type == "full":
        prec = np.linalg.inv(covs)
    elif cov_type == "tied":
        prec = np.linalg.inv((covs * counts[:, None, None]).sum(axis=0) / n)
    elif cov_type == "diag":
        prec = 1.0 / np.stack([np.diag(c) for c in covs])
    else:
        prec = 1.0 / np.stack([np.diag(c).mean() for c in covs])
    # shift the means a little so that EM has some way to go
    means = means + 0.5 * np.random.default_rng(k).standard_normal(means.shape)
    return {"weights_init": counts / n, "means_init": means, "precisions_init": prec}


# ---- comparisons -----------------------------------------------------------------------------
def check_kmeans(got, ref, X, dtype):
    dtype = np.dtype(dtype)
    assert got.n_iter_ == ref.n_iter_
    assert got.cluster_centers_.dtype == ref.cluster_centers_.dtype == dtype
    assert_centers_close(got.cluster_centers_, ref.cluster_centers_, dtype, data_scale(X))
    np.testing.assert_allclose(got.inertia_, ref.inertia_, rtol=RTOL[dtype])
    assert got.n_features_in_ == X.shape[1]
    assert isinstance(got.labels_, da.Array)
    np.testing.assert_array_equal(got.labels_.compute(), ref.labels_)


def assert_close(actual, expected, rtol):
    expected = np.asarray(expected)
    atol = rtol * max(float(np.max(np.abs(expected))), 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


GMM_ARRAYS = ("weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_")


def check_gmm(got, ref, dtype):
    rtol = GMM_RTOL[np.dtype(dtype)]
    assert got.n_iter_ == ref.n_iter_
    assert got.converged_ == ref.converged_
    for name in GMM_ARRAYS:
        a, b = getattr(got, name), getattr(ref, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert_close(a, b, rtol)
    np.testing.assert_allclose(got.lower_bound_, ref.lower_bound_, rtol=rtol)
    np.testing.assert_allclose(got.lower_bounds_, ref.lower_bounds_, rtol=rtol)
    assert got.n_features_in_ == ref.n_features_in_


def rel_diff(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300))


# ---- KMeans: same result as in memory --------------------------------------------------------
@pytest.mark.parametrize("chunks", CHUNKINGS, ids=lambda c: f"chunks{c or 'one'}")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_kmeans_matches_in_memory(dtype, chunks):
    X, _ = blobs(dtype, seed=7)
    init = init_rows(X, K, seed=1)
    got = kd.KMeans(K, init=init, n_init=1).fit(to_dask(X, chunks))
    ref = kmix.KMeans(K, init=init, n_init=1).fit(X)
    assert ref.n_iter_ > 3  # the comparison covers several Lloyd iterations
    check_kmeans(got, ref, X, dtype)


@pytest.mark.parametrize("weights", ["dask", "numpy"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_kmeans_weighted_matches_in_memory(dtype, weights):
    X, _ = blobs(dtype, seed=17)
    w = weights_for(N, seed=17)
    init = init_rows(X, K, seed=0)
    got = kd.KMeans(K, init=init).fit(to_dask(X, 777), sample_weight=dask_weights(w, X, weights, dtype))
    ref = kmix.KMeans(K, init=init).fit(X, sample_weight=w.astype(dtype))
    check_kmeans(got, ref, X, dtype)
    # and the weighted inertia by the formula
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    labels = got.labels_.compute()
    np.testing.assert_allclose(got.inertia_, inertia_formula(X, got.cluster_centers_, labels, w), rtol=rtol)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_kmeans_far_from_origin_matches_in_memory(dtype):
    X, _ = blobs(dtype, seed=10, offset=1e4)
    init = init_rows(X, K, seed=0)
    got = kd.KMeans(K, init=init).fit(to_dask(X, 1000))
    ref = kmix.KMeans(K, init=init).fit(X)
    assert got.n_iter_ == ref.n_iter_
    # Centers near 1e4: compare their offsets from 1e4 (float32 keeps ~1e-3 there: 4 ulps).
    atol = 1e-12 * 1e4 if dtype == np.float64 else 4e-3
    np.testing.assert_allclose(
        got.cluster_centers_.astype(np.float64) - 1e4,
        ref.cluster_centers_.astype(np.float64) - 1e4,
        rtol=RTOL[np.dtype(dtype)],
        atol=atol,
    )
    np.testing.assert_allclose(got.inertia_, ref.inertia_, rtol=RTOL[np.dtype(dtype)])
    # labels_ as in memory, where they are the nearest centers (numpy, float64)
    np.testing.assert_array_equal(ref.labels_, nearest(X, ref.cluster_centers_))
    np.testing.assert_array_equal(got.labels_.compute(), ref.labels_)


def test_kmeans_numpy_input_matches_in_memory():
    X, _ = blobs(np.float64, seed=24)
    w = weights_for(N, seed=24)
    init = init_rows(X, K, seed=0)
    got = kd.KMeans(K, init=init).fit(X, sample_weight=w)
    ref = kmix.KMeans(K, init=init).fit(X, sample_weight=w)
    check_kmeans(got, ref, X, np.float64)


def test_kmeans_empty_clusters_relocated_as_in_memory():
    """An init with repeated rows leaves clusters empty: they take the farthest rows, as in memory."""
    X, _ = blobs(np.float64, seed=7)
    w = weights_for(N, seed=7)
    init = init_rows(X, K + 1, seed=1)
    init[2] = init[5] = init[0]
    assert not np.isin([2, 5], nearest(X, init)).any()  # empty after the first assignment
    got = kd.KMeans(K + 1, init=init).fit(to_dask(X, 777), sample_weight=da.from_array(w, chunks=500))
    ref = kmix.KMeans(K + 1, init=init).fit(X, sample_weight=w)
    check_kmeans(got, ref, X, np.float64)
    assert len(np.unique(ref.labels_)) == K + 1


def test_kmeans_independent_of_chunking_and_scheduler():
    """Three chunkings on the two workers, and the synchronous scheduler (one worker, in process):
    the same n_iter_ and labels, centers and inertia to 1e-12."""
    X, _ = blobs(np.float64, seed=7)
    w = weights_for(N, seed=7)
    init = init_rows(X, K, seed=3)
    fits = [kd.KMeans(K, init=init, tol=0).fit(to_dask(X, c), sample_weight=w) for c in (1000, 777, None)]
    with dask.config.set(scheduler="synchronous"):
        fits.append(kd.KMeans(K, init=init, tol=0).fit(to_dask(X, 777), sample_weight=w))
    base = fits[0]
    labels = base.labels_.compute()
    for other in fits[1:]:
        assert other.n_iter_ == base.n_iter_
        assert rel_diff(other.cluster_centers_, base.cluster_centers_) <= 1e-12
        assert abs(other.inertia_ - base.inertia_) <= 1e-12 * base.inertia_
        np.testing.assert_array_equal(other.labels_.compute(), labels)


# ---- KMeans: initializations -----------------------------------------------------------------
def assert_lloyd_fixed_point(model, X, w=None):
    """With tol=0 the fit stops at a fixed point: each center is the (weighted) mean of the
    rows nearest to it, and inertia_ is the formula's (numpy, float64)."""
    C = model.cluster_centers_
    labels = model.labels_.compute()
    np.testing.assert_array_equal(labels, nearest(X, C))
    w = np.ones(X.shape[0]) if w is None else w
    for c in range(C.shape[0]):
        m = labels == c
        assert m.any()
        np.testing.assert_allclose(C[c], np.average(X[m], axis=0, weights=w[m]), rtol=1e-9, atol=1e-12 * data_scale(X))
    np.testing.assert_allclose(model.inertia_, inertia_formula(X, C, labels, w), rtol=1e-10)
    assert model.n_iter_ < model.max_iter


@pytest.mark.parametrize("seed", [0, 1])
def test_kmeans_parallel_init_inertia_within_2_percent_of_kmeans_plusplus(seed):
    X, _, _ = make_blobs(12_000, 5, 10, seed=seed, std=1.5, spread=10.0)
    got = kd.KMeans(10, random_state=seed, tol=0).fit(to_dask(X, 3000))  # init="k-means||", the default
    assert got.init == "k-means||"
    ref = kmix.KMeans(10, init="k-means++", n_init=1, random_state=seed, tol=0).fit(X)
    assert got.inertia_ <= 1.02 * ref.inertia_, (got.inertia_, ref.inertia_)
    assert_lloyd_fixed_point(got, X)


@pytest.mark.parametrize("init", ["k-means++", "random", "k-means||"])
def test_kmeans_string_inits_work(init):
    X, _, _ = make_separated_blobs(N, D, K, seed=6)
    w = weights_for(N, seed=6)
    params = dict(init=init, n_init=1, tol=0, random_state=0, init_sample_size=2000)
    got = kd.KMeans(K, **params).fit(to_dask(X, 1000), sample_weight=da.from_array(w, chunks=1000))
    assert_lloyd_fixed_point(got, X, w)


def test_kmeans_integer_input_matches_in_memory():
    X, _ = blobs(np.float64, seed=7)
    X = np.round(X * 1000).astype(np.int64)  # integer data, converted to float64 as in memory
    init = init_rows(X, K, seed=1).astype(np.float64)
    got = kd.KMeans(K, init=init).fit(to_dask(X, 1000))
    ref = kmix.KMeans(K, init=init).fit(X)
    check_kmeans(got, ref, X, np.float64)


# ---- GaussianMixture: same result as in memory -----------------------------------------------
def gmm_pair(X, labels, cov_type, chunks, sw=None, sw_dask=None, **kw):
    inits = label_init(X, labels, K, cov_type)
    params = dict(n_components=K, covariance_type=cov_type, tol=1e-5, max_iter=100, **inits, **kw)
    ref = kmix.GaussianMixture(**params).fit(X, sample_weight=sw)
    got = kd.GaussianMixture(**params).fit(to_dask(X, chunks), sample_weight=sw if sw_dask is None else sw_dask)
    assert ref.n_iter_ > 3  # the comparison covers several EM iterations
    return got, ref


@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_gmm_matches_in_memory(dtype, cov_type):
    X, labels = blobs(dtype, seed=7)
    got, ref = gmm_pair(X, labels, cov_type, 777)
    check_gmm(got, ref, dtype)


@pytest.mark.parametrize("chunks", [1000, None], ids=lambda c: f"chunks{c or 'one'}")
def test_gmm_other_chunkings_match_in_memory(chunks):
    X, labels = blobs(np.float64, seed=8)
    got, ref = gmm_pair(X, labels, "full", chunks)
    check_gmm(got, ref, np.float64)


@pytest.mark.parametrize(
    "cov_type,weights,dtype",
    [
        ("full", "dask", np.float64),
        ("tied", "numpy", np.float64),
        ("diag", "dask", np.float64),
        ("spherical", "numpy", np.float64),
        ("full", "numpy", np.float32),
        ("diag", "dask", np.float32),
    ],
)
def test_gmm_weighted_matches_in_memory(cov_type, weights, dtype):
    X, labels = blobs(dtype, seed=9)
    w = weights_for(N, seed=9).astype(dtype)
    got, ref = gmm_pair(X, labels, cov_type, 1000, sw=w, sw_dask=dask_weights(w, X, weights, dtype))
    check_gmm(got, ref, dtype)


def test_gmm_numpy_input_matches_in_memory():
    X, labels = blobs(np.float64, seed=10)
    inits = label_init(X, labels, K, "diag")
    got = kd.GaussianMixture(K, covariance_type="diag", tol=1e-5, **inits).fit(X)
    ref = kmix.GaussianMixture(K, covariance_type="diag", tol=1e-5, **inits).fit(X)
    check_gmm(got, ref, np.float64)


def test_gmm_independent_of_chunking_and_scheduler():
    X, labels = blobs(np.float64, seed=11)
    inits = label_init(X, labels, K, "full")
    params = dict(covariance_type="full", tol=1e-5, **inits)
    fits = [kd.GaussianMixture(K, **params).fit(to_dask(X, 1000))]
    with dask.config.set(scheduler="synchronous"):
        fits.append(kd.GaussianMixture(K, **params).fit(to_dask(X, 777)))
    base = fits[0]
    for other in fits[1:]:
        assert other.n_iter_ == base.n_iter_
        for name in GMM_ARRAYS:
            assert rel_diff(getattr(other, name), getattr(base, name)) <= 1e-12, name
        assert abs(other.lower_bound_ - base.lower_bound_) <= 1e-12 * abs(base.lower_bound_)


# ---- GaussianMixture: init_params ------------------------------------------------------------
@pytest.fixture(scope="module")
def separated():
    X, labels, _ = make_separated_blobs(2000, 3, 4, seed=12)
    return X, labels


def test_gmm_init_kmeans_reaches_in_memory_best(separated):
    X, _ = separated
    got = kd.GaussianMixture(4, init_params="kmeans", random_state=0).fit(to_dask(X, 1000))
    assert got.converged_
    best = kmix.GaussianMixture(4, init_params="kmeans", n_init=5, random_state=0).fit(X)
    assert best.converged_
    # k-means|| seeds differently from in-memory k-means++: close, not equal
    assert abs(got.lower_bound_ - best.lower_bound_) <= 1e-3, (got.lower_bound_, best.lower_bound_)
    np.testing.assert_allclose(np.sort(got.weights_), np.sort(best.weights_), atol=1e-3)


def test_gmm_init_random_from_data_matches_in_memory(separated):
    """random_from_data draws the same k rows from the same random_state: the same fits, and the
    same best of two."""
    X, _ = separated
    params = dict(init_params="random_from_data", n_init=2, random_state=3, max_iter=300)
    got = kd.GaussianMixture(4, **params).fit(to_dask(X, 1000))
    ref = kmix.GaussianMixture(4, **params).fit(X)
    assert got.converged_
    check_gmm(got, ref, np.float64)


@pytest.mark.parametrize("init_params", ["k-means++", "random"])
def test_gmm_refused_init_params(init_params):
    X, labels = blobs(np.float64, seed=13)
    with pytest.raises(ValueError, match="init_params"):
        kd.GaussianMixture(K, init_params=init_params, random_state=0).fit(to_dask(X, 1000))
    # with all three inits given, init_params is not used: as in memory
    got, ref = gmm_pair(X, labels, "diag", 1000, init_params=init_params)
    check_gmm(got, ref, np.float64)


@pytest.mark.filterwarnings("ignore::kmix.ConvergenceWarning")
def test_gmm_warm_start_matches_in_memory():
    X, labels = blobs(np.float64, seed=13)
    inits = label_init(X, labels, K, "tied")
    params = dict(covariance_type="tied", max_iter=2, warm_start=True, **inits)
    got, ref = kd.GaussianMixture(K, **params), kmix.GaussianMixture(K, **params)
    for _ in range(2):  # the second fit starts from the first one's parameters
        got.fit(to_dask(X, 1000))
        ref.fit(X)
        check_gmm(got, ref, np.float64)


# ---- using a fitted model: lazy on dask arrays -----------------------------------------------
def assert_lazy_equals(lazy, expected, rtol=None):
    assert isinstance(lazy, da.Array)
    value = lazy.compute()
    assert isinstance(value, np.ndarray)
    assert value.shape == lazy.shape == expected.shape
    assert value.dtype == lazy.dtype == expected.dtype
    if rtol is None:
        np.testing.assert_array_equal(value, expected)
    else:
        assert_close(value, expected, rtol)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_kmeans_predict_transform_score(dtype):
    X, _ = blobs(dtype, seed=0)
    Xt, _ = blobs(dtype, n=2000, seed=15)
    w = weights_for(2000, seed=15).astype(dtype)
    init = init_rows(X, K, seed=1)
    got = kd.KMeans(K, init=init).fit(to_dask(X, 1000))
    ref = kmix.KMeans(K, init=init).fit(X)
    rtol = RTOL[np.dtype(dtype)]
    Xt_d = da.from_array(Xt, chunks=(300, 2))  # two column chunks, too
    assert_lazy_equals(got.predict(Xt_d), ref.predict(Xt))
    assert_lazy_equals(got.transform(Xt_d), ref.transform(Xt), rtol)
    np.testing.assert_allclose(got.score(Xt_d), ref.score(Xt), rtol=rtol)
    np.testing.assert_allclose(got.score(Xt_d, sample_weight=w), ref.score(Xt, sample_weight=w), rtol=rtol)
    # numpy in, numpy out
    for name in ("predict", "transform"):
        out = getattr(got, name)(Xt)
        assert type(out) is np.ndarray
        assert_close(out, getattr(ref, name)(Xt), rtol)
    np.testing.assert_allclose(got.score(Xt), ref.score(Xt), rtol=rtol)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_gmm_predict_proba_score_samples(dtype):
    X, labels = blobs(dtype, seed=16)
    Xt, _ = blobs(dtype, n=2000, seed=17)
    w = weights_for(2000, seed=17).astype(dtype)
    got, ref = gmm_pair(X, labels, "full", 1000)
    rtol = GMM_RTOL[np.dtype(dtype)]
    Xt_d = to_dask(Xt, 300)
    assert_lazy_equals(got.predict(Xt_d), ref.predict(Xt))
    assert_lazy_equals(got.predict_proba(Xt_d), ref.predict_proba(Xt), rtol)
    assert_lazy_equals(got.score_samples(Xt_d), ref.score_samples(Xt), rtol)
    np.testing.assert_allclose(got.score(Xt_d), ref.score(Xt), rtol=rtol)
    np.testing.assert_allclose(
        got.score(Xt_d, sample_weight=da.from_array(w, chunks=500)), ref.score(Xt, sample_weight=w), rtol=rtol
    )
    for name in ("predict", "predict_proba", "score_samples"):
        out = getattr(got, name)(Xt)
        assert type(out) is np.ndarray
        assert_close(out, getattr(ref, name)(Xt), rtol)


# ---- bad values in the data ------------------------------------------------------------------
@pytest.mark.parametrize("estimator", ["kmeans", "gmm"])
@pytest.mark.parametrize(
    "row,chunks,value,index", [(2500, 1000, np.nan, 2), (2999, 777, np.inf, 3), (3, 1000, -np.inf, 0)]
)
def test_non_finite_value_names_its_chunk(estimator, row, chunks, value, index):
    X, _ = blobs(np.float64, seed=18)
    X[row, 1] = value
    est = kd.KMeans(K, random_state=0) if estimator == "kmeans" else kd.GaussianMixture(K, random_state=0)
    with pytest.raises(ValueError, match=rf"\bchunk {index}\b") as info:
        est.fit(to_dask(X, chunks))
    assert ("NaN" if np.isnan(value) else "inf") in str(info.value)
    assert f"rows {index * chunks} to " in str(info.value)


@pytest.mark.parametrize("estimator", ["kmeans", "gmm"])
@pytest.mark.parametrize("weights", ["dask", "numpy"])
def test_negative_sample_weight_raises(estimator, weights):
    X, _ = blobs(np.float64, seed=19)
    w = weights_for(N, seed=19)
    w[2210] = -0.5
    est = kd.KMeans(K, random_state=0) if estimator == "kmeans" else kd.GaussianMixture(K, random_state=0)
    with pytest.raises(ValueError, match="negative"):
        est.fit(to_dask(X, 1000), sample_weight=dask_weights(w, X, weights, np.float64))


# ---- bad inputs are rejected before anything is computed -------------------------------------
@pytest.fixture
def tripwire():
    """Runs on dask's synchronous scheduler; tripwire(shape, dtype) is a dask array whose only
    task raises AssertionError (not ValueError/TypeError) if anything computes it."""
    calls = []

    def boom():
        calls.append(1)
        raise AssertionError("the data was computed before the bad input was rejected")

    def make(shape, dtype=np.float64):
        return da.from_delayed(dask.delayed(boom, pure=False)(), shape=shape, dtype=dtype)

    with dask.config.set(scheduler="synchronous"):
        with pytest.raises(AssertionError):  # the wire does trip when computed
            make((3, 2)).compute()
        calls.clear()
        make.calls = calls
        yield make


@pytest.fixture(scope="module")
def fitted():
    """A dask KMeans and a dask GaussianMixture fitted on numpy data with 3 features."""
    X, _ = blobs(np.float64, n=500, d=3, seed=20)
    with dask.config.set(scheduler="synchronous"):
        return (
            kd.KMeans(3, random_state=0).fit(X),
            kd.GaussianMixture(3, covariance_type="diag", random_state=0).fit(X),
        )


@pytest.mark.parametrize("estimator", ["kmeans", "gmm"])
@pytest.mark.parametrize(
    "case", ["1-D", "3-D", "string", "too_many_clusters", "bad_init_shape", "bad_weight_length", "unknown_chunk_sizes"]
)
def test_bad_fit_input_raises_before_computing(tripwire, estimator, case):
    shape, dtype, k, params, sw = (50, 3), np.float64, 3, {}, None
    if case == "1-D":
        shape = (50,)
    elif case == "3-D":
        shape = (50, 3, 2)
    elif case == "string":
        dtype = np.dtype("<U3")
    elif case == "too_many_clusters":
        shape, k = (4, 3), 5
    elif case == "bad_init_shape":  # 4 features for data with 3
        params = {"init": np.zeros((3, 4))} if estimator == "kmeans" else {"means_init": np.zeros((3, 4))}
    elif case == "bad_weight_length":
        sw = da.ones(49, chunks=10)
    elif case == "unknown_chunk_sizes":
        shape = (np.nan, 3)
    est = kd.KMeans(k, **params) if estimator == "kmeans" else kd.GaussianMixture(k, **params)
    with pytest.raises(TypeError if case == "string" else ValueError):
        est.fit(tripwire(shape, dtype), sample_weight=sw)
    assert not tripwire.calls


def test_kmeans_callable_init_raises_type_error_before_computing(tripwire):
    with pytest.raises(TypeError, match="init"):
        kd.KMeans(3, init=lambda X, k, random_state: X[:k]).fit(tripwire((50, 3)))
    assert not tripwire.calls


def test_gmm_refused_init_params_raise_before_computing(tripwire):
    """init_params='k-means++'/'random' cannot work on dask data whatever it holds: no need to
    persist and read the whole data set before saying so."""
    for init_params in ("k-means++", "random"):
        with pytest.raises(ValueError, match="init_params"):
            kd.GaussianMixture(3, init_params=init_params).fit(tripwire((50, 3)))
        assert not tripwire.calls


@pytest.mark.parametrize("method", ["predict", "transform", "score", "predict_proba", "score_samples"])
def test_use_before_fit_raises_not_fitted(tripwire, method):
    est = kd.KMeans(3) if method in ("predict", "transform", "score") else kd.GaussianMixture(3)
    with pytest.raises(kmix.NotFittedError):
        getattr(est, method)(tripwire((50, 3)))
    assert not tripwire.calls


@pytest.mark.parametrize("method", ["predict", "transform", "score", "predict_proba", "score_samples"])
def test_wrong_number_of_features_raises_before_computing(tripwire, fitted, method):
    est = fitted[0] if method in ("predict", "transform", "score") else fitted[1]
    with pytest.raises(ValueError, match="features"):
        getattr(est, method)(tripwire((50, 4)))
    assert not tripwire.calls


# ---- interplay with the rest of kmix ---------------------------------------------------------
def test_importing_kmix_dask_leaves_load_of_in_memory_models_alone(tmp_path):
    """kmix.load of a model saved by kmix.KMeans / kmix.GaussianMixture gives back that class,
    also once kmix.dask (whose classes have the same names) is imported."""
    X, _ = blobs(np.float64, n=300, d=2, seed=21)
    for est in (kmix.KMeans(3, random_state=0).fit(X), kmix.GaussianMixture(2, random_state=0).fit(X)):
        path = tmp_path / f"{type(est).__name__}.npz"
        est.save(path)
        loaded = kmix.load(path)
        assert type(loaded) is type(est), (type(loaded), type(est))


# ---- a worker lost during the fit ------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Sending large graph")
def test_worker_lost_mid_fit_gives_the_same_result(client, monkeypatch):
    """One worker process is killed (SIGKILL) while the fit is iterating: its chunks of the
    persisted data are lost with it, Dask recomputes them on the surviving or restarted worker,
    and the result is bitwise the uninterrupted fit's (and the in-memory fit's to 1e-9)."""
    X = make_uniform(400_000, 8, seed=22)  # uniform data: Lloyd converges slowly
    init = init_rows(X, 16, seed=22)
    Xd = da.from_array(X, chunks=(50_000, 8))

    iterations = []  # Lloyd iterations completed by the background fit, counted on the client
    averaging = kd._average_centers

    def counting(*args):
        iterations.append(1)
        return averaging(*args)

    for max_iter in (12, 30):  # more iterations if the first fit ended before the kill
        est = kd.KMeans(16, init=init, tol=0, max_iter=max_iter)
        result = {}

        def run():
            try:
                result["model"] = est.fit(Xd)
            except BaseException as exc:  # re-raised in the test's thread
                result["error"] = exc

        client.wait_for_workers(2, timeout=30)
        iterations.clear()
        monkeypatch.setattr(kd, "_average_centers", counting)
        before = set(client.scheduler_info()["workers"])
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while len(iterations) < 3 and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        victim = sorted(before)[0]
        os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)
        # the worker is gone once the scheduler has dropped its address
        while victim in client.scheduler_info()["workers"] and time.monotonic() < deadline:
            time.sleep(0.02)
        killed_at = len(iterations)
        alive_after_kill = thread.is_alive()
        thread.join(60)
        monkeypatch.setattr(kd, "_average_centers", averaging)
        assert not thread.is_alive(), "the fit did not finish after a worker was lost"
        if "error" in result:
            raise result["error"]
        assert victim not in client.scheduler_info()["workers"], "the worker was not killed"
        if alive_after_kill and killed_at < result["model"].n_iter_:
            break
    else:
        pytest.fail("the fit ended before the worker was killed, even with max_iter=30")

    got = result["model"]
    client.wait_for_workers(2, timeout=30)  # the nanny restarts the lost worker
    uninterrupted = kd.KMeans(16, init=init, tol=0, max_iter=max_iter).fit(Xd)
    assert got.n_iter_ == uninterrupted.n_iter_ == max_iter
    np.testing.assert_array_equal(got.cluster_centers_, uninterrupted.cluster_centers_)
    assert got.inertia_ == uninterrupted.inertia_
    np.testing.assert_array_equal(got.labels_.compute(), uninterrupted.labels_.compute())
    ref = kmix.KMeans(16, init=init, tol=0, max_iter=max_iter).fit(X)
    check_kmeans(got, ref, X, np.float64)


def test_gmm_verbose_interval_spaces_the_lines(capsys):
    """verbose_interval sets the iterations between printed lines, as in kmix.GaussianMixture:
    iterations 3 and 6 of 7 (tol=0 runs them all), nothing else."""
    X, _ = blobs()
    kd.GaussianMixture(K, covariance_type="diag", tol=0, max_iter=7, verbose=1, verbose_interval=3, random_state=0).fit(
        to_dask(X, 1000)
    )
    printed = [line.split()[1] for line in capsys.readouterr().out.splitlines() if line.strip().startswith("Iteration")]
    assert printed == ["3", "6"]
