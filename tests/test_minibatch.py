"""kmix.MiniBatchKMeans against sklearn.cluster.MiniBatchKMeans: same random stream, same answers."""

import numpy as np
import pytest
from sklearn.cluster import MiniBatchKMeans as SkMiniBatchKMeans

from threadpoolctl import threadpool_limits

import kmix
from conftest import data_scale, inertia_formula, init_rows, make_blobs, make_data, nearest, sq_dists


@pytest.fixture(autouse=True)
def _sklearn_single_thread():
    """scikit-learn's OpenMP step loop spins badly on a busy 2-core machine; one thread keeps
    the reference fast (and its results do not depend on the thread count)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def fit_both(X, k, sample_weight=None, **params):
    ours = kmix.MiniBatchKMeans(n_clusters=k, **params).fit(X, sample_weight=sample_weight)
    theirs = SkMiniBatchKMeans(n_clusters=k, **params).fit(X, sample_weight=sample_weight)
    return ours, theirs


def assert_same_fit(ours, theirs, X):
    assert ours.n_steps_ == theirs.n_steps_
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.cluster_centers_.shape == theirs.cluster_centers_.shape
    assert ours.cluster_centers_.dtype == theirs.cluster_centers_.dtype
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-9, atol=1e-12 * data_scale(X))
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-9)
    assert ours.n_features_in_ == theirs.n_features_in_ == X.shape[1]


# ---- same random stream as scikit-learn (float64) ---------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(init="random"),
        dict(n_init=3),
        dict(init="random", n_init=2),
        dict(tol=1e-3),
        dict(max_no_improvement=None, max_iter=5),
        dict(batch_size=16, reassignment_ratio=0.5),
        dict(batch_size=100, init_size=300),
    ],
    ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "default",
)
@pytest.mark.parametrize("seed", [0, 5])
def test_same_result_as_sklearn(params, seed):
    X = make_data("blobs", 1500, 4, 6, seed=seed)
    ours, theirs = fit_both(X, 6, random_state=seed, **params)
    assert_same_fit(ours, theirs, X)


@pytest.mark.parametrize("kind", ["aniso", "uniform"])
def test_same_result_other_data(kind):
    X = make_data(kind, 2000, 3, 5, seed=3)
    ours, theirs = fit_both(X, 5, random_state=11, batch_size=256)
    assert_same_fit(ours, theirs, X)


def test_explicit_init_array_same_result():
    X = make_data("blobs", 1200, 3, 5, seed=2)
    init = init_rows(X, 5, 2)
    ours, theirs = fit_both(X, 5, init=init, n_init=1, random_state=4, batch_size=128)
    assert_same_fit(ours, theirs, X)


@pytest.mark.parametrize("params", [dict(), dict(batch_size=32, reassignment_ratio=0.5)])
def test_sample_weight_same_result(params):
    X = make_data("blobs", 1500, 3, 5, seed=7)
    w = np.random.default_rng(7).uniform(0.1, 3.0, size=X.shape[0])
    ours, theirs = fit_both(X, 5, sample_weight=w, random_state=1, **params)
    assert_same_fit(ours, theirs, X)


def test_partial_fit_sequence_same_as_sklearn():
    X = make_data("blobs", 2000, 4, 5, seed=9)
    ours = kmix.MiniBatchKMeans(5, random_state=3)
    theirs = SkMiniBatchKMeans(5, random_state=3)
    for chunk in np.array_split(X, 10):
        ours.partial_fit(chunk)
        theirs.partial_fit(chunk)
        assert ours.n_steps_ == theirs.n_steps_
        np.testing.assert_allclose(
            ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-9, atol=1e-12 * data_scale(X)
        )
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.score(X), theirs.score(X), rtol=1e-9)


# ---- quality ---------------------------------------------------------------------------------
def test_inertia_within_5_percent_of_full_kmeans():
    X = make_blobs(n=5000, d=4, k=8, seed=13, std=1.5)[0]
    full = kmix.KMeans(8, random_state=0, n_init=3).fit(X)
    mb = kmix.MiniBatchKMeans(8, random_state=0, n_init=3).fit(X)
    np.testing.assert_allclose(
        mb.inertia_, inertia_formula(X, mb.cluster_centers_, nearest(X, mb.cluster_centers_)), rtol=1e-9
    )
    assert mb.inertia_ <= 1.05 * full.inertia_


def test_partial_fit_20_chunks_within_10_percent():
    X = make_blobs(n=6000, d=4, k=8, seed=14, std=1.5)[0]
    X = X[np.random.default_rng(0).permutation(X.shape[0])]
    full = kmix.KMeans(8, random_state=0, n_init=3).fit(X)
    mb = kmix.MiniBatchKMeans(8, random_state=0)
    for chunk in np.array_split(X, 20):
        mb.partial_fit(chunk)
    inertia = inertia_formula(X, mb.cluster_centers_, nearest(X, mb.cluster_centers_))
    assert inertia <= 1.10 * full.inertia_
    np.testing.assert_allclose(-mb.score(X), inertia, rtol=1e-9)


def test_never_worse_than_sklearn():
    X = make_data("aniso", 2000, 3, 6, seed=15)
    for seed in range(4):
        ours, theirs = fit_both(X, 6, random_state=seed, batch_size=128)
        assert ours.inertia_ <= theirs.inertia_ * (1 + 1e-9)


def test_float32_in_float32_centers():
    X64 = make_blobs(n=3000, d=3, k=5, seed=16, std=1.5)[0]
    X = X64.astype(np.float32)
    mb = kmix.MiniBatchKMeans(5, random_state=0).fit(X)
    assert mb.cluster_centers_.dtype == np.float32
    assert mb.transform(X).dtype == np.float32
    full = kmix.KMeans(5, random_state=0, n_init=3).fit(X64)
    inertia = inertia_formula(X64, mb.cluster_centers_, nearest(X64, mb.cluster_centers_))
    assert inertia <= 1.05 * full.inertia_
    np.testing.assert_array_equal(mb.labels_, nearest(X, mb.cluster_centers_))


# ---- fitted-model methods --------------------------------------------------------------------
def test_methods_consistent_with_formulas():
    X = make_data("blobs", 1500, 3, 4, seed=17)
    ours, theirs = fit_both(X, 4, random_state=2)
    Y = make_data("uniform", 300, 3, 4, seed=18) * 15
    C = ours.cluster_centers_
    np.testing.assert_array_equal(ours.predict(Y), nearest(Y, C))
    np.testing.assert_array_equal(ours.predict(Y), theirs.predict(Y))
    np.testing.assert_allclose(ours.transform(Y), np.sqrt(sq_dists(Y, C)), rtol=1e-12)
    w = np.random.default_rng(3).uniform(0, 2, size=300)
    np.testing.assert_allclose(ours.score(Y, sample_weight=w), -inertia_formula(Y, C, nearest(Y, C), w), rtol=1e-12)
    np.testing.assert_allclose(ours.score(Y, sample_weight=w), theirs.score(Y, sample_weight=w), rtol=1e-9)
    fp = kmix.MiniBatchKMeans(4, random_state=2).fit_predict(X)
    np.testing.assert_array_equal(fp, theirs.labels_)


# ---- bad inputs ------------------------------------------------------------------------------
X_OK = make_data("blobs", 50, 2, 3, seed=0)


@pytest.mark.parametrize(
    "X,params,exc,match",
    [
        (np.r_[X_OK, [[np.nan, 0.0]]], {}, ValueError, "(?i)nan|X"),
        (np.r_[X_OK, [[np.inf, 0.0]]], {}, ValueError, "(?i)inf|X"),
        (np.empty((0, 2)), {}, ValueError, "(?i)sample|X"),
        (X_OK[:, 0], {}, ValueError, "(?i)2D|X"),
        (np.array([["a", "b"], ["c", "d"]]), {}, (ValueError, TypeError), "(?i)X|float|string|convert"),
        (X_OK, dict(n_clusters=51), ValueError, "n_clusters"),
        (X_OK, dict(n_clusters=0), ValueError, "n_clusters"),
        (X_OK, dict(batch_size=0), ValueError, "batch_size"),
        (X_OK, dict(reassignment_ratio=-0.1), ValueError, "reassignment_ratio"),
        (X_OK, dict(init="kmeans++"), ValueError, "init"),
        (X_OK, dict(max_iter=0), ValueError, "max_iter"),
        (X_OK, dict(tol=-1.0), ValueError, "tol"),
    ],
    ids=[
        "nan",
        "inf",
        "empty",
        "1d",
        "strings",
        "k_gt_n",
        "k0",
        "batch_size0",
        "neg_ratio",
        "bad_init",
        "max_iter0",
        "neg_tol",
    ],
)
def test_bad_inputs(X, params, exc, match):
    params = dict(dict(n_clusters=3, random_state=0), **params)
    with pytest.raises(exc, match=match):
        kmix.MiniBatchKMeans(**params).fit(X)


def test_negative_sample_weight():
    w = np.ones(X_OK.shape[0])
    w[3] = -1.0
    with pytest.raises(ValueError, match="sample_weight"):
        kmix.MiniBatchKMeans(3, random_state=0).fit(X_OK, sample_weight=w)
    with pytest.raises(ValueError, match="sample_weight"):
        kmix.MiniBatchKMeans(3, random_state=0).fit(X_OK, sample_weight=np.ones(7))


def test_predict_wrong_features_and_unfitted():
    with pytest.raises((ValueError, AttributeError)):
        kmix.MiniBatchKMeans(3).predict(X_OK)
    mb = kmix.MiniBatchKMeans(3, random_state=0).fit(X_OK)
    with pytest.raises(ValueError, match="X|feature"):
        mb.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="X|feature"):
        mb.partial_fit(np.zeros((4, 3)))


# ---- threads ---------------------------------------------------------------------------------
def test_thread_determinism():
    X = make_data("blobs", 20000, 5, 8, seed=19)
    with threadpool_limits(limits=2, user_api="openmp"):  # undo the autouse fixture's limit
        a = kmix.MiniBatchKMeans(8, random_state=0, batch_size=4096, n_threads=1).fit(X)
        b = kmix.MiniBatchKMeans(8, random_state=0, batch_size=4096, n_threads=2).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.n_steps_ == b.n_steps_
