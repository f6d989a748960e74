"""The report in a real browser: headless Chromium loads it, decodes every figure, draws it.

The page's own script counts the figures that decoded (``<img>`` with ``complete`` and a
non-zero ``naturalWidth``, plus inline SVGs) into ``body[data-figures-rendered]``; the DOM that
Chromium dumps after its scripts ran must carry the full count.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

import pytest

from senox.report import SECTIONS
from tests.browser import body_attributes, chromium, needs_chromium, png_size

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


def test_every_figure_decodes(dom: str, context: ReportContext) -> None:
    attributes = body_attributes(dom)
    expected = int(attributes["data-figures-expected"])
    assert expected == 9
    assert attributes["data-figures-rendered"] == str(expected)


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
