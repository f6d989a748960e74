"""``ReportContext``: everything the HTML report shows, gathered in one typed record."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Sequence

#: The statement that opens the vulnerability section and the summary.
DISCLAIMER = (
    "Vulnerabilities are hypotheses drawn from expression and the curated literature; they are "
    "not predictions of response to any agent. Simulated strategies come from a mechanistic model "
    "with literature-derived parameters and show how the model behaves, not how a patient will."
)

#: Columns the vulnerability table must have, in the order shown.
VULNERABILITY_COLS = ["state", "target", "agent", "agent_class", "stage", "evidence", "pmids"]
#: Columns the trajectory table must have (then one column per model variable).
TRAJECTORY_COLS = ["strategy", "time_days"]
#: Columns the per-patient simulation summary must have.
SUMMARY_COLS = ["strategy", "patient", "time_to_relapse_days"]
#: Columns the per-observation state table must have.
STATE_COLS = ["state", "confidence", "redox_index"]

#: Default axis labels of the trajectory panels: model variable → label with its unit, in the
#: units of ``senox.model``'s redox–senescence model (burden 1 = the tumour at the start of
#: therapy). ``sasp`` (A_nfkb + A_p53) and ``A`` name the total SASP in different tables; the
#: panels drawn are those whose variable is a column of the trajectories.
TRAJECTORY_PANELS: dict[str, str] = {
    "burden": "Tumour burden (1 = start of therapy)",
    "E": "Escaped cells, E (burden units)",
    "sasp": "SASP (SASP units)",
    "A": "SASP, A (SASP units)",
    "R": "ROS, R (relative to untreated)",
}


def _require_columns(name: str, frame: object, columns: Sequence[str]) -> None:
    if frame is None:
        return
    if not isinstance(frame, pd.DataFrame):
        msg = f"ReportContext.{name} must be a pandas DataFrame, not {type(frame).__name__}"
        raise TypeError(msg)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns)) or "none"
        msg = f"ReportContext.{name} lacks column(s) {', '.join(missing)} (has: {have})"
        raise ValueError(msg)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass
class ReportContext:
    """What ``write_report`` renders.

    Only the header fields are required; every section whose data are ``None`` (or empty) says
    so in the report instead of failing.

    Parameters
    ----------
    input_description
        What was analysed: the input file name, or ``"bundled data set: NAME (citation)"``.
    n_obs
        Number of observations (cells or samples) after reading.
    n_genes
        Number of genes (human symbols) after reading and mapping.
    data_kind
        ``"single-cell"`` or ``"bulk"``; decides between the embedding and the heatmap figure.
    title
        Title of the page.
    qc_per_obs
        Index: observations. Columns ``genes_detected`` (genes with non-zero expression) and
        ``total_counts`` (sum of counts); either may be missing. Shown as histograms.
    program_coverage
        One row per program: columns ``program``, ``n_genes`` (genes in the program),
        ``n_found`` (of those, present in the data) and ``fraction_found`` (0–1).
    warnings
        Plain-text warnings raised while reading, scoring or calling (shown in the summary).
    scores
        Index: observations; one column per program score (as ``senox.score`` writes them).
    groups
        Observation → group label (e.g. condition or sample), aligned on ``scores.index``.
    group_label
        What the groups are, for axis labels and table headers (e.g. ``"condition"``).
    states
        Index: observations. Columns ``state`` (one of ``senox.states.STATE_NAMES``),
        ``confidence`` (0.5–1), ``redox_index`` (oxidant minus antioxidant z-score); optional
        ``subcluster`` (senescent sub-cluster id, NaN elsewhere).
    embedding
        ``n_obs × 2`` coordinates in the row order of ``states`` (single-cell only).
    embedding_name
        Name of the embedding for the axis labels (``"UMAP"``, ``"PCA"``).
    state_fractions
        Index: groups; one column per state holding its fraction (0–1); an optional ``n``
        column counts the observations of each group (``senox.states.state_fractions``).
    state_contrast
        Index: states. Columns ``reference`` and ``treated`` (fractions 0–1), ``change``
        (treated − reference), ``n_reference``, ``n_treated``; ``None`` without a reference.
    subclusters
        One row per senescent sub-cluster: ``subcluster`` (id), ``n_cells``, ``top_programs``
        and ``top_genes`` (each a mapping name → difference from the other senescent
        observations, or already-formatted text); an optional ``state`` column.
    state_axes
        Index: observations. Columns ``cycling`` (the cycling margin, >= 0 = cycling) and
        ``sen`` (the senescence axis, z): two of the axes the state rules read
        (``obsm["senox_axes"]``).
    subcluster_test
        The test for sub-populations among the senescent observations
        (``uns["senox"]["states"]["subcluster_test"]``: ``n``, ``p_value``, ``supported``);
        empty when there were too few senescent observations to test.
    vulnerabilities
        Columns ``state``, ``target``, ``agent``, ``agent_class``, ``stage``, ``evidence``,
        ``pmids`` (a list of PMIDs or text separated by ``;``, ``,`` or spaces).
    trajectories
        Long table of simulated virtual patients: ``strategy``, ``patient`` (every patient's
        course) or ``quantile`` (0.25, 0.5 and 0.75 over patients, as
        ``simulate_strategies(..., trajectories="quartiles")`` gives), ``time_days``, then one
        column per model variable (``burden``, ``P``, ``S_i``, ``S_p``, ``E``, ``A`` (SASP),
        ``I``, ``R`` (ROS), ``G`` (GSH) …). Every patient of a strategy shares the time grid.
    trajectory_panels
        Model variable → axis label (with unit) of the trajectory panels, in panel order;
        variables absent from ``trajectories`` are skipped.
    summary
        One row per strategy × patient: ``strategy``, ``patient``, ``time_to_relapse_days``
        (NaN = no relapse within the horizon) and optionally ``min_burden``,
        ``escaped_fraction``, ``sasp_auc``, ``toxicity``.
    strategies
        Strategies ranked best first: ``strategy``, ``median_time_to_relapse_days``, its
        quartiles, ``relapse_free_fraction_at_end`` (or ``relapse_free_fraction``) and any
        further columns; shown as given, NaN relapse times as "not reached".
    model_inputs
        The measured features that set parameter windows of the virtual cohort
        (``senox.model.parameter_ranges``): ``parameter``, ``feature``, ``z``, ``low``,
        ``high`` …
    context
        What the sample is: ``tumor``, ``cell-line`` or ``normal`` (no strategy simulated).
    horizon_days
        End of the simulated horizon, where relapse times are censored; defaults to the last
        ``time_days`` of ``trajectories`` (or the largest relapse time).
    methods
        Versions, parameters and thresholds used (name → value; nested dicts are flattened).
    timings
        Step → wall-clock seconds.
    disclaimer
        The hypotheses-not-predictions statement that opens the vulnerability section.
    created
        When the report was made (text); defaults to now, in UTC.
    """

    input_description: str
    n_obs: int
    n_genes: int
    data_kind: Literal["single-cell", "bulk"]
    title: str = "senox report"
    qc_per_obs: pd.DataFrame | None = None
    program_coverage: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)
    scores: pd.DataFrame | None = None
    groups: pd.Series | None = None
    group_label: str = "group"
    states: pd.DataFrame | None = None
    embedding: np.ndarray | None = None
    embedding_name: str = "UMAP"
    state_fractions: pd.DataFrame | None = None
    state_contrast: pd.DataFrame | None = None
    subclusters: pd.DataFrame | None = None
    subcluster_test: dict[str, Any] = field(default_factory=dict)
    state_axes: pd.DataFrame | None = None
    vulnerabilities: pd.DataFrame | None = None
    trajectories: pd.DataFrame | None = None
    trajectory_panels: dict[str, str] = field(default_factory=lambda: dict(TRAJECTORY_PANELS))
    summary: pd.DataFrame | None = None
    strategies: pd.DataFrame | None = None
    model_inputs: pd.DataFrame | None = None
    context: Literal["tumor", "cell-line", "normal"] = "tumor"
    horizon_days: float | None = None
    methods: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    disclaimer: str = DISCLAIMER
    created: str = field(default_factory=_now)

    def __post_init__(self) -> None:
        if self.data_kind not in ("single-cell", "bulk"):
            msg = f"ReportContext.data_kind must be 'single-cell' or 'bulk', not {self.data_kind!r}"
            raise ValueError(msg)
        _require_columns("states", self.states, STATE_COLS)
        _require_columns("vulnerabilities", self.vulnerabilities, VULNERABILITY_COLS)
        _require_columns("trajectories", self.trajectories, TRAJECTORY_COLS)
        _require_columns("summary", self.summary, SUMMARY_COLS)
        _require_columns("strategies", self.strategies, ["strategy"])
        _require_columns("state_contrast", self.state_contrast, ["reference", "treated", "change"])
        _require_columns("model_inputs", self.model_inputs, ["parameter", "feature", "z"])
        _require_columns("subclusters", self.subclusters, ["subcluster", "n_cells"])
        _require_columns("state_axes", self.state_axes, ["cycling", "sen"])
        _require_columns("program_coverage", self.program_coverage, ["program", "fraction_found"])
        if self.embedding is not None:
            embedding = np.asarray(self.embedding, dtype=float)
            n = len(self.states) if self.states is not None else self.n_obs
            if embedding.ndim != 2 or embedding.shape[1] < 2 or embedding.shape[0] != n:
                msg = (
                    f"ReportContext.embedding must be {n} × 2 (one row per observation), "
                    f"not {' × '.join(map(str, embedding.shape))}"
                )
                raise ValueError(msg)
            self.embedding = embedding[:, :2]

    def horizon(self) -> float | None:
        """The censoring horizon in days (``horizon_days`` or the last simulated time)."""
        if self.horizon_days is not None:
            return float(self.horizon_days)
        if self.trajectories is not None and len(self.trajectories):
            return float(self.trajectories["time_days"].max())
        if self.summary is not None:
            times = self.summary["time_to_relapse_days"].dropna()
            if len(times):
                return float(times.max())
        return None
