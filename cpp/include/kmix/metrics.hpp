// Cluster-quality kernels: the silhouette of every row without the n×n distance matrix.
// Compiled once per ISA level into kmix::KMIX_ISA_NS (cpp/src/metrics_kernels.cpp).
//
// Rows come sorted by cluster, so the rows of cluster c are one range [starts[c], starts[c+1]).
// They are copied feature-major, each cluster's range padded to a whole number of SIMD vectors
// (padding lanes weigh 0); a tile of R rows then meets a cluster's columns a vector at a time:
// Σ_j (col_j − x_j)² for the R rows, a square root, and weighted adds into the rows' sums and
// the columns' sums. Memory: the copy (n·d plus padding) and O(n) per thread, never n×n.
#pragma once
#include <cmath>
#include <type_traits>

#include "kmix/distances.hpp"
#include "kmix/isa.hpp"

namespace kmix {
namespace KMIX_ISA_NS {

// s = (b − a) / max(a, b) for a row with mean distance a to the other rows of its own cluster (of
// `size` rows) and b to the nearest other cluster; 0 for a row alone in its cluster or when
// a = b = 0 (scikit-learn's conventions).
inline double silhouette_of(double a, double b, index_t size) {
  if (size <= 1) return 0.0;
  const double top = a > b ? a : b;
  return top > 0 ? (b - a) / top : 0.0;
}

// Distances from R rows (x: R rows of d features, row-major) to the columns [lo, hi) of the
// feature-major copy (hi − lo a multiple of L): each row's weighted sum goes to row_sums[r]
// (weights zero the padding columns); with Cols, each column's sum over the rows, times
// row_weight[r] (zero for the repeated rows of a short tile), is added to col_sums[t − lo].
template <int R, bool Cols>
inline void block_sums(const double* x, index_t d, const double* cols, index_t stride, const double* weights,
                       index_t lo, index_t hi, const double* row_weight, double* row_sums, double* col_sums) {
  using S = Simd<double>;
  typedef typename S::vec vec;
  constexpr int L = S::lanes;
  vec total[R], rw[R];
  for (int r = 0; r < R; ++r) {
    total[r] = S::zero();
    rw[r] = S::splat(Cols ? row_weight[r] : 0.0);
  }
  for (index_t t = lo; t < hi; t += L) {
    vec acc[R];
    for (int r = 0; r < R; ++r) acc[r] = S::zero();
    for (index_t j = 0; j < d; ++j) {
      const vec c = S::load(cols + j * stride + t);
      for (int r = 0; r < R; ++r) {
        const vec e = S::sub(c, S::splat(x[r * d + j]));
        S::fma(acc[r], e, e);
      }
    }
    const vec w = S::load(weights + t);
    vec colsum = Cols ? S::load(col_sums + (t - lo)) : S::zero();
    for (int r = 0; r < R; ++r) {
      const vec dist = S::sqrt(acc[r]);
      S::fma(total[r], dist, w);
      if (Cols) S::fma(colsum, dist, rw[r]);
    }
    if (Cols) S::store(col_sums + (t - lo), colsum);
  }
  for (int r = 0; r < R; ++r) row_sums[r] = S::hsum(total[r]);
}

// Every distance between two clusters is computed once and serves both: a pair (c1, c2), c1 < c2,
// gives the rows of c1 their sums to c2 (row sums) and the rows of c2 their sums to c1 (column
// sums); a pair (c, c) gives the rows of c their sums to their own cluster. One thread computes
// a whole pair in a fixed order, and what it contributes to b (a minimum of means, exact in any
// order) is kept per thread and combined by min: the result does not depend on threads.
template <class T>
void silhouette(const T* X, index_t n, index_t d, const index_t* starts, index_t k, double* out, int threads) {
  constexpr index_t L = Simd<double>::lanes;
  constexpr int R = 4;
  // Padded column ranges: cluster c occupies [pstart[c], pstart[c+1]).
  Indices pstart(k + 1);
  index_t stride = 0, widest = 0;
  for (index_t c = 0; c < k; ++c) {
    pstart[c] = stride;
    const index_t width = (starts[c + 1] - starts[c] + L - 1) / L * L;
    stride += width;
    widest = width > widest ? width : widest;
  }
  pstart[k] = stride;
  Buffer cols(d * stride), weights(stride);
  for (index_t c = 0; c < k; ++c) {
    const index_t p0 = pstart[c], p1 = pstart[c + 1], m = starts[c + 1] - starts[c];
    for (index_t t = 0; t < p1 - p0; ++t) {
      const bool real = t < m;
      weights[p0 + t] = real ? 1.0 : 0.0;
      for (index_t j = 0; j < d; ++j) cols[j * stride + p0 + t] = real ? double(X[(starts[c] + t) * d + j]) : 0.0;
    }
  }
  // The pairs, largest first so that the dynamic schedule ends evenly.
  const index_t n_pairs = k * (k + 1) / 2;
  Indices pair_c1(n_pairs), pair_c2(n_pairs), order(n_pairs);
  Buffer pair_cost(n_pairs);
  for (index_t c1 = 0, p = 0; c1 < k; ++c1)
    for (index_t c2 = c1; c2 < k; ++c2, ++p) {
      pair_c1[p] = c1;
      pair_c2[p] = c2;
      pair_cost[p] = double(starts[c1 + 1] - starts[c1]) * double(starts[c2 + 1] - starts[c2]);
      order[p] = p;
    }
  for (index_t p = 1; p < n_pairs; ++p)  // insertion sort by cost, descending (k is small)
    for (index_t q = p; q > 0 && pair_cost[order[q - 1]] < pair_cost[order[q]]; --q) {
      const index_t tmp = order[q];
      order[q] = order[q - 1];
      order[q - 1] = tmp;
    }
  const int team = n_pairs > 1 && threads > 1 ? threads : 1;
  Buffer own_sum(n), nearest(index_t(team) * n);
  // Each thread's buffers, allocated here: an allocation failing inside the region could not throw.
  Buffer colsums(index_t(team) * widest), tiles(index_t(team) * R * d);
  for (index_t e = 0; e < index_t(team) * n; ++e) nearest[e] = INFINITY;
  StopFlag stop;
#pragma omp parallel num_threads(team) if (team > 1)
  {
    const index_t tid = thread_index();
    double* best = nearest.data() + tid * n;
    double* colsum = colsums.data() + tid * widest;
    double* rows = tiles.data() + tid * R * d;
    double row_weight[R], part[R];
#pragma omp for schedule(dynamic, 1)
    for (index_t q = 0; q < n_pairs; ++q) {
      if (stop.stop()) continue;
      const index_t p = order[q], c1 = pair_c1[p], c2 = pair_c2[p];
      const index_t lo = pstart[c2], hi = pstart[c2 + 1];
      const index_t first = starts[c1], last = starts[c1 + 1];
      const double n1 = double(last - first), n2 = double(starts[c2 + 1] - starts[c2]);
      for (index_t t = 0; t < hi - lo; ++t) colsum[t] = 0.0;
      for (index_t i0 = first; i0 < last; i0 += R) {
        // One pair can be most of the work (two large clusters): poll within it too.
        if ((i0 - first) % (64 * R) == 0 && stop.stop()) break;
        const index_t m = last - i0 < R ? last - i0 : R;
        for (index_t r = 0; r < R; ++r) {  // a short tile repeats its last row, with weight 0
          row_weight[r] = r < m ? 1.0 : 0.0;
          for (index_t j = 0; j < d; ++j) rows[r * d + j] = double(X[(i0 + (r < m ? r : m - 1)) * d + j]);
        }
        if (c1 == c2) {
          block_sums<R, false>(rows, d, cols.data(), stride, weights.data(), lo, hi, row_weight, part, nullptr);
          for (index_t r = 0; r < m; ++r) own_sum[i0 + r] = part[r];
        } else {
          block_sums<R, true>(rows, d, cols.data(), stride, weights.data(), lo, hi, row_weight, part, colsum);
          for (index_t r = 0; r < m; ++r) best[i0 + r] = part[r] / n2 < best[i0 + r] ? part[r] / n2 : best[i0 + r];
        }
      }
      if (c1 != c2)
        for (index_t t = 0; t < starts[c2 + 1] - starts[c2]; ++t) {
          const index_t i = starts[c2] + t;
          best[i] = colsum[t] / n1 < best[i] ? colsum[t] / n1 : best[i];
        }
    }
  }
  stop.rethrow();
  for (index_t c = 0; c < k; ++c) {
    const index_t size = starts[c + 1] - starts[c];
    for (index_t i = starts[c]; i < starts[c + 1]; ++i) {
      double b = nearest[i];
      for (int t = 1; t < team; ++t) b = nearest[index_t(t) * n + i] < b ? nearest[index_t(t) * n + i] : b;
      out[i] = silhouette_of(size > 1 ? own_sum[i] / double(size - 1) : 0.0, b, size);
    }
  }
}

// ---- sparse rows ------------------------------------------------------------------------------
// The silhouette of the n rows of a CSR matrix sorted by cluster, for the Euclidean (plain or
// squared) and Manhattan distances as scikit-learn computes them on sparse data: ‖x‖² + ‖y‖² − 2x·y
// (at least 0, then the root), ‖x‖₁ + ‖y‖₁ − Σ_f (|x_f| + |y_f| − |x_f − y_f|), zero from a row to
// itself. Each row meets all n rows; its per-cluster sums are its own, so rows are independent and
// the result does not depend on how they are spread over threads.
//
// A row's dot products (Manhattan: overlaps) with all n rows come from an inverted index, a CSC copy:
// for each of its nonzeros, the column's nonzeros are added into an accumulator indexed by row
// (Gustavson's sparse product). That touches only the pairs that share a feature, n·d·p² work per
// row at density p, where walking every other row against the row scattered into a d-vector costs
// n·d·p (20 against 0.2 multiply-adds per pair at 1% of 2000 columns). The accumulator then turns
// into distances and per-cluster sums in one pass in row order, which vectorises. Memory: the CSC
// copy (nnz values and rows, d + 1 offsets) and n + k doubles per thread; never n×n nor n×d.

// The distance of rows i and j from their norms (‖·‖₁ for Manhattan, ‖·‖² else) and a = x_i·x_j
// (Manhattan: Σ_f (|x_if| + |x_jf| − |x_if − x_jf|)), at least 0; for a scalar or a vector of lanes.
template <Metric M, class V>
inline V sparse_dist(V ni, V nj, V a) {
  using S = Simd<double>;
  V v;
  if constexpr (std::is_same_v<V, double>) {
    v = M == Metric::cityblock ? (ni + nj) - a : (ni + nj) - (a + a);
    v = v < 0.0 ? 0.0 : v;
    return M == Metric::euclidean ? std::sqrt(v) : v;
  } else {
    v = M == Metric::cityblock ? S::sub(S::add(ni, nj), a) : S::sub(S::add(ni, nj), S::add(a, a));
    v = S::select_lt(v, S::zero(), S::zero(), v);
    return M == Metric::euclidean ? S::sqrt(v) : v;
  }
}

// Σ_{j in [lo, hi)} of row i's distances to rows j, from the accumulator acc, which it zeroes for
// the next row. Lanes summed apart, then folded in order: the sum depends only on the values.
template <Metric M>
inline double cluster_sum(double* acc, const double* norm, double ni, index_t lo, index_t hi) {
  using S = Simd<double>;
  constexpr index_t L = S::lanes;
  const typename S::vec vni = S::splat(ni);
  typename S::vec total = S::zero();
  index_t j = lo;
  for (; j + L <= hi; j += L) {
    total = S::add(total, sparse_dist<M>(vni, S::load(norm + j), S::load(acc + j)));
    S::store(acc + j, S::zero());
  }
  double s = S::hsum(total);
  for (; j < hi; ++j) {
    s += sparse_dist<M>(ni, norm[j], acc[j]);
    acc[j] = 0.0;
  }
  return s;
}

template <class T, class I, Metric M>
void silhouette_csr_metric(const T* data, const I* indices, const I* indptr, index_t n, index_t d,
                           const index_t* starts, index_t k, double* out, int threads) {
  const index_t nnz = indptr[n];
  constexpr bool manhattan = M == Metric::cityblock;
  // norm[i]: ‖x_i‖₁ (Manhattan) or ‖x_i‖²; cluster[i]: the cluster of row i.
  Buffer norm(n), cval(nnz);
  Indices cluster(n), colptr(d + 1), crow(nnz);
  for (index_t c = 0; c < k; ++c)
    for (index_t i = starts[c]; i < starts[c + 1]; ++i) cluster[i] = c;
  for (index_t i = 0; i < n; ++i) {
    double s = 0;
    for (index_t p = indptr[i]; p < indptr[i + 1]; ++p) {
      const double v = double(data[p]);
      s += manhattan ? std::fabs(v) : v * v;
    }
    norm[i] = s;
  }
  // CSC by counting sort: rows ascending within each column.
  for (index_t p = 0; p < nnz; ++p) ++colptr[index_t(indices[p]) + 1];
  for (index_t f = 0; f < d; ++f) colptr[f + 1] += colptr[f];
  {
    Indices next(d);
    for (index_t f = 0; f < d; ++f) next[f] = colptr[f];
    for (index_t i = 0; i < n; ++i)
      for (index_t p = indptr[i]; p < indptr[i + 1]; ++p) {
        const index_t q = next[index_t(indices[p])]++;
        crow[q] = i;
        cval[q] = double(data[p]);
      }
  }
  constexpr index_t kBlock = 16;  // rows per scheduling unit: n·16 pair terms, ~0.1 ms at n = 5000
  const index_t n_blocks = (n + kBlock - 1) / kBlock;
  const int team = threads > 1 && n_blocks > 1 && worth_threads(n * n) ? threads : 1;
  // Each thread's buffers (zeroed), allocated here: an allocation failing inside the region could not throw.
  Buffer accs(index_t(team) * n), sums_all(index_t(team) * k);
  StopFlag stop;
#pragma omp parallel num_threads(team) if (team > 1)
  {
    const index_t tid = thread_index();
    double* acc = accs.data() + tid * n;
    double* sums = sums_all.data() + tid * k;
#pragma omp for schedule(dynamic, 1)
    for (index_t b = 0; b < n_blocks; ++b) {
      if (stop.stop()) continue;
      const index_t last = (b + 1) * kBlock < n ? (b + 1) * kBlock : n;
      for (index_t i = b * kBlock; i < last; ++i) {
        for (index_t p = indptr[i]; p < indptr[i + 1]; ++p) {
          const index_t f = index_t(indices[p]);
          const double a = double(data[p]);
          if (manhattan) {
            // |a| + |b| − |a − b| is 2·min(|a|, |b|) for a and b of one sign, else 0 (exact).
            const double fa = std::fabs(a);
            for (index_t q = colptr[f]; q < colptr[f + 1]; ++q) {
              const double v = cval[q], fb = std::fabs(v);
              acc[crow[q]] += (a > 0) == (v > 0) ? 2.0 * (fa < fb ? fa : fb) : 0.0;
            }
          } else {
            for (index_t q = colptr[f]; q < colptr[f + 1]; ++q) acc[crow[q]] += a * cval[q];
          }
        }
        const double ni = norm[i];
        // scikit-learn's zero diagonal (the formula leaves rounding there): the value of acc[i]
        // for which it gives exactly 0.
        acc[i] = manhattan ? ni + ni : ni;
        for (index_t c = 0; c < k; ++c) sums[c] = cluster_sum<M>(acc, norm.data(), ni, starts[c], starts[c + 1]);
        const index_t own = cluster[i], size = starts[own + 1] - starts[own];
        double nearest = INFINITY;
        for (index_t c = 0; c < k; ++c) {
          const double mean = sums[c] / double(starts[c + 1] - starts[c]);
          if (c != own && mean < nearest) nearest = mean;
        }
        out[i] = silhouette_of(size > 1 ? sums[own] / double(size - 1) : 0.0, nearest, size);
      }
    }
  }
  stop.rethrow();
}

template <class T, class I>
void silhouette_csr(const T* data, const I* indices, const I* indptr, index_t n, index_t d, const index_t* starts,
                    index_t k, Metric metric, double* out, int threads) {
  if (metric == Metric::cityblock)
    silhouette_csr_metric<T, I, Metric::cityblock>(data, indices, indptr, n, d, starts, k, out, threads);
  else if (metric == Metric::sqeuclidean)
    silhouette_csr_metric<T, I, Metric::sqeuclidean>(data, indices, indptr, n, d, starts, k, out, threads);
  else silhouette_csr_metric<T, I, Metric::euclidean>(data, indices, indptr, n, d, starts, k, out, threads);
}

template <class T>
MetricKernels<T> metrics_table() {
  return MetricKernels<T>{&silhouette<T>, &silhouette_csr<T, std::int32_t>, &silhouette_csr<T, std::int64_t>};
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
