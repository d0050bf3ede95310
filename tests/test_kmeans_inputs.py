"""Input handling: rejected inputs (checked in Python before any compiled code runs), memory
layouts, dtypes, and the not-fitted error."""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans as SkKMeans
from sklearn.exceptions import NotFittedError as SkNotFittedError
from sklearn.utils.validation import check_is_fitted

import kmix
from conftest import assert_centers_close, data_scale, init_rows, make_data, nearest, patch_core, sq_dists

X_GOOD = make_data("blobs", 30, 3, 3, seed=0)


def _nan():
    X = X_GOOD.copy()
    X[4, 1] = np.nan
    return X


def _inf(sign=1):
    X = X_GOOD.copy()
    X[7, 2] = sign * np.inf
    return X


# (id, estimator params, X, fit kwargs, parameter the message must name)
BAD_FITS = [
    ("nan", {}, _nan(), {}, "X"),
    ("nan-f32", {}, _nan().astype(np.float32), {}, "X"),
    ("inf", {}, _inf(), {}, "X"),
    ("-inf", {}, _inf(-1), {}, "X"),
    ("empty", {"n_clusters": 1}, np.empty((0, 3)), {}, "X"),
    ("no-features", {"n_clusters": 1}, np.empty((5, 0)), {}, "X"),
    ("1d", {}, X_GOOD[:, 0].copy(), {}, "X"),
    ("3d", {}, X_GOOD.reshape(30, 3, 1), {}, "X"),
    ("0d", {}, np.float64(3.0), {}, "X"),
    ("strings", {}, np.array([["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]]), {}, "X"),
    ("string", {}, "abc", {}, "X"),
    ("ragged", {}, [[1.0, 2.0], [3.0]], {}, "X"),
    ("complex", {}, X_GOOD.astype(np.complex128), {}, "X"),
    ("objects", {}, np.array([[1.0, "x"], [2.0, "y"], [3.0, "z"]], dtype=object), {}, "X"),
    # Sparse X is accepted (tests/test_sparse_kmeans.py); bad sparse X is refused as dense X is.
    ("sparse-nan", {}, sp.csr_matrix(_nan()), {}, "X"),
    ("sparse-inf", {}, sp.csr_matrix(_inf()), {}, "X"),
    ("sparse-complex", {}, sp.csr_matrix(X_GOOD.astype(np.complex128)), {}, "X"),
    ("sparse-no-rows", {"n_clusters": 1}, sp.csr_matrix((0, 3)), {}, "X"),
    ("sparse-k>n", {"n_clusters": 31}, sp.csr_matrix(X_GOOD), {}, "n_clusters"),
    ("sparse-init-cols", {"n_clusters": 3, "init": X_GOOD[:3, :2]}, sp.csr_matrix(X_GOOD), {}, "init"),
    ("sparse-sw-short", {}, sp.csr_matrix(X_GOOD), {"sample_weight": np.ones(29)}, "sample_weight"),
    ("k=0", {"n_clusters": 0}, X_GOOD, {}, "n_clusters"),
    ("k<0", {"n_clusters": -2}, X_GOOD, {}, "n_clusters"),
    ("k>n", {"n_clusters": 31}, X_GOOD, {}, "n_clusters"),
    ("k-float", {"n_clusters": 2.5}, X_GOOD, {}, "n_clusters"),
    ("k-float-integral", {"n_clusters": 3.0}, X_GOOD, {}, "n_clusters"),
    ("k-str", {"n_clusters": "3"}, X_GOOD, {}, "n_clusters"),
    ("k-none", {"n_clusters": None}, X_GOOD, {}, "n_clusters"),
    ("init-shape-rows", {"n_clusters": 3, "init": X_GOOD[:2]}, X_GOOD, {}, "init"),
    ("init-shape-cols", {"n_clusters": 3, "init": X_GOOD[:3, :2]}, X_GOOD, {}, "init"),
    ("init-1d", {"n_clusters": 3, "init": X_GOOD[0]}, X_GOOD, {}, "init"),
    ("init-nan", {"n_clusters": 3, "init": np.full((3, 3), np.nan)}, X_GOOD, {}, "init"),
    ("init-unknown", {"init": "kmeans++"}, X_GOOD, {}, "init"),
    ("init-unknown-2", {"init": "k-means||"}, X_GOOD, {}, "init"),
    ("init-int", {"init": 3}, X_GOOD, {}, "init"),
    ("init-none", {"init": None}, X_GOOD, {}, "init"),
    ("n_init=0", {"n_init": 0}, X_GOOD, {}, "n_init"),
    ("n_init<0", {"n_init": -1}, X_GOOD, {}, "n_init"),
    ("n_init-str", {"n_init": "warn"}, X_GOOD, {}, "n_init"),
    ("n_init-float", {"n_init": 2.0}, X_GOOD, {}, "n_init"),
    ("max_iter=0", {"max_iter": 0}, X_GOOD, {}, "max_iter"),
    ("max_iter-float", {"max_iter": 10.5}, X_GOOD, {}, "max_iter"),
    ("tol<0", {"tol": -1e-3}, X_GOOD, {}, "tol"),
    ("tol-str", {"tol": "small"}, X_GOOD, {}, "tol"),
    ("tol-nan", {"tol": float("nan")}, X_GOOD, {}, "tol"),
    ("algo-case", {"algorithm": "Elkan"}, X_GOOD, {}, "algorithm"),
    ("algo-unknown", {"algorithm": "full"}, X_GOOD, {}, "algorithm"),
    ("algo-none", {"algorithm": None}, X_GOOD, {}, "algorithm"),
    ("threads=0", {"n_threads": 0}, X_GOOD, {}, "n_threads"),
    ("threads-float", {"n_threads": 1.5}, X_GOOD, {}, "n_threads"),
    ("threads-str", {"n_threads": "2"}, X_GOOD, {}, "n_threads"),
    ("rs-str", {"random_state": "seed"}, X_GOOD, {}, "random_state"),
    ("rs-neg", {"random_state": -1}, X_GOOD, {}, "random_state"),
    ("rs-big", {"random_state": 2**32}, X_GOOD, {}, "random_state"),
    ("rs-float", {"random_state": 1.5}, X_GOOD, {}, "random_state"),
    ("sw-neg", {}, X_GOOD, {"sample_weight": -np.ones(30)}, "sample_weight"),
    ("sw-one-neg", {}, X_GOOD, {"sample_weight": np.r_[np.ones(29), -1e-9]}, "sample_weight"),
    ("sw-short", {}, X_GOOD, {"sample_weight": np.ones(29)}, "sample_weight"),
    ("sw-long", {}, X_GOOD, {"sample_weight": np.ones(31)}, "sample_weight"),
    ("sw-2d", {}, X_GOOD, {"sample_weight": np.ones((30, 1))}, "sample_weight"),
    ("sw-nan", {}, X_GOOD, {"sample_weight": np.r_[np.ones(29), np.nan]}, "sample_weight"),
    ("sw-inf", {}, X_GOOD, {"sample_weight": np.r_[np.ones(29), np.inf]}, "sample_weight"),
    ("sw-str", {}, X_GOOD, {"sample_weight": np.array(["a"] * 30)}, "sample_weight"),
    ("sw-zero-sum", {}, X_GOOD, {"sample_weight": np.zeros(30)}, "sample_weight"),
]


def _names(message, name):
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) is not None


@pytest.mark.parametrize(
    "params,X,fit_kwargs,name", [case[1:] for case in BAD_FITS], ids=[case[0] for case in BAD_FITS]
)
def test_bad_fit_inputs_rejected_before_compiled_code(params, X, fit_kwargs, name, no_core):
    params = {"n_clusters": 3, **params}
    est = kmix.KMeans(**params)
    with pytest.raises((ValueError, TypeError)) as info:
        est.fit(X, **fit_kwargs)
    assert _names(str(info.value), name), f"message does not name {name!r}: {info.value}"
    assert not hasattr(est, "cluster_centers_")


@pytest.mark.parametrize(
    "case_id",
    [
        "nan",
        "inf",
        "empty",
        "1d",
        "3d",
        "strings",
        "complex",
        "k=0",
        "k>n",
        "k-float",
        "init-shape-rows",
        "init-shape-cols",
        "init-unknown",
        "n_init=0",
        "max_iter=0",
        "tol<0",
        "rs-str",
        "sw-short",
        "sw-2d",
        "sparse-nan",
        "sparse-inf",
        "sparse-complex",
        "sparse-no-rows",
        "sparse-k>n",
        "sparse-init-cols",
        "sparse-sw-short",
    ],
)
def test_sklearn_rejects_the_same_inputs(case_id):
    # The reference: scikit-learn also refuses these (kmix's error types may be ValueError or TypeError).
    _, params, X, fit_kwargs, _ = next(c for c in BAD_FITS if c[0] == case_id)
    params = {"n_clusters": 3, **params}
    with pytest.raises((ValueError, TypeError)):
        kmix.KMeans(**params).fit(X, **fit_kwargs)
    with pytest.raises((ValueError, TypeError)), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SkKMeans(**params).fit(X, **fit_kwargs)


@pytest.fixture(scope="module")
def fitted():
    return kmix.KMeans(3, random_state=0).fit(X_GOOD)


BAD_PREDICT = [
    ("features", X_GOOD[:, :2].copy()),
    ("features-more", np.hstack([X_GOOD, X_GOOD])),
    ("nan", _nan()),
    ("nan-f32", _nan().astype(np.float32)),
    ("inf", _inf()),
    ("empty", np.empty((0, 3))),
    ("1d", X_GOOD[0].copy()),
    ("3d", X_GOOD.reshape(30, 3, 1)),
    ("strings", np.array([["a", "b", "c"]])),
    ("sparse-features", sp.csr_matrix(X_GOOD[:, :2])),
    ("sparse-nan", sp.csr_matrix(_nan())),
]


@pytest.mark.parametrize("method", ["predict", "transform", "score"])
@pytest.mark.parametrize("X", [c[1] for c in BAD_PREDICT], ids=[c[0] for c in BAD_PREDICT])
def test_bad_inputs_to_fitted_model(fitted, method, X, no_core):
    with pytest.raises((ValueError, TypeError)) as info:
        getattr(fitted, method)(X)
    assert _names(str(info.value), "X"), str(info.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_rejected_on_the_fast_predict_path(bad, dtype, monkeypatch):
    # Same dtype, C-contiguous, right width: the quick path of predict still checks the values.
    X = make_data("blobs", 100, 3, 3, seed=0, dtype=dtype)
    km = kmix.KMeans(3, random_state=0).fit(X)
    patch_core(monkeypatch)
    Y = X[:10].copy()
    Y[5, 1] = bad
    assert Y.dtype == km.cluster_centers_.dtype and Y.flags.c_contiguous
    for method in ("predict", "transform", "score"):
        with pytest.raises(ValueError, match="X"):
            getattr(km, method)(Y)


BAD_PLUSPLUS = [
    ("nan", dict(X=_nan(), n_clusters=3), "X"),
    ("1d", dict(X=X_GOOD[:, 0], n_clusters=3), "X"),
    ("k=0", dict(X=X_GOOD, n_clusters=0), "n_clusters"),
    ("k>n", dict(X=X_GOOD, n_clusters=31), "n_clusters"),
    ("k-float", dict(X=X_GOOD, n_clusters=2.5), "n_clusters"),
    ("sw-neg", dict(X=X_GOOD, n_clusters=3, sample_weight=-np.ones(30)), "sample_weight"),
    ("sw-short", dict(X=X_GOOD, n_clusters=3, sample_weight=np.ones(10)), "sample_weight"),
    ("rs", dict(X=X_GOOD, n_clusters=3, random_state="x"), "random_state"),
    ("trials=0", dict(X=X_GOOD, n_clusters=3, n_local_trials=0), "n_local_trials"),
    ("threads=0", dict(X=X_GOOD, n_clusters=3, n_threads=0), "n_threads"),
]


@pytest.mark.parametrize("kwargs,name", [c[1:] for c in BAD_PLUSPLUS], ids=[c[0] for c in BAD_PLUSPLUS])
def test_kmeans_plusplus_bad_inputs(kwargs, name, no_core):
    kwargs = dict(kwargs)
    X = kwargs.pop("X")
    k = kwargs.pop("n_clusters")
    with pytest.raises((ValueError, TypeError)) as info:
        kmix.kmeans_plusplus(X, k, **kwargs)
    assert _names(str(info.value), name), str(info.value)


@pytest.mark.parametrize(
    "sw,exc", [(-np.ones(30), ValueError), (np.ones(3), ValueError), (np.ones((30, 2)), ValueError)]
)
def test_bad_weights_to_score(fitted, sw, exc, no_core):
    with pytest.raises(exc, match="sample_weight"):
        fitted.score(X_GOOD, sample_weight=sw)


def test_wrong_features_message_like_sklearn(fitted):
    sk = SkKMeans(3, random_state=0, n_init=1).fit(X_GOOD)
    with pytest.raises(ValueError, match="features") as ours:
        fitted.predict(X_GOOD[:, :2])
    with pytest.raises(ValueError) as theirs:
        sk.predict(X_GOOD[:, :2])
    nums = lambda s: sorted(re.findall(r"\d+", s))  # noqa: E731
    assert nums(str(ours.value)) == nums(str(theirs.value))


def test_bad_n_threads_at_predict(monkeypatch):
    km = kmix.KMeans(3, random_state=0).fit(X_GOOD)
    patch_core(monkeypatch)
    km.set_params(n_threads=0)
    for method in ("predict", "transform", "score"):
        with pytest.raises(ValueError, match="n_threads"):
            getattr(km, method)(X_GOOD)
    km.set_params(n_threads="2")
    for method in ("predict", "transform", "score"):
        with pytest.raises(TypeError, match="n_threads"):
            getattr(km, method)(X_GOOD)


# ---- not fitted ------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["predict", "transform", "score"])
def test_not_fitted(method):
    km = kmix.KMeans(3)
    with pytest.raises(kmix.NotFittedError):
        getattr(km, method)(X_GOOD)
    with pytest.raises(ValueError):
        getattr(km, method)(X_GOOD)
    with pytest.raises(AttributeError):
        getattr(km, method)(X_GOOD)
    assert issubclass(kmix.NotFittedError, ValueError)
    assert issubclass(kmix.NotFittedError, AttributeError)
    # scikit-learn agrees that it is not fitted, then that it is.
    with pytest.raises(SkNotFittedError):
        check_is_fitted(km)
    km.fit(X_GOOD)
    check_is_fitted(km)
    getattr(km, method)(X_GOOD)


def test_hasattr_false_before_fit():
    km, sk = kmix.KMeans(3), SkKMeans(3)
    for attr in ("cluster_centers_", "labels_", "inertia_", "n_iter_", "n_features_in_"):
        assert hasattr(km, attr) == hasattr(sk, attr) == False  # noqa: E712


def test_copy_x_false_restores_input_after_a_failure(dtype):
    X = make_data("blobs", 100, 2, 3, seed=0, dtype=dtype) + dtype(100)
    X_before = X.copy()
    bad_inits = [
        lambda X, k, random_state: X[:2],  # wrong shape
        lambda X, k, random_state: X[:3] * np.nan,
    ]  # NaN
    for bad in bad_inits:
        with pytest.raises(ValueError, match="init"):
            kmix.KMeans(3, init=bad, n_init=1, copy_x=False).fit(X)
        np.testing.assert_allclose(X, X_before, rtol=1e-6 if dtype == np.float32 else 1e-13)


# ---- layouts ---------------------------------------------------------------------------------
def _unaligned(X):
    """A C-contiguous copy of X whose data pointer is not aligned to its itemsize."""
    buf = np.zeros(X.nbytes + 1, dtype=np.uint8)
    out = np.ndarray(X.shape, dtype=X.dtype, buffer=buf, offset=1)
    out[...] = X
    assert not out.flags.aligned and out.flags.c_contiguous
    return out


def _readonly(X):
    out = X.copy()
    out.setflags(write=False)
    return out


def _big_endian(X):
    return X.astype(X.dtype.newbyteorder(">"))


LAYOUTS = {
    "F": lambda X: np.asfortranarray(X),
    "rows-step": lambda X: np.repeat(X, 2, axis=0)[::2],
    "cols-step": lambda X: np.repeat(X, 2, axis=1)[:, ::2],
    "both-step": lambda X: np.repeat(np.repeat(X, 2, axis=0), 3, axis=1)[::2, ::3],
    "reversed": lambda X: X[::-1][::-1],
    "transposed": lambda X: np.ascontiguousarray(X.T).T,
    "unaligned": _unaligned,
    "readonly": _readonly,
    "big-endian": _big_endian,
    "list": lambda X: X.tolist(),
}


# Non-native float32 is converted to float64, as scikit-learn does (tested separately below).
@pytest.mark.parametrize(
    "layout,dtype",
    [(lay, dt) for lay in LAYOUTS for dt in (np.float64, np.float32) if (lay, dt) != ("big-endian", np.float32)],
)
def test_layouts_give_same_result(layout, dtype):
    X = make_data("aniso", 400, 5, 4, seed=1, dtype=dtype)
    X_in = LAYOUTS[layout](X)
    if layout == "list" and dtype == np.float32:
        X_in = np.asarray(X_in, dtype=np.float32)  # a list carries no dtype
    np.testing.assert_array_equal(np.asarray(X_in, dtype=np.float64), X.astype(np.float64))
    init = init_rows(X, 4, 1)
    ref = kmix.KMeans(4, init=init, n_init=1).fit(X)
    got = kmix.KMeans(4, init=init, n_init=1).fit(X_in)
    np.testing.assert_array_equal(got.labels_, ref.labels_)
    np.testing.assert_array_equal(got.cluster_centers_, ref.cluster_centers_)
    assert got.inertia_ == ref.inertia_ and got.n_iter_ == ref.n_iter_
    # And with the fitted model.
    np.testing.assert_array_equal(ref.predict(X_in), ref.labels_)
    np.testing.assert_array_equal(ref.transform(X_in), ref.transform(X))
    assert ref.score(X_in) == ref.score(X)
    np.testing.assert_array_equal(ref.predict(X_in), nearest(X, ref.cluster_centers_))


def test_big_endian_float32_follows_sklearn():
    X = make_data("aniso", 300, 3, 4, seed=1, dtype=np.float32)
    X_be = _big_endian(X)
    init = init_rows(X, 4, 1)
    ours = kmix.KMeans(4, init=init, n_init=1).fit(X_be)
    theirs = SkKMeans(4, init=init, n_init=1).fit(X_be)
    assert ours.cluster_centers_.dtype == theirs.cluster_centers_.dtype
    ref = kmix.KMeans(4, init=init, n_init=1).fit(X.astype(theirs.cluster_centers_.dtype))
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_array_equal(ours.cluster_centers_, ref.cluster_centers_)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)


@pytest.mark.parametrize("layout", ["F", "rows-step", "unaligned", "readonly"])
def test_layouts_copy_x_false(layout):
    X = make_data("blobs", 300, 3, 3, seed=2)
    X_in = LAYOUTS[layout](X)
    init = init_rows(X, 3, 2)
    ref = kmix.KMeans(3, init=init, n_init=1).fit(X)
    if layout == "readonly":
        # Centring in place is impossible; either a copy is made or a clear error is raised
        # (scikit-learn raises "output array is read-only").
        try:
            got = kmix.KMeans(3, init=init, n_init=1, copy_x=False).fit(X_in)
        except ValueError as exc:
            assert "read-only" in str(exc)
            return
    else:
        got = kmix.KMeans(3, init=init, n_init=1, copy_x=False).fit(X_in)
    np.testing.assert_array_equal(got.labels_, ref.labels_)
    np.testing.assert_allclose(got.cluster_centers_, ref.cluster_centers_, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(X_in), X, rtol=1e-13, atol=1e-13)


def test_init_array_layouts_and_dtypes(dtype):
    X = make_data("blobs", 300, 4, 3, seed=3, dtype=dtype)
    init = init_rows(X, 3, 3)
    ref = kmix.KMeans(3, init=init, n_init=1).fit(X)
    for init_in in (
        np.asfortranarray(init),
        init.astype(np.float64 if dtype == np.float32 else np.float32),
        init.tolist(),
        np.repeat(init, 2, axis=1)[:, ::2],
    ):
        got = kmix.KMeans(3, init=init_in, n_init=1).fit(X)
        np.testing.assert_array_equal(got.labels_, ref.labels_)
        assert got.cluster_centers_.dtype == X.dtype
        assert_centers_close(got.cluster_centers_, ref.cluster_centers_, dtype, data_scale(X))


# ---- dtypes ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "in_dtype", [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint16, np.bool_]
)
def test_dtype_of_results(in_dtype):
    rng = np.random.default_rng(0)
    if in_dtype == np.bool_:
        X = rng.integers(0, 2, size=(200, 12)).astype(bool)
    elif np.issubdtype(in_dtype, np.integer):
        X = rng.integers(0, 100, size=(200, 3)).astype(in_dtype)
    else:
        X = (rng.standard_normal((200, 3)) * 5).astype(in_dtype)
    expected_dtype = np.float32 if in_dtype == np.float32 else np.float64
    init = np.asarray(X[:3], dtype=np.float64) + 0.25  # distinct from every point
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bool data may have fewer distinct points than k
        ours = kmix.KMeans(3, init=init, n_init=1).fit(X)
        theirs = SkKMeans(3, init=init, n_init=1).fit(X)
    assert ours.cluster_centers_.dtype == expected_dtype == theirs.cluster_centers_.dtype
    assert ours.transform(X).dtype == expected_dtype == theirs.transform(X).dtype
    assert ours.labels_.dtype == np.int32 and ours.predict(X).dtype == np.int32
    assert isinstance(ours.inertia_, float) and isinstance(ours.n_iter_, int)
    assert isinstance(ours.n_features_in_, int) and ours.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(ours.labels_, ours.predict(X))
    if in_dtype == np.bool_:
        # 0/1 data are full of exact distance ties, which rounding may break either way:
        # compare with the fit on the same values as float64 instead of with scikit-learn.
        ref = kmix.KMeans(3, init=init, n_init=1).fit(X.astype(np.float64))
        np.testing.assert_array_equal(ours.labels_, ref.labels_)
        np.testing.assert_array_equal(ours.cluster_centers_, ref.cluster_centers_)
        return
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert_centers_close(
        ours.cluster_centers_, theirs.cluster_centers_, expected_dtype, data_scale(X.astype(np.float64))
    )


def test_predict_other_dtype_than_fit(dtype):
    X = make_data("blobs", 300, 3, 4, seed=4, dtype=dtype)
    km = kmix.KMeans(4, random_state=0).fit(X)
    other = np.float64 if dtype == np.float32 else np.float32
    X_new = make_data("separated", 200, 3, 4, seed=5, dtype=other)
    C = km.cluster_centers_
    np.testing.assert_array_equal(km.predict(X_new), nearest(X_new.astype(dtype), C))
    D = km.transform(X_new)
    assert D.dtype == C.dtype
    np.testing.assert_allclose(D, np.sqrt(sq_dists(X_new.astype(dtype), C)), rtol=1e-5)


def test_int_subclass_params_accepted():
    X = make_data("blobs", 200, 2, 3, seed=0)
    init = init_rows(X, 3, 0)
    ours = kmix.KMeans(
        np.int64(3),
        init=init,
        n_init=np.int32(1),
        max_iter=np.int16(50),
        tol=np.float32(1e-4),
        random_state=np.int64(0),
    ).fit(X)
    theirs = SkKMeans(3, init=init, n_init=1, max_iter=50, tol=1e-4).fit(X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)


def test_y_is_ignored():
    X = make_data("blobs", 200, 2, 3, seed=0)
    a = kmix.KMeans(3, random_state=0).fit(X)
    b = kmix.KMeans(3, random_state=0).fit(X, y=np.arange(200))
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


def test_random_init_needs_k_positive_weights():
    X = np.random.default_rng(0).standard_normal((20, 2))
    w = np.zeros(20)
    w[:2] = 1.0
    with pytest.raises(ValueError, match="sample_weight"):
        kmix.KMeans(3, init="random", n_init=1, random_state=0).fit(X, sample_weight=w)


def test_copy_x_false_on_read_only_input_copies_and_matches_sklearn():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 3))
    X.flags.writeable = False
    before = X.copy()
    init = X[:4].copy()
    ours = kmix.KMeans(4, init=init, n_init=1, copy_x=False).fit(X)
    theirs = SkKMeans(4, init=init, n_init=1).fit(before)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-9, atol=1e-12)
