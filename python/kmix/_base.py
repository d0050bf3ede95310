"""What every kmix estimator shares: scikit-learn's parameter protocol (without depending on
scikit-learn), the not-fitted error, and save/load to a versioned file of arrays and JSON that
never executes code when read."""
import inspect
import sys

import numpy as np

from ._model_files import FORMAT_NAME, FORMAT_VERSION, ModelFileError  # noqa: F401

_REGISTRY = {}  # class name -> class, for load()


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
_peer_classes = {}


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


class BaseEstimator:
    """get_params/set_params as scikit-learn defines them: the parameters are exactly the
    __init__ arguments, stored unchanged under their own names."""

    # Attributes that fit sets; save() writes them, _check_fitted() looks for the first.
    _fitted_attributes = ()
    _estimator_type = None

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

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
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
        if hasattr(self, "transform"):
            tags.transformer_tags = TransformerTags(preserves_dtype=["float64", "float32"])
        return tags

    def _check_fitted(self):
        if not self._fitted_attributes or not hasattr(self, self._fitted_attributes[0]):
            raise peer_class(NotFittedError)(f"This {type(self).__name__} instance is not fitted yet; "
                                 "call fit with appropriate arguments first.")

    # ---- persistence -------------------------------------------------------------------------
    def save(self, path):
        """Write the parameters and fitted attributes to ``path`` (an .npz file of plain arrays and
        a JSON header; reading it back never runs code). Read it with :func:`kmix.load`.

        The estimator is first checked against its class's model-file schema, as load will check
        the file: one whose parameters no longer match its fitted attributes (n_clusters changed
        after fit, say) raises ValueError instead of writing a file load would refuse."""
        from . import _model_files

        return _model_files.save(self, path)


def load(path):
    """Read an estimator written by ``save``.

    The file is read as data and checked against its class's schema (every member, its dtype
    and shape in terms of the parameters, the values) before the estimator is built; nothing in
    it is executed (no pickle, no object arrays). Any corrupt, truncated, foreign or hostile
    file raises :class:`kmix.ModelFileError` (a ValueError) naming the file and the member or
    header field at fault; a path that cannot be opened raises what ``open`` raises
    (FileNotFoundError, ...)."""
    from . import _model_files

    return _model_files.load(path)
