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
    if kind == "c":
        raise TypeError(f"{name} must be real-valued; got complex dtype {arr.dtype}")
    if kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (ValueError, TypeError):
            raise TypeError(f"{name} must be numeric; it holds non-numeric objects") from None
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = f" (reshape a single feature with {name}.reshape(-1, 1), a single sample with {name}.reshape(1, -1))"
        raise ValueError(f"{name} must be a 2-D array of shape (n_samples, n_features); got {arr.ndim}-D{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples, at least {min_samples} needed")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} has {arr.shape[0]} sample(s); at least {min_samples} are needed")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has 0 features; at least 1 is needed")
    target = np.dtype(dtype) if dtype is not None else (arr.dtype if arr.dtype in FLOAT_DTYPES else np.float64)
    out = np.array(arr, dtype=target, order="C", copy=True) if copy else c_array(arr, target)
    largest = check_finite(out, name)
    return (out, largest) if with_abs_max else out


def c_array(a, dtype=None):
    """a as a C-contiguous, aligned array of dtype, copied only if it is not one already: what the
    compiled kernels take (they never convert, see cpp/bindings/arrays.hpp)."""
    if (type(a) is np.ndarray and (dtype is None or a.dtype == dtype) and a.flags.c_contiguous
            and a.flags.aligned):
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
