"""Side-by-side speed and memory of senox scoring against scanpy and pyucell.

Every measurement runs in a fresh Python process, which loads the data, then times only the
scoring call; its peak resident memory (the process and its worker processes) is reported too.
The data are synthetic log-normalised sparse matrices shaped like PEERS.md's (20,000 genes,
about 6 % non-zero, 10 signatures of 21–150 genes), generated once into ``--workdir``.

    python benchmarks/bench_score.py                      # 10k and 100k cells, all tools
    python benchmarks/bench_score.py --million            # also 1,000,000 cells from a backed .h5ad
    python benchmarks/bench_score.py --cells 10000 --repeats 1 --tools senox-rank,pyucell

Results go to ``benchmarks/results/score.json`` and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
N_GENES = 20_000
DENSITY = 0.06
TOOLS = ("senox-rank", "senox-mean", "pyucell", "scanpy")


def signatures(n_programs: int, seed: int = 0) -> dict[str, list[str]]:
    """``n_programs`` random signatures of 21-150 genes (fixed seed)."""
    rng = np.random.default_rng(seed)
    return {
        f"sig{i}": [
            f"G{g}" for g in rng.choice(N_GENES, size=int(rng.integers(21, 151)), replace=False)
        ]
        for i in range(n_programs)
    }


def make_block(n_cells: int, seed: int) -> object:
    """A CSR block of log-normalised values with realistic ties (integer counts underneath).

    Genes are detected with gene-specific probabilities (skewed, about 6 % on average).
    """
    from scipy import sparse

    rng = np.random.default_rng(seed)
    detection = rng.gamma(0.5, 1.0, size=N_GENES)
    detection = np.minimum(detection / detection.mean() * DENSITY, 0.95).astype(np.float32)
    parts = []
    for start in range(0, n_cells, 5_000):
        rows = min(5_000, n_cells - start)
        hit = rng.random((rows, N_GENES), dtype=np.float32) < detection
        counts = np.where(hit, rng.geometric(0.45, size=(rows, N_GENES)), 0).astype(np.float32)
        values = np.log1p(counts / counts.sum(axis=1, keepdims=True) * 1e4).astype(np.float32)
        parts.append(sparse.csr_matrix(values))
    return sparse.vstack(parts, format="csr")


def dataset(workdir: Path, n_cells: int) -> Path:
    """The ``.h5ad`` for ``n_cells`` cells, made once (larger sizes stack 100k-cell blocks)."""
    import anndata as ad
    import pandas as pd

    path = workdir / f"cells{n_cells}.h5ad"
    if path.exists():
        return path
    workdir.mkdir(parents=True, exist_ok=True)
    var = pd.DataFrame(index=[f"G{i}" for i in range(N_GENES)])
    block_size = min(n_cells, 100_000)
    if n_cells <= block_size:
        matrix = make_block(n_cells, seed=n_cells)
        ad.AnnData(
            matrix, var=var, obs=pd.DataFrame(index=[f"c{i}" for i in range(n_cells)])
        ).write_h5ad(path)
        return path
    _stack_blocks(path, make_block(block_size, seed=block_size), n_cells, var)
    return path


def _stack_blocks(path: Path, block: object, n_cells: int, var: object) -> None:
    """Write ``n_cells`` rows by appending copies of ``block`` to an on-disk sparse matrix."""
    import anndata as ad
    import h5py
    import pandas as pd
    from anndata.io import sparse_dataset, write_elem

    tmp = path.with_suffix(".tmp")
    obs = pd.DataFrame(index=[f"c{i}" for i in range(n_cells)])
    ad.AnnData(obs=obs, var=var).write_h5ad(tmp)
    with h5py.File(tmp, "a") as f:
        write_elem(f, "X", block)
        matrix = sparse_dataset(f["X"])
        for _ in range(n_cells // block.shape[0] - 1):
            matrix.append(block)
    tmp.rename(path)


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += tree_rss_bytes(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


class PeakSampler:
    """Samples the process tree's RSS every 20 ms while active; ``peak`` is the maximum seen."""

    def __init__(self) -> None:
        import threading

        self.peak = tree_rss_bytes(os.getpid())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, tree_rss_bytes(os.getpid()))

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss_bytes(os.getpid()))


def measure(tool: str, path: Path, n_programs: int, *, backed: bool) -> dict[str, float]:
    """Run one timed scoring call in this process; return wall, CPU, cells/s and memory.

    ``peak_rss_gb`` is the highest resident memory of the process tree during the call (the
    loaded data included, as in PEERS.md); ``rss_before_gb`` is what the loaded data took.
    Imports are done before timing, for every tool (senox's import also loads its compiled
    kernels). A backed file is read once beforehand so it sits in the OS page cache: otherwise
    the run measures the disk (a cold read of the 9.6 GB million-cell file took ~100 s here).
    """
    import anndata as ad

    call = tool_call(tool)  # imports are not timed, for any tool
    if backed:
        _into_page_cache(path)
    adata = ad.read_h5ad(path, backed="r" if backed else None)
    sigs = signatures(n_programs)
    before = tree_rss_bytes(os.getpid())
    with PeakSampler() as sampler:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        call(adata, sigs)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0 + _children_cpu()
    return {"wall_s": wall, "cpu_s": cpu, "cells_per_s": adata.n_obs / wall,
            "peak_rss_gb": sampler.peak / 1024**3, "rss_before_gb": before / 1024**3}  # fmt: skip


def _into_page_cache(path: Path) -> None:
    """Read a file once so that a backed run measures scoring, not this disk's read speed."""
    with path.open("rb") as fh:
        while fh.read(64 << 20):
            pass


def tool_call(tool: str) -> Callable[[object, dict[str, list[str]]], None]:
    """The scoring call being measured (its package imported now, outside the timing)."""
    if tool in ("senox-rank", "senox-mean"):
        from senox.score import score_programs

        method = tool.removeprefix("senox-")
        return lambda adata, sigs: score_programs(adata, sigs, method=method, progress=False)
    if tool == "pyucell":
        from pyucell import compute_ucell_scores

        return lambda adata, sigs: compute_ucell_scores(adata, sigs, n_jobs=-1)
    if tool == "scanpy":
        import scanpy as sc

        def scanpy_all(adata: object, sigs: dict[str, list[str]]) -> None:
            for name, genes in sigs.items():
                sc.tl.score_genes(adata, genes, score_name=name, random_state=0)

        return scanpy_all
    msg = f"unknown tool {tool}"
    raise ValueError(msg)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_worker(spec: dict[str, object]) -> None:
    """Entry point of the measuring subprocess: prints one JSON line."""
    result = measure(
        str(spec["tool"]),
        Path(str(spec["path"])),
        int(spec["programs"]),
        backed=bool(spec["backed"]),
    )
    print(json.dumps(result))


def run_one(
    tool: str, path: Path, n_cells: int, n_programs: int, *, backed: bool
) -> dict[str, object]:
    """Measure in a fresh process."""
    spec = {"tool": tool, "path": str(path), "programs": n_programs, "backed": backed}
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        return {
            "tool": tool,
            "cells": n_cells,
            "programs": n_programs,
            "backed": backed,
            "error": out.stderr[-500:],
        }
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {"tool": tool, "cells": n_cells, "programs": n_programs, "backed": backed, **result}


def plan(cells: list[int], tools: list[str], *, million: bool) -> list[tuple[str, int, int, bool]]:
    """(tool, cells, programs, backed) for every measurement."""
    runs = [(tool, n, 10, False) for n in cells for tool in tools]
    if 100_000 in cells:
        runs += [("senox-rank", 100_000, p, False) for p in (1, 50)]
        runs += [("senox-mean", 100_000, p, False) for p in (1, 50)]
    if million:
        runs += [("senox-rank", 1_000_000, 10, True), ("senox-mean", 1_000_000, 10, True)]
    return runs


def summarise(results: list[dict[str, object]]) -> str:
    """Markdown table: median cells/s, peak memory, and senox's ratio to each peer."""
    groups: dict[tuple[object, ...], list[dict[str, object]]] = {}
    for r in results:
        groups.setdefault((r["tool"], r["cells"], r["programs"], r["backed"]), []).append(r)
    lines = ["| tool | cells | programs | backed | median cells/s | median wall s | peak RSS GB (data) | n |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    medians: dict[tuple[object, ...], float] = {}
    for key, rows in groups.items():
        ok = [r for r in rows if "error" not in r]
        if not ok:
            lines.append(
                f"| {key[0]} | {key[1]:,} | {key[2]} | {key[3]} | failed | | | {len(rows)} |"
            )
            continue
        speed = statistics.median(float(r["cells_per_s"]) for r in ok)
        wall = statistics.median(float(r["wall_s"]) for r in ok)
        peak = max(float(r["peak_rss_gb"]) for r in ok)
        medians[key] = speed
        lines.append(
            f"| {key[0]} | {key[1]:,} | {key[2]} | {key[3]} | {speed:,.0f} | {wall:.2f} | {peak:.2f} | {len(ok)} |"
        )
    lines.append("")
    for ours, peer in (("senox-rank", "pyucell"), ("senox-mean", "scanpy")):
        for cells in sorted({k[1] for k in medians}):
            a, b = medians.get((ours, cells, 10, False)), medians.get((peer, cells, 10, False))
            if a and b:
                lines.append(
                    f"- {ours} vs {peer} at {cells:,} cells × 10 programs: **{a / b:.1f}×** the throughput"
                )
    return "\n".join(lines)


def main() -> None:
    """Parse options, make the data, run every measurement, write JSON and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--cells", default="10000,100000", help="comma-separated cell counts")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--million", action="store_true", help="also score 1,000,000 cells from a backed .h5ad"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/senox_bench"))
    parser.add_argument("--out", type=Path, default=HERE / "results" / "score.json")
    args = parser.parse_args()
    if args.worker:
        run_worker(json.loads(args.worker))
        return
    cells = [int(c) for c in args.cells.split(",")]
    results = []
    for tool, n_cells, n_programs, backed in plan(
        cells, args.tools.split(","), million=args.million
    ):
        path = dataset(args.workdir, n_cells)
        repeats = (
            1
            if (n_cells >= 100_000 and tool in ("pyucell", "scanpy")) or n_cells >= 1_000_000
            else args.repeats
        )
        for _ in range(repeats):
            result = run_one(tool, path, n_cells, n_programs, backed=backed)
            print(json.dumps(result), file=sys.stderr, flush=True)
            results.append(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"machine": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d %H:%M")}  # fmt: skip
    args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    print(summarise(results))


if __name__ == "__main__":
    main()
