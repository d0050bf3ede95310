"""kmix on Dask: KMeans and GaussianMixture for data chunked by rows across a cluster.

Every Lloyd or EM iteration sends the current parameters (k×d numbers) to the chunks, computes
each chunk's sufficient statistics there with kmix's C++ kernels (KMeans: per-cluster weighted
sums, weights and inertia; GaussianMixture: N_k, Σ r·x, the second moments, the log-likelihood),
adds them up in a fixed binary tree and brings back only the total: the data never moves to
the client. Partial sums are float64 and combined in chunk order, so with the same init the
result equals the in-memory estimator's to rounding, whatever the chunking or the workers.

Chunks may be scipy.sparse matrices (a dask array made by ``da.from_array(X_csr, chunks=(rows,
n_features))`` or ``.map_blocks(scipy.sparse.csr_matrix)``): KMeans then clusters them as
kmix.KMeans clusters a sparse X (not centred, the sparse tolerance), each chunk converted once
to checked CSR and handed to the sparse C++ kernels, never densified.

Needs dask[array] and distributed (the ``kmix[dask]`` extra). Runs on whatever scheduler is active:
a ``distributed.Client`` if one exists, else dask's local threads.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import numpy as np

try:
    import dask
    import dask.array as da
except ImportError:  # pragma: no cover - the message is the point
    raise ImportError('kmix.dask needs dask: pip install "dask[array]" distributed (or the kmix[dask] extra)') from None

from . import _core, _scale, _sparse
from . import kmeans as _kmeans
from . import mixture as _mixture
from ._threads import effective_n_threads
from ._validation import (
    ARRAY,
    FLOAT_DTYPES,
    Int,
    Options,
    Real,
    as_float_array,
    c_array,
    check_random_state,
    check_sample_weight,
    validate_params,
)

if TYPE_CHECKING:
    import os
    from typing import Any, Literal, TypeVar

    from numpy.typing import ArrayLike, NDArray

    from ._sparse import SparseMatrix

    _DaskKMeansT = TypeVar("_DaskKMeansT", bound="KMeans")
    _DaskGaussianMixtureT = TypeVar("_DaskGaussianMixtureT", bound="GaussianMixture")

__all__ = ["KMeans", "GaussianMixture"]


# ---- data ------------------------------------------------------------------------------------
def _is_sparse(X):
    """Whether the dask array X has scipy.sparse chunks."""
    return _sparse.is_sparse(X._meta)


def _as_dask(X, name="X"):
    """X as a 2-D float dask array with one chunk across the features."""
    if not isinstance(X, da.Array) and _sparse.is_sparse(X):
        X = _sparse.to_scipy(_sparse.as_csr(X, name))
        rows = max(1, min(X.shape[0], (64 << 20) // max(1, 12 * X.nnz // X.shape[0])))
        return da.from_array(X, chunks=(rows, X.shape[1]))
    if not isinstance(X, da.Array):
        X = as_float_array(X, name)
        rows = max(1, min(X.shape[0], (64 << 20) // max(1, X.shape[1] * X.itemsize)))
        return da.from_array(X, chunks=(rows, X.shape[1]))
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (n_samples, n_features); got {X.ndim}-D")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric; got dtype {X.dtype}")
    if any(np.isnan(c) for c in X.shape) or any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() first")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {X.shape}")
    if X.dtype not in FLOAT_DTYPES:
        X = X.astype(np.float64)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def _weights_for(sample_weight, X):
    """(weights, e): sample_weight as a dask array chunked like X's rows, times 2^-e (None stays
    None). In-memory weights are checked and scaled as the in-memory estimators do; a dask
    array's are checked by the first pass (_moments) and scaled there if need be."""
    if sample_weight is None:
        return None, 0
    if isinstance(sample_weight, da.Array):
        if sample_weight.ndim != 1 or sample_weight.shape[0] != X.shape[0]:
            raise ValueError(f"sample_weight must be 1-D with {X.shape[0]} values; got shape {sample_weight.shape}")
        return sample_weight.astype(np.float64).rechunk((X.chunks[0],)), 0
    sw, e = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    return da.from_array(sw, chunks=(X.chunks[0],)), e


def _persisted(X, sw):
    """X and sw computed once and held by the workers: every iteration reads them again, and
    recomputing (or resending) their graph each time would cost more than the iteration."""
    if sw is None:
        return X.persist(), None
    return dask.persist(X, sw)


def _blocks(X, sw):
    """Per row chunk: (index, first row, the block, its weights or None), all delayed."""
    xs = X.to_delayed().ravel()
    ws = sw.to_delayed().ravel() if sw is not None else [None] * len(xs)
    starts = np.concatenate([[0], np.cumsum(X.chunks[0])])
    return [(i, int(starts[i]), x, w) for i, (x, w) in enumerate(zip(xs, ws))]


def _tree(parts, combine):
    """Combine delayed parts pairwise, level by level, in chunk order (a fixed tree)."""
    level = list(parts)
    while len(level) > 1:
        level = [
            dask.delayed(combine)(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return level[0]


def _add(a, b):
    return tuple(x + y for x, y in zip(a, b))


def _checked(block, index, first, dtype):
    """The block as a C-contiguous float array; NaN or inf raise ValueError naming the chunk."""
    block = c_array(block, dtype=dtype)
    if not np.isfinite(block).all():
        what = "NaN" if np.isnan(block).any() else "infinity"
        raise ValueError(f"X chunk {index} (rows {first} to {first + block.shape[0] - 1}) contains {what}")
    return block


def _chunk_name(index, first, rows):
    return f"X chunk {index} (rows {first} to {first + rows - 1})"


def _csr_block(block, dtype, block_info=None):
    """A scipy.sparse chunk as a checked CSR matrix of dtype (canonical: duplicates summed),
    errors naming the chunk; what fit persists and every later pass reads."""
    (index, _), ((first, stop), _) = block_info[0]["chunk-location"], block_info[0]["array-location"]
    return _sparse.to_scipy(_sparse.as_csr(block, _chunk_name(index, first, stop - first), dtype=dtype, min_samples=0))


def _csr_args(block, dtype):
    """A checked CSR chunk (see _csr_block) as the sparse kernels take it: data, indices, indptr,
    n_features (arrays sent to a worker may arrive misaligned)."""
    return c_array(block.data, dtype=dtype), c_array(block.indices), c_array(block.indptr), block.shape[1]


def _as_sparse_dask(X):
    """A dask array of scipy.sparse chunks as one of checked CSR chunks (lazily), whatever its meta
    said (dask may not have recognised the chunks as sparse)."""
    import scipy.sparse  # the chunks are scipy's: it is installed, and imported where they were made

    return X.map_blocks(
        functools.partial(_csr_block, dtype=X.dtype), dtype=X.dtype, meta=scipy.sparse.csr_matrix((0, 0), dtype=X.dtype)
    )


def _sparse_moments(block, index, first, dtype):
    """_moments_chunk's statistics of a sparse chunk (checked here), the implicit zeros included."""
    n, d = block.shape
    csr = _sparse.as_csr(block, _chunk_name(index, first, n), dtype=dtype, min_samples=0)
    if n == 0:
        return np.zeros(1), np.zeros(d), np.zeros(d), np.zeros(d)
    mean, m2 = _sparse.column_moments(csr)
    maxabs = np.zeros(d)
    np.maximum.at(maxabs, csr.indices, np.abs(csr.data.astype(np.float64)))
    return np.array([float(n)]), mean, m2, maxabs


def _moments_chunk(block, w, index, first, dtype):
    """Count, mean and Σ(x − mean)² of the block (for combining by Chan's formula), max |x|,
    then Σw and max w, then (1 if the chunk is scipy.sparse else 0, 1). A sparse chunk counts
    its implicit zeros. (Data near 1e300 overflows the moments: fit scales it and asks again.)"""
    sparse = _sparse.is_sparse(block)
    if sparse:
        stats = _sparse_moments(block, index, first, dtype)
    else:
        block = _checked(block, index, first, dtype).astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            mean = block.mean(axis=0)
            m2 = ((block - mean) ** 2).sum(axis=0)
        stats = (np.array([float(block.shape[0])]), mean, m2, np.abs(block).max(axis=0))
    if w is not None and not np.isfinite(w).all():
        raise ValueError(f"sample_weight chunk {index} contains NaN or infinity")
    if w is not None and (w < 0).any():
        raise ValueError(f"sample_weight chunk {index} has negative values")
    wsum, wmax = (0.0, 0.0) if w is None else (float(np.sum(w, dtype=np.float64)), float(np.max(w, initial=0.0)))
    return (*stats, np.array([wsum, wmax]), np.array([float(sparse), 1.0]))


def _combine_moments(a, b):
    (na, ma, sa, xa, wa, ka), (nb, mb, sb, xb, wb, kb) = a, b
    n = na + nb
    delta = mb - ma
    with np.errstate(over="ignore", invalid="ignore"):
        moments = (n, ma + delta * (nb / n), sa + sb + delta**2 * (na * nb / n))
    return (*moments, np.maximum(xa, xb), np.array([wa[0] + wb[0], max(wa[1], wb[1])]), ka + kb)


def _moments(X, sw):
    """One pass: column means and variances (float64), max |x| per column, max w, and whether the
    chunks are scipy.sparse matrices (all or none); checks values."""
    parts = [dask.delayed(_moments_chunk)(x, w, i, first, X.dtype) for i, first, x, w in _blocks(X, sw)]
    n, mean, m2, maxabs, wstats, kinds = dask.compute(_tree(parts, _combine_moments))[0]
    if sw is not None and not wstats[0] > 0:
        raise ValueError("sample_weight must have a positive sum; all weights are zero")
    if 0 < kinds[0] < kinds[1]:
        raise ValueError(
            f"X mixes chunks of scipy.sparse matrices ({int(kinds[0])} of {int(kinds[1])}) with dense ones"
        )
    return mean, m2 / n[0], maxabs, wstats[1], kinds[0] > 0


def _rows(X, indices):
    """The rows at these global indices, gathered to the client (k rows, not the data)."""
    indices = np.asarray(indices)
    order = np.argsort(indices, kind="stable")
    picked = X[np.sort(indices)].compute()
    if _sparse.is_sparse(picked):  # k rows of sparse X: centers are dense
        picked = picked.toarray()
    out = np.empty_like(picked)
    out[order] = picked
    return out


def _scaled_block(block, e):
    if _sparse.is_sparse(block):  # a checked CSR chunk: only its values change
        return _sparse.to_scipy(_sparse.Csr(block.data, block.indices, block.indptr, block.shape).scaled(e))
    return _scale.scaled(block, e)


def _scaled(X, e):
    """The dask array X·2^e, lazily, in X's dtype (X itself for e == 0 or None)."""
    if X is None or e == 0:
        return X
    return X.map_blocks(functools.partial(_scaled_block, e=e), dtype=X.dtype, meta=X._meta)


# ---- KMeans ----------------------------------------------------------------------------------
# Each chunk function takes a dense chunk (centred, checked) or a sparse one (a checked CSR
# matrix: _csr_block), the latter through the sparse kernels, never densified.
def _lloyd_chunk(Xc, w, centers, n_threads):
    """A chunk's cluster sums, weights and inertia (Xc already centred and checked)."""
    centers = c_array(centers)  # arrays sent to a worker may arrive misaligned
    w = None if w is None else c_array(w, dtype=centers.dtype)
    nt = effective_n_threads(n_threads)
    if _sparse.is_sparse(Xc):
        r = _core.sparse_lloyd_chunk(*_csr_args(Xc, centers.dtype), w, centers, nt)
    else:
        r = _core.lloyd_chunk(c_array(Xc, dtype=centers.dtype), w, centers, nt)
    return r["sums"], r["weights"], np.array([r["inertia"]])


def _assign_block(Xc, centers, n_threads):
    centers = c_array(centers)
    if _sparse.is_sparse(Xc):
        return _core.sparse_assign(*_csr_args(Xc, centers.dtype), centers, effective_n_threads(n_threads))
    return _core.assign(c_array(Xc, dtype=centers.dtype), centers, effective_n_threads(n_threads))


def _nearest_chunk(Xc, centers, n_threads):
    """(nearest center of each row, squared distance to it in float64, the chunk as taken)."""
    centers = c_array(centers)
    if _sparse.is_sparse(Xc):  # the distances as the sparse Lloyd loop measures them
        r = _core.sparse_nearest(*_csr_args(Xc, centers.dtype), None, centers, effective_n_threads(n_threads))
        return r["labels"], r["distances"], Xc
    Xc = c_array(Xc, dtype=centers.dtype)
    nearest = _core.assign(Xc, centers, effective_n_threads(n_threads))
    return nearest, ((Xc.astype(np.float64) - centers[nearest]) ** 2).sum(axis=1), Xc


def _dense_rows(Xc, rows, dtype):
    """Rows of a chunk (dense or sparse) as a dense array of dtype."""
    if _sparse.is_sparse(Xc):
        return Xc[np.asarray(rows, dtype=np.intp)].toarray().astype(dtype, copy=False)
    return np.asarray(Xc, dtype=dtype)[rows]


def _far_chunk(Xc, w, first, centers, m, n_threads):
    """The m rows farthest from their centers: (distance, global index, row, weight, label)."""
    labels, dist, Xc = _nearest_chunk(Xc, centers, n_threads)
    top = np.lexsort((np.arange(len(dist)), -dist))[:m]
    weight = np.ones(len(top)) if w is None else np.asarray(w, dtype=np.float64)[top]
    rows = _dense_rows(Xc, top, np.float64)
    return [(float(dist[t]), first + int(t), rows[j], float(weight[j]), int(labels[t])) for j, t in enumerate(top)]


def _distances_chunk(Xc, candidates, n_threads):
    """Squared distance of each row to its nearest candidate (float64), and which one."""
    nearest, dist, _ = _nearest_chunk(Xc, candidates, n_threads)
    return dist, nearest


def _oversample_chunk(Xc, candidates, ell, psi, seed, n_threads):
    """Bahmani et al.'s draw: each row joins with probability min(1, ℓ·d²(x)/ψ), ℓ = ell."""
    dist, _ = _distances_chunk(Xc, candidates, n_threads)
    keep = np.random.RandomState(seed).uniform(size=len(dist)) < ell * dist / psi
    return _dense_rows(Xc, np.flatnonzero(keep), candidates.dtype)


def _potential_chunk(Xc, candidates, n_threads):
    return (np.array([_distances_chunk(Xc, candidates, n_threads)[0].sum()]),)


def _candidate_weights_chunk(Xc, w, candidates, n_threads):
    _, nearest = _distances_chunk(Xc, candidates, n_threads)
    return (
        np.bincount(
            nearest, weights=None if w is None else np.asarray(w, dtype=np.float64), minlength=len(candidates)
        ).astype(np.float64),
    )


class KMeans(_kmeans.KMeans):
    """K-means clustering of a dask array whose rows are in chunks, scikit-learn compatible.

    ``kmix.KMeans`` for data that lives on a Dask cluster, chunked by rows: every Lloyd
    iteration sends the k centers to the chunks, computes each chunk's per-cluster sums,
    weights and inertia there with kmix's C++ kernels, adds them up in a fixed binary tree in
    chunk order and brings back only the totals; the data never leaves the workers. The
    parameters, attributes and methods are ``kmix.KMeans``'s, with three more for the default
    initialization, k-means|| (Bahmani et al. 2012), which draws many candidate centers in a
    few passes over the chunks instead of k passes.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters (and of centers), at least 1 and at most n_samples.
    init : {"k-means||", "k-means++", "random"} or array-like of shape (n_clusters, n_features), \
            default="k-means||"
        How the centers start. "k-means||": ``oversampling_factor * n_clusters`` rows are drawn
        per round, for ``init_max_iter`` rounds, each row with probability proportional to its
        squared distance to the candidates so far; the candidates are weighted by the (weighted)
        number of rows nearest to them, then weighted k-means++ and Lloyd's iterations on the
        candidates, in memory, give the n_clusters starting centers. "k-means++": kmix's greedy
        k-means++ on a uniform sample of ``init_sample_size`` rows, brought to the client.
        "random": n_clusters rows drawn uniformly. An array: the starting centers, used as given.
        A callable is refused (it would need the whole data set in memory).
    n_init : "auto" or int, default="auto"
        The number of runs from different starting centers; the run with the lowest inertia is
        kept. "auto": 1 for "k-means||", "k-means++" and an array, 10 for "random". An array
        runs once (with a RuntimeWarning if more runs were asked for).
    max_iter : int, default=300
        The maximum number of Lloyd iterations of a run (each one pass over the chunks).
    tol : float, default=1e-4
        Relative tolerance: a run stops when the sum of squared center shifts is at most
        ``tol`` times the mean per-feature variance of X (computed in the first pass over the
        chunks; for sparse chunks, of the columns with their implicit zeros, as kmix.KMeans on
        sparse X). 0 stops only when the centers no longer move.
    verbose : int, default=0
        Print one line per iteration (its number and the inertia) when nonzero.
    random_state : int, RandomState instance or None, default=None
        The random draws of the initialization (made on the client: the first candidate, the
        samples, the seeds of each chunk's draws). An int gives reproducible results for the
        same chunks, whatever the workers and the scheduler; None uses numpy's global random
        state.
    copy_x : bool, default=True
        Accepted for compatibility with ``kmix.KMeans``; X is never modified (the centred copy
        of dense data is a new dask array held by the workers).
    algorithm : {"lloyd", "elkan", "hamerly", "auto"}, default="lloyd"
        Accepted for compatibility with ``kmix.KMeans``: every choice runs Lloyd's iterations
        over the chunks. (The bounded algorithms give the same answers in memory; across chunks
        their bounds would be O(n_samples) state held between passes.)
    n_threads : int or None, default=None
        OpenMP threads of each chunk's kernel, resolved on the worker that runs it. None: that
        worker's OpenMP default (Dask sets ``OMP_NUM_THREADS`` to the worker's thread count); a
        negative value counts back from the number of CPUs (-1: all of them). Results do not
        depend on it.
    oversampling_factor : float, default=2.0
        "k-means||" only: the expected number of rows drawn per round, as a multiple of
        n_clusters (> 0).
    init_max_iter : int, default=5
        "k-means||" only: the number of rounds of draws (at least 1; the rounds stop early
        when every row coincides with a candidate).
    init_sample_size : int, default=100_000
        "k-means++" only: the number of rows drawn uniformly, without replacement, to seed on
        (at least 1; the sample has max(init_sample_size, n_clusters) rows, at most
        n_samples).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        The centers, in X's float dtype (float32 or float64; integer X gives float64).
    labels_ : dask array of shape (n_samples,)
        The index (int32) of each row's nearest center, a lazy dask array persisted on the
        workers, chunked like X's rows; ``labels_.compute()`` brings it to the client.
    inertia_ : float
        The sum of the (weighted) squared distances of the rows to their nearest center.
    n_iter_ : int
        The number of Lloyd iterations of the run kept.
    n_features_in_ : int
        The number of features of the X seen by ``fit``.

    See Also
    --------
    kmix.KMeans : The same estimator for data in memory.
    GaussianMixture : A Gaussian mixture fitted by EM on a dask array.

    Notes
    -----
    With the same initialization (an ``init`` array) the result equals ``kmix.KMeans``'s to
    rounding (rtol 1e-9 for the centers and the inertia), whatever the chunking and the number
    of workers: the partial sums are float64 and combined in chunk order. The first pass over
    the chunks checks every value (a NaN or an infinity raises ValueError naming its chunk) and
    computes the column means; the data is then persisted on the workers (dense data centred on
    its mean, as kmix.KMeans does in memory) for the iterations. Tasks are pure functions of
    their chunk, so a worker lost during a fit is recomputed by Dask and the result does not
    change.

    ``sample_weight`` weighs Lloyd's sums and the k-means|| candidates; the rows drawn by
    "random" and the "k-means++" sample are drawn uniformly (kmix.KMeans weighs those draws).

    Chunks may be scipy.sparse matrices (``da.from_array(X_csr, chunks=(rows, n_features))``,
    or dense chunks ``.map_blocks(scipy.sparse.csr_matrix)``): they are clustered as
    ``kmix.KMeans`` clusters sparse X (never centred nor densified; each chunk is checked and
    made CSR once, then goes through the sparse C++ kernels), with the same result from the
    same initialization. With ``init="k-means++"`` and ``init_sample_size`` at least
    n_samples, the seeds are those of ``kmix.kmeans_plusplus`` on the whole matrix.

    Runs on whatever Dask scheduler is active: a ``distributed.Client`` if one exists, else
    dask's local threads. Needs dask[array] and distributed (``pip install "kmix[dask]"``).

    Examples
    --------
    >>> import numpy as np
    >>> import dask
    >>> import dask.array as da
    >>> from kmix.dask import KMeans
    >>> X = da.from_array(np.array([[1, 2], [1, 4], [1, 0],
    ...                             [10, 2], [10, 4], [10, 0]], dtype=float), chunks=(3, 2))
    >>> with dask.config.set(scheduler="synchronous"):  # no cluster here: run in this thread
    ...     km = KMeans(n_clusters=2, random_state=0).fit(X)
    ...     labels = km.labels_.compute()
    >>> labels
    array([1, 1, 1, 0, 0, 0], dtype=int32)
    >>> np.round(km.cluster_centers_, 2)
    array([[10.,  2.],
           [ 1.,  2.]])
    >>> km.predict(np.array([[0, 0], [12, 3]]))  # data in memory: a numpy answer
    array([1, 0], dtype=int32)
    """

    _save_name = "dask.KMeans"
    _parameter_constraints = {
        **_kmeans.KMeans._parameter_constraints,
        # a callable init would need the whole data set in memory
        "init": [Options("k-means||", "k-means++", "random"), ARRAY],
        "oversampling_factor": [Real(0, low_open=True)],
        "init_max_iter": [Int(1)],
        "init_sample_size": [Int(1)],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Literal["k-means||", "k-means++", "random"] | ArrayLike = "k-means||",
        n_init: Literal["auto"] | int = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
        copy_x: bool = True,
        algorithm: Literal["lloyd", "elkan", "hamerly", "auto"] = "lloyd",
        n_threads: int | None = None,
        oversampling_factor: float = 2.0,
        init_max_iter: int = 5,
        init_sample_size: int = 100_000,
    ) -> None:
        super().__init__(
            n_clusters,
            init=init,
            n_init=n_init,
            max_iter=max_iter,
            tol=tol,
            verbose=verbose,
            random_state=random_state,
            copy_x=copy_x,
            algorithm=algorithm,
            n_threads=n_threads,
        )
        self.oversampling_factor = oversampling_factor
        self.init_max_iter = init_max_iter
        self.init_sample_size = init_sample_size

    def _resolve_n_init(self, kind, auto_runs, stacklevel=4):
        # "auto": one run for k-means|| as for k-means++ (both already spread the seeds)
        return super()._resolve_n_init("k-means++" if kind == "k-means||" else kind, auto_runs, stacklevel=stacklevel)

    def fit(
        self: _DaskKMeansT,
        X: da.Array | ArrayLike | SparseMatrix,
        y: object = None,
        sample_weight: da.Array | ArrayLike | None = None,
    ) -> _DaskKMeansT:
        """Compute k-means clustering of the rows of X.

        Parameters
        ----------
        X : dask array, array-like or sparse matrix of shape (n_samples, n_features)
            The data: a dask array chunked by rows (chunks across the features are merged
            into one), with dense or scipy.sparse chunks of numbers (float32 is kept, other
            types become float64) and known chunk sizes; or data in memory, a numpy array or a
            scipy.sparse matrix, which is made a dask array (chunks of about 64 MiB). Values
            must be finite.
        y : Ignored
            Not used, present for scikit-learn's API consistency.
        sample_weight : dask array or array-like of shape (n_samples,), default=None
            The weight of each row (non-negative, with a positive sum); a dask array is
            rechunked like X's rows. None: every row weighs 1.

        Returns
        -------
        self : KMeans
            The fitted estimator.

        See Also
        --------
        KMeans.fit_predict : Fit, then return ``labels_``.

        Examples
        --------
        >>> import numpy as np
        >>> import dask
        >>> import dask.array as da
        >>> from kmix.dask import KMeans
        >>> X = da.from_array(np.array([[1, 2], [1, 4], [1, 0],
        ...                             [10, 2], [10, 4], [10, 0]], dtype=float), chunks=(3, 2))
        >>> with dask.config.set(scheduler="synchronous"):
        ...     km = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> km.n_features_in_, km.cluster_centers_.shape
        (2, (2, 2))
        """
        validate_params(self)
        X = _as_dask(X)
        sw, ew0 = _weights_for(sample_weight, X)
        k, kind, n_init = self._check_params(X)
        # Resolved where each chunk runs (None: that worker's OpenMP default, which Dask's
        # workers set to their own thread count), not on the client.
        n_threads = self.n_threads
        rs = check_random_state(self.random_state)
        init_array = self._check_centers(self.init, X, "init") if kind == "array" else None
        mean64, var, maxabs, wmax, sparse = _moments(X, sw)  # also checks every value
        if sparse:  # each chunk made checked CSR once, held by the workers for every pass
            X = _as_sparse_dask(X).persist()
        # Data (or init, or weights) beyond the kernels' range of magnitudes: the fit of X·2^-e
        # with weights·2^-ew, exactly the fit of the scaled data (see _scale).
        largest = max(float(maxabs.max()), 0.0 if init_array is None else _scale.abs_max(init_array))
        e, ew = _scale.exponent(largest, X.dtype), _scale.exponent(wmax, X.dtype, weights=True)
        if e or ew:
            X, sw, init_array = _scaled(X, -e), _scaled(sw, -ew), _scale.scaled(init_array, -e)
            mean64, var, _, _, _ = _moments(X, sw)
        if sw is not None:
            sw = sw.astype(X.dtype)
        ew += ew0  # the weights are now sw·2^ew
        if sparse:
            # As kmix.KMeans on sparse X (and scikit-learn): not centred, the tolerance from the
            # column variances (implicit zeros included) in X's dtype.
            mean = np.zeros(X.shape[1], dtype=X.dtype)
            tol = float(np.mean(var.astype(X.dtype))) * self.tol if self.tol else 0.0
            Xc, sw = _persisted(X, sw)
        else:
            mean = mean64.astype(X.dtype)
            tol = float(np.mean(var) * self.tol) if self.tol else 0.0
            # Centred once (as kmix.KMeans does in memory) and held by the workers for every pass.
            Xc, sw = _persisted(X - mean, sw)
        blocks = _blocks(Xc, sw)
        best = None
        for _ in range(n_init):
            if kind == "array":
                centers = init_array - mean
            else:
                centers = self._seed(Xc, blocks, kind, k, rs, n_threads)
            run = self._lloyd(blocks, c_array(centers, dtype=X.dtype), tol, n_threads)
            if best is None or run[1] < best[1]:
                best = run
        centers, inertia, n_iter, weights = best  # type: ignore[misc]  # (n_init >= 1: best is set)
        _kmeans._warn_if_fewer_clusters(int(np.count_nonzero(weights)), k)
        self.cluster_centers_ = _scale.centers_back((centers + mean).astype(X.dtype), e)
        self.inertia_ = float(_scale.scale_back(inertia, 2 * e + ew, "inertia_"))
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = X.shape[1]
        # Labels from the centred rows, as the in-memory estimator's (kept on the workers, so
        # the centred copy can go).
        assign = functools.partial(_assign_block, centers=centers, n_threads=self.n_threads)  # not a block argument
        self.labels_ = Xc.map_blocks(assign, dtype=np.int32, drop_axis=1, meta=np.zeros(0, np.int32)).persist()
        return self

    def _lloyd(self, blocks, centers, tol, n_threads):
        """Lloyd iterations as kmix.KMeans runs them (relocating empty clusters, scikit-learn's
        averaging, stop when the squared center shift is <= tol), with the statistics of each
        step summed over the chunks. Returns centers, inertia, the number of iterations and the
        final clusters' weights."""

        def step(c):
            parts = [dask.delayed(_lloyd_chunk)(x, w, c, n_threads) for _, _, x, w in blocks]
            return dask.compute(_tree(parts, _add))[0]

        n_iter = 0
        for it in range(self.max_iter):
            sums, weights, inertia = step(centers)
            if self.verbose:
                print(f"Iteration {it}, inertia {inertia[0]:.6g}")
            empty = np.flatnonzero(weights == 0)
            if empty.size:
                self._relocate(blocks, centers, empty, sums, weights, n_threads)
            centers, shift = _average_centers(sums, weights, centers)
            n_iter = it + 1
            if shift == 0.0 or shift <= tol:
                break
        _, weights, inertia = step(centers)
        return centers, float(inertia[0]), n_iter, weights

    def _relocate(self, blocks, centers, empty, sums, weights, n_threads):
        """Each empty cluster takes one of the rows farthest from their centers (the farthest
        first, lower index on ties), as kmix.KMeans does."""
        m = len(empty)
        parts = [dask.delayed(_far_chunk)(x, w, first, centers, m, n_threads) for _, first, x, w in blocks]
        far = sorted((f for chunk in dask.compute(*parts) for f in chunk), key=lambda f: (-f[0], f[1]))[:m]
        if not far or far[0][0] == 0.0:
            return
        for to, (_, _, row, wf, frm) in zip(empty, far):
            sums[frm] -= row * wf
            sums[to] = row * wf
            weights[to] = wf
            weights[frm] -= wf

    def _seed(self, Xc, blocks, kind, k, rs, n_threads):
        """Initial centers (centred coordinates) from the centred data Xc."""
        n = Xc.shape[0]
        if kind == "random":
            return _rows(Xc, rs.choice(n, size=k, replace=False))
        if kind == "k-means++":
            size = min(n, max(self.init_sample_size, k))
            rows = np.sort(rs.choice(n, size=size, replace=False))
            # a sparse sample stays sparse (CSR) on the client: kmeans_plusplus takes it so
            sample = Xc[rows].compute() if _is_sparse(Xc) else c_array(_rows(Xc, rows))
            centers, _ = _kmeans.kmeans_plusplus(sample, k, random_state=rs, n_threads=n_threads)
            return centers
        return self._kmeans_parallel(Xc, blocks, k, rs, n_threads)

    def _kmeans_parallel(self, Xc, blocks, k, rs, n_threads):
        """k-means|| (Bahmani et al. 2012)."""
        dtype = Xc.dtype
        candidates = c_array(_rows(Xc, [rs.randint(Xc.shape[0])]))
        ell = float(self.oversampling_factor) * k
        for _ in range(self.init_max_iter):
            parts = [dask.delayed(_potential_chunk)(x, candidates, n_threads) for _, _, x, _ in blocks]
            psi = float(dask.compute(_tree(parts, _add))[0][0][0])
            if psi == 0.0:
                break
            seeds = rs.randint(0, 2**31 - 1, size=len(blocks))
            drawn = dask.compute(
                *[
                    dask.delayed(_oversample_chunk)(x, candidates, ell, psi, int(seeds[i]), n_threads)
                    for i, _, x, _ in blocks
                ]
            )
            candidates = c_array(np.concatenate([candidates, *drawn]).astype(dtype))
        if len(candidates) < k:  # tiny or degenerate data: top up with rows drawn uniformly
            extra = _rows(Xc, rs.choice(Xc.shape[0], size=k - len(candidates), replace=False))
            candidates = c_array(np.concatenate([candidates, extra]).astype(dtype))
        parts = [dask.delayed(_candidate_weights_chunk)(x, w, candidates, n_threads) for _, _, x, w in blocks]
        cw = dask.compute(_tree(parts, _add))[0][0].astype(dtype)
        if np.count_nonzero(cw) < k:
            cw = cw + np.asarray(1e-12 * cw.max(), dtype=dtype)  # every candidate can still be drawn
        seeds, _ = _kmeans.kmeans_plusplus(candidates, k, sample_weight=cw, random_state=rs, n_threads=n_threads)
        return (
            _kmeans.KMeans(k, init=seeds, n_init=1, n_threads=n_threads)
            .fit(candidates, sample_weight=cw)
            .cluster_centers_
        )

    # ---- using the model: lazy on dask arrays ----------------------------------------------
    def _in_memory(self, X):
        """An in-memory kmix.KMeans holding the fitted centers (what each chunk's task carries),
        after checking that the model is fitted and X has its number of features."""
        self._check_fitted()
        if X.shape[1] != self.cluster_centers_.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.cluster_centers_.shape[1]} features as input"
            )
        model = _kmeans.KMeans(self.n_clusters, n_threads=self.n_threads)
        model.cluster_centers_, model.inertia_, model.n_iter_ = self.cluster_centers_, self.inertia_, self.n_iter_
        model.labels_, model.n_features_in_ = np.zeros(0, dtype=np.int32), self.n_features_in_
        return model

    # predict, transform and fit_predict: lazy (a dask array) for a dask array X, numpy otherwise.
    def predict(self, X: da.Array | ArrayLike | SparseMatrix) -> da.Array | NDArray[Any]:
        """Predict the closest cluster each row of X belongs to.

        Parameters
        ----------
        X : dask array, array-like or sparse matrix of shape (n_samples, n_features)
            The rows to label: a dask array (dense or scipy.sparse chunks), or data in memory.

        Returns
        -------
        labels : dask array or ndarray of shape (n_samples,)
            The index (int32) of each row's nearest center: a lazy dask array chunked like X's
            rows for a dask array X (call ``.compute()``), a numpy array for data in memory
            (as ``kmix.KMeans.predict``).

        See Also
        --------
        KMeans.transform : The distances to every center.

        Examples
        --------
        >>> import numpy as np
        >>> import dask
        >>> import dask.array as da
        >>> from kmix.dask import KMeans
        >>> X = da.from_array(np.array([[1, 2], [1, 4], [1, 0],
        ...                             [10, 2], [10, 4], [10, 0]], dtype=float), chunks=(3, 2))
        >>> with dask.config.set(scheduler="synchronous"):
        ...     km = KMeans(n_clusters=2, random_state=0).fit(X)
        ...     lazy = km.predict(X)
        ...     labels = lazy.compute()
        >>> type(lazy).__name__, labels
        ('Array', array([1, 1, 1, 0, 0, 0], dtype=int32))
        """
        if isinstance(X, da.Array):
            X = _as_dask(X)
            return X.map_blocks(
                self._in_memory(X).predict, dtype=np.int32, drop_axis=1, meta=np.zeros(0, dtype=np.int32)
            )
        return super().predict(X)

    def transform(self, X: da.Array | ArrayLike | SparseMatrix) -> da.Array | Any:
        """Transform X to a cluster-distance space: the distance of each row to each center.

        Parameters
        ----------
        X : dask array, array-like or sparse matrix of shape (n_samples, n_features)
            The rows to transform: a dask array (dense or scipy.sparse chunks), or data in
            memory.

        Returns
        -------
        X_new : dask array, ndarray or data frame of shape (n_samples, n_clusters)
            The Euclidean distance of each row to each center, in the centers' dtype: a lazy
            dask array chunked like X's rows for a dask array X (``set_output`` does not apply
            to it), else what ``kmix.KMeans.transform`` returns (an array, or a data frame
            after ``set_output``).

        See Also
        --------
        KMeans.predict : The index of the nearest center.

        Examples
        --------
        >>> import numpy as np
        >>> import dask
        >>> import dask.array as da
        >>> from kmix.dask import KMeans
        >>> X = da.from_array(np.array([[1, 2], [1, 4], [1, 0],
        ...                             [10, 2], [10, 4], [10, 0]], dtype=float), chunks=(3, 2))
        >>> with dask.config.set(scheduler="synchronous"):
        ...     km = KMeans(n_clusters=2, random_state=0).fit(X)
        ...     distances = km.transform(X).compute()
        >>> np.round(distances, 2)
        array([[9.  , 0.  ],
               [9.22, 2.  ],
               [9.22, 2.  ],
               [0.  , 9.  ],
               [2.  , 9.22],
               [2.  , 9.22]])
        """
        if isinstance(X, da.Array):
            X = _as_dask(X)
            model = self._in_memory(X)
            return X.map_blocks(
                model.transform,
                dtype=model.cluster_centers_.dtype,
                chunks=(X.chunks[0], (model.cluster_centers_.shape[0],)),
                meta=np.zeros((0, 0), dtype=model.cluster_centers_.dtype),
            )
        return super().transform(X)

    def fit_predict(
        self,
        X: da.Array | ArrayLike | SparseMatrix,
        y: object = None,
        sample_weight: da.Array | ArrayLike | None = None,
    ) -> da.Array | NDArray[Any]:
        """Compute the clustering and return the cluster of each row (``labels_``).

        Parameters
        ----------
        X : dask array, array-like or sparse matrix of shape (n_samples, n_features)
            The data, as in :meth:`fit`.
        y : Ignored
            Not used, present for scikit-learn's API consistency.
        sample_weight : dask array or array-like of shape (n_samples,), default=None
            The weight of each row, as in :meth:`fit`. None: every row weighs 1.

        Returns
        -------
        labels : dask array or ndarray of shape (n_samples,)
            ``labels_``, the index (int32) of each row's nearest center: the lazy dask array
            for a dask array X, computed to a numpy array for data in memory.

        See Also
        --------
        KMeans.fit : Fit without returning the labels.

        Examples
        --------
        >>> import numpy as np
        >>> import dask
        >>> from kmix.dask import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]], dtype=float)
        >>> with dask.config.set(scheduler="synchronous"):
        ...     labels = KMeans(n_clusters=2, random_state=0).fit_predict(X)
        >>> labels
        array([1, 1, 1, 0, 0, 0], dtype=int32)
        """
        labels = self.fit(X, sample_weight=sample_weight).labels_
        return labels if isinstance(X, da.Array) else labels.compute()

    def save(self, path: str | os.PathLike[str]) -> str | os.PathLike[str]:
        """Write the parameters and fitted attributes to a model file.

        As ``kmix.KMeans.save`` (an .npz file of plain arrays and a JSON header; reading it
        back never runs code), with ``labels_`` brought to the client (n_samples integers) to
        be written. :func:`kmix.load` reads it back as a ``kmix.dask.KMeans`` whose
        ``labels_`` is a numpy array.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (overwritten if it exists).

        Returns
        -------
        path : str or os.PathLike
            ``path``, as given.

        See Also
        --------
        kmix.load : Read a model file.

        Examples
        --------
        >>> import os
        >>> import tempfile
        >>> import numpy as np
        >>> import dask
        >>> import kmix
        >>> from kmix.dask import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]], dtype=float)
        >>> with tempfile.TemporaryDirectory() as tmp, dask.config.set(scheduler="synchronous"):
        ...     km = KMeans(n_clusters=2, random_state=0).fit(X)
        ...     path = km.save(os.path.join(tmp, "model.kmix"))
        ...     loaded = kmix.load(path)
        >>> type(loaded)
        <class 'kmix.dask.KMeans'>
        >>> loaded.labels_
        array([1, 1, 1, 0, 0, 0], dtype=int32)
        """
        labels = getattr(self, "labels_", None)
        if not isinstance(labels, da.Array):
            return super().save(path)
        self.labels_ = np.asarray(labels.compute())
        try:
            return super().save(path)
        finally:
            self.labels_ = labels

    def score(
        self,
        X: da.Array | ArrayLike | SparseMatrix,
        y: object = None,
        sample_weight: da.Array | ArrayLike | None = None,
    ) -> float:
        """Opposite of the value of X on the k-means objective: minus the (weighted) inertia.

        Parameters
        ----------
        X : dask array, array-like or sparse matrix of shape (n_samples, n_features)
            The rows to score: a dask array (dense or scipy.sparse chunks; computed now, a
            float comes back), or data in memory.
        y : Ignored
            Not used, present for scikit-learn's API consistency.
        sample_weight : dask array or array-like of shape (n_samples,), default=None
            The weight of each row. None: every row weighs 1.

        Returns
        -------
        score : float
            Minus the sum of the (weighted) squared distances of the rows of X to their
            nearest center.

        See Also
        --------
        KMeans.predict : The index of the nearest center.

        Examples
        --------
        >>> import numpy as np
        >>> import dask
        >>> import dask.array as da
        >>> from kmix.dask import KMeans
        >>> X = da.from_array(np.array([[1, 2], [1, 4], [1, 0],
        ...                             [10, 2], [10, 4], [10, 0]], dtype=float), chunks=(3, 2))
        >>> with dask.config.set(scheduler="synchronous"):
        ...     km = KMeans(n_clusters=2, random_state=0).fit(X)
        ...     score = km.score(X)
        >>> round(score, 2)
        -16.0
        """
        if isinstance(X, da.Array):
            X = _as_dask(X)
            sw, ew = _weights_for(sample_weight, X)
            model = self._in_memory(X)  # checks
            parts = [dask.delayed(_score_chunk)(x, w, model) for _, _, x, w in _blocks(X, sw)]
            return float(_scale.scale_back(dask.compute(_tree(parts, _add))[0][0], ew, "the score"))
        return super().score(X, sample_weight=sample_weight)


def _score_chunk(Xc, w, model):
    """A chunk's part of KMeans.score (minus its inertia), by the in-memory estimator."""
    return (model.score(Xc, sample_weight=None if w is None else np.asarray(w)),)


def _average_centers(sums, weights, centers):
    """The Lloyd update of kmix.KMeans (scikit-learn's averaging and its rule for clusters left
    empty): (new centers, squared shift) from the summed statistics."""
    r = _core.average_centers(c_array(sums), c_array(weights), c_array(centers))
    return r["centers"], r["shift"]


# ---- GaussianMixture -------------------------------------------------------------------------
def _gmm_chunk(block, w, dtype, ct, weights, means, prec_chol, shift, about, labels, k, n_threads):
    """A chunk's EM statistics; with labels (the chunk's k-means labels), the statistics of
    one-hot responsibilities instead of the model's."""
    X = c_array(block, dtype=dtype)  # values checked by the first pass (_moments)
    w = None if w is None else c_array(w, dtype=dtype)
    resp = None
    if labels is not None:  # a label of -1 leaves the row out (random_from_data)
        labels = np.asarray(labels)
        rows = np.flatnonzero(labels >= 0)
        resp = np.zeros((X.shape[0], k))
        resp[rows, labels[rows]] = 1.0
    return (
        _core.gmm_pass_stats(
            X,
            w,
            ct,
            c_array(weights),
            c_array(means),
            c_array(prec_chol),
            c_array(shift),
            c_array(about),
            resp,
            effective_n_threads(n_threads),
        ),
    )


_GMM_SPARSE = (
    "X has scipy.sparse chunks; kmix.dask.GaussianMixture needs dense chunks (as kmix.GaussianMixture "
    "needs a dense array)"
)


class GaussianMixture(_mixture.GaussianMixture):
    """Gaussian mixture fitted by EM on a dask array whose rows are in chunks.

    ``kmix.GaussianMixture`` (scikit-learn's ``GaussianMixture``) for data that lives on a Dask
    cluster: every EM iteration sends the current parameters to the chunks, computes each
    chunk's sufficient statistics there with kmix's C++ kernels (N_k, the weighted sums of the
    rows and their second moments, the log-likelihood), adds them up in a fixed binary tree in
    chunk order and runs the M-step on the client; the data never leaves the workers. Or, with
    ``fit(X, method="online")``, one pass of online EM over the chunks, one chunk in memory at a
    time. The parameters, attributes and methods are ``kmix.GaussianMixture``'s.

    Parameters
    ----------
    n_components : int, default=1
        The number of mixture components, at least 1 and at most n_samples.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        The form of the covariances: "full", each component its own full covariance matrix;
        "tied", one full matrix shared by all components; "diag", each component its own
        diagonal matrix; "spherical", each component its own single variance.
    tol : float, default=1e-3
        EM stops when the lower bound (the mean log-likelihood) changes by less than ``tol``
        from one iteration to the next.
    reg_covar : float, default=1e-6
        Non-negative value added to the diagonal of every covariance, keeping them positive
        definite.
    max_iter : int, default=100
        The maximum number of EM iterations of a run, each one pass over the chunks (0: the
        initialization only).
    n_init : int, default=1
        The number of initializations to run; the run with the highest lower bound is kept.
    init_params : {"kmeans", "random_from_data", "k-means++", "random"}, default="kmeans"
        How the starting responsibilities are made (unless ``weights_init``, ``means_init`` and
        ``precisions_init`` are all given). "kmeans": the labels of a ``kmix.dask.KMeans`` fit
        (k-means||, one run) as one-hot responsibilities. "random_from_data": n_components rows
        drawn without replacement, each the only member of its component. "k-means++" and
        "random" need per-row draws in the order of the whole data set and raise ValueError
        here (use them with ``kmix.GaussianMixture``, or give the three ``*_init`` arrays).
    weights_init : array-like of shape (n_components,), default=None
        The starting weights (in [0, 1], summing to 1). None: from ``init_params``.
    means_init : array-like of shape (n_components, n_features), default=None
        The starting means. None: from ``init_params``.
    precisions_init : array-like, default=None
        The starting precisions (inverse covariances), of shape (n_components, n_features,
        n_features) for "full", (n_features, n_features) for "tied", (n_components, n_features)
        for "diag" and (n_components,) for "spherical"; symmetric positive definite (positive
        for "diag" and "spherical"). None: from ``init_params``.
    random_state : int, RandomState instance or None, default=None
        The random draws of the initialization ("kmeans", "random_from_data"): an int for
        reproducible results, a numpy RandomState, or None for numpy's global random state.
    warm_start : bool, default=False
        When True and the estimator is fitted, a fit starts from the fitted parameters (one
        run, no initialization); ``fit(X, method="online")`` continues from them.
    verbose : int, default=0
        When nonzero, EM prints a line every ``verbose_interval`` iterations: the iteration's
        number and the lower bound.
    verbose_interval : int, default=10
        The number of iterations between printed lines (as in ``kmix.GaussianMixture``).
    n_threads : int or None, default=None
        OpenMP threads of each chunk's kernel, resolved on the worker that runs it. None: that
        worker's OpenMP default (Dask sets ``OMP_NUM_THREADS`` to the worker's thread count); a
        negative value counts back from the number of CPUs (-1: all of them). Results do not
        depend on it.
    learning_decay : float, default=0.7
        Used by ``fit(X, method="online")`` only: the step-size exponent κ in (0.5, 1] of
        online EM. Step t (t = 0, 1, ...) blends the chunk's sufficient statistics into the
        running ones with weight (t + 2)^-κ, except the first step, which takes the first
        chunk's alone.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        The weight of each component.
    means_ : ndarray of shape (n_components, n_features)
        The mean of each component.
    covariances_ : ndarray
        The covariance of each component, of shape (n_components, n_features, n_features) for
        "full", (n_features, n_features) for "tied", (n_components, n_features) for "diag" and
        (n_components,) for "spherical".
    precisions_ : ndarray
        The precision matrices (inverses of the covariances), shaped as ``covariances_``.
    precisions_cholesky_ : ndarray
        The Cholesky factors of the precision matrices, shaped as ``covariances_``.
    converged_ : bool
        Whether the run kept converged (reached ``tol`` before ``max_iter``); always False after
        ``method="online"``.
    n_iter_ : int
        The number of EM iterations of the run kept; after ``method="online"``, the number of
        chunks used.
    lower_bound_ : float
        The lower bound of the run kept: the (weighted) mean log-likelihood of X at the last
        iteration; after ``method="online"``, that of the last chunk before its step.
    lower_bounds_ : list of float
        The lower bound at each iteration of the run kept.
    n_features_in_ : int
        The number of features of the X seen by ``fit``.

    See Also
    --------
    kmix.GaussianMixture : The same estimator for data in memory.
    KMeans : K-means on a dask array.

    Notes
    -----
    With the same initialization (``weights_init``, ``means_init`` and ``precisions_init``)
    the result equals ``kmix.GaussianMixture``'s to rounding (rtol 1e-7 for the parameters),
    whatever the chunking and the number of workers: the partial sums are float64 and combined
    in chunk order. The fitted arrays are in X's float dtype (float32 or float64; integer X
    gives float64). A NaN or an infinity raises ValueError naming its chunk. Chunks must be
    dense: scipy.sparse chunks raise TypeError, as ``kmix.GaussianMixture`` refuses sparse X.
    ``predict``, ``predict_proba`` and ``score_samples`` of a dask array are lazy dask arrays.

    Runs on whatever Dask scheduler is active: a ``distributed.Client`` if one exists, else
    dask's local threads. Needs dask[array] and distributed (``pip install "kmix[dask]"``).

    Examples
    --------
    >>> import numpy as np
    >>> import dask
    >>> import dask.array as da
    >>> from kmix.dask import GaussianMixture
    >>> X = da.from_array(np.array([[1, 2], [1, 4], [1, 0],
    ...                             [10, 2], [10, 4], [10, 0]], dtype=float), chunks=(3, 2))
    >>> with dask.config.set(scheduler="synchronous"):  # no cluster here: run in this thread
    ...     gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    ...     labels = gm.predict(X).compute()
    >>> np.round(gm.means_, 2)
    array([[10.,  2.],
           [ 1.,  2.]])
    >>> labels
    array([1, 1, 1, 0, 0, 0])
    >>> gm.predict(np.array([[0, 0], [12, 3]]))  # data in memory: a numpy answer
    array([1, 0])
    """

    _save_name = "dask.GaussianMixture"

    def fit(
        self: _DaskGaussianMixtureT,
        X: da.Array | ArrayLike,
        y: object = None,
        sample_weight: da.Array | ArrayLike | None = None,
        method: Literal["em", "online"] = "em",
    ) -> _DaskGaussianMixtureT:
        """Estimate the mixture's parameters from the rows of X.

        Parameters
        ----------
        X : dask array or array-like of shape (n_samples, n_features)
            The data: a dask array chunked by rows (chunks across the features are merged into
            one), with dense chunks of numbers (float32 is kept, other types become float64)
            and known chunk sizes; or an array in memory, which is made a dask array. At least
            2 rows; values must be finite.
        y : Ignored
            Not used, present for scikit-learn's API consistency.
        sample_weight : dask array or array-like of shape (n_samples,), default=None
            The weight of each row (non-negative, with a positive sum); a dask array is
            rechunked like X's rows. None: every row weighs 1.
        method : {"em", "online"}, default="em"
            "em": EM to convergence (``tol``, ``max_iter``), one pass over the chunks per
            iteration, ``n_init`` runs. "online": one pass over the chunks in row order, each
            chunk a batch of ``kmix.GaussianMixture.partial_fit`` (online EM, step size
            (t + 2)^-learning_decay): the first chunk initializes (with any ``init_params``),
            one chunk is in memory at a time, chunks of zero total weight are skipped, and
            ``n_iter_`` is the number of chunks used. The same as calling ``partial_fit`` on
            the chunks in order; for data too large for several EM passes.

        Returns
        -------
        self : GaussianMixture
            The fitted estimator.

        See Also
        --------
        GaussianMixture.fit_predict : Fit, then return the most probable component of each row.

        Examples
        --------
        >>> import numpy as np
        >>> import dask
        >>> import dask.array as da
        >>> from kmix.dask import GaussianMixture
        >>> X = da.from_array(np.array([[1, 2], [1, 4], [1, 0],
        ...                             [10, 2], [10, 4], [10, 0]], dtype=float), chunks=(3, 2))
        >>> with dask.config.set(scheduler="synchronous"):
        ...     gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        >>> gm.converged_, gm.means_.shape
        (True, (2, 2))

        Online EM, one pass over the chunks (here 4 chunks of 50 rows):

        >>> rng = np.random.RandomState(0)
        >>> Y = da.from_array(np.concatenate([rng.normal(center, 0.5, size=(100, 2))
        ...                                   for center in ([0, 0], [5, 5])]), chunks=(50, 2))
        >>> with dask.config.set(scheduler="synchronous"):
        ...     gm = GaussianMixture(n_components=2, random_state=0).fit(Y, method="online")
        >>> gm.n_iter_
        4
        """
        if method == "online":
            return self._fit_online(X, sample_weight)
        if method != "em":
            raise ValueError(f"method must be 'em' or 'online'; got {method!r}")
        self._fit(X, sample_weight)
        return self

    def _fit_online(self, X, sample_weight):
        validate_params(self)
        X = _as_dask(X)
        if _is_sparse(X):
            raise TypeError(_GMM_SPARSE)
        sw, _ = _weights_for(sample_weight, X)
        # The steps run on an in-memory model with the same parameters (from this model's
        # parameters with warm_start), copied back at the end: a failure leaves this one as it was.
        if self.warm_start and hasattr(self, "converged_"):
            model = self._in_memory(X).set_params(**self.get_params())  # (checks X's features)
        else:
            model = _mixture.GaussianMixture(**self.get_params())
        steps = 0
        for index, first, x, w in _blocks(X, sw):
            block, weights = dask.compute(x, w)
            block = _checked(block, index, first, X.dtype)
            if weights is not None and not np.sum(weights, dtype=np.float64) > 0:
                continue
            model.partial_fit(block, sample_weight=weights)
            steps += 1
        if steps == 0:
            raise ValueError("sample_weight must have a positive sum; all weights are zero")
        self.__dict__.pop("_online", None)
        for name in _mixture.GaussianMixture._fitted_attributes + ("_online",):
            setattr(self, name, getattr(model, name))
        return self

    # predict, predict_proba, score_samples and fit_predict: lazy for a dask array X, numpy otherwise.
    def fit_predict(
        self, X: da.Array | ArrayLike, y: object = None, sample_weight: da.Array | ArrayLike | None = None
    ) -> da.Array | NDArray[Any]:
        """Estimate the mixture's parameters, then return the most probable component of each row.

        Parameters
        ----------
        X : dask array or array-like of shape (n_samples, n_features)
            The data, as in :meth:`fit`.
        y : Ignored
            Not used, present for scikit-learn's API consistency.
        sample_weight : dask array or array-like of shape (n_samples,), default=None
            The weight of each row, as in :meth:`fit`. None: every row weighs 1.

        Returns
        -------
        labels : dask array or ndarray of shape (n_samples,)
            The index of each row's most probable component under the fitted mixture: a lazy
            dask array for a dask array X, a numpy array for data in memory.

        See Also
        --------
        GaussianMixture.predict : The components of new rows.

        Examples
        --------
        >>> import numpy as np
        >>> import dask
        >>> from kmix.dask import GaussianMixture
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]], dtype=float)
        >>> with dask.config.set(scheduler="synchronous"):
        ...     labels = GaussianMixture(n_components=2, random_state=0).fit_predict(X)
        >>> labels
        array([1, 1, 1, 0, 0, 0])
        """
        labels = self.fit(X, sample_weight=sample_weight).predict(_as_dask(X))  # (a dask array's: lazy)
        return labels if isinstance(X, da.Array) else labels.compute()  # type: ignore[union-attr]

    def _fit(self, X, sample_weight):
        validate_params(self)
        self.__dict__.pop("_online", None)  # partial_fit (batches in memory) starts again after a fit
        X = _as_dask(X)
        if _is_sparse(X):
            raise TypeError(_GMM_SPARSE)
        if X.shape[0] < 2:
            raise ValueError(f"X has {X.shape[0]} sample(s); at least 2 are needed")
        k, weights_init, means_init, precisions_init = self._check_params(X)
        sw, _ = _weights_for(sample_weight, X)  # weights are ratios here
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        if not do_init and self.means_.shape[1] != X.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, but the warm start model has {self.means_.shape[1]}")
        if (
            do_init
            and self.init_params in ("k-means++", "random")
            and (weights_init is None or means_init is None or precisions_init is None)
        ):
            raise ValueError(
                f"init_params={self.init_params!r} is not available in kmix.dask.GaussianMixture: "
                "use 'kmeans' or 'random_from_data', or give weights_init, means_init and precisions_init"
            )
        X, sw = _persisted(X, sw)
        n_threads = self.n_threads  # resolved where each chunk runs
        shift, _, maxabs, wmax, sparse = _moments(X, sw)
        if sparse:  # chunks whose dask meta did not say so
            raise TypeError(_GMM_SPARSE)
        _scale.check_gmm_magnitude(float(maxabs.max()), X.dtype)
        if wmax > 0:  # weights enter only as ratios: scaled to order one, exactly (see _scale)
            sw = _scaled(sw, -math.frexp(wmax)[1]).persist()
        floor = (64 * np.finfo(np.float64).eps * maxabs) ** 2
        blocks = _blocks(X, sw)
        rs = check_random_state(self.random_state)
        best, best_bound = None, -np.inf
        for _ in range(self.n_init if do_init else 1):
            if do_init:
                params = self._dask_initial(
                    X, sw, blocks, shift, floor, rs, n_threads, k, weights_init, means_init, precisions_init
                )
                bound0 = -np.inf
            else:
                params = tuple(
                    c_array(a, dtype=np.float64)
                    for a in (self.weights_, self.means_, self.covariances_, self.precisions_cholesky_)
                )
                bound0 = self.lower_bound_
            if self.max_iter == 0:
                best = (params, 0, False, bound0, [])
                continue
            run = self._em(blocks, X.dtype, params, shift, floor, bound0, n_threads)
            if run[3] > best_bound or best_bound == -np.inf:
                best, best_bound = run, run[3]
        params, n_iter, converged, _, bounds = best
        self._store_fit(params, n_iter, converged, best_bound, bounds, X)
        return X

    def _stats(self, blocks, dtype, ct, params, shift, about, labels=None, n_threads=1):
        weights, means, _, prec_chol = params
        k = len(weights)
        labels = labels if labels is not None else [None] * len(blocks)
        parts = [
            dask.delayed(_gmm_chunk)(x, w, dtype, ct, weights, means, prec_chol, shift, about, lab, k, n_threads)
            for (_, _, x, w), lab in zip(blocks, labels)
        ]
        return dask.compute(_tree(parts, _add))[0][0]

    def _em(self, blocks, dtype, params, shift, floor, bound0, n_threads):
        """EM as kmix.GaussianMixture runs it (gmm_driver.cpp), each pass summed over chunks."""
        ct, k = _mixture._COV_TYPES[self.covariance_type], len(params[0])
        d = len(shift)
        bound, bounds, converged, n_iter = bound0, [], False, 0
        for it in range(1, self.max_iter + 1):
            previous = bound
            about = c_array(params[1] - shift)
            st = self._stats(blocks, dtype, ct, params, shift, about, n_threads=n_threads)
            bound = st[1] / st[0]
            bounds.append(bound)
            n_iter = it
            params = _mixture._params_of(
                _core.gmm_m_step(
                    c_array(st), ct, k, d, about, c_array(shift), c_array(floor), float(self.reg_covar), False
                )
            )
            if self.verbose and it % self.verbose_interval == 0:
                print(f"  Iteration {it}\t lower bound {bound:.6f}")
            if abs(bound - previous) < self.tol:
                converged = True
                break
        return params, n_iter, converged, bound, bounds

    def _dask_initial(self, X, sw, blocks, shift, floor, rs, n_threads, k, weights_init, means_init, precisions_init):
        """(weights, means, covariances, prec_chol) as kmix.GaussianMixture initializes them."""
        ct = self.covariance_type
        code, d = _mixture._COV_TYPES[ct], X.shape[1]
        weights = means = covariances = prec_chol = None
        if weights_init is None or means_init is None or precisions_init is None:
            if self.init_params == "kmeans":
                km = KMeans(n_clusters=k, n_init=1, random_state=rs, n_threads=self.n_threads).fit(X, sample_weight=sw)
                labels = km.labels_.to_delayed().ravel()
            else:  # random_from_data: one-hot on k rows drawn without replacement
                picked = rs.choice(X.shape[0], size=k, replace=False)
                labels = [dask.delayed(_labels_for_rows)(x, first, picked) for _, first, x, _ in blocks]
            dummy = (np.ones(k) / k, np.zeros((k, d)), None, np.ones(_mixture._cov_shape(ct, k, d)))
            zero = np.zeros((k, d))
            st = self._stats(blocks, X.dtype, code, dummy, shift, zero, labels, n_threads)
            about = st[2 + k : 2 + k + k * d].reshape(k, d) / (st[2 : 2 + k, None] + 10 * np.finfo(np.float64).eps)
            about = c_array(about)
            st = self._stats(blocks, X.dtype, code, dummy, shift, about, labels, n_threads)
            weights, means, covariances, prec_chol = _mixture._params_of(
                _core.gmm_m_step(
                    c_array(st), code, k, d, about, c_array(shift), c_array(floor), float(self.reg_covar), True
                )
            )
        return self._with_given_inits(
            (weights, means, covariances, prec_chol), weights_init, means_init, precisions_init
        )

    # ---- using the model: lazy on dask arrays ----------------------------------------------
    def _in_memory(self, X):
        """An in-memory kmix.GaussianMixture with the fitted parameters (what each chunk's task
        carries), after checking that the model is fitted and X has its number of features."""
        self._check_fitted()
        if X.shape[1] != self.means_.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.means_.shape[1]} features as input"
            )
        model = _mixture.GaussianMixture(
            self.n_components, covariance_type=self.covariance_type, n_threads=self.n_threads
        )
        for name in (
            "weights_",
            "means_",
            "covariances_",
            "precisions_cholesky_",
            "precisions_",
            "converged_",
            "n_iter_",
            "lower_bound_",
            "n_features_in_",
        ):
            setattr(model, name, getattr(self, name))
        return model

    def predict(self, X: da.Array | ArrayLike) -> da.Array | NDArray[Any]:
        """Predict the most probable component of each row of X.

        Parameters
        ----------
        X : dask array or array-like of shape (n_samples, n_features)
            The rows to label: a dask array (dense chunks), or an array in memory.

        Returns
        -------
        labels : dask array or ndarray of shape (n_samples,)
            The index of each row's most probable component: a lazy dask array chunked like
            X's rows for a dask array X (call ``.compute()``), a numpy array for data in memory
            (as ``kmix.GaussianMixture.predict``).

        See Also
        --------
        GaussianMixture.predict_proba : The probability of each component.

        Examples
        --------
        >>> import numpy as np
        >>> import dask
        >>> import dask.array as da
        >>> from kmix.dask import GaussianMixture
        >>> X = da.from_array(np.array([[1, 2], [1, 4], [1, 0],
        ...                             [10, 2], [10, 4], [10, 0]], dtype=float), chunks=(3, 2))
        >>> with dask.config.set(scheduler="synchronous"):
        ...     gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        ...     lazy = gm.predict(X)
        ...     labels = lazy.compute()
        >>> type(lazy).__name__, labels
        ('Array', array([1, 1, 1, 0, 0, 0]))
        """
        if isinstance(X, da.Array):
            X = _as_dask(X)
            return X.map_blocks(self._in_memory(X).predict, dtype=np.intp, drop_axis=1)
        return super().predict(X)

    def predict_proba(self, X: da.Array | ArrayLike) -> da.Array | NDArray[Any]:
        """Predict the posterior probability of each component for each row of X.

        Parameters
        ----------
        X : dask array or array-like of shape (n_samples, n_features)
            The rows: a dask array (dense chunks), or an array in memory.

        Returns
        -------
        resp : dask array or ndarray of shape (n_samples, n_components)
            The responsibilities (each row sums to 1), in the fitted parameters' dtype: a lazy
            dask array chunked like X's rows for a dask array X, a numpy array for data in
            memory.

        See Also
        --------
        GaussianMixture.predict : The most probable component.

        Examples
        --------
        >>> import numpy as np
        >>> import dask
        >>> import dask.array as da
        >>> from kmix.dask import GaussianMixture
        >>> X = da.from_array(np.array([[1, 2], [1, 4], [1, 0],
        ...                             [10, 2], [10, 4], [10, 0]], dtype=float), chunks=(3, 2))
        >>> with dask.config.set(scheduler="synchronous"):
        ...     gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        ...     resp = gm.predict_proba(X).compute()
        >>> np.round(resp, 2)
        array([[0., 1.],
               [0., 1.],
               [0., 1.],
               [1., 0.],
               [1., 0.],
               [1., 0.]])
        """
        if isinstance(X, da.Array):
            X = _as_dask(X)
            return X.map_blocks(
                self._in_memory(X).predict_proba, dtype=self.means_.dtype, chunks=(X.chunks[0], (self.means_.shape[0],))
            )
        return super().predict_proba(X)

    def score_samples(self, X: da.Array | ArrayLike) -> da.Array | NDArray[Any]:
        """Compute the log-likelihood of each row of X under the mixture.

        Parameters
        ----------
        X : dask array or array-like of shape (n_samples, n_features)
            The rows: a dask array (dense chunks), or an array in memory.

        Returns
        -------
        log_prob : dask array or ndarray of shape (n_samples,)
            log p(x) of each row, in the fitted parameters' dtype: a lazy dask array chunked
            like X's rows for a dask array X, a numpy array for data in memory.

        See Also
        --------
        GaussianMixture.score : The mean log-likelihood.

        Examples
        --------
        >>> import numpy as np
        >>> import dask
        >>> import dask.array as da
        >>> from kmix.dask import GaussianMixture
        >>> X = da.from_array(np.array([[1, 2], [1, 4], [1, 0],
        ...                             [10, 2], [10, 4], [10, 0]], dtype=float), chunks=(3, 2))
        >>> with dask.config.set(scheduler="synchronous"):
        ...     gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        ...     log_prob = gm.score_samples(X).compute()
        >>> log_prob.shape
        (6,)
        """
        if isinstance(X, da.Array):
            X = _as_dask(X)
            return X.map_blocks(self._in_memory(X).score_samples, dtype=self.means_.dtype, drop_axis=1)
        return super().score_samples(X)

    def score(
        self, X: da.Array | ArrayLike, y: object = None, sample_weight: da.Array | ArrayLike | None = None
    ) -> float:
        """Compute the mean log-likelihood of the rows of X under the mixture.

        Parameters
        ----------
        X : dask array or array-like of shape (n_samples, n_features)
            The rows: a dask array (dense chunks; computed now, a float comes back), or an
            array in memory.
        y : Ignored
            Not used, present for scikit-learn's API consistency.
        sample_weight : dask array or array-like of shape (n_samples,), default=None
            The weight of each row in the mean. None: every row weighs 1.

        Returns
        -------
        score : float
            The (weighted) mean of log p(x) over the rows of X, in float64.

        See Also
        --------
        GaussianMixture.score_samples : The log-likelihood of each row.

        Examples
        --------
        >>> import numpy as np
        >>> import dask
        >>> import dask.array as da
        >>> from kmix.dask import GaussianMixture
        >>> X = da.from_array(np.array([[1, 2], [1, 4], [1, 0],
        ...                             [10, 2], [10, 4], [10, 0]], dtype=float), chunks=(3, 2))
        >>> with dask.config.set(scheduler="synchronous"):
        ...     gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        ...     score = gm.score(X)
        >>> round(score, 2)
        3.39
        """
        if isinstance(X, da.Array):
            lpn = self.score_samples(X).astype(np.float64)
            if sample_weight is None:
                return float(lpn.mean().compute())
            sw = _weights_for(sample_weight, _as_dask(X))[0].astype(np.float64)
            return float((da.dot(sw, lpn) / sw.sum()).compute())
        return super().score(X, sample_weight=sample_weight)


def _labels_for_rows(block, first, picked):
    """k-means-like labels of a chunk for random_from_data: row picked[c] gets c; others get none."""
    labels = np.full(block.shape[0], -1)
    for c, row in enumerate(picked):
        if first <= row < first + block.shape[0]:
            labels[row - first] = c
    return labels
