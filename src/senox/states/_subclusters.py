"""Heterogeneity of senescent cells: sub-clusters and what sets each apart.

The seed (abstract, §2.2) argues that resolving senescent subpopulations finds the key signalling
nodes. Senescent observations are first tested for structure: is their split in two tighter than a
split of one Gaussian with their own mean and covariance would be? This is the SigClust test
(Liu, Hayes, Nobel & Marron 2008, J Am Stat Assoc 103:1281, doi 10.1198/016214508000000454): its
statistic is the 2-means cluster index, within-cluster over total sum of squares, and its p-value
comes from simulated Gaussian data. k-means always splits; without the test a single population
would still be reported as sub-clusters, and each would seed its own strategy downstream. When the
test rejects one Gaussian at ``ALPHA``, they are clustered by k-means on their program z-scores
(k = 2..4, chosen by the silhouette); each cluster is described by the programs and genes that
differ most from the other senescent observations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2

from senox.states._panel import expression

if TYPE_CHECKING:
    from anndata import AnnData

#: Left out of the clustering: the whole senescence program repeats ``senescence_up`` plus the
#: arrest that every senescent observation shares.
REDUNDANT = ["senescence"]
#: Fewer senescent observations than this are not sub-clustered.
MIN_CELLS = 12
#: The structure test and the silhouettes use at most this many observations.
SILHOUETTE_SAMPLE = 2000
#: Gaussian data sets simulated for the structure test, and its level.
NULL_DRAWS = 100
ALPHA = 0.05
#: k-means starts whose best split gives the cluster index.
STARTS = 3


def cluster_index(points: np.ndarray, rng: np.random.Generator) -> float:
    """Within-cluster over total sum of squares of the best of ``STARTS`` 2-means splits."""
    total = float(((points - points.mean(axis=0)) ** 2).sum())
    if total == 0:
        return 1.0
    within = np.inf
    for _ in range(STARTS):
        centres, labels = kmeans2(points, 2, minit="++", seed=rng)
        within = min(within, float(((points - centres[labels]) ** 2).sum()))
    return within / total


def structure_test(points: np.ndarray, seed: int) -> dict[str, float | int | bool]:
    """SigClust: the cluster index against ``NULL_DRAWS`` Gaussians of the same mean and covariance.

    The p-value is the fraction of simulated indices at or below the observed one (with the
    observed one counted, so it is never 0). ``supported`` is ``p_value <= ALPHA``.
    """
    rng = np.random.default_rng(seed)
    observed = cluster_index(points, rng)
    eigenvalues, vectors = np.linalg.eigh(np.cov(points, rowvar=False))
    spread = vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    null = [
        cluster_index(rng.standard_normal(points.shape) @ spread.T, rng) for _ in range(NULL_DRAWS)
    ]
    p_value = (1 + sum(index <= observed for index in null)) / (1 + NULL_DRAWS)
    return {
        "n": len(points),
        "cluster_index": round(observed, 4),
        "null_median": round(float(np.median(null)), 4),
        "p_value": round(p_value, 4),
        "supported": p_value <= ALPHA,
    }


def best_kmeans(points: np.ndarray, seed: int) -> np.ndarray:
    """k-means labels for the k in 2..4 with the highest silhouette (scikit-learn's)."""
    from sklearn.metrics import silhouette_score  # imported here: scikit-learn is slow to import

    sample = _sample(len(points), seed)
    best, best_score = np.zeros(len(points), dtype=int), -np.inf
    for k in range(2, min(4, len(points) - 1) + 1):
        _, labels = kmeans2(points, k, minit="++", seed=seed)
        if len(np.unique(labels[sample])) < 2:
            continue
        score = float(silhouette_score(points[sample], labels[sample]))
        if score > best_score:
            best, best_score = labels, score
    return best


def describe_clusters(
    adata: AnnData, z: pd.DataFrame, labels: pd.Series, genes: list[str], n_top: int = 8
) -> list[dict[str, Any]]:
    """Per cluster: size, top programs (z difference) and top genes (expression difference)."""
    expr = expression(adata, genes).loc[labels.index].dropna(axis=1, how="all")
    out = []
    for cluster in sorted(labels.unique()):
        inside = (labels == cluster).to_numpy()
        program_diff = (z[inside].mean() - z[~inside].mean()).sort_values(ascending=False)
        gene_diff = (expr[inside].mean() - expr[~inside].mean()).sort_values(ascending=False)
        out.append({
            "subcluster": int(cluster),
            "n": int(inside.sum()),
            "top_programs": {k: round(float(v), 3) for k, v in program_diff.head(3).items()},
            "top_genes": {k: round(float(v), 3) for k, v in gene_diff.head(n_top).items()},
        })  # fmt: skip
    return out


def standardised(z: pd.DataFrame) -> np.ndarray:
    """Each program centred and scaled over the senescent observations (constant ones dropped).

    Calibrated z-scores are in units of the baseline's spread, which can be far narrower for one
    program than another; k-means would then split along that program alone.
    """
    values = z.to_numpy(dtype=float)
    spread = values.std(axis=0)
    keep = spread > 0
    return np.asarray((values[:, keep] - values[:, keep].mean(axis=0)) / spread[keep])


def _sample(n: int, seed: int) -> np.ndarray:
    """At most ``SILHOUETTE_SAMPLE`` of ``n`` positions, drawn without replacement."""
    return np.random.default_rng(seed).choice(n, size=min(n, SILHOUETTE_SAMPLE), replace=False)


def senescent_subclusters(
    adata: AnnData, state: pd.Series, z: pd.DataFrame, genes: list[str], seed: int = 0
) -> tuple[pd.Series, list[dict[str, Any]], dict[str, Any]]:
    """Sub-cluster senescent observations when they hold structure.

    Returns the labels (NaN outside sub-clusters), one description per sub-cluster, and the
    structure test (:func:`structure_test`; ``{}`` with fewer than ``MIN_CELLS`` senescent
    observations). Without support for structure, no sub-clusters are reported.
    """
    senescent = state.str.startswith("senescent").to_numpy()
    labels = pd.Series(np.nan, index=state.index)
    if senescent.sum() < MIN_CELLS:
        return labels, [], {}
    points = standardised(z[senescent].drop(columns=REDUNDANT, errors="ignore"))
    test = structure_test(points[_sample(len(points), seed)], seed)
    if not test["supported"]:
        return labels, [], test
    found = pd.Series(best_kmeans(points, seed), index=state.index[senescent])
    labels[found.index] = found.to_numpy()
    return labels, describe_clusters(adata, z[senescent], found, genes), test
