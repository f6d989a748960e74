"""senox's methods against the peers they reproduce: pyucell (exact) and scanpy (statistical)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scanpy as sc
from pyucell import compute_ucell_scores
from scipy import sparse

from senox.score._layout import resolve
from senox.score._methods import MeanMethod
from senox.score._run import as_programs
from tests.score.conftest import scored


def _pyucell(adata, signatures, **kwargs):
    reference = adata.copy()
    compute_ucell_scores(reference, signatures, n_jobs=1, **kwargs)
    return reference.obs[[f"{name}_UCell" for name in signatures]].to_numpy()


@pytest.mark.parametrize("max_rank", [1500, 40])
def test_rank_equals_pyucell(toy, signatures, max_rank):
    expected = _pyucell(toy, signatures, max_rank=max_rank)
    result = scored(toy, signatures, method="rank", max_rank=max_rank)
    np.testing.assert_allclose(result.obsm["senox_scores"].to_numpy(), expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    ("dtype", "ties"),
    [(np.float32, True), (np.float32, False), (np.float64, False), (np.int64, True)],
    ids=["float32", "float32-tie-free", "float64-tie-free", "integer-counts"],
)
def test_rank_equals_pyucell_for_large_programs_and_any_dtype(toy, dtype, ties):
    # 400-gene programs put over 64 distinct program values in each tie-free cell, which sends
    # those cells through the radix-sort path; tied data go through direct comparison
    adata = toy.copy()
    if not ties:
        noise = np.random.default_rng(1).uniform(0, 1e-3, size=adata.X.nnz)
        adata.X.data = (adata.X.data + noise).astype(np.float32)
    adata.X = (adata.X * 10).astype(dtype) if dtype is np.int64 else adata.X.astype(dtype)
    adata.X.eliminate_zeros()
    genes = list(adata.var_names)
    big = {"big": genes[:400], "big_signed": [*genes[400:800], *(f"{g}-" for g in genes[800:900])]}
    expected = _pyucell(adata, big)
    result = scored(adata, big, method="rank")
    np.testing.assert_allclose(result.obsm["senox_scores"].to_numpy(), expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    "as_format",
    [
        pytest.param(lambda x: x.tocsc(), id="csc"),
        pytest.param(lambda x: x.toarray(), id="dense"),
        pytest.param(lambda x: sparse.csr_array(x), id="csr-array"),
    ],
)
def test_rank_is_the_same_for_every_matrix_format(toy, signatures, as_format):
    reference = scored(toy, signatures).obsm["senox_scores"]
    other = toy.copy()
    other.X = as_format(toy.X)
    result = scored(other, signatures).obsm["senox_scores"]
    pd.testing.assert_frame_equal(result, reference)


def test_mean_correlates_with_scanpy(toy, signatures):
    genes = signatures["planted"]
    ours = scored(toy, {"planted": genes}, method="mean").obs["senox_planted"]
    theirs = sc.tl.score_genes(toy, genes, copy=True, random_state=0).obs["score"]
    assert np.corrcoef(ours, theirs)[0, 1] >= 0.99


def test_mean_bins_are_scanpys(toy):
    means = np.asarray(toy.X.mean(axis=0)).ravel()
    obs_avg = pd.Series(means)
    n_items = int(np.round(len(obs_avg) / (25 - 1)))
    expected = (obs_avg.rank(method="min") // n_items).to_numpy()
    np.testing.assert_array_equal(MeanMethod().bins(means), expected)


def test_mean_is_program_mean_minus_control_mean(toy, signatures):
    programs = as_programs({"planted": signatures["planted"]})
    resolved = resolve(programs, toy.var_names)
    means = np.asarray(toy.X.mean(axis=0)).ravel()
    layout = MeanMethod().layout(resolved, ["planted"], toy.n_vars, means)
    genes, controls = layout.slots[0].genes, layout.slots[1].genes
    assert len(np.intersect1d(genes, controls)) == 0
    dense = toy.X.toarray().astype(np.float64)
    expected = dense[:, genes].mean(axis=1) - dense[:, controls].mean(axis=1)
    result = scored(toy, {"planted": signatures["planted"]}, method="mean")
    np.testing.assert_allclose(result.obs["senox_planted"], expected, atol=1e-6)


def test_mean_is_reproducible_with_a_seed(toy, signatures):
    def run(seed):
        return scored(toy, signatures, method="mean", random_state=seed).obsm["senox_scores"]

    first, again, other = run(3), run(3), run(4)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["random"], other["random"])


def test_signed_mean_subtracts_the_down_side(toy, signatures):
    up = [g for g in signatures["signed"] if not g.endswith("-")]
    down = [g[:-1] for g in signatures["signed"] if g.endswith("-")]
    both = scored(toy, {"s": signatures["signed"]}, method="mean").obs["senox_s"]
    sides = scored(toy, {"up": up, "down": down}, method="mean")
    # each side's controls are drawn from its own seed stream, so compare up to control noise
    assert np.corrcoef(both, sides.obs["senox_up"] - sides.obs["senox_down"])[0, 1] > 0.95
