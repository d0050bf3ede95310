"""kmix.SphericalKMeans: k-means by direction (cosine similarity), dense or sparse.

Dhillon & Modha (2001): the rows are scaled to unit length; each step assigns every row to the
center of largest cosine similarity and sets each center to the normalized (weighted) mean of its
rows; the objective is Σ w·(1 − cos). For unit rows and unit centers ‖x − c‖² = 2·(1 − x·c), so
the nearest center in Euclidean distance is the most similar one: each step is one pass of
KMeans's Lloyd kernels (dense tiles or the sparse kernel: labels, the clusters' weighted sums
and weights), and what is left (normalizing k sums, the shift) is O(k·d). Seeding is KMeans's
k-means++ on the unit rows, whose D² weights ‖x − c‖² are twice the cosine distance: the same
draws as k-means++ with 1 − cos.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import _core, _sparse
from ._validation import as_float_array, check_random_state, check_sample_weight, validate_params
from ._base import feature_names_of
from ._threads import effective_n_threads
from .kmeans import KMeans, _csr_args, _mean_variance, _rows, _seed_kmeans_plusplus, _warn_if_fewer_clusters
from .minibatch import MiniBatchKMeans, _take

if TYPE_CHECKING:
    from typing import Any, Callable, Literal, TypeVar

    from numpy.typing import ArrayLike, NDArray

    from ._sparse import SparseMatrix

    _SphericalKMeansT = TypeVar("_SphericalKMeansT", bound="SphericalKMeans")


def normalize_rows(X, name="X"):
    """X (an array or a Csr) with every row scaled to unit Euclidean norm, in X's dtype. The
    squared norms are summed in float64; a row whose sum under- or overflows (values near 1e-160
    or 1e155) is measured again divided by its largest |value|. A zero row is a ValueError naming
    it."""
    sparse = isinstance(X, _sparse.Csr)
    n = X.shape[0]
    # The sums of squares in X's dtype (float32 sums of float32 rows are exact to ~1e-7, what
    # a float32 unit row can hold), then in float64; the range they are trusted in is the dtype's.
    tiny, huge = (1e-290, 1e290) if X.dtype == np.float64 else (1e-30, 1e30)
    with np.errstate(over="ignore", under="ignore"):  # such rows are measured again below
        if sparse:
            rows = np.repeat(np.arange(n), np.diff(X.indptr))
            data = X.data.astype(np.float64)
            sq = np.bincount(rows, data * data, minlength=n)
        else:
            sq = np.einsum("ij,ij->i", X, X).astype(np.float64)
    good = (sq > tiny) & (sq < huge)
    bad = np.flatnonzero(~good)
    # Rows out of that range are scaled by their largest |value| first (the norm itself may not
    # be representable, nor its inverse).
    fixed = {}
    for i in bad:
        v = data[X.indptr[i]:X.indptr[i + 1]] if sparse else X[i].astype(np.float64)
        top = np.abs(v).max() if v.size else 0.0
        if top > 0:
            u = v / top
            fixed[i] = u / np.sqrt(np.sum(u * u))
    zero = [i for i in bad if i not in fixed]
    if zero:
        raise ValueError(f"{name} has {len(zero)} row(s) of zero norm (the first is row {zero[0]}); a direction "
                         "needs a nonzero row: drop them (for text, documents with no term left)")
    with np.errstate(divide="ignore", over="ignore"):
        inv = np.where(good, 1.0 / np.sqrt(sq), 0.0)
    if sparse:
        out = data * inv[rows]
        for i, u in fixed.items():
            out[X.indptr[i]:X.indptr[i + 1]] = u
        return X._replace(data=out.astype(X.dtype))
    out = np.multiply(X, inv.astype(X.dtype)[:, None], dtype=X.dtype)
    for i, u in fixed.items():
        out[i] = u
    return out


def _normalized_centers(C, name):
    """The rows of C scaled to unit length (float64 norms); a zero row is a ValueError."""
    C64 = C.astype(np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", C64, C64))
    if not (norms > 0).all():
        raise ValueError(f"{name} has a row of zero norm (row {int(np.flatnonzero(~(norms > 0))[0])}); every "
                         "center needs a direction")
    return np.ascontiguousarray(C64 / norms[:, None], dtype=C.dtype)


def _similarities_to_own(X, C, labels):
    """x_i · c_{labels_i} for every row (float64)."""
    if isinstance(X, _sparse.Csr):
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        prod = X.data.astype(np.float64) * C[labels[rows], X.indices]
        return np.bincount(rows, prod, minlength=X.shape[0])
    return np.einsum("ij,ij->i", X, C[labels], dtype=np.float64)


class _Spherical:
    """What SphericalKMeans and MiniBatchSphericalKMeans add to their k-means classes: unit rows
    in, unit centers (init arrays and callables' results normalized), cosine predict, transform
    and score."""

    _inertia_factor = 0.5  # Σ w‖x − c‖² = 2·Σ w(1 − cos) for unit rows and centers

    if TYPE_CHECKING:  # what the k-means classes this mixin comes before have
        n_threads: int | None
        cluster_centers_: NDArray[Any]

        def _wrap_output(self, out: NDArray[Any], X: Any) -> Any: ...

    @staticmethod
    def _input(X, dtype=None):
        """(X with unit rows, 1.0): an array or scipy.sparse X checked (as a Csr if sparse)."""
        if _sparse.is_sparse(X):
            return normalize_rows(_sparse.as_csr(X, "X", dtype=dtype)), 1.0
        return normalize_rows(as_float_array(X, "X", dtype=dtype)), 1.0

    @staticmethod
    def _project(centers):
        """Each center scaled to unit length in place (one whose norm is zero is left as it is)."""
        norms = np.sqrt(np.einsum("ij,ij->i", centers, centers, dtype=np.float64))
        ok = norms > 0
        centers[ok] = (centers[ok] / norms[ok][:, None]).astype(centers.dtype)

    @staticmethod
    def _labels_inertia(X, sw, C, n_threads):
        """(labels as predict gives them, Σ w‖x − c‖² = 2·Σ w(1 − cos)) on the unit centers C."""
        objective, labels = _objective(X, sw, C, n_threads)
        return labels, 2.0 * objective

    def _check_centers(self, centers, X, name):
        return _normalized_centers(super()._check_centers(centers, X, name), name)

    def _check_test_data(self, X, with_abs_max=False):
        """X checked against the fit (features, names), with unit rows."""
        self._check_fitted()
        self._check_feature_names(X)
        X, largest = self._input(X, dtype=self.cluster_centers_.dtype)
        if X.shape[1] != self.cluster_centers_.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.cluster_centers_.shape[1]} features as input")
        return (X, largest) if with_abs_max else X

    def predict(self, X: ArrayLike | SparseMatrix) -> NDArray[Any]:
        """Index of the most similar center (largest cosine similarity) for each row of X."""
        X = self._check_test_data(X)
        return _assign_unit(X, self.cluster_centers_, effective_n_threads(self.n_threads))

    # transform's result: an array, or a pandas or polars data frame after set_output (hence Any).
    def transform(self, X: ArrayLike | SparseMatrix) -> Any:
        """Cosine distance 1 − cos(x, c) of each row of X to each center, (n_samples, n_clusters),
        in [0, 2]: smaller is closer, as KMeans's distances."""
        X_in = X
        X = self._check_test_data(X)
        n_threads = effective_n_threads(self.n_threads)
        C = self.cluster_centers_
        sq = (_core.sparse_sq_distances(*_csr_args(X), C, n_threads) if isinstance(X, _sparse.Csr)
              else _core.sq_distances(X, C, n_threads))
        return self._wrap_output(np.clip(0.5 * sq, 0.0, 2.0).astype(C.dtype, copy=False), X_in)

    def score(self, X: ArrayLike | SparseMatrix, y: object = None, sample_weight: ArrayLike | None = None) -> float:
        """Opposite of the objective on X: −Σ w·(1 − cos(x, most similar center))."""
        X = self._check_test_data(X)
        sw, ew = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        n_threads = effective_n_threads(self.n_threads)
        return -float(np.ldexp(_objective(X, sw, self.cluster_centers_, n_threads)[0], ew))


class SphericalKMeans(_Spherical, KMeans):
    """Spherical (cosine) k-means, scikit-learn's KMeans API.

    Rows are scaled to unit length (a zero row raises ValueError naming it); each iteration
    assigns every row to the center of largest cosine similarity (a row orthogonal to every center,
    sharing no nonzero feature with any, goes to center 0; another exact tie goes to one of the
    tied centers, as the rounding of their norms decides) and
    sets each center to the normalized weighted mean of its rows (Dhillon & Modha 2001).
    Iterations stop when the sum of squared center shifts is at most ``tol`` times the mean
    per-feature variance of the normalized X, or after max_iter. A cluster left empty is given the
    row (of positive weight) least similar to its own center, as KMeans relocates to the farthest
    rows; a cluster whose rows' sum is the zero vector keeps its previous center.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"}, callable or array of shape (n_clusters, n_features)
        "k-means++" is greedy k-means++ with the cosine distance 1 − cos as the D² weight
        (2 + log k trials per center); arrays and a callable's result are normalized.
    n_init : "auto" or int, default="auto"
        "auto" is 1 for "k-means++" and arrays, 10 for "random" and callables; the run of lowest
        inertia wins.
    max_iter : int, default=300
    tol : float, default=1e-4
    verbose : int, default=0
    random_state : None, int or numpy RandomState
    n_threads : int or None, default=None

    Attributes
    ----------
    cluster_centers_ : array (n_clusters, n_features), unit rows
    labels_, n_iter_, n_features_in_
    inertia_ : float
        Σ w·(1 − cos(x, its center)) over the training rows.
    """

    _fitted_attributes = ("cluster_centers_", "labels_", "inertia_", "n_iter_", "n_features_in_")
    _parameter_constraints = {name: KMeans._parameter_constraints[name] for name in
                              ("n_clusters", "init", "n_init", "max_iter", "tol", "verbose", "random_state",
                               "n_threads")}

    def __init__(self, n_clusters: int = 8, *,
                 init: Literal["k-means++", "random"] | Callable[..., ArrayLike] | ArrayLike = "k-means++",
                 n_init: Literal["auto"] | int = "auto", max_iter: int = 300, tol: float = 1e-4, verbose: int = 0,
                 random_state: int | np.random.RandomState | None = None, n_threads: int | None = None) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self: _SphericalKMeansT, X: ArrayLike | SparseMatrix, y: object = None,
            sample_weight: ArrayLike | None = None) -> _SphericalKMeansT:
        """Cluster the rows of X (an array or a scipy.sparse matrix) by direction."""
        validate_params(self)
        names = None if _sparse.is_sparse(X) else feature_names_of(X)
        X, _ = self._input(X)
        sparse = isinstance(X, _sparse.Csr)
        k, kind, n_init = self._check_params(X)
        n_threads = effective_n_threads(self.n_threads)
        rs = check_random_state(self.random_state)
        sw, ew = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        if kind == "random":
            self._check_random_draw(sw, k, X.dtype)
        init_array = self._check_centers(self.init, X, "init") if kind == "array" else None
        tol = (_sparse.mean_variance(X) if sparse else _mean_variance(X, n_threads)) * self.tol if self.tol else 0.0
        best = None
        for _ in range(n_init):
            centers0 = self._init_centroids(X, kind, init_array, sw, rs, n_threads)
            if self.verbose:
                print("Initialization complete")
            run = _spherical_lloyd(X, sw, centers0, self.max_iter, tol, n_threads, self.verbose)
            if best is None or run[2] < best[2]:
                best = run
        centers, labels, inertia, n_iter = best  # type: ignore[misc]  # (n_init >= 1: best is set)
        _warn_if_fewer_clusters(np.count_nonzero(np.bincount(labels, minlength=k)), k, stacklevel=3)
        self.cluster_centers_ = centers
        self._remember_centers_magnitude()
        self.labels_ = labels
        self.inertia_ = float(np.ldexp(inertia, ew))
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = X.shape[1]
        self._n_init = n_init
        self._set_feature_names(names)
        return self

class MiniBatchSphericalKMeans(_Spherical, MiniBatchKMeans):
    """Mini-batch spherical (cosine) k-means: MiniBatchKMeans's steps, batches, reassignment and
    early stopping (the same parameters) on the unit rows of X, each center scaled back to unit
    length after every step. A step moves each center to the normalized count-weighted mean of
    its previous position and the batch rows it receives (the normalized weighted mean of all
    rows seen, when nothing is forgotten), as the online spherical k-means of Zhong (2005) with
    MiniBatchKMeans's learning rate. ``partial_fit`` takes one batch; ``inertia_`` and ``score``
    are in the cosine objective Σ w·(1 − cos), ``transform`` gives cosine distances.
    """


def _orphans(X, C):
    """Rows orthogonal to every center because they share no nonzero feature with any of them
    (a short document and centers that are still single documents): a boolean mask, or None when
    there is none. Their similarity to every center is exactly 0, a tie the distance kernels would
    break by the rounding of the centers' norms; they go to center 0 (the lowest index on ties)."""
    support = (C != 0).any(axis=0)
    if support.all():
        return None  # a nonzero row meets some center's support
    if isinstance(X, _sparse.Csr):
        hits = np.add.reduceat(support[X.indices].astype(np.intp), X.indptr[:-1]) if X.nnz else np.zeros(X.shape[0])
        mask = hits == 0  # (every row has a nonzero: zero rows are refused)
    else:
        mask = ~(X[:, support] != 0).any(axis=1)
    return mask if mask.any() else None


def _assign_unit(X, C, n_threads):
    """The most similar unit center of each row of X (unit rows); center 0 for the rows that
    share no nonzero feature with any center."""
    labels = (_core.sparse_assign(*_csr_args(X), C, n_threads) if isinstance(X, _sparse.Csr)
              else _core.assign(X, C, n_threads))
    orphans = _orphans(X, C)
    if orphans is not None:
        labels[orphans] = 0
    return labels


def _pass(X, sw, C, n_threads):
    """One Lloyd pass (the k-means kernels): each cluster's weighted sum (k×d) and weight (k);
    rows orthogonal to every center counted in cluster 0 (see _orphans)."""
    orphans = _orphans(X, C)
    if orphans is not None:
        keep = np.flatnonzero(~orphans)
        lost = np.flatnonzero(orphans)
        if keep.size:
            sums, weights = _pass(_take(X, keep), None if sw is None else sw[keep], C, n_threads)
        else:
            sums, weights = np.zeros(C.shape), np.zeros(C.shape[0])
        w = np.ones(lost.size) if sw is None else sw[lost].astype(np.float64)
        if isinstance(X, _sparse.Csr):  # their weighted sum over their nonzeros only
            part = X.take_rows(lost)
            sums[0] += np.bincount(part.indices, part.data * np.repeat(w, np.diff(part.indptr)),
                                   minlength=X.shape[1])
        else:
            sums[0] += w @ X[lost].astype(np.float64)
        weights[0] += w.sum()
        return sums, weights
    if isinstance(X, _sparse.Csr):
        r = _core.sparse_lloyd_chunk(*_csr_args(X), sw, C, n_threads)
    else:
        r = _core.lloyd_chunk(X, sw, C, n_threads)
    return r["sums"], r["weights"]


def _objective(X, sw, C, n_threads):
    """(Σ w·(1 − x·c) with each row's most similar unit center c, the labels), from one
    assignment pass and the kernels' Σ w‖x − c‖² at those labels (= 2·Σ w(1 − x·c) for unit
    rows and centers, without the cancellation of 1 − x·c near 1)."""
    if isinstance(X, _sparse.Csr):
        r = _core.sparse_nearest(*_csr_args(X), sw, C, n_threads)
        labels, sq = r["labels"], r["inertia"]
    else:
        labels = _core.assign(X, C, n_threads)
        sq = _core.inertia(X, sw, C, labels, n_threads)
    orphans = _orphans(X, C)
    if orphans is not None:  # (their distance is the same to every center)
        labels[orphans] = 0
    return 0.5 * float(sq), labels


def _spherical_lloyd(X, sw, C, max_iter, tol, n_threads, verbose):
    """One run from the unit centers C: (centers, labels, inertia, n_iter)."""
    it = 0
    for it in range(1, max_iter + 1):
        sums, weights = _pass(X, sw, C, n_threads)
        if not (weights > 0).all():
            sums, weights = _relocate_empty(X, sw, C, sums, weights, n_threads)
        norms = np.sqrt(np.einsum("ij,ij->i", sums, sums))
        keep = ~(norms > 0)  # the rows' sum cancelled to zero: no direction, the center stays
        new = np.where(keep[:, None], C, sums / np.where(keep, 1.0, norms)[:, None]).astype(C.dtype)
        diff = new.astype(np.float64) - C
        shift = float(np.einsum("ij,ij->", diff, diff))
        if verbose:
            inertia = max(float(weights.sum()) - float(np.einsum("ij,ij->", sums, C.astype(np.float64))), 0.0)
            print(f"Iteration {it - 1}, inertia {inertia:.6g}, center shift {shift:.6g}.")
        C = new
        if shift <= tol:
            if verbose:
                print(f"Converged at iteration {it - 1}: center shift {shift:.6g} within tolerance {tol:.6g}.")
            break
    inertia, labels = _objective(X, sw, C, n_threads)
    return C, labels, inertia, it


def _relocate_empty(X, sw, C, sums, weights, n_threads):
    """Clusters of zero weight take the rows of positive weight least similar to their own
    centers (the lowest similarity first, ties by row index), one row each, removed from the
    clusters they were in."""
    empty = np.flatnonzero(~(weights > 0))
    labels = _assign_unit(X, C, n_threads)
    sim = _similarities_to_own(X, C, labels)
    if sw is not None:
        sim[~(sw > 0)] = np.inf  # rows of zero weight move nothing
    order = np.argsort(sim, kind="stable")[:empty.size]
    order = order[np.isfinite(sim[order])]
    sums, weights = sums.copy(), weights.copy()
    rows = _rows(X, order).astype(np.float64)
    for row, idx, target in zip(rows, order, empty):
        w = 1.0 if sw is None else float(sw[idx])
        sums[labels[idx]] -= w * row
        weights[labels[idx]] -= w
        sums[target] = w * row
        weights[target] = w
    return sums, weights


def spherical_kmeans_plusplus(X: ArrayLike | SparseMatrix, n_clusters: int, *, sample_weight: ArrayLike | None = None,
                              random_state: int | np.random.RandomState | None = None,
                              n_threads: int | None = None) -> tuple[NDArray[Any], NDArray[Any]]:
    """Greedy k-means++ with the cosine distance on the unit rows of X (array or sparse):
    (centers, indices), the centers unit rows."""
    X, _ = _Spherical._input(X)
    sw, _ = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    weights = sw if sw is not None else np.ones(X.shape[0], dtype=X.dtype)
    if n_clusters > X.shape[0]:
        raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={n_clusters}.")
    idx = _seed_kmeans_plusplus(X, n_clusters, weights, check_random_state(random_state),
                                effective_n_threads(n_threads))
    return _rows(X, idx), idx
