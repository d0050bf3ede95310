// What every binding file shares: C-contiguous numpy arrays, and optional ones as pointers.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "kmix/isa.hpp"

namespace kmix_bindings {

namespace py = pybind11;

template <class T>
using carray = py::array_t<T, py::array::c_style>;

// The data of an optional array argument, or null for None.
template <class T>
const T* optional_ptr(const py::object& a) {
  return a.is_none() ? nullptr : a.cast<carray<T>>().data();
}

// Arrays for the parts of a mixture pass that are asked for (log p(x): n, responsibilities:
// n×k, labels: n), wired into `out`; the tuple holds them, None for the others.
template <class T>
py::tuple pass_outputs(kmix::index_t n, kmix::index_t k, bool log_prob_norm, bool resp, bool labels,
                       kmix::GmmPassOut<T>& out) {
  py::object a = py::none(), b = py::none(), c = py::none();
  if (log_prob_norm) {
    carray<double> v(n);
    out.log_prob_norm = v.mutable_data();
    a = v;
  }
  if (resp) {
    carray<T> v({n, k});
    out.resp = v.mutable_data();
    b = v;
  }
  if (labels) {
    py::array_t<int> v(n);
    out.labels = v.mutable_data();
    c = v;
  }
  return py::make_tuple(a, b, c);
}

}  // namespace kmix_bindings
