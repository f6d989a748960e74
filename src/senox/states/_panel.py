"""The biomarker panel: expression of the markers the seed names, per observation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from senox.score._source import is_dask

if TYPE_CHECKING:
    from collections.abc import Sequence

    from anndata import AnnData
    from numpy.typing import NDArray

#: Markers by role (seed §2.1, §4.2.1, §5): arrest, lamin loss, lysosome, proliferation and
#: escape (CDK1), SASP factors, NRF2 targets.
PANEL: dict[str, tuple[str, ...]] = {
    "arrest": ("CDKN2A", "CDKN1A"),
    "lamin_b1": ("LMNB1",),
    "lysosomal": ("GLB1",),
    "proliferation": ("MKI67", "CDK1"),
    "sasp": ("IL6", "CXCL8", "IL1B", "CCL2", "SERPINE1"),
    "nrf2_targets": ("NQO1", "HMOX1", "TXNRD1", "GCLM"),
}
PANEL_GENES = tuple(g for genes in PANEL.values() for g in genes)


def present_columns(
    var_names: pd.Index, genes: tuple[str, ...] | list[str]
) -> tuple[list[str], NDArray[np.int64]]:
    """The ``genes`` found in ``var_names`` (in the order given), and their column positions."""
    present = [g for g in genes if g in var_names]
    return present, np.asarray(var_names.get_indexer(pd.Index(present)), dtype=np.int64)


def expression_frame(
    values: NDArray[Any], obs_names: pd.Index, present: list[str], genes: Sequence[str]
) -> pd.DataFrame:
    """Values of the ``present`` genes as a frame over ``genes`` (NaN for the absent ones)."""
    frame = pd.DataFrame(values, index=obs_names, columns=present, dtype=float)
    return frame.reindex(columns=list(genes))


def expression(
    adata: AnnData, genes: tuple[str, ...] | list[str], layer: str | None = None
) -> pd.DataFrame:
    """Expression of ``genes`` per observation (NaN for genes absent from the data)."""
    present, columns = present_columns(adata.var_names, genes)
    matrix = adata.layers[layer] if layer is not None else adata.X
    block = matrix[:, columns]
    if is_dask(block):  # read on the scheduler in use (senox run --scheduler: the cluster)
        block = block.compute()
    values = block.toarray() if sparse.issparse(block) else np.asarray(block)
    return expression_frame(values, adata.obs_names, present, genes)
