"""A model, a parameter set and a dose schedule as SBML Level 3 Version 2 or as Antimony.

Both exports say the same thing as :func:`senox.model._ode.simulate`:

* one compartment of size 1; every species is an amount (``hasOnlySubstanceUnits``), so a
  kinetic law is the flux in amount per time and ``d(species)/dt = sum(stoichiometry * flux)``;
* parameters are constants, each with its unit, plausible range and source in its notes (and
  an SBML unit definition where the unit is a plain one: ``1``, ``day``, ``1/day``);
* assignments are assignment rules on non-constant parameters;
* a reaction's negative changes make its reactants, positive ones its products (stoichiometry
  is the absolute change); species its rate reads, directly or through assignments, without
  changing are its modifiers;
* doses are events: ``time >= t`` with ``initialValue = false`` (so that a dose at time 0 fires
  at the start) and ``persistent = true``, ``useValuesFromTriggerTime = true``; the trigger can
  only go from false to true once, so each event fires exactly once, at ``t``. Doses at the same
  time form one event, doses of one species at one time are summed;
* the model's time unit is the day (a unit definition of 86,400 s).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import numpy as np

from senox._errors import InputError
from senox.model._compile import infix
from senox.model._sbml import _require
from senox.model._spec import Dose, ModelSpec, check_doses, expression_names

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

#: Units written as SBML unit definitions: name -> (id, [(kind, exponent, multiplier)]).
_UNITS: dict[str, tuple[str, list[tuple[str, int, float]]]] = {
    "day": ("day", [("second", 1, 86400.0)]),
    "1/day": ("per_day", [("second", -1, 86400.0)]),
    "1": ("dimensionless", []),
}


def _values(
    given: ArrayLike | Mapping[str, float] | None,
    names: list[str],
    default: list[float],
    field: str,
) -> list[float]:
    """A full vector from ``given`` (a vector in model order or a name -> value mapping)."""
    if given is None:
        return list(default)
    if isinstance(given, Mapping):
        unknown = sorted(set(given) - set(names))
        if unknown:
            msg = f"{field}: unknown name(s) {', '.join(unknown)}; give names from the model"
            raise InputError(msg)
        values = [float(given.get(n, d)) for n, d in zip(names, default, strict=True)]
    else:
        array = np.asarray(given, dtype=np.float64)
        if array.shape != (len(names),):
            msg = (
                f"{field}: shape {array.shape} does not fit; give {len(names)} values, model order"
            )
            raise InputError(msg)
        values = [float(v) for v in array]
    if not all(math.isfinite(v) for v in values):
        msg = f"{field}: non-finite values; every value must be a finite number"
        raise InputError(msg)
    return values


def _schedule(spec: ModelSpec, doses: Sequence[Dose]) -> list[tuple[float, dict[str, float]]]:
    """Doses grouped by time (ascending), amounts summed per species."""
    by_time: dict[float, dict[str, float]] = {}
    check_doses(spec, doses)
    for dose in doses:
        slot = by_time.setdefault(float(dose.time), {})
        slot[dose.species] = slot.get(dose.species, 0.0) + float(dose.amount)
    return sorted(by_time.items())


def _check_ids(spec: ModelSpec) -> None:
    names = [
        *spec.species_names,
        *spec.parameter_names,
        *(a.name for a in spec.assignments),
        *(r.name for r in spec.reactions),
    ]
    for name in names:
        if not name.isascii():
            msg = f"model '{spec.name}': name '{name}' is not ASCII; SBML identifiers must be"
            raise InputError(msg)


def _free_id(base: str, taken: set[str]) -> str:
    name = base
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _reads(spec: ModelSpec) -> dict[str, set[str]]:
    """Per reaction: the species its rate reads, directly or through assignments."""
    species = set(spec.species_names)
    through: dict[str, set[str]] = {}
    for assignment in spec.assignments:
        names = expression_names(assignment.expression)
        through[assignment.name] = (names & species).union(*(through.get(n, set()) for n in names))
    return {
        r.name: (expression_names(r.rate) & species).union(
            *(through.get(n, set()) for n in expression_names(r.rate))
        )
        for r in spec.reactions
    }


def _number(value: float) -> str:
    return repr(float(value))


def _notes(lines: list[str]) -> str:
    body = "".join(f"<p>{escape(line)}</p>" for line in lines if line)
    return f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>'


def _check(status: int, what: str) -> None:
    if status != 0:  # LIBSBML_OPERATION_SUCCESS
        msg = f"SBML export: libsbml refused {what} (status {status}); report this as a senox bug"
        raise InputError(msg)


def to_sbml(
    spec: ModelSpec,
    *,
    parameters: ArrayLike | Mapping[str, float] | None = None,
    doses: Sequence[Dose] = (),
    initial: ArrayLike | Mapping[str, float] | None = None,
) -> str:
    """The model as an SBML Level 3 Version 2 document.

    Parameters
    ----------
    spec
        The model.
    parameters
        Parameter values (a vector in model order, or a name -> value mapping for some of them);
        default: the model's values.
    doses
        Boluses, written as events that fire once each at their time.
    initial
        Initial amounts (vector in model order or mapping); default: the model's.

    Returns
    -------
    The SBML document as a string; libsbml's consistency check finds no errors in it.
    """
    libsbml = _require("libsbml")
    _check_ids(spec)
    values = _values(parameters, spec.parameter_names, spec.parameter_values(), "parameters")
    amounts = _values(initial, spec.species_names, spec.initial_values(), "initial")
    schedule = _schedule(spec, doses)

    document = libsbml.SBMLDocument(3, 2)
    model = document.createModel()
    _check(model.setId(spec.name if spec.name.isidentifier() else "model"), "the model id")
    if spec.description:
        _check(model.setNotes(_notes([spec.description])), "the model notes")
    taken = {
        *spec.species_names,
        *spec.parameter_names,
        *(a.name for a in spec.assignments),
        *(r.name for r in spec.reactions),
    }

    units_used: dict[str, str] = {}
    for unit_name, (unit_id, parts) in _UNITS.items():
        if unit_id == "dimensionless":
            units_used[unit_name] = unit_id
            continue
        definition = model.createUnitDefinition()
        definition.setId(unit_id)
        for kind, exponent, multiplier in parts:
            unit = definition.createUnit()
            unit.setKind(libsbml.UnitKind_forName(kind))
            unit.setExponent(exponent)
            unit.setScale(0)
            unit.setMultiplier(multiplier)
        units_used[unit_name] = unit_id
    _check(model.setTimeUnits("day"), "the time unit")

    compartment = model.createCompartment()
    compartment_id = _free_id("cell", taken)
    compartment.setId(compartment_id)
    compartment.setSize(1.0)
    compartment.setConstant(True)
    compartment.setSpatialDimensions(3)

    for state, amount in zip(spec.species, amounts, strict=True):
        s = model.createSpecies()
        s.setId(state.name)
        s.setCompartment(compartment_id)
        s.setInitialAmount(amount)
        s.setHasOnlySubstanceUnits(True)
        s.setBoundaryCondition(False)
        s.setConstant(False)
        lines = [f"unit: {state.unit}" if state.unit else "", state.description]
        if any(lines):
            _check(s.setNotes(_notes(lines)), f"the notes of species {state.name}")

    for parameter, value in zip(spec.parameters, values, strict=True):
        q = model.createParameter()
        q.setId(parameter.name)
        q.setValue(value)
        q.setConstant(True)
        if parameter.unit in units_used:
            q.setUnits(units_used[parameter.unit])
        lines = [
            f"unit: {parameter.unit}",
            f"range: [{parameter.low}, {parameter.high}]",
            f"source: {parameter.source}",
            parameter.description,
        ]
        _check(q.setNotes(_notes(lines)), f"the notes of parameter {parameter.name}")

    settings = libsbml.L3ParserSettings()
    settings.setModel(model)  # model ids win over built-in names (a species 'E' is not e)
    settings.setParseLog(libsbml.L3P_PARSE_LOG_AS_LN)
    settings.setComparisonCaseSensitivity(True)

    def math_of(expression: str, where: str) -> Any:
        tree = libsbml.parseL3FormulaWithSettings(expression, settings)
        if tree is None:
            error = libsbml.getLastParseL3Error()
            msg = f"{where}: cannot write '{expression}' as SBML math ({error})"
            raise InputError(msg)
        return tree

    for assignment in spec.assignments:
        q = model.createParameter()
        q.setId(assignment.name)
        q.setConstant(False)
        if assignment.description:
            _check(q.setNotes(_notes([assignment.description])), f"notes of {assignment.name}")
    for assignment in spec.assignments:
        rule = model.createAssignmentRule()
        rule.setVariable(assignment.name)
        _check(
            rule.setMath(math_of(infix(assignment.expression), assignment.name)),
            f"the rule of {assignment.name}",
        )

    reads = _reads(spec)
    for reaction in spec.reactions:
        r = model.createReaction()
        r.setId(reaction.name)
        r.setReversible(False)
        for species, change in reaction.change.items():
            if change == 0:
                continue
            ref = r.createReactant() if change < 0 else r.createProduct()
            ref.setSpecies(species)
            ref.setStoichiometry(abs(change))
            ref.setConstant(True)
        changed = {s for s, c in reaction.change.items() if c != 0}
        for species in spec.species_names:
            if species in reads[reaction.name] and species not in changed:
                r.createModifier().setSpecies(species)
        law = r.createKineticLaw()
        _check(
            law.setMath(math_of(infix(reaction.rate), reaction.name)),
            f"the kinetic law of {reaction.name}",
        )
        if reaction.description:
            _check(r.setNotes(_notes([reaction.description])), f"notes of {reaction.name}")

    for time, amounts_at in schedule:
        event = model.createEvent()
        event.setId(_free_id(f"dose_t{_number(time).replace('.', '_').replace('-', 'm')}", taken))
        event.setUseValuesFromTriggerTime(True)
        trigger = event.createTrigger()
        trigger.setInitialValue(False)
        trigger.setPersistent(True)
        trigger.setMath(math_of(f"time >= {_number(time)}", event.getId()))
        for species, amount in amounts_at.items():
            assignment = event.createEventAssignment()
            assignment.setVariable(species)
            assignment.setMath(math_of(f"{species} + {_number(amount)}", event.getId()))

    document.checkConsistency()
    errors = [document.getError(i) for i in range(document.getNumErrors())]
    errors = [e for e in errors if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    if errors:
        first = errors[0].getMessage().strip().splitlines()[0]
        msg = f"SBML export of '{spec.name}': {len(errors)} libsbml error(s), first: {first}"
        raise InputError(msg)
    return str(libsbml.writeSBMLToString(document))


def to_antimony(
    spec: ModelSpec,
    *,
    parameters: ArrayLike | Mapping[str, float] | None = None,
    doses: Sequence[Dose] = (),
    initial: ArrayLike | Mapping[str, float] | None = None,
) -> str:
    """The model as Antimony text, with the same content as :func:`to_sbml`.

    Parameters are as for :func:`to_sbml`. Units, ranges and sources are comments.
    """
    _check_ids(spec)
    values = _values(parameters, spec.parameter_names, spec.parameter_values(), "parameters")
    amounts = _values(initial, spec.species_names, spec.initial_values(), "initial")
    schedule = _schedule(spec, doses)
    taken = {
        *spec.species_names,
        *spec.parameter_names,
        *(a.name for a in spec.assignments),
        *(r.name for r in spec.reactions),
    }
    compartment = _free_id("cell", taken)
    name = spec.name if spec.name.isidentifier() else "model"

    def side(items: list[tuple[str, float]]) -> str:
        return " + ".join(s if c == 1 else f"{_number(c)} {s}" for s, c in items)

    out = [
        f"// {spec.name}: written by senox from its model file (time unit: day).",
        f"model {name}()",
        "",
        "  // Compartment (all species are amounts in it)",
        f"  compartment {compartment} = 1;",
        "",
        "  // Species (initial amounts)",
    ]
    for state, amount in zip(spec.species, amounts, strict=True):
        unit = f"  // {state.unit}" if state.unit else ""
        out.append(
            f"  substanceOnly species {state.name} in {compartment} = {_number(amount)};{unit}"
        )
    out += ["", "  // Parameters: value; unit, plausible range"]
    for parameter, value in zip(spec.parameters, values, strict=True):
        out.append(
            f"  {parameter.name} = {_number(value)};  // {parameter.unit}, "
            f"range [{parameter.low}, {parameter.high}]"
        )
    if spec.assignments:
        out += ["", "  // Assignment rules (in order)"]
        out += [f"  {a.name} := {infix(a.expression)};" for a in spec.assignments]
    out += ["", "  // Reactions: d(species)/dt += stoichiometry * rate"]
    for reaction in spec.reactions:
        left = [(s, -c) for s, c in reaction.change.items() if c < 0]
        right = [(s, c) for s, c in reaction.change.items() if c > 0]
        out.append(f"  {reaction.name}: {side(left)} => {side(right)}; {infix(reaction.rate)};")
    if schedule:
        out += ["", "  // Doses: each event fires once, at its time"]
        for time, amounts_at in schedule:
            event = _free_id(f"dose_t{_number(time).replace('.', '_').replace('-', 'm')}", taken)
            assigns = ", ".join(f"{s} = {s} + {_number(a)}" for s, a in amounts_at.items())
            out.append(
                f"  {event}: at time >= {_number(time)}, t0=false, persistent=true, "
                f"fromTrigger=true: {assigns};"
            )
    out += ["", "  // Units", "  unit time_unit = 86400 second;", "end", ""]
    return "\n".join(out)
