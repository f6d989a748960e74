"""The curated evidence: completeness, normalisations, lint rules and the shipped database."""

from __future__ import annotations

import pandas as pd
import pytest

from senox import kb
from senox.kb import _columns as C
from senox.kb._checks import check_records
from senox.kb._evidence import compile_evidence, read_curated
from senox.kb._query import shipped_evidence


@pytest.fixture(scope="module")
def curated():
    return read_curated()


@pytest.fixture(scope="module")
def evidence():
    return shipped_evidence()


def test_seed_tables_are_curated_row_for_row(curated):
    # 21, 27 and 35 rows: Tables 1, 2 and 3 of the seed (checked against the seed text itself in
    # test_seed.py wherever ../shared is present).
    assert len(curated["seed_table1"]) == 21
    assert curated["seed_tables23"]["seed_table"].value_counts().to_dict() == {"3": 35, "2": 27}
    for name in ("seed_table1", "seed_tables23"):
        rows = curated[name]
        assert not rows[["seed_table", "seed_row"]].duplicated().any()


def test_shipped_database_is_compiled_from_the_curated_files(curated, evidence):
    fresh = compile_evidence(curated)
    pd.testing.assert_frame_equal(fresh.records, evidence.records)
    pd.testing.assert_frame_equal(fresh.sasp, evidence.sasp)
    pd.testing.assert_frame_equal(fresh.agents, evidence.agents)


def test_lint_passes_on_the_shipped_data():
    report = kb.lint()
    assert report.ok, [str(i) for i in report.issues]
    assert report.checked["records"] > 150


SECTION_AGENTS = [
    "GKT831", "anlotinib", "vitamin C", "PEITC", "LBL21", "BSO", "navitoclax", "NAV-Gal",
    "dasatinib + quercetin", "AZD8055", "temsirolimus", "metformin", "rapamycin", "roxadustat",
    "p38 inhibitors", "ginsenoside Rh2", "riociguat", "MHY1485", "FK866", "FePt-NP2",
    "GOx-Fe3O4@DMSNs", "copper peroxide nanodots", "PLAN", "MS@MnO2", "CFAP", "Au nanoclusters",
    "IB@Fe-ZIF8@PDFA", "PtPd BAC", "BMT-LA nanovaccine", "bafilomycin A1", "chlorin e6",
    "anti-PD-L1 antibody", "rituximab", "Adriamycin", "photodynamic therapy",
]  # fmt: skip


@pytest.mark.parametrize("name", SECTION_AGENTS)
def test_agents_named_in_the_sections_are_present_with_provenance(name, evidence):
    agent = kb.resolve_agent(name, evidence)
    sources = evidence.records.loc[evidence.records[C.AGENT] == agent, C.SOURCE]
    assert sources.str.startswith("seed §").any()


@pytest.mark.parametrize(
    ("printed", "canonical"),
    [
        ("Shokonin", "shikonin"),
        ("Docetaxle", "docetaxel"),
        ("Oxalipla-tion", "oxaliplatin"),
        ("lrinotecan", "irinotecan"),
        ("Bortezomid", "bortezomib"),
        ("Piperlongu-mine", "piperlongumine"),
        ("IFGN", "interferon gamma"),
        ("Tan ⅡA", "tanshinone IIA"),
        ("ANT-224", "ATN-224"),
        ("Herteronemin", "heteronemin"),
        ("Baveromycin A1", "bafilomycin A1"),
        ("Neobavaisof-lavone", "neobavaisoflavone"),
    ],
)
def test_seed_misspellings_resolve_and_record_the_correction(printed, canonical, evidence):
    assert kb.resolve_agent(printed, evidence) == canonical
    card = kb.show(printed)
    assert card.correction, f"no recorded correction for {printed}"
    assert printed in card.synonyms


def _records_of_raw_target(curated, evidence, raw):
    rows = curated["seed_tables23"]
    row_ids = rows.loc[rows["target_raw"] == raw, "row_id"]
    return evidence.records[evidence.records[C.ROW_ID].isin(row_ids)]


@pytest.mark.parametrize(
    ("raw", "symbol"),
    [("SCL7A11", "SLC7A11"), ("NOQ1", "NQO1"), ("Tyrsinase", "TYR"), ("TXNRD", "TXNRD1"),
     ("SOD-1", "SOD1"), ("HO-1", "HMOX1"), ("Bce-Abl", "BCR::ABL1")],
)  # fmt: skip
def test_target_spellings_become_hgnc_symbols(curated, evidence, raw, symbol):
    records = _records_of_raw_target(curated, evidence, raw)
    assert not records.empty
    assert set(records[C.TARGET]) == {symbol}


def test_fusion_and_mechanism_targets_are_marked(curated, evidence):
    fusion = _records_of_raw_target(curated, evidence, "Bce-Abl")
    assert set(fusion[C.TARGET_KIND]) == {C.FUSION}
    ros = _records_of_raw_target(curated, evidence, "ROS")
    assert len(ros) >= 14
    assert set(ros[C.TARGET]) == {""}
    assert set(ros[C.TARGET_KIND]) == {C.MECHANISM_ONLY}


def test_cells_with_two_pmids_become_two_records(evidence):
    px12 = evidence.records[evidence.records[C.AGENT] == "PX-12"]
    assert set(px12[C.PMID]) == {"26550453", "24172913"}
    # two PMIDs × two cancers (lung, liver)
    assert len(px12) == 4


def test_cancer_types_are_normalised_and_raw_text_kept(evidence):
    rows = evidence.sasp[evidence.sasp[C.CANCER_RAW] == "High-grade serous carcinoma (HGSC)"]
    assert set(rows[C.CANCER_CODE]) == {"HGSOC"}
    curcumin = evidence.records[evidence.records[C.AGENT] == "curcumin"].iloc[0]
    assert (curcumin[C.STAGE], curcumin[C.NCT_ID]) == ("phase II", "NCT00745143")


@pytest.mark.parametrize(
    ("inducer", "factor"),
    [("paclitaxel", "CXCL8"), ("doxorubicin", "CCL5"), ("paclitaxel", "CSF2"),
     ("carboplatin", "IL11"), ("carboplatin", "CXCL12"), ("bleomycin", "CCN2")],
)  # fmt: skip
def test_sasp_factors_are_gene_symbols(inducer, factor):
    assert not kb.sasp(inducer=inducer, factor=factor).empty


def test_sasp_factor_query_accepts_protein_names():
    by_protein = kb.sasp(factor="IL-8")
    by_symbol = kb.sasp(factor="CXCL8")
    pd.testing.assert_frame_equal(by_protein, by_symbol)
    assert set(by_symbol[C.AGENT]) == {"paclitaxel", "platinum chemotherapy", "oxaliplatin"}


def test_markers_and_cell_types_are_not_counted_as_sasp_factors(evidence):
    docetaxel = evidence.sasp[evidence.sasp[C.ROW_ID] == "T1.05"]
    assert set(docetaxel.loc[docetaxel[C.FACTOR_KIND] == "marker", C.FACTOR]) == {
        "GLB1",
        "CDKN2A",
        "CDKN1A",
    }
    mdsc = evidence.sasp[evidence.sasp[C.ROW_ID] == "T1.09"]
    assert set(mdsc[C.FACTOR_KIND]) == {"unmapped"}


def _bad_record(evidence, **changes):
    record = evidence.records.iloc[[0]].copy()
    for field, value in changes.items():
        record[field] = value
    return record


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({C.PMID: "PMID12"}, C.PMID, id="pmid-not-numeric"),
        pytest.param({C.TARGET: "SCL7A11", C.TARGET_KIND: C.GENE}, C.TARGET, id="symbol-invalid"),
        pytest.param({C.AGENT_CLASS: "senolytics"}, C.AGENT_CLASS, id="class-unknown"),
        pytest.param({C.CANCER_CODE: "TNBC"}, C.CANCER_CODE, id="cancer-unknown"),
        pytest.param({C.STAGE: "Phase 2"}, C.STAGE, id="stage-unnormalised"),
        pytest.param({C.NCT_ID: "NCT123"}, C.NCT_ID, id="nct-malformed"),
        pytest.param({C.SOURCE: ""}, C.SOURCE, id="untraceable"),
        pytest.param({C.CELL_DEATH: "necroptosis"}, C.CELL_DEATH, id="death-unknown"),
    ],
)
def test_check_records_catches_each_fault(evidence, changes, field):
    issues = check_records(_bad_record(evidence, **changes), evidence)
    assert [i.field for i in issues] == [field]


def test_check_records_catches_duplicates(evidence):
    doubled = pd.concat([evidence.records.iloc[[0]], evidence.records.iloc[[0]]], ignore_index=True)
    issues = check_records(doubled, evidence)
    assert len(issues) == 1
    assert "duplicate" in issues[0].message
