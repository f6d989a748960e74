"""Helpers shared by the validation scripts: AUROC, its uncertainty, tables and result files.

Uncertainty: stratified bootstrap resamples (class sizes fixed), percentile intervals,
DeLong's test for two correlated AUROCs, and the false-positive rate at a given sensitivity.
Depth matching: quantile strata of a covariate (e.g. detected genes) and the AUROC over the
(positive, negative) pairs within a stratum, with its bootstrap.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata


def auroc(scores: pd.Series | np.ndarray, labels: pd.Series | np.ndarray) -> float:
    """Area under the ROC curve by the Mann–Whitney U statistic (ties count one half).

    Parameters
    ----------
    scores
        One score per observation, higher = more senescent. NaN scores are dropped.
    labels
        True for the positive (senescent) observations, aligned with ``scores`` (by index
        when both are Series).

    Returns
    -------
    float in [0, 1]; NaN when either class is empty.
    """
    if isinstance(scores, pd.Series) and isinstance(labels, pd.Series):
        labels = labels.reindex(scores.index)
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    keep = np.isfinite(s)
    s, y = s[keep], y[keep]
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)  # average ranks: a tie counts one half
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table from a header and rows of already formatted cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- uncertainty


def stratified_resamples(labels: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Bootstrap resamples that keep the number of positives and negatives fixed.

    Parameters
    ----------
    labels
        Boolean class of each observation (True = senescent).
    n_boot
        Number of resamples.
    seed
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray of shape ``(n_boot, n)``: row ``b`` holds the observation indices of resample
    ``b``, positives drawn with replacement from the positives, negatives from the negatives.
    """
    y = np.asarray(labels, dtype=bool)
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    return np.hstack(
        [rng.choice(pos, size=(n_boot, pos.size)), rng.choice(neg, size=(n_boot, neg.size))]
    )


def bootstrap_aurocs(scores: np.ndarray, labels: np.ndarray, resamples: np.ndarray) -> np.ndarray:
    """AUROC of one score on every resample of :func:`stratified_resamples`.

    Using the same ``resamples`` for several scores gives paired bootstrap replicates.

    Parameters
    ----------
    scores
        One finite score per observation, higher = more senescent.
    labels
        Boolean class of each observation.
    resamples
        ``(n_boot, n)`` index matrix.

    Returns
    -------
    numpy.ndarray of ``n_boot`` AUROCs.
    """
    s = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(s).all():
        msg = "bootstrap_aurocs needs finite scores"
        raise ValueError(msg)
    y = np.asarray(labels, dtype=bool)[resamples]
    n_pos = int(y[0].sum())
    n_neg = y.shape[1] - n_pos
    ranks = rankdata(s[resamples], axis=1)
    return np.asarray(
        ((ranks * y).sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg), dtype=np.float64
    )


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` percentile interval of bootstrap replicates."""
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(np.asarray(values, dtype=np.float64), [tail, 100 - tail])
    return float(low), float(high)


def _midranks_split(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's structural components V10 (per positive) and V01 (per negative)."""
    m, n = int(y.sum()), int((~y).sum())
    ranks_all = rankdata(s)
    ranks_pos = rankdata(s[y])
    ranks_neg = rankdata(s[~y])
    v10 = (ranks_all[y] - ranks_pos) / n
    v01 = 1.0 - (ranks_all[~y] - ranks_neg) / m
    return v10, v01


def delong(scores_a: np.ndarray, scores_b: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """DeLong's test for two correlated AUROCs (both scores on the same observations).

    DeLong, DeLong & Clarke-Pearson (1988), with the midrank computation of Sun & Xu (2014).

    Parameters
    ----------
    scores_a, scores_b
        Finite scores of the two methods, higher = more senescent.
    labels
        Boolean class of each observation.

    Returns
    -------
    dict with ``auroc_a``, ``auroc_b``, ``difference`` (a − b), ``se`` (of the difference),
    ``z`` and the two-sided ``p`` (normal approximation).
    """
    y = np.asarray(labels, dtype=bool)
    m, n = int(y.sum()), int((~y).sum())
    parts = [_midranks_split(np.asarray(s, dtype=np.float64), y) for s in (scores_a, scores_b)]
    v10 = np.vstack([p[0] for p in parts])
    v01 = np.vstack([p[1] for p in parts])
    aucs = v10.mean(axis=1)
    cov = np.cov(v10) / m + np.cov(v01) / n
    variance = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    difference = float(aucs[0] - aucs[1])
    se = float(np.sqrt(max(variance, 0.0)))
    z = difference / se if se > 0 else float("nan")
    p = float(2 * norm.sf(abs(z))) if se > 0 else float("nan")
    return {
        "auroc_a": float(aucs[0]),
        "auroc_b": float(aucs[1]),
        "difference": difference,
        "se": se,
        "z": z,
        "p": p,
    }


def fpr_at_sensitivity(
    scores: np.ndarray, labels: np.ndarray, sensitivity: float
) -> tuple[float, float, float]:
    """False-positive rate of the threshold that calls ``sensitivity`` of the positives.

    The threshold is the ``ceil(sensitivity × n_pos)``-th highest positive score; an
    observation is called positive when its score is at or above it. With ties the achieved
    sensitivity can exceed the target, so it is returned too.

    Returns
    -------
    ``(threshold, achieved sensitivity, false-positive rate)``.
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    positives = np.sort(s[y])[::-1]
    k = max(1, int(np.ceil(sensitivity * positives.size - 1e-9)))
    threshold = float(positives[k - 1])
    return threshold, float((s[y] >= threshold).mean()), float((s[~y] >= threshold).mean())


# --------------------------------------------------------------------------- depth matching


def quantile_strata(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Stratum of each observation: quantile bins of ``values`` over all observations.

    The inner bin edges are the ``j / n_bins`` quantiles of ``values`` (``j = 1 … n_bins − 1``,
    numpy's default linear interpolation). Bins are right-closed, ``(e_{j−1}, e_j]``, so tied
    values always share a stratum; coinciding edges merge bins, so fewer than ``n_bins`` strata
    can result (one when ``values`` are constant).

    Parameters
    ----------
    values
        One finite value per observation (e.g. the number of detected genes).
    n_bins
        Number of quantile bins asked for (≥ 1).

    Returns
    -------
    numpy.ndarray of integer stratum labels ``0 … k − 1`` (``k ≤ n_bins``, every label used),
    increasing with ``values``.
    """
    v = np.asarray(values, dtype=np.float64)
    if n_bins < 1:
        msg = f"n_bins must be at least 1, got {n_bins}"
        raise ValueError(msg)
    inner = np.unique(np.quantile(v, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))
    raw = np.searchsorted(inner, v, side="left")
    return np.asarray(np.unique(raw, return_inverse=True)[1], dtype=np.int64).ravel()


def matched_pairs(labels: np.ndarray, strata: np.ndarray) -> int:
    """Number of (positive, negative) pairs that share a stratum."""
    y = np.asarray(labels, dtype=bool)
    g = np.asarray(strata)
    total = 0
    for stratum in np.unique(g):
        inside = g == stratum
        total += int(y[inside].sum()) * int((~y[inside]).sum())
    return total


def depth_matched_auroc(
    scores: np.ndarray | pd.Series, labels: np.ndarray | pd.Series, strata: np.ndarray | pd.Series
) -> float:
    """AUROC over the (positive, negative) pairs that share a stratum only.

    The Mann–Whitney statistic restricted to within-stratum pairs and pooled over strata: the
    share of those pairs in which the positive scores higher (ties count one half). Each stratum
    weighs by its number of pairs; a stratum holding one class only contributes nothing. With one
    stratum it equals :func:`auroc`.

    Parameters
    ----------
    scores
        One score per observation, higher = more senescent. NaN scores are dropped.
    labels
        True for the positive (senescent) observations.
    strata
        Stratum of each observation (e.g. :func:`quantile_strata` of the detected genes).

    Returns
    -------
    float in [0, 1]; NaN when no stratum holds both classes.
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    g = np.asarray(strata)
    keep = np.isfinite(s)
    s, y, g = s[keep], y[keep], g[keep]
    u, pairs = 0.0, 0
    for stratum in np.unique(g):
        inside = g == stratum
        n_pos, n_neg = int(y[inside].sum()), int((~y[inside]).sum())
        if n_pos == 0 or n_neg == 0:
            continue
        ranks = rankdata(s[inside])
        u += float(ranks[y[inside]].sum()) - n_pos * (n_pos + 1) / 2
        pairs += n_pos * n_neg
    return u / pairs if pairs else float("nan")


def bootstrap_depth_matched_aurocs(
    scores: np.ndarray, labels: np.ndarray, strata: np.ndarray, resamples: np.ndarray
) -> np.ndarray:
    """:func:`depth_matched_auroc` of one score on every resample of :func:`stratified_resamples`.

    Every observation keeps its stratum (fixed on the full data); the same ``resamples`` for
    several scores give paired replicates, also paired with :func:`bootstrap_aurocs`.

    Within-stratum ranks come from one row-wise ranking of the key
    ``stratum × (n + 1) + rank(score)``, which orders by stratum, then score (ties stay ties),
    minus the number of the row's observations in lower strata.

    Returns
    -------
    numpy.ndarray of ``n_boot`` values (NaN where a resample has no within-stratum pair).
    """
    s = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(s).all():
        msg = "bootstrap_depth_matched_aurocs needs finite scores"
        raise ValueError(msg)
    codes = np.unique(np.asarray(strata), return_inverse=True)[1].ravel()
    k = int(codes.max()) + 1
    key = codes * (s.size + 1) + rankdata(s)
    y = np.asarray(labels, dtype=bool)[resamples]
    g = codes[resamples]
    ranks = rankdata(key[resamples], axis=1)
    member = g[..., None] == np.arange(k)
    count = member.sum(axis=1)
    pos = (member & y[..., None]).sum(axis=1)
    below = np.cumsum(count, axis=1) - count
    within = ranks - np.take_along_axis(below, g, axis=1)
    u = (within * y).sum(axis=1) - (pos * (pos + 1) / 2).sum(axis=1)
    pairs = (pos * (count - pos)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(pairs > 0, u / np.maximum(pairs, 1), np.nan), dtype=np.float64)


def write_results(out: Path, text: str, results: dict[str, Any]) -> None:
    """The table as Markdown at ``out`` and the figures as JSON beside it; the table printed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(text)
