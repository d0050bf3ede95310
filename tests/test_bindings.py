"""kmix._core is strict at its boundary (cpp/bindings/arrays.hpp).

A binding accepts exactly the dtype and layout it needs: another dtype (float32 for float64 and
vice versa, integers, object, big-endian), a non-C-contiguous or misaligned array, or something
that is not an array is a TypeError; so is a read-only array it writes into. A wrong number of
dimensions, and arrays whose shapes disagree with each other (or index values out of range), are
a ValueError, raised before any array is touched. Several results come back as a dict.

One table, SPECS, lists every function of kmix._core that takes arrays, with a factory of valid
arguments and the kind of each array argument; the mutations are applied generically, and
test_every_array_function_is_covered fails if a function or an array argument of kmix._core is
missing from the table. The estimators convert their inputs once, in Python: these tests call
kmix._core directly, as a user could.
"""

import re
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
import pytest

from kmix import _core

N, D, K = 12, 3, 2  # rows, features, clusters of the valid calls
N_TRIALS = 3
F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
BOTH = (F64, F32)

# The functions of kmix._core that take no array (configuration and thread queries).
NO_ARRAYS = {"isa", "available_isas", "select_isa", "max_threads", "in_forked_child", "build_info"}


# ---- valid arguments ---------------------------------------------------------------------------
def base(dt):
    """Two clusters of 6 rows (sorted by cluster), their centers, and friends, fresh each call."""
    rng = np.random.default_rng(0)
    truth = np.repeat(np.arange(K), N // K)
    X = (10.0 * truth[:, None] + rng.standard_normal((N, D))).astype(dt)
    C = X[[0, N // K]].copy()
    w = rng.uniform(0.5, 2.0, size=N).astype(dt)
    return X, C, w, truth


def prec_shape(cov_type, k=K, d=D):
    return {0: (k, d, d), 1: (d, d), 2: (k, d), 3: (k,)}[cov_type]


def prec_chol(cov_type, k=K, d=D):
    return {0: np.stack([np.eye(d)] * k), 1: np.eye(d), 2: np.ones((k, d)), 3: np.ones(k)}[cov_type]


def gmm_model(dt, cov_type=0):
    X, C, w, truth = base(dt)
    return (
        X,
        w,
        dict(cov_type=cov_type, weights=np.full(K, 1.0 / K), means=C.astype(np.float64), prec_chol=prec_chol(cov_type)),
    )


def one_hot(truth):
    return np.eye(K)[truth]


def stats(cov_type=0):
    X, _, model = gmm_model(F64, cov_type)
    return _core.gmm_pass_stats(X, None, **model, shift=X.mean(0), about=model["means"], given_resp=None, n_threads=1)


def mk_lloyd(dt):
    X, C, w, _ = base(dt)
    return dict(
        X=X,
        sample_weight=w,
        centers_init=C,
        max_iter=5,
        tol=0.0,
        verbose=False,
        n_threads=1,
        mean=X.mean(0).astype(np.float64),
    )


def mk_kmeans_plusplus(dt):
    X, _, w, _ = base(dt)
    return dict(
        X=X,
        sample_weight=w,
        n_clusters=K,
        first=3,
        uniforms=np.linspace(0.1, 0.9, (K - 1) * N_TRIALS),
        n_trials=N_TRIALS,
        n_threads=1,
    )


def mk_lloyd_chunk(dt):
    X, C, w, _ = base(dt)
    return dict(X=X, sample_weight=w, centers=C, n_threads=1)


def mk_average_centers(dt):
    X, C, _, truth = base(dt)
    sums = np.stack([X[truth == c].sum(0) for c in range(K)]).astype(np.float64)
    return dict(sums=sums, weights=np.bincount(truth).astype(np.float64), old_centers=C)


def mk_center(dt):
    X = base(dt)[0] + dt.type(100)  # far from the origin: centred in both dtypes
    return dict(X=X, in_place=False, n_threads=1)


def mk_center_in_place(dt):
    return dict(mk_center(dt), in_place=True)


def mk_mean_variance(dt):
    return dict(X=base(dt)[0], n_threads=1)


def mk_abs_max(dt):
    return dict(X=base(dt)[0].ravel(), n_threads=1)


def mk_assign(dt):
    X, C, _, _ = base(dt)
    return dict(X=X, centers=C, n_threads=1)


def mk_inertia(dt):
    X, C, w, truth = base(dt)
    return dict(X=X, sample_weight=w, centers=C, labels=truth.astype(np.int32), n_threads=1)


def mk_minibatch_step(dt):
    X, C, w, _ = base(dt)
    rows = np.array([0, 7, 3, 11], dtype=np.int64)
    return dict(
        X=X,
        rows=rows,
        m=rows.size,
        sample_weight=w[: rows.size],
        centers_old=C,
        centers_new=C.copy(),
        weight_sums=np.ones(K, dtype=dt),
        n_threads=1,
    )


def mk_sq_distances(dt):
    return mk_assign(dt)


def csr_parts(X, index=np.int32):
    """X's nonzeros as CSR arrays (numpy only): data, indices, indptr."""
    mask = X != 0
    indptr = np.concatenate([[0], np.cumsum(mask.sum(1))]).astype(index)
    return X[mask], np.nonzero(mask)[1].astype(index), indptr


def sparse_base(dt, index=np.int32):
    X, C, w, truth = base(dt)
    X[::3, 1] = 0  # some zeros, and an empty row
    X[5] = 0
    data, indices, indptr = csr_parts(X, index)
    return dict(data=data, indices=indices, indptr=indptr, n_features=D), C, w, truth


def mk_sparse_lloyd(dt, index=np.int32):
    csr, C, w, _ = sparse_base(dt, index)
    return dict(csr, sample_weight=w, centers_init=C, max_iter=5, tol=0.0, verbose=False, n_threads=1)


def mk_sparse_kmeans_plusplus(dt, index=np.int32):
    csr, _, w, _ = sparse_base(dt, index)
    return dict(
        csr,
        sample_weight=w,
        n_clusters=K,
        first=3,
        uniforms=np.linspace(0.1, 0.9, (K - 1) * N_TRIALS),
        n_trials=N_TRIALS,
        n_threads=1,
    )


def mk_sparse_assign(dt, index=np.int32):
    csr, C, _, _ = sparse_base(dt, index)
    return dict(csr, centers=C, n_threads=1)


def mk_sparse_nearest(dt, index=np.int32):
    csr, C, w, _ = sparse_base(dt, index)
    return dict(csr, sample_weight=w, centers=C, n_threads=1)


def mk_sparse_inertia(dt, index=np.int32):
    csr, C, w, truth = sparse_base(dt, index)
    return dict(csr, sample_weight=w, centers=C, labels=truth.astype(np.int32), n_threads=1)


def mk_sparse_minibatch_step(dt, index=np.int32):
    csr, C, w, _ = sparse_base(dt, index)
    rows = np.arange(N, dtype=np.int64)[::-1].copy()  # every row, gathered by the kernel in this order
    return dict(
        csr,
        sample_weight=w[rows],
        centers_old=C,
        centers_new=C.copy(),
        weight_sums=np.ones(K, dtype=dt),
        rows=rows,
        n_threads=1,
    )


def mk_sparse_lloyd_chunk(dt, index=np.int32):
    csr, C, w, _ = sparse_base(dt, index)
    return dict(csr, sample_weight=w, centers=C, n_threads=1)


def int64_indices(make):
    return lambda dt: make(dt, np.int64)


def mk_draw_rows(dt):
    cdf = np.cumsum(np.ones(N)) / N
    return dict(cdf=cdf, u=np.array([0.0, 0.2, 0.5, 0.99, 1.0]), n_threads=1)


def mk_gmm_estimate(dt):
    X, _, w, truth = base(dt)
    return dict(X=X, sample_weight=w, resp=one_hot(truth), cov_type=0, reg_covar=1e-6, n_threads=1)


def mk_gmm_em(dt):
    X, w, model = gmm_model(dt)
    return dict(X=X, sample_weight=w, **model, max_iter=3, tol=1e-3, reg_covar=1e-6, lower_bound=-np.inf, n_threads=1)


def mk_gmm_pass_stats(dt):
    X, w, model = gmm_model(dt)
    return dict(
        X=X,
        sample_weight=w,
        **model,
        shift=X.mean(0).astype(np.float64),
        about=model["means"].copy(),
        given_resp=one_hot(base(dt)[3]),
        n_threads=1,
    )


def mk_gmm_score(dt):
    X, _, model = gmm_model(dt)
    return dict(X=X, **model, log_prob_norm=True, resp=True, labels=True, n_threads=1)


def mk_gmm_m_step(dt):
    X, _, model = gmm_model(F64)
    return dict(
        stats=stats(0),
        cov_type=0,
        n_components=K,
        n_features=D,
        about=model["means"].copy(),
        shift=X.mean(0),
        floor=np.full(D, 1e-20),
        reg_covar=1e-6,
        initial=False,
    )


def mk_linkage_ward(dt):
    return dict(X=base(dt)[0], n_threads=1)


def mk_linkage_centroid(dt):
    return dict(X=base(dt)[0], method=5, n_threads=1)


def mk_linkage_single(dt):
    X = base(dt)[0]
    return dict(X=X, metric=3, norms=np.linalg.norm(X.astype(np.float64), axis=1), n_threads=1, smaller_first=True)


def mk_pdist(dt):
    X = base(dt)[0]
    return dict(X=X, metric=3, norms=np.linalg.norm(X.astype(np.float64), axis=1), n_threads=1)


def mk_linkage_condensed(dt):
    X = base(F64)[0]
    D_ = _core.pdist(X, 1, None, 1)
    return dict(D=D_, n=N, method=2, n_threads=1)


def mk_linkage_square(dt):
    buf = np.zeros(N * N)  # (its head is scratch: zeros keep the dtype-mutation tests' casts quiet)
    buf[N * N - N * (N - 1) // 2 :] = _core.pdist(base(F64)[0], 1, None, 1)
    return dict(buf=buf, n=N, method=2, n_threads=1)


def mk_linkage_square_observations(dt):
    X = base(dt)[0]
    return dict(
        X=X, metric=3, norms=np.linalg.norm(X.astype(np.float64), axis=1), method=2, buf=np.zeros(N * N), n_threads=1
    )


def mk_optimal_leaf_ordering(dt):
    D_ = _core.pdist(base(F64)[0], 1, None, 1)
    Z = _core.linkage_condensed(D_.copy(), N, 2, 1)
    return dict(children=Z[:, :2].astype(np.int64), D=D_, n_threads=1)


def graph_parts():
    """A connected symmetric graph over the N points of base(): a ring and a few chords, as
    canonical CSR arrays (float64 lengths, int64 indices and offsets)."""
    rows = np.concatenate([np.arange(N), np.arange(0, N, 4)])
    cols = np.concatenate([(np.arange(N) + 1) % N, (np.arange(0, N, 4) + 5) % N])
    key = np.unique(np.concatenate([rows * N + cols, cols * N + rows]))
    r, c = key // N, key % N
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=N))]).astype(np.int64)
    return dict(data=np.abs(r - c).astype(np.float64), indices=c.astype(np.int64), indptr=indptr)


def mk_graph_ward(dt):
    return dict(X=base(dt)[0], **graph_parts(), merges=N - 1)


def mk_graph_linkage(dt):
    return dict(graph_parts(), method=0, merges=N - 1)


def mk_graph_single(dt):
    return graph_parts()


def check_graph_tree(merges):
    def check(r, kw, dt):
        named({"children", "distances", "parent", "n_leaves"})(r, kw, dt)
        is_array(r["children"], (merges, 2), np.int64)
        is_array(r["distances"], (merges,), F64)
        is_array(r["parent"], (N + merges,), np.int64)
        assert r["n_leaves"] == N

    return check


def check_graph_components(r, kw, dt):
    named({"count", "labels"})(r, kw, dt)
    assert r["count"] == 1
    is_array(r["labels"], (N,), np.int64)


def bad_graph():
    """A graph whose structure or lengths a kernel must not take: ValueError naming the array."""
    return [
        ("indices-axis0+1", resize("indices", 0, 1), "indices"),
        ("data-axis0-1", resize("data", 0, -1), "indices"),
        ("indices=-1", set_item("indices", 4, -1), "indices"),
        ("indices=n", set_item("indices", 4, N), "indices"),
        ("indices=2^40", set_item("indices", 0, 2**40), "indices"),
        ("indptr-from-1", set_item("indptr", 0, 1), "indptr"),
        ("indptr-decreasing", set_item("indptr", 2, 0), "indptr"),
        ("indptr-past-nnz", lambda kw: set_item("indptr", -1, kw["indptr"][-1] + 1)(kw), "indptr"),
        ("indptr-one-node", put("indptr", lambda kw: kw["indptr"][:2].copy()), "nodes"),
        ("data=-1", set_item("data", 3, -1.0), "data"),
        ("data=nan", set_item("data", 3, np.nan), "data"),
        ("data=inf", set_item("data", 3, np.inf), "data"),
    ]


def disconnect(kw):
    """Keep only the edges among the first half of the nodes: a graph of several components."""
    keep = np.repeat(np.arange(N), np.diff(kw["indptr"])) < N // 2
    keep &= kw["indices"] < N // 2
    rows = np.repeat(np.arange(N), np.diff(kw["indptr"]))[keep]
    kw = dict(kw, data=kw["data"][keep].copy(), indices=kw["indices"][keep].copy())
    kw["indptr"] = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=N))]).astype(np.int64)
    return kw


def mk_silhouette_sorted(dt):
    return dict(X=base(dt)[0], starts=np.array([0, N // K, N], dtype=np.int64), n_threads=1)


def mk_silhouette_csr(index_dtype):
    """base()'s rows as CSR arrays (about half the values zero), sorted by cluster."""

    def make(dt):
        X = base(dt)[0]
        X[np.abs(X) < 6.0] = 0.0
        rows, cols = np.nonzero(X)
        indptr = np.zeros(N + 1, dtype=index_dtype)
        np.cumsum(np.bincount(rows, minlength=N), out=indptr[1:])
        return dict(
            data=X[rows, cols],
            indices=cols.astype(index_dtype),
            indptr=indptr,
            n_features=D,
            starts=np.array([0, N // K, N], dtype=np.int64),
            metric="euclidean",
            n_threads=1,
        )

    return make


def mk_soft_kmeans(dt):
    X, C, w, _ = base(dt)
    return dict(X=X, sample_weight=w, centers=C.astype(np.float64), beta=0.5, max_iter=3, tol=0.0, n_threads=1)


def mk_soft_assign(dt):
    X, C, _, _ = base(dt)
    return dict(X=X, centers=C.astype(np.float64), beta=0.5, log_norm=True, resp=True, labels=True, n_threads=1)


# ---- what the results must be ------------------------------------------------------------------
def is_array(a, shape, dtype):
    assert isinstance(a, np.ndarray), type(a)
    assert a.shape == shape and a.dtype == dtype, (a.shape, a.dtype, shape, dtype)


def named(keys):
    """The result is a dict with exactly these keys (never a positional tuple)."""

    def check(r, kw, dt):
        assert isinstance(r, dict), type(r)
        assert set(r) == set(keys), sorted(r)

    return check


def params_check():
    def check(r, kw, dt):
        named({"weights", "means", "covariances", "precisions_cholesky"})(r, kw, dt)
        ct = kw["cov_type"]
        is_array(r["weights"], (K,), F64)
        is_array(r["means"], (K, D), F64)
        is_array(r["covariances"], prec_shape(ct), F64)
        is_array(r["precisions_cholesky"], prec_shape(ct), F64)

    return check


def check_lloyd(r, kw, dt):
    named({"centers", "labels", "inertia", "n_iter", "strict", "iter_inertia", "iter_shift", "distances"})(r, kw, dt)
    is_array(r["centers"], (K, D), dt)
    is_array(r["labels"], (N,), np.int32)
    assert isinstance(r["inertia"], float) and isinstance(r["n_iter"], int) and isinstance(r["strict"], bool)
    assert isinstance(r["distances"], float) and 0 < r["distances"] <= N * K * (r["n_iter"] + 1)


def check_lloyd_chunk(r, kw, dt):
    named({"sums", "weights", "inertia"})(r, kw, dt)
    is_array(r["sums"], (K, D), F64)
    is_array(r["weights"], (K,), F64)


def check_average_centers(r, kw, dt):
    named({"centers", "shift"})(r, kw, dt)
    is_array(r["centers"], (K, D), dt)


def check_center(r, kw, dt):
    named({"X", "mean", "centred"})(r, kw, dt)
    is_array(r["X"], (N, D), dt)
    is_array(r["mean"], (D,), dt)
    assert r["centred"] is True
    # In place: the caller's array, written (no silent copy); else a new array.
    assert np.shares_memory(r["X"], kw["X"]) == kw["in_place"]


def check_minibatch(r, kw, dt):
    named({"labels", "inertia"})(r, kw, dt)
    is_array(r["labels"], (kw["m"],), np.int32)


def check_sparse_nearest(r, kw, dt):
    named({"labels", "distances", "inertia"})(r, kw, dt)
    is_array(r["labels"], (N,), np.int32)
    is_array(r["distances"], (N,), F64)
    w = np.ones(N) if kw["sample_weight"] is None else kw["sample_weight"].astype(np.float64)
    np.testing.assert_allclose(r["inertia"], np.dot(w, r["distances"]), rtol=1e-12)


def check_sparse_minibatch(r, kw, dt):
    named({"labels", "inertia"})(r, kw, dt)
    is_array(r["labels"], (N,), np.int32)


def check_gmm_em(r, kw, dt):
    named(
        {
            "weights",
            "means",
            "covariances",
            "precisions_cholesky",
            "n_iter",
            "converged",
            "lower_bound",
            "lower_bounds",
            "seconds",
        }
    )(r, kw, dt)
    params_check()({k: r[k] for k in ("weights", "means", "covariances", "precisions_cholesky")}, kw, dt)


def check_pass(r, kw, dt):
    named({"log_prob_norm", "resp", "labels"})(r, kw, dt)
    is_array(r["log_prob_norm"], (N,), F64)
    is_array(r["resp"], (N, K), dt)
    is_array(r["labels"], (N,), np.int32)


def check_soft_kmeans(r, kw, dt):
    named({"centers", "n_iter", "shift"})(r, kw, dt)
    is_array(r["centers"], (K, D), F64)


def returns(shape, dtype=None):
    def check(r, kw, dt):
        is_array(r, shape, dtype or dt)

    return check


def returns_float(r, kw, dt):
    assert isinstance(r, float)


# ---- the table ---------------------------------------------------------------------------------
# Array kinds: "T" has X's float dtype (float32 or float64), "f8" is always float64, "i8" int64,
# "i4" int32. Flags: "opt" (None accepted), "out" (written: must be writeable).
@dataclass
class Spec:
    name: str
    func: str
    make: object
    arrays: dict
    check: object
    dtypes: tuple = BOTH
    decider: str = "X"  # the argument whose dtype picks float32 or float64
    bad: list = field(default_factory=list)  # (label, kwargs -> kwargs, regex the message names)

    def __repr__(self):
        return self.name


def resize(name, axis, delta):
    """kwargs with array `name` longer (delta > 0, repeating its last slice) or shorter along axis."""

    def f(kw):
        a = kw[name]
        if delta > 0:
            last = np.take(a, [-1] * delta, axis=axis)
            kw[name] = np.ascontiguousarray(np.concatenate([a, last], axis=axis))
        else:
            kw[name] = np.ascontiguousarray(np.take(a, np.arange(a.shape[axis] + delta), axis=axis))
        return kw

    return f


def put(name, value):
    def f(kw):
        kw[name] = value(kw) if callable(value) else value
        return kw

    return f


def set_item(name, index, value):
    def f(kw):
        a = kw[name].copy()
        a[index] = value
        kw[name] = a
        return kw

    return f


def lengths(name, axes=(0,), what=None):
    """name one row/column too many and too few, along each axis."""
    out = []
    for ax in axes:
        for delta in (1, -1):
            out.append((f"{name}-axis{ax}{delta:+d}", resize(name, ax, delta), what or name))
    return out


def x_empty(rows=True, cols=True, name="X"):
    out = []
    if rows:
        out.append((f"{name}-no-rows", lambda kw: dict(kw, **{name: kw[name][:0]}), name))
    if cols:
        out.append((f"{name}-no-cols", lambda kw: dict(kw, **{name: np.ascontiguousarray(kw[name][:, :0])}), name))
    return out


def no_centers(name):
    return [(f"{name}-k0", lambda kw: dict(kw, **{name: kw[name][:0]}), name)]


def codes(name, values):
    return [(f"{name}={v}", put(name, v), name) for v in values]


def bad_floats(name, values=(-1.0, np.nan, np.inf)):
    return [(f"{name}={v}", put(name, v), name) for v in values]


def bad_csr():
    """A CSR structure that would let a kernel read outside X or the centers: ValueError."""
    return [
        ("indices-axis0+1", resize("indices", 0, 1), "indices"),
        ("indices-axis0-1", resize("indices", 0, -1), "indices"),
        ("data-axis0+1", resize("data", 0, 1), "data"),
        ("indices=-1", set_item("indices", 4, -1), "indices"),
        ("indices=d", set_item("indices", 4, D), "indices"),
        ("indices=2^31-1", set_item("indices", 0, 2**31 - 1), "indices"),
        ("indptr-from-1", set_item("indptr", 0, 1), "indptr"),
        ("indptr-decreasing", set_item("indptr", 2, 0), "indptr"),
        ("indptr-short-of-nnz", lambda kw: set_item("indptr", -1, kw["indptr"][-1] - 1)(kw), "indptr"),
        ("indptr-past-nnz", lambda kw: set_item("indptr", -1, kw["indptr"][-1] + 1)(kw), "indptr"),
        ("indptr-no-rows", put("indptr", lambda kw: kw["indptr"][:1].copy()), "indptr"),
        ("n_features=0", put("n_features", 0), "n_features"),
        ("n_features<max-index", put("n_features", D - 1), "indices"),
    ]


def bad_csr_gathered():
    """bad_csr() for a call that gathers `rows` of X: the offsets and columns of the gathered rows are
    checked; a structure that only misplaces X's first or last offset is caught when every row is
    taken (rows=None), and rows outside X are refused."""
    whole_only = {"indptr-from-1", "indptr-short-of-nnz"}

    def whole(f):
        return lambda kw: dict(f(kw), rows=None, sample_weight=None)

    return [(label, whole(f) if label in whole_only else f, name) for label, f, name in bad_csr()] + [
        ("rows=-1", set_item("rows", 1, -1), "rows"),
        ("rows=n", set_item("rows", 2, N), "rows"),
        ("rows=2^40", set_item("rows", 3, 2**40), "rows"),
        ("rows-empty", lambda kw: dict(kw, rows=kw["rows"][:0], sample_weight=None), "batch"),
    ]


def sparse_specs(index):
    """The sparse k-means functions, with int32 or int64 indices ("i4", "i8")."""
    kind, tag = ("i4", "") if index == np.int32 else ("i8", "(int64)")
    csr = {"data": ("T", ""), "indices": (kind, ""), "indptr": (kind, "")}
    make = (lambda f: f) if index == np.int32 else int64_indices
    return [
        Spec(
            "sparse_lloyd" + tag,
            "sparse_lloyd",
            make(mk_sparse_lloyd),
            {**csr, "sample_weight": ("T", "opt"), "centers_init": ("T", "")},
            check_lloyd,
            decider="data",
            bad=bad_csr()
            + lengths("sample_weight")
            + lengths("centers_init", (1,))
            + no_centers("centers_init")
            + codes("max_iter", [0, -1])
            + bad_floats("tol"),
        ),
        Spec(
            "sparse_kmeans_plusplus" + tag,
            "sparse_kmeans_plusplus",
            make(mk_sparse_kmeans_plusplus),
            {**csr, "sample_weight": ("T", ""), "uniforms": ("f8", "")},
            returns((K,), np.int64),
            decider="data",
            bad=bad_csr()
            + lengths("sample_weight")
            + lengths("uniforms")
            + codes("n_clusters", [0, -1])
            + codes("first", [-1, N, 2**40])
            + codes("n_trials", [0, 65]),
        ),
        Spec(
            "sparse_assign" + tag,
            "sparse_assign",
            make(mk_sparse_assign),
            {**csr, "centers": ("T", "")},
            returns((N,), np.int32),
            decider="data",
            bad=bad_csr() + lengths("centers", (1,)) + no_centers("centers"),
        ),
        Spec(
            "sparse_inertia" + tag,
            "sparse_inertia",
            make(mk_sparse_inertia),
            {**csr, "sample_weight": ("T", "opt"), "centers": ("T", ""), "labels": ("i4", "")},
            returns_float,
            decider="data",
            bad=bad_csr()
            + lengths("sample_weight")
            + lengths("centers", (1,))
            + no_centers("centers")
            + lengths("labels")
            + [("labels=-1", set_item("labels", 4, -1), "labels"), ("labels=k", set_item("labels", 4, K), "labels")],
        ),
        Spec(
            "sparse_sq_distances" + tag,
            "sparse_sq_distances",
            make(mk_sparse_assign),
            {**csr, "centers": ("T", "")},
            returns((N, K)),
            decider="data",
            bad=bad_csr() + lengths("centers", (1,)) + no_centers("centers"),
        ),
        Spec(
            "sparse_minibatch_step" + tag,
            "sparse_minibatch_step",
            make(mk_sparse_minibatch_step),
            {
                **csr,
                "sample_weight": ("T", "opt"),
                "centers_old": ("T", ""),
                "centers_new": ("T", "out"),
                "weight_sums": ("T", "out"),
                "rows": ("i8", "opt"),
            },
            check_sparse_minibatch,
            decider="data",
            bad=bad_csr_gathered()
            + lengths("sample_weight")
            + lengths("centers_old", (1,))
            + lengths("centers_new", (0, 1))
            + lengths("weight_sums")
            + no_centers("centers_old"),
        ),
        Spec(
            "sparse_lloyd_chunk" + tag,
            "sparse_lloyd_chunk",
            make(mk_sparse_lloyd_chunk),
            {**csr, "sample_weight": ("T", "opt"), "centers": ("T", "")},
            check_lloyd_chunk,
            decider="data",
            bad=bad_csr() + lengths("sample_weight") + lengths("centers", (1,)) + no_centers("centers"),
        ),
        Spec(
            "sparse_nearest" + tag,
            "sparse_nearest",
            make(mk_sparse_nearest),
            {**csr, "sample_weight": ("T", "opt"), "centers": ("T", "")},
            check_sparse_nearest,
            decider="data",
            bad=bad_csr() + lengths("sample_weight") + lengths("centers", (1,)) + no_centers("centers"),
        ),
    ]


SPECS = [
    # elkan and hamerly take exactly lloyd's arguments and return lloyd's dict (KMeans only picks
    # which to call).
    *[
        Spec(
            name,
            name,
            mk_lloyd,
            {"X": ("T", ""), "sample_weight": ("T", "opt"), "centers_init": ("T", ""), "mean": ("f8", "opt")},
            check_lloyd,
            bad=lengths("sample_weight")
            + lengths("centers_init", (1,))
            + no_centers("centers_init")
            + lengths("mean")
            + x_empty()
            + [
                (
                    "centers_init-k>n",
                    put("centers_init", lambda kw: np.ascontiguousarray(np.concatenate([kw["X"], kw["X"][:1]]))),
                    "centers_init",
                )
            ]
            + codes("max_iter", [0, -1])
            + bad_floats("tol"),
        )
        for name in ("lloyd", "elkan", "hamerly")
    ],
    Spec(
        "kmeans_plusplus",
        "kmeans_plusplus",
        mk_kmeans_plusplus,
        {"X": ("T", ""), "sample_weight": ("T", ""), "uniforms": ("f8", "")},
        returns((K,), np.int64),
        bad=lengths("sample_weight")
        + lengths("uniforms")
        + x_empty()
        + codes("n_clusters", [0, -1])
        + codes("first", [-1, N, 2**40])
        + codes("n_trials", [0, 65]),
    ),
    Spec(
        "lloyd_chunk",
        "lloyd_chunk",
        mk_lloyd_chunk,
        {"X": ("T", ""), "sample_weight": ("T", "opt"), "centers": ("T", "")},
        check_lloyd_chunk,
        bad=lengths("sample_weight") + lengths("centers", (1,)) + no_centers("centers") + x_empty(),
    ),
    Spec(
        "average_centers",
        "average_centers",
        mk_average_centers,
        {"sums": ("f8", ""), "weights": ("f8", ""), "old_centers": ("T", "")},
        check_average_centers,
        decider="old_centers",
        bad=lengths("sums", (0, 1)) + lengths("weights") + no_centers("old_centers"),
    ),
    Spec("center", "center", mk_center, {"X": ("T", "")}, check_center, bad=x_empty(cols=False)),
    Spec("center(in_place)", "center", mk_center_in_place, {"X": ("T", "out")}, check_center, bad=x_empty(cols=False)),
    Spec("mean_variance", "mean_variance", mk_mean_variance, {"X": ("T", "")}, returns_float, bad=x_empty()),
    Spec("abs_max", "abs_max", mk_abs_max, {"X": ("T", "")}, returns_float),
    Spec(
        "assign",
        "assign",
        mk_assign,
        {"X": ("T", ""), "centers": ("T", "")},
        returns((N,), np.int32),
        bad=lengths("centers", (1,)) + no_centers("centers") + x_empty(),
    ),
    Spec(
        "inertia",
        "inertia",
        mk_inertia,
        {"X": ("T", ""), "sample_weight": ("T", "opt"), "centers": ("T", ""), "labels": ("i4", "")},
        returns_float,
        bad=lengths("sample_weight")
        + lengths("centers", (1,))
        + no_centers("centers")
        + lengths("labels")
        + x_empty()
        + [
            ("labels=-1", set_item("labels", 4, -1), "labels"),
            ("labels=k", set_item("labels", 4, K), "labels"),
            ("labels=2^31-1", set_item("labels", N - 1, 2**31 - 1), "labels"),
        ],
    ),
    Spec(
        "minibatch_step",
        "minibatch_step",
        mk_minibatch_step,
        {
            "X": ("T", ""),
            "rows": ("i8", "opt"),
            "sample_weight": ("T", "opt"),
            "centers_old": ("T", ""),
            "centers_new": ("T", "out"),
            "weight_sums": ("T", "out"),
        },
        check_minibatch,
        bad=lengths("rows", what="rows")
        + lengths("sample_weight")
        + lengths("centers_old", (1,))
        + lengths("centers_new", (0, 1))
        + lengths("weight_sums")
        + no_centers("centers_old")
        + x_empty()
        + [
            ("rows=-1", set_item("rows", 1, -1), "rows"),
            ("rows=n", set_item("rows", 2, N), "rows"),
            ("rows=2^40", set_item("rows", 3, 2**40), "rows"),
            ("m=0", lambda kw: dict(kw, m=0, rows=kw["rows"][:0], sample_weight=None), r"\bm\b"),
            ("m>n-without-rows", lambda kw: dict(kw, rows=None, m=N + 1, sample_weight=None), r"\bm\b"),
            ("m<0-without-rows", lambda kw: dict(kw, rows=None, m=-1, sample_weight=None), r"\bm\b"),
        ],
    ),
    Spec(
        "sq_distances",
        "sq_distances",
        mk_sq_distances,
        {"X": ("T", ""), "centers": ("T", "")},
        returns((N, K)),
        bad=lengths("centers", (1,)) + no_centers("centers") + x_empty(),
    ),
    Spec(
        "draw_rows",
        "draw_rows",
        mk_draw_rows,
        {"cdf": ("f8", ""), "u": ("f8", "")},
        returns((5,), np.int64),
        dtypes=(F64,),
        decider=None,
        bad=[("cdf-empty", put("cdf", np.zeros(0)), "cdf")],
    ),
    Spec(
        "gmm_estimate",
        "gmm_estimate",
        mk_gmm_estimate,
        {"X": ("T", ""), "sample_weight": ("T", "opt"), "resp": ("f8", "")},
        params_check(),
        bad=lengths("sample_weight")
        + lengths("resp")
        + x_empty()
        + [("resp-k0", lambda kw: dict(kw, resp=np.ascontiguousarray(kw["resp"][:, :0])), "resp")]
        + codes("cov_type", [-1, 4])
        + bad_floats("reg_covar"),
    ),
    Spec(
        "gmm_em",
        "gmm_em",
        mk_gmm_em,
        {
            "X": ("T", ""),
            "sample_weight": ("T", "opt"),
            "weights": ("f8", ""),
            "means": ("f8", ""),
            "prec_chol": ("f8", ""),
        },
        check_gmm_em,
        bad=lengths("sample_weight")
        + lengths("weights")
        + lengths("means", (1,))
        + no_centers("means")
        + lengths("prec_chol", (0, 1, 2))
        + x_empty()
        + codes("cov_type", [-1, 4])
        + codes("max_iter", [0, -1])
        + bad_floats("tol")
        + bad_floats("reg_covar")
        + [("lower_bound=nan", put("lower_bound", np.nan), "lower_bound")],
    ),
    Spec(
        "gmm_pass_stats",
        "gmm_pass_stats",
        mk_gmm_pass_stats,
        {
            "X": ("T", ""),
            "sample_weight": ("T", "opt"),
            "weights": ("f8", ""),
            "means": ("f8", ""),
            "prec_chol": ("f8", ""),
            "shift": ("f8", ""),
            "about": ("f8", ""),
            "given_resp": ("f8", "opt"),
        },
        returns((2 + K + K * D + K * D * (D + 1) // 2,), F64),
        bad=lengths("sample_weight")
        + lengths("weights")
        + lengths("means", (1,))
        + no_centers("means")
        + lengths("prec_chol", (0, 1, 2))
        + lengths("shift")
        + lengths("about", (0, 1))
        + lengths("given_resp", (0, 1))
        + x_empty()
        + codes("cov_type", [-1, 4]),
    ),
    Spec(
        "gmm_score",
        "gmm_score",
        mk_gmm_score,
        {"X": ("T", ""), "weights": ("f8", ""), "means": ("f8", ""), "prec_chol": ("f8", "")},
        check_pass,
        bad=lengths("weights")
        + lengths("means", (1,))
        + no_centers("means")
        + lengths("prec_chol", (0, 1, 2))
        + x_empty()
        + codes("cov_type", [-1, 4]),
    ),
    Spec(
        "gmm_m_step",
        "gmm_m_step",
        mk_gmm_m_step,
        {"stats": ("f8", ""), "about": ("f8", ""), "shift": ("f8", ""), "floor": ("f8", "")},
        params_check(),
        dtypes=(F64,),
        decider=None,
        bad=lengths("stats")
        + lengths("about", (0, 1))
        + lengths("shift")
        + lengths("floor")
        + codes("n_components", [0, -1])
        + codes("n_features", [0, -1])
        + codes("cov_type", [-1, 4])
        + [
            ("n_components=k+1", put("n_components", K + 1), "stats"),
            ("n_features=d+1", put("n_features", D + 1), "stats"),
        ]
        + bad_floats("reg_covar"),
    ),
    Spec(
        "linkage_ward",
        "linkage_ward",
        mk_linkage_ward,
        {"X": ("T", "")},
        returns((N - 1, 4), F64),
        bad=x_empty() + [("X-one-row", lambda kw: dict(kw, X=kw["X"][:1]), "X")],
    ),
    Spec(
        "linkage_centroid",
        "linkage_centroid",
        mk_linkage_centroid,
        {"X": ("T", "")},
        returns((N - 1, 4), F64),
        bad=x_empty()
        + [("X-one-row", lambda kw: dict(kw, X=kw["X"][:1]), "X")]
        + [(f"X={v}", set_item("X", (3, 1), v), "X") for v in (np.nan, np.inf, -np.inf, 2.0**401)]
        + codes("method", [-1, 0, 4, 7]),
    ),
    Spec(
        "linkage_single",
        "linkage_single",
        mk_linkage_single,
        {"X": ("T", ""), "norms": ("f8", "opt")},
        returns((N - 1, 4), F64),
        bad=lengths("norms")
        + x_empty()
        + [
            ("X-one-row", lambda kw: dict(kw, X=kw["X"][:1]), "X"),
            ("cosine-without-norms", put("norms", None), "norms"),
        ]
        + codes("metric", [-1, 4]),
    ),
    Spec(
        "pdist",
        "pdist",
        mk_pdist,
        {"X": ("T", ""), "norms": ("f8", "opt")},
        returns((N * (N - 1) // 2,), F64),
        bad=lengths("norms")
        + x_empty()
        + [
            ("X-one-row", lambda kw: dict(kw, X=kw["X"][:1]), "X"),
            ("cosine-without-norms", put("norms", None), "norms"),
        ]
        + codes("metric", [-1, 4]),
    ),
    Spec(
        "linkage_condensed",
        "linkage_condensed",
        mk_linkage_condensed,
        {"D": ("f8", "out")},
        returns((N - 1, 4), F64),
        dtypes=(F64,),
        decider=None,
        bad=lengths("D")
        + [(f"D={v}", set_item("D", 5, v), "D") for v in (np.inf, -np.inf, np.nan, -1.0)]
        + [(f"n={v}", put("n", v), r"n \(observations\)") for v in (1, 0, -1, 2**31 + 1)]
        + [("n=n+1", put("n", N + 1), "D")]
        + codes("method", [-1, 7]),
    ),
    Spec(
        "linkage_square",
        "linkage_square",
        mk_linkage_square,
        {"buf": ("f8", "out")},
        returns((N - 1, 4), F64),
        dtypes=(F64,),
        decider=None,
        bad=lengths("buf")
        + [(f"buf={v}", set_item("buf", N * N - 3, v), "buf") for v in (np.inf, -np.inf, np.nan, -1.0)]
        + [(f"n={v}", put("n", v), r"n \(observations\)") for v in (1, 0, -1, 2**31 + 1)]
        + [("n=n+1", put("n", N + 1), "buf")]
        + codes("method", [-1, 0, 7]),
    ),
    Spec(
        "linkage_square_observations",
        "linkage_square_observations",
        mk_linkage_square_observations,
        {"X": ("T", ""), "norms": ("f8", "opt"), "buf": ("f8", "out")},
        returns((N - 1, 4), F64),
        bad=lengths("norms")
        + lengths("buf")
        + x_empty()
        + [
            ("X-one-row", lambda kw: dict(kw, X=kw["X"][:1]), "X"),
            ("cosine-without-norms", put("norms", None), "norms"),
        ]
        + [("X=nan", set_item("X", (3, 1), np.nan), "X")]
        + codes("metric", [-1, 4])
        + codes("method", [-1, 0, 7]),
    ),
    Spec(
        "optimal_leaf_ordering",
        "optimal_leaf_ordering",
        mk_optimal_leaf_ordering,
        {"children": ("i8", ""), "D": ("f8", "")},
        returns((N - 1,), np.uint8),
        dtypes=(F64,),
        decider=None,
        bad=lengths("children", (0, 1))
        + lengths("D")
        + x_empty(cols=False, name="children")
        + [(f"D={v}", set_item("D", 5, v), "D") for v in (np.inf, -np.inf, np.nan, -1.0)]
        + [
            ("children=-1", set_item("children", (2, 0), -1), "children"),
            ("children=n+row", set_item("children", (0, 1), N), "children"),
            ("children=2n-1", set_item("children", (N - 2, 1), 2 * N - 1), "children"),
            ("children=2^40", set_item("children", (3, 0), 2**40), "children"),
            ("children-twice", lambda kw: set_item("children", (N - 2, 0), kw["children"][N - 3, 0])(kw), "children"),
        ],
    ),
    Spec(
        "graph_ward",
        "graph_ward",
        mk_graph_ward,
        {"X": ("T", ""), "data": ("f8", ""), "indices": ("i8", ""), "indptr": ("i8", "")},
        check_graph_tree(N - 1),
        bad=bad_graph()
        + lengths("X")
        + x_empty(rows=False)
        + codes("merges", [-1, N])
        + [("not-connected", disconnect, "not connected")],
    ),
    Spec(
        "graph_linkage",
        "graph_linkage",
        mk_graph_linkage,
        {"data": ("f8", ""), "indices": ("i8", ""), "indptr": ("i8", "")},
        check_graph_tree(N - 1),
        dtypes=(F64,),
        decider=None,
        bad=bad_graph()
        + codes("method", [-1, 2])
        + codes("merges", [-1, N])
        + [("not-connected", disconnect, "not connected")],
    ),
    Spec(
        "graph_single",
        "graph_single",
        mk_graph_single,
        {"data": ("f8", ""), "indices": ("i8", ""), "indptr": ("i8", "")},
        check_graph_tree(N - 1),
        dtypes=(F64,),
        decider=None,
        bad=bad_graph() + [("not-connected", disconnect, "not connected")],
    ),
    Spec(
        "graph_components",
        "graph_components",
        mk_graph_single,
        {"data": ("f8", ""), "indices": ("i8", ""), "indptr": ("i8", "")},
        check_graph_components,
        dtypes=(F64,),
        decider=None,
        bad=bad_graph(),
    ),
    Spec(
        "silhouette_sorted",
        "silhouette_sorted",
        mk_silhouette_sorted,
        {"X": ("T", ""), "starts": ("i8", "")},
        returns((N,), F64),
        bad=x_empty()
        + [
            ("starts-not-from-0", put("starts", np.array([1, 6, N], dtype=np.int64)), "starts"),
            ("starts-not-to-n", put("starts", np.array([0, 6, N - 1], dtype=np.int64)), "starts"),
            ("starts-past-n", put("starts", np.array([0, 6, N + 1], dtype=np.int64)), "starts"),
            ("starts-repeated", put("starts", np.array([0, 6, 6, N], dtype=np.int64)), "starts"),
            ("starts-decreasing", put("starts", np.array([0, 8, 4, N], dtype=np.int64)), "starts"),
            ("starts-one-value", put("starts", np.array([0], dtype=np.int64)), "starts"),
            ("starts-empty", put("starts", np.zeros(0, dtype=np.int64)), "starts"),
        ],
    ),
    *[
        Spec(
            f"silhouette_csr-{kind}",
            "silhouette_csr",
            mk_silhouette_csr(np.dtype(kind)),
            {"data": ("T", ""), "indices": (kind, ""), "indptr": (kind, ""), "starts": ("i8", "")},
            returns((N,), F64),
            decider="data",
            bad=lengths("data")
            + lengths("indices")
            + lengths("indptr")
            + lengths("starts")
            + [
                ("indices=d", set_item("indices", 1, D), "indices"),
                ("indices=-1", set_item("indices", 2, -1), "indices"),
                ("indptr-not-from-0", set_item("indptr", 0, 1), "indptr"),
                ("indptr-decreasing", lambda kw: set_item("indptr", 3, kw["indptr"][4] + 1)(kw), "indptr"),
                ("indptr-past-nnz", set_item("indptr", N, 10**6), "indptr"),
                ("starts-repeated", put("starts", np.array([0, 6, 6, N], dtype=np.int64)), "starts"),
                ("starts-not-to-n", put("starts", np.array([0, 6, N - 1], dtype=np.int64)), "starts"),
            ]
            + codes("n_features", [0, -1])
            + codes("metric", ["chebyshev", "cosine"]),
        )
        for kind in ("i4", "i8")
    ],
    Spec(
        "soft_kmeans",
        "soft_kmeans",
        mk_soft_kmeans,
        {"X": ("T", ""), "sample_weight": ("T", "opt"), "centers": ("f8", "")},
        check_soft_kmeans,
        bad=lengths("sample_weight")
        + lengths("centers", (1,))
        + no_centers("centers")
        + x_empty()
        + bad_floats("beta", (0.0, -1.0, np.nan, np.inf))
        + codes("max_iter", [0, -1])
        + bad_floats("tol"),
    ),
    Spec(
        "soft_assign",
        "soft_assign",
        mk_soft_assign,
        {"X": ("T", ""), "centers": ("f8", "")},
        check_pass,
        bad=lengths("centers", (1,))
        + no_centers("centers")
        + x_empty()
        + bad_floats("beta", (0.0, -1.0, np.nan, np.inf)),
    ),
    *sparse_specs(np.int32),
    *sparse_specs(np.int64),
]
SPEC_BY_NAME = {s.name: s for s in SPECS}


# ---- helpers -----------------------------------------------------------------------------------
def call(spec, kw):
    return getattr(_core, spec.func)(**kw)


def arrays_of(kw):
    return {k: v for k, v in kw.items() if isinstance(v, np.ndarray)}


def assert_rejected(spec, kw, exc, match=None):
    """The call raises exc (naming `match`) and leaves every array it was given as it was."""
    before = {k: v.copy() for k, v in arrays_of(kw).items()}
    with pytest.raises(exc) as info:
        call(spec, kw)
    assert type(info.value) is exc, f"{type(info.value).__name__}: {info.value}"
    if match is not None:
        assert re.search(match, str(info.value)), f"{match!r} not in: {info.value}"
    for k, v in arrays_of(kw).items():
        assert np.array_equal(v, before[k], equal_nan=v.dtype.kind in "fc"), f"{k} was written by a rejected call"


def same_result(a, b):
    if isinstance(a, dict):
        assert set(a) == set(b)
        for key in a:
            if key != "seconds":
                same_result(a[key], b[key])
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def other_float(dt):
    return F32 if np.dtype(dt) == F64 else F64


def arg_dtype(kind, dt):
    return {"T": np.dtype(dt), "f8": F64, "i8": np.dtype(np.int64), "i4": np.dtype(np.int32)}[kind]


def misaligned(a):
    buf = bytearray(a.nbytes + 1)
    m = np.frombuffer(buf, dtype=a.dtype, count=a.size, offset=1).reshape(a.shape)
    m[...] = a
    assert not m.flags.aligned and m.flags.c_contiguous and m.flags.writeable
    return m


def fortran(a):
    m = np.asfortranarray(a)
    assert not m.flags.c_contiguous
    return m


def strided(a):
    m = np.repeat(a, 2, axis=0)[::2]
    assert not m.flags.c_contiguous and np.array_equal(m, a, equal_nan=True)
    return m


def reversed_rows(a):
    m = a[::-1].copy()[::-1]
    assert not m.flags.c_contiguous
    return m


def view_in_bigger_buffer(a):
    """The same values as a C-contiguous, aligned view into the middle of a larger array."""
    big = np.zeros(a.size + 8, dtype=a.dtype)
    m = big[3 : 3 + a.size].reshape(a.shape)
    m[...] = a
    assert m.flags.c_contiguous and m.flags.aligned and m.base is not None
    return m


def read_only(a):
    m = a.copy()
    m.setflags(write=False)
    return m


def less_dims(a):
    return np.ascontiguousarray(a.reshape(-1)) if a.ndim >= 2 else np.array(a[0])


def mutations(kind, dt, ndim):
    """(id, function of the array, exception) for an array argument of this kind and dtype."""
    own = arg_dtype(kind, dt)
    if kind in ("T", "f8"):
        wrong = [other_float(own), np.int64, np.int32, np.float16, np.complex128, np.longdouble, np.bool_]
    else:
        wrong = [
            {8: np.int32, 4: np.int64}[own.itemsize],
            {8: np.uint64, 4: np.uint32}[own.itemsize],
            np.int16,
            np.float64,
            np.bool_,
        ]
    out = [(f"dtype-{np.dtype(t).name}", (lambda t: lambda a: a.astype(t))(t), TypeError) for t in wrong]
    out += [
        ("dtype-object", lambda a: a.astype(object), TypeError),
        ("big-endian", lambda a: a.astype(a.dtype.newbyteorder(">")), TypeError),
        ("list", lambda a: a.tolist(), TypeError),
        ("scalar", lambda a: 1.0, TypeError),
        ("strided", strided, TypeError),
        ("reversed", reversed_rows, TypeError),
        ("misaligned", misaligned, TypeError),
        ("more-dims", lambda a: a[None], ValueError),
        ("fewer-dims", less_dims, ValueError),
    ]
    if ndim >= 2:
        out.append(("fortran", fortran, TypeError))
    return out


def run_all(cases):
    """Runs each (id, check) and fails with the list of the checks that failed (all of them, so
    that one parametrized test reports every mutation of an argument)."""
    failures, ran = [], 0
    for case_id, check in cases:
        try:
            check()
            ran += 1
        except pytest.skip.Exception:
            pass
        except Exception as e:  # noqa: BLE001 - AssertionError or an unexpected exception
            failures.append(f"{case_id}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures)
    return ran


# ---- the tests ---------------------------------------------------------------------------------
def test_every_array_function_is_covered():
    public = {n for n in dir(_core) if not n.startswith("_") and callable(getattr(_core, n))}
    covered = {}
    for spec in SPECS:
        covered.setdefault(spec.func, set()).update(spec.arrays)
    for name in sorted(public):
        signature = getattr(_core, name).__doc__.splitlines()[0]
        assert signature.startswith(name + "("), signature
        array_args = set(re.findall(r"(\w+): object", signature))  # py::handle: an array (or None)
        if name in NO_ARRAYS:
            assert not array_args, f"{name} takes arrays {array_args}: add it to SPECS"
        else:
            assert name in covered, f"kmix._core.{name} is not tested here: add it to SPECS"
            assert covered[name] == array_args, f"{name}: table covers {covered[name]}, signature has {array_args}"
    assert set(covered) | NO_ARRAYS == public, (
        f"SPECS or NO_ARRAYS name functions _core lacks: {(set(covered) | NO_ARRAYS) - public}"
    )


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_valid_call_and_named_results(spec):
    for dt in spec.dtypes:
        kw = spec.make(dt)
        result = call(spec, kw)
        assert not isinstance(result, tuple)
        spec.check(result, kw, dt)


@pytest.mark.parametrize("spec", [s for s in SPECS if any("opt" in f for _, f in s.arrays.values())], ids=str)
def test_optional_arrays_accept_none(spec):
    optional = [arg for arg, (_, flags) in spec.arrays.items() if "opt" in flags]
    for dt in spec.dtypes:
        for arg in optional:
            kw = spec.make(dt)
            kw[arg] = None
            if spec.name in ("linkage_single", "pdist", "linkage_square_observations"):
                kw["metric"] = 1  # cosine needs the norms
            spec.check(call(spec, kw), kw, dt)


SCRATCH = ("linkage_condensed", "linkage_square", "linkage_square_observations")


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_contiguous_views_accepted(spec):
    # Strict is not fussy: a C-contiguous aligned view (say, a block of rows) is taken as it is,
    # outputs included (written through the view).
    for dt in spec.dtypes:
        expected_kw = spec.make(dt)
        expected = call(spec, expected_kw)
        kw = spec.make(dt)
        for arg in spec.arrays:
            kw[arg] = view_in_bigger_buffer(kw[arg])
        same_result(call(spec, kw), expected)
        for arg, (_, flags) in spec.arrays.items():
            if "out" in flags and spec.func not in SCRATCH:  # their buffers are scratch once used
                np.testing.assert_array_equal(kw[arg], expected_kw[arg])


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_read_only_inputs_accepted_outputs_refused(spec):
    for dt in spec.dtypes:
        expected = call(spec, spec.make(dt))
        kw = spec.make(dt)
        for arg, (_, flags) in spec.arrays.items():
            if "out" not in flags:
                kw[arg] = read_only(kw[arg])
        outputs = [arg for arg, (_, flags) in spec.arrays.items() if "out" in flags]
        if not outputs:
            same_result(call(spec, kw), expected)
        for arg in outputs:
            bad = dict(kw, **{arg: read_only(kw[arg])})
            assert_rejected(spec, bad, TypeError, arg)


def mutate_and_call(spec, dt, arg, mid, fn, exc):
    kw = spec.make(dt)
    kind = spec.arrays[arg][0]
    kw[arg] = fn(kw[arg])
    if mid == f"dtype-{other_float(arg_dtype(kind, dt)).name}" and arg == spec.decider:
        # X of the other float dtype is valid by itself: the arrays that follow X's dtype
        # (if any) are then the ones of the wrong dtype.
        followers = [a for a, (k, _) in spec.arrays.items() if k == "T" and a != arg and kw[a] is not None]
        if not followers:
            pytest.skip("the other float dtype is a valid call of this function")
        assert_rejected(spec, kw, TypeError, "|".join(followers))
        return
    assert_rejected(spec, kw, exc, arg)


ARG_CASES = [
    pytest.param(spec, dt, arg, id=f"{spec.name}-{dt.name}-{arg}")
    for spec in SPECS
    for dt in spec.dtypes
    for arg in spec.arrays
]


@pytest.mark.parametrize("spec, dt, arg", ARG_CASES)
def test_array_mutations_rejected(spec, dt, arg):
    # Every mutation of this argument: wrong dtype, big-endian, not an array, not C-contiguous,
    # misaligned -> TypeError; wrong ndim -> ValueError; the message names the argument and no
    # array passed is written.
    kind = spec.arrays[arg][0]
    ndim = spec.make(dt)[arg].ndim
    cases = [
        (mid, (lambda mid, fn, exc: lambda: mutate_and_call(spec, dt, arg, mid, fn, exc))(mid, fn, exc))
        for mid, fn, exc in mutations(kind, dt, ndim)
    ]
    assert run_all(cases) >= len(cases) - 1


@pytest.mark.parametrize("spec", [s for s in SPECS if s.bad], ids=str)
def test_inconsistent_shapes_and_values_rejected(spec):
    # Arrays whose shapes disagree, index values out of range, codes and counts out of range:
    # ValueError naming what is wrong, before any array is touched.
    cases = [
        (
            f"{dt.name}-{label}",
            (lambda dt, fn, match: lambda: assert_rejected(spec, fn(spec.make(dt)), ValueError, match))(dt, fn, match),
        )
        for dt in spec.dtypes
        for label, fn, match in spec.bad
    ]
    assert run_all(cases) == len(cases)


@pytest.mark.parametrize("spec", [s for s in SPECS if "n_threads" in s.make(F64)], ids=str)
@pytest.mark.parametrize("n_threads", [0, -1, -(2**31)])
def test_n_threads_below_one_rejected(spec, n_threads):
    for dt in spec.dtypes:
        assert_rejected(spec, dict(spec.make(dt), n_threads=n_threads), ValueError, "n_threads")


def test_every_spec_has_consistency_cases():
    # Every function whose arrays must agree with each other has shape cases in the table.
    for spec in SPECS:
        if len(spec.arrays) > 1 or spec.func in (
            "linkage_ward",
            "linkage_centroid",
            "center",
            "mean_variance",
            "silhouette_sorted",
        ):
            assert spec.bad, spec.name


@pytest.mark.parametrize("func", ["gmm_em", "gmm_score", "gmm_pass_stats"])
@pytest.mark.parametrize("cov_type", [0, 1, 2, 3], ids=["full", "tied", "diag", "spherical"])
def test_prec_chol_shape_follows_cov_type(func, cov_type):
    spec = SPEC_BY_NAME[func]
    kw = dict(spec.make(F64), cov_type=cov_type, prec_chol=prec_chol(cov_type))
    result = call(spec, kw)
    if func == "gmm_em":
        is_array(result["precisions_cholesky"], prec_shape(cov_type), F64)
    wrong_shapes = {prec_shape(t) for t in range(4)} | {
        prec_shape(cov_type, K + 1),
        prec_shape(cov_type, K, D + 1),
        prec_shape(cov_type, K - 1),
        prec_shape(cov_type, K, D - 1),
    }
    wrong_shapes.discard(prec_shape(cov_type))
    for shape in sorted(wrong_shapes):
        bad = dict(kw, prec_chol=np.ones(shape))
        assert_rejected(spec, bad, ValueError, "prec_chol")


@pytest.mark.parametrize("cov_type", [0, 1, 2, 3], ids=["full", "tied", "diag", "spherical"])
def test_gmm_m_step_stats_length_follows_cov_type(cov_type):
    spec = SPEC_BY_NAME["gmm_m_step"]
    kw = dict(spec.make(F64), cov_type=cov_type, stats=stats(cov_type))
    params_check()(call(spec, kw), kw, F64)
    for other in range(4):
        if stats(other).size != kw["stats"].size:
            assert_rejected(spec, dict(kw, stats=stats(other)), ValueError, "stats")


def test_pass_outputs_are_none_unless_asked():
    for func, flags in (
        ("gmm_score", ("log_prob_norm", "resp", "labels")),
        ("soft_assign", ("log_norm", "resp", "labels")),
    ):
        spec = SPEC_BY_NAME[func]
        for dt in BOTH:
            kw = spec.make(dt)
            for flag in flags:
                one = dict(kw, **{f: f == flag for f in flags})
                r = call(spec, one)
                assert set(r) == {"log_prob_norm", "resp", "labels"}
                key = "log_prob_norm" if flag == "log_norm" else flag
                assert all((r[k] is None) == (k != key) for k in r), (func, flag, r)


def test_float32_weights_for_float64_X_are_a_type_error():
    # The old bug: _core.lloyd(X64, w32, ...) copied the weights silently (NaN weights or a
    # segfault). Run in a child process so that a regression shows as a failure, not a crash.
    code = (
        "import numpy as np\nfrom kmix import _core\n"
        "X = np.random.default_rng(0).standard_normal((50, 3))\n"
        "try:\n"
        "    _core.lloyd(X, np.ones(50, np.float32), X[:3].copy(), 10, 0.0, False, 1)\n"
        "except TypeError as e:\n"
        "    print('TypeError:', e)\n"
        "else:\n"
        "    print('accepted')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("TypeError:") and "sample_weight" in proc.stdout, proc.stdout
    # And the same for every function with weights, in this process.
    for name in (
        "lloyd",
        "elkan",
        "hamerly",
        "lloyd_chunk",
        "inertia",
        "kmeans_plusplus",
        "minibatch_step",
        "gmm_estimate",
        "gmm_em",
        "gmm_pass_stats",
        "soft_kmeans",
    ):
        spec = SPEC_BY_NAME[name]
        for dt in BOTH:
            kw = spec.make(dt)
            kw["sample_weight"] = kw["sample_weight"].astype(other_float(dt))
            assert_rejected(spec, kw, TypeError, "sample_weight")


def test_outputs_are_written_in_place():
    # No silent copies: minibatch_step's centers_new and weight_sums are the caller's arrays.
    spec = SPEC_BY_NAME["minibatch_step"]
    for dt in BOTH:
        kw = spec.make(dt)
        new, sums = kw["centers_new"], kw["weight_sums"]
        before_new, before_sums = new.copy(), sums.copy()
        r = call(spec, kw)
        added = np.bincount(r["labels"], weights=kw["sample_weight"].astype(np.float64), minlength=K)
        np.testing.assert_allclose(sums, before_sums + added, rtol=1e-6)
        assert not np.array_equal(new, before_new)
    # center(in_place=True) writes X − mean into X.
    spec = SPEC_BY_NAME["center(in_place)"]
    for dt in BOTH:
        kw = spec.make(dt)
        X0 = kw["X"].copy()
        r = call(spec, kw)
        assert r["X"] is kw["X"] or np.shares_memory(r["X"], kw["X"])
        np.testing.assert_allclose(kw["X"], X0 - r["mean"], rtol=1e-6)


def test_minibatch_centers_new_may_alias_centers_old():
    spec = SPEC_BY_NAME["minibatch_step"]
    for dt in BOTH:
        kw = spec.make(dt)
        expected_new = kw["centers_new"]
        expected = call(spec, kw)
        kw2 = spec.make(dt)
        kw2["centers_new"] = kw2["centers_old"]
        r = call(spec, kw2)
        same_result(r, expected)
        np.testing.assert_array_equal(kw2["centers_old"], expected_new)


def test_read_only_center_input_without_in_place():
    spec = SPEC_BY_NAME["center"]
    for dt in BOTH:
        kw = spec.make(dt)
        kw["X"] = read_only(kw["X"])
        r = call(spec, kw)
        assert not np.shares_memory(r["X"], kw["X"])


def test_kmeans_plusplus_uniforms_length_check_does_not_overflow():
    # (n_clusters - 1) * n_trials = 2^58 * 64 would wrap to 0 in int64, so an empty uniforms
    # would pass a length check made before n_clusters is bounded by the rows of X.
    X, _, w, _ = base(F64)
    with pytest.raises(ValueError, match="uniforms|n_clusters"):
        _core.kmeans_plusplus(X, w, 2**58 + 1, 0, np.zeros(0), 64, 1)


def test_kmeans_plusplus_refuses_more_clusters_than_rows():
    # as lloyd refuses centers_init with more rows than X
    X, _, w, _ = base(F64)
    k = N + 3
    with pytest.raises(ValueError, match="n_clusters"):
        _core.kmeans_plusplus(X, w, k, 0, np.full((k - 1) * 2, 0.5), 2, 1)
