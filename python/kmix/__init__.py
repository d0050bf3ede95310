"""kmix: fast clustering with scikit-learn's estimators and scikit-learn's answers.

The hot loops are C++17 with OpenMP (``kmix._core``); the estimators here validate inputs and
hold the results. The only runtime dependency is numpy.

- k-means: ``KMeans``, ``MiniBatchKMeans``, ``SoftKMeans``, ``SphericalKMeans``,
  ``MiniBatchSphericalKMeans``, and the functions ``kmeans_plusplus`` and ``k_means``.
- Gaussian mixtures: ``GaussianMixture`` and ``BayesianGaussianMixture``.
- Hierarchical clustering: ``linkage`` and ``optimal_leaf_ordering`` (scipy's) and
  ``AgglomerativeClustering`` (scikit-learn's).
- Choosing the number of clusters: ``select_k`` and the scores of ``kmix.metrics``.
- Model files: every estimator's ``save``, and ``load``; exceptions and warnings:
  ``NotFittedError``, ``ConvergenceWarning``, ``ClusterWarning``, ``ModelFileError``.

``kmix.cluster`` and ``kmix.mixture`` are scikit-learn's import paths for the same classes, and
``kmix.dask`` holds the estimators for data chunked across a Dask cluster.
``kmix.show_config()`` tells which kernels (``KMIX_ISA`` in the environment forces a lower
instruction-set level) and how many threads are in use.
"""

from __future__ import annotations

import os as _os
import platform as _platform
import warnings as _warnings
from typing import TYPE_CHECKING as _TYPE_CHECKING

import numpy as _np

from . import _core
from ._base import ClusterWarning, ConvergenceWarning, ModelFileError, NotFittedError, load
from .kmeans import KMeans, k_means, kmeans_plusplus
from .hierarchy import AgglomerativeClustering, linkage, optimal_leaf_ordering
from .minibatch import MiniBatchKMeans
from .mixture import GaussianMixture
from .bayesian_mixture import BayesianGaussianMixture
from .soft import SoftKMeans
from .spherical import MiniBatchSphericalKMeans, SphericalKMeans
from . import cluster as cluster, metrics, mixture as mixture  # (re-exported modules)
from .select import SelectKResult, select_k

if _TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"
__all__ = [
    "KMeans",
    "MiniBatchKMeans",
    "SoftKMeans",
    "SphericalKMeans",
    "MiniBatchSphericalKMeans",
    "kmeans_plusplus",
    "k_means",
    "GaussianMixture",
    "BayesianGaussianMixture",
    "linkage",
    "optimal_leaf_ordering",
    "AgglomerativeClustering",
    "ConvergenceWarning",
    "ClusterWarning",
    "NotFittedError",
    "ModelFileError",
    "load",
    "show_config",
    "metrics",
    "select_k",
    "SelectKResult",
]


def _apply_isa_env():
    # KMIX_ISA=baseline|avx2|avx512 (x86-64) or neon (arm64) lowers the kernels' instruction set
    # (never raises it past what the CPU runs); baseline is the lowest level on every machine.
    wanted = _os.environ.get("KMIX_ISA", "").strip().lower()
    if wanted and not _core.select_isa(wanted):
        _warnings.warn(
            f"KMIX_ISA={wanted!r} is not available here (available: "
            f"{', '.join(_core.available_isas())}); using {_core.isa()!r}",
            RuntimeWarning,
            stacklevel=2,
        )


_apply_isa_env()


def show_config(print_out: bool = True) -> dict[str, Any]:
    """Print and return the versions, the kernels' instruction set, the threads and the build.

    The same report as ``kmix config`` on the command line.

    Parameters
    ----------
    print_out : bool, default=True
        Print the report, one ``key  value`` line per entry. False only returns it.

    Returns
    -------
    info : dict
        ``"kmix"`` (the version), ``"isa"`` (the kernels' instruction-set level in use:
        ``"baseline"`` on any CPU, ``"avx2"`` or ``"avx512"`` on x86-64, ``"neon"`` on arm64),
        ``"isa_available"`` (the levels this CPU runs, a list), ``"threads"`` (the OpenMP
        threads a kernel uses when ``n_threads`` is None), the compiler and OpenMP runtime kmix
        was built with (``"compiler"``, ``"openmp"``, ``"openmp_spec"``, ``"pybind11"``), and
        ``"numpy"``, ``"python"`` and ``"platform"``.

    Notes
    -----
    The best level the CPU and the operating system support is picked at import;
    ``KMIX_ISA=baseline`` (or ``avx2``) in the environment forces a lower one. The thread
    count follows ``OMP_NUM_THREADS`` and ``threadpoolctl``; results are bit-identical for any
    thread count. GNU OpenMP's thread pool does not survive ``fork()``: in a child made by
    ``os.fork()`` or a ``multiprocessing`` "fork" pool, kmix runs on one thread and
    ``"threads"`` is 1.

    Examples
    --------
    >>> import kmix
    >>> info = kmix.show_config(print_out=False)
    >>> info["kmix"] == kmix.__version__
    True
    >>> info["isa"] in info["isa_available"]
    True
    """
    info = {
        "kmix": __version__,
        "isa": _core.isa(),
        "isa_available": list(_core.available_isas()),
        "threads": _core.max_threads(),
        **dict(_core.build_info()),
        "numpy": _np.__version__,
        "python": _platform.python_version(),
        "platform": f"{_platform.system()} {_platform.machine()}",
    }
    if print_out:
        width = max(len(k) for k in info)
        for key, value in info.items():
            print(f"{key:<{width}}  {', '.join(value) if isinstance(value, list) else value}")
    return info
