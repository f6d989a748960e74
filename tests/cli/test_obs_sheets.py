"""``--obs``: a sample sheet gives bulk tables the obs columns ``--reference`` and ``--groupby``
read, on ``senox score``, ``senox states`` and ``senox run``; a sheet that does not fit the data
is a one-line error and nothing is written."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senox import programs
from senox.cli import app
from tests._cli import refused
from tests.conftest import SHARED

runner = CliRunner()
SAMPLES = [f"SRR{100 + i}" for i in range(12)]
CONDITIONS = ["untreated"] * 6 + ["doxorubicin"] * 6


@pytest.fixture
def bulk(tmp_path):
    """A bulk CSV of counts (genes in rows, 12 run IDs as columns), as GEO tables come."""
    rng = np.random.default_rng(1)
    genes = sorted({g for p in programs.catalogue().values() for g in p.genes})
    genes += [f"FILLER{i}" for i in range(500)]
    counts = rng.poisson(8, size=(len(genes), len(SAMPLES)))
    path = tmp_path / "bulk.csv"
    pd.DataFrame(counts, index=genes, columns=SAMPLES).to_csv(path)
    return path


def write_sheet(path, ids=SAMPLES, sep="\t"):
    """A sample sheet: run ID, condition, day, batch (the first column's name is free)."""
    frame = pd.DataFrame(
        {
            "run_accession": ids,
            "condition": (CONDITIONS * 2)[: len(ids)],
            "day": [0] * 6 + [7] * (len(ids) - 6),
            "batch": ["b1", "b2"] * (len(ids) // 2) + ["b1"] * (len(ids) % 2),
        }
    )
    frame.to_csv(path, sep=sep, index=False)
    return path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize(
    ("name", "sep"),
    [
        pytest.param("samples.tsv", "\t", id="tsv"),
        pytest.param("samples.csv", ",", id="csv"),
        pytest.param("samples.txt", ";", id="semicolon"),
        pytest.param("samples.csv", "\t", id="tab-separated-csv"),
    ],
)
def test_states_reads_reference_and_groupby_from_the_sheet(bulk, tmp_path, name, sep):
    sheet = write_sheet(tmp_path / name, sep=sep)
    out = tmp_path / "states.tsv"
    result = invoke(
        "states", bulk, "--obs", sheet, "--reference", "condition=untreated",
        "--groupby", "condition", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out, sep="\t")["obs"].tolist() == SAMPLES
    by_group = pd.read_csv(tmp_path / "states_by_group.tsv", sep="\t", index_col=0)
    assert by_group["n"].to_dict() == {"doxorubicin": 6, "untreated": 6}


def test_a_numeric_sheet_column_is_a_reference(bulk, tmp_path):
    sheet = write_sheet(tmp_path / "samples.tsv")
    out = tmp_path / "states.tsv"
    result = invoke("states", bulk, "--obs", sheet, "--reference", "day=0", "--out", out)
    assert result.exit_code == 0, result.output


def test_without_a_sheet_a_bulk_table_has_no_reference_column(bulk, tmp_path):
    result = invoke(
        "states", bulk, "--reference", "condition=untreated", "--out", tmp_path / "s.tsv"
    )
    refused(result, "reference column 'condition' is not in obs")


def test_score_carries_the_sheet_into_the_h5ad(bulk, tmp_path):
    sheet = write_sheet(tmp_path / "samples.csv", sep=",")
    out, h5ad = tmp_path / "scores.tsv", tmp_path / "scored.h5ad"
    result = invoke("score", bulk, "--obs", sheet, "--out", out, "--h5ad", h5ad)
    assert result.exit_code == 0, result.output
    obs = ad.read_h5ad(h5ad).obs
    assert obs["condition"].astype(str).tolist() == CONDITIONS
    assert obs["day"].tolist() == [0] * 6 + [7] * 6


def test_run_groups_a_bulk_table_by_the_sheet(bulk, tmp_path):
    sheet = write_sheet(tmp_path / "samples.tsv")
    out = tmp_path / "report"
    result = invoke(
        "run", bulk, "--obs", sheet, "--reference", "condition=untreated",
        "--groupby", "condition", "--out", out, "--cohort", "2", "--days", "120",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "states.tsv", sep="\t")) == len(SAMPLES)
    assert "doxorubicin" in (out / "report.html").read_text(encoding="utf-8")
    # the state calls' warnings reach the terminal, as with `senox states`
    assert "warning: The reference condition=untreated holds 6 observations" in result.output


def test_run_refuses_a_sheet_without_an_input(tmp_path):
    sheet = write_sheet(tmp_path / "samples.tsv")
    result = invoke("run", "--obs", sheet, "--out", tmp_path / "report")
    refused(result, "--obs: goes with an INPUT file")
    assert not (tmp_path / "report").exists()


def test_a_sheet_that_misses_observations_is_one_line_and_writes_nothing(bulk, tmp_path):
    sheet = write_sheet(tmp_path / "s.csv", ids=[*SAMPLES[:9], "X1", "X2"], sep=",")
    out = tmp_path / "states.tsv"
    result = invoke("states", bulk, "--obs", sheet, "--out", out)
    refused(
        result,
        f"error: {sheet}: 3 of 12 observations have no row in the sample sheet "
        "(e.g. 'SRR109', 'SRR110', 'SRR111') and 2 rows match no observation (e.g. 'X1', 'X2'); "
        "the first column must hold the observation IDs",
    )
    assert not out.exists()


def test_a_sheet_with_duplicate_ids_is_one_line(bulk, tmp_path):
    sheet = write_sheet(tmp_path / "s.tsv", ids=[*SAMPLES, SAMPLES[0]])
    out = tmp_path / "scores.tsv"
    result = invoke("score", bulk, "--obs", sheet, "--out", out)
    refused(result, f"{sheet}: duplicate observation identifiers (1, e.g. 'SRR100')")
    assert not out.exists()


def test_extra_sheet_rows_are_left_out_with_a_warning(bulk, tmp_path, caplog):
    sheet = write_sheet(tmp_path / "s.tsv", ids=[*SAMPLES, "SRR999", "SRR998"])
    result = invoke("score", bulk, "--obs", sheet, "--out", tmp_path / "scores.tsv")
    assert result.exit_code == 0, result.output
    assert (
        "2 rows of the sample sheet match no observation (e.g. 'SRR999', 'SRR998'); they are "
        "left out" in caplog.text
    )


@pytest.mark.parametrize("command", ["score", "run"])
def test_the_sheet_is_an_input_no_output_may_replace(bulk, tmp_path, command):
    sheet = write_sheet(tmp_path / "samples.tsv")
    before = sheet.read_text()
    result = invoke(command, bulk, "--obs", sheet, "--out", sheet, "--force")
    refused(result, "is the input")
    assert sheet.read_text() == before


@pytest.mark.needs_shared
def test_marthandan2016_states_by_its_own_sample_sheet(tmp_path):
    data = SHARED / "data" / "marthandan2016"
    out = tmp_path / "states.tsv"
    result = invoke(
        "states", data / "marthandan2016_expression.csv.gz",
        "--obs", data / "marthandan2016_samples.csv",
        "--reference", "Condition=Proliferative", "--groupby", "Condition", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    by_group = pd.read_csv(tmp_path / "states_by_group.tsv", sep="\t", index_col=0)
    assert by_group["n"].to_dict() == {"Proliferative": 21, "Senescent": 18}
    proliferating = by_group["proliferating"].astype(float)
    assert proliferating["Proliferative"] > proliferating["Senescent"]
