"""State calls in bulk designs of 6-15 samples, 2-3 per group, with and without a reference."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from senox import programs
from senox._errors import InputError
from senox.states import call_states
from senox.states._calibrate import calibrate
from senox.states._cycling import SPLIT_P, split_test
from tests.states.test_states import GROUPS

SENESCENT = {"senescent_inflammatory", "senescent_p53"}


def make_bulk(composition: dict[str, int], seed: int = 0) -> ad.AnnData:
    """Deep bulk profiles: each planted group scales whole programs; replicates are tight."""
    rng = np.random.default_rng(seed)
    catalogue = programs.catalogue()
    genes = sorted(
        {g for p in catalogue.values() for g in p.genes} | {f"FILL{i}" for i in range(1500)}
    )
    position = {g: i for i, g in enumerate(genes)}
    base = rng.gamma(0.6, 2.0, size=len(genes)) * 200  # deep: hundreds of reads per gene
    rows, labels = [], []
    for group, n in composition.items():
        rate = np.tile(base, (n, 1))
        for name, factor in GROUPS[group].items():
            rate[:, [position[g] for g in catalogue[name].up]] *= factor
        rows.append(rng.poisson(rate * rng.uniform(0.9, 1.1, size=(n, len(genes)))))
        labels += [group] * n
    counts = np.vstack(rows).astype(np.float64)
    values = np.log1p(counts / counts.sum(1, keepdims=True) * 1e6)
    obs = pd.DataFrame({"truth": labels}, index=[f"s{i}" for i in range(len(labels))])
    return ad.AnnData(values, obs=obs, var=pd.DataFrame(index=genes))


def _called(adata: ad.AnnData, reference: str | None) -> pd.Series:
    result = call_states(adata, reference=reference, copy=True)
    assert result is not None
    called: pd.Series = result.obs["senox_state"].astype(str)
    return called


@pytest.mark.parametrize("n_reference", [2, 3])
@pytest.mark.parametrize(
    "others",
    [
        {"senescent_p53": 2, "quiescent": 2},
        {"senescent_inflammatory": 3, "senescent_p53": 3, "quiescent": 3},
        {"senescent_inflammatory": 3, "quiescent": 3, "proliferating": 6},
    ],
    ids=["6-7 samples", "11-12 samples", "14-15 samples"],
)
def test_planted_bulk_groups_are_called_with_a_small_reference(n_reference, others):
    adata = make_bulk({"proliferating": n_reference, **others}, seed=n_reference)
    adata.obs["ref"] = ["yes"] * n_reference + ["no"] * (adata.n_obs - n_reference)
    called = _called(adata, "ref=yes")
    truth = adata.obs["truth"]
    senescent = truth.str.startswith("senescent")
    assert called[senescent].isin(SENESCENT).all(), called[senescent]
    # Quiescent: arrested, never senescent (an SASP shift past its bar leaves it 'other').
    assert called[truth == "quiescent"].isin(["quiescent", "other"]).all()
    # Proliferating: cycling (noise in a reference of 2-3 can reach the escape-like bars).
    assert called[truth == "proliferating"].isin(["proliferating", "escape_like"]).all()


def test_a_program_a_small_reference_does_not_vary_gets_a_spread_from_the_others():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(8, 6))
    values[1, 0] = values[0, 0] + 1e-6  # the two reference values of program 'a' nearly agree
    scores = pd.DataFrame(values, columns=list("abcdef"))
    reference = pd.Series([True, True] + [False] * 6)
    calibration = calibrate(scores, reference)
    others = calibration.scale.drop("a").median()
    assert calibration.scale["a"] >= 0.1 * others  # borrowed from the other programs
    assert np.abs(calibration.zscores(scores).to_numpy()).max() < 50


def test_a_reference_of_two_is_accepted_and_called():
    adata = make_bulk({"proliferating": 2, "senescent_p53": 3, "quiescent": 3})
    adata.obs["ref"] = ["yes"] * 2 + ["no"] * 6
    result = call_states(adata, reference="ref=yes", copy=True)
    assert result is not None
    assert np.isfinite(result.obsm["senox_zscores"].to_numpy()).all()
    assert result.uns["senox"]["states"]["cycling_rule"]["rule"] == "reference"


def test_a_senescent_minority_is_called_without_a_reference():
    adata = make_bulk({"proliferating": 9, "senescent_p53": 3})
    result = call_states(adata, copy=True)
    assert result is not None
    called = result.obs["senox_state"].astype(str)
    assert called[adata.obs["truth"] == "senescent_p53"].isin(SENESCENT).all()
    assert (called[adata.obs["truth"] == "proliferating"] == "proliferating").all()
    assert result.uns["senox"]["states"]["baseline"] == "all observations"  # a minority arrested


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "composition",
    [
        {"proliferating": 3, "senescent_inflammatory": 3},
        {"proliferating": 6, "senescent_p53": 6},
        {"proliferating": 2, "senescent_inflammatory": 6},
        {"proliferating": 3, "senescent_inflammatory": 3, "senescent_p53": 3},
    ],
    ids=["3+3", "6+6", "2+6", "3+3+3"],
)
def test_a_senescent_half_or_majority_is_called_without_a_reference(composition, seed):
    """The usual bulk design, control against treated, with no reference named: the median
    observation is no baseline when half the samples or more are senescent (they were called
    quiescent); the cycling samples, which the split of the proliferation scores finds, are."""
    adata = make_bulk(composition, seed=seed)
    result = call_states(adata, copy=True)
    assert result is not None
    called = result.obs["senox_state"].astype(str)
    truth = adata.obs["truth"]
    assert called[truth.str.startswith("senescent")].isin(SENESCENT).all(), called
    assert called[truth == "proliferating"].isin(["proliferating", "escape_like"]).all()
    record = result.uns["senox"]["states"]
    assert record["cycling_rule"]["rule"] == "split"
    assert record["baseline"] == "cycling observations"
    assert record["n_baseline"] == composition["proliferating"]
    assert any("served as the reference" in w for w in record["warnings"])
    n = composition["proliferating"]  # a small baseline is unstable, named or standing in
    assert any(f"stands in for a reference holds {n} observations" in w for w in record["warnings"])


def test_a_larger_bulk_design_judged_by_the_mixture_takes_its_cycling_samples_too():
    adata = make_bulk({"proliferating": 15, "senescent_p53": 15})
    result = call_states(adata, copy=True)
    assert result is not None
    record = result.uns["senox"]["states"]
    assert record["cycling_rule"]["rule"] == "mixture"
    assert record["baseline"] == "cycling observations"
    called = result.obs["senox_state"].astype(str)
    assert called[adata.obs["truth"] == "senescent_p53"].isin(SENESCENT).all(), called


def test_single_cells_keep_the_whole_data_as_baseline():
    """200 observations or more are cells, whose cycling ones are no control group."""
    adata = make_bulk({"proliferating": 60, "senescent_p53": 140})
    result = call_states(adata, copy=True)
    assert result is not None
    assert result.uns["senox"]["states"]["baseline"] == "all observations"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quiescent_samples_against_the_split_cycling_group_are_not_senescent(seed):
    adata = make_bulk({"proliferating": 3, "quiescent": 3}, seed=seed)
    called = _called(adata, None)
    assert called[adata.obs["truth"] == "quiescent"].isin(["quiescent", "other"]).all(), called


@pytest.mark.parametrize("n", [6, 9, 15])
def test_the_split_test_rarely_splits_one_gaussian_sample(n):
    rng = np.random.default_rng(n)
    rejected = [split_test(rng.normal(size=n), seed=i).supported for i in range(100)]
    assert np.mean(rejected) <= 2 * SPLIT_P  # nominal 5 %; 100 draws


def test_the_split_test_finds_two_separated_groups():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0, 1, 3), rng.normal(8, 1, 3)])
    split = split_test(values)
    assert split.supported
    assert split.n_low == 3


def test_cycling_calls_with_an_extreme_senescence_axis_are_reported():
    adata = make_bulk({"proliferating": 8, "quiescent": 3})
    catalogue = programs.catalogue()
    up = np.flatnonzero(adata.var_names.isin(catalogue["senescence"].up))
    adata.X[0, up] += 3.0  # a cycling sample with the senescence program far up
    result = call_states(adata, copy=True)
    assert result is not None
    warnings = result.uns["senox"]["states"]["warnings"]
    expected = "1 observation called cycling has the senescence axis"
    assert any(expected in w for w in warnings), warnings


def test_an_all_arrested_design_without_reference_says_arrest_was_not_judged():
    # Serum-starved samples only (the rat quiescence series' design): nothing to compare with.
    called = call_states(make_bulk({"quiescent": 9}), copy=True)
    assert called is not None
    record = called.uns["senox"]["states"]
    assert record["cycling_rule"]["rule"] == "sign"
    assert any("arrest was judged by each observation" in w for w in record["warnings"])
    # With a split to read (cycling and arrested samples side by side) there is no such warning.
    mixed = call_states(make_bulk({"proliferating": 4, "quiescent": 4}), copy=True)
    assert mixed is not None
    assert mixed.uns["senox"]["states"]["cycling_rule"]["rule"] == "split"
    assert not any("arrest was judged" in w for w in mixed.uns["senox"]["states"]["warnings"])


# A reference of 2 crosses at 11 %: its spread has one degree of freedom and the prior's
# own/whole ratio (a median of such spreads) is biased low; correcting the ratio broke the
# arrest rule against a reference (the whole-data spread of `proliferation` carries the
# biology). Known, reported, not yet fixed.
@pytest.mark.parametrize("n_reference", [3, 5])
def test_a_small_reference_crosses_the_senescent_bar_at_the_nominal_rate(n_reference):
    # No change anywhere: 12 programs of normal scores with their own spreads; the share of
    # non-reference values at z >= 1.5 is the 1.5 SD bar's one-sided tail, 6.7 %. The MAD of
    # 2-3 values and a raw z gave 12-28 % on planted bulk data (docs/senescence-axis.md).
    rng = np.random.default_rng(n_reference)
    spreads = rng.uniform(0.5, 2.0, size=12)
    crossed = []
    for _ in range(400):
        scores = pd.DataFrame(rng.normal(size=(n_reference + 20, 12)) * spreads)
        reference = pd.Series([True] * n_reference + [False] * 20)
        z = calibrate(scores, reference).zscores(scores)
        crossed.append((z[~reference.to_numpy()] >= 1.5).to_numpy().mean())
    assert 0.067 - 0.015 <= np.mean(crossed) <= 0.067 + 0.015, np.mean(crossed)


def test_a_zero_inflated_program_gives_bounded_zscores() -> None:
    # a sparse program scores 0 in most cells: its MAD and IQR are 0, its spread is not
    rng = np.random.default_rng(5)
    values = np.where(rng.uniform(size=2000) < 0.85, 0.0, rng.exponential(0.02, size=2000))
    scores = pd.DataFrame({"oxidant": values, "dense": rng.normal(size=2000)})
    z = calibrate(scores).zscores(scores)
    assert z["oxidant"].abs().max() < 20


def test_a_batch_key_calibrates_each_batch_against_its_own_reference() -> None:
    # Two strains: the second expresses the senescence program 4-fold higher throughout, as
    # fibroblast strains differ. Each has 3 proliferating and 3 senescent samples. Against all
    # six proliferating samples pooled, the first strain's senescent samples are called
    # quiescent (their sen axis 0.8-0.9: the pooled spread holds the strain difference).
    first = make_bulk({"proliferating": 3, "senescent_p53": 3}, seed=5)
    second = make_bulk({"proliferating": 3, "senescent_p53": 3}, seed=6)
    up = np.flatnonzero(second.var_names.isin(programs.catalogue()["senescence"].up))
    second.X[:, up] += np.log(4.0)
    adata = ad.concat([first, second], index_unique="-")
    adata.obs["strain"] = ["a"] * first.n_obs + ["b"] * second.n_obs
    adata.obs["ref"] = np.where(adata.obs["truth"] == "proliferating", "yes", "no")
    called = call_states(adata, reference="ref=yes", batch_key="strain", copy=True)
    assert called is not None
    state = called.obs["senox_state"].astype(str)
    truth = adata.obs["truth"]
    assert state[truth == "senescent_p53"].isin(SENESCENT).all(), state
    assert state[truth == "proliferating"].isin(["proliferating", "escape_like"]).all(), state
    assert called.uns["senox"]["states"]["baseline"] == "reference group of each batch"
    # An observation without any expression is 'other' and still gets its batch's z-scores.
    adata.X[-1] = 0.0
    empty = call_states(adata, reference="ref=yes", batch_key="strain", copy=True)
    assert empty is not None
    assert empty.obs["senox_state"].iloc[-1] == "other"
    assert np.isfinite(empty.obsm["senox_zscores"].to_numpy()).all()


def test_batch_key_errors_are_one_line() -> None:
    adata = make_bulk({"proliferating": 4, "quiescent": 4})
    adata.obs["ref"] = ["yes"] * 4 + ["no"] * 4
    adata.obs["strain"] = ["a", "a", "b", "b", "a", "b", "c", "c"]  # batch c has no reference
    with pytest.raises(InputError, match="batch\\(es\\) c hold fewer than 2 reference"):
        call_states(adata, reference="ref=yes", batch_key="strain", copy=True)
    with pytest.raises(InputError, match="name them with --reference"):
        call_states(adata, batch_key="strain", copy=True)
    with pytest.raises(InputError, match="--batch-key donor: no such column"):
        call_states(adata, reference="ref=yes", batch_key="donor", copy=True)
