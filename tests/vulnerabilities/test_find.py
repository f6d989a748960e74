"""find_vulnerabilities on seeded toy data with known truth: planted targets, nulls, designs."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from senox._errors import InputError
from senox.kb import agent_standing, load_evidence
from senox.report import VULNERABILITY_COLS
from senox.vulnerabilities import MIN_OBS, VULNERABILITY_COLUMNS, find_vulnerabilities
from senox.vulnerabilities._groups import sample_labels
from tests.vulnerabilities._toy import toy

SIZES = {"senescent_inflammatory": 60, "escape_like": 60, "proliferating": 180}
PLANTED = {("senescent_inflammatory", "BCL2L1"): 3.0, ("escape_like", "TXNRD1"): 3.0}


def _rows(table: pd.DataFrame, state: str) -> pd.DataFrame:
    return table[(table.state == state) & (table.status == "vulnerability")]


def test_planted_targets_are_found_with_their_agents() -> None:
    table = find_vulnerabilities(toy(SIZES, PLANTED))
    assert list(table.columns) == VULNERABILITY_COLUMNS
    assert VULNERABILITY_COLUMNS[:7] == VULNERABILITY_COLS  # the report's contract comes first
    # False discoveries among the unplanted genes are the null test's business (below).
    senescent = _rows(table, "senescent_inflammatory")
    assert senescent.gene.iloc[0] == "BCL2L1"
    assert "navitoclax" in set(senescent.agent)
    assert "TXNRD1" not in set(senescent.gene)  # lower there than in the escape-like cells
    escape = _rows(table, "escape_like")
    assert escape.gene.iloc[0] == "TXNRD1"
    assert "auranofin" in set(escape.agent)
    assert (table.fdr <= 0.1).all()
    assert (table.log2_fold_change > 0).all()
    assert (table.detected_fraction >= 0.1).all()
    assert "proliferating" not in set(table.state)  # not a targeted state
    first = table.iloc[0]
    assert "FDR" in first.evidence
    assert f"{first.n_group} vs {first.n_comparison}" in first.evidence


def test_permuted_states_give_discoveries_at_most_at_the_nominal_rate() -> None:
    evidence = load_evidence()
    genes = sorted(set(evidence.records.loc[evidence.records.target_kind == "gene", "target"]))
    adata = toy(SIZES, {("senescent_inflammatory", g): 2.0 for g in genes[:10]}, genes=genes)
    assert len(_rows(find_vulnerabilities(adata), "senescent_inflammatory")) > 0  # not null yet
    rng = np.random.default_rng(7)
    tests = hits = 0
    for _ in range(20):
        adata.obs["senox_state"] = rng.permutation(adata.obs["senox_state"].to_numpy())
        table = find_vulnerabilities(adata)
        for state in SIZES:
            if state != "proliferating":
                tests += 1
                hits += int(len(_rows(table, state)) > 0)
    # Under the complete null, BH at FDR 0.1 makes any discovery with probability <= 0.1
    # (and we count only the higher-in-group half): 40 tests, expect <= 4 with any.
    assert hits <= 6, f"{hits} of {tests} null groups had a discovery"


def test_a_group_of_three_is_too_small_and_not_tested() -> None:
    sizes = {"senescent_p53": 3, **SIZES}
    table = find_vulnerabilities(toy(sizes, {("senescent_p53", "BCL2L1"): 20.0, **PLANTED}))
    p53 = table[table.state == "senescent_p53"]
    assert len(p53) == 1
    row = p53.iloc[0]
    assert row.status == "too small"
    assert (row.n_group, row.n_comparison) == (3, 300)
    assert np.isnan(row.fdr)
    assert f"{MIN_OBS} or more" in row.evidence
    assert row.pmid_note
    assert (table.status.iloc[-1:] == "too small").all()  # after the tested rows


def test_a_group_of_one_observation() -> None:
    table = find_vulnerabilities(toy({"escape_like": 1, "proliferating": 50}))
    assert list(table.state) == ["escape_like"]
    assert table.status.iloc[0] == "too small"
    assert table.n_group.iloc[0] == 1


def test_other_is_tested_only_when_named_and_never_leads() -> None:
    sizes = {"other": 150, **SIZES}
    planted = {("other", "GPX4"): 5.0, **PLANTED}
    assert "other" not in set(find_vulnerabilities(toy(sizes, planted)).state)
    table = find_vulnerabilities(toy(sizes, planted), states=["other"])
    assert "GPX4" in set(_rows(table, "other").gene)
    assert table.state.iloc[0] == "senescent_inflammatory"
    assert list(pd.unique(table.state)) == ["senescent_inflammatory", "escape_like", "other"]


def test_reference_and_no_reference_comparisons() -> None:
    adata = toy(SIZES, PLANTED)
    plain = find_vulnerabilities(adata)
    assert (plain.comparison == "vs all other observations").all()
    assert (_rows(plain, "escape_like").n_comparison == 240).all()
    versus = find_vulnerabilities(adata, reference="condition=control")
    escape = _rows(versus, "escape_like")
    assert (escape.comparison == "vs reference condition=control").all()
    treated = (adata.obs.condition == "treated") & (adata.obs.senox_state == "escape_like")
    assert (escape.n_group == treated.sum()).all()
    assert (escape.n_comparison == (adata.obs.condition == "control").sum()).all()
    assert escape.gene.iloc[0] == "TXNRD1"


def test_pseudobulk_when_samples_allow() -> None:
    sizes = {"senescent_inflammatory": 120, "proliferating": 120}
    adata = toy(sizes, {("senescent_inflammatory", "BCL2L1"): 3.0}, samples=6)
    table = find_vulnerabilities(adata, sample_key="sample")
    rows = _rows(table, "senescent_inflammatory")
    assert rows.gene.iloc[0] == "BCL2L1"
    assert rows.method.str.startswith("Welch").all()
    assert (rows.n_samples_group == 6).all()
    assert (rows.n_samples_comparison == 6).all()
    assert "6 vs 6 samples" in rows.evidence.iloc[0]
    few = find_vulnerabilities(adata, sample_key="sample", min_samples=7)
    assert _rows(few, "senescent_inflammatory").method.str.startswith("Wilcoxon").all()


def test_every_row_has_pmids_or_says_why_not() -> None:
    sizes = {"senescent_p53": 2, **SIZES}
    planted = {**PLANTED, ("escape_like", "GPX4"): 3.0, ("senescent_inflammatory", "MTOR"): 3.0}
    table = find_vulnerabilities(toy(sizes, planted))
    has_pmids = table.pmids.astype(str).str.len() > 0
    has_note = table.pmid_note.astype(str).str.len() > 0
    assert (has_pmids ^ has_note).all()
    assert not has_pmids.all()  # the toy reaches records without a PMID (seed sections)
    note = table.loc[table.agent == "BCL-2 inhibitors", "pmid_note"].iloc[0]
    assert "seed §4.1.3" in note


def test_unresolved_agents_are_unusable_and_unverified() -> None:
    table = find_vulnerabilities(toy(SIZES, {("senescent_inflammatory", "HMOX1"): 3.0}))
    sgni = table[table.agent == "SGNI"].iloc[0]
    assert not sgni.agent_usable
    assert sgni.stage == "unverified"
    assert "unresolved" in sgni.agent_note
    standing = agent_standing(load_evidence())
    tested = table[table.status == "vulnerability"]
    usable = tested.agent.map(standing["usable"]).astype(bool)
    assert (tested.agent_usable == usable).all()
    assert (tested.loc[~usable, "stage"] == "unverified").all()
    assert (tested.loc[usable, "agent_note"] == "").all()


def test_arrest_only_targets_are_left_out_for_senescent_cells_only() -> None:
    planted = {("senescent_inflammatory", "CDK4"): 3.0, ("escape_like", "CDK4"): 3.0}
    table = find_vulnerabilities(toy(SIZES, planted))
    assert "CDK4" not in set(_rows(table, "senescent_inflammatory").gene)
    assert "CDK4/6 inhibitors" in set(_rows(table, "escape_like").agent)


def test_activators_of_a_target_are_not_its_agents() -> None:
    table = find_vulnerabilities(toy(SIZES, {("senescent_inflammatory", "MTOR"): 3.0}))
    agents = set(_rows(table, "senescent_inflammatory").agent)
    assert "rapamycin" in agents
    assert "MHY1485" not in agents  # an mTOR activator (seed §4.1.4)


def test_rows_are_ordered_by_fdr_within_a_state() -> None:
    planted = {**PLANTED, ("senescent_inflammatory", "GPX4"): 0.8}
    rows = _rows(find_vulnerabilities(toy(SIZES, planted)), "senescent_inflammatory")
    assert rows.fdr.is_monotonic_increasing
    assert rows.gene.iloc[0] == "BCL2L1"


@pytest.mark.parametrize(
    ("state", "n_rows"),
    [
        pytest.param("proliferating", 0, id="untargeted"),
        pytest.param("senescent_p53", 1, id="targeted"),
    ],
)
def test_one_state_for_every_observation(state: str, n_rows: int) -> None:
    adata = toy({state: 40})
    table = find_vulnerabilities(adata)  # no comparison left: nothing to test
    assert list(table.columns) == VULNERABILITY_COLUMNS
    assert len(table) == n_rows
    assert (table.status == "too small").all()


def test_dense_input_gives_the_sparse_result() -> None:
    adata = toy(SIZES, PLANTED)
    dense = adata.copy()
    dense.X = adata.X.toarray()
    pd.testing.assert_frame_equal(find_vulnerabilities(adata), find_vulnerabilities(dense))


@pytest.mark.parametrize(
    ("change", "kwargs", "match"),
    [
        pytest.param("no-states", {}, "call_states", id="no-states"),
        pytest.param("", {"states": ["senescent"]}, "not a state senox calls", id="bad-state"),
        pytest.param("", {"sample_key": "donor"}, "sample_key 'donor'", id="no-sample-column"),
        pytest.param("", {"reference": "condition"}, "COLUMN=VALUE", id="bad-reference"),
        pytest.param("", {"layer": "counts"}, "layer 'counts'", id="no-layer"),
        pytest.param("negative", {}, "negative values", id="scaled"),
    ],
)
def test_bad_input_is_one_line(change: str, kwargs: dict[str, object], match: str) -> None:
    adata = toy(SIZES, PLANTED)
    if change == "no-states":
        del adata.obs["senox_state"]
    if change == "negative":
        adata.X = adata.X.toarray() - 1.0
    with pytest.raises(InputError, match=match) as error:
        find_vulnerabilities(adata, **kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(error.value)


def test_a_target_expressed_by_too_few_observations_does_not_count() -> None:
    # 3 of 20 senescent observations express GPX4 (15 %), none of the others: all else is a
    # tied zero, and the normal approximation calls that significant.
    adata = toy({"senescent_inflammatory": 20, "proliferating": 280})
    x = adata.X.toarray()
    x[:, adata.var_names.get_loc("GPX4")] = 0.0
    x[:3, adata.var_names.get_loc("GPX4")] = 3.0
    adata.X = x
    assert "GPX4" not in set(find_vulnerabilities(adata).gene)
    assert "GPX4" in set(find_vulnerabilities(adata, min_obs=3).gene)


def test_missing_sample_labels_are_read_as_no_sample() -> None:
    obs = pd.DataFrame({"donor": ["a", None, "b"]}, index=["c0", "c1", "c2"])
    adata = ad.AnnData(np.zeros((3, 1)), obs=obs)
    labels = sample_labels(adata, "donor")
    assert labels is not None
    assert labels.tolist() == ["a", "", "b"]
