"""kmix.KMeans(algorithm="elkan") and (algorithm="hamerly") against
sklearn.cluster.KMeans(algorithm="elkan") and against kmix's Lloyd: same init, same answers (the
bounds only skip distances that cannot change a label). Every test runs for both algorithms (the
`bounded` fixture).

kmix's elkan chooses between Lloyd steps and bounded steps by their predicted cost; every test runs
twice, once with that choice and once with every step after the first a bounded one (scikit-learn's
schedule, the `schedule` fixture), so that the bounds are exercised whatever the data sizes.
"""

import contextlib
import hashlib
import io
import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans as SkKMeans

import kmix
from kmix import _core
from conftest import (
    RTOL,
    assert_centers_close,
    data_scale,
    init_rows,
    inertia_formula,
    make_blobs,
    make_data,
    nearest,
    sq_dists,
)


BOUNDED = {"algorithm": "elkan"}  # the kmix algorithm under test, set by the `bounded` fixture


@pytest.fixture(params=["elkan", "hamerly"], autouse=True)
def bounded(request):
    BOUNDED["algorithm"] = request.param
    yield request.param
    BOUNDED["algorithm"] = "elkan"


@pytest.fixture(params=["by-cost", "every-step"], autouse=True)
def schedule(request):
    before = _core._elkan_every_step(request.param == "every-step")
    yield request.param
    _core._elkan_every_step(before)


def sk_elkan(X, k, init, sample_weight=None, **params):
    with warnings.catch_warnings():  # k = 1: "algorithm='elkan' doesn't make sense ..., using 'lloyd'"
        warnings.filterwarnings("ignore", "algorithm='elkan' doesn't make sense", RuntimeWarning)
        return SkKMeans(n_clusters=k, init=init, algorithm="elkan", **params).fit(X, sample_weight=sample_weight)


def fit_both(X, k, init, sample_weight=None, **params):
    """kmix elkan and scikit-learn elkan fitted with the same parameters (n_init=1 for an init array)."""
    if not isinstance(init, str) and not callable(init):
        params.setdefault("n_init", 1)
    ours = kmix.KMeans(n_clusters=k, init=init, algorithm=BOUNDED["algorithm"], **params).fit(
        X, sample_weight=sample_weight
    )
    return ours, sk_elkan(X, k, init, sample_weight, **params)


def assert_same_fit(ours, theirs, X):
    dtype = np.asarray(X).dtype if np.asarray(X).dtype in (np.float32, np.float64) else np.float64
    assert ours.cluster_centers_.dtype == theirs.cluster_centers_.dtype
    assert ours.labels_.dtype == np.int32
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    assert_centers_close(ours.cluster_centers_, theirs.cluster_centers_, dtype, data_scale(X))
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=RTOL[np.dtype(dtype)])


def assert_nearest_up_to_float32_tile_rounding(X, km):
    """Every label is a nearest center in float64, or as near as the float32 tile can tell: within
    its worst-case rounding, 2(d + 2)·2^-24·(‖x‖² + 2‖c‖²) (the steps may be Lloyd's)."""
    X64, C64 = X.astype(np.float64), km.cluster_centers_.astype(np.float64)
    d2 = sq_dists(X64, C64)
    slack = 2 * (X.shape[1] + 2) * 2.0**-24 * ((X64**2).sum(1) + 2 * (C64**2).sum(1).max())
    assert np.all(d2[np.arange(len(X)), km.labels_] <= d2.min(axis=1) + slack)


def lloyd_of(X, k, init, sample_weight=None, **params):
    if not isinstance(init, str):
        params.setdefault("n_init", 1)
    return kmix.KMeans(n_clusters=k, init=init, **params).fit(X, sample_weight=sample_weight)


# ---- against scikit-learn's elkan ------------------------------------------------------------
@pytest.mark.parametrize("kind", ["blobs", "aniso", "uniform", "separated"])
@pytest.mark.parametrize("seed", [0, 1])
def test_same_init_array_same_result(kind, seed, dtype):
    n, d, k = 400, 5, 6
    X = make_data(kind, n, d, k, seed, dtype=dtype)
    ours, theirs = fit_both(X, k, init_rows(X, k, seed))
    assert_same_fit(ours, theirs, X)


@pytest.mark.parametrize(
    "n,d,k",
    [
        (50, 1, 1),
        (60, 1, 4),
        (200, 12, 8),
        (1000, 3, 20),
        (700, 40, 5),
        (257, 2, 17),
        (3000, 2, 3),
        (2000, 3, 100),
        (600, 7, 129),
        (1500, 100, 10),
        (40, 3, 40),
    ],
)
def test_shapes_same_result(n, d, k, dtype):
    # k = 1, d = 1, k = n, more centers than a panel or a 64-bit word of open centers holds, d above
    # the unrolled widths, row counts that are not multiples of the chunks or the register tiles.
    X = make_data("blobs", n, d, k, seed=n + d + k, dtype=dtype)
    ours, theirs = fit_both(X, k, init_rows(X, k, seed=k))
    assert_same_fit(ours, theirs, X)


@pytest.mark.parametrize("max_iter", [1, 2, 3, 5])
def test_max_iter_reached(max_iter, dtype):
    X = make_data("aniso", 500, 4, 7, seed=3, dtype=dtype)
    ours, theirs = fit_both(X, 7, init_rows(X, 7, seed=3), max_iter=max_iter)
    assert ours.n_iter_ == max_iter
    assert_same_fit(ours, theirs, X)
    # The final assignment (by the bounds) gives the nearest centers of the returned centers.
    np.testing.assert_array_equal(ours.labels_, ours.predict(X))


@pytest.mark.parametrize("tol", [0.0, 1e-6, 1e-2, 0.5])
def test_tolerance_same_stopping(tol):
    X = make_data("aniso", 600, 3, 5, seed=11)
    ours, theirs = fit_both(X, 5, init_rows(X, 5, seed=2), tol=tol)
    assert_same_fit(ours, theirs, X)


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("n_init", [1, 3])
@pytest.mark.parametrize("seed", [0, 7])
def test_seeded_init_and_n_init_same_result(init, n_init, seed):
    X = make_data("blobs", 500, 4, 5, seed=seed)
    ours, theirs = fit_both(X, 5, init, n_init=n_init, random_state=seed)
    assert_same_fit(ours, theirs, X)


@pytest.mark.parametrize("zeros", [False, True])
def test_sample_weight_same_result(zeros, dtype):
    X = make_data("blobs", 800, 4, 6, seed=5, dtype=dtype)
    w = np.random.default_rng(5).uniform(0.1, 3.0, size=800)
    if zeros:
        w[::7] = 0.0
    ours, theirs = fit_both(X, 6, init_rows(X, 6, seed=5), sample_weight=w)
    assert_same_fit(ours, theirs, X)
    np.testing.assert_allclose(
        ours.inertia_,
        inertia_formula(X, ours.cluster_centers_, ours.labels_, w),
        rtol=1e-12 if dtype == np.float64 else 1e-5,
    )
    # k-means++ seeding with weights draws the same rows too.
    ours, theirs = fit_both(X, 6, "k-means++", sample_weight=w, random_state=3)
    assert_same_fit(ours, theirs, X)


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
def test_large_k_same_result(dtype):
    # Random rows as the init: some blobs get two centers, others none, and empty clusters are
    # relocated. In float32 scikit-learn's own lloyd and elkan part there (float32 sums), so
    # float32 is compared with kmix's Lloyd, which must agree exactly.
    X = make_data("separated", 6000, 6, 200, seed=13, dtype=dtype)
    init = init_rows(X, 200, seed=13)
    if dtype == np.float64:
        ours, theirs = fit_both(X, 200, init)
        assert_same_fit(ours, theirs, X)
    else:  # the labels are the nearest centers in float64, up to float32 near-ties
        assert_nearest_up_to_float32_tile_rounding(X, lloyd_of(X, 200, init, algorithm=BOUNDED["algorithm"]))
    X = make_data("blobs", 4000, 16, 256, seed=14, dtype=dtype)
    ours, theirs = fit_both(X, 256, init_rows(X, 256, seed=14), max_iter=30)
    assert_same_fit(ours, theirs, X)


def test_empty_clusters_relocated_like_sklearn():
    X = make_blobs(n=300, d=3, k=3, seed=1)[0]
    init = np.vstack([init_rows(X, 2, seed=0), np.full((1, 3), 1e3), np.full((1, 3), -2e3)])
    ours, theirs = fit_both(X, 4, init)
    assert_same_fit(ours, theirs, X)
    assert np.unique(ours.labels_).size == 4


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
@pytest.mark.parametrize("init", [[[0.1], [15.0], [1000.0]], [[15.0], [0.1], [1000.0]]])
def test_relocation_emptying_a_cluster_matches_sklearn(init):
    # test_kmeans_vs_sklearn's case: a relocation empties the donor cluster. After the first step
    # two centers coincide, and which of them the next steps' exact ties go to is rounding in
    # scikit-learn's ‖c‖² − 2x·c; later steps are compared with kmix's Lloyd.
    X = np.r_[np.linspace(0.0, 1.0, 10), 10.0][:, None]
    ours, theirs = fit_both(X, 3, np.array(init), max_iter=1)
    assert_same_fit(ours, theirs, X)
    for max_iter in (2, 3, 300):
        ours, lloyd = (
            lloyd_of(X, 3, np.array(init), algorithm=BOUNDED["algorithm"], max_iter=max_iter),
            lloyd_of(X, 3, np.array(init), max_iter=max_iter),
        )
        np.testing.assert_array_equal(ours.labels_, lloyd.labels_)
        np.testing.assert_array_equal(ours.cluster_centers_, lloyd.cluster_centers_)
        assert ours.n_iter_ == lloyd.n_iter_


def test_verbose_reports_like_lloyd():
    X = make_data("aniso", 400, 3, 5, seed=4)
    init = init_rows(X, 5, seed=4)
    outs = []
    for algorithm in (BOUNDED["algorithm"], "lloyd"):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            kmix.KMeans(5, init=init, n_init=1, verbose=1, algorithm=algorithm).fit(X)
        outs.append(buf.getvalue())
    assert outs[0] == outs[1]
    assert "Initialization complete" in outs[0] and "Converged at iteration" in outs[0]


# ---- against kmix's Lloyd --------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["blobs", "aniso", "uniform", "separated"])
def test_same_as_lloyd(kind, dtype):
    # Lloyd's float32 tile (‖c‖² − 2x·c) rounds relative to ‖x‖²: with blobs spread over ±480 and
    # two centers in one blob, that is 1% of the distances that decide the split, where Elkan's
    # bounded steps compare float64 distances; float32 "separated" is checked against float64.
    X = make_data(kind, 3000, 8, 24, seed=21, dtype=dtype)
    if dtype == np.float32 and kind == "separated":
        assert_nearest_up_to_float32_tile_rounding(
            X, lloyd_of(X, 24, init_rows(X, 24, seed=21), algorithm=BOUNDED["algorithm"], tol=0.0)
        )
        return
    init = init_rows(X, 24, seed=21)
    ours = lloyd_of(X, 24, init, algorithm=BOUNDED["algorithm"], tol=0.0)
    lloyd = lloyd_of(X, 24, init, tol=0.0)
    np.testing.assert_array_equal(ours.labels_, lloyd.labels_)
    assert ours.n_iter_ == lloyd.n_iter_
    assert_centers_close(ours.cluster_centers_, lloyd.cluster_centers_, dtype, data_scale(X))
    np.testing.assert_allclose(ours.inertia_, lloyd.inertia_, rtol=RTOL[np.dtype(dtype)])


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
@pytest.mark.parametrize("seed", range(12))
def test_property_random_shapes_same_as_lloyd(seed, dtype):
    # Shapes, data, weights, tolerances and iteration limits drawn at random: each bounded
    # algorithm gives Lloyd's labels and n_iter_, and its centers to rounding.
    rng = np.random.default_rng(1000 + seed)
    n, d = int(rng.integers(20, 3000)), int(rng.integers(1, 40))
    k = int(rng.integers(1, min(n, 90) + 1))
    X = make_data(["blobs", "aniso", "uniform"][seed % 3], n, d, max(k, 2), seed=seed, dtype=dtype)
    w = rng.uniform(0.0, 3.0, size=n) if seed % 2 else None
    params = dict(tol=[0.0, 1e-4, 1e-2][seed % 3], max_iter=int(rng.choice([2, 7, 300])))
    init = init_rows(X, k, seed=seed)
    ours = lloyd_of(X, k, init, sample_weight=w, algorithm=BOUNDED["algorithm"], **params)
    lloyd = lloyd_of(X, k, init, sample_weight=w, **params)
    np.testing.assert_array_equal(ours.labels_, lloyd.labels_)
    assert ours.n_iter_ == lloyd.n_iter_
    assert_centers_close(ours.cluster_centers_, lloyd.cluster_centers_, dtype, data_scale(X))
    np.testing.assert_allclose(ours.inertia_, lloyd.inertia_, rtol=RTOL[np.dtype(dtype)])


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
@pytest.mark.parametrize("k", [3, 8, 17, 40])
def test_exact_ties_and_duplicates_same_as_lloyd(k, dtype):
    # Small integers: every distance is exact, so equidistant rows and duplicated centers are true
    # ties, which both go to the lowest index; duplicated rows and centers, k up to n.
    rng = np.random.default_rng(k)
    X = rng.integers(-3, 4, size=(400, 3)).astype(dtype)
    X = np.vstack([X, X[:100]])
    init = X[rng.choice(len(X), size=k, replace=False)].copy()
    init[k // 2] = init[0]
    for max_iter in (1, 2, 5, 300):
        ours = lloyd_of(X, k, init, algorithm=BOUNDED["algorithm"], max_iter=max_iter)
        lloyd = lloyd_of(X, k, init, max_iter=max_iter)
        np.testing.assert_array_equal(ours.labels_, lloyd.labels_)
        np.testing.assert_array_equal(ours.cluster_centers_, lloyd.cluster_centers_)
        assert ours.n_iter_ == lloyd.n_iter_


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
def test_more_clusters_than_distinct_points():
    base = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 5.0]])
    X = np.repeat(base, [5, 4, 3], axis=0)
    for init in ("k-means++", "random", X[[0, 1, 2, 5, 9]]):
        km = kmix.KMeans(5, init=init, n_init=1, random_state=0, algorithm=BOUNDED["algorithm"]).fit(X)
        assert km.labels_.min() >= 0 and km.labels_.max() < 5
        assert np.all(np.isfinite(km.cluster_centers_)) and km.inertia_ <= 1e-12
        np.testing.assert_array_equal(km.predict(X), nearest(X, km.cluster_centers_))
        # (scikit-learn's relocation takes rows that sit on their center in argpartition's
        # unspecified order; kmix's never moves those: compared with kmix's Lloyd)
        lloyd = kmix.KMeans(5, init=init, n_init=1, random_state=0).fit(X)
        np.testing.assert_array_equal(km.labels_, lloyd.labels_)


def test_k_equals_n(dtype):
    X = make_data("uniform", 30, 2, 30, seed=2, dtype=dtype)
    ours, theirs = fit_both(X, 30, X.copy())
    assert_same_fit(ours, theirs, X)
    np.testing.assert_array_equal(ours.labels_, np.arange(30))


# ---- magnitudes, threads, values the kernels must survive -------------------------------------
@pytest.mark.filterwarnings("ignore:inertia_ exceeds the float64 range")
@pytest.mark.parametrize(
    "scale,dtype",
    [
        (1e300, np.float64),
        (1e-300, np.float64),
        (2.0**600, np.float64),
        (2.0**100, np.float32),
        (2.0**-100, np.float32),
    ],
)
def test_extreme_magnitudes_give_the_unscaled_labels(scale, dtype):
    X = make_data("aniso", 1500, 4, 9, seed=6).astype(dtype)
    init = init_rows(X, 9, seed=6)
    plain = lloyd_of(X, 9, init, algorithm=BOUNDED["algorithm"])
    big = lloyd_of(X * dtype(scale), 9, init * dtype(scale), algorithm=BOUNDED["algorithm"])
    np.testing.assert_array_equal(big.labels_, plain.labels_)
    assert big.n_iter_ == plain.n_iter_
    assert big.labels_.min() >= 0 and big.labels_.max() < 9
    np.testing.assert_allclose(
        big.cluster_centers_ / dtype(scale), plain.cluster_centers_, rtol=1e-12 if dtype == np.float64 else 1e-5
    )


def fingerprint(km):
    return (
        hashlib.sha256(km.cluster_centers_.tobytes()).hexdigest(),
        hashlib.sha256(km.labels_.tobytes()).hexdigest(),
        repr(km.inertia_),
        km.n_iter_,
    )


@pytest.mark.parametrize("n,d,k", [(60_000, 8, 40), (40_000, 16, 8), (20_000, 3, 300)])
def test_bit_identical_for_any_thread_count(n, d, k, dtype):
    X = make_blobs(n=n, d=d, k=k, seed=k, std=2.0, spread=6.0, dtype=dtype)[0]
    w = np.random.default_rng(k).uniform(0.5, 2.0, size=n)
    init = init_rows(X, k, seed=k)
    for sw in (None, w):
        prints = {
            nt: fingerprint(
                kmix.KMeans(
                    k, init=init, n_init=1, tol=0.0, max_iter=25, algorithm=BOUNDED["algorithm"], n_threads=nt
                ).fit(X, sample_weight=sw)
            )
            for nt in (1, 2, 3)
        }
        assert prints[1] == prints[2] == prints[3]


def core_elkan(X, C, max_iter=20):
    r = getattr(_core, BOUNDED["algorithm"])(X, None, C, max_iter, 0.0, False, 2)
    assert r["labels"].min() >= 0 and r["labels"].max() < C.shape[0]
    return r


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("k", [1, 3, 8, 20, 70])
def test_labels_in_range_whatever_the_values(k, dtype):
    # The binding takes any values: NaN and infinite rows, NaN centers, magnitudes whose squared
    # distances overflow. Labels stay in [0, k) and NaN rows go to center 0, as Lloyd's.
    rng = np.random.default_rng(k)
    X = rng.standard_normal((700, 5)).astype(dtype)
    X[::13] = np.nan
    X[5::17, 2] = np.inf
    X[7::19, 1] = -np.inf
    C = X[rng.choice(np.flatnonzero(np.isfinite(X).all(1)), size=k, replace=False)].copy()
    r = core_elkan(X, C)
    assert np.all(r["labels"][::13] == 0)
    C_nan = C.copy()
    C_nan[k // 2] = np.nan
    core_elkan(np.nan_to_num(X), C_nan)
    big = np.finfo(dtype).max / 4
    core_elkan(np.nan_to_num(X) * dtype(big / 8), C * dtype(big / 8))
    core_elkan(np.where(rng.random(X.shape) < 0.5, big, -big).astype(dtype), C)


def test_binding_is_lloyds():
    # The same arguments (names, order, defaults) and the same results: KMeans only picks which to call.
    sig = lambda f: f.__doc__.splitlines()[0].split("(", 1)[1]  # noqa: E731
    bounded = getattr(_core, BOUNDED["algorithm"])
    assert sig(bounded) == sig(_core.lloyd)
    X = make_data("blobs", 300, 3, 4, seed=1)
    C = init_rows(X, 4, seed=1)
    a, b = bounded(X, None, C, 50, 0.0, False, 1), _core.lloyd(X, None, C, 50, 0.0, False, 1)
    assert set(a) == set(b)
    np.testing.assert_array_equal(a["labels"], b["labels"])
    assert a["n_iter"] == b["n_iter"] and a["strict"] == b["strict"]


@pytest.mark.parametrize("box,skips", [(1.0, False), (12.0, True)])
def test_distance_counts(box, skips, schedule):
    # Lloyd computes n·k distances per assignment (each step, and the final one unless no label
    # changed); a bounded algorithm never more, and far fewer on separated blobs once its steps
    # are bounded ones (by cost, Elkan at d = 4 keeps Lloyd's steps: its k bounds a row cost more).
    X = make_blobs(n=4000, d=4, k=40, seed=3, std=1.0, spread=box)[0]
    C = init_rows(X, 40, seed=3)
    lloyd = _core.lloyd(X, None, C, 100, 0.0, False, 2)
    assert lloyd["distances"] == 4000 * 40 * (lloyd["n_iter"] + (0 if lloyd["strict"] else 1))
    r = getattr(_core, BOUNDED["algorithm"])(X, None, C, 100, 0.0, False, 2)
    assert r["n_iter"] == lloyd["n_iter"]
    assert 0 < r["distances"] <= lloyd["distances"]
    if skips and schedule == "every-step":
        assert r["distances"] < 0.5 * lloyd["distances"]


def test_algorithm_checked():
    with pytest.raises(ValueError, match="algorithm"):
        kmix.KMeans(3, algorithm="Elkan").fit(make_data("blobs", 50, 2, 3, seed=0))
    with pytest.raises(ValueError, match="algorithm"):
        kmix.KMeans(3, algorithm="full").fit(make_data("blobs", 50, 2, 3, seed=0))
    for name in ("elkan", "hamerly", "auto"):
        assert kmix.KMeans(3, algorithm=name).get_params()["algorithm"] == name


@pytest.mark.parametrize(
    "shape,expected",
    [
        ((100_000, 16, 8), "lloyd"),
        ((100_000, 16, 100), "hamerly"),
        ((50_000, 128, 256), "elkan"),
        ((200_000, 64, 1024), "hamerly"),
        ((1_000_000, 8, 128), "hamerly"),
        ((10, 2, 1), "lloyd"),
    ],
)
def test_auto_picks_by_shape(shape, expected):
    from kmix.kmeans import choose_algorithm

    assert choose_algorithm(*shape) == expected


@pytest.mark.parametrize("k", [4, 20])
def test_auto_is_the_chosen_algorithm(k):
    from kmix.kmeans import choose_algorithm

    X = make_data("blobs", 2000, 60, k, seed=k)
    init = init_rows(X, k, seed=k)
    auto = lloyd_of(X, k, init, algorithm="auto")
    chosen = lloyd_of(X, k, init, algorithm=choose_algorithm(2000, 60, k))
    assert chosen.get_params()["algorithm"] == ("lloyd" if k < 16 else "elkan")
    assert fingerprint(auto) == fingerprint(chosen)
    assert auto.get_params()["algorithm"] == "auto"
