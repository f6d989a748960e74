"""Per-gene differential tests of a group against its comparison, on the target genes only.

Two tests, chosen by the design (:func:`compare_group`):

- **Wilcoxon rank-sum on observations**, normal approximation with the tie correction, two-sided:
  the statistic of ``scanpy.tl.rank_genes_groups(method="wilcoxon", tie_correct=True)``,
  computed column by column on the sparse values (zeros are one tied block, so nothing is
  densified). Bulk samples are observations.
- **Welch's t-test on pseudobulks** when the observations come from samples: the mean
  log-normalised expression of each sample's observations on each side (a sample enters a side
  with :data:`MIN_CELLS_PER_PSEUDOBULK` observations or more), tested across samples, so that
  cells of one sample are not counted as independent replicates.

Benjamini–Hochberg FDR (``scipy.stats.false_discovery_control``) runs over the genes tested for a
group. The log2 fold change is scanpy's: ``log2((expm1(mean_group) + 1e-9) /
(expm1(mean_comparison) + 1e-9))`` on log1p data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.sparse import csc_matrix, csr_matrix, issparse, vstack
from scipy.stats import false_discovery_control, mannwhitneyu, norm, rankdata, ttest_ind

from senox._progress import progress_bar
from senox.score._source import columns_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from anndata import AnnData
    from numpy.typing import NDArray

#: Rows read at a time from a dense (or backed, or Dask) matrix. A backed block is read with
#: all its genes before the target genes are kept: 20,000 rows at 1,200 values each (6 % of
#: 20,000 genes) take about 0.2 GB.
CHUNK_OBS = 20_000

#: Observations from which reading the target genes shows a progress bar (as for scoring).
PROGRESS_FROM = 50_000

#: Fewest observations of one side in a sample for the sample to give that side a pseudobulk.
#: muscat's mixed models drop samples with fewer than 10 cells (as tabulated in Table 1 of
#: PMC9487674); hdWGCNA's ``AggregatePseudobulk`` has ``min_cells = 10`` too.
MIN_CELLS_PER_PSEUDOBULK = 10

#: scanpy's pseudocount in its log fold change.
PSEUDOCOUNT = 1e-9

#: Columns of :func:`compare_group`'s table.
STAT_COLUMNS = [
    "gene",
    "method",
    "log2_fold_change",
    "auroc",
    "p_value",
    "fdr",
    "detected_fraction",
    "n_group",
    "n_comparison",
    "n_samples_group",
    "n_samples_comparison",
]

RANK_METHOD = "Wilcoxon rank-sum, tie-corrected (observations)"
PSEUDOBULK_METHOD = "Welch t-test on pseudobulks (mean log expression per sample)"


def target_matrix(
    adata: AnnData, genes: Sequence[str], layer: str | None, chunk: int = CHUNK_OBS
) -> csc_matrix:
    """Observations × ``genes`` as a float64 CSC matrix, read ``chunk`` rows at a time.

    A sparse matrix is column-sliced as it is; a dense, backed or Dask one is read in row blocks
    (:func:`senox.score._source.columns_of`) of which only the target columns are kept, so no
    observations × all-genes copy is made.
    """
    matrix = adata.X if layer is None else adata.layers[layer]
    columns = adata.var_names.get_indexer(list(genes))
    if issparse(matrix):
        return csc_matrix(matrix[:, columns], dtype=np.float64)
    targets = columns_of(matrix, columns)
    blocks = []
    show = adata.n_obs >= PROGRESS_FROM
    with progress_bar(adata.n_obs, show=show, label="reading target genes") as advance:
        for start in range(0, adata.n_obs, chunk):
            blocks.append(_float_rows(targets[start : start + chunk]))
            advance(blocks[-1].shape[0])
    return csc_matrix(vstack(blocks, format="csr")) if blocks else csc_matrix((0, len(columns)))


def _float_rows(block: Any) -> csr_matrix:
    """A sparse, dense or Dask block of rows as float64 CSR."""
    return csr_matrix(block if issparse(block) else np.asarray(block), dtype=np.float64)


@dataclass(frozen=True)
class Sides:
    """The observations of a group and of what it is compared with (disjoint masks)."""

    group: NDArray[np.bool_]
    comparison: NDArray[np.bool_]

    @property
    def sizes(self) -> tuple[int, int]:
        """Observations in the group and in the comparison."""
        return int(self.group.sum()), int(self.comparison.sum())


def _column_ranks(values: NDArray[np.float64], n: int) -> tuple[NDArray[np.float64], float]:
    """Ranks of a column's nonzero values among ``n`` values, and the rank of its zeros."""
    n_zero = n - values.size
    ranks = rankdata(values)
    ranks[values > 0] += n_zero
    return ranks, float((values < 0).sum()) + (n_zero + 1) / 2


def _tie_sum(values: NDArray[np.float64], n: int) -> float:
    """Sum of ``t**3 - t`` over the tied blocks of a column (its zeros are one block)."""
    _, counts = np.unique(values, return_counts=True)
    n_zero = float(n - values.size)
    counts = counts.astype(np.float64)
    return float((counts**3 - counts).sum() + n_zero**3 - n_zero)


@dataclass(frozen=True)
class ColumnStats:
    """Per gene: group rank sum, tie sum, sums on each side, and detected counts in the group."""

    rank_sum: NDArray[np.float64]
    tie_sum: NDArray[np.float64]
    sum_group: NDArray[np.float64]
    sum_comparison: NDArray[np.float64]
    detected: NDArray[np.float64]


def column_stats(matrix: csc_matrix, in_group: NDArray[np.bool_]) -> ColumnStats:
    """Rank statistics of each column of ``matrix`` (the tested observations only)."""
    n, n_genes = matrix.shape
    n_group = float(in_group.sum())
    out = np.zeros((5, n_genes))
    for j in range(n_genes):
        start, end = matrix.indptr[j], matrix.indptr[j + 1]
        values, rows = matrix.data[start:end], matrix.indices[start:end]
        stored = values != 0
        values, member = values[stored], in_group[rows[stored]]
        ranks, zero_rank = _column_ranks(values, n)
        out[0, j] = ranks[member].sum() + (n_group - member.sum()) * zero_rank
        out[1, j] = _tie_sum(values, n)
        out[2, j] = values[member].sum()
        out[3, j] = values[~member].sum()
        out[4, j] = (values[member] > 0).sum()
    return ColumnStats(*out)


def rank_sum_test(
    stats: ColumnStats, n_group: int, n_comparison: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two-sided p-values (normal approximation, tie-corrected) and AUROCs of each gene.

    Where every value is tied the statistic is undefined; as scanpy does, the p-value is 1.
    """
    n = float(n_group + n_comparison)
    u = stats.rank_sum - n_group * (n_group + 1) / 2
    tie = 1 - stats.tie_sum / (n**3 - n)
    sd = np.sqrt(tie * n_group * n_comparison * (n + 1) / 12)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (u - n_group * n_comparison / 2) / sd
    z = np.nan_to_num(z, nan=0.0)
    return 2 * norm.sf(np.abs(z)), u / (n_group * n_comparison)


def log2_fold_change(
    mean_group: NDArray[np.float64], mean_comparison: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Log2 fold change of log1p means as scanpy computes it (NaN where a mean is negative)."""
    group = np.expm1(mean_group) + PSEUDOCOUNT
    with np.errstate(invalid="ignore"):
        return np.asarray(np.log2(group / (np.expm1(mean_comparison) + PSEUDOCOUNT)))


def adjust(p_values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Benjamini–Hochberg adjusted p-values (an empty input gives an empty output)."""
    if p_values.size == 0:
        return p_values
    return np.asarray(false_discovery_control(p_values, method="bh"))


def _sample_means(
    matrix: csc_matrix, side: NDArray[np.bool_], samples: NDArray[np.str_]
) -> NDArray[np.float64]:
    """Mean expression per sample with enough observations on ``side`` (samples × genes).

    Observations without a sample (``""``) belong to none and are left out.
    """
    side = side & (samples != "")
    labels, codes = np.unique(samples[side], return_inverse=True)
    counts = np.bincount(codes, minlength=labels.size)
    kept = counts >= MIN_CELLS_PER_PSEUDOBULK
    rows = np.flatnonzero(side)
    indicator = csr_matrix(
        (np.ones(rows.size), (codes, rows)), shape=(labels.size, matrix.shape[0])
    )
    sums = np.asarray((indicator @ matrix).todense())
    return np.asarray(sums[kept] / counts[kept, None])


def _rank_table(matrix: csc_matrix, sides: Sides) -> pd.DataFrame:
    tested = sides.group | sides.comparison
    sub = matrix[np.flatnonzero(tested)]
    in_group = sides.group[tested]
    n_group, n_comparison = sides.sizes
    stats = column_stats(csc_matrix(sub), in_group)
    p_values, auroc = rank_sum_test(stats, n_group, n_comparison)
    return pd.DataFrame({
        "method": RANK_METHOD,
        "log2_fold_change": log2_fold_change(
            stats.sum_group / n_group, stats.sum_comparison / n_comparison
        ),
        "auroc": auroc,
        "p_value": p_values,
        "detected_fraction": stats.detected / n_group,
    })  # fmt: skip


def pseudobulks(
    matrix: csc_matrix, sides: Sides, samples: NDArray[np.str_]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Pseudobulks of the group and of the comparison (samples × genes each)."""
    return _sample_means(matrix, sides.group, samples), _sample_means(
        matrix, sides.comparison, samples
    )


def _pseudobulk_table(
    matrix: csc_matrix,
    sides: Sides,
    group: NDArray[np.float64],
    comparison: NDArray[np.float64],
) -> pd.DataFrame:
    with np.errstate(divide="ignore", invalid="ignore"):
        p_values = ttest_ind(group, comparison, axis=0, equal_var=False).pvalue
    auroc = mannwhitneyu(group, comparison, axis=0).statistic / (len(group) * len(comparison))
    detected = np.asarray((matrix[np.flatnonzero(sides.group)] > 0).sum(axis=0)).ravel()
    return pd.DataFrame({
        "method": PSEUDOBULK_METHOD,
        "log2_fold_change": log2_fold_change(group.mean(axis=0), comparison.mean(axis=0)),
        "auroc": auroc,
        "p_value": np.nan_to_num(p_values, nan=1.0),
        "detected_fraction": detected / sides.sizes[0],
        "n_samples_group": len(group),
        "n_samples_comparison": len(comparison),
    })  # fmt: skip


def compare_group(
    matrix: csc_matrix,
    genes: Sequence[str],
    sides: Sides,
    *,
    samples: NDArray[np.str_] | None,
    min_samples: int,
) -> pd.DataFrame:
    """Test every gene of ``matrix`` for one group (columns: :data:`STAT_COLUMNS`).

    Pseudobulk when ``samples`` is given and each side has ``min_samples`` pseudobulks or more;
    otherwise the rank test on observations.
    """
    table = None
    if samples is not None:
        group, comparison = pseudobulks(matrix, sides, samples)
        if min(len(group), len(comparison)) >= min_samples:
            table = _pseudobulk_table(matrix, sides, group, comparison)
    if table is None:
        table = _rank_table(matrix, sides)
    table.insert(0, "gene", list(genes))
    table["fdr"] = adjust(table["p_value"].to_numpy())
    table["n_group"], table["n_comparison"] = sides.sizes
    for column in ("n_samples_group", "n_samples_comparison"):
        table[column] = table.get(column, pd.Series(pd.NA, index=table.index)).astype("Int64")
    return table[STAT_COLUMNS]
