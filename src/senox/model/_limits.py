"""Limits checked before a simulation starts.

A request the machine cannot hold is refused in one line, naming the options to lower, instead
of climbing through memory for minutes first.
"""

from __future__ import annotations

import math
import os

from senox._errors import InputError
from senox.model._spec import ModelSpec, load_model

#: Share of the machine's physical memory one request may plan to use.
MEMORY_SHARE = 0.5
#: Physical memory assumed where the operating system does not report it (bytes).
ASSUMED_MEMORY = 8 * 2**30
#: Bytes per value of a table senox writes, all copies at its peak together: the simulated
#: array, the table, the concatenated table and its text (``senox simulate --cohort 2000
#: --step 1`` peaked at 40 bytes per trajectory value).
TABLE_VALUE_BYTES = 40
#: Columns of the trajectory table beside the species: strategy, patient, time, R, burden, SASP.
TRAJECTORY_EXTRA_COLUMNS = 6
#: Dose events one strategy may hold (daily doses for 27 years). Each dose restarts the
#: integrator for a few steps, and 10,000 fit the 100,000 steps a patient may take.
MAX_DOSES = 10_000
#: Largest amount of one dose, in standard-dose equivalents.
MAX_DOSE_AMOUNT = 1_000.0

SIMULATE_FIX = "lower --cohort or --days, raise --step, or give fewer --strategy options"


def memory_budget() -> int:
    """Bytes one request may plan to use: :data:`MEMORY_SHARE` of physical memory."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not reported (e.g. Windows)
        total = ASSUMED_MEMORY
    return int(MEMORY_SHARE * total)


def check_memory(need: float, request: str, fix: str) -> None:
    """Refuse ``request`` if it needs more than :func:`memory_budget` bytes; ``fix`` says how."""
    budget = memory_budget()
    if need > budget:
        msg = (
            f"{request} needs about {need / 2**30:.3g} GiB of memory, more than the "
            f"{budget / 2**30:.3g} GiB senox allows itself here ({MEMORY_SHARE:.0%} of this "
            f"machine's memory); {fix}"
        )
        raise InputError(msg)


def check_table_size(rows: int, columns: int, request: str, fix: str) -> None:
    """Refuse a request whose output table of ``rows`` × ``columns`` values would not fit."""
    check_memory(float(rows) * columns * TABLE_VALUE_BYTES, request, fix)


def check_seed(seed: int) -> None:
    """Refuse a negative seed (numpy's seeding takes none)."""
    if seed < 0:
        msg = f"--seed {seed}: give a seed ≥ 0"
        raise InputError(msg)


def check_dose_count(count: int, where: str) -> None:
    """Refuse a strategy with more than :data:`MAX_DOSES` dose events."""
    if count > MAX_DOSES:
        msg = (
            f"{where}: {count:,} dose events, more than the {MAX_DOSES:,} a strategy may hold "
            "(each restarts the integrator); lower the doses' 'count'"
        )
        raise InputError(msg)


def _points(days: float, step: float) -> float:
    """Time points from 0 to ``days`` every ``step`` days, ``days`` included (inf if countless)."""
    ratio = days / step
    return math.ceil(ratio) + 1.0 if math.isfinite(ratio) else math.inf


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


#: Quantiles over patients kept when a cohort's trajectories are summarised.
QUARTILES = (0.25, 0.5, 0.75)


def check_simulation_size(
    *,
    strategies: int,
    cohort: int,
    days: float,
    output_step: float = 1.0,
    seed: int = 0,
    model: str | ModelSpec = "redox_senescence",
    fix: str = SIMULATE_FIX,
    quartiles: bool = False,
) -> None:
    """Refuse a strategy simulation that is malformed or too large, before any work starts.

    ``strategies`` strategies are simulated for ``cohort`` virtual patients (0: one patient on
    the default parameters) over ``days`` days, with a trajectory row every ``output_step``
    days, on ``model``. The memory is estimated as the trajectory table (strategies × patients
    × rows × (species + 6) values at :data:`TABLE_VALUE_BYTES` each) plus one strategy's
    arrays on the integration grid (patients × grid points × (species + derived quantities) ×
    8 bytes), and refused above :func:`memory_budget`. ``fix`` names the options to lower.
    ``quartiles``: the table keeps three quartiles per time instead of every patient.

    >>> check_simulation_size(strategies=9, cohort=1000, days=365, output_step=7)
    >>> check_simulation_size(strategies=9, cohort=0, days=float("inf"))
    Traceback (most recent call last):
    senox._errors.InputError: --days inf: the horizon must be a finite number of days > 0
    """
    if not (math.isfinite(days) and days > 0):
        msg = f"--days {days:g}: the horizon must be a finite number of days > 0"
        raise InputError(msg)
    if not (math.isfinite(output_step) and output_step > 0):
        msg = (
            f"--step {output_step:g}: the days between trajectory rows must be a finite number > 0"
        )
        raise InputError(msg)
    check_seed(seed)
    if cohort < 0:
        msg = f"--cohort {cohort}: give a number of virtual patients ≥ 0 (0: default parameters)"
        raise InputError(msg)
    patients = max(cohort, 1)
    request = (
        f"simulating {_count(strategies, 'strategy', 'strategies')} × "
        f"{_count(patients, 'patient', 'patients')} × {_points(days, output_step):,.0f} time points"
    )
    estimate = simulation_bytes(strategies, patients, days, output_step, model, quartiles=quartiles)
    check_memory(estimate, request, fix)


def simulation_bytes(
    strategies: int,
    patients: int,
    days: float,
    output_step: float,
    model: str | ModelSpec,
    *,
    quartiles: bool = False,
) -> float:
    """Estimated peak memory of a strategy simulation (see :func:`check_simulation_size`)."""
    spec = model if isinstance(model, ModelSpec) else load_model(model)
    rows = _points(days, output_step)
    grid = _points(days, min(1.0, output_step))
    kept = len(QUARTILES) if quartiles else patients
    table = strategies * kept * rows * (len(spec.species) + TRAJECTORY_EXTRA_COLUMNS)
    arrays = patients * grid * (len(spec.species) + len(spec.assignments)) * 8
    return table * TABLE_VALUE_BYTES + arrays
