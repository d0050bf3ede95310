"""scikit-learn's own tests of the unsupervised cluster scores
(sklearn/metrics/cluster/tests/test_unsupervised.py, the installed version) run against kmix: the
silhouette (every metric, "precomputed", sample_size), Calinski-Harabasz and Davies-Bouldin.
See tests/upstream.py."""

import kmix.metrics
from upstream import load

globals().update(
    load(
        "sklearn.metrics.cluster.tests.test_unsupervised",
        {
            "silhouette_score": kmix.metrics.silhouette_score,
            "silhouette_samples": kmix.metrics.silhouette_samples,
            "calinski_harabasz_score": kmix.metrics.calinski_harabasz_score,
            "davies_bouldin_score": kmix.metrics.davies_bouldin_score,
        },
    )
)

UPSTREAM_SKIP = {
    "test_silhouette_reduce*": "scikit-learn's private helper _silhouette_reduce",
}
UPSTREAM_XFAIL = {}
