"""The report's per-cell figures at any size: QC per observation and a two-component PCA.

Both read the matrix a block of rows at a time (:func:`senox.score._source.iter_blocks`), so an
``.h5ad`` opened backed is never loaded whole and memory stays bounded by one block plus the
subsample the PCA is fitted on.

The PCA (:func:`embedding`) follows scanpy's ``sc.pp.pca`` on sparse data: the most variable
genes, a truncated SVD of the implicitly centred matrix, so the sparse matrix is never
densified; the SVD is randomized (:func:`principal_axes`), so its cost is fixed. Above
``max_fit_cells`` observations the components are fitted on a seeded random subsample of that
many observations and every observation is then projected on them, block by block: the cost
grows linearly with the number of observations, and the fit's cost stays fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numba import njit, prange
from scipy import sparse
from scipy.sparse.linalg import LinearOperator

from senox._errors import InputError
from senox._progress import progress_bar
from senox.score._source import iter_blocks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from anndata import AnnData
    from numpy.typing import NDArray

#: Observations the PCA is fitted on at most; more are projected on the fitted components.
#: 50,000 cells estimate a gene's variance to about 0.6 % (sqrt(2/n)) and leave the fitted
#: subsample at about 0.4 GB for 2,000 genes at 30 % non-zero.
MAX_FIT_CELLS = 50_000
#: Observations read at a time.
CHUNK_SIZE = 10_000
#: Observations from which progress bars are shown by default (as for scoring).
PROGRESS_FROM = 50_000
#: Counts are scaled to this many per observation before ``log1p`` (as ``senox.io.read`` does).
TARGET_SUM = 10_000


def _rows(matrix: Any, chunk_size: int) -> Iterator[tuple[int, sparse.csr_matrix]]:
    """(first row, CSR block) over ``matrix``, ``chunk_size`` rows at a time."""
    for start, block in iter_blocks(matrix, chunk_size):
        yield start, block.as_matrix(matrix.shape[1])


def _show(n_obs: int, *, progress: bool | None) -> bool:
    return progress if progress is not None else n_obs >= PROGRESS_FROM


def qc_per_obs(
    adata: AnnData, *, chunk_size: int = CHUNK_SIZE, progress: bool | None = None
) -> pd.DataFrame:
    """Genes detected and total counts per observation, one pass over the rows.

    Reads ``layers["counts"]`` when there is one (count input read by ``senox.io.read``), else
    ``X``. Returns a DataFrame indexed by ``obs_names`` with ``genes_detected`` (values > 0)
    and ``total_counts`` (the row's sum).
    """
    matrix = adata.layers.get("counts", adata.X)
    detected = np.zeros(adata.n_obs, dtype=np.int64)
    total = np.zeros(adata.n_obs, dtype=np.float64)
    with progress_bar(
        adata.n_obs, show=_show(adata.n_obs, progress=progress), label="QC"
    ) as advance:
        for start, block in _rows(matrix, chunk_size):
            stop = start + block.shape[0]
            detected[start:stop] = np.diff((block > 0).tocsr().indptr)
            total[start:stop] = np.asarray(block.sum(axis=1, dtype=np.float64)).ravel()
            advance(block.shape[0])
    return pd.DataFrame({"genes_detected": detected, "total_counts": total}, index=adata.obs_names)


#: Integer counts below this are log-normalised by a per-row table (one ``log1p`` per value
#: 0..SMALL_COUNTS-1 and row), not one ``log1p`` per stored value: most UMI counts are 1 to 3.
#: Measured on the 100k-cell benchmark input (docs/benchmarks.md): 23 M values in 0.13 s on one
#: core, against 0.64 s for NumPy's ``log1p`` alone; log-normalising was 16 % of ``senox run``.
SMALL_COUNTS = 32


@njit(cache=True, nogil=True)
def _normalise_row(
    indptr: NDArray[Any], data: NDArray[Any], target: float, row: int, out: NDArray[np.float32]
) -> None:  # pragma: no cover (compiled)
    """``log1p(value / row total × target)`` for one row's values, into ``out``.

    Small integer counts take the value from a table of the same expression evaluated once per
    row, so the result is the same float as the direct computation.
    """
    low, high = indptr[row], indptr[row + 1]
    total = 0.0
    for j in range(low, high):
        total += data[j]
    scale = target / total if total > 0 else 0.0
    table = np.empty(SMALL_COUNTS, dtype=np.float32)
    if high - low > SMALL_COUNTS:
        for k in range(SMALL_COUNTS):
            table[k] = np.log1p(k * scale)
    for j in range(low, high):
        value = data[j]
        k = int(value) if 0.0 <= value < SMALL_COUNTS else -1
        if high - low > SMALL_COUNTS and k == value:
            out[j] = table[k]
        else:
            out[j] = np.log1p(value * scale)


@njit(cache=True, parallel=True)
def _log_normalise(
    indptr: NDArray[Any], data: NDArray[Any], target: float
) -> NDArray[np.float32]:  # pragma: no cover (compiled)
    """:func:`_normalise_row` over every row, on all cores (all-zero rows stay 0)."""
    out = np.empty(data.shape[0], dtype=np.float32)
    for row in prange(indptr.shape[0] - 1):
        _normalise_row(indptr, data, target, row, out)
    return out


@njit(cache=True, nogil=True)
def _log_normalise_serial(
    indptr: NDArray[Any], data: NDArray[Any], target: float
) -> NDArray[np.float32]:  # pragma: no cover (compiled)
    """:func:`_log_normalise` on one core, without the GIL (for a background thread)."""
    out = np.empty(data.shape[0], dtype=np.float32)
    for row in range(indptr.shape[0] - 1):
        _normalise_row(indptr, data, target, row, out)
    return out


@njit(cache=True, nogil=True)
def _column_moments(
    indices: NDArray[Any], data: NDArray[Any], n_cols: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-column sums of the stored values and of their squares (float64)."""
    sums = np.zeros(n_cols)
    squares = np.zeros(n_cols)
    for j in range(data.shape[0]):
        value = np.float64(data[j])
        sums[indices[j]] += value
        squares[indices[j]] += value * value
    return sums, squares


def log_normalised(block: sparse.csr_matrix, *, parallel: bool = True) -> sparse.csr_matrix:
    """``log1p(count / total × 10,000)`` per row, as ``senox.io.read`` turns counts into X.

    ``parallel=False`` uses one core and releases the GIL, so a background thread can run it
    while numba's thread pool serves another thread.
    """
    kernel = _log_normalise if parallel else _log_normalise_serial
    return sparse.csr_matrix(
        (kernel(block.indptr, block.data, float(TARGET_SUM)), block.indices, block.indptr),
        shape=block.shape,
    )


@dataclass(frozen=True)
class _FirstPass:
    """What one pass over the rows gives: gene means and variances, and the fit subsample."""

    mean: NDArray[np.float64]
    variance: NDArray[np.float64]
    #: The subsample's rows (all genes), in the matrix's order.
    fit_rows: sparse.csr_matrix


def fit_subsample(n_obs: int, max_fit_cells: int, seed: int) -> NDArray[np.int64]:
    """Sorted positions of the observations the PCA is fitted on (all, or a seeded draw)."""
    if n_obs <= max_fit_cells:
        return np.arange(n_obs, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_obs, size=max_fit_cells, replace=False)).astype(np.int64)


def _first_pass(
    matrix: Any,
    fit: NDArray[np.int64],
    *,
    transform: Callable[[sparse.csr_matrix], sparse.csr_matrix],
    chunk_size: int,
    advance: Callable[[int], None],
) -> _FirstPass:
    """Per-gene sums of values and squares (for the variances), and the fit rows, in one pass."""
    n_obs, n_genes = matrix.shape
    sums = np.zeros(n_genes, dtype=np.float64)
    squares = np.zeros(n_genes, dtype=np.float64)
    kept = []
    for start, raw in _rows(matrix, chunk_size):
        block = transform(raw)
        block_sums, block_squares = _column_moments(block.indices, block.data, n_genes)
        sums += block_sums
        squares += block_squares
        low, high = np.searchsorted(fit, [start, start + block.shape[0]])
        if high > low:
            kept.append(block[fit[low:high] - start])
        advance(block.shape[0])
    mean = sums / n_obs
    return _FirstPass(mean, squares / n_obs - mean**2, sparse.vstack(kept, format="csr"))


def highly_variable(variance: NDArray[np.float64], n_genes: int) -> NDArray[np.int64]:
    """Positions of the ``n_genes`` genes of highest variance (ties: the earlier gene first)."""
    order = np.argsort(-variance, kind="stable")
    return np.sort(order[: min(n_genes, len(variance))]).astype(np.int64)


#: Extra columns of the randomized range finder (Halko, Martinsson & Tropp 2011, SIAM Rev
#: 53:217; scikit-learn's default) and its power iterations. A component's error shrinks like
#: (s[k + 1] / s[k]) ** (2 * iterations + 1): on ``tests/test_embedding.py``'s planted data
#: (s2 / s3 = 1.24) 7 iterations, scikit-learn's default, left the second coordinate 8e-4 off
#: the exact SVD and 14 leave it 3e-7 off.
OVERSAMPLES = 10
POWER_ITERATIONS = 14


def principal_axes(
    fit: sparse.csr_matrix, n_comps: int, seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(column means, components: n_comps × genes) of a truncated SVD of the centred ``fit``.

    The centring is implicit (a linear operator), as in scanpy's sparse PCA. The SVD is
    randomized (Halko et al. 2011): a fixed number of products with the operator, whatever its
    spectrum. ARPACK (``scipy.sparse.linalg.svds``), used before, took 10.6 s on the 50,000-cell
    fit subsample of ``benchmarks/bench_run.py``'s 100,000-cell input, whose spectrum is flat,
    against 3.0 s for this (2026-12-06); scikit-learn's ``randomized_svd`` does not take a
    linear operator, and centring the subsample explicitly would densify it. Each component's
    sign puts its largest loading positive (scikit-learn's ``svd_flip`` on the loadings).
    """
    x = sparse.csr_matrix(fit, dtype=np.float64)
    mu = np.asarray(x.mean(axis=0)).ravel()

    def centred(v: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(x @ v - mu @ v)

    def centred_t(v: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(x.T @ v - np.multiply.outer(mu, v.sum(axis=0)))

    operator = LinearOperator(
        dtype=np.float64, shape=x.shape, matvec=centred, matmat=centred,
        rmatvec=centred_t, rmatmat=centred_t,
    )  # fmt: skip
    vt = _randomized_right_vectors(operator, n_comps, seed)
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    return mu, vt * signs[:, None]


def _randomized_right_vectors(
    operator: LinearOperator, n_comps: int, seed: int
) -> NDArray[np.float64]:
    """The top ``n_comps`` right singular vectors of ``operator``, randomized.

    A range finder with power iterations, re-orthonormalised at each step as in
    scikit-learn's ``randomized_range_finder``.
    """
    width = min(n_comps + OVERSAMPLES, *operator.shape)
    rng = np.random.default_rng(seed)
    basis = operator.matmat(rng.standard_normal((operator.shape[1], width)))
    for _ in range(POWER_ITERATIONS):
        basis, _ = np.linalg.qr(basis)
        basis, _ = np.linalg.qr(operator.rmatmat(basis))
        basis = operator.matmat(basis)
    basis, _ = np.linalg.qr(basis)
    _, _, vt = np.linalg.svd(operator.rmatmat(basis).T, full_matrices=False)
    return np.asarray(vt[:n_comps])


def embedding(
    adata: AnnData,
    *,
    n_genes: int = 2000,
    n_comps: int = 2,
    max_fit_cells: int = MAX_FIT_CELLS,
    seed: int = 0,
    normalise: bool = False,
    layer: str | None = None,
    parallel: bool = True,
    chunk_size: int = CHUNK_SIZE,
    progress: bool | None = None,
) -> NDArray[np.float64]:
    """Principal-component coordinates of every observation on its most variable genes.

    Parameters
    ----------
    adata
        Observations × genes; ``X`` log-normalised (``senox.io.read``), in memory (sparse or
        dense) or backed.
    n_genes
        The genes of highest variance (over all observations) the PCA uses.
    n_comps
        Components returned.
    max_fit_cells
        The components are fitted on at most this many observations, drawn at random with
        ``seed``; every observation is then projected on them.
    seed
        Seed of the subsample and of the randomized SVD.
    normalise
        ``X`` holds counts (as a backed ``.h5ad`` may): log-normalise each block as it is read
        (:func:`log_normalised`).
    layer
        Read ``adata.layers[layer]`` instead of ``X`` (e.g. the counts, with ``normalise``).
    parallel
        Log-normalise on all cores; ``False``: on one, without the GIL (a background thread).
    chunk_size
        Observations read at a time.
    progress
        Show a progress bar (default: from 50,000 observations).

    Returns
    -------
    Observations × ``n_comps`` coordinates (rows in ``adata``'s order), centred on the fit
    subsample's mean; components in order of decreasing variance.
    """
    n_obs, n_vars = adata.shape
    if n_comps < 1 or n_comps >= min(n_obs, n_genes, n_vars):
        msg = (
            f"embedding: {n_comps} components need more observations and genes than "
            f"{n_obs} × {min(n_genes, n_vars)}; lower n_comps"
        )
        raise InputError(msg)
    matrix = adata.X if layer is None else adata.layers[layer]

    def transform(raw: sparse.csr_matrix) -> sparse.csr_matrix:
        return log_normalised(raw, parallel=parallel) if normalise else raw

    fit = fit_subsample(n_obs, max_fit_cells, seed)
    with progress_bar(2 * n_obs, show=_show(n_obs, progress=progress), label="PCA") as advance:
        first = _first_pass(
            matrix, fit, transform=transform, chunk_size=chunk_size, advance=advance
        )
        top = highly_variable(first.variance, n_genes)
        mu, components = principal_axes(first.fit_rows[:, top], n_comps, seed)
        del first
        # Loadings over every gene (0 off the top ones): blocks are projected without the
        # column selection SciPy would copy them for; the added terms are exact zeros.
        loadings = np.zeros((n_vars, n_comps))
        loadings[top] = components.T
        offset = mu @ components.T
        out = np.empty((n_obs, n_comps), dtype=np.float64)
        for start, raw in _rows(matrix, chunk_size):
            block = transform(raw)
            out[start : start + block.shape[0]] = np.asarray(block @ loadings) - offset
            advance(block.shape[0])
    return out
