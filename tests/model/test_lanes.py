"""DOPRI5 in SIMD lanes against one member at a time: the same numbers, bit for bit.

The lane engine (:mod:`senox.model._lanes`) and its LLVM right-hand side
(:func:`senox.model._compile.function_ir` with lanes) promise the scalar engine's arithmetic
exactly, so every check here is ``==`` (NaN where NaN), not a tolerance: the lane right-hand side on
random states (negative ones included, where powers give NaN), whole cohorts with doses, a
model that reads time, members that run out of steps, members handed to RODAS4, cohorts that
do not fill the lanes evenly, broadcast inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from llvmlite import ir

from senox.model._compile import LANES, compile_lanes, compile_model, function_ir
from senox.model._ode import OK, TOO_MANY_STEPS, solve
from senox.model._spec import Dose, load_model
from tests.model.test_ode import _evaluate, _model

# every operation the expression language has: + - * /, unary minus, fractional, integer and
# negative integer powers, exp, log, sqrt, time; and Hill terms on a dosed drug D
EVERYTHING = _model(
    [("T", 0.5), ("X", 1.0), ("D", 0.0)],
    [("r", 0.3), ("K", 2.0), ("kd", 1.5), ("EC", 0.4), ("n", 2.5), ("kx", 8.0), ("w", 0.2)],
    [
        ("grow", "r * T * (1 - T / K) * (1 + w * sqrt(time))", {"T": 1}),
        ("kill", "e_d * T ** 3 / (1 + T ** 2) + -w * X ** -2 * T", {"T": -1}),
        ("x_in", "kx * exp(-w * X) * (1 + log(1 + D))", {"X": 1}),
        ("x_out", "kx * X", {"X": -1}),
        ("clear", "kd * D", {"D": -1}),
    ],
    assignments=[("e_d", "D ** n / (EC ** n + D ** n)")],
)
DOSES = [Dose(0.0, "D", 1.0), Dose(3.0, "D", 2.0), Dose(3.0, "D", 0.5), Dose(9.5, "D", 1.0)]


def _cohort(spec, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.array(spec.parameter_values())
    return base * np.exp(rng.uniform(-0.5, 0.5, size=(n, base.size)))


def test_the_lane_right_hand_side_is_the_scalar_one_bit_for_bit():
    compiled = compile_model(EVERYTHING)
    lanes = compile_lanes(compiled)
    rng = np.random.default_rng(1)
    n = compiled.n_species
    states = rng.normal(0.5, 1.0, size=(LANES, n))  # some negative: NaN from the powers
    states[0] = 0.0
    times = rng.uniform(0.0, 10.0, LANES)
    extended = np.array([compiled.extend(p) for p in _cohort(EVERYTHING, LANES)])
    y = np.concatenate([states.T, times[None, :]]).ravel()  # lane-major, then the time row
    got = np.empty(n * LANES)
    _evaluate(lanes, 0.0, y, np.ascontiguousarray(extended.T).ravel(), got)
    want = np.empty((LANES, n))
    for lane in range(LANES):
        _evaluate(compiled.rhs, times[lane], states[lane], extended[lane], want[lane])
    assert np.isnan(want).any()
    assert np.isfinite(want).any()
    np.testing.assert_array_equal(got.reshape(n, LANES).T, want)


def test_the_lane_ir_is_vector_code_with_vector_intrinsics():
    compiled = compile_model(EVERYTHING)
    module = ir.Module()
    function_ir(module, compiled.source, "rhs", compiled.n_species, LANES, "f")
    ir_text = str(module)
    assert f"<{LANES} x double>" in ir_text
    for operation in ("pow", "exp", "log", "sqrt"):
        assert f"llvm.{operation}.v{LANES}f64" in ir_text


def _both(spec, **kwargs):
    lanes = solve(spec, **kwargs)
    scalar = solve(spec, lanes=False, **kwargs)
    return lanes, scalar


def _assert_same(a, b):
    np.testing.assert_array_equal(a.states, b.states)
    for field in ("status", "steps", "rejected", "evaluations", "jacobians", "fallback"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


@pytest.mark.parametrize("method", ["auto", "dopri5"])
@pytest.mark.parametrize("parallel", [True, False])
def test_a_cohort_through_the_lanes_is_the_scalar_cohort(method, parallel):
    # 75 members: lanes and blocks do not divide it evenly
    times = np.linspace(0.0, 14.0, 57)
    kwargs = {"times": times, "parameters": _cohort(EVERYTHING, 75), "doses": DOSES}
    lanes, scalar = _both(EVERYTHING, method=method, parallel=parallel, **kwargs)
    assert (lanes.status == OK).all()
    _assert_same(lanes, scalar)


def test_the_shipped_model_under_a_dose_schedule():
    spec = load_model("redox_senescence")
    rng = np.random.default_rng(2)
    low = np.array([p.low for p in spec.parameters])
    high = np.array([p.high for p in spec.parameters])
    cohort = low + rng.uniform(size=(40, low.size)) * (high - low)
    doses = [Dose(t, "C_geno", 1.0) for t in (0.0, 21.0, 42.0)]
    lanes, scalar = _both(
        spec, times=np.arange(91.0), parameters=cohort, doses=doses, method="auto"
    )
    _assert_same(lanes, scalar)


def test_members_that_fail_fail_alike():
    kwargs = {"times": np.linspace(0.0, 14.0, 29), "parameters": _cohort(EVERYTHING, 40, 5)}
    lanes, scalar = _both(EVERYTHING, method="dopri5", max_steps=150, doses=DOSES, **kwargs)
    assert (lanes.status == TOO_MANY_STEPS).any()
    assert (lanes.status == OK).any()
    assert np.isnan(lanes.states).any()
    _assert_same(lanes, scalar)
    # with auto, the same members are redone with RODAS4
    lanes, scalar = _both(EVERYTHING, method="auto", explicit_steps=150, doses=DOSES, **kwargs)
    assert lanes.fallback.any()
    assert not lanes.fallback.all()
    assert (lanes.status == OK).all()
    _assert_same(lanes, scalar)


def test_broadcast_parameters_with_initial_states_per_member():
    rng = np.random.default_rng(4)
    initial = rng.uniform(0.1, 2.0, size=(37, 3))
    lanes, scalar = _both(
        EVERYTHING, times=np.linspace(0.0, 5.0, 11), initial=initial, doses=DOSES, parallel=False
    )
    _assert_same(lanes, scalar)
    assert len({tuple(row) for row in lanes.states[:, -1]}) == 37


@pytest.mark.parametrize("times", [[0.0], [5.0, 10.0], [3.0, 3.0, 9.5]], ids=["t0", "late", "dose"])
def test_output_grids_that_start_late_repeat_or_sit_on_doses(times):
    kwargs = {"times": np.array(times), "parameters": _cohort(EVERYTHING, 40), "doses": DOSES}
    lanes, scalar = _both(EVERYTHING, **kwargs)
    _assert_same(lanes, scalar)
