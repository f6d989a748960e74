"""Mechanistic models of the redox–senescence axis.

For now: running any SBML model (or a shipped published one, by name) through libroadrunner,
with the duration in real time units whatever the model's own time unit.
"""

from __future__ import annotations

from senox.model._sbml import PUBLISHED, parse_duration, run_sbml, time_unit_seconds

__all__ = ["PUBLISHED", "parse_duration", "run_sbml", "time_unit_seconds"]
