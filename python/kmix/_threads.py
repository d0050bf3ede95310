"""Thread counts: n_threads=None follows OpenMP (OMP_NUM_THREADS, threadpoolctl limits)."""

import numbers
import os

from . import _core


def effective_n_threads(n_threads):
    """Threads a kernel call will use for the estimator parameter ``n_threads``.

    None: OpenMP's current maximum. A positive int: that many. A negative int counts back from
    the number of CPUs, as in joblib (-1 = all CPUs).
    """
    if n_threads is None:
        return _core.max_threads()
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral):
        raise TypeError(f"n_threads must be None or an int; got {type(n_threads).__name__}")
    n_threads = int(n_threads)
    if n_threads == 0:
        raise ValueError("n_threads must be a positive int, a negative int (-1 = all CPUs) or None; got 0")
    if n_threads < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_threads)
    return n_threads
