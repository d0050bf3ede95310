"""The matrix linkages (complete, average, weighted, centroid, median; ward on a condensed matrix)
on the square matrix, kmix.linkage's path up to hierarchy._SQUARE_MAX_N observations: the same
trees, bit for bit, as the condensed-matrix algorithms it replaced (still used beyond that size or
without the memory), for any thread count, and scipy's trees on untied data. (Centroid and median
take the matrix only when given one: on observations they work on the clusters' centers, tested in
test_linkage_centroid.py.)"""

import numpy as np
import pytest
from scipy.cluster import hierarchy as scipy_hierarchy
from scipy.spatial.distance import pdist

import kmix
from kmix import _core
from kmix import hierarchy as H

MATRIX_METHODS = ("complete", "average", "weighted", "centroid", "median")
CENTER_METHODS = ("centroid", "median")  # the matrix from a condensed matrix only


def matrix_input(X, method):
    """What takes the matrix path: X, or for centroid and median its condensed matrix."""
    return pdist(X) if method in CENTER_METHODS else X


CODES = {"complete": 1, "average": 2, "weighted": 3, "ward": 4, "centroid": 5, "median": 6}


@pytest.fixture
def paths(monkeypatch):
    """run(fn) -> (square result, condensed result), checking which kernel each one called."""
    calls = []
    for name in ("linkage_square", "linkage_square_observations", "linkage_condensed"):
        real = getattr(_core, name)
        monkeypatch.setattr(
            _core, name, (lambda real, name: lambda *a, **k: calls.append(name) or real(*a, **k))(real, name)
        )

    def run(fn):
        calls.clear()
        square = fn()
        assert calls and all(c.startswith("linkage_square") for c in calls), calls
        calls.clear()
        with monkeypatch.context() as m:
            m.setattr(H, "_SQUARE_MAX_N", 0)
            condensed = fn()
        assert calls and all(c == "linkage_condensed" for c in calls), calls
        return square, condensed

    return run


def blobs(n, d, seed, tied=False):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-5, 5, (max(1, n // 20), d))[rng.integers(0, max(1, n // 20), n)] + rng.standard_normal((n, d))
    return np.round(X) if tied else X  # rounded: many equal distances


def assert_scipy_tree(Z, reference):
    np.testing.assert_array_equal(Z[:, [0, 1, 3]], reference[:, [0, 1, 3]])
    np.testing.assert_allclose(Z[:, 2], reference[:, 2], rtol=1e-12, atol=0)


@pytest.mark.parametrize("method", MATRIX_METHODS)
@pytest.mark.parametrize("n", [2, 3, 64, 65, 129, 300, 700])
def test_observations_same_tree_as_condensed_and_scipy(paths, method, n):
    X = blobs(n, 4, seed=n)
    square, condensed = paths(lambda: kmix.linkage(matrix_input(X, method), method))
    np.testing.assert_array_equal(square, condensed)
    assert_scipy_tree(square, scipy_hierarchy.linkage(X, method))


@pytest.mark.parametrize("method", MATRIX_METHODS)
@pytest.mark.parametrize("n", [5, 130, 400])
def test_ties_same_tree_as_condensed(paths, method, n):
    # Rounded coordinates and repeated rows: many equal distances, broken by the same rules.
    X = blobs(n, 2, seed=n, tied=True)
    X[n // 2 :: 7] = X[0]
    square, condensed = paths(lambda: kmix.linkage(matrix_input(X, method), method))
    np.testing.assert_array_equal(square, condensed)
    np.testing.assert_array_equal(np.sort(square[:, 2]), np.sort(scipy_hierarchy.linkage(X, method)[:, 2]))


@pytest.mark.parametrize("metric", ["cityblock", "cosine", "sqeuclidean", "correlation", "chebyshev"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_other_metrics_and_float32_same_tree(paths, metric, dtype):
    X = blobs(200, 5, seed=7).astype(dtype)
    for method in ("complete", "average", "weighted"):
        square, condensed = paths(lambda: kmix.linkage(X, method, metric=metric))
        np.testing.assert_array_equal(square, condensed)


@pytest.mark.parametrize("method", MATRIX_METHODS + ("ward",))
def test_condensed_input_same_tree(paths, method):
    X = blobs(300, 3, seed=11)
    y = pdist(X)
    square, condensed = paths(lambda: kmix.linkage(y, method))
    np.testing.assert_array_equal(square, condensed)
    assert_scipy_tree(square, scipy_hierarchy.linkage(y, method))
    # Distances whose squares overflow: the tree of y·2^-e, heights scaled back (the tail filled by ldexp).
    big = y * 1e300
    square, condensed = paths(lambda: kmix.linkage(big, method))
    np.testing.assert_array_equal(square, condensed)
    np.testing.assert_allclose(square[:, 2], scipy_hierarchy.linkage(y, method)[:, 2] * 1e300, rtol=1e-12)
    np.testing.assert_array_equal(y, pdist(X))  # the caller's matrix is left as it was


@pytest.mark.parametrize("method", ["average", "complete", "centroid"])
def test_threads_bit_identical_past_the_thread_threshold(paths, method):
    # 4500 observations: scans and updates split between threads until the first compaction.
    X = matrix_input(blobs(4500, 3, seed=3), method)
    one = kmix.linkage(X, method, n_threads=1)
    square, condensed = paths(lambda: kmix.linkage(X, method, n_threads=2))
    np.testing.assert_array_equal(one, square)
    np.testing.assert_array_equal(square, condensed)


@pytest.mark.parametrize("method", MATRIX_METHODS)
def test_optimal_ordering_same_tree(paths, method):
    X = blobs(150, 3, seed=5)
    square, condensed = paths(lambda: kmix.linkage(matrix_input(X, method), method, optimal_ordering=True))
    np.testing.assert_array_equal(square, condensed)
    assert_scipy_tree(square, scipy_hierarchy.linkage(X, method, optimal_ordering=True))


def test_agglomerative_clustering_takes_the_square_path(paths):
    X = blobs(500, 4, seed=2)
    for linkage in ("average", "complete"):
        square, condensed = paths(
            lambda: kmix.AgglomerativeClustering(8, linkage=linkage, compute_distances=True).fit(X).distances_
        )
        np.testing.assert_array_equal(square, condensed)


def test_square_buffer_policy(monkeypatch):
    assert H._square_buffer(100, "single") is None  # Prim on the condensed matrix
    assert H._square_buffer(H._SQUARE_MAX_N + 1, "average") is None
    assert H._square_buffer(100, "average").shape == (100 * 100,)
    monkeypatch.setattr(H, "_available_memory", lambda: 8 * 100 * 100 - 1)
    assert H._square_buffer(100, "average") is None
    monkeypatch.setattr(H, "_available_memory", lambda: None)  # the OS does not say: try
    assert H._square_buffer(100, "average") is not None


def test_falls_back_to_the_condensed_matrix_without_the_memory(monkeypatch):
    X = blobs(400, 3, seed=9)
    expected = kmix.linkage(X, "average")
    calls = []
    real = _core.linkage_condensed
    monkeypatch.setattr(_core, "linkage_condensed", lambda *a: calls.append(1) or real(*a))
    # Enough for the condensed matrix, not for the square one.
    monkeypatch.setattr(H, "_available_memory", lambda: 8 * 400 * 400 // 2 + 1000)
    np.testing.assert_array_equal(kmix.linkage(X, "average"), expected)
    assert calls


@pytest.mark.parametrize("method", list(CODES))
def test_overflow_and_ties_give_the_condensed_trees(method):
    # Finite distances whose updates overflow (NaN -> +inf in the searches), all equal, all zero.
    rng = np.random.default_rng(CODES[method])
    for n in (2, 3, 6, 33, 300):
        m = n * (n - 1) // 2
        for D in (
            np.full(m, 1e300),
            np.zeros(m),
            rng.choice([0.0, 1.0, 1e300, 1.7e308], size=m),
            rng.integers(0, 3, size=m).astype(np.float64),
        ):
            buf = np.full(n * n, np.nan)  # the head is scratch: NaN there must not matter
            buf[n * n - m :] = D
            Z = _core.linkage_square(buf, n, CODES[method], 2)
            np.testing.assert_array_equal(Z, _core.linkage_condensed(D.copy(), n, CODES[method], 1))
            assert np.all(Z[:, :2] < np.arange(n, 2 * n - 1)[:, None]) and Z[-1, 3] == n


def test_observations_kernel_overwrites_whatever_buf_held():
    X = blobs(100, 3, seed=4)
    expected = _core.linkage_square_observations(X, 1, None, CODES["average"], np.zeros(100 * 100), 1)
    for fill in (np.nan, np.inf, -1.0):
        got = _core.linkage_square_observations(X, 1, None, CODES["average"], np.full(100 * 100, fill), 2)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("env", [{"OMP_THREAD_LIMIT": "1"}, {"OMP_DYNAMIC": "true"}])
def test_fewer_threads_than_asked_for(env):
    # A parallel region may start fewer threads than asked (OMP_THREAD_LIMIT, OMP_DYNAMIC, a call
    # from inside another region): the scans' parts are then shared out, not left unfilled.
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np, kmix\n"
        "X = np.random.default_rng(0).standard_normal((4200, 3))\n"
        "for m in ('average', 'centroid'):\n"
        "    a, b = kmix.linkage(X, m, n_threads=1), kmix.linkage(X, m, n_threads=2)\n"
        "    assert np.array_equal(a, b), m\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_observations_with_inf_or_nan_refused_before_the_tree():
    X = blobs(50, 3, seed=1)
    for v in (np.nan, np.inf):
        bad = X.copy()
        bad[7, 1] = v
        with pytest.raises(ValueError, match="X"):
            _core.linkage_square_observations(bad, 1, None, CODES["average"], np.empty(50 * 50), 2)
    # Cosine on rows whose products overflow (inf / inf, with finite norms): NaN distances,
    # refused after they are computed.
    big = X * 1e200
    with pytest.raises(ValueError, match="distances of X"):
        _core.linkage_square_observations(
            big, 3, np.linalg.norm(X, axis=1) * 1e200, CODES["average"], np.empty(2500), 1
        )
