"""A synthetic, seeded ReportContext (200 cells, 2 strategies × 20 virtual patients)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from senox.report import ReportContext, write_report

if TYPE_CHECKING:
    from pathlib import Path

PROGRAMS = [
    "senescence", "sasp", "sasp_inflammatory", "p53_response", "proliferation",
    "oxidant", "antioxidant", "stemness",
]  # fmt: skip
STATES = [
    "proliferating", "quiescent", "senescent_inflammatory", "senescent_p53", "escape_like",
    "other",
]  # fmt: skip
STRATEGIES = ["senolytic after chemo", "chemo alone"]


def make_vulnerabilities() -> pd.DataFrame:
    """Eight hypotheses; PMIDs given as lists and as separated text."""
    pmids: list[object] = [
        [25754370], "23979024; 27777130", "28436987", ["30250033", "31097580"],
        "21205935", "22632970", "8608170", "25524798",
    ]  # fmt: skip
    return pd.DataFrame({
        "state": ["senescent_inflammatory"] * 2 + ["senescent_p53"] * 2 + ["escape_like"] * 3
        + ["proliferating"],
        "target": ["BCL2L1", "NFKB1", "MDM2", "BCL2", "NFE2L2", "SLC7A11", "GCLC", "CDK4"],
        "agent": ["navitoclax", "metformin", "UBX0101", "venetoclax", "brusatol", "erastin",
                  "buthionine sulfoximine", "palbociclib"],
        "agent_class": ["senolytic", "senomorphic", "senolytic", "senolytic", "NRF2 inhibitor",
                        "GSH depletion", "GSH depletion", "CDK4/6 inhibitor"],
        "stage": ["phase II", "approved", "phase II", "approved", "preclinical", "preclinical",
                  "phase I", "approved"],
        "evidence": ["in vitro", "in vivo", "in vivo", "in vitro", "in vitro", "in vitro",
                     "clinical", "clinical"],
        "pmids": pmids,
    })  # fmt: skip


def make_simulation(
    rng: np.random.Generator, n_patients: int = 20, horizon: float = 360.0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Trajectories, per-patient summary and ranked strategies of a toy regrowth model."""
    time = np.arange(0.0, horizon + 1, 5.0)
    frames, rows = [], []
    for s, strategy in enumerate(STRATEGIES):
        for patient in range(n_patients):
            kill = rng.uniform(0.03, 0.06)
            regrow = rng.uniform(0.01, 0.03) * (0.5 if s == 0 else 1.0)
            burden = np.exp(-kill * time) + 1e-3 * np.exp(regrow * time)
            escaped = 1e-3 * np.exp(regrow * time) / (1 + 1e-3 * np.exp(regrow * time))
            sasp = (1 - np.exp(-time / 20)) * np.exp(-time / (60 if s == 0 else 200))
            ros = 1 + 0.5 * np.exp(-time / 30) + rng.normal(0, 0.02, len(time))
            frames.append(
                pd.DataFrame(
                    {
                        "strategy": strategy,
                        "patient": patient,
                        "time_days": time,
                        "burden": burden,
                        "P": burden * 0.6,
                        "S_i": sasp * 0.2,
                        "S_p": sasp * 0.1,
                        "E": escaped,
                        "A": sasp,
                        "I": sasp * 0.5,
                        "R": ros,
                        "G": 2 - ros,
                    }
                )
            )
            relapse = time[1:][(burden[1:] > 1.0) & (np.diff(burden) > 0)]
            rows.append({
                "strategy": strategy, "patient": patient,
                "time_to_relapse_days": float(relapse[0]) if len(relapse) else np.nan,
                "min_burden": float(burden.min()), "escaped_fraction": float(escaped[-1]),
                "sasp_auc": float(np.trapezoid(sasp, time)), "toxicity": rng.uniform(0, 1),
            })  # fmt: skip
    trajectories = pd.concat(frames, ignore_index=True)
    summary = pd.DataFrame(rows)
    grouped = summary.groupby("strategy")["time_to_relapse_days"]
    strategies = pd.DataFrame({
        "strategy": list(grouped.groups),
        "median_time_to_relapse_days": grouped.median().to_numpy(),
        "q25": grouped.quantile(0.25).to_numpy(),
        "q75": grouped.quantile(0.75).to_numpy(),
        "relapse_free_fraction_at_end": grouped.apply(lambda t: t.isna().mean()).to_numpy(),
    })  # fmt: skip
    strategies = strategies.sort_values(
        ["relapse_free_fraction_at_end", "median_time_to_relapse_days"], ascending=False
    ).reset_index(drop=True)
    return trajectories, summary, strategies


def make_context(
    *, n_obs: int = 200, seed: int = 0, data_kind: str = "single-cell"
) -> ReportContext:
    """A complete context of random but structured data."""
    rng = np.random.default_rng(seed)
    index = pd.Index([f"cell{i}" for i in range(n_obs)])
    groups = pd.Series(np.where(np.arange(n_obs) < n_obs // 2, "control", "treated"), index=index)
    p_control = [0.55, 0.25, 0.04, 0.04, 0.02, 0.10]
    p_treated = [0.15, 0.15, 0.30, 0.20, 0.10, 0.10]
    control = np.arange(n_obs) < n_obs // 2
    state = np.array([rng.choice(STATES, p=p_control if c else p_treated) for c in control])
    codes = np.array([STATES.index(s) for s in state])
    scores = pd.DataFrame(
        rng.normal(0.2, 0.05, (n_obs, len(PROGRAMS))), index=index, columns=PROGRAMS
    )
    scores.loc[np.isin(state, STATES[2:4]), "senescence"] += 0.15
    scores.loc[state == "senescent_inflammatory", "sasp_inflammatory"] += 0.2
    scores.loc[state == "senescent_p53", "p53_response"] += 0.2
    scores.loc[np.isin(state, ["proliferating", "escape_like"]), "proliferation"] += 0.2
    scores.loc[state == "escape_like", ["antioxidant", "stemness"]] += 0.2
    senescent = np.isin(state, STATES[2:4])
    subcluster = np.where(senescent, rng.integers(0, 3, n_obs), -1).astype(float)
    subcluster[~senescent] = np.nan
    states = pd.DataFrame(
        {
            "state": pd.Categorical(state, categories=STATES),
            "confidence": rng.uniform(0.5, 1.0, n_obs),
            "redox_index": rng.normal(0, 1, n_obs) - 1.5 * (state == "escape_like"),
            "subcluster": subcluster,
        },
        index=index,
    )
    arrested = ~np.isin(state, ["proliferating", "escape_like"])
    noise = np.random.default_rng(1).normal(0, 1, (2, n_obs))  # own stream: rng's draws stay
    axes = pd.DataFrame(
        {
            "cycling": noise[0] + np.where(arrested, -2.0, 2.0),
            "sen": noise[1] + 3.0 * senescent,
        },
        index=index,
    )
    centres = np.array([[0, 0], [3, 0], [6, 4], [6, -4], [-3, 4], [0, -5]], dtype=float)
    embedding = centres[codes] + rng.normal(0, 0.8, (n_obs, 2))
    fractions = pd.crosstab(groups, states["state"], normalize="index").reindex(
        columns=STATES, fill_value=0.0
    )
    fractions.insert(0, "n", groups.value_counts().reindex(fractions.index))
    subclusters = pd.DataFrame({
        "subcluster": [0, 1, 2],
        "n_cells": [int((subcluster == k).sum()) for k in range(3)],
        "top_programs": [{"sasp_inflammatory": 1.2, "oxidant": 0.4}, {"p53_response": 0.9},
                         {"senescence": 0.5, "stemness": 0.3}],
        "top_genes": [{"IL6": 2.1, "CXCL8": 1.7}, {"CDKN1A": 1.5}, {"GDF15": 0.8}],
    })  # fmt: skip
    trajectories, summary, strategies = make_simulation(rng)
    coverage = pd.DataFrame({
        "program": PROGRAMS, "n_genes": [50] * len(PROGRAMS),
        "n_found": rng.integers(30, 51, len(PROGRAMS)),
    })  # fmt: skip
    coverage["fraction_found"] = coverage["n_found"] / coverage["n_genes"]
    return ReportContext(
        input_description="synthetic.h5ad (random test data)",
        n_obs=n_obs,
        n_genes=2000,
        data_kind=data_kind,  # type: ignore[arg-type]
        title="senox report — synthetic test data",
        qc_per_obs=pd.DataFrame(
            {
                "genes_detected": rng.integers(800, 3000, n_obs),
                "total_counts": rng.gamma(4, 2000, n_obs),
            },
            index=index,
        ),
        program_coverage=coverage,
        warnings=["12 genes of 'stemness' not found in the data; scored on the rest"],
        scores=scores,
        groups=groups,
        group_label="condition",
        states=states,
        embedding=embedding if data_kind == "single-cell" else None,
        embedding_name="UMAP",
        state_fractions=fractions,
        subclusters=subclusters,
        subcluster_test={"n": 120, "p_value": 0.0099, "supported": True},
        state_axes=axes,
        vulnerabilities=make_vulnerabilities(),
        trajectories=trajectories,
        summary=summary,
        strategies=strategies,
        methods={
            "score_method": "rank",
            "states": {"sen_threshold": 1.5, "reference": "condition=control"},
        },
        timings={"read": 0.12, "score": 1.5, "states": 0.4, "simulate": 3.2},
    )


@pytest.fixture(scope="session")
def context() -> ReportContext:
    """The synthetic single-cell context."""
    return make_context()


@pytest.fixture(scope="session")
def report_path(context: ReportContext, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic context rendered once to ``report.html``."""
    return write_report(context, tmp_path_factory.mktemp("report") / "report.html")
