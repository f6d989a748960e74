"""Which parameters decide each seed claim, and which claims hold by construction (issue 15, item 4).

For a virtual cohort drawn from the plausible ranges (and, with ``--ensemble FILE``, for a
parameter ensemble from a calibration: a TSV with one column per model parameter it sets), each
claim's share of patients in whom it holds, whether it holds in all of them (by construction of
the model), and the parameters with the strongest partial rank correlation with the claim's
outcome (``senox.model._sensitivity.claim_sensitivity``).

Run: ``cd validation && ../.venv/bin/python claim_sensitivity.py [--cohort 2000]``; writes
``results/claim_sensitivity.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _report import markdown_table, write_results
from senox.model import CLAIMS, load_model
from senox.model._sensitivity import claim_sensitivity

HERE = Path(__file__).resolve().parent
#: Parameters listed per claim: the strongest, among those with q < 0.05.
TOP = 4
FDR = 0.05


def _ensemble(path: Path, cohort: int, seed: int) -> np.ndarray:
    """A parameter matrix: the default values, replaced column by column from the TSV."""
    spec = load_model("redox_senescence")
    table = pd.read_csv(path, sep="\t")
    unknown = sorted(set(table.columns) - set(spec.parameter_names))
    if unknown:
        msg = f"{path}: columns {', '.join(unknown)} are not model parameters"
        raise SystemExit(msg)
    rows = table.sample(n=min(cohort, len(table)), random_state=seed)
    matrix = np.tile(spec.parameter_values(), (len(rows), 1))
    for name in table.columns:
        matrix[:, spec.parameter_names.index(name)] = rows[name].to_numpy(dtype=float)
    return matrix


def _top(group: pd.DataFrame) -> str:
    strong = group[group["q_value"] < FDR].head(TOP)
    if strong.empty:
        return "none at q < 0.05"
    return ", ".join(
        f"{p} {r:+.2f}" for p, r in zip(strong["parameter"], strong["prcc"], strict=True)
    )


def _rows(table: pd.DataFrame) -> list[list[str]]:
    rows = []
    for claim in CLAIMS:
        group = table[table["claim"] == claim.key]
        share = float(group["share"].iloc[0])
        construction = "**yes**" if bool(group["by_construction"].iloc[0]) else "no"
        rows.append([claim.key, claim.text, f"{share:.3f}", construction, _top(group)])
    return rows


def main() -> None:
    """Compute the table and write it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ensemble", type=Path, default=None)
    args = parser.parse_args()
    start = time.perf_counter()
    parameters = None if args.ensemble is None else _ensemble(args.ensemble, args.cohort, args.seed)
    table = claim_sensitivity(cohort=args.cohort, seed=args.seed, parameters=parameters)
    source = (
        f"{len(parameters)} members of `{args.ensemble.name}`"
        if parameters is not None
        else f"{args.cohort} virtual patients drawn from the plausible ranges (seed {args.seed})"
    )
    header = ["claim", "text", "share holding", "by construction", f"strongest PRCC (q < {FDR})"]
    text = "\n".join(
        [
            "# Seed claims: how often they hold, and which parameters decide them",
            "",
            f"Written by `validation/claim_sensitivity.py`, {time.strftime('%Y-%m-%d')}, "
            f"{time.perf_counter() - start:.0f} s. Cohort: {source}. PRCC: partial rank "
            "correlation of each varying parameter with the claim's outcome per patient "
            "(1 holds, 0 fails), controlling for all other varying parameters (Marino et al. "
            "2008); q: Benjamini–Hochberg over every claim × parameter. *By construction*: the "
            "claim holds in every patient, so no parameter within its range can make it fail.",
            "",
            markdown_table(header, _rows(table)),
            "",
        ]
    )
    suffix = "" if args.ensemble is None else f"_{args.ensemble.stem}"
    write_results(
        HERE / "results" / f"claim_sensitivity{suffix}.md",
        text,
        {"source": source, "table": table.to_dict(orient="records")},
    )


if __name__ == "__main__":
    main()
