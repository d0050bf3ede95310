// k-means on a CSR matrix (scikit-learn's sparse Lloyd loop, k-means++ and the E-step), around
// the ISA kernels of sparse_kmeans.hpp. X is never centred nor densified: memory is O(nnz + k·d)
// besides X (plus O(n) for labels, norms and the rows grouped by cluster).
#pragma once
#include "kmix/kmeans_driver.hpp"

namespace kmix {

// Lloyd's algorithm from `centers` (k×d, overwritten with the result); labels (n) out; w may be
// null (unit weights); tol absolute. The convergence rules, empty-cluster relocation
// (_relocate_empty_clusters_sparse) and final E-step are scikit-learn's, as in lloyd().
template <class T, class I>
LloydResult sparse_lloyd(const CsrView<T, I>& X, const T* w, T* centers, index_t k, index_t max_iter, double tol,
                         bool verbose, int threads, int* labels);

// Greedy k-means++ as kmeans_plusplus() (kmeans_driver.hpp), the distances from X's sparse rows.
template <class T, class I>
void sparse_kmeans_plusplus(const CsrView<T, I>& X, const T* w, index_t k, index_t first, const double* uniforms,
                            index_t n_trials, int threads, index_t* chosen);

// The nearest of the k centers C (k×d) for each row, the lowest index on ties.
template <class T, class I>
void sparse_assign(const CsrView<T, I>& X, const T* C, index_t k, int* labels, int threads);

// Σ w_i ‖x_i − c_{labels_i}‖² (w may be null), as scikit-learn's _inertia_sparse.
template <class T, class I>
double sparse_inertia(const CsrView<T, I>& X, const T* w, const T* C, index_t k, const int* labels, int threads);

// out (n×k) = ‖x_i − c_j‖², as scikit-learn's euclidean_distances(X, C, squared=True).
template <class T, class I>
void sparse_sq_distances(const CsrView<T, I>& X, const T* C, index_t k, T* out, int threads);

// One mini-batch step on the rows of X (the batch), as minibatch_step() (kmeans_driver.hpp) with
// scikit-learn's _minibatch_update_sparse: labels with centers_old, then each center that got
// weight moves to the weighted mean of its old position (weight_sums[c] times) and its new rows.
// Returns the batch's inertia on centers_old.
template <class T, class I>
double sparse_minibatch_step(const CsrView<T, I>& X, const T* w, const T* centers_old, T* centers_new, T* weight_sums,
                             index_t k, int* labels, int threads);

// One assignment of X's rows (a chunk of a larger data set) to the centers C (k×d), for summing
// over chunks: sums (k×d) and weights (k) of each cluster in float64, as one Lloyd iteration of
// sparse_lloyd() computes them (rows in increasing order within a cluster), before any empty
// cluster is relocated. Returns Σ w_i ‖x_i − c_{label_i}‖².
template <class T, class I>
double sparse_lloyd_chunk(const CsrView<T, I>& X, const T* w, const T* C, index_t k, double* sums, double* weights,
                          int threads);

// The nearest of the k centers C for each row (labels, n; as sparse_assign) and its squared
// distance (dist, n, float64; may be null) as sparse_lloyd() measures it when it relocates empty
// clusters; returns Σ w_i·dist_i (w may be null: ones), sparse_inertia's value, from the same pass.
template <class T, class I>
double sparse_nearest(const CsrView<T, I>& X, const T* w, const T* C, index_t k, int* labels, double* dist,
                      int threads);

// X's rows `rows` (m of them, whose offsets in X.indptr are valid) copied in that order into a CSR
// matrix whose offsets `indptr` (m + 1) are given: its data and indices. False if a copied column
// lies outside [0, X.d) (the copy is then not to be used).
template <class T, class I>
bool gather_rows(const CsrView<T, I>& X, const index_t* rows, index_t m, const I* indptr, T* data, I* indices,
                 int threads);

}  // namespace kmix
