// The k-means kernels of one ISA level: this file is compiled once per level with that level's
// flags and -DKMIX_ISA_NS=<level> (cmake/KmixIsa.cmake).
#include "kmix/kmeans.hpp"

#define KMIX_STR2(x) #x
#define KMIX_STR(x) KMIX_STR2(x)

namespace kmix {
namespace KMIX_ISA_NS {

const IsaKernels& kmeans_kernels() {
  static const IsaKernels table{KMIX_STR(KMIX_ISA_NS), kmeans_table<float>(), kmeans_table<double>()};
  return table;
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
