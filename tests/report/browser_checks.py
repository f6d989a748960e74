"""The browser checks of a written ``senox run`` report, for tests and for ``bench_run.py``.

:func:`check_report` loads the report in headless Chromium twice: once as it is (the page's own
script counts the figures that decoded and the tables DataTables took over), once with a probe
script that sorts the strategies table by median time to relapse (ascending, then descending),
types a strategy's name into that table's search box, and records every request the page's
security policy blocked. What it saw comes back as a dict; the callers judge it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.browser import body_attributes, chromium, probed_copy

if TYPE_CHECKING:
    from pathlib import Path

#: The strategies table's column sorted by the probe.
RELAPSE_COLUMN = "median time to relapse days"

PROBE = """
function probe() {
  // DataTables draws the header of a scrolling table as a table of its own: take the body.
  var table = document.querySelector("#strategies .dt-scroll-body table.datatable");
  var container = table.closest(".dt-container");
  var header = Array.prototype.filter.call(container.querySelectorAll("thead th"), function (h) {
    return h.textContent.trim() === "RELAPSE_COLUMN";
  })[0];
  if (!header) { throw new Error("no column " + "RELAPSE_COLUMN"); }
  var search = container.querySelector("input[type=search]");
  function names() {
    return Array.prototype.map.call(table.querySelectorAll("tbody tr"), function (r) {
      return r.cells[0].textContent.trim();
    });
  }
  var result = { blocked: blocked, shown: names() };
  var steps = [
    function () { header.click(); },
    function () { result.ascending = names(); header.click(); },
    function () {
      result.descending = names();
      result.query = result.shown[result.shown.length - 1];
      search.value = result.query;
      search.dispatchEvent(new Event("input", { bubbles: true }));
    },
    function () {
      result.searched = names();
      document.body.setAttribute("data-probe", JSON.stringify(result));
    },
  ];
  // DataTables sorts and searches on a timer: each step reads the table a moment later.
  steps.forEach(function (step, i) { setTimeout(step, 400 * (i + 1)); });
}
</script>
""".replace("RELAPSE_COLUMN", RELAPSE_COLUMN)


def check_report(report: Path, tmp: Path) -> dict[str, Any]:
    """What headless Chromium made of ``report``: figures, tables and the probe's results.

    Keys: ``figures_expected``, ``figures_rendered``, ``tables`` (in the HTML),
    ``tables_ready`` (DataTables took over), ``sections`` (ids in the DOM) and ``probe``
    (``blocked``, ``shown``, ``ascending``, ``descending``, ``query``, ``searched``, or
    ``error``).
    """
    html = report.read_text(encoding="utf-8")
    loaded = chromium(tmp, "--dump-dom", report.as_uri())
    if loaded.returncode != 0 or "<body" not in loaded.stdout:
        msg = f"chromium could not load {report}: {loaded.stderr[-2000:]}"
        raise RuntimeError(msg)
    attributes = body_attributes(loaded.stdout)
    probe = probed_copy(html, PROBE, tmp)
    return {
        "figures_expected": int(attributes["data-figures-expected"]),
        "figures_rendered": int(attributes["data-figures-rendered"]),
        "tables": html.count('<table class="datatable'),
        "tables_ready": int(attributes["data-tables-ready"]),
        "sections": re.findall(r'<section id="([^"]+)"', loaded.stdout),
        "probe": probe,
    }
