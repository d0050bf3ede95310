"""Ctrl-C: every long kmix loop notices SIGINT within ~0.1 s, stops, and the call raises
KeyboardInterrupt within 1 s, leaving the estimator as it was before the call.

Each case runs in a child process: it fits a small model, prints "ready" and starts a fit that
would run for minutes; this process sends SIGINT to it and times how long the child takes to
report the KeyboardInterrupt. The child then checks that the estimator still holds the small
model (same attributes, same predictions) and that a refit works.
"""

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import TIME_SCALE

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX-only")

# Each case defines `model` (fitted on a little data, None for a function), `params` (what the
# long call sets on it first) and `long()`, a call that would run for minutes.
CASES = {
    "KMeans": """
        model = kmix.KMeans(8, n_init=1, random_state=0).fit(small_X)
        params = dict(n_clusters=64, max_iter=1_000_000, tol=0, init="random")
        big = rng.standard_normal((1_000_000, 16))
        long = lambda: model.fit(big)
    """,
    **{
        f"KMeans-{algorithm}": f"""
        model = kmix.KMeans(8, n_init=1, random_state=0, algorithm="{algorithm}").fit(small_X)
        kmix._core._elkan_every_step(True)  # bounded steps throughout, not Lloyd steps by cost
        params = dict(n_clusters=64, max_iter=1_000_000, tol=0, init="random")
        big = rng.standard_normal((1_000_000, 16))
        long = lambda: model.fit(big)
    """
        for algorithm in ("elkan", "hamerly")
    },
    "KMeans-sparse": """
        model = kmix.KMeans(8, n_init=1, random_state=0).fit(sparse(small_X))
        params = dict(n_clusters=512, max_iter=1_000_000, tol=0, init="random")
        big = sparse_rows(200_000)
        long = lambda: model.fit(big)
    """,
    "kmeans_plusplus-sparse": """
        model, params = None, {}
        big = sparse_rows(200_000)
        long = lambda: kmix.kmeans_plusplus(big, 5000, random_state=0)
    """,
    "MiniBatchKMeans-sparse": """
        model = kmix.MiniBatchKMeans(8, random_state=0, n_init=1).fit(sparse(small_X))
        # init="random": the time goes to the mini-batch steps (k-means++ has its own case)
        params = dict(n_clusters=64, max_iter=100_000, max_no_improvement=None, batch_size=4096, init="random")
        big = sparse_rows(200_000)
        long = lambda: model.fit(big)
    """,
    "MiniBatchKMeans": """
        model = kmix.MiniBatchKMeans(8, random_state=0, n_init=1).fit(small_X)
        params = dict(n_clusters=64, max_iter=100_000, max_no_improvement=None, batch_size=4096)
        big = rng.standard_normal((1_000_000, 16))
        long = lambda: model.fit(big)
    """,
    "MiniBatchKMeans.partial_fit": """
        model = kmix.MiniBatchKMeans(1024, random_state=0, n_init=1).partial_fit(rng.standard_normal((2000, 16)))
        small_X = rng.standard_normal((2000, 16))
        params = {}
        big = rng.standard_normal((2_000_000, 16))
        long = lambda: model.partial_fit(big)
    """,
    "SoftKMeans": """
        model = kmix.SoftKMeans(4, random_state=0).fit(small_X)
        params = dict(n_clusters=32, max_iter=1_000_000, tol=0, init="random")
        big = rng.standard_normal((400_000, 16))
        long = lambda: model.fit(big)
    """,
    "GaussianMixture": """
        model = kmix.GaussianMixture(3, random_state=0).fit(small_X)
        params = dict(n_components=16, max_iter=1_000_000, tol=0, init_params="random")
        big = rng.standard_normal((400_000, 16))
        long = lambda: model.fit(big)
    """,
    "AgglomerativeClustering-ward": """
        model = kmix.AgglomerativeClustering(3).fit(small_X)
        params = {}
        big = rng.standard_normal((40_000, 8))
        long = lambda: model.fit(big)
    """,
    "AgglomerativeClustering-average": """
        model = kmix.AgglomerativeClustering(3, linkage="average").fit(small_X)
        params = {}
        big = rng.standard_normal((10_000, 8))
        long = lambda: model.fit(big)
    """,
    "linkage-single": """
        model, params = None, {}
        big = rng.standard_normal((60_000, 8))
        long = lambda: kmix.linkage(big, "single")
    """,
    "linkage-centroid": """
        model, params = None, {}
        big = rng.standard_normal((150_000, 8))
        long = lambda: kmix.linkage(big, "centroid")
    """,
    "kmeans_plusplus": """
        model, params = None, {}
        big = rng.standard_normal((1_000_000, 16))
        long = lambda: kmix.kmeans_plusplus(big, 5000, random_state=0)
    """,
    "silhouette_score": """
        model, params = None, {}
        big = rng.standard_normal((80_000, 16))
        long = lambda: kmix.metrics.silhouette_score(big, rng.integers(0, 2, len(big)))
    """,
    "silhouette_score-sparse": """
        import scipy.sparse as sp
        model, params = None, {}
        n = 300_000  # 10 values a row in 1000 columns
        big = sp.csr_matrix((rng.standard_normal(10 * n), rng.integers(0, 1000, 10 * n), np.arange(0, 10 * n + 1, 10)),
                            shape=(n, 1000))
        long = lambda: kmix.metrics.silhouette_score(big, rng.integers(0, 2, n))
    """,
}

CHILD = """
import json, pickle, signal, time
import numpy as np
import kmix

# A test run started in the background (`cmd &`, nohup) ignores SIGINT, and so would this child,
# which then gets no KeyboardInterrupt at all: Ctrl-C's default handler back first.
signal.signal(signal.SIGINT, signal.default_int_handler)

rng = np.random.default_rng(0)
small_X = rng.standard_normal((200, 4))


def sparse(X):
    import scipy.sparse
    return scipy.sparse.csr_matrix(X)


def sparse_rows(n):
    # CSR with 10 values a row in 1000 columns, sorted and distinct (canonical: checked in one
    # pass, nothing to sum), so that the call spends its time in the kernels
    import scipy.sparse
    cols = (np.arange(10) * 100 + rng.integers(0, 100, (n, 10))).ravel()
    return scipy.sparse.csr_matrix((rng.standard_normal(10 * n), cols, np.arange(0, 10 * n + 1, 10)),
                                   shape=(n, 1000))
{case}
if model is not None:
    old_params = model.get_params()
    before = pickle.dumps(model)
    labels_before = model.predict(small_X) if hasattr(model, "predict") else None
    model.set_params(**params)
print("ready", flush=True)
start = time.perf_counter()
try:
    long()
    outcome = {{"finished": time.perf_counter() - start}}
except KeyboardInterrupt:
    outcome = {{"interrupted": time.perf_counter() - start, "caught_at": time.time()}}
if model is not None:
    model.set_params(**old_params)
    outcome["unchanged"] = pickle.dumps(model) == before
    if labels_before is not None:
        outcome["predicts_as_before"] = bool(np.array_equal(model.predict(small_X), labels_before))
    refit = model.fit(small_X)
    outcome["refits"] = len(refit.predict(small_X) if hasattr(refit, "predict") else refit.labels_) == len(small_X)
print(json.dumps(outcome), flush=True)
"""


@pytest.mark.parametrize("case", sorted(CASES))
def test_sigint_stops_the_call_within_a_second(case):
    code = CHILD.format(case=textwrap.dedent(CASES[case]))
    env = dict(os.environ, OMP_NUM_THREADS="2")
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        time.sleep(0.5)  # well inside the long call
        sent = time.time()  # the wall clock, which the child reads too
        child.send_signal(signal.SIGINT)
        # A kmix that ignores the signal would run for minutes: give up after 20 s (the child
        # also checks and refits the model before it answers).
        if not select.select([child.stdout], [], [], 20 * TIME_SCALE)[0]:
            pytest.fail(f"{case}: no KeyboardInterrupt {20 * TIME_SCALE:g} s after SIGINT")
        line = child.stdout.readline()
        child.wait(timeout=120 * TIME_SCALE)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert line, child.stderr.read()
    outcome = json.loads(line)
    assert "interrupted" in outcome, f"the call finished before the signal: {outcome}"
    assert outcome["interrupted"] > 0.4
    latency = outcome["caught_at"] - sent
    assert latency < 1.0 * TIME_SCALE, f"{case}: KeyboardInterrupt raised {latency:.2f} s after SIGINT"
    if "unchanged" in outcome:
        assert outcome["unchanged"], f"{case}: the interrupted call changed the estimator"
        assert outcome.get("predicts_as_before", True), f"{case}: the estimator predicts differently"
        assert outcome["refits"]
