"""The evidence base on the command line: bad user databases, the shipped one, hostile text.

Issue 16 (items 5, 8, 12): every problem is one line ``error: ...`` on stderr with exit code 2,
never a traceback; user text never reaches the terminal as control characters or rich markup.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import tempfile
from importlib.resources import as_file
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from senox.cli import app
from senox.kb._store import SHIPPED_DB

#: Wide enough that no cell is folded; no colour forced on from outside.
runner = CliRunner(env={"COLUMNS": "250", "FORCE_COLOR": None, "TTY_COMPATIBLE": None})

#: What must never reach the terminal raw (tab and newline are the formats' own separators).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HEADER = "agent\tagent_class\ttarget\tmechanism\tpmid\tcitation\tnote\tsource\n"


def _records_file(folder: Path, *fields: str, agent: str = "APR-246") -> Path:
    """A user TSV of one record; ``fields`` are mechanism, citation, note and source."""
    mechanism, citation, note, source = fields
    path = folder / "mine.tsv"
    row = f"{agent}\tsenolytic\tBCL2\t{mechanism}\t12345678\t{citation}\t{note}\t{source}\n"
    path.write_text(HEADER + row, encoding="utf-8")
    return path


def _assert_one_line_error(result, *parts: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for part in parts:
        assert part in lines[0]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE moz_places (id INTEGER, url TEXT)")


def _truncated(path: Path) -> None:
    shutil.copyfile(_user_db_with_one_record(path.parent), path)
    path.write_bytes(path.read_bytes()[:5000])


def _user_db_with_one_record(folder: Path) -> Path:
    db = folder / "good.sqlite"
    result = runner.invoke(
        app,
        ["kb", "add", "--file", str(_records_file(folder, "ROS", "", "", "lab"))],
        env={"SENOX_USER_DB": str(db)},
    )
    assert result.exit_code == 0, result.output
    return db


DAMAGE = {
    "text file": (lambda p: p.write_text("my notes\n"), "is not a readable SQLite database"),
    "folder": (lambda p: p.mkdir(), "is a folder, not an SQLite file"),
    "truncated": (_truncated, "(database disk image is malformed)"),
    "other program's": (_foreign, "is not a senox user evidence base"),
}
COMMANDS = {
    "kb add": ["kb", "add", "--file", "{tsv}"],
    "kb show": ["kb", "show", "navitoclax"],
    "kb lint --file": ["kb", "lint", "--file", "{tsv}"],
    "kb info": ["kb", "info"],
    "kb agents": ["kb", "agents", "--target", "BCL2"],
    "kb search": ["kb", "search", "senolytic"],
    "strategies show": ["strategies", "show", "chemo+senolytic"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_user_db_is_one_line_naming_it_and_the_fix(tmp_path, user_db, damage, command):
    make, problem = DAMAGE[damage]
    make(user_db)
    tsv = _records_file(tmp_path, "ROS", "", "", "lab")
    args = [arg.format(tsv=tsv) for arg in COMMANDS[command]]
    _assert_one_line_error(
        runner.invoke(app, args),
        f"user evidence base {user_db} ",
        problem,
        "move it aside or point SENOX_USER_DB elsewhere; `senox kb add` then starts a new one",
    )


def test_senox_run_names_a_damaged_user_db(tmp_path, user_db):
    user_db.write_text("my notes\n")
    result = runner.invoke(app, ["run", "--out", str(tmp_path / "report"), "--cohort", "0"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()  # before any step: nothing read or scored
    assert line.startswith(f"error: user evidence base {user_db}")


@pytest.mark.parametrize("command", ["kb add", "kb show", "kb info", "kb search"])
def test_the_shipped_database_is_never_the_user_db(tmp_path, monkeypatch, command):
    with as_file(SHIPPED_DB) as shipped:
        before = _sha(shipped)
        monkeypatch.setenv("SENOX_USER_DB", str(shipped))
        tsv = _records_file(tmp_path, "ROS", "", "", "lab")
        result = runner.invoke(app, [arg.format(tsv=tsv) for arg in COMMANDS[command]])
        _assert_one_line_error(
            result,
            f"error: SENOX_USER_DB={shipped} is senox's shipped evidence base, which is read-only;"
            " point SENOX_USER_DB at a file of your own, or unset it",
        )
        assert _sha(shipped) == before
    assert runner.invoke(app, ["kb", "lint"]).stdout.startswith("ok: ")


BAD_INPUTS = {
    "add, folder": (["kb", "add", "--file", "{tmp}"], "{tmp}: cannot be read (Is a directory)"),
    "add, UTF-16": (["kb", "add", "--file", "{utf16}"], "{utf16}: holds NUL bytes"),
    "lint, missing file": (["kb", "lint", "--file", "{tmp}/no.tsv"], "no.tsv: file not found"),
    "lint, missing seed": (
        ["kb", "lint", "--seed", "{tmp}/no.txt"],
        "--seed {tmp}/no.txt: cannot be read (No such file or directory)",
    ),
    "lint, folder as seed": (["kb", "lint", "--seed", "{tmp}"], "cannot be read (Is a directory)"),
    "lint, other text as seed": (["kb", "lint", "--seed", "{utf8}"], "has no Table 1"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_files_are_one_line_naming_them(tmp_path, user_db, case):
    paths = {"tmp": tmp_path, "utf16": tmp_path / "utf16.tsv", "utf8": tmp_path / "notes.txt"}
    paths["utf16"].write_text("agent\tagent_class\tsource\nX\tsenolytic\tlab\n", "utf-16")
    paths["utf8"].write_text("my notes\n")
    args, expected = BAD_INPUTS[case]
    _assert_one_line_error(
        runner.invoke(app, [arg.format(**paths) for arg in args]), expected.format(**paths)
    )
    assert not user_db.exists()


HOSTILE = {
    "mechanism": "red \x1b[31mALERT\x1b[0m",
    "citation": "title \x1b]0;pwned\x07 and CSI \x9b2J",
    "note": "[bold red]markup[/] and \u202eright-to-left",
    "source": "nul \x01 del \x7f [/]",
}


def test_control_characters_and_markup_in_user_records_are_shown_not_obeyed(tmp_path):
    tsv = _records_file(tmp_path, *HOSTILE.values(), agent="evil[/]\x1b[2Jagent")
    assert runner.invoke(app, ["kb", "add", "--file", str(tsv)]).exit_code == 0
    shown = {
        fmt: runner.invoke(app, ["kb", "show", "evil[/]\x1b[2Jagent", "--format", fmt])
        for fmt in ("table", "tsv", "json")
    }
    listed = runner.invoke(app, ["kb", "agents", "--target", "BCL2"])
    for result in (*shown.values(), listed):
        assert result.exit_code == 0, result.output
        assert not RAW_CONTROL.search(result.output)
    assert r"red \x1b[31mALERT\x1b[0m" in shown["table"].stdout
    assert r"[bold red]markup[/] and \u202eright-to-left" in shown["table"].stdout
    assert r"evil[/]\x1b[2Jagent" in shown["table"].stdout
    assert r"title \x1b]0;pwned\x07 and CSI \x9b2J" in shown["tsv"].stdout
    record = json.loads(shown["json"].stdout)["records"][0]
    assert {field: record[field] for field in HOSTILE} == {
        **HOSTILE,
        "source": f"user: {HOSTILE['source']}",
    }
    assert r"evil[/]\x1b[2Jagent" in listed.stdout


def test_lint_of_a_user_file_shows_control_characters_escaped(tmp_path):
    tsv = tmp_path / "mine.tsv"
    tsv.write_text("agent\tagent_class\ttarget\tsource\nX\tsenolytic\tBC\x1b[2JL2\tlab\n")
    result = runner.invoke(app, ["kb", "lint", "--file", str(tsv)])
    assert result.exit_code == 2
    assert not RAW_CONTROL.search(result.output)
    assert r"field 'target': 'BC\x1b[2JL2' is not an approved HGNC symbol" in result.stderr


#: Any text a TSV cell can hold (no tab, newline or carriage return), control characters often.
CELL = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\t\n\r")
    | st.sampled_from("\x00\x07\x1b\x7f\x85\x9b\u202e;[]/\\"),
    max_size=30,
)


@settings(
    max_examples=25,
    deadline=None,
    # Each example gets its own user database through the environment given to the runner.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(fields=st.tuples(CELL, CELL, CELL, CELL))
def test_any_text_in_a_user_record_round_trips_and_never_reaches_the_terminal_raw(fields):
    with tempfile.TemporaryDirectory() as folder:
        env = {"SENOX_USER_DB": str(Path(folder) / "user.sqlite")}
        added = runner.invoke(
            app, ["kb", "add", "--file", str(_records_file(Path(folder), *fields))], env=env
        )
        assert added.exit_code in (0, 2), added.output
        assert not RAW_CONTROL.search(added.output)
        if added.exit_code == 2:
            _assert_one_line_error(added)
            return
        for fmt in ("table", "tsv"):
            shown = runner.invoke(app, ["kb", "show", "APR-246", "--format", fmt], env=env)
            assert shown.exit_code == 0, shown.output
            assert not RAW_CONTROL.search(shown.output)
        shown = runner.invoke(app, ["kb", "show", "APR-246", "--format", "json"], env=env)
        assert not RAW_CONTROL.search(shown.output)
        record = json.loads(shown.stdout)["records"][0]
        mechanism, citation, note, _ = fields
        assert [record["mechanism"], record["citation"], record["note"]] == [
            mechanism,
            citation,
            note,
        ]
