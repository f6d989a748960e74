"""``senox score`` on bad input: one line naming the file or option, exit code 2, no output.

The cases of the input audit (issue 16) that each used to give silent wrong results.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senox import programs
from senox.cli import app
from senox.io import hgnc_table

runner = CliRunner()
GENES = sorted({g for p in programs.catalogue().values() for g in p.genes})[:200]


def write_table(path, genes, counts=None):
    rng = np.random.default_rng(0)
    values = rng.poisson(5, size=(len(genes), 6)) if counts is None else counts
    pd.DataFrame(values, index=genes, columns=[f"s{i}" for i in range(6)]).to_csv(path)
    return path


def score(*args):
    return runner.invoke(app, ["score", *map(str, args)])


def refused(result, *fragments):
    """Exit code 2 and one line holding every fragment."""
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    for fragment in fragments:
        assert fragment in line, line
    return line


def test_an_all_zero_table_is_refused(tmp_path):
    table = write_table(tmp_path / "zeros.csv", GENES, np.zeros((len(GENES), 6), dtype=int))
    out = tmp_path / "scores.tsv"
    refused(score(table, "--out", out), str(table), "no expression at all (every value is 0)")
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("mine.gmt", "senescence\tmine\tTP53\tCDKN1A\n", id="gmt"),
        pytest.param("mine.tsv", "program\tgene\nsenescence\tTP53\n", id="table"),
    ],
)
def test_a_user_program_with_a_built_in_name_is_refused(tmp_path, name, text):
    gmt = tmp_path / name
    gmt.write_text(text, encoding="utf-8")
    out = tmp_path / "scores.tsv"
    result = score(write_table(tmp_path / "t.csv", GENES), "--out", out, "--gmt", gmt)
    refused(result, str(gmt), "program 'senescence' has the name of a built-in program",
            "rename it (e.g. 'my_senescence')")  # fmt: skip
    assert not out.exists()


@pytest.mark.parametrize("address", ["not a url", "tcp://localhost", "http://localhost:8786"])
def test_a_malformed_scheduler_is_refused(tmp_path, address):
    out = tmp_path / "scores.tsv"
    result = score(write_table(tmp_path / "t.csv", GENES), "--out", out, "--scheduler", address)
    refused(result, f"--scheduler {address!r}: not a dask scheduler address", "tcp://HOST:PORT")
    assert not out.exists()


def test_mixed_ensembl_ids_and_symbols_are_all_scored_with_a_warning(tmp_path, caplog):
    ensembl = hgnc_table().set_index("symbol")["ensembl_gene_id"]
    genes = [ensembl[g] if i % 2 else g for i, g in enumerate(GENES)]
    out = tmp_path / "scores.tsv"
    with caplog.at_level(logging.WARNING):
        result = score(write_table(tmp_path / "mixed.csv", genes), "--out", out)
    assert result.exit_code == 0, result.output
    symbols = tmp_path / "symbols.tsv"
    assert score(write_table(tmp_path / "symbols.csv", GENES), "--out", symbols).exit_code == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(out, sep="\t", index_col="obs"), pd.read_csv(symbols, sep="\t", index_col="obs")
    )
    (warning,) = [r.getMessage() for r in caplog.records if "Ensembl" in r.getMessage()]
    assert "mix 100 Ensembl IDs and 100 symbols" in warning
