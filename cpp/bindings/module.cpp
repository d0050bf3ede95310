// kmix._core: the compiled kernels. One register_* per algorithm; build and ISA facts, Ctrl-C and
// the errors the kernels can raise here.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "kmix/isa.hpp"
#include "kmix/runtime.hpp"
#include "kmix_build_info.hpp"

namespace py = pybind11;

void register_kmeans(py::module_& m);
void register_elkan(py::module_& m);
void register_gmm(py::module_& m);
void register_linkage(py::module_& m);
void register_soft_kmeans(py::module_& m);
void register_metrics(py::module_& m);

namespace {

// Python runs signal handlers only in the main thread; elsewhere there is nothing to check.
unsigned long g_main_thread = 0;

// The interrupt check of kmix::interrupt_requested: called on the thread that called into kmix,
// with the GIL released. It takes the GIL and runs Python's pending signal handlers; if one
// raised (KeyboardInterrupt for Ctrl-C), the exception stays set for the binding to re-raise.
bool python_signal_raised() {
  if (PyThread_get_thread_ident() != g_main_thread) return false;
  py::gil_scoped_acquire gil;
  return PyErr_CheckSignals() != 0;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "kmix compiled kernels (C++17, OpenMP)";
  g_main_thread = py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
  kmix::set_interrupt_check(&python_signal_raised);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const kmix::Interrupted&) {
      // The signal handler's exception, set by python_signal_raised, is still pending.
      if (!PyErr_Occurred()) PyErr_SetNone(PyExc_KeyboardInterrupt);
    }
  });
  m.def("isa", [] { return std::string(kmix::kernels().name); }, "ISA level of the kernels in use");
  m.def("available_isas", &kmix::available_isas, "ISA levels built and supported by this CPU");
  m.def("select_isa", &kmix::select_isa, py::arg("name"), "Use this ISA level; False if unavailable");
  m.def("max_threads", [] { return kmix::resolve_threads(0); },
        "OpenMP threads a kernel would use (1 in a child made by fork())");
  m.def("in_forked_child", &kmix::in_forked_child, "Whether this process is a child made by fork() after import");
  m.def("build_info", [] {
    py::dict info;
    info["compiler"] = KMIX_COMPILER;
    info["openmp"] = KMIX_OPENMP;
#ifdef _OPENMP
    info["openmp_spec"] = int(_OPENMP);
#endif
#ifdef KMIX_AVX512_EMULATED
    info["avx512"] = "emulated: 64-byte vectors on AVX2 (a test build)";
#endif
    info["pybind11"] = std::to_string(PYBIND11_VERSION_MAJOR) + "." + std::to_string(PYBIND11_VERSION_MINOR) +
                       "." + std::to_string(PYBIND11_VERSION_PATCH);
    return info;
  });
  register_kmeans(m);
  register_elkan(m);
  register_gmm(m);
  register_linkage(m);
  register_soft_kmeans(m);
  register_metrics(m);
}
