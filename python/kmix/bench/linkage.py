"""Hierarchical clustering workloads: kmix.linkage against fastcluster and scipy, and Ward on
more points than an n×n matrix could hold (kmix alone, peak memory in a child process)."""
import json
import subprocess
import sys

import numpy as np

import kmix
from kmix.hierarchy import _cut_tree_labels

from ._agreement import adjusted_rand_index
from ._timing import alternate, summarize, timed

VECTOR_METHODS = ("ward", "single")  # fastcluster has an O(n·d)-memory version of these


def make_data(n, d, seed=0, n_blobs=20):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-5, 5, size=(n_blobs, d))
    return centers[rng.integers(0, n_blobs, size=n)] + rng.standard_normal((n, d))


def fit(ctx, n, d, method="ward"):
    """The whole tree (scipy's Z) from raw vectors; time per call. Agreement: the largest
    difference of the sorted merge heights, and the ARI of the trees cut into 20 clusters."""
    X = make_data(n, d)
    calls = {"kmix": lambda: kmix.linkage(X, method, n_threads=ctx.threads)}
    if "fastcluster" in ctx.peers:
        import fastcluster

        calls["fastcluster"] = ((lambda: fastcluster.linkage_vector(X, method)) if method in VECTOR_METHODS
                                else (lambda: fastcluster.linkage(X, method)))
    if "scipy" in ctx.peers:
        from scipy.cluster import hierarchy

        calls["scipy"] = lambda: hierarchy.linkage(X, method)
    results = alternate({name: (lambda fn=fn: timed(fn, ctx.threads)) for name, fn in calls.items()}, ctx.repeat)
    times = summarize(results)
    ours = times["kmix"]["result"]
    cut = min(20, n)
    our_labels = _cut_tree_labels(ours[:, :2].astype(np.intp), cut, n)
    agreement = {}
    for name in calls:
        if name != "kmix":
            theirs = times[name]["result"]
            heights = float(np.abs(np.sort(ours[:, 2]) - np.sort(theirs[:, 2])).max())
            agreement[name] = {"heights_max_diff": heights,
                               "ari": adjusted_rand_index(our_labels,
                                                          _cut_tree_labels(theirs[:, :2].astype(np.intp), cut, n)),
                               "ok": heights <= 1e-9 * max(1.0, float(ours[-1, 2]))}
    return {"per": "call", "times": times, "agreement": agreement, "dtype": "float64",
            "flops": None, "bytes": None}


_CHILD = """
import json, resource, sys, time
import kmix
from kmix.bench.linkage import make_data
X = make_data({n}, {d})
t0 = time.perf_counter()
Z = kmix.linkage(X, "ward", n_threads={threads})
seconds = time.perf_counter() - t0
try:  # this process's own peak (ru_maxrss would also count the parent's pages at fork time)
    with open("/proc/self/status") as f:
        rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
except OSError:
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform == "darwin" else 1)
print(json.dumps({{"seconds": seconds, "maxrss_kb": rss_kb, "top": float(Z[-1, 2])}}))
"""


def ward_memory(ctx, n, d):
    """Ward from raw vectors at a size whose n×n matrix would not fit: kmix alone, in a child
    process so that its peak resident memory (whole process, imports included) is its own."""
    code = _CHILD.format(n=n, d=d, threads=ctx.threads)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    peak_mb = res["maxrss_kb"] / 2 ** 10
    times = {"kmix": {"time_s": res["seconds"], "runs_s": [res["seconds"]], "result": None}}
    return {"per": "call", "times": times, "agreement": {}, "dtype": "float64", "flops": None, "bytes": None,
            "extra": {"peak_rss_mb": peak_mb, "matrix_gb_avoided": n * (n - 1) / 2 * 8 / 1e9}}
