"""Whole KMeans fits at large k (k-means++, the default tol): kmix's algorithm="auto", Lloyd,
Hamerly and Elkan against scikit-learn's lloyd and elkan, scikit-learn-intelex and faiss, with
the share of distances each bounded algorithm skipped.

The `kmeans-large-k` workloads of `kmix bench`, full suite (they take minutes: scikit-learn's
seeding alone at (50k, 768, 1000)); every option of `kmix bench` works here:

    python bench/bench_kmeans_large_k.py [--repeat R] [--threads N] [--peers ...] [--json PATH]
"""

import sys

from kmix.bench import main

if __name__ == "__main__":
    sys.exit(main(["--suite", "full", "--only", "kmeans-large-k", *sys.argv[1:]]))
