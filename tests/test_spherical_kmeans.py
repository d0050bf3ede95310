"""kmix.SphericalKMeans and kmix.MiniBatchSphericalKMeans: spherical (cosine) k-means.

Checked against an independent numpy implementation of the procedure written here (Dhillon &
Modha 2001: unit rows, assignment by largest cosine similarity, centers the normalized weighted
sums, tol on the squared center shift scaled by the mean per-feature variance of the unit rows,
empty clusters relocated to the rows least similar to their own centers) and of greedy k-means++
with the cosine distance 1 − cos as the D² weight; on directional data (von Mises–Fisher-like
clusters scaled by random magnitudes); and for the estimator API (zero rows, parameters,
threads, persistence, scikit-learn interop and estimator checks, select_k).
"""

import pickle
import warnings

import numpy as np
import pytest

import kmix
from kmix.spherical import spherical_kmeans_plusplus

sp = pytest.importorskip("scipy.sparse")


# ---- data ----------------------------------------------------------------------------------------
def unit(A):
    A = np.asarray(A, dtype=np.float64)
    return A / np.linalg.norm(A, axis=1, keepdims=True)


def make_directions(n=600, d=32, k=4, seed=0, noise=0.25, mag_range=(1e-2, 1e2), max_cos=0.5):
    """vMF-like clusters on the sphere: k unit mean directions (pairwise cosine <= max_cos), each
    row its direction plus isotropic Gaussian noise of total norm ~noise, normalized, then scaled by
    a log-uniform positive magnitude (so direction, not length, defines the cluster).
    Returns (X, labels, directions)."""
    rng = np.random.default_rng(seed)
    mus = []
    while len(mus) < k:
        cand = unit(rng.standard_normal((1, d)))[0]
        if all(abs(cand @ m) <= max_cos for m in mus):
            mus.append(cand)
    mus = np.array(mus)
    labels = np.arange(n) % k
    rng.shuffle(labels)
    V = unit(mus[labels] + rng.standard_normal((n, d)) * (noise / np.sqrt(d)))
    lo, hi = np.log10(mag_range[0]), np.log10(mag_range[1])
    mags = 10.0 ** rng.uniform(lo, hi, size=n)
    return V * mags[:, None], labels, mus


def make_text(n=600, d=64, k=5, seed=0, support=8, background=0.1):
    """Text-like sparse counts: each topic a distribution over its own `support` words (disjoint
    supports), a document of 20..400 words drawn from 0.9·topic + 0.1·uniform background. Returns
    (CSR float64 X, labels)."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(d)
    topics = np.zeros((k, d))
    for t in range(k):
        words = perm[t * support : (t + 1) * support]
        topics[t, words] = rng.dirichlet(np.ones(support) * 2.0)
    probs = (1 - background) * topics + background / d
    labels = np.arange(n) % k
    rng.shuffle(labels)
    lengths = rng.integers(20, 401, size=n)
    counts = np.array([rng.multinomial(L, probs[c]) for L, c in zip(lengths, labels)], dtype=np.float64)
    assert (counts.sum(axis=1) > 0).all()
    return sp.csr_matrix(counts), labels


def make_gauss(n, d, seed):
    """Rows with no structure (continuous, so no ties): Gaussian with a common offset, so the
    directions are not uniform."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) + rng.uniform(-1, 1, size=d)


def make_sparse(n, d, seed, density=0.3):
    """A random CSR float64 matrix in which every row has at least one nonzero."""
    rng = np.random.default_rng(seed)
    D = rng.standard_normal((n, d)) * (rng.random((n, d)) < density)
    empty = np.flatnonzero(~D.any(axis=1))
    D[empty, rng.integers(0, d, size=empty.size)] = 1.0 + rng.random(empty.size)
    return sp.csr_matrix(D)


def dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)


def ari(a, b):
    metrics = pytest.importorskip("sklearn.metrics")
    return metrics.adjusted_rand_score(a, b)


# ---- the numpy reference -------------------------------------------------------------------------
def ref_spherical(X, init, sample_weight=None, max_iter=300, tol=1e-4):
    """Spherical k-means from the init centers, in float64 numpy. Returns
    (centers, labels, inertia, n_iter, relocations) with relocations the number of iterations in
    which an empty cluster was relocated."""
    Xn = unit(dense(X))
    n, d = Xn.shape
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    C = unit(init)
    k = C.shape[0]
    tol_abs = tol * np.var(Xn, axis=0).mean() if tol else 0.0
    relocations = 0
    it = 0
    for it in range(1, max_iter + 1):
        S = Xn @ C.T
        labels = np.argmax(S, axis=1)  # the lowest index on ties
        sums = np.zeros((k, d))
        np.add.at(sums, labels, w[:, None] * Xn)
        weights = np.bincount(labels, weights=w, minlength=k)
        empty = np.flatnonzero(~(weights > 0))
        if empty.size:
            relocations += 1
            # Rows of positive weight, least similar to their own center first (ties: row index).
            sim = S[np.arange(n), labels]
            candidates = [i for i in np.argsort(sim, kind="stable") if w[i] > 0][: empty.size]
            for i, target in zip(candidates, empty):
                sums[labels[i]] -= w[i] * Xn[i]
                weights[labels[i]] -= w[i]
                sums[target] = w[i] * Xn[i]
                weights[target] = w[i]
        norms = np.linalg.norm(sums, axis=1)
        new = np.where((norms > 0)[:, None], sums / np.where(norms > 0, norms, 1.0)[:, None], C)
        shift = float(((new - C) ** 2).sum())
        C = new
        if shift <= tol_abs:
            break
    S = Xn @ C.T
    labels = np.argmax(S, axis=1)
    inertia = float((w * (1.0 - S[np.arange(n), labels])).sum())
    return C, labels, inertia, it, relocations


def ref_kmeanspp(X, k, random_state, sample_weight=None):
    """Greedy k-means++ with D² = 1 − cos on the unit rows, drawing from the RandomState as
    scikit-learn's _kmeans_plusplus does (kmix draws all the trial uniforms at once, right after
    the first center: the same stream). Returns the chosen row indices."""
    Xn = unit(dense(X))
    n = Xn.shape[0]
    rs = np.random.RandomState(random_state)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    trials = 2 + int(np.log(k))
    first = rs.choice(n, p=w / w.sum())
    uniforms = rs.uniform(size=(k - 1) * trials)
    ids = [int(first)]
    closest = np.maximum(1.0 - Xn @ Xn[first], 0.0)
    pot = float((w * closest).sum())
    for c in range(1, k):
        rand_vals = uniforms[(c - 1) * trials : c * trials] * pot
        cand = np.searchsorted(np.cumsum(w * closest), rand_vals)
        np.clip(cand, None, n - 1, out=cand)
        dist = np.maximum(1.0 - Xn[cand] @ Xn.T, 0.0)
        np.minimum(closest, dist, out=dist)
        pots = (dist * w[None, :]).sum(axis=1)
        best = int(np.argmin(pots))
        pot, closest = float(pots[best]), dist[best]
        ids.append(int(cand[best]))
    return np.array(ids)


def assert_matches_reference(est, ref, rtol_inertia=1e-10, atol_centers=1e-10):
    C, labels, inertia, n_iter, _ = ref
    np.testing.assert_allclose(est.cluster_centers_, C, rtol=0, atol=atol_centers)
    np.testing.assert_array_equal(est.labels_, labels)
    np.testing.assert_allclose(est.inertia_, inertia, rtol=rtol_inertia)
    assert est.n_iter_ == n_iter


def init_from(X, k, seed):
    """k random rows of X plus a little dense noise (no row of sparse X is then orthogonal to
    every center: exact similarity ties are tested on their own), each scaled by its own positive
    factor (the estimator normalizes init arrays)."""
    rng = np.random.default_rng(seed + 1000)
    idx = rng.choice(X.shape[0], size=k, replace=False)
    rows = unit(dense(X)[idx]) + 0.05 * rng.standard_normal((k, X.shape[1]))
    return rows * rng.uniform(0.1, 10.0, size=(k, 1))


# ---- (a) against the reference -------------------------------------------------------------------
@pytest.mark.parametrize("n,d,k,seed", [(200, 5, 3, 0), (500, 20, 6, 1), (1000, 8, 10, 2), (300, 3, 7, 3)])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_matches_numpy_reference(n, d, k, seed, fmt, weighted):
    X = make_gauss(n, d, seed) if fmt == "dense" else make_sparse(n, d, seed)
    init = init_from(X, k, seed)
    sw = np.random.default_rng(seed + 7).uniform(0.0, 3.0, size=n) if weighted else None
    ref = ref_spherical(X, init, sw)
    assert ref[3] > 1  # the comparison covers several iterations
    est = kmix.SphericalKMeans(k, init=init, n_init=1).fit(X, sample_weight=sw)
    assert_matches_reference(est, ref)
    np.testing.assert_allclose(np.linalg.norm(est.cluster_centers_, axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(est.score(X, sample_weight=sw), -est.inertia_, rtol=1e-10)


@pytest.mark.parametrize("tol,max_iter", [(0.0, 300), (1e-2, 300), (1e-4, 3), (0.0, 1)])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_reference_tol_and_max_iter(tol, max_iter, fmt):
    X = make_gauss(800, 6, 11) if fmt == "dense" else make_sparse(800, 6, 11, density=0.5)
    init = init_from(X, 5, 11)
    ref = ref_spherical(X, init, max_iter=max_iter, tol=tol)
    est = kmix.SphericalKMeans(5, init=init, max_iter=max_iter, tol=tol).fit(X)
    assert_matches_reference(est, ref)


SPARSE_FORMATS = [
    "csr_matrix",
    "csc_matrix",
    "coo_matrix",
    "lil_matrix",
    "dok_matrix",
    "bsr_matrix",
    "csr_array",
    "coo_array",
]


@pytest.mark.parametrize("fmt", SPARSE_FORMATS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_formats_and_index_dtypes(fmt, dtype):
    X = make_sparse(200, 8, 41, density=0.6).astype(dtype)
    Xf = getattr(sp, fmt)(X)
    if fmt in ("csr_matrix", "csr_array"):
        Xf.indices = Xf.indices.astype(np.int64)
        Xf.indptr = Xf.indptr.astype(np.int64)
    init = init_from(X, 3, 41).astype(dtype)
    a = kmix.SphericalKMeans(3, init=init).fit(X.toarray())
    b = kmix.SphericalKMeans(3, init=init).fit(Xf)
    assert b.cluster_centers_.dtype == dtype
    np.testing.assert_array_equal(a.labels_, b.labels_)
    atol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(b.cluster_centers_, a.cluster_centers_, rtol=0, atol=atol)
    np.testing.assert_array_equal(b.predict(Xf), a.labels_)
    np.testing.assert_allclose(b.transform(Xf), a.transform(X.toarray()), rtol=0, atol=atol)
    np.testing.assert_allclose(b.score(Xf), a.score(X.toarray()), rtol=1e-10 if dtype == np.float64 else 1e-4)
    mb = kmix.MiniBatchSphericalKMeans(3, init=init, batch_size=50, random_state=0).fit(Xf)
    np.testing.assert_array_equal(mb.predict(Xf), mb.labels_)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, bool])
def test_integer_and_bool_input(dtype):
    rng = np.random.default_rng(42)
    Xi = rng.integers(0, 4, size=(150, 6))
    Xi[Xi.sum(axis=1) == 0, 0] = 1  # no zero row
    init = Xi[:3].astype(np.float64) + 0.1
    X = Xi.astype(dtype)
    a = kmix.SphericalKMeans(3, init=init).fit(X.astype(np.float64))
    b = kmix.SphericalKMeans(3, init=init).fit(X)
    assert b.cluster_centers_.dtype == np.float64
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(b.cluster_centers_, a.cluster_centers_, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(b.predict(X), a.labels_)
    np.testing.assert_array_equal(b.predict(sp.csr_matrix(X)), a.labels_)


def test_sparse_equals_dense():
    X = make_sparse(600, 12, 5)
    init = init_from(X, 6, 5)
    a = kmix.SphericalKMeans(6, init=init).fit(X)
    b = kmix.SphericalKMeans(6, init=init).fit(X.toarray())
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_allclose(a.inertia_, b.inertia_, rtol=1e-12)
    # Other sparse formats are taken as CSR.
    c = kmix.SphericalKMeans(6, init=init).fit(X.tocsc())
    np.testing.assert_array_equal(a.labels_, c.labels_)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_empty_cluster_far_center_relocated_as_reference(fmt, weighted):
    # Rows in the positive orthant; one init center points into the negative orthant: no row is
    # near it, so its cluster is empty at the first step and must be relocated.
    rng = np.random.default_rng(4)
    D = np.abs(rng.standard_normal((400, 6))) + 0.01
    X = D if fmt == "dense" else sp.csr_matrix(D)
    init = np.vstack([D[[3, 50, 200]], -np.ones((1, 6)), D[[7]]])
    sw = rng.uniform(0.5, 2.0, size=400) if weighted else None
    if weighted:
        sw[rng.choice(400, 40, replace=False)] = 0.0  # zero-weight rows never move
    ref = ref_spherical(X, init, sw)
    assert ref[4] >= 1  # relocation happened in the reference
    est = kmix.SphericalKMeans(5, init=init).fit(X, sample_weight=sw)
    assert_matches_reference(est, ref)
    assert len(np.unique(est.labels_)) == 5


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_empty_clusters_duplicated_init_rows(fmt):
    # Three equal init centers (up to positive scale): ties go to the lowest index, the other two
    # are empty and take the two rows least similar to their own centers.
    X = make_gauss(300, 4, 21) if fmt == "dense" else make_sparse(300, 4, 21, density=0.6)
    D = dense(X)
    init = np.vstack([D[[10]], 2.0 * D[[10]], 0.5 * D[[10]], D[[99]]])
    ref = ref_spherical(X, init)
    assert ref[4] >= 1
    est = kmix.SphericalKMeans(4, init=init).fit(X)
    assert_matches_reference(est, ref)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_relocation_skips_zero_weight_rows(fmt):
    # The rows least similar to their centers at the first step have zero weight: the empty
    # cluster must take the least similar row of positive weight instead.
    rng = np.random.default_rng(44)
    D = np.abs(rng.standard_normal((300, 5))) + 0.05
    init = np.vstack([D[[0, 1, 2]], -np.ones((1, 5))])
    S = unit(D) @ unit(init).T
    own = S.max(axis=1)
    sw = np.ones(300)
    sw[np.argsort(own)[:20]] = 0.0
    ref = ref_spherical(D, init, sw)
    assert ref[4] >= 1
    to = sp.csr_matrix if fmt == "csr" else np.asarray
    est = kmix.SphericalKMeans(4, init=init).fit(to(D), sample_weight=sw)
    assert_matches_reference(est, ref)
    assert np.bincount(est.labels_, weights=sw, minlength=4).min() > 0


def test_several_empty_clusters_with_weights_as_reference():
    rng = np.random.default_rng(8)
    D = np.abs(rng.standard_normal((250, 5))) + 0.05
    init = np.vstack([-np.eye(5)[:3], D[[0, 1]]])  # three centers with no row near them
    sw = rng.integers(0, 4, size=250).astype(np.float64)
    ref = ref_spherical(D, init, sw)
    assert ref[4] >= 1
    est = kmix.SphericalKMeans(5, init=init).fit(D, sample_weight=sw)
    assert_matches_reference(est, ref)


def test_fewer_distinct_clusters_warns():
    X = np.repeat(np.eye(3), 10, axis=0) * np.arange(1, 31)[:, None]  # three directions only
    with pytest.warns(Warning, match=r"Number of distinct clusters \(3\) found smaller than n_clusters \(5\)"):
        est = kmix.SphericalKMeans(5, random_state=0).fit(X)
    assert len(np.unique(est.labels_)) == 3
    assert est.inertia_ == pytest.approx(0.0, abs=1e-12)


def test_verbose_reports_iterations(capsys):
    X = make_gauss(300, 4, 43)
    init = init_from(X, 3, 43)
    est = kmix.SphericalKMeans(3, init=init, verbose=1).fit(X)
    lines = capsys.readouterr().out.splitlines()
    its = [line for line in lines if line.startswith("Iteration ")]
    assert lines[0] == "Initialization complete"
    assert len(its) == est.n_iter_
    assert lines[-1].startswith(f"Converged at iteration {est.n_iter_ - 1}:")
    # The first line's inertia is the objective of the init centers.
    S = unit(X) @ unit(init).T
    first = float(its[0].split("inertia ")[1].split(",")[0])
    np.testing.assert_allclose(first, float((1 - S.max(axis=1)).sum()), rtol=1e-5)


def test_float32_agrees_with_float64():
    X, _, _ = make_directions(1500, 24, 5, seed=3)
    init = init_from(X, 5, 3)
    a = kmix.SphericalKMeans(5, init=init).fit(X)
    b = kmix.SphericalKMeans(5, init=init.astype(np.float32)).fit(X.astype(np.float32))
    assert b.cluster_centers_.dtype == np.float32
    assert b.transform(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(b.cluster_centers_, a.cluster_centers_, rtol=0, atol=1e-5)
    np.testing.assert_allclose(b.inertia_, a.inertia_, rtol=1e-4)
    # sparse float32 as well
    c = kmix.SphericalKMeans(5, init=init.astype(np.float32)).fit(sp.csr_matrix(X.astype(np.float32)))
    assert c.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(a.labels_, c.labels_)
    np.testing.assert_allclose(c.cluster_centers_, a.cluster_centers_, rtol=0, atol=1e-5)


# ---- (b) seeding ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n,d,k,seed", [(300, 5, 3, 0), (1000, 16, 8, 1), (500, 3, 20, 2), (50, 4, 1, 3)])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_kmeans_plusplus_matches_reference(n, d, k, seed, weighted):
    X = make_gauss(n, d, seed) * np.random.default_rng(seed).uniform(0.1, 10, size=(n, 1))
    sw = np.random.default_rng(seed + 3).uniform(0.0, 2.0, size=n) if weighted else None
    ref = ref_kmeanspp(X, k, seed, sw)
    centers, idx = spherical_kmeans_plusplus(X, k, sample_weight=sw, random_state=seed)
    np.testing.assert_array_equal(idx, ref)
    np.testing.assert_allclose(centers, unit(X[ref]), rtol=0, atol=1e-14)
    centers_s, idx_s = spherical_kmeans_plusplus(sp.csr_matrix(X), k, sample_weight=sw, random_state=seed)
    np.testing.assert_array_equal(idx_s, ref)
    np.testing.assert_allclose(centers_s, centers, rtol=0, atol=1e-14)
    assert len(set(idx.tolist())) == k


def test_kmeans_plusplus_dense_and_sparse_same_seeds():
    X = make_sparse(800, 30, 9, density=0.2)
    for seed in range(4):
        a = spherical_kmeans_plusplus(X, 7, random_state=seed)[1]
        b = spherical_kmeans_plusplus(X.toarray(), 7, random_state=seed)[1]
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, ref_kmeanspp(X, 7, seed))


def _no_exact_ties(X, C):
    S = unit(dense(X)) @ unit(C).T
    return not ((S == S.max(axis=1, keepdims=True)).sum(axis=1) > 1).any()


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_fit_with_kmeans_plusplus_is_fit_from_reference_seeds(fmt):
    # Dense enough that no row is orthogonal to every seed (exact ties: tested on their own).
    X = make_gauss(700, 10, 12) if fmt == "dense" else make_sparse(700, 10, 12, density=0.7)
    for seed in (0, 1):
        seeds = ref_kmeanspp(X, 6, seed)
        assert _no_exact_ties(X, dense(X)[seeds])
        ref = ref_spherical(X, dense(X)[seeds])
        est = kmix.SphericalKMeans(6, random_state=seed).fit(X)
        assert_matches_reference(est, ref)


TIES_REASON = (
    "exact similarity ties at 0 are not broken by the lowest center index when the row's other "
    "similarities are negative: the kernels rank ||c||^2 - 2 x.c, the unit centers' ||c||^2 differ "
    "from 1 by rounding (ulps), and spherical.py's _orphans only handles rows sharing no nonzero "
    "feature with any center (its support.all() shortcut returns None as soon as the centers' "
    "supports cover every feature)"
)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_exact_ties_orthogonal_rows_lowest_index(fmt):
    # Training rows have zero last coordinates, so every center does; a row along the last axis
    # has similarity exactly 0 to all of them: the documented answer is center 0.
    rng = np.random.default_rng(40)
    D = rng.standard_normal((400, 8))
    D[:, 6:] = 0.0
    est = kmix.SphericalKMeans(40, random_state=0).fit(D)
    assert (est.cluster_centers_[:, 6:] == 0).all()
    q = np.zeros((3, 8))
    q[:, 7] = [1.0, 2.0, 1e-3]
    q[2, 6] = -4.0
    to = sp.csr_matrix if fmt == "csr" else np.asarray
    np.testing.assert_array_equal(unit(q) @ est.cluster_centers_.T, 0.0)  # exact ties
    np.testing.assert_allclose(est.transform(to(q)), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(est.predict(to(q)), [0, 0, 0])
    # In fit: nonnegative sparse rows (text-like) and single-row seeds, many rows orthogonal to
    # every seed at the first step; the reference puts them in cluster 0 too.
    T = sp.random(600, 30, density=0.08, random_state=np.random.RandomState(41), format="csr")
    T = T[np.flatnonzero(np.diff(T.indptr))]
    seeds = ref_kmeanspp(T, 6, 0)
    C0 = dense(T)[seeds]
    S = unit(dense(T)) @ unit(C0).T
    assert (S.max(axis=1) == 0).sum() > 10
    to_t = (lambda A: A) if fmt == "csr" else dense
    assert_matches_reference(kmix.SphericalKMeans(6, random_state=0).fit(to_t(T)), ref_spherical(T, C0))


@pytest.mark.xfail(strict=True, reason=TIES_REASON)
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_exact_ties_at_zero_with_negative_similarities_predict(fmt):
    # 20 unit centers on disjoint supports (covering every feature); the query −c_j has
    # similarity −1 to c_j and exactly 0 to every other center: the lowest other index wins.
    rng = np.random.default_rng(42)
    k, d = 20, 40
    C = np.zeros((k, d))
    for j in range(k):
        C[j, 2 * j : 2 * j + 2] = rng.standard_normal(2)
    C = unit(C)
    est = kmix.SphericalKMeans(k, init=C, max_iter=1).fit(C + 0.0)
    C = est.cluster_centers_
    assert ((C != 0) == (np.abs(np.kron(np.eye(k), np.ones((1, 2)))) > 0)).all()  # the same supports
    q = -C
    S = unit(q) @ C.T
    assert (S[~np.eye(k, dtype=bool)] == 0).all() and (np.diag(S) < -0.99).all()
    to = sp.csr_matrix if fmt == "csr" else np.asarray
    np.testing.assert_array_equal(est.predict(to(q)), [1] + [0] * (k - 1))


@pytest.mark.xfail(strict=True, reason=TIES_REASON)
def test_exact_ties_in_fit_sparse_signed_seeds():
    # Signed sparse rows with single-row seeds: some rows have similarity 0 to several seeds and
    # negative to the rest (max 0, tied), while the seeds' supports cover every feature.
    X = make_sparse(700, 10, 12)
    seeds = ref_kmeanspp(X, 6, 0)
    S = unit(dense(X)) @ unit(dense(X)[seeds]).T
    tied = (S == S.max(axis=1, keepdims=True)).sum(axis=1) > 1
    assert tied.any() and (S[tied].max(axis=1) == 0).all()
    assert_matches_reference(kmix.SphericalKMeans(6, random_state=0).fit(X), ref_spherical(X, dense(X)[seeds]))


def test_random_init_and_callable_init():
    X = make_gauss(400, 7, 13)
    Xn = unit(X)
    seed = 5
    rows = np.random.RandomState(seed).choice(400, size=4, replace=False, p=np.ones(400) / 400)
    est = kmix.SphericalKMeans(4, init="random", n_init=1, random_state=seed).fit(X)
    assert_matches_reference(est, ref_spherical(X, Xn[rows]))
    # A callable's result is normalized: returning the rows at any positive scale is the same fit.
    calls = []

    def init(Xc, k, random_state):
        calls.append(Xc.shape)
        return 7.0 * Xc[:k]

    est2 = kmix.SphericalKMeans(4, init=init, n_init=1).fit(X)
    assert calls == [(400, 7)]
    assert_matches_reference(est2, ref_spherical(X, X[:4]))


def test_n_init_keeps_lowest_inertia():
    X = make_gauss(500, 6, 14)
    best = kmix.SphericalKMeans(5, n_init=4, random_state=3).fit(X)
    # The runs are the k-means++ draws of one RandomState in sequence.
    rs = np.random.RandomState(3)
    inertias = []
    for _ in range(4):
        est = kmix.SphericalKMeans(5, n_init=1, random_state=rs).fit(X)
        inertias.append(est.inertia_)
    np.testing.assert_allclose(best.inertia_, min(inertias), rtol=1e-12)


# ---- (c) directional data ------------------------------------------------------------------------
@pytest.mark.parametrize("d,k,seed", [(16, 4, 0), (32, 6, 1), (64, 8, 2)])
def test_recovers_directions(d, k, seed):
    X, labels, mus = make_directions(1200, d, k, seed=seed)
    est = kmix.SphericalKMeans(k, n_init=3, random_state=seed).fit(X)
    assert ari(labels, est.labels_) >= 0.99
    # Each fitted center is close to one true direction.
    assert (np.max(est.cluster_centers_ @ mus.T, axis=1) > 0.95).all()
    est_s = kmix.SphericalKMeans(k, n_init=3, random_state=seed).fit(sp.csr_matrix(X))
    assert ari(labels, est_s.labels_) >= 0.99
    mb = kmix.MiniBatchSphericalKMeans(k, n_init=3, batch_size=256, random_state=seed).fit(X)
    assert ari(labels, mb.labels_) >= 0.99
    assert ari(labels, mb.predict(X)) >= 0.99


def test_recovers_topics_sparse():
    X, labels = make_text(900, 64, 5, seed=4)
    est = kmix.SphericalKMeans(5, n_init=3, random_state=0).fit(X)
    assert ari(labels, est.labels_) >= 0.99
    mb = kmix.MiniBatchSphericalKMeans(5, n_init=3, batch_size=128, random_state=0).fit(X)
    assert ari(labels, mb.labels_) >= 0.99


def test_euclidean_kmeans_does_worse_when_magnitudes_vary():
    X, labels, _ = make_directions(1200, 16, 4, seed=5, mag_range=(1e-2, 1e2))
    sph = kmix.SphericalKMeans(4, n_init=3, random_state=0).fit(X)
    euc = kmix.KMeans(4, n_init=3, random_state=0).fit(X)
    assert ari(labels, sph.labels_) >= 0.99
    assert ari(labels, euc.labels_) < 0.5


# ---- (d) zero rows and bad parameters -------------------------------------------------------------
ZERO_ROW = r"row\(s\) of zero norm \(the first is row 3\)"


@pytest.mark.parametrize("cls", [kmix.SphericalKMeans, kmix.MiniBatchSphericalKMeans], ids=lambda c: c.__name__)
@pytest.mark.parametrize("fmt", ["dense", "csr", "csr_explicit_zero"])
def test_zero_row_rejected_everywhere(cls, fmt):
    X = make_gauss(60, 4, 15)
    good = cls(3, random_state=0).fit(X)
    Z = X.copy()
    Z[3] = 0.0
    Z[17] = 0.0
    if fmt == "csr":
        Z = sp.csr_matrix(Z)
    elif fmt == "csr_explicit_zero":
        Z = sp.csr_matrix(X)
        for r in (3, 17):  # stored entries that are all zero: still a zero row
            Z.data[Z.indptr[r] : Z.indptr[r + 1]] = 0.0
        assert Z.nnz == X.size
    calls = [
        lambda: cls(3, random_state=0).fit(Z),
        lambda: cls(3, random_state=0).fit_predict(Z),
        lambda: good.predict(Z),
        lambda: good.transform(Z),
        lambda: good.score(Z),
    ]
    if cls is kmix.MiniBatchSphericalKMeans:
        calls += [
            lambda: cls(3, random_state=0).partial_fit(Z),
            lambda: pickle.loads(pickle.dumps(good)).partial_fit(Z),
        ]
    for call in calls:
        with pytest.raises(ValueError, match=ZERO_ROW) as info:
            call()
        assert "2 row(s)" in str(info.value)


@pytest.mark.parametrize("cls", [kmix.SphericalKMeans, kmix.MiniBatchSphericalKMeans], ids=lambda c: c.__name__)
def test_zero_norm_init_rejected(cls):
    X = make_gauss(50, 3, 16)
    init = X[:3].copy()
    init[1] = 0.0
    with pytest.raises(ValueError, match=r"zero norm \(row 1\)"):
        cls(3, init=init).fit(X)
    with pytest.raises(ValueError, match=r"zero norm \(row 1\)"):
        cls(3, init=lambda X, k, random_state: init).fit(X)
    if cls is kmix.MiniBatchSphericalKMeans:
        with pytest.raises(ValueError, match=r"zero norm \(row 1\)"):
            cls(3, init=init).partial_fit(X)


def test_kmeans_plusplus_zero_row():
    X = make_gauss(30, 3, 17)
    X[3] = 0
    with pytest.raises(ValueError, match=ZERO_ROW):
        spherical_kmeans_plusplus(X, 3, random_state=0)
    with pytest.raises(ValueError, match=ZERO_ROW):
        spherical_kmeans_plusplus(sp.csr_matrix(X), 3, random_state=0)


@pytest.mark.parametrize("cls", [kmix.SphericalKMeans, kmix.MiniBatchSphericalKMeans], ids=lambda c: c.__name__)
def test_bad_parameters(cls):
    X = make_gauss(40, 3, 18)
    with pytest.raises(ValueError, match="'n_clusters' parameter"):
        cls(n_clusters=0).fit(X)
    with pytest.raises(ValueError, match="'init' parameter"):
        cls(3, init="kmeans++").fit(X)
    with pytest.raises(ValueError, match="'tol' parameter"):
        cls(3, tol=-1.0).fit(X)
    with pytest.raises(ValueError, match="n_samples=40 should be >= n_clusters=41"):
        cls(41).fit(X)
    with pytest.raises(ValueError, match="does not match the number of features"):
        cls(3, init=np.ones((3, 4))).fit(X)
    with pytest.raises(ValueError, match="does not match the number of clusters"):
        cls(3, init=np.ones((2, 3))).fit(X)
    with pytest.raises(TypeError, match="algorithm"):
        cls(3, algorithm="lloyd")
    assert "algorithm" not in cls().get_params()
    assert set(cls._parameter_constraints) == set(cls._get_param_names())
    for bad in (np.nan, np.inf):
        Y = X.copy()
        Y[2, 1] = bad
        with pytest.raises(ValueError):
            cls(3).fit(Y)


def test_not_fitted():
    for cls in (kmix.SphericalKMeans, kmix.MiniBatchSphericalKMeans):
        with pytest.raises(kmix.NotFittedError):
            cls(2).predict(np.ones((2, 3)))


def test_extreme_magnitudes_are_directions():
    X, labels, _ = make_directions(400, 8, 3, seed=19, mag_range=(1.0, 2.0))
    init = init_from(X, 3, 19)
    base = kmix.SphericalKMeans(3, init=init).fit(X)
    for scale in (1e300, 1e-300, 1e-310):  # overflow / underflow of the squared norms, denormals
        est = kmix.SphericalKMeans(3, init=init).fit(X * scale)
        np.testing.assert_array_equal(est.labels_, base.labels_)
        np.testing.assert_allclose(est.cluster_centers_, base.cluster_centers_, rtol=0, atol=1e-12)
        np.testing.assert_allclose(est.inertia_, base.inertia_, rtol=1e-9)
        np.testing.assert_array_equal(base.predict(X * scale), base.labels_)
        np.testing.assert_array_equal(base.predict(sp.csr_matrix(X * scale)), base.labels_)


# ---- (e) threads and determinism -----------------------------------------------------------------
@pytest.fixture(scope="module")
def big():
    X, labels, _ = make_directions(20_000, 32, 8, seed=20, noise=0.8)
    return X


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_threads_bit_identical(big, fmt):
    X = (
        big
        if fmt == "dense"
        else sp.csr_matrix(np.where(np.abs(big) > 0.02 * np.abs(big).max(1, keepdims=True), big, 0.0))
    )
    fits = [kmix.SphericalKMeans(8, random_state=0, n_threads=t, tol=1e-6).fit(X) for t in (1, 2)]
    a, b = fits
    assert a.n_iter_ > 2
    assert np.array_equal(a.cluster_centers_, b.cluster_centers_)
    assert np.array_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_ and a.n_iter_ == b.n_iter_
    assert np.array_equal(a.transform(X[:500]), b.transform(X[:500]))
    assert a.score(X) == b.score(X)
    c = kmix.SphericalKMeans(8, random_state=0, n_threads=2, tol=1e-6).fit(X)
    assert np.array_equal(c.cluster_centers_, b.cluster_centers_) and c.inertia_ == b.inertia_


def test_threads_bit_identical_minibatch(big):
    fits = [
        kmix.MiniBatchSphericalKMeans(8, random_state=0, batch_size=2048, max_iter=3, n_threads=t).fit(big)
        for t in (1, 2)
    ]
    a, b = fits
    assert np.array_equal(a.cluster_centers_, b.cluster_centers_)
    assert np.array_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_ and a.n_steps_ == b.n_steps_
    p = [
        kmix.MiniBatchSphericalKMeans(8, random_state=0, n_threads=t)
        .partial_fit(big[:5000])
        .partial_fit(big[5000:10000])
        for t in (1, 2)
    ]
    assert np.array_equal(p[0].cluster_centers_, p[1].cluster_centers_)


def test_seeding_threads_and_random_state(big):
    a = spherical_kmeans_plusplus(big, 8, random_state=3, n_threads=1)[1]
    b = spherical_kmeans_plusplus(big, 8, random_state=3, n_threads=2)[1]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, ref_kmeanspp(big, 8, 3))


# ---- (f) predict, transform, score, invariances ---------------------------------------------------
@pytest.mark.parametrize("cls", [kmix.SphericalKMeans, kmix.MiniBatchSphericalKMeans], ids=lambda c: c.__name__)
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_predict_transform_score(cls, fmt):
    Xd = make_gauss(500, 9, 22)
    X = Xd if fmt == "dense" else make_sparse(500, 9, 22)
    Xd = dense(X)
    params = dict(batch_size=64) if cls is kmix.MiniBatchSphericalKMeans else {}
    est = cls(4, random_state=0, **params).fit(X)
    C = est.cluster_centers_
    np.testing.assert_allclose(np.linalg.norm(C, axis=1), 1.0, rtol=1e-14)
    Xn = unit(Xd)
    S = Xn @ C.T
    np.testing.assert_array_equal(est.predict(X), est.labels_)
    np.testing.assert_array_equal(est.labels_, np.argmax(S, axis=1))
    T = est.transform(X)
    assert T.shape == (500, 4) and (T >= 0).all() and (T <= 2).all()
    np.testing.assert_allclose(T, 1.0 - S, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(np.argmin(T, axis=1), est.labels_)
    expected = float((1.0 - S.max(axis=1)).sum())
    np.testing.assert_allclose(est.inertia_, expected, rtol=1e-10)
    np.testing.assert_allclose(est.score(X), -est.inertia_, rtol=1e-10)
    sw = np.random.default_rng(1).uniform(0, 2, size=500)
    np.testing.assert_allclose(est.score(X, sample_weight=sw), -float((sw * (1.0 - S.max(axis=1))).sum()), rtol=1e-10)
    np.testing.assert_allclose(est.fit_transform(X), T, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(cls(4, random_state=0, **params).fit_predict(X), est.labels_)


def test_transform_bounds_for_opposite_rows():
    X = np.array([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0], [-0.9, -0.1]])
    est = kmix.SphericalKMeans(2, init=np.array([[1.0, 0.0], [-1.0, 0.0]])).fit(X)
    T = est.transform(np.array([[3.0, 0.0], [-2.0, 0.0], [0.0, 5.0]]))
    np.testing.assert_allclose(
        T, 1.0 - unit([[3.0, 0.0], [-2.0, 0.0], [0.0, 5.0]]) @ est.cluster_centers_.T, atol=1e-12
    )
    assert (T >= 0).all() and (T <= 2).all()


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_positive_row_scaling_invariance(fmt):
    X, labels, _ = make_directions(600, 12, 4, seed=23, mag_range=(1, 1))
    scales = 10.0 ** np.random.default_rng(23).uniform(-3, 3, size=600)
    to = sp.csr_matrix if fmt == "csr" else np.asarray
    init = init_from(X, 4, 23)
    a = kmix.SphericalKMeans(4, init=init).fit(to(X))
    b = kmix.SphericalKMeans(4, init=init * 3.0).fit(to(X * scales[:, None]))
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.inertia_, b.inertia_, rtol=1e-10)
    np.testing.assert_array_equal(a.predict(to(X * scales[:, None])), a.labels_)
    np.testing.assert_allclose(a.transform(to(X * scales[:, None])), a.transform(to(X)), atol=1e-12)
    # A negative scale flips the direction: not invariant (distance d becomes 2 − d).
    np.testing.assert_allclose(a.transform(to(-X)), 2.0 - a.transform(to(X)), atol=1e-12)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_integer_weights_equal_repeated_rows(fmt):
    X = make_gauss(300, 5, 24)
    reps = np.random.default_rng(24).integers(0, 4, size=300)
    reps[:5] = 1  # the init rows stay
    init = X[:5] * 2.0
    to = sp.csr_matrix if fmt == "csr" else np.asarray
    a = kmix.SphericalKMeans(5, init=init).fit(to(X), sample_weight=reps.astype(np.float64))
    b = kmix.SphericalKMeans(5, init=init).fit(to(np.repeat(X, reps, axis=0)))
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(np.repeat(a.labels_, reps), b.labels_)
    np.testing.assert_allclose(a.inertia_, b.inertia_, rtol=1e-10)
    assert a.n_iter_ == b.n_iter_
    # The reference agrees with both.
    assert_matches_reference(a, ref_spherical(X, init, reps.astype(np.float64)))


# ---- (g) MiniBatchSphericalKMeans ----------------------------------------------------------------
def test_minibatch_partial_fit_unit_centers_and_recovery():
    X, labels, _ = make_directions(3000, 20, 5, seed=25)
    est = kmix.MiniBatchSphericalKMeans(5, random_state=0)
    order = np.random.default_rng(25).permutation(3000)
    for epoch in range(3):
        for start in range(0, 3000, 250):
            rows = order[start : start + 250]
            est.partial_fit(X[rows])
            np.testing.assert_allclose(np.linalg.norm(est.cluster_centers_, axis=1), 1.0, rtol=1e-14)
            # inertia_ of a partial_fit: the batch's Σ(1 − cos) on the updated centers
            S = unit(X[rows]) @ est.cluster_centers_.T
            np.testing.assert_array_equal(est.labels_, np.argmax(S, axis=1))
            np.testing.assert_allclose(est.inertia_, float((1 - S.max(axis=1)).sum()), rtol=1e-10)
    assert est.n_steps_ == 36
    assert ari(labels, est.predict(X)) >= 0.99


def test_minibatch_fit_unit_centers_and_inertia():
    X, labels, _ = make_directions(2000, 16, 4, seed=26)
    sw = np.random.default_rng(26).uniform(0.5, 2.0, size=2000)
    est = kmix.MiniBatchSphericalKMeans(4, batch_size=128, random_state=1).fit(X, sample_weight=sw)
    np.testing.assert_allclose(np.linalg.norm(est.cluster_centers_, axis=1), 1.0, rtol=1e-14)
    S = unit(X) @ est.cluster_centers_.T
    np.testing.assert_array_equal(est.labels_, np.argmax(S, axis=1))
    np.testing.assert_allclose(est.inertia_, float((sw * (1 - S[np.arange(2000), est.labels_])).sum()), rtol=1e-10)
    assert ari(labels, est.labels_) >= 0.99
    # compute_labels=False: no labels_, an inertia_ in the cosine unit (the smoothed batch inertia
    # is an estimate, within a factor of the true one).
    est2 = kmix.MiniBatchSphericalKMeans(4, batch_size=128, random_state=1, compute_labels=False).fit(X)
    assert not hasattr(est2, "labels_")
    true = float((1 - (unit(X) @ est2.cluster_centers_.T).max(axis=1)).sum())
    assert 0.5 * true < est2.inertia_ < 2.0 * true


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_minibatch_labels_equal_predict_for_rows_orthogonal_to_all_centers(fmt):
    # Rows 150.. live on features no center ever gets (zero weight: never drawn into a batch).
    rng = np.random.default_rng(0)
    X = np.zeros((200, 12))
    X[:150, :6] = rng.standard_normal((150, 6))
    X[150:, 6:] = np.abs(rng.standard_normal((50, 6)))
    sw = np.r_[np.ones(150), np.zeros(50)]
    to = sp.csr_matrix if fmt == "csr" else np.asarray
    for seed in (1, 2, 4):
        est = kmix.MiniBatchSphericalKMeans(8, random_state=seed, batch_size=32).fit(to(X), sample_weight=sw)
        assert (est.cluster_centers_[:, 6:] == 0).all()
        np.testing.assert_array_equal(est.predict(to(X))[150:], 0)  # the lowest index of the tie
        np.testing.assert_array_equal(est.labels_, est.predict(to(X)))
        est.partial_fit(to(X[140:]), sample_weight=sw[140:])
        np.testing.assert_array_equal(est.labels_, est.predict(to(X[140:])))


def test_minibatch_dense_vs_sparse():
    X = make_sparse(1500, 15, 27, density=0.4)
    a = kmix.MiniBatchSphericalKMeans(5, batch_size=100, random_state=2).fit(X)
    b = kmix.MiniBatchSphericalKMeans(5, batch_size=100, random_state=2).fit(X.toarray())
    assert a.n_steps_ == b.n_steps_
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.inertia_, b.inertia_, rtol=1e-10)
    pa = kmix.MiniBatchSphericalKMeans(5, random_state=3)
    pb = kmix.MiniBatchSphericalKMeans(5, random_state=3)
    for start in range(0, 1500, 300):
        pa.partial_fit(X[start : start + 300])
        pb.partial_fit(X[start : start + 300].toarray())
        np.testing.assert_allclose(pa.cluster_centers_, pb.cluster_centers_, rtol=0, atol=1e-10)
        np.testing.assert_array_equal(pa.labels_, pb.labels_)
        np.testing.assert_allclose(pa.inertia_, pb.inertia_, rtol=1e-10)


def test_minibatch_first_step_is_normalized_weighted_mean():
    # With an init array and one full batch, a step moves each center to the normalized
    # count-weighted mean of its previous position (count 0 at first: not at all) and its rows.
    X = make_gauss(200, 4, 28)
    init = X[[0, 50, 100]] * 5.0
    est = kmix.MiniBatchSphericalKMeans(3, init=init, reassignment_ratio=0.0).partial_fit(X)
    Xn, C0 = unit(X), unit(init)
    labels = np.argmax(Xn @ C0.T, axis=1)
    expected = unit(np.array([Xn[labels == j].sum(axis=0) for j in range(3)]))
    np.testing.assert_allclose(est.cluster_centers_, expected, rtol=0, atol=1e-12)
    # A second batch: new center ∝ count·c + Σ rows (the running mean, normalized).
    counts = np.bincount(labels, minlength=3).astype(np.float64)
    Y = make_gauss(100, 4, 29)
    est.partial_fit(Y)
    Yn = unit(Y)
    lab2 = np.argmax(Yn @ expected.T, axis=1)
    raw = np.array([counts[j] * expected[j] + Yn[lab2 == j].sum(axis=0) for j in range(3)])
    np.testing.assert_allclose(est.cluster_centers_, unit(raw), rtol=0, atol=1e-12)


# ---- (h) persistence -----------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [kmix.SphericalKMeans, kmix.MiniBatchSphericalKMeans], ids=lambda c: c.__name__)
def test_pickle_and_save_load(cls, tmp_path):
    X, _, _ = make_directions(500, 10, 3, seed=30)
    params = dict(batch_size=64) if cls is kmix.MiniBatchSphericalKMeans else {}
    est = cls(3, random_state=0, **params).fit(X)
    Xs = sp.csr_matrix(X)
    path = tmp_path / "model.npz"
    est.save(path)
    for back in (pickle.loads(pickle.dumps(est)), kmix.load(path)):
        assert type(back) is cls
        assert back.get_params() == est.get_params()
        np.testing.assert_array_equal(back.cluster_centers_, est.cluster_centers_)
        np.testing.assert_array_equal(back.predict(X), est.predict(X))
        np.testing.assert_array_equal(back.predict(Xs), est.predict(Xs))
        np.testing.assert_array_equal(back.transform(X), est.transform(X))
        assert back.score(X) == est.score(X)
        assert back.inertia_ == est.inertia_
    if cls is kmix.MiniBatchSphericalKMeans:  # partial_fit continues identically after a round trip
        a = pickle.loads(pickle.dumps(est)).partial_fit(X[:100])
        b = kmix.load(path).partial_fit(X[:100])
        c = est.partial_fit(X[:100])
        np.testing.assert_array_equal(a.cluster_centers_, c.cluster_centers_)
        np.testing.assert_array_equal(b.cluster_centers_, c.cluster_centers_)


# ---- (i) scikit-learn interop --------------------------------------------------------------------
@pytest.mark.parametrize("cls", [kmix.SphericalKMeans, kmix.MiniBatchSphericalKMeans], ids=lambda c: c.__name__)
def test_feature_names_and_set_output(cls):
    pd = pytest.importorskip("pandas")
    X, _, _ = make_directions(300, 4, 3, seed=31, max_cos=0.9)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"], index=np.arange(300) + 1000)
    est = cls(3, random_state=0).fit(df)
    np.testing.assert_array_equal(est.feature_names_in_, np.array(["a", "b", "c", "d"], dtype=object))
    with pytest.warns(UserWarning, match="fitted with feature names"):
        np.testing.assert_array_equal(est.predict(df), est.predict(X))
    for method in ("predict", "transform", "score"):
        with pytest.raises(ValueError, match="Feature names must be in the same order"):
            getattr(est, method)(df[["b", "a", "c", "d"]])
    if cls is kmix.MiniBatchSphericalKMeans:
        with pytest.raises(ValueError, match="Feature names must be in the same order"):
            est.partial_fit(df[["b", "a", "c", "d"]])
    prefix = cls.__name__.lower()
    np.testing.assert_array_equal(est.get_feature_names_out(), [f"{prefix}{i}" for i in range(3)])
    out = est.set_output(transform="pandas").transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [f"{prefix}{i}" for i in range(3)]
    assert list(out.index) == list(df.index)
    np.testing.assert_allclose(out.to_numpy(), 1.0 - unit(X) @ est.cluster_centers_.T, atol=1e-12)
    est.set_output(transform="default")
    assert isinstance(est.transform(df), np.ndarray)


@pytest.mark.parametrize("cls", [kmix.SphericalKMeans, kmix.MiniBatchSphericalKMeans], ids=lambda c: c.__name__)
def test_clone_get_set_params(cls):
    base = pytest.importorskip("sklearn.base")
    est = cls(5, tol=1e-3, random_state=7)
    params = est.get_params()
    assert params["n_clusters"] == 5 and params["tol"] == 1e-3 and params["random_state"] == 7
    c = base.clone(est)
    assert c is not est and type(c) is cls and c.get_params() == params
    assert est.set_params(n_clusters=3) is est and est.n_clusters == 3
    with pytest.raises(ValueError):
        est.set_params(algorithm="lloyd")
    X = make_gauss(100, 3, 32)
    fitted = cls(2, random_state=0).fit(X)
    assert not hasattr(base.clone(fitted), "cluster_centers_")


def test_in_pipeline_with_transform_output():
    pipeline = pytest.importorskip("sklearn.pipeline")
    pd = pytest.importorskip("pandas")
    X, labels, _ = make_directions(600, 8, 3, seed=33)
    pipe = pipeline.make_pipeline(kmix.SphericalKMeans(3, random_state=0)).set_output(transform="pandas")
    out = pipe.fit_transform(pd.DataFrame(X, columns=[f"f{i}" for i in range(8)]))
    assert isinstance(out, pd.DataFrame) and list(out.columns) == [
        "sphericalkmeans0",
        "sphericalkmeans1",
        "sphericalkmeans2",
    ]
    assert ari(labels, np.argmin(out.to_numpy(), axis=1)) >= 0.99


# ---- (j) select_k --------------------------------------------------------------------------------
def _directional_select_data():
    return make_directions(600, 16, 4, seed=34, noise=0.3, mag_range=(1e-2, 1e2))


def test_cosine_silhouette_identifies_true_k():
    """The data for select_k are well posed: the cosine silhouette of SphericalKMeans's fits
    peaks at the true k."""
    X, labels, _ = _directional_select_data()
    sil = {
        k: kmix.metrics.silhouette_score(X, kmix.SphericalKMeans(k, random_state=0).fit(X).labels_, metric="cosine")
        for k in range(2, 8)
    }
    assert max(sil, key=sil.get) == 4


@pytest.mark.parametrize("cls", [kmix.SphericalKMeans, kmix.MiniBatchSphericalKMeans], ids=lambda c: c.__name__)
def test_select_k_with_spherical_estimator(cls):
    X, labels, _ = _directional_select_data()
    est = cls(random_state=0)
    res = kmix.select_k(X, range(2, 8), method="silhouette", estimator=est)
    assert res.best_k == 4
    # The silhouettes are the cosine ones of each k's fit (the Euclidean silhouette on raw X,
    # dominated by the magnitudes, would not find 4).
    expected = [
        kmix.metrics.silhouette_score(X, cls(k, random_state=0).fit(X).labels_, metric="cosine") for k in range(2, 8)
    ]
    np.testing.assert_allclose(res.scores["silhouette"], expected, rtol=1e-12)
    euclid = [kmix.metrics.silhouette_score(X, cls(k, random_state=0).fit(X).labels_) for k in range(2, 8)]
    assert int(np.argmax(euclid)) + 2 != 4
    assert est.get_params()["n_clusters"] == 8  # the estimator given is not modified


def test_select_k_spherical_fits_each_k():
    X, _, _ = _directional_select_data()
    res = kmix.select_k(X, range(2, 6), method="elbow", estimator=kmix.SphericalKMeans(random_state=0))
    expected = [kmix.SphericalKMeans(k, random_state=0).fit(X).inertia_ for k in range(2, 6)]
    np.testing.assert_allclose(res.scores["inertia"], expected, rtol=1e-12)


# ---- scikit-learn's estimator checks -------------------------------------------------------------
sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.utils import estimator_checks  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

ESTIMATORS = [
    kmix.SphericalKMeans(n_clusters=2, n_init=2, max_iter=5, random_state=0),
    kmix.MiniBatchSphericalKMeans(n_clusters=2, n_init=2, max_iter=5, batch_size=10, random_state=0),
]
PER_CHECK_PARAMS = {"check_dict_unchanged": dict(n_clusters=1)}
_WEIGHTS_REASON = (
    "sample_weight is not equivalent to removing/repeating samples: the seeding draws other "
    "rows (scikit-learn marks its KMeans and MiniBatchKMeans the same way)"
)
# Checks whose generated data hold all-zero rows (X[X < .8] = 0 for the sparse checks; integer
# casts of 3·uniform for check_estimators_dtypes), which spherical k-means rejects by design (a
# zero row has no direction). They are run below and must fail with exactly that ValueError.
ZERO_ROW_CHECKS = {
    "check_estimators_dtypes",
    "check_estimator_sparse_tag",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
}


def expected_failed_checks(estimator):
    return {
        "check_sample_weight_equivalence_on_dense_data": _WEIGHTS_REASON,
        "check_sample_weight_equivalence_on_sparse_data": _WEIGHTS_REASON,
    }


with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*does not inherit from `sklearn.base.BaseEstimator`")
    _with_checks = parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks, xfail_strict=True)


def _zero_row_error_in_chain(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ValueError) and "row(s) of zero norm" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@_with_checks
def test_sklearn_estimator_checks(estimator, check):
    name = getattr(check, "func", check).__name__
    estimator.set_params(**PER_CHECK_PARAMS.get(name, {}))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not inherit from `sklearn.base.BaseEstimator`")
        if name in ZERO_ROW_CHECKS:
            with pytest.raises(Exception) as info:
                check(estimator)
            assert _zero_row_error_in_chain(info.value), info.value
        else:
            check(estimator)


# scikit-learn runs its clustering checks only on subclasses of its ClusterMixin: they run here.
CLUSTERING_CHECKS = [
    "check_clustering",
    "check_clusterer_compute_labels_predict",
    "check_estimators_partial_fit_n_features",
]


@pytest.mark.parametrize("check_name", CLUSTERING_CHECKS)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_sklearn_clustering_checks(estimator, check_name):
    check = getattr(estimator_checks, check_name)
    est = clone(estimator)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not inherit from `sklearn.base.BaseEstimator`")
        if check_name == "check_clustering":
            check(type(est).__name__, est)
            check(type(est).__name__, clone(est), readonly_memmap=True)
        else:
            check(type(est).__name__, est)
