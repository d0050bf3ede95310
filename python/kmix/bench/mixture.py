"""GaussianMixture workloads: EM iterations per covariance type, predict_proba on one row."""

import warnings

import numpy as np

import kmix

from ._agreement import adjusted_rand_index, max_abs_diff, max_rel_diff, rel_diff
from ._timing import alternate, call_latency, summarize, timed


def make_data(n, d, k, seed=0):
    """Overlapping Gaussian blobs of different widths, and each row's blob."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-3, 3, size=(k, d))
    labels = rng.integers(0, k, size=n)
    X = centers[labels] + rng.standard_normal((n, d)) * rng.uniform(0.5, 1.5, size=(k, 1))[labels]
    return X, labels


def init_for(X, labels, k, cov_type):
    """weights_init, means_init and precisions_init from the blobs' labels (what the M-step would
    give for hard responsibilities), so every library starts EM from the same place."""
    weights = np.bincount(labels, minlength=k) / len(labels)
    means = np.stack([X[labels == c].mean(axis=0) for c in range(k)])
    covs = np.stack([np.cov(X[labels == c].T) + 1e-6 * np.eye(X.shape[1]) for c in range(k)])
    if cov_type == "full":
        prec = np.linalg.inv(covs)
    elif cov_type == "tied":
        prec = np.linalg.inv(np.einsum("c,cij->ij", weights, covs))
    elif cov_type == "diag":
        prec = 1.0 / np.stack([np.diag(c) for c in covs])
    else:
        prec = 1.0 / np.array([np.diag(c).mean() for c in covs])
    return {"weights_init": weights, "means_init": means, "precisions_init": prec}


def _per_iteration(ctx, makers, X, warm_rows):
    """Fits of each maker's estimator on X, alternating, after a warm-up on warm_rows rows:
    summarize()'s times per iteration (fit time / n_iter_)."""

    def run(make, data):
        est = make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tol=0 never converges: every library warns
            return timed(lambda: est.fit(data), ctx.threads)

    for make in makers.values():  # warm-up
        run(make, X[:warm_rows])
    results = alternate({name: (lambda make=make: run(make, X)) for name, make in makers.items()}, ctx.repeat)
    return summarize(results, lambda s, est: s / est.n_iter_)


def em_flops(n, d, k, cov_type):
    """Arithmetic of one EM iteration (E-step densities + M-step sums), multiply-adds as 2."""
    tri = d * (d + 1) // 2
    if cov_type == "full":  # x − μ, triangular product, squares; then r·δ, S1 and the δδᵀ triangle
        return n * k * (d + 2 * tri + 2 * d + 3 * d + 2 * tri)
    if cov_type == "tied":  # one triangular product per row, k distances; r·δ, S1; one xxᵀ triangle
        return n * (2 * tri + k * 3 * d + k * 3 * d + 2 * tri)
    return n * k * (3 * d + 5 * d)  # diag / spherical: distance terms; r·δ, S1, S2


def fit(ctx, n, d, k, covariance_type="full", max_iter=10):
    """EM: time per iteration of a fit from the same init, tol=0 (fit time / n_iter_)."""
    X, labels = make_data(n, d, k)
    common = dict(
        n_components=k,
        covariance_type=covariance_type,
        tol=0.0,
        max_iter=max_iter,
        **init_for(X, labels, k, covariance_type),
    )
    makers = {"kmix": lambda: kmix.GaussianMixture(**common, n_threads=ctx.threads)}
    if "sklearn" in ctx.peers:
        from sklearn.mixture import GaussianMixture

        makers["sklearn"] = lambda: GaussianMixture(**common)

    times = _per_iteration(ctx, makers, X, max(n // 10, 10 * k))
    ours = times["kmix"]["result"]
    agreement = {}
    if "sklearn" in times:
        theirs = times["sklearn"]["result"]
        ag = {
            "ari": adjusted_rand_index(ours.predict(X), theirs.predict(X)),
            "loglik_rel_diff": rel_diff(ours.lower_bound_, theirs.lower_bound_),
            "means_max_diff": max_abs_diff(ours.means_, theirs.means_),
            "params_rel_diff": max(
                max_rel_diff(ours.means_, theirs.means_),
                max_rel_diff(ours.covariances_, theirs.covariances_),
                max_rel_diff(ours.weights_, theirs.weights_),
            ),
            "n_iter": [int(ours.n_iter_), int(theirs.n_iter_)],
        }
        ag["ok"] = (
            ag["n_iter"][0] == ag["n_iter"][1] and ag["loglik_rel_diff"] <= 1e-7 and ag["params_rel_diff"] <= 1e-6
        )
        agreement["sklearn"] = ag
    return {
        "per": "iteration",
        "times": times,
        "agreement": agreement,
        "dtype": "float64",
        "flops": em_flops(n, d, k, covariance_type),
        "bytes": n * d * 8,
    }


def predict_proba_latency(ctx, n=10_000, d=8, k=8, covariance_type="full", calls=2000):
    """predict_proba on one row of a fitted model: median latency of single calls."""
    X, labels = make_data(n, d, k)
    common = dict(n_components=k, covariance_type=covariance_type, **init_for(X, labels, k, covariance_type))
    models = {"kmix": kmix.GaussianMixture(**common, n_threads=ctx.threads).fit(X)}
    if "sklearn" in ctx.peers:
        from sklearn.mixture import GaussianMixture

        models["sklearn"] = GaussianMixture(**common).fit(X)
    row = np.ascontiguousarray(X[:1])
    times = call_latency(
        {name: (lambda m=m: m.predict_proba(row)) for name, m in models.items()}, calls, threads=ctx.threads
    )
    agreement = {}
    if "sklearn" in models:
        head = X[:1000]
        agreement["sklearn"] = {
            "proba_max_diff": max_abs_diff(models["kmix"].predict_proba(head), models["sklearn"].predict_proba(head))
        }
    return {"per": "call", "times": times, "agreement": agreement, "dtype": "float64", "flops": None, "bytes": None}


def bayesian_fit(ctx, n, d, k, covariance_type="full", max_iter=10):
    """Variational EM (BayesianGaussianMixture, Dirichlet process): time per iteration of a fit
    from the same start (init_params="random_from_data" draws the same rows in both libraries),
    tol=0 (fit time / n_iter_)."""
    X, _ = make_data(n, d, k)
    common = dict(
        n_components=k,
        covariance_type=covariance_type,
        tol=0.0,
        max_iter=max_iter,
        init_params="random_from_data",
        random_state=0,
    )
    makers = {"kmix": lambda: kmix.BayesianGaussianMixture(**common, n_threads=ctx.threads)}
    if "sklearn" in ctx.peers:
        from sklearn.mixture import BayesianGaussianMixture

        makers["sklearn"] = lambda: BayesianGaussianMixture(**common)

    times = _per_iteration(ctx, makers, X, max(n // 10, 10 * k))
    ours = times["kmix"]["result"]
    agreement = {}
    if "sklearn" in times:
        theirs = times["sklearn"]["result"]
        ag = {
            "ari": adjusted_rand_index(ours.predict(X), theirs.predict(X)),
            "bound_rel_diff": rel_diff(ours.lower_bound_, float(np.ravel(theirs.lower_bound_)[0])),
            "params_rel_diff": max(
                max_rel_diff(ours.means_, theirs.means_),
                max_rel_diff(ours.covariances_, theirs.covariances_),
                max_rel_diff(ours.weights_, theirs.weights_),
            ),
            "n_iter": [int(ours.n_iter_), int(theirs.n_iter_)],
        }
        ag["ok"] = ag["n_iter"][0] == ag["n_iter"][1] and ag["bound_rel_diff"] <= 1e-7 and ag["params_rel_diff"] <= 1e-6
        agreement["sklearn"] = ag
    return {
        "per": "iteration",
        "times": times,
        "agreement": agreement,
        "dtype": "float64",
        "flops": em_flops(n, d, k, covariance_type),
        "bytes": n * d * 8,
    }
