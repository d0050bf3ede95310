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

# fastcluster's O(n·d)-memory version of these (linkage_vector) is its faster one (centroid and
# median at 5k: 0.10 s against 0.23-0.36 s on the matrix, one run), so it is the one to beat.
VECTOR_METHODS = ("ward", "single", "centroid", "median")


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

        calls["fastcluster"] = (
            (lambda: fastcluster.linkage_vector(X, method))
            if method in VECTOR_METHODS
            else (lambda: fastcluster.linkage(X, method))
        )
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
            agreement[name] = {
                "heights_max_diff": heights,
                "ari": adjusted_rand_index(our_labels, _cut_tree_labels(theirs[:, :2].astype(np.intp), cut, n)),
                "ok": heights <= 1e-9 * max(1.0, float(ours[-1, 2])),
            }
    return {"per": "call", "times": times, "agreement": agreement, "dtype": "float64", "flops": None, "bytes": None}


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
    peak_mb = res["maxrss_kb"] / 2**10
    times = {"kmix": {"time_s": res["seconds"], "runs_s": [res["seconds"]], "result": None}}
    return {
        "per": "call",
        "times": times,
        "agreement": {},
        "dtype": "float64",
        "flops": None,
        "bytes": None,
        "extra": {"peak_rss_mb": peak_mb, "matrix_gb_avoided": n * (n - 1) / 2 * 8 / 1e9},
    }


_GRAPH_CHILD = """
import json, sys, time, warnings
import numpy as np
from sklearn.neighbors import kneighbors_graph
from kmix.bench.linkage import make_data
X = make_data({n}, {d})
G = kneighbors_graph(X, {k_neighbors})
if {lib!r} == "kmix":
    import kmix
    est = kmix.AgglomerativeClustering(n_clusters=10, linkage={method!r}, connectivity=G, n_threads={threads})
else:
    from sklearn.cluster import AgglomerativeClustering
    est = AgglomerativeClustering(n_clusters=10, linkage={method!r}, connectivity=G)
with open("/proc/self/status") as f:  # the peak so far (data and graph), to tell the fit's own
    before_kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    est.fit(X)
seconds = time.perf_counter() - t0
with open("/proc/self/status") as f:
    rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
np.save({out!r}, est.labels_)
print(json.dumps({{"seconds": seconds, "maxrss_kb": rss_kb, "before_kb": before_kb}}))
"""


def connectivity(ctx, n, d, method="ward", k_neighbors=10, timeout_s=600):
    """AgglomerativeClustering(connectivity=k-NN graph, n_clusters=10) at n points: kmix and
    scikit-learn each in a child process (peak resident memory its own; the graph, built by
    scikit-learn's kneighbors_graph, is not timed). scikit-learn is stopped after timeout_s."""
    import os
    import tempfile

    try:
        import sklearn  # noqa: F401  (kneighbors_graph builds the graph for both)
    except ImportError:
        from ._peers import Skip

        raise Skip("needs scikit-learn for the k-NN graph: pip install scikit-learn") from None
    libs = ["kmix"] + (["sklearn"] if "sklearn" in ctx.peers else [])
    times, extra, labels = {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for lib in libs:
            out = os.path.join(tmp, f"{lib}.npy")
            code = _GRAPH_CHILD.format(
                n=n, d=d, k_neighbors=k_neighbors, lib=lib, method=method, threads=ctx.threads, out=out
            )
            try:
                res = subprocess.run(
                    [sys.executable, "-c", code],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=timeout_s if lib != "kmix" else None,
                )
            except subprocess.TimeoutExpired:
                extra[f"{lib}_note"] = f"stopped after {timeout_s} s"
                continue
            r = json.loads(res.stdout.strip().splitlines()[-1])
            times[lib] = {"time_s": r["seconds"], "runs_s": [r["seconds"]], "result": None}
            extra[f"{lib}_peak_rss_mb"] = round(r["maxrss_kb"] / 2**10, 1)
            extra[f"{lib}_peak_before_fit_mb"] = round(r["before_kb"] / 2**10, 1)
            labels[lib] = np.load(out)
    agreement = {}
    if "sklearn" in labels:
        ari = adjusted_rand_index(labels["kmix"], labels["sklearn"])
        agreement["sklearn"] = {
            "ari": ari,
            "same_labels": bool(np.array_equal(labels["kmix"], labels["sklearn"])),
            "ok": ari == 1.0,
        }
    return {
        "per": "call",
        "times": times,
        "agreement": agreement,
        "dtype": "float64",
        "flops": None,
        "bytes": None,
        "extra": extra,
    }
