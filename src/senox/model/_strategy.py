"""Therapy strategies as data: doses of agents over time, resolved through the evidence base.

A strategy file (TOML) names agents as the evidence base knows them (``senox kb show NAME``) or a
model action directly. Each agent keeps every model action its evidence-base classes
(:data:`CLASS_ACTIONS`) and its targets imply: a target the model represents explicitly
(:data:`TARGET_ACTIONS`) replaces the generic ``chemotherapy`` class (a CDK4/6 inhibitor is filed
as chemotherapy but acts on the cell cycle, not on DNA). Where that inference is biologically
wrong, a reviewed row of ``data/agent_actions.tsv`` (with its rationale and source) gives the
actions instead; docs/agent-actions.md lists every agent's result. Names the evidence base could
not resolve to one compound are refused. Each action doses one exposure species of the model
(:data:`ACTIONS`).

Layout of a strategy file::

    [strategy]
    name = "chemo+senolytic"
    description = "..."
    source = "seed §4.1.3"

    [[doses]]
    agent = "doxorubicin"     # or: action = "genotoxic"
    class = "chemotherapy"    # optional: use only this one of the agent's evidence-base classes
    start = 0                 # day of the first dose
    every = 21                # days between doses (needed when count > 1)
    count = 4                 # number of doses (default 1)
    amount = 1.0              # dose equivalents per dose (default 1: one standard dose)
"""

from __future__ import annotations

import io
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from senox._errors import InputError, SenoxError
from senox.model._limits import MAX_DOSE_AMOUNT, check_dose_count
from senox.model._spec import Dose, finite, read_toml

if TYPE_CHECKING:
    from collections.abc import Iterable

#: Model actions and the exposure species each one doses.
ACTIONS = {
    "genotoxic": "C_geno",
    "cdk46_inhibition": "C_cdk",
    "ros_induction": "C_ros",
    "gsh_depletion": "C_gsh",
    "nrf2_inhibition": "C_nrf2",
    "senolysis": "C_sl",
    "senomorphic": "C_sm",
    "immune_activation": "C_imm",
}

#: Evidence-base classes and the model action each one takes.
CLASS_ACTIONS = {
    "chemotherapy": "genotoxic",
    "radiotherapy": "genotoxic",
    "ferroptosis inducer": "ros_induction",
    "ROS-inducing apoptotic agent": "ros_induction",
    "thioredoxin-system inhibitor": "ros_induction",
    "nanomaterial (RDH)": "ros_induction",
    "GSH depletion": "gsh_depletion",
    "senolytic": "senolysis",
    "senomorphic": "senomorphic",
    "immunotherapy": "immune_activation",
}

#: Targets the model represents explicitly; they replace the generic ``chemotherapy`` action.
TARGET_ACTIONS = {
    "CDK4": "cdk46_inhibition",
    "CDK6": "cdk46_inhibition",
    "NFE2L2": "nrf2_inhibition",
}

#: The reviewed table of agents whose actions are not those their classes and targets imply.
OVERRIDES_FILE = "agent_actions.tsv"

_DOSE_FIELDS = {"agent", "action", "class", "start", "every", "count", "amount"}


@dataclass(frozen=True)
class DoseRule:
    """Repeated doses of one agent (or one model action)."""

    agent: str
    agent_class: str
    actions: tuple[str, ...]
    start: float
    every: float
    count: int
    amount: float

    def times(self) -> list[float]:
        """The days on which this rule doses."""
        return [self.start + i * self.every for i in range(self.count)]


@dataclass(frozen=True)
class Strategy:
    """A named therapy: dose rules, with where the design comes from."""

    name: str
    description: str
    source: str
    rules: tuple[DoseRule, ...]

    def dose_count(self) -> int:
        """The number of dose events, without listing them."""
        return sum(rule.count * len(rule.actions) for rule in self.rules)

    def doses(self) -> list[Dose]:
        """Every dose as a bolus on an exposure species, in time order."""
        doses = [
            Dose(time=t, species=ACTIONS[action], amount=rule.amount)
            for rule in self.rules
            for action in rule.actions
            for t in rule.times()
        ]
        return sorted(doses, key=lambda d: (d.time, d.species))


@dataclass(frozen=True)
class Resolution:
    """How one agent resolves to model actions, and why.

    ``actions`` is empty when the agent has no model action; ``unusable`` says why an agent may
    not be dosed at all (an unresolved name), empty otherwise. ``basis`` lists the class, target
    or reviewed row behind each action.
    """

    agent: str
    agent_class: str
    actions: tuple[str, ...]
    basis: tuple[str, ...]
    unusable: str = ""


@cache
def action_overrides() -> pd.DataFrame:
    """The reviewed exceptions to resolution by class and target, indexed by agent.

    Read from ``data/agent_actions.tsv``: ``actions`` (``;``-separated, empty for no model
    action), ``rationale`` and ``source`` for each agent whose class-based inference is wrong.
    """
    text = (files("senox.model") / "data" / OVERRIDES_FILE).read_text("utf-8")
    table = pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False)
    for row in table.itertuples(index=False):
        unknown = sorted(set(_split(str(row.actions))) - set(ACTIONS))
        if unknown or not (row.rationale and row.source):
            msg = (
                f"{OVERRIDES_FILE}: agent '{row.agent}' has unknown action(s) {unknown} or no "
                "rationale/source; fix the shipped table"
            )
            raise SenoxError(msg)
    if table["agent"].duplicated().any():
        msg = f"{OVERRIDES_FILE}: an agent is listed twice; give each agent one row"
        raise SenoxError(msg)
    return table.set_index("agent")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _in_actions_order(actions: Iterable[str]) -> tuple[str, ...]:
    chosen = set(actions)
    return tuple(a for a in ACTIONS if a in chosen)


def _inferred(records: pd.DataFrame, classes: list[str]) -> tuple[set[str], list[str]]:
    """Actions implied by the classes and by the targets the model represents, with the basis."""
    from senox.kb._columns import RAISING_EFFECTS  # senox.kb loads only when agents resolve

    acting = records[~records["effect"].isin(RAISING_EFFECTS)]
    targets = sorted(set(acting["target"]) & set(TARGET_ACTIONS))
    actions = {TARGET_ACTIONS[t] for t in targets}
    basis = [f"target {t} → {TARGET_ACTIONS[t]}" for t in targets]
    for name in classes:
        action = CLASS_ACTIONS.get(name)
        if action is None:
            continue
        if name == "chemotherapy" and targets:
            basis.append("class chemotherapy → replaced by its target")
            continue
        actions.add(action)
        basis.append(f"class {name} → {action}")
    return actions, basis


def resolve_actions(agent: str, agent_class: str | None = None) -> Resolution:
    """Resolve an agent through the evidence base and the reviewed table, without raising.

    Each agent keeps every action its classes and its targets imply (a target the model
    represents replaces the generic ``chemotherapy`` class: a CDK4/6 inhibitor acts on the cell
    cycle, not on DNA), unless ``agent_actions.tsv`` gives its reviewed actions instead.
    ``agent_class`` restricts a multi-class agent to one class (and its records).
    """
    from senox import kb

    card = kb.show(agent)
    standing = kb.agent_standing(kb.load_evidence())
    classes = _split(card.agent_class)
    records = card.records
    if agent_class is not None:
        if agent_class not in classes:
            msg = (
                f"field 'class': '{card.agent}' is not filed as '{agent_class}' (its classes: "
                f"{card.agent_class})"
            )
            raise InputError(msg)
        classes = [agent_class]
        records = records[records["agent_class"].fillna("").map(lambda c: agent_class in _split(c))]
    actions, basis = _inferred(records, classes)
    overrides = action_overrides()
    if card.agent in overrides.index:
        reviewed = set(_split(str(overrides.loc[card.agent, "actions"])))
        actions = reviewed if agent_class is None else actions & reviewed
        basis = [f"reviewed ({OVERRIDES_FILE}) → {', '.join(sorted(reviewed)) or 'none'}"]
    unusable = "" if standing.loc[card.agent, "usable"] else str(standing.loc[card.agent, "reason"])
    return Resolution(
        agent=card.agent,
        agent_class="; ".join(classes),
        actions=_in_actions_order(actions),
        basis=tuple(basis),
        unusable=unusable,
    )


def agent_actions(agent: str, agent_class: str | None = None) -> tuple[str, str, tuple[str, ...]]:
    """Resolve an agent that may be dosed: canonical name, class(es) and model actions.

    ``agent_class`` restricts an agent with several evidence-base classes to one of them.
    See :func:`resolve_actions` for the rules.

    Raises
    ------
    InputError
        For an agent that may not be dosed (an unresolved name,
        :func:`senox.kb.agent_standing`) and for one with no model action.

    >>> agent_actions("Adriamycin")
    ('doxorubicin', 'chemotherapy', ('genotoxic',))
    >>> agent_actions("CDK4/6i")[2]
    ('cdk46_inhibition',)
    >>> agent_actions("cisplatin")[2]
    ('genotoxic',)
    >>> agent_actions("metformin", "senomorphic")[1:]
    ('senomorphic', ('senomorphic',))
    """
    found = resolve_actions(agent, agent_class)
    if found.unusable:
        msg = (
            f"agent '{found.agent}' cannot be dosed: {found.unusable}; name a resolved agent "
            f"(senox kb show NAME) or give action = ... ({', '.join(ACTIONS)})"
        )
        raise InputError(msg)
    if not found.actions:
        msg = (
            f"agent '{found.agent}' (class {found.agent_class}) has no model action "
            f"({'; '.join(found.basis) or 'no class or target the model represents'}); "
            f"name one with action = ... ({', '.join(ACTIONS)})"
        )
        raise InputError(msg)
    return found.agent, found.agent_class, found.actions


def _number(row: dict[str, object], key: str, default: float | None, where: str) -> float:
    value = row.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{where}: field '{key}' must be a number, not {value!r}"
        raise InputError(msg)
    if value < 0:
        msg = f"{where}: field '{key}' is negative ({value}); doses and times must be ≥ 0"
        raise InputError(msg)
    return finite(value, f"{where}: field '{key}'")


def _text(row: dict[str, object], key: str, where: str) -> str:
    value = row[key]
    if not isinstance(value, str) or not value.isprintable():
        msg = f"{where}: field '{key}' is {value!r}; give a name on one line"
        raise InputError(msg)
    return value


def _rule(row: dict[str, object], where: str) -> DoseRule:
    unknown = sorted(set(row) - _DOSE_FIELDS)
    if unknown:
        msg = (
            f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; allowed: "
            f"{', '.join(sorted(_DOSE_FIELDS))}"
        )
        raise InputError(msg)
    if ("agent" in row) == ("action" in row):
        msg = (
            f"{where}: give exactly one of 'agent' (an evidence-base agent) or 'action' "
            f"({', '.join(ACTIONS)})"
        )
        raise InputError(msg)
    if "agent" in row:
        chosen = _text(row, "class", where) if "class" in row else None
        name = _text(row, "agent", where)
        try:
            agent, agent_class, actions = agent_actions(name, chosen)
        except SenoxError as exc:
            msg = f"{where}: {exc}"
            raise InputError(msg) from None
    else:
        if "class" in row:
            msg = f"{where}: field 'class' goes with 'agent', not with 'action'"
            raise InputError(msg)
        action = _text(row, "action", where)
        if action not in ACTIONS:
            msg = f"{where}: field 'action' is '{action}'; known actions: {', '.join(ACTIONS)}"
            raise InputError(msg)
        agent, agent_class, actions = f"({action})", "model action", (action,)
    count = row.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        msg = f"{where}: field 'count' must be a whole number ≥ 1, not {count!r}"
        raise InputError(msg)
    every = _number(row, "every", 0.0, where)
    if count > 1 and every <= 0:
        msg = f"{where}: field 'every' must be > 0 days when count > 1"
        raise InputError(msg)
    amount = _number(row, "amount", 1.0, where)
    if amount > MAX_DOSE_AMOUNT:
        msg = (
            f"{where}: field 'amount' is {amount:g}, more than {MAX_DOSE_AMOUNT:g} standard doses; "
            "give the amount in dose equivalents (1: one standard dose)"
        )
        raise InputError(msg)
    return DoseRule(
        agent=agent,
        agent_class=agent_class,
        actions=actions,
        start=_number(row, "start", None, where),
        every=every,
        count=count,
        amount=amount,
    )


def parse_strategy(data: dict[str, object], label: str) -> Strategy:
    """Build a :class:`Strategy` from a parsed TOML document; errors name ``label`` and field."""
    header = data.get("strategy")
    if not isinstance(header, dict) or not isinstance(header.get("name"), str):
        msg = f"{label}: table [strategy] with a 'name' is missing"
        raise InputError(msg)
    name = header["name"]
    if not (name.strip() and name.isprintable()):
        msg = f"{label}: [strategy] name {name!r} must be text on one line"
        raise InputError(msg)
    rows = data.get("doses", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        msg = f"{label}: [[doses]] must be an array of tables"
        raise InputError(msg)
    unknown = sorted(set(data) - {"strategy", "doses"})
    if unknown:
        msg = (
            f"{label}: unknown table(s) {', '.join(map(repr, unknown))}; a strategy has "
            "[strategy] and [[doses]]"
        )
        raise InputError(msg)
    rules = tuple(_rule(row, f"{label}: doses[{i}]") for i, row in enumerate(rows))
    strategy = Strategy(
        name=name,
        description=str(header.get("description", "")),
        source=str(header.get("source", "")),
        rules=rules,
    )
    check_dose_count(strategy.dose_count(), label)
    return strategy


def _builtin_files() -> dict[str, str]:
    folder = files("senox.model") / "data" / "strategies"
    return {
        entry.name.removesuffix(".toml"): entry.read_text("utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    }


def builtin_strategies() -> list[str]:
    """Names of the strategies shipped with senox."""
    return sorted(_builtin_files())


def load_strategy(name_or_path: str | Path) -> Strategy:
    """A shipped strategy by name, or a strategy file (TOML) by path."""
    builtin = _builtin_files()
    if str(name_or_path) in builtin:
        return parse_strategy(tomllib.loads(builtin[str(name_or_path)]), str(name_or_path))
    path = Path(name_or_path)
    if not path.is_file():
        msg = (
            f"strategy '{name_or_path}': neither a shipped strategy "
            f"({', '.join(sorted(builtin))}) nor a file"
        )
        raise InputError(msg)
    return parse_strategy(read_toml(path, "strategy"), str(path))


def load_strategies(names: Iterable[str | Path]) -> list[Strategy]:
    """Several strategies; names must be unique."""
    strategies = [load_strategy(n) for n in names]
    seen: set[str] = set()
    for strategy in strategies:
        if strategy.name in seen:
            msg = f"strategy name '{strategy.name}' is given twice; strategy names must be unique"
            raise InputError(msg)
        seen.add(strategy.name)
    return strategies
