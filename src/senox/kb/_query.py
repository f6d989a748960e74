"""Queries of the evidence base: every function returns tidy data frames with fixed columns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import pandas as pd

from senox._errors import EvidenceQueryError
from senox.kb import _columns as C
from senox.kb._evidence import Evidence, concat_rows, split
from senox.kb._resolve import resolve_agent, resolve_class, resolve_target, suggest
from senox.kb._store import (
    connect_shipped,
    read_evidence,
    read_table,
    reading_user_db,
    user_db_path,
)

if TYPE_CHECKING:
    import sqlite3


@cache
def shipped_evidence() -> Evidence:
    """The evidence base shipped with senox (read once, read-only)."""
    with connect_shipped() as conn:
        return read_evidence(conn)


def load_evidence(*, include_user: bool = True) -> Evidence:
    """The shipped evidence base, plus the user's additions when ``include_user``."""
    base = shipped_evidence()
    if not include_user:
        return base
    with reading_user_db(user_db_path()) as conn:
        if conn is None:
            return base
        agents, records = read_table(conn, "agents"), read_table(conn, "records")
    return Evidence(
        concat_rows([base.agents, agents]),
        concat_rows([base.records, records]),
        base.sasp,
        base.curated,
    )


def _matches_target(
    records: pd.DataFrame, target: str, families: dict[str, list[str]]
) -> pd.Series:
    """Records whose target is ``target``, a family containing it, or a fusion with it."""
    in_family = {family for family, members in families.items() if target in members}
    return (
        (records[C.TARGET] == target)
        | ((records[C.TARGET_KIND] == C.FAMILY) & records[C.TARGET].isin(in_family))
        | (
            (records[C.TARGET_KIND] == C.FUSION)
            & records[C.TARGET].str.split("::").map(lambda p: target in p)
        )
    )


def _matches_cancer(records: pd.DataFrame, text: str, evidence: Evidence) -> pd.Series:
    needle = text.casefold().strip()
    cancers = evidence.cancers
    hit = (
        cancers["code"].str.casefold().eq(needle)
        | cancers["name"].str.casefold().str.contains(needle, regex=False)
        | cancers["tissue"].str.casefold().str.contains(needle, regex=False)
    )
    codes = set(cancers.loc[hit, "code"])
    in_raw = records[C.CANCER_RAW].str.casefold().str.contains(needle, regex=False)
    mask = records[C.CANCER_CODE].isin(codes) | in_raw
    if not codes and not in_raw.any():
        known = [*cancers["code"], *cancers["name"]]
        msg = f"cancer '{text}' matches no cancer type or seed text{suggest(text, known)}"
        raise EvidenceQueryError(msg)
    return mask


_ROMAN = {"1": "i", "2": "ii", "3": "iii"}


def _normal_stage(text: str) -> str:
    """'Phase 2' -> 'phase ii'; other text lower-cased."""
    text = " ".join(text.casefold().split())
    return re.sub(r"phase ([123])\b", lambda m: f"phase {_ROMAN[m.group(1)]}", text)


def _matches_stage(records: pd.DataFrame, text: str) -> pd.Series:
    wanted = _normal_stage(text)
    valid = [s.casefold() for s in C.STAGES]
    if not any(s == wanted or s.startswith(f"{wanted} ") for s in valid) and not wanted.startswith(
        "nct"
    ):
        msg = f"stage '{text}' is unknown; use one of: {', '.join(C.STAGES)} (or an NCT ID)"
        raise EvidenceQueryError(msg)
    stage = records[C.STAGE].str.casefold()
    return (
        (stage == wanted)
        | stage.str.startswith(f"{wanted} ")
        | (records[C.NCT_ID].str.casefold() == wanted)
    )


def agents(
    *,
    target: str | None = None,
    cancer: str | None = None,
    agent_class: str | None = None,
    mechanism: str | None = None,
    stage: str | None = None,
    agent: str | None = None,
    include_user: bool = True,
) -> pd.DataFrame:
    """Agent–target–cancer–PMID records, filtered by any combination of criteria.

    Parameters
    ----------
    target
        HGNC symbol, alias, seed spelling (``SCL7A11``), fusion (``BCR-ABL1``) or family (``NOX``).
        A gene also matches the families and fusions that contain it.
    cancer
        OncoTree code (``HCC``), or text found in the cancer name, tissue or the seed's wording.
    agent_class
        One class of the controlled vocabulary (``senox kb classes``).
    mechanism
        Text found in the mechanism (e.g. ``ROS``, ``GSH``).
    stage
        ``preclinical``, ``clinical``, ``phase`` (any phase), ``phase II``, ``approved``, or an
        NCT ID.
    agent
        Any name or synonym of one agent.
    include_user
        Include records added with ``senox kb add``.

    Returns
    -------
    One row per record, with columns ``senox.kb.RECORD_COLS`` (``agent``, ``agent_class``,
    ``target``, ``cancer``, ``cell_death``, ``stage``, ``pmid``, ``source`` ...).

    Examples
    --------
    >>> found = agents(target="TXNRD1", agent_class="ROS-inducing apoptotic agent")
    >>> {"auranofin", "shikonin", "piperlongumine"} <= set(found["agent"])
    True
    """
    evidence = load_evidence(include_user=include_user)
    records = evidence.records
    mask = pd.Series(data=True, index=records.index)
    if agent is not None:
        mask &= records[C.AGENT] == resolve_agent(agent, evidence)
    if target is not None:
        mask &= _matches_target(records, resolve_target(target, evidence), evidence.families)
    if cancer is not None:
        mask &= _matches_cancer(records, cancer, evidence)
    if agent_class is not None:
        label = resolve_class(agent_class, evidence)
        mask &= records[C.AGENT_CLASS].map(lambda v: label in split(v))
    if mechanism is not None:
        mask &= records[C.MECHANISM].str.contains(mechanism, case=False, regex=False)
    if stage is not None:
        mask &= _matches_stage(records, stage)
    return records[mask].reset_index(drop=True)


def sasp(*, inducer: str | None = None, factor: str | None = None) -> pd.DataFrame:
    """SASP factors by inducing therapy (seed Table 1), one row per inducer–factor–cancer–PMID.

    ``factor`` takes a symbol, alias or protein name (``IL-8`` finds CXCL8).
    """
    evidence = load_evidence()
    table = evidence.sasp
    mask = pd.Series(data=True, index=table.index)
    if inducer is not None:
        mask &= table[C.AGENT] == resolve_agent(inducer, evidence)
    if factor is not None:
        symbol = resolve_target(factor, evidence)
        mask &= table[C.FACTOR] == symbol
    return table[mask].reset_index(drop=True)


@dataclass(frozen=True)
class AgentCard:
    """Everything the evidence base holds on one agent."""

    agent: str
    synonyms: list[str]
    kind: str
    agent_class: str
    correction: str
    records: pd.DataFrame
    sasp: pd.DataFrame


def show(name: str) -> AgentCard:
    """Look up one agent by any of its names (seed misspellings included)."""
    evidence = load_evidence()
    agent = resolve_agent(name, evidence)
    row = evidence.agents[evidence.agents[C.AGENT] == agent].iloc[0]
    return AgentCard(
        agent=agent,
        synonyms=split(row[C.SYNONYMS]),
        kind=row[C.KIND],
        agent_class=row[C.AGENT_CLASS],
        correction=row[C.CORRECTION],
        records=evidence.records[evidence.records[C.AGENT] == agent].reset_index(drop=True),
        sasp=evidence.sasp[evidence.sasp[C.AGENT] == agent].reset_index(drop=True),
    )


SEARCH_COLS = [C.AGENT, "field", "text", C.SOURCE, "score"]


def _fts_query(text: str) -> str:
    tokens = re.findall(r"\w+", text)
    if not tokens:
        msg = f"search text '{text}' has no words to look for"
        raise EvidenceQueryError(msg)
    return " ".join(f'"{token}"' for token in tokens)


def _search_db(conn: sqlite3.Connection, query: str, limit: int) -> pd.DataFrame:
    sql = (
        "SELECT agent, field, text, source, bm25(search) AS score FROM search"
        " WHERE search MATCH ? ORDER BY score LIMIT ?"
    )
    return pd.read_sql_query(sql, conn, params=(query, limit))


def search(text: str, *, limit: int = 25) -> pd.DataFrame:
    """Full-text search over names, mechanisms, notes, citations, cancers and SASP text.

    All words must occur in the same field; results are ranked by BM25 (best first).
    """
    query = _fts_query(text)
    with connect_shipped() as conn:
        frames = [_search_db(conn, query, limit)]
    with reading_user_db(user_db_path()) as conn:
        if conn is not None:
            frames.append(_search_db(conn, query, limit))
    found = concat_rows(frames).sort_values("score", kind="stable")
    return found.head(limit).reset_index(drop=True)[SEARCH_COLS]
