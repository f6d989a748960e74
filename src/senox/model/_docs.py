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


def calibration_section(spec: ModelSpec, intervals: dict[str, pd.DataFrame]) -> str:
    """Which parameters data have fitted: per calibration set, best value and 95 % interval.

    ``intervals`` maps a calibration set to its ``profile_intervals.tsv`` table (``parameter``,
    ``best``, ``low_95``, ``high_95``, ``identifiable``), as ``validation/calibrate_model.py``
    writes it. Parameters no set fitted keep the basis given in the parameter table.
    """
    fitted = {
        name: {str(r.parameter): r for r in table.itertuples(index=False)}
        for name, table in intervals.items()
    }
    names = [p.name for p in spec.parameters if any(p.name in f for f in fitted.values())]
    pinned = [n for n in names if any(bool(f[n].identifiable) for f in fitted.values() if n in f)]
    out = [
        "## Parameters fitted to data",
        "",
        f"{len(names)} of the {len(spec.parameters)} parameters were fitted to at least one "
        "real time course (`validation/calibrate_model.py`, "
        "[model calibration](model-calibration.md)); "
        f"the profiles bound {len(pinned)} of them on both sides within the search bounds "
        f"({', '.join(pinned) or 'none'}), though coarsely: the intervals below come from two "
        "profile points per side and many span one to two decades. Every other parameter "
        "keeps the basis given in the parameter table below: a cited source, the seed's "
        "qualitative statement with a chosen strength, or a stated rationale. Fitted values "
        "describe the tumour model of that data set, not a patient; `senox run` still draws "
        "its virtual patients from the plausible ranges narrowed by the measured programs.",
        "",
    ]

    def cell(name: str, set_name: str) -> str:
        row = fitted[set_name].get(name)
        if row is None:
            return "—"
        mark = "" if bool(row.identifiable) else " (not pinned)"
        return f"{row.best:.3g} [{row.low_95:.3g}, {row.high_95:.3g}]{mark}"

    out += _table(
        ["parameter", "default", *intervals],
        [
            [n, f"{spec.parameters[spec.parameter_names.index(n)].value:g}"]
            + [cell(n, s) for s in intervals]
            for n in names
        ],
    )
    return "\n".join(out)
