"""Read expression data into one AnnData: observations × human gene symbols, log-normalised.

Each format reader returns a :class:`_Parsed` (observations × genes plus labels); ``read`` then
checks it, maps the genes to human symbols, merges genes that land on one symbol and
log-normalises the values.

Error messages name an option as the command line spells it, then in brackets as ``read`` takes
it (``--values log (values='log')``); ``genes=`` and ``cells=`` exist in Python only.
"""

from __future__ import annotations

import csv
import gzip
import logging
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import h5py  # type: ignore[import-untyped,unused-ignore]
import numpy as np
import pandas as pd
import scipy.io  # type: ignore[import-untyped,unused-ignore]
from scipy import sparse  # type: ignore[import-untyped,unused-ignore]

from senox._errors import InputError
from senox.io._mapping import (
    HOW,
    HUMAN_SYMBOL,
    ORIGINAL_ID,
    UNMAPPED,
    count_gene_id_kinds,
    guess_gene_id,
    guess_species,
    map_to_human,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from anndata import AnnData  # type: ignore[import-untyped,unused-ignore]
    from numpy.typing import NDArray

logger = logging.getLogger(__name__)

Orientation = Literal["auto", "genes_in_rows", "genes_in_columns"]
Values = Literal["auto", "counts", "linear", "log"]
#: Observations × genes: a scipy CSR matrix or a dense numpy array.
Matrix = Any

#: Counts are scaled to this many per observation before ``log1p``.
TARGET_SUM = 10_000
#: Non-integer values whose maximum exceeds this are taken as linear (CPM, TPM, ...), else log.
LINEAR_MIN_MAX = 50
GENE_EXPRESSION = "Gene Expression"

_TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
_GENE_LISTS = ("features.tsv", "genes.tsv")
_CELL_LISTS = ("barcodes.tsv", "cells.csv", "cells.tsv")
_FORMATS = ".h5ad, 10x .h5, a 10x folder, .mtx[.gz], or .csv/.tsv/.txt[.gz]"
#: Exceptions that parsers raise on a corrupt or malformed file.
_PARSE_ERRORS = (OSError, EOFError, ValueError, KeyError, IndexError, zlib.error)


@dataclass(frozen=True)
class _Parsed:
    """What a format reader found: observations × genes, with labels."""

    matrix: Matrix
    obs: pd.DataFrame
    #: Candidate gene-identifier columns (e.g. 10x Ensembl IDs and names); the first is the key.
    gene_ids: tuple[pd.Index[str], ...]
    orientation: Literal["genes_in_rows", "genes_in_columns"]


# --------------------------------------------------------------------------- errors


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


@contextmanager
def _reading(path: Path, what: str) -> Iterator[None]:
    """Turn a parser's exception into one :class:`InputError` line naming ``path``."""
    try:
        yield
    except _PARSE_ERRORS as exc:
        msg = (
            f"{path}: cannot read it as {what} ({_one_line(exc)}); "
            "check that the file is complete, not corrupt, and in that format"
        )
        raise InputError(msg) from exc


def _examples(labels: Iterable[object], n: int = 3) -> str:
    """The first ``n`` labels, quoted, for an error message."""
    return ", ".join(repr(str(label)) for label in islice(labels, n))


# --------------------------------------------------------------------------- formats


def _detect_format(path: Path) -> str:
    if not path.exists():
        msg = f"{path}: no such file or folder; check the path"
        raise InputError(msg)
    if path.is_dir():
        return "10x"
    name = path.name.lower()
    if name.endswith(".h5ad"):
        return "h5ad"
    if name.endswith(".h5"):
        return "10x_h5"
    name = name.removesuffix(".gz")
    if name.endswith(".mtx"):
        return "mtx"
    if name.endswith(_TABLE_SUFFIXES):
        return "table"
    msg = f"{path}: unknown format; senox reads {_FORMATS}"
    raise InputError(msg)


def _fixed_orientation(
    path: Path, requested: Orientation, fixed: Literal["genes_in_rows", "genes_in_columns"]
) -> None:
    if requested not in ("auto", fixed):
        msg = (
            f"{path}: this format always has {fixed.replace('_', ' ')}; "
            "leave --orientation (orientation=) at auto"
        )
        raise InputError(msg)


def _find(folder: Path, names: Sequence[str]) -> Path | None:
    """The first of ``names`` (each also tried with ``.gz``) that exists in ``folder``."""
    for name in names:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


# --- h5ad


def _read_h5ad(path: Path, orientation: Orientation) -> _Parsed:
    import anndata as ad  # slow to import: only when needed

    _fixed_orientation(path, orientation, "genes_in_columns")
    with _reading(path, "an h5ad file"):
        adata = ad.read_h5ad(path)
    if adata.X is None:
        msg = f"{path}: the AnnData has no X matrix; store the expression values in X"
        raise InputError(msg)
    matrix = sparse.csr_matrix(adata.X) if sparse.issparse(adata.X) else np.asarray(adata.X)
    return _Parsed(matrix, adata.obs.copy(), (adata.var_names,), "genes_in_columns")


# --- 10x HDF5


def _strings(dataset: Any) -> pd.Index[str]:
    """An HDF5 string dataset (fixed- or variable-length) as an Index of str."""
    strings: pd.Index[str] = pd.Index(dataset.asstr()[()], dtype=object)
    return strings


def _read_10x_h5(path: Path, orientation: Orientation) -> _Parsed:
    _fixed_orientation(path, orientation, "genes_in_rows")
    with _reading(path, "a 10x HDF5 file"), h5py.File(path, "r") as h5:
        group, ids, names, types = _10x_h5_layout(path, h5)
        n_genes, n_cells = (int(n) for n in group["shape"][()])
        matrix = sparse.csr_matrix(
            (group["data"][()], group["indices"][()], group["indptr"][()]),
            shape=(n_cells, n_genes),
        )
        barcodes = _strings(group["barcodes"])
        ids, names = _strings(ids), _strings(names)
        keep = None if types is None else _strings(types) == GENE_EXPRESSION
    _check_length(path, "barcodes", len(barcodes), n_cells)
    _check_length(path, "genes", len(ids), n_genes)
    if keep is not None:
        matrix, ids, names = matrix[:, keep], ids[keep], names[keep]
    return _Parsed(matrix, pd.DataFrame(index=barcodes), (ids, names), "genes_in_rows")


def _10x_h5_layout(path: Path, h5: Any) -> tuple[Any, Any, Any, Any]:
    """Return (matrix group, gene IDs, gene names, feature types or None) for v3 or v2 files."""
    if "matrix" in h5:
        group = h5["matrix"]
        features = group["features"]
        types = features.get("feature_type")
        return group, features["id"], features["name"], types
    genomes = [key for key in h5 if isinstance(h5[key], h5py.Group)]
    if len(genomes) != 1:
        msg = (
            f"{path}: expected a CellRanger v3 'matrix' group or one v2 genome group, "
            f"found {genomes or 'none'}; export one genome's matrix to its own file"
        )
        raise InputError(msg)
    group = h5[genomes[0]]
    return group, group["genes"], group["gene_names"], None


def _check_length(path: Path, what: str, found: int, expected: int) -> None:
    if found != expected:
        msg = (
            f"{path}: {found} {what} listed but the matrix has {expected}; the file is "
            "inconsistent: export it again"
        )
        raise InputError(msg)


# --- Matrix Market (also a 10x folder)


def _read_10x_dir(path: Path, orientation: Orientation) -> _Parsed:
    _fixed_orientation(path, orientation, "genes_in_rows")
    matrix = _find(path, ["matrix.mtx"])
    genes = _find(path, _GENE_LISTS)
    cells = _find(path, ["barcodes.tsv"])
    if matrix is None or genes is None or cells is None:
        missing = [
            name
            for name, found in (
                ("matrix.mtx[.gz]", matrix),
                ("features.tsv[.gz] or genes.tsv[.gz]", genes),
                ("barcodes.tsv[.gz]", cells),
            )
            if found is None
        ]
        msg = (
            f"{path}: a 10x folder needs matrix.mtx, features.tsv (or genes.tsv) and "
            f"barcodes.tsv, optionally gzipped; missing {', '.join(missing)}"
        )
        raise InputError(msg)
    return _read_mtx(matrix, orientation="genes_in_rows", genes=genes, cells=cells)


def _read_mtx(
    path: Path, *, orientation: Orientation, genes: Path | None, cells: Path | None
) -> _Parsed:
    genes = genes or _beside(path, _GENE_LISTS, "gene list", "genes")
    cells = cells or _beside(path, _CELL_LISTS, "cell list", "cells")
    gene_table = _read_list(genes, "gene list", metadata=False)
    cell_table = _read_list(cells, "cell list", metadata=True)
    shape = _mtx_shape(path)
    genes_in_rows = _mtx_gene_axis(shape, len(gene_table), orientation, path, genes) == 0
    n_cells = shape[1] if genes_in_rows else shape[0]
    if n_cells != len(cell_table):
        msg = (
            f"{path}: the matrix has {n_cells} cells but {cells} lists {len(cell_table)}; "
            f"replace {cells.name} with the cell list that belongs to the matrix"
        )
        raise InputError(msg)
    with _reading(path, "a Matrix Market file"):
        raw = scipy.io.mmread(path)
    matrix = raw.T if genes_in_rows else raw
    matrix = sparse.csr_matrix(matrix) if sparse.issparse(matrix) else np.asarray(matrix)
    matrix, gene_table = _keep_gene_expression(matrix, gene_table)
    obs = cell_table.set_index(cell_table.columns[0])
    obs.index.name = None
    candidates = tuple(pd.Index(gene_table[column]) for column in gene_table.columns[:2])
    orientation_found: Literal["genes_in_rows", "genes_in_columns"] = (
        "genes_in_rows" if genes_in_rows else "genes_in_columns"
    )
    return _Parsed(matrix, obs, candidates, orientation_found)


def _beside(path: Path, names: Sequence[str], what: str, option: str) -> Path:
    found = _find(path.parent, names)
    if found is None:
        listed = ", ".join(f"{name}[.gz]" for name in names)
        msg = (
            f"{path}: no {what} beside it (looked for {listed}); put it there under one of "
            f"those names, or pass {option}= to senox.io.read"
        )
        raise InputError(msg)
    return found


def _mtx_shape(path: Path) -> tuple[int, int]:
    """(rows, columns) from a Matrix Market header, refusing what its reader cannot take.

    The header is checked before the values are read: scipy's reader crashes the process on
    an empty or non-square symmetric dense matrix, and allocates whatever the header declares.
    """
    with _reading(path, "a Matrix Market file"):
        n_rows, n_columns, n_entries, _, field, symmetry = scipy.io.mminfo(path)
    if field in ("complex", "pattern") or symmetry != "general":
        msg = (
            f"{path}: a {field} {symmetry} Matrix Market matrix; senox reads integer or real "
            "'general' ones (counts or expression values): export the matrix as such"
        )
        raise InputError(msg)
    _check_not_empty(path, n_rows, n_columns, axes=("rows", "columns"))
    if n_entries > n_rows * n_columns:
        msg = (
            f"{path}: the header declares {n_entries} entries in {n_rows} rows × {n_columns} "
            "columns; check that the right file was given and that it is complete"
        )
        raise InputError(msg)
    return int(n_rows), int(n_columns)


def _read_list(path: Path, what: str, *, metadata: bool) -> pd.DataFrame:
    """A gene or cell list: one row per entry, the identifier first, as text.

    ``.csv`` files have a header; other files (10x ``.tsv``) have none. With ``metadata``, the
    columns after the first keep their inferred types (numbers stay numbers).
    """
    if not path.is_file():
        msg = f"{path}: {what} not found; check the path"
        raise InputError(msg)
    is_csv = path.name.lower().removesuffix(".gz").endswith(".csv")
    text: dict[str, Any] = (
        {"converters": {0: str}} if metadata else {"dtype": str, "keep_default_na": False}
    )
    with _reading(path, f"a {what}"):
        table: pd.DataFrame = pd.read_csv(
            path, sep="," if is_csv else "\t", header=0 if is_csv else None, **text
        )
    table.columns = table.columns.astype(str)
    return table


def _mtx_gene_axis(
    shape: tuple[int, int], n_genes: int, orientation: Orientation, path: Path, genes: Path
) -> int:
    """0 if the matrix rows are genes, 1 if its columns are."""
    if orientation != "auto":
        axis = 0 if orientation == "genes_in_rows" else 1
        if shape[axis] == n_genes:
            return axis
    else:
        matches = [axis for axis in (0, 1) if shape[axis] == n_genes]
        if len(matches) == 1:
            return matches[0]
    if shape[0] == shape[1] == n_genes:
        msg = (
            f"{path}: the matrix is square ({n_genes} × {n_genes}), so its rows or its columns "
            "may be the genes; pass --orientation genes_in_rows or genes_in_columns "
            "(orientation=)"
        )
    else:
        msg = (
            f"{path}: the matrix ({shape[0]} rows × {shape[1]} columns) does not match the "
            f"{n_genes} genes listed in {genes}; replace {genes.name} with the gene list that "
            "belongs to the matrix"
        )
    raise InputError(msg)


def _keep_gene_expression(matrix: Matrix, genes: pd.DataFrame) -> tuple[Matrix, pd.DataFrame]:
    """Keep only 'Gene Expression' features where a 10x v3 feature-type column says so."""
    if genes.shape[1] < 3 or not (genes.iloc[:, 2] == GENE_EXPRESSION).any():
        return matrix, genes
    keep = (genes.iloc[:, 2] == GENE_EXPRESSION).to_numpy()
    return matrix[:, keep], genes[keep]


# --- dense tables


def _separator(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return ","
    if name.endswith(".tsv"):
        return "\t"
    first = _first_line(path)
    return "\t" if "\t" in first else "," if "," in first else r"\s+"


def _first_line(path: Path) -> str:
    with _reading(path, "a text table"):
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8-sig") as fh:
                return fh.readline().rstrip("\r\n")
        with path.open(encoding="utf-8-sig") as fh:
            return fh.readline().rstrip("\r\n")


def _header(path: Path, sep: str) -> list[str]:
    line = _first_line(path)
    if sep == r"\s+":
        return line.split()
    return next(csv.reader([line], delimiter=sep))


def _read_table(path: Path, orientation: Orientation) -> _Parsed:
    sep = _separator(path)
    header = _header(path, sep)
    with _reading(path, "a text table"):
        try:
            frame = pd.read_csv(path, sep=sep, header=None, skiprows=1, index_col=0, dtype={0: str})
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
    _check_not_empty(path, *frame.shape)
    columns = _column_labels(path, header, frame.shape[1])
    _check_numeric(path, frame, columns)
    values = frame.to_numpy(dtype=np.float64)
    rows = pd.Index(frame.index.fillna("").astype(str), dtype=object)
    genes_in_rows = _table_genes_in_rows(path, rows, columns, orientation)
    if genes_in_rows:
        return _Parsed(values.T, pd.DataFrame(index=columns), (rows,), "genes_in_rows")
    return _Parsed(values, pd.DataFrame(index=rows), (columns,), "genes_in_columns")


def _column_labels(path: Path, header: list[str], n_columns: int) -> pd.Index[str]:
    """Column labels; the header may or may not name the row-label column (R omits it)."""
    if len(header) == n_columns + 1:
        header = header[1:]
    if len(header) != n_columns:
        msg = (
            f"{path}: the header has {len(header)} fields but the rows have {n_columns} values "
            "after the row label; fix the header"
        )
        raise InputError(msg)
    return pd.Index(header, dtype=object)


def _check_numeric(path: Path, frame: pd.DataFrame, columns: pd.Index[str]) -> None:
    numeric = [
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        for dtype in frame.dtypes
    ]
    if all(numeric):
        return
    bad = int(np.flatnonzero(~np.asarray(numeric))[0])
    values = frame.iloc[:, bad]
    text = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
    example = text.iloc[0] if len(text) else values.iloc[0]  # a True/False column: any value
    msg = (
        f"{path}: column {columns[bad]!r} holds text ({str(example)!r}), not numbers; the "
        "first column must hold the row labels and every other column numbers"
    )
    raise InputError(msg)


def _table_genes_in_rows(
    path: Path, rows: pd.Index[str], columns: pd.Index[str], orientation: Orientation
) -> bool:
    """Whether genes are the rows: as asked, or where more labels map to known genes."""
    if orientation != "auto":
        return orientation == "genes_in_rows"
    in_rows, in_columns = (_n_mapped(map_to_human(list(ids))) for ids in (rows, columns))
    if in_rows == in_columns:
        msg = (
            f"{path}: cannot tell whether genes are the rows (e.g. {_examples(rows)}) or the "
            f"columns (e.g. {_examples(columns)}): {in_rows} known gene identifiers in each; "
            "pass --orientation genes_in_rows or genes_in_columns (orientation=)"
        )
        raise InputError(msg)
    return in_rows > in_columns


# --------------------------------------------------------------------------- checks


def _check_not_empty(
    path: Path, n_obs: int, n_genes: int, axes: tuple[str, str] = ("observations", "genes")
) -> None:
    if n_obs == 0 or n_genes == 0:
        msg = (
            f"{path}: the matrix is empty ({n_obs} {axes[0]} × {n_genes} {axes[1]}); "
            "check that the right file was given"
        )
        raise InputError(msg)


def _check_labels(path: Path, labels: pd.Index[str], what: str) -> None:
    """Refuse empty (or NA) and duplicate identifiers."""
    empty = np.flatnonzero(labels.astype(str).str.strip() == "")
    if len(empty):
        msg = (
            f"{path}: empty or NA {what} identifiers ({len(empty)}, the first is {what} number "
            f"{empty[0] + 1}); give every {what} a name"
        )
        raise InputError(msg)
    duplicated = labels[labels.duplicated()].unique()
    if len(duplicated):
        msg = (
            f"{path}: duplicate {what} identifiers ({len(duplicated)}, e.g. "
            f"{_examples(duplicated)}); make them unique or merge those rows first"
        )
        raise InputError(msg)


def _stored(matrix: Matrix) -> NDArray[Any]:
    """The stored values: the non-zeros of a sparse matrix, every entry of a dense one."""
    return np.asarray(matrix.data if sparse.issparse(matrix) else matrix).ravel()


def _locate(matrix: Matrix, flat: int) -> tuple[int, int]:
    """(observation, gene) of the ``flat``-th stored value."""
    if sparse.issparse(matrix):
        obs = int(np.searchsorted(matrix.indptr, flat, side="right")) - 1
        return obs, int(matrix.indices[flat])
    row, column = np.unravel_index(flat, matrix.shape)
    return int(row), int(column)


def _where(parsed: _Parsed, flat: int) -> str:
    obs, gene = _locate(parsed.matrix, flat)
    return f"gene {parsed.gene_ids[0][gene]!r}, observation {parsed.obs.index[obs]!r}"


def _decide_values(path: Path, parsed: _Parsed, values: Values) -> str:
    """Check the stored values and say whether they are counts, linear or log."""
    stored = _stored(parsed.matrix)
    if stored.dtype.kind not in "iuf":
        msg = (
            f"{path}: the values are of type {stored.dtype}, not real numbers; senox needs "
            "counts or expression values"
        )
        raise InputError(msg)
    bad = np.flatnonzero(~np.isfinite(stored))
    if len(bad):
        msg = (
            f"{path}: NaN or infinite values ({len(bad)}, the first at "
            f"{_where(parsed, bad[0])}); fill or remove them before reading"
        )
        raise InputError(msg)
    negative = np.flatnonzero(stored < 0)
    if len(negative) and values != "log":
        msg = (
            f"{path}: negative values ({len(negative)}, the first at "
            f"{_where(parsed, negative[0])}); "
            "senox needs counts or non-negative normalised values; for log-scale values that "
            "may be negative pass --values log (values='log')"
        )
        raise InputError(msg)
    if not stored.any():
        msg = (
            f"{path}: no expression at all (every value is 0); the file is empty of counts: "
            "check that it is the right file and was exported completely"
        )
        raise InputError(msg)
    if values != "auto":
        return values
    if np.array_equal(stored, np.floor(stored)):
        return "counts"
    return "linear" if stored.max() > LINEAR_MIN_MAX else "log"


# --------------------------------------------------------------------------- genes


@dataclass(frozen=True)
class _GeneMap:
    mapping: pd.DataFrame
    species: str
    gene_id: str


def _map_genes(
    path: Path,
    candidates: Sequence[pd.Index[str]],
    *,
    species: Literal["auto", "human", "mouse"],
    gene_id: Literal["auto", "symbol", "ensembl"],
) -> _GeneMap:
    """Map each candidate identifier column; keep the one that maps most (the first on ties).

    Warns when ``gene_id="auto"`` and the kept column mixes Ensembl IDs and symbols.
    """
    found = max(
        (_map_one(list(ids), species=species, gene_id=gene_id) for ids in candidates),
        key=lambda found: _n_mapped(found.mapping),
    )
    n_ensembl, n_symbols = count_gene_id_kinds(found.mapping[ORIGINAL_ID].astype(str).tolist())
    if gene_id == "auto" and n_ensembl and n_symbols:
        logger.warning(
            "%s: the gene identifiers mix %d Ensembl IDs and %d symbols; each is mapped as "
            "what it is (%d of %d genes mapped to human symbols)",
            path, n_ensembl, n_symbols, _n_mapped(found.mapping), len(found.mapping),
        )  # fmt: skip
    return found


def _map_one(
    ids: list[str],
    *,
    species: Literal["auto", "human", "mouse"],
    gene_id: Literal["auto", "symbol", "ensembl"],
) -> _GeneMap:
    kind = guess_gene_id(ids) if gene_id == "auto" else gene_id
    organism = guess_species(ids, gene_id=kind) if species == "auto" else species
    return _GeneMap(map_to_human(ids, species=species, gene_id=gene_id), organism, kind)


def _n_mapped(mapping: pd.DataFrame) -> int:
    return int((mapping[HOW] != UNMAPPED).sum())


def _var_names(mapping: pd.DataFrame) -> pd.Series[str]:
    """The human symbol where mapped, else the original identifier."""
    symbols = mapping[HUMAN_SYMBOL]
    return symbols.where(symbols != "", mapping[ORIGINAL_ID].astype(str))


def _merge_genes(
    matrix: Matrix, mapping: pd.DataFrame, *, how: Literal["sum", "mean"]
) -> tuple[Matrix, pd.DataFrame]:
    """Sum (``how="sum"``) or average the columns of genes that share a var name.

    Returns the merged matrix and ``var`` (``original_id`` joined with ``|``, ``mapping``).
    """
    codes, names = pd.factorize(_var_names(mapping))
    if len(names) == len(codes):
        var = pd.DataFrame(
            {
                "original_id": mapping[ORIGINAL_ID].astype(str).to_numpy(),
                "mapping": mapping[HOW].to_numpy(),
            },
            index=pd.Index(names, dtype=object),
        )
        return matrix, var
    groups = mapping.astype({ORIGINAL_ID: str}).groupby(codes, sort=True)
    var = pd.DataFrame(
        {
            "original_id": groups[ORIGINAL_ID].agg("|".join).to_numpy(),
            "mapping": groups[HOW].agg(lambda hows: "|".join(dict.fromkeys(hows))).to_numpy(),
        },
        index=pd.Index(names, dtype=object),
    )
    sizes = np.bincount(codes)
    weights = np.ones(len(codes)) if how == "sum" else 1.0 / sizes[codes]
    merge = sparse.csr_matrix(
        (weights, (np.arange(len(codes)), codes)), shape=(len(codes), len(names))
    )
    merged = matrix @ merge
    return (sparse.csr_matrix(merged) if sparse.issparse(merged) else np.asarray(merged)), var


# --------------------------------------------------------------------------- values


def _normalise_counts(counts: Matrix) -> Matrix:
    """log1p(counts / total per observation × TARGET_SUM); an all-zero observation stays zero."""
    totals = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    scale = np.divide(TARGET_SUM, totals, out=np.zeros_like(totals), where=totals > 0)
    if sparse.issparse(counts):
        return _log1p(sparse.csr_matrix(sparse.diags(scale) @ counts))
    return np.log1p(counts * scale[:, None])


def _log1p(matrix: Matrix) -> Matrix:
    if sparse.issparse(matrix):
        out = sparse.csr_matrix(matrix, dtype=np.float64, copy=True)
        out.data = np.log1p(out.data)
        return out
    return np.log1p(matrix)


def _float32(matrix: Matrix) -> Matrix:
    if sparse.issparse(matrix):
        return sparse.csr_matrix(matrix, dtype=np.float32)
    return np.asarray(matrix, dtype=np.float32)


# --------------------------------------------------------------------------- read


def read(
    path: str | Path,
    *,
    orientation: Orientation = "auto",
    species: Literal["auto", "human", "mouse"] = "auto",
    gene_id: Literal["auto", "symbol", "ensembl"] = "auto",
    values: Values = "auto",
    backed: bool = False,
    genes: str | Path | None = None,
    cells: str | Path | None = None,
) -> AnnData:
    """Read expression data as observations × human gene symbols, log-normalised.

    Parameters
    ----------
    path
        One of: an ``.h5ad`` file; a 10x folder (``matrix.mtx``, ``features.tsv`` or
        ``genes.tsv``, and ``barcodes.tsv``, each optionally gzipped); a 10x CellRanger
        ``.h5`` file (v3 or v2 layout); a Matrix Market ``.mtx[.gz]`` file with gene and cell
        lists; or a dense ``.csv``/``.tsv``/``.txt`` table (optionally gzipped) whose first
        column holds row labels and whose header holds column labels.
    orientation
        Whether genes are the rows or the columns of a ``.mtx`` file or a table. ``"auto"``:
        for ``.mtx``, the axis as long as the gene list; for a table, the axis whose labels
        map to more gene identifiers. 10x inputs always have genes in rows and ``.h5ad`` in
        columns.
    species, gene_id
        The kind of gene identifier; ``"auto"`` guesses it (see
        :func:`senox.io.map_to_human`). For 10x inputs, the ID and the name columns are both
        tried and the one that maps more genes is kept. With ``gene_id="auto"``, identifiers
        that mix Ensembl IDs and symbols are each mapped as what they are, with a warning
        that counts each kind.
    values
        What the values are. ``"auto"``: if every stored value is a non-negative integer,
        ``"counts"``; else if the maximum exceeds 50, ``"linear"`` (already normalised, e.g.
        CPM or TPM); else ``"log"``. Counts become ``log1p(count / total × 10,000)`` per
        observation (all-zero observations stay zero); linear values become ``log1p(value)``;
        log values are kept. Negative values are refused unless ``values="log"``.
        Non-integer estimated counts (e.g. salmon) need ``values="counts"``.
    backed
        Open an ``.h5ad`` file read-only without loading X. X is then left as stored (no
        value checks, no normalisation); the gene names must map one-to-one to human
        symbols.
    genes, cells
        Gene and cell lists of a ``.mtx`` file; by default found beside it (``features.tsv``,
        ``genes.tsv``; ``barcodes.tsv``, ``cells.csv``, ``cells.tsv``; each optionally
        gzipped). ``.csv`` lists have a header row; others have none. The first column holds
        the identifiers; further columns of a cell list go to ``obs``.

    Returns
    -------
    An AnnData with observations in rows and genes in columns:

    - ``X``: float32 log-normalised values (scipy CSR for sparse inputs, dense otherwise);
    - ``var_names``: approved human symbols where the mapping succeeded, otherwise the input
      identifier. Unmapped genes are kept. Genes mapping to one symbol are merged: summed for
      counts, averaged otherwise;
    - ``var["original_id"]`` (input identifiers, ``|``-joined where merged) and
      ``var["mapping"]`` (how each was mapped, see :func:`senox.io.map_to_human`);
    - ``layers["counts"]``: the merged raw counts, for count input only;
    - ``obs``: the input's observation metadata (``.h5ad`` obs, extra cell-list columns);
    - ``uns["senox_io"]``: ``format``, ``path``, ``orientation``, ``species``, ``gene_id``,
      ``values``, ``n_genes_in``, ``n_genes_out``, ``n_mapped``, ``n_unmapped`` and
      ``n_aggregated`` (output genes that merge two or more inputs).

    Raises
    ------
    ~senox._errors.InputError
        For a missing, unknown, corrupt, empty or inconsistent input; empty or duplicate
        identifiers; negative, non-finite or non-real values; values that are all zero; a
        complex, pattern or symmetric Matrix Market matrix. The message is one line naming
        the file and the fix.
    """
    path = Path(path)
    fmt = _detect_format(path)
    if backed:
        if fmt != "h5ad":
            msg = f"{path}: --backed (backed=True) works only for .h5ad files; drop it"
            raise InputError(msg)
        return _read_backed(path, orientation=orientation, species=species, gene_id=gene_id)
    parsed = _parse(path, fmt, orientation, genes, cells)
    _check_not_empty(path, *parsed.matrix.shape)
    _check_labels(path, pd.Index(parsed.obs.index), "observation")
    _check_labels(path, parsed.gene_ids[0], "gene")
    kind = _decide_values(path, parsed, values)
    found = _map_genes(path, parsed.gene_ids, species=species, gene_id=gene_id)
    merged, var = _merge_genes(
        parsed.matrix, found.mapping, how="sum" if kind == "counts" else "mean"
    )
    if kind == "counts":
        x, layers = _normalise_counts(merged), {"counts": _float32(merged)}
    else:
        x, layers = (_log1p(merged) if kind == "linear" else merged), {}
    import anndata as ad  # slow to import: only when needed

    adata = ad.AnnData(X=_float32(x), obs=parsed.obs, var=var, layers=layers)
    adata.uns["senox_io"] = _summary(path, fmt, parsed.orientation, found, kind)
    return adata


def _parse(
    path: Path,
    fmt: str,
    orientation: Orientation,
    genes: str | Path | None,
    cells: str | Path | None,
) -> _Parsed:
    if fmt == "mtx":
        return _read_mtx(
            path,
            orientation=orientation,
            genes=Path(genes) if genes else None,
            cells=Path(cells) if cells else None,
        )
    if genes is not None or cells is not None:
        msg = f"{path}: genes= and cells= of senox.io.read apply only to .mtx files; drop them"
        raise InputError(msg)
    readers = {
        "h5ad": _read_h5ad,
        "10x": _read_10x_dir,
        "10x_h5": _read_10x_h5,
        "table": _read_table,
    }
    return readers[fmt](path, orientation)


def _summary(
    path: Path, fmt: str, orientation: str, found: _GeneMap, values: str
) -> dict[str, str | int]:
    n_mapped = _n_mapped(found.mapping)
    group_sizes = _var_names(found.mapping).value_counts()
    summary: dict[str, str | int] = {
        "format": fmt,
        "path": str(path),
        "orientation": orientation,
        "species": found.species,
        "gene_id": found.gene_id,
        "values": values,
        "n_genes_in": len(found.mapping),
        "n_genes_out": len(group_sizes),
        "n_mapped": n_mapped,
        "n_unmapped": len(found.mapping) - n_mapped,
        "n_aggregated": int((group_sizes > 1).sum()),
    }
    logger.info(
        "%s: %d of %d genes mapped to human symbols (%s %s)",
        path,
        n_mapped,
        len(found.mapping),
        found.species,
        found.gene_id,
    )
    return summary


def _read_backed(
    path: Path,
    *,
    orientation: Orientation,
    species: Literal["auto", "human", "mouse"],
    gene_id: Literal["auto", "symbol", "ensembl"],
) -> AnnData:
    """Open an h5ad file backed; rename its genes to human symbols if that is one-to-one."""
    import anndata as ad  # slow to import: only when needed

    _fixed_orientation(path, orientation, "genes_in_columns")
    with _reading(path, "an h5ad file"):
        adata = ad.read_h5ad(path, backed="r")
    try:
        _check_not_empty(path, adata.n_obs, adata.n_vars)
        _check_labels(path, adata.obs_names, "observation")
        _check_labels(path, adata.var_names, "gene")
        found = _map_genes(path, (adata.var_names,), species=species, gene_id=gene_id)
        names = _var_names(found.mapping)
        _check_one_to_one(path, names)
        adata.var_names = pd.Index(names, dtype=object)
        adata.var["original_id"] = found.mapping[ORIGINAL_ID].to_numpy()
        adata.var["mapping"] = found.mapping[HOW].to_numpy()
        adata.uns["senox_io"] = _summary(path, "h5ad", "genes_in_columns", found, "as stored")
    except BaseException:
        adata.file.close()
        raise
    return adata


def _check_one_to_one(path: Path, names: pd.Series[str]) -> None:
    shared = names[names.duplicated()].unique()
    if len(shared):
        msg = (
            f"{path}: several genes map to the same human symbol (e.g. {_examples(shared)}), "
            "which backed reading cannot merge; convert them to human symbols first, or drop "
            "--backed (backed=True)"
        )
        raise InputError(msg)
