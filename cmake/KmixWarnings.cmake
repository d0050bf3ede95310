# Compiler warnings for kmix's own code: the _core module's sources and every ISA kernel object
# library (kmix_add_isa_kernels). Not for pybind11's and Python's headers: they come from imported
# targets, whose include directories CMake passes as system includes (-isystem), where GCC and
# Clang report nothing. KMIX_WARNINGS_AS_ERRORS turns them into errors (.ci/run; never for
# wheels, whose compilers may warn where these do not).
option(KMIX_WARNINGS_AS_ERRORS "Build kmix's own code with -Werror (MSVC /WX)" OFF)

function(kmix_enable_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4)
    if(KMIX_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra)
    if(KMIX_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
