// k-means bindings: numpy arrays -> pointers, the GIL released around every kernel.
// The Python package has validated shapes, dtypes, contiguity and values before these run.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "arrays.hpp"
#include "kmix/kmeans_driver.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using kmix_bindings::carray;
using kmix_bindings::optional_ptr;

template <class T>
void bind_kmeans(py::module_& m) {
  m.def("lloyd",
        [](carray<T> X, py::object sample_weight, carray<T> centers_init, index_t max_iter,
           double tol, bool verbose, int n_threads, py::object mean) {
          const index_t n = X.shape(0), d = X.shape(1), k = centers_init.shape(0);
          carray<T> centers({k, d});
          std::copy(centers_init.data(), centers_init.data() + k * d, centers.mutable_data());
          py::array_t<int> labels(n);
          const T* w = optional_ptr<T>(sample_weight);
          const double* mu = optional_ptr<double>(mean);
          kmix::LloydResult r;
          {
            py::gil_scoped_release nogil;
            r = kmix::lloyd<T>(X.data(), w, n, d, centers.mutable_data(), k, max_iter, tol, verbose,
                               n_threads, labels.mutable_data(), mu);
          }
          return py::make_tuple(centers, labels, r.inertia, r.n_iter, r.strict, r.iter_inertia,
                                r.iter_shift);
        },
        py::arg("X"), py::arg("sample_weight"), py::arg("centers_init"), py::arg("max_iter"),
        py::arg("tol"), py::arg("verbose"), py::arg("n_threads"), py::arg("mean") = py::none());

  m.def("kmeans_plusplus",
        [](carray<T> X, carray<T> sample_weight, index_t k, index_t first, carray<double> uniforms,
           index_t n_trials, int n_threads) {
          py::array_t<index_t> chosen(k);
          {
            py::gil_scoped_release nogil;
            kmix::kmeans_plusplus<T>(X.data(), sample_weight.data(), X.shape(0), X.shape(1), k, first,
                                     uniforms.data(), n_trials, n_threads, chosen.mutable_data());
          }
          return chosen;
        },
        py::arg("X"), py::arg("sample_weight"), py::arg("n_clusters"), py::arg("first"),
        py::arg("uniforms"), py::arg("n_trials"), py::arg("n_threads"));

  m.def("lloyd_chunk",
        [](carray<T> X, py::object sample_weight, carray<T> centers, int n_threads) {
          const index_t n = X.shape(0), d = X.shape(1), k = centers.shape(0);
          carray<double> sums({k, d}), weights(k);
          const T* w = kmix_bindings::optional_ptr<T>(sample_weight);
          double inertia;
          {
            py::gil_scoped_release nogil;
            const auto& K = kmix::kmeans_kernels_for<T>();
            std::vector<int> labels(n, -1);
            std::vector<double> scratch(kmix::lloyd_scratch_size(n, k, d, sizeof(T)));
            K.lloyd_step(X.data(), w, n, d, centers.data(), k, labels.data(), sums.mutable_data(),
                         weights.mutable_data(), scratch.data(), false, n_threads);
            inertia = K.inertia(X.data(), w, n, d, centers.data(), labels.data(), n_threads);
          }
          return py::make_tuple(sums, weights, inertia);
        },
        py::arg("X"), py::arg("sample_weight"), py::arg("centers"), py::arg("n_threads"),
        "One assignment of X's rows to the centers: the weighted sums (k×d) and weights (k) of each "
        "cluster in float64, and the inertia, for summing over chunks of rows.");

  m.def("average_centers",
        [](carray<double> sums, carray<double> weights, carray<T> old_centers) {
          const index_t k = old_centers.shape(0), d = old_centers.shape(1);
          carray<T> centers({k, d});
          const double shift = kmix::average_centers<T>(sums.data(), weights.data(), old_centers.data(), k, d,
                                                        nullptr, centers.mutable_data());
          return py::make_tuple(centers, shift);
        },
        py::arg("sums"), py::arg("weights"), py::arg("old_centers"),
        "New centers from summed cluster sums (k×d) and weights (k), as the Lloyd loop makes them, "
        "and the squared center shift.");

  m.def("center",
        [](carray<T> X, bool in_place, int n_threads) {
          const index_t n = X.shape(0), d = X.shape(1);
          carray<T> mean(d);
          double spread;
          {
            py::gil_scoped_release nogil;
            spread = kmix::center_columns<T>(X.data(), n, d, nullptr, mean.mutable_data(), n_threads);
          }
          // In float64, centring pays for itself only when the mean is far from the origin
          // compared with the spread: with ‖mean‖² <= spread/4 it would shrink ‖x‖² (the scale of
          // the rounding in ‖c‖² − 2x·c) by at most 1.25, so X is used as it is, with no copy.
          // float32 is always centred, as scikit-learn does: its rounding is coarse enough that
          // uncentred distances break near-ties differently (measured: 55 of 60k labels apart
          // after 20 iterations at d = 784, none when centred).
          double far = 0.0;
          for (index_t j = 0; j < d; ++j) far += double(mean.data()[j]) * double(mean.data()[j]);
          if (sizeof(T) == sizeof(double) && 4.0 * far <= spread) return py::make_tuple(X, mean, false);
          carray<T> out = in_place ? X : carray<T>({n, d});
          {
            py::gil_scoped_release nogil;
            kmix::subtract_columns<T>(X.data(), n, d, mean.data(), out.mutable_data(), n_threads);
          }
          return py::make_tuple(out, mean, true);
        },
        py::arg("X"), py::arg("in_place"), py::arg("n_threads"),
        "(X − mean, mean, True), or (X, mean, False) when the mean is near the origin compared "
        "with the spread of X.");

  m.def("mean_variance",
        [](carray<T> X, int n_threads) {
          py::gil_scoped_release nogil;
          return kmix::mean_variance<T>(X.data(), X.shape(0), X.shape(1), n_threads);
        },
        py::arg("X"), py::arg("n_threads"),
        "np.var(X, axis=0).mean(), computed in float64 (scikit-learn's scale for tol).");

  m.def("assign",
        [](carray<T> X, carray<T> centers, int n_threads) {
          const index_t n = X.shape(0);
          py::array_t<int> labels(n);
          {
            py::gil_scoped_release nogil;
            kmix::kmeans_kernels_for<T>().lloyd_step(X.data(), nullptr, n, X.shape(1), centers.data(),
                                                     centers.shape(0), labels.mutable_data(), nullptr,
                                                     nullptr, nullptr, false, n_threads);
          }
          return labels;
        },
        py::arg("X"), py::arg("centers"), py::arg("n_threads"));

  m.def("inertia",
        [](carray<T> X, py::object sample_weight, carray<T> centers, py::array_t<int, py::array::c_style> labels,
           int n_threads) {
          const T* w = optional_ptr<T>(sample_weight);
          py::gil_scoped_release nogil;
          return kmix::kmeans_kernels_for<T>().inertia(X.data(), w, X.shape(0), X.shape(1),
                                                       centers.data(), labels.data(), n_threads);
        },
        py::arg("X"), py::arg("sample_weight"), py::arg("centers"), py::arg("labels"),
        py::arg("n_threads"));

  m.def("minibatch_step",
        [](carray<T> X, py::object rows, index_t m, py::object sample_weight, carray<T> centers_old,
           carray<T> centers_new, carray<T> weight_sums, int n_threads) {
          const index_t* r = rows.is_none() ? nullptr : rows.cast<py::array_t<index_t, py::array::c_style>>().data();
          const T* w = optional_ptr<T>(sample_weight);
          py::array_t<int> labels(m);
          double inertia;
          {
            py::gil_scoped_release nogil;
            inertia = kmix::minibatch_step<T>(X.data(), X.shape(1), r, m, w, centers_old.data(),
                                              centers_new.mutable_data(), weight_sums.mutable_data(),
                                              centers_old.shape(0), labels.mutable_data(), n_threads);
          }
          return py::make_tuple(labels, inertia);
        },
        py::arg("X"), py::arg("rows"), py::arg("m"), py::arg("sample_weight"), py::arg("centers_old"),
        py::arg("centers_new"), py::arg("weight_sums"), py::arg("n_threads"));

  m.def("sq_distances",
        [](carray<T> X, carray<T> centers, int n_threads) {
          const index_t n = X.shape(0), k = centers.shape(0);
          carray<T> out({n, k});
          {
            py::gil_scoped_release nogil;
            kmix::kmeans_kernels_for<T>().sq_distances(X.data(), n, X.shape(1), centers.data(), k,
                                                       out.mutable_data(), n_threads);
          }
          return out;
        },
        py::arg("X"), py::arg("centers"), py::arg("n_threads"));
}

}  // namespace

void register_kmeans(py::module_& m) {
  bind_kmeans<float>(m);
  bind_kmeans<double>(m);
  m.def("draw_rows",
        [](carray<double> cdf, carray<double> u, int n_threads) {
          const index_t m = u.shape(0);
          py::array_t<index_t> rows(m);
          py::gil_scoped_release nogil;
          kmix::draw_rows(cdf.data(), cdf.shape(0), u.data(), m, rows.mutable_data(), n_threads);
          return rows;
        },
        py::arg("cdf"), py::arg("u"), py::arg("n_threads"),
        "cdf.searchsorted(u, side='right') for a cumulative distribution ending at 1");
}
