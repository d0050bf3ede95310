"""kmix.MiniBatchKMeans (a whole fit, the same batches) against scikit-learn.

The `minibatch` workloads of `kmix bench` (python/kmix/bench/), standard suite unless --suite says
otherwise; every option of `kmix bench` works here:

    python bench/bench_minibatch.py [--suite smoke|standard|full] [--repeat R] [--threads N] [--peers ...] [--json PATH]
"""

import sys

from kmix.bench import main

if __name__ == "__main__":
    sys.exit(main(["--suite", "standard", "--only", "minibatch", *sys.argv[1:]]))
