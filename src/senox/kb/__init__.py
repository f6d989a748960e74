"""The redox–senescence evidence base: agents, targets, cancers, SASP factors, stages, PMIDs.

Curated from the seed review (Tables 1–3 and the agents named in its sections) into reviewable
TSV files, compiled into an embedded SQLite database with full-text search. Every query returns a
tidy :class:`pandas.DataFrame` with fixed columns (:data:`RECORD_COLS`, :data:`SASP_COLS`).

>>> from senox import kb
>>> kb.resolve_agent("Bortezomid", kb.load_evidence())
'bortezomib'
"""

from __future__ import annotations

from senox.kb._columns import AGENT_COLS, RECORD_COLS, SASP_COLS, STAGES
from senox.kb._export import export, info
from senox.kb._lint import LintReport, lint
from senox.kb._query import AgentCard, agents, load_evidence, sasp, search, show
from senox.kb._resolve import resolve_agent
from senox.kb._standing import UNVERIFIED_STAGE, agent_standing, checked_stages
from senox.kb._store import user_db_path
from senox.kb._user import add, check_user_file

__all__ = [
    "AGENT_COLS",
    "RECORD_COLS",
    "SASP_COLS",
    "STAGES",
    "UNVERIFIED_STAGE",
    "AgentCard",
    "LintReport",
    "add",
    "agent_standing",
    "agents",
    "check_user_file",
    "checked_stages",
    "export",
    "info",
    "lint",
    "load_evidence",
    "resolve_agent",
    "sasp",
    "search",
    "show",
    "user_db_path",
]
