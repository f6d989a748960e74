"""``senox simulate`` and ``senox strategies`` end to end."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from senox.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_simulate_writes_trajectories_and_summary(tmp_path):
    out = tmp_path / "sim"
    result = invoke(
        "simulate", "--strategy", "chemo", "--strategy", "untreated", "--days", 200, "--out", out
    )
    assert result.exit_code == 0, result.output
    traj = pd.read_csv(out / "trajectories.tsv", sep="\t")
    assert list(traj.columns[:3]) == ["strategy", "patient", "time_days"]
    assert {"P", "S_i", "S_p", "E", "R", "G", "burden"} <= set(traj.columns)
    assert traj.time_days.max() == 200
    assert len(traj) == 2 * 201
    summary = pd.read_csv(out / "summary.tsv", sep="\t", keep_default_na=False)
    assert list(summary.columns) == [
        "strategy",
        "patient",
        "time_to_relapse_days",
        "min_burden",
        "escaped_fraction",
        "sasp_auc",
        "toxicity",
    ]
    assert "relapse" in result.output


def test_simulate_cohort_and_refusals(tmp_path):
    out = tmp_path / "sim"
    assert invoke("simulate", "--strategy", "chemo", "--cohort", 3, "--out", out).exit_code == 0
    summary = pd.read_csv(out / "summary.tsv", sep="\t")
    assert list(summary.patient) == [0, 1, 2]
    curve = pd.read_csv(out / "relapse_free.tsv", sep="\t")
    assert list(curve.columns) == ["strategy", "time_days", "relapse_free"]
    assert curve.relapse_free.between(0, 1).all()
    assert (curve.relapse_free.diff().dropna() <= 0).all()  # one strategy: never rises
    again = invoke("simulate", "--strategy", "chemo", "--out", out)
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_bad_strategy_file_fails_in_one_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[strategy]\nname = "x"\n[[doses]]\nagent = "doxorubicin"\nstart = -3\n')
    out = tmp_path / "sim"
    result = invoke("simulate", "--strategy", bad, "--out", out)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "doses[0]" in lines[0]
    assert "negative" in lines[0]
    assert not out.exists()


def test_strategies_list_and_show():
    listed = invoke("strategies", "list", "--format", "tsv")
    assert listed.exit_code == 0
    assert "chemo+senolytic" in listed.output
    shown = invoke("strategies", "show", "chemo+senolytic", "--format", "tsv")
    assert shown.exit_code == 0
    assert "navitoclax\tsenolytic\tsenolysis\tC_sl" in shown.output


def test_model_export_sbml_and_antimony(tmp_path):
    import libsbml

    sbml = tmp_path / "m.xml"
    result = invoke("model", "export", "redox_senescence", "--strategy", "chemo", "--out", sbml)
    assert result.exit_code == 0, result.output
    document = libsbml.readSBMLFromFile(str(sbml))
    assert document.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    assert document.getModel().getNumEvents() == 4
    text = tmp_path / "m.txt"
    assert (
        invoke(
            "model", "export", "redox_senescence", "--format", "antimony", "--out", text
        ).exit_code
        == 0
    )
    assert "P_growth" in text.read_text()


def test_a_malformed_scheduler_is_refused_before_simulating(tmp_path):
    result = invoke("simulate", "--scheduler", "not a url", "--out", tmp_path / "sim")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: --scheduler 'not a url': not a dask scheduler address; give tcp://HOST:PORT, "
        "HOST:PORT, tls://HOST:PORT, ucx://HOST:PORT or inproc://IP/PID/N"
    ]
    assert list(tmp_path.iterdir()) == []
