"""Magnitudes: data too large or too small for the kernels' squared distances.

k-means, mini-batch k-means, linkage and the silhouette are equivariant under scaling X by a power
of two, which is exact in binary floating point: every product and sum of the scaled data is the
scaled product or sum, bit for bit. So when the largest |x| lies outside the range in which
‖c‖² − 2x·c can neither overflow nor lose the data's resolution to underflow, the estimators work
on X·2^-e (largest |x| in [0.5, 1)) and scale the results back: labels and trees are those of the
unscaled data, centers and heights exact. Data inside the range is used as it is (no copy), and
since the scaling is exact both paths give the same bits. Sample weights are scaled the same way.
"""

import math
import warnings

import numpy as np

from . import _core

# Exponents of the largest |x| the kernels take as they are: float64 squares stay far from both
# ends of the range (2^±1022), float32 keeps d·max² below 2^128 for any d < 2^40 and the squares
# of differences at its resolution (2^-24 of the largest value) above its smallest normal 2^-126.
_SAFE_EXPONENTS = {"d": (-400, 400), "f": (-20, 40)}
# Weights enter sums and ratios only; scaled when near the ends of the range (denormals, or sums
# that could overflow).
_SAFE_WEIGHT_EXPONENTS = {"d": (-300, 300), "f": (-100, 100)}
# The same as ranges of the largest |x| itself (frexp's exponent e means 2^(e−1) <= x < 2^e), so
# that the common case costs two comparisons.
_SAFE = {c: (2.0 ** (lo - 1), 2.0**hi) for c, (lo, hi) in _SAFE_EXPONENTS.items()}
_SAFE_WEIGHTS = {c: (2.0 ** (lo - 1), 2.0**hi) for c, (lo, hi) in _SAFE_WEIGHT_EXPONENTS.items()}


def abs_max(a):
    """max |a| as a float: NaN if a holds NaN, inf if it holds an infinity, 0.0 if it is empty.
    One pass; float arrays as the kernels take them are scanned by the compiled kernel (in
    parallel when large), which also costs less than numpy's two calls on one row."""
    if type(a) is np.ndarray and a.dtype.char in "fd" and a.flags.c_contiguous and a.flags.aligned and a.size:
        return _core.abs_max(a.reshape(-1), _core.max_threads())
    a = np.asarray(a)
    return float(np.max(np.abs(a))) if a.size else 0.0


def safe_exponent(e, dtype, weights=False):
    """Whether values whose largest has frexp exponent e are taken by the kernels as they are."""
    char = dtype.char if isinstance(dtype, np.dtype) else np.dtype(dtype).char
    low, high = (_SAFE_WEIGHT_EXPONENTS if weights else _SAFE_EXPONENTS)[char]
    return low <= e <= high


def exponent(largest, dtype, weights=False):
    """0 if values whose largest magnitude is `largest` (finite) are safe for the kernels as they
    are; otherwise e such that largest·2^-e lies in [0.5, 1)."""
    char = dtype.char if isinstance(dtype, np.dtype) else np.dtype(dtype).char
    low, high = (_SAFE_WEIGHTS if weights else _SAFE)[char]
    if low <= largest < high or largest == 0.0 or not math.isfinite(largest):
        return 0
    return math.frexp(largest)[1]


def scaled(a, e):
    """a·2^e in a's dtype (exact while the results stay normal): a itself for e == 0."""
    if e == 0 or a is None:
        return a
    out = np.ldexp(a, e)
    return out.astype(a.dtype, copy=False) if isinstance(a, np.ndarray) else out


def centers_back(C, e):
    """Centers computed on X·2^-e, in X's units. A center is a mean of rows, so it lies within
    their range; one that the scaling back takes past the dtype's largest value (a point at
    1.797e308 whose center rounded up by an ulp) is that largest value."""
    if e == 0:
        return C
    with np.errstate(over="ignore"):
        out = scaled(C, e)
    top = np.finfo(out.dtype).max
    return np.clip(out, -top, top, out=out)


def normalized_weights(sw):
    """Weights scaled by a power of two so the largest lies in [0.5, 1) (None stays None): for
    estimators in which weights enter only as ratios (GaussianMixture), where the scaling never
    changes a bit of the result and keeps every weighted sum of squares in range."""
    if sw is None:
        return None
    largest = abs_max(sw)
    return scaled(sw, -math.frexp(largest)[1]) if largest > 0 else sw


# GaussianMixture's limits: its second moments are squares of the data's scale summed over the
# rows, so float64 X must stay within 2^480 (~3.1e144): 16·(2^480)²·n stays finite for any n
# below 2^50. A float32 model stores its covariances in float32: X within 2^60 (~1.2e18) keeps
# them (up to 4·2^120) and the precisions (down to 2^-122) inside float32's normal range.
GMM_LIMIT_EXPONENT = {"d": 480, "f": 60}


def check_gmm_magnitude(largest, dtype=np.float64, name="X"):
    """ValueError when the largest |x| is beyond what a GaussianMixture of this dtype represents."""
    limit = GMM_LIMIT_EXPONENT[np.dtype(dtype).char]
    if largest > 2.0**limit:
        raise ValueError(
            f"{name} has values up to {largest:.3g}; a {np.dtype(dtype).name} GaussianMixture needs "
            f"|{name}| <= 2^{limit} (~{2.0**limit:.2g}): its covariances are squares of the data's "
            f"scale and would overflow. Divide {name} by a constant (the model then describes the "
            "scaled data)"
        )


def scale_back(value, e, what):
    """value·2^e for a result that may leave the float64 range (an inertia of data near 1e300):
    +inf then, with a RuntimeWarning naming what overflowed, as numpy's own overflow."""
    if e == 0:
        return value
    with np.errstate(over="ignore"):
        out = np.ldexp(value, e)
    if not np.all(np.isfinite(out)) and np.all(np.isfinite(value)):
        warnings.warn(
            f"{what} exceeds the float64 range at this magnitude of the data; it is inf", RuntimeWarning, stacklevel=3
        )
    return out
