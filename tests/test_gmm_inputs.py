"""kmix.GaussianMixture: rejected inputs (naming the parameter), the not-fitted error, scikit-learn
interoperability (parameters, clone, Pipeline, GridSearchCV), pickle and save/load, verbose
output and the convergence warning."""

import contextlib
import io
import pickle
import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGMM
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import kmix
from conftest import make_data, patch_core
from test_gmm_vs_sklearn import COV_TYPES, PARAMS, _copy_arrays, assert_same_gmm, init_kwargs, quiet_fit

X_GOOD = make_data("blobs", 30, 3, 3, seed=0)
K = 3


def _nan():
    X = X_GOOD.copy()
    X[4, 1] = np.nan
    return X


def _inf(sign=1):
    X = X_GOOD.copy()
    X[7, 2] = sign * np.inf
    return X


def _eye_prec(covariance_type, k=K, d=3):
    return {
        "full": np.repeat(np.eye(d)[None], k, axis=0),
        "tied": np.eye(d),
        "diag": np.ones((k, d)),
        "spherical": np.ones(k),
    }[covariance_type]


_NOT_SYM = np.eye(3) * 2.0
_NOT_SYM[0, 1] = 0.9  # positive eigenvalues, but not symmetric
_NOT_PD = np.diag([1.0, -1.0, 1.0])

# (id, estimator params, X, fit kwargs, parameter the message must name)
BAD_FITS = [
    ("nan", {}, _nan(), {}, "X"),
    ("nan-f32", {}, _nan().astype(np.float32), {}, "X"),
    ("inf", {}, _inf(), {}, "X"),
    ("-inf", {}, _inf(-1), {}, "X"),
    ("one-sample", {"n_components": 1}, X_GOOD[:1], {}, "X"),
    ("empty", {"n_components": 1}, np.empty((0, 3)), {}, "X"),
    ("1d", {}, X_GOOD[:, 0].copy(), {}, "X"),
    ("3d", {}, X_GOOD.reshape(30, 3, 1), {}, "X"),
    ("strings", {}, np.array([["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]]), {}, "X"),
    ("string", {}, "abc", {}, "X"),
    ("k=0", {"n_components": 0}, X_GOOD, {}, "n_components"),
    ("k<0", {"n_components": -1}, X_GOOD, {}, "n_components"),
    ("k>n", {"n_components": 31}, X_GOOD, {}, "n_components"),
    ("k-float", {"n_components": 2.5}, X_GOOD, {}, "n_components"),
    ("k-str", {"n_components": "3"}, X_GOOD, {}, "n_components"),
    ("cov-unknown", {"covariance_type": "fulll"}, X_GOOD, {}, "covariance_type"),
    ("cov-none", {"covariance_type": None}, X_GOOD, {}, "covariance_type"),
    ("init-unknown", {"init_params": "kmeans++"}, X_GOOD, {}, "init_params"),
    ("init-unknown-2", {"init_params": "k-means||"}, X_GOOD, {}, "init_params"),
    ("init-none", {"init_params": None}, X_GOOD, {}, "init_params"),
    ("weights-len", {"weights_init": np.full(2, 0.5)}, X_GOOD, {}, "weights_init"),
    ("weights-2d", {"weights_init": np.full((3, 1), 1 / 3)}, X_GOOD, {}, "weights_init"),
    ("weights-neg", {"weights_init": np.array([0.7, 0.5, -0.2])}, X_GOOD, {}, "weights_init"),
    ("weights-sum", {"weights_init": np.array([0.2, 0.2, 0.2])}, X_GOOD, {}, "weights_init"),
    ("weights-nan", {"weights_init": np.array([0.5, 0.5, np.nan])}, X_GOOD, {}, "weights_init"),
    ("means-rows", {"means_init": X_GOOD[:2]}, X_GOOD, {}, "means_init"),
    ("means-cols", {"means_init": X_GOOD[:3, :2]}, X_GOOD, {}, "means_init"),
    ("means-1d", {"means_init": X_GOOD[0]}, X_GOOD, {}, "means_init"),
    ("means-nan", {"means_init": np.full((3, 3), np.nan)}, X_GOOD, {}, "means_init"),
    ("prec-full-shape", {"covariance_type": "full", "precisions_init": np.ones((3, 3))}, X_GOOD, {}, "precisions_init"),
    (
        "prec-full-k",
        {"covariance_type": "full", "precisions_init": _eye_prec("full", k=2)},
        X_GOOD,
        {},
        "precisions_init",
    ),
    (
        "prec-tied-shape",
        {"covariance_type": "tied", "precisions_init": _eye_prec("full")},
        X_GOOD,
        {},
        "precisions_init",
    ),
    ("prec-diag-shape", {"covariance_type": "diag", "precisions_init": np.ones(3 * 3)}, X_GOOD, {}, "precisions_init"),
    (
        "prec-sph-shape",
        {"covariance_type": "spherical", "precisions_init": np.ones((3, 3))},
        X_GOOD,
        {},
        "precisions_init",
    ),
    (
        "prec-full-not-pd",
        {"covariance_type": "full", "precisions_init": np.stack([np.eye(3), _NOT_PD, np.eye(3)])},
        X_GOOD,
        {},
        "precisions_init",
    ),
    (
        "prec-full-not-sym",
        {"covariance_type": "full", "precisions_init": np.stack([np.eye(3), np.eye(3), _NOT_SYM])},
        X_GOOD,
        {},
        "precisions_init",
    ),
    ("prec-tied-not-pd", {"covariance_type": "tied", "precisions_init": _NOT_PD}, X_GOOD, {}, "precisions_init"),
    ("prec-tied-not-sym", {"covariance_type": "tied", "precisions_init": _NOT_SYM}, X_GOOD, {}, "precisions_init"),
    (
        "prec-diag-zero",
        {"covariance_type": "diag", "precisions_init": np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1.0]])},
        X_GOOD,
        {},
        "precisions_init",
    ),
    ("prec-diag-neg", {"covariance_type": "diag", "precisions_init": -np.ones((3, 3))}, X_GOOD, {}, "precisions_init"),
    (
        "prec-sph-neg",
        {"covariance_type": "spherical", "precisions_init": np.array([1.0, -2.0, 1.0])},
        X_GOOD,
        {},
        "precisions_init",
    ),
    (
        "prec-sph-zero",
        {"covariance_type": "spherical", "precisions_init": np.array([1.0, 0.0, 1.0])},
        X_GOOD,
        {},
        "precisions_init",
    ),
    (
        "prec-nan",
        {"covariance_type": "diag", "precisions_init": np.full((3, 3), np.nan)},
        X_GOOD,
        {},
        "precisions_init",
    ),
    ("reg<0", {"reg_covar": -1e-6}, X_GOOD, {}, "reg_covar"),
    ("reg-str", {"reg_covar": "tiny"}, X_GOOD, {}, "reg_covar"),
    ("tol<0", {"tol": -1e-3}, X_GOOD, {}, "tol"),
    ("tol-str", {"tol": "small"}, X_GOOD, {}, "tol"),
    ("max_iter<0", {"max_iter": -1}, X_GOOD, {}, "max_iter"),
    ("max_iter-float", {"max_iter": 10.5}, X_GOOD, {}, "max_iter"),
    ("n_init=0", {"n_init": 0}, X_GOOD, {}, "n_init"),
    ("n_init<0", {"n_init": -2}, X_GOOD, {}, "n_init"),
    ("n_init-float", {"n_init": 1.5}, X_GOOD, {}, "n_init"),
    ("verbose_interval=0", {"verbose_interval": 0}, X_GOOD, {}, "verbose_interval"),
    ("rs-str", {"random_state": "seed"}, X_GOOD, {}, "random_state"),
    ("threads=0", {"n_threads": 0}, X_GOOD, {}, "n_threads"),
    ("threads-str", {"n_threads": "2"}, X_GOOD, {}, "n_threads"),
    ("sw-neg", {}, X_GOOD, {"sample_weight": np.r_[np.ones(29), -1.0]}, "sample_weight"),
    ("sw-short", {}, X_GOOD, {"sample_weight": np.ones(29)}, "sample_weight"),
    ("sw-2d", {}, X_GOOD, {"sample_weight": np.ones((30, 1))}, "sample_weight"),
    ("sw-nan", {}, X_GOOD, {"sample_weight": np.r_[np.ones(29), np.nan]}, "sample_weight"),
    ("sw-zero-sum", {}, X_GOOD, {"sample_weight": np.zeros(30)}, "sample_weight"),
]


def _names(message, name):
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) is not None


def patch_all_kernels(monkeypatch):
    """Every compiled kernel (k-means and mixture) fails loudly: an input check that lets a bad
    input reach C++ shows up as an AssertionError instead of the expected ValueError/TypeError."""
    patch_core(monkeypatch)

    def boom(*args, **kwargs):
        raise AssertionError("compiled code was called before the input was rejected")

    for name in dir(kmix._core):
        if name.startswith("gmm"):
            monkeypatch.setattr(kmix._core, name, boom)


@pytest.fixture
def no_core(monkeypatch):
    patch_all_kernels(monkeypatch)


@pytest.mark.parametrize(
    "params,X,fit_kwargs,name", [case[1:] for case in BAD_FITS], ids=[case[0] for case in BAD_FITS]
)
def test_bad_fit_inputs_rejected(params, X, fit_kwargs, name, no_core):
    params = {"n_components": K, "random_state": 0, **params}
    est = kmix.GaussianMixture(**params)
    with pytest.raises((ValueError, TypeError)) as info:
        est.fit(X, **fit_kwargs)
    assert _names(str(info.value), name), f"message does not name {name!r}: {info.value}"
    assert not hasattr(est, "means_")


@pytest.mark.parametrize("case_id", [c[0] for c in BAD_FITS if not c[0].startswith(("sw-", "threads"))])
def test_sklearn_rejects_the_same_inputs(case_id):
    # The reference: scikit-learn also refuses these (sample_weight and n_threads are kmix's own).
    _, params, X, fit_kwargs, _ = next(c for c in BAD_FITS if c[0] == case_id)
    params = {"n_components": K, "random_state": 0, **params}
    with pytest.raises((ValueError, TypeError)), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SkGMM(**params).fit(X, **fit_kwargs)


def test_negative_sample_weight_is_value_error():
    with pytest.raises(ValueError, match="sample_weight"):
        kmix.GaussianMixture(2).fit(X_GOOD, sample_weight=np.r_[np.ones(29), -1e-9])


@pytest.mark.parametrize("n_components", [1, 30])
def test_limits_accepted_like_sklearn(n_components):
    # n_components = 1 and = n_samples are valid, as are reg_covar = tol = max_iter = 0 (see
    # test_gmm_vs_sklearn) and two samples.
    params = dict(n_components=n_components, covariance_type="spherical", random_state=0)
    ours = quiet_fit(kmix.GaussianMixture(**params), X_GOOD)
    theirs = quiet_fit(SkGMM(**params), X_GOOD)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-6, atol=1e-9)
    two = X_GOOD[:2]
    np.testing.assert_allclose(
        quiet_fit(kmix.GaussianMixture(1), two).means_, quiet_fit(SkGMM(1), two).means_, rtol=1e-9
    )


@pytest.fixture(scope="module")
def fitted():
    return kmix.GaussianMixture(K, random_state=0).fit(X_GOOD)


BAD_PREDICT = [
    ("features-less", X_GOOD[:, :2].copy()),
    ("features-more", np.hstack([X_GOOD, X_GOOD])),
    ("nan", _nan()),
    ("inf", _inf()),
    ("1d", X_GOOD[0].copy()),
    ("3d", X_GOOD.reshape(30, 3, 1)),
    ("strings", np.array([["a", "b", "c"]])),
]


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score", "bic", "aic"])
@pytest.mark.parametrize("X", [c[1] for c in BAD_PREDICT], ids=[c[0] for c in BAD_PREDICT])
def test_bad_inputs_to_fitted_model(fitted, method, X, monkeypatch):
    sk = SkGMM(K, random_state=0).fit(X_GOOD)
    patch_all_kernels(monkeypatch)
    with pytest.raises((ValueError, TypeError)) as info:
        getattr(fitted, method)(X)
    assert _names(str(info.value), "X"), str(info.value)
    with pytest.raises((ValueError, TypeError)), warnings.catch_warnings():  # the reference
        warnings.simplefilter("ignore")
        getattr(sk, method)(X)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples"])
def test_wrong_number_of_features_message(fitted, method):
    with pytest.raises(ValueError, match="X") as info:
        getattr(fitted, method)(X_GOOD[:, :2])
    with pytest.raises(ValueError) as theirs:
        getattr(SkGMM(K, random_state=0).fit(X_GOOD), method)(X_GOOD[:, :2])
    assert "feature" in str(info.value)
    nums = lambda s: sorted(re.findall(r"\d+", s))  # noqa: E731
    assert nums(str(info.value)) == nums(str(theirs.value))


@pytest.mark.parametrize("n", [0, -1])
def test_sample_needs_a_positive_count(fitted, n):
    with pytest.raises(ValueError, match="n_samples"):
        fitted.sample(n)
    with pytest.raises(ValueError):
        SkGMM(K, random_state=0).fit(X_GOOD).sample(n)


@pytest.mark.parametrize(
    "method,args",
    [
        ("predict", (X_GOOD,)),
        ("predict_proba", (X_GOOD,)),
        ("score_samples", (X_GOOD,)),
        ("score", (X_GOOD,)),
        ("bic", (X_GOOD,)),
        ("aic", (X_GOOD,)),
        ("sample", (5,)),
    ],
)
def test_not_fitted(method, args):
    from sklearn.exceptions import NotFittedError as SkNotFittedError

    assert issubclass(kmix.NotFittedError, ValueError) and issubclass(kmix.NotFittedError, AttributeError)
    with pytest.raises(kmix.NotFittedError):
        getattr(kmix.GaussianMixture(2), method)(*args)
    with pytest.raises(SkNotFittedError):  # the reference behaviour
        getattr(SkGMM(2), method)(*args)
    # A failed fit leaves the estimator unfitted.
    est = kmix.GaussianMixture(2, tol=-1.0)
    with pytest.raises(ValueError):
        est.fit(X_GOOD)
    with pytest.raises(kmix.NotFittedError):
        getattr(est, method)(*args)


def test_inputs_not_modified(dtype):
    X = make_data("blobs", 200, 3, 3, seed=1, dtype=dtype)
    init = init_kwargs(X, 3, "full", seed=1)
    copies = {k: v.copy() for k, v in init.items()}
    X_before = X.copy()
    w = np.random.default_rng(0).uniform(0.5, 2, 200)
    w_before = w.copy()
    gm = kmix.GaussianMixture(3, **init).fit(X, sample_weight=w)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(w, w_before)
    for k, v in init.items():
        np.testing.assert_array_equal(v, copies[k])
        np.testing.assert_array_equal(gm.get_params()[k], copies[k])


# ---- parameters and scikit-learn interoperability ----------------------------------------------
def test_params_are_sklearns_plus_n_threads_and_learning_decay():
    ours, theirs = kmix.GaussianMixture().get_params(), SkGMM().get_params()
    assert set(ours) == set(theirs) | {"n_threads", "learning_decay"}
    for key, value in theirs.items():
        assert ours[key] == value or (ours[key] is None and value is None), key
    assert ours["n_threads"] is None and ours["learning_decay"] == 0.7


def test_get_set_params():
    means = np.zeros((3, 2))
    gm = kmix.GaussianMixture(3, means_init=means, tol=1e-4, random_state=5)
    p = gm.get_params()
    assert p["n_components"] == 3 and p["means_init"] is means and p["tol"] == 1e-4 and p["random_state"] == 5
    assert gm.set_params(n_components=4, covariance_type="diag") is gm
    assert gm.n_components == 4 and gm.get_params()["covariance_type"] == "diag"
    with pytest.raises(ValueError, match="not_a_param"):
        gm.set_params(not_a_param=1)
    with pytest.raises(ValueError):
        SkGMM().set_params(not_a_param=1)  # the reference behaviour


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"n_components": 5, "tol": 0.5},
        {"covariance_type": "diag", "max_iter": 10, "random_state": 3},
        {"n_init": 3, "verbose": 1, "warm_start": True},
    ],
)
def test_repr_like_sklearn(params):
    assert repr(kmix.GaussianMixture(**params)) == repr(SkGMM(**params))


def test_clone():
    rs = np.random.RandomState(0)
    X = make_data("blobs", 200, 2, 3, seed=0)
    gm = quiet_fit(kmix.GaussianMixture(3, init_params="random", n_init=2, random_state=rs, n_threads=1), X)
    c = clone(gm)
    assert type(c) is kmix.GaussianMixture and c is not gm
    assert not hasattr(c, "means_")
    assert c.get_params()["n_threads"] == 1 and c.get_params()["init_params"] == "random"
    ours = quiet_fit(clone(kmix.GaussianMixture(3, random_state=3)), X)
    theirs = quiet_fit(clone(SkGMM(3, random_state=3)), X)
    assert_same_gmm(ours, theirs, X)


def test_sklearn_sees_a_density_estimator():
    from sklearn.base import is_clusterer
    from sklearn.utils import get_tags

    # scikit-learn's GaussianMixture is a density estimator (DensityMixin), not a clusterer.
    assert get_tags(kmix.GaussianMixture()).estimator_type == get_tags(SkGMM()).estimator_type
    assert is_clusterer(kmix.GaussianMixture()) == is_clusterer(SkGMM())


def test_pipeline_same_as_sklearn():
    X = make_data("aniso", 400, 3, 4, seed=2) * np.array([1.0, 10.0, 100.0])
    ours = Pipeline([("scale", StandardScaler()), ("gm", kmix.GaussianMixture(4, random_state=7))]).fit(X)
    theirs = Pipeline([("scale", StandardScaler()), ("gm", SkGMM(4, random_state=7))]).fit(X)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=1e-7)
    np.testing.assert_allclose(ours.score(X), theirs.score(X), rtol=1e-7)
    ours.set_params(gm__n_components=2)
    assert ours.named_steps["gm"].n_components == 2
    assert ours.fit(X).named_steps["gm"].means_.shape == (2, 3)


def test_grid_search_over_n_components_same_as_sklearn():
    X = make_data("blobs", 240, 2, 3, seed=3)
    grid = {"n_components": [1, 2, 3]}
    ours = GridSearchCV(kmix.GaussianMixture(random_state=0), grid, cv=3).fit(X)
    theirs = GridSearchCV(SkGMM(random_state=0), grid, cv=3).fit(X)
    assert ours.best_params_ == theirs.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"], rtol=1e-7)
    assert isinstance(ours.best_estimator_, kmix.GaussianMixture)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


# ---- pickle and save/load --------------------------------------------------------------------
FITTED = PARAMS + ("converged_", "n_iter_", "lower_bound_", "n_features_in_")


def assert_same_model(a, b):
    for name in FITTED:
        va, vb = getattr(a, name), getattr(b, name)
        if isinstance(va, np.ndarray):
            assert isinstance(vb, np.ndarray) and va.dtype == vb.dtype, name
            np.testing.assert_array_equal(va, vb)
        else:
            assert va == vb, name
    np.testing.assert_array_equal(np.asarray(a.lower_bounds_), np.asarray(b.lower_bounds_))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_pickle_round_trip(covariance_type, dtype):
    X = make_data("blobs", 300, 3, 3, seed=4, dtype=dtype)
    gm = quiet_fit(kmix.GaussianMixture(3, covariance_type=covariance_type, random_state=3, n_threads=1), X)
    gm2 = pickle.loads(pickle.dumps(gm))
    assert_same_model(gm, gm2)
    assert gm2.get_params().keys() == gm.get_params().keys()
    X_new = make_data("uniform", 100, 3, 3, seed=5, dtype=dtype) * 10
    np.testing.assert_array_equal(gm2.predict_proba(X_new), gm.predict_proba(X_new))
    np.testing.assert_array_equal(gm2.score_samples(X_new), gm.score_samples(X_new))
    np.testing.assert_array_equal(gm2.sample(20)[0], gm.sample(20)[0])
    theirs = quiet_fit(SkGMM(3, covariance_type=covariance_type, random_state=3), X)
    if dtype == np.float64:
        assert_same_gmm(gm2, theirs, X)


def test_pickle_unfitted():
    gm2 = pickle.loads(pickle.dumps(kmix.GaussianMixture(3, covariance_type="tied")))
    assert gm2.get_params() == kmix.GaussianMixture(3, covariance_type="tied").get_params()
    with pytest.raises(kmix.NotFittedError):
        gm2.predict(np.zeros((2, 2)))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_save_load_round_trip(tmp_path, covariance_type, dtype):
    X = make_data("aniso", 300, 3, 3, seed=6, dtype=dtype)
    init = init_kwargs(X, 3, covariance_type, seed=6)
    gm = quiet_fit(
        kmix.GaussianMixture(3, covariance_type=covariance_type, tol=1e-4, max_iter=50, random_state=8, **init), X
    )
    path = tmp_path / "gmm.kmix"
    gm.save(path)
    loaded = kmix.load(path)
    assert type(loaded) is kmix.GaussianMixture
    assert_same_model(gm, loaded)
    for key, value in gm.get_params().items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(loaded.get_params()[key], value)
        else:
            assert loaded.get_params()[key] == value, key
    X_new = make_data("uniform", 50, 3, 3, seed=7, dtype=dtype) * 10
    np.testing.assert_array_equal(loaded.predict_proba(X_new), gm.predict_proba(X_new))
    np.testing.assert_array_equal(loaded.score_samples(X_new), gm.score_samples(X_new))
    # The loaded model is the scikit-learn fit too (float64; same initial parameters).
    if dtype == np.float64:
        theirs = quiet_fit(SkGMM(3, covariance_type=covariance_type, tol=1e-4, max_iter=50, **_copy_arrays(init)), X)
        assert_same_gmm(loaded, theirs, X)


def test_save_load_unfitted(tmp_path):
    path = str(tmp_path / "unfitted.npz")
    kmix.GaussianMixture(4, reg_covar=1e-3, n_threads=2).save(path)
    loaded = kmix.load(path)
    assert loaded.get_params() == kmix.GaussianMixture(4, reg_covar=1e-3, n_threads=2).get_params()
    with pytest.raises(kmix.NotFittedError):
        loaded.predict_proba(np.zeros((1, 2)))


# ---- verbose ---------------------------------------------------------------------------------
def _capture(fn):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn()
    return buf.getvalue()


@pytest.mark.parametrize("verbose_interval", [1, 3, 10])
def test_verbose_1_same_lines_as_sklearn(verbose_interval):
    X = make_data("aniso", 400, 3, 3, seed=12)
    init = init_kwargs(X, 3, "full", seed=12)
    params = dict(verbose=1, verbose_interval=verbose_interval, tol=1e-5, max_iter=40)
    ours = kmix.GaussianMixture(3, **params, **init)
    theirs = SkGMM(3, **params, **_copy_arrays(init))
    out_ours = _capture(lambda: quiet_fit(ours, X))
    out_theirs = _capture(lambda: quiet_fit(theirs, X))
    assert ours.n_iter_ == theirs.n_iter_
    assert out_ours.splitlines() == out_theirs.splitlines()
    assert out_ours.splitlines()[0] == "Initialization 0"
    iters = [int(m) for m in re.findall(r"^  Iteration (\d+)$", out_ours, flags=re.M)]
    assert iters == list(range(verbose_interval, ours.n_iter_ + 1, verbose_interval))


def test_verbose_1_several_inits_and_not_converged():
    X = make_data("aniso", 300, 2, 3, seed=13)
    params = dict(verbose=1, n_init=2, max_iter=3, tol=1e-12, random_state=1, verbose_interval=1, init_params="random")
    out_ours = _capture(lambda: quiet_fit(kmix.GaussianMixture(3, **params), X))
    out_theirs = _capture(lambda: quiet_fit(SkGMM(3, **params), X))
    assert out_ours.splitlines() == out_theirs.splitlines()
    assert "Initialization 1" in out_ours.splitlines()
    assert "Initialization did not converge." in out_ours.splitlines()


_TIMES = re.compile(r"time lapse [0-9.]+s")
_NUM = re.compile(r"(ll change|lower bound) (-?[0-9]+\.[0-9]+|-?inf)")


def test_verbose_2_like_sklearn():
    X = make_data("aniso", 400, 3, 3, seed=14)
    init = init_kwargs(X, 3, "diag", seed=14)
    params = dict(covariance_type="diag", verbose=2, verbose_interval=2, tol=1e-5, max_iter=40)
    ours = kmix.GaussianMixture(3, **params, **init)
    theirs = SkGMM(3, **params, **_copy_arrays(init))
    out_ours = _capture(lambda: quiet_fit(ours, X))
    out_theirs = _capture(lambda: quiet_fit(theirs, X))
    lines_ours, lines_theirs = out_ours.splitlines(), out_theirs.splitlines()
    assert len(lines_ours) == len(lines_theirs)
    for a, b in zip(lines_ours, lines_theirs):
        # Same text once the timings and the printed numbers are masked ...
        mask = lambda s: _NUM.sub(r"\1 #", _TIMES.sub("time lapse #s", s))  # noqa: E731
        assert mask(a) == mask(b), (a, b)
        # ... and the same numbers to the printed precision.
        na = [float(v) for _, v in _NUM.findall(a)]
        nb = [float(v) for _, v in _NUM.findall(b)]
        np.testing.assert_allclose(na, nb, atol=2e-5)
    assert any(line.startswith("  Iteration 2\t time lapse") for line in lines_ours)
    assert lines_ours[-1].startswith("Initialization converged. time lapse")


def test_verbose_0_prints_nothing(capsys):
    X = make_data("blobs", 200, 2, 2, seed=15)
    kmix.GaussianMixture(2, random_state=0).fit(X)
    SkGMM(2, random_state=0).fit(X)
    assert capsys.readouterr().out == ""


def test_verbose_capsys(capsys):
    # The lines reach sys.stdout (pytest's capsys), as scikit-learn's do.
    X = make_data("blobs", 200, 2, 2, seed=16)
    init = init_kwargs(X, 2, "spherical", seed=16)
    kmix.GaussianMixture(2, covariance_type="spherical", verbose=1, verbose_interval=1, **init).fit(X)
    ours = capsys.readouterr().out
    SkGMM(2, covariance_type="spherical", verbose=1, verbose_interval=1, **_copy_arrays(init)).fit(X)
    theirs = capsys.readouterr().out
    assert ours == theirs and "  Iteration 1" in ours


# ---- convergence warning ---------------------------------------------------------------------
def test_convergence_warning_class():
    assert issubclass(kmix.ConvergenceWarning, UserWarning)
    assert issubclass(SkConvergenceWarning, UserWarning)  # the reference


@pytest.mark.parametrize("max_iter,tol", [(1, 1e-3), (3, 1e-12), (100, 1e-3), (100, 0.5)])
def test_convergence_warning_when_sklearn_warns(max_iter, tol):
    X = make_data("aniso", 300, 2, 3, seed=17)
    init = init_kwargs(X, 3, "full", seed=17)
    with warnings.catch_warnings(record=True) as rec_theirs:
        warnings.simplefilter("always")
        theirs = SkGMM(3, max_iter=max_iter, tol=tol, **_copy_arrays(init)).fit(X)
    with warnings.catch_warnings(record=True) as rec_ours:
        warnings.simplefilter("always")
        ours = kmix.GaussianMixture(3, max_iter=max_iter, tol=tol, **init).fit(X)
    sk_warned = any(issubclass(r.category, SkConvergenceWarning) for r in rec_theirs)
    ours_warned = [r for r in rec_ours if issubclass(r.category, kmix.ConvergenceWarning)]
    assert bool(ours_warned) == sk_warned
    assert bool(ours.converged_) == bool(theirs.converged_) == (not sk_warned)
    if max_iter < 100:
        assert sk_warned  # the scenario really does not converge
    if ours_warned:
        assert "converge" in str(ours_warned[0].message)
    # With pytest.warns, as a user would check it.
    if sk_warned:
        with pytest.warns(kmix.ConvergenceWarning):
            kmix.GaussianMixture(3, max_iter=max_iter, tol=tol, **init).fit(X)


def test_no_warning_with_max_iter_zero():
    X = make_data("blobs", 200, 2, 2, seed=18)
    with warnings.catch_warnings(record=True) as rec_theirs:
        warnings.simplefilter("always")
        SkGMM(2, max_iter=0, random_state=0).fit(X)
    with warnings.catch_warnings(record=True) as rec_ours:
        warnings.simplefilter("always")
        kmix.GaussianMixture(2, max_iter=0, random_state=0).fit(X)
    assert not any(issubclass(r.category, SkConvergenceWarning) for r in rec_theirs)
    assert not any(issubclass(r.category, kmix.ConvergenceWarning) for r in rec_ours)
