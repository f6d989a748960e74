"""Headless Chromium for the tests that load a report in a real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


CHROMIUM = _find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary on PATH or at /usr/bin/chromium (Debian: apt-get install chromium)",
)
#: Flags for a quiet, offline, throw-away headless run.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--virtual-time-budget=10000",
]
#: Seconds before a hung browser fails the test.
TIMEOUT = 120


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a fresh profile under ``tmp``; fail the test on a timeout."""
    assert CHROMIUM is not None
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp), "XDG_CACHE_HOME": str(tmp)}
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {TIMEOUT} s: {' '.join(command)}")


def body_attributes(dom: str) -> dict[str, str]:
    match = re.search(r"<body([^>]*)>", dom)
    assert match, dom[:500]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))


#: The start of every probe script: records requests the page's security policy blocks
#: (``blocked``) and calls the probe's ``probe()`` once the page has loaded, writing an error
#: into ``body[data-probe]`` if it throws.
PROBE_HEAD = """
<script>
var blocked = [];
document.addEventListener("securitypolicyviolation", function (e) { blocked.push(e.blockedURI); });
window.addEventListener("load", function () {
  try { probe(); } catch (error) {
    document.body.setAttribute("data-probe", JSON.stringify({ error: String(error) }));
  }
});
"""


def probed_copy(html: str, probe: str, tmp: Path) -> dict[str, object]:
    """Load a copy of ``html`` with ``PROBE_HEAD + probe`` after its security-policy tag.

    Returns the JSON the probe wrote into ``body[data-probe]``.
    """
    policy = re.search(r'<meta http-equiv="Content-Security-Policy"[^>]*>', html)
    assert policy, "no Content-Security-Policy meta tag"
    copy = tmp / "probed.html"
    script = policy.group(0) + PROBE_HEAD + probe
    copy.write_text(html.replace(policy.group(0), script, 1), encoding="utf-8")
    result = chromium(tmp, "--dump-dom", copy.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    attributes = body_attributes(result.stdout)
    text = attributes.get("data-probe", '{"error": "the probe did not finish"}')
    probe_result: dict[str, object] = json.loads(text.replace("&quot;", '"').replace("&amp;", "&"))
    return probe_result


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)
