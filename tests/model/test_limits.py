"""Limits checked before work: the memory estimate is honest, requests beyond the budget and
malformed ones are refused in one line, and a failed integration is never an outcome."""

from __future__ import annotations

import tracemalloc
from dataclasses import replace
from importlib.resources import files

import numpy as np
import pytest

from senox._errors import InputError
from senox.io import tsv_text
from senox.model import _limits as limits
from senox.model import (
    check_simulation_size,
    load_model,
    load_strategies,
    load_strategy,
    parse_duration,
    run_sbml,
    simulate_ssa,
    simulate_strategies,
)
from senox.model._spec import parse_model
from senox.model._strategy import DoseRule, Strategy


@pytest.fixture
def budget_of_1_gib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "memory_budget", lambda: 2**30)


def test_the_memory_budget_is_a_share_of_physical_memory() -> None:
    assert 0 < limits.memory_budget() <= limits.ASSUMED_MEMORY * 1024


def test_the_estimate_bounds_the_measured_peak() -> None:
    strategies = load_strategies(["chemo", "untreated", "chemo+senolytic"])
    simulate_strategies(strategies[1:2], days=10)  # compile outside the measurement
    tracemalloc.start()
    try:
        result = simulate_strategies(strategies, cohort=400, days=365)
        text = tsv_text(result.trajectories)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert text
    estimate = limits.simulation_bytes(3, 400, 365, 1.0, "redox_senescence")
    assert 0.5 * estimate < peak < 1.1 * estimate


@pytest.mark.usefixtures("budget_of_1_gib")
def test_senox_run_can_check_its_request_before_reading_data() -> None:
    check_simulation_size(strategies=12, cohort=50, days=365, fix="lower --cohort or --days")
    with pytest.raises(InputError) as info:
        check_simulation_size(
            strategies=12, cohort=10_000_000, days=365, fix="lower --cohort or --days"
        )
    assert str(info.value) == (
        "simulating 12 strategies × 10,000,000 patients × 366 time points needs about "
        "4.22e+04 GiB of memory, more than the 1 GiB senox allows itself here (50% of this "
        "machine's memory); lower --cohort or --days"
    )


@pytest.mark.parametrize(
    ("request_args", "message"),
    [
        ({"days": float("nan")}, "--days nan: the horizon must be a finite number of days > 0"),
        ({"days": 0}, "--days 0: the horizon must be a finite number of days > 0"),
        ({"output_step": float("inf")}, "--step inf: the days between trajectory rows must be"),
        ({"output_step": -1}, "--step -1: the days between trajectory rows must be"),
        ({"seed": -3}, "--seed -3: give a seed ≥ 0"),
        ({"cohort": -1}, "--cohort -1: give a number of virtual patients ≥ 0"),
        ({"days": 1e300, "output_step": 1e-300}, "× inf time points needs about inf GiB"),
    ],
)
def test_malformed_requests_are_refused(request_args: dict[str, float], message: str) -> None:
    arguments = {"strategies": 1, "cohort": 0, "days": 365.0, **request_args}
    with pytest.raises(InputError) as info:
        check_simulation_size(**arguments)  # type: ignore[arg-type]
    assert message in str(info.value)


def _rule(count: int, amount: float = 1.0) -> DoseRule:
    return DoseRule("x", "model action", ("genotoxic",), 0.0, 0.01, count, amount)


def test_strategies_built_in_python_are_checked_too() -> None:
    many = Strategy("many", "", "", (_rule(20_000),))
    with pytest.raises(InputError, match=r"^strategy 'many': 20,000 dose events, more than"):
        simulate_strategies([many])
    infinite = Strategy("inf", "", "", (_rule(1, amount=float("inf")),))
    with pytest.raises(InputError, match=r"^strategy 'inf': doses\[0\]: amount inf must be"):
        simulate_strategies([infinite])


def test_a_model_without_the_outcome_species_is_refused() -> None:
    spec = load_model("redox_senescence")
    toy = replace(spec, species=spec.species[:3], source="toy.toml")
    with pytest.raises(InputError, match=r"^toy\.toml: model 'redox_senescence' lacks species"):
        simulate_strategies([load_strategy("untreated")], model=toy)


def _broken_model(rate: str):
    import tomllib

    text = (files("senox.model") / "data" / "redox_senescence.toml").read_text("utf-8")
    extra = f'\n[[reactions]]\nname = "broken"\nrate = "{rate}"\nchange = {{ P = 1 }}\n'
    return parse_model(tomllib.loads(text + extra), "broken.toml")


def test_a_failed_patient_is_never_an_outcome() -> None:
    spec = _broken_model("P / (E - E)")
    with pytest.raises(InputError) as info:
        simulate_strategies([load_strategy("untreated")], model=spec, days=30)
    assert str(info.value) == (
        "strategy 'untreated' on model 'broken.toml': the integration of patient 0 failed before "
        "day 1: the step size collapsed, as when a rate divides by zero or an exp overflows; "
        "check the model's rates and the dose amounts"
    )


def test_running_out_of_steps_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import senox.model._simulate as simulate_module
    from senox.model._ode import solve

    monkeypatch.setattr(
        simulate_module, "solve", lambda *a, **k: solve(*a, **k, max_steps=50, explicit_steps=50)
    )
    with pytest.raises(InputError, match="it ran out of integration steps; shorten --days"):
        simulate_strategies([load_strategy("chemo")], days=365)


def test_sbml_runs_are_bounded_and_failures_named(budget_of_1_gib: None) -> None:
    with pytest.raises(InputError, match="at 100,000,000 time points needs about"):
        run_sbml("passos2010", points=100_000_000)
    with pytest.raises(InputError, match="--points 1: give at least 2"):
        run_sbml("passos2010", points=1)
    with pytest.raises(InputError, match="recording 1,000,000 cells × 1,000 times"):
        simulate_ssa("passos2010", n_cells=1_000_000, times=np.arange(1000.0), seed=0)
    with pytest.raises(InputError, match="positive, finite number"):
        parse_duration("1" + "0" * 400 + "d")


def test_doses_are_events_the_engine_can_step_through() -> None:
    """The largest strategy allowed, at the largest amount, integrates."""
    daily = Strategy("daily", "", "", (replace(_rule(limits.MAX_DOSES), every=1.0),))
    assert daily.dose_count() == limits.MAX_DOSES
    heavy = Strategy("heavy", "", "", (_rule(1, amount=limits.MAX_DOSE_AMOUNT),))
    result = simulate_strategies([daily, heavy], days=limits.MAX_DOSES)
    assert np.isfinite(result.summary["min_burden"]).all()
