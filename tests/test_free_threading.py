"""Free-threaded CPython (3.13t, 3.14t) and many Python threads at once.

On a free-threaded interpreter, importing kmix leaves the GIL disabled (kmix._core declares
Py_MOD_GIL_NOT_USED). On every interpreter, many Python threads started together get exactly
the answers of one thread: predict, transform, score and predict_proba on one shared fitted
estimator; fit on distinct estimators; save and load. With a GIL the kernels overlap (they run
with it released); without one, the Python code around them overlaps too. Fitting one estimator
from two threads at once is not supported (nor is it in scikit-learn).

References: the same calls made first from this thread alone (compared bit for bit), and numpy
formulas for those. This module imports neither scikit-learn nor scipy, so that run alone on a
free-threaded interpreter nothing but kmix and numpy can have enabled the GIL.
"""

import pickle
import sys
import sysconfig
import threading
import types
import warnings

import numpy as np
import pytest

import kmix
from conftest import inertia_formula, make_data, make_separated_blobs, nearest, run, sq_dists

FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
THREADS = 12  # Python threads per test (each call's kernel may start OpenMP threads of its own)
ROUNDS = 6  # calls per thread


def run_together(task, n=THREADS):
    """[task(0), ..., task(n - 1)], each on its own thread, all released at once by a barrier.
    The first exception raised in any thread is raised here."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def target(i):
        try:
            barrier.wait(timeout=120)
            results[i] = task(i)
        except BaseException as exc:  # noqa: BLE001 (re-raised below, in the test's thread)
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    real = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if real or errors:
        raise (real or errors)[0]
    return results


def mixed_calls(calls, expected):
    """Every thread makes ROUNDS calls, thread i starting at a different one of `calls` (a dict
    name -> zero-argument callable), so all kinds overlap; each answer must be `expected[name]`,
    bit for bit."""
    names = sorted(calls)

    def task(i):
        return [(name, calls[name]()) for name in (names[(i + r) % len(names)] for r in range(ROUNDS))]

    for answers in run_together(task):
        for name, got in answers:
            same(name, got, expected[name])


def same(name, got, expected):
    if isinstance(expected, np.ndarray):
        assert got.dtype == expected.dtype, name
        np.testing.assert_array_equal(got, expected, err_msg=name)
    else:
        assert repr(got) == repr(expected), name


# ---- the GIL ---------------------------------------------------------------------------------
IMPORT_SCRIPT = """
import sys
import kmix
print("after import", sys._is_gil_enabled())
km = kmix.KMeans(3, random_state=0, n_init=1).fit([[0.0], [1.0], [10.0], [11.0], [20.0], [21.0]])
kmix.GaussianMixture(2, random_state=0).fit([[0.0], [1.0], [10.0], [11.0]])
kmix.linkage([[0.0], [1.0], [5.0]], "ward")
print("after use", sys._is_gil_enabled())
"""


@pytest.mark.skipif(not FREE_THREADED, reason="needs a free-threaded CPython (3.13t, 3.14t)")
def test_import_leaves_gil_disabled():
    # A fresh interpreter, with PYTHON_GIL unset (PYTHON_GIL=1 would enable it whatever kmix does):
    # CPython enables the GIL when it loads an extension module that does not declare
    # Py_MOD_GIL_NOT_USED, and says so in a RuntimeWarning.
    proc = run([sys.executable, "-c", IMPORT_SCRIPT], env_update={"PYTHON_GIL": None})
    assert proc.stdout.split() == ["after", "import", "False", "after", "use", "False"], proc.stdout + proc.stderr
    assert "GIL" not in proc.stderr, proc.stderr


@pytest.mark.skipif(not FREE_THREADED, reason="needs a free-threaded CPython (3.13t, 3.14t)")
def test_gil_disabled_in_this_process():
    # The threads of the tests below overlap in Python code too, not only in the kernels. (Fails
    # if any extension module imported into this pytest process enabled the GIL; the test above
    # tells whether kmix did.)
    assert not sys._is_gil_enabled()


# ---- one shared fitted estimator, many threads -----------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_shared_kmeans_predict_transform_score(dtype):
    # Clusters far apart: no row is near a boundary, so the numpy reference labels are exact.
    X, _, centers = make_separated_blobs(n=6000, d=5, k=7, seed=11, dtype=dtype)
    km = kmix.KMeans(7, init=centers.astype(dtype), n_init=1).fit(X)
    X_new = X[::-1] + dtype(0.25)
    frame = np.asfortranarray(X_new[:500])  # not C-contiguous: the validating path, not the short one
    calls = {
        "predict": lambda: km.predict(X_new),
        "predict_row": lambda: km.predict(X_new[7:8]),  # the one-row serving path
        "predict_fortran": lambda: km.predict(frame),
        "predict_list": lambda: km.predict(X_new[:50].tolist()),
        "transform": lambda: km.transform(X_new[:2000]),
        "score": lambda: km.score(X_new),
        "fit_predict_other": lambda: kmix.KMeans(7, init=centers.astype(dtype), n_init=1).fit_predict(X),
    }
    expected = {name: call() for name, call in calls.items()}
    # The single-threaded answers themselves, against numpy.
    np.testing.assert_array_equal(expected["predict"], nearest(X_new, km.cluster_centers_))
    np.testing.assert_array_equal(expected["predict_fortran"], expected["predict"][:500])
    np.testing.assert_array_equal(expected["predict_list"], expected["predict"][:50])
    np.testing.assert_array_equal(expected["fit_predict_other"], km.labels_)
    # float32 distances come from ‖x‖² − 2x·c + ‖c‖², whose rounding is relative to ‖x‖².
    scale = float(np.abs(X_new).max()) ** 2
    tol = {"rtol": 0, "atol": 1e-12 * scale} if dtype == np.float64 else {"rtol": 0, "atol": 1e-5 * scale}
    np.testing.assert_allclose(expected["transform"] ** 2, sq_dists(X_new[:2000], km.cluster_centers_), **tol)
    np.testing.assert_allclose(
        -expected["score"],
        inertia_formula(X_new, km.cluster_centers_, expected["predict"]),
        rtol=1e-12 if dtype == np.float64 else 1e-4,
    )
    before = dict(km.__dict__)
    mixed_calls(calls, expected)
    assert km.__dict__.keys() == before.keys()
    assert all(km.__dict__[k] is v for k, v in before.items())  # nothing replaced by a predict


def test_shared_gaussian_mixture_and_soft_kmeans():
    X, _, centers = make_separated_blobs(n=3000, d=3, k=4, seed=5)
    gm = kmix.GaussianMixture(4, means_init=centers, random_state=0).fit(X)
    soft = kmix.SoftKMeans(4, beta=0.5, init=centers, random_state=0).fit(X)
    mb = kmix.MiniBatchKMeans(4, init=centers, n_init=1, batch_size=256, random_state=0).fit(X)
    X_new = X[:1500] + 0.1
    calls = {
        "gm_predict": lambda: gm.predict(X_new),
        "gm_proba": lambda: gm.predict_proba(X_new),
        "gm_score_samples": lambda: gm.score_samples(X_new),
        "gm_score": lambda: gm.score(X_new),
        "gm_bic": lambda: gm.bic(X_new),
        "soft_predict": lambda: soft.predict(X_new),
        "soft_proba": lambda: soft.predict_proba(X_new),
        "mb_predict": lambda: mb.predict(X_new),
        "mb_transform": lambda: mb.transform(X_new),
    }
    expected = {name: call() for name, call in calls.items()}
    P = expected["gm_proba"]
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(expected["gm_predict"], P.argmax(axis=1))
    np.testing.assert_allclose(expected["gm_score"], expected["gm_score_samples"].mean(), rtol=1e-12)
    np.testing.assert_array_equal(expected["mb_predict"], nearest(X_new, mb.cluster_centers_))
    np.testing.assert_allclose(expected["soft_proba"].sum(axis=1), 1.0, rtol=1e-12)
    mixed_calls(calls, expected)


# ---- distinct estimators, many threads -------------------------------------------------------
def _fingerprint(est):
    """Every fitted array and number of an estimator, as exact bytes and reprs."""
    out = {}
    for name, value in sorted(vars(est).items()):
        if name.endswith("_") and not name.startswith("_"):
            out[name] = (
                (value.dtype.str, value.shape, value.tobytes()) if isinstance(value, np.ndarray) else repr(value)
            )
    return out


FITS = {
    "kmeans_lloyd": lambda X, s: kmix.KMeans(5, random_state=s, n_init=2),
    "kmeans_elkan": lambda X, s: kmix.KMeans(5, random_state=s, n_init=1, algorithm="elkan"),
    "kmeans_hamerly": lambda X, s: kmix.KMeans(5, random_state=s, n_init=1, algorithm="hamerly"),
    "minibatch": lambda X, s: kmix.MiniBatchKMeans(5, random_state=s, batch_size=256, n_init=1),
    "soft": lambda X, s: kmix.SoftKMeans(5, beta=0.3, random_state=s),
    "gmm_full": lambda X, s: kmix.GaussianMixture(5, covariance_type="full", random_state=s),
    "gmm_diag": lambda X, s: kmix.GaussianMixture(5, covariance_type="diag", random_state=s, max_iter=5),
    "agglo_ward": lambda X, s: kmix.AgglomerativeClustering(5, linkage="ward"),
    "agglo_single": lambda X, s: kmix.AgglomerativeClustering(5, linkage="single", compute_distances=True),
}


@pytest.mark.filterwarnings("ignore::kmix.ConvergenceWarning")  # gmm_diag stops at max_iter
def test_concurrent_fits_on_distinct_estimators():
    # Thread i fits estimator kind i % 8 on data set i (float32 for even i); every fit is
    # compared with the same fit made from this thread alone.
    kinds = sorted(FITS)
    data = [
        make_data("aniso", 1200 + 100 * (i % 3), 4, 5, seed=i, dtype=np.float64 if i % 2 else np.float32)
        for i in range(THREADS)
    ]

    def fit(i):
        return FITS[kinds[i % len(kinds)]](data[i], i).fit(data[i])

    alone = [fit(i) for i in range(THREADS)]
    expected = [_fingerprint(est) for est in alone]
    for i, est in enumerate(alone):  # those fits' labels are their own centers' nearest (float64)
        if data[i].dtype == np.float64 and isinstance(est, (kmix.KMeans, kmix.MiniBatchKMeans)):
            np.testing.assert_array_equal(est.labels_, nearest(data[i], est.cluster_centers_))
    for _ in range(2):
        got = [_fingerprint(est) for est in run_together(fit)]
        for i in range(THREADS):
            assert got[i] == expected[i], kinds[i % len(kinds)]


def test_concurrent_functions():
    X = make_data("blobs", 800, 3, 4, seed=2)
    labels = kmix.KMeans(4, random_state=0, n_init=1).fit_predict(X)
    calls = {
        "linkage_ward": lambda: kmix.linkage(X, "ward"),
        "linkage_average": lambda: kmix.linkage(X, "average", metric="cityblock"),
        "kmeans_plusplus": lambda: kmix.kmeans_plusplus(X, 4, random_state=3)[1],
        "silhouette": lambda: kmix.metrics.silhouette_score(X, labels),
        "davies_bouldin": lambda: kmix.metrics.davies_bouldin_score(X, labels),
        "calinski": lambda: kmix.metrics.calinski_harabasz_score(X, labels),
    }
    expected = {name: call() for name, call in calls.items()}
    # Two of them against numpy: the silhouette, and ward's last merge height.
    D = np.sqrt(sq_dists(X, X))
    a = np.array([D[i, labels == labels[i]].sum() / max((labels == labels[i]).sum() - 1, 1) for i in range(len(X))])
    b = np.array([min(D[i, labels == c].mean() for c in range(4) if c != labels[i]) for i in range(len(X))])
    np.testing.assert_allclose(expected["silhouette"], np.mean((b - a) / np.maximum(a, b)), rtol=1e-10)
    total = ((X - X.mean(axis=0)) ** 2).sum()
    within = sum(((X[labels == c] - X[labels == c].mean(axis=0)) ** 2).sum() for c in range(4))
    np.testing.assert_allclose(expected["calinski"], (total - within) / within * (len(X) - 4) / 3, rtol=1e-10)
    mixed_calls(calls, expected)


# ---- process-wide Python state ---------------------------------------------------------------
def test_save_and_load_from_threads_leave_warning_filters_alone(tmp_path):
    # load() silences the warnings of its parameter checks with catch_warnings, which (except on
    # 3.14t) swaps the process-wide filter list: loads overlapping in time must still leave the
    # list as it was, and each thread must get its own model back.
    X, _, centers = make_separated_blobs(n=500, d=2, k=3, seed=1)
    models = [kmix.KMeans(3, init=centers + 0.01 * i, n_init=1).fit(X) for i in range(THREADS)]
    models[0].set_params(n_init=3)  # an explicit init with n_init > 1: fit would warn; load must not
    filters = list(warnings.filters)

    def roundtrip(i):
        path = tmp_path / f"m{i}.npz"
        models[i].save(path)  # save checks the model as load will (the same catch_warnings)
        return [kmix.load(path) for _ in range(4 * ROUNDS)]

    for i, loaded in enumerate(run_together(roundtrip)):
        for est in loaded:
            assert est.cluster_centers_.tobytes() == models[i].cluster_centers_.tobytes()
            np.testing.assert_array_equal(est.predict(X), models[i].predict(X))
    assert warnings.filters == filters


def test_peer_class_is_one_class_whatever_the_threads(monkeypatch):
    # kmix's ConvergenceWarning becomes a subclass of scikit-learn's once scikit-learn is
    # imported: made once, by whichever thread asks first, and the same object for every thread
    # (an exception pickles only as the class kmix._base names). A stand-in peer module here, so
    # that this module need not import scikit-learn.
    from kmix import _base

    peer_module = types.ModuleType("kmix_test_peer_module")

    class PeerWarning(UserWarning):
        pass

    peer_module.PeerWarning = PeerWarning
    monkeypatch.setitem(sys.modules, "kmix_test_peer_module", peer_module)
    for _ in range(5):
        monkeypatch.setitem(_base._PEERS, kmix.ConvergenceWarning, ("kmix_test_peer_module", "PeerWarning"))
        monkeypatch.setattr(_base, "_peer_classes", {})
        got = run_together(lambda i: _base.peer_class(kmix.ConvergenceWarning))
        assert all(g is got[0] for g in got)
        assert issubclass(got[0], kmix.ConvergenceWarning) and issubclass(got[0], PeerWarning)
        assert _base._peer_ConvergenceWarning is got[0]
        assert type(pickle.loads(pickle.dumps(got[THREADS - 1]("x")))) is got[0]
