"""``senox programs``: the gene-program catalogue."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from senox import programs
from senox.cli._output import Format, emit

programs_app = typer.Typer(
    help="The gene programs senox scores, with their provenance.", no_args_is_help=True
)


@programs_app.command("list")
def list_command(fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table) -> None:
    """List the catalogue: name, size, description, source and licence."""
    table = programs.describe()
    emit(table, fmt, table_columns=["program", "n_up", "n_down", "description"])


@programs_app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="Program name, e.g. senescence.")],
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """Show one program: its genes (up and down), why it holds them, and where they come from."""
    program = programs.select([name])[name]
    if fmt is not Format.table:
        genes = pd.DataFrame(
            {
                "program": name,
                "gene": program.genes,
                "weight": [1] * len(program.up) + [-1] * len(program.down),
            }
        )
        emit(genes, fmt)
        return
    console = Console()
    console.print(f"[bold]{program.name}[/] (catalogue {program.version}): {program.description}")
    console.print(f"[bold]why:[/] {program.rationale}")
    console.print(f"[bold]source:[/] {program.publication}")
    console.print(f"[bold]files:[/] {program.source_files}")
    console.print(f"[bold]licence:[/] {program.licence}")
    console.print(f"[bold]up ({len(program.up)}):[/] {' '.join(program.up)}", highlight=False)
    if program.down:
        console.print(
            f"[bold]down ({len(program.down)}):[/] {' '.join(program.down)}", highlight=False
        )
