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
import re
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
from senox._words import counted
from senox.io._mapping import (
    ENSEMBL_PATTERN,
    HOW,
    HUMAN_SYMBOL,
    ORIGINAL_ID,
    UNMAPPED,
    SpeciesOption,
    count_gene_id_kinds,
    guess_gene_id,
    guess_species,
    map_to_human,
    ortholog_lookup,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from anndata import AnnData  # type: ignore[import-untyped,unused-ignore]
    from numpy.typing import NDArray

logger = logging.getLogger(__name__)

Orientation = Literal["auto", "genes_in_rows", "genes_in_columns"]
Values = Literal["auto", "counts", "linear", "log"]
GeneIdOption = Literal["auto", "symbol", "ensembl"]
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
#: Delimiters a sample sheet or an ortholog table may use; the header's most frequent one wins.
_DELIMITERS = ("\t", ",", ";")
#: First fields that mark a header row in a cell list that has none by format (10x barcodes).
_CELL_LIST_HEADERS = frozenset(
    {"", "barcode", "barcodes", "cell", "cells", "cell_id", "cell_barcode", "obs", "obs_names"}
)
#: A 10x cell barcode: letters A, C, G, T, N, optionally with a suffix such as ``-1``.
_BARCODE = r"[ACGTN]+(-\d+)?"


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


@contextmanager
def _prefixed(where: str | Path) -> Iterator[None]:
    """Put ``where`` (a file) in front of an :class:`InputError` raised without one."""
    try:
        yield
    except InputError as exc:
        msg = f"{where}: {exc}"
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
    _check_not_workbook(path, "a text table")
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


def _find(folder: Path, names: Sequence[str], prefix: str = "") -> Path | None:
    """The first of ``names`` (each also tried with ``.gz``) that exists in ``folder``.

    With a ``prefix`` (GEO's ``GSM…_``), the prefixed names are looked for.
    """
    for name in names:
        for candidate in (folder / f"{prefix}{name}", folder / f"{prefix}{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


_MATRIX = "matrix.mtx"


def _prefix(matrix: Path) -> str:
    """What comes before ``matrix.mtx[.gz]`` in a file's name: GEO's ``GSM…_``, or nothing."""
    name = matrix.name
    for ending in (_MATRIX, f"{_MATRIX}.gz"):
        if name.endswith(ending):
            return name[: -len(ending)]
    return ""


def _folder_matrix(folder: Path) -> Path | None:
    """A 10x folder's matrix: ``matrix.mtx[.gz]``, else the one file ending so (GEO prefixes).

    A folder holding several prefixed matrices (one per sample, as GEO downloads often are) is
    a one-line error that lists them: which to read is the user's choice.
    """
    plain = _find(folder, [_MATRIX])
    if plain is not None:
        return plain
    found = sorted(
        f for f in folder.iterdir() if f.is_file() and f.name.endswith((_MATRIX, f"{_MATRIX}.gz"))
    )
    if len(found) > 1:
        msg = (
            f"{folder}: holds {len(found)} matrices ({_examples(f.name for f in found)}"
            f"{', …' if len(found) > 3 else ''}), one per sample; pass one of them as the input "
            "(its gene and cell lists are found beside it by their shared prefix)"
        )
        raise InputError(msg)
    return found[0] if found else None


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
    matrix = _folder_matrix(path)
    prefix = "" if matrix is None else _prefix(matrix)
    genes = _find(path, _GENE_LISTS, prefix)
    cells = _find(path, ["barcodes.tsv"], prefix)
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
            f"barcodes.tsv, optionally gzipped and all under one prefix (GEO's GSM…_); "
            f"missing {', '.join(missing)}"
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
    """A list beside a Matrix Market file: under the file's prefix (GEO), else plainly named."""
    prefix = _prefix(path)
    found = (_find(path.parent, names, prefix) if prefix else None) or _find(path.parent, names)
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

    ``.csv`` files have a header; other files (10x ``.tsv``) have none, except a cell list whose
    first row looks like one (see :func:`_starts_with_header`). With ``metadata``, the columns
    after the first are typed by :func:`_typed`.
    """
    if not path.is_file():
        msg = f"{path}: {what} not found; check the path"
        raise InputError(msg)
    is_csv = path.name.lower().removesuffix(".gz").endswith(".csv")
    with _reading(path, f"a {what}"):
        table: pd.DataFrame = pd.read_csv(
            path,
            sep="," if is_csv else "\t",
            header=0 if is_csv else None,
            dtype=str,
            keep_default_na=metadata,
        )
    table.columns = table.columns.astype(str)
    if not metadata:
        return table
    ids = table.iloc[:, 0].fillna("")
    if not is_csv and _starts_with_header(ids):
        table = table.iloc[1:].set_axis(table.iloc[0].fillna("").to_list(), axis=1)
        ids = ids.iloc[1:]
    return pd.concat([ids.rename(table.columns[0]), _typed(table.iloc[:, 1:])], axis=1)


def _starts_with_header(ids: pd.Series[str]) -> bool:
    """Whether a cell list without a header by format (10x ``barcodes.tsv``) starts with one.

    Yes when its first field is empty or a usual name of the column (``barcode``, ``cell``,
    ``cell_id``, ``obs``, ...; any case), or when every later row starts with a 10x barcode
    (``AAACCTGAGAAACCAT-1``) and the first does not.
    """
    if ids.empty:
        return False
    first = ids.iloc[0].strip()
    if first.lower() in _CELL_LIST_HEADERS:
        return True
    rest = ids.iloc[1:]
    return (
        not rest.empty
        and bool(rest.str.fullmatch(_BARCODE).all())
        and re.fullmatch(_BARCODE, first) is None
    )


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """Text columns in which every field is a number become numbers; the others stay text."""
    numbers = table.apply(pd.to_numeric, errors="coerce")
    numeric = [column for column in table.columns if numbers[column].notna().all()]
    return table.assign(**{column: numbers[column] for column in numeric})


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


def _separator(path: Path, line: str) -> str:
    """The separator of a table whose header is ``line``.

    The one the suffix names if the header holds it (``.csv``: comma, ``.tsv``: tab), else the
    most frequent of tab, comma and semicolon (a European spreadsheet's "CSV" is
    semicolon-separated, with decimal commas), else runs of spaces.
    """
    name = path.name.lower().removesuffix(".gz")
    named = "," if name.endswith(".csv") else "\t" if name.endswith(".tsv") else None
    if named is not None and named in line:
        return named
    best = max(_DELIMITERS, key=line.count)
    return best if best in line else r"\s+"


#: The first bytes of files that are not text tables: Excel workbooks (xlsx and ods are zip
#: archives; xls an OLE2 compound file).
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_WORKBOOK_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".ods")


def _opened(path: Path) -> Any:
    """``path`` opened for reading bytes, through gzip where its name ends in ``.gz``."""
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def _encoding(path: Path) -> str:
    """UTF-16 where a UTF-16 byte-order mark says so (Excel's "Unicode text"), else UTF-8."""
    with _reading(path, "a text table"), _opened(path) as fh:
        start = fh.read(2)
    return "utf-16" if start in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"


def _check_not_workbook(path: Path, what: str) -> None:
    """Refuse a spreadsheet workbook given where a text table belongs, saying what to do."""
    with _reading(path, what), _opened(path) as fh:
        start = fh.read(4)
    if path.name.lower().endswith(_WORKBOOK_SUFFIXES) or start in _WORKBOOK_MAGIC:
        msg = (
            f"{path}: a spreadsheet workbook, not a text table; save the sheet as CSV or "
            "tab-separated text and pass that file"
        )
        raise InputError(msg)


@contextmanager
def _text(path: Path) -> Iterator[Any]:
    """``path`` opened as text (gzipped or not; UTF-8 or UTF-16), a byte-order mark dropped."""
    encoding = _encoding(path)
    with _reading(path, "a text table"):
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rt", encoding=encoding) as fh:
                yield fh
        else:
            with path.open(encoding=encoding) as fh:
                yield fh


def _first_line(path: Path) -> str:
    with _text(path) as fh:
        return str(fh.readline()).rstrip("\r\n")


def _header_line(path: Path) -> tuple[int, str]:
    """The number of comment lines before a table's header, and the header line.

    A comment line starts with ``#`` and holds neither a tab nor a comma, as the command line
    featureCounts writes above its table; a header that starts with ``#`` has separators.
    """
    with _text(path) as fh:
        for skipped, raw in enumerate(fh):
            line = str(raw).rstrip("\r\n")
            if not (line.startswith("#") and "\t" not in line and "," not in line):
                return skipped, line
    return 0, ""


def _decimal(path: Path, skip: int, sep: str) -> str:
    """A table's decimal mark: a point, or a comma (a European spreadsheet's ``0,25``).

    A comma only where the table is semicolon-separated and its first row has one between
    digits.
    """
    if sep != ";":
        return "."
    with _text(path) as fh:
        first_row = next(islice(fh, skip + 1, None), "")
    return "," if re.search(r"\d,\d", str(first_row)) else "."


def _fields(line: str, sep: str) -> list[str]:
    """The header's fields; quotes removed (R's ``write.table`` quotes every label)."""
    if sep == r"\s+":
        return next(csv.reader([line.strip()], delimiter=" ", skipinitialspace=True))
    return next(csv.reader([line], delimiter=sep))


def _read_table(path: Path, orientation: Orientation, orthologs: pd.Series[str] | None) -> _Parsed:
    _check_not_workbook(path, "a text table")
    skip, line = _header_line(path)
    sep = _separator(path, line)
    with _reading(path, "a text table"):
        try:
            frame = pd.read_csv(
                path, sep=sep, header=None, skiprows=skip + 1, index_col=0, dtype={0: str},
                encoding=_encoding(path), decimal=_decimal(path, skip, sep),
            )  # fmt: skip
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
    _check_not_empty(path, *frame.shape)
    frame.columns = _column_labels(path, _fields(line, sep), frame.shape[1])
    frame = _without_empty_columns(frame)
    rows = pd.Index(frame.index.fillna("").astype(str), dtype=object)
    n_text = _n_annotation_columns(frame)
    labels = [rows, *(_filled(frame.iloc[:, i], rows) for i in range(n_text))]
    counts = frame.iloc[:, n_text:]
    genes_in_rows = _table_genes_in_rows(path, labels, counts.columns, orientation, orthologs)
    if not genes_in_rows:
        _check_numeric(path, counts)
        obs = frame.iloc[:, :n_text].set_axis(rows)
        return _Parsed(
            counts.to_numpy(dtype=np.float64), obs, (counts.columns,), "genes_in_columns"
        )
    counts = _without_positions(path, counts)
    _check_numeric(path, counts)
    kept = _without_read_counters(path, rows)
    values = counts.to_numpy(dtype=np.float64)[kept].T
    candidates = _gene_id_candidates([ids[kept] for ids in labels])
    obs = pd.DataFrame(index=_sample_names(path, counts.columns))
    return _Parsed(values, obs, candidates, "genes_in_rows")


def _without_empty_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The table without columns that have neither a label nor a value.

    Such a column is the trace of a separator at the end of every line, as spreadsheets export.
    """
    unlabelled = np.array([str(c).strip() == "" for c in frame.columns], dtype=bool)
    empty = unlabelled & frame.isna().all(axis=0).to_numpy(dtype=bool)
    return frame.loc[:, ~empty]


def _n_annotation_columns(frame: pd.DataFrame) -> int:
    """How many leading columns hold text, not numbers: gene (or sample) annotations.

    A column is text when fewer than half its filled values are numbers, so that a count column
    with a stray word in it is not taken for an annotation (it is refused instead). Only the
    columns before the first numeric one count; a text column after it is refused too.
    """
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            return position
        filled = values.dropna()
        if len(filled) and pd.to_numeric(filled, errors="coerce").notna().mean() >= 0.5:
            return position
    return frame.shape[1]


def _filled(values: pd.Series, rows: pd.Index[str]) -> pd.Index[str]:
    """An annotation column as labels; a missing name falls back to the row's label."""
    names = values.astype("string").str.strip().fillna("").to_numpy(dtype=object)
    return pd.Index(np.where(names == "", rows.to_numpy(dtype=object), names), dtype=object)


#: Columns a counting tool writes beside the counts, not samples: featureCounts' gene
#: coordinates (Chr, Start, End, Strand, Length; Liao et al. 2014, Bioinformatics 30:923) and
#: the gene lengths of RSEM and salmon tables. Compared case-insensitively.
_POSITION_COLUMNS = frozenset(
    {"chr", "chromosome", "start", "end", "strand", "length", "effective_length", "efflength"}
)
#: Rows that count reads no gene received: htseq-count's (Anders et al. 2015, Bioinformatics
#: 31:166) and STAR's ReadsPerGene.out.tab (Dobin et al. 2013, Bioinformatics 29:15).
_READ_COUNTERS = frozenset(
    {
        "__no_feature", "__ambiguous", "__too_low_aQual", "__not_aligned",
        "__alignment_not_unique", "N_unmapped", "N_multimapping", "N_noFeature", "N_ambiguous",
    }
)  # fmt: skip
#: A gene label that joins an Ensembl ID and a name, e.g. ``ENSG00000141510.17|TP53``.
_JOINED_ID = r"^(ENS[A-Z]*G\d+(?:\.\d+)?)[|_:](.+)$"


def _without_positions(path: Path, counts: pd.DataFrame) -> pd.DataFrame:
    drop = np.array(
        [str(c).strip().lower() in _POSITION_COLUMNS for c in counts.columns], dtype=bool
    )
    if drop.any():
        logger.info(
            "%s: columns %s are gene annotations, not samples: left out",
            path, ", ".join(map(str, counts.columns[drop])),
        )  # fmt: skip
    return counts.loc[:, ~drop]


def _without_read_counters(path: Path, rows: pd.Index[str]) -> NDArray[np.bool_]:
    """Rows to keep: all but the counters of unassigned reads (they are not genes)."""
    counters = rows.isin(_READ_COUNTERS)
    if counters.any():
        logger.info(
            "%s: %d rows count unassigned reads (e.g. %s), not genes: left out",
            path, int(counters.sum()), _examples(rows[counters]),
        )  # fmt: skip
    return np.asarray(~counters)


def _gene_id_candidates(labels: Sequence[pd.Index[str]]) -> tuple[pd.Index[str], ...]:
    """Each gene label column, plus both halves of labels that join an ID and a name."""
    candidates = list(labels)
    for ids in labels:
        parts = ids.str.extract(_JOINED_ID)
        if parts[0].notna().mean() > 0.5:
            candidates += [
                pd.Index(parts[i].fillna(pd.Series(ids, index=parts.index)), dtype=object)
                for i in (0, 1)
            ]
    return tuple(candidates)


def _sample_names(path: Path, columns: pd.Index[str]) -> pd.Index[str]:
    """Sample labels; BAM paths (featureCounts' labels) become the sample names within them.

    The folder is dropped, then the longest ending all labels share that starts at a ``.``,
    ``_`` or ``-`` (``.sorted.bam``, ``_dedup.bam``) and STAR's ``Aligned`` before it; the
    labels are kept as they are when that would leave two alike or one empty.
    """
    names = pd.Index([str(c) for c in columns], dtype=object)
    if not names.str.lower().str.endswith(".bam").all():
        return names
    files = [Path(n).name for n in names]
    stems = [f[: -len(_shared_ending(files))] for f in files]
    if all(s.endswith(_STAR_PREFIX) for s in stems):
        stems = [s[: -len(_STAR_PREFIX)] for s in stems]
    if "" in stems or len(set(stems)) < len(stems):
        return names
    logger.info("%s: sample labels are BAM files; named %s", path, _examples(stems))
    return pd.Index(stems, dtype=object)


#: STAR names its BAM files ``{prefix}Aligned.sortedByCoord.out.bam``.
_STAR_PREFIX = "Aligned"


def _shared_ending(files: Sequence[str]) -> str:
    """The longest ending of every name in ``files`` that starts at a ``.``, ``_`` or ``-``."""
    first = files[0]
    for start in range(len(first)):
        ending = first[start:]
        if first[start] in "._-" and all(f.endswith(ending) for f in files):
            return ending
    return ""


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


def _check_numeric(path: Path, frame: pd.DataFrame) -> None:
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
        f"{path}: column {frame.columns[bad]!r} holds text ({str(example)!r}), not numbers; "
        "the first column must hold the row labels, then any columns of gene names, and every "
        "other column numbers"
    )
    raise InputError(msg)


def _table_genes_in_rows(
    path: Path,
    rows: Sequence[pd.Index[str]],
    columns: pd.Index[str],
    orientation: Orientation,
    orthologs: pd.Series[str] | None,
) -> bool:
    """Whether genes are the rows: as asked, or where more labels are gene identifiers.

    ``rows``: the row labels and any text columns beside them (gene names); the one holding
    the most gene identifiers speaks for the rows.
    """
    if orientation != "auto":
        return orientation == "genes_in_rows"
    in_rows = max(_n_gene_identifiers(ids, orthologs) for ids in rows)
    in_columns = _n_gene_identifiers(columns, orthologs)
    if in_rows == in_columns:
        msg = (
            f"{path}: cannot tell whether genes are the rows (e.g. {_examples(rows[0])}) or the "
            f"columns (e.g. {_examples(columns)}): {in_rows} known gene identifiers in each; "
            "pass --orientation genes_in_rows or genes_in_columns (orientation=)"
        )
        raise InputError(msg)
    return in_rows > in_columns


def _n_gene_identifiers(labels: pd.Index[str], orthologs: pd.Series[str] | None) -> int:
    """How many labels are Ensembl gene IDs (of any species) or known symbols.

    Known symbols are human or mouse ones, and the genes of ``orthologs`` if given.
    """
    known = np.asarray(labels.str.match(ENSEMBL_PATTERN), dtype=bool)
    tables = (None,) if orthologs is None else (None, orthologs)
    for table in tables:
        mapped = map_to_human(labels.tolist(), gene_id="symbol", orthologs=table)
        known |= (mapped[HOW] != UNMAPPED).to_numpy()
    return int(known.sum())


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


def _check_labels(
    path: str | Path, labels: pd.Index[str], what: str, *, unique: bool = True
) -> None:
    """Refuse empty (or NA) identifiers and, if ``unique``, duplicate ones."""
    empty = np.flatnonzero(labels.astype(str).str.strip() == "")
    if len(empty):
        msg = (
            f"{path}: empty or NA {what} identifiers ({len(empty)}, the first is {what} number "
            f"{empty[0] + 1}); give every {what} a name"
        )
        raise InputError(msg)
    duplicated = labels[labels.duplicated()].unique()
    if unique and len(duplicated):
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
    species: SpeciesOption,
    gene_id: GeneIdOption,
    orthologs: pd.Series[str] | None,
) -> _GeneMap:
    """Map each candidate identifier column; keep the one giving the most distinct human symbols.

    The first column wins ties. Warns when ``gene_id="auto"`` and the kept column mixes Ensembl
    IDs and symbols, and when identifiers repeat (see :func:`_warn_repeated`).
    """
    found = [
        _map_one(path, list(ids), species=species, gene_id=gene_id, orthologs=orthologs)
        for ids in candidates
    ]
    best = max(range(len(found)), key=lambda i: _n_distinct(found[i].mapping))
    mapping = found[best].mapping
    n_ensembl, n_symbols = count_gene_id_kinds(mapping[ORIGINAL_ID].astype(str).tolist())
    if gene_id == "auto" and n_ensembl and n_symbols:
        logger.warning(
            "%s: the gene identifiers mix %d Ensembl IDs and %d symbols; each is mapped as "
            "what it is (%d of %d genes mapped to human symbols)",
            path, n_ensembl, n_symbols, _n_mapped(mapping), len(mapping),
        )  # fmt: skip
    _warn_repeated(path, candidates, best)
    return found[best]


def _map_one(
    path: Path,
    ids: list[str],
    *,
    species: SpeciesOption,
    gene_id: GeneIdOption,
    orthologs: pd.Series[str] | None,
) -> _GeneMap:
    kind = guess_gene_id(ids) if gene_id == "auto" else gene_id
    organism = guess_species(ids, gene_id=kind) if species == "auto" else species
    with _prefixed(path):
        mapping = map_to_human(ids, species=species, gene_id=gene_id, orthologs=orthologs)
    return _GeneMap(mapping, organism, kind)


def _warn_repeated(path: Path, candidates: Sequence[pd.Index[str]], kept: int) -> None:
    """Say what happens to repeated identifiers in a gene list of several columns (10x).

    Repeats in the kept column are merged (see :func:`_merge_genes`). Repeats in the first
    column (the gene IDs) when a later one (the names) was kept are left behind.
    """
    ids = candidates[kept]
    repeated = ids[ids.duplicated()].unique()
    if len(repeated):
        logger.warning(
            "%s: %s %s more than once (e.g. %s); the rows of each are merged: counts summed, "
            "other values averaged",
            path, counted(len(repeated), "gene identifier"),
            "appears" if len(repeated) == 1 else "appear", _examples(repeated),
        )  # fmt: skip
        return
    first = candidates[0]
    repeated = first[first.duplicated()].unique()
    if kept and len(repeated):
        logger.warning(
            "%s: %s %s more than once, under different names (e.g. %s); the "
            "gene names, which are unique, are used instead",
            path, counted(len(repeated), "gene ID"),
            "appears" if len(repeated) == 1 else "appear", _examples(repeated),
        )  # fmt: skip


def _n_distinct(mapping: pd.DataFrame) -> int:
    """How many distinct human symbols the mapped identifiers give."""
    return int(mapping.loc[mapping[HOW] != UNMAPPED, HUMAN_SYMBOL].nunique())


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


# --------------------------------------------------------------------------- side tables


def _read_delimited(path: Path, what: str) -> pd.DataFrame:
    """A text table with a header row, its delimiter sniffed from the header, fields as text.

    Empty and NA fields are NaN. The delimiter is the one of tab, comma and semicolon that the
    header holds most often.
    """
    if not path.is_file():
        msg = f"{path}: {what} not found; check the path"
        raise InputError(msg)
    _check_not_workbook(path, what)
    header = _first_line(path)
    separator = max(_DELIMITERS, key=header.count)
    with _reading(path, what):
        table: pd.DataFrame = pd.read_csv(path, sep=separator, dtype=str, encoding=_encoding(path))
    return table


@dataclass(frozen=True)
class _SampleSheet:
    """Annotations of the observations, indexed by observation ID."""

    table: pd.DataFrame
    #: The file, or "obs DataFrame".
    name: str
    #: Where the sheet holds the IDs, for the fix in a message.
    ids_in: str


def _sample_sheet(obs: str | Path | pd.DataFrame) -> _SampleSheet:
    """Read a sample sheet (or take a DataFrame); refuse empty and duplicate IDs."""
    if isinstance(obs, pd.DataFrame):
        ids = pd.Index(obs.index.astype(str).str.strip(), dtype=object)
        sheet = _SampleSheet(obs.set_axis(ids, axis=0), "obs DataFrame", "its index")
    else:
        path = Path(obs)
        raw = _read_delimited(path, "a sample sheet")
        if raw.shape[1] < 2:
            msg = (
                f"{path}: the sample sheet has 1 column; it needs a header row, the observation "
                "IDs in the first column and one annotation per further column, separated by "
                "tabs, commas or semicolons"
            )
            raise InputError(msg)
        ids = pd.Index(raw.iloc[:, 0].fillna("").str.strip(), dtype=object)
        sheet = _SampleSheet(
            _typed(raw.iloc[:, 1:]).set_axis(ids, axis=0), str(path), "the first column"
        )
    _check_labels(sheet.name, pd.Index(sheet.table.index), "observation")
    return sheet


def _with_sample_sheet(obs: pd.DataFrame, sheet: _SampleSheet) -> pd.DataFrame:
    """``obs`` with the sheet's columns, which replace columns of the same name (warned).

    Every observation needs a row of the sheet; rows that match none are left out (warned).
    """
    observations = pd.Index(obs.index.astype(str), dtype=object)
    rows = sheet.table.index
    missing = observations[~observations.isin(rows)]
    extra = rows[~rows.isin(observations)]
    if len(missing):
        unmatched = (
            f" and {counted(len(extra), 'row')} {'matches' if len(extra) == 1 else 'match'} "
            f"no observation (e.g. {_examples(extra)})"
            if len(extra)
            else ""
        )
        msg = (
            f"{sheet.name}: {len(missing)} of {len(observations)} observations have no row in "
            f"the sample sheet (e.g. {_examples(missing)}){unmatched}; {sheet.ids_in} must "
            f"hold the observation IDs{_id_hint(observations, sheet.table)}"
        )
        raise InputError(msg)
    if len(extra):
        logger.warning(
            "%s: %d rows of the sample sheet match no observation (e.g. %s); they are left out",
            sheet.name, len(extra), _examples(extra),
        )  # fmt: skip
    replaced = [str(column) for column in sheet.table.columns if column in obs.columns]
    if replaced:
        logger.warning(
            "%s: the sample sheet's columns replace the data's obs columns of the same name "
            "(%s)",
            sheet.name, ", ".join(map(repr, replaced)),
        )  # fmt: skip
    annotations = sheet.table.reindex(observations).set_axis(obs.index, axis=0)
    return obs.drop(columns=replaced).join(annotations)


def _id_hint(observations: pd.Index[str], table: pd.DataFrame) -> str:
    """Where the sheet's IDs are if not in its first column, or how they differ, for a message.

    A column of the sheet that holds every observation ID (GEO and SRA tables list titles,
    accessions and run IDs side by side) is named; else IDs that match but for letter case.
    """
    wanted = set(observations)
    for column in table.columns:
        if wanted <= set(table[column].astype(str).str.strip()):
            return f" (its column {str(column)!r} does: put that column first)"
    if set(observations.str.lower()) <= set(table.index.astype(str).str.lower()):
        return " (they match but for upper and lower case: write them as the data do)"
    return ""


def _ortholog_source(orthologs: str | Path | pd.DataFrame) -> pd.Series[str]:
    """The lookup of a user's ortholog table (a file or a DataFrame); see ortholog_lookup."""
    if isinstance(orthologs, pd.DataFrame):
        table, name = orthologs, "orthologs DataFrame"
    else:
        table, name = _read_delimited(Path(orthologs), "an ortholog table"), str(orthologs)
    with _prefixed(name):
        return ortholog_lookup(table)


# --------------------------------------------------------------------------- read


def read(
    path: str | Path,
    *,
    orientation: Orientation = "auto",
    species: SpeciesOption = "auto",
    gene_id: GeneIdOption = "auto",
    values: Values = "auto",
    backed: bool = False,
    genes: str | Path | None = None,
    cells: str | Path | None = None,
    obs: str | Path | pd.DataFrame | None = None,
    orthologs: str | Path | pd.DataFrame | None = None,
) -> AnnData:
    """Read expression data as observations × human gene symbols, log-normalised.

    Parameters
    ----------
    path
        One of: an ``.h5ad`` file; a 10x folder (``matrix.mtx``, ``features.tsv`` or
        ``genes.tsv``, and ``barcodes.tsv``, each optionally gzipped); a 10x CellRanger
        ``.h5`` file (v3 or v2 layout); a Matrix Market ``.mtx[.gz]`` file with gene and cell
        lists; or a dense ``.csv``/``.tsv``/``.txt`` table (optionally gzipped) whose first
        column holds row labels and whose header holds column labels. In a table, leading
        ``#`` lines without a separator (featureCounts' command line) are skipped; text
        columns between the row labels and the first numbers are further gene labels (gene
        names) or, with genes in the columns, ``obs`` columns; featureCounts' ``Chr``,
        ``Start``, ``End``, ``Strand``, ``Length`` columns and htseq-count's and STAR's
        counters of unassigned reads are left out; BAM paths as sample labels become the
        sample names in them.
    orientation
        Whether genes are the rows or the columns of a ``.mtx`` file or a table. ``"auto"``:
        for ``.mtx``, the axis as long as the gene list; for a table, the axis whose labels
        map to more gene identifiers. 10x inputs always have genes in rows and ``.h5ad`` in
        columns.
    species, gene_id
        The kind of gene identifier; ``"auto"`` guesses it (see
        :func:`senox.io.map_to_human`). ``species="rat"`` or ``"other"`` (also guessed from
        Ensembl IDs such as ``ENSRNOG…``) needs ``orthologs``. For 10x inputs, the ID and the
        name columns are both tried and the one giving more distinct human symbols is kept
        (the IDs on ties): so ``gene_id="symbol"`` reads the names, and IDs repeated under
        different names make the names win. Tables are read the same way with their columns
        of gene names, and labels joining an Ensembl ID and a name (``ENSG…|TP53``) are tried
        as both halves. Identifiers repeated in the kept column of a table or a 10x gene list
        are merged like genes that map to one symbol, with a warning; other inputs refuse
        them.
        With ``gene_id="auto"``, identifiers that mix Ensembl IDs and symbols are each mapped
        as what they are, with a warning that counts each kind.
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
        gzipped). ``.csv`` lists have a header row; others have none, except a cell list
        whose first field is empty or a usual column name (``barcode``, ``cell``,
        ``cell_id``, ``obs``, ...) or whose later rows all start with a 10x barcode and the
        first does not. The first column holds the identifiers; further columns of a cell list
        go to ``obs``, named by the header if there is one.
    obs
        A sample sheet: a ``.csv``/``.tsv``/``.txt`` file (optionally gzipped; tab, comma or
        semicolon, the one most frequent in the header) with a header row, the observation IDs
        in the first column and one annotation per further column; or a DataFrame indexed by
        observation ID. Its columns join ``obs`` under their own names, replacing columns of
        the same name, with a warning. A file's column is numeric when every row holds a
        number, else text. Every observation needs a row; rows that match no observation are
        left out with a warning; duplicate IDs are refused.
    orthologs
        A table of human orthologs for genes of a species senox ships none for (rat, any
        other): a file like ``obs`` or a DataFrame, read by :func:`senox.io.ortholog_lookup`
        (e.g. Ensembl BioMart's ``human_ensembl_gene``, ``rat_ensembl_gene``,
        ``homology_type``, ``confidence``). Every gene identifier is then mapped through it.

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
    - ``obs``: the input's observation metadata (``.h5ad`` obs, extra cell-list columns), and
      the sample sheet's columns;
    - ``uns["senox_io"]``: ``format``, ``path``, ``orientation``, ``species``, ``gene_id``,
      ``values``, ``n_genes_in``, ``n_genes_out``, ``n_mapped``, ``n_unmapped`` and
      ``n_aggregated`` (output genes that merge two or more inputs).

    Raises
    ------
    ~senox._errors.InputError
        For a missing, unknown, corrupt, empty or inconsistent input; empty or duplicate
        identifiers; negative, non-finite or non-real values; values that are all zero; a
        complex, pattern or symmetric Matrix Market matrix; a sample sheet that misses
        observations or repeats IDs; genes of a species without an ortholog table. The
        message is one line naming the file and the fix.
    """
    path = Path(path)
    fmt = _detect_format(path)
    sheet = None if obs is None else _sample_sheet(obs)
    lookup = None if orthologs is None else _ortholog_source(orthologs)
    if backed:
        if fmt != "h5ad":
            msg = f"{path}: --backed (backed=True) works only for .h5ad files; drop it"
            raise InputError(msg)
        return _read_backed(
            path, orientation=orientation, species=species, gene_id=gene_id, orthologs=lookup,
            sheet=sheet,
        )  # fmt: skip
    parsed = _parse(path, fmt, orientation, genes, cells, lookup)
    _check_not_empty(path, *parsed.matrix.shape)
    _check_labels(path, pd.Index(parsed.obs.index), "observation")
    _check_labels(
        path, parsed.gene_ids[0], "gene", unique=len(parsed.gene_ids) == 1 and fmt != "table"
    )
    obs_table = parsed.obs if sheet is None else _with_sample_sheet(parsed.obs, sheet)
    kind = _decide_values(path, parsed, values)
    found = _map_genes(path, parsed.gene_ids, species=species, gene_id=gene_id, orthologs=lookup)
    merged, var = _merge_genes(
        parsed.matrix, found.mapping, how="sum" if kind == "counts" else "mean"
    )
    if kind == "counts":
        x, layers = _normalise_counts(merged), {"counts": _float32(merged)}
    else:
        x, layers = (_log1p(merged) if kind == "linear" else merged), {}
    import anndata as ad  # slow to import: only when needed

    adata = ad.AnnData(X=_float32(x), obs=obs_table, var=var, layers=layers)
    adata.uns["senox_io"] = _summary(path, fmt, parsed.orientation, found, kind)
    return adata


def _parse(
    path: Path,
    fmt: str,
    orientation: Orientation,
    genes: str | Path | None,
    cells: str | Path | None,
    orthologs: pd.Series[str] | None,
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
    if fmt == "table":
        return _read_table(path, orientation, orthologs)
    readers = {"h5ad": _read_h5ad, "10x": _read_10x_dir, "10x_h5": _read_10x_h5}
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
    species: SpeciesOption,
    gene_id: GeneIdOption,
    orthologs: pd.Series[str] | None,
    sheet: _SampleSheet | None,
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
        if sheet is not None:
            adata.obs = _with_sample_sheet(adata.obs, sheet)
        found = _map_genes(
            path, (adata.var_names,), species=species, gene_id=gene_id, orthologs=orthologs
        )
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
