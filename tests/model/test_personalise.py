"""Measured program scores narrow the virtual cohort's parameter ranges (senox.model)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from senox._errors import InputError
from senox.model import (
    load_model,
    load_strategies,
    measured_features,
    parameter_ranges,
    rank_strategies,
    sample_cohort,
    simulate_strategies,
)
from senox.model._personalise import LINKS, WINDOW, ranges_of

SPEC = load_model("redox_senescence")


def _features(**z: float) -> pd.DataFrame:
    among = {link.feature: link.among for link in LINKS if link.parameters != ("r_E",)}
    return pd.DataFrame(
        {"feature": list(z), "among": [among[f] for f in z], "z": list(z.values()), "n": 10}
    )


def test_every_link_names_model_parameters_and_says_why() -> None:
    for link in LINKS:
        assert set(link.parameters) <= set(SPEC.parameter_names)
        assert link.sign in (-1, 1)
        assert len(link.rationale) > 30


def test_features_are_treated_medians_and_sasp_reads_senescent_cells() -> None:
    zscores = pd.DataFrame(
        {
            "proliferation": [0.0, 0.0] + [2.0] * 5 + [1.0] * 5,
            "sasp": [9.0, 9.0] + [0.0] * 5 + [2.0] * 5,
        }
    )
    treated = np.array([False, False] + [True] * 10)
    state = np.array(["proliferating"] * 7 + ["senescent_p53"] * 5)
    features = measured_features(zscores, treated, state)
    z = dict(zip(features.feature, features.z, strict=True))
    among = dict(zip(features.feature, features.among, strict=True))
    assert z["proliferation"] == 1.5  # median of the 10 treated
    assert z["sasp"] == 2.0  # the 5 treated senescent ones (all treated: 1)
    assert among["sasp"] == "senescent"
    few = measured_features(zscores, treated, np.array(["proliferating"] * 11 + ["senescent_p53"]))
    assert "sasp" not in set(few.feature)  # one senescent cell: the link is not used


def _window(**z: float) -> dict[str, tuple[float, float]]:
    return dict(ranges_of(parameter_ranges(_features(**z), SPEC)))


def test_windows_sit_where_the_data_put_them_inside_the_plausible_range() -> None:
    neutral, high = _window(proliferation=0.0)["r_P"], _window(proliferation=4.0)["r_P"]
    p = next(p for p in SPEC.parameters if p.name == "r_P")
    mid = np.exp((np.log(p.low) + np.log(p.high)) / 2)
    assert neutral[0] < mid < neutral[1]
    assert high[1] == pytest.approx(p.high)
    assert high[0] > neutral[0]
    assert np.log(high[1] / high[0]) == pytest.approx(2 * WINDOW * np.log(p.high / p.low))
    k_sd = next(p for p in SPEC.parameters if p.name == "k_sd")
    # sign -1: more anti-apoptotic genes, slower intrinsic death of senescent cells
    assert _window(anti_apoptotic=4.0)["k_sd"][0] == pytest.approx(k_sd.low)


def test_a_range_changes_only_its_own_parameter_draws() -> None:
    ranges = _window(proliferation=3.0)
    plain, narrowed = sample_cohort(SPEC, 30, 5), sample_cohort(SPEC, 30, 5, ranges)
    i = SPEC.parameter_names.index("r_P")
    others = [j for j in range(len(SPEC.parameters)) if j != i]
    np.testing.assert_array_equal(plain[:, others], narrowed[:, others])
    low, high = ranges["r_P"]
    assert ((narrowed[:, i] >= low) & (narrowed[:, i] <= high)).all()
    with pytest.raises(InputError, match="no such parameter"):
        sample_cohort(SPEC, 3, 0, {"k_magic": (1.0, 2.0)})
    with pytest.raises(InputError, match="low ≤ high"):
        sample_cohort(SPEC, 3, 0, {"r_P": (0.1, 0.01)})


def test_faster_measured_proliferation_brings_relapse_earlier() -> None:
    chemo = load_strategies(["chemo"])

    def rmtr(z: float) -> float:
        result = simulate_strategies(chemo, cohort=40, seed=2, ranges=_window(proliferation=z))
        ranked = rank_strategies(result.summary, days=result.days)
        return float(ranked["restricted_mean_time_to_relapse_days"].iloc[0])

    assert rmtr(3.0) < rmtr(0.0) < rmtr(-3.0)
