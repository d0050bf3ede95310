"""kmix.BayesianGaussianMixture: against sklearn.mixture.BayesianGaussianMixture (every covariance
type and weight prior, several data shapes, given priors, n_init, warm_start, max_iter=0,
reg_covar=0, the fitted-model methods), sample_weight (against repeated and dropped rows),
float32, rejected inputs, determinism (threads, seeds), pickle and save/load.

Every reference is computed here: a scikit-learn fit with the same parameters, a kmix fit on
repeated or dropped rows, or a numpy formula.
"""

import copy
import pickle
import re
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning  # noqa: E402
from sklearn.exceptions import NotFittedError as SkNotFittedError  # noqa: E402
from sklearn.mixture import BayesianGaussianMixture as SkBGM  # noqa: E402

import kmix  # noqa: E402
from conftest import patch_core  # noqa: E402

COV_TYPES = ("full", "tied", "diag", "spherical")
PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")
SHAPES = ((400, 2, 5), (1200, 3, 6), (3000, 5, 4))  # (n_samples, n_features, true blobs = n_components)
PARAMS = (
    "weights_",
    "means_",
    "covariances_",
    "precisions_",
    "precisions_cholesky_",
    "mean_precision_",
    "degrees_of_freedom_",
)
PRIORS = (
    "weight_concentration_prior_",
    "mean_precision_prior_",
    "mean_prior_",
    "degrees_of_freedom_prior_",
    "covariance_prior_",
)


# ---- data ------------------------------------------------------------------------------------
def make_data(n, d, k, seed, spread=8.0):
    """k Gaussian blobs with random full covariances (numpy RandomState): (X, true labels)."""
    rs = np.random.RandomState(seed)
    centers = rs.uniform(-spread, spread, size=(k, d))
    A = 0.6 * rs.standard_normal((k, d, d)) + rs.uniform(0.5, 1.5, size=(k, 1, 1)) * np.eye(d)
    labels = rs.randint(k, size=n)
    X = centers[labels] + np.einsum("nij,nj->ni", A[labels], rs.standard_normal((n, d)))
    return X, labels


def new_points(X, n=200, seed=99):
    """Points spread over (and a little beyond) X's bounding box."""
    rs = np.random.RandomState(seed)
    lo, hi = X.min(axis=0) - 3.0, X.max(axis=0) + 3.0
    return rs.uniform(lo, hi, size=(n, X.shape[1])).astype(X.dtype)


def random_spd(d, seed, scale=1.0):
    rs = np.random.RandomState(seed)
    A = rs.standard_normal((d, d))
    return scale * (A @ A.T / d + np.eye(d))


def covariance_prior_of_kind(covariance_type, d, seed, scale=1.0):
    """A valid covariance_prior of the kind the covariance type needs."""
    S = random_spd(d, seed, scale)
    return {"full": S, "tied": S, "diag": np.diag(S).copy(), "spherical": float(np.diag(S).mean())}[covariance_type]


# ---- comparisons -----------------------------------------------------------------------------
def quiet_fit(est, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkConvergenceWarning)
        warnings.simplefilter("ignore", kmix.ConvergenceWarning)
        return est.fit(X, **kw)


def fit_both(X, **params):
    ours = quiet_fit(kmix.BayesianGaussianMixture(**params), X)
    theirs = quiet_fit(SkBGM(**copy.deepcopy(params)), X)
    return ours, theirs


def assert_close(actual, expected, rtol, name=""):
    """allclose with rtol plus an atol of rtol x 1e-3 x the largest magnitude (for entries near
    zero: off-diagonal covariances, the weights of unused components)."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (name, actual.shape, expected.shape)
    scale = float(np.max(np.abs(expected))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * 1e-3 * scale, err_msg=name)


def concentration(est):
    """weight_concentration_ as a list of arrays (two for dirichlet_process, one otherwise),
    checking its type: a tuple of two arrays exactly for dirichlet_process."""
    wc = est.weight_concentration_
    if est.weight_concentration_prior_type == "dirichlet_process":
        assert isinstance(wc, tuple) and len(wc) == 2, type(wc)
        return list(wc)
    assert isinstance(wc, np.ndarray), type(wc)
    return [wc]


def bound(value):
    """A lower bound as a float (scikit-learn's is a 1-element array for "tied")."""
    return float(np.asarray(value, dtype=np.float64).reshape(-1)[0])


def clear_rows(proba, margin=1e-4):
    """Rows whose two most probable components are not (nearly) tied."""
    if proba.shape[1] == 1:
        return np.ones(proba.shape[0], bool)
    top2 = np.sort(proba, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0] > margin


def assert_same_bgmm(ours, theirs, rtol=1e-6, X_eval=(), priors=True):
    """Two fitted Bayesian mixtures agree: parameters, weight concentrations, priors (rtol), lower
    bounds, the same n_iter_ and converged_, and the fitted-model methods on each of X_eval."""
    assert ours.n_iter_ == theirs.n_iter_, (ours.n_iter_, theirs.n_iter_)
    assert bool(ours.converged_) == bool(theirs.converged_)
    assert ours.n_features_in_ == theirs.n_features_in_
    for name in PARAMS:
        assert_close(getattr(ours, name), getattr(theirs, name), rtol, name)
    wc_ours, wc_theirs = concentration(ours), concentration(theirs)
    assert len(wc_ours) == len(wc_theirs)
    for a, b in zip(wc_ours, wc_theirs):
        assert_close(a, b, rtol, "weight_concentration_")
    if priors:
        for name in PRIORS:
            assert_close(getattr(ours, name), getattr(theirs, name), rtol, name)
    lb_ours, lb_theirs = bound(ours.lower_bound_), bound(theirs.lower_bound_)
    if np.isinf(lb_theirs):
        assert lb_ours == lb_theirs
    else:
        np.testing.assert_allclose(lb_ours, lb_theirs, rtol=rtol)
    assert len(ours.lower_bounds_) == len(theirs.lower_bounds_)
    if len(theirs.lower_bounds_):
        np.testing.assert_allclose(
            [bound(b) for b in ours.lower_bounds_], [bound(b) for b in theirs.lower_bounds_], rtol=rtol
        )
    for Y in X_eval:
        p_ours, p_theirs = ours.predict_proba(Y), theirs.predict_proba(Y)
        np.testing.assert_allclose(p_ours, p_theirs, rtol=rtol, atol=rtol * 1e-2)
        clear = clear_rows(p_theirs)
        assert clear.mean() > 0.5  # the label comparison covers most rows
        np.testing.assert_array_equal(ours.predict(Y)[clear], theirs.predict(Y)[clear])
        s_ours, s_theirs = ours.score_samples(Y), theirs.score_samples(Y)
        np.testing.assert_allclose(s_ours, s_theirs, rtol=rtol, atol=rtol * 1e-3 * float(np.max(np.abs(s_theirs))))
        np.testing.assert_allclose(ours.score(Y), theirs.score(Y), rtol=rtol)


def assert_same_fit(a, b, rtol, X_eval=()):
    """Two kmix fits agree (the same attributes, n_iter_ and converged_)."""
    assert_same_bgmm(a, b, rtol=rtol, X_eval=X_eval)


def fitted_attributes(est):
    """Everything a fit sets, weight_concentration_'s arrays unpacked."""
    out = {
        name: getattr(est, name)
        for name in PARAMS + PRIORS + ("converged_", "n_iter_", "lower_bound_", "n_features_in_")
    }
    for i, a in enumerate(concentration(est)):
        out[f"weight_concentration_[{i}]"] = a
    out["lower_bounds_"] = np.asarray(est.lower_bounds_, dtype=np.float64)
    return out


def assert_identical(a, b):
    """Bit-identical fitted attributes (same types, dtypes and bytes)."""
    fa, fb = fitted_attributes(a), fitted_attributes(b)
    assert fa.keys() == fb.keys()
    for name, va in fa.items():
        vb = fb[name]
        assert type(va) is type(vb), (name, type(va), type(vb))
        if isinstance(va, np.ndarray):
            assert va.dtype == vb.dtype and va.shape == vb.shape, name
            assert np.array_equal(va, vb), name
        else:
            assert va == vb, (name, va, vb)


# ---- scikit-learn: every covariance type, weight prior and shape -------------------------------
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_matches_sklearn(shape, covariance_type, prior_type):
    n, d, k = shape
    X, _ = make_data(n, d, k, seed=n + d)
    ours, theirs = fit_both(
        X, n_components=k, covariance_type=covariance_type, weight_concentration_prior_type=prior_type, random_state=d
    )
    assert ours.n_iter_ > 1  # a real fit, not a first step
    assert_same_bgmm(ours, theirs, X_eval=(X, new_points(X)))
    assert ours.predict(X).dtype == theirs.predict(X).dtype


@pytest.mark.parametrize("init_params", INIT_PARAMS)
@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_init_params_match_sklearn(init_params, covariance_type, prior_type):
    X, _ = make_data(500, 3, 4, seed=11)
    ours, theirs = fit_both(
        X,
        n_components=6,
        covariance_type=covariance_type,
        init_params=init_params,
        weight_concentration_prior_type=prior_type,
        random_state=5,
    )
    assert_same_bgmm(ours, theirs, X_eval=(new_points(X),))


def _given_priors(X, covariance_type, strength, seed):
    d = X.shape[1]
    rs = np.random.RandomState(seed)
    if strength == "strong":  # priors that pull the fit well away from the default one
        return dict(
            weight_concentration_prior=50.0,
            mean_precision_prior=20.0,
            mean_prior=X.mean(axis=0) + rs.uniform(-3, 3, size=d),
            degrees_of_freedom_prior=d + 10.0,
            covariance_prior=covariance_prior_of_kind(covariance_type, d, seed, scale=4.0),
        )
    return dict(
        weight_concentration_prior=1e-3,
        mean_precision_prior=1e-2,
        mean_prior=np.zeros(d),
        degrees_of_freedom_prior=d - 0.5,  # the smallest kind: just above n_features - 1
        covariance_prior=covariance_prior_of_kind(covariance_type, d, seed, scale=0.1),
    )


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("strength", ["strong", "weak"])
def test_given_priors_match_sklearn(covariance_type, prior_type, strength):
    X, _ = make_data(1200, 3, 6, seed=21)
    priors = _given_priors(X, covariance_type, strength, seed=3)
    ours, theirs = fit_both(
        X,
        n_components=6,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type,
        random_state=2,
        **priors,
    )
    assert_same_bgmm(ours, theirs, X_eval=(new_points(X),))
    # The priors in use are the given ones.
    assert ours.weight_concentration_prior_ == priors["weight_concentration_prior"]
    assert ours.mean_precision_prior_ == priors["mean_precision_prior"]
    assert ours.degrees_of_freedom_prior_ == priors["degrees_of_freedom_prior"]
    np.testing.assert_array_equal(ours.mean_prior_, priors["mean_prior"])
    np.testing.assert_array_equal(ours.covariance_prior_, priors["covariance_prior"])
    # And they matter: the default priors give another fit.
    default = quiet_fit(
        kmix.BayesianGaussianMixture(
            n_components=6, covariance_type=covariance_type, weight_concentration_prior_type=prior_type, random_state=2
        ),
        X,
    )
    assert not np.allclose(default.covariances_, ours.covariances_, rtol=1e-3)


def test_priors_as_lists_same_as_arrays():
    X, _ = make_data(400, 3, 3, seed=4)
    cov = random_spd(3, 4)
    arrays = dict(mean_prior=np.array([1.0, -1.0, 0.5]), covariance_prior=cov)
    lists = dict(mean_prior=[1.0, -1.0, 0.5], covariance_prior=cov.tolist())
    a = quiet_fit(kmix.BayesianGaussianMixture(n_components=3, random_state=0, **arrays), X)
    b = quiet_fit(kmix.BayesianGaussianMixture(n_components=3, random_state=0, **lists), X)
    assert_identical(a, b)
    _, theirs = fit_both(X, n_components=3, random_state=0, **lists)
    assert_same_bgmm(b, theirs)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_n_init_matches_sklearn(covariance_type, prior_type):
    X, _ = make_data(400, 2, 5, seed=31)
    ours, theirs = fit_both(
        X,
        n_components=5,
        covariance_type=covariance_type,
        n_init=3,
        init_params="random",
        weight_concentration_prior_type=prior_type,
        random_state=7,
    )
    assert_same_bgmm(ours, theirs, X_eval=(new_points(X),))
    # The best of the three: at least as good as the first initialization alone (the same draws).
    first = quiet_fit(
        kmix.BayesianGaussianMixture(
            n_components=5,
            covariance_type=covariance_type,
            n_init=1,
            init_params="random",
            weight_concentration_prior_type=prior_type,
            random_state=7,
        ),
        X,
    )
    assert ours.lower_bound_ >= first.lower_bound_


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_warm_start_one_iteration_at_a_time_matches_sklearn(covariance_type, prior_type):
    X, _ = make_data(400, 3, 4, seed=41)
    params = dict(
        n_components=6,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type,
        warm_start=True,
        max_iter=1,
        random_state=3,
        tol=1e-3,
    )
    ours, theirs = kmix.BayesianGaussianMixture(**params), SkBGM(**params)
    bounds = []
    for _ in range(12):
        quiet_fit(ours, X)
        quiet_fit(theirs, X)
        assert ours.n_iter_ == 1
        assert_same_bgmm(ours, theirs)
        bounds.append(ours.lower_bound_)
    assert len(set(bounds)) == len(bounds)  # every fit moved on from the previous one
    assert_same_bgmm(ours, theirs, X_eval=(new_points(X),))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_warm_start_continues_like_sklearn(covariance_type):
    # A short fit, then warm-started fits to convergence (with other tol / max_iter).
    X, _ = make_data(1200, 3, 6, seed=42)
    params = dict(n_components=6, covariance_type=covariance_type, max_iter=3, random_state=1)
    ours, theirs = fit_both(X, **params)
    assert_same_bgmm(ours, theirs)
    assert not ours.converged_
    for est in (ours, theirs):
        est.set_params(warm_start=True, max_iter=200, tol=1e-4, n_init=5)  # n_init is ignored
        quiet_fit(est, X)
    assert ours.converged_ and ours.n_iter_ > 1
    assert_same_bgmm(ours, theirs, X_eval=(new_points(X),))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_warm_start_steps_equal_one_fit(covariance_type, prior_type):
    # Six warm-started one-iteration fits are one six-iteration fit, to the bit: the fitted
    # attributes hold the whole posterior.
    X, _ = make_data(400, 3, 4, seed=44)
    params = dict(
        n_components=5,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type,
        random_state=0,
        tol=0.0,
    )
    once = quiet_fit(kmix.BayesianGaussianMixture(max_iter=6, **params), X)
    steps = kmix.BayesianGaussianMixture(max_iter=1, warm_start=True, **params)
    bounds = [quiet_fit(steps, X).lower_bound_ for _ in range(6)]
    assert bounds == list(once.lower_bounds_)
    for name in PARAMS:
        assert np.array_equal(getattr(steps, name), getattr(once, name)), name
    for a, b in zip(concentration(steps), concentration(once)):
        assert np.array_equal(a, b)


def test_warm_start_with_other_features_rejected():
    X, _ = make_data(200, 3, 2, seed=43)
    est = quiet_fit(kmix.BayesianGaussianMixture(n_components=2, warm_start=True, random_state=0), X)
    with pytest.raises(ValueError, match="warm_start"):
        est.fit(X[:, :2])


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("n_init", [1, 2])
def test_max_iter_zero_matches_sklearn(covariance_type, prior_type, n_init):
    # The initialization alone (the last one with n_init > 1, as scikit-learn), no bound, no warning.
    X, _ = make_data(400, 2, 5, seed=51)
    params = dict(
        n_components=5,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type,
        max_iter=0,
        n_init=n_init,
        random_state=4,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", kmix.ConvergenceWarning)
        ours = kmix.BayesianGaussianMixture(**params).fit(X)
    theirs = quiet_fit(SkBGM(**params), X)
    assert ours.n_iter_ == 0 and not ours.converged_
    assert ours.lower_bound_ == -np.inf and list(ours.lower_bounds_) == []
    assert_same_bgmm(ours, theirs, X_eval=(X, new_points(X)))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_reg_covar_zero_matches_sklearn(covariance_type, prior_type):
    X, _ = make_data(1200, 3, 6, seed=61)
    ours, theirs = fit_both(
        X,
        n_components=6,
        covariance_type=covariance_type,
        reg_covar=0.0,
        weight_concentration_prior_type=prior_type,
        random_state=6,
    )
    assert_same_bgmm(ours, theirs, X_eval=(new_points(X),))
    reg = quiet_fit(
        kmix.BayesianGaussianMixture(
            n_components=6,
            covariance_type=covariance_type,
            reg_covar=0.5,
            weight_concentration_prior_type=prior_type,
            random_state=6,
        ),
        X,
    )
    assert not np.allclose(reg.covariances_, ours.covariances_, rtol=1e-4)  # reg_covar is used


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_sample_matches_sklearn(covariance_type):
    X, _ = make_data(400, 3, 4, seed=71)
    ours, theirs = fit_both(X, n_components=4, covariance_type=covariance_type, random_state=8)
    Xs_ours, y_ours = ours.sample(300)
    Xs_theirs, y_theirs = theirs.sample(300)
    np.testing.assert_array_equal(y_ours, y_theirs)
    assert_close(Xs_ours, Xs_theirs, 1e-6, "sample")


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("max_iter,tol,n_init", [(2, 1e-7, 1), (300, 1e-7, 1), (100, 1e-3, 3)])
def test_fit_predict_is_fit_then_predict(covariance_type, max_iter, tol, n_init):
    X, _ = make_data(400, 2, 5, seed=81)
    params = dict(
        n_components=8, covariance_type=covariance_type, max_iter=max_iter, tol=tol, n_init=n_init, random_state=9
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kmix.ConvergenceWarning)
        est = kmix.BayesianGaussianMixture(**params)
        labels = est.fit_predict(X)
        again = kmix.BayesianGaussianMixture(**params).fit(X).predict(X)
    np.testing.assert_array_equal(labels, est.predict(X))
    np.testing.assert_array_equal(labels, again)
    theirs = quiet_fit(SkBGM(**params), X)
    clear = clear_rows(theirs.predict_proba(X))
    np.testing.assert_array_equal(labels[clear], theirs.predict(X)[clear])


@pytest.mark.parametrize("max_iter,tol", [(1, 1e-3), (3, 1e-12), (100, 1e-3), (100, 10.0)])
def test_convergence_warning_when_sklearn_warns(max_iter, tol):
    X, _ = make_data(400, 2, 5, seed=91)
    params = dict(n_components=6, max_iter=max_iter, tol=tol, random_state=2)
    with warnings.catch_warnings(record=True) as rec_theirs:
        warnings.simplefilter("always")
        theirs = SkBGM(**params).fit(X)
    with warnings.catch_warnings(record=True) as rec_ours:
        warnings.simplefilter("always")
        ours = kmix.BayesianGaussianMixture(**params).fit(X)
    sk_warned = any(issubclass(r.category, SkConvergenceWarning) for r in rec_theirs)
    ours_warned = [r for r in rec_ours if issubclass(r.category, kmix.ConvergenceWarning)]
    assert bool(ours_warned) == sk_warned
    assert bool(ours.converged_) == bool(theirs.converged_) == (not sk_warned)
    if max_iter < 100:
        assert sk_warned  # the scenario really does not converge
        assert "converge" in str(ours_warned[0].message)
        with pytest.warns(kmix.ConvergenceWarning):
            kmix.BayesianGaussianMixture(**params).fit(X)


@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_effective_components_on_separated_data(prior_type):
    # 3 far-apart blobs, 8 components: a small concentration prior leaves the extra ones unused.
    rs = np.random.RandomState(5)
    true_k = 3
    centers = np.array([[0.0, 0.0], [40.0, 0.0], [0.0, 40.0]]) + rs.uniform(-2, 2, size=(true_k, 2))
    X = np.vstack([c + rs.standard_normal((200, 2)) for c in centers])
    ours, theirs = fit_both(
        X,
        n_components=8,
        weight_concentration_prior_type=prior_type,
        weight_concentration_prior=1e-2,
        random_state=0,
        max_iter=500,
    )
    assert_same_bgmm(ours, theirs)
    if prior_type == "dirichlet_process":
        assert np.count_nonzero(ours.weights_ > 0.01) == true_k
    assert np.count_nonzero(ours.weights_ > 0.01) == np.count_nonzero(theirs.weights_ > 0.01)
    used = ours.weights_ > 0.01
    # The used components sit on the true centers.
    found = ours.means_[used]
    dist = np.linalg.norm(found[:, None, :] - centers[None, :, :], axis=2)
    assert sorted(np.argmin(dist, axis=1).tolist()) == list(range(used.sum()))


@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_like_sklearn(verbose, capsys):
    X, _ = make_data(400, 2, 5, seed=95)
    params = dict(n_components=5, n_init=2, verbose=verbose, verbose_interval=3, max_iter=7, random_state=0)
    quiet_fit(SkBGM(**params), X)
    theirs = capsys.readouterr().out
    quiet_fit(kmix.BayesianGaussianMixture(**params), X)
    ours = capsys.readouterr().out
    assert "Initialization 1" in theirs and "Iteration 6" in theirs
    if verbose == 1:
        assert ours == theirs
    else:  # the same lines, timings apart (bounds and changes to the 5 decimals printed)
        times = lambda out: re.sub(r"time lapse [0-9.e-]+s", "time lapse *s", out)  # noqa: E731
        assert times(ours) == times(theirs)


def test_feature_names_like_sklearn():
    pd = pytest.importorskip("pandas")
    X, _ = make_data(300, 3, 3, seed=96)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    ours, theirs = fit_both(df, n_components=3, random_state=0)
    np.testing.assert_array_equal(ours.feature_names_in_, theirs.feature_names_in_)
    with pytest.warns(UserWarning, match="feature names"):  # as scikit-learn's, X without the names
        np.testing.assert_array_equal(ours.predict_proba(df), ours.predict_proba(X))
    with pytest.warns(UserWarning, match="feature names"):
        theirs.predict_proba(X)
    assert_same_bgmm(ours, theirs, X_eval=(df,))


def test_weighted_score_is_the_weighted_mean():
    X, _ = make_data(300, 3, 3, seed=97)
    est = quiet_fit(kmix.BayesianGaussianMixture(n_components=3, random_state=0), X)
    w = np.random.RandomState(97).uniform(0.0, 3.0, size=300)
    np.testing.assert_allclose(est.score(X, sample_weight=w), np.average(est.score_samples(X), weights=w), rtol=1e-12)


# ---- sample_weight -----------------------------------------------------------------------------
def _started(X, covariance_type, prior_type, k=4, **kw):
    """A kmix model after one iteration on X (a common start for two continued fits)."""
    return quiet_fit(
        kmix.BayesianGaussianMixture(
            n_components=k,
            covariance_type=covariance_type,
            weight_concentration_prior_type=prior_type,
            max_iter=1,
            random_state=0,
            **kw,
        ),
        X,
    )


def _continue(start, X, sample_weight=None, max_iter=100):
    """A deep copy of start, fitted on (X, sample_weight) from start's posterior (warm start)."""
    est = copy.deepcopy(start).set_params(warm_start=True, max_iter=max_iter)
    return quiet_fit(est, X, sample_weight=sample_weight)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_integer_weights_equal_repeated_rows(covariance_type, prior_type):
    # Both fits continue from the same posterior, so that all that differs is how the statistics
    # (and the default priors, from the weighted moments) are accumulated.
    X, _ = make_data(400, 3, 4, seed=101)
    w = np.random.RandomState(101).randint(1, 6, size=400)
    X_rep = np.repeat(X, w, axis=0)
    start = _started(X_rep, covariance_type, prior_type)
    repeated = _continue(start, X_rep)
    weighted = _continue(start, X, sample_weight=w)
    assert repeated.n_iter_ > 1
    assert_same_fit(weighted, repeated, 1e-9, X_eval=(X, new_points(X)))
    # Float weights with integral values are the same weights.
    assert_same_fit(_continue(start, X, sample_weight=w.astype(np.float64)), repeated, 1e-9)
    # The weights matter: the unweighted continuation is another fit.
    unweighted = _continue(start, X)
    assert not np.allclose(unweighted.means_, weighted.means_, rtol=1e-3)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_integer_weights_equal_repeated_rows_from_scratch_one_component(covariance_type, prior_type):
    # One component: every initialization gives all rows responsibility 1, so the whole fit
    # (initialization, default priors, iterations) can be compared from scratch.
    X, _ = make_data(300, 3, 3, seed=102)
    w = np.random.RandomState(102).randint(1, 5, size=300)
    params = dict(
        n_components=1,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type,
        random_state=0,
        tol=1e-8,
    )
    weighted = quiet_fit(kmix.BayesianGaussianMixture(**params), X, sample_weight=w)
    repeated = quiet_fit(kmix.BayesianGaussianMixture(**params), np.repeat(X, w, axis=0))
    assert_same_fit(weighted, repeated, 1e-9, X_eval=(new_points(X),))
    # And the repeated-rows fit is scikit-learn's.
    theirs = quiet_fit(SkBGM(**params), np.repeat(X, w, axis=0))
    assert_same_bgmm(weighted, theirs)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_zero_weights_equal_dropped_rows(covariance_type):
    # From scratch: the weighted k-means++ seeding never draws a zero-weight row and draws the
    # same rows as on the dropped data; zero-weight rows then count nowhere (statistics, default
    # priors, bound). They are moved far away, so that they would drag the fit if they counted.
    # (Not init_params="kmeans": k-means' tolerance scales with the unweighted variance of X, as
    # scikit-learn's, so the far rows make it stop at another iteration.)
    X, _ = make_data(400, 2, 4, seed=103)
    w = np.where(np.random.RandomState(103).uniform(size=400) < 0.3, 0.0, 1.0)
    X[w == 0] += 1000.0
    params = dict(n_components=4, covariance_type=covariance_type, init_params="k-means++", random_state=1)
    ours = quiet_fit(kmix.BayesianGaussianMixture(**params), X, sample_weight=w)
    dropped = quiet_fit(kmix.BayesianGaussianMixture(**params), X[w > 0])
    # rtol 1e-7: the far rows move the point kmix centres X on (its unweighted mean) by ~300.
    assert_same_fit(ours, dropped, 1e-7, X_eval=(X[w > 0],))
    theirs = quiet_fit(SkBGM(**params), X[w > 0])
    assert_same_bgmm(ours, theirs)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_zero_weights_equal_dropped_rows_warm_start(covariance_type):
    X, _ = make_data(400, 3, 4, seed=104)
    w = np.random.RandomState(104).randint(0, 3, size=400).astype(np.float64)
    X[w == 0] *= 50.0
    start = _started(X[w > 0], covariance_type, "dirichlet_process")
    assert_same_fit(_continue(start, X, sample_weight=w), _continue(start, np.repeat(X, w.astype(int), axis=0)), 1e-9)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_scaled_weights_are_repeated_rows_not_invariant(covariance_type, prior_type):
    # The posterior depends on the total weight: weights 2 are X twice, weights 1/2 on X twice are X.
    X, _ = make_data(400, 3, 4, seed=105)
    XX = np.vstack([X, X])
    start = _started(X, covariance_type, prior_type)
    twice = _continue(start, X, sample_weight=np.full(400, 2.0))
    assert_same_fit(twice, _continue(start, XX), 1e-9, X_eval=(new_points(X),))
    halves = _continue(start, XX, sample_weight=np.full(800, 0.5))
    assert_same_fit(halves, _continue(start, X), 1e-9, X_eval=(new_points(X),))
    # Not invariant: doubling every weight doubles the counts behind the posterior.
    assert not np.allclose(twice.mean_precision_, halves.mean_precision_, rtol=1e-3)
    assert_close(
        twice.mean_precision_ - twice.mean_precision_prior_,
        2 * (halves.mean_precision_ - halves.mean_precision_prior_),
        1e-2,
        "N_k",
    )


@pytest.mark.parametrize("init_params", INIT_PARAMS)
def test_unit_weights_equal_no_weights(init_params):
    X, _ = make_data(400, 3, 4, seed=106)
    params = dict(n_components=5, init_params=init_params, random_state=3)
    ours = quiet_fit(kmix.BayesianGaussianMixture(**params), X, sample_weight=np.ones(400))
    theirs = quiet_fit(SkBGM(**params), X)
    assert_same_bgmm(ours, theirs, X_eval=(new_points(X),))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_default_priors_from_weighted_moments(covariance_type):
    # numpy's weighted formulas: the mean, and the covariance with ddof=1 and weights as counts.
    X, _ = make_data(300, 3, 3, seed=107)
    w = np.random.RandomState(107).randint(0, 4, size=300)
    est = quiet_fit(
        kmix.BayesianGaussianMixture(n_components=3, covariance_type=covariance_type, max_iter=1, random_state=0),
        X,
        sample_weight=w,
    )
    np.testing.assert_allclose(est.mean_prior_, np.average(X, axis=0, weights=w), rtol=1e-12, atol=1e-14)
    cov = np.cov(X.T, fweights=w)
    expected = {"full": cov, "tied": cov, "diag": np.diag(cov), "spherical": np.diag(cov).mean()}[covariance_type]
    assert_close(est.covariance_prior_, expected, 1e-10, "covariance_prior_")
    # Unweighted: scikit-learn's defaults.
    ours, theirs = fit_both(X, n_components=3, covariance_type=covariance_type, max_iter=1, random_state=0)
    for name in PRIORS:
        assert_close(getattr(ours, name), getattr(theirs, name), 1e-12, name)


def test_small_total_weight_needs_a_covariance_prior():
    X, _ = make_data(100, 2, 2, seed=108)
    w = np.full(100, 0.005)  # sums to 0.5: the ddof=1 default covariance prior is undefined
    with pytest.raises(ValueError, match="sample_weight"):
        kmix.BayesianGaussianMixture(n_components=2, random_state=0).fit(X, sample_weight=w)
    est = quiet_fit(
        kmix.BayesianGaussianMixture(n_components=2, covariance_prior=np.eye(2), random_state=0), X, sample_weight=w
    )
    assert np.isfinite(est.means_).all() and np.isfinite(est.lower_bound_)


def test_weights_not_modified():
    X, _ = make_data(200, 3, 3, seed=109)
    w = np.random.RandomState(0).uniform(0.5, 2.0, size=200)
    mean_prior, cov_prior = np.zeros(3), np.eye(3)
    before = [a.copy() for a in (X, w, mean_prior, cov_prior)]
    est = quiet_fit(
        kmix.BayesianGaussianMixture(n_components=3, mean_prior=mean_prior, covariance_prior=cov_prior, random_state=0),
        X,
        sample_weight=w,
    )
    for a, b in zip((X, w, mean_prior, cov_prior), before):
        np.testing.assert_array_equal(a, b)
    assert est.get_params()["mean_prior"] is mean_prior and est.get_params()["covariance_prior"] is cov_prior


# ---- float32 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_float32_close_to_float64(covariance_type, prior_type):
    X32 = make_data(1200, 3, 4, seed=111, spread=10.0)[0].astype(np.float32)
    params = dict(
        n_components=4,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type,
        random_state=0,
        tol=1e-4,
    )
    f32 = quiet_fit(kmix.BayesianGaussianMixture(**params), X32)
    f64 = quiet_fit(kmix.BayesianGaussianMixture(**params), X32.astype(np.float64))
    for name in PARAMS + ("mean_prior_", "covariance_prior_"):
        value = getattr(f32, name)
        if np.ndim(value) == 0:  # degrees_of_freedom_ for "tied", covariance_prior_ for "spherical"
            assert isinstance(value, float), name
        else:
            assert value.dtype == np.float32, name
        assert_close(value, getattr(f64, name), 1e-4, name)
    for a, b in zip(concentration(f32), concentration(f64)):
        assert a.dtype == np.float32
        assert_close(a, b, 1e-4, "weight_concentration_")
    assert abs(f32.n_iter_ - f64.n_iter_) <= 1
    np.testing.assert_allclose(f32.lower_bound_, f64.lower_bound_, rtol=1e-5)
    X_new = new_points(X32)
    assert f32.predict_proba(X_new).dtype == np.float32 and f32.score_samples(X_new).dtype == np.float32
    np.testing.assert_allclose(f32.predict_proba(X_new), f64.predict_proba(X_new), atol=1e-4)
    np.testing.assert_allclose(f32.score_samples(X_new), f64.score_samples(X_new), rtol=1e-4)


def test_float32_weighted_equal_repeated_rows():
    X32 = make_data(400, 3, 4, seed=112)[0].astype(np.float32)
    w = np.random.RandomState(112).randint(1, 4, size=400)
    X_rep = np.repeat(X32, w, axis=0)
    start = _started(X_rep, "full", "dirichlet_process")
    weighted = _continue(start, X32, sample_weight=w.astype(np.float32))
    repeated = _continue(start, X_rep)
    assert weighted.means_.dtype == np.float32
    assert_same_fit(weighted, repeated, 1e-5)


# ---- rejected inputs ---------------------------------------------------------------------------
X_BAD, _ = make_data(40, 3, 2, seed=120)
_NOT_PD = np.diag([1.0, -1.0, 1.0])
_NOT_SYM = 2.0 * np.eye(3)
_NOT_SYM[0, 1] = 0.9  # positive eigenvalues, not symmetric
_SPD = random_spd(3, 0)

# (id, estimator params, fit kwargs, the parameter the message must name, scikit-learn also rejects it)
BAD_FITS = [
    ("wcp=0", {"weight_concentration_prior": 0.0}, {}, "weight_concentration_prior", True),
    ("wcp<0", {"weight_concentration_prior": -1.0}, {}, "weight_concentration_prior", True),
    ("wcp-nan", {"weight_concentration_prior": np.nan}, {}, "weight_concentration_prior", True),
    ("wcp-str", {"weight_concentration_prior": "small"}, {}, "weight_concentration_prior", True),
    ("mpp=0", {"mean_precision_prior": 0.0}, {}, "mean_precision_prior", True),
    ("mpp<0", {"mean_precision_prior": -0.5}, {}, "mean_precision_prior", True),
    ("dfp=0", {"degrees_of_freedom_prior": 0.0}, {}, "degrees_of_freedom_prior", True),
    ("dfp<0", {"degrees_of_freedom_prior": -3.0}, {}, "degrees_of_freedom_prior", True),
    ("dfp=d-1", {"degrees_of_freedom_prior": 2.0}, {}, "degrees_of_freedom_prior", True),
    ("dfp<d-1", {"degrees_of_freedom_prior": 1.5}, {}, "degrees_of_freedom_prior", True),
    ("cp-sph=0", {"covariance_type": "spherical", "covariance_prior": 0.0}, {}, "covariance_prior", True),
    ("cp-sph<0", {"covariance_type": "spherical", "covariance_prior": -1.0}, {}, "covariance_prior", True),
    ("cp-sph-nan", {"covariance_type": "spherical", "covariance_prior": np.nan}, {}, "covariance_prior", True),
    ("cp-sph-array", {"covariance_type": "spherical", "covariance_prior": np.ones(3)}, {}, "covariance_prior", True),
    ("cp-sph-array1", {"covariance_type": "spherical", "covariance_prior": np.ones(1)}, {}, "covariance_prior", False),
    # A 0-d array is a float (np.array(2.0) is accepted): it must be checked as one.
    (
        "cp-sph-0d<0",
        {"covariance_type": "spherical", "covariance_prior": np.array(-1.0)},
        {},
        "covariance_prior",
        False,
    ),
    ("cp-sph-0d=0", {"covariance_type": "spherical", "covariance_prior": np.array(0.0)}, {}, "covariance_prior", False),
    (
        "cp-sph-0d-nan",
        {"covariance_type": "spherical", "covariance_prior": np.array(np.nan)},
        {},
        "covariance_prior",
        False,
    ),
    (
        "cp-sph-0d-inf",
        {"covariance_type": "spherical", "covariance_prior": np.array(np.inf)},
        {},
        "covariance_prior",
        False,
    ),
    (
        "cp-sph-0d-str",
        {"covariance_type": "spherical", "covariance_prior": np.array("a")},
        {},
        "covariance_prior",
        False,
    ),
    ("cp-full-float", {"covariance_type": "full", "covariance_prior": 2.0}, {}, "covariance_prior", True),
    ("cp-tied-float", {"covariance_type": "tied", "covariance_prior": 2.0}, {}, "covariance_prior", True),
    ("cp-diag-float", {"covariance_type": "diag", "covariance_prior": 2.0}, {}, "covariance_prior", True),
    ("cp-full-shape", {"covariance_type": "full", "covariance_prior": np.eye(4)}, {}, "covariance_prior", True),
    ("cp-full-vector", {"covariance_type": "full", "covariance_prior": np.ones(3)}, {}, "covariance_prior", True),
    ("cp-tied-shape", {"covariance_type": "tied", "covariance_prior": np.eye(2)}, {}, "covariance_prior", True),
    ("cp-diag-shape", {"covariance_type": "diag", "covariance_prior": np.ones(4)}, {}, "covariance_prior", True),
    ("cp-diag-matrix", {"covariance_type": "diag", "covariance_prior": np.eye(3)}, {}, "covariance_prior", True),
    ("cp-full-not-pd", {"covariance_type": "full", "covariance_prior": _NOT_PD}, {}, "covariance_prior", True),
    ("cp-tied-not-pd", {"covariance_type": "tied", "covariance_prior": _NOT_PD}, {}, "covariance_prior", True),
    ("cp-full-not-sym", {"covariance_type": "full", "covariance_prior": _NOT_SYM}, {}, "covariance_prior", True),
    ("cp-full-zero", {"covariance_type": "full", "covariance_prior": np.zeros((3, 3))}, {}, "covariance_prior", True),
    (
        "cp-diag-zero",
        {"covariance_type": "diag", "covariance_prior": np.array([1.0, 0.0, 1.0])},
        {},
        "covariance_prior",
        True,
    ),
    ("cp-diag-neg", {"covariance_type": "diag", "covariance_prior": -np.ones(3)}, {}, "covariance_prior", True),
    (
        "cp-full-nan",
        {"covariance_type": "full", "covariance_prior": np.where(np.eye(3) > 0, np.nan, 0.0)},
        {},
        "covariance_prior",
        True,
    ),
    (
        "cp-tied-inf",
        {"covariance_type": "tied", "covariance_prior": np.where(np.eye(3) > 0, np.inf, 0.0)},
        {},
        "covariance_prior",
        True,
    ),
    (
        "cp-diag-inf",
        {"covariance_type": "diag", "covariance_prior": np.array([1.0, np.inf, 1.0])},
        {},
        "covariance_prior",
        True,
    ),
    ("cp-str", {"covariance_type": "full", "covariance_prior": "eye"}, {}, "covariance_prior", True),
    ("mp-shape", {"mean_prior": np.zeros(4)}, {}, "mean_prior", True),
    ("mp-2d", {"mean_prior": np.zeros((1, 3))}, {}, "mean_prior", True),
    ("mp-scalar", {"mean_prior": 0.0}, {}, "mean_prior", True),
    ("mp-nan", {"mean_prior": np.array([0.0, np.nan, 0.0])}, {}, "mean_prior", True),
    ("mp-inf", {"mean_prior": np.array([0.0, -np.inf, 0.0])}, {}, "mean_prior", True),
    ("mp-str", {"mean_prior": "zero"}, {}, "mean_prior", True),
    ("mp-str-array", {"mean_prior": np.array(["a", "b", "c"])}, {}, "mean_prior", True),
    ("prior-type", {"weight_concentration_prior_type": "dirichlet"}, {}, "weight_concentration_prior_type", True),
    ("prior-type-none", {"weight_concentration_prior_type": None}, {}, "weight_concentration_prior_type", True),
    ("cov-type", {"covariance_type": "fulll"}, {}, "covariance_type", True),
    ("init", {"init_params": "kmeans++"}, {}, "init_params", True),
    ("k>n", {"n_components": 41}, {}, "n_components", True),
    ("k=0", {"n_components": 0}, {}, "n_components", True),
    ("tol<0", {"tol": -1.0}, {}, "tol", True),
    ("reg<0", {"reg_covar": -1e-6}, {}, "reg_covar", True),
    ("max_iter<0", {"max_iter": -1}, {}, "max_iter", True),
    ("n_init=0", {"n_init": 0}, {}, "n_init", True),
    ("threads=0", {"n_threads": 0}, {}, "n_threads", False),
    ("sw-neg", {}, {"sample_weight": np.r_[np.ones(39), -1.0]}, "sample_weight", False),
    ("sw-short", {}, {"sample_weight": np.ones(39)}, "sample_weight", False),
    ("sw-long", {}, {"sample_weight": np.ones(41)}, "sample_weight", False),
    ("sw-2d", {}, {"sample_weight": np.ones((40, 1))}, "sample_weight", False),
    ("sw-nan", {}, {"sample_weight": np.r_[np.ones(39), np.nan]}, "sample_weight", False),
    ("sw-inf", {}, {"sample_weight": np.r_[np.ones(39), np.inf]}, "sample_weight", False),
    ("sw-zero", {}, {"sample_weight": np.zeros(40)}, "sample_weight", False),
    ("sw-str", {}, {"sample_weight": "ones"}, "sample_weight", False),
    ("sw-small-sum", {}, {"sample_weight": np.full(40, 0.01)}, "sample_weight", False),
]


def _names(message, name):
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) is not None


@pytest.fixture
def no_core(monkeypatch):
    """Every compiled kernel fails loudly: a check that lets a bad input reach C++ shows up as an
    AssertionError instead of the expected ValueError/TypeError."""
    patch_core(monkeypatch)

    def boom(*args, **kwargs):
        raise AssertionError("compiled code was called before the input was rejected")

    for name in dir(kmix._core):
        if name.startswith("gmm"):
            monkeypatch.setattr(kmix._core, name, boom)


@pytest.mark.parametrize("params,fit_kwargs,name", [c[1:4] for c in BAD_FITS], ids=[c[0] for c in BAD_FITS])
def test_bad_fit_inputs_rejected(params, fit_kwargs, name, no_core):
    est = kmix.BayesianGaussianMixture(**{"n_components": 2, "random_state": 0, **params})
    with pytest.raises((ValueError, TypeError)) as info:
        est.fit(X_BAD, **fit_kwargs)
    assert _names(str(info.value), name), f"message does not name {name!r}: {info.value}"
    assert not hasattr(est, "means_") and not hasattr(est, "converged_")


@pytest.mark.parametrize("case_id", [c[0] for c in BAD_FITS if c[4]])
def test_sklearn_rejects_the_same_inputs(case_id):
    # The reference: scikit-learn refuses these too (sample_weight and n_threads are kmix's own;
    # a 1-element array as the spherical covariance_prior is taken by scikit-learn, refused by kmix).
    _, params, fit_kwargs, _, _ = next(c for c in BAD_FITS if c[0] == case_id)
    with pytest.raises((ValueError, TypeError)), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SkBGM(**{"n_components": 2, "random_state": 0, **params}).fit(X_BAD, **fit_kwargs)


def test_spherical_covariance_prior_as_0d_array_is_the_float():
    X, _ = make_data(300, 3, 3, seed=121)
    a = quiet_fit(
        kmix.BayesianGaussianMixture(
            n_components=3, covariance_type="spherical", covariance_prior=np.array(2.5), random_state=0
        ),
        X,
    )
    b = quiet_fit(
        kmix.BayesianGaussianMixture(n_components=3, covariance_type="spherical", covariance_prior=2.5, random_state=0),
        X,
    )
    assert_identical(a, b)


@pytest.mark.parametrize("case", ["nan", "inf", "one-row", "1d", "empty"])
def test_bad_X_rejected(case, no_core):
    X = {
        "nan": np.where(np.arange(3) == 1, np.nan, X_BAD),
        "inf": np.where(np.arange(3) == 2, np.inf, X_BAD),
        "one-row": X_BAD[:1],
        "1d": X_BAD[:, 0].copy(),
        "empty": np.empty((0, 3)),
    }[case]
    with pytest.raises(ValueError) as info:
        kmix.BayesianGaussianMixture(n_components=1).fit(X)
    assert _names(str(info.value), "X"), str(info.value)
    with pytest.raises(ValueError), warnings.catch_warnings():  # the reference
        warnings.simplefilter("ignore")
        SkBGM(n_components=1).fit(X)


@pytest.mark.parametrize("dof", [1.0, 2.0, 0.5])
def test_degrees_of_freedom_prior_message_is_sklearns(dof):
    with pytest.raises(ValueError) as theirs:
        SkBGM(n_components=2, degrees_of_freedom_prior=dof).fit(X_BAD)
    with pytest.raises(ValueError) as ours:
        kmix.BayesianGaussianMixture(n_components=2, degrees_of_freedom_prior=dof).fit(X_BAD)
    assert str(ours.value) == str(theirs.value)


def test_n_components_above_n_samples_message_is_sklearns():
    with pytest.raises(ValueError) as theirs:
        SkBGM(n_components=41).fit(X_BAD)
    with pytest.raises(ValueError) as ours:
        kmix.BayesianGaussianMixture(n_components=41).fit(X_BAD)
    assert str(ours.value) == str(theirs.value)


def test_n_components_equal_n_samples_accepted():
    ours, theirs = fit_both(X_BAD, n_components=40, covariance_type="spherical", random_state=0, max_iter=5)
    assert_same_bgmm(ours, theirs)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score", "sample"])
def test_not_fitted(method):
    args = (5,) if method == "sample" else (X_BAD,)
    with pytest.raises(kmix.NotFittedError):
        getattr(kmix.BayesianGaussianMixture(n_components=2), method)(*args)
    with pytest.raises(SkNotFittedError):  # the reference
        getattr(SkBGM(n_components=2), method)(*args)
    est = kmix.BayesianGaussianMixture(n_components=2, mean_prior=np.zeros(5))
    with pytest.raises(ValueError):
        est.fit(X_BAD)
    with pytest.raises(kmix.NotFittedError):  # a failed fit leaves it unfitted
        getattr(est, method)(*args)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score"])
@pytest.mark.parametrize("bad", ["features", "nan"])
def test_bad_inputs_to_fitted_model(method, bad):
    X = X_BAD[:, :2] if bad == "features" else np.where(np.arange(3) == 1, np.nan, X_BAD)
    ours, theirs = fit_both(X_BAD, n_components=2, random_state=0)
    with pytest.raises(ValueError) as info:
        getattr(ours, method)(X)
    assert _names(str(info.value), "X")
    with pytest.raises(ValueError):
        getattr(theirs, method)(X)


# ---- determinism -------------------------------------------------------------------------------
N_BIG, D_BIG, K_BIG = 20_000, 4, 4


@pytest.fixture(scope="module")
def big_data():
    X, _ = make_data(N_BIG, D_BIG, K_BIG, seed=130, spread=4.0)
    X.setflags(write=False)
    return X


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_bit_identical_for_1_and_2_threads(big_data, covariance_type, dtype):
    X = big_data.astype(dtype)
    w = np.random.RandomState(130).uniform(0.0, 2.0, size=N_BIG).astype(dtype)
    fits = [
        quiet_fit(
            kmix.BayesianGaussianMixture(
                n_components=K_BIG, covariance_type=covariance_type, max_iter=8, random_state=0, n_threads=t
            ),
            X,
            sample_weight=sw,
        )
        for sw in (None, w)
        for t in (1, 2)
    ]
    for a, b in (fits[:2], fits[2:]):
        assert_identical(a, b)
        assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
        assert np.array_equal(a.score_samples(X), b.score_samples(X))
        assert np.array_equal(a.predict(X), b.predict(X))
    if dtype == np.float64:  # and the 2-thread fit of the big data is scikit-learn's
        theirs = quiet_fit(SkBGM(n_components=K_BIG, covariance_type=covariance_type, max_iter=8, random_state=0), X)
        assert_same_bgmm(fits[1], theirs)


@pytest.mark.parametrize("init_params", INIT_PARAMS)
def test_same_random_state_bit_identical(init_params):
    X, _ = make_data(1200, 3, 6, seed=131)
    params = dict(n_components=6, init_params=init_params, n_init=2, random_state=17)
    a = quiet_fit(kmix.BayesianGaussianMixture(**params), X)
    b = quiet_fit(kmix.BayesianGaussianMixture(**params), X)
    assert_identical(a, b)
    # A RandomState instance: the same draws from the same seed.
    c = quiet_fit(kmix.BayesianGaussianMixture(**{**params, "random_state": np.random.RandomState(17)}), X)
    assert_identical(a, c)
    # Another seed starts elsewhere.
    d = quiet_fit(kmix.BayesianGaussianMixture(**{**params, "random_state": 18}), X)
    assert not np.array_equal(a.lower_bounds_, d.lower_bounds_)


# ---- pickle and save/load ----------------------------------------------------------------------
def _persisted_model(covariance_type, prior_type, dtype):
    X, _ = make_data(400, 3, 4, seed=140)
    X = X.astype(dtype)
    d = X.shape[1]
    est = kmix.BayesianGaussianMixture(
        n_components=5,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type,
        mean_prior=np.full(d, 0.5),
        covariance_prior=covariance_prior_of_kind(covariance_type, d, 1),
        random_state=3,
        n_threads=1,
    )
    return quiet_fit(est, X), X


def _assert_same_predictions(a, b, X):
    X_new = new_points(X)
    for Y in (X, X_new):
        np.testing.assert_array_equal(a.predict(Y), b.predict(Y))
        np.testing.assert_array_equal(a.predict_proba(Y), b.predict_proba(Y))
        np.testing.assert_array_equal(a.score_samples(Y), b.score_samples(Y))
        assert a.score(Y) == b.score(Y)
    np.testing.assert_array_equal(a.sample(20)[0], b.sample(20)[0])


def _assert_same_params(a, b):
    pa, pb = a.get_params(), b.get_params()
    assert pa.keys() == pb.keys()
    for key, value in pa.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(pb[key], value)
        else:
            assert pb[key] == value, key


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_pickle_round_trip(covariance_type, prior_type):
    est, X = _persisted_model(covariance_type, prior_type, np.float64)
    back = pickle.loads(pickle.dumps(est))
    assert_identical(est, back)
    _assert_same_params(est, back)
    _assert_same_predictions(est, back, X)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_save_load_round_trip(tmp_path, covariance_type, prior_type, dtype):
    est, X = _persisted_model(covariance_type, prior_type, dtype)
    path = tmp_path / "bgmm.kmix"
    est.save(path)
    loaded = kmix.load(path)
    assert type(loaded) is kmix.BayesianGaussianMixture
    assert_identical(est, loaded)  # weight_concentration_ a tuple again for dirichlet_process
    _assert_same_params(est, loaded)
    _assert_same_predictions(est, loaded, X)
    # A loaded model warm-starts as the original does.
    for m in (est, loaded):
        m.set_params(warm_start=True, max_iter=2)
        quiet_fit(m, X)
    assert_identical(est, loaded)


def test_save_load_unfitted(tmp_path):
    est = kmix.BayesianGaussianMixture(
        n_components=4,
        covariance_type="diag",
        weight_concentration_prior_type="dirichlet_distribution",
        weight_concentration_prior=0.25,
        mean_prior=np.array([1.0, 2.0]),
        covariance_prior=np.array([0.5, 2.0]),
        n_threads=2,
    )
    path = str(tmp_path / "unfitted.kmix")
    est.save(path)
    loaded = kmix.load(path)
    assert type(loaded) is kmix.BayesianGaussianMixture
    _assert_same_params(est, loaded)
    with pytest.raises(kmix.NotFittedError):
        loaded.predict(np.zeros((1, 2)))


# ---- scikit-learn interoperability --------------------------------------------------------------
def test_params_are_sklearns_plus_n_threads():
    ours, theirs = kmix.BayesianGaussianMixture().get_params(), SkBGM().get_params()
    assert set(ours) == set(theirs) | {"n_threads"}
    for key, value in theirs.items():
        assert ours[key] == value or (ours[key] is None and value is None), key
    assert ours["n_threads"] is None


def test_public_methods_are_sklearns():
    public = lambda cls: {n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n))}  # noqa: E731
    ours, theirs = public(kmix.BayesianGaussianMixture), public(SkBGM)
    assert theirs - {"get_metadata_routing"} <= ours
    # scikit-learn's Bayesian mixture has no bic/aic (GaussianMixture's); neither has kmix's.
    assert not {"bic", "aic"} & theirs and not {"bic", "aic"} & ours


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"n_components": 5, "weight_concentration_prior": 0.1},
        {"covariance_type": "diag", "weight_concentration_prior_type": "dirichlet_distribution", "random_state": 3},
    ],
)
def test_repr_like_sklearn(params):
    # Up to line wrapping (kmix's repr is one line).
    assert " ".join(repr(kmix.BayesianGaussianMixture(**params)).split()) == " ".join(repr(SkBGM(**params)).split())


def test_clone_and_estimator_type():
    from sklearn.base import is_clusterer
    from sklearn.utils import get_tags

    est = kmix.BayesianGaussianMixture(n_components=3, mean_prior=np.zeros(2), n_threads=1, random_state=0)
    X, _ = make_data(200, 2, 3, seed=150)
    quiet_fit(est, X)
    c = clone(est)
    assert type(c) is kmix.BayesianGaussianMixture and not hasattr(c, "means_")
    assert c.get_params()["n_threads"] == 1
    np.testing.assert_array_equal(c.get_params()["mean_prior"], np.zeros(2))
    assert_identical(quiet_fit(c, X), est)
    assert get_tags(est).estimator_type == get_tags(SkBGM()).estimator_type
    assert is_clusterer(est) == is_clusterer(SkBGM())
