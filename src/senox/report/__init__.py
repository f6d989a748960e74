"""The senox report: one self-contained HTML page a biologist can read and share.

Build a :class:`ReportContext` from the results of each stage (scores, states, vulnerabilities,
simulated strategies) and pass it to :func:`write_report`. Figures are drawn with matplotlib and
embedded as base64 images (SVG, or PNG at 200 dpi for figures of many cells), tables are made
searchable, sortable and paged by DataTables (inlined from itables' offline bundle), and the
page fetches nothing over the network.
"""

from __future__ import annotations

from senox._palette import STATE_COLORS
from senox.report._context import DISCLAIMER, TRAJECTORY_PANELS, VULNERABILITY_COLS, ReportContext
from senox.report._render import SECTIONS, render_report, write_report

__all__ = [
    "DISCLAIMER",
    "SECTIONS",
    "STATE_COLORS",
    "TRAJECTORY_PANELS",
    "VULNERABILITY_COLS",
    "ReportContext",
    "render_report",
    "write_report",
]
