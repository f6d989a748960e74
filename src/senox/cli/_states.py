"""``senox states``: call the redox–senescence state of every cell or sample."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from senox import io
from senox.cli._inputs import (
    BatchKeyOpt,
    ForceOpt,
    GeneId,
    GeneIdOpt,
    InputArg,
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
from senox.io import check_outputs, write_text_outputs


def states_command(
    input_path: InputArg,
    out: Annotated[
        Path,
        typer.Option(help="TSV to write: obs, state, confidence, redox_index, program scores."),
    ],
    reference: Annotated[
        str | None, typer.Option(help="COLUMN=VALUE naming the untreated/control observations.")
    ] = None,
    groupby: Annotated[
        str | None, typer.Option(help="obs column: also write states_by_group.tsv beside --out.")
    ] = None,
    batch_key: BatchKeyOpt = None,
    method: MethodOpt = MethodChoice.rank,
    species: SpeciesOpt = Species.auto,
    gene_id: GeneIdOpt = GeneId.auto,
    orientation: OrientationOpt = Orientation.auto,
    values: ValuesOpt = Values.auto,
    sample_sheet: ObsOpt = None,
    orthologs: OrthologsOpt = None,
    force: ForceOpt = False,
) -> None:
    """Call proliferating, quiescent, senescent (inflammatory / p53), escape-like or other."""
    from senox.io import tsv_text
    from senox.states import call_states, state_fractions  # loads the scoring kernels

    by_group = out.with_name("states_by_group.tsv") if groupby else None
    inputs = [input_path, sample_sheet, orthologs]
    check_outputs([out, by_group], force=force, inputs=inputs)
    adata = io.read(
        input_path,
        species=species.value,
        gene_id=gene_id.value,
        orientation=orientation.value,
        values=values.value,
        obs=sample_sheet,
        orthologs=orthologs,
    )
    if groupby is not None and groupby not in adata.obs.columns:
        state_fractions(adata, groupby)  # raises the one-line error before any work
    call_states(adata, reference=reference, method=method.value, batch_key=batch_key)
    obs = adata.obs
    table = adata.obsm["senox_scores"].copy()
    table.insert(0, "redox_index", obs["senox_redox_index"].to_numpy())
    table.insert(0, "confidence", obs["senox_confidence"].to_numpy())
    table.insert(0, "state", obs["senox_state"].astype(str).to_numpy())
    texts = {out: tsv_text(table.rename_axis("obs").reset_index())}
    if by_group is not None and groupby is not None:
        texts[by_group] = tsv_text(state_fractions(adata, groupby).reset_index(), digits=4)
    write_text_outputs(texts, force=force, inputs=inputs)
    record = adata.uns["senox"]["states"]
    counts = record["counts"]
    echo_warnings(record["warnings"])
    typer.echo(f"called {adata.n_obs} observations → {out}", err=True)
    typer.echo("  " + ", ".join(f"{name}: {n}" for name, n in counts.items()), err=True)
    if by_group is not None:
        typer.echo(f"wrote {by_group}", err=True)
