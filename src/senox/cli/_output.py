"""Printing data frames as a table, TSV or JSON."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd


class Format(StrEnum):
    """Output formats of listing commands."""

    table = "table"
    tsv = "tsv"
    json = "json"


def emit(frame: pd.DataFrame, fmt: Format, *, table_columns: Sequence[str] | None = None) -> None:
    """Print ``frame``: all columns as TSV/JSON, or ``table_columns`` as a readable table."""
    if fmt is Format.tsv:
        frame.to_csv(sys.stdout, sep="\t", index=False)
    elif fmt is Format.json:
        sys.stdout.write(
            json.dumps(frame.to_dict(orient="records"), ensure_ascii=False, indent=1) + "\n"
        )
    else:
        print_table(frame[list(table_columns)] if table_columns else frame)


#: Columns whose values all fit in this many characters are never wrapped.
_SHORT = 12


def print_table(frame: pd.DataFrame, *, title: str | None = None) -> None:
    """Print a data frame as a rich table, with a row count."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in frame.columns:
        longest = int(frame[column].astype(str).str.len().max()) if len(frame) else 0
        table.add_column(str(column), overflow="fold", no_wrap=longest <= _SHORT)
    for row in frame.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    console = Console()
    console.print(table)
    console.print(f"{len(frame)} row(s)", style="dim")
