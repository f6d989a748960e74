"""Human gene symbols from the shipped HGNC table (see ``senox/data/genes/PROVENANCE.md``)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import pandas as pd

_GENES = files("senox") / "data" / "genes"


@cache
def hgnc_table() -> pd.DataFrame:
    """The HGNC complete set shipped with senox: one row per approved human gene."""
    with (_GENES / "hgnc.tsv.gz").open("rb") as fh:
        return pd.read_csv(fh, sep="\t", compression="gzip", dtype=str, keep_default_na=False)


@cache
def approved_symbols() -> frozenset[str]:
    """Every approved HGNC symbol."""
    return frozenset(hgnc_table()["symbol"])


@cache
def _approved_by_upper() -> dict[str, str]:
    """Approved symbols keyed by their upper-case form (some contain lower case: C10orf105)."""
    return {symbol.upper(): symbol for symbol in hgnc_table()["symbol"]}


@cache
def _retired_to_approved() -> dict[str, tuple[str, ...]]:
    """Map each previous or alias symbol (upper case) to the approved symbols that carry it."""
    table = hgnc_table()
    mapping: dict[str, set[str]] = {}
    for column in ("prev_symbols", "alias_symbols"):
        for symbol, others in zip(table["symbol"], table[column], strict=True):
            for other in filter(None, others.split("|")):
                mapping.setdefault(other.upper(), set()).add(symbol)
    return {key: tuple(sorted(value)) for key, value in mapping.items()}


def resolve_symbol(term: str) -> tuple[str, ...]:
    """Return the approved symbol(s) a gene term stands for; empty when it is unknown.

    An approved symbol resolves to itself (case-insensitively); otherwise previous symbols
    and aliases are looked up, which may be ambiguous (several approved symbols).

    >>> resolve_symbol("MLF1IP")
    ('CENPU',)
    >>> resolve_symbol("cxcl8")
    ('CXCL8',)
    >>> resolve_symbol("C10ORF105")
    ('C10orf105',)
    """
    upper = term.strip().upper()
    if upper in _approved_by_upper():
        return (_approved_by_upper()[upper],)
    return _retired_to_approved().get(upper, ())


@cache
def mouse_ortholog_table() -> pd.DataFrame:
    """HCOP mouse-to-human ortholog pairs shipped with senox: one row per (mouse, human) pair.

    Columns: ``mouse_symbol``, ``mouse_ensembl_gene_id``, ``human_symbol``, ``support`` and
    ``n_support`` (how many of HCOP's resources predict the pair, an integer).
    """
    with (_GENES / "mouse_orthologs.tsv.gz").open("rb") as fh:
        table = pd.read_csv(fh, sep="\t", compression="gzip", dtype=str, keep_default_na=False)
    return table.astype({"n_support": int})
