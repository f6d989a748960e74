"""``senox kb lint``: check the curated data (and optionally a user file) without stopping early."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from senox._errors import InputError
from senox.kb import _columns as C
from senox.kb._checks import Issue, check_agents, check_records, check_sasp, check_target
from senox.kb._evidence import compile_evidence, read_curated, target_kind
from senox.kb._seed import read_seed, squash
from senox.kb._store import (
    connect_shipped,
    curated_digest,
    read_evidence,
    read_meta,
    search_rows,
)

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from senox.kb._evidence import Evidence

#: Which raw columns of a curated seed file hold which seed table column.
_RAW_COLUMNS = {
    "seed_table1": ["pmid_raw", "inducer_raw", "cancer_raw", "cells_raw", "sasp_raw", "role_raw"],
    "seed_tables23": [
        "pmid_raw",
        "compound_raw",
        "target_raw",
        "cancer_raw",
        "cell_death_raw",
        "stage_raw",
    ],
}


@dataclass
class LintReport:
    """What lint checked and what it found."""

    checked: dict[str, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no problem was found."""
        return not self.issues


def check_aliases(evidence: Evidence) -> list[Issue]:
    """Every alias in ``term_aliases.tsv`` points at a valid gene or fusion."""
    issues = []
    for term, symbol in zip(
        evidence.curated["term_aliases"]["term"],
        evidence.curated["term_aliases"]["symbol"],
        strict=True,
    ):
        if problem := check_target(symbol, target_kind(symbol), evidence.families):
            issues.append(Issue(f"term_aliases.tsv '{term}'", "symbol", problem))
    for family, members in evidence.families.items():
        issues += [
            Issue(f"target_families.tsv '{family}'", "members", problem)
            for m in members
            if (problem := check_target(m, C.GENE, evidence.families))
        ]
    return issues


def check_against_seed(curated: dict[str, pd.DataFrame], seed: Path) -> list[Issue]:
    """Each seed table row is curated once, raw text intact; each quote is in its section."""
    try:
        tables, sections = read_seed(seed)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        msg = f"--seed {seed}: cannot be read ({reason}); give the seed review's text file"
        raise InputError(msg) from None
    issues: list[Issue] = []
    for name, columns in _RAW_COLUMNS.items():
        rows = curated[name]
        for number in sorted(set(rows["seed_table"].astype(int))):
            if number not in tables:
                msg = f"--seed {seed}: has no Table {number}; give the seed review's text file"
                raise InputError(msg)
            seed_rows = tables[number].rows
            mine = rows[rows["seed_table"].astype(int) == number]
            if len(mine) != len(seed_rows):
                message = (
                    f"{len(mine)} curated rows, but Table {number} of the seed has {len(seed_rows)}"
                )
                issues.append(Issue(f"{name}.tsv", "seed_row", message))
            for _, row in mine.iterrows():
                index = int(row["seed_row"]) - 1
                raw = tuple(squash(row[c]) for c in columns)
                if not 0 <= index < len(seed_rows) or raw != seed_rows[index]:
                    message = f"raw text does not match Table {number} row {index + 1} of the seed"
                    issues.append(Issue(row["row_id"], "raw", message))
    for _, row in curated["seed_sections"].iterrows():
        if squash(row["quote"]) not in sections.get(row["seed_section"], ""):
            issues.append(
                Issue(row["row_id"], "quote", f"not found in seed section {row['seed_section']}")
            )
    return issues


def check_shipped_database(curated: dict[str, pd.DataFrame], evidence: Evidence) -> list[Issue]:
    """The shipped database holds exactly what the curated files compile to, search index too."""
    with connect_shipped() as conn:
        stored_digest = read_meta(conn).get("curated_digest")
        stored = read_evidence(conn)
        (indexed,) = conn.execute("SELECT count(*) FROM search").fetchone()
    if stored_digest != curated_digest(curated):
        return [Issue("senox_kb.sqlite", "curated_digest", "stale: rebuild it with `make kb`")]
    same = (
        all(getattr(stored, t).equals(getattr(evidence, t)) for t in ("agents", "records", "sasp"))
        and all(stored.curated[name].equals(curated[name]) for name in stored.curated)
        and indexed == len(search_rows(evidence.agents, evidence.records, evidence.sasp))
    )
    if not same:
        message = "changed since it was built: reinstall senox or rebuild it with `make kb`"
        return [Issue("senox_kb.sqlite", "tables", message)]
    return []


def lint(*, seed: Path | None = None) -> LintReport:
    """Check the curated evidence (vocabularies, symbols, PMIDs, duplicates, traceability).

    With ``seed`` (the review's text file), also check that every table row and quote is in it.
    """
    curated = read_curated()
    evidence = compile_evidence(curated)
    report = LintReport(
        checked={
            "agents": len(evidence.agents),
            "records": len(evidence.records),
            "sasp rows": len(evidence.sasp),
        }
    )
    report.issues += check_records(evidence.records, evidence)
    report.issues += check_agents(evidence)
    report.issues += check_sasp(evidence)
    report.issues += check_aliases(evidence)
    report.issues += check_shipped_database(curated, evidence)
    if seed is not None:
        report.issues += check_against_seed(curated, seed)
        report.checked["seed tables and quotes"] = sum(
            len(curated[n]) for n in (*_RAW_COLUMNS, "seed_sections")
        )
    return report
