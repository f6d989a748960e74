"""Which observations are cycling, from the proliferation score's own distribution.

A two-component Gaussian mixture is fitted to the ``proliferation`` program score of all
observations. The data support two components when all of these hold:

- BIC lower by at least ``MIN_BIC_GAIN`` (10) than one Gaussian: "very strong" evidence on Kass &
  Raftery's scale (J Am Stat Assoc 1995, 90:773);
- the components are separated: Ashman's D = sqrt(2) |mu1 - mu2| / sqrt(s1^2 + s2^2) above
  ``MIN_SEPARATION`` (2), the usual bar for a clean split (Ashman, Bird & Zepf 1994, Astron J
  108:2348). Without it, a skewed single population also gains on BIC: the lognormal, gamma
  and Student-t samples of ``tests/states/test_cycling.py`` gain 513-2,103, with D 0.25-1.64;
- the smaller component holds at least ``MIN_COMPONENT`` (10) observations.

Then the upper component is "cycling" and each observation's posterior probability of belonging to
it is used. Otherwise the data hold one population, and the sign of the ``mean``-method score
decides: cycle genes above their expression-matched controls means cycling. In sparse
single-cell profiles that sign is close to a coin toss, so the mixture is preferred wherever the
data support it (CHANGELOG.md, "States (2026-11-27)", tells how this rule came to be).

This makes arrest a property of the data, not of the reference group: a reference of in-vivo
controls may itself be quiescent (adult hepatocytes, for instance), and arrest relative to it
would then be meaningless.

Designs too small for the mixture (bulk: 6-40 samples, 2-6 per group) are decided in this
order (:func:`cycling_decision`):

1. With a reference: relative to it. Whether the reference cycles is the sign rule's verdict on
   the reference's median observation; then an observation is arrested when its proliferation
   z-score is ``RELATIVE_BAR`` (2) or more below a cycling reference, and cycling when it is 2
   or more above a non-cycling one. Bulk cycle genes fall 10-100-fold on arrest, far past 2 SD.
2. Without one: a split of the proliferation scores into a low and a high group (at least
   ``SPLIT_MIN_GROUP`` each) at the cut that leaves the most variance between them (Otsu's
   criterion, eta squared), kept when that eta squared is beyond what the best cut of one
   Gaussian sample of the same size reaches in 95 % of ``SPLIT_DRAWS`` draws (the best cut of
   any sample looks separated: 6 normal values split 3|3 at D of about 3). The low group is
   arrested.
3. Otherwise the sign rule above, which in bulk tends to call every sample cycling; the calls
   then carry a warning when the senescence axis is far above the baseline.

Why not scikit-learn's ``GaussianMixture`` (``python benchmarks/bench_libraries.py --only
mixture``, 2026-12-06): from the same start, at its default tolerance (1e-3) it stops early and
changes the decision on the real Chan 2024 proliferation scores (Ashman's D 1.85 against 2.19);
at tol 1e-6 it makes the same decision on all 20 real and generated vectors (calls agree on
98.2-100 % of values) in 2.9-12.6x the time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

MIN_BIC_GAIN = 10.0
MIN_SEPARATION = 2.0
MIN_COMPONENT = 10
ITERATIONS = 200
RELATIVE_BAR = 2.0
SPLIT_MIN_GROUP = 2
SPLIT_DRAWS = 2000
SPLIT_P = 0.05
#: Observations the split test's p-value is computed on. A larger design is tested on a seeded
#: random subsample of this size (a valid test, with the power of 5,000 observations): the
#: null's cost grows with the design, and at 100,000 cells its 2,000 Gaussian samples took
#: 122 s of a 2-core machine (benchmarks/results/bench_run.md).
SPLIT_MAX_N = 5_000
#: Null values drawn at a time by :func:`null_at_least` (8 MB of float64).
NULL_VALUES = 1_000_000


@dataclass(frozen=True)
class Mixture:
    """A fitted two-Gaussian mixture (component 1 has the higher mean)."""

    weights: tuple[float, float]
    means: tuple[float, float]
    sds: tuple[float, float]
    bic_gain: float
    n: int

    @property
    def separation(self) -> float:
        """Ashman's D: the distance between the means in units of the pooled spread."""
        pooled = np.sqrt((self.sds[0] ** 2 + self.sds[1] ** 2) / 2)
        return float(abs(self.means[1] - self.means[0]) / pooled) if pooled > 0 else 0.0

    @property
    def supported(self) -> bool:
        """Whether two separated components describe the data clearly better than one."""
        return (
            self.bic_gain >= MIN_BIC_GAIN
            and self.separation > MIN_SEPARATION
            and min(self.weights) * self.n >= MIN_COMPONENT
        )

    def record(self) -> dict[str, Any]:
        """The fit as plain values (lists, not tuples, so that ``write_h5ad`` can store it)."""
        fields = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {**fields, "separation": self.separation, "used": self.supported}

    def posterior_upper(self, x: np.ndarray) -> np.ndarray:
        """Probability that each value comes from the upper component."""
        dens = _densities(x, np.array(self.weights), np.array(self.means), np.array(self.sds))
        total = dens.sum(axis=0)
        return np.asarray(np.divide(dens[1], total, out=np.full_like(x, 0.5), where=total > 0))


def _normal(x: np.ndarray, mean: float, sd: float) -> np.ndarray:
    return np.asarray(np.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * np.sqrt(2 * np.pi)))


def _densities(
    x: np.ndarray, weights: np.ndarray, means: np.ndarray, sds: np.ndarray
) -> np.ndarray:
    """Weighted component densities, one row per component."""
    return np.stack([w * _normal(x, m, s) for w, m, s in zip(weights, means, sds, strict=True)])


def fit_mixture(values: np.ndarray) -> Mixture:
    """EM for two Gaussians, started at the quartiles; BIC compared with one Gaussian."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    floor = max(float(np.std(x)) * 1e-3, 1e-9)
    means = np.quantile(x, [0.25, 0.75])
    sds = np.full(2, max(float(np.std(x)), floor))
    weights = np.array([0.5, 0.5])
    for _ in range(ITERATIONS):
        dens = _densities(x, weights, means, sds)
        resp = dens / np.maximum(dens.sum(axis=0), 1e-300)
        mass = np.maximum(resp.sum(axis=1), 1e-12)
        weights = resp.mean(axis=1)
        means = (resp * x).sum(axis=1) / mass
        sds = np.maximum(np.sqrt((resp * (x - means[:, None]) ** 2).sum(axis=1) / mass), floor)
    two = np.log(np.maximum(_densities(x, weights, means, sds).sum(axis=0), 1e-300)).sum()
    one_sd = max(float(np.std(x)), floor)
    one = np.log(np.maximum(_normal(x, float(np.mean(x)), one_sd), 1e-300)).sum()
    bic_gain = (2 * np.log(n) - 2 * one) - (5 * np.log(n) - 2 * two)
    order = np.argsort(means)
    return Mixture(
        weights=(float(weights[order[0]]), float(weights[order[1]])),
        means=(float(means[order[0]]), float(means[order[1]])),
        sds=(float(sds[order[0]]), float(sds[order[1]])),
        bic_gain=float(bic_gain),
        n=n,
    )


def cycling_margin(
    proliferation: pd.Series, cell_cycle: pd.Series | None, mixture: Mixture, slope: float
) -> pd.Series:
    """A margin whose sign says cycling (>= 0) or arrested, scaled like the other axes.

    With a supported mixture (fitted to ``proliferation``, the program's score) the margin is
    ``logit(p_cycling) / slope``, so that the state confidence equals the posterior. Otherwise
    ``cell_cycle`` decides: the proliferation program scored by the ``mean`` method (cycle genes
    minus expression-matched control genes), positive where cycle genes stand out, which is the
    Seurat/scanpy convention for calling G1 cells; the margin is that score over its spread.
    ``cell_cycle`` is needed only when the mixture is not supported.
    """
    if mixture.supported:
        p = np.clip(mixture.posterior_upper(proliferation.to_numpy(dtype=float)), 1e-9, 1 - 1e-9)
        return pd.Series(np.log(p / (1 - p)) / slope, index=proliferation.index)
    if cell_cycle is None:
        msg = "cell_cycle scores are needed when the proliferation mixture is not supported"
        raise ValueError(msg)
    values = cell_cycle.to_numpy(dtype=float)
    spread = (
        float(np.median(np.abs(values - np.median(values)))) * 1.4826
        or float(np.std(values))
        or 1.0
    )
    return pd.Series(values / spread, index=cell_cycle.index)


def best_split(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Otsu's criterion for samples along the last axis: the best cut's eta squared, and its size.

    Each row is sorted; for every cut leaving at least ``SPLIT_MIN_GROUP`` values on each side,
    eta squared is the between-group sum of squares over the total. Returns the largest eta
    squared of each row and the number of values below that cut.
    """
    x = np.sort(np.atleast_2d(np.asarray(values, dtype=float)), axis=-1)
    n = x.shape[-1]
    k = np.arange(SPLIT_MIN_GROUP, n - SPLIT_MIN_GROUP + 1)
    total = x.sum(axis=-1, keepdims=True)
    low_sum = np.cumsum(x, axis=-1)[..., k - 1]
    low_mean, high_mean = low_sum / k, (total - low_sum) / (n - k)
    between = k * (n - k) / n * (high_mean - low_mean) ** 2
    ss = ((x - x.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1, keepdims=True)
    eta2 = np.divide(between, ss, out=np.zeros_like(between), where=ss > 0)
    best = eta2.argmax(axis=-1)
    return eta2.max(axis=-1), k[best]


@dataclass(frozen=True)
class Split:
    """The best two-group cut of one data set's proliferation scores, and its null test."""

    eta2: float
    p: float
    n_low: int
    cut: float
    spread: float

    @property
    def supported(self) -> bool:
        """Whether the cut is beyond what one Gaussian sample of this size shows."""
        return self.p <= SPLIT_P


def null_at_least(eta2: float, n: int, seed: int) -> int:
    """How many of ``SPLIT_DRAWS`` Gaussian samples of size ``n`` have a best cut >= ``eta2``.

    The samples are drawn ``NULL_VALUES // n`` at a time from one generator, which yields the
    same values as drawing all ``SPLIT_DRAWS × n`` at once: memory stays near ``NULL_VALUES``
    values (a few hundred MB for :func:`best_split`'s temporaries) whatever ``n`` is.
    """
    rng = np.random.default_rng(seed)
    rows = max(1, NULL_VALUES // n)
    found = 0
    for start in range(0, SPLIT_DRAWS, rows):
        null, _ = best_split(rng.standard_normal((min(rows, SPLIT_DRAWS - start), n)))
        found += int((null >= eta2).sum())
    return found


def split_test(values: np.ndarray, seed: int = 0) -> Split:
    """The best cut (:func:`best_split`) against ``SPLIT_DRAWS`` Gaussian samples of its size.

    Above :data:`SPLIT_MAX_N` observations the p-value is that of a seeded random subsample of
    ``SPLIT_MAX_N``; the cut itself is always the whole data's.
    """
    x = np.sort(np.asarray(values, dtype=float))
    if len(x) < 2 * SPLIT_MIN_GROUP:
        return Split(0.0, 1.0, 0, float("nan"), float("nan"))
    (eta2,), (n_low,) = best_split(x)
    tested = x
    if len(x) > SPLIT_MAX_N:
        tested = np.random.default_rng(seed).choice(x, SPLIT_MAX_N, replace=False)
    (tested_eta2,), _ = best_split(tested)
    p = (1 + null_at_least(tested_eta2, len(tested), seed)) / (SPLIT_DRAWS + 1)
    low, high = x[:n_low], x[n_low:]
    pooled = np.sqrt((low.var() * len(low) + high.var() * len(high)) / len(x))
    return Split(float(eta2), p, int(n_low), float((low[-1] + high[0]) / 2), float(pooled))


def cycling_decision(
    proliferation: pd.Series,
    z_proliferation: pd.Series,
    cell_cycle: pd.Series | None,
    reference: pd.Series | None,
    mixture: Mixture,
    slope: float,
) -> tuple[pd.Series, dict[str, Any]]:
    """The cycling margin (>= 0: cycling) and a record of the rule that set it.

    ``z_proliferation`` is the proliferation raw z-score against the baseline; ``reference`` the
    reference mask (or ``None``); ``cell_cycle`` the mean-method proliferation score, needed
    unless the mixture is supported. See the module's docstring for the order of the rules.
    """
    if mixture.supported:
        return cycling_margin(proliferation, None, mixture, slope), {"rule": "mixture"}
    if cell_cycle is None:
        msg = "cell_cycle scores are needed when the proliferation mixture is not supported"
        raise ValueError(msg)
    sign = cycling_margin(proliferation, cell_cycle, mixture, slope)
    in_reference = (
        np.zeros(len(sign), dtype=bool)
        if reference is None
        else reference.reindex(sign.index, fill_value=False).to_numpy(dtype=bool)
    )
    if in_reference.any():
        reference_cycles = bool(np.median(sign[in_reference]) >= 0)
        z = z_proliferation.reindex(sign.index)
        margin = z + RELATIVE_BAR if reference_cycles else z - RELATIVE_BAR
        return margin, {"rule": "reference", "reference_cycles": reference_cycles}
    split = split_test(proliferation.to_numpy())
    if split.supported:
        margin = (proliferation - split.cut) / (split.spread or 1.0)
        return margin, {"rule": "split", **asdict(split)}
    return sign, {"rule": "sign", "split_p": split.p}
