"""``python -m senox`` runs the command line."""

from __future__ import annotations

from senox.cli import main

main()
