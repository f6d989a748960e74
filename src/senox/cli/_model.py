"""``senox model``: run SBML models (deterministic or stochastic) and export senox's own."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from senox._errors import InputError
from senox._progress import progress_bar
from senox.cli._inputs import ForceOpt
from senox.io import atomic_write_text, check_outputs, output_folder
from senox.model._limits import check_seed

model_app = typer.Typer(
    help="Mechanistic models: run published SBML models and your own.", no_args_is_help=True
)


@model_app.command("run")
def run_command(
    model: Annotated[
        str, typer.Argument(help="SBML file, or a shipped model: passos2010, dallepezze2014.")
    ],
    until: Annotated[
        str, typer.Option(help="How long to simulate: 15d, 36h, 600s (a bare number: days).")
    ] = "15d",
    out: Annotated[
        Path | None, typer.Option(help="TSV to write (time_days, time, species...).")
    ] = None,
    points: Annotated[
        int | None, typer.Option(min=2, help="Output time points (default: daily, at least 101).")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Simulate an SBML model deterministically with libroadrunner (CVODE)."""
    from senox.io import tsv_text
    from senox.model import run_sbml

    check_outputs([out], force=force, inputs=[model])
    table = run_sbml(model, until=until, points=points)
    text = tsv_text(table, digits=8)
    if out is None:
        typer.echo(text, nl=False)
        return
    atomic_write_text(out, text, force=force, inputs=[model])
    typer.echo(
        f"simulated {model} for {until}: {len(table)} time points × {table.shape[1] - 2} species → {out}",
        err=True,
    )


#: Cells per call of the stochastic simulator (the progress bar's step).
SSA_CHUNK = 50


def _pair_text(pairs: list[tuple[str, str]]) -> str:
    return " ".join(f"{forward}:{backward}" for forward, backward in pairs)


def _fast_pairs(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        forward, sep, backward = value.partition(":")
        if not sep or not forward or not backward:
            msg = f"--fast '{value}': write the two reaction ids as FORWARD:BACKWARD"
            raise InputError(msg)
        pairs.append((forward, backward))
    return pairs


@model_app.command("ssa")
def ssa_command(
    model: Annotated[str, typer.Argument(help="SBML file (mass action), or passos2010.")],
    out: Annotated[Path, typer.Option(help="TSV to write (cell, time_days, time, species...).")],
    cells: Annotated[int, typer.Option(min=1, help="Number of cells.")] = 100,
    until: Annotated[
        str, typer.Option(help="How long to simulate: 11d, 36h, 600s (a bare number: days).")
    ] = "1d",
    points: Annotated[int, typer.Option(min=2, help="Output time points, 0 to --until.")] = 101,
    seed: Annotated[int, typer.Option(help="Seed; cell i's stream depends only on it and i.")] = 0,
    species: Annotated[
        str | None, typer.Option(help="Comma-separated species to write (default: all).")
    ] = None,
    fast: Annotated[
        list[str] | None,
        typer.Option(
            help="A fast reversible pair FORWARD:BACKWARD for the slow-scale approximation "
            "(repeat for more), or 'auto' to take the pairs a short exact pilot run finds "
            "(senox.model.suggest_fast_pairs). Without it the simulation is exact."
        ),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Simulate single cells stochastically (Gillespie's direct method, or slow-scale)."""
    from senox.io import tsv_text
    from senox.model import (
        check_seed,
        check_table_size,
        compile_sbml,
        parse_duration,
        simulate_ssa,
        slow_scale,
        suggest_fast_pairs,
    )

    check_outputs([out], force=force, inputs=[model])
    compiled = compile_sbml(model)
    span = parse_duration(until) / compiled.time_unit
    names = [n.strip() for n in species.split(",")] if species else list(compiled.species)
    compiled.index(names)  # unknown species fail here, before any work
    check_seed(seed)
    check_table_size(
        cells * points,
        len(names) + 3,  # and cell, time_days, time
        f"simulating {cells:,} cells × {points:,} time points",
        "lower --cells or --points",
    )
    if fast == ["auto"]:
        pairs = suggest_fast_pairs(compiled, until=span, seed=seed)
        typer.echo(f"fast pairs from an exact pilot run: {_pair_text(pairs) or 'none'}", err=True)
    else:
        pairs = _fast_pairs(fast or [])
    ssa = slow_scale(compiled, pairs) if pairs else compiled
    times = np.linspace(0.0, span, points)
    parts = []
    with progress_bar(cells, show=cells > SSA_CHUNK, label="cells") as advance:
        for first in range(0, cells, SSA_CHUNK):
            n = min(SSA_CHUNK, cells - first)
            parts.append(
                simulate_ssa(
                    ssa, n_cells=n, times=times, seed=seed, species=names, first_cell=first
                )
            )
            advance(n)
    table = ssa_table(np.concatenate(parts), times, ssa.time_unit, names)
    atomic_write_text(out, tsv_text(table, digits=8), force=force, inputs=[model])
    method = f"slow-scale ({len(pairs)} fast pairs)" if pairs else "exact"
    typer.echo(
        f"simulated {cells} cells of {model} for {until} ({method}): {len(table)} rows → {out}",
        err=True,
    )


def ssa_table(
    runs: np.ndarray, times: np.ndarray, time_unit: float, names: list[str]
) -> pd.DataFrame:
    """Long table of an ensemble ``(cells, times, species)``: one row per cell and time."""
    n_cells, n_times, _ = runs.shape
    table = pd.DataFrame(runs.reshape(n_cells * n_times, -1), columns=names)
    table.insert(0, "time", np.tile(times, n_cells))
    table.insert(0, "time_days", np.tile(times * time_unit / 86400.0, n_cells))
    table.insert(0, "cell", np.repeat(np.arange(n_cells), n_times))
    return table


class ExportFormat(StrEnum):
    """Formats a model can be exported to."""

    sbml = "sbml"
    antimony = "antimony"
    petab = "petab"


@model_app.command("export")
def export_command(
    name: Annotated[str, typer.Argument(help="redox_senescence (shipped) or a model TOML file.")],
    out: Annotated[Path, typer.Option(help="File to write (a new folder for --format petab).")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="sbml, antimony or petab.")] = (
        ExportFormat.sbml
    ),
    strategy: Annotated[
        str | None, typer.Option(help="Add a strategy's doses as events (name or TOML file).")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Export senox's own model as SBML (Level 3 Version 2), Antimony text or a PEtab problem.

    A PEtab problem is a folder: model.xml, condition, observable, parameter and (empty)
    measurement tables, and problem.yaml; fill in the measurements, then run
    `senox model calibrate DIR/problem.yaml`.
    """
    from senox.model import load_model, load_strategy, to_antimony, to_petab, to_sbml

    inputs = [name, strategy]
    check_outputs(
        [out], kind="folder" if fmt is ExportFormat.petab else "file", force=force, inputs=inputs
    )
    spec = load_model(name)
    doses = load_strategy(strategy).doses() if strategy else []
    if fmt is ExportFormat.petab:
        files = to_petab(spec, doses=doses)
        with output_folder(out, force=force, inputs=inputs) as tmp:
            for file_name, text in files.items():
                (tmp / file_name).write_text(text, encoding="utf-8", newline="")
    else:
        writer = to_sbml if fmt is ExportFormat.sbml else to_antimony
        atomic_write_text(out, writer(spec, doses=doses), force=force, inputs=inputs)
    typer.echo(
        f"exported {spec.name} ({len(doses)} doses as events) as {fmt.value} → {out}", err=True
    )


@model_app.command("calibrate")
def calibrate_command(
    problem: Annotated[Path, typer.Argument(help="The PEtab v1 problem's YAML file.")],
    out: Annotated[Path, typer.Option(help="New folder for the results.")],
    starts: Annotated[int, typer.Option(min=1, help="Local optimisations (multistart).")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the start points.")] = 0,
    profile: Annotated[
        list[str] | None,
        typer.Option(help="An estimated parameter to profile at the best fit (repeat for more)."),
    ] = None,
    profile_points: Annotated[
        int, typer.Option(min=1, help="Profile grid points on each side of the optimum.")
    ] = 8,
    max_iter: Annotated[
        int, typer.Option(min=1, help="L-BFGS-B iterations per start, at most.")
    ] = 500,
    scheduler: Annotated[
        str | None,
        typer.Option(help="dask.distributed scheduler address to spread the starts over."),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Fit a PEtab v1 problem: seeded multistart L-BFGS-B (libroadrunner), profile likelihoods.

    Writes parameters.tsv (best fit as nominalValue), simulation.tsv, waterfall.tsv/.png and,
    with --profile, profiles.tsv/.png. Priors in the parameter table are ignored.
    """
    from senox._dask import check_address
    from senox.model import calibrate, read_petab, write_calibration
    from senox.model._calibrate import check_profiles

    inputs = [problem, problem.parent]
    check_outputs([out], kind="folder", force=force, inputs=inputs)
    check_seed(seed)
    if scheduler is not None:
        check_address(scheduler)
    petab_problem = read_petab(problem)
    check_profiles(petab_problem, profile or [])
    steps = starts + len(profile or [])
    with progress_bar(steps, show=True, label="starts, profiles") as advance:
        result = calibrate(
            petab_problem,
            starts=starts,
            seed=seed,
            profiles=profile or [],
            profile_points=profile_points,
            max_iter=max_iter,
            scheduler=scheduler,
            progress=advance,
        )
    with output_folder(out, force=force, inputs=inputs) as tmp:
        write_calibration(result, tmp)
    finished = sum(np.isfinite(s.nll) for s in result.starts)
    typer.echo(
        f"calibrated {problem}: best NLL {result.best.nll:.6g} ({finished} of {starts} starts "
        f"finished; NLL at the nominal values {result.nll_nominal:.6g}) → {out}",
        err=True,
    )


@model_app.command("predict")
def predict_command(
    problem: Annotated[
        Path, typer.Argument(help="PEtab v1 problem (YAML) of the arms to predict.")
    ],
    parameters: Annotated[
        Path,
        typer.Option(help="Fitted PEtab parameter table, e.g. a calibration's parameters.tsv."),
    ],
    out: Annotated[Path, typer.Option(help="New folder for the results.")],
    force: ForceOpt = False,
) -> None:
    """Predict a PEtab problem's measurements from fitted parameters (out-of-sample check).

    Simulates the problem at the fitted values (other parameters keep the problem's nominal
    values) and writes simulation.tsv, residuals.tsv (per measurement, on the observable's
    transformation scale), summary.tsv (per observable and condition) and prediction.png.
    """
    from senox.model import predict, read_fitted, read_petab, write_prediction

    inputs = [problem, problem.parent, parameters]
    check_outputs([out], kind="folder", force=force, inputs=inputs)
    fitted = read_fitted(parameters)
    result = predict(read_petab(problem), fitted)
    with output_folder(out, force=force, inputs=inputs) as tmp:
        write_prediction(result, tmp)
    rms = float(np.sqrt(np.nanmean(result.residuals["residual"] ** 2)))
    typer.echo(
        f"predicted {problem} with {len(result.taken)} fitted values from {parameters}: "
        f"NLL {result.nll:.6g}, RMS residual {rms:.3g} over {len(result.residuals)} "
        f"measurements → {out}",
        err=True,
    )
