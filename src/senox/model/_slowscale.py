"""Slow-scale reduction of fast reversible conversions for the stochastic simulator.

Many signalling models spend most of their stochastic events in fast futile cycles: a molecule
is phosphorylated and dephosphorylated again tens of times a second while nothing else in the
cell moves that fast. In Passos et al. 2010 the Mdm2, p53 and p38 phosphorylation cycles are
99 % of all reaction events (measured in ``benchmarks/results/passos_ssa.md``).

The slow-scale SSA (Cao, Gillespie & Petzold 2005, J Chem Phys 122:014116, doi:10.1063/1.1824902)
does not fire such reactions. For a fast pair

    X (+ Cf) -> Y (+ Cf)   at kf * Cf per molecule of X
    Y (+ Cb) -> X (+ Cb)   at kb * Cb per molecule of Y

where the catalysts ``Cf`` and ``Cb`` (either may be absent) change only through slow reactions,
the pair's total ``T = X + Y`` is a slow variable, and between slow events each of the ``T``
molecules flips independently between X and Y, so the fast process's stationary law given the
slow state is ``Y ~ Binomial(T, p)``, ``p = kf Cf / (kf Cf + kb Cb)``. The reduced model keeps
``T`` in X's slot, fires only the slow reactions, and gives each the expected propensity over
that law: a law first order in X reads ``T (1 - p)``, one first order in Y reads ``T p``, and a
law with species of two different pairs multiplies their shares (the pairs are independent given
the slow state). Recorded X and Y are drawn from the binomial law at each recording time.

What this approximates, and when it holds: it assumes the fast pair relaxes to its law much
faster than any slow reaction changes ``T``, ``Cf`` or ``Cb`` (relaxation rate ``kf Cf + kb Cb``
against the slow reactions' rates per molecule). It is exact in that limit; away from it the
error grows with the ratio. Statistics of slow species should be checked against the exact SSA
on the case at hand (as ``benchmarks/bench_passos_ssa.py`` does).

Refused with a one-line :class:`senox._errors.InputError`: a fast reaction that is not of the
form above, a species in two pairs, a catalyst that is itself in a pair, a slow reaction of
order above one in a fast species or reading both species of one pair, a slow reaction reading
more than two pairs, and an event that assigns a fast species.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from senox._errors import InputError
from senox.model._ssa import SSAModel, _all_propensities, _rates, change_arrays

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

__all__ = [
    "PASSOS_FAST_PAIRS",
    "SEPARATION",
    "expected_firings",
    "slow_scale",
    "suggest_fast_pairs",
]

#: The fast cycles of Passos et al. 2010 (BIOMD0000000287), as (forward, backward) reaction ids:
#: Mdm2 (about 74 % of exact SSA events), p53 (21 %) and p38 (4 %) phosphorylation.
PASSOS_FAST_PAIRS: tuple[tuple[str, str], ...] = (
    ("Mdm2phoshorylation", "Mdm2dephosorylation"),
    ("p53phoshorylation", "p53dephosorylation"),
    ("p38activation", "p38inactivation"),
)

#: share slots: 0 holds 1 (no factor), 1 holds 0 (a fast reaction, never fired)
_ONE, _ZERO = 0, 1


@dataclasses.dataclass
class _Pair:
    x: int
    y: int
    cf: int
    cb: int
    rf: int
    rb: int


@dataclasses.dataclass
class _Factors:
    """The reduced model's propensity arrays (see :class:`SSAModel`) and what each reads."""

    nf: NDArray[np.int64]
    fs: NDArray[np.int64]
    fn: NDArray[np.int64]
    g1: NDArray[np.int64]
    g2: NDArray[np.int64]
    gen: NDArray[np.bool_]
    uses: list[set[int]]


class _Reducer:
    def __init__(self, model: SSAModel) -> None:
        self.m = model
        self.n_s = len(model.species)
        self.rid = {name: r for r, name in enumerate(model.reactions)}
        self.pairs: list[_Pair] = []

    def fail(self, what: str, fix: str) -> InputError:
        return InputError(f"{self.m.source}: slow-scale reduction: {what}; {fix}")

    def factors(self, r: int) -> dict[int, int]:
        m = self.m
        return {int(m.fs[r, j]): int(m.fn[r, j]) for j in range(m.nf[r])}

    def change(self, r: int) -> dict[int, float]:
        m = self.m
        a, b = m.ch_ptr[r], m.ch_ptr[r + 1]
        return {int(s): float(d) for s, d in zip(m.ch_s[a:b], m.ch_d[a:b], strict=True)}

    def reaction(self, name: str) -> int:
        if name not in self.rid:
            what, fix = f"no reaction '{name}'", f"choose from {', '.join(self.m.reactions)}"
            raise self.fail(what, fix)
        return self.rid[name]

    def conversion(self, r: int) -> tuple[int, int, int]:
        """(from, to, catalyst) of a first-order conversion ``A (+ C) -> B (+ C)``."""
        name = self.m.reactions[r]
        change = self.change(r)
        sources = [s for s, d in change.items() if d == -1]
        targets = [s for s, d in change.items() if d == 1]
        factors = self.factors(r)
        if len(change) != 2 or len(sources) != 1 or len(targets) != 1:
            what = f"reaction '{name}' does not turn one molecule of a species into one of another"
            raise self.fail(what, "name a conversion A -> B (optionally with a catalyst) as fast")
        source, target = sources[0], targets[0]
        others = [s for s in factors if s != source]
        if factors.get(source) != 1 or len(others) > 1 or any(factors[s] != 1 for s in others):
            what = f"the law of '{name}' is not k * {self.m.species[source]} (times one catalyst)"
            raise self.fail(what, "name a first-order conversion as a fast reaction")
        return source, target, others[0] if others else self.n_s

    def pair(self, forward: str, backward: str) -> _Pair:
        rf, rb = self.reaction(forward), self.reaction(backward)
        x, y, cf = self.conversion(rf)
        y_back, x_back, cb = self.conversion(rb)
        if (y_back, x_back) != (y, x):
            what = f"'{backward}' does not undo '{forward}'"
            raise self.fail(what, "pair each forward conversion X -> Y with its backward Y -> X")
        return _Pair(x=x, y=y, cf=cf, cb=cb, rf=rf, rb=rb)

    def check_pairs(self, pairs: list[_Pair]) -> None:
        species = [s for p in pairs for s in (p.x, p.y)]
        if len(set(species)) != len(species):
            what = "a species is in two fast pairs"
            raise self.fail(what, "give each species one pair")
        for p in pairs:
            for c in (p.cf, p.cb):
                if c in species:
                    what = f"catalyst '{self.m.species[c]}' is itself in a fast pair"
                    raise self.fail(what, "leave that pair slow")
        events = zip(self.m.ev_kind, self.m.ev_idx, strict=True)
        hit = {int(i) for kind, i in events if kind == 0} & set(species)
        if hit:
            what = (
                f"an event assigns fast species {', '.join(self.m.species[s] for s in sorted(hit))}"
            )
            raise self.fail(what, "leave that pair slow")

    def slow_factors(
        self, r: int, side: dict[int, tuple[int, int]]
    ) -> tuple[dict[int, int], list[int]]:
        """Factors of slow reaction ``r``, and the share slots it multiplies by.

        A fast species' factor moves to its pair's X slot (which holds the pair's total).
        """
        name = self.m.reactions[r]
        factors: dict[int, int] = {}
        slots: list[int] = []
        seen: set[int] = set()
        for s, n in self.factors(r).items():
            if s not in side:
                factors[s] = factors.get(s, 0) + n
                continue
            j, slot = side[s]
            if n != 1 or j in seen:
                what = f"reaction '{name}' is not first order in the species of one fast pair"
                raise self.fail(what, "leave that pair slow")
            seen.add(j)
            slots.append(slot)
            x = self.pairs[j].x
            factors[x] = factors.get(x, 0) + 1
        if len(slots) > 2:
            what = f"reaction '{name}' reads more than two fast pairs"
            raise self.fail(what, "leave one of them slow")
        return factors, slots

    def factor_arrays(self, side: dict[int, tuple[int, int]]) -> _Factors:
        """The reduced model's propensity arrays, and the species each propensity reads.

        A fast reaction's propensity is multiplied by share slot ``_ZERO``: it never fires. A
        slow reaction that reads a pair also reads that pair's catalysts, through its share.
        """
        m = self.m
        fast = {r for p in self.pairs for r in (p.rf, p.rb)}
        catalysts = [{p.cf, p.cb} - {self.n_s} for p in self.pairs]
        n_r = len(m.reactions)
        width = max(m.fs.shape[1], 1)
        out = _Factors(
            nf=m.nf.copy(),
            fs=np.zeros((n_r, width), np.int64),
            fn=np.zeros((n_r, width), np.int64),
            g1=np.full(n_r, _ONE, np.int64),
            g2=np.full(n_r, _ONE, np.int64),
            gen=m.gen.copy(),
            uses=[],
        )
        for r in range(n_r):
            factors, slots = (self.factors(r), [_ZERO]) if r in fast else self.slow_factors(r, side)
            out.nf[r] = len(factors)
            for col, (s, n) in enumerate(sorted(factors.items())):
                out.fs[r, col], out.fn[r, col] = s, n
            used = set(factors)
            if slots:
                out.gen[r] = True
                out.g1[r] = slots[0]
                out.g2[r] = slots[1] if len(slots) > 1 else _ONE
            if r not in fast:
                for slot in slots:
                    used |= catalysts[(slot - 2) // 2]
            out.uses.append(used)
        return out

    def lumped_changes(self) -> list[dict[int, float]]:
        """Each reaction's net change with a pair's Y counted in its X slot (the total)."""
        to_x = {p.y: p.x for p in self.pairs}
        changes: list[dict[int, float]] = []
        for r in range(len(self.m.reactions)):
            merged: dict[int, float] = {}
            for s, d in self.change(r).items():
                merged[to_x.get(s, s)] = merged.get(to_x.get(s, s), 0.0) + d
            changes.append({s: d for s, d in merged.items() if d != 0.0})
        return changes

    def reduce(self, names: Sequence[tuple[str, str]]) -> SSAModel:
        self.pairs = [self.pair(f, b) for f, b in names]
        self.check_pairs(self.pairs)
        side: dict[int, tuple[int, int]] = {}
        for j, p in enumerate(self.pairs):
            side[p.x] = (j, 2 + 2 * j)
            side[p.y] = (j, 3 + 2 * j)
        factors = self.factor_arrays(side)
        changes = self.lumped_changes()
        graph = change_arrays(factors.uses, changes)
        moved = {c for p in self.pairs for c in (p.cf, p.cb)} - {self.n_s}
        moves_catalyst = np.array([bool(set(c) & moved) for c in changes], dtype=np.bool_)

        def ints(values: Sequence[int]) -> NDArray[np.int64]:
            return np.array(values, dtype=np.int64)

        return dataclasses.replace(
            self.m,
            nf=factors.nf,
            fs=factors.fs,
            fn=factors.fn,
            gen=factors.gen,
            g1=factors.g1,
            g2=factors.g2,
            fast_pairs=tuple((str(f), str(b)) for f, b in names),
            fast_x=ints([p.x for p in self.pairs]),
            fast_y=ints([p.y for p in self.pairs]),
            fast_cf=ints([p.cf for p in self.pairs]),
            fast_cb=ints([p.cb for p in self.pairs]),
            fast_rf=ints([p.rf for p in self.pairs]),
            fast_rb=ints([p.rb for p in self.pairs]),
            moves_catalyst=moves_catalyst,
            ch_ptr=graph.ch_ptr,
            ch_s=graph.ch_s,
            ch_d=graph.ch_d,
            dep_ptr=graph.dep_ptr,
            dep_idx=graph.dep_idx,
        )


def slow_scale(model: SSAModel, pairs: Sequence[tuple[str, str]]) -> SSAModel:
    """The model with each ``(forward, backward)`` reaction pair treated as fast (slow-scale SSA).

    Parameters
    ----------
    model
        An exact model from :func:`senox.model.compile_sbml`.
    pairs
        Reaction ids ``(forward, backward)`` of fast reversible conversions X <-> Y, e.g.
        :data:`PASSOS_FAST_PAIRS`.

    Returns
    -------
    SSAModel
        A model for :func:`senox.model.simulate_ssa` that fires only the slow reactions. The
        species keep their names; recorded fast species are drawn from their equilibrium law.

    Raises
    ------
    InputError
        When a pair is not a reversible first-order conversion, or the rest of the model reads
        its species in a way the reduction cannot average (see the module notes).
    """
    if model.fast_pairs:
        msg = f"{model.source}: the model is already reduced; start from compile_sbml's model"
        raise InputError(msg)
    if not pairs:
        msg = f"{model.source}: slow-scale reduction needs at least one (forward, backward) pair"
        raise InputError(msg)
    return _Reducer(model).reduce(pairs)


#: :func:`suggest_fast_pairs` proposes a pair when its two reactions together fire at least this
#: many times as often as any other reaction that changes one of its species or catalysts.
SEPARATION = 10.0


def expected_firings(
    model: SSAModel, runs: NDArray[np.float64], times: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Expected firings of every reaction over recorded exact runs.

    The time integral of each propensity: trapezoid rule on the recording grid, mean over cells,
    the model's initial rate constants (events that change a parameter are not followed).
    ``runs``: ``(cells, times, species)`` of every species in model order.
    """
    m = model
    k = np.empty(len(m.reactions))
    _rates(m.p0, k, m.coef, m.kp_ptr, m.kp_idx, m.kp_exp)
    order = np.arange(k.size, dtype=np.int64)
    share = np.array([1.0, 0.0])  # an exact model's shares: slot 0 holds 1
    x = np.ones(len(m.species) + 1)  # the kernel's extra slot holds 1.0
    a = np.empty(k.size)
    propensity = np.zeros((runs.shape[1], k.size))
    for cell in runs:
        for i, state in enumerate(cell):
            x[:-1] = state
            _all_propensities(
                x, k, a, order, m.f1, m.f2, m.dd, m.gen, m.nf, m.fs, m.fn, share, m.g1, m.g2
            )
            propensity[i] += a / runs.shape[0]
    return np.asarray(np.trapezoid(propensity, times, axis=0), dtype=np.float64)


def suggest_fast_pairs(
    model: SSAModel, *, until: float, n_cells: int = 2, seed: int = 0, points: int = 400
) -> list[tuple[str, str]]:
    """Fast reversible conversions of ``model``, found by a short exact pilot run.

    Every pair of reactions that :func:`slow_scale` accepts (``X (+ Cf) -> Y``, ``Y (+ Cb) ->
    X``) is a candidate. The pilot (``n_cells`` cells from 0 to ``until``, model time units)
    gives each reaction's expected firings (:func:`expected_firings`). A candidate is proposed
    when its two reactions fire at least :data:`SEPARATION` times as often as any other
    reaction that changes X, Y or a catalyst; candidates are taken most frequent first, each
    species in one pair. A heuristic: check the reduced model's statistics against the exact
    SSA on the case at hand.
    """
    from senox.model._ssa import simulate_ssa

    if model.fast_pairs:
        msg = f"{model.source}: the model is already reduced; start from compile_sbml's model"
        raise InputError(msg)
    times = np.linspace(0.0, until, points)
    runs = simulate_ssa(model, n_cells=n_cells, times=times, seed=seed)
    firings = expected_firings(model, runs, times)
    reducer = _Reducer(model)
    conversions: dict[int, tuple[int, int, int]] = {}
    for r in range(len(model.reactions)):
        try:
            conversions[r] = reducer.conversion(r)
        except InputError:
            continue
    candidates = []
    for rf, (x, y, cf) in conversions.items():
        for rb, (y_back, x_back, cb) in conversions.items():
            if (y_back, x_back) != (y, x) or rf == rb:
                continue
            moved = {x, y, cf, cb} - {reducer.n_s}
            others = [
                firings[r]
                for r in range(len(model.reactions))
                if r not in (rf, rb) and moved & set(reducer.change(r))
            ]
            fast = firings[rf] + firings[rb]
            if fast > 0 and fast >= SEPARATION * max(others, default=0.0):
                candidates.append((fast, rf, rb, {x, y}, {cf, cb} - {reducer.n_s}))
    chosen: list[tuple[str, str]] = []
    taken: set[int] = set()
    catalysts: set[int] = set()
    for _, rf, rb, species, cats in sorted(candidates, key=lambda c: -c[0]):
        if species & taken or species & catalysts or cats & taken:
            continue
        chosen.append((model.reactions[rf], model.reactions[rb]))
        taken |= species
        catalysts |= cats
    return chosen
