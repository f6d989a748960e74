"""The states of the redox–senescence axis as data: each is a conjunction of thresholds on axes.

Axes are robust z-scores of program scores (see :mod:`senox.states._calibrate`):

- ``cycling``: a margin that is >= 0 for cycling observations (:mod:`senox.states._cycling`);
- ``sen``: the up side of the ``senescence`` program (SenMayo, CDKN1A/2A). Its down side
  (LMNB1, MKI67) tracks arrest and would make quiescent cells look senescent;
- ``sasp``: the core SASP; ``sasp_vs_p53``: the NF-κB-inflammatory SASP minus the p53 response;
- ``redox``: the redox index, oxidant minus antioxidant; ``stem``: stemness.

Thresholds are in baseline robust SDs. Why each is where it is:

- ``cycling >= 0``: cycling; ``cycling < 0``: arrested. Decided by the mixture of proliferation
  scores, or in designs too small for it against the reference, by a calibrated two-group
  split, or by the sign of the cycle genes (:mod:`senox.states._cycling`).
- ``sen >= 1.5``: senescent. Arrest alone does not raise the senescence program, so we ask for a
  clear rise (1.5 SD, about the 93rd percentile of a normal baseline) beyond arrest.
- ``sen < 1.5`` and ``sasp < 1.5``: quiescent. Arrested, yet neither the senescence program nor
  the SASP clears the senescence bar: the classic confounder of senescence scores. Arrested
  observations with the SASP up but not the senescence program are left ``other``.
- ``sasp_vs_p53``: doxorubicin-like senescence has an NF-κB-driven, pro-inflammatory SASP and
  CDK4/6i-like senescence a p53-driven, less inflammatory one (seed §2.2). The sign of the
  difference picks the subtype.
- escape-like: cycling again (``cycling >= 0``) with the antioxidant side dominant
  (``redox <= -1``) and stem-like (``stem >= 1``). This is the low-ROS, NRF2-active, stem-like
  state of seed §4.2.1.

States are tested in order; the first whose every condition holds is called, else ``other``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy.special import expit

#: How sharply confidence rises with the margin (in z units) past the nearest threshold.
CONFIDENCE_SLOPE = 2.0


@dataclass(frozen=True)
class Condition:
    """``axis >= threshold`` (``above=True``) or ``axis < threshold``."""

    axis: str
    threshold: float
    above: bool

    def margin(self, axes: pd.DataFrame) -> pd.Series:
        """Distance past the threshold, positive when the condition holds."""
        value = axes[self.axis]
        return value - self.threshold if self.above else self.threshold - value

    def __str__(self) -> str:
        return f"{self.axis} {'>=' if self.above else '<'} {self.threshold:g}"


@dataclass(frozen=True)
class State:
    """A named state and the conditions that define it."""

    name: str
    conditions: tuple[Condition, ...]
    description: str


def at_least(axis: str, threshold: float) -> Condition:
    """``axis >= threshold``."""
    return Condition(axis, threshold, above=True)


def below(axis: str, threshold: float) -> Condition:
    """``axis < threshold``."""
    return Condition(axis, threshold, above=False)


STATES: tuple[State, ...] = (
    State(
        "escape_like",
        (at_least("cycling", 0.0), below("redox", -1.0), at_least("stem", 1.0)),
        "cycling again, antioxidant-dominant (low ROS, NRF2), stem-like (seed §4.2.1)",
    ),
    State("proliferating", (at_least("cycling", 0.0),), "cycling like the baseline or more"),
    State(
        "senescent_inflammatory",
        (below("cycling", 0.0), at_least("sen", 1.5), at_least("sasp_vs_p53", 0.0)),
        "arrested, senescence program up, NF-κB-inflammatory SASP dominant (doxorubicin-like)",
    ),
    State(
        "senescent_p53",
        (below("cycling", 0.0), at_least("sen", 1.5), below("sasp_vs_p53", 0.0)),
        "arrested, senescence program up, p53-driven response dominant (CDK4/6i-like)",
    ),
    State(
        "quiescent",
        (below("cycling", 0.0), below("sen", 1.5), below("sasp", 1.5)),
        "arrested without the senescence program or the SASP",
    ),
)
OTHER = "other"
STATE_NAMES = (*(s.name for s in STATES), OTHER)

#: The up side of ``senescence``, scored under this name for the ``sen`` axis.
SENESCENCE_UP = "senescence_up"
#: Programs each axis is built from.
AXIS_PROGRAMS = ("proliferation", SENESCENCE_UP, "sasp", "sasp_inflammatory", "p53_response",
                 "oxidant", "antioxidant", "stemness")  # fmt: skip


def axes(z: pd.DataFrame, cycling: pd.Series) -> pd.DataFrame:
    """The decision axes from program z-scores and the cycling margin."""
    return pd.DataFrame(
        {
            "cycling": cycling,
            "sen": z[SENESCENCE_UP],
            "sasp": z["sasp"],
            "sasp_vs_p53": z["sasp_inflammatory"] - z["p53_response"],
            "redox": redox_index(z),
            "stem": z["stemness"],
        },
        index=z.index,
    )


def redox_index(z: pd.DataFrame) -> pd.Series:
    """Oxidant minus antioxidant z-score (positive: pro-oxidant; negative: antioxidant-led)."""
    return z["oxidant"] - z["antioxidant"]


def _sigmoid(x: pd.Series) -> pd.Series:
    return pd.Series(expit(CONFIDENCE_SLOPE * x.to_numpy()), index=x.index)


def memberships(ax: pd.DataFrame) -> pd.DataFrame:
    """Per state, sigmoid of the smallest margin over its conditions (> 0.5 iff all hold)."""
    return pd.DataFrame(
        {
            s.name: _sigmoid(pd.concat([c.margin(ax) for c in s.conditions], axis=1).min(axis=1))
            for s in STATES
        },
        index=ax.index,
    )


def assign(ax: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The first state whose conditions all hold (else ``other``), and its confidence.

    Confidence is the state's membership (0.5-1); for ``other``, one minus the best membership.
    """
    member = memberships(ax)
    state = pd.Series(OTHER, index=ax.index, dtype=object)
    confidence = 1.0 - member.max(axis=1)
    for s in reversed(STATES):
        holds = member[s.name] > 0.5
        state[holds] = s.name
        confidence[holds] = member.loc[holds, s.name]
    return state, confidence


def describe_rules() -> pd.DataFrame:
    """The rules as a table: state, conditions, description."""
    rows = [(s.name, " & ".join(map(str, s.conditions)), s.description) for s in STATES]
    rows.append(
        (
            OTHER,
            "none of the above",
            "no rule holds (e.g. arrested with an intermediate senescence score)",
        )
    )
    return pd.DataFrame(rows, columns=["state", "conditions", "description"])
