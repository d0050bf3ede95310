"""scikit-learn's own tests of AgglomerativeClustering (sklearn/cluster/tests/test_hierarchical.py,
the installed scikit-learn's), run against kmix.AgglomerativeClustering. See tests/upstream.py."""
import kmix
from upstream import load

globals().update(load("sklearn.cluster.tests.test_hierarchical",
                      {"AgglomerativeClustering": kmix.AgglomerativeClustering}))

CONNECTIVITY = "connectivity constraints: issue 25"
NOT_IN_KMIX = "not in kmix / scikit-learn private"

UPSTREAM_SKIP = {
    # scikit-learn's tree builders (ward_tree, linkage_tree, _TREE_BUILDERS), FeatureAgglomeration
    # and its Cython helpers, which kmix does not have.
    "test_linkage_misc": NOT_IN_KMIX,
    "test_structured_linkage_tree": NOT_IN_KMIX,
    "test_unstructured_linkage_tree": NOT_IN_KMIX,
    "test_height_linkage_tree": NOT_IN_KMIX,
    "test_zero_cosine_linkage_tree": NOT_IN_KMIX,
    "test_ward_agglomeration": NOT_IN_KMIX,
    "test_sparse_scikit_vs_scipy": NOT_IN_KMIX,
    "test_vector_scikit_single_vs_scipy_single": NOT_IN_KMIX,
    "test_mst_linkage_core_memory_mapped[*]": NOT_IN_KMIX,
    "test_ward_tree_children_order": NOT_IN_KMIX,
    "test_ward_linkage_tree_return_distance": NOT_IN_KMIX,
    "test_int_float_dict": NOT_IN_KMIX,
    "test_n_components": NOT_IN_KMIX,
    "test_affinity_passed_to_fix_connectivity": NOT_IN_KMIX,
    # FeatureAgglomeration's cases of these parametrized tests (its AgglomerativeClustering cases
    # need connectivity, below).
    "test_agglomeration_ward_constrained_metric[FeatureAgglomeration]": NOT_IN_KMIX,
    "test_agglomeration_ward_euclidean[*-FeatureAgglomeration]": NOT_IN_KMIX,
    # AgglomerativeClustering(connectivity=...)
    "test_agglomerative_clustering_distances[*]": CONNECTIVITY,
    "test_agglomerative_clustering[*]": CONNECTIVITY,
    "test_identical_points": CONNECTIVITY,
    "test_connectivity_propagation": CONNECTIVITY,
    "test_connectivity_fixing_non_lil": CONNECTIVITY,
    "test_connectivity_callable": CONNECTIVITY,
    "test_connectivity_ignores_diagonal": CONNECTIVITY,
    "test_compute_full_tree": CONNECTIVITY,
    "test_agglomerative_clustering_with_distance_threshold[*]": CONNECTIVITY,
    "test_precomputed_connectivity_metric_with_2_connected_components": CONNECTIVITY,
    "test_agglomeration_ward_constrained_metric[AgglomerativeClustering]": CONNECTIVITY,
    "test_agglomeration_ward_euclidean[*-AgglomerativeClustering]": CONNECTIVITY,
}
UPSTREAM_XFAIL = {}
