"""Score the pre-registered senescence-axis candidates on every shared set and apply the rule.

The candidates, the figures and the selection rule are fixed in `validation/axis_selection.md`
(committed before this script first ran on a shared set). The data sets are loaded by
`real_data.py`'s loaders and the peers scored by its and `peer_scores.py`'s functions (imported,
not copied). Writes ``validation/results/axis_selection.md`` and ``.json``. Usage (from
``validation/``):

    python axis_selection.py [--shared ../../shared]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from _report import auroc, markdown_table, write_results
from expectations import NOMINAL_RATE
from peer_scores import score_husi
from real_data import DESIGN, LOADERS, _association, _log_normalised, peer_scores
from senox.io import resolve_symbol
from senox.programs import Program, catalogue
from senox.score import score_matrix
from senox.score._run import human_gene_names
from senox.score._source import columns_of
from senox.states._calibrate import calibrate
from senox.states._call import arrest_free_scores
from senox.states._rules import SENESCENCE_UP

if TYPE_CHECKING:
    import anndata as ad

HERE = Path(__file__).resolve().parent
#: The sets whose figure enters the objective (pre-registered), and the specificity set.
DECIDING = ("marthandan2016", "marthandan_pd", "chan2024")
RAT = "rat_quiescence"
#: Rule constants of `axis_selection.md` (b).
RAT_RHO_BAR = 0.5
SEN_BAR = 1.5
ARREST_DROP = 0.05
TIE = 0.01
#: Peers recorded by `peer_scores.py` in the peers' environment (not installed here).
RECORDED_PEERS = ("senepy", "deepscence")
#: Where each set's sen-axis share is read: (reference value, values of the group counted).
SHARE_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    RAT: ("2", ("3", "4", "6", "8", "10", "12", "14", "16")),
    "marthandan_pd": ("16", ("64", "74")),
    "marthandan2016": ("Proliferative", ("Senescent",)),
}
N_PERMUTATIONS = 200


# ----------------------------------------------------------------------------- candidates


def _read_list(path: Path) -> set[str]:
    return set(path.read_text(encoding="utf-8").split())


def current(symbols: set[str]) -> frozenset[str]:
    """Symbols brought up to date with HGNC (unknown or ambiguous ones dropped)."""
    out = set()
    for symbol in symbols:
        found = resolve_symbol(symbol)
        if len(found) == 1:
            out.add(found[0])
    return frozenset(out)


def cycle_genes(genesets: Path) -> frozenset[str]:
    """The ``proliferation`` program's genes and Tirosh 2016's S and G2/M genes."""
    tirosh = _read_list(genesets / "tirosh2016_cell_cycle_S.txt") | _read_list(
        genesets / "tirosh2016_cell_cycle_G2M.txt"
    )
    return current(set(catalogue()["proliferation"].genes) | tirosh)


def components(genesets: Path) -> dict[str, frozenset[str]]:
    """The building blocks of the candidates (`axis_selection.md`, table (a))."""
    senmayo = current(_read_list(genesets / "senmayo.txt"))
    sasp_atlas = current(_read_list(genesets / "sasp_atlas_core_basisty2020.txt"))
    hs = pd.read_csv(genesets / "hernandez_segura_2017_core.tsv", sep="\t")
    fridman = _read_list(genesets / "FRIDMAN_SENESCENCE_UP.txt")
    core = current(set(hs.loc[hs["direction"] > 0, "gene"]) | fridman)
    cycle = cycle_genes(genesets)
    signatures = pd.read_csv(genesets / "senepy_human_v2_celltype.tsv", sep="\t")
    occurrence = signatures.drop_duplicates(["tissue", "cell", "gene"])["gene"].value_counts()
    senepy = current(set(occurrence.index[occurrence >= 10]))
    return {
        "SenMayo": senmayo,
        "CDKI": current({"CDKN1A", "CDKN2A", "CDKN2B"}),
        "non-SASP core": core - senmayo - sasp_atlas - cycle,
        "lysosomal": current({"GLB1", "TFEB", "CTSB"}),
        "senepy_pan": senepy - cycle,
    }


def candidates(parts: dict[str, frozenset[str]]) -> dict[str, Program]:
    """C1-C6 as senox programs."""
    p21_p16 = frozenset({"CDKN1A", "CDKN2A"})
    composite = parts["SenMayo"] | parts["CDKI"] | parts["non-SASP core"] | parts["lysosomal"]
    sets = {
        "C1 signed_current": (parts["SenMayo"] | p21_p16, frozenset({"LMNB1", "MKI67"})),
        "C2 senmayo_cdki": (parts["SenMayo"] | p21_p16, frozenset()),
        "C3 senmayo": (parts["SenMayo"], frozenset()),
        "C4 core_nonsasp": (parts["non-SASP core"], frozenset()),
        "C5 senepy_pan": (parts["senepy_pan"], frozenset()),
        "C6 composite": (composite, frozenset()),
    }
    return {name: Program(name, tuple(sorted(up)), tuple(sorted(down))) for name, (up, down) in sets.items()}  # fmt: skip


def ablations(parts: dict[str, frozenset[str]]) -> dict[str, Program]:
    """C6 without each component, and each component alone (reported, never candidates)."""
    names = ("SenMayo", "CDKI", "non-SASP core", "lysosomal")
    out = {}
    for name in names:
        rest = frozenset().union(*(parts[n] for n in names if n != name))
        out[f"C6 without {name}"] = Program(f"C6 without {name}", tuple(sorted(rest)))
        out[f"{name} alone"] = Program(f"{name} alone", tuple(sorted(parts[name])))
    return out


# ----------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Scored:
    """One set's scores: full data, arrest-free data, and the sen-axis z-scores."""

    full: pd.DataFrame
    arrest_free: pd.DataFrame
    sen_z: pd.DataFrame
    present: dict[str, int]


def _score(adata: ad.AnnData, names: pd.Index, keep: np.ndarray, programs: dict[str, Program]) -> pd.DataFrame:  # fmt: skip
    scores, _ = score_matrix(columns_of(adata.X, np.flatnonzero(keep)), names[keep], programs, method="rank", progress=False)  # fmt: skip
    scores.index = adata.obs_names
    return scores


def sen_axis_z(
    adata: ad.AnnData, names: pd.Index, program: Program, reference: pd.Series
) -> pd.Series:
    """The candidate as the states' ``sen`` axis would be, against ``reference``.

    :func:`senox.states._call.arrest_free_scores` itself, with the candidate in place of the
    ``senescence`` program and its up side (amendment after run 1), ``proliferation`` on the full
    data, all calibrated together by :func:`senox.states._calibrate.calibrate` (a small
    reference's spread shrunk and its z-scores predictive, as in ``senox.states``).
    """
    others = {k: v for k, v in catalogue().items() if k not in ("proliferation", "senescence")}
    scores = arrest_free_scores(adata, "rank", names, {**others, SENESCENCE_UP: program})
    full = _score(adata, names, np.ones(len(names), dtype=bool), {"proliferation": catalogue()["proliferation"]})  # fmt: skip
    scores["proliferation"] = full["proliferation"]
    z: pd.Series = calibrate(scores, reference).zscores(scores)[SENESCENCE_UP]
    return z


def score_set(
    name: str, adata: ad.AnnData, programs: dict[str, Program], arrest: frozenset[str]
) -> Scored:
    """Every program on the full data, on the arrest-free data, and as the sen axis."""
    names = human_gene_names(adata).names
    everything = np.ones(len(names), dtype=bool)
    full = _score(adata, names, everything, programs)
    arrest_free = _score(adata, names, ~names.isin(sorted(arrest)), programs)
    sen_z = pd.DataFrame(index=adata.obs_names)
    if name in SHARE_GROUPS:
        group = adata.obs[DESIGN[name]["group"]].astype(str)
        reference = group == SHARE_GROUPS[name][0]
        for program_name, program in programs.items():
            sen_z[program_name] = sen_axis_z(adata, names, Program("candidate", program.up), reference)  # fmt: skip
    present = {k: int(names.isin(list(p.genes)).sum()) for k, p in programs.items()}
    return Scored(full, arrest_free, sen_z, present)


def peer_figures(name: str, adata: ad.AnnData, shared: Path, target: pd.Series) -> dict[str, float]:  # fmt: skip
    """SenMayo (pyucell, scanpy) and hUSI run here; SenePy and DeepScence as recorded."""
    scores = peer_scores(adata, shared)
    husi, _ = score_husi(_log_normalised(adata), shared)
    scores["husi"] = husi
    out = {k: _association(v, target) for k, v in scores.items()}
    recorded = json.loads((HERE / "results" / "senescence_benchmark_peers.json").read_text())
    if name in recorded["datasets"]:
        aurocs = recorded["datasets"][name]["auroc"]
        out.update({f"{k} (recorded)": float(aurocs[k]) for k in RECORDED_PEERS})
    return out


def set_figures(
    name: str, adata: ad.AnnData, scored: Scored, shared: Path, *, with_peers: bool
) -> dict[str, Any]:
    """Association (full and arrest-free), sen-axis share, permutation null, peers."""
    group = adata.obs[DESIGN[name]["group"]].astype(str)
    target = DESIGN[name]["positive"](group)
    out: dict[str, Any] = {"n_obs": adata.n_obs, "present": scored.present}
    out["full"] = {k: _association(scored.full[k].to_numpy(), target) for k in scored.full}
    out["arrest_free"] = {
        k: _association(scored.arrest_free[k].to_numpy(), target) for k in scored.arrest_free
    }
    if name in SHARE_GROUPS:
        counted = group.isin(SHARE_GROUPS[name][1]).to_numpy()
        out["sen_share"] = {
            k: float((scored.sen_z[k].to_numpy()[counted] >= SEN_BAR).mean()) for k in scored.sen_z
        }
    if name == "marthandan2016":
        rng = np.random.default_rng(0)
        labels = target.to_numpy()
        perms = [rng.permutation(labels) for _ in range(N_PERMUTATIONS)]
        out["null_auroc_95"] = {
            k: float(np.quantile([auroc(scored.full[k].to_numpy(), p) for p in perms], 0.95))
            for k in scored.full
        }
    if with_peers:
        out["peers"] = peer_figures(name, adata, shared, target)
    return out


# ----------------------------------------------------------------------------- the rule


def judge(results: dict[str, dict[str, Any]], names: list[str]) -> dict[str, dict[str, Any]]:
    """E1-E3, the gap to the best peer, and the number of failed conditions, per candidate."""
    best = {s: max(results[s]["peers"].values()) for s in DECIDING}
    verdicts = {}
    for c in names:
        drops = {s: results[s]["full"][c] - results[s]["arrest_free"][c] for s in DECIDING}
        checks = {
            "E1 rat rho < 0.5": results[RAT]["full"][c] < RAT_RHO_BAR,
            "E2 rat sen share <= nominal": results[RAT]["sen_share"][c] <= NOMINAL_RATE,
            "E3 arrest drop <= 0.05": all(d <= ARREST_DROP for d in drops.values()),
        }
        gaps = {s: results[s]["full"][c] - best[s] for s in DECIDING}
        verdicts[c] = {
            "checks": checks,
            "failed": sum(not v for v in checks.values()),
            "drops": drops,
            "gaps": gaps,
            "gap": min(gaps.values()),
            "rat_rho": results[RAT]["full"][c],
            "n_genes": len(results["_programs"][c]),
        }
    return verdicts


def winner(verdicts: dict[str, dict[str, Any]]) -> str:
    """Fewest failed conditions (0 = eligible), then largest gap; ties within ``TIE``."""
    fewest = min(v["failed"] for v in verdicts.values())
    pool = {c: v for c, v in verdicts.items() if v["failed"] == fewest}
    top = max(v["gap"] for v in pool.values())
    tied = [c for c, v in pool.items() if v["gap"] >= top - TIE]
    return min(tied, key=lambda c: (pool[c]["rat_rho"], pool[c]["n_genes"]))


# ----------------------------------------------------------------------------- report


def _f(value: float) -> str:
    return f"{value:.3f}" if np.isfinite(value) else "–"


def report(results: dict[str, dict[str, Any]], verdicts: dict[str, dict[str, Any]], chosen: str, wall: float) -> str:  # fmt: skip
    """The Markdown page."""
    sets = list(LOADERS)
    cands = list(verdicts)
    lines = [
        "# Senescence-axis candidates on the shared sets (pre-registered in `axis_selection.md`)",
        "",
        f"Written by `validation/axis_selection.py`, {time.strftime('%Y-%m-%d')}, {wall:.0f} s. "
        "AUROC for labelled sets, Spearman ρ against PD / days for series. Scores: senox "
        "`rank` method. Arrest-free: the same with the cycle genes (proliferation program, "
        "Tirosh S and G2/M) and LMNB1, MKI67 removed from the data before scoring.",
        "",
        "## Candidates and peers (full data; arrest-free in brackets)",
        "",
    ]
    rows = []
    for c in cands:
        rows.append([c, str(len(results["_programs"][c])), *(
            f"{_f(results[s]['full'][c])} ({_f(results[s]['arrest_free'][c])})" for s in sets)])  # fmt: skip
    peers = sorted({p for s in sets for p in results[s]["peers"]})
    for p in peers:
        rows.append([f"peer: {p}", "", *(_f(results[s]["peers"].get(p, float("nan"))) for s in sets)])  # fmt: skip
    lines += [markdown_table(["score", "genes", *sets], rows), ""]
    lines += ["Genes present per set: " + "; ".join(
        f"{s}: " + ", ".join(f"{c.split()[0]} {results[s]['present'][c]}" for c in cands) for s in sets), ""]  # fmt: skip
    lines += ["## The rule", ""]
    rows = []
    for c, v in verdicts.items():
        rows.append([c, *("yes" if ok else "**no**" for ok in v["checks"].values()),
                     _f(results[RAT]["sen_share"][c]),
                     ", ".join(f"{s} {_f(d)}" for s, d in v["drops"].items()),
                     ", ".join(f"{s} {v['gaps'][s]:+.3f}" for s in DECIDING), f"{v['gap']:+.3f}"])  # fmt: skip
    header = ["candidate", *next(iter(verdicts.values()))["checks"], "rat sen share",
              "arrest drop", "gap to best peer", "min gap"]  # fmt: skip
    lines += [markdown_table(header, rows), ""]
    best = {s: max(results[s]["peers"].items(), key=lambda kv: kv[1]) for s in DECIDING}
    lines += ["Best peer: " + "; ".join(f"{s} {p} {_f(v)}" for s, (p, v) in best.items()), ""]
    failed = [k for k, ok in verdicts[chosen]["checks"].items() if not ok]
    lines += [f"**Winner: {chosen}**" + (f" (fails {', '.join(failed)}: no candidate met every condition)" if failed else " (meets E1-E3)"), ""]  # fmt: skip
    lines += ["## Ablation of C6 (each component removed, and alone)", ""]
    rows = [[a, str(len(results["_programs"][a])), *(
        f"{_f(results[s]['full'][a])} ({_f(results[s]['arrest_free'][a])})" for s in sets),
        _f(results[RAT]["sen_share"][a])] for a in results["_ablations"]]  # fmt: skip
    rows.insert(0, ["C6 composite", str(len(results["_programs"]["C6 composite"])), *(
        f"{_f(results[s]['full']['C6 composite'])} ({_f(results[s]['arrest_free']['C6 composite'])})" for s in sets),
        _f(results[RAT]["sen_share"]["C6 composite"])])  # fmt: skip
    lines += [markdown_table(["score", "genes", *sets, "rat sen share"], rows), ""]
    lines += ["## Sen-axis share (z >= 1.5 against the reference) and the permutation null", ""]
    rows = [[c, *(_f(results[s]["sen_share"][c]) for s in SHARE_GROUPS),
             _f(results["marthandan2016"]["null_auroc_95"][c])] for c in cands]  # fmt: skip
    header = ["candidate", *(f"{s}: {', '.join(SHARE_GROUPS[s][1])} vs {SHARE_GROUPS[s][0]}" for s in SHARE_GROUPS), "marthandan2016 permuted AUROC, 95th pct"]  # fmt: skip
    lines += [markdown_table(header, rows), ""]
    return "\n".join(lines)


def main() -> None:
    """Score every candidate and ablation on every set; apply the rule; write the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--shared", type=Path, default=HERE.parents[1] / "shared")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "axis_selection.md")
    args = parser.parse_args()
    started = time.perf_counter()
    genesets = args.shared / "data" / "genesets"
    parts = components(genesets)
    cands, ablated = candidates(parts), ablations(parts)
    programs = {**cands, **ablated}
    arrest = cycle_genes(genesets) | {"LMNB1", "MKI67"}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, loader in LOADERS.items():
            print(f"{name} ...", file=sys.stderr, flush=True)
            adata = loader(args.shared, Path(tmp))
            scored = score_set(name, adata, programs, arrest)
            results[name] = set_figures(name, adata, scored, args.shared, with_peers=True)
    results["_programs"] = {k: list(p.up) + [f"{g}-" for g in p.down] for k, p in programs.items()}
    results["_ablations"] = list(ablated)
    verdicts = judge(results, list(cands))
    chosen = winner(verdicts)
    results["_verdicts"] = verdicts
    results["_winner"] = chosen
    text = report(results, verdicts, chosen, time.perf_counter() - started)
    write_results(args.out, text, results)


if __name__ == "__main__":
    main()
