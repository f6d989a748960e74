"""Predicting a PEtab problem from fitted parameters: known answers on logistic growth, errors."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senox._errors import InputError
from senox.cli import app
from senox.model import predict, read_fitted, read_petab
from tests._cli import refused
from tests.model.test_petab import logistic_problem

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
TIMES = np.array([1.0, 2.0, 4.0, 8.0])


def logistic(r: float, times: np.ndarray, k: float = 10.0, n0: float = 1.0) -> np.ndarray:
    """The logistic solution N(t) from N(0) = n0."""
    return k / (1.0 + (k / n0 - 1.0) * np.exp(-r * times))


def problem_measuring(folder: Path, r_true: float) -> Path:
    """The logistic problem with exact measurements at growth rate ``r_true`` (nominal r 0.5)."""
    conditions = pd.DataFrame({"conditionId": ["arm"], "K": [10.0]})
    measurements = pd.DataFrame(
        {
            "observableId": "N_obs",
            "simulationConditionId": "arm",
            "time": TIMES,
            "measurement": logistic(r_true, TIMES),
        }
    )
    return logistic_problem(folder, conditions, measurements)


def fitted_table(path: Path, rows: dict[str, float]) -> Path:
    table = pd.DataFrame({"parameterId": list(rows), "nominalValue": list(rows.values())})
    table.to_csv(path, sep="\t", index=False)
    return path


def test_prediction_at_the_true_value_has_no_residual(tmp_path):
    problem = read_petab(problem_measuring(tmp_path / "p", r_true=0.8))
    fitted = read_fitted(fitted_table(tmp_path / "fit.tsv", {"r": 0.8, "unrelated": 3.0}))
    result = predict(problem, fitted)
    assert result.taken == ["r"]
    assert np.allclose(result.residuals["simulation"], logistic(0.8, TIMES), rtol=1e-6)
    assert np.abs(result.residuals["residual"]).max() < 1e-5
    # the problem itself still holds its nominal value: prediction works on a copy
    assert problem.parameter_df.loc["r", "nominalValue"] == 0.5


def test_prediction_at_a_wrong_value_gives_the_analytic_residual(tmp_path):
    problem = read_petab(problem_measuring(tmp_path / "p", r_true=0.8))
    result = predict(problem, read_fitted(fitted_table(tmp_path / "fit.tsv", {"r": 0.4})))
    expected = logistic(0.4, TIMES) - logistic(0.8, TIMES)  # lin observable: simulated - measured
    assert np.allclose(result.residuals["residual"], expected, rtol=1e-5)
    assert np.allclose(result.residuals["scaled_residual"], expected / 0.1, rtol=1e-5)
    nll = np.sum(0.5 * np.log(2 * math.pi * 0.1**2) + 0.5 * (expected / 0.1) ** 2)
    assert result.nll == pytest.approx(nll, rel=1e-5)
    (row,) = result.summary().itertuples()
    assert row.rows == len(TIMES)
    assert row.rms_residual == pytest.approx(float(np.sqrt(np.mean(expected**2))), rel=1e-5)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("parameterId\tvalue\nr\t1\n", "no nominalValue column"),
        ("parameterId\tnominalValue\nr\tfast\n", "not a finite number"),
        ("parameterId\tnominalValue\nr\t1\nr\t2\n", "listed twice"),
    ],
)
def test_bad_fitted_tables_are_one_line_errors(tmp_path, text, fragment):
    path = tmp_path / "fit.tsv"
    path.write_text(text)
    with pytest.raises(InputError, match=fragment):
        read_fitted(path)


def test_fitted_values_must_belong_to_the_problem_and_suit_its_scale(tmp_path):
    problem = read_petab(problem_measuring(tmp_path / "p", r_true=0.8))
    with pytest.raises(InputError, match="none of the fitted parameters"):
        predict(problem, pd.Series({"k_other": 1.0}))
    with pytest.raises(InputError, match=r"r: fitted value -1\.0 is not positive"):
        predict(problem, pd.Series({"r": -1.0}))


def test_cli_writes_the_prediction_and_never_replaces_foreign_files(tmp_path):
    yaml_path = problem_measuring(tmp_path / "p", r_true=0.8)
    fit = fitted_table(tmp_path / "fit.tsv", {"r": 0.8})
    out = tmp_path / "pred"
    args = ["model", "predict", str(yaml_path), "--parameters", str(fit), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 fitted values" in result.output
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names == ["prediction.png", "residuals.tsv", "simulation.tsv", "summary.tsv"]
    simulation = pd.read_csv(out / "simulation.tsv", sep="\t")
    assert "simulation" in simulation.columns
    assert "measurement" not in simulation.columns
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    args[-1] = str(mine)
    refused(runner.invoke(app, args), "senox did not write")
    assert (mine / "notes.txt").read_text() == "keep"
    missing = runner.invoke(
        app, ["model", "predict", str(yaml_path), "--parameters", str(tmp_path / "no.tsv"),
              "--out", str(tmp_path / "x")],
    )  # fmt: skip
    refused(missing, "no such parameter table")
