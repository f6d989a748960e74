"""Reading matrices a block at a time: rows with values and column subsets."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from senox.score._source import ColumnSubset, columns_of, iter_blocks, rows_with_values


def _matrix() -> sparse.csr_matrix:
    rng = np.random.default_rng(0)
    dense = rng.poisson(0.3, size=(23, 9)).astype(float)
    dense[[0, 7, 22]] = 0.0  # empty rows, one at each end
    dense[5] = 0.0
    dense[5, 2] = 1.0
    matrix = sparse.csr_matrix(dense)
    matrix.data[matrix.indptr[5]] = 0.0  # row 5 now stores only an explicit zero
    return matrix


def test_rows_with_values_across_block_boundaries():
    matrix = _matrix()
    expected = np.asarray(abs(matrix).sum(axis=1)).ravel() > 0
    assert not expected[5]
    for chunk_size in (1, 4, 23, 100):
        np.testing.assert_array_equal(rows_with_values(matrix, chunk_size), expected)
    np.testing.assert_array_equal(rows_with_values(matrix.toarray(), 5), expected)


def test_column_subset_reads_the_same_blocks():
    matrix = _matrix()
    keep = np.array([0, 3, 4, 8])
    subset = ColumnSubset(matrix.toarray(), keep)  # stands in for a backed matrix
    assert subset.shape == (23, 4)
    blocks = [block for _, block in iter_blocks(subset, 6)]
    rebuilt = sparse.vstack([block.as_matrix(4) for block in blocks])
    np.testing.assert_array_equal(rebuilt.toarray(), matrix[:, keep].toarray())
    assert sparse.issparse(columns_of(matrix, keep))  # in memory: indexed directly
