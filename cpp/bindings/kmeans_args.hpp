// What the k-means binding files share: taking X, its weights and k centers, checked against each
// other, and the one binding shape of a whole k-means run (lloyd, elkan): the same arguments, the
// same checks and the same dict, whichever driver runs.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "arrays.hpp"
#include "kmix/kmeans_driver.hpp"

namespace kmix_bindings {

// k centers, numbered by int labels; float32 tiles hold center numbers as floats, exact to 2^24.
template <class T>
void check_clusters(index_t k, const char* name) {
  KMIX_REQUIRE(k >= 1, std::string(name) + " must have at least one row (one center)");
  const index_t most = sizeof(T) == 4 ? index_t(1) << 24 : index_t(INT32_MAX);
  KMIX_REQUIRE(k <= most, std::string(name) + " has " + std::to_string(k) + " rows; at most " + std::to_string(most) +
                              " centers are supported for " + dtype_name<T>() + " data");
}

// Centers (k×d) for X's d features.
template <class T>
carray<T> take_centers(py::handle a, const char* name, index_t d, bool writes = false) {
  carray<T> C = take<T>(a, name, 2, writes);
  check_clusters<T>(C.shape(0), name);
  expect_cols(C, name, d, "one per feature of X");
  return C;
}

template <class T>
Optional<T> take_weights(py::handle a, const char* name, index_t n, const char* meaning) {
  Optional<T> w = take_optional<T>(a, name, 1);
  if (w.given) expect_rows(w.array, name, n, meaning);
  return w;
}

// The arrays of most k-means calls: X (n×d), its optional weights (n) and k centers (k×d).
template <class T>
struct Problem {
  carray<T> X;
  Optional<T> w;
  carray<T> C;
  index_t n, d, k;
};
template <class T>
Problem<T> take_problem(py::handle X, py::handle sample_weight, py::handle centers, const char* centers_name) {
  Problem<T> p{take_matrix<T>(X, "X"), {}, {}, 0, 0, 0};
  p.n = p.X.shape(0);
  p.d = p.X.shape(1);
  p.w = take_weights<T>(sample_weight, "sample_weight", p.n, "one weight per row of X");
  p.C = take_centers<T>(centers, centers_name, p.d);
  p.k = p.C.shape(0);
  return p;
}

// The checks of a k-means++ call on n rows: n_clusters, the first row, the number of trials and
// the uniforms (k − 1)·n_trials draws, as the drivers read them.
inline carray<double> take_seeding(index_t n, index_t k, index_t first, index_t n_trials, py::handle uniforms) {
  KMIX_REQUIRE(k >= 1 && k <= n, "n_clusters must be in [1, " + std::to_string(n) +
                                     "] (one center per row "
                                     "of X at most); got " +
                                     std::to_string(k));
  KMIX_REQUIRE(first >= 0 && first < n, "first must be a row of X, in [0, " + std::to_string(n) + ")");
  KMIX_REQUIRE(n_trials >= 1 && n_trials <= 64, "n_trials must be in [1, 64]; got " + std::to_string(n_trials));
  carray<double> u = take<double>(uniforms, "uniforms", 1);
  expect_rows(u, "uniforms", (k - 1) * n_trials, "(n_clusters - 1) * n_trials draws");
  return u;
}

// A mini-batch step's centers: centers_old (k×d), centers_new (written; may be centers_old) and
// weight_sums (k, written), checked against each other.
template <class T>
struct MiniBatchCenters {
  carray<T> C_old, C_new, sums;
  index_t k;
};
template <class T>
MiniBatchCenters<T> take_minibatch_centers(py::handle old_h, py::handle new_h, py::handle sums_h, index_t d) {
  MiniBatchCenters<T> a{take_centers<T>(old_h, "centers_old", d), take_centers<T>(new_h, "centers_new", d, true),
                        take<T>(sums_h, "weight_sums", 1, true), 0};
  a.k = a.C_old.shape(0);
  expect_rows(a.C_new, "centers_new", a.k, "as centers_old");
  expect_rows(a.sums, "weight_sums", a.k, "one per center");
  return a;
}

// The dict of a whole k-means run: its centers and labels, and the driver's LloydResult.
template <class T>
py::dict run_result(carray<T>& centers, carray<int>& labels, const kmix::LloydResult& r) {
  py::dict out;
  out["centers"] = centers;
  out["labels"] = labels;
  out["inertia"] = r.inertia;
  out["n_iter"] = r.n_iter;
  out["strict"] = r.strict;
  out["distances"] = r.distances;
  out["iter_inertia"] = r.iter_inertia;
  out["iter_shift"] = r.iter_shift;
  return out;
}

// m.def(name): a whole k-means run from centers_init by `run`, called as kmix::lloyd is
// (kmeans_driver.hpp) and returning its LloydResult.
template <class Run>
void def_fit(py::module_& m, const char* name, Run run, const char* doc) {
  m.def(
      name,
      [run](py::handle Xh, py::handle sample_weight, py::handle centers_init, index_t max_iter, double tol,
            bool verbose, int n_threads, py::handle mean) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const Problem<T> a = take_problem<T>(Xh, sample_weight, centers_init, "centers_init");
          const carray<T>& X = a.X;
          const carray<T>& C0 = a.C;
          const Optional<T>& w = a.w;
          const index_t n = a.n, d = a.d, k = a.k;
          KMIX_REQUIRE(k <= n, "centers_init has " + std::to_string(k) + " rows; at most one per row of X (" +
                                   std::to_string(n) + ")");
          const Optional<double> mu = take_optional<double>(mean, "mean", 1);
          if (mu.given) expect_rows(mu.array, "mean", d, "one per feature of X");
          KMIX_REQUIRE(max_iter >= 1, "max_iter must be >= 1; got " + std::to_string(max_iter));
          KMIX_REQUIRE(std::isfinite(tol) && tol >= 0, "tol must be finite and >= 0");
          const int nt = threads(n_threads);
          carray<T> centers({k, d});
          std::copy(C0.data(), C0.data() + k * d, centers.mutable_data());
          carray<int> labels(n);
          kmix::LloydResult r;
          {
            Compute compute;
            r = run(X.data(), w.data(), n, d, centers.mutable_data(), k, max_iter, tol, verbose, nt,
                    labels.mutable_data(), mu.data());
          }
          return run_result(centers, labels, r);
        });
      },
      py::arg("X"), py::arg("sample_weight"), py::arg("centers_init"), py::arg("max_iter"), py::arg("tol"),
      py::arg("verbose"), py::arg("n_threads"), py::arg("mean") = py::none(), doc);
}

}  // namespace kmix_bindings
