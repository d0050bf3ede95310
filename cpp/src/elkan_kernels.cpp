// Elkan's k-means kernels of one ISA level: this file is compiled once per level with that level's
// flags and -DKMIX_ISA_NS=<level> (cmake/KmixIsa.cmake).
#include "kmix/elkan.hpp"

namespace kmix {
namespace KMIX_ISA_NS {

const Table<ElkanKernels>& elkan_kernels() {
  static const Table<ElkanKernels> table{elkan_table<float>(), elkan_table<double>()};
  return table;
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
