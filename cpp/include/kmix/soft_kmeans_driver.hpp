// Soft k-means: responsibilities r(k, n) ∝ exp(−β·‖x_n − c_k‖²), centers c_k = Σ_n r·x_n / Σ_n r.
// It is a Gaussian mixture with equal weights and spherical precision 2β held fixed, so each
// iteration is one pass of the mixture kernel (gmm.hpp): a stable log-sum-exp, sums in float64.
#pragma once
#include "kmix/isa.hpp"

namespace kmix {

struct SoftResult {
  index_t n_iter = 0;
  double shift = 0.0;  // Σ_k ‖c_k,new − c_k,old‖² of the last iteration
};

// From centers (k×d, float64, overwritten) until the squared center shift is <= tol (tol = 0:
// until the centers stop moving) or max_iter iterations. w may be null. A center that receives
// no responsibility at all stays where it is.
template <class T>
SoftResult soft_kmeans(const T* X, const T* w, index_t n, index_t d, double* centers, index_t k, double beta,
                       index_t max_iter, double tol, int threads);

// Responsibilities / log Σ_k exp(−β‖x − c_k‖²) / nearest center, for new data.
template <class T>
void soft_assign(const T* X, index_t n, index_t d, const double* centers, index_t k, double beta,
                 const GmmPassOut<T>& out, int threads);

}  // namespace kmix
