"""Versioned gene programs of the redox–senescence axis, with their provenance.

>>> from senox import programs
>>> sorted(programs.catalogue())[:3]
['anti_apoptotic', 'antioxidant', 'dna_damage']
>>> programs.catalogue()["senescence"].down
('LMNB1', 'MKI67')
"""

from __future__ import annotations

from senox.programs._catalogue import (
    CATALOGUE_VERSION,
    Program,
    catalogue,
    describe,
    read_gmt,
    read_program_table,
    select,
    to_network,
)

__all__ = [
    "CATALOGUE_VERSION",
    "Program",
    "catalogue",
    "describe",
    "read_gmt",
    "read_program_table",
    "select",
    "to_network",
]
