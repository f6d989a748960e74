"""The HTML report: sections, embedded figures, tables, disclaimer, atomic and safe writing."""

from __future__ import annotations

import base64
import dataclasses
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

from senox import _palette
from senox._errors import OutputExistsError
from senox.io import MANIFEST
from senox.report import (
    DISCLAIMER,
    SECTIONS,
    VULNERABILITY_COLS,
    ReportContext,
    render_report,
    write_report,
)
from senox.report import _figures as figures
from senox.report._figures import kaplan_meier, pretty
from senox.report._render import _figure_specs, _headlines
from tests.report.conftest import make_context, make_vulnerabilities

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

#: Figures the full synthetic context yields.
N_FIGURES = 9
#: Tags whose URL attribute would load a resource when the page is viewed.
RESOURCE_ATTRS = {
    "img": "src", "script": "src", "link": "href", "iframe": "src", "source": "src",
    "video": "src", "audio": "src", "embed": "src", "object": "data", "image": "href",
}  # fmt: skip


class Page(HTMLParser):
    """Collects what the tests look at: ids, figures, resources, tables and text by section."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.body: dict[str, str | None] = {}
        self.resources: list[tuple[str, str]] = []
        self.figures: list[dict[str, str]] = []
        self.tables: list[dict[str, object]] = []
        self.section_text: dict[str, str] = {}
        self.first_in_section: dict[str, str] = {}
        self._stack: list[str] = []
        self._section: str | None = None
        self._figure: dict[str, str] | None = None
        self._caption = False
        self._table: dict[str, object] | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_head = False
        self._pending_first: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "body":
            self.body = a
        if tag == "section":
            self._section = a.get("id")
            self._pending_first = self._section
        elif self._pending_first and tag not in ("h2",):
            self.first_in_section[self._pending_first] = f"{tag}.{a.get('class', '')}"
            self._pending_first = None
        if tag in RESOURCE_ATTRS and a.get(RESOURCE_ATTRS[tag]):
            self.resources.append((tag, str(a[RESOURCE_ATTRS[tag]])))
        if tag == "figure":
            self._figure = {"id": str(a.get("id")), "caption": "", "src": ""}
        if tag == "img" and self._figure is not None:
            self._figure["src"] = str(a.get("src"))
            self._figure["alt"] = str(a.get("alt"))
        if tag == "svg" and self._figure is not None:
            self._figure["src"] = "inline-svg"
        if tag == "figcaption":
            self._caption = True
        if tag == "table":
            self._table = {"class": a.get("class", ""), "headers": [], "rows": []}
        if tag == "tr" and self._table is not None:
            self._row = []
        if tag in ("th", "td"):
            self._cell = []
        if tag == "thead":
            self._in_head = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure" and self._figure is not None:
            self.figures.append(self._figure)
            self._figure = None
        if tag == "figcaption":
            self._caption = False
        if tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr" and self._table is not None and self._row is not None:
            key = "headers" if self._in_head else "rows"
            target = self._table[key]
            assert isinstance(target, list)
            if key == "headers":
                target.extend(self._row)
            else:
                target.append(self._row)
            self._row = None
        if tag == "thead":
            self._in_head = False
        if tag == "table" and self._table is not None:
            self._table["section"] = self._section
            self.tables.append(self._table)
            self._table = None
        if tag == "section":
            self._section = None

    def handle_data(self, data: str) -> None:
        if self._caption and self._figure is not None:
            self._figure["caption"] += data
        if self._cell is not None:
            self._cell.append(data)
        if self._section:
            self.section_text[self._section] = self.section_text.get(self._section, "") + data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module")
def html(report_path: Path) -> str:
    return report_path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(html: str) -> Page:
    return parse(html)


def test_every_section_id_and_toc_link(page: Page, html: str) -> None:
    for section, _ in SECTIONS:
        assert section in page.ids
        assert f'href="#{section}"' in html
    assert [s for s in page.ids if s in dict(SECTIONS)] == [s for s, _ in SECTIONS]


def test_figures_are_embedded_with_captions(page: Page, html: str) -> None:
    assert len(page.figures) == N_FIGURES
    assert page.body["data-figures-expected"] == str(N_FIGURES)
    for figure in page.figures:
        assert figure["src"].startswith(("data:image/png;base64,", "data:image/svg+xml;base64,"))
        assert figure["caption"].strip().startswith("Figure ")
        assert len(figure["caption"]) > 60, figure
    kinds = {f["src"].split(";")[0] for f in page.figures}
    assert kinds == {"data:image/png", "data:image/svg+xml"}
    # Every figure is shown at its own width (a 200-dpi PNG at two device pixels per CSS px).
    widths = re.findall(r'<img src="data:[^"]+" alt="[^"]*" width="(\d+)"', html)
    assert len(widths) == N_FIGURES
    assert all(400 <= int(w) <= 800 for w in widths)
    assert {f["id"] for f in page.figures} >= {"fig-state_map", "fig-relapse_free"}


def test_nothing_is_fetched_over_the_network(page: Page, html: str) -> None:
    for tag, url in page.resources:
        assert url.startswith("data:"), (tag, url[:80])
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "@import" not in html
    assert not re.search(r"<link[^>]+stylesheet", html)
    assert "default-src 'none'" in html  # the page's own policy forbids fetching
    # The table library is imported from the page itself, as a data: module.
    imports = re.findall(r'import\s+\w+\s+from\s+"([^"]{0,40})', html)
    assert imports
    assert all(spec.startswith("data:text/javascript;base64,") for spec in imports)


def test_vulnerability_table(page: Page, context: ReportContext) -> None:
    (table,) = [t for t in page.tables if "vulnerabilities" in str(t["class"])]
    assert table["section"] == "vulnerabilities"
    assert table["headers"] == [pretty(c) for c in VULNERABILITY_COLS]
    rows = table["rows"]
    assert isinstance(rows, list)
    expected = context.vulnerabilities
    assert expected is not None
    assert len(rows) == len(expected)
    assert [r[1:3] for r in rows] == expected[["target", "agent"]].to_numpy().tolist()
    assert rows[1][-1] == "23979024; 27777130"  # text PMIDs split and rejoined
    assert rows[3][-1] == "30250033; 31097580"  # a list of PMIDs


def test_disclaimer_opens_the_vulnerability_section(page: Page) -> None:
    assert page.first_in_section["vulnerabilities"] == "p.disclaimer"
    text = " ".join(page.section_text["vulnerabilities"].split())
    assert text.index("Hypotheses, not predictions.") < text.index("State × target × agent")
    assert " ".join(DISCLAIMER.split()) in text
    assert "hypotheses" in DISCLAIMER
    assert "not predictions" in DISCLAIMER


def test_summary_states_the_headlines(page: Page) -> None:
    text = " ".join(page.section_text["summary"].split())
    assert "200 cells × 2,000 genes" in text
    assert "observations are called senescent" in text
    assert "Top-ranked simulated strategy: senolytic after chemo" in text
    assert "Warnings (1)" in text


def test_unreached_relapse_reads_as_such(page: Page, context: ReportContext) -> None:
    table = next(t for t in page.tables if t["section"] == "strategies")
    rows = table["rows"]
    assert isinstance(rows, list)
    assert [r[0] for r in rows] == ["senolytic after chemo", "chemo alone"]
    assert rows[0][1] == "not reached (> 360)"  # NaN median: beyond the horizon
    assert rows[1][1] == "285"


def test_censored_values_sort_above_every_reached_one(html: str) -> None:
    """The sort key DataTables reads (``data-order``) puts "not reached" above any time."""
    section = html[html.index('<section id="strategies">') :]
    section = section[: section.index("</table>")]
    cells = re.findall(r'<td class="num dt-right" data-order="([^"]*)">([^<]*)<', section)
    censored = [float(key) for key, text in cells if text.startswith("not reached")]
    reached = [float(key) for key, text in cells if key and not text.startswith("not reached")]
    assert censored
    assert reached
    assert min(censored) > max(reached)


def test_size_is_reasonable(report_path: Path) -> None:
    assert report_path.stat().st_size < 3_000_000


def bare(**kwargs: object) -> ReportContext:
    """A context with the header only: renders without figures, in milliseconds."""
    fields: dict[str, object] = {
        "input_description": "x.csv", "n_obs": 5, "n_genes": 10, "data_kind": "bulk", **kwargs
    }  # fmt: skip
    return ReportContext(**fields)  # type: ignore[arg-type]


def test_overwrite_needs_force(tmp_path: Path) -> None:
    context = bare()
    target = tmp_path / "out" / "report.html"
    write_report(context, target)
    before = target.read_text(encoding="utf-8")
    with pytest.raises(OutputExistsError, match="already exists") as error:
        write_report(context, target)
    assert "\n" not in str(error.value)
    assert target.read_text(encoding="utf-8") == before
    changed = dataclasses.replace(context, title="second version")
    write_report(changed, target, force=True)
    assert "second version" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in target.parent.iterdir()) == [MANIFEST, "report.html"]


def _boom(*args: object, **kwargs: object) -> str:
    msg = "figure failed"
    raise RuntimeError(msg)


def test_failed_render_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, context: ReportContext
) -> None:
    monkeypatch.setattr(figures, "qc_figure", _boom)
    target = tmp_path / "report.html"
    with pytest.raises(RuntimeError, match="figure failed"):
        write_report(context, target)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
    # An existing report survives a failed forced rewrite untouched.
    monkeypatch.undo()
    write_report(context, target)
    before = target.read_text(encoding="utf-8")
    monkeypatch.setattr(figures, "qc_figure", _boom)
    with pytest.raises(RuntimeError, match="figure failed"):
        write_report(context, target, force=True)
    assert target.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST, "report.html"]


def test_bulk_gets_a_heatmap(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def record(name: str) -> Callable[..., figures.Image]:
        def draw(*args: object) -> figures.Image:
            calls.append(name)
            return figures.Image("data:,", 100)

        return draw

    monkeypatch.setattr(figures, "score_heatmap", record("heatmap"))
    monkeypatch.setattr(figures, "state_embedding", record("umap"))
    for kind in ("bulk", "single-cell"):
        context = make_context(n_obs=40, seed=3, data_kind=kind)
        (draw,) = [spec[-1] for spec in _figure_specs(context) if spec[0] == "state_map"]
        draw()
    assert calls == ["heatmap", "umap"]


def test_heatmap_draws() -> None:
    context = make_context(n_obs=40, seed=3, data_kind="bulk")
    image = figures.score_heatmap(context.scores, context.states)
    assert image is not None
    assert image.src.startswith("data:image/png;base64,")


def test_sparse_context_renders() -> None:
    page = parse(render_report(bare()))
    assert all(section in page.ids for section, _ in SECTIONS)
    assert page.figures == []
    assert page.body["data-figures-expected"] == "0"
    assert "Not available for this run." in page.section_text["strategies"]


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ({"n": 120, "p_value": 0.0099, "supported": True}, "the test finds sub-populations"),
        ({"n": 43, "p_value": 0.723, "supported": False}, "reported as one group (p = 0.723)"),
        ({}, "Too few senescent observations"),
    ],
)
def test_heterogeneity_says_what_the_structure_test_found(
    test: dict[str, object], expected: str
) -> None:
    page = parse(render_report(bare(subcluster_test=test)))
    assert expected in page.section_text["heterogeneity"]


def test_text_is_escaped() -> None:
    html = render_report(
        bare(input_description="<script>alert(1)</script>.csv", warnings=["<b>bold</b>"])
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.csv" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_figures_leave_matplotlib_state_alone(context: ReportContext) -> None:
    before = dict(mpl.rcParams)
    assert figures.relapse_free_curves(context.summary, 360.0) is not None
    assert figures.state_fraction_bars(context.state_fractions) is not None
    after = dict(mpl.rcParams)
    assert {k: v for k, v in after.items() if before.get(k) != v} == {}


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        pytest.param(
            "vulnerabilities", make_vulnerabilities().drop(columns="pmids"), "pmids", id="vuln"
        ),
        pytest.param("trajectories", pd.DataFrame({"strategy": []}), "time_days", id="traj"),
        pytest.param("data_kind", "spatial", "single-cell", id="kind"),
        pytest.param("embedding", np.zeros((3, 2)), "200 × 2", id="embedding"),
    ],
)
def test_context_is_validated(field: str, value: object, match: str) -> None:
    context = make_context(n_obs=200, seed=5)
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(context, **{field: value})  # type: ignore[arg-type]


def test_kaplan_meier_by_hand() -> None:
    # 5 patients: relapses at 10, 10, 30; two never relapse (censored at 100).
    steps, fraction, censored = kaplan_meier(np.array([10, np.nan, 30, 10, np.nan]), 100.0)
    assert steps.tolist() == [0.0, 10.0, 30.0, 100.0]
    assert fraction == pytest.approx([1.0, 3 / 5, 3 / 5 * 2 / 3, 2 / 5])
    assert censored == 2
    steps, fraction, censored = kaplan_meier(np.array([np.nan, 150.0]), 100.0)
    assert fraction.tolist() == [1.0, 1.0]
    assert censored == 2


def test_states_keep_their_colour_everywhere() -> None:
    colours = _palette.state_colors(["other", "escape_like", "proliferating", "novel"])
    assert list(colours) == ["proliferating", "escape_like", "other", "novel"]
    assert colours["escape_like"] == _palette.STATE_COLORS["escape_like"]
    assert colours["novel"] not in _palette.STATE_COLORS.values()


def test_user_names_reach_the_figures_literally() -> None:
    r"""Names with mathtext (``$\foo$``) crashed the report; a leading ``_`` left the legend."""
    context = make_context(n_obs=200, seed=5)
    strategy = {"senolytic after chemo": r"chemo+$\foo$", "chemo alone": "_chemo alone"}

    def renamed(frame: pd.DataFrame | None) -> pd.DataFrame:
        assert frame is not None
        return frame.assign(strategy=frame["strategy"].map(strategy))

    assert context.scores is not None
    assert context.program_coverage is not None
    assert context.groups is not None
    hostile = dataclasses.replace(
        context,
        trajectories=renamed(context.trajectories),
        summary=renamed(context.summary),
        strategies=renamed(context.strategies),
        scores=context.scores.rename(columns={"senescence": r"$\frac{a$"}),
        program_coverage=context.program_coverage.replace({"senescence": r"$\frac{a$"}),
        groups=context.groups.map({"control": r"$\bar$", "treated": "t$x$"}),
        group_label=r"$\group$",
    )
    page = parse(render_report(hostile))
    assert len(page.figures) == N_FIGURES
    curves = figures.relapse_free_curves(hostile.summary, 360.0)
    assert curves is not None
    svg = base64.b64decode(curves.src.split(",", 1)[1]).decode("utf-8")
    assert r"chemo+$\foo$ (n=20" in svg
    assert "_chemo alone (n=20" in svg


def test_headline_counts_take_the_number_of_their_noun(context: ReportContext) -> None:
    one = dataclasses.replace(context, vulnerabilities=make_vulnerabilities().iloc[:1])
    many = dataclasses.replace(context, vulnerabilities=make_vulnerabilities())
    assert "1 vulnerability hypothesis: 1 agent against 1 target, across 1 state." in (
        _headlines(one)
    )
    assert "8 vulnerability hypotheses: 8 agents against 8 targets, across 4 states." in (
        _headlines(many)
    )
