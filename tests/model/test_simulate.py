"""Strategies on senox's own model: invariants, an analytic sub-model, outcomes, cohorts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from senox._errors import InputError
from senox.model import (
    initial_from_fractions,
    load_model,
    load_strategies,
    load_strategy,
    rank_strategies,
    relapse_free,
    sample_cohort,
    simulate_strategies,
)
from senox.model._simulate import SUMMARY_COLUMNS

SPEC = load_model("redox_senescence")


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    names = ["untreated", "chemo", "chemo+senolytic", "ros_inducer+nrf2_inhibitor"]
    return simulate_strategies(load_strategies(names), cohort=4, seed=3).trajectories


def test_states_stay_non_negative(shipped: pd.DataFrame) -> None:
    values = shipped[SPEC.species_names].to_numpy()
    assert np.isfinite(values).all()
    # non-negative to within the integration tolerance (atol 1e-9; dense output between steps)
    assert values.min() > -1e-8


def test_exposure_is_the_analytic_superposition_of_boluses(shipped: pd.DataFrame) -> None:
    k = SPEC.parameters[SPEC.parameter_names.index("k_cl_geno")].value
    run = shipped[(shipped.strategy == "chemo") & (shipped.patient == 0)]
    cohort_k = sample_cohort(SPEC, 4, seed=3)[0, SPEC.parameter_names.index("k_cl_geno")]
    assert cohort_k != k  # the cohort draws its own clearance
    t = run.time_days.to_numpy()
    doses = [d.time for d in load_strategy("chemo").doses()]
    expected = sum(np.where(t >= d, np.exp(-cohort_k * (t - d)), 0.0) for d in doses)
    np.testing.assert_allclose(run.C_geno.to_numpy(), expected, rtol=1e-5, atol=1e-9)


def test_no_tumour_no_drug_keeps_the_redox_core_at_its_baseline() -> None:
    empty = {"P": 0.0}
    result = simulate_strategies([load_strategy("untreated")], initial=empty, days=60)
    frame = result.trajectories
    for name in ["R", "G", "I"]:
        np.testing.assert_allclose(frame[name], 1.0, rtol=1e-7)
    assert frame[["S_i", "S_p", "E", "A_nfkb", "Tox"]].abs().max().max() < 1e-12


def test_sasp_exposure_is_the_integral_of_the_sasp(shipped: pd.DataFrame) -> None:
    run = shipped[(shipped.strategy == "chemo") & (shipped.patient == 1)]
    integral = np.trapezoid(run.sasp, run.time_days)
    assert run.A_auc.iloc[-1] == pytest.approx(integral, rel=2e-3)


def test_summary_columns_and_outcomes() -> None:
    result = simulate_strategies(load_strategies(["untreated", "chemo"]))
    summary = result.summary.set_index("strategy")
    assert list(result.summary.columns) == SUMMARY_COLUMNS
    assert summary.loc["untreated", "time_to_relapse_days"] == 0.0
    assert summary.loc["untreated", "toxicity"] == 0.0
    chemo = summary.loc["chemo"]
    assert 0 < chemo.min_burden < 0.5
    assert 60 < chemo.time_to_relapse_days < 365
    traj = result.trajectories.query("strategy == 'chemo'")
    growing = (traj.P + traj.E).to_numpy()
    relapse = traj.time_days.to_numpy()[np.argmax((growing >= 1.0) & (traj.time_days > 7))]
    assert chemo.time_to_relapse_days == pytest.approx(relapse, abs=1.0)  # on P + E, not S
    burden = traj.burden.to_numpy()
    assert burden.min() == pytest.approx(chemo.min_burden)


def test_cohort_is_seeded_and_within_ranges() -> None:
    a, b = sample_cohort(SPEC, 50, seed=7), sample_cohort(SPEC, 50, seed=7)
    np.testing.assert_array_equal(a, b)
    low = np.array([p.low for p in SPEC.parameters])
    high = np.array([p.high for p in SPEC.parameters])
    assert (a >= low).all()
    assert (a <= high).all()
    assert not np.array_equal(a, sample_cohort(SPEC, 50, seed=8))


def test_ranking_and_relapse_free_curves() -> None:
    summary = pd.DataFrame(
        {
            "strategy": ["a"] * 4 + ["b"] * 4,
            "patient": list(range(4)) * 2,
            "time_to_relapse_days": [10, 20, 30, np.nan, 50, np.nan, np.nan, np.nan],
            "min_burden": 0.5,
            "escaped_fraction": 0.1,
            "sasp_auc": 1.0,
            "toxicity": 1.0,
        }
    )
    ranked = rank_strategies(summary, days=100)
    assert list(ranked.strategy) == ["b", "a"]
    assert ranked["rank"].tolist() == [1, 2]  # b relapses later at the same harm: a is dominated
    medians = ranked.set_index("strategy")["median_time_to_relapse_days"].astype(float)
    assert medians["a"] == 20
    assert np.isnan(medians["b"])
    curve = relapse_free(summary, days=100).query("strategy == 'a'").relapse_free.to_numpy()
    assert curve[0] == 1.0
    assert curve[-1] == 0.25
    assert (np.diff(curve) <= 0).all()


def test_initial_state_from_fractions() -> None:
    start = initial_from_fractions({"proliferating": 2, "quiescent": 1, "senescent_p53": 1})
    assert start == {"P": 0.75, "S_i": 0.0, "S_p": 0.25, "E": 0.0}
    with pytest.raises(InputError, match="unknown state"):
        initial_from_fractions({"zombie": 1.0})


def test_bad_requests_are_refused() -> None:
    chemo = [load_strategy("chemo")]
    with pytest.raises(InputError, match="after the horizon"):
        simulate_strategies(chemo, days=30)
    with pytest.raises(InputError, match="no such parameter"):
        simulate_strategies(chemo, parameters={"k_magic": 1.0})
    with pytest.raises(InputError, match="no such species"):
        simulate_strategies(chemo, initial={"Q": 1.0})
    with pytest.raises(InputError, match="finite number of days > 0"):
        simulate_strategies(chemo, days=-5)


def test_cohort_on_a_dask_cluster_matches_the_local_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import LocalCluster

    import senox.model._simulate as simulate_module

    monkeypatch.setattr(simulate_module, "CHUNK", 3)  # several tasks for 7 patients
    chemo = [load_strategy("chemo")]
    local = simulate_strategies(chemo, cohort=7, seed=2).summary
    options = {
        "n_workers": 1,
        "threads_per_worker": 2,
        "processes": False,
        "dashboard_address": ":0",  # any free port: 8787 may be taken
    }
    with LocalCluster(**options) as cluster:
        remote = simulate_strategies(chemo, cohort=7, seed=2, scheduler=cluster.scheduler_address)
        ran = set(cluster.scheduler.task_prefixes)
    pd.testing.assert_frame_equal(local, remote.summary)
    assert "solve" in ran


def test_quartile_trajectories_are_pandas_quantiles_of_every_patient() -> None:
    strategies = load_strategies(["untreated", "chemo+senolytic"])
    full = simulate_strategies(strategies, cohort=9, seed=4, output_step=5)
    short = simulate_strategies(
        strategies, cohort=9, seed=4, output_step=5, trajectories="quartiles"
    )
    pd.testing.assert_frame_equal(short.summary, full.summary)
    variables = [
        c for c in full.trajectories.columns if c not in ("strategy", "patient", "time_days")
    ]
    expected = (
        full.trajectories.groupby(["strategy", "time_days"], sort=False)[variables]
        .quantile(np.array([0.25, 0.5, 0.75]))
        .rename_axis(["strategy", "time_days", "quantile"])
        .reset_index()
        .sort_values(["strategy", "quantile", "time_days"], kind="stable")
    )
    got = short.trajectories.sort_values(["strategy", "quantile", "time_days"], kind="stable")
    assert len(got) == 2 * 3 * full.trajectories.time_days.nunique()
    np.testing.assert_allclose(
        got[variables].to_numpy(), expected[variables].to_numpy(), rtol=1e-12
    )


def test_derived_values_for_some_names_match_the_full_evaluation() -> None:
    from senox.model import load_model
    from senox.model._simulate import _needed, derived_values

    spec = load_model("redox_senescence")
    rng = np.random.default_rng(0)
    time = np.linspace(0.0, 10.0, 6)
    states = rng.uniform(0.1, 2.0, size=(4, len(time), len(spec.species_names)))
    params = np.tile(spec.parameter_values(), (4, 1))
    everything = derived_values(spec, time, states, params)
    some = derived_values(spec, time, states, params, names=["R"])
    np.testing.assert_array_equal(some["R"], everything["R"])
    # Only R and the assignments it reads, directly or through others, are evaluated.
    needed = {a.name for a in _needed(spec, ["R"])}
    assert "R" in needed
    assert set(some) == needed
    assert len(needed) < len(spec.assignments)
