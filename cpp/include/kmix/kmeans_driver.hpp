// The k-means loops around the ISA kernels (kmeans.hpp): Lloyd iterations with scikit-learn's
// convergence rules, empty-cluster relocation, and greedy k-means++ seeding.
#pragma once
#include <vector>

#include "kmix/isa.hpp"

namespace kmix {

struct LloydResult {
  index_t n_iter = 0;             // iterations run (scikit-learn's n_iter_)
  double inertia = 0.0;           // Σ w_i ‖x_i − c_{label_i}‖² at the returned centers
  bool strict = false;            // stopped because no label changed
  std::vector<double> iter_inertia;  // per iteration, only when verbose
  std::vector<double> iter_shift;    // Σ_c ‖c_new − c_old‖² per iteration
};

// Lloyd's algorithm from `centers` (k×d, overwritten with the result); labels (n) out.
// w may be null (unit weights). tol is absolute (scikit-learn's _tol).
template <class T>
LloydResult lloyd(const T* X, const T* w, index_t n, index_t d, T* centers, index_t k,
                  index_t max_iter, double tol, bool verbose, int threads, int* labels);

// Greedy k-means++ (Arthur & Vassilvitskii; n_trials candidates per step), drawing with the given
// uniforms so that the same random stream picks the same points as scikit-learn: `first` is the
// first center, uniforms holds (k−1)·n_trials values in [0, 1). chosen (k) out.
template <class T>
void kmeans_plusplus(const T* X, const T* w, index_t n, index_t d, index_t k, index_t first,
                     const double* uniforms, index_t n_trials, int threads, index_t* chosen);

// Column means of X (n×d, float64 sums over fixed blocks, combined in order) into mean (d), and
// out = X − mean (out may be X itself; null: means only). Both passes are parallel, so a fresh `out` is also
// paged in by all threads.
template <class T>
void center_columns(const T* X, index_t n, index_t d, T* out, T* mean, int threads);

}  // namespace kmix
