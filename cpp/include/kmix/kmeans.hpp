// k-means kernels: the Lloyd step (assignment + weighted center sums), inertia, distances for
// transform and empty-cluster relocation, and the two passes of greedy k-means++ seeding.
// Compiled once per ISA level into kmix::KMIX_ISA_NS; the iteration logic that calls them is in
// kmeans_driver.cpp. Sums are float64 per fixed block, combined in block order (parallel.hpp).
#pragma once
#include <cstdlib>
#include <new>
#include <type_traits>

#include "kmix/distances.hpp"
#include "kmix/isa.hpp"

namespace kmix {
namespace KMIX_ISA_NS {

// Centers in the tile layout, in memory owned for one kernel call, starting on a 64-byte line:
// from plain malloc (16-byte aligned) every other 32-byte panel load straddles two lines, which
// measured ~2x slower at d = 8, k = 16.
template <class T>
struct PackedCenters {
  void* raw;
  T* data;
  PackedCenters(const T* C, index_t k, index_t d) : raw(std::malloc(sizeof(T) * packed_size<T>(k, d) + 64)) {
    if (!raw) throw std::bad_alloc();
    data = align_to_line(static_cast<T*>(raw));
    if (C) pack_centers(C, k, d, data);
  }
  ~PackedCenters() { std::free(raw); }
  PackedCenters(const PackedCenters&) = delete;
  PackedCenters& operator=(const PackedCenters&) = delete;
};

// Add rows [0, m) of X, times their weights, to the sums of their clusters (float64).
// D > 0 fixes the number of features at compile time, so the row's vector adds need no loop
// (measured: ~25% cheaper at d = 8); D = 0 reads d.
template <class T, int D>
inline void add_rows(const T* __restrict X, const T* __restrict w, index_t m, index_t d, const int* lab,
                     double* __restrict sums, double* __restrict weights) {
  if (D > 0) d = D;
  for (index_t i = 0; i < m; ++i) {
    const T* __restrict x = X + i * d;
    double* __restrict s = sums + index_t(lab[i]) * d;
    const double wi = w ? double(w[i]) : 1.0;
    KMIX_OMP_SIMD
    for (index_t j = 0; j < d; ++j) s[j] += double(x[j]) * wi;
    weights[lab[i]] += wi;
  }
}

// f(std::integral_constant<int, D>{}) with D = d for the common small widths, else D = 0 (read d
// at run time): kernels whose row loop is short unroll it at compile time.
template <class F>
inline void with_row_width(index_t d, F&& f) {
  // A table of cases made by a macro, which clang-format would indent as statements.
  // clang-format off
  switch (d) {
#define KMIX_WIDTH(D) case D: f(std::integral_constant<int, D>{}); return;
    KMIX_WIDTH(1) KMIX_WIDTH(2) KMIX_WIDTH(3) KMIX_WIDTH(4) KMIX_WIDTH(5) KMIX_WIDTH(6)
    KMIX_WIDTH(7) KMIX_WIDTH(8) KMIX_WIDTH(10) KMIX_WIDTH(12) KMIX_WIDTH(16) KMIX_WIDTH(32)
#undef KMIX_WIDTH
    default: f(std::integral_constant<int, 0>{});
  }
  // clang-format on
}

template <class T>
inline void add_rows(const T* X, const T* w, index_t m, index_t d, const int* lab, double* sums, double* weights) {
  with_row_width(d, [&](auto D) { add_rows<T, D()>(X, w, m, d, lab, sums, weights); });
}

// Rows moved[0, count) of X change cluster, from labels[i] (−1: none yet) to lab[i]: each row,
// times its weight, is added to its new cluster's sums and subtracted from its old one's, and
// labels[i] becomes lab[i]. Adds to sums and weights the change in the clusters' totals.
template <class T, int D>
inline void move_rows(const T* __restrict X, const T* __restrict w, index_t d, const int* moved, index_t count,
                      const int* lab, int* labels, double* __restrict sums, double* __restrict weights) {
  if (D > 0) d = D;
  for (index_t t = 0; t < count; ++t) {
    const index_t i = moved[t];
    const int from = labels[i];
    const T* __restrict x = X + i * d;
    const double wi = w ? double(w[i]) : 1.0;
    double* __restrict to = sums + index_t(lab[i]) * d;
    KMIX_OMP_SIMD
    for (index_t j = 0; j < d; ++j) to[j] += double(x[j]) * wi;
    weights[lab[i]] += wi;
    if (from >= 0) {
      double* __restrict out = sums + index_t(from) * d;
      KMIX_OMP_SIMD
      for (index_t j = 0; j < d; ++j) out[j] -= double(x[j]) * wi;
      weights[from] -= wi;
    }
    labels[i] = lab[i];
  }
}

// The rows i < m where old[i] != now[i], into moved; returns how many. Eight rows at a time: after
// the first steps most groups of eight have no change, and cost one compare of eight labels.
inline index_t changed_rows(const int* __restrict old, const int* __restrict now, index_t m, int* __restrict moved) {
  index_t count = 0, i = 0;
  for (; i < m; i += 8) {
    std::uint64_t bits = 0;
    if (i + 8 <= m) {
      for (int u = 0; u < 8; ++u) bits |= std::uint64_t(old[i + u] != now[i + u]) << u;
    } else {
      for (index_t u = 0; i + u < m; ++u) bits |= std::uint64_t(old[i + u] != now[i + u]) << u;
    }
    for (; bits; bits &= bits - 1) moved[count++] = int(i + lowest_bit(bits));
  }
  return count;
}

// Rows per chunk: up to kRowChunk, fewer for wide rows so that a chunk is still in L2 when its
// rows are added to the center sums.
template <class T>
inline index_t tile_chunk_rows(index_t d) {
  index_t rows = (index_t(128) * 1024) / (d * index_t(sizeof(T)));
  rows = rows < kTileRows ? kTileRows : rows;
  return rows > kRowChunk ? kRowChunk : rows;
}

// The skeleton of an assignment step over the fixed blocks of a Lloyd step (lloyd_step below, and
// Elkan's step in elkan.hpp): for each chunk of at most `chunk` (<= kRowChunk) rows,
// assign(start, m, lab) puts the new labels of rows [start, start + m) in lab (it may read their
// old labels, still in labels); then labels are updated and, if sums is not null, the weighted
// cluster sums as lloyd_step documents. work: multiply-adds, to decide whether threads pay.
template <class T, class Assign>
index_t assign_and_sum(const T* X, const T* w, index_t n, index_t d, index_t k, index_t chunk, int* labels,
                       double* sums, double* weights, double* scratch, bool changes_only, index_t work, int threads,
                       const Assign& assign) {
  const Blocks blocks = lloyd_blocks(n, k, d, sizeof(T));
  const index_t stride = lloyd_stride(k, d);
  const bool update = sums != nullptr;
  if (update) scratch = align_to_line(scratch);
  index_t changed = 0;
  StopFlag stop;

#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) \
    reduction(+ : changed) if (blocks.count > 1 && worth_threads(work))
  for (index_t b = 0; b < blocks.count; ++b) {
    if (stop.stop()) continue;
    double* bsum = update ? scratch + b * stride : nullptr;
    double* bweight = update ? bsum + k * d : nullptr;
    if (update)
      for (index_t e = 0; e < stride; ++e) bsum[e] = 0.0;
    int lab[kRowChunk], moved[kRowChunk];
    const index_t end = blocks.end(b, n);
    for (index_t start = blocks.begin(b); start < end; start += chunk) {
      const index_t m = end - start < chunk ? end - start : chunk;
      assign(start, m, lab);
      if (update && changes_only) {
        const index_t n_moved = changed_rows(labels + start, lab, m, moved);
        changed += n_moved;
        with_row_width(d, [&](auto D) {
          move_rows<T, D()>(X + start * d, w ? w + start : nullptr, d, moved, n_moved, lab, labels + start, bsum,
                            bweight);
        });
        continue;
      }
      for (index_t i = 0; i < m; ++i) {
        changed += labels[start + i] != lab[i];
        labels[start + i] = lab[i];
      }
      if (update) add_rows(X + start * d, w ? w + start : nullptr, m, d, lab, bsum, bweight);
    }
  }
  stop.rethrow();
  if (update) {
    // Each element is summed over the blocks in block order. Threads take slices of elements;
    // within a slice the blocks are read one after another, contiguously (a strided walk across
    // blocks would fetch a cache line, often from the other core, per element).
    constexpr index_t kSlice = 1024;
    const index_t used = k * d + k;  // of each block's stride
    const index_t n_slices = (used + kSlice - 1) / kSlice;
#pragma omp parallel for schedule(static) num_threads(threads) if (n_slices > 1 && worth_threads(blocks.count * stride))
    for (index_t sl = 0; sl < n_slices; ++sl) {
      const index_t lo = sl * kSlice, hi = lo + kSlice < used ? lo + kSlice : used;
      double acc[kSlice];
      for (index_t e = lo; e < hi; ++e) acc[e - lo] = 0.0;
      for (index_t b = 0; b < blocks.count; ++b) {
        const double* part = scratch + b * stride;
        for (index_t e = lo; e < hi; ++e) acc[e - lo] += part[e];
      }
      for (index_t e = lo; e < hi; ++e) {
        if (e < k * d) sums[e] = acc[e - lo];
        else weights[e - k * d] = acc[e - lo];
      }
    }
  }
  return changed;
}

template <class T>
index_t lloyd_step(const T* X, const T* w, index_t n, index_t d, const T* C, index_t k, int* labels, double* sums,
                   double* weights, double* scratch, bool changes_only, int threads) {
  if (!C)  // the sums of the labels as they are
    return assign_and_sum(X, w, n, d, k, kRowChunk, labels, sums, weights, scratch, false, n * d, threads,
                          [&](index_t start, index_t m, int* lab) {
                            for (index_t i = 0; i < m; ++i) lab[i] = labels[start + i];
                          });
  const PackedCenters<T> packed(C, k, d);
  return assign_and_sum(
      X, w, n, d, k, tile_chunk_rows<T>(d), labels, sums, weights, scratch, changes_only, n * k * d, threads,
      [&](index_t start, index_t m, int* lab) { nearest_rows<T>(X + start * d, m, d, packed.data, k, lab); });
}

// Σ over fixed blocks of f(i), blocks combined in order.
template <class F>
double block_sum(index_t n, int threads, F f) {
  constexpr index_t kMaxBlocks = 256;
  const Blocks blocks = fixed_blocks(n, kMaxBlocks);
  double part[kMaxBlocks];
  StopFlag stop;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (blocks.count > 1 && worth_threads(n * 8))
  for (index_t b = 0; b < blocks.count; ++b) {
    if (stop.stop()) continue;
    double s = 0.0;
    for (index_t i = blocks.begin(b); i < blocks.end(b, n); ++i) s += f(i);
    part[b] = s;
  }
  stop.rethrow();
  double total = 0.0;
  for (index_t b = 0; b < blocks.count; ++b) total += part[b];
  return total;
}

template <class T>
double inertia(const T* X, const T* w, index_t n, index_t d, const T* C, const int* labels, int threads) {
  return block_sum(n, threads, [&](index_t i) {
    const double s = sq_dist(X + i * d, C + index_t(labels[i]) * d, d);
    return w ? s * double(w[i]) : s;
  });
}

// The nearest center of every row (lloyd_step without sums) and the inertia at those labels,
// Σ w_i ‖x_i − c_{label_i}‖², in one pass: each chunk's distances are taken while its rows are
// still in cache. Same blocks and order as inertia(), so the same value.
template <class T>
double assign_inertia(const T* X, const T* w, index_t n, index_t d, const T* C, index_t k, int* labels, int threads) {
  const PackedCenters<T> packed(C, k, d);
  constexpr index_t kMaxBlocks = 256;
  const Blocks blocks = fixed_blocks(n, kMaxBlocks);
  const index_t chunk = tile_chunk_rows<T>(d);
  double part[kMaxBlocks];
  StopFlag stop;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (blocks.count > 1 && worth_threads(n * k * d))
  for (index_t b = 0; b < blocks.count; ++b) {
    if (stop.stop()) continue;
    double s = 0.0;
    const index_t end = blocks.end(b, n);
    for (index_t start = blocks.begin(b); start < end; start += chunk) {
      const index_t last = end - start < chunk ? end : start + chunk;
      nearest_rows<T>(X + start * d, last - start, d, packed.data, k, labels + start);
      for (index_t i = start; i < last; ++i) {
        const double t = sq_dist(X + i * d, C + index_t(labels[i]) * d, d);
        s += w ? t * double(w[i]) : t;
      }
    }
    part[b] = s;
  }
  stop.rethrow();
  double total = 0.0;
  for (index_t b = 0; b < blocks.count; ++b) total += part[b];
  return total;
}

// Σ(x − shift) (rows [lo, hi) of X) into s and Σ(x − shift)² into s2, column by column in row
// order. Shifted is a template flag so the unshifted pass has no per-element test.
template <class T, int D, bool Shifted>
inline void add_column_moments(const T* __restrict X, index_t lo, index_t hi, index_t d, const double* __restrict shift,
                               double* __restrict s, double* __restrict s2) {
  if (D > 0) d = D;
  for (index_t i = lo; i < hi; ++i) {
    const T* __restrict x = X + i * d;
    KMIX_OMP_SIMD
    for (index_t j = 0; j < d; ++j) {
      const double v = Shifted ? double(x[j]) - shift[j] : double(x[j]);
      s[j] += v;
      s2[j] += v * v;
    }
  }
}

template <class T>
void column_moments(const T* X, index_t n, index_t d, const double* shift, double* moments, int threads) {
  const Blocks blocks = fixed_blocks(n, 64, 2 * d);
  HeapArray<double> part(blocks.count * 2 * d);  // zeroed
  StopFlag stop;
#pragma omp parallel for schedule(static) num_threads(threads) if (blocks.count > 1 && worth_threads(n * d))
  for (index_t b = 0; b < blocks.count; ++b) {
    if (stop.stop()) continue;
    double* s = part.data() + b * 2 * d;
    with_row_width(d, [&](auto D) {
      if (shift) add_column_moments<T, D(), true>(X, blocks.begin(b), blocks.end(b, n), d, shift, s, s + d);
      else add_column_moments<T, D(), false>(X, blocks.begin(b), blocks.end(b, n), d, shift, s, s + d);
    });
  }
  stop.rethrow();
  for (index_t e = 0; e < 2 * d; ++e) {
    double total = 0.0;
    for (index_t b = 0; b < blocks.count; ++b) total += part[b * 2 * d + e];
    moments[e] = total;
  }
}

// f(i) for every row i < n, over blocks of whole row chunks that Ctrl-C can stop between (for
// passes whose rows are independent, so any split gives the same bits). work: multiply-adds.
template <class F>
void for_rows(index_t n, index_t work, int threads, F f) {
  const Blocks blocks = fixed_blocks(n, 1024);
  StopFlag stop;
#pragma omp parallel for schedule(static) num_threads(threads) if (blocks.count > 1 && worth_threads(work))
  for (index_t b = 0; b < blocks.count; ++b) {
    if (stop.stop()) continue;
    for (index_t i = blocks.begin(b); i < blocks.end(b, n); ++i) f(i);
  }
  stop.rethrow();
}

template <class T>
void dist_to_assigned(const T* X, index_t n, index_t d, const T* C, const int* labels, double* out, int threads) {
  for_rows(n, n * d, threads, [&](index_t i) { out[i] = sq_dist(X + i * d, C + index_t(labels[i]) * d, d); });
}

template <class T>
void sq_distances(const T* X, index_t n, index_t d, const T* C, index_t k, T* out, int threads) {
  for_rows(n, n * k * d, threads, [&](index_t i) {
    for (index_t c = 0; c < k; ++c) out[i * k + c] = T(sq_dist(X + i * d, C + c * d, d));
  });
}

// max |x| over count values: NaN if any is NaN, +inf if any is infinite (and none NaN). One
// memory-bound pass, vectorized: each lane keeps its largest |x| (a NaN never wins the
// comparison) and a sum of x − x, which stays 0 unless some x is infinite or NaN; only then is
// the block looked at again, to tell NaN from infinity.
template <class T>
double abs_max(const T* x, index_t count, int threads) {
  using S = Simd<T>;
  typedef typename S::vec vec;
  constexpr index_t L = S::lanes, U = 4;
  constexpr index_t kMaxBlocks = 256;
  const Blocks blocks = fixed_blocks(count, kMaxBlocks);
  double part[kMaxBlocks];
  StopFlag stop;
#pragma omp parallel for schedule(static) num_threads(threads) if (blocks.count > 1 && worth_threads(count))
  for (index_t b = 0; b < blocks.count; ++b) {
    if (stop.stop()) continue;
    const index_t lo = blocks.begin(b), hi = blocks.end(b, count);
    const vec zero = S::zero();
    vec most[U], bad[U];
    for (index_t u = 0; u < U; ++u) most[u] = bad[u] = zero;
    index_t i = lo;
    for (; i + U * L <= hi; i += U * L)
      for (index_t u = 0; u < U; ++u) {
        const vec v = S::load(x + i + u * L), a = S::select_lt(v, zero, S::sub(zero, v), v);
        most[u] = S::select_lt(most[u], a, a, most[u]);
        bad[u] = S::add(bad[u], S::sub(v, v));
      }
    T m = 0, z = 0;
    for (index_t u = 0; u < U; ++u) {
      T lanes_most[L], lanes_bad[L];
      S::store(lanes_most, most[u]);
      S::store(lanes_bad, bad[u]);
      for (index_t l = 0; l < L; ++l) {
        m = lanes_most[l] > m ? lanes_most[l] : m;
        z += lanes_bad[l];
      }
    }
    for (; i < hi; ++i) {
      const T a = x[i] < 0 ? -x[i] : x[i];
      m = a > m ? a : m;
      z += x[i] - x[i];
    }
    if (z == 0) {
      part[b] = double(m);
      continue;
    }
    bool nan = false;  // some value is infinite or NaN: which?
    for (index_t j = lo; j < hi; ++j) nan |= x[j] != x[j];
    part[b] = nan ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  }
  stop.rethrow();
  double total = 0.0;
  for (index_t b = 0; b < blocks.count; ++b) {
    const double v = part[b];
    if (v != v) return v;
    total = v > total ? v : total;
  }
  return total;
}

// The triangle inequality's test of a row at squared distance c from its center: reach =
// (2·√c)², rounded up; false (no bound) where c is not finite (or NaN), or so small that its
// rounding is not relative (0 itself needs none: nothing is nearer).
inline bool seeding_reach(double c, double& reach) {
  reach = 4.0 * c * (1.0 + 0x1p-20);
  return c == 0.0 || (reach >= 0x1p-900 && reach < std::numeric_limits<double>::infinity());
}

// The sketch's test's reach for a row at squared distance v from its center and sketch error
// err: √v + err in float32, rounded up (each factor 1 + 2⁻¹⁸ covers a few roundings of 2⁻²⁴);
// +inf (every pair to sq_dist) where v is too small for float32's rounding to be relative, or
// beyond float32 (or NaN). A function of v and err alone: recomputed, it is the same bits.
inline float seeding_radius(double v, float err) {
  const double top = std::numeric_limits<float>::max();
  const float lift = (((v > 0.0) & (v < 0x1p-100)) | !(v <= top)) ? std::numeric_limits<float>::infinity() : 0.0f;
  return (std::sqrt(float(v < top ? v : top)) * (1.0f + 0x1p-18f) + err + lift) * (1.0f + 0x1p-18f);
}

// k-means++'s trials, sorted out on the sketch (SeedingSketch: X rounded to bfloat16, half the
// bytes of float32 and a quarter of float64, so that a step streams less) before sq_dist is
// called for the few pairs left. For a row x̃ (error e_x ≥ ‖x − x̃‖) and a candidate c̃ (e_c):
// ‖x − c‖ ≥ ‖x̃ − c̃‖ − e_x − e_c, and the tile's a = ‖x̃‖² + ‖c̃‖² − 2·x̃·c̃ (float32) is within
// (3d + 4)·u/(1 − d·u)·S of ‖x̃ − c̃‖² (S = ‖x̃‖² + ‖c̃‖², u = 2⁻²⁴: the dot product's and the
// norms' γ_d bounds and the two adds) plus a unit of underflow per operation. So a pair with
// a − E > (√closest + e_x + e_c)², E = (4d + 16)·u·S + (4d + 16)·2⁻¹⁴⁹, everything rounded up
// by a few 2⁻²⁰, has ‖x − c‖² > closest·(1 + 2⁻²³), and sq_dist (error below 2⁻²⁴ of it) is not
// below closest: that row keeps its distance. Every other pair gets sq_dist's distance, so the
// sums and moves are sq_dist's, bit for bit. inf or NaN anywhere only sends pairs to sq_dist.
constexpr index_t kSketchRows = SeedingSketch::rows;

// One feature of a sketch tile (SeedingSketch: eight 32-bit words, rows r and r + 8 in the low
// and high halves of word r) as float32 vectors of rows in order: a shift and a mask, no unpacking.
template <int RV>
inline void load_sketch_rows(const std::uint16_t* p, typename Simd<float>::vec (&x)[RV]) {
  using S = Simd<float>;
  constexpr int L = S::lanes;
  static_assert(RV * L == 16, "a sketch tile has 16 rows");
#if KMIX_GNU_EXTENSIONS && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  typedef std::uint32_t words __attribute__((vector_size(32)));
  words w;
  std::memcpy(&w, p, sizeof w);
  const words lo = w << 16, hi = w & 0xffff0000u;
  if constexpr (L == 16) {
    const auto all = __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    std::memcpy(&x[0], &all, sizeof x[0]);
  } else if constexpr (L == 8) {
    std::memcpy(&x[0], &lo, sizeof x[0]);
    std::memcpy(&x[1], &hi, sizeof x[1]);
  } else {
    static_assert(RV == 4, "four vectors of four rows");
    const auto a = __builtin_shufflevector(lo, lo, 0, 1, 2, 3), b = __builtin_shufflevector(lo, lo, 4, 5, 6, 7);
    const auto c = __builtin_shufflevector(hi, hi, 0, 1, 2, 3), e = __builtin_shufflevector(hi, hi, 4, 5, 6, 7);
    std::memcpy(&x[0], &a, sizeof x[0]);
    std::memcpy(&x[1], &b, sizeof x[1]);
    std::memcpy(&x[2], &c, sizeof x[2]);
    std::memcpy(&x[3], &e, sizeof x[3]);
  }
#else
  float f[16];
  for (int r = 0; r < 16; ++r) f[r] = bf16_value(p[SeedingSketch::slot(r)]);
  for (int v = 0; v < RV; ++v) x[v] = S::load(f + v * L);
#endif
}

// For the kSketchRows rows of one sketch tile and trials t0 .. t0 + TC − 1: far[t] gets bit r
// where candidate t surely leaves row r at its distance (the test above). cb[j·m + t] = −2·c̃_t,j;
// q[r] = √closest_r + e_x (rounded up), xn[r] = ‖x̃_r‖². near (if not null) gets a − E and
// a + E, bounds on ‖x̃_r − c̃_t‖² up to their own rounding, at near[t·2R + r] and [t·2R + R + r].
template <int TC>
KMIX_NOINLINE void sketch_far(const std::uint16_t* tile, index_t d, const float* cb, index_t m, index_t t0,
                              const float* cn, const float* ec, const float* xn, const float* q, float rel, float abs,
                              std::uint32_t* far, float* near) {
  using S = Simd<float>;
  typedef typename S::vec vec;
  constexpr int L = S::lanes, RV = int(kSketchRows) / L;
  vec acc[TC][RV];
  for (int t = 0; t < TC; ++t)
    for (int v = 0; v < RV; ++v) acc[t][v] = S::zero();
  for (index_t j = 0; j < d; ++j) {
    vec x[RV];
    load_sketch_rows<RV>(tile + j * kSketchRows, x);
    const float* c = cb + j * m + t0;
    for (int t = 0; t < TC; ++t) {
      const vec cc = S::splat(c[t]);
      for (int v = 0; v < RV; ++v) S::fma(acc[t][v], x[v], cc);
    }
  }
  const vec one = S::splat(1.0f), zero = S::zero(), relv = S::splat(rel), absv = S::splat(abs);
  for (int t = 0; t < TC; ++t) {
    const vec cnv = S::splat(cn[t0 + t]), ecv = S::splat(ec[t0 + t]);
    std::uint32_t bits = 0;
    for (int v = 0; v < RV; ++v) {
      const vec xnv = S::load(xn + v * L), g = S::add(S::load(q + v * L), ecv);
      const vec a = S::add(xnv, S::dist(cnv, acc[t][v]));
      const vec e = S::add(S::mul(relv, S::add(xnv, cnv)), absv);
      // a − e > g² (false for NaN)
      bits |= std::uint32_t(S::eq_mask(S::select_lt(S::mul(g, g), S::sub(a, e), one, zero), one)) << (v * L);
      if (near) {
        S::store(near + (t0 + t) * 2 * kSketchRows + v * L, S::sub(a, e));
        S::store(near + (t0 + t) * 2 * kSketchRows + kSketchRows + v * L, S::add(a, e));
      }
    }
    far[t] = bits;
  }
}

// Trials per call of sketch_far: TC·RV accumulators, RV rows and a broadcast in the registers.
constexpr int kSketchTrials =
    (KMIX_VBYTES == 64 ? 12 : (14 - int(kSketchRows) / Simd<float>::lanes) / (int(kSketchRows) / Simd<float>::lanes));

template <int TC = kSketchTrials>
inline void sketch_far_of(index_t tc, const std::uint16_t* tile, index_t d, const float* cb, index_t m, index_t t0,
                          const float* cn, const float* ec, const float* xn, const float* q, float rel, float abs,
                          std::uint32_t* far, float* near) {
  if constexpr (TC > 1) {
    if (tc < TC) return sketch_far_of<TC - 1>(tc, tile, d, cb, m, t0, cn, ec, xn, q, rel, abs, far, near);
  }
  sketch_far<TC>(tile, d, cb, m, t0, cn, ec, xn, q, rel, abs, far, near);
}

// What the sketch alone says of one pair: bounds lo ≤ ‖x − c‖² ≤ hi from sketch_far's bounds
// a − E ≤ ‖x̃ − c̃‖² ≤ a + E (float32: widened by 2⁻²⁰ of |a| + E for their rounding) and the
// errors e = e_x + e_c: (‖x̃ − c̃‖ ∓ e)², in float64 with a few 2⁻⁵⁰ (and 2⁻¹⁰⁶⁰ for underflow)
// to spare. False where something is NaN.
inline bool seeding_pair_bounds(float a_lo, float a_hi, double e, double& lo, double& hi) {
  const double spread = 0x1p-20 * (std::fabs(double(a_lo)) + std::fabs(double(a_hi)));
  const double sq_lo = double(a_lo) - spread, sq_hi = double(a_hi) + spread, grow = 1.0 + 0x1p-50;
  const double below = std::sqrt(sq_lo > 0.0 ? sq_lo : 0.0) / grow - e * grow;
  const double above = (std::sqrt(sq_hi) * grow + e * grow) * grow;
  const double low = below > 0.0 ? below * below / grow - 0x1p-1060 : 0.0;
  lo = low > 0.0 ? low : 0.0;
  hi = above * above * grow + 0x1p-1060;
  return sq_lo == sq_lo && sq_hi == sq_hi && e >= 0.0;
}

template <class T>
void seeding_trials_sketch(const T* X, const T* w, SeedingSketch sketch, index_t n, index_t d, const double* closest,
                           const index_t* cand, index_t m, double* trial_sums, SeedingMoves moves, SeedingBounds bounds,
                           bool estimate, int threads) {
  constexpr index_t R = kSketchRows;
  const index_t n_blocks = (n + kSeedingBlock - 1) / kSeedingBlock;
  const int team = n_blocks > 1 && worth_threads(n * m * d) ? threads : 1;
  const double u = 0x1p-24;  // (the driver builds no sketch where d·u is not well below 1)
  const float rel = float(double(4 * d + 16) * u), abs = float(double(4 * d + 16) * 0x1p-149);
  // The candidates from the sketch: −2·c̃ feature-major, ‖c̃‖², e_c.
  HeapArray<float> cb(d * m), cn(m), ec(m);
  for (index_t t = 0; t < m; ++t) {
    const std::uint16_t* row = sketch.xt + (cand[t] / R) * R * d + SeedingSketch::slot(cand[t] % R);
    for (index_t j = 0; j < d; ++j) cb[j * m + t] = -2.0f * bf16_value(row[j * R]);
    cn[t] = sketch.norm[cand[t]];
    ec[t] = sketch.err[cand[t]];
  }
  const index_t n_chunks = (m + kSketchTrials - 1) / kSketchTrials, tiles = kSeedingBlock / R;
  // Per thread, the pairs each tile of the block leaves to sq_dist (a row mask per trial), and
  // the tile's rows as columns for column_sq_dists.
  HeapArray<std::uint32_t> checks(index_t(team) * tiles * m);
  HeapArray<double> columns(index_t(team) * R * d);
  StopFlag stop;
#pragma omp parallel for schedule(dynamic, 1) num_threads(team) if (team > 1)
  for (index_t b = 0; b < n_blocks; ++b) {
    if (stop.stop()) continue;
    std::uint32_t* check = checks.data() + index_t(thread_index()) * tiles * m;
    index_t closed = 0;
    SeedingMove* out = moves.moves + b * kSeedingBlock;
    index_t count = 0;
    // (estimates)
    alignas(64) float near[64 * 2 * R];
    double gain_lo[64], gain_hi[64];
    bool sure = true;
    for (index_t t = 0; t < m; ++t) gain_lo[t] = gain_hi[t] = 0.0;
    const index_t lo = b * kSeedingBlock, hi = lo + kSeedingBlock < n ? lo + kSeedingBlock : n;
    // First the sketch over the whole block, asking for the rows it leaves to sq_dist: a row of
    // X is read only there, and it is rarely in cache by then.
    for (index_t i = lo; i < hi; i += R) {
      const index_t rc = hi - i < R ? hi - i : R;
      const float* q = sketch.radius + i;
      if (estimate) {  // the tile's weights and distances, read below for the pairs the sketch leaves
        prefetch_line(w + i, 0);
        prefetch_line(w + i, R - 1);
        prefetch_line(closest + i, 0);
        prefetch_line(closest + i, R - 1);
        prefetch_line(sketch.err + i, 0);
      }
      // Which rows each trial could bring closer: by the triangle inequality (open), then those of
      // them the sketch cannot rule out.
      std::uint32_t open[64], far[64], any = 0;
      const std::uint32_t rows = (std::uint32_t(1) << rc) - 1;
      if (bounds.gap2) {
        double reach[R];
        bool bounded[R];
        const double* gap2[R];
        for (index_t r = 0; r < rc; ++r) {
          bounded[r] = seeding_reach(closest[i + r], reach[r]);
          gap2[r] = bounds.gap2 + bounds.owner[i + r];
        }
        for (index_t t = 0; t < m; ++t) {
          std::uint32_t o = 0;
          for (index_t r = 0; r < rc; ++r)
            o |= std::uint32_t(!(bounded[r] && gap2[r][t * bounds.stride] >= reach[r])) << r;
          open[t] = o;
          any |= o;
        }
        closed += any == 0;
      } else {
        for (index_t t = 0; t < m; ++t) open[t] = rows;
        any = rows;
      }
      for (index_t t = 0; t < m; ++t) far[t] = 0;
      if (any) {
        const std::uint16_t* tile = sketch.xt + i * d;
        for (index_t ch = 0, t0 = 0; ch < n_chunks; ++ch) {
          const index_t tc = (m - t0) / (n_chunks - ch);
          sketch_far_of(tc, tile, d, cb.data(), m, t0, cn.data(), ec.data(), sketch.norm + i, q, rel, abs, far + t0,
                        estimate ? near : nullptr);
          t0 += tc;
        }
      }
      std::uint32_t left = 0;
      std::uint32_t* tile_check = check + ((i - lo) / R) * m;
      for (index_t t = 0; t < m; ++t) left |= tile_check[t] = open[t] & ~far[t];
      if (estimate) {
        // Per trial bounds on what it would take off the potential, Σ w·(closest − min(closest,
        // ‖x − c‖²)) over the pairs the sketch left (the others take nothing off), and those
        // pairs, to be settled by seeding_gains or seeding_choose (dist NaN). X is not read.
        for (index_t t = 0; t < m; ++t)
          for (std::uint32_t pairs = tile_check[t]; pairs; pairs &= pairs - 1) {
            const index_t r = lowest_bit(pairs);
            double dlo, dhi;
            sure &= seeding_pair_bounds(near[t * 2 * R + r], near[t * 2 * R + R + r],
                                        double(sketch.err[i + r]) + double(ec[t]), dlo, dhi);
            const double cl = closest[i + r], wr = double(w[i + r]);
            gain_hi[t] += wr * (cl - (dlo < cl ? dlo : cl));
            gain_lo[t] += wr * (cl - (dhi < cl ? dhi : cl));
            if (count < kSeedingBlock)
              out[count] =
                  SeedingMove{std::numeric_limits<double>::quiet_NaN(), std::int32_t(i + r - lo), std::int32_t(t)};
            ++count;
          }
        continue;
      }
      for (; left; left &= left - 1) prefetch_values(X + (i + lowest_bit(left)) * d, d);
    }
    if (estimate) {
      if (bounds.closed) bounds.closed[b] = closed;
      moves.count[b] = count <= kSeedingBlock ? count : -1;
      for (index_t t = 0; t < m; ++t) {
        trial_sums[b * 2 * m + t] = sure ? gain_lo[t] : std::numeric_limits<double>::quiet_NaN();
        trial_sums[b * 2 * m + m + t] = gain_hi[t];
      }
      continue;
    }
    // Then each trial's sum: per tile of R rows seeding_tile_sum, these in tile order (the block
    // sums' order, as kmeans_plusplus takes them): a trial that moves no row of a tile adds the
    // tile's sum as it is. Its moves in row order, which is all seeding_choose needs.
    double sums[64];
    for (index_t t = 0; t < m; ++t) sums[t] = 0.0;
    double* cols = columns.data() + index_t(thread_index()) * R * d;
    for (index_t i = lo; i < hi; i += R) {
      const index_t rc = hi - i < R ? hi - i : R;
      // The tile's rows (past rc: weight 0, never nearer), what each keeps, and their sum.
      alignas(64) double keep[R], dist[R], wv[R], cl[R], vals[R];
      for (index_t r = 0; r < R; ++r) {
        wv[r] = r < rc ? double(w[i + r]) : 0.0;
        cl[r] = r < rc ? closest[i + r] : std::numeric_limits<double>::infinity();
        keep[r] = r < rc ? wv[r] * cl[r] : 0.0;
      }
      const double kept = seeding_tile_sum(keep);
      const std::uint32_t* tile_check = check + ((i - lo) / R) * m;
      bool as_columns = false;
      for (index_t t = 0; t < m; ++t) {
        const std::uint32_t pairs = tile_check[t];
        if (!pairs) {
          sums[t] += kept;  // on the stack, not in trial_sums: neighbouring blocks share its lines
          continue;
        }
        // Many pairs (the first steps, where most rows move): kColumnRows rows at a time as
        // columns, the tile turned once for all its trials; a few: one sq_dist each. The same
        // arithmetic either way (column_sq_dists is sq_dist lane by lane, up to where the
        // compiler fuses multiply-adds: see there); +inf for the rows not
        // computed, which the bounds or the sketch showed to stay.
        for (index_t r = 0; r < R; ++r) dist[r] = std::numeric_limits<double>::infinity();
        if (popcount64(pairs) >= 2 * kColumnRows) {
          for (index_t g = 0; g < rc; g += kColumnRows) {
            const index_t gr = rc - g < kColumnRows ? rc - g : kColumnRows;
            if (!as_columns) rows_as_columns(X, i + g, gr, d, cols + g * d);
            if (pairs >> g & ((std::uint32_t(1) << kColumnRows) - 1))
              column_sq_dists(cols + g * d, d, X + cand[t] * d, dist + g);
          }
          as_columns = true;
        } else {
          for (std::uint32_t left = pairs; left; left &= left - 1) {
            const index_t r = lowest_bit(left);
            dist[r] = sq_dist(X + (i + r) * d, X + cand[t] * d, d);
          }
        }
        std::uint32_t nearer = 0;
        for (index_t r = 0; r < R; ++r) {  // (column_sq_dists fills a group past rc with its last row's)
          const bool closer = (r < rc) & (dist[r] < cl[r]);
          vals[r] = closer ? wv[r] * dist[r] : keep[r];
          nearer |= std::uint32_t(closer) << r;
        }
        sums[t] += seeding_tile_sum(vals);
        for (; nearer; nearer &= nearer - 1) {
          const index_t r = lowest_bit(nearer);
          if (count < kSeedingBlock) out[count] = SeedingMove{dist[r], std::int32_t(i + r - lo), std::int32_t(t)};
          ++count;
        }
      }
    }
    if (bounds.closed) bounds.closed[b] = closed;
    moves.count[b] = count <= kSeedingBlock ? count : -1;
    for (index_t t = 0; t < m; ++t) trial_sums[b * m + t] = sums[t];
  }
  stop.rethrow();
}

// k-means++'s trials without a sketch (few centers, k < kSketchMinCenters): every pair by sq_dist,
// row by row, the sums per tile as seeding_trials_sketch takes them. No bounds and no moves
// (count -1: seeding_choose computes the chosen candidate's distances again): at few centers
// about half the rows move at each step, and testing the bounds, recording the moves and turning
// rows into columns cost more than the distances they spared (measured at (100k, 16, 8),
// (200k, 32, 10) and 24 well separated clusters: 1.2-1.5x slower with them).
template <class T>
void seeding_trials_exact(const T* X, const T* w, index_t n, index_t d, const double* closest, const index_t* cand,
                          index_t m, double* trial_sums, SeedingMoves moves, int threads) {
  constexpr index_t R = kSketchRows;
  const index_t n_blocks = (n + kSeedingBlock - 1) / kSeedingBlock;
  const int team = n_blocks > 1 && worth_threads(n * m * d) ? threads : 1;
  StopFlag stop;
#pragma omp parallel for schedule(dynamic, 1) num_threads(team) if (team > 1)
  for (index_t b = 0; b < n_blocks; ++b) {
    if (stop.stop()) continue;
    // The block's sums on the stack: trial_sums rows of neighbouring blocks share cache lines, and
    // writing them as the rows go made the two threads fight over those lines.
    double sums[64];
    alignas(64) double vals[64][R];
    for (index_t t = 0; t < m; ++t) sums[t] = 0.0;
    const index_t lo = b * kSeedingBlock, hi = lo + kSeedingBlock < n ? lo + kSeedingBlock : n;
    for (index_t i0 = lo; i0 < hi; i0 += R) {  // per tile seeding_tile_sum (the rows past n as 0)
      const index_t rc = hi - i0 < R ? hi - i0 : R;
      for (index_t r = 0; r < rc; ++r) {
        const T* x = X + (i0 + r) * d;
        const double wr = double(w[i0 + r]), cl = closest[i0 + r];
        for (index_t t = 0; t < m; ++t) {
          const double dist = sq_dist(x, X + cand[t] * d, d);
          // w·min(dist, closest): w·closest's bits where the row stays, and no branch (which
          // pairs move is unpredictable).
          vals[t][r] = wr * (dist < cl ? dist : cl);
        }
      }
      for (index_t t = 0; t < m; ++t) {
        for (index_t r = rc; r < R; ++r) vals[t][r] = 0.0;
        sums[t] += seeding_tile_sum(vals[t]);
      }
    }
    moves.count[b] = -1;
    for (index_t t = 0; t < m; ++t) trial_sums[b * m + t] = sums[t];
  }
  stop.rethrow();
}

template <class T>
void seeding_trials(const T* X, const T* w, SeedingSketch sketch, index_t n, index_t d, const double* closest,
                    const index_t* cand, index_t m, double* trial_sums, SeedingMoves moves, SeedingBounds bounds,
                    bool estimate, int threads) {
  if (sketch.xt)
    seeding_trials_sketch(X, w, sketch, n, d, closest, cand, m, trial_sums, moves, bounds, estimate, threads);
  else seeding_trials_exact(X, w, n, d, closest, cand, m, trial_sums, moves, threads);
}

template <class T>
void seeding_gains(const T* X, const T* w, index_t n, index_t d, const double* closest, const index_t* cand, index_t m,
                   std::uint64_t which, SeedingMoves moves, double* gains, int threads) {
  const index_t n_blocks = (n + kSeedingBlock - 1) / kSeedingBlock;
  const int team = n_blocks > 1 && worth_threads(n * d) ? threads : 1;
  StopFlag stop;
#pragma omp parallel for schedule(dynamic, 1) num_threads(team) if (team > 1)
  for (index_t b = 0; b < n_blocks; ++b) {
    if (stop.stop()) continue;
    const index_t lo = b * kSeedingBlock, count = moves.count[b];
    SeedingMove* pairs = moves.moves + b * kSeedingBlock;
    auto asked = [&](const SeedingMove& p) { return (which >> p.trial & 1) && p.dist != p.dist; };
    for (index_t q = 0; q < count; ++q)  // the rows first, so that their loads overlap
      if (asked(pairs[q])) prefetch_values(X + (lo + pairs[q].row) * d, d);
    double sums[64];
    for (index_t t = 0; t < m; ++t) sums[t] = 0.0;
    for (index_t q = 0; q < count; ++q) {
      if (!asked(pairs[q])) continue;
      const index_t i = lo + pairs[q].row;
      const double dist = sq_dist(X + i * d, X + cand[pairs[q].trial] * d, d);
      pairs[q].dist = dist;
      if (dist < closest[i]) sums[pairs[q].trial] += double(w[i]) * (closest[i] - dist);
    }
    for (index_t t = 0; t < m; ++t) gains[b * m + t] = sums[t];
  }
  stop.rethrow();
}

template <class T>
void seeding_choose(const T* X, const T* w, SeedingSketch sketch, index_t n, index_t d, index_t c, index_t t,
                    index_t index, double* closest, SeedingMoves moves, std::int32_t* owner, int threads) {
  constexpr index_t R = kSketchRows;
  const index_t n_blocks = (n + kSeedingBlock - 1) / kSeedingBlock;
  const int team = n_blocks > 1 && worth_threads(n * d) ? threads : 1;
  auto sum_tile = [&](index_t tile) {  // sketch.tile_sums, from closest as it now is
    alignas(64) double keep[R];
    for (index_t r = 0; r < R; ++r) {
      const index_t i = tile * R + r;
      keep[r] = i < n ? double(w[i]) * closest[i] : 0.0;
    }
    sketch.tile_sums[tile] = seeding_tile_sum(keep);
  };
  StopFlag stop;
#pragma omp parallel for schedule(static) num_threads(team) if (team > 1)
  for (index_t b = 0; b < n_blocks; ++b) {
    if (stop.stop()) continue;
    const index_t lo = b * kSeedingBlock, hi = lo + kSeedingBlock < n ? lo + kSeedingBlock : n;
    const index_t count = moves.count[b];
    if (count >= 0) {
      const SeedingMove* in = moves.moves + b * kSeedingBlock;
      for (index_t q = 0; q < count; ++q)  // the rows whose distance is computed below
        if (in[q].trial == t && in[q].dist != in[q].dist) prefetch_values(X + (lo + in[q].row) * d, d);
      index_t tile = -1;  // the last tile a row moved in (the moves come in row order)
      for (index_t q = 0; q < count; ++q) {
        if (in[q].trial != t) continue;
        const index_t i = lo + in[q].row;
        // A move, or (NaN) a pair the estimates left open: its distance now.
        const double dist = in[q].dist == in[q].dist ? in[q].dist : sq_dist(X + i * d, X + c * d, d);
        if (!(dist < closest[i])) continue;
        closest[i] = dist;
        owner[i] = std::int32_t(index);
        if (!sketch.xt) continue;
        sketch.radius[i] = seeding_radius(dist, sketch.err[i]);
        if (i / R != tile) {
          if (tile >= 0) sum_tile(tile);
          tile = i / R;
        }
      }
      if (tile >= 0) sum_tile(tile);
      continue;
    }
    for (index_t i = lo; i < hi; ++i) {  // branch-free: which rows move is unpredictable
      const double dist = sq_dist(X + i * d, X + c * d, d);
      const bool nearer = dist < closest[i];
      closest[i] = nearer ? dist : closest[i];
      owner[i] = nearer ? std::int32_t(index) : owner[i];
    }
    if (!sketch.xt) continue;
    for (index_t i = lo; i < hi; ++i) sketch.radius[i] = seeding_radius(closest[i], sketch.err[i]);
    for (index_t tile = lo / R; tile * R < hi; ++tile) sum_tile(tile);
  }
  stop.rethrow();
}

template <class T>
KMeansKernels<T> kmeans_table() {
  return KMeansKernels<T>{&lloyd_step<T>,     &inertia<T>,        &assign_inertia<T>, &dist_to_assigned<T>,
                          &sq_distances<T>,   &seeding_trials<T>, &seeding_gains<T>,  &seeding_choose<T>,
                          &column_moments<T>, &abs_max<T>};
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
