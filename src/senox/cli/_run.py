"""``senox run``: the main job, from a transcriptome to a co-targeting strategy report."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from senox._dask import check_address
from senox._defaults import COHORT
from senox._errors import InputError
from senox.cli._inputs import (
    BatchKeyOpt,
    ForceOpt,
    GeneId,
    GeneIdOpt,
    MethodChoice,
    MethodOpt,
    ObsOpt,
    Orientation,
    OrientationOpt,
    OrthologsOpt,
    Species,
    SpeciesOpt,
    Values,
    ValuesOpt,
)
from senox.cli._output import echo_warnings


class Context(StrEnum):
    """What the analysed sample is."""

    tumor = "tumor"
    cell_line = "cell-line"
    normal = "normal"


def run_command(
    input_path: Annotated[
        Path | None,
        typer.Argument(metavar="[INPUT]", help="Expression file (default: the bundled data set)."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for report.html and the tables.")] = Path(
        "senox-report"
    ),
    reference: Annotated[
        str | None, typer.Option(help="COLUMN=VALUE naming the untreated/control observations.")
    ] = None,
    groupby: Annotated[
        str | None, typer.Option(help="obs column to summarise state fractions by.")
    ] = None,
    batch_key: BatchKeyOpt = None,
    cohort: Annotated[
        int, typer.Option(min=0, help="Virtual patients per strategy (0: default parameters).")
    ] = COHORT,
    sample_key: Annotated[
        str | None,
        typer.Option(
            help="obs column naming the sample of each cell: vulnerabilities are then tested on "
            "per-sample pseudobulks (single-cell data from several samples)."
        ),
    ] = None,
    context: Annotated[
        Context,
        typer.Option(
            help="What the sample is: tumor; cell-line (a caveat is added); normal (no "
            "strategy is simulated: the relapse model describes a tumour)."
        ),
    ] = Context.tumor,
    seed: Annotated[int, typer.Option(help="Seed of the virtual cohort.")] = 0,
    days: Annotated[float, typer.Option(min=1, help="Simulated horizon in days.")] = 365.0,
    method: MethodOpt = MethodChoice.rank,
    species: SpeciesOpt = Species.auto,
    gene_id: GeneIdOpt = GeneId.auto,
    orientation: OrientationOpt = Orientation.auto,
    values: ValuesOpt = Values.auto,
    sample_sheet: ObsOpt = None,
    orthologs: OrthologsOpt = None,
    backed: Annotated[
        bool | None,
        typer.Option(
            "--backed/--in-memory",
            help="Read an .h5ad INPUT a block of rows at a time instead of whole (default: "
            "backed from 1 GiB on disk); genes must map one-to-one to human symbols.",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="dask.distributed scheduler address (tcp://HOST:PORT): the state calls' passes "
            "over the matrix (with scoring) and the virtual cohorts run on its cluster (a backed "
            "INPUT must be at the same path on the workers)."
        ),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Score, call states, map vulnerabilities to agents, simulate strategies, write a report."""
    from senox.pipeline import OUTPUTS, RunOptions, run_pipeline

    if scheduler is not None:
        check_address(scheduler)
    tables = {"obs": sample_sheet, "orthologs": orthologs}
    given = {name: str(path) for name, path in tables.items() if path is not None}
    if input_path is None and given:
        msg = f"--{next(iter(given))}: goes with an INPUT file; name the expression file to read"
        raise InputError(msg)
    read_options = {
        "species": species.value,
        "gene_id": gene_id.value,
        "orientation": orientation.value,
        "values": values.value,
        **given,
    }
    options = RunOptions(
        input=None if input_path is None else str(input_path),
        reference=reference,
        groupby=groupby,
        batch_key=batch_key,
        method=method.value,
        cohort=cohort,
        seed=seed,
        days=days,
        context=context.value,
        sample_key=sample_key,
        read_options=read_options,
        backed=backed,
        scheduler=scheduler,
    )
    record = run_pipeline(out, options, force=force)
    echo_warnings(record["warnings"])
    total = sum(record["timings"].values())
    typer.echo(f"wrote {', '.join(OUTPUTS)} to {out}/ in {total:.0f} s", err=True)
    typer.echo(f"open {out / 'report.html'} in a browser", err=True)
