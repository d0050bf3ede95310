"""The machine a benchmark ran on: what it is, and how fast it can go (measured, not assumed)."""

import os
import platform
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._timing import thread_limits


def cpu_model():
    """The CPU's marketing name, from the OS; the machine type when the OS does not say."""
    system = platform.system()
    try:
        if system == "Linux":
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith(("model name", "Model", "cpu model")):
                        return line.split(":", 1)[1].strip()
        elif system == "Darwin":
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5
            )
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return platform.processor() or platform.machine()


def gemm_gflops(dtype, n=2048, repeats=5, threads=None):
    """Median GFLOP/s of an n×n matrix product through numpy's BLAS: the compute peak that a
    distance kernel (a GEMM in disguise) can be held against."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    times = []
    with thread_limits(threads):
        a @ b  # warm-up: BLAS threads, caches
        for _ in range(repeats):
            t0 = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - t0)
    return 2 * n**3 / float(np.median(times)) / 1e9


def stream_gbps(nbytes=512 * 2**20, repeats=5, threads=None):
    """Best-of-repeats memory bandwidth on an array far larger than the caches, split over the
    threads: a copy (read + write bytes) and a sum (read bytes). numpy releases the GIL in both."""
    threads = threads or os.cpu_count() or 1
    src = np.ones(max(nbytes // 8, threads))
    dst = np.zeros_like(src)  # touched now, so page faults are not timed
    edges = np.linspace(0, src.size, threads + 1).astype(int)
    parts = [slice(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]

    def best_seconds(work):
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, parts))
            runs = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                list(pool.map(work, parts))
                runs.append(time.perf_counter() - t0)
        return min(runs)

    copy_gbps = 2 * src.nbytes / best_seconds(lambda s: np.copyto(dst[s], src[s])) / 1e9
    read_gbps = src.nbytes / best_seconds(lambda s: src[s].sum()) / 1e9
    return {
        "copy_gbps": copy_gbps,
        "read_gbps": read_gbps,
        "gbps": max(copy_gbps, read_gbps),
        "bytes": int(src.nbytes),
        "threads": threads,
    }


def measure_peaks(threads=None, scale=1.0):
    """DGEMM and SGEMM GFLOP/s and stream GB/s, measured once per run (smaller arrays when the
    suite is scaled down for a quick check)."""
    small = scale < 0.5
    n = 512 if small else 2048
    stream = stream_gbps(nbytes=(32 if small else 512) * 2**20, repeats=3 if small else 5, threads=threads)
    return {
        "dgemm_gflops": gemm_gflops(np.float64, n=n, repeats=3 if small else 5, threads=threads),
        "sgemm_gflops": gemm_gflops(np.float32, n=n, repeats=3 if small else 5, threads=threads),
        "gemm_n": n,
        "stream": stream,
        "gbps": stream["gbps"],
    }


def machine_info(threads, peer_versions):
    """The `machine` object of a benchmark's JSON."""
    import kmix

    config = kmix.show_config(print_out=False)
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "threads": threads or config["threads"],
        "isa": config["isa"],
        "isa_available": config["isa_available"],
        "platform": config["platform"],
        "python": platform.python_version(),
        "versions": {"kmix": kmix.__version__, "numpy": np.__version__, **peer_versions},
        "compiler": config.get("compiler"),
        "openmp": config.get("openmp"),
    }
