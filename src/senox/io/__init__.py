"""Reading inputs, resolving gene identifiers and writing outputs atomically."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from senox.io._genes import approved_symbols, hgnc_table, mouse_ortholog_table, resolve_symbol
from senox.io._mapping import guess_gene_id, guess_species, map_to_human, ortholog_lookup
from senox.io._output import (
    MANIFEST,
    OutputError,
    atomic_write_text,
    check_outputs,
    output_folder,
    write_outputs,
    write_text_outputs,
)
from senox.io._read import read

if TYPE_CHECKING:
    from senox.io._tsv import tsv_text


def __getattr__(name: str) -> Any:
    """``tsv_text`` on first use: it brings numba, which most commands never need."""
    if name == "tsv_text":
        from senox.io._tsv import tsv_text

        return tsv_text
    msg = f"module 'senox.io' has no attribute '{name}'"
    raise AttributeError(msg)


__all__ = [
    "MANIFEST",
    "OutputError",
    "approved_symbols",
    "atomic_write_text",
    "check_outputs",
    "guess_gene_id",
    "guess_species",
    "hgnc_table",
    "map_to_human",
    "mouse_ortholog_table",
    "ortholog_lookup",
    "output_folder",
    "read",
    "resolve_symbol",
    "tsv_text",
    "write_outputs",
    "write_text_outputs",
]
