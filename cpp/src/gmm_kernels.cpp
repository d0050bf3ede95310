// The Gaussian-mixture kernels of one ISA level: this file is compiled once per level with that
// level's flags and -DKMIX_ISA_NS=<level> (cmake/KmixIsa.cmake).
#include "kmix/gmm.hpp"

namespace kmix {
namespace KMIX_ISA_NS {

const Table<GmmKernels>& gmm_kernels() {
  static const Table<GmmKernels> table{gmm_table<float>(), gmm_table<double>()};
  return table;
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
