"""scikit-learn interoperability (clone, params, Pipeline, GridSearchCV) and persistence
(pickle, save/load)."""

import json
import pickle
import zipfile

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans as SkKMeans
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import kmix
from conftest import init_rows, make_data

FITTED = ("cluster_centers_", "labels_", "inertia_", "n_iter_", "n_features_in_")


def assert_same_model(a, b):
    for name in FITTED:
        va, vb = getattr(a, name), getattr(b, name)
        if isinstance(va, np.ndarray):
            assert isinstance(vb, np.ndarray) and va.dtype == vb.dtype
            np.testing.assert_array_equal(va, vb)
        else:
            assert type(va) is type(vb) and va == vb, name


def assert_same_params(a, b):
    pa, pb = a.get_params(), b.get_params()
    assert pa.keys() == pb.keys()
    for key in pa:
        if isinstance(pa[key], np.ndarray):
            np.testing.assert_array_equal(pa[key], pb[key])
        elif isinstance(pa[key], np.random.RandomState):
            sa, sb = pa[key].get_state(), pb[key].get_state()
            assert sa[0] == sb[0] and sa[2:] == sb[2:]
            np.testing.assert_array_equal(sa[1], sb[1])
        else:
            assert pa[key] == pb[key], key


# ---- parameters ------------------------------------------------------------------------------
def test_params_are_sklearns_plus_n_threads():
    assert set(kmix.KMeans().get_params()) == set(SkKMeans().get_params()) | {"n_threads"}
    ours, theirs = kmix.KMeans().get_params(), SkKMeans().get_params()
    for key in theirs:
        if key != "algorithm":  # both "lloyd" by default
            assert ours[key] == theirs[key], key
    assert ours["algorithm"] == "lloyd" and ours["n_threads"] is None


def test_get_set_params():
    init = np.zeros((3, 2))
    km = kmix.KMeans(3, init=init, tol=1e-3, random_state=5)
    p = km.get_params()
    assert p["n_clusters"] == 3 and p["init"] is init and p["tol"] == 1e-3 and p["random_state"] == 5
    assert km.set_params(n_clusters=4, max_iter=7) is km
    assert km.n_clusters == 4 and km.get_params()["max_iter"] == 7
    with pytest.raises(ValueError, match="not_a_param"):
        km.set_params(not_a_param=1)
    with pytest.raises(ValueError):
        SkKMeans().set_params(not_a_param=1)  # the reference behaviour


def test_clone():
    rs = np.random.RandomState(0)
    km = kmix.KMeans(5, init="random", n_init=3, random_state=rs, tol=0.5, n_threads=1)
    km.fit(make_data("blobs", 100, 2, 5, seed=0))
    c = clone(km)
    assert type(c) is kmix.KMeans and c is not km
    assert not hasattr(c, "cluster_centers_")
    assert_same_params(c, km)
    # Refitting the clone and the original from the same generator state gives the same result.
    X = make_data("blobs", 100, 2, 5, seed=1)
    state = rs.get_state()
    a = km.fit(X).cluster_centers_
    c.random_state.set_state(state)
    np.testing.assert_array_equal(c.fit(X).cluster_centers_, a)


def test_clone_gives_same_fit_as_sklearn_clone():
    X = make_data("aniso", 300, 3, 4, seed=1)
    ours = clone(kmix.KMeans(4, random_state=3)).fit(X)
    theirs = clone(SkKMeans(4, random_state=3)).fit(X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)


def test_sklearn_sees_a_clusterer():
    from sklearn.base import is_clusterer

    assert is_clusterer(kmix.KMeans()) == is_clusterer(SkKMeans()) is True


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"n_clusters": 5, "tol": 0.5},
        {"init": "random", "max_iter": 10, "random_state": 3},
        {"n_init": 3, "verbose": 1, "copy_x": False},
    ],
)
def test_repr_like_sklearn(params):
    assert repr(kmix.KMeans(**params)) == repr(SkKMeans(**params))
    assert "n_threads=2" in repr(kmix.KMeans(n_threads=2, **params))


# ---- Pipeline and GridSearchCV ---------------------------------------------------------------
def test_pipeline_same_as_sklearn():
    X = make_data("aniso", 400, 4, 5, seed=2) * np.array([1.0, 10.0, 100.0, 0.1])
    ours = Pipeline([("scale", StandardScaler()), ("km", kmix.KMeans(5, random_state=7))])
    theirs = Pipeline([("scale", StandardScaler()), ("km", SkKMeans(5, random_state=7))])
    ours.fit(X)
    theirs.fit(X)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_array_equal(ours.named_steps["km"].labels_, theirs.named_steps["km"].labels_)
    np.testing.assert_allclose(ours.fit_transform(X), theirs.fit_transform(X), rtol=1e-9)
    np.testing.assert_allclose(ours.score(X), theirs.score(X), rtol=1e-9)
    # Pipeline parameters reach the estimator.
    ours.set_params(km__n_clusters=3)
    assert ours.named_steps["km"].n_clusters == 3
    assert ours.fit(X).named_steps["km"].cluster_centers_.shape == (3, 4)


def test_grid_search_same_as_sklearn():
    X = make_data("blobs", 300, 2, 3, seed=3)
    grid = {"n_clusters": [2, 3, 4]}
    ours = GridSearchCV(kmix.KMeans(random_state=0), grid, cv=3).fit(X)
    theirs = GridSearchCV(SkKMeans(random_state=0), grid, cv=3).fit(X)
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_params_["n_clusters"] in (2, 3, 4)
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"], rtol=1e-9)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert isinstance(ours.best_estimator_, kmix.KMeans)


# ---- pickle ----------------------------------------------------------------------------------
@pytest.mark.parametrize("random_state", [None, 3, "rs"])
def test_pickle_round_trip(dtype, random_state):
    X = make_data("blobs", 300, 3, 4, seed=4, dtype=dtype)
    rs = np.random.RandomState(1) if random_state == "rs" else random_state
    km = kmix.KMeans(4, random_state=rs, n_threads=1).fit(X)
    km2 = pickle.loads(pickle.dumps(km))
    assert_same_model(km, km2)
    assert_same_params(km, km2)
    X_new = make_data("uniform", 100, 3, 4, seed=5, dtype=dtype) * 10
    np.testing.assert_array_equal(km2.predict(X_new), km.predict(X_new))
    np.testing.assert_array_equal(km2.transform(X_new), km.transform(X_new))
    assert km2.score(X_new) == km.score(X_new)


def test_pickle_unfitted():
    km2 = pickle.loads(pickle.dumps(kmix.KMeans(3, init="random")))
    assert km2.get_params() == kmix.KMeans(3, init="random").get_params()
    with pytest.raises(kmix.NotFittedError):
        km2.predict(np.zeros((2, 2)))


# ---- save / load -----------------------------------------------------------------------------
@pytest.mark.parametrize("init", ["k-means++", "random", "array"])
def test_save_load_round_trip(tmp_path, dtype, init):
    X = make_data("aniso", 300, 3, 4, seed=6, dtype=dtype)
    init_value = init_rows(X, 4, 6) if init == "array" else init
    km = kmix.KMeans(
        4, init=init_value, n_init=1 if init == "array" else 2, random_state=8, tol=1e-5, max_iter=123
    ).fit(X)
    path = tmp_path / "model.kmix"
    km.save(path)
    assert path.stat().st_size > 0
    loaded = kmix.load(path)
    assert type(loaded) is kmix.KMeans
    assert_same_model(km, loaded)
    assert_same_params(km, loaded)
    X_new = make_data("uniform", 50, 3, 4, seed=7, dtype=dtype) * 10
    np.testing.assert_array_equal(loaded.predict(X_new), km.predict(X_new))
    assert loaded.score(X_new) == km.score(X_new)
    # Refitting the loaded model gives what refitting the original gives.
    np.testing.assert_array_equal(clone(loaded).fit(X).cluster_centers_, clone(km).fit(X).cluster_centers_)


def test_save_load_str_path_and_unfitted(tmp_path):
    path = str(tmp_path / "unfitted.npz")
    kmix.KMeans(7, tol=0.25, n_threads=2).save(path)
    loaded = kmix.load(path)
    assert loaded.get_params() == kmix.KMeans(7, tol=0.25, n_threads=2).get_params()
    with pytest.raises(kmix.NotFittedError):
        loaded.predict(np.zeros((1, 2)))


def test_save_random_state_object(tmp_path):
    X = make_data("blobs", 200, 2, 3, seed=8)
    rs = np.random.RandomState(42)
    km = kmix.KMeans(3, init="random", n_init=2, random_state=rs).fit(X)
    km.save(tmp_path / "m.npz")
    loaded = kmix.load(tmp_path / "m.npz")
    assert isinstance(loaded.random_state, np.random.RandomState)
    assert_same_params(km, loaded)
    # The saved generator continues the original stream exactly.
    np.testing.assert_array_equal(loaded.random_state.uniform(size=5), rs.uniform(size=5))


def test_save_file_is_plain_arrays_and_json(tmp_path):
    X = make_data("blobs", 200, 2, 3, seed=9)
    km = kmix.KMeans(3, random_state=np.random.RandomState(0)).fit(X)
    path = tmp_path / "m.npz"
    km.save(path)
    assert zipfile.is_zipfile(path)
    with np.load(path, allow_pickle=False) as z:  # reading never needs pickle
        arrays = {name: z[name] for name in z.files}
    assert all(a.dtype != object for a in arrays.values())
    header = [a for a in arrays.values() if a.dtype == np.uint8 and a.ndim == 1 and a[:1].tobytes() == b"{"]
    assert len(header) == 1
    meta = json.loads(header[0].tobytes().decode())
    assert isinstance(meta, dict)
    centers = [a for a in arrays.values() if a.shape == (3, 2) and a.dtype == np.float64]
    assert any(np.array_equal(c, km.cluster_centers_) for c in centers)


def test_save_callable_init_raises(tmp_path):
    def my_init(X, n_clusters, random_state):
        return X[:n_clusters]

    km = kmix.KMeans(3, init=my_init, n_init=1).fit(make_data("blobs", 100, 2, 3, seed=0))
    with pytest.raises(TypeError, match="init"):
        km.save(tmp_path / "m.npz")


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.arange(3))
    with pytest.raises(ValueError):
        kmix.load(path)
    bad = tmp_path / "pickled.npz"
    np.savez(bad, __header__=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError):  # allow_pickle=False refuses object arrays
        kmix.load(bad)
