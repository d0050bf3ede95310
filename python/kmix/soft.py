"""kmix.SoftKMeans: k-means with soft assignments, the iterations in C++."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import _core, _scale
from ._threads import effective_n_threads
from ._base import feature_names_of
from ._validation import (ARRAY, Int, Options, Real, as_float_array, c_array, check_random_state, check_sample_weight,
                          validate_params)
from .kmeans import KMeans

if TYPE_CHECKING:
    from typing import Any, Literal, TypeVar

    from numpy.typing import ArrayLike, NDArray

    _SoftKMeansT = TypeVar("_SoftKMeansT", bound="SoftKMeans")


class SoftKMeans(KMeans):
    """Soft k-means.

    Each point belongs to every cluster with responsibility

        r(k, n) = exp(-beta * d(c_k, x_n)) / sum_j exp(-beta * d(c_j, x_n)),

    where d is the squared Euclidean distance ||x_n - c_k||^2, and each center moves to the
    responsibility-weighted mean of the points, c_k = sum_n r(k, n) x_n / sum_n r(k, n) (times
    sample_weight when given). The responsibilities are computed with a stable log-sum-exp, so
    large beta works: as beta grows the assignments harden and the iterations become Lloyd's.

    Parameters
    ----------
    n_clusters : int, default=8
    beta : float, default=1.0
        Stiffness, > 0.
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features)
    n_init : int, default=1
        Seedings tried; the one with the best score wins.
    max_iter : int, default=300
    tol : float, default=1e-4
        Stop when the sum of squared center shifts of an iteration is <= tol; tol=0 runs until the
        centers stop moving (or max_iter).
    random_state : None, int or numpy RandomState
    n_threads : int or None, default=None

    Attributes
    ----------
    cluster_centers_, labels_ (most responsible cluster), n_iter_, n_features_in_
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

    def __init__(self, n_clusters: int = 8, *, beta: float = 1.0,
                 init: Literal["k-means++", "random"] | ArrayLike = "k-means++", n_init: int = 1,
                 max_iter: int = 300, tol: float = 1e-4, random_state: int | np.random.RandomState | None = None,
                 n_threads: int | None = None) -> None:
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
    def fit(self: _SoftKMeansT, X: ArrayLike, y: object = None,  # type: ignore[override]
            sample_weight: ArrayLike | None = None) -> _SoftKMeansT:
        """Soft k-means on X (n_samples, n_features)."""
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
        """The most responsible cluster of each row of X (the nearest center)."""
        X, C, beta, _ = self._scaled_model(X)
        return _core.soft_assign(X, C, beta, False, False, True, effective_n_threads(self.n_threads))["labels"].astype(np.intp)

    def predict_proba(self, X: ArrayLike) -> NDArray[Any]:
        """Responsibilities r(k, n) of each cluster for each row of X, shape (n_samples, n_clusters)."""
        X, C, beta, _ = self._scaled_model(X)
        return _core.soft_assign(X, C, beta, False, True, False, effective_n_threads(self.n_threads))["resp"]

    def score(self, X: ArrayLike, y: object = None,  # type: ignore[override]
              sample_weight: ArrayLike | None = None) -> float:
        """Σ_n w_n · (1/beta) · log Σ_k exp(-beta·||x_n - c_k||²): minus the soft inertia, which
        tends to minus KMeans's inertia as beta grows (higher is better)."""
        X, C, beta, e = self._scaled_model(X)
        sw, ew = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        # log Σ exp(−beta·d) is the same at any scale; the sum over rows is divided by the
        # caller's beta and carries the weights' scale.
        lpn = _core.soft_assign(X, C, beta, True, False, False, effective_n_threads(self.n_threads))["log_prob_norm"]
        total = float((lpn if sw is None else lpn * sw).sum())
        return float(_scale.scale_back(total / float(self.beta), ew, "the score"))

    def fit_transform(self, X: ArrayLike, y: object = None,  # type: ignore[override]
                      sample_weight: ArrayLike | None = None) -> Any:
        return self.fit(X, sample_weight=sample_weight).transform(X)


def _check_beta(beta, largest, n_features):
    """ValueError when beta·‖x − c‖² can exceed float64 for data whose largest |x| is `largest`
    (distances up to n_features·(2·largest)²): the responsibilities would be NaN."""
    if largest > 0 and math.log2(beta) + math.log2(n_features) + 2 * (math.log2(largest) + 1) > 1020:
        raise ValueError(f"beta={beta:g} is too large for data of magnitude {largest:.3g}: beta·‖x − c‖² would "
                         "exceed float64 (~1.8e308). Lower beta (or scale X down); for hard assignments use KMeans")


def _beta_at(beta, e):
    """beta for data scaled by 2^-e (beta·4^e: the same beta·‖x − c‖²), kept within float64's
    normal range: beyond it the responsibilities are already hard (or uniform) to rounding."""
    with np.errstate(over="ignore", under="ignore"):
        b = float(np.ldexp(beta, 2 * e))
    return min(max(b, np.finfo(np.float64).tiny), np.finfo(np.float64).max / 4)  # 2·beta stays finite
