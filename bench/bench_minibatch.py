"""Benchmark kmix.MiniBatchKMeans against scikit-learn's MiniBatchKMeans.

The issue's workload: float32 blobs with 10 features, k=8, ``batch_size=8192, max_iter=3,
max_no_improvement=None, tol=0, compute_labels=True``, the same random_state (kmix draws the same
batches as scikit-learn, so both run the same steps). At 1 million rows both run, alternating,
median of repeats; at 10 million rows kmix alone unless --sklearn-10m (scikit-learn needs
several minutes there: its weighted batch draw is O(n) per step). Agreement: max center
difference and inertia ratio.

    python bench/bench_minibatch.py [--repeat 3] [--threads N] [--sklearn-10m] [--json PATH]
"""
import argparse
import json
import sys

import numpy as np
from sklearn.cluster import MiniBatchKMeans as SkMiniBatch

import kmix
from bench_kmeans import alternate, timed, versions

PARAMS = dict(n_clusters=8, batch_size=8192, max_iter=3, max_no_improvement=None, tol=0.0, compute_labels=True,
              random_state=0)


def make_data(n, d=10, k=8, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-5, 5, size=(k, d)).astype(np.float32)
    X = rng.standard_normal((n, d), dtype=np.float32)
    X += centers[rng.integers(0, k, size=n)]
    return X


def bench(n, repeat, threads, with_sklearn):
    X = make_data(n)
    makers = {"kmix": lambda: kmix.MiniBatchKMeans(**PARAMS, n_threads=threads)}
    if with_sklearn:
        makers["sklearn"] = lambda: SkMiniBatch(**PARAMS)
    results = alternate({name: (lambda make=make: timed(lambda: make().fit(X), threads)) for name, make in makers.items()},
                        repeat)
    models = {name: rs[-1][1] for name, rs in results.items()}
    times = {name: [s for s, _ in rs] for name, rs in results.items()}
    out = {"n": n, "d": X.shape[1], "dtype": "float32", "params": {k: v for k, v in PARAMS.items()}}
    for name, ts in times.items():
        out[name] = {"s": float(np.median(ts)), "runs_s": ts, "inertia": float(models[name].inertia_),
                     "n_steps": int(models[name].n_steps_)}
    if with_sklearn:
        out["ratio"] = out["sklearn"]["s"] / out["kmix"]["s"]
        sk = models["sklearn"].cluster_centers_
        out["center_max_diff"] = float(np.abs(models["kmix"].cluster_centers_ - sk).max())
        out["inertia_ratio"] = out["kmix"]["inertia"] / out["sklearn"]["inertia"]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--sklearn-10m", action="store_true", help="also run scikit-learn at 10M rows (minutes)")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    info = versions()
    print(f"kmix {info['kmix']} (isa {info['kmix_config']['isa']}, {info['kmix_config']['threads']} threads), "
          f"scikit-learn {info['sklearn']}", flush=True)
    results = [bench(1_000_000, args.repeat, args.threads, True),
               bench(10_000_000, 1 if args.sklearn_10m else args.repeat, args.threads, args.sklearn_10m)]
    for r in results:
        line = f"n={r['n']:>9} x {r['d']} float32: kmix {r['kmix']['s']:.2f} s ({r['kmix']['n_steps']} steps)"
        if "sklearn" in r:
            line += (f", sklearn {r['sklearn']['s']:.2f} s, sklearn/kmix {r['ratio']:.1f}, centers differ by "
                     f"{r['center_max_diff']:.1e}, inertia ratio {r['inertia_ratio']:.6f}")
        print(line, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": info, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
