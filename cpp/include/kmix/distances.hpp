// Distance kernels: squared norms, blocked X·Cᵀ tiles and the nearest center of each row.
//
// Compiled once per ISA level (see cmake/KmixIsa.cmake): everything lives in the namespace
// kmix::KMIX_ISA_NS so the variants never share a symbol.
//
// The nearest-center tile computes ‖c‖² − 2·x·c (‖x‖² is the same for every center, so the
// argmin does not need it), as scikit-learn's Lloyd loop does, for R rows against a panel of
// W centers at a time: one broadcast of x[j] meets W centers, R rows reuse each loaded panel.
#pragma once
#include <cstring>
#include <limits>

#include "kmix/parallel.hpp"

#ifndef KMIX_ISA_NS
#define KMIX_ISA_NS baseline
#endif

#if defined(__AVX512F__)
#define KMIX_VBYTES 64
#elif defined(__AVX__)
#define KMIX_VBYTES 32
#else
#define KMIX_VBYTES 16  // SSE2 on x86-64, NEON on arm64
#endif

namespace kmix {
namespace KMIX_ISA_NS {

// A SIMD register of T: GCC/Clang vector extensions, a plain array elsewhere (MSVC).
template <class T>
struct Simd {
  static constexpr int lanes = KMIX_VBYTES / int(sizeof(T));
#if defined(__GNUC__)
  typedef T vec __attribute__((vector_size(KMIX_VBYTES)));
  static inline vec load(const T* p) { vec v; std::memcpy(&v, p, sizeof v); return v; }
  static inline void store(T* p, vec v) { std::memcpy(p, &v, sizeof v); }
  static inline vec splat(T x) { return vec{} + x; }
  static inline vec zero() { return vec{}; }
  static inline void fma(vec& acc, vec a, vec b) { acc += a * b; }
  static inline vec dist(vec norm, vec dot) { return norm - (dot + dot); }
  // Where d < best: best = d and idx = p.
  static inline void keep_min(vec& best, vec& idx, vec d, vec p) {
    auto m = d < best;
    best = m ? d : best;
    idx = m ? p : idx;
  }
#else
  struct vec { T a[lanes]; };
  static inline vec load(const T* p) { vec v; std::memcpy(v.a, p, sizeof v.a); return v; }
  static inline void store(T* p, vec v) { std::memcpy(p, v.a, sizeof v.a); }
  static inline vec splat(T x) { vec v; for (int i = 0; i < lanes; ++i) v.a[i] = x; return v; }
  static inline vec zero() { return splat(T(0)); }
  static inline void fma(vec& acc, vec a, vec b) { for (int i = 0; i < lanes; ++i) acc.a[i] += a.a[i] * b.a[i]; }
  static inline vec dist(vec norm, vec dot) {
    vec r; for (int i = 0; i < lanes; ++i) r.a[i] = norm.a[i] - (dot.a[i] + dot.a[i]); return r;
  }
  static inline void keep_min(vec& best, vec& idx, vec d, vec p) {
    for (int i = 0; i < lanes; ++i) if (d.a[i] < best.a[i]) { best.a[i] = d.a[i]; idx.a[i] = p.a[i]; }
  }
#endif
};

// Centers per panel: two registers' worth.
static constexpr int kVecsPerPanel = 2;
// Rows per tile: enough accumulators to hide FMA latency, few enough to stay in registers.
#if KMIX_VBYTES == 64
static constexpr int kTileRows = 8;
#else
static constexpr int kTileRows = 4;
#endif

template <class T>
constexpr index_t panel_width() { return kVecsPerPanel * Simd<T>::lanes; }

template <class T>
index_t packed_size(index_t k, index_t d) {
  const index_t W = panel_width<T>();
  return ((k + W - 1) / W) * W * (d + 1);
}

// Centers packed for the tile: panel p holds centers p·W .. p·W+W−1 feature-major
// (panel[j·W + w] = C[p·W + w, j]), followed by all the padded squared norms. Padding centers
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
          panel[j * W + w] = C[c * d + j];
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

// Nearest center (first one on ties, as numpy's argmin) of R consecutive rows of X.
template <class T, int R>
inline void nearest_tile(const T* x, index_t d, const T* packed, index_t k, int* label) {
  using S = Simd<T>;
  typedef typename S::vec vec;
  constexpr int L = S::lanes, V = kVecsPerPanel;
  constexpr index_t W = V * L;
  const index_t n_panels = (k + W - 1) / W;
  const T* norms = packed + n_panels * W * d;

  vec best[R][V], where[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) {
      best[r][v] = S::splat(std::numeric_limits<T>::infinity());
      where[r][v] = S::zero();
    }
  for (index_t p = 0; p < n_panels; ++p) {
    const T* panel = packed + p * W * d;
    vec acc[R][V];
    for (int r = 0; r < R; ++r)
      for (int v = 0; v < V; ++v) acc[r][v] = S::zero();
    for (index_t j = 0; j < d; ++j) {
      vec c[V];
      for (int v = 0; v < V; ++v) c[v] = S::load(panel + j * W + v * L);
      for (int r = 0; r < R; ++r) {
        const vec xb = S::splat(x[r * d + j]);
        for (int v = 0; v < V; ++v) S::fma(acc[r][v], xb, c[v]);
      }
    }
    const vec pv = S::splat(T(p));
    for (int v = 0; v < V; ++v) {
      const vec nrm = S::load(norms + p * W + v * L);
      for (int r = 0; r < R; ++r) S::keep_min(best[r][v], where[r][v], S::dist(nrm, acc[r][v]), pv);
    }
  }
  // Lane l of register v holds the best of centers {p·W + v·L + l}; pick the smallest value,
  // and on equal values the smallest center index.
  for (int r = 0; r < R; ++r) {
    T bv[W], bp[W];
    for (int v = 0; v < V; ++v) {
      S::store(bv + v * L, best[r][v]);
      S::store(bp + v * L, where[r][v]);
    }
    T m = bv[0];
    index_t arg = index_t(bp[0]) * W;
    for (index_t w = 1; w < W; ++w) {
      const index_t c = index_t(bp[w]) * W + w;
      if (bv[w] < m || (bv[w] == m && c < arg)) { m = bv[w]; arg = c; }
    }
    label[r] = int(arg);
  }
}

// Nearest center of rows [0, m) of X (m ≤ kRowChunk), tiles of kTileRows then single rows.
template <class T>
inline void nearest_rows(const T* X, index_t m, index_t d, const T* packed, index_t k, int* label) {
  index_t i = 0;
  for (; i + kTileRows <= m; i += kTileRows) nearest_tile<T, kTileRows>(X + i * d, d, packed, k, label + i);
  for (; i < m; ++i) nearest_tile<T, 1>(X + i * d, d, packed, k, label + i);
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

}  // namespace KMIX_ISA_NS
}  // namespace kmix
