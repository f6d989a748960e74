"""SBML and Antimony exports say what the ODE engine computes.

The SBML of a toy model with doses validates with no libsbml error, and libroadrunner (CVODE)
simulates it to the same trajectories as :func:`simulate`, through the doses; the same round
trip runs on senox's own ``redox_senescence`` model when its file is there.
"""

from __future__ import annotations

import importlib
import importlib.util
from importlib.resources import files

import numpy as np
import pytest

from senox._errors import InputError
from senox.model._export import to_antimony, to_sbml
from senox.model._ode import simulate
from senox.model._spec import Dose, ModelSpec, load_model, parse_model

HAS_REAL_MODEL = (files("senox.model") / "data" / "redox_senescence.toml").is_file()
HAS_ANTIMONY = importlib.util.find_spec("antimony") is not None

TOY = parse_model(
    {
        "model": {"name": "toy_pkpd", "description": "a drug, ROS and a tumour"},
        "species": [
            {"name": "T", "initial": 0.5, "unit": "burden"},
            {"name": "E", "initial": 1.0, "unit": "relative"},  # 'E' is not Euler's e
            {"name": "D", "initial": 0.0, "unit": "dose equivalent"},
            {"name": "Dmg", "initial": 0.0, "unit": "damage x day"},
        ],
        "parameters": [
            {"name": n, "value": v, "unit": u, "range": [v / 2, v * 2], "source": "toy & <test>"}
            for n, v, u in [
                ("r", 0.3, "1/day"),
                ("kd", 1.2, "1/day"),
                ("EC", 0.5, "1"),
                ("n", 2.5, "1"),
                ("ke", 4.0, "1/day"),
                ("a", 2.0, "1"),
                ("kk", 0.4, "1/day"),
                ("Ke", 1.5, "1"),
                ("w", 0.05, "1/day"),
            ]
        ],
        "assignments": [
            {"name": "eff", "expression": "pow(D, n) / (pow(EC, n) + pow(D, n))"},
            {"name": "kill", "expression": "kk * E ** 3 / (Ke ** 3 + E ** 3)"},
        ],
        "reactions": [
            {"name": "grow", "rate": "r * T * (1 - T)", "change": {"T": 1}},
            {"name": "die", "rate": "kill * T", "change": {"T": -1}},
            {
                "name": "e_in",
                "rate": "ke * (1 + a * eff) * (1 + w * time / (1 + time))",
                "change": {"E": 1},
            },
            {"name": "e_out", "rate": "ke * E", "change": {"E": -1}},
            {"name": "clear", "rate": "kd * D", "change": {"D": -1}},
            {"name": "damage", "rate": "-(-eff) + log(1 + E) * 0.1", "change": {"Dmg": 2}},
        ],
    }
)
TOY_DOSES = [
    Dose(0.0, "D", 1.0),
    Dose(5.0, "D", 2.0),
    Dose(5.0, "D", 0.5),
    Dose(5.0, "T", 0.1),
    Dose(12.5, "D", 1.0),
    Dose(20.0, "D", 1.5),
]


def _errors(sbml: str) -> list[str]:
    import libsbml

    document = libsbml.readSBMLFromString(sbml)
    document.checkConsistency()
    return [
        document.getError(i).getMessage()
        for i in range(document.getNumErrors())
        if document.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]


def _roadrunner(sbml: str, spec: ModelSpec, end: float, points: int) -> np.ndarray:
    import roadrunner

    runner = roadrunner.RoadRunner(sbml)
    runner.integrator.relative_tolerance = 1e-10
    runner.integrator.absolute_tolerance = 1e-13
    runner.timeCourseSelections = ["time", *spec.species_names]
    return np.asarray(runner.simulate(0.0, end, points))[:, 1:]


def _assert_close(ours: np.ndarray, theirs: np.ndarray, floor: float) -> None:
    relative = np.abs(ours - theirs) / np.maximum(np.abs(theirs), floor)
    assert relative.max() <= 1e-4, f"max relative difference {relative.max():.2e}"


def test_sbml_of_a_toy_with_doses_validates_and_says_what_we_mean():
    import libsbml

    sbml = to_sbml(TOY, doses=TOY_DOSES)
    assert _errors(sbml) == []
    model = libsbml.readSBMLFromString(sbml).getModel()
    assert model.getTimeUnits() == "day"
    assert model.getNumSpecies() == 4
    assert all(model.getSpecies(i).getHasOnlySubstanceUnits() for i in range(4))
    die = model.getReaction("die")
    assert [die.getReactant(i).getSpecies() for i in range(die.getNumReactants())] == ["T"]
    assert die.getModifier(0).getSpecies() == "E"  # read through the assignment 'kill'
    damage = model.getReaction("damage")
    assert damage.getProduct(0).getStoichiometry() == 2.0
    assert {damage.getModifier(i).getSpecies() for i in range(damage.getNumModifiers())} == {
        "D",
        "E",
    }
    # one event per dose time, same-species doses at one time merged
    assert model.getNumEvents() == 4
    at_five = model.getEvent(1)
    assert at_five.getUseValuesFromTriggerTime()
    assert not at_five.getTrigger().getInitialValue()
    assert at_five.getTrigger().getPersistent()
    assigned = {
        at_five.getEventAssignment(i).getVariable(): libsbml.formulaToL3String(
            at_five.getEventAssignment(i).getMath()
        )
        for i in range(at_five.getNumEventAssignments())
    }
    assert assigned == {"D": "D + 2.5", "T": "T + 0.1"}
    trigger = at_five.getTrigger().getMath()
    assert trigger.getLeftChild().getType() == libsbml.AST_NAME_TIME
    # 'E' stays the species, 'time' the csymbol, log the natural log
    e_in = model.getReaction("e_in").getKineticLaw().getMath()
    assert "exponentiale" not in libsbml.writeMathMLToString(e_in)
    assert "ln(" in libsbml.formulaToL3String(damage.getKineticLaw().getMath())
    # units, ranges and sources travel in the notes
    assert "range: [0.15, 0.6]" in model.getParameter("r").getNotesString()
    assert "toy &amp; &lt;test&gt;" in model.getParameter("r").getNotesString()


def test_roadrunner_on_the_sbml_matches_simulate_through_the_doses():
    times = np.linspace(0.0, 30.0, 121)  # every dose time is an output time
    cohort = np.array(TOY.parameter_values()) * np.array(
        [[1.0] * 9, [1.3, 0.7, 1.2, 0.9, 1.5, 0.6, 1.1, 0.8, 1.4]]
    )
    ours = simulate(TOY, times=times, parameters=cohort, doses=TOY_DOSES, rtol=1e-10, atol=1e-13)
    for m, row in enumerate(cohort):
        start = np.array([0.5, 1.0, 0.0, 0.0]) * (1 + 0.5 * m)
        if m:
            ours_m = simulate(
                TOY,
                times=times,
                parameters=row,
                initial=start,
                doses=TOY_DOSES,
                rtol=1e-10,
                atol=1e-13,
            )[0]
        else:
            ours_m = ours[0]
        sbml = to_sbml(TOY, parameters=row, initial=start, doses=TOY_DOSES)
        theirs = _roadrunner(sbml, TOY, 30.0, 121)
        _assert_close(ours_m, theirs, floor=1e-6)
        # the dose at day 5 is in the day-5 output of both
        five = int(np.flatnonzero(times == 5.0)[0])
        assert theirs[five, 2] > theirs[five - 1, 2] + 2.0
    np.testing.assert_array_equal(ours[1][0], [0.5, 1.0, 1.0, 0.0])  # dose at t=0 included


def test_overrides_and_bad_inputs():
    sbml = to_sbml(TOY, parameters={"kd": 9.0}, initial={"T": 0.25})
    assert 'id="kd" value="9"' in sbml
    assert 'id="T" compartment="cell" initialAmount="0.25"' in sbml
    with pytest.raises(InputError, match=r"^parameters: shape"):
        to_sbml(TOY, parameters=[1.0, 2.0])
    with pytest.raises(InputError, match=r"^parameters: unknown name\(s\) nope"):
        to_antimony(TOY, parameters={"nope": 1.0})
    with pytest.raises(InputError, match=r"^doses\[0\]: species 'Z'"):
        to_sbml(TOY, doses=[Dose(1.0, "Z", 1.0)])
    with pytest.raises(InputError, match=r"^doses\[0\]: time -1.0"):
        to_antimony(TOY, doses=[Dose(-1.0, "D", 1.0)])


def test_antimony_names_everything():
    text = to_antimony(TOY, doses=TOY_DOSES)
    for name in [
        *TOY.species_names,
        *TOY.parameter_names,
        *(r.name for r in TOY.reactions),
        *(a.name for a in TOY.assignments),
    ]:
        assert f"{name}" in text
    assert "substanceOnly species E in cell = 1.0;" in text
    assert "eff := D^n / (EC^n + D^n);" in text
    assert "damage:  => 2.0 Dmg; " in text
    assert (
        "dose_t5_0: at time >= 5.0, t0=false, persistent=true, fromTrigger=true: "
        "D = D + 2.5, T = T + 0.1;" in text
    )
    assert text.count(" at time >= ") == 4


@pytest.mark.skipif(not HAS_ANTIMONY, reason="the antimony package is not installed")
def test_antimony_text_parses_to_the_same_model():  # pragma: no cover (needs antimony)
    antimony = importlib.import_module("antimony")
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(to_antimony(TOY, doses=TOY_DOSES)) >= 0, (
        antimony.getLastError()
    )
    sbml = antimony.getSBMLString(antimony.getMainModuleName())
    times = np.linspace(0.0, 30.0, 121)
    ours = simulate(TOY, times=times, doses=TOY_DOSES, rtol=1e-10, atol=1e-13)[0]
    _assert_close(ours, _roadrunner(sbml, TOY, 30.0, 121), floor=1e-6)


@pytest.mark.skipif(
    not HAS_REAL_MODEL, reason="src/senox/model/data/redox_senescence.toml is not written yet"
)
def test_redox_senescence_round_trip_with_a_multi_dose_schedule():
    spec = load_model("redox_senescence")
    exposures = [s for s in spec.species_names if s.startswith("C_")]
    assert exposures, "the model has no drug exposure species (C_*)"
    first, second = exposures[0], exposures[-1]
    doses = [Dose(t, first, 1.0) for t in (0.0, 21.0, 42.0, 63.0)]
    doses += [Dose(t, second, 0.5) for t in (7.0, 21.0, 35.0)]
    sbml = to_sbml(spec, doses=doses)
    assert _errors(sbml) == []
    times = np.linspace(0.0, 120.0, 241)
    ours = simulate(spec, times=times, doses=doses, rtol=1e-10, atol=1e-13)[0]
    theirs = _roadrunner(sbml, spec, 120.0, 241)
    _assert_close(ours, theirs, floor=1e-6)
    text = to_antimony(spec, doses=doses)
    for name in [*spec.species_names, *spec.parameter_names, *(r.name for r in spec.reactions)]:
        assert name in text
