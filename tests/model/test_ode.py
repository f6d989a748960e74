"""The ensemble ODE engine against closed forms, scipy, and its own contracts.

Closed forms: first-order elimination with repeated boluses (a superposition of decaying
exponentials), the linear chain A -> B -> 0, and a stiff linear pair (eigenvalues -1000 and
-0.5) on which the Runge-Kutta-Chebyshev method takes many stages per step. Contracts: members
are independent of how a cohort is chunked, inputs broadcast, a dose at an output time is in
that output, states stay non-negative, bad inputs raise one-line InputErrors naming the field.
"""

from __future__ import annotations

import itertools
import math

import numba
import numpy as np
import pytest

from senox._errors import InputError
from senox.model._compile import compile_model, infix, jacobian_source, rhs_source
from senox.model._ode import (
    OK,
    RKC_STAGES,
    TOO_MANY_STEPS,
    _call,
    _rkc_beta,
    _rkc_coefficients,
    simulate,
    solve,
)
from senox.model._spec import Dose, ModelSpec, parse_model

METHODS = ["dopri5", "rodas", "auto", "rkc"]


def _model(species, parameters, reactions, assignments=()) -> ModelSpec:
    return parse_model(
        {
            "model": {"name": "toy"},
            "species": [{"name": n, "initial": v} for n, v in species],
            "parameters": [
                {"name": n, "value": v, "unit": "1/day", "range": [v / 4, v * 4], "source": "toy"}
                for n, v in parameters
            ],
            "assignments": [{"name": n, "expression": e} for n, e in assignments],
            "reactions": [{"name": n, "rate": r, "change": c} for n, r, c in reactions],
        }
    )


ELIMINATION = _model([("C", 0.0)], [("k", 0.7)], [("clear", "k * C", {"C": -1})])
CHAIN = _model(
    [("A", 2.0), ("B", 0.5)],
    [("k1", 1.3), ("k2", 0.4)],
    [("ab", "k1 * A", {"A": -1, "B": 1}), ("b0", "k2 * B", {"B": -1})],
)
# A drug D (bolus, first-order clearance) acts on a logistic tumour T through Hill terms; ROS X
# relaxes fast to a drug-dependent level and kills tumour cells through another Hill term.
HILL = _model(
    [("T", 0.5), ("X", 1.0), ("D", 0.0)],
    [
        ("r", 0.3),
        ("K", 2.0),
        ("kd", 1.5),
        ("EC", 0.4),
        ("n", 2.5),
        ("kx", 8.0),
        ("a", 3.0),
        ("kk", 0.6),
        ("Kx", 1.8),
        ("m", 3.0),
    ],
    [
        ("grow", "r * T * (1 - T / K)", {"T": 1}),
        ("kill", "kk * pow(X, m) / (pow(Kx, m) + pow(X, m)) * T", {"T": -1}),
        ("x_in", "kx * (1 + a * e_d)", {"X": 1}),
        ("x_out", "kx * X", {"X": -1}),
        ("clear", "kd * D", {"D": -1}),
    ],
    assignments=[("e_d", "D ** n / (EC ** n + D ** n)")],
)
HILL_DOSES = [Dose(1.0, "D", 1.0), Dose(8.0, "D", 2.0), Dose(8.0, "D", 0.5), Dose(15.0, "D", 1.0)]


def _tight(method: str) -> tuple[float, float]:
    """Solver tolerances of the closed-form checks (whose own tolerances are the same for all).

    RKC is of order 2: its global error grows like ``tol^(2/3)`` (more steps, each with an
    error up to the tolerance), so it is asked for 10x less to land within the same bounds.
    """
    return (1e-11, 1e-15) if method == "rkc" else (1e-10, 1e-14)


def _hill_cohort(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.array(HILL.parameter_values())
    return base * np.exp(rng.uniform(-0.4, 0.4, size=(n, base.size)))


# --------------------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("method", METHODS)
def test_repeated_boluses_match_the_superposition_of_exponentials(method):
    doses = [Dose(0.0, "C", 1.0), Dose(1.5, "C", 2.0), Dose(3.0, "C", 0.5), Dose(6.25, "C", 1.0)]
    times = np.arange(0.0, 12.0 + 1e-12, 0.25)  # holds every dose time exactly
    k = 0.7
    exact = sum(d.amount * np.exp(-k * (times - d.time)) * (times >= d.time) for d in doses)
    rtol, atol = _tight(method)
    states = simulate(ELIMINATION, times=times, doses=doses, rtol=rtol, atol=atol, method=method)
    assert states.shape == (1, times.size, 1)
    np.testing.assert_allclose(states[0, :, 0], exact, rtol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_linear_chain_matches_its_closed_form_for_every_member(method):
    k = np.array([[1.3, 0.4], [0.5, 2.0], [3.0, 0.05], [0.9, 1.1]])
    times = np.linspace(0.0, 10.0, 41)
    rtol, atol = _tight(method)
    states = simulate(CHAIN, times=times, parameters=k, rtol=rtol, atol=atol, method=method)
    a0, b0 = 2.0, 0.5
    for m, (k1, k2) in enumerate(k):
        a = a0 * np.exp(-k1 * times)
        b = a0 * k1 / (k2 - k1) * (np.exp(-k1 * times) - np.exp(-k2 * times)) + b0 * np.exp(
            -k2 * times
        )
        np.testing.assert_allclose(states[m, :, 0], a, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(states[m, :, 1], b, rtol=1e-6, atol=1e-12)


def test_a_model_that_reads_time_is_integrated_exactly():
    # dX/dt = k * time  =>  X = k t^2 / 2 (the Rosenbrock method needs df/dt here)
    spec = _model([("X", 0.0)], [("k", 0.5)], [("grow", "k * time", {"X": 1})])
    assert not compile_model(spec).autonomous
    assert compile_model(HILL).autonomous
    times = np.linspace(0.0, 4.0, 9)
    for method in METHODS:
        states = simulate(spec, times=times, rtol=1e-10, atol=1e-14, method=method)
        np.testing.assert_allclose(states[0, :, 0], 0.25 * times**2, rtol=1e-8, atol=1e-14)


# ------------------------------------------------------------------------------------ contracts


@pytest.mark.parametrize("method", ["auto", "rkc"])
def test_members_do_not_depend_on_the_chunking(method):
    cohort = _hill_cohort(13)
    times = np.linspace(0.0, 30.0, 61)
    kwargs = {"times": times, "doses": HILL_DOSES, "method": method}
    whole = simulate(HILL, parameters=cohort, **kwargs)
    chunks = np.concatenate(
        [simulate(HILL, parameters=cohort[a:b], **kwargs) for a, b in ((0, 5), (5, 6), (6, 13))]
    )
    serial = simulate(HILL, parameters=cohort, parallel=False, **kwargs)
    reversed_ = simulate(HILL, parameters=cohort[::-1], **kwargs)[::-1]
    np.testing.assert_array_equal(whole, chunks)
    np.testing.assert_array_equal(whole, serial)
    np.testing.assert_array_equal(whole, reversed_)


def test_parameters_and_initial_values_broadcast():
    times = np.linspace(0.0, 5.0, 6)
    base = np.array(CHAIN.parameter_values())
    default = simulate(CHAIN, times=times)
    for given in (base, base[None, :], np.tile(base, (3, 1))):
        states = simulate(CHAIN, times=times, parameters=given)
        assert states.shape[1:] == (6, 2)
        for member in states:
            np.testing.assert_array_equal(member, default[0])
    starts = np.array([[2.0, 0.5], [1.0, 0.0], [0.0, 3.0]])
    states = simulate(CHAIN, times=times, initial=starts)
    assert states.shape == (3, 6, 2)
    np.testing.assert_array_equal(states[0], default[0])
    np.testing.assert_array_equal(states[:, 0, :], starts)
    # one row of each broadcasts against the other's rows
    both = simulate(CHAIN, times=times, parameters=np.tile(base, (3, 1)), initial=starts)
    np.testing.assert_array_equal(both, states)


def test_a_dose_at_an_output_time_is_in_that_output():
    times = np.array([0.0, 1.0, 2.0, 2.5])
    states = simulate(ELIMINATION, times=times, doses=[Dose(2.0, "C", 3.0)], rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(states[0, :2, 0], [0.0, 0.0])
    assert states[0, 2, 0] == 3.0
    np.testing.assert_allclose(states[0, 3, 0], 3.0 * math.exp(-0.35), rtol=1e-9)
    # a dose after the last output changes nothing; a dose at time 0 is in the first output
    late = simulate(ELIMINATION, times=times, doses=[Dose(9.0, "C", 3.0), Dose(0.0, "C", 1.0)])
    assert late[0, 0, 0] == 1.0
    assert late[0, -1, 0] == pytest.approx(math.exp(-0.7 * 2.5), rel=1e-5)


def test_states_stay_non_negative():
    # a drug cleared fast (kd = 6/day) decays to far below atol over a year, loose tolerances
    spec = _model(
        [("T", 0.5), ("D", 0.0)],
        [("r", 0.2), ("kd", 6.0), ("EC", 0.3), ("n", 2.3), ("kk", 0.9)],
        [
            ("grow", "r * T * (1 - T)", {"T": 1}),
            ("kill", "kk * pow(D, n) / (pow(EC, n) + pow(D, n)) * T", {"T": -1}),
            ("clear", "kd * D", {"D": -1}),
        ],
    )
    rng = np.random.default_rng(0)
    cohort = np.array(spec.parameter_values()) * np.exp(rng.uniform(-1, 1, size=(40, 5)))
    doses = [Dose(t, "D", 1.0) for t in (0.0, 21.0, 42.0)]
    times = np.linspace(0.0, 365.0, 731)
    for method in METHODS:
        sol = solve(
            spec, times=times, parameters=cohort, doses=doses, rtol=1e-3, atol=1e-9, method=method
        )
        assert (sol.status == OK).all()
        assert np.isfinite(sol.states).all()
        assert sol.states.min() >= 0.0
    hill = simulate(
        HILL,
        times=np.linspace(0, 60, 121),
        parameters=_hill_cohort(30),
        doses=HILL_DOSES,
        rtol=1e-3,
    )
    assert hill.min() >= 0.0


def _scipy_reference(spec: ModelSpec, parameters, times, doses):
    from scipy.integrate import solve_ivp

    compiled = compile_model(spec)
    p = compiled.extend(parameters)

    def f(t, y):
        out = np.empty_like(y)
        compiled.py_rhs(t, y, p, out)
        return out

    index = {s: i for i, s in enumerate(spec.species_names)}
    y = np.array(spec.initial_values())
    result = np.empty((times.size, y.size))
    edges = sorted({0.0, *(d.time for d in doses if d.time <= times[-1]), float(times[-1])})
    for a, b in itertools.pairwise(edges):
        for d in doses:
            if d.time == a:
                y[index[d.species]] += d.amount
        inside = (times >= a) & (times < b)
        sol = solve_ivp(
            f, (a, b), y, method="LSODA", t_eval=np.r_[times[inside], b], rtol=1e-10, atol=1e-13
        )
        assert sol.success
        result[inside] = sol.y[:, :-1].T
        y = sol.y[:, -1].copy()
    result[times == times[-1]] = y
    return result


@pytest.mark.parametrize("method", METHODS)
def test_a_nonlinear_model_agrees_with_scipy_lsoda(method):
    times = np.linspace(0.0, 30.0, 121)
    cohort = _hill_cohort(3)
    states = simulate(
        HILL, times=times, parameters=cohort, doses=HILL_DOSES, rtol=1e-9, atol=1e-13, method=method
    )
    for m in range(3):
        reference = _scipy_reference(HILL, cohort[m], times, HILL_DOSES)
        np.testing.assert_allclose(states[m], reference, rtol=1e-5, atol=1e-9)


def test_a_stiff_member_is_handed_to_the_rosenbrock_method():
    # X relaxes to a Hill-shaped target 1e5 times faster than anything else moves
    spec = _model(
        [("X", 0.0), ("Y", 1.0)],
        [("kf", 1e5), ("ky", 0.1)],
        [
            ("x_in", "kf * Y ** 2 / (1 + Y ** 2)", {"X": 1}),
            ("x_out", "kf * X", {"X": -1}),
            ("y_out", "ky * Y", {"Y": -1}),
        ],
    )
    times = np.linspace(0.0, 50.0, 11)
    auto = solve(spec, times=times, method="auto", explicit_steps=2_000)
    rodas = solve(spec, times=times, method="rodas")
    assert (auto.status == OK).all()
    assert auto.jacobians[0] > 0
    assert auto.fallback[0]  # the Rosenbrock method ran
    np.testing.assert_array_equal(auto.states, rodas.states)
    y = np.exp(-0.1 * times)
    np.testing.assert_allclose(auto.states[0, :, 1], y, rtol=1e-5)
    # quasi-steady state X = Y^2 / (1 + Y^2), up to O(ky / kf) and the local tolerance
    np.testing.assert_allclose(auto.states[0, 1:, 0], (y**2 / (1 + y**2))[1:], rtol=1e-3)
    explicit = solve(spec, times=times, method="dopri5", max_steps=500)
    assert explicit.status[0] == TOO_MANY_STEPS
    assert not explicit.fallback[0]
    assert np.isnan(explicit.states[0, -1]).all()
    # RKC at a loose tolerance: steps cut to what RKC_STAGES stages hold (h * 1e5 at most
    # beta ~ 26,000), and still the quasi-steady state
    chebyshev = solve(spec, times=times, method="rkc", rtol=1e-3, atol=1e-6)
    assert chebyshev.status[0] == OK
    assert not chebyshev.fallback[0]
    assert chebyshev.steps[0] >= 50.0 * 1e5 / _rkc_beta(RKC_STAGES)
    assert chebyshev.evaluations[0] / chebyshev.steps[0] > 0.7 * RKC_STAGES
    np.testing.assert_allclose(chebyshev.states[0, :, 1], y, rtol=1e-3)
    np.testing.assert_allclose(chebyshev.states[0, 1:, 0], (y**2 / (1 + y**2))[1:], rtol=1e-3)


# ----------------------------------------------------------------------------- Chebyshev (RKC)


def _chebyshev_step(s: int, z: complex) -> complex:
    """RKC's stability polynomial at ``z``: one step of ``y' = lambda y``, ``h lambda = z``."""
    co = np.empty((5, s + 1))
    _rkc_coefficients(s, co)
    mu, nu, mu_t, gamma_t = co[0], co[1], co[2], co[3]
    before, now = 1.0, 1.0 + mu_t[1] * z
    for j in range(2, s + 1):
        before, now = (
            now,
            (1 - mu[j] - nu[j]) + mu[j] * now + nu[j] * before + mu_t[j] * z * now + gamma_t[j] * z,
        )
    return complex(now)


@pytest.mark.parametrize("s", [2, 3, 7, 40, RKC_STAGES])
def test_the_chebyshev_coefficients_give_order_2_and_the_stability_interval(s):
    co = np.empty((5, s + 1))
    _rkc_coefficients(s, co)
    assert co[4, s] == pytest.approx(1.0, abs=1e-12)  # the last stage lands on t + h
    beta = _rkc_beta(s)
    assert 0.49 * s**2 <= beta <= 0.66 * s**2
    # order 2: R(z) = 1 + z + z^2/2 + O(z^3)
    for z in (1e-2, -1e-2):
        assert abs(_chebyshev_step(s, z) - (1 + z + z * z / 2)) < 0.2 * abs(z) ** 3
    # damped: |R| <= 1 on [-beta, 0], strictly inside away from 0
    inside = np.array([_chebyshev_step(s, z) for z in np.linspace(-beta, -1e-3 * beta, 400)])
    assert np.abs(inside).max() <= 1.0 + 1e-9
    assert abs(_chebyshev_step(s, -0.5 * beta)) < 0.99


# X relaxes to Y at 1000/day, Y decays at 0.5/day: eigenvalues -1000 and -0.5
STIFF = _model(
    [("X", 2.0), ("Y", 1.0)],
    [("kf", 1000.0), ("ky", 0.5)],
    [
        ("x_in", "kf * Y", {"X": 1}),
        ("x_out", "kf * X", {"X": -1}),
        ("y_out", "ky * Y", {"Y": -1}),
    ],
)


def test_chebyshev_takes_many_stages_on_a_stiff_linear_problem_and_stays_exact():
    times = np.linspace(0.0, 10.0, 41)
    kf, ky, x0, y0 = 1000.0, 0.5, 2.0, 1.0
    y = y0 * np.exp(-ky * times)
    x = y0 * kf / (kf - ky) * (np.exp(-ky * times) - np.exp(-kf * times)) + x0 * np.exp(-kf * times)
    # order 2 with a bound on each step's error: the global error grows like rtol^(2/3)
    for rtol in (1e-3, 1e-6, 1e-9):
        sol = solve(STIFF, times=times, rtol=rtol, atol=1e-3 * rtol, method="rkc")
        assert sol.status[0] == OK
        bound = 2.0 * rtol ** (2.0 / 3.0)
        np.testing.assert_allclose(sol.states[0, :, 0], x, rtol=bound, atol=1e-12)
        np.testing.assert_allclose(sol.states[0, :, 1], y, rtol=bound, atol=1e-12)
    loose = solve(STIFF, times=times, rtol=1e-3, atol=1e-6, method="rkc")
    assert loose.evaluations[0] / loose.steps[0] > 10  # many stages per step
    explicit = solve(STIFF, times=times, rtol=1e-3, atol=1e-6, method="dopri5")
    assert explicit.evaluations[0] > 10 * loose.evaluations[0]  # DOPRI5: stability-bound


# -------------------------------------------------------------------------------- input errors


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"times": [[0.0, 1.0]]}, "times"),
        ({"times": [0.0, -1.0]}, "times"),
        ({"times": [-1.0, 1.0]}, "times"),
        ({"times": [2.0, 1.0]}, "times"),
        ({"times": [0.0, np.nan]}, "times"),
        ({"times": []}, "times"),
        ({"parameters": [1.0, 2.0, 3.0]}, "parameters"),
        ({"parameters": [[1.0, np.inf]]}, "parameters"),
        ({"parameters": [[1.0, 0.4]] * 2, "initial": [[1.0, 0.0]] * 3}, "parameters"),
        ({"initial": [1.0, -0.5]}, "initial"),
        ({"initial": [[1.0, 0.0, 2.0]]}, "initial"),
        ({"doses": [Dose(1.0, "Z", 1.0)]}, "doses[0]"),
        ({"doses": [Dose(1.0, "A", 1.0), Dose(-1.0, "A", 1.0)]}, "doses[1]"),
        ({"doses": [Dose(1.0, "A", math.nan)]}, "doses[0]"),
        ({"rtol": -1e-6}, "rtol"),
        ({"atol": 0.0}, "atol"),
        ({"method": "euler"}, "method"),
        ({"max_steps": 0}, "max_steps"),
    ],
)
def test_bad_inputs_raise_one_line_naming_the_field(kwargs, field):
    arguments = {"times": [0.0, 1.0], **kwargs}
    with pytest.raises(InputError) as info:
        simulate(CHAIN, **arguments)
    message = str(info.value)
    assert message.startswith(field)
    assert "\n" not in message


# ----------------------------------------------------------------------------- generated code


def test_generated_code_is_readable_and_the_jacobian_is_exact():
    # EC ** n depends on parameters only: computed once per member, read as h_0
    assert "a_e_d = _pow(s_D, p_n) / (h_0 + _pow(s_D, p_n))" in rhs_source(HILL)
    assert "J[" in jacobian_source(HILL)
    compiled = compile_model(HILL)
    assert compile_model(HILL) is compiled  # cached by content
    rng = np.random.default_rng(5)
    p = compiled.extend(HILL.parameter_values())
    for _ in range(3):
        y = rng.uniform(0.1, 2.0, size=3)
        jac = np.empty(9)
        compiled.py_jac(0.0, y, p, jac)
        numeric = np.empty((3, 3))
        for j in range(3):
            h = 1e-6
            up, down, f_up, f_down = y.copy(), y.copy(), np.empty(3), np.empty(3)
            up[j] += h
            down[j] -= h
            compiled.py_rhs(0.0, up, p, f_up)
            compiled.py_rhs(0.0, down, p, f_down)
            numeric[:, j] = (f_up - f_down) / (2 * h)
        np.testing.assert_allclose(jac.reshape(3, 3), numeric, rtol=1e-6, atol=1e-8)


def test_a_negative_integer_power_of_zero_is_infinite_not_an_error():
    # numba's own inversion of an integer power raises ZeroDivisionError, which a C callback
    # swallows, leaving the derivatives unwritten; the generator divides instead
    spec = _model([("X", 0.0)], [("k", 1.0)], [("r", "k * X ** -2 + k * pow(X, -1)", {"X": 1})])
    assert "1.0 / s_X ** 2" in rhs_source(spec)
    assert "1.0 / s_X ** 1" in rhs_source(spec)
    compiled = compile_model(spec)
    dydt = np.full(1, 7.0)
    _evaluate(compiled.rhs, 0.0, np.zeros(1), compiled.extend([1.0]), dydt)
    assert dydt[0] == np.inf


@numba.njit
def _evaluate(rhs, t, y, p, out):  # pragma: no cover (compiled)
    _call(rhs, t, y, p, out)


def test_infix_is_unambiguous():
    assert infix("-a ** 2") == "-(a^2)"
    assert infix("a / (b * c)") == "a / (b * c)"
    assert infix("a - (b - c)") == "a - (b - c)"
    assert infix("pow(a, -b) + log(x) * exp(y) / sqrt(z)") == "a^(-b) + ln(x) * exp(y) / sqrt(z)"


def test_the_sparse_lu_solves_with_row_pivoting():
    from senox.model._ode import _compress, _lu, _sparse_solve

    rng = np.random.default_rng(0)
    for n in (1, 3, 20):
        a = rng.normal(size=(n, n)) * (rng.random((n, n)) < 0.3) + 0.1 * np.eye(n)
        a[0, 0] = 0.0 if n > 1 else a[0, 0]  # forces a row exchange
        b = rng.normal(size=n)
        factors, piv = a.copy(), np.empty(n, dtype=np.int64)
        assert _lu(factors, piv)
        ptr, idx, val = np.empty(2 * n + 2, np.int64), np.empty(n * n, np.int64), np.empty(n * n)
        _compress(factors, ptr, idx, val)
        x = b.copy()
        _sparse_solve(factors, piv, ptr, idx, val, x)
        np.testing.assert_allclose(a @ x, b, atol=1e-12)
    assert not _lu(np.zeros((2, 2)), np.empty(2, dtype=np.int64))
