"""Cluster-quality scores, as scikit-learn's (euclidean): silhouette, Calinski-Harabasz,
Davies-Bouldin.

The silhouette runs in C++ (``_core.silhouette_sorted``): rows sorted by cluster, distances
computed a tile of rows at a time and summed per cluster, so memory is O(n·d + k) and the n×n
distance matrix never exists. The other two need only per-cluster means (O(n·d) with numpy).
"""
import numpy as np

from . import _core, _scale
from ._threads import effective_n_threads
from ._validation import as_float_array, check_int, check_random_state

__all__ = ["silhouette_score", "silhouette_samples", "calinski_harabasz_score", "davies_bouldin_score"]


def _check_labels(labels, n_samples):
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
    k = int(codes.max()) + 1 if codes.size else 0
    if not 1 < k < n_samples:
        raise ValueError(f"Number of labels is {k}. Valid values are 2 to n_samples - 1 (inclusive)")
    return codes, k


def _check_metric(metric):
    if metric != "euclidean":
        raise ValueError(f"metric must be 'euclidean' (the only one kmix computes); got {metric!r}")


def _in_range(X, largest):
    """X, or X·2^-e if its magnitude is beyond the float64 range in which squared distances are
    safe: the three scores are ratios of distances, the same at any scale (see _scale)."""
    return _scale.scaled(X, -_scale.exponent(largest, np.float64))


def _sorted_by_cluster(X, codes, k):
    """Rows of X sorted by cluster (stable), the order used, and each cluster's first row."""
    order = np.argsort(codes, kind="stable")
    starts = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=k), out=starts[1:])
    return X[order], order, starts


def silhouette_samples(X, labels, *, metric="euclidean", n_threads=None):
    """Silhouette coefficient of every sample: (b − a) / max(a, b), where a is the mean distance to
    the other members of its cluster and b the mean distance to the nearest other cluster; 0 for
    a sample alone in its cluster. Returns float64, shape (n_samples,)."""
    _check_metric(metric)
    X = _in_range(*as_float_array(X, "X", with_abs_max=True))
    codes, k = _check_labels(labels, X.shape[0])
    Xs, order, starts = _sorted_by_cluster(X, codes, k)
    s = _core.silhouette_sorted(Xs, starts, effective_n_threads(n_threads))
    out = np.empty_like(s)
    out[order] = s
    return out


def silhouette_score(X, labels, *, metric="euclidean", sample_size=None, random_state=None, n_threads=None):
    """Mean silhouette coefficient over the samples (or over `sample_size` of them drawn without
    replacement with `random_state`, drawing the same rows as scikit-learn)."""
    _check_metric(metric)
    X = as_float_array(X, "X")
    if sample_size is not None:
        sample_size = check_int(sample_size, "sample_size", low=1)
        codes, _ = _check_labels(labels, X.shape[0])  # every label checked, drawn or not
        idx = check_random_state(random_state).permutation(X.shape[0])[:sample_size]
        X, labels = X[idx], codes[idx]
    return float(np.mean(silhouette_samples(X, labels, n_threads=n_threads)))


def _cluster_means(X, codes, k):
    """X in float64, per-cluster sizes and means (one bincount per feature: O(n) memory)."""
    X64 = X.astype(np.float64, copy=False)
    counts = np.bincount(codes, minlength=k).astype(np.float64)
    sums = np.stack([np.bincount(codes, weights=X64[:, j], minlength=k) for j in range(X64.shape[1])], axis=1)
    return X64, counts, sums / counts[:, None]


def calinski_harabasz_score(X, labels):
    """Ratio of between-cluster to within-cluster dispersion, each divided by its degrees of
    freedom: [Σ_k n_k‖c_k − c‖² / (k − 1)] / [Σ_k Σ_{x∈k} ‖x − c_k‖² / (n − k)]; 1.0 when every
    cluster is a single point repeated."""
    X = _in_range(*as_float_array(X, "X", with_abs_max=True))
    codes, k = _check_labels(labels, X.shape[0])
    n = X.shape[0]
    X64, counts, means = _cluster_means(X, codes, k)
    overall = X64.mean(axis=0)
    extra = float(counts @ ((means - overall) ** 2).sum(axis=1))
    diff = X64 - means[codes]
    intra = float(np.einsum("ij,ij->", diff, diff))
    return 1.0 if intra == 0.0 else extra * (n - k) / (intra * (k - 1.0))


def davies_bouldin_score(X, labels):
    """Mean over clusters of the largest (s_i + s_j) / ‖c_i − c_j‖, where s_i is the mean distance
    of cluster i's members to its centroid; 0.0 when every s_i or every centroid distance is ~0."""
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
