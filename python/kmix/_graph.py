"""Connectivity graphs for structured hierarchical clustering (AgglomerativeClustering and
kmix.linkage with ``connectivity=``), prepared as scikit-learn prepares them: the matrix (sparse,
dense, or what a callable returns) made symmetric, a graph of several components completed by
an edge between the closest points of every pair of components (with scikit-learn's warning),
and, for average, complete and single linkage, every edge given the distance between its two
points. Memory O(n·d + edges): the graph never becomes an n×n array (the pairs of components
are compared in blocks of rows)."""

import warnings

import numpy as np

from . import _core, _sparse

_BLOCK = 1 << 16  # rows (edges, or points of a component) handled at a time


class Graph:
    """A symmetric graph over n points as canonical CSR arrays (rows sorted, no duplicates):
    indptr (n + 1,), indices (int64), and data, the edge lengths (float64; ones until set)."""

    def __init__(self, n, rows, cols):
        key = np.sort(rows * np.int64(n) + cols)  # sorted and deduplicated (np.unique's hash is slower)
        if key.size:
            key = key[np.concatenate(([True], key[1:] != key[:-1]))]
        self.n = n
        self.rows, self.cols = key // n, key % n
        self.indices = np.ascontiguousarray(self.cols, dtype=np.int64)
        self.indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.rows, minlength=n), out=self.indptr[1:])
        self.data = np.ones(len(key))

    def without_loops(self):
        keep = self.rows != self.cols
        return Graph(self.n, self.rows[keep], self.cols[keep])

    def arrays(self):
        return self.data, self.indices, self.indptr


def connectivity_graph(connectivity, X, n, name="connectivity"):
    """The graph of ``connectivity`` (a scipy.sparse matrix, an array, or a callable of X
    returning one) over n points, made symmetric: an edge wherever C[i, j] or C[j, i] is
    nonzero. Negative or non-finite entries are refused (their sum could cancel an edge)."""
    if callable(connectivity):
        connectivity = connectivity(X)
    if _sparse.is_sparse(connectivity):
        shape = tuple(int(s) for s in connectivity.shape)
        if shape != (n, n):
            raise ValueError(
                f"Wrong shape for connectivity matrix: {shape} when X is {np.shape(X)} ({name} must "
                f"be n_samples × n_samples = {n} × {n})"
            )
        C = _sparse.as_csr(connectivity, name, dtype=np.float64)
        values = C.data
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(C.indptr))
        cols = C.indices.astype(np.int64)
    else:
        if isinstance(connectivity, (str, bytes)):
            raise TypeError(f"{name} must be a sparse matrix, an array or a callable; got a string")
        C = np.asarray(connectivity)
        if C.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric; got dtype {C.dtype}")
        if C.shape != (n, n):
            raise ValueError(
                f"Wrong shape for connectivity matrix: {C.shape} when X is {np.shape(X)} ({name} must "
                f"be n_samples × n_samples = {n} × {n})"
            )
        rows, cols = np.nonzero(C)
        values = C[rows, cols].astype(np.float64)
        rows, cols = rows.astype(np.int64), cols.astype(np.int64)
    if values.size and not np.isfinite(values).all():
        raise ValueError(f"{name} holds NaN or infinity")
    if values.size and (values < 0).any():
        raise ValueError(f"{name} has negative entries; a connectivity matrix marks edges with positive values")
    keep = values != 0
    rows, cols = rows[keep], cols[keep]
    return Graph(n, np.concatenate([rows, cols]), np.concatenate([cols, rows]))


def completed(graph, X, metric, stacklevel, n_threads=1):
    """(graph, n_components): a graph of several components gets, for every pair of
    components (i, j), j < i, an edge between their closest points (the first of the row-major
    minimum, rows in component i), as scikit-learn's _fix_connected_components, with its warning."""
    r = _core.graph_components(*graph.arrays())
    count, labels = r["count"], r["labels"]
    if count == 1:
        return graph, 1
    warnings.warn(
        f"the number of connected components of the connectivity matrix is {count} > 1. Completing it to "
        "avoid stopping the tree early.",
        stacklevel=stacklevel,
    )
    members = [np.flatnonzero(labels == c) for c in range(count)]
    new_rows, new_cols = [], []
    for i in range(count):
        for j in range(i):
            a, b = _closest_pair(X, members[i], members[j], metric, n_threads)
            new_rows += [a, b]
            new_cols += [b, a]
    rows = np.concatenate([graph.rows, np.asarray(new_rows, dtype=np.int64)])
    cols = np.concatenate([graph.cols, np.asarray(new_cols, dtype=np.int64)])
    return Graph(graph.n, rows, cols), count


def _closest_pair(X, idx_i, idx_j, metric, n_threads):
    """The points (a in idx_i, b in idx_j) at the smallest distance, the first in row-major order.
    Euclidean and cosine distances: the k-means kernels find each point of idx_i's nearest point
    of idx_j (GEMM-like tiles, the lowest index on ties), then the nearest of those pairs."""
    if metric in ("euclidean", "cosine"):
        A, B = X[idx_i], X[idx_j]
        if A.dtype not in (np.float32, np.float64):
            A, B = A.astype(np.float64), B.astype(np.float64)
        if metric == "cosine":
            A = A / np.linalg.norm(A, axis=1, keepdims=True).astype(A.dtype)
            B = B / np.linalg.norm(B, axis=1, keepdims=True).astype(B.dtype)
        nearest = _core.assign(np.ascontiguousarray(A), np.ascontiguousarray(B), n_threads)
        diff = A.astype(np.float64) - B[nearest].astype(np.float64)
        row = int(np.argmin(np.einsum("ij,ij->i", diff, diff)))
        return int(idx_i[row]), int(idx_j[nearest[row]])
    best, where = np.inf, None
    step = max(1, _BLOCK // max(1, len(idx_j)))
    for s in range(0, len(idx_i), step):
        rows = idx_i[s : s + step]
        D = _pairwise(X, rows, idx_j, metric)
        flat = int(np.argmin(D))
        if where is None or D.flat[flat] < best:
            best, where = D.flat[flat], (rows[flat // D.shape[1]], idx_j[flat % D.shape[1]])
    return int(where[0]), int(where[1])


def _pairwise(X, rows, cols, metric):
    """Distances between X[rows] and X[cols] (metric "precomputed": X is the distance matrix)."""
    if metric == "precomputed":
        return X[np.ix_(rows, cols)].astype(np.float64)
    A, B = X[rows].astype(np.float64), X[cols].astype(np.float64)
    if metric == "cityblock":
        return np.abs(A[:, None, :] - B[None, :, :]).sum(axis=2)
    if metric == "cosine":
        A = A / np.linalg.norm(A, axis=1, keepdims=True)
        B = B / np.linalg.norm(B, axis=1, keepdims=True)
        return np.maximum(1.0 - A @ B.T, 0.0)
    sq = (A * A).sum(axis=1)[:, None] - 2.0 * (A @ B.T) + (B * B).sum(axis=1)[None, :]
    return np.sqrt(np.maximum(sq, 0.0))


def edge_lengths(graph, X, metric):
    """graph with data set to each edge's distance, as scikit-learn's paired_distances gives it
    (precomputed: X's entries)."""
    lengths = np.empty(len(graph.rows))
    for s in range(0, len(lengths), _BLOCK):
        r, c = graph.rows[s : s + _BLOCK], graph.cols[s : s + _BLOCK]
        if metric == "precomputed":
            lengths[s : s + _BLOCK] = X[r, c]
            continue
        A, B = X[r].astype(np.float64), X[c].astype(np.float64)
        if metric == "cityblock":
            lengths[s : s + _BLOCK] = np.abs(A - B).sum(axis=1)
        elif metric == "cosine":  # 0.5·‖a/‖a‖ − b/‖b‖‖², scikit-learn's paired cosine distance
            diff = A / np.linalg.norm(A, axis=1, keepdims=True) - B / np.linalg.norm(B, axis=1, keepdims=True)
            lengths[s : s + _BLOCK] = 0.5 * np.einsum("ij,ij->i", diff, diff)
        else:
            diff = A - B
            lengths[s : s + _BLOCK] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    graph.data = lengths
    return graph


def tree(X, graph, method, merges, metric):
    """The structured tree: {children, distances, parent, n_leaves} (see kmix._core.graph_*)."""
    if method == "ward":
        return _core.graph_ward(X, *graph.arrays(), merges)
    graph = edge_lengths(graph.without_loops(), X, metric)
    if method == "single":
        return _core.graph_single(*graph.arrays())
    return _core.graph_linkage(*graph.arrays(), {"average": 0, "complete": 1}[method], merges)


def roots(parent, n):
    """The top node of each leaf after a partial tree (parent: each node's parent, itself if none)."""
    top = parent.copy()
    while True:
        nxt = top[top]
        if np.array_equal(nxt, top):
            return top[:n]
        top = nxt
