"""The ``senox`` command line: thin wrappers over the library, one-line errors, no tracebacks."""

from __future__ import annotations

import signal
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from senox import __version__
from senox._errors import SenoxError
from senox.cli._kb import kb_app
from senox.cli._model import model_app
from senox.cli._output import visible
from senox.cli._programs import programs_app
from senox.cli._run import run_command
from senox.cli._score import score_command
from senox.cli._simulate import simulate_command, strategies_app
from senox.cli._states import states_command


class _SenoxGroup(TyperGroup):
    """Turn any :class:`SenoxError` raised by a command into one line on stderr and exit code 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SenoxError as exc:
            typer.echo(f"error: {visible(exc)}", err=True)
            raise typer.Exit(code=2) from None


app = typer.Typer(
    cls=_SenoxGroup,
    name="senox",
    help="The redox–senescence axis of tumor drug resistance: evidence, scores, states, models.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(kb_app, name="kb")
app.add_typer(programs_app, name="programs")
app.add_typer(model_app, name="model")
app.command("run")(run_command)
app.command("score")(score_command)
app.command("states")(states_command)
app.command("simulate")(simulate_command)
app.add_typer(strategies_app, name="strategies")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"senox {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Senox command line."""


def _exit_on_signal(signum: int, _frame: object) -> None:
    """Turn SIGTERM/SIGHUP into an exit that unwinds, so staged outputs are removed."""
    raise SystemExit(128 + signum)


def exit_cleanly_on_signals() -> None:
    """Make SIGTERM and SIGHUP unwind like Ctrl-C does (SIGKILL's leftovers go on the next run)."""
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _exit_on_signal)


def main() -> None:
    """Entry point of the ``senox`` console script."""
    exit_cleanly_on_signals()
    app()
