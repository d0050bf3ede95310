// kmix._core: the compiled kernels. One register_* per algorithm; build and ISA facts, Ctrl-C and
// the errors the kernels can raise here.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>

#include "kmix/isa.hpp"
#include "kmix/runtime.hpp"
#include "kmix_build_info.hpp"

namespace py = pybind11;

void register_kmeans(py::module_& m);
void register_elkan(py::module_& m);
void register_gmm(py::module_& m);
void register_linkage(py::module_& m);
void register_graph_linkage(py::module_& m);
void register_soft_kmeans(py::module_& m);
void register_metrics(py::module_& m);
void register_sparse_kmeans(py::module_& m);

namespace {

// Python runs signal handlers only in the main thread; elsewhere there is nothing to check.
// Written once at import, read by every thread that runs a kernel (atomic: no GIL orders them
// on a free-threaded build).
std::atomic<unsigned long> g_main_thread{0};

// The interrupt check of kmix::interrupt_requested: called on the thread that called into kmix,
// with the GIL released. It takes the GIL and runs Python's pending signal handlers; if one
// raised (KeyboardInterrupt for Ctrl-C), the exception stays set for the binding to re-raise.
bool python_signal_raised() {
  if (PyThread_get_thread_ident() != g_main_thread.load(std::memory_order_relaxed)) return false;
  py::gil_scoped_acquire gil;
  return PyErr_CheckSignals() != 0;
}

void define_core(py::module_& m) {
  m.doc() = "kmix compiled kernels (C++17, OpenMP)";
  g_main_thread.store(py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>());
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
  m.def(
      "max_threads", [] { return kmix::resolve_threads(0); },
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
    info["pybind11"] = std::to_string(PYBIND11_VERSION_MAJOR) + "." + std::to_string(PYBIND11_VERSION_MINOR) + "." +
                       std::to_string(PYBIND11_VERSION_PATCH);
    return info;
  });
  register_kmeans(m);
  register_elkan(m);
  register_gmm(m);
  register_linkage(m);
  register_graph_linkage(m);
  register_soft_kmeans(m);
  register_metrics(m);
  register_sparse_kmeans(m);
}

}  // namespace

// Free-threaded CPython (3.13t, 3.14t): the module declares that it does not need the GIL, so
// importing it leaves the GIL disabled. What makes that true: every kernel already runs with the
// GIL released, on the arrays it was handed; the module's state is set once at import
// (g_main_thread, the interrupt check, the exception translator) or is atomic (the ISA in use,
// the fork flag: isa_dispatch.cpp, runtime.cpp) or thread_local (the interrupt clock); the
// interrupt check takes the GIL (attaches a thread state) before it calls into Python. The
// Python package's shared state is guarded too (_base.peer_class, _model_files' checks);
// tests/test_free_threading.py runs it all from many threads. pybind11 >= 2.13 has
// mod_gil_not_used; an older one builds the module without it (CPython then enables the GIL
// when it is imported on a free-threaded build, with a RuntimeWarning).
#if PYBIND11_VERSION_HEX >= 0x020D0000
PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) { define_core(m); }
#else
PYBIND11_MODULE(_core, m) { define_core(m); }
#endif
