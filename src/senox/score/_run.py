"""The one runner behind every scoring method: resolve programs, stream rows, finish, write back."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from senox import __version__
from senox._dask import client_for
from senox._errors import InputError
from senox._progress import progress_bar
from senox.programs import CATALOGUE_VERSION, Program, select
from senox.score._layout import coverage, resolve
from senox.score._methods import MeanMethod, RankMethod
from senox.score._source import (
    as_csr_block,
    as_dask_rows,
    block_column_sums,
    column_sums,
    is_dask,
    iter_blocks,
    refuse_bad_values,
    refuse_no_expression,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from anndata import AnnData
    from numpy.typing import NDArray

    from senox.score._layout import Layout

logger = logging.getLogger(__name__)

Method = Literal["rank", "mean"]
#: Observations at or above which a progress bar is shown by default.
PROGRESS_FROM = 50_000


def make_method(
    method: str, *, max_rank: int, w_neg: float, ctrl_size: int, n_bins: int, random_state: int
) -> RankMethod | MeanMethod:
    """The method object for a method name (``rank`` or ``mean``)."""
    if method == "rank":
        return RankMethod(max_rank=max_rank, w_neg=w_neg)
    if method == "mean":
        return MeanMethod(ctrl_size=ctrl_size, n_bins=n_bins, random_state=random_state)
    msg = f"unknown scoring method '{method}'; use 'rank' (UCell-like) or 'mean' (scanpy-like)"
    raise InputError(msg)


def as_programs(
    programs: Sequence[str] | Mapping[str, Program | Sequence[str]] | None,
) -> dict[str, Program]:
    """Accept program names, a mapping of names to gene lists (``GENE-`` = down) or Programs."""
    if not isinstance(programs, Mapping):
        return select(programs)
    out = {}
    for name, value in programs.items():
        if isinstance(value, Program):
            out[name] = value
        else:
            genes = [str(g) for g in value]
            up = tuple(g.rstrip("+") for g in genes if not g.endswith("-"))
            out[name] = Program(name, up, tuple(g[:-1] for g in genes if g.endswith("-")))
    return out


def _run_dask(
    matrix: Any,
    method: RankMethod | MeanMethod,
    make_layout: Callable[[NDArray[np.float64] | None], Layout],
    scheduler: str | None,
    chunk_size: int,
) -> tuple[NDArray[np.float64], Layout]:
    """Score block by block on the local Dask scheduler or a ``dask.distributed`` one.

    A matrix that is not a Dask array (only with a scheduler) is sent in ``chunk_size`` rows.
    """
    import dask

    client = client_for(scheduler)
    with client if client is not None else nullcontext():
        rows = matrix if is_dask(matrix) else as_dask_rows(matrix, chunk_size)
        blocks = rows.rechunk({1: -1}).to_delayed().ravel()
        compute, delayed = dask.compute, dask.delayed
        gene_means = None
        if method.needs_gene_means:
            sums = compute(*[delayed(_block_column_sums)(b) for b in blocks])
            refuse_bad_values(sum(bad for _, bad in sums))
            gene_means = np.sum([s for s, _ in sums], axis=0) / matrix.shape[0]
        layout = make_layout(gene_means)
        parts = compute(*[delayed(_block_partial)(method, b, layout) for b in blocks])
    refuse_bad_values(sum(bad for _, bad, _ in parts))
    refuse_no_expression(has_values=any(has for _, _, has in parts))
    return np.vstack([part for part, _, _ in parts]), layout


def _block_column_sums(block: Any) -> tuple[NDArray[np.float64], int]:
    return block_column_sums(as_csr_block(block), block.shape[1])


def _block_partial(
    method: RankMethod | MeanMethod, block: Any, layout: Layout
) -> tuple[NDArray[np.float64], int, bool]:
    """The method's partial result for a block, its bad values, and whether any is non-zero."""
    rows = as_csr_block(block)
    return (*method.run_chunk(rows, layout), rows.has_values)


def score_matrix(
    matrix: Any,
    var_names: Sequence[str] | pd.Index,
    programs: Mapping[str, Program],
    *,
    method: str = "rank",
    max_rank: int = 1500,
    w_neg: float = 1.0,
    ctrl_size: int = 50,
    n_bins: int = 25,
    random_state: int = 0,
    chunk_size: int = 20_000,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every program for every row of ``matrix`` in one pass; return (scores, coverage).

    ``scores`` has one column per program (rows in the matrix's order, a default index);
    ``coverage`` says per program how many of its genes were found.
    """
    var_index = pd.Index(var_names)
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        shape = f"{matrix.shape[0]} observations x {matrix.shape[1]} genes"
        msg = f"the expression matrix is empty ({shape}); nothing to score"
        raise InputError(msg)
    if matrix.shape[1] != len(var_index):
        msg = f"the matrix has {matrix.shape[1]} columns but {len(var_index)} gene names were given"
        raise InputError(msg)
    scorer = make_method(
        method,
        max_rank=max_rank,
        w_neg=w_neg,
        ctrl_size=ctrl_size,
        n_bins=n_bins,
        random_state=random_state,
    )
    resolved = resolve(programs, var_index)
    names = list(programs)

    def make_layout(gene_means: NDArray[np.float64] | None) -> Layout:
        return scorer.layout(resolved, names, len(var_index), gene_means)

    if is_dask(matrix) or scheduler is not None:
        partial, layout = _run_dask(matrix, scorer, make_layout, scheduler, chunk_size)
    else:
        gene_means = (
            column_sums(matrix, chunk_size) / matrix.shape[0] if scorer.needs_gene_means else None
        )
        layout = make_layout(gene_means)
        parts, n_bad, has_values = [], 0, False
        show = progress if progress is not None else matrix.shape[0] >= PROGRESS_FROM
        with progress_bar(matrix.shape[0], show=show, label=f"scoring ({scorer.name})") as advance:
            for _, block in iter_blocks(matrix, chunk_size):
                part, bad = scorer.run_chunk(block, layout)
                parts.append(part)
                n_bad += bad
                has_values = has_values or block.has_values
                advance(block.n_rows)
        refuse_bad_values(n_bad)
        refuse_no_expression(has_values=has_values)
        partial = np.vstack(parts)
    scores = pd.DataFrame(scorer.finish(partial, layout, len(names)), columns=names)
    table = coverage(programs, resolved)
    for name in table.index[table["n_found"] == 0]:
        logger.warning(
            "program %r: none of its %d genes is in the data; its score is empty",
            name,
            table.loc[name, "n_genes"],
        )
    return scores, table


def score_programs(
    adata: AnnData,
    programs: Sequence[str] | Mapping[str, Program | Sequence[str]] | None = None,
    *,
    method: Method = "rank",
    layer: str | None = None,
    key_added: str = "senox",
    copy: bool = False,
    max_rank: int = 1500,
    w_neg: float = 1.0,
    ctrl_size: int = 50,
    n_bins: int = 25,
    random_state: int = 0,
    chunk_size: int = 20_000,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> AnnData | None:
    """Score redox–senescence gene programs for every observation, all programs in one pass.

    Parameters
    ----------
    adata
        Observations × genes, with human HGNC symbols as ``var_names`` (``senox.io.read`` maps
        Ensembl IDs and mouse genes). ``X`` may be CSR/CSC, dense, backed on disk or a Dask array.
    programs
        Names from the catalogue (``senox programs list``; default: all of them), or a mapping of
        names to :class:`~senox.programs.Program` objects or gene lists (``GENE-`` marks a gene
        that goes down).
    method
        ``"rank"``: UCell scores in [0, 1] from within-cell ranks (equal to pyucell's).
        ``"mean"``: mean of the program's genes minus the mean of expression-matched control genes
        (scanpy ``score_genes``; reproducible with ``random_state``).
    layer
        Score ``adata.layers[layer]`` instead of ``adata.X``.
    key_added
        Prefix of the fields written.
    copy
        Return a scored copy instead of writing into ``adata``.
    max_rank, w_neg
        ``rank``: ranks beyond ``max_rank`` count as ``max_rank``; down genes weigh ``w_neg``.
    ctrl_size, n_bins, random_state
        ``mean``: control genes per expression bin, number of bins, seed of the control draw.
    chunk_size
        Observations per block: memory stays bounded by one block of rows.
    scheduler
        Address of a ``dask.distributed`` scheduler to score on (e.g. ``tcp://host:8786``): a
        Dask ``X`` block by block, an in-memory one in blocks of ``chunk_size`` rows. A malformed
        or unknown address, one that does not answer within 5 s, or a backed ``X`` is refused.
    progress
        Show a progress bar (default: from 50,000 observations).

    Returns
    -------
    ``None``, or the scored copy when ``copy=True``. Sets:

    ``adata.obsm[f"{key_added}_scores"]`` : DataFrame
        Observations × programs.
    ``adata.obs[f"{key_added}_{program}"]`` : float
        The same scores, one column per program (for plotting).
    ``adata.uns[key_added]["scores"]`` : dict
        Method, parameters, catalogue version and per-program gene coverage.
    """
    adata = adata.copy() if copy else adata
    chosen = as_programs(programs)
    matrix = adata.layers[layer] if layer is not None else adata.X
    options: dict[str, Any] = {"max_rank": max_rank, "w_neg": w_neg, "ctrl_size": ctrl_size,
                               "n_bins": n_bins, "random_state": random_state}  # fmt: skip
    scores, table = score_matrix(
        matrix,
        adata.var_names,
        chosen,
        method=method,
        chunk_size=chunk_size,
        scheduler=scheduler,
        progress=progress,
        **options,
    )
    scores.index = adata.obs_names
    adata.obsm[f"{key_added}_scores"] = scores
    for name in scores.columns:
        adata.obs[f"{key_added}_{name}"] = scores[name].to_numpy()
    params = {"method": method, "layer": layer, **options}
    uns = adata.uns.setdefault(key_added, {})
    uns["scores"] = {
        "params": params,
        "catalogue_version": CATALOGUE_VERSION,
        "senox_version": __version__,
        "coverage": table.reset_index().to_dict(orient="list"),
    }
    return adata if copy else None
