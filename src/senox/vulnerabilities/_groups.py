"""The groups whose vulnerabilities are tested, each with what it is compared with.

Targeted, in this order (the order of the table): the senescent subtypes, the senescent
sub-clusters, ``escape_like``, then any state the user names. ``other`` (no rule held) is tested
only when named. With a reference (``"COLUMN=VALUE"``, as for ``call_states``), a group's
observations outside the reference are compared with the reference observations; without one,
a group is compared with every other observation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from senox._errors import InputError
from senox.states import STATE_NAMES
from senox.states._call import parse_reference
from senox.vulnerabilities._stats import Sides

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    from anndata import AnnData
    from numpy.typing import NDArray

SENESCENT_STATES = ("senescent_inflammatory", "senescent_p53")
ESCAPE_STATE = "escape_like"
SUBCLUSTER = "senescent subcluster {}"
VS_OTHERS = "vs all other observations"


@dataclass(frozen=True)
class Group:
    """A targeted group: its name, its two sides, the comparison in words, whether senescent."""

    name: str
    sides: Sides
    comparison: str
    senescent: bool


def _states(adata: AnnData, key: str) -> pd.Series:
    column = f"{key}_state"
    if column not in adata.obs:
        msg = f"adata.obs has no '{column}': run senox.states.call_states first"
        raise InputError(msg)
    state: pd.Series = adata.obs[column].astype(str)
    return state


def _named(states: Sequence[str] | None) -> list[str]:
    named = list(states or [])
    unknown = [s for s in named if s not in STATE_NAMES]
    if unknown:
        msg = (
            f"states: {', '.join(map(repr, unknown))} is not a state senox calls; "
            f"choose from {', '.join(STATE_NAMES)}"
        )
        raise InputError(msg)
    return named


def _members(
    adata: AnnData, key: str, states: Sequence[str] | None
) -> list[tuple[str, bool, pd.Series]]:
    """(name, senescent, mask) of every targeted group, in priority order."""
    state = _states(adata, key)
    present = set(state)
    members = [(s, True, state == s) for s in SENESCENT_STATES if s in present]
    sub = adata.obs.get(f"{key}_subcluster")
    if sub is not None:
        for label in sorted(pd.unique(sub.dropna())):
            members.append((SUBCLUSTER.format(int(label)), True, sub == label))
    if ESCAPE_STATE in present:
        members.append((ESCAPE_STATE, False, state == ESCAPE_STATE))
    taken = {name for name, _, _ in members}
    for name in _named(states):
        if name not in taken:
            members.append((name, name in SENESCENT_STATES, state == name))
            taken.add(name)
    return members


def _reference_text(reference: str | tuple[str, str]) -> str:
    column, value = reference.split("=", 1) if isinstance(reference, str) else reference
    return f"vs reference {column}={value}"


def targeted_groups(
    adata: AnnData,
    key: str,
    reference: str | tuple[str, str] | None,
    states: Sequence[str] | None,
) -> list[Group]:
    """The groups to test, in the order the table shows them."""
    reference_mask = parse_reference(adata, reference)
    groups = []
    for name, senescent, mask in _members(adata, key, states):
        member = mask.to_numpy(dtype=bool)
        if reference_mask is None:
            sides, text = Sides(member, ~member), VS_OTHERS
        else:
            ref = reference_mask.to_numpy(dtype=bool)
            sides, text = Sides(member & ~ref, ref), _reference_text(reference)  # type: ignore[arg-type]
        groups.append(Group(name, sides, text, senescent))
    return groups


def sample_labels(adata: AnnData, sample_key: str | None) -> NDArray[np.str_] | None:
    """The sample of each observation (``""`` where it is missing), or ``None`` without one."""
    if sample_key is None:
        return None
    if sample_key not in adata.obs:
        columns = ", ".join(map(str, adata.obs.columns)) or "none"
        msg = (
            f"sample_key '{sample_key}' is not a column of obs (columns: {columns}); "
            "annotate the observations with a sample sheet (--obs FILE; obs= of senox.io.read)"
        )
        raise InputError(msg)
    column = adata.obs[sample_key]
    labels: NDArray[np.str_] = column.astype(str).where(column.notna(), "").to_numpy(dtype=str)
    return labels
