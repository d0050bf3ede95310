# OpenMP for kmix: required. Which runtime, and how a wheel carries it:
# - Linux (GCC, or Clang with libomp): libgomp/libomp; auditwheel copies it into kmix.libs/.
# - macOS: Apple clang has no OpenMP runtime; Homebrew's libomp is found here by its prefix, and
#   delocate copies libomp.dylib into kmix/.dylibs.
# - Windows (MSVC): OpenMP::OpenMP_CXX compiles with /openmp and links vcomp140.dll, part of the
#   Visual C++ redistributable; delvewheel copies it into kmix.libs/. Not /openmp:llvm: Microsoft
#   documents its runtime, libomp140.x86_64.dll, as not redistributable. OpenMP 2.0 is enough:
#   every parallel loop index is signed 64-bit (index_t), and MSVC ignores `omp simd`.
if(APPLE AND NOT OpenMP_ROOT)
  foreach(prefix /opt/homebrew/opt/libomp /usr/local/opt/libomp)
    if(EXISTS "${prefix}/include/omp.h")
      set(OpenMP_ROOT "${prefix}")
      break()
    endif()
  endforeach()
endif()
find_package(OpenMP REQUIRED COMPONENTS CXX)

function(kmix_link_openmp target)
  target_link_libraries(${target} PRIVATE OpenMP::OpenMP_CXX)
endfunction()
