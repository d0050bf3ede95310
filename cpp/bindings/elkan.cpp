// Elkan's and Hamerly's k-means bindings: the arguments and results of lloyd (kmeans_args.hpp), so that
// KMeans(algorithm="elkan") only picks which function it calls.
#include <pybind11/pybind11.h>

#include "kmeans_args.hpp"
#include "kmix/elkan_driver.hpp"

namespace py = pybind11;

void register_elkan(py::module_& m) {
  kmix_bindings::def_fit(
      m, "elkan", [](auto&&... a) { return kmix::elkan(a...); },
      "Elkan's iterations from centers_init (the labels and centers of lloyd, fewer distances): "
      "{centers, labels, inertia, n_iter, strict, iter_inertia, iter_shift}.");
  kmix_bindings::def_fit(
      m, "hamerly", [](auto&&... a) { return kmix::hamerly(a...); },
      "Hamerly's iterations from centers_init (the labels and centers of lloyd, fewer distances, "
      "O(n) bounds): {centers, labels, inertia, n_iter, strict, iter_inertia, iter_shift}.");
  m.def("_elkan_every_step", &kmix::elkan_every_step, py::arg("on"),
        "Testing only: True makes every elkan step after the first a bounded one (scikit-learn's schedule) "
        "instead of choosing Lloyd or bounded steps by cost; returns the previous setting.");
}
