"""User additions: validated like curated data, stored apart, all-or-nothing."""

from __future__ import annotations

import hashlib
from importlib.resources import as_file

import pytest

from senox import kb
from senox._errors import EvidenceDataError
from senox.kb import _columns as C
from senox.kb._store import SHIPPED_DB

HEADER = "agent\tagent_class\ttarget\tcancer\tstage\tpmid\tsource\n"


def _write(tmp_path, body, header=HEADER):
    path = tmp_path / "mine.tsv"
    path.write_text(header + body, encoding="utf-8")
    return path


def _shipped_digest():
    with as_file(SHIPPED_DB) as path:
        return hashlib.sha256(path.read_bytes()).hexdigest()


def test_add_appends_to_the_user_database_only(tmp_path, user_db):
    before = _shipped_digest()
    path = _write(
        tmp_path, "APR-246\tGSH depletion\tSLC7A11\tHCC\tPhase 2\t12345678\tmy lab notebook\n"
    )
    assert kb.add(path) == 1
    assert user_db.exists()
    assert _shipped_digest() == before
    found = kb.agents(target="SLC7A11", cancer="HCC")
    mine = found[found[C.AGENT] == "APR-246"]
    assert mine[C.STAGE].tolist() == ["phase II"]
    assert mine[C.SOURCE].tolist() == ["user: my lab notebook"]
    assert "APR-246" in set(kb.search("notebook")[C.AGENT])
    assert kb.agents(target="SLC7A11", include_user=False)[C.AGENT].ne("APR-246").all()


def test_add_resolves_known_agents_and_spellings(tmp_path):
    path = _write(
        tmp_path, "Shokonin\tferroptosis inducer\tNRF2\tLUNG\tpreclinical\t87654321\tlab\n"
    )
    kb.add(path)
    added = kb.agents(agent="shikonin", target="NFE2L2")
    assert added[C.PMID].tolist() == ["87654321"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("X\tsenolytic\tBCL2\t\t\tPMID:1\tlab\n", "line 3, field 'pmid'", id="pmid"),
        pytest.param("X\tsenolytics\tBCL2\t\t\t1\tlab\n", "field 'agent_class'", id="class"),
        pytest.param("X\tsenolytic\tNOTAGENE1\t\t\t1\tlab\n", "field 'target'", id="symbol"),
        pytest.param("X\tsenolytic\tBCL2\tTNBC-ish\t\t1\tlab\n", "field 'cancer'", id="cancer"),
        pytest.param("X\tsenolytic\tBCL2\t\t\t1\t\n", "field 'source'", id="no-source"),
        pytest.param(
            "Erastin\tferroptosis inducer\tSLC7A11\tFIBS\t\t22632970\tlab\n",
            "already in",
            id="duplicate",
        ),
    ],
)
def test_bad_user_rows_write_nothing(tmp_path, user_db, body, expected):
    path = _write(tmp_path, "ok-agent\tsenolytic\tBCL2\t\t\t11111111\tlab\n" + body)
    with pytest.raises(EvidenceDataError, match=expected) as info:
        kb.add(path)
    assert str(path) in str(info.value)
    assert "nothing was added" in str(info.value)
    assert not user_db.exists()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("agent\tagent_class\n", "missing column", id="missing-column"),
        pytest.param("agent\tagent_class\tsource\tpmids\n", "unknown column", id="typo-column"),
    ],
)
def test_bad_headers_are_named(tmp_path, header, expected):
    path = _write(tmp_path, "X\tsenolytic\tlab\t1\n", header=header)
    with pytest.raises(EvidenceDataError, match=expected):
        kb.add(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(EvidenceDataError, match="file not found"):
        kb.add(tmp_path / "nope.tsv")
