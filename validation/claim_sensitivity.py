"""Which parameters decide each seed claim, and which claims hold by construction (issue 15, item 4).

For a virtual cohort drawn from the plausible ranges: each claim's share of patients in whom it
holds, whether it holds in all of them (by construction of the model), and the parameters with
the strongest partial rank correlation with the claim's outcome
(``senox.model.claim_sensitivity``). Then the same shares under each calibration of
``validation/calibrate_model.py`` (``results/calibration/<set>/profile_intervals.tsv``): the
fitted parameters drawn log-uniformly within their 95 % profile intervals, every other
parameter from its plausible range as before (the data do not reach it).

Run: ``cd validation && ../.venv/bin/python claim_sensitivity.py [--cohort 2000]``; writes
``results/claim_sensitivity.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from _report import markdown_table, write_results
from senox.model import CLAIMS, claim_sensitivity, evaluate_claims

HERE = Path(__file__).resolve().parent
#: Parameters listed per claim: the strongest, among those with q < 0.05.
TOP = 4
FDR = 0.05


def _intervals(path: Path) -> dict[str, tuple[float, float]]:
    """A calibration's fitted parameters and their 95 % profile intervals."""
    table = pd.read_csv(path, sep="\t")
    return {
        str(row.parameter): (float(row.low_95), float(row.high_95))
        for row in table.itertuples(index=False)
    }


def _top(group: pd.DataFrame) -> str:
    strong = group[group["q_value"] < FDR].head(TOP)
    if strong.empty:
        return "none at q < 0.05"
    return ", ".join(
        f"{p} {r:+.2f}" for p, r in zip(strong["parameter"], strong["prcc"], strict=True)
    )


def _rows(table: pd.DataFrame, calibrated: dict[str, pd.Series]) -> list[list[str]]:
    rows = []
    for claim in CLAIMS:
        group = table[table["claim"] == claim.key]
        share = float(group["share"].iloc[0])
        construction = "**yes**" if bool(group["by_construction"].iloc[0]) else "no"
        fitted = [f"{float(shares[claim.key]):.3f}" for shares in calibrated.values()]
        rows.append([claim.key, claim.text, f"{share:.3f}", *fitted, construction, _top(group)])
    return rows


def _calibrated_shares(cohort: int, seed: int) -> dict[str, pd.Series]:
    """Each claim's share under each calibration found in results/calibration/."""
    shares = {}
    for path in sorted((HERE / "results" / "calibration").glob("*/profile_intervals.tsv")):
        table = evaluate_claims(cohort=cohort, seed=seed, ranges=_intervals(path))
        shares[path.parent.name] = table.set_index("claim")["cohort_share"]
    return shares


def main() -> None:
    """Compute the table and write it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    table = claim_sensitivity(cohort=args.cohort, seed=args.seed)
    calibrated = _calibrated_shares(args.cohort, args.seed)
    source = f"{args.cohort} virtual patients (seed {args.seed})"
    header = [
        "claim",
        "text",
        "share: plausible ranges",
        *(f"share: calibrated on {name}" for name in calibrated),
        "by construction (ranges)",
        f"strongest PRCC, ranges (q < {FDR})",
    ]
    text = "\n".join(
        [
            "# Seed claims: how often they hold, and which parameters decide them",
            "",
            f"Written by `validation/claim_sensitivity.py`, {time.strftime('%Y-%m-%d')}, "
            f"{time.perf_counter() - start:.0f} s. Each cohort: {source}. Calibrated: the parameters "
            "fitted by `validation/calibrate_model.py` on that data set drawn log-uniformly "
            "within their 95 % profile intervals, every other parameter from its plausible "
            "range. PRCC: partial rank "
            "correlation of each varying parameter with the claim's outcome per patient "
            "(1 holds, 0 fails), controlling for all other varying parameters (Marino et al. "
            "2008); q: Benjamini–Hochberg over every claim × parameter. *By construction*: the "
            "claim holds in every patient, so no parameter within its range can make it fail.",
            "",
            markdown_table(header, _rows(table, calibrated)),
            "",
        ]
    )
    write_results(
        HERE / "results" / "claim_sensitivity.md",
        text,
        {
            "source": source,
            "table": table.to_dict(orient="records"),
            "calibrated_shares": {k: v.to_dict() for k, v in calibrated.items()},
        },
    )


if __name__ == "__main__":
    main()
