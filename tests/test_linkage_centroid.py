"""Centroid and median linkage on observations: the generic algorithm on the clusters' centers
(O(n·d) memory). References: scipy's linkage (the Lance-Williams updates of the distance matrix)
on untied data, and a replay of the merges on the distance matrix in numpy (any tie-breaking)."""

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy.cluster import hierarchy as scipy_hierarchy
from scipy.spatial.distance import pdist, squareform
from test_linkage import assert_linkage_matrix, replay_merges, z_digest
from test_linkage_square import blobs

import kmix
from kmix import _core

METHODS = ("centroid", "median")
CODES = {"centroid": 5, "median": 6}


def center_calls(monkeypatch):
    calls = []
    real = _core.linkage_centroid
    monkeypatch.setattr(_core, "linkage_centroid", lambda *a: calls.append(a[1]) or real(*a))
    return calls


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("n", "d"), [(2, 1), (3, 2), (17, 1), (64, 3), (65, 8), (300, 2), (1500, 5)])
def test_scipy_tree_on_untied_data(monkeypatch, method, n, d):
    X = blobs(n, d, seed=n + d)
    calls = center_calls(monkeypatch)
    Z = kmix.linkage(X, method)
    assert calls == [CODES[method]]  # the centers' path, not a matrix
    ref = scipy_hierarchy.linkage(X, method)
    np.testing.assert_array_equal(Z[:, [0, 1, 3]], ref[:, [0, 1, 3]])
    np.testing.assert_allclose(Z[:, 2], ref[:, 2], rtol=1e-9, atol=0)


@pytest.mark.parametrize("method", METHODS)
def test_float32_and_shifted_data(method):
    X = blobs(400, 4, seed=5).astype(np.float32)
    Z = kmix.linkage(X, method)
    ref = scipy_hierarchy.linkage(X, method)
    np.testing.assert_array_equal(Z[:, [0, 1, 3]], ref[:, [0, 1, 3]])
    np.testing.assert_allclose(Z[:, 2], ref[:, 2], rtol=1e-9)
    # Far from the origin (1e6 + noise): the centers' differences, not their norms, so no
    # cancellation; the matrix's tree.
    Y = blobs(300, 3, seed=6) + 1e6
    ref = scipy_hierarchy.linkage(pdist(Y), method)
    Z = kmix.linkage(Y, method)
    np.testing.assert_array_equal(Z[:, [0, 1, 3]], ref[:, [0, 1, 3]])
    np.testing.assert_allclose(Z[:, 2], ref[:, 2], rtol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_ties_give_a_valid_tree(method):
    # Rounded coordinates, repeated rows: every merge joins two clusters at the least current
    # distance of the matrix's Lance-Williams updates (the replay), sizes add up.
    rng = np.random.default_rng(1)
    X = np.round(rng.uniform(-3, 3, (250, 2)))
    X[100::9] = X[3]
    Z = kmix.linkage(X, method, n_threads=1)
    assert_linkage_matrix(Z, len(X))
    replay_merges(Z, squareform(pdist(X)), method)
    assert z_digest(kmix.linkage(X, method, n_threads=2)) == z_digest(Z)


@pytest.mark.parametrize("method", METHODS)
def test_bit_identical_for_any_thread_count(method):
    # 5000 rows: the searches are split between threads until the width drops below 4096.
    X = blobs(5000, 3, seed=3)
    one = kmix.linkage(X, method, n_threads=1)
    for threads in (2, 3, -1):
        np.testing.assert_array_equal(kmix.linkage(X, method, n_threads=threads), one)
    ref = scipy_hierarchy.linkage(X, method)
    np.testing.assert_array_equal(one[:, [0, 1, 3]], ref[:, [0, 1, 3]])


def test_median_is_not_centroid():
    # The two differ once clusters of unequal sizes merge (the median's center is the midpoint).
    X = blobs(200, 3, seed=8)
    a, b = kmix.linkage(X, "centroid"), kmix.linkage(X, "median")
    assert not np.array_equal(a, b)
    np.testing.assert_allclose(b[:, 2], scipy_hierarchy.linkage(X, "median")[:, 2], rtol=1e-9)


PEAK_SCRIPT = """
import numpy as np, kmix

def peak_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024

X = np.random.default_rng(0).standard_normal((60_000, 4))
before = peak_mb()
Z = kmix.linkage(X, "centroid")
assert Z.shape == (59_999, 4) and Z[-1, 3] == 60_000
print(peak_mb() - before)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc (peak resident memory)")
def test_memory_linear_in_n():
    # 60,000 rows, whose condensed matrix alone would be 14.4 GB: the peak's growth over the
    # process's peak before the call (Z is 1.9 MB, the centers 2 MB), with room for a sanitizer's
    # allocator (its quarantine alone keeps up to 256 MB of freed blocks).
    out = subprocess.run([sys.executable, "-c", PEAK_SCRIPT], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert float(out.stdout.split()[-1]) < 800, out.stdout  # MB


def test_binding_refuses_bad_arrays_and_codes():
    X = blobs(20, 3, seed=1)
    for code in (0, 1, 4, 7, -1):
        with pytest.raises(ValueError, match="method"):
            _core.linkage_centroid(X, code, 1)
    for v in (np.nan, np.inf, -np.inf, 2.0**401):
        bad = X.copy()
        bad[4, 2] = v
        with pytest.raises(ValueError, match="X"):
            _core.linkage_centroid(bad, 5, 1)
    edge = X.copy()
    edge[4, 2] = -(2.0**400)  # the largest magnitude taken: a tree, finite heights
    Z = _core.linkage_centroid(edge, 6, 2)
    assert np.all(np.isfinite(Z)) and Z[-1, 3] == 20
    with pytest.raises(ValueError, match="X"):
        _core.linkage_centroid(X[:1], 5, 1)
    with pytest.raises((ValueError, TypeError), match="X"):
        _core.linkage_centroid(X[:, 0], 5, 1)
    with pytest.raises(TypeError, match="X"):
        _core.linkage_centroid(X.astype(np.int64), 5, 1)


@pytest.mark.parametrize("method", METHODS)
def test_huge_and_tiny_magnitudes_through_linkage(method):
    X = blobs(120, 3, seed=2)
    Z = kmix.linkage(X, method)
    for scale in (2.0**600, 2.0**-600):
        S = kmix.linkage(X * scale, method)
        np.testing.assert_array_equal(S[:, [0, 1, 3]], Z[:, [0, 1, 3]])
        np.testing.assert_allclose(S[:, 2], Z[:, 2] * scale, rtol=1e-12)
