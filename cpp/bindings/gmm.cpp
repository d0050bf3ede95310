// Gaussian-mixture bindings: numpy arrays -> pointers (arrays.hpp: exact dtypes, shapes checked
// against each other), the GIL released around every kernel. Parameters cross as float64
// whatever X's dtype; several results are named in a dict.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>

#include "arrays.hpp"
#include "kmix/gmm_driver.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using namespace kmix_bindings;
using darray = carray<double>;

kmix::CovType take_cov_type(int code) {
  KMIX_REQUIRE(code >= 0 && code <= 3,
               "cov_type must be 0 (full), 1 (tied), 2 (diag) or 3 (spherical); got " + std::to_string(code));
  return static_cast<kmix::CovType>(code);
}

std::vector<py::ssize_t> cov_shape(kmix::CovType type, index_t k, index_t d) {
  switch (type) {
    case kmix::CovType::full: return {k, d, d};
    case kmix::CovType::tied: return {d, d};
    case kmix::CovType::diag: return {k, d};
    default: return {k};
  }
}

std::string shape_str(const std::vector<py::ssize_t>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

darray to_array(const std::vector<double>& v, const std::vector<py::ssize_t>& shape) {
  darray a(shape);
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::dict params_dict(const kmix::GmmParams& p) {
  py::dict r;
  r["weights"] = to_array(p.weights, {p.k});
  r["means"] = to_array(p.means, {p.k, p.d});
  r["covariances"] = to_array(p.covariances, cov_shape(p.type, p.k, p.d));
  r["precisions_cholesky"] = to_array(p.prec_chol, cov_shape(p.type, p.k, p.d));
  return r;
}

// A mixture of k components over d features (d: X's), its arrays checked against each other.
kmix::GmmParams take_model(int cov_type, py::handle weights_h, py::handle means_h, py::handle prec_h, index_t d) {
  const kmix::CovType type = take_cov_type(cov_type);
  const darray means = take<double>(means_h, "means", 2);
  const index_t k = means.shape(0);
  KMIX_REQUIRE(k >= 1, "means must have at least one row (one component)");
  expect_cols(means, "means", d, "one per feature of X");
  const darray weights = take<double>(weights_h, "weights", 1);
  expect_rows(weights, "weights", k, "one per component");
  const std::vector<py::ssize_t> want = cov_shape(type, k, d);
  const darray prec = take<double>(prec_h, "prec_chol", int(want.size()));
  for (std::size_t i = 0; i < want.size(); ++i)
    if (prec.shape(i) != want[i])
      value_error("prec_chol must have shape " + shape_str(want) + " for this covariance type and " +
                  std::to_string(k) + " components of " + std::to_string(d) + " features; got " +
                  kmix_bindings::shape_str(prec));
  kmix::GmmParams p(type, k, d);
  std::copy(weights.data(), weights.data() + k, p.weights.begin());
  std::copy(means.data(), means.data() + k * d, p.means.begin());
  std::copy(prec.data(), prec.data() + p.cov_size(), p.prec_chol.begin());
  return p;
}

template <class T>
Optional<T> take_weights(py::handle a, index_t n) {
  Optional<T> w = take_optional<T>(a, "sample_weight", 1);
  if (w.given) expect_rows(w.array, "sample_weight", n, "one weight per row of X");
  return w;
}

void require_finite(double v, const char* name, double low) {
  KMIX_REQUIRE(std::isfinite(v) && v >= low, std::string(name) + " must be finite and >= " + std::to_string(low));
}

void register_gmm_bindings(py::module_& m) {
  m.def(
      "gmm_estimate",
      [](py::handle Xh, py::handle sample_weight, py::handle resp_h, int cov_type, double reg_covar,
         int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const index_t n = X.shape(0), d = X.shape(1);
          const Optional<T> w = take_weights<T>(sample_weight, n);
          const darray resp = take<double>(resp_h, "resp", 2);
          expect_rows(resp, "resp", n, "one per row of X");
          KMIX_REQUIRE(resp.shape(1) >= 1, "resp must have at least one column (one component)");
          require_finite(reg_covar, "reg_covar", 0.0);
          kmix::GmmParams p(take_cov_type(cov_type), resp.shape(1), d);
          const int nt = threads(n_threads);
          {
            Compute run;
            kmix::gmm_estimate<T>(X.data(), w.data(), n, resp.data(), reg_covar, p, nt);
          }
          return params_dict(p);
        });
      },
      py::arg("X"), py::arg("sample_weight"), py::arg("resp"), py::arg("cov_type"), py::arg("reg_covar"),
      py::arg("n_threads"),
      "Parameters from responsibilities (n×k): {weights, means, covariances, precisions_cholesky}.");

  m.def(
      "gmm_em",
      [](py::handle Xh, py::handle sample_weight, int cov_type, py::handle weights, py::handle means,
         py::handle prec_chol, index_t max_iter, double tol, double reg_covar, double lower_bound,
         int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const index_t n = X.shape(0), d = X.shape(1);
          const Optional<T> w = take_weights<T>(sample_weight, n);
          kmix::GmmParams p = take_model(cov_type, weights, means, prec_chol, d);
          KMIX_REQUIRE(max_iter >= 1, "max_iter must be >= 1; got " + std::to_string(max_iter));
          require_finite(tol, "tol", 0.0);
          require_finite(reg_covar, "reg_covar", 0.0);
          KMIX_REQUIRE(!std::isnan(lower_bound), "lower_bound must not be NaN");
          const int nt = threads(n_threads);
          kmix::EmResult r;
          {
            Compute run;
            r = kmix::gmm_em<T>(X.data(), w.data(), n, p, max_iter, tol, reg_covar, lower_bound, nt);
          }
          py::dict out = params_dict(p);
          out["n_iter"] = r.n_iter;
          out["converged"] = r.converged;
          out["lower_bound"] = r.lower_bound;
          out["lower_bounds"] = r.lower_bounds;
          out["seconds"] = r.seconds;
          return std::move(out);
        });
      },
      py::arg("X"), py::arg("sample_weight"), py::arg("cov_type"), py::arg("weights"), py::arg("means"),
      py::arg("prec_chol"), py::arg("max_iter"), py::arg("tol"), py::arg("reg_covar"), py::arg("lower_bound"),
      py::arg("n_threads"),
      "EM from the given parameters: {weights, means, covariances, precisions_cholesky, n_iter, converged, "
      "lower_bound, lower_bounds, seconds}.");

  m.def(
      "gmm_pass_stats",
      [](py::handle Xh, py::handle sample_weight, int cov_type, py::handle weights, py::handle means,
         py::handle prec_chol, py::handle shift_h, py::handle about_h, py::handle given_resp,
         int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const index_t n = X.shape(0), d = X.shape(1);
          const Optional<T> w = take_weights<T>(sample_weight, n);
          const kmix::GmmParams p = take_model(cov_type, weights, means, prec_chol, d);
          const darray shift = take<double>(shift_h, "shift", 1);
          expect_rows(shift, "shift", d, "one per feature of X");
          const darray about = take<double>(about_h, "about", 2);
          expect_rows(about, "about", p.k, "one per component");
          expect_cols(about, "about", d, "one per feature of X");
          const Optional<double> resp = take_optional<double>(given_resp, "given_resp", 2);
          if (resp.given) {
            expect_rows(resp.array, "given_resp", n, "one per row of X");
            expect_cols(resp.array, "given_resp", p.k, "one per component");
          }
          const int nt = threads(n_threads);
          darray stats(kmix::gmm_stats_size(p.type, p.k, p.d));
          {
            Compute run;
            kmix::gmm_pass_stats<T>(X.data(), w.data(), n, p, shift.data(), about.data(), resp.data(),
                                    stats.mutable_data(), nt);
          }
          return std::move(stats);
        });
      },
      py::arg("X"), py::arg("sample_weight"), py::arg("cov_type"), py::arg("weights"), py::arg("means"),
      py::arg("prec_chol"), py::arg("shift"), py::arg("about"), py::arg("given_resp"), py::arg("n_threads"),
      "Sufficient statistics of one E-step pass over X (or with given responsibilities), for "
      "summing over chunks of rows.");

  m.def(
      "gmm_score",
      [](py::handle Xh, int cov_type, py::handle weights, py::handle means, py::handle prec_chol, bool log_prob_norm,
         bool resp, bool labels, int n_threads) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const index_t n = X.shape(0);
          const kmix::GmmParams p = take_model(cov_type, weights, means, prec_chol, X.shape(1));
          const int nt = threads(n_threads);
          kmix::GmmPassOut<T> out;
          py::dict arrays = pass_outputs<T>(n, p.k, log_prob_norm, resp, labels, out);
          {
            Compute run;
            kmix::gmm_score<T>(X.data(), n, p, out, nt);
          }
          return std::move(arrays);
        });
      },
      py::arg("X"), py::arg("cov_type"), py::arg("weights"), py::arg("means"), py::arg("prec_chol"),
      py::arg("log_prob_norm"), py::arg("resp"), py::arg("labels"), py::arg("n_threads"),
      "One E-step: {log_prob_norm, resp, labels}, each None unless asked for.");

  m.def(
      "gmm_m_step",
      [](py::handle stats_h, int cov_type, index_t k, index_t d, py::handle about_h, py::handle shift_h,
         py::handle floor_h, double reg_covar, bool initial) {
        const kmix::CovType type = take_cov_type(cov_type);
        KMIX_REQUIRE(k >= 1 && d >= 1, "n_components and n_features must be >= 1");
        const darray stats = take<double>(stats_h, "stats", 1);
        expect_rows(stats, "stats", kmix::gmm_stats_size(type, k, d),
                    "the statistics of this covariance type, k and d");
        const darray about = take<double>(about_h, "about", 2);
        expect_rows(about, "about", k, "one per component");
        expect_cols(about, "about", d, "one per feature");
        const darray shift = take<double>(shift_h, "shift", 1);
        expect_rows(shift, "shift", d, "one per feature");
        const darray floor = take<double>(floor_h, "floor", 1);
        expect_rows(floor, "floor", d, "one per feature");
        require_finite(reg_covar, "reg_covar", 0.0);
        kmix::GmmParams p(type, k, d);
        const std::vector<double> st(stats.data(), stats.data() + stats.size()),
            ab(about.data(), about.data() + about.size()), sh(shift.data(), shift.data() + shift.size()),
            fl(floor.data(), floor.data() + floor.size());
        kmix::gmm_m_step(st, ab, sh, fl, reg_covar, initial, p);
        return params_dict(p);
      },
      py::arg("stats"), py::arg("cov_type"), py::arg("n_components"), py::arg("n_features"), py::arg("about"),
      py::arg("shift"), py::arg("floor"), py::arg("reg_covar"), py::arg("initial"),
      "The M-step from summed statistics: {weights, means, covariances, precisions_cholesky}.");
}

}  // namespace

void register_gmm(py::module_& m) { register_gmm_bindings(m); }
