"""The report in a real browser: headless Chromium loads it, decodes every figure, draws it.

The page's own script counts the figures that decoded (``<img>`` with ``complete`` and a
non-zero ``naturalWidth``, plus inline SVGs) into ``body[data-figures-rendered]``, and the
tables DataTables took over into ``body[data-tables-ready]``; the DOM that Chromium dumps after
its scripts ran must carry the full counts.

The interactions are driven as a reader would: a copy of the report gets a test script that,
once the page has loaded, clicks a column header and types into a table's search box, and
writes what the table then shows into the body's attributes. The same script records every
request the page's security policy blocked: there must be none.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

import pytest

from senox.report import SECTIONS
from tests.browser import body_attributes, chromium, needs_chromium, png_size, probed_copy

pytestmark = needs_chromium

if TYPE_CHECKING:
    from pathlib import Path

    from senox.report import ReportContext


@pytest.fixture(scope="module")
def dom(report_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The DOM after the page's scripts ran (``--dump-dom``)."""
    result = chromium(tmp_path_factory.mktemp("chromium"), "--dump-dom", report_path.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<body" in result.stdout, result.stderr[-2000:]
    return result.stdout


#: Run after load: sort the strategies table by median time to relapse (one click: ascending,
#: two: descending), search the vulnerability table, and report what each then shows.
PROBE = """
function probe() {
  function column(table, name) {
    var heads = table.closest(".dt-container").querySelectorAll("thead th");
    for (var i = 0; i < heads.length; i++) {
      if (heads[i].textContent.trim() === name) { return heads[i]; }
    }
    throw new Error("no column " + name);
  }
  function firstColumn(table) {
    return Array.prototype.map.call(table.querySelectorAll("tbody tr"), function (r) {
      return r.cells[0].textContent.trim();
    });
  }
  // DataTables draws the header of a scrolling table as a table of its own: take the body.
  var strategies = document.querySelector("#strategies .dt-scroll-body table.datatable");
  var header = column(strategies, "median time to relapse days");
  var vulnerabilities = document.querySelector(".dt-scroll-body table.vulnerabilities");
  var search = vulnerabilities.closest(".dt-container").querySelector("input[type=search]");
  var result = { blocked: blocked, before: vulnerabilities.querySelectorAll("tbody tr").length };
  // DataTables sorts and searches on a timer: each step reads the table a moment later.
  var steps = [
    function () { header.click(); },
    function () { result.ascending = firstColumn(strategies); header.click(); },
    function () {
      result.descending = firstColumn(strategies);
      search.value = "navitoclax";
      search.dispatchEvent(new Event("input", { bubbles: true }));
    },
    function () {
      result.after = firstColumn(vulnerabilities);
      result.matched = vulnerabilities.querySelector("tbody tr").textContent;
      document.body.setAttribute("data-probe", JSON.stringify(result));
    },
  ];
  steps.forEach(function (step, i) { setTimeout(step, 300 * (i + 1)); });
}
</script>
"""


@pytest.fixture(scope="module")
def probed(report_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """What the probe saw after clicking and typing in a copy of the report."""
    tmp = tmp_path_factory.mktemp("probe")
    return probed_copy(report_path.read_text(encoding="utf-8"), PROBE, tmp)


def test_every_figure_decodes(dom: str, context: ReportContext) -> None:
    attributes = body_attributes(dom)
    expected = int(attributes["data-figures-expected"])
    assert expected == 9
    assert attributes["data-figures-rendered"] == str(expected)


def test_every_table_is_interactive(dom: str, report_path: Path) -> None:
    tables = report_path.read_text(encoding="utf-8").count('<table class="datatable')
    assert tables >= 10
    assert body_attributes(dom)["data-tables-ready"] == str(tables)
    assert dom.count('class="dt-container') == tables


def test_censored_relapse_sorts_as_the_longest(probed: dict[str, object]) -> None:
    # "not reached (> 360)" is beyond every reached time: last ascending, first descending
    # (sorted as text, or as 0 by the page's old script, it came first ascending).
    assert probed["ascending"] == ["chemo alone", "senolytic after chemo"]
    assert probed["descending"] == ["senolytic after chemo", "chemo alone"]


def test_search_filters_rows(probed: dict[str, object], context: ReportContext) -> None:
    assert context.vulnerabilities is not None
    assert probed["before"] == len(context.vulnerabilities) == 8
    assert probed["after"] == ["senescent_inflammatory"]
    assert "navitoclax" in str(probed["matched"])


def test_nothing_is_blocked_or_fetched(probed: dict[str, object]) -> None:
    assert probed["blocked"] == []


def test_every_section_is_in_the_dom(dom: str) -> None:
    for section, heading in SECTIONS:
        assert f'id="{section}"' in dom
        assert heading.split(" (")[0] in dom


def test_screenshot(report_path: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    result = chromium(
        tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", report_path.as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert png_size(shot) == (1280, 2400)
    # A page of text and figures compresses far less than a blank one (a few kB).
    assert shot.stat().st_size > 50_000
    target = os.environ.get("SENOX_REPORT_SCREENSHOT")
    if target:
        shutil.copyfile(shot, target)
