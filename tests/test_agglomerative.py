"""kmix.AgglomerativeClustering against sklearn.cluster.AgglomerativeClustering: the same
partitions, tree (children_), merge distances, n_clusters_ for n_clusters or distance_threshold,
every linkage and metric; the parameter protocol, pickling, threads, and bad inputs refused."""

import pickle
import sys
import warnings

import numpy as np
import pytest
from scipy.spatial.distance import pdist, squareform
from sklearn.base import clone
from sklearn.cluster import AgglomerativeClustering as SkAgglomerative

import kmix
from conftest import make_data, make_separated_blobs, run
from test_linkage import assert_same_partition, grid_data, height_levels, names, no_compiled  # noqa: F401

LINKAGES = ("ward", "single", "complete", "average")
SK_PARAMS = (
    "n_clusters",
    "metric",
    "memory",
    "connectivity",
    "linkage",
    "distance_threshold",
    "compute_full_tree",
    "compute_distances",
)


def fit_both(X, **params):
    """kmix and scikit-learn fitted with the same parameters (n_threads for kmix only)."""
    ours = kmix.AgglomerativeClustering(**params).fit(X)
    sk_params = {k: v for k, v in params.items() if k != "n_threads"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's "partial build" notice
        theirs = SkAgglomerative(**sk_params).fit(X)
    return ours, theirs


def assert_same_fit(ours, theirs, rtol=1e-9):
    n = theirs.n_leaves_
    assert ours.n_clusters_ == theirs.n_clusters_
    assert ours.n_leaves_ == n
    assert ours.n_features_in_ == theirs.n_features_in_
    labels = np.asarray(ours.labels_)
    assert labels.shape == (n,) and labels.dtype.kind in "iu"
    np.testing.assert_array_equal(np.unique(labels), np.arange(theirs.n_clusters_))
    assert_same_partition(labels, theirs.labels_)
    children = np.asarray(ours.children_)
    assert children.shape == (n - 1, 2) and children.dtype.kind in "iu"
    # Same tree in scikit-learn's node numbering (leaves 0..n-1, merge i makes node n + i); the
    # order of the two children in a row is checked by test_identical_to_sklearn.
    np.testing.assert_array_equal(np.sort(children, axis=1), np.sort(theirs.children_, axis=1))
    if hasattr(theirs, "distances_"):
        assert ours.distances_.shape == (n - 1,)
        np.testing.assert_allclose(ours.distances_, theirs.distances_, rtol=rtol)
    else:
        assert not hasattr(ours, "distances_")


def midpoint_thresholds(distances, positions):
    """Thresholds halfway between consecutive distinct merge distances (at the given quantile
    positions), so that rounding-level differences cannot move a merge across a threshold."""
    lv = height_levels(distances)
    out = []
    for q in positions:
        i = min(int(q * (lv.size - 1)), lv.size - 2)
        out.append(float((lv[i] + lv[i + 1]) / 2))
    return sorted(set(out)) + [float(lv[-1]) * 2 + 1.0]


# ---- same answers as scikit-learn ------------------------------------------------------------
CONFIGS = [  # (n, d, kind, n_clusters values)
    (2, 1, "uniform", (1, 2)),
    (3, 2, "blobs", (1, 2, 3)),
    (60, 1, "uniform", (1, 4, 60)),
    (257, 3, "blobs", (2, 5, 17)),
    (500, 20, "aniso", (3, 8)),
    (2000, 5, "blobs", (6,)),
]


@pytest.mark.parametrize("linkage", LINKAGES)
@pytest.mark.parametrize("n,d,kind,ks", CONFIGS, ids=[f"n{c[0]}-d{c[1]}-{c[2]}" for c in CONFIGS])
def test_n_clusters_same_as_sklearn(linkage, n, d, kind, ks):
    X = make_data(kind, n, d, k=5, seed=n + d)
    for k in ks:
        ours, theirs = fit_both(X, n_clusters=k, linkage=linkage, compute_distances=True)
        assert_same_fit(ours, theirs)


@pytest.mark.parametrize("linkage", LINKAGES)
@pytest.mark.parametrize("n,d,kind", [(40, 2, "blobs"), (300, 7, "aniso"), (900, 3, "uniform")])
def test_distance_threshold_same_as_sklearn(linkage, n, d, kind):
    X = make_data(kind, n, d, k=6, seed=3 * n + d)
    ref = SkAgglomerative(n_clusters=None, distance_threshold=0.0, linkage=linkage).fit(X)
    ours = kmix.AgglomerativeClustering(n_clusters=None, distance_threshold=0.0, linkage=linkage).fit(X)
    assert_same_fit(ours, ref)
    for t in midpoint_thresholds(ref.distances_, [0.0, 0.3, 0.9, 0.97, 1.0]):
        ours, theirs = fit_both(X, n_clusters=None, distance_threshold=t, linkage=linkage)
        assert_same_fit(ours, theirs)


@pytest.mark.parametrize("linkage", LINKAGES)
def test_identical_to_sklearn(linkage):
    # Not only the same partition: the same children_ rows and the same label numbers.
    X = make_data("blobs", 300, 3, k=6, seed=21)
    full = SkAgglomerative(n_clusters=None, distance_threshold=0.0, linkage=linkage).fit(X)
    threshold = midpoint_thresholds(full.distances_, [0.98])[0]
    for params in (
        {"n_clusters": 2},
        {"n_clusters": 5},
        {"n_clusters": 12},
        {"n_clusters": None, "distance_threshold": threshold},
    ):
        ours, theirs = fit_both(X, linkage=linkage, **params)
        np.testing.assert_array_equal(ours.children_, theirs.children_)
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)


@pytest.mark.parametrize("linkage", ("single", "complete", "average"))
@pytest.mark.parametrize("metric", ("euclidean", "l2", "l1", "manhattan", "cosine"))
def test_metrics_same_as_sklearn(linkage, metric):
    X = make_data("uniform", 250, 6, k=1, seed=13)
    for k in (2, 7):
        ours, theirs = fit_both(X, n_clusters=k, linkage=linkage, metric=metric, compute_distances=True)
        assert_same_fit(ours, theirs)
        np.testing.assert_array_equal(ours.children_, theirs.children_)
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)


@pytest.mark.parametrize("linkage", ("single", "complete", "average"))
def test_cosine_repeated_rows_and_threshold_zero(linkage):
    # Repeated rows and positive multiples are at cosine distance 0 (scipy clips to [0, 2]); with
    # distance_threshold=0 scikit-learn counts every merge (distances_ >= 0), so every row is its
    # own cluster. A rounding-level negative distance would merge them instead.
    B = make_data("uniform", 50, 3, k=1, seed=7)
    X = np.vstack([B, B[:20], 2.0 * B[20:35]])
    for t in (0.0, 1e-9, 0.05):
        ours, theirs = fit_both(X, n_clusters=None, distance_threshold=t, linkage=linkage, metric="cosine")
        assert np.all(ours.distances_ >= 0), f"negative distance {ours.distances_.min()!r}"
        assert ours.n_clusters_ == theirs.n_clusters_, t
        assert_same_partition(ours.labels_, theirs.labels_, f" at threshold {t}")


def test_ward_l2_is_ward_euclidean():
    X = make_data("blobs", 200, 4, k=4, seed=14)
    ours, theirs = fit_both(X, n_clusters=4, linkage="ward", metric="l2", compute_distances=True)
    assert_same_fit(ours, theirs)
    euclid = kmix.AgglomerativeClustering(n_clusters=4, compute_distances=True).fit(X)
    np.testing.assert_array_equal(ours.children_, euclid.children_)
    np.testing.assert_array_equal(ours.distances_, euclid.distances_)


@pytest.mark.parametrize("linkage", ("single", "complete", "average"))
@pytest.mark.parametrize("dist", ("euclidean", "cityblock", "cosine"))
def test_precomputed_same_as_sklearn(linkage, dist):
    X = make_data("blobs", 220, 5, k=4, seed=15)
    D = squareform(pdist(X, dist))
    D_before = D.copy()
    for k in (3, 9):
        ours, theirs = fit_both(D, n_clusters=k, linkage=linkage, metric="precomputed", compute_distances=True)
        assert_same_fit(ours, theirs)
        np.testing.assert_array_equal(ours.children_, theirs.children_)
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_array_equal(D, D_before)
    if dist != "cosine":
        # Precomputed distances give the tree of the observations with that metric.
        metric = {"euclidean": "euclidean", "cityblock": "manhattan"}[dist]
        obs = kmix.AgglomerativeClustering(n_clusters=3, linkage=linkage, metric=metric).fit(X)
        np.testing.assert_array_equal(np.sort(obs.children_, 1), np.sort(ours.children_, 1))


@pytest.mark.parametrize("linkage", LINKAGES)
def test_float32_same_as_sklearn(linkage):
    X32 = make_separated_blobs(n=300, d=4, k=5, seed=16, dtype=np.float32)[0]
    X_before = X32.copy()
    ours, theirs = fit_both(X32, n_clusters=5, linkage=linkage, compute_distances=True)
    np.testing.assert_array_equal(X32, X_before)
    assert_same_fit(ours, theirs, rtol=1e-5)
    t = midpoint_thresholds(theirs.distances_, [0.5])[0]
    ours, theirs = fit_both(X32, n_clusters=None, distance_threshold=t, linkage=linkage)
    assert_same_fit(ours, theirs, rtol=1e-5)


TIE_CASES = [
    (linkage, kind)
    for linkage in ("single", "complete", "average")
    for kind in ("grid2d", "grid3d", "lattice", "duplicates")
] + [("ward", "duplicates")]


# Ward on grid data is left out: scikit-learn's (scipy's) ward tree there depends on the rounding
# of the Lance-Williams updates (see test_linkage.test_ward_ties_on_a_grid_give_a_valid_ward_tree).
@pytest.mark.parametrize("linkage,kind", TIE_CASES)
def test_ties_same_partitions_as_sklearn(linkage, kind):
    X = grid_data(kind, seed=2)
    ref = SkAgglomerative(n_clusters=None, distance_threshold=0.0, linkage=linkage).fit(X)
    ours = kmix.AgglomerativeClustering(n_clusters=None, distance_threshold=0.0, linkage=linkage).fit(X)
    scale = float(ref.distances_.max())
    np.testing.assert_allclose(np.sort(ours.distances_), np.sort(ref.distances_), rtol=1e-9, atol=1e-12 * scale)
    lv = height_levels(ref.distances_)
    for t in np.r_[(lv[:-1] + lv[1:]) / 2, lv[-1] + 1.0]:
        ours, theirs = fit_both(X, n_clusters=None, distance_threshold=float(t), linkage=linkage)
        assert ours.n_clusters_ == theirs.n_clusters_, t
        assert_same_partition(ours.labels_, theirs.labels_, f" at threshold {t!r}")


# ---- parameters and attributes ---------------------------------------------------------------
@pytest.mark.parametrize("linkage", LINKAGES)
def test_compute_full_tree_and_compute_distances(linkage):
    X = make_data("blobs", 180, 3, k=4, seed=17)
    ref = None
    for full in (True, False, "auto"):
        for dist in (False, True):
            ours, theirs = fit_both(X, n_clusters=4, linkage=linkage, compute_full_tree=full, compute_distances=dist)
            assert_same_fit(ours, theirs)
            assert hasattr(ours, "distances_") == dist
            ref = ours if ref is None else ref
            np.testing.assert_array_equal(ours.labels_, ref.labels_)
    # A distance threshold gives distances_ even without compute_distances.
    t = midpoint_thresholds(theirs.distances_, [0.5])[0]
    ours, theirs = fit_both(X, n_clusters=None, distance_threshold=t, linkage=linkage, compute_distances=False)
    assert hasattr(ours, "distances_")
    assert_same_fit(ours, theirs)


def test_defaults_and_params_protocol():
    est = kmix.AgglomerativeClustering()
    params = est.get_params()
    sk_params = SkAgglomerative().get_params()
    for name in SK_PARAMS:
        assert params[name] == sk_params[name], name
    assert params["n_threads"] is None
    assert set(params) == set(SK_PARAMS) | {"n_threads"}
    X = make_data("blobs", 150, 3, k=3, seed=18)
    ours, theirs = fit_both(X)  # defaults: ward, 2 clusters
    assert_same_fit(ours, theirs)
    copy = clone(kmix.AgglomerativeClustering(n_clusters=5, linkage="average", n_threads=1))
    assert copy.get_params()["n_clusters"] == 5 and copy.get_params()["linkage"] == "average"
    assert not hasattr(copy, "labels_")
    copy.set_params(n_clusters=3, linkage="complete")
    assert_same_fit(copy.fit(X), SkAgglomerative(n_clusters=3, linkage="complete").fit(X))


def test_fit_returns_self_fit_predict_and_no_predict():
    X = make_data("blobs", 160, 2, k=3, seed=19)
    est = kmix.AgglomerativeClustering(n_clusters=3, linkage="average")
    assert not hasattr(est, "predict")  # as scikit-learn's: a fit-only clusterer
    assert not hasattr(SkAgglomerative(), "predict")
    assert not hasattr(est, "labels_") and not hasattr(est, "children_")
    assert est.fit(X, y=np.arange(160)) is est
    fp = kmix.AgglomerativeClustering(n_clusters=3, linkage="average").fit_predict(X)
    np.testing.assert_array_equal(fp, est.labels_)
    sk_fp = SkAgglomerative(n_clusters=3, linkage="average").fit_predict(X)
    assert_same_partition(fp, sk_fp)
    again = kmix.AgglomerativeClustering(n_clusters=3, linkage="average").fit_predict(X, None)
    np.testing.assert_array_equal(again, fp)


def test_refit_replaces_everything():
    est = kmix.AgglomerativeClustering(n_clusters=3, compute_distances=True)
    est.fit(make_data("blobs", 100, 2, 3, seed=0))
    X = make_data("blobs", 240, 5, k=4, seed=1)
    est.set_params(n_clusters=4)
    est.fit(X)
    assert est.n_features_in_ == 5 and est.labels_.shape == (240,) and est.children_.shape == (239, 2)
    assert_same_fit(est, SkAgglomerative(n_clusters=4, compute_distances=True).fit(X))
    # Refitting without distances drops the old distances_.
    est.set_params(compute_distances=False).fit(X)
    assert not hasattr(est, "distances_")


@pytest.mark.parametrize("linkage", LINKAGES)
def test_pickle_roundtrip(linkage):
    X = make_data("blobs", 120, 3, k=3, seed=20)
    est = kmix.AgglomerativeClustering(n_clusters=3, linkage=linkage, compute_distances=True).fit(X)
    back = pickle.loads(pickle.dumps(est))
    for name in ("labels_", "children_", "distances_"):
        np.testing.assert_array_equal(getattr(back, name), getattr(est, name))
    assert back.n_clusters_ == est.n_clusters_ and back.get_params() == est.get_params()


@pytest.mark.parametrize("linkage", LINKAGES)
def test_bit_identical_for_1_and_2_threads(linkage):
    X = make_data("blobs", 1500, 6, k=8, seed=22)
    fits = [
        kmix.AgglomerativeClustering(n_clusters=8, linkage=linkage, compute_distances=True, n_threads=t).fit(X)
        for t in (1, 2)
    ]
    for name in ("labels_", "children_", "distances_"):
        assert getattr(fits[0], name).tobytes() == getattr(fits[1], name).tobytes(), name
    assert_same_fit(fits[1], SkAgglomerative(n_clusters=8, linkage=linkage, compute_distances=True).fit(X))


# ---- memory ----------------------------------------------------------------------------------
@pytest.mark.parametrize("linkage", LINKAGES)
def test_memory_limit(linkage, monkeypatch):
    import kmix.hierarchy as hmod

    if not hasattr(hmod, "_available_memory"):
        pytest.skip("kmix.hierarchy does not expose _available_memory")
    n_bytes = 400 * 399 // 2 * 8 // 4  # a quarter of the condensed matrix
    if callable(hmod._available_memory):
        monkeypatch.setattr(hmod, "_available_memory", lambda *args, **kwargs: n_bytes)
    else:
        monkeypatch.setattr(hmod, "_available_memory", n_bytes)
    X = make_data("blobs", 400, 3, k=3, seed=1)
    est = kmix.AgglomerativeClustering(n_clusters=3, linkage=linkage)
    if linkage in ("ward", "single"):  # O(n) memory
        assert_same_fit(est.fit(X), SkAgglomerative(n_clusters=3, linkage=linkage).fit(X))
    else:
        with pytest.raises(MemoryError) as info:
            est.fit(X)
        assert "memory" in str(info.value).lower(), str(info.value)
        assert not hasattr(est, "labels_")


HUGE_SCRIPT = """
import numpy as np
import kmix
X = np.linspace(0.0, 1.0, 7_000_000)[:, None]   # its condensed matrix: 196 TB
try:
    kmix.AgglomerativeClustering(n_clusters=2, linkage="average").fit(X)
except MemoryError as exc:
    print("MemoryError", str(exc).replace("\\n", " "))
else:
    print("no error")
"""


def test_memory_error_for_a_matrix_larger_than_any_machine(tmp_path):
    script = tmp_path / "huge_agglo.py"
    script.write_text(HUGE_SCRIPT)
    proc = run([sys.executable, str(script)], cwd=str(tmp_path), timeout=120, check=False)
    out = proc.stdout.strip()
    assert proc.returncode == 0 and out.startswith("MemoryError"), (proc.returncode, out, proc.stderr[-2000:])
    assert "memory" in out[len("MemoryError") :].lower(), out


# ---- bad inputs ------------------------------------------------------------------------------
X_GOOD = make_data("blobs", 30, 3, 3, seed=0)


def _with(arr, index, value):
    out = np.array(arr, dtype=np.float64)
    out[index] = value
    return out


# (id, estimator params, X, parameters the message must name)
BAD_FITS = [
    ("k>n", {"n_clusters": 31}, X_GOOD, ["n_clusters"]),
    ("k=0", {"n_clusters": 0}, X_GOOD, ["n_clusters"]),
    ("k<0", {"n_clusters": -2}, X_GOOD, ["n_clusters"]),
    ("k-float", {"n_clusters": 2.5}, X_GOOD, ["n_clusters"]),
    ("k-str", {"n_clusters": "3"}, X_GOOD, ["n_clusters"]),
    ("both", {"n_clusters": 3, "distance_threshold": 1.0}, X_GOOD, ["n_clusters", "distance_threshold"]),
    ("neither", {"n_clusters": None}, X_GOOD, ["n_clusters", "distance_threshold"]),
    ("threshold<0", {"n_clusters": None, "distance_threshold": -1.0}, X_GOOD, ["distance_threshold"]),
    ("threshold-str", {"n_clusters": None, "distance_threshold": "1"}, X_GOOD, ["distance_threshold"]),
    ("threshold-nan", {"n_clusters": None, "distance_threshold": float("nan")}, X_GOOD, ["distance_threshold"]),
    (
        "threshold-no-full-tree",
        {"n_clusters": None, "distance_threshold": 1.0, "compute_full_tree": False},
        X_GOOD,
        ["compute_full_tree"],
    ),
    ("full-tree-str", {"compute_full_tree": "yes"}, X_GOOD, ["compute_full_tree"]),
    ("linkage-unknown", {"linkage": "wards"}, X_GOOD, ["linkage"]),
    ("linkage-none", {"linkage": None}, X_GOOD, ["linkage"]),
    ("metric-unknown", {"linkage": "average", "metric": "euclidian"}, X_GOOD, ["metric"]),
    ("metric-none", {"linkage": "average", "metric": None}, X_GOOD, ["metric"]),
    ("ward-l1", {"metric": "l1"}, X_GOOD, ["metric"]),
    ("ward-manhattan", {"metric": "manhattan"}, X_GOOD, ["metric"]),
    ("ward-cosine", {"metric": "cosine"}, X_GOOD, ["metric"]),
    ("ward-precomputed", {"metric": "precomputed"}, squareform(pdist(X_GOOD)), ["metric"]),
    ("precomputed-not-square", {"linkage": "average", "metric": "precomputed"}, X_GOOD, ["X"]),
    (
        "precomputed-nan",
        {"linkage": "single", "metric": "precomputed"},
        _with(squareform(pdist(X_GOOD)), (2, 5), np.nan),
        ["X"],
    ),
    ("nan", {}, _with(X_GOOD, (4, 1), np.nan), ["X"]),
    ("nan-f32", {}, _with(X_GOOD, (4, 1), np.nan).astype(np.float32), ["X"]),
    ("inf", {"linkage": "single"}, _with(X_GOOD, (7, 2), np.inf), ["X"]),
    ("-inf", {"linkage": "complete"}, _with(X_GOOD, (7, 2), -np.inf), ["X"]),
    ("one-sample", {"n_clusters": 1}, X_GOOD[:1], ["X"]),
    ("empty", {"n_clusters": 1}, np.empty((0, 3)), ["X"]),
    ("1d", {}, X_GOOD[:, 0].copy(), ["X"]),
    ("3d", {}, X_GOOD.reshape(30, 3, 1), ["X"]),
    ("strings", {}, np.array([["a", "b"], ["c", "d"], ["e", "f"]]), ["X"]),
    ("threads=0", {"n_threads": 0}, X_GOOD, ["n_threads"]),
    ("threads-str", {"n_threads": "2"}, X_GOOD, ["n_threads"]),
]


@pytest.mark.parametrize("params,X,params_named", [c[1:] for c in BAD_FITS], ids=[c[0] for c in BAD_FITS])
def test_bad_inputs_rejected_before_compiled_code(params, X, params_named, no_compiled):
    est = kmix.AgglomerativeClustering(**params)
    for method in ("fit", "fit_predict"):
        with pytest.raises((ValueError, TypeError)) as info:
            getattr(est, method)(X)
        for name in params_named:
            assert names(str(info.value), name), f"message does not name {name!r}: {info.value}"
        assert not hasattr(est, "labels_")


@pytest.mark.parametrize("case_id", [c[0] for c in BAD_FITS if not c[0].startswith("threads")])
def test_sklearn_rejects_the_same_inputs(case_id):
    _, params, X, _ = next(c for c in BAD_FITS if c[0] == case_id)
    with pytest.raises((ValueError, TypeError)):
        kmix.AgglomerativeClustering(**params).fit(X)
    with pytest.raises((ValueError, TypeError)), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SkAgglomerative(**params).fit(X)


def test_messages_carry_sklearns():
    # The wording scikit-learn's own tests match (tests/test_upstream_hierarchical.py runs them).
    for params in ({"n_clusters": None}, {"n_clusters": 2, "distance_threshold": 1.0}):
        with pytest.raises(ValueError, match="Exactly one of n_clusters and distance_threshold has to be set"):
            kmix.AgglomerativeClustering(**params).fit(X_GOOD)
    with pytest.raises(ValueError, match="compute_full_tree must be True if distance_threshold is set"):
        kmix.AgglomerativeClustering(None, distance_threshold=1.0, compute_full_tree=False).fit(X_GOOD)
    with pytest.raises(ValueError, match=r"Distance matrix should be square, got matrix of shape \(30, 3\)"):
        kmix.AgglomerativeClustering(metric="precomputed", linkage="complete").fit(X_GOOD)
    with pytest.raises(ValueError, match="manhattan was provided as metric. Ward can only work with euclidean"):
        kmix.AgglomerativeClustering(metric="manhattan").fit(X_GOOD)
