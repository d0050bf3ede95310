"""scikit-learn's own sklearn/cluster/tests/test_k_means.py, run against kmix (see tests/upstream.py)."""
import pytest

import kmix
from upstream import load

sklearn_cluster = pytest.importorskip("sklearn.cluster")

# Patterns are fnmatch patterns: "[" opens a character class, so a literal one is written "[[]".
_PRIVATE = "scikit-learn private helper"
_SPARSE = "sparse input: issue 21"
UPSTREAM_SKIP = {
    "test_relocate_empty_clusters*": f"{_PRIVATE} (_relocate_empty_clusters_dense/_sparse)",
    "test_minibatch_update_consistency*": f"{_PRIVATE} (_mini_batch_step, _labels_inertia)",
    "test_minibatch_reassign*": f"{_PRIVATE} (_mini_batch_step, _labels_inertia)",
    "test_euclidean_distance*": f"{_PRIVATE} (_euclidean_dense_dense_wrapper, _euclidean_sparse_dense_wrapper)",
    "test_inertia*": f"{_PRIVATE} (_inertia_dense, _inertia_sparse)",
    "test_is_same_clustering": f"{_PRIVATE} (_is_same_clustering)",
    "test_sample_weight_init*": f"{_PRIVATE} (KMeans._init_centroids)",
    "test_sample_weight_zero*": f"{_PRIVATE} (KMeans._init_centroids)",
    "*sparse_matrix*": _SPARSE,
    "*sparse_array*": _SPARSE,
    "*X_csr*": _SPARSE,
    "test_predict_does_not_change_cluster_centers[[]csr_*": _SPARSE,
    "test_kmeans_plusplus_output[[]*-input_data[12]]": _SPARSE,
}
UPSTREAM_XFAIL = {
    "*elkan*": "algorithm='elkan': being added in this issue",
}

REPLACE = {"KMeans": kmix.KMeans, "MiniBatchKMeans": kmix.MiniBatchKMeans, "k_means": kmix.k_means,
           "kmeans_plusplus": kmix.kmeans_plusplus}


def _rebind_parametrize(tests, pairs):
    """Replace, in the parametrize marks of ``tests``, every value that is one of scikit-learn's
    objects (``pairs``: [(scikit-learn's, kmix's)]) by kmix's.

    load() rebinds the module's globals after executing it, when the decorators have already
    captured scikit-learn's classes (``@pytest.mark.parametrize("Estimator", [KMeans,
    MiniBatchKMeans])``): without this, those tests would run scikit-learn against itself."""
    ParameterSet = type(pytest.param(None))

    def swap(value):
        if isinstance(value, ParameterSet):
            return value._replace(values=tuple(swap(v) for v in value.values))
        if type(value) in (tuple, list):
            return type(value)(swap(v) for v in value)
        for old, new in pairs:
            if value is old:
                return new
        return value

    for test in tests.values():
        marks = getattr(test, "pytestmark", None)
        if not marks:
            continue
        new_marks = []
        for mark in marks:
            if mark.name == "parametrize":
                args = list(mark.args)
                kwargs = dict(mark.kwargs)
                if len(args) > 1:
                    args[1] = swap(args[1])
                if "argvalues" in kwargs:
                    kwargs["argvalues"] = swap(kwargs["argvalues"])
                mark = type(mark)(mark.name, tuple(args), kwargs, mark._param_ids_from, mark._param_ids_generated,
                                  _ispytest=True)
            new_marks.append(mark)
        test.pytestmark = new_marks
    return tests


globals().update(_rebind_parametrize(load("sklearn.cluster.tests.test_k_means", REPLACE),
                                     [(getattr(sklearn_cluster, name), new) for name, new in REPLACE.items()]))
