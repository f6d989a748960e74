"""``senox kb``: query, check, export and extend the evidence base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from senox import kb
from senox._errors import EvidenceDataError
from senox.cli._output import Format, emit, print_json, print_table, safe_markup, visible

kb_app = typer.Typer(
    help="The curated evidence base: agents, targets, cancers, SASP factors, stages, PMIDs.",
    no_args_is_help=True,
)

_RECORD_VIEW = ["agent", "agent_class", "target", "cancer", "cell_death", "stage", "pmid", "source"]
_SASP_VIEW = [
    "agent",
    "factor",
    "factor_kind",
    "cancer",
    "senescent_cells",
    "role",
    "pmid",
    "source",
]

FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


@kb_app.command("agents")
def agents_command(
    target: Annotated[
        str | None, typer.Option(help="Target gene, alias, fusion or family.")
    ] = None,
    cancer: Annotated[
        str | None, typer.Option(help="OncoTree code or text in the cancer name.")
    ] = None,
    agent_class: Annotated[
        str | None, typer.Option("--class", help="Agent class (see `senox kb classes`).")
    ] = None,
    mechanism: Annotated[str | None, typer.Option(help="Text in the mechanism, e.g. ROS.")] = None,
    stage: Annotated[
        str | None, typer.Option(help="preclinical, clinical, phase, phase II, approved.")
    ] = None,
    agent: Annotated[str | None, typer.Option(help="Any name of one agent.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List agent–target–cancer–PMID records matching every filter given."""
    found = kb.agents(
        target=target,
        cancer=cancer,
        agent_class=agent_class,
        mechanism=mechanism,
        stage=stage,
        agent=agent,
    )
    emit(found, fmt, table_columns=_RECORD_VIEW)


@kb_app.command("show")
def show_command(
    agent: Annotated[str, typer.Argument(help="Any name, synonym or seed spelling of the agent.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Everything the evidence base holds on one agent."""
    card = kb.show(agent)
    if fmt is Format.json:
        payload = {
            "agent": card.agent,
            "synonyms": card.synonyms,
            "kind": card.kind,
            "agent_class": card.agent_class,
            "correction": card.correction,
            "records": card.records.to_dict(orient="records"),
            "sasp": card.sasp.to_dict(orient="records"),
        }
        print_json(payload)
        return
    if fmt is Format.tsv:
        emit(card.records, fmt)
        return
    console = Console()
    name, kind, classes = (safe_markup(v) for v in (card.agent, card.kind, card.agent_class))
    console.print(f"[bold]{name}[/] ({kind}) — {classes}")
    if card.synonyms:
        console.print(f"also: {safe_markup(', '.join(card.synonyms))}")
    if card.correction:
        console.print(f"curator: {safe_markup(card.correction)}", style="italic")
    console.print(f"[bold]{len(card.records)} record(s)[/]")
    for _, record in card.records.iterrows():
        console.print(f"• {_record_line(record)}", highlight=False)
    if not card.sasp.empty:
        print_table(card.sasp[_SASP_VIEW], title="SASP (seed Table 1)")


def _record_line(record: pd.Series) -> str:
    """One record as a line: what it hits, where, how far developed, from where."""
    fields = [
        record["target"] or "no gene target",
        record["cancer"] or "no cancer given",
        record["cell_death"],
        " ".join(filter(None, [record["stage"], record["nct_id"]])),
        f"PMID {record['pmid']}" if record["pmid"] else record["citation"],
        record["source"],
    ]
    line = safe_markup(" | ".join(f for f in fields if f) + f" — {record['mechanism']}")
    return line + (f" [italic]({safe_markup(record['note'])})[/]" if record["note"] else "")


@kb_app.command("search")
def search_command(
    text: Annotated[str, typer.Argument(help="Words to find (all of them, in one field).")],
    limit: Annotated[int, typer.Option(min=1, help="Most results to show.")] = 25,
    fmt: FormatOption = Format.table,
) -> None:
    """Full-text search over names, mechanisms, notes, citations, cancers and SASP text."""
    emit(kb.search(text, limit=limit), fmt)


@kb_app.command("sasp")
def sasp_command(
    inducer: Annotated[str | None, typer.Option(help="Inducing agent (any name).")] = None,
    factor: Annotated[
        str | None, typer.Option(help="SASP factor: symbol or protein name (IL-8).")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """SASP factors secreted after therapy (seed Table 1), by inducer and factor."""
    emit(kb.sasp(inducer=inducer, factor=factor), fmt, table_columns=_SASP_VIEW)


@kb_app.command("classes")
def classes_command(fmt: FormatOption = Format.table) -> None:
    """The controlled vocabulary of agent classes."""
    emit(kb.load_evidence().curated["vocab_agent_class"], fmt)


@kb_app.command("cancers")
def cancers_command(fmt: FormatOption = Format.table) -> None:
    """The cancer-type vocabulary (OncoTree codes and senox extensions)."""
    emit(kb.load_evidence().cancers, fmt)


@kb_app.command("info")
def info_command(fmt: FormatOption = Format.table) -> None:
    """Summarise the evidence base: sizes, seed coverage, classes, provenance."""
    summary = kb.info()
    if fmt is not Format.table:
        print_json(summary)
        return
    console = Console()
    console.print("[bold]senox evidence base[/] (curated from the seed review; `senox kb --help`)")
    sizes = (
        f"{summary['agents']} agents, {summary['records']} records, {summary['pmids']} PMIDs, "
        f"{summary['sasp_rows']} SASP factor rows"
    )
    console.print(sizes)
    seed_rows = summary["seed_rows"]
    assert isinstance(seed_rows, dict)
    console.print("seed coverage: " + ", ".join(f"{k}: {v} rows" for k, v in seed_rows.items()))
    per_class = summary["agents_per_class"]
    assert isinstance(per_class, dict)
    print_table(pd.DataFrame({"agent_class": list(per_class), "agents": list(per_class.values())}))
    if summary["user_db"]:
        console.print(f"user additions: {safe_markup(summary['user_db'])}")


@kb_app.command("export")
def export_command(
    out: Annotated[Path, typer.Option(help="Folder to create with TSV and JSON tables.")],
    force: Annotated[bool, typer.Option(help="Replace the folder if it exists.")] = False,
) -> None:
    """Write agents, records, SASP rows and cancer types as TSV and JSON."""
    written = kb.export(out, force=force)
    typer.echo(f"wrote {len(written)} files to {out}")


@kb_app.command("lint")
def lint_command(
    seed: Annotated[
        Path | None, typer.Option(help="The seed review's text file: also check traceability.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option(help="Check a user TSV instead of the curated data.")
    ] = None,
) -> None:
    """Check curated data (or a user file): vocabularies, symbols, PMIDs, duplicates, sources."""
    if file is not None:
        issues = kb.check_user_file(file, kb.load_evidence())[2]
        checked = f"{file}"
    else:
        report = kb.lint(seed=seed)
        issues = report.issues
        checked = ", ".join(f"{n} {what}" for what, n in report.checked.items())
    for issue in issues:
        typer.echo(visible(issue), err=True)
    if issues:
        msg = f"{len(issues)} problem(s) found in {checked}"
        raise EvidenceDataError(msg)
    typer.echo(f"ok: {checked}")


@kb_app.command("add")
def add_command(
    file: Annotated[
        Path, typer.Option(help="TSV of records (columns: see docs/guide.md, 'Extending it').")
    ],
) -> None:
    """Validate a TSV of records and add it to your user database (never the shipped one)."""
    count = kb.add(file)
    typer.echo(f"added {count} record(s) from {file} to {kb.user_db_path()}")
