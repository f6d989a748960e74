"""Real time courses as PEtab problems of senox's model: one builder per shared data set.

Each builder reads one data set of ``shared/data/calibration`` (read at run time only: the
licences do not let senox bundle them) and returns a :class:`FitData`, from which
:meth:`FitData.problem` writes a PEtab v1 problem of ``redox_senescence`` for all arms or a
subset (held-back predictions fit some arms and predict the others).

Choices shared by the builders (docs/model-calibration.md gives the reasons at length):

* **Per-animal (per-well) rows, not arm means.** Mice of one arm are measured on different days
  (staggered cohorts), so an arm's mean on a day mixes different animals; every measured volume
  is a row of its arm's condition instead, and the noise model absorbs animal-to-animal spread.
* **Informative drop-out.** Animals leave at a volume endpoint. An arm is followed while at
  least half of its animals are still measured: its rows stop at the ``ceil(n/2)``-th largest
  last-measurement day (:func:`dropout_cutoff`).
* **Observable** ``volume = V0 * (P + S_i + S_p + E) + V_floor``, log-normal noise
  (``observableTransformation = log``, standard deviation ``sd_volume`` on the log scale).
  ``V0`` is the arm's geometric-mean volume at day 0 (the model's burden 1 = the tumour at the
  start of therapy), given per row as ``observableParameters``, not fitted. ``V_floor`` is the
  detection floor: where a xenograft set records zeros (no palpable tumour), half its smallest
  positive volume, and the zeros become ``V_floor`` (PEtab v1 has no censored observations);
  0 where it records none; in vitro, the blank wells' confluence (the imaging background).
* **Doses** are events at the study's dose times whose amounts come from the condition table
  (``dose_<species>``, :func:`senox.model._petab.dose_parameter`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from senox._errors import InputError
from senox.model._petab import dose_parameter, to_petab
from senox.model._spec import load_model

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from numpy.typing import NDArray

#: The observable of every problem here.
VOLUME = "volume"
#: Bounds and nominal value of the log-scale noise standard deviation.
SD_BOUNDS, SD_NOMINAL = (0.01, 3.0), 0.3

#: Reference doses: the amount (mg/kg or nM) that is one dose equivalent of the model.
#: Temozolomide: 50 mg/kg in mice = 150 mg/m2 in humans (the adjuvant dose of Stupp et al. 2005,
#: N Engl J Med 352:987-996) with the FDA's body-surface factors (human 37, mouse 3 kg/m2;
#: FDA guidance "Estimating the maximum safe starting dose", 2005, Table 1).
TEMOZOLOMIDE_MG_PER_KG = 50.0
#: Palbociclib: the study's only dose, 200 mg/kg daily (EC50_cdk is kept, k_cdk is fitted).
PALBOCICLIB_MG_PER_KG = 200.0
#: Doxorubicin in vitro: 100 nM is one dose equivalent (a scale choice; EC50_geno is fitted).
DOXORUBICIN_NM = 100.0


@dataclass(frozen=True)
class FitData:
    """A data set as the pieces of a PEtab problem of senox's model.

    Attributes
    ----------
    name
        Short name of the data set (folder name of its results).
    measurements
        PEtab measurement table (observable ``volume``), one row per animal (well) and time.
    conditions
        PEtab condition table: one row per arm, the amount of each scheduled dose.
    dose_times
        Per exposure species, the times (days) of its dose events.
    estimate
        The parameters fitted: model parameters and ``sd_volume``.
    bounds
        Per model parameter, its (lower, upper) bounds for the fit where not its range.
    floor
        ``V_floor``, the detection floor (volume units).
    nominal
        Per model parameter, the value this data set fixes in place of the model's.
    held_out
        Arms held back from the fit whose prediction is checked.
    notes
        What the builder chose, in sentences (drug mapping, schedule assumptions, cut-offs).
    """

    name: str
    measurements: pd.DataFrame
    conditions: pd.DataFrame
    dose_times: dict[str, list[float]]
    estimate: tuple[str, ...]
    bounds: dict[str, tuple[float, float]]
    floor: float
    nominal: dict[str, float] = field(default_factory=dict)
    held_out: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def arms(self) -> list[str]:
        """Condition ids, in the order of the condition table."""
        return [str(i) for i in self.conditions.index]

    def problem(self, arms: Sequence[str] | None = None) -> dict[str, str]:
        """The PEtab problem (file name -> text) for ``arms`` (default: all arms)."""
        chosen = self.arms if arms is None else list(arms)
        unknown = sorted(set(chosen) - set(self.arms))
        if unknown:
            msg = f"arms: unknown arm(s) {', '.join(unknown)}; give some of {', '.join(self.arms)}"
            raise InputError(msg)
        rows = self.measurements["simulationConditionId"].isin(chosen)
        return to_petab(
            load_model("redox_senescence"),
            measurements=self.measurements[rows].reset_index(drop=True),
            estimate=self.estimate,
            dose_times=self.dose_times,
            conditions=self.conditions.loc[chosen],
            observables=_observables(),
            extra_parameters=_extra_parameters(self.floor),
            bounds=self.bounds,
            nominal=self.nominal,
        )


def write_problem(files: dict[str, str], folder: Path) -> Path:
    """Write a problem's files into ``folder`` (created); return its YAML path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return next(folder / name for name in files if name.endswith(".yaml"))


def _observables() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "observableId": [VOLUME],
            "observableName": ["tumour volume (or confluence): V0 * burden + detection floor"],
            "observableFormula": [f"observableParameter1_{VOLUME} * (P + S_i + S_p + E) + V_floor"],
            "observableTransformation": ["log"],
            "noiseFormula": ["sd_volume"],
            "noiseDistribution": ["normal"],
        }
    ).set_index("observableId")


def _extra_parameters(floor: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parameterId": ["sd_volume", "V_floor"],
            "parameterName": [
                "standard deviation of log volume",
                "detection floor of the volume",
            ],
            "parameterScale": ["log10", "lin"],
            "lowerBound": [SD_BOUNDS[0], 0.0],
            "upperBound": [SD_BOUNDS[1], max(1.0, 10.0 * floor)],
            "nominalValue": [SD_NOMINAL, floor],
        }
    ).set_index("parameterId")


def _read_csv(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        msg = f"{path}: no such data file; point at shared/data/calibration (set SENOX_SHARED)"
        raise InputError(msg)
    table = pd.read_csv(path)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        msg = (
            f"{path}: missing column(s) {', '.join(missing)}; give a file with {', '.join(columns)}"
        )
        raise InputError(msg)
    return table


def condition_id(label: str) -> str:
    """A PEtab-safe id from an arm label: ``palb_200+tem_2.25`` -> ``palb_200_tem_2_25``."""
    text = re.sub(r"[^0-9A-Za-z_]+", "_", label).strip("_")
    return text if text and not text[0].isdigit() else f"arm_{text}"


def dropout_cutoff(last_days: pd.Series) -> float:
    """The last day on which at least half of an arm's animals are still measured.

    ``last_days`` holds each animal's last measurement day; the cut-off is the ``ceil(n/2)``-th
    largest of them.
    """
    ordered = np.sort(last_days.to_numpy(dtype=np.float64))[::-1]
    return float(ordered[math.ceil(len(ordered) / 2) - 1])


def _per_animal(
    table: pd.DataFrame, *, arm: str, animal: str, day: str, volume: str
) -> tuple[pd.DataFrame, dict[str, float], dict[str, float]]:
    """Rows kept by the drop-out rule; each arm's cut-off day and day-0 geometric-mean volume."""
    table = table.dropna(subset=[volume])
    kept, cutoffs, v0 = [], {}, {}
    for label, rows in table.groupby(arm, sort=False):
        cutoff = dropout_cutoff(rows.groupby(animal)[day].max())
        start = rows.loc[rows[day] == 0, volume]
        start = start[start > 0]
        if start.empty:
            msg = f"arm '{label}': no positive volume at day 0; the arm needs its starting volumes"
            raise InputError(msg)
        cutoffs[str(label)] = cutoff
        v0[str(label)] = float(np.exp(np.log(start).mean()))
        kept.append(rows[rows[day] <= cutoff])
    return pd.concat(kept), cutoffs, v0


def _measurement_rows(
    kept: pd.DataFrame, v0: dict[str, float], floor: float, *, arm: str, day: str, volume: str
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "observableId": VOLUME,
            "simulationConditionId": [condition_id(str(a)) for a in kept[arm]],
            "time": kept[day].to_numpy(dtype=np.float64),
            "measurement": np.maximum(kept[volume].to_numpy(dtype=np.float64), floor),
            "observableParameters": [repr(v0[str(a)]) for a in kept[arm]],
        }
    ).reset_index(drop=True)


def _floor(volumes: pd.Series) -> float:
    """Half the smallest positive volume where some volumes are 0; 0 where none is."""
    positive = volumes[volumes > 0]
    return float(positive.min()) / 2.0 if (volumes <= 0).any() else 0.0


# ---------------------------------------------------------------------------- maeve


_MAEVE_ARM = re.compile(r"^(?:veh|palb_(?P<palb>[\d.]+))?\+?(?:tem_(?P<tem>[\d.]+))?$")


def maeve_palbo_temo(path: Path) -> FitData:
    """Glioblastoma PDX under palbociclib x temozolomide (maeve ``palb_temo_01.csv``, 8 arms).

    Palbociclib (CDK4/6 inhibitor) -> ``C_cdk``, daily d0-20, 1 dose equivalent =
    :data:`PALBOCICLIB_MG_PER_KG`; temozolomide (alkylating, genotoxic) -> ``C_geno``, daily d0-4,
    1 dose equivalent = :data:`TEMOZOLOMIDE_MG_PER_KG`. The combinations are held out.
    """
    columns = ["group_name", "animalID", "DAY_OF_STUDY", "TUMOR_VOLUME"]
    table = _read_csv(path, columns)
    amounts = {}
    for label in table["group_name"].unique():
        match = _MAEVE_ARM.match(str(label))
        if match is None:
            msg = f"{path}: group_name '{label}' is not veh, palb_X, tem_Y or palb_X+tem_Y"
            raise InputError(msg)
        palb, tem = float(match["palb"] or 0.0), float(match["tem"] or 0.0)
        amounts[str(label)] = {
            dose_parameter("C_cdk"): palb / PALBOCICLIB_MG_PER_KG,
            dose_parameter("C_geno"): tem / TEMOZOLOMIDE_MG_PER_KG,
        }
    floor = _floor(table["TUMOR_VOLUME"].dropna())
    kept, cutoffs, v0 = _per_animal(
        table, arm="group_name", animal="animalID", day="DAY_OF_STUDY", volume="TUMOR_VOLUME"
    )
    measurements = _measurement_rows(
        kept, v0, floor, arm="group_name", day="DAY_OF_STUDY", volume="TUMOR_VOLUME"
    )
    conditions = _conditions(amounts)
    held = tuple(
        condition_id(a)
        for a in amounts
        if amounts[a][dose_parameter("C_cdk")] > 0 and amounts[a][dose_parameter("C_geno")] > 0
    )
    return FitData(
        name="maeve_palbo_temo",
        measurements=measurements,
        conditions=conditions,
        dose_times={"C_cdk": [float(d) for d in range(21)], "C_geno": [float(d) for d in range(5)]},
        estimate=("r_P", "K_cap", "k_cdk", "EC50_geno", "k_death", "k_sen", "k_esc", "sd_volume"),
        bounds={
            "r_P": (0.005, 0.5),
            "K_cap": (1.0, 100.0),
            "k_cdk": (0.001, 5.0),
            "EC50_geno": (0.001, 10.0),
            "k_death": (0.001, 10.0),
            "k_sen": (0.001, 10.0),
            "k_esc": (1e-5, 0.5),
        },
        floor=floor,
        held_out=held,
        notes=(
            "palbociclib -> C_cdk, 1 dose equivalent = 200 mg/kg, daily days 0-20",
            "temozolomide -> C_geno, 1 dose equivalent = 50 mg/kg, daily days 0-4",
            "arm cut-offs (day): "
            + ", ".join(f"{condition_id(a)} {c:g}" for a, c in cutoffs.items()),
        ),
    )


def _conditions(amounts: dict[str, dict[str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(amounts, orient="index")
    frame.insert(0, "conditionName", list(amounts))
    frame.index = pd.Index([condition_id(a) for a in amounts], name="conditionId")
    return frame


# ---------------------------------------------------------------------------- tumr

#: tumr melanoma1 treatment codes (package help text): code -> (label, vemurafenib, BSO).
TUMR_ARMS = {
    "A": ("control", 0.0, 0.0),
    "B": ("vemurafenib", 1.0, 0.0),
    "C": ("BSO", 0.0, 1.0),
    "D": ("vemurafenib+BSO", 1.0, 1.0),
}


def tumr_melanoma_bso(path: Path) -> FitData:
    """A375 xenografts under vemurafenib +/- BSO (tumr ``melanoma1.csv``, arms A-D).

    Vemurafenib -> ``C_cdk``: in BRAF-V600E melanoma it blocks MAPK signalling to cyclin D1, so
    cells arrest in G1 through the same CDK4/6-RB step (no new exposure is needed). BSO ->
    ``C_gsh`` (GSH-synthesis block). Doses and schedules are not given with the data: both drugs
    are taken as continuous exposures from day 0 (an assumption; BSO is usually given in the
    drinking water), written as one dose of 1 at day 0 with the two exposures' clearance fixed
    at 0, so that each effect is constant, ``1 / (EC50 + 1)``. Vemurafenib + BSO is held out.
    """
    table = _read_csv(path, ["ID", "Day", "Volume", "Treatment"])
    unknown = sorted(set(table["Treatment"].astype(str)) - set(TUMR_ARMS))
    if unknown:
        msg = f"{path}: Treatment code(s) {', '.join(unknown)} unknown; give {', '.join(TUMR_ARMS)}"
        raise InputError(msg)
    table = table.assign(arm=[TUMR_ARMS[str(t)][0] for t in table["Treatment"]])
    floor = _floor(table["Volume"].dropna())
    kept, cutoffs, v0 = _per_animal(table, arm="arm", animal="ID", day="Day", volume="Volume")
    measurements = _measurement_rows(kept, v0, floor, arm="arm", day="Day", volume="Volume")
    amounts = {
        label: {dose_parameter("C_cdk"): vem, dose_parameter("C_gsh"): bso}
        for label, vem, bso in TUMR_ARMS.values()
        if label in v0
    }
    return FitData(
        name="tumr_melanoma_bso",
        measurements=measurements,
        conditions=_conditions(amounts),
        dose_times={"C_cdk": [0.0], "C_gsh": [0.0]},
        estimate=("r_P", "K_cap", "EC50_cdk", "k_cdk", "k_IS", "k_esc", "d_ros", "sd_volume"),
        bounds={
            "r_P": (0.005, 0.5),
            "K_cap": (1.0, 200.0),
            "EC50_cdk": (0.001, 10.0),
            "k_cdk": (0.001, 5.0),
            "k_IS": (0.001, 2.0),
            "k_esc": (1e-5, 0.5),
            "d_ros": (0.01, 2.0),
            "k_cl_cdk": (0.0, 1.4),
            "k_cl_gsh": (0.0, 2.0),
        },
        floor=floor,
        nominal={"k_cl_cdk": 0.0, "k_cl_gsh": 0.0},
        held_out=(condition_id("vemurafenib+BSO"),),
        notes=(
            "vemurafenib -> C_cdk (BRAF-MAPK-cyclin D1 feeds CDK4/6: G1 arrest), continuous "
            "exposure 1 from day 0 (schedule not given: assumed continuous)",
            "BSO -> C_gsh (GSH-synthesis block), continuous exposure 1 from day 0",
            "arm cut-offs (day): "
            + ", ".join(f"{condition_id(a)} {c:g}" for a, c in cutoffs.items()),
        ),
    )


# ---------------------------------------------------------------------------- meyer

#: The Meyer-lab experiments used (phase-contrast confluence), with doxorubicin columns.
MEYER_EXPERIMENTS = ("101117_H1299", "030317-2_H1299")
_DOX = re.compile(r"^dox\s+([\d.]+)$", re.IGNORECASE)


def meyer_h1299_dox(folder: Path) -> FitData:
    """H1299 cells under doxorubicin, IncuCyte confluence 0-72 h (Meyer lab, two experiments).

    Doxorubicin -> ``C_geno``, one dose at time 0, 1 dose equivalent = :data:`DOXORUBICIN_NM`.
    One condition per experiment and concentration (``V0``, the mean time-0 confluence of the
    well, must be constant within a condition); each column stacks three series (replicates
    the README does not name), all of them rows of its condition. The floor is the blank wells'
    mean confluence. 25 and 100 nM are held out.
    """
    frames, blanks, amounts = [], [], {}
    for experiment in MEYER_EXPERIMENTS:
        path = folder / f"{experiment}_confluence_phase.csv"
        table = _read_csv(path, ["Elapsed", "Control"])
        if "Blank" in table:
            blanks.append(table["Blank"].to_numpy(dtype=np.float64))
        wells = {"Control": 0.0}
        wells |= {c: float(m[1]) for c in table.columns if (m := _DOX.match(str(c)))}
        for column, nm in wells.items():
            label = f"e{experiment.split('_')[0]}_dox_{nm:g}nM"
            amounts[label] = {dose_parameter("C_geno"): nm / DOXORUBICIN_NM}
            start = table.loc[table["Elapsed"] == 0, column].to_numpy(dtype=np.float64)
            frames.append(
                pd.DataFrame(
                    {
                        "arm": label,
                        "day": table["Elapsed"].to_numpy(dtype=np.float64) / 24.0,
                        "value": table[column].to_numpy(dtype=np.float64),
                        "v0": float(start.mean()),
                    }
                )
            )
    if not blanks:
        msg = f"{folder}: no 'Blank' column in any experiment; the floor needs blank wells"
        raise InputError(msg)
    floor = float(np.mean(np.concatenate(blanks)))
    data = pd.concat(frames, ignore_index=True).dropna(subset=["value"])
    measurements = pd.DataFrame(
        {
            "observableId": VOLUME,
            "simulationConditionId": [condition_id(a) for a in data["arm"]],
            "time": data["day"].to_numpy(),
            "measurement": np.maximum(data["value"].to_numpy(), floor),
            "observableParameters": [repr(v) for v in data["v0"]],
        }
    )
    held = tuple(
        condition_id(a) for a, d in amounts.items() if d[dose_parameter("C_geno")] in (0.25, 1.0)
    )
    return FitData(
        name="meyer_h1299_dox",
        measurements=measurements,
        conditions=_conditions(amounts),
        dose_times={"C_geno": [0.0]},
        estimate=("r_P", "K_cap", "EC50_geno", "k_death", "k_sen", "k_cl_geno", "sd_volume"),
        bounds={
            "r_P": (0.02, 3.0),
            "K_cap": (1.0, 100.0),
            "EC50_geno": (0.001, 10.0),
            "k_death": (0.001, 10.0),
            "k_sen": (0.001, 10.0),
            "k_cl_geno": (0.001, 5.0),
        },
        floor=floor,
        held_out=held,
        notes=(
            "doxorubicin -> C_geno, one dose at time 0, 1 dose equivalent = 100 nM",
            "confluence (% area) in place of volume; the model's immune terms stay at their "
            "defaults (k_IP = 0.01/day, negligible against in vitro growth)",
        ),
    )


def cohort_from_profiles(
    intervals: pd.DataFrame, n: int, *, seed: int = 0
) -> tuple[list[str], NDArray[np.float64]]:
    """A virtual cohort from a calibration: each fitted parameter drawn within its profile interval.

    Parameters
    ----------
    intervals
        One row per fitted model parameter with columns ``parameter``, ``low_95`` and
        ``high_95`` (``validation/results/calibration/<set>/profile_intervals.tsv``).
    n
        Number of virtual patients.
    seed
        Seed of the draws.

    Returns
    -------
    The model's parameter names and an ``(n, n_parameters)`` matrix in model order (for
    :func:`senox.model.simulate`): fitted parameters log-uniform within their 95 % profile
    interval (uniform where it includes 0), every other parameter at the model's value.
    """
    spec = load_model("redox_senescence")
    names = list(spec.parameter_names)
    unknown = sorted(set(intervals["parameter"]) - set(names))
    if unknown:
        msg = f"intervals: unknown parameter(s) {', '.join(unknown)}; give model parameters"
        raise InputError(msg)
    if n < 1:
        msg = f"n = {n}: give at least one virtual patient"
        raise InputError(msg)
    rng = np.random.default_rng(seed)
    cohort = np.tile(np.asarray(spec.parameter_values(), dtype=np.float64), (n, 1))
    for row in intervals.itertuples():
        low, high = float(str(row.low_95)), float(str(row.high_95))
        if not 0 <= low <= high:
            msg = f"intervals: {row.parameter} has interval [{low}, {high}]; give 0 <= low <= high"
            raise InputError(msg)
        column = names.index(str(row.parameter))
        if low > 0:
            cohort[:, column] = np.exp(rng.uniform(np.log(low), np.log(high), n))
        else:
            cohort[:, column] = rng.uniform(low, high, n)
    return names, cohort
