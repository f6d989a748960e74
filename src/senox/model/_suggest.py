"""Strategies suggested by the vulnerabilities of the observed states: chemo plus one agent.

A vulnerability table (``senox.vulnerabilities.find_vulnerabilities``) pairs each targeted state
with agents acting on a target it expresses. An agent becomes a ``chemo+AGENT`` strategy only
when it may be dosed (a resolved name, :func:`senox.kb.agent_standing`), has a model action, and
one of its actions acts on that state (:data:`STATE_ACTIONS`); agents whose only action is
genotoxic add nothing to the chemotherapy backbone and are skipped.

Which actions act on which state, and why (seed §4), are :data:`STATE_ACTIONS` and
:data:`STATE_REASONS`. Immune activation acts on no state here: in the model it acts on all tumour
cells alike. CDK4/6 inhibition acts on none either: it imposes arrest, which the seed reports as
senescence induction (§2.2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from senox._errors import InputError, SenoxError
from senox.model._strategy import (
    DoseRule,
    Strategy,
    agent_actions,
    builtin_strategies,
    load_strategy,
)

if TYPE_CHECKING:
    import pandas as pd

#: Model actions that act on each targeted state (by state name, or name prefix for
#: ``senescent subcluster N``); :data:`STATE_REASONS` gives the seed's reasons.
STATE_ACTIONS: dict[str, frozenset[str]] = {
    "senescent_inflammatory": frozenset({"senolysis", "senomorphic"}),
    "senescent_p53": frozenset({"senolysis"}),
    "senescent subcluster": frozenset({"senolysis", "senomorphic"}),
    "escape_like": frozenset({"ros_induction", "gsh_depletion", "nrf2_inhibition"}),
}

#: Why each state takes the actions of :data:`STATE_ACTIONS` (seed sections).
STATE_REASONS: dict[str, str] = {
    "senescent_inflammatory": (
        "senolysis removes the cells (§4.1.3); a senomorphic suppresses their NF-κB-driven SASP "
        "(§4.1.4)"
    ),
    "senescent_p53": (
        "senolysis only: modulating the p53-driven SASP of CDK4/6i-induced senescence may not "
        "help, as it supports immune surveillance (§2.2), and the model's senomorphic acts on the "
        "NF-κB SASP alone"
    ),
    "senescent subcluster": (
        "senolysis and a senomorphic: the SASP type of a sub-cluster is not called"
    ),
    "escape_like": (
        "escaped cells keep ROS low through NRF2, SOD and GPx and are stem-like (§4.2.1); the seed "
        "proposes raising ROS and depleting GSH in therapy-resistant stem-like cells (§4.1.1: "
        "PEITC, LBL21) and co-targeting the antioxidant defence. Not CDK4/6 inhibition: escape "
        "runs through CDK1 (Cdc2) reactivation (§2.2), seen in cells lacking p53 and p16 "
        "(§4.2.1), and CDK4/6 inhibitors induce senescence (§2.2), refilling the pool that "
        "escapes"
    ),
}

#: A senolytic follows the first chemotherapy dose by a week and is given daily for two weeks
#: (seed §4.1.3: senolytics clear therapy-induced senescent cells once they have formed); any
#: other agent is given daily through the 12 weeks of the chemotherapy course.
SENOLYTIC_START, SENOLYTIC_DAYS, COURSE_DAYS = 7.0, 14, 84

_REQUIRED = ("state", "agent")


def state_actions(state: str) -> frozenset[str]:
    """The model actions that act on ``state`` (empty for a state no action targets)."""
    for name, actions in STATE_ACTIONS.items():
        if state == name or state.startswith(f"{name} "):
            return actions
    return frozenset()


def _ranked(vulnerabilities: pd.DataFrame) -> pd.DataFrame:
    """Rows by evidence: ``fdr`` ascending (``auroc`` breaks ties), else ``auroc`` descending."""
    missing = [c for c in _REQUIRED if c not in vulnerabilities]
    keys = [c for c in ("fdr", "auroc") if c in vulnerabilities]
    if missing or not keys:
        msg = (
            f"vulnerability table: column(s) {', '.join(missing or ['fdr or auroc'])} missing; "
            "give 'state', 'agent' and a ranking column ('fdr' or 'auroc')"
        )
        raise InputError(msg)
    tested = vulnerabilities.dropna(subset=[keys[0], "agent"])
    tested = tested[tested["agent"].astype(str).str.strip() != ""]
    return tested.sort_values(keys, ascending=[k == "fdr" for k in keys], kind="stable")


def _resolved(agent: str) -> tuple[str, str, tuple[str, ...]] | None:
    """The agent's name, class and actions, or ``None`` for one that may not be dosed.

    Unresolved names, agents without a model action and names the evidence base does not hold
    (a row with no agent, a table made elsewhere) are all skipped.
    """
    try:
        return agent_actions(agent)
    except SenoxError:
        return None


def _dose_rule(agent: str, agent_class: str, actions: tuple[str, ...]) -> DoseRule:
    senolytic = "senolysis" in actions
    return DoseRule(
        agent=agent,
        agent_class=agent_class,
        actions=actions,
        start=SENOLYTIC_START if senolytic else 0.0,
        every=1.0,
        count=SENOLYTIC_DAYS if senolytic else COURSE_DAYS,
        amount=1.0,
    )


def _strategy(
    state: str, found: tuple[str, str, tuple[str, ...]], chemo: Strategy, covered: set[str]
) -> Strategy:
    """``chemo`` plus the agent, noting actions the shipped strategies already use (``covered``)."""
    agent, agent_class, actions = found
    note = "" if set(actions) - covered else " (an action the shipped strategies also use)"
    useful = ", ".join(sorted(set(actions) & state_actions(state)))
    return Strategy(
        name=f"chemo+{agent}",
        description=f"chemo plus {agent} ({', '.join(actions)}){note}",
        source=f"vulnerability of state '{state}' ({useful})",
        rules=(*chemo.rules, _dose_rule(agent, agent_class, actions)),
    )


def strategies_for_states(vulnerabilities: pd.DataFrame, n: int) -> list[Strategy]:
    """Up to ``n`` ``chemo+AGENT`` strategies from the best-ranked usable agents of each state.

    Parameters
    ----------
    vulnerabilities
        A table with columns ``state``, ``agent`` and ``fdr`` (ranked ascending) or ``auroc``
        (ranked descending); rows without a ranking value (groups too small to test) are
        skipped.
    n
        The most strategies to make (0: none).

    Returns
    -------
    The shipped ``chemo`` strategy plus one agent each, best evidence first. An agent is used
    only if it may be dosed, has a model action, and one of its actions acts on the state
    (:data:`STATE_ACTIONS`). All of the agent's actions are dosed: a drug does everything it
    does. One strategy per set of actions: agents with the same actions (navitoclax, NAV-Gal,
    BCL-2 inhibitors) are the same therapy to the model, so only the best-ranked is kept.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        msg = f"number of strategies must be a whole number ≥ 0, not {n!r}"
        raise InputError(msg)
    ranked = _ranked(vulnerabilities)[["state", "agent"]].astype(str)
    if n == 0 or ranked.empty:
        return []
    chemo = load_strategy("chemo")
    covered = {a for s in builtin_strategies() for r in load_strategy(s).rules for a in r.actions}
    resolved: dict[str, tuple[str, str, tuple[str, ...]] | None] = {}
    made: dict[tuple[str, ...], Strategy] = {}
    for state, agent in ranked.itertuples(index=False):
        if len(made) >= n:
            break
        acting = state_actions(state)
        if not acting:
            continue
        if agent not in resolved:
            resolved[agent] = _resolved(agent)
        found = resolved[agent]
        if found is None or found[2] in made or not set(found[2]) & acting:
            continue
        made[found[2]] = _strategy(state, found, chemo, covered)
    return list(made.values())
