// Distance kernels: squared norms, blocked X·Cᵀ tiles and the nearest center of each row.
//
// Compiled once per ISA level (see cmake/KmixIsa.cmake): everything lives in the namespace
// kmix::KMIX_ISA_NS so the variants never share a symbol.
//
// The nearest-center tile computes ‖c‖² − 2·x·c (‖x‖² is the same for every center, so the
// argmin does not need it), as scikit-learn's Lloyd loop does, for R rows against a panel of
// W centers at a time: one broadcast of x[j] meets W centers, R rows reuse each loaded panel.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <limits>
#include <type_traits>
#include <utility>
#if defined(__SSE2__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "kmix/compiler.hpp"
#include "kmix/parallel.hpp"

#ifndef KMIX_ISA_NS
#define KMIX_ISA_NS baseline
#endif

// Bytes per SIMD register. A build may set it (KMIX_EMULATE_AVX512 in cmake/KmixIsa.cmake
// compiles the avx512 kernels with 64-byte vectors on AVX2 instructions, to run the AVX-512
// level's lane counts, tile shapes and masks on a CPU without AVX-512).
#ifndef KMIX_VBYTES
#if defined(__AVX512F__)
#define KMIX_VBYTES 64
#elif defined(__AVX__)
#define KMIX_VBYTES 32
#else
#define KMIX_VBYTES 16  // SSE2 on x86-64, NEON on arm64
#endif
#endif

namespace kmix {
namespace KMIX_ISA_NS {

// Index of the lowest set bit of a non-zero word.
static inline int lowest_bit(std::uint64_t bits) {
#if KMIX_GNU_EXTENSIONS
  return __builtin_ctzll(bits);
#elif defined(_MSC_VER) || defined(__MINGW32__)
  unsigned long at;
  _BitScanForward64(&at, bits);
  return int(at);
#else
  int at = 0;  // the MSVC branch built by GCC on Linux (KMIX_MSVC_BRANCHES), which has no <intrin.h>
  for (; !(bits & 1u); bits >>= 1) ++at;
  return at;
#endif
}

static inline int popcount64(std::uint64_t m) {
#if KMIX_GNU_EXTENSIONS
  return __builtin_popcountll(m);
#else
  int c = 0;
  for (; m; m &= m - 1) ++c;
  return c;
#endif
}

// A SIMD register of T: GCC/Clang vector extensions, a plain array elsewhere (MSVC).
template <class T>
struct Simd {
  static constexpr int lanes = KMIX_VBYTES / int(sizeof(T));
#if KMIX_GNU_EXTENSIONS
  typedef T vec __attribute__((vector_size(KMIX_VBYTES)));
  static inline vec load(const T* p) {
    vec v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static inline void store(T* p, vec v) { std::memcpy(p, &v, sizeof v); }
  template <std::size_t... I>
  static inline vec splat_(T x, std::index_sequence<I...>) {
    return vec{((void)I, x)...};
  }
  static inline vec splat(T x) { return splat_(x, std::make_index_sequence<lanes>{}); }
  static inline vec zero() { return vec{}; }
  static inline vec add(vec a, vec b) { return a + b; }
  static inline vec sub(vec a, vec b) { return a - b; }
  static inline vec mul(vec a, vec b) { return a * b; }
  static inline vec div(vec a, vec b) { return a / b; }
  // a < b ? x : y, lane by lane.
  static inline vec select_lt(vec a, vec b, vec x, vec y) { return a < b ? x : y; }
  // Where (v, r) < (best, rank) lexicographically: best = v, rank = r and at = p.
  static inline void keep_lexmin(vec& best, vec& rank, vec& at, vec v, vec r, vec p) {
    auto m = (v < best) | ((v == best) & (r < rank));
    best = m ? v : best;
    rank = m ? r : rank;
    at = m ? p : at;
  }
  static inline vec min(vec a, vec b) { return b < a ? b : a; }
  // Bit l set where a[l] == b[l]: one compare and one move to an integer register, where the
  // blends of a vector select would compete with the FMAs for their two ports.
  static inline unsigned eq_mask(vec a, vec b) {
#if defined(__AVX512F__) && KMIX_VBYTES == 64
    unsigned bits;
    if constexpr (sizeof(T) == 8) bits = _mm512_cmp_pd_mask((__m512d)a, (__m512d)b, _CMP_EQ_OQ);
    else bits = _mm512_cmp_ps_mask((__m512)a, (__m512)b, _CMP_EQ_OQ);
    // The mask taken into a general register here: GCC 12 stored a mask widened to 64 bits into a
    // variable on the stack as its low byte only (kmovb to memory), the upper bytes left as they
    // were, which gave row_argmin wrong labels in sanitizer builds (where that variable spills).
    __asm__("" : "+r"(bits));
    return bits;
#elif defined(__AVX__) && KMIX_VBYTES == 32
    if constexpr (sizeof(T) == 8)
      return unsigned(_mm256_movemask_pd(_mm256_cmp_pd((__m256d)a, (__m256d)b, _CMP_EQ_OQ)));
    else return unsigned(_mm256_movemask_ps(_mm256_cmp_ps((__m256)a, (__m256)b, _CMP_EQ_OQ)));
#elif defined(__SSE2__) && KMIX_VBYTES == 16
    if constexpr (sizeof(T) == 8) return unsigned(_mm_movemask_pd(_mm_cmpeq_pd((__m128d)a, (__m128d)b)));
    else return unsigned(_mm_movemask_ps(_mm_cmpeq_ps((__m128)a, (__m128)b)));
#else
    // The lanes of the comparison are read from a copy in memory, not by subscript: GCC 12's
    // -fsanitize=bounds miscompiles a subscript of a vector comparison's result (every lane read
    // as 0), which broke the labels of sanitizer builds at the emulated avx512 level (NEON too).
    using Lane = std::conditional_t<sizeof(T) == 8, std::int64_t, std::int32_t>;
    const auto eq = a == b;
    Lane lane[lanes];
    std::memcpy(lane, &eq, sizeof lane);
    unsigned bits = 0;
    for (int l = 0; l < lanes; ++l) bits |= (lane[l] ? 1u : 0u) << l;
    return bits;
#endif
  }
  // The smallest lane in every lane, by swapping halves, quarters, ... in registers: a store
  // and scalar reloads would stall on store forwarding, once per row.
#if defined(__clang__) || __GNUC__ >= 12  // __builtin_shufflevector
  template <std::size_t S, std::size_t... I>
  static inline vec swap_(vec a, std::index_sequence<I...>) {
#if defined(__AVX__) && KMIX_VBYTES == 32
    // The 128-bit halves of a 256-bit register: vperm2f128, about half the cost of the
    // vpermpd the compiler picks for this pattern (measured on AMD Zen 3).
    if constexpr (S == std::size_t(lanes / 2)) {
      if constexpr (sizeof(T) == 8) return (vec)_mm256_permute2f128_pd((__m256d)a, (__m256d)a, 1);
      else return (vec)_mm256_permute2f128_ps((__m256)a, (__m256)a, 1);
    }
#endif
    return __builtin_shufflevector(a, a, (I ^ S)...);
  }
  template <int S>
  static inline void fold_min_(vec& a) {
    if constexpr (S >= 1) {
      a = min(a, swap_<S>(a, std::make_index_sequence<lanes>{}));
      fold_min_<S / 2>(a);
    }
  }
  static inline vec hmin(vec a) {
    fold_min_<lanes / 2>(a);
    return a;
  }
#else
  static inline vec hmin(vec a) {
    T m = a[0];
    for (int i = 1; i < lanes; ++i) m = a[i] < m ? a[i] : m;
    return splat(m);
  }
#endif
  static inline T first(vec a) { return a[0]; }
  // Lanes summed in order (so the result never depends on anything but the values).
  static inline T hsum(vec a) {
    T s = a[0];
    for (int i = 1; i < lanes; ++i) s += a[i];
    return s;
  }
  // Lane by lane; with -fno-math-errno this is the vector square root instruction.
  static inline vec sqrt(vec a) {
    for (int i = 0; i < lanes; ++i) a[i] = __builtin_sqrt(a[i]);
    return a;
  }
  // a == b ? x : y, lane by lane.
  static inline vec select_eq(vec a, vec b, vec x, vec y) { return a == b ? x : y; }
  static inline void fma(vec& acc, vec a, vec b) { acc += a * b; }
  // norm + dot with the panel holding −2c: the same value as ‖c‖² − 2·x·c (scaling by −2 is
  // exact), one add fewer per center.
  static inline vec dist(vec norm, vec dot) { return norm + dot; }
  // Where d < best: best = d and idx = p.
  static inline void keep_min(vec& best, vec& idx, vec d, vec p) {
    auto m = d < best;
    best = m ? d : best;
    idx = m ? p : idx;
  }
#else
  struct vec {
    T a[lanes];
  };
  static inline vec load(const T* p) {
    vec v;
    std::memcpy(v.a, p, sizeof v.a);
    return v;
  }
  static inline void store(T* p, vec v) { std::memcpy(p, v.a, sizeof v.a); }
  static inline vec splat(T x) {
    vec v;
    for (int i = 0; i < lanes; ++i) v.a[i] = x;
    return v;
  }
  static inline vec zero() { return splat(T(0)); }
  static inline vec add(vec a, vec b) {
    for (int i = 0; i < lanes; ++i) a.a[i] += b.a[i];
    return a;
  }
  static inline vec sub(vec a, vec b) {
    for (int i = 0; i < lanes; ++i) a.a[i] -= b.a[i];
    return a;
  }
  static inline vec mul(vec a, vec b) {
    for (int i = 0; i < lanes; ++i) a.a[i] *= b.a[i];
    return a;
  }
  static inline vec div(vec a, vec b) {
    for (int i = 0; i < lanes; ++i) a.a[i] /= b.a[i];
    return a;
  }
  static inline vec select_lt(vec a, vec b, vec x, vec y) {
    for (int i = 0; i < lanes; ++i) x.a[i] = a.a[i] < b.a[i] ? x.a[i] : y.a[i];
    return x;
  }
  static inline void keep_lexmin(vec& best, vec& rank, vec& at, vec v, vec r, vec p) {
    for (int i = 0; i < lanes; ++i)
      if (v.a[i] < best.a[i] || (v.a[i] == best.a[i] && r.a[i] < rank.a[i])) {
        best.a[i] = v.a[i];
        rank.a[i] = r.a[i];
        at.a[i] = p.a[i];
      }
  }
  static inline vec min(vec a, vec b) {
    for (int i = 0; i < lanes; ++i) a.a[i] = b.a[i] < a.a[i] ? b.a[i] : a.a[i];
    return a;
  }
  static inline unsigned eq_mask(vec a, vec b) {
    unsigned bits = 0;
    for (int l = 0; l < lanes; ++l) bits |= (a.a[l] == b.a[l] ? 1u : 0u) << l;
    return bits;
  }
  static inline vec hmin(vec a) {
    T m = a.a[0];
    for (int i = 1; i < lanes; ++i) m = a.a[i] < m ? a.a[i] : m;
    return splat(m);
  }
  static inline T first(vec a) { return a.a[0]; }
  static inline T hsum(vec a) {
    T s = a.a[0];
    for (int i = 1; i < lanes; ++i) s += a.a[i];
    return s;
  }
  static inline vec sqrt(vec a) {
    for (int i = 0; i < lanes; ++i) a.a[i] = std::sqrt(a.a[i]);
    return a;
  }
  static inline vec select_eq(vec a, vec b, vec x, vec y) {
    for (int i = 0; i < lanes; ++i) x.a[i] = a.a[i] == b.a[i] ? x.a[i] : y.a[i];
    return x;
  }
  static inline void fma(vec& acc, vec a, vec b) {
    for (int i = 0; i < lanes; ++i) acc.a[i] += a.a[i] * b.a[i];
  }
  static inline vec dist(vec norm, vec dot) {
    vec r;
    for (int i = 0; i < lanes; ++i) r.a[i] = norm.a[i] + dot.a[i];
    return r;
  }
  static inline void keep_min(vec& best, vec& idx, vec d, vec p) {
    for (int i = 0; i < lanes; ++i)
      if (d.a[i] < best.a[i]) {
        best.a[i] = d.a[i];
        idx.a[i] = p.a[i];
      }
  }
#endif
};

// A zeroed heap array owned for one call. Not std::vector: its inline member functions would be
// compiled with this ISA's flags and the linker could hand them to another ISA's code.
template <class V>
struct HeapArray {
  V* p = nullptr;
  HeapArray() = default;
  explicit HeapArray(index_t n) { reset(n); }
  void reset(index_t n) {
    std::free(p);
    p = static_cast<V*>(std::calloc(n > 0 ? std::size_t(n) : 1, sizeof(V)));
    if (!p) throw std::bad_alloc();
  }
  ~HeapArray() { std::free(p); }
  HeapArray(const HeapArray&) = delete;
  HeapArray& operator=(const HeapArray&) = delete;
  V* data() const { return p; }
  V& operator[](index_t i) const { return p[i]; }
};
using Buffer = HeapArray<double>;
using Indices = HeapArray<index_t>;

// Centers per panel: two registers' worth.
static constexpr int kVecsPerPanel = 2;
// Rows per tile: enough accumulators to hide FMA latency, few enough to stay in registers.
#if KMIX_VBYTES == 64
static constexpr int kTileRows = 8;
#else
static constexpr int kTileRows = 4;
#endif

template <class T>
constexpr index_t panel_width() {
  return kVecsPerPanel * Simd<T>::lanes;
}

template <class T>
index_t packed_size(index_t k, index_t d) {
  const index_t W = panel_width<T>();
  return ((k + W - 1) / W) * W * (d + 1);
}

// Centers packed for the tile: panel p holds centers p·W .. p·W+W−1, times −2, feature-major
// (panel[j·W + w] = −2·C[p·W + w, j]), followed by all the padded squared norms. Padding centers
// get norm +inf so no row ever picks them. `out` has packed_size(k, d) elements.
template <class T>
void pack_centers(const T* C, index_t k, index_t d, T* out) {
  const index_t W = panel_width<T>(), n_panels = (k + W - 1) / W;
  T* norms = out + n_panels * W * d;
  for (index_t p = 0; p < n_panels; ++p) {
    T* panel = out + p * W * d;
    for (index_t w = 0; w < W; ++w) {
      const index_t c = p * W + w;
      if (c < k) {
        T s = 0;
        for (index_t j = 0; j < d; ++j) {
          panel[j * W + w] = T(-2) * C[c * d + j];
          s += C[c * d + j] * C[c * d + j];
        }
        norms[c] = s;
      } else {
        for (index_t j = 0; j < d; ++j) panel[j * W + w] = T(0);
        norms[c] = std::numeric_limits<T>::infinity();
      }
    }
  }
}

// The dot products x·c of R consecutive rows of x with the W centers of one panel (stored
// column-major, W per coordinate), accumulated over the d coordinates in order.
template <class T, int R>
inline void panel_dots(const T* x, index_t d, const T* panel, typename Simd<T>::vec (&acc)[R][kVecsPerPanel]) {
  using S = Simd<T>;
  constexpr int L = S::lanes, V = kVecsPerPanel;
  constexpr index_t W = V * L;
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) acc[r][v] = S::zero();
  for (index_t j = 0; j < d; ++j) {
    typename S::vec c[V];
    for (int v = 0; v < V; ++v) c[v] = S::load(panel + j * W + v * L);
    for (int r = 0; r < R; ++r) {
      const typename S::vec xb = S::splat(x[r * d + j]);
      for (int v = 0; v < V; ++v) S::fma(acc[r][v], xb, c[v]);
    }
  }
}

// One panel against R consecutive rows of X: distances ‖c‖² − 2·x·c for the panel's W centers,
// folded into the rows' running minimum. best/where (R×W, row-major) hold, per row and lane w,
// the smallest distance so far among centers {q·W + w : q ≤ p} and which center it was (as a T).
template <class T, int R>
inline void panel_tile(const T* x, index_t d, const T* panel, const T* norms, index_t p, T* best, T* where) {
  using S = Simd<T>;
  typedef typename S::vec vec;
  constexpr int L = S::lanes, V = kVecsPerPanel;
  constexpr index_t W = V * L;
  vec acc[R][V];
  panel_dots<T, R>(x, d, panel, acc);
  const vec base = S::splat(T(p * W)), inf = S::splat(std::numeric_limits<T>::infinity());
  for (int v = 0; v < V; ++v) {
    T idx[L];
    for (int l = 0; l < L; ++l) idx[l] = T(v * L + l);
    const vec nrm = S::load(norms + p * W + v * L), ids = S::add(base, S::load(idx));
    for (int r = 0; r < R; ++r) {
      // Strict <: on equal distances the earlier panel keeps the lane; a NaN distance never
      // replaces anything, and the first panel starts from +inf, so a lane whose distances are
      // all +inf or NaN holds +inf at its first center.
      vec b = inf, w = ids;
      if (p > 0) {
        b = S::load(best + r * W + v * L);
        w = S::load(where + r * W + v * L);
      }
      S::keep_min(b, w, S::dist(nrm, acc[r][v]), ids);
      S::store(best + r * W + v * L, b);
      S::store(where + r * W + v * L, w);
    }
  }
}

// The W lanes of one row: the smallest distance, then the smallest center index among the lanes
// that reach it. Branch-free: which lane wins is data-dependent and would mispredict. The lanes
// hold no NaN (panel_tile), and if the smallest is +inf every lane is at its first center, so
// the answer is center 0: the rule of all_panels_tile, and always a real center.
template <class T>
inline int lanes_argmin(const T* best, const T* where) {
  using S = Simd<T>;
  typedef typename S::vec vec;
  constexpr int L = S::lanes, V = kVecsPerPanel;
  vec m = S::load(best);
  for (int v = 1; v < V; ++v) m = S::min(m, S::load(best + v * L));
  const vec lov = S::hmin(m), none = S::splat(std::numeric_limits<T>::max());
  vec c = S::select_eq(S::load(best), lov, S::load(where), none);
  for (int v = 1; v < V; ++v) c = S::min(c, S::select_eq(S::load(best + v * L), lov, S::load(where + v * L), none));
  return int(S::first(S::hmin(c)));
}

// Few centers (P ≤ 2 panels): R rows against all of them at once, the minimum found in registers
// (no running best/where in memory between panels). Same distances, same tie rule (smallest
// index among the centers at the minimum) as the panel-by-panel path.
template <class T, int R, int P, bool Prefetch = false>
inline void all_panels_tile(const T* x, index_t d, const T* packed, const T* norms, int* label) {
  using S = Simd<T>;
  typedef typename S::vec vec;
  constexpr int L = S::lanes, Q = P * kVecsPerPanel;
  constexpr index_t W = panel_width<T>();
  vec acc[R][Q];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < Q; ++q) acc[r][q] = S::zero();
  constexpr index_t kLine = 64 / index_t(sizeof(T));
  for (index_t j = 0; j < d; ++j) {
    if (Prefetch && j % kLine == 0)  // the next tile's rows, a line each at the same offset
      for (int r = 0; r < R; ++r) prefetch_line(x, (R + r) * d + j);
    vec c[Q];
    for (int q = 0; q < Q; ++q) c[q] = S::load(packed + (q / kVecsPerPanel) * W * d + j * W + (q % kVecsPerPanel) * L);
    for (int r = 0; r < R; ++r) {
      const vec xb = S::splat(x[r * d + j]);
      for (int q = 0; q < Q; ++q) S::fma(acc[r][q], xb, c[q]);
    }
  }
  static_assert(Q * L <= 64, "one bit per center in a 64-bit word");
  // The rule: the lowest center at the smallest distance; a NaN distance ranks after +inf, and a
  // row whose real distances are all +inf or NaN gets center 0 (never a padding center).
  // Fast path, exact whenever no distance to the first vector of centers is NaN: the running
  // minimum starts from that vector, and min(m, d) keeps m when d is NaN, so later NaNs drop out;
  // center 0 is then not NaN, so the minimum is at most its distance and a padding center (+inf)
  // can only tie with real ones (the lowest wins). `poison` sums those first distances over the
  // tile: NaN if one was NaN (or +inf met −inf: overflow), and then the tile is done again by
  // the slow path, whose minimum starts from +inf.
  vec poison = S::zero();
  for (int r = 0; r < R; ++r) {
    vec dist[Q];
    for (int q = 0; q < Q; ++q) dist[q] = S::dist(S::load(norms + q * L), acc[r][q]);
    poison = S::add(poison, dist[0]);
    vec m = dist[0];
    for (int q = 1; q < Q; ++q) m = S::min(m, dist[q]);
    const vec lov = S::hmin(m);
    // Bit c set where center c is at the minimum; the lowest is the first center (numpy's argmin).
    std::uint64_t at = 0;
    for (int q = 0; q < Q; ++q) at |= std::uint64_t(S::eq_mask(dist[q], lov)) << (q * L);
    label[r] = lowest_bit(at | (std::uint64_t(1) << 63));  // the guard bit: no bit at all can only be NaN
  }
  if (S::eq_mask(poison, poison) == (1u << L) - 1u) return;
  const vec inf = S::splat(std::numeric_limits<T>::infinity());
  for (int r = 0; r < R; ++r) {
    vec dist[Q];
    for (int q = 0; q < Q; ++q) dist[q] = S::dist(S::load(norms + q * L), acc[r][q]);
    vec m = inf;  // the minimum over the distances that are not NaN
    for (int q = 0; q < Q; ++q) m = S::min(m, dist[q]);
    const vec lov = S::hmin(m);
    std::uint64_t at = 0;
    for (int q = 0; q < Q; ++q) at |= std::uint64_t(S::eq_mask(dist[q], lov)) << (q * L);
    label[r] = S::first(lov) < std::numeric_limits<T>::infinity() ? lowest_bit(at) : 0;
  }
}

template <class T, int P>
inline void nearest_rows_few(const T* X, index_t m, index_t d, const T* packed, int* label) {
  constexpr index_t W = panel_width<T>();
  constexpr int R = P == 1 ? kTileRows : kTileRows / 2;
  const T* norms = packed + P * W * d;
  index_t i = 0;
  // Wide rows streamed from memory: the hardware prefetcher does not follow the R rows a tile
  // reads side by side, and a tile waited on them (measured 1.3-2x slower per row at 512 bytes
  // and more per row; below that, no difference).
  if (d * index_t(sizeof(T)) >= 512)
    for (; i + R <= m; i += R) all_panels_tile<T, R, P, true>(X + i * d, d, packed, norms, label + i);
  else
    for (; i + R <= m; i += R) all_panels_tile<T, R, P>(X + i * d, d, packed, norms, label + i);
  for (; i < m; ++i) all_panels_tile<T, 1, P>(X + i * d, d, packed, norms, label + i);
}

// Nearest center (the first one on ties, as numpy's argmin) of rows [0, m) of X, m ≤ kRowChunk;
// NaN distances rank after +inf, so every label is in [0, k) whatever the values.
// Panels are the outer loop so that one panel stays in L1 while the chunk's rows stream past
// it (the rows, ≤ kRowChunk of them, stay in L2).
template <class T>
inline void nearest_rows(const T* X, index_t m, index_t d, const T* packed, index_t k, int* label) {
  constexpr index_t W = panel_width<T>();
  const index_t n_panels = (k + W - 1) / W;
  if (n_panels == 1) return nearest_rows_few<T, 1>(X, m, d, packed, label);
  if (n_panels == 2) return nearest_rows_few<T, 2>(X, m, d, packed, label);
  const T* norms = packed + n_panels * W * d;
  alignas(64) T best[kRowChunk * W];
  alignas(64) T where[kRowChunk * W];
  for (index_t p = 0; p < n_panels; ++p) {
    const T* panel = packed + p * W * d;
    index_t i = 0;
    for (; i + kTileRows <= m; i += kTileRows)
      panel_tile<T, kTileRows>(X + i * d, d, panel, norms, p, best + i * W, where + i * W);
    for (; i < m; ++i) panel_tile<T, 1>(X + i * d, d, panel, norms, p, best + i * W, where + i * W);
  }
  for (index_t i = 0; i < m; ++i) label[i] = lanes_argmin<T>(best + i * W, where + i * W);
}

// ‖a − b‖² over d features, with eight partial sums so it vectorizes without -ffast-math;
// the partials are combined in a fixed order, so the value never depends on threads.
template <class T>
inline double sq_dist(const T* a, const T* b, index_t d) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  index_t j = 0;
  for (; j + 8 <= d; j += 8)
    for (int u = 0; u < 8; ++u) {
      const double t = double(a[j + u]) - double(b[j + u]);
      s[u] += t * t;
    }
  for (; j < d; ++j) {
    const double t = double(a[j]) - double(b[j]);
    s[0] += t * t;
  }
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// One row against many (k-means++'s candidates, pdist's rows): sq_dist (one pair at a time)
// vectorizes over d, which at small d is a vector or two and a long reduction per pair. Here a
// group of kColumnRows rows is turned to columns (in float64, once for all its uses) and the
// lanes hold rows: each lane does sq_dist's arithmetic for its row (the same eight partial sums
// over the same features, combined in the same order). Bit for bit where the compiler fuses the
// same multiply-adds in both; at the avx2/avx512 levels it does not always (measured: some
// distances differ in their last bit at d = 13, and at d = 3 at avx2).
constexpr index_t kColumnRows = Simd<double>::lanes;

// xt[j·kColumnRows + q] = X[(i0 + q)·d + j] for q < r; the missing rows repeat the last one.
template <class T>
inline void rows_as_columns(const T* X, index_t i0, index_t r, index_t d, double* xt) {
  for (index_t q = 0; q < kColumnRows; ++q) {
    const T* x = X + (i0 + (q < r ? q : r - 1)) * d;
    for (index_t j = 0; j < d; ++j) xt[j * kColumnRows + q] = double(x[j]);
  }
}

// out[q] = sq_dist(row q of the group, c) for the kColumnRows rows in xt: one vector of rows,
// eight partial sums as sq_dist keeps them.
template <class T>
inline void column_sq_dists(const double* xt, index_t d, const T* c, double* out) {
  using S = Simd<double>;
  typedef typename S::vec vec;
  vec s0 = S::zero(), s1 = S::zero(), s2 = S::zero(), s3 = S::zero();
  vec s4 = S::zero(), s5 = S::zero(), s6 = S::zero(), s7 = S::zero();
  index_t j = 0;
  for (; j + 8 <= d; j += 8) {
    const double* x = xt + j * kColumnRows;
    vec t;
    t = S::sub(S::load(x + 0 * kColumnRows), S::splat(double(c[j + 0])));
    s0 = S::add(s0, S::mul(t, t));
    t = S::sub(S::load(x + 1 * kColumnRows), S::splat(double(c[j + 1])));
    s1 = S::add(s1, S::mul(t, t));
    t = S::sub(S::load(x + 2 * kColumnRows), S::splat(double(c[j + 2])));
    s2 = S::add(s2, S::mul(t, t));
    t = S::sub(S::load(x + 3 * kColumnRows), S::splat(double(c[j + 3])));
    s3 = S::add(s3, S::mul(t, t));
    t = S::sub(S::load(x + 4 * kColumnRows), S::splat(double(c[j + 4])));
    s4 = S::add(s4, S::mul(t, t));
    t = S::sub(S::load(x + 5 * kColumnRows), S::splat(double(c[j + 5])));
    s5 = S::add(s5, S::mul(t, t));
    t = S::sub(S::load(x + 6 * kColumnRows), S::splat(double(c[j + 6])));
    s6 = S::add(s6, S::mul(t, t));
    t = S::sub(S::load(x + 7 * kColumnRows), S::splat(double(c[j + 7])));
    s7 = S::add(s7, S::mul(t, t));
  }
  for (; j < d; ++j) {
    const vec t = S::sub(S::load(xt + j * kColumnRows), S::splat(double(c[j])));
    s0 = S::add(s0, S::mul(t, t));
  }
  const vec total = S::add(S::add(S::add(s0, s1), S::add(s2, s3)), S::add(S::add(s4, s5), S::add(s6, s7)));
  S::store(out, total);
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
