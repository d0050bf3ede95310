"""How kmix and its peers are timed: alternating, a settle pause before each run, median."""

import contextlib
import time

import numpy as np

# Pause before each timed run: the previous library's idle worker threads (OpenBLAS, OpenMP
# runtimes) busy-wait for a while after their work and would take the cores from the next one.
SETTLE_S = 0.3


def thread_limits(threads):
    """Limit the BLAS and OpenMP pools of every library in the process (threadpoolctl, when it
    is installed) to `threads`; a no-op context for threads=None or without threadpoolctl."""
    if threads is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads)


def timed(fn, threads=None, settle_s=None):
    """(seconds, result) of fn(), after the settle pause (SETTLE_S unless given), under
    thread_limits(threads)."""
    settle_s = SETTLE_S if settle_s is None else settle_s
    if settle_s:
        time.sleep(settle_s)
    with thread_limits(threads):
        t0 = time.perf_counter()
        result = fn()
        return time.perf_counter() - t0, result


def alternate(runs, repeat):
    """Each of `repeat` rounds calls every runs[name]() (which returns (seconds, result)), in
    reversed order every other round, so a slow spell of the machine hits every side alike.
    Returns name -> list of (seconds, result)."""
    out = {name: [] for name in runs}
    for r in range(repeat):
        for name in list(runs) if r % 2 == 0 else list(runs)[::-1]:
            out[name].append(runs[name]())
    return out


def summarize(results, per_unit=lambda seconds, result: seconds):
    """From alternate(): name -> {"time_s": median of per_unit(seconds, result), "runs_s": every
    run's value, "result": the last run's result}."""
    out = {}
    for name, runs in results.items():
        values = [float(per_unit(s, res)) for s, res in runs]
        out[name] = {"time_s": float(np.median(values)), "runs_s": values, "result": runs[-1][1]}
    return out


def call_latency(calls, n_calls, blocks=10, threads=None, warmup=50):
    """Seconds of one call for each of calls[name]() (a zero-argument function): every call timed
    with perf_counter_ns, in blocks alternating between the names; runs_s holds each block's
    median, time_s their median."""
    ns = {name: [[] for _ in range(blocks)] for name in calls}
    with thread_limits(threads):
        for fn in calls.values():
            for _ in range(warmup):
                fn()
        per_block = max(1, n_calls // blocks)
        for b in range(blocks):
            for name in list(calls) if b % 2 == 0 else list(calls)[::-1]:
                fn, times = calls[name], ns[name][b]
                for _ in range(per_block):
                    t0 = time.perf_counter_ns()
                    fn()
                    times.append(time.perf_counter_ns() - t0)
    out = {}
    for name, per_block in ns.items():
        runs = [float(np.median(t)) / 1e9 for t in per_block]
        out[name] = {"time_s": float(np.median(runs)), "runs_s": runs, "result": None}
    return out
