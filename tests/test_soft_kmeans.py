"""kmix.SoftKMeans against the soft k-means formulas written in numpy."""

import numpy as np
import pytest
from scipy.special import logsumexp

import kmix
from conftest import data_scale, init_rows, make_data, make_separated_blobs, nearest, sq_dists

BETAS = [0.01, 0.1, 1.0, 10.0]


# ---- independent numpy reference -------------------------------------------------------------
def responsibilities(X, C, beta):
    """r[n, k] = exp(-beta d(c_k, x_n)) / sum_j exp(-beta d(c_j, x_n)), computed stably."""
    L = -beta * sq_dists(X, C)
    return np.exp(L - logsumexp(L, axis=1, keepdims=True))


def soft_step(X, C, beta, w=None):
    X = np.asarray(X, dtype=np.float64)
    R = responsibilities(X, C, beta)
    if w is not None:
        R = R * np.asarray(w, dtype=np.float64)[:, None]
    return (R.T @ X) / R.sum(0)[:, None]


def soft_iterate(X, C0, beta, n_iter, w=None):
    C = np.asarray(C0, dtype=np.float64).copy()
    for _ in range(n_iter):
        C = soft_step(X, C, beta, w)
    return C


def soft_fit(X, C0, beta, max_iter, tol, w=None):
    """Iterate until the sum of squared center shifts is <= tol (or max_iter): (centers, n_iter)."""
    C = np.asarray(C0, dtype=np.float64).copy()
    for i in range(max_iter):
        C_new = soft_step(X, C, beta, w)
        shift = ((C_new - C) ** 2).sum()
        C = C_new
        if shift <= tol:
            return C, i + 1
    return C, max_iter


def soft_score(X, C, beta, w=None):
    w = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    return float((w * logsumexp(-beta * sq_dists(X, C), axis=1) / beta).sum())


def close(actual, expected, X, rtol=1e-10):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * data_scale(X))


# ---- updates against numpy -------------------------------------------------------------------
@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("kind", ["blobs", "aniso"])
def test_centers_match_numpy_iteration(beta, kind):
    X = make_data(kind, 400, 3, 5, seed=1)
    init = init_rows(X, 5, seed=2)
    km = kmix.SoftKMeans(5, beta=beta, init=init, max_iter=60, tol=1e-4).fit(X)
    assert 1 <= km.n_iter_ <= 60
    close(km.cluster_centers_, soft_iterate(X, init, beta, km.n_iter_), X)
    assert km.cluster_centers_.dtype == np.float64 and km.n_features_in_ == 3


@pytest.mark.parametrize("beta", BETAS)
def test_stopping_rule_matches_numpy(beta):
    X = make_data("blobs", 300, 2, 4, seed=3)
    init = init_rows(X, 4, seed=3)
    for tol in (1e-2, 1e-6):
        km = kmix.SoftKMeans(4, beta=beta, init=init, max_iter=200, tol=tol).fit(X)
        C, n_iter = soft_fit(X, init, beta, 200, tol)
        assert km.n_iter_ == n_iter
        close(km.cluster_centers_, C, X)


@pytest.mark.parametrize("max_iter", [1, 2, 5])
def test_max_iter_with_tol_zero(max_iter):
    X = make_data("aniso", 300, 4, 4, seed=4)
    init = init_rows(X, 4, seed=4)
    km = kmix.SoftKMeans(4, beta=0.5, init=init, max_iter=max_iter, tol=0.0).fit(X)
    assert km.n_iter_ == max_iter
    close(km.cluster_centers_, soft_iterate(X, init, 0.5, max_iter), X)


def test_tol_zero_runs_until_centers_stop():
    X = make_separated_blobs(200, 2, 3, seed=5)[0]
    init = init_rows(X, 3, seed=5)
    km = kmix.SoftKMeans(3, beta=1.0, init=init, max_iter=500, tol=0.0).fit(X)
    assert km.n_iter_ < 500
    # Centers are a fixed point of the update.
    close(soft_step(X, km.cluster_centers_, 1.0), km.cluster_centers_, X, rtol=1e-12)


@pytest.mark.parametrize("beta", BETAS)
def test_predict_proba_predict_transform_score(beta):
    X = make_data("blobs", 300, 3, 4, seed=6)
    km = kmix.SoftKMeans(4, beta=beta, init=init_rows(X, 4, 6), max_iter=30).fit(X)
    C = km.cluster_centers_
    Y = make_data("uniform", 150, 3, 4, seed=7) * 12
    P = km.predict_proba(Y)
    assert P.shape == (150, 4)
    np.testing.assert_allclose(P, responsibilities(Y, C, beta), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(P.sum(1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(km.predict(Y), nearest(Y, C))
    np.testing.assert_array_equal(km.predict(Y), np.argmax(P, axis=1))
    np.testing.assert_array_equal(km.labels_, nearest(X, C))
    np.testing.assert_allclose(km.transform(Y), np.sqrt(sq_dists(Y, C)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(km.score(Y), soft_score(Y, C, beta), rtol=1e-10)
    w = np.random.default_rng(8).uniform(0, 2, size=150)
    np.testing.assert_allclose(km.score(Y, sample_weight=w), soft_score(Y, C, beta, w), rtol=1e-10)


def test_fit_predict_and_fit_transform():
    X = make_data("blobs", 300, 3, 4, seed=9)
    init = init_rows(X, 4, 9)
    km = kmix.SoftKMeans(4, init=init, max_iter=20).fit(X)
    np.testing.assert_array_equal(
        kmix.SoftKMeans(4, init=init, max_iter=20).fit_predict(X), nearest(X, km.cluster_centers_)
    )
    np.testing.assert_allclose(
        kmix.SoftKMeans(4, init=init, max_iter=20).fit_transform(X),
        np.sqrt(sq_dists(X, km.cluster_centers_)),
        rtol=1e-12,
        atol=1e-12,
    )


# ---- limits ----------------------------------------------------------------------------------
def test_large_beta_equals_kmeans():
    X = make_separated_blobs(400, 3, 5, seed=10)[0]
    init = init_rows(X, 5, seed=10)
    soft = kmix.SoftKMeans(5, beta=1e4, init=init, max_iter=300, tol=0.0).fit(X)
    hard = kmix.KMeans(5, init=init, n_init=1, tol=0.0).fit(X)
    np.testing.assert_allclose(soft.cluster_centers_, hard.cluster_centers_, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(soft.labels_, hard.labels_)


def test_far_away_point_is_stable():
    X = np.r_[make_data("blobs", 200, 2, 3, seed=11), [[1e6, 1e6]]]
    init = init_rows(X[:-1], 3, seed=11)
    km = kmix.SoftKMeans(3, beta=1.0, init=init, max_iter=10, tol=0.0).fit(X)
    assert np.all(np.isfinite(km.cluster_centers_))
    close(km.cluster_centers_, soft_iterate(X, init, 1.0, km.n_iter_), X)
    Y = np.array([[1e6, 1e6], [-1e6, 3.0], [0.0, 0.0]])
    P = km.predict_proba(Y)
    assert not np.any(np.isnan(P)) and np.all(np.isfinite(P))
    np.testing.assert_allclose(P, responsibilities(Y, km.cluster_centers_, 1.0), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(P.sum(1), 1.0, rtol=1e-12)
    assert np.isfinite(km.score(Y))
    np.testing.assert_allclose(km.score(Y), soft_score(Y, km.cluster_centers_, 1.0), rtol=1e-10)


# ---- sample_weight, dtypes, random_state --------------------------------------------------
@pytest.mark.parametrize("beta", [0.1, 1.0])
def test_integer_sample_weight_equals_repeated_rows(beta):
    X = make_data("blobs", 200, 3, 4, seed=12)
    w = np.random.default_rng(12).integers(1, 4, size=200)
    init = init_rows(X, 4, 12)
    a = kmix.SoftKMeans(4, beta=beta, init=init, max_iter=50).fit(X, sample_weight=w)
    b = kmix.SoftKMeans(4, beta=beta, init=init, max_iter=50).fit(np.repeat(X, w, axis=0))
    assert a.n_iter_ == b.n_iter_
    close(a.cluster_centers_, b.cluster_centers_, X)
    close(a.cluster_centers_, soft_iterate(X, init, beta, a.n_iter_, w.astype(float)), X)
    np.testing.assert_allclose(a.score(X, sample_weight=w), b.score(np.repeat(X, w, axis=0)), rtol=1e-10)


def test_real_sample_weight_matches_numpy():
    X = make_data("aniso", 300, 3, 4, seed=13)
    w = np.random.default_rng(13).uniform(0.1, 3.0, size=300)
    init = init_rows(X, 4, 13)
    km = kmix.SoftKMeans(4, beta=0.3, init=init, max_iter=40).fit(X, sample_weight=w)
    close(km.cluster_centers_, soft_iterate(X, init, 0.3, km.n_iter_, w), X)


def test_float32():
    X64 = make_data("blobs", 300, 3, 4, seed=14)
    X = X64.astype(np.float32)
    init = init_rows(X, 4, 14)
    km = kmix.SoftKMeans(4, beta=0.5, init=init, max_iter=10, tol=0.0).fit(X)
    assert km.cluster_centers_.dtype == np.float32
    assert km.n_iter_ == 10
    np.testing.assert_allclose(
        km.cluster_centers_, soft_iterate(X.astype(np.float64), init, 0.5, 10), rtol=1e-4, atol=1e-4 * data_scale(X)
    )
    P = km.predict_proba(X)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P.sum(1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_random_state_reproducible(init):
    X = make_data("blobs", 300, 3, 4, seed=15)
    a = kmix.SoftKMeans(4, init=init, n_init=2, random_state=3).fit(X)
    b = kmix.SoftKMeans(4, init=init, n_init=2, random_state=3).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    # The result is a fixed point of the numpy update (up to tol).
    shift = ((soft_step(X, a.cluster_centers_, 1.0) - a.cluster_centers_) ** 2).sum()
    assert shift <= 1e-4


# ---- bad inputs ------------------------------------------------------------------------------
X_OK = make_data("blobs", 50, 2, 3, seed=0)


@pytest.mark.parametrize("beta", [0.0, -1.0, np.inf, -np.inf, np.nan])
def test_bad_beta_value(beta):
    with pytest.raises(ValueError, match="beta"):
        kmix.SoftKMeans(3, beta=beta, random_state=0).fit(X_OK)


@pytest.mark.parametrize("beta", ["1.0", None, [1.0]])
def test_bad_beta_type(beta):
    with pytest.raises((TypeError, ValueError), match="beta"):
        kmix.SoftKMeans(3, beta=beta, random_state=0).fit(X_OK)


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
        (X_OK, dict(init="kmeans++"), (ValueError, TypeError), "init"),
        (X_OK, dict(init=np.zeros((2, 2))), ValueError, "init"),
        (X_OK, dict(max_iter=0), ValueError, "max_iter"),
        (X_OK, dict(tol=-1.0), ValueError, "tol"),
        (X_OK, dict(n_init=0), ValueError, "n_init"),
    ],
    ids=[
        "nan",
        "inf",
        "empty",
        "1d",
        "strings",
        "k_gt_n",
        "k0",
        "bad_init",
        "init_shape",
        "max_iter0",
        "neg_tol",
        "n_init0",
    ],
)
def test_bad_inputs(X, params, exc, match):
    params = dict(dict(n_clusters=3, random_state=0), **params)
    with pytest.raises(exc, match=match):
        kmix.SoftKMeans(**params).fit(X)


def test_bad_sample_weight_and_predict():
    w = np.ones(X_OK.shape[0])
    w[3] = -1.0
    with pytest.raises(ValueError, match="sample_weight"):
        kmix.SoftKMeans(3, random_state=0).fit(X_OK, sample_weight=w)
    with pytest.raises(ValueError, match="sample_weight"):
        kmix.SoftKMeans(3, random_state=0).fit(X_OK, sample_weight=np.ones(7))
    with pytest.raises((ValueError, AttributeError)):
        kmix.SoftKMeans(3).predict_proba(X_OK)
    km = kmix.SoftKMeans(3, random_state=0).fit(X_OK)
    with pytest.raises(ValueError, match="X|feature"):
        km.predict_proba(np.zeros((4, 3)))


# ---- threads ---------------------------------------------------------------------------------
def test_thread_determinism():
    X = make_data("blobs", 20000, 5, 8, seed=16)
    init = init_rows(X, 8, 16)
    a = kmix.SoftKMeans(8, beta=0.2, init=init, max_iter=15, n_threads=1).fit(X)
    b = kmix.SoftKMeans(8, beta=0.2, init=init, max_iter=15, n_threads=2).fit(X)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.predict_proba(X[:500]), b.predict_proba(X[:500]))
    assert a.score(X) == b.score(X)
