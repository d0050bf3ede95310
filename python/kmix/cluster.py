"""kmix's clustering estimators under scikit-learn's import path: ``from kmix.cluster import
KMeans`` where code said ``from sklearn.cluster import KMeans`` (GaussianMixture lives in
kmix.mixture, as in scikit-learn).

Each name is the object of the same name in ``kmix``: ``KMeans``, ``MiniBatchKMeans``,
``SoftKMeans``, ``SphericalKMeans``, ``MiniBatchSphericalKMeans``, ``AgglomerativeClustering``,
``kmeans_plusplus`` and ``k_means``.
"""

from .hierarchy import AgglomerativeClustering
from .kmeans import KMeans, k_means, kmeans_plusplus
from .minibatch import MiniBatchKMeans
from .soft import SoftKMeans
from .spherical import MiniBatchSphericalKMeans, SphericalKMeans

__all__ = [
    "KMeans",
    "MiniBatchKMeans",
    "SoftKMeans",
    "SphericalKMeans",
    "MiniBatchSphericalKMeans",
    "AgglomerativeClustering",
    "kmeans_plusplus",
    "k_means",
]
