"""Calibrate senox's model to the shared time courses; predict held-back arms.

For each data set (src/senox/model/_fit_data.py builds its PEtab problem): fit the arms that are
not held out by seeded multistart L-BFGS-B (senox.model.calibrate), profile every free
parameter (one process per profile, ``--jobs`` at a time), then simulate every arm at the best
fit and compare the held-out arms' error with the fitted arms' error (root mean square of
log(simulated) - log(measured)).

Writes validation/results/calibration/<set>/ (problem/, parameters.tsv, simulation.tsv,
waterfall.*, profiles.*, residuals.tsv, arms.tsv, fit.png), validation/results/calibration.md,
and copies the fit and profile figures to docs/_static/calibration/.

    python validation/calibrate_model.py [--starts 6] [--profile-points 2] [--max-iter 60]
        [--jobs 4] [--sets NAME ...] [--summary-only]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from senox.model import PetabObjective, calibrate, load_model, read_petab, write_calibration
from senox.model._calibrate import CHI2_95_HALF, profile
from senox.model._fit_data import (
    FitData,
    maeve_palbo_temo,
    meyer_h1299_dox,
    tumr_melanoma_bso,
    write_problem,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SENOX_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data" / "calibration"
OUT = ROOT / "validation" / "results" / "calibration"
SUMMARY = ROOT / "validation" / "results" / "calibration.md"
FIGURES = ROOT / "docs" / "_static" / "calibration"

BUILDERS = {
    "maeve_palbo_temo": lambda: maeve_palbo_temo(
        DATA / "maeve_pdx_palbo_temo" / "palb_temo_01.csv"
    ),
    "tumr_melanoma_bso": lambda: tumr_melanoma_bso(DATA / "tumr_melanoma_bso" / "melanoma1.csv"),
    "meyer_h1299_dox": lambda: meyer_h1299_dox(DATA / "meyer_h1299_dox_incucyte"),
}


def profile_intervals(profiles: pd.DataFrame, best: pd.Series) -> pd.DataFrame:
    """Per profiled parameter: best value, and the grid points that bracket its 95 % interval.

    ``profiles`` is ``profiles.tsv`` (parameter, value, nll, threshold_95), ``best`` the fitted
    values. The interval lies within [``low_95``, ``high_95``]: the nearest grid points on each
    side whose NLL is above the threshold, or the bound where none is (the profile is then flat
    within the threshold on that side: not identifiable).
    """
    rows = []
    for name, p in profiles.groupby("parameter", sort=False):
        p = p.sort_values("value")
        above = p["nll"].to_numpy() > p["threshold_95"].to_numpy()
        values = p["value"].to_numpy()
        value = float(str(best[name]))
        below_out = values[(values < value) & above]
        above_out = values[(values > value) & above]
        rows.append(
            {
                "parameter": name,
                "best": value,
                "low_95": float(below_out.max()) if below_out.size else float(values.min()),
                "high_95": float(above_out.min()) if above_out.size else float(values.max()),
                "lower_bound_reached": not below_out.size,
                "upper_bound_reached": not above_out.size,
                "identifiable": bool(below_out.size and above_out.size),
            }
        )
    return pd.DataFrame(rows)


def arm_errors(objective: PetabObjective, x: np.ndarray, held_out: tuple[str, ...]) -> pd.DataFrame:
    """Residual rows of every arm at ``x``: log residual, held-out flag."""
    table = objective.simulation_table(x)
    table["measurement"] = objective.measured
    table["log_residual"] = np.log(table["simulation"]) - np.log(table["measurement"])
    table["held_out"] = table["simulationConditionId"].isin(held_out)
    return table


def dense_curves(data: FitData, x: np.ndarray) -> pd.DataFrame:
    """The fitted observable of every arm on a daily (in vitro: 3-hourly) grid."""
    rows = data.measurements.groupby("simulationConditionId", sort=False)
    frames = []
    for arm, group in rows:
        end = float(group["time"].max())
        grid = np.linspace(0.0, end, 121)
        frames.append(
            pd.DataFrame(
                {
                    "observableId": "volume",
                    "simulationConditionId": arm,
                    "time": grid,
                    "measurement": 1.0,
                    "observableParameters": group["observableParameters"].iloc[0],
                }
            )
        )
    dense = dataclasses.replace(data, measurements=pd.concat(frames, ignore_index=True))
    with tempfile.TemporaryDirectory() as folder:
        problem = read_petab(write_problem(dense.problem(), Path(folder)), lint=False)
    return PetabObjective(problem).simulation_table(x)


def plot_fit(data: FitData, residuals: pd.DataFrame, curves: pd.DataFrame, path: Path) -> None:
    """One panel per arm: measured volumes (points) and the fitted / predicted curve."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    arms = data.arms
    ncol = 4
    nrow = -(-len(arms) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.6 * nrow), squeeze=False)
    for ax, arm in zip(axes.flat, arms, strict=False):
        points = residuals[residuals["simulationConditionId"] == arm]
        curve = curves[curves["simulationConditionId"] == arm]
        held = arm in data.held_out
        ax.plot(points["time"], points["measurement"], ".", color="0.45", ms=3)
        ax.plot(curve["time"], curve["simulation"], "-", color="C3" if held else "C0", lw=2)
        ax.set_yscale("log")
        ax.set_title(f"{arm} ({'predicted' if held else 'fitted'})", fontsize=9)
        ax.set_xlabel("day")
    for ax in axes.flat[len(arms) :]:
        ax.axis("off")
    fig.suptitle(f"{data.name}: data (points) and model (blue fitted, red held-out prediction)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_set(name: str, args: argparse.Namespace) -> None:
    """Fit one data set's fitted arms, profile, predict the held-out arms; write its folder."""
    data = BUILDERS[name]()
    folder = OUT / name
    fit_arms = [a for a in data.arms if a not in data.held_out]
    problem = read_petab(write_problem(data.problem(fit_arms), folder / "problem"))
    write_problem(data.problem(), folder / "problem_all_arms")
    free = [p for p in data.estimate if p != "sd_volume"]
    started = time.perf_counter()
    calibration = calibrate(problem, starts=args.starts, seed=args.seed, max_iter=args.max_iter)
    task = partial(
        profile,
        calibration.objective,
        calibration.best.x,
        points=args.profile_points,
        max_iter=args.max_iter,
    )
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        calibration.profiles = list(pool.map(task, free))
    seconds = time.perf_counter() - started
    write_calibration(calibration, folder)
    everything = PetabObjective(read_petab(folder / "problem_all_arms" / "problem.yaml"))
    residuals = arm_errors(everything, calibration.best.x, data.held_out)
    residuals.to_csv(folder / "residuals.tsv", sep="\t", index=False)
    arms = (
        residuals.groupby("simulationConditionId", sort=False)
        .agg(
            rows=("log_residual", "size"),
            rms_log_error=("log_residual", lambda r: float(np.sqrt(np.mean(r**2)))),
            mean_log_error=("log_residual", "mean"),
            held_out=("held_out", "first"),
        )
        .reset_index()
    )
    arms.to_csv(folder / "arms.tsv", sep="\t", index=False)
    plot_fit(data, residuals, dense_curves(data, calibration.best.x), folder / "fit.png")

    def rms(mask: pd.Series) -> float:
        return float(np.sqrt(np.mean(residuals.loc[mask, "log_residual"] ** 2)))

    scalars = {
        "best_nll": calibration.best.nll,
        "near_best": sum(
            1 for s in calibration.starts if s.nll <= calibration.best.nll + CHI2_95_HALF
        ),
        "starts": len(calibration.starts),
        "seconds": seconds,
        "evaluations": calibration.objective.n_evaluations,
        "fit_rms": rms(~residuals["held_out"]),
        "held_rms": rms(residuals["held_out"]),
        "n_fit_points": int((~residuals["held_out"]).sum()),
        "n_points": len(residuals),
        "sd_volume": float(str(calibration.parameter_table().loc["sd_volume", "nominalValue"])),
    }
    (folder / "scalars.json").write_text(json.dumps(scalars, indent=1), encoding="utf-8")


def summary(args: argparse.Namespace) -> str:
    """The summary page, from the result folders of every data set that has one."""
    lines = [
        "# senox's model calibrated to real time courses",
        "",
        "Written by `python validation/calibrate_model.py "
        f"--starts {args.starts} --profile-points {args.profile_points} --max-iter {args.max_iter}"
        f" --seed {args.seed}` from the data in shared/data/calibration (not bundled). Problems: "
        "src/senox/model/_fit_data.py; method and choices: docs/model-calibration.md.",
        "",
        "Errors are root mean squares of log(simulated) - log(measured) over every row "
        "(animal x day, or well image x time) of the arms concerned; 0.1 is about 10 %.",
        "",
        "| data set | arms fitted + held out | points (fitted / all) | free parameters | best NLL |"
        " starts within 1.92 of best | fit error (fitted arms) | prediction error (held-out arms) |"
        " time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    done = [name for name in BUILDERS if (OUT / name / "scalars.json").is_file()]
    details: list[str] = []
    for name in done:
        data = BUILDERS[name]()
        folder = OUT / name
        s = json.loads((folder / "scalars.json").read_text(encoding="utf-8"))
        lines.append(
            f"| {name} | {len(data.arms) - len(data.held_out)} + {len(data.held_out)} "
            f"({', '.join(data.held_out)} held out) | {s['n_fit_points']} / {s['n_points']} | "
            f"{len(data.estimate)} | {s['best_nll']:.1f} | {s['near_best']} of {s['starts']} | "
            f"{s['fit_rms']:.3f} | {s['held_rms']:.3f} | {s['seconds']:.0f} s |"
        )
        fitted = pd.read_csv(folder / "parameters.tsv", sep="\t", index_col="parameterId")
        intervals = profile_intervals(
            pd.read_csv(folder / "profiles.tsv", sep="\t"), fitted["nominalValue"]
        )
        intervals.to_csv(folder / "profile_intervals.tsv", sep="\t", index=False)
        arms = pd.read_csv(folder / "arms.tsv", sep="\t")
        details += ["", f"## {name}", "", *[f"- {note}" for note in data.notes], ""]
        details += [
            "| parameter | model value | fitted | 95 % profile interval within | identifiable |",
            "|---|---|---|---|---|",
        ]
        spec = load_model("redox_senescence")
        values = dict(zip(spec.parameter_names, spec.parameter_values(), strict=True))
        for row in intervals.itertuples():
            low = f"{row.low_95:.3g}{' (bound)' if row.lower_bound_reached else ''}"
            high = f"{row.high_95:.3g}{' (bound)' if row.upper_bound_reached else ''}"
            details.append(
                f"| {row.parameter} | {values[str(row.parameter)]:.3g} | {row.best:.3g} | "
                f"[{low}, {high}] | {'yes' if row.identifiable else 'no'} |"
            )
        details.append(f"| sd_volume | | {s['sd_volume']:.3g} | (not profiled) | |")
        details += [
            "",
            "| arm | rows | RMS log error | mean log error | |",
            "|---|---|---|---|---|",
        ]
        for row in arms.itertuples():
            role = "held out (predicted)" if row.held_out else "fitted"
            details.append(
                f"| {row.simulationConditionId} | {row.rows} | {row.rms_log_error:.3f} | "
                f"{row.mean_log_error:+.3f} | {role} |"
            )
        details += [
            "",
            f"Figures: [data and fit](calibration/{name}/fit.png), "
            f"[profiles](calibration/{name}/profiles.png), "
            f"[waterfall](calibration/{name}/waterfall.png). "
            f"{s['evaluations']} likelihood evaluations in the multistart (profiles not counted).",
        ]
    return "\n".join([*lines, *details]) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the data sets asked for, then rewrite the summary page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile-points", type=int, default=2)
    parser.add_argument("--max-iter", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=4, help="processes for the profiles")
    parser.add_argument("--sets", nargs="*", default=list(BUILDERS), choices=list(BUILDERS))
    parser.add_argument("--summary-only", action="store_true", help="rewrite the summary page")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"{DATA}: not found; set SENOX_SHARED to the shared folder", file=sys.stderr)
        return 2
    for name in [] if args.summary_only else args.sets:
        print(f"{name} ...", flush=True)
        run_set(name, args)
    SUMMARY.write_text(summary(args), encoding="utf-8")
    copy_figures()
    return 0


def copy_figures() -> None:
    """Copy each data set's fit and profile figures into docs/_static/calibration/."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    for name in BUILDERS:
        for figure in ("fit.png", "profiles.png"):
            source = OUT / name / figure
            if source.is_file():
                shutil.copyfile(source, FIGURES / f"{name}_{figure}")


if __name__ == "__main__":
    raise SystemExit(main())
