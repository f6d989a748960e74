"""Senescence scores of the peer tools on the two real data sets of ../shared, and their AUROC.

The peers are the senescence scorers a user would otherwise pick:

- ``senmayo_ucell``: pyucell's UCell score of the SenMayo list (Saul et al. 2022);
- ``husi``: the hUSI rule (Spearman correlation of each observation's expression with the
  hUSI one-class logistic-regression weights), re-implemented here, vectorised, because
  hUSI ships as R/Python scripts, not as a package;
- ``senepy``: ``senepy.score_hub`` with a SenePy hub chosen from the data's tissue and cell
  type (see :data:`SENEPY_HUBS`);
- ``deepscence``: ``DeepScence.api.DeepScence`` with ``denoise=False`` (its DCA step needs
  TensorFlow 1 / Keras 2 and cannot be installed here).

Each score is "higher = more senescent". Run it in the peers' own environment, offline::

    /work/main/.venv-peers/bin/python validation/peer_scores.py [--shared ../shared]

It prints a Markdown report (AUROC per peer and data set, wall time per peer, notes) and
writes it to ``validation/results/peers.md``. With ``--json PATH`` it also writes every
observation's score and each peer's own senescent / not call where the peer ships a decision
rule (DeepScence's ``binarize=True``; hUSI's ``SSE_hUSI`` split, re-implemented), which
``validation/senescence_benchmark.py`` reads. See ``validation/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib.metadata
import importlib.util
import io as _io
import json
import os
import platform
import random
import re
import sys
import time
import types
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.io
from scipy import sparse
from scipy.stats import rankdata

from _report import auroc, markdown_table

HERE = Path(__file__).resolve().parent
SEED = 0
DATASETS = ("marthandan2016", "chan2024")
PEERS = ("senmayo_ucell", "husi", "senepy", "deepscence")

#: Per data set, the SenePy signature used for the ``senepy`` column, chosen from the data's
#: species, tissue and cell type alone (before any AUROC was computed; see the README):
#: (species, sig_type, key, binarize).
#:
#: - chan2024 (mouse hepatocytes): the package's mouse *cell-type* signature
#:   ``('Liver', 'hepatocyte')``, which merges the two hepatocyte hubs, rather than one hub;
#:   ``binarize=True`` is the package default and what SenePy's own example on this data uses.
#: - marthandan2016 (human fibroblasts, 5 strains): the human cell-type signature
#:   ``('lung', 'fibroblast')``. Three of the five strains (MRC-5, IMR-90, WI-38) are lung
#:   fibroblasts, two (BJ, HFF) foreskin; the human hubs have lung, skin and heart fibroblasts.
#:   ``binarize=False``, because every gene is > 0 in every bulk sample (min 1.6), so the
#:   default binarisation makes all samples identical.
SENEPY_HUBS: dict[str, tuple[str, str, tuple[Any, ...], bool]] = {
    "chan2024": ("Mouse", "cell_type", ("Liver", "hepatocyte"), True),
    "marthandan2016": ("Human", "cell_type", ("lung", "fibroblast"), False),
}

#: Alternatives reported as a sensitivity check only (never used to choose the hub).
SENEPY_ALTERNATIVES: dict[str, list[tuple[str, str, tuple[Any, ...], bool]]] = {
    "chan2024": [
        ("Mouse", "hubs", ("Liver", "hepatocyte", 0), True),
        ("Mouse", "hubs", ("Liver", "hepatocyte", 1), True),
        ("Mouse", "cell_type", ("Liver", "hepatocyte"), False),
    ],
    "marthandan2016": [
        ("Human", "cell_type", ("skin", "fibroblast"), False),
        ("Human", "cell_type", ("heart", "fibroblast"), False),
        ("Human", "hubs", ("lung", "fibroblast", 0), False),
        ("Human", "hubs", ("lung", "fibroblast", 1), False),
    ],
}

#: DeepScence seeds of the sensitivity check (the first is the one :func:`peer_scores` uses).
DEEPSCENCE_SEEDS = (SEED, 1, 2, 3, 4)

#: Notes written while scoring: ``NOTES[dataset][peer]`` (hub, preprocessing, errors).
NOTES: dict[str, dict[str, str]] = {name: {} for name in DATASETS}
#: Wall time in seconds of each peer's scoring call(s): ``TIMES[dataset][peer]``.
TIMES: dict[str, dict[str, float]] = {name: {} for name in DATASETS}
#: Each peer's own senescent (True) / not call, where it ships a decision rule and
#: :func:`peer_scores` ran with ``decision_rules=True``: ``CALLS[dataset][peer]``.
CALLS: dict[str, dict[str, np.ndarray]] = {name: {} for name in DATASETS}

#: The decision rule each peer ships, as reported (``None``: the peer ships none).
DECISION_RULES: dict[str, str | None] = {
    "senmayo_ucell": None,
    "husi": (
        "SSE_hUSI (WJPina/HUSI sc/hUSI.R): the one threshold that splits the scores into two "
        "classes with the least within-class sum of squares; senescent = above it. "
        "Re-implemented here (exact; hUSI's min-max scaling does not move the split). hUSI's "
        "other rule, an mclust Gaussian mixture with a BIC-chosen number of classes, needs R "
        "and names no senescent class, so it is not run."
    ),
    "senepy": None,
    "deepscence": (
        "DeepScence(..., binarize=True): 50 permutations of the CoreScence genes, an elbow "
        "threshold and an AIC-chosen Gaussian mixture; senescent = obs['binary'] == 1. "
        "Training is unchanged, so obs['ds'] equals the binarize=False score."
    ),
}


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Data:
    """One data set in the forms the peers need.

    Attributes
    ----------
    human
        senox's reading: observations × human symbols, log-normalised ``X``.
    native
        Observations × the file's own gene symbols (mouse for chan2024), log-normalised
        (``log1p(counts / total × 1e4)`` for counts, ``log1p(value)`` for linear values).
    counts
        Observations × human symbols, (pseudo-)counts for DeepScence.
    """

    human: Any
    native: Any
    counts: Any


def _folder(dataset: str, shared: Path) -> Path:
    folders = {"marthandan2016": "marthandan2016", "chan2024": "chan2024_kras_ois"}
    if dataset not in folders:
        msg = f"unknown data set {dataset!r}; choose one of {', '.join(DATASETS)}"
        raise ValueError(msg)
    return shared / "data" / folders[dataset]


def labels(dataset: str, shared: Path) -> pd.Series:
    """True for senescent (marthandan2016) or KRAS-induced D12 (chan2024) observations.

    Parameters
    ----------
    dataset
        ``"marthandan2016"`` or ``"chan2024"``.
    shared
        The shared folder (holding ``data/``).

    Returns
    -------
    pandas.Series of bool, indexed by observation ID.
    """
    folder = _folder(dataset, shared)
    if dataset == "marthandan2016":
        samples = pd.read_csv(folder / "marthandan2016_samples.csv", index_col="sampleID")
        flag = samples["Condition"] == "Senescent"
    else:
        cells = pd.read_csv(folder / "cells.csv", index_col=0)
        flag = cells["condition"] == "D12"
    return flag.rename("senescent").astype(bool)


def _anndata(matrix: Any, obs_names: pd.Index, var_names: pd.Index) -> Any:
    import anndata as ad

    adata = ad.AnnData(X=matrix)
    adata.obs_names = obs_names.astype(str).rename(None)
    adata.var_names = var_names.astype(str).rename(None)
    return adata


def _log_normalise(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """``log1p(counts / total × 1e4)`` per row, sparse."""
    totals = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    scale = np.divide(1e4, totals, out=np.zeros_like(totals), where=totals > 0)
    out = sparse.csr_matrix(sparse.diags(scale) @ counts, dtype=np.float32)
    out.data = np.log1p(out.data)
    return out


def _load_chan(shared: Path) -> Data:
    from senox import io

    folder = _folder("chan2024", shared)
    human = io.read(folder / "counts.mtx.gz")
    with gzip.open(folder / "counts.mtx.gz") as handle:
        counts = sparse.csr_matrix(scipy.io.mmread(handle).T, dtype=np.float32)
    genes = pd.read_csv(folder / "genes.tsv.gz", header=None).iloc[:, 0]
    cells = pd.read_csv(folder / "cells.csv", index_col=0).index
    native = _anndata(_log_normalise(counts), pd.Index(cells), pd.Index(genes))
    native.var_names_make_unique()
    counted = _anndata(human.layers["counts"], human.obs_names, human.var_names)
    return Data(human=human, native=native, counts=counted)


def _load_marthandan(shared: Path) -> Data:
    from senox import io

    path = _folder("marthandan2016", shared) / "marthandan2016_expression.csv.gz"
    human = io.read(path)
    table = pd.read_csv(path, index_col=0).T  # samples × genes, linear CPM-like
    values = table.to_numpy(dtype=np.float64)
    native = _anndata(np.log1p(values).astype(np.float32), table.index, table.columns)
    pseudo = _anndata(np.rint(values).astype(np.float32), table.index, table.columns)
    return Data(human=human, native=native, counts=pseudo)


def load(dataset: str, shared: Path) -> Data:
    """Read one data set in every form the peers need (see :class:`Data`)."""
    _folder(dataset, shared)  # validates the name
    return _load_chan(shared) if dataset == "chan2024" else _load_marthandan(shared)


# --------------------------------------------------------------------------- helpers


def seed_everything(seed: int = SEED) -> None:
    """Seed Python's, numpy's and (if imported) torch's global generators."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002  # the peers draw from numpy's global generator
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def _quiet_peer_imports() -> None:
    """Headless plotting (DeepScence imports pyplot) and no pkg_resources deprecation noise."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    warnings.filterwarnings("ignore", message=".*pkg_resources.*")


@contextlib.contextmanager
def _captured() -> Iterator[_io.StringIO]:
    """Capture what a peer prints (SenePy and DeepScence are chatty)."""
    buffer = _io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        yield buffer


# --------------------------------------------------------------------------- peers


def score_senmayo_ucell(adata: Any, shared: Path) -> tuple[np.ndarray, str]:
    """UCell score (pyucell, defaults: max_rank 1500, missing genes imputed) of SenMayo.

    Parameters
    ----------
    adata
        Observations × human symbols, log-normalised.
    shared
        The shared folder (for ``data/genesets/senmayo.txt``).

    Returns
    -------
    The scores and a note.
    """
    import pyucell

    genes = (shared / "data" / "genesets" / "senmayo.txt").read_text().split()
    present = int(np.isin(genes, adata.var_names).sum())
    work = adata.copy()
    pyucell.compute_ucell_scores(work, signatures={"SenMayo": genes}, n_jobs=1)
    note = f"SenMayo {present}/{len(genes)} genes present; pyucell defaults (max_rank 1500, impute), n_jobs=1"
    return work.obs["SenMayo_UCell"].to_numpy(dtype=np.float64), note


def _row_ranks(matrix: np.ndarray) -> np.ndarray:
    """Average ranks along each row (ties share their mean rank)."""
    return np.asarray(rankdata(matrix, axis=1), dtype=np.float64)


def husi_sse_split(scores: np.ndarray) -> np.ndarray:
    """The ``SSE_hUSI`` rule: senescent where the score is above the best two-class split.

    ``SSE_hUSI`` (WJPina/HUSI ``sc/hUSI.R``) tries every observed score ``i`` as a threshold,
    puts ``scores <= i`` in the low class and the rest in the high class, and keeps the ``i``
    with the least total within-class sum of squares (an empty class counts 0). Computed here
    with cumulative sums over the sorted scores; exact ties in the sum of squares go to the
    threshold seen first, as in hUSI's loop. Non-finite scores are never called.

    Parameters
    ----------
    scores
        hUSI scores (a positive affine rescaling, such as hUSI's min-max, gives the same split).

    Returns
    -------
    numpy.ndarray of bool, True for the high (senescent) class.
    """
    s = np.asarray(scores, dtype=np.float64)
    finite = np.isfinite(s)
    values = np.sort(s[finite])
    if values.size == 0:
        return np.zeros(s.shape, dtype=bool)
    # the low class of threshold values[k] is values[: last index of that value + 1]
    ends = np.searchsorted(values, np.unique(values), side="right")
    csum, csq = np.cumsum(values), np.cumsum(values**2)
    total, total_sq, n = csum[-1], csq[-1], values.size
    low_n, low_sum, low_sq = ends, csum[ends - 1], csq[ends - 1]
    high_n, high_sum, high_sq = n - low_n, total - low_sum, total_sq - low_sq
    sse = low_sq - low_sum**2 / low_n
    with np.errstate(invalid="ignore", divide="ignore"):
        sse = sse + np.where(high_n > 0, high_sq - high_sum**2 / np.maximum(high_n, 1), 0.0)
    # hUSI loops over the scores in their given order and keeps the first strict minimum
    uniques = values[ends - 1]
    best = np.flatnonzero(sse <= sse.min() + 1e-12 * max(1.0, abs(float(sse.min()))))
    order = s[finite]
    first_seen = [int(np.flatnonzero(order == uniques[k])[0]) for k in best]
    threshold = uniques[best[int(np.argmin(first_seen))]]
    return finite & (np.nan_to_num(s, nan=-np.inf) > threshold)


def score_husi(adata: Any, shared: Path) -> tuple[np.ndarray, str]:
    """hUSI: Spearman correlation of each observation with the OCLR weights.

    The rule of hUSI's ``cal_hUSI`` (R and Python, WJPina/HUSI ``sc/``): over the genes shared
    by the data and the weights, ``cor(w, expression, method="spearman")`` per observation.
    hUSI then min-max scales the scores, which does not change their order, so it is left out.
    Re-implemented here, vectorised: the weights and each row are ranked (average ties) and
    the Pearson correlation of the ranks is taken for all rows at once. An observation with
    constant expression over the shared genes gets NaN.

    Parameters
    ----------
    adata
        Observations × human symbols, log-normalised (ranks within an observation do not
        depend on the normalisation).
    shared
        The shared folder (for ``data/genesets/husi_oclr_weights.tsv``).

    Returns
    -------
    The scores and a note.
    """
    table = pd.read_csv(shared / "data" / "genesets" / "husi_oclr_weights.tsv", sep="\t")
    weights = table.set_index("gene")["weight"]  # signed: "Negative" rows are < 0
    weights = weights[~weights.index.duplicated()]
    genes = weights.index.intersection(pd.Index(adata.var_names))
    columns = pd.Index(adata.var_names).get_indexer(genes)
    block = adata.X[:, columns]
    block = block.toarray() if sparse.issparse(block) else np.asarray(block)
    x = _row_ranks(block.astype(np.float64))
    w = rankdata(weights.loc[genes].to_numpy(dtype=np.float64))
    x -= x.mean(axis=1, keepdims=True)
    w -= w.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (x @ w) / (np.linalg.norm(x, axis=1) * np.linalg.norm(w))
    note = f"{len(genes)}/{len(weights)} weighted genes shared; Spearman rho (no min-max)"
    return rho, note


def _senepy_signature(species: str, sig_type: str, key: tuple[Any, ...]) -> list[tuple[str, float]]:
    _quiet_peer_imports()
    import senepy

    with _captured():
        hubs = senepy.load_hubs(species=species, sig_type=sig_type)
    return list(hubs.hubs[key])


def score_senepy(
    adata: Any, species: str, sig_type: str, key: tuple[Any, ...], *, binarize: bool
) -> tuple[np.ndarray, str]:
    """SenePy ``score_hub`` of one shipped signature, with SenePy's gene-name translator.

    Parameters
    ----------
    adata
        Observations × the data's own symbols (mouse symbols for mouse hubs), log-normalised.
    species, sig_type, key
        Which signature: ``senepy.load_hubs(species, sig_type).hubs[key]``.
    binarize
        Passed to ``score_hub``; the other arguments are its defaults.

    Returns
    -------
    The scores and a note (signature, gene overlap after translation).
    """
    _quiet_peer_imports()
    import senepy

    hub = _senepy_signature(species, sig_type, key)
    with _captured() as out:
        translator = senepy.translator(hub=hub, data=adata)
        seed_everything()  # score_hub draws control genes with np.random.shuffle
        scores = senepy.score_hub(adata, hub, binarize=binarize, translator=translator)
    overlap = re.findall(
        r"(\d+/\d+)\([\d.]+%\) genes present in data after translation", out.getvalue()
    )
    note = (
        f"{species} {sig_type} {key}, {len(hub)} genes, "
        f"{overlap[-1] if overlap else '?'} present after translator; binarize={binarize}"
    )
    return np.asarray(scores, dtype=np.float64), note


def _stub_dca() -> bool:
    """Let ``DeepScence.api`` import without DCA; True when the stub is in use.

    ``DeepScence.api`` imports ``dca.api.dca`` at module level but calls it only when
    ``denoise=True``. DCA needs TensorFlow 1 / Keras 2 and cannot be installed here, so a stub
    that raises if called is registered instead; ``denoise=False`` never calls it.
    """
    if getattr(sys.modules.get("dca"), "SENOX_STUB", False):
        return True
    if importlib.util.find_spec("dca") is not None:  # the real one, if someone installed it
        return False

    def _no_dca(*_args: object, **_kwargs: object) -> None:
        msg = "DCA is not installed; run DeepScence with denoise=False"
        raise RuntimeError(msg)

    package, api = types.ModuleType("dca"), types.ModuleType("dca.api")
    api.dca = _no_dca  # type: ignore[attr-defined]
    package.api = api  # type: ignore[attr-defined]
    package.SENOX_STUB = True  # type: ignore[attr-defined]
    sys.modules.update({"dca": package, "dca.api": api})
    return True


def _deepscence(counts: Any, seed: int, *, binarize: bool) -> tuple[Any, str]:
    """Run DeepScence; its result AnnData and a note."""
    _quiet_peer_imports()
    stubbed = _stub_dca()
    import torch
    from DeepScence.api import DeepScence
    from DeepScence.io import get_geneset

    core = get_geneset(5)["gene_symbol"]
    present = int(np.isin(core, counts.var_names).sum())
    seed_everything(seed)
    torch.manual_seed(seed)
    with _captured():
        result = DeepScence(counts.copy(), denoise=False, random_state=seed, binarize=binarize)
    log = result.uns["log"]
    note = (
        f"denoise=False{' (dca stubbed)' if stubbed else ''}; {present}/{len(core)} CoreScence genes present; "
        f"node {log['node']}, reversed={log['reverse']}"
    )
    return result, note


def score_deepscence(counts: Any, seed: int = SEED) -> tuple[np.ndarray, str]:
    """DeepScence score ``obs['ds']`` (defaults, ``denoise=False``, ``random_state=seed``).

    Parameters
    ----------
    counts
        Observations × human symbols, raw counts (or rounded pseudo-counts).
    seed
        DeepScence's ``random_state`` (it seeds Python, numpy and torch with it).

    Returns
    -------
    The scores and a note (genes used, chosen node).
    """
    result, note = _deepscence(counts, seed, binarize=False)
    return result.obs["ds"].to_numpy(dtype=np.float64), note


def score_deepscence_binarized(counts: Any, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, str]:
    """DeepScence's score and its own senescent call (``binarize=True``).

    ``binarize=True`` runs after training (50 permutations, then a threshold), so the score is
    the one :func:`score_deepscence` returns.

    Returns
    -------
    The scores, the calls (``obs['binary'] == 1``) and a note.
    """
    result, note = _deepscence(counts, seed, binarize=True)
    calls = result.obs["binary"].to_numpy() == 1
    return result.obs["ds"].to_numpy(dtype=np.float64), calls, note + "; binarize=True"


# --------------------------------------------------------------------------- driver


def import_peers() -> dict[str, str]:
    """Import every peer once, so that the timings exclude imports.

    Returns
    -------
    ``{peer: "FAILED: ..."}`` for each peer whose import fails (empty when all import).
    """
    _quiet_peer_imports()
    _stub_dca()
    modules = {"senmayo_ucell": "pyucell", "senepy": "senepy", "deepscence": "DeepScence.api"}
    failed = {}
    for peer, module in modules.items():
        try:
            with _captured():
                importlib.import_module(module)
        except Exception as exc:  # reported, and the peer's own call fails again
            failed[f"{peer} import"] = f"FAILED: {type(exc).__name__}: {exc}"
    return failed


def _peer_calls(
    dataset: str, data: Data, shared: Path, *, decision_rules: bool = False
) -> dict[str, Callable[[], tuple[np.ndarray, str]]]:
    species, sig_type, key, binarize = SENEPY_HUBS[dataset]

    def deepscence() -> tuple[np.ndarray, str]:
        if not decision_rules:
            return score_deepscence(data.counts)
        scores, calls, note = score_deepscence_binarized(data.counts)
        CALLS[dataset]["deepscence"] = calls
        return scores, note

    def husi() -> tuple[np.ndarray, str]:
        scores, note = score_husi(data.human, shared)
        if decision_rules:
            CALLS[dataset]["husi"] = husi_sse_split(scores)
        return scores, note

    return {
        "senmayo_ucell": lambda: score_senmayo_ucell(data.human, shared),
        "husi": husi,
        "senepy": lambda: score_senepy(data.native, species, sig_type, key, binarize=binarize),
        "deepscence": deepscence,
    }


def _preprocessing_note(dataset: str) -> str:
    if dataset == "chan2024":
        return (
            "senmayo_ucell/husi: senox.io.read (mouse→human orthologs, log1p(count/total×1e4)); "
            "senepy: original mouse symbols, same log-normalisation; deepscence: senox's merged raw counts (human symbols)"
        )
    return (
        "senmayo_ucell/husi: senox.io.read (log1p of the linear CPM-like values); senepy: file symbols, log1p; "
        "deepscence: CPM-like values rounded to integer pseudo-counts (np.rint), file symbols"
    )


def peer_scores(dataset: str, shared: Path, *, decision_rules: bool = False) -> pd.DataFrame:
    """Every peer's senescence score for one data set.

    A peer that fails is left out of the frame; its error is recorded in
    ``NOTES[dataset][peer]``. Wall times go to ``TIMES[dataset][peer]``.

    Parameters
    ----------
    dataset
        ``"marthandan2016"`` or ``"chan2024"``.
    shared
        The shared folder (holding ``data/``).
    decision_rules
        Also apply the peers' own decision rules (:data:`DECISION_RULES`) and store the calls
        in ``CALLS[dataset]``. DeepScence's timing then includes its binarisation.

    Returns
    -------
    pandas.DataFrame indexed by observation ID, one column per peer that ran
    (``senmayo_ucell``, ``husi``, ``senepy``, ``deepscence``), higher = more senescent.
    """
    data = load(dataset, shared)
    NOTES[dataset]["preprocessing"] = _preprocessing_note(dataset)
    NOTES[dataset].update(import_peers())
    columns: dict[str, np.ndarray] = {}
    for peer, call in _peer_calls(dataset, data, shared, decision_rules=decision_rules).items():
        seed_everything()
        start = time.perf_counter()
        try:
            scores, note = call()
        except Exception as exc:  # a peer's failure is a result to report
            NOTES[dataset][peer] = (
                f"FAILED: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            )
            continue
        finally:
            TIMES[dataset][peer] = time.perf_counter() - start
        columns[peer] = scores
        NOTES[dataset][peer] = note
    return pd.DataFrame(columns, index=pd.Index(data.human.obs_names, name="observation"))


def sensitivity(dataset: str, shared: Path) -> pd.DataFrame:
    """AUROC of other reasonable settings of the two peers that have choices (a check only).

    SenePy: the signatures in :data:`SENEPY_ALTERNATIVES`. DeepScence: ``random_state`` 1–4
    (its score depends on the training run). Neither was used to choose the settings of
    :func:`peer_scores`, whose values are listed first for comparison.

    Returns
    -------
    pandas.DataFrame with columns ``peer``, ``setting``, ``auroc``.
    """
    data = load(dataset, shared)
    truth = labels(dataset, shared)
    rows = []
    for species, sig_type, key, binarize in [SENEPY_HUBS[dataset], *SENEPY_ALTERNATIVES[dataset]]:
        scores, _ = score_senepy(data.native, species, sig_type, key, binarize=binarize)
        setting = f"{species} {sig_type} {key}, binarize={binarize}"
        rows.append(
            ("senepy", setting, auroc(pd.Series(scores, index=data.native.obs_names), truth))
        )
    for seed in DEEPSCENCE_SEEDS:
        scores, _ = score_deepscence(data.counts, seed=seed)
        rows.append(
            (
                "deepscence",
                f"random_state={seed}",
                auroc(pd.Series(scores, index=data.counts.obs_names), truth),
            )
        )
    return pd.DataFrame(rows, columns=["peer", "setting", "auroc"])


def husi_unseen(shared: Path) -> pd.Index:
    """Marthandan runs absent from hUSI's sample metadata (the others may be in its training).

    ``marthandan2016_samples_annotated_with_hUSI_meta.csv`` joins hUSI's metadata to the runs;
    27 of 39 match (hUSI's training table, WJPina/HUSI ``Data/trainSet_meta843.csv``, holds
    GSE63577, e.g. the BJ runs). The 12 unmatched runs (PD26/42/52 vs PD64) are a held-out set.
    """
    path = _folder("marthandan2016", shared) / "marthandan2016_samples_annotated_with_hUSI_meta.csv"
    table = pd.read_csv(path, index_col="sampleID")
    unseen: pd.Index = pd.Index(table.index[table["hUSI_GSM"].isna()])
    return unseen


def unseen_check(scores: pd.DataFrame, shared: Path) -> pd.DataFrame:
    """AUROC of every peer on the Marthandan runs hUSI cannot have trained on.

    Returns
    -------
    pandas.DataFrame with columns ``peer``, ``setting``, ``auroc``.
    """
    runs = husi_unseen(shared).intersection(scores.index)
    truth = labels("marthandan2016", shared).reindex(runs)
    setting = f"{len(runs)} runs absent from hUSI's metadata ({int(truth.sum())} sen vs {int((~truth).sum())} prolif)"
    rows = [(peer, setting, auroc(scores.loc[runs, peer], truth)) for peer in scores.columns]
    return pd.DataFrame(rows, columns=["peer", "setting", "auroc"])


# --------------------------------------------------------------------------- report


def _cell(value: float, fmt: str) -> str:
    return "—" if not np.isfinite(value) else format(value, fmt)


def report(aurocs: dict[str, dict[str, float]], checks: dict[str, pd.DataFrame]) -> str:
    """The Markdown report: AUROC and wall time per peer and data set, notes, sensitivity."""
    header = ["peer", *(f"{d} AUROC" for d in DATASETS), *(f"{d} s" for d in DATASETS)]
    rows = [
        [peer]
        + [_cell(aurocs[d].get(peer, float("nan")), ".3f") for d in DATASETS]
        + [_cell(TIMES[d].get(peer, float("nan")), ".1f") for d in DATASETS]
        for peer in PEERS
    ]
    parts = [
        "# Peer senescence scores: AUROC (senescent / KRAS-induced vs control)",
        "",
        "Written by `validation/peer_scores.py` (run with `.venv-peers/bin/python`). "
        "AUROC: Mann–Whitney, ties count 1/2. s: wall seconds of the scoring call(s), data loading excluded. "
        "— : the peer did not run (see notes).",
        "",
        markdown_table(header, rows),
        "",
        "## Notes",
        "",
    ]
    for dataset in DATASETS:
        parts += [f"- **{dataset}**"] + [
            f"  - {key}: {text}" for key, text in NOTES[dataset].items()
        ]
    if checks:
        parts += [
            "",
            "## Sensitivity (reported only; the table above uses the first row of each peer)",
            "",
        ]
        frame = pd.concat(checks, names=["data set"]).reset_index(level=0)
        rows = [
            [str(name), str(peer), str(setting), _cell(float(value), ".3f")]
            for name, peer, setting, value in frame.itertuples(index=False)
        ]
        parts += [markdown_table(["data set", "peer", "setting", "AUROC"], rows)]
    return "\n".join(parts)


def _versions() -> dict[str, str]:
    """Python and the peers' package versions (``"missing"`` where not installed)."""
    versions = {"python": platform.python_version()}
    for package in ("pyucell", "senepy", "DeepScence", "torch", "scanpy", "anndata", "numpy"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "missing"
    return versions


def _listed(values: np.ndarray) -> list[float | None]:
    """Floats for JSON, with None for NaN."""
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=np.float64)]


def write_json(
    path: Path, frames: dict[str, pd.DataFrame], aurocs: dict[str, dict[str, float]]
) -> None:
    """Every observation's peer scores and calls, with notes, timings and versions, as JSON.

    Layout: ``{"versions": {...}, "decision_rules": {peer: text or null}, "datasets":
    {dataset: {"observations": [...], "scores": {peer: [...]}, "calls": {peer: [0/1, ...]},
    "auroc": {peer: x}, "seconds": {peer: s}, "notes": {key: text}}}}``; NaN scores are null.
    """
    datasets = {}
    for dataset, frame in frames.items():
        datasets[dataset] = {
            "observations": [str(o) for o in frame.index],
            "scores": {peer: _listed(frame[peer].to_numpy()) for peer in frame.columns},
            "calls": {peer: [int(v) for v in c] for peer, c in CALLS[dataset].items()},
            "auroc": aurocs[dataset],
            "seconds": TIMES[dataset],
            "notes": NOTES[dataset],
        }
    payload = {
        "written_by": "validation/peer_scores.py",
        "seed": SEED,
        "versions": _versions(),
        "decision_rules": DECISION_RULES,
        "datasets": datasets,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    """Score every data set with every peer, print the report and write it."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=HERE.parents[1] / "shared")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "peers.md")
    parser.add_argument(
        "--no-sensitivity", action="store_true", help="skip the SenePy/DeepScence checks"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="also write every observation's score and the peers' own calls to this JSON file",
    )
    args = parser.parse_args()
    seed_everything()
    aurocs: dict[str, dict[str, float]] = {}
    checks: dict[str, pd.DataFrame] = {}
    frames: dict[str, pd.DataFrame] = {}
    for dataset in DATASETS:
        scores = peer_scores(dataset, args.shared, decision_rules=args.json is not None)
        frames[dataset] = scores
        truth = labels(dataset, args.shared)
        aurocs[dataset] = {peer: auroc(scores[peer], truth) for peer in scores.columns}
        if not args.no_sensitivity:
            frames = [sensitivity(dataset, args.shared)]
            if dataset == "marthandan2016":
                frames.append(unseen_check(scores, args.shared))
            checks[dataset] = pd.concat(frames, ignore_index=True)
    text = report(aurocs, checks)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    if args.json is not None:
        write_json(args.json, frames, aurocs)
    print(text)


if __name__ == "__main__":
    main()
