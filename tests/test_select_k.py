"""kmix.select_k: the chosen k on blobs with a known number of clusters, every score recomputed
independently (scikit-learn's silhouette, BIC/AIC from the fitted mixture with scipy, the gap
statistic from its formula with the same reference draws), estimators, bad inputs, to_dict, plot."""

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.special import logsumexp  # noqa: E402
from scipy.stats import multivariate_normal  # noqa: E402
from sklearn.cluster import DBSCAN  # noqa: E402
from sklearn.cluster import KMeans as SkKMeans  # noqa: E402
from sklearn.metrics import silhouette_score as sk_silhouette_score  # noqa: E402
from sklearn.mixture import GaussianMixture as SkGaussianMixture  # noqa: E402

import kmix  # noqa: E402
from conftest import inertia_formula  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ---- data ------------------------------------------------------------------------------------
def polygon_blobs(k, n=300, d=2, seed=1, radius=10.0, std=1.0, dtype=np.float64):
    """k unit-std Gaussian blobs centred on a regular k-gon of the given radius (neighbouring
    centers >= 11.7 std apart for k <= 5), n // k points each (round robin)."""
    angles = 2 * np.pi * np.arange(k) / k + 0.3
    centers = np.zeros((k, d))
    centers[:, 0], centers[:, 1] = radius * np.cos(angles), radius * np.sin(angles)
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % k
    X = centers[labels] + std * rng.standard_normal((n, d))
    return X.astype(dtype), labels


# ---- independent references ------------------------------------------------------------------
def within_ss(X, labels):
    """Pooled within-cluster sum of squares around the cluster means (float64)."""
    X = np.asarray(X, dtype=np.float64)
    return float(sum(((X[labels == c] - X[labels == c].mean(0)) ** 2).sum() for c in np.unique(labels)))


def gmm_log_likelihood(gm, X):
    """Total log-likelihood of X under the fitted mixture, with scipy's densities."""
    X = np.asarray(X, dtype=np.float64)
    k, d = gm.means_.shape
    logp = np.empty((X.shape[0], k))
    for j in range(k):
        cov = gm.covariances_[j]
        cov = np.diag(cov) if gm.covariance_type == "diag" else cov
        logp[:, j] = np.log(gm.weights_[j]) + multivariate_normal(gm.means_[j], cov).logpdf(X)
    return float(logsumexp(logp, axis=1).sum())


def gmm_n_params(gm):
    k, d = gm.means_.shape
    cov = {"full": k * d * (d + 1) // 2, "diag": k * d}[gm.covariance_type]
    return cov + k * d + k - 1


def bic_aic_formula(gm, X):
    ll, p, n = gmm_log_likelihood(gm, X), gmm_n_params(gm), X.shape[0]
    return -2 * ll + p * np.log(n), -2 * ll + 2 * p


def knee_formula(ks, values):
    """The k whose point, after scaling k and the values to [0, 1], lies farthest (perpendicular
    distance) below the chord from the first point to the last."""
    ks = np.asarray(ks, dtype=float)
    v = np.asarray(values, dtype=float)
    x = (ks - ks[0]) / (ks[-1] - ks[0])
    y = (v - v[-1]) / (v[0] - v[-1])
    # chord from (0, 1) to (1, 0): x + y = 1; distance below it is (1 - x - y) / sqrt(2)
    return int(ks[np.argmax((1 - x - y) / np.sqrt(2))])


def gap_formula(X, ks, make_estimator, random_state, n_refs):
    """Tibshirani, Walther and Hastie (2001), with the reference draws select_k documents:
    for b = 0..B-1, one uniform draw over the bounding box from RandomState(random_state), all k
    fitted on it. Returns gap, s and the chosen k."""
    rs = np.random.RandomState(random_state)
    lo, hi = X.min(0), X.max(0)
    log_w = np.array([np.log(within_ss(X, labels_of(make_estimator(k).fit(X), X))) for k in ks])
    log_ref = np.zeros((n_refs, len(ks)))
    for b in range(n_refs):
        ref = (lo + rs.uniform(size=X.shape) * (hi - lo)).astype(X.dtype)
        for i, k in enumerate(ks):
            log_ref[b, i] = np.log(within_ss(ref, labels_of(make_estimator(k).fit(ref), ref)))
    gap = log_ref.mean(0) - log_w
    sd = np.sqrt(((log_ref - log_ref.mean(0)) ** 2).mean(0)) * np.sqrt(1 + 1 / n_refs)
    best = None
    for i in range(len(ks) - 1):
        if gap[i] >= gap[i + 1] - sd[i + 1]:
            best = ks[i]
            break
    if best is None:
        best = ks[int(np.argmax(gap))]
    return gap, sd, best


def labels_of(est, X):
    return est.labels_ if getattr(est, "labels_", None) is not None else est.predict(X)


def close(actual, expected, rtol=1e-9, atol=1e-12):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)


# ---- known k ---------------------------------------------------------------------------------
# k_range per method: silhouette and gap from 2 (the gap statistic's 1-SE rule can stop at k=1 on
# clusters arranged in a ring, where Gap(2) is barely above Gap(1)); the elbow needs room past
# the true k for the knee to be seen.
K_RANGES = {
    "silhouette": range(2, 8),
    "bic": range(1, 8),
    "aic": range(1, 8),
    "gap": range(2, 8),
    "elbow": range(1, 11),
}


@pytest.mark.parametrize("k", [2, 3, 4, 5])
@pytest.mark.parametrize("method", ["silhouette", "bic", "gap", "elbow", "aic"])
def test_known_k_is_found(method, k):
    X, _ = polygon_blobs(k, seed=1)
    result = kmix.select_k(X, K_RANGES[method], method=method, random_state=1)
    assert isinstance(result, kmix.SelectKResult)
    assert result.method == method
    assert result.k_values == list(K_RANGES[method])
    assert result.best_k == k, result.scores
    assert isinstance(result.best_k, int)


def test_known_k_with_sklearn_make_blobs():
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=240, centers=[[0, 0], [12, 0], [0, 12], [12, 12]], cluster_std=1.0, random_state=3)
    for method in ("silhouette", "bic", "gap"):
        assert kmix.select_k(X, range(2, 8), method=method, random_state=0).best_k == 4


def test_known_k_float32():
    X, _ = polygon_blobs(3, seed=1, dtype=np.float32)
    for method in ("silhouette", "bic", "gap", "elbow"):
        assert kmix.select_k(X, K_RANGES[method], method=method, random_state=0).best_k == 3


# ---- scores recomputed -----------------------------------------------------------------------
@pytest.mark.parametrize("random_state", [0, 7])
def test_silhouette_and_inertia_scores(random_state):
    X, _ = polygon_blobs(3, n=150, seed=4, std=2.5)  # overlapping a little: scores not trivial
    ks = list(range(1, 7))
    result = kmix.select_k(X, ks, method="silhouette", random_state=random_state)
    assert result.k_values == ks
    assert set(result.scores) >= {"silhouette", "inertia"}
    sil = result.scores["silhouette"]
    assert len(sil) == len(ks) and np.isnan(sil[0])  # k = 1 has no silhouette
    expected_sil, expected_inertia = [np.nan], []
    for k in ks:
        km = kmix.KMeans(n_clusters=k, random_state=random_state).fit(X)
        expected_inertia.append(inertia_formula(X, km.cluster_centers_, km.labels_))
        if k > 1:
            expected_sil.append(sk_silhouette_score(X, km.labels_))
    close(sil, expected_sil)
    close(result.scores["inertia"], expected_inertia, rtol=1e-6)  # inertia_ vs its formula
    assert result.best_k == ks[int(np.nanargmax(expected_sil))]


def test_silhouette_scores_float32():
    X, _ = polygon_blobs(4, n=160, seed=5, std=2.0, dtype=np.float32)
    result = kmix.select_k(X, range(2, 6), method="silhouette", random_state=0)
    for k, s in zip(result.k_values, result.scores["silhouette"]):
        labels = kmix.KMeans(n_clusters=k, random_state=0).fit(X).labels_
        close(s, sk_silhouette_score(X, labels), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("method", ["bic", "aic"])
def test_bic_aic_scores(method):
    X, _ = polygon_blobs(3, n=150, seed=6, std=1.5)
    ks = [1, 2, 3, 4, 5]
    result = kmix.select_k(X, ks, method=method, random_state=3)
    assert set(result.scores) >= {"bic", "aic"}
    bics, aics = [], []
    for k in ks:
        gm = kmix.GaussianMixture(n_components=k, random_state=3).fit(X)
        bic, aic = bic_aic_formula(gm, X)
        bics.append(bic)
        aics.append(aic)
        i = ks.index(k)
        assert result.scores["bic"][i] == gm.bic(X)  # the same seeded fit
        assert result.scores["aic"][i] == gm.aic(X)
    close(result.scores["bic"], bics, rtol=1e-8)
    close(result.scores["aic"], aics, rtol=1e-8)
    expected = bics if method == "bic" else aics
    assert result.best_k == ks[int(np.argmin(expected))]


def test_bic_matches_sklearn_gaussian_mixture():
    # Well-separated blobs: scikit-learn's GaussianMixture (same seed) reaches the same optimum.
    X, _ = polygon_blobs(3, n=150, seed=2)
    result = kmix.select_k(X, [2, 3, 4], method="bic", random_state=0)
    for k, bic in zip(result.k_values, result.scores["bic"]):
        sk = SkGaussianMixture(n_components=k, random_state=0).fit(X)
        close(bic, sk.bic(X), rtol=1e-4)


def test_elbow_scores_and_knee():
    X, _ = polygon_blobs(4, n=200, seed=3, std=1.5)
    ks = list(range(1, 10))
    result = kmix.select_k(X, ks, method="elbow", random_state=0)
    expected = [kmix.KMeans(n_clusters=k, random_state=0).fit(X).inertia_ for k in ks]
    close(result.scores["inertia"], expected, rtol=1e-12)
    assert np.all(np.diff(expected[:5]) < 0)
    assert result.best_k == knee_formula(ks, expected)


@pytest.mark.parametrize(
    "ks,random_state,n_refs", [(range(1, 7), 0, 10), (range(2, 7), 5, 4), ([2, 4, 6], 2, 6), (range(1, 3), 1, 3)]
)
def test_gap_values_from_formula(ks, random_state, n_refs):
    X, _ = polygon_blobs(3, n=120, seed=7, std=1.5)
    result = kmix.select_k(X, ks, method="gap", random_state=random_state, n_refs=n_refs)
    gap, sd, best = gap_formula(
        X, list(ks), lambda k: kmix.KMeans(n_clusters=k, random_state=random_state), random_state, n_refs
    )
    assert set(result.scores) >= {"gap", "gap_sd"}
    close(result.scores["gap"], gap, atol=1e-9)
    close(result.scores["gap_sd"], sd, atol=1e-9)
    assert result.best_k == best


def test_gap_with_sklearn_estimator_from_formula():
    # The whole gap computation with scikit-learn's KMeans, so no kmix clustering is involved in
    # the reference.
    X, _ = polygon_blobs(3, n=90, seed=8)
    est = SkKMeans(n_clusters=2, n_init=1, random_state=0)
    ks = [1, 2, 3, 4]
    result = kmix.select_k(X, ks, method="gap", estimator=est, random_state=11, n_refs=3)
    gap, sd, best = gap_formula(X, ks, lambda k: SkKMeans(n_clusters=k, n_init=1, random_state=0), 11, 3)
    close(result.scores["gap"], gap, atol=1e-9)
    close(result.scores["gap_sd"], sd, atol=1e-9)
    assert result.best_k == best == 3


def test_gap_is_reproducible_and_depends_on_seed():
    X, _ = polygon_blobs(3, n=120, seed=9)
    a = kmix.select_k(X, range(2, 6), method="gap", random_state=4, n_refs=5)
    b = kmix.select_k(X, range(2, 6), method="gap", random_state=4, n_refs=5)
    c = kmix.select_k(X, range(2, 6), method="gap", random_state=5, n_refs=5)
    assert a.scores["gap"] == b.scores["gap"] and a.scores["gap_sd"] == b.scores["gap_sd"]
    assert a.scores["gap"] != c.scores["gap"]


def test_k_range_forms():
    X, _ = polygon_blobs(3, n=90, seed=10)
    ref = kmix.select_k(X, [2, 3, 4], random_state=0)
    for ks in ([4, 2, 3], [2, 3, 3, 4, 2], np.arange(2, 5), (np.int32(2), np.int64(3), 4), range(2, 5)):
        r = kmix.select_k(X, ks, random_state=0)
        assert r.k_values == [2, 3, 4] and all(type(k) is int for k in r.k_values)
        assert r.scores["silhouette"] == ref.scores["silhouette"] and r.best_k == ref.best_k


def test_n_threads_does_not_change_scores():
    X, _ = polygon_blobs(4, n=200, seed=11, std=2.0)
    a = kmix.select_k(X, range(2, 7), random_state=0, n_threads=1)
    b = kmix.select_k(X, range(2, 7), random_state=0, n_threads=2)
    assert a.scores == b.scores and a.best_k == b.best_k


def test_X_not_modified_and_layouts():
    X, _ = polygon_blobs(3, n=120, seed=12, d=3)
    F = np.asfortranarray(X)
    before = F.copy()
    r = kmix.select_k(F, range(2, 6), random_state=0)
    np.testing.assert_array_equal(F, before)
    assert r.scores == kmix.select_k(np.ascontiguousarray(X), range(2, 6), random_state=0).scores
    r2 = kmix.select_k(X.tolist(), range(2, 6), random_state=0)
    assert r2.scores == r.scores


# ---- estimators ------------------------------------------------------------------------------
def fitted_attrs(est):
    return [a for a in ("labels_", "cluster_centers_", "inertia_", "means_", "weights_") if hasattr(est, a)]


def test_custom_kmix_kmeans_estimator():
    X, _ = polygon_blobs(4, n=200, seed=13, std=1.5)
    est = kmix.KMeans(n_clusters=9, n_init=3, random_state=5, max_iter=50)
    params = est.get_params()
    result = kmix.select_k(X, range(2, 7), method="silhouette", estimator=est)
    assert est.get_params() == params and fitted_attrs(est) == []
    assert result.best_k == 4
    for k, s, inertia in zip(result.k_values, result.scores["silhouette"], result.scores["inertia"]):
        km = kmix.KMeans(n_clusters=k, n_init=3, random_state=5, max_iter=50).fit(X)
        close(s, sk_silhouette_score(X, km.labels_))
        assert inertia == km.inertia_


@pytest.mark.parametrize("method", ["bic", "silhouette", "elbow"])
def test_custom_gaussian_mixture_estimator(method):
    X, _ = polygon_blobs(3, n=150, seed=14)
    est = kmix.GaussianMixture(covariance_type="diag", random_state=2)
    params = est.get_params()
    ks = list(range(1, 6)) if method != "silhouette" else list(range(2, 6))
    result = kmix.select_k(X, ks, method=method, estimator=est)
    assert est.get_params() == params and fitted_attrs(est) == []
    assert result.best_k == 3
    fits = [kmix.GaussianMixture(n_components=k, covariance_type="diag", random_state=2).fit(X) for k in ks]
    if method == "bic":
        close(result.scores["bic"], [bic_aic_formula(gm, X)[0] for gm in fits], rtol=1e-8)
    elif method == "silhouette":
        close(result.scores["silhouette"], [sk_silhouette_score(X, gm.predict(X)) for gm in fits])
    else:  # no inertia_: the within-cluster sum of squares of the predicted labels
        close(result.scores["inertia"], [within_ss(X, gm.predict(X)) for gm in fits])


def test_sklearn_kmeans_estimator():
    X, _ = polygon_blobs(3, n=120, seed=15)
    est = SkKMeans(n_clusters=8, n_init=3, random_state=1)
    params = est.get_params()
    result = kmix.select_k(X, range(2, 6), estimator=est)
    assert est.get_params() == params and fitted_attrs(est) == []
    assert result.best_k == 3
    for k, s, inertia in zip(result.k_values, result.scores["silhouette"], result.scores["inertia"]):
        sk = SkKMeans(n_clusters=k, n_init=3, random_state=1).fit(X)
        close(s, sk_silhouette_score(X, sk.labels_))
        close(inertia, sk.inertia_, rtol=1e-12)


def test_sklearn_gaussian_mixture_estimator_bic():
    X, _ = polygon_blobs(3, n=120, seed=16)
    est = SkGaussianMixture(n_components=1, covariance_type="diag", random_state=0)
    result = kmix.select_k(X, range(1, 6), method="bic", estimator=est)
    assert fitted_attrs(est) == []
    expected = [
        SkGaussianMixture(n_components=k, covariance_type="diag", random_state=0).fit(X).bic(X) for k in range(1, 6)
    ]
    close(result.scores["bic"], expected, rtol=1e-12)
    assert result.best_k == 3


def test_agglomerative_estimator():
    from sklearn.cluster import AgglomerativeClustering as SkAgglo

    X, _ = polygon_blobs(3, n=90, seed=17, std=1.5)
    est = kmix.AgglomerativeClustering(linkage="ward")
    result = kmix.select_k(X, range(2, 6), estimator=est)
    for k, s in zip(result.k_values, result.scores["silhouette"]):
        close(s, sk_silhouette_score(X, SkAgglo(n_clusters=k, linkage="ward").fit(X).labels_))
    assert result.best_k == 3
    elbow = kmix.select_k(X, range(1, 7), method="elbow", estimator=est)
    close(elbow.scores["inertia"], [within_ss(X, SkAgglo(n_clusters=k).fit(X).labels_) for k in range(1, 7)])


# ---- bad inputs ------------------------------------------------------------------------------
@pytest.fixture
def X30():
    return polygon_blobs(3, n=30, seed=18)[0]


@pytest.mark.parametrize("method", ["kmeans", "Silhouette", "", None, 3, "bic "])
def test_unknown_method(X30, method):
    with pytest.raises(ValueError, match="method"):
        kmix.select_k(X30, range(2, 5), method=method)


@pytest.mark.parametrize(
    "k_range", [[], range(2, 2), (), np.array([], dtype=int)], ids=["list", "range", "tuple", "array"]
)
def test_empty_k_range(X30, k_range):
    with pytest.raises(ValueError, match="k_range"):
        kmix.select_k(X30, k_range)


@pytest.mark.parametrize("k_range", [range(2, 32), [31], [2, 100], [0, 2], [-1, 2, 3]])
def test_k_out_of_range(X30, k_range):
    with pytest.raises(ValueError, match="k_range"):
        kmix.select_k(X30, k_range)


@pytest.mark.parametrize(
    "k_range",
    [[2, 3.5], [2.0, 3], ["2", "3"], [True, 2], 3.5, None, "2-5", [None]],
    ids=["float", "float_int", "str_items", "bool", "scalar_float", "none", "str", "none_item"],
)
def test_non_int_k(X30, k_range):
    with pytest.raises(TypeError, match="k_range"):
        kmix.select_k(X30, k_range)


@pytest.mark.parametrize("estimator", [DBSCAN(), object(), "kmeans", 3], ids=["dbscan", "object", "str", "int"])
def test_estimator_without_n_clusters(X30, estimator):
    with pytest.raises(TypeError, match="estimator"):
        kmix.select_k(X30, range(2, 5), estimator=estimator)


def test_estimator_class_instead_of_instance(X30):
    # A class (not an instance) is a bad estimator too: the message should name estimator.
    with pytest.raises(TypeError, match="estimator"):
        kmix.select_k(X30, range(2, 5), estimator=kmix.KMeans)


@pytest.mark.parametrize("method", ["bic", "aic"])
def test_bic_needs_a_mixture(X30, method):
    with pytest.raises(TypeError, match="estimator"):
        kmix.select_k(X30, range(2, 5), method=method, estimator=kmix.KMeans(n_init=1))


@pytest.mark.parametrize("k_range", [[2, 3], [3], [2, 2, 3], range(4, 6)])
def test_elbow_needs_three_ks(X30, k_range):
    with pytest.raises(ValueError, match="k_range"):
        kmix.select_k(X30, k_range, method="elbow")


def test_gap_needs_two_ks(X30):
    with pytest.raises(ValueError, match="k_range"):
        kmix.select_k(X30, [3], method="gap")


def test_silhouette_needs_a_k_with_a_silhouette(X30):
    with pytest.raises(ValueError, match="silhouette"):
        kmix.select_k(X30, [1], method="silhouette")


@pytest.mark.parametrize(
    "n_refs,exc", [(0, ValueError), (-2, ValueError), (1.5, TypeError), ("10", TypeError), (True, TypeError)]
)
def test_bad_n_refs(X30, n_refs, exc):
    with pytest.raises(exc, match="n_refs"):
        kmix.select_k(X30, range(2, 5), method="gap", n_refs=n_refs)


@pytest.mark.parametrize("method", ["silhouette", "gap"])
def test_bad_random_state(X30, method):
    with pytest.raises((TypeError, ValueError), match="random_state"):
        kmix.select_k(X30, range(2, 5), method=method, random_state="seed")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("method", ["silhouette", "gap", "bic"])
def test_non_finite_X(X30, bad, method):
    X = X30.copy()
    X[3, 0] = bad
    with pytest.raises(ValueError, match="X"):
        kmix.select_k(X, range(2, 5), method=method)


def test_bad_X_shape():
    with pytest.raises(ValueError, match="X"):
        kmix.select_k(np.arange(30.0), range(2, 5))
    with pytest.raises(ValueError, match="X"):
        kmix.select_k(np.zeros((0, 2)), range(2, 5))


def test_bad_n_threads(X30):
    with pytest.raises(ValueError, match="n_threads"):
        kmix.select_k(X30, range(2, 5), n_threads=0)


# ---- to_dict ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "method,ks",
    [
        ("silhouette", range(1, 6)),
        ("elbow", range(1, 6)),
        ("bic", range(1, 5)),
        ("aic", range(1, 5)),
        ("gap", range(1, 5)),
    ],
)
def test_to_dict_is_json(method, ks):
    X, _ = polygon_blobs(3, n=90, seed=19)
    result = kmix.select_k(X, ks, method=method, random_state=0, n_refs=3)
    d = result.to_dict()
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    assert back["method"] == method and back["best_k"] == result.best_k == 3
    assert back["k_values"] == list(ks)
    assert set(back["scores"]) == set(result.scores)
    for name, values in result.scores.items():
        assert len(back["scores"][name]) == len(ks)
        for v, w in zip(values, back["scores"][name]):
            assert (w is None) if np.isnan(v) else (w == float(v))
    if method == "silhouette":
        assert back["scores"]["silhouette"][0] is None  # k = 1


def test_repr():
    X, _ = polygon_blobs(2, n=60, seed=20)
    r = kmix.select_k(X, range(2, 5), random_state=0)
    assert "best_k=2" in repr(r) and "silhouette" in repr(r)


# ---- plot ------------------------------------------------------------------------------------
CURVE = {"silhouette": "silhouette", "elbow": "inertia", "bic": "bic", "aic": "aic", "gap": "gap"}


def curve_line(ax, ks):
    """The drawn curve: the line whose x data are all the ks."""
    for line in ax.lines:
        if len(line.get_xdata()) == len(ks) and np.array_equal(np.asarray(line.get_xdata(), dtype=float), ks):
            return line
    raise AssertionError(f"no line over k = {list(ks)} in {ax.lines}")


@pytest.mark.parametrize("method", ["silhouette", "elbow", "bic", "aic", "gap"])
def test_plot_renders_png(method, tmp_path):
    X, _ = polygon_blobs(3, n=90, seed=21)
    ks = list(range(1, 6)) if method != "gap" else list(range(2, 6))
    result = kmix.select_k(X, ks, method=method, random_state=0, n_refs=3)
    n_figs = len(plt.get_fignums())
    ax = result.plot()
    try:
        assert isinstance(ax, matplotlib.axes.Axes)
        assert len(plt.get_fignums()) == n_figs + 1
        # the curve is the method's scores over k, the chosen k is marked at its score
        line = curve_line(ax, np.asarray(ks, dtype=float))
        np.testing.assert_allclose(np.asarray(line.get_ydata(), dtype=float), result.scores[CURVE[method]])
        best_value = result.scores[CURVE[method]][ks.index(result.best_k)]
        marked = [
            ln
            for ln in ax.lines
            if len(ln.get_xdata()) == 1
            and ln.get_xdata()[0] == result.best_k
            and np.isclose(ln.get_ydata()[0], best_value)
        ]
        assert marked, "the chosen k is not marked"
        path = tmp_path / f"{method}.png"
        ax.figure.savefig(path)
        data = path.read_bytes()
        assert data[:8] == PNG_SIGNATURE and len(data) > 1000
    finally:
        plt.close(ax.figure)


def test_plot_on_existing_ax(tmp_path):
    X, _ = polygon_blobs(3, n=90, seed=22)
    result = kmix.select_k(X, range(1, 6), method="elbow", random_state=0)
    fig, (ax1, ax2) = plt.subplots(1, 2)
    try:
        n_figs = len(plt.get_fignums())
        assert len(ax2.lines) == 0
        out = result.plot(ax=ax2)
        assert out is ax2
        assert len(plt.get_fignums()) == n_figs  # no new figure
        assert len(ax1.lines) == 0 and len(ax2.lines) >= 2
        line = curve_line(ax2, np.arange(1, 6, dtype=float))
        np.testing.assert_allclose(line.get_ydata(), result.scores["inertia"])
        fig.savefig(tmp_path / "two.png")
        assert (tmp_path / "two.png").read_bytes()[:8] == PNG_SIGNATURE
    finally:
        plt.close(fig)


# ---- method="bgmm": one Bayesian mixture, its weights above a threshold ----------------------
def bgmm_reference(X, k_max, random_state, threshold=0.01, **params):
    """A direct fit of the default mixture select_k documents, counted here: (number of weights
    above the threshold, the weights in decreasing order)."""
    bg = kmix.BayesianGaussianMixture(
        n_components=k_max,
        weight_concentration_prior_type="dirichlet_process",
        max_iter=500,
        n_init=1,
        random_state=random_state,
        **params,
    ).fit(X)
    return int((bg.weights_ > threshold).sum()), np.sort(bg.weights_)[::-1]


@pytest.mark.parametrize("k", [3, 5])
@pytest.mark.parametrize("seed", [1, 2])
def test_bgmm_known_k(k, seed):
    X, _ = polygon_blobs(k, n=300, seed=seed)
    result = kmix.select_k(X, range(1, 11), method="bgmm", random_state=seed)
    assert isinstance(result, kmix.SelectKResult)
    assert result.method == "bgmm"
    assert result.best_k == result.n_effective == k, result.scores
    assert isinstance(result.best_k, int)
    assert result.k_values == list(range(1, 11))  # component ranks
    assert result.weight_threshold == 0.01
    weights = result.scores["weight"]
    assert list(result.scores) == ["weight"] and len(weights) == 10
    assert all(a >= b for a, b in zip(weights, weights[1:]))  # decreasing
    assert abs(sum(weights) - 1) < 1e-12
    # the count and the weights of a direct fit, and scikit-learn's on the same data
    count, ref = bgmm_reference(X, 10, seed)
    assert count == k
    close(weights, ref, rtol=0, atol=1e-15)
    from sklearn.mixture import BayesianGaussianMixture as SkBGMM

    sk = SkBGMM(
        n_components=10, weight_concentration_prior_type="dirichlet_process", max_iter=500, random_state=seed
    ).fit(X)
    assert int((sk.weights_ > 0.01).sum()) == k
    close(weights, np.sort(sk.weights_)[::-1], rtol=0, atol=1e-9)
    assert result.curve()[0] == "weight"
    close(result.curve()[1], weights, rtol=0, atol=0)


def test_bgmm_range_starting_above_one_and_float32():
    X, _ = polygon_blobs(4, n=400, seed=3)
    result = kmix.select_k(X, range(2, 9), method="bgmm", random_state=0)
    assert result.best_k == 4 and result.k_values == list(range(1, 9))
    assert result.best_k == bgmm_reference(X, 8, 0)[0]
    r32 = kmix.select_k(X.astype(np.float32), range(2, 9), method="bgmm", random_state=0)
    assert r32.best_k == 4
    close(r32.scores["weight"], result.scores["weight"], rtol=0, atol=1e-4)


@pytest.mark.parametrize("threshold", [0.001, 0.05, 0.2, 0.3])
def test_bgmm_threshold_counts_weights(threshold):
    X, _ = polygon_blobs(3, n=300, seed=4, std=2.5)  # overlapping: the weights are not all equal
    result = kmix.select_k(X, range(1, 9), method="bgmm", random_state=2, weight_threshold=threshold)
    count, ref = bgmm_reference(X, 8, 2, threshold)
    close(result.scores["weight"], ref, rtol=0, atol=1e-15)
    assert result.n_effective == count == int(np.count_nonzero(np.asarray(result.scores["weight"]) > threshold))
    assert result.best_k == max(count, 1)
    assert result.weight_threshold == threshold


def test_bgmm_count_is_clipped_into_k_range():
    X, _ = polygon_blobs(5, n=600, seed=5)
    high = kmix.select_k(X, range(1, 4), method="bgmm", random_state=0)  # 3 components: all used
    assert high.k_values == [1, 2, 3] and high.n_effective == 3 and high.best_k == 3
    low = kmix.select_k(X, range(7, 11), method="bgmm", random_state=0)  # 5 found, below 7
    assert low.n_effective == 5 == bgmm_reference(X, 10, 0)[0]
    assert low.best_k == 7 and low.k_values == list(range(1, 11))
    above = kmix.select_k(X, [2, 3, 4], method="bgmm", random_state=0)  # 4 components, all used
    assert above.n_effective == 4 and above.best_k == 4
    # a threshold no weight reaches: clipped up to min(k_range)
    none = kmix.select_k(X, [2, 6], method="bgmm", random_state=0, weight_threshold=0.9)
    assert none.n_effective == 0 and none.best_k == 2
    single = kmix.select_k(X, [6], method="bgmm", random_state=0)
    assert single.best_k == 6 and single.n_effective == 5 and single.k_values == list(range(1, 7))


def test_bgmm_is_not_rescaled():
    # A mixture is not scale-free (reg_covar has X's units): X is fitted as given, as for bic/aic,
    # so at 2^-500 times X (where a k-means fit would be rescaled) the weights are those of the
    # direct fit on the tiny X, not those found on X.
    X, _ = polygon_blobs(3, n=150, seed=6)
    tiny = X * 2.0**-500
    result = kmix.select_k(tiny, range(1, 6), method="bgmm", random_state=0, weight_threshold=0.05)
    bg = kmix.BayesianGaussianMixture(n_components=5, max_iter=500, random_state=0).fit(tiny)
    close(result.scores["weight"], np.sort(bg.weights_)[::-1], rtol=0, atol=0)
    assert result.best_k == int((bg.weights_ > 0.05).sum())
    assert kmix.select_k(X, range(1, 6), method="bgmm", random_state=0, weight_threshold=0.05).best_k == 3


def test_bgmm_custom_estimators():
    from sklearn.mixture import BayesianGaussianMixture as SkBGMM

    X, _ = polygon_blobs(3, n=300, seed=7)
    est = kmix.BayesianGaussianMixture(
        n_components=2,
        covariance_type="diag",
        weight_concentration_prior_type="dirichlet_distribution",
        weight_concentration_prior=1e-3,
        max_iter=300,
        random_state=4,
    )
    params = est.get_params()
    result = kmix.select_k(X, range(2, 8), method="bgmm", estimator=est)
    assert est.get_params() == params and fitted_attrs(est) == []  # copied, never fitted
    ref = kmix.BayesianGaussianMixture(**{**params, "n_components": 7}).fit(X)
    close(result.scores["weight"], np.sort(ref.weights_)[::-1], rtol=0, atol=0)
    assert result.best_k == int((ref.weights_ > 0.01).sum()) == 3
    sk_est = SkBGMM(n_components=1, max_iter=500, random_state=4)
    sk_result = kmix.select_k(X, range(2, 8), method="bgmm", estimator=sk_est)
    assert fitted_attrs(sk_est) == []
    sk = SkBGMM(n_components=7, max_iter=500, random_state=4).fit(X)
    close(sk_result.scores["weight"], np.sort(sk.weights_)[::-1], rtol=0, atol=0)
    assert sk_result.best_k == int((sk.weights_ > 0.01).sum()) == 3


def test_bgmm_n_threads_and_seed():
    X, _ = polygon_blobs(4, n=400, seed=8, std=2.0)
    a = kmix.select_k(X, range(1, 9), method="bgmm", random_state=3, n_threads=1)
    b = kmix.select_k(X, range(1, 9), method="bgmm", random_state=3, n_threads=2)
    assert a.scores == b.scores and a.best_k == b.best_k
    assert kmix.select_k(X, range(1, 9), method="bgmm", random_state=3).scores == a.scores


@pytest.mark.parametrize("threshold", [0, 1, -0.1, 1.5, np.nan, np.inf, -np.inf])
def test_bgmm_bad_threshold_value(X30, threshold):
    with pytest.raises(ValueError, match="weight_threshold"):
        kmix.select_k(X30, range(2, 5), method="bgmm", weight_threshold=threshold)


@pytest.mark.parametrize("threshold", ["0.01", None, True, [0.01], 1j])
def test_bgmm_bad_threshold_type(X30, threshold):
    with pytest.raises(TypeError, match="weight_threshold"):
        kmix.select_k(X30, range(2, 5), method="bgmm", weight_threshold=threshold)


def test_threshold_is_checked_for_every_method(X30):
    # as n_refs: a bad value is an error whatever the method, a good one changes nothing else
    with pytest.raises(ValueError, match="weight_threshold"):
        kmix.select_k(X30, range(2, 5), weight_threshold=2.0)
    a = kmix.select_k(X30, range(2, 5), random_state=0)
    b = kmix.select_k(X30, range(2, 5), random_state=0, weight_threshold=0.3)
    assert a.scores == b.scores and a.best_k == b.best_k and a.to_dict() == b.to_dict()
    assert "weight_threshold" not in a.to_dict()


@pytest.mark.parametrize(
    "estimator",
    [
        kmix.GaussianMixture(),
        kmix.KMeans(n_init=1),
        SkGaussianMixture(),
        DBSCAN(),
        object(),
        "bgmm",
        kmix.BayesianGaussianMixture,
    ],
    ids=["gmm", "kmeans", "sk_gmm", "dbscan", "object", "str", "class"],
)
def test_bgmm_needs_a_bayesian_mixture(X30, estimator):
    with pytest.raises(TypeError, match="estimator"):
        kmix.select_k(X30, range(2, 5), method="bgmm", estimator=estimator)


def test_bgmm_estimator_without_weights(X30):
    class NoWeights(kmix.BayesianGaussianMixture):
        def fit(self, X, y=None, sample_weight=None):
            return self

    with pytest.raises(TypeError, match="weights_"):
        kmix.select_k(X30, range(2, 5), method="bgmm", estimator=NoWeights())


def test_bgmm_to_dict_is_json():
    X, _ = polygon_blobs(3, n=300, seed=9)
    result = kmix.select_k(X, range(2, 9), method="bgmm", random_state=0)
    back = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert back == {
        "method": "bgmm",
        "best_k": 3,
        "k_values": list(range(1, 9)),
        "scores": {"weight": result.scores["weight"]},
        "weight_threshold": 0.01,
        "n_effective": 3,
    }
    assert all(type(w) is float for w in back["scores"]["weight"])
    assert "bgmm" in repr(result) and "best_k=3" in repr(result)


@pytest.mark.parametrize("k_range,threshold", [(range(1, 9), 0.01), (range(5, 9), 0.01), (range(1, 7), 0.2)])
def test_bgmm_plot(k_range, threshold, tmp_path):
    X, _ = polygon_blobs(3, n=300, seed=10, std=1.5)
    result = kmix.select_k(X, k_range, method="bgmm", random_state=0, weight_threshold=threshold)
    ranks = np.arange(1, max(k_range) + 1, dtype=float)
    n_figs = len(plt.get_fignums())
    ax = result.plot()
    try:
        assert isinstance(ax, matplotlib.axes.Axes)
        assert len(plt.get_fignums()) == n_figs + 1
        assert ax.get_title() == "select_k (bgmm)"
        # the sorted weights as one bar per rank
        assert len(ax.patches) == len(ranks)
        assert all(isinstance(b, matplotlib.patches.Rectangle) for b in ax.patches)
        centers = np.array([b.get_x() + b.get_width() / 2 for b in ax.patches])
        heights = np.array([b.get_height() for b in ax.patches])
        np.testing.assert_allclose(centers, ranks)
        np.testing.assert_allclose(heights, result.scores["weight"])
        # the threshold: a horizontal line at its height across the axes
        flat = [
            ln
            for ln in ax.lines
            if len(set(np.asarray(ln.get_ydata(), dtype=float))) == 1
            and np.isclose(ln.get_ydata()[0], threshold)
            and len(ln.get_xdata()) == 2
        ]
        assert flat, "no threshold line"
        # the chosen k marked at its weight
        best_w = result.scores["weight"][result.best_k - 1]
        marked = [
            ln
            for ln in ax.lines
            if len(ln.get_xdata()) == 1 and ln.get_xdata()[0] == result.best_k and np.isclose(ln.get_ydata()[0], best_w)
        ]
        assert marked, "the chosen k is not marked"
        assert any(str(result.best_k) in t.get_text() for t in ax.get_legend().get_texts())
        path = tmp_path / "bgmm.png"
        ax.figure.savefig(path)
        data = path.read_bytes()
        assert data[:8] == PNG_SIGNATURE and len(data) > 1000
    finally:
        plt.close(ax.figure)


def test_bgmm_plot_on_existing_ax():
    X, _ = polygon_blobs(3, n=300, seed=11)
    result = kmix.select_k(X, range(1, 7), method="bgmm", random_state=0)
    fig, (ax1, ax2) = plt.subplots(1, 2)
    try:
        assert result.plot(ax=ax2) is ax2
        assert len(ax1.patches) == 0 and len(ax2.patches) == 6
    finally:
        plt.close(fig)
