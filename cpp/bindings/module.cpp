// kmix._core: the compiled kernels. One register_* per algorithm; build and ISA facts here.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "kmix/isa.hpp"
#include "kmix_build_info.hpp"

namespace py = pybind11;

void register_kmeans(py::module_& m);
void register_gmm(py::module_& m);
void register_linkage(py::module_& m);
void register_soft_kmeans(py::module_& m);
void register_metrics(py::module_& m);

PYBIND11_MODULE(_core, m) {
  m.doc() = "kmix compiled kernels (C++17, OpenMP)";
  m.def("isa", [] { return std::string(kmix::kernels().name); }, "ISA level of the kernels in use");
  m.def("available_isas", &kmix::available_isas, "ISA levels built and supported by this CPU");
  m.def("select_isa", &kmix::select_isa, py::arg("name"), "Use this ISA level; False if unavailable");
  m.def("max_threads", [] { return kmix::resolve_threads(0); }, "OpenMP threads a kernel would use");
  m.def("build_info", [] {
    py::dict info;
    info["compiler"] = KMIX_COMPILER;
    info["openmp"] = KMIX_OPENMP;
#ifdef _OPENMP
    info["openmp_spec"] = int(_OPENMP);
#endif
    info["pybind11"] = std::to_string(PYBIND11_VERSION_MAJOR) + "." + std::to_string(PYBIND11_VERSION_MINOR) +
                       "." + std::to_string(PYBIND11_VERSION_PATCH);
    return info;
  });
  register_kmeans(m);
  register_gmm(m);
  register_linkage(m);
  register_soft_kmeans(m);
  register_metrics(m);
}
