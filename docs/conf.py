"""Sphinx configuration of senox's documentation site (``make docs``; builds offline)."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version as installed_version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx

project = "senox"
author = "senox developers"
copyright = "2026, senox developers"
release = installed_version("senox")

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
html_theme = "furo"
html_title = f"senox {release}"

# Every warning is an error (make docs passes -W). Nothing is fetched (no intersphinx).
# References that resolve nowhere are left as plain text rather than warned about (nitpicky
# off): the docstrings name many objects the site does not document one by one.
nitpicky = False
# docs/bad-inputs.md goes from its title to ### sections on purpose (a catalogue of tables).
suppress_warnings = ["myst.header"]

autosummary_generate = True
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
# The tutorial runs on every build, on the bundled data; an error or any output on stderr
# (a warning) fails the build.
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_output_stderr = "warn"


def _cli_reference() -> str:
    """The ``senox`` command's reference, generated from the Typer app (``typer … utils docs``)."""
    done = subprocess.run(
        [sys.executable, "-m", "typer", "senox.cli", "utils", "docs", "--name", "senox",
         "--title", "Command-line reference"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def _insert_cli_reference(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == "cli":
        source[0] = source[0].replace("<!-- senox --help, generated -->", _cli_reference())


def setup(app: Sphinx) -> None:
    """Fill the CLI page from the command itself when it is read."""
    app.connect("source-read", _insert_cli_reference)
