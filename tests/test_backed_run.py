"""``senox run --backed``: a backed ``.h5ad`` streamed end to end gives the in-memory results."""

from __future__ import annotations

import json
from importlib.resources import as_file, files
from typing import TYPE_CHECKING

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from typer.testing import CliRunner

import senox as sx
from senox._errors import InputError
from senox.cli import app
from senox.io import map_to_human, read
from senox.io._mapping import HUMAN_SYMBOL, ORIGINAL_ID
from senox.io._read import _normalise_counts
from senox.pipeline import BUNDLED, RunOptions
from senox.pipeline import _run as pipeline_run
from senox.pipeline._run import reads_backed
from senox.pipeline._stream import NormalisedRows, streamed

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
TABLES = ("scores.tsv", "states.tsv", "vulnerabilities.tsv", "strategies.tsv", "model_inputs.tsv")


def bundled_counts_h5ad(path: Path) -> Path:
    """The bundled data set's counts under human symbols, as an ``.h5ad`` file."""
    folder = files("senox") / "data" / "bundled" / BUNDLED["name"]
    with as_file(folder) as where:
        adata = read(
            where / "counts.mtx.gz", genes=where / "genes.tsv.gz", cells=where / "cells.csv"
        )
    mapping = map_to_human(list(adata.var_names), species="human", gene_id="symbol")
    symbols = mapping[HUMAN_SYMBOL]
    # genes read back as themselves, once: backed reading renames but cannot merge
    keep = (symbols == mapping[ORIGINAL_ID]) & ~symbols.duplicated(keep=False)
    counts = adata.layers["counts"][:, keep.to_numpy()]
    var = pd.DataFrame(index=adata.var_names[keep.to_numpy()])
    ad.AnnData(X=counts, obs=adata.obs, var=var).write_h5ad(path)
    return path


def generated_counts_h5ad(path: Path, n_obs: int = 1500, seed: int = 0) -> Path:
    """Seeded counts on human symbols with a planted senescent-like group, as ``.h5ad``."""
    from senox.programs import catalogue

    rng = np.random.default_rng(seed)
    programs = catalogue()
    genes = sorted({g for p in programs.values() for g in p.genes})[:1500]
    genes += [f"FILLER{i}" for i in range(500)]
    rate = rng.gamma(0.6, 1.0, size=len(genes))
    group = rng.integers(0, 3, size=n_obs)
    boost = np.ones((3, len(genes)))
    up = [genes.index(g) for g in programs["senescence"].up if g in genes]
    boost[2, up] = 4.0
    depth = rng.lognormal(0, 0.4, size=(n_obs, 1))
    counts = rng.poisson(rate * boost[group] * depth).astype(np.float32)
    obs = pd.DataFrame(
        {
            "condition": np.where(group == 0, "control", "treated"),
            "sample": [f"s{i % 6}" for i in range(n_obs)],
        },
        index=[f"cell{i}" for i in range(n_obs)],
    )
    ad.AnnData(X=sparse.csr_matrix(counts), obs=obs, var=pd.DataFrame(index=genes)).write_h5ad(path)
    return path


def run_both(path: Path, tmp_path: Path, *extra: str) -> tuple[Path, Path]:
    """``senox run`` on ``path`` read whole and read backed; the two output folders."""
    outs = tmp_path / "in_memory", tmp_path / "backed"
    for out, how in zip(outs, ("--in-memory", "--backed"), strict=True):
        args = ["run", str(path), "--out", str(out), "--cohort", "4", how, *extra]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    return outs


def assert_same_tables(first: Path, second: Path) -> None:
    for name in TABLES:
        a = pd.read_csv(first / name, sep="\t")
        b = pd.read_csv(second / name, sep="\t")
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6, obj=name)


def test_bundled_data_backed_give_the_in_memory_tables(tmp_path: Path) -> None:
    path = bundled_counts_h5ad(tmp_path / "bundled.h5ad")
    in_memory, backed = run_both(
        path, tmp_path, "--reference", "condition=mV", "--groupby", "condition"
    )
    assert_same_tables(in_memory, backed)
    assert json.loads((backed / "run.json").read_text())["backed"] is True
    assert json.loads((in_memory / "run.json").read_text())["backed"] is False
    assert len(pd.read_csv(backed / "vulnerabilities.tsv", sep="\t")) > 0


def test_generated_data_backed_give_the_in_memory_tables(tmp_path: Path) -> None:
    path = generated_counts_h5ad(tmp_path / "generated.h5ad")
    extra = ("--reference", "condition=control", "--groupby", "condition", "--sample-key", "sample")
    in_memory, backed = run_both(path, tmp_path, *extra)
    assert_same_tables(in_memory, backed)
    states = pd.read_csv(backed / "states.tsv", sep="\t")
    assert len(set(states["state"])) > 1


def test_a_backed_anndata_is_run_and_annotated(tmp_path: Path) -> None:
    path = generated_counts_h5ad(tmp_path / "generated.h5ad", n_obs=600, seed=1)
    backed = ad.read_h5ad(path, backed="r")
    try:
        sx.run(backed, out=tmp_path / "out", reference="condition=control", cohort=4)
    finally:
        backed.file.close()
    states = pd.read_csv(tmp_path / "out" / "states.tsv", sep="\t")
    assert backed.obs["senox_state"].astype(str).tolist() == states["state"].tolist()
    assert "senox_scores" in backed.obsm


def test_normalised_rows_equal_senox_io_read_however_indexed(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    dense = rng.integers(1, 30, size=(300, 50)) * (rng.random((300, 50)) < 0.2)
    dense[7] = 0  # an all-zero row stays zero
    counts = sparse.csr_matrix(dense.astype(np.float32))
    path = tmp_path / "c.h5ad"
    ad.AnnData(X=counts).write_h5ad(path)
    expected = sparse.csr_matrix(_normalise_counts(counts), dtype=np.float32).toarray()
    backed = ad.read_h5ad(path, backed="r")
    try:
        rows = NormalisedRows(backed.X, "counts", chunk_rows=17)
        mask = rng.random(300) < 0.3
        np.testing.assert_allclose(rows[:, :].toarray(), expected, rtol=1e-6)
        np.testing.assert_allclose(rows[40:90].toarray(), expected[40:90], rtol=1e-6)
        np.testing.assert_allclose(
            rows[mask, [3, 1]].toarray(), expected[mask][:, [3, 1]], rtol=1e-6
        )
        np.testing.assert_allclose(rows[[9, 2, 2]].toarray(), expected[[9, 2, 2]], rtol=1e-6)
    finally:
        backed.file.close()


@pytest.mark.parametrize(
    ("values", "message"),
    [(np.nan, "NaN or infinite"), (-1.0, "negative values"), (0.0, "no expression at all")],
)
def test_bad_stored_values_are_refused_in_one_line(
    tmp_path: Path, values: float, message: str
) -> None:
    dense = np.ones((20, 5), dtype=np.float32) * (values != 0.0)
    dense[0, 3] = values
    matrix = sparse.csr_matrix(dense)
    path = tmp_path / "bad.h5ad"
    ad.AnnData(X=matrix).write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    try:
        with pytest.raises(InputError, match=message) as error:
            streamed(backed)
    finally:
        backed.file.close()
    assert "\n" not in str(error.value)
    assert str(path) in str(error.value)


def test_columns_stored_by_columns_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "csc.h5ad"
    ad.AnnData(X=sparse.csc_matrix(np.ones((10, 4), dtype=np.float32))).write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    try:
        with pytest.raises(InputError, match="stored by columns"):
            streamed(backed)
    finally:
        backed.file.close()


def test_backed_is_refused_for_files_that_are_not_h5ad(tmp_path: Path) -> None:
    table = tmp_path / "x.csv"
    table.write_text("gene,a,b\nTP53,1,2\n")
    result = runner.invoke(app, ["run", str(table), "--out", str(tmp_path / "o"), "--backed"])
    assert result.exit_code != 0
    assert "works only for .h5ad files" in result.output


def test_large_h5ad_inputs_are_read_backed_unless_asked_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = generated_counts_h5ad(tmp_path / "g.h5ad", n_obs=50)
    size = path.stat().st_size
    assert not reads_backed(RunOptions(input=str(path)))
    monkeypatch.setattr(pipeline_run, "BACKED_FROM_BYTES", size)
    assert reads_backed(RunOptions(input=str(path)))
    assert not reads_backed(RunOptions(input=str(path), backed=False))
    assert not reads_backed(RunOptions(input=None, backed=True))


@pytest.mark.parametrize("parallel", [True, False])
def test_log_normalised_equals_the_direct_formula_bit_for_bit(parallel: bool) -> None:
    from senox.pipeline._embedding import SMALL_COUNTS, log_normalised

    rng = np.random.default_rng(7)
    counts = sparse.random(300, 400, density=0.3, format="csr", random_state=8, dtype=np.float32)
    counts.data = rng.geometric(0.3, size=counts.nnz).astype(np.float32)  # small integers
    counts.data[::7] *= 50  # counts above the table
    counts.data[::11] += np.float32(0.25)  # values that are not integers
    counts.data[:5] = SMALL_COUNTS - 1
    dense = counts.toarray()
    dense[3] = 0  # a row without counts
    counts = sparse.csr_matrix(dense)
    totals = np.asarray(counts.sum(axis=1, dtype=np.float64)).ravel()
    scale = np.repeat(np.divide(1e4, totals, out=np.zeros_like(totals), where=totals > 0),
                      np.diff(counts.indptr))  # fmt: skip
    expected = np.log1p(counts.data.astype(np.float64) * scale).astype(np.float32)
    np.testing.assert_array_equal(log_normalised(counts, parallel=parallel).data, expected)
