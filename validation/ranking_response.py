"""Does the strategy ranking read the data? Its change between two real inputs against its noise.

Issue 14, item 4: the ranking's change between clearly different inputs must exceed its change
between cohort redraws of one input. Written before the first run of this script:

- Inputs: Chan 2024 (mouse hepatocytes, KRAS-induced senescence, reference ``condition=mV``) and
  PC9 erlotinib persisters (human lung cancer cells, reference ``condition=control``): different
  species, tissue, therapy and state composition.
- Each input goes through ``senox run``'s own steps (scores, states, vulnerabilities, and the
  simulation step: initial state from the treated cells' states, parameter windows from their
  programs) for cohort seeds 0–4 at ``senox run``'s default cohort size. Only the shipped
  strategies are compared (the vulnerability-made ``chemo+AGENT`` strategies differ by input).
- Distance between two rankings: the normalised Kendall distance (1 − τ) / 2 over the shipped
  strategies' positions (0: same order; 1: reversed).
- Noise: distances between seeds of one input (10 pairs per input). Data: distances between the
  inputs at the same seed (5 pairs). The data effect counts as exceeding the noise when the
  median data distance is above the largest noise distance.
- The same, with the measured programs not used (initial state from the data, full parameter
  ranges): what the parameter mapping adds over the state composition alone.

Run: ``cd validation && ../.venv/bin/python ranking_response.py`` (a few minutes); writes
``results/ranking_response_cohort<N>.md`` and ``.json`` (``--cohort N``: virtual patients
per strategy, default ``senox run``'s).
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from real_data import DESIGN, LOADERS
from senox.model import builtin_strategies
from senox.pipeline._run import RunOptions, _simulate
from senox.score import score_programs
from senox.states import call_states
from senox.vulnerabilities import find_vulnerabilities

HERE = Path(__file__).resolve().parent
INPUTS = ("chan2024", "pc9_persisters")
SEEDS = range(5)


def _prepared(
    name: str, shared: Path, work: Path, cohort: int
) -> tuple[Any, RunOptions, pd.DataFrame]:
    adata = LOADERS[name](shared, work)
    options = RunOptions(reference=DESIGN[name]["reference"], cohort=cohort)
    score_programs(adata)
    call_states(adata, reference=options.reference)
    vulnerabilities = find_vulnerabilities(adata, reference=options.reference)
    return adata, options, vulnerabilities


def _order(adata: Any, options: RunOptions, vulnerabilities: pd.DataFrame) -> list[str]:
    ranked = _simulate(adata, options, vulnerabilities).ranked
    assert ranked is not None
    shipped = set(builtin_strategies())
    return [s for s in ranked["strategy"] if s in shipped]


def distance(a: list[str], b: list[str]) -> float:
    """Normalised Kendall distance between two orders of the same items."""
    tau = kendalltau([a.index(s) for s in a], [b.index(s) for s in a]).statistic
    return float((1 - tau) / 2)


def _orders(
    prepared: dict[str, tuple[Any, RunOptions, pd.DataFrame]], *, use_programs: bool
) -> dict[str, list[list[str]]]:
    orders: dict[str, list[list[str]]] = {}
    for name, (adata, options, vulnerabilities) in prepared.items():
        orders[name] = []
        for seed in SEEDS:
            run = replace(options, seed=seed)
            if not use_programs:
                adata.obsm["senox_zscores"] = adata.obsm["senox_zscores"].iloc[:, :0]
            orders[name].append(_order(adata, run, vulnerabilities))
    return orders


def _figures(orders: dict[str, list[list[str]]]) -> dict[str, Any]:
    noise = [distance(a, b) for runs in orders.values() for a, b in itertools.combinations(runs, 2)]
    first, second = (orders[name] for name in INPUTS)
    data = [distance(a, b) for a, b in zip(first, second, strict=True)]
    return {
        "noise": noise,
        "data": data,
        "noise_median": float(np.median(noise)),
        "noise_max": float(np.max(noise)),
        "data_median": float(np.median(data)),
        "exceeds": bool(np.median(data) > np.max(noise)),
        "orders_seed0": {name: runs[0] for name, runs in orders.items()},
    }


def main() -> None:
    """Both inputs, five seeds, with and without the measured programs; write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=HERE.parents[1] / "shared")
    parser.add_argument("--cohort", type=int, default=RunOptions().cohort)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        prepared = {name: _prepared(name, args.shared, Path(tmp), args.cohort) for name in INPUTS}
        results = {"with programs": _figures(_orders(prepared, use_programs=True))}
        results["states only"] = _figures(_orders(prepared, use_programs=False))
    wall = time.perf_counter() - started
    lines = [
        "# Does the strategy ranking read the data?",
        "",
        f"Written by `validation/ranking_response.py`, {time.strftime('%Y-%m-%d')}, "
        f"{wall:.0f} s. Inputs: {' and '.join(INPUTS)}; {args.cohort} virtual patients, cohort "
        f"seeds {SEEDS.start}–{SEEDS.stop - 1}; shipped strategies only. Distance: normalised Kendall distance "
        "between two rankings (0 = same order, 1 = reversed).",
        "",
        "| model seeded by | noise: seeds of one input, median (max) | data: the two inputs, "
        "median | data above the largest noise |",
        "|---|---|---|---|",
    ]
    for label, r in results.items():
        lines.append(
            f"| {label} | {r['noise_median']:.3f} ({r['noise_max']:.3f}) | "
            f"{r['data_median']:.3f} | {'yes' if r['exceeds'] else 'no'} |"
        )
    lines += ["", "Rankings at seed 0 (with programs):", ""]
    for name, order in results["with programs"]["orders_seed0"].items():
        lines.append(f"- {name}: {', '.join(order)}")
    stem = HERE / "results" / f"ranking_response_cohort{args.cohort}"
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    stem.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
