"""Seeded toy data for the vulnerability tests: Poisson counts, log1p, states and samples."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anndata as ad
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: Genes of the toy: evidence-base targets (BCL2L1: navitoclax; TXNRD1: auranofin; HMOX1: the
#: unresolved 'SGNI'; CDK4: CDK4/6 inhibitors; MTOR: inhibitors and the activator MHY1485),
#: and GAPDH, which is no target.
GENES = ["BCL2L1", "TXNRD1", "HMOX1", "CDK4", "MTOR", "GPX4", "SLC7A11", "GAPDH"]


def toy(
    sizes: Mapping[str, int],
    planted: Mapping[tuple[str, str], float] | None = None,
    *,
    genes: Sequence[str] = GENES,
    samples: int = 0,
    seed: int = 0,
) -> ad.AnnData:
    """Observations in states of the given ``sizes``; ``planted[(state, gene)]`` adds that mean.

    Counts are Poisson with mean 0.5 (plus the planted mean); X is their log1p, float32 CSR, as
    ``senox.io.read`` leaves it. With ``samples``, observations are dealt round-robin to that
    many samples (``obs['sample']``); ``obs['condition']`` alternates ``treated``/``control``.
    """
    rng = np.random.default_rng(seed)
    state = np.concatenate([[name] * n for name, n in sizes.items()])
    lam = np.full((state.size, len(genes)), 0.5)
    for (name, gene), mean in (planted or {}).items():
        lam[state == name, list(genes).index(gene)] += mean
    adata = ad.AnnData(
        csr_matrix(np.log1p(rng.poisson(lam)).astype(np.float32)),
        obs=pd.DataFrame(index=[f"o{i}" for i in range(state.size)]),
        var=pd.DataFrame(index=list(genes)),
    )
    adata.obs["senox_state"] = pd.Categorical(state)
    adata.obs["condition"] = np.where(np.arange(state.size) % 2, "treated", "control")
    if samples:
        adata.obs["sample"] = [f"s{i % samples}" for i in range(state.size)]
    return adata
