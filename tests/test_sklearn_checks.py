"""scikit-learn's own estimator checks (sklearn.utils.estimator_checks) on every kmix estimator,
and the parts of scikit-learn's API a drop-in needs that those checks do not cover: feature
names, set_output, get_feature_names_out, scikit-learn's exception and warning classes."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

import kmix

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.utils import estimator_checks  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

# The parameters scikit-learn's own test suite gives its classes (small, quick fits), per check
# where it gives some (sklearn/utils/_test_common/instance_generator.py).
ESTIMATORS = [
    kmix.KMeans(n_clusters=2, n_init=2, max_iter=5, random_state=0),
    kmix.MiniBatchKMeans(n_clusters=2, n_init=2, max_iter=5, batch_size=10, random_state=0),
    kmix.SoftKMeans(n_clusters=2, n_init=2, max_iter=5, random_state=0),
    kmix.GaussianMixture(n_init=2, max_iter=5, random_state=0),
    kmix.BayesianGaussianMixture(n_init=2, max_iter=5, random_state=0),
    kmix.AgglomerativeClustering(n_clusters=2),
]
PER_CHECK_PARAMS = {
    "check_dict_unchanged": {
        "KMeans": dict(n_clusters=1),
        "MiniBatchKMeans": dict(n_clusters=1),
        "SoftKMeans": dict(n_clusters=1),
        "AgglomerativeClustering": dict(n_clusters=1),
    },
}

_WEIGHTS_REASON = (
    "sample_weight is not equivalent to removing/repeating samples: the seeding draws other "
    "rows (scikit-learn marks its KMeans and MiniBatchKMeans the same way)"
)


def expected_failed_checks(estimator):
    """The checks scikit-learn marks as expected failures for its own class, with its reason
    (SoftKMeans seeds as KMeans does, so the same reason applies; kmix's GaussianMixture, which
    takes sample_weight where scikit-learn's does not, passes the check)."""
    if isinstance(estimator, kmix.KMeans):
        failed = {"check_sample_weight_equivalence_on_dense_data": _WEIGHTS_REASON}
        if estimator._sparse_input:
            failed["check_sample_weight_equivalence_on_sparse_data"] = _WEIGHTS_REASON
        return failed
    return {}


with warnings.catch_warnings():  # that kmix does not inherit scikit-learn's BaseEstimator: by design
    warnings.filterwarnings("ignore", message=".*does not inherit from `sklearn.base.BaseEstimator`")
    _with_checks = parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)


@_with_checks
def test_sklearn_estimator_checks(estimator, check):
    name = getattr(check, "func", check).__name__
    estimator.set_params(**PER_CHECK_PARAMS.get(name, {}).get(type(estimator).__name__, {}))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not inherit from `sklearn.base.BaseEstimator`")
        check(estimator)


# scikit-learn 1.9 runs its clustering checks only on subclasses of its ClusterMixin (an
# isinstance test, not a tag), which kmix cannot be without importing scikit-learn: they run here.
CLUSTERING_CHECKS = [
    "check_clustering",
    "check_clusterer_compute_labels_predict",
    "check_estimators_partial_fit_n_features",
    "check_non_transformer_estimators_n_iter",
]


@pytest.mark.parametrize("check_name", CLUSTERING_CHECKS)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_sklearn_clustering_checks(estimator, check_name):
    if estimator._estimator_type != "clusterer":
        pytest.skip("not a clusterer (scikit-learn runs these on clusterers only)")
    if check_name == "check_non_transformer_estimators_n_iter" and hasattr(estimator, "transform"):
        pytest.skip("scikit-learn runs it on clusterers without transform only")
    check = getattr(estimator_checks, check_name)
    est = clone(estimator)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not inherit from `sklearn.base.BaseEstimator`")
        if check_name == "check_clustering":
            check(type(est).__name__, est)
            check(type(est).__name__, clone(est), readonly_memmap=True)
        else:
            check(type(est).__name__, est)


def test_clustering_checks_are_the_ones_sklearn_skips_for_kmix():
    """The clustering checks run above are exactly those scikit-learn's yield_all_checks gives its
    own KMeans and does not give kmix's (so the list above cannot go stale)."""
    from sklearn.cluster import KMeans as SkKMeans

    def names(est):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {getattr(c, "func", c).__name__ for c in estimator_checks._yield_all_checks(est, legacy=True)}

    missing = names(SkKMeans()) - names(kmix.KMeans())
    assert missing <= set(CLUSTERING_CHECKS), missing


# ---- feature names ------------------------------------------------------------------------------
pd = pytest.importorskip("pandas")

FITS = {
    "KMeans": lambda: kmix.KMeans(3, n_init=1, random_state=0),
    "MiniBatchKMeans": lambda: kmix.MiniBatchKMeans(3, n_init=1, random_state=0, batch_size=32),
    "SoftKMeans": lambda: kmix.SoftKMeans(3, random_state=0),
    "GaussianMixture": lambda: kmix.GaussianMixture(3, random_state=0),
    "BayesianGaussianMixture": lambda: kmix.BayesianGaussianMixture(n_components=3, random_state=0),
}
SKLEARN_TWIN = {
    "KMeans": ("sklearn.cluster", "KMeans"),
    "MiniBatchKMeans": ("sklearn.cluster", "MiniBatchKMeans"),
    "GaussianMixture": ("sklearn.mixture", "GaussianMixture"),
    "BayesianGaussianMixture": ("sklearn.mixture", "BayesianGaussianMixture"),
}


def _frame(seed=0, n=120):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(c, 0.3, size=(n // 3, 3)) for c in (0.0, 5.0, 10.0)])
    X[:, 1] *= 3.0  # the columns differ, so a reordering changes the answer
    return pd.DataFrame(X, columns=["a", "b", "c"])


def _methods(est):
    out = [m for m in ("predict", "transform", "score", "predict_proba", "score_samples") if hasattr(est, m)]
    return out


@pytest.mark.parametrize("name", FITS)
def test_feature_names_set_and_checked(name):
    df = _frame()
    est = FITS[name]().fit(df)
    np.testing.assert_array_equal(est.feature_names_in_, np.array(["a", "b", "c"], dtype=object))
    assert est.feature_names_in_.dtype == object
    reordered = df[["c", "a", "b"]]
    renamed = df.rename(columns={"c": "z"})
    for method in _methods(est):
        call = getattr(est, method)
        call(df)  # the same names: no warning (errors would raise)
        with pytest.raises(ValueError, match="Feature names must be in the same order as they were in fit"):
            call(reordered)
        with pytest.raises(
            ValueError, match="(?s)Feature names unseen at fit time:\n- z.*seen at fit time, yet now missing:\n- c"
        ):
            call(renamed)
        with pytest.warns(UserWarning, match=f"X does not have valid feature names, but {name} was fitted with"):
            call(df.to_numpy())
    # Fitted without names, called with some: scikit-learn's warning the other way round.
    bare = FITS[name]().fit(df.to_numpy())
    assert not hasattr(bare, "feature_names_in_")
    with pytest.warns(UserWarning, match=f"X has feature names, but {name} was fitted without feature names"):
        bare.predict(df)
    # A refit on an array forgets the names.
    est.fit(df.to_numpy())
    assert not hasattr(est, "feature_names_in_")


@pytest.mark.parametrize("name", sorted(SKLEARN_TWIN))
def test_feature_name_errors_as_sklearn(name):
    """The same calls raise and warn with scikit-learn's classes and the same first line."""
    import importlib

    module, cls = SKLEARN_TWIN[name]
    sk_cls = getattr(importlib.import_module(module), cls)
    first = "n_components" if "n_components" in sk_cls().get_params() else "n_clusters"
    sk = sk_cls(**{first: 3}, random_state=0)
    ours = FITS[name]()
    df = _frame()
    for est in (sk, ours):
        est.fit(df)
    for bad in (df[["b", "a", "c"]], df.rename(columns={"a": "q"})):
        msgs = []
        for est in (sk, ours):
            with pytest.raises(ValueError) as info:
                est.predict(bad)
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1]


def test_mixed_column_name_types_refused_as_sklearn():
    df = _frame()
    df.columns = ["a", 1, "c"]
    with pytest.raises(TypeError, match="Feature names are only supported if all input features have string names"):
        kmix.KMeans(3, n_init=1).fit(df)
    # Non-string names of one type: no names kept, as scikit-learn.
    df.columns = [0, 1, 2]
    assert not hasattr(kmix.KMeans(3, n_init=1).fit(df), "feature_names_in_")


def test_agglomerative_feature_names():
    df = _frame()
    est = kmix.AgglomerativeClustering(3).fit(df)
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c"])
    from sklearn.cluster import AgglomerativeClustering

    np.testing.assert_array_equal(est.labels_, AgglomerativeClustering(3).fit(df).labels_)


@pytest.mark.parametrize("name", FITS)
def test_feature_names_saved_and_loaded(name, tmp_path):
    df = _frame()
    est = FITS[name]().fit(df)
    path = tmp_path / "model.kmix"
    est.save(path)
    back = kmix.load(path)
    np.testing.assert_array_equal(back.feature_names_in_, est.feature_names_in_)
    with pytest.raises(ValueError, match="same order"):
        back.predict(df[["c", "b", "a"]])


def test_partial_fit_feature_names():
    df = _frame()
    est = kmix.MiniBatchKMeans(3, random_state=0).partial_fit(df)
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c"])
    est.partial_fit(df)
    with pytest.raises(ValueError, match="same order"):
        est.partial_fit(df[["c", "b", "a"]])


# ---- set_output, get_feature_names_out ----------------------------------------------------------
TRANSFORMERS = ["KMeans", "MiniBatchKMeans", "SoftKMeans"]


@pytest.mark.parametrize("name", TRANSFORMERS)
def test_get_feature_names_out(name):
    est = FITS[name]().fit(_frame())
    names = est.get_feature_names_out()
    assert names.dtype == object
    assert list(names) == [f"{name.lower()}{i}" for i in range(3)]
    assert list(est.get_feature_names_out(["a", "b", "c"])) == list(names)
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        est.get_feature_names_out(["a", "c", "b"])
    with pytest.raises(NotFittedError):
        FITS[name]().get_feature_names_out()


def test_get_feature_names_out_as_sklearn():
    from sklearn.cluster import KMeans

    df = _frame()
    assert list(kmix.KMeans(3, n_init=1).fit(df).get_feature_names_out()) == list(
        KMeans(3, n_init=1).fit(df).get_feature_names_out()
    )


@pytest.mark.parametrize("name", TRANSFORMERS)
def test_set_output_pandas(name):
    df = _frame()
    df.index = df.index + 1000
    est = FITS[name]().set_output(transform="pandas")
    out = est.fit_transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(est.get_feature_names_out())
    assert (out.index == df.index).all()
    np.testing.assert_array_equal(out.to_numpy(), est.set_output(transform="default").transform(df))
    assert isinstance(est.transform(df), np.ndarray)
    with pytest.raises(ValueError, match="transform"):
        est.set_output(transform="xarray")


def test_set_output_in_pipeline_and_column_transformer():
    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    df = _frame()
    pipe = make_pipeline(StandardScaler(), kmix.KMeans(3, n_init=1, random_state=0)).set_output(transform="pandas")
    out = pipe.fit_transform(df)
    ref = make_pipeline(StandardScaler(), SkKMeans(3, n_init=1, random_state=0)).set_output(transform="pandas")
    expected = ref.fit_transform(df)
    assert list(out.columns) == list(expected.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    np.testing.assert_allclose(out.to_numpy(), expected.to_numpy(), rtol=1e-9)
    ct = ColumnTransformer(
        [("km", kmix.KMeans(2, n_init=1, random_state=0), ["a", "b"]), ("pass", "passthrough", ["c"])]
    ).set_output(transform="pandas")
    got = ct.fit_transform(df)
    assert list(got.columns) == ["km__kmeans0", "km__kmeans1", "pass__c"]
    sk_ct = ColumnTransformer(
        [("km", SkKMeans(2, n_init=1, random_state=0), ["a", "b"]), ("pass", "passthrough", ["c"])]
    ).set_output(transform="pandas")
    np.testing.assert_allclose(got.to_numpy(), sk_ct.fit_transform(df).to_numpy(), rtol=1e-9)


def test_global_transform_output_config():
    df = _frame()
    with sklearn.config_context(transform_output="pandas"):
        out = kmix.KMeans(3, n_init=1).fit(df).transform(df)
    assert isinstance(out, pd.DataFrame)


def test_set_output_polars():
    pl = pytest.importorskip("polars")
    df = _frame()
    est = kmix.KMeans(3, n_init=1, random_state=0).set_output(transform="polars")
    out = est.fit_transform(pl.from_pandas(df))
    assert isinstance(out, pl.DataFrame)
    assert out.columns == ["kmeans0", "kmeans1", "kmeans2"]
    np.testing.assert_allclose(out.to_numpy(), est.set_output(transform="default").transform(df), rtol=1e-12)
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c"])


# ---- scikit-learn's exception and warning classes -----------------------------------------------
@pytest.mark.parametrize("name", FITS)
def test_sklearn_not_fitted_error_catches_kmix(name):
    with pytest.raises(NotFittedError) as info:
        FITS[name]().predict(np.zeros((2, 3)))
    assert isinstance(info.value, kmix.NotFittedError)
    assert isinstance(info.value, ValueError) and isinstance(info.value, AttributeError)


def test_sklearn_convergence_warning_filter_silences_kmix():
    X = np.zeros((10, 2))
    X[5:] = 1.0
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        kmix.KMeans(4, n_init=1, random_state=0).fit(X)  # duplicate points: 2 distinct clusters
    [w] = [w for w in seen if "distinct clusters" in str(w.message)]
    assert issubclass(w.category, ConvergenceWarning) and issubclass(w.category, kmix.ConvergenceWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        kmix.KMeans(4, n_init=1, random_state=0).fit(X)
        rng = np.random.default_rng(0)
        kmix.GaussianMixture(2, max_iter=1, random_state=0).fit(rng.normal(size=(50, 2)))


def test_import_kmix_does_not_import_sklearn_or_pandas():
    code = (
        "import sys, kmix, numpy as np; kmix.KMeans(2, n_init=1).fit(np.arange(8.0).reshape(4, 2)); "
        "print(sorted(m for m in ('sklearn', 'scipy', 'pandas', 'polars') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_peer_classes_pickle():
    import pickle

    try:
        kmix.KMeans().predict(np.zeros((1, 2)))
    except NotFittedError as exc:
        back = pickle.loads(pickle.dumps(exc))
        assert isinstance(back, NotFittedError) and isinstance(back, kmix.NotFittedError)
        assert str(back) == str(exc)


# ---- parameters: one declarative table per estimator --------------------------------------------
ALL_CLASSES = [
    kmix.KMeans,
    kmix.MiniBatchKMeans,
    kmix.SoftKMeans,
    kmix.GaussianMixture,
    kmix.BayesianGaussianMixture,
    kmix.AgglomerativeClustering,
]


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_parameter_table_covers_every_parameter(cls):
    assert set(cls._parameter_constraints) == set(cls._get_param_names())


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_parameter_errors_name_parameter_value_and_allowed(cls):
    X = np.random.default_rng(0).normal(size=(20, 2))
    first = "n_components" if cls in (kmix.GaussianMixture, kmix.BayesianGaussianMixture) else "n_clusters"
    for value in (0, 2.5, "3", -1):
        with pytest.raises(
            ValueError,
            match=rf"The '{first}' parameter of {cls.__name__} must be an int in the "
            rf"range \[1, inf\).*Got {value!r} instead",
        ) as info:
            cls(**{first: value}).fit(X)
        assert isinstance(info.value, TypeError)  # as scikit-learn's InvalidParameterError
    for name in cls._get_param_names():
        if name in ("init", "weights_init", "means_init", "precisions_init"):
            continue  # arrays: their shapes are checked against X by fit
        with pytest.raises(
            ValueError,
            match=rf"The '{name}' parameter of {cls.__name__} must be .*Got "
            r"<object object at .*> instead",
        ):
            cls(**{name: object()}).fit(X)
