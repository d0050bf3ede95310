"""kmix.GaussianMixture: scikit-learn's GaussianMixture with EM in C++.

Same parameters, attributes and answers as ``sklearn.mixture.GaussianMixture``: the same
initializations (drawing from the numpy RandomState the way scikit-learn does), the same EM
steps (the lower bound of an iteration is the mean log-likelihood of the parameters it starts
from; iterations stop when it changes by less than tol), the same regularization and the same
choice among n_init runs. Additions: ``sample_weight`` in fit (integer weights act as repeated
rows), float32 kept as float32, ``n_threads``, and ``partial_fit`` (online EM over batches).

``kmix.mixture`` is scikit-learn's import path (``sklearn.mixture``) for
``kmix.GaussianMixture`` and ``kmix.BayesianGaussianMixture``.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from typing import TYPE_CHECKING

import numpy as np

from . import _core, _scale
from ._base import BaseEstimator, ConvergenceWarning, peer_class
from ._threads import effective_n_threads
from ._base import feature_names_of
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
    check_int,
    check_random_state,
    check_sample_weight,
    validate_params,
)

if TYPE_CHECKING:
    from typing import Any, Literal, TypeVar

    from numpy.typing import ArrayLike, NDArray

    _MixtureT = TypeVar("_MixtureT", bound="_MixtureMethods")
    _GaussianMixtureT = TypeVar("_GaussianMixtureT", bound="GaussianMixture")

_COV_TYPES = {"full": 0, "tied": 1, "diag": 2, "spherical": 3}
_INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")


def _cov_shape(cov_type, k, d):
    return {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[cov_type]


def _flip_cholesky(precision):
    """Upper-triangular U with U·Uᵀ = precision (Cholesky of the matrix with rows and columns
    reversed, reversed back), as scikit-learn's precisions_cholesky_."""
    return np.linalg.cholesky(precision[::-1, ::-1])[::-1, ::-1]


def _precisions_to_cholesky(precisions, cov_type):
    if cov_type == "full":
        return c_array(np.stack([_flip_cholesky(p) for p in precisions]))
    if cov_type == "tied":
        return c_array(_flip_cholesky(precisions))
    return np.sqrt(precisions)


def _precisions_to_covariances(precisions, cov_type):
    if cov_type in ("full", "tied"):
        return np.linalg.inv(precisions)
    return 1.0 / precisions


class _MixtureMethods:
    """What GaussianMixture and BayesianGaussianMixture share: the initial responsibilities, the
    array checks of the *_init and prior parameters, and every method of a fitted mixture (an
    E-step of the kernel with the log-weights the subclass gives in ``_kernel_weights``)."""

    if TYPE_CHECKING:  # what the mixture classes (BaseEstimator subclasses) that use it have
        n_components: int
        covariance_type: Literal["full", "tied", "diag", "spherical"]
        random_state: int | np.random.RandomState | None
        means_: NDArray[Any]
        weights_: NDArray[Any]
        covariances_: NDArray[Any]

        def _fit(self, X: ArrayLike, sample_weight: ArrayLike | None) -> NDArray[Any]: ...
        def _check_fitted(self) -> None: ...

    def fit(self: _MixtureT, X: ArrayLike, y: object = None, sample_weight: ArrayLike | None = None) -> _MixtureT:
        """Estimate the model's parameters from X.

        Runs ``n_init`` initializations (one, from the fitted model, with ``warm_start`` after a
        first fit), each iterated until the lower bound changes by less than ``tol`` or
        ``max_iter`` iterations are done: EM for :class:`~kmix.GaussianMixture`, the
        variational updates for :class:`~kmix.BayesianGaussianMixture`. The run with the
        highest lower bound is kept.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data, at least 2 rows, finite. float32 and float64 are used as they
            are (float32 gives float32 parameters); other numeric types are converted to
            float64. Sparse matrices are refused.
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row; None gives every row weight 1. Integer weights
            give the same fit as repeated rows. (scikit-learn's mixtures have no
            ``sample_weight``.)

        Returns
        -------
        self : object
            Fitted estimator.

        Warns
        -----
        kmix.ConvergenceWarning
            If the best run did not converge within ``max_iter`` iterations (``max_iter > 0``).

        See Also
        --------
        fit_predict : Fit, then label each row of X with its most probable component.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
        >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        >>> gm.converged_
        True
        >>> np.round(gm.means_, 2)
        array([[4.99, 5.09],
               [1.01, 1.05]])
        """
        self._fit(X, sample_weight)
        return self

    def fit_predict(self, X: ArrayLike, y: object = None, sample_weight: ArrayLike | None = None) -> NDArray[Any]:
        """Estimate the model's parameters from X, then label each row of X.

        The same as ``fit(X, sample_weight=sample_weight).predict(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data, at least 2 rows, finite. float32 and float64 are used as they
            are; other numeric types are converted to float64.
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row; None gives every row weight 1. Integer weights
            give the same fit as repeated rows.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The most probable component of each row of X under the fitted model.

        Warns
        -----
        kmix.ConvergenceWarning
            If the best run did not converge within ``max_iter`` iterations (``max_iter > 0``).

        See Also
        --------
        fit : Estimate the model's parameters.
        predict : Label rows with a fitted model.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
        >>> labels = GaussianMixture(n_components=2, random_state=0).fit_predict(X)
        >>> print(labels[:3], labels[-3:])
        [1 1 1] [0 0 0]
        """
        X = self._fit(X, sample_weight)
        return self._score(X, labels=True)[2].astype(np.intp)  # as predict's (and scikit-learn's)

    @staticmethod
    def _numeric(value, name):
        if isinstance(value, (str, bytes)):
            raise TypeError(f"{name} must be a numeric array; got a string")
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric; got dtype {arr.dtype}")
        return arr

    def _initial_resp(self, X, sw, rs, n_threads):
        """Responsibilities (n×k, float64) from init_params, drawing from rs as scikit-learn does."""
        n, k = X.shape[0], self.n_components
        resp = np.zeros((n, k))
        if self.init_params == "kmeans":
            from .kmeans import KMeans

            labels = (
                KMeans(n_clusters=k, n_init=1, random_state=rs, n_threads=n_threads).fit(X, sample_weight=sw).labels_
            )
            resp[np.arange(n), labels] = 1
        elif self.init_params == "k-means++":
            from .kmeans import kmeans_plusplus

            _, indices = kmeans_plusplus(X, k, sample_weight=sw, random_state=rs, n_threads=n_threads)
            resp[indices, np.arange(k)] = 1
        elif self.init_params == "random":
            # Drawn, cast and normalized in X's dtype, as scikit-learn does.
            r = rs.uniform(size=(n, k)).astype(X.dtype, copy=False)
            r /= r.sum(axis=1)[:, np.newaxis]
            resp[:] = r
        else:  # random_from_data
            indices = rs.choice(n, size=k, replace=False)
            resp[indices, np.arange(k)] = 1
        return resp

    def _report(self, run, bound0, elapsed):
        _, n_iter, converged, bound, bounds, seconds = run
        previous, lapse = bound0, 0.0
        for it, (b, sec) in enumerate(zip(bounds, seconds), start=1):
            lapse += sec
            if it % self.verbose_interval == 0:
                if self.verbose == 1:
                    print(f"  Iteration {it}")
                else:
                    print(f"  Iteration {it}\t time lapse {lapse:.5f}s\t ll change {b - previous:.5f}")
                    lapse = 0.0
            previous = b
        status = "converged" if converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {status}.")
        else:
            print(f"Initialization {status}. time lapse {elapsed:.5f}s\t lower bound {bound:.5f}.")

    def _score(self, X, log_prob=False, resp=False, labels=False):
        """One E-step on the fitted parameters: (log p(x), responsibilities, labels), each None
        unless asked for."""
        self._check_fitted()
        means = self.means_
        # Short path for an already-clean array (one-row serving latency).
        if "feature_names_in_" in self.__dict__ or type(X) is not np.ndarray:
            self._check_feature_names(X)
        if not (
            type(X) is np.ndarray
            and X.dtype == means.dtype
            and X.ndim == 2
            and X.shape[0] > 0
            and X.shape[1] == means.shape[1]
            and X.flags.c_contiguous
            and X.flags.aligned
        ):
            X, largest = as_float_array(X, "X", dtype=means.dtype, with_abs_max=True)
            if X.shape[1] != means.shape[1]:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                    f"{means.shape[1]} features as input"
                )
        else:
            largest = check_finite(X, "X")
        _scale.check_gmm_magnitude(largest, X.dtype)
        f64 = np.float64
        r = _core.gmm_score(
            X,
            _COV_TYPES[self.covariance_type],
            self._kernel_weights(),
            c_array(means, dtype=f64),
            c_array(self.precisions_cholesky_, dtype=f64),
            log_prob,
            resp,
            labels,
            effective_n_threads(self.n_threads),
        )
        return r["log_prob_norm"], r["resp"], r["labels"]

    def score_samples(self, X: ArrayLike) -> NDArray[Any]:
        """Compute the log-likelihood of each row of X under the fitted mixture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the number of features (and the column names, if any) seen by ``fit``;
            finite.

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
            log p(x) of each row, in the dtype of ``means_`` (float32 for a model fitted on
            float32 data).

        See Also
        --------
        score : Mean log-likelihood of X.
        predict_proba : Posterior probability of each component for each row.

        Notes
        -----
        The log-sum-exp over the components takes out the row's maximum, so it is stable for
        rows far from every component; a row whose density underflows under every component
        gets -inf.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
        >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        >>> np.round(gm.score_samples([[1, 1], [5, 5]]), 2)
        array([-1.16, -1.22])
        """
        return self._score(X, log_prob=True)[0].astype(self.means_.dtype, copy=False)

    def score(self, X: ArrayLike, y: object = None, sample_weight: ArrayLike | None = None) -> float:
        """Compute the mean log-likelihood of X under the fitted mixture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the number of features (and the column names, if any) seen by ``fit``;
            finite.
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row for the mean; None gives every row weight 1.

        Returns
        -------
        log_likelihood : float
            The (weighted) mean of ``score_samples(X)``, computed in float64 whatever the
            dtype of the model.

        See Also
        --------
        score_samples : Log-likelihood of each row.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
        >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        >>> round(gm.score(X), 2)
        -2.18
        """
        lpn = self._score(X, log_prob=True)[0]
        if sample_weight is None:
            return float(lpn.mean())
        sw = _scale.normalized_weights(check_sample_weight(sample_weight, lpn.shape[0], np.float64)[0])
        return float(np.dot(sw, lpn) / sw.sum())

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """Predict the most probable component of each row of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the number of features (and the column names, if any) seen by ``fit``;
            finite.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The index of the component of largest posterior probability of each row, in
            ``[0, n_components)``.

        See Also
        --------
        predict_proba : Posterior probability of each component for each row.

        Notes
        -----
        Ties go to the lowest index; a row whose density underflows under every component gets
        label 0.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
        >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        >>> gm.predict([[1, 1], [5, 5]])
        array([1, 0])
        """
        return self._score(X, labels=True)[2].astype(np.intp)

    def predict_proba(self, X: ArrayLike) -> NDArray[Any]:
        """Compute the posterior probability of each component for each row of X.

        These are the responsibilities of the E-step under the fitted parameters.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the number of features (and the column names, if any) seen by ``fit``;
            finite.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            The probability of each component given each row; each row sums to 1. In the
            dtype of ``means_``.

        See Also
        --------
        predict : The most probable component of each row.

        Notes
        -----
        A row whose density underflows under every component gets equal probabilities.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
        >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        >>> np.round(gm.predict_proba([[1, 1], [5, 5]]), 2)
        array([[0., 1.],
               [1., 0.]])
        """
        return self._score(X, resp=True)[1]

    def sample(self, n_samples: int = 1) -> tuple[NDArray[Any], NDArray[Any]]:
        """Generate random samples from the fitted mixture.

        The number of samples of each component is drawn from a multinomial distribution of
        the weights, then each component's samples from its Gaussian. The samples come grouped
        by component, in component order.

        Parameters
        ----------
        n_samples : int, default=1
            The number of samples to draw, at least 1.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The samples, float64.
        y : ndarray of shape (n_samples,)
            The component each sample was drawn from.

        Raises
        ------
        ValueError
            If ``n_samples`` is below 1.

        See Also
        --------
        score_samples : Log-likelihood of each row under the mixture.

        Notes
        -----
        The draws come from ``random_state`` as scikit-learn draws them, so the same
        parameters and ``random_state`` give scikit-learn's samples. With an int
        ``random_state``, every call draws the same samples.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
        >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        >>> X_new, y_new = gm.sample(6)
        >>> X_new.shape
        (6, 2)
        >>> y_new
        array([0, 0, 0, 1, 1, 1])
        """
        self._check_fitted()
        n_samples = check_int(n_samples, "n_samples")
        if n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples}. The sampling requires at least one "
                "sample (n_samples >= 1)."
            )
        d = self.means_.shape[1]
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_)
        # The fitted arrays as they are (float32 stays float32 until the end), as scikit-learn.
        means, covs = self.means_, self.covariances_
        if self.covariance_type == "full":
            X = np.vstack([rng.multivariate_normal(m, c, int(s)) for m, c, s in zip(means, covs, counts)])
        elif self.covariance_type == "tied":
            X = np.vstack([rng.multivariate_normal(m, covs, int(s)) for m, s in zip(means, counts)])
        else:
            X = np.vstack([m + rng.standard_normal(size=(s, d)) * np.sqrt(c) for m, c, s in zip(means, covs, counts)])
        X = X.astype(np.float64, copy=False)
        y = np.concatenate([np.full(int(s), j, dtype=np.int64) for j, s in enumerate(counts)])
        return X, y


class GaussianMixture(_MixtureMethods, BaseEstimator):
    """Gaussian mixture model fitted by expectation-maximization (EM), as scikit-learn's.

    A mixture of ``n_components`` Gaussian distributions whose weights, means and covariances
    are estimated by EM. It has the parameters, attributes, methods and answers of
    ``sklearn.mixture.GaussianMixture``, with EM's passes over the data in C++, and adds
    ``sample_weight``, float32 data kept as float32, ``n_threads`` and ``partial_fit`` (online
    EM over batches).

    Parameters
    ----------
    n_components : int, default=1
        The number of mixture components, at least 1 and at most the number of rows given to
        ``fit``.

    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        The form of the components' covariances:

        - ``"full"``: each component has its own general covariance matrix;
        - ``"tied"``: all components share one general covariance matrix;
        - ``"diag"``: each component has its own diagonal covariance matrix;
        - ``"spherical"``: each component has its own single variance.

    tol : float, default=1e-3
        The convergence threshold, at least 0: EM stops when the lower bound (the mean
        log-likelihood) changes by less than ``tol`` from one iteration to the next.

    reg_covar : float, default=1e-6
        Non-negative regularization added to the diagonal of every covariance, keeping them
        positive definite.

    max_iter : int, default=100
        The largest number of EM iterations of each initialization, at least 0. With 0 no EM
        iteration runs: the initial parameters are kept (those of the last initialization), as
        scikit-learn does.

    n_init : int, default=1
        The number of initializations to run, at least 1; the run with the highest lower bound
        is kept.

    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        How the initial parameters are computed (from initial responsibilities, as
        scikit-learn does), for those not given by ``weights_init``, ``means_init`` and
        ``precisions_init``:

        - ``"kmeans"``: the labels of a :class:`kmix.KMeans` fit (one initialization);
        - ``"k-means++"``: the rows chosen by :func:`kmix.kmeans_plusplus`, one per component,
          as the initial means;
        - ``"random"``: uniformly random responsibilities, normalized per row;
        - ``"random_from_data"``: ``n_components`` rows drawn without replacement, as the
          initial means.

    weights_init : array-like of shape (n_components,), default=None
        The initial weights: in [0, 1], summing to 1. None: computed as ``init_params`` says.

    means_init : array-like of shape (n_components, n_features), default=None
        The initial means. None: computed as ``init_params`` says.

    precisions_init : array-like, default=None
        The initial precisions (inverses of the covariances): symmetric positive-definite
        matrices for ``"full"`` and ``"tied"``, positive values for ``"diag"`` and
        ``"spherical"``. None: computed as ``init_params`` says. The shape depends on
        ``covariance_type``::

            (n_components, n_features, n_features)  if "full"
            (n_features, n_features)                if "tied"
            (n_components, n_features)              if "diag"
            (n_components,)                         if "spherical"

    random_state : int, numpy.random.RandomState or None, default=None
        The source of the initialization's random draws (see ``init_params``) and of
        ``sample``'s. An int (in [0, 2**32 - 1]) gives the same results at every call; None
        uses numpy's global RandomState. kmix draws from it as scikit-learn does, so the same
        ``random_state`` gives scikit-learn's initialization. (``numpy.random.Generator`` is not
        accepted.)

    warm_start : bool, default=False
        If True, each ``fit`` after the first starts from the fitted parameters and runs a
        single EM run (``n_init`` is then ignored). The data must have the same number of
        features.

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

    learning_decay : float, default=0.7
        The step-size exponent κ of ``partial_fit``, in (0.5, 1]: step t (t = 1, 2, ...)
        blends the batch's sufficient statistics into the running ones with weight
        η_t = (t + 2)^-κ; the first call (t = 0) takes its batch's statistics alone. Not used
        by ``fit``.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        The weight of each component; they sum to 1.

    means_ : ndarray of shape (n_components, n_features)
        The mean of each component.

    covariances_ : ndarray
        The covariance of each component. The shape depends on ``covariance_type``::

            (n_components, n_features, n_features)  if "full"
            (n_features, n_features)                if "tied"
            (n_components, n_features)              if "diag"
            (n_components,)                         if "spherical"

    precisions_ : ndarray
        The precisions, the inverses of ``covariances_`` (same shape).

    precisions_cholesky_ : ndarray
        The Cholesky factors of the precisions (same shape as ``covariances_``): for
        ``"full"`` and ``"tied"``, upper-triangular U with U·Uᵀ = precision, as scikit-learn's;
        for ``"diag"`` and ``"spherical"``, the square roots of the precisions.

    converged_ : bool
        True when the best run of ``fit`` converged (the lower bound changed by less than
        ``tol``). Always False after ``partial_fit``.

    n_iter_ : int
        The number of EM iterations of the best run; after ``partial_fit``, the number of steps
        taken so far.

    lower_bound_ : float
        The lower bound of the best run's last iteration: the mean log-likelihood (weighted by
        ``sample_weight``) of the training data under the parameters that iteration started
        from. After ``partial_fit``, the batch's mean log-likelihood before the step.

    lower_bounds_ : list of float of length `n_iter_`
        The lower bound of each iteration of the best run (after ``partial_fit``, the last
        step's only).

    n_features_in_ : int
        The number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        The names of the features seen during ``fit``. Defined only when X has feature names
        that are all strings (a pandas or polars DataFrame).

    See Also
    --------
    BayesianGaussianMixture : Gaussian mixture fitted by variational inference, which chooses
        its number of components.
    KMeans : K-means clustering (the default initialization).
    select_k : Choose the number of components by BIC or AIC.

    Notes
    -----
    With the same ``random_state`` (or the same ``weights_init``, ``means_init`` and
    ``precisions_init``), the parameters, ``lower_bound_``, ``n_iter_``, ``bic``/``aic``,
    ``predict_proba`` and ``score_samples`` agree with scikit-learn's to ~1e-12 in float64.

    Each EM iteration is one pass over X in C++: log-densities through the Cholesky factors of
    the precisions, a log-sum-exp with the row maximum taken out (stable for points far from
    every component), and the M-step's weighted sums, in chunks of rows. Memory is
    O(chunk·(k + d)) per thread plus k·d² sums, never n×k×d. Second moments are taken about
    the previous means, so nothing large cancels when the data sit far from the origin.

    float32 data give float32 parameters; every sum is float64, so a float32 fit equals the
    float64 fit of the same data to float32 rounding. Results are bit-identical for any
    thread count.

    Where kmix differs from scikit-learn on purpose: with ``reg_covar=0``, a component on a
    single point (or on identical points) raises scikit-learn's ill-defined-covariance
    ``ValueError`` (which says to increase ``reg_covar``) instead of carrying on with
    rounding as variance; float64 data beyond 2^480 (~3e144) raise a ``ValueError`` naming the
    limit (the covariances would overflow; ``reg_covar`` has units, so the data are not
    rescaled).

    Examples
    --------
    >>> import numpy as np
    >>> from kmix import GaussianMixture
    >>> rng = np.random.RandomState(0)
    >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> np.round(gm.means_, 2)
    array([[4.99, 5.09],
           [1.01, 1.05]])
    >>> np.round(gm.weights_, 2)
    array([0.5, 0.5])
    >>> gm.predict([[1, 1], [5, 5]])
    array([1, 0])
    """

    _estimator_type = "density_estimator"
    _fitted_attributes = (
        "weights_",
        "means_",
        "covariances_",
        "precisions_",
        "precisions_cholesky_",
        "converged_",
        "n_iter_",
        "lower_bound_",
        "lower_bounds_",
        "n_features_in_",
    )
    _parameter_constraints = {
        "n_components": [Int(1)],
        "covariance_type": [Options(*_COV_TYPES)],
        "tol": [Real(0)],
        "reg_covar": [Real(0)],
        "max_iter": [Int(0)],
        "n_init": [Int(1)],
        "init_params": [Options(*_INIT_PARAMS)],
        "weights_init": [ARRAY, NONE],
        "means_init": [ARRAY, NONE],
        "precisions_init": [ARRAY, NONE],
        "random_state": [RANDOM_STATE],
        "warm_start": [BOOL],
        "verbose": [VERBOSE],
        "verbose_interval": [Int(1)],
        "n_threads": [N_THREADS],
        "learning_decay": [Real(0.5, 1, low_open=True)],
    }

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: Literal["full", "tied", "diag", "spherical"] = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: Literal["kmeans", "k-means++", "random", "random_from_data"] = "kmeans",
        weights_init: ArrayLike | None = None,
        means_init: ArrayLike | None = None,
        precisions_init: ArrayLike | None = None,
        random_state: int | np.random.RandomState | None = None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        n_threads: int | None = None,
        learning_decay: float = 0.7,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.n_threads = n_threads
        self.learning_decay = learning_decay

    # ---- parameters --------------------------------------------------------------------------
    def _check_params(self, X):
        n, d = X.shape
        k = self.n_components
        if k > n:
            raise ValueError(f"Expected n_samples >= n_components but got n_components = {k}, n_samples = {n}")
        return k, self._check_weights_init(k), self._check_means_init(k, d), self._check_precisions_init(k, d)

    def _check_weights_init(self, k):
        if self.weights_init is None:
            return None
        w = self._numeric(self.weights_init, "weights_init")
        if w.shape != (k,):
            raise ValueError(
                f"The parameter 'weights' should have the shape of {(k,)}, but got {w.shape} "
                "(weights_init: shape (n_components,))"
            )
        check_finite(w, "weights_init")
        if (w < 0).any() or (w > 1).any():
            # scikit-learn's words, with min and max the right way round (its message swaps them)
            raise ValueError(
                f"The parameter 'weights' should be in the range [0, 1], but got min value "
                f"{w.min():.5f}, max value {w.max():.5f} (weights_init)"
            )
        atol = 1e-6 if w.dtype == np.float32 else 1e-8
        if abs(1.0 - float(w.sum(dtype=np.float64))) > atol:
            raise ValueError(
                f"The parameter 'weights' should be normalized, but got sum(weights) = "
                f"{float(w.sum(dtype=np.float64)):.5f} (weights_init must sum to 1)"
            )
        return w.astype(np.float64)

    def _check_means_init(self, k, d):
        if self.means_init is None:
            return None
        m = self._numeric(self.means_init, "means_init")
        if m.shape != (k, d):
            raise ValueError(
                f"The parameter 'means' should have the shape of {(k, d)}, but got {m.shape} "
                "(means_init: shape (n_components, n_features))"
            )
        _scale.check_gmm_magnitude(check_finite(m, "means_init"), name="means_init")
        return m.astype(np.float64)

    def _check_precisions_init(self, k, d):
        if self.precisions_init is None:
            return None
        ct = self.covariance_type
        p = self._numeric(self.precisions_init, "precisions_init").astype(np.float64)
        want = _cov_shape(ct, k, d)
        if p.shape != want:
            raise ValueError(
                f"The parameter '{ct} precision' should have the shape of {want}, but got {p.shape} "
                f"(precisions_init for covariance_type={ct!r})"
            )
        check_finite(p, "precisions_init")
        if ct in ("full", "tied"):
            for i, mat in enumerate(p.reshape(-1, d, d)):
                which = f", component {i}" if ct == "full" else ""
                if not (np.allclose(mat, mat.T) and (np.linalg.eigvalsh(mat) > 0).all()):
                    raise ValueError(
                        f"'{ct} precision' should be symmetric, positive-definite (precisions_init{which})"
                    )
        elif not (p > 0).all():
            raise ValueError(f"'{ct} precision' should be positive (precisions_init)")
        return p

    # ---- fitting -----------------------------------------------------------------------------
    def _fit(self, X, sample_weight):
        validate_params(self)
        self.__dict__.pop("_online", None)  # a new fit: partial_fit starts again from its next batch
        names = feature_names_of(X)
        X, largest = as_float_array(X, "X", min_samples=2, with_abs_max=True)
        _scale.check_gmm_magnitude(largest, X.dtype)
        k, weights_init, means_init, precisions_init = self._check_params(X)
        # Weights enter only as ratios: scaled to order one (exactly, so no result changes) they
        # keep every weighted sum in range.
        sw = _scale.normalized_weights(check_sample_weight(sample_weight, X.shape[0], X.dtype)[0])
        n_threads = effective_n_threads(self.n_threads)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        if not do_init and self.means_.shape[1] != X.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, but the warm start model has {self.means_.shape[1]}")
        n_init = self.n_init if do_init else 1
        rs = check_random_state(self.random_state)

        with _ill_defined_covariance():
            best, best_bound = self._runs(
                X, sw, rs, n_threads, n_init, do_init, weights_init, means_init, precisions_init
            )
        params, n_iter, converged, _, bounds, _ = best
        self._store_fit(params, n_iter, converged, best_bound, bounds, X, names)
        return X

    def partial_fit(
        self: _GaussianMixtureT, X: ArrayLike, y: object = None, sample_weight: ArrayLike | None = None
    ) -> _GaussianMixtureT:
        """Run one step of online (stepwise) EM on the batch X, for data that arrive in pieces.

        The E-step runs on the batch with the current parameters; its sufficient statistics
        (per unit of weight) are blended into the running ones,
        s ← (1 − η_t)·s + η_t·s_batch with η_t = (t + 2)^-κ at step t = 1, 2, ... and
        κ = ``learning_decay`` (Cappé & Moulines 2009), and the M-step runs on the blend. The
        first call (t = 0) starts from the parameters ``init_params`` (or the ``*_init``
        arrays) gives on its batch, or from a fitted model's, and takes that batch's statistics
        alone: on all the data as one batch, ``partial_fit(X)`` is ``fit(X)`` with
        ``max_iter=1``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The batch, finite: at least 2 rows for the first call of a model not yet fitted,
            at least 1 afterwards, with the number of features (and column names, if any) seen
            before. float32 and float64 are used as they are.
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row of the batch, with a positive sum; None gives every
            row weight 1.

        Returns
        -------
        self : object
            The estimator, updated by the batch.

        Raises
        ------
        ValueError
            If ``n_components`` or ``covariance_type`` changed since the model was fitted, or
            the batch has another number of features.

        See Also
        --------
        fit : EM to convergence on the whole data.

        Notes
        -----
        Between calls the estimator keeps only the running statistics, O(k·d²). After each
        call, ``lower_bound_`` is the batch's mean log-likelihood before the step, ``n_iter_``
        the number of steps so far and ``converged_`` False. A later ``fit`` starts afresh and
        forgets the statistics. A pickled model carries the statistics; a model file
        (``save``) keeps the parameters only, so ``partial_fit`` after :func:`kmix.load`
        starts again from them as from a fitted model. On data from a known mixture, one pass
        of batches of 1,000 rows reaches a batch fit's mean log-likelihood to within 1%
        (tested). scikit-learn's ``GaussianMixture`` has no ``partial_fit``.

        References
        ----------
        O. Cappé and E. Moulines, "On-line expectation-maximization algorithm for latent data
        models", Journal of the Royal Statistical Society: Series B, 71(3), 593-613, 2009.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
        >>> gm = GaussianMixture(n_components=2, random_state=0)
        >>> order = np.random.RandomState(1).permutation(len(X))
        >>> for batch in np.array_split(order, 5):
        ...     _ = gm.partial_fit(X[batch])
        >>> gm.n_iter_
        5
        >>> gm.predict([[1, 1], [5, 5]])
        array([1, 0])
        """
        validate_params(self)
        online = self.__dict__.get("_online")
        fitted = hasattr(self, "means_")
        names = feature_names_of(X)
        if fitted:
            self._check_feature_names(X)
        X, largest = as_float_array(X, "X", min_samples=1 if fitted else 2, with_abs_max=True)
        _scale.check_gmm_magnitude(largest, X.dtype)
        n, d = X.shape
        if fitted and d != self.means_.shape[1]:
            raise ValueError(
                f"X has {d} features, but {type(self).__name__} is expecting {self.means_.shape[1]} features as input"
            )
        sw = _scale.normalized_weights(check_sample_weight(sample_weight, n, X.dtype)[0])
        if sw is not None and not np.sum(sw, dtype=np.float64) > 0:
            raise ValueError("sample_weight must have a positive sum; all weights are zero")
        n_threads = effective_n_threads(self.n_threads)
        ct, code = self.covariance_type, _COV_TYPES[self.covariance_type]
        with _ill_defined_covariance():
            if fitted:
                if self.means_.shape[0] != self.n_components or self.covariances_.shape != _cov_shape(
                    ct, self.n_components, d
                ):
                    raise ValueError(
                        "n_components or covariance_type changed since the model was fitted; call fit instead"
                    )
                params = tuple(
                    c_array(a, dtype=np.float64)
                    for a in (self.weights_, self.means_, self.covariances_, self.precisions_cholesky_)
                )
            else:
                k, weights_init, means_init, precisions_init = self._check_params(X)
                rs = check_random_state(self.random_state)
                params = self._initial_params(X, sw, rs, n_threads, weights_init, means_init, precisions_init)
            weights, means, _, prec_chol = params
            floor = (64 * np.finfo(np.float64).eps * np.abs(X).max(axis=0).astype(np.float64)) ** 2
            if online is None:  # the frame of the statistics: the first batch's column means
                shift = c_array(X.mean(axis=0, dtype=np.float64))
            else:
                shift, floor = online["shift"], np.maximum(online["floor"], floor)
            about = c_array(means - shift)
            st = _core.gmm_pass_stats(X, sw, code, weights, means, prec_chol, shift, about, None, n_threads)
            bound = st[1] / st[0]
            st = st / st[0]
            steps = 0 if online is None else online["steps"]
            if steps:  # (so online is set: mypy cannot tell)
                eta = (steps + 2.0) ** -float(self.learning_decay)
                st = (
                    (1.0 - eta) * _stats_moved(online["stats"], online["about"], about, ct)  # type: ignore[index]
                    + eta * st
                )
            k = means.shape[0]
            new = _params_of(
                _core.gmm_m_step(c_array(st), code, k, d, about, shift, c_array(floor), float(self.reg_covar), False)
            )
        self._set_params(new, X.dtype)
        self._online = {"shift": shift, "about": about, "stats": st, "floor": floor, "steps": steps + 1}
        self.converged_ = False
        self.n_iter_ = steps + 1
        self.lower_bound_ = float(bound)
        self.lower_bounds_ = [float(bound)]
        self.n_features_in_ = d
        if not fitted:
            self._set_feature_names(names)
        return self

    def _runs(self, X, sw, rs, n_threads, n_init, do_init, weights_init, means_init, precisions_init):
        """The n_init EM runs (one from the fitted model with warm_start): the best run and its bound."""
        ct = self.covariance_type
        best, best_bound = None, -np.inf
        for init in range(n_init):
            if self.verbose:
                print(f"Initialization {init}")
            start = time.perf_counter()
            if do_init:
                params = self._initial_params(X, sw, rs, n_threads, weights_init, means_init, precisions_init)
                bound0 = -np.inf
            else:
                params = tuple(
                    c_array(a, dtype=np.float64)
                    for a in (self.weights_, self.means_, self.covariances_, self.precisions_cholesky_)
                )
                bound0 = self.lower_bound_
            if self.max_iter == 0:  # as scikit-learn: no bound to choose by, the last init stays
                best = (params, 0, False, bound0, [], [])
                continue
            weights, means, _, prec_chol = params
            r = _core.gmm_em(
                X,
                sw,
                _COV_TYPES[ct],
                weights,
                means,
                prec_chol,
                self.max_iter,
                float(self.tol),
                float(self.reg_covar),
                bound0,
                n_threads,
            )
            run = (_params_of(r), r["n_iter"], r["converged"], r["lower_bound"], r["lower_bounds"], r["seconds"])
            if self.verbose:
                self._report(run, bound0, time.perf_counter() - start)
            if run[3] > best_bound or best_bound == -np.inf:
                best, best_bound = run, run[3]
        return best, best_bound

    def _store_fit(self, params, n_iter, converged, bound, bounds, X, names=None):
        """The fitted attributes from the best run (and scikit-learn's warning if it did not
        converge)."""
        if not converged and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init parameters, "
                "or increase max_iter, tol, or check for degenerate data.",
                peer_class(ConvergenceWarning),
                stacklevel=4,
            )
        self._set_params(params, X.dtype)
        self.converged_ = bool(converged)
        self.n_iter_ = int(n_iter)
        self.lower_bound_ = float(bound)
        self.lower_bounds_ = [float(b) for b in bounds]
        self.n_features_in_ = X.shape[1]
        self._set_feature_names(names)

    def _initial_params(self, X, sw, rs, n_threads, weights_init, means_init, precisions_init):
        """(weights, means, covariances or None, precisions_cholesky) in float64, as scikit-learn
        initializes them; the random state is drawn from only when something is not given."""
        ct = self.covariance_type
        weights = means = covariances = prec_chol = None
        if weights_init is None or means_init is None or precisions_init is None:
            resp = self._initial_resp(X, sw, rs, n_threads)
            weights, means, covariances, prec_chol = _params_of(
                _core.gmm_estimate(X, sw, resp, _COV_TYPES[ct], float(self.reg_covar), n_threads)
            )
        return self._with_given_inits(
            (weights, means, covariances, prec_chol), weights_init, means_init, precisions_init
        )

    def _with_given_inits(self, params, weights_init, means_init, precisions_init):
        """params (weights, means, covariances, prec_chol) with the given inits put in their place."""
        weights, means, covariances, prec_chol = params
        if weights_init is not None:
            weights = weights_init
        if means_init is not None:
            means = means_init
        if precisions_init is not None:
            ct = self.covariance_type
            try:
                prec_chol = _precisions_to_cholesky(precisions_init, ct)
            except np.linalg.LinAlgError:
                raise ValueError(f"'{ct} precision' should be symmetric, positive-definite (precisions_init)") from None
            covariances = _precisions_to_covariances(precisions_init, ct)
        return (
            c_array(weights, dtype=np.float64),
            c_array(means, dtype=np.float64),
            covariances,
            c_array(prec_chol, dtype=np.float64),
        )

    def _set_params(self, params, dtype):
        weights, means, covariances, prec_chol = params
        ct = self.covariance_type
        if covariances is None:  # max_iter=0 with precisions_init
            covariances = _precisions_to_covariances(_precisions_from_cholesky(prec_chol, ct), ct)
        self.weights_ = np.asarray(weights, dtype=dtype)
        self.means_ = np.asarray(means, dtype=dtype)
        self.covariances_ = np.asarray(covariances, dtype=dtype)
        self.precisions_cholesky_ = np.asarray(prec_chol, dtype=dtype)
        self.precisions_ = _precisions_from_cholesky(np.asarray(prec_chol, dtype=np.float64), ct).astype(dtype)

    def _kernel_weights(self):
        return c_array(self.weights_, dtype=np.float64)

    # ---- model selection ---------------------------------------------------------------------
    def _n_parameters(self):
        k, d = self.means_.shape
        cov = {"full": k * d * (d + 1) / 2.0, "diag": k * d, "tied": d * (d + 1) / 2.0, "spherical": k}[
            self.covariance_type
        ]
        return int(cov + d * k + k - 1)

    def bic(self, X: ArrayLike) -> float:
        """Compute the Bayesian information criterion of the fitted model on X.

        BIC = -2·n·``score(X)`` + p·log(n), with n the number of rows of X and p the number of
        free parameters of the model. Lower is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the number of features (and the column names, if any) seen by ``fit``;
            finite.

        Returns
        -------
        bic : float
            The Bayesian information criterion; lower is better.

        See Also
        --------
        aic : Akaike information criterion.
        select_k : Choose the number of components by BIC or AIC.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
        >>> bics = [GaussianMixture(n_components=k, random_state=0).fit(X).bic(X) for k in (1, 2, 3)]
        >>> [round(b, 1) for b in bics]
        [669.5, 486.6, 497.3]
        >>> int(np.argmin(bics)) + 1
        2
        """
        n = np.shape(X)[0] if np.ndim(X) == 2 else 0
        return -2 * self.score(X) * n + self._n_parameters() * math.log(n)

    def aic(self, X: ArrayLike) -> float:
        """Compute the Akaike information criterion of the fitted model on X.

        AIC = -2·n·``score(X)`` + 2·p, with n the number of rows of X and p the number of free
        parameters of the model. Lower is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the number of features (and the column names, if any) seen by ``fit``;
            finite.

        Returns
        -------
        aic : float
            The Akaike information criterion; lower is better.

        See Also
        --------
        bic : Bayesian information criterion.
        select_k : Choose the number of components by BIC or AIC.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import GaussianMixture
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
        >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        >>> round(gm.aic(X), 2)
        457.98
        """
        n = np.shape(X)[0] if np.ndim(X) == 2 else 0
        return -2 * self.score(X) * n + 2 * self._n_parameters()


_ILL_DEFINED = (
    "Fitting the mixture model failed because some components have ill-defined empirical covariance "
    "(for instance caused by singleton or collapsed samples). Try to decrease the number of components, "
    "increase reg_covar, or scale the input data."
)


@contextlib.contextmanager
def _ill_defined_covariance():
    """scikit-learn's words (and its ValueError) for a covariance the kernels find not positive
    definite, followed by the kernel's own message (which component, the reg_covar in use)."""
    try:
        yield
    except ValueError as exc:
        if "not positive definite" not in str(exc):
            raise
        raise ValueError(f"{_ILL_DEFINED} ({exc})") from None


def _stats_moved(st, old, new, cov_type):
    """The statistics st of a pass about the means `old` (k×d, in the shifted coordinates) as
    they would be about `new`: x − new = (x − old) + δ with δ = old − new, so S1 gains N·δ and
    the second moments S1·δᵀ + δ·S1ᵀ + N·δδᵀ (tied keeps Σw·x̃x̃ᵀ and Σw·x̃, which no mean enters)."""
    k, d = old.shape
    st = st.copy()
    N = st[2 : 2 + k]
    S1 = st[2 + k : 2 + k + k * d].reshape(k, d)
    S2 = st[2 + k + k * d :]
    delta = old - new
    if cov_type == "full":
        iu = np.triu_indices(d)
        outer = S1[:, :, None] * delta[:, None, :]
        S2 += (outer + np.swapaxes(outer, 1, 2) + N[:, None, None] * delta[:, :, None] * delta[:, None, :])[
            :, iu[0], iu[1]
        ].ravel()
    elif cov_type in ("diag", "spherical"):
        S2 += (2.0 * delta * S1 + N[:, None] * delta**2).ravel()
    S1 += N[:, None] * delta
    return st


def _params_of(result):
    """(weights, means, covariances, precisions_cholesky) from a kernel's named result."""
    return result["weights"], result["means"], result["covariances"], result["precisions_cholesky"]


def _precisions_from_cholesky(prec_chol, cov_type):
    """precisions from their Cholesky factors: U·Uᵀ per matrix, or squares for diag/spherical."""
    if cov_type == "full":
        return np.matmul(prec_chol, np.swapaxes(prec_chol, 1, 2))
    if cov_type == "tied":
        return prec_chol @ prec_chol.T
    return prec_chol**2


# kmix.mixture mirrors sklearn.mixture (`X as X`: PEP 484's explicit re-export, for type checkers).
from .bayesian_mixture import BayesianGaussianMixture as BayesianGaussianMixture  # noqa: E402
