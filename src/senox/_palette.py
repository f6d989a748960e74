"""The colours senox draws with: one palette for the report, ``senox.pl`` and ``uns``.

States use the Okabe–Ito palette (colour-blind safe; Okabe & Ito 2008, "Color Universal
Design", https://jfly.uni-koeln.de/color/), the same in every figure: senescent states warm,
cycling ones cool. Groups and strategies use Paul Tol's qualitative palettes ("muted" and
"bright"; https://personal.sron.nl/~pault/).

>>> state_colors(["other", "escape_like", "my_state"])
{'escape_like': '#009E73', 'other': '#999999', 'my_state': '#CC79A7'}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

#: Colour of each state (Okabe–Ito), in the order figures list the states.
STATE_COLORS: dict[str, str] = {
    "proliferating": "#0072B2",
    "quiescent": "#56B4E9",
    "senescent_inflammatory": "#D55E00",
    "senescent_p53": "#E69F00",
    "escape_like": "#009E73",
    "other": "#999999",
}
#: Colours for states outside ``STATE_COLORS`` (rest of Okabe–Ito), in order of appearance.
EXTRA_STATE_COLORS = ("#CC79A7", "#F0E442", "#000000")
#: Groups of observations (Paul Tol "muted").
GROUP_COLORS = (
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
    "#DDCC77", "#CC6677", "#882255", "#AA4499", "#DDDDDD",
)  # fmt: skip
#: Therapy strategies (Paul Tol "bright").
STRATEGY_COLORS = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB")


def state_order(states: Iterable[object]) -> list[str]:
    """The states present, in the canonical order of ``STATE_COLORS``, unknown ones after."""
    present = list(dict.fromkeys(str(s) for s in states))
    known = [s for s in STATE_COLORS if s in present]
    return known + sorted(s for s in present if s not in STATE_COLORS)


def state_colors(states: Iterable[object]) -> dict[str, str]:
    """State → colour; states outside the canonical six get the remaining Okabe–Ito colours."""
    out: dict[str, str] = {}
    extra = 0
    for state in state_order(states):
        if state in STATE_COLORS:
            out[state] = STATE_COLORS[state]
        else:
            out[state] = EXTRA_STATE_COLORS[extra % len(EXTRA_STATE_COLORS)]
            extra += 1
    return out


def cycle(names: Sequence[str], palette: Sequence[str]) -> dict[str, str]:
    """Name → colour, going round ``palette`` in order.

    >>> cycle(["a", "b", "c"], ("red", "blue"))
    {'a': 'red', 'b': 'blue', 'c': 'red'}
    """
    return {name: palette[i % len(palette)] for i, name in enumerate(names)}
