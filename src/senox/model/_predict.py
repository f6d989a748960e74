"""Predicting a PEtab problem's measurements from parameters fitted elsewhere.

The out-of-sample check of a calibration: fit on some arms (``senox model calibrate``), then
simulate other arms, or a new data set that shares the parameters, at the fitted values and say
how far the data lie from the prediction. Residuals are taken on each observable's
transformation scale (``log``: log simulated − log measured), so 0.1 is about 10 % for a
log-normal observable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from senox._errors import InputError
from senox.model._petab_objective import PetabObjective, transformed_residual
from senox.model._sbml import _require

if TYPE_CHECKING:
    from numpy.typing import NDArray


@dataclass
class Prediction:
    """The result of :func:`predict`.

    Attributes
    ----------
    objective
        The problem's objective, its parameter table carrying the values predicted with.
    residuals
        One row per measurement: the PEtab simulation table plus ``measurement``, ``sigma``,
        ``residual`` (on the observable's transformation scale) and ``scaled_residual``
        (residual / sigma).
    nll
        The negative log-likelihood of the measurements under the prediction.
    taken
        Parameter IDs whose value came from the fitted table.
    """

    objective: PetabObjective
    residuals: pd.DataFrame
    nll: float
    taken: list[str]

    def summary(self) -> pd.DataFrame:
        """Per observable and condition: rows, root mean square and mean of the residuals."""
        grouped = self.residuals.groupby(["observableId", "simulationConditionId"], sort=False)
        return (
            grouped["residual"]
            .agg(
                rows="size",
                rms_residual=lambda r: float(np.sqrt(np.mean(r**2))),
                mean_residual="mean",
            )
            .reset_index()
        )


def read_fitted(path: str | Path) -> pd.Series:
    """Parameter values of a PEtab parameter table (``parameterId`` → ``nominalValue``)."""
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such parameter table; give the parameters.tsv a calibration wrote"
        raise InputError(msg)
    try:
        table = pd.read_csv(path, sep="\t")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        kind = type(exc).__name__
        msg = f"{path}: not a tab-separated table ({kind}); give a PEtab parameter table"
        raise InputError(msg) from None
    missing = {"parameterId", "nominalValue"} - set(table.columns)
    if missing:
        msg = (
            f"{path}: no {', '.join(sorted(missing))} column; give a PEtab parameter table "
            "(parameterId, nominalValue, ...)"
        )
        raise InputError(msg)
    values = pd.to_numeric(table["nominalValue"], errors="coerce")
    bad = table["parameterId"][~np.isfinite(values)]
    if len(bad):
        msg = f"{path}: nominalValue of {bad.iloc[0]} is not a finite number; fix that row"
        raise InputError(msg)
    if table["parameterId"].duplicated().any():
        twice = table["parameterId"][table["parameterId"].duplicated()].iloc[0]
        msg = f"{path}: parameter {twice} is listed twice; keep one row per parameter"
        raise InputError(msg)
    return pd.Series(values.to_numpy(dtype=np.float64), index=table["parameterId"].astype(str))


def with_fitted(problem: Any, fitted: pd.Series) -> tuple[Any, list[str]]:
    """A copy of ``problem`` whose nominal values are the fitted ones where the IDs match."""
    petab = _require("petab.v1")
    table = problem.parameter_df.copy()
    taken = [p for p in table.index if p in fitted.index]
    if not taken:
        shown = ", ".join(list(fitted.index[:4]))
        msg = (
            f"none of the fitted parameters ({shown} ...) is in the problem's parameter table; "
            "give the parameters of a calibration of the same model"
        )
        raise InputError(msg)
    table.loc[taken, petab.NOMINAL_VALUE] = fitted[taken].to_numpy()
    logged = table[petab.PARAMETER_SCALE].isin(["log", "log10"]) & (table[petab.NOMINAL_VALUE] <= 0)
    if logged.any():
        name = logged[logged].index[0]
        value = table.loc[name, petab.NOMINAL_VALUE]
        msg = (
            f"parameter {name}: fitted value {value} is not positive but its scale is "
            "logarithmic; give a positive value"
        )
        raise InputError(msg)
    copy = petab.Problem(
        model=problem.model,
        condition_df=problem.condition_df,
        measurement_df=problem.measurement_df,
        parameter_df=table,
        observable_df=problem.observable_df,
    )
    return copy, [str(p) for p in taken]


def residual_table(objective: PetabObjective, x: NDArray[np.float64]) -> pd.DataFrame:
    """The simulation table at ``x`` with measurements, sigmas and residuals per row."""
    simulated, sigma = objective.predictions(x)
    table = objective.measurements.copy()
    table["simulation"] = simulated
    table["sigma"] = sigma
    residual = np.full(len(table), np.nan)
    for output in objective.outputs:
        residual[output.rows] = transformed_residual(
            objective.measured[output.rows], simulated[output.rows], output.transform
        )
    table["residual"] = residual
    table["scaled_residual"] = residual / sigma
    return table


def predict(problem: Any, fitted: pd.Series) -> Prediction:
    """Simulate ``problem`` at fitted parameter values and compare with its measurements.

    Parameters
    ----------
    problem
        A ``petab.v1.Problem`` (:func:`senox.model.read_petab`): the arms to predict.
    fitted
        Parameter values by ID, e.g. :func:`read_fitted` of a calibration's ``parameters.tsv``.
        Parameters the problem has and ``fitted`` lacks keep the problem's nominal values;
        fitted parameters the problem lacks are ignored.

    Returns
    -------
    The residual of every measurement, the NLL and which values came from ``fitted``.
    """
    copy, taken = with_fitted(problem, fitted)
    objective = PetabObjective(copy)
    x = objective.x_nominal
    nll = objective.nll(x)
    if not math.isfinite(nll):
        msg = "the model cannot be simulated at the fitted values (integrator failure); check them"
        raise InputError(msg)
    return Prediction(objective, residual_table(objective, x), nll, taken)


def plot_prediction(prediction: Prediction, path: Path) -> None:
    """One panel per observable and condition: measured points and the predicted values."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(
        prediction.residuals.groupby(["observableId", "simulationConditionId"], sort=False)
    )
    columns = min(4, len(groups))
    rows = math.ceil(len(groups) / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.2 * columns, 2.6 * rows), squeeze=False, sharex=False
    )
    transforms = {o.observable_id: o.transform for o in prediction.objective.outputs}
    for ax, ((observable, condition), group) in zip(axes.flat, groups, strict=False):
        ordered = group.sort_values("time")
        ax.plot(ordered["time"], ordered["measurement"], "o", ms=3, color="0.4", label="measured")
        line = ordered.groupby("time")["simulation"].first()
        ax.plot(line.index, line.to_numpy(), "-", color="C3", lw=2, label="predicted")
        if transforms[str(observable)] != "lin":
            ax.set_yscale("log")
        ax.set_title(f"{condition}: {observable}", fontsize=9)
        ax.set_xlabel("time")
    for ax in list(axes.flat)[len(groups) :]:
        ax.set_visible(False)
    axes.flat[0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def write_prediction(prediction: Prediction, folder: Path) -> list[str]:
    """Write ``simulation.tsv``, ``residuals.tsv``, ``summary.tsv`` and ``prediction.png``."""
    petab = _require("petab.v1")
    extra = ["measurement", "sigma", "residual", "scaled_residual"]
    petab.write_simulation_df(prediction.residuals.drop(columns=extra), folder / "simulation.tsv")
    prediction.residuals.to_csv(folder / "residuals.tsv", sep="\t", index=False)
    prediction.summary().to_csv(folder / "summary.tsv", sep="\t", index=False)
    plot_prediction(prediction, folder / "prediction.png")
    return ["simulation.tsv", "residuals.tsv", "summary.tsv", "prediction.png"]
