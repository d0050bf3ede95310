// Hierarchical clustering along the edges of a graph (scikit-learn's structured clustering,
// AgglomerativeClustering(connectivity=...)): only clusters joined by an edge may merge. Memory
// O(n·d + edges), time O(edges·log edges) for the heap plus the neighbour lists' upkeep; never an
// n×n matrix. The graph is a canonical CSR matrix (rows sorted, no duplicates), symmetric.
#pragma once
#include <cstdint>
#include <vector>

#include "kmix/isa.hpp"

namespace kmix {

// A tree of `merges` merges over the n leaves, node n + s made by merge s, as scikit-learn's
// tree builders return it: children (merges × 2, scikit-learn's order within a pair), the merge
// heights, and every node's parent (itself while it has none), over n + merges nodes.
struct GraphTree {
  std::vector<std::int64_t> children;
  std::vector<double> distances;
  std::vector<std::int64_t> parent;
};

// Ward's criterion along the edges (scikit-learn's ward_tree with connectivity): the pair of
// adjacent clusters whose merge adds the least inertia, (n_a·n_b/(n_a+n_b))·‖μ_a − μ_b‖², the
// lowest (inertia, larger index, smaller index) first; heights sqrt(2·inertia). Self loops are
// ignored. Throws std::domain_error if the graph runs out of edges before `merges` merges.
template <class T>
GraphTree graph_ward(const T* X, index_t n, index_t d, const std::int64_t* indptr, const std::int64_t* indices,
                     index_t merges);

// Average (method 0) or complete (method 1) linkage along the edges, on the edge lengths
// `weights` (scikit-learn's linkage_tree with connectivity): merging a and b gives the new
// cluster, for each neighbour c of a or b, the length max(ℓ(a,c), ℓ(b,c)) (complete) or
// (n_a·ℓ(a,c) + n_b·ℓ(b,c))/(n_a + n_b) (average), or the one length there is when only one of
// them touches c. The shortest edge first (ties: the larger index of the newer pair, then the
// smaller). No self loops allowed.
GraphTree graph_linkage(index_t n, const std::int64_t* indptr, const std::int64_t* indices, const double* weights,
                        int method, index_t merges);

// Single linkage along the edges: Kruskal's minimum spanning tree, merges in order of length
// (ties in (smaller index, larger index) order), children the two clusters' current nodes.
GraphTree graph_single(index_t n, const std::int64_t* indptr, const std::int64_t* indices, const double* weights);

// Connected components: labels[i] in [0, count), numbered by their smallest node. Returns count.
index_t graph_components(index_t n, const std::int64_t* indptr, const std::int64_t* indices, std::int64_t* labels);

}  // namespace kmix
