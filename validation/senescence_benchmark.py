"""Senescence detection, side by side: senox and the peer tools on the two real data sets.

One script, one table (``results/senescence_benchmark.md`` and ``.json``), rerun end to end and
offline:

1. **AUROC of senescent vs not**, per data set, for senox and for each peer (SenMayo-UCell,
   hUSI, SenePy, DeepScence), each with a seeded stratified bootstrap 95 % interval, and a
   paired comparison (DeLong's test and a paired bootstrap) of senox against the best peer.
2. **Do senox's ``senescent_*`` calls fire on merely arrested cells?** State calls on the
   Chan 2024 controls (adult mouse hepatocytes, mostly quiescent in vivo) and on the
   Marthandan samples, next to the peers' own decision rules where they ship one, and the
   false-positive rate of every score at the same sensitivity on the senescent class.
3. **Two senox variants fixed before looking** (see :data:`SENOX_ROWS`), reported on both data
   sets and never promoted to the headline, plus computed diagnostics of the Chan data.
4. **Depth-matched AUROC (secondary)**: the same AUROC restricted to (senescent, not) pairs of
   equal depth, i.e. in the same quantile bin of detected genes (:data:`DEPTH_BINS` bins, 5 and
   20 as sensitivity), with the same paired bootstrap. It does not replace item 1; it tells
   whether a gap survives once observations of equal depth are compared.

The senox headline score, decided before any AUROC in this script was computed, is the
``senescence`` program scored by the ``rank`` method: the program senox ships for "is this
senescent", with senox's default method (``senox score`` and ``call_states`` both default to it).

The peers need their own environment (``.venv-peers``, see ``validation/README.md``). This
script runs in ``.venv`` and calls ``.venv-peers/bin/python validation/peer_scores.py --json``
as a subprocess; it caches the peers' per-observation scores in
``results/senescence_benchmark_peers.json`` and reads that cache, saying so in the output, when
``.venv-peers`` is missing. Usage::

    .venv/bin/python validation/senescence_benchmark.py [--shared ../shared] [--peers-json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import spearmanr

from _report import (
    auroc,
    bootstrap_aurocs,
    bootstrap_depth_matched_aurocs,
    delong,
    depth_matched_auroc,
    fpr_at_sensitivity,
    markdown_table,
    matched_pairs,
    percentile_interval,
    quantile_strata,
    stratified_resamples,
)
from _toy import SEEDS as TOY_SEEDS
from _toy import toy_check
from senox import __version__, io
from senox.programs import Program, catalogue
from senox.score import score_programs
from senox.states import STATE_NAMES, call_states

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
PEER_CACHE = HERE / "results" / "senescence_benchmark_peers.json"
SEED = 0
N_BOOT = 2000
PEERS = ("senmayo_ucell", "husi", "senepy", "deepscence")
SENESCENT_STATES = ("senescent_inflammatory", "senescent_p53")

#: The senox rows, fixed before any AUROC of this script was computed. The headline is the
#: first; the variants are at most two, chosen on a priori grounds (README), never on Chan.
HEADLINE = "senox_senescence_rank"
SENOX_ROWS: dict[str, str] = {
    HEADLINE: "**headline**: `senescence` program, rank method (senox's default)",
    "senox_senescence_mean": "`senescence` program, mean method (as in `scores.md`; not a new variant)",
    "senox_senescence_up_rank": (
        "variant 1: `senescence_up` (the program without its down genes LMNB1/MKI67, "
        "the `sen` axis of `senox.states`), rank"
    ),
    "senox_senescence_rank_depth": (
        "variant 2: headline score minus its linear fit on log(detected genes), fitted on "
        "all observations without labels"
    ),
}
#: Probability that a normal observation clears the 1.5 SD bar, and the rate the toy check
#: flags (sampling allowance, as in the tests).
TOY_TAIL_NORMAL = 0.0668
TOY_TAIL = 0.10
#: Not a senescence score: how far depth alone separates the classes (an artefact baseline).
DEPTH_ROW = "detected_genes"
DEPTH_LABEL = "reference only: number of detected genes (not a senescence score)"
#: Depth-matched AUROC (secondary analysis, section 5), fixed before any of it was computed:
#: strata are quantile bins of the detected genes over all observations of a data set; only
#: (senescent, not) pairs within a stratum count. 5 and 20 bins are the sensitivity check.
DEPTH_BINS = 10
DEPTH_BINS_SENSITIVITY = (5, 20)
#: Short names of the peers' own decision rules (full text: ``decision_rules`` of the peer JSON).
RULE_NAMES = {
    "husi": "`SSE_hUSI` two-class split (hUSI's script, re-implemented)",
    "deepscence": "`DeepScence(..., binarize=True)` → `obs['binary']`",
}
#: Cycle genes whose detection is shown next to senox's `proliferating` calls.
CYCLE_MARKERS = ("MKI67", "TOP2A")
PEER_LABELS = {
    "senmayo_ucell": "SenMayo UCell score (pyucell)",
    "husi": "hUSI (Spearman with OCLR weights; re-implemented)",
    "senepy": "SenePy `score_hub`, tissue/cell-type signature",
    "deepscence": "DeepScence `ds` (denoise=False, seed 0)",
}

CANNOT_SHOW = """\
The two data sets in `../shared/data` (checked against their READMEs: Marthandan is
"replicative senescence only; no inducer diversity, no cancer cells"; Chan is "oncogene (KRAS)
induction in vivo, not chemotherapy; mouse"; `../shared/data/genesets` holds gene lists only and
`../shared/models` mechanistic models, no expression data) cannot show:

- **quiescent vs senescent cells of the same kind**: there is no serum-starved, contact-inhibited
  or otherwise reversibly arrested sample paired with senescent cells of the same strain or
  tissue. Marthandan has cycling and senescent fibroblasts only; in Chan the controls are
  quiescent in vivo, but they are not the same cells arrested in culture, and nothing labels
  them quiescent rather than merely "control";
- **therapy-induced senescence** (doxorubicin, CDK4/6 inhibitors, irradiation) and senescence
  in cancer cells: none is in `../shared`, so the split into `senescent_inflammatory` and
  `senescent_p53` is not validated on real data here;
- **escape from senescence**: no sample is labelled as such.

So the check below bounds how often senox calls *controls* senescent (in vivo hepatocytes,
largely G0) and whether cycling fibroblasts are ever called senescent; it does not measure the
quiescent-vs-senescent distinction directly. Section (c) tests it on planted toy data with
known ground truth.
"""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class DataSet:
    """One labelled data set.

    Attributes
    ----------
    name, title
        Key and human-readable title.
    adata
        ``senox.io.read`` output (human symbols, log-normalised ``X``).
    senescent
        True for the senescent class, indexed by observation.
    reference
        ``COLUMN=VALUE`` of the untreated/control group, for ``call_states(reference=...)``.
    positive, negative
        Names of the two classes in the output.
    groups
        Sample of origin (Chan: the mouse), or None.
    """

    name: str
    title: str
    adata: Any
    senescent: pd.Series
    reference: str
    positive: str
    negative: str
    groups: pd.Series | None


def load_marthandan(shared: Path) -> DataSet:
    """Marthandan 2016: 18 replicatively senescent vs 21 proliferating fibroblast samples."""
    folder = shared / "data" / "marthandan2016"
    adata = io.read(folder / "marthandan2016_expression.csv.gz")
    samples = pd.read_csv(folder / "marthandan2016_samples.csv", index_col="sampleID")
    adata.obs["Condition"] = samples.loc[adata.obs_names, "Condition"].astype(str).to_numpy()
    senescent = (adata.obs["Condition"] == "Senescent").rename("senescent")
    return DataSet(
        "marthandan2016",
        "Marthandan 2016 (bulk fibroblasts)",
        adata,
        senescent,
        "Condition=Proliferative",
        "senescent",
        "proliferating",
        None,
    )


def load_chan(shared: Path) -> DataSet:
    """Chan 2024: 332 KRAS-induced (D12) vs 168 control (mV) mouse hepatocytes."""
    adata = io.read(shared / "data" / "chan2024_kras_ois" / "counts.mtx.gz")
    senescent = (adata.obs["condition"].astype(str) == "D12").rename("senescent")
    return DataSet(
        "chan2024",
        "Chan 2024 (single-cell hepatocytes)",
        adata,
        senescent,
        "condition=mV",
        "KRAS D12",
        "control mV",
        adata.obs["Sample"].astype(str),
    )


LOADERS: dict[str, Callable[[Path], DataSet]] = {
    "marthandan2016": load_marthandan,
    "chan2024": load_chan,
}


# --------------------------------------------------------------------------- senox


def detected_genes(adata: Any) -> pd.Series:
    """Number of genes with a non-zero value per observation (senox's gene space)."""
    x = adata.X
    counts = np.asarray((x > 0).sum(axis=1)).ravel() if sparse.issparse(x) else (x > 0).sum(1)
    return pd.Series(np.asarray(counts, dtype=np.float64), index=adata.obs_names)


def residualise(score: pd.Series, covariate: pd.Series) -> pd.Series:
    """``score`` minus its least-squares line on ``log(covariate)`` (no labels used).

    Where the covariate does not vary (bulk data with every gene detected) the correction is the
    mean alone and leaves the order unchanged.
    """
    y = score.to_numpy(dtype=np.float64)
    x = np.log(covariate.reindex(score.index).to_numpy(dtype=np.float64))
    if np.ptp(x) == 0:
        return score - score.mean()
    design = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return pd.Series(y - design @ coef, index=score.index)


def senox_scores(ds: DataSet) -> pd.DataFrame:
    """The senox rows of :data:`SENOX_ROWS` and the detected-gene reference, per observation."""
    senescence = catalogue()["senescence"]
    programs = {
        "senescence": senescence,
        "senescence_up": Program("senescence_up", senescence.up),
    }
    adata = ds.adata.copy()
    out = {}
    for method in ("rank", "mean"):
        score_programs(adata, programs, method=method, key_added=f"bench_{method}")  # type: ignore[arg-type]
        out[method] = adata.obsm[f"bench_{method}_scores"]
    depth = detected_genes(ds.adata)
    headline = out["rank"]["senescence"]
    return pd.DataFrame(
        {
            HEADLINE: headline,
            "senox_senescence_mean": out["mean"]["senescence"],
            "senox_senescence_up_rank": out["rank"]["senescence_up"],
            "senox_senescence_rank_depth": residualise(headline, depth),
            DEPTH_ROW: depth,
        },
        index=ds.adata.obs_names,
    )


def senox_states(ds: DataSet, reference: str | None) -> pd.Series:
    """``call_states`` on a copy of the data set: the state of every observation."""
    called = call_states(ds.adata, reference=reference, copy=True)
    assert called is not None
    return called.obs["senox_state"].astype(str)


# --------------------------------------------------------------------------- peers


def _load_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def peer_results(shared: Path, peers_json: Path | None) -> tuple[dict[str, Any], str]:
    """The peers' per-observation scores and calls, and a sentence on where they came from.

    Order: ``peers_json`` if given; else run ``peer_scores.py --json`` in ``.venv-peers`` (and
    refresh the cache); else the cache, said so; else stop with an explanation.
    """
    if peers_json is not None:
        return _load_json(peers_json), f"read from `{peers_json}` (`--peers-json`), not rerun"
    if PEER_PYTHON.exists():
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "peers.json"
            command = [
                str(PEER_PYTHON),
                str(HERE / "peer_scores.py"),
                "--shared",
                str(shared),
                "--no-sensitivity",
                "--out",
                str(Path(tmp) / "peers.md"),
                "--json",
                str(target),
            ]
            start = time.perf_counter()
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                msg = f"peer_scores.py failed ({done.returncode}):\n{done.stderr[-3000:]}"
                raise SystemExit(msg)
            data = _load_json(target)
        PEER_CACHE.parent.mkdir(parents=True, exist_ok=True)
        PEER_CACHE.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        return data, (
            f"run now: `.venv-peers/bin/python validation/peer_scores.py --no-sensitivity --json` "
            f"({seconds:.0f} s); cached in `{PEER_CACHE.relative_to(ROOT)}`"
        )
    if PEER_CACHE.exists():
        return _load_json(PEER_CACHE), (
            f"**`.venv-peers` not found: the peers were NOT rerun**; their scores were read from "
            f"the cache `{PEER_CACHE.relative_to(ROOT)}` written by an earlier run"
        )
    msg = (
        f"no peer environment ({PEER_PYTHON}) and no cache ({PEER_CACHE}); "
        "build .venv-peers as validation/README.md says, or pass --peers-json"
    )
    raise SystemExit(msg)


def peer_frame(peers: dict[str, Any], dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The peers' scores and their own calls (columns: peers), indexed by observation."""
    block = peers["datasets"][dataset]
    index = pd.Index(block["observations"])
    scores = pd.DataFrame(
        {p: np.array([np.nan if v is None else v for v in s]) for p, s in block["scores"].items()},
        index=index,
    )
    calls = pd.DataFrame(
        {p: np.asarray(c, dtype=bool) for p, c in block["calls"].items()}, index=index
    )
    return scores, calls


# --------------------------------------------------------------------------- statistics


def auroc_table(
    scores: pd.DataFrame, senescent: pd.Series, n_boot: int, seed: int
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """AUROC and stratified bootstrap 95 % interval of every column; the replicates too.

    Every column is resampled with the same indices, so replicates are paired across methods.
    """
    y = senescent.reindex(scores.index).to_numpy(dtype=bool)
    resamples = stratified_resamples(y, n_boot, seed)
    rows, replicates = [], {}
    for column in scores.columns:
        values = scores[column].to_numpy(dtype=np.float64)
        boot = bootstrap_aurocs(values, y, resamples)
        low, high = percentile_interval(boot)
        replicates[column] = boot
        rows.append({"method": column, "auroc": auroc(values, y), "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows).set_index("method"), replicates


def compare(
    scores: pd.DataFrame,
    senescent: pd.Series,
    replicates: dict[str, np.ndarray],
    method: str,
    best: str,
) -> dict[str, float | str]:
    """``method`` against ``best``: DeLong's test and the paired bootstrap of the difference."""
    y = senescent.reindex(scores.index).to_numpy(dtype=bool)
    test = delong(scores[method].to_numpy(), scores[best].to_numpy(), y)
    diff = replicates[method] - replicates[best]
    low, high = percentile_interval(diff)
    p_boot = min(1.0, 2 * min(float((diff <= 0).mean()), float((diff >= 0).mean())))
    if low > 0:
        verdict = "above the best peer (95 % CI of the difference > 0)"
    elif high < 0:
        verdict = "below the best peer (95 % CI of the difference < 0)"
    else:
        side = "above" if test["difference"] >= 0 else "below"
        verdict = f"not resolved: point estimate {side}, 95 % CI of the difference includes 0"
    return {
        "method": method,
        "best_peer": best,
        "difference": test["difference"],
        "ci_low": low,
        "ci_high": high,
        "p_bootstrap": p_boot,
        "delong_z": test["z"],
        "delong_p": test["p"],
        "verdict": verdict,
    }


def per_group_pairs(scores: pd.DataFrame, ds: DataSet) -> pd.DataFrame:
    """AUROC for every (senescent sample, control sample) pair: Chan's labels are per mouse."""
    if ds.groups is None:
        return pd.DataFrame()
    groups = ds.groups.reindex(scores.index)
    y = ds.senescent.reindex(scores.index)
    positives = sorted(groups[y].unique())
    negatives = sorted(groups[~y].unique())
    table = {}
    for pos in positives:
        for neg in negatives:
            keep = groups.isin([pos, neg]).to_numpy()
            label = f"{pos} ({int((groups == pos).sum())}) vs {neg} ({int((groups == neg).sum())})"
            table[label] = {
                c: auroc(scores.loc[keep, c].to_numpy(), y[keep].to_numpy()) for c in scores.columns
            }
    return pd.DataFrame(table)


def _paired_difference(
    table: dict[str, dict[str, float]], replicates: dict[str, np.ndarray], method: str, peer: str
) -> dict[str, float | str]:
    """``method`` minus ``peer`` by depth-matched AUROC, with its paired-bootstrap 95 % CI."""
    diff = replicates[method] - replicates[peer]
    low, high = percentile_interval(diff)
    p_boot = min(1.0, 2 * min(float((diff <= 0).mean()), float((diff >= 0).mean())))
    point = table[method]["auroc"] - table[peer]["auroc"]
    if low > 0:
        verdict = "above the peer (95 % CI of the difference > 0)"
    elif high < 0:
        verdict = "below the peer (95 % CI of the difference < 0)"
    else:
        side = "above" if point >= 0 else "below"
        verdict = f"not resolved: point estimate {side}, 95 % CI of the difference includes 0"
    return {"method": method, "peer": peer, "difference": point, "ci_low": low,
            "ci_high": high, "p_bootstrap": p_boot, "verdict": verdict}  # fmt: skip


def depth_matched(
    scores: pd.DataFrame, senescent: pd.Series, n_boot: int, seed: int, n_bins: int, best: str
) -> dict[str, Any]:
    """Depth-matched AUROC of every column, within quantile bins of :data:`DEPTH_ROW`.

    The strata are ``quantile_strata(detected genes, n_bins)`` over all observations, fixed for
    the bootstrap; the resamples are those of :func:`auroc_table` (same ``n_boot`` and ``seed``),
    so the replicates are paired across methods and with section 1. ``best`` is the best peer
    of section 1; the senox rows are compared with the best peer *by depth-matched AUROC*, and
    the headline also with ``best`` where that differs.
    """
    y = senescent.reindex(scores.index).to_numpy(dtype=bool)
    depth = scores[DEPTH_ROW].to_numpy(dtype=np.float64)
    strata = quantile_strata(depth, n_bins)
    resamples = stratified_resamples(y, n_boot, seed)
    table: dict[str, dict[str, float]] = {}
    replicates: dict[str, np.ndarray] = {}
    for column in scores.columns:
        values = scores[column].to_numpy(dtype=np.float64)
        boot = bootstrap_depth_matched_aurocs(values, y, strata, resamples)
        low, high = percentile_interval(boot)
        replicates[column] = boot
        table[column] = {"auroc": depth_matched_auroc(values, y, strata), "ci_low": low,
                         "ci_high": high}  # fmt: skip
    peers_run = [p for p in PEERS if p in scores.columns]
    best_matched = max(peers_run, key=lambda p: table[p]["auroc"])
    comparisons = [_paired_difference(table, replicates, m, best_matched) for m in SENOX_ROWS]
    if best != best_matched:
        comparisons.append(_paired_difference(table, replicates, HEADLINE, best))
    bins = []
    for stratum in range(int(strata.max()) + 1):
        inside = strata == stratum
        n_pos, n_neg = int(y[inside].sum()), int((~y[inside]).sum())
        bins.append({"detected_min": float(depth[inside].min()),
                     "detected_max": float(depth[inside].max()), "n_positive": n_pos,
                     "n_negative": n_neg, "pairs": n_pos * n_neg})  # fmt: skip
    return {
        "n_bins": n_bins,
        "n_strata": len(bins),
        "pairs_used": matched_pairs(y, strata),
        "pairs_all": int(y.sum()) * int((~y).sum()),
        "positives_used": int(sum(b["n_positive"] for b in bins if b["pairs"])),
        "negatives_used": int(sum(b["n_negative"] for b in bins if b["pairs"])),
        "bootstrap_nan": int(sum(np.isnan(r).sum() for r in replicates.values())),
        "strata": bins,
        "auroc": table,
        "best_peer": best_matched,
        "comparisons": comparisons,
    }


# --------------------------------------------------------------------------- arrested check


def state_counts(states: pd.Series, senescent: pd.Series) -> pd.DataFrame:
    """Observations per class (rows) and state (columns, all of ``STATE_NAMES``)."""
    classes = senescent.reindex(states.index).map({True: "senescent", False: "control"})
    return (
        pd.crosstab(classes, states)
        .reindex(index=["control", "senescent"], columns=list(STATE_NAMES), fill_value=0)
        .fillna(0)
        .astype(int)
    )


def arrested_check(
    ds: DataSet, scores: pd.DataFrame, calls: pd.DataFrame, states: dict[str, pd.Series]
) -> dict[str, Any]:
    """Calls on the control class, and false-positive rates at matched sensitivity."""
    y = ds.senescent.reindex(scores.index).to_numpy(dtype=bool)
    result: dict[str, Any] = {"states": {}, "rules": {}, "matched": {}}
    targets: dict[str, float] = {}
    for mode, called in states.items():
        counts = state_counts(called, ds.senescent)
        fired = called.reindex(scores.index).isin(SENESCENT_STATES).to_numpy()
        sensitivity, fpr = float(fired[y].mean()), float(fired[~y].mean())
        arrested = int(counts.loc["control"].drop(["proliferating", "escape_like"]).sum())
        fired_controls = int(counts.loc["control", list(SENESCENT_STATES)].sum())
        result["states"][mode] = {
            "counts": counts.to_dict(orient="index"),
            "sensitivity": sensitivity,
            "false_positive_rate": fpr,
            "controls_arrested": arrested,
            "controls_arrested_called_senescent": fired_controls,
        }
        result["rules"][f"senox states ({mode})"] = {"sensitivity": sensitivity, "fpr": fpr}
        targets[f"senox call sensitivity, {mode}"] = sensitivity
    for peer in PEERS:
        if peer in calls.columns:
            c = calls[peer].reindex(scores.index).to_numpy(dtype=bool)
            result["rules"][peer] = {"sensitivity": float(c[y].mean()), "fpr": float(c[~y].mean())}
        else:
            result["rules"][peer] = None
    targets["fixed sensitivity 0.5"] = 0.5
    result["cycle_markers"] = cycle_marker_detection(ds)
    for name, target in targets.items():
        row = {}
        for column in scores.columns:
            if column == DEPTH_ROW or target <= 0:
                continue
            threshold, achieved, fpr = fpr_at_sensitivity(scores[column].to_numpy(), y, target)
            row[column] = {"threshold": threshold, "sensitivity": achieved, "fpr": fpr}
        result["matched"][name] = {"target": target, "methods": row}
    return result


# --------------------------------------------------------------------------- diagnostics


def cycle_marker_detection(ds: DataSet) -> dict[str, float]:
    """Fraction of each class with any of :data:`CYCLE_MARKERS` detected (value > 0)."""
    adata = ds.adata
    present = [g for g in CYCLE_MARKERS if g in adata.var_names]
    block = adata[:, present].X
    dense = block.toarray() if sparse.issparse(block) else np.asarray(block)
    any_detected = (dense > 0).any(axis=1)
    y = ds.senescent.reindex(adata.obs_names).to_numpy(dtype=bool)
    return {"genes": "/".join(present), "positive": float(any_detected[y].mean()),
            "negative": float(any_detected[~y].mean())}  # fmt: skip


def husi_unseen_aurocs(scores: pd.DataFrame, ds: DataSet, shared: Path) -> dict[str, Any]:
    """Marthandan only: AUROC on the 12 runs absent from hUSI's metadata (maybe its training)."""
    path = (
        shared / "data" / "marthandan2016" / "marthandan2016_samples_annotated_with_hUSI_meta.csv"
    )
    if ds.name != "marthandan2016" or not path.exists():
        return {}
    table = pd.read_csv(path, index_col="sampleID")
    runs = pd.Index(table.index[table["hUSI_GSM"].isna()]).intersection(scores.index)
    y = ds.senescent.reindex(runs)
    return {
        "n_positive": int(y.sum()),
        "n_negative": int((~y).sum()),
        "auroc": {c: auroc(scores.loc[runs, c].to_numpy(), y.to_numpy()) for c in scores.columns},
    }


def diagnostics(ds: DataSet, scores: pd.DataFrame, shared: Path) -> dict[str, Any]:
    """Facts behind the Chan gap, computed here (depth, gene detection, the down genes)."""
    adata = ds.adata
    y = ds.senescent.reindex(adata.obs_names).to_numpy(dtype=bool)
    x = adata.X.tocsc() if sparse.issparse(adata.X) else sparse.csc_matrix(adata.X)
    depth = detected_genes(adata).to_numpy()
    rho_all = (
        float(spearmanr(scores[HEADLINE].to_numpy(), depth).statistic)
        if np.ptp(depth) > 0
        else float("nan")
    )
    rho_in = {
        name: float(spearmanr(scores[HEADLINE].to_numpy()[mask], depth[mask]).statistic)
        if np.ptp(depth[mask]) > 0
        else float("nan")
        for name, mask in ((ds.positive, y), (ds.negative, ~y))
    }

    def detection(genes: list[str]) -> dict[str, float | int]:
        present = [g for g in genes if g in adata.var_names]
        cols = adata.var_names.get_indexer(present)
        frac = np.asarray((x[:, cols] > 0).mean(axis=0)).ravel()
        frac_ctrl = np.asarray((x[np.flatnonzero(~y)][:, cols] > 0).mean(axis=0)).ravel()
        return {
            "listed": len(genes),
            "present": len(present),
            "detected_10pct": int((frac >= 0.1).sum()),
            "detected_10pct_controls": int((frac_ctrl >= 0.1).sum()),
            "median_fraction": float(np.median(frac)) if len(frac) else float("nan"),
        }

    senescence = catalogue()["senescence"]
    senmayo = (shared / "data" / "genesets" / "senmayo.txt").read_text().split()
    down = {}
    for gene in senescence.down:
        if gene not in adata.var_names:
            continue
        v = np.asarray(x[:, adata.var_names.get_loc(gene)].todense()).ravel()
        down[gene] = {
            "mean_positive": float(v[y].mean()),
            "mean_negative": float(v[~y].mean()),
            "detected_positive": float((v[y] > 0).mean()),
            "detected_negative": float((v[~y] > 0).mean()),
            "auroc": auroc(v, y),
        }
    return {
        "median_detected_positive": float(np.median(depth[y])),
        "median_detected_negative": float(np.median(depth[~y])),
        "auroc_detected_genes": auroc(depth, y),
        "spearman_headline_vs_detected": rho_all,
        "spearman_within_class": rho_in,
        "senescence_up_genes": detection(list(senescence.up)),
        "senmayo_genes": detection(senmayo),
        "down_genes": down,
    }


# --------------------------------------------------------------------------- report


def _f(value: float | None, fmt: str = ".3f") -> str:
    return "—" if value is None or not np.isfinite(value) else format(value, fmt)


def _pct(value: float | None) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{100 * value:.1f} %"


def _label(method: str) -> str:
    return SENOX_ROWS.get(method) or PEER_LABELS.get(method) or DEPTH_LABEL


def auroc_markdown(results: dict[str, Any]) -> str:
    """Table 1: AUROC [95 % CI] per method (rows) and data set (columns)."""
    names = list(results)
    header = ["method", "score", *(f"{results[n]['title']} AUROC [95 % CI]" for n in names)]
    methods = [*SENOX_ROWS, *PEERS, DEPTH_ROW]
    rows = []
    for method in methods:
        cells = []
        for name in names:
            table = results[name]["auroc"]
            if method not in table:
                cells.append("— (did not run)")
                continue
            r = table[method]
            star = " ★" if method == results[name]["best_peer"] else ""
            cells.append(f"{_f(r['auroc'])} [{_f(r['ci_low'])}, {_f(r['ci_high'])}]{star}")
        rows.append([f"`{method}`", _label(method), *cells])
    return markdown_table(header, rows)


def comparison_markdown(results: dict[str, Any]) -> str:
    """Table 2: senox rows against the best peer, per data set."""
    header = ["data set", "senox row", "best peer", "ΔAUROC", "paired bootstrap 95 % CI",
              "bootstrap p", "DeLong z", "DeLong p", "verdict"]  # fmt: skip
    rows = []
    for result in results.values():
        for c in result["comparisons"]:
            rows.append(
                [
                    result["title"],
                    f"`{c['method']}`",
                    f"`{c['best_peer']}`",
                    f"{c['difference']:+.3f}",
                    f"[{c['ci_low']:+.3f}, {c['ci_high']:+.3f}]",
                    _f(c["p_bootstrap"]),
                    _f(c["delong_z"], ".2f"),
                    _f(c["delong_p"], ".3g"),
                    c["verdict"],
                ]
            )
    return markdown_table(header, rows)


def pairs_markdown(result: dict[str, Any]) -> str:
    """AUROC per (senescent sample, control sample) pair."""
    pairs = result["pairs"]
    labels = list(next(iter(pairs.values())))
    header = ["method", *labels, "range"]
    rows = []
    for method, values in pairs.items():
        v = [values[k] for k in labels]
        rows.append([f"`{method}`", *(_f(a) for a in v), f"{_f(min(v))}–{_f(max(v))}"])
    return markdown_table(header, rows)


def states_markdown(result: dict[str, Any], ds_pos: str, ds_neg: str) -> str:
    """The state calls of senox per class, in both calibration modes."""
    header = ["calibration", "class", "n", *STATE_NAMES, "senescent_* (any)"]
    rows = []
    for mode, block in result["arrested"]["states"].items():
        for cls, name in (("control", ds_neg), ("senescent", ds_pos)):
            counts = block["counts"][cls]
            n = sum(counts.values())
            fired = sum(counts[s] for s in SENESCENT_STATES)
            rows.append(
                [
                    mode,
                    name,
                    str(n),
                    *(f"{counts[s]} ({_pct(counts[s] / n)})" for s in STATE_NAMES),
                    f"**{fired} ({_pct(fired / n)})**",
                ]
            )
    return markdown_table(header, rows)


def rules_markdown(result: dict[str, Any], rules: dict[str, Any], ds_pos: str, ds_neg: str) -> str:
    """Each method's own decision rule: fraction of each class called senescent."""
    header = ["method", "decision rule", f"{ds_neg} called senescent (FPR)",
              f"{ds_pos} called senescent (sensitivity)"]  # fmt: skip
    rows = []
    for method, block in result["arrested"]["rules"].items():
        if method.startswith("senox"):
            rule = "state `senescent_inflammatory` or `senescent_p53`"
        else:
            rule = RULE_NAMES.get(method, "") if rules.get(method) else "no decision rule shipped"
        if block is None:
            rows.append([f"`{method}`", rule, "no decision rule", "no decision rule"])
        else:
            rows.append([f"`{method}`", rule, _pct(block["fpr"]), _pct(block["sensitivity"])])
    return markdown_table(header, rows)


def matched_markdown(result: dict[str, Any], ds_neg: str) -> str:
    """FPR on the control class at the threshold giving each score the same sensitivity."""
    matched = result["arrested"]["matched"]
    names = [n for n in matched if matched[n]["methods"]]
    header = ["score", *(f"{ds_neg} FPR at {n} = {_pct(matched[n]['target'])}" for n in names)]
    methods = list(next(iter(matched[n]["methods"] for n in names)))
    rows = []
    for method in methods:
        cells = []
        for n in names:
            m = matched[n]["methods"][method]
            cells.append(f"{_pct(m['fpr'])} (sens. {_pct(m['sensitivity'])})")
        rows.append([f"`{method}`", *cells])
    return markdown_table(header, rows)


def diagnostics_markdown(results: dict[str, Any]) -> str:
    """Computed facts per data set that bear on the Chan gap."""
    names = list(results)
    header = ["quantity", *(results[n]["title"] for n in names)]

    def get(n: str) -> dict[str, Any]:
        d: dict[str, Any] = results[n]["diagnostics"]
        return d

    def genes(block: dict[str, Any]) -> str:
        return (f"{block['present']}/{block['listed']} present; {block['detected_10pct']} detected in ≥ 10 % "
                f"of observations ({block['detected_10pct_controls']} in ≥ 10 % of controls)")  # fmt: skip

    rows = [
        ["median detected genes, senescent / control",
         *(f"{get(n)['median_detected_positive']:.0f} / {get(n)['median_detected_negative']:.0f} "
           f"(× {get(n)['median_detected_positive'] / get(n)['median_detected_negative']:.2f})" for n in names)],
        ["AUROC of detected genes alone", *(_f(get(n)["auroc_detected_genes"]) for n in names)],
        ["Spearman ρ, headline score vs detected genes (all; within senescent; within control)",
         *("; ".join(_f(v, ".2f") for v in [get(n)["spearman_headline_vs_detected"],
                                             *get(n)["spearman_within_class"].values()]) for n in names)],
        ["`senescence` up genes", *(genes(get(n)["senescence_up_genes"]) for n in names)],
        ["SenMayo genes", *(genes(get(n)["senmayo_genes"]) for n in names)],
    ]  # fmt: skip
    for gene in ("LMNB1", "MKI67"):
        cells = []
        for n in names:
            d = get(n)["down_genes"].get(gene)
            cells.append(
                "absent" if d is None else
                f"mean log-expr. {d['mean_positive']:.3f} vs {d['mean_negative']:.3f}; "
                f"detected {_pct(d['detected_positive'])} vs {_pct(d['detected_negative'])}; AUROC {_f(d['auroc'])}"
            )  # fmt: skip
        rows.append([f"{gene} (a *down* gene of `senescence`), senescent vs control", *cells])
    return markdown_table(header, rows)


def gap_sentences(results: dict[str, Any]) -> list[str]:
    """One plain sentence per data set: does the headline reach the best peer."""
    lines = []
    for result in results.values():
        a = result["auroc"]
        best = result["best_peer"]
        head, peer = a[HEADLINE], a[best]
        comparison = result["comparisons"][0]
        if comparison["ci_low"] > 0:
            verb = "beats the best peer"
        elif head["auroc"] >= peer["auroc"]:
            verb = "matches the best peer (point estimate at or above it, difference not resolved)"
        else:
            verb = "does not reach the best peer"
        lines.append(
            f"- **senox {verb} on {result['title']}**: headline "
            f"{head['auroc']:.3f} [{head['ci_low']:.3f}, {head['ci_high']:.3f}] vs `{best}` "
            f"{peer['auroc']:.3f} [{peer['ci_low']:.3f}, {peer['ci_high']:.3f}]; "
            f"Δ {comparison['difference']:+.3f}, paired 95 % CI "
            f"[{comparison['ci_low']:+.3f}, {comparison['ci_high']:+.3f}], DeLong p "
            f"{comparison['delong_p']:.3g} ({comparison['verdict']})."
        )
    return lines


def variants_sentences(results: dict[str, Any]) -> list[str]:
    """The two variants on both data sets, next to the headline and the best peer."""
    lines = []
    for method in ("senox_senescence_up_rank", "senox_senescence_rank_depth"):
        parts = []
        for result in results.values():
            a = result["auroc"]
            parts.append(
                f"{result['title']} {a[method]['auroc']:.3f} [{a[method]['ci_low']:.3f}, "
                f"{a[method]['ci_high']:.3f}] (headline {a[HEADLINE]['auroc']:.3f}, best peer "
                f"{a[result['best_peer']]['auroc']:.3f})"
            )
        lines.append(f"- `{method}`: " + "; ".join(parts) + ".")
    return lines


def arrested_sentences(result: dict[str, Any]) -> list[str]:
    """What senox's calls do on the control class, in plain numbers."""
    lines = []
    n_neg = result["n_negative"]
    for mode, block in result["arrested"]["states"].items():
        counts = block["counts"]["control"]
        arrested = block["controls_arrested"]
        fired = block["controls_arrested_called_senescent"]
        share = fired / arrested if arrested else float("nan")
        pos = block["counts"]["senescent"]
        n_pos = sum(pos.values())
        fired_pos = sum(pos[s] for s in SENESCENT_STATES)
        lines.append(
            f"- {mode}: of the {n_neg} {result['negative']} observations, senox calls "
            f"{counts['quiescent']} `quiescent`, {fired} `senescent_*` and "
            f"{counts['proliferating']} `proliferating`"
            + (
                f"; of the {arrested} it calls arrested, {_pct(share)} are called `senescent_*`"
                if arrested
                else ""
            )
            + f". Of the {n_pos} {result['positive']} observations it calls {fired_pos} "
            f"`senescent_*`, {pos['quiescent']} `quiescent` (arrested, with the senescence "
            f"program and the SASP below the 1.5 SD bar) and {pos['proliferating']} "
            "`proliferating`."
        )
    markers = result["arrested"]["cycle_markers"]
    if markers["negative"] >= 1.0 and markers["positive"] >= 1.0:
        return lines  # bulk: every sample expresses the cycle genes; detection says nothing
    first = next(iter(result["arrested"]["states"].values()))["counts"]["control"]
    called = first["proliferating"] / n_neg
    lines.append(
        f"- Cycle-gene evidence: {markers['genes']} detected in {_pct(markers['negative'])} of "
        f"{result['negative']} and {_pct(markers['positive'])} of {result['positive']} observations, "
        f"against {_pct(called)} of {result['negative']} called `proliferating` (unlabelled)."
    )
    if markers["negative"] < 0.5 * called:
        lines.append(
            "- So senox under-calls arrest here: where the proliferation mixture is not supported "
            "(one population, as in these sparse, shallow cells) the sign of the mean-method "
            "cycle score decides, and it splits G0 hepatocytes about evenly. The `senescent_*` "
            "rate among the arrested calls is therefore measured on half of the controls, and "
            "the `quiescent` fraction is a lower bound. This is a limitation of "
            "`senox.states` on such data, reported, not tuned away."
        )
    return lines


def unseen_markdown(result: dict[str, Any]) -> str:
    """Marthandan: AUROC on the runs hUSI cannot have trained on."""
    unseen = result["husi_unseen"]
    header = [
        "method",
        f"AUROC on {unseen['n_positive']} senescent vs {unseen['n_negative']} proliferating runs",
    ]
    rows = [[f"`{m}`", _f(v)] for m, v in unseen["auroc"].items() if m != DEPTH_ROW]
    return markdown_table(header, rows)


def reasons(chan: dict[str, Any], marthandan: dict[str, Any]) -> str:
    """Likely reasons for the Chan gap, with the numbers computed above."""
    v1 = {
        "chan": chan["auroc"]["senox_senescence_up_rank"]["auroc"],
        "marthandan": marthandan["auroc"]["senox_senescence_up_rank"]["auroc"],
    }
    head_m = marthandan["auroc"][HEADLINE]["auroc"]
    d = chan["diagnostics"]
    up = d["senescence_up_genes"]
    within = list(d["spearman_within_class"].values())
    depth_row = chan["auroc"]["senox_senescence_rank_depth"]["auroc"]
    down = d["down_genes"]
    ratio = d["median_detected_positive"] / d["median_detected_negative"]
    down_text = ", ".join(
        f"{g} detected in {_pct(v['detected_positive'])} of D12 vs {_pct(v['detected_negative'])} of mV cells"
        for g, v in down.items()
    )
    return (
        "Likely reasons senox's `senescence` score trails SenePy on Chan 2024: "
        "(i) labels are per mouse (2 per condition) and not every D12 hepatocyte need be senescent "
        "(data README); "
        f"(ii) D12 cells have {ratio:.1f}× the detected genes of controls (detected genes alone: "
        f"AUROC {d['auroc_detected_genes']:.3f}), and the headline score itself rises with depth "
        f"within each condition (Spearman {within[0]:.2f} / {within[1]:.2f}), so part of even its "
        f"{chan['auroc'][HEADLINE]['auroc']:.3f} is depth: removing it (variant 2) gives "
        f"{depth_row:.3f}; "
        f"(iii) only {up['detected_10pct']} of the {up['present']} present up genes of the program "
        f"(largely SenMayo/SASP) are detected in ≥ 10 % of cells, and {up['detected_10pct_controls']} "
        "in ≥ 10 % of controls: in hepatocytes most of the program is silent; "
        f"(iv) its down genes go the wrong way at day 12 ({down_text}), so they lower the score of "
        f"KRAS cells; variant 1 drops them: Chan {v1['chan']:.3f}, but Marthandan "
        f"{v1['marthandan']:.3f} against the headline's {head_m:.3f}, because there their loss is "
        "real. "
        "SenePy's hepatocyte signature, by contrast, was learnt from aged mouse hepatocytes (Tabula "
        "Muris Senis): the same species and cell type. senox's programs were not changed to fit "
        "Chan; the cycling rule of its state call was changed after Chan's proliferation mixture "
        "had been seen (the main README, 'Cell states')."
    )


def _matched(result: dict[str, Any], n_bins: int = DEPTH_BINS) -> dict[str, Any]:
    block: dict[str, Any] = result["depth_matched"][str(n_bins)]
    return block


def _ci(r: dict[str, float]) -> str:
    return f"{_f(r['auroc'])} [{_f(r['ci_low'])}, {_f(r['ci_high'])}]"


def _diff(c: dict[str, Any]) -> str:
    return f"{c['difference']:+.3f} [{c['ci_low']:+.3f}, {c['ci_high']:+.3f}]"


def depth_matched_markdown(results: dict[str, Any]) -> str:
    """Section 5 table: section-1 AUROC and depth-matched AUROC [95 % CI] per method."""
    names = list(results)
    header = ["method"]
    for n in names:
        header += [f"{results[n]['title']}: AUROC (section 1)",
                   f"depth-matched AUROC [95 % CI], {DEPTH_BINS} bins"]  # fmt: skip
    rows = []
    for method in [*SENOX_ROWS, *PEERS, DEPTH_ROW]:
        cells = []
        for n in names:
            block = _matched(results[n])
            if method not in block["auroc"]:
                cells += ["— (did not run)", "— (did not run)"]
                continue
            star = " ★" if method == block["best_peer"] else ""
            cells += [_f(results[n]["auroc"][method]["auroc"]), _ci(block["auroc"][method]) + star]
        name = f"**`{method}`**" if method == HEADLINE else f"`{method}`"
        rows.append([name, *cells])
    return markdown_table(header, rows)


def depth_comparison_markdown(results: dict[str, Any]) -> str:
    """Section 5: senox rows minus a peer, by depth-matched AUROC, paired bootstrap."""
    header = ["data set", "senox row", "peer", "Δ depth-matched AUROC [paired 95 % CI]",
              "bootstrap p", "verdict"]  # fmt: skip
    rows = []
    for result in results.values():
        block = _matched(result)
        for c in block["comparisons"]:
            which = "best by depth-matched AUROC" if c["peer"] == block["best_peer"] else (
                "best in section 1")  # fmt: skip
            rows.append([result["title"], f"`{c['method']}`", f"`{c['peer']}` ({which})",
                         _diff(c), _f(c["p_bootstrap"]), c["verdict"]])  # fmt: skip
    return markdown_table(header, rows)


def depth_sensitivity_markdown(results: dict[str, Any]) -> str:
    """Section 5: the same analysis with 5, 10 and 20 bins."""
    header = ["data set", "bins asked / strata", "pairs used (of all)", "headline",
              "best peer (depth-matched)", "section-1 best peer", "`detected_genes`",
              "Δ headline − best peer [95 % CI]", "Δ headline − section-1 best peer [95 % CI]"]  # fmt: skip
    rows = []
    for result in results.values():
        for n_bins in sorted((DEPTH_BINS, *DEPTH_BINS_SENSITIVITY)):
            block = _matched(result, n_bins)
            a = block["auroc"]
            best, first = block["best_peer"], result["best_peer"]
            head = [c for c in block["comparisons"] if c["method"] == HEADLINE]
            to_best = next(c for c in head if c["peer"] == best)
            to_first = next(c for c in head if c["peer"] == first)
            rows.append([
                result["title"], f"{n_bins} / {block['n_strata']}",
                f"{block['pairs_used']:,} ({_pct(block['pairs_used'] / block['pairs_all'])})",
                _ci(a[HEADLINE]), f"`{best}` {_ci(a[best])}", f"`{first}` {_ci(a[first])}",
                _ci(a[DEPTH_ROW]), _diff(to_best), _diff(to_first),
            ])  # fmt: skip
    return markdown_table(header, rows)


def strata_markdown(result: dict[str, Any]) -> str:
    """Section 5: what each stratum holds (the main number of bins)."""
    block = _matched(result)
    header = ["stratum", "detected genes", result["positive"], result["negative"], "pairs"]
    rows = [[str(i + 1), f"{b['detected_min']:.0f}–{b['detected_max']:.0f}", str(b["n_positive"]),
             str(b["n_negative"]), f"{b['pairs']:,}"] for i, b in enumerate(block["strata"])]  # fmt: skip
    return markdown_table(header, rows)


def depth_matched_sentences(results: dict[str, Any]) -> list[str]:
    """What section 5 shows, numbers filled in, per data set."""
    lines = []
    for result in results.values():
        block = _matched(result)
        a = block["auroc"]
        if block["n_strata"] == 1:
            depth = block["strata"][0]
            span = (
                f"{depth['detected_min']:,.0f}"
                if depth["detected_min"] == depth["detected_max"]
                else f"{depth['detected_min']:,.0f}–{depth['detected_max']:,.0f}"
            )
            lines.append(
                f"- **{result['title']}: does not apply.** Every observation detects the same "
                f"number of genes ({span}), so the rule gives one stratum at every number of bins and each depth-matched value "
                "equals its section-1 AUROC by construction. Depth cannot confound here."
            )
            continue
        head = next(c for c in block["comparisons"]
                    if c["method"] == HEADLINE and c["peer"] == block["best_peer"])  # fmt: skip
        first = [c for c in block["comparisons"]
                 if c["method"] == HEADLINE and c["peer"] == result["best_peer"]]  # fmt: skip
        above = [m for m, r in a.items() if m != DEPTH_ROW and r["ci_low"] > 0.5]
        chance = [m for m, r in a.items() if m != DEPTH_ROW and r["ci_low"] <= 0.5 <= r["ci_high"]]
        below = [m for m, r in a.items() if m != DEPTH_ROW and r["ci_high"] < 0.5]

        def names(methods: list[str]) -> str:
            return ", ".join(f"`{m}`" for m in methods) if methods else "none"

        others = "; ".join(
            f"{n} bins {_ci(_matched(result, n)['auroc'][DEPTH_ROW])}"
            for n in DEPTH_BINS_SENSITIVITY
        )
        gone = [m for m in (*SENOX_ROWS, *PEERS) if m in a and result["auroc"][m]["auroc"] > 0.5
                and a[m]["ci_low"] <= 0.5]  # fmt: skip
        lines += [
            f"- **{result['title']}, the built-in check:** depth itself separates the classes with "
            f"AUROC {_f(result['auroc'][DEPTH_ROW]['auroc'])} overall but "
            f"{_ci(a[DEPTH_ROW])} within {DEPTH_BINS} strata ({others}); what is left is the "
            "depth spread inside a bin.",
            f"- **Pairs used:** {block['pairs_used']:,} of {block['pairs_all']:,} "
            f"({_pct(block['pairs_used'] / block['pairs_all'])}); {block['positives_used']} of "
            f"{result['n_positive']} {result['positive']} and {block['negatives_used']} of "
            f"{result['n_negative']} {result['negative']} observations lie in a stratum that holds "
            "both classes. The pairs come from where the two classes' depth distributions overlap "
            "(strata table below).",
            f"- **Within strata of equal depth**, 95 % CI above 0.5: {names(above)}; including "
            f"0.5: {names(chance)}; below 0.5: {names(below)}. Headline {_ci(a[HEADLINE])}.",
            f"- **The gap:** headline minus the best peer by depth-matched AUROC (`{head['peer']}`) "
            f"{_diff(head)} ({head['verdict']})"
            + (
                f"; minus section 1's best peer (`{first[0]['peer']}`) {_diff(first[0])} "
                f"({first[0]['verdict']}), against {result['comparisons'][0]['difference']:+.3f} "
                "in section 2."
                if first
                else "."
            ),
        ]
        if gone:
            lines.append(
                f"- **So:** of the scores with section-1 AUROC above 0.5 on {result['title']}, "
                f"{names(gone)} {'does' if len(gone) == 1 else 'do'} not separate the classes "
                "better than chance once depth is matched (95 % CI reaches 0.5 or lies below "
                "it): among cells of equal depth, where the classes overlap, their section-1 "
                "separation does not hold. A value below 0.5 means that at equal depth the "
                "controls score higher."
            )
    return lines


def toy_markdown(toy: pd.DataFrame) -> str:
    """The toy check: per configuration, mean and range over seeds."""
    header = ["planted configuration (senox call mode)", "quiescent cells called `senescent_*`",
              "quiescent cells called `quiescent`", "senescent cells called `senescent_*`"]  # fmt: skip
    rows = []
    for label, block in toy.groupby("configuration", sort=False):

        def cell(column: str, frame: pd.DataFrame = block) -> str:
            v = frame[column].to_numpy(dtype=np.float64)
            if not np.isfinite(v).any():
                return "— (none planted)"
            return f"{_pct(float(v.mean()))} ({_pct(float(v.min()))}–{_pct(float(v.max()))})"

        rows.append([str(label), cell("quiescent_called_senescent"),
                     cell("quiescent_called_quiescent"), cell("senescent_called_senescent")])  # fmt: skip
    return markdown_table(header, rows)


def toy_sentences(toy: pd.DataFrame) -> list[str]:
    """Which configurations call more quiescent cells senescent than the 1.5 SD tail."""
    means = toy.groupby("configuration", sort=False)["quiescent_called_senescent"].mean()
    over = means[means > TOY_TAIL]
    lines = [
        f"- A homogeneous population clears the 1.5 SD bar with probability {TOY_TAIL_NORMAL:.1%} "
        f"by construction. Configurations whose mean exceeds {TOY_TAIL:.0%}: "
        + (
            "none."
            if over.empty
            else "; ".join(f"**{k}** ({_pct(float(v))})" for k, v in over.items()) + "."
        )
    ]
    if not over.empty:
        lines.append(
            "- **senox's `senescent_*` calls fire on merely arrested cells in these settings** "
            "(the configurations above): a limitation of `senox.states`, reported as it stands."
        )
    return lines


def summary(results: dict[str, Any], toy: pd.DataFrame) -> list[str]:
    """The findings in a few lines, numbers filled in."""
    lines = gap_sentences(results)
    for result in results.values():
        parts = []
        for mode, block in result["arrested"]["states"].items():
            parts.append(
                f"{mode}: {_pct(block['false_positive_rate'])} of {result['negative']} and "
                f"{_pct(block['sensitivity'])} of {result['positive']}"
            )
        lines.append(f"- senox `senescent_*` calls on {result['title']}: " + "; ".join(parts) + ".")
    for result in results.values():
        block = _matched(result)
        if block["n_strata"] == 1:
            continue
        a = block["auroc"]
        head = next(c for c in block["comparisons"]
                    if c["method"] == HEADLINE and c["peer"] == block["best_peer"])  # fmt: skip
        lines.append(
            f"- Depth-matched AUROC on {result['title']} (secondary, section 5; {DEPTH_BINS} "
            f"bins of detected genes, {_pct(block['pairs_used'] / block['pairs_all'])} of the "
            f"pairs): headline {_ci(a[HEADLINE])}, best peer `{head['peer']}` "
            f"{_ci(a[head['peer']])}, Δ {_diff(head)}; `detected_genes` itself "
            f"{_ci(a[DEPTH_ROW])} (the check that matching works). "
            + ", ".join(f"`{p}` {_f(a[p]['auroc'])}" for p in PEERS if p in a and p != head["peer"])
            + ". The headline comparison is unchanged."
        )
    means = toy.groupby("configuration", sort=False)["quiescent_called_senescent"].mean()
    lines.append(
        f"- Planted toy data: planted quiescent cells called `senescent_*` in {_pct(float(means.min()))}"
        f"–{_pct(float(means.max()))} of cases depending on the setting; above the {TOY_TAIL:.0%} "
        f"tail allowance in {int((means > TOY_TAIL).sum())} of {len(means)} settings (section 3c)."
    )
    return lines


def report(
    results: dict[str, Any], peers: dict[str, Any], source: str, meta: dict[str, Any]
) -> str:
    """The whole Markdown report."""
    rules = peers.get("decision_rules", {})
    chan, marthandan = results["chan2024"], results["marthandan2016"]
    toy = pd.DataFrame(meta["toy"])
    rule_notes = [f"- `{peer}`: {text}" for peer, text in rules.items() if text]
    rule_notes += [f"- `{peer}`: ships no decision rule (a continuous score only)."
                   for peer, text in rules.items() if not text]  # fmt: skip
    parts = [
        "# Senescence detection benchmark: senox and the peers, side by side",
        "",
        f"Written by `validation/senescence_benchmark.py` (senox {meta['senox_version']}), "
        f"{meta['date']}, {meta['wall_s']:.0f} s wall on a {meta['machine']}. Peers: {source}. "
        f"Peer versions: {', '.join(f'{k} {v}' for k, v in peers.get('versions', {}).items())}.",
        "",
        f"AUROC of senescent vs not (Mann–Whitney, ties count ½). 95 % CI: percentile interval of "
        f"{meta['n_boot']:,} bootstrap resamples stratified by class (seed {meta['seed']}); the "
        "same resamples serve every method, so differences are paired. ★ = best peer on that data "
        f"set. Classes: Marthandan {marthandan['n_positive']} senescent vs "
        f"{marthandan['n_negative']} proliferating samples; Chan {chan['n_positive']} KRAS D12 vs "
        f"{chan['n_negative']} control mV cells.",
        "",
        "## Summary",
        "",
        *summary(results, toy),
        "",
        "## 1. AUROC, side by side",
        "",
        auroc_markdown(results),
        "",
        "The headline senox score was fixed before this script computed any AUROC: the "
        "`senescence` program (the one senox ships for this question) by the `rank` method, "
        "senox's default. The two variants were fixed on a priori grounds too (section 4) and are "
        "reported on both data sets; neither replaces the headline. `detected_genes` is not a "
        "method: it shows how far sequencing depth alone separates the classes.",
        "",
        "Caveats: observations are not independent, so these intervals are too narrow. "
        "Marthandan's 39 samples are replicates of 5+ strains, and hUSI may have trained on 27 of "
        "them (below). Chan's labels are per mouse (2 D12 and 2 mV samples), so every cell of "
        "a mouse shares one label; the per-mouse-pair AUROCs below show how stable each method is "
        "across mice.",
        "",
        "## 2. senox against the best peer (paired)",
        "",
        comparison_markdown(results),
        "",
        *gap_sentences(results),
        "",
        f"### {chan['title']}: AUROC per pair of mice (cells in brackets)",
        "",
        pairs_markdown(chan),
        "",
        f"### {marthandan['title']}: the runs absent from hUSI's training metadata",
        "",
        unseen_markdown(marthandan),
        "",
        "## 3. Do `senescent_*` calls fire on merely arrested cells?",
        "",
        f"senox calls states unlabelled (calibrated on all observations) and with the reference "
        f"group (`--reference {marthandan['reference']}` / `{chan['reference']}`). With a "
        "reference, the `sen` axis is centred on the controls' median, so up to about 7 % of a "
        "normal control group clears the 1.5 SD bar by construction; the unlabelled mode is "
        "centred on the median observation instead. Every axis but cycling is scored without the "
        "cycle-only genes, so that arrest alone does not lift it. The peers' decision rules, where they ship one:",
        "",
        *rule_notes,
        "",
        f"### (a) {chan['title']}: controls are adult hepatocytes in vivo, largely quiescent",
        "",
        states_markdown(chan, chan["positive"], chan["negative"]),
        "",
        *arrested_sentences(chan),
        "",
        "Each method's own decision rule:",
        "",
        rules_markdown(chan, rules, chan["positive"], chan["negative"]),
        "",
        "False-positive rate on the controls at the threshold that gives each continuous score "
        "the same sensitivity on the KRAS cells (the sensitivity of senox's call in each mode, "
        "and 50 %):",
        "",
        matched_markdown(chan, chan["negative"]),
        "",
        f"### (b) {marthandan['title']}: senox's calls on senescent vs proliferating samples",
        "",
        states_markdown(marthandan, marthandan["positive"], marthandan["negative"]),
        "",
        *arrested_sentences(marthandan),
        "",
        rules_markdown(marthandan, rules, marthandan["positive"], marthandan["negative"]),
        "",
        matched_markdown(marthandan, marthandan["negative"]),
        "",
        "### What the shared data cannot show",
        "",
        CANNOT_SHOW,
        "### (c) Planted toy data: quiescent and senescent cells of the same kind",
        "",
        "What the shared data lack, built in `validation/_toy.py` (also used by "
        "`tests/states/test_validation_claims.py`): Poisson counts over the catalogue's genes "
        "plus 1,500 fillers; quiescent cells have the cycle genes at 0.2× and nothing else "
        "changed, proliferating 4×, senescent ones also the senescence program 5× and the p53 "
        "response 6× or the inflammatory SASP 8×. Mean over seeds "
        f"{', '.join(map(str, TOY_SEEDS))} (range in brackets); every configuration run is shown.",
        "",
        toy_markdown(toy),
        "",
        *toy_sentences(toy),
        "",
        "## 4. The Chan gap: variants and diagnostics",
        "",
        "Two senox variants, each fixed before it was computed and justified a priori: (1) "
        "`senescence_up`, because LMNB1 and MKI67 loss marks arrest in culture, not senescence "
        "as such (the states module already uses this axis for that reason); (2) the headline "
        "score corrected for the number of detected genes, because rank scores are known to "
        "track it (UCell issues #25/#39). Where depth differs between the classes, as on Chan, "
        "variant 2 moves the AUROC for a technical reason, in either direction, and cannot count "
        "as biology.",
        "",
        *variants_sentences(results),
        "",
        "Computed facts behind the gap (— : detected genes do not vary):",
        "",
        diagnostics_markdown(results),
        "",
        reasons(chan, marthandan),
        "",
        "## 5. Depth-matched AUROC (secondary)",
        "",
        "A secondary analysis, added after sections 1–4 and fixed before any of it was computed; "
        "it does **not** change the headline comparison (sections 1–2 stand as they are). On "
        "Chan, the number of detected genes alone separates the classes "
        f"(AUROC {_f(chan['auroc'][DEPTH_ROW]['auroc'])}), and any score that grows with depth "
        "(SenePy with `binarize=True` counts detected signature genes) gains from it. This "
        "section asks whether a method, and the gap between senox and the peers, survives once "
        "observations of equal depth are compared.",
        "",
        f"Definition: the observations of a data set are binned into {DEPTH_BINS} quantile bins "
        "of detected genes (the `detected_genes` row: genes with a value > 0 in senox's gene "
        "space; inner edges at the j/k quantiles over all observations, right-closed, so equal "
        "depths share a bin and coinciding edges merge bins). The depth-matched AUROC is the "
        "Mann–Whitney statistic over the (senescent, not) pairs in the same stratum only: the "
        "share of those pairs in which the senescent observation scores higher, ties ½, pooled "
        "over strata (each weighs by its pairs); a stratum with one class contributes nothing "
        "(`_report.depth_matched_auroc`). 95 % CI: the same 2,000 class-stratified resamples "
        "as section 1 (strata fixed per observation), so differences are paired. "
        f"Sensitivity: {' and '.join(map(str, DEPTH_BINS_SENSITIVITY))} bins.",
        "",
        depth_matched_markdown(results),
        "",
        *depth_matched_sentences(results),
        "",
        "senox against the peers by depth-matched AUROC (paired bootstrap):",
        "",
        depth_comparison_markdown(results),
        "",
        "Sensitivity to the number of bins:",
        "",
        depth_sensitivity_markdown(results),
        "",
        *(
            line
            for result in results.values()
            if _matched(result)["n_strata"] > 1
            for line in (
                f"{result['title']}: the {DEPTH_BINS} strata",
                "",
                strata_markdown(result),
                "",
            )
        ),
        "What this does and does not show. It shows how each score orders senescent and control "
        "observations *of equal depth*. It does not replace section 1: the pairs it uses are a "
        "selected minority (the shallow end of the senescent class against the deep end of the "
        "controls, cells that may be atypical of either class), and depth is not purely "
        "technical: senescent cells are often larger, with more RNA, so matching on detected genes "
        "can remove real biology along with the artefact. The caveats of section 1 apply too "
        "(labels per mouse, so the intervals are too narrow).",
        "",
    ]
    return "\n".join(parts)


# --------------------------------------------------------------------------- driver


def evaluate_dataset(
    ds: DataSet, peers: dict[str, Any], shared: Path, n_boot: int, seed: int
) -> dict[str, Any]:
    """Everything the report needs for one data set."""
    senox = senox_scores(ds)
    peer_scores, peer_calls = peer_frame(peers, ds.name)
    missing = senox.index.difference(peer_scores.index)
    if len(missing):
        msg = f"{ds.name}: {len(missing)} observations have no peer scores (e.g. {missing[0]})"
        raise SystemExit(msg)
    scores = pd.concat([senox, peer_scores.reindex(senox.index)], axis=1)
    finite = np.isfinite(scores.to_numpy(dtype=np.float64)).all(axis=1)
    if not finite.all():
        dropped = scores.index[~finite]
        print(f"{ds.name}: dropping {len(dropped)} observations with a non-finite score")
        scores = scores.loc[finite]
    table, replicates = auroc_table(scores, ds.senescent, n_boot, seed)
    peers_run = [p for p in PEERS if p in scores.columns]
    best = max(peers_run, key=lambda p: table.loc[p, "auroc"])
    comparisons = [compare(scores, ds.senescent, replicates, method, best) for method in SENOX_ROWS]
    states = {
        "unlabelled": senox_states(ds, None),
        f"reference {ds.reference}": senox_states(ds, ds.reference),
    }
    pairs = per_group_pairs(scores, ds)
    matched = {
        str(n_bins): depth_matched(scores, ds.senescent, n_boot, seed, n_bins, best)
        for n_bins in (DEPTH_BINS, *DEPTH_BINS_SENSITIVITY)
    }
    return {
        "title": ds.title,
        "reference": ds.reference,
        "positive": ds.positive,
        "negative": ds.negative,
        "n_positive": int(ds.senescent.reindex(scores.index).sum()),
        "n_negative": int((~ds.senescent.reindex(scores.index)).sum()),
        "n_dropped": int((~finite).sum()),
        "auroc": table.to_dict(orient="index"),
        "best_peer": best,
        "comparisons": comparisons,
        "pairs": pairs.to_dict(orient="index") if not pairs.empty else {},
        "husi_unseen": husi_unseen_aurocs(scores, ds, shared),
        "arrested": arrested_check(ds, scores, peer_calls, states),
        "diagnostics": diagnostics(ds, scores, shared),
        "depth_matched": matched,
    }


def _clean(value: Any) -> Any:
    """JSON-safe: NaN → None, numpy scalars → Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def main() -> None:
    """Run the benchmark and write the Markdown and JSON results."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "senescence_benchmark.md")
    parser.add_argument(
        "--peers-json",
        type=Path,
        default=None,
        help="read the peers' scores from this file (peer_scores.py --json) instead of running them",
    )
    parser.add_argument("--n-boot", type=int, default=N_BOOT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    start = time.perf_counter()
    peers, source = peer_results(args.shared, args.peers_json)
    results = {
        name: evaluate_dataset(loader(args.shared), peers, args.shared, args.n_boot, args.seed)
        for name, loader in LOADERS.items()
    }
    toy = toy_check()
    meta = {
        "toy": toy.to_dict(orient="list"),
        "senox_version": __version__,
        "date": time.strftime("%Y-%m-%d"),
        "wall_s": time.perf_counter() - start,
        "machine": f"{os.cpu_count()}-core CPU",
        "n_boot": args.n_boot,
        "seed": args.seed,
        "peers_source": source,
        "headline": HEADLINE,
        "senox_rows": SENOX_ROWS,
    }
    text = report(results, peers, source, meta)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    payload = {"meta": meta, "peer_versions": peers.get("versions", {}), "datasets": results}
    args.out.with_suffix(".json").write_text(
        json.dumps(_clean(payload), indent=1) + "\n", encoding="utf-8"
    )
    print(text)


if __name__ == "__main__":
    main()
