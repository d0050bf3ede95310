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
#define KMIX_REQUIRE(ok, message)                     \
  do {                                                \
    if (!(ok)) ::kmix_bindings::value_error(message); \
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
    type_error(std::string(name) + " must be a numpy array; got " +
               std::string(py::str(py::type::handle_of(a).attr("__name__"))));
  const auto arr = py::reinterpret_borrow<py::array>(a);
  if (!py::isinstance<py::array_t<T>>(arr))
    type_error(std::string(name) + " must have dtype " + dtype_name<T>() + "; got " +
               std::string(py::str(arr.dtype())));
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
  KMIX_REQUIRE(m.shape(0) >= 1 && m.shape(1) >= 1,
               std::string(name) + " must have at least one row and one column; got shape " + shape_str(m));
  return m;
}

// `a` must have shape (rows,) (or (rows, cols)); `meaning` says what the sizes are.
template <class A>
void expect_rows(const A& a, const char* name, index_t rows, const char* meaning) {
  if (a.shape(0) != rows)
    value_error(std::string(name) + " must have " + std::to_string(rows) + " rows (" + meaning + "); got shape " +
                shape_str(a));
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
    type_error(std::string(name) + " must be a numpy array; got " +
               std::string(py::str(py::type::handle_of(X).attr("__name__"))));
  type_error(std::string(name) + " must have dtype float32 or float64; got " +
             std::string(py::str(py::reinterpret_borrow<py::array>(X).dtype())));
}

// f(I{}) with I the integer type of a CSR matrix's indices and indptr, which must share it (int32 or
// int64); TypeError naming both otherwise.
template <class F>
auto by_index_dtype(py::handle indices, py::handle indptr, F&& f) {
  if (py::isinstance<py::array_t<std::int32_t>>(indices) && py::isinstance<py::array_t<std::int32_t>>(indptr))
    return f(std::int32_t{});
  if (py::isinstance<py::array_t<std::int64_t>>(indices) && py::isinstance<py::array_t<std::int64_t>>(indptr))
    return f(std::int64_t{});
  const auto describe = [](py::handle a) {
    return py::isinstance<py::array>(a) ? std::string(py::str(py::reinterpret_borrow<py::array>(a).dtype()))
                                        : std::string(py::str(py::type::handle_of(a).attr("__name__")));
  };
  type_error("indices and indptr must be numpy arrays of one dtype, int32 or int64; got " + describe(indices) +
             " and " + describe(indptr));
}

// The arrays of a CSR matrix of n_features columns (data: nnz values; indices: their columns;
// indptr: n + 1 offsets), checked so that a kernel walking it stays in bounds whatever the values:
// lengths agree, offsets run from 0 to nnz without decreasing, columns lie in [0, n_features).
template <class T, class I>
struct Csr {
  carray<T> data;
  carray<I> indices, indptr;
  index_t n, d;
  kmix::CsrView<T, I> view() const { return {data.data(), indices.data(), indptr.data(), n, d}; }
};
template <class T, class I>
Csr<T, I> take_csr(py::handle data_h, py::handle indices_h, py::handle indptr_h, index_t n_features) {
  Csr<T, I> m{take<T>(data_h, "data", 1), take<I>(indices_h, "indices", 1), take<I>(indptr_h, "indptr", 1), 0,
              n_features};
  KMIX_REQUIRE(n_features >= 1, "n_features must be >= 1; got " + std::to_string(n_features));
  KMIX_REQUIRE(m.indptr.shape(0) >= 1, "indptr must hold n_samples + 1 >= 1 offsets");
  m.n = m.indptr.shape(0) - 1;
  const index_t nnz = m.data.shape(0);
  KMIX_REQUIRE(m.indices.shape(0) == nnz, "indices must have as many values as data (" + std::to_string(nnz) +
                                              "); got shape " + shape_str(m.indices));
  const I* p = m.indptr.data();
  KMIX_REQUIRE(p[0] == 0 && index_t(p[m.n]) == nnz,
               "indptr must begin at 0 and end at the length of data (" + std::to_string(nnz) + ")");
  for (index_t i = 0; i < m.n; ++i)
    KMIX_REQUIRE(p[i] <= p[i + 1], "indptr must be non-decreasing; indptr[" + std::to_string(i + 1) + "] < indptr[" +
                                       std::to_string(i) + "]");
  const I* col = m.indices.data();
  for (index_t q = 0; q < nnz; ++q)
    KMIX_REQUIRE(col[q] >= 0 && index_t(col[q]) < n_features,
                 "indices must lie in [0, n_features = " + std::to_string(n_features) + "); indices[" +
                     std::to_string(q) + "] = " + std::to_string(col[q]));
  return m;
}

// f(T{}, I{}) for a CSR matrix's data (float32/float64) and its indices and indptr (int32/int64).
template <class F>
py::object by_csr_dtypes(py::handle data, py::handle indices, py::handle indptr, F&& f) {
  return by_float_dtype(data, "data", [&](auto zero) -> py::object {
    return by_index_dtype(indices, indptr, [&](auto izero) -> py::object { return f(zero, izero); });
  });
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
