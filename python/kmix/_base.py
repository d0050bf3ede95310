"""What every kmix estimator shares: scikit-learn's parameter protocol (without depending on
scikit-learn), the not-fitted error, and save/load to a versioned file of arrays and JSON that
never executes code when read."""
import inspect
import os

import numpy as np

FORMAT_NAME = "kmix-model"
FORMAT_VERSION = 1

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
        a JSON header; reading it back never runs code). Read it with :func:`kmix.load`."""
        arrays, params = {}, {}
        for name, value in self.get_params().items():
            params[name] = _encode(value, f"param.{name}", arrays)
        fitted = {}
        for name in self._fitted_attributes:
            if hasattr(self, name):
                fitted[name] = _encode(getattr(self, name), f"attr.{name}", arrays)
        header = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "class": type(self)._save_name,
                  "kmix_version": _kmix_version(), "params": params, "fitted": fitted}
        import json  # here, not at import: it is a tenth of kmix's import time

        arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        with open(os.fspath(path), "wb") as f:
            np.savez(f, **arrays)
        return path


def load(path):
    """Read an estimator written by ``save``. Only arrays and JSON are read (allow_pickle=False)."""
    import json

    with np.load(os.fspath(path), allow_pickle=False) as z:
        if "__header__" not in z.files:
            raise ValueError(f"{path} is not a kmix model file (no header)")
        header = json.loads(bytes(z["__header__"]).decode())
        if header.get("format") != FORMAT_NAME:
            raise ValueError(f"{path} is not a kmix model file")
        if header.get("version", 0) > FORMAT_VERSION:
            raise ValueError(f"{path} was written by a newer kmix (format {header['version']}); "
                             f"this kmix reads format {FORMAT_VERSION} and older")
        cls = _REGISTRY.get(header.get("class"))
        if cls is None:
            raise ValueError(f"{path} holds an unknown estimator class {header.get('class')!r}")
        arrays = {name: z[name] for name in z.files}
    est = cls(**{k: _decode(v, arrays) for k, v in header["params"].items()})
    for name, value in header["fitted"].items():
        setattr(est, name, _decode(value, arrays))
    return est


def _encode(value, key, arrays):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.random.RandomState):
        kind, keys, pos, has_gauss, gauss = value.get_state()
        arrays[key] = keys
        return {"__random_state__": key, "kind": kind, "pos": int(pos), "has_gauss": int(has_gauss),
                "gauss": float(gauss)}
    if isinstance(value, (np.ndarray, list, tuple)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{key.split('.', 1)[1]} holds a {arr.dtype} array, which save() cannot write")
        arrays[key] = arr
        return {"__array__": key}
    raise TypeError(f"{key.split('.', 1)[1]}={value!r} cannot be saved (only numbers, strings, arrays "
                    "and RandomState); set it to one of those with set_params before save()")


def _decode(value, arrays):
    if isinstance(value, dict) and "__array__" in value:
        return arrays[value["__array__"]]
    if isinstance(value, dict) and "__random_state__" in value:
        rs = np.random.RandomState()
        rs.set_state((value["kind"], arrays[value["__random_state__"]], value["pos"], value["has_gauss"],
                      value["gauss"]))
        return rs
    return value


def _kmix_version():
    from . import __version__

    return __version__
