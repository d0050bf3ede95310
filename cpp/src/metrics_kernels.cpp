// The cluster-quality kernels of one ISA level: this file is compiled once per level with that
// level's flags and -DKMIX_ISA_NS=<level> (cmake/KmixIsa.cmake).
#include "kmix/metrics.hpp"

namespace kmix {
namespace KMIX_ISA_NS {

const Table<MetricKernels>& metrics_kernels() {
  static const Table<MetricKernels> table{metrics_table<float>(), metrics_table<double>()};
  return table;
}

}  // namespace KMIX_ISA_NS
}  // namespace kmix
