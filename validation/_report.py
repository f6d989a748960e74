"""Helpers shared by the validation scripts: AUROC and Markdown tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata


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
