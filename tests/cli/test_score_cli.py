"""``senox score`` and ``senox programs`` end to end on a small table written in the test."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senox import programs
from senox.cli import app

runner = CliRunner()


@pytest.fixture
def table(tmp_path):
    """A bulk-like CSV: genes in rows (catalogue genes plus fillers), 12 samples of counts."""
    rng = np.random.default_rng(0)
    genes = sorted({g for p in programs.catalogue().values() for g in p.genes})[:400]
    genes += [f"FILLER{i}" for i in range(300)]
    counts = rng.poisson(5, size=(len(genes), 12))
    frame = pd.DataFrame(counts, index=genes, columns=[f"s{i}" for i in range(12)])
    path = tmp_path / "bulk.csv"
    frame.to_csv(path)
    return path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_score_writes_one_column_per_program(table, tmp_path):
    out = tmp_path / "scores.tsv"
    result = invoke("score", table, "--out", out)
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out, sep="\t")
    assert scores.columns[0] == "obs"
    assert list(scores.columns[1:]) == list(programs.catalogue())
    assert scores["obs"].tolist() == [f"s{i}" for i in range(12)]
    assert scores.iloc[:, 1:].notna().all().all()


def test_score_options(table, tmp_path):
    gmt = tmp_path / "mine.gmt"
    gmt.write_text("mine\tmy set\tFILLER1\tFILLER2\tFILLER3\n", encoding="utf-8")
    out, h5ad = tmp_path / "scores.tsv", tmp_path / "scored.h5ad"
    result = invoke(
        "score", table, "--out", out, "--method", "mean", "--programs", "senescence,mine",
        "--gmt", gmt, "--h5ad", h5ad,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out, sep="\t").columns) == ["obs", "senescence", "mine"]
    written = ad.read_h5ad(h5ad)
    assert written.uns["senox"]["scores"]["params"]["method"] == "mean"
    assert list(written.obsm["senox_scores"].columns) == ["senescence", "mine"]


def test_existing_output_needs_force(table, tmp_path):
    out = tmp_path / "scores.tsv"
    assert invoke("score", table, "--out", out).exit_code == 0
    result = invoke("score", table, "--out", out)
    assert result.exit_code == 2
    assert "--force" in result.output
    assert invoke("score", table, "--out", out, "--force").exit_code == 0


def test_a_users_file_is_kept_even_with_force(table, tmp_path):
    out = tmp_path / "scores.tsv"
    out.write_text("keep me")
    result = invoke("score", table, "--out", out, "--force")
    assert result.exit_code == 2
    assert "did not write" in result.output
    assert out.read_text() == "keep me"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--programs", "senescense"], "unknown program", id="unknown-program"),
        pytest.param(["--backed", "--h5ad", "x.h5ad"], "--backed", id="backed-h5ad"),
    ],
)
def test_option_errors_write_nothing(table, tmp_path, args, message):
    out = tmp_path / "scores.tsv"
    result = invoke("score", table, "--out", out, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_input_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"s1": [1.0, -2.0], "s2": [3.0, 4.0]}, index=["CDKN1A", "MKI67"]).to_csv(bad)
    out = tmp_path / "scores.tsv"
    result = invoke("score", bad, "--out", out)
    assert result.exit_code == 2
    assert str(bad) in result.output
    assert not out.exists()


def test_programs_list_and_show():
    listed = invoke("programs", "list", "--format", "tsv")
    assert listed.exit_code == 0
    assert "senescence" in listed.output
    shown = invoke("programs", "show", "senescence")
    assert shown.exit_code == 0
    assert "LMNB1" in shown.output
    assert "SenMayo" in shown.output
    assert invoke("programs", "show", "nope").exit_code == 2


def test_states_writes_states_and_group_fractions(tmp_path):
    from tests.states.test_states import make_groups

    groups = make_groups(n_per_group=20)
    path = tmp_path / "groups.h5ad"
    groups.write_h5ad(path)
    out = tmp_path / "states.tsv"
    result = invoke(
        "states", path, "--out", out, "--reference", "truth=proliferating", "--groupby", "sample"
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns[:4]) == ["obs", "state", "confidence", "redox_index"]
    assert "senescence" in table.columns
    fractions = pd.read_csv(tmp_path / "states_by_group.tsv", sep="\t")
    assert list(fractions.columns[:2]) == ["sample", "n"]
    bad = invoke("states", path, "--out", tmp_path / "x.tsv", "--reference", "truth=unicorn")
    assert bad.exit_code == 2
    assert not (tmp_path / "x.tsv").exists()


def test_states_warns_about_a_small_reference(tmp_path):
    from tests.states.test_states import make_groups

    groups = make_groups(n_per_group=20)
    groups.obs["control"] = ["yes"] * 4 + ["no"] * (groups.n_obs - 4)
    path = tmp_path / "groups.h5ad"
    groups.write_h5ad(path)
    out = tmp_path / "states.tsv"
    result = invoke("states", path, "--out", out, "--reference", "control=yes")
    assert result.exit_code == 0, result.output
    assert "warning: The reference control=yes holds 4 observations" in result.output
    assert out.exists()
