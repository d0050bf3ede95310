// Hierarchical clustering in scipy's linkage format: Z is (n−1)×4, row k = the two clusters
// merged at step k (ids < n are observations, n + k the cluster made at step k), the merge
// height and the new cluster's size.
//
//   ward on observations      nearest-neighbour chain on centroids      O(n·d) memory
//   single on observations    Prim's minimum spanning tree              O(n·d) memory
//   single, condensed matrix  Prim on the matrix                        O(n²) memory
//   complete, average,        nearest-neighbour chain on the condensed  O(n²) memory
//   weighted, ward (matrix)   matrix, Lance–Williams updates
//   centroid, median on       the generic algorithm (nearest neighbours O(n·d) memory
//   observations              in a heap) on the clusters' centers
//   centroid, median, matrix  the same, Lance–Williams updates          O(n²) memory
//
// Each follows scipy's loop and tie rules (scipy.cluster.hierarchy), so that on data without
// ties the rows of Z come out the same.
//
// optimal_leaf_ordering: the flips of a tree's rows that order its leaves as scipy's
// optimal_leaf_ordering does (Bar-Joseph, Gifford & Jaakkola 2001).
#pragma once
#include <cstdint>

#include "kmix/isa.hpp"

namespace kmix {

enum class Method : int { single = 0, complete = 1, average = 2, weighted = 3, ward = 4, centroid = 5, median = 6 };

template <class T>
void linkage_ward(const T* X, index_t n, index_t d, double* Z, int threads);

// centroid or median on observations: the generic algorithm on the clusters' centers, distances
// computed as needed (O(n·d) memory); the trees of the matrix's Lance–Williams updates up to
// rounding (so on data without near-ties the same rows of Z).
template <class T>
void linkage_centroid(const T* X, index_t n, index_t d, Method method, double* Z, int threads);

// smaller_first false: each row of Z names the clusters in the order of the tree edge's ends
// (the vertex already in the tree, then the new one), as scikit-learn's single linkage does.
template <class T>
void linkage_single(const T* X, index_t n, index_t d, Metric metric, const double* norms, double* Z, int threads,
                    bool smaller_first = true);

// The condensed distance matrix of the rows of X (n(n−1)/2 values, scipy's pdist order).
template <class T>
void pdist(const T* X, index_t n, index_t d, Metric metric, const double* norms, double* out, int threads);

// D is the condensed matrix (n(n−1)/2 distances, finite and >= 0); it is overwritten.
void linkage_condensed(double* D, index_t n, Method method, double* Z, int threads);

// The same trees as linkage_condensed (bit for bit) for complete, average, weighted, ward,
// centroid and median, from buf: n·n doubles whose last n(n−1)/2 hold the condensed matrix
// (finite, >= 0). It is overwritten (made the square matrix of distances, rows contiguous:
// faster scans, at twice the condensed matrix's memory).
void linkage_square(double* buf, index_t n, Method method, double* Z, int threads);

// linkage_square's tree from the rows of X (pdist's distances, in the metric): buf is n·n
// doubles of workspace (overwritten).
template <class T>
void linkage_square_observations(const T* X, index_t n, index_t d, Metric metric, const double* norms, Method method,
                                 double* buf, double* Z, int threads);

// Optimal leaf ordering of a tree of n leaves: children is its (n−1)×2 cluster ids in Z's
// numbering, a valid tree (every id below n + row, each used once: the caller checks); D its
// condensed distance matrix (n(n−1)/2, finite, >= 0; read only). flips[row] = 1 where that
// row's two children must be exchanged to give scipy's optimal_leaf_ordering(Z, D).
// Memory: n² floats plus n(n−1)/2 doubles.
void optimal_leaf_ordering(const std::int64_t* children, index_t n, const double* D, std::uint8_t* flips, int threads);

}  // namespace kmix
