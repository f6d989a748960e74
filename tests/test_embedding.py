"""The report's streamed QC and PCA (senox.pipeline._embedding), and the chunked split null."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from senox._errors import InputError
from senox.io._read import _normalise_counts
from senox.pipeline._embedding import (
    embedding,
    fit_subsample,
    highly_variable,
    log_normalised,
    qc_per_obs,
)
from senox.states._cycling import SPLIT_DRAWS, best_split, null_at_least


def structured(n_obs: int = 600, n_genes: int = 300, seed: int = 0) -> ad.AnnData:
    """Log-normalised sparse data with two planted axes of variation (three groups)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, size=n_obs)
    rate = rng.gamma(1.0, 1.0, size=n_genes)
    effect = np.ones((3, n_genes))
    effect[1, :40] = 6.0
    effect[2, 40:70] = 8.0
    counts = rng.poisson(rate * effect[group] * rng.lognormal(0, 0.3, size=(n_obs, 1)))
    x = sparse.csr_matrix(_normalise_counts(sparse.csr_matrix(counts.astype(np.float32))))
    obs = pd.DataFrame({"group": group.astype(str)}, index=[f"c{i}" for i in range(n_obs)])
    return ad.AnnData(
        X=x.astype(np.float32),
        obs=obs,
        var=pd.DataFrame(index=[f"g{i}" for i in range(n_genes)]),
        layers={"counts": sparse.csr_matrix(counts.astype(np.float32))},
    )


def full_pca(adata: ad.AnnData, n_genes: int, n_comps: int = 2) -> np.ndarray:
    """Exact PCA by a dense SVD of the centred top-variance genes (the old embedding)."""
    dense = np.asarray(adata.X.toarray(), dtype=np.float64)
    top = highly_variable(dense.var(axis=0), n_genes)
    centred = dense[:, top] - dense[:, top].mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    return np.asarray(u[:, :n_comps] * s[:n_comps])


def abs_corr(a: np.ndarray, b: np.ndarray) -> list[float]:
    return [abs(float(np.corrcoef(a[:, i], b[:, i])[0, 1])) for i in range(a.shape[1])]


def test_all_cells_fitted_equals_the_full_svd():
    adata = structured()
    ours = embedding(adata, n_genes=100, max_fit_cells=10_000, chunk_size=64)
    exact = full_pca(adata, 100)
    np.testing.assert_allclose(np.abs(ours), np.abs(exact), atol=1e-6)


def test_matches_scanpy_pca_on_the_same_genes():
    import scanpy as sc

    adata = structured(seed=1)
    dense = adata.X.toarray()
    top = highly_variable(dense.var(axis=0), 100)
    theirs = adata[:, top].copy()
    sc.pp.pca(theirs, n_comps=2, random_state=0)
    ours = embedding(adata, n_genes=100)
    assert min(abs_corr(ours, theirs.obsm["X_pca"])) > 0.9999


def test_a_subsample_fit_projects_every_cell_close_to_the_full_fit():
    adata = structured(n_obs=3000, seed=2)
    ours = embedding(adata, n_genes=100, max_fit_cells=500, seed=3, chunk_size=700)
    assert ours.shape == (3000, 2)
    assert min(abs_corr(ours, full_pca(adata, 100))) > 0.99
    again = embedding(adata, n_genes=100, max_fit_cells=500, seed=3, chunk_size=256)
    np.testing.assert_allclose(ours, again, atol=1e-9)


def test_backed_counts_normalised_on_the_fly_equal_data_in_memory(tmp_path):
    adata = structured(n_obs=800, seed=4)
    path = tmp_path / "counts.h5ad"
    ad.AnnData(X=adata.layers["counts"], obs=adata.obs, var=adata.var).write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    try:
        streamed = embedding(backed, n_genes=100, normalise=True, max_fit_cells=300, chunk_size=99)
        qc = qc_per_obs(backed, chunk_size=99)
    finally:
        backed.file.close()
    in_memory = embedding(adata, n_genes=100, max_fit_cells=300, chunk_size=1000)
    np.testing.assert_allclose(streamed, in_memory, atol=1e-4)
    counts = adata.layers["counts"]
    np.testing.assert_array_equal(qc["genes_detected"], np.diff(counts.indptr))
    np.testing.assert_allclose(qc["total_counts"], np.asarray(counts.sum(axis=1)).ravel())


def test_dense_input_gives_the_sparse_result():
    adata = structured(n_obs=400, seed=5)
    dense = ad.AnnData(X=adata.X.toarray(), obs=adata.obs, var=adata.var)
    np.testing.assert_allclose(
        embedding(dense, n_genes=80), embedding(adata, n_genes=80), atol=1e-8
    )


def test_qc_reads_the_counts_layer_chunk_by_chunk():
    adata = structured(n_obs=500, seed=6)
    qc = qc_per_obs(adata, chunk_size=37)
    counts = adata.layers["counts"].toarray()
    assert list(qc.index) == list(adata.obs_names)
    np.testing.assert_array_equal(qc["genes_detected"], (counts > 0).sum(axis=1))
    np.testing.assert_allclose(qc["total_counts"], counts.sum(axis=1))


def test_log_normalised_is_what_senox_io_read_computes():
    dense = np.ceil(np.random.default_rng(0).random((50, 40)) * 10) - 7
    dense[3] = 0
    counts = sparse.csr_matrix(np.clip(dense, 0, None))
    expected = _normalise_counts(counts).toarray()
    np.testing.assert_allclose(log_normalised(counts).toarray(), expected, rtol=1e-6)


def test_the_subsample_is_seeded_sorted_and_all_cells_when_few():
    np.testing.assert_array_equal(fit_subsample(10, 50, 0), np.arange(10))
    drawn = fit_subsample(1000, 100, 7)
    assert len(drawn) == 100 == len(np.unique(drawn))
    assert (np.diff(drawn) > 0).all()
    np.testing.assert_array_equal(drawn, fit_subsample(1000, 100, 7))
    assert not np.array_equal(drawn, fit_subsample(1000, 100, 8))


@pytest.mark.parametrize("n_comps", [0, 5])
def test_too_many_components_is_a_one_line_error(n_comps):
    adata = structured(n_obs=5, n_genes=50)
    with pytest.raises(InputError, match="lower n_comps"):
        embedding(adata, n_genes=20, n_comps=n_comps)


@pytest.mark.parametrize("n", [6, 40, 3000])
def test_chunked_split_null_counts_like_drawing_it_whole(n, monkeypatch):
    """null_at_least draws in chunks; the count equals the one-shot draw it replaced."""
    monkeypatch.setattr("senox.states._cycling.NULL_VALUES", 10_000)
    x = np.sort(np.random.default_rng(n).standard_normal(n) ** 3)
    (eta2,), _ = best_split(x)
    for threshold in (eta2, 0.62, 0.7):
        whole, _ = best_split(np.random.default_rng(0).standard_normal((SPLIT_DRAWS, n)))
        assert null_at_least(threshold, n, 0) == int((whole >= threshold).sum())
