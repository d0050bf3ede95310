"""Spherical (cosine) k-means workloads (issue 24): SphericalKMeans per iteration from the same
unit centers, against faiss's spherical k-means (dense, float32) and a numpy implementation of
the same iteration (dense: X·Cᵀ and argmax by BLAS; sparse: scipy's sparse product).

The dense data are embedding-like: unit directions around a few hundred random topic directions
in d dimensions (each row a topic direction plus Gaussian noise, at a random length, since only
the direction counts); the sparse data are the TF-IDF matrices of bench/sparse.py.
"""

import numpy as np

import kmix
from kmix.spherical import spherical_kmeans_plusplus

from ._agreement import adjusted_rand_index, max_abs_diff
from ._timing import alternate, summarize, timed
from .sparse import _csr_bytes, make_tfidf


def make_embeddings(n, d, k, dtype="float32", seed=0):
    """n rows of d features: k topic directions, each row one of them plus noise, at a random
    length."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((k, d))
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    labels = rng.integers(0, k, size=n)
    X = topics[labels] + rng.standard_normal((n, d)) * (0.9 / np.sqrt(d))
    X *= rng.uniform(0.5, 2.0, size=(n, 1))
    return X.astype(dtype)


class _FaissSpherical:
    """faiss.Kmeans(spherical=True) from the given centers, every row used (no subsampling)."""

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
            spherical=True,
            min_points_per_centroid=1,
            max_points_per_centroid=X32.shape[0],
            seed=0,
            verbose=False,
        )
        # faiss assigns by inner product on the rows as given: it needs unit rows to be cosine.
        Xn = X32 / np.linalg.norm(X32, axis=1, keepdims=True)
        km.train(Xn, init_centroids=self.init)
        self.cluster_centers_ = km.centroids
        self.labels_ = km.index.search(Xn, 1)[1].ravel()
        self.n_iter_ = self.max_iter
        return self


class _NumpySpherical:
    """The iteration in numpy (and scipy.sparse for sparse X): normalize, X·Cᵀ, argmax, sums."""

    def __init__(self, k, init, max_iter):
        self.k, self.init, self.max_iter = k, init, max_iter

    def fit(self, X):
        sparse = hasattr(X, "tocsr")
        if sparse:
            import scipy.sparse as sp

            norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
            Xn = sp.diags(1.0 / norms).astype(X.dtype) @ X
        else:
            Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
        C = self.init.astype(X.dtype)
        n = X.shape[0]
        for _ in range(self.max_iter):
            labels = np.asarray((Xn @ C.T).argmax(axis=1)).ravel()
            if sparse:
                import scipy.sparse as sp

                A = sp.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(self.k, n))
                onehot_sums = np.asarray((A @ Xn).todense())
            else:  # the sums as a product with the one-hot assignment (BLAS), not np.add.at
                onehot = np.zeros((self.k, n), dtype=X.dtype)
                onehot[labels, np.arange(n)] = 1
                onehot_sums = (onehot @ Xn).astype(np.float64)
            norms = np.linalg.norm(onehot_sums, axis=1, keepdims=True)
            C = np.where(norms > 0, onehot_sums / np.where(norms > 0, norms, 1), C).astype(X.dtype)
        self.cluster_centers_ = C
        self.labels_ = np.asarray((Xn @ C.T).argmax(axis=1)).ravel()
        self.n_iter_ = self.max_iter
        return self


def fit(ctx, n, d, k, dtype="float32", density=None, max_iter=10):
    """SphericalKMeans per iteration (tol=0, max_iter iterations from the same unit centers)."""
    X = make_embeddings(n, d, k, dtype) if density is None else make_tfidf(n, d, density, dtype)
    # Every library starts from the same unit centers: k-means++ seeds (cosine), well spread, so
    # that no two seeds share a cluster and split it along a tie that rounding decides.
    init = spherical_kmeans_plusplus(X, k, random_state=0, n_threads=ctx.threads)[0]
    makers = {
        "kmix": lambda: kmix.SphericalKMeans(k, init=init, n_init=1, tol=0.0, max_iter=max_iter, n_threads=ctx.threads),
        "numpy": lambda: _NumpySpherical(k, init, max_iter),
    }
    if "faiss" in ctx.peers and density is None:
        makers["faiss"] = lambda: _FaissSpherical(k, init, max_iter, ctx.threads)

    def run(make, data):
        return timed(lambda: make().fit(data), ctx.threads)

    for make in makers.values():  # warm-up
        run(make, X[: max(n // 20, 4 * k)])
    results = alternate({name: (lambda make=make: run(make, X)) for name, make in makers.items()}, ctx.repeat)
    times = summarize(results, lambda s, est: s / est.n_iter_)
    ours = times["kmix"]["result"]
    agreement = {}
    for name in times:
        if name == "kmix":
            continue
        theirs = times[name]["result"]
        ag = {
            "ari": adjusted_rand_index(ours.labels_, theirs.labels_),
            "centers_max_diff": max_abs_diff(ours.cluster_centers_, theirs.cluster_centers_),
        }
        ag["ok"] = ag["ari"] >= 0.99
        agreement[name] = ag
    nnz = X.nnz if density is not None else n * d
    nbytes = _csr_bytes(X) if density is not None else n * d * np.dtype(dtype).itemsize
    return {
        "per": "iteration",
        "times": times,
        "agreement": agreement,
        "dtype": dtype,
        "flops": 2 * nnz * k,
        "bytes": nbytes,
    }
