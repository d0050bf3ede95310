"""Benchmark kmix.KMeans against scikit-learn's KMeans (algorithm="lloyd").

What it measures, all in one process run:

* Machine peaks, measured first: DGEMM and SGEMM GFLOP/s through numpy's BLAS (``A @ B`` on
  2048x2048 matrices, median of a few runs, 2*n^3 flops) and memory stream bandwidth on a
  512 MB array (``np.copyto`` counting read + write bytes, and ``a.sum()`` counting read bytes,
  split over the benchmark's threads; best of a few runs).
* Fit time per Lloyd iteration for each shape: both estimators get the same data (Gaussian
  blobs, fixed seed), the same init array, ``n_init=1, tol=0, max_iter=20``. Each repeat runs
  kmix and scikit-learn back to back (alternating which goes first); the reported figure is the
  median over repeats of fit time / that estimator's own ``n_iter_``. Each timed fit starts
  after a 0.3 s pause, so that the previous library's worker threads (OpenBLAS, OpenMP), which
  busy-wait for a while after their work, do not take the cores from the next one.
  From kmix's time per iteration: GFLOP/s (2*n*k*d flops for the distances + n*d for the
  center sums, per iteration) as a fraction of the GEMM peak for the dtype, and GB/s (X read
  once per iteration, n*d*itemsize bytes) as a fraction of the measured bandwidth.
* Agreement: max |centers_kmix - centers_sklearn| / max |centers_sklearn|, and how many labels
  differ.
* predict latency on one row (model fitted on 10_000 x 16, k=8, float64): every call timed
  with perf_counter_ns, blocks of calls alternating between kmix and scikit-learn, median.

ratio = scikit-learn time / kmix time: above 1 means kmix is faster.

    python bench/bench_kmeans.py [--repeat 5] [--threads N] [--quick] [--json results.json]

The measuring functions are pure (parameters in, dict out) so they can move into a package.
"""
import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import sklearn
from sklearn.cluster import KMeans as SkKMeans
from threadpoolctl import threadpool_limits

import kmix

SHAPES = [  # (n_samples, n_features, n_clusters, dtype)
    (100_000, 16, 8, "float64"),
    (1_000_000, 8, 16, "float64"),
    (50_000, 128, 256, "float32"),
    (60_000, 784, 10, "float32"),
]
MAX_ITER = 20
AGREE_TOL = {"float64": 1e-9, "float32": 1e-4}  # center rel. difference counted as agreement


# ---- machine peaks ---------------------------------------------------------------------------
def measure_gemm_gflops(dtype, n=2048, repeats=5, threads=None):
    """Median GFLOP/s of an n x n matrix product through numpy's BLAS (all its threads)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    times = []
    with threadpool_limits(limits=threads, user_api="blas"):
        a @ b  # warm-up
        for _ in range(repeats):
            t0 = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - t0)
    return {"dtype": np.dtype(dtype).name, "n": n, "gflops": 2 * n ** 3 / np.median(times) / 1e9}


def measure_bandwidth(nbytes=512 * 2 ** 20, repeats=5, threads=None):
    """Best-of-repeats GB/s of a parallel copy (read + write bytes) and a parallel sum (read)."""
    threads = threads or os.cpu_count() or 1
    src = np.ones(nbytes // 8)
    dst = np.zeros_like(src)  # touched, so page faults are not timed
    edges = np.linspace(0, src.size, threads + 1).astype(int)
    parts = [slice(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]

    def best_seconds(work):  # numpy releases the GIL in copyto and sum
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, parts))  # warm-up
            runs = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                list(pool.map(work, parts))
                runs.append(time.perf_counter() - t0)
        return min(runs)

    copy_s = best_seconds(lambda s: np.copyto(dst[s], src[s]))
    read_s = best_seconds(lambda s: src[s].sum())
    copy_gbps, read_gbps = 2 * src.nbytes / copy_s / 1e9, src.nbytes / read_s / 1e9
    return {"bytes": src.nbytes, "threads": threads, "copy_gbps": copy_gbps, "read_gbps": read_gbps,
            "gbps": max(copy_gbps, read_gbps)}


def measure_peaks(threads=None):
    return {"dgemm_gflops": measure_gemm_gflops(np.float64, threads=threads)["gflops"],
            "sgemm_gflops": measure_gemm_gflops(np.float32, threads=threads)["gflops"],
            "bandwidth": measure_bandwidth(threads=threads)}


# ---- data ------------------------------------------------------------------------------------
def make_blobs(n, d, k, dtype, seed=0, box=1.0):
    """k Gaussian blobs (unit noise, centers uniform in [-box, box]^d) and k seeded init rows.

    The blobs overlap (box=1), so Lloyd keeps moving for the 20 timed iterations.
    """
    rng = np.random.default_rng(seed)
    true_centers = rng.uniform(-box, box, size=(k, d)).astype(dtype)
    X = rng.standard_normal((n, d), dtype=np.dtype(dtype).type)
    X += true_centers[rng.integers(0, k, size=n)]
    init = X[rng.choice(n, size=k, replace=False)].copy()
    return X, init


# ---- fit -------------------------------------------------------------------------------------
def _estimators(k, init, threads, max_iter):
    common = dict(n_clusters=k, init=init, n_init=1, tol=0.0, max_iter=max_iter)
    return {"kmix": lambda: kmix.KMeans(**common, n_threads=threads),
            "sklearn": lambda: SkKMeans(**common, algorithm="lloyd")}


SETTLE_S = 0.3  # pause before each timed fit: the other library's idle threads stop spinning


def timed(fn, threads=None):
    """(seconds, result) of fn(), after the settle pause and under threadpool_limits(threads)."""
    time.sleep(SETTLE_S)
    with threadpool_limits(limits=threads):
        t0 = time.perf_counter()
        result = fn()
        return time.perf_counter() - t0, result


def alternate(runs, repeat):
    """Each of `repeat` rounds calls every runs[name]() (returning (seconds, result)), in reversed
    order every other round; returns name -> list of (seconds, result)."""
    out = {name: [] for name in runs}
    for r in range(repeat):
        for name in (list(runs) if r % 2 == 0 else list(runs)[::-1]):
            out[name].append(runs[name]())
    return out


def per_iteration(results):
    """Fit timings from alternate(): median ms per iteration (each fit over its own n_iter_),
    median fit seconds, the iteration counts seen and every run's seconds."""
    return {"ms_per_iter": 1e3 * float(np.median([s / est.n_iter_ for s, est in results])),
            "fit_s": float(np.median([s for s, _ in results])),
            "n_iter": sorted({int(est.n_iter_) for _, est in results}), "runs_s": [s for s, _ in results]}


def print_header(info, args):
    print(f"kmix {info['kmix']} (isa {info['kmix_config']['isa']}, {info['kmix_config']['threads']} threads), "
          f"numpy {info['numpy']}, scikit-learn {info['sklearn']}, python {info['python']}; "
          f"threads={args.threads or 'default'}, repeat={args.repeat}", flush=True)


def _timed_fit(make, X, threads):
    est = make()
    return timed(lambda: est.fit(X), threads)


def agreement(km, sk):
    """How close kmix's fitted model is to scikit-learn's."""
    scale = np.abs(sk.cluster_centers_).max() or 1.0
    return {"center_rel_diff": float(np.abs(km.cluster_centers_ - sk.cluster_centers_).max() / scale),
            "labels_equal": bool(np.array_equal(km.labels_, sk.labels_)),
            "labels_differing": int(np.count_nonzero(km.labels_ != sk.labels_)),
            "inertia_rel_diff": float(abs(km.inertia_ - sk.inertia_) / max(sk.inertia_, 1e-300)),
            "n_iter_equal": bool(km.n_iter_ == sk.n_iter_)}


def throughput(n, d, k, itemsize, sec_per_iter):
    """GFLOP/s and GB/s of one Lloyd iteration done in sec_per_iter."""
    flops = 2 * n * k * d + n * d
    return {"gflops": flops / sec_per_iter / 1e9, "gbps": n * d * itemsize / sec_per_iter / 1e9}


def bench_fit(n, d, k, dtype, repeat=5, threads=None, max_iter=MAX_ITER, seed=0):
    """Median time per Lloyd iteration of kmix and scikit-learn, alternating within each repeat."""
    X, init = make_blobs(n, d, k, dtype, seed)
    makers = _estimators(k, init, threads, max_iter)
    for make in _estimators(k, init, threads, 2).values():  # warm-up: threads, caches, imports
        _timed_fit(make, X, threads)
    results = alternate({name: (lambda make=make: _timed_fit(make, X, threads)) for name, make in makers.items()},
                        repeat)
    models = {name: rs[-1][1] for name, rs in results.items()}
    out = {"n": n, "d": d, "k": k, "dtype": np.dtype(dtype).name, "max_iter": max_iter, "repeat": repeat}
    for name, rs in results.items():
        out[name] = per_iteration(rs)
    out["ratio"] = out["sklearn"]["ms_per_iter"] / out["kmix"]["ms_per_iter"]
    out["kmix"].update(throughput(n, d, k, X.itemsize, out["kmix"]["ms_per_iter"] / 1e3))
    out["agreement"] = agreement(models["kmix"], models["sklearn"])
    out["agreement"]["ok"] = (out["agreement"]["labels_equal"]
                              and out["agreement"]["center_rel_diff"] <= AGREE_TOL[out["dtype"]])
    return out


def add_peak_fractions(result, peaks):
    """Fractions of the GEMM peak (for the dtype) and of the bandwidth reached by kmix."""
    peak = peaks["dgemm_gflops" if result["dtype"] == "float64" else "sgemm_gflops"]
    result["kmix"]["frac_peak_gflops"] = result["kmix"]["gflops"] / peak
    result["kmix"]["frac_bandwidth"] = result["kmix"]["gbps"] / peaks["bandwidth"]["gbps"]
    return result


# ---- predict latency -------------------------------------------------------------------------
def bench_predict(n=10_000, d=16, k=8, dtype="float64", calls=2000, blocks=10, threads=None, seed=0):
    """Median latency (us) of predict on one row, blocks of calls alternating kmix / sklearn."""
    X, init = make_blobs(n, d, k, dtype, seed)
    models = {name: make().fit(X) for name, make in _estimators(k, init, threads, 300).items()}
    row = np.ascontiguousarray(X[:1])
    ns = {name: [] for name in models}
    with threadpool_limits(limits=threads):
        for name, model in models.items():  # warm-up
            for _ in range(50):
                model.predict(row)
        for b in range(blocks):
            for name in (list(models) if b % 2 == 0 else list(models)[::-1]):
                predict, times = models[name].predict, ns[name]
                for _ in range(calls // blocks):
                    t0 = time.perf_counter_ns()
                    predict(row)
                    times.append(time.perf_counter_ns() - t0)
    out = {"n": n, "d": d, "k": k, "dtype": dtype, "calls": calls}
    for name, times in ns.items():
        out[name] = {"us": float(np.median(times)) / 1e3}
    out["ratio"] = out["sklearn"]["us"] / out["kmix"]["us"]
    return out


# ---- report ----------------------------------------------------------------------------------
def format_peaks(peaks):
    bw = peaks["bandwidth"]
    return (f"peaks: DGEMM {peaks['dgemm_gflops']:.1f} GFLOP/s, SGEMM {peaks['sgemm_gflops']:.1f} GFLOP/s, "
            f"copy {bw['copy_gbps']:.1f} GB/s (read+write), sum {bw['read_gbps']:.1f} GB/s (read), "
            f"{bw['threads']} threads; bandwidth reference {bw['gbps']:.1f} GB/s")


def format_fit_table(results):
    head = (f"{'n':>9} {'d':>4} {'k':>4} {'dtype':>7} {'iters':>6} {'kmix ms/it':>10} {'skl ms/it':>10} "
            f"{'skl/kmix':>8} {'GFLOP/s':>8} {'%peak':>6} {'GB/s':>6} {'%bw':>6} {'ctr reldiff':>11} {'labels':>8}")
    lines = [head, "-" * len(head)]
    for r in results:
        km, sk, ag = r["kmix"], r["sklearn"], r["agreement"]
        iters = f"{max(km['n_iter'])}/{max(sk['n_iter'])}"
        labels = "same" if ag["labels_equal"] else f"{ag['labels_differing']} diff"
        lines.append(f"{r['n']:>9} {r['d']:>4} {r['k']:>4} {r['dtype']:>7} {iters:>6} {km['ms_per_iter']:>10.3f} "
                     f"{sk['ms_per_iter']:>10.3f} {r['ratio']:>8.2f} {km['gflops']:>8.1f} "
                     f"{100 * km['frac_peak_gflops']:>5.1f}% {km['gbps']:>6.1f} {100 * km['frac_bandwidth']:>5.1f}% "
                     f"{ag['center_rel_diff']:>11.2e} {labels:>8}" + ("" if ag["ok"] else "  <-- DISAGREE"))
    return "\n".join(lines)


def format_predict(p):
    return (f"predict 1 row (model {p['n']}x{p['d']}, k={p['k']}, {p['dtype']}; median of {p['calls']} calls): "
            f"kmix {p['kmix']['us']:.1f} us, sklearn {p['sklearn']['us']:.1f} us, sklearn/kmix {p['ratio']:.2f}")


def versions():
    return {"kmix": kmix.__version__, "numpy": np.__version__, "sklearn": sklearn.__version__,
            "python": platform.python_version(), "cpu_count": os.cpu_count(),
            "kmix_config": kmix.show_config(print_out=False)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="repeats per shape (median reported)")
    ap.add_argument("--threads", type=int, default=None, help="threads for kmix, sklearn and the peaks")
    ap.add_argument("--quick", action="store_true", help="n/10 on every shape, a smoke run")
    ap.add_argument("--json", metavar="PATH", help="write all results to this JSON file")
    args = ap.parse_args(argv)

    info = versions()
    print_header(info, args)
    peaks = measure_peaks(args.threads)
    print(format_peaks(peaks), flush=True)

    scale = 10 if args.quick else 1
    fits = []
    for n, d, k, dtype in SHAPES:
        r = bench_fit(n // scale, d, k, dtype, repeat=args.repeat, threads=args.threads)
        fits.append(add_peak_fractions(r, peaks))
        print(f"  done {n // scale}x{d} k={k} {dtype}", file=sys.stderr, flush=True)
    print(format_fit_table(fits))
    pred = bench_predict(calls=400 if args.quick else 2000, threads=args.threads)
    print(format_predict(pred))

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": info, "args": vars(args), "peaks": peaks, "fit": fits, "predict": pred},
                      f, indent=2)
    return 0 if all(r["agreement"]["ok"] for r in fits if r["dtype"] == "float64") else 1


if __name__ == "__main__":
    sys.exit(main())
