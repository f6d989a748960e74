"""The seed parser, and the curated data traced back to the seed itself."""

from __future__ import annotations

import pytest

from senox import kb
from senox.kb._evidence import read_curated
from senox.kb._seed import parse_sections, parse_tables, read_seed
from tests.conftest import SEED

TOY = (
    "1 INTRO\n"
    "text about PX\n"
    "TABLE 7 | Toy.\tPMID\tCompound\tTarget\n"
    "\t123,\n"
    "456\tPX-12\tTXN\n"
    "\t789\tRSL3\tGPX4\n"
    "\n"
    "2.1 Next section\n"
    "more  text\n"
)


def test_parse_tables_joins_a_cell_broken_over_two_lines():
    table = parse_tables(TOY)[7]
    assert table.columns == ("PMID", "Compound", "Target")
    assert table.rows == (("123, 456", "PX-12", "TXN"), ("789", "RSL3", "GPX4"))


def test_parse_sections_squashes_whitespace():
    sections = parse_sections(TOY)
    assert sections["2.1"] == "more text"
    assert "TABLE 7" in sections["1"]


@pytest.mark.needs_shared
def test_curated_rows_per_table_match_the_seed():
    tables, _ = read_seed(SEED)
    curated = read_curated()
    per_table = curated["seed_tables23"]["seed_table"].value_counts()
    assert len(curated["seed_table1"]) == len(tables[1].rows)
    assert per_table["2"] == len(tables[2].rows)
    assert per_table["3"] == len(tables[3].rows)


@pytest.mark.needs_shared
def test_lint_traces_every_row_and_quote_to_the_seed():
    report = kb.lint(seed=SEED)
    assert report.ok, [str(i) for i in report.issues]
    assert report.checked["seed tables and quotes"] == 21 + 27 + 35 + len(
        read_curated()["seed_sections"]
    )


@pytest.mark.needs_shared
def test_seed_check_detects_a_changed_raw_cell():
    from senox.kb._lint import check_against_seed

    curated = read_curated()
    curated["seed_tables23"].loc[0, "compound_raw"] = "Something else"
    issues = check_against_seed(curated, SEED)
    assert [i.where for i in issues] == ["T2.01"]
