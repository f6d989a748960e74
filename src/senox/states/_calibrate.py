"""Calibrating program scores: robust z-scores against a baseline group.

A z-score says how far an observation's program score lies from the baseline's median, in units
of the baseline's robust spread (1.4826 × MAD, which equals the standard deviation for normal
data). The baseline is the reference group when one is named (e.g. untreated controls), else all
observations: then the median observation is the baseline, which assumes fewer than half of the
observations are in any one departing state.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: Robust spread never falls below this fraction of the whole data's spread (or 1e-6): a tight
#: reference group would otherwise turn small compositional shifts (arrest lowers the cycle
#: genes, so every other program's ranks rise a little) into large z-scores.
MIN_SCALE_FRACTION = 1.0
MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class Calibration:
    """Per-program centre and scale, and which observations defined them."""

    center: pd.Series
    scale: pd.Series
    baseline: str
    n_baseline: int

    def zscores(self, scores: pd.DataFrame) -> pd.DataFrame:
        """(score - centre) / scale, column by column."""
        return (scores[self.center.index] - self.center) / self.scale


def _robust_scale(values: pd.DataFrame) -> pd.Series:
    mad = (values - values.median()).abs().median() * MAD_TO_SD
    iqr = (values.quantile(0.75) - values.quantile(0.25)) / 1.349
    return mad.where(mad > 0, iqr)


def calibrate(scores: pd.DataFrame, baseline: pd.Series | None = None) -> Calibration:
    """Centre and scale each program on the baseline observations (default: all)."""
    if baseline is None:
        mask = pd.Series(data=True, index=scores.index)
    else:
        mask = baseline.reindex(scores.index, fill_value=False).astype(bool)
    reference = scores[mask.to_numpy()]
    floor = (_robust_scale(scores) * MIN_SCALE_FRACTION).clip(lower=1e-6)
    scale = _robust_scale(reference).fillna(0).combine(floor, max)
    return Calibration(
        center=reference.median(),
        scale=scale,
        baseline="all observations" if baseline is None else "reference group",
        n_baseline=int(mask.sum()),
    )
