"""kmix.KMeans: scikit-learn's KMeans (Lloyd) with the iterations in C++.

Same parameters, attributes and answers as ``sklearn.cluster.KMeans(algorithm="lloyd")``:
X is centred on its mean before clustering, the tolerance is relative to the mean per-feature
variance, iterations stop when no label changes or the squared center shift is <= tol, and a
final assignment makes labels_ equal predict(X). Seeding draws from the numpy RandomState the
way scikit-learn does, so the same random_state seeds the same centers.

A scipy.sparse X (any format, converted once to CSR by kmix._sparse) is clustered as scikit-learn
clusters it: not centred, never densified (memory O(nnz + k·d)), ‖c‖² − 2·x·c over each row's
nonzeros, the tolerance from the sparse column variances; the centers are dense arrays.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from . import _core, _scale, _sparse
from ._base import BaseEstimator, ConvergenceWarning, TransformerOutput, feature_names_of, peer_class
from ._threads import effective_n_threads
from ._validation import (
    ARRAY,
    CALLABLE,
    N_THREADS,
    RANDOM_STATE,
    VERBOSE,
    BOOL,
    Int,
    InvalidParameterError,
    Options,
    Real,
    as_float_array,
    c_array,
    check_finite,
    check_int,
    check_random_state,
    check_sample_weight,
    validate_params,
)

if TYPE_CHECKING:
    from typing import Any, Callable, Literal, TypeVar

    from numpy.typing import ArrayLike, NDArray

    from ._sparse import SparseMatrix
    from ._validation import Allowed

    _KMeansT = TypeVar("_KMeansT", bound="KMeans")

_INIT_NAMES = ("k-means++", "random")
_ALGORITHMS = ("lloyd", "elkan", "hamerly", "auto")
# Elkan's n·k float32 lower bounds: "auto" takes Elkan only while they fit in this many bytes.
_ELKAN_AUTO_BYTES = 128 << 20


def choose_algorithm(n_samples: int, n_features: int, n_clusters: int) -> Literal["lloyd", "elkan", "hamerly"]:
    """The algorithm ``KMeans(algorithm="auto")`` runs for data of this shape.

    The choice depends on the shape only (never on the values), so it is the same for every fit
    of that shape. All three algorithms give Lloyd's answers (labels, ``n_iter_``, centers) from
    the same init; they differ only in time and memory.

    Parameters
    ----------
    n_samples : int
        Number of rows of the data to cluster.
    n_features : int
        Number of columns (features) of the data.
    n_clusters : int
        Number of clusters the fit looks for.

    Returns
    -------
    algorithm : {"lloyd", "elkan", "hamerly"}
        "lloyd" below 16 clusters; "elkan" from 48 features up while its
        ``n_samples * n_clusters`` float32 bounds fit in 128 MB; "hamerly" otherwise.

    See Also
    --------
    kmix.KMeans : The estimator whose ``algorithm="auto"`` uses this choice.

    Notes
    -----
    The thresholds come from whole fits on this project's 2-core AVX2 machine (same init,
    Lloyd's answers from each): below 16 clusters the bounds save little and cost their upkeep
    ("lloyd"); from 48 features up, Elkan's k bounds per row prune where Hamerly's one bound does
    not (overlapping blobs at (50k, 128, 256) float32: Elkan 1.35x Lloyd, Hamerly 0.93x), as long
    as the n·k bounds stay within 128 MB; otherwise "hamerly" (3.1x Lloyd at (100k, 16, 100) with
    separated blobs, 1.8x at (100k, 16, 32), 0.9-1.07x where blobs overlap), whose bounds are O(n).

    Examples
    --------
    >>> from kmix.kmeans import choose_algorithm
    >>> choose_algorithm(100_000, 16, 8)
    'lloyd'
    >>> choose_algorithm(50_000, 128, 256)
    'elkan'
    >>> choose_algorithm(100_000, 16, 100)
    'hamerly'
    """
    if n_clusters < 16:
        return "lloyd"
    if n_features >= 48 and 4 * n_samples * n_clusters <= _ELKAN_AUTO_BYTES:
        return "elkan"
    return "hamerly"


def kmeans_plusplus(
    X: ArrayLike | SparseMatrix,
    n_clusters: int,
    *,
    sample_weight: ArrayLike | None = None,
    x_squared_norms: ArrayLike | None = None,
    random_state: int | np.random.RandomState | None = None,
    n_local_trials: int | None = None,
    n_threads: int | None = None,
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Greedy k-means++ seeding, as ``sklearn.cluster.kmeans_plusplus``.

    Chooses `n_clusters` rows of X as initial centers: the first at random (in proportion to
    `sample_weight`), each next one the best of `n_local_trials` candidates drawn in
    proportion to their (weighted) squared distance to the nearest center chosen so far, the best
    being the candidate that leaves the smallest total squared distance.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data to pick the centers from: a dense array (float32 and float64 are kept, other
        numeric dtypes become float64) or a scipy.sparse matrix or array of any format
        (converted once to CSR, never densified). It must not contain NaN or infinity.
    n_clusters : int
        Number of centers to choose, at least 1 and at most n_samples.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows, with a positive sum: they weight both the draws and
        the squared distances. None gives every row weight 1.
    x_squared_norms : array-like of shape (n_samples,), default=None
        Accepted for compatibility with scikit-learn and not used (kmix computes what it needs);
        when given, its length must be n_samples.
    random_state : int, numpy.random.RandomState or None, default=None
        Source of the random draws. An int in [0, 2**32 - 1] seeds a new RandomState, None uses
        numpy's global one. kmix draws from it exactly as scikit-learn does.
    n_local_trials : int, default=None
        Number of candidates drawn for each center after the first (at most 64). None means
        ``2 + int(log(n_clusters))``, scikit-learn's default.
    n_threads : int, default=None
        Number of OpenMP threads. None follows OpenMP's maximum (``OMP_NUM_THREADS``,
        threadpoolctl's limits); a negative value counts back from the number of CPUs (-1: all
        of them). The result does not depend on it.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The chosen rows of X, in X's dtype (a dense array, also for sparse X).
    indices : ndarray of shape (n_clusters,)
        Their indices in X, in the order they were chosen.

    See Also
    --------
    kmix.KMeans : K-means, which seeds with this procedure for ``init="k-means++"``.

    Notes
    -----
    The random stream is consumed as scikit-learn's ``kmeans_plusplus`` consumes it, so with
    the same `random_state` kmix picks the same rows as scikit-learn on float64 data (in
    float32 a near-tie between candidates can go the other way, as kmix computes the seeding
    distances in float64). The result is the same for X scaled by a power of two.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix import kmeans_plusplus
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [10, 2], [10, 4], [10, 0]])
    >>> centers, indices = kmeans_plusplus(X, n_clusters=2, random_state=0)
    >>> print(np.round(centers, 2))
    [[10.  2.]
     [ 1.  0.]]
    >>> print(indices)
    [3 2]
    """
    sparse = _sparse.is_sparse(X)
    X, largest = (_sparse.as_csr if sparse else as_float_array)(X, "X", with_abs_max=True)
    k = check_int(n_clusters, "n_clusters", low=1)
    if k > X.shape[0]:
        raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={k}.")
    if x_squared_norms is not None and np.shape(x_squared_norms)[:1] != X.shape[:1]:
        n_norms = np.shape(x_squared_norms)[0] if np.ndim(x_squared_norms) else "of a scalar"
        raise ValueError(
            f"The length of x_squared_norms {n_norms} should be equal to the length of n_samples {X.shape[0]}."
        )
    sw, _ = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    if sw is None:
        sw = np.ones(X.shape[0], dtype=X.dtype)
    trials = None if n_local_trials is None else check_int(n_local_trials, "n_local_trials", low=1)
    # Seeding is equivariant under scaling by a power of two: the same rows at any magnitude.
    e = _scale.exponent(largest, X.dtype)
    idx = _seed_kmeans_plusplus(
        X.scaled(-e) if sparse else _scale.scaled(X, -e),
        k,
        sw,
        check_random_state(random_state),
        effective_n_threads(n_threads),
        trials,
    )
    return _rows(X, idx), idx


def _rows(X, idx):
    """Rows idx of X (an array or a Csr) as a dense array: centers are dense, as in scikit-learn."""
    return X.take_rows(idx).toarray() if isinstance(X, _sparse.Csr) else X[idx]


def _csr_args(X: _sparse.Csr) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], int]:
    """A Csr as the sparse kernels take it: data, indices, indptr, n_features."""
    return X.data, X.indices, X.indptr, X.shape[1]


def _seed_kmeans_plusplus(X, k, sw, rs, n_threads, n_local_trials=None):
    trials = n_local_trials if n_local_trials is not None else 2 + int(np.log(k))
    if trials > 64:
        raise ValueError(f"n_local_trials must be <= 64; got {trials}")
    # The random stream is consumed exactly as scikit-learn's _kmeans_plusplus consumes it.
    first = rs.choice(X.shape[0], p=sw / sw.sum())
    uniforms = rs.uniform(size=(k - 1) * trials)
    if isinstance(X, _sparse.Csr):
        return _core.sparse_kmeans_plusplus(*_csr_args(X), sw, k, int(first), uniforms, trials, n_threads)
    return _core.kmeans_plusplus(X, sw, k, int(first), uniforms, trials, n_threads)


def _same_clustering(labels1, labels2, k):
    """True if labels2 is a function of labels1 (scikit-learn's _is_same_clustering)."""
    first = np.full(k, -1, dtype=np.int64)
    first[labels1[::-1]] = labels2[::-1]  # the last write is each label's first occurrence
    return np.array_equal(first[labels1], labels2)


def _mean_variance(X, n_threads):
    """np.var(X, axis=0).mean(), scikit-learn's scale for tol. float64: two passes in C++, ~13x
    quicker than numpy's temporaries and as accurate. float32: numpy's own float32 arithmetic,
    whose rounding scikit-learn's tol inherits (0.1% off for data far from the origin), so
    that fits stop at the same iteration."""
    if X.dtype == np.float32:
        return float(np.mean(np.var(X, axis=0)))
    return _core.mean_variance(X, n_threads)


def _report(it_inertia, it_shift, strict, tol, stopped_early):
    """verbose output: one line per iteration, then why the run stopped."""
    for i, (inertia, shift) in enumerate(zip(it_inertia, it_shift)):
        print(f"Iteration {i}, inertia {inertia:.6g}, center shift {shift:.6g}.")
    last = len(it_shift) - 1
    if strict:
        print(f"Converged at iteration {last}: strict convergence.")
    elif stopped_early:
        print(f"Converged at iteration {last}: center shift {it_shift[last]:.6g} within tolerance {tol:.6g}.")


def _warn_if_fewer_clusters(distinct, k, stacklevel=3):
    """scikit-learn's warning when the fit ends with clusters that hold no point."""
    if distinct < k:
        warnings.warn(
            f"Number of distinct clusters ({distinct}) found smaller than n_clusters ({k}). "
            "Possibly due to duplicate points in X.",
            peer_class(ConvergenceWarning),
            stacklevel=stacklevel,
        )


class KMeans(TransformerOutput, BaseEstimator):
    """K-means clustering (Lloyd's algorithm), scikit-learn compatible.

    Partitions the rows of X into `n_clusters` clusters, each represented by its center, the
    (weighted) mean of its rows, so as to minimize the inertia: the sum of the squared Euclidean
    distances of the rows to their nearest center. Each iteration assigns every row to its
    nearest center, then moves each center to the mean of its rows. The parameters, attributes
    and methods are those of ``sklearn.cluster.KMeans``, with the same meanings and answers; the
    iterations run in C++ with OpenMP.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form, which is also the number of centers to find: at least
        1 and at most the number of rows of the X given to `fit`.

    init : {"k-means++", "random"}, callable or array-like of shape (n_clusters, n_features), default="k-means++"
        How the initial centers are chosen:

        - "k-means++": greedy k-means++ seeding (see `kmeans_plusplus`): the first center is a
          row drawn at random, each next one the best of ``2 + int(log(n_clusters))`` rows drawn
          in proportion to their squared distance to the nearest center so far.
        - "random": `n_clusters` distinct rows of X drawn at random.
        - an array of shape (n_clusters, n_features): the initial centers themselves (then a
          single run is made, see `n_init`).
        - a callable, called as ``init(X, n_clusters, random_state=random_state)`` with the data
          the iterations run on (as in scikit-learn, a dense X may have been centred on its
          mean; a sparse X is passed as a scipy CSR matrix) and the numpy RandomState in use; it
          returns the initial centers, an array of shape (n_clusters, n_features).

        The draws of "k-means++" and "random" are in proportion to `sample_weight` when it is
        given.

    n_init : "auto" or int, default="auto"
        Number of runs from different seedings (drawn one after the other from `random_state`);
        the run with the lowest inertia is kept. "auto" makes 1 run for "k-means++" and an init
        array, 10 for "random" and a callable. With an init array a single run is made whatever
        `n_init` says (with a RuntimeWarning when it asks for more).

    max_iter : int, default=300
        Maximum number of iterations (an assignment of every row, then an update of the centers)
        of a single run; at least 1. A run that reaches it stops there, unconverged.

    tol : float, default=1e-4
        Relative tolerance of the convergence test, at least 0: a run stops when the sum of
        the squared center shifts of an iteration is at most `tol` times the mean per-feature
        variance of X. Whatever `tol`, a run also stops when no label changes (strict
        convergence); ``tol=0`` leaves only that test and `max_iter`.

    verbose : int, default=0
        Verbosity (an int at least 0, or a bool). 0 prints nothing; any other value prints
        "Initialization complete" before each run, one line per iteration (inertia and center
        shift) and why the run stopped.

    random_state : int, numpy.random.RandomState or None, default=None
        Source of the random draws of the seeding ("k-means++", "random", and the RandomState
        a callable init receives). An int in [0, 2**32 - 1] seeds a new RandomState (pass one
        for results reproducible from call to call); a RandomState is drawn from as it is; None
        uses numpy's global RandomState.

    copy_x : bool, default=True
        When a fit centres a dense X on its mean (see Notes), True makes it work on its own
        centred copy; False lets it centre the caller's X in place and add the mean back before
        returning, saving the copy when X is already a writeable, C-contiguous float32 or
        float64 array (as in scikit-learn, subtracting and adding the mean back may change the
        values of X by rounding). Otherwise, and for sparse X, it makes no difference.

    algorithm : {"lloyd", "elkan", "hamerly", "auto"}, default="lloyd"
        How the nearest centers are found; all give Lloyd's answers (labels, ``n_iter_``,
        centers) from the same init. "lloyd" computes every distance at each iteration.
        "elkan" keeps Elkan's triangle-inequality bounds (n_samples x n_clusters of them,
        float32) to skip distances; "hamerly" (a kmix addition) keeps Hamerly's two per row
        (float32: 8 bytes a row), best at low dimension and many well-separated clusters;
        "auto" (a kmix addition) picks one of the three by (n_samples, n_features, n_clusters)
        as measured (see `kmix.kmeans.choose_algorithm`). "elkan" with a single cluster warns
        and runs "lloyd". On sparse X, every choice runs the sparse Lloyd iterations.

    n_threads : int or None, default=None
        Number of OpenMP threads the kernels use. None follows OpenMP's maximum, which follows
        ``OMP_NUM_THREADS`` and threadpoolctl's limits; a negative value counts back from the
        number of CPUs, as in joblib (-1: all of them); 0 is not allowed. Results do not depend
        on it.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the cluster centers, in X's dtype (float32 for float32 X, float64
        otherwise); a dense array, also for sparse X. They are the centers the best run ended
        with: when it did not end on unchanged labels, they need not be exactly the means of
        the clusters in ``labels_``.

    labels_ : ndarray of shape (n_samples,)
        Index of the cluster of each training row: ``labels_`` equals ``predict(X)`` on the
        training data (a final assignment follows the last iteration).

    inertia_ : float
        Sum of the squared distances of the training rows to their nearest center, weighted by
        `sample_weight` when given.

    n_iter_ : int
        Number of iterations of the best run.

    n_features_in_ : int
        Number of features seen during `fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during `fit`. Defined only when X has feature names that
        are all strings (a pandas or polars DataFrame).

    See Also
    --------
    kmix.MiniBatchKMeans : Faster, approximate k-means on mini-batches, with ``partial_fit``.
    kmix.SphericalKMeans : K-means by direction (cosine similarity).
    kmix.SoftKMeans : K-means with soft assignments.
    kmix.kmeans_plusplus : The k-means++ seeding on its own.
    kmix.k_means : This estimator as a function.

    Notes
    -----
    Same answers as ``sklearn.cluster.KMeans(algorithm="lloyd")``: from the same init, the same
    labels, the same ``n_iter_``, and centers and inertia equal to ~1e-13 relative in float64.
    k-means++ draws from numpy's RandomState exactly as scikit-learn does, so the same
    `random_state` seeds the same rows (in float64; in float32 a near-tie between candidates
    can go the other way).

    As scikit-learn does, a dense X is centred on its mean before the iterations (float64 X only
    when that mean is far from the origin compared with the data's spread; float32 X always),
    which keeps the distances accurate, and a sparse X is never centred nor densified.

    float32 X gives float32 centers, float64 X float64 ones; the centers' sums are accumulated
    in float64 in both cases (scikit-learn accumulates float32 data in float32, so float32
    results agree with it to ~1e-6 relative, not bit for bit).

    A cluster left empty takes the row farthest from its center, as in scikit-learn; when the
    fit ends with fewer distinct clusters than `n_clusters` (duplicate rows, say), it warns with
    `kmix.ConvergenceWarning`. Integer sample weights give the same result as repeated rows.

    Results are bit-identical for any number of threads; the kernels release the GIL. Data of
    any magnitude work: when the largest ``|x|`` is too large or too small for the squared
    distances, kmix fits X scaled by a power of two (exactly) and scales the results back.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [10, 2], [10, 4], [10, 0]])
    >>> kmeans = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> print(kmeans.labels_)
    [1 1 1 0 0 0]
    >>> print(kmeans.predict([[0, 0], [12, 3]]))
    [1 0]
    >>> print(np.round(kmeans.cluster_centers_, 2))
    [[10.  2.]
     [ 1.  2.]]
    >>> round(kmeans.inertia_, 2)
    16.0
    """

    _estimator_type = "clusterer"
    _sparse_input = True  # predict, transform and score take scipy.sparse X (SoftKMeans does not)
    _fitted_attributes: tuple[str, ...] = ("cluster_centers_", "labels_", "inertia_", "n_iter_", "n_features_in_")
    _parameter_constraints: dict[str, list[Allowed]] = {
        "n_clusters": [Int(1)],
        "init": [Options(*_INIT_NAMES), CALLABLE, ARRAY],
        "n_init": [Options("auto"), Int(1)],
        "max_iter": [Int(1)],
        "tol": [Real(0)],
        "verbose": [VERBOSE],
        "random_state": [RANDOM_STATE],
        "copy_x": [BOOL],
        "algorithm": [Options(*_ALGORITHMS)],
        "n_threads": [N_THREADS],
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
        copy_x: bool = True,
        algorithm: Literal["lloyd", "elkan", "hamerly", "auto"] = "lloyd",
        n_threads: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.n_threads = n_threads

    # ---- parameters --------------------------------------------------------------------------
    def _init_kind(self):
        """init's kind, from a checked parameter (see _parameter_constraints)."""
        init = self.init
        if isinstance(init, str):
            return init
        return "callable" if callable(init) else "array"

    def _check_params(self, X, stacklevel=4):
        k = self.n_clusters
        if k > X.shape[0]:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={k}.")
        kind = self._init_kind()
        return k, kind, self._resolve_n_init(kind, auto_runs=10, stacklevel=stacklevel)

    def _resolve_n_init(self, kind, auto_runs, stacklevel=4):
        """n_init as a number: "auto" is 1 for k-means++ and arrays, auto_runs otherwise; an init
        array always runs once (with a warning if more were asked for), as scikit-learn."""
        if isinstance(self.n_init, str):
            n_init = 1 if kind in ("k-means++", "array") else auto_runs
        else:
            n_init = int(self.n_init)
        if kind == "array" and n_init != 1:
            warnings.warn(
                f"Explicit initial center position passed: performing only one init in "
                f"{type(self).__name__} instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=stacklevel,
            )
            n_init = 1
        return n_init

    def _check_centers(self, centers, X, name):
        centers = as_float_array(centers, name, dtype=X.dtype, copy=True)
        # scikit-learn's words, naming the parameter.
        if centers.shape[0] != self.n_clusters:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} ({name}) does not match the number "
                f"of clusters {self.n_clusters}."
            )
        if centers.shape[1] != X.shape[1]:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} ({name}) does not match the number "
                f"of features of the data {X.shape[1]}."
            )
        return centers

    # ---- fitting -----------------------------------------------------------------------------
    def fit(
        self: _KMeansT, X: ArrayLike | SparseMatrix, y: object = None, sample_weight: ArrayLike | None = None
    ) -> _KMeansT:
        """Compute k-means clustering.

        Runs `n_init` seedings, each followed by the iterations of `algorithm`, keeps the run of
        lowest inertia, and sets ``cluster_centers_``, ``labels_``, ``inertia_``, ``n_iter_`` and
        ``n_features_in_``. A new call starts afresh.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows to cluster: a dense array (float32 and float64 are kept, other numeric
            dtypes become float64; a pandas or polars DataFrame sets ``feature_names_in_``), or a
            scipy.sparse matrix or array of any format (converted once to CSR, never centred nor
            densified, as in scikit-learn). No NaN or infinity; at least `n_clusters` rows.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row: non-negative, with a positive sum. The centers are weighted
            means, the inertia a weighted sum, and the seeding draws rows in proportion to the
            weights; integer weights give the same result as repeated rows. None gives every
            row weight 1.

        Returns
        -------
        self : object
            Fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> kmeans = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> print(kmeans.labels_)
        [1 1 1 0 0 0]
        >>> kmeans.n_iter_
        2
        """
        validate_params(self)
        if _sparse.is_sparse(X):
            return self._fit_sparse(X, sample_weight)
        X_in = X
        names = feature_names_of(X)
        X, largest = as_float_array(X, "X", with_abs_max=True)
        # Work on our own centred copy, made by the subtraction itself (one pass), unless
        # copy_x=False and X is the caller's writeable array: then centre in place and restore.
        callers = np.may_share_memory(X, X_in)
        in_place = X.flags.writeable and (not self.copy_x or not callers)
        k, kind, n_init = self._check_params(X)
        algorithm = self.algorithm
        if algorithm == "auto":
            algorithm = choose_algorithm(X.shape[0], X.shape[1], k)
        if algorithm == "elkan" and k == 1:  # scikit-learn's warning and fallback
            warnings.warn(
                "algorithm='elkan' doesn't make sense for a single cluster. Using 'lloyd' instead.",
                RuntimeWarning,
                stacklevel=2,
            )
            algorithm = "lloyd"
        n_threads = effective_n_threads(self.n_threads)
        rs = check_random_state(self.random_state)
        sw, ew = check_sample_weight(sample_weight, X.shape[0], X.dtype)  # times 2^ew: see its docstring
        if kind == "random":
            self._check_random_draw(sw, k, X.dtype)
        init_array = self._check_centers(self.init, X, "init") if kind == "array" else None
        # Data (or init) beyond the kernels' range of magnitudes: the fit runs on X·2^-e, exactly
        # the fit of X scaled (see _scale), on a copy.
        if init_array is not None:
            largest = max(largest, _scale.abs_max(init_array))
        e = _scale.exponent(largest, X.dtype)
        if e:
            X, init_array = _scale.scaled(X, -e), _scale.scaled(init_array, -e)
            callers, in_place = False, True
        # The tolerance is scaled on X before centring, as scikit-learn does.
        tol = _mean_variance(X, n_threads) * self.tol if self.tol else 0.0

        # Centring (as scikit-learn does) improves the accuracy of ‖c‖² − 2x·c when the data sit
        # far from the origin; near it, float64 X is used as it is (no copy), X_mean is zero.
        # float32 is always centred (see wants_centring in kmeans_driver.cpp).
        prep = _core.center(X, in_place, n_threads)
        X, X_mean, centred = prep["X"], prep["mean"], prep["centred"]
        true_mean = None if centred else X_mean.astype(np.float64)
        if not centred:
            X_mean = np.zeros_like(X_mean)
        if init_array is not None:
            init_array -= X_mean
        fit_one = {"elkan": _core.elkan, "hamerly": _core.hamerly}.get(algorithm, _core.lloyd)
        try:
            centers, labels, inertia, n_iter = self._best_of_runs(
                X,
                kind,
                init_array,
                sw,
                rs,
                n_threads,
                n_init,
                tol,
                lambda centers0: fit_one(X, sw, centers0, self.max_iter, tol, bool(self.verbose), n_threads, true_mean),
            )
        finally:
            if in_place and callers and centred:
                X += X_mean
        centers += X_mean
        return self._set_fitted(centers, labels, inertia, n_iter, e, ew, X.shape[1], n_init, names, stacklevel=4)

    def _fit_sparse(self, X, sample_weight):
        """fit for a scipy.sparse X, as scikit-learn's: CSR, not centred, the tolerance from the
        sparse column variances; every algorithm runs Lloyd's iterations (same answers)."""
        X, largest = _sparse.as_csr(X, "X", with_abs_max=True)
        k, kind, n_init = self._check_params(X, stacklevel=5)
        if self.algorithm == "elkan" and k == 1:  # scikit-learn's warning
            warnings.warn(
                "algorithm='elkan' doesn't make sense for a single cluster. Using 'lloyd' instead.",
                RuntimeWarning,
                stacklevel=3,
            )
        n_threads = effective_n_threads(self.n_threads)
        rs = check_random_state(self.random_state)
        sw, ew = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        if kind == "random":
            self._check_random_draw(sw, k, X.dtype)
        init_array = self._check_centers(self.init, X, "init") if kind == "array" else None
        if init_array is not None:
            largest = max(largest, _scale.abs_max(init_array))
        e = _scale.exponent(largest, X.dtype)  # extreme magnitudes: fit X·2^-e (only data scales)
        X, init_array = X.scaled(-e), _scale.scaled(init_array, -e)
        tol = _sparse.mean_variance(X) * self.tol if self.tol else 0.0
        centers, labels, inertia, n_iter = self._best_of_runs(
            X,
            kind,
            init_array,
            sw,
            rs,
            n_threads,
            n_init,
            tol,
            lambda centers0: _core.sparse_lloyd(
                *_csr_args(X), sw, centers0, self.max_iter, tol, bool(self.verbose), n_threads
            ),
        )
        return self._set_fitted(centers, labels, inertia, n_iter, e, ew, X.shape[1], n_init, None, stacklevel=5)

    def _check_random_draw(self, sw, k, dtype):
        """init="random" with weights: enough rows that the weighted draw can pick."""
        if sw is None:
            return
        with np.errstate(under="ignore"):  # the draw's probabilities, in X's dtype
            drawable = np.count_nonzero(sw / sw.sum())
        if drawable < k:
            raise ValueError(
                f"init='random' needs at least n_clusters={k} samples with positive "
                f"sample_weight; got {drawable} (a weight so much smaller than the total that "
                f"its probability is 0 in {dtype} counts as zero, as in scikit-learn's draw)"
            )

    def _best_of_runs(self, X, kind, init_array, sw, rs, n_threads, n_init, tol, fit_one):
        """(centers, labels, inertia, n_iter) of the best of n_init runs of fit_one(centers0), as
        scikit-learn picks it: a lower inertia that is not the same clustering."""
        k = self.n_clusters
        best = None
        for _ in range(n_init):
            centers0 = self._init_centroids(X, kind, init_array, sw, rs, n_threads)
            if self.verbose:
                print("Initialization complete")
            run = fit_one(centers0)
            centers, labels, inertia, n_iter = run["centers"], run["labels"], run["inertia"], run["n_iter"]
            if self.verbose:
                _report(run["iter_inertia"], run["iter_shift"], run["strict"], tol, n_iter < self.max_iter)
            if best is None or (inertia < best[2] and not _same_clustering(labels, best[1], k)):
                best = (centers, labels, inertia, n_iter)
        return best

    def _set_fitted(self, centers, labels, inertia, n_iter, e, ew, n_features, n_init, names, stacklevel):
        """Store a fit's results (in X's units); stacklevel: of the warning, the user's call."""
        k = self.n_clusters
        _warn_if_fewer_clusters(np.count_nonzero(np.bincount(labels, minlength=k)), k, stacklevel=stacklevel)
        self.cluster_centers_ = _scale.centers_back(centers, e)
        self._remember_centers_magnitude()
        self.labels_ = labels
        self.inertia_ = float(_scale.scale_back(inertia, 2 * e + ew, "inertia_"))
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = n_features
        self._n_init = n_init  # the runs made (n_init="auto" resolved), as scikit-learn's _n_init
        self._set_feature_names(names)
        return self

    def _init_centroids(self, X, kind, init_array, sw, rs, n_threads):
        k = self.n_clusters
        if kind == "array":
            return init_array.copy()
        # scikit-learn seeds with unit weights in X's dtype when none are given; so do we, so
        # that the same random_state draws the same points.
        weights = sw if sw is not None else np.ones(X.shape[0], dtype=X.dtype)
        if kind == "k-means++":
            return _rows(X, _seed_kmeans_plusplus(X, k, weights, rs, n_threads))
        if kind == "random":
            return _rows(X, rs.choice(X.shape[0], size=k, replace=False, p=weights / weights.sum()))
        given = _sparse.to_scipy(X) if isinstance(X, _sparse.Csr) else X  # the callable sees CSR, as in scikit-learn
        return self._check_centers(self.init(given, k, random_state=rs), X, "the init callable's result")

    # ---- using a fitted model ----------------------------------------------------------------
    def _check_test_data(self, X, with_abs_max=False):
        self._check_fitted()
        self._check_feature_names(X)
        centers = self.cluster_centers_
        convert = _sparse.as_csr if self._sparse_input and _sparse.is_sparse(X) else as_float_array
        X, largest = convert(X, "X", dtype=centers.dtype, with_abs_max=True)
        if X.shape[1] != centers.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{centers.shape[1]} features as input"
            )
        return (X, largest) if with_abs_max else X

    def _remember_centers_magnitude(self):
        """Cache max |cluster_centers_| for predict (one-row latency); fit and partial_fit call it."""
        self.__dict__["_cache_centers_abs_max"] = (self.cluster_centers_, _scale.abs_max(self.cluster_centers_))

    def _with_centers(self, X, largest):
        """(X, centers, e): X and the fitted centers as the kernels take them, both scaled by
        2^-e when their magnitudes need it (see _scale), e = 0 otherwise."""
        C = self.cluster_centers_
        cached = self.__dict__.get("_cache_centers_abs_max")
        if cached is None or cached[0] is not C:
            # Centers fit did not measure (set or loaded since): measured here, not stored, since
            # predict leaves the estimator's __dict__ as it was (scikit-learn checks it).
            cached = (C, _scale.abs_max(C))
        if not (C.flags.c_contiguous and C.flags.aligned):
            C = c_array(C)
        e = _scale.exponent(max(largest, cached[1]), X.dtype)
        if e:
            X = X.scaled(-e) if isinstance(X, _sparse.Csr) else _scale.scaled(X, -e)
            return X, _scale.scaled(C, -e), e
        return X, C, 0

    def predict(self, X: ArrayLike | SparseMatrix) -> NDArray[Any]:
        """Predict the closest cluster each row of X belongs to.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to label, with the features seen by `fit` (converted to the centers' dtype).
            A scipy.sparse matrix or array is read as CSR, never densified.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the nearest center (in Euclidean distance) of each row; ties go to the
            lowest index.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> kmeans = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> print(kmeans.predict([[0, 0], [12, 3]]))
        [1 0]
        """
        centers = getattr(self, "cluster_centers_", None)
        # Short path for the common case of an already-clean array (one-row serving latency).
        if (
            type(X) is np.ndarray
            and centers is not None
            and "feature_names_in_" not in self.__dict__
            and X.dtype == centers.dtype
            and X.ndim == 2
            and X.shape[0] > 0
            and X.shape[1] == centers.shape[1]
            and X.flags.c_contiguous
            and X.flags.aligned
        ):
            largest = check_finite(X, "X")
        else:
            X, largest = self._check_test_data(X, with_abs_max=True)
        X, C, _ = self._with_centers(X, largest)
        return _assign(X, C, effective_n_threads(self.n_threads))

    def fit_predict(
        self, X: ArrayLike | SparseMatrix, y: object = None, sample_weight: ArrayLike | None = None
    ) -> NDArray[Any]:
        """Compute cluster centers and predict the cluster of each row of X.

        The same as ``fit(X, sample_weight=sample_weight).labels_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows to cluster, as `fit` takes them.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row, as `fit` takes it; None gives every row weight 1.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the cluster of each row (``labels_``).

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> print(KMeans(n_clusters=2, random_state=0).fit_predict(X))
        [1 1 1 0 0 0]
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    # transform's result: an array, or a pandas or polars data frame after set_output (hence Any).
    def transform(self, X: ArrayLike | SparseMatrix) -> Any:
        """Transform X to a cluster-distance space.

        Column k holds the Euclidean distance of each row to center k: the space in which the
        clusters are judged, small where a row is close to a center.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to transform, with the features seen by `fit`. A scipy.sparse matrix or array
            is read as CSR, never densified (SoftKMeans takes dense X only).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            Distance of each row to each center, in the centers' dtype; a pandas or polars
            DataFrame instead after ``set_output(transform="pandas")`` or ``"polars"``.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> kmeans = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> print(np.round(kmeans.transform([[0, 0], [12, 3]]), 2))
        [[10.2   2.24]
         [ 2.24 11.05]]
        """
        X_in = X
        X, C, e = self._with_centers(*self._check_test_data(X, with_abs_max=True))
        n_threads = effective_n_threads(self.n_threads)
        sq = (
            _core.sparse_sq_distances(*_csr_args(X), C, n_threads)
            if isinstance(X, _sparse.Csr)
            else _core.sq_distances(X, C, n_threads)
        )
        out = _scale.scale_back(np.sqrt(sq), e, "a distance")
        return self._wrap_output(out, X_in)

    def fit_transform(
        self, X: ArrayLike | SparseMatrix, y: object = None, sample_weight: ArrayLike | None = None
    ) -> Any:
        """Compute clustering and transform X to cluster-distance space.

        The same as ``fit(X, sample_weight=sample_weight).transform(X)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows to cluster and transform, as `fit` takes them.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row, as `fit` takes it; None gives every row weight 1.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            Distance of each row of X to each fitted center, as `transform` gives it; a pandas
            or polars DataFrame instead after ``set_output``.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> distances = KMeans(n_clusters=2, random_state=0).fit_transform(X)
        >>> distances.shape
        (6, 2)
        >>> print(np.round(distances[:2], 2))
        [[9.   0.  ]
         [9.22 2.  ]]
        """
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X: ArrayLike | SparseMatrix, y: object = None, sample_weight: ArrayLike | None = None) -> float:
        """Opposite of the value of X on the K-means objective.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score, with the features seen by `fit`. A scipy.sparse matrix or array is
            read as CSR, never densified.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row; None gives every row weight 1.

        Returns
        -------
        score : float
            Minus the sum of the (weighted) squared distances of the rows of X to their nearest
            fitted center: higher is better, 0 at best.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> kmeans = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> round(kmeans.score(X), 2)
        -16.0
        >>> round(kmeans.score([[0, 0], [12, 3]]), 2)
        -10.0
        """
        X, largest = self._check_test_data(X, with_abs_max=True)
        sw, ew = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        X, C, e = self._with_centers(X, largest)
        n_threads = effective_n_threads(self.n_threads)
        if isinstance(X, _sparse.Csr):  # labels and inertia in one pass over X
            inertia = _core.sparse_nearest(*_csr_args(X), sw, C, n_threads)["inertia"]
        else:
            inertia = _core.inertia(X, sw, C, _assign(X, C, n_threads), n_threads)
        return -float(_scale.scale_back(inertia, 2 * e + ew, "the inertia"))


def _assign(X, C, n_threads):
    """The nearest center of each row of X (an array or a Csr)."""
    if isinstance(X, _sparse.Csr):
        return _core.sparse_assign(*_csr_args(X), C, n_threads)
    return _core.assign(X, C, n_threads)


def k_means(
    X: ArrayLike | SparseMatrix,
    n_clusters: int,
    *,
    sample_weight: ArrayLike | None = None,
    init: Literal["k-means++", "random"] | Callable[..., ArrayLike] | ArrayLike = "k-means++",
    n_init: Literal["auto"] | int = "auto",
    max_iter: int = 300,
    verbose: int = False,
    tol: float = 1e-4,
    random_state: int | np.random.RandomState | None = None,
    copy_x: bool = True,
    algorithm: Literal["lloyd", "elkan", "hamerly", "auto"] = "lloyd",
    return_n_iter: bool = False,
    n_threads: int | None = None,
) -> tuple[NDArray[Any], NDArray[Any], float] | tuple[NDArray[Any], NDArray[Any], float, int]:
    """Perform K-means clustering, as ``sklearn.cluster.k_means``.

    Fits ``KMeans(n_clusters, init=init, ...)`` on X with the given parameters and returns its
    fitted attributes. The parameters mean what they mean for `kmix.KMeans`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows to cluster: a dense array (float32 and float64 are kept, other numeric dtypes
        become float64) or a scipy.sparse matrix or array of any format (converted once to CSR,
        never centred nor densified). No NaN or infinity.
    n_clusters : int
        The number of clusters to form, at least 1 and at most n_samples.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each row, with a positive sum; None gives every row weight 1.
    init : {"k-means++", "random"}, callable or array-like of shape (n_clusters, n_features), default="k-means++"
        How the initial centers are chosen: greedy k-means++ seeding, `n_clusters` rows drawn
        at random, the initial centers themselves, or a callable
        ``init(X, n_clusters, random_state=random_state)`` returning them (see `kmix.KMeans`).
    n_init : "auto" or int, default="auto"
        Number of runs from different seedings; the run of lowest inertia is kept. "auto" is 1
        for "k-means++" and an init array, 10 for "random" and a callable.
    max_iter : int, default=300
        Maximum number of iterations of a single run, at least 1.
    verbose : int, default=False
        0 (or False) prints nothing; any other value prints each iteration's inertia and
        center shift and why each run stopped.
    tol : float, default=1e-4
        Relative tolerance, at least 0: a run stops when the sum of the squared center shifts of
        an iteration is at most `tol` times the mean per-feature variance of X (or when no label
        changes).
    random_state : int, numpy.random.RandomState or None, default=None
        Source of the seeding's random draws: an int in [0, 2**32 - 1] seeds a new RandomState,
        None uses numpy's global one.
    copy_x : bool, default=True
        False lets the fit centre a writeable, C-contiguous float32 or float64 X in place and
        add the mean back before returning, instead of centring a copy.
    algorithm : {"lloyd", "elkan", "hamerly", "auto"}, default="lloyd"
        How the nearest centers are found: all give Lloyd's answers from the same init (see
        `kmix.KMeans`).
    return_n_iter : bool, default=False
        Whether to return the number of iterations of the best run as well.
    n_threads : int, default=None
        Number of OpenMP threads. None follows OpenMP's maximum (``OMP_NUM_THREADS``,
        threadpoolctl's limits); -1 means all CPUs. The result does not depend on it.

    Returns
    -------
    centroid : ndarray of shape (n_clusters, n_features)
        The cluster centers (``cluster_centers_``), in X's dtype.
    label : ndarray of shape (n_samples,)
        Index of the nearest center of each row (``labels_``).
    inertia : float
        Sum of the (weighted) squared distances of the rows to their nearest center
        (``inertia_``).
    best_n_iter : int
        Number of iterations of the best run (``n_iter_``); returned only when
        `return_n_iter` is True.

    See Also
    --------
    kmix.KMeans : The estimator this function fits.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix import k_means
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [10, 2], [10, 4], [10, 0]])
    >>> centroid, label, inertia = k_means(X, n_clusters=2, random_state=0)
    >>> print(np.round(centroid, 2))
    [[10.  2.]
     [ 1.  2.]]
    >>> print(label)
    [1 1 1 0 0 0]
    >>> round(inertia, 2)
    16.0
    """
    if not BOOL.accepts(return_n_iter):
        raise InvalidParameterError(
            f"The 'return_n_iter' parameter of k_means must be {BOOL.words}. Got {return_n_iter!r} instead."
        )
    est = KMeans(
        n_clusters=n_clusters,
        init=init,
        n_init=n_init,
        max_iter=max_iter,
        verbose=verbose,
        tol=tol,
        random_state=random_state,
        copy_x=copy_x,
        algorithm=algorithm,
        n_threads=n_threads,
    )
    est.fit(X, sample_weight=sample_weight)
    if return_n_iter:
        return est.cluster_centers_, est.labels_, est.inertia_, est.n_iter_
    return est.cluster_centers_, est.labels_, est.inertia_
