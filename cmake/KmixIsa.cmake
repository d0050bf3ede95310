# ISA variants of the hot kernels. Each source is compiled once per level with that level's
# flags and a namespace of its own (KMIX_ISA_NS), so nothing compiled for AVX-512 can be linked
# into the baseline path; isa_dispatch.cpp picks one at import from the CPU's features.
# Never -march=native: a wheel must run on any CPU of its architecture.
set(KMIX_IS_X86 OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|x64|i[3-6]86)$" AND NOT CMAKE_OSX_ARCHITECTURES MATCHES "arm64")
  set(KMIX_IS_X86 ON)
endif()

function(kmix_add_isa_variant target level ns source)
  set(obj kmix_${ns}_${level})
  string(MAKE_C_IDENTIFIER "${obj}" obj)
  add_library(${obj} OBJECT ${source})
  target_include_directories(${obj} PRIVATE ${PROJECT_SOURCE_DIR}/cpp/include)
  target_compile_definitions(${obj} PRIVATE KMIX_ISA_NS=${level})
  target_link_libraries(${obj} PRIVATE OpenMP::OpenMP_CXX)
  kmix_enable_warnings(${obj})  # cmake/KmixWarnings.cmake
  if(MSVC)
    target_compile_options(${obj} PRIVATE /O2 ${ARGN})  # OpenMP flags come with OpenMP::OpenMP_CXX
  else()
    # Functions start on a 64-byte line, so a hot loop's place in the lines does not move when
    # code elsewhere in the file changes (that alone once cost 15% at (50k, 128, 256) float32).
    target_compile_options(${obj} PRIVATE -O3 -fno-math-errno -falign-functions=64 ${ARGN})
  endif()
  target_sources(${target} PRIVATE $<TARGET_OBJECTS:${obj}>)
endfunction()

# For testing on a CPU without AVX-512 (never for a wheel): the avx512 kernels compiled with
# 64-byte vectors on AVX2 instructions, and offered wherever AVX2 runs, so that the AVX-512 level's
# lane counts, tile rows, panel widths and masks (everything but its intrinsics) run here
# (.ci/avx512-lanes).
option(KMIX_EMULATE_AVX512 "avx512 kernels as 64-byte vectors on AVX2 (testing only)" OFF)

function(kmix_add_isa_kernels target source)
  get_filename_component(ns ${source} NAME_WE)
  kmix_add_isa_variant(${target} baseline ${ns} ${source})
  if(KMIX_IS_X86)
    if(MSVC)
      kmix_add_isa_variant(${target} avx2 ${ns} ${source} /arch:AVX2)
      kmix_add_isa_variant(${target} avx512 ${ns} ${source} /arch:AVX512)
    else()
      kmix_add_isa_variant(${target} avx2 ${ns} ${source} -mavx2 -mfma)
      if(KMIX_EMULATE_AVX512)
        # -Wno-psabi: 64-byte vectors passed and returned without -mavx512f "change the ABI", but
        # only between this variant's own functions (one namespace, never an exported interface).
        kmix_add_isa_variant(${target} avx512 ${ns} ${source} -mavx2 -mfma -DKMIX_VBYTES=64 -Wno-psabi)
        target_compile_definitions(${target} PRIVATE KMIX_AVX512_EMULATED=1)
      else()
        kmix_add_isa_variant(${target} avx512 ${ns} ${source}
          -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma -mprefer-vector-width=512)
      endif()
    endif()
    target_compile_definitions(${target} PRIVATE KMIX_HAVE_AVX2=1 KMIX_HAVE_AVX512=1)
  endif()
endfunction()
