"""How close two answers are: labelings (adjusted Rand index), scalars, arrays."""

import numpy as np


def adjusted_rand_index(a, b):
    """Adjusted Rand index of two labelings of the same points (Hubert and Arabie, 1985):
    1 for the same partition whatever the label names, about 0 for independent ones."""
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    if a.shape != b.shape:
        raise ValueError(f"labelings have different lengths: {a.size} and {b.size}")
    n = a.size
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    ka, kb = ia.max(initial=-1) + 1, ib.max(initial=-1) + 1
    table = np.bincount(ia * kb + ib, minlength=ka * kb).reshape(ka, kb).astype(np.float64)

    def pairs(counts):
        return float((counts * (counts - 1) / 2).sum())

    index = pairs(table)
    rows, cols, total = pairs(table.sum(axis=1)), pairs(table.sum(axis=0)), n * (n - 1) / 2
    if total == 0 or (ka == kb and (ka <= 1 or ka == n)):
        return 1.0  # both trivial (one cluster, or all singletons): the same partition
    expected = rows * cols / total
    top = 0.5 * (rows + cols)
    if top == expected:
        return 1.0
    return (index - expected) / (top - expected)


def rel_diff(ours, theirs):
    """|ours − theirs| / |theirs| (0 when both are 0)."""
    ours, theirs = float(ours), float(theirs)
    if ours == theirs:
        return 0.0
    return abs(ours - theirs) / (abs(theirs) or abs(ours))


def max_abs_diff(ours, theirs):
    """Largest elementwise |ours − theirs| (float64)."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    if ours.shape != theirs.shape:
        raise ValueError(f"shapes differ: {ours.shape} and {theirs.shape}")
    return float(np.abs(ours - theirs).max()) if ours.size else 0.0


def max_rel_diff(ours, theirs):
    """max |ours − theirs| / max |theirs|: array differences on the scale of the answer."""
    scale = float(np.abs(np.asarray(theirs, dtype=np.float64)).max()) if np.size(theirs) else 0.0
    return max_abs_diff(ours, theirs) / (scale or 1.0)


def inertia(X, centers, labels, sample_weight=None):
    """Σ w_i ‖x_i − c_{label_i}‖², in float64 with numpy: the reference for peers that do not
    report it."""
    X = np.asarray(X, dtype=np.float64)
    diff = X - np.asarray(centers, dtype=np.float64)[np.asarray(labels)]
    per_row = np.einsum("ij,ij->i", diff, diff)
    return float(per_row.sum() if sample_weight is None else per_row @ sample_weight)


def nearest_sq_dist(X, centers):
    """Each row's squared distance to its nearest center, in float64, one center at a time (O(n)
    memory): the k-means potential of a seeding is its sum."""
    X = np.asarray(X, dtype=np.float64)
    best = np.full(X.shape[0], np.inf)
    for c in np.asarray(centers, dtype=np.float64):
        diff = X - c
        np.minimum(best, np.einsum("ij,ij->i", diff, diff), out=best)
    return best
