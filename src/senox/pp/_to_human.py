"""``to_human``: mouse, rat or Ensembl ``var_names`` of an AnnData → approved human symbols."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from senox._errors import InputError
from senox.io._mapping import HOW, UNMAPPED, guess_gene_id, guess_species, map_to_human
from senox.io._read import _merge_genes, _ortholog_source, _stored, _var_names
from senox.programs import catalogue
from senox.score._run import GeneNames, check_coverage

if TYPE_CHECKING:
    from pathlib import Path

    from anndata import AnnData

logger = logging.getLogger(__name__)

#: The fix named when the identifiers do not look like the species they were read as.
_FIX = "pass species= (human, mouse, rat, other), or orthologs= for rat and other species"


def _how(matrix: Any) -> Literal["sum", "mean"]:
    """``sum`` for raw counts (every stored value a non-negative integer), else ``mean``."""
    values = _stored(matrix)
    counts = bool(np.all(values >= 0) and np.all(np.mod(values, 1) == 0))
    return "sum" if counts else "mean"


def _program_coverage(names: pd.Index) -> pd.DataFrame:
    """Per catalogue program: genes named (``n_genes``) and among ``names`` (``n_found``)."""
    present = set(names)
    programs = catalogue()
    return pd.DataFrame(
        {
            "n_genes": [len(p.genes) for p in programs.values()],
            "n_found": [len(present.intersection(p.genes)) for p in programs.values()],
        },
        index=pd.Index(list(programs), name="program"),
    )


def to_human(
    adata: AnnData,
    *,
    species: Literal["human", "mouse", "rat", "other"] | None = None,
    orthologs: str | Path | pd.DataFrame | None = None,
    copy: bool = False,
) -> AnnData | None:
    """Rename ``var_names`` to approved human symbols, merging genes that map to one symbol.

    The mapping is :func:`senox.io.map_to_human`'s, the one :func:`senox.io.read` applies to
    files: HGNC for human symbols (previous symbols and aliases of one gene become the approved
    symbol) and human Ensembl IDs, HCOP orthologs for mouse symbols and Ensembl IDs, and a
    user's ortholog table for any other species. Genes that map nowhere keep their name.

    Parameters
    ----------
    adata
        Observations × genes, ``X`` in memory (log-normalised, or counts) with any layers.
    species
        The species of ``var_names``; ``None`` guesses it from them (Ensembl prefixes, or which
        species' symbols match more of them; rat symbols read as mouse ones).
    orthologs
        A table of human orthologs (a file or a DataFrame, read as by
        :func:`senox.io.ortholog_lookup`), needed for rat and other species: every name is
        then mapped through it alone.
    copy
        Return a mapped copy instead of changing ``adata``.

    Returns
    -------
    ``None``, or the mapped copy when ``copy=True``. Changes:

    ``adata.var_names``
        Approved human symbols where mapped, the input name otherwise; one per symbol.
    ``adata.X`` and every ``adata.layers[...]``
        Genes mapping to one symbol merged: a matrix of counts (every stored value a
        non-negative integer, e.g. ``layers["counts"]``) is summed, any other (log-normalised
        ``X``) averaged, as :func:`senox.io.read` does.
    ``adata.var``
        The first merged gene's row for each symbol (so are ``varm`` and ``varp``), plus
        ``original_id`` (the input names, ``|``-joined where merged) and ``mapping`` (how
        each was mapped, see :func:`senox.io.map_to_human`).
    ``adata.uns["senox"]["to_human"]`` : dict
        ``species``, ``gene_id``, ``n_genes_in``, ``n_genes_out``, ``n_mapped``, ``n_aggregated``.

    ``adata.raw``, ``obs``, ``obsm`` and ``obsp`` are left as they are.

    Raises
    ------
    ~senox._errors.InputError
        When ``X`` is backed on disk; for rat or other species without ``orthologs``; and
        when more than half of senox's programs have under 20 % of their genes among the
        mapped names while under half of the names mapped to human symbols (the species or the
        kind of identifier is wrong; scoring would give empty scores).

    Examples
    --------
    >>> import anndata as ad, numpy as np, pandas as pd
    >>> mouse = ad.AnnData(np.ones((2, 3), dtype=np.float32),
    ...                    var=pd.DataFrame(index=["Cdkn2a", "Cxcl1", "Gm12345"]))
    >>> to_human(mouse, species="mouse")
    >>> mouse.var_names.tolist(), mouse.var["mapping"].tolist()
    (['CDKN2A', 'CXCL1', 'Gm12345'], ['ortholog', 'ortholog', 'unmapped'])
    """
    if adata.isbacked:
        msg = (
            "adata is backed on disk: to_human needs X in memory; load it (adata.to_memory()) "
            "or read the file with senox.io.read, which maps the names as it reads"
        )
        raise InputError(msg)
    lookup = None if orthologs is None else _ortholog_source(orthologs)
    ids = adata.var_names.astype(str).tolist()
    gene_id = guess_gene_id(ids)
    organism = species or ("other" if lookup is not None else guess_species(ids, gene_id=gene_id))
    try:
        mapping = map_to_human(ids, species=species or "auto", orthologs=lookup)
    except InputError as exc:
        msg = f"adata.var_names: {exc}"
        raise InputError(msg) from exc
    names = pd.Index(_var_names(mapping), dtype=object)
    n_mapped = int((mapping[HOW] != UNMAPPED).sum())
    kind = "Ensembl IDs" if gene_id == "ensembl" else "symbols"
    found = GeneNames(names, "adata.var_names", f"{organism} {kind}", n_mapped, len(ids))
    check_coverage(_program_coverage(names), found, fix=_FIX)
    adata = adata.copy() if copy else adata
    _apply(adata, mapping)
    adata.uns.setdefault("senox", {})["to_human"] = {
        "species": organism,
        "gene_id": gene_id,
        "n_genes_in": len(ids),
        "n_genes_out": adata.n_vars,
        "n_mapped": n_mapped,
        "n_aggregated": int((names.value_counts() > 1).sum()),
    }
    logger.info("adata.var_names: %s", found.describe())
    return adata if copy else None


def _apply(adata: AnnData, mapping: pd.DataFrame) -> None:
    """Rename and merge the genes of ``adata`` in place, as ``mapping`` says."""
    x, var = _merge_genes(adata.X, mapping, how=_how(adata.X))
    if len(var) < adata.n_vars:
        layers = {k: _merge_genes(v, mapping, how=_how(v))[0] for k, v in adata.layers.items()}
        codes, _ = pd.factorize(_var_names(mapping))
        adata._inplace_subset_var(np.unique(codes, return_index=True)[1])
        adata.X = x
        for key, value in layers.items():
            adata.layers[key] = value
    adata.var_names = var.index
    for column in var.columns:
        adata.var[column] = var[column].to_numpy()
