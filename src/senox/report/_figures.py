"""The report's figures, drawn with matplotlib and returned as ``data:`` URIs to embed.

Every function builds its own :class:`matplotlib.figure.Figure` (no pyplot, so no global figure
registry and nothing to close), draws under a local ``rc_context`` and encodes the result as a
base64 PNG (``dpi`` 100) or SVG ``data:`` URI. Functions return ``None`` when their data are
missing or too thin to draw.

Colours are colour-blind safe: states use the Okabe–Ito palette, the same in every figure;
groups and strategies use Paul Tol's qualitative palettes.
"""

from __future__ import annotations

import base64
import io
import math
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from senox._palette import (
    GROUP_COLORS,
    STRATEGY_COLORS,
    state_colors,
    state_order,
)
from senox._palette import cycle as _cycle

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from matplotlib.axes import Axes
    from matplotlib.typing import RcKeyType

#: Raster resolution of the embedded PNGs.
DPI = 100
#: Figure width in inches (about 900 px at ``DPI``).
WIDTH = 9.0

#: Every figure is drawn under these settings. Text is shown literally: no mathtext (a user's
#: ``$\foo$`` would not parse) and no LaTeX, whatever the user's matplotlibrc says. (Legends
#: get their handles explicitly, so a name starting with ``_`` is not dropped from them.)
_RC: dict[RcKeyType, Any] = {
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "svg.fonttype": "none",
    "svg.hashsalt": "senox-report",
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
}


#: Words written in capitals (or otherwise) when a name is shown to readers.
_WORDS = {
    "sasp": "SASP", "dna": "DNA", "ros": "ROS", "gsh": "GSH", "auc": "AUC", "nrf2": "NRF2",
    "pmids": "PMIDs", "pmid": "PMID", "q25": "q25", "q75": "q75", "like": "-like",
}  # fmt: skip


def pretty(name: object) -> str:
    """A name as it reads on axes, in legends and in table headers.

    ``senescent_p53`` → ``senescent p53``, ``escape_like`` → ``escape-like``, ``sasp`` → ``SASP``.
    """
    words = [_WORDS.get(w.lower(), w) for w in str(name).split("_")]
    return " ".join(words).replace(" -like", "-like")


def _new(height: float, width: float = WIDTH) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _encode(fig: Figure, fmt: str = "png") -> str:
    """Encode ``fig`` as a base64 ``data:`` URI (``png`` or ``svg``)."""
    buffer = io.BytesIO()
    if fmt == "svg":
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        mime = "image/svg+xml"
    else:
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        mime = "image/png"
    return f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def _finite(values: Iterable[Any]) -> np.ndarray:
    array: np.ndarray = pd.to_numeric(pd.Series(list(values)), errors="coerce").to_numpy(
        dtype=float
    )
    finite: np.ndarray = array[np.isfinite(array)]
    return finite


def _distribution(ax: Axes, position: float, values: np.ndarray, color: str) -> None:
    """A violin (enough spread values) or a strip of points, with a black median tick."""
    if len(values) == 0:
        return
    if len(values) >= 10 and np.ptp(values) > 0:
        parts = ax.violinplot([values], positions=[position], widths=0.8, showextrema=False)
        for body in parts["bodies"]:  # type: ignore[attr-defined]
            body.set_facecolor(color)
            body.set_edgecolor(color)
            body.set_alpha(0.6)
    else:
        jitter = np.linspace(-0.15, 0.15, len(values)) if len(values) > 1 else np.zeros(1)
        ax.scatter(position + jitter, values, s=10, color=color, zorder=3)
    ax.hlines(np.median(values), position - 0.25, position + 0.25, color="black", lw=1.2, zorder=4)


def _xlabels(ax: Axes, labels: Sequence[str]) -> None:
    ax.set_xticks(range(len(labels)))
    rotate = len(labels) > 3 or max((len(label) for label in labels), default=0) > 10
    ax.set_xticklabels(labels, rotation=35 if rotate else 0, ha="right" if rotate else "center")


def qc_figure(qc_per_obs: pd.DataFrame | None, coverage: pd.DataFrame | None) -> str | None:
    """Histograms of genes detected and counts per observation, and program gene coverage."""
    panels: list[tuple[str, Any]] = []
    if qc_per_obs is not None:
        for column, label in (
            ("genes_detected", "Genes detected per observation"),
            ("total_counts", "Counts per observation"),
        ):
            if column in qc_per_obs.columns and len(_finite(qc_per_obs[column])):
                panels.append((label, _finite(qc_per_obs[column])))
    if coverage is not None and len(coverage):
        panels.append(("coverage", coverage))
    if not panels:
        return None
    with mpl.rc_context(_RC):
        n_programs = len(coverage) if coverage is not None else 0
        fig = _new(max(2.8, 0.22 * n_programs + 1.0))
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, (label, data) in zip(axes, panels, strict=True):
            if label == "coverage":
                table = data.sort_values("fraction_found")
                fraction = table["fraction_found"].astype(float).to_numpy()
                ax.barh(range(len(table)), fraction, color="#4477AA")
                ax.set_yticks(range(len(table)))
                ax.set_yticklabels([pretty(p) for p in table["program"]])
                ax.set_xlim(0, 1)
                ax.axvline(1.0, color="#999999", lw=0.8, ls=":")
                ax.set_xlabel("Fraction of genes found")
                ax.set_title("Program coverage")
            else:
                bins = min(40, max(5, int(np.sqrt(len(data)))))
                ax.hist(data, bins=bins, color="#66CCEE", edgecolor="#4477AA", linewidth=0.5)
                ax.axvline(float(np.median(data)), color="black", lw=1, ls="--")
                ax.set_xlabel(label.replace(" per observation", "") + " (per observation)")
                ax.set_ylabel("Observations")
                ax.set_title(f"{label}\n(median {np.median(data):,.0f}, dashed)")
        return _encode(fig)


#: Most groups shown side by side in one score panel (the largest ones).
MAX_GROUPS = 12


def score_distributions(
    scores: pd.DataFrame | None, groups: pd.Series | None, group_label: str = "group"
) -> str | None:
    """One small panel per program: the score distribution of each group (violin or points).

    With more than ``MAX_GROUPS`` groups, the largest ``MAX_GROUPS`` are shown.
    """
    if scores is None or scores.empty:
        return None
    if groups is None:
        labels = pd.Series("all", index=scores.index)
    else:
        labels = groups.reindex(scores.index).astype(object).fillna("unassigned").astype(str)
    sizes = labels.value_counts()
    largest = set(sizes.index[:MAX_GROUPS])
    names = [name for name in dict.fromkeys(labels) if name in largest]
    axis_label = pretty(group_label)
    if len(sizes) > MAX_GROUPS:
        axis_label += f" (the {MAX_GROUPS} largest of {len(sizes)})"
    colors = _cycle(names, GROUP_COLORS)
    programs = list(scores.columns)
    ncols = min(4, len(programs))
    nrows = math.ceil(len(programs) / ncols)
    tall = max(len(n) for n in names) > 10 or len(names) > 3
    with mpl.rc_context(_RC):
        fig = _new(nrows * (2.3 if tall else 1.9) + 0.4)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, program in zip(axes, programs, strict=False):
            values = scores[program]
            for i, name in enumerate(names):
                _distribution(ax, i, _finite(values[labels == name]), colors[name])
            ax.set_title(pretty(program))
            _xlabels(ax, names)
            ax.set_xlim(-0.6, len(names) - 0.4)
        for ax in axes[len(programs) :]:
            ax.set_visible(False)
        for row in range(nrows):
            axes[row * ncols].set_ylabel("Score (a.u.)")
        fig.supxlabel(axis_label, fontsize=9)
        return _encode(fig)


def _state_legend(ax: Axes, colors: Mapping[str, str], counts: Mapping[str, int]) -> None:
    handles = [
        Line2D([], [], ls="", marker="o", color=color, label=f"{pretty(s)} (n={counts.get(s, 0)})")
        for s, color in colors.items()
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="State")


def _state_scatter(ax: Axes, x: np.ndarray, y: np.ndarray, states: pd.Series) -> None:
    """Points coloured by state, the largest states drawn first so small ones stay on top."""
    state = states.astype(str).to_numpy()
    colors = state_colors(state)
    counts = {s: int((state == s).sum()) for s in colors}
    size = float(np.clip(4000 / len(state), 2, 30))
    for s in sorted(colors, key=lambda s: -counts[s]):
        mask = state == s
        ax.scatter(x[mask], y[mask], s=size, color=colors[s], lw=0)
    _state_legend(ax, colors, counts)


def state_embedding(
    embedding: np.ndarray | None, states: pd.DataFrame | None, name: str = "UMAP"
) -> str | None:
    """Observations on a 2-D embedding, coloured by state."""
    if embedding is None or states is None or len(states) == 0:
        return None
    with mpl.rc_context(_RC):
        fig = _new(5.2, 7.8)
        ax = fig.subplots()
        _state_scatter(ax, embedding[:, 0], embedding[:, 1], states["state"])
        ax.set_xlabel(f"{name} 1")
        ax.set_ylabel(f"{name} 2")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal", adjustable="datalim")
        return _encode(fig)


#: The frame of the decision plane (sen, cycling); points beyond it sit on its edge.
DECISION_FRAME = ((-4.0, 8.0), (-6.0, 6.0))


def decision_plane(axes: pd.DataFrame | None, states: pd.DataFrame | None) -> str | None:
    """Senescence axis against cycling margin, coloured by state, with the rules' bars."""
    if axes is None or states is None or len(axes) == 0:
        return None
    (x_low, x_high), (y_low, y_high) = DECISION_FRAME
    x = axes["sen"].astype(float).clip(x_low, x_high).to_numpy()
    y = axes["cycling"].astype(float).clip(y_low, y_high).to_numpy()
    with mpl.rc_context(_RC):
        fig = _new(4.6, 7.8)
        ax = fig.subplots()
        _state_scatter(ax, x, y, states["state"].reindex(axes.index))
        ax.axvline(1.5, color="#555555", lw=0.9, ls="--")
        ax.axhline(0.0, color="#555555", lw=0.9, ls="--")
        ax.set_xlim(x_low - 0.3, x_high + 0.3)
        ax.set_ylim(y_low - 0.3, y_high + 0.3)
        ax.set_xlabel("Senescence axis (z)")
        ax.set_ylabel("Cycling margin\n← arrested · cycling →")
        return _encode(fig)


def score_heatmap(scores: pd.DataFrame | None, states: pd.DataFrame | None) -> str | None:
    """Program scores (z across observations), observations ordered by state.

    A colour strip on top marks each observation's state.
    """
    if scores is None or states is None or scores.empty:
        return None
    state = states["state"].astype(str).reindex(scores.index)
    order_states = state_order(state.dropna())
    colors = state_colors(order_states)
    rank = state.map({s: i for i, s in enumerate(order_states)}).fillna(len(order_states))
    confidence = states["confidence"].reindex(scores.index).astype(float).fillna(0.0)
    order = pd.DataFrame({"rank": rank, "confidence": -confidence}).sort_values(
        ["rank", "confidence"], kind="stable"
    )
    matrix = scores.loc[order.index].astype(float)
    spread = matrix.std(ddof=0).replace(0.0, 1.0)
    z = ((matrix - matrix.mean()) / spread).clip(-3, 3).fillna(0.0).to_numpy().T
    strip = np.array([[to_rgb(colors.get(s, "#FFFFFF")) for s in state.loc[order.index]]])
    n_programs, n_obs = z.shape
    counts = {s: int((state == s).sum()) for s in colors}
    with mpl.rc_context(_RC):
        fig = _new(1.4 + 0.28 * n_programs)
        top, bottom = fig.subplots(2, 1, height_ratios=[1, max(n_programs, 1)], sharex=True)
        top.imshow(strip, aspect="auto", interpolation="nearest")
        top.set_yticks([0])
        top.set_yticklabels(["state"])
        top.tick_params(length=0)
        for spine in top.spines.values():
            spine.set_visible(False)
        image = bottom.imshow(z, aspect="auto", cmap="RdBu_r", vmin=-3, vmax=3)
        image.set_interpolation("nearest")
        bottom.set_yticks(range(n_programs))
        bottom.set_yticklabels([pretty(c) for c in matrix.columns])
        if n_obs <= 60:
            bottom.set_xticks(range(n_obs))
            bottom.set_xticklabels(list(map(str, order.index)), rotation=90, fontsize=6)
        else:
            bottom.set_xticks([])
        bottom.set_xlabel(f"Observations (n={n_obs}), ordered by state then confidence")
        bar = fig.colorbar(image, ax=bottom, shrink=0.8)
        bar.set_label("Program score (z across observations)")
        handles = [
            Patch(color=c, label=f"{pretty(s)} (n={counts.get(s, 0)})") for s, c in colors.items()
        ]
        top.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.05), ncols=3)
        return _encode(fig)


def state_fraction_bars(fractions: pd.DataFrame | None, group_label: str = "group") -> str | None:
    """Stacked horizontal bars: the fraction of each state in each group."""
    if fractions is None or fractions.empty:
        return None
    columns = [c for c in fractions.columns if c != "n"]
    colors = state_colors(columns)
    table = fractions[list(colors)].astype(float).fillna(0.0)
    with mpl.rc_context(_RC):
        fig = _new(1.2 + 0.38 * len(table), 8.0)
        ax = fig.subplots()
        left = np.zeros(len(table))
        positions = np.arange(len(table))[::-1]
        for state, color in colors.items():
            values = table[state].to_numpy()
            ax.barh(positions, values, left=left, color=color, label=pretty(state), height=0.7)
            left += values
        ax.set_yticks(positions)
        if "n" in fractions.columns:
            labels = [f"{g} (n={int(n)})" for g, n in zip(table.index, fractions["n"], strict=True)]
        else:
            labels = list(map(str, table.index))
        ax.set_yticklabels(labels)
        ax.set_ylabel(pretty(group_label))
        ax.set_xlim(0, 1)
        ax.set_xlabel("Fraction of observations")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="State")
        return _encode(fig)


def state_distributions(states: pd.DataFrame | None) -> str | None:
    """Redox index and call confidence of the observations of each state."""
    if states is None or len(states) == 0:
        return None
    state = states["state"].astype(str)
    colors = state_colors(state)
    names = list(colors)
    with mpl.rc_context(_RC):
        fig = _new(3.6)
        left, right = fig.subplots(1, 2)
        for ax, column, label in (
            (left, "redox_index", "Redox index (z)\n← antioxidant · oxidant →"),
            (right, "confidence", "Confidence of the call"),
        ):
            for i, name in enumerate(names):
                _distribution(ax, i, _finite(states.loc[state == name, column]), colors[name])
            _xlabels(ax, [pretty(n) for n in names])
            ax.set_xlim(-0.6, len(names) - 0.4)
            ax.set_ylabel(label)
        left.axhline(0.0, color="#999999", lw=0.8, ls=":")
        right.set_ylim(0.45, 1.02)
        return _encode(fig)


def _subcluster_profiles(
    subclusters: pd.DataFrame, scores: pd.DataFrame | None, states: pd.DataFrame | None
) -> pd.DataFrame | None:
    """Sub-cluster × program: mean z (vs all senescent observations) of each program."""
    if scores is not None and states is not None and "subcluster" in states.columns:
        labels = states["subcluster"].reindex(scores.index)
        inside = labels.notna()
        if inside.sum() >= 2:
            matrix = scores[inside].astype(float)
            spread = matrix.std(ddof=0).replace(0.0, 1.0)
            z = (matrix - matrix.mean()) / spread
            profiles: pd.DataFrame = z.groupby(labels[inside].astype(int)).mean()
            return profiles
    if "top_programs" in subclusters.columns:
        rows: dict[int, dict[str, float]] = {
            int(cluster): dict(top)
            for cluster, top in zip(
                subclusters["subcluster"], subclusters["top_programs"], strict=True
            )
            if isinstance(top, dict) and top
        }
        if rows:
            return pd.DataFrame.from_dict(rows, orient="index").astype(float)
    return None


def subcluster_panel(
    subclusters: pd.DataFrame | None,
    scores: pd.DataFrame | None = None,
    states: pd.DataFrame | None = None,
) -> str | None:
    """Sizes of the senescent sub-clusters, and the programs that set each apart."""
    if subclusters is None or subclusters.empty:
        return None
    table = subclusters.sort_values("subcluster")
    profiles = _subcluster_profiles(table, scores, states)
    if "state" in table.columns:
        colors = [state_colors(table["state"]).get(str(s), "#999999") for s in table["state"]]
    else:
        colors = ["#555555"] * len(table)
    labels = [f"sub-cluster {s}" for s in table["subcluster"]]
    with mpl.rc_context(_RC):
        n_programs = 0 if profiles is None else profiles.shape[1]
        fig = _new(max(2.6, 0.5 * len(table) + 1.8, 0.16 * n_programs + 1.6))
        if profiles is None:
            size_ax = fig.subplots()
        else:
            size_ax, heat_ax = fig.subplots(1, 2, width_ratios=[1, 2.2])
        positions = np.arange(len(table))[::-1]
        size_ax.barh(positions, table["n_cells"].astype(float), color=colors)
        size_ax.set_yticks(positions)
        size_ax.set_yticklabels(labels)
        size_ax.set_xlabel("Senescent observations (n)")
        size_ax.set_title("Sub-cluster size")
        if profiles is not None:
            ordered = profiles.reindex([int(s) for s in table["subcluster"]])
            values = ordered.to_numpy(dtype=float).T
            limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
            image = heat_ax.imshow(
                np.nan_to_num(values), aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit
            )
            heat_ax.set_xticks(range(len(labels)))
            heat_ax.set_xticklabels(labels)
            heat_ax.set_yticks(range(values.shape[0]))
            heat_ax.set_yticklabels([pretty(p) for p in ordered.columns])
            heat_ax.set_title("Program profile of each sub-cluster")
            bar = fig.colorbar(image, ax=heat_ax, shrink=0.8)
            bar.set_label("Mean score vs all senescent\nobservations (z)")
        return _encode(fig)


def _strategy_names(frame: pd.DataFrame, ranked: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(frame["strategy"].astype(str)))
    first = [s for s in (ranked or []) if s in present]
    return first + [s for s in present if s not in first]


def trajectory_panels(
    trajectories: pd.DataFrame | None,
    panels: Mapping[str, str],
    ranked: Sequence[str] | None = None,
) -> str | None:
    """Median (line) and interquartile band over virtual patients, per strategy and variable.

    One panel per model variable of ``panels`` present in ``trajectories``, against time.
    """
    if trajectories is None or trajectories.empty:
        return None
    variables = [v for v in panels if v in trajectories.columns]
    if not variables:
        return None
    names = _strategy_names(trajectories, ranked)
    colors = _cycle(names, STRATEGY_COLORS)
    ncols = min(2, len(variables))
    nrows = math.ceil(len(variables) / ncols)
    strategy = trajectories["strategy"].astype(str)
    with mpl.rc_context(_RC):
        fig = _new(2.7 * nrows + 0.6)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        lines: dict[str, Line2D] = {}
        for ax, variable in zip(axes, variables, strict=False):
            lowest, highest = np.inf, -np.inf
            for name in names:
                rows = trajectories[strategy == name]
                grouped = rows.groupby("time_days")[variable]
                time = np.asarray(list(grouped.groups), dtype=float)
                q25, q50, q75 = (
                    grouped.quantile(q).to_numpy(dtype=float) for q in (0.25, 0.5, 0.75)
                )
                ax.fill_between(time, q25, q75, color=colors[name], alpha=0.22, lw=0)
                (lines[name],) = ax.plot(time, q50, color=colors[name], lw=1.6)
                finite = np.concatenate([q25, q75])
                finite = finite[np.isfinite(finite)]
                if len(finite):
                    lowest, highest = min(lowest, finite.min()), max(highest, finite.max())
            if lowest > 0 and highest / lowest > 100:
                ax.set_yscale("log")
            label = panels[variable]
            ax.set_ylabel(label.replace(" (", "\n(", 1) if len(label) > 28 else label)
            ax.set_xlabel("Time (days)")
        for ax in axes[len(variables) :]:
            ax.set_visible(False)
        fig.legend(
            list(lines.values()),
            list(lines),
            loc="outside lower center",
            ncols=min(4, len(names)),
            title="Strategy",
        )
        return _encode(fig)


def kaplan_meier(times: np.ndarray, horizon: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Relapse-free fraction as a step function of time.

    Parameters
    ----------
    times
        Time to relapse of each patient; NaN (or beyond ``horizon``) = no relapse, censored at
        ``horizon``.
    horizon
        End of follow-up.

    Returns
    -------
    Step times (starting at 0, ending at ``horizon``), the surviving fraction from each step
    time on, and the number of censored patients.
    """
    times = np.asarray(times, dtype=float)
    event = np.isfinite(times) & (times <= horizon)
    event_times = np.unique(times[event])
    at_risk = len(times)
    surviving = 1.0
    steps, fraction = [0.0], [1.0]
    for t in event_times:
        deaths = int(np.sum(times[event] == t))
        surviving *= 1.0 - deaths / at_risk
        at_risk -= deaths
        steps.append(float(t))
        fraction.append(surviving)
    steps.append(float(horizon))
    fraction.append(surviving)
    return np.asarray(steps), np.asarray(fraction), int((~event).sum())


def relapse_free_curves(
    summary: pd.DataFrame | None, horizon: float | None, ranked: Sequence[str] | None = None
) -> str | None:
    """Kaplan–Meier-style relapse-free curves of the virtual patients of each strategy (SVG)."""
    if summary is None or summary.empty:
        return None
    times_all = summary["time_to_relapse_days"].astype(float)
    if horizon is None:
        finite = times_all[np.isfinite(times_all)]
        if finite.empty:
            return None
        horizon = float(finite.max())
    names = _strategy_names(summary, ranked)
    colors = _cycle(names, STRATEGY_COLORS)
    strategy = summary["strategy"].astype(str)
    with mpl.rc_context(_RC):
        fig = _new(3.6, 7.5)
        ax = fig.subplots()
        handles, labels = [], []
        for name in names:
            times = times_all[strategy == name].to_numpy()
            steps, fraction, censored = kaplan_meier(times, horizon)
            labels.append(f"{name} (n={len(times)}, {censored} relapse-free)")
            handles += ax.step(steps, fraction, where="post", color=colors[name], lw=1.8)
            if censored:
                ax.plot([horizon], [fraction[-1]], marker="|", ms=10, color=colors[name])
        ax.set_xlim(0, horizon * 1.02)
        ax.set_ylim(-0.02, 1.05)
        ax.set_xlabel("Time (days)")
        ax.set_ylabel("Relapse-free fraction of virtual patients")
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="Strategy")
        return _encode(fig, "svg")
