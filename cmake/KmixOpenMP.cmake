# OpenMP for kmix: required. On macOS Apple clang needs Homebrew's libomp, found here by its
# prefix; the wheel repair step (delocate) then bundles libomp.dylib into the wheel.
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
  if(MSVC)
    # MSVC's default /openmp is OpenMP 2.0; the LLVM runtime accepts 64-bit loop indices.
    target_compile_options(${target} PRIVATE /openmp:llvm)
  endif()
endfunction()
