"""The published SBML models reproduce the trajectories reported for them (within 1 %).

Expected values: libroadrunner 2.10.0 runs documented in shared/models/*/README.md and
sim_output.txt (Passos: day, damDNA, p21, ROS; Dalle Pezze: day, DNA_damage, CDKN1A, ROS).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senox._errors import InputError
from senox.cli import app
from senox.model import parse_duration, run_sbml

PASSOS = {
    3: (3.23, 23.83, 23.27),
    8: (7.18, 19.30, 43.33),
    10: (4.09, 12.90, 24.06),
    15: (2.41, 6.68, 14.18),
}
DALLE_PEZZE = {
    1: (25.1, 19.5, 13.4),
    5: (12.2, 28.5, 22.9),
    10: (9.125, 20.473, 22.520),
    21: (7.5, 11.9, 20.1),
}


@pytest.mark.parametrize(
    ("model", "until", "expected", "columns"),
    [
        pytest.param("passos2010", "15d", PASSOS, ["damDNA", "p21", "ROS"], id="passos2010"),
        pytest.param(
            "dallepezze2014",
            "21d",
            DALLE_PEZZE,
            ["DNA_damage", "CDKN1A", "ROS"],
            id="dallepezze2014",
        ),
    ],
)
def test_published_trajectories_are_reproduced(model, until, expected, columns):
    days = int(until.rstrip("d"))
    table = run_sbml(model, until=until, points=days + 1).set_index("time_days")
    for day, values in expected.items():
        np.testing.assert_allclose(
            table.loc[float(day), columns].to_numpy(float), values, rtol=0.01
        )


def test_p38_inhibition_halves_ros_in_passos():
    # the SBML event at day 8 lowers kp38ROS to 0.6; the paper reports ROS falling by about half
    ros = run_sbml("passos2010", until="10d", points=11).set_index("time_days")["ROS"]
    assert 0.4 < 1 - ros[10.0] / ros[8.0] < 0.5


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15d", 1296000.0), ("36h", 129600.0), ("90min", 5400.0), ("600s", 600.0), (2, 172800.0)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "-3d", "10 weeks"])
def test_bad_durations(text):
    with pytest.raises(InputError, match="duration"):
        parse_duration(text)


def test_bad_model_files(tmp_path):
    with pytest.raises(InputError, match="no such SBML file"):
        run_sbml(tmp_path / "missing.xml")
    broken = tmp_path / "broken.xml"
    broken.write_text("<sbml>not really</sbml>")
    with pytest.raises(InputError, match="libsbml cannot read it"):
        run_sbml(broken)


def test_model_run_cli(tmp_path):
    out = tmp_path / "traj.tsv"
    result = CliRunner().invoke(
        app, ["model", "run", "passos2010", "--until", "3d", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns[:2]) == ["time_days", "time"]
    assert table["time_days"].iloc[-1] == pytest.approx(3.0)
    again = CliRunner().invoke(app, ["model", "run", "passos2010", "--out", str(out)])
    assert again.exit_code == 2
