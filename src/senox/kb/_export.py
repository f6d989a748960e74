"""``senox kb info`` and ``senox kb export``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from senox.io import output_folder
from senox.kb import _columns as C
from senox.kb._evidence import split
from senox.kb._query import load_evidence
from senox.kb._store import connect_shipped, read_meta, user_db_path

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd


def info() -> dict[str, object]:
    """A summary of the evidence base: sizes, per-table and per-class counts, provenance."""
    evidence = load_evidence()
    with connect_shipped() as conn:
        meta = read_meta(conn)
    curated = evidence.curated
    classes: dict[str, int] = {}
    for agent_class in evidence.agents[C.AGENT_CLASS]:
        for label in split(agent_class):
            classes[label] = classes.get(label, 0) + 1
    user = user_db_path()
    return {
        "agents": len(evidence.agents),
        "records": len(evidence.records),
        "sasp_rows": len(evidence.sasp),
        "seed_rows": {
            "Table 1": len(curated["seed_table1"]),
            "Table 2": int((curated["seed_tables23"]["seed_table"] == "2").sum()),
            "Table 3": int((curated["seed_tables23"]["seed_table"] == "3").sum()),
            "sections": len(curated["seed_sections"]),
        },
        "agents_per_class": dict(sorted(classes.items(), key=lambda kv: -kv[1])),
        "pmids": int(evidence.records[C.PMID].replace("", None).nunique()),
        "schema_version": meta["schema_version"],
        "built_with": meta["built_with"],
        "user_db": str(user) if user.exists() else "",
    }


def _tables() -> dict[str, pd.DataFrame]:
    evidence = load_evidence()
    return {
        "agents": evidence.agents,
        "records": evidence.records,
        "sasp": evidence.sasp,
        "cancer_types": evidence.cancers,
    }


def export(out: Path, *, force: bool = False) -> list[Path]:
    """Write every table as TSV and JSON into the folder ``out`` (all files or none).

    ``force`` replaces a folder senox wrote earlier; any other existing folder is refused.
    """
    written = []
    with output_folder(out, force=force) as tmp:
        for name, table in _tables().items():
            table.to_csv(tmp / f"{name}.tsv", sep="\t", index=False)
            rows = table.to_dict(orient="records")
            (tmp / f"{name}.json").write_text(
                json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8"
            )
            written += [out / f"{name}.tsv", out / f"{name}.json"]
    return written
