"""Shared data generators, tolerances and fixtures for the kmix test suite.

All data are generated with numpy from an explicit seed, so every test is reproducible. The
generators produce continuous random data (no two rows are equal with probability one), which
keeps nearest-center ties, whose outcome depends on rounding, out of the comparisons with
scikit-learn.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

DTYPES = (np.float64, np.float32)

# Relative tolerances of kmix against scikit-learn (see the kmix documentation): float64 results
# agree to rounding; float32 ones to what float32 accumulation in scikit-learn allows.
RTOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}


# ---- data ------------------------------------------------------------------------------------
def make_blobs(n=300, d=2, k=3, seed=0, std=1.0, spread=10.0, dtype=np.float64):
    """Isotropic Gaussian blobs: k centers uniform in [-spread, spread]^d, unit-std noise * std.
    Returns (X, true_labels, true_centers)."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-spread, spread, size=(k, d))
    labels = rng.integers(0, k, size=n)
    X = centers[labels] + std * rng.standard_normal((n, d))
    return X.astype(dtype), labels, centers


def make_separated_blobs(n=300, d=2, k=3, seed=0, dtype=np.float64):
    """Blobs whose centers are at least 20 apart (std 1), so that assignments are clear cut
    even in float32."""
    rng = np.random.default_rng(seed)
    centers = np.zeros((k, d))
    for c in range(k):
        for _ in range(1000):
            cand = rng.uniform(-20 * k, 20 * k, size=d)
            if c == 0 or np.min(np.linalg.norm(centers[:c] - cand, axis=1)) >= 20:
                break
        centers[c] = cand
    labels = np.arange(n) % k  # every blob gets points
    rng.shuffle(labels)
    X = centers[labels] + rng.standard_normal((n, d))
    return X.astype(dtype), labels, centers


def make_aniso_blobs(n=300, d=2, k=3, seed=0, dtype=np.float64):
    """Blobs stretched and sheared by a random linear map (clusters are elongated and overlap)."""
    X, labels, centers = make_blobs(n, d, k, seed, std=1.0, spread=6.0, dtype=np.float64)
    rng = np.random.default_rng(seed + 10_000)
    A = rng.standard_normal((d, d)) + np.diag(rng.uniform(0.5, 3.0, size=d))
    return (X @ A).astype(dtype), labels, centers @ A


def make_uniform(n=300, d=2, seed=0, low=-1.0, high=1.0, dtype=np.float64):
    """Uniform noise in [low, high)^d: no cluster structure at all."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=(n, d)).astype(dtype)


def make_data(kind, n, d, k, seed, dtype=np.float64):
    if kind == "blobs":
        return make_blobs(n, d, k, seed, std=1.5, dtype=dtype)[0]
    if kind == "aniso":
        return make_aniso_blobs(n, d, k, seed, dtype=dtype)[0]
    if kind == "uniform":
        return make_uniform(n, d, seed, dtype=dtype)
    if kind == "separated":
        return make_separated_blobs(n, d, k, seed, dtype=dtype)[0]
    raise ValueError(kind)


def init_rows(X, k, seed):
    """k distinct rows of X chosen at random, as a fresh (k, d) array of X's dtype."""
    rng = np.random.default_rng(seed)
    return X[rng.choice(X.shape[0], size=k, replace=False)].copy()


# ---- independent formulas --------------------------------------------------------------------
def sq_dists(X, C):
    """Squared Euclidean distances (n, k), in float64, by the textbook formula."""
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)


def nearest(X, C):
    return np.argmin(sq_dists(X, C), axis=1)


def inertia_formula(X, C, labels, sample_weight=None):
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    return float((w * ((X - C[labels]) ** 2).sum(1)).sum())


def assert_centers_close(actual, expected, dtype, scale=1.0):
    """Centers agree to rtol 1e-9 (float64), or rtol 1e-4 plus an atol of 1e-4 x the data scale
    (float32, where coordinates near zero make a pure relative tolerance meaningless)."""
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12 * scale)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * scale)


def data_scale(X):
    return float(np.max(np.abs(X))) or 1.0


# ---- fixtures --------------------------------------------------------------------------------
@pytest.fixture(params=DTYPES, ids=lambda t: np.dtype(t).name)
def dtype(request):
    return request.param


@pytest.fixture
def blobs():
    """300 points, 3 features, 4 clusters (float64)."""
    return make_blobs(n=300, d=3, k=4, seed=42, std=1.5)[0]


def patch_core(monkeypatch):
    """Makes every compiled kmix kernel fail loudly: an input check that lets a bad input reach
    C++ shows up as an AssertionError instead of the expected ValueError/TypeError."""
    import kmix.kmeans as kmeans_mod

    def boom(*args, **kwargs):
        raise AssertionError("compiled code was called before the input was rejected")

    for name in (
        "lloyd",
        "elkan",
        "kmeans_plusplus",
        "assign",
        "inertia",
        "sq_distances",
        "minibatch_step",
        "sparse_lloyd",
        "sparse_kmeans_plusplus",
        "sparse_assign",
        "sparse_inertia",
        "sparse_sq_distances",
        "sparse_minibatch_step",
        "sparse_nearest",
    ):
        monkeypatch.setattr(kmeans_mod._core, name, boom)


@pytest.fixture
def no_core(monkeypatch):
    patch_core(monkeypatch)


# ---- subprocesses ----------------------------------------------------------------------------
def kmix_script():
    """The installed ``kmix`` console script (next to this interpreter, else on PATH)."""
    here = Path(sys.executable).parent / ("kmix.exe" if os.name == "nt" else "kmix")
    if here.exists():
        return str(here)
    found = shutil.which("kmix")
    if found is None:
        pytest.skip("the kmix console script is not installed")
    return found


# Wall-clock bounds (subprocess timeouts, how soon Ctrl-C is answered) are multiplied by this:
# .ci/arm64 sets it for the suite under qemu-user, where everything runs 10-30 times slower.
TIME_SCALE = float(os.environ.get("KMIX_TEST_TIME_SCALE") or 1)


def run(cmd, env_update=None, cwd=None, timeout=300, check=True):
    """Run cmd (a list) with the environment plus env_update (a value of None removes a key).

    The timeout (seconds at native speed, times TIME_SCALE) only catches a hang: a sanitizer build
    on a busy machine takes minutes."""
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    for key, value in (env_update or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout * TIME_SCALE)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited with {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


# ---- scikit-learn's and scipy's own tests (tests/upstream.py) --------------------------------
# The fixtures their test files expect from their own conftest.py files.
@pytest.fixture
def global_random_seed():
    """scikit-learn's fixture: its default seed (42) when SKLEARN_TESTS_GLOBAL_RANDOM_SEED is unset."""
    return int(os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42"))


@pytest.fixture(params=[np.float32, np.float64])
def global_dtype(request):
    """scikit-learn's fixture; kmix runs its float32 cases too (scikit-learn needs an opt-in)."""
    return request.param


@pytest.fixture
def xp():
    """scipy's array-namespace fixture: kmix takes numpy arrays."""
    return np


def pytest_configure(config):
    # Marks the peers' test files use (their own conftest.py registers them).
    config.addinivalue_line("markers", "skip_xp_backends: scipy's array-backend skips (numpy only here)")
    config.addinivalue_line("markers", "no_check_spmatrix: scikit-learn's sparse-matrix opt-out")


def _upstream_match(name, pattern):
    """fnmatch's * and ? only: brackets are literal, as in a parametrized test's name."""
    import re

    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, name, flags=re.DOTALL) is not None


def pytest_collection_modifyitems(config, items):
    """Apply the UPSTREAM_SKIP / UPSTREAM_XFAIL patterns of test_upstream_*.py files (see
    tests/upstream.py) and fail on a pattern that matches no test."""
    used, declared = set(), {}
    for item in items:
        module = getattr(item, "module", None)
        skips = getattr(module, "UPSTREAM_SKIP", None)
        xfails = getattr(module, "UPSTREAM_XFAIL", None)
        if skips is None and xfails is None:
            continue
        name = item.name if item.cls is None else f"{item.cls.__name__}::{item.name}"
        for kind, table in (("skip", skips or {}), ("xfail", xfails or {})):
            for pattern, reason in table.items():
                declared[(module.__name__, kind, pattern)] = True
                if _upstream_match(name, pattern):
                    used.add((module.__name__, kind, pattern))
                    mark = (
                        pytest.mark.skip(reason=reason)
                        if kind == "skip"
                        else pytest.mark.xfail(reason=reason, strict=True)
                    )
                    item.add_marker(mark)
                    break
            else:
                continue
            break
    stale = sorted(set(declared) - used)
    # Only when whole files were collected (a -k selection leaves patterns unmatched on purpose).
    selected = config.getoption("keyword") or config.getoption("markexpr") or any("::" in a for a in config.args)
    if stale and not selected:
        raise pytest.UsageError(
            "upstream patterns that match no test (remove them): " + "; ".join(f"{m} {k} {p!r}" for m, k, p in stale)
        )
