"""The model's documentation page, written from the model file so that the two cannot drift."""

from __future__ import annotations

from typing import TYPE_CHECKING

from senox.model._strategy import ACTIONS, CLASS_ACTIONS, TARGET_ACTIONS

if TYPE_CHECKING:
    import pandas as pd

    from senox.model._spec import ModelSpec


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _equations(spec: ModelSpec) -> list[str]:
    lines = ["```text"]
    for species in spec.species:
        terms = []
        for reaction in spec.reactions:
            coefficient = reaction.change.get(species.name)
            if coefficient is None:
                continue
            sign = "-" if coefficient < 0 else "+"
            factor = "" if abs(coefficient) == 1 else f"{abs(coefficient):g}*"
            terms.append(f"{sign} {factor}{reaction.name}")
        rhs = " ".join(terms).removeprefix("+ ") if terms else "0"
        lines.append(f"d{species.name}/dt = {rhs}")
    lines += ["```", ""]
    return lines


def equations_section(spec: ModelSpec) -> str:
    """Species, equations, derived quantities, reaction rates and parameters, as Markdown."""
    out = ["## Species", ""]
    out += _table(
        ["species", "initial", "unit", "meaning"],
        [[s.name, f"{s.initial:g}", s.unit, s.description] for s in spec.species],
    )
    out += [
        "## Equations",
        "",
        "Each species changes by the fluxes of the reactions that name it (below):",
        "",
    ]
    out += _equations(spec)
    out += ["### Derived quantities (evaluated in this order)", ""]
    out += _table(
        ["name", "expression", "meaning"],
        [[a.name, f"`{a.expression}`", a.description] for a in spec.assignments],
    )
    out += ["### Reactions (fluxes)", ""]
    out += _table(
        ["reaction", "flux", "changes", "meaning"],
        [
            [
                r.name,
                f"`{r.rate}`",
                ", ".join(f"{k} {v:+g}" for k, v in r.change.items()),
                r.description,
            ]
            for r in spec.reactions
        ],
    )
    out += [
        "## Parameters",
        "",
        "Virtual cohorts draw each parameter log-uniformly from its range (uniformly where the "
        "range includes 0).",
        "",
    ]
    out += _table(
        ["parameter", "default", "unit", "range", "meaning", "source or rationale"],
        [
            [p.name, f"{p.value:g}", p.unit, f"{p.low:g}–{p.high:g}", p.description, p.source]
            for p in spec.parameters
        ],
    )
    return "\n".join(out)


def actions_section() -> str:
    """How evidence-base classes and targets map to model actions and exposures."""
    out = [
        "## From agents to model actions",
        "",
        "A strategy names agents as the evidence base knows them; each resolves to model "
        "actions through its class, or through a target the model represents explicitly "
        "(which replaces the generic chemotherapy action). Each action doses one exposure "
        "species, which is cleared first-order and acts through an Emax term "
        "`e = C / (EC50 + C)`.",
        "",
    ]
    out += _table(
        ["evidence-base class or target", "model action", "exposure species"],
        [[k, v, ACTIONS[v]] for k, v in CLASS_ACTIONS.items()]
        + [[f"target {k}", v, ACTIONS[v]] for k, v in TARGET_ACTIONS.items()],
    )
    return "\n".join(out)


def claims_section(table: pd.DataFrame) -> str:
    """The claims table: claim, seed section, the model's check, default result, cohort share."""
    out = ["## The seed's claims as scenarios", ""]
    header = ["claim", "seed", "what the model checks", "holds (defaults)"]
    if "cohort_share" in table:
        header.append(f"share of a {int(table['cohort'].iloc[0])}-patient cohort")
    rows = []
    for row in table.itertuples():
        cells = [
            f"({row.claim}) {row.text}",
            str(row.section),
            str(row.check),
            "yes" if row.holds_default else "**no**",
        ]
        if "cohort_share" in table:
            cells.append(f"{row.cohort_share:.0%}")
        rows.append(cells)
    out += _table(header, rows)
    return "\n".join(out)
