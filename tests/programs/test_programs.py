from __future__ import annotations

import pytest

from senox import programs
from senox._errors import InputError
from senox.io import approved_symbols

REQUIRED = [
    "senescence", "sasp", "sasp_inflammatory", "p53_response", "proliferation", "oxidant",
    "antioxidant", "ferroptosis_defense", "anti_apoptotic", "stemness", "dna_damage",
]  # fmt: skip


def test_catalogue_has_every_required_program_with_provenance():
    catalogue = programs.catalogue()
    assert set(REQUIRED) <= set(catalogue)
    for program in catalogue.values():
        assert program.up, program.name
        assert program.rationale, program.name
        assert program.publication, program.name
        assert program.licence, program.name
        assert program.version == programs.CATALOGUE_VERSION


def test_catalogue_genes_are_current_hgnc_symbols():
    symbols = approved_symbols()
    for program in programs.catalogue().values():
        assert set(program.genes) <= symbols, program.name


def test_senescence_has_its_down_side():
    senescence = programs.catalogue()["senescence"]
    assert senescence.down == ("LMNB1", "MKI67")
    assert {"CDKN1A", "CDKN2A", "IL6", "CXCL8"} <= set(senescence.up)


def test_read_gmt_with_signs(tmp_path):
    path = tmp_path / "mine.gmt"
    path.write_text("escape\tmy escape set\tCDK1\tNANOG\tCDKN1A-\n", encoding="utf-8")
    program = programs.read_gmt(path)["escape"]
    assert program.up == ("CDK1", "NANOG")
    assert program.down == ("CDKN1A",)


def test_read_program_table(tmp_path):
    path = tmp_path / "mine.tsv"
    path.write_text("program\tgene\tweight\nredox\tNQO1\t1\nredox\tNOX4\t-0.5\n", encoding="utf-8")
    program = programs.read_program_table(path)["redox"]
    assert (program.up, program.down) == (("NQO1",), ("NOX4",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("onlyname\n", "line 1", id="too-few-fields"),
        pytest.param("a\td\tG1\na\td\tG2\n", "defined twice", id="duplicate"),
        pytest.param("\n\n", "no gene sets", id="empty"),
    ],
)
def test_bad_gmt_files(tmp_path, text, message):
    path = tmp_path / "bad.gmt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        programs.read_gmt(path)


def test_select_unknown_program_lists_the_catalogue():
    with pytest.raises(InputError, match="available: senescence"):
        programs.select(["senescense"])
