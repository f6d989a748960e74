"""``call_states`` reads the matrix in as few passes as it can, with the same results.

Each piece read in the shared pass is checked against the function that computed it in a pass
of its own before (``score_programs``, ``score_matrix`` on a column subset, the panel's
``expression``); a backed file, read a block of rows at a time and log-normalised as it is
read, must give exactly what the same data in memory give.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from senox.io import read
from senox.pipeline._stream import streamed
from senox.programs import catalogue
from senox.score import score_matrix, score_programs
from senox.score._source import iter_blocks
from senox.states import _pass, call_states
from senox.states._call import arrest_free_scores, axis_catalogue, cell_cycle_scoring
from senox.states._panel import PANEL_GENES, expression, present_columns
from tests.states.test_states import make_groups
from tests.test_backed_run import generated_counts_h5ad

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import anndata as ad


@pytest.fixture(scope="module")
def counts_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_counts_h5ad(tmp_path_factory.mktemp("one_pass") / "counts.h5ad", n_obs=1200)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 250 rows, so that the generated data span several."""
    monkeypatch.setattr(_pass, "CHUNK_ROWS", 250)


def written(adata: ad.AnnData) -> dict[str, Any]:
    """Every field ``call_states`` writes (the scores' ``gene_names`` names the file read)."""
    states = adata.uns["senox"]["states"]
    return {
        "obs": adata.obs.filter(like="senox_"),
        "obsm": {k: pd.DataFrame(adata.obsm[k]) for k in adata.obsm},
        "colors": adata.uns["senox_state_colors"],
        "states": states,
        "params": adata.uns["senox"]["scores"]["params"],
        "coverage": adata.uns["senox"]["scores"]["coverage"],
    }


def assert_same(first: Any, second: Any, where: str = "") -> None:
    if isinstance(first, pd.DataFrame):
        pd.testing.assert_frame_equal(first, second, check_exact=True, obj=where)
    elif isinstance(first, dict):
        assert set(first) == set(second), where
        for key in first:
            assert_same(first[key], second[key], f"{where}.{key}")
    elif isinstance(first, float) and np.isnan(first):
        assert np.isnan(second), where
    elif isinstance(first, list | tuple):
        assert len(first) == len(second), where
        for i, (a, b) in enumerate(zip(first, second, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert first == second, (where, first, second)


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize("method", ["rank", "mean"])
@pytest.mark.parametrize("reference", [None, "condition=control"])
def test_a_backed_file_is_called_exactly_as_in_memory(counts_path, method, reference):
    in_memory = read(counts_path)
    backed = streamed(read(counts_path, backed=True))
    try:
        for adata in (in_memory, backed):
            call_states(adata, reference=reference, method=method)
        assert_same(written(in_memory), written(backed))
    finally:
        backed.file.close()
    assert len(set(in_memory.obs["senox_state"])) > 1


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize("method", ["rank", "mean"])
def test_scores_written_are_score_programs_own(counts_path, method):
    called, scored = read(counts_path), read(counts_path)
    call_states(called, method=method)
    score_programs(scored, axis_catalogue(), method=method, progress=False)
    pd.testing.assert_frame_equal(called.obsm["senox_scores"], scored.obsm["senox_scores"])
    for name in scored.obsm["senox_scores"].columns:
        np.testing.assert_array_equal(called.obs[f"senox_{name}"], scored.obs[f"senox_{name}"])
    assert_same(called.uns["senox"]["scores"], scored.uns["senox"]["scores"])


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize("method", ["rank", "mean"])
def test_arrest_free_scores_equal_scoring_the_column_subset(counts_path, method):
    adata = read(counts_path)
    names = adata.var_names
    programs = {k: v for k, v in axis_catalogue().items() if k != "proliferation"}
    keep = np.flatnonzero(~names.isin(list(catalogue()["proliferation"].genes)))
    expected, _ = score_matrix(adata.X[:, keep], names[keep], programs, method=method)
    expected.index = adata.obs_names
    pd.testing.assert_frame_equal(arrest_free_scores(adata, method, names), expected)


def test_cell_cycle_score_and_panel_equal_their_own_passes(counts_path):
    adata = read(counts_path)
    cycle = cell_cycle_scoring(adata.var_names)
    present, columns = present_columns(adata.var_names, PANEL_GENES)
    found = _pass.first_pass(adata.X, [], columns)
    cycle.lay_out(found.gene_means())
    _pass.scoring_pass(adata.X, [cycle])
    program = {"proliferation": catalogue()["proliferation"]}
    expected, _ = score_matrix(adata.X, adata.var_names, program, method="mean")
    expected.index = adata.obs_names
    pd.testing.assert_frame_equal(cycle.scores(adata.obs_names), expected)
    panel = expression(adata, list(PANEL_GENES))
    np.testing.assert_array_equal(found.panel, panel[present].to_numpy())


def counting_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the passes over the rows that ``senox.states`` makes."""
    passes: list[int] = []

    def counted(matrix: Any, chunk_size: int) -> Iterator[Any]:
        passes.append(matrix.shape[0])
        return iter_blocks(matrix, chunk_size)

    monkeypatch.setattr(_pass, "iter_blocks", counted)
    return passes


@pytest.mark.parametrize(
    ("method", "expected"),
    [("rank", 1), ("mean", 2)],
)
def test_one_pass_when_the_mixture_decides_cycling(monkeypatch, method, expected):
    adata = make_groups()
    passes = counting_passes(monkeypatch)
    call_states(adata, method=method)
    assert adata.uns["senox"]["states"]["cycling_rule"]["rule"] == "mixture"
    assert len(passes) == expected


@pytest.mark.parametrize("method", ["rank", "mean"])
def test_two_passes_when_the_cell_cycle_score_is_needed(monkeypatch, counts_path, method):
    adata = read(counts_path)
    passes = counting_passes(monkeypatch)
    call_states(adata, method=method)
    assert adata.uns["senox"]["states"]["cycling_rule"]["rule"] != "mixture"
    assert len(passes) == 2


def test_state_calls_on_a_cluster_equal_the_local_ones() -> None:
    from distributed import LocalCluster

    adata = make_groups(n_per_group=40)
    local = call_states(adata, copy=True)
    cluster_options = {"n_workers": 2, "threads_per_worker": 1, "processes": False}
    with LocalCluster(**cluster_options, dashboard_address=":0") as cluster:
        remote = call_states(adata, copy=True, scheduler=cluster.scheduler_address)
        ran = set(cluster.scheduler.task_prefixes)
    assert local is not None
    assert remote is not None
    assert "block_pass" in ran  # every pass over the matrix ran as cluster tasks
    pd.testing.assert_frame_equal(local.obs, remote.obs, check_exact=True)
    for key in local.obsm:
        pd.testing.assert_frame_equal(local.obsm[key], remote.obsm[key], check_exact=True)
