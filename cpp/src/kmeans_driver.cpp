// Lloyd iterations and k-means++ seeding; the O(n·d) work is in the ISA kernels (kmeans.hpp).
// This file is compiled once, for the baseline ISA.
#include "kmix/kmeans_driver.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace kmix {

std::vector<index_t> empty_clusters(const double* weights, index_t k) {
  std::vector<index_t> empty;
  for (index_t c = 0; c < k; ++c)
    if (weights[c] == 0.0) empty.push_back(c);
  return empty;
}

std::vector<index_t> farthest_rows(std::vector<double>& dist, index_t m) {
  // A total order (a NaN distance, from NaN data, counts as −inf) keeps partial_sort within bounds.
  for (double& v : dist)
    if (v != v) v = -std::numeric_limits<double>::infinity();
  // Only a point away from its center can start a new cluster: one on its center (a duplicate
  // of it) would leave its own cluster as it is or empty it. (scikit-learn's argpartition takes
  // such points in an unspecified order; none at all: fewer distinct points than k.)
  const index_t n = index_t(dist.size());
  const index_t movable = std::count_if(dist.begin(), dist.end(), [](double v) { return v > 0.0; });
  m = std::min(m, movable);
  std::vector<index_t> order(n);
  for (index_t i = 0; i < n; ++i) order[i] = i;
  std::partial_sort(order.begin(), order.begin() + m, order.end(),
                    [&](index_t a, index_t b) { return dist[a] > dist[b] || (dist[a] == dist[b] && a < b); });
  order.resize(m);
  return order;
}

// scikit-learn's relocation: each empty cluster takes one of the points farthest from their
// center, the farthest first, and that point's weight moves from its old cluster's sums.
// (scikit-learn orders several far points by np.argpartition, which is unspecified; kmix
// takes them by decreasing distance, lower index first on ties.)
template <class T>
void relocate_empty(const KMeansKernels<T>& K, const T* X, const T* w, index_t n, index_t d, const T* centers_old,
                    index_t k, const int* labels, double* sums, double* weights, int threads) {
  const std::vector<index_t> empty = empty_clusters(weights, k);
  if (empty.empty()) return;
  std::vector<double> dist(n);
  K.dist_to_assigned(X, n, d, centers_old, labels, dist.data(), threads);
  const std::vector<index_t> far_rows = farthest_rows(dist, index_t(empty.size()));
  for (std::size_t e = 0; e < far_rows.size(); ++e) {
    const index_t far = far_rows[e], to = empty[e], from = labels[far];
    const double wf = w ? double(w[far]) : 1.0;
    for (index_t j = 0; j < d; ++j) {
      sums[from * d + j] -= double(X[far * d + j]) * wf;
      sums[to * d + j] = double(X[far * d + j]) * wf;
    }
    weights[to] = wf;
    weights[from] -= wf;
  }
}

// New centers = sums / weights. A cluster still empty takes the row of the heaviest cluster as it
// stands at that point of the loop, as scikit-learn's _average_centers does: the heaviest
// cluster's mean if its index is lower, else its weighted sums (not yet divided). Odd, but it
// keeps the answers identical. scikit-learn's sums are of centred rows: if X was not centred,
// `mean` (else null) turns ours into those. Returns Σ_c ‖new_c − old_c‖².
template <class T>
double average_centers(const double* sums, const double* weights, const T* old_centers, index_t k, index_t d,
                       const double* mean, T* new_centers) {
  const index_t heaviest = std::max_element(weights, weights + k) - weights;
  for (index_t c = 0; c < k; ++c) {
    if (weights[c] > 0.0) {
      const double alpha = 1.0 / weights[c];  // scikit-learn's product by the reciprocal, the same bits
      if (alpha <= std::numeric_limits<double>::max()) {
        for (index_t j = 0; j < d; ++j) new_centers[c * d + j] = T(sums[c * d + j] * alpha);
      } else {  // a denormal weight, whose reciprocal overflows: divide
        for (index_t j = 0; j < d; ++j) new_centers[c * d + j] = T(sums[c * d + j] / weights[c]);
      }
    } else if (heaviest < c) {
      for (index_t j = 0; j < d; ++j) new_centers[c * d + j] = new_centers[heaviest * d + j];
    } else if (mean) {
      for (index_t j = 0; j < d; ++j)
        new_centers[c * d + j] = T(sums[heaviest * d + j] - weights[heaviest] * mean[j]) + T(mean[j]);
    } else {
      for (index_t j = 0; j < d; ++j) new_centers[c * d + j] = T(sums[heaviest * d + j]);
    }
  }
  double shift = 0.0;
  for (index_t c = 0; c < k; ++c) {
    double s = 0.0;
    for (index_t j = 0; j < d; ++j) {
      const double t = double(new_centers[c * d + j]) - double(old_centers[c * d + j]);
      s += t * t;
    }
    shift += s;
  }
  return shift;
}

template <class T>
LloydResult lloyd(const T* X, const T* w, index_t n, index_t d, T* centers, index_t k, index_t max_iter, double tol,
                  bool verbose, int threads, int* labels, const double* mean) {
  const KMeansKernels<T>& K = kmeans_kernels_for<T>();
  LloydResult r;
  std::vector<double> sums(k * d), weights(k);
  std::vector<double> scratch(lloyd_scratch_size(n, k, d, sizeof(T)));
  std::vector<T> spare(k * d);
  T* cur = centers;        // centers of this iteration
  T* next = spare.data();  // centers being computed
  std::fill(labels, labels + n, -1);
  // Weights that are all 1 change no value: take the unweighted path, so they give the same bits.
  if (w && std::all_of(w, w + n, [](T v) { return v == T(1); })) w = nullptr;
  // Without sample weights the cluster sums are kept from step to step, and a step only moves the
  // rows whose label changed (after the first few steps, a few percent of them), instead of
  // adding up all n rows again. The weights are then counts, so exact: a cluster whose count
  // drops to zero gets exact zero sums. Each move leaves its rounding in the kept sums (measured:
  // 1.3e-9 relative in a center on lognormal data after 19 steps), so the centers a fit returns are
  // always from fresh sums: the first and the last step (max_iter) sum afresh, and when a step
  // would stop the fit early its centers are taken again from fresh sums of its labels.
  // With sample weights every step sums afresh, so that a cluster left with only zero weights
  // weighs exactly 0.
  const bool keep_sums = w == nullptr;
  std::vector<double> kept_sums(keep_sums ? k * d : 0), kept_weights(keep_sums ? k : 0);
  // One step from the centers `cur`: labels (unless again), then the new centers into `next`;
  // returns the number of labels that changed and sets `shift`. again: fresh sums of the labels.
  double shift = 0.0;
  auto step = [&](bool moves_only, bool again) {
    const index_t changed = K.lloyd_step(X, w, n, d, again ? nullptr : cur, k, labels, sums.data(), weights.data(),
                                         scratch.data(), moves_only, threads);
    if (keep_sums) {
      if (!moves_only) {
        kept_sums = sums;
        kept_weights = weights;
      } else {
        for (index_t e = 0; e < k * d; ++e) kept_sums[e] += sums[e];
        for (index_t c = 0; c < k; ++c) {
          kept_weights[c] += weights[c];
          if (kept_weights[c] == 0.0) std::fill(&kept_sums[c * d], &kept_sums[c * d] + d, 0.0);
        }
      }
      sums = kept_sums;  // relocate_empty edits this step's copy only
      weights = kept_weights;
    }
    relocate_empty(K, X, w, n, d, cur, k, labels, sums.data(), weights.data(), threads);
    shift = average_centers(sums.data(), weights.data(), cur, k, d, mean, next);
    return changed;
  };

  index_t i = 0;
  for (; i < max_iter; ++i) {
    check_interrupt();
    const bool moves_only = keep_sums && i > 0 && i + 1 < max_iter;
    const index_t changed = step(moves_only, false);
    r.distances += double(n) * double(k);
    if (moves_only && (changed == 0 || shift <= tol)) step(false, true);
    if (verbose) {
      r.iter_inertia.push_back(K.inertia(X, w, n, d, cur, labels, threads));
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
  if (r.strict) r.inertia = K.inertia(X, w, n, d, cur, labels, threads);
  else {  // one more assignment so that labels match the returned centers
    r.inertia = K.assign_inertia(X, w, n, d, cur, k, labels, threads);
    r.distances += double(n) * double(k);
  }
  if (cur != centers) std::copy(cur, cur + k * d, centers);
  return r;
}

template <class T>
void minibatch_update(const T* centers_old, T* centers_new, T* weight_sums, const double* sums, const double* weights,
                      index_t k, index_t d) {
  for (index_t c = 0; c < k; ++c) {
    if (weights[c] > 0.0) {
      const double before = double(weight_sums[c]), after = before + weights[c];
      for (index_t j = 0; j < d; ++j)
        centers_new[c * d + j] = T((double(centers_old[c * d + j]) * before + sums[c * d + j]) / after);
      weight_sums[c] = T(after);
    } else if (centers_new != centers_old) {
      std::copy(centers_old + c * d, centers_old + c * d + d, centers_new + c * d);
    }
  }
}

template <class T>
double minibatch_step(const T* X, index_t d, const index_t* rows, index_t m, const T* w, const T* centers_old,
                      T* centers_new, T* weight_sums, index_t k, int* labels, int threads) {
  const KMeansKernels<T>& K = kmeans_kernels_for<T>();
  std::vector<T> gathered;
  const T* B = X;
  if (rows) {  // the batch's rows, copied together so the kernels stream them
    gathered.resize(m * d);
#pragma omp parallel for schedule(static) num_threads(threads) if (m * d > 65536)
    for (index_t i = 0; i < m; ++i) std::copy(X + rows[i] * d, X + rows[i] * d + d, gathered.data() + i * d);
    B = gathered.data();
  }
  std::vector<double> sums(k * d), weights(k);
  std::vector<double> scratch(lloyd_scratch_size(m, k, d, sizeof(T)));
  K.lloyd_step(B, w, m, d, centers_old, k, labels, sums.data(), weights.data(), scratch.data(), false, threads);
  const double inertia = K.inertia(B, w, m, d, centers_old, labels, threads);
  minibatch_update(centers_old, centers_new, weight_sums, sums.data(), weights.data(), k, d);
  return inertia;
}

void draw_rows(const double* cdf, index_t n, const double* u, index_t m, index_t* rows, int threads) {
#pragma omp parallel for schedule(static) num_threads(threads) if (m >= 1024)
  for (index_t t = 0; t < m; ++t) {
    const double v = u[t];
    index_t lo, hi;  // the answer is in (lo, hi]: cdf[lo] <= v (or lo = -1), cdf[hi] > v (or hi = n)
    const double guess = v * double(n);  // compared first: converting NaN or a huge value is undefined
    index_t g = guess >= 0.0 ? (guess < double(n - 1) ? index_t(guess) : n - 1) : 0;
    if (cdf[g] > v) {
      hi = g;
      index_t step = 1;
      lo = g - step;
      while (lo >= 0 && cdf[lo] > v) {
        hi = lo;
        step *= 2;
        lo = hi - step;
      }
      if (lo < -1) lo = -1;
    } else {
      lo = g;
      index_t step = 1;
      hi = g + step;
      while (hi < n && cdf[hi] <= v) {
        lo = hi;
        step *= 2;
        hi = lo + step;
      }
      if (hi > n) hi = n;
    }
    while (hi - lo > 1) {
      const index_t mid = lo + (hi - lo) / 2;
      if (cdf[mid] > v) hi = mid;
      else lo = mid;
    }
    rows[t] = hi < n ? hi : n - 1;  // u >= cdf's last value (rounding, or a cdf short of 1)
  }
}

template <class T>
index_t first_reaching(double r, const T* w, const double* closest, const double* block_sums, index_t n) {
  const index_t n_blocks = (n + kSeedingBlock - 1) / kSeedingBlock;
  double acc = 0.0;
  for (index_t b = 0; b < n_blocks; ++b) {
    if (acc + block_sums[b] >= r) {
      const index_t end = std::min(n, (b + 1) * kSeedingBlock);
      double run = acc;
      for (index_t i = b * kSeedingBlock; i < end; ++i) {
        run += double(w[i]) * closest[i];
        if (run >= r) return i;
      }
    }
    acc += block_sums[b];
  }
  return n - 1;
}

// v as a float32, ±inf beyond its range (where the plain conversion is undefined behaviour).
inline float to_float(double v) {
  const double top = std::numeric_limits<float>::max();
  return v > top    ? std::numeric_limits<float>::infinity()
         : v < -top ? -std::numeric_limits<float>::infinity()
                    : float(v);
}

// x rounded to bfloat16 (round to nearest even, through float32), as the bits of its high half.
inline std::uint16_t to_bf16(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return std::uint16_t(u >> 16 | 0x40);  // NaN stays NaN
  u += 0x7fffu + (u >> 16 & 1u);
  return std::uint16_t(u >> 16);
}

// k-means++'s sketch of X (SeedingSketch): n·d bfloat16, two floats a row. None (all null) for
// fewer than kSketchMinCenters centers: there most rows move at every step, their distances are
// computed exactly anyway, and the sketch's pass over X did not pay (measured at k = 8).
constexpr index_t kSketchMinCenters = 32;

template <class T>
SeedingSketch seeding_sketch(const T* X, index_t n, index_t d, index_t k, int threads, std::vector<std::uint16_t>& xt,
                             std::vector<float>& norm, std::vector<float>& err, std::vector<float>& radius,
                             std::vector<double>& tile_sums) {
  constexpr index_t R = SeedingSketch::rows;
  // (The sketch's test needs d·2⁻²⁴ well below 1.)
  if (k < kSketchMinCenters || double(d) * 0x1p-24 >= 0.125)
    return SeedingSketch{nullptr, nullptr, nullptr, nullptr, nullptr};
  const index_t padded = (n + R - 1) / R * R;
  xt.assign(std::size_t(padded) * std::size_t(d), 0);
  norm.assign(padded, 0.0f);
  err.assign(padded, 0.0f);
  radius.assign(padded, 0.0f);  // (these two set by the first seeding_choose)
  tile_sums.assign(padded / R, 0.0);
#pragma omp parallel for schedule(static) num_threads(threads) if (n * d > 65536)
  for (index_t i = 0; i < n; ++i) {
    std::uint16_t* out = xt.data() + (i / R) * R * d + SeedingSketch::slot(i % R);
    double s = 0.0, e = 0.0;
    for (index_t j = 0; j < d; ++j) {
      const std::uint16_t h = to_bf16(to_float(double(X[i * d + j])));
      out[j * R] = h;
      const double v = bf16_value(h), diff = double(X[i * d + j]) - v;
      s += v * v;
      e += diff * diff;
    }
    norm[i] = to_float(s);
    // Rounded up past the rounding of the sum, the square root and the float.
    err[i] = to_float(std::sqrt(e) * (1.0 + 0x1p-20));
  }
  return SeedingSketch{xt.data(), norm.data(), err.data(), radius.data(), tile_sums.data()};
}

// Bounds on the potential each trial would leave, from seeding_trials' estimates (per block the
// bounds on what each trial takes off the potential pot), widened by a margin that covers the
// rounding of the exact sums (and of these): false if one is not finite (or NaN).
inline bool seeding_pot_bounds(const double* estimates, index_t n_blocks, index_t m, double pot, index_t n, index_t d,
                               double* lower, double* upper) {
  double gain_lo[64], gain_hi[64];
  for (index_t t = 0; t < m; ++t) gain_lo[t] = gain_hi[t] = 0.0;
  for (index_t b = 0; b < n_blocks; ++b)
    for (index_t t = 0; t < m; ++t) {
      gain_lo[t] += estimates[b * 2 * m + t];
      gain_hi[t] += estimates[b * 2 * m + m + t];
    }
  // (relative for the exact sums' roundings, which are below (n + d)·2⁻⁵² of pot, and absolute
  // for their underflows, below 2⁻¹⁰⁷⁴ an operation)
  const double margin = double(n + d + 64) * (0x1p-46 * pot + 0x1p-1050), inf = std::numeric_limits<double>::infinity();
  bool finite = margin < inf;
  for (index_t t = 0; t < m; ++t) {
    upper[t] = pot - gain_lo[t] + margin;
    lower[t] = pot - gain_hi[t] - margin;
    finite &= upper[t] < inf && lower[t] > -inf;
  }
  return finite;
}

// The trial k-means++ takes (the first with the least exact potential), when the bounds tell:
// the first trial with the least upper bound, if that is below every other trial's lower bound;
// -1 when they cannot tell. A repeated candidate has the same exact sum as its first occurrence,
// which the first-least rule prefers, so it is left out.
inline index_t seeding_decide(const double* estimates, index_t n_blocks, index_t m, const index_t* cand, double pot,
                              index_t n, index_t d) {
  double lower[64], upper[64];
  if (!seeding_pot_bounds(estimates, n_blocks, m, pot, n, d, lower, upper)) return -1;
  auto repeated = [&](index_t t) { return std::find(cand, cand + t, cand[t]) != cand + t; };
  index_t best = -1;
  for (index_t t = 0; t < m; ++t)
    if (!repeated(t) && (best < 0 || upper[t] < upper[best])) best = t;
  for (index_t t = 0; t < m; ++t)
    if (t != best && !repeated(t) && !(upper[best] < lower[t])) return -1;
  return best;
}

// The trials that could have the least potential by the bounds (bit t): those whose lower bound
// is not above every upper bound.
inline std::uint64_t seeding_contenders(const double* estimates, index_t n_blocks, index_t m, double pot, index_t n,
                                        index_t d) {
  double lower[64], upper[64];
  seeding_pot_bounds(estimates, n_blocks, m, pot, n, d, lower, upper);
  const double least = *std::min_element(upper, upper + m);
  std::uint64_t which = 0;
  for (index_t t = 0; t < m; ++t) which |= std::uint64_t(!(lower[t] > least)) << t;
  return which;
}

template <class T>
void kmeans_plusplus(const T* X, const T* w, index_t n, index_t d, index_t k, index_t first, const double* uniforms,
                     index_t n_trials, int threads, index_t* chosen) {
  if (n_trials < 1 || n_trials > 64) throw std::invalid_argument("n_local_trials must be in [1, 64]");
  const KMeansKernels<T>& K = kmeans_kernels_for<T>();
  const index_t n_blocks = (n + kSeedingBlock - 1) / kSeedingBlock;
  std::vector<double> closest(n, std::numeric_limits<double>::infinity()), block_sums(n_blocks);
  std::vector<index_t> cand(n_trials);
  std::vector<double> pots(n_trials), trial_sums(n_blocks * n_trials * 2), gains(n_blocks * n_trials);
  // One pass over X per step: the trials' distances, the block sums each choice would leave, and
  // the rows each would move (O(n) memory: at most one move per row and block).
  std::vector<SeedingMove> move_buf(std::size_t(n_blocks) * std::size_t(kSeedingBlock));
  std::vector<index_t> move_count(n_blocks);
  const SeedingMoves moves{move_buf.data(), move_count.data()};
  // The triangle inequality's bounds: every row's nearest chosen center, and each step the
  // squared distances from the candidates to the centers chosen so far (m·k·d, small beside the
  // step's m·n·d).
  // Only with a sketch (without one, few centers, they did not pay: seeding_trials_exact), and
  // only while they keep whole tiles of rows out of its pass: after a step where they closed
  // fewer than 1/16 of the tiles (overlapping clusters), the next kBoundsRest steps go without
  // them (counts only: the same steps for any thread count).
  std::vector<std::int32_t> owner(n, 0);
  std::vector<double> gap2(std::size_t(n_trials) * std::size_t(k), 0.0);
  std::vector<index_t> closed(n_blocks, 0);
  const index_t n_tiles = (n + SeedingSketch::rows - 1) / SeedingSketch::rows, kBoundsRest = 8;
  index_t rest = 0, misses = 0;
  std::vector<std::uint16_t> sketch_xt;
  std::vector<float> sketch_norm, sketch_err, radius;
  std::vector<double> tile_sums;
  const SeedingSketch sketch =
      seeding_sketch(X, n, d, k, threads, sketch_xt, sketch_norm, sketch_err, radius, tile_sums);

  auto search = [&](double r) { return first_reaching(r, w, closest.data(), block_sums.data(), n); };

  chosen[0] = first;
  std::fill(move_count.begin(), move_count.end(), index_t(-1));  // every distance to the first center
  K.seeding_choose(X, w, sketch, n, d, first, 0, 0, closest.data(), moves, owner.data(), threads);
  for (index_t b = 0; b < n_blocks; ++b) {  // in seeding_trials' order: each tile's sum, the tiles in order
    double s = 0.0;
    for (index_t i = b * kSeedingBlock; i < std::min(n, (b + 1) * kSeedingBlock); i += SeedingSketch::rows) {
      double keep[SeedingSketch::rows];
      for (index_t r = 0; r < SeedingSketch::rows; ++r) keep[r] = i + r < n ? double(w[i + r]) * closest[i + r] : 0.0;
      s += seeding_tile_sum(keep);
    }
    block_sums[b] = s;
  }
  double pot = 0.0;
  for (double s : block_sums) pot += s;
  for (index_t c = 1; c < k; ++c) {
    check_interrupt();
    for (index_t t = 0; t < n_trials; ++t) cand[t] = search(uniforms[(c - 1) * n_trials + t] * pot);
    const bool use_bounds = sketch.xt && rest == 0;
    if (use_bounds)
      for (index_t t = 0; t < n_trials; ++t)
        for (index_t a = 0; a < c; ++a) {
          const T* x = X + cand[t] * d;
          const T* y = X + chosen[a] * d;
          double s = 0.0;
          for (index_t j = 0; j < d; ++j) s += (double(x[j]) - double(y[j])) * (double(x[j]) - double(y[j]));
          gap2[t * k + a] = s * (1.0 - 0x1p-20);  // rounded down past its own rounding
        }
    const SeedingBounds bounds{owner.data(), use_bounds ? gap2.data() : nullptr, k, closed.data()};
    // With a sketch, first the estimates (no exact distance but for the chosen trial's pairs, in
    // seeding_choose); the exact sums only when they cannot tell the best trial.
    index_t best = -1;
    if (sketch.xt) {
      K.seeding_trials(X, w, sketch, n, d, closest.data(), cand.data(), n_trials, trial_sums.data(), moves, bounds,
                       true, threads);
      best = seeding_decide(trial_sums.data(), n_blocks, n_trials, cand.data(), pot, n, d);
      // Where they overlap, the exact gains of the trials that could be best (their recorded pairs
      // only), if every block's pairs were recorded.
      if (best < 0 && std::find(move_count.begin(), move_count.end(), index_t(-1)) == move_count.end()) {
        const std::uint64_t which = seeding_contenders(trial_sums.data(), n_blocks, n_trials, pot, n, d);
        K.seeding_gains(X, w, n, d, closest.data(), cand.data(), n_trials, which, moves, gains.data(), threads);
        for (index_t b = 0; b < n_blocks; ++b)
          for (index_t t = 0; t < n_trials; ++t)
            if (which >> t & 1)
              trial_sums[b * 2 * n_trials + t] = trial_sums[b * 2 * n_trials + n_trials + t] = gains[b * n_trials + t];
        best = seeding_decide(trial_sums.data(), n_blocks, n_trials, cand.data(), pot, n, d);
      }
    }
    if (best < 0) {
      K.seeding_trials(X, w, sketch, n, d, closest.data(), cand.data(), n_trials, trial_sums.data(), moves, bounds,
                       false, threads);
      for (index_t t = 0; t < n_trials; ++t) {  // the potential each trial would leave, blocks in order
        double total = 0.0;
        for (index_t b = 0; b < n_blocks; ++b) total += trial_sums[b * n_trials + t];
        pots[t] = total;
      }
      best = std::min_element(pots.begin(), pots.end()) - pots.begin();
    }
    if (use_bounds) {
      index_t total = 0;
      for (index_t v : closed) total += v;
      // (kBoundsRest, then twice as long after each further miss, up to 8 times as long)
      rest = 16 * total < n_tiles ? kBoundsRest << std::min<index_t>(misses++, 3) : (misses = 0);
    } else if (rest > 0) {
      --rest;
    }
    chosen[c] = cand[best];
    K.seeding_choose(X, w, sketch, n, d, cand[best], best, c, closest.data(), moves, owner.data(), threads);
    if (sketch.xt) {
      // The block sums from the tiles' (the same bits as the exact trial sums: the same tiles'
      // sums, added in the same order).
      const index_t per_block = kSeedingBlock / SeedingSketch::rows;
      pot = 0.0;
      for (index_t b = 0; b < n_blocks; ++b) {
        double s = 0.0;
        for (index_t tile = b * per_block; tile < std::min(n_tiles, (b + 1) * per_block); ++tile) s += tile_sums[tile];
        block_sums[b] = s;
        pot += s;
      }
    } else {
      pot = pots[best];
      for (index_t b = 0; b < n_blocks; ++b) block_sums[b] = trial_sums[b * n_trials + best];
    }
  }
}

template <class T>
double center_columns(const T* X, index_t n, index_t d, T* out, T* mean, int threads) {
  std::vector<double> moments(2 * d);  // Σx then Σx² per column
  kmeans_kernels_for<T>().column_moments(X, n, d, nullptr, moments.data(), threads);
  double spread = 0.0;
  for (index_t j = 0; j < d; ++j) {
    const double m = moments[j] / double(n);
    mean[j] = T(m);
    spread += std::max(0.0, moments[d + j] / double(n) - m * m);
  }
  if (out) subtract_columns(X, n, d, mean, out, threads);
  return spread;
}

template <class T>
double mean_variance(const T* X, index_t n, index_t d, int threads) {
  const auto& K = kmeans_kernels_for<T>();
  std::vector<double> first(2 * d), second(2 * d);
  K.column_moments(X, n, d, nullptr, first.data(), threads);
  for (index_t j = 0; j < d; ++j) first[j] /= double(n);  // the means
  K.column_moments(X, n, d, first.data(), second.data(), threads);
  double total = 0.0;
  for (index_t j = 0; j < d; ++j)  // Σ(x − m)², less the rounding left in Σ(x − m)
    total += std::max(0.0, (second[d + j] - second[j] * second[j] / double(n)) / double(n));
  return total / double(d);
}

// Not stopped by Ctrl-C: out may be the caller's X, which must not be left half centred (one
// pass over X: a second per 10 GB).
template <class T>
void subtract_columns(const T* X, index_t n, index_t d, const T* mean, T* out, int threads) {
#pragma omp parallel for schedule(static) num_threads(threads) if (n * d > 65536)
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) out[i * d + j] = X[i * d + j] - mean[j];
}

template <class T>
bool wants_centring(const T* X, index_t n, index_t d, T* mean, int threads) {
  const double spread = center_columns<T>(X, n, d, nullptr, mean, threads);
  // In float64, centring pays for itself only when the mean is far from the origin compared
  // with the spread: with ‖mean‖² <= spread/4 it would shrink ‖x‖² (the scale of the rounding
  // in ‖c‖² − 2x·c) by at most 1.25, so X is used as it is, with no copy. float32 is always
  // centred, as scikit-learn does: its rounding is coarse enough that uncentred distances break
  // near-ties differently (measured: 55 of 60k labels apart after 20 iterations at d = 784, none
  // when centred).
  if (sizeof(T) != sizeof(double)) return true;
  double far = 0.0;
  for (index_t j = 0; j < d; ++j) far += double(mean[j]) * double(mean[j]);
  return !(4.0 * far <= spread);
}

template <class T>
double lloyd_chunk(const T* X, const T* w, index_t n, index_t d, const T* C, index_t k, double* sums, double* weights,
                   int threads) {
  const KMeansKernels<T>& K = kmeans_kernels_for<T>();
  std::vector<int> labels(n, -1);
  std::vector<double> scratch(lloyd_scratch_size(n, k, d, sizeof(T)));
  K.lloyd_step(X, w, n, d, C, k, labels.data(), sums, weights, scratch.data(), false, threads);
  return K.inertia(X, w, n, d, C, labels.data(), threads);
}

template <class T>
void assign(const T* X, index_t n, index_t d, const T* C, index_t k, int* labels, int threads) {
  kmeans_kernels_for<T>().lloyd_step(X, nullptr, n, d, C, k, labels, nullptr, nullptr, nullptr, false, threads);
}

template <class T>
double inertia(const T* X, const T* w, index_t n, index_t d, const T* C, const int* labels, int threads) {
  return kmeans_kernels_for<T>().inertia(X, w, n, d, C, labels, threads);
}

template <class T>
void sq_distances(const T* X, index_t n, index_t d, const T* C, index_t k, T* out, int threads) {
  kmeans_kernels_for<T>().sq_distances(X, n, d, C, k, out, threads);
}

template <class T>
double abs_max(const T* x, index_t count, int threads) {
  return kmeans_kernels_for<T>().abs_max(x, count, threads);
}

#define KMIX_INSTANTIATE(T)                                                                                          \
  template void minibatch_update<T>(const T*, T*, T*, const double*, const double*, index_t, index_t);               \
  template index_t first_reaching<T>(double, const T*, const double*, const double*, index_t);                       \
  template void relocate_empty<T>(const KMeansKernels<T>&, const T*, const T*, index_t, index_t, const T*, index_t,  \
                                  const int*, double*, double*, int);                                                \
  template LloydResult lloyd<T>(const T*, const T*, index_t, index_t, T*, index_t, index_t, double, bool, int, int*, \
                                const double*);                                                                      \
  template void kmeans_plusplus<T>(const T*, const T*, index_t, index_t, index_t, index_t, const double*, index_t,   \
                                   int, index_t*);                                                                   \
  template double center_columns<T>(const T*, index_t, index_t, T*, T*, int);                                        \
  template double average_centers<T>(const double*, const double*, const T*, index_t, index_t, const double*, T*);   \
  template void subtract_columns<T>(const T*, index_t, index_t, const T*, T*, int);                                  \
  template double mean_variance<T>(const T*, index_t, index_t, int);                                                 \
  template double minibatch_step<T>(const T*, index_t, const index_t*, index_t, const T*, const T*, T*, T*, index_t, \
                                    int*, int);                                                                      \
  template bool wants_centring<T>(const T*, index_t, index_t, T*, int);                                              \
  template double lloyd_chunk<T>(const T*, const T*, index_t, index_t, const T*, index_t, double*, double*, int);    \
  template void assign<T>(const T*, index_t, index_t, const T*, index_t, int*, int);                                 \
  template double inertia<T>(const T*, const T*, index_t, index_t, const T*, const int*, int);                       \
  template void sq_distances<T>(const T*, index_t, index_t, const T*, index_t, T*, int);                             \
  template double abs_max<T>(const T*, index_t, int);
KMIX_INSTANTIATE(float)
KMIX_INSTANTIATE(double)
#undef KMIX_INSTANTIATE

}  // namespace kmix
