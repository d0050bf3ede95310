// Elkan's iterations (scikit-learn's _kmeans_single_elkan) around the bounded step of elkan.hpp.
// The loop is lloyd()'s (kmeans_driver.cpp): the same sums kept from step to step, relocation of
// empty clusters, averaging and stopping rules; what Elkan adds is, after each move of the
// centers, how far each one moved and how far apart they now are, for the bounds, and the choice
// of the next step's kind (below: Lloyd steps while the bounds would not pay).
// Compiled once, for the baseline ISA.
#include "kmix/elkan_driver.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace kmix {
namespace {

// An array of T for the n·k lower bounds, zeroed at once: on Linux in 2 MiB pages where
// transparent huge pages are offered on request, so that first touching tens of MB costs tens of
// page faults instead of thousands (measured at (100k, 16, 100): the 41.6 MB of bounds took
// ~30 ms of page faults in 4 KiB pages, ~4 ms in 2 MiB ones, as long as a Lloyd step); touched
// here in one sweep rather than by the first step's scattered writes.
template <class T>
class BigBuffer {
 public:
  BigBuffer(std::size_t count, int threads) {
    std::size_t bytes = std::max<std::size_t>(count, 1) * sizeof(T);
#if defined(__linux__)
    constexpr std::size_t kHuge = std::size_t(1) << 21;
    if (bytes >= kHuge) {
      bytes = (bytes + kHuge - 1) / kHuge * kHuge;
      p_ = std::aligned_alloc(kHuge, bytes);
      if (p_) madvise(p_, bytes, MADV_HUGEPAGE);
    }
#endif
    if (!p_) p_ = std::malloc(bytes);
    if (!p_) throw std::bad_alloc();
    // Zeroed by every thread, a slice each: the kernel clears each page on the thread that first
    // touches it (measured: clearing the 51 MB of (50k, 128, 256) took ~10% of the fit).
    constexpr std::size_t kPiece = std::size_t(1) << 21;
    const std::int64_t pieces = std::int64_t((bytes + kPiece - 1) / kPiece);
    // Ctrl-C is polled between pieces: at (1M, 16, 64) this is 256 MB, over a second on a busy
    // machine.
    char* base = static_cast<char*>(p_);
    StopFlag stop;
#pragma omp parallel for schedule(static) num_threads(threads) if (pieces > 1)
    for (std::int64_t q = 0; q < pieces; ++q) {
      if (stop.stop()) continue;
      const std::size_t lo = std::size_t(q) * kPiece, hi = std::min(bytes, lo + kPiece);
      std::memset(base + lo, 0, hi - lo);
    }
    try {
      stop.rethrow();
    } catch (...) {
      std::free(p_);  // the destructor does not run for a constructor that throws
      throw;
    }
  }
  ~BigBuffer() { std::free(p_); }
  BigBuffer(const BigBuffer&) = delete;
  BigBuffer& operator=(const BigBuffer&) = delete;
  T* get() const { return static_cast<T*>(p_); }

 private:
  void* p_ = nullptr;
};

std::atomic<bool> g_every_step_bounded{false};

// Elkan's iterations, or with hamerly Hamerly's: the same loop and step without the n·k lower
// bounds (ElkanState::lower null), each row keeping only its upper bound and `second`.
template <class T>
LloydResult bounded_kmeans(const T* X, const T* w, index_t n, index_t d, T* centers, index_t k, index_t max_iter,
                           double tol, bool verbose, int threads, int* labels, const double* mean, bool hamerly) {
  const KMeansKernels<T>& K = kmeans_kernels_for<T>();
  const ElkanKernels<T>& E = elkan_kernels_for<T>();
  LloydResult r;
  std::vector<double> sums(k * d), weights(k);
  std::vector<double> scratch(lloyd_scratch_size(n, k, d, sizeof(T)));
  std::vector<T> spare(k * d);
  T* cur = centers;        // centers of this iteration
  T* next = spare.data();  // centers being computed
  std::fill(labels, labels + n, -1);
  if (w && std::all_of(w, w + n, [](T v) { return v == T(1); })) w = nullptr;
  // Kept sums without weights, fresh ones with: as lloyd() (see there).
  const bool keep_sums = w == nullptr;
  std::vector<double> kept_sums(keep_sums ? k * d : 0), kept_weights(keep_sums ? k : 0);

  // The bounds, allocated at the first step that uses them. O(n·k) memory for the lower bounds
  // is what Elkan's algorithm needs (scikit-learn allocates the same n×k, in X's dtype); float32
  // here, rows padded to whole tile panels. Also k×k center gaps (scikit-learn's too).
  const index_t ks = E.stride(k);
  std::unique_ptr<BigBuffer<float>> lower;
  std::vector<double> shift(k, 0.0), cum(k, 0.0), next_gap(k);
  std::vector<float> upper, second, half(k * ks);
  // Bounds are stored scaled by 2^-e, e from the largest |coordinate| of the initial centers, so
  // that the distances of float64 data of any magnitude sit well inside float32's range.
  double largest = 0.0;
  for (index_t e = 0; e < k * d; ++e) largest = std::max(largest, std::fabs(double(centers[e])));
  int e = 0;
  if (largest > 0.0 && std::isfinite(largest)) std::frexp(largest, &e);
  index_t work[4] = {0, 0, 0, 0};
  ElkanState state{ks,           nullptr,    nullptr,     std::ldexp(1.0, -e),
                   shift.data(), cum.data(), half.data(), next_gap.data(),
                   nullptr,      0.0,        work};

  // Which kind of step comes next. Bounds pay only once the centers move little: while they move
  // far (the first steps), most rows would need distances anyway, and keeping k bounds per row
  // costs more than the Lloyd step it would replace (at k = 8, d = 16 a row through the tile with
  // its bounds costs three Lloyd rows). So the run starts with Lloyd steps (the same labels: both
  // are exact). After each one, the cost of a bounded step is predicted on a fixed sample of rows
  // by the cost model of elkan.hpp: their distances at the new centers, and which rows and
  // centers bounds would leave open once the centers moved on (as far as they just did, twice).
  // Once the saving over a few steps pays for the full step that writes the bounds (the tile on
  // every row, and the first time the bounds' memory), a full step and then bounded steps follow.
  // A bounded step whose work came near a Lloyd step's goes back to Lloyd steps, and the
  // prediction is trusted less from then on. Every choice depends on counts, never on times: any
  // thread count and any machine load give the same steps, and in exact arithmetic the same
  // results as all Lloyd or all Elkan steps. (At k = 8, d = 16 the bounds can save at most half a
  // Lloyd step per step, which a full step does not repay: those runs stay Lloyd's.)
  enum class Step { lloyd, full, bounded };
  const bool always = g_every_step_bounded.load(std::memory_order_relaxed);
  Step kind = always ? Step::full : Step::lloyd;
  const ElkanCosts model = E.costs(d, k);
  const double full_extra = model.tile_row / model.lloyd_row - 1.0;         // a full step, beyond a Lloyd step
  const double alloc_extra = hamerly ? 0.0 : double(ks) / model.lloyd_row;  // the first one's page faults
  constexpr double kHorizon = 3.0;  // steps in which a full step must pay for itself
  // Bounds loosen by every move of the centers: over the horizon they are on average about two
  // moves old, so the prediction lets the centers move twice as far as they just did (measured:
  // with 1.5, overlapping blobs at (100k, 16, 100) switched to bounded steps that soon cost as
  // much as Lloyd's, and the fit took 5% longer than Lloyd's; with 2, (50k, 128, 256) float32
  // switches a step later).
  constexpr double kAging = 2.0;
  double trust = 1.0;
  bool rest = false;  // skip one prediction
  // Not even worth predicting when a step with every row stopped by its first test would not pay.
  const bool never = always || (1.0 - model.visit / model.lloyd_row) * kHorizon <= full_extra + alloc_extra;
  const index_t n_sample = std::min(n, std::max<index_t>(64, std::min<index_t>(256, n / 64)));
  std::vector<T> sample(never ? 0 : n_sample * d), sample_d2(never ? 0 : n_sample * k);
  for (index_t t = 0; !never && t < n_sample; ++t)
    std::copy(X + (t * n / n_sample) * d, X + (t * n / n_sample + 1) * d, &sample[t * d]);
  std::vector<double> proxy(k), gap_half(never ? 0 : k * k);
  // The relative cost of steps that did this work (counts over `rows` rows).
  auto relative = [&](double rows, double scanned, double tiled, double ones) {
    return (rows * model.visit + scanned * model.scan + tiled * model.tile_row + ones * model.one) /
           (rows * model.lloyd_row);
  };
  // A bounded step's cost predicted on the sample at centers C with fresh bounds, the centers then
  // moving by `by`: which rows the two single tests would stop, which centers the others leave open.
  auto predict = [&](const T* C, const double* by) {
    K.sq_distances(sample.data(), n_sample, d, C, k, sample_d2.data(), threads);
    double most = 0.0;
    for (index_t c = 0; c < k; ++c) most = std::max(most, by[c]);
    for (index_t a = 0; a < k; ++a)
      for (index_t j = 0; j < k; ++j) {
        double s2 = 0.0;
        for (index_t f = 0; f < d; ++f) {
          const double t = double(C[a * d + f]) - double(C[j * d + f]);
          s2 += t * t;
        }
        gap_half[a * k + j] = j == a ? std::numeric_limits<double>::infinity() : 0.5 * std::sqrt(s2);
      }
    double scanned = 0, tiled = 0, ones = 0;
    for (index_t t = 0; t < n_sample; ++t) {
      const T* d2 = &sample_d2[t * k];
      index_t a = 0;
      for (index_t j = 1; j < k; ++j) a = d2[j] < d2[a] ? j : a;
      // Compared squared where both sides are distances (no root per center).
      const double reach = std::sqrt(double(d2[a])) + by[a];
      double other = std::numeric_limits<double>::infinity(), gap = std::numeric_limits<double>::infinity();
      for (index_t j = 0; j < k; ++j)
        if (j != a) {
          other = std::min(other, double(d2[j]));
          gap = std::min(gap, gap_half[a * k + j]);
        }
      if (reach < gap || std::sqrt(other) - most > reach) continue;
      if (hamerly) {  // the distance to its center, then the same tests with it (taken as unmoved)
        const double u = std::sqrt(double(d2[a]));
        ones += 1.0;
        if (!(u < gap || std::sqrt(other) - most > u)) ++tiled;
        continue;
      }
      ++scanned;
      index_t open = 0;
      for (index_t j = 0; j < k; ++j) {
        const double rj = reach + by[j];
        open += j != a && double(d2[j]) <= rj * rj && gap_half[a * k + j] <= reach;
      }
      if (open == 0) continue;
      if (double(open + 1) * model.one >= model.tile_row) ++tiled;
      else ones += double(open + 1);
    }
    if (2 * tiled >= double(n_sample)) tiled = double(n_sample);  // whole chunks go through the tile
    return relative(double(n_sample), scanned, tiled, ones);
  };

  double center_shift = 0.0;
  auto step = [&](bool moves_only, bool again) {
    index_t changed;
    if (again)
      changed =
          K.lloyd_step(X, w, n, d, nullptr, k, labels, sums.data(), weights.data(), scratch.data(), false, threads);
    else if (kind == Step::lloyd)
      changed =
          K.lloyd_step(X, w, n, d, cur, k, labels, sums.data(), weights.data(), scratch.data(), moves_only, threads);
    else
      changed = E.step(X, w, n, d, cur, k, labels, state, kind == Step::full, sums.data(), weights.data(),
                       scratch.data(), moves_only, threads);
    if (keep_sums) {
      if (!moves_only) {
        kept_sums = sums;
        kept_weights = weights;
      } else {
        for (index_t i = 0; i < k * d; ++i) kept_sums[i] += sums[i];
        for (index_t c = 0; c < k; ++c) {
          kept_weights[c] += weights[c];
          if (kept_weights[c] == 0.0) std::fill(&kept_sums[c * d], &kept_sums[c * d] + d, 0.0);
        }
      }
      sums = kept_sums;
      weights = kept_weights;
    }
    relocate_empty(K, X, w, n, d, cur, k, labels, sums.data(), weights.data(), threads);
    center_shift = average_centers(sums.data(), weights.data(), cur, k, d, mean, next);
    return changed;
  };
  // The centers moved from cur to next: each one's distance moved and the gaps between them.
  // How far center c moved from cur to next.
  auto center_move = [&](index_t c) {
    double s = 0.0;
    for (index_t j = 0; j < d; ++j) {
      const double t = double(next[c * d + j]) - double(cur[c * d + j]);
      s += t * t;
    }
    return std::sqrt(s);
  };
  auto moved = [&]() {
    double most = 0.0;
    for (index_t c = 0; c < k; ++c) {
      shift[c] = center_move(c);
      cum[c] += shift[c];
      most = std::max(most, shift[c]);  // NaN: left out (a NaN shift makes that center's bounds 0)
    }
    state.cum_max += most;
    E.center_gaps(next, k, d, state.scale, half.data(), next_gap.data(), threads);
  };

  // The distances a bounded step computed, from its work counts: k per row through the tile, one
  // per row whose own distance was taken and one per further one-by-one distance.
  auto distances_done = [&]() { return double(work[1]) * double(k) + double(work[2]) + double(work[3]); };

  bool bounds_current = false;  // the bounds describe the rows at the centers in cur
  index_t i = 0;
  for (; i < max_iter; ++i) {
    check_interrupt();
    if (kind == Step::full && upper.empty()) {
      if (!hamerly) lower.reset(new BigBuffer<float>(std::size_t(n) * std::size_t(ks), threads));
      upper.resize(n);
      second.resize(n);
      state.lower = hamerly ? nullptr : lower->get();
      state.upper = upper.data();
      state.second = second.data();
    }
    const bool moves_only = keep_sums && i > 0 && i + 1 < max_iter;
    const Step ran = kind;
    const index_t changed = step(moves_only, false);
    r.distances += ran == Step::bounded ? distances_done() : double(n) * double(k);
    if (moves_only && (changed == 0 || center_shift <= tol)) step(false, true);
    if (verbose) {
      r.iter_inertia.push_back(K.inertia(X, w, n, d, cur, labels, threads));
      r.iter_shift.push_back(center_shift);
    }
    Step then = kind;
    if (kind == Step::lloyd) {
      // Worth predicting once few labels change, and with steps left to repay the full one.
      if (always) {
        then = Step::full;
      } else if (!never && i > 0 && changed != 0 && 8 * changed <= n && i + 3 < max_iter && !rest) {
        for (index_t c = 0; c < k; ++c) proxy[c] = kAging * center_move(c);
        const double p = predict(next, proxy.data()) / trust;
        const double wanted = std::min(0.85, 1.0 - (full_extra + (upper.empty() ? alloc_extra : 0.0)) / kHorizon);
        if (p < wanted) then = Step::full;
        rest = p > wanted + 0.3;  // far off: the next step is not worth predicting
      } else {
        rest = false;
      }
    } else if (kind == Step::full) {
      then = Step::bounded;
    } else if (!always && relative(double(n), double(work[0]), double(work[1]), double(work[2] + work[3])) > 0.9) {
      then = Step::lloyd;
      trust *= 0.5;
    }
    bounds_current = kind != Step::lloyd && changed != 0;
    if (bounds_current) moved();  // for the next step, or the final assignment
    if (then == Step::bounded && !bounds_current) then = Step::full;
    kind = then;
    std::swap(cur, next);
    if (changed == 0) {
      r.strict = true;
      break;
    }
    if (center_shift <= tol) break;
  }
  r.n_iter = i < max_iter ? i + 1 : max_iter;
  if (r.strict) r.inertia = K.inertia(X, w, n, d, cur, labels, threads);
  else if (bounds_current) {  // one more assignment so that labels match the returned centers
    E.step(X, w, n, d, cur, k, labels, state, false, nullptr, nullptr, nullptr, false, threads);
    r.distances += distances_done();
    r.inertia = K.inertia(X, w, n, d, cur, labels, threads);
  } else {
    r.inertia = K.assign_inertia(X, w, n, d, cur, k, labels, threads);
    r.distances += double(n) * double(k);
  }
  if (cur != centers) std::copy(cur, cur + k * d, centers);
  return r;
}

}  // namespace

bool elkan_every_step(bool on) { return g_every_step_bounded.exchange(on); }

template <class T>
LloydResult elkan(const T* X, const T* w, index_t n, index_t d, T* centers, index_t k, index_t max_iter, double tol,
                  bool verbose, int threads, int* labels, const double* mean) {
  return bounded_kmeans(X, w, n, d, centers, k, max_iter, tol, verbose, threads, labels, mean, false);
}

template <class T>
LloydResult hamerly(const T* X, const T* w, index_t n, index_t d, T* centers, index_t k, index_t max_iter, double tol,
                    bool verbose, int threads, int* labels, const double* mean) {
  return bounded_kmeans(X, w, n, d, centers, k, max_iter, tol, verbose, threads, labels, mean, true);
}

#define KMIX_INSTANTIATE(T)                                                                                            \
  template LloydResult elkan<T>(const T*, const T*, index_t, index_t, T*, index_t, index_t, double, bool, int, int*,   \
                                const double*);                                                                        \
  template LloydResult hamerly<T>(const T*, const T*, index_t, index_t, T*, index_t, index_t, double, bool, int, int*, \
                                  const double*);
KMIX_INSTANTIATE(float)
KMIX_INSTANTIATE(double)
#undef KMIX_INSTANTIATE

}  // namespace kmix
