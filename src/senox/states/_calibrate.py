"""Calibrating program scores: robust z-scores against a baseline group.

A z-score says how far an observation's program score lies from the baseline's median, in units
of the baseline's robust spread (1.4826 × MAD, which equals the standard deviation for normal
data). The baseline is the reference group when one is named (e.g. untreated controls), else all
observations: then the median observation is the baseline, which assumes fewer than half of the
observations are in any one departing state. (Where half or more of a bulk design's
observations are arrested, ``call_states`` names the cycling ones the baseline instead:
``senox.states._call.CYCLING_BASELINE``.)

A small reference (2-9 observations, the usual bulk design) is treated as limma treats a
group (Smyth 2004, Stat Appl Genet Mol Biol 3:3), because robust estimates break down there:
the MAD of 3 values is the smaller of two deviations (one of the three is the median itself),
so it underestimates the spread, by 1.1-2.9 fold on the planted bulk designs of
``tests/states``. Its centre is the mean and its spread the standard deviation (n - 1 degrees
of freedom), shrunk toward a prior that borrows strength across programs: the prior of each
program is its whole-data robust spread times the median, over all programs, of the
reference's spread relative to the whole data's. The posterior is
``sqrt((d0 * prior^2 + (n - 1) * own^2) / (d0 + n - 1))`` with ``d0 = PRIOR_DF``.

A new observation then differs from the reference mean by its own noise plus the mean's
(variance 1/n of its own), and the spread is an estimate with ``d0 + n - 1`` degrees of
freedom (the moderated t). So a small reference's z-score is reported on the standard normal
scale with the same tail probability, ``z = Phi^-1(T_df(raw / sqrt(1 + 1/n)))``: the
predictive z of an observation drawn like the reference, bounded (about 8 at most) and with
``z >= 1.5`` keeping its nominal meaning, a 6.7 % one-sided tail, whatever the reference's
size. (The arrest rule against a reference, :mod:`senox.states._cycling`, reads the raw
distance, ``Calibration.raw_zscores``: its bar is a fold change of the cycle genes, not a
tail probability.) With the MAD and the raw z, unchanged planted bulk samples crossed 1.5 against a
reference of 2-3 in 10-28 % of cases (docs/senescence-axis.md, "Amendment after run 1"). A
reference of 10 or more, or the whole data as baseline, is used as before (median, MAD).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from senox._errors import InputError

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
    #: Degrees of freedom of a small reference's shrunken spread; infinite otherwise.
    df: float = np.inf

    def raw_zscores(self, scores: pd.DataFrame) -> pd.DataFrame:
        """(score - centre) / scale, column by column: distances in reference spreads."""
        return (scores[self.center.index] - self.center) / self.scale

    def zscores(self, scores: pd.DataFrame) -> pd.DataFrame:
        """(score - centre) / scale, column by column; predictive for a small reference.

        >>> scores = pd.DataFrame({"a": [0.0, 1.0, 3.0]})
        >>> small = Calibration(pd.Series({"a": 0.0}), pd.Series({"a": 1.0}), "reference", 2, 5.0)
        >>> small.zscores(scores)["a"].round(2).tolist()
        [0.0, 0.75, 1.9]
        """
        raw = self.raw_zscores(scores)
        if not np.isfinite(self.df):
            return raw
        inflation = np.sqrt(1 + 1 / self.n_baseline)
        tail = stats.t.sf(np.abs(raw.to_numpy(dtype=float)) / inflation, self.df)
        z = np.sign(raw.to_numpy(dtype=float)) * stats.norm.isf(tail)
        return pd.DataFrame(z, index=raw.index, columns=raw.columns)


def _robust_scale(values: pd.DataFrame) -> pd.Series:
    """1.4826 × MAD; where it is 0, IQR / 1.349; where that is 0 too, the standard deviation.

    A sparse program scores exactly 0 in most cells of a single-cell data set, so that its MAD
    and IQR are 0; the floor :data:`MIN_SCALE` then turned a score of 0.01 into z = 10,000
    (seen as redox indices up to 175,000 on a 100,000-cell input). The standard deviation of
    such a zero-inflated score is its spread.

    >>> sparse = pd.DataFrame({"a": [0.0] * 8 + [0.02, 0.04]})
    >>> round(float(_robust_scale(sparse)["a"]), 4)
    0.0135
    """
    mad = (values - values.median()).abs().median() * MAD_TO_SD
    iqr = (values.quantile(0.75) - values.quantile(0.25)) / 1.349
    return mad.where(mad > 0, iqr.where(iqr > 0, values.std(ddof=1)))


def calibrate(
    scores: pd.DataFrame, baseline: pd.Series | None = None, name: str = "reference group"
) -> Calibration:
    """Centre and scale each program on the baseline observations (default: all).

    The centre is the baseline's median and the spread its own (MAD, else IQR, else the standard
    deviation); for a reference
    of fewer than :data:`SHRINK_BELOW` observations, its mean and its standard deviation shrunk
    toward a prior (see the module's docstring); only where the baseline has none (a constant
    program) does the whole data's spread stand in. ``name``: what the baseline observations
    are, for the record.
    """
    if baseline is None:
        mask = pd.Series(data=True, index=scores.index)
    else:
        mask = baseline.reindex(scores.index, fill_value=False).astype(bool)
    reference = scores[mask.to_numpy()]
    whole = _robust_scale(scores).fillna(0)
    n = int(mask.sum())
    small = baseline is not None and n < SHRINK_BELOW
    if small:
        own = shrunken_scale(reference.std(ddof=1).fillna(0), whole, n)
    else:
        own = _robust_scale(reference).fillna(0)
    scale = own.where(own > 0, whole).clip(lower=MIN_SCALE)
    return Calibration(
        center=reference.mean() if small else reference.median(),
        scale=scale,
        baseline="all observations" if baseline is None else name,
        n_baseline=n,
        df=PRIOR_DF + n - 1 if small else np.inf,
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


@dataclass(frozen=True)
class BatchCalibration:
    """One :class:`Calibration` per batch: each observation is scaled by its own batch's.

    For bulk designs whose batches (strains, donors, cell lines) differ more than their
    conditions do: a reference pooled over batches has their spread, so a change within a
    batch reads as small. On the 24 Marthandan 2016 samples of four strains with their own
    controls, the pooled proliferating reference called 9 of 12 replicatively senescent samples
    senescent; each strain against its own 3 proliferating samples, 11 of 12 (the 12th is
    SRR1660552, whose cycle genes are those of a proliferating sample). Found after looking,
    so not a test (docs/senescence-axis.md).
    """

    batches: pd.Series
    members: dict[str, Calibration]

    @property
    def baseline(self) -> str:
        return "reference group of each batch"

    @property
    def n_baseline(self) -> int:
        """The smallest batch reference (the one whose spread is least certain)."""
        return min(c.n_baseline for c in self.members.values())

    @property
    def center(self) -> pd.DataFrame:
        return pd.DataFrame({b: c.center for b, c in self.members.items()}).T

    @property
    def scale(self) -> pd.DataFrame:
        return pd.DataFrame({b: c.scale for b, c in self.members.items()}).T

    def zscores(self, scores: pd.DataFrame) -> pd.DataFrame:
        """Each observation's z-scores against its own batch's reference."""
        return self._by_batch(scores, "zscores")

    def raw_zscores(self, scores: pd.DataFrame) -> pd.DataFrame:
        """Each observation's raw distances from its own batch's reference."""
        return self._by_batch(scores, "raw_zscores")

    def _by_batch(self, scores: pd.DataFrame, how: str) -> pd.DataFrame:
        batch = self.batches.reindex(scores.index)
        parts = [
            getattr(calibration, how)(scores[(batch == name).to_numpy()])
            for name, calibration in self.members.items()
        ]
        joined: pd.DataFrame = pd.concat(parts).reindex(scores.index)
        return joined


def calibrate_by_batch(
    scores: pd.DataFrame, baseline: pd.Series, batches: pd.Series, batch_key: str
) -> BatchCalibration:
    """:func:`calibrate` within each batch, against that batch's reference observations.

    Every batch needs 2 or more reference observations among ``scores``' rows; otherwise a
    one-line :class:`~senox._errors.InputError` names the batches that lack them.
    """
    batch = batches.reindex(scores.index).astype(str)
    mask = baseline.reindex(scores.index, fill_value=False).astype(bool)
    short = sorted(b for b in batch.unique() if int((mask & (batch == b)).sum()) < 2)
    if short:
        shown = ", ".join(short[:5]) + (" …" if len(short) > 5 else "")
        msg = (
            f"--batch-key {batch_key}: batch(es) {shown} hold fewer than 2 reference "
            "observations; every batch needs 2 or more, or drop --batch-key"
        )
        raise InputError(msg)
    members = {
        b: calibrate(scores[(batch == b).to_numpy()], mask[(batch == b).to_numpy()])
        for b in sorted(batch.unique())
    }
    return BatchCalibration(batches.astype(str), members)  # every observation, not only these
