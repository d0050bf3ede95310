// Which compiler facilities the kernels use.
//
// GCC and Clang get vector extensions and builtins (__builtin_ctzll, __builtin_cpu_supports, ...).
// MSVC has neither: its branches are plain C++ arrays for the SIMD registers and <intrin.h> for
// bit scans and cpuid. Those branches would otherwise only ever be compiled on Windows, so a
// testing build (cmake -DKMIX_MSVC_BRANCHES=ON, .ci/windows-abi) selects them on GCC/Clang as
// well: the whole test suite then runs the kernels MSVC compiles, and a MinGW compile checks the
// <intrin.h> calls. Never ship such a build: it is slower than the vector-extension one.
#pragma once

#if defined(_MSC_VER) && !defined(__clang__)
#define KMIX_MSVC 1
#endif

// 1 where GCC's vector extensions and builtins are used.
#if (defined(__GNUC__) || defined(__clang__)) && !defined(KMIX_MSVC_BRANCHES)
#define KMIX_GNU_EXTENSIONS 1
#else
#define KMIX_GNU_EXTENSIONS 0
#endif

#if !KMIX_GNU_EXTENSIONS && (defined(_MSC_VER) || defined(__MINGW32__))
#include <intrin.h>  // _BitScanForward64, __cpuid, __cpuidex, _xgetbv
#endif

// `#pragma omp simd` is OpenMP 4.0; MSVC's /openmp implements 2.0, which has no simd construct.
#if defined(KMIX_MSVC)
#define KMIX_OMP_SIMD
#else
#define KMIX_OMP_SIMD _Pragma("omp simd")
#endif

// A kernel kept out of its caller, so that its loop gets the registers to itself.
#if defined(KMIX_MSVC)
#define KMIX_NOINLINE __declspec(noinline)
#else
#define KMIX_NOINLINE __attribute__((noinline))
#endif
