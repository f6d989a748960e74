"""Validation rules shared by ``senox kb lint`` (curated data) and ``senox kb add`` (user data).

Rules collect every problem rather than stopping at the first (PEtab's lint pattern); each
:class:`Issue` says where (file/row/field) and what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from senox.io import approved_symbols
from senox.kb import _columns as C
from senox.kb._evidence import name_key, split

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pandas as pd

    from senox.kb._evidence import Evidence

_PMID = re.compile(r"^[1-9]\d{0,8}$")
_NCT = re.compile(r"^NCT\d{8}$")


@dataclass(frozen=True)
class Issue:
    """One problem found in evidence data."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}, field '{self.field}': {self.message}"


def check_target(target: str, kind: str, families: dict[str, list[str]]) -> str | None:
    """Return what is wrong with a target entry, or ``None`` if it is valid."""
    symbols = approved_symbols()
    if kind == C.GENE and target not in symbols:
        return f"{target!r} is not an approved HGNC symbol"
    if kind == C.FUSION:
        bad = [part for part in target.split("::") if part not in symbols]
        if bad:
            return f"fusion {target!r} has partners that are not HGNC symbols: {', '.join(bad)}"
    if kind == C.FAMILY and target not in families:
        return f"{target!r} is not a known target family ({', '.join(sorted(families))})"
    return None


def _vocab_problem(value: str, allowed: set[str], what: str) -> str | None:
    bad = [part for part in split(value) if part not in allowed]
    if not bad:
        return None
    return (
        f"{', '.join(map(repr, bad))} is not a valid {what} (valid: {', '.join(sorted(allowed))})"
    )


def check_record(record: pd.Series, evidence: Evidence) -> Iterator[tuple[str, str]]:
    """Yield (field, problem) for one exploded record."""
    if not record[C.AGENT].strip():
        yield C.AGENT, "empty; every record names an agent"
    if not record[C.AGENT_CLASS].strip():
        yield C.AGENT_CLASS, "empty; give at least one class"
    classes = set(evidence.curated["vocab_agent_class"]["agent_class"])
    if problem := _vocab_problem(record[C.AGENT_CLASS], classes, "agent class"):
        yield C.AGENT_CLASS, problem
    if record[C.TARGET] and (
        problem := check_target(record[C.TARGET], record[C.TARGET_KIND], evidence.families)
    ):
        yield C.TARGET, problem
    if not record[C.TARGET] and not record[C.MECHANISM].strip():
        yield C.MECHANISM, "empty while the target is empty; say what the agent does"
    codes = set(evidence.cancers["code"])
    if record[C.CANCER_CODE] and record[C.CANCER_CODE] not in codes:
        yield (
            C.CANCER_CODE,
            f"{record[C.CANCER_CODE]!r} is not a cancer code (see `senox kb cancers`)",
        )
    deaths = set(evidence.curated["vocab_cell_death"]["cell_death"])
    if problem := _vocab_problem(record[C.CELL_DEATH], deaths, "cell-death type"):
        yield C.CELL_DEATH, problem
    if record[C.STAGE] and record[C.STAGE] not in C.STAGES:
        yield C.STAGE, f"{record[C.STAGE]!r} is not a stage (valid: {', '.join(C.STAGES)})"
    if record[C.NCT_ID] and not _NCT.match(record[C.NCT_ID]):
        yield C.NCT_ID, f"{record[C.NCT_ID]!r} is not an NCT ID (NCT followed by 8 digits)"
    if record[C.PMID] and not _PMID.match(record[C.PMID]):
        yield C.PMID, f"{record[C.PMID]!r} is not a numeric PMID (digits only, e.g. 30111846)"
    if not record[C.SOURCE].strip():
        yield C.SOURCE, "empty; every record must say where it comes from"


def record_keys(records: pd.DataFrame) -> pd.Series:
    """The identity of each record: (agent, target, cancer, reference) joined into one string.

    The reference is the PMID, or the citation for records from the seed's prose, which has none.
    """
    reference = records[C.PMID].where(records[C.PMID] != "", records[C.CITATION])
    key = records[C.AGENT].map(name_key) + "|" + records[C.TARGET] + "|" + records[C.CANCER_CODE]
    return key + "|" + reference


def duplicate_keys(records: pd.DataFrame) -> pd.Series:
    """Mark records whose identity (:func:`record_keys`) was already seen above them."""
    return record_keys(records).duplicated(keep="first")


def check_records(records: pd.DataFrame, evidence: Evidence) -> list[Issue]:
    """Check exploded records against the vocabularies, symbol list and uniqueness rule."""
    issues = [
        Issue(record[C.ROW_ID], field, problem)
        for _, record in records.iterrows()
        for field, problem in check_record(record, evidence)
    ]
    for _, record in records[duplicate_keys(records)].iterrows():
        issues.append(
            Issue(
                record[C.ROW_ID],
                C.PMID,
                f"duplicate record ({record[C.AGENT]}, {record[C.TARGET] or '-'}, "
                f"{record[C.CANCER_CODE] or '-'}, {record[C.PMID] or record[C.CITATION]})",
            )
        )
    return issues


def check_agents(evidence: Evidence) -> list[Issue]:
    """Every record's agent is listed, every listed agent is used, and no name is ambiguous."""
    listed = set(evidence.agents[C.AGENT])
    issues = [
        Issue(row_id, C.AGENT, f"'{agent}' is not in agents.tsv")
        for row_id, agent in zip(evidence.records[C.ROW_ID], evidence.records[C.AGENT], strict=True)
        if agent not in listed
    ]
    used = set(evidence.records[C.AGENT]) | set(evidence.sasp[C.AGENT])
    issues += [Issue("agents.tsv", C.AGENT, f"'{a}' has no record") for a in listed - used]
    owners: dict[str, str] = {}
    for agent, synonyms in zip(evidence.agents[C.AGENT], evidence.agents[C.SYNONYMS], strict=True):
        for name in [agent, *split(synonyms)]:
            key = name_key(name)
            if owners.setdefault(key, agent) != agent:
                message = f"name '{name}' belongs to both '{owners[key]}' and '{agent}'"
                issues.append(Issue("agents.tsv", C.SYNONYMS, message))
    return issues


def check_sasp(evidence: Evidence) -> list[Issue]:
    """SASP factors are HGNC symbols (unless marked unmapped) and roles are in the vocabulary."""
    roles = set(evidence.curated["vocab_sasp_role"]["role"])
    symbols = approved_symbols()
    issues = []
    for _, row in evidence.sasp.iterrows():
        if row[C.FACTOR_KIND] != "unmapped" and row[C.FACTOR] not in symbols:
            message = f"'{row[C.FACTOR]}' is not an approved HGNC symbol"
            issues.append(Issue(row[C.ROW_ID], C.FACTOR, message))
        if problem := _vocab_problem(row[C.ROLE], roles, "SASP role"):
            issues.append(Issue(row[C.ROW_ID], C.ROLE, problem))
    return issues
