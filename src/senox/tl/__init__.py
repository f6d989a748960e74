"""Tools: score gene programs, call states, find vulnerabilities, simulate therapy strategies.

``score_programs``, ``call_states`` and ``vulnerabilities`` are the verb packages' functions
themselves (:func:`senox.score.score_programs`, :func:`senox.states.call_states`,
:func:`senox.vulnerabilities.find_vulnerabilities`); ``simulate`` seeds the mechanistic model
from the states an AnnData holds.
"""

from __future__ import annotations

from senox.score import score_programs
from senox.states import call_states
from senox.tl._simulate import simulate
from senox.vulnerabilities import find_vulnerabilities as vulnerabilities

__all__ = ["call_states", "score_programs", "simulate", "vulnerabilities"]
