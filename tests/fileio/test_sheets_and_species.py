"""Reading what real files look like (issue 13): sample sheets, 10x cell lists with a header,
10x gene lists that repeat an Ensembl ID, and genes of other species (mouse in memory; rat
through a user's ortholog table); too few program genes is a loud error, never zero scores."""

from __future__ import annotations

import logging

import anndata as ad  # type: ignore[import-untyped,unused-ignore]
import numpy as np
import pandas as pd
import pytest
from scipy import sparse  # type: ignore[import-untyped,unused-ignore]

from senox import programs
from senox._errors import InputError
from senox.io import mouse_ortholog_table, read
from senox.score import score_programs
from tests.conftest import SHARED
from tests.fileio.test_read import (
    CELLS,
    COUNTS,
    GENES,
    assert_real_options,
    ensembl_ids,
    gzip_file,
    write_10x_v3,
    write_csv_genes_in_rows,
    write_h5ad,
    write_lines,
    write_mtx,
    write_mtx_genes_in_rows,
)

CONDITIONS = ["ctrl", "ctrl", "ctrl", "dox", "dox", "dox"]


def one_line_error(call, *fragments):
    """The InputError ``call`` raises: one line holding every fragment."""
    with pytest.raises(InputError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    assert_real_options(message)
    return message


# --------------------------------------------------------------------------- sample sheets


def write_sheet(path, ids=CELLS, sep=","):
    frame = pd.DataFrame(
        {
            "sample_id": ids,
            "condition": (CONDITIONS * 3)[: len(ids)],
            "day": list(range(len(ids))),
            "dose_nM": ["0", "0", "", "50", "50", "50.5", "7"][: len(ids)],
        }
    )
    frame.to_csv(path, sep=sep, index=False)
    return path


@pytest.mark.parametrize(
    ("name", "sep"),
    [
        pytest.param("samples.csv", ",", id="csv"),
        pytest.param("samples.tsv", "\t", id="tsv"),
        pytest.param("samples.txt", ";", id="semicolon"),
        pytest.param("samples.csv", "\t", id="tabs-in-a-csv"),
    ],
)
def test_a_sample_sheet_becomes_obs_columns(tmp_path, name, sep):
    sheet = write_sheet(tmp_path / name, sep=sep)
    adata = read(write_csv_genes_in_rows(tmp_path), obs=sheet)
    assert adata.obs_names.tolist() == CELLS
    assert adata.obs["condition"].tolist() == CONDITIONS
    assert adata.obs["day"].tolist() == list(range(6))  # every row a number: numeric
    assert adata.obs["dose_nM"].iloc[3] == "50"  # one row empty: text


def test_a_gzipped_sheet_in_another_order_is_matched_by_id(tmp_path):
    sheet = gzip_file(write_sheet(tmp_path / "samples.tsv", ids=CELLS[::-1], sep="\t"))
    adata = read(write_csv_genes_in_rows(tmp_path), obs=sheet)
    assert adata.obs["condition"].tolist() == CONDITIONS[::-1]


def test_a_dataframe_sheet_is_matched_by_its_index(tmp_path):
    frame = pd.DataFrame({"condition": CONDITIONS}, index=CELLS)
    adata = read(write_csv_genes_in_rows(tmp_path), obs=frame)
    assert adata.obs["condition"].tolist() == CONDITIONS


def test_missing_observations_name_both_sides(tmp_path):
    sheet = write_sheet(tmp_path / "s.csv", ids=[*CELLS[:3], "X1"])
    one_line_error(
        lambda: read(write_csv_genes_in_rows(tmp_path), obs=sheet),
        f"{sheet}: 3 of 6 observations have no row in the sample sheet (e.g. 'cell4', 'cell5', "
        "'cell6') and 1 row matches no observation (e.g. 'X1'); the first column must hold the "
        "observation IDs",
    )


def test_a_sheet_whose_ids_are_in_another_column_names_it(tmp_path):
    """GEO and SRA tables list titles, accessions and run IDs side by side."""
    sheet = tmp_path / "SraRunTable.csv"
    pd.DataFrame({"title": [f"t{i}" for i in range(6)], "Run": CELLS}).to_csv(sheet, index=False)
    one_line_error(
        lambda: read(write_csv_genes_in_rows(tmp_path), obs=sheet),
        "must hold the observation IDs (its column 'Run' does: put that column first)",
    )


def test_a_sheet_whose_ids_differ_in_case_says_so(tmp_path):
    sheet = write_sheet(tmp_path / "s.csv", ids=[c.upper() for c in CELLS])
    one_line_error(
        lambda: read(write_csv_genes_in_rows(tmp_path), obs=sheet),
        "(they match but for upper and lower case: write them as the data do)",
    )


def test_a_dataframe_with_other_ids_names_its_index(tmp_path):
    frame = pd.DataFrame({"condition": CONDITIONS}, index=range(6))
    one_line_error(
        lambda: read(write_csv_genes_in_rows(tmp_path), obs=frame),
        "obs DataFrame: 6 of 6 observations have no row",
        "its index must hold the observation IDs",
    )


def test_extra_rows_are_left_out_with_a_warning(tmp_path, caplog):
    sheet = write_sheet(tmp_path / "s.csv", ids=[*CELLS, "cell7"])
    with caplog.at_level(logging.WARNING):
        adata = read(write_csv_genes_in_rows(tmp_path), obs=sheet)
    assert adata.n_obs == 6
    assert "1 rows of the sample sheet match no observation (e.g. 'cell7')" in caplog.text


@pytest.mark.parametrize(
    ("ids", "fragment"),
    [
        pytest.param(
            [*CELLS[:5], "cell1"], "duplicate observation identifiers (1, e.g. 'cell1')", id="dup"
        ),
        pytest.param(["", *CELLS[1:]], "empty or NA observation identifiers", id="empty"),
    ],
)
def test_bad_sheet_ids_are_refused(tmp_path, ids, fragment):
    sheet = write_sheet(tmp_path / "s.csv", ids=ids)
    one_line_error(lambda: read(write_csv_genes_in_rows(tmp_path), obs=sheet), str(sheet), fragment)


def test_a_sheet_of_one_column_is_refused(tmp_path):
    sheet = write_lines(tmp_path / "ids.txt", ["sample", *CELLS])
    one_line_error(
        lambda: read(write_csv_genes_in_rows(tmp_path), obs=sheet),
        f"{sheet}: the sample sheet has 1 column",
    )


def test_a_missing_sheet_is_refused(tmp_path):
    one_line_error(
        lambda: read(write_csv_genes_in_rows(tmp_path), obs=tmp_path / "nope.csv"),
        "nope.csv: a sample sheet not found; check the path",
    )


def test_the_sheet_wins_over_an_obs_column_of_the_same_name(tmp_path, caplog):
    path = write_mtx_genes_in_rows(tmp_path)  # cells.csv has a 'group' column
    sheet = tmp_path / "s.tsv"
    pd.DataFrame({"id": CELLS, "group": list("xyxyxy")}).to_csv(sheet, sep="\t", index=False)
    with caplog.at_level(logging.WARNING):
        adata = read(path, obs=sheet)
    assert adata.obs["group"].tolist() == list("xyxyxy")
    assert "sheet's columns replace the data's obs columns of the same name ('group')" in (
        caplog.text
    )


def test_a_backed_h5ad_takes_a_sheet(tmp_path):
    adata = read(write_h5ad(tmp_path), backed=True, obs=write_sheet(tmp_path / "s.csv"))
    try:
        assert adata.obs["condition"].tolist() == CONDITIONS
    finally:
        adata.file.close()


# --------------------------------------------------------------------------- 10x cell lists


BARCODES = [f"{'ACGT'[i % 4] * 4}CCTGAGAAACC{'ACGT'[i // 4]}-1" for i in range(6)]


def write_10x_barcodes(tmp_path, lines):
    folder = write_10x_v3(tmp_path)
    (folder / "barcodes.tsv.gz").unlink()
    gzip_file(write_lines(folder / "barcodes.tsv", lines))
    return folder


@pytest.mark.parametrize("first", ["barcode", "Barcode", "cell_id", ""])
def test_a_barcodes_header_names_the_obs_columns(tmp_path, first):
    rows = [f"{b}\t{c}" for b, c in zip(BARCODES, CONDITIONS, strict=True)]
    adata = read(write_10x_barcodes(tmp_path, [f"{first}\tcondition", *rows]))
    assert adata.obs_names.tolist() == BARCODES
    assert adata.obs["condition"].tolist() == CONDITIONS


def test_a_header_is_found_above_rows_of_barcodes(tmp_path):
    rows = [f"{b}\t{i}" for i, b in enumerate(BARCODES)]
    adata = read(write_10x_barcodes(tmp_path, ["my_cells\tn_genes", *rows]))
    assert adata.obs_names.tolist() == BARCODES
    assert adata.obs["n_genes"].tolist() == list(range(6))


def test_barcodes_without_a_header_keep_every_row(tmp_path):
    rows = [f"{b}\t{c}" for b, c in zip(BARCODES, CONDITIONS, strict=True)]
    adata = read(write_10x_barcodes(tmp_path, rows))
    assert adata.obs_names.tolist() == BARCODES
    assert adata.obs["1"].tolist() == CONDITIONS


# --------------------------------------------------------------------------- 10x gene lists

#: CALM3's Ensembl ID, listed a second time under CALM1 (a mistake real feature lists carry).
CALM_ID = "ENSG00000160014"


def write_10x_repeating(tmp_path, names=("CALM1", "CALM3")):
    """A gzipped v3 folder whose last two features share CALM3's Ensembl ID."""
    folder = tmp_path / "filtered_feature_bc_matrix"
    folder.mkdir()
    extra = np.array([[3, 0, 1, 0, 2, 5], [1, 4, 0, 2, 0, 1]])  # CALM1, CALM3 per cell
    ids = [*ensembl_ids(GENES), CALM_ID, CALM_ID]
    rows = [f"{i}\t{n}\tGene Expression" for i, n in zip(ids, [*GENES, *names], strict=True)]
    gzip_file(write_mtx(folder / "matrix.mtx", np.vstack([COUNTS.T, extra])))
    gzip_file(write_lines(folder / "features.tsv", rows))
    gzip_file(write_lines(folder / "barcodes.tsv", CELLS))
    return folder, extra


@pytest.mark.parametrize("gene_id", ["auto", "symbol"])
def test_a_repeated_ensembl_id_under_two_symbols_reads_the_symbols(tmp_path, caplog, gene_id):
    folder, extra = write_10x_repeating(tmp_path)
    with caplog.at_level(logging.WARNING):
        adata = read(folder, gene_id=gene_id)
    assert adata.var_names.tolist() == [*GENES, "CALM1", "CALM3"]
    np.testing.assert_array_equal(adata[:, ["CALM1", "CALM3"]].layers["counts"].toarray(), extra.T)
    assert adata.uns["senox_io"]["gene_id"] == "symbol"
    assert (
        f"1 gene ID appears more than once, under different names (e.g. '{CALM_ID}'); the gene "
        "names, which are unique, are used instead" in caplog.text
    )


def test_a_repeated_ensembl_id_read_as_ensembl_is_summed(tmp_path, caplog):
    folder, extra = write_10x_repeating(tmp_path)
    with caplog.at_level(logging.WARNING):
        adata = read(folder, gene_id="ensembl")
    assert adata.var_names.tolist() == [*GENES, "CALM3"]
    np.testing.assert_array_equal(
        adata[:, "CALM3"].layers["counts"].toarray().ravel(), extra.sum(axis=0)
    )
    assert f"1 gene identifier appears more than once (e.g. '{CALM_ID}')" in caplog.text


def test_repeats_in_both_columns_are_summed_with_a_warning(tmp_path, caplog):
    folder, extra = write_10x_repeating(tmp_path, names=("CALM3", "CALM3"))
    with caplog.at_level(logging.WARNING):
        adata = read(folder)
    assert adata.var_names.tolist() == [*GENES, "CALM3"]
    np.testing.assert_array_equal(
        adata[:, "CALM3"].layers["counts"].toarray().ravel(), extra.sum(axis=0)
    )
    assert "counts summed, other values averaged" in caplog.text


# --------------------------------------------------------------------------- other species

#: Made-up rat Ensembl IDs for GENES, in order (the real ones are in ../shared).
RAT_IDS = [f"ENSRNOG{17000 + i:011d}" for i in range(len(GENES))]


def write_rat_table(tmp_path, ids=RAT_IDS):
    path = tmp_path / "rat_counts.csv"
    pd.DataFrame(COUNTS.T, index=[f"{i}.2" for i in ids], columns=CELLS).rename_axis(
        "Geneid"
    ).to_csv(path)
    return path


def write_rat_orthologs(tmp_path):
    """BioMart's columns; the first rat gene also has a many-to-many, low-confidence match."""
    human = ensembl_ids(GENES)
    rows = [(h, r, "ortholog_one2one", "1") for h, r in zip(human, RAT_IDS, strict=True)]
    rows.append((ensembl_ids(["AAAS"])[0], RAT_IDS[0], "ortholog_many2many", "0"))
    path = tmp_path / "rat_human.tsv.gz"
    columns = ["human_ensembl_gene", "rat_ensembl_gene", "homology_type", "confidence"]
    pd.DataFrame(rows, columns=columns).to_csv(path, sep="\t", index=False)
    return path


def test_rat_ensembl_ids_ask_for_an_ortholog_table(tmp_path):
    path = write_rat_table(tmp_path)
    one_line_error(
        lambda: read(path),
        f"{path}: 8 rat Ensembl IDs (e.g. 'ENSRNOG00000017000.2', 'ENSRNOG00000017001.2'), a "
        "species senox ships no ortholog table for; pass a table of their human orthologs: "
        "--orthologs FILE (orthologs=)",
    )


def test_species_rat_without_orthologs_is_refused(tmp_path):
    one_line_error(lambda: read(write_csv_genes_in_rows(tmp_path), species="rat"), "8 rat symbols")


def test_rat_genes_are_read_through_an_ortholog_table(tmp_path):
    adata = read(write_rat_table(tmp_path), orthologs=write_rat_orthologs(tmp_path))
    assert adata.var_names.tolist() == GENES  # the one-to-one ortholog beats AAAS
    assert set(adata.var["mapping"]) == {"ortholog table"}
    info = adata.uns["senox_io"]
    assert (info["species"], info["gene_id"], info["n_mapped"]) == ("rat", "ensembl", 8)


def test_a_two_column_table_of_symbols_is_an_ortholog_table(tmp_path):
    zebrafish = [gene.lower() + "a" for gene in GENES]
    path = tmp_path / "fish.csv"
    pd.DataFrame(COUNTS.T, index=zebrafish, columns=CELLS).to_csv(path)
    orthologs = pd.DataFrame({"zfin_symbol": zebrafish, "ortholog": GENES})
    adata = read(path, orthologs=orthologs, species="other")
    assert adata.var_names.tolist() == GENES


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        pytest.param(
            pd.DataFrame({"gene": ["a"]}), "the ortholog table has 1 column", id="one-column"
        ),
        pytest.param(
            pd.DataFrame({"rat": ["Cdkn1a"], "human": ["NOT_A_GENE"]}),
            "column 'human' of the ortholog table holds no human gene HGNC knows (e.g. "
            "'NOT_A_GENE')",
            id="no-human-gene",
        ),
    ],
)
def test_a_bad_ortholog_table_is_refused(tmp_path, table, fragment):
    one_line_error(
        lambda: read(write_csv_genes_in_rows(tmp_path), orthologs=table),
        f"orthologs DataFrame: {fragment}",
    )


# --------------------------------------------------------------------------- in memory


def catalogue_genes():
    return sorted({g for p in programs.catalogue().values() for g in p.genes})


def same_named_mouse_genes():
    """(human, mouse) symbol pairs of catalogue genes whose mouse ortholog has the same name."""
    table = mouse_ortholog_table()
    table = table[table["human_symbol"] == table["mouse_symbol"].str.upper()]
    mouse = table.drop_duplicates("human_symbol").set_index("human_symbol")["mouse_symbol"]
    return [(human, mouse[human]) for human in catalogue_genes() if human in mouse.index]


def in_memory(var_names, seed=0):
    rng = np.random.default_rng(seed)
    counts = rng.poisson(3, size=(40, len(var_names))).astype(np.float32)
    return ad.AnnData(sparse.csr_matrix(np.log1p(counts)), var=pd.DataFrame(index=var_names))


def test_mouse_symbols_in_memory_score_as_their_human_orthologs():
    pairs = same_named_mouse_genes()
    human = in_memory([h for h, _ in pairs])
    mouse = human.copy()
    mouse.var_names = [m for _, m in pairs]
    score_programs(human)
    score_programs(mouse)
    pd.testing.assert_frame_equal(mouse.obsm["senox_scores"], human.obsm["senox_scores"])
    assert mouse.var_names[0] == pairs[0][1]  # the data keep their names
    assert mouse.uns["senox"]["scores"]["gene_names"].startswith("mouse symbols from adata")


def test_rat_ensembl_ids_in_memory_ask_for_an_ortholog_table():
    one_line_error(
        lambda: score_programs(in_memory(RAT_IDS)),
        "adata.var_names: 8 rat Ensembl IDs",
        "in memory: senox.pp.to_human(adata, orthologs=...)",
    )


def test_few_mapped_identifiers_and_poor_coverage_fail_loudly():
    """30 known mouse IDs among 2,000 that map to nothing: refused, not scored as zeros."""
    table = mouse_ortholog_table()
    known = table[table["human_symbol"].isin(catalogue_genes())]["mouse_ensembl_gene_id"]
    ids = [*known.drop_duplicates().head(30), *(f"ENSMUSG{99000000 + i:011d}" for i in range(2000))]
    message = one_line_error(
        lambda: score_programs(in_memory(ids)),
        "adata.var_names: 11 of 11 programs have under 20% of their genes in the data",
        "and only 1% of its 2,030 gene identifiers, read as mouse Ensembl IDs, are known "
        "genes: the species or the kind of identifier is probably wrong",
    )
    assert "(senescence " in message


def test_a_small_panel_of_human_genes_is_scored():
    """Poor coverage alone (every identifier known) is a panel, not a wrong species."""
    adata = in_memory(GENES)
    score_programs(adata)
    assert adata.obsm["senox_scores"].shape == (40, len(programs.catalogue()))


# --------------------------------------------------------------------------- real data


@pytest.mark.needs_shared
def test_the_rat_quiescence_set_reads_with_the_shared_ortholog_table():
    folder = SHARED / "data" / "ref_rat_quiescence_depth"
    adata = read(
        folder / "ref_raw_counts.csv.gz",
        obs=folder / "ref_samples.csv",
        orthologs=folder / "rat_human_orthologs_ensembl.tsv.gz",
    )
    info = adata.uns["senox_io"]
    assert (adata.n_obs, info["species"], info["gene_id"]) == (27, "rat", "ensembl")
    assert info["n_mapped"] > 15_000
    assert adata.obs["Day"].tolist() == sorted([2, 3, 4, 6, 8, 10, 12, 14, 16] * 3)
    score_programs(adata)
    coverage = pd.DataFrame(adata.uns["senox"]["scores"]["coverage"])
    assert (coverage["n_found"] / coverage["n_genes"]).min() > 0.7


@pytest.mark.needs_shared
def test_marthandan2016_with_its_sample_sheet():
    folder = SHARED / "data" / "marthandan2016"
    adata = read(
        folder / "marthandan2016_expression.csv.gz", obs=folder / "marthandan2016_samples.csv"
    )
    assert adata.obs["Condition"].value_counts().to_dict() == {"Proliferative": 21, "Senescent": 18}


def test_mouse_symbols_in_memory_get_the_states_of_their_human_orthologs():
    from senox.states import call_states

    pairs = same_named_mouse_genes()
    human = in_memory([h for h, _ in pairs])
    mouse = human.copy()
    mouse.var_names = [m for _, m in pairs]
    call_states(human)
    call_states(mouse)
    pd.testing.assert_frame_equal(mouse.obsm["senox_axes"], human.obsm["senox_axes"])
    assert (mouse.obs["senox_state"] == human.obs["senox_state"]).all()
