"""senox: the redox–senescence axis of tumor drug resistance, in software.

Submodules
----------
``senox.kb``
    The curated evidence base (agents, targets, cancers, SASP factors, PMIDs).
``senox.io``
    Reading inputs, gene identifiers, writing outputs atomically.
"""

from __future__ import annotations

from senox._errors import SenoxError

__version__ = "0.1.0"

__all__ = ["SenoxError", "__version__"]
