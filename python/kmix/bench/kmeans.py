"""k-means workloads: Lloyd iterations, k-means++ seeding, predict on one row.

Every workload gets the same generated data and init for kmix and each peer, and returns its
timings (seconds per `per`), the arithmetic and bytes of one `per` for kmix, and the agreement of
each peer's answer with kmix's.
"""

import numpy as np

import kmix
from kmix._threads import effective_n_threads

from ._agreement import adjusted_rand_index, inertia, max_abs_diff, max_rel_diff, nearest_sq_dist, rel_diff
from ._timing import alternate, call_latency, summarize, timed

AGREE_TOL = {"float64": 1e-9, "float32": 1e-4}  # center rel. difference that counts as the same answer


def per_iteration_times(ctx, X, makers):
    """Each maker's estimator fitted on X, alternating, after a warm-up fit of 2 iterations each:
    summarize's times, per iteration."""

    def run(name, iters=None):
        est = makers[name]()
        if iters is not None:
            est.max_iter = iters
        return timed(lambda: est.fit(X), ctx.threads)

    for name in makers:  # warm-up
        run(name, 2)
    results = alternate({name: (lambda name=name: run(name)) for name in makers}, ctx.repeat)
    return summarize(results, lambda s, est: s / est.n_iter_)


def make_blobs(n, d, k, dtype="float64", seed=0, box=1.0):
    """k Gaussian blobs (unit noise, centers uniform in [-box, box]^d) and k distinct rows of X as
    an init. The blobs overlap, so Lloyd keeps moving for all the timed iterations."""
    rng = np.random.default_rng(seed)
    true_centers = rng.uniform(-box, box, size=(k, d)).astype(dtype)
    X = rng.standard_normal((n, d), dtype=np.dtype(dtype).type)
    X += true_centers[rng.integers(0, k, size=n)]
    init = X[rng.choice(n, size=k, replace=False)].copy()
    return X, init


class _FaissKMeans:
    """faiss's k-means behind the estimator attributes used here (float32; faiss has no float64)."""

    def __init__(self, k, init, max_iter, threads):
        self.k, self.init, self.max_iter, self.threads = k, np.ascontiguousarray(init, np.float32), max_iter, threads

    def fit(self, X32):
        import faiss

        if self.threads:
            faiss.omp_set_num_threads(self.threads)
        km = faiss.Kmeans(
            X32.shape[1],
            self.k,
            niter=self.max_iter,
            min_points_per_centroid=1,
            max_points_per_centroid=X32.shape[0],
            seed=0,
            verbose=False,
        )
        km.train(X32, init_centroids=self.init)
        self.cluster_centers_ = km.centroids
        self.labels_ = km.index.search(X32, 1)[1].ravel()
        self.n_iter_ = self.max_iter
        self.index_ = km.index
        return self


def _kmeans_makers(k, init, max_iter, threads, peers):
    common = dict(n_clusters=k, init=init, n_init=1, tol=0.0, max_iter=max_iter)
    makers = {"kmix": lambda: kmix.KMeans(**common, n_threads=threads)}
    if "sklearn" in peers:
        from sklearn.cluster import KMeans

        makers["sklearn"] = lambda: KMeans(**common, algorithm="lloyd")
    if "sklearnex" in peers:
        from sklearnex.cluster import KMeans as XKMeans

        makers["sklearnex"] = lambda: XKMeans(**common, algorithm="lloyd")
    if "faiss" in peers:
        makers["faiss"] = lambda: _FaissKMeans(k, init, max_iter, threads)
    return makers


def fit_agreement(ours, theirs, X):
    """How a peer's fitted k-means compares with kmix's: ARI of the labels, relative difference of
    the inertia (computed with numpy for peers that do not report one), largest center difference
    (absolute, and relative to the largest |center|) and both iteration counts."""
    their_inertia = getattr(theirs, "inertia_", None)
    if their_inertia is None:
        their_inertia = inertia(X, theirs.cluster_centers_, theirs.labels_)
    return {
        "ari": adjusted_rand_index(ours.labels_, theirs.labels_),
        "inertia_rel_diff": rel_diff(ours.inertia_, their_inertia),
        "centers_max_diff": max_abs_diff(ours.cluster_centers_, theirs.cluster_centers_),
        "centers_rel_diff": max_rel_diff(ours.cluster_centers_, theirs.cluster_centers_),
        "n_iter": [int(ours.n_iter_), int(theirs.n_iter_)],
    }


def fit(ctx, n, d, k, dtype="float64", max_iter=20):
    """Lloyd: time per iteration of a fit with the same init, n_init=1, tol=0 (fit time / n_iter_)."""
    X, init = make_blobs(n, d, k, dtype)
    makers = _kmeans_makers(k, init, max_iter, ctx.threads, ctx.peers)
    X32 = X.astype(np.float32) if "faiss" in makers else None  # faiss computes in float32 only

    def run(name, iters=None):
        est = makers[name]()
        if iters is not None:
            est.max_iter = iters
        data = X32 if name == "faiss" else X
        return timed(lambda: est.fit(data), ctx.threads)

    for name in makers:  # warm-up: thread pools, caches, first-call costs
        run(name, 2)
    results = alternate({name: (lambda name=name: run(name)) for name in makers}, ctx.repeat)
    times = summarize(results, lambda s, est: s / est.n_iter_)
    ours = times["kmix"]["result"]
    agreement = {}
    for name in makers:
        if name != "kmix":
            agreement[name] = fit_agreement(ours, times[name]["result"], X)
            if name == "sklearn":  # the same algorithm and arithmetic: the same answer is expected
                ag = agreement[name]
                ag["ok"] = ag["ari"] == 1.0 and ag["centers_rel_diff"] <= AGREE_TOL[np.dtype(dtype).name]
    return {
        "per": "iteration",
        "times": times,
        "agreement": agreement,
        "dtype": np.dtype(dtype).name,
        "flops": 2 * n * k * d + n * d,
        "bytes": n * d * X.itemsize,
    }


def elkan(ctx, n, d, k, dtype="float64", max_iter=20, box=1.0):
    """KMeans(algorithm="elkan"): time per iteration of a fit with the same init, n_init=1, tol=0,
    against kmix's Lloyd ("kmix-lloyd") and scikit-learn's elkan; all three must give the same
    answer. box: the blobs' centers are uniform in [-box, box]^d (1: overlapping, as kmeans.fit's
    data; 10: well separated, where the bounds skip most distances). flops: a Lloyd iteration's."""
    X, init = make_blobs(n, d, k, dtype, box=box)
    common = dict(n_clusters=k, init=init, n_init=1, tol=0.0, max_iter=max_iter)
    makers = {
        "kmix": lambda: kmix.KMeans(**common, algorithm="elkan", n_threads=ctx.threads),
        "kmix-lloyd": lambda: kmix.KMeans(**common, algorithm="lloyd", n_threads=ctx.threads),
    }
    if "sklearn" in ctx.peers:
        from sklearn.cluster import KMeans

        makers["sklearn"] = lambda: KMeans(**common, algorithm="elkan")
    times = per_iteration_times(ctx, X, makers)
    ours = times["kmix"]["result"]
    agreement = {}
    for name in makers:
        if name != "kmix":
            ag = agreement[name] = fit_agreement(ours, times[name]["result"], X)
            ag["ok"] = ag["ari"] == 1.0 and ag["centers_rel_diff"] <= AGREE_TOL[np.dtype(dtype).name]
    return {
        "per": "iteration",
        "times": times,
        "agreement": agreement,
        "dtype": np.dtype(dtype).name,
        "flops": 2 * n * k * d + n * d,
        "bytes": n * d * X.itemsize,
    }


def plusplus_times(ctx, X, k):
    """kmix's and (if a peer) scikit-learn's kmeans_plusplus(X, k, random_state=0), each called once
    to warm up, then alternating: summarize's times, per call (results: (centers, indices))."""
    calls = {"kmix": lambda: kmix.kmeans_plusplus(X, k, random_state=0, n_threads=ctx.threads)}
    if "sklearn" in ctx.peers:
        from sklearn.cluster import kmeans_plusplus

        calls["sklearn"] = lambda: kmeans_plusplus(X, k, random_state=0)
    for fn in calls.values():
        fn()
    results = alternate({name: (lambda fn=fn: timed(fn, ctx.threads)) for name, fn in calls.items()}, ctx.repeat)
    return summarize(results)


def plusplus(ctx, n, d, k, dtype="float64"):
    """Greedy k-means++ seeding (2 + log k local trials), same random_state; time per call."""
    X, _ = make_blobs(n, d, k, dtype)
    times = plusplus_times(ctx, X, k)
    ours, our_idx = times["kmix"]["result"]
    agreement = {}
    for name in times:
        if name != "kmix":
            theirs, their_idx = times[name]["result"]
            potential = [float(nearest_sq_dist(X, c).sum()) for c in (ours, theirs)]
            agreement[name] = {
                "same_rows": int(np.count_nonzero(np.asarray(our_idx) == np.asarray(their_idx))),
                "of": k,
                "centers_max_diff": max_abs_diff(ours, theirs),
                "potential_rel_diff": rel_diff(*potential),
            }
            if np.dtype(dtype) == np.float64:  # float32: scikit-learn's float32 distances pick other rows
                agreement[name]["ok"] = agreement[name]["same_rows"] == k
    trials = 2 + int(np.log(k))
    return {
        "per": "call",
        "times": times,
        "agreement": agreement,
        "dtype": np.dtype(dtype).name,
        "flops": 3 * n * d * k * trials,
        "bytes": n * d * X.itemsize * k * (trials + 1),
    }


def predict_latency(ctx, n=10_000, d=16, k=8, dtype="float64", calls=2000):
    """predict on one row of a fitted model: median latency of single calls."""
    X, init = make_blobs(n, d, k, dtype)
    makers = _kmeans_makers(k, init, 300, ctx.threads, ctx.peers)
    models = {}
    for name, make in makers.items():
        data = X.astype(np.float32) if name == "faiss" else X
        models[name] = make().fit(data)
    row = np.ascontiguousarray(X[:1])
    fns = {}
    for name, model in models.items():
        if name == "faiss":
            row32 = row.astype(np.float32)
            fns[name] = lambda index=model.index_: index.search(row32, 1)
        else:
            fns[name] = lambda model=model: model.predict(row)
    times = call_latency(fns, calls, threads=ctx.threads)
    head = X[:1000]
    agreement = {}
    for name, model in models.items():
        if name == "kmix":
            continue
        theirs = model.index_.search(head.astype(np.float32), 1)[1].ravel() if name == "faiss" else model.predict(head)
        agreement[name] = {
            "ari": adjusted_rand_index(models["kmix"].predict(head), theirs),
            "centers_max_diff": max_abs_diff(models["kmix"].cluster_centers_, model.cluster_centers_),
        }
    return {
        "per": "call",
        "times": times,
        "agreement": agreement,
        "dtype": np.dtype(dtype).name,
        "flops": 3 * k * d,
        "bytes": None,
    }


# kmix's algorithms in the large-k family; Elkan only while its n·k float32 bounds fit in 1 GB
# (scikit-learn's elkan allocates as much, in X's dtype).
_LARGE_K_ELKAN_BYTES = 1 << 30


def large_k(ctx, n, d, k, dtype="float64", box=5.0):
    """Whole KMeans fits at large k: k-means++ (random_state=0, n_init=1), the default tol and
    max_iter, time per fit (seeding included). "kmix" is algorithm="auto"; kmix's Lloyd, Hamerly
    and Elkan (while its bounds fit in 1 GB) run too, and must give Lloyd's answer. Peers:
    scikit-learn's lloyd and elkan (the same seeds in float64, so the same answer),
    scikit-learn-intelex (its own k-means++), faiss (float32; no k-means++ nor tol: it starts from
    kmix's seeds and runs kmix's iteration count, its time without the seeding). Data: k blobs of
    unit noise whose centers are uniform in [-box, box]^d (box=5: clusters a few noise widths apart,
    as embeddings of distinct topics; 1: overlapping). Also reported: the share of row-center
    distances each bounded algorithm skipped, over the fit (from the same seeds as Lloyd's)."""
    X, _ = make_blobs(n, d, k, dtype, box=box)
    common = dict(n_clusters=k, init="k-means++", n_init=1, random_state=0)
    algorithms = ["auto", "lloyd", "hamerly"] + (["elkan"] if 4 * n * k <= _LARGE_K_ELKAN_BYTES else [])
    makers = {
        ("kmix" if a == "auto" else f"kmix-{a}"): (
            lambda a=a: kmix.KMeans(**common, algorithm=a, n_threads=ctx.threads)
        )
        for a in algorithms
    }
    seeds = None
    if "sklearn" in ctx.peers:
        from sklearn.cluster import KMeans

        makers["sklearn"] = lambda: KMeans(**common, algorithm="lloyd")
        makers["sklearn-elkan"] = lambda: KMeans(**common, algorithm="elkan")
    if "sklearnex" in ctx.peers:
        from sklearnex.cluster import KMeans as XKMeans

        makers["sklearnex"] = lambda: XKMeans(**common, algorithm="lloyd")
    if "faiss" in ctx.peers:
        seeds, _ = kmix.kmeans_plusplus(X, k, random_state=0, n_threads=ctx.threads)
        iters = int(kmix.KMeans(**common, n_threads=ctx.threads).fit(X).n_iter_)
        X32 = np.ascontiguousarray(X, dtype=np.float32)
        makers["faiss"] = lambda: _FaissKMeans(k, seeds, iters, ctx.threads)

    def run(name):
        est = makers[name]()
        return timed(lambda: est.fit(X32 if name == "faiss" else X), ctx.threads)

    results = alternate({name: (lambda name=name: run(name)) for name in makers}, ctx.repeat)
    times = summarize(results)
    ours, lloyd = times["kmix"]["result"], times["kmix-lloyd"]["result"]
    agreement = {}
    for name in makers:
        if name == "kmix":
            continue
        ag = agreement[name] = fit_agreement(ours, times[name]["result"], X)
        # kmix's algorithms are exact: Lloyd's answer; scikit-learn from the same float64 seeds too
        if name.startswith("kmix-") or (name.startswith("sklearn") and name != "sklearnex" and dtype == "float64"):
            ag["ok"] = ag["ari"] == 1.0 and ag["centers_rel_diff"] <= AGREE_TOL[np.dtype(dtype).name]
    skipped = _skipped_distances(X, k, algorithms, lloyd, ctx.threads)
    iters = int(lloyd.n_iter_)
    return {
        "per": "fit",
        "times": times,
        "agreement": agreement,
        "dtype": np.dtype(dtype).name,
        "flops": (2 * n * k * d + n * d) * iters,
        "bytes": None,
        "extra": {"n_iter": iters, "algorithm": kmix.kmeans.choose_algorithm(n, d, k), "skipped_distances": skipped},
    }


def _skipped_distances(X, k, algorithms, lloyd, threads):
    """The share of row-center distances each bounded algorithm did not compute, against Lloyd's
    n·k per assignment, over a fit from Lloyd's seeds (X centred, the default tol: as KMeans)."""
    Xc = np.ascontiguousarray(X - X.mean(axis=0))
    seeds, _ = kmix.kmeans_plusplus(X, k, random_state=0, n_threads=threads)
    seeds = np.ascontiguousarray(seeds - X.mean(axis=0), dtype=X.dtype)
    tol = float(np.mean(X.var(axis=0))) * 1e-4
    nt = effective_n_threads(threads)
    fits = {
        a: getattr(kmix._core, a)(Xc, None, seeds.copy(), 300, tol, False, nt, None)
        for a in algorithms
        if a in ("lloyd", "hamerly", "elkan")
    }
    full = fits["lloyd"]["distances"]
    return {a: 1.0 - r["distances"] / full for a, r in fits.items() if a != "lloyd"}
