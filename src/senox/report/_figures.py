"""The report's figures, drawn with matplotlib and returned as ``data:`` URIs to embed.

Every function builds its own :class:`matplotlib.figure.Figure` (no pyplot, so no global figure
registry and nothing to close), draws under a local ``rc_context`` and encodes the result as an
:class:`Image`: a base64 ``data:`` URI and the width to show it at. Figures of lines, bars and
violins are SVG (vector: sharp at any zoom); figures of many points or cells are PNG at
``DPI`` 200 (two device pixels per CSS pixel). Above ``SCATTER_MAX`` points a scatter becomes
one density panel (hexagonal bins) per state, so no state hides another and the file stays small
whatever the number of cells. Functions return ``None`` when their data are missing or too thin
to draw.

States use the Okabe–Ito palette, the same in every figure; groups and strategies use the
palettes of :mod:`senox._palette`, which keep group colours away from state colours.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import cbook
from matplotlib.colors import LinearSegmentedColormap, ListedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullFormatter
from scipy import stats

from senox._groups import group_order
from senox._palette import (
    GROUP_COLORS,
    STRATEGY_COLORS,
    state_colors,
    state_order,
)
from senox._palette import cycle as _cycle
from senox.model._limits import QUARTILES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from matplotlib.axes import Axes
    from matplotlib.typing import RcKeyType

#: Raster resolution of the embedded PNGs: two device pixels per CSS pixel (HiDPI).
DPI = 200
#: CSS pixels per figure inch: a figure ``WIDTH`` inches wide is shown 650 px wide.
PX_PER_INCH = 100
#: Figure width in inches.
WIDTH = 6.5
#: Most points drawn one by one; above it, states are drawn as density panels.
SCATTER_MAX = 5_000
#: Hexagons across a density panel.
HEX_GRID = 45
#: Bins of the histogram a violin's density is smoothed from (its cost does not grow with n).
KDE_BINS = 512
#: Most groups shown side by side in one panel (the largest ones).
MAX_GROUPS = 12

#: Every figure is drawn under these settings. Text is shown literally: no mathtext (a user's
#: ``$\foo$`` would not parse) and no LaTeX, whatever the user's matplotlibrc says. (Legends
#: get their handles explicitly, so a name starting with ``_`` is not dropped from them.)
_RC: dict[RcKeyType, Any] = {
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
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


@dataclass(frozen=True)
class Image:
    """An encoded figure: a base64 ``data:`` URI and its width on the page in CSS pixels."""

    src: str
    width: int


def _encode(fig: Figure, fmt: str = "svg") -> Image:
    """Encode ``fig`` as a base64 ``data:`` URI: ``svg`` (vector) or ``png`` (at ``DPI``)."""
    buffer = io.BytesIO()
    if fmt == "svg":
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        mime = "image/svg+xml"
    else:
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        mime = "image/png"
    src = f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"
    return Image(src, round(float(fig.get_size_inches()[0]) * PX_PER_INCH))


def _log_axis(ax: Axes, which: str) -> None:
    """A logarithmic ``x`` or ``y`` axis with plain tick labels (no mathtext is parsed)."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.10g}"))
    axis.set_minor_formatter(NullFormatter())


def _finite(values: Iterable[Any]) -> np.ndarray:
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    array: np.ndarray = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    finite: np.ndarray = array[np.isfinite(array)]
    return finite


def _binned_density(values: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Gaussian KDE of ``values`` at ``coords``, from a histogram of ``KDE_BINS`` bins.

    The bandwidth is Scott's rule for all of ``values`` (the default of
    :class:`scipy.stats.gaussian_kde`); binning first makes the cost independent of how many
    values there are (exact KDE costs n × coords).
    """
    counts, edges = np.histogram(values, bins=KDE_BINS)
    centres = (edges[:-1] + edges[1:]) / 2
    keep = counts > 0
    if keep.sum() < 2:
        return np.where(np.isclose(coords, np.median(values)), 1.0, 0.0)
    factor = len(values) ** (-1 / 5)
    kde = stats.gaussian_kde(centres[keep], bw_method=factor, weights=counts[keep])
    density: np.ndarray = kde(coords)
    return density


def _distribution(ax: Axes, position: float, values: np.ndarray, color: str) -> None:
    """A violin (enough spread values) or a strip of points, with a black median tick."""
    if len(values) == 0:
        return
    if len(values) >= 10 and np.ptp(values) > 0:
        vpstats = cbook.violin_stats(values, _binned_density)
        parts = ax.violin(vpstats, positions=[position], widths=0.8, showextrema=False)
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


#: Smallest ratio of the 99th to the 1st percentile drawn on a logarithmic axis.
LOG_SPAN = 10.0


def spans_decades(values: np.ndarray) -> bool:
    """Whether positive ``values`` span a decade or more (99th over 1st percentile)."""
    if len(values) < 2 or values.min() <= 0:
        return False
    low, high = np.percentile(values, [1, 99])
    return bool(high / low >= LOG_SPAN)


def _group_labels(index: pd.Index, groups: pd.Series | None) -> pd.Series:
    """Each observation's group as text (``all`` without groups, ``unassigned`` where missing).

    The result is categorical, its categories in :func:`senox._groups.group_order`.
    """
    if groups is None:
        return pd.Series(pd.Categorical(["all"] * len(index)), index=index)
    aligned = groups.reindex(index)
    labels = aligned.astype(object).fillna("unassigned").astype(str)
    order = group_order(aligned)
    if aligned.isna().any() and "unassigned" not in order:
        order.append("unassigned")
    return pd.Series(pd.Categorical(labels, categories=order), index=index)


def _largest(labels: pd.Series) -> tuple[list[str], int]:
    """The ``MAX_GROUPS`` largest groups, in :func:`~senox._groups.group_order`, and the count."""
    sizes = labels.astype(str).value_counts()
    largest = set(sizes.index[:MAX_GROUPS])
    return [name for name in group_order(labels) if name in largest], len(sizes)


def _qc_measure(ax: Axes, values: pd.Series, labels: pd.Series, title: str) -> None:
    """One QC measure: a histogram, or one box per group where there are several groups.

    The axis is logarithmic where the values span a decade or more.
    """
    finite = _finite(values)
    log = spans_decades(finite)
    names, _ = _largest(labels)
    if len(names) > 1:
        colors = _cycle(names, GROUP_COLORS)
        data = [_finite(values[labels == name]) for name in names]
        boxes = ax.boxplot(
            data, positions=range(len(names)), widths=0.6, showfliers=False, patch_artist=True,
            medianprops={"color": "black"},
        )  # fmt: skip
        for box, name in zip(boxes["boxes"], names, strict=True):
            box.set_facecolor(colors[name])
            box.set_alpha(0.8)
        _xlabels(ax, names)
        if log:
            _log_axis(ax, "y")
        ax.set_ylabel(title)
    else:
        bins = min(40, max(5, int(np.sqrt(len(finite)))))
        edges = np.geomspace(finite.min(), finite.max(), bins + 1) if log else bins
        bar = {"color": "#66CCEE", "edgecolor": "#4477AA", "linewidth": 0.5}
        ax.hist(finite, bins=edges, **bar)  # type: ignore[arg-type]
        ax.axvline(float(np.median(finite)), color="black", lw=1, ls="--")
        if log:
            _log_axis(ax, "x")
        ax.set_xlabel(title)
        ax.set_ylabel("Observations")
    ax.set_title(f"{title}\n(median {np.median(finite):,.0f}{', log axis' if log else ''})")


def qc_figure(
    qc_per_obs: pd.DataFrame | None,
    coverage: pd.DataFrame | None,
    groups: pd.Series | None = None,
) -> Image | None:
    """Genes detected and counts per observation, per group where there are groups.

    Below them, the fraction of each program's genes found in the data.
    """
    measures: list[tuple[str, pd.Series]] = []
    if qc_per_obs is not None:
        for column, label in (("genes_detected", "Genes detected"), ("total_counts", "Counts")):
            if column in qc_per_obs.columns and len(_finite(qc_per_obs[column])):
                measures.append((label, qc_per_obs[column]))
    has_coverage = coverage is not None and len(coverage) > 0
    if not measures and not has_coverage:
        return None
    layout: list[Any] = [[label for label, _ in measures]] if measures else []
    if has_coverage:
        layout.append(["coverage"] * max(1, len(measures)))
    n_programs = len(coverage) if coverage is not None else 0
    heights = ([2.8] if measures else []) + ([0.22 * n_programs + 0.6] if has_coverage else [])
    with mpl.rc_context(_RC):
        fig = _new(sum(heights) + 0.4)
        axes = fig.subplot_mosaic(layout, height_ratios=heights)
        for label, values in measures:
            _qc_measure(axes[label], values, _group_labels(values.index, groups), label)
        if has_coverage and coverage is not None:
            ax = axes["coverage"]
            table = coverage.sort_values("fraction_found")
            fraction = table["fraction_found"].astype(float).to_numpy()
            ax.barh(range(len(table)), fraction, color="#4477AA")
            ax.set_yticks(range(len(table)))
            ax.set_yticklabels([pretty(p) for p in table["program"]])
            ax.set_xlim(0, 1)
            ax.axvline(1.0, color="#999999", lw=0.8, ls=":")
            ax.set_xlabel("Fraction of genes found")
            ax.set_title("Program coverage")
        return _encode(fig)


def score_distributions(
    scores: pd.DataFrame | None, groups: pd.Series | None, group_label: str = "group"
) -> Image | None:
    """One small panel per program: the score distribution of each group (violin or points).

    With more than ``MAX_GROUPS`` groups, the largest ``MAX_GROUPS`` are shown.
    """
    if scores is None or scores.empty:
        return None
    labels = _group_labels(scores.index, groups)
    names, n_groups = _largest(labels)
    axis_label = pretty(group_label)
    if n_groups > MAX_GROUPS:
        axis_label += f" (the {MAX_GROUPS} largest of {n_groups})"
    colors = _cycle(names, GROUP_COLORS)
    programs = list(scores.columns)
    ncols = min(3, len(programs))
    nrows = math.ceil(len(programs) / ncols)
    tall = max(len(n) for n in names) > 10 or len(names) > 3
    codes = labels.astype(str).map({name: i for i, name in enumerate(names)}).fillna(-1).to_numpy()
    with mpl.rc_context(_RC):
        fig = _new(nrows * (2.3 if tall else 1.9) + 0.4, 7.5 if len(names) > 4 else WIDTH)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, program in zip(axes, programs, strict=False):
            values = scores[program].to_numpy()
            for i, name in enumerate(names):
                _distribution(ax, i, _finite(values[codes == i]), colors[name])
            ax.set_title(pretty(program))
            _xlabels(ax, names)
            ax.set_xlim(-0.6, len(names) - 0.4)
        for ax in axes[len(programs) :]:
            ax.set_visible(False)
        for row in range(nrows):
            axes[row * ncols].set_ylabel("Score (a.u.)")
        fig.supxlabel(axis_label, fontsize=10)
        return _encode(fig, "png")


def _share(count: int, total: int) -> str:
    share = 100 * count / total if total else 0.0
    return f"{share:.1f}%" if share >= 0.1 or count == 0 else "<0.1%"


def _ramp(color: str) -> LinearSegmentedColormap:
    """From a pale tint of ``color`` (few observations) through it to a darker shade (many)."""
    rgb = np.array(to_rgb(color))
    return LinearSegmentedColormap.from_list(
        color, [tuple(1 - 0.3 * (1 - rgb)), tuple(rgb), tuple(0.55 * rgb)]
    )


def _scatter_panel(ax: Axes, x: np.ndarray, y: np.ndarray, state: np.ndarray) -> list[Line2D]:
    """Points coloured by state, the largest states drawn first so small ones stay on top."""
    colors = state_colors(state)
    counts = {s: int((state == s).sum()) for s in colors}
    size = float(np.clip(4000 / len(state), 3, 30))
    for s in sorted(colors, key=lambda s: -counts[s]):
        mask = state == s
        ax.scatter(x[mask], y[mask], s=size, color=colors[s], lw=0)
    return [
        Line2D([], [], ls="", marker="o", color=color, label=f"{pretty(s)} (n={counts[s]:,})")
        for s, color in colors.items()
    ]


def _density_panels(fig: Figure, x: np.ndarray, y: np.ndarray, state: np.ndarray) -> list[Axes]:
    """One panel per state: its observations in hexagonal bins (log count) over all in grey."""
    colors = state_colors(state)
    ncols = 3 if len(colors) > 4 else 2
    nrows = math.ceil(len(colors) / ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
    extent = (float(x.min()), float(x.max()), float(y.min()), float(y.max()))
    hexes = {"gridsize": HEX_GRID, "extent": extent, "mincnt": 1, "linewidths": 0}
    for ax, (name, color) in zip(axes, colors.items(), strict=False):
        mask = state == name
        ax.hexbin(x, y, cmap=ListedColormap(["#e3e3e3"]), **hexes)
        if mask.any():
            ax.hexbin(x[mask], y[mask], bins="log", cmap=_ramp(color), **hexes)
        ax.set_title(
            f"{pretty(name)}\nn={int(mask.sum()):,} ({_share(int(mask.sum()), len(state))})"
        )
    for ax in axes[len(colors) :]:
        ax.set_visible(False)
    return list(axes[: len(colors)])


def _state_map(
    x: np.ndarray,
    y: np.ndarray,
    states: pd.Series,
    labels: tuple[str, str],
    decorate: Callable[[Axes], None],
) -> Image:
    """Observations on two axes by state: one scatter, or density panels above ``SCATTER_MAX``.

    ``decorate`` draws what every panel shares (reference lines, limits, ticks).
    """
    state = states.astype(str).to_numpy()
    with mpl.rc_context(_RC):
        if len(state) <= SCATTER_MAX:
            fig = _new(5.6)
            ax = fig.subplots()
            handles = _scatter_panel(ax, x, y, state)
            decorate(ax)
            ax.set_xlabel(labels[0])
            ax.set_ylabel(labels[1])
            fig.legend(handles=handles, loc="outside lower center", ncols=2, title="State")
        else:
            n_panels = len(state_colors(state))
            fig = _new(2.4 * math.ceil(n_panels / (3 if n_panels > 4 else 2)) + 0.6)
            for ax in _density_panels(fig, x, y, state):
                decorate(ax)
            fig.supxlabel(labels[0], fontsize=10)
            fig.supylabel(labels[1], fontsize=10)
        return _encode(fig, "png")


def _embedding_frame(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def state_embedding(
    embedding: np.ndarray | None, states: pd.DataFrame | None, name: str = "UMAP"
) -> Image | None:
    """Observations on a 2-D embedding, by state (points, or density panels when many)."""
    if embedding is None or states is None or len(states) == 0:
        return None
    return _state_map(
        embedding[:, 0], embedding[:, 1], states["state"], (f"{name} 1", f"{name} 2"),
        _embedding_frame,
    )  # fmt: skip


#: The frame of the decision plane (sen, cycling); points beyond it sit on its edge.
DECISION_FRAME = ((-4.0, 8.0), (-6.0, 6.0))


def _decision_frame(ax: Axes) -> None:
    (x_low, x_high), (y_low, y_high) = DECISION_FRAME
    ax.axvline(1.5, color="#555555", lw=0.9, ls="--")
    ax.axhline(0.0, color="#555555", lw=0.9, ls="--")
    ax.set_xlim(x_low - 0.3, x_high + 0.3)
    ax.set_ylim(y_low - 0.3, y_high + 0.3)


def decision_plane(axes: pd.DataFrame | None, states: pd.DataFrame | None) -> Image | None:
    """Senescence axis against cycling margin, by state, with the rules' bars."""
    if axes is None or states is None or len(axes) == 0:
        return None
    (x_low, x_high), (y_low, y_high) = DECISION_FRAME
    x = axes["sen"].astype(float).clip(x_low, x_high).to_numpy()
    y = axes["cycling"].astype(float).clip(y_low, y_high).to_numpy()
    return _state_map(
        x, y, states["state"].reindex(axes.index),
        ("Senescence axis (z)", "Cycling margin (← arrested · cycling →)"), _decision_frame,
    )  # fmt: skip


def score_heatmap(scores: pd.DataFrame | None, states: pd.DataFrame | None) -> Image | None:
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
        return _encode(fig, "png")


def state_fraction_bars(fractions: pd.DataFrame | None, group_label: str = "group") -> Image | None:
    """Stacked horizontal bars: the fraction of each state in each group."""
    if fractions is None or fractions.empty:
        return None
    columns = [c for c in fractions.columns if c != "n"]
    colors = state_colors(columns)
    table = fractions[list(colors)].astype(float).fillna(0.0)
    with mpl.rc_context(_RC):
        fig = _new(1.6 + 0.3 * len(table))
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
        fig.legend(loc="outside lower center", ncols=3, title="State")
        return _encode(fig)


def state_distributions(states: pd.DataFrame | None) -> Image | None:
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
) -> Image | None:
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


#: Line styles that tell strategies apart once ``STRATEGY_COLORS`` has gone round.
DASHES = ("-", "--", ":", "-.")


def strategy_styles(names: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Strategy → (colour, line style): every colour solid, then dashed, and so on."""
    n = len(STRATEGY_COLORS)
    return {
        name: (STRATEGY_COLORS[i % n], DASHES[(i // n) % len(DASHES)])
        for i, name in enumerate(names)
    }


def _quartiles(trajectories: pd.DataFrame, variables: list[str]) -> dict[float, pd.DataFrame]:
    """25th, 50th and 75th percentile over patients of each variable, by strategy and time.

    ``trajectories`` holds every patient (a ``patient`` column) or the quartiles already (a
    ``quantile`` column: ``simulate_strategies(..., trajectories="quartiles")``).
    """
    strategy = trajectories["strategy"].astype(str).rename("strategy")
    if "quantile" in trajectories.columns:
        indexed = trajectories.set_index([strategy, "time_days"]).sort_index()
        return {q: indexed.loc[indexed["quantile"] == q, variables] for q in QUARTILES}
    grouped = trajectories.groupby([strategy, "time_days"], sort=True)[variables]
    return {q: grouped.quantile(q) for q in QUARTILES}


def trajectory_panels(
    trajectories: pd.DataFrame | None,
    panels: Mapping[str, str],
    ranked: Sequence[str] | None = None,
) -> Image | None:
    """Median (line) and interquartile band over virtual patients, per strategy and variable.

    One panel per model variable of ``panels`` present in ``trajectories``, against time.
    """
    if trajectories is None or trajectories.empty:
        return None
    variables = [v for v in panels if v in trajectories.columns]
    if not variables:
        return None
    names = _strategy_names(trajectories, ranked)
    styles = strategy_styles(names)
    quartiles = _quartiles(trajectories, variables)
    ncols = min(2, len(variables))
    nrows = math.ceil(len(variables) / ncols)
    with mpl.rc_context(_RC):
        fig = _new(2.5 * nrows + 0.5 + 0.2 * math.ceil(len(names) / 2))
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        lines: dict[str, Line2D] = {}
        for ax, variable in zip(axes, variables, strict=False):
            lowest, highest = np.inf, -np.inf
            for name in names:
                color, dash = styles[name]
                q25, q50, q75 = (quartiles[q].loc[name][variable] for q in (0.25, 0.5, 0.75))
                time = q50.index.to_numpy(dtype=float)
                low, high = q25.to_numpy(dtype=float), q75.to_numpy(dtype=float)
                ax.fill_between(time, low, high, color=color, alpha=0.2, lw=0)
                median = q50.to_numpy(dtype=float)
                (lines[name],) = ax.plot(time, median, color=color, ls=dash, lw=1.5)
                finite = np.concatenate([low, high])
                finite = finite[np.isfinite(finite)]
                if len(finite):
                    lowest, highest = min(lowest, finite.min()), max(highest, finite.max())
            if lowest > 0 and highest / lowest > 100:
                _log_axis(ax, "y")
            label = panels[variable]
            ax.set_ylabel(label.replace(" (", "\n(", 1) if len(label) > 24 else label)
            ax.set_xlabel("Time (days)")
        for ax in axes[len(variables) :]:
            ax.set_visible(False)
        fig.legend(
            list(lines.values()), list(lines), loc="outside lower center", ncols=2,
            title="Strategy (in ranked order)",
        )  # fmt: skip
        return _encode(fig, "png")


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
) -> Image | None:
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
    styles = strategy_styles(names)
    strategy = summary["strategy"].astype(str)
    with mpl.rc_context(_RC):
        ncols = 2 if max(len(name) for name in names) <= 20 else 1
        fig = _new(3.4 + 0.2 * math.ceil(len(names) / ncols))
        ax = fig.subplots()
        handles, labels = [], []
        for name in names:
            color, dash = styles[name]
            times = times_all[strategy == name].to_numpy()
            steps, fraction, censored = kaplan_meier(times, horizon)
            labels.append(f"{name} (n={len(times)}, {censored} relapse-free)")
            handles += ax.step(steps, fraction, where="post", color=color, ls=dash, lw=1.6)
            if censored:
                ax.plot([horizon], [fraction[-1]], marker="|", ms=10, color=color)
        ax.set_xlim(0, horizon * 1.02)
        ax.set_ylim(-0.02, 1.05)
        ax.set_xlabel("Time (days)")
        ax.set_ylabel("Relapse-free fraction of virtual patients")
        fig.legend(
            handles, labels, loc="outside lower center", ncols=ncols,
            title="Strategy (in ranked order)",
        )  # fmt: skip
        return _encode(fig)
