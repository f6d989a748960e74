from __future__ import annotations

import pandas as pd
import pytest

from senox._errors import InputError
from senox.io import (
    guess_gene_id,
    guess_species,
    hgnc_table,
    map_to_human,
    mouse_ortholog_table,
    ortholog_lookup,
)

MOUSE = ["Cdkn2a", "Cdkn1a", "Trp53", "Il6", "Cxcl1", "Nfe2l2", "Lmnb1", "Mki67"]
HUMAN = ["CDKN2A", "CDKN1A", "TP53", "IL6", "CXCL1", "NFE2L2", "LMNB1", "MKI67"]


def _one(term, **kwargs):
    row = map_to_human([term], **kwargs).iloc[0]
    return row["human_symbol"], row["how"]


@pytest.mark.parametrize(
    ("term", "symbol", "how"),
    [
        pytest.param("TP53", "TP53", "approved", id="approved"),
        pytest.param("tp53", "TP53", "approved", id="case-insensitive"),
        pytest.param("C10ORF105", "C10orf105", "approved", id="approved-mixed-case"),
        pytest.param("MLF1IP", "CENPU", "previous symbol", id="previous-MLF1IP"),
        pytest.param("IL8", "CXCL8", "previous symbol", id="previous-IL8"),
        pytest.param("PD-L1", "CD274", "alias", id="unique-alias"),
        pytest.param("NOT_A_GENE_XYZ", "", "unmapped", id="unknown"),
    ],
)
def test_human_symbols(term, symbol, how):
    assert _one(term, species="human", gene_id="symbol") == (symbol, how)


def _retired(column):
    """(upper-cased retired symbol, number of approved genes listing it) from the HGNC table."""
    table = hgnc_table()
    pairs = table.assign(key=table[column].str.split("|")).explode("key")
    pairs = pairs[pairs["key"] != ""]
    return pairs.groupby(pairs["key"].str.upper())["symbol"].nunique()


def test_alias_that_is_an_approved_symbol_stays_itself():
    approved = set(hgnc_table()["symbol"])
    aliases = _retired("alias_symbols")
    term = next(key for key in sorted(aliases.index) if key in approved)
    assert _one(term, species="human", gene_id="symbol") == (term, "approved")


def test_ambiguous_previous_symbol_is_unmapped():
    approved_upper = set(hgnc_table()["symbol"].str.upper())
    previous = _retired("prev_symbols")
    term = next(key for key, n in previous.items() if n > 1 and key not in approved_upper)
    assert _one(term, species="human", gene_id="symbol") == ("", "unmapped")


def test_human_ensembl_with_versions():
    ensembl = hgnc_table().set_index("symbol")["ensembl_gene_id"]
    ids = [f"{ensembl[symbol]}.{i}" for i, symbol in enumerate(HUMAN, 1)]
    mapped = map_to_human(ids)
    assert mapped["human_symbol"].tolist() == HUMAN
    assert set(mapped["how"]) == {"ensembl"}
    assert mapped["original_id"].tolist() == ids


def test_mouse_symbols():
    mapped = map_to_human(MOUSE)
    assert mapped["human_symbol"].tolist() == HUMAN
    assert set(mapped["how"]) == {"ortholog"}


def test_mouse_cxcl1_prefers_the_same_name_over_better_support():
    pairs = mouse_ortholog_table().query("mouse_symbol == 'Cxcl1'")
    support = dict(zip(pairs["human_symbol"], pairs["n_support"], strict=True))
    assert support["CXCL2"] > support["CXCL1"]
    assert _one("Cxcl1", species="mouse", gene_id="symbol") == ("CXCL1", "ortholog")


def test_mouse_without_same_name_takes_best_support():
    pairs = mouse_ortholog_table().query("mouse_symbol == '0610010K14Rik'")
    best = pairs.sort_values(["n_support", "human_symbol"], ascending=[False, True]).iloc[0]
    assert len(pairs) > 1
    assert _one("0610010K14Rik", species="mouse", gene_id="symbol") == (
        best["human_symbol"],
        "ortholog",
    )


def test_mouse_ensembl():
    table = mouse_ortholog_table()
    ids = [
        table.loc[table["mouse_symbol"] == gene, "mouse_ensembl_gene_id"].iloc[0] for gene in MOUSE
    ]
    mapped = map_to_human([f"{gene_id}.3" for gene_id in ids])
    assert mapped["human_symbol"].tolist() == HUMAN


def test_result_keeps_input_order_and_duplicates():
    mapped = map_to_human(["IL8", "XYZ_UNKNOWN", "CXCL8", "IL8"])
    assert list(mapped.columns) == ["original_id", "human_symbol", "how"]
    assert mapped["original_id"].tolist() == ["IL8", "XYZ_UNKNOWN", "CXCL8", "IL8"]
    assert mapped["human_symbol"].tolist() == ["CXCL8", "", "CXCL8", "CXCL8"]


@pytest.mark.parametrize(
    ("ids", "gene_id", "species"),
    [
        pytest.param(HUMAN, "symbol", "human", id="human-symbols"),
        pytest.param(MOUSE, "symbol", "mouse", id="mouse-symbols"),
        pytest.param(["ENSG00000147889.18", "ENSG00000141510"], "ensembl", "human", id="ensg"),
        pytest.param(
            ["ENSMUSG00000044303", "ENSMUSG00000059552"], "ensembl", "mouse", id="ensmusg"
        ),
        pytest.param(
            ["ENSRNOG00000016275", "ENSRNOG00000002010.7"], "ensembl", "rat", id="ensrnog"
        ),
        pytest.param(
            ["ENSDARG00000035559", "ENSDARG00000003566"], "ensembl", "other", id="zebrafish"
        ),
        pytest.param(["cell1", "cell2"], "symbol", "human", id="neither-tie-is-human"),
    ],
)
def test_guess(ids, gene_id, species):
    assert guess_gene_id(ids) == gene_id
    assert guess_species(ids, gene_id=gene_id) == species


def test_mixed_ensembl_ids_and_symbols_map_each_as_its_kind():
    ensembl = hgnc_table().set_index("symbol")["ensembl_gene_id"]
    ids = [f"{ensembl['TP53']}.7", "CDKN1A", ensembl["MKI67"], "MLF1IP"]
    mapped = map_to_human(ids)
    assert mapped["human_symbol"].tolist() == ["TP53", "CDKN1A", "MKI67", "CENPU"]
    assert mapped["how"].tolist() == ["ensembl", "approved", "ensembl", "previous symbol"]
    forced = map_to_human(ids, gene_id="symbol")
    assert forced["how"].tolist() == ["unmapped", "approved", "unmapped", "previous symbol"]


def test_mixed_mouse_ensembl_ids_and_symbols_map_each_as_its_kind():
    table = mouse_ortholog_table()
    cdkn2a = table.loc[table["mouse_symbol"] == "Cdkn2a", "mouse_ensembl_gene_id"].iloc[0]
    mapped = map_to_human([cdkn2a, *MOUSE[1:]])
    assert mapped["human_symbol"].tolist() == HUMAN
    assert set(mapped["how"]) == {"ortholog"}


@pytest.mark.parametrize(
    ("ids", "species", "fragment"),
    [
        pytest.param(["ENSRNOG00000016275.2"], "auto", "1 rat Ensembl IDs", id="rat-guessed"),
        pytest.param(["ENSDARG00000035559"], "auto", "1 non-human, non-mouse", id="zebrafish"),
        pytest.param(["Cdkn1a"], "rat", "1 rat symbols", id="rat-asked"),
    ],
)
def test_species_without_a_shipped_table_need_one(ids, species, fragment):
    with pytest.raises(InputError, match="pass a table of their human orthologs") as info:
        map_to_human(ids, species=species)
    assert str(info.value).startswith(fragment)


def test_an_ortholog_table_picks_one_human_gene_per_source_gene():
    ensembl = hgnc_table().set_index("symbol")["ensembl_gene_id"]
    table = pd.DataFrame(
        [
            # the one-to-one ortholog beats a better-named many-to-many one
            (ensembl["CDKN1A"], "ENSRNOG00000000001", "ortholog_one2one", "0"),
            (ensembl["CDKN2A"], "ENSRNOG00000000001", "ortholog_many2many", "1"),
            # among equals, high confidence wins
            (ensembl["TP53"], "ENSRNOG00000000002", "ortholog_one2many", "0"),
            (ensembl["MKI67"], "ENSRNOG00000000002", "ortholog_one2many", "1"),
            # a human gene HGNC does not know is left out
            ("ENSG99999999999", "ENSRNOG00000000003", "ortholog_one2one", "1"),
        ],
        columns=["human_ensembl_gene", "rat_ensembl_gene", "homology_type", "confidence"],
    )
    lookup = ortholog_lookup(table)
    assert lookup.to_dict() == {"ENSRNOG00000000001": "CDKN1A", "ENSRNOG00000000002": "MKI67"}
    mapped = map_to_human(["ENSRNOG00000000001.3", "ENSRNOG00000000003"], orthologs=lookup)
    assert mapped["human_symbol"].tolist() == ["CDKN1A", ""]
    assert mapped["how"].tolist() == ["ortholog table", "unmapped"]


def test_an_ortholog_table_of_symbols_prefers_the_same_name():
    table = pd.DataFrame({"human": ["CXCL8", "CXCL1"], "rat_symbol": ["Cxcl1", "Cxcl1"]})
    assert ortholog_lookup(table).to_dict() == {"Cxcl1": "CXCL1"}
