"""The workloads of each suite. Sizes are for scale=1; `standard` reproduces every speed figure
the README quotes, `smoke` is a check that finishes in well under 2 minutes on 2 cores, `full`
adds the sizes that take minutes (or that only kmix can run)."""

from . import kmeans, linkage, metrics, minibatch, mixture, scale_out, sparse, spherical

COV_TYPES = ("full", "diag", "tied", "spherical")


class Workload:
    """A named measurement: fn(ctx, **params) returns timings, agreement, flops and bytes.
    `peers` limits the peers it runs (a peer that would take minutes there); `repeat` caps the
    repeats."""

    def __init__(self, name, fn, peers=None, repeat=None, **params):
        self.name, self.fn, self.params, self.peers, self.repeat = name, fn, params, peers, repeat
        self.family = name.split(".")[0]

    def scaled(self, scale):
        """The same workload with n (and the number of latency calls) times `scale`, kept large
        enough for the algorithm (at least 20 rows per cluster)."""
        if scale == 1:
            return self
        p = dict(self.params)
        k = p.get("k", 20)
        if "n" in p:
            p["n"] = max(int(p["n"] * scale), 20 * k, 200)
        if "calls" in p:
            p["calls"] = max(int(p["calls"] * scale), 50)
        return Workload(self.name, self.fn, peers=self.peers, repeat=self.repeat, **p)

    def label(self):
        p = self.params
        parts = [self.name]
        if "n" in p:
            parts.append(f"n={p['n']}" + (f" d={p['d']}" if "d" in p else ""))
        if "k" in p:
            parts.append(f"k={p['k']}")
        if "density" in p:
            parts.append(f"density={100 * p['density']:g}%")
        for key in ("dtype", "covariance_type", "method"):
            if key in p:
                parts.append(str(p[key]))
        if "box" in p:
            parts.append(f"box={p['box']:g}")
        if self.peers is not None:
            parts.append(f"(peers: {', '.join(self.peers) or 'none'})")
        return " ".join(parts)


def _kmeans_fits(shapes):
    return [Workload("kmeans.fit", kmeans.fit, n=n, d=d, k=k, dtype=dt) for n, d, k, dt in shapes]


SMOKE = [
    *_kmeans_fits([(100_000, 16, 8, "float64"), (20_000, 64, 64, "float32")]),
    Workload("kmeans.plusplus", kmeans.plusplus, n=100_000, d=16, k=8),
    Workload("kmeans.predict", kmeans.predict_latency, n=10_000, d=16, k=8, calls=1000),
    Workload("gmm.fit", mixture.fit, n=20_000, d=8, k=8, covariance_type="full"),
    Workload("gmm.fit", mixture.fit, n=20_000, d=8, k=8, covariance_type="diag"),
    Workload("gmm.predict_proba", mixture.predict_proba_latency, n=10_000, d=8, k=8, calls=1000),
    Workload("bgmm.fit", mixture.bayesian_fit, n=20_000, d=8, k=8, covariance_type="full"),
    Workload("linkage", linkage.fit, n=5_000, d=8, method="ward"),
    Workload("linkage", linkage.fit, n=2_000, d=8, method="single"),
    Workload("linkage", linkage.fit, n=2_000, d=8, method="average"),
    Workload("linkage.connectivity", linkage.connectivity, n=5_000, d=8, method="ward", repeat=1, peers=("sklearn",)),
    Workload("minibatch.fit", minibatch.fit, n=200_000, d=10, k=8),
    Workload("silhouette", metrics.silhouette, n=5_000, d=8, k=8),
    Workload("sparse.kmeans", sparse.kmeans, n=20_000, d=5_000, k=20, density=0.004, dtype="float64"),
    Workload("sparse.minibatch", sparse.minibatch, n=50_000, d=5_000, k=20, density=0.004, dtype="float64"),
    Workload("kmeans-large-k", kmeans.large_k, n=6_000, d=8, k=64),
    Workload("spherical", spherical.fit, n=20_000, d=128, k=20, dtype="float32"),
    Workload("spherical", spherical.fit, n=20_000, d=5_000, k=20, density=0.004, dtype="float64"),
]

# Whole fits at large k (k-means++ and the default tol): kmix's algorithms against each other and
# every k-means peer. scikit-learn's seeding alone takes minutes at (50k, 768, 1000).
LARGE_K = [
    Workload("kmeans-large-k", kmeans.large_k, n=n, d=d, k=k, dtype=dt, repeat=r)
    for n, d, k, dt, r in [
        (200_000, 16, 256, "float64", None),
        (100_000, 64, 1024, "float32", None),
        (1_000_000, 8, 128, "float64", None),
        (50_000, 768, 1000, "float32", 2),
    ]
]

# TF-IDF-like CSR matrices (sparse.make_tfidf): KMeans per Lloyd iteration in both dtypes,
# k-means++ and MiniBatchKMeans, against scikit-learn on the same matrix.
SPARSE = [
    *[
        Workload("sparse.kmeans", sparse.kmeans, n=50_000, d=20_000, k=20, density=0.002, dtype=dt)
        for dt in ("float64", "float32")
    ],
    Workload("sparse.plusplus", sparse.plusplus, n=50_000, d=20_000, k=20, density=0.002),
    Workload("sparse.minibatch", sparse.minibatch, n=200_000, d=20_000, k=20, density=0.002),
]

# SphericalKMeans per iteration: embedding-like float32 rows (against faiss's spherical k-means
# and numpy), and the TF-IDF matrix of SPARSE (against numpy/scipy.sparse).
SPHERICAL = [
    Workload("spherical", spherical.fit, n=100_000, d=384, k=100, dtype="float32"),
    *[
        Workload("spherical", spherical.fit, n=50_000, d=20_000, k=20, density=0.002, dtype=dt)
        for dt in ("float64", "float32")
    ],
]

# KMeans(algorithm="elkan") against kmix's Lloyd and scikit-learn's elkan: the kmeans.fit shape,
# many well-separated clusters, and many overlapping ones in float32.
ELKAN = [
    Workload("kmeans.elkan", kmeans.elkan, n=100_000, d=16, k=8),
    Workload("kmeans.elkan", kmeans.elkan, n=100_000, d=16, k=100, box=10.0),
    Workload("kmeans.elkan", kmeans.elkan, n=50_000, d=128, k=256, dtype="float32"),
]

STANDARD = [
    *_kmeans_fits(
        [
            (100_000, 16, 8, "float64"),
            (1_000_000, 8, 16, "float64"),
            (50_000, 128, 256, "float32"),
            (60_000, 784, 10, "float32"),
        ]
    ),
    *ELKAN,
    Workload("kmeans.plusplus", kmeans.plusplus, n=100_000, d=16, k=8),
    Workload("kmeans.plusplus", kmeans.plusplus, n=50_000, d=128, k=256, dtype="float32"),
    Workload("kmeans.predict", kmeans.predict_latency, n=10_000, d=16, k=8),
    *[
        Workload("gmm.fit", mixture.fit, n=n, d=d, k=k, covariance_type=ct)
        for n, d, k in ((100_000, 8, 8), (20_000, 32, 16))
        for ct in COV_TYPES
    ],
    Workload("gmm.predict_proba", mixture.predict_proba_latency, n=10_000, d=8, k=8),
    *[Workload("bgmm.fit", mixture.bayesian_fit, n=100_000, d=8, k=8, covariance_type=ct) for ct in COV_TYPES],
    Workload("linkage", linkage.fit, n=20_000, d=8, method="ward", peers=("fastcluster",)),  # scipy: ~45 s a run
    *[Workload("linkage", linkage.fit, n=5_000, d=8, method=m) for m in ("ward", "single", "average", "complete")],
    Workload("minibatch.fit", minibatch.fit, n=1_000_000, d=10, k=8),
    Workload("silhouette", metrics.silhouette, n=20_000, d=8, k=8),
    Workload("dask.kmeans", scale_out.dask_kmeans, n=2_000_000, d=8, k=8, chunk_rows=250_000, repeat=3),
    *SPARSE,
    *SPHERICAL,
]

FULL = STANDARD + [
    *_kmeans_fits([(2_000_000, 32, 64, "float32"), (200_000, 64, 1024, "float32")]),
    Workload("linkage", linkage.fit, n=20_000, d=8, method="ward", peers=("scipy",), repeat=1),
    Workload("linkage.memory", linkage.ward_memory, n=100_000, d=8, peers=(), repeat=1),  # kmix alone
    # issue 25: the matrix methods against fastcluster (5k average and complete are in STANDARD)
    *[Workload("linkage", linkage.fit, n=5_000, d=8, method=m) for m in ("weighted", "centroid", "median")],
    *[
        Workload("linkage", linkage.fit, n=20_000, d=8, method=m, peers=("fastcluster",), repeat=3)
        for m in ("complete", "average", "weighted", "centroid", "median")
    ],
    # issue 25: 100k points, a 10-nearest-neighbour graph (each library in its own process)
    *[
        Workload("linkage.connectivity", linkage.connectivity, n=100_000, d=8, method=m, repeat=1, peers=("sklearn",))
        for m in ("ward", "average")
    ],
    Workload("minibatch.fit", minibatch.fit, n=10_000_000, d=10, k=8, peers=()),  # scikit-learn: minutes
    Workload("silhouette", metrics.silhouette, n=50_000, d=16, k=16),
    # issue 21's sizes (a 1M-row MiniBatchKMeans matrix holds 100M nonzeros: several GB to make)
    *[
        Workload("sparse.kmeans", sparse.kmeans, n=100_000, d=50_000, k=20, density=0.002, dtype=dt)
        for dt in ("float64", "float32")
    ],
    Workload("sparse.plusplus", sparse.plusplus, n=100_000, d=50_000, k=20, density=0.002),
    Workload("sparse.minibatch", sparse.minibatch, n=1_000_000, d=50_000, k=20, density=0.002, dtype="float32"),
    *LARGE_K,
]

SUITES = {"smoke": SMOKE, "standard": STANDARD, "full": FULL}
DEFAULT_REPEAT = {"smoke": 3, "standard": 5, "full": 3}
