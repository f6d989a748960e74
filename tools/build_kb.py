"""Compile the curated TSV files into the shipped SQLite database.

Run ``make kb`` (or ``python tools/build_kb.py``) after editing anything under
``src/senox/kb/data/curated``; the test suite fails while the database is stale.
"""

from __future__ import annotations

from importlib.resources import as_file

from senox.kb._evidence import compile_evidence, read_curated
from senox.kb._store import SHIPPED_DB, write_database


def main() -> None:
    """Rebuild ``senox/kb/data/senox_kb.sqlite`` from the curated files."""
    evidence = compile_evidence(read_curated())
    with as_file(SHIPPED_DB) as path:
        write_database(evidence, path)
        print(f"wrote {path}: {len(evidence.records)} records, {len(evidence.sasp)} SASP rows")


if __name__ == "__main__":
    main()
