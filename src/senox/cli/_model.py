"""``senox model``: run SBML models."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from senox.cli._inputs import ForceOpt, refuse_existing
from senox.io import atomic_write_text

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
    from senox.model import run_sbml

    refuse_existing([out], force=force)
    table = run_sbml(model, until=until, points=points)
    text = table.to_csv(sep="\t", index=False, float_format="%.8g")
    if out is None:
        typer.echo(text, nl=False)
        return
    atomic_write_text(out, text, force=force)
    typer.echo(
        f"simulated {model} for {until}: {len(table)} time points × {table.shape[1] - 2} species → {out}",
        err=True,
    )


class ExportFormat(StrEnum):
    """Formats a model can be exported to."""

    sbml = "sbml"
    antimony = "antimony"


@model_app.command("export")
def export_command(
    name: Annotated[str, typer.Argument(help="redox_senescence (shipped) or a model TOML file.")],
    out: Annotated[Path, typer.Option(help="File to write.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="sbml or antimony.")] = (
        ExportFormat.sbml
    ),
    strategy: Annotated[
        str | None, typer.Option(help="Add a strategy's doses as events (name or TOML file).")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Export senox's own model as SBML (Level 3 Version 2) or Antimony text."""
    from senox.model import load_model, load_strategy, to_antimony, to_sbml

    refuse_existing([out], force=force)
    spec = load_model(name)
    doses = load_strategy(strategy).doses() if strategy else []
    writer = to_sbml if fmt is ExportFormat.sbml else to_antimony
    atomic_write_text(out, writer(spec, doses=doses), force=force)
    typer.echo(
        f"exported {spec.name} ({len(doses)} doses as events) as {fmt.value} → {out}", err=True
    )
