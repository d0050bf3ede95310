"""Every label (and row index) a kernel of ``kmix._core`` returns is in [0, k), at every ISA level.

The rule, as the nearest-center kernels implement it (cpp/include/kmix/distances.hpp): the
distance of row x to center c is ‖c‖² − 2·x·c computed in X's dtype; a NaN distance ranks after
+inf; the label is the lowest center index among those at the minimum, and a row whose distances
are all +inf or NaN gets label 0. Mixtures and soft k-means give the most probable component, the
lowest index on ties; a row whose log-densities are all −inf gets label 0, equal
responsibilities and log p = −inf. Linkage searches take NaN as +inf and never merge a cluster
with itself.

Each test runs at every ISA level this build has and this CPU runs (``_core.available_isas()``,
switched in this process with ``_core.select_isa``); one subprocess per level checks that the
``KMIX_ISA`` environment variable picks the same kernels. The nearest-center search has two code
paths: ``all_panels_tile`` for k <= 2·W centers and ``panel_tile`` + ``lanes_argmin`` for more,
W = 2 × SIMD lanes; the center counts below sit on both sides of W and 2·W for each level, and
the row counts are not multiples of the tile rows.

The data are integers or dyadic fractions small enough that every distance is exact in float32
and float64, so the expected labels (ties included) come from numpy without rounding doubts.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from kmix import _core

ISAS = tuple(_core.available_isas())
DTYPES = (np.float64, np.float32)
# SIMD register width of each ISA level (distances.hpp, KMIX_VBYTES): SSE2 / NEON, AVX2, AVX-512.
VECTOR_BYTES = {"baseline": 16, "neon": 16, "avx2": 32, "avx512": 64}
ROWS = (1, 3, 5, 257, 1000)
D = 3
# Far from any data: overflows ‖c‖² (and x·c) in the dtype.
HUGE = {np.dtype(np.float64): 1e160, np.dtype(np.float32): 1e20}
# So large that 2·x·c overflows to inf while ‖c‖² stays finite (c small).
EDGE = {np.dtype(np.float64): 1e308, np.dtype(np.float32): 3e38}


def panel_width(isa, dtype):
    """W: centers per panel of the nearest-center tile, two SIMD registers' worth."""
    assert isa in VECTOR_BYTES, f"unknown ISA level {isa!r}: add its vector width to VECTOR_BYTES"
    return 2 * VECTOR_BYTES[isa] // np.dtype(dtype).itemsize


def center_counts(isa, dtype):
    W = panel_width(isa, dtype)
    return sorted({1, 2, 3, W - 1, W, W + 1, 2 * W, 2 * W + 1, 3 * W + 5, 70})


CASES = [(isa, np.dtype(dt).name, k) for isa in ISAS for dt in DTYPES for k in center_counts(isa, dt)]
CASE_IDS = [f"{isa}-{dt}-k{k}" for isa, dt, k in CASES]


@pytest.fixture
def at_isa(request):
    """Selects request.param as the kernels' ISA level; puts the original back afterwards."""
    original = _core.isa()
    assert _core.select_isa(request.param), request.param
    assert _core.isa() == request.param
    yield request.param
    assert _core.select_isa(original)
    assert _core.isa() == original


# ---- references ------------------------------------------------------------------------------
def rule_labels(X, C):
    """The documented rule, with numpy, in X's dtype: ‖c‖² − 2·x·c, NaN after +inf, lowest index at
    the minimum, 0 when every distance is +inf or NaN. The products are summed in a loop over the
    d features (no BLAS), so inf and NaN combine as they do in the kernels."""
    dt = X.dtype
    C = C.astype(dt)
    with np.errstate(all="ignore"):
        norms = np.zeros(C.shape[0], dtype=dt)
        dots = np.zeros((X.shape[0], C.shape[0]), dtype=dt)
        for j in range(X.shape[1]):
            norms = norms + C[:, j] * C[:, j]
            dots = dots + X[:, j, None] * C[None, :, j]
        dist = norms[None, :] - dt.type(2) * dots
    key = np.where(np.isnan(dist), np.inf, dist)
    labels = np.argmin(key, axis=1)
    labels[key.min(axis=1) == np.inf] = 0
    return labels


def textbook_labels(X, C):
    """argmin ‖x − c‖² in float64 (the first index on ties), NaN distances ranked last: an
    independent check of rule_labels where both are exact (finite data)."""
    X = X.astype(np.float64)
    C = C.astype(np.float64)
    dist = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)
    dist = np.where(np.isnan(dist), np.inf, dist)
    return np.argmin(dist, axis=1)


def assert_labels(labels, n, k):
    assert isinstance(labels, np.ndarray)
    assert labels.dtype == np.int32
    assert labels.shape == (n,)
    bad = np.flatnonzero((labels < 0) | (labels >= k))
    assert bad.size == 0, f"{bad.size} labels outside [0, {k}); first: labels[{bad[0]}] = {labels[bad[0]]}"


def assert_equal_responsibilities(resp, k, dtype):
    """Each row: k equal responsibilities, 1/k each."""
    assert resp.dtype == dtype and resp.shape[1] == k and resp.shape[0] > 0
    np.testing.assert_array_equal(resp, np.repeat(resp[:, :1], k, axis=1))
    np.testing.assert_allclose(resp[:, 0], 1.0 / k, rtol=1e-6 if dtype == np.float32 else 1e-12)


def assert_valid_tree(Z, n):
    """Z is scipy's linkage format and a tree: ids in range, every cluster merged once, never with
    itself, sizes adding up, no NaN height."""
    assert Z.shape == (n - 1, 4) and Z.dtype == np.float64
    assert np.all(Z[:, :2] == np.floor(Z[:, :2]))
    size = {i: 1 for i in range(n)}
    merged = set()
    for i, (a, b, height, count) in enumerate(Z):
        a, b = int(a), int(b)
        assert 0 <= a < n + i and 0 <= b < n + i, f"merge {i}: ids {a}, {b} outside [0, {n + i})"
        assert a != b, f"merge {i}: cluster {a} merged with itself"
        assert a not in merged and b not in merged, f"merge {i}: {a} or {b} was merged already"
        merged.update((a, b))
        size[n + i] = size[a] + size[b]
        assert count == size[n + i], f"merge {i}: size {count}, expected {size[n + i]}"
        assert not np.isnan(height) and height >= 0, f"merge {i}: height {height}"
    assert size[2 * n - 2] == n


# ---- data ------------------------------------------------------------------------------------
def grid_centers(k, rng, spacing=16.0):
    """k distinct points of a grid of the given spacing (distinct: well separated)."""
    side = 10
    picks = rng.choice(side**D, size=k, replace=False)
    return spacing * np.stack([picks // side**2, (picks // side) % side, picks % side], axis=1) - 64.0


def separated(k, dtype, rng, n=1000):
    """Rows within 2 (dyadic steps of 1/8) of their center, centers 16 apart: labels are clear cut
    and every distance is exact in float32."""
    C = grid_centers(k, rng)
    truth = rng.integers(0, k, size=n)
    X = C[truth] + rng.integers(-15, 16, size=(n, D)) / 8.0
    return X.astype(dtype), C.astype(dtype), truth


def integer_ties(k, dtype, rng, n=1000):
    """Small integers: equidistant centers and duplicate centers (the lowest index must win)."""
    C = rng.integers(-2, 3, size=(k, D)).astype(np.float64)
    if k >= 2:
        C[k - 1] = C[k // 2]  # a duplicate in another panel (many centers) or another lane
        C[1] = C[0]
    X = rng.integers(-4, 5, size=(n, D)).astype(np.float64)
    return X.astype(dtype), C.astype(dtype)


def with_non_finite_entries(X, rng):
    """X with inf, −inf and NaN put into about a third of its rows (and a few whole rows)."""
    X = X.copy()
    n = X.shape[0]
    rows = rng.choice(n, size=max(1, n // 3), replace=False)
    cols = rng.integers(0, X.shape[1], size=rows.size)
    X[rows, cols] = rng.choice(np.array([np.inf, -np.inf, np.nan], dtype=X.dtype), size=rows.size)
    more = rng.choice(n, size=max(1, n // 10), replace=False)  # a second entry in some rows
    X[more, rng.integers(0, X.shape[1], size=more.size)] = np.inf
    X[rng.choice(n, size=max(1, n // 50), replace=False)] = np.nan
    X[0, 0] = np.inf  # the one-row calls see a non-finite row too
    return X


def assign_all_rows(X, C, expected, n_threads=1):
    """_core.assign on the first n rows for every n of ROWS equals expected[:n]."""
    k = C.shape[0]
    for n in ROWS:
        labels = _core.assign(X[:n], C, n_threads)
        assert_labels(labels, n, k)
        bad = np.flatnonzero(labels != expected[:n])
        assert bad.size == 0, (
            f"n={n}: {bad.size} labels differ from the rule; first row {bad[0]}: "
            f"got {labels[bad[0]]}, expected {expected[bad[0]]}"
        )


# ---- the nearest-center search, every path and level -----------------------------------------
@pytest.mark.parametrize("at_isa, dtype, k", CASES, ids=CASE_IDS, indirect=["at_isa"])
class TestAssign:
    def test_separated(self, at_isa, dtype, k):
        rng = np.random.default_rng(k)
        X, C, truth = separated(k, dtype, rng)
        np.testing.assert_array_equal(rule_labels(X, C), truth)  # the reference itself
        assign_all_rows(X, C, truth)

    def test_exact_ties_lowest_index(self, at_isa, dtype, k):
        rng = np.random.default_rng(100 + k)
        X, C = integer_ties(k, dtype, rng)
        expected = textbook_labels(X, C)
        np.testing.assert_array_equal(rule_labels(X, C), expected)
        later_duplicates = [j for j in range(k) if any(np.array_equal(C[i], C[j]) for i in range(j))]
        assert (1 in later_duplicates) == (k >= 2)
        assert not np.isin(expected, later_duplicates).any()  # the reference's own tie rule
        assign_all_rows(X, C, expected)

    def test_all_centers_nan(self, at_isa, dtype, k):
        rng = np.random.default_rng(200 + k)
        X, C, _ = separated(k, dtype, rng)
        C[:] = np.nan
        assign_all_rows(X, C, np.zeros(X.shape[0], dtype=np.int64))

    def test_some_centers_nan(self, at_isa, dtype, k):
        # The nearest of the finite centers, on well-separated data (clear cut) and on integer
        # data (ties); half the NaN centers have one NaN coordinate only.
        rng = np.random.default_rng(300 + k)
        if k == 1:  # its one NaN coordinate makes every distance NaN: label 0
            X, C, _ = separated(k, dtype, rng)
            C[0, 1] = np.nan
            return assign_all_rows(X, C, np.zeros(X.shape[0], dtype=np.int64))
        for X, C in (separated(k, dtype, rng)[:2], integer_ties(k, dtype, rng)):
            nan_rows = rng.choice(k, size=max(1, k // 3), replace=False)
            nan_rows[0] = 0 if k % 2 else nan_rows[0]  # center 0 NaN for odd k
            nan_rows = np.unique(nan_rows)
            C[nan_rows[::2]] = np.nan
            C[nan_rows[1::2], rng.integers(0, D)] = np.nan
            expected = textbook_labels(X, C)
            np.testing.assert_array_equal(rule_labels(X, C), expected)
            assert not np.isin(expected, nan_rows).any()
            assign_all_rows(X, C, expected)

    def test_non_finite_rows(self, at_isa, dtype, k):
        # The binding does not check values: rows with inf or NaN go straight to the kernel.
        rng = np.random.default_rng(400 + k)
        X, C = integer_ties(k, dtype, rng)
        X = with_non_finite_entries(X, rng)
        expected = rule_labels(X, C)
        assert np.all(expected[np.isnan(X).all(axis=1)] == 0)
        assign_all_rows(X, C, expected)

    def test_overflowing_magnitudes(self, at_isa, dtype, k):
        # ‖c‖² and x·c overflow: a positive center's distance is inf − inf = NaN, a negative one's
        # inf + inf = +inf; only small centers have finite distances (the largest of them is
        # nearest). Every row whose distances are all inf/NaN gets label 0.
        dt = np.dtype(dtype)
        big = HUGE[dt]
        rng = np.random.default_rng(500 + k)
        n = 1000
        X = (big * rng.integers(1, 5, size=(n, 1)) * np.ones((1, D))).astype(dtype)
        sign = rng.choice([-1.0, 1.0], size=(k, 1))
        C = (big * sign * rng.integers(1, 5, size=(k, 1)) * np.ones((1, D))).astype(dtype)
        with np.errstate(over="ignore"):
            assert np.all(np.isinf((C.astype(dt) * C.astype(dt)).sum(1)))
        assign_all_rows(X, C, np.zeros(n, dtype=np.int64))  # +inf and NaN only
        C[0] = big  # center 0 at NaN
        assign_all_rows(X, C, np.zeros(n, dtype=np.int64))
        C[0] = -big  # center 0 at +inf
        assign_all_rows(X, C, np.zeros(n, dtype=np.int64))
        if k >= 2:
            small = rng.choice(np.arange(1, k), size=max(1, (k - 1) // 2), replace=False)
            C[small] = (small[:, None] + 1.0) * np.ones((1, D))  # finite distances, in order
            expected = rule_labels(X, C)
            np.testing.assert_array_equal(expected, np.full(n, small.max()))
            assign_all_rows(X, C, expected)

    def test_minus_inf_distances_tie(self, at_isa, dtype, k):
        # 2·x·c overflows while ‖c‖² is finite: −inf for positive centers, +inf for negative
        # ones. The −inf ones tie: the lowest index wins, not center 0 (at +inf).
        dt = np.dtype(dtype)
        rng = np.random.default_rng(600 + k)
        n = 1000
        X = np.full((n, D), EDGE[dt], dtype=dtype)
        X[::7, 1] = 0.0
        sign = rng.choice([-1.0, 1.0], size=(k, 1))
        sign[0] = -1.0
        C = (sign * rng.integers(1, 4, size=(k, D))).astype(dtype)
        expected = rule_labels(X, C)
        positive = np.flatnonzero(sign[:, 0] > 0)
        np.testing.assert_array_equal(expected, np.full(n, positive[0] if positive.size else 0))
        assign_all_rows(X, C, expected)


@pytest.mark.parametrize("at_isa", ISAS, indirect=True)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_wide_rows_and_two_threads(at_isa, dtype):
    # Rows of 512 bytes and more take the prefetching tile; two threads split the rows.
    rng = np.random.default_rng(7)
    d = 130 if dtype == np.float32 else 70
    W = panel_width(at_isa, dtype)
    for k in (W - 1, 2 * W, 2 * W + 1):
        C = rng.integers(-2, 3, size=(k, d)).astype(dtype)
        C[k - 1] = C[0]
        X = rng.integers(-3, 4, size=(3000, d)).astype(dtype)
        X = with_non_finite_entries(X, rng)
        expected = rule_labels(X, C)
        for n_threads in (1, 2):
            labels = _core.assign(X, C, n_threads)
            assert_labels(labels, X.shape[0], k)
            np.testing.assert_array_equal(labels, expected)


# ---- every other function that returns labels or indices ---------------------------------------
def nan_inf_data(dtype, k, rng, n=257):
    """Integer rows with inf/NaN entries, and centers of which some are NaN."""
    X, C = integer_ties(k, dtype, rng, n=n)
    X = with_non_finite_entries(X, rng)
    if k >= 3:
        C[2, 0] = np.nan
    return X, C


@pytest.mark.parametrize("at_isa, dtype, k", CASES, ids=CASE_IDS, indirect=["at_isa"])
def test_kmeans_functions_with_nan_and_inf(at_isa, dtype, k):
    rng = np.random.default_rng(700 + k)
    X, C = nan_inf_data(dtype, k, rng)
    n = X.shape[0]
    w = rng.integers(1, 4, size=n).astype(dtype)
    w[5] = np.nan
    w[6] = np.inf
    expected = rule_labels(X, C)
    np.testing.assert_array_equal(_core.assign(X, C, 1), expected)

    # lloyd_chunk: every row counted in exactly one cluster, the one assign picks.
    chunk = _core.lloyd_chunk(X, None, C, 1)
    np.testing.assert_array_equal(chunk["weights"], np.bincount(expected, minlength=k))
    assert chunk["sums"].shape == (k, D)

    # lloyd, from the centers as they are (NaN ones too), with and without weights (NaN, inf,
    # zero and negative ones too: the binding does not check values).
    for weights in (None, w, np.zeros(n, dtype=dtype), -np.ones(n, dtype=dtype)):
        for max_iter in (1, 5):
            res = _core.lloyd(X, weights, C, max_iter, 0.0, False, 1)
            assert_labels(res["labels"], n, k)
            assert res["centers"].shape == (k, D) and res["centers"].dtype == dtype

    # minibatch_step on chosen rows: the labels are assign's on those rows.
    rows = rng.integers(0, n, size=100).astype(np.int64)
    for weights in (None, w[:100]):
        C_new = C.copy()
        sums = np.ones(k, dtype=dtype)
        res = _core.minibatch_step(X, rows, rows.size, weights, C, C_new, sums, 1)
        np.testing.assert_array_equal(res["labels"], rule_labels(X[rows], C))
        assert_labels(res["labels"], rows.size, k)

    # kmeans_plusplus and draw_rows return rows of X: in [0, n) whatever the values.
    n_trials = 3
    u = rng.uniform(size=(k - 1) * n_trials)
    u[::4] = np.nan
    for weights in (w, np.zeros(n, dtype=dtype), -np.ones(n, dtype=dtype)):
        chosen = _core.kmeans_plusplus(X, weights, k, 0, u, n_trials, 1)
        assert chosen.shape == (k,) and np.all((chosen >= 0) & (chosen < n))
    cdf = np.cumsum(rng.uniform(size=n))
    cdf /= cdf[-1]
    cdf[::9] = np.nan
    draws = _core.draw_rows(cdf, np.array([np.nan, np.inf, -np.inf, -1.0, 0.0, 0.5, 1.0, 2.0, 1e300]), 1)
    assert np.all((draws >= 0) & (draws < n))


def gmm_params(cov_type, means, prec):
    """Weights, means and precisions_cholesky with equal weights and prec·identity."""
    k, d = means.shape
    weights = np.full(k, 1.0 / k)
    eye = np.where(np.eye(d) == 1, prec, 0.0)
    prec_chol = {0: np.broadcast_to(eye, (k, d, d)).copy(), 1: eye, 2: np.full((k, d), prec), 3: np.full(k, prec)}[
        cov_type
    ]
    return weights, means.astype(np.float64), prec_chol


@pytest.mark.parametrize("at_isa", ISAS, indirect=True)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("cov_type", [0, 1, 2, 3], ids=["full", "tied", "diag", "spherical"])
def test_gmm_labels(at_isa, dtype, cov_type):
    rng = np.random.default_rng(cov_type)
    for k in (1, 3, 9):
        X, C, truth = separated(k, dtype, rng, n=300)
        # A duplicate of component 1 in front: rows of C[1] tie between 0 and 2, and 0 wins.
        means = np.vstack([C[1 % k], C]).astype(np.float64)
        k += 1
        # The most probable component is the nearest mean (equal weights and precisions).
        expected = textbook_labels(X, means)
        assert (not np.any(expected == 2)) if k > 2 else True
        res = _core.gmm_score(X, cov_type, *gmm_params(cov_type, means, 1.0), True, True, True, 1)
        assert set(res) == {"log_prob_norm", "resp", "labels"}
        assert_labels(res["labels"], X.shape[0], k)
        np.testing.assert_array_equal(res["labels"], expected)

        # Precisions so large (1e300, its Cholesky factor 1e150) that every log-density of a row
        # 2^20 away from the means is −inf: label 0, equal responsibilities, log p = −inf. Rows
        # exactly on a mean keep it.
        X2 = X + dtype(2.0**20)
        on_mean = np.arange(0, X2.shape[0], 5)
        X2[on_mean] = C[truth[on_mean]]
        res = _core.gmm_score(X2, cov_type, *gmm_params(cov_type, means, 1e150), True, True, True, 1)
        lost = np.ones(X2.shape[0], dtype=bool)
        lost[on_mean] = False
        assert_labels(res["labels"], X2.shape[0], k)
        np.testing.assert_array_equal(res["labels"][lost], 0)
        np.testing.assert_array_equal(res["log_prob_norm"][lost], -np.inf)
        assert_equal_responsibilities(res["resp"][lost], k, dtype)
        np.testing.assert_array_equal(res["labels"][on_mean], textbook_labels(X2[on_mean], means))

        # NaN and inf rows, NaN means and precisions: labels in range, nothing crashes.
        Xn = with_non_finite_entries(X, rng)
        for means_n, prec in (
            (means, 1.0),
            (np.where(np.arange(k)[:, None] == k - 1, np.nan, means), 1.0),
            (means, np.nan),
            (means, np.inf),
            (means, 0.0),
        ):
            res = _core.gmm_score(Xn, cov_type, *gmm_params(cov_type, means_n, prec), True, True, True, 1)
            assert_labels(res["labels"], Xn.shape[0], k)
        # EM on NaN rows may refuse (a ValueError from C++: a collapsed covariance) or return.
        try:
            em = _core.gmm_em(Xn, None, cov_type, *gmm_params(cov_type, means, 1.0), 3, 0.0, 1e-6, -np.inf, 1)
        except ValueError as e:
            assert "positive definite" in str(e)
        else:
            assert em["means"].shape == (k, D)


@pytest.mark.parametrize("at_isa", ISAS, indirect=True)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_soft_assign_labels(at_isa, dtype):
    rng = np.random.default_rng(11)
    for k in (1, 3, 17, 40):
        X, C, truth = separated(k, dtype, rng, n=257)
        centers = np.vstack([C, C[k // 2]]).astype(np.float64)  # a duplicate last: it never wins
        k += 1
        res = _core.soft_assign(X, centers, 0.5, True, True, True, 1)
        assert set(res) == {"log_prob_norm", "resp", "labels"}
        np.testing.assert_array_equal(res["labels"], textbook_labels(X, centers))
        # β so large that every row far from the centers has log-densities −inf only.
        X2 = X + dtype(2.0**20)
        on = np.arange(0, X2.shape[0], 4)
        X2[on] = C[truth[on]]
        res = _core.soft_assign(X2, centers, 1e300, True, True, True, 1)
        lost = np.ones(X2.shape[0], dtype=bool)
        lost[on] = False
        assert_labels(res["labels"], X2.shape[0], k)
        np.testing.assert_array_equal(res["labels"][lost], 0)
        np.testing.assert_array_equal(res["log_prob_norm"][lost], -np.inf)
        assert_equal_responsibilities(res["resp"][lost], k, dtype)
        np.testing.assert_array_equal(res["labels"][on], textbook_labels(X2[on], centers))
        # NaN and inf everywhere.
        Xn = with_non_finite_entries(X, rng)
        bad_centers = centers.copy()
        bad_centers[0] = np.nan
        for cs in (centers, bad_centers):
            res = _core.soft_assign(Xn, cs, 0.5, True, True, True, 1)
            assert_labels(res["labels"], Xn.shape[0], k)
            fit = _core.soft_kmeans(Xn, None, cs, 0.5, 3, 0.0, 1)
            assert fit["centers"].shape == (k, D)


@pytest.mark.parametrize("at_isa", ISAS, indirect=True)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_linkage_trees_with_nan_inf_and_ties(at_isa, dtype):
    rng = np.random.default_rng(13)
    for n in (2, 3, 5, 17, 40):
        X = rng.integers(-3, 4, size=(n, D)).astype(dtype)
        variants = {"ties": X, "all equal": np.zeros_like(X), "all nan": np.full_like(X, np.nan)}
        Xb = with_non_finite_entries(X, rng)
        variants["nan/inf"] = Xb
        big = X.copy()
        with np.errstate(over="ignore"):
            big[: n // 2] *= EDGE[np.dtype(dtype)]
            variants["overflow"] = big
        for name, data in variants.items():
            assert_valid_tree(_core.linkage_ward(data, 1), n)
            with np.errstate(over="ignore", invalid="ignore"):
                norms = np.sqrt((data.astype(np.float64) ** 2).sum(axis=1))
            for metric in (0, 1, 2, 3):
                for smaller_first in (True, False):
                    assert_valid_tree(_core.linkage_single(data, metric, norms, 1, smaller_first), n)
                assert _core.pdist(data, metric, norms, 1).shape == (n * (n - 1) // 2,)


@pytest.mark.parametrize("method", range(7))
def test_linkage_condensed_trees_at_overflow_and_ties(method):
    # Finite distances whose Lance–Williams updates overflow (NaN -> +inf), and all-equal ones.
    rng = np.random.default_rng(method)
    for n in (2, 3, 6, 33):
        m = n * (n - 1) // 2
        for D_ in (
            np.full(m, 1e300),
            np.zeros(m),
            rng.choice([0.0, 1.0, 1e300, 1.7e308], size=m),
            rng.integers(0, 3, size=m).astype(np.float64),
        ):
            assert_valid_tree(_core.linkage_condensed(D_.copy(), n, method, 1), n)


# ---- KMIX_ISA: one process per level ----------------------------------------------------------
SUBPROCESS_SCRIPT = r"""
import json, sys
import numpy as np
import kmix
from kmix import _core
data = np.load(sys.argv[1])
out = {}
for key in data.files:
    if key.startswith("X_"):
        name = key[2:]
        X, C = data[key], data["C_" + name]
        out["assign_" + name] = _core.assign(X, C, 1)
        out["mb_" + name] = _core.minibatch_step(X, None, X.shape[0], None, C, C.copy(),
                                                 np.ones(C.shape[0], X.dtype), 1)["labels"]
        out["soft_" + name] = _core.soft_assign(X, C.astype(np.float64), 0.5, False, False, True, 1)["labels"]
np.savez(sys.argv[2], **out)
print(json.dumps({"isa": kmix.show_config(print_out=False)["isa"], "core_isa": _core.isa()}))
"""


def subprocess_cases():
    rng = np.random.default_rng(21)
    cases = {}
    for dt in DTYPES:
        name = np.dtype(dt).name
        for k in (3, 17, 70):
            X, C = integer_ties(k, dt, rng, n=1000)
            cases[f"{name}_k{k}"] = (with_non_finite_entries(X, rng), C)
        X, C, _ = separated(40, dt, rng)
        C[::3] = np.nan
        cases[f"{name}_nan_centers"] = (X, C)
    return cases


def labels_here(cases):
    out = {}
    for name, (X, C) in cases.items():
        out["assign_" + name] = _core.assign(X, C, 1)
        out["mb_" + name] = _core.minibatch_step(
            X, None, X.shape[0], None, C, C.copy(), np.ones(C.shape[0], X.dtype), 1
        )["labels"]
        out["soft_" + name] = _core.soft_assign(X, C.astype(np.float64), 0.5, False, False, True, 1)["labels"]
    return out


@pytest.mark.parametrize("level", ISAS)
def test_kmix_isa_environment_variable(tmp_path, level):
    cases = subprocess_cases()
    data = tmp_path / "data.npz"
    np.savez(data, **{f"X_{n}": X for n, (X, _) in cases.items()}, **{f"C_{n}": C for n, (_, C) in cases.items()})
    out = tmp_path / "out.npz"
    env = dict(os.environ, KMIX_ISA=level)
    proc = subprocess.run(
        [sys.executable, "-c", SUBPROCESS_SCRIPT, str(data), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info == {"isa": level, "core_isa": level}
    original = _core.isa()
    try:
        assert _core.select_isa(level)
        here = labels_here(cases)
    finally:
        _core.select_isa(original)
    with np.load(out) as got:
        assert sorted(got.files) == sorted(here)
        for key, labels in here.items():
            k = cases[key.split("_", 1)[1]][1].shape[0]
            assert_labels(got[key], labels.shape[0], k)
            np.testing.assert_array_equal(got[key], labels, err_msg=key)
        for name, (X, C) in cases.items():
            np.testing.assert_array_equal(got["assign_" + name], rule_labels(X, C), err_msg=name)


def test_select_isa_refuses_unknown_levels():
    original = _core.isa()
    assert original == ISAS[-1] or os.environ.get("KMIX_ISA")  # the best level unless lowered
    assert _core.select_isa("no-such-isa") is False
    assert _core.isa() == original
