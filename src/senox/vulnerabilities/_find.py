"""Targets of the evidence base that a state expresses more than the other states do.

For every called state (and every senescent sub-cluster) and every gene the evidence base names as
a target (family targets expanded to their member genes), the expression evidence is the AUROC of
the gene for that group against all other observations, with the difference in mean
log-expression and the share of the group that expresses it. A target counts as a vulnerability
of a group when its AUROC is at least ``min_auroc``, its mean is higher, and at least
``min_detected`` of the group expresses it. Each is joined with the agents acting on it.

These are hypotheses from expression, not predictions of response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.sparse import issparse
from scipy.stats import rankdata

from senox._errors import InputError
from senox.kb import STAGES, load_evidence

if TYPE_CHECKING:
    from anndata import AnnData
    from numpy.typing import NDArray

#: Columns of the vulnerability table (the first seven are the report's contract).
VULNERABILITY_COLUMNS = [
    "state",
    "target",
    "agent",
    "agent_class",
    "stage",
    "evidence",
    "pmids",
    "gene",
    "auroc",
    "mean_difference",
    "detected_fraction",
    "n_obs",
]

#: Groups with fewer observations than this get no expression evidence.
MIN_OBS = 3

DISCLAIMER = (
    "Vulnerabilities are hypotheses from expression (a target expressed more in a state than in "
    "the other states, joined with agents that act on it in the evidence base); they are not "
    "predictions of response."
)


def _target_genes(records: pd.DataFrame, families: dict[str, list[str]]) -> pd.DataFrame:
    """One row per (target label, gene) for gene and family targets."""
    rows = []
    for target, kind in (
        records[["target", "target_kind"]].drop_duplicates().itertuples(index=False)
    ):
        if kind == "gene":
            rows.append((target, target))
        elif kind == "family":
            rows += [(target, gene) for gene in families.get(target, [])]
    return pd.DataFrame(rows, columns=["target", "gene"]).drop_duplicates()


def _groups(adata: AnnData, key: str) -> dict[str, NDArray[np.bool_]]:
    column = f"{key}_state"
    if column not in adata.obs:
        msg = f"adata.obs has no '{column}': run senox.states.call_states first"
        raise InputError(msg)
    state = adata.obs[column].astype(str).to_numpy()
    groups = {name: state == name for name in pd.unique(state)}
    sub = adata.obs.get(f"{key}_subcluster")
    if sub is not None:
        for label in sorted(pd.unique(sub.dropna())):
            groups[f"senescent subcluster {int(label)}"] = (sub == label).to_numpy()
    return groups


def _dense(adata: AnnData, genes: list[str]) -> NDArray[np.float64]:
    matrix = adata[:, genes].X
    values = matrix.toarray() if issparse(matrix) else np.asarray(matrix)
    return np.asarray(values, dtype=np.float64)


def expression_evidence(
    adata: AnnData, genes: list[str], groups: dict[str, NDArray[np.bool_]]
) -> pd.DataFrame:
    """AUROC, mean difference and detected fraction of each gene for each group vs the rest."""
    values = _dense(adata, genes)
    ranks = rankdata(values, axis=0)
    detected = values > 0
    rows = []
    for name, mask in groups.items():
        n1, n0 = int(mask.sum()), int((~mask).sum())
        if n1 < MIN_OBS or n0 == 0:
            continue
        auroc = (ranks[mask].sum(axis=0) - n1 * (n1 + 1) / 2) / (n1 * n0)
        difference = values[mask].mean(axis=0) - values[~mask].mean(axis=0)
        frame = pd.DataFrame(
            {
                "state": name,
                "gene": genes,
                "auroc": auroc,
                "mean_difference": difference,
                "detected_fraction": detected[mask].mean(axis=0),
                "n_obs": n1,
            }
        )
        rows.append(frame)
    columns = ["state", "gene", "auroc", "mean_difference", "detected_fraction", "n_obs"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)


def _agents(records: pd.DataFrame) -> pd.DataFrame:
    """One row per (target, agent): class, most advanced stage, PMIDs."""
    order = {stage: i for i, stage in enumerate(STAGES)}

    def best_stage(stages: pd.Series) -> str:
        known = [s for s in stages if s in order]
        return max(known, key=order.__getitem__) if known else "not stated"

    def pmids(values: pd.Series) -> str:
        return ";".join(sorted({str(v) for v in values if str(v).strip()}))

    grouped = records.groupby(["target", "agent"], sort=False)
    return grouped.agg(
        agent_class=("agent_class", "first"), stage=("stage", best_stage), pmids=("pmid", pmids)
    ).reset_index()


def find_vulnerabilities(
    adata: AnnData,
    *,
    key_added: str = "senox",
    min_auroc: float = 0.6,
    min_detected: float = 0.1,
) -> pd.DataFrame:
    """Evidence-base targets enriched in each state, with their agents, ranked.

    Parameters
    ----------
    adata
        Log-normalised expression with states from :func:`senox.states.call_states`.
    key_added
        The ``key_added`` used for the states.
    min_auroc, min_detected
        Thresholds on the gene's AUROC for the group against the rest and on the share of the
        group that expresses it.

    Returns
    -------
    One row per state × target × agent (:data:`VULNERABILITY_COLUMNS`), ranked within each state
    by AUROC, then by the agent's most advanced stage.
    """
    evidence = load_evidence()
    records = evidence.records
    records = records[records["target_kind"].isin(["gene", "family"])]
    targets = _target_genes(records, evidence.families)
    genes = sorted(set(targets["gene"]) & set(map(str, adata.var_names)))
    if not genes:
        return pd.DataFrame(columns=VULNERABILITY_COLUMNS)
    table = expression_evidence(adata, genes, _groups(adata, key_added))
    enriched = table[
        (table.auroc >= min_auroc)
        & (table.mean_difference > 0)
        & (table.detected_fraction >= min_detected)
    ]
    joined = enriched.merge(targets, on="gene").merge(_agents(records), on="target")
    if joined.empty:
        return pd.DataFrame(columns=VULNERABILITY_COLUMNS)
    joined["target"] = np.where(
        joined.target == joined.gene, joined.gene, joined.target + " (" + joined.gene + ")"
    )
    joined["evidence"] = [
        f"AUROC {a:.2f}; mean log-expression {d:+.2f}; expressed in {f:.0%} of {n}"
        for a, d, f, n in zip(
            joined.auroc,
            joined.mean_difference,
            joined.detected_fraction,
            joined.n_obs,
            strict=True,
        )
    ]
    stage_rank = joined.stage.map({s: i for i, s in enumerate(STAGES)}).fillna(-1)
    joined = joined.assign(_stage=stage_rank).sort_values(
        ["state", "auroc", "_stage", "agent"], ascending=[True, False, False, True]
    )
    return joined[VULNERABILITY_COLUMNS].reset_index(drop=True)
