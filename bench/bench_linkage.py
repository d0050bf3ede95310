"""Benchmark kmix.linkage against fastcluster and scipy.

What it measures, in one process run:

* Ward at (20_000, 8) float64 against ``fastcluster.linkage_vector(X, "ward")`` (the same NN-chain
  on vectors, single-threaded) and, with --scipy, ``scipy.cluster.hierarchy.linkage(X, "ward")``
  (which builds the n² matrix): alternating, median of repeats, with the largest difference of
  the sorted merge heights.
* Single, average and complete linkage at (5_000, 8) against fastcluster and scipy the same way.
* Ward at (100_000, 8): kmix alone (scipy and scikit-learn would need the 40 GB matrix), run in a
  child process so that its peak resident memory (ru_maxrss) is the linkage's own.

ratio = peer time / kmix time: above 1 means kmix is faster.

    python bench/bench_linkage.py [--repeat 3] [--threads N] [--scipy] [--skip-100k] [--json PATH]
"""
import argparse
import json
import subprocess
import sys

import numpy as np
import scipy
from scipy.cluster import hierarchy as sch

import kmix
from bench_kmeans import alternate, timed, versions

try:
    import fastcluster
except ImportError:  # optional peer
    fastcluster = None


def make_data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-5, 5, size=(20, d))
    return centers[rng.integers(0, 20, size=n)] + rng.standard_normal((n, d))


def bench_method(n, d, method, repeat, threads, with_scipy):
    X = make_data(n, d)
    peers = {"kmix": lambda: kmix.linkage(X, method, n_threads=threads)}
    if fastcluster is not None:
        peers["fastcluster"] = (lambda: fastcluster.linkage_vector(X, method)) if method in ("ward", "single") \
            else (lambda: fastcluster.linkage(X, method))
    if with_scipy:
        peers["scipy"] = lambda: sch.linkage(X, method)
    results = alternate({name: (lambda fn=fn: timed(fn, threads)) for name, fn in peers.items()}, repeat)
    Z = {name: rs[-1][1] for name, rs in results.items()}
    out = {"n": n, "d": d, "method": method, "repeat": repeat}
    for name, rs in results.items():
        ts = [s for s, _ in rs]
        out[name] = {"s": float(np.median(ts)), "runs_s": ts}
        if name != "kmix":
            out[name]["ratio"] = out[name]["s"] / out["kmix"]["s"]
            out[name]["max_height_diff"] = float(np.abs(np.sort(Z["kmix"][:, 2]) - np.sort(Z[name][:, 2])).max())
    return out


_CHILD = """
import resource, sys, time, numpy as np, kmix
sys.path.insert(0, {path!r})
from bench_linkage import make_data
X = make_data({n}, {d})
t0 = time.perf_counter()
Z = kmix.linkage(X, "ward", n_threads={threads})
print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, float(Z[-1, 2]))
"""


def bench_ward_large(n=100_000, d=8, threads=None):
    import os

    code = _CHILD.format(path=os.path.dirname(os.path.abspath(__file__)), n=n, d=d, threads=threads)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, maxrss_kb, top = out.stdout.split()
    return {"n": n, "d": d, "method": "ward", "kmix": {"s": float(seconds), "peak_rss_mb": int(maxrss_kb) / 1024,
                                                      "top_height": float(top)}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--scipy", action="store_true", help="also time scipy at 20k (about 20 s a run)")
    ap.add_argument("--skip-100k", action="store_true")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    info = versions()
    info["scipy"] = scipy.__version__
    info["fastcluster"] = getattr(fastcluster, "__version__", None)
    print(f"kmix {info['kmix']} (isa {info['kmix_config']['isa']}, {info['kmix_config']['threads']} threads), "
          f"scipy {info['scipy']}, fastcluster {info['fastcluster'] or 'not installed'}", flush=True)
    results = [bench_method(20_000, 8, "ward", args.repeat, args.threads, args.scipy)]
    for method in ("single", "average", "complete"):
        results.append(bench_method(5_000, 8, method, args.repeat, args.threads, True))
    for r in results:
        line = f"{r['method']:>8} n={r['n']:>6} d={r['d']}: kmix {r['kmix']['s']:.3f} s"
        for peer in ("fastcluster", "scipy"):
            if peer in r:
                line += (f", {peer} {r[peer]['s']:.3f} s ({peer}/kmix {r[peer]['ratio']:.2f}, "
                         f"heights differ by {r[peer]['max_height_diff']:.1e})")
        print(line, flush=True)
    if not args.skip_100k:
        big = bench_ward_large(threads=args.threads)
        results.append(big)
        print(f"    ward n={big['n']} d={big['d']}: kmix {big['kmix']['s']:.1f} s, peak memory "
              f"{big['kmix']['peak_rss_mb']:.0f} MB (whole process)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": info, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
