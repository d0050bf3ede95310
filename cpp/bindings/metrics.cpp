// Cluster-quality bindings: numpy arrays -> pointers, the GIL released around the kernel. The
// Python package (kmix/metrics.py) has validated X and sorted its rows by cluster.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "arrays.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using kmix_bindings::carray;

template <class T>
void bind_metrics(py::module_& m) {
  m.def("silhouette_sorted",
        [](carray<T> X, carray<index_t> starts, int n_threads) {
          const index_t n = X.shape(0);
          carray<double> out(n);
          py::gil_scoped_release nogil;
          kmix::metric_kernels_for<T>().silhouette(X.data(), n, X.shape(1), starts.data(), starts.shape(0) - 1,
                                                   out.mutable_data(), n_threads);
          return out;
        },
        py::arg("X"), py::arg("starts"), py::arg("n_threads"),
        "Silhouette of each row of X, whose rows are sorted by cluster: cluster c is rows "
        "starts[c]..starts[c+1]-1.");
}

}  // namespace

void register_metrics(py::module_& m) {
  bind_metrics<float>(m);
  bind_metrics<double>(m);
}
