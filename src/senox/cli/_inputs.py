"""Options shared by the commands that read an expression file (``score``, ``states``, ``run``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class MethodChoice(StrEnum):
    """Scoring methods."""

    rank = "rank"
    mean = "mean"


class Species(StrEnum):
    """Species of the input's gene identifiers."""

    auto = "auto"
    human = "human"
    mouse = "mouse"
    rat = "rat"
    other = "other"


class GeneId(StrEnum):
    """Kind of gene identifier."""

    auto = "auto"
    symbol = "symbol"
    ensembl = "ensembl"


class Orientation(StrEnum):
    """Where the genes are in a table."""

    auto = "auto"
    genes_in_rows = "genes_in_rows"
    genes_in_columns = "genes_in_columns"


class Values(StrEnum):
    """What the input's values are."""

    auto = "auto"
    counts = "counts"
    linear = "linear"
    log = "log"


InputArg = Annotated[
    Path, typer.Argument(metavar="INPUT", help="h5ad, 10x dir/.h5, .mtx, or CSV/TSV table.")
]
MethodOpt = Annotated[MethodChoice, typer.Option(help="rank (UCell-like) or mean (scanpy-like).")]
SpeciesOpt = Annotated[
    Species, typer.Option(help="Species of the gene identifiers (rat, other: need --orthologs).")
]
GeneIdOpt = Annotated[GeneId, typer.Option(help="Kind of gene identifier.")]
OrientationOpt = Annotated[Orientation, typer.Option(help="For tables: where the genes are.")]
ValuesOpt = Annotated[Values, typer.Option(help="What the values are (see senox.io.read).")]
ObsOpt = Annotated[
    Path | None,
    typer.Option(
        "--obs",
        help="Sample sheet (CSV/TSV): observation IDs first, then columns for --reference and "
        "--groupby.",
    ),
]
OrthologsOpt = Annotated[
    Path | None,
    typer.Option(
        help="Table of human orthologs (e.g. rat_ensembl_gene, human_ensembl_gene) for a "
        "species senox has none for.",
    ),
]
BatchKeyOpt = Annotated[
    str | None,
    typer.Option(
        help="obs column of batches (strains, donors): calibrate each observation against the "
        "--reference observations of its own batch (2 or more in each).",
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(help="Replace outputs senox wrote earlier (it never replaces other files)."),
]
