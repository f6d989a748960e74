"""What every refused command line must look like: exit code 2 and one ``error:`` line."""

from __future__ import annotations

from typing import Any


def refused(result: Any, *fragments: str) -> str:
    """Check ``result`` (typer's CliRunner) is one error line holding every fragment; return it."""
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: "), line
    for fragment in fragments:
        assert fragment in line, line
    return str(line)
