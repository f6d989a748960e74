"""``senox model ssa`` end to end: the table equals the library's ensemble, and bad input
writes nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from senox.cli import app
from senox.cli._model import SSA_CHUNK
from senox.model import compile_sbml, simulate_ssa, slow_scale

from ..model.test_slowscale import PAIR, cycle_model

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["model", "ssa", *[str(a) for a in args]])


def test_the_table_is_the_ensemble_cell_by_cell(tmp_path):
    path = cycle_model(tmp_path, kf=5.0, kb=10.0)
    out = tmp_path / "cells.tsv"
    n = SSA_CHUNK + 7  # more than one chunk of the progress bar
    result = invoke(path, "--cells", n, "--until", "20s", "--points", 5, "--seed", 4, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == ["cell", "time_days", "time", "X", "Y", "C", "Z"]
    assert len(table) == n * 5
    np.testing.assert_allclose(table.time.to_numpy()[:5], [0, 5, 10, 15, 20])
    np.testing.assert_allclose(table.time_days.to_numpy()[:5], np.array([0, 5, 10, 15, 20]) / 86400)
    expected = simulate_ssa(path, n_cells=n, times=[0, 5, 10, 15, 20], seed=4)
    np.testing.assert_array_equal(table[["X", "Y", "C", "Z"]].to_numpy(), expected.reshape(-1, 4))


def test_fast_pairs_select_the_slow_scale_approximation(tmp_path):
    path = cycle_model(tmp_path, kf=5.0, kb=10.0)
    out = tmp_path / "slow.tsv"
    result = invoke(
        path, "--cells", 3, "--until", "10s", "--points", 3, "--species", "Z,X",
        "--fast", "phos:dephos", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "slow-scale (1 fast pairs)" in result.output
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == ["cell", "time_days", "time", "Z", "X"]
    reduced = slow_scale(compile_sbml(path), PAIR)
    expected = simulate_ssa(reduced, n_cells=3, times=[0, 5, 10], seed=0, species=["Z", "X"])
    np.testing.assert_array_equal(table[["Z", "X"]].to_numpy(), expected.reshape(-1, 2))


def test_fast_auto_takes_the_pairs_a_pilot_run_finds(tmp_path):
    path = cycle_model(tmp_path, kf=100.0, kb=200.0)
    out = tmp_path / "auto.tsv"
    result = invoke(path, "--cells", 2, "--until", "5s", "--fast", "auto", "--out", out)
    assert result.exit_code == 0, result.output
    assert "fast pairs from an exact pilot run: phos:dephos" in result.output
    assert "slow-scale (1 fast pairs)" in result.output
    assert out.exists()


def test_bad_input_is_one_line_and_writes_nothing(tmp_path):
    path = cycle_model(tmp_path, kf=5.0, kb=10.0)
    out = tmp_path / "x.tsv"
    for args, message in (
        (("--fast", "phos"), "FORWARD:BACKWARD"),
        (("--fast", "phos:nope"), "no reaction 'nope'"),
        (("--species", "X,W"), "no species 'W'"),
        (("--until", "soon"), "duration 'soon'"),
    ):
        result = invoke(path, "--cells", 2, "--out", out, *args)
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert result.output.count("\n") == 1
        assert not out.exists()
    out.write_text("keep")
    result = invoke(path, "--cells", 2, "--out", out)
    assert result.exit_code == 2
    assert out.read_text() == "keep"
