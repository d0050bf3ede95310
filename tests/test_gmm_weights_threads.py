"""kmix.GaussianMixture: sample_weight (against repeated rows, dropped rows and a numpy EM
reference) and threads (bit-identical results for any thread count, in one process and under
OMP_NUM_THREADS in subprocesses)."""

import functools
import hashlib
import inspect
import json
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture as SkGMM

import kmix
from conftest import make_blobs, make_data, run
from test_gmm_vs_sklearn import (
    COV_TYPES,
    INIT_PARAMS,
    PARAMS,
    _copy_arrays,
    assert_close_scaled,
    assert_same_gmm,
    fit_both,
    init_kwargs,
    quiet_fit,
    reference_em,
    reference_score_samples,
)


def assert_matches_reference(gm, ref, rtol=1e-6, lb_rtol=1e-7):
    assert gm.n_iter_ == ref["n_iter_"], (gm.n_iter_, ref["n_iter_"])
    assert bool(gm.converged_) == ref["converged_"]
    for name in ("weights_", "means_", "covariances_"):
        assert_close_scaled(getattr(gm, name), ref[name], rtol, name)
    np.testing.assert_allclose(gm.lower_bound_, ref["lower_bound_"], rtol=lb_rtol)
    np.testing.assert_allclose(np.asarray(gm.lower_bounds_, np.float64), ref["lower_bounds_"], rtol=lb_rtol)


# ---- sample_weight -------------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_integer_weights_equal_repeated_rows(covariance_type, seed):
    X = make_data("aniso", 300, 3, 3, seed=seed)
    w = np.random.default_rng(seed).integers(1, 5, size=300)
    X_rep = np.repeat(X, w, axis=0)
    init = init_kwargs(X, 3, covariance_type, seed=seed)
    weighted = quiet_fit(kmix.GaussianMixture(3, covariance_type=covariance_type, **init), X, sample_weight=w)
    theirs = quiet_fit(SkGMM(3, covariance_type=covariance_type, **_copy_arrays(init)), X_rep)
    assert_same_gmm(weighted, theirs, X_rep)
    # Float weights with integral values mean the same.
    weighted_f = quiet_fit(
        kmix.GaussianMixture(3, covariance_type=covariance_type, **init), X, sample_weight=w.astype(np.float64)
    )
    assert_same_gmm(weighted_f, theirs, X_rep)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_zero_weights_equal_dropped_rows(covariance_type):
    X = make_data("blobs", 400, 2, 3, seed=2)
    rng = np.random.default_rng(2)
    w = np.where(rng.uniform(size=400) < 0.3, 0.0, 1.0)
    # Zero-weight rows far away: they would drag the fit if they counted at all.
    X = X.copy()
    X[w == 0] += 1000.0
    init = init_kwargs(X[w > 0], 3, covariance_type, seed=2)
    ours = quiet_fit(kmix.GaussianMixture(3, covariance_type=covariance_type, **init), X, sample_weight=w)
    theirs = quiet_fit(SkGMM(3, covariance_type=covariance_type, **_copy_arrays(init)), X[w > 0])
    assert_same_gmm(ours, theirs, X[w > 0], X_eval=X)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("scale", [1.0, 1e-3, 250.0])
def test_real_weights_against_numpy_reference(covariance_type, scale):
    X = make_data("aniso", 500, 3, 4, seed=3)
    w = scale * np.random.default_rng(3).uniform(0.05, 3.0, size=500)
    init = init_kwargs(X, 4, covariance_type, seed=3)
    gm = quiet_fit(kmix.GaussianMixture(4, covariance_type=covariance_type, **init), X, sample_weight=w)
    ref = reference_em(X, w, covariance_type, init["weights_init"], init["means_init"], init["precisions_init"])
    # The reference's lower bound is the weighted mean log-likelihood (of the parameters before
    # the last M-step, as scikit-learn's is).
    assert_matches_reference(gm, ref)
    s = reference_score_samples(X, gm.weights_, gm.means_, gm.covariances_, covariance_type)
    np.testing.assert_allclose(gm.score_samples(X), s, rtol=1e-9)


@pytest.mark.parametrize("max_iter", [1, 4])
def test_real_weights_not_converged_against_numpy_reference(max_iter):
    X = make_data("blobs", 400, 2, 3, seed=4)
    w = np.random.default_rng(4).exponential(size=400)
    init = init_kwargs(X, 3, "full", seed=4)
    gm = quiet_fit(kmix.GaussianMixture(3, max_iter=max_iter, tol=1e-10, **init), X, sample_weight=w)
    ref = reference_em(
        X, w, "full", init["weights_init"], init["means_init"], init["precisions_init"], tol=1e-10, max_iter=max_iter
    )
    assert_matches_reference(gm, ref)


def test_unit_weights_equal_no_weights_for_explicit_init():
    X = make_data("aniso", 300, 2, 3, seed=5)
    init = init_kwargs(X, 3, "tied", seed=5)
    ours, theirs = fit_both(X, 3, "tied", sample_weight=np.ones(300), **init)
    assert_same_gmm(ours, theirs, X)


@pytest.mark.parametrize("init_params", INIT_PARAMS)
def test_unit_weights_with_seeded_init_same_as_sklearn(init_params):
    # All-ones weights are no weights: the same random draws as scikit-learn's unweighted fit.
    X = make_data("blobs", 300, 3, 3, seed=6)
    ours = quiet_fit(
        kmix.GaussianMixture(3, init_params=init_params, random_state=6, n_init=2), X, sample_weight=np.ones(300)
    )
    theirs = quiet_fit(SkGMM(3, init_params=init_params, random_state=6, n_init=2), X)
    assert_same_gmm(ours, theirs, X)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_float32_weighted_close_to_reference(covariance_type):
    X32 = make_data("separated", 600, 3, 3, seed=7, dtype=np.float32)
    w = np.random.default_rng(7).uniform(0.2, 2.0, size=600)
    init = init_kwargs(X32, 3, covariance_type, seed=7)
    gm = quiet_fit(
        kmix.GaussianMixture(3, covariance_type=covariance_type, **init), X32, sample_weight=w.astype(np.float32)
    )
    for name in PARAMS:
        assert getattr(gm, name).dtype == np.float32, name
    init64 = {k: v.astype(np.float64) for k, v in init.items()}
    init64["weights_init"] /= init64["weights_init"].sum()
    ref = reference_em(
        X32.astype(np.float64),
        w.astype(np.float32).astype(np.float64),
        covariance_type,
        init64["weights_init"],
        init64["means_init"],
        init64["precisions_init"],
    )
    for name in ("weights_", "means_", "covariances_"):
        assert_close_scaled(getattr(gm, name), ref[name], 1e-4, name)
    np.testing.assert_allclose(gm.lower_bound_, ref["lower_bound_"], rtol=1e-5)


# ---- threads: bit-identical results ----------------------------------------------------------------
N, D, K = 20_000, 5, 4
BIG_SEED = 77
MAX_ITER = 8


def gmm_fingerprint(gm, X):
    """Exact bytes of everything a fit and a fitted model produce."""
    h = lambda a: hashlib.sha256(a.tobytes()).hexdigest()  # noqa: E731
    out = {
        name: h(getattr(gm, name))
        for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_")
    }
    out.update(
        lower_bound=repr(float(gm.lower_bound_)),
        lower_bounds=[repr(float(v)) for v in gm.lower_bounds_],
        n_iter=int(gm.n_iter_),
        predict_proba=h(gm.predict_proba(X)),
        score_samples=h(gm.score_samples(X)),
        predict=h(gm.predict(X)),
        score=repr(float(gm.score(X))),
    )
    return out


@functools.lru_cache(maxsize=None)
def big_data(dtype_name):
    X = make_blobs(n=N, d=D, k=K, seed=BIG_SEED, std=2.0, spread=5.0, dtype=np.dtype(dtype_name))[0]
    X.setflags(write=False)
    return X


def big_weights():
    return np.random.default_rng(BIG_SEED).uniform(0.0, 2.0, size=N)


@functools.lru_cache(maxsize=None)
def big_fit(dtype_name, covariance_type, n_threads, weighted=False):
    X = big_data(dtype_name)
    gm = kmix.GaussianMixture(
        K, covariance_type=covariance_type, random_state=0, max_iter=MAX_ITER, n_threads=n_threads
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kmix.ConvergenceWarning)
        gm.fit(X, sample_weight=big_weights().astype(X.dtype) if weighted else None)
    return gm, gmm_fingerprint(gm, X)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
def test_bit_identical_for_1_and_2_threads(covariance_type, dtype_name):
    prints = [big_fit(dtype_name, covariance_type, n_threads)[1] for n_threads in (1, 2)]
    assert prints[0] == prints[1]


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_weighted_bit_identical_for_1_and_2_threads(covariance_type):
    prints = [big_fit("float64", covariance_type, n_threads, weighted=True)[1] for n_threads in (1, 2)]
    assert prints[0] == prints[1]
    # And the weighted fit is the right one.
    gm = big_fit("float64", covariance_type, 2, weighted=True)[0]
    X = big_data("float64")
    ref = reference_score_samples(X[:2000], gm.weights_, gm.means_, gm.covariances_, covariance_type)
    np.testing.assert_allclose(gm.score_samples(X[:2000]), ref, rtol=1e-9)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_big_data_matches_sklearn(covariance_type):
    # The 2-thread fit of the big data (many blocks) is scikit-learn's fit.
    X = big_data("float64")
    ours = big_fit("float64", covariance_type, 2)[0]
    theirs = quiet_fit(SkGMM(K, covariance_type=covariance_type, random_state=0, max_iter=MAX_ITER), X)
    assert_same_gmm(ours, theirs, X)


def test_explicit_init_bit_identical_and_like_sklearn():
    X = big_data("float64")
    init = init_kwargs(X, K, "full", seed=1)
    fits = [quiet_fit(kmix.GaussianMixture(K, max_iter=5, tol=0.0, n_threads=t, **init), X) for t in (1, 2)]
    assert gmm_fingerprint(fits[0], X) == gmm_fingerprint(fits[1], X)
    theirs = quiet_fit(SkGMM(K, max_iter=5, tol=0.0, **_copy_arrays(init)), X)
    assert_same_gmm(fits[1], theirs, X)


SUBPROCESS_SCRIPT = """
import hashlib, json, sys, warnings
import numpy as np
import kmix
from kmix import _core

N, D, K, BIG_SEED, MAX_ITER = {N}, {D}, {K}, {BIG_SEED}, {MAX_ITER}
{make_blobs}
{gmm_fingerprint}
warnings.simplefilter("ignore")
out = {{"max_threads": _core.max_threads()}}
for name, dtype in (("float64", np.float64), ("float32", np.float32)):
    X = make_blobs(n=N, d=D, k=K, seed=BIG_SEED, std=2.0, spread=5.0, dtype=dtype)[0]
    for ct in ("full", "tied", "diag", "spherical"):
        gm = kmix.GaussianMixture(K, covariance_type=ct, random_state=0, max_iter=MAX_ITER).fit(X)
        out[name + "-" + ct] = gmm_fingerprint(gm, X)
print(json.dumps(out))
"""


def test_omp_num_threads_subprocesses_bit_identical(tmp_path):
    # A self-contained script (same data generator and fingerprint as this module), run with
    # OMP_NUM_THREADS=1 and =2, so n_threads=None follows the environment.
    script = tmp_path / "fit_gmm.py"
    script.write_text(
        SUBPROCESS_SCRIPT.format(
            N=N,
            D=D,
            K=K,
            BIG_SEED=BIG_SEED,
            MAX_ITER=MAX_ITER,
            make_blobs=inspect.getsource(make_blobs),
            gmm_fingerprint=inspect.getsource(gmm_fingerprint),
        )
    )
    results = {}
    for omp in (1, 2):
        proc = run([sys.executable, str(script)], env_update={"OMP_NUM_THREADS": omp}, cwd=str(tmp_path))
        results[omp] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results[1]["max_threads"] == 1 and results[2]["max_threads"] == 2
    keys = [k for k in results[1] if k != "max_threads"]
    assert len(keys) == 8
    for key in keys:
        assert results[1][key] == results[2][key], key
    # The subprocesses also agree with this process.
    for key in keys:
        dtype_name, ct = key.split("-")
        assert results[1][key] == json.loads(json.dumps(big_fit(dtype_name, ct, 2)[1])), key


def test_concurrent_predict_proba_from_python_threads(dtype):
    X = make_data("separated", 4000, 4, 5, seed=8, dtype=dtype)
    init = init_kwargs(X, 5, "full", seed=8)
    gm = kmix.GaussianMixture(5, **init).fit(X)
    P, S = gm.predict_proba(X), gm.score_samples(X)
    if dtype == np.float64:
        theirs = SkGMM(5, **_copy_arrays(init)).fit(X)
        np.testing.assert_allclose(P, theirs.predict_proba(X), rtol=1e-6, atol=1e-8)
    chunks = [slice(i * 397, i * 397 + 1001) for i in range(8)]

    def work(i):
        sl = chunks[i % 8]
        if i % 3 == 0:
            return i, gm.predict_proba(X[sl])
        if i % 3 == 1:
            return i, gm.score_samples(X[sl])
        return i, gm.predict_proba(X[sl][:1])

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(work, range(24)))
    for i, got in results:
        sl = chunks[i % 8]
        expected = P[sl] if i % 3 == 0 else S[sl] if i % 3 == 1 else P[sl][:1]
        np.testing.assert_array_equal(got, expected)
