"""Scoring gene programs per observation: one runner, two methods, one pass over the matrix.

``rank`` is UCell's rank statistic (equal to pyucell's scores); ``mean`` is the binned-control
mean of scanpy's ``score_genes``. Both read any matrix (sparse, dense, backed, Dask) a block of
rows at a time.
"""

from __future__ import annotations

from senox.score._kernels import warm_up
from senox.score._run import score_matrix, score_programs

warm_up()

__all__ = ["score_matrix", "score_programs"]
