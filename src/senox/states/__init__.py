"""Cell (or sample) states of the redox–senescence axis, calibrated on the data themselves.

``call_states`` turns program scores into robust z-scores against a baseline (a named reference
group, or the whole data set), then applies documented threshold rules to call
``proliferating``, ``quiescent``, ``senescent_inflammatory``, ``senescent_p53``, ``escape_like``
or ``other``, each with a confidence; it also reports the redox index, a biomarker panel and
sub-clusters of the senescent observations.
"""

from __future__ import annotations

from senox.states._call import call_states, state_fractions
from senox.states._rules import STATE_NAMES, describe_rules

__all__ = ["STATE_NAMES", "call_states", "describe_rules", "state_fractions"]
