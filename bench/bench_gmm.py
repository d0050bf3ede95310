"""Benchmark kmix.GaussianMixture against scikit-learn's GaussianMixture.

What it measures, all in one process run (peaks and timing rules as bench_kmeans.py, whose
functions it uses):

* Fit time per EM iteration for each shape and covariance type: both estimators get the same
  data (Gaussian blobs, fixed seed) and the same weights_init / means_init / precisions_init
  (from the blobs' labels), ``tol=0, max_iter=10``. Each repeat runs kmix and scikit-learn back
  to back (alternating which goes first, a settle pause before each); the figure is the median
  over repeats of fit time / that estimator's own ``n_iter_``. From kmix's time: GFLOP/s (the
  flops of the E-step densities and the M-step sums, counted below) as a fraction of the DGEMM
  peak, and GB/s (X read once per iteration) as a fraction of the measured bandwidth.
* Agreement: max relative difference of means, covariances and weights, relative difference of
  lower_bound_, and whether n_iter_ is equal.
* predict_proba latency on one row (model: 10_000 x 8, k=8, full, float64), every call timed,
  blocks of calls alternating between kmix and scikit-learn, median.

ratio = scikit-learn time / kmix time: above 1 means kmix is faster.

    python bench/bench_gmm.py [--repeat 5] [--threads N] [--quick] [--json results.json]
"""
import argparse
import json
import sys
import time
import warnings

import numpy as np
from sklearn.mixture import GaussianMixture as SkGMM
from threadpoolctl import threadpool_limits

import kmix
from bench_kmeans import alternate, format_peaks, measure_peaks, per_iteration, print_header, timed, versions

SHAPES = [(100_000, 8, 8), (20_000, 32, 16)]  # (n_samples, n_features, n_components), float64
COV_TYPES = ("full", "diag", "tied", "spherical")
MAX_ITER = 10


def make_data(n, d, k, seed=0):
    """Overlapping Gaussian blobs and an init from their labels (weights, means, precisions as
    scikit-learn's estimate from hard responsibilities would give)."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-3, 3, size=(k, d))
    labels = rng.integers(0, k, size=n)
    X = centers[labels] + rng.standard_normal((n, d)) * rng.uniform(0.5, 1.5, size=(k, 1))[labels]
    return X, labels


def init_for(X, labels, k, cov_type):
    weights = np.bincount(labels, minlength=k) / len(labels)
    means = np.stack([X[labels == c].mean(axis=0) for c in range(k)])
    covs = np.stack([np.cov(X[labels == c].T) + 1e-6 * np.eye(X.shape[1]) for c in range(k)])
    if cov_type == "full":
        prec = np.linalg.inv(covs)
    elif cov_type == "tied":
        prec = np.linalg.inv(np.einsum("c,cij->ij", weights, covs))
    elif cov_type == "diag":
        prec = 1.0 / np.stack([np.diag(c) for c in covs])
    else:
        prec = 1.0 / np.array([np.diag(c).mean() for c in covs])
    return {"weights_init": weights, "means_init": means, "precisions_init": prec}


def em_flops(n, d, k, cov_type):
    """Arithmetic of one EM iteration (E-step densities + M-step sums), multiply-adds as 2."""
    tri = d * (d + 1) // 2
    if cov_type == "full":  # x − μ, triangular product, squares; then r·δ, S1 and the δδᵀ triangle
        return n * k * (d + 2 * tri + 2 * d + 3 * d + 2 * tri)
    if cov_type == "tied":  # one triangular product per row, k distances; r·δ, S1; one xxᵀ triangle
        return n * (2 * tri + k * 3 * d + k * 3 * d + 2 * tri)
    return n * k * (3 * d + 5 * d)  # diag / spherical: distance terms; r·δ, S1, S2


def _timed_fit(make, X, threads):
    est = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 never converges: both warn
        return timed(lambda: est.fit(X), threads)


def agreement(ours, theirs):
    def rel(a, b):
        return float(np.abs(np.asarray(a) - np.asarray(b)).max() / (np.abs(np.asarray(b)).max() or 1.0))

    return {"means_rel_diff": rel(ours.means_, theirs.means_),
            "covariances_rel_diff": rel(ours.covariances_, theirs.covariances_),
            "weights_rel_diff": rel(ours.weights_, theirs.weights_),
            "lower_bound_rel_diff": float(abs(ours.lower_bound_ - theirs.lower_bound_) / abs(theirs.lower_bound_)),
            "n_iter_equal": bool(ours.n_iter_ == theirs.n_iter_)}


def bench_fit(n, d, k, cov_type, repeat=5, threads=None, max_iter=MAX_ITER, seed=0):
    X, labels = make_data(n, d, k, seed)
    init = init_for(X, labels, k, cov_type)
    common = dict(n_components=k, covariance_type=cov_type, tol=0.0, max_iter=max_iter, **init)
    makers = {"kmix": lambda: kmix.GaussianMixture(**common, n_threads=threads),
              "sklearn": lambda: SkGMM(**common)}
    for make in makers.values():  # warm-up
        _timed_fit(make, X[: n // 10], threads)
    results = alternate({name: (lambda make=make: _timed_fit(make, X, threads)) for name, make in makers.items()},
                        repeat)
    models = {name: rs[-1][1] for name, rs in results.items()}
    out = {"n": n, "d": d, "k": k, "covariance_type": cov_type, "dtype": "float64", "max_iter": max_iter,
           "repeat": repeat}
    for name, rs in results.items():
        out[name] = per_iteration(rs)
    out["ratio"] = out["sklearn"]["ms_per_iter"] / out["kmix"]["ms_per_iter"]
    sec = out["kmix"]["ms_per_iter"] / 1e3
    out["kmix"]["gflops"] = em_flops(n, d, k, cov_type) / sec / 1e9
    out["kmix"]["gbps"] = n * d * 8 / sec / 1e9
    out["agreement"] = agreement(models["kmix"], models["sklearn"])
    ag = out["agreement"]
    out["agreement"]["ok"] = (ag["n_iter_equal"] and ag["lower_bound_rel_diff"] <= 1e-7
                              and max(ag["means_rel_diff"], ag["covariances_rel_diff"], ag["weights_rel_diff"]) <= 1e-6)
    return out


def bench_predict_proba(n=10_000, d=8, k=8, calls=2000, blocks=10, threads=None, seed=0):
    X, labels = make_data(n, d, k, seed)
    init = init_for(X, labels, k, "full")
    models = {"kmix": kmix.GaussianMixture(k, n_threads=threads, **init).fit(X), "sklearn": SkGMM(k, **init).fit(X)}
    row = np.ascontiguousarray(X[:1])
    ns = {name: [] for name in models}
    with threadpool_limits(limits=threads):
        for model in models.values():
            for _ in range(50):
                model.predict_proba(row)
        for b in range(blocks):
            for name in (list(models) if b % 2 == 0 else list(models)[::-1]):
                call, times = models[name].predict_proba, ns[name]
                for _ in range(calls // blocks):
                    t0 = time.perf_counter_ns()
                    call(row)
                    times.append(time.perf_counter_ns() - t0)
    out = {"n": n, "d": d, "k": k, "covariance_type": "full", "calls": calls}
    for name, times in ns.items():
        out[name] = {"us": float(np.median(times)) / 1e3}
    out["ratio"] = out["sklearn"]["us"] / out["kmix"]["us"]
    return out


def format_fit_table(results, peaks):
    head = (f"{'n':>8} {'d':>3} {'k':>3} {'cov':>9} {'kmix ms/it':>10} {'skl ms/it':>10} {'skl/kmix':>8} "
            f"{'GFLOP/s':>8} {'%peak':>6} {'GB/s':>6} {'%bw':>6} {'max reldiff':>11} {'n_iter':>6}")
    lines = [head, "-" * len(head)]
    for r in results:
        km, sk, ag = r["kmix"], r["sklearn"], r["agreement"]
        diff = max(ag["means_rel_diff"], ag["covariances_rel_diff"], ag["weights_rel_diff"])
        lines.append(f"{r['n']:>8} {r['d']:>3} {r['k']:>3} {r['covariance_type']:>9} {km['ms_per_iter']:>10.2f} "
                     f"{sk['ms_per_iter']:>10.2f} {r['ratio']:>8.1f} {km['gflops']:>8.1f} "
                     f"{100 * km['gflops'] / peaks['dgemm_gflops']:>5.1f}% {km['gbps']:>6.1f} "
                     f"{100 * km['gbps'] / peaks['bandwidth']['gbps']:>5.1f}% {diff:>11.1e} "
                     f"{'same' if ag['n_iter_equal'] else 'DIFF':>6}" + ("" if ag["ok"] else "  <-- DISAGREE"))
    return "\n".join(lines)


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
    for n, d, k in SHAPES:
        for ct in COV_TYPES:
            fits.append(bench_fit(n // scale, d, k, ct, repeat=args.repeat, threads=args.threads))
            print(f"  done {n // scale}x{d} k={k} {ct}", flush=True)
    print(format_fit_table(fits, peaks))
    pp = bench_predict_proba(threads=args.threads)
    print(f"predict_proba 1 row (model {pp['n']}x{pp['d']}, k={pp['k']}, full; median of {pp['calls']} calls): "
          f"kmix {pp['kmix']['us']:.1f} us, sklearn {pp['sklearn']['us']:.1f} us, sklearn/kmix {pp['ratio']:.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": info, "peaks": peaks, "fit": fits, "predict_proba": pp}, f, indent=1)
    return 0 if all(r["agreement"]["ok"] for r in fits) else 1


if __name__ == "__main__":
    sys.exit(main())
