// Cluster-quality kernels: the silhouette of every row without the n×n distance matrix.
// Compiled once per ISA level into kmix::KMIX_ISA_NS (cpp/src/metrics_kernels.cpp).
//
// Rows come sorted by cluster, so the rows of cluster c are one range [starts[c], starts[c+1]).
// They are copied feature-major, each cluster's range padded to a whole number of SIMD vectors
// (padding lanes weigh 0), and then each tile of R rows sweeps all columns once: per vector of
// L columns, Σ_j (col_j − x_j)² for the R rows, a square root, and a weighted add into the
// running sum of the current cluster. Memory: the copy (n·d plus padding) and R·k sums per thread.
// Each row's sums are made by one thread in a fixed order: the result does not depend on threads.
#pragma once
#include <cmath>

#include "kmix/distances.hpp"
#include "kmix/isa.hpp"

namespace kmix {
namespace KMIX_ISA_NS {

// Sums of Euclidean distances from R rows (x: R rows of d features, row-major) to the columns
// [lo, hi) of the feature-major copy, hi − lo a multiple of L; weights zero the padding lanes.
template <int R>
inline void distance_sums(const double* x, index_t d, const double* cols, index_t stride, const double* weights,
                          index_t lo, index_t hi, double* sums) {
  using S = Simd<double>;
  typedef typename S::vec vec;
  constexpr int L = S::lanes;
  vec total[R];
  for (int r = 0; r < R; ++r) total[r] = S::zero();
  index_t t = lo;
  for (; t + 2 * L <= hi; t += 2 * L) {  // two vectors at a time: each broadcast serves both
    vec acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = S::zero();
    for (index_t j = 0; j < d; ++j) {
      const vec c0 = S::load(cols + j * stride + t), c1 = S::load(cols + j * stride + t + L);
      for (int r = 0; r < R; ++r) {
        const vec xb = S::splat(x[r * d + j]);
        const vec e0 = S::sub(c0, xb), e1 = S::sub(c1, xb);
        S::fma(acc[r][0], e0, e0);
        S::fma(acc[r][1], e1, e1);
      }
    }
    const vec w0 = S::load(weights + t), w1 = S::load(weights + t + L);
    for (int r = 0; r < R; ++r) {
      S::fma(total[r], S::sqrt(acc[r][0]), w0);
      S::fma(total[r], S::sqrt(acc[r][1]), w1);
    }
  }
  for (; t < hi; t += L) {
    vec acc[R];
    for (int r = 0; r < R; ++r) acc[r] = S::zero();
    for (index_t j = 0; j < d; ++j) {
      const vec c0 = S::load(cols + j * stride + t);
      for (int r = 0; r < R; ++r) {
        const vec e0 = S::sub(c0, S::splat(x[r * d + j]));
        S::fma(acc[r], e0, e0);
      }
    }
    const vec w0 = S::load(weights + t);
    for (int r = 0; r < R; ++r) S::fma(total[r], S::sqrt(acc[r]), w0);
  }
  for (int r = 0; r < R; ++r) sums[r] = S::hsum(total[r]);
}

// s(i) = (b − a) / max(a, b) from row i's distance sums to every cluster: a the mean distance to
// the other rows of its own cluster, b the smallest mean distance to another cluster; 0 for a
// row alone in its cluster or when a = b = 0 (scikit-learn's conventions).
inline double silhouette_of(const double* sums, const index_t* starts, index_t k, index_t own) {
  const index_t own_size = starts[own + 1] - starts[own];
  if (own_size <= 1) return 0.0;
  const double a = sums[own] / double(own_size - 1);
  double b = INFINITY;
  for (index_t c = 0; c < k; ++c) {
    if (c == own) continue;
    const double m = sums[c] / double(starts[c + 1] - starts[c]);
    if (m < b) b = m;
  }
  const double top = a > b ? a : b;
  return top > 0 ? (b - a) / top : 0.0;
}

template <class T>
void silhouette(const T* X, index_t n, index_t d, const index_t* starts, index_t k, double* out, int threads) {
  constexpr index_t L = Simd<double>::lanes;
  constexpr int R = 2;
  // Padded column ranges: cluster c occupies [pstart[c], pstart[c+1]) (doubles are exact here).
  Buffer pstart(k + 1);
  index_t stride = 0;
  for (index_t c = 0; c < k; ++c) {
    pstart[c] = double(stride);
    stride += (starts[c + 1] - starts[c] + L - 1) / L * L;
  }
  pstart[k] = double(stride);
  Buffer cols(d * stride), weights(stride);
  for (index_t c = 0; c < k; ++c) {
    const index_t p0 = index_t(pstart[c]), p1 = index_t(pstart[c + 1]), m = starts[c + 1] - starts[c];
    for (index_t t = 0; t < p1 - p0; ++t) {
      const bool real = t < m;
      weights.p[p0 + t] = real ? 1.0 : 0.0;
      for (index_t j = 0; j < d; ++j)
        cols.p[j * stride + p0 + t] = real ? double(X[(starts[c] + t) * d + j]) : 0.0;
    }
  }
  const index_t n_tiles = (n + R - 1) / R;
#pragma omp parallel num_threads(threads) if (n_tiles > 1)
  {
    Buffer sums(R * k), rows(R * d);
#pragma omp for schedule(dynamic, 16)
    for (index_t tile = 0; tile < n_tiles; ++tile) {
      const index_t i0 = tile * R, m = n - i0 < R ? n - i0 : R;
      for (index_t r = 0; r < R; ++r)  // a short last tile repeats its last row
        for (index_t j = 0; j < d; ++j) rows.p[r * d + j] = double(X[(i0 + (r < m ? r : m - 1)) * d + j]);
      double part[R];
      for (index_t c = 0; c < k; ++c) {
        distance_sums<R>(rows.p, d, cols.p, stride, weights.p, index_t(pstart[c]), index_t(pstart[c + 1]), part);
        for (int r = 0; r < R; ++r) sums.p[r * k + c] = part[r];
      }
      for (index_t r = 0; r < m; ++r) {
        const index_t i = i0 + r;
        index_t lo = 0, hi = k - 1;  // the cluster c with starts[c] <= i < starts[c + 1]
        while (lo < hi) {
          const index_t mid = (lo + hi + 1) / 2;
          if (starts[mid] <= i) lo = mid; else hi = mid - 1;
        }
        out[i] = silhouette_of(sums.p + r * k, starts, k, lo);
      }
    }
  }
}

template <class T>
MetricKernels<T> metrics_table() {
  return MetricKernels<T>{&silhouette<T>};
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
