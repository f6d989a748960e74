"""The embedded SQLite database: writing a compiled evidence base, reading it back.

The shipped database (``senox/kb/data/senox_kb.sqlite``) is only ever opened read-only, and is
never accepted as the user database. Users' additions go to a separate database with the same
``agents``/``records``/``search`` tables, one locked transaction at a time (see
:func:`writing_user_db`); a damaged or foreign user database is a one-line error naming it.
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
from senox._errors import EvidenceDataError
from senox.kb import _columns as C
from senox.kb._evidence import CURATED_FILES, Evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

SHIPPED_DB = files("senox.kb") / "data" / "senox_kb.sqlite"
SCHEMA_VERSION = "1"
#: Seconds a command waits for another one to finish writing the user database.
BUSY_TIMEOUT_S = 30.0
_CREATE_SEARCH = (
    "CREATE VIRTUAL TABLE search USING fts5(agent, field, text, source,"
    " tokenize = 'unicode61 remove_diacritics 2')"
)

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


def write_tables(conn: sqlite3.Connection, tables: dict[str, pd.DataFrame]) -> None:
    """Write data frames as plain tables (replacing any of the same name)."""
    for name, frame in tables.items():
        frame.to_sql(name, conn, index=False, if_exists="replace")


def write_search_index(conn: sqlite3.Connection, rows: pd.DataFrame) -> None:
    """(Re)create the FTS5 table ``search`` and fill it with ``rows``."""
    conn.execute("DROP TABLE IF EXISTS search")
    conn.execute(_CREATE_SEARCH)
    insert_search_rows(conn, rows)


def insert_rows(conn: sqlite3.Connection, table: str, frame: pd.DataFrame) -> None:
    """Append the rows of ``frame`` to ``table`` (same column names)."""
    columns = ", ".join(f'"{column}"' for column in frame.columns)
    marks = ", ".join("?" * len(frame.columns))
    conn.executemany(
        f'INSERT INTO "{table}" ({columns}) VALUES ({marks})',
        frame.itertuples(index=False, name=None),
    )


def insert_search_rows(conn: sqlite3.Connection, rows: pd.DataFrame) -> None:
    """Add ``rows`` (see :func:`search_rows`) to the full-text index."""
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
    """Open the shipped database read-only; a damaged one is a one-line error."""
    with as_file(SHIPPED_DB) as path:
        try:
            with closing(_connect(path, readonly=True)) as conn:
                yield conn
        except (sqlite3.Error, pd.errors.DatabaseError) as exc:
            reason = _cause(exc)
            msg = f"senox's shipped evidence base {path} cannot be read ({reason}); reinstall senox"
            raise EvidenceDataError(msg) from None


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """Open an SQLite file; ``readonly`` never modifies it. Transactions are explicit."""
    uri = f"{Path(path).resolve().as_uri()}?mode={'ro' if readonly else 'rwc'}"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)


def _cause(exc: Exception) -> BaseException:
    """SQLite's own error where pandas wrapped it in the SQL it ran."""
    return exc.__cause__ if isinstance(exc, pd.errors.DatabaseError) and exc.__cause__ else exc


def _is_shipped(path: Path) -> bool:
    """Whether ``path`` is the shipped database (through any link or spelling of its path)."""
    with as_file(SHIPPED_DB) as shipped:
        if path.exists() and shipped.exists():
            return path.samefile(shipped)
        return path.resolve() == Path(shipped).resolve()


def user_db_path() -> Path:
    """Where user additions are stored: ``$SENOX_USER_DB`` or the XDG data folder.

    ``$SENOX_USER_DB`` naming the shipped database is an error: that one is never written.
    """
    if env := os.environ.get("SENOX_USER_DB"):
        if _is_shipped(Path(env)):
            msg = (
                f"SENOX_USER_DB={env} is senox's shipped evidence base, which is read-only; "
                "point SENOX_USER_DB at a file of your own, or unset it"
            )
            raise EvidenceDataError(msg)
        return Path(env)
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "senox" / "user_kb.sqlite"


#: The tables of a user database, and the columns senox reads from them.
_USER_TABLES = {"agents": C.AGENT_COLS, "records": C.RECORD_COLS}
#: How to get a working user database back, for messages about a damaged one.
_RECOVER = "move it aside or point SENOX_USER_DB elsewhere; `senox kb add` then starts a new one"


def _damaged(path: Path, problem: str) -> EvidenceDataError:
    return EvidenceDataError(f"user evidence base {path} {problem}; {_RECOVER}")


@contextmanager
def _user_db_errors(path: Path) -> Iterator[None]:
    """Turn SQLite's errors on the user database into one line: the file, the problem, the fix."""
    if path.is_dir():
        raise _damaged(path, "is a folder, not an SQLite file")
    try:
        yield
    except (sqlite3.Error, pd.errors.DatabaseError) as exc:
        cause = _cause(exc)
        name = getattr(cause, "sqlite_errorname", "")
        if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
            raise _damaged(path, f"is not a readable SQLite database ({cause})") from None
        if name == "SQLITE_BUSY":
            msg = (
                f"user evidence base {path} is still locked by another senox command after "
                f"{BUSY_TIMEOUT_S:g} s; try again when it has finished"
            )
        else:
            msg = (
                f"user evidence base {path}: {cause}; check that the file and its folder are "
                "readable and writable and the disk has room, or point SENOX_USER_DB elsewhere"
            )
        raise EvidenceDataError(msg) from None


def _has_user_tables(conn: sqlite3.Connection, path: Path) -> bool:
    """Whether the database holds senox's user tables (``False``: it is empty); else an error."""
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        return False
    if "meta" in tables:
        raise _damaged(path, "is a copy of senox's shipped evidence base, not a user one")
    for table, columns in _USER_TABLES.items():
        found = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
        if not set(columns) <= found:
            raise _damaged(path, f"is not a senox user evidence base (no senox '{table}' table)")
    if "search" not in tables:
        raise _damaged(path, "is not a senox user evidence base (no 'search' table)")
    return True


@contextmanager
def reading_user_db(path: Path) -> Iterator[sqlite3.Connection | None]:
    """The user database, read-only and checked; ``None`` while it does not exist or is empty."""
    if not path.exists():
        yield None
        return
    with _user_db_errors(path), closing(_connect(path, readonly=True)) as conn:
        yield conn if _has_user_tables(conn, path) else None


@contextmanager
def writing_user_db(path: Path) -> Iterator[sqlite3.Connection]:
    """The user database (created if need be), locked for one transaction committed at the end.

    ``BEGIN IMMEDIATE`` takes the write lock before anything is read, so concurrent writers wait
    for each other (up to :data:`BUSY_TIMEOUT_S`) instead of overwriting each other's rows.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = (
            f"user evidence base {path}: cannot create its folder ({exc.strerror}); "
            "point SENOX_USER_DB at a file in a folder you can write"
        )
        raise EvidenceDataError(msg) from None
    with _user_db_errors(path), closing(_connect(path, readonly=False)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        if not _has_user_tables(conn, path):
            _create_user_tables(conn)
        yield conn
        conn.execute("COMMIT")  # on an error the connection closes and SQLite rolls back


def _create_user_tables(conn: sqlite3.Connection) -> None:
    for table, columns in _USER_TABLES.items():
        definition = ", ".join(f'"{column}" TEXT' for column in columns)
        conn.execute(f'CREATE TABLE "{table}" ({definition})')
    conn.execute(_CREATE_SEARCH)


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
