"""Strategies: shipped ones resolve through the evidence base; bad files fail on the field."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from senox._errors import InputError
from senox.model import (
    ACTIONS,
    agent_actions,
    builtin_strategies,
    load_model,
    load_strategies,
    load_strategy,
)

if TYPE_CHECKING:
    from pathlib import Path

REQUIRED = {"chemo", "chemo+senolytic", "chemo+senomorphic", "chemo+gsh_depletion",
            "ros_inducer", "ros_inducer+nrf2_inhibitor"}  # fmt: skip


def test_required_strategies_are_shipped_and_dose_model_species() -> None:
    assert set(builtin_strategies()) >= REQUIRED
    species = set(load_model("redox_senescence").species_names)
    assert set(ACTIONS.values()) <= species
    for name in builtin_strategies():
        for dose in load_strategy(name).doses():
            assert dose.species in species
            assert dose.amount > 0
            assert dose.time >= 0


def test_chemo_schedule() -> None:
    doses = load_strategy("chemo").doses()
    assert [d.time for d in doses] == [0.0, 21.0, 42.0, 63.0]
    assert {d.species for d in doses} == {"C_geno"}


@pytest.mark.parametrize(
    ("agent", "actions"),
    [
        ("doxorubicin", ("genotoxic",)),
        ("navitoclax", ("senolysis",)),
        ("CDK4/6 inhibitors", ("cdk46_inhibition",)),
        ("auranofin", ("ros_induction",)),
    ],
)
def test_agents_resolve_to_actions(agent: str, actions: tuple[str, ...]) -> None:
    assert agent_actions(agent)[2] == actions


def test_class_restricts_a_multi_class_agent() -> None:
    assert agent_actions("buthionine sulfoximine")[2] == ("ros_induction", "gsh_depletion")
    assert agent_actions("buthionine sulfoximine", "GSH depletion")[2] == ("gsh_depletion",)
    with pytest.raises(InputError, match="not filed as 'senolytic'"):
        agent_actions("metformin", "senolytic")


def test_shipped_strategies_dose_the_reviewed_actions() -> None:
    # the agents of the shipped strategies resolve as before the rewrite of the resolution
    actions = {name: {a for r in load_strategy(name).rules for a in r.actions}
               for name in builtin_strategies()}  # fmt: skip
    assert actions["chemo"] == {"genotoxic"}
    assert actions["chemo+senomorphic"] == {"genotoxic", "senomorphic"}
    assert actions["chemo+gsh_depletion"] == {"genotoxic", "gsh_depletion"}
    assert actions["cdk46i"] == {"cdk46_inhibition"}


def _write(tmp_path: Path, doses: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(f'[strategy]\nname = "mine"\n\n[[doses]]\n{doses}\n')
    return path


@pytest.mark.parametrize(
    ("doses", "message"),
    [
        ('agent = "doxorubicn"\nstart = 0', "did you mean 'doxorubicin'"),
        ('agent = "doxorubicin"\nstart = -1', "field 'start' is negative"),
        ('agent = "doxorubicin"\nstart = 0\namount = -2', "field 'amount' is negative"),
        ('agent = "doxorubicin"\nstart = 0\ncount = 3', "field 'every' must be > 0"),
        ('action = "teleport"\nstart = 0', "known actions"),
        ('agent = "doxorubicin"\naction = "genotoxic"\nstart = 0', "exactly one of"),
        ('agent = "doxorubicin"\nstart = 0\ndose = 1', "unknown field(s) 'dose'"),
        ('agent = "doxorubicin"', "field 'start' must be a number"),
    ],
)
def test_bad_strategy_files_name_the_field(tmp_path: Path, doses: str, message: str) -> None:
    path = _write(tmp_path, doses)
    with pytest.raises(InputError) as info:
        load_strategy(path)
    text = str(info.value)
    assert str(path) in text
    assert "doses[0]" in text
    assert message in text
    assert "\n" not in text


def test_unknown_strategy_and_duplicates(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="neither a shipped strategy"):
        load_strategy("chemo+magic")
    with pytest.raises(InputError, match="given twice"):
        load_strategies(["chemo", "chemo"])
    path = _write(tmp_path, 'action = "immune_activation"\nstart = 0')
    assert load_strategy(path).doses()[0].species == "C_imm"
