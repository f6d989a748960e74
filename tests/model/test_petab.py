"""PEtab export of senox's model, and the PEtab objective checked against libpetab.

The known-answer test reads Alkan et al. 2018 (Sci Signal 11:eaat0229) from the PEtab benchmark
collection in ../shared/data/calibration/alkan2018_petab (BSD-3; not copied into the package).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import petab.v1 as petab
import pytest

from senox._errors import InputError
from senox.model import (
    PetabObjective,
    compare_simulations,
    load_model,
    load_strategy,
    read_petab,
    to_petab,
)
from senox.model._petab import OBSERVABLES
from senox.model._petab_objective import _nll_rows
from tests.conftest import SHARED

if TYPE_CHECKING:
    from pathlib import Path

ALKAN = SHARED / "data" / "calibration" / "alkan2018_petab"

#: The parameters the synthetic problem estimates, and their true (the model's) values.
TRUE = {"r_P": 0.05, "k_sen": 0.3, "k_esc": 0.01}
#: Noise of the synthetic data (standard deviation, burden units).
NOISE_SD = 0.01


def write_problem(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "problem.yaml"


def synthetic_problem(folder: Path, *, seed: int = 1, estimate: set[str] | None = None) -> Path:
    """senox's model under chemotherapy, observed with seeded normal noise at known parameters."""
    spec = load_model("redox_senescence")
    doses = load_strategy("chemo").doses()
    times = np.arange(0.0, 61.0, 5.0)
    observed = ["tumour_burden", "senescent_burden"]
    measurements = pd.DataFrame(
        {
            "observableId": np.repeat(observed, len(times)),
            "simulationConditionId": "default",
            "time": np.tile(times, len(observed)),
            "measurement": 0.0,
        }
    )
    free = set(TRUE) if estimate is None else estimate
    files = to_petab(spec, doses=doses, measurements=measurements, estimate=free)
    yaml_path = write_problem(folder, files)
    clean, _ = PetabObjective(read_petab(yaml_path)).predictions(
        np.log10(np.array([TRUE[p] for p in sorted(free, key=list(spec.parameter_names).index)]))
    )
    rng = np.random.default_rng(seed)
    measurements["measurement"] = clean + rng.normal(0.0, NOISE_SD, len(clean))
    measurements.to_csv(folder / "measurements.tsv", sep="\t", index=False)
    parameters = pd.read_csv(folder / "parameters.tsv", sep="\t")
    parameters.loc[parameters["parameterId"].str.startswith("sd_"), "nominalValue"] = NOISE_SD
    parameters.to_csv(folder / "parameters.tsv", sep="\t", index=False)
    return yaml_path


def test_export_is_a_problem_petab_reads_and_lints(tmp_path):
    spec = load_model("redox_senescence")
    files = to_petab(spec, doses=load_strategy("chemo").doses())
    assert set(files) == {
        "problem.yaml",
        "model.xml",
        "conditions.tsv",
        "observables.tsv",
        "measurements.tsv",
        "parameters.tsv",
    }
    problem = petab.Problem.from_yaml(write_problem(tmp_path, files))
    assert not petab.lint_problem(problem)  # lint_problem returns True when it finds errors
    assert problem.measurement_df.empty
    assert list(problem.observable_df.index) == list(OBSERVABLES)
    table = problem.parameter_df
    assert set(spec.parameter_names) < set(table.index)
    assert table.loc["r_P", "parameterScale"] == "log10"
    assert table.loc["g_A", "parameterScale"] == "lin"  # its range starts at 0
    assert table.loc["r_P", "nominalValue"] == pytest.approx(0.05)
    assert problem.model.sbml_model.getNumEvents() > 0  # the chemotherapy doses


def test_synthetic_problem_lints(tmp_path):
    problem = read_petab(synthetic_problem(tmp_path))
    assert len(problem.measurement_df) == 26
    assert sorted(problem.x_free_ids) == sorted(TRUE)


def test_export_refuses_unknown_names():
    spec = load_model("redox_senescence")
    with pytest.raises(InputError, match="estimate: unknown parameter"):
        to_petab(spec, estimate={"r_P", "nope"})
    bad = pd.DataFrame({"observableId": ["volume"], "simulationConditionId": ["default"],
                        "time": [0.0], "measurement": [1.0]})  # fmt: skip
    with pytest.raises(InputError, match="unknown observable"):
        to_petab(spec, measurements=bad)


@pytest.mark.parametrize("distribution", ["normal", "laplace"])
@pytest.mark.parametrize("transform", ["lin", "log", "log10"])
def test_noise_models_match_libpetab(transform, distribution):
    rng = np.random.default_rng(3)
    m, y, sigma = rng.uniform(0.5, 2.0, (3, 20))
    ours = _nll_rows(m, y, sigma, transform, distribution)
    reference = -sum(
        petab.calculate.calculate_single_llh(a, b, transform, distribution, s)
        for a, b, s in zip(m, y, sigma, strict=True)
    )
    assert ours == pytest.approx(reference, rel=1e-12)


def test_objective_matches_libpetab_likelihood(tmp_path):
    """The NLL equals libpetab's calculate_llh on the same simulations, with laplace/log10 too."""
    yaml_path = synthetic_problem(tmp_path)
    observables = pd.read_csv(tmp_path / "observables.tsv", sep="\t")
    observables.loc[observables["observableId"] == "senescent_burden", "noiseDistribution"] = (
        "laplace"
    )
    observables.loc[
        observables["observableId"] == "senescent_burden", "observableTransformation"
    ] = "log10"
    observables.to_csv(tmp_path / "observables.tsv", sep="\t", index=False)
    measurements = pd.read_csv(tmp_path / "measurements.tsv", sep="\t")
    measurements["measurement"] = measurements["measurement"].abs() + 1e-3  # log10 needs > 0
    at_start = (measurements["observableId"] == "senescent_burden") & (measurements["time"] == 0)
    measurements = measurements[~at_start]  # no senescent cells yet: log10(0)
    measurements.to_csv(tmp_path / "measurements.tsv", sep="\t", index=False)
    problem = read_petab(yaml_path)
    objective = PetabObjective(problem)
    x = objective.x_nominal + 0.05
    simulation = objective.simulation_table(x)
    parameters = problem.parameter_df.copy()
    parameters.loc[objective.x_ids, "nominalValue"] = 10.0**x
    reference = petab.calculate_llh(
        problem.measurement_df, simulation, problem.observable_df, parameters
    )
    assert objective.nll(x) == pytest.approx(-reference, rel=1e-10)


LOGISTIC = """
model logistic()
  compartment cell = 1;
  substanceOnly species N in cell = 1;
  r = 0.5; K = 10;
  growth: => N; r * N * (1 - N / K);
end
"""


def logistic_problem(folder: Path, conditions: pd.DataFrame, measurements: pd.DataFrame) -> Path:
    """A hand-made PEtab problem on logistic growth (steady state N = K)."""
    import antimony

    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(LOGISTIC) >= 0
    files = {
        "model.xml": antimony.getSBMLString("logistic"),
        "conditions.tsv": conditions.to_csv(sep="\t", index=False),
        "measurements.tsv": measurements.to_csv(sep="\t", index=False),
        "observables.tsv": "observableId\tobservableFormula\tnoiseFormula\nN_obs\tN\t0.1\n",
        "parameters.tsv": "parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue"
        "\testimate\nr\tlog10\t0.01\t10\t0.5\t1\n",
        "problem.yaml": "format_version: 1\nparameter_file: parameters.tsv\nproblems:\n"
        "- sbml_files: [model.xml]\n  condition_files: [conditions.tsv]\n"
        "  measurement_files: [measurements.tsv]\n  observable_files: [observables.tsv]\n",
    }
    return write_problem(folder, files)


def test_preequilibration_and_condition_overrides(tmp_path):
    """Preequilibration reaches the steady state; condition-table parameters and species apply."""
    conditions = pd.DataFrame(
        {"conditionId": ["pre", "half", "big"], "N": [np.nan, 2.0, np.nan], "K": [5.0, 20.0, 40.0]}
    )
    measurements = pd.DataFrame(
        {
            "observableId": "N_obs",
            "preequilibrationConditionId": ["pre", "pre", "", "pre"],
            "simulationConditionId": ["half", "half", "big", "big"],
            "time": [0.0, 3.0, math.inf, 0.0],
            "measurement": 1.0,
        }
    )
    objective = PetabObjective(read_petab(logistic_problem(tmp_path, conditions, measurements)))
    simulated, sigma = objective.predictions(objective.x_nominal)
    # after preequilibration at K = 5, "half" sets N = 2 at its start and K = 20
    assert simulated[0] == pytest.approx(2.0, rel=1e-9)
    exact = 20.0 / (1.0 + (20.0 / 2.0 - 1.0) * math.exp(-0.5 * 3.0))  # logistic solution
    assert simulated[1] == pytest.approx(exact, rel=1e-6)
    assert simulated[2] == pytest.approx(40.0, rel=1e-6)  # steady state of "big" (time inf)
    assert simulated[3] == pytest.approx(5.0, rel=1e-6)  # "big" starts from the preequilibrium
    assert np.all(sigma == 0.1)


needs_alkan = pytest.mark.skipif(not ALKAN.is_dir(), reason=f"{ALKAN} not found")


@pytest.mark.needs_shared
@needs_alkan
def test_alkan_known_answer_simulation():
    """At the nominal parameters, senox reproduces the collection's simulatedData table."""
    problem = read_petab(ALKAN / "Alkan_SciSignal2018.yaml")
    objective = PetabObjective(problem)
    reference = pd.read_csv(ALKAN / "simulatedData_Alkan_SciSignal2018.tsv", sep="\t")
    joined = compare_simulations(objective.simulation_table(objective.x_nominal), reference)
    assert len(joined) == 1094
    assert not joined.isna().any().any()
    assert joined["abs_diff"].max() < 1e-6
    assert joined["rel_diff"].max() < 1e-4
    llh = petab.calculate_llh(
        problem.measurement_df, reference, problem.observable_df, problem.parameter_df
    )
    assert objective.nll(objective.x_nominal) == pytest.approx(-llh, rel=1e-8)


def test_scheduled_doses_take_their_amounts_from_the_condition_table(tmp_path):
    """One SBML model, two conditions: the amount of each scheduled dose is a condition value."""
    spec = load_model("redox_senescence")
    conditions = pd.DataFrame({"conditionId": ["none", "two"], "dose_C_cdk": [0.0, 2.0]}).set_index(
        "conditionId"
    )
    measurements = pd.DataFrame(
        {
            "observableId": "tumour_burden",
            "simulationConditionId": ["none", "two", "none", "two"],
            "time": [5.0, 5.0, 10.0, 10.0],
            "measurement": 1.0,
        }
    )
    observables = pd.DataFrame(
        {"observableId": ["tumour_burden"], "observableFormula": ["C_cdk"],
         "noiseFormula": ["sd_tumour_burden"]}
    ).set_index("observableId")  # fmt: skip
    noise = pd.DataFrame(
        {"parameterId": ["sd_tumour_burden"], "parameterScale": ["lin"],
         "lowerBound": [0.01], "upperBound": [1.0], "nominalValue": [0.1]}
    ).set_index("parameterId")  # fmt: skip
    files = to_petab(
        spec,
        measurements=measurements,
        estimate={"r_P"},
        dose_times={"C_cdk": [0.0, 5.0]},
        conditions=conditions,
        observables=observables,
        extra_parameters=noise,
        bounds={"k_cl_cdk": (0.0, 2.0)},
        nominal={"k_cl_cdk": 0.0},  # no clearance: exposure is the sum of the doses so far
    )
    problem = read_petab(write_problem(tmp_path, files))
    assert problem.model.sbml_model.getNumEvents() == 2
    assert problem.parameter_df.loc["k_cl_cdk", "parameterScale"] == "lin"  # bound 0
    simulated, _ = PetabObjective(problem).predictions(np.log10([0.05]))
    assert simulated == pytest.approx([0.0, 4.0, 0.0, 4.0])  # doses at 0 and 5 both counted


def test_export_refuses_bad_overrides():
    spec = load_model("redox_senescence")
    with pytest.raises(InputError, match="bounds: unknown parameter"):
        to_petab(spec, bounds={"nope": (0.0, 1.0)})
    with pytest.raises(InputError, match="lies outside"):
        to_petab(spec, bounds={"r_P": (0.2, 1.0)})
    with pytest.raises(InputError, match="species 'X'"):
        to_petab(spec, dose_times={"X": [0.0]})


def test_compare_simulations_matches_points_and_keeps_unmatched_ones():
    keys = {"observableId": ["y", "y", "y"], "simulationConditionId": ["c", "c", "c"]}
    ours = pd.DataFrame({**keys, "time": [0.0, 1.0, 2.0], "simulation": [1.0, 2.0, 5.0]})
    reference = pd.DataFrame({**keys, "time": [0.0, 1.0, 3.0], "simulation": [1.0, 4.0, 7.0]})
    joined = compare_simulations(ours, reference)
    assert len(joined) == 4
    assert joined.loc[("y", "c", 1.0), "abs_diff"] == 2.0
    assert joined.loc[("y", "c", 1.0), "rel_diff"] == 0.5
    assert joined.loc[("y", "c", 0.0), "abs_diff"] == 0.0
    assert joined["simulation_ref"].isna().tolist() == [False, False, True, False]
    assert joined["simulation"].isna().tolist() == [False, False, False, True]
