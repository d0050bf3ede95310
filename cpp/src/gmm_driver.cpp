// EM for Gaussian mixtures, step for step as scikit-learn's GaussianMixture: E-step with the
// current parameters (its mean log-likelihood is the lower bound), M-step, stop when the bound
// changes by less than tol. The passes over X are the ISA kernel of gmm.hpp; this file turns
// their sufficient statistics into parameters. Compiled once, for the baseline ISA.
#include "kmix/gmm_driver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "kmix/kmeans_driver.hpp"  // column_means

namespace kmix {

GmmParams::GmmParams(CovType type_, index_t k_, index_t d_)
    : type(type_), k(k_), d(d_), weights(k_), means(k_ * d_), covariances(cov_size()), prec_chol(cov_size()) {}

index_t GmmParams::cov_size() const {
  switch (type) {
    case CovType::full: return k * d * d;
    case CovType::tied: return d * d;
    case CovType::diag: return k * d;
    default: return k;
  }
}

namespace {

const double kLog2Pi = std::log(2.0 * 3.14159265358979323846);
// scikit-learn adds 10·eps to each component's weight sum. Sums here are float64 whatever X's
// dtype, so eps is float64's (a float32 fit then equals the float64 fit of the same data).
const double kEps10 = 10.0 * std::numeric_limits<double>::epsilon();

[[noreturn]] void not_positive_definite(const char* what, index_t c, double reg_covar) {
  throw std::domain_error(std::string("GaussianMixture: the ") + what + " of component " + std::to_string(c) +
                          " is not positive definite (a component collapsed onto too few or duplicated points); "
                          "increase reg_covar (now " +
                          std::to_string(reg_covar) + "), use fewer components, or scale the data");
}

// A variance (or Cholesky pivot) of feature j at or below floor[j] counts as zero: floor[j] is
// the square of 64 ulps of the largest |x_j|, so points that differ by less than that are the
// same point. Without it, a component on identical points with reg_covar = 0 would get a
// variance made of rounding (1e-30) and absurd precisions instead of the error that tells the
// user to raise reg_covar; any reg_covar above the floor keeps the component valid, at any
// scale of the data.
template <class T>
std::vector<double> noise_floor(const T* X, index_t n, index_t d, int threads) {
  const Blocks blocks = fixed_blocks(n, 64, d);
  std::vector<double> part(blocks.count * d, 0.0), floor(d, 0.0);
  StopFlag stop;
#pragma omp parallel for schedule(static) num_threads(threads) if (blocks.count > 1)
  for (index_t b = 0; b < blocks.count; ++b) {
    if (stop.stop()) continue;
    for (index_t i = blocks.begin(b); i < blocks.end(b, n); ++i)
      for (index_t j = 0; j < d; ++j) part[b * d + j] = std::max(part[b * d + j], std::abs(double(X[i * d + j])));
  }
  stop.rethrow();
  for (index_t b = 0; b < blocks.count; ++b)
    for (index_t j = 0; j < d; ++j) floor[j] = std::max(floor[j], part[b * d + j]);
  for (index_t j = 0; j < d; ++j) {
    const double ulps = 64.0 * std::numeric_limits<double>::epsilon() * floor[j];
    floor[j] = ulps * ulps;
  }
  return floor;
}

// U (upper triangular, d×d) with U·Uᵀ = cov⁻¹: the transpose of the inverse of cov's lower
// Cholesky factor, as scikit-learn computes it. False if cov is not positive definite.
bool precision_cholesky(const double* cov, index_t d, const double* floor, double* U, std::vector<double>& L) {
  L.assign(d * d, 0.0);
  for (index_t i = 0; i < d; ++i)
    for (index_t j = 0; j <= i; ++j) {
      double s = cov[i * d + j];
      for (index_t p = 0; p < j; ++p) s -= L[i * d + p] * L[j * d + p];
      if (i == j) {
        if (!(s > floor[i])) return false;
        L[i * d + i] = std::sqrt(s);
      } else {
        L[i * d + j] = s / L[j * d + j];
      }
    }
  // Column j of L⁻¹ by forward substitution, written as row j of U = (L⁻¹)ᵀ.
  for (index_t j = 0; j < d; ++j) {
    for (index_t i = 0; i < j; ++i) U[j * d + i] = 0.0;
    for (index_t i = j; i < d; ++i) {
      double s = i == j ? 1.0 : 0.0;
      for (index_t p = j; p < i; ++p) s -= L[i * d + p] * U[j * d + p];
      U[j * d + i] = s / L[i * d + i];
    }
  }
  return true;
}

// Cholesky factors of p.covariances into p.prec_chol; throws if one is not positive definite.
void factor_covariances(GmmParams& p, double reg_covar, const std::vector<double>& floor) {
  const index_t d = p.d;
  std::vector<double> L;
  if (p.type == CovType::full || p.type == CovType::tied) {
    const index_t nmat = p.type == CovType::full ? p.k : 1;
    for (index_t c = 0; c < nmat; ++c)
      if (!precision_cholesky(p.covariances.data() + c * d * d, d, floor.data(), p.prec_chol.data() + c * d * d, L))
        not_positive_definite(p.type == CovType::full ? "covariance" : "tied covariance", c, reg_covar);
  } else {
    const index_t per = p.type == CovType::diag ? d : 1;
    for (index_t i = 0; i < p.cov_size(); ++i) {
      // Spherical variances are means over features: compare with the mean floor.
      double f = 0.0;
      if (per == d) {
        f = floor[i % d];
      } else {
        for (index_t j = 0; j < d; ++j) f += floor[j] / double(d);
      }
      if (!(p.covariances[i] > f)) not_positive_definite("variance", i / per, reg_covar);
      p.prec_chol[i] = 1.0 / std::sqrt(p.covariances[i]);
    }
  }
}

// log weight_c + log det(prec_chol_c) − d/2·log 2π for each component.
std::vector<double> log_norms(const GmmParams& p) {
  const index_t k = p.k, d = p.d;
  std::vector<double> out(k);
  for (index_t c = 0; c < k; ++c) {
    double logdet = 0.0;
    switch (p.type) {
      case CovType::full:
        for (index_t j = 0; j < d; ++j) logdet += std::log(p.prec_chol[(c * d + j) * d + j]);
        break;
      case CovType::tied:
        for (index_t j = 0; j < d; ++j) logdet += std::log(p.prec_chol[j * d + j]);
        break;
      case CovType::diag:
        for (index_t j = 0; j < d; ++j) logdet += std::log(p.prec_chol[c * d + j]);
        break;
      case CovType::spherical: logdet = double(d) * std::log(p.prec_chol[c]); break;
    }
    out[c] = std::log(p.weights[c]) + logdet - 0.5 * double(d) * kLog2Pi;
  }
  return out;
}

// The M-step from a pass's statistics (layout in isa.hpp), taken about the means `about`
// (k×d, in the coordinates of X − shift). As scikit-learn: N_c gets 10·eps so that an empty
// component divides by a tiny number rather than zero, covariances get reg_covar on the
// diagonal, and weights are N_c / Σ N (EM) or N_c / Σw (initialization).
void m_step(const std::vector<double>& st, const std::vector<double>& about, const std::vector<double>& shift,
            const std::vector<double>& floor, double reg_covar, bool initial, GmmParams& p) {
  const index_t k = p.k, d = p.d, tri = d * (d + 1) / 2;
  const double* N = st.data() + 2;
  const double* S1 = N + k;
  const double* S2 = S1 + k * d;
  const double eps10 = kEps10;
  std::vector<double> nk(k), mean(k * d), delta(k * d);
  double nsum = 0.0;
  for (index_t c = 0; c < k; ++c) {
    nk[c] = N[c] + eps10;
    nsum += nk[c];
    for (index_t j = 0; j < d; ++j) {
      // Σ r·x = S1 + N·about, so the mean is that over nk.
      mean[c * d + j] = about[c * d + j] * (N[c] / nk[c]) + S1[c * d + j] / nk[c];
      delta[c * d + j] = mean[c * d + j] - about[c * d + j];
    }
  }
  for (index_t c = 0; c < k; ++c) p.weights[c] = nk[c] / (initial ? st[0] : nsum);
  for (index_t c = 0; c < k; ++c)
    for (index_t j = 0; j < d; ++j) p.means[c * d + j] = mean[c * d + j] + shift[j];

  double* cov = p.covariances.data();
  switch (p.type) {
    case CovType::full:
      // Σ r (x − mean)(x − mean)ᵀ = S2 − δ·S1ᵀ − S1·δᵀ + N·δδᵀ, with δ = mean − about.
      for (index_t c = 0; c < k; ++c) {
        const double* s1 = S1 + c * d;
        const double* dl = delta.data() + c * d;
        for (index_t a = 0; a < d; ++a)
          for (index_t b = a; b < d; ++b) {
            const double v = (S2[c * tri + (a * d - a * (a - 1) / 2 + (b - a))] - dl[a] * s1[b] - s1[a] * dl[b] +
                              N[c] * dl[a] * dl[b]) /
                             nk[c];
            cov[(c * d + a) * d + b] = cov[(c * d + b) * d + a] = v;
          }
        for (index_t a = 0; a < d; ++a) cov[(c * d + a) * d + a] += reg_covar;
      }
      break;
    case CovType::tied: {
      // scikit-learn's (XᵀX − Σ nk·μμᵀ) / Σ nk, written about the shift s so that nothing large
      // cancels: T − M + s(m − a)ᵀ + (m − a)sᵀ + (Σw − Σnk)·ssᵀ, with T = Σ w·x̃x̃ᵀ, m = Σ w·x̃,
      // M = Σ nk·μ̃μ̃ᵀ, a = Σ nk·μ̃ (x̃ = x − s, μ̃ = μ − s).
      const double* mom = S2 + tri;
      std::vector<double> ma(d);
      for (index_t j = 0; j < d; ++j) {
        double a = 0.0;
        for (index_t c = 0; c < k; ++c) a += nk[c] * mean[c * d + j];
        ma[j] = mom[j] - a;
      }
      const double extra = st[0] - nsum;
      for (index_t a = 0; a < d; ++a)
        for (index_t b = a; b < d; ++b) {
          double M = 0.0;
          for (index_t c = 0; c < k; ++c) M += nk[c] * mean[c * d + a] * mean[c * d + b];
          const double v = (S2[a * d - a * (a - 1) / 2 + (b - a)] - M + shift[a] * ma[b] + ma[a] * shift[b] +
                            extra * shift[a] * shift[b]) /
                           nsum;
          cov[a * d + b] = cov[b * d + a] = v;
        }
      for (index_t a = 0; a < d; ++a) cov[a * d + a] += reg_covar;
      break;
    }
    case CovType::diag:
    case CovType::spherical:
      for (index_t c = 0; c < k; ++c) {
        double total = 0.0;
        for (index_t j = 0; j < d; ++j) {
          const index_t i = c * d + j;
          const double v = (S2[i] - 2.0 * delta[i] * S1[i] + N[c] * delta[i] * delta[i]) / nk[c] + reg_covar;
          if (p.type == CovType::diag) cov[i] = v;
          total += v;
        }
        if (p.type == CovType::spherical) cov[c] = total / double(d);
      }
      break;
  }
  factor_covariances(p, reg_covar, floor);
}

std::vector<double> centred_means(const GmmParams& p, const std::vector<double>& shift) {
  std::vector<double> out(p.means);
  for (index_t c = 0; c < p.k; ++c)
    for (index_t j = 0; j < p.d; ++j) out[c * p.d + j] -= shift[j];
  return out;
}

}  // namespace

template <class T>
void gmm_estimate(const T* X, const T* w, index_t n, const double* resp, double reg_covar, GmmParams& p, int threads) {
  // The kernels measure from X's mean: any point would do; this one keeps the sums small.
  const std::vector<double> shift = column_means(X, n, p.d, threads);
  std::vector<double> st(gmm_stats_size(p.type, p.k, p.d));
  GmmPassOut<T> out;
  out.stats = st.data();
  out.given_resp = resp;
  // First the means, then the second moments about them (so nothing large cancels).
  std::vector<double> about(p.k * p.d, 0.0);
  for (int pass = 0; pass < 2; ++pass) {
    const GmmModel model{p.type, p.k, p.d, shift.data(), about.data(), nullptr, nullptr};
    gmm_kernels_for<T>().pass(X, w, n, model, out, threads);
    if (pass == 0) {
      const double* N = st.data() + 2;
      const double* S1 = N + p.k;
      for (index_t c = 0; c < p.k; ++c)
        for (index_t j = 0; j < p.d; ++j) about[c * p.d + j] = S1[c * p.d + j] / (N[c] + kEps10);
    }
  }
  m_step(st, about, shift, noise_floor(X, n, p.d, threads), reg_covar, true, p);
}

template <class T>
EmResult gmm_em(const T* X, const T* w, index_t n, GmmParams& p, index_t max_iter, double tol, double reg_covar,
                double lower_bound, int threads) {
  const std::vector<double> shift = column_means(X, n, p.d, threads);
  const std::vector<double> floor = noise_floor(X, n, p.d, threads);
  std::vector<double> st(gmm_stats_size(p.type, p.k, p.d));
  GmmPassOut<T> out;
  out.stats = st.data();
  EmResult res;
  res.lower_bound = lower_bound;
  for (index_t it = 1; it <= max_iter; ++it) {
    check_interrupt();
    const auto start = std::chrono::steady_clock::now();
    const double previous = res.lower_bound;
    const std::vector<double> about = centred_means(p, shift), norms = log_norms(p);
    const GmmModel model{p.type, p.k, p.d, shift.data(), about.data(), p.prec_chol.data(), norms.data()};
    gmm_kernels_for<T>().pass(X, w, n, model, out, threads);
    res.lower_bound = st[1] / st[0];
    res.lower_bounds.push_back(res.lower_bound);
    res.n_iter = it;
    m_step(st, about, shift, floor, reg_covar, false, p);
    res.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (std::abs(res.lower_bound - previous) < tol) {
      res.converged = true;
      break;
    }
  }
  return res;
}

template <class T>
void gmm_pass_stats(const T* X, const T* w, index_t n, const GmmParams& p, const double* shift, const double* about,
                    const double* given_resp, double* stats, int threads) {
  const std::vector<double> norms = given_resp ? std::vector<double>(p.k, 0.0) : log_norms(p);
  const GmmModel model{p.type, p.k, p.d, shift, about, given_resp ? nullptr : p.prec_chol.data(), norms.data()};
  GmmPassOut<T> out;
  out.stats = stats;
  out.given_resp = given_resp;
  gmm_kernels_for<T>().pass(X, w, n, model, out, threads);
}

void gmm_m_step(const std::vector<double>& stats, const std::vector<double>& about, const std::vector<double>& shift,
                const std::vector<double>& floor, double reg_covar, bool initial, GmmParams& p) {
  m_step(stats, about, shift, floor, reg_covar, initial, p);
}

template <class T>
void gmm_score(const T* X, index_t n, const GmmParams& p, const GmmPassOut<T>& out, int threads) {
  // Measure from the weighted mean of the means: near the data, and cheap.
  std::vector<double> shift(p.d, 0.0);
  for (index_t c = 0; c < p.k; ++c)
    for (index_t j = 0; j < p.d; ++j) shift[j] += p.weights[c] * p.means[c * p.d + j];
  const std::vector<double> about = centred_means(p, shift), norms = log_norms(p);
  const GmmModel model{p.type, p.k, p.d, shift.data(), about.data(), p.prec_chol.data(), norms.data()};
  gmm_kernels_for<T>().pass(X, nullptr, n, model, out, threads);
}

#define KMIX_INSTANTIATE(T)                                                                                    \
  template void gmm_estimate<T>(const T*, const T*, index_t, const double*, double, GmmParams&, int);          \
  template EmResult gmm_em<T>(const T*, const T*, index_t, GmmParams&, index_t, double, double, double, int);  \
  template void gmm_score<T>(const T*, index_t, const GmmParams&, const GmmPassOut<T>&, int);                  \
  template void gmm_pass_stats<T>(const T*, const T*, index_t, const GmmParams&, const double*, const double*, \
                                  const double*, double*, int);
KMIX_INSTANTIATE(float)
KMIX_INSTANTIATE(double)
#undef KMIX_INSTANTIATE

}  // namespace kmix
