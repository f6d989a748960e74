"""The tests behind the vulnerabilities, against independent implementations.

The rank test and Benjamini–Hochberg against scanpy's ``rank_genes_groups`` (wilcoxon,
tie-corrected; its BH comes from statsmodels); the pseudobulk test against per-sample means made
with pandas and ``scipy.stats.ttest_ind``.
"""

from __future__ import annotations

import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
from scipy.sparse import csr_matrix
from scipy.stats import ttest_ind

from senox.vulnerabilities._stats import (
    MIN_CELLS_PER_PSEUDOBULK,
    PSEUDOBULK_METHOD,
    RANK_METHOD,
    Sides,
    compare_group,
    target_matrix,
)


def _data(*, sparse: bool, negative: bool, seed: int = 1) -> ad.AnnData:
    """300 observations × 25 genes with many ties: counts, a shifted gene, an all-zero gene."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rng.uniform(0.05, 3, size=25), size=(300, 25)).astype(float)
    counts[:40, 3] += rng.poisson(2, 40)  # higher in the first 40
    counts[:, 7] = 0  # all tied: p = 1
    x = np.log1p(counts)
    if negative:  # scaled values: negatives, zeros and positives
        x = np.round(x - x.mean(axis=0), 1)
    matrix = csr_matrix(x.astype(np.float32)) if sparse else x.astype(np.float32)
    genes = [f"g{i}" for i in range(25)]
    return ad.AnnData(matrix, var=pd.DataFrame(index=genes))


def _scanpy(adata: ad.AnnData, labels: np.ndarray, reference: str) -> pd.DataFrame:
    adata = adata.copy()
    adata.obs["side"] = pd.Categorical(labels)
    with warnings.catch_warnings():  # scanpy's own deprecation and small-group hints
        warnings.simplefilter("ignore")
        sc.tl.rank_genes_groups(
            adata,
            "side",
            groups=["group"],
            reference=reference,
            method="wilcoxon",
            tie_correct=True,
            use_raw=False,
        )
        table: pd.DataFrame = sc.get.rank_genes_groups_df(adata, "group")
    ordered: pd.DataFrame = table.set_index("names").loc[adata.var_names]
    return ordered


@pytest.mark.parametrize(
    ("sparse", "negative"),
    [
        pytest.param(True, False, id="csr-log1p"),
        pytest.param(False, False, id="dense-log1p"),
        pytest.param(False, True, id="dense-negative"),
    ],
)
@pytest.mark.parametrize("with_reference", [False, True], ids=["vs-rest", "vs-reference"])
def test_rank_test_and_bh_match_scanpy(
    *, sparse: bool, negative: bool, with_reference: bool
) -> None:
    adata = _data(sparse=sparse, negative=negative)
    group = np.arange(adata.n_obs) < 40
    if with_reference:  # the reference: every third observation outside the group; rest neither
        comparison = ~group & (np.arange(adata.n_obs) % 3 == 0)
        labels = np.where(group, "group", np.where(comparison, "ref", "neither"))
        expected = _scanpy(adata, labels, "ref")
    else:
        comparison = ~group
        expected = _scanpy(adata, np.where(group, "group", "rest"), "rest")
    matrix = target_matrix(adata, list(adata.var_names), None)
    got = compare_group(
        matrix, list(adata.var_names), Sides(group, comparison), samples=None, min_samples=3
    )
    assert (got["method"] == RANK_METHOD).all()
    np.testing.assert_allclose(got["p_value"], expected["pvals"], rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(got["fdr"], expected["pvals_adj"], rtol=1e-10, atol=1e-300)
    if not negative:  # scanpy's fold change reads log1p values; its means are float32 sums
        np.testing.assert_allclose(got["log2_fold_change"], expected["logfoldchanges"], rtol=1e-5)
    p_values = got["p_value"].to_numpy(dtype=float)
    assert p_values[7] == 1.0
    assert p_values[3] < 1e-4


def test_auroc_and_detected_fraction_are_direct_counts() -> None:
    adata = _data(sparse=True, negative=False)
    group = np.arange(adata.n_obs) < 40
    matrix = target_matrix(adata, list(adata.var_names), None)
    got = compare_group(
        matrix, list(adata.var_names), Sides(group, ~group), samples=None, min_samples=3
    )
    x = adata.X.toarray()
    pos, neg = x[group, 3], x[~group, 3]
    direct = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert got.loc[3, "auroc"] == pytest.approx(direct / (pos.size * neg.size), rel=1e-12)
    assert got.loc[3, "detected_fraction"] == pytest.approx((pos > 0).mean())
    assert (got.n_group == 40).all()
    assert (got.n_comparison == 260).all()


def test_dense_chunks_give_the_sparse_matrix() -> None:
    dense = _data(sparse=False, negative=True)
    genes = ["g3", "g0", "g9"]
    chunked = target_matrix(dense, genes, None, chunk=7).toarray()
    np.testing.assert_array_equal(chunked, dense[:, genes].X)


def _samples_data(n_samples: int, seed: int = 2) -> tuple[ad.AnnData, np.ndarray, np.ndarray]:
    """``n_samples`` samples of 30 observations: 15 in the group (g0 higher by a sample effect)."""
    rng = np.random.default_rng(seed)
    sample = np.repeat([f"s{i}" for i in range(n_samples)], 30)
    group = np.tile(np.arange(30) < 15, n_samples)
    lam = np.full((sample.size, 5), 1.0)
    lam[group, 0] += rng.uniform(0.5, 2.5, size=n_samples).repeat(15)
    adata = ad.AnnData(
        csr_matrix(np.log1p(rng.poisson(lam)).astype(np.float32)),
        var=pd.DataFrame(index=[f"g{i}" for i in range(5)]),
    )
    return adata, sample, group


def _compare_samples(
    adata: ad.AnnData,
    sample: np.ndarray,
    group: np.ndarray,
    comparison: np.ndarray | None = None,
) -> pd.DataFrame:
    """Every gene, group against ``comparison`` (default the rest), with samples (3 a side)."""
    genes = list(adata.var_names)
    sides = Sides(group, ~group if comparison is None else comparison)
    matrix = target_matrix(adata, genes, None)
    return compare_group(matrix, genes, sides, samples=sample, min_samples=3)


def test_pseudobulk_welch_matches_scipy_on_pandas_means() -> None:
    adata, sample, group = _samples_data(n_samples=4)
    genes = list(adata.var_names)
    got = _compare_samples(adata, sample, group)
    frame = pd.DataFrame(adata.X.toarray().astype(np.float64), columns=genes).assign(
        sample=sample, group=group
    )
    means = frame.groupby(["group", "sample"]).mean()
    expected = ttest_ind(means.loc[True], means.loc[False], axis=0, equal_var=False).pvalue
    assert (got["method"] == PSEUDOBULK_METHOD).all()
    np.testing.assert_allclose(got["p_value"], expected, rtol=1e-10)
    assert (got.n_samples_group == 4).all()
    assert (got.n_samples_comparison == 4).all()


def test_too_few_samples_fall_back_to_the_rank_test() -> None:
    adata, sample, group = _samples_data(n_samples=2)
    got = _compare_samples(adata, sample, group)
    assert (got["method"] == RANK_METHOD).all()
    assert got["n_samples_group"].isna().all()


def test_small_pseudobulks_are_left_out() -> None:
    adata, sample, group = _samples_data(n_samples=4)
    few = (sample == "s0") & group  # s0 keeps only MIN_CELLS_PER_PSEUDOBULK - 1 group cells
    drop = np.flatnonzero(few)[MIN_CELLS_PER_PSEUDOBULK - 1 :]
    group = group.copy()
    group[drop] = False
    comparison = ~group & ~np.isin(np.arange(group.size), drop)
    got = _compare_samples(adata, sample, group, comparison)
    assert (got.n_samples_group == 3).all()
    assert (got.n_samples_comparison == 4).all()


def test_observations_without_a_sample_join_no_pseudobulk() -> None:
    adata, sample, group = _samples_data(n_samples=4)
    genes = list(adata.var_names)
    matrix = target_matrix(adata, genes, None)
    full = compare_group(matrix, genes, Sides(group, ~group), samples=sample, min_samples=3)
    unlabelled = sample.copy()
    unlabelled[sample == "s0"] = ""  # s0's cells lost their sample label
    got = compare_group(matrix, genes, Sides(group, ~group), samples=unlabelled, min_samples=3)
    assert (full.n_samples_group == 4).all()
    assert (got.n_samples_group == 3).all()  # not a fifth sample called "" or "nan"
    assert (got.n_samples_comparison == 3).all()
