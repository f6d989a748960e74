"""The seed's claims (issue 5, section 3) hold on the model's default parameters."""

from __future__ import annotations

import numpy as np
import pytest

from senox.model import CLAIMS, SASP_DEPENDENT_IMMUNITY, evaluate_claims, load_model
from senox.model._claims import Claim, Runs

SPEC = load_model("redox_senescence")


@pytest.fixture(scope="module")
def default_runs() -> Runs:
    return Runs(SPEC, np.array([SPEC.parameter_values()]))


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.key for c in CLAIMS])
def test_claim_holds_on_default_parameters(claim: Claim, default_runs: Runs) -> None:
    assert bool(claim.holds(default_runs)[0]), f"claim {claim.key} fails: {claim.check}"


def test_claims_can_fail() -> None:
    # With immune recruitment switched off the p53 SASP cannot clear better (claim d fails).
    no_recruit = SPEC.parameter_values()
    for name in ["a_I"]:
        no_recruit[SPEC.parameter_names.index(name)] = 0.0
    runs = Runs(SPEC, np.array([no_recruit]))
    claim_d = next(c for c in CLAIMS if c.key == "d")
    assert not bool(claim_d.holds(runs)[0])


def test_regime_values_lie_in_their_ranges() -> None:
    ranges = {p.name: (p.low, p.high) for p in SPEC.parameters}
    for name, value in SASP_DEPENDENT_IMMUNITY.items():
        assert ranges[name][0] <= value <= ranges[name][1], name


def test_cohort_robustness_table() -> None:
    table = evaluate_claims(cohort=6, seed=1)
    assert list(table.claim) == [c.key for c in CLAIMS]
    assert table.holds_default.all()
    assert table.cohort_share.between(0, 1).all()
