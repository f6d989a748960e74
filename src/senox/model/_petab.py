"""senox's own model as a PEtab v1 problem, for :func:`senox.model.calibrate` or any PEtab tool.

What the problem holds:

* ``model.xml``: the model as :func:`senox.model.to_sbml` writes it (doses as events);
* ``conditions.tsv``: one condition, ``default``, that changes nothing;
* ``observables.tsv``: :data:`OBSERVABLES`, each with normal noise of standard deviation
  ``sd_<observable>`` on the linear scale;
* ``measurements.tsv``: the measurements given, or an empty template with PEtab's columns;
* ``parameters.tsv``: every model parameter at its value, bounded by its plausible range,
  ``log10``-scaled where the range is positive (``lin`` otherwise), estimated where the range
  is not a single value (or as ``estimate`` says); and each ``sd_<observable>``
  (``log10``, bounds :data:`SD_BOUNDS`, nominal :data:`SD_NOMINAL`, estimated).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from senox._errors import InputError
from senox.model._export import to_sbml
from senox.model._sbml import _require

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from senox.model._spec import Dose, ModelSpec

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


def _observable_table() -> pd.DataFrame:
    petab = _require("petab.v1")
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


def _parameter_table(spec: ModelSpec, estimate: Collection[str] | None) -> pd.DataFrame:
    petab = _require("petab.v1")
    if estimate is not None:
        known = {*spec.parameter_names, *(f"sd_{name}" for name in OBSERVABLES)}
        unknown = sorted(set(estimate) - known)
        if unknown:
            msg = f"estimate: unknown parameter(s) {', '.join(unknown)}; give names from the model"
            raise InputError(msg)
    rows = []
    for p in spec.parameters:
        free = p.low < p.high if estimate is None else p.name in estimate
        rows.append(
            {
                petab.PARAMETER_ID: p.name,
                petab.PARAMETER_NAME: p.description or p.name,
                petab.PARAMETER_SCALE: petab.LOG10 if p.low > 0 else petab.LIN,
                petab.LOWER_BOUND: p.low,
                petab.UPPER_BOUND: p.high,
                petab.NOMINAL_VALUE: p.value,
                petab.ESTIMATE: int(free),
            }
        )
    for name in OBSERVABLES:
        sd = f"sd_{name}"
        rows.append(
            {
                petab.PARAMETER_ID: sd,
                petab.PARAMETER_NAME: f"noise standard deviation of {name}",
                petab.PARAMETER_SCALE: petab.LOG10,
                petab.LOWER_BOUND: SD_BOUNDS[0],
                petab.UPPER_BOUND: SD_BOUNDS[1],
                petab.NOMINAL_VALUE: SD_NOMINAL,
                petab.ESTIMATE: int(estimate is None or sd in estimate),
            }
        )
    return pd.DataFrame(rows).set_index(petab.PARAMETER_ID)


def _measurement_table(measurements: pd.DataFrame | None) -> pd.DataFrame:
    petab = _require("petab.v1")
    if measurements is None:
        return pd.DataFrame(columns=petab.MEASUREMENT_DF_REQUIRED_COLS)
    unknown = sorted(set(measurements.get(petab.OBSERVABLE_ID, [])) - set(OBSERVABLES))
    if unknown:
        msg = (
            f"measurements: unknown observable(s) {', '.join(unknown)}; "
            f"give {', '.join(OBSERVABLES)}"
        )
        raise InputError(msg)
    return measurements


def _tsv(frame: pd.DataFrame, *, index: bool) -> str:
    return str(frame.to_csv(sep="\t", index=index, lineterminator="\n"))


def to_petab(
    spec: ModelSpec,
    *,
    doses: Sequence[Dose] = (),
    measurements: pd.DataFrame | None = None,
    estimate: Collection[str] | None = None,
    name: str = "problem",
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

    Returns
    -------
    The problem's files by name: the YAML, ``model.xml`` and the four tables.
    """
    petab = _require("petab.v1")
    yaml = _require("yaml")
    conditions = pd.DataFrame({petab.CONDITION_ID: ["default"]}).set_index(petab.CONDITION_ID)
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
        FILES["model"]: to_sbml(spec, doses=doses),
        FILES["conditions"]: _tsv(conditions, index=True),
        FILES["observables"]: _tsv(_observable_table(), index=True),
        FILES["measurements"]: _tsv(_measurement_table(measurements), index=False),
        FILES["parameters"]: _tsv(_parameter_table(spec, estimate), index=True),
    }
