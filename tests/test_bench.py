"""kmix bench: the smoke suite's JSON has every field, and the agreement figures are right."""

import json
import subprocess
import sys

import numpy as np
import pytest

import kmix.bench
from kmix.bench import _agreement, _timing, kmeans as bench_kmeans
from kmix.bench._peers import PEERS

sklearn_metrics = pytest.importorskip("sklearn.metrics")

PEER_FIELDS = {"time_s", "runs_s", "ratio"}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """The smoke suite at tiny sizes, through the command line's main, with its JSON."""
    path = tmp_path_factory.mktemp("bench") / "smoke.json"
    saved = _timing.SETTLE_S
    _timing.SETTLE_S = 0.0
    try:
        status = kmix.bench.main(
            [
                "--suite",
                "smoke",
                "--scale",
                "0.005",
                "--repeat",
                "2",
                "--threads",
                "2",
                "--peers",
                "sklearn,scipy,fastcluster,faiss",
                "--json",
                str(path),
            ]
        )
    finally:
        _timing.SETTLE_S = saved
    with open(path) as f:
        return status, json.load(f)


def test_smoke_suite_runs_and_agrees(smoke):
    status, res = smoke
    assert status == 0, kmix.bench.disagreements(res)
    assert res["suite"] == "smoke" and res["repeat"] == 2 and res["threads"] == 2
    assert [w["name"] for w in res["workloads"]] == [w.name for w in kmix.bench.SUITES["smoke"]]


def test_machine_object(smoke):
    _, res = smoke
    m = res["machine"]
    for key in ("cpu", "cores", "threads", "isa", "versions"):
        assert m[key], key
    assert m["threads"] == 2
    assert m["isa"] == kmix.show_config(print_out=False)["isa"]
    assert m["versions"]["kmix"] == kmix.__version__ and m["versions"]["numpy"] == np.__version__
    import sklearn

    assert m["versions"]["sklearn"] == sklearn.__version__


def test_peaks_measured(smoke):
    _, res = smoke
    pk = res["peaks"]
    assert pk["dgemm_gflops"] > 0 and pk["sgemm_gflops"] > 0 and pk["gbps"] > 0
    assert pk["gbps"] == max(pk["stream"]["copy_gbps"], pk["stream"]["read_gbps"])


def test_every_workload_has_times_ratios_throughput_and_agreement(smoke):
    _, res = smoke
    m = res["machine"]
    for w in res["workloads"]:
        assert w["kmix"]["time_s"] > 0 and len(w["kmix"]["runs_s"]) >= 1
        assert w["kmix"]["time_s"] == pytest.approx(np.median(w["kmix"]["runs_s"]))
        for key in ("gflops", "gbps", "gflops_fraction", "gbps_fraction", "agreement", "per", "label"):
            assert key in w, (w["label"], key)
        if w["gflops"] is not None:
            assert w["gflops"] > 0 and w["gflops_fraction"] == pytest.approx(w["gflops"] / w["gflops_peak"])
        if w["gbps"] is not None:
            assert w["gbps_fraction"] == pytest.approx(w["gbps"] / res["peaks"]["gbps"])
        assert w["peers"], f"{w['label']}: no peer ran (scikit-learn or scipy is installed for every family)"
        for peer, p in w["peers"].items():
            assert set(p) >= PEER_FIELDS
            assert p["ratio"] == pytest.approx(p["time_s"] / w["kmix"]["time_s"])
            # a peer library, or "<library>-<algorithm>" (kmix-hamerly, sklearn-elkan): another algorithm of it
            assert peer.split("-")[0] in m["versions"]
            assert w["agreement"][peer], (w["label"], peer)
    # kmeans and gmm fits report throughput; linkage has no flop count
    assert all(w["gflops"] is not None for w in res["workloads"] if w["name"] in ("kmeans.fit", "gmm.fit"))


def test_missing_peers_are_skipped_with_a_note(smoke):
    _, res = smoke
    versions = res["machine"]["versions"]
    for peer in ("sklearn", "scipy", "fastcluster", "faiss"):
        if peer not in versions:
            assert "pip install" in res["skipped_peers"][peer]
            assert all(peer not in w["peers"] for w in res["workloads"])
    assert "sklearnex" not in versions and "sklearnex" not in res["skipped_peers"]  # not asked for


def test_same_init_agrees_with_sklearn(smoke):
    """Same init and algorithm: the labels are the same partition (ARI 1) and the centers agree."""
    _, res = smoke
    fits = [w for w in res["workloads"] if w["name"] == "kmeans.fit"]
    for w in fits:
        ag = w["agreement"]["sklearn"]
        assert ag["ari"] == 1.0 and ag["ok"] is True
        assert ag["centers_rel_diff"] <= (1e-9 if w["dtype"] == "float64" else 1e-4)
        assert ag["n_iter"][0] == ag["n_iter"][1]


def test_sparse_workloads_run_and_agree_with_sklearn(smoke):
    """The smoke suite's sparse rows: the same init on the same CSR gives scikit-learn's answer."""
    _, res = smoke
    rows = [w for w in res["workloads"] if w["family"] == "sparse"]
    assert {w["name"] for w in rows} == {"sparse.kmeans", "sparse.minibatch"}
    for w in rows:
        assert w["peers"]["sklearn"]["time_s"] > 0 and w["extra"]["nnz"] > 0
    fit = next(w for w in rows if w["name"] == "sparse.kmeans")
    ag = fit["agreement"]["sklearn"]
    assert ag["ok"] is True and ag["ari"] == 1.0 and ag["n_iter"][0] == ag["n_iter"][1]
    assert fit["gbps"] > 0 and fit["gflops"] > 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tfidf_matrix(dtype):
    """make_tfidf: nonnegative, canonical CSR, unit rows, about density·n·d nonzeros, Zipf-like
    column counts (the most common terms far above the median)."""
    from kmix.bench import sparse as bench_sparse

    n, d, density = 3000, 800, 0.02
    X = bench_sparse.make_tfidf(n, d, density, dtype)
    assert X.format == "csr" and X.shape == (n, d) and X.dtype == np.dtype(dtype)
    assert X.has_canonical_format and (X.data > 0).all()
    nonempty = np.diff(X.indptr) > 0
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms[nonempty], 1.0, rtol=1e-6 if dtype == "float32" else 1e-12)
    assert 0.5 * density * n * d < X.nnz <= 1.05 * density * n * d
    counts = np.bincount(X.indices, minlength=d)
    assert counts.max() > 5 * np.median(counts)
    again = bench_sparse.make_tfidf(n, d, density, dtype)
    assert (X != again).nnz == 0  # seeded


def test_markdown_has_a_row_per_peer(smoke):
    _, res = smoke
    md = kmix.bench.format_markdown(res)
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| workload")]
    assert len(rows) == sum(max(1, len(w["peers"])) for w in res["workloads"])


# ---- the agreement figures on cases with a known answer ---------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_ari_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, size=300)
    b = np.where(rng.random(300) < 0.7, a, rng.integers(0, 7, size=300))
    assert _agreement.adjusted_rand_index(a, b) == pytest.approx(sklearn_metrics.adjusted_rand_score(a, b), abs=1e-12)


def test_ari_is_one_for_renamed_labels_and_special_cases():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 6, size=200)
    renamed = np.array([5, 3, 0, 1, 4, 2])[a] + 10
    assert _agreement.adjusted_rand_index(a, renamed) == 1.0
    for a, b in (
        ([0, 0, 0], [1, 1, 1]),
        ([0, 1, 2], [2, 0, 1]),
        ([0, 0, 1, 1], [0, 1, 0, 1]),
        ([0, 0, 1, 2], [0, 0, 1, 1]),
    ):
        assert _agreement.adjusted_rand_index(a, b) == pytest.approx(sklearn_metrics.adjusted_rand_score(a, b))


def test_differences_and_inertia_on_known_cases():
    x = np.arange(12.0).reshape(4, 3)
    y = x.copy()
    y[2, 1] += 0.5
    assert _agreement.max_abs_diff(x, y) == 0.5
    assert _agreement.max_rel_diff(y, x) == 0.5 / 11.0
    assert _agreement.rel_diff(1.5, 2.0) == 0.25 and _agreement.rel_diff(0.0, 0.0) == 0.0
    X = np.random.default_rng(1).standard_normal((50, 3))
    C = X[:4]
    labels = np.array([np.argmin([((row - c) ** 2).sum() for c in C]) for row in X])
    by_loop = sum(((row - C[lab]) ** 2).sum() for row, lab in zip(X, labels))
    assert _agreement.inertia(X, C, labels) == pytest.approx(by_loop, rel=1e-12)
    assert _agreement.nearest_sq_dist(X, C).sum() == pytest.approx(by_loop, rel=1e-12)


def test_fit_agreement_on_a_known_difference():
    """A peer whose answer differs in a known way: two clusters merged, one center moved by 0.25,
    no inertia attribute (so it is computed). Every figure equals the one computed directly."""
    from types import SimpleNamespace

    X, init = bench_kmeans.make_blobs(3000, 4, 5, "float64")
    ours = kmix.KMeans(5, init=init, n_init=1).fit(X)
    same = bench_kmeans.fit_agreement(ours, ours, X)
    assert same["ari"] == 1.0 and same["centers_max_diff"] == 0.0 and same["inertia_rel_diff"] == 0.0
    labels = np.where(ours.labels_ == 4, 3, ours.labels_)
    centers = ours.cluster_centers_.copy()
    centers[2, 1] += 0.25
    theirs = SimpleNamespace(labels_=labels, cluster_centers_=centers, n_iter_=7)
    ag = bench_kmeans.fit_agreement(ours, theirs, X)
    assert ag["ari"] == pytest.approx(sklearn_metrics.adjusted_rand_score(ours.labels_, labels), abs=1e-12)
    assert ag["ari"] < 1.0
    assert ag["centers_max_diff"] == pytest.approx(0.25, abs=1e-12)
    their_inertia = float(((X - centers[labels]) ** 2).sum())
    assert ag["inertia_rel_diff"] == pytest.approx(abs(ours.inertia_ - their_inertia) / their_inertia, rel=1e-9)
    assert ag["n_iter"] == [ours.n_iter_, 7]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="--peers"):
        kmix.bench.run(peers="sklearn,nope", out=None, progress=None)
    with pytest.raises(ValueError, match="--suite"):
        kmix.bench.run(suite="huge", out=None, progress=None)
    with pytest.raises(ValueError, match="--repeat"):
        kmix.bench.run(repeat=0, out=None, progress=None)
    with pytest.raises(ValueError, match="--only"):
        kmix.bench.run(only=["nope"], out=None, progress=None)
    assert set(PEERS) == {"sklearn", "sklearnex", "faiss", "scipy", "fastcluster", "dask_ml"}


def test_command_line_rejects_unknown_peer():
    out = subprocess.run([sys.executable, "-m", "kmix.cli", "bench", "--peers", "nope"], capture_output=True, text=True)
    assert out.returncode == 2 and "--peers" in out.stderr


@pytest.mark.parametrize("threads", [None, 1])
def test_skipped_distances_share(threads):
    """kmeans-large-k's share of distances skipped: in [0, 1) for the bounded algorithms, with any
    thread setting (None: kmix's default)."""
    X, _ = bench_kmeans.make_blobs(3000, 4, 30, "float64", box=8.0)
    share = bench_kmeans._skipped_distances(X, 30, ["lloyd", "hamerly", "elkan"], None, threads)
    assert set(share) == {"hamerly", "elkan"}
    assert all(0.0 <= v < 1.0 for v in share.values())
