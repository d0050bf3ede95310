"""fork: after the parent has run kmix on several threads, a child made by os.fork() or by a
multiprocessing "fork" pool fits without hanging and gets the parent's answer. (GNU OpenMP's
thread pool does not survive fork; kmix runs one thread in such a child, and its results do not
depend on the thread count.)

Each case runs in a fresh interpreter with a timeout, so a hang fails the test instead of
stopping the suite.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")

PARENT = """
import json, os, sys
import numpy as np
import kmix

rng = np.random.default_rng(0)
X = rng.standard_normal((60_000, 8))

def fit_all():
    km = kmix.KMeans(8, n_init=1, random_state=0).fit(X)
    gm = kmix.GaussianMixture(3, covariance_type="diag", random_state=0).fit(X[:20_000])
    Z = kmix.linkage(X[:3000], "ward")
    sil = kmix.metrics.silhouette_score(X[:5000], km.labels_[:5000])
    return {"centers": km.cluster_centers_.tolist(), "means": gm.means_.tolist(), "Z": Z.tolist(), "sil": sil,
            "threads": kmix._core.max_threads(), "forked": kmix._core.in_forked_child(),
            "config_threads": kmix.show_config(print_out=False)["threads"]}

parent = fit_all()  # with OMP_NUM_THREADS=2: the thread pool now exists
assert parent["threads"] == 2 and not parent["forked"]
"""

CHILDREN = {
    "os.fork": """
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.write(w, json.dumps(fit_all()).encode())
            os._exit(0)
        os.close(w)
        chunks = []
        while True:
            chunk = os.read(r, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        os.waitpid(pid, 0)
        children = [json.loads(b"".join(chunks))]
    """,
    "multiprocessing fork pool": """
        import multiprocessing as mp

        def job(_):
            return fit_all()

        with mp.get_context("fork").Pool(2) as pool:
            children = pool.map(job, range(2))
    """,
}


@pytest.mark.parametrize("how", sorted(CHILDREN))
def test_fit_in_a_forked_child_finishes_with_the_parents_answer(how):
    code = PARENT + textwrap.dedent(CHILDREN[how]) + "\nprint(json.dumps({'parent': parent, 'children': children}))\n"
    env = dict(os.environ, OMP_NUM_THREADS="2")
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=180)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{how}: the child hung (no answer in 180 s)")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    parent = out["parent"]
    assert len(out["children"]) >= 1
    for child in out["children"]:
        assert child["forked"] and child["threads"] == 1 and child["config_threads"] == 1
        # Bit-identical: results never depend on the number of threads.
        for key in ("centers", "means", "Z", "sil"):
            assert child[key] == parent[key], key
