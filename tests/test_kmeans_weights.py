"""sample_weight: against scikit-learn, against repeated rows, zeros, scaling."""

import numpy as np
import pytest
from sklearn.cluster import KMeans as SkKMeans

import kmix
from conftest import RTOL, assert_centers_close, data_scale, init_rows, inertia_formula, make_data, nearest


@pytest.mark.parametrize("kind", ["blobs", "aniso", "uniform"])
def test_weights_same_as_sklearn(kind, dtype):
    X = make_data(kind, 400, 3, 5, seed=3, dtype=dtype)
    w = np.random.default_rng(1).uniform(0.1, 5.0, size=400)
    init = init_rows(X, 5, 3)
    ours = kmix.KMeans(5, init=init, n_init=1).fit(X, sample_weight=w)
    theirs = SkKMeans(5, init=init, n_init=1).fit(X, sample_weight=w)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    assert_centers_close(ours.cluster_centers_, theirs.cluster_centers_, dtype, data_scale(X))
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=RTOL[np.dtype(dtype)])
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours.inertia_, inertia_formula(X, ours.cluster_centers_, ours.labels_, w), rtol=rtol)


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("seed", [0, 5])
def test_weighted_seeding_same_as_sklearn(init, seed):
    X = make_data("blobs", 500, 3, 6, seed=seed)
    w = np.random.default_rng(seed).uniform(0.0, 3.0, size=500)
    ours = kmix.KMeans(6, init=init, n_init=2, random_state=seed).fit(X, sample_weight=w)
    theirs = SkKMeans(6, init=init, n_init=2, random_state=seed).fit(X, sample_weight=w)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-9)
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_integer_weights_equal_repeated_rows(seed):
    X = make_data("aniso", 300, 4, 5, seed=seed)
    w = np.random.default_rng(seed).integers(1, 5, size=300)
    X_rep = np.repeat(X, w, axis=0)
    init = init_rows(X, 5, seed)
    # tol=0: scikit-learn's tolerance scales with the variance of the rows, which differs
    # between the weighted and the repeated data; with tol=0 both run to strict convergence.
    weighted = kmix.KMeans(5, init=init, n_init=1, tol=0.0).fit(X, sample_weight=w)
    repeated = kmix.KMeans(5, init=init, n_init=1, tol=0.0).fit(X_rep)
    np.testing.assert_allclose(weighted.cluster_centers_, repeated.cluster_centers_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weighted.inertia_, repeated.inertia_, rtol=1e-9)
    np.testing.assert_array_equal(np.repeat(weighted.labels_, w), repeated.labels_)
    assert weighted.n_iter_ == repeated.n_iter_


def test_integer_weights_equal_repeated_rows_float32():
    X = make_data("separated", 300, 3, 4, seed=7, dtype=np.float32)
    w = np.random.default_rng(7).integers(1, 4, size=300)
    init = init_rows(X, 4, 7)
    weighted = kmix.KMeans(4, init=init, n_init=1, tol=0.0).fit(X, sample_weight=w.astype(np.float32))
    repeated = kmix.KMeans(4, init=init, n_init=1, tol=0.0).fit(np.repeat(X, w, axis=0))
    assert weighted.cluster_centers_.dtype == np.float32
    assert_centers_close(weighted.cluster_centers_, repeated.cluster_centers_, np.float32, data_scale(X))
    np.testing.assert_allclose(weighted.inertia_, repeated.inertia_, rtol=1e-4)
    np.testing.assert_array_equal(np.repeat(weighted.labels_, w), repeated.labels_)


def test_zero_weights_allowed(dtype):
    X = make_data("blobs", 400, 3, 4, seed=8, dtype=dtype)
    rng = np.random.default_rng(8)
    w = rng.uniform(0.5, 2.0, size=400)
    w[rng.choice(400, size=150, replace=False)] = 0.0
    init = init_rows(X, 4, 8)
    ours = kmix.KMeans(4, init=init, n_init=1, tol=0.0).fit(X, sample_weight=w)
    theirs = SkKMeans(4, init=init, n_init=1, tol=0.0).fit(X, sample_weight=w)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert_centers_close(ours.cluster_centers_, theirs.cluster_centers_, dtype, data_scale(X))
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=RTOL[np.dtype(dtype)])
    # Zero-weight rows do not move the centers: same centers as without them...
    keep = w > 0
    sub = kmix.KMeans(4, init=init, n_init=1, tol=0.0).fit(X[keep], sample_weight=w[keep])
    assert_centers_close(ours.cluster_centers_, sub.cluster_centers_, dtype, data_scale(X))
    # ...but they still get the label of their nearest center.
    np.testing.assert_array_equal(ours.labels_, nearest(X, ours.cluster_centers_))


def test_zero_weight_cluster_is_relocated():
    # The points nearest to one initial center all have weight 0: that cluster is empty.
    X = make_data("separated", 300, 2, 3, seed=9)
    init = init_rows(X, 3, 9)
    lab0 = nearest(X, init)
    w = np.where(lab0 == 2, 0.0, 1.0)
    ours = kmix.KMeans(3, init=init, n_init=1).fit(X, sample_weight=w)
    theirs = SkKMeans(3, init=init, n_init=1).fit(X, sample_weight=w)
    assert np.all(np.isfinite(ours.cluster_centers_))
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-9)
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-9)


def test_uniform_weights_scale_inertia_only():
    X = make_data("aniso", 300, 3, 4, seed=10)
    init = init_rows(X, 4, 10)
    plain = kmix.KMeans(4, init=init, n_init=1).fit(X)
    for w in (np.full(300, 3.0), 3.0):
        scaled = kmix.KMeans(4, init=init, n_init=1).fit(X, sample_weight=w)
        np.testing.assert_array_equal(scaled.labels_, plain.labels_)
        np.testing.assert_allclose(scaled.cluster_centers_, plain.cluster_centers_, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(scaled.inertia_, 3.0 * plain.inertia_, rtol=1e-12)
    ones = kmix.KMeans(4, init=init, n_init=1).fit(X, sample_weight=np.ones(300))
    np.testing.assert_array_equal(ones.cluster_centers_, plain.cluster_centers_)
    assert ones.inertia_ == plain.inertia_


@pytest.mark.parametrize("w_dtype", [np.int64, np.int32, np.float32, np.float64, np.uint8])
def test_weight_dtypes(w_dtype, dtype):
    X = make_data("blobs", 300, 3, 4, seed=11, dtype=dtype)
    w = np.random.default_rng(11).integers(0, 4, size=300)
    init = init_rows(X, 4, 11)
    ours = kmix.KMeans(4, init=init, n_init=1).fit(X, sample_weight=w.astype(w_dtype))
    theirs = SkKMeans(4, init=init, n_init=1).fit(X, sample_weight=w.astype(np.float64))
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert_centers_close(ours.cluster_centers_, theirs.cluster_centers_, dtype, data_scale(X))


def test_weights_list_and_non_contiguous():
    X = make_data("blobs", 300, 3, 4, seed=12)
    w = np.random.default_rng(12).uniform(0, 2, size=600)[::2]
    init = init_rows(X, 4, 12)
    a = kmix.KMeans(4, init=init, n_init=1).fit(X, sample_weight=np.ascontiguousarray(w))
    b = kmix.KMeans(4, init=init, n_init=1).fit(X, sample_weight=w)
    c = kmix.KMeans(4, init=init, n_init=1).fit(X, sample_weight=w.tolist())
    for other in (b, c):
        np.testing.assert_array_equal(other.cluster_centers_, a.cluster_centers_)
        np.testing.assert_array_equal(other.labels_, a.labels_)


def test_weights_not_modified(dtype):
    X = make_data("blobs", 300, 3, 4, seed=13, dtype=dtype)
    w = np.random.default_rng(13).uniform(0, 2, size=300).astype(dtype)
    w_before = w.copy()
    km = kmix.KMeans(4, random_state=0).fit(X, sample_weight=w)
    km.score(X, sample_weight=w)
    np.testing.assert_array_equal(w, w_before)


def test_fit_predict_and_fit_transform_pass_weights():
    X = make_data("aniso", 300, 3, 4, seed=14)
    w = np.random.default_rng(14).uniform(0, 5, size=300)
    init = init_rows(X, 4, 14)
    theirs = SkKMeans(4, init=init, n_init=1)
    np.testing.assert_array_equal(
        kmix.KMeans(4, init=init, n_init=1).fit_predict(X, sample_weight=w), theirs.fit_predict(X, sample_weight=w)
    )
    np.testing.assert_allclose(
        kmix.KMeans(4, init=init, n_init=1).fit_transform(X, sample_weight=w),
        theirs.fit_transform(X, sample_weight=w),
        rtol=1e-9,
    )


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
@pytest.mark.parametrize("init", ["k-means++", "array"])
def test_fewer_positive_weights_than_clusters(init):
    # Only three rows carry weight and k = 5: the extra clusters get nothing to hold, yet the
    # result stays finite and optimal (every weighted row on a center).
    X = make_data("uniform", 100, 3, 5, seed=0)
    w = np.zeros(100)
    w[[3, 50, 70]] = [1.0, 2.0, 3.0]
    init_value = init_rows(X, 5, 0) if init == "array" else init
    ours = kmix.KMeans(5, init=init_value, n_init=1, random_state=0).fit(X, sample_weight=w)
    theirs = SkKMeans(5, init=init_value, n_init=1, random_state=0).fit(X, sample_weight=w)
    assert np.all(np.isfinite(ours.cluster_centers_))
    np.testing.assert_allclose(
        ours.inertia_, inertia_formula(X, ours.cluster_centers_, ours.labels_, w), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.labels_, ours.predict(X))
