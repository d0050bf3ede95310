"""MiniBatchKMeans workload: a whole fit, the same random_state (kmix draws the same batches)."""

import numpy as np

import kmix

from ._agreement import adjusted_rand_index, max_abs_diff, rel_diff
from ._timing import alternate, summarize, timed

PARAMS = dict(batch_size=8192, max_iter=3, max_no_improvement=None, tol=0.0, compute_labels=True, random_state=0)


def make_data(n, d=10, k=8, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-5, 5, size=(k, d)).astype(np.float32)
    X = rng.standard_normal((n, d), dtype=np.float32)
    X += centers[rng.integers(0, k, size=n)]
    return X


def fits_against_sklearn(ctx, X, params):
    """kmix's and (if a peer) scikit-learn's MiniBatchKMeans(**params) fitted on X, alternating:
    (times, agreement, kmix's fitted model)."""
    makers = {"kmix": lambda: kmix.MiniBatchKMeans(**params, n_threads=ctx.threads)}
    if "sklearn" in ctx.peers:
        from sklearn.cluster import MiniBatchKMeans

        makers["sklearn"] = lambda: MiniBatchKMeans(**params)
    results = alternate(
        {name: (lambda make=make: timed(lambda: make().fit(X), ctx.threads)) for name, make in makers.items()},
        ctx.repeat,
    )
    times = summarize(results)
    ours = times["kmix"]["result"]
    agreement = {}
    if "sklearn" in times:
        theirs = times["sklearn"]["result"]
        agreement["sklearn"] = {
            "ari": adjusted_rand_index(ours.labels_, theirs.labels_),
            "inertia_rel_diff": rel_diff(ours.inertia_, theirs.inertia_),
            "centers_max_diff": max_abs_diff(ours.cluster_centers_, theirs.cluster_centers_),
            "n_steps": [int(ours.n_steps_), int(theirs.n_steps_)],
        }
    return times, agreement, ours


def fit(ctx, n, d=10, k=8):
    """float32 blobs, batch_size=8192, max_iter=3 epochs, no early stop; time per fit."""
    X = make_data(n, d, k)
    params = dict(PARAMS, n_clusters=k, batch_size=min(PARAMS["batch_size"], n))
    times, agreement, ours = fits_against_sklearn(ctx, X, params)
    steps = int(ours.n_steps_)
    return {
        "per": "fit",
        "times": times,
        "agreement": agreement,
        "dtype": "float32",
        "flops": (steps * params["batch_size"] + n) * 2 * k * d,
        "bytes": None,
    }
