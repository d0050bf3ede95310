"""kmix.KMeans against sklearn.cluster.KMeans(algorithm="lloyd"): same init, same answers."""

import contextlib
import io
import re
import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans as SkKMeans
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus

import kmix
from kmix.kmeans import _mean_variance
from conftest import (
    RTOL,
    assert_centers_close,
    data_scale,
    init_rows,
    inertia_formula,
    make_blobs,
    make_data,
    make_separated_blobs,
    nearest,
    sq_dists,
)


def fit_both(X, k, init, sample_weight=None, **params):
    """kmix and scikit-learn fitted with the same parameters (n_init=1 for an init array)."""
    if not isinstance(init, str) and not callable(init):
        params.setdefault("n_init", 1)
    ours = kmix.KMeans(n_clusters=k, init=init, **params).fit(X, sample_weight=sample_weight)
    theirs = SkKMeans(n_clusters=k, init=init, algorithm="lloyd", **params).fit(X, sample_weight=sample_weight)
    return ours, theirs


def assert_same_fit(ours, theirs, X):
    dtype = np.asarray(X).dtype if np.asarray(X).dtype in (np.float32, np.float64) else np.float64
    assert ours.cluster_centers_.dtype == theirs.cluster_centers_.dtype
    assert ours.cluster_centers_.shape == theirs.cluster_centers_.shape
    assert ours.labels_.dtype == np.int32
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    assert_centers_close(ours.cluster_centers_, theirs.cluster_centers_, dtype, data_scale(X))
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=RTOL[np.dtype(dtype)])
    assert ours.n_features_in_ == theirs.n_features_in_


# ---- explicit init array ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["blobs", "aniso", "uniform", "separated"])
@pytest.mark.parametrize("seed", [0, 1])
def test_same_init_array_same_result(kind, seed, dtype):
    n, d, k = 400, 5, 6
    X = make_data(kind, n, d, k, seed, dtype=dtype)
    init = init_rows(X, k, seed)
    ours, theirs = fit_both(X, k, init)
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
    ],
)
def test_shapes_same_result(n, d, k, dtype):
    # Covers k = 1, d = 1, more centers than a SIMD panel holds, d above the unrolled width, and
    # row counts that are not multiples of the 256-row chunks or the register tiles.
    X = make_data("blobs", n, d, k, seed=n + d + k, dtype=dtype)
    init = init_rows(X, k, seed=k)
    ours, theirs = fit_both(X, k, init)
    assert_same_fit(ours, theirs, X)


@pytest.mark.parametrize("max_iter", [1, 2, 3])
def test_max_iter_reached(max_iter, dtype):
    X = make_data("aniso", 500, 4, 7, seed=3, dtype=dtype)
    init = init_rows(X, 7, seed=3)
    ours, theirs = fit_both(X, 7, init, max_iter=max_iter)
    assert ours.n_iter_ == max_iter
    assert_same_fit(ours, theirs, X)
    # The final assignment makes labels_ the nearest centers of the returned centers.
    np.testing.assert_array_equal(ours.labels_, ours.predict(X))


@pytest.mark.parametrize("tol", [0.0, 1e-6, 1e-2, 0.5])
def test_tolerance_same_stopping(tol):
    X = make_data("aniso", 600, 3, 5, seed=11)
    init = init_rows(X, 5, seed=2)
    ours, theirs = fit_both(X, 5, init, tol=tol)
    assert_same_fit(ours, theirs, X)


@pytest.mark.parametrize("offset", [0.0, 1e6])
@pytest.mark.parametrize("shape", [(1, 3), (7, 1), (1000, 16), (3001, 5), (500, 40)])
def test_tol_scale_is_numpys_mean_variance(shape, offset, dtype):
    # tol is relative to np.var(X, axis=0).mean() (scikit-learn's _tolerance); for float64 kmix
    # computes it in two float64 passes, which must hold up for data far from the origin.
    rng = np.random.default_rng(shape[0])
    X = (rng.standard_normal(shape) * rng.uniform(0.1, 10, shape[1]) + offset).astype(dtype)
    expected = np.var(X.astype(np.float64), axis=0).mean()
    np.testing.assert_allclose(kmix._core.mean_variance(X, 2), expected, rtol=1e-12, atol=1e-300)
    # What fit uses: float32 keeps numpy's float32 value, as scikit-learn's tol does.
    used = _mean_variance(X, 2)
    assert used == (np.var(X, axis=0).mean() if dtype == np.float32 else kmix._core.mean_variance(X, 2))


def test_integer_input_is_float64():
    X = np.rint(make_data("blobs", 300, 3, 4, seed=5) * 100).astype(np.int64)
    init = init_rows(X, 4, seed=0)
    ours, theirs = fit_both(X, 4, init)
    assert ours.cluster_centers_.dtype == np.float64
    assert_same_fit(ours, theirs, X.astype(np.float64))


# ---- seeded inits: the random stream is consumed like scikit-learn's (float64) -----------------
@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("n_init", [1, 3, "auto"])
@pytest.mark.parametrize("seed", [0, 7, 123])
def test_seeded_init_same_result(init, n_init, seed):
    X = make_data("blobs", 500, 4, 5, seed=seed)
    ours, theirs = fit_both(X, 5, init, n_init=n_init, random_state=seed)
    assert_same_fit(ours, theirs, X)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_random_state_object_same_result(init):
    X = make_data("aniso", 400, 3, 6, seed=9)
    rs_ours, rs_theirs = np.random.RandomState(17), np.random.RandomState(17)
    ours = kmix.KMeans(6, init=init, n_init=2, random_state=rs_ours).fit(X)
    theirs = SkKMeans(6, init=init, n_init=2, random_state=rs_theirs).fit(X)
    assert_same_fit(ours, theirs, X)
    # Both consumed the same number of draws from their generators.
    assert rs_ours.randint(1 << 30) == rs_theirs.randint(1 << 30)


def test_callable_init_same_result():
    calls = []

    def my_init(X, n_clusters, random_state):
        calls.append((X.shape, n_clusters, type(random_state)))
        idx = random_state.permutation(X.shape[0])[:n_clusters]
        return X[idx]

    X = make_data("blobs", 400, 3, 4, seed=4)
    ours = kmix.KMeans(4, init=my_init, n_init=3, random_state=5).fit(X)
    n_ours = len(calls)
    theirs = SkKMeans(4, init=my_init, n_init=3, random_state=5).fit(X)
    assert n_ours == 3 and len(calls) == 6
    assert calls[0] == ((400, 3), 4, np.random.RandomState)
    assert_same_fit(ours, theirs, X)


def test_kmeans_plusplus_median_inertia_not_worse_than_sklearn():
    X = make_data("blobs", 600, 2, 8, seed=21)
    ours = [kmix.KMeans(8, init="k-means++", n_init=1, random_state=s).fit(X).inertia_ for s in range(15)]
    theirs = [SkKMeans(8, init="k-means++", n_init=1, random_state=s).fit(X).inertia_ for s in range(15)]
    assert np.median(ours) <= np.median(theirs) * (1 + 1e-9)


# ---- kmeans_plusplus -------------------------------------------------------------------------
@pytest.mark.parametrize("n,d,k", [(100, 2, 1), (500, 3, 5), (5000, 4, 12), (300, 10, 40)])
@pytest.mark.parametrize("seed", [0, 3])
def test_kmeans_plusplus_same_indices(n, d, k, seed):
    X = make_data("blobs", n, d, min(k, 10), seed=seed)
    centers, idx = kmix.kmeans_plusplus(X, k, random_state=seed)
    sk_centers, sk_idx = sk_kmeans_plusplus(X, k, random_state=seed)
    np.testing.assert_array_equal(idx, sk_idx)
    np.testing.assert_array_equal(centers, X[idx])
    np.testing.assert_array_equal(centers, sk_centers)
    assert len(set(idx.tolist())) == k


@pytest.mark.parametrize("n,d,k", [(9000, 5, 60), (4097, 17, 30)])
def test_kmeans_plusplus_over_many_blocks_same_indices(n, d, k):
    # Several blocks of 2048 rows: the first steps move most rows (their blocks' move lists
    # overflow and the chosen candidate's distances are computed again), later ones few (moves
    # applied from the lists); duplicated rows (distance 0) and weights too.
    X = make_data("blobs", n, d, 10, seed=n)
    X[::50] = X[7]
    w = np.random.default_rng(n).uniform(0.2, 2.0, size=n)
    for sw in (None, w):
        centers, idx = kmix.kmeans_plusplus(X, k, sample_weight=sw, random_state=1)
        _, sk_idx = sk_kmeans_plusplus(X, k, sample_weight=sw, random_state=1)
        np.testing.assert_array_equal(idx, sk_idx)
        np.testing.assert_array_equal(centers, X[idx])
        # The greedy rule written in numpy: the same uniforms pick the same candidates.
        rs = np.random.RandomState(1)
        ww = np.ones(n) if sw is None else sw
        first = rs.choice(n, p=ww / ww.sum())
        trials = 2 + int(np.log(k))
        uniforms = rs.uniform(size=(k - 1) * trials)
        np.testing.assert_array_equal(idx, greedy_plusplus(X, ww, first, uniforms, trials, k))


def greedy_plusplus(X, w, first, uniforms, trials, k):
    """Greedy k-means++ in numpy from the first row and the uniforms (trials per step): each
    step's candidates are the first rows whose cumulative w·closest reaches u·total, and the one
    leaving the least total is chosen."""
    X = np.asarray(X, np.float64)
    picks = [int(first)]
    closest = ((X - X[first]) ** 2).sum(1)
    for step in range(1, k):
        cum = np.cumsum(w * closest)
        u = uniforms[(step - 1) * trials : step * trials]
        cand = np.minimum(np.searchsorted(cum, u * cum[-1]), len(X) - 1)
        dist = np.minimum(closest, ((X[None, :, :] - X[cand][:, None, :]) ** 2).sum(2))
        best = int(np.argmin((dist * w).sum(1)))  # (not dist @ w: BLAS may round equal rows unequally)
        picks.append(int(cand[best]))
        closest = dist[best]
    return np.array(picks)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n,d,k,trials", [(1001, 3, 40, 5), (4500, 20, 25, 40), (300, 1, 30, 3)])
def test_kmeans_plusplus_exact_on_a_lattice(dtype, n, d, k, trials):
    # Small integers and integer weights: every distance and sum is exact, so the greedy rule in
    # numpy must pick the same rows, though a lattice is full of ties between a row's distance to
    # a candidate and to its center (the sketch test may never call those "surely not nearer";
    # a row moves only where strictly nearer). Several blocks, a partial tile, up to 40 trials.
    rng = np.random.default_rng(n + d)
    X = rng.integers(0, 6, size=(n, d)).astype(dtype)
    w = rng.integers(1, 4, size=n).astype(dtype)
    uniforms = rng.uniform(size=(k - 1) * trials)
    first = int(rng.integers(n))
    want = greedy_plusplus(X, w.astype(np.float64), first, uniforms, trials, k)
    for threads in (1, 2):
        got = kmix._core.kmeans_plusplus(X, w, k, first, uniforms, trials, threads)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n,d,k", [(12000, 4, 150), (6000, 2, 300), (5000, 9, 40)])
def test_kmeans_plusplus_separated_clusters_exact(dtype, n, d, k):
    # Many well separated clusters: after the first steps the triangle inequality rules out most
    # pairs (whole tiles skipped, few moves per block), with the sketch at k >= 32 and without it
    # below. Duplicated rows, zero and unequal weights, several blocks; the same picks as the
    # greedy rule in numpy, and as scikit-learn, with one thread or two.
    rng = np.random.default_rng(n + k)
    centers = rng.uniform(-1000, 1000, size=(k, d))
    X = (centers[rng.integers(0, k, size=n)] + rng.normal(size=(n, d))).astype(dtype)
    X[::37] = X[5]
    w = rng.uniform(0.5, 2.0, size=n).astype(dtype)
    w[::11] = 0
    trials = 2 + int(np.log(k))
    uniforms = rng.uniform(size=(k - 1) * trials)
    first = int(rng.integers(n))
    want = greedy_plusplus(X, w.astype(np.float64), first, uniforms, trials, k)
    for threads in (1, 2):
        np.testing.assert_array_equal(kmix._core.kmeans_plusplus(X, w, k, first, uniforms, trials, threads), want)
    if dtype == np.float64:
        _, idx = kmix.kmeans_plusplus(X, k, sample_weight=w, random_state=2)
        _, sk_idx = sk_kmeans_plusplus(X, k, sample_weight=w, random_state=2)
        np.testing.assert_array_equal(idx, sk_idx)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["gaussian", "near twins", "repeats"])
def test_kmeans_plusplus_estimated_steps_pick_as_the_exact_rule(dtype, kind):
    # From 32 clusters on, a step first bounds each candidate's potential from the sketch alone;
    # where the bounds overlap, the exact gains of the candidates still in the running (from
    # their recorded pairs); only then every pair's exact distance. One overlapping Gaussian
    # (the bounds mostly decide), rows in pairs 1e-9 apart (candidates whose potentials differ by
    # far less than the sketch's error: the exact gains decide) and 150 points repeated (equal
    # potentials of distinct rows: the first candidate, by the exact sums). Several blocks,
    # unequal weights.
    rng = np.random.default_rng(["gaussian", "near twins", "repeats"].index(kind))
    n, d, k, trials = 9000, 12, 48, 6
    X = rng.normal(size=(n, d))
    if kind == "near twins":
        X[1::2] = X[::2] + 1e-9 * rng.normal(size=(n // 2, d))
    elif kind == "repeats":
        X = X[rng.integers(0, 150, size=n)]
    X = X.astype(dtype)
    w = rng.uniform(0.5, 2.0, size=n).astype(dtype)
    uniforms = rng.uniform(size=(k - 1) * trials)
    first = int(rng.integers(n))
    want = greedy_plusplus(X, w.astype(np.float64), first, uniforms, trials, k)
    for threads in (1, 2):
        np.testing.assert_array_equal(kmix._core.kmeans_plusplus(X, w, k, first, uniforms, trials, threads), want)


@pytest.mark.parametrize("scale", [-500, -300, -130, 130, 300, 500])
def test_kmeans_plusplus_core_far_outside_float32(scale):
    # The C++ seeding called on values whose bfloat16 sketch underflows to 0 or overflows to inf
    # (the estimators rescale X first; the kernel must be exact anyway): multiplying by 2^scale is
    # exact in float64, every distance scales by 4^scale, so the same rows are picked.
    rng = np.random.default_rng(7)
    X = make_data("blobs", 3000, 6, 8, seed=2)
    w = rng.uniform(0.5, 2.0, size=3000)
    k, trials = 12, 4
    uniforms = rng.uniform(size=(k - 1) * trials)
    ref = kmix._core.kmeans_plusplus(X, w, k, 11, uniforms, trials, 2)
    Y = np.ldexp(X, scale)
    np.testing.assert_array_equal(np.ldexp(Y, -scale), X)
    np.testing.assert_array_equal(kmix._core.kmeans_plusplus(Y, w, k, 11, uniforms, trials, 2), ref)
    # A few huge rows among ordinary ones (float32 squares overflow in the sketch's tile).
    Z = X.copy()
    Z[::97] *= 2.0**70
    Z32 = Z.astype(np.float32)
    for data in (Z, Z32):
        got = kmix._core.kmeans_plusplus(data, w.astype(data.dtype), k, 11, uniforms, trials, 2)
        want = greedy_plusplus(data, w.astype(data.dtype).astype(np.float64), 11, uniforms, trials, k)
        np.testing.assert_array_equal(got, want)


def test_kmeans_plusplus_weights_and_trials():
    X = make_data("aniso", 800, 3, 6, seed=2)
    w = np.random.default_rng(0).uniform(0.1, 3.0, size=800)
    for trials in (None, 1, 7):
        _, idx = kmix.kmeans_plusplus(X, 6, sample_weight=w, random_state=4, n_local_trials=trials)
        _, sk_idx = sk_kmeans_plusplus(X, 6, sample_weight=w, random_state=4, n_local_trials=trials)
        np.testing.assert_array_equal(idx, sk_idx)


def test_kmeans_plusplus_float32_returns_rows(dtype):
    X = make_data("blobs", 300, 3, 4, seed=1, dtype=dtype)
    centers, idx = kmix.kmeans_plusplus(X, 4, random_state=0)
    assert centers.dtype == X.dtype
    np.testing.assert_array_equal(centers, X[idx])
    assert len(np.unique(idx)) == 4 and idx.min() >= 0 and idx.max() < X.shape[0]


# ---- fitted-model methods --------------------------------------------------------------------
def test_labels_equal_predict_and_sklearn_predict(dtype):
    X = make_data("aniso", 500, 4, 5, seed=8, dtype=dtype)
    ours, theirs = fit_both(X, 5, init_rows(X, 5, 8))
    np.testing.assert_array_equal(ours.labels_, ours.predict(X))
    X_new = make_data("uniform", 200, 4, 5, seed=99, dtype=dtype) * 10
    pred = ours.predict(X_new)
    assert pred.dtype == np.int32
    np.testing.assert_array_equal(pred, theirs.predict(X_new))
    np.testing.assert_array_equal(pred, nearest(X_new, ours.cluster_centers_))


@pytest.mark.parametrize("m", list(range(1, 12)) + [255, 256, 257, 513])
def test_predict_any_number_of_rows(m, dtype):
    # Row counts around the register tiles (4 or 8 rows) and the 256-row chunks.
    X = make_data("blobs", 400, 5, 9, seed=2, dtype=dtype)
    km = kmix.KMeans(9, random_state=0).fit(X)
    Y = make_data("separated", m, 5, 9, seed=m, dtype=dtype)
    np.testing.assert_array_equal(km.predict(Y), nearest(Y, km.cluster_centers_))
    np.testing.assert_allclose(
        km.transform(Y), np.sqrt(sq_dists(Y, km.cluster_centers_)), rtol=1e-12 if dtype == np.float64 else 1e-5
    )


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64])
def test_predict_exact_ties_pick_the_first_center(k, dtype):
    # Small integers: every distance is exact in both dtypes, so rows equidistant from several
    # centers (and duplicated centers) are true ties, and numpy's argmin (first index) decides.
    # k spans the one-panel, two-panel and panel-by-panel paths of the assignment kernel.
    rng = np.random.default_rng(k)
    d = 3
    C = rng.integers(-2, 3, size=(k, d)).astype(dtype)
    C[k // 2] = C[0]  # a duplicated center: its rows must all go to the first copy
    X = rng.integers(-3, 4, size=(600, d)).astype(dtype)
    with warnings.catch_warnings():  # the duplicated center leaves fewer distinct clusters
        warnings.simplefilter("ignore", RuntimeWarning)
        km = kmix.KMeans(k, init=C, n_init=1, max_iter=1).fit(np.vstack([C, X]))
    km.cluster_centers_ = C.copy()  # predict with exactly these centers
    expected = sq_dists(X.astype(np.float64), C.astype(np.float64)).argmin(axis=1)
    np.testing.assert_array_equal(km.predict(X), expected)
    # the data do contain ties, else this test would prove nothing
    dist = sq_dists(X.astype(np.float64), C.astype(np.float64))
    assert k == 1 or np.count_nonzero((dist == dist.min(axis=1, keepdims=True)).sum(axis=1) > 1) > 0


def test_refit_replaces_everything():
    km = kmix.KMeans(3, random_state=0).fit(make_data("blobs", 200, 3, 3, seed=0))
    X5 = make_data("blobs", 300, 5, 3, seed=1)
    km.fit(X5)
    theirs = SkKMeans(3, random_state=0).fit(X5)
    assert_same_fit(km, theirs, X5)
    assert km.n_features_in_ == 5 and km.labels_.shape == (300,)
    with pytest.raises(ValueError, match="X"):
        km.predict(np.zeros((2, 3)))


def test_fit_predict_matches_sklearn(dtype):
    X = make_data("blobs", 300, 2, 3, seed=1, dtype=dtype)
    init = init_rows(X, 3, 1)
    ours = kmix.KMeans(3, init=init, n_init=1).fit_predict(X)
    theirs = SkKMeans(3, init=init, n_init=1).fit_predict(X)
    np.testing.assert_array_equal(ours, theirs)


def test_transform_is_distance_to_centers(dtype):
    X = make_data("blobs", 300, 3, 4, seed=2, dtype=dtype)
    ours, theirs = fit_both(X, 4, init_rows(X, 4, 2))
    D = ours.transform(X)
    assert D.shape == (300, 4) and D.dtype == X.dtype
    expected = np.sqrt(sq_dists(X, ours.cluster_centers_))
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(D, expected, rtol=rtol, atol=rtol * data_scale(X))
    np.testing.assert_allclose(D, theirs.transform(X), rtol=RTOL[np.dtype(dtype)], atol=1e-4 * data_scale(X))
    D2 = kmix.KMeans(4, init=init_rows(X, 4, 2), n_init=1).fit_transform(X)
    np.testing.assert_allclose(D2, expected, rtol=rtol, atol=rtol * data_scale(X))


def test_score_is_minus_inertia(dtype):
    X = make_data("aniso", 400, 3, 4, seed=6, dtype=dtype)
    ours, theirs = fit_both(X, 4, init_rows(X, 4, 6))
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours.inertia_, inertia_formula(X, ours.cluster_centers_, ours.labels_), rtol=rtol)
    np.testing.assert_allclose(ours.score(X), -ours.inertia_, rtol=rtol)
    X_new = make_data("uniform", 100, 3, 4, seed=7, dtype=dtype) * 5
    w = np.random.default_rng(1).uniform(0, 2, size=100)
    lab = nearest(X_new, ours.cluster_centers_)
    np.testing.assert_allclose(ours.score(X_new), -inertia_formula(X_new, ours.cluster_centers_, lab), rtol=rtol)
    np.testing.assert_allclose(
        ours.score(X_new, sample_weight=w), -inertia_formula(X_new, ours.cluster_centers_, lab, w), rtol=rtol
    )
    np.testing.assert_allclose(
        ours.score(X_new, sample_weight=w), theirs.score(X_new, sample_weight=w), rtol=RTOL[np.dtype(dtype)]
    )


def test_copy_x_leaves_input_untouched(dtype):
    X = make_data("blobs", 300, 3, 4, seed=3, dtype=dtype) + 100  # far from 0: centring matters
    X_before = X.copy()
    init = init_rows(X, 4, 0)
    init_before = init.copy()
    ours = kmix.KMeans(4, init=init, n_init=1, copy_x=True).fit(X)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(init, init_before)
    # copy_x=False centres X in place and puts it back (up to rounding), with the same answer.
    X2 = X.copy()
    ours2 = kmix.KMeans(4, init=init, n_init=1, copy_x=False).fit(X2)
    np.testing.assert_allclose(X2, X_before, rtol=1e-6 if dtype == np.float32 else 1e-13)
    np.testing.assert_array_equal(ours2.labels_, ours.labels_)
    np.testing.assert_array_equal(ours2.cluster_centers_, ours.cluster_centers_)
    theirs = SkKMeans(4, init=init, n_init=1, copy_x=False).fit(X.copy())
    assert_same_fit(ours2, theirs, X)


# ---- empty clusters and degenerate data ------------------------------------------------------
def test_single_empty_cluster_relocated_like_sklearn():
    X = make_blobs(n=300, d=3, k=3, seed=1)[0]
    init = np.vstack([init_rows(X, 3, seed=0), np.full((1, 3), 1e3)])  # one center far away
    ours, theirs = fit_both(X, 4, init)
    # The far center gets no point in the first step, so the farthest point is moved to it.
    assert_same_fit(ours, theirs, X)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-9)
    assert np.unique(ours.labels_).size == 4
    assert np.all(np.linalg.norm(ours.cluster_centers_ - 1e3, axis=1) > 100)


def test_two_empty_clusters_relocated_like_sklearn():
    # With two empty clusters scikit-learn's argpartition order is still fully determined
    # (farthest point first), so the results must agree exactly as well.
    X = make_blobs(n=300, d=3, k=3, seed=1)[0]
    init = np.vstack([init_rows(X, 2, seed=0), np.full((1, 3), 1e3), np.full((1, 3), -2e3)])
    ours, theirs = fit_both(X, 4, init)
    assert_same_fit(ours, theirs, X)
    assert np.unique(ours.labels_).size == 4


def test_empty_cluster_float32_relocated(dtype):
    X = make_separated_blobs(n=300, d=2, k=3, seed=4, dtype=dtype)[0]
    init = np.vstack([init_rows(X, 3, seed=0), np.full((1, 2), 1e3, dtype=dtype)])
    ours, theirs = fit_both(X, 4, init)
    assert_same_fit(ours, theirs, X)
    assert np.unique(ours.labels_).size == 4


# 1-D: ten points in [0, 1] and one at 10. Of the initial centers, `donor` (15) is nearest only
# to the point at 10, `bulk` (0.1) to the ten others, and 1000 to nothing. After the first
# assignment cluster 2 is empty; the point farthest from its center is 10 (squared distance 25),
# the only member of the donor cluster, so the relocation leaves the donor cluster empty in turn.
# scikit-learn's _average_centers then gives the still-empty cluster the row of the heaviest
# cluster *as it stands in its loop over clusters*: the averaged center if the heaviest cluster
# has a lower index, but still the unaveraged weighted sum if it has a higher index.
RELOCATION_X = np.r_[np.linspace(0.0, 1.0, 10), 10.0][:, None]


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
def test_relocation_emptying_a_cluster_heaviest_first_matches_sklearn():
    init = np.array([[0.1], [15.0], [1000.0]])  # heaviest (bulk) cluster before the donor
    ours, theirs = fit_both(RELOCATION_X, 3, init, max_iter=1)
    assert_same_fit(ours, theirs, RELOCATION_X)
    np.testing.assert_allclose(ours.cluster_centers_.ravel(), [0.5, 0.5, 10.0], rtol=1e-12)


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
def test_relocation_emptying_a_cluster_matches_sklearn():
    init = np.array([[15.0], [0.1], [1000.0]])  # donor cluster before the heaviest (bulk) one
    ours, theirs = fit_both(RELOCATION_X, 3, init, max_iter=1)
    # scikit-learn: centers [-7.2727..., 0.5, 10], labels [1]*10 + [2]; kmix: [0.5, 0.5, 10], [0]*10 + [2]
    assert_same_fit(ours, theirs, RELOCATION_X)


# Three distinct rows, four clusters, the init repeating a row: every row sits on its center, and
# which row the relocation moves is decided by rounding (x·w·(1/w) need not be x). With weights 5
# the row moved in the second step is the only member of cluster 0, which is left empty and takes
# the heaviest cluster's unaveraged sum; strict convergence then keeps the first step's labels.
# So labels_ name a center outside the data: scikit-learn's two quirks at once (found by the fuzz
# test), reproduced bit for bit.
@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
def test_stale_labels_and_undivided_center_match_sklearn():
    X = np.array(
        [
            [0.9091452127202385, 0.6525056443681696],
            [-0.2221706334507355, -1.2068094517591883],
            [-2.066348086209916, 0.34155856252382527],
        ]
    )[[0, 1, 2, 1, 1]]
    ours, theirs = fit_both(X, 4, X[[2, 3, 0, 2]], sample_weight=np.full(5, 5.0))
    assert_same_fit(ours, theirs, X)
    np.testing.assert_array_equal(ours.cluster_centers_, theirs.cluster_centers_)
    assert not np.array_equal(ours.predict(X), ours.labels_)  # the quirk this test pins down


# Without sample weights kmix keeps the cluster sums from step to step and moves only the rows
# whose label changed. Here cluster 1 has three rows after the first step and none after the
# second: its kept count reaches 0, and it must be relocated as scikit-learn relocates it.
@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
def test_cluster_emptied_after_the_first_step_matches_sklearn():
    X = np.array([4.6, 8.8, 8.5, 4.5, 4.1, 7.1, 8.2, 4.2])[:, None]
    init = np.array([[7.7], [6.6], [1.9]])
    for max_iter in (1, 2, 3, 300):
        ours, theirs = fit_both(X, 3, init, max_iter=max_iter)
        assert_same_fit(ours, theirs, X)
        np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kept_sums_after_many_moves_are_the_means_of_the_labels(dtype):
    # Overlapping blobs and more clusters than blobs: many rows change cluster over many steps.
    # At strict convergence the centers are the means of the final labels' rows (numpy, float64).
    X = make_data("blobs", 20_000, 5, 4, seed=12, dtype=dtype)
    init = init_rows(X, 20, seed=12)
    ours, theirs = fit_both(X, 20, init, tol=0.0, max_iter=1000)
    assert 20 < ours.n_iter_ < 1000  # many steps, then no label changed
    if dtype == np.float64:  # (float32: scikit-learn's float32 sums move near-ties over so many steps)
        assert_same_fit(ours, theirs, X)
    X64 = X.astype(np.float64)
    means = np.array([X64[ours.labels_ == c].mean(axis=0) for c in range(20)])
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(ours.cluster_centers_, means, rtol=rtol, atol=rtol * np.abs(X64).max())


# Kept sums carry the rounding of every move; on heavy-tailed data that reached 1.3e-9 relative
# in a center element after 19 steps. The centers a fit returns come from fresh sums: the last
# step (max_iter) sums afresh, and so does a step that stops the fit early.
@pytest.mark.parametrize("sigma,seed", [(3.0, 1), (2.5, 1)])
@pytest.mark.parametrize("tol,max_iter", [(0.0, 300), (1e-4, 300), (0.0, 15)])
def test_heavy_tailed_centers_as_accurate_as_fresh_sums(sigma, seed, tol, max_iter):
    rng = np.random.default_rng(seed)
    X = rng.lognormal(0.0, sigma, size=(20_000, 4))
    init = X[rng.choice(X.shape[0], 12, replace=False)].copy()
    ours, theirs = fit_both(X, 12, init, tol=tol, max_iter=max_iter)
    assert ours.n_iter_ > 10
    assert_same_fit(ours, theirs, X)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-11, atol=0)


def test_more_clusters_than_distinct_points():
    base = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 5.0]])
    X = np.repeat(base, [5, 4, 3], axis=0)
    for init in ("k-means++", "random", X[[0, 1, 2, 5, 9]]):
        km = kmix.KMeans(5, init=init, n_init=1, random_state=0)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            km.fit(X)
        assert any("distinct clusters" in str(r.message) for r in rec)
        assert km.cluster_centers_.shape == (5, 2)
        assert np.all(np.isfinite(km.cluster_centers_))
        assert np.isfinite(km.inertia_)
        assert km.labels_.min() >= 0 and km.labels_.max() < 5
        # Every point sits on a center: the best possible inertia is 0.
        np.testing.assert_allclose(km.inertia_, inertia_formula(X, km.cluster_centers_, km.labels_), atol=1e-12)
        assert km.inertia_ <= 1e-12
        np.testing.assert_array_equal(km.predict(X), nearest(X, km.cluster_centers_))
        # The same points get the same cluster.
        for row in base:
            assert np.unique(km.labels_[(X == row).all(1)]).size == 1


def test_all_points_identical():
    X = np.ones((10, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = kmix.KMeans(3, random_state=0, n_init=1).fit(X)
    assert np.all(np.isfinite(km.cluster_centers_))
    np.testing.assert_allclose(km.cluster_centers_, 1.0)
    assert km.inertia_ == 0.0


def test_k_equals_n():
    X = make_data("uniform", 12, 3, 12, seed=0)
    ours, theirs = fit_both(X, 12, X.copy())
    assert_same_fit(ours, theirs, X)
    assert ours.inertia_ == 0.0
    np.testing.assert_array_equal(np.sort(ours.labels_), np.arange(12))


def test_explicit_init_with_n_init_warns_like_sklearn():
    X = make_data("blobs", 200, 2, 3, seed=0)
    init = init_rows(X, 3, 0)
    with pytest.warns(RuntimeWarning, match="Explicit initial center"):
        ours = kmix.KMeans(3, init=init, n_init=4).fit(X)
    with pytest.warns(RuntimeWarning, match="Explicit initial center"):
        theirs = SkKMeans(3, init=init, n_init=4).fit(X)
    assert_same_fit(ours, theirs, X)


# ---- verbose ---------------------------------------------------------------------------------
def _capture(fn):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn()
    return buf.getvalue()


def _parse_iterations(text):
    return [
        float(m.group(1)) for m in re.finditer(r"^Iteration \d+, inertia ([-+0-9.eE]+?)[.,]?(?: |$)", text, flags=re.M)
    ]


@pytest.mark.parametrize("case", ["strict", "tol", "max_iter"])
def test_verbose_output_matches_sklearn(case):
    X = make_data("aniso", 400, 3, 5, seed=12)
    init = init_rows(X, 5, 12)
    params = {"strict": dict(tol=0.0), "tol": dict(tol=3e-2), "max_iter": dict(max_iter=2, tol=0.0)}[case]
    ours = kmix.KMeans(5, init=init, n_init=1, verbose=1, **params)
    theirs = SkKMeans(5, init=init, n_init=1, verbose=1, **params)
    out_ours = _capture(lambda: ours.fit(X))
    out_theirs = _capture(lambda: theirs.fit(X))
    assert ours.n_iter_ == theirs.n_iter_

    lines = out_ours.strip().splitlines()
    assert lines[0] == "Initialization complete"
    iter_lines = [ln for ln in lines if ln.startswith("Iteration ")]
    assert len(iter_lines) == ours.n_iter_
    for i, ln in enumerate(iter_lines):
        assert re.fullmatch(rf"Iteration {i}, inertia \S+, center shift \S+\.", ln), ln
    assert len(_parse_iterations(out_theirs)) == theirs.n_iter_
    np.testing.assert_allclose(_parse_iterations(out_ours), _parse_iterations(out_theirs), rtol=1e-5)
    # Per-iteration inertia is computed against the centers of that iteration: never increasing.
    inertias = _parse_iterations(out_ours)
    assert all(b <= a * (1 + 1e-5) for a, b in zip(inertias, inertias[1:]))

    conv_ours = [ln for ln in lines if ln.startswith("Converged at iteration")]
    conv_theirs = [ln for ln in out_theirs.splitlines() if ln.startswith("Converged at iteration")]
    assert len(conv_ours) == len(conv_theirs)
    if case == "max_iter":
        assert conv_ours == []
    else:
        assert conv_ours[0].startswith(f"Converged at iteration {ours.n_iter_ - 1}:")
        assert ("strict convergence" if case == "strict" else "within tolerance") in conv_theirs[0]
        assert ("strict convergence" in conv_ours[0]) == ("strict convergence" in conv_theirs[0])
        assert ("within tolerance" in conv_ours[0]) == ("within tolerance" in conv_theirs[0])
        if case == "tol":
            got = [float(v) for v in re.findall(r"[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?", conv_ours[0].split(":")[1])]
            want = [float(v) for v in re.findall(r"[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?", conv_theirs[0].split(":")[1])]
            np.testing.assert_allclose(got, want, rtol=1e-5)


def test_verbose_zero_prints_nothing():
    X = make_data("blobs", 200, 2, 3, seed=0)
    assert _capture(lambda: kmix.KMeans(3, random_state=0).fit(X)) == ""


def test_verbose_each_init_reported():
    X = make_data("blobs", 200, 2, 3, seed=0)
    ours = _capture(lambda: kmix.KMeans(3, init="random", n_init=3, random_state=0, verbose=1).fit(X))
    theirs = _capture(lambda: SkKMeans(3, init="random", n_init=3, random_state=0, verbose=1).fit(X))
    assert ours.count("Initialization complete") == theirs.count("Initialization complete") == 3
    np.testing.assert_allclose(_parse_iterations(ours), _parse_iterations(theirs), rtol=1e-5)
