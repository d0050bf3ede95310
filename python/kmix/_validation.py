"""Input checks shared by the estimators. Every bad input is reported here, naming the
parameter, before any algorithm runs (the only compiled code these checks call is a read-only
scan for the largest |value|, which also tells the estimators the data's magnitude)."""

import math
import numbers

import numpy as np

from . import _scale

FLOAT_DTYPES = (np.float64, np.float32)


def as_float_array(X, name="X", *, dtype=None, copy=False, min_samples=1, with_abs_max=False):
    """X as a finite, C-contiguous 2-D float32/float64 array.

    dtype: None keeps float32 and float64 and turns anything else numeric into float64; a dtype
    forces it. copy=True always returns a new array. with_abs_max: (X, max |x|), from the same
    pass that checks the values are finite.
    """
    if hasattr(X, "tocsr") or hasattr(X, "todense"):
        raise TypeError(f"{name} is a sparse matrix; kmix needs a dense array (use {name}.toarray())")
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be a 2-D numeric array; got a string")
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a 2-D numeric array; could not convert it: {exc}") from None
    kind = arr.dtype.kind
    if kind in "USV" or kind == "M" or kind == "m":
        raise TypeError(f"{name} must be numeric; got dtype {arr.dtype}")
    if kind == "c":  # ValueError and these words: scikit-learn's
        raise ValueError(f"Complex data not supported: {name} has dtype {arr.dtype}; kmix needs real values")
    if kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name} must be numeric; it holds non-numeric objects ({exc})") from None
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:  # scikit-learn's advice, in its words
            hint = (
                f". Reshape your data either using {name}.reshape(-1, 1) if it has a single feature or "
                f"{name}.reshape(1, -1) if it contains a single sample"
            )
        raise ValueError(f"{name} must be a 2-D array of shape (n_samples, n_features); got {arr.ndim}-D{hint}")
    if arr.shape[0] < min_samples:
        raise ValueError(
            f"{name} has {arr.shape[0]} sample(s) (shape={arr.shape}) while a minimum of {min_samples} is required."
        )
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    target = np.dtype(dtype) if dtype is not None else (arr.dtype if arr.dtype in FLOAT_DTYPES else np.float64)
    out = np.array(arr, dtype=target, order="C", copy=True) if copy else c_array(arr, target)
    largest = check_finite(out, name)
    return (out, largest) if with_abs_max else out


def c_array(a, dtype=None):
    """a as a C-contiguous, aligned array of dtype, copied only if it is not one already: what the
    compiled kernels take (they never convert, see cpp/bindings/arrays.hpp)."""
    if type(a) is np.ndarray and (dtype is None or a.dtype == dtype) and a.flags.c_contiguous and a.flags.aligned:
        return a  # the common case, without np.require's overhead (one-row predict)
    return np.require(a, dtype=dtype, requirements=("C_CONTIGUOUS", "ALIGNED"))


def check_finite(arr, name):
    """ValueError naming `name` if arr holds NaN or an infinity; else its largest |value| (one
    pass: the compiled kernel for large arrays)."""
    largest = _scale.abs_max(arr)
    if not math.isfinite(largest):
        if np.isnan(arr).any():
            raise ValueError(f"{name} contains NaN")
        raise ValueError(f"{name} contains infinity")
    return largest


def check_sample_weight(sample_weight, n_samples, dtype):
    """(weights, e): sample_weight as a 1-D array of n_samples non-negative finite weights with
    a positive sum, in dtype, times 2^-e; (None, 0) when it is None (all weights one).

    The weights are checked in float64 and, when their largest lies outside the range the
    kernels take as it is (or dtype cannot hold them: 1e-320, or 1e300 for float32), scaled by
    2^-e before the cast, which is exact: every estimator gives the same clusters for weights
    scaled by a power of two, and multiplies what carries their units (inertia) by 2^e."""
    if sample_weight is None:
        return None, 0
    if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
        w = np.full(n_samples, sample_weight, dtype=np.float64)
    else:
        if isinstance(sample_weight, (str, bytes)):
            raise TypeError("sample_weight must be numeric; got a string")
        arr = np.asarray(sample_weight)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"sample_weight must be numeric; got dtype {arr.dtype}")
        if arr.ndim != 1:
            raise ValueError(f"sample_weight must be 1-D; got {arr.ndim}-D")
        if arr.shape[0] != n_samples:
            raise ValueError(f"sample_weight has {arr.shape[0]} values; X has {n_samples} samples")
        w = c_array(arr, np.float64)
    largest = check_finite(w, "sample_weight")
    if (w < 0).any():
        raise ValueError("sample_weight must be non-negative; it has negative values")
    if not largest > 0:
        raise ValueError("sample_weight must have a positive sum; all weights are zero")
    e = _scale.exponent(largest, dtype, weights=True)
    return c_array(_scale.scaled(w, -e), dtype), e


def check_int(value, name, *, low=None, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}; got {value}")
    return int(value)


def check_real(value, name, *, low=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}; got {value}")
    return float(value)


def check_option(value, name, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(repr(o) for o in options)}; got {value!r}")
    return value


def check_random_state(seed):
    """A numpy RandomState from None, an int or a RandomState (as scikit-learn's)."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if not 0 <= seed < 2**32:
            raise ValueError(f"random_state must be in [0, 2**32 - 1]; got {seed}")
        return np.random.RandomState(int(seed))
    if isinstance(seed, np.random.RandomState):
        return seed
    raise TypeError(f"random_state must be None, an int or a numpy RandomState; got {type(seed).__name__}")


# ---- parameters: one declarative table per estimator -----------------------------------------
class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter with a value outside what its table allows: both a ValueError and
    a TypeError (as scikit-learn's), whether its type or its range is wrong."""


class Allowed:
    """One kind of value a parameter may take: a test and the words for it in error messages."""

    def __init__(self, words, accepts):
        self.words, self.accepts = words, accepts

    def __repr__(self):
        return self.words


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _is_real(v):
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def Int(low=None, high=None):
    """An int in [low, high] (None: unbounded)."""
    lo, hi = ("-inf" if low is None else low), ("inf" if high is None else high)
    words = f"an int in the range {'(' if low is None else '['}{lo}, {hi}{')' if high is None else ']'}"
    return Allowed(words, lambda v: _is_int(v) and (low is None or v >= low) and (high is None or v <= high))


def Real(low=None, high=None, *, low_open=False):
    """A finite real number in [low, high] ((low, high] with low_open)."""
    words = (
        f"a float in the range {'(' if low is None or low_open else '['}{'-inf' if low is None else low}, "
        f"{'inf' if high is None else high}{')' if high is None else ']'}"
    )
    return Allowed(
        words,
        lambda v: (
            _is_real(v)
            and math.isfinite(v)
            and (low is None or v > low or (v == low and not low_open))
            and (high is None or v <= high)
        ),
    )


def Options(*values):
    """One of the given strings."""
    return Allowed(
        "a str among {" + ", ".join(repr(v) for v in values) + "}", lambda v: isinstance(v, str) and v in values
    )


NONE = Allowed("None", lambda v: v is None)
BOOL = Allowed("an instance of 'bool'", lambda v: isinstance(v, (bool, np.bool_)))
CALLABLE = Allowed("a callable", callable)
ARRAY = Allowed("an array-like", lambda v: isinstance(v, (np.ndarray, list, tuple)) or hasattr(v, "__array__"))
RANDOM_STATE = Allowed(
    "an int in the range [0, 4294967295], an instance of 'numpy.random.RandomState' or None",
    lambda v: v is None or v is np.random or isinstance(v, np.random.RandomState) or (_is_int(v) and 0 <= v < 2**32),
)
VERBOSE = Allowed(
    "an int in the range [0, inf) or a bool", lambda v: isinstance(v, (bool, np.bool_)) or (_is_int(v) and v >= 0)
)
N_THREADS = Allowed(
    "a nonzero int (-1: all CPUs, as joblib) or None (OMP_NUM_THREADS / threadpoolctl)",
    lambda v: v is None or (_is_int(v) and v != 0),
)


def validate_params(estimator):
    """Check every constructor parameter of ``estimator`` against its class's
    ``_parameter_constraints`` ({name: [Allowed, ...]}): InvalidParameterError naming the
    parameter, the value and what is allowed, for the first one that matches none."""
    cls = type(estimator).__name__
    for name, allowed in type(estimator)._parameter_constraints.items():
        value = getattr(estimator, name)
        if not any(a.accepts(value) for a in allowed):
            words = ", ".join(a.words for a in allowed[:-1]) + (" or " if len(allowed) > 1 else "") + allowed[-1].words
            shown = f"array of shape {np.shape(value)}" if isinstance(value, np.ndarray) else repr(value)
            raise InvalidParameterError(f"The {name!r} parameter of {cls} must be {words}. Got {shown} instead.")
