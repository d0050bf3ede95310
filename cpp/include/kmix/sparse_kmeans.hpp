// Sparse k-means kernels: CSR rows (CsrView, isa.hpp) against dense centers, for scikit-learn's
// sparse Lloyd loop (_k_means_lloyd.pyx, _k_means_common.pyx), which never centres X and ranks
// centers by ‖c‖² − 2·x·c over the row's nonzeros.
//
// The centers are transposed once per call (Ct: d rows of sparse_ct_stride(k) values, isa.hpp),
// so that one nonzero x_ij meets a panel of centers in a contiguous, vectorized multiply-add whose
// sums stay in registers: each x·c_j still sums its products in the row's stored order, as
// scikit-learn's per-center loop does. Memory: O(k·d) besides X, never a dense copy of X.
// Compiled once per ISA level into kmix::KMIX_ISA_NS, without FMA contraction (CMakeLists.txt),
// so that each sum rounds as scikit-learn's does.
#pragma once
#include <cstdint>
#include <limits>

#include "kmix/distances.hpp"
#include "kmix/isa.hpp"

namespace kmix {
namespace KMIX_ISA_NS {

// Blocks of rows for the sparse passes: at most 1024 of whole row chunks, independent of threads.
static inline Blocks sparse_blocks(index_t n) { return fixed_blocks(n, 1024); }

// Centers per pass over a row's nonzeros (their sums in registers), and how many nonzeros ahead
// the next centers' values are prefetched: Ct outgrows L2 and a random column's values are a
// cache miss; prefetching them halved the time at (50k × 20k, 0.2%, k = 20).
constexpr index_t kSparsePanel = 32;
constexpr index_t kSparseAhead = 24;

// out[0..W) = x_i·c_j for W centers: columns [0, W) of Ct, rows of `stride` values, each summed
// in A over the row's nonzeros in stored order.
template <index_t W, class A, class T, class I>
inline void panel_dots(const CsrView<T, I>& X, index_t i, const T* __restrict Ct, index_t stride, A* __restrict out) {
  A acc[W] = {};
  const index_t last = index_t(X.indptr[X.n]) - 1;
  for (index_t p = index_t(X.indptr[i]); p < index_t(X.indptr[i + 1]); ++p) {
    const T* ahead = Ct + index_t(X.indices[p + kSparseAhead < last ? p + kSparseAhead : last]) * stride;
    prefetch_values(ahead, W);
    const A v = A(X.data[p]);
    const T* __restrict c = Ct + index_t(X.indices[p]) * stride;
    KMIX_OMP_SIMD
    for (index_t j = 0; j < W; ++j) acc[j] += v * A(c[j]);
  }
  for (index_t j = 0; j < W; ++j) out[j] = acc[j];
}

// panel_dots for a runtime width w: 1, or a multiple of 32 bytes of T up to W.
template <index_t W = kSparsePanel, class A, class T, class I>
inline void panel_dots_of(index_t w, const CsrView<T, I>& X, index_t i, const T* Ct, index_t stride, A* out) {
  constexpr index_t group = 32 / index_t(sizeof(T));
  if constexpr (W > group) {
    if (w < W) return panel_dots_of<W - group>(w, X, i, Ct, stride, out);
  } else {
    if (w == 1) return panel_dots<1>(X, i, Ct, stride, out);
  }
  panel_dots<W>(X, i, Ct, stride, out);
}

// acc[j] = x_i·c_j for the m centers of Ct, over row i's nonzeros in stored order, summed in A;
// acc holds sparse_ct_stride(m) values.
template <class A, class T, class I>
inline void row_dots(const CsrView<T, I>& X, index_t i, const T* Ct, index_t m, A* acc) {
  const index_t stride = sparse_ct_stride<T>(m);
  for (index_t off = 0; off < stride; off += kSparsePanel)
    panel_dots_of(stride - off < kSparsePanel ? stride - off : kSparsePanel, X, i, Ct + off, stride, acc + off);
}

// Per-thread scratch of `width` values of A, allocated before a parallel region (an allocation
// failing inside one could not throw).
template <class A = double>
struct ThreadScratch {
  HeapArray<A> buf;
  index_t width;
  ThreadScratch(int threads, index_t width_) : buf(index_t(threads > 0 ? threads : 1) * width_), width(width_) {}
  A* mine() const { return buf.data() + index_t(thread_index()) * width; }
};

// scikit-learn's _euclidean_sparse_dense (squared): ‖c‖² + Σ_nz ((x − c)² − c²), at least 0, the
// center's value at column j read as c[j·step].
template <class T, class I>
inline double sparse_dense_sq(const CsrView<T, I>& X, index_t i, const T* c, index_t step, double cn) {
  double r = 0.0;
  for (index_t p = index_t(X.indptr[i]); p < index_t(X.indptr[i + 1]); ++p) {
    const double ci = double(c[index_t(X.indices[p]) * step]), t = double(X.data[p]) - ci;
    r += t * t - ci * ci;
  }
  r += cn;
  return r < 0.0 ? 0.0 : r;
}

constexpr index_t kMaxSparseBlocks = 1024;  // sparse_blocks' most

template <class T, class I>
index_t sparse_assign(const CsrView<T, I>& X, const T* Ct, const double* cnorm, index_t k, int* labels, const T* w,
                      double* dist, double* inertia, int threads) {
  const Blocks blocks = sparse_blocks(X.n);
  const index_t nnz = index_t(X.indptr[X.n]), stride = sparse_ct_stride<T>(k);
  const int team = blocks.count > 1 && worth_threads((nnz + X.n) * k) ? threads : 1;
  // In T, as scikit-learn's `floating sq_dist`: float32 data are summed in float32.
  const ThreadScratch<T> scratch(team, stride);
  double part[kMaxSparseBlocks];
  index_t changed = 0;
  StopFlag stop;
#pragma omp parallel for schedule(dynamic, 1) num_threads(team) reduction(+ : changed) if (team > 1)
  for (index_t b = 0; b < blocks.count; ++b) {
    if (stop.stop()) continue;
    T* acc = scratch.mine();
    double s = 0.0;
    for (index_t i = blocks.begin(b); i < blocks.end(b, X.n); ++i) {
      row_dots(X, i, Ct, k, acc);
      // scikit-learn's loop: the first strictly smaller value wins; NaN never does.
      int best = 0;
      T low = std::numeric_limits<T>::infinity();
      for (index_t j = 0; j < k; ++j) {
        const T v = T(cnorm[j]) - T(2) * acc[j];
        if (v < low) {
          low = v;
          best = int(j);
        }
      }
      changed += labels[i] != best;
      labels[i] = best;
      if (inertia) {  // as sparse_dist_to_assigned, while the row and its Ct lines are in L1
        const double r = sparse_dense_sq(X, i, Ct + best, stride, cnorm[best]);
        if (dist) dist[i] = r;
        s += w ? r * double(w[i]) : r;
      }
    }
    part[b] = s;
  }
  stop.rethrow();
  if (inertia) {
    double total = 0.0;
    for (index_t b = 0; b < blocks.count; ++b) total += part[b];
    *inertia = total;
  }
  return changed;
}

template <class T, class I>
double sparse_dist_to_assigned(const CsrView<T, I>& X, const T* w, const T* C, const double* cnorm, const int* labels,
                               double* out, int threads) {
  const Blocks blocks = sparse_blocks(X.n);
  double part[kMaxSparseBlocks];
  StopFlag stop;
#pragma omp parallel for schedule(static) \
    num_threads(threads) if (blocks.count > 1 && worth_threads(index_t(X.indptr[X.n])))
  for (index_t b = 0; b < blocks.count; ++b) {
    if (stop.stop()) continue;
    double s = 0.0;
    for (index_t i = blocks.begin(b); i < blocks.end(b, X.n); ++i) {
      const index_t c = labels[i];
      const double dist = sparse_dense_sq(X, i, C + c * X.d, 1, cnorm[c]);
      if (out) out[i] = dist;
      s += w ? dist * double(w[i]) : dist;
    }
    part[b] = s;
  }
  stop.rethrow();
  double total = 0.0;
  for (index_t b = 0; b < blocks.count; ++b) total += part[b];
  return total;
}

template <class T, class I>
void sparse_cluster_sums(const CsrView<T, I>& X, const T* w, const index_t* order, const index_t* starts, index_t k,
                         double* sums, double* weights, int threads) {
  StopFlag stop;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (k > 1 && worth_threads(index_t(X.indptr[X.n])))
  for (index_t c = 0; c < k; ++c) {
    if (stop.stop()) continue;
    double* __restrict s = sums + c * X.d;
    for (index_t j = 0; j < X.d; ++j) s[j] = 0.0;
    double total = 0.0;
    for (index_t t = starts[c]; t < starts[c + 1]; ++t) {
      const index_t i = order[t];
      // The rows come in label order, so the prefetcher cannot guess the next one: ask for the
      // row 4 ahead (measured: 6.6 -> 3.7 ms at 50k × 20k, k = 20).
      const index_t r = order[t + 4 < starts[k] ? t + 4 : starts[k] - 1];
      for (index_t p = index_t(X.indptr[r]); p < index_t(X.indptr[r + 1]); p += 8) {
        prefetch_line(X.data, p);
        prefetch_line(X.indices, p);
      }
      const double wi = w ? double(w[i]) : 1.0;
      for (index_t p = index_t(X.indptr[i]); p < index_t(X.indptr[i + 1]); ++p)
        s[X.indices[p]] += double(X.data[p]) * wi;
      total += wi;
    }
    weights[c] = total;
  }
  stop.rethrow();
}

template <class T, class I>
void sparse_sq_distances(const CsrView<T, I>& X, const T* Ct, const double* cnorm, index_t k, const double* xnorm,
                         T* out, int threads) {
  const Blocks blocks = sparse_blocks(X.n);
  const int team = blocks.count > 1 && worth_threads((index_t(X.indptr[X.n]) + X.n) * k) ? threads : 1;
  const ThreadScratch<> scratch(team, sparse_ct_stride<T>(k));
  StopFlag stop;
#pragma omp parallel for schedule(dynamic, 1) num_threads(team) if (team > 1)
  for (index_t b = 0; b < blocks.count; ++b) {
    if (stop.stop()) continue;
    double* acc = scratch.mine();
    for (index_t i = blocks.begin(b); i < blocks.end(b, X.n); ++i) {
      row_dots(X, i, Ct, k, acc);
      for (index_t j = 0; j < k; ++j) {
        const double v = (-2.0 * acc[j] + xnorm[i]) + cnorm[j];
        out[i * k + j] = T(v > 0.0 ? v : 0.0);
      }
    }
  }
  stop.rethrow();
}

template <class T, class I>
void sparse_row_norms(const CsrView<T, I>& X, double* xnorm, int threads) {
  const Blocks blocks = sparse_blocks(X.n);
#pragma omp parallel for schedule(static) \
    num_threads(threads) if (blocks.count > 1 && worth_threads(index_t(X.indptr[X.n])))
  for (index_t b = 0; b < blocks.count; ++b)
    for (index_t i = blocks.begin(b); i < blocks.end(b, X.n); ++i) {
      double s = 0.0;
      for (index_t p = index_t(X.indptr[i]); p < index_t(X.indptr[i + 1]); ++p)
        s += double(X.data[p]) * double(X.data[p]);
      xnorm[i] = s;
    }
}

// k-means++ distance of row i to a candidate, in scikit-learn's order of operations
// (_euclidean_distances(candidates, X): −2·dot, plus the candidate's norm, plus the row's).
static inline double seeding_dist(double dot, double cn, double xn) {
  const double v = (-2.0 * dot + cn) + xn;
  return v > 0.0 ? v : 0.0;
}

template <class T, class I>
void sparse_seeding_pots(const CsrView<T, I>& X, const T* w, const T* Ct, const double* cnorm, index_t m,
                         const double* xnorm, const double* closest, double* pots, int threads) {
  constexpr index_t kMaxCand = 64;
  const Blocks blocks = sparse_blocks(X.n);
  HeapArray<double> part(blocks.count * kMaxCand);
  const int team = blocks.count > 1 && worth_threads((index_t(X.indptr[X.n]) + X.n) * m) ? threads : 1;
  const ThreadScratch<> scratch(team, sparse_ct_stride<T>(m));
  StopFlag stop;
#pragma omp parallel for schedule(dynamic, 1) num_threads(team) if (team > 1)
  for (index_t b = 0; b < blocks.count; ++b) {
    if (stop.stop()) continue;
    double* acc = scratch.mine();
    double* pb = part.data() + b * kMaxCand;
    for (index_t i = blocks.begin(b); i < blocks.end(b, X.n); ++i) {
      row_dots(X, i, Ct, m, acc);
      const double wi = double(w[i]);
      for (index_t t = 0; t < m; ++t) {
        double s = seeding_dist(acc[t], cnorm[t], xnorm[i]);
        if (closest[i] < s) s = closest[i];
        pb[t] += wi * s;
      }
    }
  }
  stop.rethrow();
  for (index_t t = 0; t < m; ++t) {
    double total = 0.0;
    for (index_t b = 0; b < blocks.count; ++b) total += part[b * kMaxCand + t];
    pots[t] = total;
  }
}

template <class T, class I>
void sparse_seeding_update(const CsrView<T, I>& X, const T* w, const T* c, double cn, const double* xnorm,
                           double* closest, double* block_sums, int threads) {
  const index_t n = X.n, n_blocks = (n + kSeedingBlock - 1) / kSeedingBlock;
  StopFlag stop;
#pragma omp parallel for schedule(static) num_threads(threads) if (n_blocks > 1 && worth_threads(index_t(X.indptr[n])))
  for (index_t b = 0; b < n_blocks; ++b) {
    if (stop.stop()) continue;
    const index_t end = (b + 1) * kSeedingBlock < n ? (b + 1) * kSeedingBlock : n;
    double s = 0.0;
    for (index_t i = b * kSeedingBlock; i < end; ++i) {
      double dot;
      row_dots(X, i, c, 1, &dot);
      const double dist = seeding_dist(dot, cn, xnorm[i]);
      if (dist < closest[i]) closest[i] = dist;
      s += double(w[i]) * closest[i];
    }
    block_sums[b] = s;
  }
  stop.rethrow();
}

template <class T, class I>
SparseKMeansFns<T, I> sparse_fns() {
  return SparseKMeansFns<T, I>{&sparse_assign<T, I>,        &sparse_dist_to_assigned<T, I>, &sparse_cluster_sums<T, I>,
                               &sparse_sq_distances<T, I>,  &sparse_row_norms<T, I>,        &sparse_seeding_pots<T, I>,
                               &sparse_seeding_update<T, I>};
}

template <class T>
SparseKMeansKernels<T> sparse_kmeans_table() {
  return SparseKMeansKernels<T>{sparse_fns<T, std::int32_t>(), sparse_fns<T, std::int64_t>()};
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
