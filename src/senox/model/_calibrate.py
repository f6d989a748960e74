"""Calibrating any PEtab v1 problem: seeded multistart L-BFGS-B, profile likelihoods, outputs.

The objective is :class:`~senox.model._petab_objective.PetabObjective` (libroadrunner, PEtab's
noise models; priors ignored). Starts are drawn uniformly within the bounds on the parameters'
scales (PEtab's default ``parameterScaleUniform`` initialisation; other initialisation priors
are not read), from one seed; each start is a bounded L-BFGS-B run (scipy) on forward-difference
gradients. Starts run one after the other here, or spread over a ``dask.distributed`` cluster.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from senox._errors import InputError
from senox.model._petab_objective import PetabObjective, unscale
from senox.model._sbml import _require, one_line

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from numpy.typing import NDArray

#: Iterations of one L-BFGS-B run, at most.
MAX_ITER = 500
#: Grid points on each side of the optimum in a profile.
PROFILE_POINTS = 8
#: Half the 95 % quantile of chi-square with one degree of freedom: a profile's 95 % threshold.
CHI2_95_HALF = 1.920729410347062


def read_petab(path: str | Path, *, lint: bool = True) -> Any:
    """Read a PEtab v1 problem from its YAML file with libpetab, refusing a broken one in one line.

    Parameters
    ----------
    path
        The problem's YAML file.
    lint
        Run ``petab``'s linter and refuse a problem it finds errors in.

    Returns
    -------
    A ``petab.v1.Problem``.
    """
    petab = _require("petab.v1")
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such PEtab YAML file; give the problem's .yaml"
        raise InputError(msg)
    try:
        problem = petab.Problem.from_yaml(path)
    except Exception as exc:  # libpetab raises ValueError, KeyError, OSError, yaml errors...
        msg = f"{path}: petab cannot read this problem ({one_line(str(exc)) or type(exc).__name__})"
        raise InputError(msg) from None
    if problem.model is None or problem.measurement_df is None or problem.parameter_df is None:
        msg = f"{path}: the problem needs a model, a measurement table and a parameter table"
        raise InputError(msg)
    if lint:
        first = _lint_errors(problem)
        if first:
            msg = f"{path}: petab lint finds errors (first: {first}); fix the tables"
            raise InputError(msg)
    return problem


class _FirstError(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(one_line(record.getMessage()))


def _lint_errors(problem: Any) -> str:
    """The first error message of ``petab.v1.lint.lint_problem`` (empty if it passes)."""
    lint = _require("petab.v1.lint")
    handler = _FirstError()
    logger = logging.getLogger("petab")
    logger.addHandler(handler)
    try:
        failed = lint.lint_problem(problem)
    finally:
        logger.removeHandler(handler)
    if not failed:
        return ""
    return handler.messages[0] if handler.messages else "no message"


@dataclass
class Start:
    """One local optimisation: where it began, where it ended."""

    index: int
    x0: NDArray[np.float64]
    x: NDArray[np.float64]
    nll: float
    nll_start: float
    evaluations: int
    iterations: int
    message: str


@dataclass
class Profile:
    """A profile likelihood: the parameter fixed on a grid, the others re-optimised."""

    parameter: str
    grid: NDArray[np.float64]  # on the linear scale
    nll: NDArray[np.float64]


@dataclass
class Calibration:
    """The result of :func:`calibrate`.

    Attributes
    ----------
    objective
        The objective that was minimised.
    starts
        Every start, best first.
    profiles
        Profile likelihoods of the parameters asked for.
    nll_nominal
        The NLL at the parameter table's nominal values.
    """

    objective: PetabObjective
    starts: list[Start]
    nll_nominal: float
    profiles: list[Profile] = field(default_factory=list)

    @property
    def best(self) -> Start:
        """The start with the lowest NLL."""
        return self.starts[0]

    def parameter_table(self) -> pd.DataFrame:
        """The PEtab parameter table with ``nominalValue`` set to the best fit."""
        table = self.objective.parameter_df.copy()
        table.loc[self.objective.x_ids, "nominalValue"] = unscale(
            self.best.x, self.objective.x_scales
        )
        return table

    def waterfall(self) -> pd.DataFrame:
        """One row per start, best first: NLLs, evaluations, the fitted values (their scales)."""
        rows = [
            {
                "rank": rank,
                "start": s.index,
                "nll": s.nll,
                "nll_start": s.nll_start,
                "evaluations": s.evaluations,
                "iterations": s.iterations,
                "message": s.message,
                **dict(zip(self.objective.x_ids, s.x, strict=True)),
            }
            for rank, s in enumerate(self.starts, start=1)
        ]
        return pd.DataFrame(rows)

    def profile_table(self) -> pd.DataFrame:
        """Long table of the profiles: parameter, value (linear scale), nll, threshold."""
        frames = [
            pd.DataFrame({"parameter": p.parameter, "value": p.grid, "nll": p.nll})
            for p in self.profiles
        ]
        table = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=["parameter", "value", "nll"])
        )
        table["threshold_95"] = self.best.nll + CHI2_95_HALF
        return table


def _minimize(
    function: Callable[[NDArray[np.float64]], tuple[float, NDArray[np.float64]]],
    x0: NDArray[np.float64],
    lb: NDArray[np.float64],
    ub: NDArray[np.float64],
    max_iter: int,
) -> Any:
    from scipy.optimize import minimize

    return minimize(
        function,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=list(zip(lb, ub, strict=True)),
        options={"maxiter": max_iter},
    )


def fit_start(
    objective: PetabObjective, index: int, x0: NDArray[np.float64], max_iter: int = MAX_ITER
) -> Start:
    """One bounded L-BFGS-B run of ``objective`` from ``x0`` (its parameters' scales)."""
    before = objective.n_evaluations
    nll_start = objective.nll(x0)
    if not math.isfinite(nll_start):
        return Start(index, x0, x0, math.inf, math.inf, 1, 0, "simulation failed at the start")
    result = _minimize(objective.nll_and_gradient, x0, objective.lb, objective.ub, max_iter)
    return Start(
        index=index,
        x0=x0,
        x=np.asarray(result.x, dtype=np.float64),
        nll=float(result.fun),
        nll_start=nll_start,
        evaluations=objective.n_evaluations - before,
        iterations=int(result.nit),
        message=one_line(result.message),
    )


def start_points(objective: PetabObjective, n: int, seed: int) -> NDArray[np.float64]:
    """``n`` points drawn uniformly within the bounds on the parameters' scales."""
    rng = np.random.default_rng(seed)
    return rng.uniform(objective.lb, objective.ub, size=(n, len(objective.x_ids)))


def profile(
    objective: PetabObjective,
    best: NDArray[np.float64],
    parameter: str,
    *,
    points: int = PROFILE_POINTS,
    max_iter: int = MAX_ITER,
) -> Profile:
    """The profile likelihood of one estimated parameter, from the best fit ``best``.

    The parameter is fixed on ``points`` evenly spaced values (its scale) between the optimum and
    each bound; at each, the other free parameters are re-optimised from the previous point's fit.
    """
    i = objective.x_ids.index(parameter)
    others = np.array([j for j in range(len(best)) if j != i], dtype=np.int64)
    grid: list[float] = [float(best[i])]
    nlls: list[float] = [objective.nll(best)]
    for bound in (objective.lb[i], objective.ub[i]):
        current = best.copy()
        for value in np.linspace(best[i], bound, points + 1)[1:]:
            current[i] = value

            def reduced(
                y: NDArray[np.float64], at: NDArray[np.float64] = current
            ) -> tuple[float, NDArray[np.float64]]:
                full = at.copy()
                full[others] = y
                f, g = objective.nll_and_gradient(full)
                return f, g[others]

            if len(others):
                result = _minimize(
                    reduced, current[others], objective.lb[others], objective.ub[others], max_iter
                )
                current[others] = result.x
                value_nll = float(result.fun)
            else:
                value_nll = objective.nll(current)
            grid.append(float(value))
            nlls.append(value_nll)
    order = np.argsort(grid)
    values = unscale(np.asarray(grid)[order], [objective.x_scales[i]] * len(grid))
    return Profile(parameter, values, np.asarray(nlls)[order])


def check_profiles(problem: Any, names: Sequence[str]) -> None:
    """Refuse profile parameters that the problem does not estimate."""
    table = problem.parameter_df
    free = [str(p) for p in table.index[table["estimate"].astype(int) == 1]]
    for name in names:
        if name not in free:
            shown = ", ".join(free[:6]) + (" ..." if len(free) > 6 else "")
            msg = (
                f"--profile {name}: not an estimated parameter of the problem; give one of {shown}"
            )
            raise InputError(msg)


def calibrate(
    problem: Any,
    *,
    starts: int = 10,
    seed: int = 0,
    profiles: Sequence[str] = (),
    profile_points: int = PROFILE_POINTS,
    max_iter: int = MAX_ITER,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Calibration:
    """Calibrate a PEtab v1 problem: multistart local optimisation, then profiles.

    Parameters
    ----------
    problem
        A ``petab.v1.Problem`` (:func:`read_petab`).
    starts
        Number of local optimisations.
    seed
        Seed of the start points (uniform within the bounds, on the parameters' scales).
    profiles
        Estimated parameters whose profile likelihood to compute at the best fit.
    profile_points
        Grid points on each side of the optimum, per profile.
    max_iter
        L-BFGS-B iterations per run, at most.
    scheduler
        Address of a ``dask.distributed`` scheduler to spread the starts over.
    progress
        Called with 1 after each finished start and profile.

    Returns
    -------
    The starts (best first), the NLL at the nominal values and the profiles.
    """
    if starts < 1:
        msg = f"--starts {starts}: give at least 1 start"
        raise InputError(msg)
    objective = PetabObjective(problem)
    if not objective.x_ids:
        msg = "the parameter table estimates no parameter (estimate = 1); nothing to calibrate"
        raise InputError(msg)
    check_profiles(problem, profiles)
    advance = progress or (lambda _n: None)
    points = start_points(objective, starts, seed)
    results = _run_starts(objective, points, max_iter, scheduler, advance)
    results.sort(key=lambda s: (not math.isfinite(s.nll), s.nll, s.index))
    calibration = Calibration(objective, results, objective.nll(objective.x_nominal))
    for name in profiles:
        calibration.profiles.append(
            profile(objective, results[0].x, name, points=profile_points, max_iter=max_iter)
        )
        advance(1)
    return calibration


def _run_starts(
    objective: PetabObjective,
    points: NDArray[np.float64],
    max_iter: int,
    scheduler: str | None,
    advance: Callable[[int], None],
) -> list[Start]:
    if scheduler is None:
        results = []
        for index, x0 in enumerate(points):
            results.append(fit_start(objective, index, x0, max_iter))
            advance(1)
        return results
    from senox._dask import client_for

    client = client_for(scheduler)
    try:
        from distributed import as_completed

        shared = client.scatter(objective, broadcast=True)
        futures = [
            client.submit(fit_start, shared, index, x0, max_iter, pure=False)
            for index, x0 in enumerate(points)
        ]
        results = []
        for future in as_completed(futures):
            results.append(future.result())
            advance(1)
        objective.n_evaluations += sum(s.evaluations for s in results)
        return results
    finally:
        client.close()


def plot_waterfall(calibration: Calibration, path: Path) -> None:
    """The waterfall plot: final NLL of every start, sorted, relative to the best."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    nll = np.array([s.nll for s in calibration.starts])
    finite = np.isfinite(nll)
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ranks = np.arange(1, len(nll) + 1)
    ax.plot(ranks[finite], nll[finite] - nll[finite].min() + 1.0, "o-", color="C0")
    if math.isfinite(calibration.nll_nominal):
        ax.axhline(
            calibration.nll_nominal - nll[finite].min() + 1.0,
            color="C3",
            ls="--",
            label="nominal parameters",
        )
        ax.legend(frameon=False)
    ax.set_yscale("log")
    ax.set_xlabel("start (sorted by final NLL)")
    ax.set_ylabel("NLL − best NLL + 1")
    ax.set_title(f"Waterfall: {int(finite.sum())} of {len(nll)} starts finished")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_profiles(calibration: Calibration, path: Path) -> None:
    """One panel per profile: NLL − best NLL against the parameter, with the 95 % threshold."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    n = len(calibration.profiles)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.0), squeeze=False)
    best = calibration.best.nll
    for ax, p, scale in zip(
        axes[0],
        calibration.profiles,
        [
            calibration.objective.x_scales[calibration.objective.x_ids.index(p.parameter)]
            for p in calibration.profiles
        ],
        strict=True,
    ):
        ax.plot(p.grid, p.nll - best, "o-")
        ax.axhline(CHI2_95_HALF, color="C3", ls="--", lw=1)
        if scale != "lin":
            ax.set_xscale("log")
        ax.set_xlabel(p.parameter)
        ax.set_ylabel("NLL − best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_calibration(calibration: Calibration, folder: Path) -> list[str]:
    """Write the calibration's outputs into ``folder`` (a staging folder); return their names.

    ``parameters.tsv`` (PEtab parameter table, ``nominalValue`` = best fit),
    ``simulation.tsv`` (PEtab simulation table at the best fit), ``waterfall.tsv`` and
    ``waterfall.png``; with profiles, ``profiles.tsv`` and ``profiles.png``.
    """
    petab = _require("petab.v1")
    petab.write_parameter_df(calibration.parameter_table(), folder / "parameters.tsv")
    petab.write_simulation_df(
        calibration.objective.simulation_table(calibration.best.x), folder / "simulation.tsv"
    )
    calibration.waterfall().to_csv(folder / "waterfall.tsv", sep="\t", index=False)
    plot_waterfall(calibration, folder / "waterfall.png")
    names = ["parameters.tsv", "simulation.tsv", "waterfall.tsv", "waterfall.png"]
    if calibration.profiles:
        calibration.profile_table().to_csv(folder / "profiles.tsv", sep="\t", index=False)
        plot_profiles(calibration, folder / "profiles.png")
        names += ["profiles.tsv", "profiles.png"]
    return names
