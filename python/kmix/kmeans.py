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
from ._validation import (ARRAY, CALLABLE, N_THREADS, RANDOM_STATE, VERBOSE, BOOL, Int, InvalidParameterError,
                          Options, Real, as_float_array, c_array, check_finite, check_int, check_random_state,
                          check_sample_weight, validate_params)

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

    From whole fits on this project's 2-core AVX2 machine (same init, Lloyd's answers from each):
    below 16 clusters the bounds save little and cost their upkeep ("lloyd"); from 48 features up,
    Elkan's k bounds per row prune where Hamerly's one bound does not (overlapping blobs at
    (50k, 128, 256) float32: Elkan 1.35x Lloyd, Hamerly 0.93x), as long as the n·k bounds stay
    within 128 MB; otherwise "hamerly" (3.1x Lloyd at (100k, 16, 100) with separated blobs,
    1.8x at (100k, 16, 32), 0.9-1.07x where blobs overlap), whose bounds are O(n).
    """
    if n_clusters < 16:
        return "lloyd"
    if n_features >= 48 and 4 * n_samples * n_clusters <= _ELKAN_AUTO_BYTES:
        return "elkan"
    return "hamerly"


def kmeans_plusplus(X: ArrayLike | SparseMatrix, n_clusters: int, *, sample_weight: ArrayLike | None = None,
                    x_squared_norms: ArrayLike | None = None,
                    random_state: int | np.random.RandomState | None = None, n_local_trials: int | None = None,
                    n_threads: int | None = None) -> tuple[NDArray[Any], NDArray[Any]]:
    """Greedy k-means++ seeding, as ``sklearn.cluster.kmeans_plusplus``.

    Returns (centers, indices): the chosen rows of X and their indices. With the same
    random_state it picks the same rows as scikit-learn. x_squared_norms is accepted for
    compatibility and not needed.
    """
    sparse = _sparse.is_sparse(X)
    X, largest = (_sparse.as_csr if sparse else as_float_array)(X, "X", with_abs_max=True)
    k = check_int(n_clusters, "n_clusters", low=1)
    if k > X.shape[0]:
        raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={k}.")
    if x_squared_norms is not None and np.shape(x_squared_norms)[:1] != X.shape[:1]:
        n_norms = np.shape(x_squared_norms)[0] if np.ndim(x_squared_norms) else "of a scalar"
        raise ValueError(f"The length of x_squared_norms {n_norms} should be equal to the length of "
                         f"n_samples {X.shape[0]}.")
    sw, _ = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    if sw is None:
        sw = np.ones(X.shape[0], dtype=X.dtype)
    trials = None if n_local_trials is None else check_int(n_local_trials, "n_local_trials", low=1)
    # Seeding is equivariant under scaling by a power of two: the same rows at any magnitude.
    e = _scale.exponent(largest, X.dtype)
    idx = _seed_kmeans_plusplus(X.scaled(-e) if sparse else _scale.scaled(X, -e), k, sw,
                                check_random_state(random_state), effective_n_threads(n_threads), trials)
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
        warnings.warn(f"Number of distinct clusters ({distinct}) found smaller than n_clusters ({k}). "
                      "Possibly due to duplicate points in X.", peer_class(ConvergenceWarning), stacklevel=stacklevel)


class KMeans(TransformerOutput, BaseEstimator):
    """K-means clustering (Lloyd's algorithm), scikit-learn compatible.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"}, callable or array of shape (n_clusters, n_features)
        A callable is called as ``init(X, n_clusters, random_state=RandomState)``.
    n_init : "auto" or int, default="auto"
        Runs from different seeds; the lowest inertia wins. "auto" is 1 for "k-means++" and
        arrays, 10 for "random" and callables.
    max_iter : int, default=300
    tol : float, default=1e-4
        Relative tolerance: iterations stop when the sum of squared center shifts is at most
        ``tol`` times the mean per-feature variance of X.
    verbose : int, default=0
        Print one line per iteration (inertia, center shift).
    random_state : None, int or numpy RandomState
    copy_x : bool, default=True
        False lets fit centre X in place and restore it afterwards (when X is already a
        C-contiguous float array).
    algorithm : {"lloyd", "elkan", "hamerly", "auto"}, default="lloyd"
        How the nearest centers are found; all give Lloyd's answers (labels, ``n_iter_``,
        centers) from the same init. "elkan" keeps Elkan's triangle-inequality bounds
        (n_samples x n_clusters of them, float32) to skip distances; "hamerly" keeps Hamerly's
        two per row (float32: 8 bytes a row), best at low dimension and many well-separated clusters;
        "auto" picks by (n_samples, n_features, n_clusters) as measured (see
        :func:`kmix.kmeans.choose_algorithm`). On sparse X, every choice runs the sparse Lloyd iterations.
    n_threads : int or None, default=None
        OpenMP threads; None follows OMP_NUM_THREADS / threadpoolctl. Results do not depend on it.

    Attributes
    ----------
    cluster_centers_, labels_, inertia_, n_iter_, n_features_in_
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

    def __init__(self, n_clusters: int = 8, *,
                 init: Literal["k-means++", "random"] | Callable[..., ArrayLike] | ArrayLike = "k-means++",
                 n_init: Literal["auto"] | int = "auto", max_iter: int = 300, tol: float = 1e-4,
                 verbose: int = 0, random_state: int | np.random.RandomState | None = None, copy_x: bool = True,
                 algorithm: Literal["lloyd", "elkan", "hamerly", "auto"] = "lloyd",
                 n_threads: int | None = None) -> None:
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
            warnings.warn(f"Explicit initial center position passed: performing only one init in "
                          f"{type(self).__name__} instead of n_init={n_init}.", RuntimeWarning, stacklevel=stacklevel)
            n_init = 1
        return n_init

    def _check_centers(self, centers, X, name):
        centers = as_float_array(centers, name, dtype=X.dtype, copy=True)
        # scikit-learn's words, naming the parameter.
        if centers.shape[0] != self.n_clusters:
            raise ValueError(f"The shape of the initial centers {centers.shape} ({name}) does not match the number "
                             f"of clusters {self.n_clusters}.")
        if centers.shape[1] != X.shape[1]:
            raise ValueError(f"The shape of the initial centers {centers.shape} ({name}) does not match the number "
                             f"of features of the data {X.shape[1]}.")
        return centers

    # ---- fitting -----------------------------------------------------------------------------
    def fit(self: _KMeansT, X: ArrayLike | SparseMatrix, y: object = None,
            sample_weight: ArrayLike | None = None) -> _KMeansT:
        """Compute k-means clustering of X (n_samples, n_features): an array, or a scipy.sparse
        matrix or array (converted once to CSR, never centred nor densified, as in scikit-learn)."""
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
            warnings.warn("algorithm='elkan' doesn't make sense for a single cluster. Using 'lloyd' instead.",
                          RuntimeWarning, stacklevel=2)
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
                X, kind, init_array, sw, rs, n_threads, n_init, tol,
                lambda centers0: fit_one(X, sw, centers0, self.max_iter, tol, bool(self.verbose), n_threads,
                                         true_mean))
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
            warnings.warn("algorithm='elkan' doesn't make sense for a single cluster. Using 'lloyd' instead.",
                          RuntimeWarning, stacklevel=3)
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
            X, kind, init_array, sw, rs, n_threads, n_init, tol,
            lambda centers0: _core.sparse_lloyd(*_csr_args(X), sw, centers0, self.max_iter, tol,
                                                bool(self.verbose), n_threads))
        return self._set_fitted(centers, labels, inertia, n_iter, e, ew, X.shape[1], n_init, None, stacklevel=5)

    def _check_random_draw(self, sw, k, dtype):
        """init="random" with weights: enough rows that the weighted draw can pick."""
        if sw is None:
            return
        with np.errstate(under="ignore"):  # the draw's probabilities, in X's dtype
            drawable = np.count_nonzero(sw / sw.sum())
        if drawable < k:
            raise ValueError(f"init='random' needs at least n_clusters={k} samples with positive "
                             f"sample_weight; got {drawable} (a weight so much smaller than the total that "
                             f"its probability is 0 in {dtype} counts as zero, as in scikit-learn's draw)")

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
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{centers.shape[1]} features as input")
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
        """Index of the nearest cluster center for each row of X."""
        centers = getattr(self, "cluster_centers_", None)
        # Short path for the common case of an already-clean array (one-row serving latency).
        if (type(X) is np.ndarray and centers is not None and "feature_names_in_" not in self.__dict__
                and X.dtype == centers.dtype and X.ndim == 2
                and X.shape[0] > 0 and X.shape[1] == centers.shape[1] and X.flags.c_contiguous
                and X.flags.aligned):
            largest = check_finite(X, "X")
        else:
            X, largest = self._check_test_data(X, with_abs_max=True)
        X, C, _ = self._with_centers(X, largest)
        return _assign(X, C, effective_n_threads(self.n_threads))

    def fit_predict(self, X: ArrayLike | SparseMatrix, y: object = None,
                    sample_weight: ArrayLike | None = None) -> NDArray[Any]:
        return self.fit(X, sample_weight=sample_weight).labels_

    # transform's result: an array, or a pandas or polars data frame after set_output (hence Any).
    def transform(self, X: ArrayLike | SparseMatrix) -> Any:
        """Euclidean distance of each row of X to each center, shape (n_samples, n_clusters)."""
        X_in = X
        X, C, e = self._with_centers(*self._check_test_data(X, with_abs_max=True))
        n_threads = effective_n_threads(self.n_threads)
        sq = (_core.sparse_sq_distances(*_csr_args(X), C, n_threads) if isinstance(X, _sparse.Csr)
              else _core.sq_distances(X, C, n_threads))
        out = _scale.scale_back(np.sqrt(sq), e, "a distance")
        return self._wrap_output(out, X_in)

    def fit_transform(self, X: ArrayLike | SparseMatrix, y: object = None,
                      sample_weight: ArrayLike | None = None) -> Any:
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X: ArrayLike | SparseMatrix, y: object = None, sample_weight: ArrayLike | None = None) -> float:
        """Opposite of the (weighted) inertia of X on the fitted centers."""
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


def k_means(X: ArrayLike | SparseMatrix, n_clusters: int, *, sample_weight: ArrayLike | None = None,
            init: Literal["k-means++", "random"] | Callable[..., ArrayLike] | ArrayLike = "k-means++",
            n_init: Literal["auto"] | int = "auto", max_iter: int = 300, verbose: int = False, tol: float = 1e-4,
            random_state: int | np.random.RandomState | None = None, copy_x: bool = True,
            algorithm: Literal["lloyd", "elkan", "hamerly", "auto"] = "lloyd", return_n_iter: bool = False,
            n_threads: int | None = None
            ) -> tuple[NDArray[Any], NDArray[Any], float] | tuple[NDArray[Any], NDArray[Any], float, int]:
    """K-means clustering as a function, as ``sklearn.cluster.k_means``: fits
    ``KMeans(n_clusters, ...)`` on X and returns (cluster_centers_, labels_, inertia_), and
    n_iter_ too with return_n_iter=True. The parameters are KMeans's."""
    if not BOOL.accepts(return_n_iter):
        raise InvalidParameterError(f"The 'return_n_iter' parameter of k_means must be {BOOL.words}. "
                                    f"Got {return_n_iter!r} instead.")
    est = KMeans(n_clusters=n_clusters, init=init, n_init=n_init, max_iter=max_iter, verbose=verbose, tol=tol,
                 random_state=random_state, copy_x=copy_x, algorithm=algorithm, n_threads=n_threads)
    est.fit(X, sample_weight=sample_weight)
    if return_n_iter:
        return est.cluster_centers_, est.labels_, est.inertia_, est.n_iter_
    return est.cluster_centers_, est.labels_, est.inertia_
