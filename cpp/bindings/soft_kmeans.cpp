// Soft k-means bindings: numpy arrays -> pointers (arrays.hpp: exact dtypes, shapes checked
// against each other), the GIL released around every call. Centers cross as float64 whatever
// X's dtype.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>

#include "arrays.hpp"
#include "kmix/soft_kmeans_driver.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using namespace kmix_bindings;

carray<double> take_centers(py::handle a, index_t d) {
  carray<double> C = take<double>(a, "centers", 2);
  KMIX_REQUIRE(C.shape(0) >= 1, "centers must have at least one row");
  KMIX_REQUIRE(C.shape(0) <= INT32_MAX, "too many centers");
  expect_cols(C, "centers", d, "one per feature of X");
  return C;
}

void require_beta(double beta) {
  KMIX_REQUIRE(std::isfinite(beta) && beta > 0, "beta must be finite and > 0; got " + std::to_string(beta));
}

void register_soft_bindings(py::module_& m) {
  m.def(
      "soft_kmeans",
      [](py::handle Xh, py::handle sample_weight, py::handle centers_h, double beta, index_t max_iter, double tol,
         int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const index_t n = X.shape(0), d = X.shape(1);
          const Optional<T> w = take_optional<T>(sample_weight, "sample_weight", 1);
          if (w.given) expect_rows(w.array, "sample_weight", n, "one weight per row of X");
          const carray<double> C0 = take_centers(centers_h, d);
          const index_t k = C0.shape(0);
          require_beta(beta);
          KMIX_REQUIRE(max_iter >= 1, "max_iter must be >= 1; got " + std::to_string(max_iter));
          KMIX_REQUIRE(std::isfinite(tol) && tol >= 0, "tol must be finite and >= 0");
          const int nt = threads(n_threads);
          carray<double> centers({k, d});
          std::copy(C0.data(), C0.data() + k * d, centers.mutable_data());
          kmix::SoftResult r;
          {
            Compute run;
            r = kmix::soft_kmeans<T>(X.data(), w.data(), n, d, centers.mutable_data(), k, beta, max_iter, tol, nt);
          }
          py::dict out;
          out["centers"] = centers;
          out["n_iter"] = r.n_iter;
          out["shift"] = r.shift;
          return std::move(out);
        });
      },
      py::arg("X"), py::arg("sample_weight"), py::arg("centers"), py::arg("beta"), py::arg("max_iter"), py::arg("tol"),
      py::arg("n_threads"), "Soft k-means from the given centers: {centers, n_iter, shift}.");

  m.def(
      "soft_assign",
      [](py::handle Xh, py::handle centers_h, double beta, bool log_norm, bool resp, bool labels,
         int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const index_t n = X.shape(0), d = X.shape(1);
          const carray<double> C = take_centers(centers_h, d);
          require_beta(beta);
          const int nt = threads(n_threads);
          kmix::GmmPassOut<T> out;
          py::dict arrays = pass_outputs<T>(n, C.shape(0), log_norm, resp, labels, out);
          {
            Compute run;
            kmix::soft_assign<T>(X.data(), n, d, C.data(), C.shape(0), beta, out, nt);
          }
          return std::move(arrays);
        });
      },
      py::arg("X"), py::arg("centers"), py::arg("beta"), py::arg("log_norm"), py::arg("resp"), py::arg("labels"),
      py::arg("n_threads"), "{log_prob_norm (log Σ_k exp(−β‖x − c_k‖²)), resp, labels}, each None unless asked for.");
}

}  // namespace

void register_soft_kmeans(py::module_& m) { register_soft_bindings(m); }
