"""kmix.linkage against scipy.cluster.hierarchy.linkage: the same linkage matrix Z on data without
ties, the same heights and flat clusters on data full of ties, scipy's tools usable on Z as is,
bit-identical results for any thread count, and bad inputs (and too little memory) refused."""

import hashlib
import inspect
import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
from scipy.cluster import hierarchy as sch
from scipy.spatial.distance import pdist, squareform

import kmix
from conftest import TIME_SCALE, make_data, run

METHODS = ("ward", "single", "complete", "average", "weighted", "centroid", "median")
EUCLIDEAN_ONLY = ("ward", "centroid", "median")
ANY_METRIC = ("single", "complete", "average", "weighted")
MATRIX_METHODS = ("complete", "average", "weighted")  # need the n^2/2 matrix, from observations too
CENTER_METHODS = ("centroid", "median")  # on observations: the clusters' centers, O(n·d) memory
OBS_METRICS = ("sqeuclidean", "cityblock", "cosine")

# Functions of kmix._core that are not kernels (configuration and thread queries).
# Not algorithms: facts about the build, and abs_max, the read-only scan of the finite check
# (it is how validation learns the data's magnitude).
CORE_UTILITIES = {"max_threads", "isa", "available_isas", "select_isa", "build_info", "in_forked_child", "abs_max"}


# ---- helpers ---------------------------------------------------------------------------------
def kmix_linkage(X, method="ward", metric="euclidean", **kwargs):
    return kmix.linkage(X, method=method, metric=metric, **kwargs)


def scipy_linkage(X, method, metric="euclidean"):
    return sch.linkage(np.asarray(X, dtype=np.float64), method=method, metric=metric)


def assert_linkage_matrix(Z, n):
    """Z has scipy's format: (n-1, 4) float64, integral node ids, valid for scipy."""
    assert isinstance(Z, np.ndarray)
    assert Z.shape == (n - 1, 4)
    assert Z.dtype == np.float64
    assert np.all(Z[:, :2] == np.round(Z[:, :2]))
    assert sch.is_valid_linkage(Z, throw=True)


def assert_same_Z(Z, Zs, rtol=1e-9, atol=0.0):
    """Z equals scipy's Zs: same merges (columns 0, 1), same sizes, heights to rtol."""
    n = Zs.shape[0] + 1
    assert_linkage_matrix(Z, n)
    bad = np.flatnonzero(np.any(Z[:, :2] != Zs[:, :2], axis=1))
    assert bad.size == 0, (
        f"{bad.size} of {n - 1} merges differ from scipy's; first at row {bad[0]}: "
        f"kmix {Z[bad[0]].tolist()} scipy {Zs[bad[0]].tolist()}"
    )
    np.testing.assert_array_equal(Z[:, 3], Zs[:, 3])
    np.testing.assert_allclose(Z[:, 2], Zs[:, 2], rtol=rtol, atol=atol)


def canonical(labels):
    """Labels renumbered by order of first appearance: equal arrays <=> same partition."""
    labels = np.asarray(labels)
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse.ravel()]


def assert_same_partition(a, b, context=""):
    ca, cb = canonical(a), canonical(b)
    assert ca.shape == cb.shape
    n_diff = int(np.count_nonzero(ca != cb))
    assert n_diff == 0, (
        f"partitions differ{context}: {len(np.unique(ca))} vs {len(np.unique(cb))} "
        f"clusters, {n_diff} points labelled differently"
    )


def height_levels(heights, rtol=1e-9):
    """Distinct merge heights, grouping values equal up to rounding."""
    h = np.sort(np.asarray(heights, dtype=np.float64))
    scale = max(float(np.max(np.abs(h))), 1e-300)
    levels = [h[0]]
    for v in h[1:]:
        if v - levels[-1] > rtol * scale:
            levels.append(v)
    return np.array(levels)


def cut_heights(heights):
    """Cut heights strictly between the distinct merge heights, plus one below and one above all."""
    lv = height_levels(heights)
    span = float(lv[-1] - lv[0]) or 1.0
    return np.r_[lv[0] - 0.5 * span - 0.5, (lv[:-1] + lv[1:]) / 2, lv[-1] + 0.5 * span + 0.5]


def lance_williams(method, dak, dbk, dab, na, nb, nk):
    if method == "single":
        return np.minimum(dak, dbk)
    if method == "complete":
        return np.maximum(dak, dbk)
    if method == "average":
        return (na * dak + nb * dbk) / (na + nb)
    if method == "weighted":
        return (dak + dbk) / 2
    if method == "ward":
        return np.sqrt(np.maximum(((na + nk) * dak**2 + (nb + nk) * dbk**2 - nk * dab**2) / (na + nb + nk), 0))
    if method == "centroid":
        n = na + nb
        return np.sqrt(np.maximum((na * dak**2 + nb * dbk**2) / n - na * nb * dab**2 / n**2, 0))
    if method == "median":
        return np.sqrt(np.maximum(dak**2 / 2 + dbk**2 / 2 - dab**2 / 4, 0))
    raise ValueError(method)


def replay_merges(Z, D0, method, rtol=1e-9):
    """Replays the merges of Z on the square distance matrix D0 with the Lance-Williams formulas
    (a reference independent of scipy's algorithms): every merge must join two current clusters
    at the smallest current distance (up to rounding), at the height Z records, with the size Z
    records. Valid whatever the tie-breaking."""
    n = D0.shape[0]
    D = np.array(D0, dtype=np.float64)
    np.fill_diagonal(D, np.inf)
    scale = float(np.max(D0)) or 1.0
    tol = lambda x: rtol * max(abs(x), 1e-3 * scale)  # noqa: E731
    slot = {i: i for i in range(n)}
    size = np.ones(n)
    active = np.ones(n, dtype=bool)
    for k, (a, b, h, s) in enumerate(Z):
        sa, sb = slot.pop(int(a)), slot.pop(int(b))
        dab = D[sa, sb]
        dmin = D[np.ix_(active, active)].min()
        assert dab <= dmin + tol(dmin), f"merge {k} joins clusters at {dab!r}, but {dmin!r} is the smallest"
        assert abs(h - dab) <= tol(dab), f"merge {k}: height {h!r}, linkage distance {dab!r}"
        na, nb = size[sa], size[sb]
        assert s == na + nb, f"merge {k}: size {s}, expected {na + nb}"
        others = active.copy()
        others[[sa, sb]] = False
        new = lance_williams(method, D[sa, others], D[sb, others], dab, na, nb, size[others])
        D[sb, others] = new
        D[others, sb] = new
        D[sa, :] = np.inf
        D[:, sa] = np.inf
        active[sa] = False
        size[sb] = na + nb
        slot[n + k] = sb


def grid_data(kind, seed=0):
    """Data full of ties: small integer coordinates (with repeated points), a full lattice, one
    point repeated, or continuous points each repeated a few times."""
    rng = np.random.default_rng(seed)
    if kind == "grid2d":
        return rng.integers(0, 6, size=(90, 2)).astype(np.float64)
    if kind == "grid1d":
        return rng.integers(0, 12, size=(50, 1)).astype(np.float64)
    if kind == "grid3d":
        return rng.integers(-2, 3, size=(300, 3)).astype(np.float64)
    if kind == "lattice":
        a = np.arange(6, dtype=np.float64)
        return np.array([(x, y) for x in a for y in a])
    if kind == "identical":
        return np.tile(np.array([[1.5, -2.0, 0.25]]), (12, 1))
    if kind == "duplicates":  # continuous points, each present 1 to 4 times
        X = make_data("blobs", 60, 3, 4, seed=seed)
        X = np.repeat(X, rng.integers(1, 5, size=60), axis=0)
        return X[rng.permutation(X.shape[0])]
    raise ValueError(kind)


def z_digest(Z):
    return hashlib.sha256(np.ascontiguousarray(Z).tobytes()).hexdigest()


def _compiled_functions(module, seen=None):
    """(owner, name) of every compiled function reachable from a pybind11 module."""
    seen = set() if seen is None else seen
    out = []
    for name in dir(module):
        if name.startswith("__"):
            continue
        value = getattr(module, name)
        if type(value).__name__ == "module" and str(getattr(value, "__name__", "")).startswith("kmix._core"):
            if id(value) not in seen:
                seen.add(id(value))
                out += _compiled_functions(value, seen)
        elif type(value).__name__ == "builtin_function_or_method" and name not in CORE_UTILITIES:
            out.append((module, name))
    return out


@pytest.fixture
def no_compiled(monkeypatch):
    """Every compiled kernel (in kmix._core, and any kernel kmix.hierarchy imported by name)
    fails loudly: a check that lets a bad input reach C++ shows up as an AssertionError."""
    import kmix.hierarchy as hmod

    def boom(*args, **kwargs):
        raise AssertionError("compiled code was called before the input was rejected")

    for owner, name in _compiled_functions(kmix._core):
        monkeypatch.setattr(owner, name, boom)
    for name, value in list(vars(hmod).items()):
        if (
            type(value).__name__ == "builtin_function_or_method"
            and str(getattr(value, "__module__", "")).startswith("kmix._core")
            and name not in CORE_UTILITIES
        ):
            monkeypatch.setattr(hmod, name, boom)


def names(message, name):
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) is not None


# ---- continuous data: Z equals scipy's -------------------------------------------------------
SHAPES = [(2, 1), (3, 2), (4, 20), (10, 1), (57, 3), (200, 20), (501, 7)]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n,d", SHAPES, ids=[f"n{n}-d{d}" for n, d in SHAPES])
@pytest.mark.parametrize("kind", ["blobs", "uniform"])
def test_same_Z_as_scipy(method, n, d, kind):
    X = make_data(kind, n, d, k=4, seed=n * 31 + d)
    Z = kmix_linkage(X, method)
    assert_same_Z(Z, scipy_linkage(X, method))


@pytest.mark.parametrize("method", METHODS)
def test_same_Z_as_scipy_2000_points(method):
    X = make_data("aniso", 2000, 4, k=6, seed=2000)
    Z = kmix_linkage(X, method)
    assert_same_Z(Z, scipy_linkage(X, method))


@pytest.mark.parametrize("method", METHODS)
def test_heights_are_the_linkage_formula(method):
    # Independent of scipy: replaying Z's merges with the Lance-Williams formulas, each merge joins
    # the two closest clusters at the recorded height.
    X = make_data("blobs", 150, 3, k=5, seed=7)
    Z = kmix_linkage(X, method)
    assert_linkage_matrix(Z, 150)
    replay_merges(Z, squareform(pdist(X)), method)


def test_signature_defaults_and_positional_arguments_are_scipys():
    # scipy's signature, parameter for parameter (kmix adds keyword-only parameters: n_threads,
    # and linkage's connectivity): the default method is scipy's "single".
    for ours, theirs, added in (
        (kmix.linkage, sch.linkage, ["connectivity", "n_threads"]),
        (kmix.optimal_leaf_ordering, sch.optimal_leaf_ordering, ["n_threads"]),
    ):
        sig, ref = inspect.signature(ours), inspect.signature(theirs)
        params = list(sig.parameters.values())
        assert [(p.name, p.default, p.kind) for p in params[: -len(added)]] == [
            (p.name, p.default, p.kind) for p in ref.parameters.values()
        ]
        assert [p.name for p in params[-len(added) :]] == added
        assert all(p.kind == p.KEYWORD_ONLY and p.default is None for p in params[-len(added) :])
    X = make_data("blobs", 80, 3, k=3, seed=1)
    assert_same_Z(kmix.linkage(X), sch.linkage(X))
    assert_same_Z(kmix.linkage(pdist(X)), sch.linkage(pdist(X)))
    assert_same_Z(kmix.linkage(X, "average"), scipy_linkage(X, "average"))
    assert_same_Z(kmix.linkage(X, "complete", "cityblock"), scipy_linkage(X, "complete", "cityblock"))
    assert_same_Z(kmix.linkage(X, "average", "cityblock", True), sch.linkage(X, "average", "cityblock", True))


@pytest.mark.parametrize("method", ANY_METRIC)
@pytest.mark.parametrize("metric", OBS_METRICS)
@pytest.mark.parametrize("n,d", [(40, 2), (300, 9)])
def test_other_metrics_same_Z_as_scipy(method, metric, n, d):
    X = make_data("uniform", n, d, k=1, seed=n + d)
    assert_same_Z(kmix_linkage(X, method, metric), scipy_linkage(X, method, metric))


@pytest.mark.parametrize("method", ANY_METRIC)
def test_cosine_of_parallel_rows_is_zero_not_negative(method):
    # Repeated rows and positive multiples of a row are at cosine distance 0; scipy's pdist clips
    # cosine distances to [0, 2]. A rounding-level negative height makes Z invalid for scipy
    # (is_valid_linkage, and so fcluster and dendrogram, refuse negative distances).
    B = make_data("uniform", 40, 4, 1, seed=6)
    X = np.vstack([B, B[:15], 3.0 * B[10:30], 0.1 * B[:5]])
    Z = kmix_linkage(X, method, "cosine")
    assert Z[:, 2].min() >= 0, f"negative merge height {Z[:, 2].min()!r}"
    check_against_scipy_with_ties(Z, scipy_linkage(X, method, "cosine"), squareform(pdist(X, "cosine")), method)


@pytest.mark.parametrize("method", ANY_METRIC)
def test_explicit_euclidean_metric_equals_default(method):
    X = make_data("blobs", 120, 5, k=3, seed=3)
    Z = kmix_linkage(X, method, "euclidean")
    assert_same_Z(Z, scipy_linkage(X, method, "euclidean"))
    assert z_digest(Z) == z_digest(kmix.linkage(X, method))


# ---- condensed distance matrices -------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dist", ["euclidean", "sqrt-cityblock"])
def test_condensed_input_same_Z_as_scipy(method, dist):
    X = make_data("blobs", 230, 4, k=4, seed=5)
    # sqrt of an L1 distance is a Euclidean distance of some point set, so the formulas of ward,
    # centroid and median stay well defined while the matrix is not the one of X.
    y = pdist(X) if dist == "euclidean" else np.sqrt(pdist(X, "cityblock"))
    y_before = y.copy()
    Z = kmix_linkage(y, method)
    assert_same_Z(Z, scipy_linkage(y, method))
    np.testing.assert_array_equal(y, y_before)  # the input is not used as the work matrix


@pytest.mark.parametrize("method", ANY_METRIC)
@pytest.mark.parametrize("metric", ["cityblock", "cosine", "chebyshev"])
def test_condensed_any_dissimilarity(method, metric):
    X = make_data("uniform", 150, 6, k=1, seed=11)
    y = pdist(X, metric)
    assert_same_Z(kmix_linkage(y, method), scipy_linkage(y, method))


@pytest.mark.parametrize("method", METHODS)
def test_observations_and_their_condensed_matrix_agree(method):
    X = make_data("aniso", 300, 5, k=4, seed=9)
    Z_obs = kmix_linkage(X, method)
    Z_cond = kmix_linkage(pdist(X), method)
    assert_same_Z(Z_obs, Z_cond)


@pytest.mark.parametrize("n", [2, 3, 4, 7])
@pytest.mark.parametrize("method", METHODS)
def test_tiny_condensed(n, method):
    y = np.random.default_rng(n).uniform(0.5, 2.0, size=n * (n - 1) // 2)  # a metric: all in [0.5, 2]
    assert_same_Z(kmix_linkage(y, method), scipy_linkage(y, method))


# ---- dtypes and memory layouts ---------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n,d,kind", [(150, 3, "separated"), (400, 10, "blobs"), (60, 1, "uniform")])
def test_float32_observations(method, n, d, kind):
    X32 = make_data(kind, n, d, k=5, seed=n + d, dtype=np.float32)
    X32_before = X32.copy()
    Z = kmix_linkage(X32, method)
    Zs = scipy_linkage(X32.astype(np.float64), method)
    assert_linkage_matrix(Z, n)
    np.testing.assert_array_equal(X32, X32_before)
    np.testing.assert_allclose(np.sort(Z[:, 2]), np.sort(Zs[:, 2]), rtol=1e-5)
    # Same tree: the heights of this data are far apart compared to float32 rounding.
    assert_same_Z(Z, Zs, rtol=1e-5)


@pytest.mark.parametrize("method", ANY_METRIC)
def test_float32_other_metric_and_condensed(method):
    X32 = make_data("blobs", 200, 6, k=4, seed=2, dtype=np.float32)
    assert_same_Z(kmix_linkage(X32, method, "cityblock"), scipy_linkage(X32, method, "cityblock"), rtol=1e-5)
    y32 = pdist(X32.astype(np.float64)).astype(np.float32)
    assert_same_Z(kmix_linkage(y32, method), scipy_linkage(y32, method), rtol=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_layouts_and_integer_input(method):
    X = make_data("blobs", 130, 6, k=3, seed=4)
    ref = kmix_linkage(X, method)
    assert_same_Z(ref, scipy_linkage(X, method))
    wide = np.zeros((130, 12))
    wide[:, ::2] = X
    for other in (np.asfortranarray(X), wide[:, ::2], X.tolist()):
        assert z_digest(kmix_linkage(other, method)) == z_digest(ref)
    Xi = np.rint(X * 10).astype(np.int64)
    Zi = kmix_linkage(Xi, method)
    assert z_digest(Zi) == z_digest(kmix_linkage(Xi.astype(np.float64), method))


@pytest.mark.parametrize("method", METHODS)
def test_input_not_modified_and_repeatable(method):
    X = make_data("uniform", 200, 3, k=1, seed=8)
    y = pdist(X)
    X0, y0 = X.copy(), y.copy()
    a, b = kmix_linkage(X, method), kmix_linkage(X, method)
    c, d = kmix_linkage(y, method), kmix_linkage(y, method)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert z_digest(a) == z_digest(b)
    assert z_digest(c) == z_digest(d)


# ---- data with ties --------------------------------------------------------------------------
def check_against_scipy_with_ties(Z, Zs, D, method):
    n = Zs.shape[0] + 1
    assert_linkage_matrix(Z, n)
    scale = float(np.max(Zs[:, 2])) or 1.0
    # The tree is a valid one for the method (whatever the tie-breaking) ...
    replay_merges(Z, D, method)
    # ... with scipy's heights and scipy's flat clusters at every height.
    np.testing.assert_allclose(np.sort(Z[:, 2]), np.sort(Zs[:, 2]), rtol=1e-9, atol=1e-12 * scale)
    for t in cut_heights(Zs[:, 2]):
        assert_same_partition(
            sch.fcluster(Z, t, criterion="distance"), sch.fcluster(Zs, t, criterion="distance"), f" at height {t!r}"
        )


GRID_KINDS = ["grid2d", "grid1d", "grid3d", "lattice"]


@pytest.mark.parametrize("method", [m for m in METHODS if m != "ward"])
@pytest.mark.parametrize("kind", GRID_KINDS + ["identical", "duplicates"])
def test_ties_same_heights_and_flat_clusters_as_scipy(method, kind):
    X = grid_data(kind, seed=len(kind))
    D = squareform(pdist(X))
    if method in CENTER_METHODS:
        # From observations centroid and median work on the centers, whose distances are the
        # Lance-Williams updates' only up to rounding, so (as ward's) their ties can break
        # otherwise than scipy's: a valid tree, the same for any thread count. From the condensed
        # matrix, scipy's ties.
        Z = kmix_linkage(X, method, n_threads=1)
        assert_linkage_matrix(Z, X.shape[0])
        replay_merges(Z, D, method)
        assert z_digest(kmix_linkage(X, method, n_threads=2)) == z_digest(Z)
        X = pdist(X)
    Z = kmix_linkage(X, method)
    check_against_scipy_with_ties(Z, scipy_linkage(X, method), D, method)


@pytest.mark.parametrize("kind", ["identical", "duplicates"])
def test_ward_ties_from_repeated_points_as_scipy(kind):
    # Repeated points merge first at height 0, whatever the order; after that the data have no
    # ties, so the heights and flat clusters are unique and must be scipy's.
    X = grid_data(kind, seed=len(kind))
    Z = kmix_linkage(X, "ward")
    check_against_scipy_with_ties(Z, scipy_linkage(X, "ward"), squareform(pdist(X)), "ward")


@pytest.mark.parametrize("kind", GRID_KINDS)
def test_ward_ties_on_a_grid_give_a_valid_ward_tree(kind):
    # On grid data, scipy's own ward tree depends on the rounding of its Lance-Williams updates
    # (scipy's nearest-neighbour chain replayed in exact arithmetic gives other trees), so an
    # algorithm on the observations cannot be asked for scipy's ties. What it must give: a ward
    # tree (every merge joins two closest clusters at their ward distance), the same every time,
    # whatever the thread count. Two things do not depend on the ties: the first height (the
    # smallest distance) and the sum of squared heights (each is twice the increase of the
    # within-cluster sum of squares, so together twice the total sum of squares of X).
    X = grid_data(kind, seed=len(kind))
    Z = kmix_linkage(X, "ward", n_threads=1)
    assert_linkage_matrix(Z, X.shape[0])
    replay_merges(Z, squareform(pdist(X)), "ward")
    assert sch.is_monotonic(Z)
    assert z_digest(kmix_linkage(X, "ward", n_threads=2)) == z_digest(Z)
    Zs = scipy_linkage(X, "ward")
    np.testing.assert_allclose([Z[0, 2], Zs[0, 2]], np.min(pdist(X)), rtol=1e-12)
    total_ss = float(((X - X.mean(axis=0)) ** 2).sum())
    np.testing.assert_allclose(np.sum(Z[:, 2] ** 2) / 2, total_ss, rtol=1e-9)
    np.testing.assert_allclose(np.sum(Zs[:, 2] ** 2) / 2, total_ss, rtol=1e-9)


@pytest.mark.parametrize("method", ANY_METRIC)
@pytest.mark.parametrize("metric", ["cityblock", "sqeuclidean"])
def test_ties_other_metric(method, metric):
    X = grid_data("grid2d", seed=3)
    Z = kmix_linkage(X, method, metric)
    check_against_scipy_with_ties(Z, scipy_linkage(X, method, metric), squareform(pdist(X, metric)), method)


@pytest.mark.parametrize("method", ANY_METRIC)
def test_ties_condensed_integers(method):
    n = 70
    y = np.random.default_rng(5).integers(1, 4, size=n * (n - 1) // 2).astype(np.float64)
    Z = kmix_linkage(y, method)
    check_against_scipy_with_ties(Z, scipy_linkage(y, method), squareform(y), method)


@pytest.mark.parametrize("method", EUCLIDEAN_ONLY)
def test_ties_condensed_euclidean(method):
    X = grid_data("grid2d", seed=9)
    y = pdist(X)
    Z = kmix_linkage(y, method)
    check_against_scipy_with_ties(Z, scipy_linkage(y, method), squareform(y), method)


# ---- scipy's tools on Z ----------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_scipy_tools_accept_Z(method):
    X = make_data("blobs", 120, 4, k=5, seed=12)
    y = pdist(X)
    Z = kmix_linkage(X, method)
    Zs = scipy_linkage(X, method)
    assert sch.is_valid_linkage(Z)
    assert sch.is_monotonic(Z) == sch.is_monotonic(Zs)
    dn, dns = sch.dendrogram(Z, no_plot=True), sch.dendrogram(Zs, no_plot=True)
    assert dn["leaves"] == dns["leaves"] and dn["ivl"] == dns["ivl"]
    np.testing.assert_allclose(dn["dcoord"], dns["dcoord"], rtol=1e-9)
    for k in (1, 2, 3, 5, 11, 120):
        np.testing.assert_array_equal(
            sch.fcluster(Z, k, criterion="maxclust"), sch.fcluster(Zs, k, criterion="maxclust")
        )
    cuts = cut_heights(Zs[:, 2])
    for t in cuts[::10]:
        np.testing.assert_array_equal(
            sch.fcluster(Z, t, criterion="distance"), sch.fcluster(Zs, t, criterion="distance")
        )
    c, coph = sch.cophenet(Z, y)
    cs, cophs = sch.cophenet(Zs, y)
    np.testing.assert_allclose(coph, cophs, rtol=1e-9)
    np.testing.assert_allclose(c, cs, rtol=1e-9)
    np.testing.assert_array_equal(sch.leaves_list(Z), sch.leaves_list(Zs))
    assert sch.to_tree(Z).get_count() == 120
    np.testing.assert_array_equal(
        sch.leaves_list(sch.optimal_leaf_ordering(Z, y)), sch.leaves_list(sch.optimal_leaf_ordering(Zs, y))
    )


# ---- threads ---------------------------------------------------------------------------------
def thread_cases():
    """(name, X, method, metric): continuous data of both dtypes and data full of ties."""
    cases = []
    for method in METHODS:
        n = 1500 if method in ("ward", "single") else 1000
        cases.append((f"{method}-f64", make_data("blobs", n, 6, 8, seed=77), method, "euclidean"))
    for method in ("ward", "single"):
        cases.append((f"{method}-f32", make_data("blobs", 1500, 5, 6, seed=78, dtype=np.float32), method, "euclidean"))
    for method in METHODS:
        cases.append((f"{method}-ties", grid_data("grid3d", seed=4), method, "euclidean"))
    cases.append(("complete-cityblock", make_data("uniform", 800, 4, 1, seed=79), "complete", "cityblock"))
    # Ward and single search the observations in blocks of thousands of rows, one block per
    # thread: only more than two blocks' worth of rows splits their searches (and their ties).
    big_ties = np.random.default_rng(80).integers(0, 8, size=(6000, 2)).astype(np.float64)
    cases.append(("ward-big-f64", make_data("blobs", 6000, 4, 8, seed=81), "ward", "euclidean"))
    for method in ("ward", "single"):
        cases.append(
            (f"{method}-big-f32", make_data("blobs", 6000, 3, 8, seed=82, dtype=np.float32), method, "euclidean")
        )
        cases.append((f"{method}-big-ties", big_ties, method, "euclidean"))
    cases.append(("single-big-cosine", make_data("uniform", 6000, 5, 1, seed=83), "single", "cosine"))
    return cases


# What the OMP_NUM_THREADS subprocesses compute: the cases whose searches are split over threads
# and one of each other kind.
SUBPROCESS_CASES = (
    "ward-big-f64",
    "ward-big-f32",
    "ward-big-ties",
    "single-big-f32",
    "single-big-ties",
    "single-big-cosine",
    "average-f64",
    "centroid-f64",
    "weighted-ties",
    "complete-cityblock",
)


THREAD_SCRIPT = """
import hashlib, json, sys
import numpy as np
import kmix
from kmix import _core
sys.path.insert(0, {tests_dir!r})
from conftest import make_data
from test_linkage import SUBPROCESS_CASES, thread_cases, z_digest
out = {{"max_threads": _core.max_threads()}}
for name, X, method, metric in thread_cases():
    if name in SUBPROCESS_CASES:
        out[name] = z_digest(kmix.linkage(X, method=method, metric=metric))
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def one_thread_digests():
    return {name: z_digest(kmix_linkage(X, method, metric, n_threads=1)) for name, X, method, metric in thread_cases()}


def test_bit_identical_for_1_and_2_threads(one_thread_digests):
    for name, X, method, metric in thread_cases():
        assert z_digest(kmix_linkage(X, method, metric, n_threads=2)) == one_thread_digests[name], name


@pytest.mark.parametrize("n_threads", [-1, 7, None])
def test_other_thread_counts_bit_identical(one_thread_digests, n_threads):
    # (More threads than cores makes the many short parallel searches of the big cases slow.)
    chosen = ("average-f64", "median-ties", "ward-f32", "single-ties")
    if n_threads != 7:
        chosen += ("ward-big-f64", "single-big-f32", "ward-big-ties")
    for name, X, method, metric in thread_cases():
        if name in chosen:
            assert z_digest(kmix_linkage(X, method, metric, n_threads=n_threads)) == one_thread_digests[name], name


def test_omp_num_threads_subprocesses_bit_identical(tmp_path, one_thread_digests):
    script = tmp_path / "linkage_threads.py"
    script.write_text(THREAD_SCRIPT.format(tests_dir=os.path.dirname(os.path.abspath(__file__))))
    results = {}
    for omp in (1, 2):
        proc = run([sys.executable, str(script)], env_update={"OMP_NUM_THREADS": omp}, cwd=str(tmp_path))
        results[omp] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results[1].pop("max_threads") == 1 and results[2].pop("max_threads") == 2
    assert results[1] == results[2]
    assert results[1] == {name: one_thread_digests[name] for name in SUBPROCESS_CASES}


def test_thread_results_are_right():
    # The continuous data the thread tests hash give scipy's answers (the ties are checked above;
    # the 9000-point cases would take scipy seconds).
    for name, X, method, metric in thread_cases():
        if (name.endswith("-f64") and "-big-" not in name) or name == "complete-cityblock":
            assert_same_Z(kmix_linkage(X, method, metric, n_threads=2), scipy_linkage(X, method, metric))


ISA_SCRIPT = """
import sys
import numpy as np
import kmix
sys.path.insert(0, {tests_dir!r})
from test_linkage import thread_cases
assert kmix._core.isa() == {isa!r}, kmix._core.isa()
np.savez(sys.argv[1], **{{name: kmix.linkage(X, method=method, metric=metric)
                         for name, X, method, metric in thread_cases() if name in {names!r}}})
"""
ISA_CASES = (
    "ward-f64",
    "single-f64",
    "average-f64",
    "centroid-f64",
    "ward-f32",
    "single-f32",
    "complete-cityblock",
    "ward-big-f64",
    "single-big-f32",
    "single-big-cosine",
)


def test_every_isa_gives_the_same_trees(tmp_path):
    # The kernels are compiled per instruction set (KMIX_ISA selects a lower one): each gives
    # scipy's tree on continuous data, so the trees of the ISAs this CPU runs agree.
    others = [isa for isa in kmix._core.available_isas() if isa != kmix._core.isa()]
    if not others:
        pytest.skip("this CPU runs a single kernel ISA")
    here = {name: kmix_linkage(X, method, metric) for name, X, method, metric in thread_cases() if name in ISA_CASES}
    assert len(here) == len(ISA_CASES)
    for isa in others:
        script = tmp_path / f"isa_{isa}.py"
        script.write_text(
            ISA_SCRIPT.format(tests_dir=os.path.dirname(os.path.abspath(__file__)), isa=isa, names=ISA_CASES)
        )
        out = tmp_path / f"{isa}.npz"
        run([sys.executable, str(script), str(out)], env_update={"KMIX_ISA": isa}, cwd=str(tmp_path))
        with np.load(out) as got:
            for name, Z in here.items():
                rtol = 1e-5 if "f32" in name else 1e-9
                assert_same_Z(got[name], Z, rtol=rtol)


# ---- memory ----------------------------------------------------------------------------------
def _patch_available_memory(monkeypatch, n_bytes):
    import kmix.hierarchy as hmod

    if not hasattr(hmod, "_available_memory"):
        pytest.skip("kmix.hierarchy does not expose _available_memory")
    if callable(hmod._available_memory):
        monkeypatch.setattr(hmod, "_available_memory", lambda *args, **kwargs: n_bytes)
    else:
        monkeypatch.setattr(hmod, "_available_memory", n_bytes)


@pytest.mark.parametrize("method", MATRIX_METHODS)
def test_memory_error_before_allocating_the_matrix(method, monkeypatch, no_compiled):
    X = make_data("blobs", 400, 3, 3, seed=1)
    matrix_bytes = 400 * 399 // 2 * 8
    _patch_available_memory(monkeypatch, matrix_bytes // 4)
    with pytest.raises(MemoryError) as info:
        kmix_linkage(X, method)
    assert "memory" in str(info.value).lower(), str(info.value)


@pytest.mark.parametrize("method", ["ward", "single", "centroid", "median"])
def test_vector_methods_need_no_matrix(method, monkeypatch):
    X = make_data("blobs", 400, 3, 3, seed=1)
    matrix_bytes = 400 * 399 // 2 * 8
    _patch_available_memory(monkeypatch, matrix_bytes // 4)  # far more than O(n) memory needs
    assert_same_Z(kmix_linkage(X, method), scipy_linkage(X, method))


MEMORY_SCRIPT = """
import numpy as np
import kmix
X = np.linspace(0.0, 1.0, 7_000_000)[:, None]   # its condensed matrix: 196 TB
for method in ("complete", "average", "weighted"):
    try:
        kmix.linkage(X, method=method)
    except MemoryError as exc:
        print("MemoryError", method, str(exc).replace("\\n", " "))
    else:
        print("no error", method)
"""


def test_memory_error_for_a_matrix_larger_than_any_machine(tmp_path):
    # No patching: 7 million observations need a 196 TB condensed matrix. Run in a subprocess so
    # that an implementation which tries anyway cannot take the test session down.
    script = tmp_path / "huge.py"
    script.write_text(MEMORY_SCRIPT)
    proc = run([sys.executable, str(script)], cwd=str(tmp_path), timeout=120, check=False)
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0 and len(lines) == 3, (proc.returncode, proc.stdout, proc.stderr[-2000:])
    for line in lines:
        assert line.startswith("MemoryError"), line
        assert "memory" in line[len("MemoryError") :].lower(), line


# ---- bad inputs ------------------------------------------------------------------------------
X_GOOD = make_data("blobs", 30, 3, 3, seed=0)
Y_GOOD = pdist(X_GOOD)


def _with(arr, index, value):
    out = np.array(arr, dtype=np.float64)
    out[index] = value
    return out


# (id, X, kwargs, parameter the message must name)
BAD_LINKAGE = [
    ("nan", _with(X_GOOD, (4, 1), np.nan), {}, "y"),
    ("nan-f32", _with(X_GOOD, (4, 1), np.nan).astype(np.float32), {}, "y"),
    ("inf", _with(X_GOOD, (7, 2), np.inf), {}, "y"),
    ("-inf", _with(X_GOOD, (7, 2), -np.inf), {"method": "single"}, "y"),
    ("nan-condensed", _with(Y_GOOD, 10, np.nan), {"method": "average"}, "y"),
    ("inf-condensed", _with(Y_GOOD, 10, np.inf), {"method": "complete"}, "y"),
    ("negative-condensed", _with(Y_GOOD, 3, -0.5), {"method": "single"}, "y"),
    ("negative-condensed-ward", _with(Y_GOOD, 3, -1e-3), {"method": "ward"}, "y"),
    ("one-observation", X_GOOD[:1], {}, "y"),
    ("one-observation-single", X_GOOD[:1], {"method": "single"}, "y"),
    ("no-observations", np.empty((0, 3)), {}, "y"),
    ("condensed-empty", np.empty(0), {"method": "single"}, "y"),
    ("condensed-len-2", np.ones(2), {"method": "single"}, "y"),
    ("condensed-len-4", np.ones(4), {"method": "complete"}, "y"),
    ("condensed-len-434", Y_GOOD[:-1], {"method": "average"}, "y"),
    ("condensed-len-436", np.r_[Y_GOOD, 1.0], {}, "y"),
    ("3d", X_GOOD.reshape(30, 3, 1), {}, "y"),
    ("0d", np.float64(2.0), {}, "y"),
    ("strings", np.array([["a", "b"], ["c", "d"], ["e", "f"]]), {}, "y"),
    ("complex", X_GOOD.astype(np.complex128), {}, "y"),
    ("ragged", [[1.0, 2.0], [3.0]], {}, "y"),
    ("method-unknown", X_GOOD, {"method": "centroids"}, "method"),
    ("method-upper", X_GOOD, {"method": "Ward"}, "method"),
    ("method-none", X_GOOD, {"method": None}, "method"),
    ("metric-unknown", X_GOOD, {"method": "single", "metric": "euclidian"}, "metric"),
    ("metric-none", X_GOOD, {"method": "average", "metric": None}, "metric"),
    ("metric-removed", X_GOOD, {"method": "complete", "metric": "wminkowski"}, "metric"),
    ("metric-number", X_GOOD, {"method": "complete", "metric": 2}, "metric"),
    ("ward-callable", X_GOOD, {"method": "ward", "metric": lambda u, v: 1.0}, "metric"),
    ("ward-euclidean-alias", X_GOOD, {"method": "ward", "metric": "euclid"}, "metric"),
    ("optimal_ordering-str", X_GOOD, {"optimal_ordering": "yes"}, "optimal_ordering"),
    ("ward-cityblock", X_GOOD, {"method": "ward", "metric": "cityblock"}, "metric"),
    ("ward-sqeuclidean", X_GOOD, {"method": "ward", "metric": "sqeuclidean"}, "metric"),
    ("ward-cosine", X_GOOD, {"method": "ward", "metric": "cosine"}, "metric"),
    ("centroid-cityblock", X_GOOD, {"method": "centroid", "metric": "cityblock"}, "metric"),
    ("median-cosine", X_GOOD, {"method": "median", "metric": "cosine"}, "metric"),
    ("median-sqeuclidean", X_GOOD, {"method": "median", "metric": "sqeuclidean"}, "metric"),
    ("threads=0", X_GOOD, {"n_threads": 0}, "n_threads"),
    ("threads-float", X_GOOD, {"n_threads": 1.5}, "n_threads"),
    ("threads-str", X_GOOD, {"n_threads": "2"}, "n_threads"),
]


@pytest.mark.parametrize("X,kwargs,name", [c[1:] for c in BAD_LINKAGE], ids=[c[0] for c in BAD_LINKAGE])
def test_bad_inputs_rejected_before_compiled_code(X, kwargs, name, no_compiled):
    with pytest.raises((ValueError, TypeError)) as info:
        kmix.linkage(X, **kwargs)
    assert names(str(info.value), name), f"message does not name {name!r}: {info.value}"


@pytest.mark.parametrize(
    "case_id",
    [
        "nan",
        "inf",
        "nan-condensed",
        "one-observation",
        "no-observations",
        "condensed-empty",
        "condensed-len-2",
        "condensed-len-434",
        "3d",
        "method-unknown",
        "method-upper",
        "metric-unknown",
        "ward-cityblock",
        "centroid-cityblock",
        "median-cosine",
        "strings",
    ],
)
def test_scipy_rejects_the_same_inputs(case_id):
    _, X, kwargs, _ = next(c for c in BAD_LINKAGE if c[0] == case_id)
    kwargs = {"method": "ward", **kwargs}
    with pytest.raises((ValueError, TypeError)):
        kmix.linkage(X, **kwargs)
    with pytest.raises((ValueError, TypeError)):
        sch.linkage(X, **kwargs)


@pytest.mark.parametrize("method", EUCLIDEAN_ONLY)
@pytest.mark.parametrize("metric", OBS_METRICS)
def test_euclidean_methods_refuse_other_metrics_like_scipy(method, metric):
    with pytest.raises(ValueError, match="metric"):
        kmix.linkage(X_GOOD, method=method, metric=metric)
    with pytest.raises(ValueError):
        sch.linkage(X_GOOD, method=method, metric=metric)


# ---- scipy's metrics, warnings and messages --------------------------------------------------
def metric_data(metric, n, seed):
    """Data each metric is defined on: boolean-like for the boolean metrics, small integers for
    the counting ones, positive values for jensenshannon; continuous otherwise."""
    rng = np.random.default_rng(seed)
    if metric in ("dice", "rogerstanimoto", "russellrao", "sokalsneath", "yule"):
        return (rng.random((n, 12)) < 0.4) * rng.uniform(0.2, 1.0, (n, 12))  # dice: "fuzzy" on [0, 1]
    if metric in ("hamming", "jaccard"):
        return rng.integers(0, 3, size=(n, 10)).astype(np.float64)
    if metric == "jensenshannon":
        return rng.uniform(0.0, 1.0, (n, 6))
    return make_data("uniform", n, 5, k=1, seed=seed)


COUNTING = ("dice", "rogerstanimoto", "russellrao", "sokalsneath", "yule", "hamming", "jaccard")


@pytest.mark.parametrize("metric", kmix.hierarchy.METRICS)
@pytest.mark.parametrize("method", ANY_METRIC)
def test_every_pdist_metric_as_scipy(metric, method):
    X = metric_data(metric, 90, seed=len(metric))
    Z = kmix.linkage(X, method, metric)
    Zs = sch.linkage(X, method, metric)
    if metric in COUNTING:  # few distinct distances: ties
        check_against_scipy_with_ties(Z, Zs, squareform(pdist(X, metric)), method)
    else:
        assert_same_Z(Z, Zs)


@pytest.mark.parametrize(
    "metric", [m for m in kmix.hierarchy.METRICS if m not in ("euclidean", "sqeuclidean", "cityblock", "cosine")]
)
def test_numpy_metrics_equal_scipys_pdist_with_special_cases(metric):
    # The distances themselves, with the rows each metric treats specially: all zeros, repeated,
    # a negative entry (jensenshannon: +inf), constant.
    X = metric_data(metric, 40, seed=1)
    X[3] = 0.0
    X[5] = X[4]
    X[7] = 1.0
    if metric == "jensenshannon":
        X[9, 2] = -0.5
    with np.errstate(all="ignore"):
        ref = pdist(X, metric)
    if metric in ("minkowski", "correlation"):  # by the kernels: through linkage
        if metric == "correlation":
            X = np.delete(X, [3, 7], axis=0)  # constant rows have no correlation distance
            with np.errstate(all="ignore"):
                ref = pdist(X, metric)
        np.testing.assert_allclose(
            np.sort(kmix.linkage(X, "single", metric)[:, 2]),
            np.sort(sch.linkage(X, "single", metric)[:, 2]),
            rtol=1e-12,
            atol=1e-15,
        )
        return
    ours = kmix.hierarchy._other_distances(X, metric)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(ref))
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15, equal_nan=True)


def test_metric_aliases_and_callables():
    X = make_data("uniform", 70, 4, k=1, seed=3)
    for alias, name in (
        ("cb", "cityblock"),
        ("cos", "cosine"),
        ("sqe", "sqeuclidean"),
        ("cheb", "chebyshev"),
        ("e", "euclidean"),
        ("pnorm", "minkowski"),
        ("co", "correlation"),
    ):
        assert_same_Z(kmix.linkage(X, "average", alias), sch.linkage(X, "average", name))
    seen = []

    def chebyshev(u, v):
        seen.append((u.dtype, u.shape, v.shape))
        return float(np.abs(u - v).max())

    Z = kmix.linkage(X.astype(np.float32), "complete", chebyshev)
    assert_same_Z(Z, sch.linkage(X.astype(np.float32), "complete", chebyshev))
    assert len(seen) == 2 * 70 * 69 // 2 and set(seen) == {(np.dtype(np.float64), (4,), (4,))}
    assert_same_Z(kmix.linkage(X, "single", lambda u, v: np.sqrt(((u - v) ** 2).sum())), sch.linkage(X, "single"))


def test_unknown_metric_lists_the_supported_ones():
    with pytest.raises(ValueError, match="Unknown Distance Metric") as info:
        kmix.linkage(X_GOOD, "average", "euclidian")
    for name in ("euclidean", "cityblock", "cosine", "chebyshev", "jaccard", "mahalanobis", "callable"):
        assert name in str(info.value)


def test_metric_is_ignored_for_a_condensed_matrix_as_scipy():
    assert_same_Z(kmix.linkage(Y_GOOD, "average", "nonsense"), sch.linkage(Y_GOOD, "average", "nonsense"))
    assert_same_Z(kmix.linkage(Y_GOOD, "ward", "cityblock"), sch.linkage(Y_GOOD, "ward", "cityblock"))


def test_square_distance_matrix_warns_as_scipy():
    D = squareform(pdist(X_GOOD))
    Z = sch.linkage(Y_GOOD)
    for call in (lambda: kmix.linkage(D, "average"), lambda: kmix.optimal_leaf_ordering(Z, D)):
        with pytest.warns(
            sch.ClusterWarning,
            match="^The symmetric non-negative hollow observation matrix looks "
            "suspiciously like an uncondensed distance matrix$",
        ) as record:
            call()
        assert len(record) == 1 and isinstance(record[0].message, kmix.ClusterWarning)
        assert record[0].filename == __file__  # points at the caller, as scipy's
    with pytest.warns(sch.ClusterWarning):
        Zs = sch.linkage(D, "average")
    with pytest.warns(kmix.ClusterWarning):
        Z = kmix.linkage(D, "average")
    assert_same_Z(Z, Zs)  # D is taken as observations, as scipy does
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for other in (D + np.eye(30), D - 1.0, np.triu(D), D[:, :29]):
            kmix.linkage(other, "average")
        kmix.AgglomerativeClustering(3, metric="precomputed", linkage="average").fit(D)


def test_messages_carry_scipys():
    y = Y_GOOD.copy()
    y[4] = np.nan
    for bad in (y, _with(X_GOOD, (1, 1), np.inf)):
        with pytest.raises(ValueError, match=r"The condensed distance matrix must contain only finite values\."):
            kmix.linkage(bad)
    with pytest.raises(ValueError, match="Invalid method"):
        kmix.linkage(X_GOOD, "wards")
    with pytest.raises(ValueError, match="requires the distance metric to be Euclidean"):
        kmix.linkage(X_GOOD, "median", "cityblock")
    with pytest.raises(ValueError, match="must be a binomial coefficient"):
        kmix.linkage(Y_GOOD[:-1])
    with pytest.raises(ValueError, match="too small; the covariance matrix is singular"):
        kmix.linkage(X_GOOD[:3], "average", "mahalanobis")


# ---- optimal leaf ordering -------------------------------------------------------------------
def random_tree(n, shape, rng):
    """A valid Z of n leaves: random pairs of clusters merged ("random"), one leaf at a time onto
    a growing cluster ("chain", either side), or neighbours pairwise ("balanced"); heights
    increasing."""
    clusters = list(rng.permutation(n))
    size = {i: 1 for i in range(n)}
    Z = []
    while len(clusters) > 1:
        i, j = sorted(rng.choice(len(clusters), 2, replace=False)) if shape == "random" else (0, 1)
        a, b = clusters[i], clusters[j]
        if rng.random() < 0.5:
            a, b = b, a
        new = n + len(Z)
        size[new] = size[a] + size[b]
        Z.append([a, b, len(Z) + 1.0, size[new]])
        del clusters[j], clusters[i]
        if shape == "chain":  # the growing cluster stays first
            clusters.insert(0, new)
        else:  # "balanced": a queue, so clusters pair up level by level
            clusters.append(new)
    return np.array(Z, dtype=np.float64)


OLO_DATA = ["blobs", "uniform", "grid2d", "grid1d", "identical", "duplicates", "integers"]


def olo_data(kind, n, seed):
    rng = np.random.default_rng(seed)
    if kind in ("blobs", "uniform"):
        return pdist(make_data(kind, n, 3, k=4, seed=seed))
    if kind == "integers":  # a condensed matrix of small integers: ties everywhere
        return rng.integers(1, 5, size=n * (n - 1) // 2).astype(np.float64)
    X = grid_data(kind, seed=seed)
    return pdist(X[:n])


@pytest.mark.parametrize("kind", OLO_DATA)
@pytest.mark.parametrize("method", METHODS)
def test_optimal_leaf_ordering_of_scipys_trees_equals_scipys(kind, method):
    # Exactly scipy's Z, ties included: on scipy's own trees (kmix's may differ on ties).
    for seed, n in enumerate((2, 3, 5, 12, 40, 90)):
        y = olo_data(kind, n, seed)
        if y.size == 0:
            continue
        Zs = sch.linkage(y, method)
        np.testing.assert_array_equal(kmix.optimal_leaf_ordering(Zs, y), sch.optimal_leaf_ordering(Zs, y))


@pytest.mark.parametrize("shape", ["random", "chain", "balanced"])
def test_optimal_leaf_ordering_of_any_tree_equals_scipys(shape):
    rng = np.random.default_rng(len(shape))
    for trial in range(20):
        n = int(rng.integers(2, 70))
        Z = random_tree(n, shape, rng)
        assert sch.is_valid_linkage(Z)
        kind = ("blobs", "integers", "duplicates")[trial % 3]
        y = olo_data(kind, n, trial) if kind != "duplicates" else pdist(grid_data("duplicates", trial)[:n])
        np.testing.assert_array_equal(kmix.optimal_leaf_ordering(Z, y), sch.optimal_leaf_ordering(Z, y))


@pytest.mark.parametrize("method", METHODS)
def test_linkage_optimal_ordering_same_Z_as_scipy(method):
    for kind, n, d in (("blobs", 60, 3), ("uniform", 150, 5), ("aniso", 300, 2)):
        X = make_data(kind, n, d, k=4, seed=n)
        Z = kmix.linkage(X, method, optimal_ordering=True)
        Zs = sch.linkage(X, method, optimal_ordering=True)
        assert_same_Z(Z, Zs)
        assert_same_Z(kmix.linkage(pdist(X), method, optimal_ordering=True), Zs)
        # The same tree as without the ordering, its rows' children exchanged.
        plain = kmix.linkage(X, method)
        np.testing.assert_array_equal(np.sort(Z[:, :2], axis=1), np.sort(plain[:, :2], axis=1))
        np.testing.assert_array_equal(Z[:, 2:], plain[:, 2:])


@pytest.mark.parametrize("method", ANY_METRIC)
def test_optimal_ordering_other_metrics_and_ties(method):
    X = make_data("uniform", 120, 4, k=1, seed=5)
    for metric in ("cityblock", "cosine", "chebyshev", "correlation"):
        assert_same_Z(
            kmix.linkage(X, method, metric, optimal_ordering=True),
            sch.linkage(X, method, metric, optimal_ordering=True),
        )
        Z = sch.linkage(X, method, metric)
        np.testing.assert_array_equal(kmix.optimal_leaf_ordering(Z, X, metric), sch.optimal_leaf_ordering(Z, X, metric))
    # With ties kmix's tree may be another valid one; its ordering is the one scipy gives it.
    G = grid_data("grid2d", seed=4)
    Z = kmix.linkage(G, method, optimal_ordering=True)
    np.testing.assert_array_equal(Z, sch.optimal_leaf_ordering(kmix.linkage(G, method), pdist(G)))


@pytest.mark.parametrize("method,n", [("single", 1000), ("average", 800), ("ward", 600)])
def test_optimal_leaf_ordering_larger_trees_and_threads(method, n):
    X = make_data("blobs", n, 4, k=8, seed=n)
    y = pdist(X)
    Zs = sch.linkage(y, method)
    ref = sch.optimal_leaf_ordering(Zs, y)
    for threads in (1, 2):
        np.testing.assert_array_equal(kmix.optimal_leaf_ordering(Zs, y, n_threads=threads), ref)


OLO_ISA_SCRIPT = """
import sys
import numpy as np
import kmix
from scipy.cluster import hierarchy as sch
from scipy.spatial.distance import pdist
assert kmix._core.isa() == sys.argv[2], kmix._core.isa()
X = np.random.default_rng(3).standard_normal((700, 3))
Z = sch.linkage(X, "ward")
np.save(sys.argv[1], kmix.optimal_leaf_ordering(Z, pdist(X)))
"""


def test_optimal_leaf_ordering_same_at_every_isa(tmp_path):
    # The min-plus rows are an ISA kernel; their sums and minima are exact at every level.
    script = tmp_path / "olo_isa.py"
    script.write_text(OLO_ISA_SCRIPT)
    X = np.random.default_rng(3).standard_normal((700, 3))
    ref = sch.optimal_leaf_ordering(sch.linkage(X, "ward"), pdist(X))
    for isa in kmix._core.available_isas():
        out = tmp_path / f"{isa}.npy"
        run([sys.executable, str(script), str(out), isa], env_update={"KMIX_ISA": isa}, cwd=str(tmp_path))
        np.testing.assert_array_equal(np.load(out), ref)


def test_optimal_leaf_ordering_at_any_scale():
    # Scaling the distances by a power of two changes nothing (kmix works at one scale whatever
    # the data's; scipy's float32 sums are capped at 2^30, so scipy is compared where it is valid).
    y = olo_data("blobs", 80, 1)
    Zs = sch.linkage(y, "average")
    ref = sch.optimal_leaf_ordering(Zs, y)
    for e in (-1060, -600, -60, 0, 20, 60, 600, 1000):
        np.testing.assert_array_equal(kmix.optimal_leaf_ordering(Zs, np.ldexp(y, e)), ref)
    tiny = np.full(Zs.shape[0] * (Zs.shape[0] + 1) // 2, 5e-324)  # all the smallest denormal: ties
    np.testing.assert_array_equal(
        kmix.optimal_leaf_ordering(Zs, tiny), sch.optimal_leaf_ordering(Zs, np.ones_like(tiny))
    )


def test_optimal_leaf_ordering_bad_inputs(no_compiled):
    Z = sch.linkage(Y_GOOD, "average")
    bad_Z = {
        "ints": (Z.astype(np.int64), TypeError),
        "1-D": (Z[:, 0], ValueError),
        "3 columns": (Z[:, :3], ValueError),
        "empty": (np.empty((0, 4)), ValueError),
        "negative id": (_with(Z, (3, 0), -1.0), ValueError),
        "future id": (_with(Z, (3, 1), 30 + 3), ValueError),
        "id twice": (_with(Z, (5, 0), Z[4, 0]), ValueError),
        "fractional id": (_with(Z, (0, 0), Z[0, 0] + 0.5), ValueError),
        "nan": (_with(Z, (2, 2), np.nan), ValueError),
        "negative distance": (_with(Z, (2, 2), -1.0), ValueError),
    }
    for label, (bad, exc) in bad_Z.items():
        with pytest.raises(exc, match="Z|Linkage"):
            kmix.optimal_leaf_ordering(bad, Y_GOOD)
        if label not in ("fractional id", "nan"):  # scipy's is_valid_linkage: the same errors
            with pytest.raises(exc):
                sch.optimal_leaf_ordering(bad, Y_GOOD)
    for bad_y in (
        Y_GOOD[:-1],
        Y_GOOD[:-29],
        np.r_[Y_GOOD, Y_GOOD[:30]],
        _with(Y_GOOD, 3, np.inf),
        _with(Y_GOOD, 3, -1.0),
        X_GOOD[:10],
        np.ones((30, 3, 1)),
    ):
        with pytest.raises(ValueError, match="y"):
            kmix.optimal_leaf_ordering(Z, bad_y)
    with pytest.raises(TypeError, match="optimal_ordering"):
        kmix.linkage(X_GOOD, optimal_ordering=None)


def test_optimal_leaf_ordering_binding_is_strict():
    # Called directly, the kernel's binding checks every input against the others: no bad tree,
    # matrix or dtype reaches the kernel.
    from kmix import _core

    Z = sch.linkage(Y_GOOD, "average")
    children = Z[:, :2].astype(np.int64)
    good = _core.optimal_leaf_ordering(children, Y_GOOD, 1)
    assert good.dtype == np.uint8 and good.shape == (29,)
    cases = [
        (children.astype(np.int32), Y_GOOD, TypeError),
        (children.astype(np.float64), Y_GOOD, TypeError),
        (np.asfortranarray(children), Y_GOOD, TypeError),
        (children[:, :1].copy(), Y_GOOD, ValueError),
        (children.ravel(), Y_GOOD, ValueError),
        (children[:0], Y_GOOD[:0], ValueError),
        (_with(children, (2, 0), -1).astype(np.int64), Y_GOOD, ValueError),
        (_with(children, (0, 1), 30).astype(np.int64), Y_GOOD, ValueError),
        (_with(children, (28, 1), 59).astype(np.int64), Y_GOOD, ValueError),
        (_with(children, (5, 0), children[4, 0]).astype(np.int64), Y_GOOD, ValueError),
        (children, Y_GOOD[:-1], ValueError),
        (children, Y_GOOD.astype(np.float32), TypeError),
        (children, _with(Y_GOOD, 0, np.nan), ValueError),
        (children, _with(Y_GOOD, 0, -1.0), ValueError),
        (children, Y_GOOD.reshape(1, -1), ValueError),
    ]
    for ch, y, exc in cases:
        with pytest.raises(exc):
            _core.optimal_leaf_ordering(ch, y, 1)
    with pytest.raises(ValueError, match="n_threads"):
        _core.optimal_leaf_ordering(children, Y_GOOD, 0)


def test_optimal_ordering_memory_error_before_compiled_code(monkeypatch, no_compiled):
    X = make_data("blobs", 400, 3, 3, seed=1)
    _patch_available_memory(monkeypatch, 400 * 399 // 2 * 8 // 4)
    for call in (
        lambda: kmix.linkage(X, "ward", optimal_ordering=True),
        lambda: kmix.linkage(X, "single", optimal_ordering=True),
        lambda: kmix.optimal_leaf_ordering(sch.linkage(X), X),
    ):
        with pytest.raises(MemoryError, match="memory"):
            call()


OLO_INTERRUPT_SCRIPT = """
import signal, time
import numpy as np
signal.signal(signal.SIGINT, signal.default_int_handler)  # (see test_interrupt's CHILD)
import kmix
X = np.random.default_rng(0).standard_normal((4000, 4))
Z = kmix.linkage(X, "ward")
print("ready", flush=True)
start = time.perf_counter()
try:
    kmix.optimal_leaf_ordering(Z, X)
    print("finished", time.perf_counter() - start, flush=True)
except KeyboardInterrupt:
    print("interrupted", time.perf_counter() - start, flush=True)
"""


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX-only")
def test_optimal_leaf_ordering_stops_on_ctrl_c(tmp_path):
    script = tmp_path / "olo_interrupt.py"
    script.write_text(OLO_INTERRUPT_SCRIPT)
    child = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS="2"),
        cwd=str(tmp_path),
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(1.0)
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60 * TIME_SCALE)
        waited = time.perf_counter() - sent
    finally:
        child.kill()
    assert out.startswith("interrupted"), (out, err[-2000:])
    assert waited < 2.0 * TIME_SCALE, waited


@pytest.mark.parametrize("method", ["average", "complete", "weighted"])
def test_chain_on_two_threads_same_tree_as_one_and_scipy(method):
    # From 3000 points the chain's scans and row updates are split between threads: the same
    # tree for any thread count, and scipy's.
    X = make_data("blobs", 3100, 4, k=12, seed=31)
    one = kmix.linkage(X, method, n_threads=1)
    two = kmix.linkage(X, method, n_threads=2)
    np.testing.assert_array_equal(one, two)
    assert_same_Z(two, sch.linkage(X, method))
