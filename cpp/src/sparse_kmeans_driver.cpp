// Lloyd iterations, k-means++ and the E-step on CSR data; the O(nnz·k) work is in the ISA kernels
// (sparse_kmeans.hpp). This file is compiled once, for the baseline ISA.
#include "kmix/sparse_kmeans_driver.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

namespace kmix {
namespace {

// ‖c‖² of a dense center in T, summed as scikit-learn's row_norms (numpy's einsum "ij,ij->i") sums
// on x86-64: 16-byte vectors (2 doubles or 4 floats), four per step taken last to first, a
// product then a sum (no FMA), the lanes added at the end. Why so exact: TF-IDF rows are
// normalised, so centers seeded from rows have norms equal up to an ulp, and a row sharing no
// term with any center (x·c = 0 for all) goes to the smallest norm: scikit-learn's rounding
// decides, so kmix rounds the same way. (numpy's other platforms may differ by an ulp here.)
// A: the arithmetic's type (X's dtype, or double for scikit-learn's float64 upcast of float32).
template <class A, class T>
double einsum_sq_norm(const T* x, index_t d) {
  constexpr index_t L = 16 / sizeof(A);
  A acc[L] = {};
  index_t i = 0;
  for (; d - i >= 4 * L; i += 4 * L)
    for (index_t l = 0; l < L; ++l) {
      A a = acc[l];
      for (index_t b = 3; b >= 0; --b) {
        const A v = A(x[i + b * L + l]);
        a = v * v + a;
      }
      acc[l] = a;
    }
  for (; i < d; i += L)
    for (index_t l = 0; l < L && i + l < d; ++l) acc[l] = A(x[i + l]) * A(x[i + l]) + acc[l];
  if constexpr (L == 2) {
    return double(acc[0] + acc[1]);
  } else {
    return double((acc[0] + acc[1]) + (acc[2] + acc[3]));
  }
}

// The centers as the kernels take them: transposed (Ct, isa.hpp's layout) and their squared norms,
// in X's dtype as scikit-learn's Lloyd loop takes them, or in float64 (upcast: as its
// euclidean_distances computes float32 distances, for transform). Reused across iterations.
template <class T>
struct CentersT {
  std::unique_ptr<T[]> Ct;  // not a vector: every value is written, none needs zeroing first
  index_t size = 0;
  std::vector<double> cnorm;
  const T* data() const { return Ct.get(); }

  void prepare(const T* C, index_t k, index_t d, int threads, bool upcast = false) {
    const index_t stride = sparse_ct_stride<T>(k);
    if (size != d * stride) {
      Ct.reset(new T[std::size_t(d * stride)]);
      size = d * stride;
    }
    cnorm.resize(k);
    // Blocks of 64 columns: the block's Ct rows stay in L1 while the k centers stream past.
    constexpr index_t kColumns = 64;
    const index_t blocks = (d + kColumns - 1) / kColumns;
    T* out = Ct.get();
#pragma omp parallel for schedule(static) num_threads(threads) if (k * d > (1 << 17))
    for (index_t b = 0; b < blocks; ++b) {
      const index_t j0 = b * kColumns, j1 = std::min(d, j0 + kColumns);
      for (index_t c = 0; c < k; ++c)
        for (index_t j = j0; j < j1; ++j) out[j * stride + c] = C[c * d + j];
      for (index_t j = j0; j < j1; ++j)
        for (index_t c = k; c < stride; ++c) out[j * stride + c] = T(0);
    }
#pragma omp parallel for schedule(static) num_threads(threads) if (k * d > (1 << 17))
    for (index_t c = 0; c < k; ++c)
      cnorm[c] = upcast ? einsum_sq_norm<double>(C + c * d, d) : einsum_sq_norm<T>(C + c * d, d);
  }
};

// Rows grouped by label (a counting sort, increasing within each cluster): cluster c's rows are
// order[starts[c] .. starts[c+1]).
void group_by_label(const int* labels, index_t n, index_t k, std::vector<index_t>& order,
                    std::vector<index_t>& starts) {
  order.resize(n);
  starts.assign(k + 1, 0);
  for (index_t i = 0; i < n; ++i) ++starts[labels[i] + 1];
  for (index_t c = 0; c < k; ++c) starts[c + 1] += starts[c];
  std::vector<index_t> at(starts.begin(), starts.end() - 1);
  for (index_t i = 0; i < n; ++i) order[at[labels[i]]++] = i;
}

// scikit-learn's _relocate_empty_clusters_sparse: each cluster of weight 0 takes one of the rows
// farthest from their center (at centers_old), the farthest first (lower index on ties, where
// scikit-learn's argpartition is unspecified); that row's weighted values become the cluster's
// sums at its nonzeros and leave its own cluster's sums. Labels are not changed. As the dense
// relocate_empty: only rows away from their center move.
template <class T, class I>
void relocate_empty_sparse(const SparseKMeansFns<T, I>& K, const CsrView<T, I>& X, const T* w, const T* centers_old,
                           const double* cnorm, index_t k, const int* labels, double* sums, double* weights,
                           int threads) {
  const std::vector<index_t> empty = empty_clusters(weights, k);
  if (empty.empty()) return;
  const index_t d = X.d;
  std::vector<double> dist(X.n);
  K.dist_to_assigned(X, nullptr, centers_old, cnorm, labels, dist.data(), threads);
  const std::vector<index_t> far_rows = farthest_rows(dist, index_t(empty.size()));
  for (std::size_t e = 0; e < far_rows.size(); ++e) {
    const index_t far = far_rows[e], to = empty[e], from = labels[far];
    const double wf = w ? double(w[far]) : 1.0;
    for (index_t p = index_t(X.indptr[far]); p < index_t(X.indptr[far + 1]); ++p) {
      const index_t j = index_t(X.indices[p]);
      sums[from * d + j] -= double(X.data[p]) * wf;
      sums[to * d + j] = double(X.data[p]) * wf;
    }
    weights[to] = wf;
    weights[from] -= wf;
  }
}

}  // namespace

template <class T, class I>
LloydResult sparse_lloyd(const CsrView<T, I>& X, const T* w, T* centers, index_t k, index_t max_iter, double tol,
                         bool verbose, int threads, int* labels) {
  const SparseKMeansFns<T, I>& K = sparse_kmeans_kernels_for<T, I>();
  const index_t n = X.n, d = X.d;
  LloydResult r;
  CentersT<T> ct;
  std::vector<T> spare(k * d);
  std::vector<double> sums(k * d), weights(k);
  std::vector<index_t> order, starts;
  T* cur = centers;        // centers of this iteration
  T* next = spare.data();  // centers being computed
  std::fill(labels, labels + n, -1);
  // Weights that are all 1 change no value: the unweighted path gives the same bits.
  if (w && std::all_of(w, w + n, [](T v) { return v == T(1); })) w = nullptr;

  index_t i = 0;
  for (; i < max_iter; ++i) {
    check_interrupt();
    ct.prepare(cur, k, d, threads);
    const index_t changed = K.assign(X, ct.data(), ct.cnorm.data(), k, labels, nullptr, nullptr, nullptr, threads);
    r.distances += double(n) * double(k);
    group_by_label(labels, n, k, order, starts);
    K.cluster_sums(X, w, order.data(), starts.data(), k, sums.data(), weights.data(), threads);
    relocate_empty_sparse(K, X, w, cur, ct.cnorm.data(), k, labels, sums.data(), weights.data(), threads);
    const double shift = average_centers<T>(sums.data(), weights.data(), cur, k, d, nullptr, next);
    if (verbose) {
      r.iter_inertia.push_back(K.dist_to_assigned(X, w, cur, ct.cnorm.data(), labels, nullptr, threads));
      r.iter_shift.push_back(shift);
    }
    std::swap(cur, next);
    if (changed == 0) {
      r.strict = true;
      break;
    }
    if (shift <= tol) break;
  }
  r.n_iter = i < max_iter ? i + 1 : max_iter;
  ct.prepare(cur, k, d, threads);
  if (!r.strict) {  // one more assignment so that labels match the returned centers
    K.assign(X, ct.data(), ct.cnorm.data(), k, labels, w, nullptr, &r.inertia, threads);
    r.distances += double(n) * double(k);
  } else r.inertia = K.dist_to_assigned(X, w, cur, ct.cnorm.data(), labels, nullptr, threads);
  if (cur != centers) std::copy(cur, cur + k * d, centers);
  return r;
}

template <class T, class I>
void sparse_kmeans_plusplus(const CsrView<T, I>& X, const T* w, index_t k, index_t first, const double* uniforms,
                            index_t n_trials, int threads, index_t* chosen) {
  if (n_trials < 1 || n_trials > 64) throw std::invalid_argument("n_local_trials must be in [1, 64]");
  const SparseKMeansFns<T, I>& K = sparse_kmeans_kernels_for<T, I>();
  const index_t n = X.n, d = X.d;
  const index_t n_blocks = (n + kSeedingBlock - 1) / kSeedingBlock;
  std::vector<double> xnorm(n), closest(n, std::numeric_limits<double>::infinity()), block_sums(n_blocks);
  std::vector<index_t> cand(n_trials);
  std::vector<double> pots(n_trials), cand_norm(n_trials);
  // Candidates densified and transposed (Ct of n_trials), and one center (d); zero except while in use.
  const index_t stride = sparse_ct_stride<T>(n_trials);
  std::vector<T> Ct(d * stride, T(0)), dense(d, T(0));
  K.row_norms(X, xnorm.data(), threads);

  // Row r's values into column t of a matrix of d rows of m values (clear: zeros instead).
  auto scatter = [&](index_t r, T* out, index_t m, index_t t, bool clear) {
    for (index_t p = index_t(X.indptr[r]); p < index_t(X.indptr[r + 1]); ++p)
      out[index_t(X.indices[p]) * m + t] = clear ? T(0) : X.data[p];
  };
  // The first center's norm as scikit-learn takes it (row_norms of the dense row, in X's dtype),
  // the candidates' from the sparse rows (as its csr_row_norms).
  std::vector<T> row(d, T(0));
  auto update = [&](index_t c, bool first_center) {
    scatter(c, dense.data(), 1, 0, false);
    double cn = xnorm[c];
    if (first_center) {
      for (index_t p = index_t(X.indptr[c]); p < index_t(X.indptr[c + 1]); ++p) row[X.indices[p]] = X.data[p];
      cn = einsum_sq_norm<T>(row.data(), d);
    }
    K.seeding_update(X, w, dense.data(), cn, xnorm.data(), closest.data(), block_sums.data(), threads);
    scatter(c, dense.data(), 1, 0, true);
  };
  auto search = [&](double r) { return first_reaching(r, w, closest.data(), block_sums.data(), n); };

  chosen[0] = first;
  update(first, true);
  double pot = 0.0;
  for (double s : block_sums) pot += s;
  for (index_t c = 1; c < k; ++c) {
    check_interrupt();
    for (index_t t = 0; t < n_trials; ++t) {
      cand[t] = search(uniforms[(c - 1) * n_trials + t] * pot);
      scatter(cand[t], Ct.data(), stride, t, false);
      cand_norm[t] = xnorm[cand[t]];
    }
    K.seeding_pots(X, w, Ct.data(), cand_norm.data(), n_trials, xnorm.data(), closest.data(), pots.data(), threads);
    for (index_t t = 0; t < n_trials; ++t) scatter(cand[t], Ct.data(), stride, t, true);
    const index_t best = std::min_element(pots.begin(), pots.end()) - pots.begin();
    chosen[c] = cand[best];
    pot = pots[best];
    update(cand[best], false);
  }
}

template <class T, class I>
void sparse_assign(const CsrView<T, I>& X, const T* C, index_t k, int* labels, int threads) {
  CentersT<T> ct;
  ct.prepare(C, k, X.d, threads);
  std::fill(labels, labels + X.n, -1);
  sparse_kmeans_kernels_for<T, I>().assign(X, ct.data(), ct.cnorm.data(), k, labels, nullptr, nullptr, nullptr,
                                           threads);
}

template <class T, class I>
double sparse_inertia(const CsrView<T, I>& X, const T* w, const T* C, index_t k, const int* labels, int threads) {
  std::vector<double> cnorm(k);
  for (index_t c = 0; c < k; ++c) cnorm[c] = einsum_sq_norm<T>(C + c * X.d, X.d);
  return sparse_kmeans_kernels_for<T, I>().dist_to_assigned(X, w, C, cnorm.data(), labels, nullptr, threads);
}

template <class T, class I>
void sparse_sq_distances(const CsrView<T, I>& X, const T* C, index_t k, T* out, int threads) {
  const SparseKMeansFns<T, I>& K = sparse_kmeans_kernels_for<T, I>();
  CentersT<T> ct;
  std::vector<double> xnorm(X.n);
  ct.prepare(C, k, X.d, threads, true);
  K.row_norms(X, xnorm.data(), threads);
  K.sq_distances(X, ct.data(), ct.cnorm.data(), k, xnorm.data(), out, threads);
}

template <class T, class I>
double sparse_minibatch_step(const CsrView<T, I>& X, const T* w, const T* centers_old, T* centers_new, T* weight_sums,
                             index_t k, int* labels, int threads) {
  const SparseKMeansFns<T, I>& K = sparse_kmeans_kernels_for<T, I>();
  const index_t d = X.d;
  CentersT<T> ct;
  std::vector<index_t> order, starts;
  ct.prepare(centers_old, k, d, threads);
  std::fill(labels, labels + X.n, -1);
  double inertia;
  K.assign(X, ct.data(), ct.cnorm.data(), k, labels, w, nullptr, &inertia, threads);
  group_by_label(labels, X.n, k, order, starts);
  // Each center on its own: its rows' weighted sums (as cluster_sums, in row order) in a row of d
  // zeros owned by the thread, the center updated from them, and the row zeroed again where the
  // rows touched it. O(k·d + nnz of the batch): no k×d array of sums to clear and read each step.
  const int team = k > 1 && worth_threads(k * d) ? threads : 1;
  std::vector<double> rows_sum(std::size_t(team) * std::size_t(d), 0.0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(team) if (team > 1)
  for (index_t c = 0; c < k; ++c) {
    double* s = rows_sum.data() + index_t(thread_index()) * d;
    double total = 0.0;
    for (index_t t = starts[c]; t < starts[c + 1]; ++t) {
      const index_t i = order[t];
      const double wi = w ? double(w[i]) : 1.0;
      for (index_t p = index_t(X.indptr[i]); p < index_t(X.indptr[i + 1]); ++p)
        s[X.indices[p]] += double(X.data[p]) * wi;
      total += wi;
    }
    minibatch_update(centers_old + c * d, centers_new + c * d, weight_sums + c, s, &total, 1, d);
    for (index_t t = starts[c]; t < starts[c + 1]; ++t) {
      const index_t i = order[t];
      for (index_t p = index_t(X.indptr[i]); p < index_t(X.indptr[i + 1]); ++p) s[X.indices[p]] = 0.0;
    }
  }
  return inertia;
}

template <class T, class I>
double sparse_lloyd_chunk(const CsrView<T, I>& X, const T* w, const T* C, index_t k, double* sums, double* weights,
                          int threads) {
  const SparseKMeansFns<T, I>& K = sparse_kmeans_kernels_for<T, I>();
  CentersT<T> ct;
  std::vector<index_t> order, starts;
  std::vector<int> labels(X.n, -1);
  ct.prepare(C, k, X.d, threads);
  double inertia;
  K.assign(X, ct.data(), ct.cnorm.data(), k, labels.data(), w, nullptr, &inertia, threads);
  group_by_label(labels.data(), X.n, k, order, starts);
  K.cluster_sums(X, w, order.data(), starts.data(), k, sums, weights, threads);
  return inertia;
}

template <class T, class I>
double sparse_nearest(const CsrView<T, I>& X, const T* w, const T* C, index_t k, int* labels, double* dist,
                      int threads) {
  const SparseKMeansFns<T, I>& K = sparse_kmeans_kernels_for<T, I>();
  CentersT<T> ct;
  ct.prepare(C, k, X.d, threads);
  std::fill(labels, labels + X.n, -1);
  double inertia;
  K.assign(X, ct.data(), ct.cnorm.data(), k, labels, w, dist, &inertia, threads);
  return inertia;
}

template <class T, class I>
bool gather_rows(const CsrView<T, I>& X, const index_t* rows, index_t m, const I* indptr, T* data, I* indices,
                 int threads) {
  bool bad = false;
  // Rows of a mini-batch are scattered over X: each is a cache miss, so both threads fetch, and ask
  // for the rows ahead (their offsets further ahead) to keep several misses in flight.
  constexpr index_t kAhead = 16;
#pragma omp parallel for schedule(static) num_threads(threads) \
    reduction(|| : bad) if (worth_threads(index_t(indptr[m])))
  for (index_t t = 0; t < m; ++t) {
    if (t + kAhead < m) {  // the first 256 values of the row ahead, a line at a time
      const index_t ahead = index_t(X.indptr[rows[t + kAhead]]);
      const index_t values = std::min<index_t>(index_t(indptr[t + kAhead + 1] - indptr[t + kAhead]), 256);
      for (index_t q = 0; q < values; q += 64 / index_t(sizeof(T))) prefetch_line(X.data, ahead + q);
      for (index_t q = 0; q < values; q += 64 / index_t(sizeof(I))) prefetch_line(X.indices, ahead + q);
    }
    const index_t from = index_t(X.indptr[rows[t]]), len = index_t(indptr[t + 1] - indptr[t]), to = index_t(indptr[t]);
    std::copy(X.data + from, X.data + from + len, data + to);
    std::copy(X.indices + from, X.indices + from + len, indices + to);
    bool row_bad = false;
    for (index_t q = to; q < to + len; ++q) row_bad |= indices[q] < 0 || index_t(indices[q]) >= X.d;
    bad = bad || row_bad;
  }
  return !bad;
}

#define KMIX_INSTANTIATE(T, I)                                                                                         \
  template LloydResult sparse_lloyd<T, I>(const CsrView<T, I>&, const T*, T*, index_t, index_t, double, bool, int,     \
                                          int*);                                                                       \
  template void sparse_kmeans_plusplus<T, I>(const CsrView<T, I>&, const T*, index_t, index_t, const double*, index_t, \
                                             int, index_t*);                                                           \
  template void sparse_assign<T, I>(const CsrView<T, I>&, const T*, index_t, int*, int);                               \
  template double sparse_inertia<T, I>(const CsrView<T, I>&, const T*, const T*, index_t, const int*, int);            \
  template void sparse_sq_distances<T, I>(const CsrView<T, I>&, const T*, index_t, T*, int);                           \
  template double sparse_minibatch_step<T, I>(const CsrView<T, I>&, const T*, const T*, T*, T*, index_t, int*, int);   \
  template double sparse_lloyd_chunk<T, I>(const CsrView<T, I>&, const T*, const T*, index_t, double*, double*, int);  \
  template double sparse_nearest<T, I>(const CsrView<T, I>&, const T*, const T*, index_t, int*, double*, int);         \
  template bool gather_rows<T, I>(const CsrView<T, I>&, const index_t*, index_t, const I*, T*, I*, int);
KMIX_INSTANTIATE(float, std::int32_t)
KMIX_INSTANTIATE(float, std::int64_t)
KMIX_INSTANTIATE(double, std::int32_t)
KMIX_INSTANTIATE(double, std::int64_t)
#undef KMIX_INSTANTIATE

}  // namespace kmix
