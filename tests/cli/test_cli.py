"""The command line, in process (typer's CliRunner) and once as a real process."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
from typer.testing import CliRunner

from senox import __version__
from senox.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_help_and_version():
    assert "kb" in invoke("--help").output
    assert invoke("--version").output.strip() == f"senox {__version__}"
    assert "agents" in invoke("kb", "--help").output


def test_agents_tsv_has_the_documented_columns():
    result = invoke("kb", "agents", "--target", "SLC7A11", "--format", "tsv")
    assert result.exit_code == 0
    table = pd.read_csv(io.StringIO(result.output), sep="\t", dtype=str)
    for column in (
        "agent",
        "agent_class",
        "target",
        "cancer",
        "cell_death",
        "stage",
        "pmid",
        "source",
    ):
        assert column in table.columns
    assert set(table["target"]) == {"SLC7A11"}
    assert "erastin" in set(table["agent"])


def test_json_output_parses():
    result = invoke("kb", "sasp", "--factor", "IL-8", "--format", "json")
    rows = json.loads(result.output)
    assert {row["factor"] for row in rows} == {"CXCL8"}


def test_show_accepts_a_seed_misspelling():
    result = invoke("kb", "show", "Docetaxle")
    assert result.exit_code == 0
    assert "docetaxel" in result.output


def test_errors_are_one_line_with_exit_code_2():
    result = invoke("kb", "show", "navitoclx")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: agent 'navitoclx' is not in the evidence base; did you mean 'navitoclax'?"
    ]
    assert "Traceback" not in result.output


def test_export_refuses_to_overwrite(tmp_path):
    out = tmp_path / "kb"
    assert invoke("kb", "export", "--out", str(out)).exit_code == 0
    again = invoke("kb", "export", "--out", str(out))
    assert again.exit_code == 2
    assert "--force" in again.output
    assert invoke("kb", "export", "--out", str(out), "--force").exit_code == 0


def test_lint_and_add(tmp_path):
    assert invoke("kb", "lint").exit_code == 0
    bad = tmp_path / "bad.tsv"
    bad.write_text("agent\tagent_class\ttarget\tsource\tpmid\nX\tsenolytic\tBCL2\tlab\tP1\n")
    result = invoke("kb", "add", "--file", str(bad))
    assert result.exit_code == 2
    assert "bad.tsv line 2, field 'pmid'" in result.output
    listed = invoke("kb", "lint", "--file", str(bad))
    assert listed.exit_code == 2


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "senox", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"senox {__version__}"
