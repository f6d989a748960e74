"""Counts in messages and reports, with the noun in the number it takes, in one place."""

from __future__ import annotations


def counted(n: int, one: str, many: str | None = None) -> str:
    """``n`` with its noun: ``1 agent``, ``2 agents``, ``1 hypothesis``, ``3 hypotheses``.

    >>> counted(1, "row"), counted(1_000, "row"), counted(2, "hypothesis", "hypotheses")
    ('1 row', '1,000 rows', '2 hypotheses')
    """
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
