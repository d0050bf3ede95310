"""The ``kmix`` command: ``kmix demo`` fits the reference data set (and reports how many
components a Bayesian mixture finds in it); ``kmix bench`` measures kmix
against the installed peers; ``kmix config`` shows the build."""
import argparse
import itertools
import sys
import time

import numpy as np

TRUE_CENTERS = np.array([[0.0, 0.0], [4.0, 4.0], [0.0, 4.0]])


def reference_blobs(seed=0, n_per_blob=300):
    """The reference data set: three 2-D unit-variance spherical Gaussian blobs of 300 points,
    centred at (0,0), (4,4) and (0,4). Returns X (900, 2) and the true blob of each row."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([c + rng.standard_normal((n_per_blob, 2)) for c in TRUE_CENTERS])
    return X, np.repeat(np.arange(len(TRUE_CENTERS)), n_per_blob)


def _match_to_truth(centers):
    """For each true center, the found center closest under the best one-to-one matching."""
    best = min(itertools.permutations(range(len(centers))),
               key=lambda p: np.linalg.norm(centers[list(p)] - TRUE_CENTERS, axis=1).sum())
    return list(best)


def demo(seed=0, plot=None, out=None):
    from . import KMeans

    out = out or sys.stdout

    X, _ = reference_blobs(seed)
    t0 = time.perf_counter()
    km = KMeans(n_clusters=3, random_state=seed).fit(X)
    elapsed = time.perf_counter() - t0
    order = _match_to_truth(km.cluster_centers_)
    print(f"kmix demo: 3 blobs x 300 points, 2-D, unit variance (seed {seed})", file=out)
    print("KMeans (k-means++, Lloyd):", file=out)
    for true, idx in zip(TRUE_CENTERS, order):
        c = km.cluster_centers_[idx]
        print(f"  center ({c[0]:+.3f}, {c[1]:+.3f})   true ({true[0]:+.0f}, {true[1]:+.0f})   "
              f"distance {np.linalg.norm(c - true):.3f}", file=out)
    print(f"  inertia {km.inertia_:.3f}   iterations {km.n_iter_}   time {elapsed * 1e3:.2f} ms", file=out)
    _demo_gmm(X, seed, out)
    _demo_bgmm(X, seed, out)
    _demo_ward(X, seed, out)
    if plot:
        _plot(X, km, plot, seed)
        print(f"  plot saved to {plot}", file=out)
    return km


def _demo_gmm(X, seed, out):
    """The GaussianMixture line: diagonal covariances, as the reference blobs are axis-aligned."""
    from . import GaussianMixture

    t0 = time.perf_counter()
    gm = GaussianMixture(n_components=3, covariance_type="diag", random_state=seed).fit(X)
    elapsed = time.perf_counter() - t0
    print("GaussianMixture (diag covariances, k-means init):", file=out)
    for true, idx in zip(TRUE_CENTERS, _match_to_truth(gm.means_)):
        m, var = gm.means_[idx], gm.covariances_[idx]
        print(f"  mean ({m[0]:+.3f}, {m[1]:+.3f})   true ({true[0]:+.0f}, {true[1]:+.0f})   "
              f"distance {np.linalg.norm(m - true):.3f}   variances ({var[0]:.3f}, {var[1]:.3f})   "
              f"weight {gm.weights_[idx]:.3f}", file=out)
    print(f"  log-likelihood/sample {gm.lower_bound_:.4f}   BIC {gm.bic(X):.1f}   iterations {gm.n_iter_}   "
          f"time {elapsed * 1e3:.2f} ms", file=out)
    return gm


BGMM_COMPONENTS = 8
BGMM_THRESHOLD = 0.01


def _demo_bgmm(X, seed, out):
    """The BayesianGaussianMixture line: a Dirichlet-process mixture given more components than
    there are blobs (diagonal covariances, as the GaussianMixture line) finds how many it needs;
    the others end with weights near zero. The components above the threshold are counted."""
    from . import BayesianGaussianMixture

    t0 = time.perf_counter()
    bg = BayesianGaussianMixture(n_components=BGMM_COMPONENTS, covariance_type="diag",
                                 weight_concentration_prior_type="dirichlet_process", max_iter=500,
                                 random_state=seed).fit(X)
    elapsed = time.perf_counter() - t0
    weights = np.sort(bg.weights_)[::-1]
    n_eff = int(np.count_nonzero(weights > BGMM_THRESHOLD))
    print(f"BayesianGaussianMixture (Dirichlet process, {BGMM_COMPONENTS} components, diag covariances):", file=out)
    rest = f"   largest other {weights[n_eff]:.4f}" if n_eff < len(weights) else ""
    print(f"  {n_eff} effective components (weight > {BGMM_THRESHOLD:g})   weights "
          + ", ".join(f"{w:.3f}" for w in weights[:n_eff]) + f"{rest}   iterations {bg.n_iter_}   "
          f"time {elapsed * 1e3:.2f} ms", file=out)
    return bg


def _demo_ward(X, seed, out):
    """The Ward line: the tree of all 900 points, cut into 3 clusters."""
    from . import AgglomerativeClustering

    t0 = time.perf_counter()
    ag = AgglomerativeClustering(n_clusters=3, linkage="ward", compute_distances=True).fit(X)
    elapsed = time.perf_counter() - t0
    centers = np.stack([X[ag.labels_ == c].mean(axis=0) for c in range(3)])
    print("AgglomerativeClustering (Ward linkage, cut into 3):", file=out)
    for true, idx in zip(TRUE_CENTERS, _match_to_truth(centers)):
        c = centers[idx]
        print(f"  cluster mean ({c[0]:+.3f}, {c[1]:+.3f})   true ({true[0]:+.0f}, {true[1]:+.0f})   "
              f"distance {np.linalg.norm(c - true):.3f}   size {np.count_nonzero(ag.labels_ == idx)}", file=out)
    print(f"  last merge heights {ag.distances_[-1]:.3f}, {ag.distances_[-2]:.3f}, {ag.distances_[-3]:.3f}   "
          f"time {elapsed * 1e3:.2f} ms", file=out)
    return ag


def _agg_pyplot():
    """matplotlib.pyplot on the file-only Agg backend, or None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _plot(X, km, path, seed=0):
    """Three panels: the clusters, the silhouette and the elbow (inertia) against k."""
    plt = _agg_pyplot()
    if plt is None:
        raise SystemExit("kmix demo --plot needs matplotlib (pip install matplotlib)")
    from .select import select_k

    fig, (ax, ax_sil, ax_elbow) = plt.subplots(1, 3, figsize=(15, 4.8))
    select_k(X, range(2, 9), method="silhouette", random_state=seed).plot(ax=ax_sil)
    select_k(X, range(1, 9), method="elbow", random_state=seed).plot(ax=ax_elbow)
    ax.scatter(X[:, 0], X[:, 1], c=km.labels_, s=8, cmap="viridis", alpha=0.7)
    ax.scatter(km.cluster_centers_[:, 0], km.cluster_centers_[:, 1], marker="X", s=200, c="red",
               edgecolors="black", label="centers found")
    ax.scatter(TRUE_CENTERS[:, 0], TRUE_CENTERS[:, 1], marker="+", s=200, c="black", label="true centers")
    ax.set_title("kmix KMeans on the reference blobs")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_k(text):
    """'2-10' (inclusive), '2,3,5' or '4' -> list of ints."""
    try:
        if "-" in text.strip().lstrip("-"):
            lo, hi = (int(part) for part in text.split("-", 1))
            if hi < lo:
                raise ValueError
            return list(range(lo, hi + 1))
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"--k must be a range like 2-10, a list like 2,3,5 or one k; got {text!r}") from None


def select_k_command(args, out=None):
    out = out or sys.stdout

    from ._io import DataFileError, read_matrix
    from .select import select_k

    plt = _agg_pyplot() if args.plot else None
    if args.plot and plt is None:
        print("kmix select-k --plot needs matplotlib (pip install matplotlib)", file=sys.stderr)
        return 2
    try:
        ks = parse_k(args.k)
        X, _ = read_matrix(args.file)
        result = select_k(X, ks, method=args.method, random_state=args.seed, n_refs=args.n_refs,
                          weight_threshold=args.weight_threshold)
    except (DataFileError, ValueError, TypeError) as exc:
        print(f"kmix select-k: {exc}", file=sys.stderr)
        return 2
    names = list(result.scores)
    bgmm = result.method == "bgmm"  # one mixture: its weights by rank, not one fit per k
    head, width = ("rank", 4) if bgmm else ("k", 3)
    print(f"kmix select-k {args.file}: {X.shape[0]} samples, {X.shape[1]} features, method {result.method}", file=out)
    print(f"{head:>{width}}  " + "  ".join(f"{name:>12}" for name in names), file=out)
    for i, k in enumerate(result.k_values):
        mark = "  <- best" if k == result.best_k else ""
        print(f"{k:>{width}}  " + "  ".join(f"{result.scores[name][i]:>12.6g}" for name in names) + mark, file=out)
    if bgmm:
        clipped = (f" (clipped into --k {min(ks)}-{max(ks)})" if result.n_effective != result.best_k else "")
        print(f"components with weight > {result.weight_threshold:g}: {result.n_effective} of "
              f"{len(result.k_values)}{clipped}", file=out)
    print(f"best k: {result.best_k}", file=out)
    try:
        _write_outputs(args, X, result, plt, out)
    except OSError as exc:
        print(f"kmix select-k: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


def _write_outputs(args, X, result, plt, out):
    import json

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"file": args.file, "n_samples": X.shape[0], "n_features": X.shape[1], **result.to_dict()},
                      f, indent=1)
    if args.plot:
        ax = result.plot()
        ax.figure.tight_layout()
        try:
            ax.figure.savefig(args.plot, dpi=100)
        finally:
            plt.close(ax.figure)
        print(f"plot saved to {args.plot}", file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="kmix", description="Fast clustering, scikit-learn's answers.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="cluster the reference data set and report")
    p_demo.add_argument("--seed", type=int, default=0, help="seed of the data and of the fit (default 0)")
    p_demo.add_argument("--plot", metavar="PATH", help="also save a scatter plot (PNG) here")
    sub.add_parser("config", help="show version, ISA, threads, OpenMP and compiler")
    from .bench import add_arguments

    add_arguments(sub.add_parser("bench", help="speed and agreement against the installed peers (scikit-learn, "
                                 "scikit-learn-intelex, faiss, scipy, fastcluster)"))
    p_sel = sub.add_parser("select-k", help="choose the number of clusters for a .csv or .npy data file")
    p_sel.add_argument("file", help="data: .npy (2-D numeric) or .csv/.tsv/.txt (optional header row)")
    p_sel.add_argument("--k", default="2-10", help="the k to try: a range 2-10, a list 2,3,5, or one k (default 2-10)")
    p_sel.add_argument("--method", default="silhouette", choices=["silhouette", "elbow", "bic", "aic", "gap", "bgmm"],
                       help="bgmm: one Bayesian Gaussian mixture with max(--k) components, k = the number of "
                       "weights above --weight-threshold (default silhouette)")
    p_sel.add_argument("--seed", type=int, default=0, help="random_state of the fits and of the gap's references")
    p_sel.add_argument("--n-refs", type=int, default=10, help="reference data sets for --method gap (default 10)")
    p_sel.add_argument("--weight-threshold", type=float, default=0.01,
                       help="for --method bgmm: count the components whose weight is above this (default 0.01)")
    p_sel.add_argument("--plot", metavar="PATH", help="save the curve with the chosen k marked (PNG)")
    p_sel.add_argument("--json", metavar="PATH", help="write best_k, k_values and every score here")
    args = parser.parse_args(argv)
    if args.command == "select-k":
        return select_k_command(args)
    if args.command == "demo":
        demo(seed=args.seed, plot=args.plot)
    elif args.command == "bench":
        from .bench import main as bench_main

        return bench_main(args=args)
    elif args.command == "config":
        from . import show_config

        show_config()
    return 0


if __name__ == "__main__":
    sys.exit(main())
