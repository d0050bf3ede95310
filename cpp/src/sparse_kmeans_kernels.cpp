// The sparse k-means kernels of one ISA level: this file is compiled once per level with that
// level's flags and -DKMIX_ISA_NS=<level> (cmake/KmixIsa.cmake), and without FMA contraction
// (CMakeLists.txt).
#include "kmix/sparse_kmeans.hpp"

namespace kmix {
namespace KMIX_ISA_NS {

const Table<SparseKMeansKernels>& sparse_kmeans_kernels() {
  static const Table<SparseKMeansKernels> table{sparse_kmeans_table<float>(), sparse_kmeans_table<double>()};
  return table;
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
