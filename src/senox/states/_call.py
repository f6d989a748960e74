"""``call_states``: program scores → calibrated z-scores → states, confidence, redox index."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from senox import __version__
from senox._dask import client_for
from senox._defaults import SINGLE_CELL_MIN_OBS
from senox._errors import InputError
from senox._groups import group_order
from senox._palette import STATE_COLORS
from senox._words import counted
from senox.programs import Program, catalogue
from senox.score._run import (
    GeneNames,
    check_coverage,
    human_gene_names,
    layer_matrix,
    write_scores,
)
from senox.score._source import as_dask_rows, is_dask
from senox.states._calibrate import (
    BatchCalibration,
    Calibration,
    calibrate,
    calibrate_by_batch,
)
from senox.states._cycling import cycling_decision, fit_mixture
from senox.states._panel import PANEL_GENES, expression_frame, present_columns
from senox.states._pass import CHUNK_ROWS, FirstPass, Scoring, first_pass, scoring_pass
from senox.states._rules import (
    AXIS_PROGRAMS,
    CONFIDENCE_SLOPE,
    OTHER,
    SENESCENCE_UP,
    STATE_NAMES,
    assign,
    axes,
    describe_rules,
    redox_index,
)
from senox.states._subclusters import senescent_subclusters

if TYPE_CHECKING:
    from anndata import AnnData
    from numpy.typing import NDArray

logger = logging.getLogger(__name__)

#: Fewest observations with expression the data may have.
MIN_BASELINE = 3
#: Fewest observations a reference may have (2-3 per group is the usual bulk design; a small
#: reference's spread is shrunk, see :mod:`senox.states._calibrate`).
MIN_REFERENCE = 2
#: A cycling call with the senescence axis this far above the baseline (twice the senescent
#: bar) is reported: the senescence program says one thing, the cycling rule another.
EXTREME_SEN = 3.0
#: The baseline of a bulk design without a reference, half or more of whose observations
#: the mixture or the split finds arrested: the cycling ones (:func:`_cycling_stands_in`).
#: The median observation is then no baseline (control against treated, 3 + 3: the
#: senescent half was called quiescent).
CYCLING_BASELINE = "cycling observations"
#: Below this many reference observations, the reference's spread is unstable: the standard
#: error of a MAD-based spread is about 1.16/sqrt(n) of itself for normal data (the MAD's
#: efficiency is 37 %), so 37 % at n = 10 and 67 % at n = 3.
STABLE_BASELINE = 10


def _columns(adata: AnnData) -> str:
    return ", ".join(map(str, adata.obs.columns)) or "none"


def parse_reference(adata: AnnData, reference: str | tuple[str, str] | None) -> pd.Series | None:
    """``"COLUMN=VALUE"`` (or a pair) → mask of the reference observations."""
    if reference is None:
        return None
    if isinstance(reference, str):
        if "=" not in reference:
            msg = f"reference '{reference}' must be COLUMN=VALUE, e.g. condition=control"
            raise InputError(msg)
        column, value = reference.split("=", 1)
    else:
        column, value = reference
    if column not in adata.obs.columns:
        msg = (
            f"reference column '{column}' is not in obs (columns: {_columns(adata)}); "
            "annotate the observations with a sample sheet (--obs FILE; obs= of senox.io.read)"
        )
        raise InputError(msg)
    mask: pd.Series = adata.obs[column].astype(str) == value
    if mask.sum() < MIN_REFERENCE:
        found = ", ".join(map(str, adata.obs[column].astype(str).unique()[:8]))
        n = int(mask.sum())
        msg = (
            f"reference {column}={value} matches {n} observations; need {MIN_REFERENCE} or more "
            f"(values: {found})"
        )
        raise InputError(msg)
    return mask


def expressed(adata: AnnData, with_values: NDArray[np.bool_]) -> pd.Series:
    """Observations with at least one expressed gene (at least ``MIN_BASELINE`` are needed).

    ``with_values``: whether each row holds a value (:class:`~senox.states._pass.FirstPass`).
    An observation without any (an empty droplet, a failed library) carries no evidence: it is
    called ``other`` with confidence 0.5 and left out of the calibration and the mixture.
    """
    mask = pd.Series(with_values, index=adata.obs_names)
    if mask.sum() < MIN_BASELINE:
        found = (
            f"the data hold {adata.n_obs} observations"
            if mask.all()
            else f"only {int(mask.sum())} of {adata.n_obs} observations have any expressed gene"
        )
        msg = f"{found}; calling states needs {MIN_BASELINE} or more to calibrate against"
        raise InputError(msg)
    return mask


def cell_cycle_scoring(names: pd.Index) -> Scoring:
    """The proliferation program by the mean method (cycle genes minus matched controls).

    ``names``: the genes as human symbols (:func:`senox.score._run.human_gene_names`).
    """
    return Scoring({"proliferation": catalogue()["proliferation"]}, names, None, "mean")


def _axis_scoring(adata: AnnData, key_added: str, method: str, names: pd.Index) -> Scoring | None:
    """The scoring of :func:`axis_catalogue`, unless ``obsm[f"{key_added}_scores"]`` has it.

    Besides the catalogue, ``senescence_up`` (the senescence program's up side alone) is scored:
    its down side (LMNB1, MKI67) tracks arrest, which must not count as senescence.
    """
    existing = adata.obsm.get(f"{key_added}_scores")
    if isinstance(existing, pd.DataFrame) and set(AXIS_PROGRAMS) <= set(existing.columns):
        return None
    return Scoring(axis_catalogue(), names, None, method)


def _scores(
    adata: AnnData, scoring: Scoring | None, genes: GeneNames, layer: str | None, key_added: str
) -> pd.DataFrame:
    """Program scores: ``obsm[f"{key_added}_scores"]`` reused, or ``scoring``'s written back.

    Written as :func:`senox.score.score_programs` writes them (``obsm``, one ``obs`` column per
    program, ``uns[key_added]["scores"]``); its coverage check is the caller's, before the
    scores are read.
    """
    if scoring is None:
        existing: pd.DataFrame = adata.obsm[f"{key_added}_scores"]
        return existing.copy()
    table = scoring.coverage()
    scores = scoring.scores(adata.obs_names)
    for name in table.index[table["n_found"] == 0]:
        logger.warning(
            "program %r: none of its %d genes is in the data; its score is empty",
            name,
            table.loc[name, "n_genes"],
        )
    options = {"max_rank": 1500, "w_neg": 1.0, "ctrl_size": 50, "n_bins": 25, "random_state": 0}
    params = {"method": scoring.method, "layer": layer, **options}
    write_scores(adata, scores, table, params, genes, key_added)
    return scores


def axis_catalogue() -> dict[str, Program]:
    """The catalogue plus ``senescence_up``."""
    senescence = catalogue()["senescence"]
    return {**catalogue(), SENESCENCE_UP: Program(SENESCENCE_UP, senescence.up)}


def arrest_free_scoring(
    method: str, names: pd.Index, programs: dict[str, Program] | None = None
) -> Scoring:
    """The scoring of :func:`arrest_free_scores`, to run in a pass over the rows."""
    if programs is None:
        programs = {k: v for k, v in axis_catalogue().items() if k != "proliferation"}
    arrest = catalogue()["proliferation"].genes
    keep = np.flatnonzero(~names.isin(list(arrest)))
    return Scoring(programs, names[keep], keep, method)


def arrest_free_scores(
    adata: AnnData, method: str, names: pd.Index, programs: dict[str, Program] | None = None
) -> pd.DataFrame:
    """Every program but ``proliferation``, scored without any ``proliferation`` gene.

    Arrest lowers the ``proliferation`` genes. Within a cell, every other gene then ranks
    higher (and, for the mean method, sits higher against its controls), so a merely arrested
    cell would look a little senescent, inflammatory and p53-active. Leaving every one of those
    genes out of the data before scoring removes that shift at its source, also the genes that
    another program shares with ``proliferation`` (CDKN1A, CDKN2A, TP53, PCNA, MYC ...): they
    fall on arrest too, and a small, tight bulk reference turns even their shift into z > 1.5
    (docs/senescence-axis.md, "Amendment after run 1"). The reported program scores
    (``obsm[f"{key}_scores"]``) are the standard ones. ``names``: the genes as human symbols
    (:func:`senox.score._run.human_gene_names`). ``programs``: those to score (default: the
    catalogue and ``senescence_up``, without ``proliferation``).
    """
    scoring = arrest_free_scoring(method, names, programs)
    _read_rows(adata.X, [scoring], np.zeros(0, dtype=np.int64))
    return scoring.scores(adata.obs_names)


def _read_rows(matrix: Any, scorings: list[Scoring], panel_columns: NDArray[np.int64]) -> FirstPass:
    """Run ``scorings`` over the rows: rank ones in the first pass, mean ones in a second."""
    first = [s for s in scorings if not s.needs_gene_means]
    for scoring in first:
        scoring.lay_out(None)
    found = first_pass(matrix, first, panel_columns)
    _second_pass(matrix, found, [s for s in scorings if s.needs_gene_means])
    return found


def _read_for_states(
    data: AnnData, genes: GeneNames, axis: Scoring | None, arrest_free: Scoring
) -> tuple[FirstPass, pd.Series, Scoring | None]:
    """The first pass, the observations with expression, and the mean method's second pass.

    Checked in the order the separate passes checked them: observations with expression, the
    programs' coverage, then (mean method) bad values. A second pass for the mean method also
    scores the cell cycle (returned; used when the mixture is not supported), so that no
    third pass is needed.
    """
    scorings = [s for s in (axis, arrest_free) if s is not None]
    for scoring in scorings:
        if not scoring.needs_gene_means:
            scoring.lay_out(None)
    _, panel_columns = present_columns(data.var_names, PANEL_GENES)
    rank = [s for s in scorings if not s.needs_gene_means]
    found = first_pass(data.X, rank, panel_columns)
    informative = expressed(data, found.with_values)
    if axis is not None:
        check_coverage(axis.coverage(), genes)
    mean = [s for s in scorings if s.needs_gene_means]
    cycle = cell_cycle_scoring(genes.names) if mean else None
    _second_pass(data.X, found, [*mean, *([cycle] if cycle is not None else [])])
    return found, informative, cycle


def _cell_cycle(
    data: AnnData, genes: GeneNames, found: FirstPass, cycle: Scoring | None
) -> pd.Series:
    """The cell-cycle score: ``cycle``'s if the mean method's second pass ran, else a pass now."""
    if cycle is None:
        cycle = cell_cycle_scoring(genes.names)
        _second_pass(data.X, found, [cycle])
    scores: pd.Series = cycle.scores(data.obs_names)["proliferation"]
    return scores


def _second_pass(matrix: Any, found: FirstPass, scorings: list[Scoring]) -> None:
    """Lay ``scorings`` out on the first pass's gene means and run them (none: nothing read)."""
    if not scorings:
        return
    means = found.gene_means()
    for scoring in scorings:
        scoring.lay_out(means)
    scoring_pass(matrix, scorings)


def call_states(
    adata: AnnData,
    *,
    reference: str | tuple[str, str] | None = None,
    layer: str | None = None,
    key_added: str = "senox",
    copy: bool = False,
    method: str = "rank",
    seed: int = 0,
    scheduler: str | None = None,
    batch_key: str | None = None,
) -> AnnData | None:
    """Call the redox–senescence state of every observation, with a confidence.

    Parameters
    ----------
    adata
        Observations × human gene symbols (``senox.io.read``). Program scores already in
        ``obsm[f"{key_added}_scores"]`` are reused; otherwise every catalogue program is scored.
    reference
        ``"COLUMN=VALUE"``: the untreated/control observations, against which z-scores are
        calibrated. Without it the whole data set is the baseline (its median observation),
        or, in a bulk design (fewer than 200 observations) half or more of whose observations
        the data find arrested, its cycling observations, with a warning.
    layer
        Read ``adata.layers[layer]`` instead of ``adata.X`` (scores, biomarkers, sub-clusters);
        a layer that is not there is an :class:`~senox._errors.InputError` listing those that
        are.
    key_added
        Prefix of the fields written.
    copy
        Return a new object instead of writing into ``adata``.
    method
        Scoring method when scores must be computed (``rank`` or ``mean``).
    seed
        Seed of the senescent sub-clustering.
    scheduler
        Address of a ``dask.distributed`` scheduler (``tcp://host:8786``): the passes over the
        matrix run on its cluster, a block of rows a task. A Dask ``X`` (e.g. one whose blocks
        each worker reads from a file) is read as it is; an in-memory one is sent in blocks.
    batch_key
        An ``obs`` column of batches (strains, donors, cell lines): each observation is
        calibrated against the ``reference`` observations of its own batch (2 or more in every
        batch), not against all of them. For bulk designs whose batches differ more than their
        conditions (docs/senescence-axis.md). Needs ``reference``.

    Returns
    -------
    ``None``, or the annotated copy when ``copy=True``. Sets:

    ``obs[f"{key_added}_state"]`` : categorical
        One of ``proliferating``, ``quiescent``, ``senescent_inflammatory``, ``senescent_p53``,
        ``escape_like``, ``other`` (rules: ``senox.states.describe_rules()``).
    ``obs[f"{key_added}_confidence"]`` : float in [0.5, 1)
        Sigmoid of the margin past the nearest threshold. Observations without any expressed
        gene are ``other`` with confidence 0.5, and do not enter the calibration.
    ``obs[f"{key_added}_redox_index"]`` : float
        Oxidant minus antioxidant z-score (positive = pro-oxidant).
    ``obs[f"{key_added}_subcluster"]`` : float
        Sub-cluster of senescent observations (NaN elsewhere, and for all of them when the
        structure test finds no sub-populations).
    ``obsm[f"{key_added}_zscores"]``, ``obsm[f"{key_added}_biomarkers"]`` : DataFrame
        Calibrated program z-scores (every program but ``proliferation`` scored without the
        cycle-only genes: :func:`arrest_free_scores`); the biomarker panel's expression.
    ``obsm[f"{key_added}_axes"]`` : DataFrame
        The axes the rules read (``senox.states.describe_rules()``): ``cycling`` (>= 0 is
        cycling), ``sen``, ``sasp``, ``sasp_vs_p53``, ``redox`` and ``stem``.
    ``uns[key_added]["states"]`` : dict
        Calibration (baseline, centre, scale), rules, counts, sub-cluster descriptions (a dict
        keyed by the sub-cluster id, so that ``write_h5ad`` can store it), and
        ``subcluster_test``: the SigClust test of the senescent observations for structure
        (n, cluster index, null median, p-value, supported; empty with fewer than 12), and
        ``warnings`` (plain text; e.g. a reference of fewer than 10 observations, or cycling
        calls with an extreme senescence axis), and ``cycling_rule``: the rule that decided
        cycling (``mixture``, ``reference``, ``split`` or ``sign``) with its figures.
    ``uns[f"{key_added}_state_colors"]`` : list of str
        The colour of each state, in the order of the categories of ``obs[f"{key_added}_state"]``
        (scanpy's ``<key>_colors`` convention, so ``sc.pl.umap(adata, color="senox_state")``
        uses the report's colours).
    """
    adata = adata.copy() if copy else adata
    batches = _batches(adata, batch_key, reference)
    data = _reading(adata, layer, scheduler)
    client = client_for(scheduler)
    with client if client is not None else nullcontext():
        _call_states(adata, data, reference, batches, layer, key_added, method, seed)
    return adata if copy else None


def _call_states(
    adata: AnnData,
    data: AnnData,
    reference: str | tuple[str, str] | None,
    batches: tuple[str, pd.Series] | None,
    layer: str | None,
    key_added: str,
    method: str,
    seed: int,
) -> None:
    """:func:`call_states`' work, reading the matrix from ``data`` and writing into ``adata``."""
    reference_mask = parse_reference(adata, reference)
    genes = human_gene_names(data)
    axis = _axis_scoring(adata, key_added, method, genes.names)
    arrest_free = arrest_free_scoring(method, genes.names)
    found, informative, cycle = _read_for_states(data, genes, axis, arrest_free)
    scores = _scores(adata, axis, genes, layer, key_added)
    proliferation = scores.loc[informative, "proliferation"]
    mixture = fit_mixture(proliferation.to_numpy())
    axis_scores = arrest_free.scores(data.obs_names).assign(proliferation=scores["proliferation"])
    calibration: Calibration | BatchCalibration = (
        calibrate(axis_scores[informative], reference_mask)
        if batches is None or reference_mask is None
        else calibrate_by_batch(axis_scores[informative], reference_mask, batches[1], batches[0])
    )
    z = calibration.zscores(axis_scores)
    cell_cycle = None if mixture.supported else _cell_cycle(data, genes, found, cycle)[informative]
    cycling, cycling_rule = cycling_decision(
        proliferation,
        calibration.raw_zscores(axis_scores)["proliferation"],
        cell_cycle,
        None if reference_mask is None else reference_mask[informative],
        mixture,
        CONFIDENCE_SLOPE,
    )
    cycling_obs = cycling.reindex(proliferation.index) >= 0
    if _cycling_stands_in(reference_mask, cycling_rule, cycling_obs):
        calibration = calibrate(axis_scores[informative], cycling_obs, CYCLING_BASELINE)
        z = calibration.zscores(axis_scores)
    decision = axes(z, cycling.reindex(z.index))
    state, confidence = assign(decision)
    state[~informative] = OTHER
    confidence[~informative] = 0.5
    adata.obs[f"{key_added}_state"] = pd.Categorical(state, categories=list(STATE_NAMES))
    adata.uns[f"{key_added}_state_colors"] = [STATE_COLORS[name] for name in STATE_NAMES]
    adata.obs[f"{key_added}_confidence"] = confidence.to_numpy()
    adata.obs[f"{key_added}_redox_index"] = redox_index(z).to_numpy()
    adata.obsm[f"{key_added}_zscores"] = z
    adata.obsm[f"{key_added}_axes"] = decision
    panel_genes, _ = present_columns(data.var_names, PANEL_GENES)
    adata.obsm[f"{key_added}_biomarkers"] = expression_frame(
        found.panel, data.obs_names, panel_genes, PANEL_GENES
    )
    described = sorted({g for p in catalogue().values() for g in p.genes} | set(PANEL_GENES))
    labels, clusters, test = senescent_subclusters(data, state, z, described, seed=seed)
    adata.obs[f"{key_added}_subcluster"] = labels.to_numpy()
    record = _record(calibration, reference, state, clusters)
    record["subcluster_test"] = test
    record["n_without_expression"] = int((~informative).sum())
    record["warnings"] = (
        _warnings(calibration, reference)
        + _cycling_baseline(calibration, int(informative.sum()))
        + _conflicts(decision[informative], state[informative], cycling_rule)
        + _undecided_arrest(cycling_rule)
    )
    record["cycling_mixture"] = mixture.record()
    record["cycling_rule"] = cycling_rule
    adata.uns.setdefault(key_added, {})["states"] = record


def _batches(
    adata: AnnData, batch_key: str | None, reference: object
) -> tuple[str, pd.Series] | None:
    """The batch column named by ``batch_key`` (checked before any work), or None."""
    if batch_key is None:
        return None
    if reference is None:
        msg = f"--batch-key {batch_key}: batches are calibrated against their reference "
        msg += "observations; name them with --reference COLUMN=VALUE"
        raise InputError(msg)
    if batch_key not in adata.obs.columns:
        msg = (
            f"--batch-key {batch_key}: no such column in the observations; columns: "
            f"{', '.join(map(str, adata.obs.columns))}"
        )
        raise InputError(msg)
    return batch_key, adata.obs[batch_key].astype(str)


def _reading(adata: AnnData, layer: str | None, scheduler: str | None = None) -> AnnData:
    """``adata`` itself, or an AnnData of its ``layer`` sharing its names (nothing copied).

    With a ``scheduler``, the matrix as a Dask array (already one, or in blocks of rows).
    """
    matrix = adata.X if layer is None else layer_matrix(adata, layer)
    if scheduler is not None and not is_dask(matrix):
        matrix = as_dask_rows(matrix, CHUNK_ROWS)
    elif layer is None:
        return adata
    from anndata import AnnData

    data = AnnData(
        X=matrix,
        obs=pd.DataFrame(index=adata.obs_names),
        var=pd.DataFrame(index=adata.var_names),
    )
    if "senox_io" in adata.uns:
        data.uns["senox_io"] = adata.uns["senox_io"]
    return data


def _warnings(calibration: Calibration | BatchCalibration, reference: object) -> list[str]:
    """Plain-text warnings about the calibration (also shown by the CLI and the report).

    A small baseline is unstable whether it was named (``reference``) or stands in for one
    (the cycling observations of a bulk design, :data:`CYCLING_BASELINE`).
    """
    n = calibration.n_baseline
    if calibration.baseline == "all observations" or n >= STABLE_BASELINE:
        return []
    error = 1.16 / n**0.5
    where = " in its smallest batch" if isinstance(calibration, BatchCalibration) else ""
    subject = (
        f"The reference {reference}"
        if reference is not None
        else "The cycling group that stands in for a reference"
    )
    return [
        f"{subject} holds {n} observations{where}, so the spread that scales every "
        f"z-score is unstable (standard error about {error:.0%} of itself): calls near a bar "
        f"can flip, and a reference from one of several batches makes the others look extreme. "
        f"Prefer {STABLE_BASELINE} or more reference observations that span the data's batches."
    ]


def _cycling_stands_in(
    reference: pd.Series | None, rule: dict[str, Any], cycling: pd.Series
) -> bool:
    """Whether the cycling observations replace the median observation as the baseline.

    Only in a bulk design (fewer than ``SINGLE_CELL_MIN_OBS`` observations, each a sample of
    some condition) without a reference, where the data themselves told arrest from cycling
    (the mixture or the split, not the sign rule), with half the observations or more
    arrested and at least ``MIN_REFERENCE`` cycling: the median observation is then not a
    cycling one, which the whole-data baseline assumes. In single cells the cycling cells are
    no control group (adult hepatocytes in vivo hardly cycle at all), and a smaller arrested
    share keeps the whole-data baseline, whose robust centre and spread an outlier among the
    cycling observations does not move.
    """
    n, n_cycling = len(cycling), int(cycling.sum())
    return (
        reference is None
        and rule["rule"] in ("mixture", "split")
        and n < SINGLE_CELL_MIN_OBS
        and 2 * (n - n_cycling) >= n
        and n_cycling >= MIN_REFERENCE
    )


def _cycling_baseline(calibration: Calibration | BatchCalibration, n: int) -> list[str]:
    """Say that the cycling observations stood in for a reference, where they did."""
    if calibration.baseline != CYCLING_BASELINE:
        return []
    n_cycling = calibration.n_baseline
    return [
        f"No reference was named, and {n - n_cycling} of the {n} observations are arrested, "
        f"so the {n_cycling} cycling ones served as the reference for every z-score: an "
        "arrested observation is senescent where its senescence axis rises 1.5 SD above "
        "theirs. Name your controls with --reference (Python: reference=) to choose the "
        "reference yourself."
    ]


def _conflicts(decision: pd.DataFrame, state: pd.Series, rule: dict[str, Any]) -> list[str]:
    """A warning for observations called cycling though their senescence axis is extreme."""
    cycling = state.isin(["proliferating", "escape_like"])
    extreme = cycling & (decision["sen"] >= EXTREME_SEN)
    if not extreme.any():
        return []
    examples = ", ".join(map(str, extreme[extreme].index[:3]))
    n = int(extreme.sum())
    return [
        f"{counted(n, 'observation')} called cycling {'has' if n == 1 else 'have'} the "
        f"senescence axis {EXTREME_SEN:g} SD or more above the baseline (e.g. {examples}); the "
        f"cycling rule ('{rule['rule']}') found {'it' if n == 1 else 'them'} cycling. Check "
        "their proliferation genes; a reference of untreated observations lets arrest be "
        "judged against it."
    ]


def _undecided_arrest(rule: dict[str, Any]) -> list[str]:
    """A warning when nothing in the design could tell arrested observations from cycling ones."""
    if rule["rule"] != "sign":
        return []
    return [
        "No reference was named and the proliferation scores do not split into a low and a high "
        f"group (p = {rule['split_p']:.2g}), so arrest was judged by each observation's cycle "
        "genes against matched control genes alone. That test calls nearly every bulk sample "
        "cycling, arrested or not, and is close to a coin toss in sparse single-cell profiles: "
        "if all the observations may be arrested (serum-starved, confluent or all senescent), "
        "their 'proliferating' calls are not evidence of cycling. Name cycling controls with "
        "--reference (Python: reference=)."
    ]


def _record(
    calibration: Calibration | BatchCalibration,
    reference: object,
    state: pd.Series,
    clusters: list[dict[str, Any]],
) -> dict[str, Any]:
    counts = state.value_counts()
    return {
        "reference": str(reference) if reference is not None else "",
        "baseline": calibration.baseline,
        "n_baseline": calibration.n_baseline,
        "center": calibration.center.to_dict(),
        "scale": calibration.scale.to_dict(),
        "rules": describe_rules().to_dict(orient="list"),
        "counts": {name: int(counts.get(name, 0)) for name in STATE_NAMES},
        "senescent_subclusters": {str(c["subcluster"]): c for c in clusters},
        "senox_version": __version__,
    }


def state_fractions(adata: AnnData, groupby: str, *, key_added: str = "senox") -> pd.DataFrame:
    """Fraction of each state per group (rows: groups; columns: ``n`` then one per state)."""
    if groupby not in adata.obs.columns:
        msg = f"--groupby column '{groupby}' is not in obs (columns: {_columns(adata)})"
        raise InputError(msg)
    states = adata.obs[f"{key_added}_state"]
    table = pd.crosstab(adata.obs[groupby].astype(str), states, normalize="index").reindex(
        columns=list(STATE_NAMES), fill_value=0.0
    )
    order = group_order(adata.obs[groupby])
    table = table.reindex(index=order + [g for g in table.index if g not in order])
    table.insert(0, "n", adata.obs[groupby].astype(str).value_counts().reindex(table.index))
    table.index.name = groupby
    return table
