"""Read the seed review's tables and sections, so that curated rows can be traced back to it.

The seed (``shared/seed/000_923e3db2d7f368f8.txt``) is plain text: each table starts with a line
``TABLE n | caption<TAB>header...`` and has one tab-led line per row; a cell broken over two lines
(the two PMIDs of PX-12) continues on a line that does not start with a tab. Sections start with
their number (``4.1.3 Senolytics ...``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_TABLE_HEAD = re.compile(r"^TABLE (\d+) \|")
_SECTION_HEAD = re.compile(r"^(\d+(?:\.\d+)*) [A-Z]")


@dataclass(frozen=True)
class SeedTable:
    """One table of the seed: its number, column names and rows of raw cells."""

    number: int
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def squash(text: str) -> str:
    """Collapse runs of whitespace to one space, so text broken over lines compares equal."""
    return " ".join(text.split())


def parse_tables(text: str) -> dict[int, SeedTable]:
    """Return the seed's tables keyed by number, each row as its raw cells (whitespace squashed)."""
    tables: dict[int, SeedTable] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        match = _TABLE_HEAD.match(lines[i])
        if not match:
            i += 1
            continue
        columns = tuple(squash(c) for c in lines[i].split("\t")[1:])
        rows: list[list[str]] = []
        i += 1
        while i < len(lines) and lines[i].strip():
            line = lines[i]
            if line.startswith("\t"):
                rows.append(line.split("\t")[1:])
            elif rows:
                head, *rest = line.split("\t")
                rows[-1][-1] = f"{rows[-1][-1]} {head}"
                rows[-1].extend(rest)
            i += 1
        number = int(match.group(1))
        tables[number] = SeedTable(
            number, columns, tuple(tuple(squash(c) for c in r) for r in rows)
        )
    return tables


def parse_sections(text: str) -> dict[str, str]:
    """Return the text of each numbered section (heading line excluded), whitespace squashed.

    A section's text runs to the next heading of any level, so ``4.2.2`` holds only its
    introduction and ``4.2.2.1`` its own paragraphs.
    """
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.split("\n"):
        match = _SECTION_HEAD.match(line)
        if match and len(line) < 200:
            current = match.group(1)
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return {number: squash(" ".join(body)) for number, body in sections.items()}


def read_seed(path: Path) -> tuple[dict[int, SeedTable], dict[str, str]]:
    """Read a seed file and return its tables and sections."""
    text = Path(path).read_text(encoding="utf-8")
    return parse_tables(text), parse_sections(text)
