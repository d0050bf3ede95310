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
    """Scale every row of X to unit Euclidean norm.

    The helper the spherical estimators apply to their input: the squared norms are summed in
    float64; a row whose sum under- or overflows (values near 1e-160 or 1e155) is measured
    again divided by its largest ``|value|``, so rows of any magnitude are scaled correctly.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        A 2-D float32 or float64 array (or kmix's internal CSR form of a sparse matrix, as the
        estimators pass it), finite, with no row of zeros.
    name : str, default="X"
        The name the error message gives X.

    Returns
    -------
    X_unit : ndarray of shape (n_samples, n_features)
        A new array (or CSR form) with the rows of X divided by their norms, in X's dtype.

    Raises
    ------
    ValueError
        If X has a row of zero norm (it has no direction), naming the first such row.

    See Also
    --------
    kmix.SphericalKMeans : Spherical k-means, which clusters the unit rows.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix.spherical import normalize_rows
    >>> print(normalize_rows(np.array([[3.0, 4.0], [0.0, 2.0]])))
    [[0.6 0.8]
     [0.  1. ]]
    """
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
        v = data[X.indptr[i] : X.indptr[i + 1]] if sparse else X[i].astype(np.float64)
        top = np.abs(v).max() if v.size else 0.0
        if top > 0:
            u = v / top
            fixed[i] = u / np.sqrt(np.sum(u * u))
    zero = [i for i in bad if i not in fixed]
    if zero:
        raise ValueError(
            f"{name} has {len(zero)} row(s) of zero norm (the first is row {zero[0]}); a direction "
            "needs a nonzero row: drop them (for text, documents with no term left)"
        )
    with np.errstate(divide="ignore", over="ignore"):
        inv = np.where(good, 1.0 / np.sqrt(sq), 0.0)
    if sparse:
        out = data * inv[rows]
        for i, u in fixed.items():
            out[X.indptr[i] : X.indptr[i + 1]] = u
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
        raise ValueError(
            f"{name} has a row of zero norm (row {int(np.flatnonzero(~(norms > 0))[0])}); every "
            "center needs a direction"
        )
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
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.cluster_centers_.shape[1]} features as input"
            )
        return (X, largest) if with_abs_max else X

    def predict(self, X: ArrayLike | SparseMatrix) -> NDArray[Any]:
        """Predict the most similar center of each row of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to label, with the features seen by `fit`: a dense array or a scipy.sparse
            matrix or array (read as CSR, never densified), converted to the centers' dtype and
            scaled to unit length (a row of zeros raises ValueError).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the center of largest cosine similarity of each row; a row orthogonal to
            every center (sharing no nonzero feature with any) goes to center 0.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import SphericalKMeans
        >>> X = np.array([[5, 1], [5, -1], [2, 0],
        ...               [1, 5], [-1, 5], [0, 2]])
        >>> skm = SphericalKMeans(n_clusters=2, random_state=0).fit(X)
        >>> print(skm.predict([[3, 0], [0, 4], [2, 1]]))
        [1 0 1]
        """
        X = self._check_test_data(X)
        return _assign_unit(X, self.cluster_centers_, effective_n_threads(self.n_threads))

    # transform's result: an array, or a pandas or polars data frame after set_output (hence Any).
    def transform(self, X: ArrayLike | SparseMatrix) -> Any:
        """Transform X to a cluster-distance space: the cosine distances to the centers.

        The cosine distance 1 - cos(x, c) is in [0, 2], smaller where x points closer to c's
        direction, as KMeans's distances are smaller where a row is closer to a center.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to transform, with the features seen by `fit`: a dense array or a scipy.sparse
            matrix or array (read as CSR, never densified), converted to the centers' dtype and
            scaled to unit length (a row of zeros raises ValueError).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            Cosine distance of each row to each center, in the centers' dtype; a pandas or
            polars DataFrame instead after ``set_output(transform="pandas")`` or ``"polars"``.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import SphericalKMeans
        >>> X = np.array([[5, 1], [5, -1], [2, 0],
        ...               [1, 5], [-1, 5], [0, 2]])
        >>> skm = SphericalKMeans(n_clusters=2, random_state=0).fit(X)
        >>> print(np.round(skm.transform([[3, 0], [0, 4]]), 2))
        [[1. 0.]
         [0. 1.]]
        """
        X_in = X
        X = self._check_test_data(X)
        n_threads = effective_n_threads(self.n_threads)
        C = self.cluster_centers_
        sq = (
            _core.sparse_sq_distances(*_csr_args(X), C, n_threads)
            if isinstance(X, _sparse.Csr)
            else _core.sq_distances(X, C, n_threads)
        )
        return self._wrap_output(np.clip(0.5 * sq, 0.0, 2.0).astype(C.dtype, copy=False), X_in)

    def score(self, X: ArrayLike | SparseMatrix, y: object = None, sample_weight: ArrayLike | None = None) -> float:
        """Opposite of the value of X on the spherical k-means objective.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score, with the features seen by `fit`: a dense array or a scipy.sparse
            matrix or array (read as CSR, never densified), scaled to unit length (a row of
            zeros raises ValueError).
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight w of each row; None gives every row weight 1.

        Returns
        -------
        score : float
            Minus the sum of w * (1 - cos(x, c)) over the rows, c the row's most similar
            center: higher is better, 0 at best.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import SphericalKMeans
        >>> X = np.array([[5, 1], [5, -1], [2, 0],
        ...               [1, 5], [-1, 5], [0, 2]])
        >>> skm = SphericalKMeans(n_clusters=2, random_state=0).fit(X)
        >>> round(skm.score(X), 2)
        -0.08
        >>> round(skm.score([[3, 1], [0, 4]]), 2)
        -0.05
        """
        X = self._check_test_data(X)
        sw, ew = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        n_threads = effective_n_threads(self.n_threads)
        return -float(np.ldexp(_objective(X, sw, self.cluster_centers_, n_threads)[0], ew))


class SphericalKMeans(_Spherical, KMeans):
    """Spherical k-means: k-means by direction (cosine similarity), scikit-learn's KMeans API.

    Clusters the rows of X by their direction, for embeddings and TF-IDF rows (dense or
    scipy.sparse): the rows are scaled to unit length, each iteration assigns every row to the
    center of largest cosine similarity and sets each center to the normalized weighted mean of
    its rows (Dhillon & Modha 2001), and the objective is ``inertia_``, the sum of the cosine
    distances sum w * (1 - cos(x, c)) of the rows to their centers. scikit-learn has no such
    estimator; the API is `kmix.KMeans`'s, with cosine distances in `transform` and `score`.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form, which is also the number of (unit-length) centers to
        find: at least 1 and at most the number of rows of the X given to `fit`.

    init : {"k-means++", "random"}, callable or array-like of shape (n_clusters, n_features), default="k-means++"
        How the initial centers are chosen:

        - "k-means++": KMeans's greedy k-means++ seeding on the unit rows, whose D² weights
          ``||x - c||^2 = 2 * (1 - cos)`` are twice the cosine distance
          (``2 + int(log(n_clusters))`` candidates per center); it picks the same rows for
          dense and sparse X.
        - "random": `n_clusters` distinct rows drawn at random.
        - an array of shape (n_clusters, n_features): the initial centers, scaled to unit
          length (a row of zeros raises ValueError); then a single run is made.
        - a callable, called as ``init(X, n_clusters, random_state=random_state)`` with the unit
          rows (a scipy CSR matrix for sparse X) and the numpy RandomState in use; the centers
          it returns are scaled to unit length.

        The draws of "k-means++" and "random" are in proportion to `sample_weight` when it is
        given.

    n_init : "auto" or int, default="auto"
        Number of runs from different seedings (drawn one after the other from `random_state`);
        the run of lowest inertia is kept. "auto" makes 1 run for "k-means++" and an init array,
        10 for "random" and a callable. With an init array a single run is made whatever
        `n_init` says (with a RuntimeWarning when it asks for more).

    max_iter : int, default=300
        Maximum number of iterations (an assignment of every row, then an update of the centers)
        of a single run; at least 1.

    tol : float, default=1e-4
        Relative tolerance of the convergence test, at least 0: a run stops when the sum of the
        squared center shifts of an iteration is at most `tol` times the mean per-feature
        variance of the unit rows. ``tol=0`` runs until the centers stop moving, or `max_iter`.

    verbose : int, default=0
        Verbosity (an int at least 0, or a bool). 0 prints nothing; any other value prints
        "Initialization complete" before each run, one line per iteration (inertia and center
        shift) and the convergence.

    random_state : int, numpy.random.RandomState or None, default=None
        Source of the random draws of the seeding. An int in [0, 2**32 - 1] seeds a new
        RandomState (pass one for reproducible results); a RandomState is drawn from as it is;
        None uses numpy's global RandomState.

    n_threads : int or None, default=None
        Number of OpenMP threads the kernels use. None follows OpenMP's maximum, which follows
        ``OMP_NUM_THREADS`` and threadpoolctl's limits; a negative value counts back from the
        number of CPUs, as in joblib (-1: all of them); 0 is not allowed. Results do not depend
        on it.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        The cluster centers, unit rows, in X's dtype (float32 for float32 X, float64
        otherwise); a dense array, also for sparse X.

    labels_ : ndarray of shape (n_samples,)
        Index of the cluster of each training row: ``predict(X)`` on the training data.

    inertia_ : float
        Sum over the training rows of w * (1 - cos(x, c)), c the row's most similar center and
        w its `sample_weight` (1 by default).

    n_iter_ : int
        Number of iterations of the best run.

    n_features_in_ : int
        Number of features seen during `fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during `fit`. Defined only when X has feature names that
        are all strings (a pandas or polars DataFrame).

    See Also
    --------
    kmix.MiniBatchSphericalKMeans : The mini-batch variant, with ``partial_fit``.
    kmix.KMeans : K-means in Euclidean distance.

    Notes
    -----
    A row of zeros has no direction: X with one raises ValueError naming the row. A row
    orthogonal to every center (sharing no nonzero feature with any, such as a short document
    while the centers are still single documents) goes to center 0, the lowest index of that
    tie; another exact tie goes to one of the tied centers, as the rounding of their norms
    decides. A cluster left empty takes the row (of positive weight) least similar to its own
    center, as KMeans relocates to the farthest rows; a cluster whose rows' sum is the zero
    vector keeps its previous center.

    For unit rows and centers ``||x - c||^2 = 2 * (1 - cos)``, so each iteration is one pass of
    KMeans's kernels (the dense tiles or the sparse kernel) plus O(k·d) to normalize the
    centers. The result equals a numpy implementation of the same procedure to ~1e-15 in
    float64, dense and sparse. Results are bit-identical for any number of threads.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix import SphericalKMeans
    >>> X = np.array([[5, 1], [5, -1], [2, 0],
    ...               [1, 5], [-1, 5], [0, 2]])
    >>> skm = SphericalKMeans(n_clusters=2, random_state=0).fit(X)
    >>> print(skm.labels_)
    [1 1 1 0 0 0]
    >>> print(np.round(skm.cluster_centers_, 2))
    [[0. 1.]
     [1. 0.]]
    >>> round(skm.inertia_, 2)
    0.08
    >>> print(skm.predict([[3, 0], [0, 4]]))
    [1 0]
    """

    _fitted_attributes = ("cluster_centers_", "labels_", "inertia_", "n_iter_", "n_features_in_")
    _parameter_constraints = {
        name: KMeans._parameter_constraints[name]
        for name in ("n_clusters", "init", "n_init", "max_iter", "tol", "verbose", "random_state", "n_threads")
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Literal["k-means++", "random"] | Callable[..., ArrayLike] | ArrayLike = "k-means++",
        n_init: Literal["auto"] | int = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
        n_threads: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(
        self: _SphericalKMeansT, X: ArrayLike | SparseMatrix, y: object = None, sample_weight: ArrayLike | None = None
    ) -> _SphericalKMeansT:
        """Compute spherical k-means clustering: cluster the rows of X by direction.

        Runs `n_init` seedings, each followed by spherical k-means iterations, keeps the run of
        lowest inertia, and sets ``cluster_centers_``, ``labels_``, ``inertia_``, ``n_iter_``
        and ``n_features_in_``. A new call starts afresh.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows to cluster: a dense array (float32 and float64 are kept, other numeric
            dtypes become float64; a pandas or polars DataFrame sets ``feature_names_in_``), or a
            scipy.sparse matrix or array of any format (read as CSR, never densified). Each row
            is scaled to unit length: only its direction counts, and a row of zeros raises
            ValueError. No NaN or infinity; at least `n_clusters` rows.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row, with a positive sum: the centers are normalized
            weighted means, ``inertia_`` a weighted sum, and the seeding draws rows in
            proportion to the weights. None gives every row weight 1.

        Returns
        -------
        self : object
            Fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import SphericalKMeans
        >>> X = np.array([[5, 1], [5, -1], [2, 0],
        ...               [1, 5], [-1, 5], [0, 2]])
        >>> skm = SphericalKMeans(n_clusters=2, random_state=0).fit(X)
        >>> print(skm.labels_)
        [1 1 1 0 0 0]
        >>> skm.n_iter_
        2
        """
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
    """Mini-batch spherical k-means: MiniBatchKMeans's steps by direction (cosine similarity).

    The mini-batch variant of `kmix.SphericalKMeans`: MiniBatchKMeans's seeding, batches,
    learning rate, reassignment and early stopping (with the same parameters) on the unit rows
    of X, each center scaled back to unit length after every step. A step moves each center to
    the normalized count-weighted mean of its previous position and the batch rows it receives
    (the normalized weighted mean of all rows seen, when nothing is forgotten), as the online
    spherical k-means of Zhong (2005) with MiniBatchKMeans's learning rate. `partial_fit` takes
    one batch at a time; ``inertia_`` and `score` are in the cosine objective
    sum w * (1 - cos), `transform` gives cosine distances.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form, which is also the number of (unit-length) centers to
        find: at least 1 and at most the number of rows of X.

    init : {"k-means++", "random"}, callable or array-like of shape (n_clusters, n_features), default="k-means++"
        How the initial centers are chosen, on a random subset of `init_size` unit rows:
        "k-means++" is KMeans's greedy k-means++ seeding on the unit rows (whose D² weights are
        twice the cosine distance), "random" draws `n_clusters` distinct rows of the subset at
        random, an array gives the initial centers (scaled to unit length; a single seeding is
        then made), and a callable is called as
        ``init(X, n_clusters, random_state=random_state)`` with the subset (a scipy CSR matrix
        for sparse X) and the numpy RandomState in use, its result scaled to unit length.

    max_iter : int, default=100
        Maximum number of passes over the data, at least 1: `fit` runs at most
        ``max_iter * n_samples // batch_size`` steps, fewer when `tol` or `max_no_improvement`
        stops it first. Not used by `partial_fit`.

    batch_size : int, default=1024
        Number of rows in each mini-batch, at least 1 (a larger value than n_samples is lowered
        to n_samples). `fit` draws each batch with replacement, in proportion to
        `sample_weight`.

    verbose : int, default=0
        Verbosity (an int at least 0, or a bool). 0 prints nothing; any other value prints
        each seeding's inertia, each step's mean batch inertia and why the fit stopped.

    compute_labels : bool, default=True
        Whether to label every row of X (setting ``labels_``) and compute ``inertia_`` with the
        final centers once `fit` or each `partial_fit` has moved them: one more pass over X.
        When False, `fit` sets ``inertia_`` from the smoothed batch inertia instead, and
        `partial_fit` sets neither.

    random_state : int, numpy.random.RandomState or None, default=None
        Source of the random draws: the seeding's subset and validation rows, the seeding
        itself, the batches and the reassigned centers. An int in [0, 2**32 - 1] seeds a new
        RandomState (pass one for reproducible results); a RandomState is drawn from as it is;
        None uses numpy's global RandomState. `partial_fit` keeps drawing from the same
        generator from one call to the next.

    tol : float, default=0.0
        Early stopping on the centers, at least 0: `fit` stops when the sum of the squared
        center changes of a step is at most `tol` times the mean per-feature variance of the
        unit rows. The default, 0, disables this test. Not used by `partial_fit`.

    max_no_improvement : int or None, default=10
        Early stopping on the inertia (an int at least 0, or None): `fit` stops after this many
        consecutive steps that do not lower the smoothed batch inertia (an exponentially
        weighted average of the batches' mean inertia). None disables this test. Not used by
        `partial_fit`.

    init_size : int or None, default=None
        Number of rows drawn at random (with replacement) to run each seeding on, and of the
        validation rows on which the `n_init` seedings are compared; at least 1, and at most
        n_samples. None means ``3 * batch_size``, or ``3 * n_clusters`` when ``3 * batch_size``
        is below `n_clusters`; a value below `n_clusters` is replaced by ``3 * n_clusters``,
        with a RuntimeWarning.

    n_init : "auto" or int, default="auto"
        Number of seedings tried by `fit`; the one with the lowest inertia on the validation
        rows is kept. "auto" makes 1 seeding for "k-means++" and an init array, 3 for "random"
        and a callable. With an init array a single seeding is made whatever `n_init` says
        (with a RuntimeWarning when it asks for more).

    reassignment_ratio : float, default=0.01
        Controls the random reassignment of the centers that receive too little: at least 0.
        Every ``10 * n_clusters`` rows (and at every step while some center has received
        nothing), the centers whose total received weight is below `reassignment_ratio` times
        the largest center's are moved to random rows of the batch (at most half the batch);
        0 never moves them.

    n_threads : int or None, default=None
        Number of OpenMP threads the kernels use. None follows OpenMP's maximum, which follows
        ``OMP_NUM_THREADS`` and threadpoolctl's limits; a negative value counts back from the
        number of CPUs, as in joblib (-1: all of them); 0 is not allowed. Results do not depend
        on it.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        The cluster centers, unit rows, in X's dtype (float32 for float32 X, float64
        otherwise); a dense array, also for sparse X.

    labels_ : ndarray of shape (n_samples,)
        Index of the most similar final center of each row of the X of the last `fit` (or of
        the last batch given to `partial_fit`). Set only when `compute_labels` is True.

    inertia_ : float
        With `compute_labels`, the sum of w * (1 - cos(x, c)) over the rows of the last X given
        to `fit` or `partial_fit`, c the row's most similar final center and w its weight;
        without it, `fit` sets an estimate from the smoothed batch inertia and `partial_fit`
        sets nothing.

    n_iter_ : int
        Number of passes over the data `fit` made: ``ceil(n_steps_ * batch_size / n_samples)``
        (`partial_fit` leaves it as it was, 0 if it was not set).

    n_steps_ : int
        Number of mini-batch steps processed: by `fit`, or one per `partial_fit` call since the
        first.

    n_features_in_ : int
        Number of features seen during `fit` (or the first `partial_fit`).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during `fit`. Defined only when X has feature names that
        are all strings (a pandas or polars DataFrame).

    See Also
    --------
    kmix.SphericalKMeans : Spherical k-means on all the rows at each iteration.
    kmix.MiniBatchKMeans : The same steps in Euclidean distance.

    Notes
    -----
    X is dense (float32 or float64) or scipy.sparse (any format, read as CSR, never densified),
    with `sample_weight` in `fit` and `partial_fit`. Rows are scaled to unit length; a row of
    zeros has no direction and raises ValueError naming it. Results are bit-identical for any
    number of threads.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix import MiniBatchSphericalKMeans
    >>> X = np.array([[5, 1], [5, -1], [2, 0],
    ...               [1, 5], [-1, 5], [0, 2]])
    >>> skm = MiniBatchSphericalKMeans(n_clusters=2, random_state=0, batch_size=6).fit(X)
    >>> print(skm.labels_)
    [1 1 1 0 0 0]
    >>> print(np.round(skm.cluster_centers_, 2))
    [[0.02 1.  ]
     [1.   0.  ]]
    >>> print(skm.predict([[3, 0], [0, 4]]))
    [1 0]
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
    labels = (
        _core.sparse_assign(*_csr_args(X), C, n_threads)
        if isinstance(X, _sparse.Csr)
        else _core.assign(X, C, n_threads)
    )
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
            sums[0] += np.bincount(part.indices, part.data * np.repeat(w, np.diff(part.indptr)), minlength=X.shape[1])
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
    order = np.argsort(sim, kind="stable")[: empty.size]
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


def spherical_kmeans_plusplus(
    X: ArrayLike | SparseMatrix,
    n_clusters: int,
    *,
    sample_weight: ArrayLike | None = None,
    random_state: int | np.random.RandomState | None = None,
    n_threads: int | None = None,
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Greedy k-means++ seeding by direction, as SphericalKMeans's ``init="k-means++"``.

    Scales the rows of X to unit length and runs KMeans's greedy k-means++ on them (see
    `kmix.kmeans_plusplus`): for unit rows ``||x - c||^2 = 2 * (1 - cos)``, so the draws are
    those of k-means++ with the cosine distance.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows to pick the centers from: a dense array (float32 and float64 are kept, other
        numeric dtypes become float64) or a scipy.sparse matrix or array of any format (read as
        CSR, never densified). No NaN or infinity, and no row of zeros (ValueError).
    n_clusters : int
        Number of centers to choose, at least 1 and at most n_samples.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows, with a positive sum: they weight both the draws and
        the distances. None gives every row weight 1.
    random_state : int, numpy.random.RandomState or None, default=None
        Source of the random draws. An int in [0, 2**32 - 1] seeds a new RandomState, None uses
        numpy's global one.
    n_threads : int, default=None
        Number of OpenMP threads. None follows OpenMP's maximum (``OMP_NUM_THREADS``,
        threadpoolctl's limits); a negative value counts back from the number of CPUs (-1: all
        of them). The result does not depend on it.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The chosen rows of X scaled to unit length, in X's dtype (a dense array, also for sparse
        X).
    indices : ndarray of shape (n_clusters,)
        Their indices in X, in the order they were chosen.

    See Also
    --------
    kmix.SphericalKMeans : Spherical k-means, which seeds with this procedure.
    kmix.kmeans_plusplus : The same seeding in Euclidean distance.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix.spherical import spherical_kmeans_plusplus
    >>> X = np.array([[5, 1], [5, -1], [2, 0],
    ...               [1, 5], [-1, 5], [0, 2]])
    >>> centers, indices = spherical_kmeans_plusplus(X, n_clusters=2, random_state=0)
    >>> print(np.round(centers, 2))
    [[0.2  0.98]
     [1.   0.  ]]
    >>> print(indices)
    [3 2]
    """
    X, _ = _Spherical._input(X)
    sw, _ = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    weights = sw if sw is not None else np.ones(X.shape[0], dtype=X.dtype)
    if n_clusters > X.shape[0]:
        raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={n_clusters}.")
    idx = _seed_kmeans_plusplus(
        X, n_clusters, weights, check_random_state(random_state), effective_n_threads(n_threads)
    )
    return _rows(X, idx), idx
