// Gaussian-mixture kernels: per-component log-densities through Cholesky factors, log-sum-exp
// responsibilities and the M-step's sufficient statistics, all in one pass over X.
//
// Compiled once per ISA level into kmix::KMIX_ISA_NS (gmm_kernels.cpp); the EM loop that calls
// this is gmm_driver.cpp. Rows are taken a chunk at a time and transposed into float64
// (features × rows), so every inner loop runs over rows in SIMD lanes whatever the number of
// features. Memory is O(chunk·(d + k)) per thread plus the per-block partial sums: never an
// n×k or n×k×d temporary. Sums are float64 per fixed block, combined in block order.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <cstdlib>
#include <new>

#include "kmix/distances.hpp"
#include "kmix/isa.hpp"

namespace kmix {
namespace KMIX_ISA_NS {

namespace gmm {

using V = Simd<double>;
using vec = V::vec;
constexpr index_t kL = V::lanes;
// A tile is two vectors of rows; chunks are padded to the widest tile of any ISA (2 × 8).
constexpr index_t kTileRows = 2 * kL;
constexpr index_t kPadRows = 16;
// Features are padded to a multiple of this many, so the register tiles need no tail code.
constexpr index_t kFeatBlock = 4;

inline index_t round_up(index_t x, index_t m) { return (x + m - 1) / m * m; }

inline double hsum(vec v) { return V::hsum(v); }

// exp(x) for x <= 0 to about one ulp, a vector at a time (a libm call would stay scalar):
// x = n·ln2 + r with |r| <= ln2/2, exp(r) by its Taylor series to r^13, 2^n written into the
// exponent bits. Exactly 0 below -708, where 2^n would leave the normal range (subnormal
// responsibilities would only slow every later product down).
template <class X>  // double or a vector of doubles
inline X exp_poly(X r) {
  X p = r * 0.0 + 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  return p * r + 1.0;
}
constexpr double kExpShifter = 0x1.8p52;  // adding it rounds to an integer held in the low bits
constexpr double kLog2e = 1.4426950408889634;
constexpr double kLn2Hi = 0x1.62e42fefa3800p-1;   // ln 2 in two parts; the first has trailing
constexpr double kLn2Lo = 0x1.ef35793c76730p-45;  // zero bits so n·kLn2Hi is exact
constexpr double kExpMin = -708.0;

#if KMIX_GNU_EXTENSIONS
inline vec exp_nonpositive(vec x) {
  typedef std::uint64_t ivec __attribute__((vector_size(sizeof(vec))));
  const vec lo = V::splat(kExpMin);
  const vec xc = x < lo ? lo : x;
  const vec kd = xc * kLog2e + kExpShifter;
  const vec kf = kd - kExpShifter;
  const vec r = (xc - kf * kLn2Hi) - kf * kLn2Lo;
  const vec p = exp_poly(r);
  const vec scale = (vec)(((ivec)kd + 1023) << 52);  // (n + 1023) << 52 is the double 2^n (unsigned: no overflow)
  return x < lo ? V::zero() : p * scale;
}

// log(s) for normal s > 0 to about one ulp, a vector at a time: s = 2^e·m with m in
// [√½, √2), log m = 2·atanh(f) with f = (m − 1)/(m + 1), |f| <= 0.172, by its series to f^23.
inline vec log_positive(vec s) {
  typedef std::uint64_t ivec __attribute__((vector_size(sizeof(vec))));
  const ivec bits = (ivec)s;
  const ivec mant = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;  // m in [1, 2)
  // The biased exponent as a double: its bits put below 2^52's, then 2^52 taken off.
  vec e = (vec)(((bits >> 52) & 0x7ff) | 0x4330000000000000ULL) - (0x1p52 + 1023.0);
  vec m = (vec)mant;
  const auto big = m > 1.4142135623730951;
  m = big ? m * 0.5 : m;
  e = big ? e + 1.0 : e;
  const vec f = (m - 1.0) / (m + 1.0), z = f * f;
  vec p = z * 0.0 + 1.0 / 23;
  for (int i = 21; i >= 1; i -= 2) p = p * z + 1.0 / i;
  return e * kLn2Hi + (2.0 * f * p + e * kLn2Lo);
}
#else
inline vec log_positive(vec s) {
  for (index_t i = 0; i < kL; ++i) s.a[i] = std::log(s.a[i]);
  return s;
}

inline vec exp_nonpositive(vec x) {
  for (index_t i = 0; i < kL; ++i) {
    const double xi = x.a[i];
    if (xi < kExpMin) {
      x.a[i] = 0.0;
      continue;
    }
    const double kd = xi * kLog2e + kExpShifter;
    std::uint64_t bits;
    std::memcpy(&bits, &kd, sizeof bits);
    const double kf = kd - kExpShifter;
    const std::uint64_t scale_bits = (bits + 1023) << 52;
    double scale;
    std::memcpy(&scale, &scale_bits, sizeof scale);
    x.a[i] = exp_poly((xi - kf * kLn2Hi) - kf * kLn2Lo) * scale;
  }
  return x;
}
#endif

// Index of (a, b), a <= b, in an upper triangle stored row by row.
inline index_t tri_index(index_t a, index_t b, index_t d) { return a * d - a * (a - 1) / 2 + (b - a); }

// y[j][r] = Σ_{i<=j} a[i][r]·U[i][j] (U upper triangular, d × dp, zero past column d) for
// rows [0, m); if sq is not null, sq[r] = Σ_j y[j][r]² and y is not stored.
// Tiles of 4 columns × 2 vectors of rows stay in registers.
inline void upper_product(const double* a, index_t C, index_t m, index_t d, index_t dp, const double* U, double* y,
                          double* sq) {
  for (index_t r0 = 0; r0 < m; r0 += kTileRows) {
    vec s0 = V::zero(), s1 = V::zero();
    for (index_t j0 = 0; j0 < dp; j0 += kFeatBlock) {
      vec acc[kFeatBlock][2];
      for (int jj = 0; jj < kFeatBlock; ++jj) acc[jj][0] = acc[jj][1] = V::zero();
      const index_t iend = j0 + kFeatBlock < d ? j0 + kFeatBlock : d;  // U[i][j] = 0 for i > j
      for (index_t i = 0; i < iend; ++i) {
        const vec x0 = V::load(a + i * C + r0), x1 = V::load(a + i * C + r0 + kL);
        const double* u = U + i * dp + j0;
        for (int jj = 0; jj < kFeatBlock; ++jj) {
          const vec p = V::splat(u[jj]);
          V::fma(acc[jj][0], x0, p);
          V::fma(acc[jj][1], x1, p);
        }
      }
      if (sq) {
        for (int jj = 0; jj < kFeatBlock; ++jj) {
          V::fma(s0, acc[jj][0], acc[jj][0]);
          V::fma(s1, acc[jj][1], acc[jj][1]);
        }
      } else {
        for (int jj = 0; jj < kFeatBlock; ++jj) {
          V::store(y + (j0 + jj) * C + r0, acc[jj][0]);
          V::store(y + (j0 + jj) * C + r0 + kL, acc[jj][1]);
        }
      }
    }
    if (sq) {
      V::store(sq + r0, s0);
      V::store(sq + r0 + kL, s1);
    }
  }
}

// S[tri(a, b)] += Σ_r t[a][r]·u[b][r] for a <= b < d, over rows [0, m) (m a multiple of kL).
// Tiles of 4 × 2 accumulators; the lower half of diagonal tiles is computed and dropped.
inline void add_scatter(const double* t, const double* u, index_t C, index_t m, index_t d, double* S) {
  const index_t dp = round_up(d, kFeatBlock);
  for (index_t a0 = 0; a0 < dp; a0 += 4)
    for (index_t b0 = a0; b0 < dp; b0 += 2) {
      vec acc[4][2];
      for (int aa = 0; aa < 4; ++aa) acc[aa][0] = acc[aa][1] = V::zero();
      for (index_t r = 0; r < m; r += kL) {
        const vec u0 = V::load(u + b0 * C + r), u1 = V::load(u + (b0 + 1) * C + r);
        for (int aa = 0; aa < 4; ++aa) {
          const vec ta = V::load(t + (a0 + aa) * C + r);
          V::fma(acc[aa][0], ta, u0);
          V::fma(acc[aa][1], ta, u1);
        }
      }
      for (int aa = 0; aa < 4; ++aa)
        for (int bb = 0; bb < 2; ++bb) {
          const index_t a = a0 + aa, b = b0 + bb;
          if (a <= b && b < d) S[tri_index(a, b, d)] += hsum(acc[aa][bb]);
        }
    }
}

// Σ_r x[r] over rows [0, m) (m a multiple of kPadRows), two vector accumulators so that the
// additions overlap; a fixed order.
inline double row_sum(const double* x, index_t m) {
  vec a0 = V::zero(), a1 = V::zero();
  for (index_t r = 0; r < m; r += 2 * kL) {
    a0 = V::add(a0, V::load(x + r));
    a1 = V::add(a1, V::load(x + r + kL));
  }
  return hsum(V::add(a0, a1));
}

// s1 = Σ_r rw[r]·(x[r] − mu), s2 = Σ_r rw[r]·(x[r] − mu)² over rows [0, m), in one sweep.
inline void weighted_moments(const double* x, const double* rw, double mu, index_t m, double& s1, double& s2) {
  const vec muv = V::splat(mu);
  vec a0 = V::zero(), a1 = V::zero(), b0 = V::zero(), b1 = V::zero();
  for (index_t r = 0; r < m; r += 2 * kL) {
    const vec d0 = V::sub(V::load(x + r), muv), d1 = V::sub(V::load(x + r + kL), muv);
    const vec t0 = V::mul(V::load(rw + r), d0), t1 = V::mul(V::load(rw + r + kL), d1);
    a0 = V::add(a0, t0);
    a1 = V::add(a1, t1);
    V::fma(b0, t0, d0);
    V::fma(b1, t1, d1);
  }
  s1 = hsum(V::add(a0, a1));
  s2 = hsum(V::add(b0, b1));
}

// The model laid out for the kernels: features padded to dp with zeros.
struct Prepared {
  index_t k, d, dp;
  Buffer means;  // k × dp
  Buffer U;      // full: k × d × dp, tied: d × dp (upper triangular)
  Buffer prec;   // diag: k × dp squared precision factors; spherical: k
  Buffer b;      // tied: k × dp, means_c·U
  explicit Prepared(const GmmModel& m) : k(m.k), d(m.d), dp(round_up(m.d, kFeatBlock)), means(k * dp) {
    for (index_t c = 0; c < k; ++c)
      for (index_t j = 0; j < d; ++j) means[c * dp + j] = m.means[c * d + j];
    if (!m.prec_chol) return;  // given responsibilities: no densities needed
    if (m.type == CovType::full || m.type == CovType::tied) {
      const index_t nmat = m.type == CovType::full ? k : 1;
      U.reset(nmat * d * dp);
      for (index_t c = 0; c < nmat; ++c)
        for (index_t i = 0; i < d; ++i)
          for (index_t j = i; j < d; ++j) U[(c * d + i) * dp + j] = m.prec_chol[(c * d + i) * d + j];
      if (m.type == CovType::tied) {
        b.reset(k * dp);
        for (index_t c = 0; c < k; ++c)
          for (index_t i = 0; i < d; ++i)
            for (index_t j = i; j < d; ++j) b[c * dp + j] += means[c * dp + i] * U[i * dp + j];
      }
    } else if (m.type == CovType::diag) {
      prec.reset(k * dp);
      for (index_t c = 0; c < k; ++c)
        for (index_t j = 0; j < d; ++j) prec[c * dp + j] = m.prec_chol[c * d + j] * m.prec_chol[c * d + j];
    } else {
      prec.reset(k);
      for (index_t c = 0; c < k; ++c) prec[c] = m.prec_chol[c] * m.prec_chol[c];
    }
  }
};

// Rows per chunk: a divisor of kRowChunk, so chunks tile the blocks; fewer when d or k is large
// so that a chunk's buffers stay near L2, and no more than n needs (a one-row predict).
inline index_t chunk_rows(index_t dp, index_t k, index_t n) {
  index_t C = kRowChunk;
  while (C > kPadRows && ((4 * dp + k + 6) * C * index_t(sizeof(double)) > (index_t(1) << 18) || C / 2 >= n)) C /= 2;
  return C;
}

// Per-thread buffers of one chunk.
struct Buffers {
  double *xt, *diff, *t, *lp, *w, *mx, *s, *lpn;
  static index_t size(index_t dp, index_t k, index_t C) { return (3 * dp + k + 4) * C; }
  Buffers(double* p, index_t dp, index_t k, index_t C)
      : xt(p), diff(xt + dp * C), t(diff + dp * C), lp(t + dp * C), w(lp + k * C), mx(w + C), s(mx + C), lpn(s + C) {}
};

// Σ_j p_j·(x_j − μ_j)² over rows [0, m), with diagonal precisions p (length dp, zero past d)
// or, if p is null, all ones.
inline void diag_maha(const double* xt, index_t C, index_t m, index_t dp, const double* mu, const double* p,
                      double* out) {
  for (index_t r0 = 0; r0 < m; r0 += kTileRows) {
    vec s0 = V::zero(), s1 = V::zero();
    for (index_t j = 0; j < dp; ++j) {
      const vec mj = V::splat(mu[j]);
      const vec t0 = V::sub(V::load(xt + j * C + r0), mj), t1 = V::sub(V::load(xt + j * C + r0 + kL), mj);
      if (p) {
        const vec pj = V::splat(p[j]);
        V::fma(s0, V::mul(t0, t0), pj);
        V::fma(s1, V::mul(t1, t1), pj);
      } else {
        V::fma(s0, t0, t0);
        V::fma(s1, t1, t1);
      }
    }
    V::store(out + r0, s0);
    V::store(out + r0 + kL, s1);
  }
}

// One chunk: rows [i0, i0 + m) of X.
template <class T>
void chunk(const T* X, const T* w, index_t i0, index_t m, const GmmModel& model, const Prepared& P, index_t C,
           const Buffers& B, const GmmPassOut<T>& out, double* st) {
  const index_t d = P.d, dp = P.dp, k = P.k;
  const index_t mp = round_up(m, kPadRows);
  // Local restrict copies of the buffer pointers: the buffers never overlap, and the compiler
  // vectorizes only what it can prove.
  double* __restrict xt = B.xt;
  double* __restrict diff = B.diff;
  double* __restrict tb = B.t;
  double* __restrict lp = B.lp;  // k × C: log weight_c + log N(x | c), then responsibilities
  double* __restrict wv = B.w;
  double* __restrict mx = B.mx;
  double* __restrict sv = B.s;
  double* __restrict lpn = B.lpn;
  const double* __restrict shift = model.shift;
  // Transpose into xt (features × rows) minus the shift; padding rows and features are zero.
  for (index_t j = 0; j < dp; ++j)
    for (index_t r = m; r < mp; ++r) xt[j * C + r] = 0.0;
  for (index_t j = d; j < dp; ++j)
    for (index_t r = 0; r < m; ++r) xt[j * C + r] = 0.0;
  // A vector of rows at a time, so each feature's store is one vector store.
  index_t r0 = 0;
  for (; r0 + kL <= m; r0 += kL) {
    const T* x = X + (i0 + r0) * d;
    for (index_t j = 0; j < d; ++j) {
      double col[kL];
      for (index_t q = 0; q < kL; ++q) col[q] = double(x[q * d + j]);
      V::store(xt + j * C + r0, V::sub(V::load(col), V::splat(shift[j])));
    }
  }
  for (index_t r = r0; r < m; ++r) {
    const T* x = X + (i0 + r) * d;
    for (index_t j = 0; j < d; ++j) xt[j * C + r] = double(x[j]) - shift[j];
  }
  for (index_t r = 0; r < mp; ++r) wv[r] = r >= m ? 0.0 : (w ? double(w[i0 + r]) : 1.0);

  if (out.given_resp) {
    for (index_t c = 0; c < k; ++c)
      for (index_t r = 0; r < mp; ++r) lp[c * C + r] = r < m ? out.given_resp[(i0 + r) * k + c] : 0.0;
  } else {
    const double half = -0.5;
    if (model.type == CovType::tied) upper_product(xt, C, mp, d, dp, P.U.data(), tb, nullptr);
    for (index_t c = 0; c < k; ++c) {
      double* row = lp + c * C;
      const double* mu = P.means.data() + c * dp;
      switch (model.type) {
        case CovType::full:
          for (index_t j = 0; j < dp; ++j)
            for (index_t r = 0; r < mp; ++r) diff[j * C + r] = xt[j * C + r] - mu[j];
          upper_product(diff, C, mp, d, dp, P.U.data() + c * d * dp, nullptr, row);
          break;
        case CovType::tied: diag_maha(tb, C, mp, dp, P.b.data() + c * dp, nullptr, row); break;
        case CovType::diag: diag_maha(xt, C, mp, dp, mu, P.prec.data() + c * dp, row); break;
        case CovType::spherical:
          diag_maha(xt, C, mp, dp, mu, nullptr, row);
          for (index_t r = 0; r < mp; ++r) row[r] *= P.prec[c];
          break;
      }
      const double ln = model.log_norm[c];
      for (index_t r = 0; r < mp; ++r) row[r] = ln + half * row[r];
    }
    // Log-sum-exp over components, stable for far-away points: subtract each row's maximum.
    for (index_t r = 0; r < mp; ++r) mx[r] = lp[r];
    for (index_t c = 1; c < k; ++c)
      for (index_t r = 0; r < mp; ++r) mx[r] = lp[c * C + r] > mx[r] ? lp[c * C + r] : mx[r];
    // A row whose density underflows to 0 under every component (log −inf: a point so far out
    // that its Mahalanobis distances overflow) has no order among them: its responsibilities
    // are equal, its label 0 and log p(x) −inf, instead of the NaN of −inf − (−inf).
    constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
    bool lost[kRowChunk];  // m <= C <= kRowChunk
    bool any_lost = false;
    for (index_t r = 0; r < m; ++r) any_lost |= (lost[r] = mx[r] == kMinusInf);
    if (any_lost)
      for (index_t r = 0; r < m; ++r)
        if (lost[r]) {
          for (index_t c = 0; c < k; ++c) lp[c * C + r] = 0.0;
          mx[r] = 0.0;
        }
    if (out.labels)
      for (index_t r = 0; r < m; ++r) {
        int best = 0;
        for (index_t c = 1; c < k; ++c)
          if (lp[c * C + r] > lp[best * C + r]) best = int(c);
        out.labels[i0 + r] = best;
      }
    for (index_t r = 0; r < mp; ++r) sv[r] = 0.0;
    for (index_t c = 0; c < k; ++c) {
      double* row = lp + c * C;
      for (index_t r = 0; r < mp; r += kL) {
        const vec e = exp_nonpositive(V::sub(V::load(row + r), V::load(mx + r)));
        V::store(row + r, e);
        V::store(sv + r, V::add(V::load(sv + r), e));
      }
    }
    for (index_t r = 0; r < mp; r += kL) V::store(lpn + r, V::add(V::load(mx + r), log_positive(V::load(sv + r))));
    if (any_lost)
      for (index_t r = 0; r < m; ++r)
        if (lost[r]) lpn[r] = kMinusInf;
    for (index_t r = 0; r < mp; ++r) sv[r] = 1.0 / sv[r];
    for (index_t c = 0; c < k; ++c)
      for (index_t r = 0; r < mp; ++r) lp[c * C + r] *= sv[r];  // now responsibilities
    if (out.log_prob_norm)
      for (index_t r = 0; r < m; ++r) out.log_prob_norm[i0 + r] = lpn[r];
    if (out.resp)
      for (index_t r = 0; r < m; ++r)
        for (index_t c = 0; c < k; ++c) out.resp[(i0 + r) * k + c] = T(lp[c * C + r]);
  }
  if (!st) return;

  // Sufficient statistics (layout in isa.hpp).
  double* const N = st + 2;
  double* const S1 = N + k;
  double* const S2 = S1 + k * d;
  st[0] += row_sum(wv, mp);
  if (!out.given_resp) {
    for (index_t r = 0; r < mp; ++r) lpn[r] *= wv[r];
    st[1] += row_sum(lpn, mp);
  }
  for (index_t c = 0; c < k; ++c) {
    double* rw = lp + c * C;
    for (index_t r = 0; r < mp; ++r) rw[r] *= wv[r];
    N[c] += row_sum(rw, mp);
    const double* mu = P.means.data() + c * dp;
    if (model.type == CovType::full) {
      for (index_t j = 0; j < dp; ++j)
        for (index_t r = 0; r < mp; ++r) {
          const double delta = xt[j * C + r] - mu[j];
          diff[j * C + r] = delta;
          tb[j * C + r] = rw[r] * delta;
        }
      for (index_t j = 0; j < d; ++j) S1[c * d + j] += row_sum(tb + j * C, mp);
      add_scatter(tb, diff, C, mp, d, S2 + c * (d * (d + 1) / 2));
    } else {
      for (index_t j = 0; j < d; ++j) {
        double s1, s2;
        weighted_moments(xt + j * C, rw, mu[j], mp, s1, s2);
        S1[c * d + j] += s1;
        if (model.type != CovType::tied) S2[c * d + j] += s2;
      }
    }
  }
  if (model.type == CovType::tied) {
    // Σ w·x xᵀ and Σ w·x about the shift, once (not per component).
    for (index_t j = 0; j < dp; ++j)
      for (index_t r = 0; r < mp; ++r) tb[j * C + r] = wv[r] * xt[j * C + r];
    add_scatter(tb, xt, C, mp, d, S2);
    double* const mom = S2 + d * (d + 1) / 2;
    for (index_t j = 0; j < d; ++j) mom[j] += row_sum(tb + j * C, mp);
  }
}

}  // namespace gmm

// Sufficient statistics are per block; blocks own at most a quarter of X's bytes in partial
// sums (at least 16 blocks for parallelism, at most 256).
static inline Blocks gmm_blocks(index_t n, index_t d, index_t stats) {
  index_t want = (n * d / 4) / (stats > 0 ? stats : 1);
  want = want < 16 ? 16 : (want > 256 ? 256 : want);
  return fixed_blocks(n, want, stats);
}

template <class T>
void gmm_pass(const T* X, const T* w, index_t n, const GmmModel& model, const GmmPassOut<T>& out, int threads) {
  using namespace gmm;
  const Prepared P(model);
  const index_t C = chunk_rows(P.dp, P.k, n);
  const index_t S = out.stats ? gmm_stats_size(model.type, model.k, model.d) : 0;
  const Blocks blocks = out.stats ? gmm_blocks(n, model.d, S) : fixed_blocks(n, 256);
  Buffer partial(blocks.count * S);
  const index_t per_thread = Buffers::size(P.dp, P.k, C);
  int nth = threads < 1 ? 1 : threads;
  if (index_t(nth) > blocks.count) nth = int(blocks.count > 0 ? blocks.count : 1);
  Buffer scratch(index_t(nth) * per_thread);
  // Block b on the buffers of thread tid.
  auto run_block = [&](index_t b, index_t tid) {
    const Buffers B(scratch.data() + tid * per_thread, P.dp, P.k, C);
    double* st = S ? partial.data() + b * S : nullptr;
    for (index_t i = blocks.begin(b); i < blocks.end(b, n); i += C) {
      const index_t m = blocks.end(b, n) - i < C ? blocks.end(b, n) - i : C;
      chunk(X, w, i, m, model, P, C, B, out, st);
    }
  };
  StopFlag stop;
  if (nth == 1) {  // no parallel region at all: a one-row predict pays nothing for OpenMP
    for (index_t b = 0; b < blocks.count && !stop.stop(); ++b) run_block(b, 0);
  } else {
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth)
    for (index_t b = 0; b < blocks.count; ++b) {
      if (stop.stop()) continue;
      run_block(b, thread_index());
    }
  }
  stop.rethrow();
  if (out.stats) {
    for (index_t s = 0; s < S; ++s) out.stats[s] = 0.0;
    for (index_t b = 0; b < blocks.count; ++b)
      for (index_t s = 0; s < S; ++s) out.stats[s] += partial[b * S + s];
  }
}

template <class T>
GmmKernels<T> gmm_table() {
  return GmmKernels<T>{&gmm_pass<T>};
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
