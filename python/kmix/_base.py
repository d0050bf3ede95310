"""What every kmix estimator shares: scikit-learn's parameter protocol (without depending on
scikit-learn), the not-fitted error, and save/load to a versioned file of arrays and JSON that
never executes code when read."""

from __future__ import annotations

import inspect
import sys
import threading
import warnings
from typing import TYPE_CHECKING

import numpy as np

from ._model_files import FORMAT_NAME, FORMAT_VERSION, ModelFileError  # noqa: F401

if TYPE_CHECKING:
    import os
    from typing import Any, Literal, TypeVar

    from numpy.typing import ArrayLike, NDArray

    from ._validation import Allowed

    _EstimatorT = TypeVar("_EstimatorT", bound="BaseEstimator")
    _TransformerT = TypeVar("_TransformerT", bound="TransformerOutput")

_REGISTRY: dict[str, type[BaseEstimator]] = {}  # class name -> class, for load()


class NotFittedError(ValueError, AttributeError):
    """Exception raised when a method that needs a fitted estimator is called before ``fit``.

    It is both a ``ValueError`` and an ``AttributeError``, as scikit-learn's
    ``sklearn.exceptions.NotFittedError`` is. Once scikit-learn has been imported, the exception
    kmix raises is also an instance of scikit-learn's class, so existing
    ``except sklearn.exceptions.NotFittedError`` clauses catch it; ``import kmix`` never imports
    scikit-learn itself.

    See Also
    --------
    kmix.ConvergenceWarning : Warning issued when a fit does not converge.

    Examples
    --------
    >>> from kmix import GaussianMixture, NotFittedError
    >>> try:
    ...     GaussianMixture().predict([[0.0, 1.0]])
    ... except NotFittedError as exc:
    ...     print(exc)
    This GaussianMixture instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator.
    >>> issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    True
    """


class ConvergenceWarning(UserWarning):
    """Warning issued when a fit stops at ``max_iter`` without converging.

    Also issued by the k-means estimators when they find fewer distinct clusters than
    ``n_clusters``, as scikit-learn's ``sklearn.exceptions.ConvergenceWarning``. Once
    scikit-learn has been imported, the warning kmix issues is also a subclass of scikit-learn's
    class, so existing warning filters on it apply to kmix's; ``import kmix`` never imports
    scikit-learn itself.

    See Also
    --------
    kmix.NotFittedError : Exception raised when an estimator is used before ``fit``.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from kmix import ConvergenceWarning, GaussianMixture
    >>> rng = np.random.RandomState(0)
    >>> X = np.concatenate([rng.normal(1, 0.5, size=(50, 2)), rng.normal(5, 0.5, size=(50, 2))])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     gm = GaussianMixture(n_components=2, max_iter=1, random_state=0).fit(X)
    >>> [issubclass(w.category, ConvergenceWarning) for w in caught]
    [True]
    >>> gm.converged_
    False
    """


class ClusterWarning(UserWarning):
    """Warning issued for a linkage input that looks like a mistake, as scipy's.

    :func:`kmix.linkage` (and :func:`kmix.optimal_leaf_ordering`) issue it when the
    observations they are given form a square, symmetric, non-negative matrix with a zero
    diagonal: that looks like an uncondensed distance matrix, which they would treat as
    observations. Once ``scipy.cluster.hierarchy`` has been imported, the warning kmix issues is
    also a subclass of scipy's ``ClusterWarning``, so existing warning filters on it apply to
    kmix's; ``import kmix`` never imports scipy.

    See Also
    --------
    kmix.linkage : Hierarchical clustering, as ``scipy.cluster.hierarchy.linkage``.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from kmix import ClusterWarning, linkage
    >>> D = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     Z = linkage(D)
    >>> [issubclass(w.category, ClusterWarning) for w in caught]
    [True]
    """


# The peers' classes each kmix class also becomes when the peer is already imported.
_PEERS = {
    NotFittedError: ("sklearn.exceptions", "NotFittedError"),
    ConvergenceWarning: ("sklearn.exceptions", "ConvergenceWarning"),
    ClusterWarning: ("scipy.cluster.hierarchy", "ClusterWarning"),
}
_peer_classes: dict[type, type] = {}
# One class per kmix class and peer, even when threads raise or warn at once (without a GIL, or
# with one switching threads mid-way): two threads could each make one, and an exception of the
# class that lost the race would not pickle (pickle requires `kmix._base._peer_X is` its class).
_peer_lock = threading.Lock()


def peer_class(cls):
    """Return the class to raise or warn with for one of kmix's exception or warning classes.

    ``cls`` (the only parameter) is one of :class:`kmix.NotFittedError`,
    :class:`kmix.ConvergenceWarning` and :class:`kmix.ClusterWarning`. The answer is ``cls``
    itself or, when the module of its peer (scikit-learn's ``NotFittedError`` and
    ``ConvergenceWarning``, scipy's ``ClusterWarning``) is already imported, a subclass of both
    ``cls`` and the peer's class, so that ``except sklearn.exceptions.NotFittedError`` and a
    warnings filter on scikit-learn's ``ConvergenceWarning`` see kmix's. kmix never imports the
    peer for this: code that names the peer's class has imported it already (and ``import kmix``
    stays light). The subclass is made once per class, and pickles.

    Returns
    -------
    type
        ``cls``, or the subclass of ``cls`` and of its peer's class.

    Examples
    --------
    >>> from kmix import NotFittedError
    >>> from kmix._base import peer_class
    >>> issubclass(peer_class(NotFittedError), NotFittedError)
    True
    """
    module, name = _PEERS[cls]
    peer_module = sys.modules.get(module)
    peer = getattr(peer_module, name, None) if peer_module is not None else None
    if peer is None:
        return cls
    both = _peer_classes.get(cls)
    if both is not None and issubclass(both, peer):
        return both
    with _peer_lock:
        both = _peer_classes.get(cls)
        if both is None or not issubclass(both, peer):
            # A module-level name, so that the exception pickles (see __getattr__ below).
            both = type(
                cls.__name__,
                (cls, peer),
                {"__module__": __name__, "__qualname__": f"_peer_{cls.__name__}", "__doc__": cls.__doc__},
            )
            _peer_classes[cls] = both
        return both


def __getattr__(name):
    # Unpickling a peer subclass (module kmix._base, name _peer_<class>) rebuilds it.
    for cls in _PEERS:
        if name == f"_peer_{cls.__name__}":
            return peer_class(cls)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def feature_names_of(X):
    """Return the column names of a data frame when they are all strings.

    The names are taken from ``X.columns`` (pandas, polars, or any object with ``columns``) and
    returned as an object array, as scikit-learn keeps them in ``feature_names_in_``. No
    data-frame library is imported.

    Parameters
    ----------
    X : object
        The data an estimator is given: a data frame, or anything else (an array, a list).

    Returns
    -------
    ndarray of shape (n_features,) or None
        The column names as an object array, or None when ``X`` has no ``columns`` (a numpy
        array, say) or its column names are not strings.

    Raises
    ------
    TypeError
        If the column names mix strings with names of other types.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix._base import feature_names_of
    >>> feature_names_of(np.zeros((3, 2))) is None
    True
    >>> class Frame:
    ...     columns = ["height", "weight"]
    >>> feature_names_of(Frame())
    array(['height', 'weight'], dtype=object)
    """
    columns = getattr(X, "columns", None)
    if columns is None or isinstance(X, np.ndarray):
        return None
    names = list(columns)
    kinds = sorted({type(n).__name__ for n in names})
    if len(kinds) > 1 and "str" in kinds:
        raise TypeError(
            f"Feature names are only supported if all input features have string names, but X has "
            f"{kinds} as feature name / column name types; convert them all to strings "
            "(X.columns = X.columns.astype(str)) or all to another type"
        )
    if kinds == ["str"]:
        return np.asarray(names, dtype=object)
    return None


def _names_differ_message(fitted, given):
    """scikit-learn's explanation of a mismatch between the fitted and the given column names."""
    unseen = [n for n in given if n not in set(fitted)]
    missing = [n for n in fitted if n not in set(given)]
    if not unseen and not missing:
        return (
            "The feature names should match those that were passed during fit.\n"
            "Feature names must be in the same order as they were in fit.\n"
        )
    msg = "The feature names should match those that were passed during fit.\n"
    for title, names in (
        ("Feature names unseen at fit time:", unseen),
        ("Feature names seen at fit time, yet now missing:", missing),
    ):
        if names:
            shown = [f"- {n}" for n in names[:5]] + (["- ..."] if len(names) > 5 else [])
            msg += title + "\n" + "\n".join(shown) + "\n"
    return msg


class BaseEstimator:
    """Base class of every kmix estimator: scikit-learn's parameter protocol, and model files.

    ``get_params`` and ``set_params`` behave as scikit-learn defines them (the parameters are
    exactly the ``__init__`` arguments, stored unchanged under their own names), so
    scikit-learn's ``clone``, ``Pipeline`` and ``GridSearchCV`` take kmix estimators, without
    kmix depending on scikit-learn. ``save`` writes a fitted estimator to a model file that
    :func:`kmix.load` reads back.

    See Also
    --------
    kmix.load : Read an estimator written by ``save``.

    Examples
    --------
    >>> from kmix import GaussianMixture
    >>> gm = GaussianMixture(n_components=3)
    >>> gm.get_params()["n_components"]
    3
    >>> gm.set_params(covariance_type="diag").covariance_type
    'diag'
    """

    # Attributes that fit sets; save() writes them, _check_fitted() looks for the first.
    _fitted_attributes: tuple[str, ...] = ()
    _estimator_type: str | None = None
    if TYPE_CHECKING:  # declared for type checkers; every subclass sets them
        _save_name: str
        _parameter_constraints: dict[str, list[Allowed]]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The name save() writes and load() looks up: the class name, unless the class gives its
        # own (kmix.dask's KMeans must not replace kmix.KMeans).
        cls._save_name = cls.__dict__.get("_save_name", cls.__name__)
        _REGISTRY[cls._save_name] = cls

    @classmethod
    def _get_param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Get the parameters of this estimator.

        Parameters
        ----------
        deep : bool, default=True
            Accepted for scikit-learn's protocol. kmix estimators hold no other estimators, so
            the answer is the same for True and False.

        Returns
        -------
        params : dict
            Every parameter of ``__init__``, name to value, as the estimator holds it.

        See Also
        --------
        set_params : Set the parameters of this estimator.

        Examples
        --------
        >>> from kmix import GaussianMixture
        >>> params = GaussianMixture(n_components=2, random_state=0).get_params()
        >>> params["n_components"], params["random_state"], params["covariance_type"]
        (2, 0, 'full')
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self: _EstimatorT, **params: Any) -> _EstimatorT:
        """Set the parameters of this estimator.

        The values are stored as given; they are checked by the next ``fit``.

        Parameters
        ----------
        **params : dict
            Parameter names (those of ``__init__``) and their new values.

        Returns
        -------
        self : estimator instance
            The estimator, with its parameters changed.

        Raises
        ------
        ValueError
            If a name is not one of the estimator's parameters.

        See Also
        --------
        get_params : Get the parameters of this estimator.

        Examples
        --------
        >>> from kmix import GaussianMixture
        >>> gm = GaussianMixture().set_params(n_components=4, tol=1e-4)
        >>> gm.n_components, gm.tol
        (4, 0.0001)
        """
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for {type(self).__name__}; valid parameters: {', '.join(valid)}"
                )
            setattr(self, name, value)
        return self

    def __getstate__(self):
        # Caches ("_cache_*": values derived from fitted attributes, such as the centers'
        # magnitude) are not part of the model: a pickle holds the model only.
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_cache_")}

    def __repr__(self):
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = []
        for name, value in self.get_params().items():
            default = defaults.get(name)
            same = value is default or (
                type(value) is type(default) and not isinstance(value, np.ndarray) and value == default
            )
            if not same:
                changed.append(f"{name}={'array(...)' if isinstance(value, np.ndarray) else repr(value)}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        # Only scikit-learn calls this, so scikit-learn is importable here.
        from sklearn.utils import Tags, TargetTags, TransformerTags

        tags = Tags(estimator_type=self._estimator_type, target_tags=TargetTags(required=False))
        tags.input_tags.pairwise = getattr(self, "metric", None) == "precomputed"  # X is a distance matrix
        tags.input_tags.sparse = bool(getattr(self, "_sparse_input", False))  # scipy.sparse X taken
        if hasattr(self, "transform"):
            tags.transformer_tags = TransformerTags(preserves_dtype=["float64", "float32"])
        return tags

    # ---- feature names (as scikit-learn: set by fit, checked by every method that takes X) ----
    def _set_feature_names(self, names):
        """Store feature_names_of(X) for the X fit saw (at the end of fit, with the other fitted
        attributes: an interrupted fit leaves the estimator as it was)."""
        if names is not None:
            self.feature_names_in_ = names
        elif "feature_names_in_" in self.__dict__:
            del self.feature_names_in_

    def _check_feature_names(self, X):
        """ValueError if X's column names differ from (or are reordered against) those seen by
        fit; scikit-learn's UserWarning if only one of fit and X had names."""
        fitted = self.__dict__.get("feature_names_in_")
        given = feature_names_of(X)
        if fitted is None and given is None:
            return
        cls = type(self).__name__
        if given is None:
            warnings.warn(
                f"X does not have valid feature names, but {cls} was fitted with feature names",
                UserWarning,
                stacklevel=3,
            )
        elif fitted is None:
            warnings.warn(f"X has feature names, but {cls} was fitted without feature names", UserWarning, stacklevel=3)
        elif len(fitted) != len(given) or (fitted != given).any():
            raise ValueError(_names_differ_message(list(fitted), list(given)))

    def _check_fitted(self):
        if not self._fitted_attributes or not hasattr(self, self._fitted_attributes[0]):
            raise peer_class(NotFittedError)(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' "
                "with appropriate arguments before using this estimator."
            )

    # ---- persistence -------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> str | os.PathLike[str]:
        """Write the parameters and fitted attributes to a model file.

        The file is an ``.npz`` archive of plain arrays and a JSON header: reading it back with
        :func:`kmix.load` never runs code (no pickle). The estimator is first checked against
        its class's model-file schema, as ``load`` will check the file, so a file ``save``
        writes is one ``load`` accepts.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (created, or overwritten). It is written as given: no extension
            is added.

        Returns
        -------
        path : str or os.PathLike
            The ``path`` given.

        Raises
        ------
        ValueError
            If the estimator does not fit its schema: its parameters no longer match its fitted
            attributes (``n_clusters`` changed after ``fit``, say).

        See Also
        --------
        kmix.load : Read an estimator written by ``save``.

        Notes
        -----
        ``feature_names_in_`` is kept in the file; the ``set_output`` setting is kept by pickle,
        not by ``save``. A model file of a ``GaussianMixture`` keeps the parameters only: after
        ``load``, ``partial_fit`` starts again from them as from a fitted model.

        Examples
        --------
        >>> import os
        >>> import tempfile
        >>> import numpy as np
        >>> import kmix
        >>> X = np.array([[1.0, 1.2], [0.8, 1.0], [1.1, 0.9], [5.0, 5.2], [5.1, 4.8], [4.9, 5.0]])
        >>> gm = kmix.GaussianMixture(n_components=2, random_state=0).fit(X)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = gm.save(os.path.join(tmp, "mixture.kmix"))
        ...     loaded = kmix.load(path)
        >>> bool((loaded.predict(X) == gm.predict(X)).all())
        True
        """
        from . import _model_files

        return _model_files.save(self, path)


_OUTPUTS = ("default", "pandas", "polars")


class TransformerOutput:
    """Mixin of the k-means estimators: scikit-learn's ``set_output`` and ``get_feature_names_out``.

    Their ``transform`` gives one column per cluster, named ``<classname><i>`` (``kmeans0``,
    ``kmeans1``, ...), returned as an array, or as a pandas or polars data frame after
    ``set_output`` (or under ``sklearn.set_config(transform_output=...)``). pandas and polars
    are imported only when asked for.

    See Also
    --------
    kmix.KMeans.transform : Distances to the cluster centers.

    Examples
    --------
    >>> import numpy as np
    >>> from kmix import KMeans
    >>> X = np.array([[1.0, 1.2], [0.8, 1.0], [1.1, 0.9], [5.0, 5.2], [5.1, 4.8], [4.9, 5.0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> km.get_feature_names_out()
    array(['kmeans0', 'kmeans1'], dtype=object)
    """

    if TYPE_CHECKING:  # what the estimators that use this mixin (BaseEstimator subclasses) have
        n_features_in_: int
        cluster_centers_: NDArray[Any]

        def _check_fitted(self) -> None: ...

    def set_output(
        self: _TransformerT, *, transform: Literal["default", "pandas", "polars"] | None = None
    ) -> _TransformerT:
        """Set the container that ``transform`` and ``fit_transform`` return.

        scikit-learn's ``Pipeline`` and ``ColumnTransformer`` call it from their own
        ``set_output``. The setting is kept by pickle, not by ``save``.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            ``"default"``: numpy arrays; ``"pandas"``: a pandas DataFrame (with the index of
            ``X`` when ``X`` is a pandas DataFrame); ``"polars"``: a polars DataFrame. The
            columns are named by ``get_feature_names_out``. None leaves the setting as it is
            (unset, it follows ``sklearn.set_config(transform_output=...)`` when scikit-learn
            is imported, else ``"default"``).

        Returns
        -------
        self : estimator instance
            The estimator, with the setting changed.

        Raises
        ------
        ValueError
            If ``transform`` is not one of the values above.

        See Also
        --------
        get_feature_names_out : Names of the columns of ``transform``.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import KMeans
        >>> X = np.array([[1.0, 1.2], [0.8, 1.0], [1.1, 0.9], [5.0, 5.2], [5.1, 4.8], [4.9, 5.0]])
        >>> km = KMeans(n_clusters=2, random_state=0).set_output(transform="default")
        >>> km.fit_transform(X).shape
        (6, 2)
        """
        if transform is None:
            return self
        if transform not in _OUTPUTS:
            raise ValueError(
                f"set_output: transform must be one of {', '.join(map(repr, _OUTPUTS))} or None; got {transform!r}"
            )
        self._sklearn_output_config = {"transform": transform}
        return self

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> NDArray[Any]:
        """Get the names of the columns of ``transform``.

        Each is the lowercase class name followed by the cluster's index (``"kmeans0"``,
        ``"kmeans1"``, ...).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked: if given, it must have ``n_features_in_`` names, equal to
            ``feature_names_in_`` when the estimator was fitted on named columns.

        Returns
        -------
        feature_names_out : ndarray of str objects of shape (n_clusters,)
            The column names.

        Raises
        ------
        kmix.NotFittedError
            If the estimator is not fitted.
        ValueError
            If ``input_features`` does not match the fitted input.

        See Also
        --------
        set_output : Set the container that ``transform`` returns.

        Examples
        --------
        >>> import numpy as np
        >>> from kmix import KMeans
        >>> X = np.array([[1.0, 1.2], [0.8, 1.0], [1.1, 0.9], [5.0, 5.2], [5.1, 4.8], [4.9, 5.0]])
        >>> KMeans(n_clusters=3, random_state=0).fit(X).get_feature_names_out()
        array(['kmeans0', 'kmeans1', 'kmeans2'], dtype=object)
        """
        self._check_fitted()
        if input_features is not None:
            given = np.asarray(input_features, dtype=object)
            fitted = self.__dict__.get("feature_names_in_")
            if fitted is not None and (len(given) != len(fitted) or (given != fitted).any()):
                raise ValueError("input_features is not equal to feature_names_in_")
            if len(given) != self.n_features_in_:
                raise ValueError(
                    f"input_features should have length equal to number of features "
                    f"({self.n_features_in_}), got {len(given)}"
                )
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(self.cluster_centers_.shape[0])], dtype=object)

    def _output_kind(self):
        kind = self.__dict__.get("_sklearn_output_config", {}).get("transform")
        if kind is None and "sklearn" in sys.modules:  # scikit-learn's global set_config, if it is in use
            kind = sys.modules["sklearn"].get_config().get("transform_output", "default")
        return kind or "default"

    def _wrap_output(self, out, X):
        """transform's array as the configured container (pandas keeps X's index)."""
        kind = self._output_kind()
        if kind == "default":
            return out
        columns = list(self.get_feature_names_out())
        if kind == "pandas":
            import pandas as pd

            index = X.index if isinstance(X, pd.DataFrame) else None
            return pd.DataFrame(out, index=index, columns=columns, copy=False)
        import polars as pl

        return pl.DataFrame(out, schema=columns, orient="row")


def load(path: str | os.PathLike[str]) -> Any:
    """Read an estimator written by ``save``.

    The file is read as data and checked against its class's schema (every member, its dtype
    and shape in terms of the parameters, the values: finite where they must be, labels in
    range, Cholesky factors triangular with a positive diagonal, a valid merge tree, ...)
    before the estimator is built; nothing in it is executed (no pickle, no object arrays).

    Parameters
    ----------
    path : str or os.PathLike
        A file written by the ``save`` method of a kmix estimator.

    Returns
    -------
    estimator : estimator instance
        A fitted estimator of the class that wrote the file, with its parameters and fitted
        attributes.

    Raises
    ------
    kmix.ModelFileError
        If the file is not a kmix model file, or is corrupt, truncated or holds something its
        class's schema does not allow. It is a ``ValueError`` and names the file and the member
        or header field at fault.
    OSError
        What ``open`` raises for a path that cannot be opened (``FileNotFoundError``,
        ``IsADirectoryError``, ``PermissionError``).

    See Also
    --------
    kmix.GaussianMixture.save : Write an estimator to a model file (every estimator has
        ``save``).

    Notes
    -----
    Many threads may ``save`` and ``load`` at once. A model file keeps ``feature_names_in_``
    but not the ``set_output`` setting, nor the running statistics of
    ``GaussianMixture.partial_fit`` (a pickle keeps both).

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> import numpy as np
    >>> import kmix
    >>> X = np.array([[1.0, 1.2], [0.8, 1.0], [1.1, 0.9], [5.0, 5.2], [5.1, 4.8], [4.9, 5.0]])
    >>> ac = kmix.AgglomerativeClustering(n_clusters=2).fit(X)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = ac.save(os.path.join(tmp, "tree.kmix"))
    ...     loaded = kmix.load(path)
    >>> loaded
    AgglomerativeClustering()
    >>> loaded.labels_
    array([1, 1, 1, 0, 0, 0])
    """
    from . import _model_files

    return _model_files.load(path)
