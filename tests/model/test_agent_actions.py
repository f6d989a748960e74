"""Agents resolve to the actions their classes, targets and the reviewed table give (issue 14).

Every agent of the shipped evidence base is checked against the reviewed page
docs/agent-actions.md, so a change in resolution fails here until the page is regenerated
(``python tools/agent_actions_table.py``) and reviewed.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from senox._errors import InputError
from senox.kb import agent_standing, load_evidence
from senox.model import (
    ACTIONS,
    action_overrides,
    agent_actions,
    load_strategy,
    resolve_actions,
    state_actions,
    strategies_for_states,
)
from senox.model._strategy import _inferred, _split

PAGE = Path(__file__).resolve().parents[2] / "docs" / "agent-actions.md"
UNRESOLVED = ("AGG", "SGNI", "CBZ", "agronolide")
SHIPPED = sorted(load_evidence(include_user=False).agents["agent"].unique())


def _page_rows() -> dict[str, str]:
    """agent → the 'model actions' cell of the page's 'Every agent' table."""
    section = PAGE.read_text("utf-8").split("## Every agent", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip().replace("\\|", "|") for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 4 and cells[0] not in {"agent", "---|---|---|---"}:
            rows[cells[0]] = cells[2]
    return rows


def test_the_page_lists_every_shipped_agent() -> None:
    assert sorted(_page_rows()) == SHIPPED


@pytest.mark.parametrize("agent", SHIPPED)
def test_every_agent_resolves_as_the_reviewed_page_says(agent: str) -> None:
    expected = _page_rows()[agent]
    if expected.startswith("unusable:") or expected == "no model action":
        with pytest.raises(InputError) as info:
            agent_actions(agent)
        text = str(info.value)
        assert "\n" not in text
        assert "action = ..." in text
        if expected.startswith("unusable:"):
            assert expected.removeprefix("unusable: ") in text
        else:
            assert "has no model action" in text
    else:
        assert agent_actions(agent)[2] == tuple(expected.split(", "))


@pytest.mark.parametrize(
    ("agent", "actions"),
    [
        ("cisplatin", ("genotoxic",)),
        ("doxorubicin", ("genotoxic",)),
        ("Adriamycin", ("genotoxic",)),
        ("5-fluorouracil", ("genotoxic",)),
        ("CDK4/6i", ("cdk46_inhibition",)),
        ("navitoclax", ("senolysis",)),
        ("dasatinib + quercetin", ("senolysis",)),
        ("metformin", ("senomorphic",)),
        ("sorafenib", ("ros_induction",)),
        ("trabectedin", ("genotoxic", "ros_induction")),
        ("buthionine sulfoximine", ("ros_induction", "gsh_depletion")),
    ],
)
def test_named_agents(agent: str, actions: tuple[str, ...]) -> None:
    assert agent_actions(agent)[2] == actions


def test_a_second_class_no_longer_suppresses_the_genotoxic_action() -> None:
    # cisplatin is filed as chemotherapy and as a ROS-inducing apoptotic agent; without the
    # reviewed row its classes imply both actions, and genotoxic is among them
    card_classes = _split(resolve_actions("cisplatin").agent_class)
    records = pd.DataFrame({"target": [""], "effect": [""]})
    assert "genotoxic" in _inferred(records, card_classes)[0]


@pytest.mark.parametrize("agent", UNRESOLVED)
def test_unresolved_names_are_refused_with_the_reason(agent: str) -> None:
    with pytest.raises(InputError) as info:
        agent_actions(agent)
    text = str(info.value)
    assert "cannot be dosed: name unresolved" in text
    assert "name a resolved agent" in text
    assert "\n" not in text


def test_a_strategy_naming_an_unresolved_agent_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[strategy]\nname = "mine"\n\n[[doses]]\nagent = "AGG"\nstart = 0\n')
    with pytest.raises(InputError, match=r"doses\[0\]: agent 'AGG' cannot be dosed"):
        load_strategy(path)


def test_mek_inhibitors_are_not_genotoxic() -> None:
    with pytest.raises(InputError, match="has no model action"):
        agent_actions("MEK inhibitors")


def test_a_class_restriction_keeps_only_reviewed_actions() -> None:
    assert agent_actions("metformin", "senomorphic")[2] == ("senomorphic",)
    with pytest.raises(InputError, match="has no model action"):
        agent_actions("metformin", "ferroptosis inducer")
    assert agent_actions("trabectedin", "ferroptosis inducer")[2] == ("ros_induction",)


def test_every_reviewed_row_names_a_shipped_agent_and_changes_its_inference() -> None:
    evidence = load_evidence(include_user=False)
    for agent, row in action_overrides().iterrows():
        assert agent in SHIPPED
        assert set(_split(row.actions)) <= set(ACTIONS)
        assert row.rationale
        assert "PMID" in row.source or "seed" in row.source
        card = evidence.agents[evidence.agents["agent"] == agent].iloc[0]
        records = evidence.records[evidence.records["agent"] == agent]
        inferred, _ = _inferred(records, _split(card["agent_class"]))
        assert inferred != set(_split(row.actions)), f"the row for {agent} changes nothing"


# --- strategies from the vulnerabilities of the observed states ----------------------------


def _table(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["state", "agent", "fdr"])


def test_strategies_skip_agents_that_do_not_act_on_their_state() -> None:
    table = _table(
        [
            ("escape_like", "AGG", 0.001),  # unresolved
            ("senescent_inflammatory", "CDK4/6 inhibitors", 0.002),  # arrest, no senolysis
            ("senescent_inflammatory", "doxorubicin", 0.003),  # genotoxic only
            ("senescent_p53", "metformin", 0.004),  # senomorphic: not for the p53 SASP
            ("other", "navitoclax", 0.005),  # no action targets 'other'
            ("escape_like", "auranofin", 0.02),
            ("senescent_inflammatory", "navitoclax", 0.01),
            ("senescent_p53", "NAV-Gal", 0.011),  # the same therapy to the model as navitoclax
            ("senescent subcluster 2", "metformin", 0.03),
            ("senescent_p53", "BCL-2 inhibitors", math.nan),  # too small to test
            ("senescent_p53", "", 0.0),  # a row with no agent
            ("escape_like", "not-an-agent", 0.0),  # a name the evidence base does not hold
        ]
    )
    made = strategies_for_states(table, 10)
    assert [s.name for s in made] == ["chemo+navitoclax", "chemo+auranofin", "chemo+metformin"]
    chemo = load_strategy("chemo").rules
    senolytic, ros = made[0].rules[-1], made[1].rules[-1]
    assert made[0].rules[:-1] == chemo
    assert (senolytic.start, senolytic.every, senolytic.count) == (7.0, 1.0, 14)
    assert (ros.start, ros.every, ros.count) == (0.0, 1.0, 84)
    assert made[1].source == "vulnerability of state 'escape_like' (ros_induction)"
    assert [s.name for s in strategies_for_states(table, 1)] == ["chemo+navitoclax"]
    assert strategies_for_states(table, 0) == []


def test_strategies_rank_by_auroc_without_fdr() -> None:
    table = pd.DataFrame(
        {
            "state": ["senescent_inflammatory", "escape_like"],
            "agent": ["navitoclax", "auranofin"],
            "auroc": [0.6, 0.9],
        }
    )
    assert [s.name for s in strategies_for_states(table, 2)] == [
        "chemo+auranofin",
        "chemo+navitoclax",
    ]


def test_strategies_from_an_empty_or_malformed_table() -> None:
    assert strategies_for_states(_table([]), 3) == []
    with pytest.raises(InputError, match="'fdr' or 'auroc'"):
        strategies_for_states(pd.DataFrame({"state": ["escape_like"], "agent": ["PEITC"]}), 3)
    with pytest.raises(InputError, match="column\\(s\\) agent missing"):
        strategies_for_states(pd.DataFrame({"state": ["escape_like"], "fdr": [0.1]}), 3)
    with pytest.raises(InputError, match="whole number"):
        strategies_for_states(_table([]), -1)


STATES = ["senescent_inflammatory", "senescent_p53", "senescent subcluster 0", "escape_like",
          "other", "proliferating"]  # fmt: skip


@settings(deadline=None, max_examples=30)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(STATES),
            st.sampled_from(SHIPPED),
            st.floats(min_value=0, max_value=1),
        ),
        max_size=60,
    ),
    n=st.integers(min_value=0, max_value=12),
)
def test_no_generated_strategy_doses_an_unusable_agent_or_one_that_misses_its_state(
    rows: list[tuple[str, str, float]], n: int
) -> None:
    usable = agent_standing(load_evidence())["usable"]
    made = strategies_for_states(_table(rows), n)
    assert len(made) <= n
    assert len({s.name for s in made}) == len(made)
    for strategy in made:
        added = strategy.rules[-1]
        assert usable[added.agent]
        state = strategy.source.split("'")[1]
        assert set(added.actions) & state_actions(state)
        assert set(added.actions) != {"genotoxic"}
