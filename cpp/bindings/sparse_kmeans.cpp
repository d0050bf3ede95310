// Sparse k-means bindings: a CSR matrix arrives as its three arrays (data, indices, indptr) and its
// number of columns; everything is checked against everything else here (dtypes, lengths, and the
// structure itself: indptr from 0, non-decreasing, ending at len(data); every index in
// [0, n_features)), so that no call can make a kernel read outside X or the centers. The GIL is
// released around every kernel.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "arrays.hpp"
#include "kmeans_args.hpp"
#include "kmix/parallel.hpp"
#include "kmix/sparse_kmeans_driver.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using namespace kmix_bindings;

// The rows `rows` (m indices) of a CSR matrix, gathered into a new one in that order, for a
// mini-batch of a large X that was checked as a whole before: O(m) checks of the rows and their
// offsets here, the copy (in parallel, without the GIL) and the check of the copied columns in
// kmix::gather_rows, so that no call reads out of bounds.
template <class T, class I>
Csr<T, I> take_csr_rows(py::handle data_h, py::handle indices_h, py::handle indptr_h, index_t n_features,
                        const carray<index_t>& rows, int n_threads) {
  const carray<T> data = take<T>(data_h, "data", 1);
  const carray<I> indices = take<I>(indices_h, "indices", 1), indptr = take<I>(indptr_h, "indptr", 1);
  KMIX_REQUIRE(n_features >= 1, "n_features must be >= 1; got " + std::to_string(n_features));
  KMIX_REQUIRE(indptr.shape(0) >= 1, "indptr must hold n_samples + 1 >= 1 offsets");
  const index_t n = indptr.shape(0) - 1, nnz = data.shape(0), m = rows.shape(0);
  KMIX_REQUIRE(indices.shape(0) == nnz, "indices must have as many values as data (" + std::to_string(nnz) +
                                            "); got shape " + shape_str(indices));
  const I* p = indptr.data();
  const index_t* r = rows.data();
  Csr<T, I> out{carray<T>(0), carray<I>(0), carray<I>(m + 1), m, n_features};
  I* op = out.indptr.mutable_data();
  op[0] = 0;
  for (index_t t = 0; t < m; ++t) {
    // Random rows: their offsets are cache misses, asked for ahead so that several overlap.
    if (t + 16 < m && r[t + 16] >= 0 && r[t + 16] < n) kmix::prefetch_line(p, r[t + 16]);
    KMIX_REQUIRE(r[t] >= 0 && r[t] < n, "rows must be rows of X, in [0, len(indptr) - 1 = " + std::to_string(n) +
                                            "); rows[" + std::to_string(t) + "] = " + std::to_string(r[t]));
    KMIX_REQUIRE(p[r[t]] >= 0 && p[r[t]] <= p[r[t] + 1] && index_t(p[r[t] + 1]) <= nnz,
                 "indptr must be non-decreasing offsets into data; row " + std::to_string(r[t]) + " is not");
    // The gathered offsets must fit I: rows may repeat, so the batch can hold more values than X.
    const index_t len = index_t(p[r[t] + 1] - p[r[t]]), most = index_t(std::numeric_limits<I>::max());
    KMIX_REQUIRE(len <= most - index_t(op[t]),
                 std::string("rows: the batch holds more stored values than indices of dtype ") +
                     (sizeof(I) == 4 ? "int32" : "int64") + " can address; use int64 indices");
    op[t + 1] = I(index_t(op[t]) + len);
  }
  const index_t total = index_t(op[m]);
  out.data = carray<T>(total);
  out.indices = carray<I>(total);
  bool ok;
  {
    Compute run;
    ok = kmix::gather_rows<T, I>({data.data(), indices.data(), p, n, n_features}, r, m, out.indptr.data(),
                                 out.data.mutable_data(), out.indices.mutable_data(), threads(n_threads));
  }
  KMIX_REQUIRE(ok, "indices must lie in [0, n_features = " + std::to_string(n_features) + "); a column of rows is not");
  return out;
}

#define KMIX_CSR_ARGS py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features")

void register_sparse(py::module_& m) {
  m.def(
      "sparse_lloyd",
      [](py::handle data, py::handle indices, py::handle indptr, index_t n_features, py::handle sample_weight,
         py::handle centers_init, index_t max_iter, double tol, bool verbose, int n_threads) {
        return by_csr_dtypes(data, indices, indptr, [&](auto zero, auto izero) -> py::object {
          using T = decltype(zero);
          using I = decltype(izero);
          const Csr<T, I> X = take_csr<T, I>(data, indices, indptr, n_features);
          const index_t n = X.n, d = X.d;
          const Optional<T> w = take_weights<T>(sample_weight, "sample_weight", n, "one weight per row of X");
          const carray<T> C0 = take_centers<T>(centers_init, "centers_init", d);
          const index_t k = C0.shape(0);
          KMIX_REQUIRE(k <= n, "centers_init has " + std::to_string(k) + " rows; at most one per row of X (" +
                                   std::to_string(n) + ")");
          KMIX_REQUIRE(max_iter >= 1, "max_iter must be >= 1; got " + std::to_string(max_iter));
          KMIX_REQUIRE(std::isfinite(tol) && tol >= 0, "tol must be finite and >= 0");
          const int nt = threads(n_threads);
          carray<T> centers({k, d});
          std::copy(C0.data(), C0.data() + k * d, centers.mutable_data());
          carray<int> labels(n);
          kmix::LloydResult r;
          {
            Compute run;
            r = kmix::sparse_lloyd<T, I>(X.view(), w.data(), centers.mutable_data(), k, max_iter, tol, verbose, nt,
                                         labels.mutable_data());
          }
          return run_result(centers, labels, r);
        });
      },
      KMIX_CSR_ARGS, py::arg("sample_weight"), py::arg("centers_init"), py::arg("max_iter"), py::arg("tol"),
      py::arg("verbose"), py::arg("n_threads"),
      "Lloyd iterations on a CSR matrix from centers_init: {centers, labels, inertia, n_iter, strict, "
      "iter_inertia, iter_shift}.");

  m.def(
      "sparse_kmeans_plusplus",
      [](py::handle data, py::handle indices, py::handle indptr, index_t n_features, py::handle sample_weight,
         index_t k, index_t first, py::handle uniforms_h, index_t n_trials, int n_threads) {
        return by_csr_dtypes(data, indices, indptr, [&](auto zero, auto izero) -> py::object {
          using T = decltype(zero);
          using I = decltype(izero);
          const Csr<T, I> X = take_csr<T, I>(data, indices, indptr, n_features);
          const index_t n = X.n;
          const carray<T> w = take<T>(sample_weight, "sample_weight", 1);
          expect_rows(w, "sample_weight", n, "one weight per row of X");
          const carray<double> u = take_seeding(n, k, first, n_trials, uniforms_h);
          const int nt = threads(n_threads);
          carray<index_t> chosen(k);
          {
            Compute run;
            kmix::sparse_kmeans_plusplus<T, I>(X.view(), w.data(), k, first, u.data(), n_trials, nt,
                                               chosen.mutable_data());
          }
          return std::move(chosen);
        });
      },
      KMIX_CSR_ARGS, py::arg("sample_weight"), py::arg("n_clusters"), py::arg("first"), py::arg("uniforms"),
      py::arg("n_trials"), py::arg("n_threads"), "Greedy k-means++ on a CSR matrix: the indices of the chosen rows.");

  m.def(
      "sparse_assign",
      [](py::handle data, py::handle indices, py::handle indptr, index_t n_features, py::handle centers_h,
         int n_threads) {
        return by_csr_dtypes(data, indices, indptr, [&](auto zero, auto izero) -> py::object {
          using T = decltype(zero);
          using I = decltype(izero);
          const Csr<T, I> X = take_csr<T, I>(data, indices, indptr, n_features);
          const carray<T> C = take_centers<T>(centers_h, "centers", X.d);
          const int nt = threads(n_threads);
          carray<int> labels(X.n);
          {
            Compute run;
            kmix::sparse_assign<T, I>(X.view(), C.data(), C.shape(0), labels.mutable_data(), nt);
          }
          return std::move(labels);
        });
      },
      KMIX_CSR_ARGS, py::arg("centers"), py::arg("n_threads"),
      "The nearest center of each row of a CSR matrix (the lowest index on ties), int32.");

  m.def(
      "sparse_inertia",
      [](py::handle data, py::handle indices, py::handle indptr, index_t n_features, py::handle sample_weight,
         py::handle centers_h, py::handle labels_h, int n_threads) {
        return by_csr_dtypes(data, indices, indptr, [&](auto zero, auto izero) -> py::object {
          using T = decltype(zero);
          using I = decltype(izero);
          const Csr<T, I> X = take_csr<T, I>(data, indices, indptr, n_features);
          const index_t n = X.n;
          const Optional<T> w = take_weights<T>(sample_weight, "sample_weight", n, "one weight per row of X");
          const carray<T> C = take_centers<T>(centers_h, "centers", X.d);
          const index_t k = C.shape(0);
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
            v = kmix::sparse_inertia<T, I>(X.view(), w.data(), C.data(), k, lab, nt);
          }
          return py::float_(v);
        });
      },
      KMIX_CSR_ARGS, py::arg("sample_weight"), py::arg("centers"), py::arg("labels"), py::arg("n_threads"),
      "Σ w_i ‖x_i − c_{labels_i}‖² for a CSR matrix.");

  m.def(
      "sparse_sq_distances",
      [](py::handle data, py::handle indices, py::handle indptr, index_t n_features, py::handle centers_h,
         int n_threads) {
        return by_csr_dtypes(data, indices, indptr, [&](auto zero, auto izero) -> py::object {
          using T = decltype(zero);
          using I = decltype(izero);
          const Csr<T, I> X = take_csr<T, I>(data, indices, indptr, n_features);
          const carray<T> C = take_centers<T>(centers_h, "centers", X.d);
          const index_t k = C.shape(0);
          const int nt = threads(n_threads);
          carray<T> out({X.n, k});
          {
            Compute run;
            kmix::sparse_sq_distances<T, I>(X.view(), C.data(), k, out.mutable_data(), nt);
          }
          return std::move(out);
        });
      },
      KMIX_CSR_ARGS, py::arg("centers"), py::arg("n_threads"),
      "‖x_i − c_j‖² for every row of a CSR matrix and center.");

  m.def(
      "sparse_minibatch_step",
      [](py::handle data, py::handle indices, py::handle indptr, index_t n_features, py::handle sample_weight,
         py::handle old_h, py::handle new_h, py::handle sums_h, py::handle rows_h, int n_threads) {
        return by_csr_dtypes(data, indices, indptr, [&](auto zero, auto izero) -> py::object {
          using T = decltype(zero);
          using I = decltype(izero);
          const Optional<index_t> rows = take_optional<index_t>(rows_h, "rows", 1);
          const Csr<T, I> X = rows.given ? take_csr_rows<T, I>(data, indices, indptr, n_features, rows.array, n_threads)
                                         : take_csr<T, I>(data, indices, indptr, n_features);
          const index_t n = X.n, d = X.d;
          KMIX_REQUIRE(n >= 1, "the batch must hold at least one row");
          const Optional<T> w = take_weights<T>(sample_weight, "sample_weight", n, "one weight per batch row");
          MiniBatchCenters<T> mb = take_minibatch_centers<T>(old_h, new_h, sums_h, d);
          const index_t k = mb.k;
          const int nt = threads(n_threads);
          carray<int> labels(n);
          double inertia;
          {
            Compute run;
            inertia = kmix::sparse_minibatch_step<T, I>(X.view(), w.data(), mb.C_old.data(), mb.C_new.mutable_data(),
                                                        mb.sums.mutable_data(), k, labels.mutable_data(), nt);
          }
          py::dict out;
          out["labels"] = labels;
          out["inertia"] = inertia;
          return std::move(out);
        });
      },
      KMIX_CSR_ARGS, py::arg("sample_weight"), py::arg("centers_old"), py::arg("centers_new"), py::arg("weight_sums"),
      py::arg("rows"), py::arg("n_threads"),
      "One mini-batch step on the rows `rows` of a CSR matrix (None: all of them, the batch), "
      "sample_weight one per batch row: {labels, inertia}.");
  m.def(
      "sparse_lloyd_chunk",
      [](py::handle data, py::handle indices, py::handle indptr, index_t n_features, py::handle sample_weight,
         py::handle centers_h, int n_threads) {
        return by_csr_dtypes(data, indices, indptr, [&](auto zero, auto izero) -> py::object {
          using T = decltype(zero);
          using I = decltype(izero);
          const Csr<T, I> X = take_csr<T, I>(data, indices, indptr, n_features);
          const Optional<T> w = take_weights<T>(sample_weight, "sample_weight", X.n, "one weight per row of X");
          const carray<T> C = take_centers<T>(centers_h, "centers", X.d);
          const index_t k = C.shape(0);
          const int nt = threads(n_threads);
          carray<double> sums({k, X.d}), weights(k);
          double inertia;
          {
            Compute run;
            inertia = kmix::sparse_lloyd_chunk<T, I>(X.view(), w.data(), C.data(), k, sums.mutable_data(),
                                                     weights.mutable_data(), nt);
          }
          py::dict out;
          out["sums"] = sums;
          out["weights"] = weights;
          out["inertia"] = inertia;
          return std::move(out);
        });
      },
      KMIX_CSR_ARGS, py::arg("sample_weight"), py::arg("centers"), py::arg("n_threads"),
      "One assignment of a CSR matrix's rows to the centers: {sums (k×d), weights (k), inertia} of each "
      "cluster in float64, for summing over chunks of rows.");

  m.def(
      "sparse_nearest",
      [](py::handle data, py::handle indices, py::handle indptr, index_t n_features, py::handle sample_weight,
         py::handle centers_h, int n_threads) {
        return by_csr_dtypes(data, indices, indptr, [&](auto zero, auto izero) -> py::object {
          using T = decltype(zero);
          using I = decltype(izero);
          const Csr<T, I> X = take_csr<T, I>(data, indices, indptr, n_features);
          const Optional<T> w = take_weights<T>(sample_weight, "sample_weight", X.n, "one weight per row of X");
          const carray<T> C = take_centers<T>(centers_h, "centers", X.d);
          const int nt = threads(n_threads);
          carray<int> labels(X.n);
          carray<double> dist(X.n);
          double inertia;
          {
            Compute run;
            inertia = kmix::sparse_nearest<T, I>(X.view(), w.data(), C.data(), C.shape(0), labels.mutable_data(),
                                                 dist.mutable_data(), nt);
          }
          py::dict out;
          out["labels"] = labels;
          out["distances"] = dist;
          out["inertia"] = inertia;
          return std::move(out);
        });
      },
      KMIX_CSR_ARGS, py::arg("sample_weight"), py::arg("centers"), py::arg("n_threads"),
      "The nearest center of each row of a CSR matrix (int32, the lowest index on ties), the squared "
      "distance to it (float64) and Σ w·distance (sample_weight None: ones), in one pass: "
      "{labels, distances, inertia}.");
}

}  // namespace

void register_sparse_kmeans(py::module_& m) { register_sparse(m); }
