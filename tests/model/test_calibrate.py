"""Multistart calibration of PEtab problems: known parameters recovered, profiles, outputs, Dask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import petab.v1 as petab
import pytest

from senox._errors import InputError
from senox.model import PetabObjective, calibrate, read_petab, write_calibration
from senox.model._calibrate import CHI2_95_HALF
from tests.model.test_petab import ALKAN, TRUE, needs_alkan, synthetic_problem

#: Relative tolerance of the recovered parameters (noise sd 0.01 on burdens of 0.2-1).
RECOVERY_RTOL = 0.05


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    problem = read_petab(synthetic_problem(tmp_path_factory.mktemp("synthetic")))
    return calibrate(problem, starts=3, seed=0, profiles=["k_sen"], profile_points=3)


def test_multistart_recovers_known_parameters(fitted):
    best = fitted.parameter_table().loc[list(TRUE), "nominalValue"]
    for name, value in TRUE.items():
        assert best[name] == pytest.approx(value, rel=RECOVERY_RTOL), name
    assert fitted.best.nll <= fitted.nll_nominal + 1e-6
    assert [s.nll for s in fitted.starts] == sorted(s.nll for s in fitted.starts)
    assert len({s.index for s in fitted.starts}) == 3


def test_profile_has_its_minimum_at_the_fit(fitted):
    (profile,) = fitted.profiles
    assert len(profile.grid) == 1 + 2 * 3
    assert np.all(np.diff(profile.grid) > 0)
    assert profile.nll.min() == pytest.approx(fitted.best.nll, abs=1e-3)
    assert profile.grid[0] == pytest.approx(0.1)
    assert profile.grid[-1] == pytest.approx(0.6)
    assert profile.nll[0] > fitted.best.nll + CHI2_95_HALF  # the bounds are far outside the CI
    assert profile.nll[-1] > fitted.best.nll + CHI2_95_HALF


def test_outputs_are_petab_tables(fitted, tmp_path):
    names = write_calibration(fitted, tmp_path)
    assert sorted(names) == sorted(p.name for p in tmp_path.iterdir())
    parameters = petab.get_parameter_df(tmp_path / "parameters.tsv")
    assert parameters.loc["k_sen", "nominalValue"] == pytest.approx(
        10.0 ** fitted.best.x[fitted.objective.x_ids.index("k_sen")]
    )
    simulation = petab.get_simulation_df(tmp_path / "simulation.tsv")
    assert len(simulation) == len(fitted.objective.measurements)
    waterfall = pd.read_csv(tmp_path / "waterfall.tsv", sep="\t")
    assert list(waterfall["nll"]) == pytest.approx([s.nll for s in fitted.starts])
    profiles = pd.read_csv(tmp_path / "profiles.tsv", sep="\t")
    assert set(profiles["parameter"]) == {"k_sen"}


def test_same_seed_same_starts(tmp_path):
    problem = read_petab(synthetic_problem(tmp_path, estimate={"r_P"}))
    first = calibrate(problem, starts=2, seed=5, max_iter=2)
    second = calibrate(problem, starts=2, seed=5, max_iter=2)
    assert [s.x0.tolist() for s in first.starts] == [s.x0.tolist() for s in second.starts]
    assert [s.nll for s in first.starts] == [s.nll for s in second.starts]


def test_dask_local_cluster_gives_the_same_fits(tmp_path):
    from distributed import LocalCluster

    problem = read_petab(synthetic_problem(tmp_path, estimate={"r_P"}))
    local = calibrate(problem, starts=2, seed=3, max_iter=5)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        spread = calibrate(problem, starts=2, seed=3, max_iter=5, scheduler=c.scheduler_address)
    assert [s.index for s in spread.starts] == [s.index for s in local.starts]
    assert [s.nll for s in spread.starts] == pytest.approx([s.nll for s in local.starts])


def test_refusals(tmp_path):
    with pytest.raises(InputError, match="no such PEtab YAML"):
        read_petab(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("format_version: 1\nparameter_file: nope.tsv\nproblems: [{}]\n")
    with pytest.raises(InputError, match=r"broken\.yaml: petab cannot read"):
        read_petab(broken)
    yaml_path = synthetic_problem(tmp_path / "p")
    parameters = pd.read_csv(tmp_path / "p" / "parameters.tsv", sep="\t")
    parameters.loc[parameters["parameterId"] == "r_P", "upperBound"] = 0.01  # below the lower
    parameters.to_csv(tmp_path / "p" / "parameters.tsv", sep="\t", index=False)
    with pytest.raises(InputError, match="petab lint finds errors"):
        read_petab(yaml_path)
    problem = read_petab(synthetic_problem(tmp_path / "q"))
    with pytest.raises(InputError, match="--profile K_cap: not an estimated parameter"):
        calibrate(problem, starts=1, profiles=["K_cap"])
    with pytest.raises(InputError, match="--starts 0"):
        calibrate(problem, starts=0)


@pytest.mark.needs_shared
@needs_alkan
def test_alkan_reduced_fit_reaches_the_nominal_likelihood():
    """Three of Alkan's parameters free (bounds one decade around nominal), two random starts:
    the fit must be at least as good as the published nominal values."""
    problem = read_petab(ALKAN / "Alkan_SciSignal2018.yaml")
    table = problem.parameter_df
    free = ["k_damage_dox_dsb", "scale_patm_au", "sd_patm_au"]
    table["estimate"] = table.index.isin(free).astype(int)
    table.loc[free, "lowerBound"] = table.loc[free, "nominalValue"] / 10.0
    table.loc[free, "upperBound"] = table.loc[free, "nominalValue"] * 10.0
    result = calibrate(problem, starts=2, seed=0, max_iter=15)
    assert result.best.nll <= result.nll_nominal
    nominal = PetabObjective(problem)
    assert result.nll_nominal == pytest.approx(nominal.nll(nominal.x_nominal))
