"""Side-by-side wall time and peak memory of ``senox run`` against the scanpy chain it replaces.

For each size, a synthetic count matrix (20,000 human protein-coding genes, about 6 % non-zero,
8 samples; seeded) is written once to ``--workdir`` as ``.h5ad``. Then, each in a fresh process:

- ``senox``: ``python -m senox run INPUT --out DIR --groupby sample`` plus ``--senox-args``
  (default ``--backed``: the matrix is read a block of rows at a time);
- ``scanpy``: the chain a user would otherwise write: ``read_h5ad``, ``normalize_total``,
  ``log1p``, ``highly_variable_genes`` (2,000 genes), ``sc.pp.pca`` (2 components) on them, and
  ``sc.tl.score_genes`` for each senox catalogue program.

Wall time and peak resident memory (the child process and its descendants, sampled every 50 ms
from /proc) are recorded; with ``--repeats``, the tools alternate and the medians are
reported. The ratio is scanpy over senox; the cost per cell (µs of wall time) shows whether time
grows linearly with cells. The scanpy chain does less than ``senox run`` (no state calls,
vulnerabilities, simulation or report).

    python benchmarks/bench_run.py                          # 100k and 300k cells
    python benchmarks/bench_run.py --sizes 100000,300000,1000000 --repeats 3
    python benchmarks/bench_run.py --sizes 1000000 --tools senox
    PYTHONPATH=/path/to/src python benchmarks/bench_run.py  # time another checkout's senox

The 100,000-cell report is then loaded in headless Chromium
(``tests/report/browser_checks.py``, skipped without a ``chromium`` binary): the figures that
decoded, the tables DataTables took over, a sort and a search in the strategies table, and any
request the page made are recorded with the results. Each run also records the machine's load
average (``/proc/loadavg``) when it started: other jobs on the same cores slow every tool.

Results go to ``benchmarks/results/bench_run.json`` and ``bench_run.md`` (the table is printed).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench_score import tree_rss_bytes  # the same /proc reading for both benchmarks

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the browser checks live with the tests
N_GENES = 20_000
DENSITY = 0.06
N_SAMPLES = 8
#: Rows generated (and appended to the file) at a time.
BLOCK = 20_000
TOOLS = ("senox", "scanpy")
#: The size whose report is checked in a browser (issue 17).
BROWSER_CELLS = 100_000
GENE_TABLE = HERE.parent / "src" / "senox" / "data" / "genes" / "hgnc.tsv.gz"


def gene_names(seed: int = 0) -> list[str]:
    """``N_GENES`` human symbols from senox's HGNC table: every protein-coding one, then others.

    The others (non-coding and the rest) are drawn with a fixed seed to fill up to ``N_GENES``.
    """
    with gzip.open(GENE_TABLE, "rt", encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        symbol, group = header.index("symbol"), header.index("locus_group")
        rows = [line.rstrip("\n").split("\t") for line in fh]
    coding = [f[symbol] for f in rows if f[group] == "protein-coding gene"]
    others = [f[symbol] for f in rows if f[group] != "protein-coding gene"]
    extra = np.random.default_rng(seed).choice(others, size=N_GENES - len(coding), replace=False)
    return sorted([*coding, *extra.tolist()])


def count_block(n_cells: int, detection: np.ndarray, rng: np.random.Generator) -> object:
    """A CSR block of integer counts (float32): gene ``g`` detected with ``detection[g]``.

    Each gene's detecting cells are drawn with replacement (repeats add up), counts are
    geometric (p = 0.45), and each cell keeps a share of them that varies with its depth (log-normal).
    """
    from scipy import sparse

    per_gene = rng.binomial(n_cells, detection)
    genes = np.repeat(np.arange(len(detection), dtype=np.int32), per_gene)
    cells = rng.integers(0, n_cells, size=len(genes), dtype=np.int32)
    depth = rng.lognormal(0.0, 0.5, size=n_cells)
    keep = rng.random(len(genes)) < np.minimum(depth[cells] / 2, 1.0)
    values = rng.geometric(0.45, size=int(keep.sum())).astype(np.float32)
    block = sparse.csr_matrix(
        (values, (cells[keep], genes[keep])), shape=(n_cells, len(detection)), dtype=np.float32
    )
    block.sum_duplicates()
    return block


def dataset(workdir: Path, n_cells: int, seed: int = 0) -> Path:
    """The ``.h5ad`` of ``n_cells`` cells (made once; written block by block, never whole)."""
    import anndata as ad
    import h5py
    import pandas as pd
    from anndata.io import sparse_dataset, write_elem

    path = workdir / f"run_cells{n_cells}.h5ad"
    if path.exists():
        return path
    workdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, n_cells])
    detection = rng.gamma(0.5, 1.0, size=N_GENES)
    detection = np.minimum(detection / detection.mean() * DENSITY * 2, 0.95)
    obs = pd.DataFrame(
        {"sample": pd.Categorical([f"s{i % N_SAMPLES}" for i in range(n_cells)])},
        index=[f"c{i}" for i in range(n_cells)],
    )
    tmp = path.with_suffix(".tmp")
    ad.AnnData(obs=obs, var=pd.DataFrame(index=gene_names(seed))).write_h5ad(tmp)
    with h5py.File(tmp, "a") as f:
        for start in range(0, n_cells, BLOCK):
            block = count_block(min(BLOCK, n_cells - start), detection, rng)
            if start == 0:
                write_elem(f, "X", block)
                matrix = sparse_dataset(f["X"])
            else:
                matrix.append(block)
    tmp.rename(path)
    return path


def load_average() -> list[float]:
    """The 1-, 5- and 15-minute load averages of the machine."""
    return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]


def browser_check(report: Path) -> dict[str, object]:
    """What headless Chromium made of ``report`` (or why it was not checked)."""
    from tests.browser import CHROMIUM
    from tests.report.browser_checks import check_report

    if CHROMIUM is None:
        return {"skipped": "no chromium binary"}
    with tempfile.TemporaryDirectory() as tmp:
        seen: dict[str, object] = check_report(report, Path(tmp))
    probe = seen["probe"]
    seen["passed"] = bool(
        seen["figures_rendered"] == seen["figures_expected"]
        and seen["tables_ready"] == seen["tables"]
        and isinstance(probe, dict)
        and "error" not in probe
        and probe["blocked"] == []
        and probe["searched"]
        and len(probe["searched"]) < len(probe["shown"])
    )
    return seen


def timed(command: list[str]) -> dict[str, object]:
    """Run ``command``; its wall time, the peak RSS of its process tree, and its exit status."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = 0

    def sample() -> None:
        nonlocal peak
        while child.poll() is None:
            peak = max(peak, tree_rss_bytes(child.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = child.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    result: dict[str, object] = {"wall_s": round(wall, 1), "peak_rss_gb": round(peak / 1024**3, 2)}
    result["step_s"] = _step_timings(err.decode(errors="replace"))
    if child.returncode != 0:
        result["error"] = err.decode(errors="replace")[-500:]
    return result


def _step_timings(stderr: str) -> dict[str, float]:
    """``senox run``'s per-step wall times from its ``✓ step (N s)`` lines (empty for scanpy)."""
    import re

    return {m[1]: float(m[2]) for m in re.finditer(r"✓ (.+?) \(([\d.]+) s\)", stderr)}


SCANPY_CHAIN = """
import sys, anndata as ad, scanpy as sc
from senox.programs import catalogue
adata = ad.read_h5ad(sys.argv[1])
sc.pp.normalize_total(adata, target_sum=1e4)
sc.pp.log1p(adata)
sc.pp.highly_variable_genes(adata, n_top_genes=2000, flavor="seurat")
sc.pp.pca(adata, n_comps=2, mask_var="highly_variable", random_state=0)
for name, program in catalogue().items():
    genes = [g for g in program.genes if g in adata.var_names]
    if genes:
        sc.tl.score_genes(adata, genes, score_name=name, random_state=0)
"""


def command(tool: str, path: Path, out: Path, senox_args: list[str]) -> list[str]:
    """The command line measured for ``tool`` on ``path``."""
    if tool == "senox":
        return [sys.executable, "-m", "senox", "run", str(path), "--out", str(out),
                "--groupby", "sample", *senox_args]  # fmt: skip
    if tool == "scanpy":
        return [sys.executable, "-c", SCANPY_CHAIN, str(path)]
    msg = f"unknown tool {tool}"
    raise ValueError(msg)


def medians(runs: list[dict[str, object]]) -> list[dict[str, object]]:
    """One row per (cells, tool): median wall and peak RSS over its successful runs."""
    rows = []
    for key in dict.fromkeys((r["cells"], r["tool"]) for r in runs):
        done = [r for r in runs if (r["cells"], r["tool"]) == key and "error" not in r]
        row: dict[str, object] = {"cells": key[0], "tool": key[1], "runs": len(done)}
        if done:
            wall = float(np.median([float(str(r["wall_s"])) for r in done]))
            row["wall_s"] = round(wall, 1)
            row["peak_rss_gb"] = round(
                float(np.median([float(str(r["peak_rss_gb"])) for r in done])), 2
            )
            row["us_per_cell"] = round(wall / int(str(key[0])) * 1e6, 1)
        rows.append(row)
    return rows


def summarise(rows: list[dict[str, object]]) -> str:
    """Markdown table of :func:`medians`, with scanpy's time and memory over senox's."""
    lines = ["| cells | tool | runs | wall s | peak RSS GB | µs per cell | wall ratio (scanpy / senox) | RSS ratio |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    by_key = {(r["cells"], r["tool"]): r for r in rows}
    for r in rows:
        if "wall_s" not in r:
            lines.append(f"| {r['cells']:,} | {r['tool']} | 0 | failed | | | | |")
            continue
        ours = by_key.get((r["cells"], "senox"), {})
        ratio = rss = ""
        if r["tool"] == "scanpy" and "wall_s" in ours:
            ratio = f"{float(str(r['wall_s'])) / float(str(ours['wall_s'])):.2f}×"
            rss = f"{float(str(r['peak_rss_gb'])) / float(str(ours['peak_rss_gb'])):.2f}×"
        lines.append(
            f"| {r['cells']:,} | {r['tool']} | {r['runs']} | {r['wall_s']} | {r['peak_rss_gb']} "
            f"| {r['us_per_cell']} | {ratio} | {rss} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Parse options, make the inputs, time every tool at every size, write JSON and Markdown."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,300000", help="comma-separated cell counts")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--repeats", type=int, default=1, help="runs of each tool per size")
    parser.add_argument("--senox-args", default="--backed",
                        help="extra options of senox run (quote them: --senox-args='--cohort 50')")  # fmt: skip
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "senox_bench_run"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "bench_run.json")
    args = parser.parse_args()
    results: list[dict[str, object]] = []
    for n_cells in (int(size) for size in args.sizes.split(",")):
        path = dataset(args.workdir, n_cells)
        for repeat in range(args.repeats):
            for tool in args.tools.split(","):
                out = args.workdir / f"report_{n_cells}"
                shutil.rmtree(out, ignore_errors=True)
                result = {"cells": n_cells, "tool": tool, "repeat": repeat, "load": load_average(),
                          **timed(command(tool, path, out, args.senox_args.split()))}  # fmt: skip
                if tool == "senox" and n_cells == BROWSER_CELLS and "error" not in result:
                    result["browser"] = browser_check(out / "report.html")
                print(json.dumps(result), file=sys.stderr, flush=True)
                results.append(result)
    meta = {"machine": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "senox_args": args.senox_args, "date": time.strftime("%Y-%m-%d %H:%M")}  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    rows = medians(results)
    args.out.write_text(
        json.dumps({"meta": meta, "medians": rows, "runs": results}, indent=1) + "\n"
    )
    table = summarise(rows) + "\n\n" + conditions(results)
    args.out.with_suffix(".md").write_text(
        f"# senox run against the scanpy chain\n\n{meta['date']}, {meta['machine']}, "
        f"{meta['cpus']} CPUs; senox options: `{args.senox_args or 'none'}`.\n\n{table}\n"
    )
    print(table)


def conditions(runs: list[dict[str, object]]) -> str:
    """Each run's load average at its start and, for the checked report, the browser's verdict."""
    lines = []
    for r in runs:
        load = ", ".join(f"{v:.2f}" for v in r["load"])  # type: ignore[attr-defined]
        line = f"- {r['cells']:,} cells, {r['tool']}, run {int(str(r['repeat'])) + 1}: load {load}"
        if r.get("step_s"):
            steps = r["step_s"]
            line += "; steps " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items())  # type: ignore[attr-defined]
        lines.append(line)
        seen = r.get("browser")
        if isinstance(seen, dict):
            if "skipped" in seen:
                lines.append(f"  - browser check skipped: {seen['skipped']}")
            else:
                lines.append(
                    f"  - report in headless Chromium: {seen['figures_rendered']} of "
                    f"{seen['figures_expected']} figures decoded, {seen['tables_ready']} of "
                    f"{seen['tables']} tables interactive, sort and search probe "
                    f"{'passed' if seen['passed'] else 'FAILED'}, blocked requests: "
                    f"{len(seen['probe'].get('blocked', []))}"
                )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
