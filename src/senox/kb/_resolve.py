"""Resolve what users type (names, misspellings, aliases, classes) to the evidence base's terms."""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from senox._errors import EvidenceQueryError
from senox.io import resolve_symbol
from senox.kb import _columns as C
from senox.kb._evidence import name_key, split

if TYPE_CHECKING:
    from collections.abc import Iterable

    from senox.kb._evidence import Evidence


def suggest(text: str, choices: Iterable[str], n: int = 3) -> str:
    close = difflib.get_close_matches(text, list(choices), n=n, cutoff=0.6)
    return f"; did you mean {' or '.join(map(repr, close))}?" if close else ""


def agent_names(evidence: Evidence) -> dict[str, str]:
    """Map the look-up key of every canonical name and synonym to its canonical agent."""
    names: dict[str, str] = {}
    for agent, synonyms in zip(evidence.agents[C.AGENT], evidence.agents[C.SYNONYMS], strict=True):
        for name in [agent, *split(synonyms)]:
            names.setdefault(name_key(name), agent)
    return names


def resolve_agent(name: str, evidence: Evidence) -> str:
    """Return the canonical agent for any name, synonym or seed spelling.

    >>> from senox.kb import load_evidence
    >>> resolve_agent("Docetaxle", load_evidence())
    'docetaxel'
    """
    names = agent_names(evidence)
    if (agent := names.get(name_key(name))) is not None:
        return agent
    everything = [
        *evidence.agents[C.AGENT],
        *(s for v in evidence.agents[C.SYNONYMS] for s in split(v)),
    ]
    msg = f"agent '{name}' is not in the evidence base{suggest(name, everything)}"
    raise EvidenceQueryError(msg)


def resolve_class(text: str, evidence: Evidence) -> str:
    """Return the vocabulary class that ``text`` names (case, spaces and punctuation ignored)."""
    classes = [str(c) for c in evidence.curated["vocab_agent_class"]["agent_class"]]
    for label in classes:
        if name_key(label) == name_key(text):
            return label
    msg = f"agent class '{text}' is unknown; valid classes: {', '.join(classes)}"
    raise EvidenceQueryError(msg)


def resolve_target(text: str, evidence: Evidence) -> str:
    """Return the approved symbol, fusion or family that a target term stands for."""
    if name_key(text) == "ros":
        msg = "'ROS' is a mechanism, not a gene: use --mechanism ROS"
        raise EvidenceQueryError(msg)
    aliases = evidence.curated["term_aliases"]
    by_alias = {
        name_key(t): str(s) for t, s in zip(aliases["term"], aliases["symbol"], strict=True)
    }
    families = {name_key(f): f for f in evidence.families}
    key = name_key(text)
    if key in families:
        return families[key]
    if key in by_alias:
        return by_alias[key]
    if "::" in text or "-" in text:
        fusion = "::".join(part.upper() for part in re.split(r"::|-", text))
        if fusion in set(evidence.records[C.TARGET]):
            return fusion
    matches = resolve_symbol(text)
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        genes = ", ".join(matches)
        msg = f"target '{text}' is ambiguous: it is a previous symbol or alias of {genes}"
        raise EvidenceQueryError(msg)
    known = set(evidence.records[C.TARGET]) - {""}
    hint = suggest(text.upper(), known)
    msg = f"target '{text}' is not an HGNC symbol, alias or target family{hint}"
    raise EvidenceQueryError(msg)
