"""The embedded SQLite database: writing a compiled evidence base, reading it back.

The shipped database (``senox/kb/data/senox_kb.sqlite``) is opened read-only. Users' additions go
to a separate database with the same ``agents``/``records`` tables (see :mod:`senox.kb._user`).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from contextlib import closing, contextmanager
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from senox import __version__
from senox.kb import _columns as C
from senox.kb._evidence import CURATED_FILES, Evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

SHIPPED_DB = files("senox.kb") / "data" / "senox_kb.sqlite"
SCHEMA_VERSION = "1"

#: Curated tables stored verbatim beside the compiled ones (``agents`` is stored compiled).
_STORED_CURATED = tuple(name for name in CURATED_FILES if name != "agents")


def curated_digest(curated: dict[str, pd.DataFrame]) -> str:
    """A digest of the curated tables' content, stored in the database to detect staleness."""
    digest = hashlib.sha256()
    for name in CURATED_FILES:
        digest.update(name.encode())
        digest.update(curated[name].to_csv(sep="\t", index=False).encode())
    return digest.hexdigest()


def search_rows(
    agents: pd.DataFrame, records: pd.DataFrame, sasp: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Text to index for full-text search: one row per (agent, field, text, source)."""
    names = agents[C.AGENT] + " " + agents[C.SYNONYMS]
    parts = [
        agents.assign(field="names", text=names, source="agent list"),
        agents.assign(field="correction", text=agents[C.CORRECTION], source="agent list"),
    ]
    for field in (C.MECHANISM, C.NOTE, C.CITATION, C.CANCER_RAW, C.CANCER, C.TARGET, C.CELL_DEATH):
        parts.append(records.assign(field=field, text=records[field]))
    if sasp is not None:
        for field in (C.FACTOR, C.ROLE, C.SASP_RAW, C.SENESCENT_CELLS):
            parts.append(sasp.assign(field=f"sasp {field}", text=sasp[field]))
    rows = pd.concat([p[[C.AGENT, "field", "text", C.SOURCE]] for p in parts], ignore_index=True)
    return rows[rows["text"].str.strip() != ""].drop_duplicates()


def user_db_path() -> Path:
    """Where user additions are stored: ``$SENOX_USER_DB`` or the XDG data folder."""
    if env := os.environ.get("SENOX_USER_DB"):
        return Path(env)
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "senox" / "user_kb.sqlite"


def write_tables(conn: sqlite3.Connection, tables: dict[str, pd.DataFrame]) -> None:
    """Write data frames as plain tables (replacing any of the same name)."""
    for name, frame in tables.items():
        frame.to_sql(name, conn, index=False, if_exists="replace")


def write_search_index(conn: sqlite3.Connection, rows: pd.DataFrame) -> None:
    """(Re)create the FTS5 table ``search`` and fill it with ``rows``."""
    conn.execute("DROP TABLE IF EXISTS search")
    conn.execute(
        "CREATE VIRTUAL TABLE search USING fts5(agent, field, text, source,"
        " tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.executemany(
        "INSERT INTO search (agent, field, text, source) VALUES (?, ?, ?, ?)",
        rows[[C.AGENT, "field", "text", C.SOURCE]].itertuples(index=False, name=None),
    )


def write_database(evidence: Evidence, path: Path) -> Path:
    """Write the compiled evidence base to a new SQLite file at ``path`` (atomically)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    with closing(sqlite3.connect(tmp)) as conn, conn:
        tables = {"agents": evidence.agents, "records": evidence.records, "sasp": evidence.sasp}
        tables.update({name: evidence.curated[name] for name in _STORED_CURATED})
        write_tables(conn, tables)
        meta = {
            "schema_version": SCHEMA_VERSION,
            "built_with": f"senox {__version__}",
            "curated_digest": curated_digest(evidence.curated),
        }
        write_tables(
            conn, {"meta": pd.DataFrame({"key": list(meta), "value": list(meta.values())})}
        )
        write_search_index(conn, search_rows(evidence.agents, evidence.records, evidence.sasp))
    tmp.replace(path)
    return path


@contextmanager
def connect_shipped() -> Iterator[sqlite3.Connection]:
    """Open the shipped database read-only."""
    with as_file(SHIPPED_DB) as path, closing(connect_readonly(path)) as conn:
        yield conn


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Open an SQLite file read-only (the file is never modified)."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


def read_table(conn: sqlite3.Connection, name: str) -> pd.DataFrame:
    """Read a whole table as strings."""
    return pd.read_sql_query(f'SELECT * FROM "{name}"', conn, dtype=str).fillna("")


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    """The ``meta`` key/value table."""
    meta = read_table(conn, "meta")
    return dict(zip(meta["key"], meta["value"], strict=True))


def read_evidence(conn: sqlite3.Connection) -> Evidence:
    """Read a compiled evidence base back from a database written by :func:`write_database`."""
    curated = {name: read_table(conn, name) for name in _STORED_CURATED}
    agents = read_table(conn, "agents")
    curated["agents"] = agents.drop(columns=[C.AGENT_CLASS])
    return Evidence(agents, read_table(conn, "records"), read_table(conn, "sasp"), curated)
