"""Reading any matrix a block of rows at a time, as CSR arrays, without densifying it.

In-memory CSR is read in place (no copy); CSC is converted once; dense arrays, backed ``.h5ad``
matrices (anndata's on-disk sparse datasets or h5py datasets) are read block by block, so memory
stays bounded by the block size. Dask arrays are handled by :mod:`senox.score._run`. The values
are checked by the kernels as they pass (see :func:`refuse_bad_values`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from senox._errors import InputError
from senox.score import _kernels

if TYPE_CHECKING:
    from collections.abc import Iterator

    from numpy.typing import NDArray


@dataclass(frozen=True)
class CSRBlock:
    """CSR arrays for a block of rows; ``indptr`` may index into larger shared arrays."""

    indptr: NDArray[np.int64]
    indices: NDArray[Any]
    data: NDArray[Any]

    @property
    def n_rows(self) -> int:
        """Rows in the block."""
        return int(self.indptr.shape[0] - 1)

    @property
    def has_values(self) -> bool:
        """Whether any value of the block is non-zero."""
        return bool(self.data[self.indptr[0] : self.indptr[-1]].any())

    def as_matrix(self, n_cols: int) -> sparse.csr_matrix:
        """The block as a SciPy CSR matrix of its own (its slice of the shared arrays)."""
        low, high = self.indptr[0], self.indptr[-1]
        return sparse.csr_matrix(
            (self.data[low:high], self.indices[low:high], self.indptr - low),
            shape=(self.n_rows, n_cols),
        )


def as_csr_block(block: Any) -> CSRBlock:
    """Turn a dense or sparse block of rows into CSR arrays."""
    matrix = block.tocsr() if sparse.issparse(block) else sparse.csr_matrix(np.asarray(block))
    matrix.sum_duplicates()
    return CSRBlock(matrix.indptr.astype(np.int64, copy=False), matrix.indices, matrix.data)


def refuse_bad_values(n_bad: int) -> None:
    """Scores need finite, non-negative expression values: refuse anything else."""
    if n_bad:
        msg = (
            f"the expression matrix holds {n_bad} negative or non-finite values (scaled data? "
            "NaN?); score unscaled, finite expression values"
        )
        raise InputError(msg)


def refuse_no_expression(*, has_values: bool) -> None:
    """An all-zero matrix holds no expression to score: refuse it."""
    if not has_values:
        msg = (
            "the expression matrix holds no expression at all (every value is 0); "
            "check that the input file holds the counts or expression values"
        )
        raise InputError(msg)


def as_dask_rows(matrix: Any, chunk_size: int) -> Any:
    """An in-memory matrix as a Dask array of ``chunk_size`` rows, to score on a cluster."""
    if not (sparse.issparse(matrix) or isinstance(matrix, np.ndarray)):
        msg = (
            "--scheduler: data read from disk in blocks (--backed) cannot be sent to a dask "
            "cluster; read them into memory (drop --backed) or drop --scheduler"
        )
        raise InputError(msg)
    import dask.array as da

    rows = sparse.csr_matrix(matrix) if sparse.issparse(matrix) else matrix
    return da.from_array(rows, chunks=(chunk_size, -1), asarray=False)


def iter_blocks(matrix: Any, chunk_size: int) -> Iterator[tuple[int, CSRBlock]]:
    """Yield (first row, block) over ``matrix``, ``chunk_size`` rows at a time."""
    n_rows = matrix.shape[0]
    if isinstance(matrix, sparse.csr_matrix | sparse.csr_array):
        matrix.sum_duplicates()
        indptr = matrix.indptr.astype(np.int64, copy=False)
        for start in range(0, n_rows, chunk_size):
            stop = min(start + chunk_size, n_rows)
            yield start, CSRBlock(indptr[start : stop + 1], matrix.indices, matrix.data)
        return
    if sparse.issparse(matrix):
        yield from iter_blocks(matrix.tocsr(), chunk_size)
        return
    for start in range(0, n_rows, chunk_size):
        yield start, as_csr_block(matrix[start : min(start + chunk_size, n_rows)])


@dataclass(frozen=True)
class ColumnSubset:
    """``matrix`` restricted to some columns, read a block of rows at a time.

    Backed matrices load whole when indexed by column; this reads their rows in blocks (as
    :func:`iter_blocks` asks) and drops the other columns from each block only.
    """

    matrix: Any
    columns: NDArray[np.int64]

    @property
    def shape(self) -> tuple[int, int]:
        """Rows of the matrix, kept columns."""
        return int(self.matrix.shape[0]), len(self.columns)

    def __getitem__(self, rows: slice) -> Any:
        block = self.matrix[rows]
        return (
            block[:, self.columns] if sparse.issparse(block) else np.asarray(block)[:, self.columns]
        )


def columns_of(matrix: Any, columns: NDArray[np.int64]) -> Any:
    """``matrix[:, columns]``, without loading a backed matrix whole.

    In-memory and Dask matrices are indexed directly; any other (a backed ``.h5ad`` matrix)
    becomes a :class:`ColumnSubset`, which reads its rows block by block.
    """
    if sparse.issparse(matrix) or isinstance(matrix, np.ndarray) or is_dask(matrix):
        return matrix[:, columns]
    return ColumnSubset(matrix, columns)


def is_dask(matrix: Any) -> bool:
    """Whether ``matrix`` is a Dask array (scored by :mod:`senox.score._run` in parallel)."""
    return type(matrix).__module__.startswith("dask.")


def rows_with_values(matrix: Any, chunk_size: int = 20_000) -> NDArray[np.bool_]:
    """Whether each row holds any non-zero value, one pass over the rows."""
    if is_dask(matrix):
        return np.asarray(abs(matrix).sum(axis=1)).ravel() > 0
    out = np.zeros(matrix.shape[0], dtype=bool)
    for start, block in iter_blocks(matrix, chunk_size):
        rows = block.as_matrix(matrix.shape[1])
        out[start : start + block.n_rows] = np.asarray(abs(rows).sum(axis=1)).ravel() > 0
    return out


def block_column_sums(block: CSRBlock, n_cols: int) -> tuple[NDArray[np.float64], int]:
    """Column sums of one block, and its count of negative or non-finite values."""
    sums, bad = _kernels.column_sums(block.indptr, block.indices, block.data, n_cols)
    return sums, int(bad)


def column_sums(matrix: Any, chunk_size: int) -> NDArray[np.float64]:
    """Sum of every column, one pass over the rows (refusing negative or non-finite values)."""
    total = np.zeros(matrix.shape[1], dtype=np.float64)
    n_bad = 0
    for _, block in iter_blocks(matrix, chunk_size):
        sums, bad = block_column_sums(block, matrix.shape[1])
        total += sums
        n_bad += bad
    refuse_bad_values(n_bad)
    return total
