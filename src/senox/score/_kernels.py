"""Numba kernels: one pass over the rows of a CSR matrix, every program at once.

Programs are laid out as *slots* (a program's up genes, its down genes, their control genes).
A gene-to-slot map in CSR form (``slot_ptr``, ``slot_ids``, ``slot_w``) lets each stored matrix
entry update every slot its gene belongs to, so the cost is one visit per non-zero entry whatever
the number of programs. Every kernel also counts stored values that are negative or not finite,
so that checking the input costs no extra pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numba
import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: Rows with at most this many program entries are ranked by direct comparison (vectorised);
#: rows with more radix-sort their values once and binary-search them.
DIRECT_MAX = 64


def rankable(data: NDArray[np.generic]) -> tuple[NDArray[np.generic], NDArray[np.unsignedinteger]]:
    """The values in a 4- or 8-byte dtype, and unsigned integers that order like them.

    For non-negative IEEE floats and integers, the bit pattern read as an unsigned integer
    increases with the value, which lets :func:`rank_sums` radix-sort. Negative values are
    refused by the kernels before their keys matter.
    """
    if data.dtype.itemsize not in (4, 8) or data.dtype.kind not in "fiu":
        data = data.astype(np.float64)
    return data, data.view(np.uint32 if data.dtype.itemsize == 4 else np.uint64)


@numba.njit(inline="always")
def _radix_sort(
    keys: NDArray[np.unsignedinteger], buffer: NDArray[np.unsignedinteger]
) -> NDArray[np.unsignedinteger]:  # pragma: no cover (compiled)
    """LSD radix sort, 8 bits a pass; passes where every key shares the byte are skipped."""
    n = keys.shape[0]
    counts = np.empty(256, dtype=np.int64)
    source, target = keys, buffer
    for shift in range(0, keys.itemsize * 8, 8):
        counts[:] = 0
        for i in range(n):
            counts[(source[i] >> shift) & 255] += 1
        if counts.max() == n:
            continue
        total = 0
        for b in range(256):
            c = counts[b]
            counts[b] = total
            total += c
        for i in range(n):
            b = (source[i] >> shift) & 255
            target[counts[b]] = source[i]
            counts[b] += 1
        source, target = target, source
    return source


@numba.njit(inline="always")
def _is_bad(value: float) -> bool:  # pragma: no cover (compiled)
    return not (value >= 0.0 and value < np.inf)


@numba.njit(parallel=True, cache=True, nogil=True)
def rank_sums(
    indptr: NDArray[np.int64],
    indices: NDArray[np.int32],
    data: NDArray[Any],
    keys: NDArray[np.unsignedinteger],
    slot_ptr: NDArray[np.int64],
    slot_ids: NDArray[np.int64],
    n_slots: int,
    max_rank: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64], int]:  # pragma: no cover (compiled)
    """Per row and slot: the sum of within-row ranks of the slot's genes, and how many counted.

    A gene's rank is its position among the row's positive values in decreasing order, ties
    sharing their average rank (UCell). Only ranks up to ``max_rank`` are summed and counted; the
    caller charges ``max_rank`` for every gene not counted (zero, absent or ranked beyond it).
    Rows are given by ``indptr`` (``len(indptr) - 1`` rows) into the full ``indices``/``data``;
    ``keys`` are the sort keys of ``data`` from :func:`rankable`. Also returns the number of
    negative or non-finite values seen.
    """
    n_rows = indptr.shape[0] - 1
    sums = np.zeros((n_rows, n_slots), dtype=np.float64)
    counts = np.zeros((n_rows, n_slots), dtype=np.int64)
    bad = np.zeros(n_rows, dtype=np.int64)
    for row in numba.prange(n_rows):
        start, stop = indptr[row], indptr[row + 1]
        entries = np.empty(stop - start, dtype=np.int64)
        k = 0
        for p in range(start, stop):
            value = data[p]
            if _is_bad(value):
                bad[row] += 1
            elif value > 0 and slot_ptr[indices[p]] != slot_ptr[indices[p] + 1]:
                entries[k] = p
                k += 1
        if k == 0:
            continue
        # distinct values among the program's entries: few, as count data tie heavily
        levels = np.unique(np.array([data[entries[j]] for j in range(k)]))
        n_levels = levels.shape[0]
        above_level = np.zeros(n_levels, dtype=np.int64)
        at_level = np.zeros(n_levels, dtype=np.int64)
        if n_levels <= DIRECT_MAX:
            for p in range(start, stop):
                x = data[p]
                for i in range(n_levels):
                    above_level[i] += x > levels[i]
                    at_level[i] += x == levels[i]
        else:
            row_keys = np.empty(stop - start, dtype=keys.dtype)
            m = 0
            for p in range(start, stop):
                if data[p] > 0:
                    row_keys[m] = keys[p]
                    m += 1
            positive = _radix_sort(row_keys[:m], np.empty(m, dtype=keys.dtype))
            level_keys = levels.view(keys.dtype)
            for i in range(n_levels):
                above = np.searchsorted(positive, level_keys[i], side="right")
                above_level[i] = m - above
                at_level[i] = above - np.searchsorted(positive, level_keys[i], side="left")
        greater = np.empty(k, dtype=np.int64)
        equal = np.empty(k, dtype=np.int64)
        for j in range(k):
            i = np.searchsorted(levels, data[entries[j]])
            greater[j] = above_level[i]
            equal[j] = at_level[i]
        for j in range(k):
            rank = greater[j] + (equal[j] + 1) / 2.0
            if rank <= max_rank:
                gene = indices[entries[j]]
                for s in range(slot_ptr[gene], slot_ptr[gene + 1]):
                    sums[row, slot_ids[s]] += rank
                    counts[row, slot_ids[s]] += 1
    return sums, counts, int(bad.sum())


@numba.njit(parallel=True, cache=True, nogil=True)
def weighted_sums(
    indptr: NDArray[np.int64],
    indices: NDArray[np.int32],
    data: NDArray[np.float32],
    slot_ptr: NDArray[np.int64],
    slot_ids: NDArray[np.int64],
    slot_w: NDArray[np.float64],
    n_slots: int,
) -> tuple[NDArray[np.float64], int]:  # pragma: no cover (compiled)
    """Per row and slot: the weighted sum of the slot's genes (a mean when weights are 1/n).

    Also returns the number of negative or non-finite values seen.
    """
    n_rows = indptr.shape[0] - 1
    sums = np.zeros((n_rows, n_slots), dtype=np.float64)
    bad = np.zeros(n_rows, dtype=np.int64)
    for row in numba.prange(n_rows):
        for p in range(indptr[row], indptr[row + 1]):
            value = data[p]
            if _is_bad(value):
                bad[row] += 1
                continue
            gene = indices[p]
            for s in range(slot_ptr[gene], slot_ptr[gene + 1]):
                sums[row, slot_ids[s]] += value * slot_w[s]
    return sums, int(bad.sum())


@numba.njit(cache=True, nogil=True)
def column_sums(
    indptr: NDArray[np.int64], indices: NDArray[np.int32], data: NDArray[np.float32], n_cols: int
) -> tuple[NDArray[np.float64], int]:  # pragma: no cover (compiled)
    """Sum of every column over the given rows, and the number of bad values seen."""
    sums = np.zeros(n_cols, dtype=np.float64)
    bad = 0
    for p in range(indptr[0], indptr[indptr.shape[0] - 1]):
        value = data[p]
        if _is_bad(value):
            bad += 1
        else:
            sums[indices[p]] += value
    return sums, bad


def warm_up() -> None:
    """Load the compiled kernels (numba's one-time start-up, about 0.3 s) on a tiny input.

    Called when :mod:`senox.score` is imported, so that the first scoring call runs at full
    speed; float32 values with int32 indices (anndata's usual layout) are prepared.
    """
    indptr = np.array([0, 1], dtype=np.int64)
    indices = np.zeros(1, dtype=np.int32)
    data = np.ones(1, dtype=np.float32)
    slot_ptr = np.array([0, 1], dtype=np.int64)
    slot_ids = np.zeros(1, dtype=np.int64)
    values, keys = rankable(data)
    rank_sums(indptr, indices, values, keys, slot_ptr, slot_ids, 1, 1500)
    weighted_sums(indptr, indices, data, slot_ptr, slot_ids, np.ones(1), 1)
    column_sums(indptr, indices, data, 1)
