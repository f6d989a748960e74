"""The main job (``senox run``): read, score, call states, find targets, simulate, report."""

from __future__ import annotations

from senox.pipeline._embedding import embedding, qc_per_obs
from senox.pipeline._run import (
    BUNDLED,
    OUTPUTS,
    RunOptions,
    depth_warnings,
    reads_backed,
    run_pipeline,
)
from senox.pipeline._stream import NormalisedRows, streamed

__all__ = [
    "BUNDLED",
    "OUTPUTS",
    "NormalisedRows",
    "RunOptions",
    "depth_warnings",
    "embedding",
    "qc_per_obs",
    "reads_backed",
    "run_pipeline",
    "streamed",
]
