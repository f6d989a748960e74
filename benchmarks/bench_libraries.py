"""Maintained libraries against senox's home-made code, side by side in one run (issue 18).

Four comparisons, each decided by this measurement (medians of ``--repeats`` interleaved runs):

1. **Table writing.** ``senox.io.tsv_text`` (a numba formatter of pandas' ``%.{digits}g`` text)
   against pandas ``to_csv``, polars ``write_csv`` and ``pyarrow.csv.write_csv`` (tab separator),
   each writing a file. Tables: the trajectories of ``senox simulate --cohort 900`` (486,000 × 25:
   strategy text, patient integer, 23 floats; simulated here, real output) and a
   ``senox score``-shaped table (100,000 × 12: observation names and 11 scores, generated with a
   fixed seed). polars and pyarrow write the shortest text that reads back as the same double
   (up to 17 digits); senox writes 6 significant digits. They are run twice: on the values as
   they are, and on values first rounded to 6 significant digits by numpy (the rounding timed
   with the write), which is the only way to get senox's precision from them. For each file:
   whether its text is pandas' own, its size, and whether the values read back (pandas
   ``read_csv``) equal those read back from pandas' text (equal: every float bit for bit; max
   relative difference otherwise).
2. **The two-Gaussian mixture** of ``senox.states._cycling.fit_mixture`` against scikit-learn
   ``GaussianMixture`` (2 components, the same start: means at the quartiles, equal weights,
   the sample variance; ``max_iter`` 200 as senox's fixed ``ITERATIONS``; ``tol`` 1e-3, its
   default, and 1e-6)
   on real proliferation scores (``rank`` method: chan2024, 500 cells; pc9 persisters, barcodes
   with >= 500 UMIs) and on generated ones (bimodal, overlapping, normal, lognormal, gamma,
   Student-t; 500 to 100,000 values). The decision compared is senox's own: ``Mixture.supported``
   (BIC gain >= 10, Ashman's D > 2, >= 10 in the smaller component; the library's BIC via its
   ``bic`` for 1 and 2 components) and each value's call (posterior of the upper component >= 0.5).
3. **The silhouette** of ``senox.states._subclusters.silhouette`` against
   ``sklearn.metrics.silhouette_score`` on k-means labels (k = 2..4, ``scipy`` ``kmeans2``, as
   ``best_kmeans`` makes them) of real program scores (chan2024, pc9; standardised) and of
   generated 11-dimensional clusters of 2,000 points (``SILHOUETTE_SAMPLE``).
4. **The model engine's hand-written parts** (no library; what each buys): a ``--members``
   cohort (1,000) of senox's model through ``senox.model._ode.solve`` with the SIMD lanes
   (``lanes=True``, the IR vector right-hand side) and without (``lanes=False``), with a check
   that the states are bit for bit equal; a calibration-like loop of ``--fits`` single-member
   solves (one thread, as an optimiser calls them); compiling the model's generated functions
   through the LLVM IR writer against ``numba.njit`` of the same generated source; and the
   fdlibm ``pow`` port against the C library's in a numba loop over Hill-term arguments.
   Parameters and doses as in ``bench_ensemble.py`` (log-uniform in each range; 4 boluses).

    python benchmarks/bench_libraries.py                 # all four; about 15 minutes on 2 cores
    python benchmarks/bench_libraries.py --only tsv --repeats 5

Needs the ``test`` extra plus polars and pyarrow (``pip install polars pyarrow``), and
../shared (or ``SENOX_SHARED``) for the real score vectors. Results:
``benchmarks/results/bench_libraries.md`` (and ``.json``) and the tables on stdout.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path(os.environ.get("SENOX_SHARED", ROOT.parent / "shared"))
DIGITS = 6


def timed(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall seconds of each call over ``repeats`` rounds, the calls interleaved per round."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


# ---------------------------------------------------------------- 1. table writing


def trajectories_table() -> pd.DataFrame:
    """``senox simulate --cohort 900``'s trajectories (486,000 × 25), simulated here."""
    from senox.model import builtin_strategies, load_strategies, simulate_strategies

    result = simulate_strategies(load_strategies(builtin_strategies()), cohort=900, output_step=7.0)
    return result.trajectories


def scores_table(rows: int = 100_000, programs: int = 11, seed: int = 0) -> pd.DataFrame:
    """A ``senox score``-shaped table: ``obs`` names, then one score column per program."""
    rng = np.random.default_rng(seed)
    scores = rng.beta(2.0, 5.0, size=(rows, programs)) - rng.uniform(0, 0.2, size=programs)
    frame = pd.DataFrame(scores, columns=[f"program_{k}" for k in range(programs)])
    frame.insert(0, "obs", [f"AAACCTG{k:09d}-1" for k in range(rows)])
    return frame


def rounded(frame: pd.DataFrame, digits: int = DIGITS) -> pd.DataFrame:
    """Float columns rounded to ``digits`` significant digits (numpy, vectorised)."""
    out = frame.copy()
    for name in frame.columns[frame.dtypes == np.float64]:
        x = frame[name].to_numpy()
        finite = np.isfinite(x) & (x != 0)
        exponent = np.floor(np.log10(np.abs(x[finite])))
        shift = digits - 1 - exponent
        column = x.copy()
        column[finite] = np.where(
            shift >= 0,
            np.round(x[finite] * 10.0**shift) / 10.0**shift,
            np.round(x[finite] / 10.0**-shift) * 10.0**-shift,
        )
        out[name] = column
    return out


def writers(frame: pd.DataFrame, folder: Path) -> dict[str, Callable[[], object]]:
    """Each writer writing ``frame`` to its own file in ``folder``."""
    import polars as pl
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.csv as pacsv  # type: ignore[import-untyped]

    from senox.io import tsv_text

    def senox() -> None:
        (folder / "senox.tsv").write_text(tsv_text(frame, DIGITS), encoding="utf-8", newline="")

    def pandas() -> None:
        frame.to_csv(folder / "pandas.tsv", sep="\t", index=False, float_format=f"%.{DIGITS}g")

    def polars(name: str, table: Callable[[], pd.DataFrame]) -> Callable[[], None]:
        return lambda: pl.from_pandas(table()).write_csv(folder / f"{name}.tsv", separator="\t")

    def pyarrow(name: str, table: Callable[[], pd.DataFrame]) -> Callable[[], None]:
        options = pacsv.WriteOptions(delimiter="\t", quoting_style="needed")

        def write() -> None:
            pacsv.write_csv(
                pa.Table.from_pandas(table(), preserve_index=False), folder / f"{name}.tsv", options
            )

        return write

    return {
        "senox tsv_text": senox,
        "pandas to_csv": pandas,
        "polars write_csv": polars("polars write_csv", lambda: frame),
        "pyarrow write_csv": pyarrow("pyarrow write_csv", lambda: frame),
        "polars, rounded first": polars("polars, rounded first", lambda: rounded(frame)),
        "pyarrow, rounded first": pyarrow("pyarrow, rounded first", lambda: rounded(frame)),
    }


def file_of(name: str, folder: Path) -> Path:
    """The file a writer named ``name`` writes."""
    return folder / {"senox tsv_text": "senox.tsv", "pandas to_csv": "pandas.tsv"}.get(
        name, f"{name}.tsv"
    )


def compare_text(path: Path, reference: Path) -> dict[str, Any]:
    """Whether ``path`` is ``reference``'s text, and how its values read back compare."""
    text, expected = path.read_bytes(), reference.read_bytes()
    mine = pd.read_csv(path, sep="\t")
    theirs = pd.read_csv(reference, sep="\t")
    # numbers compared as floats: a column of whole numbers reads as int64 from one text
    # ("0") and float64 from another ("0.0")
    floats = theirs.select_dtypes("number").columns
    a, b = mine[floats].to_numpy(dtype=float), theirs[floats].to_numpy(dtype=float)
    same_nan = bool((np.isnan(a) == np.isnan(b)).all())
    scale = np.where(b == 0, 1.0, np.abs(b))
    relative = np.nan_to_num(np.abs(a - b) / scale, nan=0.0)
    others = theirs.columns.difference(floats)
    return {
        "text_identical": text == expected,
        "megabytes": round(len(text) / 1e6, 1),
        "floats_equal": same_nan and bool(np.array_equal(a, b, equal_nan=True)),
        "max_relative_difference": float(relative.max()) if relative.size else 0.0,
        "other_columns_equal": bool(mine[others].equals(theirs[others])),
    }


def bench_tsv(repeats: int) -> list[dict[str, Any]]:
    """Every writer on both tables: median seconds, ratio to senox, text and value checks."""
    rows = []
    tables = {
        "trajectories 486,000 × 25": trajectories_table(),
        "scores 100,000 × 12": scores_table(),
    }
    for label, frame in tables.items():
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            calls = writers(frame, folder)
            for call in calls.values():  # warm-up: numba's compilation, file cache
                call()
            seconds = timed(calls, repeats)
            for name in calls:
                check = compare_text(file_of(name, folder), file_of("pandas to_csv", folder))
                rows.append({
                    "table": label, "writer": name, "seconds": round(seconds[name], 3),
                    "ratio_to_senox": round(seconds[name] / seconds["senox tsv_text"], 2), **check,
                })  # fmt: skip
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


# ---------------------------------------------------------------- 2. the mixture


def real_scores() -> dict[str, pd.DataFrame]:
    """Program scores (``rank``) of chan2024 and pc9 persisters, as ``senox score`` gives them."""
    sys.path.insert(0, str(ROOT / "validation"))
    import real_data  # type: ignore[import-not-found]
    from senox.score import score_programs

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("chan2024", "pc9_persisters"):
            adata = real_data.LOADERS[name](SHARED, Path(tmp))
            score_programs(adata)
            out[name] = adata.obsm["senox_scores"].dropna()
    return out


def generated_vectors(seed: int = 0) -> dict[str, np.ndarray]:
    """Bimodal, overlapping, one-population and skewed samples of 500 to 100,000 values."""
    rng = np.random.default_rng(seed)
    out = {}
    for n in (500, 5_000, 100_000):
        upper = rng.random(n) < 0.3
        out[f"bimodal D=4, n={n}"] = np.where(upper, rng.normal(4, 1, n), rng.normal(0, 1, n))
        out[f"overlapping D=1.5, n={n}"] = np.where(
            upper, rng.normal(1.5, 1, n), rng.normal(0, 1, n)
        )
        out[f"normal, n={n}"] = rng.normal(0, 1, n)
        out[f"lognormal, n={n}"] = rng.lognormal(0, 0.8, n)
        out[f"gamma(2), n={n}"] = rng.gamma(2.0, 1.0, n)
        out[f"Student t(3), n={n}"] = rng.standard_t(3, n)
    return out


def sklearn_mixture(values: np.ndarray, tol: float) -> Any:
    """scikit-learn's fit, as senox's ``Mixture`` (same start, BIC gain from ``bic``)."""
    from sklearn.mixture import GaussianMixture  # type: ignore[import-untyped]

    from senox.states._cycling import ITERATIONS, Mixture

    x = np.asarray(values, dtype=float)[:, None]
    two = GaussianMixture(
        2,
        means_init=np.quantile(x, [0.25, 0.75])[:, None],
        weights_init=[0.5, 0.5],
        precisions_init=np.full((2, 1, 1), 1 / x.var()),
        max_iter=ITERATIONS,
        tol=tol,
    ).fit(x)
    one = GaussianMixture(1).fit(x)
    order = np.argsort(two.means_[:, 0])
    sds = np.sqrt(two.covariances_[:, 0, 0])
    return Mixture(
        weights=(float(two.weights_[order[0]]), float(two.weights_[order[1]])),
        means=(float(two.means_[order[0], 0]), float(two.means_[order[1], 0])),
        sds=(float(sds[order[0]]), float(sds[order[1]])),
        bic_gain=float(one.bic(x) - two.bic(x)),
        n=len(x),
    )


#: scikit-learn's default tolerance, and one at which its EM reaches senox's 200-iteration fit.
TOLERANCES = {"sklearn tol 1e-3": 1e-3, "sklearn tol 1e-6": 1e-6}


def bench_mixture(repeats: int, real: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """The EM of senox and of scikit-learn on every vector: decisions, calls, parameters, time."""
    from senox.states._cycling import fit_mixture

    vectors = {f"{k} proliferation (real)": v["proliferation"].to_numpy() for k, v in real.items()}
    vectors.update(generated_vectors())
    rows = []
    for label, x in vectors.items():
        fitters: dict[str, Callable[[], Any]] = {"senox": partial(fit_mixture, x)}
        fitters.update({k: partial(sklearn_mixture, x, t) for k, t in TOLERANCES.items()})
        with warnings.catch_warnings():  # tol 1e-6 may not converge within 200 iterations
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            fits = {k: fit() for k, fit in fitters.items()}
            seconds = timed(fitters, repeats)
        calls = {k: m.posterior_upper(x) >= 0.5 for k, m in fits.items()}
        row: dict[str, Any] = {"vector": label, "n": len(x)}
        for k, m in fits.items():
            row[f"{k}: supported (BIC gain, D)"] = (
                f"{m.supported} ({m.bic_gain:.0f}, {m.separation:.2f})"
            )
        for k in TOLERANCES:
            row[f"{k}: calls agree"] = round(float(np.mean(calls["senox"] == calls[k])), 4)
        row["senox ms"] = round(seconds["senox"] * 1e3, 1)
        for k in TOLERANCES:
            row[f"{k} ms"] = round(seconds[k] * 1e3, 1)
        rows.append(row)
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


# ---------------------------------------------------------------- 3. the silhouette


def bench_silhouette(repeats: int, real: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """The silhouettes of senox and scikit-learn on k-means labels of real and generated points."""
    from scipy.cluster.vq import kmeans2
    from sklearn.metrics import silhouette_score  # type: ignore[import-untyped]

    from senox.states._subclusters import SILHOUETTE_SAMPLE, silhouette, standardised

    rng = np.random.default_rng(0)
    sets = {
        f"{k} program scores (real)": standardised(v.iloc[:SILHOUETTE_SAMPLE])
        for k, v in real.items()
    }
    centres = rng.normal(0, 3, size=(3, 11))
    sets["generated 3 clusters, 2,000 × 11"] = centres[rng.integers(0, 3, 2000)] + rng.normal(
        size=(2000, 11)
    )
    rows = []
    for label, points in sets.items():
        for k in (2, 3, 4):
            _, labels = kmeans2(points, k, minit="++", seed=0)
            ours, theirs = silhouette(points, labels), float(silhouette_score(points, labels))
            seconds = timed(
                {
                    "senox": partial(silhouette, points, labels),
                    "sklearn": partial(silhouette_score, points, labels),
                },
                repeats,
            )
            rows.append({
                "points": label, "n": len(points), "k": k,
                "senox": ours, "sklearn": theirs, "abs_difference": abs(ours - theirs),
                "senox_ms": round(seconds["senox"] * 1e3, 1), "sklearn_ms": round(seconds["sklearn"] * 1e3, 1),
                "ratio_sklearn_to_senox": round(seconds["sklearn"] / seconds["senox"], 3),
            })  # fmt: skip
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


# ---------------------------------------------------------------- 4. the model engine


def engine_inputs(members: int) -> tuple[Any, np.ndarray, list[Any], np.ndarray]:
    """The model of senox, ``members`` parameter sets and the doses of bench_ensemble.py."""
    sys.path.insert(0, str(HERE))
    import bench_ensemble  # type: ignore[import-not-found]
    from senox.model import load_model

    spec = load_model("redox_senescence")
    parameters, _ = bench_ensemble.cohort(spec, members, seed=0)
    return spec, parameters, bench_ensemble.schedule(spec), np.arange(0.0, 366.0)


def bench_engine(repeats: int, members: int, fits: int) -> list[dict[str, Any]]:
    """What the lane engine, the LLVM IR writer and the fdlibm ``pow`` each buy, measured."""
    import numba

    from senox.model._compile import _BY_SPEC, _CACHE, compile_model
    from senox.model._ode import solve

    spec, parameters, doses, times = engine_inputs(members)
    rows: list[dict[str, Any]] = []

    def cohort(*, lanes: bool) -> Any:
        return solve(spec, times=times, parameters=parameters, doses=doses, lanes=lanes)

    same = np.array_equal(cohort(lanes=True).states, cohort(lanes=False).states, equal_nan=True)
    seconds = timed(
        {"lanes": lambda: cohort(lanes=True), "one": lambda: cohort(lanes=False)}, repeats
    )
    rows.append({
        "workload": f"cohort of {members} patients, 366 days, DOPRI5 (auto), {numba.get_num_threads()} threads",
        "with": f"lanes (IR vector rhs + fdlibm pow): {seconds['lanes']:.2f} s",
        "without": f"one member at a time (lanes=False): {seconds['one']:.2f} s",
        "ratio": round(seconds["one"] / seconds["lanes"], 2), "note": f"states bit for bit equal: {same}",
    })  # fmt: skip

    def calibration_loop(*, lanes: bool) -> None:
        for row in parameters[:fits]:  # one member per objective call, as an optimiser makes them
            solve(
                spec, times=times, parameters=row[None, :], doses=doses, lanes=lanes, parallel=False
            )

    seconds = timed({"loop": lambda: calibration_loop(lanes=True)}, repeats)
    rows.append({
        "workload": f"calibration-like loop: {fits} single-member solves, 366 days, 1 thread",
        "with": f"{seconds['loop'] / fits * 1e3:.1f} ms per solve", "without": "(no lanes for one member)",
        "ratio": "", "note": "the scalar IR functions are the only path",
    })  # fmt: skip

    def fresh_ir() -> None:
        _CACHE.clear()
        _BY_SPEC.clear()
        compile_model(spec)

    compiled = compile_model(spec)
    signature = "void(float64, float64[::1], float64[::1], float64[::1])"

    def numba_front_end() -> None:
        for function in (compiled.py_derive, compiled.py_rhs, compiled.py_jac):
            numba.njit(signature, error_model="numpy")(function)

    seconds = timed({"ir": fresh_ir, "numba": numba_front_end}, repeats)
    rows.append({
        "workload": "compiling the model's derive, rhs and jac (once per model and process)",
        "with": f"LLVM IR writer: {seconds['ir']:.2f} s (incl. source generation)",
        "without": f"numba.njit of the same generated source: {seconds['numba']:.2f} s",
        "ratio": round(seconds["numba"] / seconds["ir"], 1), "note": "",
    })  # fmt: skip
    rows.append(pow_row(repeats))
    for row in rows:
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def pow_row(repeats: int) -> dict[str, Any]:
    """The fdlibm ``pow`` port (senox.model._pow) against ``x ** y`` over Hill-term inputs."""
    import numba

    from senox.model._pow import fast_pow

    @numba.njit(error_model="numpy")
    def ours(x: np.ndarray, y: np.ndarray) -> float:
        total = 0.0
        for i in range(x.size):
            total += fast_pow(x[i], y[i])
        return total

    @numba.njit(error_model="numpy")
    def library(x: np.ndarray, y: np.ndarray) -> float:
        total = 0.0
        for i in range(x.size):
            total += x[i] ** y[i]
        return total

    rng = np.random.default_rng(0)
    x, y = np.exp(rng.uniform(np.log(1e-4), np.log(50), 2_000_000)), rng.uniform(0.5, 6, 2_000_000)
    ours(x, y), library(x, y)
    seconds = timed({"ours": lambda: ours(x, y), "libm": lambda: library(x, y)}, repeats)
    return {
        "workload": "2,000,000 Hill powers x**y (x in [1e-4, 50], y in [0.5, 6]) in a numba loop",
        "with": f"fdlibm port: {seconds['ours'] * 1e3:.1f} ms", "without": f"libm pow: {seconds['libm'] * 1e3:.1f} ms",
        "ratio": round(seconds["libm"] / seconds["ours"], 2), "note": "scalar loop (LLVM may vectorise ours)",
    }  # fmt: skip


# ---------------------------------------------------------------- report


def markdown(rows: list[dict[str, Any]], title: str) -> str:
    """One Markdown table of ``rows`` under ``title``."""
    if not rows:
        return ""
    head = list(rows[0])
    lines = [f"## {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(r[h]) for h in head) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    if isinstance(value, float) and 0 < abs(value) < 1e-3:
        return f"{value:.1e}"
    return str(value)


def main() -> None:
    """Run the comparisons asked for and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--only", choices=["tsv", "mixture", "silhouette", "engine"], action="append"
    )
    parser.add_argument("--members", type=int, default=1000, help="cohort size of the engine part")
    parser.add_argument("--fits", type=int, default=100, help="solves of the calibration-like loop")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "bench_libraries.md")
    args = parser.parse_args()
    parts = args.only or ["tsv", "mixture", "silhouette", "engine"]
    import polars
    import pyarrow
    import sklearn  # type: ignore[import-untyped]

    meta = {
        "date": datetime.date.today().isoformat(), "repeats": args.repeats,
        "cpus": os.cpu_count(), "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(), "pandas": pd.__version__,
        "polars": polars.__version__, "pyarrow": pyarrow.__version__, "sklearn": sklearn.__version__,
    }  # fmt: skip
    results: dict[str, list[dict[str, Any]]] = {}
    if "tsv" in parts:
        results["Table writing (seconds: median wall time to write the file)"] = bench_tsv(
            args.repeats
        )
    if {"mixture", "silhouette"} & set(parts):
        real = real_scores()
        if "mixture" in parts:
            results["Two-Gaussian mixture"] = bench_mixture(args.repeats, real)
        if "silhouette" in parts:
            results["Silhouette"] = bench_silhouette(args.repeats, real)
    if "engine" in parts:
        results["Model engine"] = bench_engine(args.repeats, args.members, args.fits)
    command = "python benchmarks/bench_libraries.py " + " ".join(sys.argv[1:])
    text = f"# Libraries against senox's own code\n\n`{command.strip()}`; {json.dumps(meta)}\n\n"
    text += "\n".join(markdown(rows, title) for title, rows in results.items())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps({"meta": meta, **results}, indent=1))
    print(text)


if __name__ == "__main__":
    main()
