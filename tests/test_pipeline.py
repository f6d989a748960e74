"""``senox run`` end to end: the bundled data set, a second real data set, and bad input."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from typer.testing import CliRunner

from senox.cli import app
from senox.io import MANIFEST, output_folder
from senox.kb import agent_standing, load_evidence
from senox.pipeline import OUTPUTS, depth_warnings
from senox.report import SECTIONS
from tests.browser import body_attributes, chromium, needs_chromium
from tests.conftest import SHARED

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "report"
    result = runner.invoke(app, ["run", "--out", str(out), "--cohort", "8"])
    assert result.exit_code == 0, result.output
    return out


def test_every_output_is_written(bundled: Path) -> None:
    assert sorted(p.name for p in bundled.iterdir()) == sorted([MANIFEST, *OUTPUTS])
    vulnerabilities = pd.read_csv(bundled / "vulnerabilities.tsv", sep="\t")
    assert list(vulnerabilities.columns[:7]) == [
        "state",
        "target",
        "agent",
        "agent_class",
        "stage",
        "evidence",
        "pmids",
    ]
    assert len(vulnerabilities) > 0
    states = pd.read_csv(bundled / "states.tsv", sep="\t")
    assert list(states.columns[:4]) == ["obs", "state", "confidence", "redox_index"]
    assert len(states) == 500
    strategies = pd.read_csv(bundled / "strategies.tsv", sep="\t")
    assert strategies.columns[:2].tolist() == ["strategy", "rank"]
    assert {"chemo", "chemo+senolytic", "ros_inducer+nrf2_inhibitor"} <= set(strategies.strategy)
    assert any(
        s.startswith("chemo+")
        and s not in {"chemo+senolytic", "chemo+senomorphic", "chemo+gsh_depletion"}
        for s in strategies.strategy
    )
    record = json.loads((bundled / "run.json").read_text())
    assert record["inputs"]["reference"] == "condition=mV"
    assert set(record["timings"]) >= {"reading the data", "simulating strategies"}
    assert sum(record["initial_state"].values()) == pytest.approx(1.0)


def test_depth_confounding_is_flagged_on_the_bundled_data(bundled: Path) -> None:
    # the bundled Chan 2024 cells: KRAS D12 cells detect 2.7x the genes of the controls
    warnings = json.loads((bundled / "run.json").read_text())["warnings"]
    assert any(w.startswith("Groups differ in depth") and "(2.7×)" in w for w in warnings)
    assert any(w.startswith("Scores that follow sequencing depth") for w in warnings)
    assert "Groups differ in depth" in (bundled / "report.html").read_text()


def test_depth_warnings_fire_only_on_depth_confounding() -> None:
    rng = np.random.default_rng(0)
    depth = pd.Series(
        rng.integers(300, 3000, 400).astype(float), index=[f"c{i}" for i in range(400)]
    )
    noise = rng.normal(size=400)
    scores = pd.DataFrame(
        {"follows": np.log(depth.to_numpy()) + 0.1 * noise, "independent": noise}, index=depth.index
    )
    groups = pd.Series(np.where(np.arange(400) < 200, "a", "b"), index=depth.index)
    (warning,) = depth_warnings(scores, depth, groups)  # random halves: equal depth
    assert "follows (ρ = +" in warning
    assert "independent" not in warning
    assert depth_warnings(scores[["independent"]], depth, groups) == []
    deep = depth.where(groups == "a", depth * 2.0)  # group b detects twice the genes
    (_, grouped) = depth_warnings(scores, deep, groups)
    assert "in 'b' against" in grouped
    assert "in 'a'" in grouped


def test_report_sections(bundled: Path) -> None:
    html = (bundled / "report.html").read_text()
    for section, _ in SECTIONS:
        assert f'id="{section}"' in html
    assert "not predictions of response" in html
    assert "http://" not in html.split("<body", 1)[1].split("pubmed")[0]


def test_the_report_leads_with_treated_against_reference(bundled: Path) -> None:
    html = (bundled / "report.html").read_text()
    contrast = html.split('id="contrast"', 1)[1].split("</section>", 1)[0]
    assert "treated %" in contrast  # state shares, treated against the reference
    assert "Evidence-base targets higher in the state" in contrast  # tested vulnerabilities
    assert "toxicity" in contrast  # benefit and harm side by side
    assert html.index('id="contrast"') < html.index('id="qc"')
    inputs = pd.read_csv(bundled / "model_inputs.tsv", sep="\t")
    assert {"r_P", "s_n", "f_inf"} <= set(inputs.parameter)
    assert ((inputs.low >= inputs.range_low) & (inputs.high <= inputs.range_high)).all()


def test_no_generated_strategy_doses_an_unresolved_agent(bundled: Path) -> None:
    standing = agent_standing(load_evidence())
    strategies = pd.read_csv(bundled / "strategies.tsv", sep="\t").strategy
    agents = [s.removeprefix("chemo+") for s in strategies if s.startswith("chemo+")]
    unusable = set(standing.index[~standing.usable])
    assert agents
    assert not unusable & set(agents)


def test_normal_tissue_ranks_no_strategy(tmp_path: Path) -> None:
    out = tmp_path / "normal"
    result = runner.invoke(app, ["run", "--out", str(out), "--cohort", "4", "--context", "normal"])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "strategies.tsv", sep="\t").empty
    summary = (out / "report.html").read_text().split('id="summary"', 1)[1]
    assert "No strategy was simulated" in summary.split("</section>", 1)[0]
    assert "Top-ranked" not in summary
    unknown = runner.invoke(app, ["run", "--out", str(tmp_path / "x"), "--sample-key", "donor"])
    assert unknown.exit_code == 2
    assert "--sample-key donor: no such column" in unknown.output
    batch = runner.invoke(app, ["run", "--out", str(tmp_path / "b"), "--batch-key", "strain"])
    assert batch.exit_code == 2
    assert "--batch-key strain: no such column" in batch.output
    assert "scoring" not in batch.output  # refused before any step ran
    wrong = runner.invoke(app, ["run", "--out", str(tmp_path / "y"), "--reference", "condition=x"])
    assert wrong.exit_code == 2
    assert "reference condition=x matches 0 observations" in wrong.output
    assert "scoring" not in wrong.output  # refused before any step ran
    assert not (tmp_path / "x").exists()


@needs_chromium
def test_report_renders_in_chromium(bundled: Path, tmp_path: Path) -> None:
    result = chromium(tmp_path, "--dump-dom", (bundled / "report.html").as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    attributes = body_attributes(result.stdout)
    assert int(attributes["data-figures-expected"]) >= 7
    assert attributes["data-figures-rendered"] == attributes["data-figures-expected"]
    for section, _ in SECTIONS:
        assert f'id="{section}"' in result.stdout


def test_existing_output_and_bad_input_write_nothing(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["run", str(tmp_path / "nope.h5ad"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2
    assert len(missing.output.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "thesis.txt").write_text("mine")
    taken = runner.invoke(app, ["run", "--out", str(tmp_path / "taken"), "--force"])
    assert taken.exit_code == 2
    assert "did not write (thesis.txt)" in taken.output
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["thesis.txt"]
    with output_folder(tmp_path / "earlier") as staged:
        (staged / "report.html").write_text("an earlier run")
    earlier = runner.invoke(app, ["run", "--out", str(tmp_path / "earlier")])
    assert earlier.exit_code == 2
    assert "already exists (written by senox); pass --force" in earlier.output
    assert (tmp_path / "earlier" / "report.html").read_text() == "an earlier run"


@pytest.mark.needs_shared
def test_second_real_data_set_bulk(tmp_path: Path) -> None:
    data = SHARED / "data" / "marthandan2016" / "marthandan2016_expression.csv.gz"
    out = tmp_path / "bulk"
    result = runner.invoke(app, ["run", str(data), "--out", str(out), "--cohort", "4"])
    assert result.exit_code == 0, result.output
    states = pd.read_csv(out / "states.tsv", sep="\t")
    assert len(states) == 39
    html = (out / "report.html").read_text()
    assert "bulk" in html
    assert 'id="vulnerabilities"' in html


def _pc9_h5ad(folder: Path, out: Path) -> Path:
    """The two PC9 day-11 tables (control, erlotinib) as one .h5ad with a condition column."""
    parts = []
    for condition in ("control", "Erlotinib"):
        table = pd.read_csv(folder / f"Day11_{condition}.txt.gz", sep="\t", index_col="GENE")
        table = table.loc[:, table.sum() >= 500]
        table.columns = [f"{condition}_{c}" for c in table.columns]
        parts.append(table)
    counts = pd.concat(parts, axis=1).fillna(0).astype(np.int64)
    obs = pd.DataFrame({"condition": [c.split("_")[0] for c in counts.columns]}, counts.columns)
    ad.AnnData(
        sparse.csr_matrix(counts.T.to_numpy()), obs=obs, var=pd.DataFrame(index=counts.index)
    ).write_h5ad(out)
    return out


#: Every real set in ../shared, from its own files and sample sheet, as `senox run` reads them.
REAL_SETS = {
    "marthandan2016": (
        ["marthandan2016/marthandan2016_expression.csv.gz",
         "--obs", "marthandan2016/marthandan2016_samples.csv",
         "--reference", "Condition=Proliferative", "--context", "normal"], 39),
    "marthandan_pd": (
        ["marthandan2016_pd_series_counts/pd_raw_counts.csv.gz",
         "--obs", "marthandan2016_pd_series_counts/pd_samples.csv",
         "--reference", "population_doublings=16", "--context", "normal"], 15),
    "rat_quiescence": (
        ["ref_rat_quiescence_depth/ref_raw_counts.csv.gz",
         "--obs", "ref_rat_quiescence_depth/ref_samples.csv", "--species", "rat",
         "--orthologs", "ref_rat_quiescence_depth/rat_human_orthologs_ensembl.tsv.gz",
         "--reference", "Day=2", "--context", "normal"], 27),
    "chan2024": (["chan2024_kras_ois/counts.mtx.gz", "--reference", "condition=mV"], 500),
    "pc9_persisters": (["PC9", "--reference", "condition=control", "--context", "cell-line"],
                       None),
}  # fmt: skip


@pytest.mark.needs_shared
@pytest.mark.parametrize("name", list(REAL_SETS))
def test_run_finishes_on_every_real_set(name: str, tmp_path: Path) -> None:
    data = SHARED / "data"
    args, n_obs = REAL_SETS[name]
    files = [
        str(_pc9_h5ad(data / "pc9_erlotinib_persisters", tmp_path / "pc9.h5ad"))
        if a == "PC9"
        else str(data / a)
        if "/" in a
        else a
        for a in args
    ]
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", *files, "--out", str(out), "--cohort", "4"])
    assert result.exit_code == 0, result.output
    states = pd.read_csv(out / "states.tsv", sep="\t")
    assert n_obs is None or len(states) == n_obs
    strategies = pd.read_csv(out / "strategies.tsv", sep="\t")
    assert strategies.empty == ("normal" in args)
