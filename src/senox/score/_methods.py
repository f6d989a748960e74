"""The scoring methods: each is a layout rule, a kernel call per chunk and a finishing step.

``rank`` reproduces UCell (pyucell's defaults: ``max_rank=1500``, average ties, missing genes
counted at ``max_rank``, signed sets as ``max(0, up - w_neg * down)``). ``mean`` reproduces
scanpy's ``score_genes``: the mean of the program's genes minus the mean of control genes drawn
from the same expression bins (``n_bins=25``, ``ctrl_size=50`` per bin, programs' own genes
allowed as controls then removed). A program's down side is scored the same way and subtracted.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from senox.score import _kernels
from senox.score._layout import CTRL_DOWN, CTRL_UP, DOWN, UP, Layout, Slot, build_layout

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from senox.score._layout import Resolved
    from senox.score._source import CSRBlock


@dataclass(frozen=True)
class RankMethod:
    """UCell-equivalent rank scores in [0, 1]."""

    max_rank: int = 1500
    w_neg: float = 1.0
    name: str = "rank"
    reference: str = "UCell: Andreatta M & Carmona SJ, Comput Struct Biotechnol J 2021 (pyucell)"
    needs_gene_means: bool = False

    def layout(
        self,
        resolved: Sequence[Resolved],
        names: Sequence[str],
        n_vars: int,
        gene_means: NDArray[np.float64] | None,
    ) -> Layout:
        """One slot per program side; missing genes still count towards the side's size."""
        slots = []
        for p, r in enumerate(resolved):
            slots.append(Slot(p, UP, r.up, r.n_up))
            if r.n_down:
                slots.append(Slot(p, DOWN, r.down, r.n_down))
        return build_layout(slots, n_vars)

    def run_chunk(self, chunk: CSRBlock, layout: Layout) -> tuple[NDArray[np.float64], int]:
        """Rank sums and counts for a block of rows, side by side; and the bad values seen."""
        data, keys = _kernels.rankable(chunk.data)
        sums, counts, bad = _kernels.rank_sums(
            chunk.indptr,
            chunk.indices,
            data,
            keys,
            layout.slot_ptr,
            layout.slot_ids,
            layout.n_slots,
            self.max_rank,
        )
        return np.hstack([sums, counts.astype(np.float64)]), int(bad)

    def finish(
        self, partial: NDArray[np.float64], layout: Layout, n_programs: int
    ) -> NDArray[np.float64]:
        """Mann-Whitney U per slot, then up minus weighted down, clipped at 0."""
        sums, counts = partial[:, : layout.n_slots], partial[:, layout.n_slots :]
        n = np.array([s.n_named for s in layout.slots], dtype=np.float64)
        rank_sum = sums + (n - counts) * self.max_rank
        s_min, s_max = n * (n + 1) / 2.0, n * self.max_rank
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(s_max > s_min, 1.0 - (rank_sum - s_min) / (s_max - s_min), 0.0)
        scores = np.zeros((partial.shape[0], n_programs))
        for p in range(n_programs):
            up, down = layout.slot(p, UP), layout.slot(p, DOWN)
            score = u[:, up] if up is not None and layout.slots[up].n_named else 0.0
            if down is not None:
                score = score - self.w_neg * u[:, down]
            scores[:, p] = np.clip(score, 0.0, None)
        return scores


@dataclass(frozen=True)
class MeanMethod:
    """scanpy ``score_genes``-equivalent: program mean minus binned control mean."""

    ctrl_size: int = 50
    n_bins: int = 25
    random_state: int = 0
    name: str = "mean"
    reference: str = (
        "Satija R et al., Nat Biotechnol 2015 (Seurat AddModuleScore); scanpy tl.score_genes"
    )
    needs_gene_means: bool = True

    def control_genes(
        self, genes: NDArray[np.int64], bins: NDArray[np.int64], program: str
    ) -> NDArray[np.int64]:
        """Up to ``ctrl_size`` genes from each bin that ``genes`` fall in, minus ``genes``."""
        rng = np.random.default_rng([self.random_state, zlib.crc32(program.encode())])
        chosen: list[NDArray[np.int64]] = []
        for cut in np.unique(bins[genes]):
            pool = np.flatnonzero(bins == cut)
            if self.ctrl_size < len(pool):
                pool = np.sort(rng.choice(pool, size=self.ctrl_size, replace=False))
            chosen.append(pool)
        controls = np.unique(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
        return np.setdiff1d(controls, genes)

    def bins(self, gene_means: NDArray[np.float64]) -> NDArray[np.int64]:
        """Expression bins as scanpy cuts them: min-rank of the mean, integer-divided by bin size.

        Genes with a non-finite mean get bin -1 and are never controls.
        """
        finite = np.isfinite(gene_means)
        n_items = int(np.round(finite.sum() / (self.n_bins - 1)))
        ranks = pd.Series(gene_means[finite]).rank(method="min").to_numpy()
        bins = np.full(len(gene_means), -1, dtype=np.int64)
        bins[finite] = (ranks // max(n_items, 1)).astype(np.int64)
        return bins

    def layout(
        self,
        resolved: Sequence[Resolved],
        names: Sequence[str],
        n_vars: int,
        gene_means: NDArray[np.float64] | None,
    ) -> Layout:
        """Slots for each side and its controls, weighted to give means."""
        if gene_means is None:
            msg = "the mean method needs gene means"
            raise ValueError(msg)
        bins = self.bins(gene_means)
        slots = []
        for p, r in enumerate(resolved):
            for role, ctrl_role, genes in ((UP, CTRL_UP, r.up), (DOWN, CTRL_DOWN, r.down)):
                if len(genes) == 0:
                    continue
                controls = self.control_genes(genes, bins, f"{names[p]}:{role}")
                slots.append(Slot(p, role, genes, len(genes), 1.0 / len(genes)))
                if len(controls):
                    slots.append(Slot(p, ctrl_role, controls, len(controls), 1.0 / len(controls)))
        return build_layout(slots, n_vars)

    def run_chunk(self, chunk: CSRBlock, layout: Layout) -> tuple[NDArray[np.float64], int]:
        """Weighted sums (means) of every slot for a block of rows; and the bad values seen."""
        sums, bad = _kernels.weighted_sums(
            chunk.indptr,
            chunk.indices,
            chunk.data,
            layout.slot_ptr,
            layout.slot_ids,
            layout.slot_w,
            layout.n_slots,
        )
        return sums, int(bad)

    def finish(
        self, partial: NDArray[np.float64], layout: Layout, n_programs: int
    ) -> NDArray[np.float64]:
        """(up - control) - (down - control); NaN for a program with no gene in the data."""
        scores = np.full((partial.shape[0], n_programs), np.nan)
        for p in range(n_programs):
            parts = []
            for role, ctrl_role, sign in ((UP, CTRL_UP, 1.0), (DOWN, CTRL_DOWN, -1.0)):
                side = layout.slot(p, role)
                if side is None:
                    continue
                ctrl = layout.slot(p, ctrl_role)
                control = partial[:, ctrl] if ctrl is not None else 0.0
                parts.append(sign * (partial[:, side] - control))
            if parts:
                scores[:, p] = np.sum(parts, axis=0)
        return scores
