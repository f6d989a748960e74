"""The generated code's ``x ** y`` (senox.model._pow) against the C library's ``pow``."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from senox.model._pow import fast_pow

ULP = 2.0**-52


@numba.njit(error_model="numpy")
def _powers(x, y):  # pragma: no cover (compiled)
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = fast_pow(x[i], y[i])
    return out


def test_within_a_few_units_in_the_last_place_of_the_exact_power():
    rng = np.random.default_rng(0)
    x = np.exp(rng.uniform(-690.0, 690.0, 200_000))
    y = rng.uniform(-1.0, 1.0, x.size) * np.minimum(8.0, 700.0 / np.abs(np.log(x)))
    # Hill-like arguments: concentrations around 1, exponents 0.5-6
    x = np.concatenate([x, rng.uniform(1e-4, 50.0, 100_000)])
    y = np.concatenate([y, rng.uniform(0.5, 6.0, 100_000)])
    got = _powers(x, y)
    exact = np.array([math.pow(a, b) for a, b in zip(x, y, strict=True)])  # to 1 ulp
    relative = np.abs(got / exact - 1.0)
    bound = (2.0 + 2.0 * np.abs(y * np.log(x))) * ULP  # the module's stated bound
    assert (relative <= bound).all(), relative[relative > bound][:5]
    hill = slice(200_000, None)
    assert np.median(relative[hill]) <= 2.0 * ULP
    assert relative[hill].max() < 1e-14


def test_exact_where_the_power_is_exact():
    x = np.array([1.0, 1.0, 4.0, 2.0, 0.5, 7.25])
    y = np.array([3.7, -0.2, 0.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(_powers(x, y), [1.0, 1.0, 1.0, 2.0, 1.0, 7.25])


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (0.0, 2.5),
        (0.0, -2.5),
        (-0.0, 0.5),
        (-2.0, 3.0),  # negative base, integer exponent: real
        (-2.0, 0.5),  # negative base, fractional exponent: NaN
        (math.inf, 0.5),
        (math.inf, -0.5),
        (math.nan, 1.5),
        (1.5, math.nan),
        (1.0, math.nan),
        (1.0, math.inf),
        (2.0, math.inf),
        (0.5, math.inf),
        (1e-310, 0.5),  # subnormal base
        (10.0, 400.0),  # overflow
        (10.0, -400.0),  # underflow to a subnormal
        (10.0, -330.0),
    ],
)
def test_special_cases_are_the_c_library_s(x, y):
    with np.errstate(all="ignore"):
        want = np.power(np.float64(x), np.float64(y))
    got = _powers(np.array([x]), np.array([y]))[0]
    np.testing.assert_array_equal(got, want)
