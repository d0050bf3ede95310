// Hierarchical-clustering bindings: numpy arrays -> pointers, the GIL released around every
// call. The Python package has validated shapes, values and memory before these run.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "arrays.hpp"
#include "kmix/linkage_driver.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using kmix_bindings::carray;
using kmix_bindings::optional_ptr;

template <class T>
void bind_linkage(py::module_& m) {
  m.def("linkage_ward",
        [](carray<T> X, int n_threads) {
          const index_t n = X.shape(0);
          carray<double> Z({n - 1, index_t(4)});
          py::gil_scoped_release nogil;
          kmix::linkage_ward<T>(X.data(), n, X.shape(1), Z.mutable_data(), n_threads);
          return Z;
        },
        py::arg("X"), py::arg("n_threads"));
  m.def("linkage_single",
        [](carray<T> X, int metric, py::object norms, int n_threads, bool smaller_first) {
          const index_t n = X.shape(0);
          carray<double> Z({n - 1, index_t(4)});
          const double* nr = optional_ptr<double>(norms);
          py::gil_scoped_release nogil;
          kmix::linkage_single<T>(X.data(), n, X.shape(1), static_cast<kmix::Metric>(metric), nr,
                                  Z.mutable_data(), n_threads, smaller_first);
          return Z;
        },
        py::arg("X"), py::arg("metric"), py::arg("norms"), py::arg("n_threads"),
        py::arg("smaller_first") = true);
  m.def("pdist",
        [](carray<T> X, int metric, py::object norms, int n_threads) {
          const index_t n = X.shape(0);
          carray<double> D(n * (n - 1) / 2);
          const double* nr = optional_ptr<double>(norms);
          py::gil_scoped_release nogil;
          kmix::linkage_kernels_for<T>().pdist(X.data(), n, X.shape(1), static_cast<kmix::Metric>(metric),
                                               nr, D.mutable_data(), n_threads);
          return D;
        },
        py::arg("X"), py::arg("metric"), py::arg("norms"), py::arg("n_threads"));
}

}  // namespace

void register_linkage(py::module_& m) {
  bind_linkage<float>(m);
  bind_linkage<double>(m);
  m.def("linkage_condensed",
        [](carray<double> D, index_t n, int method) {
          carray<double> Z({n - 1, index_t(4)});
          py::gil_scoped_release nogil;
          kmix::linkage_condensed(D.mutable_data(), n, static_cast<kmix::Method>(method), Z.mutable_data());
          return Z;
        },
        py::arg("D"), py::arg("n"), py::arg("method"),
        "Linkage from a condensed distance matrix, which is overwritten");
}
