// The k-means kernels of one ISA level: this file is compiled once per level with that level's
// flags and -DKMIX_ISA_NS=<level> (cmake/KmixIsa.cmake).
#include "kmix/kmeans.hpp"

namespace kmix {
namespace KMIX_ISA_NS {

const Table<KMeansKernels>& kmeans_kernels() {
  static const Table<KMeansKernels> table{kmeans_table<float>(), kmeans_table<double>()};
  return table;
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
