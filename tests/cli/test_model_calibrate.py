"""``senox model export --format petab`` and ``senox model calibrate`` from the command line."""

from __future__ import annotations

import petab.v1 as petab
from typer.testing import CliRunner

from senox.cli import app
from tests._cli import refused
from tests.model.test_petab import synthetic_problem

runner = CliRunner()


def test_export_petab_writes_a_problem_that_lints(tmp_path):
    out = tmp_path / "problem"
    result = runner.invoke(
        app, ["model", "export", "redox_senescence", "--format", "petab", "--out", str(out),
              "--strategy", "chemo"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    problem = petab.Problem.from_yaml(out / "problem.yaml")
    assert not petab.lint_problem(problem)
    assert (out / ".senox-manifest.json").is_file()
    again = runner.invoke(
        app, ["model", "export", "redox_senescence", "--format", "petab", "--out", str(out)]
    )
    refused(again, "already exists", "--force")


def test_export_petab_refuses_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    result = runner.invoke(
        app, ["model", "export", "redox_senescence", "--format", "petab", "--out", str(tmp_path)]
    )
    refused(result, "senox did not write")
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_calibrate_writes_its_outputs(tmp_path):
    yaml_path = synthetic_problem(tmp_path / "problem", estimate={"r_P", "k_sen"})
    out = tmp_path / "fit"
    result = runner.invoke(
        app, ["model", "calibrate", str(yaml_path), "--out", str(out), "--starts", "2",
              "--seed", "1", "--profile", "r_P", "--profile-points", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "best NLL" in result.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "parameters.tsv",
        "profiles.png",
        "profiles.tsv",
        "simulation.tsv",
        "waterfall.png",
        "waterfall.tsv",
    ]
    fitted = petab.get_parameter_df(out / "parameters.tsv")
    assert abs(fitted.loc["r_P", "nominalValue"] / 0.05 - 1) < 0.05


def test_calibrate_refusals(tmp_path):
    refused(
        runner.invoke(app, ["model", "calibrate", str(tmp_path / "no.yaml"), "--out", "x"]),
        "no.yaml",
        "no such PEtab YAML file",
    )
    yaml_path = synthetic_problem(tmp_path / "problem", estimate={"r_P"})
    refused(
        runner.invoke(
            app,
            [
                "model",
                "calibrate",
                str(yaml_path),
                "--out",
                str(tmp_path / "fit"),
                "--profile",
                "K_cap",
            ],
        ),
        "--profile K_cap",
    )
    assert not (tmp_path / "fit").exists()
    refused(
        runner.invoke(
            app,
            [
                "model",
                "calibrate",
                str(yaml_path),
                "--out",
                str(tmp_path / "fit"),
                "--scheduler",
                "not an address",
            ],
        ),
        "--scheduler",
    )
    assert not (tmp_path / "fit").exists()
