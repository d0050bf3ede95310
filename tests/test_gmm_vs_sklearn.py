"""kmix.GaussianMixture against sklearn.mixture.GaussianMixture: same initial parameters (or the
same seed and init_params), same fit, same fitted-model methods.

The helpers at the top (initial parameters, the comparison of two fits, a numpy EM reference)
are shared with test_gmm_inputs.py and test_gmm_weights_threads.py.
"""

import math
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGMM

import kmix
from conftest import init_rows, make_blobs, make_data, make_separated_blobs

COV_TYPES = ("full", "tied", "diag", "spherical")
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")
PARAMS = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_")


# ---- initial parameters ----------------------------------------------------------------------
def _cov_shape_from_full(covs, covariance_type, nk):
    """Full per-component covariances (k, d, d) reduced to the covariance_type's shape."""
    if covariance_type == "full":
        return covs
    if covariance_type == "tied":
        return np.tensordot(nk / nk.sum(), covs, axes=1)
    diag = np.diagonal(covs, axis1=1, axis2=2).copy()
    return diag if covariance_type == "diag" else diag.mean(axis=1)


def precisions_from_covariances(covs, covariance_type):
    """Inverse of each covariance, symmetrised so that a full precision is exactly symmetric."""
    if covariance_type == "full":
        P = np.linalg.inv(covs)
        return (P + np.transpose(P, (0, 2, 1))) / 2
    if covariance_type == "tied":
        P = np.linalg.inv(covs)
        return (P + P.T) / 2
    return 1.0 / covs


def make_init(X, k, covariance_type, seed=0, how="rows", labels=None):
    """(weights_init, means_init, precisions_init) of X's dtype, computed with numpy.

    how="rows":   k distinct random rows as means, equal weights, the data covariance (shrunk by
                  k so that components start narrower than the whole cloud) for every component;
                  EM has real work to do from there.
    how="labels": weights, means and covariances of the given labels (the true blob labels),
                  with a little shrinkage so that small groups stay positive definite.
    """
    X64 = np.asarray(X, dtype=np.float64)
    n, d = X64.shape
    data_cov = np.atleast_2d(np.cov(X64, rowvar=False, bias=True)) + 1e-3 * np.eye(d)
    if how == "rows":
        weights = np.full(k, 1.0 / k)
        means = init_rows(X64, k, seed)
        covs = np.repeat((data_cov / k ** (2.0 / max(d, 1)))[None], k, axis=0)
        nk = np.full(k, n / k)
    elif how == "labels":
        counts = np.bincount(labels, minlength=k).astype(np.float64) + 1.0
        weights = counts / counts.sum()
        means = np.empty((k, d))
        covs = np.empty((k, d, d))
        rows = init_rows(X64, k, seed)
        for c in range(k):
            members = X64[labels == c]
            if len(members) == 0:
                means[c], covs[c] = rows[c], data_cov
                continue
            means[c] = members.mean(axis=0)
            diff = members - means[c]
            emp = diff.T @ diff / len(members)
            alpha = 1.0 / (1.0 + len(members))
            covs[c] = (1 - alpha) * emp + alpha * data_cov
        nk = counts
    else:
        raise ValueError(how)
    # Weights sum to 1 to rounding (both libraries accept that).
    weights = weights / weights.sum()
    precisions = precisions_from_covariances(_cov_shape_from_full(covs, covariance_type, nk), covariance_type)
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    return weights.astype(dtype), means.astype(dtype), precisions.astype(dtype)


def init_kwargs(X, k, covariance_type, seed=0, how="rows", labels=None):
    w, m, p = make_init(X, k, covariance_type, seed, how, labels)
    return dict(weights_init=w, means_init=m, precisions_init=p)


def fit_both(X, k, covariance_type="full", sample_weight=None, **params):
    """kmix and scikit-learn fitted with the same parameters (scikit-learn's ConvergenceWarning
    silenced; kmix's is left to the caller)."""
    ours = kmix.GaussianMixture(n_components=k, covariance_type=covariance_type, **params)
    if sample_weight is None:
        ours.fit(X)
    else:
        ours.fit(X, sample_weight=sample_weight)
    theirs = SkGMM(n_components=k, covariance_type=covariance_type, **_copy_arrays(params))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkConvergenceWarning)
        theirs.fit(X)
    return ours, theirs


def _copy_arrays(params):
    # scikit-learn replaces weights_init & co by its validated copies; hand it its own arrays.
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in params.items()}


def quiet_fit(est, X, **kw):
    """est.fit(X) with kmix's and scikit-learn's ConvergenceWarning silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkConvergenceWarning)
        warnings.simplefilter("ignore", kmix.ConvergenceWarning)
        return est.fit(X, **kw)


def assert_close_scaled(actual, expected, rtol, name=""):
    """allclose with rtol plus an atol of rtol x 1e-3 x the largest magnitude (entries near zero,
    e.g. off-diagonal covariances, cannot meet a pure relative tolerance)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (name, actual.shape, expected.shape)
    scale = float(np.max(np.abs(expected))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * 1e-3 * scale, err_msg=name)


def assert_same_gmm(ours, theirs, X, rtol=1e-6, lb_rtol=1e-7, check_dtype=True, X_eval=None):
    """Two fitted mixtures agree: parameters (rtol), lower bounds (lb_rtol), n_iter_, converged_,
    and the fitted-model methods on X (and X_eval)."""
    assert ours.n_iter_ == theirs.n_iter_, (ours.n_iter_, theirs.n_iter_)
    assert bool(ours.converged_) == bool(theirs.converged_)
    assert ours.n_features_in_ == theirs.n_features_in_
    for name in PARAMS:
        a, b = getattr(ours, name), getattr(theirs, name)
        if check_dtype:
            assert a.dtype == b.dtype, (name, a.dtype, b.dtype)
        assert_close_scaled(a, b, rtol, name)
    np.testing.assert_allclose(ours.lower_bound_, theirs.lower_bound_, rtol=lb_rtol)
    # The per-iteration bounds to rtol: the first ones come from the initial parameters, which
    # can be ill-conditioned (random_from_data starts every variance at reg_covar, where
    # scikit-learn's E[x^2] - E[x]^2 variances carry relative errors of ~1e-7).
    assert len(ours.lower_bounds_) == len(theirs.lower_bounds_)
    np.testing.assert_allclose(
        np.asarray(ours.lower_bounds_, dtype=np.float64), np.asarray(theirs.lower_bounds_, dtype=np.float64), rtol=rtol
    )
    for Y in (X,) if X_eval is None else (X, X_eval):
        p_ours, p_theirs = ours.predict_proba(Y), theirs.predict_proba(Y)
        np.testing.assert_allclose(p_ours, p_theirs, rtol=rtol, atol=rtol * 1e-2)
        s_ours, s_theirs = ours.score_samples(Y), theirs.score_samples(Y)
        np.testing.assert_allclose(
            s_ours, s_theirs, rtol=lb_rtol * 10, atol=lb_rtol * 10 * float(np.max(np.abs(s_theirs)))
        )
        # Labels agree wherever the two most probable components are not (nearly) tied.
        top2 = np.sort(p_theirs, axis=1)[:, -2:] if p_theirs.shape[1] > 1 else None
        clear = np.ones(len(Y), bool) if top2 is None else (top2[:, 1] - top2[:, 0] > 1e-4)
        np.testing.assert_array_equal(ours.predict(Y)[clear], theirs.predict(Y)[clear])
        np.testing.assert_allclose(ours.score(Y), theirs.score(Y), rtol=lb_rtol * 10)
        np.testing.assert_allclose(ours.bic(Y), theirs.bic(Y), rtol=lb_rtol * 10)
        np.testing.assert_allclose(ours.aic(Y), theirs.aic(Y), rtol=lb_rtol * 10)


# ---- numpy EM reference (handles sample weights; scikit-learn has none) ----------------------
def _log_gauss(X, means, covariance_type, cov=None, prec=None):
    """log N(x | mean_k, Sigma_k) for every row and component, from covariances or precisions,
    by Cholesky factors in float64."""
    X = np.asarray(X, np.float64)
    n, d = X.shape
    k = means.shape[0]
    out = np.empty((n, k))
    for c in range(k):
        diff = X - means[c]
        if covariance_type in ("full", "tied"):
            if prec is not None:
                P = prec[c] if covariance_type == "full" else prec
                L = np.linalg.cholesky(P)  # P = L L^T
                maha = ((diff @ L) ** 2).sum(1)
                half_logdet_prec = np.log(np.diag(L)).sum()
            else:
                S = cov[c] if covariance_type == "full" else cov
                L = np.linalg.cholesky(S)
                z = np.linalg.solve(L, diff.T)
                maha = (z**2).sum(0)
                half_logdet_prec = -np.log(np.diag(L)).sum()
        else:
            if prec is not None:
                p = np.broadcast_to(prec[c], (d,))
            else:
                p = 1.0 / np.broadcast_to(cov[c], (d,))
            maha = (diff**2 * p).sum(1)
            half_logdet_prec = 0.5 * np.log(p).sum()
        out[:, c] = -0.5 * (d * math.log(2 * math.pi) + maha) + half_logdet_prec
    return out


def _weighted_m_step(X, rw, covariance_type, reg_covar):
    """M-step with weighted responsibilities rw = resp * sample_weight (n, k)."""
    n, d = X.shape
    nk = rw.sum(0) + 10 * np.finfo(np.float64).eps
    means = rw.T @ X / nk[:, None]
    full = np.empty((len(nk), d, d))
    for c in range(len(nk)):
        diff = X - means[c]
        full[c] = (rw[:, c] * diff.T) @ diff / nk[c]
    if covariance_type == "full":
        cov = full + reg_covar * np.eye(d)
    elif covariance_type == "tied":
        cov = np.tensordot(nk, full, axes=1) / nk.sum() + reg_covar * np.eye(d)
    else:
        diag = np.diagonal(full, axis1=1, axis2=2) + reg_covar
        cov = diag if covariance_type == "diag" else diag.mean(1)
    return nk / nk.sum(), means, cov


def reference_em(
    X, sample_weight, covariance_type, weights_init, means_init, precisions_init, tol=1e-3, reg_covar=1e-6, max_iter=100
):
    """EM as scikit-learn runs it (same stopping rule, same 10*eps in nk), with each row's
    contributions multiplied by its weight and the lower bound the weighted mean log-likelihood."""
    X = np.asarray(X, np.float64)
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    weights = np.asarray(weights_init, np.float64)
    means = np.asarray(means_init, np.float64)
    prec, cov = np.asarray(precisions_init, np.float64), None
    lower_bound, lower_bounds, converged = -np.inf, [], False
    for n_iter in range(1, max_iter + 1):
        prev = lower_bound
        with np.errstate(divide="ignore"):
            wlp = _log_gauss(X, means, covariance_type, cov=cov, prec=prec) + np.log(weights)
        lpn = logsumexp(wlp, axis=1)
        resp = np.exp(wlp - lpn[:, None])
        weights, means, cov = _weighted_m_step(X, resp * w[:, None], covariance_type, reg_covar)
        prec = None
        lower_bound = float(np.sum(w * lpn) / np.sum(w))
        lower_bounds.append(lower_bound)
        if abs(lower_bound - prev) < tol:
            converged = True
            break
    return dict(
        weights_=weights,
        means_=means,
        covariances_=cov,
        n_iter_=n_iter,
        converged_=converged,
        lower_bound_=lower_bound,
        lower_bounds_=lower_bounds,
    )


def reference_score_samples(X, weights, means, covariances, covariance_type):
    return logsumexp(_log_gauss(X, means, covariance_type, cov=covariances) + np.log(weights), axis=1)


def n_free_parameters(covariance_type, k, d):
    cov = {"full": k * d * (d + 1) / 2, "tied": d * (d + 1) / 2, "diag": k * d, "spherical": k}[covariance_type]
    return int(cov + k * d + k - 1)


# ---- same explicit initial parameters --------------------------------------------------------
def test_reference_em_reproduces_sklearn():
    # The numpy reference used for weighted fits is itself checked against scikit-learn.
    X = make_data("aniso", 400, 3, 3, seed=5)
    for ct in COV_TYPES:
        init = init_kwargs(X, 3, ct, seed=5)
        ref = reference_em(X, None, ct, init["weights_init"], init["means_init"], init["precisions_init"])
        sk = quiet_fit(SkGMM(3, covariance_type=ct, **_copy_arrays(init)), X)
        assert ref["n_iter_"] == sk.n_iter_ and ref["converged_"] == sk.converged_
        for name in ("weights_", "means_", "covariances_"):
            assert_close_scaled(ref[name], getattr(sk, name), 1e-8, name)
        np.testing.assert_allclose(ref["lower_bounds_"], sk.lower_bounds_, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("kind,seed", [("blobs", 0), ("aniso", 1), ("separated", 2)])
def test_same_init_same_fit(covariance_type, kind, seed):
    X = make_data(kind, 600, 3, 4, seed)
    init = init_kwargs(X, 4, covariance_type, seed=seed)
    ours, theirs = fit_both(X, 4, covariance_type, **init)
    X_new = make_data("blobs", 100, 3, 4, seed + 50)
    assert_same_gmm(ours, theirs, X, X_eval=X_new)
    assert ours.means_.dtype == np.float64


SHAPES = [(50, 1, 1), (200, 1, 3), (300, 2, 2), (1000, 5, 3), (500, 16, 2), (2000, 16, 8), (5000, 2, 3), (160, 5, 8)]


@pytest.mark.parametrize("n,d,k", SHAPES, ids=[f"n{n}-d{d}-k{k}" for n, d, k in SHAPES])
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_shapes_same_fit(n, d, k, covariance_type):
    # k=1, d=1, d above typical SIMD widths, n not a multiple of any block size; initial
    # parameters from the true blob labels, shrunk towards the data covariance.
    X, labels, _ = make_blobs(n=n, d=d, k=k, seed=n + d + k, std=1.5, spread=8.0)
    init = init_kwargs(X, k, covariance_type, seed=k, how="labels", labels=labels)
    ours, theirs = fit_both(X, k, covariance_type, **init)
    assert_same_gmm(ours, theirs, X)
    assert ours.means_.shape == (k, d)
    assert ours.weights_.shape == (k,)


@pytest.mark.parametrize("n,d,k", SHAPES, ids=[f"n{n}-d{d}-k{k}" for n, d, k in SHAPES])
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_shapes_float32_close_to_float64(n, d, k, covariance_type):
    # float32 in, float32 out; kmix accumulates in float64, so the float32 fit is the float64 fit
    # of the same (float32) numbers up to float32 rounding.
    X, labels, _ = make_blobs(n=n, d=d, k=k, seed=n + d + k, std=1.5, spread=8.0, dtype=np.float32)
    init32 = init_kwargs(X, k, covariance_type, seed=k, how="labels", labels=labels)
    init64 = {key: v.astype(np.float64) for key, v in init32.items()}
    init64["weights_init"] /= init64["weights_init"].sum()
    f32 = quiet_fit(kmix.GaussianMixture(k, covariance_type=covariance_type, **init32), X)
    f64 = quiet_fit(kmix.GaussianMixture(k, covariance_type=covariance_type, **init64), X.astype(np.float64))
    for name in PARAMS:
        assert getattr(f32, name).dtype == np.float32, name
    for name in ("weights_", "means_", "covariances_"):
        assert_close_scaled(getattr(f32, name), getattr(f64, name), 1e-4, name)
    np.testing.assert_allclose(f32.lower_bound_, f64.lower_bound_, rtol=1e-5)
    # And close to scikit-learn's float64 fit of the same numbers.
    theirs = quiet_fit(SkGMM(k, covariance_type=covariance_type, **_copy_arrays(init64)), X.astype(np.float64))
    for name in ("weights_", "means_"):
        assert_close_scaled(getattr(f32, name), getattr(theirs, name), 1e-4, name)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("max_iter", [1, 2, 5])
def test_max_iter_reached(covariance_type, max_iter):
    X = make_data("aniso", 500, 4, 5, seed=3)
    init = init_kwargs(X, 5, covariance_type, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kmix.ConvergenceWarning)
        ours, theirs = fit_both(X, 5, covariance_type, max_iter=max_iter, tol=1e-8, **init)
    assert theirs.n_iter_ == max_iter and not theirs.converged_
    assert_same_gmm(ours, theirs, X)


@pytest.mark.parametrize("tol", [0.0, 1e-6, 1e-2, 0.5])
def test_tolerance_same_stopping(tol):
    X = make_data("aniso", 400, 2, 3, seed=11)
    init = init_kwargs(X, 3, "full", seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kmix.ConvergenceWarning)
        ours, theirs = fit_both(X, 3, "full", tol=tol, max_iter=60, **init)
    assert_same_gmm(ours, theirs, X)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("reg_covar", [0.0, 1e-3, 0.5])
def test_reg_covar_same_fit(covariance_type, reg_covar):
    X = make_data("blobs", 400, 3, 3, seed=4)
    init = init_kwargs(X, 3, covariance_type, seed=4)
    ours, theirs = fit_both(X, 3, covariance_type, reg_covar=reg_covar, **init)
    assert_same_gmm(ours, theirs, X)


def test_integer_input_is_float64():
    X = np.rint(make_data("blobs", 300, 3, 3, seed=5) * 100).astype(np.int64)
    init = init_kwargs(X.astype(np.float64), 3, "full", seed=0)
    ours, theirs = fit_both(X, 3, "full", **init)
    assert ours.means_.dtype == np.float64 and ours.covariances_.dtype == np.float64
    assert_same_gmm(ours, theirs, X.astype(np.float64))


def test_list_input_like_array():
    X = make_data("blobs", 200, 2, 2, seed=6)
    init = init_kwargs(X, 2, "diag", seed=6)
    ours = kmix.GaussianMixture(2, covariance_type="diag", **init).fit(X.tolist())
    theirs = SkGMM(2, covariance_type="diag", **_copy_arrays(init)).fit(X)
    assert_same_gmm(ours, theirs, X)


@pytest.mark.parametrize("layout", ["fortran", "strided", "readonly"])
def test_memory_layouts_same_fit(layout, dtype):
    base = make_data("aniso", 300, 6, 3, seed=7, dtype=dtype)
    X = {"fortran": np.asfortranarray(base[:, :3]), "strided": base[:, ::2], "readonly": base[:, :3].copy()}[layout]
    if layout == "readonly":
        X.setflags(write=False)
    X_c = np.ascontiguousarray(X)
    init = init_kwargs(X_c, 3, "full", seed=7)
    ours = quiet_fit(kmix.GaussianMixture(3, **init), X)
    contiguous = quiet_fit(kmix.GaussianMixture(3, **init), X_c)
    for name in PARAMS:
        np.testing.assert_array_equal(getattr(ours, name), getattr(contiguous, name))
    np.testing.assert_array_equal(ours.predict_proba(X), contiguous.predict_proba(X_c))
    if dtype == np.float64:
        theirs = quiet_fit(SkGMM(3, **_copy_arrays(init)), X_c)
        assert_same_gmm(ours, theirs, X_c)


def test_predict_other_float_dtype_than_fit(dtype):
    X = make_data("separated", 300, 2, 3, seed=9, dtype=dtype)
    other = np.float32 if dtype == np.float64 else np.float64
    init = init_kwargs(X, 3, "diag", seed=9)
    gm = kmix.GaussianMixture(3, covariance_type="diag", **init).fit(X)
    Y = (make_data("blobs", 100, 2, 3, seed=10) * 3).astype(other)
    params = [np.asarray(getattr(gm, n), np.float64) for n in ("weights_", "means_", "covariances_")]
    ref = reference_score_samples(Y.astype(np.float64), *params, "diag")
    np.testing.assert_allclose(gm.score_samples(Y), ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())
    log_resp = _log_gauss(Y, params[1], "diag", cov=params[2]) + np.log(params[0])
    P_ref = np.exp(log_resp - logsumexp(log_resp, axis=1)[:, None])
    np.testing.assert_allclose(gm.predict_proba(Y), P_ref, atol=1e-4)


# ---- same seed: the random stream is consumed as scikit-learn does (float64) ------------------
@pytest.mark.parametrize("init_params", INIT_PARAMS)
@pytest.mark.parametrize("n_init", [1, 3])
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_seeded_init_same_fit(init_params, n_init, covariance_type):
    seed = {"kmeans": 0, "k-means++": 7, "random": 3, "random_from_data": 11}[init_params] + n_init
    X = make_data("blobs", 400, 3, 4, seed=seed)
    ours, theirs = fit_both(
        X, 4, covariance_type, init_params=init_params, n_init=n_init, random_state=seed, max_iter=300
    )
    if n_init == 1:
        assert_same_gmm(ours, theirs, X)
        return
    # scikit-learn's n_init runs, one at a time from one RandomState, as its fit draws them. Runs
    # that reach the same optimum (the components in another order) have bounds equal to the last
    # bits, and the best is then whichever rounds highest: on arm64, where kmix's kernels fuse
    # multiply-adds, another of the tied runs than on x86-64. kmix's fit must be one of them.
    rs = np.random.RandomState(seed)
    runs = [
        quiet_fit(
            SkGMM(4, covariance_type=covariance_type, init_params=init_params, n_init=1, random_state=rs, max_iter=300),
            X,
        )
        for _ in range(n_init)
    ]
    assert theirs.lower_bound_ == max(r.lower_bound_ for r in runs)
    best = theirs.lower_bound_
    tied = [r for r in runs if r.lower_bound_ >= best - 1e-12 * abs(best)]
    failures = []
    for run in tied:
        try:
            assert_same_gmm(ours, run, X)
            return
        except AssertionError as e:
            failures.append(e)
    raise failures[0]


@pytest.mark.parametrize("init_params", INIT_PARAMS)
def test_random_state_object_consumed_like_sklearn(init_params):
    X = make_data("aniso", 300, 2, 3, seed=9)
    rs_ours, rs_theirs = np.random.RandomState(17), np.random.RandomState(17)
    ours = quiet_fit(kmix.GaussianMixture(3, init_params=init_params, n_init=2, random_state=rs_ours, max_iter=300), X)
    theirs = quiet_fit(SkGMM(3, init_params=init_params, n_init=2, random_state=rs_theirs, max_iter=300), X)
    assert_same_gmm(ours, theirs, X)
    # Both consumed the same number of draws from their generators.
    assert rs_ours.randint(1 << 30) == rs_theirs.randint(1 << 30)


@pytest.mark.parametrize("given", ["weights_init", "means_init", "precisions_init"])
@pytest.mark.parametrize("init_params", ["kmeans", "random"])
def test_some_initial_parameters_given(given, init_params):
    # The missing ones come from init_params (with the seed), the given one overrides.
    X = make_data("blobs", 400, 2, 3, seed=12)
    init = {given: init_kwargs(X, 3, "diag", seed=1)[given]}
    ours, theirs = fit_both(X, 3, "diag", init_params=init_params, random_state=5, **init)
    assert_same_gmm(ours, theirs, X)


@pytest.mark.parametrize("covariance_type", ["full", "spherical"])
def test_n_init_with_all_initial_parameters_given(covariance_type):
    # Every run starts from the same given parameters; the chosen one is scikit-learn's.
    X = make_data("aniso", 300, 2, 3, seed=13)
    init = init_kwargs(X, 3, covariance_type, seed=13)
    ours, theirs = fit_both(X, 3, covariance_type, n_init=3, random_state=0, **init)
    assert_same_gmm(ours, theirs, X)


@pytest.mark.parametrize("init_params", ["kmeans", "random_from_data"])
@pytest.mark.parametrize("n_init", [1, 3])
def test_max_iter_zero_returns_the_initialisation(init_params, n_init):
    # With n_init > 1 scikit-learn keeps the last initialization (no lower bound to choose by).
    X = make_data("blobs", 300, 2, 3, seed=2)
    ours, theirs = fit_both(X, 3, "full", init_params=init_params, n_init=n_init, random_state=0, max_iter=0)
    assert ours.n_iter_ == theirs.n_iter_ == 0
    assert ours.lower_bound_ == theirs.lower_bound_  # -inf
    assert bool(ours.converged_) is bool(theirs.converged_) is False
    for name in ("weights_", "means_", "covariances_", "precisions_"):
        assert_close_scaled(getattr(ours, name), getattr(theirs, name), 1e-9, name)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-8, atol=1e-12)


# ---- float32 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("kind", ["separated", "aniso"])
def test_float32_parameters_close_to_float64_fit(covariance_type, kind):
    X32 = make_data(kind, 800, 3, 3, seed=21, dtype=np.float32)
    X64 = X32.astype(np.float64)
    init32 = init_kwargs(X32, 3, covariance_type, seed=4)
    init64 = {k: v.astype(np.float64) for k, v in init32.items()}
    init64["weights_init"] /= init64["weights_init"].sum()  # float32 weights sum to 1 only to 1e-7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kmix.ConvergenceWarning)
        f32 = kmix.GaussianMixture(3, covariance_type=covariance_type, tol=1e-4, **init32).fit(X32)
        f64 = kmix.GaussianMixture(3, covariance_type=covariance_type, tol=1e-4, **init64).fit(X64)
    for name in PARAMS:
        assert getattr(f32, name).dtype == np.float32, name
        assert getattr(f64, name).dtype == np.float64, name
        assert np.all(np.isfinite(getattr(f32, name))), name
        assert_close_scaled(getattr(f32, name), getattr(f64, name), 1e-4, name)
    variances = (
        f32.covariances_
        if covariance_type in ("diag", "spherical")
        else np.diagonal(f32.covariances_, axis1=-2, axis2=-1)
    )
    assert np.all(variances > 0)
    np.testing.assert_allclose(f32.lower_bound_, f64.lower_bound_, rtol=1e-5)
    np.testing.assert_allclose(f32.predict_proba(X32), f64.predict_proba(X64), atol=1e-4)
    np.testing.assert_allclose(f32.score_samples(X32), f64.score_samples(X64), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_float32_close_to_sklearn_float32(covariance_type):
    X, labels, _ = make_separated_blobs(n=600, d=2, k=3, seed=8, dtype=np.float32)
    init = init_kwargs(X, 3, covariance_type, how="labels", labels=labels)
    ours, theirs = fit_both(X, 3, covariance_type, **init)
    assert ours.means_.dtype == theirs.means_.dtype == np.float32
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=1e-3)
    assert_close_scaled(ours.covariances_, theirs.covariances_, 1e-2, "covariances_")
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("offset", [0.0, 1e3])
def test_float32_one_component_is_the_data_covariance(covariance_type, offset):
    # k=1: every responsibility is 1, so the fit is the (biased) sample covariance + reg_covar.
    # Far from the origin a float32 E[x^2] - E[x]^2 would cancel to garbage (or go negative).
    rng = np.random.default_rng(3)
    X32 = (offset + 0.05 * rng.standard_normal((3000, 3)) @ np.array([[1, 0.3, 0], [0, 1, 0.5], [0, 0, 2.0]])).astype(
        np.float32
    )
    X64 = X32.astype(np.float64)
    gm = kmix.GaussianMixture(1, covariance_type=covariance_type).fit(X32)
    mean = X64.mean(0)
    cov = np.cov(X64, rowvar=False, bias=True) + 1e-6 * np.eye(3)
    expected = {
        "full": cov[None],
        "tied": cov,
        "diag": np.diag(cov)[None],
        "spherical": np.array([np.diag(cov).mean()]),
    }[covariance_type]
    assert gm.covariances_.dtype == np.float32
    np.testing.assert_allclose(gm.means_[0], mean, rtol=1e-6)
    assert_close_scaled(gm.covariances_, expected, 1e-4, "covariances_")
    np.testing.assert_allclose(gm.weights_, [1.0], rtol=1e-6)


# ---- fitted-model methods ----------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_methods_consistent(covariance_type, dtype):
    X = make_data("aniso", 500, 3, 4, seed=8, dtype=dtype)
    init = init_kwargs(X, 4, covariance_type, seed=8)
    gm = kmix.GaussianMixture(4, covariance_type=covariance_type, **init).fit(X)
    X_new = make_data("uniform", 200, 3, 4, seed=99, dtype=dtype) * 10
    P = gm.predict_proba(X_new)
    assert P.shape == (200, 4)
    # float32: log-probabilities of a few hundred carry absolute rounding errors of ~1e-5.
    np.testing.assert_allclose(P.sum(axis=1), np.ones(200), rtol=1e-4 if dtype == np.float32 else 1e-12)
    pred = gm.predict(X_new)
    assert pred.dtype.kind in "iu"
    np.testing.assert_array_equal(pred, np.argmax(P, axis=1))
    fp = kmix.GaussianMixture(4, covariance_type=covariance_type, **init).fit_predict(X)
    np.testing.assert_array_equal(fp, gm.predict(X))
    # score_samples and predict_proba from the fitted parameters, in numpy.
    params = [np.asarray(getattr(gm, n), np.float64) for n in ("weights_", "means_", "covariances_")]
    ref = reference_score_samples(X_new, *params, covariance_type)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(gm.score_samples(X_new), ref, rtol=rtol, atol=rtol * np.abs(ref).max())
    np.testing.assert_allclose(gm.score(X_new), ref.mean(), rtol=rtol)
    log_resp = _log_gauss(X_new, params[1], covariance_type, cov=params[2]) + np.log(params[0])
    P_ref = np.exp(log_resp - logsumexp(log_resp, axis=1)[:, None])
    # float32: these points are far out (log-probabilities down to about -5000), where float32
    # log-probabilities carry absolute errors of ~1e-3 (scikit-learn's float32 fit alike).
    np.testing.assert_allclose(P, P_ref, atol=1e-9 if dtype == np.float64 else 2e-3)


@pytest.mark.parametrize("m", [1, 2, 3, 7, 64, 257])
def test_methods_on_few_rows_same_as_sklearn(m, dtype):
    # Row counts around register tiles and blocks, and the one-row serving path.
    X = make_data("aniso", 400, 4, 3, seed=30, dtype=dtype)
    init = init_kwargs(X, 3, "full", seed=30)
    ours, theirs = fit_both(X, 3, "full", **init)
    Y = make_data("blobs", m, 4, 3, seed=m, dtype=dtype)
    params = [np.asarray(getattr(ours, n), np.float64) for n in ("weights_", "means_", "covariances_")]
    ref = reference_score_samples(Y, *params, "full")
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(ours.score_samples(Y), ref, rtol=rtol, atol=rtol * np.abs(ref).max())
    assert ours.predict_proba(Y).shape == (m, 3) and ours.predict(Y).shape == (m,)
    if dtype == np.float64:
        np.testing.assert_allclose(ours.predict_proba(Y), theirs.predict_proba(Y), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(ours.score_samples(Y), theirs.score_samples(Y), rtol=1e-6)
        np.testing.assert_array_equal(ours.predict(Y), theirs.predict(Y))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_fit_predict_same_as_sklearn(covariance_type):
    X = make_data("blobs", 300, 2, 3, seed=1)
    init = init_kwargs(X, 3, covariance_type, seed=1)
    ours = kmix.GaussianMixture(3, covariance_type=covariance_type, **init).fit_predict(X)
    theirs = SkGMM(3, covariance_type=covariance_type, **_copy_arrays(init)).fit_predict(X)
    np.testing.assert_array_equal(ours, theirs)
    assert ours.dtype == theirs.dtype  # the labels' dtype too (fit_predict gave int32 where predict gives intp)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_precisions_are_inverse_covariances(covariance_type):
    X = make_data("aniso", 400, 3, 3, seed=14)
    gm = kmix.GaussianMixture(3, covariance_type=covariance_type, **init_kwargs(X, 3, covariance_type)).fit(X)
    expected = precisions_from_covariances(gm.covariances_, covariance_type)
    assert_close_scaled(gm.precisions_, expected, 1e-9, "precisions_")
    pc = gm.precisions_cholesky_
    if covariance_type == "full":
        recon = pc @ np.transpose(pc, (0, 2, 1))
    elif covariance_type == "tied":
        recon = pc @ pc.T
    else:
        recon = pc**2
    assert_close_scaled(recon, gm.precisions_, 1e-10, "precisions_cholesky_")


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_far_away_points_stable(covariance_type, dtype):
    X = make_data("blobs", 300, 2, 3, seed=3, dtype=dtype)
    init = init_kwargs(X, 3, covariance_type, seed=3)
    ours, theirs = fit_both(X, 3, covariance_type, **init)
    far = np.array([[1e6, 1e6], [-1e6, 3e5], [0.0, 1e6]], dtype=dtype)
    s = ours.score_samples(far)
    assert np.all(np.isfinite(s)) and np.all(s < -1e6)
    P = ours.predict_proba(far)
    assert not np.isnan(P).any()
    np.testing.assert_allclose(P.sum(1), 1.0, rtol=1e-5)
    # A direct float64 evaluation of the same fitted parameters.
    params = [np.asarray(getattr(ours, n), np.float64) for n in ("weights_", "means_", "covariances_")]
    ref = reference_score_samples(far.astype(np.float64), *params, covariance_type)
    np.testing.assert_allclose(s, ref, rtol=1e-6 if dtype == np.float64 else 1e-3)
    if dtype == np.float64:
        np.testing.assert_allclose(s, theirs.score_samples(far), rtol=1e-6)
        np.testing.assert_allclose(P, theirs.predict_proba(far), atol=1e-6)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_bic_aic_formula(covariance_type):
    X = make_data("aniso", 500, 3, 3, seed=15)
    ours, theirs = fit_both(X, 3, covariance_type, **init_kwargs(X, 3, covariance_type, seed=15))
    p = n_free_parameters(covariance_type, 3, 3)
    for Y in (X, make_data("blobs", 77, 3, 3, seed=16)):
        n = Y.shape[0]
        score = float(
            np.mean(reference_score_samples(Y, ours.weights_, ours.means_, ours.covariances_, covariance_type))
        )
        np.testing.assert_allclose(ours.bic(Y), -2 * score * n + p * np.log(n), rtol=1e-10)
        np.testing.assert_allclose(ours.aic(Y), -2 * score * n + 2 * p, rtol=1e-10)
        np.testing.assert_allclose(ours.bic(Y), theirs.bic(Y), rtol=1e-6)
        np.testing.assert_allclose(ours.aic(Y), theirs.aic(Y), rtol=1e-6)


# ---- sample ------------------------------------------------------------------------------------
def _sklearn_with_params_of(ours, random_state):
    """A scikit-learn mixture carrying exactly kmix's fitted parameters."""
    sk = SkGMM(ours.n_components, covariance_type=ours.covariance_type, random_state=random_state)
    for name in PARAMS:
        setattr(sk, name, getattr(ours, name))
    sk.n_features_in_ = ours.n_features_in_
    sk.converged_ = ours.converged_
    return sk


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("n_samples", [1, 500])
def test_sample_equals_sklearn(covariance_type, n_samples, dtype):
    X = make_data("aniso", 300, 3, 3, seed=17, dtype=dtype)
    init = init_kwargs(X, 3, covariance_type, seed=17)
    ours = kmix.GaussianMixture(3, covariance_type=covariance_type, random_state=4, **init).fit(X)
    Xs, ys = ours.sample(n_samples)
    assert Xs.shape == (n_samples, 3) and Xs.dtype == np.float64
    assert ys.shape == (n_samples,) and ys.dtype.kind in "iu"
    sk_X, sk_y = _sklearn_with_params_of(ours, 4).sample(n_samples)
    np.testing.assert_array_equal(ys, sk_y)
    # Same draws; with float32 parameters scikit-learn takes sqrt(variance) in float32, so the
    # samples agree to float32 rounding only.
    tol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(Xs, sk_X, rtol=tol, atol=tol * np.abs(sk_X).max())
    # An int random_state gives the same draw every call, as in scikit-learn.
    np.testing.assert_array_equal(ours.sample(n_samples)[0], Xs)


def test_sample_same_as_sklearn_after_same_fit():
    X = make_data("blobs", 400, 2, 3, seed=18)
    init = init_kwargs(X, 3, "full", seed=18)
    ours, theirs = fit_both(X, 3, "full", random_state=0, **init)
    Xs, ys = ours.sample(1000)
    sk_X, sk_y = theirs.sample(1000)
    np.testing.assert_array_equal(ys, sk_y)
    np.testing.assert_allclose(Xs, sk_X, rtol=1e-6, atol=1e-6)


def test_sample_random_state_object_advances_like_sklearn():
    X = make_data("blobs", 300, 2, 2, seed=19)
    init = init_kwargs(X, 2, "diag", seed=19)
    ours = kmix.GaussianMixture(2, covariance_type="diag", random_state=np.random.RandomState(3), **init).fit(X)
    sk = _sklearn_with_params_of(ours, np.random.RandomState(3))
    for n in (5, 9):
        a, b = ours.sample(n), sk.sample(n)
        np.testing.assert_allclose(a[0], b[0], rtol=1e-12)
        np.testing.assert_array_equal(a[1], b[1])


# ---- degenerate data -----------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_duplicated_points_stay_finite(covariance_type):
    # 15 distinct points each repeated 20 times, 3 components: reg_covar keeps things finite.
    base = make_data("blobs", 15, 2, 3, seed=22)
    X = np.repeat(base, 20, axis=0)
    init = init_kwargs(X, 3, covariance_type, seed=22)
    ours, theirs = fit_both(X, 3, covariance_type, **init)
    for name in PARAMS:
        assert np.all(np.isfinite(getattr(ours, name))), name
    assert_same_gmm(ours, theirs, X)


def _collapse_data(d=2):
    """Five identical points at the origin and a blob of 100 points around (50, ..., 50), with
    initial parameters putting one component on each: the first collapses onto the identical
    points (every other responsibility underflows to exactly 0)."""
    rng = np.random.default_rng(23)
    X = np.vstack([np.zeros((5, d)), 50 + rng.standard_normal((100, d))])
    weights = np.array([5 / 105, 100 / 105])
    means = np.array([np.zeros(d), np.full(d, 50.0)])
    return X, weights, means


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("reg_covar", [1e-6, 1e-2, 0.0])
def test_component_collapsing_on_identical_points(covariance_type, reg_covar):
    X, weights, means = _collapse_data()
    precisions = precisions_from_covariances(
        _cov_shape_from_full(np.repeat(np.eye(2)[None], 2, axis=0), covariance_type, np.array([5.0, 100])),
        covariance_type,
    )
    params = dict(weights_init=weights, means_init=means, precisions_init=precisions, reg_covar=reg_covar)
    sk = SkGMM(2, covariance_type=covariance_type, **_copy_arrays(params))
    try:
        quiet_fit(sk, X)
        sk_error = None
    except ValueError as exc:
        sk_error = exc
    ours = kmix.GaussianMixture(2, covariance_type=covariance_type, **params)
    if sk_error is not None:
        # scikit-learn finds a covariance that is not positive definite; so must kmix, naming reg_covar.
        with pytest.raises(ValueError, match="reg_covar"):
            quiet_fit(ours, X)
    else:
        quiet_fit(ours, X)
        for name in PARAMS:
            assert np.all(np.isfinite(getattr(ours, name))), name
        assert_same_gmm(ours, sk, X)
    if reg_covar == 0.0 and covariance_type != "tied":
        assert sk_error is not None  # the scenario really is degenerate (checks the test's data)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_collapse_kept_finite_by_reg_covar_at_any_data_scale(covariance_type, scale):
    # Two blobs plus three identical points with a component of their own: with the default
    # reg_covar that component's covariance is reg_covar (times I). reg_covar is absolute, so this
    # holds whatever the scale of the data (x 1e4: values up to ~3e5, as prices or incomes).
    X, labels, _ = make_blobs(n=300, d=2, k=2, seed=1, std=1.5)
    X = np.vstack([X, np.full((3, 2), 30.0)]) * scale
    labels = np.r_[labels, [2, 2, 2]]
    init = init_kwargs(X, 3, covariance_type, how="labels", labels=labels)
    theirs = quiet_fit(SkGMM(3, covariance_type=covariance_type, **_copy_arrays(init)), X)  # fits
    ref = reference_em(X, None, covariance_type, init["weights_init"], init["means_init"], init["precisions_init"])
    ours = quiet_fit(kmix.GaussianMixture(3, covariance_type=covariance_type, **init), X)
    assert ours.n_iter_ == ref["n_iter_"] == theirs.n_iter_
    for name in ("weights_", "means_", "covariances_"):
        assert_close_scaled(getattr(ours, name), ref[name], 1e-6, name)
    np.testing.assert_allclose(ours.lower_bound_, ref["lower_bound_"], rtol=1e-7)
    if covariance_type != "tied":  # the collapsed component, to rtol on its own
        assert_close_scaled(ours.covariances_[2], ref["covariances_"][2], 1e-6, "collapsed covariance")
    assert_close_scaled(ours.means_, theirs.means_, 1e-6, "means_")
    assert_close_scaled(ours.weights_, theirs.weights_, 1e-6, "weights_")


def test_reg_covar_zero_identical_points_with_seeded_init():
    # Two groups of identical points and k-means init: each component sits on one group.
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0]]), 10, axis=0)
    with pytest.raises(ValueError):
        SkGMM(2, reg_covar=0.0, random_state=0).fit(X)
    with pytest.raises(ValueError, match="reg_covar"):
        kmix.GaussianMixture(2, reg_covar=0.0, random_state=0).fit(X)
    # With the default reg_covar it works, like scikit-learn's.
    ours, theirs = fit_both(X, 2, "full", random_state=0)
    assert_same_gmm(ours, theirs, X)


def test_constant_feature_kept_finite_by_reg_covar(dtype):
    X = make_data("blobs", 300, 3, 3, seed=24, dtype=dtype)
    X[:, 1] = dtype(7.0)
    init = init_kwargs(X, 3, "full", seed=24)
    ours, theirs = fit_both(X, 3, "full", **init)
    assert np.all(np.isfinite(ours.covariances_)) and np.all(np.isfinite(ours.precisions_cholesky_))
    np.testing.assert_allclose(
        ours.covariances_[:, 1, 1], theirs.covariances_[:, 1, 1], rtol=1e-6 if dtype == np.float64 else 1e-2
    )
    if dtype == np.float64:
        assert_same_gmm(ours, theirs, X)


# ---- warm start ----------------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_warm_start_continues_like_sklearn(covariance_type):
    X = make_data("aniso", 500, 3, 4, seed=25)
    init = init_kwargs(X, 4, covariance_type, seed=25)
    ours = kmix.GaussianMixture(4, covariance_type=covariance_type, warm_start=True, max_iter=2, tol=1e-10, **init)
    theirs = SkGMM(4, covariance_type=covariance_type, warm_start=True, max_iter=2, tol=1e-10, **_copy_arrays(init))
    for _ in range(3):
        quiet_fit(ours, X)
        quiet_fit(theirs, X)
        assert_same_gmm(ours, theirs, X)
    # Three warm fits of 2 iterations = one cold fit of 6 iterations.
    cold = quiet_fit(SkGMM(4, covariance_type=covariance_type, max_iter=6, tol=1e-10, **_copy_arrays(init)), X)
    for name in ("weights_", "means_", "covariances_"):
        assert_close_scaled(getattr(ours, name), getattr(cold, name), 1e-6, name)


def test_warm_start_ignores_n_init_after_first_fit():
    X = make_data("blobs", 400, 2, 3, seed=26)
    ours = kmix.GaussianMixture(3, warm_start=True, n_init=3, random_state=2, max_iter=3)
    theirs = SkGMM(3, warm_start=True, n_init=3, random_state=2, max_iter=3)
    for _ in range(2):
        quiet_fit(ours, X)
        quiet_fit(theirs, X)
        assert_same_gmm(ours, theirs, X)


def test_warm_start_second_fit_on_other_data():
    X1 = make_data("blobs", 300, 2, 3, seed=28)
    X2 = make_data("blobs", 200, 2, 3, seed=29)
    init = init_kwargs(X1, 3, "diag", seed=28)
    ours = kmix.GaussianMixture(3, covariance_type="diag", warm_start=True, **init)
    theirs = SkGMM(3, covariance_type="diag", warm_start=True, **_copy_arrays(init))
    for X in (X1, X2):
        quiet_fit(ours, X)
        quiet_fit(theirs, X)
        assert_same_gmm(ours, theirs, X)


def test_warm_start_false_refits_from_scratch():
    X = make_data("blobs", 300, 2, 3, seed=27)
    init = init_kwargs(X, 3, "full", seed=27)
    ours = kmix.GaussianMixture(3, max_iter=2, **init)
    quiet_fit(ours, X)
    first = ours.means_.copy()
    quiet_fit(ours, X)
    theirs = quiet_fit(SkGMM(3, max_iter=2, **_copy_arrays(init)), X)
    np.testing.assert_allclose(ours.means_, first, rtol=1e-12)
    assert_same_gmm(ours, theirs, X)


def test_refit_on_other_data_replaces_everything():
    gm = kmix.GaussianMixture(2, random_state=0).fit(make_data("blobs", 200, 3, 2, seed=0))
    X5 = make_data("blobs", 300, 5, 2, seed=1)
    gm.fit(X5)
    theirs = SkGMM(2, random_state=0).fit(X5)
    assert_same_gmm(gm, theirs, X5)
    assert gm.means_.shape == (2, 5) and gm.n_features_in_ == 5
    with pytest.raises(ValueError, match="X"):
        gm.predict(np.zeros((2, 3)))
