// Cluster-quality bindings: numpy arrays -> pointers (arrays.hpp: exact dtypes, shapes checked
// against each other), the GIL released around the kernel.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "arrays.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using namespace kmix_bindings;

void register_metrics_bindings(py::module_& m) {
  m.def("silhouette_sorted",
        [](py::handle Xh, py::handle starts_h, int n_threads) -> py::object {
          return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
            using T = decltype(zero);
            const carray<T> X = take_matrix<T>(Xh, "X");
            const index_t n = X.shape(0);
            const carray<index_t> starts = take<index_t>(starts_h, "starts", 1);
            const index_t k = starts.shape(0) - 1;
            KMIX_REQUIRE(k >= 1, "starts must hold at least two values (one cluster)");
            const index_t* s = starts.data();
            KMIX_REQUIRE(s[0] == 0 && s[k] == n, "starts must begin at 0 and end at the number of rows of X");
            for (index_t c = 0; c < k; ++c)
              KMIX_REQUIRE(s[c] < s[c + 1], "starts must increase strictly (every cluster has a row); starts[" +
                                           std::to_string(c) + "] = " + std::to_string(s[c]) + ", starts[" +
                                           std::to_string(c + 1) + "] = " + std::to_string(s[c + 1]));
            const int nt = threads(n_threads);
            carray<double> out(n);
            {
              Compute run;
              kmix::metric_kernels_for<T>().silhouette(X.data(), n, X.shape(1), s, k, out.mutable_data(), nt);
            }
            return std::move(out);
          });
        },
        py::arg("X"), py::arg("starts"), py::arg("n_threads"),
        "Silhouette of each row of X, whose rows are sorted by cluster: cluster c is rows "
        "starts[c]..starts[c+1]-1.");
}

}  // namespace

void register_metrics(py::module_& m) { register_metrics_bindings(m); }
