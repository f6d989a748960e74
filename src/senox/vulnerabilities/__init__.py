"""Vulnerabilities: evidence-base targets that a state expresses more than the other states.

>>> from senox.vulnerabilities import DISCLAIMER
>>> DISCLAIMER.split(";")[1].strip()
'they are not predictions of response.'
"""

from __future__ import annotations

from senox.vulnerabilities._find import (
    DISCLAIMER,
    VULNERABILITY_COLUMNS,
    expression_evidence,
    find_vulnerabilities,
)

__all__ = ["DISCLAIMER", "VULNERABILITY_COLUMNS", "expression_evidence", "find_vulnerabilities"]
