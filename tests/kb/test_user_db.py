"""The user database: concurrent additions all kept, the shipped one never written, damage named."""

from __future__ import annotations

import hashlib
import multiprocessing
import shutil
import sqlite3
from importlib.resources import as_file

import pandas as pd
import pytest

from senox import kb
from senox._errors import EvidenceDataError
from senox.kb import _columns as C
from senox.kb import _store
from senox.kb._store import SHIPPED_DB, connect_shipped, search_rows, write_search_index

HEADER = "agent\tagent_class\ttarget\tpmid\tsource\n"
RECOVER = "move it aside or point SENOX_USER_DB elsewhere"


def _records_file(path, agent, pmids):
    rows = "".join(f"{agent}\tsenolytic\tBCL2\t{pmid}\tlab\n" for pmid in pmids)
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _add_after(barrier, path):
    barrier.wait()
    kb.add(path)


def test_concurrent_adds_keep_every_record(tmp_path, user_db):
    fork = multiprocessing.get_context("fork")
    expected = set()
    for trial in range(3):
        files = [
            _records_file(tmp_path / f"{trial}-{i}.tsv", f"agent-{trial}-{i}", [trial * 10 + i + 1])
            for i in range(4)
        ]
        expected |= {f"agent-{trial}-{i}" for i in range(4)}
        barrier = fork.Barrier(len(files))
        workers = [fork.Process(target=_add_after, args=(barrier, f)) for f in files]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert [w.exitcode for w in workers] == [0] * len(files)
        found = kb.agents(target="BCL2")[C.AGENT]
        assert sorted(found[found.str.startswith("agent-")]) == sorted(expected)


def test_the_shipped_database_is_opened_read_only():
    with connect_shipped() as conn, pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM meta")


def test_user_db_naming_the_shipped_database_is_refused(tmp_path, monkeypatch):
    with as_file(SHIPPED_DB) as shipped:
        before = _sha(shipped)
        link = tmp_path / "link.sqlite"
        link.symlink_to(shipped)
        for alias in (shipped, link):
            monkeypatch.setenv("SENOX_USER_DB", str(alias))
            with pytest.raises(
                EvidenceDataError, match="shipped evidence base, which is read-only"
            ):
                kb.add(_records_file(tmp_path / "mine.tsv", "APR-246", [12345678]))
            with pytest.raises(EvidenceDataError, match="SENOX_USER_DB="):
                kb.agents()
        assert _sha(shipped) == before


def _truncated(path):
    kb.add(_records_file(path.parent / "ok.tsv", "APR-246", [12345678]))
    whole = path.read_bytes()
    path.unlink()
    path.write_bytes(whole[:5000])


def _foreign(path):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE moz_places (id INTEGER, url TEXT)")


def _shipped_copy(path):
    with as_file(SHIPPED_DB) as shipped:
        shutil.copyfile(shipped, path)


DAMAGE = {
    "text": (lambda p: p.write_text("my notes\n"), "is not a readable SQLite database"),
    "folder": (lambda p: p.mkdir(), "is a folder, not an SQLite file"),
    "truncated": (_truncated, "database disk image is malformed"),
    "foreign": (_foreign, "is not a senox user evidence base (no senox 'agents' table)"),
    "shipped-copy": (_shipped_copy, "is a copy of senox's shipped evidence base"),
}
USES = {
    "add": lambda tmp: kb.add(_records_file(tmp / "new.tsv", "BMT-LA2", [87654321])),
    "agents": lambda tmp: kb.agents(target="BCL2"),
    "show": lambda tmp: kb.show("navitoclax"),
    "search": lambda tmp: kb.search("senolytic"),
    "info": lambda tmp: kb.info(),
    "check_user_file": lambda tmp: kb.check_user_file(
        _records_file(tmp / "new.tsv", "BMT-LA2", [87654321]), kb.load_evidence()
    ),
}


@pytest.mark.parametrize("use", USES)
@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_user_db_is_a_one_line_error_and_stays_as_it_was(tmp_path, user_db, damage, use):
    make, problem = DAMAGE[damage]
    make(user_db)
    before = None if user_db.is_dir() else _sha(user_db)
    with pytest.raises(EvidenceDataError) as info:
        USES[use](tmp_path)
    message = str(info.value)
    assert message.startswith(f"user evidence base {user_db} ")
    assert problem in message
    assert RECOVER in message
    assert "\n" not in message
    assert (None if user_db.is_dir() else _sha(user_db)) == before


def test_an_empty_file_is_an_empty_user_db(tmp_path, user_db):
    user_db.write_bytes(b"")
    assert kb.agents(agent="navitoclax").shape[0] > 0
    assert kb.add(_records_file(tmp_path / "mine.tsv", "APR-246", [12345678])) == 1
    assert kb.agents(agent="APR-246")[C.PMID].tolist() == ["12345678"]


def test_a_locked_user_db_is_waited_for_then_named(tmp_path, user_db, monkeypatch):
    kb.add(_records_file(tmp_path / "first.tsv", "APR-246", [12345678]))
    monkeypatch.setattr(_store, "BUSY_TIMEOUT_S", 0.2)
    with sqlite3.connect(user_db, isolation_level=None) as other:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(EvidenceDataError, match="still locked by another senox command"):
            kb.add(_records_file(tmp_path / "second.tsv", "APR-246", [23456789]))
        other.execute("ROLLBACK")
    assert kb.add(_records_file(tmp_path / "second.tsv", "APR-246", [23456789])) == 1


def test_adding_the_same_file_twice_adds_it_once(tmp_path):
    path = _records_file(tmp_path / "mine.tsv", "APR-246", [12345678, 23456789])
    assert kb.add(path) == 2
    with pytest.raises(EvidenceDataError, match="repeats a record already in the evidence base"):
        kb.add(path)
    assert len(kb.agents(agent="APR-246")) == 2


def test_a_user_db_written_by_earlier_senox_still_works(tmp_path, user_db):
    """senox 0.1.0 wrote the user tables with pandas ``to_sql``; they are read and added to."""
    old = kb.check_user_file(
        _records_file(tmp_path / "old.tsv", "APR-246", [1]), kb.load_evidence()
    )
    with sqlite3.connect(user_db) as conn:
        old[1].to_sql("agents", conn, index=False)
        old[0].to_sql("records", conn, index=False)
        write_search_index(conn, search_rows(old[1], old[0]))
    kb.add(_records_file(tmp_path / "new.tsv", "APR-246", [2]))
    assert kb.agents(agent="APR-246")[C.PMID].tolist() == ["1", "2"]


def test_lint_finds_a_shipped_database_that_was_written_to(tmp_path, monkeypatch):
    """What a user addition written into the shipped database did (audit, issue 16 item 5)."""
    changed = tmp_path / "senox_kb.sqlite"
    _shipped_copy(changed)
    with sqlite3.connect(changed) as conn:
        agents = pd.read_sql_query("SELECT * FROM agents", conn)
        extra = agents.iloc[[0]].assign(agent="APR-246", kind="user")
        pd.concat([agents, extra]).to_sql("agents", conn, index=False, if_exists="replace")
        records = pd.read_sql_query("SELECT * FROM records", conn)
        write_search_index(conn, search_rows(agents, records))
    monkeypatch.setattr(_store, "SHIPPED_DB", changed)
    report = kb.lint()
    assert [(i.where, i.field) for i in report.issues] == [("senox_kb.sqlite", "tables")]
    assert "reinstall senox" in report.issues[0].message
