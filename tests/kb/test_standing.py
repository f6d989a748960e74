"""Agents that may drive a decision (senox.kb.agent_standing)."""

from __future__ import annotations

from senox.kb import UNVERIFIED_STAGE, agent_standing, checked_stages, load_evidence


def test_every_unresolved_agent_is_unusable_and_says_why():
    evidence = load_evidence(include_user=False)
    standing = agent_standing(evidence)
    kinds = evidence.agents.drop_duplicates("agent").set_index("agent")["kind"]
    assert set(standing.index[~standing.usable]) == set(kinds.index[kinds == "unresolved"])
    assert (standing.reason[~standing.usable].str.startswith("name unresolved")).all()
    assert (standing.reason[standing.usable] == "").all()


def test_an_unresolved_agent_is_never_shown_as_approved():
    evidence = load_evidence(include_user=False)
    records = evidence.records
    stages = checked_stages(records, agent_standing(evidence))
    sgni = records.agent == "SGNI"
    assert (records.stage[sgni] == "approved").any()  # what the seed claims
    assert (stages[sgni] == UNVERIFIED_STAGE).all()
    usable = ~records.agent.isin(["SGNI", "AGG", "CBZ", "agronolide"])
    assert (stages[usable] == records.stage[usable]).all()
