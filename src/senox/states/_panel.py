"""The biomarker panel: expression of the markers the seed names, per observation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

if TYPE_CHECKING:
    from anndata import AnnData

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


def expression(
    adata: AnnData, genes: tuple[str, ...] | list[str], layer: str | None = None
) -> pd.DataFrame:
    """Expression of ``genes`` per observation (NaN for genes absent from the data)."""
    present = [g for g in genes if g in adata.var_names]
    matrix = adata.layers[layer] if layer is not None else adata.X
    columns = adata.var_names.get_indexer(present)
    block = matrix[:, columns]
    values = block.toarray() if sparse.issparse(block) else np.asarray(block)
    frame = pd.DataFrame(values, index=adata.obs_names, columns=present, dtype=float)
    return frame.reindex(columns=list(genes))


def biomarker_panel(adata: AnnData, layer: str | None = None) -> pd.DataFrame:
    """The panel's expression (same values as scored: log-normalised by senox.io.read)."""
    return expression(adata, list(PANEL_GENES), layer)
