"""Issue 16's data-loss cases, end to end: senox never deletes or overwrites what it did not
write, and a failed or killed call leaves no partial output."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senox.cli import app
from senox.io import MANIFEST
from tests._cli import refused

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text() if p.is_file() else "/"
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def users_folder(tmp_path, monkeypatch):
    """A working folder holding a user's files, made the current folder."""
    (tmp_path / "notes.txt").write_text("my notes")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "thesis.txt").write_text("four years")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    genes = ["CDKN1A", "CDKN2A", "IL6", "CXCL8", "MKI67", "TOP2A", "NFE2L2", "GPX4", "LMNB1"]
    frame = pd.DataFrame(
        rng.poisson(20, size=(len(genes), 6)), index=genes, columns=[f"s{i}" for i in range(6)]
    )
    path = tmp_path / "data.csv"
    frame.rename_axis("gene").to_csv(path)
    return path


@pytest.mark.parametrize("command", ["simulate", "run"])
def test_the_current_folder_is_refused_with_force(users_folder, command):
    before = _tree(users_folder)
    extra = ["--strategy", "chemo"] if command == "simulate" else []
    refused(invoke(command, *extra, "--out", ".", "--force"), "is the current folder or holds it")
    assert _tree(users_folder) == before


@pytest.mark.parametrize("command", ["simulate", "run"])
def test_force_never_deletes_a_users_file_in_the_output_folder(tmp_path, command):
    out = tmp_path / "results"
    out.mkdir()
    (out / "thesis.txt").write_text("four years")
    extra = ["--strategy", "untreated", "--days", "10"] if command == "simulate" else []
    refused(invoke(command, *extra, "--out", out, "--force"), "thesis.txt", "did not write")
    assert _tree(out) == {"thesis.txt": "four years"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_a_folder_simulate_wrote_is_replaced_with_force(tmp_path):
    out = tmp_path / "sim"
    for force in ([], ["--force"]):
        result = invoke("simulate", "--strategy", "untreated", "--days", "10", "--out", out, *force)
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        MANIFEST, "relapse_free.tsv", "summary.tsv", "trajectories.tsv"
    ]  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim"]


def test_run_refuses_its_own_input_folder(tmp_path):
    data = tmp_path / "my10x"
    data.mkdir()
    (data / "matrix.mtx").write_text("%%MatrixMarket matrix coordinate integer general\n")
    before = _tree(data)
    refused(invoke("run", data, "--out", data, "--force"), "is the input")
    refused(invoke("run", data, "--out", tmp_path, "--force"), "holds the input")
    assert _tree(data) == before


@pytest.mark.parametrize("command", ["score", "states"])
def test_an_output_equal_to_the_input_is_refused(table, command):
    before = table.read_text()
    refused(invoke(command, table, "--out", table, "--force"), "is the input")
    assert table.read_text() == before


@pytest.mark.parametrize("kind", ["directory", "file", "symlink"])
def test_an_existing_path_of_any_kind_is_refused_without_leftovers(tmp_path, kind):
    out = tmp_path / "out"
    if kind == "directory":
        out.mkdir()
        (out / "keep.txt").write_text("keep")
    elif kind == "file":
        out.write_text("keep")
    else:
        (tmp_path / "real").mkdir()
        out.symlink_to(tmp_path / "real")
    before = _tree(tmp_path)
    result = invoke("simulate", "--strategy", "untreated", "--days", "10", "--out", out, "--force")
    refused(result)
    assert _tree(tmp_path) == before


def test_a_full_disk_leaves_neither_the_tsv_nor_the_h5ad(table, tmp_path, monkeypatch):
    def no_space(self: object, path: object, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(ad.AnnData, "write_h5ad", no_space)
    out, h5ad = tmp_path / "s.tsv", tmp_path / "s.h5ad"
    result = invoke("score", table, "--out", out, "--h5ad", h5ad)
    refused(result, "s.h5ad: could not write (No space left on device)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


_SELF_TERMINATING = """
import os, signal, sys
from pathlib import Path
from senox.cli import exit_cleanly_on_signals
from senox.io import output_folder
exit_cleanly_on_signals()
with output_folder(Path(sys.argv[1])) as staged:
    (staged / "report.html").write_text("half a report")
    os.kill(os.getpid(), signal.SIGTERM)
    signal.pause()
"""


def test_sigterm_removes_the_staged_outputs(tmp_path):
    out = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-c", _SELF_TERMINATING, str(out)], timeout=60, check=False
    )
    assert proc.returncode == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def test_a_killed_runs_staging_is_cleaned_by_the_next_run(tmp_path):
    script = _SELF_TERMINATING.replace("signal.SIGTERM", "signal.SIGKILL")
    out = tmp_path / "sim"
    proc = subprocess.run([sys.executable, "-c", script, str(out)], timeout=60, check=False)
    assert proc.returncode == -signal.SIGKILL
    assert [p.name.startswith(".sim.senox-") for p in tmp_path.iterdir()] == [True]
    result = invoke("simulate", "--strategy", "untreated", "--days", "10", "--out", out)
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["sim"]
