# CMake toolchain for cross-compiling kmix to aarch64 Linux with Debian's g++-aarch64-linux-gnu
# (used by .ci/arm64). The C++ library, libgomp and glibc come with the cross compiler
# (/usr/aarch64-linux-gnu); the Python headers from an arm64 root filesystem, $KMIX_ARM64_ROOTFS,
# whose /usr/include/python3.X/pyconfig.h includes <aarch64-linux-gnu/python3.X/pyconfig.h>:
# hence that root's /usr/include, searched after the compiler's own directories (-idirafter), so
# that nothing else is taken from it. The caller sets Python_INCLUDE_DIR and the extension suffix.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT DEFINED ENV{KMIX_ARM64_ROOTFS})
  message(FATAL_ERROR "aarch64-linux-gnu.cmake: set KMIX_ARM64_ROOTFS to an arm64 root filesystem")
endif()
set(CMAKE_CXX_FLAGS_INIT "-idirafter $ENV{KMIX_ARM64_ROOTFS}/usr/include")

# Libraries and headers of the target only from the cross compiler's tree; programs from the
# build machine; CMake packages from both (pybind11's is header-only and lives in the build
# environment's site-packages).
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pybind11 then takes the module's suffix from SETUPTOOLS_EXT_SUFFIX (or scikit-build-core's
# SKBUILD_SOABI, which follows it), not from the build machine's interpreter.
set(PYBIND11_USE_CROSSCOMPILING ON)
