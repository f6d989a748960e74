"""Property-based tests: whatever text or bytes a file holds, ``read`` returns or refuses.

A refusal is a one-line :class:`SenoxError` naming a file read; never another exception, and
never a crash of the process (scipy's Matrix Market reader crashed on some headers). The
generators start from valid files and spoil some of their parts, so both answers occur.
"""

from __future__ import annotations

import gzip
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from senox._errors import SenoxError
from senox.io import read

if TYPE_CHECKING:
    from collections.abc import Iterator

T = TypeVar("T")
#: Every property runs in well under 10 s.
FAST = settings(max_examples=150, deadline=None)


def mostly(good: st.SearchStrategy[T], bad: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``good`` about five times in six, ``bad`` otherwise."""
    return st.sampled_from([good] * 5 + [bad]).flatmap(lambda chosen: chosen)


#: Odd labels: blank, NA, repeated, quoted, with separators, BOM, unicode, anything.
ODD_LABELS = st.one_of(
    st.sampled_from(["", " ", "NA", "nan", "None", "TP53", "cell1", "é", "\ufeffTP53", '"TP53"',
                     "a,b", "a\tb", "a b"]),
    st.text(max_size=8),
)  # fmt: skip
#: Genes that map: human, outdated (IL8, merged with CXCL8), mouse, Ensembl with a version.
KNOWN_GENES = [
    "TP53", "CDKN1A", "MKI67", "IL6", "IL8", "CXCL8", "CDKN2A", "LMNB1", "NFE2L2", "GDF15",
    "SERPINE1", "HMOX1", "NQO1", "TXNRD1", "GCLM", "Cdkn2a", "Trp53", "ENSG00000141510.17",
]  # fmt: skip
#: Odd values: decimals, blanks, text, NaN, infinities, signs, booleans, unicode, anything.
ODD_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
    st.sampled_from(["", "0", "0.5", "NA", "nan", "inf", "-inf", "1e400", "-1", "True", "-0",
                     "1,5", "x", "½", " 3 "]),
    st.text(max_size=5),
)  # fmt: skip
VALUES = mostly(st.integers(0, 40).map(str), ODD_VALUES)
ORIENTATIONS = st.sampled_from(["auto", "genes_in_rows", "genes_in_columns"])
VALUE_KINDS = st.sampled_from(["auto", "counts", "linear", "log"])
#: File suffixes, and the separators senox takes each to have (``.txt``: sniffed).
SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": " ", ".csv.gz": ",", ".tsv.gz": "\t"}


@contextmanager
def folder() -> Iterator[Path]:
    """A fresh folder per example (hypothesis cannot reuse a function-scoped tmp_path)."""
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def read_or_refuse(path: Path, named: tuple[Path, ...] = (), **options: str) -> None:
    """Read; a result must be usable, a refusal one line naming ``path`` or one of ``named``."""
    try:
        adata = read(path, **options)  # type: ignore[arg-type]
    except SenoxError as error:
        message = str(error)
        assert "\n" not in message
        assert any(str(p) in message for p in (path, *named)), message
        return
    x = adata.X.toarray() if sparse.issparse(adata.X) else adata.X
    assert adata.n_obs > 0
    assert adata.n_vars > 0
    assert np.isfinite(x).all()
    assert x.any()


@st.composite
def labels(draw: st.DrawFn, known: list[str]) -> list[str]:
    """1-5 labels, mostly from ``known`` and distinct; at times odd or with one repeated."""
    found = draw(st.lists(mostly(st.sampled_from(known), ODD_LABELS), min_size=1, max_size=5))
    distinct = list(dict.fromkeys(found))
    return draw(mostly(st.just(distinct), st.just([*distinct, distinct[0]])))


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, str]:
    """(suffix, text): genes × cells or cells × genes, some labels, values or rows spoilt."""
    suffix = draw(st.sampled_from(list(SUFFIXES)))
    sep = draw(mostly(st.just(SUFFIXES[suffix]), st.sampled_from([",", "\t", ";", " "])))
    genes = draw(labels(KNOWN_GENES))
    cells = draw(labels(["c1", "c2", "c3", "s1", "AAACCTG-1"]))
    across, down = (genes, cells) if draw(st.booleans()) else (cells, genes)
    lines = [sep.join(([""] if draw(st.booleans()) else []) + across)]  # R omits the corner
    for label in down:
        width = max(0, len(across) + draw(mostly(st.just(0), st.sampled_from([1, -1]))))
        lines.append(sep.join([label, *draw(st.lists(VALUES, min_size=width, max_size=width))]))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))
    return suffix, draw(st.sampled_from(["", "\ufeff"])) + text


@FAST
@given(table=tables(), orientation=ORIENTATIONS, values=VALUE_KINDS)
def test_any_table_is_read_or_refused(table, orientation, values):
    suffix, text = table
    data = text.encode("utf-8")
    with folder() as tmp:
        path = tmp / f"table{suffix}"
        path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
        read_or_refuse(path, orientation=orientation, values=values)


def with_lists(tmp: Path) -> tuple[Path, Path]:
    """Write the 3 genes and 2 cells that every Matrix Market test file should describe."""
    genes, cells = tmp / "genes.tsv", tmp / "barcodes.tsv"
    genes.write_text("TP53\nMKI67\nIL6\n", encoding="utf-8")
    cells.write_text("c1\nc2\n", encoding="utf-8")
    return genes, cells


@FAST
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".tsv.gz", ".txt", ".mtx"]))
def test_any_bytes_are_read_or_refused(data, suffix):
    with folder() as tmp:
        path = tmp / f"random{suffix}"
        path.write_bytes(data)
        read_or_refuse(path, named=with_lists(tmp))


@st.composite
def matrix_market(draw: st.DrawFn) -> str:
    """Text for 3 genes × 2 cells, either way round; banner, sizes or entries spoilt at times."""
    layout = draw(mostly(st.sampled_from(["coordinate", "array"]), st.just("crd")))
    field = draw(
        mostly(st.sampled_from(["integer", "real"]), st.sampled_from(["complex", "pattern"]))
    )
    symmetry = draw(mostly(st.just("general"), st.sampled_from(["symmetric", "skew-symmetric"])))
    n_rows, n_columns = draw(st.sampled_from([(3, 2), (2, 3)]))
    size = st.sampled_from([0, 1, 3, 10**11])
    n_rows, n_columns = draw(mostly(st.just((n_rows, n_columns)), st.tuples(size, size)))
    value = mostly(st.integers(0, 9).map(str), ODD_VALUES)
    if layout == "array":
        n_entries = max(0, min(n_rows * n_columns, 6) + draw(mostly(st.just(0), st.just(-1))))
        entries = draw(st.lists(value, min_size=n_entries, max_size=n_entries))
        size_line = f"{n_rows} {n_columns}"
    else:
        row, column = st.integers(1, max(n_rows, 1)), st.integers(1, max(n_columns, 1))
        spoilt = st.integers(-1, 4).map(str)
        positions = st.tuples(mostly(row.map(str), spoilt), mostly(column.map(str), spoilt))
        entries = [
            f"{i} {j} {draw(value)}" for i, j in draw(st.lists(positions, min_size=1, max_size=4))
        ]
        n_entries = draw(mostly(st.just(len(entries)), st.sampled_from([0, 10**10])))
        size_line = f"{n_rows} {n_columns} {n_entries}"
    banner = draw(mostly(st.just("%%MatrixMarket matrix"), st.sampled_from(["", "%%Matrix"])))
    return "\n".join([f"{banner} {layout} {field} {symmetry}", size_line, *entries]) + "\n"


@FAST
@given(text=matrix_market(), gz=st.booleans(), orientation=ORIENTATIONS)
def test_any_matrix_market_text_is_read_or_refused(text, gz, orientation):
    data = text.encode("utf-8")
    with folder() as tmp:
        path = tmp / ("counts.mtx.gz" if gz else "counts.mtx")
        path.write_bytes(gzip.compress(data) if gz else data)
        read_or_refuse(path, named=with_lists(tmp), orientation=orientation)
