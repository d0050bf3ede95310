"""Choosing the number of clusters: ``select_k`` fits an estimator for every k of a range and picks
one by the silhouette, the elbow of the inertia curve, BIC or AIC, or the gap statistic; or fits
one Bayesian Gaussian mixture and counts the components with a weight above a threshold."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

from . import _scale
from ._validation import as_float_array, check_int, check_option, check_random_state, check_real

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any, Literal

    from numpy.typing import ArrayLike, NDArray

#: The values of select_k's ``method``.
METHODS = ("silhouette", "elbow", "bic", "aic", "gap", "bgmm")
#: select_k's default ``weight_threshold`` (method="bgmm").
DEFAULT_WEIGHT_THRESHOLD = 0.01
#: max_iter of the BayesianGaussianMixture that select_k fits by default for method="bgmm".
BGMM_MAX_ITER = 500


class SelectKResult:
    """The result of :func:`select_k`: the number of clusters chosen and every score computed.

    :func:`select_k` makes it; the constructor only stores its arguments (as attributes of the
    same names). ``to_dict()`` gives a JSON-ready dict, ``curve()`` the values the method
    reads and ``plot()`` draws them (matplotlib).

    Parameters
    ----------
    method : {"silhouette", "elbow", "bic", "aic", "gap", "bgmm"}
        The rule that chose ``best_k`` (select_k's ``method``).
    k_values : iterable of int
        The numbers of clusters tried, increasing; for "bgmm", the component ranks
        1..max(k_range). Stored as a list.
    scores : dict of str to list of float
        Each score computed, one value per entry of ``k_values`` (NaN where it is undefined).
        See the ``scores`` attribute.
    best_k : int
        The number of clusters chosen.
    weight_threshold : float or None, default=None
        The weight threshold of method "bgmm"; None for the other methods.
    n_effective : int or None, default=None
        For method "bgmm", the number of mixture weights above ``weight_threshold``; None for
        the other methods.

    Attributes
    ----------
    method : str
        The rule that chose ``best_k``.
    k_values : list of int
        The numbers of clusters tried, in increasing order (duplicates of ``k_range`` dropped);
        for "bgmm", the component ranks 1, 2, ..., max(k_range).
    scores : dict of str to list of float
        One value per entry of ``k_values`` for each score computed. "inertia": the fitted
        estimators' ``inertia_`` when they have one (the k-means family; with method "elbow"
        and an estimator without ``inertia_``, the pooled within-cluster sum of squares of its
        labels), for every method but "bgmm". "silhouette" (method "silhouette"): the mean
        silhouette, NaN where a k gives fewer than 2 or more than n_samples - 1 distinct labels.
        "bic" and "aic" (methods "bic" and "aic"): both criteria. "gap", "gap_sd", "log_wk" and
        "log_wk_ref" (method "gap"): Gap(k), its standard error s(k), log W_k of the data and
        the mean log W_k of the reference sets. "weight" (method "bgmm"): the fitted mixture's
        weights in decreasing order.
    best_k : int
        The number of clusters chosen.
    weight_threshold : float or None
        The threshold of method "bgmm" (None for the other methods).
    n_effective : int or None
        For method "bgmm", the number of weights above ``weight_threshold``, before it is
        clipped into ``k_range`` to give ``best_k`` (None for the other methods).

    See Also
    --------
    select_k : Fit an estimator for each k of a range and choose one.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix import select_k
    >>> rng = np.random.RandomState(0)
    >>> X = np.concatenate([rng.normal(center, 0.5, size=(20, 2))
    ...                     for center in ([0, 0], [5, 5], [0, 5])])
    >>> res = select_k(X, range(2, 7), random_state=0)
    >>> res
    SelectKResult(method='silhouette', best_k=3, k_values=[2, 3, 4, 5, 6])
    >>> res.best_k
    3
    >>> sorted(res.scores)
    ['inertia', 'silhouette']
    >>> np.round(res.scores["silhouette"], 2)
    array([0.57, 0.82, 0.63, 0.46, 0.48])
    """

    def __init__(
        self,
        method: str,
        k_values: Iterable[int],
        scores: dict[str, list[float]],
        best_k: int,
        weight_threshold: float | None = None,
        n_effective: int | None = None,
    ) -> None:
        self.method, self.k_values, self.scores, self.best_k = method, list(k_values), scores, int(best_k)
        self.weight_threshold = None if weight_threshold is None else float(weight_threshold)
        self.n_effective = None if n_effective is None else int(n_effective)

    def __repr__(self) -> str:
        return f"SelectKResult(method={self.method!r}, best_k={self.best_k}, k_values={self.k_values})"

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dict of plain Python values, ready for ``json.dumps``.

        Returns
        -------
        result : dict
            "method" (str), "best_k" (int), "k_values" (list of int) and "scores" (dict of str
            to list of float, None where a value is NaN or infinite); for method "bgmm" also
            "weight_threshold" (float) and "n_effective" (int).

        See Also
        --------
        SelectKResult.plot : Draw the curve the method reads.

        Examples
        --------
        >>> import json
        >>> import numpy as np
        >>> from kmix import select_k
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(center, 0.5, size=(20, 2))
        ...                     for center in ([0, 0], [5, 5], [0, 5])])
        >>> d = select_k(X, range(2, 7), random_state=0).to_dict()
        >>> sorted(d)
        ['best_k', 'k_values', 'method', 'scores']
        >>> d["best_k"], d["k_values"]
        (3, [2, 3, 4, 5, 6])
        >>> text = json.dumps(d)  # plain ints, floats, strings and None
        """
        d = {
            "method": self.method,
            "best_k": self.best_k,
            "k_values": list(self.k_values),
            "scores": {
                name: [None if not np.isfinite(v) else float(v) for v in values] for name, values in self.scores.items()
            },
        }
        if self.method == "bgmm":
            d["weight_threshold"], d["n_effective"] = self.weight_threshold, self.n_effective
        return d

    def curve(self) -> tuple[str, NDArray[Any]]:
        """Return the curve the method reads: its score's name and its values.

        The score is "silhouette" for method "silhouette", "inertia" for "elbow", "bic", "aic"
        and "gap" for the methods of those names, and "weight" for "bgmm".

        Returns
        -------
        name : str
            The name of the score, a key of ``scores``.
        values : ndarray of shape (len(k_values),)
            Its values (float64), one per entry of ``k_values``.

        See Also
        --------
        SelectKResult.plot : Draw this curve with the chosen k marked.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import select_k
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(center, 0.5, size=(20, 2))
        ...                     for center in ([0, 0], [5, 5], [0, 5])])
        >>> name, values = select_k(X, range(2, 7), method="elbow", random_state=0).curve()
        >>> name
        'inertia'
        >>> values.shape
        (5,)
        """
        name = {
            "silhouette": "silhouette",
            "elbow": "inertia",
            "bic": "bic",
            "aic": "aic",
            "gap": "gap",
            "bgmm": "weight",
        }[self.method]
        return name, np.asarray(self.scores[name], dtype=float)

    def plot(self, ax: Any = None) -> Any:
        """Draw the method's curve against k, with the chosen k marked.

        The curve of :meth:`curve` against ``k_values`` (with error bars of ``scores["gap_sd"]``
        for method "gap"), a dashed vertical line and a star at ``best_k``, axis labels, a title
        and a legend. For method "bgmm": the sorted weights as bars against their rank, the
        threshold as a horizontal line, the chosen k marked. Needs matplotlib.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            The Axes to draw on. None: a new figure (5 x 3.5 inches) from
            ``matplotlib.pyplot.subplots``.

        Returns
        -------
        ax : matplotlib Axes
            The Axes drawn on.

        Raises
        ------
        ImportError
            If matplotlib is not installed.

        See Also
        --------
        SelectKResult.curve : The values drawn.

        Examples
        --------
        >>> import numpy as np
        >>> from matplotlib.figure import Figure
        >>> from kmix import select_k
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(center, 0.5, size=(20, 2))
        ...                     for center in ([0, 0], [5, 5], [0, 5])])
        >>> res = select_k(X, range(2, 7), random_state=0)
        >>> ax = Figure().subplots()
        >>> res.plot(ax) is ax
        True
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('k', 'silhouette')
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError("SelectKResult.plot needs matplotlib (pip install matplotlib)") from None
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        if self.method == "bgmm":
            return self._plot_weights(ax)
        name, values = self.curve()
        ks = np.asarray(self.k_values)
        if self.method == "gap":
            ax.errorbar(ks, values, yerr=self.scores["gap_sd"], marker="o", capsize=3, label="gap ± s")
        else:
            ax.plot(ks, values, marker="o", label=name)
        best = values[list(ks).index(self.best_k)]
        ax.axvline(self.best_k, color="red", linestyle="--", linewidth=1)
        ax.plot(
            [self.best_k],
            [best],
            marker="*",
            markersize=14,
            color="red",
            linestyle="none",
            label=f"chosen k = {self.best_k}",
        )
        ax.set_xlabel("k")
        ax.set_ylabel(name)
        ax.set_xticks(ks)
        ax.set_title(f"select_k ({self.method})")
        ax.legend(loc="best")
        return ax

    def _plot_weights(self, ax):
        """The "bgmm" picture: the sorted weights as bars against their rank, the threshold as a
        horizontal line, the chosen k marked."""
        _, values = self.curve()
        ranks = np.asarray(self.k_values)
        ax.bar(ranks, values, color="tab:blue", alpha=0.8, label="weight")
        ax.axhline(
            self.weight_threshold,
            color="tab:orange",
            linestyle="-.",
            linewidth=1.5,
            zorder=3,
            label=f"threshold {self.weight_threshold:g}",
        )
        ax.axvline(self.best_k, color="red", linestyle="--", linewidth=1)
        ax.plot(
            [self.best_k],
            [values[self.best_k - 1]],
            marker="*",
            markersize=14,
            color="red",
            linestyle="none",
            label=f"chosen k = {self.best_k}",
        )
        ax.set_xlabel("component (by decreasing weight)")
        ax.set_ylabel("weight")
        ax.set_xticks(ranks)
        ax.set_title(f"select_k ({self.method})")
        ax.legend(loc="best")
        return ax


def _check_k_range(k_range, n_samples):
    if isinstance(k_range, numbers.Integral) and not isinstance(k_range, bool):
        k_range = [k_range]
    try:
        ks = list(k_range)
    except TypeError:
        raise TypeError(
            f"k_range must be an iterable of ints (e.g. range(2, 11)); got {type(k_range).__name__}"
        ) from None
    if not ks:
        raise ValueError("k_range is empty")
    for k in ks:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"k_range must hold ints; got {k!r}")
        if not 1 <= k <= n_samples:
            raise ValueError(f"k_range values must be in 1..n_samples={n_samples}; got {k}")
    return sorted(set(int(k) for k in ks))


def _with_k(estimator, k):
    """A fresh copy of estimator (same parameters) with k clusters or components."""
    if isinstance(estimator, type):
        raise TypeError(f"estimator must be an estimator instance such as {estimator.__name__}(), not the class")
    params = estimator.get_params() if hasattr(estimator, "get_params") else None
    if params is None or not ({"n_clusters", "n_components"} & set(params)):
        raise TypeError(
            "estimator must be a kmix (or scikit-learn) estimator with an n_clusters or "
            f"n_components parameter; got {type(estimator).__name__}"
        )
    key = "n_clusters" if "n_clusters" in params else "n_components"
    return type(estimator)(**{**params, key: k})


def _labels(est, X):
    labels = getattr(est, "labels_", None)
    return np.asarray(labels if labels is not None else est.predict(X))


def _within_ss(X, labels):
    """Σ_clusters Σ_{x in cluster} ‖x − mean‖²: the W_k of the gap statistic (float64)."""
    from .metrics import _cluster_means

    _, codes = np.unique(labels, return_inverse=True)
    codes = codes.ravel()
    X64, _, means = _cluster_means(X, codes, int(codes.max()) + 1)
    diff = X64 - means[codes]
    return float(np.einsum("ij,ij->", diff, diff))


def knee(ks: Sequence[float], values: ArrayLike) -> int:
    """Find the elbow (knee) of a decreasing curve, such as inertia against k.

    Both axes are scaled to [0, 1] (k from its first to its last value, the values from the
    last to the first) and the elbow is the point farthest below the straight line from the
    first point to the last. This is how ``select_k(method="elbow")`` reads the inertia curve.

    Parameters
    ----------
    ks : sequence of float
        The x values (the numbers of clusters), increasing, at least two of them with
        ``ks[-1] != ks[0]``.
    values : array-like of shape (len(ks),)
        The curve's values at ``ks``, decreasing (a constant curve gives index 0).

    Returns
    -------
    index : int
        The position of the elbow in ``ks`` (not the k itself: that is ``ks[index]``).

    See Also
    --------
    select_k : Choose the number of clusters, by this rule with ``method="elbow"``.

    Examples
    --------
    >>> from kmix.select import knee
    >>> ks = [2, 3, 4, 5, 6]
    >>> i = knee(ks, [308.5, 27.5, 23.9, 21.3, 19.2])
    >>> i, ks[i]
    (1, 3)
    """
    x = (np.asarray(ks, float) - ks[0]) / (ks[-1] - ks[0])
    y = np.asarray(values, float)
    span = y[0] - y[-1]
    y = (y - y[-1]) / span if span != 0 else np.zeros_like(y)
    return int(np.argmax((1 - x) - y))


def select_k(
    X: ArrayLike,
    k_range: int | Iterable[int] = range(2, 11),
    method: Literal["silhouette", "elbow", "bic", "aic", "gap", "bgmm"] = "silhouette",
    estimator: Any = None,
    random_state: int | np.random.RandomState | None = None,
    n_refs: int = 10,
    n_threads: int | None = None,
    weight_threshold: float = DEFAULT_WEIGHT_THRESHOLD,
) -> SelectKResult:
    """Choose the number of clusters: fit an estimator for every k of a range and pick one.

    A copy of ``estimator`` (``kmix.KMeans`` by default) is fitted with each k of ``k_range``
    as its ``n_clusters`` (or ``n_components``), and ``method`` picks k from the fits:

    - "silhouette": the k of the largest mean silhouette (:func:`kmix.metrics.silhouette_score`,
      Euclidean; cosine for ``SphericalKMeans`` and ``MiniBatchSphericalKMeans``, the distance
      they minimize).
    - "elbow": the knee of the inertia curve, the point farthest below the chord from the
      first to the last k with both axes scaled to [0, 1] (see :func:`kmix.select.knee`).
    - "bic", "aic": the smallest Bayesian or Akaike information criterion (Gaussian mixtures:
      ``kmix.GaussianMixture`` by default).
    - "gap": Tibshirani, Walther and Hastie's gap statistic (2001). ``n_refs`` reference data
      sets are drawn uniformly over the bounding box of X and clustered like X; with W_k the
      pooled within-cluster sum of squares, Gap(k) is the mean of log W_k over the reference
      sets minus log W_k of X, and s(k) the standard deviation of the reference log W_k times
      sqrt(1 + 1 / n_refs). The choice is the smallest k with Gap(k) >= Gap(k+1) - s(k+1),
      k+1 being the next value of ``k_range`` (the largest gap if no k qualifies).
    - "bgmm": ONE Bayesian Gaussian mixture is fitted with max(k_range) components (by default
      ``kmix.BayesianGaussianMixture`` with a Dirichlet-process prior, ``max_iter=500``,
      ``n_init=1``; or a copy of ``estimator``, a kmix or scikit-learn
      ``BayesianGaussianMixture``) and the components whose weight is above
      ``weight_threshold`` are counted; that count, clipped into [min(k_range),
      max(k_range)], is the choice (only those two values of ``k_range`` matter).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data to cluster, dense (a sparse matrix raises TypeError), finite.
    k_range : int or iterable of int, default=range(2, 11)
        The numbers of clusters to try, each in 1..n_samples (an int: that k alone). They are
        sorted and duplicates dropped. "elbow" needs at least 3 of them and "gap" at least 2;
        the silhouette needs k to give 2 to n_samples - 1 distinct labels (it is NaN for the
        others, and a ValueError if no k does); "bgmm" uses only min(k_range) and max(k_range).
    method : {"silhouette", "elbow", "bic", "aic", "gap", "bgmm"}, default="silhouette"
        The rule that chooses k (see above).
    estimator : estimator instance or None, default=None
        The estimator to fit: any kmix or scikit-learn estimator with an ``n_clusters`` or
        ``n_components`` parameter (``get_params`` gives its parameters; the labels are its
        ``labels_`` or else ``predict(X)``). It is copied with the same parameters for each k,
        never modified. None: ``kmix.KMeans(random_state=random_state, n_threads=n_threads)``,
        ``kmix.GaussianMixture`` (same arguments) for "bic" and "aic", and the Bayesian mixture
        described above for "bgmm". "bic" and "aic" need an estimator with ``bic`` and ``aic``
        methods (a Gaussian mixture), "bgmm" a ``BayesianGaussianMixture``.
    random_state : int, RandomState instance or None, default=None
        Seeds the default estimators and the reference sets of "gap": an int for reproducible
        results, a numpy RandomState, or None for numpy's global random state. A given
        ``estimator`` keeps its own ``random_state``.
    n_refs : int, default=10
        The number of reference data sets of "gap" (at least 1; the other methods ignore it).
        Each costs one fit per k.
    n_threads : int or None, default=None
        OpenMP threads of the default estimators and of the silhouette. None follows OpenMP's
        maximum (``OMP_NUM_THREADS``, threadpoolctl); a negative value counts back from the
        number of CPUs (-1: all of them). A given ``estimator`` keeps its own ``n_threads``.
        Results do not depend on it.
    weight_threshold : float, default=0.01
        For "bgmm", the weight above which a component counts; in (0, 1) (checked for every
        method, used by "bgmm" only). Under the Dirichlet-process prior a component the data do
        not use keeps a weight of the order of 1 / n_samples, so the threshold should be well
        above that (0.01 suits a few hundred rows or more).

    Returns
    -------
    result : SelectKResult
        ``best_k`` (the k chosen), ``k_values`` (the k tried; for "bgmm" the component ranks
        1..max(k_range)), ``scores`` (every score computed, one value per k) and ``method``;
        for "bgmm" also ``weight_threshold`` and ``n_effective`` (the count before clipping).

    Raises
    ------
    ValueError
        For an unknown method, an empty ``k_range`` or a k outside 1..n_samples, too few k for
        "elbow" or "gap", a ``weight_threshold`` outside (0, 1), or when no k gives a
        silhouette.
    TypeError
        For an estimator without ``n_clusters`` or ``n_components`` (or an estimator class
        instead of an instance), or one the method cannot use.

    See Also
    --------
    SelectKResult : The result, with ``to_dict`` and ``plot``.
    kmix.metrics.silhouette_score : The mean silhouette coefficient.

    Notes
    -----
    The k-means estimators (``KMeans``, ``MiniBatchKMeans``) and ``AgglomerativeClustering``
    give the same clusters for X scaled by a power of two, so data of extreme magnitude is
    clustered scaled into range and the inertias and log W_k are reported in X's units. X is
    not rescaled for the mixtures ("bic", "aic", "bgmm"): their fits depend on X's units.

    The same choices are available from the shell: ``kmix select-k data.csv --k 2-10 --method
    silhouette --plot k.png --json k.json``.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix import select_k
    >>> rng = np.random.RandomState(0)
    >>> X = np.concatenate([rng.normal(center, 0.5, size=(20, 2))
    ...                     for center in ([0, 0], [5, 5], [0, 5])])
    >>> res = select_k(X, range(2, 7), random_state=0)
    >>> res.best_k
    3
    >>> res.k_values
    [2, 3, 4, 5, 6]
    >>> np.round(res.scores["silhouette"], 2)
    array([0.57, 0.82, 0.63, 0.46, 0.48])

    The other rules agree on these well-separated blobs:

    >>> select_k(X, range(2, 7), method="elbow", random_state=0).best_k
    3
    >>> select_k(X, range(2, 7), method="gap", random_state=0).best_k
    3
    >>> select_k(X, range(2, 7), method="bic", random_state=0).best_k
    3

    One Bayesian mixture with 6 components, of which 3 carry weight:

    >>> res = select_k(X, range(1, 7), method="bgmm", weight_threshold=0.1, random_state=0)
    >>> res.best_k, res.n_effective
    (3, 3)
    """
    method = check_option(method, "method", METHODS)
    X, largest = as_float_array(X, "X", with_abs_max=True)
    n = X.shape[0]
    ks = _check_k_range(k_range, n)
    n_refs = check_int(n_refs, "n_refs", low=1)
    weight_threshold = check_real(weight_threshold, "weight_threshold")
    if not 0 < weight_threshold < 1:
        raise ValueError(f"weight_threshold must be in (0, 1); got {weight_threshold}")
    if method == "bgmm":
        return _select_bgmm(X, ks, estimator, random_state, n_threads, weight_threshold)
    if method == "elbow" and len(ks) < 3:
        raise ValueError(f"method='elbow' needs at least 3 values in k_range; got {ks}")
    if method == "gap" and len(ks) < 2:
        raise ValueError(f"method='gap' needs at least 2 values in k_range; got {ks}")
    if estimator is None:
        from . import GaussianMixture, KMeans

        estimator = (
            GaussianMixture(random_state=random_state, n_threads=n_threads)
            if method in ("bic", "aic")
            else KMeans(random_state=random_state, n_threads=n_threads)
        )
    _with_k(estimator, ks[0])  # checks the estimator before any fit
    if method in ("bic", "aic") and not hasattr(estimator, "bic"):
        raise TypeError(
            f"method={method!r} needs an estimator with bic() and aic() (a GaussianMixture); "
            f"got {type(estimator).__name__}"
        )

    # k-means and agglomerative clustering give the same clusters for X·2^-e, exactly (see
    # _scale): data near 1e300 is clustered scaled, and the inertias and log W_k are reported in
    # X's units (an inertia beyond float64 is inf, with a warning).
    e = _scale.exponent(largest, np.float64) if _scale_free(estimator) and method != "bic" and method != "aic" else 0
    X = _scale.scaled(X, -e)
    scores = {}
    fits = []
    for k in ks:
        est = _with_k(estimator, k).fit(X)
        fits.append(est)
    if all(hasattr(est, "inertia_") for est in fits):
        scores["inertia"] = [float(est.inertia_) for est in fits]
    if method in ("bic", "aic"):
        scores["bic"] = [float(est.bic(X)) for est in fits]
        scores["aic"] = [float(est.aic(X)) for est in fits]
    if method == "silhouette":
        from .metrics import silhouette_score
        from .spherical import _Spherical

        # Clusters by direction are judged by the distance they minimize: 1 − cos.
        metric = "cosine" if isinstance(estimator, _Spherical) else "euclidean"

        sil = []
        for _k, est in zip(ks, fits):
            labels = _labels(est, X)
            distinct = len(np.unique(labels))
            sil.append(silhouette_score(X, labels, metric=metric, n_threads=n_threads) if 1 < distinct < n else np.nan)
        scores["silhouette"] = sil
        if np.all(np.isnan(sil)):
            raise ValueError("no k in k_range gives a silhouette (it needs 2 to n_samples - 1 clusters)")
        best = ks[int(np.nanargmax(sil))]
    elif method == "elbow":
        if "inertia" not in scores:
            scores["inertia"] = [_within_ss(X, _labels(est, X)) for est in fits]
        best = ks[knee(ks, scores["inertia"])]
    elif method in ("bic", "aic"):
        best = ks[int(np.argmin(scores[method]))]
    else:
        best = _gap(X, ks, fits, estimator, random_state, n_refs, scores)
        for name in ("log_wk", "log_wk_ref"):
            scores[name] = [float(v + 2 * e * np.log(2.0)) for v in scores[name]]
    if e and "inertia" in scores:
        scores["inertia"] = [float(_scale.scale_back(v, 2 * e, "an inertia")) for v in scores["inertia"]]
    return SelectKResult(method, ks, scores, best)


def _select_bgmm(X, ks, estimator, random_state, n_threads, threshold):
    """method="bgmm": one Bayesian mixture with max(ks) components; best_k counts the weights
    above threshold, clipped into [min(ks), max(ks)]. X is used as given (no rescaling)."""
    k_max = ks[-1]
    if estimator is None:
        from . import BayesianGaussianMixture

        est = BayesianGaussianMixture(
            n_components=k_max,
            weight_concentration_prior_type="dirichlet_process",
            max_iter=BGMM_MAX_ITER,
            n_init=1,
            random_state=random_state,
            n_threads=n_threads,
        )
    else:
        est = _with_k(estimator, k_max)  # an instance with n_clusters or n_components, else TypeError
        if "weight_concentration_prior_type" not in est.get_params():
            raise TypeError(
                "method='bgmm' needs a BayesianGaussianMixture (kmix or scikit-learn) as estimator; "
                f"got {type(estimator).__name__}"
            )
    est.fit(X)
    weights = getattr(est, "weights_", None)
    if weights is None or np.shape(weights) != (k_max,):
        raise TypeError(
            f"method='bgmm' needs an estimator with weights_ of shape (n_components,) after fit; "
            f"{type(est).__name__} has none"
        )
    weights = np.sort(np.asarray(weights, dtype=np.float64))[::-1]
    n_effective = int(np.count_nonzero(weights > threshold))
    best = min(max(n_effective, ks[0]), k_max)
    return SelectKResult(
        "bgmm",
        range(1, k_max + 1),
        {"weight": [float(w) for w in weights]},
        best,
        weight_threshold=threshold,
        n_effective=n_effective,
    )


def _scale_free(estimator):
    """Whether the estimator's clusters are the same for X scaled by a power of two (kmix's
    k-means and agglomerative clustering; not soft k-means or mixtures, whose beta and
    reg_covar have units)."""
    from . import AgglomerativeClustering, KMeans, MiniBatchKMeans

    return type(estimator) in (KMeans, MiniBatchKMeans, AgglomerativeClustering)


def _gap(X, ks, fits, estimator, random_state, n_refs, scores):
    """Gap(k) = mean_b log W*_kb − log W_k, with s(k) = sd_b(log W*_kb)·sqrt(1 + 1/B)."""
    rs = check_random_state(random_state)
    lo, hi = X.min(axis=0), X.max(axis=0)
    log_w = np.array([np.log(_within_ss(X, _labels(est, X))) for est in fits])
    log_ref = np.empty((n_refs, len(ks)))
    for b in range(n_refs):
        ref = (lo + rs.uniform(size=X.shape) * (hi - lo)).astype(X.dtype)
        for i, k in enumerate(ks):
            est = _with_k(estimator, k).fit(ref)
            log_ref[b, i] = np.log(_within_ss(ref, _labels(est, ref)))
    gap = log_ref.mean(axis=0) - log_w
    sd = log_ref.std(axis=0) * np.sqrt(1 + 1 / n_refs)
    scores.update(
        {
            "gap": gap.tolist(),
            "gap_sd": sd.tolist(),
            "log_wk": log_w.tolist(),
            "log_wk_ref": log_ref.mean(axis=0).tolist(),
        }
    )
    for i in range(len(ks) - 1):
        if gap[i] >= gap[i + 1] - sd[i + 1]:  # k+1 is the next k of the range
            return ks[i]
    return ks[int(np.argmax(gap))]
