"""Therapy strategies on senox's own model: trajectories, per-run outcomes and virtual cohorts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from senox._dask import client_for
from senox._errors import InputError
from senox._progress import progress_bar
from senox.model._limits import QUARTILES, check_dose_count, check_seed, check_simulation_size
from senox.model._ode import OK, TOO_MANY_STEPS, solve
from senox.model._spec import ModelSpec, check_doses, expression_names, load_model

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence
    from concurrent.futures import Future

    from numpy.typing import NDArray

    from senox.model._spec import Assignment, Dose
    from senox.model._strategy import Strategy

#: Tumour cells: their sum is the tumour burden.
BURDEN = ("P", "S_i", "S_p", "E")
#: Tumour cells that divide: relapse is their regrowth. Senescent cells are left out, so that a
#: senolytic, which removes cells that were not growing, does not delay relapse by bookkeeping.
GROWING = ("P", "E")
#: Species the outcomes and trajectory tables read: the burden, the SASP, its integral, toxicity.
READ_SPECIES = (*BURDEN, "A_nfkb", "A_p53", "A_auc", "Tox")

#: Called states (``senox.states``) and the model population each one starts in.
STATE_SPECIES = {
    "proliferating": "P",
    "quiescent": "P",
    "other": "P",
    "senescent_inflammatory": "S_i",
    "senescent_p53": "S_p",
    "escape_like": "E",
}

#: Virtual patients per task when a cohort is spread over a dask.distributed cluster.
CHUNK = 500

SUMMARY_COLUMNS = [
    "strategy",
    "patient",
    "time_to_relapse_days",
    "min_burden",
    "escaped_fraction",
    "sasp_auc",
    "toxicity",
]


@dataclass(frozen=True)
class SimulationResult:
    """Trajectories (long table) and one row of outcomes per strategy and virtual patient.

    ``trajectories`` has a ``patient`` column (every patient's trajectory) or a ``quantile``
    column (the quartiles over patients), as :func:`simulate_strategies` was asked.
    """

    trajectories: pd.DataFrame
    summary: pd.DataFrame
    days: float


def sample_cohort(
    spec: ModelSpec,
    n: int,
    seed: int,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> NDArray[np.float64]:
    """``n`` parameter vectors drawn from each parameter's plausible range (seeded).

    Positive ranges are sampled log-uniformly (rates and scales vary by fold changes), ranges that
    include 0 uniformly. ``ranges`` replaces the range of some parameters by name (e.g. the
    windows :func:`senox.model.parameter_ranges` derives from measured data); the draws of the
    others do not change.

    >>> from senox.model import load_model
    >>> spec = load_model("redox_senescence")
    >>> cohort = sample_cohort(spec, 3, seed=1)
    >>> cohort.shape == (3, len(spec.parameters))
    True
    """
    if n < 1:
        msg = f"cohort size {n} must be ≥ 1"
        raise InputError(msg)
    check_seed(seed)
    rng = np.random.default_rng(seed)
    u = rng.random((n, len(spec.parameters)))
    chosen = ranges or {}
    unknown = sorted(set(chosen) - set(spec.parameter_names))
    if unknown:
        msg = f"parameter range for {', '.join(unknown)}: the model has no such parameter"
        raise InputError(msg)
    low = np.array([chosen.get(p.name, (p.low, p.high))[0] for p in spec.parameters])
    high = np.array([chosen.get(p.name, (p.low, p.high))[1] for p in spec.parameters])
    if not (np.isfinite(low).all() and np.isfinite(high).all() and (low <= high).all()):
        msg = "parameter ranges must be finite, with low ≤ high"
        raise InputError(msg)
    logged = low > 0
    out: NDArray[np.float64] = low + u * (high - low)
    log_low, log_high = np.log(low[logged]), np.log(high[logged])
    out[:, logged] = np.exp(log_low + u[:, logged] * (log_high - log_low))
    return out


def initial_from_fractions(
    fractions: Mapping[str, float], spec: ModelSpec | None = None
) -> dict[str, float]:
    """Initial tumour populations from observed state fractions (burden 1 in total).

    Proliferating, quiescent and unassigned cells start as proliferating (``P``); senescent states
    start in ``S_i`` / ``S_p``; escape-like cells in ``E``. Fractions are renormalised to sum to 1.

    >>> initial_from_fractions({"proliferating": 0.6, "senescent_p53": 0.3, "escape_like": 0.1})
    {'P': 0.6, 'S_i': 0.0, 'S_p': 0.3, 'E': 0.1}
    """
    unknown = sorted(set(fractions) - set(STATE_SPECIES))
    if unknown:
        msg = (
            f"state fractions name unknown state(s) {', '.join(unknown)}; known: "
            f"{', '.join(STATE_SPECIES)}"
        )
        raise InputError(msg)
    total = float(sum(fractions.values()))
    if total <= 0 or any(v < 0 for v in fractions.values()):
        msg = "state fractions must be ≥ 0 and not all 0"
        raise InputError(msg)
    initial = dict.fromkeys(BURDEN, 0.0)
    for state, value in fractions.items():
        initial[STATE_SPECIES[state]] += value / total
    if spec is not None:
        check_initial(spec, initial)
    return {k: round(v, 12) for k, v in initial.items()}


def check_initial(spec: ModelSpec, initial: Mapping[str, float]) -> None:
    """Refuse initial values for unknown species or negative ones."""
    for name, value in initial.items():
        if name not in spec.species_names:
            msg = (
                f"initial value for '{name}': no such species; species: "
                f"{', '.join(spec.species_names)}"
            )
            raise InputError(msg)
        if not np.isfinite(value) or value < 0:
            msg = f"initial value for '{name}' is {value}; it must be a finite number ≥ 0"
            raise InputError(msg)


def _parameter_matrix(
    spec: ModelSpec,
    cohort: int,
    seed: int,
    overrides: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]] | None,
) -> NDArray[np.float64]:
    matrix = (
        sample_cohort(spec, cohort, seed, ranges) if cohort else np.array([spec.parameter_values()])
    )
    names = spec.parameter_names
    for name, value in overrides.items():
        if name not in names:
            msg = f"parameter '{name}': the model has no such parameter"
            raise InputError(msg)
        matrix[:, names.index(name)] = value
    return matrix


def relapse_times(
    time: NDArray[np.float64],
    burden: NDArray[np.float64],
    threshold: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Time at which the burden first reaches ``threshold`` again after its lowest point.

    ``burden`` is (runs × times); ``threshold`` is one value per run, by default the burden's
    starting size. Linear interpolation between grid points; NaN where the burden stays below the
    threshold; 0 where it never falls below it (progression from the outset).

    >>> t = np.array([0.0, 1.0, 2.0, 3.0])
    >>> b = np.array([[1.0, 0.5, 0.75, 1.25], [1.0, 0.5, 0.6, 0.7], [1.0, 1.1, 1.2, 1.3]])
    >>> relapse_times(t, b)
    array([2.5, nan, 0. ])
    >>> relapse_times(t, b, threshold=np.array([0.7, 0.7, 0.7]))
    array([1.8, 3. , 0. ])
    """
    levels = burden[:, 0] if threshold is None else threshold
    out = np.full(burden.shape[0], np.nan)
    for row, (b, level) in enumerate(zip(burden, levels, strict=True)):
        nadir = int(np.argmin(b))
        if b[nadir] >= level:
            out[row] = 0.0
            continue
        above = np.nonzero(b[nadir:] >= level)[0]
        if above.size:
            j = nadir + int(above[0])
            frac = (level - b[j - 1]) / (b[j] - b[j - 1])
            out[row] = time[j - 1] + frac * (time[j] - time[j - 1])
    return out


def _outcomes(
    spec: ModelSpec, time: NDArray[np.float64], states: NDArray[np.float64]
) -> dict[str, NDArray[np.float64]]:
    index = {name: i for i, name in enumerate(spec.species_names)}
    burden = states[:, :, [index[s] for s in BURDEN]].sum(axis=2)
    growing = states[:, :, [index[s] for s in GROWING]].sum(axis=2)
    final = burden[:, -1]
    escaped = np.divide(states[:, -1, index["E"]], final, out=np.zeros_like(final), where=final > 0)
    return {
        "time_to_relapse_days": relapse_times(time, growing, threshold=burden[:, 0]),
        "min_burden": burden.min(axis=1),
        "escaped_fraction": escaped,
        "sasp_auc": states[:, -1, index["A_auc"]],
        "toxicity": states[:, -1, index["Tox"]],
    }


#: Derived quantities of the model written beside the species in trajectory tables.
DERIVED = ("R",)

_NUMPY = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "pow": np.power}


def derived_values(
    spec: ModelSpec,
    time: NDArray[np.float64],
    states: NDArray[np.float64],
    parameters: NDArray[np.float64],
    names: Collection[str] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Every derived quantity (assignment) of the model along trajectories.

    ``states`` is (members × times × species) and ``parameters`` (members × parameters); each
    result is (members × times). The expressions are the model file's own, checked when it was
    read (numbers, names, arithmetic, exp/log/sqrt/pow only), evaluated with numpy. With
    ``names``, only those and the assignments they read are evaluated: the strategy tables need
    ``R``, 5 of the shipped model's 29 assignments (for 10 strategies × 1,000 patients,
    1.5-2.5 s of evaluation became 0.24-0.32 s).
    """
    scope: dict[str, object] = {"__builtins__": {}, **_NUMPY, "time": time[None, :]}
    scope.update({s: states[:, :, i] for i, s in enumerate(spec.species_names)})
    scope.update({p: parameters[:, i, None] for i, p in enumerate(spec.parameter_names)})
    shape = states.shape[:2]
    out: dict[str, NDArray[np.float64]] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for assignment in _needed(spec, names):
            value = eval(assignment.expression, scope)  # a checked model expression
            scope[assignment.name] = value
            out[assignment.name] = np.broadcast_to(np.asarray(value, dtype=np.float64), shape)
    return out


def _needed(spec: ModelSpec, names: Collection[str] | None) -> list[Assignment]:
    """The assignments ``names`` read, directly or through others, in the model's order."""
    if names is None:
        return list(spec.assignments)
    wanted = set(names)
    for assignment in reversed(spec.assignments):  # an assignment reads only earlier ones
        if assignment.name in wanted:
            wanted |= expression_names(assignment.expression)
    return [a for a in spec.assignments if a.name in wanted]


def _trajectory_values(
    spec: ModelSpec,
    time: NDArray[np.float64],
    states: NDArray[np.float64],
    params: NDArray[np.float64],
    keep: NDArray[np.bool_],
) -> tuple[list[str], NDArray[np.float64]]:
    """Names and values (members × kept times × variables) of every trajectory column."""
    index = {s: i for i, s in enumerate(spec.species_names)}
    kept = states[:, keep, :]
    derived = derived_values(spec, time[keep], kept, params, names=DERIVED)
    extra = {c: derived[c] for c in DERIVED if c in derived}
    extra["burden"] = kept[:, :, [index[s] for s in BURDEN]].sum(axis=2)
    extra["sasp"] = kept[:, :, index["A_nfkb"]] + kept[:, :, index["A_p53"]]
    values = np.concatenate([kept, np.stack(list(extra.values()), axis=2)], axis=2)
    return [*spec.species_names, *extra], values


def _trajectory_frame(
    spec: ModelSpec,
    name: str,
    time: NDArray[np.float64],
    states: NDArray[np.float64],
    params: NDArray[np.float64],
    keep: NDArray[np.bool_],
    *,
    quartiles: bool = False,
) -> pd.DataFrame:
    """Every member's trajectory: a row per patient and kept time.

    With ``quartiles``, the quartiles over members instead: a row per quartile and kept time.
    """
    columns, values = _trajectory_values(spec, time, states, params, keep)
    key, labels = "patient", np.arange(values.shape[0])
    if quartiles:
        key, labels = "quantile", np.asarray(QUARTILES)
        values = np.quantile(values, QUARTILES, axis=0)
    n, t = values.shape[:2]
    frame = pd.DataFrame(values.reshape(n * t, -1), columns=columns)
    frame.insert(0, "time_days", np.tile(time[keep], n))
    frame.insert(0, key, np.repeat(labels, t))
    frame.insert(0, "strategy", name)
    return frame


def _time_grid(days: float, output_step: float) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    outputs = np.append(np.arange(0.0, days, output_step), days)
    grid = np.unique(np.concatenate([np.arange(0.0, days, min(1.0, output_step)), outputs]))
    return grid, np.isin(grid, outputs)


def check_strategy_model(spec: ModelSpec) -> None:
    """Refuse a model that lacks the species strategy simulations read (:data:`READ_SPECIES`)."""
    missing = [s for s in READ_SPECIES if s not in spec.species_names]
    if missing:
        msg = (
            f"{spec.source or spec.name}: model '{spec.name}' lacks species "
            f"{', '.join(missing)}, which strategy simulations read (burden, SASP, toxicity); "
            "start from the shipped redox_senescence model"
        )
        raise InputError(msg)


def _strategy_doses(spec: ModelSpec, strategy: Strategy, days: float) -> list[Dose]:
    """The strategy's doses, refused in one line naming it unless the model takes them in time."""
    check_dose_count(strategy.dose_count(), f"strategy '{strategy.name}'")
    doses = strategy.doses()
    try:
        check_doses(spec, doses)
    except InputError as exc:
        msg = f"strategy '{strategy.name}': {exc}"
        raise InputError(msg) from None
    late = [d for d in doses if d.time > days]
    if late:
        msg = (
            f"strategy '{strategy.name}': a dose on day {late[0].time:g} falls after the horizon "
            f"({days:g} days); lengthen --days"
        )
        raise InputError(msg)
    return doses


def _check_integrated(
    spec: ModelSpec,
    strategy: Strategy,
    grid: NDArray[np.float64],
    states: NDArray[np.float64],
    status: NDArray[np.int64],
) -> None:
    """Refuse results with a patient the integrator could not take to the horizon."""
    failed = np.flatnonzero((status != OK) | ~np.isfinite(states).all(axis=(1, 2)))
    if not failed.size:
        return
    m = int(failed[0])
    blank = ~np.isfinite(states[m]).all(axis=1)
    day = grid[np.argmax(blank)] if blank.any() else grid[-1]
    more = f" (and {failed.size - 1} more of {len(states)})" if failed.size > 1 else ""
    if status[m] == TOO_MANY_STEPS:
        cause = "it ran out of integration steps; shorten --days or give fewer doses"
    else:
        cause = (
            "the step size collapsed, as when a rate divides by zero or an exp overflows; check "
            "the model's rates and the dose amounts"
        )
    msg = (
        f"strategy '{strategy.name}' on model '{spec.source or spec.name}': the integration of "
        f"patient {m}{more} failed before day {day:g}: {cause}"
    )
    raise InputError(msg)


def _run_members(
    spec: ModelSpec,
    grid: NDArray[np.float64],
    params: NDArray[np.float64],
    initial: NDArray[np.float64],
    doses: list[Dose],
    client: Any,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Every member's states and integration status (:data:`senox.model._ode.OK` when done).

    ``client``: a ``distributed.Client`` that runs chunks of the members, or None (here).
    """
    if client is None:
        solution = solve(spec, times=grid, parameters=params, initial=initial, doses=doses)
        return solution.states, solution.status
    chunks = np.array_split(np.arange(len(params)), max(1, len(params) // CHUNK))
    futures = [
        client.submit(
            solve,
            spec,
            times=grid,
            parameters=params[c],
            initial=initial[c],
            doses=doses,
            parallel=False,
            pure=False,
        )
        for c in chunks
    ]
    solutions = client.gather(futures)
    return (
        np.concatenate([s.states for s in solutions]),
        np.concatenate([s.status for s in solutions]),
    )


def simulate_strategies(
    strategies: Sequence[Strategy],
    *,
    model: str | ModelSpec = "redox_senescence",
    cohort: int = 0,
    seed: int = 0,
    days: float = 365.0,
    initial: Mapping[str, float] | None = None,
    parameters: Mapping[str, float] | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    output_step: float = 1.0,
    scheduler: str | None = None,
    progress: bool = False,
    trajectories: Literal["patients", "quartiles"] = "patients",
) -> SimulationResult:
    """Simulate each strategy for one patient (default parameters) or a virtual cohort.

    Parameters
    ----------
    strategies
        Strategies from :func:`senox.model.load_strategy`.
    model
        A model name (``redox_senescence``), a model file, or a :class:`ModelSpec`.
    cohort
        0: one run on the default parameters (``patient`` 0). N: N virtual patients whose
        parameters are drawn from their plausible ranges (:func:`sample_cohort`); every strategy
        is simulated for every patient.
    seed
        Seed of the cohort draw.
    days
        Horizon; relapse is looked for within it.
    initial
        Initial values by species name (e.g. from :func:`initial_from_fractions`).
    parameters
        Parameter values that replace the defaults (and the cohort's draws) by name.
    ranges
        Ranges that replace some parameters' plausible ranges in the cohort draw, by name
        (:func:`senox.model.parameter_ranges`).
    output_step
        Spacing of the trajectory table in days; outcomes always use at least a daily grid.
    scheduler
        Address of a ``dask.distributed`` scheduler that runs chunks of the cohort.
    progress
        Show a progress bar over strategies on stderr.
    trajectories
        ``patients``: every patient's trajectory (a row per patient and time). ``quartiles``:
        the 25th, 50th and 75th percentile over patients (a row per quartile and time), whose
        size does not grow with the cohort; outcomes are computed from every patient either way.

    Raises
    ------
    InputError
        Before any work, for a request too large for this machine
        (:func:`senox.model.check_simulation_size`), a model without the species the outcomes
        read, or doses the model cannot take; after a strategy, when the integration of any
        patient failed (a failed patient is never reported as an outcome).
    """
    spec = model if isinstance(model, ModelSpec) else load_model(model)
    check_simulation_size(
        strategies=len(strategies),
        cohort=cohort,
        days=days,
        output_step=output_step,
        seed=seed,
        model=spec,
        quartiles=trajectories == "quartiles",
    )
    check_strategy_model(spec)
    schedules = [_strategy_doses(spec, s, days) for s in strategies]
    grid, keep = _time_grid(days, output_step)
    params = _parameter_matrix(spec, cohort, seed, parameters or {}, ranges)
    start = dict(zip(spec.species_names, spec.initial_values(), strict=True))
    if initial:
        check_initial(spec, initial)
        start.update(initial)
    y0 = np.tile([start[s] for s in spec.species_names], (len(params), 1))
    frames, rows = [], []
    # A strategy's trajectory table (derived values, quartiles: NumPy, one core) is made in a
    # thread while the next strategy is integrated; one at a time, so that memory holds at
    # most two strategies' states.
    pending: Future[pd.DataFrame] | None = None
    client = client_for(scheduler)  # one connection for every strategy
    with (
        progress_bar(len(strategies), show=progress, label="simulating strategies") as advance,
        ThreadPoolExecutor(max_workers=1) as tables,
        client if client is not None else nullcontext(),
    ):
        for strategy, doses in zip(strategies, schedules, strict=True):
            states, status = _run_members(spec, grid, params, y0, doses, client)
            _check_integrated(spec, strategy, grid, states, status)
            if pending is not None:
                frames.append(pending.result())
            pending = tables.submit(
                _trajectory_frame,
                spec,
                strategy.name,
                grid,
                states,
                params,
                keep,
                quartiles=trajectories == "quartiles",
            )
            outcome = pd.DataFrame(_outcomes(spec, grid, states))
            outcome.insert(0, "patient", np.arange(len(params)))
            outcome.insert(0, "strategy", strategy.name)
            rows.append(outcome)
            advance(1)
        if pending is not None:
            frames.append(pending.result())
    return SimulationResult(
        trajectories=pd.concat(frames, ignore_index=True),
        summary=pd.concat(rows, ignore_index=True)[SUMMARY_COLUMNS],
        days=float(days),
    )


def relapse_free(summary: pd.DataFrame, days: float) -> pd.DataFrame:
    """Relapse-free fraction over time per strategy (runs without relapse are censored at ``days``).

    Returns a long table: ``strategy``, ``time_days``, ``relapse_free``.
    """
    grid = np.linspace(0.0, days, 201)
    rows = []
    for name, group in summary.groupby("strategy", sort=False):
        ttr = group["time_to_relapse_days"].to_numpy(dtype=float)
        ttr = np.where(np.isnan(ttr), np.inf, ttr)
        free = (ttr[None, :] > grid[:, None]).mean(axis=1)
        rows.append(pd.DataFrame({"strategy": name, "time_days": grid, "relapse_free": free}))
    return pd.concat(rows, ignore_index=True)
