"""The depth-matched AUROC of ``validation/senescence_benchmark.py`` (section 5).

``validation/_report.py``: quantile strata of the detected genes, the Mann–Whitney statistic
restricted to within-stratum (positive, negative) pairs, and its paired bootstrap, checked
against a brute-force count over all pairs and on cases with a known answer.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

if TYPE_CHECKING:
    from types import ModuleType

VALIDATION = Path(__file__).resolve().parents[2] / "validation"


@pytest.fixture(scope="module")
def report() -> ModuleType:
    """``validation/_report.py``."""
    if str(VALIDATION) not in sys.path:
        sys.path.insert(0, str(VALIDATION))
    return importlib.import_module("_report")


def brute_force(scores: np.ndarray, labels: np.ndarray, strata: np.ndarray) -> tuple[float, int]:
    """Every (positive, negative) pair in the same stratum: share won (ties ½), and the count."""
    won, pairs = 0.0, 0
    for i in np.flatnonzero(labels):
        for j in np.flatnonzero(~labels):
            if strata[i] != strata[j]:
                continue
            pairs += 1
            won += 1.0 if scores[i] > scores[j] else 0.5 if scores[i] == scores[j] else 0.0
    return (won / pairs if pairs else float("nan")), pairs


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_matches_brute_force_on_random_data(report: ModuleType, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 80
    scores = rng.integers(0, 6, n).astype(np.float64)  # many ties
    labels = rng.random(n) < 0.4
    strata = rng.integers(0, 5, n)
    strata[labels & (strata == 4)] = 3  # stratum 4: negatives only, contributes nothing
    expected, pairs = brute_force(scores, labels, strata)
    assert report.depth_matched_auroc(scores, labels, strata) == pytest.approx(expected)
    assert report.matched_pairs(labels, strata) == pairs


@pytest.mark.parametrize("seed", [0, 1])
def test_bootstrap_equals_the_statistic_on_every_resample(report: ModuleType, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 70
    scores = np.round(rng.normal(size=n), 1)
    labels = rng.random(n) < 0.5
    strata = report.quantile_strata(rng.poisson(30, n).astype(np.float64), 4)
    resamples = report.stratified_resamples(labels, 60, seed)
    boot = report.bootstrap_depth_matched_aurocs(scores, labels, strata, resamples)
    loop = [report.depth_matched_auroc(scores[r], labels[r], strata[r]) for r in resamples]
    np.testing.assert_allclose(boot, loop, rtol=0, atol=1e-12)


def test_one_stratum_is_the_plain_auroc(report: ModuleType) -> None:
    rng = np.random.default_rng(5)
    scores = rng.normal(size=50)
    labels = rng.random(50) < 0.3
    one = np.zeros(50, dtype=int)
    assert report.depth_matched_auroc(scores, labels, one) == pytest.approx(
        report.auroc(scores, labels)
    )
    resamples = report.stratified_resamples(labels, 40, 0)
    np.testing.assert_allclose(
        report.bootstrap_depth_matched_aurocs(scores, labels, one, resamples),
        report.bootstrap_aurocs(scores, labels, resamples),
    )


def test_known_answers(report: ModuleType) -> None:
    """A perfect score gives 1; depth itself, constant within strata, gives ½ (all ties)."""
    rng = np.random.default_rng(7)
    n = 400
    labels = rng.random(n) < 0.5
    depth = rng.poisson(np.where(labels, 60, 40)).astype(np.float64)  # positives deeper
    strata = report.quantile_strata(depth, 10)
    assert report.auroc(depth, labels) > 0.8
    assert report.depth_matched_auroc(labels.astype(np.float64), labels, strata) == 1.0
    assert report.depth_matched_auroc(-labels.astype(np.float64), labels, strata) == 0.0
    binned = strata.astype(np.float64)  # the depth bin itself: ties within every stratum
    assert report.depth_matched_auroc(binned, labels, strata) == 0.5
    # depth proper still varies inside a bin, so it stays near (not at) ½
    assert abs(report.depth_matched_auroc(depth, labels, strata) - 0.5) < 0.1


def test_no_shared_stratum_is_nan(report: ModuleType) -> None:
    labels = np.array([True, True, False, False])
    assert np.isnan(report.depth_matched_auroc([1.0, 2.0, 0.0, 3.0], labels, [0, 0, 1, 1]))
    assert report.matched_pairs(labels, np.array([0, 0, 1, 1])) == 0


def test_quantile_strata(report: ModuleType) -> None:
    values = np.arange(20, dtype=np.float64)
    assert report.quantile_strata(values, 10).tolist() == [i // 2 for i in range(20)]
    assert report.quantile_strata(values, 5).tolist() == [i // 4 for i in range(20)]
    assert set(report.quantile_strata(np.full(39, 11524.0), 10).tolist()) == {0}  # bulk
    tied = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 5], dtype=np.float64)
    strata = report.quantile_strata(tied, 5)
    assert len(set(strata[:6].tolist())) == 1  # equal values share a stratum
    assert sorted(set(strata.tolist())) == list(range(int(strata.max()) + 1))  # labels compact
    assert np.all(np.diff(strata) >= 0)  # increasing with the values
    with pytest.raises(ValueError, match="n_bins"):
        report.quantile_strata(values, 0)
