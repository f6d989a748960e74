"""Strategies ranked by benefit against harm, with ties shown and the ranking's stability.

Benefit is time without relapse; harm is the toxicity the strategy accumulates and the share of
the tumour left as escaped (treatment-resistant, stem-like) cells. No exchange rate between days,
toxicity and resistance is known, so senox does not invent one: it ranks by **Pareto tiers**. A
strategy is dominated when another is at least as good on all three outcomes and better on one;
tier 1 is every strategy no other dominates, tier 2 those dominated only by tier 1, and so on.
Strategies in one tier are tied (no strategy of the tier beats another on every outcome); within a
tier they are listed by benefit, then by toxicity.

Outcomes per strategy, over the virtual cohort:

- benefit: the restricted mean time to relapse (RMTR) over the horizon: a patient who does not
  relapse counts the whole horizon. Unlike a median it exists when most patients never relapse.
- toxicity: the median of the model's cumulative toxicity (each exposure's effect weighted by its
  toxicity weight, integrated over time, so a strategy is compared at its own dose intensity).
- escaped fraction: the median share of escaped cells in the tumour at the horizon.

Stability: every strategy is simulated on the same virtual patients, so the cohort is resampled
with replacement (paired bootstrap, :data:`BOOTSTRAP` draws); ``tier_stability`` is the share of
draws in which a strategy keeps its tier, and ``rank_range`` the 2.5–97.5 % range of its position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from numpy.typing import NDArray

    from senox.model._strategy import Strategy

#: Paired bootstrap draws of the virtual cohort behind ``tier_stability`` and ``rank_range``.
BOOTSTRAP = 200

#: Outcome columns of the ranking and whether larger is better.
OBJECTIVES = {
    "restricted_mean_time_to_relapse_days": True,
    "median_toxicity": False,
    "median_escaped_fraction": False,
}


def dose_equivalents(strategies: Iterable[Strategy]) -> dict[str, float]:
    """Standard doses each strategy gives in all (count × amount over its dose rules)."""
    return {s.name: float(sum(r.count * r.amount for r in s.rules)) for s in strategies}


def pareto_tiers(
    values: NDArray[np.float64], larger_is_better: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """Tier of each row (1 = not dominated) under non-dominated sorting.

    >>> v = np.array([[3.0, 1.0], [2.0, 0.5], [1.0, 2.0], [3.0, 1.0]])
    >>> pareto_tiers(v, np.array([True, False])).tolist()
    [1, 1, 2, 1]
    """
    signed = np.where(larger_is_better, values, -values)
    at_least = np.all(signed[:, None, :] >= signed[None, :, :], axis=2)
    better = np.any(signed[:, None, :] > signed[None, :, :], axis=2)
    dominates: NDArray[np.bool_] = at_least & better  # [i, j]: i dominates j
    tiers = np.zeros(len(values), dtype=np.int64)
    tier = 0
    while (tiers == 0).any():
        tier += 1
        open_ = np.flatnonzero(tiers == 0)
        beaten = dominates[np.ix_(open_, open_)].any(axis=0)
        tiers[open_[~beaten]] = tier
    return tiers


def _censored(group: pd.DataFrame) -> NDArray[np.float64]:
    ttr = group["time_to_relapse_days"].to_numpy(dtype=float)
    return np.where(np.isnan(ttr), np.inf, ttr)


def _quantile_time(ttr: NDArray[np.float64], q: float) -> float:
    """Time by which a share ``q`` of runs relapsed (NaN if fewer did within the horizon)."""
    finite = np.sort(ttr[np.isfinite(ttr)])
    k = int(np.ceil(q * len(ttr)))
    return float(finite[k - 1]) if k <= len(finite) and k > 0 else float("nan")


def _outcome_matrix(
    summary: pd.DataFrame, names: list[str], days: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(strategies × patients) relapse times capped at the horizon, toxicity, escaped fraction."""
    wide = summary.pivot_table(index="strategy", columns="patient", dropna=False)
    ttr = wide["time_to_relapse_days"].reindex(names).to_numpy(dtype=float)
    capped = np.minimum(np.where(np.isnan(ttr), days, ttr), days)
    toxicity = wide["toxicity"].reindex(names).to_numpy(dtype=float)
    escaped = wide["escaped_fraction"].reindex(names).to_numpy(dtype=float)
    return capped, toxicity, escaped


def _objectives(
    capped: NDArray[np.float64], toxicity: NDArray[np.float64], escaped: NDArray[np.float64]
) -> NDArray[np.float64]:
    return np.column_stack(
        [capped.mean(axis=1), np.median(toxicity, axis=1), np.median(escaped, axis=1)]
    )


def _order(objectives: NDArray[np.float64], tiers: NDArray[np.int64]) -> NDArray[np.int64]:
    """Row order: tier, then benefit (descending), then toxicity (ascending)."""
    return np.lexsort((objectives[:, 1], -objectives[:, 0], tiers))


def _bootstrap(
    capped: NDArray[np.float64],
    toxicity: NDArray[np.float64],
    escaped: NDArray[np.float64],
    tiers: NDArray[np.int64],
    seed: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Share of draws keeping each tier; 2.5 % and 97.5 % quantiles of each position (1-based)."""
    rng = np.random.default_rng(seed)
    n_patients = capped.shape[1]
    larger = np.array(list(OBJECTIVES.values()))
    kept = np.zeros(len(tiers))
    positions = np.empty((BOOTSTRAP, len(tiers)), dtype=np.int64)
    for b in range(BOOTSTRAP):
        pick = rng.integers(0, n_patients, n_patients)
        values = _objectives(capped[:, pick], toxicity[:, pick], escaped[:, pick])
        drawn = pareto_tiers(values, larger)
        kept += drawn == tiers
        positions[b, _order(values, drawn)] = np.arange(1, len(tiers) + 1)
    low = np.floor(np.quantile(positions, 0.025, axis=0)).astype(np.int64)
    high = np.ceil(np.quantile(positions, 0.975, axis=0)).astype(np.int64)
    return kept / BOOTSTRAP, low, high


def rank_strategies(
    summary: pd.DataFrame,
    *,
    days: float,
    dose_equivalents: Mapping[str, float] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per strategy, ranked by Pareto tier of benefit against harm (see module docs).

    Parameters
    ----------
    summary
        One row per strategy × patient (``SimulationResult.summary``): ``time_to_relapse_days``
        (NaN: no relapse within the horizon), ``toxicity``, ``escaped_fraction``, ``min_burden``,
        ``sasp_auc``.
    days
        The simulated horizon (``SimulationResult.days``).
    dose_equivalents
        Standard doses each strategy gives (:func:`dose_equivalents`), shown beside the outcomes.
    seed
        Seed of the bootstrap behind ``tier_stability`` and ``rank_range``.

    Returns
    -------
    Columns ``strategy``, ``rank`` (the tier: tied strategies share it), the three objectives
    (:data:`OBJECTIVES`), median and quartile times to relapse (NaN: not reached within the
    horizon), ``relapse_free_fraction``, ``median_min_burden``, ``median_sasp_auc``,
    ``dose_equivalents``, ``tier_stability``, ``rank_range``, ``patients``.
    """
    names = list(pd.unique(summary["strategy"].astype(str)))
    summary = summary.assign(strategy=summary["strategy"].astype(str))
    capped, toxicity, escaped = _outcome_matrix(summary, names, days)
    objectives = _objectives(capped, toxicity, escaped)
    tiers = pareto_tiers(objectives, np.array(list(OBJECTIVES.values())))
    stability, low, high = _bootstrap(capped, toxicity, escaped, tiers, seed)
    grouped = summary.groupby("strategy", sort=False)
    table = pd.DataFrame({"strategy": names, "rank": tiers})
    for column, values in zip(OBJECTIVES, objectives.T, strict=True):
        table[column] = values
    ttr = {name: _censored(group) for name, group in grouped}
    for label, q in (("median", 0.5), ("q25", 0.25), ("q75", 0.75)):
        table[f"{label}_time_to_relapse_days"] = [_quantile_time(ttr[n], q) for n in names]
    table["relapse_free_fraction"] = [float(np.isinf(ttr[n]).mean()) for n in names]
    table["median_min_burden"] = grouped["min_burden"].median().reindex(names).to_numpy()
    table["median_sasp_auc"] = grouped["sasp_auc"].median().reindex(names).to_numpy()
    table["dose_equivalents"] = [
        float(dose_equivalents[n]) if dose_equivalents and n in dose_equivalents else np.nan
        for n in names
    ]
    table["tier_stability"] = stability
    table["rank_range"] = [f"{a}–{b}" if a != b else str(a) for a, b in zip(low, high, strict=True)]
    table["patients"] = grouped.size().reindex(names).to_numpy()
    return table.iloc[_order(objectives, tiers)].reset_index(drop=True)
