"""The negative log-likelihood of a PEtab v1 problem, simulated with libroadrunner.

PEtab's semantics, as libpetab-python (``petab.v1``) defines them, are followed:

* which model parameter takes which value in which condition comes from petab's own
  ``get_optimization_to_simulation_parameter_mapping`` (model < condition table < parameter
  table; fixed parameters at their ``nominalValue``);
* condition-table columns that name species or compartments set their value at the start of the
  condition's simulation (after preequilibration, when there is one); ``NaN`` keeps the model's
  (or the preequilibrated) value;
* a preequilibration condition is simulated to steady state first and the simulation condition
  continues from that state; a measurement at ``time = inf`` is the steady state;
* ``observableParameter{n}_{obs}`` and ``noiseParameter{n}_{obs}`` placeholders take, row by row,
  the numbers or parameter IDs of the measurement table's ``observableParameters`` and
  ``noiseParameters`` columns;
* the noise models are PEtab's: ``normal`` or ``laplace`` on a ``lin``, ``log`` or ``log10``
  observable scale (petab.v1.calculate.calculate_single_llh gives the same numbers);
* estimated parameters live on their ``parameterScale`` (``lin``, ``log``, ``log10``).

Priors (``objectivePriorType``) are ignored: the objective is the likelihood alone.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from senox._errors import InputError
from senox.model._sbml import _require

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from numpy.typing import ArrayLike, NDArray

#: Integrator tolerances (CVODE), relative and absolute.
RTOL, ATOL = 1e-8, 1e-12
#: Forward-difference step of the gradient, on the parameters' scales.
FD_STEP = 1e-5
#: A steady state: every rate below STEADY_ATOL + STEADY_RTOL * |state|.
STEADY_RTOL, STEADY_ATOL = 1e-8, 1e-10
#: The longest time simulated while looking for a steady state (model time units).
STEADY_MAX_TIME = 1e8

_PLACEHOLDER = re.compile(r"^(observable|noise)Parameter(\d+)_(.+)$")


def unscale(values: ArrayLike, scales: Sequence[str]) -> NDArray[np.float64]:
    """Values on PEtab parameter scales (``lin``/``log``/``log10``) back on the linear scale."""
    v, kind = np.asarray(values, dtype=np.float64), np.asarray(scales)
    with np.errstate(over="ignore"):
        return np.where(kind == "log", np.exp(v), np.where(kind == "log10", 10.0**v, v))


def to_scale(values: ArrayLike, scales: Sequence[str]) -> NDArray[np.float64]:
    """Linear values on PEtab parameter scales (``lin``/``log``/``log10``)."""
    v, kind = np.asarray(values, dtype=np.float64), np.asarray(scales)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(kind == "log", np.log(v), np.where(kind == "log10", np.log10(v), v))


def _as_value(item: object, ids: dict[str, int], where: str) -> tuple[float, int]:
    """A mapped value as (constant, -1) or (nan, index of a parameter-table parameter)."""
    if isinstance(item, str):
        try:
            return float(item), -1
        except ValueError:
            pass
        if item not in ids:
            msg = f"{where}: '{item}' is neither a number nor a parameter of the parameter table"
            raise InputError(msg)
        return math.nan, ids[item]
    return float(item), -1  # type: ignore[arg-type]


@dataclass
class _Values:
    """Values that are constants or parameter-table entries: ``where(index<0, const, theta)``."""

    const: NDArray[np.float64]
    index: NDArray[np.int64]

    def of(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.where(self.index < 0, self.const, theta[np.maximum(self.index, 0)])


def _values(items: list[object], ids: dict[str, int], where: str) -> _Values:
    pairs = [_as_value(item, ids, where) for item in items]
    return _Values(
        np.array([c for c, _ in pairs], dtype=np.float64),
        np.array([i for _, i in pairs], dtype=np.int64),
    )


@dataclass
class _Condition:
    """One simulation condition: its parameters, state overrides, output times and rows."""

    sim_id: str
    preeq_id: str
    preeq_names: list[str]
    preeq_values: _Values
    sim_names: list[str]
    sim_values: _Values
    preeq_states: list[str]
    preeq_state_values: _Values
    sim_states: list[str]
    sim_state_values: _Values
    times: NDArray[np.float64]
    rows: NDArray[np.int64]
    time_index: NDArray[np.int64]


@dataclass
class _Output:
    """One observable's formulas and the rows that measure it."""

    observable_id: str
    formula: str
    noise: str
    symbols: list[str]
    noise_symbols: list[str]
    rows: NDArray[np.int64]
    transform: str
    distribution: str
    placeholders: dict[str, _Values] = field(default_factory=dict)


class PetabObjective:
    """The negative log-likelihood of a PEtab v1 problem as a function of its free parameters.

    Parameters
    ----------
    problem
        A ``petab.v1.Problem`` (read it with :func:`senox.model.read_petab`).
    rtol, atol
        CVODE's relative and absolute tolerances.

    Notes
    -----
    ``x`` is always the vector of the estimated parameters (``estimate = 1``), in the order of
    the parameter table, on their ``parameterScale``. The objective pickles without its
    libroadrunner instance (rebuilt on first use), so that Dask workers can run starts.
    """

    def __init__(self, problem: Any, *, rtol: float = RTOL, atol: float = ATOL) -> None:
        petab = _require("petab.v1")
        self.rtol, self.atol = rtol, atol
        parameters = problem.parameter_df
        self.parameter_df: pd.DataFrame = parameters.copy()
        self.ids: list[str] = [str(i) for i in parameters.index]
        self.scales: list[str] = [str(s) for s in parameters[petab.PARAMETER_SCALE]]
        estimate = parameters[petab.ESTIMATE].to_numpy(dtype=bool)
        self.free: NDArray[np.int64] = np.flatnonzero(estimate)
        self.x_ids: list[str] = [self.ids[i] for i in self.free]
        self.x_scales: list[str] = [self.scales[i] for i in self.free]
        nominal = parameters[petab.NOMINAL_VALUE].to_numpy(dtype=np.float64)
        self.theta_nominal: NDArray[np.float64] = nominal.copy()
        self.x_nominal = to_scale(nominal[self.free], self.x_scales)
        self.lb = to_scale(
            parameters[petab.LOWER_BOUND].to_numpy(dtype=np.float64)[self.free], self.x_scales
        )
        self.ub = to_scale(
            parameters[petab.UPPER_BOUND].to_numpy(dtype=np.float64)[self.free], self.x_scales
        )
        self.sbml: str = problem.model.to_sbml_str()
        self.measurements: pd.DataFrame = problem.measurement_df.reset_index(drop=True)
        self.measured = self.measurements[petab.MEASUREMENT].to_numpy(dtype=np.float64)
        self._entities = self._model_entities(problem)
        self.outputs = self._outputs(problem)
        self.selections = sorted(
            {s for o in self.outputs for s in [*o.symbols, *o.noise_symbols]} & set(self._entities)
        )
        self.conditions = self._conditions(problem)
        self.n_evaluations = 0
        self._runner: Any = None
        self._functions: dict[str, Callable[..., Any]] | None = None
        self._setters: dict[tuple[str, ...], _Setter] = {}

    # ------------------------------------------------------------------ set-up

    @staticmethod
    def _model_entities(problem: Any) -> dict[str, str]:
        """Model IDs an observable formula may read, and the roadrunner selection of each."""
        model = problem.model.sbml_model
        entities: dict[str, str] = {}
        for species in model.getListOfSpecies():
            sid = species.getId()
            entities[sid] = sid if species.getHasOnlySubstanceUnits() else f"[{sid}]"
        for item in [*model.getListOfParameters(), *model.getListOfCompartments()]:
            entities[item.getId()] = item.getId()
        return entities

    def _outputs(self, problem: Any) -> list[_Output]:
        petab = _require("petab.v1")
        sympify = _require("petab.v1.math").sympify_petab
        observables = problem.observable_df
        position = {pid: i for i, pid in enumerate(self.ids)}
        outputs = []
        for observable_id, rows in self.measurements.groupby(petab.OBSERVABLE_ID).groups.items():
            row = observables.loc[observable_id]
            formula = str(row[petab.OBSERVABLE_FORMULA])
            noise = str(row.get(petab.NOISE_FORMULA, "1"))
            symbols = sorted(str(s) for s in sympify(formula).free_symbols)
            noise_symbols = sorted(str(s) for s in sympify(noise).free_symbols)
            transform = row.get(petab.OBSERVABLE_TRANSFORMATION, petab.LIN)
            distribution = row.get(petab.NOISE_DISTRIBUTION, petab.NORMAL)
            output = _Output(
                observable_id=str(observable_id),
                formula=formula,
                noise=noise,
                symbols=symbols,
                noise_symbols=noise_symbols,
                rows=np.asarray(rows, dtype=np.int64),
                transform=petab.LIN if pd.isna(transform) or not transform else str(transform),
                distribution=(
                    petab.NORMAL if pd.isna(distribution) or not distribution else str(distribution)
                ),
            )
            for kind, column in (
                ("observable", petab.OBSERVABLE_PARAMETERS),
                ("noise", petab.NOISE_PARAMETERS),
            ):
                lists = [
                    petab.split_parameter_replacement_list(value)
                    for value in self.measurements.loc[output.rows].get(
                        column, pd.Series([None] * len(output.rows))
                    )
                ]
                for symbol in {*symbols, *noise_symbols}:
                    match = _PLACEHOLDER.match(symbol)
                    if not match or match[1] != kind or match[3] != output.observable_id:
                        continue
                    k = int(match[2]) - 1
                    where = f"measurement table, {column} of {output.observable_id}"
                    if any(len(items) <= k for items in lists):
                        msg = f"{where}: rows give fewer than {k + 1} values for {symbol}"
                        raise InputError(msg)
                    output.placeholders[symbol] = _values(
                        [items[k] for items in lists], position, where
                    )
            outputs.append(output)
        return outputs

    def _conditions(self, problem: Any) -> list[_Condition]:
        petab = _require("petab.v1")
        position = {pid: i for i, pid in enumerate(self.ids)}
        simulation_conditions = petab.get_simulation_conditions(self.measurements)
        mappings = petab.get_optimization_to_simulation_parameter_mapping(
            condition_df=problem.condition_df,
            measurement_df=self.measurements,
            parameter_df=problem.parameter_df,
            observable_df=problem.observable_df,
            model=problem.model,
            simulation_conditions=simulation_conditions,
            warn_unmapped=False,
        )
        model_parameters = {p.getId() for p in problem.model.sbml_model.getListOfParameters()}
        states = [c for c in problem.condition_df.columns if problem.model.is_state_variable(c)]
        conditions = []
        preeq_column = petab.PREEQUILIBRATION_CONDITION_ID
        for (_, simulation), mapping in zip(
            simulation_conditions.iterrows(), mappings, strict=True
        ):
            sim_id = str(simulation[petab.SIMULATION_CONDITION_ID])
            preeq_id = str(simulation.get(preeq_column, "") or "")
            preeq_map, sim_map = mapping[0], mapping[1]

            def assigned(par_map: dict[str, object], condition: str) -> tuple[list[str], _Values]:
                names = [
                    n
                    for n, v in par_map.items()
                    if n in model_parameters and not (isinstance(v, float) and math.isnan(v))
                ]
                where = f"condition '{condition}'"
                return names, _values([par_map[n] for n in names], position, where)

            def overrides(condition: str) -> tuple[list[str], _Values]:
                if not condition:
                    return [], _values([], position, "")
                row = problem.condition_df.loc[condition]
                names = [s for s in states if not pd.isna(row[s])]
                where = f"condition table, condition '{condition}'"
                return names, _values([row[s] for s in names], position, where)

            in_condition = self.measurements[petab.SIMULATION_CONDITION_ID] == sim_id
            if preeq_column in self.measurements:
                in_condition &= self.measurements[preeq_column].fillna("").astype(str) == preeq_id
            rows = np.flatnonzero(in_condition.to_numpy())
            row_times = self.measurements.loc[rows, petab.TIME].to_numpy(dtype=np.float64)
            times = np.unique(row_times)  # sorted; inf (steady state) last
            preeq_names, preeq_values = assigned(preeq_map, preeq_id)
            sim_names, sim_values = assigned(sim_map, sim_id)
            preeq_states, preeq_state_values = overrides(preeq_id)
            sim_states, sim_state_values = overrides(sim_id)
            conditions.append(
                _Condition(
                    sim_id=sim_id,
                    preeq_id=preeq_id,
                    preeq_names=preeq_names,
                    preeq_values=preeq_values,
                    sim_names=sim_names,
                    sim_values=sim_values,
                    preeq_states=[self._state_selection(s) for s in preeq_states],
                    preeq_state_values=preeq_state_values,
                    sim_states=[self._state_selection(s) for s in sim_states],
                    sim_state_values=sim_state_values,
                    times=times,
                    rows=rows,
                    time_index=np.searchsorted(times, row_times).astype(np.int64),
                )
            )
        return conditions

    def _state_selection(self, name: str) -> str:
        return self._entities.get(name, name)

    # ------------------------------------------------------------------ pickling

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_runner"] = None
        state["_functions"] = None
        state["_setters"] = {}
        return state

    def _ready(self) -> tuple[Any, dict[str, Callable[..., Any]]]:
        if self._runner is None:
            roadrunner = _require("roadrunner")
            runner = roadrunner.RoadRunner(self.sbml)
            runner.integrator.relative_tolerance = self.rtol
            runner.integrator.absolute_tolerance = self.atol
            runner.integrator.maximum_num_steps = 100_000
            runner.timeCourseSelections = ["time", *(self._entities[s] for s in self.selections)]
            self._runner = runner
        if self._functions is None:
            sympy = _require("sympy")
            sympify = _require("petab.v1.math").sympify_petab
            functions = {}
            for output in self.outputs:
                for key, text, symbols in (
                    ("y", output.formula, output.symbols),
                    ("s", output.noise, output.noise_symbols),
                ):
                    functions[f"{key}:{output.observable_id}"] = sympy.lambdify(
                        [sympy.Symbol(s) for s in symbols], sympify(text), modules="numpy"
                    )
            self._functions = functions
        return self._runner, self._functions

    # ------------------------------------------------------------------ simulation

    def theta(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """All parameter-table values (linear scale) for the free parameters ``x`` (scaled)."""
        theta = self.theta_nominal.copy()
        theta[self.free] = unscale(np.asarray(x, dtype=np.float64), self.x_scales)
        return theta

    def _steady_state(self, runner: Any, condition: str) -> None:
        """Integrate until every species' rate is negligible (refused after STEADY_MAX_TIME)."""
        horizon = 1.0
        while horizon <= STEADY_MAX_TIME:
            runner.simulate(0.0, horizon, 2)
            state = np.asarray(runner.model.getFloatingSpeciesAmounts())
            rates = np.asarray(runner.getRatesOfChange())[: len(state)]
            if np.all(np.abs(rates) <= STEADY_ATOL + STEADY_RTOL * np.abs(state)):
                return
            horizon *= 10.0
        msg = (
            f"condition '{condition}': no steady state within {STEADY_MAX_TIME:g} time units; "
            "measure at finite times, or drop the preequilibration"
        )
        raise SimulationError(msg)

    def _simulate_condition(
        self, runner: Any, condition: _Condition, theta: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """The selections at the condition's output times (rows: times)."""
        runner.resetAll()
        if condition.preeq_id:
            self._assign(runner, condition.preeq_names, condition.preeq_values.of(theta))
            runner.reset()
            self._assign(runner, condition.preeq_states, condition.preeq_state_values.of(theta))
            self._steady_state(runner, condition.preeq_id)
            self._assign(runner, condition.sim_names, condition.sim_values.of(theta))
        else:
            self._assign(runner, condition.sim_names, condition.sim_values.of(theta))
            runner.reset()
        self._assign(runner, condition.sim_states, condition.sim_state_values.of(theta))
        finite = condition.times[np.isfinite(condition.times)]
        out = np.empty((len(condition.times), len(self.selections)))
        if len(finite) and finite[-1] > 0.0:
            grid = np.union1d([0.0], finite)
            result = np.asarray(runner.simulate(times=grid))[:, 1:]
            out[: len(finite)] = result[np.searchsorted(grid, finite)]
        elif len(finite):  # only time 0: the initial state
            out[0] = self._current(runner)
        if len(finite) < len(condition.times):
            self._steady_state(runner, condition.sim_id)
            out[-1] = self._current(runner)
        return out

    def _assign(self, runner: Any, names: list[str], values: NDArray[np.float64]) -> None:
        """Set each named quantity: global parameters as one vector, the rest one by one."""
        key = tuple(names)
        if key not in self._setters:
            self._setters[key] = _Setter.of(runner, names)
        self._setters[key].set(runner, values)

    def _current(self, runner: Any) -> list[float]:
        return [float(runner[self._entities[s]]) for s in self.selections]

    def _entity_values(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], Any]:
        """Per measurement row, the simulated values of the selections; and theta."""
        runner, _ = self._ready()
        theta = self.theta(x)
        values = np.full((len(self.measurements), len(self.selections)), np.nan)
        for condition in self.conditions:
            try:
                simulated = self._simulate_condition(runner, condition, theta)
            except RuntimeError as exc:  # CVODE gave up (too many steps, error test failures)
                problem = " ".join(str(exc).split("; In ")[0].split()) or type(exc).__name__
                msg = f"condition '{condition.sim_id}': the integrator failed ({problem[:200]})"
                raise SimulationError(msg) from None
            values[condition.rows] = simulated[condition.time_index]
        return values, theta

    def _evaluate(
        self, output: _Output, key: str, symbols: list[str], values: Any, theta: Any
    ) -> NDArray[np.float64]:
        _, functions = self._ready()
        columns = {s: i for i, s in enumerate(self.selections)}
        position = {pid: i for i, pid in enumerate(self.ids)}
        args = []
        for symbol in symbols:
            if symbol in output.placeholders:
                args.append(output.placeholders[symbol].of(theta))
            elif symbol in columns:
                args.append(values[output.rows, columns[symbol]])
            elif symbol in position:
                args.append(np.full(len(output.rows), theta[position[symbol]]))
            else:
                msg = (
                    f"observable '{output.observable_id}': '{symbol}' is not a model entity, "
                    "a parameter or a placeholder of its measurements; fix the observable table"
                )
                raise InputError(msg)
        result = functions[f"{key}:{output.observable_id}"](*args)
        return np.broadcast_to(np.asarray(result, dtype=np.float64), (len(output.rows),))

    def predictions(
        self, x: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Simulated observables and noise parameters (sigma) of every measurement row."""
        values, theta = self._entity_values(x)
        simulated = np.full(len(self.measurements), np.nan)
        sigma = np.full(len(self.measurements), np.nan)
        for output in self.outputs:
            simulated[output.rows] = self._evaluate(output, "y", output.symbols, values, theta)
            sigma[output.rows] = self._evaluate(output, "s", output.noise_symbols, values, theta)
        return simulated, sigma

    def simulation_table(self, x: NDArray[np.float64]) -> pd.DataFrame:
        """The PEtab simulation table at ``x``: the measurement table, ``simulation`` for values."""
        petab = _require("petab.v1")
        simulated, _ = self.predictions(x)
        table = self.measurements.rename(columns={petab.MEASUREMENT: petab.SIMULATION})
        table[petab.SIMULATION] = simulated
        return table

    # ------------------------------------------------------------------ likelihood

    def nll(self, x: NDArray[np.float64]) -> float:
        """The negative log-likelihood at ``x`` (``inf`` where the simulation fails)."""
        self.n_evaluations += 1
        try:
            simulated, sigma = self.predictions(x)
        except SimulationError:
            return math.inf
        total = 0.0
        for output in self.outputs:
            total += _nll_rows(
                self.measured[output.rows],
                simulated[output.rows],
                sigma[output.rows],
                output.transform,
                output.distribution,
            )
        return total if math.isfinite(total) else math.inf

    def nll_and_gradient(self, x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        """The NLL and its forward-difference gradient (a step of FD_STEP on each scale)."""
        x = np.asarray(x, dtype=np.float64)
        value = self.nll(x)
        gradient = np.zeros_like(x)
        if not math.isfinite(value):
            return value, gradient
        for i in range(len(x)):
            step = FD_STEP if x[i] + FD_STEP <= self.ub[i] else -FD_STEP
            shifted = x.copy()
            shifted[i] += step
            gradient[i] = (self.nll(shifted) - value) / step
        return value, gradient


class SimulationError(InputError):
    """A simulation that cannot give the outputs (the integrator failed, no steady state)."""


def compare_simulations(ours: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Two PEtab simulation tables side by side, point by point.

    Rows are matched on observable, condition and time (the first row of each); points present in
    only one table keep NaN on the other side. Returns ``simulation``, ``simulation_ref``, the
    absolute difference ``abs_diff`` and ``rel_diff`` (relative to the reference, whose magnitude
    is floored at 1e-12).
    """
    keys = ["observableId", "simulationConditionId", "time"]
    joined = (
        ours.groupby(keys)["simulation"]
        .first()
        .to_frame()
        .join(reference.groupby(keys)["simulation"].first(), rsuffix="_ref", how="outer")
    )
    joined["abs_diff"] = (joined["simulation"] - joined["simulation_ref"]).abs()
    joined["rel_diff"] = joined["abs_diff"] / joined["simulation_ref"].abs().clip(lower=1e-12)
    return joined


def transformed_residual(
    m: NDArray[np.float64], y: NDArray[np.float64], transform: str
) -> NDArray[np.float64]:
    """Simulated ``y`` minus measured ``m`` on the observable's scale (lin, log or log10)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if transform == "lin":
            return np.asarray(y - m, dtype=np.float64)
        if transform == "log":
            return np.asarray(np.log(y) - np.log(m), dtype=np.float64)
        if transform == "log10":
            return np.asarray(np.log10(y) - np.log10(m), dtype=np.float64)
    msg = f"observable transformation '{transform}': give lin, log or log10"
    raise InputError(msg)


def _nll_rows(
    m: NDArray[np.float64],
    y: NDArray[np.float64],
    sigma: NDArray[np.float64],
    transform: str,
    distribution: str,
) -> float:
    """PEtab's negative log-likelihood summed over rows of one observable."""
    residual = transformed_residual(m, y, transform)
    with np.errstate(divide="ignore", invalid="ignore"):
        if transform == "lin":
            jacobian = np.zeros_like(m)
        elif transform == "log":
            jacobian = np.log(m)
        else:
            jacobian = np.log(m) + math.log(math.log(10.0))
        if distribution == "normal":
            terms = 0.5 * np.log(2.0 * np.pi * sigma**2) + jacobian + 0.5 * (residual / sigma) ** 2
        elif distribution == "laplace":
            terms = np.log(2.0 * sigma) + jacobian + np.abs(residual / sigma)
        else:
            msg = f"noise distribution '{distribution}': give normal or laplace"
            raise InputError(msg)
    keep = ~np.isnan(m)
    return float(np.sum(terms[keep]))


@dataclass
class _Setter:
    """How to set a list of named quantities on one roadrunner model.

    Setting global parameters one ``runner[name] = value`` at a time cost about as much as
    integrating a condition (0.23 ms for 78 values against 0.7 ms, docs/calibration.md);
    ``setGlobalParameterValues`` with their indices takes
    0.003 ms. Species and compartments keep ``runner[name] = value``.
    """

    indices: NDArray[np.int32]
    parameter_positions: NDArray[np.int64]
    other_names: list[str]
    other_positions: NDArray[np.int64]

    @classmethod
    def of(cls, runner: Any, names: Sequence[str]) -> _Setter:
        ids = {name: i for i, name in enumerate(runner.model.getGlobalParameterIds())}
        parameter = [i for i, name in enumerate(names) if name in ids]
        other = [i for i, name in enumerate(names) if name not in ids]
        return cls(
            np.array([ids[names[i]] for i in parameter], dtype=np.int32),
            np.array(parameter, dtype=np.int64),
            [names[i] for i in other],
            np.array(other, dtype=np.int64),
        )

    def set(self, runner: Any, values: NDArray[np.float64]) -> None:
        if len(self.indices):
            runner.model.setGlobalParameterValues(
                self.indices, np.ascontiguousarray(values[self.parameter_positions])
            )
        for name, value in zip(self.other_names, values[self.other_positions], strict=True):
            runner[name] = value
