"""kmix.GaussianMixture (EM iterations for each covariance type, predict_proba on one row) against
scikit-learn.

The `gmm` workloads of `kmix bench` (python/kmix/bench/), standard suite unless --suite says
otherwise; every option of `kmix bench` works here:

    python bench/bench_gmm.py [--suite smoke|standard|full] [--repeat R] [--threads N] [--peers ...] [--json PATH]
"""

import sys

from kmix.bench import main

if __name__ == "__main__":
    sys.exit(main(["--suite", "standard", "--only", "gmm", *sys.argv[1:]]))
