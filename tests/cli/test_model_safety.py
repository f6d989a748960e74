"""Hostile but realistic requests to ``senox simulate`` and ``senox model``: each one is refused
with exit code 2 and one ``error:`` line naming the file or option and the fix, never with a
traceback, a crash or an exit code 0 over failed results (issue 16)."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from senox.cli import app
from senox.model import _limits as limits
from senox.model import read_model, to_sbml

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


@pytest.fixture(autouse=True)
def _memory_of_16_gib(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same budget on every machine: 8 GiB, half of 16."""
    monkeypatch.setattr(limits, "memory_budget", lambda: 8 * 2**30)


#: The progress bar's line, which the CLI prints on stderr before a failure found while simulating.
PROGRESS = ("simulating strategies", "cells")


def refused(*args: object) -> str:
    """Run senox; check the refusal's form and return its one error line."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    *before, line = result.stderr.strip().splitlines()
    assert line.startswith("error: "), result.stderr
    assert all(other.startswith(PROGRESS) for other in before), result.stderr
    return line


def strategy_file(tmp_path: Path, doses: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'[strategy]\nname = "mine"\n\n[[doses]]\n{doses}\n', encoding="utf-8")
    return path


def shipped_model_with(tmp_path: Path, rate: str) -> Path:
    """senox's own model with one more reaction of rate ``rate`` feeding P."""
    text = (files("senox.model") / "data" / "redox_senescence.toml").read_text("utf-8")
    path = tmp_path / "broken_model.toml"
    extra = f'\n[[reactions]]\nname = "broken"\nrate = "{rate}"\nchange = {{ P = 1 }}\n'
    path.write_text(text + extra, encoding="utf-8")
    return path


TOY_MODEL = """
[model]
name = "toy"

[[species]]
name = "X"
initial = 1.0

[[parameters]]
name = "k"
value = 1.0
unit = "1/day"
range = [0.5, 2.0]
source = "a test"

[[reactions]]
name = "grow"
rate = "{rate}"
change = {{ X = 1 }}
"""


# --- item 6: a failed integration is an error, never a ranked success


@pytest.mark.parametrize("rate", ["P / (E - E)", "exp(50 * P)"])
def test_a_model_that_cannot_be_integrated_is_an_error(tmp_path: Path, rate: str) -> None:
    model = shipped_model_with(tmp_path, rate)
    out = tmp_path / "sim"
    line = refused("simulate", "--model", model, "--strategy", "untreated", "--out", out)
    assert f"strategy 'untreated' on model '{model}'" in line
    assert "the integration of patient 0 failed before day 1" in line
    assert "check the model's rates" in line
    assert not out.exists()


def test_a_cohort_with_failed_patients_is_an_error(tmp_path: Path) -> None:
    model = shipped_model_with(tmp_path, "exp(50 * P)")
    line = refused(
        "simulate", "--model", model, "--strategy", "chemo", "--cohort", 4, "--out", tmp_path / "o"
    )
    assert "the integration of patient 0 (and 3 more of 4) failed" in line


def test_too_many_doses_are_refused_before_simulating(tmp_path: Path) -> None:
    path = strategy_file(tmp_path, 'action = "genotoxic"\nstart = 0\nevery = 0.001\ncount = 200000')
    line = refused("simulate", "--strategy", path, "--days", 300, "--out", tmp_path / "o")
    assert line == (
        f"error: {path}: 200,000 dose events, more than the 10,000 a strategy may hold (each "
        "restarts the integrator); lower the doses' 'count'"
    )


# --- item 7: dose amounts


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e308", "field 'amount' is 1e+308, more than 1000 standard doses"),
        ("inf", "field 'amount' is inf; give a finite number"),
        ("nan", "field 'amount' is nan; give a finite number"),
        ("-1", "field 'amount' is negative (-1)"),
        ("1" + "0" * 400, "field 'amount' is inf; give a finite number"),
    ],
)
def test_dose_amounts_must_be_finite_and_bounded(tmp_path: Path, amount: str, message: str) -> None:
    path = strategy_file(tmp_path, f'action = "genotoxic"\nstart = 0\namount = {amount}')
    line = refused("simulate", "--strategy", path, "--out", tmp_path / "o")
    assert line.startswith(f"error: {path}: doses[0]: ")
    assert message in line


@pytest.mark.parametrize(
    ("doses", "message"),
    [
        ('action = "genotoxic"\nstart = inf', "field 'start' is inf"),
        ('action = "genotoxic"\nstart = 0\nevery = nan\ncount = 2', "field 'every' is nan"),
        ('action = "genotoxic"\nstart = 0\ncount = 100000000\nevery = 1', "100,000,000 dose"),
        ('action = "geno\\ntoxic"\nstart = 0', "field 'action' is 'geno\\ntoxic'"),
    ],
)
def test_dose_times_and_counts_are_bounded(tmp_path: Path, doses: str, message: str) -> None:
    path = strategy_file(tmp_path, doses)
    line = refused("simulate", "--strategy", path, "--out", tmp_path / "o")
    assert str(path) in line
    assert message in line


# --- item 8: one line instead of a traceback


def test_negative_seeds_are_refused(tmp_path: Path) -> None:
    assert refused("simulate", "--seed", -1, "--out", tmp_path / "o") == (
        "error: --seed -1: give a seed ≥ 0"
    )
    assert refused("model", "ssa", "passos2010", "--seed", -1, "--out", tmp_path / "c.tsv") == (
        "error: --seed -1: give a seed ≥ 0"
    )


@pytest.mark.parametrize("option", ["--strategy", "--model"])
def test_toml_files_that_are_not_utf8_text(tmp_path: Path, option: str) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[strategy]\nname = "café"\n'.encode("latin-1"))
    line = refused("simulate", option, path, "--out", tmp_path / "o")
    assert line.startswith(f"error: {path}: not UTF-8 text (byte 0xe9 at offset 22); save the ")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(bytes(range(256)))
    assert "not UTF-8 text" in refused("simulate", option, binary, "--out", tmp_path / "o")
    garbage = tmp_path / "garbage.toml"
    garbage.write_bytes(b"\x00\x01 not toml at all")
    assert "not valid TOML" in refused("simulate", option, garbage, "--out", tmp_path / "o")


@pytest.mark.parametrize("command", ["run", "ssa"])
def test_xml_that_is_not_sbml(tmp_path: Path, command: str) -> None:
    out = ["--out", tmp_path / "o.tsv"]
    binary = tmp_path / "binary.xml"
    binary.write_bytes(bytes(range(256)) * 4)
    assert refused("model", command, binary, *out) == (
        f"error: {binary}: not UTF-8 text (byte 0x80 at offset 128); give an SBML (XML) file"
    )
    html = tmp_path / "page.xml"
    html.write_text("<html><body>hello</body></html>")
    assert f"{html}: libsbml cannot read it" in refused("model", command, html, *out)
    text = tmp_path / "text.xml"
    text.write_text("just some text")
    assert "XML content is not well-formed" in refused("model", command, text, *out)


def test_a_cvode_failure_names_the_model(tmp_path: Path) -> None:
    toml = tmp_path / "blowup.toml"
    toml.write_text(TOY_MODEL.format(rate="exp(k * X)"), encoding="utf-8")
    sbml = tmp_path / "blowup.xml"
    sbml.write_text(to_sbml(read_model(toml)), encoding="utf-8")
    line = refused("model", "run", sbml, "--until", "100d")
    assert line.startswith(f"error: {sbml}: the integrator failed (CVODE Error: CV_CONV_FAILURE")
    assert line.endswith(
        "simulate a shorter --until or check the model's parameters and initial values"
    )


# --- item 9: XML entity expansion


@pytest.mark.parametrize("command", ["run", "ssa"])
def test_entity_expansion_is_refused_before_libroadrunner(tmp_path: Path, command: str) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">' for i in range(1, 10)
    )
    laughs = tmp_path / "laughs.xml"
    laughs.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE sbml [{entities}]>\n'
        '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">'
        '<model id="m" name="&lol9;"/></sbml>\n'
    )
    assert refused("model", command, laughs, "--out", tmp_path / "o.tsv") == (
        f"error: {laughs}: holds a DOCTYPE or ENTITY declaration, which SBML never needs and "
        "whose entity expansion can exhaust memory; remove it"
    )


# --- item 10: sizes are refused before any work


@pytest.mark.parametrize(
    ("args", "request_text"),
    [
        (
            ["--cohort", 10_000_000],
            "simulating 10 strategies × 10,000,000 patients × 54 time points",
        ),
        (["--days", "1e9"], "simulating 10 strategies × 1 patient × 1,000,000,001 time points"),
        (["--step", "1e-6"], "simulating 10 strategies × 1 patient × 365,000,001 time points"),
    ],
)
def test_simulations_too_large_for_the_machine(
    tmp_path: Path, args: list[object], request_text: str
) -> None:
    line = refused("simulate", *args, "--out", tmp_path / "o")
    assert line.startswith(f"error: {request_text} needs about ")
    assert line.endswith(
        "of this machine's memory); lower --cohort or --days, raise --step, or give fewer "
        "--strategy options"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "inf"], "error: --days inf: the horizon must be a finite number of days > 0"),
        (["--days", "nan"], "error: --days nan: the horizon must be a finite number of days > 0"),
        (["--days", "-5"], "error: --days -5: the horizon must be a finite number of days > 0"),
        (["--step", "0"], "error: --step 0: the days between trajectory rows must be a finite "),
    ],
)
def test_horizons_and_steps_must_be_finite_and_positive(
    tmp_path: Path, args: list[object], message: str
) -> None:
    assert refused("simulate", *args, "--out", tmp_path / "o").startswith(message)


def test_model_run_points_are_bounded(tmp_path: Path) -> None:
    line = refused("model", "run", "passos2010", "--points", 100_000_000)
    assert "passos2010.xml at 100,000,000 time points needs about" in line
    assert line.endswith("lower --points or --until")


def test_model_ssa_cells_times_points_are_bounded(tmp_path: Path) -> None:
    out = tmp_path / "cells.tsv"
    line = refused("model", "ssa", "passos2010", "--cells", 10**8, "--points", 1000, "--out", out)
    assert line.startswith("error: simulating 100,000,000 cells × 1,000 time points needs about")
    assert line.endswith("lower --cells or --points")
    assert not out.exists()


def test_senox_run_refuses_a_cohort_too_large_before_reading(tmp_path: Path) -> None:
    line = refused("run", tmp_path / "unread.h5ad", "--out", tmp_path / "o", "--cohort", 10**7)
    assert line.startswith("error: simulating ")
    assert line.endswith("lower --cohort or --days")
    assert list(tmp_path.iterdir()) == []
