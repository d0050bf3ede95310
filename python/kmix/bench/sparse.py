"""Sparse workloads (issue 21): KMeans, k-means++ and MiniBatchKMeans on a TF-IDF-like CSR matrix.

The data: documents drawn from a few topics, each topic a permutation of Zipf-distributed term
popularities (the r-th most popular term with probability ∝ 1/r); a document draws about
density·d terms with replacement from its topic (repeats are its term counts), the counts are
weighted by scikit-learn's smooth idf and every row is L2-normalised, as TfidfVectorizer's
output. kmix and scikit-learn get the same scipy.sparse matrix and the same init.

Throughput: the flops are the sparse distance products (2·nnz·k per pass) and the bytes are the
CSR arrays read once (values, column indices, row pointers), against the machine's stream
bandwidth: a Lloyd iteration reads them at least twice (assignment, cluster sums).
"""

import numpy as np

import kmix

from ._agreement import adjusted_rand_index, max_abs_diff, max_rel_diff, rel_diff
from ._peers import Skip
from .kmeans import AGREE_TOL, per_iteration_times, plusplus_times
from .minibatch import fits_against_sklearn

# MiniBatchKMeans: batches of 4096 rows for 3 epochs, no early stop (timed per fit)
MINIBATCH = dict(batch_size=4096, max_iter=3, max_no_improvement=None, tol=0.0, compute_labels=True, random_state=0)


def _scipy_sparse():
    try:
        import scipy.sparse
    except ImportError:
        raise Skip("needs scipy for the sparse matrix: pip install scipy (or kmix[bench])") from None
    return scipy.sparse


def make_tfidf(n, d, density, dtype="float64", topics=20, seed=0):
    """A TF-IDF-like n×d CSR matrix (see the module docstring) with about density·n·d nonzeros
    (fewer: repeated terms merge), rows sorted and canonical."""
    sp = _scipy_sparse()
    rng = np.random.default_rng(seed)
    per_row = max(1, int(round(density * d)))
    lengths = np.maximum(1, rng.poisson(per_row, size=n))
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    cdf = np.cumsum(1.0 / np.arange(1, d + 1))
    cdf /= cdf[-1]
    ranks = np.minimum(np.searchsorted(cdf, rng.random(rows.size), side="right"), d - 1)
    perms = np.stack([rng.permutation(d) for _ in range(topics)]).astype(np.int32)
    topic = rng.integers(0, topics, size=n)
    cols = perms[topic[rows], ranks]
    X = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, d))  # duplicates summed: counts
    X.sum_duplicates()
    df = np.bincount(X.indices, minlength=d)
    X.data *= (np.log((1.0 + n) / (1.0 + df)) + 1.0)[X.indices]
    norms = np.sqrt(np.add.reduceat(X.data**2, X.indptr[:-1])) if X.nnz else np.ones(n)
    norms[np.diff(X.indptr) == 0] = 1.0  # reduceat's value for an empty row is meaningless
    X.data /= np.repeat(norms, np.diff(X.indptr))
    X = X.astype(dtype)
    X.sort_indices()
    return X


def _csr_bytes(X):
    return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes


def _init_rows(X, k, seed=1):
    """k distinct nonempty rows of X, dense: the init every library gets."""
    rng = np.random.default_rng(seed)
    nonempty = np.flatnonzero(np.diff(X.indptr))
    return X[np.sort(rng.choice(nonempty, size=k, replace=False))].toarray()


def kmeans(ctx, n, d, k, density=0.002, dtype="float64", max_iter=20):
    """Lloyd on the TF-IDF matrix: time per iteration of a fit with the same init, n_init=1, tol=0."""
    X = make_tfidf(n, d, density, dtype)
    init = _init_rows(X, k)
    common = dict(n_clusters=k, init=init, n_init=1, tol=0.0, max_iter=max_iter)
    makers = {"kmix": lambda: kmix.KMeans(**common, n_threads=ctx.threads)}
    if "sklearn" in ctx.peers:
        from sklearn.cluster import KMeans

        makers["sklearn"] = lambda: KMeans(**common, algorithm="lloyd")
    times = per_iteration_times(ctx, X, makers)
    ours = times["kmix"]["result"]
    agreement = {}
    if "sklearn" in times:
        theirs = times["sklearn"]["result"]
        ag = agreement["sklearn"] = {
            "ari": adjusted_rand_index(ours.labels_, theirs.labels_),
            "inertia_rel_diff": rel_diff(ours.inertia_, theirs.inertia_),
            "centers_max_diff": max_abs_diff(ours.cluster_centers_, theirs.cluster_centers_),
            "centers_rel_diff": max_rel_diff(ours.cluster_centers_, theirs.cluster_centers_),
            "n_iter": [int(ours.n_iter_), int(theirs.n_iter_)],
        }
        # the same algorithm and arithmetic: the same answer is expected
        ag["ok"] = ag["ari"] == 1.0 and ag["centers_rel_diff"] <= AGREE_TOL[np.dtype(dtype).name]
    return {
        "per": "iteration",
        "times": times,
        "agreement": agreement,
        "dtype": np.dtype(dtype).name,
        "flops": 2 * X.nnz * k,
        "bytes": _csr_bytes(X),
        "extra": {"nnz": int(X.nnz)},
    }


def plusplus(ctx, n, d, k, density=0.002, dtype="float64"):
    """Greedy k-means++ on the TF-IDF matrix (2 + log k local trials), same random_state; per call."""
    X = make_tfidf(n, d, density, dtype)
    times = plusplus_times(ctx, X, k)
    agreement = {}
    if "sklearn" in times:
        (ours, our_idx), (theirs, their_idx) = times["kmix"]["result"], times["sklearn"]["result"]
        same = int(np.count_nonzero(np.asarray(our_idx) == np.asarray(their_idx)))
        agreement["sklearn"] = {"same_rows": same, "of": k, "centers_max_diff": max_abs_diff(ours, theirs)}
        if np.dtype(dtype) == np.float64:
            agreement["sklearn"]["ok"] = same == k
    trials = 2 + int(np.log(k))
    return {
        "per": "call",
        "times": times,
        "agreement": agreement,
        "dtype": np.dtype(dtype).name,
        "flops": 2 * X.nnz * k * (trials + 1),
        "bytes": _csr_bytes(X) * k * 2,
        "extra": {"nnz": int(X.nnz)},
    }


def minibatch(ctx, n, d, k, density=0.002, dtype="float64"):
    """MiniBatchKMeans on the TF-IDF matrix: batch_size=4096, 3 epochs, no early stop, the same
    random_state (kmix draws the same batches); time per fit."""
    X = make_tfidf(n, d, density, dtype)
    params = dict(MINIBATCH, n_clusters=k, batch_size=min(MINIBATCH["batch_size"], n))
    times, agreement, ours = fits_against_sklearn(ctx, X, params)
    steps = int(ours.n_steps_)
    batch_nnz = X.nnz * params["batch_size"] / n
    # streamed: each step's batch (values and column indices), and X once more for the final labels
    per_nnz = X.data.itemsize + X.indices.itemsize
    return {
        "per": "fit",
        "times": times,
        "agreement": agreement,
        "dtype": np.dtype(dtype).name,
        "flops": (steps * batch_nnz + X.nnz) * 2 * k,
        "bytes": (steps * batch_nnz + X.nnz) * per_nnz,
        "extra": {"nnz": int(X.nnz)},
    }
