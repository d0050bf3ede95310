// Which ISA variant of the kernels runs: the best this CPU and OS support, unless lowered
// through select_isa (the Python package calls it for KMIX_ISA).
#include <atomic>

#include "kmix/compiler.hpp"
#include "kmix/isa.hpp"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define KMIX_X86 1
#endif

#if defined(KMIX_X86) && !KMIX_GNU_EXTENSIONS && !defined(_MSC_VER) && !defined(__MINGW32__)
#include <cpuid.h>  // the MSVC branch built by GCC/Clang on Linux (KMIX_MSVC_BRANCHES)
#endif

namespace kmix {
namespace {

#if defined(KMIX_X86)
#if !KMIX_GNU_EXTENSIONS
// cpuid leaf/subleaf into r (eax, ebx, ecx, edx), and the OS's saved register state (xcr0). Built
// by GCC/Clang (KMIX_MSVC_BRANCHES), the same from <cpuid.h> or <intrin.h> (MinGW) and the xgetbv
// instruction (GCC's _xgetbv needs -mxsave), so that the bit tests below run off Windows too.
#if defined(_MSC_VER) || defined(__MINGW32__)
void cpuid(int r[4], int leaf, int sub) { __cpuidex(r, leaf, sub); }
#else
void cpuid(int r[4], int leaf, int sub) {
  unsigned a, b, c, d;
  __cpuid_count(unsigned(leaf), unsigned(sub), a, b, c, d);
  r[0] = int(a), r[1] = int(b), r[2] = int(c), r[3] = int(d);
}
#endif
#if defined(_MSC_VER)
unsigned long long xcr0_bits() { return _xgetbv(0); }
#else
unsigned long long xcr0_bits() {
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0u));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}
#endif
// cpuid feature bits plus the OS's saved register state, as GCC's __builtin_cpu_supports.
bool cpu_has(bool want512) {
  int r[4];
  cpuid(r, 0, 0);
  if (r[0] < 7) return false;
  cpuid(r, 1, 0);
  const bool osxsave = r[2] & (1 << 27), fma = r[2] & (1 << 12);
  if (!osxsave || !fma) return false;
  const unsigned long long xcr0 = xcr0_bits();
  cpuid(r, 7, 0);
  const bool avx2 = (r[1] & (1 << 5)) && (xcr0 & 0x6) == 0x6;
  if (!want512) return avx2;
  const unsigned b = unsigned(r[1]);
  const bool f = b & (1u << 16), dq = b & (1u << 17), bw = b & (1u << 30), vl = b & (1u << 31);
  return avx2 && f && dq && bw && vl && (xcr0 & 0xE6) == 0xE6;
}
#else
bool cpu_has(bool want512) {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!want512) return avx2;
  return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}
#endif
#endif

// The lowest level's name: its kernels are 16-byte vectors, NEON on arm64 (part of every arm64
// CPU), SSE2 on x86-64, whatever the compiler makes of them elsewhere.
#if defined(__aarch64__) && defined(__ARM_NEON)
constexpr const char* kLowest = "neon";
#else
constexpr const char* kLowest = "baseline";
#endif

// A level's tables are built (by code compiled for that level) only once the CPU is known to
// run it.
#define KMIX_ISA_ENTRY(ns, name)                                                                  \
  IsaKernels {                                                                                    \
    name, &ns::kmeans_kernels(), &ns::gmm_kernels(), &ns::linkage_kernels(), &ns::tree_kernels(), \
        &ns::metrics_kernels(), &ns::elkan_kernels(), &ns::sparse_kmeans_kernels()                \
  }

std::vector<const IsaKernels*> supported() {
  static const IsaKernels base = KMIX_ISA_ENTRY(baseline, kLowest);
  std::vector<const IsaKernels*> out{&base};
#if defined(KMIX_X86) && defined(KMIX_HAVE_AVX2)
  if (cpu_has(false)) {
    static const IsaKernels v2 = KMIX_ISA_ENTRY(avx2, "avx2");
    out.push_back(&v2);
  }
#endif
#if defined(KMIX_X86) && defined(KMIX_HAVE_AVX512)
#if defined(KMIX_AVX512_EMULATED)  // a test build: the avx512 kernels run on AVX2 instructions
  if (cpu_has(false)) {
#else
  if (cpu_has(true)) {
#endif
    static const IsaKernels v512 = KMIX_ISA_ENTRY(avx512, "avx512");
    out.push_back(&v512);
  }
#endif
  return out;
}

std::atomic<const IsaKernels*>& active() {
  static std::atomic<const IsaKernels*> current{supported().back()};
  return current;
}

}  // namespace

const IsaKernels& kernels() { return *active().load(std::memory_order_acquire); }

std::vector<std::string> available_isas() {
  std::vector<std::string> names;
  for (const IsaKernels* k : supported()) names.push_back(k->name);
  return names;
}

bool select_isa(const std::string& name) {
  const std::vector<const IsaKernels*> levels = supported();
  for (const IsaKernels* k : levels)
    if (name == k->name || (name == "baseline" && k == levels.front())) {
      active().store(k, std::memory_order_release);
      return true;
    }
  return false;
}

}  // namespace kmix
