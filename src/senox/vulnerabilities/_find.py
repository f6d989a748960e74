"""Evidence-base targets that a senescent or escape-like group expresses more, tested, with agents.

For each targeted group (:mod:`senox.vulnerabilities._groups`: the senescent subtypes, the
senescent sub-clusters, ``escape_like``, and any state the user names) every gene the evidence
base names as a target (family targets expanded to their member genes) is tested against the
reference, or against all other observations without one (:mod:`senox.vulnerabilities._stats`:
pseudobulk Welch t-test when samples allow, else a tie-corrected Wilcoxon rank-sum test), with
Benjamini–Hochberg FDR over the genes tested for the group.

A target is a vulnerability of a group when its FDR is at most ``fdr``, it is higher in the group
(log2 fold change > 0), and at least :data:`MIN_DETECTED` of the group, and ``min_obs``
observations of it, express it: where nearly every value is a tied zero, the rank test's normal
approximation is far too confident about a gene that two or three observations express. Each is
joined with the agents that inhibit it (agents that activate or induce a target do not exploit
its high expression). Groups with fewer than ``min_obs`` observations on either side
(:data:`MIN_OBS`) are not tested; they get one row with status ``too small``.

For senescent groups, targets whose inhibition only imposes arrest are left out
(:data:`ARREST_ONLY_TARGETS`, each with its source): senescent cells are arrested already, and
these agents induce senescence rather than remove it.

These are hypotheses from expression, not predictions of response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.sparse import csc_matrix

from senox._errors import InputError
from senox.kb import STAGES, agent_standing, checked_stages, load_evidence
from senox.kb._columns import RAISING_EFFECTS
from senox.vulnerabilities._groups import Group, sample_labels, targeted_groups
from senox.vulnerabilities._stats import STAT_COLUMNS, compare_group, target_matrix

if TYPE_CHECKING:
    from collections.abc import Sequence

    from anndata import AnnData
    from numpy.typing import NDArray

    from senox.kb._evidence import Evidence

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
    "comparison",
    "method",
    "status",
    *STAT_COLUMNS[2:],  # the test's figures: log2_fold_change … n_samples_comparison
    "agent_usable",
    "agent_note",
    "pmid_note",
]

#: Fewest observations on each side of a test. The rank test's best two-sided p-value (perfect
#: separation, no ties, normal approximation) is ``2 * norm.sf(sqrt(3 * n1 * n0 / (n1 + n0 +
#: 1)))``; against a large comparison it is 0.083 for 1 observation, 0.014 for 2, 0.0027 for 3,
#: 5.3e-4 for 4 and 1.1e-4 for 5. Benjamini–Hochberg's bar for the best of the 58 target genes
#: at FDR 0.1 is 0.1 / 58 = 1.7e-3: a group of 3 can never reach it, one of 4 only with perfect
#: separation, one of 5 with room for some overlap (docs/vulnerabilities.md).
MIN_OBS = 5

#: Fewest pseudobulks (samples) on each side for the Welch test: with 2, each side's variance
#: rests on one degree of freedom and Welch's degrees of freedom can fall to 1 (a Cauchy
#: reference), where the test has almost no power; 3 gives each variance 2.
MIN_SAMPLES = 3

#: Share of the group that must express a target (value > 0) for it to count.
MIN_DETECTED = 0.1

#: Targets whose inhibition only imposes arrest: not vulnerabilities of senescent cells.
ARREST_ONLY_TARGETS = {
    "CDK4": "CDK4/6 inhibitors induce senescence (seed §2.2, Wang B. et al., 2022; §3.3, "
    "Crozier et al., 2023)",
    "CDK6": "CDK4/6 inhibitors induce senescence (seed §2.2, Wang B. et al., 2022; §3.3, "
    "Crozier et al., 2023)",
    "MAP2K1": "MEK inhibitors induce senescence (seed §3.3, Crozier et al., 2023)",
    "MAP2K2": "MEK inhibitors induce senescence (seed §3.3, Crozier et al., 2023)",
    "AR": "androgen deprivation induces oxidative stress-driven senescence in prostate cancer "
    "(seed §4.1.4, Zhang et al., 2023)",
}

#: scanpy's fold change adds 1e-9 to each side's mean, so a gene the comparison never expresses
#: gets about log2(mean / 1e-9) >= 20; the evidence text says so instead of quoting it as a size.
UNEXPRESSED_LOG2FC = 20.0

#: Columns that hold numbers (NaN on the rows of untested groups).
NUMERIC_COLUMNS = ["log2_fold_change", "auroc", "p_value", "fdr", "detected_fraction"]

#: Order of the status column: tested rows first.
VULNERABILITY, TOO_SMALL = "vulnerability", "too small"

DISCLAIMER = (
    "Vulnerabilities are hypotheses from expression (an evidence-base target expressed more in "
    "senescent or escape-like cells than in the reference (or the other cells), by a "
    "differential test with FDR control, joined with agents that inhibit it in the evidence "
    "base); they are not predictions of response."
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


def _best_stage(stages: pd.Series) -> str:
    order = {stage: i for i, stage in enumerate(STAGES)}
    known = [str(s) for s in stages if s in order]
    if known:
        return max(known, key=order.__getitem__)
    return next((str(s) for s in stages if s), "not stated")


def _pmid_note(pmids: str, sources: pd.Series, citations: pd.Series) -> str:
    if pmids:
        return ""
    where = "; ".join(sorted({s for s in sources if s}))
    cited = "; ".join(sorted({c for c in citations if c}))
    said = f" (source: {where}" + (f"; cited as: {cited})" if cited else ")")
    return "the seed cites no PMID for this record" + said


def agent_table(evidence: Evidence) -> pd.DataFrame:
    """One row per (target, agent) that inhibits it: class, stage, PMIDs or why none, standing."""
    records = evidence.records
    records = records[
        records["target_kind"].isin(["gene", "family"]) & ~records["effect"].isin(RAISING_EFFECTS)
    ]
    standing = agent_standing(evidence)
    records = records.assign(stage=checked_stages(records, standing))
    grouped = records.groupby(["target", "agent"], sort=False)
    table = grouped.agg(
        agent_class=("agent_class", "first"),
        stage=("stage", _best_stage),
        pmids=("pmid", lambda v: ";".join(sorted({str(p) for p in v if str(p).strip()}))),
        sources=("source", list),
        citations=("citation", list),
    ).reset_index()
    table["pmid_note"] = [
        _pmid_note(p, pd.Series(s), pd.Series(c))
        for p, s, c in zip(table.pmids, table.sources, table.citations, strict=True)
    ]
    table["agent_usable"] = table.agent.map(standing["usable"]).fillna(value=False).astype(bool)
    reason = table.agent.map(standing["reason"]).fillna("not in the evidence base's agent list")
    table["agent_note"] = reason.where(~table.agent_usable, "")
    return table.drop(columns=["sources", "citations"])


def _evidence_text(row: pd.Series) -> str:
    samples = (
        f"; {row.n_samples_group} vs {row.n_samples_comparison} samples"
        if not pd.isna(row.n_samples_group)
        else ""
    )
    change = f"{row.log2_fold_change:+.2f}"
    if row.log2_fold_change >= UNEXPRESSED_LOG2FC:
        change += " (not expressed in the comparison)"
    return (
        f"log2FC {change}, AUROC {row.auroc:.2f}, FDR {row.fdr:.2g}; "
        f"expressed in {row.detected_fraction:.0%} of {row.n_group} vs {row.n_comparison} "
        f"observations{samples}"
    )


def _too_small(group: Group, min_obs: int) -> pd.DataFrame:
    n_group, n_comparison = group.sides.sizes
    row: dict[str, object] = dict.fromkeys(VULNERABILITY_COLUMNS, "")
    row.update(dict.fromkeys(NUMERIC_COLUMNS, np.nan))
    row.update(
        state=group.name,
        comparison=group.comparison,
        status=TOO_SMALL,
        evidence=(
            f"not tested: {n_group} observations in the group, {n_comparison} in the "
            f"comparison; {min_obs} or more on each side are needed"
        ),
        n_group=n_group,
        n_comparison=n_comparison,
        agent_usable=False,
        agent_note="no agent: the group was not tested",
        pmid_note="no target was tested: the group is too small",
    )
    return pd.DataFrame([row])


def _vulnerabilities(
    stats: pd.DataFrame,
    group: Group,
    targets: pd.DataFrame,
    agents: pd.DataFrame,
    thresholds: tuple[float, int],
) -> pd.DataFrame:
    fdr, min_obs = thresholds
    expressing = (stats.detected_fraction * stats.n_group).round()
    hits = stats[
        (stats.fdr <= fdr)
        & (stats.log2_fold_change > 0)
        & (stats.detected_fraction >= MIN_DETECTED)
        & (expressing >= min_obs)
    ]
    joined = hits.merge(targets, on="gene").merge(agents, on="target")
    joined["target"] = np.where(
        joined.target == joined.gene, joined.gene, joined.target + " (" + joined.gene + ")"
    )
    joined["evidence"] = [_evidence_text(row) for _, row in joined.iterrows()]
    return joined.assign(state=group.name, comparison=group.comparison, status=VULNERABILITY)


def _order(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    stage = {s: i for i, s in enumerate(STAGES)}
    keys = table.assign(
        _status=(table.status != VULNERABILITY).astype(int),
        _state=table.state.map({n: i for i, n in enumerate(names)}),
        _effect=-pd.to_numeric(table.log2_fold_change, errors="coerce"),
        _stage=-table.stage.map(stage).fillna(-1),
    )
    ordered = keys.sort_values(
        ["_status", "_state", "fdr", "_effect", "_stage", "agent"], na_position="last"
    )
    return ordered[VULNERABILITY_COLUMNS].reset_index(drop=True)


def _genes(adata: AnnData, targets: pd.DataFrame) -> list[str]:
    if not adata.var_names.is_unique:
        msg = "adata.var_names repeat; merge or rename them (adata.var_names_make_unique())"
        raise InputError(msg)
    return sorted(set(targets["gene"]) & set(map(str, adata.var_names)))


def _layer(adata: AnnData, layer: str | None) -> None:
    if layer is not None and layer not in adata.layers:
        found = ", ".join(adata.layers) or "none"
        msg = f"layer '{layer}' is not in adata.layers (layers: {found}); omit it to use X"
        raise InputError(msg)


def _log1p_targets(adata: AnnData, genes: list[str], layer: str | None) -> csc_matrix:
    """The target genes' values, refused when negative (scaled data give no fold change)."""
    matrix = target_matrix(adata, genes, layer)
    if matrix.nnz and matrix.data.min() < 0:
        where = "X" if layer is None else f"layers['{layer}']"
        msg = (
            f"adata.{where} holds negative values (scaled data?); vulnerabilities need "
            "log-normalised values (log1p of normalised counts): pass the layer that holds them"
        )
        raise InputError(msg)
    return matrix


def find_vulnerabilities(
    adata: AnnData,
    *,
    key_added: str = "senox",
    reference: str | tuple[str, str] | None = None,
    sample_key: str | None = None,
    states: Sequence[str] | None = None,
    layer: str | None = None,
    fdr: float = 0.1,
    min_obs: int = MIN_OBS,
    min_samples: int = MIN_SAMPLES,
) -> pd.DataFrame:
    """Evidence-base targets enriched in senescent and escape-like groups, tested, with agents.

    Parameters
    ----------
    adata
        Log-normalised expression (log1p) with states from :func:`senox.states.call_states`.
    key_added
        The ``key_added`` used for the states.
    reference
        ``"COLUMN=VALUE"``: compare each group's observations outside the reference with the
        reference observations. Without it, each group is compared with all other observations.
    sample_key
        Column of ``obs`` naming each observation's sample (single-cell data with several cells
        per sample): pseudobulk Welch t-tests across samples when each side has ``min_samples``
        samples with 10 or more observations; otherwise the rank test on observations.
    states
        Further states to test (e.g. ``["quiescent"]``; ``other`` only when named).
    layer
        Layer of log-normalised values to read instead of ``X``.
    fdr
        Benjamini–Hochberg FDR at which a target counts.
    min_obs
        Fewest observations on each side for a group to be tested (:data:`MIN_OBS`), and
        fewest observations of the group that must express a target for it to count.
    min_samples
        Fewest pseudobulks on each side for the pseudobulk test (:data:`MIN_SAMPLES`).

    Returns
    -------
    One row per group × target × agent for the vulnerabilities (status ``vulnerability``), then
    one row per group too small to test (status ``too small``); columns
    :data:`VULNERABILITY_COLUMNS`. Groups in priority order (senescent subtypes, sub-clusters,
    ``escape_like``, named states); within a group by FDR, then log2 fold change, then stage.
    """
    _layer(adata, layer)
    evidence = load_evidence()
    targets = _target_genes(evidence.records, evidence.families)
    genes = _genes(adata, targets)
    groups = targeted_groups(adata, key_added, reference, states)
    samples = sample_labels(adata, sample_key)
    agents = agent_table(evidence)
    matrix = _log1p_targets(adata, genes, layer) if groups and genes else None
    parts = [pd.DataFrame(columns=VULNERABILITY_COLUMNS)]
    for group in groups:
        if min(group.sides.sizes) < min_obs:
            parts.append(_too_small(group, min_obs))
        elif matrix is not None:
            stats = _group_stats(matrix, genes, group, samples, min_samples)
            parts.append(_vulnerabilities(stats, group, targets, agents, (fdr, min_obs)))
    table = pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)
    return _typed(_order(table, [g.name for g in groups]))


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """Numbers as floats, counts as nullable integers, ``agent_usable`` as bool."""
    for column in NUMERIC_COLUMNS:
        table[column] = pd.to_numeric(table[column]).astype(float)
    for column in ("n_group", "n_comparison", "n_samples_group", "n_samples_comparison"):
        table[column] = pd.to_numeric(table[column]).astype("Int64")
    table["agent_usable"] = table["agent_usable"].astype(bool)
    return table


def _group_stats(
    matrix: csc_matrix,
    genes: list[str],
    group: Group,
    samples: NDArray[np.str_] | None,
    min_samples: int,
) -> pd.DataFrame:
    """The group's tests, without the arrest-only targets when the group is senescent."""
    kept = [g not in ARREST_ONLY_TARGETS or not group.senescent for g in genes]
    columns = np.flatnonzero(kept)
    sub = csc_matrix(matrix[:, columns])
    stats = compare_group(
        sub, [genes[i] for i in columns], group.sides, samples=samples, min_samples=min_samples
    )
    return stats[STAT_COLUMNS]
