"""Everything ``call_states`` reads from the matrix, in as few passes over its rows as possible.

A backed matrix (``senox run --backed``) re-reads and log-normalises every row on each pass, so
the state calls read it once for all they need: which rows hold values, every gene's sum (the
``mean`` method's expression bins), the biomarker panel, and every rank-method scoring (the
programs over all genes, and again without the cycle-only genes). Scorings by the ``mean``
method pick control genes from the bins, so they take a second pass, which runs only when one
is asked for (``method="mean"``, or the cell-cycle score when the cycling mixture is not
supported).

Each block is scored by the same kernels and finished by the same steps as
:func:`senox.score.score_matrix`, row by row, so the scores are the same to the last bit; only
a block's finished scores are kept, not its partial sums, so memory stays bounded by a block
plus a few columns per row.

A Dask matrix (``senox run --scheduler``: each worker reads its own rows from the file) is read
by Dask, a block of rows a task, on the scheduler in use (a ``distributed.Client`` entered as a
context runs them on its cluster); the blocks' results are put together in row order.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from senox._progress import progress_bar
from senox.score._layout import coverage, resolve
from senox.score._run import PROGRESS_FROM, make_method
from senox.score._source import (
    CSRBlock,
    as_csr_block,
    block_column_sums,
    is_dask,
    iter_blocks,
    refuse_bad_values,
    refuse_no_expression,
    rows_with_values,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import NDArray

    from senox.programs import Program
    from senox.score._layout import Layout
    from senox.score._methods import MeanMethod, RankMethod

#: Rows read at a time (``score_matrix``'s default, so that column sums add up in its order).
CHUNK_ROWS = 20_000


@dataclass
class Scoring:
    """``programs`` scored on some ``columns`` of the matrix (``None``: all), block by block.

    ``names``: the scored columns' gene names (human symbols). The method's default
    parameters are ``score_matrix``'s.
    """

    programs: Mapping[str, Program]
    names: pd.Index
    columns: NDArray[np.int64] | None
    method: str
    scorer: RankMethod | MeanMethod = field(init=False)
    layout: Layout | None = field(init=False, default=None)
    blocks: list[NDArray[np.float64]] = field(init=False, default_factory=list)
    n_bad: int = field(init=False, default=0)
    has_values: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.scorer = make_method(
            self.method, max_rank=1500, w_neg=1.0, ctrl_size=50, n_bins=25, random_state=0
        )
        self.resolved = resolve(self.programs, self.names)

    @property
    def needs_gene_means(self) -> bool:
        """Whether the layout waits for every gene's mean (a first pass)."""
        return self.scorer.needs_gene_means

    def lay_out(self, gene_means: NDArray[np.float64] | None) -> None:
        """Build the layout; ``gene_means`` are over every column of the matrix."""
        means = None
        if gene_means is not None:
            means = gene_means if self.columns is None else gene_means[self.columns]
        self.layout = self.scorer.layout(self.resolved, list(self.programs), len(self.names), means)

    def add(self, block: CSRBlock, n_cols: int) -> None:
        """Score one block of rows (of the whole matrix) and keep its finished scores."""
        if self.layout is None:
            msg = "Scoring.add before lay_out"
            raise RuntimeError(msg)
        if self.columns is not None:
            block = as_csr_block(block.as_matrix(n_cols)[:, self.columns])
        part, bad = self.scorer.run_chunk(block, self.layout)
        self.blocks.append(self.scorer.finish(part, self.layout, len(self.programs)))
        self.n_bad += bad
        self.has_values = self.has_values or block.has_values

    def scores(self, obs_names: pd.Index) -> pd.DataFrame:
        """The scores (refusing bad values or a matrix without any, as ``score_matrix`` does)."""
        refuse_bad_values(self.n_bad)
        refuse_no_expression(has_values=self.has_values)
        return pd.DataFrame(np.vstack(self.blocks), index=obs_names, columns=list(self.programs))

    def coverage(self) -> pd.DataFrame:
        """Per program: genes named and found (``senox.score``'s coverage table)."""
        return coverage(self.programs, self.resolved)

    def emptied(self) -> Scoring:
        """The same scoring, laid out alike, with nothing scored yet (for one block's task)."""
        new = copy.copy(self)
        new.blocks, new.n_bad, new.has_values = [], 0, False
        return new

    def take(self, part: Scoring) -> None:
        """Append what ``part`` (an :meth:`emptied` copy) scored on the rows that follow."""
        self.blocks += part.blocks
        self.n_bad += part.n_bad
        self.has_values = self.has_values or part.has_values


@dataclass
class FirstPass:
    """What the first pass found besides its scorings."""

    #: Whether each row holds any non-zero value.
    with_values: NDArray[np.bool_]
    #: Every column's sum, added block by block as ``score_matrix`` adds them.
    column_sums: NDArray[np.float64]
    #: Negative or non-finite values seen (left out of the sums).
    n_bad: int
    #: The values of the ``panel`` columns asked for, rows × columns.
    panel: NDArray[Any]

    def gene_means(self) -> NDArray[np.float64]:
        """Every column's mean, refusing negative or non-finite values as ``score_matrix`` does."""
        refuse_bad_values(self.n_bad)
        return self.column_sums / len(self.with_values)


def first_pass(
    matrix: Any,
    scorings: Sequence[Scoring],
    panel_columns: NDArray[np.int64],
    label: str = "calling states",
) -> FirstPass:
    """One pass: rows with values, column sums, the panel's columns, and the given scorings.

    Every scoring given must be laid out already (rank scorings need no gene means).
    """
    if is_dask(matrix):
        return _first_pass_dask(matrix, scorings, panel_columns)
    n_obs, n_cols = matrix.shape
    with_values = np.zeros(n_obs, dtype=bool)
    sums = np.zeros(n_cols, dtype=np.float64)
    n_bad, panel = 0, []
    with progress_bar(n_obs, show=n_obs >= PROGRESS_FROM, label=label) as advance:
        for start, block in iter_blocks(matrix, CHUNK_ROWS):
            rows = block.as_matrix(n_cols)
            with_values[start : start + block.n_rows] = rows_with_values(rows, block.n_rows)
            block_sums, bad = block_column_sums(block, n_cols)
            sums += block_sums
            n_bad += bad
            panel.append(rows[:, panel_columns].toarray())
            for scoring in scorings:
                scoring.add(block, n_cols)
            advance(block.n_rows)
    values = np.vstack(panel) if panel else np.zeros((0, len(panel_columns)))
    return FirstPass(with_values, sums, n_bad, values)


def scoring_pass(
    matrix: Any, scorings: Sequence[Scoring], label: str = "calling states (mean method)"
) -> None:
    """A second pass for scorings that needed the gene means (laid out already)."""
    if is_dask(matrix):
        _first_pass_dask(matrix, scorings, np.zeros(0, dtype=np.int64))
        return
    n_obs, n_cols = matrix.shape
    with progress_bar(n_obs, show=n_obs >= PROGRESS_FROM, label=label) as advance:
        for _, block in iter_blocks(matrix, CHUNK_ROWS):
            for scoring in scorings:
                scoring.add(block, n_cols)
            advance(block.n_rows)


def _first_pass_dask(
    matrix: Any, scorings: Sequence[Scoring], panel_columns: NDArray[np.int64]
) -> FirstPass:
    """:func:`first_pass` with Dask, a task per block of rows; ``scorings`` get every block."""
    import dask

    blocks = matrix.rechunk({1: -1}).to_delayed().ravel()
    tasks = [
        dask.delayed(_block_pass)(block, [s.emptied() for s in scorings], panel_columns)
        for block in blocks
    ]
    parts = dask.compute(*tasks)
    sums = np.zeros(matrix.shape[1], dtype=np.float64)
    for found, _ in parts:
        sums += found.column_sums  # in row order, as the serial pass adds its blocks
    for i, scoring in enumerate(scorings):
        for _, done in parts:
            scoring.take(done[i])
    return FirstPass(
        np.concatenate([found.with_values for found, _ in parts]),
        sums,
        sum(found.n_bad for found, _ in parts),
        np.vstack([found.panel for found, _ in parts]),
    )


def _block_pass(
    block: Any, scorings: list[Scoring], panel_columns: NDArray[np.int64]
) -> tuple[FirstPass, list[Scoring]]:
    """One Dask block's first pass (on a worker): its findings and its scorings' results."""
    return first_pass(block, scorings, panel_columns), scorings
