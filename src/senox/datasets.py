"""Data sets shipped with senox, for tutorials, tests and ``senox run`` without an input."""

from __future__ import annotations

import gzip
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from senox._errors import InputError

if TYPE_CHECKING:
    from anndata import AnnData

#: The folder of the bundled data set inside the package.
CHAN2024 = "chan2024_kras_ois"


def chan2024(*, genes: Literal["human", "mouse"] = "human") -> AnnData:
    """Mouse hepatocytes, KRAS oncogene-induced senescence against controls (500 cells).

    Chan et al. 2024, "KRAS oncogene induced cellular senescence in mouse hepatocytes",
    Nature, doi:10.1038/s41586-024-07797-z: the 500-cell toy subset that SenePy ships
    (GitHub ``jaleesr/SenePy``, ``toy_data/TOY_DATA_Chan_et_al_2024.rds``, commit
    ``f56d5fa``), licence MIT (the ``LICENSE`` file beside the data, from SenePy). It is the
    data set ``senox run`` analyses when given no input; its ``README.md`` in
    ``senox/data/bundled/chan2024_kras_ois`` gives the caveats (labels per mouse and time
    point; D12 cells have about 4.7x the library size of controls).

    Parameters
    ----------
    genes
        ``"human"``: read with :func:`senox.io.read`, as ``senox run`` reads it (mouse symbols
        mapped to human ones, merged where several map to one). ``"mouse"``: the mouse symbols
        as published, as a scanpy user would load the data (then :func:`senox.pp.to_human`).

    Returns
    -------
    500 cells × genes (15,766 mouse symbols; fewer human ones after merging):

    - ``X``: float32 ``log1p(count / total × 10,000)`` per cell (scanpy's
      ``normalize_total(target_sum=1e4)`` then ``log1p``), sparse CSR;
    - ``layers["counts"]``: the raw counts;
    - ``obs``: ``condition`` (``mV``: control, 168 cells; ``D12``: 12 days after KRAS
      induction, 332 cells), ``Sample`` (mouse), ``orig.ident``, ``nCount_RNA``,
      ``nFeature_RNA``;
    - with ``genes="human"``, also ``var["original_id"]``, ``var["mapping"]`` and
      ``uns["senox_io"]`` (see :func:`senox.io.read`).

    Examples
    --------
    >>> adata = chan2024(genes="mouse")
    >>> adata.shape, adata.obs["condition"].value_counts().to_dict()
    ((500, 15766), {'D12': 332, 'mV': 168})
    """
    if genes not in ("human", "mouse"):
        msg = f"genes={genes!r}: use 'human' (mapped, as senox run reads it) or 'mouse'"
        raise InputError(msg)
    with as_file(files("senox") / "data" / "bundled" / CHAN2024) as folder:
        path = Path(folder)
        if genes == "human":
            from senox.io import read

            return read(
                path / "counts.mtx.gz", genes=path / "genes.tsv.gz", cells=path / "cells.csv"
            )
        return _read_mouse(path)


def _read_mouse(folder: Path) -> AnnData:
    """The bundled files as they are: mouse symbols, counts normalised as scanpy does."""
    import anndata as ad
    from scipy import io, sparse

    with gzip.open(folder / "counts.mtx.gz") as handle:
        counts = sparse.csr_matrix(io.mmread(handle).T, dtype=np.float32)
    var_names = pd.read_csv(folder / "genes.tsv.gz", header=None, sep="\t").iloc[:, 0]
    obs = pd.read_csv(folder / "cells.csv", index_col=0)
    totals = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    scaled = sparse.diags(1e4 / totals) @ counts
    log = sparse.csr_matrix(scaled.log1p(), dtype=np.float32)
    return ad.AnnData(
        X=log,
        obs=obs.set_axis(obs.index.astype(str), axis=0),
        var=pd.DataFrame(index=pd.Index(var_names.astype(str), dtype=object)),
        layers={"counts": counts},
    )
