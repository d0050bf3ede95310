"""Score workloads: the silhouette (O(n²) distances, never the n×n matrix in kmix)."""

import numpy as np

from kmix.metrics import silhouette_score

from ._agreement import rel_diff
from ._timing import alternate, summarize, timed
from .kmeans import make_blobs


def silhouette(ctx, n, d, k):
    """silhouette_score of the blobs' labels (Euclidean, every row); time per call."""
    X, _ = make_blobs(n, d, k, box=3.0)
    labels = np.random.default_rng(1).integers(0, k, size=n)
    labels[: 10 * k] = np.arange(10 * k) % k  # every label present
    calls = {"kmix": lambda: silhouette_score(X, labels, n_threads=ctx.threads)}
    if "sklearn" in ctx.peers:
        from sklearn.metrics import silhouette_score as sk_silhouette

        calls["sklearn"] = lambda: sk_silhouette(X, labels)
    results = alternate({name: (lambda fn=fn: timed(fn, ctx.threads)) for name, fn in calls.items()}, ctx.repeat)
    times = summarize(results)
    agreement = {}
    if "sklearn" in times:
        ours, theirs = times["kmix"]["result"], times["sklearn"]["result"]
        agreement["sklearn"] = {
            "score": [ours, theirs],
            "score_rel_diff": rel_diff(ours, theirs),
            "ok": rel_diff(ours, theirs) <= 1e-9,
        }
    # n² distances of d subtractions and multiply-adds and one square root each
    return {
        "per": "call",
        "times": times,
        "agreement": agreement,
        "dtype": "float64",
        "flops": n * n * (3 * d + 1),
        "bytes": None,
    }
