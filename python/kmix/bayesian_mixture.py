"""kmix.BayesianGaussianMixture: scikit-learn's variational Gaussian mixture, its passes over X
in C++.

The same parameters, priors, attributes and answers as
``sklearn.mixture.BayesianGaussianMixture`` (Bishop 2006, ch. 10; Blei & Jordan 2006 for the
Dirichlet process): each iteration is one pass of the EM kernel over X with the variational
log-weights (E[log π_k] and the Wishart terms), which returns the sufficient statistics
(N_k, Σ r·x, Σ r·xxᵀ) and Σ w·log p(x); the variational updates and the evidence bound are then
O(k·d³) in numpy, independent of n. The entropy Σ r·log r the bound needs comes from the same
statistics: log r_k = log ρ_k(x) − log p(x), and Σ r_k·log ρ_k(x) is linear in the statistics
(the Mahalanobis part is tr(P_k·Σ r (x − μ_k)(x − μ_k)ᵀ)), so no responsibilities are kept.
Additions: ``sample_weight`` (integer weights act as repeated rows), float32 kept as float32,
``n_threads``.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import TYPE_CHECKING

import numpy as np

from . import _core, _scale
from ._base import BaseEstimator, ConvergenceWarning, feature_names_of, peer_class
from ._threads import effective_n_threads
from ._validation import (
    ARRAY,
    BOOL,
    N_THREADS,
    NONE,
    RANDOM_STATE,
    VERBOSE,
    Int,
    Options,
    Real,
    as_float_array,
    c_array,
    check_finite,
    check_random_state,
    check_sample_weight,
    validate_params,
)
from .mixture import _COV_TYPES, _ILL_DEFINED, _INIT_PARAMS, _MixtureMethods, _cov_shape, _precisions_from_cholesky

if TYPE_CHECKING:
    from typing import Any, Literal

    from numpy.typing import ArrayLike, NDArray

_PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")
_EPS10 = 10 * np.finfo(np.float64).eps  # scikit-learn's guard on N_k (float64's, as GaussianMixture)
_LOG_2PI = math.log(2 * math.pi)


# ---- special functions (numpy has none; scipy is not a dependency) ---------------------------
def digamma(x: ArrayLike) -> NDArray[Any]:
    """Compute the digamma function ψ(x), the derivative of log Γ(x), elementwise for x > 0.

    numpy has no digamma and scipy is not a dependency of kmix: this one serves the variational
    updates of :class:`~kmix.BayesianGaussianMixture`. It is accurate to ~1e-15 relative:
    below 10, ψ(x) = ψ(x + 10) − Σ_{i<10} 1/(x + i); from 10 on, the asymptotic series
    ln x − 1/(2x) − Σ B_2j / (2j·x^2j) to j = 7.

    Parameters
    ----------
    x : array-like
        Positive values, any shape.

    Returns
    -------
    ndarray
        ψ(x), float64, of the shape of ``x``.

    See Also
    --------
    gammaln : The logarithm of the gamma function.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix.bayesian_mixture import digamma
    >>> np.round(digamma([1.0, 2.0, 0.5]), 4)
    array([-0.5772,  0.4228, -1.9635])
    """
    x = np.asarray(x, dtype=np.float64)
    low = x < 10
    shifted = np.where(low, x + 10.0, x)
    out = np.where(low, -(1.0 / (x[..., None] + np.arange(10.0))).sum(axis=-1), 0.0)
    t = 1.0 / (shifted * shifted)
    series = t * (1 / 12 - t * (1 / 120 - t * (1 / 252 - t * (1 / 240 - t * (1 / 132 - t * (691 / 32760 - t / 12))))))
    return out + np.log(shifted) - 0.5 / shifted - series


def gammaln(x: ArrayLike) -> NDArray[Any]:
    """Compute the logarithm of the gamma function, log Γ(x), elementwise for x > 0.

    numpy has no log-gamma and scipy is not a dependency of kmix: this one (``math.lgamma``
    on each value) serves the evidence bound of :class:`~kmix.BayesianGaussianMixture`.

    Parameters
    ----------
    x : array-like
        Positive values, any shape.

    Returns
    -------
    ndarray
        log Γ(x), float64, of the shape of ``x``.

    See Also
    --------
    digamma : The derivative of log Γ(x).

    Examples
    --------
    >>> import numpy as np
    >>> from kmix.bayesian_mixture import gammaln
    >>> np.round(gammaln([1.0, 5.0, 0.5]), 4)
    array([0.    , 3.1781, 0.5724])
    """
    x = np.asarray(x, dtype=np.float64)
    return np.array([math.lgamma(v) for v in x.ravel()]).reshape(x.shape)


def _log_wishart_norm(dof, log_det_chol, d):
    """scikit-learn's log Wishart normaliser without its log π term (per component)."""
    j = np.arange(d)[:, None]
    return -(dof * log_det_chol + dof * d * 0.5 * math.log(2.0) + gammaln(0.5 * (np.atleast_1d(dof) - j)).sum(axis=0))


def _log_det_cholesky(prec_chol, cov_type, d):
    """log det of each precision's Cholesky factor (k values; one for tied)."""
    if cov_type == "full":
        return np.log(np.diagonal(prec_chol, axis1=1, axis2=2)).sum(axis=1)
    if cov_type == "tied":
        return np.log(np.diagonal(prec_chol)).sum()
    if cov_type == "diag":
        return np.log(prec_chol).sum(axis=1)
    return d * np.log(prec_chol)


def _covariance_cholesky(cov, cov_type):
    """Precision Cholesky factors (upper U, U·Uᵀ = cov⁻¹) as scikit-learn: the transposed inverse
    of cov's lower Cholesky factor; ValueError (scikit-learn's words) if cov is not positive
    definite."""
    if cov_type in ("full", "tied"):
        try:
            L = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise ValueError(_ILL_DEFINED) from None
        return c_array(np.swapaxes(np.tril(np.linalg.inv(L)), -1, -2))
    if not (cov > 0).all():
        raise ValueError(_ILL_DEFINED)
    return 1.0 / np.sqrt(cov)


def _unpack_upper(packed, k, d):
    """k symmetric d×d matrices from their upper triangles stored row by row."""
    iu = np.triu_indices(d)
    out = np.zeros((k, d, d))
    out[:, iu[0], iu[1]] = packed.reshape(k, -1)
    out[:, iu[1], iu[0]] = packed.reshape(k, -1)
    return out


class BayesianGaussianMixture(_MixtureMethods, BaseEstimator):
    """Variational Bayesian Gaussian mixture, as scikit-learn's.

    Fits a posterior over the weights (a Dirichlet distribution, or a truncated Dirichlet
    process by stick breaking), the means (Gaussian) and the precisions (Wishart) of a mixture
    of ``n_components`` Gaussians, maximizing the evidence lower bound. Components the data do
    not need end with weights near zero, so ``n_components`` is an upper bound on the number
    of clusters found. It has the parameters, priors, attributes, methods and answers of
    ``sklearn.mixture.BayesianGaussianMixture``, with the passes over the data in C++, and adds
    ``sample_weight``, float32 data kept as float32 and ``n_threads``.

    Parameters
    ----------
    n_components : int, default=1
        The number of components, an upper bound on those the fit uses: at least 1 and at most
        the number of rows given to ``fit``.

    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        The form of the components' covariances:

        - ``"full"``: each component has its own general covariance matrix;
        - ``"tied"``: all components share one general covariance matrix;
        - ``"diag"``: each component has its own diagonal covariance matrix;
        - ``"spherical"``: each component has its own single variance.

    tol : float, default=1e-3
        The convergence threshold, at least 0: iterations stop when the lower bound changes by
        less than ``tol`` (the bound is a total over the rows, not a mean, as in scikit-learn).

    reg_covar : float, default=1e-6
        Non-negative regularization added to the diagonal of each component's empirical
        covariance, keeping them positive definite.

    max_iter : int, default=100
        The largest number of iterations of each initialization, at least 0. With 0 no
        iteration runs: the posterior of the last initialization is kept, as scikit-learn does.

    n_init : int, default=1
        The number of initializations to run, at least 1; the run with the highest lower bound
        is kept.

    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        How the initial responsibilities are computed (as for :class:`GaussianMixture`):

        - ``"kmeans"``: the labels of a :class:`kmix.KMeans` fit (one initialization);
        - ``"k-means++"``: the rows chosen by :func:`kmix.kmeans_plusplus`, one per component,
          as the initial means;
        - ``"random"``: uniformly random responsibilities, normalized per row;
        - ``"random_from_data"``: ``n_components`` rows drawn without replacement, as the
          initial means.

    weight_concentration_prior_type : {"dirichlet_process", "dirichlet_distribution"}, \
default="dirichlet_process"
        The prior on the weights: a Dirichlet process (stick breaking, truncated at
        ``n_components``) or a Dirichlet distribution.

    weight_concentration_prior : float or None, default=None
        The Dirichlet concentration γ, a positive float; None means 1 / ``n_components``.
        Smaller values put the weight on fewer components.

    mean_precision_prior : float or None, default=None
        β₀, the precision of the prior on the means (how tightly they are held to
        ``mean_prior``), a positive float; None means 1.

    mean_prior : array-like of shape (n_features,) or None, default=None
        m₀, the prior on the means; None means the (weighted) mean of X.

    degrees_of_freedom_prior : float or None, default=None
        ν₀, the degrees of freedom of the Wishart prior on the precisions, greater than
        n_features − 1; None means n_features.

    covariance_prior : float, array-like or None, default=None
        The covariance of the Wishart prior: a (n_features, n_features) positive-definite
        matrix for ``"full"`` and ``"tied"``, a positive (n_features,) vector for ``"diag"``, a
        positive float for ``"spherical"``. None means the (weighted, ddof=1) covariance of X
        in that form (for ``"spherical"``, the mean of the variances).

    random_state : int, numpy.random.RandomState or None, default=None
        The source of the initialization's random draws (see ``init_params``) and of
        ``sample``'s. An int (in [0, 2**32 - 1]) gives the same results at every call; None
        uses numpy's global RandomState. kmix draws from it as scikit-learn does, so the same
        ``random_state`` gives scikit-learn's initialization. (``numpy.random.Generator`` is not
        accepted.)

    warm_start : bool, default=False
        If True, each ``fit`` after the first starts from the fitted posterior and runs a
        single initialization (``n_init`` is then ignored). The data must have the same number
        of features, and ``n_components``, ``covariance_type`` and
        ``weight_concentration_prior_type`` must not have changed.

    verbose : int, default=0
        0 prints nothing; 1 prints each initialization, every ``verbose_interval``-th
        iteration number and whether the run converged; 2 (or more) also prints the time since
        the previous printed line, the change of the lower bound over the last iteration, and
        each run's time and final lower bound, as scikit-learn does. A run's iteration lines are
        printed when the run ends.

    verbose_interval : int, default=10
        The number of iterations between printed lines, at least 1.

    n_threads : int or None, default=None
        The number of OpenMP threads of the kernels. None: OpenMP's current maximum, which
        follows ``OMP_NUM_THREADS`` and ``threadpoolctl``; a negative value counts back from
        the number of CPUs (-1: all of them); 0 is refused. Results do not depend on it.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        The weight of each component: its expectation under the posterior (for the Dirichlet
        process, of the truncated stick breaking, normalized to sum to 1).

    means_ : ndarray of shape (n_components, n_features)
        The posterior mean of each component's mean.

    covariances_ : ndarray
        The covariance of each component (the Wishart posterior's scale over its degrees of
        freedom). The shape depends on ``covariance_type``::

            (n_components, n_features, n_features)  if "full"
            (n_features, n_features)                if "tied"
            (n_components, n_features)              if "diag"
            (n_components,)                         if "spherical"

    precisions_ : ndarray
        The inverses of ``covariances_`` (same shape).

    precisions_cholesky_ : ndarray
        The Cholesky factors of the precisions (same shape as ``covariances_``): for
        ``"full"`` and ``"tied"``, upper-triangular U with U·Uᵀ = precision, as scikit-learn's;
        for ``"diag"`` and ``"spherical"``, the square roots of the precisions.

    weight_concentration_prior_ : float
        The Dirichlet concentration γ in use.

    weight_concentration_ : ndarray of shape (n_components,) or tuple of two such arrays
        The posterior's Dirichlet parameters (``"dirichlet_distribution"``), or the parameters
        of the Beta distributions of the stick breaking (``"dirichlet_process"``).

    mean_precision_prior_ : float
        β₀ in use.

    mean_precision_ : ndarray of shape (n_components,)
        β_k, the posterior precision of each component's mean.

    mean_prior_ : ndarray of shape (n_features,)
        m₀ in use.

    degrees_of_freedom_prior_ : float
        ν₀ in use.

    degrees_of_freedom_ : ndarray of shape (n_components,) or float
        ν_k, the posterior's degrees of freedom of each component's Wishart (one float for
        ``"tied"``).

    covariance_prior_ : float or ndarray
        The Wishart prior's covariance in use: (n_features, n_features) for ``"full"`` and
        ``"tied"``, (n_features,) for ``"diag"``, a float for ``"spherical"``.

    converged_ : bool
        True when the best run converged (the lower bound changed by less than ``tol``).

    n_iter_ : int
        The number of iterations of the best run.

    lower_bound_ : float
        The evidence lower bound of the best run's last iteration (a total over the rows).

    lower_bounds_ : list of float of length `n_iter_`
        The lower bound of each iteration of the best run.

    n_features_in_ : int
        The number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        The names of the features seen during ``fit``. Defined only when X has feature names
        that are all strings (a pandas or polars DataFrame).

    See Also
    --------
    GaussianMixture : Gaussian mixture fitted by EM, with a fixed number of components.
    select_k : With ``method="bgmm"``, count the components of a fitted
        ``BayesianGaussianMixture`` whose weight is above a threshold.

    Notes
    -----
    With the same ``random_state`` (or the same initial responsibilities) the posterior,
    ``lower_bound_`` and ``n_iter_`` equal scikit-learn's to ~1e-12 in float64, for the four
    covariance types and both prior types.

    Each iteration is one pass over X: :class:`GaussianMixture`'s C++ kernel with the
    variational log-weights (E[log π_k] and the Wishart terms) returns the sufficient
    statistics and Σ w·log p(x); the digammas, the Wishart normalisers and the evidence bound
    are O(k·d³) in numpy, independent of n. The bound's entropy term comes from the same
    statistics, so no n×k responsibilities are kept.

    ``sample_weight`` (which scikit-learn's has not): integer weights give the same fit as
    repeated rows. Unlike :class:`GaussianMixture`'s, the fit depends on the weights' total
    (the posterior's count of rows); the default ``covariance_prior`` (a covariance with
    ddof=1) needs a total above 1. float32 data give float32 parameters, with sums in float64.
    Results are bit-identical for any thread count.

    There is no ``partial_fit`` (a streaming variational update's answer would differ from
    scikit-learn's; use :meth:`GaussianMixture.partial_fit` for data that arrive in pieces),
    and no ``bic``/``aic``, as in scikit-learn.

    References
    ----------
    C. M. Bishop, "Pattern Recognition and Machine Learning", Springer, 2006, chapter 10.

    D. M. Blei and M. I. Jordan, "Variational inference for Dirichlet process mixtures",
    Bayesian Analysis, 1(1), 121-143, 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix import BayesianGaussianMixture
    >>> rng = np.random.RandomState(0)
    >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
    >>> bgm = BayesianGaussianMixture(n_components=3, random_state=0).fit(X)
    >>> np.round(bgm.weights_, 2)
    array([0.5 , 0.49, 0.  ])
    >>> int((bgm.weights_ > 0.01).sum())
    2
    >>> bgm.predict([[1, 1], [5, 5]])
    array([1, 0])
    """

    _estimator_type = "density_estimator"
    _fitted_attributes = (
        "weights_",
        "means_",
        "covariances_",
        "precisions_",
        "precisions_cholesky_",
        "weight_concentration_",
        "mean_precision_",
        "degrees_of_freedom_",
        "converged_",
        "n_iter_",
        "lower_bound_",
        "lower_bounds_",
        "n_features_in_",
        "weight_concentration_prior_",
        "mean_precision_prior_",
        "mean_prior_",
        "degrees_of_freedom_prior_",
        "covariance_prior_",
    )
    _parameter_constraints = {
        "n_components": [Int(1)],
        "covariance_type": [Options(*_COV_TYPES)],
        "tol": [Real(0)],
        "reg_covar": [Real(0)],
        "max_iter": [Int(0)],
        "n_init": [Int(1)],
        "init_params": [Options(*_INIT_PARAMS)],
        "weight_concentration_prior_type": [Options(*_PRIOR_TYPES)],
        "weight_concentration_prior": [NONE, Real(0, low_open=True)],
        "mean_precision_prior": [NONE, Real(0, low_open=True)],
        "mean_prior": [NONE, ARRAY],
        "degrees_of_freedom_prior": [NONE, Real(0, low_open=True)],
        "covariance_prior": [NONE, ARRAY, Real(0, low_open=True)],
        "random_state": [RANDOM_STATE],
        "warm_start": [BOOL],
        "verbose": [VERBOSE],
        "verbose_interval": [Int(1)],
        "n_threads": [N_THREADS],
    }

    def __init__(
        self,
        *,
        n_components: int = 1,
        covariance_type: Literal["full", "tied", "diag", "spherical"] = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: Literal["kmeans", "k-means++", "random", "random_from_data"] = "kmeans",
        weight_concentration_prior_type: Literal["dirichlet_process", "dirichlet_distribution"] = "dirichlet_process",
        weight_concentration_prior: float | None = None,
        mean_precision_prior: float | None = None,
        mean_prior: ArrayLike | None = None,
        degrees_of_freedom_prior: float | None = None,
        covariance_prior: float | ArrayLike | None = None,
        random_state: int | np.random.RandomState | None = None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        n_threads: int | None = None,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.n_threads = n_threads

    # ---- the priors --------------------------------------------------------------------------
    def _priors(self, X, sw):
        """The priors resolved against X (defaults from its weighted moments), all float64:
        (γ, β₀, m₀, ν₀, covariance prior)."""
        n, d = X.shape
        k = self.n_components
        if k > n:
            raise ValueError(f"Expected n_samples >= n_components but got n_components = {k}, n_samples = {n}")
        gamma = 1.0 / k if self.weight_concentration_prior is None else float(self.weight_concentration_prior)
        beta = 1.0 if self.mean_precision_prior is None else float(self.mean_precision_prior)
        if self.degrees_of_freedom_prior is None:
            nu = float(d)
        elif self.degrees_of_freedom_prior > d - 1.0:
            nu = float(self.degrees_of_freedom_prior)
        else:
            raise ValueError(
                f"The parameter 'degrees_of_freedom_prior' should be greater than {d - 1}, but got "
                f"{self.degrees_of_freedom_prior:.3f}."
            )
        wsum = float(X.shape[0]) if sw is None else float(np.sum(sw, dtype=np.float64))
        mean = None
        if self.mean_prior is None or self.covariance_prior is None:
            w = None if sw is None else sw.astype(np.float64)
            mean = (X.sum(axis=0, dtype=np.float64) if w is None else w @ X) / wsum
        if self.mean_prior is None:
            m0 = mean
        else:
            m0 = self._numeric(self.mean_prior, "mean_prior")
            if m0.shape != (d,):
                raise ValueError(
                    f"The parameter 'means' should have the shape of {(d,)}, but got {m0.shape} "
                    "(mean_prior: shape (n_features,))"
                )
            _scale.check_gmm_magnitude(check_finite(m0, "mean_prior"), name="mean_prior")
            m0 = m0.astype(np.float64)
        cov = (
            self._covariance_prior(X, sw, mean, wsum)
            if self.covariance_prior is None
            else self._given_covariance_prior(d)
        )
        return gamma, beta, m0, nu, cov

    def _covariance_prior(self, X, sw, mean, wsum):
        """The default: X's covariance with ddof=1, weights counting as repeated rows."""
        if not wsum > 1:
            raise ValueError(
                f"sample_weight sums to {wsum:.3g}; the default covariance_prior (the covariance of "
                "X with ddof=1, weights as repeated rows) needs a sum above 1: scale the weights or "
                "give covariance_prior"
            )
        Xc = X.astype(np.float64) - mean
        ct = self.covariance_type
        if ct in ("full", "tied"):
            Xw = Xc if sw is None else Xc * sw.astype(np.float64)[:, None]
            return (Xw.T @ Xc) / (wsum - 1.0)
        var = ((Xc * Xc).sum(axis=0) if sw is None else sw.astype(np.float64) @ (Xc * Xc)) / (wsum - 1.0)
        return var if ct == "diag" else float(var.mean())

    def _given_covariance_prior(self, d):
        ct, value = self.covariance_type, self.covariance_prior
        if ct == "spherical":
            if isinstance(value, np.ndarray) and value.ndim == 0:
                value = self._numeric(value, "covariance_prior").item()
            if isinstance(value, (list, tuple, np.ndarray)) or hasattr(value, "__array__"):
                raise ValueError(
                    f"covariance_prior must be a positive float for covariance_type='spherical'; "
                    f"got an array of shape {np.shape(value)}"
                )
            v = float(value)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(
                    f"covariance_prior must be a finite positive float for covariance_type='spherical'; got {v}"
                )
            return v
        if not (isinstance(value, (list, tuple, np.ndarray)) or hasattr(value, "__array__")):
            want = "a (n_features, n_features) matrix" if ct in ("full", "tied") else "an (n_features,) vector"
            raise ValueError(f"covariance_prior must be {want} for covariance_type={ct!r}; got {value!r}")
        p = self._numeric(value, "covariance_prior").astype(np.float64)
        want = (d, d) if ct in ("full", "tied") else (d,)
        if p.shape != want:
            raise ValueError(
                f"The parameter '{ct} covariance_prior' should have the shape of {want}, but got "
                f"{p.shape} (covariance_prior for covariance_type={ct!r})"
            )
        check_finite(p, "covariance_prior")
        if ct == "diag":
            if not (p > 0).all():
                raise ValueError("'diag precision' should be positive (covariance_prior)")
        elif not (np.allclose(p, p.T) and (np.linalg.eigvalsh(p) > 0).all()):
            raise ValueError(f"'{ct} precision' should be symmetric, positive-definite (covariance_prior)")
        return p

    # ---- fitting -----------------------------------------------------------------------------
    def _fit(self, X, sample_weight):
        validate_params(self)
        names = feature_names_of(X)
        X, largest = as_float_array(X, "X", min_samples=2, with_abs_max=True)
        _scale.check_gmm_magnitude(largest, X.dtype)
        n, d = X.shape
        # Weights enter the posterior in absolute terms (Σw is the effective number of rows):
        # the kernels get them scaled by 2^-e into [0.5, 1) and the statistics are scaled back.
        sw, e = check_sample_weight(sample_weight, n, X.dtype)
        if sw is not None:
            f = math.frexp(float(sw.max()))[1]
            sw, e = _scale.scaled(sw, -f), e + f
        priors = self._priors(X, None if sw is None else np.ldexp(sw.astype(np.float64), e))
        n_threads = effective_n_threads(self.n_threads)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        if not do_init and self.means_.shape != (self.n_components, d):
            raise ValueError(
                f"X has {d} features, but the warm start model has {self.means_.shape[1]} (or "
                "n_components changed): fit without warm_start"
            )
        if not do_init and (
            self.covariances_.shape != _cov_shape(self.covariance_type, self.n_components, d)
            or isinstance(self.weight_concentration_, tuple)
            != (self.weight_concentration_prior_type == "dirichlet_process")
        ):
            raise ValueError(
                "covariance_type or weight_concentration_prior_type changed since the warm start "
                "model was fitted: fit without warm_start"
            )
        n_init = self.n_init if do_init else 1
        rs = check_random_state(self.random_state)
        # The kernels measure from a point near the data: the weighted mean (rows of zero weight
        # far away would otherwise move it and cost digits).
        shift = c_array(
            X.mean(axis=0, dtype=np.float64)
            if sw is None
            else (sw.astype(np.float64) @ X) / np.sum(sw, dtype=np.float64)
        )
        fitter = _Variational(self, X, sw, e, priors, shift, n_threads)
        best, best_bound = None, -np.inf
        for init in range(n_init):
            if self.verbose:
                print(f"Initialization {init}")
            start = time.perf_counter()
            if do_init:
                state = fitter.initial(self._initial_resp(X, sw, rs, n_threads))
                bound0 = -np.inf
            else:
                state = self._fitted_state()
                bound0 = self.lower_bound_
            if self.max_iter == 0:  # as scikit-learn: the last initialization, no bound
                best = (state, 0, False, -np.inf, [])
                continue
            run = fitter.run(state, bound0)
            if self.verbose:
                self._report((None,) + run[1:], bound0, time.perf_counter() - start)
            if run[3] > best_bound or best_bound == -np.inf:
                best, best_bound = run[:5], run[3]
        state, n_iter, converged, bound, bounds = best[:5]
        if not converged and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init parameters, "
                "or increase max_iter, tol, or check for degenerate data.",
                peer_class(ConvergenceWarning),
                stacklevel=3,
            )
        self._store(state, priors, X.dtype)
        self.converged_ = bool(converged)
        self.n_iter_ = int(n_iter)
        self.lower_bound_ = float(bound)
        self.lower_bounds_ = [float(b) for b in bounds]
        self.n_features_in_ = d
        self._set_feature_names(names)
        return X

    def _fitted_state(self):
        f64 = np.float64
        wc = self.weight_concentration_
        wc = (np.asarray(wc[0], f64), np.asarray(wc[1], f64)) if isinstance(wc, tuple) else np.asarray(wc, f64)
        dof = self.degrees_of_freedom_
        return {
            "wc": wc,
            "beta": np.asarray(self.mean_precision_, f64),
            "means": c_array(self.means_, dtype=f64),
            "dof": float(dof) if self.covariance_type == "tied" else np.asarray(dof, f64),
            "cov": np.asarray(self.covariances_, f64),
            "chol": c_array(self.precisions_cholesky_, dtype=f64),
        }

    def _store(self, state, priors, dtype):
        gamma, beta, m0, nu, cov = priors
        wc = state["wc"]
        if self.weight_concentration_prior_type == "dirichlet_process":
            a, b = wc
            total = a + b
            weights = a / total * np.hstack((1.0, np.cumprod(b / total)[:-1]))
            weights /= weights.sum()
            self.weight_concentration_ = (a.astype(dtype), b.astype(dtype))
        else:
            weights = wc / wc.sum()
            self.weight_concentration_ = wc.astype(dtype)
        self.weights_ = weights.astype(dtype)
        self.mean_precision_ = state["beta"].astype(dtype)
        self.means_ = state["means"].astype(dtype)
        dof = state["dof"]
        self.degrees_of_freedom_ = float(dof) if np.ndim(dof) == 0 else dof.astype(dtype)
        self.covariances_ = state["cov"].astype(dtype)
        self.precisions_cholesky_ = state["chol"].astype(dtype)
        self.precisions_ = _precisions_from_cholesky(state["chol"], self.covariance_type).astype(dtype)
        self.weight_concentration_prior_ = gamma
        self.mean_precision_prior_ = beta
        self.mean_prior_ = m0.astype(dtype)
        self.degrees_of_freedom_prior_ = nu
        self.covariance_prior_ = cov if np.ndim(cov) == 0 else np.asarray(cov).astype(dtype)

    # ---- using a fitted model ----------------------------------------------------------------
    def _kernel_weights(self):
        """exp of the variational log-weights the E-step adds to each component's log-density
        (E[log π_k] + ½(E[log det Λ_k] − d/β_k) − ½·d·log ν_k, as scikit-learn)."""
        s = self._fitted_state()
        return np.exp(_log_weights(s["wc"]) + _log_wishart_terms(s["dof"], s["beta"], self.means_.shape[1]))


def _log_weights(wc):
    """E[log π_k]: digammas of the Dirichlet, or of the stick-breaking Betas (wc a pair)."""
    if isinstance(wc, tuple):
        a, b = wc
        total = digamma(a + b)
        return digamma(a) - total + np.hstack((0.0, np.cumsum(digamma(b) - total)[:-1]))
    return digamma(wc) - digamma(np.sum(wc))


def _log_wishart_terms(dof, beta, d):
    """½(E[log det Λ_k] − d·log ν_k − d/β_k) for precisions normalized by ν_k (k values)."""
    j = np.arange(d)[:, None]
    log_lambda = d * math.log(2.0) + digamma(0.5 * (np.atleast_1d(dof) - j)).sum(axis=0)
    return 0.5 * (log_lambda - d / beta) - 0.5 * d * np.log(dof)


class _Variational:
    """One fit's iterations: the pass over X (the EM kernel) and the O(k·d³) updates."""

    def __init__(self, est, X, sw, e, priors, shift, n_threads):
        self.X, self.sw, self.e, self.shift, self.n_threads = X, sw, e, shift, n_threads
        self.gamma, self.beta0, self.m0, self.nu0, self.cov0 = priors
        self.ct, self.code = est.covariance_type, _COV_TYPES[est.covariance_type]
        self.dp = est.weight_concentration_prior_type == "dirichlet_process"
        self.k, self.d = est.n_components, X.shape[1]
        self.reg, self.tol, self.max_iter = float(est.reg_covar), float(est.tol), est.max_iter

    def _stats(self, weights, means, chol, about, resp=None):
        st = _core.gmm_pass_stats(
            self.X, self.sw, self.code, weights, means, chol, self.shift, about, resp, self.n_threads
        )
        if self.e:
            with np.errstate(over="ignore"):
                st = np.ldexp(st, self.e)
            if not np.isfinite(st[0]) or not np.isfinite(st[2:]).all():
                raise ValueError(
                    "sample_weight is too large: the weighted sums of X overflow float64; divide "
                    "the weights by a constant (they count as repeated rows here, so the fit "
                    "changes) or scale X"
                )
        return st

    def initial(self, resp):
        """The posterior after one update from the given responsibilities (scikit-learn's
        _initialize): statistics about their means, from two passes."""
        k, d = self.k, self.d
        dummy = (np.ones(k), np.zeros((k, d)), np.ones(_cov_shape(self.ct, k, d)))
        resp = c_array(resp, dtype=np.float64)
        zero = np.zeros((k, d))
        st = self._stats(*dummy, zero, resp)
        N = st[2 : 2 + k]
        about = c_array(st[2 + k : 2 + k + k * d].reshape(k, d) / (N + _EPS10)[:, None])
        st = self._stats(*dummy, about, resp)
        return self._update(st, about)

    def run(self, state, bound):
        """Iterations from state until the bound moves by less than tol: (state, n_iter,
        converged, bound, bounds, seconds)."""
        bounds, seconds, converged, it = [], [], False, 0
        for it in range(1, self.max_iter + 1):  # noqa: B007 (it: the iterations run, returned)
            start = time.perf_counter()
            previous = bound
            state, bound = self._iteration(state)
            bounds.append(bound)
            seconds.append(time.perf_counter() - start)
            if abs(bound - previous) < self.tol:
                converged = True
                break
        return state, it, converged, bound, bounds, seconds

    def _iteration(self, state):
        k, d, ct = self.k, self.d, self.ct
        weights = np.exp(_log_weights(state["wc"]) + _log_wishart_terms(state["dof"], state["beta"], d))
        means, chol = state["means"], state["chol"]
        about = c_array(means - self.shift)
        st = self._stats(weights, means, chol, about)
        # Σ_i w_i Σ_k r_ik log r_ik = Σ_k N_k·(log weight_k + log det U_k − d/2·log 2π)
        #                             − ½ Σ_k tr(P_k M_k) − Σ_i w_i log p(x_i)
        # with M_k = Σ r (x − μ_k)(x − μ_k)ᵀ; components the kernel saw at weight 0 add nothing.
        N = st[2 : 2 + k]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_norm = np.log(weights) + _log_det_cholesky(chol, ct, d) - 0.5 * d * _LOG_2PI
            resp_log = np.sum(np.where(N > 0, N * log_norm, 0.0))
        resp_log -= 0.5 * self._maha(st, about, chol) + st[1]
        state = self._update(st, about)
        return state, -resp_log + self._bound_terms(state)

    def _maha(self, st, about, chol):
        """Σ_k tr(P_k·M_k): the responsibilities' weighted Mahalanobis sum."""
        k, d, ct = self.k, self.d, self.ct
        N = st[2 : 2 + k]
        S1 = st[2 + k : 2 + k + k * d].reshape(k, d)
        S2 = st[2 + k + k * d :]
        P = _precisions_from_cholesky(chol, ct)
        if ct == "full":
            return float(np.sum(P * _unpack_upper(S2, k, d)))
        if ct == "diag":
            return float(np.sum(P * S2.reshape(k, d)))
        if ct == "spherical":
            return float(np.sum(P * S2.reshape(k, d).sum(axis=1)))
        tri = d * (d + 1) // 2
        T = _unpack_upper(S2[:tri], 1, d)[0]
        cross = S1.T @ about
        M = T - cross - cross.T - (N[:, None] * about).T @ about
        return float(np.sum(P * M))

    def _moments(self, st, about):
        """N_k + 10·eps, the means x̄_k (X's coordinates) and the covariances S_k (+ reg_covar)
        of the responsibilities behind st, as scikit-learn's _estimate_gaussian_parameters."""
        k, d, ct = self.k, self.d, self.ct
        N = st[2 : 2 + k]
        S1 = st[2 + k : 2 + k + k * d].reshape(k, d)
        S2 = st[2 + k + k * d :]
        nk = N + _EPS10
        mean = about * (N / nk)[:, None] + S1 / nk[:, None]  # shifted coordinates
        delta = mean - about
        if ct == "full":
            outer = delta[:, :, None] * S1[:, None, :]
            sk = (
                _unpack_upper(S2, k, d)
                - outer
                - np.swapaxes(outer, 1, 2)
                + N[:, None, None] * delta[:, :, None] * delta[:, None, :]
            ) / nk[:, None, None]
            sk += self.reg * np.eye(d)
        elif ct == "tied":
            # scikit-learn's (Σ w·xxᵀ − Σ nk·x̄x̄ᵀ) / Σ nk about the shift s (nothing large cancels):
            # T − M + s·(m − a)ᵀ + (m − a)·sᵀ + (Σw − Σnk)·ssᵀ (see gmm_driver.cpp's m_step).
            tri = d * (d + 1) // 2
            T = _unpack_upper(S2[:tri], 1, d)[0]
            ma = S2[tri:] - nk @ mean
            s = self.shift
            M = (nk[:, None] * mean).T @ mean
            sk = (T - M + np.outer(s, ma) + np.outer(ma, s) + (st[0] - nk.sum()) * np.outer(s, s)) / nk.sum()
            sk += self.reg * np.eye(d)
        else:
            var = (S2.reshape(k, d) - 2.0 * delta * S1 + N[:, None] * delta * delta) / nk[:, None] + self.reg
            sk = var if ct == "diag" else var.mean(axis=1)
        return nk, mean + self.shift, sk

    def _update(self, st, about):
        """The variational M-step (scikit-learn's _estimate_weights, _means and _precisions)."""
        nk, xk, sk = self._moments(st, about)
        k, ct = self.k, self.ct
        if self.dp:
            wc = (1.0 + nk, self.gamma + np.hstack((np.cumsum(nk[::-1])[-2::-1], 0.0)))
        else:
            wc = self.gamma + nk
        beta = self.beta0 + nk
        means = (self.beta0 * self.m0 + nk[:, None] * xk) / beta[:, None]
        diff = xk - self.m0
        if ct == "full":
            dof = self.nu0 + nk
            cov = (
                self.cov0
                + nk[:, None, None] * sk
                + (nk * self.beta0 / beta)[:, None, None] * diff[:, :, None] * diff[:, None, :]
            )
            cov /= dof[:, None, None]
        elif ct == "tied":
            dof = self.nu0 + nk.sum() / k
            cov = self.cov0 + sk * nk.sum() / k + self.beta0 / k * np.dot((nk / beta) * diff.T, diff)
            cov /= dof
        elif ct == "diag":
            dof = self.nu0 + nk
            cov = self.cov0 + nk[:, None] * (sk + (self.beta0 / beta)[:, None] * np.square(diff))
            cov /= dof[:, None]
        else:
            dof = self.nu0 + nk
            cov = self.cov0 + nk * (sk + self.beta0 / beta * np.mean(np.square(diff), 1))
            cov /= dof
        return {
            "wc": wc,
            "beta": beta,
            "means": c_array(means),
            "dof": dof,
            "cov": cov,
            "chol": _covariance_cholesky(cov, ct),
        }

    def _bound_terms(self, state):
        """The evidence bound without its entropy term (scikit-learn's _compute_lower_bound)."""
        d, ct = self.d, self.ct
        dof = state["dof"]
        log_det = _log_det_cholesky(state["chol"], ct, d) - 0.5 * d * np.log(dof)
        if ct == "tied":
            log_wishart = self.k * float(_log_wishart_norm(dof, log_det, d)[0])
        else:
            log_wishart = float(np.sum(_log_wishart_norm(dof, log_det, d)))
        if self.dp:
            a, b = state["wc"]
            log_norm_weight = -float(np.sum(gammaln(a) + gammaln(b) - gammaln(a + b)))
        else:
            wc = state["wc"]
            log_norm_weight = float(gammaln(np.sum(wc)) - np.sum(gammaln(wc)))
        return -log_wishart - log_norm_weight - 0.5 * d * float(np.sum(np.log(state["beta"])))
