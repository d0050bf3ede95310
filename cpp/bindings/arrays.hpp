// What every binding file shares: C-contiguous numpy arrays, and optional ones as pointers.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace kmix_bindings {

namespace py = pybind11;

template <class T>
using carray = py::array_t<T, py::array::c_style>;

// The data of an optional array argument, or null for None.
template <class T>
const T* optional_ptr(const py::object& a) {
  return a.is_none() ? nullptr : a.cast<carray<T>>().data();
}

}  // namespace kmix_bindings
