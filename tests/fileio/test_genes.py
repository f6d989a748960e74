from __future__ import annotations

import pytest

from senox.io import approved_symbols, hgnc_table, resolve_symbol


def test_hgnc_table_is_the_complete_set():
    table = hgnc_table()
    assert len(table) > 40_000
    assert table["symbol"].is_unique
    assert {"SLC7A11", "TXNRD1", "CXCL8", "CCN2", "NFE2L2", "BCL2L1"} <= approved_symbols()


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        pytest.param("MLF1IP", ("CENPU",), id="previous-symbol"),
        pytest.param("IL8", ("CXCL8",), id="previous-symbol-chemokine"),
        pytest.param("CTGF", ("CCN2",), id="renamed"),
        pytest.param("slc7a11", ("SLC7A11",), id="case"),
        pytest.param("NOT_A_GENE_XYZ", (), id="unknown"),
    ],
)
def test_resolve_symbol(term, expected):
    assert resolve_symbol(term) == expected
