"""What every kmix estimator shares: scikit-learn's parameter protocol (without depending on
scikit-learn), the not-fitted error, and save/load to a versioned file of arrays and JSON that
never executes code when read."""
import inspect

import numpy as np

from ._model_files import FORMAT_NAME, FORMAT_VERSION, ModelFileError  # noqa: F401

_REGISTRY = {}  # class name -> class, for load()


class NotFittedError(ValueError, AttributeError):
    """Raised when a method needs a fitted estimator; both a ValueError and an AttributeError,
    as scikit-learn's NotFittedError."""


class ConvergenceWarning(UserWarning):
    """Issued when a fit stops at max_iter without converging (as scikit-learn's)."""


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
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet; "
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
