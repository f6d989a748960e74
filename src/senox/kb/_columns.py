"""Column names of the evidence base, fixed once (every query returns these)."""

from __future__ import annotations

AGENT = "agent"
AGENT_CLASS = "agent_class"
TARGET = "target"
TARGET_KIND = "target_kind"
MECHANISM = "mechanism"
EFFECT = "effect"
CANCER = "cancer"
CANCER_CODE = "cancer_code"
CANCER_RAW = "cancer_raw"
CELL_DEATH = "cell_death"
STAGE = "stage"
NCT_ID = "nct_id"
PMID = "pmid"
CITATION = "citation"
SOURCE = "source"
ROW_ID = "row_id"
NOTE = "note"

#: One row per agent–target–cancer–PMID record.
RECORD_COLS = [
    AGENT, AGENT_CLASS, TARGET, TARGET_KIND, MECHANISM, EFFECT, CANCER, CANCER_CODE, CANCER_RAW,
    CELL_DEATH, STAGE, NCT_ID, PMID, CITATION, SOURCE, ROW_ID, NOTE,
]  # fmt: skip

FACTOR = "factor"
FACTOR_KIND = "factor_kind"
SENESCENT_CELLS = "senescent_cells"
ROLE = "role"
ROLE_DIRECTION = "role_direction"
SASP_RAW = "sasp_raw"

#: One row per inducer–SASP factor–cancer–PMID record (seed Table 1).
SASP_COLS = [
    AGENT, FACTOR, FACTOR_KIND, CANCER, CANCER_CODE, CANCER_RAW, SENESCENT_CELLS, ROLE,
    ROLE_DIRECTION, SASP_RAW, PMID, SOURCE, ROW_ID, NOTE,
]  # fmt: skip

SYNONYMS = "synonyms"
KIND = "kind"
CORRECTION = "correction"

#: One row per agent.
AGENT_COLS = [AGENT, SYNONYMS, KIND, AGENT_CLASS, CORRECTION]

#: Target kinds.
GENE, FUSION, FAMILY, MECHANISM_ONLY = "gene", "fusion", "family", "mechanism"

#: Record effects under which the agent raises its target rather than inhibiting it: such a
#: record gives the agent no action on the target and makes no vulnerability of it.
RAISING_EFFECTS = ("activates", "induces")

#: Stages of development, in order.
STAGES = ("preclinical", "clinical", "phase I", "phase II", "phase III", "approved")
