"""scikit-learn's own sklearn/mixture/tests/test_bayesian_mixture.py, run against kmix (see
tests/upstream.py)."""

import kmix
from upstream import load

UPSTREAM_SKIP = {
    "test_log_dirichlet_norm": "scikit-learn private helper (_log_dirichlet_norm), tested against scipy",
    "test_log_wishart_norm": "scikit-learn private helper (_log_wishart_norm), tested against scipy",
    "test_compare_covar_type": "scikit-learn private methods (BayesianGaussianMixture._check_parameters and "
    "_initialize_parameters)",
}
UPSTREAM_XFAIL = {}

globals().update(
    load("sklearn.mixture.tests.test_bayesian_mixture", {"BayesianGaussianMixture": kmix.BayesianGaussianMixture})
)
