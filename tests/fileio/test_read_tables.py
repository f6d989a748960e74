"""Count tables and folders as counting tools, pipelines and GEO write them (issue 13: "readers
that accept what real files look like"): featureCounts, htseq-count and STAR outputs, tables
with a column of gene names beside the IDs, joined ``ID|name`` labels, repeated symbols, sample
annotations, spreadsheet exports, 10x files under a GEO sample prefix."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from senox._errors import InputError
from senox.io import read
from tests.fileio.test_read import (
    CELLS,
    COUNTS,
    GENES,
    ensembl_ids,
    log_normalised,
    write_10x_v3,
    write_lines,
)


def plain(tmp_path):
    """The reference: the same counts as a plain genes × samples CSV."""
    path = tmp_path / "plain.csv"
    pd.DataFrame(COUNTS.T, index=GENES, columns=CELLS).to_csv(path)
    return read(path)


def assert_same_data(adata, expected):
    assert adata.obs_names.tolist() == expected.obs_names.tolist()
    assert adata.var_names.tolist() == expected.var_names.tolist()
    dense = [m.toarray() if hasattr(m, "toarray") else m for m in (adata.X, expected.X)]
    np.testing.assert_array_equal(*dense)


def feature_counts_lines(sample_labels, gene_ids=GENES):
    """featureCounts' output: its command line, then Geneid, 5 annotation columns, counts."""
    lines = [
        '# Program:featureCounts v2.0.1; Command:"featureCounts" "-a" "genes.gtf" "-o" "x.txt"',
        "\t".join(["Geneid", "Chr", "Start", "End", "Strand", "Length", *sample_labels]),
    ]
    for j, gene in enumerate(gene_ids):
        coordinates = ["chr1;chr1", "100;900", "500;1200", "+;+", str(700 + j)]
        lines.append("\t".join([gene, *coordinates, *map(str, COUNTS[:, j])]))
    return lines


def test_feature_counts_output_reads_like_the_plain_table(tmp_path):
    bams = [f"/data/run1/align/{cell}.sorted.bam" for cell in CELLS]
    path = write_lines(tmp_path / "counts.txt", feature_counts_lines(bams))
    adata = read(path)
    assert_same_data(adata, plain(tmp_path))
    assert adata.uns["senox_io"]["orientation"] == "genes_in_rows"


def test_star_bam_names_become_the_sample_prefix(tmp_path):
    bams = [f"{cell}Aligned.sortedByCoord.out.bam" for cell in CELLS]
    path = write_lines(tmp_path / "counts.txt", feature_counts_lines(bams))
    assert read(path).obs_names.tolist() == CELLS


def test_bam_names_are_kept_whole_when_shortening_would_merge_two(tmp_path):
    bams = [f"/run{i % 2}/S{i // 2}.bam" for i in range(len(CELLS))]  # S0 in run0 and run1
    path = write_lines(tmp_path / "counts.txt", feature_counts_lines(bams))
    assert read(path).obs_names.tolist() == bams


def test_bam_names_ending_in_a_shared_digit_are_cut_at_a_separator(tmp_path):
    bams = ["S1.bam", "S11.bam", "S21.bam", "S31.bam", "S41.bam", "S51.bam"]
    path = write_lines(tmp_path / "counts.txt", feature_counts_lines(bams))
    assert read(path).obs_names.tolist() == ["S1", "S11", "S21", "S31", "S41", "S51"]


def test_htseq_counters_are_not_genes(tmp_path, caplog):
    frame = pd.DataFrame(COUNTS.T, index=GENES, columns=CELLS)
    counters = ["__no_feature", "__ambiguous", "__too_low_aQual", "__not_aligned"]
    frame = pd.concat([frame, pd.DataFrame(1000, index=counters, columns=CELLS)])
    path = tmp_path / "htseq.tsv"
    frame.to_csv(path, sep="\t")
    with caplog.at_level(logging.INFO, logger="senox.io._read"):
        adata = read(path)
    assert_same_data(adata, plain(tmp_path))  # library sizes leave the counters out
    assert any("4 rows count unassigned reads" in r.getMessage() for r in caplog.records)


def test_a_column_of_gene_names_beside_the_ids_is_used(tmp_path, caplog):
    """nf-core/rnaseq's gene tables: gene_id, gene_name, then samples. Names repeat and may
    be missing; the column giving more distinct human symbols wins and repeats are merged."""
    ids = [f"{gene_id}.7" for gene_id in ensembl_ids(GENES)]
    names = [*GENES[:6], "MKI67", ""]  # LMNB1 renamed MKI67 (a repeat), MKI67's name missing
    frame = pd.DataFrame(COUNTS.T, index=pd.Index(ids, name="gene_id"), columns=CELLS)
    frame.insert(0, "gene_name", names)
    path = tmp_path / "salmon.merged.gene_counts.tsv"
    frame.to_csv(path, sep="\t")
    with caplog.at_level(logging.WARNING, logger="senox.io._read"):
        adata = read(path)
    assert_same_data(adata, plain(tmp_path))  # the IDs map every gene: they win
    assert adata.var["original_id"].tolist() == ids
    assert caplog.records == []


def test_names_win_where_they_map_more_and_their_repeats_are_merged(tmp_path, caplog):
    ids = [f"GENE{i}" for i in range(len(GENES))]  # a pipeline's own gene IDs
    names = [*GENES[:7], "TP53"]  # MKI67's row is named TP53 as well
    frame = pd.DataFrame(COUNTS.T, index=ids, columns=CELLS)
    frame.insert(0, "symbol", names)
    path = tmp_path / "named.csv"
    frame.to_csv(path)
    with caplog.at_level(logging.WARNING, logger="senox.io._read"):
        adata = read(path)
    assert adata.var_names.tolist() == GENES[:7]
    merged = COUNTS[:, :7].astype(float)
    merged[:, GENES.index("TP53")] += COUNTS[:, 7]
    np.testing.assert_allclose(adata.layers["counts"], merged)
    np.testing.assert_allclose(adata.X, log_normalised(merged), rtol=1e-6)
    assert any("appears more than once" in r.getMessage() for r in caplog.records)


def test_r_row_numbers_with_a_gene_column(tmp_path):
    frame = pd.DataFrame(COUNTS.T, columns=CELLS)
    frame.insert(0, "gene", GENES)
    frame.index = [str(i) for i in range(1, len(GENES) + 1)]
    path = tmp_path / "r_numbered.csv"
    frame.to_csv(path)
    assert_same_data(read(path), plain(tmp_path))


@pytest.mark.parametrize("joiner", ["|", "_"])
def test_labels_joining_an_ensembl_id_and_a_name(tmp_path, joiner):
    labels = [f"{i}.3{joiner}{g}" for i, g in zip(ensembl_ids(GENES), GENES, strict=True)]
    path = tmp_path / "joined.tsv"
    pd.DataFrame(COUNTS.T, index=labels, columns=CELLS).to_csv(path, sep="\t")
    assert_same_data(read(path), plain(tmp_path))


def test_sample_annotations_beside_genes_in_columns_go_to_obs(tmp_path):
    frame = pd.DataFrame(COUNTS, index=CELLS, columns=GENES)
    frame.insert(0, "condition", list("aabbcc"))
    path = tmp_path / "samples_by_genes.csv"
    frame.to_csv(path)
    adata = read(path)
    assert adata.var_names.tolist() == GENES
    assert adata.obs["condition"].tolist() == list("aabbcc")
    np.testing.assert_allclose(adata.X, log_normalised(COUNTS), rtol=1e-6)


def test_a_count_column_with_a_stray_word_is_refused_not_taken_for_names(tmp_path):
    frame = pd.DataFrame(COUNTS.T, index=GENES, columns=CELLS).astype(object)
    frame.iloc[3, 0] = "see note"
    path = tmp_path / "stray.csv"
    frame.to_csv(path)
    with pytest.raises(InputError, match=r"column 'cell1' holds text \('see note'\)"):
        read(path)


def test_repeated_symbols_in_a_one_column_table_are_merged(tmp_path, caplog):
    """Microarray-style tables repeat a gene over probes: averaged (values), summed (counts)."""
    values = np.array([[1.5, 200.5, 3.0], [0.0, 4.0, 5.0]])
    frame = pd.DataFrame(values.T, index=["TP53", "IL6", "TP53"], columns=["s1", "s2"])
    path = tmp_path / "probes.csv"
    frame.to_csv(path)
    with caplog.at_level(logging.WARNING, logger="senox.io._read"):
        adata = read(path)
    assert adata.var_names.tolist() == ["TP53", "IL6"]
    expected = np.log1p(np.column_stack([(values[:, 0] + values[:, 2]) / 2, values[:, 1]]))
    np.testing.assert_allclose(adata.X, expected, rtol=1e-6)
    (record,) = caplog.records
    assert "1 gene identifier appears more than once (e.g. 'TP53')" in record.getMessage()


def test_a_header_starting_with_hash_is_a_header(tmp_path):
    lines = ["\t".join(["#gene", *CELLS])] + [
        "\t".join([gene, *map(str, COUNTS[:, j])]) for j, gene in enumerate(GENES)
    ]
    assert_same_data(read(write_lines(tmp_path / "hash.tsv", lines)), plain(tmp_path))


def test_excel_unicode_text_is_read(tmp_path):
    """Excel's "Unicode text" export: UTF-16 with a byte-order mark, tab-separated."""
    path = tmp_path / "unicode.txt"
    frame = pd.DataFrame(COUNTS.T, index=GENES, columns=CELLS)
    path.write_bytes(frame.to_csv(sep="\t").encode("utf-16"))
    sheet = tmp_path / "sheet.txt"
    lines = "sample\tgroup\n" + "".join(f"{c}\t{g}\n" for c, g in zip(CELLS, "aabbcc", strict=True))
    sheet.write_bytes(lines.encode("utf-16"))
    adata = read(path, obs=sheet)
    assert_same_data(adata, plain(tmp_path))
    assert adata.obs["group"].tolist() == list("aabbcc")


@pytest.mark.parametrize("name", ["counts.xlsx", "counts.csv"])
def test_a_workbook_is_refused_with_what_to_do(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04" + bytes(60))  # a zip archive, as an .xlsx is
    with pytest.raises(InputError, match=f"{name}: a spreadsheet workbook, not a text table; save"):
        read(path)
    good = tmp_path / "plain.csv"
    pd.DataFrame(COUNTS.T, index=GENES, columns=CELLS).to_csv(good)
    with pytest.raises(InputError, match="save the sheet as CSV"):
        read(good, obs=path)


def geo_folder(tmp_path, prefixes=("GSM4494348_control_",)):
    """10x files as GEO serves them: one folder, each file under its sample's prefix."""
    source = write_10x_v3(tmp_path)
    folder = tmp_path / "GSE149383_RAW"
    folder.mkdir()
    for prefix in prefixes:
        for file in source.iterdir():
            (folder / f"{prefix}{file.name}").write_bytes(file.read_bytes())
    return source, folder


def test_a_folder_of_geo_prefixed_10x_files_is_read(tmp_path):
    source, folder = geo_folder(tmp_path)
    assert_same_data(read(folder), read(source))


def test_a_geo_prefixed_matrix_finds_its_lists_by_the_prefix(tmp_path):
    source, folder = geo_folder(tmp_path, ("GSM1_a_", "GSM2_b_"))
    (folder / "GSM2_b_barcodes.tsv.gz").write_bytes(b"")  # the other sample's lists are not read
    assert_same_data(read(folder / "GSM1_a_matrix.mtx.gz"), read(source))


def test_a_folder_of_several_samples_asks_which(tmp_path):
    _, folder = geo_folder(tmp_path, ("GSM1_a_", "GSM2_b_"))
    with pytest.raises(InputError, match=r"holds 2 matrices \('GSM1_a_matrix.mtx.gz', 'GSM2_b_"):
        read(folder)


def test_r_write_table_with_its_quotes(tmp_path):
    """R's ``write.table`` default: space-separated, every label quoted, no corner label."""
    lines = [" ".join(f'"{c}"' for c in CELLS)] + [
        f'"{gene}" ' + " ".join(map(str, COUNTS[:, j])) for j, gene in enumerate(GENES)
    ]
    adata = read(write_lines(tmp_path / "r.txt", lines))
    assert_same_data(adata, plain(tmp_path))


def test_a_separator_at_the_end_of_every_line_adds_no_sample(tmp_path):
    lines = ["\t".join(["gene", *CELLS, ""])] + [
        "\t".join([gene, *map(str, COUNTS[:, j]), ""]) for j, gene in enumerate(GENES)
    ]
    assert_same_data(read(write_lines(tmp_path / "trailing.txt", lines)), plain(tmp_path))


@pytest.mark.parametrize("name", ["european.csv", "european.txt"])
def test_a_european_spreadsheet_csv_with_semicolons_and_decimal_commas(tmp_path, name):
    values = COUNTS.T / 7  # not whole numbers: written with decimal commas
    path = tmp_path / name
    pd.DataFrame(values, index=GENES, columns=CELLS).to_csv(path, sep=";", decimal=",")
    adata = read(path)
    assert adata.obs_names.tolist() == CELLS
    np.testing.assert_allclose(adata.X, values.T, rtol=1e-6)  # below 50: log values, kept


def test_a_semicolon_table_with_decimal_points(tmp_path):
    values = COUNTS.T / 7
    path = tmp_path / "points.txt"
    pd.DataFrame(values, index=GENES, columns=CELLS).to_csv(path, sep=";")
    np.testing.assert_allclose(read(path).X, values.T, rtol=1e-6)
