"""Programs resolved against a data set's genes, laid out as slots for the kernels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from senox._errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import NDArray

    from senox.programs import Program

UP, DOWN, CTRL_UP, CTRL_DOWN = "up", "down", "ctrl_up", "ctrl_down"


@dataclass(frozen=True)
class Slot:
    """One gene group of one program: the genes present in the data, and how many it names."""

    program: int
    role: str
    genes: NDArray[np.int64]
    n_named: int
    weight: float = 1.0


@dataclass(frozen=True)
class Layout:
    """Slots plus the gene-to-slot map (CSR over genes) that the kernels read."""

    slots: tuple[Slot, ...]
    slot_ptr: NDArray[np.int64]
    slot_ids: NDArray[np.int64]
    slot_w: NDArray[np.float64]

    @property
    def n_slots(self) -> int:
        """How many slots."""
        return len(self.slots)

    def slot(self, program: int, role: str) -> int | None:
        """Index of a program's slot with this role, if it has one."""
        for i, slot in enumerate(self.slots):
            if slot.program == program and slot.role == role:
                return i
        return None


def build_layout(slots: Sequence[Slot], n_vars: int) -> Layout:
    """Invert slots (slot → genes) into the gene → slots map the kernels use."""
    genes = [slot.genes for slot in slots]
    gene_of_entry = np.concatenate(genes) if genes else np.zeros(0, dtype=np.int64)
    slot_of_entry = np.concatenate(
        [np.full(len(g), i, dtype=np.int64) for i, g in enumerate(genes)] or [gene_of_entry]
    )
    weight_of_entry = np.concatenate(
        [np.full(len(s.genes), s.weight, dtype=np.float64) for s in slots] or [np.zeros(0)]
    )
    order = np.argsort(gene_of_entry, kind="stable")
    slot_ptr = np.zeros(n_vars + 1, dtype=np.int64)
    np.cumsum(np.bincount(gene_of_entry, minlength=n_vars), out=slot_ptr[1:])
    return Layout(tuple(slots), slot_ptr, slot_of_entry[order], weight_of_entry[order])


@dataclass(frozen=True)
class Resolved:
    """A program's genes, split into those found in the data and those missing."""

    up: NDArray[np.int64]
    down: NDArray[np.int64]
    n_up: int
    n_down: int
    missing: tuple[str, ...]


def resolve(programs: Mapping[str, Program], var_names: pd.Index) -> list[Resolved]:
    """Find each program's genes among ``var_names`` (exact match, duplicates removed).

    Raises :class:`InputError` when no gene of any program is present.
    """
    position = pd.Series(np.arange(len(var_names)), index=var_names)
    position = position[~position.index.duplicated()]
    resolved = []
    for program in programs.values():
        up = list(dict.fromkeys(program.up))
        down = [g for g in dict.fromkeys(program.down) if g not in up]
        found_up = np.asarray(position.reindex(up).dropna(), dtype=np.int64)
        found_down = np.asarray(position.reindex(down).dropna(), dtype=np.int64)
        missing = tuple(g for g in [*up, *down] if g not in position.index)
        resolved.append(Resolved(found_up, found_down, len(up), len(down), missing))
    if all(len(r.up) + len(r.down) == 0 for r in resolved):
        example = ", ".join(map(str, var_names[:3]))
        msg = (
            f"no gene of any program is among the data's {len(var_names)} genes (e.g. {example}); "
            "use human HGNC symbols (senox.io.read maps them; see --species and --gene-id)"
        )
        raise InputError(msg)
    return resolved


def coverage(programs: Mapping[str, Program], resolved: Sequence[Resolved]) -> pd.DataFrame:
    """Per program: genes named, genes found, and which are missing."""
    return pd.DataFrame(
        {
            "n_genes": [r.n_up + r.n_down for r in resolved],
            "n_found": [len(r.up) + len(r.down) for r in resolved],
            "missing": [" ".join(r.missing) for r in resolved],
        },
        index=pd.Index(list(programs), name="program"),
    )
