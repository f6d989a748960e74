"""The exact stochastic simulator: known distributions, ODE limits, events, chunking, refusals.

Toy models are written with libsbml in each test. Tolerances are derived from the sampling
error of the fixed-seed ensembles (stated next to each check), so a failure means a bias, not
bad luck.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import libsbml
import numpy as np
import pytest

from senox._errors import InputError
from senox.model import run_sbml
from senox.model._ssa import compile_sbml, passos_escape, simulate_ssa, wilson_interval

if TYPE_CHECKING:
    from pathlib import Path

DAY = 86400.0


def write_sbml(
    path: Path,
    *,
    species: dict[str, float],
    parameters: dict[str, float],
    reactions: list[tuple[str, dict[str, int], dict[str, int], str]],
    events: tuple[tuple[str, float, dict[str, float]], ...] = (),
    boundary: tuple[str, ...] = (),
) -> Path:
    """An SBML L3V1 model: amounts in one compartment of size 1, irreversible reactions."""
    document = libsbml.SBMLDocument(3, 1)
    model = document.createModel()
    model.setId("toy")
    compartment = model.createCompartment()
    compartment.setId("cell")
    compartment.setSize(1.0)
    compartment.setConstant(True)
    for name, amount in species.items():
        s = model.createSpecies()
        s.setId(name)
        s.setCompartment("cell")
        s.setInitialAmount(amount)
        s.setHasOnlySubstanceUnits(True)
        s.setBoundaryCondition(name in boundary)
        s.setConstant(False)
    assigned = {var for _, _, changes in events for var in changes}
    for name, value in parameters.items():
        p = model.createParameter()
        p.setId(name)
        p.setValue(value)
        p.setConstant(name not in assigned)
    for rid, reactants, products, law in reactions:
        r = model.createReaction()
        r.setId(rid)
        r.setReversible(False)
        r.setFast(False)
        for refs, create in ((reactants, r.createReactant), (products, r.createProduct)):
            for name, n in refs.items():
                ref = create()
                ref.setSpecies(name)
                ref.setStoichiometry(n)
                ref.setConstant(True)
        kinetic = r.createKineticLaw()
        kinetic.setMath(libsbml.parseL3Formula(law))
    for eid, at, changes in events:
        e = model.createEvent()
        e.setId(eid)
        e.setUseValuesFromTriggerTime(True)
        trigger = e.createTrigger()
        trigger.setInitialValue(False)
        trigger.setPersistent(True)
        trigger.setMath(libsbml.parseL3Formula(f"time >= {at}"))
        for var, value in changes.items():
            assignment = e.createEventAssignment()
            assignment.setVariable(var)
            assignment.setMath(libsbml.parseL3Formula(repr(value)))
    assert libsbml.writeSBMLToFile(document, str(path))
    return path


@pytest.fixture
def birth_death(tmp_path):
    # 0 -> X at k1, X -> 0 at k2 X: stationary law Poisson(k1 / k2) = Poisson(10)
    return write_sbml(
        tmp_path / "birth_death.xml",
        species={"X": 0.0},
        parameters={"k1": 10.0, "k2": 1.0},
        reactions=[("birth", {}, {"X": 1}, "k1"), ("death", {"X": 1}, {}, "k2 * X")],
    )


@pytest.fixture
def binding(tmp_path):
    # A + B -> C, k per molecule pair
    return write_sbml(
        tmp_path / "binding.xml",
        species={"A": 200.0, "B": 120.0, "C": 0.0},
        parameters={"k": 2e-4},
        reactions=[("bind", {"A": 1, "B": 1}, {"C": 1}, "k * A * B")],
    )


def test_birth_death_is_poisson(birth_death):
    # 400 cells sampled every 3 time units from t = 10 (10 relaxation times: the start at 0 is
    # forgotten); the autocorrelation at lag 3 is exp(-3) = 0.05, so the 8,000 samples are
    # nearly independent. Poisson(10): SE(mean) = sqrt(10 / n), SE(var) = sqrt((2*10^2 + 10) / n);
    # tolerances are 5 standard errors.
    times = 10.0 + 3.0 * np.arange(20)
    x = simulate_ssa(birth_death, n_cells=400, times=times, seed=7)[:, :, 0].ravel()
    n = x.size
    assert np.array_equal(x, np.round(x))
    assert x.min() >= 0
    assert abs(x.mean() - 10.0) < 5 * math.sqrt(10.0 / n)
    assert abs(x.var(ddof=1) - 10.0) < 5 * math.sqrt((2 * 100.0 + 10.0) / n)


def test_binding_mean_follows_the_ode_and_conserves_mass(binding):
    times = np.linspace(0.0, 200.0, 11)
    runs = simulate_ssa(binding, n_cells=400, times=times, seed=11, species=["A", "B", "C"])
    a, b, c = runs[..., 0], runs[..., 1], runs[..., 2]
    # every cell, every time: A + C and B + C are exactly conserved
    assert (a + c == 200).all()
    assert (b + c == 120).all()
    # the ODE dA/dt = -k A B, solved by libroadrunner (cross-checked with the closed form)
    ode = run_sbml(binding, until="200s", points=11)["A"].to_numpy()
    k, a0, b0 = 2e-4, 200.0, 120.0
    exact = (a0 - b0) / (1 - (b0 / a0) * np.exp(-k * (a0 - b0) * times))
    np.testing.assert_allclose(ode, exact, rtol=1e-5)
    # the SSA mean differs from the ODE by O(1/N) (below 1 % here) plus sampling error:
    # allow 2 % plus 4 standard errors of the ensemble mean
    se = a.std(axis=0, ddof=1) / math.sqrt(a.shape[0])
    assert (np.abs(a.mean(axis=0) - ode) <= 0.02 * ode + 4 * se).all()


def test_events_act_exactly_at_their_time(tmp_path):
    # pure death switched on at T = 5 (k: 0 -> 1); at T = 10 X is reset to 50
    path = write_sbml(
        tmp_path / "switch.xml",
        species={"X": 100.0},
        parameters={"k": 0.0},
        reactions=[("death", {"X": 1}, {}, "k * X")],
        events=(("on", 5.0, {"k": 1.0}), ("reset", 10.0, {"X": 50.0})),
    )
    times = np.array([0.0, 4.999999, 5.0, 6.0, 9.999999, 10.0, 10.5])
    x = simulate_ssa(path, n_cells=300, times=times, seed=3)[:, :, 0]
    # nothing happens before T (the propensity is exactly 0), nor at T itself
    assert (x[:, :3] == 100).all()
    # one time unit after the switch each molecule survived with probability exp(-1):
    # binomial standard error of the mean over 300 cells, 5 of them
    p = math.exp(-1.0)
    assert abs(x[:, 3].mean() - 100 * p) < 5 * math.sqrt(100 * p * (1 - p) / 300)
    # the reset is part of the state recorded at exactly T
    assert (x[:, 4] < 100).all()
    assert (x[:, 5] == 50).all()
    assert (x[:, 6] <= 50).all()
    # dropping the switch leaves every molecule alive up to the reset
    kept = simulate_ssa(path, n_cells=20, times=times, seed=3, drop_events=["on"])[:, :, 0]
    assert (kept[:, :5] == 100).all()
    assert (kept[:, 5:] == 50).all()


def test_cells_do_not_depend_on_chunking_or_threads(binding):
    times = np.array([0.0, 25.0, 50.0])
    whole = simulate_ssa(binding, n_cells=7, times=times, seed=5)
    parts = [
        simulate_ssa(binding, n_cells=3, times=times, seed=5, first_cell=0, n_threads=1),
        simulate_ssa(binding, n_cells=4, times=times, seed=5, first_cell=3),
    ]
    assert np.array_equal(whole, np.concatenate(parts))
    assert not np.array_equal(whole, simulate_ssa(binding, n_cells=7, times=times, seed=6))


def test_parameters_can_be_set_per_cell(birth_death):
    runs = simulate_ssa(
        birth_death,
        n_cells=2,
        times=[5.0],
        seed=1,
        parameters={"k1": [0.0, 10.0]},
        initial={"X": 0},
    )
    assert runs[0, 0, 0] == 0
    assert runs[1, 0, 0] > 0


@pytest.mark.parametrize(
    ("law", "reactants", "match"),
    [
        ("Vmax * S / (Km + S)", {"S": 1}, "not mass action"),
        ("k * S - 1", {"S": 1}, "not mass action"),
        ("exp(k) * S", {"S": 1}, "not mass action"),
        ("k / S", {"S": 1}, "divides the rate"),
    ],
)
def test_non_mass_action_laws_are_refused(tmp_path, law, reactants, match):
    path = write_sbml(
        tmp_path / "mm.xml",
        species={"S": 10.0, "P": 0.0},
        parameters={"Vmax": 1.0, "Km": 5.0, "k": 1.0},
        reactions=[("uptake", reactants, {"P": 1}, law)],
    )
    with pytest.raises(InputError, match=match) as info:
        compile_sbml(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert "'uptake'" in message


def test_other_unsupported_content_is_refused(tmp_path):
    path = write_sbml(
        tmp_path / "state_event.xml",
        species={"X": 10.0},
        parameters={"k": 1.0},
        reactions=[("death", {"X": 1}, {}, "k * X")],
    )
    document = libsbml.readSBMLFromFile(str(path))
    event = document.getModel().createEvent()
    event.setId("low")
    event.setUseValuesFromTriggerTime(True)
    trigger = event.createTrigger()
    trigger.setInitialValue(False)
    trigger.setPersistent(True)
    trigger.setMath(libsbml.parseL3Formula("X < 5"))
    assignment = event.createEventAssignment()
    assignment.setVariable("X")
    assignment.setMath(libsbml.parseL3Formula("10"))
    libsbml.writeSBMLToFile(document, str(path))
    with pytest.raises(InputError, match=r"event 'low' .* not 'time >= T'"):
        compile_sbml(path)
    fractional = write_sbml(
        tmp_path / "half.xml",
        species={"X": 2.5},
        parameters={"k": 1.0},
        reactions=[("death", {"X": 1}, {}, "k * X")],
    )
    with pytest.raises(InputError, match="not a whole number"):
        compile_sbml(fractional)


def test_bad_arguments_are_refused(birth_death):
    with pytest.raises(InputError, match="times must be"):
        simulate_ssa(birth_death, n_cells=1, times=[2.0, 1.0], seed=0)
    with pytest.raises(InputError, match="no species 'Y'"):
        simulate_ssa(birth_death, n_cells=1, times=[1.0], seed=0, species=["Y"])
    with pytest.raises(InputError, match="no parameter 'k9'"):
        simulate_ssa(birth_death, n_cells=1, times=[1.0], seed=0, parameters={"k9": 1.0})
    with pytest.raises(InputError, match="no event 'nope'"):
        simulate_ssa(birth_death, n_cells=1, times=[1.0], seed=0, drop_events=["nope"])


def test_higher_order_laws_use_falling_factorials(tmp_path):
    # 2 X -> 0 with law k * X^2: the propensity is k X (X - 1), so a single molecule never reacts
    path = write_sbml(
        tmp_path / "dimer.xml",
        species={"X": 1.0},
        parameters={"k": 100.0},
        reactions=[("pair", {"X": 2}, {}, "k * X^2")],
    )
    assert (simulate_ssa(path, n_cells=5, times=[10.0], seed=0) == 1).all()
    assert (simulate_ssa(path, n_cells=5, times=[10.0], seed=0, initial={"X": 2}) == 0).all()


# --- the shipped Passos et al. 2010 model -------------------------------------------------------


@pytest.fixture(scope="module")
def passos_runs():
    model = compile_sbml("passos2010")
    days = np.array([1.0, 2.0, 2.0 + 30.0 / DAY, 2.0 + 90.0 / DAY, 2.5])
    runs = simulate_ssa(model, n_cells=6, times=days * DAY, seed=2010)
    return model, days, runs


def test_passos_invariants_and_the_ir_pulse(passos_runs):
    model, _, runs = passos_runs
    col = {name: i for i, name in enumerate(model.species)}
    # ATM and p38 only change form; the boundary and reaction-free species never change
    assert (runs[..., col["ATMA"]] + runs[..., col["ATMI"]] == 200).all()
    assert (runs[..., col["p38"]] + runs[..., col["p38_P"]] == 100).all()
    assert (runs[..., col["p21_basal"]] == 7).all()
    assert (runs[..., col["basalROS"]] == 10).all()
    # IR = 200 from exactly t = 2 d for 60 s
    assert (runs[:, :, col["IR"]] == [0, 200, 200, 0, 0]).all()
    # the 60-s pulse makes about kdam * 200 * 60 = 84 damage foci, so the ATM response is on
    assert (runs[:, 4, col["ATMA"]] > 10).all()


def test_passos_mean_is_close_to_the_deterministic_run_after_ir(passos_runs):
    # Half a day after IR the response is carried by tens to hundreds of molecules, so the
    # ensemble mean should be near libroadrunner's ODE. It is not equal: before IR the loop
    # runs at fractions of a molecule in the ODE, and in the SSA (as in libroadrunner's
    # Gillespie, checked separately: means agree within sampling error at 0-1 d) such
    # low-copy states are mostly zero, and the reactions are bimolecular. Measured bias at
    # 2.5 d: -9 to -16 %. Allowed: 25 % of the ODE value plus 3 standard errors of 6 cells.
    model, _, runs = passos_runs
    ode = run_sbml("passos2010", until="2.5d", points=11)  # the last row is 2.5 d
    for name in ("p53", "Mdm2_mRNA", "Mdm2_P", "ATMA", "p21_mRNA", "p21step1", "p21step2"):
        values = runs[:, 4, model.species.index(name)]
        expected = float(ode[name].to_numpy()[-1])
        se = values.std(ddof=1) / math.sqrt(values.size)
        assert abs(values.mean() - expected) <= 0.25 * expected + 3 * se, name


def test_passos_escape_runs_on_a_few_cells():
    # the real timeline (treatment 6 d after IR) takes seconds per cell; here the treatment
    # event is moved to 2 h after IR so that the whole protocol runs in a moment
    model = compile_sbml("passos2010")
    times = model.ev_time.copy()
    times[model.events.index("stopp38ROS")] = 2.0 * DAY + 7200.0
    early = dataclasses.replace(model, ev_time=times)
    result = passos_escape(
        n_cells=3, seed=1, observe="3h", below_for="30min", record_every="1h", model=early
    )
    assert result.basal_mean >= 0
    assert result.threshold >= result.basal_mean
    assert set(result.arms) == {"IR alone", "IR + p38 inhibition"}
    for arm in result.arms.values():
        assert arm.n == 3
        assert arm.escaped.shape == (3,)
        assert 0 <= arm.ci[0] <= arm.ci[1] <= 1
        assert (arm.longest_below_hours <= 3.0 + 1e-9).all()
        assert arm.escaped.tolist() == np.isfinite(arm.escape_hours).tolist()
    assert result.p21["IR alone"].shape == (3, result.times_days.size)
    # the arms share every state up to and including treatment start
    protocol = result.protocol
    start = protocol["treatment_time_days"] - protocol["ir_time_days"]
    before = result.times_days <= start + 1e-9
    np.testing.assert_array_equal(
        result.p21["IR alone"][:, before], result.p21["IR + p38 inhibition"][:, before]
    )


def test_wilson_interval():
    low, high = wilson_interval(96, 500)
    assert low < 96 / 500 < high
    assert wilson_interval(0, 500)[0] == 0.0
    with pytest.raises(InputError):
        wilson_interval(3, 2)
