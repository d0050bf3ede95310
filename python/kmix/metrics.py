"""Cluster-quality scores, as scikit-learn's: silhouette, Calinski-Harabasz, Davies-Bouldin.

The silhouette takes every metric scikit-learn's takes for dense data (``metric`` a name that
``sklearn.metrics.pairwise_distances`` accepts, "precomputed" or a callable, ``**kwds`` passed to
the metric as there), without scikit-learn or scipy:

- Euclidean distances run in C++ (``_core.silhouette_sorted``): rows sorted by cluster, distances
  computed a tile of rows at a time and summed per cluster, so memory is O(n·d + k) and the n×n
  matrix never exists. The metrics that are Euclidean distances after a linear map of the rows
  (seuclidean, mahalanobis, minkowski with p=2, nan_euclidean without missing values) map the
  rows and take the same path.
- Some sums over a cluster have a closed form that avoids the n² distances: squared Euclidean
  (Σ_j ‖x − x_j‖² = m‖x − μ‖² + Σ_j ‖x_j − μ‖²), cosine and correlation (Σ_j (1 − x̂·x̂_j) =
  m − x̂·Σ_j x̂_j), and Manhattan, a sum over features of Σ_j |x_f − x_jf|, which sorted values and
  their prefix sums give for every row at once.
- The other metrics (and a callable) compute distances in numpy, a chunk of rows against all
  rows at a time (O(chunk·n) memory), each pair once when the per-cluster sums fit in memory.
- A precomputed matrix is read a chunk of rows at a time.

Sparse X (scipy.sparse, any format, read as CSR by kmix._sparse) takes what scikit-learn's
silhouette takes sparse: euclidean/l2 (squared or not) and manhattan/cityblock/l1 in C++
(``_core.silhouette_csr``: an inverted index of O(nnz + d) gives each row its products with all
rows, O(n + k) memory per thread), cosine by the closed form above over the nonzeros, haversine
(two columns) on the dense copy, a callable on 1×d sparse rows, and a sparse precomputed matrix
(absent entries are 0). scipy's metrics and nan_euclidean refuse sparse X with a TypeError, as
there; so do Calinski-Harabasz and Davies-Bouldin (scikit-learn takes only dense X for them).

Calinski-Harabasz and Davies-Bouldin need only per-cluster means (O(n·d) with numpy).
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import TYPE_CHECKING

import numpy as np

from . import _core, _scale
from ._sparse import as_csr, is_sparse
from ._threads import effective_n_threads
from ._validation import as_float_array, check_int, check_random_state

if TYPE_CHECKING:
    from typing import Any, Callable

    from numpy.typing import ArrayLike, NDArray

    from ._sparse import SparseMatrix

__all__ = ["silhouette_score", "silhouette_samples", "calinski_harabasz_score", "davies_bouldin_score"]

# ---- metric names and their keyword arguments ------------------------------------------------
# The names scikit-learn 1.9 accepts for dense data (its own functions and scipy's), and for each
# the keyword arguments its distance function takes.
_W = ("w",)
_METRIC_KWDS = {
    # scikit-learn's own distance functions
    "euclidean": ("squared",),
    "l2": ("squared",),
    "nan_euclidean": ("squared", "missing_values", "copy"),
    "manhattan": (),
    "cityblock": (),
    "l1": (),
    "cosine": (),
    "haversine": (),
    # scipy.spatial.distance's ("matching" is scipy's alias of "hamming")
    "braycurtis": _W,
    "canberra": _W,
    "chebyshev": _W,
    "correlation": ("w", "centered"),
    "dice": _W,
    "hamming": _W,
    "matching": _W,
    "jaccard": _W,
    "mahalanobis": ("VI",),
    "minkowski": ("p", "w"),
    "rogerstanimoto": _W,
    "russellrao": _W,
    "seuclidean": ("V",),
    "sokalsneath": _W,
    "sqeuclidean": _W,
    "yule": _W,
    "precomputed": (),
}
#: The names ``metric`` may take in silhouette_samples and silhouette_score (sorted): scikit-learn's
#: and scipy's distances that scikit-learn 1.9 accepts for dense X, and "precomputed".
METRICS = tuple(sorted(_METRIC_KWDS))
# Metrics scipy computes on X converted to bool (scikit-learn warns about the conversion).
_BOOLEAN = ("dice", "jaccard", "rogerstanimoto", "russellrao", "sokalsneath", "yule")
# Names scikit-learn's parameter check lets through but scipy no longer has.
_REMOVED = {
    "wminkowski": "scipy removed 'wminkowski' (1.8); use metric='minkowski' with w=weights**p",
    "sokalmichener": "scipy removed 'sokalmichener' (1.17); 'rogerstanimoto' is the same distance",
    "kulsinski": "scipy removed 'kulsinski' (1.11)",
}
# Keyword arguments of scikit-learn's pairwise_distances_chunked / pairwise_distances that a
# silhouette call may carry: working_memory sizes the chunks; n_jobs and ensure_all_finite change
# nothing here (X must be finite, as in scikit-learn's silhouette).
_CHUNK_KWDS = ("working_memory", "n_jobs", "ensure_all_finite")

# Elements of one chunk of distances (8 MiB of float64): large enough that numpy's per-call
# overhead is small, small enough for the cache-friendly passes over it.
_CHUNK_ELEMENTS = 1 << 20
# Largest n·k for which per-cluster sums of every row are kept (each pair's distance then
# computed once and added to both rows): 64 MiB.
_ACC_ELEMENTS = 1 << 23


def _check_metric(metric, func):
    """metric as a known name or a callable; TypeError/ValueError naming the parameter otherwise."""
    if callable(metric):
        return metric
    if not isinstance(metric, str):
        raise TypeError(
            f"The 'metric' parameter of {func} must be a str among {list(METRICS)} or a callable. "
            f"Got {metric!r} instead."
        )
    if metric in _REMOVED:
        raise ValueError(f"metric={metric!r} is not available: {_REMOVED[metric]}")
    if metric not in _METRIC_KWDS:
        raise ValueError(
            f"The 'metric' parameter of {func} must be a str among {list(METRICS)} or a callable. "
            f"Got {metric!r} instead."
        )
    return metric


def _split_kwds(metric, kwds, func):
    """(the metric's keyword arguments, working_memory in MiB or None); TypeError for a keyword
    the metric does not take."""
    allowed = _METRIC_KWDS.get(metric) if isinstance(metric, str) else None  # None: a callable takes any
    params, working_memory = {}, None
    for key, value in kwds.items():
        if key in _CHUNK_KWDS:
            if key == "working_memory" and value is not None:
                if (
                    isinstance(value, bool)
                    or not isinstance(value, numbers.Real)
                    or not value >= 0
                    or not math.isfinite(value)
                ):
                    raise ValueError(f"working_memory must be a non-negative number of MiB; got {value!r}")
                working_memory = float(value)
            elif (
                key == "n_jobs"
                and value is not None
                and (isinstance(value, bool) or not isinstance(value, numbers.Integral))
            ):
                raise TypeError(f"n_jobs must be None or an int; got {value!r}")
            continue
        if allowed is not None and key not in allowed:
            takes = ", ".join(allowed) if allowed else "no keyword arguments"
            raise TypeError(
                f"{func}() got an unexpected keyword argument {key!r}: metric={metric!r} takes "
                f"{takes} (and {', '.join(_CHUNK_KWDS)})"
            )
        params[key] = value
    return params, working_memory


def _chunk_rows(n_cols, working_memory, per_element=1):
    """Rows per chunk against n_cols columns: scikit-learn's rule when working_memory (MiB) is
    given, else _CHUNK_ELEMENTS elements (per_element of them per distance)."""
    if working_memory is not None:
        return max(1, int(working_memory * 2**20 // (8 * n_cols)))
    return max(1, _CHUNK_ELEMENTS // (n_cols * per_element))


# ---- labels ----------------------------------------------------------------------------------
def _encode_labels(labels, n_samples):
    """labels as consecutive codes 0..k-1 (in the order of the sorted distinct labels), and k."""
    if isinstance(labels, (str, bytes)):
        raise TypeError("labels must be a 1-D array of cluster labels; got a string")
    try:
        lab = np.asarray(labels)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"labels must be a 1-D array; could not convert it: {exc}") from None
    if lab.ndim == 2 and lab.shape[1] == 1:
        lab = lab.ravel()
    if lab.ndim != 1:
        raise ValueError(f"labels must be 1-D; got {lab.ndim}-D with shape {lab.shape}")
    if lab.shape[0] != n_samples:
        raise ValueError(f"labels has {lab.shape[0]} values; X has {n_samples} samples")
    if lab.dtype.kind == "f" and not np.isfinite(lab).all():
        raise ValueError("labels contains NaN or infinity")
    if lab.dtype.kind == "c":
        raise TypeError(f"labels must be integers or strings; got complex dtype {lab.dtype}")
    try:
        _, codes = np.unique(lab, return_inverse=True)
    except TypeError:
        raise TypeError("labels must be comparable values (all numbers or all strings)") from None
    codes = codes.ravel().astype(np.intp)
    return codes, (int(codes.max()) + 1 if codes.size else 0)


def _check_number_of_labels(k, n_samples):
    if not 1 < k < n_samples:
        raise ValueError(f"Number of labels is {k}. Valid values are 2 to n_samples - 1 (inclusive)")


def _check_labels(labels, n_samples):
    codes, k = _encode_labels(labels, n_samples)
    _check_number_of_labels(k, n_samples)
    return codes, k


def _in_range(X, largest):
    """X, or X·2^-e if its magnitude is beyond the float64 range in which squared distances are
    safe: the three scores are ratios of distances, the same at any scale (see _scale)."""
    return _scale.scaled(X, -_scale.exponent(largest, np.float64))


def _unit(v):
    """v·2^-e with its largest |value| in [0.5, 1) (v itself if all zero): scaling a linear map
    of the rows by a power of two scales every distance alike, so the silhouette is unchanged,
    and the mapped rows cannot overflow."""
    largest = float(np.max(np.abs(v))) if v.size else 0.0
    return np.ldexp(v, -math.frexp(largest)[1]) if largest > 0 and math.isfinite(largest) else v


def _cluster_order(codes, k):
    """The rows in cluster order (stable) and each cluster's first position in it (k + 1 values)."""
    order = np.argsort(codes, kind="stable")
    starts = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=k), out=starts[1:])
    return order, starts


def _sorted_by_cluster(X, codes, k):
    """Rows of X sorted by cluster (stable), the order used, and each cluster's first row."""
    order, starts = _cluster_order(codes, k)
    return X[order], order, starts


# ---- metric parameters ----------------------------------------------------------------------
def _vector(value, name, d, what):
    """value as a finite float64 vector of d values."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be {what}; got a string")
    try:
        v = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError):
        raise TypeError(f"{name} must be {what}; got {type(value).__name__}") from None
    if v.ndim != 1 or v.shape[0] != d:
        raise ValueError(
            f"{name} must be {what}: a 1-D array of n_features = {d} values; got shape {v.shape} "
            f"(Weights must have same size as input vector)"
        )
    if not np.isfinite(v).all():
        raise ValueError(f"{name} must be finite; it contains NaN or infinity")
    return v


def _weights(params, d):
    """The metric's w (non-negative, one per feature) or None."""
    w = params.get("w")
    if w is None:
        return None
    w = _vector(w, "w", d, "the feature weights")
    if (w < 0).any():
        raise ValueError("w must be non-negative (Input weights should be all non-negative)")
    return w


def _flag(params, name, default):
    value = params.get(name, default)
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _minkowski_p(params):
    p = params.get("p", 2.0)
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or math.isnan(p):
        raise TypeError(f"p must be a real number > 0; got {p!r}")
    if not p > 0:
        raise ValueError(f"p must be greater than 0; got {p!r}")
    return float(p)


def _seuclidean_scale(params, X):
    """1/sqrt(V) per feature: V given, or the features' variances (ddof=1), as scipy."""
    d = X.shape[1]
    if params.get("V") is None:
        if X.shape[0] < 2:
            raise ValueError("seuclidean needs at least 2 samples to estimate V (the variances); pass V")
        V = np.var(X, axis=0, ddof=1, dtype=np.float64)
        if not (V > 0).all():
            raise ValueError(
                f"seuclidean: feature(s) {np.flatnonzero(~(V > 0)).tolist()} of X are constant, their "
                "variance V is 0 and the distance divides by it; drop them or pass V"
            )
    else:
        V = _vector(params["V"], "V", d, "the variances (Variance vector V)")
        if not (V > 0).all():
            raise ValueError("V must be positive: seuclidean divides each squared difference by it")
    return 1.0 / np.sqrt(V)


def _mahalanobis_VI(params, X):
    """The inverse covariance VI: given (d×d), or inv(cov(X.T)).T as scikit-learn computes it."""
    n, d = X.shape
    VI = params.get("VI")
    if VI is None:
        if n <= d:
            raise ValueError(
                f"mahalanobis: the number of samples ({n}) is too small to estimate VI (the "
                f"inverse covariance): with {d} features at least {d + 1} are needed; pass VI"
            )
        cov = np.atleast_2d(np.cov(X.T.astype(np.float64)))
        try:
            return np.linalg.inv(cov).T
        except np.linalg.LinAlgError:
            raise ValueError(
                "mahalanobis: the covariance of X is singular (a feature is constant or a linear "
                "combination of others), VI = inv(cov) does not exist; pass VI"
            ) from None
    try:
        VI = np.asarray(VI, dtype=np.float64)
    except (ValueError, TypeError):
        raise TypeError(f"VI must be a ({d}, {d}) array of numbers; got {type(params['VI']).__name__}") from None
    if VI.shape != (d, d):
        raise ValueError(f"VI must have shape (n_features, n_features) = ({d}, {d}); got {VI.shape}")
    if not np.isfinite(VI).all():
        raise ValueError("VI must be finite; it contains NaN or infinity")
    return VI


def _missing_value(params):
    mv = params.get("missing_values", np.nan)
    if mv is None or isinstance(mv, (bool, np.bool_)) or not isinstance(mv, numbers.Real):
        raise TypeError(f"missing_values must be a number or np.nan; got {mv!r}")
    return float(mv)


# ---- from per-cluster sums to silhouettes ----------------------------------------------------
# Rows are sorted by cluster throughout: cluster c is rows starts[c]..starts[c+1]-1, of counts[c].
def _reduce_sums(sums, own, counts):
    """(sum of distances to the own cluster, smallest mean distance to another cluster) of rows
    whose per-cluster sums are `sums` (m×k, overwritten) and whose clusters are `own`."""
    rows = np.arange(sums.shape[0])
    intra = sums[rows, own]
    sums[rows, own] = np.inf
    sums /= counts
    return intra, sums.min(axis=1)


def _silhouette_values(intra, inter, own, counts):
    """(b − a) / max(a, b) with a = intra / (size − 1), as scikit-learn: a row alone in its
    cluster (0/0) or with a = b = 0 scores 0 (NaN made 0)."""
    denom = (counts - 1.0)[own]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = intra / denom
        s = (inter - a) / np.maximum(a, inter)
    return np.nan_to_num(s)


def _by_blocks(block, n, starts, counts, chunk, zero_self, symmetric):
    """intra, inter of every row from distance blocks: block(r0, r1, c0, c1) gives the distances
    of rows r0..r1-1 to rows c0..c1-1 as float64. zero_self: a row's distance to itself is 0
    whatever the block says (scikit-learn's diagonal). symmetric: d(i, j) = d(j, i), so when the
    per-cluster sums of all rows fit in memory each pair is computed once: a chunk of rows meets
    only the rows from its first on, and the columns after the chunk get their sums by the chunk
    rows' clusters."""
    k = len(counts)
    own = np.repeat(np.arange(k), np.diff(starts))
    if symmetric and n * k <= _ACC_ELEMENTS:
        acc = np.zeros((n, k))
        for r0 in range(0, n, chunk):
            r1 = min(n, r0 + chunk)
            B = block(r0, r1, r0, n)
            if zero_self:
                B[np.arange(r1 - r0), np.arange(r1 - r0)] = 0.0
            # Rows: every column from r0 on (the pairs inside the chunk are in B both ways); the
            # clusters that end before r0 were added when their rows were the chunk.
            first = own[r0]
            acc[r0:r1, first:] += np.add.reduceat(B, np.maximum(starts[first:k] - r0, 0), axis=1)
            if r1 < n:
                cuts = np.flatnonzero(np.diff(own[r0:r1], prepend=-1))
                acc[r1:, own[r0:r1][cuts]] += np.add.reduceat(B[:, r1 - r0 :], cuts, axis=0).T
        intra, inter = np.empty(n), np.empty(n)
        for r0 in range(0, n, max(1, _CHUNK_ELEMENTS // k)):
            r1 = min(n, r0 + max(1, _CHUNK_ELEMENTS // k))
            intra[r0:r1], inter[r0:r1] = _reduce_sums(acc[r0:r1], own[r0:r1], counts)
        return intra, inter
    intra, inter = np.empty(n), np.empty(n)
    for r0 in range(0, n, chunk):
        r1 = min(n, r0 + chunk)
        B = block(r0, r1, 0, n)
        if zero_self:
            B[np.arange(r1 - r0), np.arange(r0, r1)] = 0.0
        intra[r0:r1], inter[r0:r1] = _reduce_sums(np.add.reduceat(B, starts[:k], axis=1), own[r0:r1], counts)
    return intra, inter


def _manhattan(Xs, starts, counts):
    """intra, inter for the Manhattan distance without the n² distances: Σ_{j∈c} Σ_f |x_f − x_jf|
    = Σ_f Σ_{j∈c} |x_f − x_jf|, and for one feature and cluster, with the members' values sorted
    (s_1 <= ... <= s_m) and r of them below x, the sum is x·(2r − m) + Σ s − 2·Σ_{t<=r} s_t. The
    values are taken relative to the cluster's median so that no term exceeds about the sum
    itself (no cancellation). The rows are visited in the order of each feature's values, which
    makes numpy's searchsorted cheap (each search starts where the last ended). O(k·d·n·log n)
    time, O(k·n) memory (the caller keeps k·n small)."""
    n, d = Xs.shape
    k = len(counts)
    XT = np.ascontiguousarray(Xs.T)
    members = []  # per cluster: values sorted per feature (d × m), their medians, prefix sums
    for c in range(k):
        S = np.sort(XT[:, starts[c] : starts[c + 1]], axis=1)
        mid = S[:, S.shape[1] // 2].copy()
        P = np.zeros((d, S.shape[1] + 1))
        np.cumsum(S - mid[:, None], axis=1, out=P[:, 1:])
        members.append((S, mid, P))
    sums = np.zeros((k, n))  # sums[c, i]: Σ_{j∈c} d(i, j)
    for f in range(d):
        order = np.argsort(XT[f], kind="stable")
        q = XT[f][order]
        back = np.empty(n, dtype=np.intp)
        back[order] = np.arange(n)
        for c, (S, mid, P) in enumerate(members):
            m = S.shape[1]
            r = np.searchsorted(S[f], q)
            sums[c] += ((q - mid[f]) * (2 * r - m) + (P[f, m] - 2.0 * P[f, r]))[back]
    own = np.repeat(np.arange(k), np.diff(starts))
    rows = np.arange(n)
    intra = sums[own, rows]
    sums[own, rows] = np.inf
    sums /= counts[:, None]
    return intra, sums.min(axis=0)


def _manhattan_block(Xs):
    """Manhattan distance blocks (the many-clusters case), feature by feature."""
    XT = np.ascontiguousarray(Xs.T)

    def block(r0, r1, c0, c1):
        out = np.zeros((r1 - r0, c1 - c0))
        tmp = np.empty_like(out)
        for f in range(XT.shape[0]):
            np.subtract(XT[f, r0:r1, None], XT[f, None, c0:c1], out=tmp)
            np.abs(tmp, out=tmp)
            out += tmp
        return out

    return block


def _sqeuclidean(Ys, starts, counts, working_memory):
    """intra, inter for the squared Euclidean distance: Σ_{j∈c} ‖x − x_j‖² = m_c‖x − μ_c‖² + W_c
    (W_c the cluster's sum of squared deviations), both terms non-negative. O(n·k·d)."""
    n, d = Ys.shape
    k = len(counts)
    own = np.repeat(np.arange(k), np.diff(starts))
    means = np.add.reduceat(Ys, starts[:k], axis=0) / counts[:, None]
    dev = Ys - means[own]
    W = np.add.reduceat(np.einsum("ij,ij->i", dev, dev), starts[:k])
    chunk = _chunk_rows(k * d, working_memory)
    intra, inter = np.empty(n), np.empty(n)
    for r0 in range(0, n, chunk):
        r1 = min(n, r0 + chunk)
        diff = Ys[r0:r1, None, :] - means[None, :, :]
        sums = np.einsum("ijk,ijk->ij", diff, diff) * counts + W
        intra[r0:r1], inter[r0:r1] = _reduce_sums(sums, own[r0:r1], counts)
    return intra, inter


def _cosine(U, starts, counts, working_memory, undefined=None):
    """intra, inter for 1 − û·v̂ on rows U already normalised (a zero row stays zero: distance 1
    to every other row, as scikit-learn's cosine_distances): Σ_{j∈c} (1 − û·û_j) = m_c − û·Σ_{j∈c} û_j,
    less the row's distance to itself in its own cluster (scikit-learn's zero diagonal).
    undefined: rows whose distances are NaN (scipy's correlation of a constant row); their
    sums, and every row's sum to their clusters, are NaN."""
    n, d = U.shape
    k = len(counts)
    totals = np.add.reduceat(U, starts[:k], axis=0)  # k × d
    # einsum, not BLAS: n·k·d is small, and the bits then do not depend on BLAS's threads.
    return _cosine_sums(
        lambda r0, r1: np.einsum("id,kd->ik", U[r0:r1], totals),
        1.0 - np.einsum("ij,ij->i", U, U),
        starts,
        counts,
        _chunk_rows(max(k, d), working_memory),
        undefined,
    )


def _cosine_sums(dots, self_dist, starts, counts, chunk, undefined=None):
    """intra, inter for the cosine distance from dots(r0, r1): the (r1 − r0)×k products û·Σ_{j∈c} û_j
    of rows r0..r1-1, and self_dist: each row's 1 − û·û (see _cosine)."""
    n, k = len(self_dist), len(counts)
    own = np.repeat(np.arange(k), np.diff(starts))
    nan_clusters = np.unique(own[undefined]) if undefined is not None and undefined.any() else None
    intra, inter = np.empty(n), np.empty(n)
    for r0 in range(0, n, chunk):
        r1 = min(n, r0 + chunk)
        sums = counts - dots(r0, r1)
        sums[np.arange(r1 - r0), own[r0:r1]] -= self_dist[r0:r1]
        # m − û·S carries an absolute error of a few ulps per member: a sum below that is 0
        # (a sum of distances is never negative, and a cluster of copies of x is at distance 0,
        # so a row alone or among its copies scores as scikit-learn's, not by rounding noise).
        sums[sums < (4 * np.finfo(np.float64).eps) * counts] = 0.0
        if nan_clusters is not None:
            sums[:, nan_clusters] = np.nan
            sums[undefined[r0:r1]] = np.nan
        intra[r0:r1], inter[r0:r1] = _reduce_sums(sums, own[r0:r1], counts)
    return intra, inter


def _normalized_rows(Y):
    norms = np.sqrt(np.einsum("ij,ij->i", Y, Y))
    zero = norms == 0
    return Y / np.where(zero, 1.0, norms)[:, None], zero


# ---- distance blocks of the other metrics (numpy, O(block) memory) --------------------------
def _block_for(metric, Xs, params, w):
    """The distance block function of a metric without a faster path (rows Xs, float64):
    block(r0, r1, c0, c1) -> distances of rows r0..r1-1 to rows c0..c1-1. Most work a feature at
    a time on (r1-r0)×(c1-c0) arrays, as scipy's loops do per pair."""
    n, d = Xs.shape
    XT = np.ascontiguousarray(Xs.T)
    if metric == "chebyshev" or (metric == "minkowski" and params["p"] == math.inf):
        feats = np.flatnonzero(w > 0) if w is not None else np.arange(d)  # scipy: weights only select

        def block(r0, r1, c0, c1):
            out = np.zeros((r1 - r0, c1 - c0))
            tmp = np.empty_like(out)
            for f in feats:
                np.subtract(XT[f, r0:r1, None], XT[f, None, c0:c1], out=tmp)
                np.abs(tmp, out=tmp)
                np.maximum(out, tmp, out=out)
            return out

        return block
    if metric == "minkowski":
        p = params["p"]

        def block(r0, r1, c0, c1):
            out = np.zeros((r1 - r0, c1 - c0))
            tmp = np.empty_like(out)
            for f in range(d):
                np.subtract(XT[f, r0:r1, None], XT[f, None, c0:c1], out=tmp)
                np.abs(tmp, out=tmp)
                np.power(tmp, p, out=tmp)
                if w is not None:
                    tmp *= w[f]
                out += tmp
            return np.power(out, 1.0 / p, out=out)

        return block
    if metric == "canberra":
        AT = np.abs(XT)

        def block(r0, r1, c0, c1):
            out = np.zeros((r1 - r0, c1 - c0))
            num, den = np.empty_like(out), np.empty_like(out)
            for f in range(d):
                np.subtract(XT[f, r0:r1, None], XT[f, None, c0:c1], out=num)
                np.abs(num, out=num)
                np.add(AT[f, r0:r1, None], AT[f, None, c0:c1], out=den)
                den += den == 0  # |a − b| / (|a| + |b|), 0 where both are 0 (scipy's convention)
                num /= den
                if w is not None:
                    num *= w[f]
                out += num
            return out

        return block
    if metric == "braycurtis":

        def block(r0, r1, c0, c1):
            num, den = np.zeros((r1 - r0, c1 - c0)), np.zeros((r1 - r0, c1 - c0))
            tmp = np.empty_like(num)
            for f in range(d):
                a, b = XT[f, r0:r1, None], XT[f, None, c0:c1]
                np.subtract(a, b, out=tmp)
                np.abs(tmp, out=tmp)
                if w is not None:
                    tmp *= w[f]
                num += tmp
                np.add(a, b, out=tmp)
                np.abs(tmp, out=tmp)
                if w is not None:
                    tmp *= w[f]
                den += tmp
            with np.errstate(divide="ignore", invalid="ignore"):
                return num / den

        return block
    if metric in ("hamming", "matching"):
        total = float(w.sum()) if w is not None else float(d)

        def block(r0, r1, c0, c1):
            out = np.zeros((r1 - r0, c1 - c0))
            ne = np.empty(out.shape, dtype=bool)
            for f in range(d):
                np.not_equal(XT[f, r0:r1, None], XT[f, None, c0:c1], out=ne)
                if w is None:
                    out += ne
                else:
                    out += ne * w[f]
            with np.errstate(divide="ignore", invalid="ignore"):
                return out / total

        return block
    if metric in _BOOLEAN:
        counts = _boolean_counts(Xs != 0, w)
        total = float(w.sum()) if w is not None else float(d)

        def block(r0, r1, c0, c1):
            ntt, ndiff, ntf, nft = counts(r0, r1, c0, c1)
            with np.errstate(divide="ignore", invalid="ignore"):
                if metric == "dice":
                    return ndiff / (2.0 * ntt + ndiff)
                if metric == "jaccard":  # 0 for two all-false rows
                    den = ntt + ndiff
                    return np.where(den != 0, ndiff / np.where(den == 0, 1.0, den), 0.0)
                if metric == "rogerstanimoto":
                    return 2.0 * ndiff / (total + ndiff)
                if metric == "russellrao":
                    return (total - ntt) / total
                if metric == "sokalsneath":
                    return 2.0 * ndiff / (ntt + 2.0 * ndiff)
                half_r = ntf * nft  # yule
                nff = total - ntt - ndiff
                return np.where(half_r == 0, 0.0, 2.0 * half_r / (ntt * nff + half_r))

        return block
    if metric == "haversine":
        lat, lon, coslat = Xs[:, 0], Xs[:, 1], np.cos(Xs[:, 0])

        def block(r0, r1, c0, c1):
            s0 = np.sin(0.5 * (lat[r0:r1, None] - lat[None, c0:c1]))
            s1 = np.sin(0.5 * (lon[r0:r1, None] - lon[None, c0:c1]))
            s0 *= s0
            s1 *= s1
            s1 *= coslat[r0:r1, None]
            s1 *= coslat[None, c0:c1]
            s0 += s1
            with np.errstate(invalid="ignore"):
                return 2.0 * np.arcsin(np.sqrt(s0))

        return block
    if metric == "nan_euclidean":
        # scikit-learn's definition: sqrt(d / present · Σ over coordinates present in both (x − y)²),
        # NaN for a pair with no coordinate present in both.
        mv, squared = params["missing_values"], params["squared"]
        present = XT != mv

        def block(r0, r1, c0, c1):
            acc, cnt = np.zeros((r1 - r0, c1 - c0)), np.zeros((r1 - r0, c1 - c0))
            tmp = np.empty_like(acc)
            both = np.empty(acc.shape, dtype=bool)
            for f in range(d):
                np.logical_and(present[f, r0:r1, None], present[f, None, c0:c1], out=both)
                np.subtract(XT[f, r0:r1, None], XT[f, None, c0:c1], out=tmp)
                tmp *= tmp
                tmp *= both
                acc += tmp
                cnt += both
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.where(cnt == 0, np.nan, acc * (d / np.maximum(cnt, 1)))
            return out if squared else np.sqrt(out)

        return block
    if metric == "mahalanobis":  # VI indefinite: the quadratic form as scipy, NaN where negative
        S = 0.5 * (params["VI"] + params["VI"].T)
        XS = Xs @ S
        q = np.einsum("ij,ij->i", XS, Xs)

        def block(r0, r1, c0, c1):
            d2 = q[r0:r1, None] + q[None, c0:c1] - 2.0 * (XS[r0:r1] @ Xs[c0:c1].T)
            with np.errstate(invalid="ignore"):
                return np.sqrt(d2)

        return block
    raise AssertionError(metric)  # every name has a path


def _boolean_counts(T, w):
    """counts(r0, r1, c0, c1) -> (n_tt, n_diff, n_tf, n_ft) per pair of boolean rows (w-weighted
    sums over the features where both are true, where they differ, ...). Unweighted, the rows are
    packed into 64-bit words and counted with popcounts (a few passes whatever the number of
    features); weighted, or with numpy < 2, feature by feature."""
    n, d = T.shape
    if w is None and hasattr(np, "bitwise_count"):
        words = -(-d // 64)
        packed = np.packbits(np.pad(T, ((0, 0), (0, 64 * words - d))), axis=1)
        P = np.ascontiguousarray(packed).view(">u8").astype(np.uint64)  # n × words
        ones = np.bitwise_count(P).sum(axis=1, dtype=np.int64)  # true features per row

        def counts(r0, r1, c0, c1):
            ntt = np.zeros((r1 - r0, c1 - c0))
            tmp = np.empty((r1 - r0, c1 - c0), dtype=np.uint64)
            for t in range(words):
                np.bitwise_and(P[r0:r1, t, None], P[None, c0:c1, t], out=tmp)
                ntt += np.bitwise_count(tmp)
            ntf = ones[r0:r1, None] - ntt
            nft = ones[None, c0:c1] - ntt
            return ntt, ntf + nft, ntf, nft

        return counts
    TT = np.ascontiguousarray(T.T)
    wt = w if w is not None else np.ones(d)
    true_w = (T * wt).sum(axis=1) if w is not None else T.sum(axis=1, dtype=np.float64)

    def counts(r0, r1, c0, c1):
        ntt = np.zeros((r1 - r0, c1 - c0))
        both = np.empty((r1 - r0, c1 - c0), dtype=bool)
        for f in range(d):
            np.logical_and(TT[f, r0:r1, None], TT[f, None, c0:c1], out=both)
            if w is None:
                ntt += both
            elif wt[f] != 0:
                ntt += both * wt[f]
        ntf = true_w[r0:r1, None] - ntt
        nft = true_w[None, c0:c1] - ntt
        return ntt, ntf + nft, ntf, nft

    return counts


def _callable_block(Xc, metric, params):
    """The block function of a callable metric, called on pairs of rows (1-D, X's dtype) as
    scikit-learn calls it: d(i, j) for j >= i inside the chunk's own square, mirrored, and every
    pair outside it; a row's distance to itself is metric(x, x)."""

    def block(r0, r1, c0, c1):
        out = np.empty((r1 - r0, c1 - c0))
        for i in range(r0, r1):
            xi = Xc[i]
            for j in range(c0, c1):
                if r0 <= j < i:  # inside the chunk's own square: mirrored
                    out[i - r0, j - c0] = out[j - r0, i - c0]
                else:
                    out[i - r0, j - c0] = metric(xi, Xc[j], **params)
        return out

    return block


# ---- precomputed distances -------------------------------------------------------------------
def _check_precomputed(X):
    """X as a finite, square float array with a zero diagonal (float32 kept), and its largest
    value; scikit-learn's checks and messages."""
    D, largest = as_float_array(X, "X", with_abs_max=True)
    _check_square(D.shape)
    _check_diagonal(np.diagonal(D), _given_array(X).dtype)
    return D, largest


def _check_square(shape):
    if shape[0] != shape[1]:
        raise ValueError(
            f"X must be a square distance matrix with metric='precomputed': Precomputed metric requires "
            f"shape (n_queries, n_indexed). Got {shape} for {shape[0]} indexed"
        )


def _check_diagonal(diagonal, given):
    """scikit-learn allows 100 ulps of the input's float type (`given`) on the diagonal, nothing
    for integers."""
    if given.kind in "biu":
        bad = np.any(diagonal != 0)
    else:
        bad = np.any(np.abs(diagonal) > np.finfo(given if given.kind == "f" else np.float64).eps * 100)
    if bad:
        raise ValueError(
            "X: the precomputed distance matrix contains non-zero elements on the diagonal. Use np.fill_diagonal(X, 0)."
        )


_NEGATIVE = (
    "X: Negative values in data passed to silhouette with metric='precomputed'. "
    "Precomputed distance need to have non-negative values."
)


def _precomputed(D, codes, counts, largest, working_memory):
    """intra, inter of every row (in X's order) from the given matrix, a chunk of rows at a time:
    its columns gathered in cluster order and summed per cluster in float64."""
    n = D.shape[0]
    order = np.argsort(codes, kind="stable")
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    e = _scale.exponent(largest, np.float64)  # sums of n distances near 1e308 would overflow
    # Small chunks (512 KiB): the gathered rows stay in cache for the sign check and the sums.
    chunk = _chunk_rows(n, working_memory, per_element=16)
    intra, inter = np.empty(n), np.empty(n)
    for r0 in range(0, n, chunk):
        r1 = min(n, r0 + chunk)
        B = np.take(D[r0:r1], order, axis=1)
        if B.min() < 0:
            raise ValueError(_NEGATIVE)
        if e:
            B = np.ldexp(B.astype(np.float64), -e)
        sums = np.add.reduceat(B, starts, axis=1, dtype=np.float64)
        intra[r0:r1], inter[r0:r1] = _reduce_sums(sums, codes[r0:r1], counts)
    return intra, inter


# ---- sparse X --------------------------------------------------------------------------------
# scikit-learn computes its own distances on sparse X (scipy's metrics and nan_euclidean refuse
# it): Euclidean and Manhattan run in C++ (_core.silhouette_csr) on the rows sorted by cluster.
_SPARSE_KERNEL = {
    "euclidean": "euclidean",
    "l2": "euclidean",
    "manhattan": "cityblock",
    "cityblock": "cityblock",
    "l1": "cityblock",
}
_SPARSE_METRICS = tuple(_SPARSE_KERNEL) + ("cosine", "haversine")


class _SparseRows:
    """A scipy CSR matrix whose row i is X[[i], :], a 1×d matrix: what scikit-learn hands a callable
    metric for sparse X. Indexing with an array of rows gives such rows again."""

    def __init__(self, X):
        self.X = X

    def __getitem__(self, i):
        return _SparseRows(self.X[i]) if isinstance(i, np.ndarray) else self.X[[i], :]


def _kernel_columns(csr):
    """(column indices, n_features) for the kernels, whose index of the columns takes O(n_features)
    memory: the columns renumbered over those in use when there are more columns than stored
    values (a column no row uses adds nothing to any distance)."""
    if csr.shape[1] <= csr.nnz:
        return csr.indices, csr.shape[1]
    used, inverse = np.unique(csr.indices, return_inverse=True)
    return inverse.astype(csr.indices.dtype), max(len(used), 1)


def _sparse_cosine(Xs, starts, counts):
    """intra, inter for the cosine distance on CSR rows sorted by cluster (see _cosine): per
    cluster, the sum of its normalised rows as a dense vector and every row's product with it
    over the row's nonzeros. O(k·(nnz + d)) time, O(nnz + d + n·k) memory."""
    n, k = Xs.shape[0], len(counts)
    cols, d = _kernel_columns(Xs)
    rows = np.repeat(np.arange(n), np.diff(Xs.indptr))
    x = Xs.data.astype(np.float64)
    norms = np.sqrt(np.bincount(rows, weights=x * x, minlength=n))
    u = x / np.where(norms == 0, 1.0, norms)[rows]  # a zero row stays zero
    dots = np.empty((n, k))
    bounds = Xs.indptr[starts]
    for c in range(k):
        total = np.bincount(cols[bounds[c] : bounds[c + 1]], weights=u[bounds[c] : bounds[c + 1]], minlength=d)
        dots[:, c] = np.bincount(rows, weights=u * total[cols], minlength=n)
    self_dist = 1.0 - np.bincount(rows, weights=u * u, minlength=n)
    return _cosine_sums(lambda r0, r1: dots[r0:r1], self_dist, starts, counts, chunk=max(n, 1))


def _sparse_precomputed(X, labels):
    """The silhouette from a sparse distance matrix (absent entries are distances of 0, as
    scikit-learn reads them): each row's stored values summed per cluster of their columns."""
    D, largest = as_csr(X, "X", with_abs_max=True)
    _check_square(D.shape)
    n = D.shape[0]
    rows = np.repeat(np.arange(n), np.diff(D.indptr))
    _check_diagonal(D.data[D.indices == rows], X.dtype)
    codes, k = _check_labels(labels, n)
    if D.nnz and D.data.min() < 0:
        raise ValueError(_NEGATIVE)
    counts = np.bincount(codes, minlength=k).astype(np.float64)
    values = np.ldexp(D.data.astype(np.float64), -_scale.exponent(largest, np.float64))  # see _precomputed
    sums = np.bincount(rows * k + codes[D.indices], weights=values, minlength=n * k).reshape(n, k)
    sums = sums.astype(np.float64, copy=False)  # (bincount gives integers when nothing is stored)
    return _silhouette_values(*_reduce_sums(sums, codes, counts), codes, counts)


def _sparse_silhouette(X, labels, metric, params, working_memory, threads):
    """silhouette_samples for a scipy.sparse X: what scikit-learn computes on it (CSR, any other
    format converted), without a dense copy of X or the n×n distances."""
    if isinstance(metric, str) and metric == "precomputed":
        return _sparse_precomputed(X, labels)
    csr, largest = as_csr(X, "X", with_abs_max=True)
    n, d = csr.shape
    codes, k = _check_labels(labels, n)
    if callable(metric):
        return _callable_silhouette(
            _SparseRows(X if X.format == "csr" else X.tocsr()), codes, k, metric, params, working_memory
        )
    if metric not in _SPARSE_METRICS:
        raise TypeError(
            f"X is sparse and metric={metric!r} does not take sparse X (scikit-learn's neither): use "
            f"X.toarray(), or one of {list(_SPARSE_METRICS)}, 'precomputed' or a callable"
        )
    if metric == "haversine":
        # Two columns: the dense copy is as small as the labels. (The distances of the rows, as
        # scikit-learn's on X.toarray(); its own sparse haversine in 1.9 misreads CSR rows: see README.)
        _check_haversine(d)
        return silhouette_samples(csr.toarray(), codes, metric=metric, n_threads=threads, working_memory=working_memory)
    order, starts = _cluster_order(codes, k)
    counts = np.diff(starts).astype(np.float64)
    Xs = csr.scaled(-_scale.exponent(largest, np.float64)).take_rows(order)
    if metric == "cosine":
        s = _silhouette_values(*_sparse_cosine(Xs, starts, counts), np.repeat(np.arange(k), np.diff(starts)), counts)
    else:
        kernel = _SPARSE_KERNEL[metric]
        if kernel == "euclidean" and _flag(params, "squared", False):
            kernel = "sqeuclidean"
        cols, n_cols = _kernel_columns(Xs)
        s = _core.silhouette_csr(Xs.data, cols, Xs.indptr, n_cols, starts, kernel, threads)
    out = np.empty(n)
    out[order] = s
    return out


# ---- the silhouette --------------------------------------------------------------------------
def _check_haversine(d):
    if d != 2:
        raise ValueError(
            f"X must have 2 features (latitude, longitude in radians) for metric='haversine': "
            f"Haversine distance only valid in 2 dimensions; got {d}"
        )


def _given_array(X):
    """X as the caller gave it, as an array (as_float_array has converted it once, so this cannot
    fail): its dtype decides what scikit-learn would have done with it."""
    return X if isinstance(X, np.ndarray) else np.asarray(X)


def _callable_silhouette(Xc, codes, k, metric, params, working_memory):
    """The silhouette with a callable metric, called on rows Xc[i] (see _callable_block)."""
    n = len(codes)
    Xs, order, starts = _sorted_by_cluster(Xc, codes, k)
    counts = np.diff(starts).astype(np.float64)
    intra, inter = _by_blocks(
        _callable_block(Xs, metric, params),
        n,
        starts,
        counts,
        _chunk_rows(n, working_memory),
        zero_self=False,
        symmetric=True,
    )
    out = np.empty(n)
    out[order] = _silhouette_values(intra, inter, np.repeat(np.arange(k), np.diff(starts)), counts)
    return out


def _euclidean_silhouette(X, codes, k, threads, largest=None):
    """The C++ path: float32/float64 rows, scaled into range, sorted by cluster."""
    X = _in_range(X, _scale.abs_max(X) if largest is None else largest)
    Xs, order, starts = _sorted_by_cluster(X, codes, k)
    s = _core.silhouette_sorted(Xs, starts, threads)
    out = np.empty_like(s)
    out[order] = s
    return out


def silhouette_samples(
    X: ArrayLike | SparseMatrix,
    labels: ArrayLike,
    *,
    metric: str | Callable[..., float] = "euclidean",
    n_threads: int | None = None,
    **kwds: Any,
) -> NDArray[Any]:
    """Compute the silhouette coefficient of each sample.

    The silhouette coefficient of a sample is ``(b - a) / max(a, b)``, where ``a`` is its mean
    distance to the other members of its cluster (the mean intra-cluster distance) and ``b`` its
    mean distance to the members of the nearest cluster it is not a part of (the mean
    nearest-cluster distance). It lies in [-1, 1]: near 1 the sample sits well inside its
    cluster, near 0 it lies between two clusters, below 0 it is closer to another cluster than to
    its own. A sample alone in its cluster gets 0, as in scikit-learn.

    The same function as ``sklearn.metrics.silhouette_samples``, with the same values, without
    scikit-learn or scipy and without the n_samples x n_samples distance matrix (see Notes).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, n_samples)
        The samples, one per row; or, with ``metric="precomputed"``, the square matrix of the
        distances between them (non-negative, zero diagonal; a sparse matrix's absent entries
        are distances of 0). Values must be finite. A scipy.sparse matrix or array of any format
        is read as CSR, for the metrics listed in Notes.
    labels : array-like of shape (n_samples,)
        The cluster of each sample: any ints or strings (any values that sort together). There
        must be between 2 and n_samples - 1 distinct labels.
    metric : str or callable, default="euclidean"
        The distance between two samples. A name among ``kmix.metrics.METRICS``: those that
        ``sklearn.metrics.pairwise_distances`` accepts for dense X (scikit-learn's own:
        "euclidean", "l2", "manhattan", "cityblock", "l1", "cosine", "haversine",
        "nan_euclidean"; scipy's: "braycurtis", "canberra", "chebyshev", "correlation", "dice",
        "hamming", "matching", "jaccard", "mahalanobis", "minkowski", "rogerstanimoto",
        "russellrao", "seuclidean", "sokalsneath", "sqeuclidean", "yule"), "precomputed" (X is
        the distance matrix), or a callable called on two rows of X (1-D arrays, or 1 x n_features
        sparse rows for sparse X) that returns their distance.
    n_threads : int or None, default=None
        OpenMP threads of the C++ kernels (the Euclidean paths and the sparse Euclidean and
        Manhattan ones). None follows OpenMP's maximum (``OMP_NUM_THREADS``, threadpoolctl); a
        negative value counts back from the number of CPUs (-1: all of them); 0 is refused. The
        result does not depend on it.
    **kwds : optional keyword parameters
        Passed to the metric, as in scikit-learn: ``w`` (feature weights) for the scipy metrics
        that take it, ``p`` for "minkowski" (default 2), ``V`` for "seuclidean" (default: the
        variances of X's features), ``VI`` for "mahalanobis" (default: the inverse covariance of
        X), ``centered`` for "correlation", ``squared`` for "euclidean"/"l2"/"nan_euclidean",
        ``missing_values`` for "nan_euclidean"; any keyword for a callable. Also
        ``working_memory`` (MiB), which sizes the chunks of rows as in scikit-learn's
        ``pairwise_distances_chunked``, and ``n_jobs`` and ``ensure_all_finite``, accepted and
        ignored. A keyword the metric does not take raises TypeError.

    Returns
    -------
    silhouette : ndarray of shape (n_samples,)
        The silhouette coefficient of each sample, float64.

    Raises
    ------
    ValueError
        If there are fewer than 2 or more than n_samples - 1 distinct labels, if X holds NaN or
        infinity, for an unknown metric name, or for metric parameters that cannot be used
        (such as a constant feature with "seuclidean" and no ``V``).
    TypeError
        If X is sparse and the metric does not take sparse X, or a keyword argument does not
        belong to the metric.

    See Also
    --------
    silhouette_score : The mean silhouette coefficient over the samples.
    calinski_harabasz_score : Ratio of between- to within-cluster dispersion.
    davies_bouldin_score : Mean similarity of each cluster to its most similar one.

    Notes
    -----
    The values equal scikit-learn's to ~1e-13 in float64, with its conventions. How kmix
    computes them, by metric:

    - "euclidean" (and the metrics that are Euclidean after a linear map of the rows:
      "seuclidean", "mahalanobis", "minkowski" with p=2, "nan_euclidean" without missing
      values) runs in C++: rows sorted by cluster, every distance between two clusters computed
      once and used for both (a pair of clusters per thread). Memory is O(n_samples *
      n_features + n_clusters) per thread, never the n_samples x n_samples matrix, and the
      results are bit-identical for any thread count.
    - "sqeuclidean", "cosine" and "correlation" use per-cluster sums (no pairwise distances),
      "manhattan" sorted prefix sums per feature.
    - The other metrics and a callable go through numpy a chunk of rows at a time,
      O(chunk * n_samples) memory; a precomputed matrix is read a chunk of rows at a time.
    - Sparse X takes what scikit-learn's silhouette takes sparse: "euclidean"/"l2" (also
      ``squared=True``) and "manhattan"/"cityblock"/"l1" in C++ (O(nnz + n_features) plus
      O(n_samples + n_clusters) per thread, never a dense copy; bit-identical for any thread
      count), "cosine" by per-cluster sums over the nonzeros, "haversine", a callable and a
      sparse "precomputed" matrix. scipy's metrics and "nan_euclidean" refuse sparse X with a
      TypeError, as in scikit-learn.

    Where kmix differs from scikit-learn 1.9 on purpose: "haversine" on sparse X gives the
    distances of the rows (as scikit-learn's on ``X.toarray()``; scikit-learn 1.9 misreads the
    CSR rows); "seuclidean" on a constant feature and "minkowski" with p <= 0 raise ValueError
    (scikit-learn gives 0); unknown keyword arguments with "precomputed" raise TypeError
    (scikit-learn ignores them). The boolean metrics ("dice", "jaccard", "rogerstanimoto",
    "russellrao", "sokalsneath", "yule") convert X to bool with a UserWarning unless X is
    boolean, as scikit-learn does.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix.metrics import silhouette_samples
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [10, 2], [10, 4], [10, 0]])
    >>> labels = np.array([0, 0, 0, 1, 1, 1])
    >>> np.round(silhouette_samples(X, labels), 2)
    array([0.78, 0.68, 0.68, 0.78, 0.68, 0.68])

    A sample alone in its cluster gets 0:

    >>> np.round(silhouette_samples(X, [0, 0, 0, 1, 1, 2]), 2)
    array([0.78, 0.67, 0.67, 0.  , 0.5 , 0.  ])

    Any metric scikit-learn accepts, with its parameters, or a distance matrix:

    >>> np.round(silhouette_samples(X, labels, metric="minkowski", p=1), 2)
    array([0.81, 0.73, 0.73, 0.81, 0.73, 0.73])
    >>> D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    >>> np.round(silhouette_samples(D, labels, metric="precomputed"), 2)
    array([0.78, 0.68, 0.68, 0.78, 0.68, 0.68])
    """
    metric = _check_metric(metric, "silhouette_samples")
    params, working_memory = _split_kwds(metric, kwds, "silhouette_samples")
    threads = effective_n_threads(n_threads)
    if is_sparse(X):
        return _sparse_silhouette(X, labels, metric, params, working_memory, threads)
    if isinstance(metric, str) and metric == "precomputed":
        D, largest = _check_precomputed(X)
        codes, k = _check_labels(labels, D.shape[0])
        counts = np.bincount(codes, minlength=k).astype(np.float64)
        # (mypy takes *<an unannotated call> as filling every parameter: too many arguments)
        return _silhouette_values(
            *_precomputed(D, codes, counts, largest, working_memory),  # type: ignore[call-arg]
            codes,
            counts,
        )
    given = X
    X, largest = as_float_array(X, "X", with_abs_max=True)
    codes, k = _check_labels(labels, X.shape[0])
    n, d = X.shape

    if callable(metric):
        # Rows as scikit-learn passes them: its check keeps integer and bool dtypes.
        raw = _given_array(given)
        return _callable_silhouette(raw if raw.dtype.kind in "biuf" else X, codes, k, metric, params, working_memory)
    w = _weights(params, d) if "w" in _METRIC_KWDS[metric] else None

    # Euclidean distances, possibly after a linear map of the rows: the C++ kernel.
    if metric in ("euclidean", "l2", "nan_euclidean"):
        squared = _flag(params, "squared", False)
        missing = _missing_value(params) if metric == "nan_euclidean" else math.nan
        _flag(params, "copy", True)
        # X is finite: with NaN (or a value X does not hold) missing, the plain distance.
        if math.isnan(missing) or not (X == missing).any():
            if not squared:
                return _euclidean_silhouette(X, codes, k, threads, largest)
            metric, w = "sqeuclidean", None
        else:
            metric = "nan_euclidean"
            params = {"missing_values": missing, "squared": squared}
    if metric == "minkowski":
        params = {"p": _minkowski_p(params)}
        if params["p"] == 2.0:
            Y = _in_range(X, largest).astype(np.float64)
            return _euclidean_silhouette(Y * np.sqrt(_unit(w)) if w is not None else Y, codes, k, threads)
        if params["p"] == 1.0:
            metric = "cityblock"
    if metric == "seuclidean":  # V estimated from X in range (the same distances up to a scale)
        Y = _in_range(X, largest).astype(np.float64)
        return _euclidean_silhouette(Y * _unit(_seuclidean_scale(params, Y)), codes, k, threads)
    if metric == "mahalanobis":
        Y = _in_range(X, largest).astype(np.float64)
        VI = _mahalanobis_VI(params, Y)
        # VI's symmetric part S = Q·diag(λ)·Qᵀ: with λ >= 0, (x − y)·S·(x − y) = ‖(x − y)·Q·√λ‖²,
        # Euclidean after a map of the rows (eigenvalues within rounding of 0 taken as 0).
        # (S scaled by a power of two first: eigh rescales matrices far from 1 by other factors,
        # which would make the answer depend on the data's magnitude.)
        lam, Q = np.linalg.eigh(_unit(0.5 * (VI + VI.T)))
        if lam.min() >= -1e-12 * max(abs(lam.max()), 1e-300):
            return _euclidean_silhouette(Y @ _unit(Q * np.sqrt(np.maximum(lam, 0.0))), codes, k, threads)
        params = {"VI": VI}

    Y = X.astype(np.float64)
    if metric not in ("haversine",) + _BOOLEAN + ("hamming", "matching", "nan_euclidean"):
        Y = _in_range(Y, largest)  # homogeneous metrics: the same silhouette at any scale
    if metric == "minkowski" and params["p"] != math.inf:
        # |x − y|^p leaves the float64 range long before x does (p=3: differences beyond ~1e100
        # or below ~1e-100): then the differences are scaled to at most 1 (exact, and the
        # silhouette does not change).
        spread = float(np.max(Y.max(axis=0) - Y.min(axis=0)))
        e = math.frexp(spread)[1] if 0 < spread < math.inf else 0
        if not -900 < params["p"] * e + math.log2(d) < 900:
            Y = np.ldexp(Y, -e)
    Ys, order, starts = _sorted_by_cluster(Y, codes, k)
    counts = np.diff(starts).astype(np.float64)
    if metric in ("manhattan", "cityblock", "l1"):
        Ys = Ys * _unit(w) if w is not None else Ys
        # Sorted sums cost ~20 ns per cluster, feature and row, blocks ~0.75 ns per pair and
        # feature (each pair once): the blocks from n/32 clusters on.
        if k * 32 <= n and n * k <= _ACC_ELEMENTS:
            intra, inter = _manhattan(Ys, starts, counts)
        else:
            intra, inter = _by_blocks(
                _manhattan_block(Ys),
                n,
                starts,
                counts,
                _chunk_rows(n, working_memory, per_element=2),
                zero_self=True,
                symmetric=True,
            )
    elif metric == "sqeuclidean":
        intra, inter = _sqeuclidean(Ys * np.sqrt(_unit(w)) if w is not None else Ys, starts, counts, working_memory)
    elif metric == "cosine":
        intra, inter = _cosine(_normalized_rows(Ys)[0], starts, counts, working_memory)
    elif metric == "correlation":
        centered = _flag(params, "centered", True)
        if w is not None:
            wn = w / w.sum()
            C = Ys - np.einsum("id,d->i", Ys, wn)[:, None] if centered else Ys
            C = C * np.sqrt(wn)
        else:
            C = Ys - Ys.mean(axis=1, keepdims=True) if centered else Ys
        U, undefined = _normalized_rows(C)
        intra, inter = _cosine(U, starts, counts, working_memory, undefined)
    else:
        if metric in _BOOLEAN and _given_array(given).dtype.kind != "b":
            warnings.warn(f"Data was converted to boolean for metric {metric}", UserWarning, stacklevel=2)
        if metric == "haversine":
            _check_haversine(d)
        block = _block_for(metric, Ys, params, w)
        intra, inter = _by_blocks(
            block, n, starts, counts, _chunk_rows(n, working_memory, per_element=3), zero_self=True, symmetric=True
        )
    own = np.repeat(np.arange(k), np.diff(starts))
    out = np.empty(n)
    out[order] = _silhouette_values(intra, inter, own, counts)
    return out


def silhouette_score(
    X: ArrayLike | SparseMatrix,
    labels: ArrayLike,
    *,
    metric: str | Callable[..., float] = "euclidean",
    sample_size: int | None = None,
    random_state: int | np.random.RandomState | None = None,
    n_threads: int | None = None,
    **kwds: Any,
) -> float:
    """Compute the mean silhouette coefficient of all samples.

    The mean over the samples (or over a random subset of ``sample_size`` of them) of
    :func:`silhouette_samples`: ``(b - a) / max(a, b)`` for each sample, where ``a`` is its mean
    intra-cluster distance and ``b`` its mean nearest-cluster distance. The best value is 1, the
    worst -1; values near 0 indicate overlapping clusters, negative ones samples assigned to the
    wrong cluster. Useful to compare clusterings of the same data, for example to choose the
    number of clusters (see :func:`kmix.select_k`).

    The same function as ``sklearn.metrics.silhouette_score``, with the same values.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, n_samples)
        The samples, one per row; or, with ``metric="precomputed"``, the square matrix of the
        distances between them (non-negative, zero diagonal). Values must be finite. Sparse X
        (any scipy.sparse format) takes the metrics listed in :func:`silhouette_samples`.
    labels : array-like of shape (n_samples,)
        The cluster of each sample: any ints or strings. There must be between 2 and
        n_samples - 1 distinct labels (among the drawn samples when ``sample_size`` is given);
        every label is checked, drawn or not.
    metric : str or callable, default="euclidean"
        The distance between two samples: a name among ``kmix.metrics.METRICS`` (every name
        scikit-learn's silhouette accepts for dense X), "precomputed" (X is the distance
        matrix) or a callable of two rows that returns their distance. See
        :func:`silhouette_samples`.
    sample_size : int or None, default=None
        The number of samples to average over, drawn without replacement. None: all samples.
        With ``metric="precomputed"`` the drawn rows and the same columns of X are used. A size
        of n_samples or more uses every sample.
    random_state : int, RandomState instance or None, default=None
        Draws the ``sample_size`` samples (used only then): an int for a reproducible draw, a
        numpy RandomState, or None for numpy's global random state. The same ``random_state``
        draws the same samples as scikit-learn's.
    n_threads : int or None, default=None
        OpenMP threads of the C++ kernels. None follows OpenMP's maximum (``OMP_NUM_THREADS``,
        threadpoolctl); a negative value counts back from the number of CPUs (-1: all of them).
        The result does not depend on it.
    **kwds : optional keyword parameters
        Passed to the metric, as in :func:`silhouette_samples` (``w``, ``p``, ``V``, ``VI``,
        ..., and ``working_memory`` in MiB for the size of the chunks). Parameters the metric
        estimates from the data (the variances ``V`` of "seuclidean", the inverse covariance
        ``VI`` of "mahalanobis") come from the drawn samples when ``sample_size`` is given, as
        in scikit-learn.

    Returns
    -------
    silhouette : float
        The mean silhouette coefficient of the samples (or of the drawn ones).

    Raises
    ------
    ValueError
        If there are fewer than 2 or more than n_samples - 1 distinct labels, or for the other
        reasons given in :func:`silhouette_samples`.

    See Also
    --------
    silhouette_samples : The silhouette coefficient of each sample.
    calinski_harabasz_score : Ratio of between- to within-cluster dispersion.
    davies_bouldin_score : Mean similarity of each cluster to its most similar one.
    kmix.select_k : Choose the number of clusters by the silhouette and other rules.

    Notes
    -----
    The value equals scikit-learn's to ~1e-13 in float64. With the Euclidean distance (the
    default) the silhouette runs in C++ without the n_samples x n_samples distance matrix
    (O(n_samples * n_features + n_clusters) memory per thread) and is bit-identical for any
    thread count; see :func:`silhouette_samples` for the other metrics and for sparse X. The
    silhouette was introduced by Rousseeuw (1987), "Silhouettes: a graphical aid to the
    interpretation and validation of cluster analysis".

    Examples
    --------
    >>> import numpy as np
    >>> from kmix.metrics import silhouette_score
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [10, 2], [10, 4], [10, 0]])
    >>> labels = np.array([0, 0, 0, 1, 1, 1])
    >>> round(silhouette_score(X, labels), 2)
    0.71
    >>> round(silhouette_score(X, labels, metric="manhattan"), 2)
    0.75

    Labels may be strings, and a random subset of the samples can be scored:

    >>> round(silhouette_score(X, ["a", "a", "a", "b", "b", "b"]), 2)
    0.71
    >>> round(silhouette_score(X, labels, sample_size=4, random_state=0), 2)
    0.68
    """
    metric = _check_metric(metric, "silhouette_score")
    _split_kwds(metric, kwds, "silhouette_score")
    if sample_size is not None:
        sample_size = check_int(sample_size, "sample_size", low=1)
        precomputed = isinstance(metric, str) and metric == "precomputed"
        sparse = is_sparse(X)
        checked = as_csr(X, "X") if sparse else as_float_array(X, "X")
        if precomputed:
            _check_square(checked.shape)
        codes, _ = _encode_labels(labels, checked.shape[0])  # every label checked, drawn or not
        idx = check_random_state(random_state).permutation(checked.shape[0])[:sample_size]
        if sparse:  # scipy's own indexing, checked above: the caller's class and dtype kept
            rows = X.tocsr()[idx]  # type: ignore[union-attr]  # (is_sparse(X): mypy cannot tell)
            X = rows[:, idx] if precomputed else rows
        else:
            # The caller's dtype kept where it matters (the diagonal's tolerance, a callable's rows).
            source = X if isinstance(X, np.ndarray) and X.dtype.kind in "biuf" else checked
            X = source[np.ix_(idx, idx)] if precomputed else source[idx]
        labels = codes[idx]
    return float(np.mean(silhouette_samples(X, labels, metric=metric, n_threads=n_threads, **kwds)))


def _cluster_means(X, codes, k):
    """X in float64, per-cluster sizes and means (one bincount per feature: O(n) memory)."""
    X64 = X.astype(np.float64, copy=False)
    counts = np.bincount(codes, minlength=k).astype(np.float64)
    sums = np.stack([np.bincount(codes, weights=X64[:, j], minlength=k) for j in range(X64.shape[1])], axis=1)
    return X64, counts, sums / counts[:, None]


def calinski_harabasz_score(X: ArrayLike, labels: ArrayLike) -> float:
    """Compute the Calinski and Harabasz score.

    Also known as the Variance Ratio Criterion: the ratio of the between-cluster dispersion to
    the within-cluster dispersion, each divided by its degrees of freedom,

    ``[sum_k n_k ||c_k - c||^2 / (k - 1)] / [sum_k sum_{x in cluster k} ||x - c_k||^2 / (n - k)]``

    where n is the number of samples, k the number of clusters, c_k the mean of cluster k, n_k
    its size and c the mean of all samples. Higher is better (dense, well-separated clusters).
    The same function as ``sklearn.metrics.calinski_harabasz_score``, with the same values.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The samples, one per row (dense: a sparse matrix raises TypeError, as in scikit-learn).
        Values must be finite.
    labels : array-like of shape (n_samples,)
        The cluster of each sample: any ints or strings. There must be between 2 and
        n_samples - 1 distinct labels.

    Returns
    -------
    score : float
        The Calinski and Harabasz score; 1.0 when the within-cluster dispersion is 0 (every
        cluster a single point, repeated), as in scikit-learn.

    Raises
    ------
    ValueError
        If there are fewer than 2 or more than n_samples - 1 distinct labels, or X holds NaN or
        infinity.

    See Also
    --------
    davies_bouldin_score : Mean similarity of each cluster to its most similar one.
    silhouette_score : The mean silhouette coefficient over the samples.

    Notes
    -----
    Only the per-cluster means are needed: O(n_samples * n_features) time, in numpy, with no
    pairwise distances. Data of any magnitude is scored exactly: X is scaled by a power of two
    when its values would overflow the squared distances (the score is the same at any scale).
    The criterion is Calinski and Harabasz's (1974), "A dendrite method for cluster analysis".

    Examples
    --------
    >>> import numpy as np
    >>> from kmix.metrics import calinski_harabasz_score
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [10, 2], [10, 4], [10, 0]])
    >>> round(calinski_harabasz_score(X, [0, 0, 0, 1, 1, 1]), 1)
    30.4
    """
    X = _in_range(*as_float_array(X, "X", with_abs_max=True))
    codes, k = _check_labels(labels, X.shape[0])
    n = X.shape[0]
    X64, counts, means = _cluster_means(X, codes, k)
    overall = X64.mean(axis=0)
    extra = float(counts @ ((means - overall) ** 2).sum(axis=1))
    diff = X64 - means[codes]
    intra = float(np.einsum("ij,ij->", diff, diff))
    return 1.0 if intra == 0.0 else extra * (n - k) / (intra * (k - 1.0))


def davies_bouldin_score(X: ArrayLike, labels: ArrayLike) -> float:
    """Compute the Davies-Bouldin score.

    The mean over the clusters of each cluster's similarity to its most similar other cluster,
    where the similarity of clusters i and j is ``(s_i + s_j) / ||c_i - c_j||``: s_i is the mean
    distance of cluster i's members to its centroid c_i. The minimum is 0; lower is better
    (compact clusters far apart). The same function as ``sklearn.metrics.davies_bouldin_score``,
    with the same values.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The samples, one per row (dense: a sparse matrix raises TypeError, as in scikit-learn).
        Values must be finite.
    labels : array-like of shape (n_samples,)
        The cluster of each sample: any ints or strings. There must be between 2 and
        n_samples - 1 distinct labels.

    Returns
    -------
    score : float
        The Davies-Bouldin score; 0.0 when every s_i is (close to) 0 or every distance between
        centroids is, as in scikit-learn.

    Raises
    ------
    ValueError
        If there are fewer than 2 or more than n_samples - 1 distinct labels, or X holds NaN or
        infinity.

    See Also
    --------
    calinski_harabasz_score : Ratio of between- to within-cluster dispersion.
    silhouette_score : The mean silhouette coefficient over the samples.

    Notes
    -----
    Only the per-cluster means and the distances to them are needed: O(n_samples * n_features)
    time in numpy, and O(n_clusters) memory beyond them (the centroid distances are taken one
    cluster at a time, never n_clusters x n_clusters x n_features). Data of any magnitude is
    scored exactly: X is scaled by a power of two when its values would overflow the squared
    distances (the score is the same at any scale). The index is Davies and Bouldin's (1979),
    "A cluster separation measure".

    Examples
    --------
    >>> import numpy as np
    >>> from kmix.metrics import davies_bouldin_score
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [10, 2], [10, 4], [10, 0]])
    >>> round(davies_bouldin_score(X, [0, 0, 0, 1, 1, 1]), 2)
    0.3
    """
    X = _in_range(*as_float_array(X, "X", with_abs_max=True))
    codes, k = _check_labels(labels, X.shape[0])
    X64, counts, means = _cluster_means(X, codes, k)
    diff = X64 - means[codes]
    to_centroid = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    spread = np.bincount(codes, weights=to_centroid, minlength=k) / counts
    # Row by row, so memory stays O(k) beyond the answer (never k×k×d).
    worst = np.empty(k)
    all_gaps_zero = True
    for i in range(k):
        gaps = np.sqrt(((means - means[i]) ** 2).sum(axis=1))
        all_gaps_zero = all_gaps_zero and np.allclose(gaps, 0)
        gaps[gaps == 0] = np.inf
        worst[i] = np.max((spread[i] + spread) / gaps)
    if np.allclose(spread, 0) or all_gaps_zero:
        return 0.0
    return float(np.mean(worst))
