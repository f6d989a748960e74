"""``senox simulate`` and ``senox strategies``: therapy strategies on senox's own model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from senox._dask import check_address
from senox.cli._inputs import ForceOpt
from senox.cli._output import Format, emit, print_table
from senox.io import check_outputs, output_folder

strategies_app = typer.Typer(
    help="Therapy strategies: doses of agents over time, resolved through the evidence base.",
    no_args_is_help=True,
)


@strategies_app.command("list")
def list_command(fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """List the shipped strategies."""
    from senox.model import builtin_strategies, load_strategy

    rows = []
    for name in builtin_strategies():
        strategy = load_strategy(name)
        agents = sorted({rule.agent for rule in strategy.rules})
        rows.append(
            {
                "strategy": name,
                "agents": ", ".join(agents) or "none",
                "description": strategy.description,
            }
        )
    emit(pd.DataFrame(rows), fmt)


@strategies_app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="A shipped strategy or a strategy TOML file.")],
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Show a strategy's doses: agent, evidence-base class, model action and days."""
    from senox.model import ACTIONS, load_strategy

    strategy = load_strategy(name)
    rows = [
        {
            "agent": r.agent,
            "class": r.agent_class,
            "action": ", ".join(r.actions),
            "exposure": ", ".join(ACTIONS[a] for a in r.actions),
            "days": _days(r.times()),
            "amount": r.amount,
        }
        for r in strategy.rules
    ]
    frame = pd.DataFrame(rows, columns=["agent", "class", "action", "exposure", "days", "amount"])
    if fmt is Format.table:
        typer.echo(f"{strategy.name}: {strategy.description}\nsource: {strategy.source}")
    emit(frame, fmt)


_SHORT_NAMES = {
    "strategy": "strategy",
    "rank": "tier",
    "restricted_mean_time_to_relapse_days": "days free",
    "relapse_free_fraction": "free at end",
    "median_toxicity": "toxicity",
    "median_escaped_fraction": "escaped",
    "tier_stability": "tier kept",
}


def _days(times: list[float]) -> str:
    if len(times) == 1:
        return f"{times[0]:g}"
    step = times[1] - times[0]
    return f"{times[0]:g}–{times[-1]:g} every {step:g} ({len(times)} doses)"


def simulate_command(
    out: Annotated[
        Path,
        typer.Option(help="Folder for trajectories.tsv, summary.tsv and relapse_free.tsv."),
    ],
    model: Annotated[
        str, typer.Option(help="redox_senescence (shipped) or a model TOML file.")
    ] = "redox_senescence",
    strategy: Annotated[
        list[str] | None,
        typer.Option(help="Strategy name or TOML file; repeat for several (default: all shipped)."),
    ] = None,
    cohort: Annotated[
        int, typer.Option(min=0, help="Virtual patients drawn from parameter ranges (0: defaults).")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the virtual cohort.")] = 0,
    days: Annotated[float, typer.Option(help="Horizon in days.")] = 365.0,
    step: Annotated[
        float | None,
        typer.Option(help="Days between trajectory rows (default 1; 7 with a cohort)."),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="dask.distributed scheduler address for the cohort.")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Simulate therapy strategies (for one patient or a virtual cohort) and rank them."""
    from senox.io import tsv_text
    from senox.model import (
        builtin_strategies,
        dose_equivalents,
        load_model,
        load_strategies,
        rank_strategies,
        relapse_free,
        simulate_strategies,
    )

    spec = load_model(model)
    strategies = load_strategies(strategy or builtin_strategies())
    inputs = [model, *(strategy or [])]
    check_outputs([out], kind="folder", force=force, inputs=inputs)
    if scheduler is not None:
        check_address(scheduler)
    result = simulate_strategies(
        strategies,
        model=spec,
        cohort=cohort,
        seed=seed,
        days=days,
        output_step=step if step is not None else (7.0 if cohort else 1.0),
        scheduler=scheduler,
        progress=True,
    )
    with output_folder(out, force=force, inputs=inputs) as tmp:
        tables = {
            "trajectories.tsv": result.trajectories,
            "summary.tsv": result.summary,
            "relapse_free.tsv": relapse_free(result.summary, result.days),
        }
        for name, table in tables.items():
            (tmp / name).write_text(tsv_text(table), encoding="utf-8", newline="")
    ranked = rank_strategies(
        result.summary, days=result.days, dose_equivalents=dose_equivalents(strategies), seed=seed
    ).round(3)
    shown = ranked.rename(columns=_SHORT_NAMES)[list(_SHORT_NAMES.values())]
    print_table(
        shown,
        title="Pareto tiers: benefit (mean relapse-free days) against harm (toxicity, escaped "
        "fraction); one tier = tied",
    )
    typer.echo(f"wrote trajectories.tsv, summary.tsv and relapse_free.tsv to {out}/", err=True)
