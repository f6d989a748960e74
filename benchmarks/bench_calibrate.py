"""Known-answer benchmark of `senox model calibrate` on Alkan et al. 2018 (PEtab benchmark collection).

Reads ../shared/data/calibration/alkan2018_petab (BSD-3; Alkan O et al., Sci Signal 2018;11:eaat0229,
doi:10.1126/scisignal.aat0229), and in one run:

1. simulates at the nominal parameters and compares with the collection's simulatedData table
   (max absolute and relative difference, per observable/condition/time);
2. compares senox's NLL at the nominal parameters with libpetab's calculate_llh on the reference
   simulations;
3. times one objective evaluation (59 conditions) with senox and, where pyPESTO is installed, with
   pyPESTO's libroadrunner objective on the same problem (medians of --repeats runs, ratio);
4. runs a seeded multistart from random starts (all 56 estimated parameters) and reports the best
   NLL against the nominal one.

Writes benchmarks/results/bench_calibrate.md (and .json).

    python benchmarks/bench_calibrate.py --starts 2 --max-iter 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import petab.v1 as petab

from senox.model import PetabObjective, calibrate, compare_simulations, read_petab

ROOT = Path(__file__).resolve().parents[1]
ALKAN = ROOT.parent / "shared" / "data" / "calibration" / "alkan2018_petab"
YAML = ALKAN / "Alkan_SciSignal2018.yaml"
RESULTS = ROOT / "benchmarks" / "results"


def known_answer(objective: PetabObjective) -> dict[str, float]:
    """Simulations and NLL at the nominal parameters against the collection's reference."""
    reference = pd.read_csv(ALKAN / "simulatedData_Alkan_SciSignal2018.tsv", sep="\t")
    joined = compare_simulations(objective.simulation_table(objective.x_nominal), reference)
    difference, relative = joined["abs_diff"], joined["rel_diff"]
    problem = read_petab(YAML)
    llh = petab.calculate_llh(
        problem.measurement_df, reference, problem.observable_df, problem.parameter_df
    )
    return {
        "points_compared": len(joined),
        "max_abs_difference": float(difference.max()),
        "max_rel_difference": float(relative.max()),
        "max_rel_difference_values_above_1e-6": float(
            relative[joined["simulation_ref"].abs() > 1e-6].max()
        ),
        "nll_nominal_senox": objective.nll(objective.x_nominal),
        "nll_nominal_libpetab_on_reference": float(-llh),
    }


def median_time(function: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timings(objective: PetabObjective, repeats: int) -> dict[str, object]:
    """One NLL evaluation: senox, and pyPESTO's roadrunner objective where installed."""
    x = objective.x_nominal
    objective.nll(x)  # warm: libroadrunner compiles the model on first use
    out: dict[str, object] = {"senox_nll_s": median_time(lambda: objective.nll(x), repeats)}
    try:
        from pypesto.petab import PetabImporter
    except ImportError as exc:
        out["pypesto"] = f"not installed ({exc})"
        return out
    importer = PetabImporter(read_petab(YAML), simulator_type="roadrunner")
    pypesto_objective = importer.create_problem().objective  # takes the free parameters
    try:
        fval = pypesto_objective(np.asarray(x))
    except RuntimeError as exc:  # libroadrunner inside pyPESTO
        out["pypesto"] = f"failed at the nominal parameters: {' '.join(str(exc).split())[:120]}"
        return out
    out["pypesto_nll_at_nominal"] = float(fval)
    out["pypesto_nll_s"] = median_time(lambda: pypesto_objective(np.asarray(x)), repeats)
    out["ratio_pypesto_over_senox"] = out["pypesto_nll_s"] / out["senox_nll_s"]
    return out


def multistart(starts: int, seed: int, max_iter: int) -> dict[str, object]:
    """Seeded multistart from random starts, all estimated parameters free."""
    problem = read_petab(YAML)
    start = time.perf_counter()
    result = calibrate(problem, starts=starts, seed=seed, max_iter=max_iter)
    return {
        "starts": starts,
        "seed": seed,
        "max_iter": max_iter,
        "estimated_parameters": len(result.objective.x_ids),
        "nll_nominal": result.nll_nominal,
        "nll_best": result.best.nll,
        "nll_per_start": [s.nll for s in result.starts],
        "nll_start_points": [s.nll_start for s in result.starts],
        "evaluations": result.objective.n_evaluations,
        "wall_s": time.perf_counter() - start,
        "best_at_least_as_good_as_nominal": bool(result.best.nll <= result.nll_nominal),
    }


def main() -> None:
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-iter", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    objective = PetabObjective(read_petab(YAML))
    report = {
        "known_answer": known_answer(objective),
        "timing": timings(objective, args.repeats),
        "multistart": multistart(args.starts, args.seed, args.max_iter),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_calibrate.json").write_text(json.dumps(report, indent=1) + "\n")
    lines = [
        "# Calibration benchmark: Alkan et al. 2018 (PEtab benchmark collection)",
        "",
        f"Command: `python benchmarks/bench_calibrate.py --starts {args.starts} --seed {args.seed} "
        f"--max-iter {args.max_iter} --repeats {args.repeats}`",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    for section, values in report.items():
        for key, value in values.items():
            shown = f"{value:.6g}" if isinstance(value, float) else value
            if isinstance(value, list):
                shown = ", ".join(f"{v:.6g}" for v in value)
            lines.append(f"| {section}: {key} | {shown} |")
    (RESULTS / "bench_calibrate.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
