// The hierarchical-clustering kernels of one ISA level: this file is compiled once per level with
// that level's flags and -DKMIX_ISA_NS=<level> (cmake/KmixIsa.cmake).
#include "kmix/linkage.hpp"

namespace kmix {
namespace KMIX_ISA_NS {

const Table<LinkageKernels>& linkage_kernels() {
  static const Table<LinkageKernels> table{linkage_table<float>(), linkage_table<double>()};
  return table;
}

const TreeKernels& tree_kernels() {
  static const TreeKernels table = tree_table();
  return table;
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
