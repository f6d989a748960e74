"""Heterogeneity of senescent cells: sub-clusters and what sets each apart.

The seed (abstract, §2.2) argues that resolving senescent subpopulations finds the key signalling
nodes. Senescent observations are clustered by k-means on their program z-scores (k = 2..4, chosen
by the silhouette); each cluster is described by the programs and genes that differ most from the
other senescent observations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2
from scipy.spatial.distance import cdist

from senox.states._panel import expression

if TYPE_CHECKING:
    from anndata import AnnData

#: Fewer senescent observations than this are not sub-clustered.
MIN_CELLS = 12
#: Silhouettes are computed on at most this many observations.
SILHOUETTE_SAMPLE = 2000


def silhouette(points: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette width (Euclidean)."""
    distances = cdist(points, points)
    widths = []
    for i, label in enumerate(labels):
        same = labels == label
        if same.sum() < 2:
            widths.append(0.0)
            continue
        a = distances[i, same].sum() / (same.sum() - 1)
        b = min(
            distances[i, labels == other].mean() for other in np.unique(labels) if other != label
        )
        widths.append((b - a) / max(a, b))
    return float(np.mean(widths))


def best_kmeans(points: np.ndarray, seed: int) -> np.ndarray:
    """k-means labels for the k in 2..4 with the highest silhouette."""
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(points), size=min(len(points), SILHOUETTE_SAMPLE), replace=False)
    best, best_score = np.zeros(len(points), dtype=int), -np.inf
    for k in range(2, min(4, len(points) - 1) + 1):
        _, labels = kmeans2(points, k, minit="++", seed=seed)
        if len(np.unique(labels)) < 2:
            continue
        score = silhouette(points[sample], labels[sample])
        if score > best_score:
            best, best_score = labels, score
    return best


def describe_clusters(
    adata: AnnData, z: pd.DataFrame, labels: pd.Series, genes: list[str], n_top: int = 8
) -> list[dict[str, Any]]:
    """Per cluster: size, top programs (z difference) and top genes (expression difference)."""
    expr = expression(adata[labels.index], genes).dropna(axis=1, how="all")
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


def senescent_subclusters(
    adata: AnnData, state: pd.Series, z: pd.DataFrame, genes: list[str], seed: int = 0
) -> tuple[pd.Series, list[dict[str, Any]]]:
    """Sub-cluster senescent observations; labels (NaN elsewhere) and per-cluster descriptions."""
    senescent = state.str.startswith("senescent").to_numpy()
    labels = pd.Series(np.nan, index=state.index)
    if senescent.sum() < MIN_CELLS:
        return labels, []
    points = z[senescent].to_numpy(dtype=float)
    found = pd.Series(best_kmeans(points, seed), index=state.index[senescent])
    labels[found.index] = found.to_numpy()
    return labels, describe_clusters(adata, z[senescent], found, genes)
