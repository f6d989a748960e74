"""The model's documentation page, written from the model file so that the two cannot drift."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from senox._errors import InputError
from senox.model._spec import BASES
from senox.model._strategy import ACTIONS, CLASS_ACTIONS, TARGET_ACTIONS

if TYPE_CHECKING:
    from pathlib import Path

    from senox.model._spec import ModelSpec, Parameter

#: Fields of ``validation/results/claim_sensitivity.json`` the claims table reads.
SENSITIVITY_FIELDS = ("source", "table", "calibrated_shares")


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


def read_calibrations(folder: Path) -> dict[str, pd.DataFrame]:
    """Each calibration set's ``profile_intervals.tsv`` under ``folder``, by set; ``{}`` if none.

    ``validation/calibrate_model.py`` writes one folder per data set, each with a table of the
    fitted parameters (``parameter``, ``best``, ``low_95``, ``high_95``, ``identifiable``).
    """
    return {
        path.parent.name: pd.read_csv(path, sep="\t")
        for path in sorted(folder.glob("*/profile_intervals.tsv"))
    }


@dataclass(frozen=True)
class ClaimSensitivity:
    """Claim shares from ``validation/claim_sensitivity.py``: plausible ranges and calibrations."""

    source: str
    plausible: dict[str, float]
    by_construction: dict[str, bool]
    calibrated: dict[str, dict[str, float]]


def read_claim_sensitivity(path: Path) -> ClaimSensitivity | None:
    """``validation/results/claim_sensitivity.json``, or ``None`` where it was not written."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    missing = [f for f in SENSITIVITY_FIELDS if not isinstance(data, dict) or f not in data]
    if missing:
        msg = (
            f"{path}: field(s) {', '.join(missing)} missing; rewrite it with "
            "validation/claim_sensitivity.py"
        )
        raise InputError(msg)
    rows = {str(row["claim"]): row for row in data["table"]}  # one row per claim and parameter
    return ClaimSensitivity(
        source=str(data["source"]),
        plausible={claim: float(row["share"]) for claim, row in rows.items()},
        by_construction={claim: bool(row["by_construction"]) for claim, row in rows.items()},
        calibrated={
            name: {str(c): float(v) for c, v in shares.items()}
            for name, shares in data["calibrated_shares"].items()
        },
    )


def _fits(intervals: dict[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    """Best fitted value of each parameter, per calibration set."""
    return {
        name: {str(p): float(b) for p, b in zip(table["parameter"], table["best"], strict=True)}
        for name, table in intervals.items()
    }


def _basis_cell(parameter: Parameter, fits: dict[str, dict[str, float]]) -> str:
    own = parameter.basis or "not stated"
    sets = [name for name, best in fits.items() if parameter.name in best]
    if not sets:
        return own
    values = sorted(fits[name][parameter.name] for name in sets)
    span = f"{values[0]:.3g}" if len(values) == 1 else f"{values[0]:.3g}–{values[-1]:.3g}"
    return f"fitted on {', '.join(sets)} (best {span}); default: {own}"


def basis_summary(spec: ModelSpec, intervals: dict[str, pd.DataFrame]) -> str:
    """One line: how many defaults rest on each basis, and how many data have fitted."""
    counts = {basis: sum(p.basis == basis for p in spec.parameters) for basis in BASES}
    parts = [f"{n} {basis}" for basis, n in counts.items()]
    unset = len(spec.parameters) - sum(counts.values())
    if unset:
        parts.append(f"{unset} not stated")
    fitted = {name for best in _fits(intervals).values() for name in best}
    n_fitted = sum(p.name in fitted for p in spec.parameters)
    return (
        f"Basis of the {len(spec.parameters)} defaults: {', '.join(parts)}; "
        f"{n_fitted} fitted to at least one data set."
    )


def parameters_section(spec: ModelSpec, intervals: dict[str, pd.DataFrame]) -> str:
    """The parameter table, with each parameter's basis and the calibrations that fitted it."""
    out = [
        "## Parameters",
        "",
        "Virtual cohorts draw each parameter log-uniformly from its range (uniformly where the "
        "range includes 0).",
        "",
        "Basis of each default: *measured* (the value or its range comes from a cited number), "
        "*seed* (the seed review states the effect qualitatively; the strength was chosen), "
        "*assumed* (a stated rationale only). *Fitted on* names the calibrations "
        "(`validation/results/calibration`) that fitted the parameter, with the range of their "
        "best values; the default itself keeps its basis.",
        "",
        basis_summary(spec, intervals),
        "",
    ]
    fits = _fits(intervals)
    out += _table(
        ["parameter", "default", "unit", "range", "basis", "meaning", "source or rationale"],
        [
            [
                p.name,
                f"{p.value:g}",
                p.unit,
                f"{p.low:g}–{p.high:g}",
                _basis_cell(p, fits),
                p.description,
                p.source,
            ]
            for p in spec.parameters
        ],
    )
    return "\n".join(out)


def equations_section(spec: ModelSpec) -> str:
    """Species, equations, derived quantities and reaction rates, as Markdown."""
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


def calibrated_claim_cells(sensitivity: ClaimSensitivity, claim: str) -> list[str]:
    """A claim's shares (plausible ranges, then each calibration) and its by-construction mark.

    A claim the sensitivity run did not include gets "—" throughout.
    """
    if claim not in sensitivity.plausible:
        return ["—"] * (len(sensitivity.calibrated) + 2)
    shares = [sensitivity.plausible[claim]]
    shares += [s.get(claim, float("nan")) for s in sensitivity.calibrated.values()]
    mark = "**yes**" if sensitivity.by_construction[claim] else "no"
    return ["—" if math.isnan(x) else f"{x:.1%}" for x in shares] + [mark]


def claims_provenance(sensitivity: ClaimSensitivity | None) -> str:
    """Where the calibrated-ensemble columns come from, or why they are missing."""
    if sensitivity is None:
        return (
            "Shares under the calibrated ensembles are not shown: "
            "`validation/results/claim_sensitivity.json` is absent (run "
            "`validation/claim_sensitivity.py`)."
        )
    return (
        "† From `validation/results/claim_sensitivity.json` (`validation/claim_sensitivity.py`, "
        f"{sensitivity.source}): *plausible ranges* draws every parameter from its range; "
        "*calibrated on* a data set draws the parameters fitted to it log-uniformly within "
        "their 95 % profile intervals and every other parameter from its range. *By "
        "construction*: the claim held in every patient of the plausible-range cohort, so no "
        "parameter within its range makes it fail."
    )


def claims_section(table: pd.DataFrame, sensitivity: ClaimSensitivity | None = None) -> str:
    """The claims table: claim, seed section, the model's check, default result, cohort shares.

    With ``sensitivity`` (``claim_sensitivity.json``), each claim's share under the plausible
    ranges and under each calibrated ensemble, and whether it holds by construction.
    """
    out = ["## The seed's claims as scenarios", ""]
    header = ["claim", "seed", "what the model checks", "holds (defaults)"]
    if "cohort_share" in table:
        header.append(f"share of a {int(table['cohort'].iloc[0])}-patient cohort")
    if sensitivity is not None:
        header += [
            "share, plausible ranges †",
            *(f"share, calibrated on {s} †" for s in sensitivity.calibrated),
            "by construction †",
        ]
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
        if sensitivity is not None:
            cells += calibrated_claim_cells(sensitivity, str(row.claim))
        rows.append(cells)
    out += _table(header, rows)
    out += [claims_provenance(sensitivity), ""]
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
