"""kmix.SoftKMeans: k-means with soft assignments, the iterations in C++."""
import numpy as np

from . import _core
from ._threads import effective_n_threads
from ._validation import as_float_array, check_int, check_random_state, check_real, check_sample_weight
from .kmeans import KMeans


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

    def __init__(self, n_clusters=8, *, beta=1.0, init="k-means++", n_init=1, max_iter=300, tol=1e-4,
                 random_state=None, n_threads=None):
        self.n_clusters = n_clusters
        self.beta = beta
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.n_threads = n_threads

    def _check_soft_params(self, X):
        k = check_int(self.n_clusters, "n_clusters", low=1)
        if k > X.shape[0]:
            raise ValueError(f"n_clusters={k} must be <= n_samples={X.shape[0]}")
        beta = check_real(self.beta, "beta")
        if not beta > 0:
            raise ValueError(f"beta must be > 0; got {beta}")
        check_int(self.max_iter, "max_iter", low=1)
        check_real(self.tol, "tol", low=0)
        n_init = check_int(self.n_init, "n_init", low=1)
        return k, beta, self._init_kind(), n_init

    def fit(self, X, y=None, sample_weight=None):
        """Soft k-means on X (n_samples, n_features)."""
        X = as_float_array(X, "X")
        k, beta, kind, n_init = self._check_soft_params(X)
        if kind == "callable":
            raise TypeError("SoftKMeans init must be 'k-means++', 'random' or an array")
        n_threads = effective_n_threads(self.n_threads)
        rs = check_random_state(self.random_state)
        sw = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        init_array = self._check_centers(self.init, X, "init") if kind == "array" else None
        best = None
        for _ in range(1 if kind == "array" else n_init):
            centers0 = self._init_centroids(X, kind, init_array, sw, rs, n_threads).astype(np.float64)
            centers, n_iter, _ = _core.soft_kmeans(X, sw, centers0, beta, self.max_iter, float(self.tol),
                                                   n_threads)
            score = self._soft_score(X, sw, centers, beta, n_threads)
            if best is None or score > best[2]:
                best = (centers, n_iter, score)
        centers, n_iter, _ = best
        self.cluster_centers_ = centers.astype(X.dtype)
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = X.shape[1]
        self.labels_ = _core.soft_assign(X, centers, beta, False, False, True, n_threads)[2].astype(np.intp)
        return self

    @staticmethod
    def _soft_score(X, sw, centers, beta, n_threads):
        lpn = _core.soft_assign(X, centers, beta, True, False, False, n_threads)[0]
        return float((lpn if sw is None else lpn * sw).sum() / beta)

    def _centers64(self):
        return np.asarray(self.cluster_centers_, dtype=np.float64)

    def predict(self, X):
        """The most responsible cluster of each row of X (the nearest center)."""
        X = self._check_test_data(X)
        return _core.soft_assign(X, self._centers64(), float(self.beta), False, False, True,
                                 effective_n_threads(self.n_threads))[2].astype(np.intp)

    def predict_proba(self, X):
        """Responsibilities r(k, n) of each cluster for each row of X, shape (n_samples, n_clusters)."""
        X = self._check_test_data(X)
        return _core.soft_assign(X, self._centers64(), float(self.beta), False, True, False,
                                 effective_n_threads(self.n_threads))[1]

    def score(self, X, y=None, sample_weight=None):
        """Σ_n w_n · (1/beta) · log Σ_k exp(-beta·||x_n - c_k||²): minus the soft inertia, which
        tends to minus KMeans's inertia as beta grows (higher is better)."""
        X = self._check_test_data(X)
        sw = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        return self._soft_score(X, sw, self._centers64(), float(self.beta), effective_n_threads(self.n_threads))

    def fit_transform(self, X, y=None, sample_weight=None):
        return self.fit(X, sample_weight=sample_weight).transform(X)
