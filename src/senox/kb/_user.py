"""User additions to the evidence base: validated like the curated data, stored apart from it.

``senox kb add --file my.tsv`` writes to the user database (``$SENOX_USER_DB``, by default
``$XDG_DATA_HOME/senox/user_kb.sqlite``); the shipped database is only ever opened read-only.
A file with any problem writes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from senox._errors import EvidenceDataError, EvidenceQueryError
from senox.kb import _columns as C
from senox.kb._checks import Issue, check_records, record_keys
from senox.kb._evidence import explode_records, name_key, read_tsv, split
from senox.kb._query import load_evidence
from senox.kb._resolve import agent_names, resolve_target
from senox.kb._store import (
    insert_rows,
    insert_search_rows,
    read_table,
    search_rows,
    user_db_path,
    writing_user_db,
)

if TYPE_CHECKING:
    from senox.kb._evidence import Evidence

#: Columns of a user TSV file: the first three are required.
REQUIRED = (C.AGENT, C.AGENT_CLASS, C.SOURCE)
OPTIONAL = (
    C.SYNONYMS, "target", C.MECHANISM, C.EFFECT, "cancer", C.CELL_DEATH, C.STAGE, C.NCT_ID,
    "pmid", C.CITATION, C.NOTE,
)  # fmt: skip
#: Record fields checked under another name than the user file's column.
_COLUMN_OF_FIELD = {C.CANCER_CODE: "cancer"}


def _read_user_file(path: Path) -> pd.DataFrame:
    try:
        if b"\0" in path.read_bytes():
            msg = f"{path}: holds NUL bytes, so it is not UTF-8 text; save it as a UTF-8 TSV"
            raise EvidenceDataError(msg)
        table = read_tsv(path)
    except FileNotFoundError:
        msg = f"{path}: file not found; give the path of a tab-separated file"
        raise EvidenceDataError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot be read ({exc.strerror}); give the path of a tab-separated file"
        raise EvidenceDataError(msg) from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path}: not a readable UTF-8 tab-separated file ({reason}); save it as TSV"
        raise EvidenceDataError(msg) from None
    missing = [c for c in REQUIRED if c not in table.columns]
    unknown = [c for c in table.columns if c not in (*REQUIRED, *OPTIONAL)]
    if missing or unknown:
        problem = f"missing column(s) {', '.join(missing)}" if missing else ""
        problem += ("; " if problem else "") + (
            f"unknown column(s) {', '.join(unknown)}" if unknown else ""
        )
        msg = f"{path}: {problem}; the header must use: {', '.join((*REQUIRED, *OPTIONAL))}"
        raise EvidenceDataError(msg)
    if table.empty:
        msg = f"{path}: has a header but no rows; add at least one record"
        raise EvidenceDataError(msg)
    return table.reindex(columns=[*REQUIRED, *OPTIONAL], fill_value="")


def _normalise(value: str, lookup: dict[str, str]) -> str:
    """Map each ``;``-separated part through ``lookup`` (by look-up key), keeping unknown parts."""
    return ";".join(lookup.get(name_key(part), part) for part in split(value))


def _target_entry(term: str, evidence: Evidence) -> str:
    try:
        target = resolve_target(term, evidence)
    except EvidenceQueryError:
        return term
    return f"family:{target}" if target in evidence.families else target


def normalise_user_rows(table: pd.DataFrame, path: Path, evidence: Evidence) -> pd.DataFrame:
    """Turn a user file into wide curated rows: canonical names, codes, symbols, stages."""
    names = agent_names(evidence)
    classes = {name_key(c): c for c in evidence.curated["vocab_agent_class"]["agent_class"]}
    cancers = evidence.cancers
    codes = {name_key(c): c for c in cancers["code"]} | {
        name_key(n): c for n, c in zip(cancers["name"], cancers["code"], strict=True)
    }
    stages = {name_key(s): s for s in C.STAGES} | {
        "phase1": "phase I",
        "phase2": "phase II",
        "phase3": "phase III",
    }
    wide = table.copy()
    wide[C.AGENT] = [names.get(name_key(a), a.strip()) for a in table[C.AGENT]]
    wide[C.AGENT_CLASS] = table[C.AGENT_CLASS].map(lambda v: _normalise(v, classes))
    wide["targets"] = table["target"].map(
        lambda v: ";".join(_target_entry(t, evidence) for t in split(v))
    )
    wide["cancer_codes"] = table["cancer"].map(lambda v: _normalise(v, codes))
    wide[C.CANCER_RAW] = table["cancer"]
    wide[C.STAGE] = table[C.STAGE].map(lambda v: stages.get(name_key(v), v.strip()))
    wide["pmids"] = table["pmid"]
    wide[C.ROW_ID] = [f"{path} line {i + 2}" for i in range(len(table))]
    return wide


def _user_agents(wide: pd.DataFrame, evidence: Evidence) -> pd.DataFrame:
    """Agents named in the file that the evidence base does not know yet."""
    known = set(evidence.agents[C.AGENT])
    new = wide[~wide[C.AGENT].isin(known)].drop_duplicates(C.AGENT)
    return pd.DataFrame(
        {
            C.AGENT: new[C.AGENT],
            C.SYNONYMS: new[C.SYNONYMS],
            C.KIND: "user",
            C.AGENT_CLASS: new[C.AGENT_CLASS].map(lambda v: "; ".join(split(v))),
            C.CORRECTION: "",
        }
    )[C.AGENT_COLS]


def _user_source(row: pd.Series) -> str:
    source = str(row[C.SOURCE]).strip()
    return f"user: {source}" if source else ""


def _repeats(records: pd.DataFrame, existing: pd.DataFrame) -> list[Issue]:
    """Records of ``records`` already in ``existing``."""
    known = set(record_keys(existing))
    return [
        Issue(row_id, C.PMID, "repeats a record already in the evidence base")
        for row_id, key in zip(records[C.ROW_ID], record_keys(records), strict=True)
        if key in known
    ]


def check_user_file(
    path: Path, evidence: Evidence
) -> tuple[pd.DataFrame, pd.DataFrame, list[Issue]]:
    """Validate a user file; return its records, its new agents and every problem found."""
    path = Path(path)
    wide = normalise_user_rows(_read_user_file(path), path, evidence)
    cancer_names = dict(zip(evidence.cancers["code"], evidence.cancers["name"], strict=True))
    records = explode_records(wide, cancer_names, _user_source)
    issues = check_records(records, evidence) + _repeats(records, evidence.records)
    issues = [replace(i, field=_COLUMN_OF_FIELD.get(i.field, i.field)) for i in issues]
    return records, _user_agents(wide, evidence), issues


def _refuse(issues: list[Issue], path: Path) -> None:
    """Raise the first issue (and say how many more there are), if any."""
    if not issues:
        return
    more = (
        f" (and {len(issues) - 1} more; `senox kb lint --file {path}` lists all)"
        if len(issues) > 1
        else ""
    )
    msg = f"{issues[0]}{more}; nothing was added"
    raise EvidenceDataError(msg)


def add(path: Path) -> int:
    """Validate ``path`` and add its records to the user database; return how many.

    The database is :func:`user_db_path`. Nothing is written if any row has a problem. The rows
    go in as one transaction under the database's write lock, so concurrent runs keep every row.
    """
    records, new_agents, issues = check_user_file(path, load_evidence())
    _refuse(issues, path)
    with writing_user_db(user_db_path()) as conn:
        _refuse(_repeats(records, read_table(conn, "records")), path)  # added since the check?
        new_agents = new_agents[~new_agents[C.AGENT].isin(read_table(conn, "agents")[C.AGENT])]
        insert_rows(conn, "agents", new_agents[C.AGENT_COLS])
        insert_rows(conn, "records", records[C.RECORD_COLS])
        insert_search_rows(conn, search_rows(new_agents, records))
    return len(records)
