"""The main job: from a transcriptome to a co-targeting strategy report, in one call."""

from __future__ import annotations

import json
import platform
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import numpy as np
import pandas as pd
from rich.console import Console
from scipy import sparse
from scipy.stats import spearmanr

from senox import __version__
from senox._dask import client_for
from senox._defaults import COHORT, SINGLE_CELL_MIN_OBS
from senox._errors import InputError
from senox._palette import state_order
from senox.io import check_outputs, output_folder, read
from senox.kb import load_evidence
from senox.model import (
    ACTIONS,
    SimulationResult,
    Strategy,
    builtin_strategies,
    check_simulation_size,
    initial_from_fractions,
    load_strategies,
    seed_fractions,
    simulate_observed,
    strategies_for_states,
    treated_mask,
)
from senox.pipeline._embedding import embedding, qc_per_obs
from senox.pipeline._stream import NormalisedRows, as_dask, streamed
from senox.report import ReportContext, render_report
from senox.report._render import draw_data_figures
from senox.states import call_states, state_fractions
from senox.states._call import parse_reference
from senox.vulnerabilities import find_vulnerabilities

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from anndata import AnnData
    from numpy.typing import NDArray

T = TypeVar("T")

#: The data set ``senox run`` analyses when no input is given.
BUNDLED = {
    "name": "chan2024_kras_ois",
    "citation": "Chan et al. 2024, Nature, doi 10.1038/s41586-024-07797-z (SenePy toy subset, MIT)",
    "reference": "condition=mV",
    "groupby": "condition",
}

OUTPUTS = (
    "report.html",
    "scores.tsv",
    "states.tsv",
    "vulnerabilities.tsv",
    "strategies.tsv",
    "model_inputs.tsv",
    "run.json",
)


@dataclass
class RunOptions:
    """What ``senox run`` was asked to do (written to ``run.json``)."""

    input: str | None = None
    reference: str | None = None
    groupby: str | None = None
    #: obs column of batches, each calibrated against its own reference observations.
    batch_key: str | None = None
    method: Literal["rank", "mean"] = "rank"
    #: Virtual patients per strategy (why 1,000: :data:`senox._defaults.COHORT`).
    cohort: int = COHORT
    seed: int = 0
    days: float = 365.0
    extra_strategies: int = 3
    context: Literal["tumor", "cell-line", "normal"] = "tumor"
    sample_key: str | None = None
    read_options: dict[str, str] = field(default_factory=dict)
    #: Read an ``.h5ad`` input backed, a block of rows at a time (``None``: from
    #: :data:`BACKED_FROM_BYTES`).
    backed: bool | None = None
    #: Address of a ``dask.distributed`` scheduler to score and simulate on (``None``: here).
    scheduler: str | None = None


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


#: ``.h5ad`` inputs of at least this many bytes are read backed unless ``--in-memory`` is given.
#: Read whole, the 100,000-cell benchmark file (0.94 GB on disk, 6 % non-zero) peaked at 4.8 GB
#: of memory, about 5 times its size; backed, at 1.9 GB, but about a fifth slower on 2 cores (it
#: reads and normalises the rows on every pass). Below 1 GiB the whole matrix fits a laptop, so
#: speed wins; above it, memory does.
BACKED_FROM_BYTES = 1024**3


def reads_backed(options: RunOptions) -> bool:
    """Whether ``options.input`` is read backed: as asked, else a large enough ``.h5ad``."""
    if options.input is None or options.backed is False:
        return False
    path = Path(options.input)
    if options.backed is None:
        return (
            path.suffix == ".h5ad" and path.is_file() and path.stat().st_size >= BACKED_FROM_BYTES
        )
    return True


def _read_input(options: RunOptions) -> tuple[AnnData, str]:
    if reads_backed(options):
        read_options = {k: v for k, v in options.read_options.items() if k != "values"}
        backed = read(options.input, backed=True, **read_options)  # type: ignore[arg-type]
        values = options.read_options.get("values", "auto")
        return streamed(backed, values), f"{Path(options.input).name} (read backed)"  # type: ignore[arg-type]
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


def _coverage(adata: AnnData) -> pd.DataFrame:
    coverage = pd.DataFrame(adata.uns["senox"]["scores"]["coverage"])
    if "fraction_found" not in coverage:
        coverage["fraction_found"] = coverage["n_found"] / coverage["n_genes"]
    return coverage


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


def _fractions(adata: AnnData, options: RunOptions) -> pd.DataFrame:
    """State fractions per ``--groupby`` group (one row, ``all``, without one)."""
    if options.groupby:
        return state_fractions(adata, options.groupby)
    shares: pd.Series = adata.obs["senox_state"].astype(str).value_counts(normalize=True)
    return shares.to_frame("all").T


def state_contrast(adata: AnnData, options: RunOptions) -> pd.DataFrame | None:
    """Per state: its share of the reference and of the treated observations, and the change.

    ``None`` without a reference. Columns ``reference``, ``treated`` (fractions 0–1),
    ``change`` (treated − reference), ``n_reference``, ``n_treated``; index: states.
    """
    if not options.reference:
        return None
    state = adata.obs["senox_state"].astype(str).to_numpy()
    side = np.where(treated_mask(adata, options.reference), "treated", "reference")
    counts = pd.crosstab(state, side).reindex(
        index=state_order(state), columns=["reference", "treated"], fill_value=0
    )
    table = counts / counts.sum().clip(lower=1)
    table["change"] = table["treated"] - table["reference"]
    return table.join(counts.add_prefix("n_"))


@dataclass
class Simulated:
    """What the simulation step produced (empty where the model does not apply)."""

    strategies: list[Strategy]
    initial: dict[str, float]
    model_inputs: pd.DataFrame | None = None
    result: SimulationResult | None = None
    ranked: pd.DataFrame | None = None


#: Why no strategy is simulated for normal tissue.
NORMAL_CONTEXT = (
    "The input is normal tissue or cells (--context normal): senox's model describes a treated "
    "tumour that regresses and relapses, so no strategy was simulated or ranked."
)
#: What a cell-line result means.
CELL_LINE_CONTEXT = (
    "The input is a cell line (--context cell-line): the model seeds a tumour with the cells' "
    "states, but its immune and stromal terms have no counterpart in a dish; read the strategies "
    "as hypotheses for a tumour grown from these cells."
)


def _simulate(adata: AnnData, options: RunOptions, vulnerabilities: pd.DataFrame) -> Simulated:
    if options.context == "normal":
        initial = initial_from_fractions(seed_fractions(adata, reference=options.reference))
        return Simulated(strategies=[], initial=initial)
    strategies = load_strategies(builtin_strategies())
    tested = vulnerabilities[
        (vulnerabilities["status"] == "vulnerability") & vulnerabilities["agent_usable"]
    ]
    strategies += strategies_for_states(tested, options.extra_strategies)
    run = simulate_observed(
        adata,
        strategies,
        reference=options.reference,
        cohort=options.cohort,
        seed=options.seed,
        days=options.days,
        scheduler=options.scheduler,
    )
    return Simulated(strategies, run.initial, run.inputs, run.result, run.ranked)


def _report_data(adata: AnnData, seed: int) -> tuple[pd.DataFrame, NDArray[np.float64] | None]:
    """QC per observation and, for single-cell data, the PCA coordinates (reads only X).

    Runs in a background thread (:class:`_InThread`): a backed count matrix is read raw and
    log-normalised on one core without the GIL, so it never calls the parallel kernel the
    main thread's reads use at the same time.
    """
    qc = qc_per_obs(adata, progress=False)
    if _data_kind(adata) != "single-cell":
        return qc, None
    counts = isinstance(adata.X, NormalisedRows) and adata.X.values == "counts"  # noqa: PD011 (not pandas)
    if counts:
        return qc, embedding(
            adata, seed=seed, layer="counts", normalise=True, parallel=False, progress=False
        )
    return qc, embedding(adata, seed=seed, progress=False)


class _InThread(Generic[T]):
    """Run ``function(*args)`` in a daemon thread; :meth:`result` waits for it.

    ``senox run`` computes the report's QC and PCA (which read only the matrix) this way while
    it scores and calls states, and simulates the strategies while it draws the data's
    figures: each overlaps the other's single-threaded parts on a second core. A daemon
    thread: a run that fails elsewhere exits without waiting for it.
    """

    def __init__(self, function: Callable[..., T], *args: Any) -> None:
        self._out: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(function, args), daemon=True)
        self._thread.start()

    def _run(self, function: Callable[..., T], args: tuple[Any, ...]) -> None:
        try:
            self._out = function(*args)
        except BaseException as exc:  # re-raised in the calling thread by result()
            self._error = exc

    def result(self) -> T:
        """What the function returned; re-raises its error."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._out is not None
        return self._out


def _check_scheduler(scheduler: str | None) -> None:
    """Refuse, before any work, a scheduler address that is malformed or does not answer."""
    client = client_for(scheduler)
    if client is not None:
        client.close()


def _scores_and_states(adata: AnnData, options: RunOptions) -> None:
    """Score the programs and call states, on ``options.scheduler``'s cluster if there is one.

    On a cluster, every pass over the matrix runs there, a block of rows a task: a backed
    matrix goes as a Dask array whose blocks each worker reads from the file itself
    (:func:`as_dask`), an in-memory one in blocks; the results are copied back onto ``adata``.
    """
    scheduler = options.scheduler
    if scheduler is None or not isinstance(adata.X, NormalisedRows):
        _states_of(adata, options)
        return
    import anndata as ad

    on_cluster = ad.AnnData(X=as_dask(adata.X), obs=adata.obs.copy(), var=adata.var)
    on_cluster.uns = dict(adata.uns)
    _states_of(on_cluster, options)
    _annotate(adata, on_cluster)


def _states_of(adata: AnnData, options: RunOptions) -> None:
    call_states(
        adata,
        reference=options.reference,
        method=options.method,
        scheduler=options.scheduler,
        batch_key=options.batch_key,
    )


def _check_options(adata: AnnData, options: RunOptions) -> None:
    for flag, column in (
        ("--groupby", options.groupby),
        ("--sample-key", options.sample_key),
        ("--batch-key", options.batch_key),
    ):
        if column and column not in adata.obs:
            msg = (
                f"{flag} {column}: no such column in the input's observations; "
                f"columns: {', '.join(map(str, adata.obs.columns))}"
            )
            raise InputError(msg)
    if options.context not in ("tumor", "cell-line", "normal"):
        msg = f"--context {options.context}: give tumor, cell-line or normal"
        raise InputError(msg)
    parse_reference(adata, options.reference)  # a reference matching nothing fails before work


def run_pipeline(
    out: str | Path,
    options: RunOptions,
    *,
    adata: AnnData | None = None,
    force: bool = False,
    show: bool = True,
) -> dict[str, Any]:
    """Read, score, call states, find vulnerabilities, simulate strategies, write the report.

    ``adata``: an AnnData to analyse instead of reading ``options.input`` (it is annotated in
    place, as ``senox.score`` and ``senox.states`` do); a backed one is read a block of rows at
    a time, its values transformed as ``senox.io.read`` would (:func:`streamed`). A backed
    ``.h5ad`` input is read so too (:func:`reads_backed`). Everything is computed
    before anything is written; the outputs then appear in ``out`` together (a temporary folder
    renamed into place), or not at all.
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
        quartiles=True,
    )
    load_evidence()  # a damaged user evidence base fails here, before the data are read
    _check_scheduler(options.scheduler)
    steps = Steps(show=show)
    if options.input is None and adata is None:
        options.reference = options.reference or BUNDLED["reference"]
        options.groupby = options.groupby or BUNDLED["groupby"]
    given = adata
    with steps.step("reading the data"):
        if adata is None:
            adata, description = _read_input(options)
        elif adata.isbacked:
            description = f"a backed AnnData ({adata.n_obs:,} × {adata.n_vars:,})"
            adata = streamed(adata)
        else:
            description = f"an in-memory AnnData ({adata.n_obs:,} × {adata.n_vars:,})"
        _check_options(adata, options)
        if sparse.issparse(adata.X):
            adata.X.sum_duplicates()  # in place, once, before two threads read it
        background = _InThread(_report_data, adata, options.seed)
    with steps.step("scoring programs and calling states"):
        _scores_and_states(adata, options)
        by_group = _fractions(adata, options)
        scores = pd.DataFrame(adata.obsm["senox_scores"], index=adata.obs_names)
        states = _states_table(adata, scores)
    with steps.step("finding vulnerabilities"):
        vulnerabilities = find_vulnerabilities(
            adata, reference=options.reference, sample_key=options.sample_key
        )
    with steps.step("simulating strategies"):  # the data's figures are drawn meanwhile
        simulation = _InThread(_simulate, adata, options, vulnerabilities)
        kind = _data_kind(adata)
        qc, coordinates = background.result()
        groups = adata.obs[options.groupby] if options.groupby else None  # figures order them
        warnings = list(adata.uns["senox"]["states"]["warnings"])
        if kind == "single-cell":
            warnings += depth_warnings(scores, qc["genes_detected"], groups)
        if options.context != "tumor":
            warnings.append(NORMAL_CONTEXT if options.context == "normal" else CELL_LINE_CONTEXT)
        data_context = ReportContext(
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
            embedding=coordinates,
            embedding_name="PCA",
            state_fractions=by_group,
            state_contrast=state_contrast(adata, options),
            subclusters=_subclusters(adata),
            subcluster_test=adata.uns["senox"]["states"]["subcluster_test"],
            state_axes=adata.obsm["senox_axes"],
            vulnerabilities=vulnerabilities,
            context=options.context,
            horizon_days=options.days,
            warnings=warnings,
        )
        drawn = draw_data_figures(data_context)
        simulated = simulation.result()
    with steps.step("drawing the report"):
        result = simulated.result
        context = replace(
            data_context,
            trajectories=result.trajectories if result else None,
            summary=result.summary if result else None,
            strategies=simulated.ranked,
            model_inputs=simulated.model_inputs,
            methods=_methods(options, simulated),
            timings=steps.timings,
        )
        html = render_report(context, drawn=drawn)
    record = {
        "inputs": {"input": options.input or description, **_options_record(options)},
        "backed": isinstance(adata.X, NormalisedRows),
        "versions": _versions(),
        "initial_state": simulated.initial,
        "timings": steps.timings,
        "warnings": warnings,
        "outputs": list(OUTPUTS),
    }
    empty = pd.DataFrame(columns=["strategy", "rank"])
    with output_folder(out, force=force, inputs=inputs) as tmp:
        (tmp / "report.html").write_text(html, encoding="utf-8")
        _write_tables(
            tmp,
            {
                "scores.tsv": scores.rename_axis("obs").reset_index(),
                "states.tsv": states.rename_axis("obs").reset_index(),
                "vulnerabilities.tsv": vulnerabilities,
                "strategies.tsv": simulated.ranked if simulated.ranked is not None else empty,
                "model_inputs.tsv": (
                    simulated.model_inputs
                    if simulated.model_inputs is not None
                    else pd.DataFrame(columns=["parameter", "feature"])
                ),
            },
        )
        (tmp / "run.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    if given is not None and given is not adata:
        _annotate(given, adata)
    return record


def _annotate(target: AnnData, source: AnnData) -> None:
    """Copy what the run added to ``source`` (a streamed view of a backed ``target``) back."""
    for column in source.obs.columns:
        target.obs[column] = source.obs[column].array
    for key, value in source.obsm.items():
        target.obsm[key] = value
    for key, value in source.uns.items():
        target.uns[key] = value


def _write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    from senox.io import tsv_text

    for name, frame in tables.items():
        (folder / name).write_text(tsv_text(frame), encoding="utf-8", newline="")


def _options_record(options: RunOptions) -> dict[str, Any]:
    return {k: v for k, v in vars(options).items() if k != "input"}


def _methods(options: RunOptions, simulated: Simulated) -> dict[str, Any]:
    initial = simulated.initial
    return {
        "scoring": f"senox.score, method {options.method} (catalogue programs)",
        "states": f"senox.states.call_states, reference {options.reference or 'none (whole data)'}",
        "vulnerabilities": (
            "senox.vulnerabilities: differential test of each evidence-base target "
            "(pseudobulk Welch t with --sample-key, else tie-corrected Wilcoxon), "
            "Benjamini–Hochberg FDR ≤ 0.1, higher in the group, expressed in ≥ 10 % and ≥ 5 "
            "observations (docs/vulnerabilities.md)"
        ),
        "context": options.context,
        "model": "senox redox_senescence model (docs/model.md)",
        "initial state": ", ".join(f"{k} {v:.3f}" for k, v in initial.items()),
        "strategies": ", ".join(s.name for s in simulated.strategies) or "none",
        "virtual cohort": f"{options.cohort} patients, seed {options.seed}, {options.days:g} days",
        "ranking": (
            "Pareto tiers of restricted mean time to relapse (proliferating + escaped cells), "
            "toxicity and escaped fraction; tier stability over 200 paired bootstrap draws"
        ),
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
