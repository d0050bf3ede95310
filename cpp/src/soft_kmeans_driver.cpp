// Soft k-means iterations on the Gaussian-mixture pass kernel (see soft_kmeans_driver.hpp).
// Compiled once, for the baseline ISA.
#include "kmix/soft_kmeans_driver.hpp"

#include <cmath>
#include <vector>

#include "kmix/kmeans_driver.hpp"  // column_means

namespace kmix {
namespace {

// The model of the pass: spherical precision 2β (its Cholesky factor √(2β)), equal log weights
// (0: constants cancel in the responsibilities), means about the shift.
struct SoftModel {
  std::vector<double> about, prec_chol, log_norm;
  GmmModel model;
  SoftModel(const double* centers, index_t k, index_t d, double beta, const std::vector<double>& shift)
      : about(centers, centers + k * d), prec_chol(k, std::sqrt(2.0 * beta)), log_norm(k, 0.0) {
    for (index_t c = 0; c < k; ++c)
      for (index_t j = 0; j < d; ++j) about[c * d + j] -= shift[j];
    model = GmmModel{CovType::spherical, k, d, shift.data(), about.data(), prec_chol.data(), log_norm.data()};
  }
};

}  // namespace

template <class T>
SoftResult soft_kmeans(const T* X, const T* w, index_t n, index_t d, double* centers, index_t k, double beta,
                       index_t max_iter, double tol, int threads) {
  const std::vector<double> shift = column_means(X, n, d, threads);
  std::vector<double> st(gmm_stats_size(CovType::spherical, k, d));
  GmmPassOut<T> out;
  out.stats = st.data();
  SoftResult r;
  for (index_t it = 1; it <= max_iter; ++it) {
    check_interrupt();
    const SoftModel m(centers, k, d, beta, shift);
    gmm_kernels_for<T>().pass(X, w, n, m.model, out, threads);
    const double* N = st.data() + 2;
    const double* S1 = N + k;  // Σ r·(x − shift − about)
    r.shift = 0.0;
    for (index_t c = 0; c < k; ++c) {
      if (!(N[c] > 0.0)) continue;
      for (index_t j = 0; j < d; ++j) {
        const double next = m.about[c * d + j] + S1[c * d + j] / N[c] + shift[j];
        const double delta = next - centers[c * d + j];
        r.shift += delta * delta;
        centers[c * d + j] = next;
      }
    }
    r.n_iter = it;
    if (r.shift <= tol) break;
  }
  return r;
}

template <class T>
void soft_assign(const T* X, index_t n, index_t d, const double* centers, index_t k, double beta,
                 const GmmPassOut<T>& out, int threads) {
  std::vector<double> shift(d, 0.0);
  for (index_t c = 0; c < k; ++c)
    for (index_t j = 0; j < d; ++j) shift[j] += centers[c * d + j] / double(k);
  const SoftModel m(centers, k, d, beta, shift);
  gmm_kernels_for<T>().pass(X, nullptr, n, m.model, out, threads);
}

#define KMIX_INSTANTIATE(T)                                                                                           \
  template SoftResult soft_kmeans<T>(const T*, const T*, index_t, index_t, double*, index_t, double, index_t, double, \
                                     int);                                                                            \
  template void soft_assign<T>(const T*, index_t, index_t, const double*, index_t, double, const GmmPassOut<T>&, int);
KMIX_INSTANTIATE(float)
KMIX_INSTANTIATE(double)
#undef KMIX_INSTANTIATE

}  // namespace kmix
