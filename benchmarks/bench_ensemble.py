"""Work against precision of senox's ensemble ODE engine and of a libroadrunner loop.

A deterministic virtual cohort: ``--members`` parameter sets, each parameter drawn log-uniformly
within its plausible range (uniformly where the range starts at 0), all given the same dose
schedule (4 boluses of 1.0 every 21 days into the first ``C_*`` exposure species), simulated
over ``--days`` days with daily output. Measured side by side in one run:

1. **Reference.** The first ``--reference-members`` members by :func:`senox.model._ode.solve`
   with DOPRI5 at rtol 1e-11, atol 1e-14; checked against itself at rtol 1e-12 (atol 1e-15)
   and against roadrunner at rtol 1e-13 (scalar atol 1e-16), the tightest setting at which its
   CVODE still runs at a workable speed here (1e-14 runs too, and agrees no better).
2. **Work and precision.** On the same first ``--subset`` members, for each setting: senox's
   engine (``method="auto"``, numba threads over members; the median of ``--repeats`` runs) at
   rtol 1e-3 ... 1e-8, the same with ``method="rkc"`` (Runge-Kutta-Chebyshev, order 2,
   stabilised explicit) at rtol 1e-3 ... 1e-8, and the roadrunner loop (per member: ``resetAll``, ``setValues``,
   ``simulate`` on the same output grid; CVODE BDF, its default; the median of
   ``--rr-repeats`` loops) at rtol 1e-4 ... 1e-10. ``atol = 1e-3 * rtol`` for both engines at
   every setting (1e-9 at rtol 1e-6, the engine's default). roadrunner scales a scalar atol by
   the state values (smaller species get a tighter atol, to roadrunner's advantage in accuracy):
   the main rows keep that, its default; rows marked "atol vector" give it the same atol for
   every species, exactly what senox uses. Runs of all settings are interleaved, repeat by
   repeat, so that a change of load on a shared machine touches them all alike.

   Accuracy of a run: the relative error against the reference at every output time of every
   species of the reference members, ``|x - ref| / max(|ref|, 1e-6 * peak)`` with ``peak``
   the largest ``|ref|`` of that species in that member over the output times; species that
   are 0 throughout the reference (exposure species of drugs not given) are left out. Max and
   median over all of these; also the max with a floor of ``1e-3 * peak`` (which does not
   count the tail of a decaying drug below a thousandth of its peak).
3. **Ratios.** (a) At equal rtol: senox members/s over roadrunner members/s, for each senox
   method. (b) At matched accuracy: for roadrunner at ``--match-rtol`` (1e-6, its usual
   setting), per senox method the cheapest rtol (fewest right-hand-side evaluations per member)
   whose max error is at most roadrunner's; of those, the method with the most members per
   CPU-second; and the ratio of throughputs. Both also per CPU-second (process CPU time:
   all of senox's threads, roadrunner's one), which a shared machine's load moves less.
4. **The whole cohort** (``--members``) with senox at rtol 1e-6 and at the matched rtol, and
   once with the roadrunner loop at rtol 1e-6 (the target's own comparison, measured directly),
   interleaved, with the size of the output array and the process's peak resident memory
   during the first run (the high-water mark reset before it, ``/proc/self/clear_refs``).

Results: ``benchmarks/results/ensemble.md`` and ``ensemble.json``, and the table on stdout.

    python benchmarks/bench_ensemble.py            # 10,000 members; about 2 minutes on 2 cores
    python benchmarks/bench_ensemble.py --quick    # 500 members, fewer repeats; under a minute
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from senox.model._compile import LANES, compile_model
from senox.model._export import to_sbml
from senox.model._ode import Solution, solve
from senox.model._spec import Dose, ModelSpec, load_model, parse_model

HERE = Path(__file__).resolve().parent
FLOOR = 1e-6  # error floor, relative to each species' peak in each member
COARSE_FLOOR = 1e-3  # the same, for the "tail ignored" error
REFERENCE = (1e-11, 1e-14)  # rtol, atol of the reference: senox DOPRI5
SELF_CHECK = (1e-12, 1e-15)  # the reference against itself, tighter
RR_TIGHT = (1e-13, 1e-16)  # the reference against roadrunner
OURS_RTOLS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-8)
RKC_RTOLS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)
RR_RTOLS = (1e-4, 1e-6, 1e-8, 1e-10)
ATOL_PER_RTOL = 1e-3


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


class Accuracy:
    """Relative errors against a reference trajectory set (see the module docstring)."""

    def __init__(self, reference: np.ndarray) -> None:
        self.reference = reference
        peak = np.abs(reference).max(axis=1, keepdims=True)  # (members, 1, species)
        self.peak = np.where(peak > 0, peak, 1.0)
        self.kept = np.abs(reference).max(axis=(0, 1)) > 0  # species not 0 throughout

    def errors(self, states: np.ndarray, floor: float = FLOOR) -> np.ndarray:
        """The relative errors of the reference members' ``states`` (leading rows)."""
        ref = self.reference
        diff = np.abs(states[: ref.shape[0]] - ref)
        errors: np.ndarray = diff / np.maximum(np.abs(ref), floor * self.peak)
        return errors[:, :, self.kept]

    def summary(self, states: np.ndarray) -> dict[str, Any]:
        """Max, median and 99th percentile of the errors, where the max sits; coarse max."""
        err = self.errors(states)
        if not np.isfinite(err).all():
            return {"max": float("inf"), "median": float("nan"), "nonfinite": True}
        m, t, s = np.unravel_index(int(np.argmax(err)), err.shape)
        species = int(np.flatnonzero(self.kept)[s])
        return {
            "max": float(err.max()),
            "median": float(np.median(err)),
            "p99": float(np.quantile(err, 0.99)),
            "max_floor_1e-3": float(self.errors(states, COARSE_FLOOR).max()),
            "worst": {
                "member": int(m),
                "time_index": int(t),
                "species_index": species,
                "reference": float(self.reference[m, t, species]),
                "value": float(states[m, t, species]),
            },
        }


class RoadRunnerLoop:
    """The usual cohort loop: per member set parameters, reset, simulate."""

    def __init__(self, sbml: str, spec: ModelSpec, days: float) -> None:
        import roadrunner

        start = time.perf_counter()
        self.runner = roadrunner.RoadRunner(sbml)
        self.load_s = time.perf_counter() - start
        self.runner.timeCourseSelections = ["time", *spec.species_names]
        self.names = spec.parameter_names
        self.n_species = len(spec.species)
        self.days = days

    def run(
        self,
        params: np.ndarray,
        rtol: float,
        atol: float,
        *,
        atol_vector: bool = False,
        max_steps: int | None = None,
    ) -> tuple[np.ndarray, float, float]:
        """``(states, wall s, CPU s)`` of the loop over ``params``."""
        integrator = self.runner.integrator
        integrator.relative_tolerance = rtol
        integrator.absolute_tolerance = [atol] * self.n_species if atol_vector else atol
        integrator.maximum_num_steps = max_steps or 20_000  # roadrunner's default
        n_out = int(self.days) + 1
        out = np.empty((params.shape[0], n_out, self.n_species))
        wall, cpu = time.perf_counter(), time.process_time()
        for m in range(params.shape[0]):
            self.runner.resetAll()
            self.runner.setValues(self.names, params[m].tolist())
            out[m] = np.asarray(self.runner.simulate(0.0, self.days, n_out))[:, 1:]
        return out, time.perf_counter() - wall, time.process_time() - cpu


def run_ours(
    spec: ModelSpec,
    params: np.ndarray,
    kwargs: dict[str, Any],
    rtol: float,
    atol: float,
    *,
    lanes: bool = True,
) -> tuple[Solution, float, float]:
    """``(solution, wall s, CPU s)`` of one ensemble call."""
    wall, cpu = time.perf_counter(), time.process_time()
    sol = solve(spec, parameters=params, rtol=rtol, atol=atol, lanes=lanes, **kwargs)
    return sol, time.perf_counter() - wall, time.process_time() - cpu


def memory_mib() -> tuple[float, float]:
    """The process's resident memory now and its peak (Linux; KiB in ``/proc/self/status``)."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
        )
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        return float("nan"), peak


def reset_peak_memory() -> bool:
    """Set the peak resident memory to the current one (Linux >= 4.0); False if not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def stats(sol: Solution) -> dict[str, Any]:
    """The integrator's statistics of one ensemble call."""
    return {
        "failed_members": int((sol.status != 0).sum()),
        "steps_median": float(np.median(sol.steps)),
        "steps_max": int(sol.steps.max()),
        "rejected_median": float(np.median(sol.rejected)),
        "evaluations_median": float(np.median(sol.evaluations)),
        "jacobians_median": float(np.median(sol.jacobians)),
        "stiff_fallback_members": int(sol.fallback.sum()),
    }


def timing(walls: list[float], cpus: list[float], members: int) -> dict[str, Any]:
    """Medians of repeated runs as throughputs."""
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return {
        "wall_s_all": walls,
        "cpu_s_all": cpus,
        "wall_s_median": wall,
        "cpu_s_median": cpu,
        "members_per_s": members / wall,
        "members_per_cpu_s": members / cpu,
    }


def parse_args() -> argparse.Namespace:
    """The command line; ``--quick`` lowers the sizes not given explicitly."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 members, fewer repeats")
    parser.add_argument("--members", type=int, help="whole cohort (default 10,000; quick 500)")
    parser.add_argument("--subset", type=int, help="members of the sweep (default 500; quick 300)")
    parser.add_argument(
        "--reference-members", type=int, help="members with a reference (default 200; quick 100)"
    )
    parser.add_argument("--repeats", type=int, help="senox runs per setting (default 5; quick 3)")
    parser.add_argument("--rr-repeats", type=int, help="roadrunner loops (default 3; quick 1)")
    parser.add_argument("--match-rtol", type=float, default=1e-6, help="roadrunner to match")
    parser.add_argument(
        "--model", default="redox_senescence", help="model name, .toml path or 'toy'"
    )
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--method", default="auto", choices=["auto", "dopri5", "rodas", "rkc"])
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    defaults = (
        {"members": 500, "subset": 300, "reference_members": 100, "repeats": 3}
        if args.quick
        else {"members": 10_000, "subset": 500, "reference_members": 200, "repeats": 5}
    )
    defaults["rr_repeats"] = 1 if args.quick else 3
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.subset = min(args.subset, args.members)
    args.reference_members = min(args.reference_members, args.subset)
    return args


def main() -> None:
    """Run the benchmark and write the results."""
    args = parse_args()
    began, load_before = time.perf_counter(), os.getloadavg()
    spec = toy_model() if args.model == "toy" else load_model(args.model)
    params, uniform = cohort(spec, args.members, args.seed)
    doses = schedule(spec)
    times = np.arange(0.0, args.days + 0.5, 1.0)
    kwargs: dict[str, Any] = {"times": times, "doses": doses, "method": args.method}

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f} s] {message}", file=sys.stderr, flush=True)

    start = time.perf_counter()
    compile_model(spec)
    model_compile = time.perf_counter() - start
    start = time.perf_counter()
    # loads (or compiles) the ensemble kernels: one member at a time, and in lanes
    solve(spec, parameters=params[:2], **kwargs)
    solve(spec, parameters=params[: 4 * LANES * os.cpu_count()], **kwargs)
    kernel_first_call = time.perf_counter() - start

    # the reference, checked against itself and against roadrunner at its tightest
    ref_params = params[: args.reference_members]
    ref_kwargs: dict[str, Any] = {**kwargs, "method": "dopri5"}
    start = time.perf_counter()
    reference = solve(
        spec, parameters=ref_params, **ref_kwargs, rtol=REFERENCE[0], atol=REFERENCE[1]
    )
    reference_s = time.perf_counter() - start
    if (reference.status != 0).any():
        msg = "the reference failed for some members"
        raise RuntimeError(msg)
    accuracy = Accuracy(reference.states)
    tighter = solve(
        spec, parameters=ref_params, **ref_kwargs, rtol=SELF_CHECK[0], atol=SELF_CHECK[1]
    )
    sbml = to_sbml(spec, doses=doses)
    loop = RoadRunnerLoop(sbml, spec, args.days)
    rr_tight, rr_tight_s, _ = loop.run(ref_params, *RR_TIGHT, max_steps=1_000_000)
    reference_check = {
        "members": args.reference_members,
        "method": "dopri5",
        "rtol": REFERENCE[0],
        "atol": REFERENCE[1],
        "wall_s": reference_s,
        "steps_median": float(np.median(reference.steps)),
        "self_check": {
            "rtol": SELF_CHECK[0],
            "atol": SELF_CHECK[1],
            **accuracy.summary(tighter.states),
        },
        "roadrunner": {
            "rtol": RR_TIGHT[0],
            "atol": RR_TIGHT[1],
            "wall_s": rr_tight_s,
            **accuracy.summary(rr_tight),
        },
        "species_kept": [n for n, k in zip(spec.species_names, accuracy.kept, strict=True) if k],
        "species_left_out_zero_throughout": [
            n for n, k in zip(spec.species_names, accuracy.kept, strict=True) if not k
        ],
    }
    log(
        f"reference: self {reference_check['self_check']['max']:.1e}, "
        f"roadrunner {reference_check['roadrunner']['max']:.1e}"
    )

    # the sweep, settings interleaved repeat by repeat
    subset = params[: args.subset]
    methods = {"senox": args.method}  # engine label: senox method
    settings: list[tuple[str, float]] = [("senox", r) for r in OURS_RTOLS]
    if args.method != "rkc":
        methods["senox rkc"] = "rkc"
        settings += [("senox rkc", r) for r in RKC_RTOLS]
    settings += [("roadrunner", r) for r in RR_RTOLS]
    settings += [("roadrunner atol vector", r) for r in RR_RTOLS]
    walls: dict[tuple[str, float], list[float]] = {s: [] for s in settings}
    cpus: dict[tuple[str, float], list[float]] = {s: [] for s in settings}
    first: dict[tuple[str, float], Any] = {}
    errors: dict[tuple[str, float], str] = {}
    for rep in range(max(args.repeats, args.rr_repeats)):
        for engine, rtol in settings:
            key = (engine, rtol)
            atol = ATOL_PER_RTOL * rtol
            if engine in methods:
                if rep >= args.repeats:
                    continue
                method_kwargs = {**kwargs, "method": methods[engine]}
                sol, wall, cpu = run_ours(spec, subset, method_kwargs, rtol, atol)
                first.setdefault(key, sol)
            else:
                vector = engine.endswith("vector")
                if key in errors or rep >= (1 if vector else args.rr_repeats):
                    continue
                try:
                    states, wall, cpu = loop.run(subset, rtol, atol, atol_vector=vector)
                except RuntimeError as error:  # CVODE gave up
                    errors[key] = str(error).splitlines()[0][:200]
                    continue
                first.setdefault(key, states)
            walls[key].append(wall)
            cpus[key].append(cpu)
        log(f"sweep repeat {rep + 1} done")

    rows = []
    for engine, rtol in settings:
        key = (engine, rtol)
        row: dict[str, Any] = {"engine": engine, "rtol": rtol, "atol": ATOL_PER_RTOL * rtol}
        if key in errors:
            row["error"] = errors[key]
        else:
            row |= timing(walls[key], cpus[key], args.subset)
            if engine in methods:
                row["method"] = methods[engine]
                row |= stats(first[key])
                row["accuracy"] = accuracy.summary(first[key].states)
            else:
                row["accuracy"] = accuracy.summary(first[key])
        rows.append(row)
    first.clear()  # the sweep's trajectories: not needed any more
    del tighter, rr_tight

    def find(engine: str, rtol: float) -> dict[str, Any] | None:
        return next(
            (r for r in rows if r["engine"] == engine and r["rtol"] == rtol and "error" not in r),
            None,
        )

    equal = []
    for engine in methods:
        for rtol in sorted(set(OURS_RTOLS) & set(RR_RTOLS), reverse=True):
            ours, theirs = find(engine, rtol), find("roadrunner", rtol)
            if ours and theirs:
                equal.append(
                    {
                        "engine": engine,
                        "method": methods[engine],
                        "rtol": rtol,
                        "members_per_s": ours["members_per_s"] / theirs["members_per_s"],
                        "members_per_cpu_s": ours["members_per_cpu_s"]
                        / theirs["members_per_cpu_s"],
                    }
                )

    def matched(engine: str, measure: str) -> dict[str, Any] | None:
        """The best senox setting at least as accurate as ``engine`` at the match rtol.

        Per senox method the rtol with the fewest right-hand-side evaluations per member (not
        moved by load), then the method with the most members per CPU-second.
        """
        theirs = find(engine, args.match_rtol)
        if theirs is None:
            return None
        target = theirs["accuracy"][measure]
        per_method = {}
        for label in methods:
            passing = [
                r for r in rows if r["engine"] == label and "error" not in r
                and r["accuracy"][measure] <= target
            ]  # fmt: skip
            if passing:
                cheapest = min(passing, key=lambda r: r["evaluations_median"])
                per_method[label] = {
                    "method": methods[label],
                    "rtol": cheapest["rtol"],
                    "error": cheapest["accuracy"][measure],
                    "members_per_cpu_s": cheapest["members_per_cpu_s"],
                    "ratio_members_per_s": cheapest["members_per_s"] / theirs["members_per_s"],
                    "ratio_members_per_cpu_s": cheapest["members_per_cpu_s"]
                    / theirs["members_per_cpu_s"],
                }
        if not per_method:
            return {"roadrunner_rtol": args.match_rtol, "target": target, "senox_rtol": None}
        label = max(per_method, key=lambda m: per_method[m]["members_per_cpu_s"])
        ours = find(label, per_method[label]["rtol"])
        assert ours is not None
        return {
            "roadrunner_rtol": args.match_rtol,
            "measure": measure,
            "target": target,
            "senox_engine": label,
            "senox_method": methods[label],
            "senox_rtol": ours["rtol"],
            "senox_error": ours["accuracy"][measure],
            "members_per_s": ours["members_per_s"] / theirs["members_per_s"],
            "members_per_cpu_s": ours["members_per_cpu_s"] / theirs["members_per_cpu_s"],
            "per_method": per_method,
        }

    match = {
        "max": matched("roadrunner", "max"),
        "max_floor_1e-3": matched("roadrunner", "max_floor_1e-3"),
        "max_vs_atol_vector": matched("roadrunner atol vector", "max"),
    }
    best = match["max"]
    cohort_settings = [(args.method, 1e-6, True)]
    if best and best["senox_rtol"] is not None:
        cohort_settings.append((best["senox_method"], best["senox_rtol"], True))
    if args.method != "rkc":  # the same integrator one member at a time, for comparison
        cohort_settings.append((args.method, 1e-6, False))
    cohort_settings = sorted(
        set(cohort_settings), key=lambda m: (m[0] != args.method, not m[2], -m[1])
    )

    # the whole cohort at rtol 1e-6 and at the matched setting, interleaved; one output array
    # at a time, and the peak memory of the first run alone
    cohort_walls: dict[tuple[str, float, bool], list[float]] = {c: [] for c in cohort_settings}
    cohort_cpus: dict[tuple[str, float, bool], list[float]] = {c: [] for c in cohort_settings}
    cohort_stats: dict[tuple[str, float, bool], dict[str, Any]] = {}
    memory: dict[str, Any] = {}
    rr_cohort: dict[str, Any] = {}
    for rep in range(args.repeats if args.members <= 2_000 else 3):
        for setting in cohort_settings:
            method, rtol, lanes = setting
            if not memory:
                resident, _ = memory_mib()
                memory = {"resident_mib_before": resident, "peak_reset": reset_peak_memory()}
            method_kwargs = {**kwargs, "method": method}
            sol, wall, cpu = run_ours(
                spec, params, method_kwargs, rtol, ATOL_PER_RTOL * rtol, lanes=lanes
            )
            if "peak_mib_during" not in memory:
                memory["peak_mib_during"] = memory_mib()[1]
                memory["output_array_mib"] = sol.states.nbytes / 2**20
            cohort_walls[setting].append(wall)
            cohort_cpus[setting].append(cpu)
            cohort_stats[setting] = stats(sol)
            del sol
        if rep == 0:
            _, wall, cpu = loop.run(params, 1e-6, ATOL_PER_RTOL * 1e-6)
            rr_cohort = {"rtol": 1e-6, "atol": ATOL_PER_RTOL * 1e-6}
            rr_cohort.update(timing([wall], [cpu], args.members))
        log(f"whole cohort repeat {rep + 1} done")
    cohort_runs = {
        f"{method} {rtol:g}" + ("" if lanes else " one at a time"): {
            "method": method,
            "rtol": rtol,
            "atol": ATOL_PER_RTOL * rtol,
            "lanes": lanes,
            **timing(cohort_walls[setting], cohort_cpus[setting], args.members),
            **cohort_stats[setting],
        }
        for setting in cohort_settings
        for method, rtol, lanes in [setting]
    }

    import numba
    import roadrunner

    result = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python " + " ".join(["benchmarks/bench_ensemble.py", *sys.argv[1:]]),
        "model": spec.name,
        "species": len(spec.species),
        "parameters": len(spec.parameters),
        "reactions": len(spec.reactions),
        "members": args.members,
        "subset": args.subset,
        "uniform_parameters": uniform,
        "days": args.days,
        "output_times": int(times.size),
        "doses": [[d.time, d.species, d.amount] for d in doses],
        "seed": args.seed,
        "method": args.method,
        "atol_per_rtol": ATOL_PER_RTOL,
        "error_floor": FLOOR,
        "coarse_error_floor": COARSE_FLOOR,
        "repeats": args.repeats,
        "rr_repeats": args.rr_repeats,
        "ours": {
            "model_compile_s": model_compile,
            "kernel_first_call_s": kernel_first_call,
            "threads": numba.get_num_threads(),
            "threading_layer": numba.threading_layer(),  # type: ignore[attr-defined]
        },
        "roadrunner": {"version": roadrunner.__version__, "load_s": loop.load_s},
        "reference": reference_check,
        "sweep": rows,
        "ratio_equal_rtol": equal,
        "ratio_matched_accuracy": match,
        "whole_cohort": cohort_runs,
        "whole_cohort_roadrunner": rr_cohort,
        "memory": memory,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "wall_s_total": time.perf_counter() - began,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ensemble.json").write_text(json.dumps(result, indent=2) + "\n")
    report = render(result, spec.species_names)
    (args.out / "ensemble.md").write_text(report)
    print(report)


def render(r: dict[str, Any], species: list[str]) -> str:
    """The Markdown report."""
    ref, o, rr = r["reference"], r["ours"], r["roadrunner"]

    def where(acc: dict[str, Any]) -> str:
        w = acc.get("worst")
        return f"{species[w['species_index']]}, day {w['time_index']}" if w else "-"

    lines = [
        f"# Ensemble simulation, work against precision: `{r['model']}` ({r['species']} species, "
        f"{r['parameters']} parameters, {r['reactions']} reactions)",
        "",
        f"Parameters log-uniform within their ranges (seed {r['seed']}; {r['uniform_parameters']}"
        f" parameters with ranges starting at 0 drawn uniformly), {r['days']:g} days, "
        f"{r['output_times']} daily outputs, doses "
        + ", ".join(f"{d[2]:g} of {d[1]} at day {d[0]:g}" for d in r["doses"])
        + f". atol = {r['atol_per_rtol']:g} × rtol for both engines at every setting.",
        "",
        "## Work and precision",
        "",
        f"The first {r['subset']:,} members, the same for both engines; errors on the first "
        f'{ref["members"]} (those with a reference). senox `solve` (`method="{r["method"]}"`; '
        '"senox rkc": `method="rkc"`, Runge-Kutta-Chebyshev, order 2, stabilised explicit; '
        f"{o['threads']} numba threads, median of {r['repeats']} runs); libroadrunner "
        f"{rr['version']} loop (CVODE BDF; `resetAll`, `setValues`, `simulate` per member; one "
        f"process, one thread; median of {r['rr_repeats']} loop(s), 1 for the atol-vector rows).",
        "",
        "| engine | rtol | atol | members/s | members per CPU-s | max error | median error | "
        "max error, floor 1e-3 | where the max is | RHS evals / member | steps / member |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in r["sweep"]:
        head = f"| {row['engine']} | {row['rtol']:g} | {row['atol']:g} |"
        if "error" in row:
            lines.append(f"{head} failed: {row['error']} | | | | | | | |")
            continue
        acc = row["accuracy"]
        evals = f"{row['evaluations_median']:,.0f}" if "evaluations_median" in row else "-"
        steps = f"{row['steps_median']:,.0f}" if "steps_median" in row else "-"
        lines.append(
            f"{head} {row['members_per_s']:,.0f} | {row['members_per_cpu_s']:,.0f} | "
            f"{acc['max']:.1e} | {acc['median']:.1e} | {acc['max_floor_1e-3']:.1e} | "
            f"{where(acc)} | {evals} | {steps} |"
        )
    lines += [
        "",
        f"Error: `|x - ref| / max(|ref|, {r['error_floor']:g} × peak)`, `peak` = the largest "
        f"`|ref|` of that species in that member over the output times, over all output times "
        f"and the {len(ref['species_kept'])} species not 0 throughout (left out: "
        f"{', '.join(ref['species_left_out_zero_throughout']) or 'none'}). The column "
        f'"floor 1e-3" uses `{r["coarse_error_floor"]:g} × peak`, which leaves out the tail of '
        "a decaying drug below a thousandth of its peak. roadrunner scales a scalar atol by the "
        "state values (its default, the main rows: a tighter atol on small species than "
        "senox's); the \"atol vector\" rows give it exactly senox's atol for every species.",
        "",
        "## Ratios (senox over roadrunner)",
        "",
        "| comparison | senox method | senox rtol | roadrunner rtol | members/s | "
        "members per CPU-s |",
        "|---|---|---|---|---|---|",
    ]
    for ratio in r["ratio_equal_rtol"]:
        bold = "**" if ratio["engine"] == "senox" else ""
        lines.append(
            f"| {bold}equal rtol{bold} | {ratio['method']} | {ratio['rtol']:g} | "
            f"{ratio['rtol']:g} | {bold}{ratio['members_per_s']:.1f}×{bold} | "
            f"{ratio['members_per_cpu_s']:.1f}× |"
        )
    labels = {
        "max": "**matched accuracy** (max error)",
        "max_floor_1e-3": "matched accuracy (max error, floor 1e-3)",
        "max_vs_atol_vector": "matched accuracy (max error; roadrunner atol vector)",
    }
    for name, m in r["ratio_matched_accuracy"].items():
        if m is None:
            continue
        if m["senox_rtol"] is None:
            lines.append(
                f"| {labels[name]} | - | none of those tried | {m['roadrunner_rtol']:g} | - | - |"
            )
            continue
        bold = "**" if name == "max" else ""
        lines.append(
            f"| {labels[name]} | {m['senox_method']} | {m['senox_rtol']:g} (error "
            f"{m['senox_error']:.1e}) | {m['roadrunner_rtol']:g} (error {m['target']:.1e}) | "
            f"{bold}{m['members_per_s']:.1f}×{bold} | {m['members_per_cpu_s']:.1f}× |"
        )
        if name != "max":
            continue
        for label, other in m["per_method"].items():
            if label == m["senox_engine"]:
                continue
            lines.append(
                f"| matched accuracy (max error), {label} only | {other['method']} | "
                f"{other['rtol']:g} (error {other['error']:.1e}) | {m['roadrunner_rtol']:g} "
                f"(error {m['target']:.1e}) | {other['ratio_members_per_s']:.1f}× | "
                f"{other['ratio_members_per_cpu_s']:.1f}× |"
            )
    lines += [
        "",
        "Matched accuracy: per senox method, the rtol with the fewest right-hand-side "
        "evaluations per member among those whose error is at most roadrunner's; of these, the "
        "method with the most members per CPU-s. members per CPU-s counts the CPU time "
        "of the whole process (all of senox's threads, roadrunner's one): thread for core, and "
        "less moved by other work on a shared machine than members/s.",
        "",
        "## Reference",
        "",
        f"senox DOPRI5 at rtol {ref['rtol']:g}, atol {ref['atol']:g} on {ref['members']} members "
        f"({ref['wall_s']:.1f} s, median {ref['steps_median']:,.0f} steps). Against itself at "
        f"rtol {ref['self_check']['rtol']:g}, atol {ref['self_check']['atol']:g}: max "
        f"{ref['self_check']['max']:.1e}, median {ref['self_check']['median']:.1e}. Against "
        f"roadrunner at rtol {ref['roadrunner']['rtol']:g}, atol {ref['roadrunner']['atol']:g} "
        f"(scalar): max {ref['roadrunner']['max']:.1e} ({where(ref['roadrunner'])}), median "
        f"{ref['roadrunner']['median']:.1e}; the same error measure as above.",
        "",
        f"## The whole cohort ({r['members']:,} members), senox and the roadrunner loop",
        "",
        "| method | rtol | atol | run s (median) | members/s | members per CPU-s | "
        "steps median / max | RHS evals / member | failed | stiff fallback |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in r["whole_cohort"].values():
        label = run["method"] + ("" if run.get("lanes", True) else ", one member at a time")
        lines.append(
            f"| {label} | {run['rtol']:g} | {run['atol']:g} | {run['wall_s_median']:.2f} "
            f"(of {len(run['wall_s_all'])}) | {run['members_per_s']:,.0f} | "
            f"{run['members_per_cpu_s']:,.0f} | {run['steps_median']:.0f} / {run['steps_max']} | "
            f"{run['evaluations_median']:,.0f} | {run['failed_members']} | "
            f"{run['stiff_fallback_members']} |"
        )
    mem, mach = r["memory"], r["machine"]
    loop = r["whole_cohort_roadrunner"]
    ours = r["whole_cohort"][f"{r['method']} {loop['rtol']:g}"]
    lines += [
        f"| roadrunner loop | {loop['rtol']:g} | {loop['atol']:g} | {loop['wall_s_median']:.2f} "
        f"(of 1) | {loop['members_per_s']:,.0f} | {loop['members_per_cpu_s']:,.0f} | - | - | - | - |",
        "",
        f"**The whole cohort at rtol {loop['rtol']:g}, measured side by side:** senox "
        f"{ours['members_per_s'] / loop['members_per_s']:.1f}× the roadrunner loop's members/s "
        f"({ours['members_per_cpu_s'] / loop['members_per_cpu_s']:.1f}× per CPU-s).",
        "",
    ]
    single = r["whole_cohort"].get(f"{r['method']} {loop['rtol']:g} one at a time")
    if single:
        lines += [
            f"The same integrator one member at a time (``lanes=False``): "
            f"{single['members_per_s'] / loop['members_per_s']:.1f}× the roadrunner loop; the "
            f"SIMD lanes run {ours['members_per_s'] / single['members_per_s']:.2f}× as fast, "
            f"with identical trajectories.",
            "",
        ]
    lines += [
        f"Memory: the output array (members × times × species, float64) "
        f"{mem['output_array_mib']:.1f} MiB; the process's resident memory "
        f"{mem['resident_mib_before']:.0f} MiB before the first whole-cohort run (Python, numba, "
        f"roadrunner, the sweep's leftovers), peak {mem['peak_mib_during']:.0f} MiB during it"
        + ("" if mem["peak_reset"] else " (peak of the whole process so far: not resettable here)")
        + ". The runs are interleaved, repeat by repeat. Model compilation "
        f"{o['model_compile_s']:.2f} s, the kernel's first call {o['kernel_first_call_s']:.2f} s "
        f"(numba cache); roadrunner's load of the SBML {rr['load_s']:.2f} s; none of these are in "
        "the throughputs.",
        "",
        "## Run",
        "",
        f"- Date: {r['date']}; command: `{r['command']}`; wall time {r['wall_s_total']:.0f} s.",
        f"- Machine: {mach['platform']}, {mach['processor']}, Python {mach['python']}, "
        f"{mach['cpus']} CPUs, numba threading layer `{o['threading_layer']}`; load average "
        f"before/after {mach['load_average_before'][0]:.1f}/{mach['load_average_after'][0]:.1f} "
        "(a shared machine: members/s move with other work; the ratios, measured interleaved, "
        "and members per CPU-s less so).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
