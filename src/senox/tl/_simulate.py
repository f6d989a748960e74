"""``simulate``: therapy strategies on the mechanistic model, seeded from an AnnData's states."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from senox._errors import InputError
from senox.model import (
    builtin_strategies,
    dose_equivalents,
    initial_from_fractions,
    load_strategies,
    rank_strategies,
    simulate_strategies,
)
from senox.states._call import parse_reference

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from anndata import AnnData


def seed_fractions(
    adata: AnnData, *, reference: str | tuple[str, str] | None, key_added: str
) -> dict[str, float]:
    """Fractions of each state outside the reference group (all observations without one)."""
    column = f"{key_added}_state"
    if column not in adata.obs.columns:
        msg = (
            f"obs[{column!r}] is missing: call states first (sx.tl.call_states(adata, "
            f"key_added={key_added!r}))"
        )
        raise InputError(msg)
    mask = parse_reference(adata, reference)
    treated = np.ones(adata.n_obs, dtype=bool) if mask is None else ~mask.to_numpy()
    if not treated.any():
        msg = f"reference {reference} holds every observation; none is left to seed the model"
        raise InputError(msg)
    counts = adata.obs[column].astype(str)[treated].value_counts(normalize=True)
    return {str(state): float(share) for state, share in counts.items() if share > 0}


def simulate(
    adata: AnnData,
    *,
    strategies: Sequence[str | Path] | None = None,
    reference: str | tuple[str, str] | None = None,
    key_added: str = "senox",
    cohort: int = 200,
    seed: int = 0,
    days: float = 365.0,
    copy: bool = False,
) -> AnnData | None:
    """Simulate therapy strategies on senox's model, seeded from the observed state fractions.

    The AnnData-aware form of :func:`senox.model.simulate_strategies`, as ``senox run`` uses
    it: the states of the observations outside the reference (the treated ones) set the
    model's initial tumour composition (:func:`senox.model.initial_from_fractions`); every
    strategy is simulated for a virtual cohort. For trajectories, other models or a
    ``dask.distributed`` cluster, call :func:`senox.model.simulate_strategies` directly.

    Parameters
    ----------
    adata
        Observations with states (:func:`senox.tl.call_states`).
    strategies
        Shipped strategy names (``senox strategies list``) or strategy files; default: every
        shipped strategy.
    reference
        ``"COLUMN=VALUE"``: observations left out of the initial fractions (the untreated
        controls). Default: every observation counts.
    key_added
        Prefix of the states read and of the field written.
    cohort, seed
        Virtual patients per strategy (0: one run on the default parameters) and the seed of
        their parameter draw.
    days
        Horizon in days; relapse is looked for within it.
    copy
        Return an annotated copy instead of writing into ``adata``.

    Returns
    -------
    ``None``, or the annotated copy when ``copy=True``. Sets:

    ``adata.uns[key_added]["simulation"]`` : dict
        ``params`` (strategies, reference, cohort, seed, days), ``initial`` (the model's
        initial values), ``summary`` (DataFrame: one row per strategy × virtual patient, as
        :attr:`senox.model.SimulationResult.summary`), ``ranked`` (DataFrame: one row per
        strategy, ranked as ``senox run`` ranks them: :func:`senox.model.rank_strategies`)
        and ``days``. ``sx.pl.strategies``
        draws it.
    """
    fractions = seed_fractions(adata, reference=reference, key_added=key_added)
    initial = initial_from_fractions(fractions)
    names = list(strategies) if strategies is not None else builtin_strategies()
    chosen = load_strategies(names)
    result = simulate_strategies(chosen, cohort=cohort, seed=seed, days=days, initial=initial)
    ranked = rank_strategies(
        result.summary, days=days, dose_equivalents=dose_equivalents(chosen), seed=seed
    )
    adata = adata.copy() if copy else adata
    params: dict[str, Any] = {
        "strategies": [str(name) for name in names],
        "reference": "" if reference is None else str(reference),
        "cohort": cohort,
        "seed": seed,
        "days": days,
    }
    adata.uns.setdefault(key_added, {})["simulation"] = {
        "params": params,
        "initial": initial,
        "summary": result.summary,
        "ranked": ranked,
        "days": days,
    }
    return adata if copy else None
