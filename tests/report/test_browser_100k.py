"""Issue 17: the report of a 100,000-cell ``senox run`` works in a real browser.

A seeded 100,000-cell × 2,000-gene count matrix (every catalogue program gene plus fillers,
8 samples, a planted senescent-like group) is written as ``.h5ad`` and run through the CLI
read backed, as at atlas scale; headless Chromium then loads the report
(:func:`tests.report.browser_checks.check_report`): every figure decodes, every table becomes a
DataTable, the strategies sort by median time to relapse with censored values largest, the
search box filters, and the page requests nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from typer.testing import CliRunner

from senox.cli import app
from senox.report import SECTIONS
from tests.browser import needs_chromium
from tests.report.browser_checks import check_report

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = needs_chromium

N_CELLS = 100_000
N_GENES = 2_000
N_SAMPLES = 8
#: Share of stored values (about the benchmark's 6 %, and typical of droplet data).
DENSITY = 0.06


def counts_h5ad(path: Path, seed: int = 0) -> Path:
    """Seeded counts: geometric noise, and a third of the samples up in senescence genes."""
    from senox.programs import catalogue

    rng = np.random.default_rng(seed)
    programs = catalogue()
    genes = sorted({g for p in programs.values() for g in p.genes})
    genes += [f"FILLER{i}" for i in range(N_GENES - len(genes))]
    detection = np.minimum(rng.gamma(0.5, 2 * DENSITY / 0.5, size=N_GENES), 0.9)
    per_gene = rng.binomial(N_CELLS, detection)
    cols = np.repeat(np.arange(N_GENES, dtype=np.int32), per_gene)
    rows = rng.integers(0, N_CELLS, size=len(cols), dtype=np.int32)
    sample = np.arange(N_CELLS) % N_SAMPLES
    senescent = np.flatnonzero(sample >= 6)  # samples s6 and s7
    up = np.array([genes.index(g) for g in programs["senescence"].up], dtype=np.int32)
    extra_rows = np.repeat(senescent, len(up))
    extra_cols = np.tile(up, len(senescent))
    keep = rng.random(len(extra_rows)) < 0.3
    rows = np.concatenate([rows, extra_rows[keep]])
    cols = np.concatenate([cols, extra_cols[keep]])
    values = rng.geometric(0.45, size=len(rows)).astype(np.float32)
    counts = sparse.csr_matrix((values, (rows, cols)), shape=(N_CELLS, N_GENES))
    counts.sum_duplicates()
    obs = pd.DataFrame(
        {
            "sample": pd.Categorical([f"s{i}" for i in sample]),
            "condition": np.where(sample < 2, "control", "treated"),
        },
        index=[f"c{i}" for i in range(N_CELLS)],
    )
    ad.AnnData(X=counts, obs=obs, var=pd.DataFrame(index=genes)).write_h5ad(path)
    return path


@pytest.fixture(scope="module")
def run_100k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``senox run`` on the 100,000-cell input, read backed; the output folder."""
    tmp = tmp_path_factory.mktemp("run_100k")
    path = counts_h5ad(tmp / "cells100k.h5ad")
    out = tmp / "out"
    args = ["run", str(path), "--out", str(out), "--backed", "--groupby", "sample",
            "--reference", "condition=control"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def seen(run_100k: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return check_report(run_100k / "report.html", tmp_path_factory.mktemp("chromium"))


def test_the_report_is_of_every_cell(run_100k: Path) -> None:
    states = pd.read_csv(run_100k / "states.tsv", sep="\t", usecols=["obs"])
    assert len(states) == N_CELLS


def test_every_figure_decodes_and_every_table_is_interactive(seen: dict[str, object]) -> None:
    assert int(str(seen["figures_expected"])) >= 8
    assert seen["figures_rendered"] == seen["figures_expected"]
    assert int(str(seen["tables"])) >= 10
    assert seen["tables_ready"] == seen["tables"]
    assert seen["sections"] == [section for section, _ in SECTIONS]


def test_strategies_sort_with_censored_relapse_largest(
    seen: dict[str, object], run_100k: Path
) -> None:
    probe = seen["probe"]
    assert isinstance(probe, dict)
    assert "error" not in probe, probe
    table = pd.read_csv(run_100k / "strategies.tsv", sep="\t")
    relapse = table.set_index("strategy")["median_time_to_relapse_days"]
    reached = relapse.dropna().sort_values()
    censored = set(relapse.index[relapse.isna()])
    n = len(reached)
    assert len(probe["ascending"]) == len(relapse)
    assert probe["ascending"][:n] == list(reached.index)
    assert set(probe["ascending"][n:]) == censored
    assert set(probe["descending"][: len(censored)]) == censored
    assert probe["descending"][len(censored) :] == list(reached.index[::-1])


def test_search_filters_and_nothing_is_fetched(seen: dict[str, object]) -> None:
    probe = seen["probe"]
    assert isinstance(probe, dict)
    assert probe["searched"]
    assert len(probe["searched"]) < len(probe["shown"])
    assert all(probe["query"] in name for name in probe["searched"])
    assert probe["blocked"] == []
