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

MAD_TO_SD = 1.4826
#: Smallest spread used, so that a constant program gives finite z-scores.
MIN_SCALE = 1e-6


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
    """Centre and scale each program on the baseline observations (default: all).

    The spread is the baseline's own (MAD, else IQR); only where the baseline has none (a
    constant program) does the whole data's spread stand in.
    """
    if baseline is None:
        mask = pd.Series(data=True, index=scores.index)
    else:
        mask = baseline.reindex(scores.index, fill_value=False).astype(bool)
    reference = scores[mask.to_numpy()]
    own = _robust_scale(reference).fillna(0)
    scale = own.where(own > 0, _robust_scale(scores).fillna(0)).clip(lower=MIN_SCALE)
    return Calibration(
        center=reference.median(),
        scale=scale,
        baseline="all observations" if baseline is None else "reference group",
        n_baseline=int(mask.sum()),
    )
