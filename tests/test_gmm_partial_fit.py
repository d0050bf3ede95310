"""GaussianMixture.partial_fit: online (stepwise) EM over batches.

Checked against fit itself (one batch is one EM iteration; the same batch again and again
converges to fit's optimum), against a fit on all the data (one pass of batches of 1,000 from a
known mixture), against repeated rows for integer weights, and for the thread count, pickling
and bad inputs.
"""

import pickle
import warnings

import numpy as np
import pytest

import kmix

COV_TYPES = ["full", "tied", "diag", "spherical"]


def known_mixture(n, cov_type, k=4, d=3, seed=0, dtype=np.float64):
    """n rows drawn from a mixture of k Gaussians of the family cov_type, means well apart."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(-8, 8, size=(k, d))
    comp = rng.choice(k, size=n, p=np.linspace(1, 2, k) / np.linspace(1, 2, k).sum())
    Z = rng.normal(size=(n, d))
    if cov_type == "full":
        A = rng.normal(size=(k, d, d)) * 0.5 + np.eye(d) * 0.5
        X = means[comp] + np.einsum("nij,nj->ni", A[comp], Z)
    elif cov_type == "tied":
        A = rng.normal(size=(d, d)) * 0.5 + np.eye(d) * 0.5
        X = means[comp] + Z @ A.T
    elif cov_type == "diag":
        X = means[comp] + Z * rng.uniform(0.3, 1.5, size=(k, d))[comp]
    else:
        X = means[comp] + Z * rng.uniform(0.3, 1.5, size=k)[comp, None]
    return X.astype(dtype)


def fitted_arrays(m):
    return [m.weights_, m.means_, m.covariances_, m.precisions_cholesky_]


@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("init_params", ["kmeans", "random_from_data"])
def test_one_batch_is_one_em_iteration(cov_type, dtype, init_params):
    X = known_mixture(3000, cov_type, seed=1, dtype=dtype)
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=len(X))
    params = dict(n_components=4, covariance_type=cov_type, init_params=init_params, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter=1 does not converge
        want = kmix.GaussianMixture(**params, max_iter=1).fit(X, sample_weight=w)
    got = kmix.GaussianMixture(**params).partial_fit(X, sample_weight=w)
    rtol = 1e-9 if dtype == np.float64 else 1e-4
    for a, b in zip(fitted_arrays(got), fitted_arrays(want)):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())
    np.testing.assert_allclose(got.lower_bound_, want.lower_bound_, rtol=rtol)
    assert got.n_iter_ == 1 and not got.converged_


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_the_same_batch_again_converges_to_fit(cov_type):
    # Stepwise EM on one fixed batch has EM's fixed points: from the same initialization it
    # ends where fit does (the statistics of old steps, moved to each step's means, are exact).
    X = known_mixture(4000, cov_type, seed=4)
    fit = kmix.GaussianMixture(4, covariance_type=cov_type, random_state=0, tol=1e-12, max_iter=1000).fit(X)
    m = kmix.GaussianMixture(4, covariance_type=cov_type, random_state=0, learning_decay=0.51)
    for _ in range(200):
        m.partial_fit(X)
    assert m.n_iter_ == 200
    np.testing.assert_allclose(m.score(X), fit.score(X), rtol=1e-9)
    order_m, order_f = np.lexsort(m.means_.T), np.lexsort(fit.means_.T)
    np.testing.assert_allclose(m.means_[order_m], fit.means_[order_f], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(m.weights_[order_m], fit.weights_[order_f], rtol=1e-5)


@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("learning_decay", [0.6, 0.7, 1.0])
def test_one_pass_of_batches_within_one_percent_of_fit(cov_type, learning_decay):
    X = known_mixture(40_000, cov_type, seed=5)
    fit = kmix.GaussianMixture(4, covariance_type=cov_type, random_state=0).fit(X)
    m = kmix.GaussianMixture(4, covariance_type=cov_type, random_state=0, learning_decay=learning_decay)
    for start in range(0, len(X), 1000):
        m.partial_fit(X[start : start + 1000])
    assert m.n_iter_ == 40
    online, batch = m.score(X), fit.score(X)
    assert abs(online - batch) <= 0.01 * abs(batch), (online, batch)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_integer_weights_equal_repeated_rows(cov_type):
    X = known_mixture(1200, cov_type, seed=6)
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 4, size=len(X))
    counts[:4] = 1
    d = X.shape[1]
    precisions = {
        "full": np.stack([np.eye(d)] * 4),
        "tied": np.eye(d),
        "diag": np.ones((4, d)),
        "spherical": np.ones(4),
    }[cov_type]
    init = dict(weights_init=np.full(4, 0.25), means_init=X[:4].copy(), precisions_init=precisions)
    a = kmix.GaussianMixture(4, covariance_type=cov_type, **init)
    b = kmix.GaussianMixture(4, covariance_type=cov_type, **init)
    for part in (slice(0, 600), slice(600, 1200)):
        a.partial_fit(X[part], sample_weight=counts[part].astype(float))
        b.partial_fit(np.repeat(X[part], counts[part], axis=0))
        for u, v in zip(fitted_arrays(a), fitted_arrays(b)):
            np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-12)


def test_threads_pickle_and_continuation():
    X = known_mixture(6000, "full", seed=8)
    runs = []
    for n_threads in (1, 2):
        m = kmix.GaussianMixture(4, random_state=1, n_threads=n_threads)
        for start in range(0, 3000, 1000):
            m.partial_fit(X[start : start + 1000])
        # A pickled model carries the running statistics: it continues as the original does.
        copy = pickle.loads(pickle.dumps(m))
        for model in (m, copy):
            for start in range(3000, 6000, 1000):
                model.partial_fit(X[start : start + 1000])
        for u, v in zip(fitted_arrays(m), fitted_arrays(copy)):
            np.testing.assert_array_equal(u, v)
        runs.append(m)
    for u, v in zip(fitted_arrays(runs[0]), fitted_arrays(runs[1])):
        np.testing.assert_array_equal(u, v)


def test_fit_then_partial_fit_and_partial_fit_then_fit():
    X = known_mixture(5000, "diag", seed=9)
    fitted = kmix.GaussianMixture(4, covariance_type="diag", random_state=0).fit(X)
    # From a fitted model, the first step is one EM iteration from its parameters.
    step = kmix.GaussianMixture(4, covariance_type="diag", random_state=0).fit(X).partial_fit(X)
    warm = kmix.GaussianMixture(4, covariance_type="diag", random_state=0, warm_start=True).fit(X)
    warm.set_params(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one iteration: not converged
        warm.fit(X)
    assert np.abs(step.means_ - fitted.means_).max() > 0  # the step moved the fitted model
    for u, v in zip(fitted_arrays(step), fitted_arrays(warm)):
        np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-12)
    # fit forgets the running statistics: partial_fit after it starts again.
    m = kmix.GaussianMixture(4, covariance_type="diag", random_state=0)
    m.partial_fit(X[:1000]).partial_fit(X[1000:2000])
    m.fit(X)
    assert "_online" not in m.__dict__
    for u, v in zip(fitted_arrays(m), fitted_arrays(fitted)):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("value", [0.5, 0.0, -1.0, 1.5, np.nan, "0.7", None])
def test_bad_learning_decay(value):
    X = known_mixture(200, "full", seed=10)
    with pytest.raises((ValueError, TypeError), match="learning_decay"):
        kmix.GaussianMixture(2, learning_decay=value).partial_fit(X)


def test_bad_batches():
    X = known_mixture(500, "full", seed=11)
    m = kmix.GaussianMixture(2, random_state=0).partial_fit(X[:300])
    with pytest.raises(ValueError, match="features"):
        m.partial_fit(X[:10, :2])
    with pytest.raises(ValueError, match="sample_weight"):
        m.partial_fit(X[:10], sample_weight=np.zeros(10))
    with pytest.raises(ValueError, match="sample_weight"):
        m.partial_fit(X[:10], sample_weight=np.ones(9))
    bad = X[:10].copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN|infinity"):
        m.partial_fit(bad)
    with pytest.raises(ValueError):  # a first batch with fewer rows than components
        kmix.GaussianMixture(5).partial_fit(X[:3])
    m.set_params(n_components=3)
    with pytest.raises(ValueError, match="n_components"):
        m.partial_fit(X[:10])
    # After the failed calls the model is as it was: one more good batch works.
    m.set_params(n_components=2)
    assert m.partial_fit(X[300:]).n_iter_ == 2


# ---- kmix.dask.GaussianMixture(...).fit(X, method="online") ------------------------------------
@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_dask_online_is_partial_fit_over_the_chunks(cov_type):
    da = pytest.importorskip("dask.array")
    import kmix.dask

    X = known_mixture(6000, cov_type, seed=12)
    w = np.random.default_rng(13).uniform(0.5, 2.0, size=len(X))
    w[2000:3000] = 0.0  # a chunk of zero weight is skipped
    Xd, wd = da.from_array(X, chunks=(1000, 3)), da.from_array(w, chunks=1000)
    params = dict(n_components=4, covariance_type=cov_type, random_state=0, learning_decay=0.6)
    got = kmix.dask.GaussianMixture(**params).fit(Xd, sample_weight=wd, method="online")
    want = kmix.GaussianMixture(**params)
    for start in (0, 1000, 3000, 4000, 5000):
        want.partial_fit(X[start : start + 1000], sample_weight=w[start : start + 1000])
    assert got.n_iter_ == want.n_iter_ == 5
    for u, v in zip(fitted_arrays(got), fitted_arrays(want)):
        np.testing.assert_array_equal(u, v)
    # partial_fit continues the online fit
    assert got.partial_fit(X[:1000]).n_iter_ == 6


def test_dask_online_one_pass_within_one_percent_of_em():
    da = pytest.importorskip("dask.array")
    import kmix.dask

    X = known_mixture(40_000, "full", seed=15)
    Xd = da.from_array(X, chunks=(1000, 3))
    online = kmix.dask.GaussianMixture(4, random_state=0).fit(Xd, method="online")
    em = kmix.dask.GaussianMixture(4, random_state=0).fit(Xd)
    assert online.n_iter_ == 40
    assert abs(online.score(X) - em.score(X)) <= 0.01 * abs(em.score(X))


def test_dask_online_bad_method_and_weights():
    da = pytest.importorskip("dask.array")
    import kmix.dask

    X = da.from_array(known_mixture(2000, "full", seed=14), chunks=(500, 3))
    with pytest.raises(ValueError, match="method"):
        kmix.dask.GaussianMixture(2).fit(X, method="stochastic")
    with pytest.raises(ValueError, match="sample_weight"):
        kmix.dask.GaussianMixture(2).fit(X, sample_weight=np.zeros(2000), method="online")
    bad = known_mixture(2000, "full", seed=14)
    bad[1200, 0] = np.inf
    with pytest.raises(ValueError, match="chunk 2"):
        kmix.dask.GaussianMixture(2, random_state=0).fit(da.from_array(bad, chunks=(500, 3)), method="online")
