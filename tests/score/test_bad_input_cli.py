"""``senox score`` on bad input: one line naming the file or option, exit code 2, no output.

The cases of the input audit (issue 16) that each used to give silent wrong results.
"""

from __future__ import annotations

import logging

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.io as scipy_io
from scipy import sparse
from typer.testing import CliRunner

from senox import programs
from senox.cli import app
from senox.io import hgnc_table
from tests._cli import refused

runner = CliRunner()
GENES = sorted({g for p in programs.catalogue().values() for g in p.genes})[:200]


def write_table(path, genes, counts=None):
    rng = np.random.default_rng(0)
    values = rng.poisson(5, size=(len(genes), 6)) if counts is None else counts
    pd.DataFrame(values, index=genes, columns=[f"s{i}" for i in range(6)]).to_csv(path)
    return path


def score(*args):
    return runner.invoke(app, ["score", *map(str, args)])


def test_an_all_zero_table_is_refused(tmp_path):
    table = write_table(tmp_path / "zeros.csv", GENES, np.zeros((len(GENES), 6), dtype=int))
    out = tmp_path / "scores.tsv"
    refused(score(table, "--out", out), str(table), "no expression at all (every value is 0)")
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("mine.gmt", "senescence\tmine\tTP53\tCDKN1A\n", id="gmt"),
        pytest.param("mine.tsv", "program\tgene\nsenescence\tTP53\n", id="table"),
    ],
)
def test_a_user_program_with_a_built_in_name_is_refused(tmp_path, name, text):
    gmt = tmp_path / name
    gmt.write_text(text, encoding="utf-8")
    out = tmp_path / "scores.tsv"
    result = score(write_table(tmp_path / "t.csv", GENES), "--out", out, "--gmt", gmt)
    refused(result, str(gmt), "program 'senescence' has the name of a built-in program",
            "rename it (e.g. 'my_senescence')")  # fmt: skip
    assert not out.exists()


@pytest.mark.parametrize("address", ["not a url", "tcp://localhost", "http://localhost:8786"])
def test_a_malformed_scheduler_is_refused(tmp_path, address):
    out = tmp_path / "scores.tsv"
    result = score(write_table(tmp_path / "t.csv", GENES), "--out", out, "--scheduler", address)
    refused(result, f"--scheduler {address!r}: not a dask scheduler address", "tcp://HOST:PORT")
    assert not out.exists()


def test_mixed_ensembl_ids_and_symbols_are_all_scored_with_a_warning(tmp_path, caplog):
    ensembl = hgnc_table().set_index("symbol")["ensembl_gene_id"]
    genes = [ensembl[g] if i % 2 else g for i, g in enumerate(GENES)]
    out = tmp_path / "scores.tsv"
    with caplog.at_level(logging.WARNING):
        result = score(write_table(tmp_path / "mixed.csv", genes), "--out", out)
    assert result.exit_code == 0, result.output
    symbols = tmp_path / "symbols.tsv"
    assert score(write_table(tmp_path / "symbols.csv", GENES), "--out", symbols).exit_code == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(out, sep="\t", index_col="obs"), pd.read_csv(symbols, sep="\t", index_col="obs")
    )
    (warning,) = [r.getMessage() for r in caplog.records if "Ensembl" in r.getMessage()]
    assert "mix 100 Ensembl IDs and 100 symbols" in warning


# --------------------------------------------------------------------------- species, gene IDs
# (issue 13: inputs that used to be refused, or scored as zeros)


def test_few_known_identifiers_and_poor_coverage_are_refused(tmp_path):
    """Entrez-like IDs with 25 symbols among them: refused, not scored as zeros."""
    genes = [*GENES[::8], *(str(1000 + i) for i in range(2000))]
    table = write_table(tmp_path / "entrez.csv", genes)
    out = tmp_path / "scores.tsv"
    refused(
        score(table, "--out", out),
        f"error: {table}: 11 of 11 programs have under 20% of their genes in the data",
        "only 1% of its 2,025 gene identifiers, read as human symbols, are known genes: the "
        "species or the kind of identifier is probably wrong; set --species and --gene-id",
    )
    assert not out.exists()


def write_rat(tmp_path):
    """Counts under made-up rat Ensembl IDs, and a BioMart-style table of their orthologs."""
    rat = [f"ENSRNOG{i:011d}" for i in range(1, len(GENES) + 1)]
    table = write_table(tmp_path / "rat.csv", rat)
    ensembl = hgnc_table().set_index("symbol")["ensembl_gene_id"]
    orthologs = tmp_path / "rat_human.tsv"
    pd.DataFrame(
        {
            "human_ensembl_gene": [ensembl[g] for g in GENES],
            "rat_ensembl_gene": rat,
            "homology_type": "ortholog_one2one",
            "confidence": 1,
        }
    ).to_csv(orthologs, sep="\t", index=False)
    return table, orthologs


def test_rat_ensembl_ids_need_orthologs(tmp_path):
    table, _ = write_rat(tmp_path)
    out = tmp_path / "scores.tsv"
    refused(
        score(table, "--out", out),
        f"error: {table}: 200 rat Ensembl IDs (e.g. 'ENSRNOG00000000001', 'ENSRNOG00000000002'), "
        "a species senox ships no ortholog table for; pass a table of their human orthologs: "
        "--orthologs FILE (orthologs=)",
    )
    assert not out.exists()


def test_rat_ensembl_ids_score_through_orthologs_like_human_symbols(tmp_path):
    table, orthologs = write_rat(tmp_path)
    rat = tmp_path / "rat.tsv"
    assert score(table, "--out", rat, "--orthologs", orthologs, "--species", "rat").exit_code == 0
    human = tmp_path / "human.tsv"
    assert score(write_table(tmp_path / "human.csv", GENES), "--out", human).exit_code == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(rat, sep="\t", index_col="obs"), pd.read_csv(human, sep="\t", index_col="obs")
    )


def test_a_10x_ensembl_id_under_two_symbols_reads_with_gene_id_symbol(tmp_path):
    """ENSG00000160014 (CALM3) listed again under CALM1: refused before issue 13."""
    folder = tmp_path / "filtered_feature_bc_matrix"
    folder.mkdir()
    ensembl = hgnc_table().set_index("symbol")["ensembl_gene_id"]
    names = [*GENES, "CALM1", "CALM3"]
    ids = [*(ensembl[g] for g in GENES), "ENSG00000160014", "ENSG00000160014"]
    (folder / "features.tsv").write_text(
        "".join(f"{i}\t{n}\tGene Expression\n" for i, n in zip(ids, names, strict=True))
    )
    (folder / "barcodes.tsv").write_text("".join(f"cell{i}\n" for i in range(6)))
    counts = np.random.default_rng(0).poisson(5, size=(len(names), 6))
    scipy_io.mmwrite(folder / "matrix.mtx", sparse.coo_matrix(counts))
    out, h5ad = tmp_path / "scores.tsv", tmp_path / "scored.h5ad"
    result = score(folder, "--gene-id", "symbol", "--out", out, "--h5ad", h5ad)
    assert result.exit_code == 0, result.output
    assert {"CALM1", "CALM3"} <= set(ad.read_h5ad(h5ad).var_names)
