// The k-means loops around the ISA kernels (kmeans.hpp): Lloyd iterations with scikit-learn's
// convergence rules, empty-cluster relocation, and greedy k-means++ seeding.
#pragma once
#include <vector>

#include "kmix/isa.hpp"

namespace kmix {

struct LloydResult {
  index_t n_iter = 0;                // iterations run (scikit-learn's n_iter_)
  double inertia = 0.0;              // Σ w_i ‖x_i − c_{label_i}‖² at the returned centers
  bool strict = false;               // stopped because no label changed
  std::vector<double> iter_inertia;  // per iteration, only when verbose
  std::vector<double> iter_shift;    // Σ_c ‖c_new − c_old‖² per iteration
  double distances = 0.0;            // row-center distances computed (n·k per Lloyd assignment)
};

// Lloyd's algorithm from `centers` (k×d, overwritten with the result); labels (n) out.
// w may be null (unit weights). tol is absolute (scikit-learn's _tol). mean: X's column means
// when X was not centred (null when it was), for scikit-learn's rule on clusters left empty.
template <class T>
LloydResult lloyd(const T* X, const T* w, index_t n, index_t d, T* centers, index_t k, index_t max_iter, double tol,
                  bool verbose, int threads, int* labels, const double* mean = nullptr);

// New centers from a Lloyd step's cluster sums and weights (float64): sums / weights, and
// scikit-learn's rule for clusters left empty (see kmeans_driver.cpp). mean: X's column means if
// X was not centred, else null. Returns Σ_c ‖new_c − old_c‖².
template <class T>
double average_centers(const double* sums, const double* weights, const T* old_centers, index_t k, index_t d,
                       const double* mean, T* new_centers);

// The clusters of weight 0 after a step, in order.
std::vector<index_t> empty_clusters(const double* weights, index_t k);
// The rows scikit-learn's relocation moves to m empty clusters: the farthest from their centers
// (dist: each row's squared distance to its own center), farthest first, the lower index on ties,
// only rows away from their center (so fewer than m when fewer are); dist's NaNs become −inf.
std::vector<index_t> farthest_rows(std::vector<double>& dist, index_t m);

// Clusters of weight 0 after a step (weights[c] == 0) each take one of the rows farthest from
// their center (at centers_old), as scikit-learn's _relocate_empty_clusters: that row's weighted
// values become the cluster's sums and leave its own cluster's sums; labels are not changed.
template <class T>
void relocate_empty(const KMeansKernels<T>& K, const T* X, const T* w, index_t n, index_t d, const T* centers_old,
                    index_t k, const int* labels, double* sums, double* weights, int threads);

// A mini-batch step's center update from the batch's cluster sums and weights (float64): each
// center that got weight moves to the weighted mean of its old position (counted weight_sums[c]
// times) and its new rows; weight_sums grows by the batch's weights. centers_new may be centers_old.
template <class T>
void minibatch_update(const T* centers_old, T* centers_new, T* weight_sums, const double* sums, const double* weights,
                      index_t k, index_t d);

// One mini-batch step (scikit-learn's _mini_batch_step without the reassignment): the batch is
// rows[0..m) of X (or X's first m rows if rows is null), with weights w (or ones). Labels the
// batch with centers_old, then moves each center that got weight to the weighted mean of its
// old position (counted weight_sums[c] times) and its new points; weight_sums grows by the batch's
// weights. centers_new may be centers_old. Returns the batch inertia on centers_old.
template <class T>
double minibatch_step(const T* X, index_t d, const index_t* rows, index_t m, const T* w, const T* centers_old,
                      T* centers_new, T* weight_sums, index_t k, int* labels, int threads);

// rows[t] = the first i with cdf[i] > u[t] (numpy's cdf.searchsorted(u, side="right")), for a
// non-decreasing cdf of n values ending at 1: how RandomState.choice(n, p=p) turns uniforms into
// rows. The search starts at u·n, where a cdf of near-equal weights has the answer, and
// gallops from there, so a batch costs about one cache miss per row instead of log2(n).
void draw_rows(const double* cdf, index_t n, const double* u, index_t m, index_t* rows, int threads);

// The first row i whose running sum of w_i·closest_i reaches r (numpy's searchsorted, side="left"),
// skipping whole blocks of kSeedingBlock rows by their sums block_sums; n − 1 if none does.
template <class T>
index_t first_reaching(double r, const T* w, const double* closest, const double* block_sums, index_t n);

// Greedy k-means++ (Arthur & Vassilvitskii; n_trials candidates per step), drawing with the given
// uniforms so that the same random stream picks the same points as scikit-learn: `first` is the
// first center, uniforms holds (k−1)·n_trials values in [0, 1). chosen (k) out.
template <class T>
void kmeans_plusplus(const T* X, const T* w, index_t n, index_t d, index_t k, index_t first, const double* uniforms,
                     index_t n_trials, int threads, index_t* chosen);

// Column means of X (n×d, float64 sums over fixed blocks, combined in order) into mean (d), and
// out = X − mean (out may be X itself; null: means only). Both passes are parallel, so a fresh `out` is also
// paged in by all threads. Returns the total variance Σ_j var(x_j) (from the same pass).
template <class T>
double center_columns(const T* X, index_t n, index_t d, T* out, T* mean, int threads);
// The mean over columns of each column's variance (numpy's np.var(X, axis=0).mean()): two
// passes, the second about the means, so a mean far from zero costs no accuracy.
template <class T>
double mean_variance(const T* X, index_t n, index_t d, int threads);
// out = X − mean, row by row (out may be X itself).
template <class T>
void subtract_columns(const T* X, index_t n, index_t d, const T* mean, T* out, int threads);

// X's column means into mean (d); true if fit should centre X on them (float32 always; float64
// only when the mean is far from the origin compared with X's spread).
template <class T>
bool wants_centring(const T* X, index_t n, index_t d, T* mean, int threads);

// One assignment of X's rows to the centers C (k×d): each cluster's weighted sums (k×d) and
// weights (k) in float64; returns the inertia. For summing over chunks of rows (kmix.dask).
template <class T>
double lloyd_chunk(const T* X, const T* w, index_t n, index_t d, const T* C, index_t k, double* sums, double* weights,
                   int threads);

// The nearest center of each row (the first on ties; labels in [0, k) whatever the values).
template <class T>
void assign(const T* X, index_t n, index_t d, const T* C, index_t k, int* labels, int threads);
// Σ w_i ‖x_i − c_{labels_i}‖² (w may be null); labels must be in [0, k).
template <class T>
double inertia(const T* X, const T* w, index_t n, index_t d, const T* C, const int* labels, int threads);
// out (n×k) = ‖x_i − c_j‖².
template <class T>
void sq_distances(const T* X, index_t n, index_t d, const T* C, index_t k, T* out, int threads);
// max |x| over count values: NaN if any is NaN, +inf if any is infinite.
template <class T>
double abs_max(const T* x, index_t count, int threads);

// X's column means as float64 (center_columns' means, without the centred copy).
template <class T>
std::vector<double> column_means(const T* X, index_t n, index_t d, int threads) {
  std::vector<T> mean(d);
  center_columns<T>(X, n, d, nullptr, mean.data(), threads);
  return std::vector<double>(mean.begin(), mean.end());
}

}  // namespace kmix
