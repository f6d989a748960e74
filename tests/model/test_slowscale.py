"""The slow-scale reduction of fast reversible conversions: closed forms, the exact SSA in the
limit of fast cycles, recording, and refusals.

Tolerances come from the sampling error of the fixed-seed ensembles (stated at each check).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from senox._errors import InputError
from senox.model._slowscale import PASSOS_FAST_PAIRS, slow_scale, suggest_fast_pairs
from senox.model._ssa import _binomial, _cell_streams, compile_sbml, passos_escape, simulate_ssa

from .test_ssa import write_sbml


def cycle_model(tmp_path, *, kf, kb, kd=0.1, kz=0.5, c_birth=0.0, c_death=0.0, c0=2.0, name="m"):
    """X <-> Y, X (+C) -> Y at kf C, Y -> X at kb; slow: X decays at kd, Y makes Z at kz.

    C, the catalyst, is born at ``c_birth`` and dies at ``c_death`` per molecule.
    """
    return write_sbml(
        tmp_path / f"{name}.xml",
        species={"X": 60.0, "Y": 0.0, "C": c0, "Z": 0.0},
        parameters={"kf": kf, "kb": kb, "kd": kd, "kz": kz, "cb": c_birth, "cd": c_death},
        reactions=[
            ("phos", {"X": 1, "C": 1}, {"Y": 1, "C": 1}, "kf * X * C"),
            ("dephos", {"Y": 1}, {"X": 1}, "kb * Y"),
            ("decay", {"X": 1}, {}, "kd * X"),
            ("make_z", {"Y": 1}, {"Y": 1, "Z": 1}, "kz * Y"),
            ("c_birth", {}, {"C": 1}, "cb"),
            ("c_death", {"C": 1}, {}, "cd * C"),
        ],
    )


PAIR = [("phos", "dephos")]


@pytest.mark.parametrize(("n", "p"), [(7, 0.5), (60, 0.03), (200, 0.97), (3000, 0.4)])
def test_binomial_draws_have_the_binomial_law(n, p):
    # 20,000 draws: mean within 4 standard errors, variance within 10 %, support respected
    state = _cell_streams(11, 0, 1)[0, 4:].copy()
    draws = np.array([_binomial(float(n), p, state) for _ in range(20_000)])
    assert draws.min() >= 0
    assert draws.max() <= n
    assert (draws == np.round(draws)).all()
    assert abs(draws.mean() - n * p) <= 4 * math.sqrt(n * p * (1 - p) / draws.size)
    np.testing.assert_allclose(draws.var(), n * p * (1 - p), rtol=0.1)
    assert _binomial(float(n), 0.0, state) == 0
    assert _binomial(float(n), 1.0, state) == n


def test_a_reduced_pair_decays_as_the_closed_form(tmp_path):
    # C = 2, kf = 5, kb = 10: p = 10 / 20 = 1/2, so the total T = X + Y dies at kd (1 - p) per
    # molecule: T(t) ~ Binomial(60, exp(-kd t / 2)); and Y | T ~ Binomial(T, 1/2).
    model = slow_scale(compile_sbml(cycle_model(tmp_path, kf=5.0, kb=10.0)), PAIR)
    times = np.array([0.0, 5.0, 10.0, 20.0])
    runs = simulate_ssa(model, n_cells=2000, times=times, seed=1, species=["X", "Y", "C"])
    total = runs[..., 0] + runs[..., 1]
    survive = np.exp(-0.1 * times / 2)
    mean, var = 60 * survive, 60 * survive * (1 - survive)
    se = np.sqrt(var / 2000)
    assert (np.abs(total.mean(0) - mean) <= 4 * se + 1e-12).all()
    # the variance of a binomial: its sampling SD is about var * sqrt(2 / n) here
    np.testing.assert_allclose(total.var(0, ddof=1)[1:], var[1:], rtol=4 * math.sqrt(2 / 2000))
    # recorded Y given the total: mean T / 2 and binomial spread T / 4
    y, t = runs[:, 2, 1], total[:, 2]
    assert abs((y - t / 2).mean()) <= 4 * math.sqrt((t / 4).mean() / 2000)
    np.testing.assert_allclose(((y - t / 2) ** 2).mean(), (t / 4).mean(), rtol=0.1)
    assert (runs[..., 2] == 2).all()


def test_a_reduced_pair_follows_the_exact_ssa_when_its_cycle_is_fast(tmp_path):
    # a moving catalyst (C born at 0.2/s, dying at 0.1/s) changes p over time; the cycle runs
    # at 200-400/s against slow rates of at most 0.5/s per molecule, so the exact SSA should
    # agree with the reduction within sampling error (4 standard errors of the difference)
    path = cycle_model(tmp_path, kf=100.0, kb=200.0, c_birth=0.2, c_death=0.1, c0=0.0)
    times = np.array([2.0, 8.0, 20.0])
    species = ["X", "Y", "C", "Z"]
    reduced = simulate_ssa(
        slow_scale(compile_sbml(path), PAIR), n_cells=3000, times=times, seed=2, species=species
    )
    exact = simulate_ssa(compile_sbml(path), n_cells=600, times=times, seed=3, species=species)
    for i, name in enumerate(species):
        a, b = reduced[..., i], exact[..., i]
        se = np.sqrt(a.var(0, ddof=1) / a.shape[0] + b.var(0, ddof=1) / b.shape[0])
        assert (np.abs(a.mean(0) - b.mean(0)) <= 4 * se + 1e-9).all(), name


def test_the_reduction_fires_only_slow_reactions(tmp_path):
    path = cycle_model(tmp_path, kf=100.0, kb=200.0)
    exact, reduced = compile_sbml(path), slow_scale(compile_sbml(path), PAIR)
    assert reduced.fast_pairs == (("phos", "dephos"),)
    assert reduced.reactions == exact.reactions
    assert reduced.species == exact.species
    # only C's births and deaths move the catalyst
    moves = dict(zip(reduced.reactions, reduced.moves_catalyst, strict=True))
    assert [r for r, m in moves.items() if m] == ["c_birth", "c_death"]


def test_passos_reduction_keeps_its_invariants_and_its_mean_response():
    exact = compile_sbml("passos2010")
    model = slow_scale(exact, PASSOS_FAST_PAIRS)
    days = np.array([1.0, 2.5, 4.0])
    runs = simulate_ssa(model, n_cells=200, times=days * 86400.0, seed=5)
    col = {name: i for i, name in enumerate(model.species)}
    # p38 is a fast pair (X = p38, Y = p38_P): recorded draws still add up to its 100 molecules
    assert (runs[..., col["p38"]] + runs[..., col["p38_P"]] == 100).all()
    assert (runs[..., col["ATMA"]] + runs[..., col["ATMI"]] == 200).all()
    # against the exact SSA's 500-cell means at 2.5 d (benchmarks/results/passos_ssa.json:
    # p21 11.8 +- 4.9 at 0.5 d after IR); 4 standard errors of 200 cells
    p21 = runs[:, 1, col["p21"]]
    assert abs(p21.mean() - 11.81) <= 4 * 4.94 / math.sqrt(200)


def test_passos_escape_runs_on_the_reduced_model():
    model = slow_scale(compile_sbml("passos2010"), PASSOS_FAST_PAIRS)
    result = passos_escape(n_cells=20, seed=1, model=model)
    for arm in result.arms.values():
        assert arm.n == 20
        assert 0 <= arm.count <= 20
    assert result.threshold > result.basal_mean > 0


@pytest.mark.parametrize(
    ("pairs", "match"),
    [
        ([("phos", "nope")], "no reaction 'nope'"),
        ([("phos", "decay")], "does not turn one molecule"),
        ([("phos", "make_z")], "does not turn one molecule"),
        ([("phos", "dephos"), ("phos", "dephos")], "in two fast pairs"),
        ([], "at least one"),
    ],
)
def test_bad_pairs_are_refused(tmp_path, pairs, match):
    model = compile_sbml(cycle_model(tmp_path, kf=1.0, kb=1.0))
    with pytest.raises(InputError, match=match):
        slow_scale(model, pairs)


def test_what_the_reduction_cannot_average_is_refused(tmp_path):
    base = {"X": 5.0, "Y": 0.0, "C": 1.0}
    cycle: list[tuple[str, dict[str, int], dict[str, int], str]] = [
        ("phos", {"X": 1, "C": 1}, {"Y": 1, "C": 1}, "kf * X * C"),
        ("dephos", {"Y": 1}, {"X": 1}, "kb * Y"),
    ]
    cases: dict[str, list[tuple[str, dict[str, int], dict[str, int], str]]] = {
        "not first order": [("dimer", {"X": 2}, {}, "k * X * X")],
        "not first order in the species of one fast pair": [
            ("both", {"X": 1, "Y": 1}, {}, "k * X * Y")
        ],
    }
    for i, (match, extra) in enumerate(cases.items()):
        path = write_sbml(
            tmp_path / f"bad{i}.xml",
            species=base,
            parameters={"kf": 1.0, "kb": 1.0, "k": 1.0},
            reactions=cycle + extra,
        )
        with pytest.raises(InputError, match=match):
            slow_scale(compile_sbml(path), PAIR)
    assigned = write_sbml(
        tmp_path / "event.xml",
        species=base,
        parameters={"kf": 1.0, "kb": 1.0},
        reactions=cycle,
        events=(("reset", 1.0, {"Y": 0.0}),),
    )
    with pytest.raises(InputError, match="an event assigns fast species Y"):
        slow_scale(compile_sbml(assigned), PAIR)
    model = slow_scale(compile_sbml(cycle_model(tmp_path, kf=1.0, kb=1.0)), PAIR)
    with pytest.raises(InputError, match="already reduced"):
        slow_scale(model, PAIR)


def test_a_pilot_run_finds_the_fast_cycle_and_only_it(tmp_path):
    # the cycle fires at 200-400/s per molecule against slow rates of at most 0.5/s: proposed;
    # at 0.02-0.04/s it is slower than the decay (0.1/s): not proposed
    fast = compile_sbml(cycle_model(tmp_path, kf=100.0, kb=200.0, name="fast"))
    assert suggest_fast_pairs(fast, until=5.0) == [("phos", "dephos")]
    slow = compile_sbml(cycle_model(tmp_path, kf=0.01, kb=0.02, name="slow"))
    assert suggest_fast_pairs(slow, until=5.0) == []
    with pytest.raises(InputError, match="already reduced"):
        suggest_fast_pairs(slow_scale(fast, PAIR), until=5.0)


def test_a_pilot_run_finds_the_three_passos_cycles():
    # 0-2.5 d (IR at 2 d): the Mdm2, p53 and p38 cycles are 99 % of the exact SSA's events
    pairs = suggest_fast_pairs(compile_sbml("passos2010"), until=2.5 * 86400.0, seed=1)
    assert sorted(pairs) == sorted(PASSOS_FAST_PAIRS)
