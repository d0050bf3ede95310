// Gaussian-mixture bindings: numpy arrays -> pointers, the GIL released around every kernel.
// The Python package has validated shapes, dtypes, contiguity and values before these run;
// parameters cross as float64 whatever X's dtype.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>

#include "arrays.hpp"
#include "kmix/gmm_driver.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using kmix_bindings::carray;
using kmix_bindings::optional_ptr;
using darray = carray<double>;

std::vector<py::ssize_t> cov_shape(const kmix::GmmParams& p) {
  switch (p.type) {
    case kmix::CovType::full: return {p.k, p.d, p.d};
    case kmix::CovType::tied: return {p.d, p.d};
    case kmix::CovType::diag: return {p.k, p.d};
    default: return {p.k};
  }
}

darray to_array(const std::vector<double>& v, std::vector<py::ssize_t> shape) {
  darray a(shape);
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::tuple params_tuple(const kmix::GmmParams& p) {
  return py::make_tuple(to_array(p.weights, {p.k}), to_array(p.means, {p.k, p.d}),
                        to_array(p.covariances, cov_shape(p)), to_array(p.prec_chol, cov_shape(p)));
}

kmix::GmmParams params_from(int cov_type, darray weights, darray means, darray prec_chol) {
  kmix::GmmParams p(static_cast<kmix::CovType>(cov_type), means.shape(0), means.shape(1));
  std::copy(weights.data(), weights.data() + p.k, p.weights.begin());
  std::copy(means.data(), means.data() + p.k * p.d, p.means.begin());
  std::copy(prec_chol.data(), prec_chol.data() + p.cov_size(), p.prec_chol.begin());
  return p;
}

template <class T>
void bind_gmm(py::module_& m) {
  m.def("gmm_estimate",
        [](carray<T> X, py::object sample_weight, darray resp, int cov_type, double reg_covar,
           int n_threads) {
          kmix::GmmParams p(static_cast<kmix::CovType>(cov_type), resp.shape(1), X.shape(1));
          const T* w = optional_ptr<T>(sample_weight);
          {
            py::gil_scoped_release nogil;
            kmix::gmm_estimate<T>(X.data(), w, X.shape(0), resp.data(), reg_covar, p, n_threads);
          }
          return params_tuple(p);
        },
        py::arg("X"), py::arg("sample_weight"), py::arg("resp"), py::arg("cov_type"),
        py::arg("reg_covar"), py::arg("n_threads"));

  m.def("gmm_em",
        [](carray<T> X, py::object sample_weight, int cov_type, darray weights, darray means,
           darray prec_chol, index_t max_iter, double tol, double reg_covar, double lower_bound,
           int n_threads) {
          kmix::GmmParams p = params_from(cov_type, weights, means, prec_chol);
          const T* w = optional_ptr<T>(sample_weight);
          kmix::EmResult r;
          {
            py::gil_scoped_release nogil;
            r = kmix::gmm_em<T>(X.data(), w, X.shape(0), p, max_iter, tol, reg_covar, lower_bound,
                                n_threads);
          }
          return py::make_tuple(params_tuple(p), r.n_iter, r.converged, r.lower_bound, r.lower_bounds,
                                r.seconds);
        },
        py::arg("X"), py::arg("sample_weight"), py::arg("cov_type"), py::arg("weights"),
        py::arg("means"), py::arg("prec_chol"), py::arg("max_iter"), py::arg("tol"),
        py::arg("reg_covar"), py::arg("lower_bound"), py::arg("n_threads"));

  m.def("gmm_pass_stats",
        [](carray<T> X, py::object sample_weight, int cov_type, darray weights, darray means, darray prec_chol,
           darray shift, darray about, py::object given_resp, int n_threads) {
          const kmix::GmmParams p = params_from(cov_type, weights, means, prec_chol);
          const T* w = optional_ptr<T>(sample_weight);
          const double* resp = optional_ptr<double>(given_resp);
          darray stats(kmix::gmm_stats_size(p.type, p.k, p.d));
          {
            py::gil_scoped_release nogil;
            kmix::gmm_pass_stats<T>(X.data(), w, X.shape(0), p, shift.data(), about.data(), resp,
                                    stats.mutable_data(), n_threads);
          }
          return stats;
        },
        py::arg("X"), py::arg("sample_weight"), py::arg("cov_type"), py::arg("weights"), py::arg("means"),
        py::arg("prec_chol"), py::arg("shift"), py::arg("about"), py::arg("given_resp"), py::arg("n_threads"),
        "Sufficient statistics of one E-step pass over X (or with given responsibilities), for "
        "summing over chunks of rows.");

  m.def("gmm_score",
        [](carray<T> X, int cov_type, darray weights, darray means, darray prec_chol,
           bool log_prob_norm, bool resp, bool labels, int n_threads) {
          const kmix::GmmParams p = params_from(cov_type, weights, means, prec_chol);
          const index_t n = X.shape(0);
          kmix::GmmPassOut<T> out;
          py::tuple arrays = kmix_bindings::pass_outputs<T>(n, p.k, log_prob_norm, resp, labels, out);
          {
            py::gil_scoped_release nogil;
            kmix::gmm_score<T>(X.data(), n, p, out, n_threads);
          }
          return arrays;
        },
        py::arg("X"), py::arg("cov_type"), py::arg("weights"), py::arg("means"),
        py::arg("prec_chol"), py::arg("log_prob_norm"), py::arg("resp"), py::arg("labels"),
        py::arg("n_threads"));
}

}  // namespace

void register_gmm(py::module_& m) {
  bind_gmm<float>(m);
  bind_gmm<double>(m);
  m.def("gmm_m_step",
        [](darray stats, int cov_type, index_t k, index_t d, darray about, darray shift, darray floor,
           double reg_covar, bool initial) {
          kmix::GmmParams p(static_cast<kmix::CovType>(cov_type), k, d);
          const std::vector<double> st(stats.data(), stats.data() + stats.size()),
              ab(about.data(), about.data() + about.size()), sh(shift.data(), shift.data() + shift.size()),
              fl(floor.data(), floor.data() + floor.size());
          kmix::gmm_m_step(st, ab, sh, fl, reg_covar, initial, p);
          return params_tuple(p);
        },
        py::arg("stats"), py::arg("cov_type"), py::arg("n_components"), py::arg("n_features"), py::arg("about"),
        py::arg("shift"), py::arg("floor"), py::arg("reg_covar"), py::arg("initial"),
        "The M-step from summed statistics: (weights, means, covariances, precisions_cholesky).");
}
