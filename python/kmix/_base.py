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
    """Raised when a method needs a fitted estimator; both a ValueError and an AttributeError,
    as scikit-learn's NotFittedError (and an instance of it when scikit-learn is imported: see
    peer_class)."""


class ConvergenceWarning(UserWarning):
    """Issued when a fit stops at max_iter without converging, or finds fewer distinct clusters
    than asked for (as scikit-learn's; a subclass of it when scikit-learn is imported)."""


class ClusterWarning(UserWarning):
    """scipy's warning for a linkage input that looks like a mistake (a subclass of
    scipy.cluster.hierarchy.ClusterWarning when scipy's module is imported)."""


# The peers' classes each kmix class also becomes when the peer is already imported.
_PEERS = {NotFittedError: ("sklearn.exceptions", "NotFittedError"),
          ConvergenceWarning: ("sklearn.exceptions", "ConvergenceWarning"),
          ClusterWarning: ("scipy.cluster.hierarchy", "ClusterWarning")}
_peer_classes: dict[type, type] = {}
# One class per kmix class and peer, even when threads raise or warn at once (without a GIL, or
# with one switching threads mid-way): two threads could each make one, and an exception of the
# class that lost the race would not pickle (pickle requires `kmix._base._peer_X is` its class).
_peer_lock = threading.Lock()


def peer_class(cls):
    """The class to raise or warn with for kmix's ``cls``: ``cls`` itself, or, when the peer's
    module is already imported, a subclass of both ``cls`` and the peer's class, so that
    ``except sklearn.exceptions.NotFittedError`` and a warnings filter on scikit-learn's
    ConvergenceWarning see kmix's. kmix never imports the peer for this: code that names the
    peer's class has imported it already (and `import kmix` stays light)."""
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
            both = type(cls.__name__, (cls, peer), {"__module__": __name__, "__qualname__": f"_peer_{cls.__name__}",
                                                    "__doc__": cls.__doc__})
            _peer_classes[cls] = both
        return both


def __getattr__(name):
    # Unpickling a peer subclass (module kmix._base, name _peer_<class>) rebuilds it.
    for cls in _PEERS:
        if name == f"_peer_{cls.__name__}":
            return peer_class(cls)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def feature_names_of(X):
    """The column names of a data frame X (any object with ``columns``: pandas, polars, ...) as
    an object array, when they are all strings, as scikit-learn keeps them; None otherwise.
    Never imports a data-frame library."""
    columns = getattr(X, "columns", None)
    if columns is None or isinstance(X, np.ndarray):
        return None
    names = list(columns)
    kinds = sorted({type(n).__name__ for n in names})
    if len(kinds) > 1 and "str" in kinds:
        raise TypeError(f"Feature names are only supported if all input features have string names, but X has "
                        f"{kinds} as feature name / column name types; convert them all to strings "
                        "(X.columns = X.columns.astype(str)) or all to another type")
    if kinds == ["str"]:
        return np.asarray(names, dtype=object)
    return None


def _names_differ_message(fitted, given):
    """scikit-learn's explanation of a mismatch between the fitted and the given column names."""
    unseen = [n for n in given if n not in set(fitted)]
    missing = [n for n in fitted if n not in set(given)]
    if not unseen and not missing:
        return ("The feature names should match those that were passed during fit.\n"
                "Feature names must be in the same order as they were in fit.\n")
    msg = "The feature names should match those that were passed during fit.\n"
    for title, names in (("Feature names unseen at fit time:", unseen),
                         ("Feature names seen at fit time, yet now missing:", missing)):
        if names:
            shown = [f"- {n}" for n in names[:5]] + (["- ..."] if len(names) > 5 else [])
            msg += title + "\n" + "\n".join(shown) + "\n"
    return msg


class BaseEstimator:
    """get_params/set_params as scikit-learn defines them: the parameters are exactly the
    __init__ arguments, stored unchanged under their own names."""

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
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self: _EstimatorT, **params: Any) -> _EstimatorT:
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"Invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid parameters: {', '.join(valid)}")
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
            same = value is default or (type(value) is type(default) and not isinstance(value, np.ndarray)
                                        and value == default)
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
            warnings.warn(f"X does not have valid feature names, but {cls} was fitted with feature names",
                          UserWarning, stacklevel=3)
        elif fitted is None:
            warnings.warn(f"X has feature names, but {cls} was fitted without feature names",
                          UserWarning, stacklevel=3)
        elif len(fitted) != len(given) or (fitted != given).any():
            raise ValueError(_names_differ_message(list(fitted), list(given)))

    def _check_fitted(self):
        if not self._fitted_attributes or not hasattr(self, self._fitted_attributes[0]):
            raise peer_class(NotFittedError)(f"This {type(self).__name__} instance is not fitted yet. Call 'fit' "
                                             "with appropriate arguments before using this estimator.")

    # ---- persistence -------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> str | os.PathLike[str]:
        """Write the parameters and fitted attributes to ``path`` (an .npz file of plain arrays and
        a JSON header; reading it back never runs code). Read it with :func:`kmix.load`.

        The estimator is first checked against its class's model-file schema, as load will check
        the file: one whose parameters no longer match its fitted attributes (n_clusters changed
        after fit, say) raises ValueError instead of writing a file load would refuse."""
        from . import _model_files

        return _model_files.save(self, path)


_OUTPUTS = ("default", "pandas", "polars")


class TransformerOutput:
    """set_output and get_feature_names_out of scikit-learn's transformers, for the k-means
    estimators, whose transform gives one column per cluster named ``<classname><i>``."""

    if TYPE_CHECKING:  # what the estimators that use this mixin (BaseEstimator subclasses) have
        n_features_in_: int
        cluster_centers_: NDArray[Any]

        def _check_fitted(self) -> None: ...

    def set_output(self: _TransformerT, *,
                   transform: Literal["default", "pandas", "polars"] | None = None) -> _TransformerT:
        """Make transform and fit_transform return "pandas" or "polars" data frames (or arrays:
        "default"); None leaves the setting as it is. scikit-learn's Pipeline and
        ColumnTransformer call it from their own set_output."""
        if transform is None:
            return self
        if transform not in _OUTPUTS:
            raise ValueError(f"set_output: transform must be one of {', '.join(map(repr, _OUTPUTS))} or None; "
                             f"got {transform!r}")
        self._sklearn_output_config = {"transform": transform}
        return self

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> NDArray[Any]:
        """Names of transform's columns: the lowercase class name and the cluster index
        ("kmeans0", "kmeans1", ...). input_features, if given, must match the fitted input."""
        self._check_fitted()
        if input_features is not None:
            given = np.asarray(input_features, dtype=object)
            fitted = self.__dict__.get("feature_names_in_")
            if fitted is not None and (len(given) != len(fitted) or (given != fitted).any()):
                raise ValueError("input_features is not equal to feature_names_in_")
            if len(given) != self.n_features_in_:
                raise ValueError(f"input_features should have length equal to number of features "
                                 f"({self.n_features_in_}), got {len(given)}")
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
    and shape in terms of the parameters, the values) before the estimator is built; nothing in
    it is executed (no pickle, no object arrays). Any corrupt, truncated, foreign or hostile
    file raises :class:`kmix.ModelFileError` (a ValueError) naming the file and the member or
    header field at fault; a path that cannot be opened raises what ``open`` raises
    (FileNotFoundError, ...)."""
    from . import _model_files

    return _model_files.load(path)
