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
from ._validation import (BOOL, NONE, Int, Real, as_float_array, c_array, check_random_state,
                          check_sample_weight, validate_params)
from ._base import feature_names_of
from .kmeans import KMeans, _assign, _csr_args, _mean_variance, _rows

if TYPE_CHECKING:
    from typing import Callable, Literal, TypeVar

    from numpy.typing import ArrayLike

    from ._sparse import SparseMatrix

    _MiniBatchKMeansT = TypeVar("_MiniBatchKMeansT", bound="MiniBatchKMeans")


class MiniBatchKMeans(KMeans):
    """Mini-batch k-means, scikit-learn compatible.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"}, callable or array of shape (n_clusters, n_features)
    max_iter : int, default=100
        Passes over the data: fit runs max_iter * n_samples // batch_size steps at most.
    batch_size : int, default=1024
    verbose : int, default=0
    compute_labels : bool, default=True
        Label all of X (and compute inertia_) once the centers are found.
    random_state : None, int or numpy RandomState
    tol : float, default=0.0
        Stop when the squared center change of a step is at most tol times the mean per-feature
        variance of X (0 disables this test).
    max_no_improvement : int or None, default=10
        Stop after this many steps without a lower smoothed batch inertia (None disables).
    init_size : int or None, default=None
        Rows sampled for seeding (default 3 * batch_size, at least 3 * n_clusters).
    n_init : "auto" or int, default="auto"
        Seedings tried ("auto": 1 for k-means++ and arrays, 3 otherwise); the one with the lowest
        inertia on a validation sample wins.
    reassignment_ratio : float, default=0.01
        Centers whose received weight is below this fraction of the largest are moved to
        random points of the batch.
    n_threads : int or None, default=None

    Attributes
    ----------
    cluster_centers_, labels_, inertia_, n_iter_, n_steps_, n_features_in_
    """

    _fitted_attributes = ("cluster_centers_", "n_iter_", "n_steps_", "n_features_in_", "labels_", "inertia_",
                          "_counts", "_n_since_last_reassign", "_batch_size", "_random_state")
    _parameter_constraints = {
        **{name: KMeans._parameter_constraints[name]
           for name in ("n_clusters", "init", "n_init", "max_iter", "verbose", "random_state", "n_threads")},
        "batch_size": [Int(1)],
        "compute_labels": [BOOL],
        "tol": [Real(0)],
        "max_no_improvement": [Int(0), NONE],
        "init_size": [Int(1), NONE],
        "reassignment_ratio": [Real(0)],
    }

    def __init__(self, n_clusters: int = 8, *,
                 init: Literal["k-means++", "random"] | Callable[..., ArrayLike] | ArrayLike = "k-means++",
                 max_iter: int = 100, batch_size: int = 1024, verbose: int = 0, compute_labels: bool = True,
                 random_state: int | np.random.RandomState | None = None, tol: float = 0.0,
                 max_no_improvement: int | None = 10, init_size: int | None = None,
                 n_init: Literal["auto"] | int = "auto", reassignment_ratio: float = 0.01,
                 n_threads: int | None = None) -> None:
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
            warnings.warn(f"init_size={init_size} should be larger than n_clusters={k}. Setting it to "
                          "min(3*n_clusters, n_samples)", RuntimeWarning, stacklevel=3)
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
    def fit(self: _MiniBatchKMeansT, X: ArrayLike | SparseMatrix, y: object = None,
            sample_weight: ArrayLike | None = None) -> _MiniBatchKMeansT:
        """Compute the centers from mini-batches of X (an array or a scipy.sparse matrix)."""
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
        tol = ((_sparse.mean_variance(X) if sparse else _mean_variance(X, n_threads)) * self.tol
               if self.tol else 0.0)

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
                batch_inertia = _core.sparse_minibatch_step(*_csr_args(X), None, centers, centers_new, counts,
                                                            rows, n_threads)["inertia"]
            else:
                batch_inertia = _core.minibatch_step(X, rows, batch, None, centers, centers_new, counts,
                                                     n_threads)["inertia"]
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
                print(f"Minibatch step {step + 1}/{n_steps}: mean batch inertia: {batch_inertia}, "
                      f"ewa inertia: {ewa}")
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
            to_reassign[np.argsort(counts)[int(0.5 * m):]] = False
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

    def partial_fit(self: _MiniBatchKMeansT, X: ArrayLike | SparseMatrix, y: object = None,
                    sample_weight: ArrayLike | None = None) -> _MiniBatchKMeansT:
        """Update the centers with one mini-batch (the rows of X: an array or a scipy.sparse
        matrix), as data arrive."""
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
                centers = _scale.centers_back(self._seed(_scaled(X, -e), kind, _scale.scaled(init_array, -e),
                                                         sw, rs, init_size, n_threads), e)
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
        warnings.warn(f"the total sample_weight received by a cluster exceeds {out.dtype}'s range; _counts "
                      "keeps its largest value", RuntimeWarning, stacklevel=3)
        top = np.finfo(out.dtype).max
        out = np.minimum(out, top, out=out)
    return out
