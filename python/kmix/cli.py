"""The ``kmix`` command: ``kmix demo`` fits the reference data set (and reports how many
components a Bayesian mixture finds in it); ``kmix bench`` measures kmix
against the installed peers; ``kmix config`` shows the build; ``kmix select-k`` chooses the
number of clusters of a data file.

Output cut short by a reader that stops early (``kmix demo | head -1``) ends quietly, with exit
status 141 (128 + SIGPIPE, what a shell reports for a command that a closed pipe ended)."""

import argparse
import itertools
import os
import sys
import time

import numpy as np

TRUE_CENTERS = np.array([[0.0, 0.0], [4.0, 4.0], [0.0, 4.0]])
BROKEN_PIPE_STATUS = 141  # 128 + SIGPIPE


class _UsageError(Exception):
    """A command that cannot do what it was asked: main prints the message and returns 2."""


def reference_blobs(seed=0, n_per_blob=300):
    """The reference data set: three 2-D unit-variance spherical Gaussian blobs of 300 points,
    centred at (0,0), (4,4) and (0,4). Returns X (900, 2) and the true blob of each row."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([c + rng.standard_normal((n_per_blob, 2)) for c in TRUE_CENTERS])
    return X, np.repeat(np.arange(len(TRUE_CENTERS)), n_per_blob)


def _match_to_truth(centers):
    """For each true center, the found center closest under the best one-to-one matching."""
    best = min(
        itertools.permutations(range(len(centers))),
        key=lambda p: np.linalg.norm(centers[list(p)] - TRUE_CENTERS, axis=1).sum(),
    )
    return list(best)


TIMING_RUNS = 5  # timed fits after the warm-up one
TIMING_BUDGET = 0.5  # seconds: no further timed fit once they have taken this long (a slow machine)


def _fit_timed(make, X):
    """(the model of a first, warm-up fit; the median seconds of up to TIMING_RUNS more fits; how
    many were timed). A cold first call pays for page faults and thread start-up, which is not
    what the line means to show; fewer runs are timed once TIMING_BUDGET is spent."""
    model = make().fit(X)
    times = []
    start = time.perf_counter()
    while len(times) < TIMING_RUNS and (not times or time.perf_counter() - start < TIMING_BUDGET):
        t0 = time.perf_counter()
        make().fit(X)
        times.append(time.perf_counter() - t0)
    return model, float(np.median(times)), len(times)


def _time_text(seconds, runs):
    return f"time {seconds * 1e3:.2f} ms (median of {runs})"


def demo(seed=0, plot=None, out=None):
    """Print the fits of the reference data set; with plot, also save the figure there. A plot
    that cannot be made (no matplotlib, a path that cannot be written) is found before any fit."""
    from . import KMeans

    out = out or sys.stdout
    if plot:
        if _agg_pyplot() is None:
            raise _UsageError("kmix demo --plot needs matplotlib (pip install matplotlib)")
        try:
            _check_writable(plot)
        except OSError as exc:
            raise _UsageError(f"kmix demo: cannot write the plot to {plot}: {exc.strerror or exc}") from None

    X, _ = reference_blobs(seed)
    print(f"kmix demo: 3 blobs x 300 points, 2-D, unit variance (seed {seed})", file=out)
    km, elapsed, runs = _fit_timed(lambda: KMeans(n_clusters=3, random_state=seed), X)
    order = _match_to_truth(km.cluster_centers_)
    print("KMeans (k-means++, Lloyd):", file=out)
    for true, idx in zip(TRUE_CENTERS, order):
        c = km.cluster_centers_[idx]
        print(
            f"  center ({c[0]:+.3f}, {c[1]:+.3f})   true ({true[0]:+.0f}, {true[1]:+.0f})   "
            f"distance {np.linalg.norm(c - true):.3f}",
            file=out,
        )
    print(f"  inertia {km.inertia_:.3f}   iterations {km.n_iter_}   {_time_text(elapsed, runs)}", file=out)
    gm = _demo_gmm(X, seed, out)
    _demo_bgmm(X, seed, out)
    ag = _demo_ward(X, seed, out)
    if plot:
        _plot(X, km, gm, ag, plot)
        print(f"  plot saved to {plot}", file=out)
    return km


def _check_writable(path):
    """Raise OSError unless a file can be written at path: it is opened for appending (which
    changes nothing), and removed again if it did not exist."""
    if os.path.isdir(path):
        import errno

        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    existed = os.path.lexists(path)
    with open(path, "ab"):
        pass
    if not existed:
        os.remove(path)


def _demo_gmm(X, seed, out):
    """The GaussianMixture line: diagonal covariances, as the reference blobs are axis-aligned."""
    from . import GaussianMixture

    gm, elapsed, runs = _fit_timed(
        lambda: GaussianMixture(n_components=3, covariance_type="diag", random_state=seed), X
    )
    print("GaussianMixture (diag covariances, k-means init):", file=out)
    for true, idx in zip(TRUE_CENTERS, _match_to_truth(gm.means_)):
        m, var = gm.means_[idx], gm.covariances_[idx]
        print(
            f"  mean ({m[0]:+.3f}, {m[1]:+.3f})   true ({true[0]:+.0f}, {true[1]:+.0f})   "
            f"distance {np.linalg.norm(m - true):.3f}   variances ({var[0]:.3f}, {var[1]:.3f})   "
            f"weight {gm.weights_[idx]:.3f}",
            file=out,
        )
    print(
        f"  log-likelihood/sample {gm.lower_bound_:.4f}   BIC {gm.bic(X):.1f}   iterations {gm.n_iter_}   "
        f"{_time_text(elapsed, runs)}",
        file=out,
    )
    return gm


BGMM_COMPONENTS = 8
BGMM_THRESHOLD = 0.01


def _demo_bgmm(X, seed, out):
    """The BayesianGaussianMixture line: a Dirichlet-process mixture given more components than
    there are blobs (diagonal covariances, as the GaussianMixture line) finds how many it needs;
    the others end with weights near zero. The components above the threshold are counted."""
    from . import BayesianGaussianMixture

    bg, elapsed, runs = _fit_timed(
        lambda: BayesianGaussianMixture(
            n_components=BGMM_COMPONENTS,
            covariance_type="diag",
            weight_concentration_prior_type="dirichlet_process",
            max_iter=500,
            random_state=seed,
        ),
        X,
    )
    weights = np.sort(bg.weights_)[::-1]
    n_eff = int(np.count_nonzero(weights > BGMM_THRESHOLD))
    print(f"BayesianGaussianMixture (Dirichlet process, {BGMM_COMPONENTS} components, diag covariances):", file=out)
    rest = f"   largest other {weights[n_eff]:.4f}" if n_eff < len(weights) else ""
    print(
        f"  {n_eff} effective components (weight > {BGMM_THRESHOLD:g})   weights "
        + ", ".join(f"{w:.3f}" for w in weights[:n_eff])
        + f"{rest}   iterations {bg.n_iter_}   "
        f"{_time_text(elapsed, runs)}",
        file=out,
    )
    return bg


def _demo_ward(X, seed, out):
    """The Ward line: the tree of all 900 points, cut into 3 clusters."""
    from . import AgglomerativeClustering

    ag, elapsed, runs = _fit_timed(
        lambda: AgglomerativeClustering(n_clusters=3, linkage="ward", compute_distances=True), X
    )
    centers = np.stack([X[ag.labels_ == c].mean(axis=0) for c in range(3)])
    print("AgglomerativeClustering (Ward linkage, cut into 3):", file=out)
    for true, idx in zip(TRUE_CENTERS, _match_to_truth(centers)):
        c = centers[idx]
        print(
            f"  cluster mean ({c[0]:+.3f}, {c[1]:+.3f})   true ({true[0]:+.0f}, {true[1]:+.0f})   "
            f"distance {np.linalg.norm(c - true):.3f}   size {np.count_nonzero(ag.labels_ == idx)}",
            file=out,
        )
    print(
        f"  last merge heights {ag.distances_[-1]:.3f}, {ag.distances_[-2]:.3f}, {ag.distances_[-3]:.3f}   "
        f"{_time_text(elapsed, runs)}",
        file=out,
    )
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


ELLIPSE_LEVELS = (1, 2)  # the mixture's ellipses: 1 and 2 standard deviations
TREE_MERGES = 30  # the Ward panel draws the last (highest) merges only


def _plot(X, km, gm, ag, path):
    """Save demo_figure as a PNG."""
    plt = _agg_pyplot()
    fig = demo_figure(X, km, gm, ag)
    try:
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)


def demo_figure(X, km, gm, ag):
    """The demo's figure, three panels: the KMeans clusters, the GaussianMixture's components
    (ELLIPSE_LEVELS standard-deviation ellipses) and the top of the Ward tree (the last
    TREE_MERGES merges of ag, fitted with compute_distances=True)."""
    plt = _agg_pyplot()
    fig, (ax, ax_gmm, ax_tree) = plt.subplots(1, 3, figsize=(15, 4.8))
    ax.scatter(X[:, 0], X[:, 1], c=km.labels_, s=8, cmap="viridis", alpha=0.7)
    ax.scatter(
        km.cluster_centers_[:, 0],
        km.cluster_centers_[:, 1],
        marker="X",
        s=200,
        c="red",
        edgecolors="black",
        label="centers found",
    )
    ax.scatter(TRUE_CENTERS[:, 0], TRUE_CENTERS[:, 1], marker="+", s=200, c="black", label="true centers")
    ax.set_title("kmix KMeans on the reference blobs")
    ax.legend(loc="lower right")
    _draw_mixture(ax_gmm, X, gm)
    drawn = draw_tree(ax_tree, ag.children_, ag.distances_, len(X), labels=ag.labels_, last=TREE_MERGES)
    ax_tree.set_title(f"Ward tree: the last {drawn} of {len(ag.children_)} merges")
    return fig


def _component_covariances(gm):
    """(n_components, d, d): each component's covariance matrix, whatever covariance_type."""
    cov, k, d = np.asarray(gm.covariances_), len(gm.means_), gm.means_.shape[1]
    kind = gm.covariance_type
    if kind == "full":
        return cov
    if kind == "tied":
        return np.broadcast_to(cov, (k, d, d))
    if kind == "diag":
        return np.stack([np.diag(v) for v in cov])
    return np.stack([v * np.eye(d) for v in cov])  # spherical


def _draw_mixture(ax, X, gm, levels=ELLIPSE_LEVELS):
    """The points coloured by their most likely component, and for each component of a 2-D
    mixture an ellipse {x : (x − mean)ᵀ Σ⁻¹ (x − mean) = s²} for each s in levels."""
    import matplotlib
    from matplotlib.patches import Ellipse

    ax.scatter(X[:, 0], X[:, 1], c=gm.predict(X), s=6, cmap="viridis", alpha=0.35)
    colors = matplotlib.colormaps["viridis"](np.linspace(0, 1, len(gm.means_)))
    for mean, cov, color in zip(gm.means_, _component_covariances(gm), colors):
        values, vectors = np.linalg.eigh(cov)  # ascending; the ellipse's width along the largest
        angle = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1]))
        for s in levels:
            ax.add_patch(
                Ellipse(
                    mean,
                    2 * s * np.sqrt(values[-1]),
                    2 * s * np.sqrt(values[0]),
                    angle=angle,
                    fill=False,
                    edgecolor=color,
                    linewidth=2 if s == levels[0] else 1,
                    linestyle="-" if s == levels[0] else "--",
                )
            )
    ax.scatter(gm.means_[:, 0], gm.means_[:, 1], marker="X", s=120, c="red", edgecolors="black")
    ax.set_title("GaussianMixture: " + " and ".join(str(s) for s in levels) + " standard deviations")
    ax.set_aspect("equal", adjustable="datalim")


def draw_tree(ax, children, distances, n_samples, labels=None, last=TREE_MERGES):
    """A dendrogram of the last `last` merges of a full tree (children_ and distances_ of
    AgglomerativeClustering, n_samples − 1 rows), matplotlib only: one line per merge, from
    its two children's heights (0 for a leaf) up to its own. A leaf is a subtree whose merges
    are not drawn; its tick label is its number of points in parentheses (a single point: its
    row). With labels (the clustering's cut), the merges inside a cluster take its colour and
    the ones above the cut are black. Returns the number of merges drawn."""
    children, distances = np.asarray(children), np.asarray(distances)
    n_merges = len(children)
    if n_merges != n_samples - 1:
        raise ValueError(f"draw_tree needs the full tree: {n_samples - 1} merges, got {n_merges}")
    first = n_merges - min(last, n_merges)  # merges first.. are drawn
    size = np.ones(n_samples + n_merges, dtype=np.int64)
    member = np.arange(n_samples + n_merges)  # one point of each subtree
    for i, (a, b) in enumerate(children):
        size[n_samples + i] = size[a] + size[b]
        member[n_samples + i] = member[a]
    # the leaves left to right: depth first from the root, first child first
    x, leaves, stack = {}, [], [n_samples + n_merges - 1]
    while stack:
        node = stack.pop()
        if node >= n_samples + first:
            stack.extend(children[node - n_samples][::-1])
        else:
            x[node] = float(len(leaves))
            leaves.append(node)
    n_clusters = len(np.unique(labels)) if labels is not None else 1
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    height = {}
    for i in range(first, n_merges):  # a merge's children come before it
        a, b = children[i]
        node, h = n_samples + i, float(distances[i])
        if labels is None or i >= n_merges - (n_clusters - 1):
            color = "black"
        else:
            color = cmap(labels[member[node]] / max(n_clusters - 1, 1))
        ax.plot([x[a], x[a], x[b], x[b]], [height.get(a, 0.0), h, h, height.get(b, 0.0)], color=color, lw=1.2)
        x[node], height[node] = (x[a] + x[b]) / 2, h
    ax.set_xticks(range(len(leaves)))
    ax.set_xticklabels([f"({size[n]})" if n >= n_samples else str(n) for n in leaves], rotation=90, fontsize=7)
    ax.set_xlim(-0.5, len(leaves) - 0.5)
    ax.set_ylim(0, float(distances[-1]) * 1.05 if n_merges else 1)
    ax.set_ylabel("merge height")
    return n_merges - first


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


# ---- reading the data file -------------------------------------------------------------------
def choose_columns(X, header, columns=None, drop=None):
    """(X restricted to the chosen columns, their names): with columns, those (in that order),
    with drop, all others. Columns are named by the header, or by 0-based number when the file has
    none. ValueError, naming it, for a column that is not there or named twice, or if none is left."""
    if columns is None and drop is None:
        return X, header
    option, text = ("--columns", columns) if columns is not None else ("--drop", drop)
    names = header if header is not None else [str(j) for j in range(X.shape[1])]
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    if not wanted:
        raise ValueError(f"{option} needs at least one column name{'' if header else ' or number'}")
    picked = []
    for name in wanted:
        if names.count(name) != 1:
            if name in names:
                raise ValueError(f"{option}: the file has {names.count(name)} columns named {name!r}")
            if header is not None:
                shown = ", ".join(map(repr, names[:12])) + (", ..." if len(names) > 12 else "")
                raise ValueError(f"{option}: no column named {name!r}; the columns are {shown}")
            raise ValueError(
                f"{option}: no column {name!r}; the file has no header row, so columns are "
                f"numbered 0 to {X.shape[1] - 1}"
            )
        j = names.index(name)
        if j in picked:
            raise ValueError(f"{option}: column {name!r} is given twice")
        picked.append(j)
    if drop is not None:
        picked = [j for j in range(X.shape[1]) if j not in picked]
        if not picked:
            raise ValueError("--drop leaves no column")
    return X[:, picked], [names[j] for j in picked]


def standardise(X, names):
    """Each column to zero mean and unit variance (the population variance, as scikit-learn's
    StandardScaler). A constant column cannot be: ValueError naming it."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    constant = np.flatnonzero(lo == hi)
    if constant.size:
        j = constant[0]
        raise ValueError(
            f"--scale: column {names[j]!r} is constant (every value is {lo[j]:g}), so it has no "
            f"variance to scale to 1; leave it out (--drop, or --columns without it)"
        )
    return (X - X.mean(axis=0)) / X.std(axis=0)


def select_k_command(args, out=None):
    out = out or sys.stdout

    from ._io import DataFileError, read_matrix
    from .select import select_k

    plt = _agg_pyplot() if args.plot else None
    if args.plot and plt is None:
        print("kmix select-k --plot needs matplotlib (pip install matplotlib)", file=sys.stderr)
        return 2
    try:
        for path in filter(None, (args.json, args.plot)):  # before the work, not after it
            _check_writable(path)
    except OSError as exc:
        print(f"kmix select-k: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        ks = parse_k(args.k)
        X, header, index_dropped = read_matrix(args.file)
        X, names = choose_columns(X, header, args.columns, args.drop)
        if args.scale:
            X = standardise(X, names if names is not None else [str(j) for j in range(X.shape[1])])
        result = select_k(
            X,
            ks,
            method=args.method,
            random_state=args.seed,
            n_refs=args.n_refs,
            weight_threshold=args.weight_threshold,
        )
    except (DataFileError, ValueError, TypeError) as exc:
        print(f"kmix select-k: {exc}", file=sys.stderr)
        return 2
    names_ = list(result.scores)
    bgmm = result.method == "bgmm"  # one mixture: its weights by rank, not one fit per k
    head, width = ("rank", 4) if bgmm else ("k", 3)
    notes = []
    if index_dropped:
        notes.append("unnamed first column dropped as the row index")
    if args.columns is not None or args.drop is not None:
        notes.append("columns " + ", ".join(names))
    if args.scale:
        notes.append("each scaled to mean 0, variance 1")
    notes = f" ({'; '.join(notes)})" if notes else ""
    print(
        f"kmix select-k {args.file}: {X.shape[0]} samples, {X.shape[1]} features{notes}, method {result.method}",
        file=out,
    )
    print(f"{head:>{width}}  " + "  ".join(f"{name:>12}" for name in names_), file=out)
    for i, k in enumerate(result.k_values):
        mark = "  <- best" if k == result.best_k else ""
        print(f"{k:>{width}}  " + "  ".join(f"{result.scores[name][i]:>12.6g}" for name in names_) + mark, file=out)
    if bgmm:
        clipped = f" (clipped into --k {min(ks)}-{max(ks)})" if result.n_effective != result.best_k else ""
        print(
            f"components with weight > {result.weight_threshold:g}: {result.n_effective} of "
            f"{len(result.k_values)}{clipped}",
            file=out,
        )
    print(f"best k: {result.best_k}", file=out)
    extra = {}
    if args.columns is not None or args.drop is not None:
        extra["columns"] = names
    if index_dropped:
        extra["index_column_dropped"] = True
    if args.scale:
        extra["scaled"] = True
    try:
        _write_outputs(args, X, result, plt, out, extra)
    except OSError as exc:
        print(f"kmix select-k: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


def _write_outputs(args, X, result, plt, out, extra=None):
    import json

    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "file": args.file,
                    "n_samples": X.shape[0],
                    "n_features": X.shape[1],
                    **(extra or {}),
                    **result.to_dict(),
                },
                f,
                indent=1,
            )
    if args.plot:
        ax = result.plot()
        ax.figure.tight_layout()
        try:
            ax.figure.savefig(args.plot, dpi=100)
        finally:
            plt.close(ax.figure)
        print(f"plot saved to {args.plot}", file=out)


def _parser():
    from . import __version__
    from .bench import add_arguments

    parser = argparse.ArgumentParser(
        prog="kmix",
        description="Fast clustering, scikit-learn's answers.",
        epilog="Output cut short by a closed pipe (kmix demo | head -1) ends quietly with exit status 141.",
    )
    parser.add_argument("--version", action="version", version=f"kmix {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser(
        "demo",
        help="cluster the reference data set and report",
        description="Cluster the reference data set (three 2-D blobs) with KMeans, "
        "GaussianMixture, BayesianGaussianMixture and Ward linkage, and report. Each time is "
        f"the median of up to {TIMING_RUNS} fits after a warm-up one (fewer once they have "
        f"taken {TIMING_BUDGET:g} s); the line says of how many.",
    )
    p_demo.add_argument("--seed", type=int, default=0, help="seed of the data and of the fit (default 0)")
    p_demo.add_argument(
        "--plot",
        metavar="PATH",
        help=f"also save a figure (PNG) here: the KMeans clusters, the GaussianMixture's "
        f"{' and '.join(map(str, ELLIPSE_LEVELS))} standard-deviation ellipses and the Ward "
        f"tree's last {TREE_MERGES} merges (checked before any fit: exit status 2 if it cannot "
        "be written)",
    )
    sub.add_parser("config", help="show version, ISA, threads, OpenMP and compiler")
    add_arguments(
        sub.add_parser(
            "bench",
            help="speed and agreement against the installed peers (scikit-learn, "
            "scikit-learn-intelex, faiss, scipy, fastcluster)",
        )
    )
    p_sel = sub.add_parser("select-k", help="choose the number of clusters for a .csv or .npy data file")
    p_sel.add_argument(
        "file",
        help="data: .npy (2-D numeric) or .csv/.tsv/.txt (optional header row; the "
        "unnamed first column that pandas' DataFrame.to_csv writes for the row index is dropped)",
    )
    p_sel.add_argument("--k", default="2-10", help="the k to try: a range 2-10, a list 2,3,5, or one k (default 2-10)")
    p_sel.add_argument(
        "--method",
        default="silhouette",
        choices=["silhouette", "elbow", "bic", "aic", "gap", "bgmm"],
        help="bgmm: one Bayesian Gaussian mixture with max(--k) components, k = the number of "
        "weights above --weight-threshold (default silhouette)",
    )
    which = p_sel.add_mutually_exclusive_group()
    which.add_argument(
        "--columns",
        metavar="A,B,...",
        help="use only these columns: header names, or 0-based numbers if the file has no header",
    )
    which.add_argument("--drop", metavar="A,B,...", help="use all columns but these (named as for --columns)")
    p_sel.add_argument(
        "--scale",
        action="store_true",
        help="standardise each column used to mean 0 and variance 1 before choosing k; a constant "
        "column is an error (exit status 2): leave it out (--drop, or --columns without it)",
    )
    p_sel.add_argument("--seed", type=int, default=0, help="random_state of the fits and of the gap's references")
    p_sel.add_argument("--n-refs", type=int, default=10, help="reference data sets for --method gap (default 10)")
    p_sel.add_argument(
        "--weight-threshold",
        type=float,
        default=0.01,
        help="for --method bgmm: count the components whose weight is above this (default 0.01)",
    )
    p_sel.add_argument("--plot", metavar="PATH", help="save the curve with the chosen k marked (PNG)")
    p_sel.add_argument(
        "--json",
        metavar="PATH",
        help="write best_k, k_values and every score here (and, when they "
        "apply, the columns used, scaled and index_column_dropped)",
    )
    return parser


def _run(argv):
    args = _parser().parse_args(argv)
    if args.command == "select-k":
        return select_k_command(args)
    if args.command == "demo":
        try:
            demo(seed=args.seed, plot=args.plot)
        except _UsageError as exc:
            print(exc, file=sys.stderr)
            return 2
    elif args.command == "bench":
        from .bench import main as bench_main

        return bench_main(args=args)
    elif args.command == "config":
        from . import show_config

        show_config()
    return 0


def main(argv=None):
    """Run the command; returns its exit status. When the reader of stdout goes away (a pipe
    into head), the rest of the output is thrown away and the status is BROKEN_PIPE_STATUS,
    without a traceback."""
    try:
        try:
            return _run(argv)
        finally:
            if sys.stdout is not None:
                sys.stdout.flush()  # here, not at exit, where a closed pipe cannot be caught
    except BrokenPipeError:
        _stdout_to_devnull()
        return BROKEN_PIPE_STATUS


def _stdout_to_devnull():
    """Point the stdout file descriptor at /dev/null, so that flushing what is still buffered
    at interpreter exit does not fail again ("Exception ignored ... BrokenPipeError")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (captured)
        pass


if __name__ == "__main__":
    sys.exit(main())
