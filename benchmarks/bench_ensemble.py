"""Virtual-cohort speed of senox's ensemble ODE engine against a libroadrunner loop.

A deterministic cohort of ``--members`` parameter sets, each parameter drawn log-uniformly
within its plausible range (uniformly where the range starts at 0), all given the same dose
schedule (4 boluses of 1.0 every 21 days into the first ``C_*`` exposure species), simulated
over ``--days`` days with daily output:

* (a) by :func:`senox.model._ode.simulate` (all members, numba threads over members); the
  model's compilation and the kernel's first call are timed apart from the runs, the runs are
  repeated and their median reported;
* (b) by libroadrunner (CVODE, same tolerances) on the SBML that :func:`to_sbml` writes for the
  same model and schedule: for each member of a subset (``--rr-members``), set its parameters,
  reset, simulate on the same output grid -- the usual way of running a cohort with it.

Agreement is checked member by member on the subset. Results: ``benchmarks/results/
ensemble.md`` and ``ensemble.json``, and the table on stdout.

    python benchmarks/bench_ensemble.py                       # 10,000 members, 365 days
    python benchmarks/bench_ensemble.py --members 2000 --rr-members 200 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from senox.model._compile import compile_model
from senox.model._export import to_sbml
from senox.model._ode import solve
from senox.model._spec import Dose, ModelSpec, load_model, parse_model

HERE = Path(__file__).resolve().parent
FLOOR = 1e-6  # absolute floor of the relative difference (values near 0 compare absolutely)


def toy_model() -> ModelSpec:
    """A small PK/PD model, for when the real one is not there (``--model toy``)."""
    return parse_model(
        {
            "model": {"name": "toy_pkpd"},
            "species": [
                {"name": "T", "initial": 0.5},
                {"name": "X", "initial": 1.0},
                {"name": "C_drug", "initial": 0.0},
            ],
            "parameters": [
                {"name": n, "value": v, "unit": "1", "range": [v / 2, v * 2], "source": "toy"}
                for n, v in [
                    ("r", 0.1),
                    ("kd", 1.0),
                    ("EC", 0.5),
                    ("n", 2.0),
                    ("kx", 5.0),
                    ("a", 2.0),
                    ("kk", 0.3),
                    ("Kx", 1.5),
                ]
            ],
            "assignments": [
                {"name": "e", "expression": "pow(C_drug, n) / (pow(EC, n) + pow(C_drug, n))"}
            ],
            "reactions": [
                {"name": "grow", "rate": "r * T * (1 - T)", "change": {"T": 1}},
                {
                    "name": "kill",
                    "rate": "kk * X ** 3 / (Kx ** 3 + X ** 3) * T",
                    "change": {"T": -1},
                },
                {"name": "x_in", "rate": "kx * (1 + a * e)", "change": {"X": 1}},
                {"name": "x_out", "rate": "kx * X", "change": {"X": -1}},
                {"name": "clear", "rate": "kd * C_drug", "change": {"C_drug": -1}},
            ],
        }
    )


def cohort(spec: ModelSpec, n: int, seed: int) -> tuple[np.ndarray, int]:
    """``n`` parameter sets, log-uniform in each range (uniform where the range starts at 0)."""
    rng = np.random.default_rng(seed)
    low = np.array([p.low for p in spec.parameters])
    high = np.array([p.high for p in spec.parameters])
    u = rng.random((n, low.size))
    positive = low > 0
    log_low = np.log(np.where(positive, low, 1.0))
    log_high = np.log(np.where(positive, high, 1.0))
    values = np.where(positive, np.exp(log_low + u * (log_high - log_low)), low + u * (high - low))
    return values, int((~positive).sum())


def schedule(spec: ModelSpec) -> list[Dose]:
    """4 boluses of 1.0, every 21 days from day 0, into the first exposure species."""
    names = spec.species_names
    target = next((s for s in names if s.startswith("C_")), names[-1])
    return [Dose(21.0 * i, target, 1.0) for i in range(4)]


def run_roadrunner(
    sbml: str, spec: ModelSpec, params: np.ndarray, days: float, rtol: float, atol: float
) -> tuple[np.ndarray, float, float]:
    """The loop: per member set parameters, reset, simulate. Returns (states, load s, loop s)."""
    import roadrunner

    start = time.perf_counter()
    runner = roadrunner.RoadRunner(sbml)
    load = time.perf_counter() - start
    runner.integrator.relative_tolerance = rtol
    runner.integrator.absolute_tolerance = atol
    runner.timeCourseSelections = ["time", *spec.species_names]
    names = spec.parameter_names
    out = np.empty((params.shape[0], int(days) + 1, len(spec.species)))
    start = time.perf_counter()
    for m in range(params.shape[0]):
        runner.resetAll()
        runner.setValues(names, params[m].tolist())
        out[m] = np.asarray(runner.simulate(0.0, days, int(days) + 1))[:, 1:]
    return out, load, time.perf_counter() - start


def main() -> None:
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rr-members", type=int, default=500)
    parser.add_argument(
        "--model", default="redox_senescence", help="model name, .toml path or 'toy'"
    )
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--atol", type=float, default=1e-9)
    parser.add_argument("--method", default="auto", choices=["auto", "dopri5", "rodas"])
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()

    load_before = os.getloadavg()
    spec = toy_model() if args.model == "toy" else load_model(args.model)
    params, uniform = cohort(spec, args.members, args.seed)
    doses = schedule(spec)
    times = np.arange(0.0, args.days + 0.5, 1.0)
    kwargs = {"times": times, "doses": doses, "rtol": args.rtol, "atol": args.atol,
              "method": args.method}  # fmt: skip

    start = time.perf_counter()
    compile_model(spec)
    model_compile = time.perf_counter() - start
    start = time.perf_counter()
    solve(spec, parameters=params[:2], **kwargs)  # loads (or compiles) the ensemble kernel
    kernel_first_call = time.perf_counter() - start

    walls = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        sol = solve(spec, parameters=params, **kwargs)
        walls.append(time.perf_counter() - start)
    wall = statistics.median(walls)
    ours_rate = args.members / wall
    failed = int((sol.status != 0).sum())

    subset = params[: args.rr_members]
    sbml = to_sbml(spec, doses=doses)
    theirs, rr_load, rr_loop = run_roadrunner(sbml, spec, subset, args.days, args.rtol, args.atol)
    rr_rate = subset.shape[0] / rr_loop
    ours_subset = sol.states[: subset.shape[0]]
    relative = np.abs(ours_subset - theirs) / np.maximum(np.abs(theirs), FLOOR)
    per_member = relative.reshape(subset.shape[0], -1).max(axis=1)
    # accuracy of both against a tight reference (our engine at rtol 1e-11), itself checked
    # against roadrunner at the same tight tolerance on a few members
    tight = {"rtol": 1e-11, "atol": 1e-15}
    reference = solve(spec, parameters=subset, times=times, doses=doses, method="dopri5",
                      **tight).states  # fmt: skip
    few = min(20, subset.shape[0])
    rr_tight, _, _ = run_roadrunner(sbml, spec, subset[:few], args.days, **tight)

    def error(states: np.ndarray, ref: np.ndarray) -> float:
        return float((np.abs(states - ref) / np.maximum(np.abs(ref), FLOOR)).max())

    # the same subset, our engine on one thread (per-core comparison with the roadrunner loop)
    solve(spec, parameters=subset[:2], parallel=False, **kwargs)  # load the serial kernel
    start = time.perf_counter()
    solve(spec, parameters=subset, parallel=False, **kwargs)
    ours_one_core = subset.shape[0] / (time.perf_counter() - start)

    import numba
    import roadrunner

    result = {
        "model": spec.name,
        "species": len(spec.species),
        "parameters": len(spec.parameters),
        "reactions": len(spec.reactions),
        "members": args.members,
        "uniform_parameters": uniform,
        "days": args.days,
        "output_times": int(times.size),
        "doses": [[d.time, d.species, d.amount] for d in doses],
        "seed": args.seed,
        "rtol": args.rtol,
        "atol": args.atol,
        "method": args.method,
        "ours": {
            "model_compile_s": model_compile,
            "kernel_first_call_s": kernel_first_call,
            "run_s_median": wall,
            "run_s_all": walls,
            "members_per_s": ours_rate,
            "threads": numba.get_num_threads(),
            "one_thread_members_per_s_on_subset": ours_one_core,
            "failed_members": failed,
            "steps_median": float(np.median(sol.steps)),
            "steps_max": int(sol.steps.max()),
            "stiff_fallback_members": int((sol.jacobians > 0).sum()),
        },
        "roadrunner": {
            "version": roadrunner.__version__,
            "members": int(subset.shape[0]),
            "load_s": rr_load,
            "loop_s": rr_loop,
            "sims_per_s": rr_rate,
        },
        "agreement_on_subset": {
            "max_relative_difference": float(relative.max()),
            "median_member_max_relative_difference": float(np.median(per_member)),
            "members_within_1e-4": int((per_member <= 1e-4).sum()),
            "floor": FLOOR,
            "ours_error_vs_reference": error(ours_subset, reference),
            "roadrunner_error_vs_reference": error(theirs, reference),
            "reference_vs_roadrunner_tight": error(rr_tight, reference[:few]),
            "reference_members_checked": few,
        },
        "speedup": ours_rate / rr_rate,
        "speedup_one_thread": ours_one_core / rr_rate,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ensemble.json").write_text(json.dumps(result, indent=2) + "\n")
    table = render(result)
    (args.out / "ensemble.md").write_text(table)
    print(table)


def render(r: dict) -> str:
    """The Markdown report."""
    o, rr, a = r["ours"], r["roadrunner"], r["agreement_on_subset"]
    lines = [
        f"# Ensemble simulation: `{r['model']}` ({r['species']} species, {r['parameters']} "
        f"parameters, {r['reactions']} reactions)",
        "",
        f"{r['members']:,} members, parameters log-uniform within their ranges (seed {r['seed']}; "
        f"{r['uniform_parameters']} parameters with ranges starting at 0 drawn uniformly), "
        f"{r['days']:g} days, {r['output_times']} daily outputs, doses "
        + ", ".join(f"{d[2]:g} of {d[1]} at day {d[0]:g}" for d in r["doses"])
        + f"; rtol {r['rtol']:g}, atol {r['atol']:g}.",
        "",
        "| engine | members | threads | compile / load s | run s | members/s |",
        "|---|---|---|---|---|---|",
        f"| senox `simulate` ({r['method']}) | {r['members']:,} | {o['threads']} | "
        f"{o['model_compile_s']:.2f} model + {o['kernel_first_call_s']:.2f} kernel first call | "
        f"{o['run_s_median']:.2f} (median of {len(o['run_s_all'])}) | {o['members_per_s']:,.0f} |",
        f"| senox `simulate` ({r['method']}, `parallel=False`) | {rr['members']:,} (subset) | 1 | "
        f"- | {rr['members'] / o['one_thread_members_per_s_on_subset']:.2f} | "
        f"{o['one_thread_members_per_s_on_subset']:,.0f} |",
        f"| libroadrunner {rr['version']} loop (CVODE; resetAll, setValues, simulate) | "
        f"{rr['members']:,} (subset) | 1 | {rr['load_s']:.2f} | {rr['loop_s']:.2f} | "
        f"{rr['sims_per_s']:,.0f} |",
        "",
        f"- **Speed-up: {r['speedup']:.1f}×** members/s of senox (all {o['threads']} threads) over "
        f"the roadrunner loop (one Python process, one core); "
        f"{r['speedup_one_thread']:.1f}× thread for core.",
        f"- Agreement on the {rr['members']} roadrunner members, all species at all output times: "
        f"max relative difference {a['max_relative_difference']:.1e} (values below "
        f"{a['floor']:g} compared absolutely), median over members of each member's max "
        f"{a['median_member_max_relative_difference']:.1e}; {a['members_within_1e-4']} of "
        f"{rr['members']} members within 1e-4.",
        f"- Error against a reference (senox DOPRI5 at rtol 1e-11, atol 1e-15; it agrees with "
        f"roadrunner at the same tolerances to {a['reference_vs_roadrunner_tight']:.1e} on "
        f"{a['reference_members_checked']} members): senox {a['ours_error_vs_reference']:.1e}, "
        f"roadrunner {a['roadrunner_error_vs_reference']:.1e} (max relative, same floor).",
        f"- senox steps per member: median {o['steps_median']:.0f}, max {o['steps_max']}; "
        f"{o['stiff_fallback_members']} members handed to the Rosenbrock method; "
        f"{o['failed_members']} failed.",
        f"- Machine: {r['machine']['platform']}, Python {r['machine']['python']}, "
        f"{r['machine']['cpus']} CPUs; load average before/after "
        f"{r['machine']['load_average_before'][0]:.1f}/{r['machine']['load_average_after'][0]:.1f} "
        "(a shared machine: absolute figures move with the load, the ratio less so).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
