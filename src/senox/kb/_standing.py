"""Which agents of the evidence base may drive a decision, and why the others may not.

The curation keeps every agent the seed prints, including names it could not resolve to one
compound (kind ``unresolved``: an unexpanded abbreviation such as 'AGG', an ambiguous one such as
'CBZ'). Such a name can be looked up, but it cannot be dosed, so it never generates a strategy,
and the stage claimed for it is shown as unverified: a stage belongs to a compound, and which
compound was meant is unknown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from senox.kb import _columns as C

if TYPE_CHECKING:
    from senox.kb._evidence import Evidence

#: Agent kinds that name no single compound the model could dose.
UNUSABLE_KINDS = ("unresolved",)

#: The stage shown for the records of an unusable agent.
UNVERIFIED_STAGE = "unverified"


def agent_standing(evidence: Evidence) -> pd.DataFrame:
    """One row per agent: ``usable`` (bool) and ``reason`` (why not; empty when usable).

    >>> from senox.kb import load_evidence
    >>> standing = agent_standing(load_evidence())
    >>> bool(standing.loc["doxorubicin", "usable"]), bool(standing.loc["AGG", "usable"])
    (True, False)
    """
    agents = evidence.agents.drop_duplicates(C.AGENT).set_index(C.AGENT)
    unusable = agents[C.KIND].isin(UNUSABLE_KINDS)
    reason = [
        f"name unresolved ({correction})" if bad else ""
        for bad, correction in zip(unusable, agents[C.CORRECTION].astype(str), strict=True)
    ]
    return pd.DataFrame({"usable": ~unusable, "reason": reason}, index=agents.index)


def checked_stages(records: pd.DataFrame, standing: pd.DataFrame) -> pd.Series:
    """Each record's stage, or :data:`UNVERIFIED_STAGE` where its agent is not usable."""
    usable = records[C.AGENT].map(standing["usable"]).fillna(value=False).astype(bool)
    return records[C.STAGE].where(usable, UNVERIFIED_STAGE)
