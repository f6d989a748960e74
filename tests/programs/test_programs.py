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
        pytest.param("\tno name\tG1\n", "line 1: a GMT line is name", id="no-name"),
        pytest.param("a\td\tG1\t-\n", "line 1: a gene is only a sign", id="sign-only"),
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


def test_gmt_byte_order_mark_is_not_part_of_the_name(tmp_path):
    path = tmp_path / "bom.gmt"
    path.write_text("\ufeffmine\td\tTP53\n", encoding="utf-8")
    assert list(programs.read_gmt(path)) == ["mine"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("program\tgene\nredox\t\n", "line 2: the program or the gene is empty",
                     id="empty-gene"),
        pytest.param("program\tgene\tweight\nredox\tNQO1\t0\n", "line 2: weight '0' is not "
                     "a non-zero number", id="zero-weight"),
        pytest.param("program\tgene\tweight\nredox\tNQO1\tup\n", "weight 'up'", id="text"),
        pytest.param("gene\nNQO1\n", "missing column(s) program", id="no-program-column"),
    ],
)  # fmt: skip
def test_bad_program_tables(tmp_path, text, message):
    path = tmp_path / "bad.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        programs.read_program_table(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("mine.gmt", "senescence\tmy own\tTP53\tCDKN1A\n", id="gmt"),
        pytest.param("mine.tsv", "program\tgene\nsenescence\tTP53\n", id="table"),
    ],
)
def test_a_user_program_may_not_take_a_built_in_name(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    read = programs.read_gmt if name.endswith(".gmt") else programs.read_program_table
    with pytest.raises(InputError) as error:
        programs.select(None, extra=read(path))
    assert str(error.value) == (
        f"{path}: program 'senescence' has the name of a built-in program; rename it "
        "(e.g. 'my_senescence') to score it beside the built-in one"
    )


def test_the_catalogue_as_a_network_reads_back_as_the_same_programs(tmp_path):
    net = programs.to_network()
    assert list(net.columns) == ["source", "target", "weight"]
    assert set(net["weight"]) == {1.0, -1.0}
    path = tmp_path / "net.tsv"
    net.rename(columns={"source": "program", "target": "gene"}).to_csv(path, sep="\t", index=False)
    back = programs.read_program_table(path)
    for name, program in programs.catalogue().items():
        assert back[name].up == program.up
        assert back[name].down == program.down
