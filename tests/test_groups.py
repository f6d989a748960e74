"""Groups are shown in the order a reader expects: categories, numbers by value, else as met."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData  # type: ignore[import-untyped,unused-ignore]

from senox._groups import group_order
from senox.report import _figures
from senox.states import state_fractions


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(pd.Series([16, 74, 26, 16, 100]), ["16", "26", "74", "100"], id="numbers"),
        pytest.param(pd.Series([2.5, np.nan, 0.5]), ["0.5", "2.5"], id="floats-missing"),
        pytest.param(pd.Series(["b", "a", "b", "c"]), ["b", "a", "c"], id="text-as-met"),
        pytest.param(
            pd.Series(pd.Categorical(["lo", "hi"], categories=["hi", "mid", "lo"])),
            ["hi", "lo"],
            id="categories-present",
        ),
        pytest.param(pd.Series([True, False, True]), ["True", "False"], id="booleans-as-met"),
    ],
)
def test_group_order(values, expected):
    assert group_order(values) == expected


def test_state_fractions_list_numeric_groups_by_value():
    obs = pd.DataFrame(
        {"pd": [74, 16, 100, 26, 16], "senox_state": ["quiescent"] * 5},
        index=[f"s{i}" for i in range(5)],
    )
    obs.loc["s4", "pd"] = np.nan
    table = state_fractions(AnnData(obs=obs), "pd")
    assert table.index.tolist() == ["16.0", "26.0", "74.0", "100.0", "nan"]


def test_report_figures_place_numeric_groups_by_value():
    index = pd.Index([f"s{i}" for i in range(6)])
    groups = pd.Series([74, 16, 26, 16, 74, np.nan], index=index)
    labels = _figures._group_labels(index, groups)
    names, n_groups = _figures._largest(labels)
    assert names == ["16.0", "26.0", "74.0", "unassigned"]
    assert n_groups == 4


def test_report_group_medians_list_numeric_groups_by_value():
    from senox.report._render import _group_medians

    index = pd.Index([f"s{i}" for i in range(4)])
    scores = pd.DataFrame({"sasp": [1.0, 2.0, 3.0, 4.0]}, index=index)
    medians = _group_medians(scores, pd.Series([100, 16, 26, 16], index=index))
    assert medians.columns.tolist() == ["16", "26", "100"]
    assert list(medians.loc["sasp"]) == [3.0, 3.0, 1.0]
