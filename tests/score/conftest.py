"""A seeded toy data set with known structure: program genes rise with a per-cell activity."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse


def make_toy(n_obs: int = 600, n_vars: int = 1500, seed: int = 0) -> ad.AnnData:
    """Counts with library-size noise; genes G0-G59 scale with ``obs['activity']``."""
    rng = np.random.default_rng(seed)
    base = rng.gamma(0.3, 1.0, size=n_vars)
    activity = rng.uniform(0, 1, size=n_obs)
    rate = np.tile(base, (n_obs, 1))
    rate[:, :60] *= (1 + 4 * activity)[:, None]
    counts = rng.poisson(rate * rng.uniform(0.5, 2.0, size=n_obs)[:, None])
    values = np.log1p(counts / np.maximum(counts.sum(1, keepdims=True), 1) * 1e4).astype(np.float32)
    return ad.AnnData(
        sparse.csr_matrix(values),
        obs=pd.DataFrame({"activity": activity}, index=[f"cell{i}" for i in range(n_obs)]),
        var=pd.DataFrame(index=[f"G{i}" for i in range(n_vars)]),
    )


def scored(adata: ad.AnnData, *args: object, **kwargs: object) -> ad.AnnData:
    """``score_programs(..., copy=True)``, typed as returning the scored copy."""
    from senox.score import score_programs

    result = score_programs(adata, *args, copy=True, **kwargs)  # type: ignore[arg-type]
    assert result is not None
    return result


@pytest.fixture(scope="module")
def toy() -> ad.AnnData:
    return make_toy()


@pytest.fixture(scope="module")
def signatures(toy: ad.AnnData) -> dict[str, list[str]]:
    genes = list(toy.var_names)
    return {
        "planted": genes[:60],
        "random": [*genes[500:540], "NOT_IN_DATA"],
        "signed": genes[:30] + [f"{g}-" for g in genes[800:820]],
    }
