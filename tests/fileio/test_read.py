from __future__ import annotations

import gzip
import inspect
import logging
import re
import shutil

import anndata as ad  # type: ignore[import-untyped,unused-ignore]
import h5py  # type: ignore[import-untyped,unused-ignore]
import numpy as np
import pandas as pd
import pytest
import scipy.io  # type: ignore[import-untyped,unused-ignore]
import typer
from scipy import sparse  # type: ignore[import-untyped,unused-ignore]

from senox._errors import InputError, SenoxError
from senox.cli import app
from senox.io import hgnc_table, mouse_ortholog_table, read
from tests.conftest import SHARED

GENES = ["CDKN2A", "CDKN1A", "TP53", "IL6", "CXCL8", "NFE2L2", "LMNB1", "MKI67"]
MOUSE = ["Cdkn2a", "Cdkn1a", "Trp53", "Il6", "Cxcl1", "Nfe2l2", "Lmnb1", "Mki67"]
MOUSE_AS_HUMAN = ["CDKN2A", "CDKN1A", "TP53", "IL6", "CXCL1", "NFE2L2", "LMNB1", "MKI67"]
CELLS = [f"cell{i}" for i in range(1, 7)]
#: 6 cells × 8 genes, sparse-ish integer counts; every cell has a positive total.
COUNTS = np.array(
    [
        [0, 1, 5, 0, 2, 0, 9, 3],
        [4, 0, 0, 1, 0, 7, 0, 0],
        [0, 0, 2, 0, 0, 0, 1, 12],
        [1, 1, 1, 1, 1, 1, 1, 1],
        [0, 30, 0, 0, 6, 0, 0, 0],
        [2, 0, 0, 8, 0, 0, 3, 0],
    ]
)


def log_normalised(counts):
    return np.log1p(counts / counts.sum(axis=1, keepdims=True) * 10_000)


def ensembl_ids(symbols):
    table = hgnc_table().set_index("symbol")
    return [table.loc[symbol, "ensembl_gene_id"] for symbol in symbols]


# --------------------------------------------------------------------------- writers


def gzip_file(path):
    target = path.with_name(path.name + ".gz")
    with path.open("rb") as src, gzip.open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    path.unlink()
    return target


def write_lines(path, lines):
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def write_mtx(path, matrix):
    scipy.io.mmwrite(path, sparse.coo_matrix(matrix))
    return path


def write_h5ad(tmp_path):
    adata = ad.AnnData(
        X=sparse.csr_matrix(COUNTS.astype(np.float32)),
        obs=pd.DataFrame(index=CELLS),
        var=pd.DataFrame(index=GENES),
    )
    path = tmp_path / "data.h5ad"
    adata.write_h5ad(path)
    return path


def write_10x_v3(tmp_path):
    """Gzipped v3 folder with one extra antibody feature that must be dropped."""
    folder = tmp_path / "filtered_feature_bc_matrix"
    folder.mkdir()
    matrix = np.vstack([COUNTS.T, np.arange(6)])  # genes × cells, then the antibody row
    features = [
        f"{gene_id}\t{name}\tGene Expression"
        for gene_id, name in zip(ensembl_ids(GENES), GENES, strict=True)
    ] + ["CD3_TotalSeqB\tCD3\tAntibody Capture"]
    gzip_file(write_mtx(folder / "matrix.mtx", matrix))
    gzip_file(write_lines(folder / "features.tsv", features))
    gzip_file(write_lines(folder / "barcodes.tsv", CELLS))
    return folder


def write_10x_v2(tmp_path):
    folder = tmp_path / "v2"
    folder.mkdir()
    write_mtx(folder / "matrix.mtx", COUNTS.T)
    write_lines(
        folder / "genes.tsv",
        [f"{i}\t{n}" for i, n in zip(ensembl_ids(GENES), GENES, strict=True)],
    )
    write_lines(folder / "barcodes.tsv", CELLS)
    return folder


def _h5_strings(values):
    return np.array(values, dtype="S")


def write_10x_h5_v3(tmp_path):
    path = tmp_path / "filtered_feature_bc_matrix.h5"
    csc = sparse.csc_matrix(COUNTS.T)  # genes × cells, indptr over cells
    with h5py.File(path, "w") as h5:
        group = h5.create_group("matrix")
        group["data"], group["indices"], group["indptr"] = csc.data, csc.indices, csc.indptr
        group["shape"] = np.array(csc.shape)
        group["barcodes"] = _h5_strings(CELLS)
        features = group.create_group("features")
        features["id"] = _h5_strings(ensembl_ids(GENES))
        features["name"] = _h5_strings(GENES)
        features["feature_type"] = _h5_strings(["Gene Expression"] * len(GENES))
    return path


def write_10x_h5_v2(tmp_path):
    path = tmp_path / "v2.h5"
    csc = sparse.csc_matrix(COUNTS.T)
    with h5py.File(path, "w") as h5:
        group = h5.create_group("GRCh38")
        group["data"], group["indices"], group["indptr"] = csc.data, csc.indices, csc.indptr
        group["shape"] = np.array(csc.shape)
        group["barcodes"] = _h5_strings(CELLS)
        group["genes"] = _h5_strings(ensembl_ids(GENES))
        group["gene_names"] = _h5_strings(GENES)
    return path


def write_mtx_genes_in_rows(tmp_path):
    """``counts.mtx.gz`` (genes × cells) with headerless genes.tsv and a cells.csv header."""
    path = gzip_file(write_mtx(tmp_path / "counts.mtx", COUNTS.T))
    write_lines(tmp_path / "genes.tsv", GENES)
    pd.DataFrame({"barcode": CELLS, "group": list("aabbcc")}).to_csv(
        tmp_path / "cells.csv", index=False
    )
    return path


def write_mtx_genes_in_columns(tmp_path):
    """A cells × genes ``.mtx`` whose lists are elsewhere (passed as genes= and cells=)."""
    lists = tmp_path / "lists"
    lists.mkdir()
    write_lines(lists / "my_genes.txt", GENES)
    write_lines(lists / "my_cells.txt", CELLS)
    return write_mtx(tmp_path / "cells_by_genes.mtx", COUNTS)


def write_csv_genes_in_rows(tmp_path):
    path = tmp_path / "expr.csv"
    pd.DataFrame(COUNTS.T, index=GENES, columns=CELLS).to_csv(path)
    return path


def write_tsv_gz_genes_in_columns(tmp_path):
    path = tmp_path / "expr.tsv.gz"
    pd.DataFrame(COUNTS, index=CELLS, columns=GENES).to_csv(path, sep="\t")
    return path


def write_txt_r_style(tmp_path):
    """Whitespace-separated, header without a name for the row-label column (R's default)."""
    lines = [" ".join(CELLS)] + [
        " ".join([gene, *map(str, COUNTS[:, j])]) for j, gene in enumerate(GENES)
    ]
    return write_lines(tmp_path / "expr.txt", lines)


def write_csv(path, frame):
    frame.to_csv(path)
    return path


# --------------------------------------------------------------------------- same content


@pytest.mark.parametrize(
    ("writer", "kwargs", "fmt", "orientation"),
    [
        pytest.param(write_h5ad, {}, "h5ad", "genes_in_columns", id="h5ad"),
        pytest.param(write_10x_v3, {}, "10x", "genes_in_rows", id="10x-v3-gz"),
        pytest.param(write_10x_v2, {}, "10x", "genes_in_rows", id="10x-v2"),
        pytest.param(write_10x_h5_v3, {}, "10x_h5", "genes_in_rows", id="10x-h5-v3"),
        pytest.param(write_10x_h5_v2, {}, "10x_h5", "genes_in_rows", id="10x-h5-v2"),
        pytest.param(write_mtx_genes_in_rows, {}, "mtx", "genes_in_rows", id="mtx-genes-rows"),
        pytest.param(
            write_mtx_genes_in_columns,
            {"genes": "lists/my_genes.txt", "cells": "lists/my_cells.txt"},
            "mtx",
            "genes_in_columns",
            id="mtx-genes-columns",
        ),
        pytest.param(write_csv_genes_in_rows, {}, "table", "genes_in_rows", id="csv-genes-rows"),
        pytest.param(
            write_tsv_gz_genes_in_columns, {}, "table", "genes_in_columns", id="tsv-gz-genes-cols"
        ),
        pytest.param(write_txt_r_style, {}, "table", "genes_in_rows", id="txt-r-style"),
    ],
)
def test_every_format_gives_the_same_data(tmp_path, writer, kwargs, fmt, orientation):
    path = writer(tmp_path)
    options = {key: tmp_path / value for key, value in kwargs.items()}
    adata = read(path, **options)
    assert adata.obs_names.tolist() == CELLS
    assert adata.var_names.tolist() == GENES
    assert adata.X.dtype == np.float32
    dense = adata.X.toarray() if sparse.issparse(adata.X) else adata.X
    np.testing.assert_allclose(dense, log_normalised(COUNTS), rtol=1e-6)
    counts = adata.layers["counts"]
    np.testing.assert_array_equal(counts.toarray() if sparse.issparse(counts) else counts, COUNTS)
    info = adata.uns["senox_io"]
    assert (info["format"], info["orientation"], info["values"]) == (fmt, orientation, "counts")
    assert (info["species"], info["n_genes_in"], info["n_mapped"]) == ("human", 8, 8)


@pytest.mark.parametrize(
    ("writer", "is_sparse"),
    [
        pytest.param(write_10x_v3, True, id="sparse"),
        pytest.param(write_csv_genes_in_rows, False, id="dense"),
    ],
)
def test_sparse_inputs_give_csr_and_dense_inputs_numpy(tmp_path, writer, is_sparse):
    x = read(writer(tmp_path)).X
    assert isinstance(x, sparse.csr_matrix) if is_sparse else isinstance(x, np.ndarray)


def test_mtx_cell_list_columns_become_obs(tmp_path):
    adata = read(write_mtx_genes_in_rows(tmp_path))
    assert adata.obs["group"].tolist() == list("aabbcc")


def test_10x_drops_other_feature_types(tmp_path):
    adata = read(write_10x_v3(tmp_path))
    assert "CD3" not in adata.var_names
    assert adata.uns["senox_io"]["gene_id"] == "ensembl"


def test_10x_keeps_the_identifier_column_that_maps_more(tmp_path):
    folder = write_10x_v2(tmp_path)
    write_lines(folder / "genes.tsv", [f"feature{i}\t{name}" for i, name in enumerate(GENES)])
    adata = read(folder)
    assert adata.var_names.tolist() == GENES
    assert adata.uns["senox_io"]["gene_id"] == "symbol"


# --------------------------------------------------------------------------- values


def test_counts_normalisation_by_hand(tmp_path):
    frame = pd.DataFrame({"TP53": [1, 0, 5], "MKI67": [3, 0, 5]}, index=["a", "b", "c"])
    adata = read(write_csv(tmp_path / "small.csv", frame), orientation="genes_in_columns")
    expected = [
        [np.log1p(1 / 4 * 10_000), np.log1p(3 / 4 * 10_000)],
        [0.0, 0.0],  # no counts: stays zero
        [np.log1p(5_000), np.log1p(5_000)],
    ]
    np.testing.assert_allclose(adata.X, expected, rtol=1e-6)
    assert adata.uns["senox_io"]["values"] == "counts"


@pytest.mark.parametrize(
    ("values", "forced", "expected_kind", "transform"),
    [
        pytest.param([[0.5, 120.25], [3.5, 0.0]], "auto", "linear", np.log1p, id="linear"),
        pytest.param([[0.5, 12.25], [3.5, 0.0]], "auto", "log", np.asarray, id="log"),
        pytest.param([[1.0, 120.0], [3.0, 0.0]], "linear", "linear", np.log1p, id="forced-linear"),
        pytest.param([[-0.5, 2.25], [3.5, 0.0]], "log", "log", np.asarray, id="negative-log"),
    ],
)
def test_value_kinds(tmp_path, values, forced, expected_kind, transform):
    frame = pd.DataFrame(values, index=["s1", "s2"], columns=["TP53", "MKI67"])
    path = write_csv(tmp_path / "values.csv", frame)
    adata = read(path, values=forced, orientation="genes_in_columns")
    assert adata.uns["senox_io"]["values"] == expected_kind
    assert "counts" not in adata.layers
    np.testing.assert_allclose(adata.X, transform(np.array(values)), rtol=1e-6)


def test_forced_counts_normalise_non_integers(tmp_path):
    frame = pd.DataFrame([[1.5, 2.5]], index=["s1"], columns=["TP53", "MKI67"])
    path = write_csv(tmp_path / "estimated.csv", frame)
    adata = read(path, values="counts", orientation="genes_in_columns")
    np.testing.assert_allclose(adata.X, np.log1p([[1.5 / 4 * 1e4, 2.5 / 4 * 1e4]]), rtol=1e-6)


# --------------------------------------------------------------------------- genes


def test_human_ensembl_with_versions(tmp_path):
    ids = [f"{gene_id}.{i}" for i, gene_id in enumerate(ensembl_ids(GENES), 1)]
    frame = pd.DataFrame(COUNTS.T, index=ids, columns=CELLS)
    adata = read(write_csv(tmp_path / "ensembl.csv", frame))
    assert adata.var_names.tolist() == GENES
    assert adata.var["original_id"].tolist() == ids
    assert adata.uns["senox_io"]["gene_id"] == "ensembl"


def test_mouse_symbols(tmp_path):
    frame = pd.DataFrame(COUNTS.T, index=MOUSE, columns=CELLS)
    adata = read(write_csv(tmp_path / "mouse.csv", frame))
    assert adata.var_names.tolist() == MOUSE_AS_HUMAN
    assert set(adata.var["mapping"]) == {"ortholog"}
    assert adata.uns["senox_io"]["species"] == "mouse"


def test_mouse_ensembl(tmp_path):
    table = mouse_ortholog_table().drop_duplicates("mouse_symbol").set_index("mouse_symbol")
    ids = table.loc[MOUSE, "mouse_ensembl_gene_id"].tolist()
    frame = pd.DataFrame(COUNTS, index=CELLS, columns=ids)
    adata = read(write_csv(tmp_path / "mouse_ensembl.csv", frame))
    assert adata.var_names.tolist() == MOUSE_AS_HUMAN
    assert (adata.uns["senox_io"]["species"], adata.uns["senox_io"]["gene_id"]) == (
        "mouse",
        "ensembl",
    )


def test_mixed_ensembl_ids_and_symbols_are_all_mapped_with_a_warning(tmp_path, caplog):
    ids = [*ensembl_ids(GENES[:5]), *GENES[5:]]
    frame = pd.DataFrame(COUNTS.T, index=ids, columns=CELLS)
    with caplog.at_level(logging.WARNING, logger="senox.io._read"):
        adata = read(write_csv(tmp_path / "mixed.csv", frame))
    assert adata.var_names.tolist() == GENES
    assert adata.var["mapping"].tolist() == ["ensembl"] * 5 + ["approved"] * 3
    (record,) = caplog.records
    assert "mix 5 Ensembl IDs and 3 symbols" in record.getMessage()
    assert "8 of 8 genes mapped" in record.getMessage()


def test_one_kind_of_gene_identifier_draws_no_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="senox.io._read"):
        read(write_csv_genes_in_rows(tmp_path))
    assert caplog.records == []


def test_outdated_symbol_and_unmapped_gene_are_kept(tmp_path):
    frame = pd.DataFrame(COUNTS[:, :3], index=CELLS, columns=["MLF1IP", "TP53", "MY_TRANSGENE"])
    adata = read(write_csv(tmp_path / "old.csv", frame))
    assert adata.var_names.tolist() == ["CENPU", "TP53", "MY_TRANSGENE"]
    assert adata.var["mapping"].tolist() == ["previous symbol", "approved", "unmapped"]
    info = adata.uns["senox_io"]
    assert (info["n_mapped"], info["n_unmapped"], info["n_aggregated"]) == (2, 1, 0)


@pytest.mark.parametrize(
    ("values", "merge"),
    [
        pytest.param([[1, 2, 3], [0, 4, 5]], np.add, id="counts-summed"),
        pytest.param([[1.5, 200.5, 3], [0, 4, 5]], lambda a, b: (a + b) / 2, id="linear-mean"),
    ],
)
def test_genes_landing_on_one_symbol_are_merged(tmp_path, values, merge):
    frame = pd.DataFrame(values, index=["s1", "s2"], columns=["IL8", "TP53", "CXCL8"])
    adata = read(write_csv(tmp_path / "merge.csv", frame), orientation="genes_in_columns")
    assert adata.var_names.tolist() == ["CXCL8", "TP53"]
    assert adata.var.loc["CXCL8", "original_id"] == "IL8|CXCL8"
    assert adata.var.loc["CXCL8", "mapping"] == "previous symbol|approved"
    assert adata.uns["senox_io"]["n_aggregated"] == 1
    raw = np.array(values, dtype=float)
    merged = np.column_stack([merge(raw[:, 0], raw[:, 2]), raw[:, 1]])
    if adata.uns["senox_io"]["values"] == "counts":
        np.testing.assert_allclose(adata.layers["counts"], merged)
        expected = log_normalised(merged)
    else:
        expected = np.log1p(merged)
    np.testing.assert_allclose(adata.X, expected, rtol=1e-6)


# --------------------------------------------------------------------------- backed


def test_backed_h5ad_maps_names_without_loading(tmp_path):
    frame = pd.DataFrame(COUNTS, index=CELLS, columns=MOUSE)
    source = ad.AnnData(X=frame.to_numpy(dtype=np.float32), obs=pd.DataFrame(index=CELLS))
    source.var_names = MOUSE
    path = tmp_path / "mouse.h5ad"
    source.write_h5ad(path)
    adata = read(path, backed=True)
    try:
        assert adata.isbacked
        assert not isinstance(adata.X, np.ndarray | sparse.spmatrix)
        assert adata.var_names.tolist() == MOUSE_AS_HUMAN
        assert adata.uns["senox_io"]["values"] == "as stored"
    finally:
        adata.file.close()
    assert ad.read_h5ad(path).var_names.tolist() == MOUSE  # the file is untouched


# --------------------------------------------------------------------------- errors


def _case_missing(tmp_path):
    return tmp_path / "nothing_here.h5ad", {}


def _case_unknown_format(tmp_path):
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1")
    return path, {}


def _case_corrupt_gzip(tmp_path):
    path = tmp_path / "broken.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage that is not deflate")
    return path, {}


def _case_bad_h5(tmp_path):
    path = tmp_path / "broken.h5"
    path.write_bytes(b"not an hdf5 file")
    return path, {}


def _case_bad_h5ad(tmp_path):
    path = tmp_path / "broken.h5ad"
    path.write_bytes(b"not an hdf5 file")
    return path, {}


def _case_bad_mtx(tmp_path):
    path = write_mtx_genes_in_rows(tmp_path)
    path.unlink()
    path = write_lines(tmp_path / "counts.mtx", ["%%MatrixMarket matrix coordinate", "oops"])
    return path, {}


def _case_empty_h5ad(tmp_path):
    path = tmp_path / "empty.h5ad"
    ad.AnnData(X=np.zeros((0, 8), dtype=np.float32), var=pd.DataFrame(index=GENES)).write_h5ad(path)
    return path, {}


def _case_header_only_csv(tmp_path):
    return write_lines(tmp_path / "header_only.csv", [",".join(["", *CELLS])]), {}


def _case_duplicate_cells(tmp_path):
    frame = pd.DataFrame(COUNTS.T, index=GENES, columns=[*CELLS[:-1], "cell1"])
    return write_csv(tmp_path / "dup_cells.csv", frame), {}


def _case_negative(tmp_path):
    counts = COUNTS.copy()
    counts[2, 3] = -4
    return write_csv(tmp_path / "negative.csv", pd.DataFrame(counts.T, GENES, CELLS)), {}


def _case_nan(tmp_path):
    values = COUNTS.astype(float)
    values[1, 1] = np.nan
    return write_csv(tmp_path / "nan.csv", pd.DataFrame(values.T, GENES, CELLS)), {}


def _case_inf_h5ad(tmp_path):
    values = COUNTS.astype(np.float32)
    values[0, 0] = np.inf
    path = tmp_path / "inf.h5ad"
    adata = ad.AnnData(X=sparse.csr_matrix(values), obs=pd.DataFrame(index=CELLS))
    adata.var_names = GENES
    adata.write_h5ad(path)
    return path, {}


def _case_text_value(tmp_path):
    frame = pd.DataFrame(COUNTS.T, index=GENES, columns=CELLS).astype(object)
    frame.iloc[0, 2] = "n/a?"
    return write_csv(tmp_path / "text.csv", frame), {}


def _case_gene_list_length(tmp_path):
    path = write_mtx_genes_in_rows(tmp_path)
    write_lines(tmp_path / "genes.tsv", GENES[:-1])
    return path, {}


def _case_cell_list_length(tmp_path):
    path = write_mtx_genes_in_rows(tmp_path)
    write_lines(tmp_path / "barcodes.tsv", CELLS[:-1])  # found before cells.csv
    return path, {}


def _case_no_gene_list(tmp_path):
    path = write_mtx_genes_in_rows(tmp_path)
    (tmp_path / "genes.tsv").unlink()
    return path, {}


def _case_mtx_square(tmp_path):
    path = write_mtx_genes_in_rows(tmp_path)
    write_lines(tmp_path / "genes.tsv", GENES[: len(CELLS)])
    gzip_file(write_mtx(tmp_path / "counts.mtx", COUNTS[:, : len(CELLS)]))
    return path, {}


def _case_10x_missing_barcodes(tmp_path):
    folder = write_10x_v3(tmp_path)
    (folder / "barcodes.tsv.gz").unlink()
    return folder, {}


def _case_10x_wrong_orientation(tmp_path):
    return write_10x_v3(tmp_path), {"orientation": "genes_in_columns"}


def _case_orientation_unclear(tmp_path):
    frame = pd.DataFrame(COUNTS, index=CELLS, columns=[f"feature{i}" for i in range(8)])
    return write_csv(tmp_path / "unclear.csv", frame), {}


def _case_backed_needs_merge(tmp_path):
    path = tmp_path / "merge.h5ad"
    adata = ad.AnnData(X=np.ones((2, 2), dtype=np.float32), obs=pd.DataFrame(index=["a", "b"]))
    adata.var_names = ["IL8", "CXCL8"]
    adata.write_h5ad(path)
    return path, {"backed": True}


def _case_backed_not_h5ad(tmp_path):
    return write_csv_genes_in_rows(tmp_path), {"backed": True}


def _case_all_zero(tmp_path):
    frame = pd.DataFrame(np.zeros_like(COUNTS.T), index=GENES, columns=CELLS)
    return write_csv(tmp_path / "zeros.csv", frame), {}


def _case_all_zero_sparse(tmp_path):
    path = write_mtx_genes_in_rows(tmp_path)
    path.unlink()
    lines = ["%%MatrixMarket matrix coordinate integer general", f"{len(GENES)} {len(CELLS)} 0"]
    return gzip_file(write_lines(tmp_path / "counts.mtx", lines)), {}


def _case_true_false_column(tmp_path):
    frame = pd.DataFrame(COUNTS.T, index=GENES, columns=CELLS).astype(object)
    frame["cell3"] = [True, False] * 4
    return write_csv(tmp_path / "booleans.csv", frame), {}


def _case_empty_gene_label(tmp_path):
    lines = [",".join(["", *CELLS])] + [
        ",".join([gene, *map(str, COUNTS[:, j])]) for j, gene in enumerate(["", *GENES[1:]])
    ]
    return write_lines(tmp_path / "no_label.csv", lines), {}


def _mtx_with_header(tmp_path, header, body=()):
    path = write_mtx_genes_in_rows(tmp_path)
    path.unlink()
    return write_lines(tmp_path / "odd.mtx", [header, *body]), {}


def _case_mtx_complex(tmp_path):
    header = "%%MatrixMarket matrix coordinate complex general"
    return _mtx_with_header(tmp_path, header, [f"{len(GENES)} {len(CELLS)} 1", "1 1 2.0 1.0"])


def _case_mtx_pattern(tmp_path):
    header = "%%MatrixMarket matrix coordinate pattern general"
    return _mtx_with_header(tmp_path, header, [f"{len(GENES)} {len(CELLS)} 1", "1 1"])


def _case_mtx_symmetric(tmp_path):
    """Non-square symmetric dense: scipy's reader corrupted memory (a segfault at exit)."""
    header = "%%MatrixMarket matrix array real skew-symmetric"
    return _mtx_with_header(tmp_path, header, [f"{len(GENES)} {len(CELLS)}", "1", "2"])


def _case_mtx_empty_dense(tmp_path):
    """An empty dense matrix: scipy's reader killed the process (SIGFPE)."""
    header = "%%MatrixMarket matrix array real general"
    return _mtx_with_header(tmp_path, header, ["0 0"])


def _case_mtx_huge_dense(tmp_path):
    """Declares 10^11 × 8 values: scipy's reader allocated them (MemoryError)."""
    header = "%%MatrixMarket matrix array real general"
    return _mtx_with_header(tmp_path, header, [f"100000000000 {len(GENES)}", "1"])


def _case_mtx_too_many_entries(tmp_path):
    header = "%%MatrixMarket matrix coordinate real general"
    return _mtx_with_header(tmp_path, header, [f"{len(GENES)} {len(CELLS)} 10000000000"])


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        pytest.param(_case_missing, "no such file", id="not-found"),
        pytest.param(_case_unknown_format, "unknown format", id="unknown-format"),
        pytest.param(_case_corrupt_gzip, "cannot read", id="corrupt-gzip"),
        pytest.param(_case_bad_h5, "cannot read", id="bad-h5"),
        pytest.param(_case_bad_h5ad, "cannot read", id="bad-h5ad"),
        pytest.param(_case_bad_mtx, "cannot read", id="bad-mtx"),
        pytest.param(_case_empty_h5ad, "empty", id="empty-h5ad"),
        pytest.param(_case_header_only_csv, "empty", id="empty-csv"),
        pytest.param(_case_duplicate_cells, "duplicate observation", id="dup-cells"),
        pytest.param(_case_negative, "negative", id="negative"),
        pytest.param(_case_nan, "NaN or infinite", id="nan"),
        pytest.param(_case_inf_h5ad, "NaN or infinite", id="inf-sparse"),
        pytest.param(_case_text_value, "holds text", id="text-value"),
        pytest.param(_case_gene_list_length, "genes.tsv", id="gene-list-length"),
        pytest.param(_case_cell_list_length, "barcodes.tsv", id="cell-list-length"),
        pytest.param(_case_no_gene_list, "pass genes= to senox.io.read", id="no-gene-list"),
        pytest.param(_case_mtx_square, "pass --orientation genes_in_rows", id="mtx-square"),
        pytest.param(_case_10x_missing_barcodes, "missing barcodes.tsv", id="10x-missing-file"),
        pytest.param(
            _case_10x_wrong_orientation, "leave --orientation (orientation=) at auto", id="10x-ori"
        ),
        pytest.param(_case_orientation_unclear, "pass --orientation", id="orientation-unclear"),
        pytest.param(_case_backed_needs_merge, "drop --backed", id="backed-merge"),
        pytest.param(_case_backed_not_h5ad, "only for .h5ad", id="backed-not-h5ad"),
        pytest.param(_case_all_zero, "no expression at all", id="all-zero"),
        pytest.param(_case_all_zero_sparse, "no expression at all", id="all-zero-sparse"),
        pytest.param(_case_true_false_column, "holds text ('True')", id="true-false"),
        pytest.param(
            _case_empty_gene_label, "empty or NA gene identifiers (1, the first", id="empty-label"
        ),
        pytest.param(_case_mtx_complex, "complex general", id="mtx-complex"),
        pytest.param(_case_mtx_pattern, "pattern general", id="mtx-pattern"),
        pytest.param(_case_mtx_symmetric, "skew-symmetric", id="mtx-symmetric"),
        pytest.param(_case_mtx_empty_dense, "empty (0 rows × 0 columns)", id="mtx-empty-dense"),
        pytest.param(_case_mtx_huge_dense, "has 100000000000 cells", id="mtx-huge-dense"),
        pytest.param(_case_mtx_too_many_entries, "10000000000 entries", id="mtx-entries"),
    ],
)
def test_errors_are_one_line_naming_the_file(tmp_path, case, fragment):
    path, options = case(tmp_path)
    with pytest.raises(InputError) as info:
        read(path, **options)
    message = str(info.value)
    assert isinstance(info.value, SenoxError)
    assert path.name in message
    assert fragment in message
    assert "\n" not in message
    assert_real_options(message)


#: The options of ``senox score`` that read the input, and the keywords of ``read``.
CLI_OPTIONS = {
    "--orientation",
    "--species",
    "--gene-id",
    "--values",
    "--backed",
    "--obs",
    "--orthologs",
}
KEYWORDS = set(inspect.signature(read).parameters) - {"path"}


def assert_real_options(message):
    """Every option a message names exists: on the command line (--x) or in ``read`` (x=)."""
    assert set(re.findall(r"--[a-z][a-z-]*", message)) <= CLI_OPTIONS, message
    assert set(re.findall(r"\b([a-z_]+)=", message)) <= KEYWORDS, message


def test_the_cli_has_the_options_messages_name():
    score = typer.main.get_command(app).get_command(None, "score")  # type: ignore[attr-defined]
    flags = {flag for param in score.params for flag in param.opts}
    assert flags >= CLI_OPTIONS


# --------------------------------------------------------------------------- real data


@pytest.mark.needs_shared
def test_chan2024_mouse_counts():
    adata = read(SHARED / "data" / "chan2024_kras_ois" / "counts.mtx.gz")
    info = adata.uns["senox_io"]
    assert adata.n_obs == 500
    assert (info["species"], info["gene_id"], info["values"]) == ("mouse", "symbol", "counts")
    assert info["n_genes_in"] == 15_766
    assert info["n_mapped"] / info["n_genes_in"] > 0.85
    assert {"CDKN2A", "CDKN1A", "TP53", "HMOX1", "TXNRD1"} <= set(adata.var_names)
    assert adata.obs["condition"].value_counts().to_dict() == {"D12": 332, "mV": 168}
    totals = np.asarray(adata.layers["counts"].sum(axis=1)).ravel()
    np.testing.assert_allclose(totals, adata.obs["nCount_RNA"].to_numpy())


@pytest.mark.needs_shared
def test_marthandan2016_linear_human():
    adata = read(SHARED / "data" / "marthandan2016" / "marthandan2016_expression.csv.gz")
    info = adata.uns["senox_io"]
    assert adata.n_obs == 39
    assert info["orientation"] == "genes_in_rows"
    assert (info["species"], info["values"]) == ("human", "linear")
    assert info["n_genes_in"] == 11_526
    assert info["n_mapped"] / info["n_genes_in"] > 0.95
    assert {"MKI67", "LMNB1", "CDKN2A"} <= set(adata.var_names)
