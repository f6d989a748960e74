"""Calibrating program scores: robust z-scores against a baseline group.

A z-score says how far an observation's program score lies from the baseline's median, in units
of the baseline's robust spread (1.4826 × MAD, which equals the standard deviation for normal
data). The baseline is the reference group when one is named (e.g. untreated controls), else all
observations: then the median observation is the baseline, which assumes fewer than half of the
observations are in any one departing state.

A small reference (2-9 observations, the usual bulk design) estimates its spread poorly: the
MAD of n values has a standard error of about 1.16/sqrt(n) of itself, and two near-identical
reference samples give a spread near zero and z-scores of -100. Its spread is then shrunk
toward a prior that borrows strength across programs, as limma does across genes (Smyth 2004,
Stat Appl Genet Mol Biol 3:3): the prior of each program is its whole-data spread times the
median, over all programs, of the reference's spread relative to the whole data's. The
posterior is ``sqrt((d0 * prior^2 + (n - 1) * own^2) / (d0 + n - 1))`` with ``d0 = PRIOR_DF``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

MAD_TO_SD = 1.4826
#: Smallest spread used, so that a constant program gives finite z-scores.
MIN_SCALE = 1e-6
#: References smaller than this get a shrunken spread (see the module's docstring).
SHRINK_BELOW = 10
#: Weight of the prior spread, in degrees of freedom: a reference of 5 observations (4 degrees
#: of freedom) weighs as much as the prior.
PRIOR_DF = 4.0


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

    The spread is the baseline's own (MAD, else IQR), shrunk toward a prior for a reference of
    fewer than :data:`SHRINK_BELOW` observations; only where the baseline has none (a constant
    program) does the whole data's spread stand in.
    """
    if baseline is None:
        mask = pd.Series(data=True, index=scores.index)
    else:
        mask = baseline.reindex(scores.index, fill_value=False).astype(bool)
    reference = scores[mask.to_numpy()]
    whole = _robust_scale(scores).fillna(0)
    own = _robust_scale(reference).fillna(0)
    n = int(mask.sum())
    if baseline is not None and n < SHRINK_BELOW:
        own = shrunken_scale(own, whole, n)
    scale = own.where(own > 0, whole).clip(lower=MIN_SCALE)
    return Calibration(
        center=reference.median(),
        scale=scale,
        baseline="all observations" if baseline is None else "reference group",
        n_baseline=int(mask.sum()),
    )


def shrunken_scale(own: pd.Series, whole: pd.Series, n: int) -> pd.Series:
    """A small reference's spread, shrunk toward ``whole`` scaled by the typical own/whole ratio.

    >>> own = pd.Series({"a": 0.001, "b": 0.5, "c": 0.4})
    >>> whole = pd.Series({"a": 1.0, "b": 1.0, "c": 1.0})
    >>> shrunken_scale(own, whole, 3).round(3).to_dict()
    {'a': 0.327, 'b': 0.436, 'c': 0.4}
    """
    usable = (own > 0) & (whole > 0)
    if not usable.any():
        return own
    ratio = float((own[usable] / whole[usable]).median())
    prior = whole * ratio
    d = max(n - 1, 0)
    return ((PRIOR_DF * prior**2 + d * own**2) / (PRIOR_DF + d)) ** 0.5
