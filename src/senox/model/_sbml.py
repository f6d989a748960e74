"""Running SBML models with libroadrunner (optional extra ``senox[sbml]``)."""

from __future__ import annotations

import importlib
import math
import re
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from senox._errors import InputError
from senox._text import read_utf8
from senox.model._limits import check_table_size

if TYPE_CHECKING:
    from types import ModuleType

#: Published models shipped with senox, by name (see ``data/published/README.md``).
PUBLISHED = {"passos2010": "passos2010.xml", "dallepezze2014": "dallepezze2014.xml"}

_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0,
          "d": 86400.0, "day": 86400.0, "days": 86400.0}  # fmt: skip

#: XML declarations SBML never needs; expanding nested entities ("billion laughs") crashes
#: libroadrunner.
_DECLARATIONS = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space."""
    return " ".join(str(text).split())


def _require(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        msg = f"{module} is needed for SBML models: pip install 'senox[sbml]'"
        raise InputError(msg) from exc


def parse_duration(text: str | float) -> float:
    """A duration in seconds from ``"15d"``, ``"36h"``, ``"90min"``, ``"600s"`` (bare number: days).

    >>> parse_duration("15d"), parse_duration("36h"), parse_duration(2)
    (1296000.0, 129600.0, 172800.0)
    """
    if isinstance(text, int | float):
        value, unit = float(text), "d"
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-z]*)\s*", text.lower())
        if not match or (match.group(2) and match.group(2) not in _UNITS):
            msg = f"duration '{text}' is not understood; write a number and a unit: 15d, 36h, 600s"
            raise InputError(msg)
        value, unit = float(match.group(1)), match.group(2) or "d"
    if not (math.isfinite(value) and value > 0):
        msg = f"duration '{text}' must be a positive, finite number and a unit: 15d, 36h, 600s"
        raise InputError(msg)
    return value * _UNITS[unit]


def _sbml_path(model: str | Path) -> Path:
    if str(model) in PUBLISHED:
        with as_file(files("senox.model") / "data" / "published" / PUBLISHED[str(model)]) as path:
            return Path(path)
    path = Path(model)
    if not path.exists():
        msg = f"{path}: no such SBML file (or give a shipped model: {', '.join(PUBLISHED)})"
        raise InputError(msg)
    return path


def read_sbml(model: str | Path) -> tuple[Path, str]:
    """The path and text of an SBML model that libsbml reads without errors.

    Refused in one line, before libroadrunner sees them: files that are not UTF-8 text (binary
    files), DOCTYPE or ENTITY declarations (SBML needs neither, and entity expansion crashes
    libroadrunner), and files in which libsbml finds an error or no model.
    """
    libsbml = _require("libsbml")
    path = _sbml_path(model)
    text = read_utf8(path, "SBML", fix="give an SBML (XML) file")
    if _DECLARATIONS.search(text):
        msg = (
            f"{path}: holds a DOCTYPE or ENTITY declaration, which SBML never needs and whose "
            "entity expansion can exhaust memory; remove it"
        )
        raise InputError(msg)
    document = libsbml.readSBMLFromString(text)
    for i in range(document.getNumErrors()):
        error = document.getError(i)
        if error.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            msg = f"{path}: libsbml cannot read it ({one_line(error.getMessage())}); fix the SBML"
            raise InputError(msg)
    if document.getModel() is None:
        msg = f"{path}: the SBML holds no model; give a file with a <model> element"
        raise InputError(msg)
    return path, text


def time_unit_seconds(sbml: str) -> float:
    """Seconds per model time unit.

    The unit is the ``time`` unit definition (SBML L2) or the model's ``timeUnits`` (L3);
    seconds when neither is set, as SBML L2 defines.
    """
    libsbml = _require("libsbml")
    document = libsbml.readSBMLFromString(sbml)
    model = document.getModel()
    unit_id = model.getTimeUnits() if model.isSetTimeUnits() else "time"
    definition = model.getUnitDefinition(unit_id)
    if definition is None:
        return 1.0
    seconds = 1.0
    for i in range(definition.getNumUnits()):
        unit = definition.getUnit(i)
        if libsbml.UnitKind_toString(unit.getKind()) != "second":
            msg = (
                f"the model's time unit '{unit_id}' is not made of seconds; senox cannot convert it"
            )
            raise InputError(msg)
        seconds *= (unit.getMultiplier() * 10 ** unit.getScale()) ** unit.getExponent()
    return seconds


def run_sbml(
    model: str | Path, *, until: str | float = "15d", points: int | None = None
) -> pd.DataFrame:
    """Simulate an SBML model deterministically (CVODE) from its initial state.

    Parameters
    ----------
    model
        Path of an SBML file, or the name of a shipped published model (``passos2010``,
        ``dallepezze2014``).
    until
        How long to simulate, in real time (``"15d"``, ``"36h"``; a bare number means days).
    points
        Output time points, evenly spaced (default: one per day, at least 101).

    Returns
    -------
    A table with ``time_days``, ``time`` (model units) and one column per floating species
    (amounts or concentrations as the model states them).
    """
    roadrunner = _require("roadrunner")
    path, sbml = read_sbml(model)
    try:
        runner = roadrunner.RoadRunner(sbml)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = f"{path}: libroadrunner cannot load this SBML ({first}); check it with libsbml"
        raise InputError(msg) from None
    unit = time_unit_seconds(sbml)
    end = parse_duration(until) / unit
    n = points or max(round(parse_duration(until) / 86400.0) + 1, 101)
    if n < 2:
        msg = f"--points {n}: give at least 2 output time points"
        raise InputError(msg)
    check_table_size(
        n,
        len(runner.timeCourseSelections) + 1,  # time_days too
        f"simulating {path} at {n:,} time points",
        "lower --points or --until",
    )
    try:
        result = runner.simulate(0.0, end, n)
    except RuntimeError as exc:
        problem = one_line(str(exc).split("; In ")[0]) or type(exc).__name__
        msg = (
            f"{path}: the integrator failed ({problem}); simulate a shorter --until or check the "
            "model's parameters and initial values"
        )
        raise InputError(msg) from None
    columns = [str(c).strip("[]") for c in result.colnames]
    table = pd.DataFrame(np.asarray(result), columns=columns)
    table.insert(0, "time_days", table["time"] * unit / 86400.0)
    return table
