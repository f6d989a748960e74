"""The proliferation mixture: when two components are supported, and when one population is."""

from __future__ import annotations

import numpy as np
import pytest

from senox.states._cycling import (
    MIN_BIC_GAIN,
    SPLIT_DRAWS,
    SPLIT_MAX_N,
    best_split,
    fit_mixture,
    split_test,
)

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "values",
    [
        RNG.lognormal(0, 0.5, 2000),
        RNG.lognormal(0, 1.0, 2000),
        RNG.gamma(2.0, 1.0, 2000),
        RNG.standard_t(3, 2000),
    ],
    ids=["lognormal-0.5", "lognormal-1", "gamma-2", "t-3"],
)
def test_a_skewed_single_population_is_not_split(values):
    mixture = fit_mixture(values)
    assert mixture.bic_gain >= MIN_BIC_GAIN  # BIC alone would take two components...
    assert mixture.separation < 2.0  # ...but they overlap
    assert not mixture.supported


def test_two_separated_populations_are_found():
    rng = np.random.default_rng(1)
    values = np.r_[rng.normal(0, 1, 100), rng.normal(5, 1, 100)]
    mixture = fit_mixture(values)
    assert mixture.supported
    assert mixture.means[1] == pytest.approx(5, abs=0.4)


def test_a_small_separated_minority_is_found():
    """20 of 500 (4 %): a weight floor of 5 % would have sent these data to the fallback."""
    rng = np.random.default_rng(2)
    values = np.r_[rng.normal(0, 1, 480), rng.normal(-6, 1.5, 20)]
    mixture = fit_mixture(values)
    assert mixture.supported
    assert min(mixture.weights) * mixture.n == pytest.approx(20, abs=1.5)


def test_a_handful_of_outliers_is_not_a_population():
    rng = np.random.default_rng(3)
    values = np.r_[rng.normal(0, 1, 495), rng.normal(8, 0.5, 5)]
    mixture = fit_mixture(values)
    assert min(mixture.weights) * mixture.n < 10
    assert not mixture.supported


def test_a_large_design_is_split_tested_on_a_subsample() -> None:
    rng = np.random.default_rng(11)
    n = 4 * SPLIT_MAX_N
    bimodal = np.concatenate([rng.normal(0, 1, n // 2), rng.normal(5, 1, n // 2)])
    split = split_test(bimodal, seed=0)
    (whole_eta2,), (whole_low,) = best_split(bimodal)
    assert split.eta2 == pytest.approx(float(whole_eta2))  # the cut is the whole data's
    assert split.n_low == whole_low
    assert split.p == pytest.approx(1 / (SPLIT_DRAWS + 1))  # no Gaussian sample splits as well
