"""Property-based tests: any GMT or program-table text is read or refused in one line.

Programs read from a user's file may then be selected beside the catalogue, or refused (a
built-in name); never another exception.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from senox import programs
from senox._errors import SenoxError

#: Every property runs in well under 10 s.
FAST = settings(max_examples=150, deadline=None)

#: Names: built-in (refused when selected), user ones, repeated, blank, odd, anything.
NAMES = st.one_of(
    st.sampled_from(["mine", "mine", "escape", "senescence", "sasp", "", " ", "a b", "\ufeffx"]),
    st.text(max_size=8),
)
#: Genes, with or without a sign; a lone sign; blanks; anything.
GENES = st.one_of(
    st.sampled_from(["TP53", "CDKN1A-", "MKI67+", "NQO1", "-", "+", "", " ", "IL6 "]),
    st.text(max_size=6),
)
WEIGHTS = st.one_of(
    st.sampled_from(["1", "-0.5", "0", "", "x", "inf", "nan", "1e400", " 2"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def read_or_refuse(read: object, text: str, name: str) -> None:
    """Read the text as a file; a refusal names the file on one line; a result selects."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            found = read(path)  # type: ignore[operator]
            chosen = programs.select(None, extra=found)
        except SenoxError as error:
            message = str(error)
        else:
            assert all(name and program.genes for name, program in found.items())
            assert all(gene for program in found.values() for gene in program.genes)
            assert set(chosen) == set(programs.catalogue()) | set(found)
            return
    assert "\n" not in message
    assert str(path) in message, message


@st.composite
def gmt_text(draw: st.DrawFn) -> str:
    lines = [
        "\t".join([draw(NAMES), draw(st.text(max_size=5)), *draw(st.lists(GENES, max_size=4))])
        for _ in range(draw(st.integers(0, 4)))
    ]
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines)


@FAST
@given(text=st.one_of(gmt_text(), st.text(max_size=80)))
def test_any_gmt_text_is_read_or_refused(text):
    read_or_refuse(programs.read_gmt, text, "mine.gmt")


@st.composite
def program_tables(draw: st.DrawFn) -> str:
    header = draw(st.sampled_from(["program\tgene\tweight", "program\tgene", "gene\tweight", ""]))
    rows = [
        "\t".join([draw(NAMES), draw(GENES), draw(WEIGHTS)][: header.count("\t") + 1])
        for _ in range(draw(st.integers(0, 4)))
    ]
    return "\n".join([header, *rows])


@FAST
@given(text=st.one_of(program_tables(), st.text(max_size=80)))
def test_any_program_table_is_read_or_refused(text):
    read_or_refuse(programs.read_program_table, text, "mine.tsv")
