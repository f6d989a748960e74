"""The seed's claims about therapy, senescence and redox as executable scenarios.

Each claim is a comparison of simulated runs of senox's own model, evaluated per virtual patient:
on the default parameters (the scenario tests) and across a virtual cohort drawn from the
parameters' plausible ranges (how robust the claim is in the model). Runs are the shipped
strategies (``senox strategies list``), so the claims test the same data users simulate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from senox.model._ode import simulate
from senox.model._simulate import BURDEN, GROWING, relapse_times, sample_cohort
from senox.model._spec import ModelSpec, load_model
from senox.model._strategy import load_strategy

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from numpy.typing import NDArray

#: A regime in which immune clearance depends on the SASP and the SASP does not feed growth or
#: escape (seed §2.2: cyclophosphamide-treated lymphoma, where NF-kB inhibition shortened
#: survival). Values lie inside the parameters' plausible ranges.
SASP_DEPENDENT_IMMUNITY = {
    "a_I": 6.0,
    "k_IS": 0.15,
    "k_IP": 0.015,
    "k_IE": 0.015,
    "g_A": 0.0,
    "g_esc": 0.0,
}

#: End of the shipped ROS-inducer course (day of its last dose + 1).
END_OF_ROS_COURSE = 84.0


@dataclass(frozen=True)
class Run:
    """One simulated condition: a strategy, parameter overrides, initial values and a horizon."""

    strategy: str
    overrides: tuple[tuple[str, float], ...] = ()
    initial: tuple[tuple[str, float], ...] = ()
    days: float = 365.0


@dataclass
class Runs:
    """Simulates each :class:`Run` once for a parameter matrix and serves its daily states."""

    spec: ModelSpec
    parameters: NDArray[np.float64]
    _cache: dict[Run, NDArray[np.float64]] = field(default_factory=dict)

    def states(self, run: Run) -> NDArray[np.float64]:
        """(patients × days × species) for ``run``."""
        if run not in self._cache:
            params = self.parameters.copy()
            names = self.spec.parameter_names
            for name, value in run.overrides:
                params[:, names.index(name)] = value
            start = dict(zip(self.spec.species_names, self.spec.initial_values(), strict=True))
            start.update(dict(run.initial))
            y0 = np.tile([start[s] for s in self.spec.species_names], (len(params), 1))
            self._cache[run] = simulate(
                self.spec,
                times=self.times(run),
                parameters=params,
                initial=y0,
                doses=load_strategy(run.strategy).doses(),
            )
        return self._cache[run]

    def times(self, run: Run) -> NDArray[np.float64]:
        """The daily grid of ``run``."""
        return np.arange(0.0, run.days + 0.5, 1.0)

    def series(self, run: Run, *names: str) -> NDArray[np.float64]:
        """The sum of the named species (or ``burden``) over time, per patient."""
        index = self.spec.species_names.index
        wanted = [s for n in names for s in (BURDEN if n == "burden" else (n,))]
        picked = self.states(run)[:, :, [index(s) for s in wanted]]
        return np.asarray(picked.sum(axis=2), dtype=np.float64)

    def relapse(self, run: Run) -> NDArray[np.float64]:
        """Time to relapse per patient; runs that do not relapse count as +inf.

        Relapse is defined as in strategy simulations: the dividing cells (:data:`GROWING`)
        regrow to the tumour's starting size.
        """
        burden = self.series(run, "burden")
        growing = self.series(run, *GROWING)
        ttr = relapse_times(self.times(run), growing, threshold=burden[:, 0])
        return np.where(np.isnan(ttr), np.inf, ttr)


def _auc(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Daily-grid integral (trapezoid) per patient."""
    return np.asarray(np.trapezoid(values, dx=1.0, axis=1), dtype=np.float64)


@dataclass(frozen=True)
class Claim:
    """A claim of the seed, its section, what the model checks, and the check itself."""

    key: str
    text: str
    section: str
    check: str
    holds: Callable[[Runs], NDArray[np.bool_]]


CHEMO, UNTREATED = Run("chemo"), Run("untreated")


def _chemo_regresses_then_relapses(r: Runs) -> NDArray[np.bool_]:
    early = slice(0, 91)
    senescent = r.series(CHEMO, "S_i", "S_p")[:, early].max(axis=1)
    sasp = r.series(CHEMO, "A_nfkb", "A_p53")[:, early].max(axis=1)
    ttr = r.relapse(CHEMO)
    relapsed = np.isfinite(ttr)
    at = np.clip(np.nan_to_num(ttr, posinf=0.0).astype(int), 0, int(CHEMO.days))
    rows = np.arange(len(ttr))
    escaped_share = r.series(CHEMO, "E")[rows, at] / r.series(CHEMO, "burden")[rows, at]
    return np.asarray(
        (r.series(CHEMO, "burden").min(axis=1) < 0.5)
        & (senescent > r.series(UNTREATED, "S_i", "S_p")[:, early].max(axis=1))
        & (sasp > r.series(UNTREATED, "A_nfkb", "A_p53")[:, early].max(axis=1))
        & relapsed
        & (escaped_share > 0.5)
    )


def _senolytic_helps(r: Runs) -> NDArray[np.bool_]:
    both = Run("chemo+senolytic")
    return np.asarray(
        (_auc(r.series(both, "S_i", "S_p")) < _auc(r.series(CHEMO, "S_i", "S_p")))
        & (_auc(r.series(both, "A_nfkb", "A_p53")) < _auc(r.series(CHEMO, "A_nfkb", "A_p53")))
        & (r.relapse(both) > r.relapse(CHEMO))
    )


def _senomorphic_lowers_sasp_only(r: Runs) -> NDArray[np.bool_]:
    both = Run("chemo+senomorphic")
    return np.asarray(
        (_auc(r.series(both, "A_nfkb", "A_p53")) < _auc(r.series(CHEMO, "A_nfkb", "A_p53")))
        & (_auc(r.series(both, "S_i", "S_p")) >= 0.99 * _auc(r.series(CHEMO, "S_i", "S_p")))
    )


def _senomorphic_shortens_when_immunity_needs_sasp(r: Runs) -> NDArray[np.bool_]:
    regime = tuple(SASP_DEPENDENT_IMMUNITY.items())
    chemo, both = Run("chemo", regime), Run("chemo+senomorphic", regime)
    return np.asarray(r.relapse(both) < r.relapse(chemo))


def _p53_sasp_clears_better(r: Runs) -> NDArray[np.bool_]:
    nfkb = Run("untreated", initial=(("P", 0.5), ("S_i", 0.5)), days=60.0)
    p53 = Run("untreated", initial=(("P", 0.5), ("S_p", 0.5)), days=60.0)
    return np.asarray(
        (r.series(p53, "S_i", "S_p")[:, 30] < r.series(nfkb, "S_i", "S_p")[:, 30])
        & (r.series(p53, "I").max(axis=1) > r.series(nfkb, "I").max(axis=1))
    )


def _gsh_depletion_sensitises(r: Runs) -> NDArray[np.bool_]:
    both = Run("chemo+gsh_depletion")
    return np.asarray(
        (r.relapse(both) > r.relapse(CHEMO))
        & (r.series(both, "burden").min(axis=1) < r.series(CHEMO, "burden").min(axis=1))
    )


def _nrf2_activation_resists(r: Runs) -> NDArray[np.bool_]:
    spec_range = {p.name: (p.low, p.high) for p in r.spec.parameters}["n_max"]
    weak = Run("ros_inducer", (("n_max", spec_range[0]),))
    strong = Run("ros_inducer", (("n_max", spec_range[1]),))
    return np.asarray(
        (r.relapse(strong) < r.relapse(weak))
        | (r.series(strong, "burden").min(axis=1) > r.series(weak, "burden").min(axis=1))
    )


def _ros_enriches_escape(r: Runs) -> NDArray[np.bool_]:
    day = int(END_OF_ROS_COURSE)
    ros, both = Run("ros_inducer"), Run("ros_inducer+nrf2_inhibitor")

    def share(run: Run) -> NDArray[np.float64]:
        return r.series(run, "E")[:, day] / r.series(run, "burden")[:, day]

    return np.asarray(
        (share(ros) > share(UNTREATED)) & (r.series(both, "E")[:, day] < r.series(ros, "E")[:, day])
    )


def _oxidative_stress_amplifies_sasp(r: Runs) -> NDArray[np.bool_]:
    start = (("P", 0.01), ("S_i", 0.5))
    calm = Run("untreated", initial=start, days=30.0)
    stressed = Run("gsh_depletion", initial=start, days=30.0)

    def per_cell(run: Run) -> NDArray[np.float64]:
        return r.series(run, "A_nfkb")[:, 20] / r.series(run, "S_i")[:, 20]

    return np.asarray(per_cell(stressed) > per_cell(calm))


CLAIMS = (
    Claim(
        "a",
        "Chemotherapy alone regresses the tumour, accumulates senescent cells and SASP, then "
        "relapses through escaped cells",
        "§2.1, §3.2, §4.2.1",
        "chemo: burden falls below 0.5; peak senescent burden and SASP in the first 90 days exceed "
        "untreated; relapse within 365 days; escaped cells are > 50 % of the tumour at relapse",
        _chemo_regresses_then_relapses,
    ),
    Claim(
        "b",
        "Chemotherapy followed by a senolytic lowers senescent burden and SASP and delays relapse",
        "§4.1.3",
        "chemo+senolytic vs chemo: lower senescent-burden AUC, lower SASP AUC, later relapse",
        _senolytic_helps,
    ),
    Claim(
        "c1",
        "A senomorphic lowers the SASP without lowering senescent-cell burden",
        "§4.1.4",
        "chemo+senomorphic vs chemo: lower SASP AUC, senescent-burden AUC not lower (≥ 99 %)",
        _senomorphic_lowers_sasp_only,
    ),
    Claim(
        "c2",
        "Where immune clearance depends on the SASP, a senomorphic can shorten time to relapse",
        "§2.2",
        "same comparison in the SASP-dependent-immunity regime "
        "(SASP_DEPENDENT_IMMUNITY): earlier relapse with the senomorphic",
        _senomorphic_shortens_when_immunity_needs_sasp,
    ),
    Claim(
        "d",
        "p53-driven (CDK4/6i-like) senescence supports immune clearance better than "
        "NF-kB-driven (doxorubicin-like) senescence",
        "§2.2",
        "start with half the tumour senescent, p53 type vs NF-kB type, no drug: fewer senescent "
        "cells left at day 30 and a higher immune peak with p53 type",
        _p53_sasp_clears_better,
    ),
    Claim(
        "e1",
        "GSH depletion sensitises to ROS-based therapy",
        "§4.1.1, Table 2",
        "chemo+gsh_depletion vs chemo: lower minimum burden and later relapse",
        _gsh_depletion_sensitises,
    ),
    Claim(
        "e2",
        "NRF2 activation confers resistance",
        "§4.1.1, §4.2.1",
        "ros_inducer with n_max at the top vs the bottom of its range: earlier relapse or a "
        "higher minimum burden",
        _nrf2_activation_resists,
    ),
    Claim(
        "f",
        "ROS-based monotherapy enriches low-ROS escaped cells; co-targeting the antioxidant "
        "defence reduces them",
        "§4.2.1",
        "at the end of the ROS-inducer course (day 84): escaped "
        "share of the tumour above untreated; fewer escaped cells with ros_inducer+nrf2_inhibitor",
        _ros_enriches_escape,
    ),
    Claim(
        "g",
        "Persistent oxidative stress amplifies the SASP",
        "§3.2",
        "start with senescent cells; daily GSH depletion (raising ROS) vs none: more NF-kB SASP "
        "per senescent cell at day 20",
        _oxidative_stress_amplifies_sasp,
    ),
)


def evaluate_claims(
    *,
    cohort: int = 0,
    seed: int = 0,
    model: str | ModelSpec = "redox_senescence",
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Whether each claim holds on the default parameters and, with ``cohort``, how often.

    ``ranges`` replaces some parameters' plausible ranges in the cohort draw (e.g. a
    calibration's profile intervals; :func:`senox.model.sample_cohort`).
    Returns one row per claim: ``claim``, ``text``, ``section``, ``check``,
    ``holds_default`` and (with a cohort) ``cohort_share`` with ``cohort`` patients.
    """
    spec = model if isinstance(model, ModelSpec) else load_model(model)
    default = Runs(spec, np.array([spec.parameter_values()]))
    rows = [
        {
            "claim": c.key,
            "text": c.text,
            "section": c.section,
            "check": c.check,
            "holds_default": bool(c.holds(default)[0]),
        }
        for c in CLAIMS
    ]
    table = pd.DataFrame(rows)
    if cohort:
        runs = Runs(spec, sample_cohort(spec, cohort, seed, ranges=ranges))
        table["cohort_share"] = [float(c.holds(runs).mean()) for c in CLAIMS]
        table["cohort"] = cohort
    return table
