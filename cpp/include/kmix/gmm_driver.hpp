// Gaussian mixtures fitted by EM, as scikit-learn's GaussianMixture: the iteration, the M-step's
// covariance updates and Cholesky factors, around the one-pass kernel of gmm.hpp.
#pragma once
#include <vector>

#include "kmix/isa.hpp"

namespace kmix {

// A mixture's parameters in float64, in X's coordinates. Sizes by covariance type:
// covariances and prec_chol are k×d×d (full), d×d (tied), k×d (diag) or k (spherical);
// prec_chol is the upper-triangular U with precision = U·Uᵀ (scikit-learn's precisions_cholesky_).
struct GmmParams {
  CovType type;
  index_t k, d;
  std::vector<double> weights, means, covariances, prec_chol;
  GmmParams(CovType type, index_t k, index_t d);
  index_t cov_size() const;
};

struct EmResult {
  index_t n_iter = 0;
  bool converged = false;
  double lower_bound = 0.0;
  std::vector<double> lower_bounds;  // one per iteration
  std::vector<double> seconds;       // wall time of each iteration (for verbose output)
};

// Parameters from given responsibilities (n×k), as scikit-learn's initialization: weights are
// N_c / Σw (not renormalized), then means, covariances (+ reg_covar) and their Cholesky factors.
// Throws std::domain_error when a covariance is not positive definite.
template <class T>
void gmm_estimate(const T* X, const T* w, index_t n, const double* resp, double reg_covar, GmmParams& p, int threads);

// EM from p.weights, p.means, p.prec_chol until |Δ lower bound| < tol or max_iter iterations;
// leaves the last M-step's parameters in p. lower_bound is the bound before the first iteration
// (-inf, or the previous fit's for warm starts).
template <class T>
EmResult gmm_em(const T* X, const T* w, index_t n, GmmParams& p, index_t max_iter, double tol, double reg_covar,
                double lower_bound, int threads);

// For statistics computed elsewhere and summed (kmix.dask: one pass per chunk of rows).
// The statistics (layout in isa.hpp) of one pass over X about `about` (k×d means in the
// coordinates of X − shift): the E-step with p's weights and prec_chol, or, if given_resp is
// not null, with those responsibilities (n×k). stats has gmm_stats_size(p.type, p.k, p.d) values.
template <class T>
void gmm_pass_stats(const T* X, const T* w, index_t n, const GmmParams& p, const double* shift, const double* about,
                    const double* given_resp, double* stats, int threads);
// The M-step from summed statistics: p's weights, means, covariances and prec_chol. floor[j] is
// (64 ulps of max |x_j|)² (see noise_floor); initial: weights over Σw (scikit-learn's init)
// rather than over Σ N. Throws std::domain_error when a covariance is not positive definite.
void gmm_m_step(const std::vector<double>& stats, const std::vector<double>& about, const std::vector<double>& shift,
                const std::vector<double>& floor, double reg_covar, bool initial, GmmParams& p);

// One E-step with p's parameters: any of log p(x), responsibilities, most probable component.
template <class T>
void gmm_score(const T* X, index_t n, const GmmParams& p, const GmmPassOut<T>& out, int threads);

}  // namespace kmix
