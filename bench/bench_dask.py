"""kmix.dask.KMeans against dask-ml's KMeans on a local Dask cluster (2 worker processes).

The `dask` workloads of `kmix bench` (python/kmix/bench/), standard suite unless --suite says
otherwise; every option of `kmix bench` works here:

    python bench/bench_dask.py [--suite smoke|standard|full] [--repeat R] [--json PATH]
"""

import sys

from kmix.bench import main

if __name__ == "__main__":
    sys.exit(main(["--suite", "standard", "--only", "dask", *sys.argv[1:]]))
