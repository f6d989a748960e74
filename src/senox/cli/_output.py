"""Printing data frames as a table, TSV or JSON, never passing control characters through.

Text from user records can hold terminal escape codes (``ESC [ 31 m``, ``ESC ] 0 ; title BEL``)
and bidirectional overrides. Every printing path shows them as escapes instead (:func:`visible`),
and rich tables print cells literally, never as markup.
"""

from __future__ import annotations

import json
import re
import sys
from enum import StrEnum
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd


class Format(StrEnum):
    """Output formats of listing commands."""

    table = "table"
    tsv = "tsv"
    json = "json"


#: DEL, C1 control characters and Unicode's bidirectional embeddings and overrides, which
#: ``json.dumps`` leaves as they are (it escapes the C0 ones itself).
_RAW_IN_JSON = "\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x1f{_RAW_IN_JSON}]")


def visible(text: object) -> str:
    r"""``text`` with each control character written as an escape: ESC becomes ``\x1b``."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), str(text))


def safe_markup(text: object) -> str:
    """``text`` to embed in rich markup: control characters visible, brackets printed as is."""
    return escape(visible(text))


def echo_warnings(warnings: Sequence[str]) -> None:
    """Each warning on standard error, as one ``warning: …`` line (control characters shown)."""
    for warning in warnings:
        print(f"warning: {visible(warning)}", file=sys.stderr)


def print_json(data: object) -> None:
    r"""Print ``data`` as JSON, control characters as ``\u`` escapes (the same data, valid JSON)."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    sys.stdout.write(re.sub(f"[{_RAW_IN_JSON}]", lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def emit(frame: pd.DataFrame, fmt: Format, *, table_columns: Sequence[str] | None = None) -> None:
    """Print ``frame``: all columns as TSV/JSON, or ``table_columns`` as a readable table."""
    if fmt is Format.tsv:
        shown = frame.map(lambda value: visible(value) if isinstance(value, str) else value)
        shown.to_csv(sys.stdout, sep="\t", index=False)
    elif fmt is Format.json:
        print_json(frame.to_dict(orient="records"))
    else:
        print_table(frame[list(table_columns)] if table_columns else frame)


#: Columns whose values all fit in this many characters are never wrapped.
_SHORT = 12


def print_table(frame: pd.DataFrame, *, title: str | None = None) -> None:
    """Print a data frame as a rich table, with a row count."""
    cells = frame.astype(str).map(visible)
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in cells.columns:
        longest = int(cells[column].str.len().max()) if len(cells) else 0
        table.add_column(str(column), overflow="fold", no_wrap=longest <= _SHORT)
    for row in cells.itertuples(index=False):
        table.add_row(*(Text(value) for value in row))
    console = Console()
    console.print(table)
    console.print(f"{len(frame)} row(s)", style="dim")
