// Cluster-quality bindings: numpy arrays -> pointers (arrays.hpp: exact dtypes, shapes checked
// against each other), the GIL released around the kernel.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <type_traits>

#include "arrays.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using namespace kmix_bindings;

// starts (k + 1 values) must cut n rows into k non-empty clusters: 0 = starts[0] < ... < starts[k] = n;
// `rows` says where n comes from.
carray<index_t> take_starts(py::handle starts_h, index_t n, const char* rows) {
  carray<index_t> starts = take<index_t>(starts_h, "starts", 1);
  const index_t k = starts.shape(0) - 1;
  KMIX_REQUIRE(k >= 1, "starts must hold at least two values (one cluster)");
  const index_t* s = starts.data();
  KMIX_REQUIRE(s[0] == 0 && s[k] == n, std::string("starts must begin at 0 and end at the number of rows (") + rows +
                                           " = " + std::to_string(n) + "); got " + std::to_string(s[0]) + " and " +
                                           std::to_string(s[k]));
  for (index_t c = 0; c < k; ++c)
    KMIX_REQUIRE(s[c] < s[c + 1], "starts must increase strictly (every cluster has a row); starts[" +
                                      std::to_string(c) + "] = " + std::to_string(s[c]) + ", starts[" +
                                      std::to_string(c + 1) + "] = " + std::to_string(s[c + 1]));
  return starts;
}

kmix::Metric sparse_metric(const std::string& name) {
  if (name == "euclidean") return kmix::Metric::euclidean;
  if (name == "sqeuclidean") return kmix::Metric::sqeuclidean;
  if (name == "cityblock") return kmix::Metric::cityblock;
  value_error("metric must be 'euclidean', 'sqeuclidean' or 'cityblock'; got '" + name + "'");
}

void register_metrics_bindings(py::module_& m) {
  m.def(
      "silhouette_sorted",
      [](py::handle Xh, py::handle starts_h, int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const index_t n = X.shape(0);
          const carray<index_t> starts = take_starts(starts_h, n, "of X");
          const int nt = threads(n_threads);
          carray<double> out(n);
          {
            Compute run;
            kmix::metric_kernels_for<T>().silhouette(X.data(), n, X.shape(1), starts.data(), starts.shape(0) - 1,
                                                     out.mutable_data(), nt);
          }
          return std::move(out);
        });
      },
      py::arg("X"), py::arg("starts"), py::arg("n_threads"),
      "Silhouette of each row of X, whose rows are sorted by cluster: cluster c is rows "
      "starts[c]..starts[c+1]-1.");
  m.def(
      "silhouette_csr",
      [](py::handle data_h, py::handle indices_h, py::handle indptr_h, index_t n_features, py::handle starts_h,
         const std::string& metric, int n_threads) -> py::object {
        return by_float_dtype(data_h, "data", [&](auto zero) -> py::object {
          using T = decltype(zero);
          return by_index_dtype(indices_h, indptr_h, [&](auto izero) -> py::object {
            using I = decltype(izero);
            const Csr<T, I> X = take_csr<T, I>(data_h, indices_h, indptr_h, n_features);
            const carray<index_t> starts = take_starts(starts_h, X.n, "len(indptr) - 1");
            const kmix::Metric met = sparse_metric(metric);
            const int nt = threads(n_threads);
            carray<double> out(X.n);
            {
              Compute run;
              const auto& kernels = kmix::metric_kernels_for<T>();
              const auto kernel = [&] {
                if constexpr (std::is_same_v<I, std::int32_t>) return kernels.silhouette_csr32;
                else return kernels.silhouette_csr64;
              }();
              kernel(X.data.data(), X.indices.data(), X.indptr.data(), X.n, X.d, starts.data(), starts.shape(0) - 1,
                     met, out.mutable_data(), nt);
            }
            return std::move(out);
          });
        });
      },
      py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("starts"),
      py::arg("metric"), py::arg("n_threads"),
      "Silhouette of each row of the CSR matrix (data, indices, indptr) with n_features columns, whose "
      "rows are sorted by cluster (starts as for silhouette_sorted), each column at most once per row; "
      "metric 'euclidean', 'sqeuclidean' or 'cityblock'.");
}

}  // namespace

void register_metrics(py::module_& m) { register_metrics_bindings(m); }
