// Hierarchical-clustering bindings: numpy arrays -> pointers (arrays.hpp: exact dtypes, shapes
// checked against each other), the GIL released around every call.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "arrays.hpp"
#include "kmix/linkage_driver.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using namespace kmix_bindings;

// Observations: at least two rows (a tree has n − 1 merges).
template <class T>
carray<T> take_observations(py::handle a) {
  carray<T> X = take_matrix<T>(a, "X");
  KMIX_REQUIRE(X.shape(0) >= 2, "X must have at least 2 rows (observations)");
  return X;
}

kmix::Metric take_metric(int code) {
  KMIX_REQUIRE(
      code >= 0 && code <= 3,
      "metric must be 0 (sqeuclidean), 1 (euclidean), 2 (cityblock) or 3 (cosine); got " + std::to_string(code));
  return static_cast<kmix::Metric>(code);
}

// The rows' norms, which the cosine metric needs and the others ignore.
Optional<double> take_norms(py::handle a, kmix::Metric metric, index_t n) {
  Optional<double> norms = take_optional<double>(a, "norms", 1);
  if (norms.given) expect_rows(norms.array, "norms", n, "one per row of X");
  KMIX_REQUIRE(norms.given || metric != kmix::Metric::cosine, "metric cosine needs the rows' norms");
  return norms;
}

carray<double> new_tree(index_t n) { return carray<double>({n - 1, index_t(4)}); }

void register_linkage_bindings(py::module_& m) {
  m.def(
      "linkage_ward",
      [](py::handle Xh, int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_observations<T>(Xh);
          const index_t n = X.shape(0);
          const int nt = threads(n_threads);
          carray<double> Z = new_tree(n);
          {
            Compute run;
            kmix::linkage_ward<T>(X.data(), n, X.shape(1), Z.mutable_data(), nt);
          }
          return std::move(Z);
        });
      },
      py::arg("X"), py::arg("n_threads"), "Ward linkage of the rows of X: scipy's Z, (n − 1)×4.");

  m.def(
      "linkage_centroid",
      [](py::handle Xh, int method, int n_threads) -> py::object {
        KMIX_REQUIRE(method == 5 || method == 6,
                     "method must be 5 (centroid) or 6 (median); got " + std::to_string(method));
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_observations<T>(Xh);
          const index_t n = X.shape(0);
          // Finite, and small enough that no center or squared distance overflows (the searches
          // cannot order NaN): kmix.linkage scales larger data by a power of two first.
          const T* xv = X.data();
          for (index_t i = 0; i < n * X.shape(1); ++i)
            KMIX_REQUIRE(std::fabs(double(xv[i])) <= 0x1p400,
                         "X must be finite with |x| <= 2^400; X has " + std::to_string(double(xv[i])));
          const int nt = threads(n_threads);
          carray<double> Z = new_tree(n);
          {
            Compute run;
            kmix::linkage_centroid<T>(X.data(), n, X.shape(1), static_cast<kmix::Method>(method), Z.mutable_data(), nt);
          }
          return std::move(Z);
        });
      },
      py::arg("X"), py::arg("method"), py::arg("n_threads"),
      "Centroid (5) or median (6) linkage of the rows of X on their centers: scipy's Z, (n − 1)×4.");

  m.def(
      "linkage_single",
      [](py::handle Xh, int metric_code, py::handle norms_h, int n_threads, bool smaller_first) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_observations<T>(Xh);
          const index_t n = X.shape(0);
          const kmix::Metric metric = take_metric(metric_code);
          const Optional<double> norms = take_norms(norms_h, metric, n);
          const int nt = threads(n_threads);
          carray<double> Z = new_tree(n);
          {
            Compute run;
            kmix::linkage_single<T>(X.data(), n, X.shape(1), metric, norms.data(), Z.mutable_data(), nt, smaller_first);
          }
          return std::move(Z);
        });
      },
      py::arg("X"), py::arg("metric"), py::arg("norms"), py::arg("n_threads"), py::arg("smaller_first") = true,
      "Single linkage of the rows of X (Prim's spanning tree): scipy's Z.");

  m.def(
      "pdist",
      [](py::handle Xh, int metric_code, py::handle norms_h, int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_observations<T>(Xh);
          const index_t n = X.shape(0);
          KMIX_REQUIRE(n <= (index_t(1) << 31), "X has too many rows for a condensed distance matrix");
          const kmix::Metric metric = take_metric(metric_code);
          const Optional<double> norms = take_norms(norms_h, metric, n);
          const int nt = threads(n_threads);
          carray<double> D(n * (n - 1) / 2);
          {
            Compute run;
            kmix::pdist<T>(X.data(), n, X.shape(1), metric, norms.data(), D.mutable_data(), nt);
          }
          return std::move(D);
        });
      },
      py::arg("X"), py::arg("metric"), py::arg("norms"), py::arg("n_threads"),
      "The condensed distance matrix of the rows of X, as scipy's pdist.");

  m.def(
      "linkage_condensed",
      [](py::handle D_h, index_t n, int method, int n_threads) {
        KMIX_REQUIRE(n >= 2 && n <= (index_t(1) << 31),
                     "n (observations) must be in [2, 2^31]; got " + std::to_string(n));
        KMIX_REQUIRE(method >= 0 && method <= 6, "method must be a code in [0, 6]; got " + std::to_string(method));
        carray<double> D = take<double>(D_h, "D", 1, true);
        expect_rows(D, "D", n * (n - 1) / 2, "n(n − 1)/2 distances");
        const double* v = D.data();
        for (index_t i = 0; i < D.shape(0); ++i)
          KMIX_REQUIRE(std::isfinite(v[i]) && v[i] >= 0,
                       "D must hold finite distances >= 0; D[" + std::to_string(i) + "] = " + std::to_string(v[i]));
        const int nt = threads(n_threads);
        carray<double> Z = new_tree(n);
        {
          Compute run;
          kmix::linkage_condensed(D.mutable_data(), n, static_cast<kmix::Method>(method), Z.mutable_data(), nt);
        }
        return Z;
      },
      py::arg("D"), py::arg("n"), py::arg("method"), py::arg("n_threads"),
      "Linkage from a condensed distance matrix (finite, >= 0), which is overwritten: scipy's Z.");

  m.def(
      "linkage_square",
      [](py::handle buf_h, index_t n, int method, int n_threads) {
        KMIX_REQUIRE(n >= 2 && n <= (index_t(1) << 31),
                     "n (observations) must be in [2, 2^31]; got " + std::to_string(n));
        KMIX_REQUIRE(method >= 1 && method <= 6,
                     "method must be a code in [1, 6] (not single); got " + std::to_string(method));
        carray<double> buf = take<double>(buf_h, "buf", 1, true);
        expect_rows(buf, "buf", n * n, "n·n doubles");
        const index_t tail = n * n - n * (n - 1) / 2;
        const double* v = buf.data();
        for (index_t i = tail; i < n * n; ++i)
          KMIX_REQUIRE(std::isfinite(v[i]) && v[i] >= 0, "buf must end in finite distances >= 0; buf[" +
                                                             std::to_string(i) + "] = " + std::to_string(v[i]));
        const int nt = threads(n_threads);
        carray<double> Z = new_tree(n);
        {
          Compute run;
          kmix::linkage_square(buf.mutable_data(), n, static_cast<kmix::Method>(method), Z.mutable_data(), nt);
        }
        return Z;
      },
      py::arg("buf"), py::arg("n"), py::arg("method"), py::arg("n_threads"),
      "linkage_condensed's tree from buf: n·n doubles ending in the condensed matrix (overwritten).");

  m.def(
      "linkage_square_observations",
      [](py::handle Xh, int metric_code, py::handle norms_h, int method, py::handle buf_h,
         int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_observations<T>(Xh);
          const index_t n = X.shape(0);
          KMIX_REQUIRE(n <= (index_t(1) << 31), "X has too many rows for a distance matrix");
          const kmix::Metric metric = take_metric(metric_code);
          const Optional<double> norms = take_norms(norms_h, metric, n);
          // (The driver also refuses a matrix with inf or NaN, which finite X can still give by
          // overflow; this refuses the plain case before buf is touched.)
          const T* xv = X.data();
          for (index_t i = 0; i < n * X.shape(1); ++i)
            KMIX_REQUIRE(std::isfinite(double(xv[i])), "X must be finite; X has " + std::to_string(double(xv[i])));
          for (index_t i = 0; norms.given && i < n; ++i)
            KMIX_REQUIRE(std::isfinite(norms.data()[i]), "norms must be finite");
          KMIX_REQUIRE(method >= 1 && method <= 6,
                       "method must be a code in [1, 6] (not single); got " + std::to_string(method));
          carray<double> buf = take<double>(buf_h, "buf", 1, true);
          expect_rows(buf, "buf", n * n, "n·n doubles of workspace");
          const int nt = threads(n_threads);
          carray<double> Z = new_tree(n);
          {
            Compute run;
            kmix::linkage_square_observations<T>(X.data(), n, X.shape(1), metric, norms.data(),
                                                 static_cast<kmix::Method>(method), buf.mutable_data(),
                                                 Z.mutable_data(), nt);
          }
          return std::move(Z);
        });
      },
      py::arg("X"), py::arg("metric"), py::arg("norms"), py::arg("method"), py::arg("buf"), py::arg("n_threads"),
      "linkage_square's tree from the rows of X (pdist's distances); buf: n·n doubles of workspace.");

  m.def(
      "optimal_leaf_ordering",
      [](py::handle children_h, py::handle D_h, int n_threads) {
        const carray<std::int64_t> children = take<std::int64_t>(children_h, "children", 2);
        expect_cols(children, "children", 2, "the two clusters each row merges");
        const index_t rows = children.shape(0);
        KMIX_REQUIRE(rows >= 1 && rows < (index_t(1) << 31) - 1,
                     "children must have between 1 and 2^31 − 2 rows; got " + std::to_string(rows));
        const index_t n = rows + 1;
        // A tree: row r merges two ids below n + r, and no id is merged twice (so, with 2(n − 1)
        // ids below 2n − 1, each cluster but the root exactly once).
        const std::int64_t* c = children.data();
        std::vector<char> used(std::size_t(2 * n - 1), 0);
        for (index_t r = 0; r < rows; ++r)
          for (int side = 0; side < 2; ++side) {
            const std::int64_t id = c[2 * r + side];
            KMIX_REQUIRE(id >= 0 && id < n + r, "children[" + std::to_string(r) + "] = " + std::to_string(id) +
                                                    ": row r must merge clusters with ids in [0, n + r)");
            KMIX_REQUIRE(!used[std::size_t(id)], "children: cluster " + std::to_string(id) + " is merged twice");
            used[std::size_t(id)] = 1;
          }
        const carray<double> D = take<double>(D_h, "D", 1);
        expect_rows(D, "D", n * (n - 1) / 2, "n(n − 1)/2 distances");
        const double* v = D.data();
        for (index_t i = 0; i < D.shape(0); ++i)
          KMIX_REQUIRE(std::isfinite(v[i]) && v[i] >= 0,
                       "D must hold finite distances >= 0; D[" + std::to_string(i) + "] = " + std::to_string(v[i]));
        const int nt = threads(n_threads);
        carray<std::uint8_t> flips(rows);
        {
          Compute run;
          kmix::optimal_leaf_ordering(c, n, v, flips.mutable_data(), nt);
        }
        return flips;
      },
      py::arg("children"), py::arg("D"), py::arg("n_threads"),
      "Optimal leaf ordering (scipy's): 1 for each row of the tree whose two children must be exchanged.");
}

}  // namespace

void register_linkage(py::module_& m) { register_linkage_bindings(m); }
