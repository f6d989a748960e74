"""senox: the redox–senescence axis of tumor drug resistance, in software.

``import senox as sx`` gives the scverse-shaped API; every namespace is imported on first use,
so ``import senox`` (and ``senox --help``) stays fast.

Namespaces
----------
``sx.pp``
    Preprocessing: :func:`senox.pp.to_human` maps mouse, rat or Ensembl ``var_names`` to human
    symbols.
``sx.tl``
    Tools: score programs, call states, find vulnerabilities, simulate strategies.
``sx.pl``
    Plots (matplotlib, scanpy-compatible: ``ax=``, ``show=``, axes returned).
``sx.run``
    The whole pipeline (``senox run``) on an AnnData, in memory or backed.
``sx.datasets``
    The bundled data set.
``sx.kb``, ``sx.model``, ``sx.io``
    The evidence base, the mechanistic models, reading and writing files.

The verb packages behind them (``senox.score``, ``senox.states``, ``senox.vulnerabilities``,
``senox.programs``, ``senox.report``, ``senox.pipeline``) are reachable the same way.

>>> import senox as sx
>>> sx.tl.call_states is sx.states.call_states
True
"""

from __future__ import annotations

from senox._defaults import COHORT
from senox._errors import SenoxError

#: ``typing.TYPE_CHECKING`` without importing ``typing``, which costs more than the rest of
#: ``import senox`` (mypy reads the block below; nothing in it runs).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Literal

    from anndata import AnnData

#: Subpackages imported on first attribute access (``senox.io``, ``sx.tl``, ...).
_SUBMODULES = frozenset(
    {
        "cli",
        "datasets",
        "io",
        "kb",
        "model",
        "pipeline",
        "pl",
        "pp",
        "programs",
        "report",
        "score",
        "states",
        "tl",
        "vulnerabilities",
    }
)


def __getattr__(name: str) -> Any:
    """Import a subpackage, or read the installed version, on first use."""
    if name in _SUBMODULES:
        from importlib import import_module  # here: importlib costs as much as the rest

        return import_module(f"senox.{name}")
    if name == "__version__":
        from importlib.metadata import version

        return version("senox")
    msg = f"module 'senox' has no attribute '{name}'"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES, "__version__"})


def run(
    adata: AnnData,
    *,
    out: str | Path,
    reference: str | None = None,
    groupby: str | None = None,
    method: Literal["rank", "mean"] = "rank",
    cohort: int = COHORT,
    seed: int = 0,
    days: float = 365.0,
    extra_strategies: int = 3,
    context: Literal["tumor", "cell-line", "normal"] = "tumor",
    sample_key: str | None = None,
    scheduler: str | None = None,
    force: bool = False,
    show: bool = False,
) -> dict[str, Any]:
    """Run the whole pipeline (``senox run``) on an AnnData and write the report.

    The AnnData may be in memory or backed (``senox.io.read(path, backed=True)``): then a block
    of rows is read at a time, its values transformed as ``senox.io.read`` would.

    Scores programs, calls states, finds vulnerabilities, simulates the therapy strategies
    seeded from the observed state fractions and writes ``report.html`` with its TSV tables and
    ``run.json`` to ``out``: all of them together, or none (see ``senox run --help``).

    Parameters
    ----------
    adata
        Observations × genes as for :func:`senox.tl.score_programs` (log-normalised ``X``;
        mouse or Ensembl ``var_names`` are mapped to human symbols).
    out
        A new folder for the outputs (or one senox wrote before, with ``force=True``).
    reference
        ``"COLUMN=VALUE"``: the untreated/control observations (see
        :func:`senox.tl.call_states`); they do not seed the simulation.
    groupby
        A column of ``obs`` whose groups the report compares.
    method
        Scoring method (``rank`` or ``mean``).
    cohort, seed, days
        Virtual patients per strategy, the seed of their draw, and the horizon in days.
    extra_strategies
        Strategies added from the vulnerabilities found (chemotherapy plus an agent).
    context
        What the sample is: ``tumor``, ``cell-line`` (a caveat is added) or ``normal`` (no
        strategy is simulated: the relapse model describes a tumour).
    sample_key
        A column of ``obs`` naming each cell's sample: vulnerabilities are then tested on
        per-sample pseudobulks.
    scheduler
        Address of a ``dask.distributed`` scheduler: scoring and the virtual cohorts run on its
        cluster (a backed file must be at the same path on the workers).
    force
        Replace the outputs of an earlier run in ``out``.
    show
        Show each step's progress on stderr.

    Returns
    -------
    The run record written to ``run.json`` (inputs, versions, initial state, timings,
    warnings, outputs). ``adata`` is annotated as by :func:`senox.tl.score_programs` and
    :func:`senox.tl.call_states`.
    """
    from senox.pipeline import RunOptions, run_pipeline

    options = RunOptions(
        reference=reference,
        groupby=groupby,
        method=method,
        cohort=cohort,
        seed=seed,
        days=days,
        extra_strategies=extra_strategies,
        context=context,
        sample_key=sample_key,
        scheduler=scheduler,
    )
    return run_pipeline(out, options, adata=adata, force=force, show=show)


__all__ = [
    "SenoxError",
    "__version__",
    "datasets",
    "io",
    "kb",
    "model",
    "pl",
    "pp",
    "run",
    "tl",
]
