"""The one runner behind every scoring method: resolve programs, stream rows, finish, write back."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from senox import __version__
from senox._dask import client_for
from senox._errors import InputError
from senox._progress import progress_bar
from senox.io._mapping import (
    HOW,
    HUMAN_SYMBOL,
    UNMAPPED,
    guess_gene_id,
    guess_species,
    map_to_human,
)
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
#: A program is poorly covered when less than this share of its genes is in the data.
MIN_PROGRAM_COVERAGE = 0.2
#: Scoring is refused when most programs are poorly covered and less than this share of the
#: data's gene identifiers mapped to human symbols: the species or identifier type is wrong.
MIN_MAPPED_SHARE = 0.5
#: How ``senox.io`` calls each kind of gene identifier, in the plural.
_ID_KINDS = {"symbol": "symbols", "ensembl": "Ensembl IDs"}


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


@dataclass(frozen=True)
class GeneNames:
    """The gene names programs are matched against, and how they came from ``var_names``."""

    names: pd.Index
    #: Where the identifiers come from: the file ``senox.io.read`` read, or "adata.var_names".
    source: str
    #: What the identifiers were read as ("mouse symbols"), or "" when used as they are.
    read_as: str = ""
    n_mapped: int = 0
    n_genes: int = 0

    def describe(self) -> str:
        """One phrase for ``uns``: how the names were obtained."""
        if not self.read_as:
            return "var_names as given"
        return (
            f"{self.read_as} from {self.source}, {self.n_mapped:,} of {self.n_genes:,} mapped "
            "to human symbols"
        )


def human_gene_names(adata: AnnData) -> GeneNames:
    """``var_names`` as human symbols: mapped here unless they are human symbols already.

    Data read by :func:`senox.io.read` are taken as they are (that reading mapped them). Other
    ``var_names`` that look like Ensembl IDs or mouse symbols are mapped with
    :func:`senox.io.map_to_human` (unmapped ones are kept); rat or other Ensembl IDs raise its
    one-line error, which asks for an ortholog table.
    """
    read = adata.uns.get("senox_io")
    if read is not None:
        return GeneNames(
            adata.var_names, str(read["path"]), f"{read['species']} {_ID_KINDS[read['gene_id']]}",
            int(read["n_mapped"]), int(read["n_genes_in"]),
        )  # fmt: skip
    ids = adata.var_names.astype(str).tolist()
    gene_id = guess_gene_id(ids)
    species = guess_species(ids, gene_id=gene_id)
    if (species, gene_id) == ("human", "symbol"):
        return GeneNames(adata.var_names, "adata.var_names")
    try:
        mapping = map_to_human(ids, species=species, gene_id=gene_id)
    except InputError as exc:
        msg = f"adata.var_names: {exc}; in memory: senox.pp.to_human(adata, orthologs=...)"
        raise InputError(msg) from exc
    mapped = (mapping[HOW] != UNMAPPED).to_numpy()
    names = pd.Index(np.where(mapped, mapping[HUMAN_SYMBOL], ids), dtype=object)
    found = GeneNames(
        names, "adata.var_names", f"{species} {_ID_KINDS[gene_id]}", int(mapped.sum()), len(ids)
    )
    logger.info("scoring %s", found.describe())
    return found


#: How to fix identifiers of the wrong species or kind, in :func:`check_coverage`'s message.
READ_FIX = (
    "set --species and --gene-id, or give --orthologs FILE for another species (species=, "
    "gene_id=, orthologs= of senox.io.read)"
)


def check_coverage(table: pd.DataFrame, genes: GeneNames, *, fix: str = READ_FIX) -> None:
    """Refuse when most programs are poorly covered and the gene identifiers explain it.

    ``table``: per program ``n_genes`` and ``n_found``. Refused when more than half of the
    programs have less than :data:`MIN_PROGRAM_COVERAGE` of their genes in the data and less
    than :data:`MIN_MAPPED_SHARE` of the identifiers mapped to human symbols. Names used as
    given (``var_names`` that look like human symbols) are never refused here: senox cannot
    tell what they are.
    """
    share = table["n_found"] / table["n_genes"]
    poor = table[share < MIN_PROGRAM_COVERAGE]
    if not genes.read_as or 2 * len(poor) <= len(table):
        return
    mapped = genes.n_mapped / max(genes.n_genes, 1)
    if mapped >= MIN_MAPPED_SHARE:
        return
    examples = ", ".join(
        f"{name} {row.n_found}/{row.n_genes}" for name, row in poor.head(3).iterrows()
    )
    msg = (
        f"{genes.source}: {len(poor)} of {len(table)} programs have under "
        f"{MIN_PROGRAM_COVERAGE:.0%} of their genes in the data ({examples}) and only "
        f"{mapped:.0%} of its {genes.n_genes:,} gene identifiers, read as {genes.read_as}, are "
        f"known genes: the species or the kind of identifier is probably wrong; {fix}"
    )
    raise InputError(msg)


def layer_matrix(adata: AnnData, layer: str | None) -> Any:
    """``adata.layers[layer]``, or ``adata.X`` for ``None``; a missing layer is a one-line error."""
    if layer is None:
        return adata.X
    if layer not in adata.layers:
        found = ", ".join(map(repr, adata.layers.keys())) or "none"
        msg = (
            f"layer={layer!r}: no such layer in adata.layers (layers: {found}); name one of "
            "them, or layer=None for adata.X"
        )
        raise InputError(msg)
    return adata.layers[layer]


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
        Observations × genes. ``X`` may be CSR/CSC, dense, backed on disk or a Dask array.
        ``var_names`` are human HGNC symbols, or are mapped to them first (with
        :func:`senox.io.map_to_human`) when they look like Ensembl IDs or mouse symbols; rat
        and other species need an ortholog table: ``senox.io.read(..., orthologs=)`` for a
        file, :func:`senox.pp.to_human` for data in memory. ``adata`` keeps its names.
        Scoring is refused when more than half of the programs have under 20 % of their genes
        in the data and under half of the identifiers map to human symbols.
    programs
        Names from the catalogue (``senox programs list``; default: all of them), or a mapping of
        names to :class:`~senox.programs.Program` objects or gene lists (``GENE-`` marks a gene
        that goes down).
    method
        ``"rank"``: UCell scores in [0, 1] from within-cell ranks (equal to pyucell's).
        ``"mean"``: mean of the program's genes minus the mean of expression-matched control genes
        (scanpy ``score_genes``; reproducible with ``random_state``).
    layer
        Score ``adata.layers[layer]`` instead of ``adata.X`` (a layer that is not there is an
        :class:`~senox._errors.InputError` listing those that are).
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
        Method, parameters, catalogue version, per-program gene coverage and ``gene_names``
        (how the names matched against the programs were obtained).
    """
    adata = adata.copy() if copy else adata
    matrix = layer_matrix(adata, layer)
    chosen = as_programs(programs)
    genes = human_gene_names(adata)
    check_coverage(coverage(chosen, resolve(chosen, genes.names)), genes)
    options: dict[str, Any] = {"max_rank": max_rank, "w_neg": w_neg, "ctrl_size": ctrl_size,
                               "n_bins": n_bins, "random_state": random_state}  # fmt: skip
    scores, table = score_matrix(
        matrix,
        genes.names,
        chosen,
        method=method,
        chunk_size=chunk_size,
        scheduler=scheduler,
        progress=progress,
        **options,
    )
    scores.index = adata.obs_names
    params = {"method": method, "layer": layer, **options}
    write_scores(adata, scores, table, params, genes, key_added)
    return adata if copy else None


def write_scores(
    adata: AnnData,
    scores: pd.DataFrame,
    coverage_table: pd.DataFrame,
    params: dict[str, Any],
    genes: GeneNames,
    key_added: str,
) -> None:
    """Store scores where :func:`score_programs` documents them.

    ``obsm``, an ``obs`` column per program, and ``uns[key_added]["scores"]`` (parameters,
    versions, coverage, gene names).
    """
    adata.obsm[f"{key_added}_scores"] = scores
    for name in scores.columns:
        adata.obs[f"{key_added}_{name}"] = scores[name].to_numpy()
    adata.uns.setdefault(key_added, {})["scores"] = {
        "params": params,
        "catalogue_version": CATALOGUE_VERSION,
        "senox_version": __version__,
        "coverage": coverage_table.reset_index().to_dict(orient="list"),
        "gene_names": genes.describe(),
    }
