// Hierarchical-clustering kernels: the O(n·d) scans inside the O(n) steps of the linkage
// algorithms (linkage_driver.cpp): condensed distance matrices, Prim's update on raw vectors,
// Ward's nearest-neighbour search on centroids, and the min-plus rows of optimal leaf ordering.
//
// Compiled once per ISA level into kmix::KMIX_ISA_NS (linkage_kernels.cpp). Searches return the
// minimum of a total order (distance, then index), which does not depend on the order rows are
// visited in, so splitting them over threads never changes a result.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>

#include "kmix/distances.hpp"
#include "kmix/isa.hpp"
#include "kmix/parallel.hpp"

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
  index_t rank, slot;  // slot: the position found
  bool beats(const Best& o) const { return dist < o.dist || (dist == o.dist && rank < o.rank); }
};

// ‖c_t − cx‖² for the vector of positions t .. t+L−1 of feature-major columns (the searches on
// raw vectors): every lane the same operations in the same order, so a position's value does not
// depend on its lane or vector.
inline Simd<double>::vec sq_dists_to(const double* cols, index_t stride, index_t t, index_t d, const double* cx) {
  using S = Simd<double>;
  S::vec acc = S::zero();
  for (index_t j = 0; j < d; ++j) {
    const S::vec diff = S::sub(S::load(cols + j * stride + t), S::splat(cx[j]));
    S::fma(acc, diff, diff);
  }
  return acc;
}

}  // namespace hier

// The distances from each row i to the rows j after it (all rows j ≠ i when full), into
// row_of(i)[j]; whether every one is finite and >= 0. Rows are independent: any schedule gives
// the same bits. Euclidean distances take a group of kColumnRows rows j at a time
// (column_sq_dists: sq_dist's arithmetic lane by lane), X turned to columns once; pdist and
// pdist_square both come here, so their distances are the same bits.
template <class T, class RowOf>
bool pdist_rows(const T* X, index_t n, index_t d, Metric metric, const double* norms, bool full, int threads,
                RowOf row_of) {
  const double top = std::numeric_limits<double>::max();
  bool ok = true;
  StopFlag stop;
  if (metric == Metric::euclidean || metric == Metric::sqeuclidean) {
    constexpr index_t P = kColumnRows;
    const index_t groups = (n + P - 1) / P, last = full ? n : n - 1;
    HeapArray<double> columns(groups * P * d);
#pragma omp parallel for schedule(static) num_threads(threads) if (n > 256)
    for (index_t g = 0; g < groups; ++g)
      rows_as_columns(X, g * P, std::min(P, n - g * P), d, columns.data() + g * P * d);
    const bool root = metric == Metric::euclidean;
#pragma omp parallel for schedule(dynamic, 16) reduction(&& : ok) num_threads(threads) if (n > 256)
    for (index_t i = 0; i < last; ++i) {
      if (stop.stop()) continue;
      double* row = row_of(i);
      const index_t from = full ? 0 : i + 1;
      bool row_ok = true;
      for (index_t g = from / P; g < groups; ++g) {
        alignas(64) double out[P];
        column_sq_dists(columns.data() + g * P * d, d, X + i * d, out);
        if (root)
          for (index_t q = 0; q < P; ++q) out[q] = std::sqrt(out[q]);
        const index_t lo = std::max(from, g * P), hi = std::min(n, g * P + P);
        for (index_t j = lo; j < hi; ++j) {
          row[j] = out[j - g * P];
          row_ok &= j == i || (row[j] >= 0.0 && row[j] <= top);
        }
      }
      if (full) row[i] = 0.0;
      ok = ok && row_ok;
    }
    stop.rethrow();
    return ok;
  }
#pragma omp parallel for schedule(dynamic, 16) reduction(&& : ok) num_threads(threads) if (n > 256)
  for (index_t i = 0; i < n - 1; ++i) {
    if (stop.stop()) continue;
    double* row = row_of(i);
    const double ni = norms ? norms[i] : 0.0;
    bool row_ok = true;
    for (index_t j = i + 1; j < n; ++j) {
      row[j] = hier::distance(X + i * d, X + j * d, d, metric, ni, norms ? norms[j] : 0.0);
      row_ok &= row[j] >= 0.0 && row[j] <= top;
    }
    ok = ok && row_ok;
  }
  stop.rethrow();
  if (full) mirror_upper_triangle(row_of(0), n, n > 256 ? threads : 1);
  return ok;
}

template <class T>
void pdist(const T* X, index_t n, index_t d, Metric metric, const double* norms, double* out, int threads) {
  // Row i owns out[n·i − i(i+1)/2 ...].
  pdist_rows(X, n, d, metric, norms, false, threads, [&](index_t i) { return out + n * i - i * (i + 1) / 2 - i - 1; });
}

// The n×n matrix: euclidean rows whole (each pair computed twice, the same bits either way round:
// the differences only change sign), other metrics the upper triangle then its mirror.
template <class T>
bool pdist_square(const T* X, index_t n, index_t d, Metric metric, const double* norms, double* out, int threads) {
  return pdist_rows(X, n, d, metric, norms, true, threads, [&](index_t i) { return out + i * n; });
}

namespace hier {

// The smallest (value, rank) over positions [0, m) and the position that has it. cand(t, v, r)
// fills v and r for the vector of positions t .. t+L−1; lanes past m are masked here, so the
// columns only need padding to whole vectors and no scalar tail computes anything differently.
// A NaN value counts as +inf, so some position in [0, m) is always found (m >= 1).
// Fixed blocks over threads; the minimum of a total order does not depend on the split.
template <class Cand>
inline Best lexmin_search(index_t m, int threads, Cand cand) {
  using S = Simd<double>;
  typedef S::vec vec;
  constexpr index_t L = S::lanes;
  const double inf = std::numeric_limits<double>::infinity(), huge = 9.0e18;
  const index_t n_blocks = (m + kSearchBlock - 1) / kSearchBlock;
  Best best{inf, std::numeric_limits<index_t>::max(), -1};
#pragma omp parallel num_threads(threads < n_blocks ? threads : int(n_blocks)) if (n_blocks > 1)
  {
    vec bv = S::splat(inf), br = S::splat(huge), bt = S::splat(-1.0);
    const vec vinf = S::splat(inf), vhuge = S::splat(huge);
    double lane[L];
    for (index_t l = 0; l < L; ++l) lane[l] = double(l);
    const vec lanes = S::load(lane);
#pragma omp for schedule(static)
    for (index_t b = 0; b < n_blocks; ++b) {
      const index_t end = (b + 1) * kSearchBlock < m ? (b + 1) * kSearchBlock : m;
      const vec vend = S::splat(double(end));
      for (index_t t = b * kSearchBlock; t < end; t += L) {
        vec v, r;
        cand(t, v, r);
        const vec pos = S::add(S::splat(double(t)), lanes);
        v = S::select_eq(v, v, v, vinf);  // NaN -> +inf
        S::keep_lexmin(bv, br, bt, S::select_lt(pos, vend, v, vinf), S::select_lt(pos, vend, r, vhuge), pos);
      }
    }
    double vs[L], rs[L], ts[L];
    S::store(vs, bv);
    S::store(rs, br);
    S::store(ts, bt);
#pragma omp critical(kmix_lexmin_search)
    for (index_t l = 0; l < L; ++l) {
      const Best c{vs[l], index_t(rs[l]), index_t(ts[l])};
      if (c.beats(best)) best = c;
    }
  }
  return best;
}

}  // namespace hier

// Ward's search: the squared Ward distance to every active position, the chain's previous
// element ranked −1 so that it wins ties, x itself out of the running (ranked after every other
// position, at +inf, so that it is never found while m >= 2, whatever the distances).
inline index_t ward_nearest(const double* cols, index_t stride, const double* sizes, const double* slots, index_t m,
                            index_t d, const double* cx, double sx, index_t x, index_t prev, double* best_dist,
                            int threads) {
  using S = Simd<double>;
  typedef S::vec vec;
  const vec vx = S::splat(double(x)), vprev = S::splat(double(prev)), vsx = S::splat(sx);
  const vec two_sx = S::splat(2.0 * sx), vinf = S::splat(std::numeric_limits<double>::infinity());
  const vec vneg = S::splat(-1.0), vlast = S::splat(9.0e18);
  const hier::Best best = hier::lexmin_search(m, threads, [&](index_t t, vec& v, vec& r) {
    const vec acc = hier::sq_dists_to(cols, stride, t, d, cx);
    const vec st = S::load(sizes + t), slot = S::load(slots + t);
    v = S::select_eq(slot, vx, vinf, S::mul(S::div(S::mul(two_sx, st), S::add(vsx, st)), acc));
    r = S::select_eq(slot, vx, vlast, S::select_eq(slot, vprev, vneg, slot));
  });
  *best_dist = best.dist;
  return best.rank < 0 ? prev : best.rank;
}

// Prim's update: each outside row's distance to the tree drops to its distance to x if that is
// smaller; the row with the smallest (distance, row number) joins next.
inline index_t prim_step(const double* cols, index_t stride, const double* rows, const double* norms, index_t m,
                         index_t d, const double* cx, double nx, Metric metric, double* dist, int threads) {
  using S = Simd<double>;
  typedef S::vec vec;
  const vec zero = S::zero(), two = S::splat(2.0), one = S::splat(1.0);
  return hier::lexmin_search(m, threads,
                             [&](index_t t, vec& v, vec& r) {
                               vec acc = S::zero();
                               if (metric == Metric::cosine) {
                                 for (index_t j = 0; j < d; ++j)
                                   S::fma(acc, S::load(cols + j * stride + t), S::splat(cx[j]));
                                 const vec c = S::sub(one, S::div(acc, S::mul(S::splat(nx), S::load(norms + t))));
                                 const vec c0 = S::select_lt(c, zero, zero, c);  // clipped to [0, 2] as scipy's
                                 acc = S::select_lt(two, c0, two, c0);
                               } else if (metric == Metric::cityblock) {
                                 for (index_t j = 0; j < d; ++j) {
                                   const vec diff = S::sub(S::load(cols + j * stride + t), S::splat(cx[j]));
                                   acc = S::add(acc, S::select_lt(diff, zero, S::sub(zero, diff), diff));
                                 }
                               } else {  // squared Euclidean (the driver takes the root for "euclidean")
                                 acc = hier::sq_dists_to(cols, stride, t, d, cx);
                               }
                               v = S::min(S::load(dist + t), acc);
                               S::store(dist + t,
                                        v);  // padding lanes past m are written too: they are never read as rows
                               r = S::load(rows + t);
                             })
      .slot;
}

// Centroid and median linkage on raw vectors: out[t] = ‖c_t − cx‖² for t in [lo, hi), computed a
// whole vector of positions at a time from lo rounded down to the lanes (cols and out must reach
// that far, and hi rounded up: the padding), and the first position in [from, hi) with live[t]
// nonzero at the least value. A position's value does not depend on its lane, its vector or the
// thread (sq_dists_to). Not lexmin_search: its (value, rank, position) per vector doubled this
// loop's cost (54 against 82 ms for a 5000-point centroid tree on one thread); here a lane's
// positions rise, so a strict comparison keeps its first least, and only the lanes and the
// threads' parts are compared by (value, position).
inline index_t centroid_row(const double* cols, index_t stride, const double* live, index_t lo, index_t from,
                            index_t hi, index_t d, const double* cx, double* out, double* best_dist, int threads) {
  using S = Simd<double>;
  typedef S::vec vec;
  constexpr index_t L = S::lanes;
  constexpr int kMaxTeam = 64;
  const double inf = std::numeric_limits<double>::infinity(), huge = 9.0e18;
  const index_t base = lo / L * L, count = hi > base ? (hi - base + L - 1) / L : 0;
  const int team = threads > 1 && hi - base >= hier::kSearchBlock ? (threads < kMaxTeam ? threads : kMaxTeam) : 1;
  double part_dist[kMaxTeam], part_pos[kMaxTeam];
  auto keep_first_least = [](double v, double p, double& best_v, double& best_p) {
    if (v < best_v || (v == best_v && p < best_p)) {
      best_v = v;
      best_p = p;
    }
  };
#pragma omp parallel num_threads(team) if (team > 1)
  for (int w = thread_index(); w < team; w += team_threads()) {  // (the region may have fewer threads)
    const vec vinf = S::splat(inf), vfrom = S::splat(double(from)), vhi = S::splat(double(hi)), zero = S::zero();
    double lane[L];
    for (index_t l = 0; l < L; ++l) lane[l] = double(l);
    const vec lanes = S::load(lane);
    vec best = vinf, at = S::splat(huge);
    // Contiguous shares of the vectors.
    for (index_t v = count * w / team; v < count * (w + 1) / team; ++v) {
      const index_t t = base + v * L;
      const vec acc = hier::sq_dists_to(cols, stride, t, d, cx);
      S::store(out + t, acc);
      const vec pos = S::add(S::splat(double(t)), lanes);
      const vec val = S::select_eq(S::load(live + t), zero, vinf,
                                   S::select_lt(pos, vfrom, vinf, S::select_lt(pos, vhi, acc, vinf)));
      at = S::select_lt(val, best, pos, at);
      best = S::select_lt(val, best, val, best);
    }
    double bv[L], bp[L];
    S::store(bv, best);
    S::store(bp, at);
    part_dist[w] = inf;
    part_pos[w] = huge;
    for (index_t l = 0; l < L; ++l) keep_first_least(bv[l], bp[l], part_dist[w], part_pos[w]);
  }
  double v0 = inf, p0 = huge;
  for (int w = 0; w < team; ++w) keep_first_least(part_dist[w], part_pos[w], v0, p0);
  *best_dist = v0;
  return p0 < double(hi) ? index_t(p0) : index_t(-1);
}

// min over t of b[t] + d[t]: two vectors of running minima, the tail lanes padded with +inf.
inline double min_plus(const double* b, const double* d, index_t count) {
  using S = Simd<double>;
  typedef S::vec vec;
  constexpr index_t L = S::lanes;
  const double inf = std::numeric_limits<double>::infinity();
  vec m0 = S::splat(inf), m1 = m0;
  index_t t = 0;
  for (; t + 2 * L <= count; t += 2 * L) {
    m0 = S::min(m0, S::add(S::load(b + t), S::load(d + t)));
    m1 = S::min(m1, S::add(S::load(b + t + L), S::load(d + t + L)));
  }
  double lane[L];
  S::store(lane, S::min(m0, m1));
  double m = inf;
  for (index_t l = 0; l < L; ++l) m = lane[l] < m ? lane[l] : m;
  for (; t < count; ++t) m = b[t] + d[t] < m ? b[t] + d[t] : m;
  return m;
}

// TreeKernels::live_row_min: vectors of positions from each range's start, a scalar tail.
inline double live_row_min(const double* row, const double* size, index_t p, index_t lo, index_t hi, index_t block,
                           index_t* at) {
  using S = Simd<double>;
  typedef S::vec vec;
  constexpr index_t L = S::lanes;
  const double inf = std::numeric_limits<double>::infinity();
  auto range_min = [&](index_t b, index_t e) {
    const vec vinf = S::splat(inf), zero = S::zero();
    vec m = vinf;
    index_t t = b;
    for (; t + L <= e; t += L) m = S::min(m, S::select_eq(S::load(size + t), zero, vinf, S::load(row + t)));
    double lane[L];
    S::store(lane, m);
    double v = inf;
    for (index_t l = 0; l < L; ++l) v = lane[l] < v ? lane[l] : v;
    for (; t < e; ++t) v = size[t] != 0.0 && row[t] < v ? row[t] : v;
    return v;
  };
  double best = inf;
  *at = -1;
  for (index_t b = lo; b < hi; b += block) {
    const index_t e = std::min(hi, b + block);
    const double v = p >= b && p < e ? std::min(range_min(b, p), range_min(p + 1, e)) : range_min(b, e);
    if (v < best) {
      best = v;
      *at = b;
    }
  }
  return best;
}

template <class T>
LinkageKernels<T> linkage_table() {
  return LinkageKernels<T>{&pdist<T>, &pdist_square<T>};
}

inline TreeKernels tree_table() {
  return TreeKernels{&ward_nearest, &prim_step, &min_plus, &centroid_row, &live_row_min};
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
