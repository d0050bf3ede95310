// Soft k-means bindings: numpy arrays -> pointers, the GIL released around every call.
// Centers cross as float64 whatever X's dtype; the Python package has validated everything.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>

#include "arrays.hpp"
#include "kmix/soft_kmeans_driver.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using kmix_bindings::carray;
using kmix_bindings::optional_ptr;

template <class T>
void bind_soft(py::module_& m) {
  m.def("soft_kmeans",
        [](carray<T> X, py::object sample_weight, carray<double> centers_init, double beta,
           index_t max_iter, double tol, int n_threads) {
          const index_t k = centers_init.shape(0), d = centers_init.shape(1);
          carray<double> centers({k, d});
          std::copy(centers_init.data(), centers_init.data() + k * d, centers.mutable_data());
          const T* w = optional_ptr<T>(sample_weight);
          kmix::SoftResult r;
          {
            py::gil_scoped_release nogil;
            r = kmix::soft_kmeans<T>(X.data(), w, X.shape(0), d, centers.mutable_data(), k, beta, max_iter,
                                     tol, n_threads);
          }
          return py::make_tuple(centers, r.n_iter, r.shift);
        },
        py::arg("X"), py::arg("sample_weight"), py::arg("centers"), py::arg("beta"), py::arg("max_iter"),
        py::arg("tol"), py::arg("n_threads"));
  m.def("soft_assign",
        [](carray<T> X, carray<double> centers, double beta, bool log_norm, bool resp, bool labels,
           int n_threads) {
          const index_t n = X.shape(0), k = centers.shape(0);
          kmix::GmmPassOut<T> out;
          py::tuple arrays = kmix_bindings::pass_outputs<T>(n, k, log_norm, resp, labels, out);
          {
            py::gil_scoped_release nogil;
            kmix::soft_assign<T>(X.data(), n, X.shape(1), centers.data(), k, beta, out, n_threads);
          }
          return arrays;
        },
        py::arg("X"), py::arg("centers"), py::arg("beta"), py::arg("log_norm"), py::arg("resp"),
        py::arg("labels"), py::arg("n_threads"));
}

}  // namespace

void register_soft_kmeans(py::module_& m) {
  bind_soft<float>(m);
  bind_soft<double>(m);
}
