// Chunking and thread counts shared by every kernel.
//
// Determinism rule: work is split into blocks whose bounds depend only on the problem size,
// never on the thread count; each block writes its own partial result and the partials are
// combined in block order. So a result is bit-identical for 1 thread or 64.
//
// Everything here has internal linkage (static): this header is compiled into every ISA variant,
// and a shared inline symbol could otherwise be linked from an AVX-512 object into the baseline.
#pragma once
#include <cstdint>
#if defined(__SSE2__) || defined(_M_X64)
#include <immintrin.h>  // _mm_prefetch (prefetch_line without GCC's builtins)
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kmix/compiler.hpp"
#include "kmix/runtime.hpp"

namespace kmix {

using index_t = std::int64_t;

// Rows handed to one distance tile at a time (the same 256 scikit-learn's Lloyd loop uses).
static constexpr index_t kRowChunk = 256;

// Partial-sum buffers for one reduction stay under this many doubles in total.
static constexpr index_t kReductionBudget = index_t(1) << 22;  // 32 MiB

struct Blocks {
  index_t count;  // number of blocks
  index_t rows;   // rows per block (a multiple of kRowChunk), last block may be shorter
  index_t begin(index_t b) const { return b * rows; }
  index_t end(index_t b, index_t n) const { return (b + 1) * rows < n ? (b + 1) * rows : n; }
};

// Split n rows into at most max_blocks blocks of whole row chunks; each block will own
// `doubles_per_block` partial sums, and all of them together stay under kReductionBudget.
static inline Blocks fixed_blocks(index_t n, index_t max_blocks, index_t doubles_per_block = 1) {
  index_t by_memory = kReductionBudget / (doubles_per_block > 0 ? doubles_per_block : 1);
  if (max_blocks > by_memory) max_blocks = by_memory;
  if (max_blocks < 1) max_blocks = 1;
  index_t rows = (n + max_blocks - 1) / max_blocks;
  rows = ((rows + kRowChunk - 1) / kRowChunk) * kRowChunk;
  if (rows < kRowChunk) rows = kRowChunk;
  return Blocks{n > 0 ? (n + rows - 1) / rows : 0, rows};
}

// Whether a loop of about `work` multiply-adds is worth a parallel region: a smaller one costs
// less than waking the other threads (far less when the machine is busy). Only the thread count
// depends on it, never the blocks, so results do not change.
static inline bool worth_threads(index_t work) { return work >= (index_t(1) << 15); }

// The calling thread's number in its OpenMP team (0 outside a parallel region or without OpenMP).
static inline int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// The number of threads in the calling thread's team: a region may start fewer than it asked for
// (OMP_THREAD_LIMIT, OMP_DYNAMIC, nested regions), so work split by hand loops over its parts
// with this stride rather than assuming one part per thread.
static inline int team_threads() {
#ifdef _OPENMP
  return omp_get_num_threads();
#else
  return 1;
#endif
}

// Threads for a call: `requested` (0: OpenMP's maximum), and one in a child made by fork().
static inline int resolve_threads(int requested) {
  if (in_forked_child()) return 1;
#ifdef _OPENMP
  return requested > 0 ? requested : omp_get_max_threads();
#else
  (void)requested;
  return 1;
#endif
}

// Blocks of a Lloyd step: each owns k·d center sums and k weights, which are zeroed and then
// combined every step; so their total stays near an eighth of the bytes of X, and a block has
// at least 2048 rows, whose k·d multiply-adds each dwarf that per-block cost (measured: 196
// blocks of 512 rows at (100k, 16, 8) made a 2-thread step ~4% slower than 48 blocks); at
// least 16 blocks for parallelism, at most 256.
static inline Blocks lloyd_blocks(index_t n, index_t k, index_t d, index_t itemsize) {
  const index_t per_block = (k * d + k > 0 ? k * d + k : 1) * index_t(sizeof(double));  // k = 0: no division by 0
  index_t want = (n * d * itemsize / 8) / per_block;
  if (want > n / 2048) want = n / 2048;
  want = want < 16 ? 16 : (want > 256 ? 256 : want);
  return fixed_blocks(n, want, k * d + k);
}

// Doubles between consecutive blocks' partial sums in a Lloyd step's scratch: k·d sums and k
// weights, rounded up to whole 64-byte lines, so that a cluster's sums start 32-byte aligned
// whenever d·8 is a multiple of 32 (unaligned vector adds measured ~1.5x slower at d = 16).
static inline index_t lloyd_stride(index_t k, index_t d) { return (k * d + k + 7) / 8 * 8; }

// Doubles of scratch a Lloyd step needs (the blocks' partial sums, plus room to align them).
static inline index_t lloyd_scratch_size(index_t n, index_t k, index_t d, index_t itemsize) {
  return lloyd_blocks(n, k, d, itemsize).count * lloyd_stride(k, d) + 8;
}

// p rounded up to a 64-byte boundary (the caller allocated 64 bytes more than it needs).
template <class V>
static inline V* align_to_line(V* p) {
  return reinterpret_cast<V*>((reinterpret_cast<std::uintptr_t>(p) + 63) & ~std::uintptr_t(63));
}

// Ask for the cache line `offset` elements after p. The address is formed as an integer: it may
// lie past the end of the data (a prefetch is only a hint and never faults), where pointer
// arithmetic would be undefined.
template <class T>
static inline void prefetch_line(const T* p, index_t offset) {
  const void* at =
      reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p) + std::uintptr_t(offset) * sizeof(T));
#if KMIX_GNU_EXTENSIONS
  __builtin_prefetch(at);
#elif defined(_M_X64) || defined(_M_IX86) || defined(__SSE2__)
  _mm_prefetch(static_cast<const char*>(at), _MM_HINT_T0);
#elif defined(_M_ARM64)
  __prefetch(at);
#else
  (void)at;
#endif
}

// Ask for every line of the `count` values from p: one per 64 bytes, and the last value's too (a
// run not aligned to a line ends in one more).
template <class T>
static inline void prefetch_values(const T* p, index_t count) {
  for (index_t off = 0; off < count; off += index_t(64 / sizeof(T))) prefetch_line(p, off);
  prefetch_line(p, count - 1);
}

}  // namespace kmix
