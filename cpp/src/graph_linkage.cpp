// Structured (graph-constrained) hierarchical clustering, step for step as scikit-learn's
// ward_tree and linkage_tree with connectivity: a heap of candidate merges along the edges with
// lazy deletion (an entry whose clusters have merged since is dropped when it surfaces), and
// after each merge the new cluster's edges to its neighbours. Compiled once, for the baseline ISA:
// the work is heap and list upkeep, not arithmetic.
#include "kmix/graph_linkage.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "kmix/runtime.hpp"

namespace kmix {

namespace {

using i64 = std::int64_t;

// A candidate merge: the lowest (value, a, b) surfaces first. a is the newer (larger) node.
struct Candidate {
  double value;
  i64 a, b;
};
struct Later {
  bool operator()(const Candidate& x, const Candidate& y) const {
    if (x.value != y.value) return x.value > y.value;
    if (x.a != y.a) return x.a > y.a;
    return x.b > y.b;
  }
};
using Heap = std::priority_queue<Candidate, std::vector<Candidate>, Later>;

// NaN (an overflowed distance) ranks after every number, so the heap's order stays total.
inline double ranked(double v) { return std::isnan(v) ? std::numeric_limits<double>::infinity() : v; }

[[noreturn]] void out_of_edges(index_t done, index_t merges) {
  throw std::domain_error("the connectivity graph has no edge left after " + std::to_string(done) + " of " +
                          std::to_string(merges) + " merges (it is not connected)");
}

// The current top cluster of a node: union-find over the merges (path halving), apart from the
// tree's own parent links, which stay as scikit-learn returns them.
struct Tops {
  std::vector<i64> up;
  explicit Tops(index_t nodes) : up(nodes) {
    for (index_t i = 0; i < nodes; ++i) up[i] = i;
  }
  i64 find(i64 x) {
    while (up[x] != x) {
      up[x] = up[up[x]];
      x = up[x];
    }
    return x;
  }
};

GraphTree new_tree(index_t n, index_t merges) {
  GraphTree t;
  t.children.reserve(2 * merges);
  t.distances.reserve(merges);
  t.parent.resize(n + merges);
  for (index_t i = 0; i < n + merges; ++i) t.parent[i] = i;
  return t;
}

}  // namespace

template <class T>
GraphTree graph_ward(const T* X, index_t n, index_t d, const i64* indptr, const i64* indices, index_t merges) {
  const index_t nodes = n + merges;
  GraphTree tree = new_tree(n, merges);
  std::vector<double> size(nodes, 0.0), sum(std::size_t(nodes) * std::size_t(d), 0.0);
  for (index_t i = 0; i < n; ++i) {
    size[i] = 1.0;
    for (index_t j = 0; j < d; ++j) sum[i * d + j] = double(X[i * d + j]);
  }
  // scikit-learn's compute_ward_dist: (n_r·n_c/(n_r+n_c))·Σ (s_r/n_r − s_c/n_c)².
  auto ward = [&](i64 r, i64 c) {
    const double f = (size[r] * size[c]) / (size[r] + size[c]);
    const double* sr = sum.data() + r * d;
    const double* sc = sum.data() + c * d;
    double pa = 0.0;
    for (index_t j = 0; j < d; ++j) {
      const double diff = sr[j] / size[r] - sc[j] / size[c];
      pa += diff * diff;
    }
    return ranked(pa * f);
  };
  // Each node's neighbours as they were listed (stale entries resolve to their top cluster).
  std::vector<std::vector<i64>> adj(nodes);
  Heap heap;
  for (index_t i = 0; i < n; ++i) {
    adj[i].assign(indices + indptr[i], indices + indptr[i + 1]);
    for (i64 p = indptr[i]; p < indptr[i + 1]; ++p)
      if (indices[p] < i) heap.push({ward(i, indices[p]), i, indices[p]});
  }
  std::vector<char> active(nodes, 1);
  std::vector<index_t> seen(nodes, -1);
  Tops tops(nodes);
  std::vector<i64> heads;
  for (index_t k = n; k < nodes; ++k) {
    if ((k & 1023) == 0) check_interrupt();
    Candidate c{};
    for (;;) {
      if (heap.empty()) out_of_edges(k - n, merges);
      c = heap.top();
      heap.pop();
      if (active[c.a] && active[c.b]) break;
    }
    tree.parent[c.a] = tree.parent[c.b] = k;
    tops.up[c.a] = tops.up[c.b] = k;
    tree.children.push_back(c.b);
    tree.children.push_back(c.a);
    tree.distances.push_back(std::sqrt(2.0 * c.value));
    active[c.a] = active[c.b] = 0;
    size[k] = size[c.a] + size[c.b];
    for (index_t j = 0; j < d; ++j) sum[k * d + j] = sum[c.a * d + j] + sum[c.b * d + j];
    heads.clear();
    seen[k] = k;
    for (const i64 side : {c.a, c.b}) {
      for (const i64 node : adj[side]) {
        const i64 top = tops.find(node);
        if (seen[top] != k) {
          seen[top] = k;
          heads.push_back(top);
        }
      }
      std::vector<i64>().swap(adj[side]);
    }
    for (const i64 col : heads) {
      adj[col].push_back(k);
      heap.push({ward(k, col), k, col});
    }
    adj[k] = heads;
  }
  return tree;
}

GraphTree graph_linkage(index_t n, const i64* indptr, const i64* indices, const double* weights, int method,
                        index_t merges) {
  // The merged cluster keeps the id (and neighbour map) of the side with more neighbours; only
  // the other side's neighbours change length (for a neighbour of the bigger side alone, max or
  // the size-weighted mean is its old length), so only they are updated and pushed: each entry
  // moves to a bigger map O(log n) times, O(edges·log n) in all. (scikit-learn re-lists every
  // neighbour of the new cluster: O(n²) when average linkage grows one cluster point by point.)
  // Ids are leaf indices; node[id] is the tree node the cluster is now. Same merges as
  // scikit-learn's linkage_tree: the shortest live edge, lengths by its max_merge/average_merge.
  using Map = std::unordered_map<i64, double>;
  const bool complete = method == 1;
  GraphTree tree = new_tree(n, merges);
  std::vector<Map> adj(n);
  Heap heap;
  for (index_t i = 0; i < n; ++i) {
    adj[i].reserve(std::size_t(indptr[i + 1] - indptr[i]));
    for (i64 p = indptr[i]; p < indptr[i + 1]; ++p) {
      adj[i][indices[p]] = weights[p];
      if (indices[p] < i) heap.push({ranked(weights[p]), i, indices[p]});
    }
  }
  std::vector<double> size(n, 1.0);
  std::vector<char> active(n, 1);
  std::vector<i64> node(n);
  for (index_t i = 0; i < n; ++i) node[i] = i;
  for (index_t k = n; k < n + merges; ++k) {
    if ((k & 1023) == 0) check_interrupt();
    Candidate c{};
    for (;;) {  // an entry is live while both clusters are and its length is still theirs
      if (heap.empty()) out_of_edges(k - n, merges);
      c = heap.top();
      heap.pop();
      if (!active[c.a] || !active[c.b]) continue;
      const auto it = adj[c.a].find(c.b);
      if (it != adj[c.a].end() && ranked(it->second) == c.value) break;
    }
    const i64 ta = node[c.a], tb = node[c.b];
    tree.parent[ta] = tree.parent[tb] = k;
    tree.children.push_back(std::min(ta, tb));
    tree.children.push_back(std::max(ta, tb));
    tree.distances.push_back(adj[c.a][c.b]);
    const bool a_big = adj[c.a].size() >= adj[c.b].size();
    const i64 big = a_big ? c.a : c.b, small = a_big ? c.b : c.a;
    const double nbig = size[big], nsmall = size[small];
    Map& B = adj[big];
    B.erase(small);
    for (const auto& [col, v_small] : adj[small]) {
      if (col == big) continue;
      Map& C = adj[col];
      C.erase(small);
      const auto found = B.find(col);
      double v = v_small;
      if (found != B.end())
        v = complete ? std::max(found->second, v_small) : (nbig * found->second + nsmall * v_small) / (nbig + nsmall);
      if (found != B.end() && found->second == v) continue;  // unchanged: its heap entry stands
      B[col] = v;
      C[big] = v;
      heap.push({ranked(v), std::max(big, col), std::min(big, col)});
    }
    Map().swap(adj[small]);
    active[small] = 0;
    size[big] = nbig + nsmall;
    node[big] = k;
  }
  return tree;
}

GraphTree graph_single(index_t n, const i64* indptr, const i64* indices, const double* weights) {
  struct Edge {
    double w;
    i64 i, j;
  };
  std::vector<Edge> edges;
  for (index_t i = 0; i < n; ++i)
    for (i64 p = indptr[i]; p < indptr[i + 1]; ++p)
      if (i < indices[p]) edges.push_back({ranked(weights[p]), i, indices[p]});
  std::sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) {
    if (x.w != y.w) return x.w < y.w;
    if (x.i != y.i) return x.i < y.i;
    return x.j < y.j;
  });
  check_interrupt();
  const index_t merges = n - 1;
  GraphTree tree = new_tree(n, merges);
  Tops leaves(n);  // the leaves' components; node[root]: the component's current tree node
  std::vector<i64> node(n);
  for (index_t i = 0; i < n; ++i) node[i] = i;
  index_t k = n;
  for (const Edge& e : edges) {
    if (k == n + merges) break;
    const i64 ri = leaves.find(e.i), rj = leaves.find(e.j);
    if (ri == rj) continue;
    const i64 a = node[ri], b = node[rj];
    tree.children.push_back(a);
    tree.children.push_back(b);
    tree.distances.push_back(e.w);
    tree.parent[a] = tree.parent[b] = k;
    leaves.up[rj] = ri;
    node[ri] = k;
    ++k;
  }
  if (k != n + merges) out_of_edges(k - n, merges);
  return tree;
}

index_t graph_components(index_t n, const i64* indptr, const i64* indices, i64* labels) {
  Tops tops(n);
  for (index_t i = 0; i < n; ++i)
    for (i64 p = indptr[i]; p < indptr[i + 1]; ++p) {
      const i64 a = tops.find(i), b = tops.find(indices[p]);
      if (a != b) tops.up[std::max(a, b)] = std::min(a, b);  // the root is the smallest node
    }
  index_t count = 0;
  std::vector<i64> label_of(n, -1);
  for (index_t i = 0; i < n; ++i) {
    const i64 r = tops.find(i);
    if (label_of[r] < 0) label_of[r] = count++;
    labels[i] = label_of[r];
  }
  return count;
}

template GraphTree graph_ward<float>(const float*, index_t, index_t, const i64*, const i64*, index_t);
template GraphTree graph_ward<double>(const double*, index_t, index_t, const i64*, const i64*, index_t);

}  // namespace kmix
