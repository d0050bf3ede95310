// The linkage algorithms (see linkage_driver.hpp). The O(n·d) scans of the raw-vector
// algorithms are ISA kernels (linkage.hpp); the matrix algorithms walk the condensed matrix
// here. Compiled once, for the baseline ISA.
#include "kmix/linkage_driver.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <utility>
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

// The live cluster nearest x (the first index among equal distances) and its distance, over
// [lo, hi): -1 if there is none.
inline std::pair<double, index_t> nearest_in(const double* D, index_t n, const std::vector<double>& size, index_t x,
                                             index_t lo, index_t hi) {
  double best = std::numeric_limits<double>::infinity();
  index_t at = -1;
  // Above row x the entries (i, x) lie down a column, one cache line (and often one page) each.
  const index_t split = std::min(hi, std::max(lo, x));
  for (index_t i = lo; i < split; ++i) {
    if (size[i] == 0) continue;
    const double v = D[condensed_index(n, i, x)];
    if (v < best || at < 0) {
      best = v;
      at = i;
    }
  }
  for (index_t i = std::max(split, x + 1); i < hi; ++i) {
    if (size[i] == 0) continue;
    const double v = D[condensed_index(n, x, i)];
    if (v < best || at < 0) {
      best = v;
      at = i;
    }
  }
  return {best, at};
}

// Rows from which the chain's scans and updates are split between threads: below, a scan
// (a few microseconds) is cheaper than waking them.
constexpr index_t kChainThreadsFrom = 3000;

// The nearest-neighbour chain (complete, average, weighted), on either matrix. M names clusters
// as the matrix does and offers first_live() (a live cluster to start a chain from),
// nearest(x, k) (x's nearest live cluster as (distance, name), the first name among equals, after
// k merges), distance(x, y) and merge(x, y, distance, k) (the Lance-Williams updates; the union
// of x < y is named y).
template <class M>
void nn_chain(M& matrix, index_t n, double* Z) {
  std::vector<index_t> chain;
  chain.reserve(n);
  std::vector<Merge> merges(n - 1);
  for (index_t k = 0; k < n - 1; ++k) {
    check_interrupt();
    if (chain.empty()) chain.push_back(matrix.first_live());
    index_t x, y;
    double best;
    while (true) {  // one step can walk a long chain: poll within it too
      check_interrupt();
      x = chain.back();
      const index_t prev = chain.size() > 1 ? chain[chain.size() - 2] : -1;
      // The previous link stays x's nearest unless another is strictly nearer (scipy's rule):
      // otherwise the first at the smallest distance.
      const auto found = matrix.nearest(x, k);
      if (prev >= 0 && !(found.first < matrix.distance(x, prev))) {
        y = prev;
        best = matrix.distance(x, prev);
        break;
      }
      y = found.second;
      best = found.first;
      chain.push_back(y);
    }
    chain.resize(chain.size() - 2);
    if (x > y) std::swap(x, y);
    merges[k] = {x, y, best};
    matrix.merge(x, y, best, k);
  }
  sort_and_label(merges, n, Z);
}

// The chain's condensed matrix, clusters named by index; the union of x < y takes index y. With
// threads, each scan for x's nearest cluster is split into contiguous parts whose first minima
// are combined in order, and the Lance-Williams updates of row y are split too: the same merges
// for any thread count.
class CondensedRows {
 public:
  CondensedRows(double* D, index_t n, Method method, int threads)
      : D_(D),
        n_(n),
        method_(method),
        team_(n >= kChainThreadsFrom && threads > 1 ? threads : 1),
        size_(n, 1.0),
        part_(std::size_t(team_) * 8) {}

  index_t first_live() const {
    index_t i = 0;
    while (size_[i] == 0) ++i;
    return i;
  }

  std::pair<double, index_t> nearest(index_t x, index_t) {
    if (team_ == 1) return nearest_in(D_, n_, size_, x, 0, n_);
    const index_t per = (n_ + team_ - 1) / team_;
#pragma omp parallel num_threads(team_)
    for (int t = thread_index(); t < team_; t += team_threads())  // (the region may have fewer threads)
      part_[std::size_t(t) * 8] = nearest_in(D_, n_, size_, x, std::min(n_, t * per), std::min(n_, (t + 1) * per));
    std::pair<double, index_t> best{std::numeric_limits<double>::infinity(), -1};
    for (int t = 0; t < team_; ++t) {
      const auto& p = part_[std::size_t(t) * 8];
      if (p.second >= 0 && (best.second < 0 || p.first < best.first)) best = p;
    }
    return best;
  }

  double distance(index_t x, index_t y) const { return D_[condensed_index(n_, x, y)]; }

  void merge(index_t x, index_t y, double dxy, index_t) {
    const double nx = size_[x], ny = size_[y];
    size_[x] = 0;
    size_[y] = nx + ny;
#pragma omp parallel for schedule(static) num_threads(team_) if (team_ > 1)
    for (index_t i = 0; i < n_; ++i) {
      if (size_[i] == 0 || i == y) continue;
      double& dyi = D_[condensed_index(n_, i, y)];
      dyi = updated_distance(method_, D_[condensed_index(n_, i, x)], dyi, dxy, nx, ny, size_[i]);
    }
  }

 private:
  double* D_;
  index_t n_;
  Method method_;
  int team_;
  std::vector<double> size_;
  std::vector<std::pair<double, index_t>> part_;  // a cache line apart
};

void chain_condensed(double* D, index_t n, Method method, double* Z, int threads) {
  CondensedRows rows(D, n, method, threads);
  nn_chain(rows, n, Z);
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
    if (v < old) sift_up(i);
    else sift_down(i);
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
// each cluster remembers its nearest neighbour among higher names; a heap orders those; a stale
// top is recomputed before it is trusted. M offers nearest_above(x, dist, k) (the first live
// cluster above x at the least distance after k merges, -1 if none), nearest_above_all(neighbor,
// min_dist) (the same for every x < n − 1 at the start), current(x, y, dist) (y live and still
// at dist from x), size(x), and merge(x, y, dist, k, visit): the Lance-Williams updates, then
// visit(z, d(z, union)) for each live z below y other than x, in order.
template <class M>
void generic_linkage(M& matrix, index_t n, double* Z) {
  std::vector<double> min_dist(n - 1);
  std::vector<index_t> id(n), neighbor(n - 1);
  std::iota(id.begin(), id.end(), index_t(0));
  matrix.nearest_above_all(neighbor.data(), min_dist.data());
  KeyedHeap heap(min_dist);
  for (index_t k = 0; k < n - 1; ++k) {
    check_interrupt();
    index_t x = heap.top_key(), y = neighbor[x];
    double dist = heap.top_value();
    while (!matrix.current(x, y, dist)) {
      neighbor[x] = y = matrix.nearest_above(x, min_dist[x], k);
      heap.change(x, min_dist[x]);
      x = heap.top_key();
      y = neighbor[x];
      dist = heap.top_value();
    }
    heap.pop();
    const double nx = matrix.size(x), ny = matrix.size(y);
    Z[4 * k + 0] = double(std::min(id[x], id[y]));
    Z[4 * k + 1] = double(std::max(id[x], id[y]));
    Z[4 * k + 2] = dist;
    Z[4 * k + 3] = nx + ny;
    id[y] = n + k;
    matrix.merge(x, y, dist, k, [&](index_t z, double v) {
      if (z < x && neighbor[z] == x) neighbor[z] = y;  // x's neighbours now point at the union
      if (v < min_dist[z]) {                           // the union may be nearer than z's neighbour
        neighbor[z] = y;
        min_dist[z] = v;
        heap.change(z, v);
      }
    });
    if (y < n - 1) {
      double v;
      const index_t z = matrix.nearest_above(y, v, k + 1);
      if (z >= 0) {
        neighbor[y] = z;
        min_dist[y] = v;
        heap.change(y, v);
      }
    }
  }
}

// The generic algorithm's condensed matrix, clusters named by index; the union of x < y takes y.
class CondensedGeneric {
 public:
  CondensedGeneric(double* D, index_t n, Method method) : D_(D), n_(n), method_(method), size_(n, 1.0) {}

  index_t nearest_above(index_t x, double& dist, index_t) const {
    index_t best = -1;
    dist = std::numeric_limits<double>::infinity();
    for (index_t y = x + 1; y < n_; ++y) {
      if (size_[y] == 0) continue;
      const double v = D_[condensed_index(n_, x, y)];
      if (v < dist || best < 0) {
        dist = v;
        best = y;
      }
    }
    return best;
  }

  void nearest_above_all(index_t* neighbor, double* min_dist) const {
    for (index_t x = 0; x < n_ - 1; ++x) neighbor[x] = nearest_above(x, min_dist[x], 0);
  }

  bool current(index_t x, index_t y, double dist) const {
    return y >= 0 && size_[y] > 0 && dist == D_[condensed_index(n_, x, y)];
  }

  double size(index_t x) const { return size_[x]; }

  template <class Visit>
  void merge(index_t x, index_t y, double dxy, index_t, Visit visit) {
    const double nx = size_[x], ny = size_[y];
    size_[x] = 0;
    size_[y] = nx + ny;
    for (index_t z = 0; z < n_; ++z) {
      if (size_[z] == 0 || z == y) continue;
      double& dzy = D_[condensed_index(n_, z, y)];
      dzy = updated_distance(method_, D_[condensed_index(n_, z, x)], dzy, dxy, nx, ny, size_[z]);
    }
    for (index_t z = 0; z < y; ++z)
      if (size_[z] > 0) visit(z, D_[condensed_index(n_, z, y)]);
  }

 private:
  double* D_;
  index_t n_;
  Method method_;
  std::vector<double> size_;
};

void generic_condensed(double* D, index_t n, Method method, double* Z) {
  CondensedGeneric matrix(D, n, method);
  generic_linkage(matrix, n, Z);
}

// ---- the matrix algorithms on a square matrix --------------------------------------------------
// The same algorithms (chain_condensed, generic_condensed: the same merges, bit for bit) on the
// live clusters' distances held as a square symmetric matrix, at twice the condensed matrix's
// memory: a cluster's distances are one contiguous row, where the condensed matrix keeps half of
// them down a column, a cache line each (its scans and updates waited on memory for every one).
//
// A merge writes the union's row only. Its column (its distance in every other row, a cache line
// each again) is left stale, and a row is brought up to date when it is next read (sync). Since
// the last compaction every merge is logged, and a row synced since then replays the merges
// after on itself: each is a Lance–Williams update of the union's entry from the row's own
// entries for the two clusters merged (a merged-away position keeps its last value until the
// matrix is compacted) with the merge's distance and sizes: the same operands in the same order
// as the union's row took, so the same bits, and no other row read. An older row takes its
// entries for the live unions written since from their rows, which are up to date for it (a cache
// miss each: on 5000 points, complete linkage, this alone read 5.0M entries and took a third of
// the tree's time; with the replays, 2.3M). Most rows are never read again before their own
// cluster merges, so either reads a fraction of what writing the columns would write. The live
// unions are kept in a list by the time their rows were written, so that a sync visits only
// those it takes.
//
// Merged-away clusters are dropped from the matrix, in place, whenever they make up half its
// width, so that the scans shrink with the live clusters and the matrix ends in cache.
//
// Width from which the scans and updates of the square matrix are split between threads.
constexpr index_t kSquareThreadsFrom = 4096;

class LiveMatrix {
 public:
  // buf: the n·n matrix, or n·n doubles whose last n(n − 1)/2 hold the condensed matrix
  // (condensed: expanded in place).
  LiveMatrix(double* buf, index_t n, bool condensed, Method method, int threads)
      : S_(buf),
        m_(n),
        live_(n),
        method_(method),
        threads_(threads),
        size_(n, 1.0),
        slot_(n),
        pos_(n),
        written_(n, -1),
        synced_(n, 0),
        prev_(n, -1),
        next_(n, -1) {
    std::iota(slot_.begin(), slot_.end(), index_t(0));
    std::iota(pos_.begin(), pos_.end(), index_t(0));
    log_.reserve(n / 2 + 1);
    if (condensed) expand(threads);
  }
  index_t width() const { return m_; }
  double* row(index_t p) const { return S_ + p * m_; }
  const double* sizes() const { return size_.data(); }  // by position; 0: merged away
  double size(index_t p) const { return size_[p]; }
  index_t pos(index_t slot) const { return pos_[slot]; }  // -1: merged away
  index_t slot(index_t p) const { return slot_[p]; }

  // The distance between the live clusters of slots a and b: in a's row if it was brought up to
  // date after b's was written, else in b's (written after, so up to date for a).
  double distance(index_t a, index_t b) const {
    return written_[b] < synced_[a] ? S_[pos_[a] * m_ + pos_[b]] : S_[pos_[b] * m_ + pos_[a]];
  }

  // Slot a's row brought up to date after `now` merges: by replaying the merges logged since, or,
  // if the row is older than the log (the matrix was compacted since), from the rows of the live
  // unions written since, which are up to date for it.
  void sync(index_t a, index_t now) {
    const index_t p = pos_[a];
    if (synced_[a] >= now) return;
    if (synced_[a] >= log_base_) {
      switch (method_) {
        case Method::complete: replay<Method::complete>(p, synced_[a]); break;
        case Method::average: replay<Method::average>(p, synced_[a]); break;
        case Method::weighted: replay<Method::weighted>(p, synced_[a]); break;
        case Method::ward: replay<Method::ward>(p, synced_[a]); break;
        case Method::centroid: replay<Method::centroid>(p, synced_[a]); break;
        case Method::median: replay<Method::median>(p, synced_[a]); break;
        default: replay<Method::single>(p, synced_[a]);
      }
    } else {
      double* r = S_ + p * m_;
      for (index_t u = tail_; u >= 0 && written_[u] >= synced_[a]; u = prev_[u])
        if (u != a) r[pos_[u]] = S_[pos_[u] * m_ + p];
    }
    synced_[a] = now;
  }

  // Merge number k joined the clusters of slots x and y (distance dxy) into y, whose row (all its
  // entries) was written: x is dropped, the merge logged for the other rows.
  void merged(index_t x, index_t y, double dxy, index_t k) {
    const index_t px = pos_[x], py = pos_[y];
    log_.push_back({px, py, dxy, size_[px], size_[py]});
    size_[py] += size_[px];
    size_[px] = 0.0;
    pos_[x] = -1;
    unlist(x);
    unlist(y);
    written_[y] = k;
    synced_[y] = k + 1;
    prev_[y] = tail_;
    if (tail_ >= 0) next_[tail_] = y;
    tail_ = y;
    if (--live_ <= m_ / 2 && m_ >= kCompactFrom) compact(k + 1);
  }

 private:
  static constexpr index_t kCompactFrom = 256;

  struct Logged {  // a merge: the positions it joined (x into y), its distance and their sizes
    index_t px, py;
    double dxy, nx, ny;
  };

  void unlist(index_t s) {
    if (written_[s] < 0) return;  // never a union
    if (prev_[s] >= 0) next_[prev_[s]] = next_[s];
    if (next_[s] >= 0) prev_[next_[s]] = prev_[s];
    else tail_ = prev_[s];
    prev_[s] = next_[s] = -1;
    written_[s] = -1;  // (a row written again is listed again by merged)
  }

  // The logged merges from number `from` on, replayed on the row at position p.
  template <Method M>
  void replay(index_t p, index_t from) {
    double* r = S_ + p * m_;
    const double np = size_[p];
    const index_t first = from - log_base_, last = index_t(log_.size());
    if (last - first > 8) prefetch_values(r, m_);
    for (index_t e = first; e < last; ++e) {
      const Logged& g = log_[e];
      r[g.py] = updated_distance(M, r[g.px], r[g.py], g.dxy, g.nx, g.ny, np);
    }
  }

  // The condensed matrix in the tail of S_ to the square one. Each row's upper part is moved to
  // its place: the rows whose place lies wholly below the tail (the first half) in parallel, the
  // others in order (each place lies below every source not yet read: base ≥ (i + 1)(i + 2)/2).
  // Then the lower triangle from the upper, by tiles.
  void expand(int threads) {
    const index_t n = m_, base = n * n - n * (n - 1) / 2, head = std::min(n, base / n);
    auto source = [&](index_t i) { return S_ + base + n * i - i * (i + 1) / 2; };
    const int team = threads > 1 && n >= 1024 ? threads : 1;
#pragma omp parallel for schedule(dynamic, 64) num_threads(team) if (team > 1)
    for (index_t i = 0; i < head; ++i) std::memcpy(S_ + i * n + i + 1, source(i), sizeof(double) * (n - i - 1));
    for (index_t i = head; i < n; ++i) std::memmove(S_ + i * n + i + 1, source(i), sizeof(double) * (n - i - 1));
    mirror_upper_triangle(S_, n, team);
  }

  // The live rows and columns moved to the front, in place: row i (of L ≤ m/2) goes to
  // [i·L, (i + 1)·L), which ends at or below (i + 1)·m/2, so it can only overwrite the rows j <
  // (i + 1)/2, read from j·m on or later; rows [2^s, 2^(s+1)) are therefore moved together, in
  // parallel, once those before are. (Stale entries move as they are: the log, by position, is
  // dropped, and sync finds the unions' rows by slot.)
  void compact(index_t now) {
    std::vector<index_t> keep;
    keep.reserve(live_);
    for (index_t p = 0; p < m_; ++p)
      if (size_[p] != 0.0) keep.push_back(p);
    const index_t L = index_t(keep.size());
    log_.clear();
    log_base_ = now;
    for (index_t lo = 0, hi = 1; lo < L; lo = hi, hi = std::min(L, 2 * hi)) {
      check_interrupt();
      const int team = threads_ > 1 && (hi - lo) * L >= (index_t(1) << 16) ? threads_ : 1;
#pragma omp parallel for schedule(static) num_threads(team) if (team > 1)
      for (index_t i = lo; i < hi; ++i) {
        const double* src = S_ + keep[i] * m_;
        double* dst = S_ + i * L;
        for (index_t j = 0; j < L; ++j) dst[j] = src[keep[j]];
      }
    }
    for (index_t i = 0; i < L; ++i) {
      size_[i] = size_[keep[i]];
      slot_[i] = slot_[keep[i]];
      pos_[slot_[i]] = i;
    }
    m_ = L;
  }

  double* S_;
  index_t m_, live_;
  Method method_;
  int threads_;
  std::vector<double> size_;   // by position; 0 once merged away
  std::vector<index_t> slot_;  // position → the cluster's slot (0 … n − 1)
  std::vector<index_t> pos_;   // slot → position
  // By slot: the merge that last wrote the row (-1: none, or merged away), the merges done when
  // the row was last brought up to date, and the list of live unions by written_ (tail newest).
  std::vector<index_t> written_, synced_, prev_, next_;
  index_t tail_ = -1;
  std::vector<Logged> log_;  // the merges since the last compaction, the first numbered log_base_
  index_t log_base_ = 0;
};

// The live position nearest position p among [lo, hi) (the first at the least distance), or -1:
// the least value per block of kBlock (TreeKernels::live_row_min, at the CPU's ISA level), the
// first block that holds the least of all, then the first live position in it that holds it
// (one block read twice, not the row).
inline std::pair<double, index_t> row_nearest(const double* row, const double* size, index_t p, index_t lo,
                                              index_t hi) {
  constexpr index_t kBlock = 128;
  index_t block;
  const double best = kernels().tree->live_row_min(row, size, p, lo, hi, kBlock, &block);
  if (block >= 0) {
    for (index_t q = block; q < std::min(hi, block + kBlock); ++q)
      if (size[q] != 0.0 && q != p && row[q] == best) return {row[q], q};  // (row[q]: the bits of a zero's sign too)
  }
  for (index_t q = lo; q < hi; ++q)  // nothing below +inf: the first live position, as scipy's scan
    if (size[q] != 0.0 && q != p) return {row[q], q};
  return {std::numeric_limits<double>::infinity(), -1};
}

constexpr int kMaxTeam = 64;

// row_nearest of an up-to-date row over [lo, m), split into contiguous parts between threads
// whose first minima are combined in order: the same answer for any thread count.
std::pair<double, index_t> live_nearest(const LiveMatrix& M, index_t p, index_t lo, int threads) {
  const index_t m = M.width();
  const int team = threads > 1 && m - lo >= kSquareThreadsFrom ? std::min(threads, kMaxTeam) : 1;
  if (team == 1) return row_nearest(M.row(p), M.sizes(), p, lo, m);
  std::pair<double, index_t> part[kMaxTeam];
  const index_t per = (m - lo + team - 1) / team;
#pragma omp parallel num_threads(team)
  for (int t = thread_index(); t < team; t += team_threads())  // (the region may have fewer threads)
    part[t] = row_nearest(M.row(p), M.sizes(), p, std::min(m, lo + t * per), std::min(m, lo + (t + 1) * per));
  std::pair<double, index_t> best{std::numeric_limits<double>::infinity(), -1};
  for (int t = 0; t < team; ++t)
    if (part[t].second >= 0 && (best.second < 0 || part[t].first < best.first)) best = part[t];
  return best;
}

// ry[q] for q in [lo, hi) with size[q] > 0 updated from rx[q] (the union of clusters x and y).
// Computed everywhere and kept where live: no branch, so it vectorizes (pointers as arguments, not
// read through an OpenMP region's shared data, which the stores might alias).
template <Method M>
void lance_williams_rows(const double* rx, double* ry, const double* size, index_t lo, index_t hi, double dxy,
                         double nx, double ny) {
  for (index_t q = lo; q < hi; ++q) {
    const double v = updated_distance(M, rx[q], ry[q], dxy, nx, ny, size[q]);
    ry[q] = size[q] != 0.0 ? v : ry[q];
  }
}

// The Lance–Williams update of merge k, of slots x and y (distance dxy) into y: y's row from
// the two rows (brought up to date first), in parallel over the other live positions.
template <Method M>
void merge_rows_of(LiveMatrix& L, index_t x, index_t y, double dxy, index_t k, int threads) {
  L.sync(x, k);
  L.sync(y, k);
  const index_t m = L.width(), px = L.pos(x), py = L.pos(y);
  const double *rx = L.row(px), nx = L.size(px), ny = L.size(py), *size = L.sizes();
  double* ry = L.row(py);
  const double keep_x = ry[px], keep_y = ry[py];  // (x's size is not yet 0)
  const int team = threads > 1 && m >= kSquareThreadsFrom ? threads : 1;
#pragma omp parallel num_threads(team) if (team > 1)
  for (int t = thread_index(); t < team; t += team_threads())  // (the region may have fewer threads)
    lance_williams_rows<M>(rx, ry, size, m * t / team, m * (t + 1) / team, dxy, nx, ny);
  ry[px] = keep_x;
  ry[py] = keep_y;
}

void merge_rows(LiveMatrix& L, Method method, index_t x, index_t y, double dxy, index_t k, int threads) {
  switch (method) {
    case Method::complete: return merge_rows_of<Method::complete>(L, x, y, dxy, k, threads);
    case Method::average: return merge_rows_of<Method::average>(L, x, y, dxy, k, threads);
    case Method::weighted: return merge_rows_of<Method::weighted>(L, x, y, dxy, k, threads);
    case Method::ward: return merge_rows_of<Method::ward>(L, x, y, dxy, k, threads);
    case Method::centroid: return merge_rows_of<Method::centroid>(L, x, y, dxy, k, threads);
    case Method::median: return merge_rows_of<Method::median>(L, x, y, dxy, k, threads);
    default: return merge_rows_of<Method::single>(L, x, y, dxy, k, threads);
  }
}

// The chain's square matrix (LiveMatrix), clusters named by slot.
class SquareRows {
 public:
  SquareRows(LiveMatrix& L, Method method, int threads) : L_(L), method_(method), threads_(threads) {}

  index_t first_live() const {
    index_t p = 0;
    while (L_.size(p) == 0.0) ++p;
    return L_.slot(p);
  }

  std::pair<double, index_t> nearest(index_t x, index_t k) {
    L_.sync(x, k);
    const auto found = live_nearest(L_, L_.pos(x), 0, threads_);
    return {found.first, found.second >= 0 ? L_.slot(found.second) : index_t(-1)};
  }

  double distance(index_t x, index_t y) const { return L_.distance(x, y); }

  void merge(index_t x, index_t y, double dxy, index_t k) {
    merge_rows(L_, method_, x, y, dxy, k, threads_);
    L_.merged(x, y, dxy, k);
  }

 private:
  LiveMatrix& L_;
  Method method_;
  int threads_;
};

void chain_square(double* buf, index_t n, bool condensed, Method method, double* Z, int threads) {
  LiveMatrix L(buf, n, condensed, method, threads);
  SquareRows rows(L, method, threads);
  nn_chain(rows, n, Z);
}

// The generic algorithm's square matrix (LiveMatrix), clusters named by slot.
class SquareGeneric {
 public:
  SquareGeneric(LiveMatrix& L, index_t n, Method method, int threads)
      : L_(L), n_(n), method_(method), threads_(threads) {}

  index_t nearest_above(index_t x, double& dist, index_t k) {
    L_.sync(x, k);
    const index_t p = L_.pos(x);
    const auto found = live_nearest(L_, p, p + 1, threads_);
    dist = found.first;
    return found.second >= 0 ? L_.slot(found.second) : index_t(-1);
  }

  void nearest_above_all(index_t* neighbor, double* min_dist) const {
    const int team = threads_ > 1 && n_ >= kSquareThreadsFrom ? threads_ : 1;
#pragma omp parallel for schedule(dynamic, 16) num_threads(team) if (team > 1)
    for (index_t x = 0; x < n_ - 1; ++x) {
      const auto found = row_nearest(L_.row(x), L_.sizes(), x, x + 1, n_);
      neighbor[x] = found.second;
      min_dist[x] = found.first;
    }
  }

  bool current(index_t x, index_t y, double dist) const {
    return y >= 0 && L_.pos(y) >= 0 && dist == L_.distance(x, y);
  }

  double size(index_t x) const { return L_.size(L_.pos(x)); }

  template <class Visit>
  void merge(index_t x, index_t y, double dxy, index_t k, Visit visit) {
    const index_t px = L_.pos(x), py = L_.pos(y);
    merge_rows(L_, method_, x, y, dxy, k, threads_);
    const double* ry = L_.row(py);
    const double* size = L_.sizes();
    for (index_t q = 0; q < py; ++q)  // in slot order, which positions keep
      if (size[q] != 0.0 && q != px) visit(L_.slot(q), ry[q]);
    L_.merged(x, y, dxy, k);
  }

 private:
  LiveMatrix& L_;
  index_t n_;
  Method method_;
  int threads_;
};

void generic_square(double* buf, index_t n, bool condensed, Method method, double* Z, int threads) {
  LiveMatrix L(buf, n, condensed, method, threads);
  SquareGeneric matrix(L, n, method, threads);
  generic_linkage(matrix, n, Z);
}

void square_tree(double* buf, index_t n, bool condensed, Method method, double* Z, int threads) {
  switch (method) {
    case Method::centroid:
    case Method::median: generic_square(buf, n, condensed, method, Z, threads); break;
    case Method::single: throw std::invalid_argument("the square matrix is not used for single linkage");
    default: chain_square(buf, n, condensed, method, Z, threads);
  }
}

// ---- optimal leaf ordering -------------------------------------------------------------------
// Bar-Joseph, Gifford & Jaakkola (2001), "Fast optimal leaf ordering for hierarchical
// clustering". Positions 0..n−1 are the leaves in the tree's current order (left child first, as
// scipy's leaves_list), so every cluster is a range of them and a cluster (A, B) has A's range
// just before B's. For leaves u of A and w of B, M[u][w] is the least sum of distances between
// neighbouring leaves over the orderings of A ∪ B that start at u and end at w:
//   M[u][w] = min over m, k of M[u][m] + D[m][k] + M[k][w],
// m in the child of A that u is not in (A itself when A is a leaf), k likewise in B.
//
// The result must be scipy's optimal_leaf_ordering, so its rules are kept:
//  * M holds float32; a candidate is float32(double(float32(M[u][m] + M[w][k])) + D[m][k]);
//  * a child's orientation comes from its parent's own best (u, w) (the first least M[u][w], by u
//    then w): a row is flipped when an odd number of the decisions on it and its ancestors say so.
// M[u][w] is the least candidate, found exactly (whatever order equal values come in, whatever
// the thread count) but without trying every (m, k): Q[w][m] = min over k of M[w][k] + D[m][k]
// (real sums, in double; a min-plus kernel at the CPU's ISA level) bounds all of m's candidates
// from below by M[u][m] + Q[w][m]. The m of least bound is tried first, then only the m whose
// bound, allowing for the few float32 roundings a candidate takes, is below the best so far
// (rarely any); an m tries its k by increasing M[w][k] up to the first whose candidate cannot win
// even at m's least D (that test rounds as a candidate does). So the cost is |W|·|M|·(|K| + |U|)
// per part, about n³/6 on a balanced tree and n² on a chain; scipy's search (the paper's early
// termination, bounded by the least D of the whole part) tries far more (m, k) on balanced trees.

// A leaf position and its M value in one integer that sorts as (value, position): M is never
// negative, and the bits of non-negative floats order as they do (so std::sort needs no
// comparator call).
using Ranked = std::uint64_t;
inline Ranked rank_of(float value, index_t pos) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return (Ranked(bits) << 32) | Ranked(std::uint32_t(pos));
}
inline float ranked_value(Ranked r) {
  const std::uint32_t bits = std::uint32_t(r >> 32);
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}
inline index_t ranked_pos(Ranked r) { return index_t(r & 0xffffffffu); }

// Index in a condensed matrix of row p's entries: S[row_start(n, p) + q] is entry (p, q), q > p.
inline index_t row_start(index_t n, index_t p) { return n * p - p * (p + 1) / 2 - p - 1; }

// A candidate's real sum s = M[u][m] + M[w][k] + D[m][k] and its float32 value c satisfy
// c >= float32(s·(1 − 2^-24 − 2^-53)) (the float32 sum loses at most 2^-24·s, the double sum
// 2^-53·s). So an m whose bound (computed in double, a few 2^-53 off) is at least
// best·(1 + 2^-22) has no candidate below the float32 best.
constexpr double kSkipFactor = 1.0 + 1.0 / double(1 << 22);

// Positions [end0, end1) (the ends on one side: u in A, or w in B) and [join0, join1) (that
// side's leaves at the join between A and B: m, or k).
struct Part {
  index_t end0, end1, join0, join1;
};

class LeafOrdering {
 public:
  LeafOrdering(index_t n, int threads)
      : K_(*kernels().tree), n_(n), threads_(threads), M_(std::size_t(n) * std::size_t(n), 0.0f) {}

  // M[u][w] for u, w at the ends of parts a (in A) and b (in B); S: distances between positions.
  void fill(const Part& a, const Part& b, const double* S) {
    const index_t n_u = a.end1 - a.end0, n_m = a.join1 - a.join0;
    const index_t n_w = b.end1 - b.end0, n_k = b.join1 - b.join0;
    const bool parallel = threads_ > 1 && n_w * n_m * n_k + n_u * n_w * n_m >= (index_t(1) << 20);
    // Sorting each w's k pays when several u search them (a chain of single leaves has one u
    // and long k lists: those are scanned whole instead).
    sorted_k_ = n_u >= 4;
    const bool sorted_k = sorted_k_;
    // Per thread: one side's M as doubles, allocated here (nothing may throw in a parallel region).
    row_.resize(std::size_t(threads_) * std::size_t(n_k));
    ad_.resize(std::size_t(threads_) * std::size_t(n_m));
    near_.resize(std::size_t(n_m));
    by_w_.resize(std::size_t(n_w * n_k));
    Q_.resize(std::size_t(n_w * n_m));
    StopFlag stop;
    for (index_t i = 0; i < n_m; ++i) {                                // each m's least distance to the k side
      const double* row = S + (row_start(n_, a.join0 + i) + b.join0);  // D[m][k], k from join0
      double v = std::numeric_limits<double>::infinity();
      for (index_t k = 0; k < n_k; ++k) v = std::min(v, row[k]);
      near_[std::size_t(i)] = v;
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_) if (parallel)
    for (index_t j = 0; j < n_w; ++j) {
      if (stop.stop()) continue;
      const index_t w = b.end0 + j;
      ranked(w, b.join0, b.join1, by_w_.data() + j * n_k, sorted_k);
      double* bw = row_.data() + std::size_t(thread_index()) * std::size_t(n_k);
      const float* mw = M_.data() + std::size_t(w) * n_ + b.join0;
      for (index_t k = 0; k < n_k; ++k) bw[k] = mw[k];
      for (index_t i = 0; i < n_m; ++i)
        Q_[std::size_t(j * n_m + i)] = K_.min_plus(bw, S + (row_start(n_, a.join0 + i) + b.join0), n_k);
    }
    stop.rethrow();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_) if (parallel)
    for (index_t i = 0; i < n_u; ++i) {
      if (stop.stop()) continue;
      const index_t u = a.end0 + i;
      const float* au = M_.data() + std::size_t(u) * n_ + a.join0;  // M[u][m], m from join0
      double* ad = ad_.data() + std::size_t(thread_index()) * std::size_t(n_m);
      for (index_t t = 0; t < n_m; ++t) ad[t] = au[t];
      float* mu = M_.data() + std::size_t(u) * n_ + b.end0;  // M[u][w], w from end0: this thread's row
      for (index_t j = 0; j < n_w; ++j)
        mu[j] = least_join(au, ad, n_m, Q_.data() + j * n_m, by_w_.data() + j * n_k, n_k, a.join0, S);
    }
    stop.rethrow();
    // M is symmetric: M[w][u] after the loop, so that no two threads write one cache line.
    for (index_t j = 0; j < n_w; ++j) {
      float* mw = M_.data() + std::size_t(b.end0 + j) * n_ + a.end0;
      const float* mu = M_.data() + std::size_t(a.end0) * n_ + b.end0 + j;
      for (index_t i = 0; i < n_u; ++i) mw[i] = mu[std::size_t(i) * n_];
    }
  }

  // The first least M[u][w] (by u, then w) over u in [u0, u1), w in [w0, w1).
  void best_ends(index_t u0, index_t u1, index_t w0, index_t w1, index_t* best_u, index_t* best_w) const {
    float best = std::numeric_limits<float>::infinity();
    *best_u = u0;
    *best_w = w0;
    for (index_t u = u0; u < u1; ++u) {
      const float* row = M_.data() + std::size_t(u) * n_;
      for (index_t w = w0; w < w1; ++w)
        if (row[w] < best) {
          best = row[w];
          *best_u = u;
          *best_w = w;
        }
    }
  }

 private:
  // (M[x][p], p) for p in [p0, p1) into out, sorted if asked.
  void ranked(index_t x, index_t p0, index_t p1, Ranked* out, bool sorted) const {
    const float* row = M_.data() + std::size_t(x) * n_;
    for (index_t p = p0; p < p1; ++p) out[p - p0] = rank_of(row[p], p);
    if (sorted) std::sort(out, out + (p1 - p0));
  }

  // The least candidate of m (at index i of its side, a = M[u][m]) over the k of w (by_w), or
  // `best` if none is below it: with by_w sorted, stops at the first k that cannot win even at
  // m's least D.
  float join_at(index_t i, float a, const Ranked* by_w, index_t n_k, index_t m0, const double* S, float best) const {
    const double low = near_[std::size_t(i)];
    const index_t start = row_start(n_, m0 + i);  // D[m][k] = S[start + k]
    for (index_t j = 0; j < n_k; ++j) {
      const double x = static_cast<double>(a + ranked_value(by_w[j]));  // the float32 sum, as scipy's
      if (static_cast<float>(x + low) >= best) {
        if (sorted_k_) break;
        continue;
      }
      const float c = static_cast<float>(x + S[start + ranked_pos(by_w[j])]);
      if (c < best) best = c;
    }
    return best;
  }

  // M[u][w]: au = M[u][m] over the m side (ad: the same as doubles), q = Q[w][m], by_w = w's k.
  float least_join(const float* au, const double* ad, index_t n_m, const double* q, const Ranked* by_w, index_t n_k,
                   index_t m0, const double* S) const {
    // The m of least bound first (the best so far is then close to the answer), then any other
    // whose bound is below the best (a double test that only skips an m all of whose candidates
    // are >= the best: see kSkipFactor). One pass finds the least bound and the next: there is
    // rarely another m to try.
    const double inf = std::numeric_limits<double>::infinity();
    double lowest = inf, second = inf;
    index_t first = 0;
    for (index_t i = 0; i < n_m; ++i) {
      const double bound = ad[i] + q[i];
      if (bound < lowest) {
        second = lowest;
        lowest = bound;
        first = i;
      } else if (bound < second) {
        second = bound;
      }
    }
    float best = join_at(first, au[first], by_w, n_k, m0, S, std::numeric_limits<float>::infinity());
    double cut = static_cast<double>(best) * kSkipFactor;
    if (!(second < cut)) return best;
    for (index_t i = 0; i < n_m; ++i) {
      if (ad[i] + q[i] >= cut || i == first) continue;
      const float v = join_at(i, au[i], by_w, n_k, m0, S, best);
      if (v < best) {
        best = v;
        cut = static_cast<double>(best) * kSkipFactor;
      }
    }
    return best;
  }

  const TreeKernels& K_;  // min_plus, at the CPU's ISA level
  index_t n_;
  int threads_;
  std::vector<float> M_;      // n×n, M[u][w] for u, w on either side of their lowest common cluster
  std::vector<Ranked> by_w_;  // for each w of the part being filled, its k (sorted by M[w][k]: sorted_k_)
  bool sorted_k_ = true;
  std::vector<double> Q_;     // for each w, Q[w][m] over the m side
  std::vector<double> near_;  // for each m, its least D to the k side
  std::vector<double> row_;   // per thread: M[w][k] over the k side, as doubles
  std::vector<double> ad_;    // per thread: M[u][m] over the m side, as doubles
};

// ---- centroid and median on raw vectors ---------------------------------------------------------
// The generic algorithm (generic_linkage) on the clusters' centers instead of a matrix: O(n·d)
// memory, each distance computed when it is needed. A union's center is the mean of its members
// (centroid) or the midpoint of its two parts' centers (median); the distances between centers
// are the ones the Lance-Williams updates of the matrix give, up to rounding. They are kept
// squared (they order as the distances do; Z takes the roots at the end), and a pair's value is
// the same bits whichever of the two asks (the difference only changes sign) and whichever
// vector, range or thread computes it (TreeKernels::centroid_row), as current() needs.
//
// The live clusters by position in slot order, feature-major and padded (TreeKernels); merged-away
// positions are dropped, in place, when they make up a quarter of the width (10% faster than at
// half), so the scans shrink with the live clusters. A merge computes the union's distances to every live cluster once:
// the visit needs those below it and the union's next nearest_above those above.
class CenterVectors {
 public:
  template <class T>
  CenterVectors(const T* X, index_t n, index_t d, Method method, int threads)
      : K_(*kernels().tree),
        n_(n),
        d_(d),
        m_(n),
        live_(n),
        stride_((n + 15) / 16 * 16),
        median_(method == Method::median),
        threads_(threads),
        cols_(d * stride_, 0.0),
        alive_(stride_, 0.0),
        out_(stride_, 0.0),
        center_(d),
        size_(n, 1.0),
        slot_(n),
        pos_(n) {
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < d; ++j) cols_[j * stride_ + i] = double(X[i * d + j]);
    std::fill(alive_.begin(), alive_.begin() + n, 1.0);
    std::iota(slot_.begin(), slot_.end(), index_t(0));
    std::iota(pos_.begin(), pos_.end(), index_t(0));
  }

  index_t nearest_above(index_t x, double& dist, index_t k) {
    if (union_ == x && union_at_ == k) {  // found by the merge that made x
      dist = union_dist_;
      return union_near_;
    }
    const index_t p = pos_[x];
    load_center(p, center_.data());
    const index_t q = search(p + 1, p + 1, m_, center_.data(), out_.data(), &dist, threads_);
    return q >= 0 ? slot_[q] : index_t(-1);
  }

  void nearest_above_all(index_t* neighbor, double* min_dist) const {
    const int team = threads_ > 1 && n_ >= 1024 ? threads_ : 1;
    std::vector<double> rows(std::size_t(team) * std::size_t(stride_)), centers(std::size_t(team) * std::size_t(d_));
    StopFlag stop;
#pragma omp parallel for schedule(dynamic, 16) num_threads(team) if (team > 1)
    for (index_t x = 0; x < n_ - 1; ++x) {
      if (stop.stop()) continue;
      double* row = rows.data() + std::size_t(thread_index()) * std::size_t(stride_);
      double* c = centers.data() + std::size_t(thread_index()) * std::size_t(d_);
      load_center(x, c);
      neighbor[x] = search(x + 1, x + 1, n_, c, row, min_dist + x, 1);  // (no merges yet: slot = position)
    }
    stop.rethrow();
  }

  bool current(index_t x, index_t y, double dist) {
    if (y < 0 || pos_[y] < 0) return false;
    const index_t py = pos_[y];
    load_center(pos_[x], center_.data());
    double unused;
    search(py, py + 1, py + 1, center_.data(), out_.data(), &unused, 1);  // (py's vector, no search)
    return dist == out_[py];
  }

  double size(index_t x) const { return size_[pos_[x]]; }

  template <class Visit>
  void merge(index_t x, index_t y, double, index_t k, Visit visit) {
    const index_t px = pos_[x], py = pos_[y];
    const double nx = size_[px], ny = size_[py];
    for (index_t j = 0; j < d_; ++j) {
      double* col = cols_.data() + j * stride_;
      col[py] = median_ ? 0.5 * (col[px] + col[py]) : (nx * col[px] + ny * col[py]) / (nx + ny);
    }
    size_[py] = nx + ny;
    size_[px] = 0.0;
    alive_[px] = 0.0;
    pos_[x] = -1;
    load_center(py, center_.data());
    const index_t q = search(0, py + 1, m_, center_.data(), out_.data(), &union_dist_, threads_);
    for (index_t p = 0; p < py; ++p)  // in slot order, which positions keep
      if (alive_[p] != 0.0) visit(slot_[p], out_[p]);
    union_ = y;
    union_at_ = k + 1;
    union_near_ = q >= 0 ? slot_[q] : index_t(-1);
    if (--live_ <= m_ - m_ / 4 && m_ >= kCompactFrom) compact();
  }

 private:
  static constexpr index_t kCompactFrom = 256;

  void load_center(index_t p, double* c) const {
    for (index_t j = 0; j < d_; ++j) c[j] = cols_[j * stride_ + p];
  }

  // out[t] = ‖c_t − c‖² for t in [lo, hi) and the first live position in [from, hi) at the least.
  index_t search(index_t lo, index_t from, index_t hi, const double* c, double* out, double* dist, int threads) const {
    return K_.centroid_row(cols_.data(), stride_, alive_.data(), lo, from, hi, d_, c, out, dist, threads);
  }

  // The live positions moved to the front, in order.
  void compact() {
    index_t L = 0;
    for (index_t p = 0; p < m_; ++p) {
      if (alive_[p] == 0.0) continue;
      for (index_t j = 0; j < d_; ++j) cols_[j * stride_ + L] = cols_[j * stride_ + p];
      size_[L] = size_[p];
      slot_[L] = slot_[p];
      pos_[slot_[L]] = L;
      ++L;
    }
    std::fill(alive_.begin(), alive_.begin() + L, 1.0);
    std::fill(alive_.begin() + L, alive_.begin() + m_, 0.0);
    m_ = L;
  }

  const TreeKernels& K_;
  index_t n_, d_, m_, live_, stride_;
  bool median_;
  int threads_;
  std::vector<double> cols_;    // d × stride: feature j of position t at j·stride + t
  std::vector<double> alive_;   // by position: 1 live, 0 merged away (or padding)
  std::vector<double> out_;     // a row of squared distances by position
  std::vector<double> center_;  // the center whose row is being computed
  std::vector<double> size_;    // by position
  std::vector<index_t> slot_;   // position → slot
  std::vector<index_t> pos_;    // slot → position (-1: merged away)
  // The last merge's union, the merges done after it, and its nearest live cluster above it.
  index_t union_ = -1, union_at_ = -1, union_near_ = -1;
  double union_dist_ = 0.0;
};

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
      y = K.ward_nearest(cols.data(), stride, sizes.data(), slots.data(), m, d, cx.data(), sizes[pos[x]], x, prev,
                         &dist2, threads);
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
void linkage_centroid(const T* X, index_t n, index_t d, Method method, double* Z, int threads) {
  if (method != Method::centroid && method != Method::median)
    throw std::invalid_argument("linkage_centroid is for the centroid and median methods");
  CenterVectors centers(X, n, d, method, threads);
  generic_linkage(centers, n, Z);
  for (index_t k = 0; k + 1 < n; ++k) Z[4 * k + 2] = std::sqrt(Z[4 * k + 2]);
}

template <class T>
void linkage_single(const T* X, index_t n, index_t d, Metric metric, const double* norms, double* Z, int threads,
                    bool smaller_first) {
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

void linkage_condensed(double* D, index_t n, Method method, double* Z, int threads) {
  switch (method) {
    case Method::single: single_condensed(D, n, Z); break;
    case Method::centroid:
    case Method::median: generic_condensed(D, n, method, Z); break;
    default: chain_condensed(D, n, method, Z, threads);
  }
}

void linkage_square(double* buf, index_t n, Method method, double* Z, int threads) {
  square_tree(buf, n, true, method, Z, threads);
}

template <class T>
void linkage_square_observations(const T* X, index_t n, index_t d, Metric metric, const double* norms, Method method,
                                 double* buf, double* Z, int threads) {
  if (method == Method::single) throw std::invalid_argument("the square matrix is not used for single linkage");
  // As linkage_condensed's binding checks its matrix: finite distances >= 0 (X or its norms
  // with inf or NaN, or products that overflow, would give NaN, which the searches cannot order).
  const bool bad = !linkage_kernels_for<T>().pdist_square(X, n, d, metric, norms, buf, threads);
  if (bad)
    throw std::invalid_argument("the distances of X are not all finite and >= 0 (inf or NaN in X or its norms?)");
  square_tree(buf, n, false, method, Z, threads);
}

void optimal_leaf_ordering(const std::int64_t* children, index_t n, const double* D, std::uint8_t* flips, int threads) {
  const index_t rows = n - 1, nodes = 2 * n - 1;
  auto child = [&](index_t row, int side) { return index_t(children[2 * row + side]); };
  // Each cluster's size and first position in the current leaf order, top-down from the root.
  std::vector<index_t> size(nodes, 1), first(nodes, 0), leaf_at(n);
  for (index_t r = 0; r < rows; ++r) size[n + r] = size[child(r, 0)] + size[child(r, 1)];
  for (index_t r = rows - 1; r >= 0; --r) {
    first[child(r, 0)] = first[n + r];
    first[child(r, 1)] = first[n + r] + size[child(r, 0)];
  }
  for (index_t i = 0; i < n; ++i) leaf_at[first[i]] = i;

  // S: D between positions, condensed, scaled by 2^-e so that the largest is in [0.5, 1). Exact,
  // and the same float32 roundings as unscaled (scipy's) wherever those stay in float32's normal
  // range; it keeps every M far below scipy's starting bound of 2^30, beyond which scipy's own
  // result is undefined.
  const index_t count = n * (n - 1) / 2;
  double largest = 0.0;
  for (index_t i = 0; i < count; ++i) largest = std::max(largest, D[i]);
  int e = 0;
  if (largest > 0.0) std::frexp(largest, &e);
  std::vector<double> S(std::size_t(count > 0 ? count : 0));
  const double factor = std::ldexp(1.0, -e);  // exact; ldexp itself where 2^-e is not a normal double
  const bool by_factor = e > -1000 && e < 1000;
  auto scale_by = [&](double v) { return by_factor ? v * factor : std::ldexp(v, -e); };
  {
    StopFlag stop;
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads) if (n > 512)
    for (index_t p = 0; p < n - 1; ++p) {
      if (stop.stop()) continue;
      const index_t start = row_start(n, p), lp = leaf_at[p];
      for (index_t q = p + 1; q < n; ++q) S[start + q] = scale_by(D[condensed_index(n, lp, leaf_at[q])]);
    }
    stop.rethrow();
  }

  LeafOrdering olo(n, threads);
  std::vector<std::uint8_t> turn(rows, 0);  // reverse this row's cluster (its parent's decision)
  for (index_t r = 0; r < rows; ++r) {
    check_interrupt();
    const index_t A = child(r, 0), B = child(r, 1);
    const index_t a0 = first[A], a1 = a0 + size[A], b0 = first[B], b1 = b0 + size[B];
    // The ways an ordering of A ∪ B can start in A: at a leaf of A's first child, joining B from
    // its second child (A as it is), or the other way round (A reversed); A alone when a leaf.
    // Likewise it ends in B's second child (B as it is) or its first (B reversed).
    Part left[2], right[2];
    int n_left = 1, n_right = 1;
    if (A < n) {
      left[0] = {a0, a1, a0, a1};
    } else {
      const index_t mid = first[child(A - n, 1)];
      left[0] = {a0, mid, mid, a1};
      left[1] = {mid, a1, a0, mid};
      n_left = 2;
    }
    if (B < n) {
      right[0] = {b0, b1, b0, b1};
    } else {
      const index_t mid = first[child(B - n, 1)];
      right[0] = {mid, b1, b0, mid};
      right[1] = {b0, mid, mid, b1};
      n_right = 2;
    }
    for (int i = 0; i < n_left; ++i)
      for (int j = 0; j < n_right; ++j) olo.fill(left[i], right[j], S.data());
    index_t best_u, best_w;
    olo.best_ends(a0, a1, b0, b1, &best_u, &best_w);
    if (A >= n) turn[A - n] = best_u >= first[child(A - n, 1)];
    if (B >= n) turn[B - n] = best_w < first[child(B - n, 1)];
  }
  // A row is flipped when its own decision and its ancestors' are odd in number.
  std::vector<std::uint8_t> flip(rows, 0);
  flip[rows - 1] = turn[rows - 1];
  for (index_t r = rows - 1; r >= 0; --r)
    for (int side = 0; side < 2; ++side) {
      const index_t c = child(r, side);
      if (c >= n) flip[c - n] = turn[c - n] ^ flip[r];
    }
  std::copy(flip.begin(), flip.end(), flips);
}

#define KMIX_INSTANTIATE(T)                                                                                        \
  template void linkage_ward<T>(const T*, index_t, index_t, double*, int);                                         \
  template void linkage_centroid<T>(const T*, index_t, index_t, Method, double*, int);                             \
  template void linkage_single<T>(const T*, index_t, index_t, Metric, const double*, double*, int, bool);          \
  template void pdist<T>(const T*, index_t, index_t, Metric, const double*, double*, int);                         \
  template void linkage_square_observations<T>(const T*, index_t, index_t, Metric, const double*, Method, double*, \
                                               double*, int);
KMIX_INSTANTIATE(float)
KMIX_INSTANTIATE(double)
#undef KMIX_INSTANTIATE

}  // namespace kmix
