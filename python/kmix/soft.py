"""kmix.SoftKMeans: k-means with soft assignments, the iterations in C++."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import _core, _scale
from ._threads import effective_n_threads
from ._base import feature_names_of
from ._validation import (
    ARRAY,
    Int,
    Options,
    Real,
    as_float_array,
    c_array,
    check_random_state,
    check_sample_weight,
    validate_params,
)
from .kmeans import KMeans

if TYPE_CHECKING:
    from typing import Any, Literal, TypeVar

    from numpy.typing import ArrayLike, NDArray

    _SoftKMeansT = TypeVar("_SoftKMeansT", bound="SoftKMeans")


class SoftKMeans(KMeans):
    """Soft k-means clustering: k-means with soft (probabilistic) assignments.

    Each row belongs to every cluster with a responsibility

        r(k, n) = exp(-beta * d(c_k, x_n)) / sum_j exp(-beta * d(c_j, x_n)),

    where d is the squared Euclidean distance ||x_n - c_k||^2, and each center moves to the
    responsibility-weighted mean of the rows, c_k = sum_n r(k, n) x_n / sum_n r(k, n) (times
    `sample_weight` when given). The responsibilities are computed with a stable log-sum-exp,
    so large `beta` works: as `beta` grows the assignments harden and the iterations become
    Lloyd's (`kmix.KMeans`). scikit-learn has no such estimator; its API is KMeans's, with
    `predict_proba` added.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters, which is also the number of centers to find: at least 1 and at
        most the number of rows of the X given to `fit`.

    beta : float, default=1.0
        Stiffness of the responsibilities, greater than 0, in units of one over X's squared
        units: a row's responsibilities fall off as exp(-beta * squared distance). Small values
        make the assignments soft (every center is pulled towards the rows of the others); as
        `beta` grows they harden, and a large `beta` (1e4 on blobs of unit spread, say) gives
        KMeans's labels and centers from the same init. A `beta` so large that
        ``beta * ||x - c||^2`` could exceed float64's range raises ValueError.

    init : {"k-means++", "random"} or array-like of shape (n_clusters, n_features), default="k-means++"
        How the initial centers are chosen: "k-means++" is KMeans's greedy k-means++ seeding
        (see `kmix.kmeans_plusplus`), "random" draws `n_clusters` distinct rows of X at random
        (both in proportion to `sample_weight` when given), and an array gives the initial
        centers themselves.

    n_init : int, default=1
        Number of runs from different seedings, at least 1; the run with the highest score
        (see `score`) on X is kept. With an init array a single run is made.

    max_iter : int, default=300
        Maximum number of iterations (responsibilities, then centers) of a single run; at
        least 1.

    tol : float, default=1e-4
        Absolute tolerance, at least 0: a run stops when the sum of the squared center shifts
        of an iteration is at most `tol` (in X's squared units, unlike KMeans's relative
        `tol`). ``tol=0`` runs until the centers stop moving, or `max_iter`.

    random_state : int, numpy.random.RandomState or None, default=None
        Source of the seeding's random draws. An int in [0, 2**32 - 1] seeds a new RandomState
        (pass one for reproducible results); a RandomState is drawn from as it is; None uses
        numpy's global RandomState.

    n_threads : int or None, default=None
        Number of OpenMP threads the kernels use. None follows OpenMP's maximum, which follows
        ``OMP_NUM_THREADS`` and threadpoolctl's limits; a negative value counts back from the
        number of CPUs, as in joblib (-1: all of them); 0 is not allowed. Results do not depend
        on it.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the centers, in X's dtype (float32 for float32 X, float64 otherwise).

    labels_ : ndarray of shape (n_samples,)
        Most responsible cluster (the nearest center) of each training row: ``predict(X)`` on
        the training data.

    n_iter_ : int
        Number of iterations of the best run.

    n_features_in_ : int
        Number of features seen during `fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during `fit`. Defined only when X has feature names that
        are all strings (a pandas or polars DataFrame).

    See Also
    --------
    kmix.KMeans : Hard assignments, the limit of large `beta`.
    kmix.GaussianMixture : Soft assignments with per-cluster weights and covariances.

    Notes
    -----
    SoftKMeans takes dense X only (a scipy.sparse X raises TypeError). Data of any magnitude
    work: for data too large or too small for the squared distances, the fit runs on X scaled
    by a power of two with ``beta * 4**e``, which gives the same responsibilities. Results are
    bit-identical for any number of threads.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix import SoftKMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [10, 2], [10, 4], [10, 0]])
    >>> soft = SoftKMeans(n_clusters=2, beta=0.05, random_state=0).fit(X)
    >>> print(soft.labels_)
    [1 1 1 0 0 0]
    >>> print(np.round(soft.cluster_centers_, 2))
    [[9.82 2.  ]
     [1.18 2.  ]]
    >>> print(np.round(soft.predict_proba([[0, 0], [5.5, 2], [12, 3]]), 2))
    [[0.01 0.99]
     [0.5  0.5 ]
     [1.   0.  ]]
    """

    _fitted_attributes = ("cluster_centers_", "labels_", "n_iter_", "n_features_in_")
    _sparse_input = False  # dense X only (issue 21 covers KMeans and MiniBatchKMeans)
    _parameter_constraints = {
        "n_clusters": [Int(1)],
        "beta": [Real(0, low_open=True)],
        "init": [Options("k-means++", "random"), ARRAY],
        "n_init": [Int(1)],
        "max_iter": [Int(1)],
        "tol": [Real(0)],
        "random_state": KMeans._parameter_constraints["random_state"],
        "n_threads": KMeans._parameter_constraints["n_threads"],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        beta: float = 1.0,
        init: Literal["k-means++", "random"] | ArrayLike = "k-means++",
        n_init: int = 1,
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: int | np.random.RandomState | None = None,
        n_threads: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.beta = beta
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.n_threads = n_threads

    def _check_soft_params(self, X):
        k = self.n_clusters
        if k > X.shape[0]:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={k}.")
        return k, float(self.beta), self._init_kind(), int(self.n_init)

    # SoftKMeans takes dense X only (KMeans's methods also take scipy.sparse X): its X parameters
    # are narrower than KMeans's, hence the ignored [override] errors.
    def fit(
        self: _SoftKMeansT,
        X: ArrayLike,  # type: ignore[override]
        y: object = None,
        sample_weight: ArrayLike | None = None,
    ) -> _SoftKMeansT:
        """Compute soft k-means clustering.

        Runs `n_init` seedings, each followed by soft k-means iterations, keeps the run of
        highest score, and sets ``cluster_centers_``, ``labels_``, ``n_iter_`` and
        ``n_features_in_``. A new call starts afresh.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows to cluster, dense (float32 and float64 are kept, other numeric dtypes
            become float64; a pandas or polars DataFrame sets ``feature_names_in_``). No NaN or
            infinity; at least `n_clusters` rows.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row, with a positive sum: it multiplies the row's
            responsibilities in the centers' means and its term of the score, and weights the
            seeding's draws; integer weights give the same fit as repeated rows. None gives
            every row weight 1.

        Returns
        -------
        self : object
            Fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import SoftKMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> soft = SoftKMeans(n_clusters=2, beta=0.05, random_state=0).fit(X)
        >>> print(soft.labels_)
        [1 1 1 0 0 0]
        >>> soft.n_iter_
        3
        """
        validate_params(self)
        names = feature_names_of(X)
        X, largest = as_float_array(X, "X", with_abs_max=True)
        k, beta, kind, n_init = self._check_soft_params(X)
        n_threads = effective_n_threads(self.n_threads)
        rs = check_random_state(self.random_state)
        sw, _ = check_sample_weight(sample_weight, X.shape[0], X.dtype)  # weights are ratios here
        init_array = self._check_centers(self.init, X, "init") if kind == "array" else None
        # Data beyond the kernels' range of magnitudes: the fit runs on X·2^-e with beta·4^e,
        # the same responsibilities (see _scale).
        if init_array is not None:
            largest = max(largest, _scale.abs_max(init_array))
        _check_beta(beta, largest, X.shape[1])
        e = _scale.exponent(largest, X.dtype)
        X, init_array = _scale.scaled(X, -e), _scale.scaled(init_array, -e)
        beta_e = _beta_at(beta, e)
        with np.errstate(over="ignore"):  # tol is a squared shift: scaled by 4^-e, within float64
            tol_e = min(float(np.ldexp(float(self.tol), -2 * e)), np.finfo(np.float64).max)
        best = None
        for _ in range(1 if kind == "array" else n_init):
            centers0 = c_array(self._init_centroids(X, kind, init_array, sw, rs, n_threads), np.float64)
            run = _core.soft_kmeans(X, sw, centers0, beta_e, self.max_iter, tol_e, n_threads)
            centers, n_iter = run["centers"], run["n_iter"]
            score = self._soft_score(X, sw, centers, beta_e, n_threads)
            if best is None or score > best[2]:
                best = (centers, n_iter, score)
        centers, n_iter, _ = best  # type: ignore[misc]  # (at least one run: best is set)
        centers = _scale.centers_back(centers.astype(X.dtype), e)  # cluster_centers_
        # labels_ from the centers as stored (float32 for float32 X), so that they are predict(X)'s.
        kernel_centers = c_array(_scale.scaled(centers, -e), np.float64)
        labels = _core.soft_assign(X, kernel_centers, beta_e, False, False, True, n_threads)["labels"].astype(np.intp)
        self.cluster_centers_ = centers
        self._remember_centers_magnitude()
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = X.shape[1]
        self._set_feature_names(names)
        self.labels_ = labels
        return self

    @staticmethod
    def _soft_score(X, sw, centers, beta, n_threads):
        """Σ w·log Σ_k exp(−beta·‖x − c_k‖²): score() times beta, to compare runs of one fit
        (not divided by the beta of scaled data, which may be tiny)."""
        lpn = _core.soft_assign(X, centers, beta, True, False, False, n_threads)["log_prob_norm"]
        return float((lpn if sw is None else lpn * sw).sum())

    def _scaled_model(self, X):
        """(X, float64 centers, beta, e) as the kernels take them: X and the centers scaled by
        2^-e when their magnitudes need it, beta by 4^e."""
        X, largest = self._check_test_data(X, with_abs_max=True)
        _check_beta(float(self.beta), max(largest, _scale.abs_max(self.cluster_centers_)), X.shape[1])
        X, C, e = self._with_centers(X, largest)
        return X, c_array(C, np.float64), _beta_at(float(self.beta), e), e

    def predict(self, X: ArrayLike) -> NDArray[Any]:  # type: ignore[override]
        """Predict the most responsible cluster of each row of X.

        The most responsible cluster is the one of the nearest center, whatever `beta`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to label, dense, with the features seen by `fit`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the most responsible cluster of each row.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import SoftKMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> soft = SoftKMeans(n_clusters=2, beta=0.05, random_state=0).fit(X)
        >>> print(soft.predict([[0, 0], [12, 3]]))
        [1 0]
        """
        X, C, beta, _ = self._scaled_model(X)
        return _core.soft_assign(X, C, beta, False, False, True, effective_n_threads(self.n_threads))["labels"].astype(
            np.intp
        )

    def predict_proba(self, X: ArrayLike) -> NDArray[Any]:
        """Responsibility of each cluster for each row of X.

        r(k, n) = exp(-beta * ||x_n - c_k||^2) / sum_j exp(-beta * ||x_n - c_j||^2), computed
        with a stable log-sum-exp.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to assign, dense, with the features seen by `fit`.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_clusters)
            Responsibilities, in the centers' dtype: each row non-negative and summing to 1.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import SoftKMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> soft = SoftKMeans(n_clusters=2, beta=0.05, random_state=0).fit(X)
        >>> print(np.round(soft.predict_proba([[0, 0], [5.5, 2]]), 2))
        [[0.01 0.99]
         [0.5  0.5 ]]
        """
        X, C, beta, _ = self._scaled_model(X)
        return _core.soft_assign(X, C, beta, False, True, False, effective_n_threads(self.n_threads))["resp"]

    def score(
        self,
        X: ArrayLike,  # type: ignore[override]
        y: object = None,
        sample_weight: ArrayLike | None = None,
    ) -> float:
        """Soft k-means objective of X on the fitted centers (higher is better).

        sum_n w_n * (1 / beta) * log sum_k exp(-beta * ||x_n - c_k||^2): minus the soft
        inertia, which tends to minus KMeans's inertia (see `kmix.KMeans.score`) as `beta`
        grows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, dense, with the features seen by `fit`.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight w_n of each row; None gives every row weight 1.

        Returns
        -------
        score : float
            The weighted sum of the rows' soft objective.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import SoftKMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> soft = SoftKMeans(n_clusters=2, beta=0.05, random_state=0).fit(X)
        >>> round(soft.score(X), 2)
        -13.76
        """
        X, C, beta, e = self._scaled_model(X)
        sw, ew = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        # log Σ exp(−beta·d) is the same at any scale; the sum over rows is divided by the
        # caller's beta and carries the weights' scale.
        lpn = _core.soft_assign(X, C, beta, True, False, False, effective_n_threads(self.n_threads))["log_prob_norm"]
        total = float((lpn if sw is None else lpn * sw).sum())
        return float(_scale.scale_back(total / float(self.beta), ew, "the score"))

    def fit_transform(
        self,
        X: ArrayLike,  # type: ignore[override]
        y: object = None,
        sample_weight: ArrayLike | None = None,
    ) -> Any:
        """Compute soft k-means clustering and transform X to cluster-distance space.

        The same as ``fit(X, sample_weight=sample_weight).transform(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows to cluster and transform, dense, as `fit` takes them.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row, as `fit` takes it; None gives every row weight 1.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            Euclidean distance of each row of X to each fitted center; a pandas or polars
            DataFrame instead after ``set_output``.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import SoftKMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> distances = SoftKMeans(n_clusters=2, beta=0.05, random_state=0).fit_transform(X)
        >>> distances.shape
        (6, 2)
        """
        return self.fit(X, sample_weight=sample_weight).transform(X)


def _check_beta(beta, largest, n_features):
    """ValueError when beta·‖x − c‖² can exceed float64 for data whose largest |x| is `largest`
    (distances up to n_features·(2·largest)²): the responsibilities would be NaN."""
    if largest > 0 and math.log2(beta) + math.log2(n_features) + 2 * (math.log2(largest) + 1) > 1020:
        raise ValueError(
            f"beta={beta:g} is too large for data of magnitude {largest:.3g}: beta·‖x − c‖² would "
            "exceed float64 (~1.8e308). Lower beta (or scale X down); for hard assignments use KMeans"
        )


def _beta_at(beta, e):
    """beta for data scaled by 2^-e (beta·4^e: the same beta·‖x − c‖²), kept within float64's
    normal range: beyond it the responsibilities are already hard (or uniform) to rounding."""
    with np.errstate(over="ignore", under="ignore"):
        b = float(np.ldexp(beta, 2 * e))
    return min(max(b, np.finfo(np.float64).tiny), np.finfo(np.float64).max / 4)  # 2·beta stays finite
