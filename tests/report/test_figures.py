"""The report's figures at scale: palettes that stay apart, binned violins, density panels."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from scipy import stats

from senox import _palette
from senox.report import _figures as figures

#: Paul Tol's "muted", the group palette before: some of its colours are close to state colours.
TOL_MUTED = (
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
    "#DDCC77", "#CC6677", "#882255", "#AA4499", "#DDDDDD",
)  # fmt: skip
STATE_PALETTE = (*_palette.STATE_COLORS.values(), *_palette.EXTRA_STATE_COLORS)


def lab(color: str) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour: the sRGB transfer function and matrix of IEC 61966-2-1,
    then the CIE 1976 L*a*b* formulas (CIE 15:2004)."""
    rgb = np.array(to_rgb(color))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([
        [0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]
    ]) @ linear / np.array([0.95047, 1.0, 1.08883])  # fmt: skip
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest(a: tuple[str, ...], b: tuple[str, ...] | None = None) -> float:
    """Smallest CIE76 colour difference (Delta E*ab) between two colours of ``a`` (or a × b)."""
    pairs = itertools.combinations(a, 2) if b is None else itertools.product(a, b)
    return min(float(np.linalg.norm(lab(x) - lab(y))) for x, y in pairs)


def test_lab_by_hand() -> None:
    assert lab("#FFFFFF") == pytest.approx([100, 0, 0], abs=0.05)
    assert lab("#000000") == pytest.approx([0, 0, 0], abs=1e-9)
    assert lab("#FF0000") == pytest.approx([53.24, 80.09, 67.20], abs=0.1)  # published sRGB red


def test_strategies_get_at_least_20_distinct_colours() -> None:
    assert len(set(_palette.STRATEGY_COLORS)) >= 20
    # Delta E*ab of about 2.3 is a just-noticeable difference (Sharma 2003); 10 is plainly apart.
    assert closest(_palette.STRATEGY_COLORS) > 10


def test_group_colours_stay_away_from_state_colours() -> None:
    assert closest(_palette.GROUP_COLORS) > 15
    assert closest(_palette.GROUP_COLORS, STATE_PALETTE) > 15
    assert closest(TOL_MUTED, STATE_PALETTE) < 15  # the palette this replaced fails the check


def test_strategy_styles_stay_distinct_past_the_palette() -> None:
    names = [f"strategy {i}" for i in range(2 * len(_palette.STRATEGY_COLORS) + 3)]
    styles = figures.strategy_styles(names)
    assert len(set(styles.values())) == len(names)
    assert styles[names[0]] == (_palette.STRATEGY_COLORS[0], "-")


def test_binned_violin_density_matches_scipy() -> None:
    values = np.random.default_rng(0).gamma(2.0, 1.0, 20_000)
    coords = np.linspace(values.min(), values.max(), 100)
    exact = stats.gaussian_kde(values)(coords)
    binned = figures._binned_density(values, coords)
    assert np.max(np.abs(binned - exact)) < 0.01 * exact.max()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (np.random.default_rng(1).lognormal(8, 1, 1000), True),  # counts: decades apart
        (np.random.default_rng(2).uniform(800, 3000, 1000), False),  # genes detected
        (np.r_[0.0, np.random.default_rng(3).lognormal(8, 1, 999)], False),  # a zero: no log
    ],
)
def test_log_axes_where_values_span_decades(values: np.ndarray, expected: bool) -> None:
    assert figures.spans_decades(values) is expected


def planted(n: int) -> tuple[np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(4)
    state = rng.choice(["proliferating", "quiescent", "senescent_p53"], n, p=[0.6, 0.38, 0.02])
    embedding = rng.normal(size=(n, 2)) + 4 * (state == "senescent_p53")[:, None]
    states = pd.DataFrame({"state": state, "confidence": 0.9, "redox_index": 0.0})
    return embedding, states


def test_many_points_become_one_density_panel_per_state() -> None:
    embedding, states = planted(3 * figures.SCATTER_MAX)
    state = states["state"].to_numpy()
    fig = Figure()
    axes = figures._density_panels(fig, embedding[:, 0], embedding[:, 1], state)
    assert [ax.get_title().split("\n")[0] for ax in axes] == [
        "proliferating", "quiescent", "senescent p53"
    ]  # fmt: skip
    for ax, name in zip(axes, ["proliferating", "quiescent", "senescent_p53"], strict=True):
        background, own = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert np.asarray(background.get_array()).sum() == len(state)  # all, in grey
        assert np.asarray(own.get_array()).size > 0
        assert f"n={(state == name).sum():,}" in ax.get_title()


def test_density_figure_size_does_not_grow_with_cells() -> None:
    small = figures.state_embedding(*planted(2 * figures.SCATTER_MAX))
    large = figures.state_embedding(*planted(20 * figures.SCATTER_MAX))
    assert small is not None
    assert large is not None
    assert large.src.startswith("data:image/png;base64,")
    assert len(large.src) < 1.5 * len(small.src)


def test_qc_by_group_draws_one_box_per_group_on_a_log_axis() -> None:
    rng = np.random.default_rng(5)
    counts = pd.Series(rng.lognormal(8, 1, 400))
    groups = pd.Series(np.repeat(["a", "b", "c", "d"], 100))
    ax = Figure().subplots()
    figures._qc_measure(ax, counts, groups, "Counts")
    assert len(ax.patches) == 4
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    assert "$" not in " ".join(t.get_text() for t in ax.get_yticklabels())  # plain numbers


def test_trajectory_quartiles_from_patients_or_precomputed_agree() -> None:
    from senox.model import load_strategies, simulate_strategies

    strategies = load_strategies(["untreated", "chemo"])
    every = simulate_strategies(strategies, cohort=7, seed=1, days=90.0, output_step=3.0)
    short = simulate_strategies(
        strategies, cohort=7, seed=1, days=90.0, output_step=3.0, trajectories="quartiles"
    )
    variables = ["burden", "E", "sasp"]
    expected = figures._quartiles(every.trajectories, variables)
    got = figures._quartiles(short.trajectories, variables)
    for q in (0.25, 0.5, 0.75):
        pd.testing.assert_frame_equal(got[q], expected[q], check_names=False, rtol=1e-12)
    assert figures.trajectory_panels(short.trajectories, {"burden": "burden"}) is not None
