// Elkan's k-means step (C. Elkan, "Using the triangle inequality to accelerate k-means", 2003), as
// scikit-learn's KMeans(algorithm="elkan"): per row an upper bound u on the distance to its
// center and k lower bounds l_j on the distances to every center, and per center half the
// distance to every other one. A distance is computed only where the bounds cannot rule the
// center out, so the labels are those of computing every distance (exact, as Lloyd): center j
// can be nearer than the row's center a only if u > l_j and u > ‖c_a − c_j‖/2. Hamerly's single
// bound (the nearest other center) is kept too, as a first filter that spares most rows the scan
// of their k bounds once the centers settle.
// Compiled once per ISA level into kmix::KMIX_ISA_NS (elkan_kernels.cpp); the iterations around
// it are in elkan_driver.cpp. Distances here are Euclidean, not squared.
//
// Rows whose bounds leave many centers open (every row at the first step) take the Lloyd tile of
// distances.hpp for all k centers at once; the others compute their few distances one by one.
//
// Rounding. Each comparison that skips a distance keeps a margin: lower bounds are stored as
// float32 rounded down (relative 2^-22 and absolute 2^-140 below the float64 value), the values
// they are compared with are rounded up, and a bound taken from the tile's ‖x‖² + ‖c‖² − 2x·c
// subtracts the tile's worst-case rounding error. So a center is only skipped when it is farther
// by more than those margins; what remains is the rounding of the distances that are compared,
// as in Lloyd.
#pragma once
#include <cstdint>
#include <limits>

#include "kmix/kmeans.hpp"

namespace kmix {
namespace KMIX_ISA_NS {

// A float <= x for x >= 0 (0 for NaN: no bound at all; FLT_MAX for x beyond float's range).
static inline float bound_down(double x) {
  constexpr double kMax = std::numeric_limits<float>::max();
  const double y = x * (1.0 - 0x1p-22) - 0x1p-140;  // round-to-nearest then stays below x
  if (y < kMax) return float(y);
  return y == y ? float(kMax) : 0.0f;
}

// A float >= x for x >= 0 (+inf for NaN: the comparison then skips nothing).
static inline float bound_up(double x) {
  const double y = x * (1.0 + 0x1p-22) + 0x1p-140;
  if (y <= double(std::numeric_limits<float>::max())) return float(y);
  return std::numeric_limits<float>::infinity();
}

// Square roots as instructions (-fno-math-errno): no libm or inline std:: symbol shared across
// ISA levels.
static inline double root(double x) {
#if KMIX_GNU_EXTENSIONS
  return __builtin_sqrt(x);
#else
  return std::sqrt(x);
#endif
}
static inline float rootf(float x) {
#if KMIX_GNU_EXTENSIONS
  return __builtin_sqrtf(x);
#else
  return std::sqrt(x);
#endif
}

// ‖c‖² − 2·x·c of R consecutive rows of x against one panel of W centers (panel_tile's values,
// the same arithmetic as the Lloyd step's, not folded into a minimum), stored at out[r·ld + w].
template <class T, int R>
inline void panel_values(const T* x, index_t d, const T* panel, const T* norms, T* out, index_t ld) {
  using S = Simd<T>;
  typedef typename S::vec vec;
  constexpr int L = S::lanes, V = kVecsPerPanel;
  vec acc[R][V];
  panel_dots<T, R>(x, d, panel, acc);
  for (int v = 0; v < V; ++v) {
    const vec nrm = S::load(norms + v * L);
    for (int r = 0; r < R; ++r) S::store(out + r * ld + v * L, S::dist(nrm, acc[r][v]));
  }
}

// ‖x‖² in float64, in eight partial sums so that it vectorizes (summed in one sequence, its d
// dependent adds would cost more than the tile's row).
template <class T>
inline double sq_norm(const T* x, index_t d) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  index_t j = 0;
  for (; j + 8 <= d; j += 8)
    for (int u = 0; u < 8; ++u) s[u] += double(x[j + u]) * double(x[j + u]);
  for (; j < d; ++j) s[0] += double(x[j]) * double(x[j]);
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// The nearest of the kp values (Lloyd's rule: the lowest index at the smallest value, NaN never,
// 0 when none is finite), kp a multiple of the vector width; the same choice as the Lloyd tile's.
template <class T>
inline int row_argmin(const T* v, index_t kp) {
  using S = Simd<T>;
  typedef typename S::vec vec;
  constexpr index_t L = S::lanes;
  vec m = S::splat(std::numeric_limits<T>::infinity());
  for (index_t q = 0; q < kp; q += L) m = S::min(m, S::load(v + q));  // min(m, NaN) keeps m
  const vec lov = S::hmin(m);
  if (!(S::first(lov) < std::numeric_limits<T>::infinity())) return 0;
  if (kp <= 64) {  // branch-free: which vector holds the minimum is unpredictable
    std::uint64_t at = 0;
    for (index_t q = 0; q < kp; q += L) at |= std::uint64_t(S::eq_mask(S::load(v + q), lov)) << q;
    return lowest_bit(at);
  }
  for (index_t q = 0; q < kp; q += L) {
    const unsigned bits = S::eq_mask(S::load(v + q), lov);
    if (bits) return int(q + lowest_bit(bits));
  }
  return 0;
}

// Floats per row of the bounds: k rounded up to whole tile panels (a multiple of the float
// vector width too), so that the tile's rows of values map onto rows of bounds and every row is
// read as whole vectors; the padding centers are never open (their gaps are +inf).
template <class T>
index_t bounds_stride(index_t k) {
  constexpr index_t W = panel_width<T>();
  return (k + W - 1) / W * W;
}

// The cost model (isa.hpp): fitted to step times at (100k, 16, 8), (100k, 16, 100) and
// (50k, 128, 256) on AVX2, where memory dominates the scans (a row's bounds are not in cache).
template <class T>
ElkanCosts elkan_costs(index_t d, index_t k) {
  const double lt = Simd<T>::lanes, ld = Simd<double>::lanes, lf = Simd<float>::lanes;
  const double ks = double(bounds_stride<T>(k));
  ElkanCosts c;
  c.lloyd_row = double(k) * double(d) / (2.0 * lt) + double(k) + 10.0;
  c.visit = 15.0;
  c.scan = ks / lf * 8.0 + 60.0;
  c.tile_row = c.lloyd_row + 2.0 * ks + 60.0;
  c.one = double(d) / ld + 50.0;
  return c;
}

template <class T>
struct ElkanPass {
  const T* X;
  index_t d, k, ks;  // ks: the bounds' row stride, also the tile's values per row
  const T* C;
  const ElkanState& s;
  bool first;
  const PackedCenters<T> packed;
  index_t n_panels, chunk, words;
  HeapArray<float> cum_up;   // ks: bound_up(scale·cum_j); padding 0
  HeapArray<float> cum_low;  // ks: bound_down(scale·cum_j), 0 below 2^-100 and at most 2^120; padding 0
  HeapArray<double> cnorm;   // k: ‖c_j‖²
  HeapArray<float> cerr;     // ks: scale²·(err + 2^-19)·2‖c_j‖², rounded up; padding 0
  double err;                // the tile's rounding: |value − exact| <= err·(‖x‖² + 2‖c‖²)
  float max_up, max_low;     // bound_up and bound_down of scale·cum_max
  ElkanCosts costs;
  // Per thread: gathered rows (chunk×d), their tile values (chunk×ks), the rows for the tile and
  // for one-by-one distances and the tile's nearest centers (chunk each), the open centers of the
  // one-by-one rows (chunk×words), their distances to their own center or the tile rows' ‖x‖²
  // (chunk), and counts of the work done (4).
  struct Buffers {
    T* rows;
    T* values;
    float* low;  // Hamerly (s.lower null): the tile rows' k bounds, only for their minimum
    int* dense;
    int* few;
    int* nearest;
    std::uint64_t* bits;
    double* own;
    index_t* work;
  };
  HeapArray<T> rows_buf, values_buf;
  HeapArray<float> low_buf;
  HeapArray<int> list_buf;
  HeapArray<std::uint64_t> bits_buf;
  HeapArray<double> own_buf;
  HeapArray<index_t> work_buf;
  index_t team;

  ElkanPass(const T* X_, index_t d_, const T* C_, index_t k_, const ElkanState& s_, bool first_, int threads)
      : X(X_),
        d(d_),
        k(k_),
        ks(s_.stride),
        C(C_),
        s(s_),
        first(first_),
        packed(C_, k_, d_),
        cum_up(s_.stride),
        cum_low(s_.stride),
        cnorm(k_),
        cerr(s_.stride) {
    n_panels = ks / panel_width<T>();
    // Rows per chunk: the tile's, fewer when the chunk's k values per row would pass 1 MiB.
    index_t rows = (index_t(1) << 20) / (ks * index_t(sizeof(T)));
    rows = rows / kTileRows * kTileRows;
    rows = rows < kTileRows ? kTileRows : rows;
    const index_t tile = tile_chunk_rows<T>(d);
    chunk = rows < tile ? rows : tile;
    words = (k + 63) / 64;
    // Each of the d products and squares rounds once in T, and the sums d times: the dot product
    // is off by at most d·u·Σ|x_f||2c_f| <= d·u·(‖x‖² + ‖c‖²), ‖c‖² by d·u·‖c‖², the final add by
    // u·(‖x‖² + 2‖c‖²)-ish; twice (d + 2)·u covers it and the float64 arithmetic around it.
    const double unit = sizeof(T) == 4 ? 0x1p-24 : 0x1p-53;
    err = 2.0 * double(d + 2) * unit;
    const double s2 = s.scale * s.scale;
    for (index_t j = 0; j < k; ++j) {
      double c2 = 0.0;
      for (index_t f = 0; f < d; ++f) c2 += double(C[j * d + f]) * double(C[j * d + f]);
      cnorm[j] = c2;
      cerr[j] = bound_up(s2 * (err + 0x1p-19) * 2.0 * c2);
      cum_up[j] = bound_up(s.scale * s.cum[j]);
      const float low = bound_down(s.scale * s.cum[j]);
      cum_low[j] = low >= 0x1p-100f ? (low <= 0x1p120f ? low : 0x1p120f) : 0.0f;
    }
    costs = elkan_costs<T>(d, k);
    max_up = bound_up(s.scale * s.cum_max);
    max_low = bound_down(s.scale * s.cum_max);
    team = threads > 1 ? threads : 1;
    rows_buf.reset(team * chunk * d);
    values_buf.reset(team * chunk * ks);
    if (!s.lower) low_buf.reset(team * chunk * ks);
    list_buf.reset(team * 3 * chunk);
    bits_buf.reset(team * chunk * words);
    own_buf.reset(team * chunk);
    work_buf.reset(team * 4);
  }

  Buffers buffers() const {
    const index_t t = thread_index();
    int* lists = list_buf.data() + t * 3 * chunk;
    return Buffers{rows_buf.data() + t * chunk * d,
                   values_buf.data() + t * chunk * ks,
                   s.lower ? nullptr : low_buf.data() + t * chunk * ks,
                   lists,
                   lists + chunk,
                   lists + 2 * chunk,
                   bits_buf.data() + t * chunk * words,
                   own_buf.data() + t * chunk,
                   work_buf.data() + t * 4};
  }

  // The work done, summed over the threads (integers: the same whatever the split): rows whose
  // bounds were scanned, rows through the tile, rows and distances one by one.
  void work(index_t out[4]) const {
    for (int q = 0; q < 4; ++q) {
      out[q] = 0;
      for (index_t t = 0; t < team; ++t) out[q] += work_buf[t * 4 + q];
    }
  }

  // Bits of the centers j that the bounds of a row leave open (lower row `low`, its center's row
  // `half` of the center gaps, U >= scale·u): l_j <= u and ‖c_a − c_j‖/2 <= u, compared as
  // low_j − cum_up_j <= U and half_j <= U; sets bits (words of 64), returns how many. As vectors,
  // the signs of the differences (a − b <= 0 exactly when a <= b; Simd's only compare to a bit mask
  // is equality). The diagonal (half +inf) stays closed unless U is +inf; the padding always.
  // Also *least = min over j != a of low_j − cum_up_j (scale·l_j now, less float rounding relative
  // to itself: a difference of two floats is exact when they are within a factor 2 of each other,
  // and rounds relative to itself when it is positive otherwise).
  index_t open_centers(const float* low, const float* half, float U, std::uint64_t* bits, float* least) const {
    using S = Simd<float>;
    typedef S::vec vec;
    constexpr index_t L = S::lanes;  // divides ks (bounds_stride)
    for (index_t q = 0; q < words; ++q) bits[q] = 0;
    index_t count = 0;
    const vec Uv = S::splat(U), zero = S::zero();
    vec lo = S::splat(std::numeric_limits<float>::infinity());
    for (index_t j = 0; j < ks; j += L) {
      const vec h = S::load(half + j);
      const vec l = S::sub(S::load(low + j), S::load(cum_up.data() + j));
      const vec a = S::sub(l, Uv), b = S::sub(h, Uv);
      const vec worst = S::select_lt(a, b, b, a);                              // max(a, b)
      std::uint64_t m = S::eq_mask(S::min(worst, zero), worst);                // worst <= 0 (NaN: no)
      if (j + L > k) m = j < k ? m & ((std::uint64_t(1) << (k - j)) - 1) : 0;  // never a padding center
      bits[j / 64] |= m << (j % 64);
      count += popcount64(m);
      lo = S::min(lo, S::add(l, S::sub(h, h)));  // h − h: NaN at the diagonal and padding, which min skips
    }
    *least = S::first(S::hmin(lo));
    return count;
  }

  // Hamerly's bound for a row from its lower bounds `low` (center a's excluded), as stored in
  // second: scale·(min over j != a of l_j + cum_max), rounded down.
  float second_of(float* low, index_t a) const {
    using S = Simd<float>;
    constexpr index_t L = S::lanes;
    const float own = low[a];
    low[a] = std::numeric_limits<float>::infinity();
    S::vec lo = S::splat(std::numeric_limits<float>::infinity());
    for (index_t j = 0; j < ks; j += L) lo = S::min(lo, S::sub(S::load(low + j), S::load(cum_up.data() + j)));
    low[a] = own;
    return hamerly(S::first(S::hmin(lo)));
  }
  // scale·(least + cum_max) rounded down, from least = min over j != a of low_j − cum_up_j; a
  // negative least is no bound (0).
  float hamerly(float least) const {
    return least > 0.0f ? (least * (1.0f - 0x1p-21f) + max_low) * (1.0f - 0x1p-21f) : 0.0f;
  }

  // Row i's distances to every center, computed one by one; the label by Lloyd's rule (the
  // lowest index at the smallest distance, NaN after +inf, center 0 when none is finite). For
  // rows whose distance to their center is not finite (only data beyond the kernels' range).
  int full_scan(index_t i) const {
    const T* x = X + i * d;
    float* low = s.lower + i * ks;
    double best = std::numeric_limits<double>::infinity();
    int a = 0;
    for (index_t j = 0; j < k; ++j) {
      const double dj = root(sq_dist(x, C + j * d, d));
      low[j] = bound_down(s.scale * (dj + s.cum[j]));
      if (dj < best) {
        best = dj;
        a = int(j);
      }
    }
    const double u = best < std::numeric_limits<double>::infinity() ? best : root(sq_dist(x, C + index_t(a) * d, d));
    s.upper[i] = bound_up(s.scale * u);
    s.second[i] = second_of(low, a);
    return a;
  }

  // Row i, whose bounds leave the centers in bits open, u its exact distance to its center a:
  // each open center in order, unless the bounds with the best so far now rule it out. Returns
  // the new label; counts the distances in *done.
  int one_by_one(index_t i, int a, double u, const std::uint64_t* bits, index_t* done) const {
    const T* x = X + i * d;
    const int own = a;
    float* low = s.lower + i * ks;
    low[a] = bound_down(s.scale * (u + s.cum[a]));
    if (!(u < std::numeric_limits<double>::infinity())) return full_scan(i);
    float U = bound_up(s.scale * u);
    const float* half = s.half + index_t(a) * ks;
    index_t count = 0;
    for (index_t q = 0; q < words; ++q)
      for (std::uint64_t m = bits[q]; m; m &= m - 1) {
        const index_t j = q * 64 + lowest_bit(m);
        if (!(low[j] - cum_up[j] <= U) || !(half[j] <= U)) continue;
        const double dj = root(sq_dist(x, C + j * d, d));
        ++count;
        low[j] = bound_down(s.scale * (dj + s.cum[j]));
        if (dj < u || (dj == u && j < a)) {  // ties: the lowest index, as Lloyd
          a = int(j);
          u = dj;
          U = bound_up(s.scale * u);
          half = s.half + j * ks;
        }
      }
    *done += count;
    s.upper[i] = U;
    if (a != own) s.second[i] = second_of(low, a);  // the old center may be the nearest other one
    return a;
  }

  // Rows list[0, count) of the chunk at `start` (all of them if list is null), every distance
  // from the tile: the label is the tile's (Lloyd's, bit for bit); u and the lower bounds are
  // the tile's distances plus and minus its rounding error.
  void all_centers(index_t start, const int* list, index_t count, int* lab, const Buffers& B) const {
    constexpr index_t W = panel_width<T>();
    const T* G = X + start * d;
    if (list) {  // the rows together, for the tile
      for (index_t r = 0; r < count; ++r) {
        const T* x = X + (start + list[r]) * d;
        for (index_t f = 0; f < d; ++f) B.rows[r * d + f] = x[f];
      }
      G = B.rows;
    }
    const T* norms = packed.data + n_panels * W * d;
    for (index_t p = 0; p < n_panels; ++p) {
      const T* panel = packed.data + p * W * d;
      index_t r = 0;
      for (; r + kTileRows <= count; r += kTileRows)
        panel_values<T, kTileRows>(G + r * d, d, panel, norms + p * W, B.values + r * ks + p * W, ks);
      for (; r < count; ++r) panel_values<T, 1>(G + r * d, d, panel, norms + p * W, B.values + r * ks + p * W, ks);
    }
    B.work[1] += count;
    // Few centers: the passes below with their lengths known at compile time (unrolled).
    if (ks == W) return finish<W>(start, list, count, lab, B, G);
    if (ks == 2 * W) return finish<2 * W>(start, list, count, lab, B, G);
    finish<0>(start, list, count, lab, B, G);
  }

  // all_centers after the tile, in separate passes over the rows, each a short loop whose rows
  // the processor overlaps (one pass per row would wait on each square root in turn). KS: ks if
  // known at compile time, else 0.
  template <index_t KS>
  void finish(index_t start, const int* list, index_t count, int* lab, const Buffers& B, const T* G) const {
    const index_t kk = KS ? KS : ks;
    int* nearest = B.nearest;
    double* xn = B.own;
    for (index_t r = 0; r < count; ++r) {
      nearest[r] = row_argmin<T>(B.values + r * kk, kk);
      xn[r] = sq_norm(G + r * d, d);
    }
    // Lower bounds: ‖x − c_j‖² >= xn + v_j − e·(xn + 2‖c_j‖²), scaled by scale², in float with
    // 2^-19·(xn + 2‖c_j‖²) more taken off for float's roundings of these few operations; a value
    // under 2^-100 counts as 0 (the float root of a denormal could be off by more than the
    // margin); then rounded down as bound_down does. Vectorized: no branch.
    const double s2 = s.scale * s.scale, e = err;
    const float* cl = cum_low.data();
    const float* ce = cerr.data();
    const float xs_factor = float(s2 * (1.0 - e - 0x1p-19));
    for (index_t r = 0; r < count; ++r) {
      const T* v = B.values + r * kk;
      const float xs = float(xn[r]) * xs_factor;
      float* low = s.lower ? s.lower + (start + (list ? list[r] : r)) * ks : B.low + r * ks;
      for (index_t j = 0; j < kk; ++j) low[j] = float(s2 * double(v[j]));
      for (index_t j = 0; j < kk; ++j) {
        float t = xs + low[j] - ce[j];
        t = t >= 0x1p-100f ? t : 0.0f;  // NaN too: no bound
        t = t <= std::numeric_limits<float>::max() ? t : std::numeric_limits<float>::max();
        low[j] = (rootf(t) + cl[j]) * (1.0f - 0x1p-21f);
      }
      for (index_t j = k; j < kk; ++j) low[j] = std::numeric_limits<float>::infinity();  // padding
    }
    for (index_t r = 0; r < count; ++r) {
      const index_t row = list ? list[r] : r, i = start + row;
      const int a = nearest[r];
      double up = xn[r] + double(B.values[r * kk + a]) + e * (xn[r] + 2.0 * cnorm[a]);  // >= ‖x − c_a‖²
      up = up < 0.0 ? 0.0 : up;
      const double u = root(up) * (1.0 + 0x1p-50);
      float* low = s.lower ? s.lower + i * ks : B.low + r * ks;
      s.second[i] = second_of(low, a);
      low[a] = bound_down(s.scale * (u + s.cum[a]));
      s.upper[i] = bound_up(s.scale * u);
      lab[row] = a;
    }
  }

  // Hamerly's step for the `scanned` rows (listed in B.nearest) that failed both single tests:
  // the distance to their center computed exactly, the tests again with it (Hamerly's tightening),
  // and the rows that still fail through the tile, every center at once (Lloyd's labels).
  void hamerly_rows(index_t start, index_t m, index_t scanned, int* lab, const Buffers& B) const {
    const int* scan = B.nearest;
    for (index_t t = 0; t < scanned; ++t) {
      const index_t r = scan[t];
      B.own[t] = root(sq_dist(X + (start + r) * d, C + index_t(lab[r]) * d, d));
    }
    index_t n_dense = 0;
    for (index_t t = 0; t < scanned; ++t) {
      const index_t r = scan[t], i = start + r;
      const int a = lab[r];
      const float U = bound_up(s.scale * B.own[t]);
      s.upper[i] = U;
      const bool go = !(double(U) < s.next[a]) & !(s.second[i] > U + max_up);
      B.dense[n_dense] = int(r);
      n_dense += go;
    }
    B.work[2] += scanned;
    if (2 * n_dense >= m) return all_centers(start, nullptr, m, lab, B);
    if (n_dense) all_centers(start, B.dense, n_dense, lab, B);
  }

  // New labels lab[0, m) of rows [start, start + m), bounds updated. Three passes over the chunk:
  // the bounds (most rows stop there); the rows with many open centers through the tile (the
  // whole chunk when that is most of it: contiguous rows, no copy); the others one distance at a
  // time, their distances to their own center first (independent rows, whose memory loads and
  // square roots overlap).
  void assign(index_t start, index_t m, const int* labels, int* lab) const {
    const Buffers B = buffers();
    if (first) return all_centers(start, nullptr, m, lab, B);
    // First the upper bounds and the two single tests, which most rows stop at; the others are
    // listed, with U >= scale·u (as bound_up: +inf past float's range, and for a NaN u, which
    // then opens every center). Branch-free: which rows stop is unpredictable.
    int* scan = B.nearest;
    double* scan_U = B.own;
    index_t scanned = 0;
    for (index_t r = 0; r < m; ++r) {
      const index_t i = start + r;
      const int a = labels[i];
      // The bound moved by the center's shift, in float64 (one rounding, which bound_up's margin
      // covers), stored rounded up again.
      const float U = bound_up(double(s.upper[i]) + s.scale * s.shift[a]);
      lab[r] = a;
      s.upper[i] = U;
      // Elkan's test: every other center is at least 2·next − u > u away. Hamerly's: every other
      // center is farther than u (second[i] − scale·cum_max > U).
      const bool go = !(double(U) < s.next[a]) & !(s.second[i] > U + max_up);
      scan[scanned] = int(r);
      scan_U[scanned] = U;
      scanned += go;
    }
    if (!s.lower) return hamerly_rows(start, m, scanned, lab, B);
    // Then the listed rows' k bounds, fetched a few rows ahead (only some rows are scanned, so
    // the hardware cannot guess which lines come next; a row of bounds waited on memory).
    constexpr index_t kAhead = 4, kLine = 64 / index_t(sizeof(float));
    for (index_t t = 0; t < kAhead && t < scanned; ++t)
      for (index_t q = 0; q < ks; q += kLine) prefetch_line(s.lower + (start + scan[t]) * ks, q);
    index_t n_dense = 0, n_few = 0;
    for (index_t t = 0; t < scanned; ++t) {
      if (t + kAhead < scanned)
        for (index_t q = 0; q < ks; q += kLine) prefetch_line(s.lower + (start + scan[t + kAhead]) * ks, q);
      const index_t r = scan[t], i = start + r;
      const int a = lab[r];
      float least;
      const index_t open =
          open_centers(s.lower + i * ks, s.half + index_t(a) * ks, float(scan_U[t]), B.bits + n_few * words, &least);
      s.second[i] = hamerly(least);
      // Branch-free from here (whether a row has open centers, and how many, is unpredictable):
      // the row appended to one list or none, and its first line of X prefetched. The tile, or
      // the distance to its center and to each open center one by one, whichever the cost model
      // says is cheaper.
      const bool dense = open != 0 && double(open + 1) * costs.one >= costs.tile_row, few = open != 0 && !dense;
      B.dense[n_dense] = int(r);
      n_dense += dense;
      B.few[n_few] = int(r);
      n_few += few;
      prefetch_line(X + (open != 0 ? i : start) * d, 0);
    }
    B.work[0] += scanned;
    if (2 * n_dense >= m) return all_centers(start, nullptr, m, lab, B);
    if (n_dense) all_centers(start, B.dense, n_dense, lab, B);
    for (index_t t = 0; t < n_few; ++t) {
      const index_t r = B.few[t];
      B.own[t] = root(sq_dist(X + (start + r) * d, C + index_t(lab[r]) * d, d));
    }
    B.work[2] += n_few;
    for (index_t t = 0; t < n_few; ++t) {
      const index_t r = B.few[t];
      lab[r] = one_by_one(start + r, lab[r], B.own[t], B.bits + t * words, &B.work[3]);
    }
  }
};

template <class T>
index_t elkan_step(const T* X, const T* w, index_t n, index_t d, const T* C, index_t k, int* labels,
                   const ElkanState& state, bool first, double* sums, double* weights, double* scratch,
                   bool changes_only, int threads) {
  const ElkanPass<T> pass(X, d, C, k, state, first, threads);
  const index_t changed = assign_and_sum(
      X, w, n, d, k, pass.chunk, labels, sums, weights, scratch, changes_only, first ? n * k * d : n * (k + d), threads,
      [&](index_t start, index_t m, int* lab) { pass.assign(start, m, labels, lab); });
  if (state.work) pass.work(state.work);
  return changed;
}

// half[a·bounds_stride(k) + j] = bound_down(scale·‖c_a − c_j‖/2) (+inf for j = a and the
// padding) and next[a] = scale times the smallest ‖c_a − c_j‖/2 over j != a, rounded down by
// 2^-40 (float64's rounding of it); +inf when k = 1. A NaN distance counts as 0
// (rules nothing out).
template <class T>
void center_gaps(const T* C, index_t k, index_t d, double scale, float* half, double* next, int threads) {
  const index_t ks = bounds_stride<T>(k);
  StopFlag stop;
  // A few rows at a time (for_rows' blocks of whole row chunks would leave k <= 256 to one thread).
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads) if (worth_threads(k * k * d))
  for (index_t a = 0; a < k; ++a) {
    if (stop.stop()) continue;
    double nearest = std::numeric_limits<double>::infinity();
    for (index_t j = 0; j < ks; ++j) {
      if (j == a || j >= k) {
        half[a * ks + j] = std::numeric_limits<float>::infinity();
        continue;
      }
      double h = 0.5 * root(sq_dist(C + a * d, C + j * d, d));
      h = h >= 0.0 ? h : 0.0;
      half[a * ks + j] = bound_down(scale * h);
      nearest = h < nearest ? h : nearest;
    }
    next[a] = scale * nearest * (1.0 - 0x1p-40);
  }
  stop.rethrow();
}

template <class T>
ElkanKernels<T> elkan_table() {
  return ElkanKernels<T>{&elkan_step<T>, &center_gaps<T>, &bounds_stride<T>, &elkan_costs<T>};
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
