"""docs/model.md: each parameter's basis, the fitted parameters, and claim shares under the
calibrated ensembles; the page still builds where the calibration results are absent."""

from __future__ import annotations

import json
import tomllib
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from senox._errors import InputError
from senox.model import load_model
from senox.model._docs import (
    basis_summary,
    claims_section,
    parameters_section,
    read_calibrations,
    read_claim_sensitivity,
)
from senox.model._spec import BASES, parse_model

if TYPE_CHECKING:
    from pathlib import Path

TOY = """
[model]
name = "toy"

[[species]]
name = "X"
initial = 1.0

[[parameters]]
name = "k"
value = 0.5
unit = "1/day"
range = [0.1, 1.0]
source = "Smith 2020: half-life 1.4 days"
basis = "measured"

[[parameters]]
name = "K"
value = 2.0
unit = "1"
range = [1.0, 4.0]
source = "rationale: a toy"

[[reactions]]
name = "decay"
rate = "k * X / (K + X)"
change = { X = -1 }
"""

CLAIMS_TABLE = pd.DataFrame(
    {
        "claim": ["a", "b"],
        "text": ["A claim", "B claim"],
        "section": ["§1", "§2"],
        "check": ["check a", "check b"],
        "holds_default": [True, False],
        "cohort_share": [0.25, 0.5],
        "cohort": [200, 200],
    }
)


def _sensitivity(path: Path) -> Path:
    path.write_text(
        json.dumps(
            {
                "source": "2000 virtual patients (seed 0)",
                "table": [
                    {"claim": "a", "share": 0.22, "by_construction": False, "parameter": "k"},
                    {"claim": "a", "share": 0.22, "by_construction": False, "parameter": "K"},
                    {"claim": "b", "share": 1.0, "by_construction": True, "parameter": "k"},
                ],
                "calibrated_shares": {"setA": {"a": 0.005, "b": 0.962}},
            }
        ),
        encoding="utf-8",
    )
    return path


def test_basis_is_read_and_optional() -> None:
    spec = parse_model(tomllib.loads(TOY), "toy.toml")
    assert [p.basis for p in spec.parameters] == ["measured", ""]


def test_shipped_model_gives_every_parameter_a_basis() -> None:
    spec = load_model("redox_senescence")
    missing = [p.name for p in spec.parameters if p.basis not in BASES]
    assert not missing, f"parameters without a basis: {', '.join(missing)}"


def test_parameter_table_shows_basis_and_fits(tmp_path: Path) -> None:
    spec = parse_model(tomllib.loads(TOY), "toy.toml")
    folder = tmp_path / "calibration"
    for name, best in (("setA", 0.2), ("setB", 0.9)):
        (folder / name).mkdir(parents=True)
        pd.DataFrame(
            {"parameter": ["k"], "best": [best], "low_95": [0.1], "high_95": [1.0]}
        ).to_csv(folder / name / "profile_intervals.tsv", sep="\t", index=False)
    intervals = read_calibrations(folder)
    text = parameters_section(spec, intervals)
    assert (
        "| k | 0.5 | 1/day | 0.1–1 | fitted on setA, setB (best 0.2–0.9); default: measured |"
        in (text)
    )
    assert "| K | 2 | 1 | 1–4 | not stated |" in text
    assert basis_summary(spec, intervals) == (
        "Basis of the 2 defaults: 1 measured, 0 seed, 0 assumed, 1 not stated; "
        "1 fitted to at least one data set."
    )


def test_claims_table_adds_calibrated_shares(tmp_path: Path) -> None:
    sensitivity = read_claim_sensitivity(_sensitivity(tmp_path / "claim_sensitivity.json"))
    text = claims_section(CLAIMS_TABLE, sensitivity)
    assert "| share, plausible ranges † | share, calibrated on setA † | by construction † |" in text
    assert "| (a) A claim | §1 | check a | yes | 25% | 22.0% | 0.5% | no |" in text
    assert "| (b) B claim | §2 | check b | **no** | 50% | 100.0% | 96.2% | **yes** |" in text
    assert "† From `validation/results/claim_sensitivity.json`" in text
    assert "2000 virtual patients (seed 0)" in text


def test_page_builds_without_calibration_results(tmp_path: Path) -> None:
    spec = parse_model(tomllib.loads(TOY), "toy.toml")
    assert read_calibrations(tmp_path / "absent") == {}
    assert read_claim_sensitivity(tmp_path / "absent.json") is None
    text = claims_section(CLAIMS_TABLE, None)
    assert "calibrated on" not in text
    assert "claim_sensitivity.json` is absent" in text
    assert "| k | 0.5 | 1/day | 0.1–1 | measured |" in parameters_section(spec, {})


def test_bad_claim_sensitivity_is_named(tmp_path: Path) -> None:
    path = tmp_path / "claim_sensitivity.json"
    path.write_text(json.dumps({"source": "x", "table": []}), encoding="utf-8")
    with pytest.raises(InputError, match=r"claim_sensitivity\.json: field\(s\) calibrated_shares"):
        read_claim_sensitivity(path)
