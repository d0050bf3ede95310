"""scipy's own tests of scipy.cluster.hierarchy (scipy/cluster/tests/test_hierarchy.py, the
installed scipy's), run against kmix: ``linkage`` and ``optimal_leaf_ordering`` are kmix's. The
tests of the functions kmix does not have (fcluster, dendrogram, cophenet, is_valid_linkage, ...)
run scipy's own functions, on kmix's linkage matrices where the test builds one with
``linkage``. The array-API machinery of the file runs with numpy only (the ``xp`` fixture in
conftest.py). See tests/upstream.py."""

import kmix
from upstream import load

globals().update(
    load(
        "scipy.cluster.tests.test_hierarchy",
        {"linkage": kmix.linkage, "optimal_leaf_ordering": kmix.optimal_leaf_ordering},
        at_import=False,
    )
)  # its decorators look linkage up in scipy's own tables

UPSTREAM_SKIP = {
    "test_Heap": "scipy private helper (scipy.cluster._hierarchy.Heap), not kmix's",
}
UPSTREAM_XFAIL = {}
