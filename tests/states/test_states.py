"""State calling on toy data with planted ground truth, and its error paths."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from senox import programs
from senox._errors import InputError
from senox.states import STATE_NAMES, call_states, describe_rules, state_fractions
from senox.states._call import arrest_free_scores
from senox.states._subclusters import structure_test

#: How each planted group scales the programs' genes (1 = baseline).
GROUPS = {
    "proliferating": {"proliferation": 4.0},
    "quiescent": {"proliferation": 0.2},
    "senescent_inflammatory": {"proliferation": 0.2, "senescence": 5.0, "sasp_inflammatory": 8.0},
    "senescent_p53": {"proliferation": 0.2, "senescence": 5.0, "p53_response": 6.0},
    "escape_like": {"proliferation": 4.0, "antioxidant": 8.0, "stemness": 8.0, "oxidant": 0.3},
}


def make_groups(n_per_group: int = 60, seed: int = 0) -> ad.AnnData:
    """Counts where each group up- or down-scales whole catalogue programs."""
    rng = np.random.default_rng(seed)
    catalogue = programs.catalogue()
    genes = sorted(
        {g for p in catalogue.values() for g in p.genes} | {f"FILL{i}" for i in range(1500)}
    )
    position = {g: i for i, g in enumerate(genes)}
    base = rng.gamma(0.6, 2.0, size=len(genes))
    blocks, labels = [], []
    for group, scaling in GROUPS.items():
        rate = np.tile(base, (n_per_group, 1))
        for name, factor in scaling.items():
            cols = [position[g] for g in catalogue[name].up]
            rate[:, cols] *= factor
        blocks.append(rng.poisson(rate * rng.uniform(0.7, 1.3, size=(n_per_group, 1))))
        labels += [group] * n_per_group
    counts = np.vstack(blocks).astype(np.float32)
    values = np.log1p(counts / counts.sum(1, keepdims=True) * 1e4).astype(np.float32)
    obs = pd.DataFrame({"truth": labels, "sample": [f"s{i % 3}" for i in range(len(labels))]})
    obs.index = [f"c{i}" for i in range(len(labels))]
    return ad.AnnData(sparse.csr_matrix(values), obs=obs, var=pd.DataFrame(index=genes))


@pytest.fixture(scope="module")
def groups():
    return make_groups()


def called_copy(adata: ad.AnnData, **kwargs: object) -> ad.AnnData:
    """``call_states(..., copy=True)``, typed as returning the annotated copy."""
    result = call_states(adata, copy=True, **kwargs)  # type: ignore[arg-type]
    assert result is not None
    return result


@pytest.mark.parametrize(
    "reference", [None, "truth=proliferating"], ids=["unlabelled", "reference"]
)
def test_planted_states_are_recovered(groups, reference):
    called = called_copy(groups, reference=reference)
    table = pd.crosstab(called.obs["truth"], called.obs["senox_state"], normalize="index")
    for truth in GROUPS:
        assert table.loc[truth].get(truth, 0.0) >= 0.8, table.round(2).to_string()


def test_quiescent_cells_are_not_called_senescent(groups):
    called = called_copy(groups, reference="truth=proliferating")
    quiescent = called.obs["truth"] == "quiescent"
    states = called.obs.loc[quiescent, "senox_state"].astype(str)
    # a 1.5 SD bar is crossed by 6.7 % of a normal population by construction; a tenth allows
    # for sampling, as in tests/states/test_validation_claims.py
    assert states.str.startswith("senescent").mean() <= 0.10, states.value_counts()
    assert (states == "quiescent").mean() >= 0.85, states.value_counts()


def test_fields_written_and_documented(groups):
    called = called_copy(groups)
    obs = called.obs
    assert set(obs["senox_state"].cat.categories) == set(STATE_NAMES)
    assert obs["senox_confidence"].between(0.5, 1.0).all()
    escape = obs["truth"] == "escape_like"
    assert (
        obs.loc[escape, "senox_redox_index"].median()
        < obs.loc[~escape, "senox_redox_index"].median()
    )
    assert {"CDKN2A", "MKI67", "NQO1"} <= set(called.obsm["senox_biomarkers"].columns)
    axes = called.obsm["senox_axes"]
    senescent = obs["senox_state"].astype(str).str.startswith("senescent").to_numpy()
    assert senescent.any()
    assert (axes.loc[senescent, "sen"] >= 1.5).all()
    assert (axes.loc[senescent, "cycling"] < 0).all()
    assert (axes.loc[obs["senox_state"] == "proliferating", "cycling"] >= 0).all()
    record = called.uns["senox"]["states"]
    assert record["warnings"] == []  # no reference, nothing to warn about
    assert sum(record["counts"].values()) == called.n_obs
    assert record["rules"]["state"][-1] == "other"
    assert len(describe_rules()) == len(STATE_NAMES)


def test_senescent_cells_are_subclustered(groups):
    called = called_copy(groups, reference="truth=proliferating")
    clusters = list(called.uns["senox"]["states"]["senescent_subclusters"].values())
    assert len(clusters) >= 2
    senescent = called.obs["senox_state"].astype(str).str.startswith("senescent")
    assert called.obs.loc[senescent, "senox_subcluster"].notna().all()
    assert called.obs.loc[~senescent, "senox_subcluster"].isna().all()
    tops = {next(iter(c["top_programs"])) for c in clusters}
    assert tops & {"sasp_inflammatory", "p53_response"}
    assert called.uns["senox"]["states"]["subcluster_test"]["supported"]


@pytest.mark.parametrize("method", ["rank", "mean"])
def test_axes_do_not_see_the_cycle_only_genes(groups, method):
    """Arrest that only lowers the cycle-only genes leaves every axis but cycling unchanged."""
    programs_ = programs.catalogue()
    others = {g for name, p in programs_.items() if name != "proliferation" for g in p.genes}
    cycle_only = [g for g in programs_["proliferation"].genes if g not in others]
    arrested = groups.copy()
    values = arrested.X.toarray()
    columns = arrested.var_names.get_indexer(cycle_only)
    values[:, columns] *= 0.05
    arrested.X = sparse.csr_matrix(values)
    before = arrest_free_scores(groups, method, groups.var_names)
    after = arrest_free_scores(arrested, method, arrested.var_names)
    if method == "rank":
        pd.testing.assert_frame_equal(before, after)
    else:  # the mean method's bins follow the data, so only the ranks are shared
        assert before.corrwith(after).min() > 0.99
    assert "proliferation" not in before.columns


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_senescent_kind_is_not_split(seed):
    groups = make_groups(seed=seed)
    one_kind = groups[groups.obs["truth"].isin(["proliferating", "senescent_p53"])].copy()
    called = called_copy(one_kind, reference="truth=proliferating")
    record = called.uns["senox"]["states"]
    assert record["counts"]["senescent_p53"] >= 48  # the planted kind is called...
    assert not record["subcluster_test"]["supported"]  # ...and left whole
    assert record["senescent_subclusters"] == {}
    assert called.obs["senox_subcluster"].isna().all()


def test_structure_test_rejects_two_groups_not_one_gaussian():
    rng = np.random.default_rng(0)
    supported = []
    for draw in range(40):
        root = rng.standard_normal((12, 12))
        points = rng.multivariate_normal(
            np.zeros(12), root @ root.T, size=int(rng.integers(12, 400))
        )
        supported.append(structure_test(points, seed=draw)["supported"])
    assert np.mean(supported) <= 0.10  # level 0.05; SigClust is conservative
    shift = np.zeros(12)
    shift[:3] = 4.0
    two = np.vstack([rng.standard_normal((40, 12)), rng.standard_normal((40, 12)) + shift])
    result = structure_test(two, seed=0)
    assert result["supported"]
    assert result["cluster_index"] < result["null_median"]


def test_observations_without_expression_are_other_and_left_out(groups):
    with_empty = groups.copy()
    values = with_empty.X.toarray()
    values[[0, 70]] = 0.0  # a proliferating and a quiescent cell lose every count
    with_empty.X = sparse.csr_matrix(values)
    called = called_copy(with_empty)
    baseline = called_copy(groups[[i for i in range(groups.n_obs) if i not in (0, 70)]].copy())
    assert list(called.obs["senox_state"].iloc[[0, 70]]) == ["other", "other"]
    assert list(called.obs["senox_confidence"].iloc[[0, 70]]) == [0.5, 0.5]
    assert called.uns["senox"]["states"]["n_without_expression"] == 2
    # the empty observations leave the calibration as if they were not there
    assert called.uns["senox"]["states"]["center"] == baseline.uns["senox"]["states"]["center"]


@pytest.mark.parametrize("n_obs", [1, 2])
def test_too_few_observations_is_a_one_line_error(groups, n_obs):
    with pytest.raises(InputError, match="needs 3 or more to calibrate"):
        call_states(groups[:n_obs].copy())


def test_the_annotated_data_can_be_written_and_read_back(groups, tmp_path):
    called = called_copy(groups, reference="truth=proliferating")
    path = tmp_path / "called.h5ad"
    called.write_h5ad(path)
    back = ad.read_h5ad(path)
    pd.testing.assert_series_equal(back.obs["senox_state"], called.obs["senox_state"])
    pd.testing.assert_frame_equal(back.obsm["senox_axes"], called.obsm["senox_axes"])
    record, written = back.uns["senox"]["states"], called.uns["senox"]["states"]
    assert set(record["senescent_subclusters"]) == set(written["senescent_subclusters"])
    assert record["counts"] == written["counts"]


def test_backed_data_are_called_like_data_in_memory(groups, tmp_path):
    path = tmp_path / "groups.h5ad"
    groups.write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    call_states(backed, reference="truth=proliferating")
    in_memory = called_copy(groups, reference="truth=proliferating")
    pd.testing.assert_series_equal(
        backed.obs["senox_state"], in_memory.obs["senox_state"], check_names=False
    )
    pd.testing.assert_frame_equal(backed.obsm["senox_zscores"], in_memory.obsm["senox_zscores"])


def test_state_fractions_per_group(groups):
    called = called_copy(groups)
    table = state_fractions(called, "sample")
    assert list(table.columns) == ["n", *STATE_NAMES]
    np.testing.assert_allclose(table[list(STATE_NAMES)].sum(axis=1), 1.0)
    assert table["n"].sum() == called.n_obs


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        pytest.param("truth", "COLUMN=VALUE", id="no-equals"),
        pytest.param("nope=x", "not in obs", id="missing-column"),
        pytest.param("truth=unicorn", "matches 0 observations", id="no-match"),
    ],
)
def test_bad_references(groups, reference, message):
    with pytest.raises(InputError, match=message):
        called_copy(groups, reference=reference)


def test_bad_groupby(groups):
    called = called_copy(groups)
    with pytest.raises(InputError, match="--groupby column"):
        state_fractions(called, "batch")
