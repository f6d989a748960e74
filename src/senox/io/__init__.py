"""Reading inputs, resolving gene identifiers and writing outputs atomically."""

from __future__ import annotations

from senox.io._atomic import atomic_dir, atomic_write_text
from senox.io._genes import approved_symbols, hgnc_table, resolve_symbol

__all__ = ["approved_symbols", "atomic_dir", "atomic_write_text", "hgnc_table", "resolve_symbol"]
