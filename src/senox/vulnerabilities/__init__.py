"""Vulnerabilities: evidence-base targets that senescent and escape-like cells express more.

Each targeted group is tested against the reference (or all other observations) with a test fit
for the design and Benjamini–Hochberg FDR; targets that pass are joined with the agents that
inhibit them. See docs/vulnerabilities.md.

>>> from senox.vulnerabilities import DISCLAIMER
>>> DISCLAIMER.split(";")[1].strip()
'they are not predictions of response.'
"""

from __future__ import annotations

from senox.vulnerabilities._find import (
    ARREST_ONLY_TARGETS,
    DISCLAIMER,
    MIN_DETECTED,
    MIN_OBS,
    MIN_SAMPLES,
    VULNERABILITY_COLUMNS,
    find_vulnerabilities,
)

__all__ = [
    "ARREST_ONLY_TARGETS",
    "DISCLAIMER",
    "MIN_DETECTED",
    "MIN_OBS",
    "MIN_SAMPLES",
    "VULNERABILITY_COLUMNS",
    "find_vulnerabilities",
]
