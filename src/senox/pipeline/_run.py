"""The main job: from a transcriptome to a co-targeting strategy report, in one call."""

from __future__ import annotations

import json
import platform
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from rich.console import Console
from scipy.sparse import issparse
from scipy.stats import spearmanr

from senox import __version__
from senox._errors import InputError
from senox.io import check_outputs, output_folder, read
from senox.kb import load_evidence
from senox.model import (
    ACTIONS,
    agent_actions,
    builtin_strategies,
    check_simulation_size,
    dose_equivalents,
    initial_from_fractions,
    load_strategies,
    load_strategy,
    rank_strategies,
    simulate_strategies,
)
from senox.model._strategy import DoseRule, Strategy
from senox.report import ReportContext, render_report
from senox.score import score_programs
from senox.states import call_states, state_fractions
from senox.vulnerabilities import find_vulnerabilities

if TYPE_CHECKING:
    from collections.abc import Iterator

    from anndata import AnnData
    from numpy.typing import NDArray

#: The data set ``senox run`` analyses when no input is given.
BUNDLED = {
    "name": "chan2024_kras_ois",
    "citation": "Chan et al. 2024, Nature, doi 10.1038/s41586-024-07797-z (SenePy toy subset, MIT)",
    "reference": "condition=mV",
    "groupby": "condition",
}

#: States whose vulnerabilities seed extra strategies (added to chemotherapy).
TARGETED_STATES = ("senescent_inflammatory", "senescent_p53", "escape_like", "senescent subcluster")

OUTPUTS = (
    "report.html",
    "scores.tsv",
    "states.tsv",
    "vulnerabilities.tsv",
    "strategies.tsv",
    "run.json",
)


@dataclass
class RunOptions:
    """What ``senox run`` was asked to do (written to ``run.json``)."""

    input: str | None = None
    reference: str | None = None
    groupby: str | None = None
    method: Literal["rank", "mean"] = "rank"
    cohort: int = 50
    seed: int = 0
    days: float = 365.0
    extra_strategies: int = 3
    read_options: dict[str, str] = field(default_factory=dict)


class Steps:
    """Times each step and shows it on stderr while it runs."""

    def __init__(self, *, show: bool) -> None:
        self.timings: dict[str, float] = {}
        self.console = Console(stderr=True, quiet=not show)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Run one named step under a spinner; record its wall time."""
        start = time.perf_counter()
        with self.console.status(f"{name}…"):
            yield
        self.timings[name] = round(time.perf_counter() - start, 3)
        self.console.print(f"[green]✓[/green] {name} ({self.timings[name]:.1f} s)")


def _read_input(options: RunOptions) -> tuple[AnnData, str]:
    if options.input is None:
        folder = files("senox") / "data" / "bundled" / BUNDLED["name"]
        with as_file(folder) as path:
            adata = read(
                Path(path) / "counts.mtx.gz",
                genes=Path(path) / "genes.tsv.gz",
                cells=Path(path) / "cells.csv",
            )
        return adata, f"bundled data set: {BUNDLED['name']} ({BUNDLED['citation']})"
    return read(options.input, **options.read_options), Path(options.input).name  # type: ignore[arg-type]


#: Inputs with fewer observations are treated as bulk samples (a heatmap, not an embedding).
SINGLE_CELL_MIN_OBS = 200


#: |Spearman rho| between a program's score and the genes detected per cell at or above which
#: the report warns that the score follows sequencing depth ("strong" by the usual convention).
#: Single-cell data only: in bulk data every sample detects nearly every gene.
DEPTH_RHO_WARN = 0.5
#: Ratio of two groups' median genes detected at or above which the report warns that group
#: differences may be technical. In the validation data (Chan 2024) the KRAS cells detect 2.7x
#: the genes of the controls, and depth alone separates the groups with AUROC 0.85.
DEPTH_RATIO_WARN = 1.5


def depth_warnings(
    scores: pd.DataFrame, genes_detected: pd.Series, groups: pd.Series | None = None
) -> list[str]:
    """Plain-text warnings when program scores or groups follow sequencing depth.

    ``scores``: one column per program; ``genes_detected``: per observation; ``groups``: the
    ``--groupby`` labels, if any. See :data:`DEPTH_RHO_WARN` and :data:`DEPTH_RATIO_WARN`.
    """
    depth = genes_detected.reindex(scores.index).astype(float)
    rho = scores.apply(lambda column: spearmanr(column, depth, nan_policy="omit").statistic)
    strong = rho[rho.abs() >= DEPTH_RHO_WARN].sort_values(key=abs, ascending=False)
    warnings = []
    if len(strong):
        listed = ", ".join(f"{name} (ρ = {value:+.2f})" for name, value in strong.items())
        warnings.append(
            f"Scores that follow sequencing depth: {listed} correlate with the number of genes "
            "detected per cell, so part of their differences may be technical; compare cells "
            "of similar depth before reading a difference as biology."
        )
    if groups is not None:
        medians = depth.groupby(groups.reindex(depth.index).astype(str)).median().sort_values()
        low, high = float(medians.iloc[0]), float(medians.iloc[-1])
        if low > 0 and high / low >= DEPTH_RATIO_WARN:
            warnings.append(
                f"Groups differ in depth: the median cell detects {high:,.0f} genes in "
                f"'{medians.index[-1]}' against {low:,.0f} in '{medians.index[0]}' "
                f"({high / low:.1f}×); depth alone can separate them."
            )
    return warnings


def _data_kind(adata: AnnData) -> str:
    return "single-cell" if adata.n_obs >= SINGLE_CELL_MIN_OBS else "bulk"


def _qc(adata: AnnData) -> pd.DataFrame:
    counts = adata.layers.get("counts", adata.X)
    detected = (counts > 0).sum(axis=1)
    total = counts.sum(axis=1)
    return pd.DataFrame(
        {"genes_detected": np.asarray(detected).ravel(), "total_counts": np.asarray(total).ravel()},
        index=adata.obs_names,
    )


def _coverage(adata: AnnData) -> pd.DataFrame:
    coverage = pd.DataFrame(adata.uns["senox"]["scores"]["coverage"])
    if "fraction_found" not in coverage:
        coverage["fraction_found"] = coverage["n_found"] / coverage["n_genes"]
    return coverage


def embedding(adata: AnnData, n_genes: int = 2000) -> NDArray[np.float64]:
    """Two principal components of the most variable genes (log-normalised values)."""
    matrix = adata.X
    mean = np.asarray(matrix.mean(axis=0)).ravel()
    square = matrix.multiply(matrix) if issparse(matrix) else np.square(matrix)
    variance = np.asarray(square.mean(axis=0)).ravel() - mean**2
    top = np.argsort(variance)[::-1][: min(n_genes, adata.n_vars)]
    sub = matrix[:, top]
    dense = sub.toarray() if issparse(sub) else np.asarray(sub)
    centred = dense - dense.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    return np.asarray(u[:, :2] * s[:2], dtype=np.float64)


def _states_table(adata: AnnData, scores: pd.DataFrame) -> pd.DataFrame:
    columns = {
        "senox_state": "state",
        "senox_confidence": "confidence",
        "senox_redox_index": "redox_index",
        "senox_subcluster": "subcluster",
    }
    table = adata.obs[list(columns)].rename(columns=columns)
    table["state"] = table["state"].astype(str)
    return pd.DataFrame(pd.concat([table, scores], axis=1))


def _subclusters(adata: AnnData) -> pd.DataFrame | None:
    rows = list(adata.uns["senox"]["states"]["senescent_subclusters"].values())
    if not rows:
        return None
    return pd.DataFrame(
        [
            {
                "subcluster": r["subcluster"],
                "n_cells": r["n"],
                "top_programs": r["top_programs"],
                "top_genes": r["top_genes"],
            }
            for r in rows
        ]
    )


def _fractions(adata: AnnData, options: RunOptions) -> tuple[pd.DataFrame, dict[str, float]]:
    """State fractions per group, and the fractions that seed the model."""
    state = adata.obs["senox_state"].astype(str)
    if options.groupby:
        by_group = state_fractions(adata, options.groupby)
    else:
        by_group = state.value_counts(normalize=True).to_frame("all").T
    seed_mask = np.ones(adata.n_obs, dtype=bool)
    if options.reference:
        column, value = options.reference.split("=", 1)
        seed_mask = (adata.obs[column].astype(str) != value).to_numpy()
    seeded = state[seed_mask].value_counts(normalize=True)
    return by_group, {str(k): float(v) for k, v in seeded.items() if v > 0}


def _vulnerability_strategies(vulnerabilities: pd.DataFrame, n: int) -> list[Strategy]:
    """``chemo+AGENT`` for the top agents (with a model action) of senescent and escape states."""
    chemo = load_strategy("chemo")
    covered = {a for s in builtin_strategies() for r in load_strategy(s).rules for a in r.actions}
    targeted = vulnerabilities[vulnerabilities.state.str.startswith(TARGETED_STATES)]
    made: list[Strategy] = []
    for agent in targeted.sort_values("auroc", ascending=False).agent.drop_duplicates():
        if len(made) >= n:
            break
        try:
            name, agent_class, actions = agent_actions(agent)
        except InputError:
            continue
        if set(actions) <= {"genotoxic"} or any(s.name == f"chemo+{name}" for s in made):
            continue
        senolytic = "senolysis" in actions
        rule = DoseRule(
            agent=name,
            agent_class=agent_class,
            actions=actions,
            start=7.0 if senolytic else 0.0,
            every=1.0,
            count=14 if senolytic else 84,
            amount=1.0,
        )
        note = "" if set(actions) - covered else " (an action the shipped strategies also use)"
        made.append(
            Strategy(
                name=f"chemo+{name}",
                description=f"chemo plus {name} ({', '.join(actions)}){note}",
                source="vulnerability of the observed states",
                rules=(*chemo.rules, rule),
            )
        )
    return made


def _check_options(adata: AnnData, options: RunOptions) -> None:
    if options.groupby and options.groupby not in adata.obs:
        msg = (
            f"--groupby {options.groupby}: no such column in the input's observations; "
            f"columns: {', '.join(map(str, adata.obs.columns))}"
        )
        raise InputError(msg)


def run_pipeline(
    out: str | Path, options: RunOptions, *, force: bool = False, show: bool = True
) -> dict[str, Any]:
    """Read, score, call states, find vulnerabilities, simulate strategies, write the report.

    Everything is computed before anything is written; the outputs then appear in ``out``
    together (a temporary folder renamed into place), or not at all.
    """
    out = Path(out)
    inputs = [options.input, options.read_options.get("obs"), options.read_options.get("orthologs")]
    check_outputs([out], kind="folder", force=force, inputs=inputs)
    check_simulation_size(
        strategies=len(builtin_strategies()) + options.extra_strategies,
        cohort=options.cohort,
        days=options.days,
        seed=options.seed,
        fix="lower --cohort or --days",
    )
    load_evidence()  # a damaged user evidence base fails here, before the data are read
    steps = Steps(show=show)
    if options.input is None:
        options.reference = options.reference or BUNDLED["reference"]
        options.groupby = options.groupby or BUNDLED["groupby"]
    with steps.step("reading the data"):
        adata, description = _read_input(options)
        _check_options(adata, options)
    with steps.step("scoring gene programs"):
        score_programs(adata, method=options.method)
    with steps.step("calling states"):
        call_states(adata, reference=options.reference, method=options.method)
        by_group, seeded = _fractions(adata, options)
        scores = pd.DataFrame(adata.obsm["senox_scores"], index=adata.obs_names)
        states = _states_table(adata, scores)
    with steps.step("finding vulnerabilities"):
        vulnerabilities = find_vulnerabilities(adata)
    with steps.step("simulating strategies"):
        strategies = load_strategies(builtin_strategies())
        strategies += _vulnerability_strategies(vulnerabilities, options.extra_strategies)
        initial = initial_from_fractions(seeded)
        result = simulate_strategies(
            strategies, cohort=options.cohort, seed=options.seed, days=options.days, initial=initial
        )
        ranked = rank_strategies(
            result.summary,
            days=result.days,
            dose_equivalents=dose_equivalents(strategies),
            seed=options.seed,
        )
    with steps.step("drawing the report"):
        kind = _data_kind(adata)
        qc = _qc(adata)
        groups = adata.obs[options.groupby].astype(str) if options.groupby else None
        warnings = list(adata.uns["senox"]["states"]["warnings"])
        if kind == "single-cell":
            warnings += depth_warnings(scores, qc["genes_detected"], groups)
        context = ReportContext(
            input_description=description,
            n_obs=adata.n_obs,
            n_genes=adata.n_vars,
            data_kind=kind,  # type: ignore[arg-type]
            qc_per_obs=qc,
            program_coverage=_coverage(adata),
            scores=scores,
            groups=groups,
            group_label=options.groupby or "group",
            states=states,
            embedding=embedding(adata) if kind == "single-cell" else None,
            embedding_name="PCA",
            state_fractions=by_group,
            subclusters=_subclusters(adata),
            subcluster_test=adata.uns["senox"]["states"]["subcluster_test"],
            state_axes=adata.obsm["senox_axes"],
            vulnerabilities=vulnerabilities,
            trajectories=result.trajectories,
            summary=result.summary,
            strategies=ranked,
            horizon_days=options.days,
            methods=_methods(options, initial, strategies),
            timings=steps.timings,
            warnings=warnings,
        )
        html = render_report(context)
    record = {
        "inputs": {"input": options.input or description, **_options_record(options)},
        "versions": _versions(),
        "initial_state": initial,
        "timings": steps.timings,
        "warnings": warnings,
        "outputs": list(OUTPUTS),
    }
    with output_folder(out, force=force, inputs=inputs) as tmp:
        (tmp / "report.html").write_text(html, encoding="utf-8")
        _write_tables(
            tmp,
            {
                "scores.tsv": scores.rename_axis("obs").reset_index(),
                "states.tsv": states.rename_axis("obs").reset_index(),
                "vulnerabilities.tsv": vulnerabilities,
                "strategies.tsv": ranked,
            },
        )
        (tmp / "run.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    return record


def _write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    from senox.io import tsv_text

    for name, frame in tables.items():
        (folder / name).write_text(tsv_text(frame), encoding="utf-8", newline="")


def _options_record(options: RunOptions) -> dict[str, Any]:
    return {k: v for k, v in vars(options).items() if k != "input"}


def _methods(
    options: RunOptions, initial: dict[str, float], strategies: list[Strategy]
) -> dict[str, Any]:
    return {
        "scoring": f"senox.score, method {options.method} (catalogue programs)",
        "states": f"senox.states.call_states, reference {options.reference or 'none (whole data)'}",
        "vulnerabilities": "senox.vulnerabilities: AUROC ≥ 0.6, higher mean, expressed in ≥ 10 %",
        "model": "senox redox_senescence model (docs/model.md)",
        "initial state": ", ".join(f"{k} {v:.3f}" for k, v in initial.items()),
        "strategies": ", ".join(s.name for s in strategies),
        "virtual cohort": f"{options.cohort} patients, seed {options.seed}, {options.days:g} days",
        "exposures": ", ".join(f"{k} → {v}" for k, v in ACTIONS.items()),
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    packages = ["numpy", "pandas", "scipy", "anndata", "numba", "matplotlib"]
    return {
        "senox": __version__,
        "python": platform.python_version(),
        **{name: version(name) for name in packages},
    }
