"""kmix.KMeans, kmeans_plusplus and MiniBatchKMeans on a TF-IDF-like CSR matrix against
scikit-learn on the same matrix with the same init.

The `sparse` workloads of `kmix bench` (python/kmix/bench/sparse.py), standard suite unless --suite
says otherwise; every option of `kmix bench` works here:

    python bench/bench_sparse.py [--suite smoke|standard|full] [--repeat R] [--threads N] [--peers ...] [--json PATH]
"""

import sys

from kmix.bench import main

if __name__ == "__main__":
    sys.exit(main(["--suite", "standard", "--only", "sparse", *sys.argv[1:]]))
