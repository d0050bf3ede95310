"""kmix.KMeans (Lloyd iterations per shape and dtype, k-means++ seeding, predict on one row) against
scikit-learn, scikit-learn-intelex and faiss.

The `kmeans` workloads of `kmix bench` (python/kmix/bench/), standard suite unless --suite says
otherwise; every option of `kmix bench` works here:

    python bench/bench_kmeans.py [--suite smoke|standard|full] [--repeat R] [--threads N] [--peers ...] [--json PATH]
"""

import sys

from kmix.bench import main

if __name__ == "__main__":
    sys.exit(main(["--suite", "standard", "--only", "kmeans", *sys.argv[1:]]))
