"""Exact stochastic simulation (Gillespie's direct method) of mass-action SBML models.

An SBML model is compiled with libsbml into arrays -- species amounts (molecule numbers),
reaction orders, stoichiometry, mass-action rate constants and time-triggered events -- and run
by a numba kernel, many independent cells at once (``numba.prange`` over cells).

Semantics
---------
* **Propensities.** A kinetic law must be a product of numbers, parameters (global, local or
  compartment sizes, integer powers allowed, also in a denominator) and species (positive integer
  powers). The propensity of a reaction whose law is ``k * A**m * B`` is ``k * A(A-1)...(A-m+1) *
  B``: the falling factorial is the stochastic counterpart of ``A**m`` in amount units, and equals
  the kinetic law whenever every species enters with power one (all of Passos 2010). A species
  that is not ``hasOnlySubstanceUnits`` enters as a concentration (amount / compartment size).
* **Events.** Triggers must read ``time >= T`` (or ``>``, ``<=``/``<`` with time on the right);
  assignments set a species or a parameter to a constant. Between events every propensity is
  constant in time, so racing the next reaction (an exponential waiting time) against the next
  event time, and discarding the waiting time when the event comes first (memorylessness), is
  exact. The state at a recorded time ``t`` includes all events with ``T <= t``; simultaneous
  events apply in document order. An event with ``T <= 0`` fires at time 0 only when its trigger's
  ``initialValue`` is false (SBML Level 3); Level 2 triggers count as initially true.
* **Random numbers.** Every cell has its own xoshiro256+ stream, seeded from
  ``numpy.random.SeedSequence(seed, spawn_key=(cell,))`` -- the ``cell``-th child of
  ``SeedSequence(seed).spawn`` -- so a cell's trajectory depends only on ``(seed, cell index)``,
  never on how the cells were split into calls or threads.
* **Speed.** Propensities are updated incrementally through a reaction dependency graph, and the
  reaction is chosen with the sorting direct method (McCollum et al. 2006: the fired reaction
  moves one place forward in the search order, so frequent reactions are found after a few
  comparisons; the first four places are tested without branches); the choice stays exact
  whatever the order. Nothing is allocated in the loop. On one core of a 2.6 GHz EPYC a reaction
  event costs about 50 ns (Passos 2010: about 1.5e8 events per cell over 11 simulated days).

Anything else in a model (rules, initial assignments, delays, non-mass-action laws, species- or
state-dependent triggers) is refused with a one-line :class:`senox._errors.InputError`.

:func:`senox.model.slow_scale` turns a compiled model into a slow-scale one (fast reversible
conversions replaced by their equilibrium law; an approximation, see
:mod:`senox.model._slowscale`) that the same kernel runs.

Public functions: :func:`compile_sbml`, :func:`simulate_ssa` (an ensemble on a time grid),
:func:`passos_escape` (Passos et al. 2010's escape-from-arrest experiment, both arms) and
:func:`wilson_interval`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numba
import numpy as np

from senox._errors import InputError
from senox.model._limits import check_memory, check_seed
from senox.model._sbml import _require, one_line, parse_duration, read_sbml, time_unit_seconds

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "EscapeArm",
    "EscapeExperiment",
    "SSAModel",
    "compile_sbml",
    "passos_escape",
    "simulate_ssa",
    "wilson_interval",
]

#: Event assignment targets: a species amount or a parameter value.
_SPECIES, _PARAMETER = 0, 1
#: The running sum of propensities is recomputed from scratch this often (rounding drift).
_RESUM_EVERY = 1024


# --------------------------------------------------------------------------------------------
# The compiled model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SSAModel:
    """A mass-action SBML model compiled into the arrays the SSA kernel runs.

    Attributes
    ----------
    source
        The SBML file it came from.
    species, parameters, reactions, events
        Names, in index order. ``parameters`` holds the global parameters, then the compartments.
    x0
        Initial amounts (molecule numbers), shape ``(n_species,)``.
    p0
        Initial parameter values (then compartment sizes), shape ``(n_parameters,)``.
    time_unit
        Seconds per model time unit.
    variable_parameters
        Parameters that events assign (they may not be used to compute event values).
    """

    source: str
    species: tuple[str, ...]
    parameters: tuple[str, ...]
    reactions: tuple[str, ...]
    events: tuple[str, ...]
    x0: NDArray[np.float64]
    p0: NDArray[np.float64]
    time_unit: float
    #: rate constant of reaction r = coef[r] * prod(p[kp_idx] ** kp_exp) over kp_ptr[r]:kp_ptr[r+1]
    coef: NDArray[np.float64]
    kp_ptr: NDArray[np.int64]
    kp_idx: NDArray[np.int64]
    kp_exp: NDArray[np.int64]
    #: species factors of reaction r: fs[r, :nf[r]] with orders fn[r, :nf[r]]
    nf: NDArray[np.int64]
    fs: NDArray[np.int64]
    fn: NDArray[np.int64]
    #: the same for laws of total order <= 2: propensity = k * x[f1] * (x[f2] - dd), where the
    #: index n_species stands for a factor 1 (``gen`` marks the other laws)
    f1: NDArray[np.int64]
    f2: NDArray[np.int64]
    dd: NDArray[np.float64]
    gen: NDArray[np.bool_]
    #: net change of reaction r: species ch_s[ch_ptr[r]:ch_ptr[r+1]] by ch_d (boundary excluded)
    ch_ptr: NDArray[np.int64]
    ch_s: NDArray[np.int64]
    ch_d: NDArray[np.float64]
    #: reactions whose propensity reaction r changes: dep_idx[dep_ptr[r]:dep_ptr[r+1]]
    dep_ptr: NDArray[np.int64]
    dep_idx: NDArray[np.int64]
    #: events in firing order (time, then document order): assignments in CSR form
    ev_time: NDArray[np.float64]
    ev_ptr: NDArray[np.int64]
    ev_kind: NDArray[np.int64]
    ev_idx: NDArray[np.int64]
    ev_val: NDArray[np.float64]
    #: propensity of reaction r is also multiplied by share[g1[r]] * share[g2[r]], where
    #: share[0] = 1 and share[1] = 0, and pair j of a slow-scale reduction puts 1 - p_j and p_j
    #: at 2 + 2j and 3 + 2j (see :mod:`senox.model._slowscale`); all 0 in an exact model
    g1: NDArray[np.int64]
    g2: NDArray[np.int64]
    variable_parameters: frozenset[str] = field(default_factory=frozenset)
    #: how many of ``parameters`` are global parameters (the rest are compartments)
    n_globals: int = 0
    #: slow-scale reduction, pair j: species X (whose slot holds the pair's total) and Y, the
    #: catalysts of the forward and backward reactions (index n_species: none), those reactions,
    #: and the reactions whose changes move a catalyst; empty in an exact model
    fast_pairs: tuple[tuple[str, str], ...] = ()
    fast_x: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    fast_y: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    fast_cf: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    fast_cb: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    fast_rf: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    fast_rb: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    moves_catalyst: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))

    def index(self, names: Sequence[str] | None) -> NDArray[np.int64]:
        """Species indexes of ``names`` (all species when None)."""
        if names is None:
            return np.arange(len(self.species), dtype=np.int64)
        where = {name: i for i, name in enumerate(self.species)}
        missing = [name for name in names if name not in where]
        if missing:
            msg = (
                f"{self.source}: no species {', '.join(map(repr, missing))}; "
                f"choose from {', '.join(self.species)}"
            )
            raise InputError(msg)
        return np.array([where[name] for name in names], dtype=np.int64)

    def event_time(self, name: str) -> float:
        """The trigger time of event ``name`` (model time units)."""
        if name not in self.events:
            msg = f"{self.source}: no event '{name}'; the model has {', '.join(self.events)}"
            raise InputError(msg)
        return float(self.ev_time[self.events.index(name)])

    def kernel_arrays(self, drop_events: Sequence[str] = ()) -> tuple[Any, ...]:
        """The arrays the kernel reads, in its order (``arrays`` of :func:`_run_cell`)."""
        return (
            self.coef, self.kp_ptr, self.kp_idx, self.kp_exp,
            self.f1, self.f2, self.dd, self.gen, self.nf, self.fs, self.fn,
            self.ch_ptr, self.ch_s, self.ch_d, self.dep_ptr, self.dep_idx,
            *self.event_arrays(drop_events),
            self.g1, self.g2, self.fast_x, self.fast_cf, self.fast_cb, self.fast_rf, self.fast_rb,
            self.moves_catalyst,
        )  # fmt: skip

    def event_arrays(
        self, drop: Sequence[str] = ()
    ) -> tuple[
        NDArray[np.float64],
        NDArray[np.int64],
        NDArray[np.int64],
        NDArray[np.int64],
        NDArray[np.float64],
    ]:
        """The event arrays without the events named in ``drop``."""
        unknown = [name for name in drop if name not in self.events]
        if unknown:
            msg = (
                f"{self.source}: no event {', '.join(map(repr, unknown))} to drop; "
                f"the model has {', '.join(self.events) or 'none'}"
            )
            raise InputError(msg)
        keep = [i for i, name in enumerate(self.events) if name not in drop]
        ptr = [0]
        kind: list[int] = []
        idx: list[int] = []
        val: list[float] = []
        for i in keep:
            a, b = self.ev_ptr[i], self.ev_ptr[i + 1]
            kind.extend(self.ev_kind[a:b].tolist())
            idx.extend(self.ev_idx[a:b].tolist())
            val.extend(self.ev_val[a:b].tolist())
            ptr.append(len(kind))
        return (
            self.ev_time[keep].astype(np.float64),
            np.array(ptr, dtype=np.int64),
            np.array(kind, dtype=np.int64),
            np.array(idx, dtype=np.int64),
            np.array(val, dtype=np.float64),
        )


class _RefusalError(Exception):
    """Raised inside the AST walkers; turned into an InputError naming file and reaction."""


@dataclass
class _Product:
    coef: float = 1.0
    params: dict[int, int] = field(default_factory=dict)
    species: dict[int, int] = field(default_factory=dict)


def _integer(value: float, what: str) -> int:
    if not math.isfinite(value) or value != round(value):
        msg = f"{what} {value:g} is not an integer"
        raise _RefusalError(msg)
    return round(value)


class _Compiler:
    """Reads one libsbml model into the arrays of :class:`SSAModel`."""

    def __init__(self, libsbml: Any, model: Any, source: str) -> None:
        self.sb = libsbml
        self.m = model
        self.source = source
        self.species: list[str] = []
        self.sp_index: dict[str, int] = {}
        self.sp_comp: dict[str, int] = {}
        self.sp_conc: dict[str, bool] = {}
        self.sp_fixed: dict[str, bool] = {}
        self.parameters: list[str] = []
        self.p_index: dict[str, int] = {}
        self.p0: list[float] = []
        self.p_constant: dict[str, bool] = {}

    def fail(self, what: str, fix: str) -> InputError:
        return InputError(f"{self.source}: {one_line(what)}; {fix}")

    # ---- declarations -------------------------------------------------------------------
    def read_declarations(self) -> list[float]:
        m = self.m
        if m.getNumRules():
            rule = m.getRule(0)
            msg = (
                f"rule for '{rule.getVariable() or 'an algebraic expression'}' is not supported "
                "by the SSA (it runs reactions and time events only)"
            )
            raise self.fail(
                msg, "express it as reactions, or run the model deterministically with run_sbml"
            )
        if m.getNumInitialAssignments():
            ia = m.getInitialAssignment(0)
            msg = f"initial assignment of '{ia.getSymbol()}' is not supported by the SSA"
            raise self.fail(msg, "replace it by a value in the SBML")
        for i in range(m.getNumParameters()):
            p = m.getParameter(i)
            value = p.getValue() if p.isSetValue() else math.nan
            self.p_index[p.getId()] = len(self.parameters)
            self.parameters.append(p.getId())
            self.p0.append(value)
            self.p_constant[p.getId()] = bool(p.getConstant())
        for i in range(m.getNumCompartments()):
            c = m.getCompartment(i)
            if not c.getConstant():
                msg = f"compartment '{c.getId()}' changes size; the SSA needs constant compartments"
                raise self.fail(msg, "make it constant")
            size = c.getSize() if c.isSetSize() else (1.0 if c.getSpatialDimensions() == 0 else 0)
            if not (size > 0 and math.isfinite(size)):
                msg = f"compartment '{c.getId()}' has no positive size"
                raise self.fail(msg, "set its size in the SBML")
            self.p_index[c.getId()] = len(self.parameters)
            self.parameters.append(c.getId())
            self.p0.append(float(size))
            self.p_constant[c.getId()] = True
        x0: list[float] = []
        for i in range(m.getNumSpecies()):
            s = m.getSpecies(i)
            sid = s.getId()
            if m.getLevel() >= 3 and s.isSetConversionFactor():
                msg = f"species '{sid}' has a conversion factor, which the SSA does not support"
                raise self.fail(msg, "remove it")
            comp = self.p_index[s.getCompartment()]
            size = self.p0[comp]
            conc = not s.getHasOnlySubstanceUnits()
            if s.isSetInitialAmount():
                amount = s.getInitialAmount()
            elif s.isSetInitialConcentration():
                amount = s.getInitialConcentration() * size
            else:
                msg = f"species '{sid}' has no initial amount"
                raise self.fail(msg, "set initialAmount in the SBML")
            if not (amount >= 0 and abs(amount - round(amount)) <= 1e-9 * max(1.0, amount)):
                msg = f"species '{sid}' starts at {amount:g}, not a whole number of molecules"
                raise self.fail(msg, "give initial amounts as molecule numbers")
            self.sp_index[sid] = len(self.species)
            self.species.append(sid)
            self.sp_comp[sid] = comp
            self.sp_conc[sid] = conc
            self.sp_fixed[sid] = bool(s.getBoundaryCondition() or s.getConstant())
            x0.append(float(round(amount)))
        return x0

    # ---- kinetic laws ---------------------------------------------------------------------
    def _number(self, node: Any) -> float | None:
        sb = self.sb
        kind = node.getType()
        if kind == sb.AST_INTEGER:
            return float(node.getInteger())
        if kind in (sb.AST_REAL, sb.AST_REAL_E, sb.AST_RATIONAL):
            return float(node.getReal())
        return None

    def _product(self, node: Any, sign: int, out: _Product, local: Mapping[str, float]) -> None:
        sb = self.sb
        kind = node.getType()
        number = self._number(node)
        if number is not None:
            if number < 0:
                msg = "a negative number makes a negative propensity"
                raise _RefusalError(msg)
            out.coef *= number**sign
            return
        if kind == sb.AST_TIMES:
            for i in range(node.getNumChildren()):
                self._product(node.getChild(i), sign, out, local)
            return
        if kind == sb.AST_DIVIDE and node.getNumChildren() == 2:
            self._product(node.getChild(0), sign, out, local)
            self._product(node.getChild(1), -sign, out, local)
            return
        if kind in (sb.AST_POWER, sb.AST_FUNCTION_POWER) and node.getNumChildren() == 2:
            exponent = self._number(node.getChild(1))
            base = node.getChild(0)
            if exponent is None:
                msg = "a power with a non-numeric exponent"
                raise _RefusalError(msg)
            base_number = self._number(base)
            if base_number is not None:
                out.coef *= base_number ** (sign * exponent)
                return
            if base.getType() != sb.AST_NAME:
                msg = "a power of an expression"
                raise _RefusalError(msg)
            self._name(base.getName(), sign * _integer(exponent, "exponent"), out, local)
            return
        if kind == sb.AST_NAME:
            self._name(node.getName(), sign, out, local)
            return
        msg = "it is not a product of parameters and species"
        raise _RefusalError(msg)

    def _name(self, name: str, power: int, out: _Product, local: Mapping[str, float]) -> None:
        if name in local:
            out.coef *= local[name] ** power
        elif name in self.sp_index:
            if power < 0:
                msg = f"species '{name}' divides the rate"
                raise _RefusalError(msg)
            s = self.sp_index[name]
            out.species[s] = out.species.get(s, 0) + power
            if self.sp_conc[name]:  # a concentration: amount / compartment size
                c = self.sp_comp[name]
                out.params[c] = out.params.get(c, 0) - power
        elif name in self.p_index:
            p = self.p_index[name]
            out.params[p] = out.params.get(p, 0) + power
        else:
            msg = f"'{name}' is neither a species nor a parameter"
            raise _RefusalError(msg)

    def kinetic_law(self, reaction: Any) -> _Product:
        rid = reaction.getId()
        law = reaction.getKineticLaw()
        if law is None or law.getMath() is None:
            msg = f"reaction '{rid}' has no kinetic law"
            raise self.fail(msg, "give it a mass-action law")
        local: dict[str, float] = {}
        n_local = law.getNumLocalParameters() if self.m.getLevel() >= 3 else law.getNumParameters()
        for i in range(n_local):
            p = law.getLocalParameter(i) if self.m.getLevel() >= 3 else law.getParameter(i)
            local[p.getId()] = p.getValue() if p.isSetValue() else math.nan
        out = _Product()
        try:
            self._product(law.getMath(), 1, out, local)
        except _RefusalError as exc:
            formula = self.sb.formulaToL3String(law.getMath())
            msg = f"reaction '{rid}' has kinetic law '{formula}', which is not mass action ({exc})"
            raise self.fail(
                msg,
                "the SSA runs laws that are products of parameters and species only; "
                "rewrite the law or run the model deterministically with run_sbml",
            ) from None
        if not (out.coef >= 0 and math.isfinite(out.coef)):
            msg = f"reaction '{rid}' has a rate coefficient {out.coef:g}"
            raise self.fail(msg, "give its local parameters finite, non-negative values")
        return out

    def stoichiometry(self, reaction: Any) -> dict[int, float]:
        change: dict[int, float] = {}
        for refs, sign in ((reaction.getListOfReactants(), -1), (reaction.getListOfProducts(), 1)):
            for j in range(refs.size()):
                ref = refs.get(j)
                sid = ref.getSpecies()
                if self.m.getLevel() < 3 and ref.isSetStoichiometryMath():
                    msg = f"reaction '{reaction.getId()}' has stoichiometryMath for '{sid}'"
                    raise self.fail(msg, "give a constant integer stoichiometry")
                value = ref.getStoichiometry() if ref.isSetStoichiometry() else 1.0
                if self.m.getLevel() >= 3 and not ref.isSetStoichiometry():
                    msg = f"reaction '{reaction.getId()}' leaves the stoichiometry of '{sid}' unset"
                    raise self.fail(msg, "set it to an integer")
                if not (value >= 0 and value == round(value)):
                    msg = f"reaction '{reaction.getId()}' has stoichiometry {value:g} for '{sid}'"
                    raise self.fail(msg, "the SSA needs whole-molecule stoichiometries")
                if self.sp_fixed[sid]:
                    continue  # boundary or constant species: reactions do not change them
                s = self.sp_index[sid]
                change[s] = change.get(s, 0.0) + sign * value
        return {s: d for s, d in change.items() if d != 0}

    # ---- events ---------------------------------------------------------------------------
    def _constant(self, node: Any, what: str) -> float:
        """Value of a constant expression: numbers, constant parameters, + - * / ^."""
        sb = self.sb
        number = self._number(node)
        if number is not None:
            return number
        kind = node.getType()
        if kind == sb.AST_NAME:
            name = node.getName()
            if name in self.p_index and self.p_constant[name]:
                return self.p0[self.p_index[name]]
            msg = f"{what} uses '{name}', which is not a constant parameter"
            raise _RefusalError(msg)
        values = [self._constant(node.getChild(i), what) for i in range(node.getNumChildren())]
        if kind == sb.AST_MINUS and len(values) == 1:
            return -values[0]
        if kind == sb.AST_MINUS and len(values) == 2:
            return values[0] - values[1]
        if kind == sb.AST_PLUS:
            return math.fsum(values)
        if kind == sb.AST_TIMES:
            return math.prod(values)
        if kind == sb.AST_DIVIDE and len(values) == 2:
            return values[0] / values[1]
        if kind in (sb.AST_POWER, sb.AST_FUNCTION_POWER) and len(values) == 2:
            return float(values[0] ** values[1])
        msg = f"{what} is not a constant expression"
        raise _RefusalError(msg)

    def trigger_time(self, event: Any, name: str) -> float | None:
        """The event's firing time, or None when it never fires (already true at time 0)."""
        sb = self.sb
        trigger = event.getTrigger()
        math_ = trigger.getMath() if trigger is not None else None
        formula = sb.formulaToL3String(math_) if math_ is not None else "(none)"
        refuse = self.fail(
            f"event '{name}' has trigger '{formula}', which is not 'time >= T'",
            "the SSA runs time-triggered events only (time >= constant)",
        )
        if math_ is None or math_.getNumChildren() != 2:
            raise refuse
        left, right = math_.getChild(0), math_.getChild(1)
        kind = math_.getType()
        if kind in (sb.AST_RELATIONAL_GEQ, sb.AST_RELATIONAL_GT):
            clock, bound = left, right
        elif kind in (sb.AST_RELATIONAL_LEQ, sb.AST_RELATIONAL_LT):
            clock, bound = right, left
        else:
            raise refuse
        if clock.getType() != sb.AST_NAME_TIME:
            raise refuse
        try:
            at = self._constant(bound, f"event '{name}' trigger")
        except _RefusalError:
            raise refuse from None
        if at > 0:
            return at
        initial = trigger.getInitialValue() if trigger.isSetInitialValue() else True
        return None if initial else 0.0

    def events(
        self,
    ) -> tuple[list[str], list[float], list[list[tuple[int, int, float]]], frozenset[str]]:
        m = self.m
        targets_p = {
            m.getEvent(i).getEventAssignment(j).getVariable()
            for i in range(m.getNumEvents())
            for j in range(m.getEvent(i).getNumEventAssignments())
        }
        for name in targets_p:
            if name in self.p_constant:
                self.p_constant[name] = False
        names: list[str] = []
        times: list[float] = []
        assignments: list[list[tuple[int, int, float]]] = []
        for i in range(m.getNumEvents()):
            event = m.getEvent(i)
            name = event.getId() or f"event{i}"
            if event.isSetDelay():
                msg = f"event '{name}' has a delay"
                raise self.fail(msg, "the SSA runs events without delay only")
            at = self.trigger_time(event, name)
            rows: list[tuple[int, int, float]] = []
            for j in range(event.getNumEventAssignments()):
                ea = event.getEventAssignment(j)
                var = ea.getVariable()
                try:
                    value = self._constant(ea.getMath(), f"event '{name}' assignment to '{var}'")
                except _RefusalError as exc:
                    raise self.fail(str(exc), "the SSA assigns constants only") from None
                if var in self.sp_index:
                    if self.sp_conc[var]:
                        value *= self.p0[self.sp_comp[var]]
                    if not (value >= 0 and abs(value - round(value)) <= 1e-9 * max(1.0, value)):
                        msg = (
                            f"event '{name}' sets species '{var}' to {value:g}, "
                            "not a whole number of molecules"
                        )
                        raise self.fail(msg, "assign molecule numbers")
                    rows.append((_SPECIES, self.sp_index[var], float(round(value))))
                elif var in self.p_index and var in {p.getId() for p in m.getListOfParameters()}:
                    rows.append((_PARAMETER, self.p_index[var], float(value)))
                else:
                    msg = f"event '{name}' assigns '{var}', which is not a species or parameter"
                    raise self.fail(msg, "the SSA assigns species and parameters only")
            if at is None:
                continue
            names.append(name)
            times.append(at)
            assignments.append(rows)
        return names, times, assignments, frozenset(targets_p & set(self.p_index))


class ChangeArrays(NamedTuple):
    """Net changes and the reaction dependency graph of :class:`SSAModel`, in CSR form."""

    ch_ptr: NDArray[np.int64]
    ch_s: NDArray[np.int64]
    ch_d: NDArray[np.float64]
    dep_ptr: NDArray[np.int64]
    dep_idx: NDArray[np.int64]


def change_arrays(uses: Sequence[set[int]], changes: Sequence[Mapping[int, float]]) -> ChangeArrays:
    """The :class:`SSAModel` arrays of net changes and of the reaction dependency graph (CSR).

    ``uses[d]``: the species reaction ``d``'s propensity reads; ``changes[r]``: species to net
    change when reaction ``r`` fires. Reaction ``r``'s firing changes the propensity of every
    reaction that reads a species it changes.
    """
    ch_ptr, ch_s, ch_d = [0], [], []
    dep_ptr: list[int] = [0]
    dep_idx: list[int] = []
    for change in changes:
        for s, d in sorted(change.items()):
            ch_s.append(s)
            ch_d.append(d)
        ch_ptr.append(len(ch_s))
        dep_idx.extend(r for r, used in enumerate(uses) if used & set(change))
        dep_ptr.append(len(dep_idx))
    return ChangeArrays(
        ch_ptr=np.array(ch_ptr, dtype=np.int64),
        ch_s=np.array(ch_s, dtype=np.int64),
        ch_d=np.array(ch_d, dtype=np.float64),
        dep_ptr=np.array(dep_ptr, dtype=np.int64),
        dep_idx=np.array(dep_idx, dtype=np.int64),
    )


def compile_sbml(model: str | Path) -> SSAModel:
    """Compile a mass-action SBML model for :func:`simulate_ssa`.

    Parameters
    ----------
    model
        Path of an SBML file, or the name of a shipped published model (``passos2010``).

    Returns
    -------
    SSAModel
        The species, parameters, reactions and events as arrays.

    Raises
    ------
    InputError
        When libsbml reports errors, or the model holds anything the SSA cannot run exactly
        (a kinetic law that is not a product of parameters and species, rules, initial
        assignments, delayed or state-triggered events, fractional molecule numbers).
    """
    libsbml = _require("libsbml")
    path, text = read_sbml(model)
    document = libsbml.readSBMLFromString(text)  # owns the model: keep it alive
    sbml_model = document.getModel()
    comp = _Compiler(libsbml, sbml_model, str(path))
    x0 = comp.read_declarations()
    ev_names, ev_times, ev_rows, variable = comp.events()

    reactions: list[str] = []
    products: list[_Product] = []
    changes: list[dict[int, float]] = []
    for i in range(sbml_model.getNumReactions()):
        reaction = sbml_model.getReaction(i)
        reactions.append(reaction.getId())
        products.append(comp.kinetic_law(reaction))
        changes.append(comp.stoichiometry(reaction))
    for prod, rid in zip(products, reactions, strict=True):
        for p in prod.params:
            if not math.isfinite(comp.p0[p]):
                msg_0 = (
                    f"reaction '{rid}' uses parameter '{comp.parameters[p]}', which has no value"
                )
                raise comp.fail(
                    msg_0,
                    "give it a value",
                )

    n_r = len(reactions)
    width = max([len(p.species) for p in products] + [1])
    nf = np.zeros(n_r, dtype=np.int64)
    fs = np.zeros((n_r, width), dtype=np.int64)
    fn = np.zeros((n_r, width), dtype=np.int64)
    n_s = len(comp.species)
    f1 = np.full(n_r, n_s, dtype=np.int64)
    f2 = np.full(n_r, n_s, dtype=np.int64)
    dd = np.zeros(n_r, dtype=np.float64)
    gen = np.zeros(n_r, dtype=np.bool_)
    kp_ptr, kp_idx, kp_exp = [0], [], []
    for r, prod in enumerate(products):
        factors = [(s, n) for s, n in sorted(prod.species.items()) if n > 0]
        nf[r] = len(factors)
        for j, (s, n) in enumerate(factors):
            fs[r, j], fn[r, j] = s, n
        flat = [s for s, n in factors for _ in range(n)]
        if len(flat) > 2:
            gen[r] = True
        else:
            f1[r], f2[r] = ([*flat, n_s, n_s])[:2]
            dd[r] = 1.0 if len(flat) == 2 and flat[0] == flat[1] else 0.0
        for p, e in sorted(prod.params.items()):
            if e:
                kp_idx.append(p)
                kp_exp.append(e)
        kp_ptr.append(len(kp_idx))
    graph = change_arrays([set(p.species) for p in products], changes)
    order = sorted(range(len(ev_names)), key=lambda i: ev_times[i])  # stable: document order
    ev_ptr, ev_kind, ev_idx, ev_val = [0], [], [], []
    for i in order:
        for kind, idx, val in ev_rows[i]:
            ev_kind.append(kind)
            ev_idx.append(idx)
            ev_val.append(val)
        ev_ptr.append(len(ev_kind))

    def ints(values: Sequence[int]) -> NDArray[np.int64]:
        return np.array(values, dtype=np.int64)

    return SSAModel(
        source=str(path),
        species=tuple(comp.species),
        parameters=tuple(comp.parameters),
        reactions=tuple(reactions),
        events=tuple(ev_names[i] for i in order),
        x0=np.array(x0, dtype=np.float64),
        p0=np.array(comp.p0, dtype=np.float64),
        time_unit=time_unit_seconds(text),
        coef=np.array([p.coef for p in products], dtype=np.float64),
        kp_ptr=ints(kp_ptr),
        kp_idx=ints(kp_idx),
        kp_exp=ints(kp_exp),
        nf=nf,
        fs=fs,
        fn=fn,
        f1=f1,
        f2=f2,
        dd=dd,
        gen=gen,
        ev_time=np.array([ev_times[i] for i in order], dtype=np.float64),
        ev_ptr=ints(ev_ptr),
        ev_kind=ints(ev_kind),
        ev_idx=ints(ev_idx),
        ev_val=np.array(ev_val, dtype=np.float64),
        g1=np.zeros(n_r, dtype=np.int64),
        g2=np.zeros(n_r, dtype=np.int64),
        variable_parameters=variable,
        n_globals=sbml_model.getNumParameters(),
        moves_catalyst=np.zeros(n_r, dtype=np.bool_),
        ch_ptr=graph.ch_ptr,
        ch_s=graph.ch_s,
        ch_d=graph.ch_d,
        dep_ptr=graph.dep_ptr,
        dep_idx=graph.dep_idx,
    )


# --------------------------------------------------------------------------------------------
# The kernel
# --------------------------------------------------------------------------------------------

_U53 = 1.0 / 9007199254740992.0  # 2**-53


@numba.njit(cache=True, nogil=True)
def _general_propensity(
    r: int,
    x: NDArray[np.float64],
    k: NDArray[np.float64],
    nf: NDArray[np.int64],
    fs: NDArray[np.int64],
    fn: NDArray[np.int64],
    share: NDArray[np.float64],
    g1: NDArray[np.int64],
    g2: NDArray[np.int64],
) -> float:  # pragma: no cover (compiled)
    """Any mass-action law: rate constant times falling factorials of the species counts.

    Also times the reaction's slow-scale shares (1 in an exact model).
    """
    value = float(k[r] * share[g1[r]] * share[g2[r]])
    for j in range(nf[r]):
        count = x[fs[r, j]]
        for m in range(fn[r, j]):
            value *= count - m
    return value


@numba.njit(cache=True, nogil=True)
def _rates(
    par: NDArray[np.float64],
    k: NDArray[np.float64],
    coef: NDArray[np.float64],
    kp_ptr: NDArray[np.int64],
    kp_idx: NDArray[np.int64],
    kp_exp: NDArray[np.int64],
) -> None:  # pragma: no cover (compiled)
    for r in range(k.shape[0]):
        value = coef[r]
        for q in range(kp_ptr[r], kp_ptr[r + 1]):
            value *= par[kp_idx[q]] ** kp_exp[q]
        k[r] = value


@numba.njit(cache=True, nogil=True)
def _all_propensities(
    x: NDArray[np.float64],
    k: NDArray[np.float64],
    a: NDArray[np.float64],
    order: NDArray[np.int64],
    f1: NDArray[np.int64],
    f2: NDArray[np.int64],
    dd: NDArray[np.float64],
    gen: NDArray[np.bool_],
    nf: NDArray[np.int64],
    fs: NDArray[np.int64],
    fn: NDArray[np.int64],
    share: NDArray[np.float64],
    g1: NDArray[np.int64],
    g2: NDArray[np.int64],
) -> float:  # pragma: no cover (compiled)
    total = 0.0
    for i in range(a.shape[0]):
        r = order[i]
        if gen[r]:
            a[i] = _general_propensity(r, x, k, nf, fs, fn, share, g1, g2)
        else:
            a[i] = k[r] * x[f1[r]] * (x[f2[r]] - dd[r])
        total += a[i]
    return total


@numba.njit(cache=True, nogil=True)
def _shares(
    x: NDArray[np.float64],
    k: NDArray[np.float64],
    share: NDArray[np.float64],
    fast_cf: NDArray[np.int64],
    fast_cb: NDArray[np.int64],
    fast_rf: NDArray[np.int64],
    fast_rb: NDArray[np.int64],
) -> None:  # pragma: no cover (compiled)
    """Equilibrium shares of the fast pairs: p_j = forward / (forward + backward) per molecule.

    A pair whose reactions both stand still (no catalyst, or rate 0) counts as all X.
    """
    for j in range(fast_rf.shape[0]):
        forward = k[fast_rf[j]] * x[fast_cf[j]]
        backward = k[fast_rb[j]] * x[fast_cb[j]]
        p = forward / (forward + backward) if forward + backward > 0.0 else 0.0
        share[2 + 2 * j] = 1.0 - p
        share[3 + 2 * j] = p


@numba.njit(cache=True, nogil=True)
def _uniform(st: NDArray[np.uint64]) -> float:  # pragma: no cover (compiled)
    """A xoshiro256+ draw in (0, 1] from the state ``st`` (updated in place)."""
    draw = st[0] + st[3]
    shifted = st[1] << np.uint64(17)
    st[2] ^= st[0]
    st[3] ^= st[1]
    st[1] ^= st[2]
    st[0] ^= st[3]
    st[2] ^= shifted
    st[3] = (st[3] << np.uint64(45)) | (st[3] >> np.uint64(19))
    return float((draw >> np.uint64(11)) + np.uint64(1)) * _U53


@numba.njit(cache=True, nogil=True)
def _binomial(n: float, p: float, st: NDArray[np.uint64]) -> float:  # pragma: no cover
    """A Binomial(n, p) draw by inversion, searching outward from the mode.

    The outcomes are visited in a fixed order (the more probable neighbour first), which keeps
    the inversion exact and costs about one step per standard deviation.
    """
    if p <= 0.0 or n <= 0.0:
        return 0.0
    if p >= 1.0:
        return n
    mode = min(math.floor((n + 1.0) * p), n)
    pmf = math.exp(
        math.lgamma(n + 1.0) - math.lgamma(mode + 1.0) - math.lgamma(n - mode + 1.0)
        + mode * math.log(p) + (n - mode) * math.log1p(-p)
    )  # fmt: skip
    odds = p / (1.0 - p)
    u = _uniform(st) - pmf
    lo, hi, p_lo, p_hi = mode, mode, pmf, pmf
    while u > 0.0:
        down = p_lo * lo / ((n - lo + 1.0) * odds) if lo > 0.0 else 0.0
        up = p_hi * (n - hi) / (hi + 1.0) * odds if hi < n else 0.0
        if down == 0.0 and up == 0.0:
            break  # rounding: the probabilities summed to just under u
        if down >= up:
            lo -= 1.0
            p_lo = down
            u -= down
            if u <= 0.0:
                return lo
        else:
            hi += 1.0
            p_hi = up
            u -= up
            if u <= 0.0:
                return hi
    return mode


@numba.njit(cache=True, nogil=True)
def _record(
    x: NDArray[np.float64],
    row: NDArray[np.float64],
    rec_sp: NDArray[np.int64],
    rec_pair: NDArray[np.int64],
    rec_y: NDArray[np.bool_],
    share: NDArray[np.float64],
    fast_x: NDArray[np.int64],
    aux: NDArray[np.uint64],
    y_draw: NDArray[np.float64],
) -> None:  # pragma: no cover (compiled)
    """Write the recorded species into ``row``.

    A species of a fast pair is drawn from the pair's equilibrium law given its total, Y ~
    Binomial(total, p), once per pair and recording time, so that X + Y equals the total.
    """
    y_draw[:] = -1.0
    for q in range(rec_sp.shape[0]):
        j = rec_pair[q]
        if j < 0:
            row[q] = x[rec_sp[q]]
            continue
        total = x[fast_x[j]]
        if y_draw[j] < 0.0:
            y_draw[j] = _binomial(total, share[3 + 2 * j], aux)
        row[q] = y_draw[j] if rec_y[q] else total - y_draw[j]


@numba.njit(cache=True, nogil=True)
def _watch_segment(
    lo: float,
    hi: float,
    value: float,
    run_start: float,
    watch: NDArray[np.float64],
    wout: NDArray[np.float64],
) -> float:  # pragma: no cover (compiled)
    """Account for the watched species holding ``value`` over [lo, hi); return the run start.

    ``wout`` = (integral, integral of the square, longest stretch below the threshold, time the
    first stretch reached the minimum duration); ``watch`` = (start, stop, threshold, minimum).
    """
    lo = max(lo, watch[0])
    hi = min(hi, watch[1])
    if hi <= lo:
        return run_start
    wout[0] += value * (hi - lo)
    wout[1] += value * value * (hi - lo)
    if value >= watch[2]:
        return -1.0
    if run_start < 0.0:
        run_start = lo
    wout[2] = max(wout[2], hi - run_start)
    if wout[3] == np.inf and hi - run_start >= watch[3]:
        wout[3] = run_start + watch[3]
    return run_start


@numba.njit(cache=True, nogil=True)
def _run_cell(
    x_io: NDArray[np.float64],
    par: NDArray[np.float64],
    rng: NDArray[np.uint64],
    order: NDArray[np.int64],
    t0: float,
    t_end: float,
    include_end: bool,  # noqa: FBT001 (numba takes positional arguments)
    arrays: tuple[Any, ...],
    rec_t: NDArray[np.float64],
    rec_sp: NDArray[np.int64],
    rec_pair: NDArray[np.int64],
    rec_y: NDArray[np.bool_],
    out: NDArray[np.float64],
    watch: NDArray[np.float64],
    watch_sp: int,
    wout: NDArray[np.float64],
) -> int:  # pragma: no cover (compiled)
    """Advance one cell from ``t0`` to ``t_end``; return the number of reactions fired.

    ``x_io``, ``par``, ``rng`` and ``order`` are updated in place, so a later call continues the
    same trajectory; ``rng`` holds two xoshiro256+ states: reactions (0-3) and the draws of
    recorded fast species (4-7). Events with ``t0 <= T < t_end`` fire (and ``T == t_end`` when
    ``include_end``). ``out[i]`` receives the recorded species at ``rec_t[i]``. The species
    ``watch_sp`` (when >= 0) is followed as :func:`_watch_segment` describes. ``arrays`` is
    the model, as :meth:`SSAModel.kernel_arrays` lays it out.
    """
    (
        coef, kp_ptr, kp_idx, kp_exp, f1, f2, dd, gen, nf, fs, fn,
        ch_ptr, ch_s, ch_d, dep_ptr, dep_idx, ev_time, ev_ptr, ev_kind, ev_idx, ev_val,
        g1, g2, fast_x, fast_cf, fast_cb, fast_rf, fast_rb, moves_catalyst,
    ) = arrays  # fmt: skip
    n_s = x_io.shape[0]
    n_r = coef.shape[0]
    x = np.empty(n_s + 1)  # one more slot holding 1.0: the missing factor of a law
    x[:n_s] = x_io
    x[n_s] = 1.0
    k = np.empty(n_r)
    a = np.empty(n_r)  # propensities in search order: a[i] belongs to reaction order[i]
    where = np.empty(n_r, dtype=np.int64)  # where[r]: place of reaction r in the search order
    for i in range(n_r):
        where[order[i]] = i
    _rates(par, k, coef, kp_ptr, kp_idx, kp_exp)
    share = np.empty(2 + 2 * fast_rf.shape[0])
    share[0], share[1] = 1.0, 0.0
    _shares(x, k, share, fast_cf, fast_cb, fast_rf, fast_rb)
    a0 = _all_propensities(x, k, a, order, f1, f2, dd, gen, nf, fs, fn, share, g1, g2)
    aux = rng[4:]  # the stream that draws recorded fast species (slow-scale models)
    y_draw = np.empty(fast_rf.shape[0])
    w_hits = np.zeros(n_r, dtype=np.bool_)  # reactions that change the watched species
    if watch_sp >= 0:
        for r in range(n_r):
            for q in range(ch_ptr[r], ch_ptr[r + 1]):
                w_hits[r] |= ch_s[q] == watch_sp
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    n_ev = ev_time.shape[0]
    ei = 0
    while ei < n_ev and ev_time[ei] < t0:
        ei += 1
    n_rec = rec_t.shape[0]
    ri = 0
    w_last = t0  # the watched species has held its value since w_last
    run_start = -1.0  # start of the current stretch below the threshold (-1: none)
    quick = n_r >= 4  # the first four places of the search order are tested without branches
    steps = 0
    since_sum = 0
    t = t0
    while True:
        te = np.inf  # the next event, if it lies in this call's span
        if ei < n_ev and (ev_time[ei] < t_end or (include_end and ev_time[ei] == t_end)):
            te = ev_time[ei]
        tn = np.inf  # the next reaction (xoshiro256+ draw, top 53 bits, in (0, 1])
        if a0 > 0.0:
            draw = s0 + s3
            shifted = s1 << np.uint64(17)
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= shifted
            s3 = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))
            tn = t - math.log(((draw >> np.uint64(11)) + np.uint64(1)) * _U53) / a0
        if te <= tn and te < np.inf:
            # the event comes first: the waiting time is discarded (memoryless)
            while ri < n_rec and rec_t[ri] < te:
                _record(x, out[ri], rec_sp, rec_pair, rec_y, share, fast_x, aux, y_draw)
                ri += 1
            if watch_sp >= 0:
                run_start = _watch_segment(w_last, te, x[watch_sp], run_start, watch, wout)
                w_last = te
            while ei < n_ev and ev_time[ei] == te:
                for q in range(ev_ptr[ei], ev_ptr[ei + 1]):
                    if ev_kind[q] == 0:
                        x[ev_idx[q]] = ev_val[q]
                    else:
                        par[ev_idx[q]] = ev_val[q]
                ei += 1
            t = te
            _rates(par, k, coef, kp_ptr, kp_idx, kp_exp)
            _shares(x, k, share, fast_cf, fast_cb, fast_rf, fast_rb)
            a0 = _all_propensities(x, k, a, order, f1, f2, dd, gen, nf, fs, fn, share, g1, g2)
            continue
        if tn > t_end:
            break
        # which reaction: a uniform point in [0, a0) located along the search order
        draw = s0 + s3
        shifted = s1 << np.uint64(17)
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= shifted
        s3 = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))
        target = (draw >> np.uint64(11)) * _U53 * a0
        pos = 0
        acc = 0.0
        if quick:
            c1 = a[0]
            c2 = c1 + a[1]
            c3 = c2 + a[2]
            acc = c3 + a[3]
            pos = (c1 <= target) + (c2 <= target) + (c3 <= target) + (acc <= target)
        if pos == 4 or not quick:
            while pos < n_r:
                acc += a[pos]
                if acc > target:
                    break
                pos += 1
            if pos == n_r:
                # rounding drift of a0: recompute it exactly and draw again (rare)
                a0 = 0.0
                for r in range(n_r):
                    a0 += a[r]
                continue
        rj = order[pos]
        # sorting direct method: the winner moves one place forward
        ahead = pos - (pos > 0)
        other = order[ahead]
        order[pos] = other
        order[ahead] = rj
        where[other] = pos
        where[rj] = ahead
        swap = a[pos]
        a[pos] = a[ahead]
        a[ahead] = swap
        while ri < n_rec and rec_t[ri] < tn:
            _record(x, out[ri], rec_sp, rec_pair, rec_y, share, fast_x, aux, y_draw)
            ri += 1
        if w_hits[rj]:
            run_start = _watch_segment(w_last, tn, x[watch_sp], run_start, watch, wout)
            w_last = tn
        t = tn
        for q in range(ch_ptr[rj], ch_ptr[rj + 1]):
            x[ch_s[q]] += ch_d[q]
        if moves_catalyst[rj]:
            _shares(x, k, share, fast_cf, fast_cb, fast_rf, fast_rb)
        for q in range(dep_ptr[rj], dep_ptr[rj + 1]):
            d = dep_idx[q]
            if gen[d]:
                new = _general_propensity(d, x, k, nf, fs, fn, share, g1, g2)
            else:
                new = k[d] * x[f1[d]] * (x[f2[d]] - dd[d])
            i = where[d]
            a0 += new - a[i]
            a[i] = new
        steps += 1
        since_sum += 1
        if since_sum == _RESUM_EVERY or a0 <= 0.0:
            since_sum = 0
            a0 = 0.0
            for r in range(n_r):
                a0 += a[r]
    # the rest of the span at the final state
    while ri < n_rec and rec_t[ri] <= t_end:
        _record(x, out[ri], rec_sp, rec_pair, rec_y, share, fast_x, aux, y_draw)
        ri += 1
    if watch_sp >= 0:
        _watch_segment(w_last, t_end, x[watch_sp], run_start, watch, wout)
    x_io[:] = x[:n_s]
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return steps


@numba.njit(parallel=True, cache=True, nogil=True)
def _run_cells(
    xs: NDArray[np.float64],
    pars: NDArray[np.float64],
    rngs: NDArray[np.uint64],
    orders: NDArray[np.int64],
    t0: float,
    t_end: float,
    include_end: bool,  # noqa: FBT001 (numba takes positional arguments)
    arrays: tuple[Any, ...],
    rec_t: NDArray[np.float64],
    rec_sp: NDArray[np.int64],
    rec_pair: NDArray[np.int64],
    rec_y: NDArray[np.bool_],
    outs: NDArray[np.float64],
    watch: NDArray[np.float64],
    watch_sp: int,
    wouts: NDArray[np.float64],
    steps: NDArray[np.int64],
) -> None:  # pragma: no cover (compiled)
    """:func:`_run_cell` for every cell (row), in parallel."""
    for i in numba.prange(xs.shape[0]):
        steps[i] += _run_cell(
            xs[i], pars[i], rngs[i], orders[i], t0, t_end, include_end,
            arrays, rec_t, rec_sp, rec_pair, rec_y, outs[i], watch, watch_sp, wouts[i],
        )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Python side
# --------------------------------------------------------------------------------------------


def _cell_streams(seed: int, first_cell: int, n_cells: int) -> NDArray[np.uint64]:
    """Two xoshiro256+ states per cell ``first_cell ..``, from child ``cell`` of SeedSequence(seed).

    The first four words (reactions) are the child's first four, whatever else is drawn.
    """
    states = np.empty((n_cells, 8), dtype=np.uint64)
    for i in range(n_cells):
        child = np.random.SeedSequence(seed, spawn_key=(first_cell + i,))
        state = child.generate_state(8, np.uint64)
        for half in (state[:4], state[4:]):
            if not half.any():  # the one state xoshiro cannot leave
                half[0] = np.uint64(1)
        states[i] = state
    return states


@dataclass
class _Ensemble:
    """The mutable state of ``n`` cells between kernel calls."""

    x: NDArray[np.float64]
    par: NDArray[np.float64]
    rng: NDArray[np.uint64]
    order: NDArray[np.int64]
    steps: NDArray[np.int64]
    t: float

    def copy(self) -> _Ensemble:
        return _Ensemble(
            self.x.copy(),
            self.par.copy(),
            self.rng.copy(),
            self.order.copy(),
            self.steps.copy(),
            self.t,
        )


def _per_cell(
    model: SSAModel,
    base: NDArray[np.float64],
    names: Sequence[str],
    values: Mapping[str, float | ArrayLike] | None,
    n_cells: int,
    what: str,
) -> NDArray[np.float64]:
    table = np.tile(base, (n_cells, 1))
    for name, value in (values or {}).items():
        if name not in names:
            msg = f"{model.source}: no {what} '{name}'; choose from {', '.join(names)}"
            raise InputError(msg)
        column = np.broadcast_to(np.asarray(value, dtype=np.float64), (n_cells,))
        table[:, list(names).index(name)] = column
    if not (np.isfinite(table).all() and (table >= 0).all()):
        msg = f"{model.source}: {what} values must be finite and non-negative"
        raise InputError(msg)
    return table


def _start(
    model: SSAModel,
    n_cells: int,
    seed: int,
    first_cell: int,
    parameters: Mapping[str, float | ArrayLike] | None,
    initial: Mapping[str, float | ArrayLike] | None,
) -> _Ensemble:
    if n_cells < 1 or first_cell < 0:
        msg = f"n_cells ({n_cells}) must be at least 1 and first_cell ({first_cell}) at least 0"
        raise InputError(msg)
    check_seed(seed)
    global_params = model.parameters[: model.n_globals]
    par = _per_cell(model, model.p0, global_params, parameters, n_cells, "parameter")
    x = _per_cell(model, model.x0, model.species, initial, n_cells, "species")
    if (x != np.round(x)).any():
        msg = f"{model.source}: initial amounts must be whole numbers of molecules"
        raise InputError(msg)
    # a slow-scale pair keeps its total in X's slot (see senox.model._slowscale)
    x[:, model.fast_x] += x[:, model.fast_y]
    x[:, model.fast_y] = 0.0
    used = set(model.kp_idx.tolist())
    for p in used:
        if not np.isfinite(par[:, p]).all():  # pragma: no cover (checked at compile time)
            msg = f"{model.source}: parameter '{model.parameters[p]}' has no value"
            raise InputError(msg)
    order = np.tile(np.arange(len(model.reactions), dtype=np.int64), (n_cells, 1))
    return _Ensemble(
        x=x,
        par=par,
        rng=_cell_streams(seed, first_cell, n_cells),
        order=order,
        steps=np.zeros(n_cells, dtype=np.int64),
        t=0.0,
    )


def _fast_recording(
    model: SSAModel, rec_sp: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Per recorded species: its slow-scale pair (-1: none) and whether it is the pair's Y."""
    pair = np.full(rec_sp.shape[0], -1, dtype=np.int64)
    is_y = np.zeros(rec_sp.shape[0], dtype=np.bool_)
    for j, (sx, sy) in enumerate(zip(model.fast_x, model.fast_y, strict=True)):
        pair[rec_sp == sx] = j
        pair[rec_sp == sy] = j
        is_y |= rec_sp == sy
    return pair, is_y


def _advance(
    model: SSAModel,
    state: _Ensemble,
    t_end: float,
    *,
    include_end: bool,
    drop_events: Sequence[str] = (),
    record_times: NDArray[np.float64] | None = None,
    record_species: NDArray[np.int64] | None = None,
    watch_species: int = -1,
    watch: tuple[float, float, float, float] = (0.0, 0.0, -np.inf, np.inf),
    n_threads: int | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Run every cell of ``state`` from ``state.t`` to ``t_end`` in place.

    Returns the recordings ``(n_cells, n_times, n_species)`` and the watch results
    ``(n_cells, 4)``: time integral of the watched species, of its square, the longest stretch
    below the threshold and the time the first stretch reached the minimum duration (inf: never).
    """
    rec_t = np.zeros(0) if record_times is None else np.ascontiguousarray(record_times, float)
    rec_sp = np.zeros(0, np.int64) if record_species is None else record_species
    rec_pair, rec_y = _fast_recording(model, rec_sp)
    if (
        watch_species >= 0
        and (model.fast_x == watch_species).any() | (model.fast_y == watch_species).any()
    ):
        msg = (
            f"{model.source}: species '{model.species[watch_species]}' is in a slow-scale fast "
            "pair and cannot be watched; watch a slow species"
        )
        raise InputError(msg)
    n = state.x.shape[0]
    out = np.zeros((n, rec_t.shape[0], rec_sp.shape[0]))
    wout = np.zeros((n, 4))
    wout[:, 3] = np.inf
    previous = numba.get_num_threads()
    if n_threads is not None:
        try:
            numba.set_num_threads(n_threads)
        except ValueError:
            msg = f"n_threads ({n_threads}) must be between 1 and the number of cores"
            raise InputError(msg) from None
    try:
        _run_cells(
            state.x, state.par, state.rng, state.order, float(state.t), float(t_end), include_end,
            model.kernel_arrays(drop_events), rec_t, rec_sp, rec_pair, rec_y, out,
            np.array(watch, dtype=np.float64), int(watch_species), wout, state.steps,
        )  # fmt: skip
    finally:
        numba.set_num_threads(previous)
    state.t = float(t_end)
    return out, wout


def simulate_ssa(
    model: str | Path | SSAModel,
    *,
    n_cells: int,
    times: ArrayLike,
    seed: int,
    parameters: Mapping[str, float | ArrayLike] | None = None,
    initial: Mapping[str, float | ArrayLike] | None = None,
    species: Sequence[str] | None = None,
    drop_events: Sequence[str] = (),
    first_cell: int = 0,
    n_threads: int | None = None,
) -> NDArray[np.float64]:
    """Simulate independent cells exactly (Gillespie's direct method) from the initial state.

    Parameters
    ----------
    model
        An SBML file, the name of a shipped model (``passos2010``), or a compiled
        :class:`SSAModel`.
    n_cells
        Number of cells (independent trajectories).
    times
        Recording times in the model's time unit (seconds for Passos 2010), non-negative and
        non-decreasing. The simulation runs from 0 to ``times[-1]``; the state at ``t`` includes
        every reaction and event up to and including ``t``.
    seed
        Seed of the ensemble. Cell ``i`` draws from ``SeedSequence(seed, spawn_key=(i,))``.
    parameters
        Values replacing the model's global parameters: a number (all cells) or one value per
        cell.
    initial
        Initial amounts replacing the model's (molecule numbers), a number or one per cell.
    species
        Species to record, in this order (default: all, in model order).
    drop_events
        Ids of events to leave out (e.g. an intervention).
    first_cell
        Index of the first cell: cells ``first_cell .. first_cell + n_cells - 1`` are simulated,
        so an ensemble split into chunks equals the ensemble run at once.
    n_threads
        Threads to run cells on (default: numba's, all cores).

    Returns
    -------
    numpy.ndarray
        Amounts, shape ``(n_cells, len(times), n_recorded_species)``.

    Raises
    ------
    InputError
        For models the SSA cannot run (see :func:`compile_sbml`) and bad arguments.
    """
    ssa = model if isinstance(model, SSAModel) else compile_sbml(model)
    grid = np.asarray(times, dtype=np.float64).reshape(-1)
    if grid.size == 0 or not np.isfinite(grid).all() or grid[0] < 0 or (np.diff(grid) < 0).any():
        msg = "times must be finite, non-negative and non-decreasing (model time units)"
        raise InputError(msg)
    recorded = ssa.index(species)
    check_memory(
        8.0 * n_cells * grid.size * recorded.size,
        f"recording {n_cells:,} cells × {grid.size:,} times × {recorded.size} species",
        "record fewer cells, times or species",
    )
    state = _start(ssa, n_cells, seed, first_cell, parameters, initial)
    out, _ = _advance(
        ssa,
        state,
        float(grid[-1]),
        include_end=True,
        drop_events=drop_events,
        record_times=grid,
        record_species=recorded,
        n_threads=n_threads,
    )
    return out


# --------------------------------------------------------------------------------------------
# The Passos et al. 2010 escape experiment
# --------------------------------------------------------------------------------------------


def wilson_interval(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``k / n`` (95 % by default).

    >>> tuple(round(v, 4) for v in wilson_interval(96, 500))
    (0.1599, 0.2288)
    >>> tuple(round(v, 4) for v in wilson_interval(0, 500))
    (0.0, 0.0076)
    """
    if n <= 0 or not 0 <= k <= n:
        msg = f"wilson_interval needs 0 <= k <= n and n > 0 (got k={k}, n={n})"
        raise InputError(msg)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True, eq=False)
class EscapeArm:
    """One arm of the escape experiment.

    Attributes
    ----------
    name
        ``"IR alone"`` or ``"IR + p38 inhibition"``.
    escaped
        Per cell: CDKN1A stayed below the threshold for ``below_for`` without a break, inside
        the observation window.
    escape_hours
        Per cell: hours after treatment start at which the criterion was first met (inf: never).
    longest_below_hours
        Per cell: the longest stretch below the threshold inside the window, in hours.
    count, n, fraction, ci
        Cells that escaped, cells simulated, their ratio and its 95 % Wilson interval.
    reactions
        Reactions fired per cell in this arm's own span (after the shared prefix).
    """

    name: str
    escaped: NDArray[np.bool_]
    escape_hours: NDArray[np.float64]
    longest_below_hours: NDArray[np.float64]
    count: int
    n: int
    fraction: float
    ci: tuple[float, float]
    reactions: NDArray[np.int64]

    def count_by(self, hours: float) -> int:
        """Cells that escaped within ``hours`` after treatment start."""
        return int((self.escape_hours <= hours).sum())


@dataclass(frozen=True, eq=False)
class EscapeExperiment:
    """Result of :func:`passos_escape`.

    Attributes
    ----------
    basal_mean, basal_sd
        CDKN1A (species ``p21``) mean and standard deviation before IR, pooled over cells and
        time in the basal window.
    threshold
        ``basal_mean + sd_factor * basal_sd``.
    arms
        ``"IR alone"`` and ``"IR + p38 inhibition"``.
    times_days
        Recording grid, days after IR.
    p21
        CDKN1A per arm on that grid, shape ``(n_cells, n_times)``; both arms share the part
        before treatment.
    protocol
        The settings used, in words and numbers.
    prefix_reactions
        Reactions fired per cell from time 0 to treatment start (shared by both arms).
    wall_seconds
        Wall time of the whole experiment.
    phase_seconds
        Wall time of the shared prefix (``"prefix"``) and of each arm.
    """

    basal_mean: float
    basal_sd: float
    threshold: float
    arms: dict[str, EscapeArm]
    times_days: NDArray[np.float64]
    p21: dict[str, NDArray[np.float64]]
    protocol: dict[str, Any]
    prefix_reactions: NDArray[np.int64]
    wall_seconds: float
    phase_seconds: dict[str, float]


#: Arm names of the escape experiment.
IR_ALONE, IR_P38I = "IR alone", "IR + p38 inhibition"


def passos_escape(
    *,
    n_cells: int = 500,
    seed: int = 2010,
    first_cell: int = 0,
    observe: str | float = "3d",
    below_for: str | float = "6h",
    sd_factor: float = 2.0,
    basal: str = "pre-IR",
    threshold: float | None = None,
    record_every: str | float = "1h",
    n_threads: int | None = None,
    model: str | Path | SSAModel = "passos2010",
) -> EscapeExperiment:
    """Passos et al. 2010's escape experiment: which cells leave arrest under p38 inhibition.

    Protocol (from the paper's text; see ``benchmarks/results/passos_ssa.md``): cells are
    simulated from 2 days before IR (the model's IR pulse at t = 2 d) to 6 days after IR (the
    model's ``stopp38ROS`` event, t = 8 d, which lowers ``kp38ROS`` to 0.6 -- "inhibition of
    MAPK14 activity to 60 %"). There the ensemble splits into two arms continuing from the same
    states and random streams: IR alone (the event dropped) and IR + p38 inhibition (the event
    kept). A cell escapes when CDKN1A (``p21``) stays below ``basal mean + sd_factor * SD``
    without a break for ``below_for``, inside the observation window of ``observe`` after
    treatment start. The basal mean and SD are pooled over cells and time before IR.

    Parameters
    ----------
    n_cells, seed, first_cell
        Cells ``first_cell ..`` of the ensemble seeded by ``seed`` (see :func:`simulate_ssa`).
    observe
        Observation window after treatment start (``"3d"``; a bare number means days).
    below_for
        Minimum uninterrupted time below the threshold (``"6h"``).
    sd_factor
        Threshold in basal standard deviations above the basal mean.
    basal
        ``"pre-IR"`` (all of 0 .. IR, the paper's "before IR") or ``"last-day"`` (the 24 h
        before IR only).
    threshold
        Use this CDKN1A threshold instead of computing it (e.g. the full ensemble's, when
        running the cells in chunks).
    record_every
        Spacing of the recorded CDKN1A trajectories.
    n_threads
        Threads to run cells on.
    model
        The Passos 2010 SBML (default: the shipped copy), or a compiled model, e.g. its
        slow-scale reduction ``slow_scale(compile_sbml("passos2010"), PASSOS_FAST_PAIRS)``.

    Returns
    -------
    EscapeExperiment
        Threshold, per-arm escapes with 95 % Wilson intervals, and CDKN1A trajectories.
    """
    started = time.perf_counter()
    ssa = model if isinstance(model, SSAModel) else compile_sbml(model)
    unit = ssa.time_unit
    t_ir = ssa.event_time("stressCell")
    t_treat = ssa.event_time("stopp38ROS")
    span = parse_duration(observe) / unit
    need = parse_duration(below_for) / unit
    step = parse_duration(record_every) / unit
    t_end = t_treat + span
    if basal == "pre-IR":
        basal_from = 0.0
    elif basal == "last-day":
        basal_from = max(0.0, t_ir - 86400.0 / unit)
    else:
        msg = f"basal '{basal}' is not known; use 'pre-IR' or 'last-day'"
        raise InputError(msg)
    p21 = int(ssa.index(["p21"])[0])
    grid = np.arange(0.0, t_end + step / 2, step)
    before, after = grid[grid < t_treat], grid[grid >= t_treat]

    # shared prefix: 0 .. treatment start (the treatment event itself is left to the arms)
    state = _start(ssa, n_cells, seed, first_cell, None, None)
    clock = time.perf_counter()
    rec_before, basal_stats = _advance(
        ssa,
        state,
        t_treat,
        include_end=False,
        record_times=before,
        record_species=np.array([p21]),
        watch_species=p21,
        watch=(basal_from, t_ir, -np.inf, np.inf),
        n_threads=n_threads,
    )
    length = t_ir - basal_from
    mean = float(basal_stats[:, 0].sum() / (n_cells * length))
    var = float(basal_stats[:, 1].sum() / (n_cells * length)) - mean * mean
    sd = math.sqrt(max(var, 0.0))
    thr = mean + sd_factor * sd if threshold is None else float(threshold)
    prefix = state.steps.copy()
    phases = {"prefix": time.perf_counter() - clock}

    arms: dict[str, EscapeArm] = {}
    traces: dict[str, NDArray[np.float64]] = {}
    for name, drop in ((IR_ALONE, ("stopp38ROS",)), (IR_P38I, ())):
        arm = state.copy()
        arm.steps[:] = 0
        clock = time.perf_counter()
        rec_after, stats = _advance(
            ssa,
            arm,
            t_end,
            include_end=True,
            drop_events=drop,
            record_times=after,
            record_species=np.array([p21]),
            watch_species=p21,
            watch=(t_treat, t_end, thr, need),
            n_threads=n_threads,
        )
        phases[name] = time.perf_counter() - clock
        escape = stats[:, 3]
        escaped = np.isfinite(escape)
        count = int(escaped.sum())
        arms[name] = EscapeArm(
            name=name,
            escaped=escaped,
            escape_hours=np.where(escaped, (escape - t_treat) * unit / 3600.0, np.inf),
            longest_below_hours=stats[:, 2] * unit / 3600.0,
            count=count,
            n=n_cells,
            fraction=count / n_cells,
            ci=wilson_interval(count, n_cells),
            reactions=arm.steps.copy(),
        )
        traces[name] = np.concatenate([rec_before[:, :, 0], rec_after[:, :, 0]], axis=1)
    protocol = {
        "model": ssa.source,
        "ir_time_days": t_ir * unit / 86400.0,
        "treatment_time_days": t_treat * unit / 86400.0,
        "treatment": "event stopp38ROS: kp38ROS 1 -> 0.6 (MAPK14 activity to 60 %)",
        "observe_days": span * unit / 86400.0,
        "below_for_hours": need * unit / 3600.0,
        "sd_factor": sd_factor,
        "basal": basal,
        "basal_window_days": [basal_from * unit / 86400.0, t_ir * unit / 86400.0],
        "cdkn1a_species": "p21",
        "seed": seed,
        "first_cell": first_cell,
        "n_cells": n_cells,
        "arms_share_prefix": True,
    }
    return EscapeExperiment(
        basal_mean=mean,
        basal_sd=sd,
        threshold=thr,
        arms=arms,
        times_days=(grid - t_ir) * unit / 86400.0,
        p21=traces,
        protocol=protocol,
        prefix_reactions=prefix,
        wall_seconds=time.perf_counter() - started,
        phase_seconds=phases,
    )
