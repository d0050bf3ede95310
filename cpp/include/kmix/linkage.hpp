// Hierarchical-clustering kernels: the O(n·d) scans inside the O(n) steps of the linkage
// algorithms (linkage_driver.cpp): condensed distance matrices, Prim's update on raw vectors, and
// Ward's nearest-neighbour search on centroids.
//
// Compiled once per ISA level into kmix::KMIX_ISA_NS (linkage_kernels.cpp). Searches return the
// minimum of a total order (distance, then index), which does not depend on the order rows are
// visited in, so splitting them over threads never changes a result.
#pragma once
#include <cmath>
#include <limits>

#include "kmix/distances.hpp"
#include "kmix/isa.hpp"

#ifndef KMIX_ISA_NS
#define KMIX_ISA_NS baseline
#endif

namespace kmix {
namespace KMIX_ISA_NS {

namespace hier {

template <class T>
inline double distance(const T* a, const T* b, index_t d, Metric metric, double na, double nb) {
  switch (metric) {
    case Metric::sqeuclidean: return sq_dist(a, b, d);
    case Metric::euclidean: return std::sqrt(sq_dist(a, b, d));
    case Metric::cityblock: {
      double s = 0.0;
      for (index_t j = 0; j < d; ++j) s += std::fabs(double(a[j]) - double(b[j]));
      return s;
    }
    default: {  // cosine, as scipy: 1 − u·v / (‖u‖·‖v‖), clipped to [0, 2] against rounding
      double dot = 0.0;
      for (index_t j = 0; j < d; ++j) dot += double(a[j]) * double(b[j]);
      const double v = 1.0 - dot / (na * nb);
      return v < 0.0 ? 0.0 : (v > 2.0 ? 2.0 : v);
    }
  }
}

// Rows per parallel block of a search: large enough that a block outweighs its scheduling; a
// search never starts more threads than it has blocks (the searches run thousands of times, and
// idle threads in each would cost more than they help).
constexpr index_t kSearchBlock = 4096;

struct Best {
  double dist;
  index_t rank, slot;
  bool beats(const Best& o) const { return dist < o.dist || (dist == o.dist && rank < o.rank); }
};

}  // namespace hier

template <class T>
void pdist(const T* X, index_t n, index_t d, Metric metric, const double* norms, double* out,
           int threads) {
  // Row i owns out[n·i − i(i+1)/2 ...]: rows are independent, any schedule gives the same bits.
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads) if (n > 256)
  for (index_t i = 0; i < n - 1; ++i) {
    double* row = out + n * i - i * (i + 1) / 2 - i - 1;
    const double ni = norms ? norms[i] : 0.0;
    for (index_t j = i + 1; j < n; ++j)
      row[j] = hier::distance(X + i * d, X + j * d, d, metric, ni, norms ? norms[j] : 0.0);
  }
}

template <class T>
index_t prim_step(const T* X, index_t d, Metric metric, const double* norms, index_t x,
                  const index_t* rows, index_t m, double* dist, int threads) {
  // Euclidean distances are compared squared (the same order); the driver takes the root.
  const Metric inner = metric == Metric::euclidean ? Metric::sqeuclidean : metric;
  const index_t n_blocks = (m + hier::kSearchBlock - 1) / hier::kSearchBlock;
  const double nx = norms ? norms[x] : 0.0;
  const hier::Best none{std::numeric_limits<double>::infinity(), std::numeric_limits<index_t>::max(), -1};
  hier::Best best = none;
#pragma omp parallel num_threads(threads < n_blocks ? threads : int(n_blocks)) if (n_blocks > 1)
  {
    hier::Best mine = none;
#pragma omp for schedule(static)
    for (index_t b = 0; b < n_blocks; ++b) {
      const index_t end = (b + 1) * hier::kSearchBlock < m ? (b + 1) * hier::kSearchBlock : m;
      for (index_t t = b * hier::kSearchBlock; t < end; ++t) {
        const index_t i = rows[t];
        const double v = hier::distance(X + x * d, X + i * d, d, inner, nx, norms ? norms[i] : 0.0);
        if (v < dist[t]) dist[t] = v;
        const hier::Best c{dist[t], i, t};
        if (c.beats(mine)) mine = c;
      }
    }
#pragma omp critical(kmix_prim_best)
    if (mine.beats(best)) best = mine;
  }
  return best.slot;
}

// Ward's search, a vector of active positions at a time (the columns are padded to whole
// vectors; lanes past m are masked, so no scalar tail computes anything differently).
inline index_t ward_nearest(const double* cols, index_t stride, const double* sizes, const double* slots,
                            index_t m, index_t d, const double* cx, double sx, index_t x, index_t prev,
                            double* best_dist, int threads) {
  using S = Simd<double>;
  typedef S::vec vec;
  constexpr index_t L = S::lanes;
  const double inf = std::numeric_limits<double>::infinity(), huge = 9.0e18;
  const index_t n_blocks = (m + hier::kSearchBlock - 1) / hier::kSearchBlock;
  double best_v = inf, best_r = huge;
#pragma omp parallel num_threads(threads < n_blocks ? threads : int(n_blocks)) if (n_blocks > 1)
  {
    vec bv = S::splat(inf), br = S::splat(huge);
    const vec vx = S::splat(double(x)), vprev = S::splat(double(prev)), vsx = S::splat(sx);
    const vec two_sx = S::splat(2.0 * sx), vinf = S::splat(inf), vneg = S::splat(-1.0);
    double lane[L];
    for (index_t l = 0; l < L; ++l) lane[l] = double(l);
    const vec lanes = S::load(lane);
#pragma omp for schedule(static)
    for (index_t b = 0; b < n_blocks; ++b) {
      const index_t end = (b + 1) * hier::kSearchBlock < m ? (b + 1) * hier::kSearchBlock : m;
      const vec vend = S::splat(double(end));
      for (index_t t = b * hier::kSearchBlock; t < end; t += L) {
        vec acc = S::zero();
        for (index_t j = 0; j < d; ++j) {
          const vec diff = S::sub(S::load(cols + j * stride + t), S::splat(cx[j]));
          S::fma(acc, diff, diff);
        }
        const vec st = S::load(sizes + t), slot = S::load(slots + t);
        vec v = S::mul(S::div(S::mul(two_sx, st), S::add(vsx, st)), acc);
        const vec pos = S::add(S::splat(double(t)), lanes);
        v = S::select_lt(pos, vend, v, vinf);        // lanes past the end
        v = S::select_eq(slot, vx, vinf, v);         // x itself
        const vec r = S::select_eq(slot, vprev, vneg, slot);
        S::keep_lexmin(bv, br, v, r);
      }
    }
    double vs[L], rs[L];
    S::store(vs, bv);
    S::store(rs, br);
#pragma omp critical(kmix_ward_best)
    for (index_t l = 0; l < L; ++l)
      if (vs[l] < best_v || (vs[l] == best_v && rs[l] < best_r)) {
        best_v = vs[l];
        best_r = rs[l];
      }
  }
  *best_dist = best_v;
  return best_r < 0 ? prev : index_t(best_r);
}

template <class T>
LinkageKernels<T> linkage_table() {
  return LinkageKernels<T>{&pdist<T>, &prim_step<T>};
}

inline WardKernels ward_table() { return WardKernels{&ward_nearest}; }

}  // namespace KMIX_ISA_NS
}  // namespace kmix
