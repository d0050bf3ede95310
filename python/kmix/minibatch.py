"""kmix.MiniBatchKMeans: scikit-learn's MiniBatchKMeans with each step in C++.

Same parameters, attributes and procedure as ``sklearn.cluster.MiniBatchKMeans``: the best of
n_init seedings on a random subset (judged on a validation subset), batches drawn with
replacement in proportion to sample_weight, each center moved to the running mean of the points
it has received, random reassignment of the centers that receive too little, and early stopping
on the exponentially weighted average of the batch inertia. The numpy RandomState is drawn from
as scikit-learn does. X is never copied to float64. A scipy.sparse X is taken as CSR (never
densified), as scikit-learn does.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from . import _core, _scale, _sparse
from ._threads import effective_n_threads
from ._validation import (
    BOOL,
    NONE,
    Int,
    Real,
    as_float_array,
    c_array,
    check_random_state,
    check_sample_weight,
    validate_params,
)
from ._base import feature_names_of
from .kmeans import KMeans, _assign, _csr_args, _mean_variance, _rows

if TYPE_CHECKING:
    from typing import Callable, Literal, TypeVar

    from numpy.typing import ArrayLike

    from ._sparse import SparseMatrix

    _MiniBatchKMeansT = TypeVar("_MiniBatchKMeansT", bound="MiniBatchKMeans")


class MiniBatchKMeans(KMeans):
    """Mini-batch k-means clustering, scikit-learn compatible.

    A faster variant of `kmix.KMeans` for many rows: each step draws a small random batch of
    rows, assigns them to their nearest centers and moves each center towards them by a running
    mean of all the rows it has received, so a step costs O(batch_size) rows instead of a pass
    over X; the clustering found can be a little worse (higher inertia) than KMeans's. Data
    that arrive in pieces can be fitted one piece at a time with `partial_fit`. The parameters,
    attributes, methods and procedure are those of ``sklearn.cluster.MiniBatchKMeans``.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form, which is also the number of centers to find: at least
        1 and at most the number of rows of X.

    init : {"k-means++", "random"}, callable or array-like of shape (n_clusters, n_features), default="k-means++"
        How the initial centers are chosen, on a random subset of `init_size` rows:

        - "k-means++": greedy k-means++ seeding (see `kmix.kmeans_plusplus`).
        - "random": `n_clusters` distinct rows of the subset drawn at random.
        - an array of shape (n_clusters, n_features): the initial centers themselves (then a
          single seeding is made, see `n_init`).
        - a callable, called as ``init(X, n_clusters, random_state=random_state)`` with the
          subset (a scipy CSR matrix for sparse X) and the numpy RandomState in use; it returns
          the initial centers, an array of shape (n_clusters, n_features).

    max_iter : int, default=100
        Maximum number of passes over the data, at least 1: `fit` runs at most
        ``max_iter * n_samples // batch_size`` steps, fewer when `tol` or `max_no_improvement`
        stops it first. Not used by `partial_fit`.

    batch_size : int, default=1024
        Number of rows in each mini-batch, at least 1 (at most n_samples: a larger value is
        lowered to n_samples). `fit` draws each batch with replacement, in proportion to
        `sample_weight`. Larger batches give steadier steps at a higher cost per step.

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
        center changes of a step is at most `tol` times the mean per-feature variance of X.
        The default, 0, disables this test. Not used by `partial_fit`.

    max_no_improvement : int or None, default=10
        Early stopping on the inertia (an int at least 0, or None): `fit` stops after this many
        consecutive steps that do not lower the smoothed batch inertia (an exponentially
        weighted average of the batches' mean inertia). None disables this test. Not used by
        `partial_fit`.

    init_size : int or None, default=None
        Number of rows drawn at random (with replacement) to run each seeding on, and of the
        validation rows on which the `n_init` seedings are compared; at least 1, and at most
        n_samples (a larger value is lowered to n_samples, when the seeding runs on all of X).
        None means ``3 * batch_size``, or ``3 * n_clusters`` when ``3 * batch_size`` is below
        `n_clusters`; a value below `n_clusters` is replaced by ``3 * n_clusters``, with a
        RuntimeWarning.

    n_init : "auto" or int, default="auto"
        Number of seedings tried by `fit`; the one with the lowest inertia on the validation
        rows is kept (only one is run with its steps, unlike KMeans's `n_init`). "auto" makes
        1 seeding for "k-means++" and an init array, 3 for "random" and a callable. With an init
        array a single seeding is made whatever `n_init` says (with a RuntimeWarning when it asks
        for more).

    reassignment_ratio : float, default=0.01
        Controls the random reassignment of the centers that receive too little: at least 0.
        Every ``10 * n_clusters`` rows (and at every step while some center has received
        nothing), the centers whose total received weight is below `reassignment_ratio` times
        the largest center's are moved to random rows of the batch (at most half the batch).
        Higher values reassign such centers more easily: the fit may take longer to converge,
        and tends to a better clustering (as in scikit-learn); 0 never moves them.

    n_threads : int or None, default=None
        Number of OpenMP threads the kernels use. None follows OpenMP's maximum, which follows
        ``OMP_NUM_THREADS`` and threadpoolctl's limits; a negative value counts back from the
        number of CPUs, as in joblib (-1: all of them); 0 is not allowed. Results do not depend
        on it.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the cluster centers, in X's dtype (float32 for float32 X, float64
        otherwise); a dense array, also for sparse X.

    labels_ : ndarray of shape (n_samples,)
        Index of the nearest final center of each row of the X of the last `fit` (or of the
        last batch given to `partial_fit`). Set only when `compute_labels` is True.

    inertia_ : float
        With `compute_labels`, the sum of the (weighted) squared distances of the rows of the
        last X given to `fit` or `partial_fit` to their nearest final center; without it,
        `fit` sets the smoothed mean batch inertia times the total weight of X, and
        `partial_fit` sets nothing.

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
    kmix.KMeans : K-means on all the rows at each iteration (Lloyd's algorithm).
    kmix.MiniBatchSphericalKMeans : The same steps by direction (cosine similarity).

    Notes
    -----
    The procedure is scikit-learn's: the best of `n_init` seedings on a random subset (judged
    on a validation subset), batches drawn with replacement in proportion to `sample_weight`,
    running-mean center updates, random reassignment of starved centers, and early stopping on
    the smoothed batch inertia. kmix draws from numpy's RandomState as scikit-learn does, so in
    float64 the same `random_state` gives the same steps and centers as scikit-learn.

    Each step (gathering the batch, assigning it, updating the centers) is one C++ call; X is
    never copied to float64 (float32 X stays float32). A scipy.sparse X (any format, also in
    `partial_fit`) is read as CSR and never densified. Results are bit-identical for any number
    of threads.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix import MiniBatchKMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [4, 2], [4, 0], [4, 4],
    ...               [4, 5], [0, 1], [2, 2],
    ...               [3, 2], [5, 5], [1, -1]])

    Fitted on two batches, one at a time:

    >>> kmeans = MiniBatchKMeans(n_clusters=2, random_state=0, batch_size=6)
    >>> kmeans = kmeans.partial_fit(X[0:6, :])
    >>> kmeans = kmeans.partial_fit(X[6:12, :])
    >>> print(np.round(kmeans.cluster_centers_, 3))
    [[3.375 3.   ]
     [0.75  0.5  ]]
    >>> print(kmeans.predict([[0, 0], [4, 4]]))
    [1 0]

    Fitted on the whole data:

    >>> kmeans = MiniBatchKMeans(n_clusters=2, random_state=1, batch_size=6,
    ...                          max_iter=10).fit(X)
    >>> print(np.round(kmeans.cluster_centers_, 2))
    [[4.35 4.12]
     [1.55 1.45]]
    >>> print(kmeans.predict([[0, 0], [4, 4]]))
    [1 0]
    """

    _fitted_attributes = (
        "cluster_centers_",
        "n_iter_",
        "n_steps_",
        "n_features_in_",
        "labels_",
        "inertia_",
        "_counts",
        "_n_since_last_reassign",
        "_batch_size",
        "_random_state",
    )
    _parameter_constraints = {
        **{
            name: KMeans._parameter_constraints[name]
            for name in ("n_clusters", "init", "n_init", "max_iter", "verbose", "random_state", "n_threads")
        },
        "batch_size": [Int(1)],
        "compute_labels": [BOOL],
        "tol": [Real(0)],
        "max_no_improvement": [Int(0), NONE],
        "init_size": [Int(1), NONE],
        "reassignment_ratio": [Real(0)],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Literal["k-means++", "random"] | Callable[..., ArrayLike] | ArrayLike = "k-means++",
        max_iter: int = 100,
        batch_size: int = 1024,
        verbose: int = 0,
        compute_labels: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 0.0,
        max_no_improvement: int | None = 10,
        init_size: int | None = None,
        n_init: Literal["auto"] | int = "auto",
        reassignment_ratio: float = 0.01,
        n_threads: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.n_threads = n_threads

    # ---- parameters --------------------------------------------------------------------------
    def _check_minibatch_params(self, X):
        n = X.shape[0]
        k = self.n_clusters
        if k > n:
            raise ValueError(f"n_samples={n} should be >= n_clusters={k}.")
        batch = int(self.batch_size)
        kind = self._init_kind()
        n_init = self._resolve_n_init(kind, auto_runs=3)
        batch = min(batch, n)
        init_size = self.init_size
        if init_size is None:
            init_size = 3 * batch if 3 * batch >= k else 3 * k
        elif init_size < k:
            warnings.warn(
                f"init_size={init_size} should be larger than n_clusters={k}. Setting it to "
                "min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=3,
            )
            init_size = 3 * k
        return k, kind, n_init, batch, min(init_size, n)

    def _seed(self, X, kind, init_array, sw, rs, init_size, n_threads):
        """Centers from a random subset of init_size rows (scikit-learn's _init_centroids)."""
        if init_size < X.shape[0]:
            idx = rs.randint(0, X.shape[0], init_size)
            X, sw = _take(X, idx), sw[idx]
            if not sw.any():  # only zero weights drawn: seed as if unweighted (scikit-learn fails here)
                sw = np.ones_like(sw)
        return self._init_centroids(X, kind, init_array, sw, rs, n_threads)

    # ---- fitting -----------------------------------------------------------------------------
    def fit(
        self: _MiniBatchKMeansT, X: ArrayLike | SparseMatrix, y: object = None, sample_weight: ArrayLike | None = None
    ) -> _MiniBatchKMeansT:
        """Compute the centers on X by mini-batches.

        Runs the `n_init` seedings on random subsets of X, keeps the best, then runs mini-batch
        steps until `max_iter` passes over the data, `tol` or `max_no_improvement` stop it. A
        new call starts afresh.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows to cluster: a dense array (float32 and float64 are kept, other numeric
            dtypes become float64; a pandas or polars DataFrame sets ``feature_names_in_``), or a
            scipy.sparse matrix or array of any format (read as CSR, never densified). No NaN or
            infinity; at least `n_clusters` rows.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row: non-negative, with a positive sum. Batches are drawn in
            proportion to the weights, the seeding weights its draws, and ``inertia_`` is a
            weighted sum. None gives every row weight 1.

        Returns
        -------
        self : object
            Fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import MiniBatchKMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> kmeans = MiniBatchKMeans(n_clusters=2, random_state=0, batch_size=6).fit(X)
        >>> print(kmeans.labels_)
        [1 1 1 0 0 0]
        >>> print(np.round(kmeans.cluster_centers_, 2))
        [[10.    1.77]
         [ 1.    1.75]]
        """
        validate_params(self)
        names = feature_names_of(X)
        X, largest = self._input(X)
        n, d = X.shape
        k, kind, n_init, batch, init_size = self._check_minibatch_params(X)
        n_threads = effective_n_threads(self.n_threads)
        rs = check_random_state(self.random_state)
        sw, ew = check_sample_weight(sample_weight, n, X.dtype)  # times 2^ew: see its docstring
        if sw is None:
            sw = np.ones(n, dtype=X.dtype)
        init_array = self._check_centers(self.init, X, "init") if kind == "array" else None
        # Data (or init) beyond the kernels' range of magnitudes: the fit runs on X·2^-e, exactly
        # the fit of the scaled data (see _scale).
        if init_array is not None:
            largest = max(largest, _scale.abs_max(init_array))
        e = _scale.exponent(largest, X.dtype)
        X, init_array = _scaled(X, -e), _scale.scaled(init_array, -e)
        sparse = isinstance(X, _sparse.Csr)
        tol = (_sparse.mean_variance(X) if sparse else _mean_variance(X, n_threads)) * self.tol if self.tol else 0.0

        valid = rs.randint(0, n, init_size)
        X_valid, sw_valid = _take(X, valid), sw[valid]
        best = None
        for i in range(n_init):
            if self.verbose:
                print(f"Init {i + 1}/{n_init} with method {kind}")
            centers = c_array(self._seed(X, kind, init_array, sw, rs, init_size, n_threads))
            inertia = self._labels_inertia(X_valid, sw_valid, centers, n_threads)[1]
            if self.verbose:
                print(f"Inertia for init {i + 1}/{n_init}: {inertia}")
            if best is None or inertia < best[1]:
                best = (centers, inertia)
        centers = c_array(best[0])  # type: ignore[index]  # (n_init >= 1: best is set)
        centers_new = np.empty_like(centers)
        # The state the steps change, kept here until the fit ends (Ctrl-C leaves the estimator
        # as it was).
        counts, since_reassign = np.zeros(k, dtype=X.dtype), 0
        ewa, ewa_min, no_improvement = None, None, 0

        # Batches as scikit-learn draws them (RandomState.choice with p, replace=True): uniforms
        # looked up in the cumulative weights; the table is built once instead of every step.
        p = (sw / np.sum(sw)).astype(np.float64)
        cdf = p.cumsum()
        cdf /= cdf[-1]
        n_steps = (self.max_iter * n) // batch
        step = 0
        for step in range(n_steps):
            rows = _core.draw_rows(cdf, rs.random_sample(batch), n_threads)
            reassign, since_reassign = self._reassign_due(counts, since_reassign, batch)
            if sparse:  # the kernel gathers the batch's rows (O(nnz of the batch)), as scikit-learn's X[rows]
                batch_inertia = _core.sparse_minibatch_step(
                    *_csr_args(X), None, centers, centers_new, counts, rows, n_threads
                )["inertia"]
            else:
                batch_inertia = _core.minibatch_step(X, rows, batch, None, centers, centers_new, counts, n_threads)[
                    "inertia"
                ]
            if reassign:
                self._reassign(X, rows, batch, centers_new, counts, rs)
            self._project(centers_new)
            shift = float(np.sum((centers_new - centers) ** 2)) if tol > 0 else 0.0
            centers, centers_new = centers_new, centers
            # Early stopping on the smoothed mean batch inertia, as scikit-learn.
            batch_inertia /= batch
            if step == 0:
                if self.verbose:
                    print(f"Minibatch step {step + 1}/{n_steps}: mean batch inertia: {batch_inertia}")
                continue
            alpha = min(batch * 2.0 / (n + 1), 1.0)
            ewa = batch_inertia if ewa is None else ewa * (1 - alpha) + batch_inertia * alpha
            if self.verbose:
                print(f"Minibatch step {step + 1}/{n_steps}: mean batch inertia: {batch_inertia}, ewa inertia: {ewa}")
            if tol > 0.0 and shift <= tol:
                if self.verbose:
                    print(f"Converged (small centers change) at step {step + 1}/{n_steps}")
                break
            if ewa_min is None or ewa < ewa_min:
                no_improvement, ewa_min = 0, ewa
            else:
                no_improvement += 1
            if self.max_no_improvement is not None and no_improvement >= self.max_no_improvement:
                if self.verbose:
                    print(f"Converged (lack of improvement in inertia) at step {step + 1}/{n_steps}")
                break

        if self.compute_labels:
            labels, inertia = self._labels_inertia(X, sw, centers, n_threads)
        else:
            inertia = (ewa if ewa is not None else 0.0) * float(np.sum(sw))
        inertia *= self._inertia_factor
        self.cluster_centers_ = _scale.centers_back(centers, e)
        self._remember_centers_magnitude()
        self._counts = _counts_back(counts, ew)  # the weight each center received, in sample_weight's units
        self._n_since_last_reassign = since_reassign
        self._batch_size = batch
        self.n_steps_ = step + 1
        self.n_iter_ = int(np.ceil((step + 1) * batch / n))
        self.n_features_in_ = d
        self._n_init, self._init_size = n_init, init_size  # resolved, as scikit-learn's
        self._set_feature_names(names)
        if self.compute_labels:
            self.labels_ = labels
        self.inertia_ = float(_scale.scale_back(inertia, 2 * e + ew, "inertia_"))
        return self

    # Hooks for MiniBatchSphericalKMeans (kmix.spherical): the input as the steps take it, the
    # centers after each step, and the inertia's unit.
    _inertia_factor = 1.0

    @staticmethod
    def _input(X):
        return _as_input(X)

    @staticmethod
    def _project(centers):
        """Nothing: k-means centers are means (spherical k-means scales them to unit length)."""

    @staticmethod
    def _labels_inertia(X, sw, C, n_threads):
        return _labels_inertia(X, sw, C, n_threads)

    def _reassign_due(self, counts, since, batch_size):
        """(whether this step may reassign, the samples seen since the last reassignment), decided
        before the step as scikit-learn does: every 10·n_clusters samples, or while some center
        has received nothing."""
        since += batch_size
        if (counts == 0).any() or since >= 10 * self.n_clusters:
            return True, 0
        return False, since

    def _reassign(self, X, rows, m, centers, counts, rs):
        """scikit-learn's random reassignment: centers whose received weight is below
        reassignment_ratio times the largest move to random points of the batch (centers and
        counts are updated in place)."""
        if self.reassignment_ratio <= 0:
            return
        to_reassign = counts < self.reassignment_ratio * counts.max()
        if to_reassign.sum() > 0.5 * m:
            to_reassign[np.argsort(counts)[int(0.5 * m) :]] = False
        n_reassigns = int(to_reassign.sum())
        if n_reassigns:
            picks = rs.choice(m, replace=False, size=n_reassigns)
            if self.verbose:
                print(f"[MiniBatchKMeans] Reassigning {n_reassigns} cluster centers.")
            batch_rows = picks if rows is None else rows[picks]
            centers[to_reassign] = _rows(X, batch_rows)
        # The moved centers count as much as the least of the others (all of them moved, with
        # reassignment_ratio > 1: their counts stay).
        if not to_reassign.all():
            counts[to_reassign] = np.min(counts[~to_reassign])

    def partial_fit(
        self: _MiniBatchKMeansT, X: ArrayLike | SparseMatrix, y: object = None, sample_weight: ArrayLike | None = None
    ) -> _MiniBatchKMeansT:
        """Update the centers with a single mini-batch, for data that arrive in pieces.

        The first call (on an estimator that has no centers yet) seeds the centers from its
        batch (a subset of `init_size` rows of it), then makes a step; each later call makes one
        step from the centers as they are, also after `fit`. A step assigns the rows of X to
        their nearest centers and moves each center to the running mean of all the rows it has
        received, then reassigns the centers that have received too little (see
        `reassignment_ratio`). `max_iter`, `tol`, `max_no_improvement` and `n_init` are not
        used.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows of the mini-batch, all used once: a dense array or a scipy.sparse matrix or
            array of any format (read as CSR, never densified). After the first call its
            features must be those seen before, and it is converted to the centers' dtype. The
            first batch needs at least `n_clusters` rows.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row of the batch, with a positive sum: a center moves
            towards its rows in proportion to their weight against the total weight it has
            received before. None gives every row weight 1.

        Returns
        -------
        self : object
            Updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import MiniBatchKMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0],
        ...               [10, 2], [10, 4], [10, 0]])
        >>> kmeans = MiniBatchKMeans(n_clusters=2, random_state=0)
        >>> kmeans = kmeans.partial_fit(X[::2])
        >>> kmeans = kmeans.partial_fit(X[1::2])
        >>> kmeans.n_steps_
        2
        >>> print(np.round(kmeans.cluster_centers_, 2))
        [[ 1.  2.]
         [10.  2.]]
        >>> print(kmeans.predict([[0, 0], [12, 3]]))
        [0 1]
        """
        validate_params(self)
        has_centers = hasattr(self, "cluster_centers_")
        if has_centers:
            X, largest = self._check_test_data(X, with_abs_max=True)
        else:
            names = feature_names_of(X)
            X, largest = self._input(X)
        n = X.shape[0]
        rs = getattr(self, "_random_state", None)
        if rs is None:
            rs = check_random_state(self.random_state)
        rs_state = rs.get_state()  # put back if the step does not finish (Ctrl-C)
        sw, ew = check_sample_weight(sample_weight, n, X.dtype)  # the weights are sw·2^ew
        if sw is None:
            sw = np.ones(n, dtype=X.dtype)
        n_threads = effective_n_threads(self.n_threads)
        try:
            if has_centers:
                k, batch, since = self.n_clusters, self._batch_size, self._n_since_last_reassign
                centers, counts, n_steps = self.cluster_centers_, self._counts, self.n_steps_
            else:
                k, kind, _, batch, init_size = self._check_minibatch_params(X)
                init_array = self._check_centers(self.init, X, "init") if kind == "array" else None
                e = _scale.exponent(max(largest, 0.0 if init_array is None else _scale.abs_max(init_array)), X.dtype)
                centers = _scale.centers_back(
                    self._seed(_scaled(X, -e), kind, _scale.scaled(init_array, -e), sw, rs, init_size, n_threads), e
                )
                counts, since, n_steps = np.zeros(k, dtype=X.dtype), 0, 0
            # X and the centers share one scale (see _scale); the batch's weights and the counts
            # (the weight each center has received, in sample_weight's units) another: the step
            # works on scaled copies, scaled back below.
            e = _scale.exponent(max(largest, _scale.abs_max(centers)), X.dtype)
            ec = _counts_exponent(sw, ew, counts, X.dtype)
            X, centers = _scaled(X, -e), c_array(_scale.scaled(centers, -e), X.dtype)
            sw, counts = _scale.scaled(sw, ew - ec), c_array(_scale.scaled(counts, -ec), X.dtype)
            # (mypy narrows `is` with an Optional value to Optional: these are arrays)
            if centers is self.__dict__.get("cluster_centers_"):
                centers = centers.copy()  # type: ignore[union-attr]
            if counts is self.__dict__.get("_counts"):
                counts = counts.copy()  # type: ignore[union-attr]
            reassign, since = self._reassign_due(counts, since, batch)
            if isinstance(X, _sparse.Csr):
                _core.sparse_minibatch_step(*_csr_args(X), sw, centers, centers, counts, None, n_threads)
            else:
                _core.minibatch_step(X, None, n, sw, centers, centers, counts, n_threads)
            if reassign:
                self._reassign(X, None, n, centers, counts, rs)
            self._project(centers)
            if self.compute_labels:
                labels, inertia = self._labels_inertia(X, sw, centers, n_threads)
                inertia *= self._inertia_factor
            counts = _counts_back(counts, ec)
        except BaseException:
            rs.set_state(rs_state)
            raise
        self.cluster_centers_ = _scale.centers_back(centers, e)
        self._remember_centers_magnitude()
        self._counts = counts
        self._n_since_last_reassign = since
        self._batch_size = batch
        self._random_state = rs
        self.n_features_in_ = X.shape[1]
        self.n_steps_ = n_steps + 1
        self.n_iter_ = getattr(self, "n_iter_", 0)
        if not has_centers:
            self._set_feature_names(names)
        if self.compute_labels:
            self.labels_ = labels
            self.inertia_ = float(_scale.scale_back(inertia, 2 * e + ec, "inertia_"))
        return self


def _as_input(X):
    """(X, max |x|): a scipy.sparse X as a checked Csr, anything else as a float array."""
    if _sparse.is_sparse(X):
        return _sparse.as_csr(X, "X", with_abs_max=True)
    return as_float_array(X, "X", with_abs_max=True)


def _scaled(X, e):
    """X·2^e (an array, C-contiguous, or a Csr: its data only)."""
    return X.scaled(e) if isinstance(X, _sparse.Csr) else c_array(_scale.scaled(X, e))


def _take(X, rows):
    """Rows of X (an array or a Csr), in X's form."""
    return X.take_rows(rows) if isinstance(X, _sparse.Csr) else X[rows]


def _labels_inertia(X, sw, C, n_threads):
    """(labels, Σ w ‖x − c_label‖²) of X (an array or a Csr) on the centers C."""
    if isinstance(X, _sparse.Csr):  # one pass over X for both
        r = _core.sparse_nearest(*_csr_args(X), sw, C, n_threads)
        return r["labels"], r["inertia"]
    labels = _assign(X, C, n_threads)
    return labels, _core.inertia(X, sw, C, labels, n_threads)


def _counts_exponent(sw, ew, counts, dtype):
    """The exponent of the scale shared by a batch's weights (sw·2^ew) and the counts (in
    sample_weight's units) during a step: 0 when both are within the safe range as they are."""
    parts = [math.frexp(_scale.abs_max(sw))[1] + ew]
    if counts.any():
        parts.append(math.frexp(_scale.abs_max(counts))[1])
    top = max(parts)
    return top if (ew or not _scale.safe_exponent(top, dtype, weights=True)) else 0


def _counts_back(counts, e):
    """Counts in scaled units back to sample_weight's units. A total weight beyond the dtype's
    range (weights near 1e308, or 3e38 for float32) is kept at its largest value, with a
    RuntimeWarning: the centers are right, and later batches then move them as little as
    their weight allows next to so much."""
    with np.errstate(over="ignore"):
        out = _scale.scaled(counts, e)
    if not np.isfinite(out).all():
        warnings.warn(
            f"the total sample_weight received by a cluster exceeds {out.dtype}'s range; _counts "
            "keeps its largest value",
            RuntimeWarning,
            stacklevel=3,
        )
        top = np.finfo(out.dtype).max
        out = np.minimum(out, top, out=out)
    return out
