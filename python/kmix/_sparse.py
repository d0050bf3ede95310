"""Sparse input: the CSR arrays of a scipy.sparse matrix or array, checked once.

kmix never imports scipy: a sparse X is recognised by its interface (format, nnz, tocsr), and
any other format is turned into CSR by its own tocsr(), as scikit-learn does. What reaches the
kernels is a Csr of four plain numpy arrays whose structure has been checked here (row pointers
monotone and within the data, column indices within the columns), so no crafted matrix can make
a kernel read outside a buffer. Duplicate entries of one row and column mean their sum (scipy's
own reading); they are summed on a copy. Unsorted column indices are kept as they are.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from . import _scale

if TYPE_CHECKING:
    from typing import Any, Protocol

    class SparseMatrix(Protocol):
        """For type checkers only: a scipy.sparse matrix or array (any format), as kmix takes
        one (is_sparse checks format, nnz and tocsr at run time)."""

        def tocsr(self) -> Any: ...


INDEX_DTYPES = (np.int32, np.int64)


def is_sparse(X):
    """Whether X is a scipy.sparse matrix or array (without importing scipy)."""
    return (
        hasattr(X, "tocsr")
        and hasattr(X, "format")
        and hasattr(X, "nnz")
        and type(X).__module__.startswith("scipy.sparse")
    )


class Csr(NamedTuple):
    """A checked CSR matrix: row i holds data[indptr[i]:indptr[i+1]] at columns
    indices[indptr[i]:indptr[i+1]]; indices and indptr share one dtype (int32 or int64)."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def nnz(self):
        return self.data.shape[0]

    def scaled(self, e):
        """The matrix times 2^e (itself for e == 0): only the data change."""
        return self if e == 0 else self._replace(data=_scale.scaled(self.data, e))

    def take_rows(self, rows):
        """The rows `rows` (an int array) as a new Csr."""
        rows = np.asarray(rows)
        counts = self.indptr[rows + 1] - self.indptr[rows]  # O(len(rows)), not O(n)
        indptr = np.zeros(len(rows) + 1, dtype=self.indptr.dtype)
        np.cumsum(counts, out=indptr[1:])
        starts = self.indptr[rows]
        pos = np.repeat(starts - indptr[:-1], counts) + np.arange(indptr[-1], dtype=self.indptr.dtype)
        return Csr(self.data[pos], self.indices[pos], indptr, (len(rows), self.shape[1]))

    def toarray(self):
        out = np.zeros(self.shape, dtype=self.dtype)
        rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
        np.add.at(out, (rows, self.indices), self.data)
        return out


def as_csr(X, name="X", *, dtype=None, min_samples=1, with_abs_max=False):
    """X (a scipy.sparse matrix or array of any format) as a checked Csr.

    dtype: None keeps float32 and float64 data and turns other numeric data into float64; a
    dtype forces it. with_abs_max: (Csr, max |x|), from the pass that checks the data are finite.
    """
    if X.format != "csr":
        try:
            X = X.tocsr()
        except Exception as exc:  # noqa: BLE001 - whatever the library raises, name the parameter
            raise ValueError(f"{name}: could not convert the sparse matrix to CSR: {exc}") from None
    shape = tuple(int(s) for s in X.shape)
    if len(shape) != 2:
        raise ValueError(f"{name} must be a 2-D sparse matrix; got {len(shape)}-D")
    n, d = shape
    if n < min_samples:
        raise ValueError(f"{name} has {n} sample(s) (shape={shape}) while a minimum of {min_samples} is required.")
    if d < 1:
        raise ValueError(f"{name} has 0 feature(s) (shape={shape}) while a minimum of 1 is required.")
    data, indices, indptr = np.asarray(X.data), np.asarray(X.indices), np.asarray(X.indptr)
    kind = data.dtype.kind
    if kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {data.dtype}; kmix needs real values")
    if kind not in "biuf":
        raise TypeError(f"{name} must be numeric; its sparse data have dtype {data.dtype}")
    target = (
        np.dtype(dtype)
        if dtype is not None
        else (data.dtype if data.dtype in (np.float32, np.float64) else np.dtype(np.float64))
    )
    index_dtype = _index_dtype(indices, indptr, name)
    indptr = _c_array(indptr, index_dtype)
    indices = _c_array(indices, index_dtype)
    _check_structure(indptr, indices, data, n, d, name)
    nnz = int(indptr[-1])
    data, indices = data[:nnz], indices[:nnz]
    csr = Csr(_c_array(data, target), indices, indptr, shape)
    if not getattr(X, "has_canonical_format", False) and _has_duplicates(csr):
        csr = _sum_duplicates(csr)
    largest = _scale.abs_max(csr.data) if csr.nnz else 0.0
    if not math.isfinite(largest):
        if np.isnan(csr.data).any():
            raise ValueError(f"{name} contains NaN")
        raise ValueError(f"{name} contains infinity")
    return (csr, largest) if with_abs_max else csr


def _c_array(a, dtype):
    """a as a C-contiguous, aligned array of dtype, as the kernels take it (a matrix unpickled from
    a buffer, e.g. sent by dask, may hold misaligned arrays), copied only if need be."""
    return np.require(a, dtype=dtype, requirements=("C_CONTIGUOUS", "ALIGNED"))


def _index_dtype(indices, indptr, name):
    for a, what in ((indices, "indices"), (indptr, "indptr")):
        if a.ndim != 1 or a.dtype.kind not in "iu":
            raise ValueError(f"{name}.{what} must be a 1-D integer array; got dtype {a.dtype}, {a.ndim}-D")
    # int32 when both fit it (scipy's choice), else int64: the kernels take either.
    if indices.dtype == np.int32 and indptr.dtype == np.int32:
        return np.dtype(np.int32)
    return np.dtype(np.int64)


def _check_structure(indptr, indices, data, n, d, name):
    """ValueError unless the CSR structure is consistent: what keeps the kernels within bounds."""
    if indptr.shape[0] != n + 1:
        raise ValueError(f"{name}.indptr has {indptr.shape[0]} entries; a CSR matrix of {n} rows needs {n + 1}")
    if indptr[0] != 0:
        raise ValueError(f"{name}.indptr must start at 0; got {indptr[0]}")
    if n and (np.diff(indptr) < 0).any():
        raise ValueError(f"{name}.indptr must be non-decreasing")
    nnz = int(indptr[-1])
    if nnz > indices.shape[0] or nnz > data.shape[0]:
        raise ValueError(
            f"{name}.indptr ends at {nnz} but {name} has {min(indices.shape[0], data.shape[0])} stored values"
        )
    if nnz:
        used = indices[:nnz]
        if used.min() < 0 or used.max() >= d:
            raise ValueError(
                f"{name}.indices must lie in [0, {d}) (n_features); got values in [{used.min()}, {used.max()}]"
            )


def _row_ids(csr):
    return np.repeat(np.arange(csr.shape[0], dtype=np.int64), np.diff(csr.indptr))


def _has_duplicates(csr):
    if csr.nnz < 2:
        return False
    keys = _row_ids(csr) * csr.shape[1] + csr.indices.astype(np.int64)
    if (np.diff(keys) > 0).all():
        return False  # sorted within rows, so no duplicates
    keys.sort()
    return bool((np.diff(keys) == 0).any())


def _sum_duplicates(csr):
    """The same matrix with each (row, column) stored once (sorted within rows), values summed
    in float64 and rounded once to the data's dtype."""
    keys = _row_ids(csr) * csr.shape[1] + csr.indices.astype(np.int64)
    unique, inverse = np.unique(keys, return_inverse=True)
    sums = np.zeros(unique.shape[0], dtype=np.float64)
    np.add.at(sums, inverse, csr.data)
    rows = unique // csr.shape[1]
    indptr = np.zeros(csr.shape[0] + 1, dtype=csr.indptr.dtype)
    np.cumsum(np.bincount(rows, minlength=csr.shape[0]), out=indptr[1:])
    return Csr(sums.astype(csr.dtype), (unique % csr.shape[1]).astype(csr.indices.dtype), indptr, csr.shape)


def to_scipy(csr):
    """A Csr as a scipy.sparse.csr_matrix sharing its arrays (scipy is imported already: the
    user passed a scipy.sparse X), for an init callable, which scikit-learn hands CSR."""
    return sys.modules["scipy.sparse"].csr_matrix((csr.data, csr.indices, csr.indptr), shape=csr.shape, copy=False)


def column_moments(csr):
    """(means, m2) of each column in float64, the implicit zeros included: m2 = n·variance, the
    corrected two-pass sum of squared deviations that scikit-learn's mean_variance_axis computes
    (float64 sums in row order). O(nnz + d) memory. (kmix.dask combines chunks' moments.)"""
    n, d = csr.shape
    cols = csr.indices
    x = csr.data.astype(np.float64)
    means = np.bincount(cols, weights=x, minlength=d) / float(n)
    diff = x - means[cols]
    correction = np.bincount(cols, weights=diff, minlength=d)
    m2 = np.bincount(cols, weights=diff * diff, minlength=d)
    zeros = n - np.bincount(cols, minlength=d)  # implicit zeros per column
    has_zeros = zeros != 0
    correction[has_zeros] -= zeros[has_zeros] * means[has_zeros]
    correction = correction**2 / float(n)
    m2[has_zeros] += zeros[has_zeros] * means[has_zeros] ** 2
    return means, m2 - correction


def mean_variance(csr):
    """The mean over columns of each column's variance, as scikit-learn's _tolerance computes it for
    sparse X (mean_variance_axis: float64 sums in row order, the corrected two-pass variance with
    the implicit zeros, cast to X's dtype before the mean). O(nnz + d) memory."""
    _, m2 = column_moments(csr)
    return float(np.mean((m2 / float(csr.shape[0])).astype(csr.dtype, copy=False)))
