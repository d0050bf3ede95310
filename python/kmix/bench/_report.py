"""The benchmark's printed table and its markdown form for the README."""


def fmt_time(seconds):
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def fmt_value(value):
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.4f}" if 1e-3 <= abs(value) < 1e4 else f"{value:.2g}"
    if isinstance(value, (list, tuple)):
        return "/".join(str(v) for v in value)
    return str(value)


def fmt_agreement(ag):
    """'ari 1.0000, inertia_rel_diff 1.2e-16, ...' with a warning when an exact peer disagrees."""
    text = ", ".join(f"{key} {fmt_value(v)}" for key, v in ag.items() if key != "ok")
    return text + ("  <-- DIFFERS" if ag.get("ok") is False else "")


def fmt_throughput(w):
    parts = []
    if w.get("gflops") is not None:
        parts.append(f"{w['gflops']:.1f} GFLOP/s ({100 * w['gflops_fraction']:.0f}% of GEMM peak)")
    if w.get("gbps") is not None:
        parts.append(f"{w['gbps']:.1f} GB/s ({100 * w['gbps_fraction']:.0f}% of stream)")
    for key, value in (w.get("extra") or {}).items():
        parts.append(f"{key} {fmt_value(value)}")
    return ", ".join(parts)


def workload_lines(w):
    lines = [
        f"{w['label']}: kmix {fmt_time(w['kmix']['time_s'])}/{w['per']}"
        + (f"   {fmt_throughput(w)}" if fmt_throughput(w) else "")
    ]
    for name, p in w["peers"].items():
        lines.append(
            f"    {name:<12} {fmt_time(p['time_s']):>10}  {p['ratio']:6.2f}x   "
            f"{fmt_agreement(w['agreement'].get(name, {}))}"
        )
    for name, note in w.get("skipped_peers", {}).items():
        lines.append(f"    {name:<12} skipped: {note}")
    return lines


def header_lines(res):
    m, pk = res["machine"], res["peaks"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    return [
        f"kmix bench --suite {res['suite']} (repeat {res['repeat']}, scale {res['scale']}): {m['cpu']}, "
        f"{m['cores']} cores, {m['threads']} threads, isa {m['isa']}",
        f"versions: {versions}",
        f"peaks: DGEMM {pk['dgemm_gflops']:.1f} GFLOP/s, SGEMM {pk['sgemm_gflops']:.1f} GFLOP/s, "
        f"stream {pk['gbps']:.1f} GB/s (copy {pk['stream']['copy_gbps']:.1f}, sum {pk['stream']['read_gbps']:.1f})",
        "ratio = peer time / kmix time (above 1: kmix is faster); medians of alternating repeats",
    ]


def format_text(res):
    lines = header_lines(res)
    for name, note in res["skipped_peers"].items():
        lines.append(f"skipped peer {name}: {note}")
    for w in res["workloads"]:
        lines.append("")
        lines.extend(workload_lines(w))
    return "\n".join(lines)


def format_markdown(res):
    """One table row per (workload, peer), for the README."""
    m, pk = res["machine"], res["peaks"]
    lines = [
        f"`kmix bench --suite {res['suite']}` on {res['started'][:10]}: {m['cpu']}, {m['cores']} cores, "
        f"isa {m['isa']}; DGEMM {pk['dgemm_gflops']:.0f} GFLOP/s, SGEMM {pk['sgemm_gflops']:.0f} GFLOP/s, "
        f"stream {pk['gbps']:.0f} GB/s. Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
        "",
        "| workload | kmix | peer | peer time | ratio | kmix throughput | agreement |",
        "|---|---|---|---|---|---|---|",
    ]
    for w in res["workloads"]:
        kmix_time = f"{fmt_time(w['kmix']['time_s'])}/{w['per']}"
        rows = list(w["peers"].items()) or [(None, None)]
        for name, p in rows:
            cells = [
                w["label"],
                kmix_time,
                name or "(none)",
                fmt_time(p["time_s"]) if p else "-",
                f"{p['ratio']:.2f}x" if p else "-",
                fmt_throughput(w) or "-",
                fmt_agreement(w["agreement"].get(name, {})) if name else "-",
            ]
            lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)
