"""Defaults shared by the command line and the Python API, free of imports so both start fast."""

from __future__ import annotations

#: Virtual patients per strategy in ``senox run``, ``sx.run`` and ``sx.tl.simulate``. Between
#: cohort seeds of one input the ranking of the shipped strategies moved by a normalised Kendall
#: distance of up to 0.289 with 50 patients, 0.133 with 200 and 0.089 with 1,000, against 0.156
#: between two contrasting real inputs at 1,000 (validation/results/ranking_response_cohort*.md):
#: only at 1,000 does the data move the ranking more than the Monte Carlo noise does.
COHORT = 1000

#: Inputs with fewer observations are bulk designs: samples, each a condition (the report
#: draws a heatmap, not an embedding; without a reference the state calls take the cycling
#: samples as the baseline where half or more are arrested, see ``senox.states``).
SINGLE_CELL_MIN_OBS = 200
