"""From what was measured to the virtual patients: program scores narrow the parameter ranges.

A virtual cohort draws every parameter from its plausible range (:func:`sample_cohort`). When a
transcriptome was measured, a few of those ranges need not stay wide: a tumour whose treated cells
express the proliferation program far above the reference grows faster than one that does not.
Each :class:`Link` ties one measured feature (a program z-score, :mod:`senox.states`) to model
parameters that the program reads out, in a stated direction, with its rationale.

The mapping is deliberately coarse, because the scale between a z-score and a rate is unknown:

- the feature value ``z`` is the median z-score of the treated observations (those outside the
  reference), or of the treated observations in the state the link reads (senescent for SASP
  features, escape-like for the escaped cells' growth) when there are at least
  :data:`MIN_IN_STATE` of them (else the link is not used), clipped to ±:data:`Z_CLIP`;
- ``q = Φ(z / Z_SCALE)`` places it in the parameter's range (on a log scale for positive ranges):
  ``z = 0`` (like the reference) is the middle of the range, ``z = +2`` the 84th percentile;
- the cohort then draws the parameter from the window of half-width :data:`WINDOW` around ``q``
  (shifted to stay inside the range), so patients still differ, but around the measured value.

Without a reference, z-scores are relative to the data's own median observation, so features
sit near 0 and the cohort near the middle of each range: the data then move the model little,
and the report says so.

:func:`seed_fractions` and :func:`model_inputs` read both from an annotated AnnData, for
``senox run`` and ``sx.tl.simulate`` alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import norm

from senox._errors import InputError
from senox.model._rank import dose_equivalents, rank_strategies
from senox.model._simulate import SimulationResult, initial_from_fractions, simulate_strategies
from senox.model._spec import load_model

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from anndata import AnnData
    from numpy.typing import NDArray

    from senox.model._spec import ModelSpec
    from senox.model._strategy import Strategy

#: z-scores are clipped to ± this before they place a parameter.
Z_CLIP = 4.0
#: z / Z_SCALE is the normal quantile of the parameter's position in its range.
Z_SCALE = 2.0
#: Half-width of the window a personalised parameter is drawn from (share of its range).
WINDOW = 0.25
#: Treated observations a state needs before a link reads a feature from that state.
MIN_IN_STATE = 5


@dataclass(frozen=True)
class Link:
    """A measured feature, the parameters it informs, its direction and why."""

    feature: str
    parameters: tuple[str, ...]
    sign: int
    among: str  # "treated", "senescent" or "escape_like"
    rationale: str


#: The links, each from a program of the catalogue (``senox programs``) to model parameters.
LINKS = (
    Link(
        "proliferation",
        ("r_P",),
        +1,
        among="treated",
        rationale="the proliferation program (cell-cycle genes) rises with the share of "
        "dividing cells and their rate of division",
    ),
    Link(
        "proliferation",
        ("r_E",),
        +1,
        among="escape_like",
        rationale="escaped cells re-enter the cycle (seed §4.2.1): their proliferation program "
        "reports how fast they regrow",
    ),
    Link(
        "antioxidant",
        ("q_E", "n_max"),
        +1,
        among="treated",
        rationale="NRF2 target genes report antioxidant capacity: the escaped cells' extra "
        "capacity and how far ROS can induce NRF2 (seed §4.2.1)",
    ),
    Link(
        "ferroptosis_defense",
        ("k_Gdeg",),
        +1,
        among="treated",
        rationale="cystine import and GSH synthesis genes (SLC7A11, GCLM, GPX4 axis) set how "
        "fast glutathione is replenished (seed §4.1.1)",
    ),
    Link(
        "stemness",
        ("k_esc",),
        +1,
        among="treated",
        rationale="escape from senescence goes with stem-like reprogramming (seed §4.2.1)",
    ),
    Link(
        "anti_apoptotic",
        ("k_sd",),
        -1,
        among="senescent",
        rationale="senescent cells survive through BCL-2-family anti-apoptotic genes, the "
        "targets of senolytics (seed §4.1.3): more of them, slower intrinsic death",
    ),
    Link(
        "sasp",
        ("s_n", "s_p"),
        +1,
        among="senescent",
        rationale="SASP genes expressed per senescent cell set its secretion rate (seed §2.2)",
    ),
    Link(
        "sasp_inflammatory_vs_p53",
        ("f_inf",),
        +1,
        among="senescent",
        rationale="an NF-κB-inflammatory SASP over a p53 response means damage-induced "
        "senescence is mostly of the inflammatory type (seed §2.2)",
    ),
)

#: Features computed from two programs: name → (minuend, subtrahend).
DERIVED = {"sasp_inflammatory_vs_p53": ("sasp_inflammatory", "p53_response")}


def _feature_column(zscores: pd.DataFrame, feature: str) -> pd.Series | None:
    if feature in DERIVED:
        a, b = DERIVED[feature]
        return zscores[a] - zscores[b] if {a, b} <= set(zscores) else None
    column: pd.Series | None = zscores.get(feature)
    return column


def measured_features(
    zscores: pd.DataFrame, treated: NDArray[np.bool_], state: NDArray[np.str_]
) -> pd.DataFrame:
    """Each link's feature: its median z-score, over which observations, and how many.

    ``zscores``: program z-scores per observation (``obsm['senox_zscores']``); ``treated``: the
    observations outside the reference; ``state``: the called state of each observation.
    """
    in_state = {
        "treated": treated,
        "senescent": treated & np.char.startswith(state.astype(str), "senescent"),
        "escape_like": treated & (state == "escape_like"),
    }
    rows = []
    for link in LINKS:
        column = _feature_column(zscores, link.feature)
        mask = in_state[link.among]
        if column is None or (link.among != "treated" and mask.sum() < MIN_IN_STATE):
            continue
        values = column.to_numpy(dtype=float)[mask]
        values = values[np.isfinite(values)]
        if not values.size:
            continue
        rows.append(
            {
                "feature": link.feature,
                "among": link.among,
                "z": float(np.clip(np.median(values), -Z_CLIP, Z_CLIP)),
                "n": int(values.size),
            }
        )
    return pd.DataFrame(rows, columns=["feature", "among", "z", "n"])


def _window(q: float) -> tuple[float, float]:
    low = min(max(q - WINDOW, 0.0), 1.0 - 2 * WINDOW)
    return low, low + 2 * WINDOW


def parameter_ranges(features: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """The window each linked parameter is drawn from, given the measured features.

    Returns one row per parameter: ``parameter``, ``feature``, ``among``, ``z``, ``position``
    (the quantile ``q`` in its range), ``low``, ``high`` (the window), ``range_low``,
    ``range_high`` (the plausible range), ``rationale``.
    """
    by_name = {p.name: p for p in spec.parameters}
    z_of = {
        (f, a): z
        for f, a, z in zip(features["feature"], features["among"], features["z"], strict=True)
    }
    rows = []
    for link in LINKS:
        z = z_of.get((link.feature, link.among))
        if z is None:
            continue
        q = float(norm.cdf(link.sign * z / Z_SCALE))
        start, stop = _window(q)
        for name in link.parameters:
            p = by_name[name]
            rows.append(
                {
                    "parameter": name,
                    "feature": link.feature,
                    "among": link.among,
                    "z": z,
                    "position": q,
                    "low": _at(p.low, p.high, start),
                    "high": _at(p.low, p.high, stop),
                    "range_low": p.low,
                    "range_high": p.high,
                    "rationale": link.rationale,
                }
            )
    columns = ["parameter", "feature", "among", "z", "position", "low", "high"]
    columns += ["range_low", "range_high"]
    return pd.DataFrame(rows, columns=[*columns, "rationale"])


def _at(low: float, high: float, share: float) -> float:
    """The point ``share`` of the way through [low, high]: log scale when low > 0."""
    if low > 0:
        return float(np.exp(np.log(low) + share * (np.log(high) - np.log(low))))
    return float(low + share * (high - low))


def ranges_of(table: pd.DataFrame) -> Mapping[str, tuple[float, float]]:
    """``{parameter: (low, high)}`` from :func:`parameter_ranges`, for ``simulate_strategies``."""
    return {
        str(p): (float(lo), float(hi))
        for p, lo, hi in zip(table["parameter"], table["low"], table["high"], strict=True)
    }


def treated_mask(adata: AnnData, reference: str | tuple[str, str] | None) -> NDArray[np.bool_]:
    """Observations outside the reference (all of them without one)."""
    from senox.states._call import parse_reference  # senox.states is heavy; only the API needs it

    mask = parse_reference(adata, reference)
    treated: NDArray[np.bool_] = (
        np.ones(adata.n_obs, dtype=bool) if mask is None else ~mask.to_numpy()
    )
    return treated


def _states(adata: AnnData, key_added: str) -> pd.Series:
    column = f"{key_added}_state"
    if column not in adata.obs.columns:
        msg = (
            f"obs[{column!r}] is missing: call states first (sx.tl.call_states(adata, "
            f"key_added={key_added!r}))"
        )
        raise InputError(msg)
    states: pd.Series = adata.obs[column].astype(str)
    return states


def seed_fractions(
    adata: AnnData, *, reference: str | tuple[str, str] | None, key_added: str = "senox"
) -> dict[str, float]:
    """Fractions of each state outside the reference group (all observations without one)."""
    state = _states(adata, key_added)
    treated = treated_mask(adata, reference)
    if not treated.any():
        msg = f"reference {reference} holds every observation; none is left to seed the model"
        raise InputError(msg)
    counts = state[treated].value_counts(normalize=True)
    return {str(name): float(share) for name, share in counts.items() if share > 0}


def model_inputs(
    adata: AnnData, *, reference: str | tuple[str, str] | None, key_added: str = "senox"
) -> pd.DataFrame:
    """The measured features and the parameter windows they give the virtual cohort.

    One row per parameter (:func:`senox.model.parameter_ranges`), from the treated
    observations' program z-scores (``obsm[f"{key_added}_zscores"]``).
    """
    features = measured_features(
        pd.DataFrame(adata.obsm[f"{key_added}_zscores"], index=adata.obs_names),
        treated_mask(adata, reference),
        _states(adata, key_added).to_numpy(),
    )
    return parameter_ranges(features, load_model("redox_senescence"))


@dataclass(frozen=True)
class ObservedSimulation:
    """Strategies simulated from observed data: the start, the windows, outcomes and ranking."""

    initial: dict[str, float]
    inputs: pd.DataFrame
    result: SimulationResult
    ranked: pd.DataFrame


def simulate_observed(
    adata: AnnData,
    strategies: Sequence[Strategy],
    *,
    reference: str | tuple[str, str] | None,
    cohort: int,
    seed: int,
    days: float,
    key_added: str = "senox",
    scheduler: str | None = None,
) -> ObservedSimulation:
    """Simulate and rank ``strategies`` on a cohort seeded from an AnnData's called states.

    The treated observations' state fractions set the initial tumour
    (:func:`seed_fractions`, :func:`senox.model.initial_from_fractions`) and their programs the
    parameter windows (:func:`model_inputs`); trajectories are kept as quartiles; the ranking is
    :func:`senox.model.rank_strategies`. ``senox run`` and ``sx.tl.simulate`` both use it.
    ``scheduler``: a ``dask.distributed`` address to run the cohort on.
    """
    initial = initial_from_fractions(
        seed_fractions(adata, reference=reference, key_added=key_added)
    )
    inputs = model_inputs(adata, reference=reference, key_added=key_added)
    result = simulate_strategies(
        strategies,
        cohort=cohort,
        seed=seed,
        days=days,
        initial=initial,
        ranges=ranges_of(inputs) if cohort else None,
        trajectories="quartiles",
        scheduler=scheduler,
    )
    ranked = rank_strategies(
        result.summary, days=result.days, dose_equivalents=dose_equivalents(strategies), seed=seed
    )
    return ObservedSimulation(initial, inputs, result, ranked)
