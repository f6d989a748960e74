"""``simulate``: therapy strategies on the mechanistic model, seeded from an AnnData's states."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from senox._defaults import COHORT
from senox.model import builtin_strategies, load_strategies, simulate_observed

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from anndata import AnnData


def simulate(
    adata: AnnData,
    *,
    strategies: Sequence[str | Path] | None = None,
    reference: str | tuple[str, str] | None = None,
    key_added: str = "senox",
    cohort: int = COHORT,
    seed: int = 0,
    days: float = 365.0,
    copy: bool = False,
) -> AnnData | None:
    """Simulate therapy strategies on senox's model, seeded from the observed state fractions.

    The AnnData-aware form of :func:`senox.model.simulate_strategies`, as ``senox run`` uses
    it: the states of the observations outside the reference (the treated ones) set the
    model's initial tumour composition (:func:`senox.model.initial_from_fractions`), their
    program z-scores the windows of some parameters (:func:`senox.model.model_inputs`); every
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
        initial values), ``model_inputs`` (DataFrame: the measured features and the parameter
        windows they set), ``summary`` (DataFrame: one row per strategy × virtual patient, as
        :attr:`senox.model.SimulationResult.summary`), ``ranked`` (DataFrame: one row per
        strategy, ranked as ``senox run`` ranks them: :func:`senox.model.rank_strategies`)
        and ``days``. ``sx.pl.strategies``
        draws it.
    """
    names = list(strategies) if strategies is not None else builtin_strategies()
    run = simulate_observed(
        adata,
        load_strategies(names),
        reference=reference,
        cohort=cohort,
        seed=seed,
        days=days,
        key_added=key_added,
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
        "initial": run.initial,
        "model_inputs": run.inputs,
        "summary": run.result.summary,
        "ranked": run.ranked,
        "days": days,
    }
    return adata if copy else None
