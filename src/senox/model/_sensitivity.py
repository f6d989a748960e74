"""Which parameters decide whether each seed claim holds: partial rank correlations over a cohort.

For every claim (:data:`senox.model.CLAIMS`) and every parameter that varies across a virtual
cohort, the partial rank correlation coefficient (PRCC) between the parameter and the claim's
per-patient outcome (1 holds, 0 fails), controlling for every other varying parameter. PRCC is
the global sensitivity measure of Marino et al. 2008 (J Theor Biol 254:178, "A methodology for
performing global uncertainty and sensitivity analysis in systems biology"); it suits monotone
effects on a sampled cohort of any design, which Sobol indices (they need their own sample
design, and converge slowly on a 0/1 outcome) do not. Computed from the inverse of the
rank-correlation matrix (the partial correlation of i and j given the rest is
``-P_ij / sqrt(P_ii P_jj)``), identical to correlating the residuals of rank regressions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from senox._errors import InputError
from senox.model._claims import CLAIMS, Runs
from senox.model._simulate import sample_cohort
from senox.model._spec import ModelSpec, load_model

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: A claim counts as holding by construction of the model when it holds in every patient of
#: the cohort: no parameter within its plausible range can make it fail.
BY_CONSTRUCTION = 1.0


def _check_size(n: int, k: int) -> None:
    if n < k + 2:
        msg = (
            f"a cohort of {n} patients for {k} varying parameters: partial rank correlations "
            f"need at least {k + 2} patients (more for useful p-values); enlarge the cohort"
        )
        raise InputError(msg)


def prcc(
    inputs: NDArray[np.float64], outcome: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Partial rank correlation of each input column with ``outcome``, and its two-sided p-value.

    ``inputs`` is (samples × inputs), every column varying. The p-value is the t test of a
    partial correlation with ``n - 2 - (k - 1)`` degrees of freedom (k inputs). A constant
    outcome has no correlation: NaN throughout.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(size=(400, 3))
    >>> r, p = prcc(x, np.exp(x[:, 0]) - x[:, 1] ** 3 + rng.normal(scale=0.1, size=400))
    >>> r.round(2).tolist(), bool(p[2] > 0.05)
    ([0.96, -0.85, -0.04], True)
    """
    n, k = inputs.shape
    _check_size(n, k)
    if np.ptp(outcome) == 0:
        return np.full(k, np.nan), np.full(k, np.nan)
    ranks = np.column_stack([stats.rankdata(c) for c in (*inputs.T, outcome)])
    precision = np.linalg.pinv(np.corrcoef(ranks, rowvar=False))
    r = -precision[:k, k] / np.sqrt(precision[:k, :k].diagonal() * precision[k, k])
    r = np.clip(r, -1.0, 1.0)
    dof = n - 2 - (k - 1)
    with np.errstate(divide="ignore"):
        t = r * np.sqrt(dof / (1.0 - r**2))
    return r, 2.0 * stats.t.sf(np.abs(t), dof)


def claim_sensitivity(
    *,
    cohort: int = 1000,
    seed: int = 0,
    model: str | ModelSpec = "redox_senescence",
    parameters: NDArray[np.float64] | None = None,
) -> pd.DataFrame:
    """PRCC of every varying parameter with each claim's outcome over a virtual cohort.

    ``parameters`` (patients × model parameters) replaces the cohort drawn from the plausible
    ranges (``cohort`` patients, ``seed``), e.g. an ensemble from a calibration. Returns one row
    per claim and parameter: ``claim``, ``share`` (patients in whom the claim holds),
    ``by_construction`` (it holds in every patient), ``parameter``, ``prcc``, ``p_value`` and
    ``q_value`` (Benjamini–Hochberg over the whole table), sorted by claim then by ``|prcc|``.
    """
    spec = model if isinstance(model, ModelSpec) else load_model(model)
    matrix = sample_cohort(spec, cohort, seed) if parameters is None else parameters
    varying = np.flatnonzero(np.ptp(matrix, axis=0) > 0)
    names = [spec.parameter_names[i] for i in varying]
    _check_size(len(matrix), len(varying))
    runs = Runs(spec, matrix)
    frames = []
    for claim in CLAIMS:
        holds = claim.holds(runs).astype(np.float64)
        r, p = prcc(matrix[:, varying], holds)
        frames.append(
            pd.DataFrame(
                {
                    "claim": claim.key,
                    "share": holds.mean(),
                    "by_construction": holds.mean() >= BY_CONSTRUCTION,
                    "parameter": names,
                    "prcc": r,
                    "p_value": p,
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    tested = table["p_value"].notna()
    table["q_value"] = np.nan
    table.loc[tested, "q_value"] = stats.false_discovery_control(table.loc[tested, "p_value"])
    order = table.assign(strength=-table["prcc"].abs()).sort_values(
        ["claim", "strength"], kind="stable"
    )
    return order.drop(columns="strength").reset_index(drop=True)
