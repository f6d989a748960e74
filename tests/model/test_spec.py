"""Model files: the shipped model loads; bad model files get one-line errors naming the field."""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING

import pytest

from senox._errors import InputError
from senox.model import load_model, read_model
from senox.model._spec import parse_model

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
source = "rationale: a toy"

[[assignments]]
name = "twice"
expression = "2 * X"

[[reactions]]
name = "decay"
rate = "k * twice"
change = { X = -1 }
"""


def _toy(**replace: str) -> dict[str, object]:
    text = TOY
    for old, new in replace.items():
        text = text.replace(old, new)
    return tomllib.loads(text)


def test_shipped_model_is_complete() -> None:
    spec = load_model("redox_senescence")
    names = set(spec.species_names)
    assert {"P", "S_i", "S_p", "E", "F", "A_nfkb", "A_p53", "I", "G"} <= names
    assert "R" in {a.name for a in spec.assignments}  # ROS at quasi-steady state
    assert {n for n in names if n.startswith("C_")} == {
        "C_geno", "C_cdk", "C_ros", "C_gsh", "C_nrf2", "C_sl", "C_sm", "C_imm"
    }  # fmt: skip
    for p in spec.parameters:
        assert p.unit, p.name
        assert p.source.strip(), p.name
        assert p.low <= p.value <= p.high, p.name
        assert p.description, p.name


def test_toy_model_parses() -> None:
    spec = parse_model(_toy(), "toy.toml")
    assert spec.species_names == ["X"]
    assert spec.parameter_names == ["k"]
    assert spec.reactions[0].change == {"X": -1.0}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('rate = "k * twice"', 'rate = "k * Y"', "unknown name(s) Y"),
        ('rate = "k * twice"', 'rate = "__import__(1)"', "is not allowed"),
        ('rate = "k * twice"', 'rate = "k *"', "is not valid"),
        ('rate = "k * twice"', "rate = \"k * 'a'\"", "is not a number"),
        ("value = 0.5", "value = 5.0", "outside its range"),
        ('source = "rationale: a toy"', 'source = ""', "field 'source' is empty"),
        ("change = { X = -1 }", "change = { Z = -1 }", "not species"),
        ("initial = 1.0", "initial = -1.0", "is negative"),
        ('name = "twice"', 'name = "X"', "used twice"),
        ('unit = "1/day"\n', "", "field 'unit' is missing"),
        ('source = "rationale: a toy"', 'source = "a toy"\nbasis = "fitted"', "not one of"),
    ],
)
def test_bad_model_fields_are_named(old: str, new: str, message: str) -> None:
    with pytest.raises(InputError, match=r"toy\.toml") as info:
        parse_model(_toy(**{old: new}), "toy.toml")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_read_model_reports_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text("[model\n")
    with pytest.raises(InputError, match="not valid TOML"):
        read_model(path)
    with pytest.raises(InputError, match="no such model file"):
        read_model(tmp_path / "missing.toml")


def test_docs_page_matches_the_model_file() -> None:
    from pathlib import Path

    from senox.model import CLAIMS
    from senox.model._docs import (
        actions_section,
        calibrated_claim_cells,
        claims_provenance,
        equations_section,
        parameters_section,
        read_calibrations,
        read_claim_sensitivity,
    )

    root = Path(__file__).parents[2]
    page = (root / "docs" / "model.md").read_text(encoding="utf-8")
    spec = load_model("redox_senescence")
    stale = "docs/model.md is stale: run python tools/build_model_docs.py"
    assert equations_section(spec) in page, stale
    intervals = read_calibrations(root / "validation" / "results" / "calibration")
    assert parameters_section(spec, intervals) in page, stale
    assert actions_section() in page
    sensitivity = read_claim_sensitivity(root / "validation" / "results" / "claim_sensitivity.json")
    assert claims_provenance(sensitivity) in page, stale
    if sensitivity is not None:
        rows = {
            line.split(")")[0].removeprefix("| ("): line
            for line in page.splitlines()
            if line.startswith("| (")
        }
        for claim in CLAIMS:
            cells = " | ".join(calibrated_claim_cells(sensitivity, claim.key))
            assert rows[claim.key].endswith(f"| {cells} |"), (claim.key, stale)


def test_docs_list_the_fitted_parameters_with_their_intervals() -> None:
    import pandas as pd

    from senox.model._docs import calibration_section

    intervals = {
        "setA": pd.DataFrame(
            {
                "parameter": ["r_P", "k_cdk"],
                "best": [0.1, 0.001],
                "low_95": [0.05, 0.001],
                "high_95": [0.2, 0.07],
                "identifiable": [True, False],
            }
        )
    }
    spec = load_model("redox_senescence")
    text = calibration_section(spec, intervals)
    assert f"2 of the {len(spec.parameters)} parameters were fitted" in text
    assert "bound 1 of them on both sides within the search bounds (r_P)" in text
    assert "| r_P | 0.05 | 0.1 [0.05, 0.2] |" in text
    assert "| k_cdk | 0.3 | 0.001 [0.001, 0.07] (not pinned) |" in text
