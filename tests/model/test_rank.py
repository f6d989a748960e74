"""Benefit against harm: Pareto tiers, ties, bootstrap stability (senox.model.rank_strategies)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from senox.model import dose_equivalents, load_strategies, pareto_tiers, rank_strategies


def _summary(outcomes: dict[str, tuple[list[float], float, float]]) -> pd.DataFrame:
    rows = []
    for name, (times, toxicity, escaped) in outcomes.items():
        for patient, ttr in enumerate(times):
            rows.append(
                {
                    "strategy": name,
                    "patient": patient,
                    "time_to_relapse_days": ttr,
                    "min_burden": 0.1,
                    "escaped_fraction": escaped,
                    "sasp_auc": 1.0,
                    "toxicity": toxicity,
                }
            )
    return pd.DataFrame(rows)


def _dominates(a: np.ndarray, b: np.ndarray, larger: np.ndarray) -> bool:
    sa, sb = np.where(larger, a, -a), np.where(larger, b, -b)
    return bool((sa >= sb).all() and (sa > sb).any())


@pytest.mark.parametrize("seed", range(5))
def test_pareto_tiers_match_the_definition_of_dominance(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 4, size=(12, 3)).astype(float)  # ties on purpose
    larger = np.array([True, False, False])
    tiers = pareto_tiers(values, larger)
    for i, j in itertools.permutations(range(len(values)), 2):
        if _dominates(values[i], values[j], larger):
            assert tiers[i] < tiers[j]
    for i in range(len(values)):  # every tier above 1 is beaten by a member of the tier before
        if tiers[i] > 1:
            previous = np.flatnonzero(tiers == tiers[i] - 1)
            assert any(_dominates(values[k], values[i], larger) for k in previous)


def test_a_toxic_strategy_with_the_longest_benefit_ties_with_a_gentler_one() -> None:
    summary = _summary(
        {
            "gentle": ([100.0, 120.0, 140.0, np.nan], 10.0, 0.2),
            "toxic": ([200.0, np.nan, np.nan, np.nan], 80.0, 0.2),
            "worse": ([50.0, 60.0, 70.0, 80.0], 20.0, 0.3),  # dominated by gentle
        }
    )
    ranked = rank_strategies(summary, days=365)
    assert ranked["strategy"].tolist() == ["toxic", "gentle", "worse"]  # a tier: by benefit
    assert ranked["rank"].tolist() == [1, 1, 2]  # gentle and toxic tie; worse is dominated
    rmtr = ranked["restricted_mean_time_to_relapse_days"].tolist()
    assert rmtr[1] == pytest.approx((100 + 120 + 140 + 365) / 4)
    assert ranked["tier_stability"].tolist()[1] == 1.0  # same patients in every draw


def test_stability_is_low_when_two_strategies_differ_by_noise_only() -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(50, 300, 40)
    b = a + rng.normal(0, 60, 40)
    summary = _summary({"a": (list(a), 10.0, 0.2), "b": (list(b), 10.0, 0.2)})
    ranked = rank_strategies(summary, days=365)
    assert ranked["tier_stability"].min() < 0.95
    assert set(ranked["rank_range"]) == {"1–2"}


def test_dose_equivalents_count_every_dose() -> None:
    doses = dose_equivalents(load_strategies(["untreated", "chemo"]))
    assert doses == {"untreated": 0.0, "chemo": 4.0}
