"""``senox score``: read an expression file, score the programs, write a TSV (and an .h5ad)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from senox import io, programs
from senox._dask import check_address
from senox._errors import InputError
from senox.cli._inputs import (
    ForceOpt,
    GeneId,
    MethodChoice,
    ObsOpt,
    Orientation,
    OrthologsOpt,
    Species,
    SpeciesOpt,
    Values,
)
from senox.io import check_outputs, write_outputs


def _user_programs(path: Path | None) -> dict[str, programs.Program]:
    if path is None:
        return {}
    return (
        programs.read_gmt(path)
        if path.suffix.lower() == ".gmt"
        else programs.read_program_table(path)
    )


def _chosen(names: str | None, extra: dict[str, programs.Program]) -> dict[str, programs.Program]:
    wanted = [n.strip() for n in names.split(",") if n.strip()] if names else None
    return programs.select(wanted, extra=extra)


def score_command(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="h5ad, 10x dir/.h5, .mtx, or CSV/TSV table.")
    ],
    out: Annotated[
        Path, typer.Option(help="TSV to write: column `obs`, then one column per program.")
    ],
    method: Annotated[
        MethodChoice, typer.Option(help="rank (UCell-like) or mean (scanpy-like).")
    ] = MethodChoice.rank,
    program_names: Annotated[
        str | None, typer.Option("--programs", help="Comma-separated program names (default: all).")
    ] = None,
    gmt: Annotated[
        Path | None,
        typer.Option(help="Your own programs: a .gmt file or a program/gene/weight TSV."),
    ] = None,
    h5ad: Annotated[
        Path | None, typer.Option(help="Also write the scored data as .h5ad here.")
    ] = None,
    species: SpeciesOpt = Species.auto,
    gene_id: Annotated[GeneId, typer.Option(help="Kind of gene identifier.")] = GeneId.auto,
    orientation: Annotated[
        Orientation, typer.Option(help="For tables: where the genes are.")
    ] = Orientation.auto,
    values: Annotated[
        Values, typer.Option(help="What the values are (see senox.io.read).")
    ] = Values.auto,
    backed: Annotated[
        bool, typer.Option(help="Read an .h5ad from disk in blocks (large files).")
    ] = False,
    chunk_size: Annotated[int, typer.Option(min=1, help="Observations per block.")] = 20_000,
    scheduler: Annotated[
        str | None, typer.Option(help="dask.distributed scheduler address.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the mean method's control genes.")] = 0,
    sample_sheet: ObsOpt = None,
    orthologs: OrthologsOpt = None,
    force: ForceOpt = False,
) -> None:
    """Score the redox–senescence programs for every cell or sample of INPUT."""
    from senox.io import tsv_text
    from senox.score import score_programs  # loads the compiled kernels: only when scoring

    inputs = [input_path, gmt, sample_sheet, orthologs]
    check_outputs([out, h5ad], force=force, inputs=inputs)
    if scheduler is not None:
        check_address(scheduler)
    if backed and h5ad is not None:
        msg = "--h5ad cannot be combined with --backed; drop one of them"
        raise InputError(msg)
    chosen = _chosen(program_names, _user_programs(gmt))
    adata = io.read(
        input_path, species=species.value, gene_id=gene_id.value, orientation=orientation.value,
        values=values.value, backed=backed, obs=sample_sheet, orthologs=orthologs,
    )  # fmt: skip
    score_programs(
        adata,
        chosen,
        method=method.value,
        chunk_size=chunk_size,
        scheduler=scheduler,
        random_state=seed,
    )
    table = adata.obsm["senox_scores"].rename_axis("obs").reset_index()
    outputs = [out] if h5ad is None else [out, h5ad]
    with write_outputs(outputs, force=force, inputs=inputs) as staged:
        staged[0].write_text(tsv_text(table, digits=8), encoding="utf-8", newline="")
        if h5ad is not None:
            adata.write_h5ad(staged[1])
    coverage = adata.uns["senox"]["scores"]["coverage"]
    typer.echo(
        f"scored {adata.n_obs} observations × {len(chosen)} programs ({method.value}) → {out}",
        err=True,
    )
    for name, found, total in zip(
        coverage["program"], coverage["n_found"], coverage["n_genes"], strict=True
    ):
        typer.echo(f"  {name}: {found}/{total} genes found", err=True)
    if h5ad is not None:
        typer.echo(f"wrote {h5ad}", err=True)
