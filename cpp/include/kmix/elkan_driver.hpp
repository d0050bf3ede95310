// Elkan's k-means (scikit-learn's algorithm="elkan") and Hamerly's: the iterations around the bounded step of
// elkan.hpp, with the Lloyd loop's convergence rules, sums and empty-cluster relocation.
#pragma once
#include "kmix/kmeans_driver.hpp"

namespace kmix {

// Elkan's algorithm from `centers` (k×d, overwritten with the result); labels (n) out. The same
// arguments and results as lloyd() (kmeans_driver.hpp), and in exact arithmetic the same
// labels, centers and iterations: the bounds only skip distances that cannot change a label.
// Memory: n·k float32 lower bounds and two float32 bounds per row on top of what lloyd() uses.
template <class T>
LloydResult elkan(const T* X, const T* w, index_t n, index_t d, T* centers, index_t k, index_t max_iter, double tol,
                  bool verbose, int threads, int* labels, const double* mean = nullptr);

// Hamerly's algorithm (G. Hamerly, "Making k-means even faster", 2010): elkan() with one lower
// bound per row (to its second-nearest center) instead of k, so O(n) memory for the bounds (an
// upper and a lower bound per row, both float32 whatever X's dtype: 8 bytes a row). A row whose bounds fail is
// tightened (the distance to its center) and, if they still fail, labelled by the Lloyd tile
// against every center: the same labels, centers and iterations as lloyd().
template <class T>
LloydResult hamerly(const T* X, const T* w, index_t n, index_t d, T* centers, index_t k, index_t max_iter, double tol,
                    bool verbose, int threads, int* labels, const double* mean = nullptr);

// For tests: true makes every step after the first a bounded one (scikit-learn's schedule: the
// first step computes every distance, every later one keeps the bounds), instead of choosing
// Lloyd or bounded steps by their predicted cost. Process-wide; returns the previous setting.
bool elkan_every_step(bool on);

}  // namespace kmix
