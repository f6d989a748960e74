"""The evidence base in memory: curated TSV files compiled into tidy, exploded tables.

Curated files (``senox/kb/data/curated``) keep one row per seed table row or seed mention, with
the raw text beside the normalised fields; multi-valued fields are ``;``-separated. Compiling
explodes them into one record per agent–target–cancer–PMID (``records``) and one per
inducer–SASP factor (``sasp``), which is what every query returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from itertools import product
from typing import TYPE_CHECKING

import pandas as pd

from senox.kb import _columns as C

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from importlib.resources.abc import Traversable
    from pathlib import Path

CURATED_DIR = files("senox.kb") / "data" / "curated"

#: Curated files: vocabularies, the agent list, and the three kinds of seed-derived rows.
CURATED_FILES = (
    "agents",
    "vocab_agent_class",
    "vocab_cell_death",
    "vocab_cancer",
    "vocab_sasp_role",
    "target_families",
    "term_aliases",
    "seed_table1",
    "seed_tables23",
    "seed_sections",
)

FAMILY_PREFIX = "family:"


def split(value: str) -> list[str]:
    """Split a ``;``-separated field into its stripped, non-empty parts."""
    return [part.strip() for part in value.split(";") if part.strip()]


def concat_rows(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Stack frames with the same columns, skipping empty ones (whose dtypes would leak in)."""
    frames = list(frames)
    kept = [frame for frame in frames if not frame.empty] or frames[:1]
    return pd.concat(kept, ignore_index=True)


def read_tsv(source: Traversable | Path) -> pd.DataFrame:
    """Read a TSV as strings, empty cells as ``""``."""
    with source.open("rb") as fh:
        return pd.read_csv(fh, sep="\t", dtype=str, keep_default_na=False, quoting=3)


def read_curated(directory: Traversable | Path | None = None) -> dict[str, pd.DataFrame]:
    """Read every curated TSV file from ``directory`` (default: the files shipped in senox)."""
    base = CURATED_DIR if directory is None else directory
    return {name: read_tsv(base / f"{name}.tsv") for name in CURATED_FILES}


@dataclass(frozen=True)
class Evidence:
    """The compiled evidence base: exploded records and the tables they draw on."""

    agents: pd.DataFrame
    records: pd.DataFrame
    sasp: pd.DataFrame
    curated: dict[str, pd.DataFrame]

    @property
    def cancers(self) -> pd.DataFrame:
        """The cancer-type vocabulary (OncoTree codes and senox extensions)."""
        return self.curated["vocab_cancer"]

    @property
    def families(self) -> dict[str, list[str]]:
        """Target families and their member genes."""
        table = self.curated["target_families"]
        return dict(zip(table["family"], map(split, table["members"]), strict=True))


def target_kind(target: str) -> str:
    """Classify a curated target entry as gene, fusion, family or mechanism (empty)."""
    if not target:
        return C.MECHANISM_ONLY
    if target.startswith(FAMILY_PREFIX):
        return C.FAMILY
    if "::" in target:
        return C.FUSION
    return C.GENE


def explode_records(
    wide: pd.DataFrame, cancer_names: dict[str, str], source: Callable[[pd.Series], str]
) -> pd.DataFrame:
    """Explode wide rows into one record per target × cancer × PMID.

    ``wide`` has the record columns, except that ``targets``, ``cancer_codes`` and ``pmids``
    hold ``;``-separated lists.
    """
    out: list[dict[str, str]] = []
    for _, row in wide.iterrows():
        targets = split(row["targets"]) or [""]
        cancers = split(row["cancer_codes"]) or [""]
        pmids = split(row["pmids"]) or [""]
        for target, code, pmid in product(targets, cancers, pmids):
            record = {col: row.get(col, "") for col in C.RECORD_COLS}
            record.update(
                {
                    C.AGENT_CLASS: "; ".join(split(row[C.AGENT_CLASS])),
                    C.TARGET: target.removeprefix(FAMILY_PREFIX),
                    C.TARGET_KIND: target_kind(target),
                    C.CANCER_CODE: code,
                    C.CANCER: cancer_names.get(code, ""),
                    C.CELL_DEATH: "; ".join(split(row[C.CELL_DEATH])),
                    C.PMID: pmid,
                    C.SOURCE: source(row),
                }
            )
            out.append(record)
    return pd.DataFrame(out, columns=C.RECORD_COLS)


def _table_source(row: pd.Series) -> str:
    return f"seed Table {row['seed_table']}, row {row['seed_row']}"


def _section_source(row: pd.Series) -> str:
    return f"seed §{row['seed_section']}"


def _wide_tables23(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(effect="", citation="")


def _wide_sections(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(cancer_raw="", nct_id="", pmids="")


def _wide_table1(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(
        targets="",
        mechanism="therapy-induced senescence with a SASP",
        effect="induces",
        cell_death="",
        stage="",
        nct_id="",
        citation="",
    )


def _sasp_rows(
    table1: pd.DataFrame, cancer_names: dict[str, str], roles: dict[str, str]
) -> Iterator[dict[str, str]]:
    for _, row in table1.iterrows():
        factors = [(f, "secreted") for f in split(row["sasp_factors"])]
        factors += [(m, "marker") for m in split(row["markers"])]
        factors += [(u, "unmapped") for u in split(row["sasp_unmapped"])]
        row_roles = split(row["role"])
        for (factor, kind), code, pmid in product(
            factors, split(row["cancer_codes"]), split(row["pmids"])
        ):
            yield {
                C.AGENT: row[C.AGENT],
                C.FACTOR: factor,
                C.FACTOR_KIND: kind,
                C.CANCER: cancer_names.get(code, ""),
                C.CANCER_CODE: code,
                C.CANCER_RAW: row["cancer_raw"],
                C.SENESCENT_CELLS: "; ".join(split(row["senescent_cells"])),
                C.ROLE: "; ".join(row_roles),
                C.ROLE_DIRECTION: "; ".join(sorted({roles.get(r, "") for r in row_roles})),
                C.SASP_RAW: row["sasp_raw"],
                C.PMID: pmid,
                C.SOURCE: _table_source(row),
                C.ROW_ID: row[C.ROW_ID],
                C.NOTE: row[C.NOTE],
            }


def agent_table(agents: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """The agent list with each agent's classes gathered from its records."""
    classes = records.groupby(C.AGENT)[C.AGENT_CLASS].agg(_union_classes)
    table = agents.assign(**{C.AGENT_CLASS: agents[C.AGENT].map(classes).fillna("")})
    return table[C.AGENT_COLS]


def _union_classes(values: Iterable[str]) -> str:
    seen: dict[str, None] = {}
    for value in values:
        seen.update(dict.fromkeys(p.strip() for p in value.split(";") if p.strip()))
    return "; ".join(seen)


def compile_evidence(curated: dict[str, pd.DataFrame]) -> Evidence:
    """Compile curated tables into exploded records, SASP rows and the agent table."""
    cancers = curated["vocab_cancer"]
    names = dict(zip(cancers["code"], cancers["name"], strict=True))
    roles = dict(
        zip(
            curated["vocab_sasp_role"]["role"], curated["vocab_sasp_role"]["direction"], strict=True
        )
    )
    records = pd.concat(
        [
            explode_records(_wide_tables23(curated["seed_tables23"]), names, _table_source),
            explode_records(_wide_sections(curated["seed_sections"]), names, _section_source),
            explode_records(_wide_table1(curated["seed_table1"]), names, _table_source),
        ],
        ignore_index=True,
    )
    sasp = pd.DataFrame(list(_sasp_rows(curated["seed_table1"], names, roles)), columns=C.SASP_COLS)
    return Evidence(agent_table(curated["agents"], records), records, sasp, curated)


def name_key(name: str) -> str:
    """Normalise an agent or term for look-up: case, spaces, hyphens and Greek spellings ignored.

    >>> name_key("Piperlongu-mine") == name_key("piperlongumine")
    True
    >>> name_key("IFN-γ") == name_key("IFN gamma")
    True
    """
    text = name.casefold().replace("γ", "gamma").replace("κ", "k").replace("β", "beta")
    text = text.replace("α", "alpha").replace("ⅱ", "ii").replace("ⅰ", "i")
    return re.sub(r"[^0-9a-z+@/]", "", text)
