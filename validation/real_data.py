"""senox on every real data set in ../shared/data, against what the biology says (`make validate`).

For each set: the senescence score's AUROC (or Spearman rho) against the known labels, side by
side with SenMayo scored by pyucell (UCell) and by scanpy's ``score_genes``; the state calls with
and without a reference, as a confusion table; the checks of `expectations.py` (written before
this script first ran), each a hit or a miss; the null checks; and whether ``senox score``,
``senox states`` and ``senox run`` finish on the set's own files and sample sheet. Writes
``validation/results/real_data.md`` and ``.json``. Usage:

    python validation/real_data.py [--shared ../shared] [--skip-cli]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anndata as ad
import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from _report import auroc, markdown_table, write_results
from expectations import EXPECTATIONS, NOMINAL_RATE, Expectation
from senox import io
from senox.score import score_programs
from senox.states import call_states

if TYPE_CHECKING:
    from collections.abc import Callable

HERE = Path(__file__).resolve().parent
SENESCENT = ("senescent_inflammatory", "senescent_p53")
CYCLING = ("proliferating", "escape_like")
#: PC9's shallow barcodes: keep those with at least this many UMIs (the README's advice).
PC9_MIN_UMIS = 500


# ----------------------------------------------------------------------------- loading


def _own(name: str, shared: Path) -> dict[str, Any] | None:
    """The set's own files as ``senox.io.read`` takes them: path, sample sheet, species, orthologs.

    ``None`` for PC9: its two per-condition tables cannot be one input (:func:`pc9`).
    """
    data = shared / "data"
    rat = data / "ref_rat_quiescence_depth"
    return {
        "marthandan2016": {
            "path": data / "marthandan2016" / "marthandan2016_expression.csv.gz",
            "obs": data / "marthandan2016" / "marthandan2016_samples.csv",
        },
        "marthandan_pd": {
            "path": data / "marthandan2016_pd_series_counts" / "pd_raw_counts.csv.gz",
            "obs": data / "marthandan2016_pd_series_counts" / "pd_samples.csv",
        },
        "rat_quiescence": {
            "path": rat / "ref_raw_counts.csv.gz",
            "obs": rat / "ref_samples.csv",
            "species": "rat",
            "orthologs": rat / "rat_human_orthologs_ensembl.tsv.gz",
        },
        "chan2024": {"path": data / "chan2024_kras_ois" / "counts.mtx.gz"},
    }.get(name)


def _read_own(name: str, shared: Path) -> ad.AnnData:
    """The set read from its own files and sample sheet, as a user reads it."""
    own = _own(name, shared)
    assert own is not None
    return io.read(**own)


def marthandan(shared: Path, work: Path) -> ad.AnnData:
    """Bulk, 39 fibroblast samples of 5 strains: 18 senescent, 21 proliferating; symbols."""
    return _read_own("marthandan2016", shared)


def marthandan_pd(shared: Path, work: Path) -> ad.AnnData:
    """Bulk, one strain at PD16/26/46/64/74, 3 each; raw counts, Ensembl IDs."""
    return _read_own("marthandan_pd", shared)


def rat_quiescence(shared: Path, work: Path) -> ad.AnnData:
    """Bulk rat fibroblasts, 2-16 days serum-starved, 3 each; through the rat ortholog table."""
    return _read_own("rat_quiescence", shared)


def chan(shared: Path, work: Path) -> ad.AnnData:
    """Mouse hepatocytes: 332 KRAS-induced (D12) vs 168 control (mV) cells; raw counts."""
    return _read_own("chan2024", shared)


def pc9(shared: Path, work: Path) -> ad.AnnData:
    """PC9 cells, day-11 control vs day-11 erlotinib persisters (barcodes with >= 500 UMIs).

    Each condition's table is read by ``senox.io.read``, and the two are joined as scverse
    joins samples (``anndata.concat``; barcodes repeat across the files, so each gets its
    condition as a suffix).
    """
    folder = shared / "data" / "pc9_erlotinib_persisters"
    parts = {}
    for condition in ("control", "Erlotinib"):
        adata = io.read(folder / f"Day11_{condition}.txt.gz")
        umis = np.asarray(adata.layers["counts"].sum(axis=1)).ravel()
        parts[condition] = adata[umis >= PC9_MIN_UMIS].copy()
    return ad.concat(
        parts, join="outer", label="condition", index_unique="_", fill_value=0,
        merge="first", uns_merge="first",
    )  # fmt: skip


LOADERS: dict[str, Callable[[Path, Path], ad.AnnData]] = {
    "marthandan2016": marthandan,
    "marthandan_pd": marthandan_pd,
    "rat_quiescence": rat_quiescence,
    "chan2024": chan,
    "pc9_persisters": pc9,
}

#: Per set: the label column, the "positive" label test, the reference (COLUMN=VALUE) and the
#: group column of the confusion table.
DESIGN: dict[str, dict[str, Any]] = {
    "marthandan2016": {"group": "Condition", "positive": lambda s: s == "Senescent",
                       "reference": "Condition=Proliferative"},
    "marthandan_pd": {"group": "population_doublings",
                      "positive": lambda s: s.astype(float),  # Spearman against PD
                      "reference": "population_doublings=16"},
    "rat_quiescence": {"group": "Day", "positive": lambda s: s.astype(float),
                       "reference": "Day=2"},
    "chan2024": {"group": "condition", "positive": lambda s: s == "D12",
                 "reference": "condition=mV"},
    "pc9_persisters": {"group": "condition", "positive": lambda s: s == "Erlotinib",
                       "reference": "condition=control"},
}  # fmt: skip


#: What each set's samples are (``senox run --context``): fibroblasts are normal cells, the
#: KRAS-induced hepatocytes an oncogene-driven (pre)neoplastic tissue, PC9 a cancer cell line.
CONTEXT = {
    "marthandan2016": "normal",
    "marthandan_pd": "normal",
    "rat_quiescence": "normal",
    "chan2024": "tumor",
    "pc9_persisters": "cell-line",
}


# ----------------------------------------------------------------------------- measuring


def _senmayo(shared: Path) -> list[str]:
    return (shared / "data" / "genesets" / "senmayo.txt").read_text().split()


def _log_normalised(adata: ad.AnnData) -> ad.AnnData:
    import scanpy as sc

    work = ad.AnnData(adata.layers.get("counts", adata.X))
    work.obs_names, work.var_names = adata.obs_names, adata.var_names
    sc.pp.normalize_total(work, target_sum=1e4)
    sc.pp.log1p(work)
    return work


def peer_scores(adata: ad.AnnData, shared: Path) -> dict[str, np.ndarray]:
    """SenMayo by pyucell (UCell) and by scanpy ``score_genes``, on log-normalised data."""
    import pyucell
    import scanpy as sc

    genes = [g for g in _senmayo(shared) if g in adata.var_names]
    work = _log_normalised(adata)
    pyucell.compute_ucell_scores(work, signatures={"SenMayo": genes}, n_jobs=1)
    sc.tl.score_genes(work, genes, score_name="senmayo_scanpy", random_state=0)
    return {
        "senmayo_ucell": work.obs["SenMayo_UCell"].to_numpy(dtype=float),
        "senmayo_scanpy": work.obs["senmayo_scanpy"].to_numpy(dtype=float),
    }


def _association(values: np.ndarray, target: pd.Series) -> float:
    if target.dtype == bool:
        return auroc(values, target.to_numpy())
    return float(spearmanr(values, target.to_numpy()).statistic)


def _states(adata: ad.AnnData, reference: str | None) -> pd.Series:
    return _called(adata, reference)[0]


def _called(adata: ad.AnnData, reference: str | None) -> tuple[pd.Series, dict[str, Any]]:
    """The state calls, and the states record (cycling rule, warnings) with the axes."""
    work = adata.copy()
    call_states(work, reference=reference)
    record = {**work.uns["senox"]["states"], "axes": work.obsm["senox_axes"]}
    return work.obs["senox_state"].astype(str), record


#: Axes whose medians per group the diagnosis shows (senox.states.describe_rules()).
DIAGNOSED_AXES = ("cycling", "sen", "sasp")


def _diagnosis(group: pd.Series, record: dict[str, Any]) -> dict[str, Any]:
    """Why calls fell where they did: the cycling rule, the warnings, axis medians per group."""
    rule = record["cycling_rule"]
    medians = record["axes"].groupby(group.to_numpy())[list(DIAGNOSED_AXES)].median()
    return {
        "rule": rule["rule"],
        "reference_cycles": rule.get("reference_cycles"),
        "warnings": [re.split(r"\.\s+(?=[A-Z])", w)[0].rstrip(".") for w in record["warnings"]],
        "medians": medians.round(2).to_dict(orient="index"),
    }


def _shown(value: float) -> str:
    """Three decimals; a non-zero value that would print as 0.000 keeps two significant digits."""
    return f"{value:.2g}" if value and abs(value) < 0.0005 else f"{value:.3f}"


def _share(states: pd.Series, mask: pd.Series | np.ndarray, kinds: tuple[str, ...]) -> float:
    chosen = states[np.asarray(mask)]
    return float(chosen.isin(kinds).mean()) if len(chosen) else float("nan")


def figures(name: str, adata: ad.AnnData, shared: Path) -> dict[str, Any]:
    """Every figure the expectations and the tables need, for one data set."""
    design = DESIGN[name]
    group = adata.obs[design["group"]].astype(str)
    target = design["positive"](group)
    score_programs(adata)
    scores = adata.obsm["senox_scores"]
    peers = peer_scores(adata, shared)
    out: dict[str, Any] = {"n_obs": adata.n_obs, "n_genes": adata.n_vars}
    out["association"] = {
        "senox senescence": _association(scores["senescence"].to_numpy(), target),
        **{k: _association(v, target) for k, v in peers.items()},
    }
    out["auroc_senescence"] = out["spearman_senescence_pd"] = out["spearman_senescence_day"] = out[
        "association"
    ]["senox senescence"]
    if target.dtype == bool:
        out["auroc_antioxidant"] = auroc(scores["antioxidant"].to_numpy(), target.to_numpy())
    (ref, ref_record), (noref, noref_record) = (
        _called(adata, design["reference"]),
        _called(adata, None),
    )
    out["diagnosis"] = {
        "reference": _diagnosis(group, ref_record),
        "no reference": _diagnosis(group, noref_record),
    }
    out["confusion"] = {
        "reference": pd.crosstab(group, ref).to_dict(),
        "no reference": pd.crosstab(group, noref).to_dict(),
    }
    out.update(_shares(name, group, ref, noref))
    if name == "rat_quiescence":
        out["by_day"] = _rat_by_day(group, ref, noref)
    return out


def _shares(name: str, group: pd.Series, ref: pd.Series, noref: pd.Series) -> dict[str, float]:
    """The state-call shares the expectations name."""
    if name == "marthandan2016":
        sen, pro = group == "Senescent", group == "Proliferative"
        return {
            "ref_senescent_share_of_senescent": _share(ref, sen, SENESCENT),
            "ref_senescent_share_of_proliferating": _share(ref, pro, SENESCENT),
            "ref_cycling_share_of_senescent": _share(ref, sen, CYCLING),
            "noref_senescent_share_of_senescent": _share(noref, sen, SENESCENT),
            "noref_senescent_share_of_proliferating": _share(noref, pro, SENESCENT),
        }
    if name == "marthandan_pd":
        late, early = group.isin(["64", "74"]), group.isin(["16", "26"])
        return {
            "ref_senescent_share_of_late": _share(ref, late, SENESCENT),
            "ref_senescent_share_of_early": _share(ref, early, SENESCENT),
            "ref_cycling_share_of_late": _share(ref, late, CYCLING),
            "noref_cycling_share_of_late": _share(noref, late, CYCLING),
            "ref_cycling_share_of_early": _share(ref, early, CYCLING),
            "noref_senescent_share_of_late": _share(noref, late, SENESCENT),
            "noref_senescent_share_of_early": _share(noref, early, SENESCENT),
        }
    if name == "rat_quiescence":
        later = group != "2"
        return {
            "noref_senescent_share": _share(noref, group == group, SENESCENT),
            "ref_senescent_share": _share(ref, later, SENESCENT),
            "noref_cycling_share": _share(noref, group == group, CYCLING),
            "ref_cycling_share": _share(ref, later, CYCLING),
        }
    if name == "chan2024":
        d12, mv = group == "D12", group == "mV"
        return {
            "ref_senescent_share_d12_minus_mv": _share(ref, d12, SENESCENT)
            - _share(ref, mv, SENESCENT),
            "ref_senescent_share_of_mv": _share(ref, mv, SENESCENT),
        }
    erl, ctl = group == "Erlotinib", group == "control"
    return {
        "escape_share_erlotinib_minus_control": _share(ref, erl, ("escape_like",))
        - _share(ref, ctl, ("escape_like",))
    }


#: Reference sizes of the null: the usual bulk designs (2, 3) and the earlier 5.
NULL_REFERENCE_SIZES = (2, 3, 5)
#: Random references drawn per size (each a seed of the null).
NULL_DRAWS = 20


def _null_shares(proliferating: ad.AnnData, size: int, rng: np.random.Generator) -> list[float]:
    """Share called senescent_* among the others, for ``NULL_DRAWS`` random references."""
    shares = []
    for _ in range(NULL_DRAWS):
        chosen = rng.choice(proliferating.n_obs, size=size, replace=False)
        proliferating.obs["ref"] = "no"
        proliferating.obs.iloc[chosen, proliferating.obs.columns.get_loc("ref")] = "yes"
        states = _states(proliferating, "ref=yes")
        shares.append(_share(states, proliferating.obs["ref"] == "no", SENESCENT))
    return shares


#: Samples of a bulk design drawn for the null without a reference.
NULL_DESIGN_SIZE = 6


def _null_noref_shares(proliferating: ad.AnnData, rng: np.random.Generator) -> list[float]:
    """Share called senescent_* in random designs of proliferating samples, no reference.

    ``NULL_DRAWS`` designs of ``NULL_DESIGN_SIZE`` samples each.
    """
    shares = []
    for _ in range(NULL_DRAWS):
        chosen = rng.choice(proliferating.n_obs, size=NULL_DESIGN_SIZE, replace=False)
        design = proliferating[np.sort(chosen)].copy()
        states = _states(design, None)
        shares.append(_share(states, design.obs["Condition"] == "Proliferative", SENESCENT))
    return shares


def null_figures(shared: Path, work: Path, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Marthandan without senescence biology: proliferating samples only, and permuted labels.

    The null of the state calls: Marthandan's 21 proliferating samples (5 strains) alone, a
    random 2, 3 or 5 of them named the reference, ``NULL_DRAWS`` draws each; no sample carries
    senescence biology, so every ``senescent_*`` call is a false one.
    """
    rng = np.random.default_rng(seed)
    adata = marthandan(shared, work)
    proliferating = adata[adata.obs["Condition"] == "Proliferative"].copy()
    by_size = {size: _null_shares(proliferating, size, rng) for size in NULL_REFERENCE_SIZES}
    noref = _null_noref_shares(proliferating, rng)
    score_programs(adata)
    values = adata.obsm["senox_scores"]["senescence"].to_numpy()
    labels = (adata.obs["Condition"] == "Senescent").to_numpy()
    permuted = [auroc(values, rng.permutation(labels)) for _ in range(200)]
    return {
        "null_marthandan_proliferating": {
            "mean_senescent_share": float(np.mean(by_size[5])),
            "max_senescent_share": float(np.max(by_size[5])),
            "n_references": len(by_size[5]),
            **{f"mean_senescent_share_ref{k}": float(np.mean(v)) for k, v in by_size.items()},
            **{f"max_senescent_share_ref{k}": float(np.max(v)) for k, v in by_size.items()},
            f"mean_senescent_share_noref{NULL_DESIGN_SIZE}": float(np.mean(noref)),
            f"max_senescent_share_noref{NULL_DESIGN_SIZE}": float(np.max(noref)),
        },
        "null_marthandan_permuted": {
            "auroc_95th_percentile": float(np.quantile(permuted, 0.95)),
            "auroc_median": float(np.median(permuted)),
        },
    }


def _rat_by_day(group: pd.Series, ref: pd.Series, noref: pd.Series) -> dict[str, dict[str, float]]:
    """Per day of starvation: share senescent_* and share cycling, with and without day 2."""
    days = sorted(group.unique(), key=float)
    return {
        day: {
            "n": int((group == day).sum()),
            "senescent, day-2 reference": _share(ref, group == day, SENESCENT),
            "senescent, no reference": _share(noref, group == day, SENESCENT),
            "cycling, day-2 reference": _share(ref, group == day, CYCLING),
            "cycling, no reference": _share(noref, group == day, CYCLING),
        }
        for day in days
    }


# ----------------------------------------------------------------------------- the CLI


def cli_runs(name: str, adata: ad.AnnData, work: Path, shared: Path) -> dict[str, str]:
    """``senox score``, ``states`` and ``run`` on the set's own files and sample sheet."""
    own = _own(name, shared)
    if own is None:
        own = {"path": work / f"{name}_input.h5ad"}
        group = adata.obs[[DESIGN[name]["group"]]]
        saved = ad.AnnData(adata.layers.get("counts", adata.X), obs=group)
        saved.var_names = adata.var_names
        saved.write_h5ad(own["path"])
    path = own["path"]
    options = [x for key in ("obs", "species", "orthologs") if key in own
               for x in (f"--{key}", own[key])]  # fmt: skip
    reference = ["--reference", DESIGN[name]["reference"]]
    commands = {
        "score": ["score", path, *options, "--out", work / f"{name}_scores.tsv"],
        "states": ["states", path, *options, "--out", work / f"{name}_states.tsv", *reference],
        "run": ["run", path, *options, "--out", work / f"{name}_run", *reference,
                "--groupby", DESIGN[name]["group"], "--cohort", "4",
                "--context", CONTEXT[name]],
    }  # fmt: skip
    results = {}
    for verb, args in commands.items():
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "senox", *map(str, args)],
            capture_output=True, text=True, check=False, timeout=1800,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
        traceback = "Traceback" in proc.stderr
        results[verb] = (
            f"ok ({seconds:.0f} s)"
            if proc.returncode == 0
            else f"{'TRACEBACK' if traceback else 'error'} (exit {proc.returncode}): {last[:160]}"
        )
    return results


# ----------------------------------------------------------------------------- judging


def judge(expectation: Expectation, value: float) -> bool:
    """Whether ``value`` meets the expectation's bar."""
    ops: dict[str, Callable[[float, float], bool]] = {
        ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
        "<": lambda a, b: a < b, "==": lambda a, b: abs(a - b) < 1e-12,
    }  # fmt: skip
    return bool(np.isfinite(value) and ops[expectation.op](value, expectation.bar))


def _null_section(results: dict[str, dict[str, Any]]) -> list[str]:
    """The null and specificity table (issue 13 item 5)."""
    null = results.get("null_marthandan_proliferating", {})
    lines = [
        "## Null and specificity (no senescence biology)",
        "",
        f"Nominal rate: {NOMINAL_RATE:.1%}, the one-sided normal tail beyond the senescent bar "
        "(sen >= 1.5 SD; the arrest condition can only lower it). Null: Marthandan's 21 "
        f"proliferating samples alone, a random 2, 3 or 5 named the reference, {NULL_DRAWS} "
        "draws each; the share of the other samples called senescent_*. Without a reference: "
        f"{NULL_DRAWS} random designs of {NULL_DESIGN_SIZE} of those samples, the share of all "
        "called senescent_*.",
        "",
    ]
    rows = [[str(k), f"{null.get(f'mean_senescent_share_ref{k}', float('nan')):.3f}",
             f"{null.get(f'max_senescent_share_ref{k}', float('nan')):.3f}"]
            for k in NULL_REFERENCE_SIZES]  # fmt: skip
    size = NULL_DESIGN_SIZE
    rows.append([f"none ({size} samples a design)",
                 f"{null.get(f'mean_senescent_share_noref{size}', float('nan')):.3f}",
                 f"{null.get(f'max_senescent_share_noref{size}', float('nan')):.3f}"])  # fmt: skip
    lines += [markdown_table(["reference size", "mean share senescent", "max share"], rows), ""]
    by_day = results.get("rat_quiescence", {}).get("by_day", {})
    if by_day:
        columns = list(next(iter(by_day.values())))
        rows = [[day, *(f"{v[c]:.3f}" if c != "n" else str(v[c]) for c in columns)]
                for day, v in by_day.items()]  # fmt: skip
        lines += ["Rat quiescence series (2-16 days of serum starvation; no sample senescent):", ""]
        lines += [markdown_table(["day", *columns], rows), ""]
    return lines


def report(results: dict[str, dict[str, Any]], wall: float) -> str:
    """The Markdown page: expectations, associations, confusion tables, CLI runs."""
    lines = [
        "# senox on the real data sets in ../shared/data",
        "",
        f"Written by `validation/real_data.py` (`make validate`), {time.strftime('%Y-%m-%d')}, "
        f"{wall:.0f} s. Expectations: `validation/expectations.py`, written before the first "
        f"run. Nominal rate of senescent calls on data without senescence: {NOMINAL_RATE:.1%}.",
        "",
        "## Expected biology: hits and misses",
        "",
    ]
    rows, hits = [], 0
    for e in EXPECTATIONS:
        value = results.get(e.dataset, {}).get(e.check, float("nan"))
        hit = judge(e, value)
        hits += hit
        rows.append([e.dataset, e.check, f"{e.op} {e.bar:.3g}", _shown(value),
                     "hit" if hit else "**miss**", e.why + (f" ({e.note})" if e.note else "")])  # fmt: skip
    lines += [markdown_table(["set", "check", "bar", "senox", "", "why"], rows), ""]
    lines += [f"{hits} of {len(EXPECTATIONS)} expectations met.", ""]
    lines += ["## Senescence score against the labels (AUROC; Spearman rho for series)", ""]
    assoc = [[name, f"{r['n_obs']}", *(f"{v:.3f}" for v in r["association"].values())]
             for name, r in results.items() if "association" in r]  # fmt: skip
    lines += [markdown_table(["set", "n", "senox senescence", "SenMayo UCell", "SenMayo scanpy"], assoc), ""]  # fmt: skip
    lines += _null_section(results)
    lines += ["## State calls (rows: the set's groups)", ""]
    for name, r in results.items():
        for kind, table in r.get("confusion", {}).items():
            frame = pd.DataFrame(table).fillna(0).astype(int)
            header = ["group", *frame.columns]
            body = [[str(i), *(str(v) for v in row)] for i, row in frame.iterrows()]
            lines += [f"**{name}, {kind}**", "", markdown_table(header, body), ""]
    lines += _diagnosis_section(results)
    lines += ["## The command line on each set", ""]
    cli = [[name, *r["cli"].values()] for name, r in results.items() if "cli" in r]
    lines += [markdown_table(["set", "senox score", "senox states", "senox run"], cli), ""]
    return "\n".join(lines)


def _diagnosis_section(results: dict[str, dict[str, Any]]) -> list[str]:
    """Per set and reference mode: the rule that judged arrest, the warnings, axis medians."""
    lines = [
        "## Why the calls fell where they did",
        "",
        "The rule that judged arrest (`mixture`, `reference`, `split` or `sign`; with a reference, "
        "whether the sign rule found the reference cycling), the first sentence of each warning the "
        "calls carried, and each group's median of the axes the rules read (`cycling` >= 0 is "
        "cycling; `sen` >= 1.5 with arrest is senescent; `sasp` >= 1.5 leaves an arrested call "
        "`other`). Shown to explain misses; nothing here is judged.",
        "",
    ]
    for name, r in results.items():
        for kind, d in r.get("diagnosis", {}).items():
            cycles = d["reference_cycles"]
            rule = d["rule"] + ("" if cycles is None else f" (reference cycling: {cycles})")
            lines += [f"**{name}, {kind}**: arrest judged by `{rule}`."]
            lines += [f"Warning: {w}." for w in d["warnings"]]
            body = [[g, *(f"{m[a]:.2f}" for a in DIAGNOSED_AXES)] for g, m in d["medians"].items()]
            lines += ["", markdown_table(["group", *DIAGNOSED_AXES], body), ""]
    return lines


def main() -> None:
    """Run every set, judge the expectations, write the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--shared", type=Path, default=HERE.parents[1] / "shared")
    parser.add_argument("--skip-cli", action="store_true", help="Leave out the CLI runs.")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "real_data.md")
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, loader in LOADERS.items():
            print(f"{name} ...", file=sys.stderr, flush=True)
            adata = loader(args.shared, work)
            results[name] = figures(name, adata, args.shared)
            if not args.skip_cli:
                results[name]["cli"] = cli_runs(name, adata, work, args.shared)
        results.update(null_figures(args.shared, work))
    text = report(results, time.perf_counter() - started)
    write_results(args.out, text, results)


if __name__ == "__main__":
    main()
