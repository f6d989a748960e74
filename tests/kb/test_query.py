"""Queries: the forms later issues depend on, checked against the curated raw text."""

from __future__ import annotations

import pytest

from senox import kb
from senox._errors import EvidenceQueryError
from senox.io import MANIFEST
from senox.kb import _columns as C
from senox.kb._evidence import read_curated


def test_agents_returns_the_documented_columns():
    found = kb.agents(target="GPX4")
    for column in (
        "agent",
        "agent_class",
        "target",
        "cancer",
        "cell_death",
        "stage",
        "pmid",
        "source",
    ):
        assert column in found.columns
    assert list(found.columns) == kb.RECORD_COLS


def test_target_slc7a11_finds_every_table2_row_under_either_spelling():
    rows = read_curated()["seed_tables23"]
    expected = set(rows.loc[rows["target_raw"].isin(["SLC7A11", "SCL7A11"]), "agent"])
    found = kb.agents(target="SLC7A11")
    assert set(found.loc[found[C.SOURCE].str.startswith("seed Table 2"), C.AGENT]) == expected
    assert len(expected) == 10
    assert set(kb.agents(target="SCL7A11")[C.AGENT]) == set(found[C.AGENT])


def test_target_txnrd1_finds_every_txnrd_agent_of_table3():
    rows = read_curated()["seed_tables23"]
    expected = set(rows.loc[(rows["seed_table"] == "3") & (rows["target_raw"] == "TXNRD"), "agent"])
    found = set(kb.agents(target="TXNRD1")[C.AGENT])
    assert expected <= found
    assert {"auranofin", "shikonin", "piperlongumine"} <= expected


def test_a_gene_matches_the_families_that_contain_it():
    found = kb.agents(target="RELA")
    assert set(found[C.TARGET_KIND]) == {C.FAMILY}
    assert {"metformin", "ginsenoside Rh2"} <= set(found[C.AGENT])


def test_filters_combine():
    found = kb.agents(agent_class="senolytic", stage="clinical")
    assert set(found[C.AGENT]) == {"navitoclax", "dasatinib + quercetin"}
    assert (found[C.STAGE] == "clinical").all()
    phase = kb.agents(stage="phase 2")
    assert set(phase[C.STAGE]) == {"phase II"}
    assert set(kb.agents(stage="NCT00002730")[C.AGENT]) == {"buthionine sulfoximine"}


def test_cancer_filter_matches_codes_names_and_seed_wording():
    by_code = kb.agents(cancer="HCC")
    assert set(by_code[C.CANCER_CODE]) == {"HCC"}
    assert set(kb.agents(cancer="TNBC")[C.AGENT]) == {"paclitaxel"}
    # the seed's own misspelling is searchable too
    assert set(kb.agents(cancer="Tiple-negative")[C.AGENT]) == {"SGNI"}


def test_mechanism_filter():
    found = kb.agents(mechanism="ROS")
    assert found[C.MECHANISM].str.contains("ROS", case=False).all()
    assert "arsenic trioxide" in set(found[C.AGENT])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"agent": "navitoclx"}, "did you mean 'navitoclax'", id="agent-suggestion"),
        pytest.param({"agent_class": "senolytics"}, "valid classes: chemotherapy", id="class-list"),
        pytest.param({"target": "ROS"}, "mechanism, not a gene", id="ros-is-mechanism"),
        pytest.param({"target": "XYZ123"}, "not an HGNC symbol", id="target-unknown"),
        pytest.param({"cancer": "zzzz"}, "matches no cancer type", id="cancer-unknown"),
        pytest.param({"stage": "phase IV"}, "stage 'phase IV' is unknown", id="stage-unknown"),
    ],
)
def test_bad_queries_raise_one_line_errors(kwargs, message):
    with pytest.raises(EvidenceQueryError, match=message) as info:
        kb.agents(**kwargs)
    assert "\n" not in str(info.value)


def test_search_ranks_full_text_matches():
    found = kb.search("thrombocytopenia")
    assert set(found[C.AGENT]) == {"navitoclax"}
    assert found["score"].is_monotonic_increasing
    with pytest.raises(EvidenceQueryError):
        kb.search("--")


def test_info_counts_the_seed_rows():
    summary = kb.info()
    assert summary["seed_rows"] == {"Table 1": 21, "Table 2": 27, "Table 3": 35, "sections": 66}
    assert summary["schema_version"] == "1"


def test_export_writes_tsv_and_json_atomically(tmp_path):
    out = tmp_path / "kb"
    written = kb.export(out)
    assert sorted(p.name for p in out.iterdir()) == sorted([MANIFEST, *(p.name for p in written)])
    assert (out / "records.tsv").read_text(encoding="utf-8").startswith("agent\tagent_class\t")
