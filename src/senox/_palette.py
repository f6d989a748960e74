"""The colours senox draws with: one palette for the report, ``senox.pl`` and ``uns``.

States use the Okabe–Ito palette (colour-blind safe; Okabe & Ito 2008, "Color Universal
Design", https://jfly.uni-koeln.de/color/), the same in every figure: senescent states warm,
cycling ones cool.

Groups (conditions, samples) and strategies use palettes made with glasbey 0.4.0 (McInnes,
https://github.com/lmcinnes/glasbey; Glasbey et al. 2007, doi:10.1080/02664760701684053), which
adds colours one at a time, each as far as possible in CAM02-UCS from those already chosen:

- ``GROUP_COLORS``: ``glasbey.extend_palette(okabe_ito, palette_size=21,
  lightness_bounds=(30, 75), chroma_bounds=(20, 85))[9:]`` (``okabe_ito`` = the nine colours of
  ``STATE_COLORS`` and ``EXTRA_STATE_COLORS``), so no group colour is close to a state colour:
  every pair is at least 21.9 CAM02-UCS units apart (Paul Tol's "muted", used before, came
  within 9.9 of a state colour).
- ``STRATEGY_COLORS``: Paul Tol's "bright" (https://personal.sron.nl/~pault/; colour-blind
  safe) without its grey, extended the same way to 24 colours (``glasbey.extend_palette(bright,
  palette_size=24, lightness_bounds=(30, 75), chroma_bounds=(25, 85))``); any two are at least
  19.7 units apart. Only the first six are colour-blind safe: with more strategies than that,
  the legends list them in the order of the ranking.

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
#: Groups of observations: 12 colours, each far from every state colour (see above).
GROUP_COLORS = (
    "#8e00db", "#696100", "#ae0045", "#14ef7d", "#aa86ff", "#75516d",
    "#7da600", "#fbb6a6", "#00e7db", "#d2c2eb", "#be00aa", "#ff4161",
)  # fmt: skip
#: Therapy strategies: Paul Tol's "bright" then 18 more, 24 distinct colours (see above).
STRATEGY_COLORS = (
    "#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377",
    "#ca86ff", "#8a4d00", "#8e00eb", "#00eb9a", "#ff8208", "#f7b6a6",
    "#b20414", "#04a29e", "#ff45db", "#8e719a", "#5dbe00", "#b2825d",
    "#7d9eff", "#8eb28a", "#4941ff", "#8e8a00", "#c6c2eb", "#356965",
)  # fmt: skip


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
