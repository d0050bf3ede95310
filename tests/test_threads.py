"""Threads: results are bit-identical for any number of OpenMP threads, n_threads follows
OMP_NUM_THREADS / threadpoolctl, and a fitted model serves predictions from many Python threads."""

import functools
import hashlib
import inspect
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.cluster import KMeans as SkKMeans
from threadpoolctl import threadpool_limits

import kmix
from conftest import init_rows, inertia_formula, make_blobs, make_data, make_separated_blobs, nearest, run

# Big enough for many blocks in every kernel: Lloyd blocks of >= 256 rows (at most 256 of them),
# k-means++ prefix-sum blocks of 2048 rows, and the 256-block reductions of inertia and seeding.
N, D, K = 300_000, 8, 16
BIG_SEED = 2024
MAX_ITER = 8


@functools.lru_cache(maxsize=None)
def _big_data(dtype_name):
    X = make_blobs(n=N, d=D, k=K, seed=BIG_SEED, std=2.0, spread=5.0, dtype=np.dtype(dtype_name))[0]
    X.setflags(write=False)
    return X


def big_data(dtype=np.float64):
    return _big_data(np.dtype(dtype).name)


def fingerprint(km, X):
    """Exact bytes of everything a fit and a fitted model produce."""
    h = hashlib.sha256
    return {
        "centers": h(km.cluster_centers_.tobytes()).hexdigest(),
        "labels": h(km.labels_.tobytes()).hexdigest(),
        "inertia": repr(km.inertia_),
        "n_iter": km.n_iter_,
        "predict": h(km.predict(X[:50_000]).tobytes()).hexdigest(),
        "transform": h(km.transform(X[:20_000]).tobytes()).hexdigest(),
        "score": repr(km.score(X)),
    }


@functools.lru_cache(maxsize=None)
def big_fit(dtype_name, n_threads):
    """The seeded fit of the big data (cached: several tests compare against it)."""
    X = big_data(dtype_name)
    km = kmix.KMeans(K, random_state=0, max_iter=MAX_ITER, n_threads=n_threads).fit(X)
    return km, fingerprint(km, X)


@pytest.fixture(scope="module", params=[np.float64, np.float32], ids=["float64", "float32"])
def big(request):
    return big_data(request.param)


def test_fit_bit_identical_for_1_and_2_threads(big):
    prints = [big_fit(big.dtype.name, n_threads)[1] for n_threads in (1, 2)]
    assert prints[0] == prints[1]
    km = big_fit(big.dtype.name, 2)[0]
    # And the answer is right: labels are the nearest centers, inertia the formula.
    lab = km.predict(big[:5000])
    np.testing.assert_array_equal(lab, nearest(big[:5000], km.cluster_centers_))
    np.testing.assert_allclose(
        km.inertia_,
        inertia_formula(big, km.cluster_centers_, km.labels_),
        rtol=1e-12 if big.dtype == np.float64 else 1e-6,
    )


def test_weighted_random_init_bit_identical(big):
    w = np.random.default_rng(1).uniform(0, 2, size=N).astype(big.dtype)
    out = []
    for n_threads in (2, 1):
        km = kmix.KMeans(K, init="random", n_init=1, random_state=3, max_iter=4, n_threads=n_threads)
        km.fit(big, sample_weight=w)
        out.append(
            (
                km.cluster_centers_.tobytes(),
                km.labels_.tobytes(),
                repr(km.inertia_),
                repr(km.score(big, sample_weight=w)),
            )
        )
    assert out[0] == out[1]


def test_kmeans_plusplus_bit_identical(big):
    res = [kmix.kmeans_plusplus(big, K, random_state=5, n_threads=t) for t in (1, 2)]
    np.testing.assert_array_equal(res[0][1], res[1][1])
    assert res[0][0].tobytes() == res[1][0].tobytes()


def test_big_data_matches_sklearn():
    X = big_data(np.float64)
    init = init_rows(X, K, 0)
    ours = kmix.KMeans(K, init=init, n_init=1, max_iter=MAX_ITER, n_threads=2).fit(X)
    theirs = SkKMeans(K, init=init, n_init=1, max_iter=MAX_ITER).fit(X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-9)


def test_big_kmeans_plusplus_matches_sklearn():
    from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus

    X = big_data(np.float64)
    _, idx = kmix.kmeans_plusplus(X, K, random_state=11)
    _, sk_idx = sk_kmeans_plusplus(X, K, random_state=11)
    np.testing.assert_array_equal(idx, sk_idx)


def test_many_centers_bit_identical_and_like_sklearn():
    # k*d > 4096 takes the parallel combination of the per-block center sums.
    X = make_data("blobs", 20_000, 50, 100, seed=3)
    init = init_rows(X, 100, 3)
    r = [kmix.KMeans(100, init=init, n_init=1, max_iter=5, n_threads=t).fit(X) for t in (1, 2)]
    assert r[0].cluster_centers_.tobytes() == r[1].cluster_centers_.tobytes()
    assert r[0].labels_.tobytes() == r[1].labels_.tobytes() and repr(r[0].inertia_) == repr(r[1].inertia_)
    theirs = SkKMeans(100, init=init, n_init=1, max_iter=5).fit(X)
    np.testing.assert_array_equal(r[0].labels_, theirs.labels_)
    np.testing.assert_allclose(r[0].cluster_centers_, theirs.cluster_centers_, rtol=1e-9, atol=1e-12)


def test_threadpool_limits_and_negative_n_threads():
    X = big_data(np.float64)[:60_000]
    ref = kmix.KMeans(K, random_state=0, max_iter=5, n_threads=2).fit(X)
    with threadpool_limits(limits=1, user_api="openmp"):
        assert kmix.show_config(print_out=False)["threads"] == 1
        limited = kmix.KMeans(K, random_state=0, max_iter=5).fit(X)
    neg = kmix.KMeans(K, random_state=0, max_iter=5, n_threads=-1).fit(X)
    many = kmix.KMeans(K, random_state=0, max_iter=5, n_threads=7).fit(X)  # more threads than cores
    for other in (limited, neg, many):
        assert other.cluster_centers_.tobytes() == ref.cluster_centers_.tobytes()
        assert other.labels_.tobytes() == ref.labels_.tobytes()
        assert repr(other.inertia_) == repr(ref.inertia_)


SUBPROCESS_SCRIPT = """
import hashlib, json, sys
import numpy as np
import kmix
from kmix import _core

N, D, K, BIG_SEED, MAX_ITER = {N}, {D}, {K}, {BIG_SEED}, {MAX_ITER}
{make_blobs}
{fingerprint}
out = {{"max_threads": _core.max_threads()}}
for name, dtype in (("float64", np.float64), ("float32", np.float32)):
    X = make_blobs(n=N, d=D, k=K, seed=BIG_SEED, std=2.0, spread=5.0, dtype=dtype)[0]
    km = kmix.KMeans(K, random_state=0, max_iter=MAX_ITER).fit(X)
    out[name] = fingerprint(km, X)
print(json.dumps(out))
"""


def test_omp_num_threads_subprocesses_bit_identical(tmp_path):
    # A self-contained script (same data generator and fingerprint as this module), run with
    # OMP_NUM_THREADS=1 and =2, so n_threads=None follows the environment.
    script = tmp_path / "fit.py"
    script.write_text(
        SUBPROCESS_SCRIPT.format(
            N=N,
            D=D,
            K=K,
            BIG_SEED=BIG_SEED,
            MAX_ITER=MAX_ITER,
            make_blobs=inspect.getsource(make_blobs),
            fingerprint=inspect.getsource(fingerprint),
        )
    )
    results = {}
    for omp in (1, 2):
        proc = run([sys.executable, str(script)], env_update={"OMP_NUM_THREADS": omp}, cwd=str(tmp_path))
        results[omp] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results[1]["max_threads"] == 1 and results[2]["max_threads"] == 2
    for name in ("float64", "float32"):
        assert results[1][name] == results[2][name]
    # The subprocesses also agree with this process (whatever its thread count).
    for name in ("float64", "float32"):
        assert results[1][name] == big_fit(name, 2)[1]


# ---- Python threads --------------------------------------------------------------------------
def test_concurrent_predict_from_python_threads(dtype):
    # Clusters far apart and seeded at their true centers: no point is anywhere near a boundary,
    # so float32 rounding cannot flip a label between kmix and scikit-learn.
    X_all, _, true_centers = make_separated_blobs(n=40_000, d=6, k=9, seed=4, dtype=dtype)
    X, X_new = X_all[:20_000], X_all[20_000:] + dtype(0.3)
    init = true_centers.astype(dtype)
    km = kmix.KMeans(9, init=init, n_init=1).fit(X)
    sk = SkKMeans(9, init=init, n_init=1).fit(X)
    expected = km.predict(X_new)  # single-threaded caller
    np.testing.assert_array_equal(expected, sk.predict(X_new))
    np.testing.assert_array_equal(expected, nearest(X_new, km.cluster_centers_))

    chunks = [(i, slice(i * 997, i * 997 + 5003)) for i in range(16)]

    def work(arg):
        i, sl = arg
        if i % 4 == 0:
            return i, km.predict(X_new)
        if i % 4 == 1:
            return i, km.predict(X_new[sl])
        if i % 4 == 2:
            return i, km.predict(X_new[sl][:1])  # one-row serving
        return i, km.transform(X_new[sl])

    for _ in range(3):
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, chunks))
        for i, got in results:
            sl = chunks[i][1]
            if i % 4 == 0:
                np.testing.assert_array_equal(got, expected)
            elif i % 4 == 1:
                np.testing.assert_array_equal(got, expected[sl])
            elif i % 4 == 2:
                np.testing.assert_array_equal(got, expected[sl][:1])
            else:
                np.testing.assert_array_equal(got, km.transform(X_new[sl]))


def test_concurrent_fits_from_python_threads():
    datasets = [make_data("aniso", 3000, 4, 5, seed=s) for s in range(6)]
    expected = [kmix.KMeans(5, random_state=s).fit(X) for s, X in enumerate(datasets)]

    def work(s):
        return kmix.KMeans(5, random_state=s).fit(datasets[s])

    with ThreadPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(work, range(6)))
    for g, e, X, s in zip(got, expected, datasets, range(6)):
        assert g.cluster_centers_.tobytes() == e.cluster_centers_.tobytes()
        np.testing.assert_array_equal(g.labels_, e.labels_)
        theirs = SkKMeans(5, random_state=s).fit(X)
        np.testing.assert_array_equal(g.labels_, theirs.labels_)
