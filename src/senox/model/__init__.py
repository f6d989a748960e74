"""Mechanistic models of the redox–senescence axis.

- Published SBML models run as they are through libroadrunner (:func:`run_sbml`).
- senox's own model is declared as data (:func:`load_model`), simulated by a vectorised ensemble
  engine (:func:`simulate`), exported to SBML/Antimony (:func:`to_sbml`, :func:`to_antimony`),
  and driven by therapy strategies resolved through the evidence base (:func:`load_strategy`,
  :func:`simulate_strategies`).
- Any PEtab v1 problem is calibrated by seeded multistart optimisation with profile likelihoods
  (:func:`read_petab`, :func:`calibrate`, :func:`write_calibration`); senox's own model is
  exported as one (:func:`to_petab`); the shared time courses become PEtab problems of it
  (:func:`maeve_palbo_temo`, :func:`tumr_melanoma_bso`, :func:`meyer_h1299_dox`, each a
  :class:`FitData`), and a calibration's profile intervals give virtual cohorts
  (:func:`cohort_from_profiles`).
- The seed's claims are executable scenarios (:func:`evaluate_claims`); which parameters decide
  each one over a cohort or a calibrated ensemble: :func:`claim_sensitivity` (partial rank
  correlations, :func:`prcc`).
- Exact stochastic single-cell ensembles of mass-action SBML models (:func:`simulate_ssa`), with
  Passos et al. 2010's escape-from-arrest experiment (:func:`passos_escape`), and the slow-scale
  approximation that replaces fast reversible conversions by their equilibrium law
  (:func:`slow_scale`, with the pairs found by :func:`suggest_fast_pairs`).
"""

from __future__ import annotations

from senox.model._calibrate import (
    Calibration,
    calibrate,
    read_petab,
    write_calibration,
)
from senox.model._claims import CLAIMS, SASP_DEPENDENT_IMMUNITY, evaluate_claims
from senox.model._export import to_antimony, to_sbml
from senox.model._fit_data import (
    FitData,
    cohort_from_profiles,
    maeve_palbo_temo,
    meyer_h1299_dox,
    tumr_melanoma_bso,
)
from senox.model._limits import check_seed, check_simulation_size, check_table_size
from senox.model._ode import simulate
from senox.model._personalise import (
    measured_features,
    model_inputs,
    parameter_ranges,
    seed_fractions,
    simulate_observed,
    treated_mask,
)
from senox.model._petab import to_petab
from senox.model._petab_objective import PetabObjective, compare_simulations
from senox.model._predict import Prediction, predict, read_fitted, write_prediction
from senox.model._rank import dose_equivalents, pareto_tiers, rank_strategies
from senox.model._sbml import PUBLISHED, parse_duration, run_sbml, time_unit_seconds
from senox.model._sensitivity import claim_sensitivity, prcc
from senox.model._simulate import (
    STATE_SPECIES,
    SimulationResult,
    initial_from_fractions,
    relapse_free,
    sample_cohort,
    simulate_strategies,
)
from senox.model._slowscale import PASSOS_FAST_PAIRS, slow_scale, suggest_fast_pairs
from senox.model._spec import Dose, ModelSpec, load_model, read_model
from senox.model._ssa import (
    EscapeArm,
    EscapeExperiment,
    SSAModel,
    compile_sbml,
    passos_escape,
    simulate_ssa,
    wilson_interval,
)
from senox.model._strategy import (
    ACTIONS,
    Resolution,
    Strategy,
    action_overrides,
    agent_actions,
    builtin_strategies,
    load_strategies,
    load_strategy,
    resolve_actions,
)
from senox.model._suggest import STATE_ACTIONS, state_actions, strategies_for_states

__all__ = [
    "ACTIONS",
    "CLAIMS",
    "PASSOS_FAST_PAIRS",
    "PUBLISHED",
    "SASP_DEPENDENT_IMMUNITY",
    "STATE_ACTIONS",
    "STATE_SPECIES",
    "Calibration",
    "Dose",
    "EscapeArm",
    "EscapeExperiment",
    "FitData",
    "ModelSpec",
    "PetabObjective",
    "Prediction",
    "Resolution",
    "SSAModel",
    "SimulationResult",
    "Strategy",
    "action_overrides",
    "agent_actions",
    "builtin_strategies",
    "calibrate",
    "check_seed",
    "check_simulation_size",
    "check_table_size",
    "claim_sensitivity",
    "cohort_from_profiles",
    "compare_simulations",
    "compile_sbml",
    "dose_equivalents",
    "evaluate_claims",
    "initial_from_fractions",
    "load_model",
    "load_strategies",
    "load_strategy",
    "maeve_palbo_temo",
    "measured_features",
    "meyer_h1299_dox",
    "model_inputs",
    "parameter_ranges",
    "pareto_tiers",
    "parse_duration",
    "passos_escape",
    "prcc",
    "predict",
    "rank_strategies",
    "read_fitted",
    "read_model",
    "read_petab",
    "relapse_free",
    "resolve_actions",
    "run_sbml",
    "sample_cohort",
    "seed_fractions",
    "simulate",
    "simulate_observed",
    "simulate_ssa",
    "simulate_strategies",
    "slow_scale",
    "state_actions",
    "strategies_for_states",
    "suggest_fast_pairs",
    "time_unit_seconds",
    "to_antimony",
    "to_petab",
    "to_sbml",
    "treated_mask",
    "tumr_melanoma_bso",
    "wilson_interval",
    "write_calibration",
    "write_prediction",
]
