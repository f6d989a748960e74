"""Vulnerabilities: targets enriched in a state, joined with agents; toy data with known truth."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix

from senox._errors import InputError
from senox.vulnerabilities import VULNERABILITY_COLUMNS, expression_evidence, find_vulnerabilities


def _toy() -> ad.AnnData:
    """60 cells: BCL2L1 high only in the senescent ones, TXNRD1 only in the escape-like ones."""
    rng = np.random.default_rng(0)
    genes = ["BCL2L1", "TXNRD1", "GAPDH", "SLC7A11"]
    x = rng.poisson(0.2, size=(60, 4)).astype(float)
    x[:20, 0] += 5
    x[20:40, 1] += 5
    x[:, 2] += 3
    adata = ad.AnnData(csr_matrix(np.log1p(x)), var=pd.DataFrame(index=genes))
    adata.obs_names = [f"c{i}" for i in range(60)]
    state = ["senescent_inflammatory"] * 20 + ["escape_like"] * 20 + ["proliferating"] * 20
    adata.obs["senox_state"] = pd.Categorical(state)
    return adata


def test_enriched_targets_map_to_their_agents() -> None:
    table = find_vulnerabilities(_toy())
    assert list(table.columns) == VULNERABILITY_COLUMNS
    senescent = table[table.state == "senescent_inflammatory"]
    assert set(senescent.target) == {"BCL2L1"}
    assert "navitoclax" in set(senescent.agent)
    escape = table[table.state == "escape_like"]
    assert set(escape.target) == {"TXNRD1"}
    assert "auranofin" in set(escape.agent)
    assert (table.auroc >= 0.6).all()
    assert table.loc[table.agent == "auranofin", "pmids"].iloc[0]
    assert "proliferating" not in set(table.state)  # nothing is enriched there


def test_auroc_matches_a_direct_count() -> None:
    adata = _toy()
    groups = {"s": (adata.obs.senox_state == "senescent_inflammatory").to_numpy()}
    table = expression_evidence(adata, ["BCL2L1", "GAPDH"], groups).set_index("gene")
    auroc = table["auroc"].astype(float).to_dict()
    x = adata[:, "GAPDH"].X.toarray().ravel()
    pos, neg = x[groups["s"]], x[~groups["s"]]
    direct = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert auroc["GAPDH"] == pytest.approx(direct / (len(pos) * len(neg)))
    assert auroc["BCL2L1"] > 0.95


def test_states_are_required() -> None:
    adata = _toy()
    del adata.obs["senox_state"]
    with pytest.raises(InputError, match="call_states"):
        find_vulnerabilities(adata)


def test_one_state_for_every_observation_gives_an_empty_table() -> None:
    adata = _toy()
    adata.obs["senox_state"] = pd.Categorical(["proliferating"] * adata.n_obs)
    table = find_vulnerabilities(adata)  # no group has a rest to compare with
    assert table.empty
    assert list(table.columns) == VULNERABILITY_COLUMNS
