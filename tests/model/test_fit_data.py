"""Data -> PEtab builders of senox's model (src/senox/model/_fit_data.py), on small generated CSVs
with the shared data sets' columns; the real sets are read from ../shared (needs_shared)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from senox._errors import InputError
from senox.model import PetabObjective, calibrate, load_model, read_petab, to_sbml
from senox.model._fit_data import (
    FitData,
    cohort_from_profiles,
    condition_id,
    dropout_cutoff,
    maeve_palbo_temo,
    meyer_h1299_dox,
    tumr_melanoma_bso,
    write_problem,
)
from tests.conftest import SHARED

if TYPE_CHECKING:
    from pathlib import Path

CALIBRATION = SHARED / "data" / "calibration"
MAEVE_ARMS = ["veh", "palb_200", "tem_22.5", "palb_200+tem_22.5"]


def maeve_csv(path: Path, volumes: dict[tuple[str, int], float] | None = None) -> Path:
    """Four arms, three mice each, every 4 days to day 40; mouse 3 of 'veh' leaves at day 8."""
    rows = []
    for a, arm in enumerate(MAEVE_ARMS):
        for mouse in range(3):
            for day in range(0, 41, 4):
                if arm == "veh" and mouse == 2 and day > 8:
                    continue
                volume = 200.0 + 5 * day if volumes is None else volumes[(arm, day)]
                rows.append(
                    {
                        "study_id": 1,
                        "group_name": arm,
                        "cohort_id": 1,
                        "animalID": 100 * a + mouse,
                        "DAY_OF_STUDY": float(day),
                        "BODY_WEIGHT": 25.0,
                        "TUMOR_VOLUME": volume * (1.0 + 0.01 * (mouse - 1)),
                    }
                )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def lint_clean(data: FitData, folder: Path, arms: list[str] | None = None) -> Any:
    return read_petab(write_problem(data.problem(arms), folder))  # lint=True refuses errors


def test_dropout_cutoff_keeps_arms_while_half_the_animals_remain():
    assert dropout_cutoff(pd.Series([35, 25, 28, 60, 25, 39, 21])) == 28  # 4 of 7 at day 28
    assert dropout_cutoff(pd.Series([10, 20, 30, 40])) == 30  # 2 of 4 still there
    assert dropout_cutoff(pd.Series([5.0])) == 5


def test_condition_ids_are_petab_safe():
    assert condition_id("palb_200+tem_2.25") == "palb_200_tem_2_25"
    assert condition_id("vemurafenib+BSO") == "vemurafenib_BSO"
    assert condition_id("12 nM") == "arm_12_nM"


def test_maeve_builder_arms_schedules_and_lint(tmp_path):
    data = maeve_palbo_temo(maeve_csv(tmp_path / "palb.csv"))
    assert data.arms == ["veh", "palb_200", "tem_22_5", "palb_200_tem_22_5"]
    assert data.held_out == ("palb_200_tem_22_5",)
    amounts = data.conditions[["dose_C_cdk", "dose_C_geno"]]
    assert list(amounts.loc["veh"]) == [0.0, 0.0]
    assert list(amounts.loc["palb_200"]) == [1.0, 0.0]  # 200 mg/kg = 1 dose equivalent
    assert list(amounts.loc["tem_22_5"]) == pytest.approx([0.0, 22.5 / 50.0])
    assert data.dose_times["C_cdk"] == [float(d) for d in range(21)]
    assert data.dose_times["C_geno"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    # two of three 'veh' mice remain to day 40, so 'veh' keeps all its rows; V0 is per arm
    rows = data.measurements
    assert rows.loc[rows["simulationConditionId"] == "veh", "time"].max() == 40
    v0 = rows.loc[rows["simulationConditionId"] == "veh", "observableParameters"].unique()
    assert len(v0) == 1
    assert float(v0[0]) == pytest.approx(200.0, rel=1e-3)  # geometric mean of 198, 200, 202
    problem = lint_clean(data, tmp_path / "problem")
    assert problem.model.sbml_model.getNumEvents() == 21  # days 0-20, temozolomide shares 0-4
    assert sorted(problem.x_free_ids) == sorted(data.estimate)


def test_dropout_stops_an_arm_when_fewer_than_half_remain(tmp_path):
    table = pd.read_csv(maeve_csv(tmp_path / "palb.csv"))
    leaving = (
        (table["group_name"] == "veh") & (table["animalID"] == 1) & (table["DAY_OF_STUDY"] > 16)
    )
    table[~leaving].to_csv(tmp_path / "cut.csv", index=False)
    data = maeve_palbo_temo(tmp_path / "cut.csv")
    veh = data.measurements[data.measurements["simulationConditionId"] == "veh"]
    assert veh["time"].max() == 16  # after day 16 only one of three mice is left
    assert "veh 16" in data.notes[-1]


def test_maeve_builder_refuses_unknown_arms_and_columns(tmp_path):
    path = maeve_csv(tmp_path / "palb.csv")
    table = pd.read_csv(path)
    table.loc[0, "group_name"] = "aspirin_5"
    table.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputError, match="group_name 'aspirin_5'"):
        maeve_palbo_temo(tmp_path / "bad.csv")
    table.drop(columns="TUMOR_VOLUME").to_csv(tmp_path / "nocol.csv", index=False)
    with pytest.raises(InputError, match="missing column"):
        maeve_palbo_temo(tmp_path / "nocol.csv")
    with pytest.raises(InputError, match="no such data file"):
        maeve_palbo_temo(tmp_path / "absent.csv")
    data = maeve_palbo_temo(path)
    with pytest.raises(InputError, match="unknown arm"):
        data.problem(["veh", "nope"])


def test_tumr_builder_floor_continuous_exposure_and_lint(tmp_path):
    rows = [
        {"ID": 10 * k + m, "Day": day, "Volume": 0.0 if (code == "D" and day > 20) else 50.0 + day,
         "Treatment": code}
        for k, code in enumerate("ABCD") for m in range(2) for day in (0, 10, 20, 30)
    ]  # fmt: skip
    pd.DataFrame(rows).to_csv(tmp_path / "melanoma1.csv", index=False)
    data = tumr_melanoma_bso(tmp_path / "melanoma1.csv")
    assert data.arms == ["control", "vemurafenib", "BSO", "vemurafenib_BSO"]
    assert data.held_out == ("vemurafenib_BSO",)
    assert data.floor == 25.0  # half the smallest positive volume
    zero_rows = data.measurements[data.measurements["simulationConditionId"] == "vemurafenib_BSO"]
    assert zero_rows["measurement"].min() == 25.0  # recorded zeros sit at the floor
    assert list(data.conditions.loc["vemurafenib_BSO", ["dose_C_cdk", "dose_C_gsh"]]) == [1, 1]
    problem = lint_clean(data, tmp_path / "problem")
    table = problem.parameter_df
    assert table.loc["k_cl_cdk", "nominalValue"] == 0.0  # continuous exposure
    assert table.loc["V_floor", "nominalValue"] == 25.0
    objective = PetabObjective(problem)
    simulated, _ = objective.predictions(objective.x_nominal)
    assert np.all(simulated >= 25.0)


def test_meyer_builder_one_condition_per_experiment_and_dose(tmp_path):
    hours = np.arange(0.0, 73.0, 3.0)
    for experiment, blank in (("101117_H1299", True), ("030317-2_H1299", False)):
        table = pd.DataFrame({"Date Time": "x", "Elapsed": hours, "Control": 8.0 + 0.5 * hours})
        if blank:
            table["Blank"] = 0.25
        for nm in (25, 100):
            table[f"DOX {nm}" if blank else f"Dox {nm}"] = 8.0 + 0.1 * hours
        table["NVB 5"] = 9.0
        table.to_csv(tmp_path / f"{experiment}_confluence_phase.csv", index=False)
    data = meyer_h1299_dox(tmp_path)
    assert len(data.arms) == 6  # two experiments x (control, 25 nM, 100 nM); vinorelbine left out
    assert data.floor == pytest.approx(0.25)
    assert set(data.held_out) == {a for a in data.arms if a.endswith(("_25nM", "_100nM"))}
    assert data.conditions.loc["e101117_dox_100nM", "dose_C_geno"] == 1.0
    lint_clean(data, tmp_path / "problem")


def test_bso_blocks_gsh_synthesis_as_written():
    """GSH_synthesis = k_Gsyn * nrf2 * (1 - i_gsh * e_gsh): a saturating BSO exposure cuts it by
    i_gsh at baseline ROS, and GSH then falls."""
    roadrunner = pytest.importorskip("roadrunner")
    spec = load_model("redox_senescence")
    values = dict(zip(spec.parameter_names, spec.parameter_values(), strict=True))
    untreated = roadrunner.RoadRunner(to_sbml(spec))
    treated = roadrunner.RoadRunner(to_sbml(spec, initial={"C_gsh": 1e9}))
    base = values["k_Gdeg"] + values["c_cons"]  # k_Gsyn; nrf2 = 1 at baseline ROS
    assert untreated["GSH_synthesis"] == pytest.approx(base)
    assert treated["GSH_synthesis"] == pytest.approx(base * (1 - values["i_gsh"]), rel=1e-6)
    assert "GSH_depletion" not in [r.name for r in spec.reactions]
    result = treated.simulate(0, 3, 4, selections=["time", "G"])
    assert result[-1, 1] < 0.6


def test_fit_recovers_parameters_from_simulated_data(tmp_path):
    """Volumes simulated at known r_P and k_cdk (1 % noise) are fitted back within 10 %."""
    truth = {"r_P": 0.06, "k_cdk": 0.2}
    template = maeve_palbo_temo(maeve_csv(tmp_path / "template.csv"))
    free = ("r_P", "k_cdk", "sd_volume")
    template = dataclasses.replace(template, estimate=free, nominal={})
    objective = PetabObjective(lint_clean(template, tmp_path / "template"))
    x = np.log10([truth["r_P"], truth["k_cdk"], 0.01])
    clean, _ = objective.predictions(x)
    rng = np.random.default_rng(4)
    observed = clean * np.exp(rng.normal(0.0, 0.01, len(clean)))
    rows = template.measurements
    volumes = {
        (MAEVE_ARMS[template.arms.index(arm)], int(day)): float(v)
        for arm, day, v in zip(rows["simulationConditionId"], rows["time"], observed, strict=True)
    }
    data = dataclasses.replace(
        maeve_palbo_temo(maeve_csv(tmp_path / "simulated.csv", volumes)), estimate=free
    )
    problem = lint_clean(data, tmp_path / "fit", ["veh", "palb_200"])
    fit = calibrate(problem, starts=2, seed=0).parameter_table()
    assert fit.loc["r_P", "nominalValue"] == pytest.approx(truth["r_P"], rel=0.1)
    assert fit.loc["k_cdk", "nominalValue"] == pytest.approx(truth["k_cdk"], rel=0.1)


def test_cohort_from_profiles_draws_within_the_intervals():
    intervals = pd.DataFrame(
        {"parameter": ["r_P", "g_A"], "low_95": [0.03, 0.0], "high_95": [0.09, 0.2]}
    )
    names, cohort = cohort_from_profiles(intervals, 500, seed=1)
    r_p, g_a, k_sen = (cohort[:, names.index(p)] for p in ("r_P", "g_A", "k_sen"))
    assert cohort.shape == (500, len(names))
    assert r_p.min() >= 0.03
    assert r_p.max() <= 0.09
    assert np.median(r_p) == pytest.approx(np.sqrt(0.03 * 0.09), rel=0.1)  # log-uniform
    assert g_a.min() >= 0.0
    assert g_a.max() <= 0.2
    assert np.all(k_sen == 0.3)  # not fitted: the model's value
    assert not np.array_equal(cohort, cohort_from_profiles(intervals, 500, seed=2)[1])
    with pytest.raises(InputError, match="unknown parameter"):
        cohort_from_profiles(intervals.assign(parameter=["r_P", "nope"]), 5)


@pytest.mark.needs_shared
def test_real_data_sets_build_lint_clean_problems(tmp_path):
    sets = [
        maeve_palbo_temo(CALIBRATION / "maeve_pdx_palbo_temo" / "palb_temo_01.csv"),
        tumr_melanoma_bso(CALIBRATION / "tumr_melanoma_bso" / "melanoma1.csv"),
        meyer_h1299_dox(CALIBRATION / "meyer_h1299_dox_incucyte"),
    ]
    assert [len(d.arms) for d in sets] == [8, 4, 14]
    for data in sets:
        lint_clean(data, tmp_path / data.name)
        fitted = [a for a in data.arms if a not in data.held_out]
        lint_clean(data, tmp_path / f"{data.name}_fit", fitted)
