"""scikit-learn's own tests of AgglomerativeClustering (sklearn/cluster/tests/test_hierarchical.py,
the installed scikit-learn's), run against kmix.AgglomerativeClustering. See tests/upstream.py."""

import kmix
from upstream import load

globals().update(
    load("sklearn.cluster.tests.test_hierarchical", {"AgglomerativeClustering": kmix.AgglomerativeClustering})
)

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
    # FeatureAgglomeration's cases of these parametrized tests (their AgglomerativeClustering
    # cases run).
    "test_agglomeration_ward_constrained_metric[FeatureAgglomeration]": NOT_IN_KMIX,
    "test_agglomeration_ward_euclidean[*-FeatureAgglomeration]": NOT_IN_KMIX,
}
UPSTREAM_XFAIL = {}
