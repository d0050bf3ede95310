"""kmix: fast clustering with scikit-learn's estimators and answers.

The hot loops are C++17 with OpenMP (``kmix._core``); the estimators here validate inputs and
hold the results. ``kmix.show_config()`` tells which kernels and how many threads are in use.
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
from . import cluster, metrics, mixture
from .select import SelectKResult, select_k

if _TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"
__all__ = ["KMeans", "MiniBatchKMeans", "SoftKMeans", "SphericalKMeans", "MiniBatchSphericalKMeans", "kmeans_plusplus", "k_means", "GaussianMixture", "BayesianGaussianMixture", "linkage",
           "optimal_leaf_ordering", "AgglomerativeClustering",
           "ConvergenceWarning", "ClusterWarning", "NotFittedError", "ModelFileError", "load", "show_config", "metrics", "select_k", "SelectKResult"]


def _apply_isa_env():
    # KMIX_ISA=baseline|avx2|avx512 (x86-64) or neon (arm64) lowers the kernels' instruction set
    # (never raises it past what the CPU runs); baseline is the lowest level on every machine.
    wanted = _os.environ.get("KMIX_ISA", "").strip().lower()
    if wanted and not _core.select_isa(wanted):
        _warnings.warn(f"KMIX_ISA={wanted!r} is not available here (available: "
                       f"{', '.join(_core.available_isas())}); using {_core.isa()!r}", RuntimeWarning)


_apply_isa_env()


def show_config(print_out: bool = True) -> dict[str, Any]:
    """Print and return the version, kernel ISA in use and available, threads, OpenMP and compiler."""
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
