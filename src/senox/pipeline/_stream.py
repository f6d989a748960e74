"""A backed ``.h5ad`` seen as ``senox.io.read`` would have loaded it, without loading it.

:func:`streamed` turns an AnnData opened backed (``senox.io.read(path, backed=True)``) into an
in-memory AnnData whose ``X`` is a :class:`NormalisedRows`: every read of it takes the rows it
needs from the file and applies ``senox.io.read``'s transformation to them (counts:
``log1p(count / row total × 10,000)``, :func:`senox.pipeline._embedding.log_normalised`; linear
values: ``log1p``; log values: as stored). The counts stay in ``layers["counts"]`` (the file's
matrix), as ``senox.io.read`` keeps them. Every step of ``senox run`` then reads the same values
as from the in-memory input, a block of rows at a time, and memory stays bounded by a block.

The kind of the values is decided as ``senox.io.read`` decides it, in one pass over the rows
(:func:`stored_values`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from anndata.abc import CSRDataset
from numba import njit
from scipy import sparse

from senox._errors import InputError
from senox._progress import progress_bar
from senox.io._read import LINEAR_MIN_MAX
from senox.pipeline._embedding import log_normalised

if TYPE_CHECKING:
    from anndata import AnnData
    from numpy.typing import NDArray

#: Rows read from the file at a time (as many as scoring asks for at once).
CHUNK_ROWS = 20_000
#: Observations from which the values pass shows a progress bar.
PROGRESS_FROM = 50_000


def _raw_rows(matrix: Any, rows: slice | NDArray[np.int64]) -> sparse.csr_matrix:
    """Rows of the stored matrix (sparse or dense on disk) as CSR."""
    return sparse.csr_matrix(matrix[rows])


def _positions(index: Any, n: int) -> NDArray[np.int64] | slice:
    """A row or column index as a unit-step slice or an array of positions."""
    if isinstance(index, slice):
        start, stop, step = index.indices(n)
        return slice(start, stop) if step == 1 else np.arange(start, stop, step, dtype=np.int64)
    values = np.asarray(index).ravel()
    if values.dtype == bool:
        return np.flatnonzero(values).astype(np.int64)
    return np.where(values < 0, values + n, values).astype(np.int64)


class NormalisedRows(CSRDataset):  # type: ignore[misc]
    """A stored matrix whose rows are transformed as ``senox.io.read`` would, as they are read.

    ``values``: ``"counts"`` (log-normalised per row), ``"linear"`` (``log1p``) or ``"log"``
    (as stored). Indexing (rows, then columns; slices, positions or masks) returns CSR float32.
    """

    backend = "hdf5"

    def __init__(
        self, stored: Any, values: str, chunk_rows: int = CHUNK_ROWS, path: str | None = None
    ) -> None:
        self.stored = stored
        self.values = values
        #: The ``.h5ad`` file the matrix is stored in (for :func:`as_dask`), if known.
        self.path = path
        self.chunk_rows = chunk_rows
        self.shape = (int(stored.shape[0]), int(stored.shape[1]))
        self.dtype = np.dtype(np.float32)

    def _transformed(self, block: sparse.csr_matrix) -> sparse.csr_matrix:
        if self.values == "counts":
            return log_normalised(block)
        out = sparse.csr_matrix(block, dtype=np.float32)
        if self.values == "linear":
            out.data = np.log1p(block.data.astype(np.float64)).astype(np.float32)
        return out

    def _read(self, rows: slice | NDArray[np.int64], columns: Any) -> sparse.csr_matrix:
        every_column = isinstance(columns, slice) and columns == slice(0, self.shape[1])

        def part(chunk: slice | NDArray[np.int64]) -> sparse.csr_matrix:
            block = self._transformed(_raw_rows(self.stored, chunk))
            return block if every_column else block[:, columns]  # SciPy copies even for ``:``

        if isinstance(rows, slice):
            starts = range(rows.start, rows.stop, self.chunk_rows)
            parts = [part(slice(s, min(s + self.chunk_rows, rows.stop))) for s in starts]
        else:
            order, inverse = np.unique(rows, return_inverse=True)
            chunks = [order[s : s + self.chunk_rows] for s in range(0, len(order), self.chunk_rows)]
            parts = [part(chunk) for chunk in chunks]
        n_cols = len(np.arange(self.shape[1])[columns])
        if not parts:
            return sparse.csr_matrix((0, n_cols), dtype=np.float32)
        block = parts[0] if len(parts) == 1 else sparse.vstack(parts, format="csr")
        return block if isinstance(rows, slice) else block[inverse]

    def __getitem__(self, index: Any) -> sparse.csr_matrix:
        rows, columns = index if isinstance(index, tuple) else (index, slice(None))
        return self._read(_positions(rows, self.shape[0]), _positions(columns, self.shape[1]))

    def to_memory(self) -> sparse.csr_matrix:
        """The whole matrix, transformed, in memory."""
        return self[:, :]


def file_rows(path: str, values: str, start: int, stop: int) -> sparse.csr_matrix:
    """Rows ``start:stop`` of an ``.h5ad`` file's X, transformed as :class:`NormalisedRows` does.

    Opens the file itself, so a ``dask.distributed`` worker can run it (the file must be at
    the same path on the worker: a shared file system).
    """
    import h5py
    from anndata.io import sparse_dataset

    with h5py.File(path, "r") as f:
        node = f["X"]
        stored = sparse_dataset(node) if isinstance(node, h5py.Group) else node
        return NormalisedRows(stored, values)[start:stop]


def as_dask(rows: NormalisedRows, chunk_rows: int = CHUNK_ROWS) -> Any:
    """A Dask array of ``rows`` (sparse chunks of ``chunk_rows``), each read by its worker."""
    import dask
    import dask.array as da

    if rows.path is None:
        msg = "as_dask: the rows' file is not known; open the .h5ad with senox.io.read(backed=True)"
        raise InputError(msg)
    n_obs, n_vars = rows.shape
    meta = sparse.csr_matrix((0, n_vars), dtype=np.float32)
    chunks = [
        da.from_delayed(
            dask.delayed(file_rows)(rows.path, rows.values, start, min(start + chunk_rows, n_obs)),
            shape=(min(start + chunk_rows, n_obs) - start, n_vars),
            dtype=np.float32,
            meta=meta,
        )
        for start in range(0, n_obs, chunk_rows)
    ]
    return da.concatenate(chunks, axis=0)


@dataclass
class _Values:
    """What one pass over the stored values found."""

    n_bad: int = 0
    n_negative: int = 0
    integers: bool = True
    maximum: float = 0.0
    any_nonzero: bool = False

    def add(self, data: NDArray[Any]) -> None:
        if not data.size:
            return
        n_bad, n_negative, integers, maximum, nonzero = _summarise(data.ravel())
        self.n_bad += int(n_bad)
        self.n_negative += int(n_negative)
        self.integers = self.integers and bool(integers)
        self.maximum = max(self.maximum, float(maximum))
        self.any_nonzero = self.any_nonzero or bool(nonzero)


@njit(cache=True, nogil=True)
def _summarise(data: NDArray[Any]) -> tuple[int, int, bool, float, bool]:  # pragma: no cover
    """Non-finite and negative values, whether all are whole, the largest finite, any non-zero.

    One pass instead of NumPy's five (isfinite, < 0, floor, max, any): on 20 million float32
    values of ``benchmarks/bench_run.py``'s 100,000-cell input, 0.03 s against NumPy's 0.43 s
    (2026-12-06); with NumPy the whole check took 1.9 s of that run.
    """
    n_bad = 0
    n_negative = 0
    integers = True
    maximum = 0.0
    nonzero = False
    for value in data:
        if not np.isfinite(value):
            n_bad += 1
            continue
        if value < 0:
            n_negative += 1
        if value != 0:
            nonzero = True
            if integers and value != np.floor(value):
                integers = False
            maximum = max(maximum, value)
    return n_bad, n_negative, integers, maximum, nonzero


def stored_values(path: str, matrix: Any, values: str = "auto") -> str:
    """``counts``, ``linear`` or ``log``, decided as ``senox.io.read`` decides, one pass.

    Refuses non-numeric, NaN or infinite values, negative values (unless ``values="log"``) and
    a matrix without any non-zero value, with ``senox.io.read``'s one-line errors.
    """
    if np.dtype(matrix.dtype).kind not in "iuf":
        msg = f"{path}: the values are of type {matrix.dtype}, not real numbers; senox needs counts"
        raise InputError(msg)
    found = _Values()
    n_obs = int(matrix.shape[0])
    with progress_bar(n_obs, show=n_obs >= PROGRESS_FROM, label="checking values") as advance:
        for start in range(0, n_obs, CHUNK_ROWS):
            block = _raw_rows(matrix, slice(start, min(start + CHUNK_ROWS, n_obs)))
            found.add(block.data)
            advance(block.shape[0])
    if found.n_bad:
        msg = f"{path}: {found.n_bad} NaN or infinite values; fill or remove them before reading"
        raise InputError(msg)
    if found.n_negative and values != "log":
        msg = (
            f"{path}: {found.n_negative} negative values; senox needs counts or non-negative "
            "normalised values; for log-scale values that may be negative pass --values log"
        )
        raise InputError(msg)
    if not found.any_nonzero:
        msg = f"{path}: no expression at all (every value is 0); check that it is the right file"
        raise InputError(msg)
    if values != "auto":
        return values
    if found.integers:
        return "counts"
    return "linear" if found.maximum > LINEAR_MIN_MAX else "log"


def _stored_rows(adata: AnnData) -> Any:
    """The file's matrix, refused when it is stored by columns (rows cannot be read in blocks)."""
    matrix = adata.X
    if getattr(matrix, "format", "csr") == "csc":
        msg = (
            f"{adata.filename}: X is stored by columns (CSC), which cannot be read a block of "
            "rows at a time; store it as CSR (adata.X = adata.X.tocsr(); write_h5ad) or drop "
            "--backed"
        )
        raise InputError(msg)
    return matrix


def streamed(adata: AnnData, values: str = "auto") -> AnnData:
    """An in-memory AnnData over a backed one's file: ``X`` as ``senox.io.read`` makes it.

    ``obs``, ``var`` and ``uns`` are the backed AnnData's; ``X`` is a :class:`NormalisedRows`;
    count input keeps the stored counts in ``layers["counts"]``. The file stays open while the
    result is used.
    """
    import anndata as ad

    stored = _stored_rows(adata)
    kind = stored_values(str(adata.filename), stored, values)
    layers = {"counts": stored} if kind == "counts" else {}
    rows = NormalisedRows(stored, kind, path=str(adata.filename))
    out = ad.AnnData(X=rows, obs=adata.obs, var=adata.var, uns=dict(adata.uns), layers=layers)
    if "senox_io" in out.uns:
        out.uns["senox_io"] = {**out.uns["senox_io"], "values": kind}
    return out
