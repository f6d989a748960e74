"""Which observations are cycling, from the proliferation score's own distribution.

A two-component Gaussian mixture is fitted to the ``proliferation`` program score of all
observations. When
the data support two components (BIC lower by at least ``MIN_BIC_GAIN`` than one Gaussian, and the
smaller component holding at least ``MIN_WEIGHT`` of the observations), the upper component is
"cycling" and each observation's posterior probability of belonging to it is used. Otherwise the
data hold one population, and the sign of the ``mean``-method score decides: cycle genes above
their expression-matched controls means cycling.

This makes arrest a property of the data, not of the reference group: a reference of in-vivo
controls may itself be quiescent (adult hepatocytes, for instance), and arrest relative to it
would then be meaningless.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_BIC_GAIN = 10.0
MIN_WEIGHT = 0.05
ITERATIONS = 200


@dataclass(frozen=True)
class Mixture:
    """A fitted two-Gaussian mixture (component 1 has the higher mean)."""

    weights: tuple[float, float]
    means: tuple[float, float]
    sds: tuple[float, float]
    bic_gain: float

    @property
    def supported(self) -> bool:
        """Whether two components describe the data clearly better than one."""
        return self.bic_gain >= MIN_BIC_GAIN and min(self.weights) >= MIN_WEIGHT

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
