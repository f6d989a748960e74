"""Plots of senox's results, matplotlib and scanpy-compatible.

Every function takes ``ax=`` (draw into these axes; default: a new figure), ``show=`` (also
call :func:`matplotlib.pyplot.show`) and returns the axes drawn into. States are drawn in the
colours :func:`senox.tl.call_states` writes to ``adata.uns["senox_state_colors"]`` (scanpy's
``<key>_colors`` convention): change them there and every plot, scanpy's included, follows.
"""

from __future__ import annotations

from senox.pl._plots import scores, state_fractions, states, strategies

__all__ = ["scores", "state_fractions", "states", "strategies"]
