// The linkage algorithms (see linkage_driver.hpp). The O(n·d) scans of the raw-vector
// algorithms are ISA kernels (linkage.hpp); the matrix algorithms walk the condensed matrix
// here. Compiled once, for the baseline ISA.
#include "kmix/linkage_driver.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace kmix {
namespace {

struct Merge {
  index_t a, b;
  double height;
};

inline index_t condensed_index(index_t n, index_t i, index_t j) {
  if (i > j) std::swap(i, j);
  return n * i - i * (i + 1) / 2 + j - i - 1;
}

// Merges sorted by height (stable, as scipy's mergesort), then named as scipy does: each
// merge joins the current clusters (union–find roots) of its two members, smaller id first
// (or, with smaller_first false, in the order of the members, as scikit-learn's single linkage).
void sort_and_label(std::vector<Merge>& merges, index_t n, double* Z, bool smaller_first = true) {
  std::stable_sort(merges.begin(), merges.end(), [](const Merge& p, const Merge& q) { return p.height < q.height; });
  std::vector<index_t> parent(2 * n - 1), size(2 * n - 1, 1);
  std::iota(parent.begin(), parent.end(), index_t(0));
  auto find = [&](index_t x) {
    index_t root = x;
    while (parent[root] != root) root = parent[root];
    while (parent[x] != root) {
      const index_t next = parent[x];
      parent[x] = root;
      x = next;
    }
    return root;
  };
  for (index_t k = 0; k < n - 1; ++k) {
    const index_t rx = find(merges[k].a), ry = find(merges[k].b), id = n + k;
    parent[rx] = parent[ry] = id;
    size[id] = size[rx] + size[ry];
    Z[4 * k + 0] = double(smaller_first ? std::min(rx, ry) : rx);
    Z[4 * k + 1] = double(smaller_first ? std::max(rx, ry) : ry);
    Z[4 * k + 2] = merges[k].height;
    Z[4 * k + 3] = double(size[id]);
  }
}

// Lance–Williams: the distance from cluster i to the union of x and y, from d(i, x), d(i, y),
// d(x, y) and the sizes (scipy's formulas, on distances, not their squares).
double lance_williams(Method m, double dxi, double dyi, double dxy, double nx, double ny, double ni) {
  switch (m) {
    case Method::single: return std::min(dxi, dyi);
    case Method::complete: return std::max(dxi, dyi);
    case Method::average: return (nx * dxi + ny * dyi) / (nx + ny);
    case Method::weighted: return 0.5 * (dxi + dyi);
    case Method::ward: {
      const double t = 1.0 / (nx + ny + ni);
      return std::sqrt((ni + nx) * t * dxi * dxi + (ni + ny) * t * dyi * dyi - ni * t * dxy * dxy);
    }
    case Method::centroid:
      return std::sqrt(((nx * dxi * dxi) + (ny * dyi * dyi) - (nx * ny * dxy * dxy) / (nx + ny)) / (nx + ny));
    default:  // median
      return std::sqrt(0.5 * (dxi * dxi + dyi * dyi) - 0.25 * dxy * dxy);
  }
}

// lance_williams, with a NaN (an overflow, or the root of a rounding below zero) as +inf: the
// searches compare distances for equality and order, which NaN would break.
double updated_distance(Method m, double dxi, double dyi, double dxy, double nx, double ny, double ni) {
  const double v = lance_williams(m, dxi, dyi, dxy, nx, ny, ni);
  return v == v ? v : std::numeric_limits<double>::infinity();
}

// Prim on the condensed matrix, scanning rows in index order (first index wins ties).
void single_condensed(const double* D, index_t n, double* Z) {
  std::vector<char> merged(n, 0);
  std::vector<double> dist(n, std::numeric_limits<double>::infinity());
  std::vector<Merge> merges(n - 1);
  index_t x = 0;
  for (index_t k = 0; k < n - 1; ++k) {
    check_interrupt();
    merged[x] = 1;
    double best = std::numeric_limits<double>::infinity();
    index_t y = -1;
    for (index_t i = 0; i < n; ++i) {
      if (merged[i]) continue;
      const double v = D[condensed_index(n, x, i)];
      if (v < dist[i]) dist[i] = v;
      if (dist[i] < best || y < 0) {
        best = dist[i];
        y = i;
      }
    }
    merges[k] = {x, y, best};
    x = y;
  }
  sort_and_label(merges, n, Z);
}

// Nearest-neighbour chain on the condensed matrix; the union of x < y takes slot y.
void chain_condensed(double* D, index_t n, Method method, double* Z) {
  std::vector<double> size(n, 1.0);
  std::vector<index_t> chain;
  chain.reserve(n);
  std::vector<Merge> merges(n - 1);
  for (index_t k = 0; k < n - 1; ++k) {
    check_interrupt();
    if (chain.empty())
      for (index_t i = 0; i < n; ++i)
        if (size[i] > 0) {
          chain.push_back(i);
          break;
        }
    index_t x, y;
    double best;
    while (true) {  // one step can walk a long chain: poll within it too
      check_interrupt();
      x = chain.back();
      const index_t prev = chain.size() > 1 ? chain[chain.size() - 2] : -1;
      best = prev >= 0 ? D[condensed_index(n, x, prev)] : std::numeric_limits<double>::infinity();
      y = prev;
      for (index_t i = 0; i < n; ++i) {
        if (size[i] == 0 || i == x) continue;
        const double v = D[condensed_index(n, x, i)];
        if (v < best || y < 0) {
          best = v;
          y = i;
        }
      }
      if (prev >= 0 && y == prev) break;
      chain.push_back(y);
    }
    chain.resize(chain.size() - 2);
    if (x > y) std::swap(x, y);
    const double nx = size[x], ny = size[y];
    merges[k] = {x, y, best};
    size[x] = 0;
    size[y] = nx + ny;
    for (index_t i = 0; i < n; ++i) {
      if (size[i] == 0 || i == y) continue;
      double& dyi = D[condensed_index(n, i, y)];
      dyi = updated_distance(method, D[condensed_index(n, i, x)], dyi, best, nx, ny, size[i]);
    }
  }
  sort_and_label(merges, n, Z);
}

// A binary min-heap of values by key, with decrease/increase of a key's value.
class KeyedHeap {
 public:
  explicit KeyedHeap(const std::vector<double>& values)
      : value_(values), key_(values.size()), index_(values.size()), size_(index_t(values.size())) {
    std::iota(key_.begin(), key_.end(), index_t(0));
    std::iota(index_.begin(), index_.end(), index_t(0));
    for (index_t i = size_ / 2 - 1; i >= 0; --i) sift_down(i);
  }
  index_t top_key() const { return key_[0]; }
  double top_value() const { return value_[0]; }
  void pop() {
    swap(0, size_ - 1);
    --size_;
    sift_down(0);
  }
  void change(index_t key, double v) {
    const index_t i = index_[key];
    const double old = value_[i];
    value_[i] = v;
    if (v < old) sift_up(i); else sift_down(i);
  }

 private:
  void swap(index_t i, index_t j) {
    std::swap(value_[i], value_[j]);
    std::swap(key_[i], key_[j]);
    index_[key_[i]] = i;
    index_[key_[j]] = j;
  }
  void sift_up(index_t i) {
    while (i > 0 && value_[(i - 1) / 2] > value_[i]) {
      swap(i, (i - 1) / 2);
      i = (i - 1) / 2;
    }
  }
  void sift_down(index_t i) {
    for (index_t c = 2 * i + 1; c < size_; c = 2 * i + 1) {
      if (c + 1 < size_ && value_[c + 1] < value_[c]) ++c;
      if (!(value_[i] > value_[c])) break;
      swap(i, c);
      i = c;
    }
  }
  std::vector<double> value_;
  std::vector<index_t> key_, index_;  // key at a heap position; position of a key
  index_t size_;
};

// The generic algorithm (centroid, median: distances may shrink after a merge, so no chain):
// each cluster remembers its nearest neighbour among higher slots; a heap orders those; a
// stale top is recomputed before it is trusted.
void generic_condensed(double* D, index_t n, Method method, double* Z) {
  std::vector<double> size(n, 1.0), min_dist(n - 1);
  std::vector<index_t> id(n), neighbor(n - 1);
  std::iota(id.begin(), id.end(), index_t(0));
  auto nearest_above = [&](index_t x, double& dist) {
    index_t best = -1;
    dist = std::numeric_limits<double>::infinity();
    for (index_t y = x + 1; y < n; ++y) {
      if (size[y] == 0) continue;
      const double v = D[condensed_index(n, x, y)];
      if (v < dist || best < 0) {
        dist = v;
        best = y;
      }
    }
    return best;
  };
  for (index_t x = 0; x < n - 1; ++x) neighbor[x] = nearest_above(x, min_dist[x]);
  KeyedHeap heap(min_dist);
  for (index_t k = 0; k < n - 1; ++k) {
    check_interrupt();
    index_t x = heap.top_key(), y = neighbor[x];
    double dist = heap.top_value();
    while (!(size[y] > 0 && dist == D[condensed_index(n, x, y)])) {
      neighbor[x] = y = nearest_above(x, min_dist[x]);
      heap.change(x, min_dist[x]);
      x = heap.top_key();
      y = neighbor[x];
      dist = heap.top_value();
    }
    heap.pop();
    const double nx = size[x], ny = size[y];
    Z[4 * k + 0] = double(std::min(id[x], id[y]));
    Z[4 * k + 1] = double(std::max(id[x], id[y]));
    Z[4 * k + 2] = dist;
    Z[4 * k + 3] = nx + ny;
    size[x] = 0;
    size[y] = nx + ny;
    id[y] = n + k;
    for (index_t z = 0; z < n; ++z) {
      if (size[z] == 0 || z == y) continue;
      double& dzy = D[condensed_index(n, z, y)];
      dzy = updated_distance(method, D[condensed_index(n, z, x)], dzy, dist, nx, ny, size[z]);
    }
    for (index_t z = 0; z < x; ++z)  // x's neighbours now point at the union
      if (size[z] > 0 && neighbor[z] == x) neighbor[z] = y;
    for (index_t z = 0; z < y; ++z) {  // the union may be nearer than a cluster's neighbour
      if (size[z] == 0) continue;
      const double v = D[condensed_index(n, z, y)];
      if (v < min_dist[z]) {
        neighbor[z] = y;
        min_dist[z] = v;
        heap.change(z, v);
      }
    }
    if (y < n - 1) {
      double v;
      const index_t z = nearest_above(y, v);
      if (z >= 0) {
        neighbor[y] = z;
        min_dist[y] = v;
        heap.change(y, v);
      }
    }
  }
}

}  // namespace

template <class T>
void linkage_ward(const T* X, index_t n, index_t d, double* Z, int threads) {
  const TreeKernels& K = *kernels().tree;
  // Active clusters by position, feature-major, padded to whole vectors (see WardKernels);
  // a merged-away cluster's position is filled by the last one.
  const index_t stride = (n + 15) / 16 * 16;
  std::vector<double> cols(d * stride, 0.0), sizes(stride, 0.0), slots(stride, -2.0), cx(d);
  std::vector<index_t> pos(n), chain;
  std::vector<char> alive(n, 1);
  for (index_t i = 0; i < n; ++i) {
    for (index_t j = 0; j < d; ++j) cols[j * stride + i] = double(X[i * d + j]);
    sizes[i] = 1.0;
    slots[i] = double(i);
    pos[i] = i;
  }
  chain.reserve(n);
  std::vector<Merge> merges(n - 1);
  index_t m = n, lowest = 0;
  for (index_t k = 0; k < n - 1; ++k) {
    check_interrupt();
    if (chain.empty()) {  // scipy starts each chain at the lowest active slot
      while (!alive[lowest]) ++lowest;
      chain.push_back(lowest);
    }
    index_t x, y;
    double dist2;
    while (true) {  // one step can walk a long chain: poll within it too
      check_interrupt();
      x = chain.back();
      const index_t prev = chain.size() > 1 ? chain[chain.size() - 2] : -1;
      for (index_t j = 0; j < d; ++j) cx[j] = cols[j * stride + pos[x]];
      y = K.ward_nearest(cols.data(), stride, sizes.data(), slots.data(), m, d, cx.data(), sizes[pos[x]], x,
                    prev, &dist2, threads);
      if (prev >= 0 && y == prev) break;
      chain.push_back(y);
    }
    chain.resize(chain.size() - 2);
    if (x > y) std::swap(x, y);
    merges[k] = {x, y, std::sqrt(dist2)};
    const index_t px = pos[x], py = pos[y], last = m - 1;
    const double nx = sizes[px], ny = sizes[py];
    for (index_t j = 0; j < d; ++j) {
      double* col = cols.data() + j * stride;
      col[py] = (nx * col[px] + ny * col[py]) / (nx + ny);
    }
    sizes[py] = nx + ny;
    alive[x] = 0;
    for (index_t j = 0; j < d; ++j) cols[j * stride + px] = cols[j * stride + last];
    sizes[px] = sizes[last];
    slots[px] = slots[last];
    pos[index_t(slots[px])] = px;
    --m;
  }
  sort_and_label(merges, n, Z);
}

template <class T>
void linkage_single(const T* X, index_t n, index_t d, Metric metric, const double* norms, double* Z,
                    int threads, bool smaller_first) {
  const TreeKernels& K = *kernels().tree;
  // Rows outside the tree by position, feature-major and padded (see TreeKernels); the row
  // joining the tree gives its position to the last one. Row 0 starts the tree.
  const index_t stride = (n + 15) / 16 * 16;
  std::vector<double> cols(d * stride, 0.0), rows(stride, 0.0), row_norms(stride, 1.0), cx(d);
  std::vector<double> dist(stride, std::numeric_limits<double>::infinity());
  for (index_t t = 0; t < n - 1; ++t) {
    for (index_t j = 0; j < d; ++j) cols[j * stride + t] = double(X[(t + 1) * d + j]);
    rows[t] = double(t + 1);
    if (norms) row_norms[t] = norms[t + 1];
  }
  std::vector<Merge> merges(n - 1);
  index_t x = 0, m = n - 1;
  for (index_t k = 0; k < n - 1; ++k) {
    check_interrupt();
    for (index_t j = 0; j < d; ++j) cx[j] = double(X[x * d + j]);
    const index_t t = K.prim_step(cols.data(), stride, rows.data(), row_norms.data(), m, d, cx.data(),
                                  norms ? norms[x] : 1.0, metric, dist.data(), threads);
    const index_t y = index_t(rows[t]);
    merges[k] = {x, y, metric == Metric::euclidean ? std::sqrt(dist[t]) : dist[t]};
    const index_t last = m - 1;
    for (index_t j = 0; j < d; ++j) cols[j * stride + t] = cols[j * stride + last];
    rows[t] = rows[last];
    row_norms[t] = row_norms[last];
    dist[t] = dist[last];
    --m;
    x = y;
  }
  sort_and_label(merges, n, Z, smaller_first);
}

template <class T>
void pdist(const T* X, index_t n, index_t d, Metric metric, const double* norms, double* out, int threads) {
  linkage_kernels_for<T>().pdist(X, n, d, metric, norms, out, threads);
}

void linkage_condensed(double* D, index_t n, Method method, double* Z) {
  switch (method) {
    case Method::single: single_condensed(D, n, Z); break;
    case Method::centroid:
    case Method::median: generic_condensed(D, n, method, Z); break;
    default: chain_condensed(D, n, method, Z);
  }
}

#define KMIX_INSTANTIATE(T)                                                                   \
  template void linkage_ward<T>(const T*, index_t, index_t, double*, int);                  \
  template void linkage_single<T>(const T*, index_t, index_t, Metric, const double*, double*, \
                                  int, bool);                                                  \
  template void pdist<T>(const T*, index_t, index_t, Metric, const double*, double*, int);
KMIX_INSTANTIATE(float)
KMIX_INSTANTIATE(double)
#undef KMIX_INSTANTIATE

}  // namespace kmix
