"""Map gene identifiers (human or mouse; symbols or Ensembl IDs) to approved human symbols.

The tables shipped in ``senox/data/genes`` are used (see ``PROVENANCE.md`` there): the HGNC
complete set for human identifiers and HCOP orthologs for mouse ones. Any other species (rat:
Ensembl IDs ``ENSRNOG…``) needs a table of human orthologs from the user (:func:`ortholog_lookup`).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from senox._errors import InputError
from senox.io._genes import hgnc_table, mouse_ortholog_table

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

Species = Literal["human", "mouse", "rat", "other"]
SpeciesOption = Literal["auto", "human", "mouse", "rat", "other"]
GeneId = Literal["symbol", "ensembl"]

#: Columns of :func:`map_to_human`'s result.
ORIGINAL_ID, HUMAN_SYMBOL, HOW = "original_id", "human_symbol", "how"
#: Values of the ``how`` column.
APPROVED, PREVIOUS, ALIAS, ENSEMBL, ORTHOLOG, ORTHOLOG_TABLE, UNMAPPED = (
    "approved",
    "previous symbol",
    "alias",
    "ensembl",
    "ortholog",
    "ortholog table",
    "unmapped",
)

#: The start of an Ensembl gene ID of any species (ENSG human, ENSMUSG mouse, ENSRNOG rat).
ENSEMBL_PATTERN = r"^ENS[A-Z]*G\d+"
#: Ensembl gene-ID prefixes of the species senox tells apart; others count as ``"other"``.
_ENSEMBL_PREFIXES: dict[Species, str] = {
    "human": r"^ENSG\d",
    "mouse": r"^ENSMUSG\d",
    "rat": r"^ENSRNOG\d",
}
#: An Ensembl gene ID followed by a version (``.18``) or another suffix (``.5_PAR_Y``).
_SUFFIXED_ENSEMBL = r"^(ENS[A-Z]*G\d+)\..*$"


def _as_series(ids: Sequence[str]) -> pd.Series[str]:
    return pd.Series(list(ids), dtype=object).astype(str).str.strip()


def _unversioned(ids: pd.Series[str]) -> pd.Series[str]:
    """Identifiers without an Ensembl version suffix (``ENSG00000147889.18`` → ``ENSG…889``)."""
    return ids.str.replace(_SUFFIXED_ENSEMBL, r"\1", regex=True)


def guess_gene_id(ids: Sequence[str]) -> GeneId:
    """Say whether identifiers are Ensembl gene IDs (more than half match) or symbols.

    >>> guess_gene_id(["ENSG00000147889.18", "ENSG00000124762"])
    'ensembl'
    """
    series = _as_series(ids)
    share = series.str.match(ENSEMBL_PATTERN).mean() if len(series) else 0.0
    return "ensembl" if share > 0.5 else "symbol"


def guess_species(ids: Sequence[str], *, gene_id: GeneId) -> Species:
    """Say which species identifiers come from: the one most of them fit; ties go to human.

    Ensembl IDs are counted by prefix (``ENSG`` human, ``ENSMUSG`` mouse, ``ENSRNOG`` rat, any
    other ``ENS…G`` prefix ``"other"``). Symbols are counted by exact matches among HGNC
    approved symbols and among the mouse symbols of the ortholog table, so rat symbols, which
    are spelled like mouse ones, count as mouse.

    >>> guess_species(["Cdkn2a", "Trp53", "Il6"], gene_id="symbol")
    'mouse'
    >>> guess_species(["ENSRNOG00000012345", "ENSRNOG00000054321"], gene_id="ensembl")
    'rat'
    """
    series = _as_series(ids)
    counts: dict[Species, int]
    if gene_id == "ensembl":
        counts = {name: int(series.str.match(p).sum()) for name, p in _ENSEMBL_PREFIXES.items()}
        counts["other"] = int(series.str.match(ENSEMBL_PATTERN).sum()) - sum(counts.values())
    else:
        counts = {
            "human": int(series.isin(hgnc_table()["symbol"]).sum()),
            "mouse": int(series.isin(mouse_ortholog_table()["mouse_symbol"]).sum()),
        }
    return max(counts, key=lambda name: counts[name])


@cache
def _human_symbol_lookup() -> pd.DataFrame:
    """Upper-cased human symbol → (approved symbol, how), one row per key.

    Approved symbols come first; then previous symbols of exactly one approved gene; then
    aliases of exactly one approved gene that are neither approved nor previous symbols.
    """
    table = hgnc_table()
    approved = pd.DataFrame({HUMAN_SYMBOL: table["symbol"], HOW: APPROVED}).set_index(
        table["symbol"].str.upper()
    )
    previous = _unique_retired(table, "prev_symbols", PREVIOUS)
    alias = _unique_retired(table, "alias_symbols", ALIAS)
    taken = approved.index.union(_all_retired(table, "prev_symbols"))
    previous = previous[~previous.index.isin(approved.index)]
    alias = alias[~alias.index.isin(taken)]
    return pd.concat([approved, previous, alias])


def _all_retired(table: pd.DataFrame, column: str) -> pd.Index[str]:
    """Every upper-cased symbol listed in ``column`` (``|``-separated) of the HGNC table."""
    listed = table[column].str.split("|").explode()
    symbols: pd.Index[str] = pd.Index(listed[listed != ""].str.upper().unique(), dtype=object)
    return symbols


def _unique_retired(table: pd.DataFrame, column: str, how: str) -> pd.DataFrame:
    """Symbols listed in ``column`` that belong to exactly one approved gene."""
    pairs = table[["symbol", column]].assign(key=table[column].str.split("|")).explode("key")
    pairs = pairs[pairs["key"] != ""].assign(key=lambda frame: frame["key"].str.upper())
    pairs = pairs.drop_duplicates(["key", "symbol"])
    unique = pairs[~pairs["key"].duplicated(keep=False)]
    return pd.DataFrame({HUMAN_SYMBOL: unique["symbol"].to_numpy(), HOW: how}, index=unique["key"])


@cache
def _human_ensembl_lookup() -> pd.Series[str]:
    """ENSG ID → approved symbol; the few IDs HGNC gives to two genes are left out."""
    table = hgnc_table()
    table = table[table["ensembl_gene_id"] != ""]
    table = table[~table["ensembl_gene_id"].duplicated(keep=False)]
    return pd.Series(table["symbol"].to_numpy(), index=table["ensembl_gene_id"])


@cache
def _mouse_lookup(key: Literal["mouse_symbol", "mouse_ensembl_gene_id"]) -> pd.Series[str]:
    """Mouse symbol or ENSMUSG ID → one human symbol.

    The human candidate spelled like the upper-cased mouse symbol wins (Cxcl1 → CXCL1), then
    the one most resources support, then the alphabetically first.
    """
    table = mouse_ortholog_table()
    table = table[table[key] != ""].assign(
        same=table[HUMAN_SYMBOL] == table["mouse_symbol"].str.upper()
    )
    return _best_per_key(table, key, {"same": False, "n_support": False, HUMAN_SYMBOL: True})


def _best_per_key(pairs: pd.DataFrame, key: str, order: dict[str, bool]) -> pd.Series[str]:
    """``key`` → the human symbol of its first pair, sorted by ``order`` (column → ascending)."""
    best = pairs.sort_values([key, *order], ascending=[True, *order.values()])
    best = best.drop_duplicates(key)
    return pd.Series(best[HUMAN_SYMBOL].to_numpy(), index=best[key])


def ortholog_lookup(table: pd.DataFrame) -> pd.Series[str]:
    """A user's ortholog table as source gene → one approved human symbol.

    ``table`` holds one row per (source gene, human gene) pair, of any species. The human genes
    are in the first column whose name starts with ``human`` (as in Ensembl BioMart's
    ``human_ensembl_gene``), else in the second column; they may be symbols or Ensembl IDs. The
    source genes (symbols or Ensembl IDs, versions ignored) are in the first other column.
    Where a source gene has several human candidates, a one-to-one ortholog wins (a
    ``homology_type`` column of ``ortholog_one2one``), then a high ``confidence`` (a number),
    then the human gene spelled like the upper-cased source gene, then the alphabetically
    first. Rows whose human gene is unknown to HGNC are left out.

    Raises :class:`~senox._errors.InputError` for a table of one column, or one whose human
    column holds no gene HGNC knows.
    """
    columns = [str(column) for column in table.columns]
    if len(columns) < 2:
        msg = (
            f"the ortholog table has {len(columns)} column; it needs two: the source genes, "
            "then their human symbols or Ensembl IDs (under a header row)"
        )
        raise InputError(msg)
    frame = table.set_axis(columns, axis=1).astype(object).fillna("").astype(str)
    human = next((c for c in columns if c.lower().startswith("human")), columns[1])
    source = next(c for c in columns if c != human)
    pairs = pd.DataFrame(
        {
            "source": _unversioned(_as_series(frame[source].tolist())).to_numpy(),
            HUMAN_SYMBOL: map_to_human(frame[human].tolist(), species="human")[HUMAN_SYMBOL],
            "one2one": frame.get("homology_type", pd.Series("", index=frame.index))
            == "ortholog_one2one",
            "confidence": pd.to_numeric(frame.get("confidence", 0), errors="coerce"),
        }
    )
    pairs = pairs[(pairs["source"] != "") & (pairs[HUMAN_SYMBOL] != "")]
    if pairs.empty:
        msg = (
            f"column {human!r} of the ortholog table holds no human gene HGNC knows (e.g. "
            f"{', '.join(map(repr, frame[human].head(3)))}); put the human symbols or Ensembl IDs "
            "in a column named human_… or in the second column"
        )
        raise InputError(msg)
    pairs = pairs.assign(same=pairs[HUMAN_SYMBOL] == pairs["source"].str.upper())
    order = {"one2one": False, "confidence": False, "same": False, HUMAN_SYMBOL: True}
    return _best_per_key(pairs, "source", order)


def _map_human_symbols(ids: pd.Series[str]) -> pd.DataFrame:
    found = _human_symbol_lookup().reindex(ids.str.upper())
    return pd.DataFrame(
        {
            HUMAN_SYMBOL: found[HUMAN_SYMBOL].fillna("").to_numpy(),
            HOW: found[HOW].fillna(UNMAPPED).to_numpy(),
        }
    )


def _map_by(ids: pd.Series[str], lookup: pd.Series[str], how: str) -> pd.DataFrame:
    symbols = lookup.reindex(ids)
    return pd.DataFrame(
        {
            HUMAN_SYMBOL: symbols.fillna("").to_numpy(),
            HOW: np.where(symbols.notna(), how, UNMAPPED),
        }
    )


def map_to_human(
    ids: Sequence[str],
    *,
    species: SpeciesOption = "auto",
    gene_id: Literal["auto", "symbol", "ensembl"] = "auto",
    orthologs: pd.Series[str] | None = None,
) -> pd.DataFrame:
    """Map gene identifiers to approved human HGNC symbols, one row per input, in input order.

    Parameters
    ----------
    ids
        Gene identifiers of one species. Surrounding white space is ignored, and so is an
        Ensembl version suffix (``ENSG00000147889.18``).
    species
        ``"auto"`` guesses it with :func:`guess_species` (for each kind of identifier on its
        own when they are mixed). senox ships ortholog tables for mouse only: ``"rat"`` and
        ``"other"`` (guessed from Ensembl IDs such as ``ENSRNOG…``) need ``orthologs``.
    gene_id
        ``"auto"`` maps what looks like an Ensembl gene ID as one and everything else as a
        symbol, so a list that mixes the two kinds is mapped whole (see
        :func:`count_gene_id_kinds`); ``"symbol"`` or ``"ensembl"`` maps every identifier as
        that kind.
    orthologs
        A user's ortholog table as built by :func:`ortholog_lookup`. When given, every
        identifier is mapped through it alone, and ``species`` and ``gene_id`` are not used.

    Returns
    -------
    A DataFrame with columns ``original_id`` (the input), ``human_symbol`` (empty string when
    unmapped) and ``how``, one of:

    - ``"approved"``: a human symbol that is approved (matched case-insensitively);
    - ``"previous symbol"``: a human previous symbol of exactly one approved gene
      (MLF1IP → CENPU, IL8 → CXCL8);
    - ``"alias"``: a human alias of exactly one approved gene that is neither an approved nor a
      previous symbol;
    - ``"ensembl"``: a human Ensembl ID of exactly one approved gene;
    - ``"ortholog"``: a mouse symbol or Ensembl ID with an HCOP ortholog. Among several human
      candidates, the one spelled like the upper-cased mouse symbol wins (Cxcl1 → CXCL1), then
      the best supported, then the alphabetically first;
    - ``"ortholog table"``: an identifier found in ``orthologs``;
    - ``"unmapped"``: anything else.

    Raises
    ------
    ~senox._errors.InputError
        For identifiers of a species senox ships no ortholog table for (rat, other), without
        ``orthologs``. The message names no file: callers put theirs in front.

    Examples
    --------
    >>> map_to_human(["Cdkn2a", "Cxcl1", "Gm12345"], species="mouse", gene_id="symbol")
      original_id human_symbol       how
    0      Cdkn2a       CDKN2A  ortholog
    1       Cxcl1        CXCL1  ortholog
    2     Gm12345               unmapped
    >>> map_to_human(["TP53", "ENSG00000147889.18"])["human_symbol"].tolist()
    ['TP53', 'CDKN2A']
    """
    series = _as_series(ids)
    if orthologs is not None:
        mapped = _map_by(_unversioned(series), orthologs, ORTHOLOG_TABLE)
        return pd.DataFrame({ORIGINAL_ID: list(ids), **mapped})
    is_ensembl = (
        series.str.match(ENSEMBL_PATTERN).to_numpy(dtype=bool)
        if gene_id == "auto"
        else np.full(len(series), gene_id == "ensembl")
    )
    symbols = np.full(len(series), "", dtype=object)
    hows = np.full(len(series), UNMAPPED, dtype=object)
    kinds: tuple[tuple[GeneId, NDArray[np.bool_]], ...] = (
        ("ensembl", is_ensembl),
        ("symbol", ~is_ensembl),
    )
    for kind, rows in kinds:
        if rows.any():
            mapped = _map_kind(series[rows], kind=kind, species=species)
            symbols[rows] = mapped[HUMAN_SYMBOL].to_numpy()
            hows[rows] = mapped[HOW].to_numpy()
    return pd.DataFrame({ORIGINAL_ID: list(ids), HUMAN_SYMBOL: symbols, HOW: hows})


def count_gene_id_kinds(ids: Sequence[str]) -> tuple[int, int]:
    """(Ensembl gene IDs, other identifiers) among ``ids``: both non-zero means a mixed list.

    >>> count_gene_id_kinds(["TP53", "ENSG00000147889.18", "MKI67"])
    (1, 2)
    """
    n_ensembl = int(_as_series(ids).str.match(ENSEMBL_PATTERN).sum())
    return n_ensembl, len(ids) - n_ensembl


def _map_kind(series: pd.Series[str], *, kind: GeneId, species: SpeciesOption) -> pd.DataFrame:
    """Map identifiers that are all of one kind; columns ``human_symbol`` and ``how``."""
    organism = guess_species(series.tolist(), gene_id=kind) if species == "auto" else species
    if organism in ("rat", "other"):
        raise InputError(_no_ortholog_table(series, organism, kind))
    if kind == "ensembl":
        series = _unversioned(series)
    if organism == "human" and kind == "symbol":
        return _map_human_symbols(series)
    if organism == "human":
        return _map_by(series, _human_ensembl_lookup(), ENSEMBL)
    key: Literal["mouse_symbol", "mouse_ensembl_gene_id"] = (
        "mouse_symbol" if kind == "symbol" else "mouse_ensembl_gene_id"
    )
    return _map_by(series, _mouse_lookup(key), ORTHOLOG)


def _no_ortholog_table(series: pd.Series[str], organism: str, kind: GeneId) -> str:
    """The message for identifiers of a species without a shipped ortholog table."""
    what = "rat" if organism == "rat" else "non-human, non-mouse"
    kind_name = "Ensembl IDs" if kind == "ensembl" else "symbols"
    examples = ", ".join(map(repr, series.head(2)))
    return (
        f"{len(series):,} {what} {kind_name} (e.g. {examples}), a species senox ships no "
        "ortholog table for; pass a table of their human orthologs: --orthologs FILE "
        "(orthologs=)"
    )
