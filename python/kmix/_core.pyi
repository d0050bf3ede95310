"""Type stub of kmix._core, the compiled kernels (cpp/bindings/*.cpp).

Written from the pybind11 bindings; tests/test_typing.py checks it against the built module
(the same names, and each function's argument names and defaults as pybind11 reports them).

The bindings never convert: an array argument must already have the dtype the kernel reads
(float32 or float64 data; int32/int64 CSR indices; float64 parameters), be C-contiguous and
aligned (and writeable where the kernel writes), else TypeError; shapes are checked against each
other (ValueError). Those dtypes are not expressed here: arrays are ``NDArray[Any]``, and the
results named in a dict are ``dict[str, Any]``.
"""

from typing import Any

from numpy.typing import NDArray

# ---- module.cpp: build and ISA facts -----------------------------------------------------------
def isa() -> str:
    """ISA level of the kernels in use."""

def available_isas() -> list[str]:
    """ISA levels built and supported by this CPU."""

def select_isa(name: str) -> bool:
    """Use this ISA level; False if unavailable."""

def max_threads() -> int:
    """OpenMP threads a kernel would use (1 in a child made by fork())."""

def in_forked_child() -> bool:
    """Whether this process is a child made by fork() after import."""

def build_info() -> dict[str, Any]:
    """{compiler, openmp, openmp_spec (with OpenMP), avx512 (emulated builds only), pybind11}."""

# ---- kmeans.cpp, kmeans_args.hpp, elkan.cpp: k-means ------------------------------------------
def lloyd(
    X: NDArray[Any],
    sample_weight: NDArray[Any] | None,
    centers_init: NDArray[Any],
    max_iter: int,
    tol: float,
    verbose: bool,
    n_threads: int,
    mean: NDArray[Any] | None = None,
) -> dict[str, Any]:
    """Lloyd iterations from centers_init: {centers, labels, inertia, n_iter, strict, distances,
    iter_inertia, iter_shift}."""

def elkan(
    X: NDArray[Any],
    sample_weight: NDArray[Any] | None,
    centers_init: NDArray[Any],
    max_iter: int,
    tol: float,
    verbose: bool,
    n_threads: int,
    mean: NDArray[Any] | None = None,
) -> dict[str, Any]:
    """Elkan's iterations from centers_init: the dict of lloyd."""

def hamerly(
    X: NDArray[Any],
    sample_weight: NDArray[Any] | None,
    centers_init: NDArray[Any],
    max_iter: int,
    tol: float,
    verbose: bool,
    n_threads: int,
    mean: NDArray[Any] | None = None,
) -> dict[str, Any]:
    """Hamerly's iterations from centers_init: the dict of lloyd."""

def _elkan_every_step(on: bool) -> bool:
    """Testing only: every elkan step after the first a bounded one; returns the previous setting."""

def kmeans_plusplus(
    X: NDArray[Any],
    sample_weight: NDArray[Any],
    n_clusters: int,
    first: int,
    uniforms: NDArray[Any],
    n_trials: int,
    n_threads: int,
) -> NDArray[Any]:
    """Greedy k-means++: the indices of the chosen rows (int64)."""

def lloyd_chunk(
    X: NDArray[Any], sample_weight: NDArray[Any] | None, centers: NDArray[Any], n_threads: int
) -> dict[str, Any]:
    """One assignment of X's rows to the centers: {sums (k×d), weights (k), inertia}, float64."""

def average_centers(sums: NDArray[Any], weights: NDArray[Any], old_centers: NDArray[Any]) -> dict[str, Any]:
    """New centers from summed cluster sums and weights: {centers, shift}."""

def center(X: NDArray[Any], in_place: bool, n_threads: int) -> dict[str, Any]:
    """{X: X − mean or X itself, mean, centred}."""

def mean_variance(X: NDArray[Any], n_threads: int) -> float:
    """np.var(X, axis=0).mean(), computed in float64."""

def abs_max(X: NDArray[Any], n_threads: int) -> float:
    """The largest |x| of a 1-D array: NaN if any value is NaN, 0 for an empty array."""

def assign(X: NDArray[Any], centers: NDArray[Any], n_threads: int) -> NDArray[Any]:
    """The nearest center of each row of X (the lowest index on ties), int32."""

def inertia(
    X: NDArray[Any],
    sample_weight: NDArray[Any] | None,
    centers: NDArray[Any],
    labels: NDArray[Any],
    n_threads: int,
) -> float:
    """Σ w_i ‖x_i − c_{labels_i}‖²."""

def minibatch_step(
    X: NDArray[Any],
    rows: NDArray[Any] | None,
    m: int,
    sample_weight: NDArray[Any] | None,
    centers_old: NDArray[Any],
    centers_new: NDArray[Any],
    weight_sums: NDArray[Any],
    n_threads: int,
) -> dict[str, Any]:
    """One mini-batch step on rows[:m] of X (X's first m rows if rows is None): {labels, inertia}."""

def sq_distances(X: NDArray[Any], centers: NDArray[Any], n_threads: int) -> NDArray[Any]:
    """‖x_i − c_j‖² for every row and center (n×k)."""

def draw_rows(cdf: NDArray[Any], u: NDArray[Any], n_threads: int) -> NDArray[Any]:
    """cdf.searchsorted(u, side='right'), clipped to the last row (int64)."""

# ---- gmm.cpp: Gaussian mixtures (cov_type 0 full, 1 tied, 2 diag, 3 spherical) -----------------
def gmm_estimate(
    X: NDArray[Any],
    sample_weight: NDArray[Any] | None,
    resp: NDArray[Any],
    cov_type: int,
    reg_covar: float,
    n_threads: int,
) -> dict[str, Any]:
    """Parameters from responsibilities: {weights, means, covariances, precisions_cholesky}."""

def gmm_em(
    X: NDArray[Any],
    sample_weight: NDArray[Any] | None,
    cov_type: int,
    weights: NDArray[Any],
    means: NDArray[Any],
    prec_chol: NDArray[Any],
    max_iter: int,
    tol: float,
    reg_covar: float,
    lower_bound: float,
    n_threads: int,
) -> dict[str, Any]:
    """EM from the given parameters: {weights, means, covariances, precisions_cholesky, n_iter,
    converged, lower_bound, lower_bounds, seconds}."""

def gmm_pass_stats(
    X: NDArray[Any],
    sample_weight: NDArray[Any] | None,
    cov_type: int,
    weights: NDArray[Any],
    means: NDArray[Any],
    prec_chol: NDArray[Any],
    shift: NDArray[Any],
    about: NDArray[Any],
    given_resp: NDArray[Any] | None,
    n_threads: int,
) -> NDArray[Any]:
    """Sufficient statistics of one E-step pass over X (float64)."""

def gmm_score(
    X: NDArray[Any],
    cov_type: int,
    weights: NDArray[Any],
    means: NDArray[Any],
    prec_chol: NDArray[Any],
    log_prob_norm: bool,
    resp: bool,
    labels: bool,
    n_threads: int,
) -> dict[str, Any]:
    """One E-step: {log_prob_norm, resp, labels}, each None unless asked for."""

def gmm_m_step(
    stats: NDArray[Any],
    cov_type: int,
    n_components: int,
    n_features: int,
    about: NDArray[Any],
    shift: NDArray[Any],
    floor: NDArray[Any],
    reg_covar: float,
    initial: bool,
) -> dict[str, Any]:
    """The M-step from summed statistics: {weights, means, covariances, precisions_cholesky}."""

# ---- linkage.cpp: hierarchical clustering (metric 0 sqeuclidean, 1 euclidean, 2 cityblock, 3 cosine)
def linkage_ward(X: NDArray[Any], n_threads: int) -> NDArray[Any]:
    """Ward linkage of the rows of X: scipy's Z, (n − 1)×4 float64."""

def linkage_centroid(X: NDArray[Any], method: int, n_threads: int) -> NDArray[Any]:
    """Centroid (5) or median (6) linkage of the rows of X on their centers: scipy's Z, (n − 1)×4."""

def linkage_single(
    X: NDArray[Any], metric: int, norms: NDArray[Any] | None, n_threads: int, smaller_first: bool = True
) -> NDArray[Any]:
    """Single linkage of the rows of X (Prim's spanning tree): scipy's Z."""

def pdist(X: NDArray[Any], metric: int, norms: NDArray[Any] | None, n_threads: int) -> NDArray[Any]:
    """The condensed distance matrix of the rows of X (float64), as scipy's pdist."""

def linkage_condensed(D: NDArray[Any], n: int, method: int, n_threads: int) -> NDArray[Any]:
    """Linkage from a condensed distance matrix, which is overwritten: scipy's Z."""

def linkage_square(buf: NDArray[Any], n: int, method: int, n_threads: int) -> NDArray[Any]:
    """linkage_condensed's tree from buf: n·n float64 ending in the condensed matrix (overwritten)."""

def linkage_square_observations(
    X: NDArray[Any], metric: int, norms: NDArray[Any] | None, method: int, buf: NDArray[Any], n_threads: int
) -> NDArray[Any]:
    """linkage_square's tree from the rows of X (pdist's distances); buf: n·n float64 of workspace."""

def optimal_leaf_ordering(children: NDArray[Any], D: NDArray[Any], n_threads: int) -> NDArray[Any]:
    """1 (uint8) for each row of the tree whose two children must be exchanged."""

# ---- graph_linkage.cpp: linkage along a connectivity graph (CSR: float64, int64, int64) --------
def graph_ward(
    X: NDArray[Any], data: NDArray[Any], indices: NDArray[Any], indptr: NDArray[Any], merges: int
) -> dict[str, Any]:
    """Ward's merges along a symmetric graph: {children, distances, parent, n_leaves}."""

def graph_linkage(
    data: NDArray[Any], indices: NDArray[Any], indptr: NDArray[Any], method: int, merges: int
) -> dict[str, Any]:
    """Average (0) or complete (1) linkage along a graph of edge lengths: {children, distances,
    parent, n_leaves}."""

def graph_single(data: NDArray[Any], indices: NDArray[Any], indptr: NDArray[Any]) -> dict[str, Any]:
    """Single linkage along a connected graph of edge lengths: {children, distances, parent, n_leaves}."""

def graph_components(data: NDArray[Any], indices: NDArray[Any], indptr: NDArray[Any]) -> dict[str, Any]:
    """Connected components of a graph: {count, labels}."""

# ---- soft_kmeans.cpp ---------------------------------------------------------------------------
def soft_kmeans(
    X: NDArray[Any],
    sample_weight: NDArray[Any] | None,
    centers: NDArray[Any],
    beta: float,
    max_iter: int,
    tol: float,
    n_threads: int,
) -> dict[str, Any]:
    """Soft k-means from the given centers: {centers, n_iter, shift}."""

def soft_assign(
    X: NDArray[Any],
    centers: NDArray[Any],
    beta: float,
    log_norm: bool,
    resp: bool,
    labels: bool,
    n_threads: int,
) -> dict[str, Any]:
    """{log_prob_norm, resp, labels}, each None unless asked for."""

# ---- metrics.cpp -------------------------------------------------------------------------------
def silhouette_sorted(X: NDArray[Any], starts: NDArray[Any], n_threads: int) -> NDArray[Any]:
    """Silhouette of each row of X, whose rows are sorted by cluster (float64)."""

def silhouette_csr(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_features: int,
    starts: NDArray[Any],
    metric: str,
    n_threads: int,
) -> NDArray[Any]:
    """Silhouette of each row of a CSR matrix sorted by cluster; metric 'euclidean', 'sqeuclidean'
    or 'cityblock' (float64)."""

# ---- sparse_kmeans.cpp: k-means on a CSR matrix (data, indices, indptr, n_features) ------------
def sparse_lloyd(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_features: int,
    sample_weight: NDArray[Any] | None,
    centers_init: NDArray[Any],
    max_iter: int,
    tol: float,
    verbose: bool,
    n_threads: int,
) -> dict[str, Any]:
    """Lloyd iterations on a CSR matrix: the dict of lloyd."""

def sparse_kmeans_plusplus(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_features: int,
    sample_weight: NDArray[Any],
    n_clusters: int,
    first: int,
    uniforms: NDArray[Any],
    n_trials: int,
    n_threads: int,
) -> NDArray[Any]:
    """Greedy k-means++ on a CSR matrix: the indices of the chosen rows (int64)."""

def sparse_assign(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_features: int,
    centers: NDArray[Any],
    n_threads: int,
) -> NDArray[Any]:
    """The nearest center of each row of a CSR matrix, int32."""

def sparse_inertia(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_features: int,
    sample_weight: NDArray[Any] | None,
    centers: NDArray[Any],
    labels: NDArray[Any],
    n_threads: int,
) -> float:
    """Σ w_i ‖x_i − c_{labels_i}‖² for a CSR matrix."""

def sparse_sq_distances(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_features: int,
    centers: NDArray[Any],
    n_threads: int,
) -> NDArray[Any]:
    """‖x_i − c_j‖² for every row of a CSR matrix and center."""

def sparse_minibatch_step(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_features: int,
    sample_weight: NDArray[Any] | None,
    centers_old: NDArray[Any],
    centers_new: NDArray[Any],
    weight_sums: NDArray[Any],
    rows: NDArray[Any] | None,
    n_threads: int,
) -> dict[str, Any]:
    """One mini-batch step on the rows `rows` of a CSR matrix (None: all of them): {labels, inertia}."""

def sparse_lloyd_chunk(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_features: int,
    sample_weight: NDArray[Any] | None,
    centers: NDArray[Any],
    n_threads: int,
) -> dict[str, Any]:
    """One assignment of a CSR matrix's rows to the centers: {sums, weights, inertia}, float64."""

def sparse_nearest(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_features: int,
    sample_weight: NDArray[Any] | None,
    centers: NDArray[Any],
    n_threads: int,
) -> dict[str, Any]:
    """The nearest center of each row of a CSR matrix, the squared distance to it and Σ w·distance:
    {labels, distances, inertia}."""
