// k-means bindings: numpy arrays -> pointers (arrays.hpp: exact dtypes, shapes checked against
// each other), the GIL released around every kernel, several results named in a dict.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>

#include "arrays.hpp"
#include "kmeans_args.hpp"
#include "kmix/kmeans_driver.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using namespace kmix_bindings;

void register_kmeans_bindings(py::module_& m) {
  def_fit(
      m, "lloyd", [](auto&&... a) { return kmix::lloyd(a...); },
      "Lloyd iterations from centers_init: {centers, labels, inertia, n_iter, strict, iter_inertia, iter_shift}.");

  m.def(
      "kmeans_plusplus",
      [](py::handle Xh, py::handle sample_weight, index_t k, index_t first, py::handle uniforms_h, index_t n_trials,
         int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const index_t n = X.shape(0), d = X.shape(1);
          const carray<T> w = take<T>(sample_weight, "sample_weight", 1);
          expect_rows(w, "sample_weight", n, "one weight per row of X");
          const carray<double> u = take_seeding(n, k, first, n_trials, uniforms_h);
          const int nt = threads(n_threads);
          carray<index_t> chosen(k);
          {
            Compute run;
            kmix::kmeans_plusplus<T>(X.data(), w.data(), n, d, k, first, u.data(), n_trials, nt, chosen.mutable_data());
          }
          return std::move(chosen);
        });
      },
      py::arg("X"), py::arg("sample_weight"), py::arg("n_clusters"), py::arg("first"), py::arg("uniforms"),
      py::arg("n_trials"), py::arg("n_threads"), "Greedy k-means++: the indices of the chosen rows.");

  m.def(
      "lloyd_chunk",
      [](py::handle Xh, py::handle sample_weight, py::handle centers_h, int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const Problem<T> a = take_problem<T>(Xh, sample_weight, centers_h, "centers");
          const index_t n = a.n, d = a.d, k = a.k;
          const int nt = threads(n_threads);
          carray<double> sums({k, d}), weights(k);
          double inertia;
          {
            Compute run;
            inertia = kmix::lloyd_chunk<T>(a.X.data(), a.w.data(), n, d, a.C.data(), k, sums.mutable_data(),
                                           weights.mutable_data(), nt);
          }
          py::dict out;
          out["sums"] = sums;
          out["weights"] = weights;
          out["inertia"] = inertia;
          return std::move(out);
        });
      },
      py::arg("X"), py::arg("sample_weight"), py::arg("centers"), py::arg("n_threads"),
      "One assignment of X's rows to the centers: {sums (k×d), weights (k), inertia} of each cluster in "
      "float64, for summing over chunks of rows.");

  m.def(
      "average_centers",
      [](py::handle sums_h, py::handle weights_h, py::handle old_h) -> py::object {
        return by_float_dtype(old_h, "old_centers", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> old = take<T>(old_h, "old_centers", 2);
          check_clusters<T>(old.shape(0), "old_centers");
          const index_t k = old.shape(0), d = old.shape(1);
          const carray<double> sums = take<double>(sums_h, "sums", 2);
          expect_rows(sums, "sums", k, "one per center");
          expect_cols(sums, "sums", d, "one per feature");
          const carray<double> weights = take<double>(weights_h, "weights", 1);
          expect_rows(weights, "weights", k, "one per center");
          carray<T> centers({k, d});
          const double shift =
              kmix::average_centers<T>(sums.data(), weights.data(), old.data(), k, d, nullptr, centers.mutable_data());
          py::dict out;
          out["centers"] = centers;
          out["shift"] = shift;
          return std::move(out);
        });
      },
      py::arg("sums"), py::arg("weights"), py::arg("old_centers"),
      "New centers from summed cluster sums (k×d) and weights (k), as the Lloyd loop makes them: "
      "{centers, shift} (the squared center shift).");

  m.def(
      "center",
      [](py::handle Xh, bool in_place, int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take<T>(Xh, "X", 2, in_place);
          KMIX_REQUIRE(X.shape(0) >= 1, "X must have at least one row");
          const index_t n = X.shape(0), d = X.shape(1);
          const int nt = threads(n_threads);
          carray<T> mean(d);
          bool centred;
          py::object data = py::reinterpret_borrow<py::object>(Xh);
          {
            Compute run;
            centred = kmix::wants_centring<T>(X.data(), n, d, mean.mutable_data(), nt);
          }
          if (centred) {
            carray<T> out = in_place ? X : carray<T>({n, d});
            {
              Compute run;
              kmix::subtract_columns<T>(X.data(), n, d, mean.data(), out.mutable_data(), nt);
            }
            data = out;
          }
          py::dict r;
          r["X"] = data;
          r["mean"] = mean;
          r["centred"] = centred;
          return std::move(r);
        });
      },
      py::arg("X"), py::arg("in_place"), py::arg("n_threads"),
      "{X: X − mean, mean, centred: True}, or {X: X itself, mean, centred: False} when the mean is near "
      "the origin compared with the spread of X (float64 only); in_place writes X − mean into X.");

  m.def(
      "mean_variance",
      [](py::handle Xh, int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const int nt = threads(n_threads);
          double v;
          {
            Compute run;
            v = kmix::mean_variance<T>(X.data(), X.shape(0), X.shape(1), nt);
          }
          return py::float_(v);
        });
      },
      py::arg("X"), py::arg("n_threads"),
      "np.var(X, axis=0).mean(), computed in float64 (scikit-learn's scale for tol).");

  m.def(
      "abs_max",
      [](py::handle Xh, int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take<T>(Xh, "X", 1);
          const int nt = threads(n_threads);
          double v;
          {
            Compute run;
            v = kmix::abs_max<T>(X.data(), X.shape(0), nt);
          }
          return py::float_(v);
        });
      },
      py::arg("X"), py::arg("n_threads"),
      "The largest |x| of a 1-D array (pass X.ravel() for a matrix): NaN if any value is NaN, inf if any is "
      "infinite, 0 for an empty array.");

  m.def(
      "assign",
      [](py::handle Xh, py::handle centers_h, int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const index_t n = X.shape(0), d = X.shape(1);
          const carray<T> C = take_centers<T>(centers_h, "centers", d);
          const int nt = threads(n_threads);
          carray<int> labels(n);
          {
            Compute run;
            kmix::assign<T>(X.data(), n, d, C.data(), C.shape(0), labels.mutable_data(), nt);
          }
          return std::move(labels);
        });
      },
      py::arg("X"), py::arg("centers"), py::arg("n_threads"),
      "The nearest center of each row of X (the lowest index on ties), int32.");

  m.def(
      "inertia",
      [](py::handle Xh, py::handle sample_weight, py::handle centers_h, py::handle labels_h,
         int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const Problem<T> a = take_problem<T>(Xh, sample_weight, centers_h, "centers");
          const index_t n = a.n, d = a.d, k = a.k;
          const carray<int> labels = take<int>(labels_h, "labels", 1);
          expect_rows(labels, "labels", n, "one per row of X");
          const int* lab = labels.data();
          for (index_t i = 0; i < n; ++i)
            KMIX_REQUIRE(lab[i] >= 0 && lab[i] < k, "labels must be in [0, " + std::to_string(k) + "); labels[" +
                                                        std::to_string(i) + "] = " + std::to_string(lab[i]));
          const int nt = threads(n_threads);
          double v;
          {
            Compute run;
            v = kmix::inertia<T>(a.X.data(), a.w.data(), n, d, a.C.data(), lab, nt);
          }
          return py::float_(v);
        });
      },
      py::arg("X"), py::arg("sample_weight"), py::arg("centers"), py::arg("labels"), py::arg("n_threads"),
      "Σ w_i ‖x_i − c_{labels_i}‖².");

  m.def(
      "minibatch_step",
      [](py::handle Xh, py::handle rows_h, index_t batch, py::handle sample_weight, py::handle old_h, py::handle new_h,
         py::handle sums_h, int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const index_t n = X.shape(0), d = X.shape(1);
          const Optional<index_t> rows = take_optional<index_t>(rows_h, "rows", 1);
          if (rows.given) {
            expect_rows(rows.array, "rows", batch, "the batch size m");
            const index_t* r = rows.data();
            for (index_t i = 0; i < batch; ++i)
              KMIX_REQUIRE(r[i] >= 0 && r[i] < n, "rows must be rows of X, in [0, " + std::to_string(n) + "); rows[" +
                                                      std::to_string(i) + "] = " + std::to_string(r[i]));
          } else {
            KMIX_REQUIRE(batch <= n, "m (the batch: X's first m rows) must be <= the rows of X");
          }
          KMIX_REQUIRE(batch >= 1, "m (the batch size) must be >= 1; got " + std::to_string(batch));
          const Optional<T> w = take_weights<T>(sample_weight, "sample_weight", batch, "one weight per batch row");
          MiniBatchCenters<T> mb = take_minibatch_centers<T>(old_h, new_h, sums_h, d);
          const index_t k = mb.k;
          const int nt = threads(n_threads);
          carray<int> labels(batch);
          double inertia;
          {
            Compute run;
            inertia =
                kmix::minibatch_step<T>(X.data(), d, rows.data(), batch, w.data(), mb.C_old.data(),
                                        mb.C_new.mutable_data(), mb.sums.mutable_data(), k, labels.mutable_data(), nt);
          }
          py::dict out;
          out["labels"] = labels;
          out["inertia"] = inertia;
          return std::move(out);
        });
      },
      py::arg("X"), py::arg("rows"), py::arg("m"), py::arg("sample_weight"), py::arg("centers_old"),
      py::arg("centers_new"), py::arg("weight_sums"), py::arg("n_threads"),
      "One mini-batch step on rows[:m] of X (X's first m rows if rows is None): {labels, inertia}.");

  m.def(
      "sq_distances",
      [](py::handle Xh, py::handle centers_h, int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const index_t n = X.shape(0), d = X.shape(1);
          const carray<T> C = take_centers<T>(centers_h, "centers", d);
          const index_t k = C.shape(0);
          const int nt = threads(n_threads);
          carray<T> out({n, k});
          {
            Compute run;
            kmix::sq_distances<T>(X.data(), n, d, C.data(), k, out.mutable_data(), nt);
          }
          return std::move(out);
        });
      },
      py::arg("X"), py::arg("centers"), py::arg("n_threads"), "‖x_i − c_j‖² for every row and center (n×k).");

  m.def(
      "draw_rows",
      [](py::handle cdf_h, py::handle u_h, int n_threads) {
        const carray<double> cdf = take<double>(cdf_h, "cdf", 1);
        KMIX_REQUIRE(cdf.shape(0) >= 1, "cdf must not be empty");
        const carray<double> u = take<double>(u_h, "u", 1);
        const index_t draws = u.shape(0);
        const int nt = threads(n_threads);
        carray<index_t> rows(draws);
        {
          Compute run;
          kmix::draw_rows(cdf.data(), cdf.shape(0), u.data(), draws, rows.mutable_data(), nt);
        }
        return rows;
      },
      py::arg("cdf"), py::arg("u"), py::arg("n_threads"),
      "cdf.searchsorted(u, side='right') for a cumulative distribution ending at 1, clipped to the last row.");
}

}  // namespace

void register_kmeans(py::module_& m) { register_kmeans_bindings(m); }
