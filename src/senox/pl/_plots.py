"""The plotting functions of ``senox.pl``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import pandas as pd

from senox._errors import InputError
from senox._groups import group_order
from senox._palette import GROUP_COLORS, STRATEGY_COLORS, cycle, state_colors

if TYPE_CHECKING:
    from anndata import AnnData
    from matplotlib.axes import Axes
    from matplotlib.collections import PolyCollection

    from senox.model import SimulationResult


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, created = plt.subplots(figsize=size, layout="constrained")
    return created


def _done(ax: Axes, *, show: bool) -> Axes:
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    return ax


def _obs_column(adata: AnnData, column: str, fix: str) -> pd.Series:
    if column not in adata.obs.columns:
        found = ", ".join(map(str, adata.obs.columns)) or "none"
        msg = f"obs[{column!r}] is missing (obs columns: {found}); {fix}"
        raise InputError(msg)
    values: pd.Series = adata.obs[column]
    return values


def _uns_colors(adata: AnnData, column: str) -> dict[str, str]:
    """``uns[f"{column}_colors"]`` as category → colour, when it matches the categories."""
    values = adata.obs[column]
    colors = adata.uns.get(f"{column}_colors")
    if colors is None or not isinstance(values.dtype, pd.CategoricalDtype):
        return {}
    categories = [str(c) for c in values.cat.categories]
    if len(colors) != len(categories):
        return {}
    return dict(zip(categories, map(str, colors), strict=True))


def state_palette(adata: AnnData, *, key_added: str = "senox") -> dict[str, str]:
    """State → colour: ``uns[f"{key_added}_state_colors"]``, else senox's palette."""
    column = f"{key_added}_state"
    states = _obs_column(adata, column, "call states first (sx.tl.call_states)")
    return {**state_colors(states.astype(str).unique()), **_uns_colors(adata, column)}


def _group_palette(adata: AnnData, groupby: str, groups: list[str]) -> dict[str, str]:
    return {**cycle(groups, GROUP_COLORS), **_uns_colors(adata, groupby)}


def _scores_table(adata: AnnData, key_added: str, programs: list[str] | None) -> pd.DataFrame:
    table = adata.obsm.get(f"{key_added}_scores")
    if not isinstance(table, pd.DataFrame):
        msg = f"obsm['{key_added}_scores'] is missing: score programs first (sx.tl.score_programs)"
        raise InputError(msg)
    if programs is None:
        return table
    unknown = [p for p in programs if p not in table.columns]
    if unknown:
        msg = (
            f"programs {', '.join(map(repr, unknown))} were not scored (scored: "
            f"{', '.join(map(str, table.columns))}); name scored programs"
        )
        raise InputError(msg)
    return table[programs]


def scores(
    adata: AnnData,
    *,
    programs: list[str] | None = None,
    groupby: str | None = None,
    kind: Literal["violin", "heatmap"] = "violin",
    key_added: str = "senox",
    ax: Axes | None = None,
    show: bool = False,
) -> Axes:
    """Program scores: violins per program (and group), or a heatmap of group means.

    Parameters
    ----------
    adata
        Scored observations (:func:`senox.tl.score_programs`).
    programs
        Programs to draw (default: every scored one).
    groupby
        A column of ``obs``: violins side by side per group, coloured by
        ``uns[f"{groupby}_colors"]`` when it matches the categories; heatmap rows.
    kind
        ``"violin"`` or ``"heatmap"`` (mean score of each group × program).
    key_added
        The ``key_added`` of the scores.
    ax, show
        Axes to draw into (default: a new figure); also show the figure.

    Returns
    -------
    The axes drawn into.
    """
    table = _scores_table(adata, key_added, programs)
    labels = (
        pd.Series("all", index=adata.obs_names)
        if groupby is None
        else _obs_column(adata, groupby, "name a column of obs")
    )
    groups = ["all"] if groupby is None else group_order(labels)
    if kind not in _SCORE_PLOTS:
        msg = f"kind={kind!r}: use {' or '.join(map(repr, _SCORE_PLOTS))}"
        raise InputError(msg)
    if kind == "heatmap":
        return _done(_heatmap(table, labels.astype(str), groups, ax), show=show)
    colors = _group_palette(adata, groupby, groups) if groupby else {"all": STRATEGY_COLORS[0]}
    ax = _violins(table, labels.astype(str), colors, ax)
    if groupby is not None:
        _legend(ax, colors, title=groupby)
    return _done(ax, show=show)


#: The kinds of :func:`scores` plot.
_SCORE_PLOTS = ("violin", "heatmap")


def _violins(
    table: pd.DataFrame, labels: pd.Series, colors: dict[str, str], ax: Axes | None
) -> Axes:
    """One violin per program and group (groups side by side, in ``colors``' order)."""
    groups = list(colors)
    ax = _new_axes(ax, (max(4.0, 0.9 * len(table.columns) * len(groups)), 3.5))
    width = 0.8 / len(groups)
    for g, group in enumerate(groups):
        in_group = (labels == group).to_numpy()
        for p, program in enumerate(table.columns):
            values = table.loc[in_group, program].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            if len(values) < 2:
                continue
            position = p - 0.4 + width * (g + 0.5)
            parts = ax.violinplot(values, [position], widths=width * 0.9, showextrema=False)
            for body in cast("list[PolyCollection]", parts["bodies"]):
                body.set_facecolor(colors[group])
                body.set_edgecolor(colors[group])
                body.set_alpha(0.8)
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns], rotation=45)
    ax.set_ylabel("score")
    return ax


def _heatmap(table: pd.DataFrame, labels: pd.Series, groups: list[str], ax: Axes | None) -> Axes:
    means = table.groupby(labels.to_numpy()).mean().reindex(groups)
    ax = _new_axes(ax, (max(4.0, 0.5 * len(table.columns) + 2), max(2.0, 0.4 * len(groups) + 1)))
    image = ax.imshow(means.to_numpy(dtype=float), aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(means.columns)), [str(c) for c in means.columns], rotation=45)
    ax.set_yticks(range(len(groups)), groups)
    ax.figure.colorbar(image, ax=ax, label="mean score")
    return ax


def _legend(ax: Axes, colors: dict[str, str], *, title: str | None = None) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=color, label=name) for name, color in colors.items()]
    ax.legend(handles=handles, title=title, frameon=False, loc="center left",
              bbox_to_anchor=(1.0, 0.5))  # fmt: skip


def _basis(adata: AnnData, basis: str | None) -> tuple[str, np.ndarray]:
    names = [basis if basis.startswith("X_") else f"X_{basis}"] if basis else ["X_umap", "X_pca"]
    for name in names:
        if name in adata.obsm:
            return name, np.asarray(adata.obsm[name])[:, :2]
    found = ", ".join(adata.obsm.keys()) or "none"
    msg = (
        f"no embedding {' or '.join(map(repr, names))} in obsm (obsm: {found}); compute one "
        "(sc.pp.pca(adata) or sc.tl.umap(adata)) or name one with basis="
    )
    raise InputError(msg)


def states(
    adata: AnnData,
    *,
    basis: str | None = None,
    key_added: str = "senox",
    size: float | None = None,
    ax: Axes | None = None,
    show: bool = False,
) -> Axes:
    """Observations on an embedding, coloured by state.

    Parameters
    ----------
    adata
        Observations with states (:func:`senox.tl.call_states`) and an embedding in ``obsm``.
    basis
        The embedding (``"umap"`` or ``"X_umap"``); default ``obsm["X_umap"]``, else
        ``obsm["X_pca"]``. Its first two columns are drawn.
    key_added
        The ``key_added`` of the states.
    size
        Marker size (default: smaller for more observations, as scanpy's).
    ax, show
        Axes to draw into (default: a new figure); also show the figure.

    Returns
    -------
    The axes drawn into; one scatter per state, in the colours of :func:`state_palette`.
    """
    colors = state_palette(adata, key_added=key_added)
    state = adata.obs[f"{key_added}_state"].astype(str).to_numpy()
    name, xy = _basis(adata, basis)
    ax = _new_axes(ax, (5.5, 4.0))
    dot = size if size is not None else 120000 / max(adata.n_obs, 1)
    order = group_order(adata.obs[f"{key_added}_state"])
    for s in order:
        mask = state == s
        ax.scatter(xy[mask, 0], xy[mask, 1], s=min(dot, 40.0), color=colors[s], lw=0,
                   label=f"{s} (n={int(mask.sum())})")  # fmt: skip
    label = name.removeprefix("X_").upper()
    ax.set_xlabel(f"{label}1")
    ax.set_ylabel(f"{label}2")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5), markerscale=2)
    return _done(ax, show=show)


def state_fractions(
    adata: AnnData,
    *,
    groupby: str | None = None,
    key_added: str = "senox",
    ax: Axes | None = None,
    show: bool = False,
) -> Axes:
    """Stacked bars: the fraction of each state per group.

    Parameters
    ----------
    adata
        Observations with states (:func:`senox.tl.call_states`).
    groupby
        A column of ``obs``, one bar per group (default: one bar for all observations).
    key_added
        The ``key_added`` of the states.
    ax, show
        Axes to draw into (default: a new figure); also show the figure.

    Returns
    -------
    The axes drawn into; one bar segment per group and state (a
    :class:`matplotlib.patches.Rectangle` in the state's colour).
    """
    colors = state_palette(adata, key_added=key_added)
    state = adata.obs[f"{key_added}_state"].astype(str)
    labels = (
        pd.Series("all", index=adata.obs_names)
        if groupby is None
        else _obs_column(adata, groupby, "name a column of obs").astype(str)
    )
    groups = ["all"] if groupby is None else group_order(adata.obs[groupby])
    table = pd.crosstab(labels, state, normalize="index").reindex(index=groups)
    order = [s for s in group_order(adata.obs[f"{key_added}_state"]) if s in table.columns]
    ax = _new_axes(ax, (6.0, max(1.8, 0.45 * len(groups) + 1.0)))
    left = np.zeros(len(groups))
    for s in order:
        ax.barh(groups, table[s].to_numpy(), left=left, color=colors[s], label=s)
        left += table[s].to_numpy()
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of observations")
    ax.invert_yaxis()
    ax.legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _done(ax, show=show)


def _simulation(
    data: AnnData | SimulationResult | pd.DataFrame, key_added: str, days: float | None
) -> tuple[pd.DataFrame, float]:
    """The per-run summary table and the horizon of a simulation, wherever it is held."""
    from senox.model import SimulationResult

    if isinstance(data, pd.DataFrame):
        if days is None:
            msg = "a summary table needs days= (the horizon it was simulated to)"
            raise InputError(msg)
        return data, days
    if isinstance(data, SimulationResult):
        return data.summary, data.days if days is None else days
    record = data.uns.get(key_added, {}).get("simulation")
    if record is None:
        msg = f"uns[{key_added!r}]['simulation'] is missing: simulate first (sx.tl.simulate)"
        raise InputError(msg)
    return record["summary"], float(record["days"]) if days is None else days


def strategies(
    data: AnnData | SimulationResult | pd.DataFrame,
    *,
    key_added: str = "senox",
    days: float | None = None,
    ax: Axes | None = None,
    show: bool = False,
) -> Axes:
    """Relapse-free fraction of the virtual cohort over time, one curve per strategy.

    Parameters
    ----------
    data
        An AnnData simulated by :func:`senox.tl.simulate`, a
        :class:`senox.model.SimulationResult`, or its ``summary`` table (with ``days``).
    key_added
        The ``key_added`` of the simulation (AnnData only).
    days
        The horizon (default: the simulation's).
    ax, show
        Axes to draw into (default: a new figure); also show the figure.

    Returns
    -------
    The axes drawn into; a step curve per strategy (:func:`senox.model.relapse_free`), in Paul
    Tol's "bright" colours.
    """
    from senox.model import relapse_free

    summary, horizon = _simulation(data, key_added, days)
    curves = relapse_free(summary, horizon)
    names = [str(n) for n in pd.unique(curves["strategy"])]
    colors = cycle(names, STRATEGY_COLORS)
    ax = _new_axes(ax, (6.0, 3.5))
    for name, curve in curves.groupby("strategy", sort=False):
        ax.step(curve["time_days"], curve["relapse_free"], where="post", color=colors[str(name)],
                label=str(name))  # fmt: skip
    ax.set_xlabel("days")
    ax.set_ylabel("relapse-free fraction")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _done(ax, show=show)
