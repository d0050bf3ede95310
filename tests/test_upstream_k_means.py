"""scikit-learn's own sklearn/cluster/tests/test_k_means.py, run against kmix (see tests/upstream.py)."""

import pytest

import kmix
from upstream import load

pytest.importorskip("sklearn.cluster")

_PRIVATE = "scikit-learn private helper"
UPSTREAM_SKIP = {
    "test_relocate_empty_clusters*": f"{_PRIVATE} (_relocate_empty_clusters_dense/_sparse)",
    "test_minibatch_update_consistency*": f"{_PRIVATE} (_mini_batch_step, _labels_inertia)",
    "test_minibatch_reassign*": f"{_PRIVATE} (_mini_batch_step, _labels_inertia)",
    "test_euclidean_distance*": f"{_PRIVATE} (_euclidean_dense_dense_wrapper, _euclidean_sparse_dense_wrapper)",
    "test_inertia*": f"{_PRIVATE} (_inertia_dense, _inertia_sparse)",
    "test_is_same_clustering": f"{_PRIVATE} (_is_same_clustering)",
    "test_sample_weight_init*": f"{_PRIVATE} (KMeans._init_centroids)",
    "test_sample_weight_zero*": f"{_PRIVATE} (KMeans._init_centroids)",
}
UPSTREAM_XFAIL = {}

REPLACE = {
    "KMeans": kmix.KMeans,
    "MiniBatchKMeans": kmix.MiniBatchKMeans,
    "k_means": kmix.k_means,
    "kmeans_plusplus": kmix.kmeans_plusplus,
}


globals().update(load("sklearn.cluster.tests.test_k_means", REPLACE))
