// The table of ISA-compiled kernels and the choice among them.
//
// kernels.cpp files are compiled once per ISA level into kmix::<level>; each fills one of these
// tables. isa_dispatch.cpp picks the best level the CPU supports (or the one KMIX_ISA asks for)
// at import. Callers only ever see function pointers, never a header compiled with AVX flags.
// Every kernel may throw kmix::Interrupted (Ctrl-C, runtime.hpp), after its parallel region.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "kmix/parallel.hpp"

namespace kmix {

// Rows per block of the k-means++ prefix sums.
static constexpr index_t kSeedingBlock = 2048;

// The rows a k-means++ trial would bring closer: per block of kSeedingBlock rows, up to
// kSeedingBlock of them (distance, row within the block, trial), in row order; count[b] = -1
// when a block had more, or its moves were not recorded (without a sketch): its distances are
// then computed again for the chosen candidate.
struct SeedingMove {
  double dist;
  std::int32_t row;
  std::int32_t trial;
};
struct SeedingMoves {
  SeedingMove* moves;  // n_blocks × kSeedingBlock
  index_t* count;      // n_blocks
};

// The triangle inequality between k-means++ steps (as Raff, "Exact acceleration of k-means++ and
// k-means||", 2021): a row whose nearest chosen center a is at distance √closest cannot come
// closer to a candidate c with ‖c − a‖ >= 2√closest, so that distance is not computed. owner[i]:
// the index (in the order chosen) of row i's nearest chosen center; gap2[t·stride + a]:
// ‖x_{cand_t} − x_{chosen_a}‖², compared with a margin that covers both distances' rounding.
// gap2 null: no bounds this step (only with a sketch). closed (n_blocks, may be null) gets per
// block how many tiles of SeedingSketch::rows rows the bounds kept at their distances for every
// trial (counted with a sketch, where it decides whether the bounds pay).
struct SeedingBounds {
  std::int32_t* owner;  // n
  const double* gap2;   // m × stride
  index_t stride;
  index_t* closed;
};

// k-means++'s sketch of X: every value rounded to bfloat16 (the high half of its float32), in
// tiles of `rows` rows stored feature-major (xt[(i / rows)·rows·d + j·rows + slot(i % rows)] for
// row i, feature j; n rounded up to whole tiles, the padding rows 0), with per row ‖x̃_i‖² (norm)
// and a float32 err_i ≥ ‖x_i − x̃_i‖ (+inf or NaN where the rounding overflowed). Rows r and
// r + 8 of a tile share a 32-bit word (low, high half), so that a shift and a mask make floats.
struct SeedingSketch {
  static constexpr index_t rows = 16;
  static constexpr index_t slot(index_t r) { return (r % 8) * 2 + r / 8; }
  const std::uint16_t* xt;
  const float* norm;  // n rounded up to whole tiles
  const float* err;   // as norm
  // Kept up to date by seeding_choose where rows move: radius_i, the sketch's test's reach
  // √closest_i + err_i (seeding_radius), and per tile seeding_tile_sum of w·closest (the rows
  // past n as 0), the potential's block sums when the estimates chose without exact sums.
  float* radius;      // as norm
  double* tile_sums;  // n rounded up to whole tiles, / rows
};

// k-means++'s sum over one tile of SeedingSketch::rows values (the rows past n as 0), pairwise in
// a fixed order: a short chain of dependent adds (in row order, 16 adds in a row were a step's
// largest cost at d = 16), and the same bits in the driver and at every ISA level.
static inline double seeding_tile_sum(const double* v) {
  static_assert(SeedingSketch::rows == 16, "a tile of 16 rows");
  const double a = (v[0] + v[1]) + (v[2] + v[3]), b = (v[4] + v[5]) + (v[6] + v[7]);
  const double c = (v[8] + v[9]) + (v[10] + v[11]), e = (v[12] + v[13]) + (v[14] + v[15]);
  return (a + b) + (c + e);
}

// The lower triangle of a row-major n×n matrix copied from its upper one, and a zero diagonal
// (the square linkages' matrix, from pdist_square and from a condensed matrix): by tiles of B×B,
// whose source and destination both stay in cache.
inline void mirror_upper_triangle(double* S, index_t n, int threads) {
  constexpr index_t B = 64;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (threads > 1)
  for (index_t I = 0; I < n; I += B)
    for (index_t J = 0; J <= I; J += B)
      for (index_t i = I; i < (n < I + B ? n : I + B); ++i) {
        double* row = S + i * n;
        for (index_t j = J; j < (i < J + B ? i : J + B); ++j) row[j] = S[j * n + i];
        if (J == I) row[i] = 0.0;
      }
}

// A bfloat16 (the high half of a float32's bits) as the float32 it stands for.
static inline float bf16_value(std::uint16_t h) {
  const std::uint32_t u = std::uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

template <class T>
struct KMeansKernels {
  // One Lloyd step over X (n×d) and centers C (k×d): labels[i] = nearest center; returns how
  // many labels changed. If sums is not null, also the weighted center sums (k×d) and weights (k)
  // in float64, combined in fixed block order; scratch holds lloyd_scratch_size(n, k, d, sizeof(T)) doubles.
  // changes_only: sums and weights get only what the rows that changed label moved between clusters
  // (added to the new one, subtracted from the old one), for a caller that keeps the totals.
  // C null (sums required): no assignment, the sums and weights of the labels as they are (returns 0).
  index_t (*lloyd_step)(const T* X, const T* w, index_t n, index_t d, const T* C, index_t k, int* labels, double* sums,
                        double* weights, double* scratch, bool changes_only, int threads);
  // Σ w_i ‖x_i − c_{labels_i}‖² (w may be null: all ones).
  double (*inertia)(const T* X, const T* w, index_t n, index_t d, const T* C, const int* labels, int threads);
  // lloyd_step's labels without sums, and the inertia at them (inertia's value), in one pass.
  double (*assign_inertia)(const T* X, const T* w, index_t n, index_t d, const T* C, index_t k, int* labels,
                           int threads);
  // out[i] = ‖x_i − c_{labels_i}‖².
  void (*dist_to_assigned)(const T* X, index_t n, index_t d, const T* C, const int* labels, double* out, int threads);
  // out[i, c] = ‖x_i − c_c‖² for all k centers (out is n×k).
  void (*sq_distances)(const T* X, index_t n, index_t d, const T* C, index_t k, T* out, int threads);
  // k-means++, one pass over X for m candidates: trial_sums[b·m + t] = Σ_{i in block b} w_i·c_i
  // over the blocks of kSeedingBlock rows (per tile of SeedingSketch::rows rows seeding_tile_sum,
  // the tiles in order), where c_i is what closest_i would become if candidate t were chosen (the
  // distance if it is smaller than closest_i); and the rows each candidate brings closer, per
  // block (SeedingMoves), for seeding_choose. The sketch (xt null: none) only sorts out the pairs
  // that need no exact distance: the sums and moves are the same with or without it.
  // estimate (only with a sketch): no exact distance at all; trial_sums[b·2m + t] and
  // [b·2m + m + t] get bounds on what trial t would take off block b's sum (the lower one NaN if
  // the sketch could not bound a pair), and moves the pairs that might move (dist NaN).
  void (*seeding_trials)(const T* X, const T* w, SeedingSketch sketch, index_t n, index_t d, const double* closest,
                         const index_t* cand, index_t m, double* trial_sums, SeedingMoves moves, SeedingBounds bounds,
                         bool estimate, int threads);
  // k-means++, after seeding_trials' estimates: what each trial t in `which` (bit t) takes off
  // the potential, exactly: gains[b·m + t] = Σ w_i·(closest_i − ‖x_i − c_t‖²) over block b's
  // recorded pairs that come closer, each pair's distance kept for seeding_choose. Every block's
  // pairs must have been recorded (count >= 0).
  void (*seeding_gains)(const T* X, const T* w, index_t n, index_t d, const double* closest, const index_t* cand,
                        index_t m, std::uint64_t which, SeedingMoves moves, double* gains, int threads);
  // k-means++: candidate t (row c of X) chosen as the `index`-th center: closest_i =
  // min(closest_i, ‖x_i − x_c‖²) and owner_i = index where it moved, from the moves recorded by
  // seeding_trials (the distances are computed again in a block whose count is -1: moves that did
  // not fit, or the first center, for which closest_i is +inf; and for the pairs recorded with a
  // NaN distance); and sketch.tile_sums (if not null) where rows moved.
  void (*seeding_choose)(const T* X, const T* w, SeedingSketch sketch, index_t n, index_t d, index_t c, index_t t,
                         index_t index, double* closest, SeedingMoves moves, std::int32_t* owner, int threads);
  // moments (2d) = Σ(x − shift) then Σ(x − shift)² of each column (shift (d) may be null: 0),
  // float64 over fixed blocks combined in order.
  void (*column_moments)(const T* X, index_t n, index_t d, const double* shift, double* moments, int threads);
  // max |x| over count values: NaN if any is NaN, +inf if any is infinite (and none is NaN).
  double (*abs_max)(const T* x, index_t count, int threads);
};

// Elkan's bounds for one k-means run (elkan.hpp), owned by the driver (elkan_driver.cpp) and
// updated by the step kernel. Distances are Euclidean (not squared). Every bound is float32
// whatever X's dtype (half the memory and bandwidth of float64; lower bounds rounded down, upper
// ones up, so still bounds) and scaled by 2^-e so that float32's range covers float64 data. O(n·k) memory: k lower
// bounds per row is what Elkan's algorithm is (scikit-learn's lower_bounds array is as large, in X's dtype).
struct ElkanState {
  index_t stride;       // floats per row of lower and half: ElkanKernels::stride(k)
  float* lower;         // n×stride: lower[i·stride + j] <= scale·(‖x_i − c_j‖ + cum[j]), rounded down
  float* upper;         // n: >= scale·‖x_i − c_{label_i}‖ (before this step's shift is added), rounded up
  double scale;         // 2^-e, exact
  const double* shift;  // k: ‖c_j − c_j before‖, how far each center moved into this step's centers
  const double* cum;    // k: the sum of every shift so far (lower bounds are kept relative to it)
  const float* half;    // k×stride: scale·‖c_a − c_j‖/2 rounded down; +inf on the diagonal
  const double* next;   // k: scale·(min over j != a of ‖c_a − c_j‖/2), rounded down (+inf when k = 1)
  // Hamerly's bound as a first filter: one float per row, <= scale·(min over j != label_i of
  // ‖x_i − c_j‖ + cum_max), rounded down (0: none), so that a row whose every other center is
  // farther than its own skips the scan of its k lower bounds.
  float* second;   // n
  double cum_max;  // the sum over the steps so far of the largest shift of each step
  index_t* work;   // out (may be null), 4 counts of the step's work: rows whose k bounds were
                   // scanned, rows through the tile, rows and distances computed one by one
};

// Elkan's cost model at one ISA level, in processor cycles (estimated from measurements at
// (100k, 16, 8), (100k, 16, 100) and (50k, 128, 256) with AVX2; scaled by the lanes of each
// level). The step picks the tile or one-by-one distances for a row by it, the driver picks
// Lloyd or Elkan steps. Only counts enter it, never times: every choice is the same whatever the
// machine's load or the thread count.
struct ElkanCosts {
  double lloyd_row;  // a row of a Lloyd step: k·d multiply-adds in the tile, the nearest of k
  double visit;      // a row's upper bound moved and tested against its center's gap
  double scan;       // a row's k lower bounds scanned
  double tile_row;   // a row through the tile, its k bounds written
  double one;        // one distance computed alone, and its bound
};

template <class T>
struct ElkanKernels {
  // One Elkan step from centers C (k×d): each row's label and bounds are brought up to date,
  // computing only the distances the bounds cannot rule out; then the sums as lloyd_step (same
  // blocks, same order; sums null: labels only). first: no bounds yet (labels are ignored), every
  // distance is computed. Returns how many labels changed.
  index_t (*step)(const T* X, const T* w, index_t n, index_t d, const T* C, index_t k, int* labels,
                  const ElkanState& state, bool first, double* sums, double* weights, double* scratch,
                  bool changes_only, int threads);
  // half (k×k) and next (k) of state for centers C, scaled by `scale`.
  void (*center_gaps)(const T* C, index_t k, index_t d, double scale, float* half, double* next, int threads);
  // Floats per row of the bounds (lower and half) for k centers: k rounded up to whole tile panels.
  index_t (*stride)(index_t k);
  // The cost model for d features and k centers.
  ElkanCosts (*costs)(index_t d, index_t k);
};

// A CSR matrix of n rows and d columns: row i holds data[indptr[i] .. indptr[i+1]) at columns
// indices[...]. I is int32 or int64 (64-bit offsets: nnz beyond 2^31). The bindings have checked
// indptr (from 0, non-decreasing, ending at the data's length) and every index (in [0, d)).
template <class T, class I>
struct CsrView {
  const T* data;
  const I* indices;
  const I* indptr;
  index_t n, d;
};

// Values per row of a transposed center matrix for m centers: m rounded up to 32 bytes, so that
// the kernels' fixed-width panels cover it; 1 for one center (a dense vector).
template <class T>
static inline index_t sparse_ct_stride(index_t m) {
  constexpr index_t group = 32 / index_t(sizeof(T));
  return m <= 1 ? 1 : (m + group - 1) / group * group;
}

// The sparse k-means kernels (sparse_kmeans.hpp) for one index type: CSR rows against dense
// centers, never a dense copy of X. Products x·c are summed over a row's nonzeros in their stored
// order, as scikit-learn's sparse loops do: in X's dtype for the assignment (its Lloyd loop), in
// float64 for distances and k-means++ (its euclidean_distances upcasts float32).
//
// Ct, m centers transposed: d rows of sparse_ct_stride(m) values in X's dtype (exact: centers
// are in X's dtype, and each value is taken to float64 before its product), the padding zero.
template <class T, class I>
struct SparseKMeansFns {
  // labels[i] = argmin_j cnorm[j] − 2·x_i·c_j (the first on ties; 0 when no value is below +inf, so
  // NaN never gives a label outside [0, k)). Ct: the k centers transposed (above), cnorm (k).
  // Returns how many labels changed. With `inertia` (else null), also Σ w_i·dist_i into *inertia and
  // dist_i into dist (n, may be null), exactly as dist_to_assigned computes them, the center values
  // read from Ct where the row has just read them (w may be null: ones).
  index_t (*assign)(const CsrView<T, I>& X, const T* Ct, const double* cnorm, index_t k, int* labels, const T* w,
                    double* dist, double* inertia, int threads);
  // Σ w_i·dist_i (w may be null: ones), dist_i = ‖x_i − c_{labels_i}‖² as scikit-learn's
  // _euclidean_sparse_dense computes it (‖c‖² + Σ_nz (x − c)² − c², at least 0); out (n, may be
  // null) gets dist_i. C: k×d, cnorm: k.
  double (*dist_to_assigned)(const CsrView<T, I>& X, const T* w, const T* C, const double* cnorm, const int* labels,
                             double* out, int threads);
  // Weighted sums (k×d) and weights (k) of each cluster in float64 (w may be null: ones). The rows of
  // cluster c are order[starts[c] .. starts[c+1]), increasing: one thread sums a cluster, in row
  // order, so the result does not depend on the thread count.
  void (*cluster_sums)(const CsrView<T, I>& X, const T* w, const index_t* order, const index_t* starts, index_t k,
                       double* sums, double* weights, int threads);
  // out (n×k) = max(0, (−2·x_i·c_j + xnorm_i) + cnorm_j): scikit-learn's euclidean_distances, squared.
  void (*sq_distances)(const CsrView<T, I>& X, const T* Ct, const double* cnorm, index_t k, const double* xnorm, T* out,
                       int threads);
  // xnorm (n) = Σ x² over each row's nonzeros.
  void (*row_norms)(const CsrView<T, I>& X, double* xnorm, int threads);
  // k-means++, m candidates (Ct: transposed, above; cnorm: m): with dist = max(0, (−2·x_i·c_t + cnorm_t) + xnorm_i),
  // pots[t] = Σ_i w_i·min(closest_i, dist(i, t)), over fixed blocks combined in order.
  void (*seeding_pots)(const CsrView<T, I>& X, const T* w, const T* Ct, const double* cnorm, index_t m,
                       const double* xnorm, const double* closest, double* pots, int threads);
  // k-means++: closest_i = min(closest_i, dist(i, c)) for one center c (d values, cn its squared
  // norm) and block_sums[b] = Σ w_i·closest_i over blocks of kSeedingBlock rows.
  void (*seeding_update)(const CsrView<T, I>& X, const T* w, const T* c, double cn, const double* xnorm,
                         double* closest, double* block_sums, int threads);
};

template <class T>
struct SparseKMeansKernels {
  SparseKMeansFns<T, std::int32_t> i32;
  SparseKMeansFns<T, std::int64_t> i64;
  template <class I>
  const SparseKMeansFns<T, I>& get() const {
    if constexpr (std::is_same_v<I, std::int32_t>) return i32;
    else return i64;
  }
};

// Covariance types of a Gaussian mixture, as scikit-learn names them.
enum class CovType : int { full = 0, tied = 1, diag = 2, spherical = 3 };

// A Gaussian mixture in the form the kernels use: float64, in the coordinates of X − shift.
struct GmmModel {
  CovType type;
  index_t k, d;
  const double* shift;      // d: subtracted from every row of X before anything else
  const double* means;      // k×d, minus shift; second moments are taken about these
  const double* prec_chol;  // full k×d×d (upper triangular), tied d×d, diag k×d, spherical k
  const double* log_norm;   // k: log weight + log det(prec_chol) − d/2·log 2π
};

// What one pass over X computes; every pointer may be null (not wanted).
template <class T>
struct GmmPassOut {
  double* log_prob_norm = nullptr;     // n: log Σ_c weight_c·N(x | c)
  T* resp = nullptr;                   // n×k: responsibilities
  int* labels = nullptr;               // n: most probable component
  double* stats = nullptr;             // gmm_stats_size(): sufficient statistics (below)
  const double* given_resp = nullptr;  // n×k: use these responsibilities, not the model's
};

// Sufficient statistics of a pass, float64, combined in fixed block order:
// [Σw, Σw·log_prob_norm, N (k), S1 (k×d), S2], where with r = w·resp and δ = x − shift − means_c,
// N_c = Σ r, S1_c = Σ r·δ, and S2 is Σ r·δδᵀ (upper triangle, row by row) per component for
// full, Σ r·δ² per component for diag and spherical, and for tied (once, not per component)
// Σ w·x̃x̃ᵀ then Σ w·x̃ with x̃ = x − shift.
static inline index_t gmm_second_size(CovType type, index_t k, index_t d) {
  const index_t tri = d * (d + 1) / 2;
  return type == CovType::full ? k * tri : type == CovType::tied ? tri + d : k * d;
}
static inline index_t gmm_stats_size(CovType type, index_t k, index_t d) {
  return 2 + k + k * d + gmm_second_size(type, k, d);
}

template <class T>
struct GmmKernels {
  // One pass over X (n rows of m.d features, weights w or null for ones).
  void (*pass)(const T* X, const T* w, index_t n, const GmmModel& m, const GmmPassOut<T>& out, int threads);
};

// Distances for hierarchical clustering between rows a and b of X.
enum class Metric : int { sqeuclidean = 0, euclidean = 1, cityblock = 2, cosine = 3 };

template <class T>
struct LinkageKernels {
  // Condensed distance matrix of the n rows of X (n×d): out[n·i − i(i+1)/2 + j − i − 1] for
  // i < j. norms (n) are the rows' Euclidean norms, used by the cosine metric only.
  void (*pdist)(const T* X, index_t n, index_t d, Metric metric, const double* norms, double* out, int threads);
  // The same distances (the same bits) as the n×n matrix out[i·n + j], the diagonal 0; false if
  // any is not finite and >= 0 (the searches cannot order NaN; inf from X with inf or NaN, or
  // from products that overflow).
  bool (*pdist_square)(const T* X, index_t n, index_t d, Metric metric, const double* norms, double* out, int threads);
};

// Searches of the tree algorithms on raw vectors, over clusters (or rows) stored by position,
// feature-major: cols[j·stride + t] is feature j at position t < m, stride a multiple of 16, all
// float64 whatever X's dtype. Each returns the minimum of a total order (distance, then rank),
// which does not depend on how the positions are split over threads.
struct TreeKernels {
  // Ward: among positions other than slot x's, the smallest (squared Ward distance, rank), rank
  // −1 for the slot `prev` (the chain's previous element wins ties, as in scipy) and the slot
  // number otherwise; sizes[t] and slots[t] (as doubles) per position. Returns that slot; its
  // squared distance 2·n_x·n_t/(n_x + n_t)·‖c_x − c_t‖² goes to best_dist.
  index_t (*ward_nearest)(const double* cols, index_t stride, const double* sizes, const double* slots, index_t m,
                          index_t d, const double* cx, double sx, index_t x, index_t prev, double* best_dist,
                          int threads);
  // Prim: dist[t] = min(dist[t], distance(x, row at t)) for the rows outside the tree (x's
  // features cx, its norm nx and the rows' norms for cosine; Euclidean distances kept squared);
  // returns the position with the smallest (dist[t], rows[t]).
  index_t (*prim_step)(const double* cols, index_t stride, const double* rows, const double* norms, index_t m,
                       index_t d, const double* cx, double nx, Metric metric, double* dist, int threads);
  // Optimal leaf ordering: min over t < count of b[t] + d[t] (count >= 0; +inf for none). Every
  // sum is one rounding and the minimum of them exact, so all levels give the same value.
  double (*min_plus)(const double* b, const double* d, index_t count);
  // Centroid and median: out[t] = ‖c_t − cx‖² for t in [lo, hi), the same bits for a position
  // whatever the range, vector or thread; computed a vector at a time from lo rounded down to the
  // lanes, so cols, live and out must reach from there to hi rounded up (stride and padding).
  // Returns the first position in [from, hi) with live[t] != 0 at the least value (best_dist), or
  // −1 if there is none (the values must not be NaN).
  index_t (*centroid_row)(const double* cols, index_t stride, const double* live, index_t lo, index_t from, index_t hi,
                          index_t d, const double* cx, double* out, double* best_dist, int threads);
  // The chain's scan of a row of the square matrix: the least value over the live positions
  // (size[q] != 0) of [lo, hi) other than p, and in *at the first block of `block` positions from
  // lo that holds it (+inf and −1 if nothing is below +inf). The values are never NaN; the
  // minimum is exact, so every level gives the same.
  double (*live_row_min)(const double* row, const double* size, index_t p, index_t lo, index_t hi, index_t block,
                         index_t* at);
};

template <class T>
struct MetricKernels {
  // Silhouette of each of the n rows of X (n×d), which are sorted by cluster: rows
  // [starts[c], starts[c+1]) form cluster c, every cluster non-empty; Euclidean distances in
  // float64. out[i] = (b − a)/max(a, b), 0 for a row alone in its cluster.
  void (*silhouette)(const T* X, index_t n, index_t d, const index_t* starts, index_t k, double* out, int threads);
  // The same for a CSR matrix of n rows and d columns (indptr: n + 1 offsets from 0 to nnz,
  // non-decreasing; indices in [0, d), at most once per row), with metric euclidean,
  // sqeuclidean or cityblock; 32- and 64-bit indices.
  void (*silhouette_csr32)(const T* data, const std::int32_t* indices, const std::int32_t* indptr, index_t n, index_t d,
                           const index_t* starts, index_t k, Metric metric, double* out, int threads);
  void (*silhouette_csr64)(const T* data, const std::int64_t* indices, const std::int64_t* indptr, index_t n, index_t d,
                           const index_t* starts, index_t k, Metric metric, double* out, int threads);
};

// One ISA level's kernels.
template <template <class> class Kernels>
struct Table {
  Kernels<float> f32;
  Kernels<double> f64;
  template <class T>
  const Kernels<T>& get() const {
    if constexpr (std::is_same_v<T, float>) return f32;
    else return f64;
  }
};

struct IsaKernels {
  const char* name;
  const Table<KMeansKernels>* kmeans;
  const Table<GmmKernels>* gmm;
  const Table<LinkageKernels>* linkage;
  const TreeKernels* tree;
  const Table<MetricKernels>* metrics;
  const Table<ElkanKernels>* elkan;
  const Table<SparseKMeansKernels>* sparse_kmeans;
};

#define KMIX_DECLARE_ISA(ns)                                 \
  namespace ns {                                             \
  const Table<KMeansKernels>& kmeans_kernels();              \
  const Table<GmmKernels>& gmm_kernels();                    \
  const Table<LinkageKernels>& linkage_kernels();            \
  const TreeKernels& tree_kernels();                         \
  const Table<MetricKernels>& metrics_kernels();             \
  const Table<ElkanKernels>& elkan_kernels();                \
  const Table<SparseKMeansKernels>& sparse_kmeans_kernels(); \
  }
KMIX_DECLARE_ISA(baseline)
KMIX_DECLARE_ISA(avx2)
KMIX_DECLARE_ISA(avx512)
#undef KMIX_DECLARE_ISA

// The table in use.
const IsaKernels& kernels();
template <class T>
const KMeansKernels<T>& kmeans_kernels_for() {
  return kernels().kmeans->get<T>();
}
template <class T>
const GmmKernels<T>& gmm_kernels_for() {
  return kernels().gmm->get<T>();
}
template <class T>
const LinkageKernels<T>& linkage_kernels_for() {
  return kernels().linkage->get<T>();
}
template <class T>
const MetricKernels<T>& metric_kernels_for() {
  return kernels().metrics->get<T>();
}
template <class T>
const ElkanKernels<T>& elkan_kernels_for() {
  return kernels().elkan->get<T>();
}
template <class T, class I>
const SparseKMeansFns<T, I>& sparse_kmeans_kernels_for() {
  return kernels().sparse_kmeans->get<T>().template get<I>();
}
// ISA levels this build has and this CPU runs, lowest first.
std::vector<std::string> available_isas();
// Use `name` (must be in available_isas(), or "baseline": the lowest level, whatever its name
// here, e.g. "neon" on arm64); returns false otherwise.
bool select_isa(const std::string& name);

}  // namespace kmix
