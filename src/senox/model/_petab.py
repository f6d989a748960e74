"""senox's own model as a PEtab v1 problem, for :func:`senox.model.calibrate` or any PEtab tool.

What the problem holds:

* ``model.xml``: the model as :func:`senox.model.to_sbml` writes it (doses as events);
* ``conditions.tsv``: one condition, ``default``, that changes nothing (or the conditions given);
* ``observables.tsv``: :data:`OBSERVABLES`, each with normal noise of standard deviation
  ``sd_<observable>`` on the linear scale (or the observables given);
* ``measurements.tsv``: the measurements given, or an empty template with PEtab's columns;
* ``parameters.tsv``: every model parameter at its value, bounded by its plausible range,
  ``log10``-scaled where the range is positive (``lin`` otherwise), estimated where the range
  is not a single value (or as ``estimate`` says); and each ``sd_<observable>``
  (``log10``, bounds :data:`SD_BOUNDS`, nominal :data:`SD_NOMINAL`, estimated).

Per-condition dose schedules: ``dose_times`` gives, per exposure species, the times of a dose
event whose amount is the model parameter ``dose_<species>`` (0 in the model); the condition
table sets that amount per condition, so that arms of one study share one SBML model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from senox._errors import InputError
from senox.model._export import to_sbml
from senox.model._sbml import _require
from senox.model._spec import Dose, check_doses

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from senox.model._spec import ModelSpec

#: Observables of the exported problem: id -> (formula, meaning).
OBSERVABLES: dict[str, tuple[str, str]] = {
    "tumour_burden": ("P + S_i + S_p + E", "all tumour cells (burden units)"),
    "senescent_burden": ("S_i + S_p", "senescent tumour cells (burden units)"),
    "escaped_burden": ("E", "escaped tumour cells (burden units)"),
    "sasp": ("A_nfkb + A_p53", "SASP level (SASP units)"),
}
#: Bounds and nominal value of each observable's noise standard deviation.
SD_BOUNDS, SD_NOMINAL = (1e-3, 10.0), 0.1

#: File names inside the problem folder.
FILES = {
    "model": "model.xml",
    "conditions": "conditions.tsv",
    "observables": "observables.tsv",
    "measurements": "measurements.tsv",
    "parameters": "parameters.tsv",
}


def _observable_table(observables: pd.DataFrame | None) -> pd.DataFrame:
    petab = _require("petab.v1")
    if observables is not None:
        return observables
    return pd.DataFrame(
        {
            petab.OBSERVABLE_ID: list(OBSERVABLES),
            petab.OBSERVABLE_NAME: [meaning for _, meaning in OBSERVABLES.values()],
            petab.OBSERVABLE_FORMULA: [formula for formula, _ in OBSERVABLES.values()],
            petab.OBSERVABLE_TRANSFORMATION: petab.LIN,
            petab.NOISE_FORMULA: [f"sd_{name}" for name in OBSERVABLES],
            petab.NOISE_DISTRIBUTION: petab.NORMAL,
        }
    ).set_index(petab.OBSERVABLE_ID)


def _parameter_table(
    spec: ModelSpec,
    estimate: Collection[str] | None,
    *,
    extra: pd.DataFrame | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    nominal: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Model parameters, then ``extra`` rows (or the ``sd_*`` of :data:`OBSERVABLES`)."""
    petab = _require("petab.v1")
    extra_ids = (
        [f"sd_{name}" for name in OBSERVABLES] if extra is None else [str(i) for i in extra.index]
    )
    known = {*spec.parameter_names, *extra_ids}
    given = (("estimate", estimate or ()), ("bounds", bounds or {}), ("nominal", nominal or {}))
    for field, names in given:
        unknown = sorted(set(names) - known)
        if unknown:
            msg = f"{field}: unknown parameter(s) {', '.join(unknown)}; give names from the model"
            raise InputError(msg)
    rows = []
    for p in spec.parameters:
        low, high = (bounds or {}).get(p.name, (p.low, p.high))
        value = (nominal or {}).get(p.name, p.value)
        if not low <= value <= high:
            msg = f"bounds: {p.name} = {value} lies outside [{low}, {high}]; widen the bounds"
            raise InputError(msg)
        free = p.low < p.high if estimate is None else p.name in estimate
        rows.append(
            {
                petab.PARAMETER_ID: p.name,
                petab.PARAMETER_NAME: p.description or p.name,
                petab.PARAMETER_SCALE: petab.LOG10 if low > 0 else petab.LIN,
                petab.LOWER_BOUND: low,
                petab.UPPER_BOUND: high,
                petab.NOMINAL_VALUE: value,
                petab.ESTIMATE: int(free),
            }
        )
    table = pd.DataFrame(rows).set_index(petab.PARAMETER_ID)
    if extra is not None:
        extra = extra.copy()
        extra[petab.ESTIMATE] = [int(estimate is None or i in estimate) for i in extra_ids]
        return pd.concat([table, extra])
    for name in OBSERVABLES:
        sd = f"sd_{name}"
        table.loc[sd] = {
            petab.PARAMETER_NAME: f"noise standard deviation of {name}",
            petab.PARAMETER_SCALE: petab.LOG10,
            petab.LOWER_BOUND: SD_BOUNDS[0],
            petab.UPPER_BOUND: SD_BOUNDS[1],
            petab.NOMINAL_VALUE: SD_NOMINAL,
            petab.ESTIMATE: int(estimate is None or sd in estimate),
        }
    return table


def _measurement_table(
    measurements: pd.DataFrame | None, observable_ids: Collection[str]
) -> pd.DataFrame:
    petab = _require("petab.v1")
    if measurements is None:
        return pd.DataFrame(columns=petab.MEASUREMENT_DF_REQUIRED_COLS)
    unknown = sorted(set(measurements.get(petab.OBSERVABLE_ID, [])) - set(observable_ids))
    if unknown:
        msg = (
            f"measurements: unknown observable(s) {', '.join(unknown)}; "
            f"give {', '.join(observable_ids)}"
        )
        raise InputError(msg)
    return measurements


def dose_parameter(species: str) -> str:
    """The model parameter that holds the per-condition amount of a scheduled dose."""
    return f"dose_{species}"


def _add_scheduled_doses(
    sbml: str, spec: ModelSpec, dose_times: Mapping[str, Sequence[float]]
) -> str:
    """``sbml`` with, per species, a parameter ``dose_<species>`` (0), and one event per time.

    Doses of several species at one time share an event. Events follow
    :func:`senox.model.to_sbml`'s convention (``time >= t``, initial value false,
    persistent, values from the trigger time), so each fires once, at its time.
    """
    libsbml = _require("libsbml")
    check_doses(spec, [Dose(float(t), s, 0.0) for s, times in dose_times.items() for t in times])
    document = libsbml.readSBMLFromString(sbml)
    model = document.getModel()
    at: dict[float, list[str]] = {}
    for species, times in dose_times.items():
        amount = dose_parameter(species)
        if model.getParameter(amount) is not None:
            msg = f"dose_times: '{amount}' is already a model parameter; rename it in the model"
            raise InputError(msg)
        parameter = model.createParameter()
        parameter.setId(amount)
        parameter.setValue(0.0)
        parameter.setConstant(True)
        for time in {float(t) for t in times}:
            at.setdefault(time, []).append(species)
    for k, time in enumerate(sorted(at)):
        event = model.createEvent()
        event.setId(f"scheduled_dose_{k}")
        event.setUseValuesFromTriggerTime(True)
        trigger = event.createTrigger()
        trigger.setInitialValue(False)
        trigger.setPersistent(True)
        trigger.setMath(libsbml.parseL3Formula(f"time >= {time!r}"))
        for species in at[time]:
            assignment = event.createEventAssignment()
            assignment.setVariable(species)
            assignment.setMath(libsbml.parseL3Formula(f"{species} + {dose_parameter(species)}"))
    return str(libsbml.writeSBMLToString(document))


def _tsv(frame: pd.DataFrame, *, index: bool) -> str:
    return str(frame.to_csv(sep="\t", index=index, lineterminator="\n"))


def to_petab(
    spec: ModelSpec,
    *,
    doses: Sequence[Dose] = (),
    measurements: pd.DataFrame | None = None,
    estimate: Collection[str] | None = None,
    name: str = "problem",
    dose_times: Mapping[str, Sequence[float]] | None = None,
    conditions: pd.DataFrame | None = None,
    observables: pd.DataFrame | None = None,
    extra_parameters: pd.DataFrame | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    nominal: Mapping[str, float] | None = None,
) -> dict[str, str]:
    """The model as a PEtab v1 problem: file name -> text.

    Parameters
    ----------
    spec
        The model.
    doses
        Boluses, written as SBML events.
    measurements
        A PEtab measurement table for the observables of :data:`OBSERVABLES` (condition
        ``default``); default: an empty template.
    estimate
        The parameters to estimate (model parameters and ``sd_<observable>``); default: every
        model parameter whose range is not a single value, and every noise parameter.
    name
        Stem of the YAML file (``name.yaml``).
    dose_times
        Per exposure species, the times of dose events whose amount is the model parameter
        ``dose_<species>`` (0 unless the condition table sets it).
    conditions
        The PEtab condition table (indexed by ``conditionId``); default: one condition,
        ``default``, that changes nothing.
    observables
        The PEtab observable table (indexed by ``observableId``); default: :data:`OBSERVABLES`.
    extra_parameters
        Parameter-table rows (indexed by ``parameterId``) appended after the model parameters
        instead of the ``sd_*`` rows of :data:`OBSERVABLES`: noise and observable parameters of
        custom observables. ``estimate`` decides their ``estimate`` column as for the others.
    bounds
        Per model parameter, (lower, upper) bounds replacing its plausible range.
    nominal
        Per model parameter, a nominal value replacing the model's (within its bounds).

    Returns
    -------
    The problem's files by name: the YAML, ``model.xml`` and the four tables.
    """
    petab = _require("petab.v1")
    yaml = _require("yaml")
    if conditions is None:
        conditions = pd.DataFrame({petab.CONDITION_ID: ["default"]}).set_index(petab.CONDITION_ID)
    observable_table = _observable_table(observables)
    sbml = to_sbml(spec, doses=doses)
    if dose_times:
        sbml = _add_scheduled_doses(sbml, spec, dose_times)
    problem = {
        "format_version": 1,
        "parameter_file": FILES["parameters"],
        "problems": [
            {
                "sbml_files": [FILES["model"]],
                "condition_files": [FILES["conditions"]],
                "observable_files": [FILES["observables"]],
                "measurement_files": [FILES["measurements"]],
            }
        ],
    }
    return {
        f"{name}.yaml": str(yaml.safe_dump(problem, sort_keys=False)),
        FILES["model"]: sbml,
        FILES["conditions"]: _tsv(conditions, index=True),
        FILES["observables"]: _tsv(observable_table, index=True),
        FILES["measurements"]: _tsv(
            _measurement_table(measurements, [str(i) for i in observable_table.index]),
            index=False,
        ),
        FILES["parameters"]: _tsv(
            _parameter_table(
                spec, estimate, extra=extra_parameters, bounds=bounds, nominal=nominal
            ),
            index=True,
        ),
    }
