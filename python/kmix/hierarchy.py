"""Hierarchical clustering: ``kmix.linkage`` (scipy's linkage matrix) and
``kmix.AgglomerativeClustering`` (scikit-learn's estimator), with the algorithms in C++.

Ward and single linkage work on the observations in O(n·d) memory (nearest-neighbour chain on
centroids; Prim's minimum spanning tree), so they scale past the n² distance matrix that
scipy and scikit-learn need. The other methods need that matrix (n(n−1)/2 float64); kmix says
so with a MemoryError before allocating it when it would not fit.
"""
import heapq
import math
import os

import numpy as np

from . import _core, _scale
from ._base import BaseEstimator, feature_names_of
from ._threads import effective_n_threads
from ._validation import (BOOL, N_THREADS, NONE, Int, Options, Real, as_float_array, check_finite, check_option,
                          validate_params)

METHODS = ("single", "complete", "average", "weighted", "ward", "centroid", "median")
METRICS = ("euclidean", "sqeuclidean", "cityblock", "cosine")
_METHOD_CODE = {m: i for i, m in enumerate(METHODS)}
_METRIC_CODE = {"sqeuclidean": 0, "euclidean": 1, "cityblock": 2, "cosine": 3}
_EUCLIDEAN_ONLY = ("ward", "centroid", "median")


def _available_memory():
    """Bytes of memory available to a new allocation, or None when the OS does not say."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _check_matrix_memory(n, method, copies=1):
    need = copies * 8 * (n * (n - 1) // 2)
    avail = _available_memory()
    if avail is not None and need > avail:
        raise MemoryError(
            f"method={method!r} needs the condensed distance matrix of {n} observations, "
            f"{need / 1e9:.1f} GB, and only {avail / 1e9:.1f} GB is available; method='ward' and "
            "method='single' (euclidean) work on the observations in O(n) memory")


def _condensed_size(m):
    """n such that n(n−1)/2 == m, or None."""
    n = int(round((1 + math.sqrt(1 + 8 * m)) / 2))
    return n if n * (n - 1) // 2 == m else None


def linkage(X, method="ward", metric="euclidean", *, n_threads=None):
    """Hierarchical clustering as ``scipy.cluster.hierarchy.linkage``.

    X is an (n, d) array of observations (float32 or float64) or a 1-D condensed distance
    matrix. Returns scipy's linkage matrix Z, shape (n−1, 4), float64: the two clusters merged
    at each step (ids below n are observations, n + i the cluster formed at step i), the merge
    height and the new cluster's size; scipy's dendrogram and fcluster take it as is.

    method: "ward", "single", "complete", "average", "weighted", "centroid" or "median".
    metric (observations only): "euclidean", "sqeuclidean", "cityblock" or "cosine"; ward,
    centroid and median need "euclidean".
    """
    return _linkage(X, method, metric, n_threads)


def _linkage(X, method, metric, n_threads, sklearn_single=False):
    # sklearn_single: name single-linkage merges as scikit-learn does (its own spanning tree,
    # not scipy's, for these metrics), for AgglomerativeClustering.children_.
    check_option(method, "method", METHODS)
    check_option(metric, "metric", METRICS)
    n_threads = effective_n_threads(n_threads)
    if isinstance(X, (str, bytes)):
        raise TypeError("X must be a numeric array; got a string")
    try:
        ndim = np.ndim(X)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"X must be a 2-D array of observations or a 1-D condensed distance matrix; "
                         f"could not convert it: {exc}") from None
    if ndim == 1:
        return _linkage_condensed(X, method)
    X, largest = as_float_array(X, "X", min_samples=2, with_abs_max=True)
    if method in _EUCLIDEAN_ONLY and metric != "euclidean":
        raise ValueError(f"method={method!r} needs metric='euclidean'; got metric={metric!r}")
    # The trees are computed in float64 whatever X's dtype; data beyond that range of magnitudes
    # is scaled by 2^-e (exact: the same tree), and the heights scaled back.
    e = _scale.exponent(largest, np.float64)
    X, X_in = _scale.scaled(X, -e), X
    norms = None
    if metric == "cosine":
        X, norms = _cosine_rows(X, X_in)
        if not (norms > 0).all():
            raise ValueError("metric='cosine' is undefined for rows of X that are all zeros")
    if method == "ward":
        Z = _core.linkage_ward(X, n_threads)
    elif method == "single":
        smaller_first = not (sklearn_single and metric in ("euclidean", "cityblock"))
        Z = _core.linkage_single(X, _METRIC_CODE[metric], norms, n_threads, smaller_first)
    else:
        _check_matrix_memory(X.shape[0], method)
        D = _core.pdist(X, _METRIC_CODE[metric], norms, n_threads)
        Z = _core.linkage_condensed(D, X.shape[0], _METHOD_CODE[method])
    return _heights_scaled_back(Z, {"cosine": 0, "sqeuclidean": 2 * e}.get(metric, e))


def _cosine_rows(X, X_in):
    """(X, norms) for the cosine metric, which only sees the rows' directions: the Euclidean norm
    of each row of X (X_in scaled by a power of two) in float64, numpy's; and a row whose squares
    under- or overflow (a row of 1e-170 next to rows of order one, which would pass for a zero
    row, or whose dot products with another small row underflow) replaced by its direction, of
    norm 1, computed from X_in's row (the same at any scale of X_in)."""
    norms = np.linalg.norm(X.astype(np.float64), axis=1)
    odd = ~((norms > 1e-150) & (norms < 1e150))
    if odd.any():
        rows = X_in[odd].astype(np.float64)
        largest = np.abs(rows).max(axis=1)
        rows /= np.where(largest > 0, largest, 1.0)[:, None]
        length = np.linalg.norm(rows, axis=1)
        rows /= np.where(length > 0, length, 1.0)[:, None]
        X = X.copy()
        X[odd] = rows
        norms[odd] = np.where(length > 0, np.linalg.norm(X[odd].astype(np.float64), axis=1), 0.0)
    return X, norms


def _heights_scaled_back(Z, e):
    """Z with its heights times 2^e; ValueError if one leaves the float64 range."""
    if e:
        with np.errstate(over="ignore"):
            Z[:, 2] = np.ldexp(Z[:, 2], e)
    if not np.isfinite(Z[:, 2]).all():
        raise ValueError("the merge heights of this tree exceed the float64 range (the data's distances are "
                         "beyond ~1.8e308); divide X by a constant")
    return Z


def _linkage_condensed(y, method):
    arr = np.asarray(y)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"X must be numeric; got dtype {arr.dtype}")
    n = _condensed_size(arr.shape[0])
    if n is None or n < 2:
        raise ValueError(f"a 1-D X is a condensed distance matrix and needs n(n-1)/2 entries for some "
                         f"n >= 2; got {arr.shape[0]}")
    _check_matrix_memory(n, method)
    D = np.array(arr, dtype=np.float64)  # the algorithms overwrite it
    largest = check_finite(D, "X")  # scipy refuses non-finite distances too
    if (D < 0).any():
        raise ValueError("X (a condensed distance matrix) has negative distances")
    # Distances beyond the range in which their squares (ward, centroid, median) are safe: the
    # tree of D·2^-e, whose heights are those of D times 2^-e exactly.
    e = _scale.exponent(largest, np.float64)
    if e:
        D = np.ldexp(D, -e)
    return _heights_scaled_back(_core.linkage_condensed(D, n, _METHOD_CODE[method]), e)


def _cut_tree_labels(children, n_clusters, n_leaves):
    """Labels of the n_clusters clusters of a merge tree, numbered as scikit-learn's
    AgglomerativeClustering numbers them (it descends from the top merge through a heap)."""
    if n_clusters > n_leaves:
        raise ValueError(f"n_clusters={n_clusters} must be <= n_samples={n_leaves}")
    nodes = [-(max(children[-1]) + 1)]
    for _ in range(n_clusters - 1):
        these = children[-nodes[0] - n_leaves]
        heapq.heappush(nodes, -these[0])
        heapq.heappushpop(nodes, -these[1])
    node_label = np.full(2 * n_leaves - 1, -1, dtype=np.intp)
    for i, node in enumerate(nodes):
        node_label[-node] = i
    for node in range(2 * n_leaves - 2, n_leaves - 1, -1):  # top down: children take the label
        lab = node_label[node]
        if lab >= 0:
            a, b = children[node - n_leaves]
            node_label[a] = node_label[b] = lab
    return node_label[:n_leaves]


_AGGLO_METRICS = {"euclidean": "euclidean", "l2": "euclidean", "l1": "cityblock", "manhattan": "cityblock",
                  "cosine": "cosine", "precomputed": "precomputed"}


class AgglomerativeClustering(BaseEstimator):
    """Agglomerative clustering, scikit-learn compatible (without connectivity constraints).

    Parameters
    ----------
    n_clusters : int or None, default=2
        None when distance_threshold is given.
    metric : {"euclidean", "l2", "l1", "manhattan", "cosine", "precomputed"}, default="euclidean"
        "precomputed" takes a square distance matrix. Ward needs "euclidean" ("l2").
    linkage : {"ward", "complete", "average", "single"}, default="ward"
    distance_threshold : float or None
        Merges at or above this height are not made; then n_clusters must be None.
    compute_full_tree : "auto" or bool, default="auto"
        Accepted for scikit-learn compatibility: kmix always builds the whole tree (it is as
        cheap as a partial one without connectivity); False with distance_threshold is an error.
    compute_distances : bool, default=False
        Also store the merge heights in distances_.
    n_threads : int or None, default=None
        OpenMP threads; None follows OMP_NUM_THREADS / threadpoolctl. Results do not depend on it.

    Attributes
    ----------
    labels_, n_clusters_, n_leaves_, children_, distances_ (with compute_distances or
    distance_threshold), n_features_in_
    """

    _estimator_type = "clusterer"
    _fitted_attributes = ("labels_", "n_clusters_", "n_leaves_", "children_", "n_features_in_", "distances_")
    _parameter_constraints = {
        "n_clusters": [Int(1), NONE],
        "metric": [Options(*_AGGLO_METRICS)],
        "linkage": [Options("ward", "complete", "average", "single")],
        "distance_threshold": [Real(0), NONE],
        "compute_full_tree": [Options("auto"), BOOL],
        "compute_distances": [BOOL],
        "n_threads": [N_THREADS],
    }

    def __init__(self, n_clusters=2, *, metric="euclidean", linkage="ward", distance_threshold=None,
                 compute_full_tree="auto", compute_distances=False, n_threads=None):
        self.n_clusters = n_clusters
        self.metric = metric
        self.linkage = linkage
        self.distance_threshold = distance_threshold
        self.compute_full_tree = compute_full_tree
        self.compute_distances = compute_distances
        self.n_threads = n_threads

    def _check_params(self):
        validate_params(self)
        if (self.n_clusters is None) == (self.distance_threshold is None):
            raise ValueError("Exactly one of n_clusters and distance_threshold has to be set, and the other needs "
                             f"to be None; got n_clusters={self.n_clusters!r}, "
                             f"distance_threshold={self.distance_threshold!r}")
        if self.distance_threshold is not None and self.compute_full_tree is False:
            raise ValueError("compute_full_tree must be True if distance_threshold is set.")
        if self.linkage == "ward" and self.metric not in ("euclidean", "l2"):
            raise ValueError(f"linkage='ward' needs metric='euclidean' (or 'l2'); got metric={self.metric!r}")

    def fit(self, X, y=None):
        """Build the merge tree of X and cut it into n_clusters (or at distance_threshold)."""
        self._check_params()
        names = feature_names_of(X)
        X = as_float_array(X, "X", min_samples=2)
        n = X.shape[0]
        if self.n_clusters is not None and self.n_clusters > n:
            raise ValueError(f"n_clusters={self.n_clusters} must be <= n_samples={n}")
        metric = _AGGLO_METRICS[self.metric]
        if metric == "precomputed":
            if X.shape != (n, n):
                raise ValueError(f"metric='precomputed' needs a square distance matrix; got X of shape {X.shape}")
            if (X < 0).any():
                raise ValueError("metric='precomputed': X has negative distances")
            Z = linkage(X[np.triu_indices(n, k=1)].astype(np.float64), method=self.linkage,
                        n_threads=self.n_threads)
        else:
            Z = _linkage(X, self.linkage, metric, self.n_threads, sklearn_single=True)
        children = Z[:, :2].astype(np.intp)
        distances = Z[:, 2].copy()
        if self.distance_threshold is not None:
            n_clusters = int(np.count_nonzero(distances >= self.distance_threshold)) + 1
        else:
            n_clusters = int(self.n_clusters)
        self.children_ = children
        if self.compute_distances or self.distance_threshold is not None:
            self.distances_ = distances
        elif hasattr(self, "distances_"):
            del self.distances_
        self.n_leaves_ = n
        self.n_clusters_ = n_clusters
        self.n_features_in_ = X.shape[1]
        self.labels_ = _cut_tree_labels(children, n_clusters, n)
        self._set_feature_names(names)
        return self

    def fit_predict(self, X, y=None):
        """Fit and return labels_."""
        return self.fit(X).labels_
