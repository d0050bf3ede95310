// The table of ISA-compiled kernels and the choice among them.
//
// kernels.cpp files are compiled once per ISA level into kmix::<level>; each fills one of these
// tables. isa_dispatch.cpp picks the best level the CPU supports (or the one KMIX_ISA asks for)
// at import. Callers only ever see function pointers, never a header compiled with AVX flags.
#pragma once
#include <string>
#include <vector>

#include "kmix/parallel.hpp"

namespace kmix {

template <class T>
struct KMeansKernels {
  // One Lloyd step over X (n×d) and centers C (k×d): labels[i] = nearest center; returns how
  // many labels changed. If sums is not null, also the weighted center sums (k×d) and weights (k)
  // in float64, combined in fixed block order; scratch holds lloyd_blocks(n,k,d,sizeof(T)).count·(k·d+k).
  index_t (*lloyd_step)(const T* X, const T* w, index_t n, index_t d, const T* C, index_t k,
                        int* labels, double* sums, double* weights, double* scratch, int threads);
  // Σ w_i ‖x_i − c_{labels_i}‖² (w may be null: all ones).
  double (*inertia)(const T* X, const T* w, index_t n, index_t d, const T* C, const int* labels,
                    int threads);
  // out[i] = ‖x_i − c_{labels_i}‖².
  void (*dist_to_assigned)(const T* X, index_t n, index_t d, const T* C, const int* labels,
                           double* out, int threads);
  // out[i, c] = ‖x_i − c_c‖² for all k centers (out is n×k).
  void (*sq_distances)(const T* X, index_t n, index_t d, const T* C, index_t k, T* out,
                       int threads);
  // k-means++: pots[t] = Σ w_i min(closest_i, ‖x_i − x_{cand_t}‖²) for each of m candidates.
  void (*seeding_pots)(const T* X, const T* w, index_t n, index_t d, const double* closest,
                       const index_t* cand, index_t m, double* pots, int threads);
  // k-means++: closest_i = min(closest_i, ‖x_i − x_c‖²) (closest_i = +inf to start) and
  // block_sums[b] = Σ_{i in block b} w_i·closest_i over blocks of kSeedingBlock rows.
  void (*seeding_update)(const T* X, const T* w, index_t n, index_t d, index_t c,
                         double* closest, double* block_sums, int threads);
};

// Rows per block of the k-means++ prefix sums.
static constexpr index_t kSeedingBlock = 2048;

struct IsaKernels {
  const char* name;
  KMeansKernels<float> f32;
  KMeansKernels<double> f64;
};

namespace baseline { const IsaKernels& kmeans_kernels(); }
namespace avx2 { const IsaKernels& kmeans_kernels(); }
namespace avx512 { const IsaKernels& kmeans_kernels(); }

// The table in use.
const IsaKernels& kernels();
template <class T> const KMeansKernels<T>& kmeans_kernels_for();
template <> const KMeansKernels<float>& kmeans_kernels_for<float>();
template <> const KMeansKernels<double>& kmeans_kernels_for<double>();
// ISA levels this build has and this CPU runs, lowest first.
std::vector<std::string> available_isas();
// Use `name` (must be in available_isas()); returns false otherwise.
bool select_isa(const std::string& name);

}  // namespace kmix
