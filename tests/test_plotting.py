"""sx.pl: matplotlib plots that return their axes and draw in the colours senox writes to uns."""

from __future__ import annotations

import anndata as ad
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

import senox as sx
from senox._errors import InputError
from senox.model import SimulationResult
from tests.states.test_states import make_groups

mpl.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def called() -> ad.AnnData:
    """Planted states called by senox, with a PCA embedding and a categorical group column."""
    adata = make_groups(n_per_group=30)
    sx.tl.call_states(adata)
    adata.obsm["X_pca"] = np.random.default_rng(0).normal(size=(adata.n_obs, 5))
    adata.obs["truth"] = pd.Categorical(adata.obs["truth"])
    return adata


def _state_colours(adata: ad.AnnData) -> dict[str, tuple[float, ...]]:
    categories = adata.obs["senox_state"].cat.categories
    return {s: to_rgba(c) for s, c in zip(categories, adata.uns["senox_state_colors"], strict=True)}


def test_states_draws_each_state_in_its_uns_colour(called: ad.AnnData):
    ax = sx.pl.states(called)
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "PCA1"
    colours = _state_colours(called)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert scatters
    for scatter in scatters:
        state = str(scatter.get_label()).split(" (n=")[0]
        assert tuple(np.asarray(scatter.get_facecolor())[0]) == colours[state]
        n = int((called.obs["senox_state"] == state).sum())
        assert np.asarray(scatter.get_offsets()).shape[0] == n


def test_a_colour_changed_in_uns_is_used(called: ad.AnnData):
    adata = called.copy()
    adata.uns["senox_state_colors"] = ["#111111"] * len(adata.uns["senox_state_colors"])
    ax = sx.pl.state_fractions(adata, groupby="truth")
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert bars
    assert {p.get_facecolor() for p in bars} == {to_rgba("#111111")}


def test_state_fractions_stack_to_one_per_group_in_uns_colours(called: ad.AnnData):
    _, given = plt.subplots()
    ax = sx.pl.state_fractions(called, groupby="truth", ax=given)
    assert ax is given
    colours = _state_colours(called)
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert {p.get_facecolor() for p in bars} <= set(colours.values())
    widths: dict[float, float] = {}
    for bar in bars:
        widths[bar.get_y()] = widths.get(bar.get_y(), 0.0) + bar.get_width()
    assert len(widths) == called.obs["truth"].nunique()
    assert np.allclose(list(widths.values()), 1.0)


def test_score_violins_take_the_group_colours_from_uns(called: ad.AnnData):
    adata = called.copy()
    groups = list(adata.obs["truth"].cat.categories)
    adata.uns["truth_colors"] = ["#123456", "#654321", "#abcdef", "#fedcba", "#0f0f0f"]
    ax = sx.pl.scores(adata, groupby="truth", programs=["senescence", "sasp"])
    bodies = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bodies) == 2 * len(groups)
    # Violins are drawn group by group, each program in turn.
    expected = [to_rgba(c, 0.8) for c in adata.uns["truth_colors"] for _ in range(2)]
    assert [tuple(np.asarray(b.get_facecolor())[0]) for b in bodies] == expected
    assert [t.get_text() for t in ax.get_xticklabels()] == ["senescence", "sasp"]


def test_score_heatmap_holds_group_means(called: ad.AnnData):
    ax = sx.pl.scores(called, groupby="truth", kind="heatmap")
    image = next(i for i in ax.get_children() if isinstance(i, AxesImage))
    scores = called.obsm["senox_scores"]
    means = scores.groupby(called.obs["truth"].astype(str).to_numpy()).mean()
    order = list(called.obs["truth"].cat.categories)
    np.testing.assert_allclose(np.asarray(image.get_array()), means.loc[order].to_numpy())


def test_strategies_draw_relapse_free_curves():
    summary = pd.DataFrame(
        {"strategy": ["a", "a", "b", "b"], "time_to_relapse_days": [10.0, np.nan, 5.0, 20.0]}
    )
    result = SimulationResult(trajectories=pd.DataFrame(), summary=summary, days=30.0)
    ax = sx.pl.strategies(result)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"a", "b"}
    # Half of "a" relapses at day 10; the other half never within the horizon.
    x, y = lines["a"].get_data()
    assert y[np.asarray(x) > 10].max() == pytest.approx(0.5)
    assert y[-1] == 0.5
    assert lines["b"].get_data()[1][-1] == 0.0
    with pytest.raises(InputError, match="needs days="):
        sx.pl.strategies(summary)
    assert sx.pl.strategies(summary, days=30.0).get_lines()


def test_show_calls_pyplot_show(called: ad.AnnData, monkeypatch: pytest.MonkeyPatch):
    shown: list[bool] = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(True))
    ax = sx.pl.states(called, show=True)
    assert shown == [True]
    assert isinstance(ax, Axes)


def test_missing_inputs_are_one_line_errors(called: ad.AnnData):
    bare = ad.AnnData(np.ones((3, 2), dtype=np.float32))
    with pytest.raises(InputError, match=r"obs\['senox_state'\] is missing.*call_states"):
        sx.pl.states(bare)
    with pytest.raises(InputError, match=r"no embedding 'X_umap' or 'X_pca' in obsm"):
        sx.pl.states(ad.AnnData(called.X, obs=called.obs, uns=called.uns))
    with pytest.raises(InputError, match=r"obsm\['senox_scores'\] is missing"):
        sx.pl.scores(bare)
    with pytest.raises(InputError, match=r"programs 'nope' were not scored"):
        sx.pl.scores(called, programs=["nope"])
    with pytest.raises(InputError, match=r"obs\['batch'\] is missing"):
        sx.pl.state_fractions(called, groupby="batch")
    with pytest.raises(InputError, match=r"'simulation'\] is missing.*sx\.tl\.simulate"):
        sx.pl.strategies(called)
