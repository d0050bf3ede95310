"""``kmix bench``: kmix against the installed peers (scikit-learn, scikit-learn-intelex, faiss,
scipy, fastcluster), speed and agreement, in one run.

    kmix bench [--suite smoke|standard|full] [--json PATH] [--peers sklearn,faiss,...]
               [--threads N] [--repeat R] [--only kmeans,gmm,...] [--scale F] [--markdown PATH]

Each workload gets the same generated data and init for kmix and every peer; they run
alternating (a settle pause before each run), and the median of the repeats is reported with
ratio = peer time / kmix time, the GFLOP/s and GB/s kmix reached against the machine's peaks
(measured at the start: DGEMM/SGEMM through numpy, a memory stream), and how the answers agree.
The scripts in bench/ call the same code.
"""

import argparse
import datetime
import json
import sys
import time

from ._machine import machine_info, measure_peaks
from ._peers import Skip, find_peers, parse_peers, peer_versions
from ._report import format_markdown, format_text, header_lines, workload_lines
from .suites import DEFAULT_REPEAT, SUITES

__all__ = ["run", "main", "SUITES", "format_text", "format_markdown"]


# The peers that run each family of workloads (for the per-workload notes on missing ones).
PEERS_BY_FAMILY = {
    "kmeans": ("sklearn", "sklearnex", "faiss"),
    "gmm": ("sklearn",),
    "bgmm": ("sklearn",),
    "minibatch": ("sklearn",),
    "silhouette": ("sklearn",),
    "linkage": ("fastcluster", "scipy"),
    "dask": ("dask_ml",),
    "sparse": ("sklearn",),
    "kmeans-large-k": ("sklearn", "sklearnex", "faiss"),
    "spherical": ("faiss",),
}


class Context:
    """What a workload needs to know: repeats, threads, and the peers it should run."""

    def __init__(self, repeat, threads, peers):
        self.repeat, self.threads, self.peers = repeat, threads, tuple(peers)


def _record(workload, out, peaks, skipped, seconds):
    """The JSON record of one workload from what its function returned."""
    times = out["times"]
    ours = times["kmix"]["time_s"]
    rec = {
        "name": workload.name,
        "family": workload.family,
        "label": workload.label(),
        "params": workload.params,
        "per": out["per"],
        "dtype": out.get("dtype"),
        "kmix": {"time_s": ours, "runs_s": times["kmix"]["runs_s"]},
        "peers": {
            name: {"time_s": t["time_s"], "runs_s": t["runs_s"], "ratio": t["time_s"] / ours}
            for name, t in times.items()
            if name != "kmix"
        },
        "skipped_peers": skipped,
        "agreement": out["agreement"],
        "seconds": seconds,
        "gflops": None,
        "gflops_peak": None,
        "gflops_fraction": None,
        "gbps": None,
        "gbps_peak": peaks["gbps"],
        "gbps_fraction": None,
    }
    if out.get("flops"):
        rec["gflops_peak"] = peaks["sgemm_gflops" if out.get("dtype") == "float32" else "dgemm_gflops"]
        rec["gflops"] = out["flops"] / ours / 1e9
        rec["gflops_fraction"] = rec["gflops"] / rec["gflops_peak"]
    if out.get("bytes"):
        rec["gbps"] = out["bytes"] / ours / 1e9
        rec["gbps_fraction"] = rec["gbps"] / peaks["gbps"]
    if out.get("extra"):
        rec["extra"] = out["extra"]
    return rec


def run(
    suite="smoke", peers=None, threads=None, repeat=None, scale=1.0, only=None, progress=sys.stderr, out=sys.stdout
):
    """Run a suite and return its results (the dict written by --json).

    peers: peer names (None: every known one; those not installed are skipped with a note).
    only: workload families to keep ("kmeans", "gmm", "bgmm", "linkage", "minibatch", "silhouette", "dask", "sparse",
    "kmeans-large-k", "spherical").
    scale: multiplies every workload's n (0.01 for a quick check of the machinery).
    progress / out: where the progress lines and the table go (None: silent).
    """
    if suite not in SUITES:
        raise ValueError(f"--suite must be one of {', '.join(SUITES)}; got {suite!r}")
    wanted = parse_peers(peers)
    repeat = DEFAULT_REPEAT[suite] if repeat is None else int(repeat)
    if repeat < 1:
        raise ValueError(f"--repeat must be >= 1; got {repeat}")
    if threads is not None and int(threads) < 1:
        raise ValueError(f"--threads must be >= 1; got {threads}")
    if not scale > 0:
        raise ValueError(f"--scale must be > 0; got {scale}")
    workloads = [w.scaled(scale) for w in SUITES[suite]]
    if only:
        families = set(only)
        unknown = families - {w.family for w in SUITES["full"]}
        if unknown:
            raise ValueError(f"--only: unknown workload family {', '.join(sorted(unknown))}")
        workloads = [w for w in workloads if w.family in families]
    installed, skipped = find_peers(wanted)

    def say(stream, text):
        if stream is not None:
            print(text, file=stream, flush=True)

    res = {
        "kmix_bench": 1,
        "suite": suite,
        "scale": scale,
        "repeat": repeat,
        "threads": threads,
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(threads, peer_versions(installed)),
        "skipped_peers": skipped,
        "skipped_workloads": [],
    }
    say(progress, "kmix bench: measuring the machine's peaks ...")
    res["peaks"] = measure_peaks(threads, scale)
    res["workloads"] = []
    for line in header_lines(res):
        say(out, line)
    for name, note in skipped.items():
        say(out, f"skipped peer {name}: {note}")
    for i, w in enumerate(workloads, 1):
        say(progress, f"[{i}/{len(workloads)}] {w.label()} ...")
        allowed = installed if w.peers is None else [p for p in installed if p in w.peers]
        ctx = Context(min(repeat, w.repeat or repeat), threads, allowed)
        t0 = time.perf_counter()
        try:
            result = w.fn(ctx, **w.params)
        except Skip as why:
            res["skipped_workloads"].append({"label": w.label(), "reason": str(why)})
            say(out, f"\n{w.label()}: skipped, {why}")
            continue
        relevant = w.peers if w.peers is not None else PEERS_BY_FAMILY.get(w.family, ())
        not_here = {p: note for p, note in skipped.items() if p in relevant}
        rec = _record(w, result, res["peaks"], not_here, time.perf_counter() - t0)
        res["workloads"].append(rec)
        say(out, "")
        for line in workload_lines(rec):
            say(out, line)
    return res


def disagreements(res):
    """(label, peer) of every agreement marked not ok: a peer that should give kmix's answer didn't."""
    return [
        (w["label"], peer) for w in res["workloads"] for peer, ag in w["agreement"].items() if ag.get("ok") is False
    ]


def _parser(prog="kmix bench"):
    ap = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    add_arguments(ap)
    return ap


def add_arguments(ap, default_suite="smoke"):
    ap.add_argument(
        "--suite",
        choices=list(SUITES),
        default=default_suite,
        help=f"which workloads (default {default_suite}; standard reproduces the README's figures)",
    )
    ap.add_argument("--json", metavar="PATH", help="write every result, the machine and the peaks here")
    ap.add_argument("--markdown", metavar="PATH", help="write the results as a markdown table here")
    ap.add_argument(
        "--peers",
        default=None,
        help="comma-separated peers: sklearn, sklearnex, faiss, scipy, fastcluster, dask_ml (default: all installed)",
    )
    ap.add_argument("--threads", type=int, default=None, help="threads for kmix and every peer (default: all cores)")
    ap.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="repeats per workload, median reported (default: smoke 3, standard 5, full 3)",
    )
    ap.add_argument(
        "--only",
        default=None,
        help="comma-separated workload families: kmeans, gmm, bgmm, linkage, minibatch, silhouette, dask, "
        "sparse, kmeans-large-k, spherical",
    )
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every n by this (e.g. 0.01 for a quick check)")
    return ap


def main(argv=None, args=None):
    """The command line (also used by the scripts in bench/). Exit status 1 when a peer that
    should give kmix's answer (same init, same algorithm) does not."""
    if args is None:
        args = _parser().parse_args(argv)
    only = [f.strip() for f in args.only.split(",") if f.strip()] if args.only else None
    try:
        res = run(args.suite, peers=args.peers, threads=args.threads, repeat=args.repeat, scale=args.scale, only=only)
    except ValueError as exc:
        print(f"kmix bench: {exc}", file=sys.stderr)
        return 2
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(format_markdown(res) + "\n")
    bad = disagreements(res)
    for label, peer in bad:
        print(f"kmix bench: {label}: {peer} gives a different answer", file=sys.stderr)
    return 1 if bad else 0
