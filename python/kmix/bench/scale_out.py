"""Scaling out: kmix.dask.KMeans against dask-ml's KMeans on the same local Dask cluster (two
worker processes, one thread each, loopback), the same data (persisted on the workers) and the
same init array; time per fit."""

import warnings

import numpy as np

from ._agreement import adjusted_rand_index, inertia, max_abs_diff, rel_diff
from ._peers import Skip
from ._timing import alternate, summarize, timed
from .kmeans import make_blobs


def dask_kmeans(ctx, n, d, k, chunk_rows, max_iter=20):
    try:
        import dask.array as da
        from distributed import Client, LocalCluster

        import kmix.dask
    except ImportError:
        raise Skip('needs dask: pip install "dask[array]" distributed') from None
    X, init = make_blobs(n, d, k)
    warnings.filterwarnings("ignore", message="Sending large graph")  # the data, sent once to persist it
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=ctx.threads or 1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        Client(cluster),
    ):
        dX = da.from_array(X, chunks=(chunk_rows, d)).persist()
        common = dict(n_clusters=k, init=init, max_iter=max_iter, tol=0.0)
        makers = {"kmix": lambda: kmix.dask.KMeans(**common)}
        if "dask_ml" in ctx.peers:
            from dask_ml.cluster import KMeans as DaskMLKMeans

            makers["dask_ml"] = lambda: DaskMLKMeans(**common)
        for make in makers.values():  # warm-up (dask-ml compiles its kernels with numba)
            est = make()
            est.max_iter = 2
            est.fit(dX)
        results = alternate(
            {name: (lambda make=make: timed(lambda: make().fit(dX), None)) for name, make in makers.items()}, ctx.repeat
        )
        times = summarize(results)
        ours = times["kmix"]["result"]
        agreement = {}
        if "dask_ml" in times:
            theirs = times["dask_ml"]["result"]
            our_labels = np.asarray(ours.labels_.compute())
            their_labels = np.asarray(
                theirs.labels_.compute() if hasattr(theirs.labels_, "compute") else theirs.labels_
            )
            agreement["dask_ml"] = {
                "ari": adjusted_rand_index(our_labels, their_labels),
                # dask-ml's inertia_ is not the sum of squared distances: both are recomputed here
                "inertia_rel_diff": rel_diff(
                    inertia(X, ours.cluster_centers_, our_labels), inertia(X, theirs.cluster_centers_, their_labels)
                ),
                "centers_max_diff": max_abs_diff(ours.cluster_centers_, theirs.cluster_centers_),
                "n_iter": [int(ours.n_iter_), int(theirs.n_iter_)],
            }
    return {
        "per": "fit",
        "times": times,
        "agreement": agreement,
        "dtype": "float64",
        "flops": (2 * n * k * d + n * d) * max_iter,
        "bytes": n * d * 8 * max_iter,
        "extra": {"chunks": int(np.ceil(n / chunk_rows)), "workers": 2},
    }
