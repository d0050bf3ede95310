"""kmix.metrics.silhouette_score against scikit-learn's (every row, Euclidean).

The `silhouette` workloads of `kmix bench` (python/kmix/bench/), standard suite unless --suite says
otherwise; every option of `kmix bench` works here:

    python bench/bench_silhouette.py [--suite smoke|standard|full] [--repeat R] [--threads N] [--json PATH]
"""

import sys

from kmix.bench import main

if __name__ == "__main__":
    sys.exit(main(["--suite", "standard", "--only", "silhouette", *sys.argv[1:]]))
