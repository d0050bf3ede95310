// What every binding file shares: taking numpy arguments exactly as the kernels read them, and
// checking them against each other.
//
// A binding never converts: an array of another dtype, not C-contiguous, misaligned (or read-only,
// for one it writes) is a TypeError, because a silent copy hides the caller's bug and an output
// written into a copy is lost. Every binding checks that its arrays' shapes agree before it
// touches them (ValueError), so even a direct call of kmix._core cannot make a kernel read or
// write out of bounds. The estimators convert once, in Python, before calling.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "kmix/isa.hpp"

namespace kmix_bindings {

namespace py = pybind11;
using kmix::index_t;

template <class T>
using carray = py::array_t<T, py::array::c_style>;

template <class T>
const char* dtype_name() {
  if constexpr (std::is_same_v<T, float>) return "float32";
  else if constexpr (std::is_same_v<T, double>) return "float64";
  else if constexpr (std::is_same_v<T, std::int32_t>) return "int32";
  else return "int64";
}

[[noreturn]] inline void type_error(const std::string& what) { throw py::type_error(what); }
[[noreturn]] inline void value_error(const std::string& what) { throw py::value_error(what); }
// ValueError with `message` unless `ok`; the message is built only when it is needed (checks
// run on every call, some once per element).
#define KMIX_REQUIRE(ok, message)                       \
  do {                                                  \
    if (!(ok)) ::kmix_bindings::value_error(message);   \
  } while (0)

inline std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

// `a` (called `name` in errors) as an array of T with `ndim` dimensions, exactly as it is.
template <class T>
carray<T> take(py::handle a, const char* name, int ndim, bool writes = false) {
  if (!py::isinstance<py::array>(a))
    type_error(std::string(name) + " must be a numpy array; got " + std::string(py::str(py::type::handle_of(a).attr("__name__"))));
  const auto arr = py::reinterpret_borrow<py::array>(a);
  if (!py::isinstance<py::array_t<T>>(arr))
    type_error(std::string(name) + " must have dtype " + dtype_name<T>() + "; got " + std::string(py::str(arr.dtype())));
  if (!(arr.flags() & py::array::c_style) || !(arr.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
    type_error(std::string(name) + " must be C-contiguous and aligned");
  if (writes && !arr.writeable()) type_error(std::string(name) + " must be writeable");
  if (arr.ndim() != ndim)
    value_error(std::string(name) + " must be " + std::to_string(ndim) + "-D; got shape " + shape_str(arr));
  return py::reinterpret_borrow<carray<T>>(arr);
}

// An optional array argument: None, or as take() requires.
template <class T>
struct Optional {
  carray<T> array;
  bool given = false;
  const T* data() const { return given ? array.data() : nullptr; }
};
template <class T>
Optional<T> take_optional(py::handle a, const char* name, int ndim) {
  Optional<T> o;
  if (a.is_none()) return o;
  o.array = take<T>(a, name, ndim);
  o.given = true;
  return o;
}

// A 2-D array with at least one row and one column.
template <class T>
carray<T> take_matrix(py::handle a, const char* name) {
  carray<T> m = take<T>(a, name, 2);
  KMIX_REQUIRE(m.shape(0) >= 1 && m.shape(1) >= 1, std::string(name) + " must have at least one row and one column; got shape " +
                                                 shape_str(m));
  return m;
}

// `a` must have shape (rows,) (or (rows, cols)); `meaning` says what the sizes are.
template <class A>
void expect_rows(const A& a, const char* name, index_t rows, const char* meaning) {
  if (a.shape(0) != rows)
    value_error(std::string(name) + " must have " + std::to_string(rows) + " rows (" + meaning + "); got shape " + shape_str(a));
}
template <class A>
void expect_cols(const A& a, const char* name, index_t cols, const char* meaning) {
  if (a.shape(1) != cols)
    value_error(std::string(name) + " must have " + std::to_string(cols) + " columns (" + meaning + "); got shape " +
                shape_str(a));
}

// The thread count a kernel gets: n_threads must be >= 1; one in a child made by fork().
inline int threads(int n_threads) {
  KMIX_REQUIRE(n_threads >= 1, "n_threads must be >= 1; got " + std::to_string(n_threads));
  return kmix::resolve_threads(n_threads);
}

// While a kernel runs: the GIL released, and the Ctrl-C rhythm started for this call.
struct Compute {
  py::gil_scoped_release nogil;
  Compute() { kmix::start_interrupt_clock(); }
};

// f(T{}) with T the float type of X (float32 or float64); TypeError for anything else.
template <class F>
auto by_float_dtype(py::handle X, const char* name, F&& f) {
  if (py::isinstance<py::array_t<float>>(X)) return f(float{});
  if (py::isinstance<py::array_t<double>>(X)) return f(double{});
  if (!py::isinstance<py::array>(X))
    type_error(std::string(name) + " must be a numpy array; got " + std::string(py::str(py::type::handle_of(X).attr("__name__"))));
  type_error(std::string(name) + " must have dtype float32 or float64; got " +
             std::string(py::str(py::reinterpret_borrow<py::array>(X).dtype())));
}

// Arrays for the parts of a mixture pass that are asked for (log p(x): n, responsibilities:
// n×k, labels: n), wired into `out`, named in the dict; None for the others.
template <class T>
py::dict pass_outputs(index_t n, index_t k, bool log_prob_norm, bool resp, bool labels, kmix::GmmPassOut<T>& out) {
  py::dict r;
  r["log_prob_norm"] = py::none();
  r["resp"] = py::none();
  r["labels"] = py::none();
  if (log_prob_norm) {
    carray<double> v(n);
    out.log_prob_norm = v.mutable_data();
    r["log_prob_norm"] = v;
  }
  if (resp) {
    carray<T> v({n, k});
    out.resp = v.mutable_data();
    r["resp"] = v;
  }
  if (labels) {
    carray<int> v(n);
    out.labels = v.mutable_data();
    r["labels"] = v;
  }
  return r;
}

}  // namespace kmix_bindings
