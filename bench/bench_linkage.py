"""kmix.linkage (Ward and the other linkages; in the full suite Ward at 100k points with its
peak memory) against fastcluster and scipy.

The `linkage` workloads of `kmix bench` (python/kmix/bench/), standard suite unless --suite says
otherwise; every option of `kmix bench` works here:

    python bench/bench_linkage.py [--suite smoke|standard|full] [--repeat R] [--threads N] [--peers ...] [--json PATH]
"""

import sys

from kmix.bench import main

if __name__ == "__main__":
    sys.exit(main(["--suite", "standard", "--only", "linkage", *sys.argv[1:]]))
