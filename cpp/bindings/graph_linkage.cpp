// Bindings of the graph-constrained linkages: the graph arrives as a CSR matrix (float64 edge
// lengths, int64 indices and offsets, checked in bounds by take_csr), the GIL released around
// every call; the tree returns as {children, distances, parent}.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "arrays.hpp"
#include "kmix/graph_linkage.hpp"

namespace py = pybind11;
using kmix::index_t;

namespace {

using namespace kmix_bindings;
using Graph = Csr<double, std::int64_t>;

// An n×n graph (n >= 2 nodes) whose edge lengths are finite and >= 0.
Graph take_graph(py::handle data, py::handle indices, py::handle indptr) {
  const carray<std::int64_t> p = take<std::int64_t>(indptr, "indptr", 1);
  KMIX_REQUIRE(p.shape(0) >= 3, "the graph must have at least 2 nodes (indptr of length n + 1 >= 3)");
  Graph g = take_csr<double, std::int64_t>(data, indices, indptr, p.shape(0) - 1);
  const double* w = g.data.data();
  for (index_t q = 0; q < g.data.shape(0); ++q)
    KMIX_REQUIRE(std::isfinite(w[q]) && w[q] >= 0.0, "edge lengths (data) must be finite and >= 0; data[" +
                                                         std::to_string(q) + "] = " + std::to_string(w[q]));
  return g;
}

py::dict tree_dict(kmix::GraphTree& t, index_t n) {
  const index_t merges = index_t(t.distances.size());
  carray<std::int64_t> children({merges, index_t(2)}), parent(index_t(t.parent.size()));
  carray<double> distances(merges);
  std::copy(t.children.begin(), t.children.end(), children.mutable_data());
  std::copy(t.distances.begin(), t.distances.end(), distances.mutable_data());
  std::copy(t.parent.begin(), t.parent.end(), parent.mutable_data());
  py::dict r;
  r["children"] = children;
  r["distances"] = distances;
  r["parent"] = parent;
  r["n_leaves"] = n;
  return r;
}

index_t take_merges(index_t merges, index_t n) {
  KMIX_REQUIRE(merges >= 0 && merges <= n - 1,
               "merges must be in [0, n - 1 = " + std::to_string(n - 1) + "]; got " + std::to_string(merges));
  return merges;
}

}  // namespace

void register_graph_linkage(py::module_& m) {
  m.def(
      "graph_ward",
      [](py::handle Xh, py::handle data, py::handle indices, py::handle indptr, index_t merges) -> py::object {
        return by_float_dtype(Xh, "X", [&](auto zero) -> py::object {
          using T = decltype(zero);
          const carray<T> X = take_matrix<T>(Xh, "X");
          const Graph g = take_graph(data, indices, indptr);
          expect_rows(X, "X", g.n, "one per node of the graph");
          take_merges(merges, g.n);
          kmix::GraphTree t;
          {
            Compute run;
            t = kmix::graph_ward<T>(X.data(), g.n, X.shape(1), g.indptr.data(), g.indices.data(), merges);
          }
          return tree_dict(t, g.n);
        });
      },
      py::arg("X"), py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("merges"),
      "Ward's merges along a symmetric graph (CSR; its values unused): {children, distances, parent, n_leaves}.");

  m.def(
      "graph_linkage",
      [](py::handle data, py::handle indices, py::handle indptr, int method, index_t merges) -> py::object {
        KMIX_REQUIRE(method == 0 || method == 1,
                     "method must be 0 (average) or 1 (complete); got " + std::to_string(method));
        const Graph g = take_graph(data, indices, indptr);
        take_merges(merges, g.n);
        kmix::GraphTree t;
        {
          Compute run;
          t = kmix::graph_linkage(g.n, g.indptr.data(), g.indices.data(), g.data.data(), method, merges);
        }
        return tree_dict(t, g.n);
      },
      py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("method"), py::arg("merges"),
      "Average (0) or complete (1) linkage along a symmetric graph of edge lengths (CSR).");

  m.def(
      "graph_single",
      [](py::handle data, py::handle indices, py::handle indptr) -> py::object {
        const Graph g = take_graph(data, indices, indptr);
        kmix::GraphTree t;
        {
          Compute run;
          t = kmix::graph_single(g.n, g.indptr.data(), g.indices.data(), g.data.data());
        }
        return tree_dict(t, g.n);
      },
      py::arg("data"), py::arg("indices"), py::arg("indptr"),
      "Single linkage along a connected symmetric graph of edge lengths (CSR): the whole tree.");

  m.def(
      "graph_components",
      [](py::handle data, py::handle indices, py::handle indptr) -> py::object {
        const Graph g = take_graph(data, indices, indptr);
        carray<std::int64_t> labels(g.n);
        index_t count;
        {
          Compute run;
          count = kmix::graph_components(g.n, g.indptr.data(), g.indices.data(), labels.mutable_data());
        }
        py::dict r;
        r["count"] = count;
        r["labels"] = labels;
        return std::move(r);
      },
      py::arg("data"), py::arg("indices"), py::arg("indptr"),
      "Connected components of a graph (CSR): {count, labels (numbered by their smallest node)}.");
}
