"""Partial rank correlations of parameters with the seed's claims."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from senox._errors import InputError
from senox.model import CLAIMS, load_model, sample_cohort
from senox.model._sensitivity import claim_sensitivity, prcc


def _residual_prcc(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """PRCC the textbook way: correlate the residuals of rank regressions on the other inputs."""
    ranks = np.column_stack([stats.rankdata(c) for c in x.T])
    ry = stats.rankdata(y)
    out = []
    for j in range(x.shape[1]):
        others = np.column_stack([np.ones(len(y)), np.delete(ranks, j, axis=1)])
        res_x = ranks[:, j] - others @ np.linalg.lstsq(others, ranks[:, j], rcond=None)[0]
        res_y = ry - others @ np.linalg.lstsq(others, ry, rcond=None)[0]
        out.append(stats.pearsonr(res_x, res_y)[0])
    return np.array(out)


def test_prcc_equals_the_correlation_of_rank_regression_residuals() -> None:
    rng = np.random.default_rng(7)
    x = rng.lognormal(size=(250, 5))
    y = np.log(x[:, 0]) - 0.5 * x[:, 2] ** 2 + rng.normal(scale=0.5, size=250)
    r, p = prcc(x, y)
    np.testing.assert_allclose(r, _residual_prcc(x, y), atol=1e-10)
    assert r[0] > 0.5
    assert r[2] < -0.5
    assert p[0] < 1e-6
    assert p[2] < 1e-6


def test_prcc_of_a_binary_outcome_with_ties() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(size=(300, 4))
    y = (x[:, 1] + 0.2 * rng.normal(size=300) > 0.5).astype(float)
    r, _ = prcc(x, y)
    np.testing.assert_allclose(r, _residual_prcc(x, y), atol=1e-10)
    assert np.argmax(np.abs(r)) == 1


def test_prcc_of_a_constant_outcome_is_undefined() -> None:
    r, p = prcc(np.random.default_rng(0).uniform(size=(20, 3)), np.ones(20))
    assert np.isnan(r).all()
    assert np.isnan(p).all()


def _three_varying(n: int) -> np.ndarray:
    """Default parameters, with r_E, r_P and a_I drawn across their plausible ranges."""
    spec = load_model("redox_senescence")
    drawn = sample_cohort(spec, n, seed=2)
    matrix = np.tile(spec.parameter_values(), (n, 1))
    for name in ("r_E", "r_P", "a_I"):
        i = spec.parameter_names.index(name)
        matrix[:, i] = drawn[:, i]
    return matrix


def test_claim_sensitivity_table() -> None:
    table = claim_sensitivity(parameters=_three_varying(40))
    assert list(table["claim"].unique()) == [c.key for c in CLAIMS]
    assert set(table.columns) == {
        "claim",
        "share",
        "by_construction",
        "parameter",
        "prcc",
        "p_value",
        "q_value",
    }
    per_claim = table.groupby("claim").first()
    assert (per_claim["by_construction"] == (per_claim["share"] == 1.0)).all()
    tested = table.dropna(subset=["p_value"])
    assert tested["q_value"].between(0, 1).all()
    assert (tested["q_value"] >= tested["p_value"] - 1e-12).all()
    # within a claim rows are sorted by |PRCC|, strongest first
    for _, group in tested.groupby("claim"):
        strength = group["prcc"].abs().to_numpy()
        assert (np.diff(strength) <= 1e-12).all()


def test_only_parameters_that_vary_are_tested() -> None:
    table = claim_sensitivity(parameters=_three_varying(12))
    assert set(table["parameter"]) == {"r_E", "r_P", "a_I"}


def test_a_cohort_smaller_than_its_parameters_is_refused() -> None:
    with pytest.raises(InputError, match="need at least 79 patients"):
        claim_sensitivity(cohort=30)
