"""DOPRI5 on eight members at once: the ensemble engine's explicit integrator in SIMD lanes.

Each of the :data:`~senox.model._compile.LANES` lanes integrates its own member with its own
step size, step control, dose schedule and output times; a lane whose member is done takes
the next one from its block's queue. Vectors are lane-major (species ``i`` of lane ``l`` at
``i * LANES + l``), so the work that has the same shape in every lane runs side by side:
the stages (``_ode._dopri_stages``, which takes either layout), the right-hand
side (:func:`~senox.model._compile.compile_lanes`: each statement one vector operation for
eight members) and the error norms (``_ode._dopri_errors``). What differs between lanes --
accepting or rejecting a step, dense output, clipping, the next step size, restarting at a
dose, a member that fails -- runs lane by lane, with ``_ode``'s own functions where the
layout allows (``_between_segments``, ``_dopri_step_end``, ``_first_step``, the scalar
``rhs`` and ``_redo_with_rodas``).

Every lane does exactly the scalar engine's arithmetic in the same order, so a member's
trajectory and statistics are bit for bit those of ``_ode``'s scalar DOPRI5 (the tests check
this with ``==``), whatever lane, block or queue position it gets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numba
import numpy as np

from senox.model._compile import LANES, compile_lanes
from senox.model._ode import (
    OK,
    TOO_MANY_STEPS,
    _between_segments,
    _call,
    _dopri_errors,
    _dopri_stages,
    _dopri_step_begin,
    _dopri_step_end,
    _first_step,
    _redo_with_rodas,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from senox.model._compile import CompiledModel


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _load(
    derive: Any,
    m: int,
    lane: int,
    params: NDArray[np.float64],
    y0: NDArray[np.float64],
    prow: NDArray[np.float64],
    p: NDArray[np.float64],
    y: NDArray[np.float64],
) -> None:  # pragma: no cover (compiled)
    """Put member ``m`` into lane ``lane``: its extended parameters and initial state."""
    row = m if params.shape[0] > 1 else 0
    _call(derive, 0.0, params[row], params[row], prow[lane])
    for k in range(prow.shape[1]):
        p[k, lane] = prow[lane, k]
    start = m if y0.shape[0] > 1 else 0
    lanes = p.shape[1]
    for i in range(y0.shape[1]):
        y[i * lanes + lane] = y0[start, i]


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _next_segment(
    rhs: Any,
    lane: int,
    m: int,
    times: NDArray[np.float64],
    dose_t: NDArray[np.float64],
    dose_s: NDArray[np.int64],
    dose_a: NDArray[np.float64],
    prow: NDArray[np.float64],
    y: NDArray[np.float64],
    k1: NDArray[np.float64],
    t: NDArray[np.float64],
    h: NDArray[np.float64],
    t_stop: NDArray[np.float64],
    fac_old: NDArray[np.float64],
    j: NDArray[np.int64],
    d: NDArray[np.int64],
    rejected_last: NDArray[np.bool_],
    rtol: float,
    atol: float,
    out: NDArray[np.float64],
    counts: NDArray[np.int64],
    scratch: NDArray[np.float64],
) -> bool:  # pragma: no cover (compiled)
    """A lane at its time: doses and outputs there, then DOPRI5's start on the next segment.

    ``_ode._run``'s loop and ``_dopri_segment``'s start, on the lane. False when the member
    has no output left (it is done).
    """
    lanes, n = t.shape[0], out.shape[2]
    d[lane], j[lane], t_stop[lane] = _between_segments(
        t[lane], d[lane], j[lane], y, lane, lanes, times, dose_t, dose_s, dose_a, out[m]
    )
    if j[lane] >= times.shape[0]:
        return False
    ys, fs, ws, gs = scratch[0], scratch[1], scratch[2], scratch[3]
    for i in range(n):
        ys[i] = y[i * lanes + lane]
    _call(rhs, t[lane], ys, prow[lane], fs)
    span = t_stop[lane] - t[lane]
    h[lane] = _first_step(rhs, t[lane], ys, fs, prow[lane], span, 5, rtol, atol, ws, gs)
    counts[m, 2] += 2
    for i in range(n):
        k1[i * lanes + lane] = fs[i]
    fac_old[lane] = 1e-4
    rejected_last[lane] = False
    return True


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _lane_group(
    derive: Any,
    rhs: Any,
    rhs_lanes: Any,
    jac: Any,
    auto: int,
    autonomous: int,
    times: NDArray[np.float64],
    dose_t: NDArray[np.float64],
    dose_s: NDArray[np.int64],
    dose_a: NDArray[np.float64],
    params: NDArray[np.float64],
    y0: NDArray[np.float64],
    first: int,
    stop: int,
    n_extended: int,
    rtol: float,
    atol: float,
    max_steps: int,
    explicit_limit: int,
    out: NDArray[np.float64],
    counts: NDArray[np.int64],
    status: NDArray[np.int64],
) -> None:  # pragma: no cover (compiled)
    """Members ``first .. stop - 1`` through the lanes, each as ``_ode._member`` would do it.

    ``explicit_limit`` is DOPRI5's step budget per member: ``max_steps``, or with ``auto``
    ``min(explicit_steps, max_steps)``, after which the member is redone with RODAS4.
    """
    lanes = LANES
    n = y0.shape[1]
    p = np.zeros((n_extended, lanes))
    prow = np.zeros((lanes, n_extended))
    # lane-major vectors (see the module's docstring); w and y1 end with a row of times
    size = n * lanes
    y, w, y1 = np.zeros(size), np.zeros(size + lanes), np.zeros(size + lanes)
    k1, k2, k3, k4 = np.zeros(size), np.zeros(size), np.zeros(size), np.zeros(size)
    k5, k6, k7 = np.zeros(size), np.zeros(size), np.zeros(size)
    hv, q = np.zeros(size), np.zeros(size)
    e = np.zeros(lanes)
    negative = np.zeros(lanes, dtype=np.bool_)
    scratch = np.empty((4, n))
    member = np.full(lanes, -1)
    failure = np.zeros(lanes, np.int64)
    stepping = np.zeros(lanes, dtype=np.bool_)
    t, h, t_new, t_stop, fac_old = (
        np.zeros(lanes),
        np.zeros(lanes),
        np.zeros(lanes),
        np.zeros(lanes),
        np.zeros(lanes),
    )
    j, d = np.zeros(lanes, np.int64), np.zeros(lanes, np.int64)
    rejected_last = np.zeros(lanes, dtype=np.bool_)
    last = np.zeros(lanes, dtype=np.bool_)
    queue = first
    while True:
        # lanes between segments: the next segment, or the member's end and the next member
        for lane in range(lanes):
            while not stepping[lane] and (member[lane] >= 0 or queue < stop):
                m = member[lane]
                if m < 0:
                    m = member[lane] = queue
                    queue += 1
                    _load(derive, m, lane, params, y0, prow, p, y)
                    t[lane], j[lane], d[lane], failure[lane] = 0.0, 0, 0, OK
                elif failure[lane] != OK:
                    _fail(rhs, jac, auto, autonomous, m, j[lane], failure[lane], times, dose_t,
                          dose_s, dose_a, prow[lane], y0, rtol, atol, max_steps, out, counts,
                          status)  # fmt: skip
                    member[lane] = -1
                    continue
                stepping[lane] = _next_segment(
                    rhs, lane, m, times, dose_t, dose_s, dose_a, prow, y, k1, t, h, t_stop,
                    fac_old, j, d, rejected_last, rtol, atol, out, counts, scratch,
                )  # fmt: skip
                if not stepping[lane]:
                    status[m] = OK
                    member[lane] = -1
        # before the step: the scalar engine's checks, lane by lane
        active = 0
        for lane in range(lanes):
            if stepping[lane]:
                # ``steps >= budget`` of _dopri_segment: DOPRI5's steps of the member so far
                if counts[member[lane], 0] >= explicit_limit:
                    failure[lane] = TOO_MANY_STEPS
                else:
                    failure[lane] = _dopri_step_begin(lane, t, h, t_new, t_stop, last)
                stepping[lane] = failure[lane] == OK
            if stepping[lane]:
                active += 1
            else:  # an idle lane steps by nothing
                h[lane] = 0.0
                t_new[lane] = t[lane]
        if active == 0:
            if queue >= stop and (member < 0).all():
                return
            continue  # lanes that failed before the step: redo them, take new members
        _dopri_stages(rhs_lanes, t, h, t_new, y, p, k1, k2, k3, k4, k5, k6, k7, w, y1, hv)
        _dopri_errors(hv, y, y1, k1, k3, k4, k5, k6, k7, rtol, atol, q, e, negative)
        for lane in range(lanes):
            if stepping[lane]:
                stepping[lane] = _dopri_step_end(
                    rhs, lane, member[lane], e[lane], negative[lane], times, prow, y, y1, k1, k3,
                    k4, k5, k6, k7, t, h, t_new, t_stop, fac_old, j, rejected_last, last, atol, out,
                    counts, scratch,
                )  # fmt: skip


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _fail(
    rhs: Any,
    jac: Any,
    auto: int,
    autonomous: int,
    m: int,
    j: int,
    failure: int,
    times: NDArray[np.float64],
    dose_t: NDArray[np.float64],
    dose_s: NDArray[np.int64],
    dose_a: NDArray[np.float64],
    prow: NDArray[np.float64],
    y0: NDArray[np.float64],
    rtol: float,
    atol: float,
    max_steps: int,
    out: NDArray[np.float64],
    counts: NDArray[np.int64],
    status: NDArray[np.int64],
) -> None:  # pragma: no cover (compiled)
    """A member DOPRI5 could not finish: NaN from output ``j`` on, or with ``auto`` RODAS4."""
    out[m, j:] = np.nan
    status[m] = failure
    if auto:
        status[m] = _redo_with_rodas(
            rhs, jac, autonomous, times, dose_t, dose_s, dose_a, prow,
            y0[m if y0.shape[0] > 1 else 0], rtol, atol, max_steps, out[m], counts[m],
        )  # fmt: skip


@numba.njit(parallel=True, nogil=True, error_model="numpy", cache=True)
def _lane_ensemble(
    derive: Any,
    rhs: Any,
    rhs_lanes: Any,
    jac: Any,
    auto: int,
    autonomous: int,
    times: NDArray[np.float64],
    dose_t: NDArray[np.float64],
    dose_s: NDArray[np.int64],
    dose_a: NDArray[np.float64],
    params: NDArray[np.float64],
    y0: NDArray[np.float64],
    blocks: int,
    n_extended: int,
    rtol: float,
    atol: float,
    max_steps: int,
    explicit_limit: int,
    out: NDArray[np.float64],
    counts: NDArray[np.int64],
    status: NDArray[np.int64],
) -> None:  # pragma: no cover (compiled)
    """All members in ``blocks`` contiguous blocks, each through its own lanes, in parallel."""
    n_members = out.shape[0]
    for b in numba.prange(blocks):
        _lane_group(
            derive, rhs, rhs_lanes, jac, auto, autonomous, times, dose_t, dose_s, dose_a,
            params, y0, b * n_members // blocks, (b + 1) * n_members // blocks, n_extended,
            rtol, atol, max_steps, explicit_limit, out, counts, status,
        )  # fmt: skip


def lane_ensemble(
    compiled: CompiledModel,
    *,
    auto: bool,
    times: NDArray[np.float64],
    doses: tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]],
    params: NDArray[np.float64],
    y0: NDArray[np.float64],
    rtol: float,
    atol: float,
    max_steps: int,
    explicit_steps: int,
    out: NDArray[np.float64],
    counts: NDArray[np.int64],
    status: NDArray[np.int64],
) -> None:
    """Fill ``out``, ``counts`` and ``status`` as ``_ode._ensemble`` does with DOPRI5 or auto.

    Members are split into contiguous blocks, up to four per numba thread (so that a slow
    block does not hold the others up) and each of at least two members per lane; a block's
    lanes take its members in order.
    """
    rhs_lanes = compile_lanes(compiled)
    n_members = out.shape[0]
    threads = numba.get_num_threads()
    blocks = max(1, min(4 * threads, n_members // (2 * LANES)))
    limit = min(explicit_steps, max_steps) if auto else max_steps
    _lane_ensemble(
        compiled.derive, compiled.rhs, rhs_lanes, compiled.jac, int(auto),
        int(compiled.autonomous), times, *doses, params, y0, blocks, compiled.n_extended, rtol,
        atol, max_steps, limit, out, counts, status,
    )  # fmt: skip
