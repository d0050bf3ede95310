"""The ``kmix`` command (demo, config), show_config and the KMIX_ISA switch."""

import contextlib
import importlib.metadata
import io
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.cluster import KMeans as SkKMeans

import kmix
from conftest import kmix_script, run

TRUE_CENTERS = np.array([[0.0, 0.0], [4.0, 4.0], [0.0, 4.0]])
CENTER_LINE = re.compile(
    r"center \(([-+]\d+\.\d+), ([-+]\d+\.\d+)\)\s+true \(([-+]\d+), ([-+]\d+)\)\s+"
    r"distance (\d+\.\d+)"
)
CONFIG_KEYS = ("kmix", "isa", "isa_available", "threads", "compiler", "openmp")
# The lowest ISA level's name, from the machine (not from kmix): NEON on arm64, baseline elsewhere.
LOWEST_ISA = "neon" if platform.machine().lower() in ("aarch64", "arm64") else "baseline"


def parse_demo(stdout):
    rows = [tuple(float(v) for v in m.groups()) for m in CENTER_LINE.finditer(stdout)]
    assert len(rows) == 3, stdout
    found = np.array([r[:2] for r in rows])
    true = np.array([r[2:4] for r in rows])
    dist = np.array([r[4] for r in rows])
    m = re.search(r"inertia (\d+\.\d+)\s+iterations (\d+)", stdout)
    assert m, stdout
    return found, true, dist, float(m.group(1)), int(m.group(2))


def reference_fit(seed):
    """scikit-learn on the demo's data set (900 points: three unit-variance blobs of 300)."""
    from kmix.cli import reference_blobs

    X, _ = reference_blobs(seed)
    assert X.shape == (900, 2)
    for c, block in zip(TRUE_CENTERS, np.split(X, 3)):  # the data are what the demo says
        assert np.linalg.norm(block.mean(0) - c) < 0.3
        assert 0.8 < block.std(0).mean() < 1.2
    return SkKMeans(3, random_state=seed).fit(X)


def check_demo_output(stdout, seed):
    found, true, dist, inertia, n_iter = parse_demo(stdout)
    # Each true center once, each found center close to its true center, distances as printed.
    assert sorted(map(tuple, true)) == sorted(map(tuple, TRUE_CENTERS))
    np.testing.assert_allclose(dist, np.linalg.norm(found - true, axis=1), atol=2e-3)
    assert np.all(dist < 0.5)
    # Same answer as scikit-learn on the same data and seed.
    sk = reference_fit(seed)
    for c in found:
        assert np.min(np.abs(sk.cluster_centers_ - c).max(axis=1)) <= 6e-4
    assert abs(inertia - sk.inertia_) <= 6e-4
    assert n_iter == sk.n_iter_
    return found


def test_demo_console_script():
    proc = run([kmix_script(), "demo"])
    assert "seed 0" in proc.stdout and proc.stderr == ""
    check_demo_output(proc.stdout, 0)
    assert int(BGMM_LINE.search(proc.stdout).group(1)) == 3, proc.stdout


GMM_LINE = re.compile(
    r"mean \(([-+]\d+\.\d+), ([-+]\d+\.\d+)\)\s+true \(([-+]\d+), ([-+]\d+)\)\s+distance "
    r"(\d+\.\d+)\s+variances \((\d+\.\d+), (\d+\.\d+)\)\s+weight (\d+\.\d+)"
)


@pytest.mark.parametrize("seed", [0, 5])
def test_demo_gmm_line_matches_sklearn(seed):
    from sklearn.mixture import GaussianMixture as SkGMM

    from kmix.cli import reference_blobs

    proc = run([kmix_script(), "demo", "--seed", str(seed)])
    rows = np.array([[float(v) for v in m.groups()] for m in GMM_LINE.finditer(proc.stdout)])
    assert rows.shape == (3, 8), proc.stdout
    assert sorted(map(tuple, rows[:, 2:4])) == sorted(map(tuple, TRUE_CENTERS))
    np.testing.assert_allclose(rows[:, 4], np.linalg.norm(rows[:, :2] - rows[:, 2:4], axis=1), atol=2e-3)
    X, _ = reference_blobs(seed)
    sk = SkGMM(3, covariance_type="diag", random_state=seed).fit(X)
    for mean, var, weight in zip(rows[:, :2], rows[:, 5:7], rows[:, 7]):
        c = np.argmin(np.abs(sk.means_ - mean).max(axis=1))
        np.testing.assert_allclose(mean, sk.means_[c], atol=6e-4)
        np.testing.assert_allclose(var, sk.covariances_[c], atol=6e-4)
        assert abs(weight - sk.weights_[c]) <= 6e-4
    m = re.search(r"log-likelihood/sample ([-+]?\d+\.\d+)\s+BIC (\d+\.\d+)\s+iterations (\d+)", proc.stdout)
    assert m, proc.stdout
    assert abs(float(m.group(1)) - sk.lower_bound_) <= 6e-5
    assert abs(float(m.group(2)) - sk.bic(X)) <= 0.06
    assert int(m.group(3)) == sk.n_iter_


BGMM_HEAD = re.compile(r"^BayesianGaussianMixture \(Dirichlet process, (\d+) components, diag covariances\):$", re.M)
BGMM_LINE = re.compile(
    r"^  (\d+) effective components \(weight > ([\d.]+)\)\s+weights ((?:\d\.\d+, )*\d\.\d+)\s+"
    r"largest other (\d\.\d+)\s+iterations (\d+)\s+time (\d+\.\d+) ms \(median of (\d+)\)$",
    re.M,
)


@pytest.mark.parametrize("seed", [0, 1, 5])
def test_demo_bgmm_line_matches_sklearn(seed):
    # The demo's Bayesian mixture (Dirichlet process, 8 components, diag, max_iter 500, the
    # demo's seed) against scikit-learn's with the same parameters on the same data: the same
    # weights and iterations, and 3 weights above 0.01, one per blob.
    from sklearn.mixture import BayesianGaussianMixture as SkBGMM

    from kmix import cli
    from kmix.cli import reference_blobs

    buf = io.StringIO()
    cli.demo(seed=seed, out=buf)
    out = buf.getvalue()
    head = BGMM_HEAD.findall(out)
    assert head == ["8"], out
    assert out.index("GaussianMixture (diag") < out.index("BayesianGaussianMixture") < out.index("Agglomerative")
    m = BGMM_LINE.search(out)
    assert m, out
    X, _ = reference_blobs(seed)
    sk = SkBGMM(
        n_components=8,
        covariance_type="diag",
        weight_concentration_prior_type="dirichlet_process",
        max_iter=500,
        random_state=seed,
    ).fit(X)
    threshold = float(m.group(2))
    assert threshold == 0.01
    n_eff = int(m.group(1))
    assert n_eff == int((sk.weights_ > threshold).sum()) == 3
    weights = np.sort(sk.weights_)[::-1]
    printed = [float(w) for w in m.group(3).split(", ")]
    assert len(printed) == n_eff
    np.testing.assert_allclose(printed, weights[:n_eff], atol=6e-4)
    assert abs(float(m.group(4)) - weights[n_eff]) <= 6e-5
    assert int(m.group(5)) == sk.n_iter_
    assert float(m.group(6)) < 10_000  # a few tens of ms; generous on a loaded machine
    assert 1 <= int(m.group(7)) <= cli.TIMING_RUNS


WARD_LINE = re.compile(
    r"cluster mean \(([-+]\d+\.\d+), ([-+]\d+\.\d+)\)\s+true \(([-+]\d+), ([-+]\d+)\)\s+"
    r"distance (\d+\.\d+)\s+size (\d+)"
)


@pytest.mark.parametrize("seed", [0, 5])
def test_demo_ward_line_matches_sklearn(seed):
    from sklearn.cluster import AgglomerativeClustering as SkAgglo

    from kmix.cli import reference_blobs

    proc = run([kmix_script(), "demo", "--seed", str(seed)])
    rows = np.array([[float(v) for v in m.groups()] for m in WARD_LINE.finditer(proc.stdout)])
    assert rows.shape == (3, 6), proc.stdout
    assert sorted(map(tuple, rows[:, 2:4])) == sorted(map(tuple, TRUE_CENTERS))
    X, _ = reference_blobs(seed)
    sk = SkAgglo(n_clusters=3, linkage="ward", compute_distances=True).fit(X)
    sk_means = np.stack([X[sk.labels_ == c].mean(axis=0) for c in range(3)])
    sk_sizes = np.bincount(sk.labels_)
    for mean, size in zip(rows[:, :2], rows[:, 5]):
        c = np.argmin(np.abs(sk_means - mean).max(axis=1))
        np.testing.assert_allclose(mean, sk_means[c], atol=6e-4)
        assert size == sk_sizes[c]
    m = re.search(r"last merge heights (\d+\.\d+), (\d+\.\d+), (\d+\.\d+)", proc.stdout)
    assert m, proc.stdout
    np.testing.assert_allclose([float(v) for v in m.groups()], sk.distances_[::-1][:3], atol=6e-4)


def test_demo_seed_and_plot(tmp_path):
    png = tmp_path / "demo.png"
    proc = run([kmix_script(), "demo", "--seed", "3", "--plot", str(png)], env_update={"MPLBACKEND": "Agg"})
    found3 = check_demo_output(proc.stdout, 3)
    found0 = parse_demo(run([kmix_script(), "demo", "--seed", "0"]).stdout)[0]
    assert not np.allclose(np.sort(found0, axis=0), np.sort(found3, axis=0), atol=1e-3)  # the seed matters
    assert str(png) in proc.stdout
    data = png.read_bytes()
    assert len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    img = matplotlib.image.imread(str(png))
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100 and img.shape[2] in (3, 4)
    assert img[..., :3].std() > 0  # not a blank image


def test_demo_python_m():
    a = run([sys.executable, "-m", "kmix.cli", "demo"]).stdout
    b = run([kmix_script(), "demo"]).stdout
    check_demo_output(a, 0)
    strip = lambda s: [ln for ln in s.splitlines() if "time" not in ln]  # noqa: E731
    assert strip(a) == strip(b)


def test_demo_in_process():
    from kmix import cli

    buf = io.StringIO()
    km = cli.demo(seed=1, out=buf)
    found = check_demo_output(buf.getvalue(), 1)
    for c in found:
        assert np.min(np.abs(km.cluster_centers_ - c).max(axis=1)) <= 6e-4


@pytest.mark.parametrize("argv", [[], ["bogus"], ["demo", "--seed", "x"]])
def test_cli_usage_errors(argv):
    proc = run([kmix_script(), *argv], check=False)
    assert proc.returncode == 2
    assert "usage" in proc.stderr.lower()


@pytest.mark.parametrize("omp", [1, 2])
def test_config_command(omp):
    proc = run([kmix_script(), "config"], env_update={"OMP_NUM_THREADS": omp, "KMIX_ISA": None})
    lines = dict(re.match(r"(\S+)\s+(.*)$", ln).groups() for ln in proc.stdout.strip().splitlines())
    for key in CONFIG_KEYS:
        assert key in lines, proc.stdout
    assert lines["kmix"] == importlib.metadata.version("kmix") == kmix.__version__
    assert lines["threads"] == str(omp)
    available = [s.strip() for s in lines["isa_available"].split(",")]
    assert available == list(kmix._core.available_isas())
    assert lines["isa"] == available[-1]  # the best one by default


def test_show_config_in_process():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        info = kmix.show_config(print_out=False)
    assert buf.getvalue() == ""
    for key in CONFIG_KEYS:
        assert key in info
    assert info["kmix"] == importlib.metadata.version("kmix")
    assert info["isa"] == kmix._core.isa() and info["isa"] in info["isa_available"]
    assert info["isa_available"][0] == LOWEST_ISA
    assert isinstance(info["threads"], int) and info["threads"] >= 1
    assert isinstance(info["compiler"], str) and info["compiler"]
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        assert kmix.show_config(print_out=False)["threads"] == 1
    with contextlib.redirect_stdout(buf):
        info2 = kmix.show_config()
    printed = buf.getvalue()
    assert info2 == info
    for key in CONFIG_KEYS:
        assert re.search(rf"^{key}\s", printed, flags=re.M), printed


def _cpu_flags():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    m = re.search(r"^flags\s*:\s*(.*)$", text, flags=re.M)
    return set(m.group(1).split()) if m else None


def test_available_isas_agree_with_cpu():
    available = list(kmix._core.available_isas())
    assert available[0] == LOWEST_ISA
    flags = _cpu_flags()
    if flags is None or platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("needs /proc/cpuinfo on x86-64")
    if "avx2" in available:
        assert {"avx2", "fma"} <= flags
    emulated = "avx512" in kmix._core.build_info()  # KMIX_EMULATE_AVX512: a test build on AVX2
    if "avx512" in available:
        assert {"avx2", "fma"} <= flags if emulated else {"avx512f", "avx512dq", "avx512bw", "avx512vl"} <= flags


ISA_SCRIPT = """
import json, sys, warnings
import numpy as np
with warnings.catch_warnings(record=True) as rec:
    warnings.simplefilter("always")
    import kmix
out = {"isa": kmix._core.isa(), "available": list(kmix._core.available_isas()),
       "warnings": [str(w.message) for w in rec if issubclass(w.category, RuntimeWarning)]}
rng = np.random.default_rng(0)
centers = rng.uniform(-10, 10, size=(5, 7))
X = centers[rng.integers(0, 5, size=3000)] + 1.5 * rng.standard_normal((3000, 7))
init = X[:5].copy()
results = {}
for dtype in (np.float64, np.float32):
    km = kmix.KMeans(5, init=init.astype(dtype), n_init=1).fit(X.astype(dtype))
    results[np.dtype(dtype).name] = km
np.savez(sys.argv[1], X=X, init=init, **{f"{k}_centers": v.cluster_centers_ for k, v in results.items()},
         **{f"{k}_labels": v.labels_ for k, v in results.items()},
         **{f"{k}_n_iter": v.n_iter_ for k, v in results.items()})
print(json.dumps(out))
"""


@pytest.mark.parametrize("wanted", ["baseline", "neon", "avx2", "avx512", "sse9"])
def test_kmix_isa_env(tmp_path, wanted):
    # "baseline" names the lowest level on every machine ("neon" on arm64), without a warning.
    script = tmp_path / "isa.py"
    script.write_text(ISA_SCRIPT)
    out_file = tmp_path / "res.npz"
    proc = run([sys.executable, str(script), str(out_file)], env_update={"KMIX_ISA": wanted})
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    if wanted == "baseline":
        assert info["isa"] == info["available"][0] == LOWEST_ISA and info["warnings"] == []
    elif wanted in info["available"]:
        assert info["isa"] == wanted and info["warnings"] == []
    else:
        assert info["isa"] == info["available"][-1]
        assert any(wanted in w for w in info["warnings"]), info
    # Whatever kernels run, the answer is scikit-learn's.
    res = np.load(out_file)
    X, init = res["X"], res["init"]
    for name, dtype in (("float64", np.float64), ("float32", np.float32)):
        sk = SkKMeans(5, init=init.astype(dtype), n_init=1).fit(X.astype(dtype))
        np.testing.assert_array_equal(res[f"{name}_labels"], sk.labels_)
        assert int(res[f"{name}_n_iter"]) == sk.n_iter_
        rtol = 1e-9 if dtype == np.float64 else 1e-4
        np.testing.assert_allclose(res[f"{name}_centers"], sk.cluster_centers_, rtol=rtol, atol=rtol * 20)


def test_demo_plot_without_matplotlib_says_how_to_install(tmp_path):
    # A sitecustomize that makes `import matplotlib` fail, as on a machine without it. The
    # missing plotting library is found before the fits, not after them.
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['matplotlib'] = None\n")
    png = tmp_path / "demo.png"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(
        [sys.executable, "-m", "kmix.cli", "demo", "--plot", str(png)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr == "kmix demo --plot needs matplotlib (pip install matplotlib)\n"
    assert not png.exists()
    assert proc.stdout == ""  # no fit ran
