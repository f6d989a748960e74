"""Render a :class:`ReportContext` into one self-contained HTML page and write it atomically.

Tables are made interactive (search, sorting, paging, a scroll box for wide tables) by
DataTables (https://datatables.net, MIT), taken from the offline bundle that itables ships
(``itables.options.dt_bundle``, MIT; https://mwouts.github.io/itables/) and inlined in the page, so
nothing is fetched when it is viewed. Each cell carries its sort key (``data-order``): numbers
sort by value, and relapse times beyond the horizon ("not reached") sort above every reached one.
"""

from __future__ import annotations

import base64
import importlib.metadata
import math
import platform
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import itables.options
import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from senox import __version__
from senox._groups import group_order
from senox._palette import state_colors, state_order
from senox._words import counted
from senox.io import atomic_write_text, check_outputs
from senox.report import _figures
from senox.report._figures import Image, pretty

if TYPE_CHECKING:
    from senox.report._context import ReportContext

#: Section ids, in page order, with their headings. The ids are stable: other tools link to them.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("contrast", "What the data say"),
    ("qc", "Input and quality control"),
    ("scores", "Program scores"),
    ("states", "Cell states"),
    ("heterogeneity", "Senescent heterogeneity"),
    ("vulnerabilities", "Vulnerabilities (hypotheses)"),
    ("strategies", "Simulated strategies"),
    ("methods", "Methods and provenance"),
)
#: Rows per page of a table; a longer table is paged (every row is searched and sorted).
PAGE_ROWS = 15
#: Rows embedded of a long table (the TSV outputs hold them all).
MAX_ROWS = 2_000
#: Characters of text above which a column is kept wide enough to read (not squeezed).
WIDE_TEXT = 60
#: Sort key of a value censored at the horizon ("not reached"): above every reached value.
CENSORED = repr(sys.float_info.max)
#: Where a PMID link points (a link only; nothing is fetched to view the page).
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/{}/"
_SENESCENT = ("senescent_inflammatory", "senescent_p53")
#: Rows of the tested vulnerabilities shown in the contrast section (all are in the TSV).
CONTRAST_ROWS = 15
#: Columns of the vulnerability table shown on the page (the TSV holds them all).
VULNERABILITY_SHOWN = [
    "state", "target", "agent", "agent_class", "stage", "evidence", "pmids", "comparison",
    "status",
]  # fmt: skip
#: Columns of the strategy table in the contrast section: benefit and harm side by side.
BENEFIT_HARM = {
    "strategy": "strategy",
    "rank": "tier",
    "restricted_mean_time_to_relapse_days": "mean days relapse-free",
    "relapse_free_fraction": "relapse-free at end",
    "median_toxicity": "toxicity",
    "median_escaped_fraction": "escaped fraction",
    "dose_equivalents": "standard doses",
    "tier_stability": "tier kept (bootstrap)",
    "rank_range": "position range",
}


@dataclass(frozen=True)
class Cell:
    """One table cell: display text, a sort key, and optional links (PMIDs)."""

    text: str
    sort: str = ""
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Table:
    """A table ready for the template."""

    headers: list[str]
    rows: list[list[Cell]]
    numeric: list[bool]
    note: str = ""
    css_class: str = ""
    wide: list[bool] = field(default_factory=list)


@dataclass(frozen=True)
class FigureItem:
    """An embedded figure with its number, section, caption, alt text and width (CSS px)."""

    key: str
    section: str
    title: str
    caption: str
    src: str
    width: int
    alt: str
    number: int = 0


@dataclass
class _Page:
    """Everything the template reads, beyond the context itself."""

    figures: dict[str, list[FigureItem]] = field(default_factory=dict)
    tables: dict[str, Table | None] = field(default_factory=dict)
    headlines: list[str] = field(default_factory=list)
    heterogeneity: str = ""
    n_figures: int = 0


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return value is pd.NA or value is pd.NaT


def format_value(value: object) -> Cell:
    """A cell for ``value``: numbers to 3 significant digits, mappings as ``name (value)``."""
    if _is_missing(value):
        return Cell("—", "")
    if isinstance(value, bool | np.bool_):
        return Cell("yes" if value else "no", str(int(bool(value))))
    if isinstance(value, int | np.integer):
        return Cell(f"{int(value):,}", repr(int(value)))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isinf(number):
            return Cell("∞" if number > 0 else "−∞", repr(number))
        text = f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.3g}"
        return Cell(text, repr(number))
    if isinstance(value, Mapping):
        parts = [
            f"{pretty(k)} ({v:+.2f})" if isinstance(v, int | float) else f"{pretty(k)} ({v})"
            for k, v in value.items()
        ]
        text = ", ".join(parts)
        return Cell(text, text)
    if isinstance(value, list | tuple | set | np.ndarray):
        text = ", ".join(map(str, value))
        return Cell(text, text)
    return Cell(str(value), str(value))


def pmid_list(value: object) -> list[str]:
    """PMIDs from a list or from text separated by ``;``, ``,`` or whitespace."""
    if _is_missing(value):
        return []
    items = value if isinstance(value, list | tuple | set | np.ndarray) else [value]
    out: list[str] = []
    for item in items:
        if _is_missing(item):
            continue
        if isinstance(item, float | np.floating) and float(item).is_integer():
            item = int(item)
        out += [p for p in re.split(r"[;,\s]+", str(item).strip()) if p]
    return [p.removeprefix("PMID:").strip() for p in out]


def _pmid_cell(value: object) -> Cell:
    pmids = pmid_list(value)
    if not pmids:
        return Cell("—", "")
    links = tuple((p, PUBMED.format(p)) for p in pmids if p.isdigit())
    return Cell("; ".join(pmids), pmids[0], links=links if len(links) == len(pmids) else ())


def make_table(
    frame: pd.DataFrame | None,
    *,
    index: str | None = None,
    max_rows: int = MAX_ROWS,
    css_class: str = "",
    missing: Mapping[str, str] | None = None,
) -> Table | None:
    """A :class:`Table` from ``frame`` (its index becomes a first column named ``index``).

    ``missing`` maps a column to the text shown for its missing values (default ``—``); such
    values are censored (beyond the horizon) and sort above every other value of the column.
    """
    missing = missing or {}
    if frame is None or frame.empty:
        return None
    if index is not None:
        frame = frame.reset_index(names=index)
    shown = frame.head(max_rows)
    rows = []
    for record in shown.itertuples(index=False):
        row = []
        for column, value in zip(shown.columns, record, strict=True):
            if column == "pmids":
                cell = _pmid_cell(value)
            elif column in missing and _is_missing(value):
                cell = Cell(missing[column], CENSORED)
            else:
                cell = format_value(value)
            row.append(cell)
        rows.append(row)
    numeric = [
        bool(pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]))
        for c in frame.columns
    ]
    note = ""
    if len(frame) > max_rows:
        note = f"Showing the first {max_rows:,} of {len(frame):,} rows."
    headers = [pretty(c) for c in frame.columns]
    wide = [
        max((len(row[i].text) for row in rows), default=0) > WIDE_TEXT for i in range(len(headers))
    ]
    return Table(headers, rows, numeric, note, css_class, wide)


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _versions() -> dict[str, str]:
    versions = {"senox": __version__, "python": platform.python_version()}
    for package in ("numpy", "pandas", "scipy", "anndata", "matplotlib", "jinja2", "itables"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _state_summary(ctx: ReportContext) -> pd.DataFrame | None:
    """Per state: count, fraction, median confidence and redox index."""
    if ctx.states is None or ctx.states.empty:
        return None
    states = ctx.states.assign(state=ctx.states["state"].astype(str))
    grouped = states.groupby("state")
    table = pd.DataFrame({
        "n": grouped.size(),
        "fraction": grouped.size() / len(states),
        "median_confidence": grouped["confidence"].median(),
        "median_redox_index": grouped["redox_index"].median(),
    })  # fmt: skip
    return table.reindex(state_order(states["state"]))


def _strategy_outcomes(ctx: ReportContext) -> pd.DataFrame | None:
    """Per strategy: medians over virtual patients of the summary's outcome columns.

    ``None`` where the strategies table already holds such medians.
    """
    if ctx.summary is None or ctx.summary.empty:
        return None
    if ctx.strategies is not None and any(
        str(c).startswith("median_") and c != "median_time_to_relapse_days"
        for c in ctx.strategies.columns
    ):
        return None
    columns = [
        c
        for c in ctx.summary.columns
        if c not in ("strategy", "patient", "time_to_relapse_days")
        and pd.api.types.is_numeric_dtype(ctx.summary[c])
    ]
    summary = ctx.summary.assign(strategy=ctx.summary["strategy"].astype(str))
    grouped = summary.groupby("strategy", sort=False)
    table = pd.DataFrame({"n_patients": grouped.size()})
    table["relapsed_fraction"] = grouped["time_to_relapse_days"].apply(lambda s: s.notna().mean())
    for column in columns:
        table[f"median_{column}"] = grouped[column].median()
    ranked = ctx.strategies["strategy"].astype(str).tolist() if ctx.strategies is not None else []
    order = [s for s in ranked if s in table.index] + [s for s in table.index if s not in ranked]
    return table.reindex(order)


def _not_reached(horizon: float | None) -> str:
    """Text for a relapse time beyond the simulated horizon."""
    return f"not reached (> {horizon:g})" if horizon is not None else "not reached"


def _percent(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.01 or x == 0 else "<1%"


def _group_medians(scores: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Each program's median score per group (columns in :func:`senox._groups.group_order`)."""
    aligned = groups.reindex(scores.index)
    medians = scores.groupby(aligned.astype(str)).median().T
    order = group_order(aligned)
    return medians[order + [g for g in medians.columns if g not in order]]


def _headlines(ctx: ReportContext) -> list[str]:
    lines = [
        f"{ctx.n_obs:,} {'cells' if ctx.data_kind == 'single-cell' else 'samples'} × "
        f"{ctx.n_genes:,} genes ({ctx.data_kind}) from {ctx.input_description}."
    ]
    if ctx.states is not None and len(ctx.states):
        share = ctx.states["state"].astype(str).value_counts(normalize=True)
        senescent = sum(float(share.get(s, 0.0)) for s in _SENESCENT)
        lines.append(
            f"{_percent(senescent)} of observations are called senescent "
            f"({_percent(float(share.get('senescent_inflammatory', 0.0)))} inflammatory-SASP, "
            f"{_percent(float(share.get('senescent_p53', 0.0)))} p53-type); "
            f"{_percent(float(share.get('escape_like', 0.0)))} are escape-like; "
            f"the most common state is {pretty(share.index[0])} ({_percent(float(share.iloc[0]))})."
        )
    if ctx.subclusters is not None and len(ctx.subclusters):
        found = counted(len(ctx.subclusters), "sub-cluster")
        lines.append(f"Senescent observations fall into {found}.")
    if ctx.vulnerabilities is not None and len(ctx.vulnerabilities):
        v = ctx.vulnerabilities
        lines.append(
            f"{counted(len(v), 'vulnerability hypothesis', 'vulnerability hypotheses')}: "
            f"{counted(v['agent'].nunique(), 'agent')} against "
            f"{counted(v['target'].nunique(), 'target')}, across "
            f"{counted(v['state'].nunique(), 'state')}."
        )
    if ctx.context == "normal":
        lines.append(
            "No strategy was simulated: the input is normal tissue or cells (--context normal), "
            "and senox's model describes a treated tumour."
        )
    elif ctx.strategies is not None and len(ctx.strategies):
        lines.append(_strategy_headline(ctx.strategies, ctx.horizon()))
    return lines


def _first_listed(best: pd.Series, horizon: float | None) -> str:
    """The headline for a strategy table ranked by the caller (not by senox's Pareto tiers)."""
    text = f"Top-ranked simulated strategy: {best['strategy']}"
    if "median_time_to_relapse_days" in best.index:
        median = best["median_time_to_relapse_days"]
        if _is_missing(median) and horizon is not None:
            text += f" (median time to relapse beyond the {horizon:g}-day horizon"
        else:
            text += f" (median time to relapse {format_value(median).text} days"
        for column in ("relapse_free_fraction_at_end", "relapse_free_fraction"):
            if column in best.index and not _is_missing(best[column]):
                text += f", {_percent(float(best[column]))} of virtual patients relapse-free"
                break
        text += ")"
    return text + " — a model result, not a treatment recommendation."


def _strategy_headline(strategies: pd.DataFrame, horizon: float | None) -> str:
    """The strategies no other beats on benefit and harm together, with both side by side."""
    if "rank" not in strategies or "restricted_mean_time_to_relapse_days" not in strategies:
        return _first_listed(strategies.iloc[0], horizon)
    front = strategies[strategies["rank"] == strategies["rank"].min()]
    shown = [
        f"{row.strategy} ({row.restricted_mean_time_to_relapse_days:.0f} days relapse-free on "
        f"average, toxicity {row.median_toxicity:.1f}, {_percent(row.median_escaped_fraction)} "
        "escaped)"
        for row in front.head(4).itertuples()
    ]
    more = f" and {len(front) - 4} more" if len(front) > 4 else ""
    return (
        f"{len(front)} of {len(strategies)} simulated strategies are not beaten on benefit and "
        f"harm together: {'; '.join(shown)}{more} — model results, not treatment "
        "recommendations."
    )


def _short(label: str) -> str:
    """``"Tumour burden (model units)"`` → ``"tumour burden"``; ``"SASP, A (…)"`` → ``"SASP"``."""
    short = label.split(" (")[0].split(",")[0].strip()
    if len(short) > 1 and short[1].islower():
        short = short[0].lower() + short[1:]
    return short


def _figure_specs(ctx: ReportContext) -> list[tuple[str, str, str, str, Any]]:
    """(key, section, title, caption, thunk) of each figure, in page order."""
    ranked = ctx.strategies["strategy"].astype(str).tolist() if ctx.strategies is not None else None
    group = pretty(ctx.group_label)
    method = ctx.methods.get("score_method", ctx.methods.get("scoring", {}))
    method_text = f" ({method})" if isinstance(method, str) and method else ""
    n_patients = (
        int(ctx.summary.groupby("strategy")["patient"].nunique().max())
        if ctx.summary is not None and len(ctx.summary)
        else 0
    )
    horizon = ctx.horizon()
    single = ctx.data_kind == "single-cell" and ctx.embedding is not None
    specs: list[tuple[str, str, str, str, Any]] = [
        (
            "qc",
            "qc",
            "Quality control",
            f"Genes detected and counts per observation: one box per {group} where there are "
            f"groups (box: quartiles; line: median; whiskers: the furthest values within 1.5 "
            "interquartile ranges), otherwise a histogram (dashed line: median); logarithmic "
            "axes where the values span a decade or more. Below, the fraction of each "
            "program's genes found in the data; programs with low coverage are scored on fewer "
            "genes and are less reliable.",
            lambda: _figures.qc_figure(ctx.qc_per_obs, ctx.program_coverage, ctx.groups),
        ),
        (
            "score_distributions",
            "scores",
            f"Program scores by {group}",
            f"One panel per gene program: the distribution of scores of each {group} (violin; "
            f"points where a {group} has fewer than 10 observations), black tick = median. "
            f"Scores are in the units of the scoring method{method_text}; compare groups within "
            "a panel, not programs across panels.",
            lambda: _figures.score_distributions(ctx.scores, ctx.groups, ctx.group_label),
        ),
    ]
    if single:
        specs.append((
            "state_map",
            "states",
            f"States on the {ctx.embedding_name} embedding",
            f"Cells on the {ctx.embedding_name} embedding by called state: each point a cell "
            "(number of cells per state in the legend) or, above "
            f"{_figures.SCATTER_MAX:,} cells, one panel per state with its cells in hexagonal "
            "bins (darker = more cells, log scale) over all cells in grey.",
            lambda: _figures.state_embedding(ctx.embedding, ctx.states, ctx.embedding_name),
        ))  # fmt: skip
    else:
        specs.append((
            "state_map",
            "states",
            "Program scores and states",
            "Program scores of every observation (columns), standardised across observations "
            "(z, clipped at ±3; red = high), ordered by called state and, within a state, by "
            "confidence. The strip on top shows each observation's state.",
            lambda: _figures.score_heatmap(ctx.scores, ctx.states),
        ))  # fmt: skip
    specs += [
        (
            "decision_plane",
            "states",
            "Where each call comes from",
            "Observations by called state (points, or above "
            f"{_figures.SCATTER_MAX:,} one density panel per state as in the embedding): the "
            "senescence axis "
            "(SenMayo plus CDKN1A/2A, scored without the cycle-only genes, in baseline robust "
            "SDs) against the cycling margin (>= 0: cycling). Dashed lines are the rules' bars: "
            "arrested observations right of 1.5 are senescent (subtype from the SASP and p53 "
            "axes), those left of it quiescent unless their SASP clears 1.5. Values beyond the "
            "frame are drawn on its edge.",
            lambda: _figures.decision_plane(ctx.state_axes, ctx.states),
        ),
        (
            "state_distributions",
            "states",
            "Redox index and confidence by state",
            "Left: redox index (oxidant minus antioxidant program, in baseline z units; "
            "positive = pro-oxidant, negative = antioxidant-dominant) of the observations of "
            "each state. Right: confidence of the state call. Black ticks are medians.",
            lambda: _figures.state_distributions(ctx.states),
        ),
        (
            "state_fractions",
            "states",
            f"State fractions by {group}",
            f"Fraction of observations in each state, per {group} (n = observations in the "
            f"{group}).",
            lambda: _figures.state_fraction_bars(ctx.state_fractions, ctx.group_label),
        ),
        (
            "subclusters",
            "heterogeneity",
            "Senescent sub-clusters",
            "Left: number of senescent observations in each sub-cluster. Right: each "
            "sub-cluster's mean program score relative to all senescent observations "
            "(z; red = higher than the other senescent cells).",
            lambda: _figures.subcluster_panel(ctx.subclusters, ctx.scores, ctx.states),
        ),
        (
            "trajectories",
            "strategies",
            "Simulated course under each strategy",
            f"Median (line) and interquartile range (band) over {n_patients} virtual patients "
            "per strategy, through time, of "
            + ", ".join(
                _short(label)
                for variable, label in ctx.trajectory_panels.items()
                if ctx.trajectories is not None and variable in ctx.trajectories.columns
            )
            + ". Logarithmic axes where values span more than 100-fold.",
            lambda: _figures.trajectory_panels(ctx.trajectories, ctx.trajectory_panels, ranked),
        ),
        (
            "relapse_free",
            "strategies",
            "Relapse-free survival of virtual patients",
            "Kaplan–Meier estimate of the fraction of virtual patients without relapse under "
            "each strategy, from the simulated time to relapse; patients who do not relapse "
            f"are censored at the end of the {horizon or 0:g}-day horizon (tick marks).",
            lambda: _figures.relapse_free_curves(ctx.summary, horizon, ranked),
        ),
    ]
    return specs


def _tested_vulnerabilities(ctx: ReportContext) -> pd.DataFrame | None:
    """The tested, usable vulnerabilities of senescent and escape-like states, best first."""
    v = ctx.vulnerabilities
    if v is None or v.empty or not {"status", "fdr"} <= set(v.columns):
        return None
    targeted = v["state"].astype(str).str.startswith(("senescent", "escape_like"))
    usable = v["agent_usable"].astype(bool) if "agent_usable" in v else True
    rows = v[targeted & usable & (v["status"] == "vulnerability")]
    columns = ["state", "target", "agent", "stage", "log2_fold_change", "fdr"]
    columns += [c for c in ("n_group", "n_comparison") if c in rows]
    return rows.sort_values("fdr")[columns].head(CONTRAST_ROWS)


def _benefit_harm(ctx: ReportContext) -> pd.DataFrame | None:
    if ctx.strategies is None:
        return None
    shown = [c for c in BENEFIT_HARM if c in ctx.strategies.columns]
    return ctx.strategies[shown].rename(columns=BENEFIT_HARM)


def _contrast_share(ctx: ReportContext) -> pd.DataFrame | None:
    if ctx.state_contrast is None:
        return None
    table = ctx.state_contrast.copy()
    for column in ("reference", "treated", "change"):
        table[column] = (100 * table[column]).round(1)
    table.index = [pretty(str(i)) for i in table.index]
    return table.rename(
        columns={"reference": "reference %", "treated": "treated %", "change": "change (points)"}
    )


def draw_data_figures(ctx: ReportContext) -> dict[str, Image]:
    """The figures ``ctx`` can draw, by key, for :func:`render_report`'s ``drawn``.

    ``senox run`` calls it with a context that has the data but no simulation yet, while the
    strategies are simulated in another thread: the figures of the simulation then come out
    empty and are left out, to be drawn by :func:`render_report`.
    """
    drawn = {key: draw() for key, _, _, _, draw in _figure_specs(ctx)}
    return {key: image for key, image in drawn.items() if image is not None}


def _page(ctx: ReportContext, drawn: Mapping[str, Image]) -> _Page:
    page = _Page()
    number = 0
    for key, section, title, caption, draw in _figure_specs(ctx):
        image = drawn.get(key) or draw()
        if image is None:
            continue
        number += 1
        alt = f"Figure {number}: {title}"
        item = FigureItem(key, section, title, caption, image.src, image.width, alt, number)
        page.figures.setdefault(section, []).append(item)
    page.n_figures = number
    coverage = ctx.program_coverage
    qc = ctx.qc_per_obs
    methods = _flatten(ctx.methods)
    strategy_columns = (
        [str(c) for c in ctx.strategies.columns] if ctx.strategies is not None else []
    )
    page.tables = {
        "coverage": make_table(coverage),
        "qc_stats": make_table(
            qc.describe()
            .T[["mean", "min", "50%", "max"]]
            .rename(columns={"50%": "median"}, index=pretty)
            if qc is not None and not qc.empty
            else None,
            index="measure",
        ),
        "group_medians": make_table(
            _group_medians(ctx.scores, ctx.groups)
            if ctx.scores is not None and ctx.groups is not None
            else None,
            index="program",
        ),
        "state_summary": make_table(_state_summary(ctx), index="state"),
        "state_fractions": make_table(ctx.state_fractions, index=ctx.group_label),
        "subclusters": make_table(ctx.subclusters),
        "vulnerabilities": make_table(
            ctx.vulnerabilities[[c for c in VULNERABILITY_SHOWN if c in ctx.vulnerabilities]]
            if ctx.vulnerabilities is not None
            else None,
            css_class="vulnerabilities",
        ),
        "contrast_states": make_table(_contrast_share(ctx), index="state"),
        "contrast_vulnerabilities": make_table(_tested_vulnerabilities(ctx)),
        "benefit_harm": make_table(_benefit_harm(ctx)),
        "model_inputs": make_table(ctx.model_inputs),
        "strategies": make_table(
            ctx.strategies,
            missing=dict.fromkeys(
                [c for c in strategy_columns if "time_to_relapse" in c or c in ("q25", "q75")],
                _not_reached(ctx.horizon()),
            ),
        ),
        "outcomes": make_table(_strategy_outcomes(ctx), index="strategy"),
        "methods": make_table(
            pd.DataFrame({"setting": list(methods), "value": list(methods.values())})
            if methods
            else None
        ),
        "versions": make_table(
            pd.DataFrame({"software": list(_versions()), "version": list(_versions().values())})
        ),
        "timings": make_table(
            pd.DataFrame({"step": list(ctx.timings), "seconds": list(ctx.timings.values())})
            if ctx.timings
            else None
        ),
    }
    page.headlines = _headlines(ctx)
    page.heterogeneity = _heterogeneity(ctx.subcluster_test)
    return page


def _heterogeneity(test: dict[str, Any]) -> str:
    """What the test for senescent sub-populations found, in one sentence."""
    if not test:
        return "Too few senescent observations to look for sub-populations."
    found = (
        "finds sub-populations"
        if test["supported"]
        else "finds no sub-populations, so they are reported as one group"
    )
    n, p_value = int(test["n"]), float(test["p_value"])
    return f"Among the {n:,} senescent observations tested, the test {found} (p = {p_value:.3g})."


def _template() -> jinja2.Template:
    text = (
        resources.files("senox.report")
        .joinpath("templates", "report.html.j2")
        .read_text(encoding="utf-8")
    )
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return env.from_string(text)


def _datatables() -> tuple[str, Markup]:
    """DataTables' script (base64, imported as a ``data:`` module) and its CSS (inlined)."""
    script = Path(itables.options.dt_bundle)
    css = script.with_suffix(".css").read_text(encoding="utf-8")
    encoded = base64.b64encode(script.read_bytes()).decode("ascii")
    return encoded, Markup(css)


def render_report(context: ReportContext, *, drawn: Mapping[str, Image] | None = None) -> str:
    """The report of ``context`` as one self-contained HTML string (nothing is written).

    ``drawn``: figures already drawn by :func:`draw_data_figures` from a context with the same
    data; every other figure is drawn here.
    """
    page = _page(context, drawn or {})
    colors = state_colors(context.states["state"]) if context.states is not None else {}
    datatables_js, datatables_css = _datatables()
    return _template().render(
        ctx=context,
        page=page,
        sections=SECTIONS,
        state_colors={pretty(k): v for k, v in colors.items()},
        pretty=pretty,
        version=__version__,
        page_rows=PAGE_ROWS,
        datatables_js=datatables_js,
        datatables_css=datatables_css,
    )


def write_report(context: ReportContext, path: str | Path, *, force: bool = False) -> Path:
    """Render ``context`` and write it to ``path`` as one self-contained HTML file.

    The page is rendered fully in memory, then written to a temporary file beside ``path`` and
    renamed over it, so ``path`` holds either the whole report or nothing new.

    Parameters
    ----------
    context
        What to report (:class:`senox.report.ReportContext`).
    path
        Target file, conventionally ``OUT/report.html``; missing folders are created.
    force
        Replace ``path`` if senox wrote it earlier (any other existing file is refused).

    Returns
    -------
    The path written.

    Raises
    ------
    senox._errors.OutputExistsError, senox.io.OutputError
        As :func:`senox.io.check_outputs` (checked before any rendering).
    """
    path = Path(path)
    check_outputs([path], force=force)
    html = render_report(context)
    return atomic_write_text(path, html, force=force)
