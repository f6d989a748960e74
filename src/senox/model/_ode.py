"""Ensemble ODE engine: many parameter sets of one model, each with its own adaptive steps.

:func:`simulate` integrates every member (a row of parameters and initial amounts) of a
virtual cohort independently, in parallel over members (``numba.prange``). Members never
share a step size: a stiff or fast member does not slow the others down, and a member's
result does not depend on which other members share its call -- chunks of a cohort can be
simulated anywhere (a dask cluster, say) and concatenated, bit for bit.

The model's functions are generated and compiled by :mod:`senox.model._compile` (LLVM IR on
raw pointers); the kernels here take them as first-class function arguments, so the kernels
are compiled once (and cached on disk by numba) for every model, and a new model costs only
its own small functions.

On cohorts of at least 16 members per thread, DOPRI5 (``"dopri5"`` and ``"auto"``) runs in
:mod:`senox.model._lanes`: eight members side by side in SIMD lanes, each still with its own
steps, and with the same results bit for bit.

Integrators:

``"dopri5"``
    Dormand and Prince's explicit Runge-Kutta 5(4), PI step control, 4th-order dense output.
``"rodas"``
    Hairer and Wanner's RODAS4: Rosenbrock, order 4 (embedded 3), L-stable, stiffly accurate,
    with the exact Jacobian generated from the equations, LU with row pivoting and solves
    through the factors' non-zeros, cubic Hermite dense output.
``"rkc"``
    Sommeijer, Shampine and Verwer's Runge-Kutta-Chebyshev method (RKC, 1997): explicit,
    order 2, a damped Chebyshev recursion of ``s`` stages (damping 2/13) whose stability
    interval ``[-beta(s), 0]``, ``beta(s) ~ 0.65 s^2``, grows with the square of the stages;
    each step takes the fewest stages that hold ``h * rho``, ``rho`` the spectral radius from
    power iteration on the exact Jacobian (refreshed every 25 steps and after a rejection).
    Standard error estimate, predictive step control, cubic Hermite dense output. For problems
    with real, widely spread eigenvalues where second order is enough. Not the default: on
    ``redox_senescence`` its order, not stability, sets the steps (about 2 stages per step),
    and its global error grows like ``rtol^(2/3)``, so DOPRI5 is faster at matched accuracy
    (``benchmarks/results/ensemble.md``).
``"auto"`` (default)
    DOPRI5; a member that needs more than ``explicit_steps`` steps (a stiff one) is redone
    from the start with RODAS4, which is what members far stiffer than the shipped model are
    for (``benchmarks/results/ensemble.md`` has the methods side by side).

All report states at the output times by dense output (output times do not shorten steps),
stop exactly at each dose time and apply the bolus there: the state reported at an output
time equal to a dose time includes that dose.

Species are amounts and cannot be negative. A step that would take a species below
``-atol`` is rejected and retried with a smaller step; values in ``[-atol, 0)`` that an
accepted step leaves (round-off and truncation error below the requested accuracy) are set to
zero, which changes the state by less than the absolute tolerance and keeps fractional
powers (Hill functions) real.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numba
import numpy as np
from numba import types
from numba.core.extending import intrinsic

from senox._errors import InputError
from senox.model._compile import LANES, compile_model
from senox.model._spec import ModelSpec, check_doses

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike, NDArray

    from senox.model._spec import Dose

#: Integrators by name (index = code passed to the kernels).
METHODS = ("rodas", "dopri5", "auto", "rkc")
RODAS, DOPRI5, AUTO, RKC = 0, 1, 2, 3

#: Member status codes (``Solution.status``).
OK, TOO_MANY_STEPS, STEP_TOO_SMALL = 0, 1, 2


def _address_of(typingctx: Any, array: Any) -> Any:  # pragma: no cover (compiled)
    """The data pointer of a float64 array (as the ``float64*`` the model functions take)."""
    signature = types.CPointer(array.dtype)(array)  # type: ignore[no-untyped-call]

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return context.make_array(array)(context, builder, args[0]).data

    return signature, codegen


_address: Any = intrinsic(_address_of)


@numba.njit(nogil=True, error_model="numpy", cache=True, inline="always")
def _call(
    function: Any,
    t: float,
    y: NDArray[np.float64],
    p: NDArray[np.float64],
    out: NDArray[np.float64],
) -> None:  # pragma: no cover (compiled)
    """Call a model's compiled ``rhs`` or ``jac`` on arrays."""
    function(t, _address(y), _address(p), _address(out))


# ---------------------------------------------------------------------------------------------
# Dormand-Prince 5(4)
# ---------------------------------------------------------------------------------------------

_C2, _C3, _C4, _C5 = 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0
_A21 = 1.0 / 5.0
_A31, _A32 = 3.0 / 40.0, 9.0 / 40.0
_A41, _A42, _A43 = 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0
_A51, _A52, _A53, _A54 = 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0
_A61, _A62, _A63 = 9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0
_A64, _A65 = 49.0 / 176.0, -5103.0 / 18656.0
_A71, _A73, _A74 = 35.0 / 384.0, 500.0 / 1113.0, 125.0 / 192.0
_A75, _A76 = -2187.0 / 6784.0, 11.0 / 84.0
_E1, _E3, _E4 = 71.0 / 57600.0, -71.0 / 16695.0, 71.0 / 1920.0
_E5, _E6, _E7 = -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0
_D1, _D3 = -12715105075.0 / 11282082432.0, 87487479700.0 / 32700410799.0
_D4, _D5 = -10690763975.0 / 1880347072.0, 701980252875.0 / 199316789632.0
_D6, _D7 = -1453857185.0 / 822651844.0, 69997945.0 / 29380423.0


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _norm(
    e: NDArray[np.float64], y: NDArray[np.float64], z: NDArray[np.float64], rtol: float, atol: float
) -> float:  # pragma: no cover (compiled)
    """RMS of ``e`` scaled by ``atol + rtol * max(|y|, |z|)``."""
    s = 0.0
    n = e.shape[0]
    for i in range(n):
        scale = atol + rtol * max(abs(y[i]), abs(z[i]))
        s += (e[i] / scale) ** 2
    return math.sqrt(s / n)


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _first_step(
    rhs: Any,
    t: float,
    y: NDArray[np.float64],
    f0: NDArray[np.float64],
    p: NDArray[np.float64],
    span: float,
    order: int,
    rtol: float,
    atol: float,
    work: NDArray[np.float64],
    f1: NDArray[np.float64],
) -> float:  # pragma: no cover (compiled)
    """Hairer's starting step: from the sizes of ``y``, ``f`` and an estimate of ``f'``."""
    n = y.shape[0]
    d0 = 0.0
    d1 = 0.0
    for i in range(n):
        scale = atol + rtol * abs(y[i])
        d0 += (y[i] / scale) ** 2
        d1 += (f0[i] / scale) ** 2
    d0 = math.sqrt(d0 / n)
    d1 = math.sqrt(d1 / n)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    h0 = min(h0, span)
    for i in range(n):
        work[i] = y[i] + h0 * f0[i]
    _call(rhs, t + h0, work, p, f1)
    d2 = 0.0
    for i in range(n):
        scale = atol + rtol * abs(y[i])
        d2 += ((f1[i] - f0[i]) / scale) ** 2
    d2 = math.sqrt(d2 / n) / h0
    big = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if big <= 1e-15 else (0.01 / big) ** (1.0 / (order + 1))
    return min(100.0 * h0, h1, span)


@numba.njit(nogil=True, error_model="numpy", cache=True, inline="always")
def _dopri_stages(
    rhs: Any,
    t: NDArray[np.float64],
    h: NDArray[np.float64],
    t_new: NDArray[np.float64],
    y: NDArray[np.float64],
    p: NDArray[np.float64],
    k1: NDArray[np.float64],
    k2: NDArray[np.float64],
    k3: NDArray[np.float64],
    k4: NDArray[np.float64],
    k5: NDArray[np.float64],
    k6: NDArray[np.float64],
    k7: NDArray[np.float64],
    w: NDArray[np.float64],
    y1: NDArray[np.float64],
    hv: NDArray[np.float64],
) -> None:  # pragma: no cover (compiled)
    """One DOPRI5 step of size ``h`` from ``(t, y)``: stages ``k2..k7`` and the 5th-order ``y1``.

    ``k1`` is the slope at ``(t, y)``; ``k7``, the slope at ``(t_new, y1)``, is the next step's
    ``k1`` (first same as last). For ``lanes`` members side by side (:mod:`senox.model._lanes`):
    ``t``, ``h`` and ``t_new`` hold one value per lane, the vectors are flat, lane-major, ``n``
    rows of ``lanes`` (``hv`` receives each lane's step repeated on every row), so that each
    stage is one loop LLVM vectorises, and ``w`` and ``y1`` end with a row of the lanes' stage
    times, which the lane right-hand side reads. One member is the case ``lanes = 1``; then
    ``rhs`` is the scalar right-hand side and takes the stage time as its argument.
    """
    lanes = t.shape[0]
    size = y.shape[0]
    for k in range(size):
        hv[k] = h[k % lanes]
    for k in range(size):
        w[k] = y[k] + hv[k] * _A21 * k1[k]
    for lane in range(lanes):
        w[size + lane] = t[lane] + _C2 * h[lane]
    _call(rhs, float(w[size]), w, p, k2)
    for k in range(size):
        w[k] = y[k] + hv[k] * (_A31 * k1[k] + _A32 * k2[k])
    for lane in range(lanes):
        w[size + lane] = t[lane] + _C3 * h[lane]
    _call(rhs, float(w[size]), w, p, k3)
    for k in range(size):
        w[k] = y[k] + hv[k] * (_A41 * k1[k] + _A42 * k2[k] + _A43 * k3[k])
    for lane in range(lanes):
        w[size + lane] = t[lane] + _C4 * h[lane]
    _call(rhs, float(w[size]), w, p, k4)
    for k in range(size):
        w[k] = y[k] + hv[k] * (_A51 * k1[k] + _A52 * k2[k] + _A53 * k3[k] + _A54 * k4[k])
    for lane in range(lanes):
        w[size + lane] = t[lane] + _C5 * h[lane]
    _call(rhs, float(w[size]), w, p, k5)
    for k in range(size):
        w[k] = y[k] + hv[k] * (
            _A61 * k1[k] + _A62 * k2[k] + _A63 * k3[k] + _A64 * k4[k] + _A65 * k5[k]
        )
    for lane in range(lanes):
        w[size + lane] = t_new[lane]
    _call(rhs, float(w[size]), w, p, k6)
    for k in range(size):
        y1[k] = y[k] + hv[k] * (
            _A71 * k1[k] + _A73 * k3[k] + _A74 * k4[k] + _A75 * k5[k] + _A76 * k6[k]
        )
    for lane in range(lanes):
        y1[size + lane] = t_new[lane]
    _call(rhs, float(y1[size]), y1, p, k7)


@numba.njit(nogil=True, error_model="numpy", cache=True, inline="always")
def _dopri_errors(
    hv: NDArray[np.float64],
    y: NDArray[np.float64],
    y1: NDArray[np.float64],
    k1: NDArray[np.float64],
    k3: NDArray[np.float64],
    k4: NDArray[np.float64],
    k5: NDArray[np.float64],
    k6: NDArray[np.float64],
    k7: NDArray[np.float64],
    rtol: float,
    atol: float,
    q: NDArray[np.float64],
    e: NDArray[np.float64],
    negative: NDArray[np.bool_],
) -> None:  # pragma: no cover (compiled)
    """Each lane's error norm ``e`` and whether its step takes a species below ``-atol``.

    The embedded 4th-order error estimate scaled as in :func:`_norm`, on the vectors of
    :func:`_dopri_stages` (``hv`` as it filled it; ``q`` is work space), lanes or one member.
    """
    lanes = e.shape[0]
    size = hv.shape[0]
    n = size // lanes
    for k in range(size):
        err = hv[k] * (
            _E1 * k1[k] + _E3 * k3[k] + _E4 * k4[k] + _E5 * k5[k] + _E6 * k6[k] + _E7 * k7[k]
        )
        scale = atol + rtol * max(abs(y[k]), abs(y1[k]))
        q[k] = (err / scale) ** 2
    for lane in range(lanes):
        s = 0.0
        below = False
        for i in range(n):
            s += q[i * lanes + lane]
            below = below or y1[i * lanes + lane] < -atol
        e[lane] = math.sqrt(s / n)
        negative[lane] = below


@numba.njit(nogil=True, error_model="numpy", cache=True, inline="always")
def _dopri_output(
    times: NDArray[np.float64],
    j: int,
    t_stop: float,
    t: float,
    h: float,
    t_new: float,
    y: NDArray[np.float64],
    y1: NDArray[np.float64],
    k1: NDArray[np.float64],
    k3: NDArray[np.float64],
    k4: NDArray[np.float64],
    k5: NDArray[np.float64],
    k6: NDArray[np.float64],
    k7: NDArray[np.float64],
    atol: float,
    out: NDArray[np.float64],
    lane: int,
    lanes: int,
) -> int:  # pragma: no cover (compiled)
    """DOPRI5's 4th-order dense output for the output times from index ``j`` inside the step.

    Species ``i`` of the step's vectors is at ``i * lanes + lane`` (``0, 1`` for plain
    vectors; :mod:`senox.model._lanes` keeps eight members side by side). Returns the next
    index; round-off negatives within ``atol`` are reported as 0.
    """
    n, nt = out.shape[1], times.shape[0]
    while j < nt and times[j] < t_stop and times[j] <= t_new:
        if times[j] == t_new:
            for i in range(n):
                out[j, i] = max(y1[i * lanes + lane], 0.0)
        else:
            theta = (times[j] - t) / h
            theta1 = 1.0 - theta
            for i in range(n):
                k = i * lanes + lane
                dy = y1[k] - y[k]
                b = h * k1[k] - dy
                c = dy - h * k7[k] - b
                d = h * (
                    _D1 * k1[k]
                    + _D3 * k3[k]
                    + _D4 * k4[k]
                    + _D5 * k5[k]
                    + _D6 * k6[k]
                    + _D7 * k7[k]
                )
                v = y[k] + theta * (dy + theta1 * (b + theta * (c + theta1 * d)))
                out[j, i] = v if v >= 0.0 else (0.0 if v >= -atol else v)
        j += 1
    return j


@numba.njit(nogil=True, error_model="numpy", cache=True, inline="always")
def _dopri_step_begin(
    lane: int,
    t: NDArray[np.float64],
    h: NDArray[np.float64],
    t_new: NDArray[np.float64],
    t_stop: NDArray[np.float64],
    last: NDArray[np.bool_],
) -> int:  # pragma: no cover (compiled)
    """Before a step of lane ``lane``: its size and end, or ``STEP_TOO_SMALL``.

    A step that would end within 1 % of a step before ``t_stop`` ends exactly there (``last``).
    """
    if h[lane] <= 1e-13 * max(abs(t[lane]), 1.0):
        return STEP_TOO_SMALL
    last[lane] = t[lane] + 1.01 * h[lane] >= t_stop[lane]
    if last[lane]:
        h[lane] = t_stop[lane] - t[lane]
    t_new[lane] = t_stop[lane] if last[lane] else t[lane] + h[lane]
    return OK


@numba.njit(nogil=True, error_model="numpy", cache=True, inline="always")
def _dopri_step_end(
    rhs: Any,
    lane: int,
    m: int,
    e: float,
    negative: np.bool_,
    times: NDArray[np.float64],
    prow: NDArray[np.float64],
    y: NDArray[np.float64],
    y1: NDArray[np.float64],
    k1: NDArray[np.float64],
    k3: NDArray[np.float64],
    k4: NDArray[np.float64],
    k5: NDArray[np.float64],
    k6: NDArray[np.float64],
    k7: NDArray[np.float64],
    t: NDArray[np.float64],
    h: NDArray[np.float64],
    t_new: NDArray[np.float64],
    t_stop: NDArray[np.float64],
    fac_old: NDArray[np.float64],
    j: NDArray[np.int64],
    rejected_last: NDArray[np.bool_],
    last: NDArray[np.bool_],
    atol: float,
    out: NDArray[np.float64],
    counts: NDArray[np.int64],
    scratch: NDArray[np.float64],
) -> bool:  # pragma: no cover (compiled)
    """After a step of lane ``lane`` (member ``m``): acceptance, dense output, step control.

    The state of each lane is in one-element-per-lane arrays (``t``, ``h``...), ``counts`` and
    ``out`` have a row per member and ``prow`` one per lane; one member is lane 0 of 1.
    Returns False when the accepted step ended the segment (at ``t_stop``).
    """
    lanes = t.shape[0]
    n = out.shape[2]
    counts[m, 2] += 6
    counts[m, 0] += 1
    if not e <= 1.0 or negative:  # also catches NaN
        counts[m, 1] += 1
        if e != e or negative:
            h[lane] *= 0.25
        else:
            h[lane] /= min(5.0, e**0.17 / 0.9)
        rejected_last[lane] = True
        return True
    j[lane] = _dopri_output(
        times, j[lane], t_stop[lane], t[lane], h[lane], t_new[lane], y, y1, k1, k3, k4, k5, k6,
        k7, atol, out[m], lane, lanes,
    )  # fmt: skip
    clipped = False
    for i in range(n):
        k = i * lanes + lane
        y[k] = y1[k]
        if y[k] < 0.0:
            y[k] = 0.0
            clipped = True
    t[lane] = t_new[lane]
    if last[lane]:
        return False
    if clipped:
        ys, fs = scratch[0], scratch[1]
        for i in range(n):
            ys[i] = y[i * lanes + lane]
        _call(rhs, t[lane], ys, prow[lane], fs)
        counts[m, 2] += 1
        for i in range(n):
            k1[i * lanes + lane] = fs[i]
    else:
        for i in range(n):
            k1[i * lanes + lane] = k7[i * lanes + lane]
    fac = e**0.17 / fac_old[lane] ** 0.04
    fac = max(0.1, min(5.0, fac / 0.9))
    h_new = h[lane] / fac
    if rejected_last[lane]:
        h_new = min(h_new, h[lane])
    fac_old[lane] = max(e, 1e-4)
    rejected_last[lane] = False
    h[lane] = h_new
    return True


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _dopri_segment(
    rhs: Any,
    t: float,
    t_stop: float,
    y: NDArray[np.float64],
    p: NDArray[np.float64],
    times: NDArray[np.float64],
    j: int,
    out: NDArray[np.float64],
    rtol: float,
    atol: float,
    budget: int,
    counts: NDArray[np.int64],
) -> tuple[int, int]:  # pragma: no cover (compiled)
    """Integrate ``y`` in place from ``t`` to exactly ``t_stop``.

    Fills ``out[j]`` for every output time in ``(t, t_stop)`` by dense output and returns
    ``(status, j)`` with ``j`` the first output not filled. ``counts`` accumulates steps,
    rejected steps and right-hand-side evaluations. One member as lane 0 of 1 of the functions
    :mod:`senox.model._lanes` runs eight members with.
    """
    n = y.shape[0]
    k1, k2, k3, k4 = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    k5, k6, k7 = np.empty(n), np.empty(n), np.empty(n)
    y1 = np.empty(n + 1)  # the stage time after the state (_dopri_stages' layout, one lane)
    w = np.empty(n + 1)
    hv, q = np.empty(n), np.empty(n)
    scratch = np.empty((2, n))
    now, step, then, stop = np.full(1, t), np.empty(1), np.empty(1), np.full(1, t_stop)
    norm, fac_old = np.empty(1), np.full(1, 1e-4)
    jj = np.full(1, j)
    below, rejected_last, last = np.empty(1, np.bool_), np.zeros(1, np.bool_), np.empty(1, np.bool_)
    member_counts, member_out = counts.reshape(1, counts.shape[0]), out.reshape((1, *out.shape))
    prow = p.reshape(1, p.shape[0])
    _call(rhs, t, y, p, k1)
    step[0] = _first_step(rhs, t, y, k1, p, t_stop - t, 5, rtol, atol, w, k2)
    counts[2] += 2
    steps = 0
    while True:
        if steps >= budget:
            return TOO_MANY_STEPS, jj[0]
        if _dopri_step_begin(0, now, step, then, stop, last) != OK:
            return STEP_TOO_SMALL, jj[0]
        _dopri_stages(rhs, now, step, then, y, p, k1, k2, k3, k4, k5, k6, k7, w, y1, hv)
        _dopri_errors(hv, y, y1, k1, k3, k4, k5, k6, k7, rtol, atol, q, norm, below)
        steps += 1
        going_on = _dopri_step_end(
            rhs, 0, 0, norm[0], below[0], times, prow, y, y1, k1, k3, k4, k5, k6, k7, now, step,
            then, stop, fac_old, jj, rejected_last, last, atol, member_out, member_counts,
            scratch,
        )  # fmt: skip
        if not going_on:
            return OK, jj[0]


# ---------------------------------------------------------------------------------------------
# Rosenbrock: RODAS4 (Hairer & Wanner, Solving ODEs II, section IV.7)
# ---------------------------------------------------------------------------------------------

_GAMMA = 0.25
_RC2, _RC3, _RC4 = 0.386, 0.21, 0.63
_RD1, _RD2, _RD3, _RD4 = 0.25, -0.1043, 0.1035, -0.3620000000000023e-01
_RA21 = 0.1544000000000000e01
_RA31, _RA32 = 0.9466785280815826, 0.2557011698983284
_RA41, _RA42, _RA43 = 0.3314825187068521e01, 0.2896124015972201e01, 0.9986419139977817
_RA51, _RA52 = 0.1221224509226641e01, 0.6019134481288629e01
_RA53, _RA54 = 0.1253708332932087e02, -0.6878860361058950
_RC21 = -0.5668800000000000e01
_RC31, _RC32 = -0.2430093356833875e01, -0.2063599157091915e00
_RC41, _RC42, _RC43 = -0.1073529058151375e00, -0.9594562251023355e01, -0.2047028614809616e02
_RC51, _RC52 = 0.7496443313967647e01, -0.1024680431464352e02
_RC53, _RC54 = -0.3399990352819905e02, 0.1170890893206160e02
_RC61, _RC62 = 0.8083246795921522e01, -0.7981132988064893e01
_RC63, _RC64, _RC65 = -0.3152159432874371e02, 0.1631930543123136e02, -0.6058818238834054e01


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _lu(a: NDArray[np.float64], piv: NDArray[np.int64]) -> bool:  # pragma: no cover (compiled)
    """LU factorisation in place with partial pivoting; False if singular."""
    n = a.shape[0]
    nonzero = np.empty(n, dtype=np.int64)
    for col in range(n):
        best = col
        big = abs(a[col, col])
        for r in range(col + 1, n):
            if abs(a[r, col]) > big:
                big = abs(a[r, col])
                best = r
        piv[col] = best
        if big == 0.0 or big != big:
            return False
        if best != col:
            # LINPACK style: the multipliers of earlier columns stay where they were computed,
            # which is what the interleaved forward substitution of _sparse_solve expects
            for c in range(col, n):
                tmp = a[col, c]
                a[col, c] = a[best, c]
                a[best, c] = tmp
        inv = 1.0 / a[col, col]
        # model Jacobians are sparse: update only through the pivot row's non-zero columns
        k = 0
        for c in range(col + 1, n):
            if a[col, c] != 0.0:
                nonzero[k] = c
                k += 1
        for r in range(col + 1, n):
            f = a[r, col]
            if f != 0.0:
                f *= inv
                a[r, col] = f
                for i in range(k):
                    c = nonzero[i]
                    a[r, c] -= f * a[col, c]
    return True


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _compress(
    a: NDArray[np.float64],
    ptr: NDArray[np.int64],
    idx: NDArray[np.int64],
    val: NDArray[np.float64],
) -> None:  # pragma: no cover (compiled)
    """The non-zeros of :func:`_lu`'s factors, for solves that touch only those.

    ``ptr[0:n+1]``/``idx``/``val`` hold, per column ``c``, the multipliers ``L[r, c]`` (r > c);
    ``ptr[n+1:2n+2]`` (offset into the same arrays) per row ``r`` the entries ``U[r, c]``
    (c > r). The diagonal stays in ``a``.
    """
    n = a.shape[0]
    k = 0
    for c in range(n):
        ptr[c] = k
        for r in range(c + 1, n):
            if a[r, c] != 0.0:
                idx[k] = r
                val[k] = a[r, c]
                k += 1
    ptr[n] = k
    for r in range(n):
        ptr[n + 1 + r] = k
        for c in range(r + 1, n):
            if a[r, c] != 0.0:
                idx[k] = c
                val[k] = a[r, c]
                k += 1
    ptr[2 * n + 1] = k


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _sparse_solve(
    a: NDArray[np.float64],
    piv: NDArray[np.int64],
    ptr: NDArray[np.int64],
    idx: NDArray[np.int64],
    val: NDArray[np.float64],
    b: NDArray[np.float64],
) -> None:  # pragma: no cover (compiled)
    """Solve ``A x = b`` in place from :func:`_lu`'s factors, through the non-zeros only."""
    n = a.shape[0]
    for c in range(n):
        r = piv[c]
        if r != c:
            tmp = b[c]
            b[c] = b[r]
            b[r] = tmp
        f = b[c]
        if f != 0.0:
            for k in range(ptr[c], ptr[c + 1]):
                b[idx[k]] -= val[k] * f
    for r in range(n - 1, -1, -1):
        total = b[r]
        for k in range(ptr[n + 1 + r], ptr[n + 2 + r]):
            total -= val[k] * b[idx[k]]
        b[r] = total / a[r, r]


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _hermite_output(
    times: NDArray[np.float64],
    j: int,
    t_stop: float,
    t: float,
    t_new: float,
    y: NDArray[np.float64],
    f0: NDArray[np.float64],
    y1: NDArray[np.float64],
    f1: NDArray[np.float64],
    atol: float,
    out: NDArray[np.float64],
) -> int:  # pragma: no cover (compiled)
    """Cubic Hermite dense output of a step ``t → t_new`` from values and slopes at both ends.

    Fills ``out`` for the output times from index ``j`` inside the step and returns the next
    index; round-off negatives within ``atol`` are reported as 0.
    """
    n, nt, h = y.size, times.size, t_new - t
    while j < nt and times[j] < t_stop and times[j] <= t_new:
        if times[j] == t_new:
            for i in range(n):
                out[j, i] = y1[i]
        else:
            u = (times[j] - t) / h
            u1 = 1.0 - u
            h00 = (1.0 + 2.0 * u) * u1 * u1
            h10 = u * u1 * u1 * h
            h01 = u * u * (3.0 - 2.0 * u)
            h11 = -u * u * u1 * h
            for i in range(n):
                x = h00 * y[i] + h10 * f0[i] + h01 * y1[i] + h11 * f1[i]
                out[j, i] = x if x >= 0.0 else (0.0 if x >= -atol else x)
        j += 1
    return j


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _rodas_segment(
    rhs: Any,
    jac: Any,
    autonomous: int,
    t: float,
    t_stop: float,
    y: NDArray[np.float64],
    p: NDArray[np.float64],
    times: NDArray[np.float64],
    j: int,
    out: NDArray[np.float64],
    rtol: float,
    atol: float,
    budget: int,
    counts: NDArray[np.int64],
) -> tuple[int, int]:  # pragma: no cover (compiled)
    """As :func:`_dopri_segment`, with RODAS4 (exact Jacobian) and Hermite dense output."""
    n = y.shape[0]
    k = np.empty((6, n))
    f0 = np.empty(n)
    fx = np.empty(n)
    dfdt = np.zeros(n)
    y1 = np.empty(n)
    w = np.empty(n)
    err = np.empty(n)
    jm = np.empty(n * n)
    e = np.empty((n, n))
    piv = np.empty(n, dtype=np.int64)
    ptr = np.empty(2 * n + 2, dtype=np.int64)
    idx = np.empty(n * n, dtype=np.int64)
    val = np.empty(n * n)
    _call(rhs, t, y, p, f0)
    h = _first_step(rhs, t, y, f0, p, t_stop - t, 3, rtol, atol, w, fx)
    counts[2] += 2
    fac_old = 1e-4
    h_old = h
    rejected_last = False
    steps = 0
    need_jac = True
    while True:
        if steps >= budget:
            return TOO_MANY_STEPS, j
        if h <= 1e-13 * max(abs(t), 1.0):
            return STEP_TOO_SMALL, j
        last = t + 1.01 * h >= t_stop
        if last:
            h = t_stop - t
        if need_jac:
            _call(jac, t, y, p, jm)
            counts[3] += 1
            if not autonomous:
                # time derivative of f by a forward difference (the model reads `time`)
                dt = math.sqrt(2.2e-16 * max(1e-5, abs(t)))
                _call(rhs, t + dt, y, p, fx)
                for i in range(n):
                    dfdt[i] = (fx[i] - f0[i]) / dt
                counts[2] += 1
            need_jac = False
        hg = 1.0 / (h * _GAMMA)
        for r in range(n):
            for c in range(n):
                e[r, c] = -jm[r * n + c]
            e[r, r] += hg
        if not _lu(e, piv):
            counts[1] += 1
            h *= 0.5
            rejected_last = True
            continue
        _compress(e, ptr, idx, val)
        t_new = t_stop if last else t + h
        # stage 1
        for i in range(n):
            k[0, i] = f0[i] + h * _RD1 * dfdt[i]
        _sparse_solve(e, piv, ptr, idx, val, k[0])
        # stage 2
        for i in range(n):
            w[i] = y[i] + _RA21 * k[0, i]
        _call(rhs, t + _RC2 * h, w, p, fx)
        for i in range(n):
            k[1, i] = fx[i] + h * _RD2 * dfdt[i] + _RC21 * k[0, i] / h
        _sparse_solve(e, piv, ptr, idx, val, k[1])
        # stage 3
        for i in range(n):
            w[i] = y[i] + _RA31 * k[0, i] + _RA32 * k[1, i]
        _call(rhs, t + _RC3 * h, w, p, fx)
        for i in range(n):
            k[2, i] = fx[i] + h * _RD3 * dfdt[i] + (_RC31 * k[0, i] + _RC32 * k[1, i]) / h
        _sparse_solve(e, piv, ptr, idx, val, k[2])
        # stage 4
        for i in range(n):
            w[i] = y[i] + _RA41 * k[0, i] + _RA42 * k[1, i] + _RA43 * k[2, i]
        _call(rhs, t + _RC4 * h, w, p, fx)
        for i in range(n):
            k[3, i] = (
                fx[i]
                + h * _RD4 * dfdt[i]
                + (_RC41 * k[0, i] + _RC42 * k[1, i] + _RC43 * k[2, i]) / h
            )
        _sparse_solve(e, piv, ptr, idx, val, k[3])
        # stage 5
        for i in range(n):
            w[i] = y[i] + _RA51 * k[0, i] + _RA52 * k[1, i] + _RA53 * k[2, i] + _RA54 * k[3, i]
        _call(rhs, t_new, w, p, fx)
        for i in range(n):
            k[4, i] = (
                fx[i] + (_RC51 * k[0, i] + _RC52 * k[1, i] + _RC53 * k[2, i] + _RC54 * k[3, i]) / h
            )
        _sparse_solve(e, piv, ptr, idx, val, k[4])
        # stage 6 (its solution is the error estimate)
        for i in range(n):
            w[i] = w[i] + k[4, i]
        _call(rhs, t_new, w, p, fx)
        for i in range(n):
            k[5, i] = (
                fx[i]
                + (
                    _RC61 * k[0, i]
                    + _RC62 * k[1, i]
                    + _RC63 * k[2, i]
                    + _RC64 * k[3, i]
                    + _RC65 * k[4, i]
                )
                / h
            )
        _sparse_solve(e, piv, ptr, idx, val, k[5])
        for i in range(n):
            y1[i] = w[i] + k[5, i]
            err[i] = k[5, i]
        counts[2] += 5
        steps += 1
        counts[0] += 1
        err_norm = _norm(err, y, y1, rtol, atol)
        negative = False
        for i in range(n):
            if y1[i] < -atol or y1[i] != y1[i]:
                negative = True
        if not err_norm <= 1.0 or negative:
            counts[1] += 1
            if err_norm != err_norm or negative:
                h *= 0.25
            else:
                h /= min(5.0, err_norm**0.25 / 0.9)
            rejected_last = True
            continue
        # accepted: clip round-off negatives, then cubic Hermite dense output from the values
        # and slopes at both ends (order 3, as RODAS4's own interpolant)
        for i in range(n):
            if y1[i] < 0.0:
                y1[i] = 0.0
        _call(rhs, t_new, y1, p, fx)
        counts[2] += 1
        j = _hermite_output(times, j, t_stop, t, t_new, y, f0, y1, fx, atol, out)
        for i in range(n):
            y[i] = y1[i]
            f0[i] = fx[i]
        t = t_new
        if last:
            return OK, j
        need_jac = True
        # Gustafsson's predictive controller
        # (the step may grow at most 6-fold and shrink at most 5-fold)
        fac = max(1.0 / 6.0, min(5.0, err_norm**0.25 / 0.9))
        if not rejected_last and steps > 1:
            fac_pred = (h_old / h) * (err_norm**2 / fac_old) ** 0.25 / 0.9
            fac_pred = max(1.0 / 6.0, min(5.0, fac_pred))
            fac = max(fac, fac_pred)
        h_new = h / fac
        if rejected_last:
            h_new = min(h_new, h)
        h_old = h
        fac_old = max(err_norm, 1e-2)
        rejected_last = False
        h = h_new


# ---------------------------------------------------------------------------------------------
# Runge-Kutta-Chebyshev: RKC (Sommeijer, Shampine & Verwer, J. Comput. Appl. Math. 88, 1997)
# ---------------------------------------------------------------------------------------------

_RKC_DAMPING = 2.0 / 13.0  # epsilon: w0 = 1 + epsilon / s^2
_RKC_SAFETY = 1.2  # the power iteration's spectral radius, enlarged by this
_RKC_REFRESH = 25  # accepted steps between spectral radius estimates
_RKC_FIRST_ITERATIONS = 20  # power iterations from the starting vector
_RKC_ITERATIONS = 4  # power iterations at a refresh (warm start)
#: Most stages per RKC step (stability interval ~26,000 h): a step that would need more is
#: shortened to fit.
RKC_STAGES = 200


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _rkc_w1(s: int) -> float:  # pragma: no cover (compiled)
    """``w1 = T_s'(w0) / T_s''(w0)`` of RKC with ``s`` stages (``T_s``: Chebyshev)."""
    w0 = 1.0 + _RKC_DAMPING / (s * s)
    t_a, t_b = 1.0, w0
    d_a, d_b = 0.0, 1.0
    e_a, e_b = 0.0, 0.0
    for _ in range(2, s + 1):
        t_c = 2.0 * w0 * t_b - t_a
        d_c = 2.0 * t_b + 2.0 * w0 * d_b - d_a
        e_c = 4.0 * d_b + 2.0 * w0 * e_b - e_a
        t_a, t_b, d_a, d_b, e_a, e_b = t_b, t_c, d_b, d_c, e_b, e_c
    return d_b / e_b


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _rkc_beta(s: int) -> float:  # pragma: no cover (compiled)
    """The stability bound of RKC with ``s`` stages: ``beta(s) = (1 + w0) / w1 ~ 0.65 s^2``.

    The stability polynomial ``a_s + b_s T_s(w0 + w1 z)`` is at most 1 in modulus on
    ``[-beta(s), 0]``.
    """
    return (2.0 + _RKC_DAMPING / (s * s)) / _rkc_w1(s)


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _rkc_stages(z: float, betas: NDArray[np.float64]) -> int:  # pragma: no cover (compiled)
    """The fewest stages ``s >= 2`` with ``beta(s) >= z``, at most ``len(betas) - 1``.

    ``betas[s]`` caches ``beta(s)`` (0 where not computed yet).
    """
    top = int(betas.shape[0]) - 1
    s = min(top, max(2, int(math.sqrt(z / 0.6535))))
    while True:
        if betas[s] == 0.0:
            betas[s] = _rkc_beta(s)
        if betas[s] >= z or s == top:
            return s
        s += 1


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _rkc_coefficients(s: int, co: NDArray[np.float64]) -> None:  # pragma: no cover (compiled)
    """The recursion's coefficients for ``s`` stages, into ``co``.

    Rows of ``co`` (columns ``1..s``): ``mu``, ``nu``, ``mu~``, ``gamma~`` and the stage
    times ``c`` (fractions of the step). With ``w0 = 1 + eps / s^2``, ``w1 = T_s'(w0) /
    T_s''(w0)`` and ``b_j = T_j''(w0) / T_j'(w0)^2`` (``b_0 = b_1 = b_2``), the stages are
    ``Y_1 = y + mu~_1 h F(Y_0)`` and ``Y_j = (1 - mu_j - nu_j) y + mu_j Y_{j-1} + nu_j Y_{j-2}
    + mu~_j h F(Y_{j-1}) + gamma~_j h F(Y_0)``, ``gamma~_j = -(1 - b_{j-1} T_{j-1}(w0))
    mu~_j``; ``Y_s`` is the new state. The method is of order 2 for every ``s``.
    """
    w0 = 1.0 + _RKC_DAMPING / (s * s)
    w1 = _rkc_w1(s)
    # j = 1, then the recursion over j = 2..s, carrying T_j, T_j', T_j'' and b_j of the two
    # previous j
    b_two = 1.0 / (4.0 * w0 * w0)  # b_2 = T_2'' / T_2'^2 = 4 / (4 w0)^2
    co[2, 1] = b_two * w1
    co[4, 0] = 0.0
    co[4, 1] = co[2, 1]
    t_a, t_b = 1.0, w0  # T_{j-2}, T_{j-1}
    d_a, d_b = 0.0, 1.0
    e_a, e_b = 0.0, 0.0
    b_a, b_b = b_two, b_two  # b_{j-2}, b_{j-1}
    for j in range(2, s + 1):
        t_c = 2.0 * w0 * t_b - t_a
        d_c = 2.0 * t_b + 2.0 * w0 * d_b - d_a
        e_c = 4.0 * d_b + 2.0 * w0 * e_b - e_a
        b_c = e_c / (d_c * d_c)
        mu = 2.0 * b_c * w0 / b_b
        nu = -b_c / b_a
        mu_t = 2.0 * b_c * w1 / b_b
        gamma_t = -(1.0 - b_b * t_b) * mu_t
        co[0, j] = mu
        co[1, j] = nu
        co[2, j] = mu_t
        co[3, j] = gamma_t
        # stage times: the recursion applied to y' = 1
        co[4, j] = mu * co[4, j - 1] + nu * co[4, j - 2] + mu_t + gamma_t
        t_a, t_b, d_a, d_b, e_a, e_b = t_b, t_c, d_b, d_c, e_b, e_c
        b_a, b_b = b_b, b_c


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _spectral_radius(
    jac: Any,
    t: float,
    y: NDArray[np.float64],
    p: NDArray[np.float64],
    jm: NDArray[np.float64],
    nonzero: NDArray[np.int64],
    v: NDArray[np.float64],
    w: NDArray[np.float64],
    iterations: int,
) -> float:  # pragma: no cover (compiled)
    """An estimate of the Jacobian's spectral radius at ``(t, y)``, from above.

    Power iteration on the exact Jacobian (through its non-zeros) from ``v`` (unit length;
    left at the last iterate, the warm start of the next call), enlarged by ``_RKC_SAFETY``,
    and at most the Gershgorin bound (the largest row sum of ``|J|``), which holds for every
    matrix.
    """
    n = y.shape[0]
    _call(jac, t, y, p, jm)
    bound = 0.0
    k = 0
    for r in range(n):
        row = 0.0
        for c in range(n):
            x = jm[r * n + c]
            if x != 0.0:
                row += abs(x)
                nonzero[k] = r * n + c
                k += 1
        bound = max(bound, row)
    if not bound > 0.0:  # also NaN: let the step's error test decide
        return 0.0
    # keep every direction in play: a species the last vector missed may hold the fastest mode
    size = 0.0
    for i in range(n):
        v[i] += 1e-2 / math.sqrt(n)
        size += v[i] * v[i]
    size = math.sqrt(size)
    for i in range(n):
        v[i] /= size
    estimate = 0.0
    for _ in range(iterations):
        for i in range(n):
            w[i] = 0.0
        for m in range(k):
            rc = nonzero[m]
            r = rc // n
            w[r] += jm[rc] * v[rc - r * n]
        size = 0.0
        for i in range(n):
            size += w[i] * w[i]
        size = math.sqrt(size)
        if not size > 0.0:
            break
        estimate = size
        for i in range(n):
            v[i] = w[i] / size
    return min(bound, _RKC_SAFETY * estimate)


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _rkc_segment(
    rhs: Any,
    jac: Any,
    t: float,
    t_stop: float,
    y: NDArray[np.float64],
    p: NDArray[np.float64],
    times: NDArray[np.float64],
    j: int,
    out: NDArray[np.float64],
    rtol: float,
    atol: float,
    budget: int,
    counts: NDArray[np.int64],
) -> tuple[int, int]:  # pragma: no cover (compiled)
    """As :func:`_dopri_segment`, with RKC (stages from the spectral radius) and Hermite output.

    Each step takes the fewest stages ``s`` with ``h * rho <= beta(s)``, ``rho`` the spectral
    radius estimate (refreshed every ``_RKC_REFRESH`` accepted steps and after a rejection),
    at most ``RKC_STAGES``: a longer step is shortened to fit.
    """
    n = y.shape[0]
    f0 = np.empty(n)
    f1 = np.empty(n)
    fj = np.empty(n)
    stage = np.empty((3, n))
    y1 = np.empty(n)
    err = np.empty(n)
    jm = np.empty(n * n)
    nonzero = np.empty(n * n, dtype=np.int64)
    v = np.empty(n)
    for i in range(n):
        v[i] = 1.0 + i / n  # deterministic start: no member depends on another
    co = np.empty((5, RKC_STAGES + 1))
    s_co = 0  # the stage count whose coefficients co holds
    betas = np.zeros(RKC_STAGES + 1)
    beta_max = _rkc_beta(RKC_STAGES)
    betas[RKC_STAGES] = beta_max
    _call(rhs, t, y, p, f0)
    rho = _spectral_radius(jac, t, y, p, jm, nonzero, v, fj, _RKC_FIRST_ITERATIONS)
    counts[3] += 1
    h = _first_step(rhs, t, y, f0, p, t_stop - t, 2, rtol, atol, y1, f1)
    counts[2] += 2
    since_rho = 0
    err_old = 1.0
    h_old = h
    rejected_last = False
    first = True
    steps = 0
    while True:
        if steps >= budget:
            return TOO_MANY_STEPS, j
        if h <= 1e-13 * max(abs(t), 1.0):
            return STEP_TOO_SMALL, j
        if since_rho < 0:
            rho = _spectral_radius(jac, t, y, p, jm, nonzero, v, fj, _RKC_ITERATIONS)
            counts[3] += 1
            since_rho = 0
        last = t + 1.01 * h >= t_stop
        if last:
            h = t_stop - t
        if h * rho > beta_max:
            h = beta_max / rho
            last = False
        # the fewest stages whose stability interval holds h * rho
        s = _rkc_stages(h * rho, betas)
        if s != s_co:
            _rkc_coefficients(s, co)
            s_co = s
        t_new = t_stop if last else t + h
        # Y_1, then Y_j from Y_{j-1} (row a) and Y_{j-2} (row b) into row c, rotating
        a, b, c = 1, 0, 2
        mu_t = co[2, 1] * h
        for i in range(n):
            stage[0, i] = y[i]
            stage[1, i] = y[i] + mu_t * f0[i]
        for jj in range(2, s + 1):
            _call(rhs, t + co[4, jj - 1] * h, stage[a], p, fj)
            mu = co[0, jj]
            nu = co[1, jj]
            mu_t = co[2, jj] * h
            gamma_t = co[3, jj] * h
            rest = 1.0 - mu - nu
            for i in range(n):
                stage[c, i] = (
                    rest * y[i]
                    + mu * stage[a, i]
                    + nu * stage[b, i]
                    + mu_t * fj[i]
                    + gamma_t * f0[i]
                )
            a, b, c = c, a, b
        for i in range(n):
            y1[i] = stage[a, i]
        _call(rhs, t_new, y1, p, f1)
        counts[2] += s
        steps += 1
        counts[0] += 1
        # the standard estimate of the local error
        for i in range(n):
            err[i] = 0.8 * (y[i] - y1[i]) + 0.4 * h * (f0[i] + f1[i])
        e = _norm(err, y, y1, rtol, atol)
        negative = False
        for i in range(n):
            if y1[i] < -atol:
                negative = True
        if not e <= 1.0 or negative:  # also catches NaN
            counts[1] += 1
            if e != e or negative:
                h *= 0.25
            else:
                h *= max(0.1, 0.8 / e ** (1.0 / 3.0))  # local error O(h^3)
            rejected_last = True
            if since_rho > 0:
                since_rho = -1  # an underestimated radius shows as a failed step
            continue
        clipped = False
        for i in range(n):
            if y1[i] < 0.0:
                y1[i] = 0.0
                clipped = True
        if clipped:
            _call(rhs, t_new, y1, p, f1)
            counts[2] += 1
        # cubic Hermite dense output from the values and slopes at both ends
        j = _hermite_output(times, j, t_stop, t, t_new, y, f0, y1, f1, atol, out)
        for i in range(n):
            y[i] = y1[i]
            f0[i] = f1[i]
        t = t_new
        if last:
            return OK, j
        since_rho += 1
        if since_rho >= _RKC_REFRESH:
            since_rho = -1
        # the predictive controller of the RKC code (local error of order 3)
        e = max(e, 1e-10)
        if first or rejected_last:
            fac = 0.8 / e ** (1.0 / 3.0)
        else:
            fac = 0.8 * (h / h_old) * (err_old / (e * e)) ** (1.0 / 3.0)
        fac = max(0.1, min(10.0, fac))
        if rejected_last:
            fac = min(fac, 1.0)
        h_old = h
        err_old = e
        first = False
        rejected_last = False
        h *= fac


# ---------------------------------------------------------------------------------------------
# One member, whole schedule; the ensemble
# ---------------------------------------------------------------------------------------------


@numba.njit(nogil=True, error_model="numpy", cache=True, inline="always")
def _between_segments(
    t: float,
    d: int,
    j: int,
    y: NDArray[np.float64],
    lane: int,
    lanes: int,
    times: NDArray[np.float64],
    dose_t: NDArray[np.float64],
    dose_s: NDArray[np.int64],
    dose_a: NDArray[np.float64],
    out: NDArray[np.float64],
) -> tuple[int, int, float]:  # pragma: no cover (compiled)
    """At time ``t``: the doses and outputs due, and where the next segment ends.

    Doses are applied from index ``d``, outputs written from index ``j``; the segment ends at
    the next dose or the last output time. Species ``i`` of ``y`` is at ``i * lanes + lane``
    (``0, 1`` for one member). Returns the new ``d`` and ``j`` and the segment's end;
    ``j == len(times)`` when nothing is left.
    """
    n, nt, nd = out.shape[1], times.shape[0], dose_t.shape[0]
    while d < nd and dose_t[d] <= t:
        y[dose_s[d] * lanes + lane] += dose_a[d]
        d += 1
    while j < nt and times[j] <= t:
        for i in range(n):
            out[j, i] = y[i * lanes + lane]
        j += 1
    t_stop = times[nt - 1]
    if d < nd and dose_t[d] < t_stop:
        t_stop = dose_t[d]
    return d, j, t_stop


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _run(
    rhs: Any,
    jac: Any,
    method: int,
    autonomous: int,
    times: NDArray[np.float64],
    dose_t: NDArray[np.float64],
    dose_s: NDArray[np.int64],
    dose_a: NDArray[np.float64],
    p: NDArray[np.float64],
    y0: NDArray[np.float64],
    rtol: float,
    atol: float,
    max_steps: int,
    out: NDArray[np.float64],
    counts: NDArray[np.int64],
) -> int:  # pragma: no cover (compiled)
    """Integrate one member through its dose schedule with one method; fill ``out``."""
    nt = times.shape[0]
    y = y0.copy()
    t = 0.0
    j = 0
    d = 0
    status = OK
    first_step = counts[0]
    while True:
        d, j, t_stop = _between_segments(t, d, j, y, 0, 1, times, dose_t, dose_s, dose_a, out)
        if j >= nt:
            break
        budget = max_steps - (counts[0] - first_step)
        if method == RODAS:
            status, j = _rodas_segment(
                rhs, jac, autonomous, t, t_stop, y, p, times, j, out, rtol, atol, budget, counts
            )
        elif method == RKC:
            status, j = _rkc_segment(
                rhs, jac, t, t_stop, y, p, times, j, out, rtol, atol, budget, counts
            )
        else:
            status, j = _dopri_segment(
                rhs, t, t_stop, y, p, times, j, out, rtol, atol, budget, counts
            )
        if status != OK:
            out[j:] = np.nan
            break
        t = t_stop
    return status


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _redo_with_rodas(
    rhs: Any,
    jac: Any,
    autonomous: int,
    times: NDArray[np.float64],
    dose_t: NDArray[np.float64],
    dose_s: NDArray[np.int64],
    dose_a: NDArray[np.float64],
    p: NDArray[np.float64],
    y0: NDArray[np.float64],
    rtol: float,
    atol: float,
    max_steps: int,
    out: NDArray[np.float64],
    counts: NDArray[np.int64],
) -> int:  # pragma: no cover (compiled)
    """``auto``'s fallback for a member DOPRI5 could not finish: RODAS4 from the start."""
    counts[4] = 1
    return _run(
        rhs, jac, RODAS, autonomous, times, dose_t, dose_s, dose_a, p, y0, rtol, atol,
        max_steps, out, counts,
    )  # fmt: skip


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _member(
    rhs: Any,
    jac: Any,
    method: int,
    autonomous: int,
    times: NDArray[np.float64],
    dose_t: NDArray[np.float64],
    dose_s: NDArray[np.int64],
    dose_a: NDArray[np.float64],
    p: NDArray[np.float64],
    y0: NDArray[np.float64],
    rtol: float,
    atol: float,
    max_steps: int,
    explicit_steps: int,
    out: NDArray[np.float64],
    counts: NDArray[np.int64],
) -> int:  # pragma: no cover (compiled)
    """One member; ``AUTO`` tries DOPRI5 within ``explicit_steps`` steps, else RODAS4.

    ``counts[4]`` is set to 1 for a member redone with RODAS4.
    """
    if method != AUTO:
        return _run(
            rhs,
            jac,
            method,
            autonomous,
            times,
            dose_t,
            dose_s,
            dose_a,
            p,
            y0,
            rtol,
            atol,
            max_steps,
            out,
            counts,
        )
    status = _run(
        rhs,
        jac,
        DOPRI5,
        autonomous,
        times,
        dose_t,
        dose_s,
        dose_a,
        p,
        y0,
        rtol,
        atol,
        min(explicit_steps, max_steps),
        out,
        counts,
    )
    if status == OK:
        return status
    return _redo_with_rodas(
        rhs, jac, autonomous, times, dose_t, dose_s, dose_a, p, y0, rtol, atol, max_steps, out,
        counts,
    )  # fmt: skip


@numba.njit(parallel=True, nogil=True, error_model="numpy", cache=True)
def _ensemble(
    derive: Any,
    n_extended: int,
    rhs: Any,
    jac: Any,
    method: int,
    autonomous: int,
    times: NDArray[np.float64],
    dose_t: NDArray[np.float64],
    dose_s: NDArray[np.int64],
    dose_a: NDArray[np.float64],
    params: NDArray[np.float64],
    y0: NDArray[np.float64],
    rtol: float,
    atol: float,
    max_steps: int,
    explicit_steps: int,
    out: NDArray[np.float64],
    counts: NDArray[np.int64],
    status: NDArray[np.int64],
) -> None:  # pragma: no cover (compiled)
    """All members in parallel; rows of ``params``/``y0`` broadcast when there is one."""
    n_members = out.shape[0]
    p_step = 1 if params.shape[0] > 1 else 0
    y_step = 1 if y0.shape[0] > 1 else 0
    for m in numba.prange(n_members):
        # the parameters and what depends on them only, computed once per member
        p = np.empty(n_extended)
        _call(derive, 0.0, params[m * p_step], params[m * p_step], p)
        y = y0[m * y_step]
        status[m] = _member(
            rhs,
            jac,
            method,
            autonomous,
            times,
            dose_t,
            dose_s,
            dose_a,
            p,
            y,
            rtol,
            atol,
            max_steps,
            explicit_steps,
            out[m],
            counts[m],
        )


# ---------------------------------------------------------------------------------------------
# Python entry points
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Solution:
    """An ensemble's trajectories and how the integrator got them.

    Attributes
    ----------
    states
        ``(n_members, n_times, n_species)``; NaN from where a member failed onwards.
    status
        Per member: 0 done, 1 ran out of steps (``max_steps``), 2 step size underflow.
    steps, rejected, evaluations, jacobians
        Per member: accepted+rejected steps, rejected steps, right-hand-side evaluations and
        Jacobian evaluations (RODAS4's, and RKC's for its spectral radius), over all methods
        the member went through.
    fallback
        Per member: redone with RODAS4 (``method="auto"`` only).
    """

    states: NDArray[np.float64]
    status: NDArray[np.int64]
    steps: NDArray[np.int64]
    rejected: NDArray[np.int64]
    evaluations: NDArray[np.int64]
    jacobians: NDArray[np.int64]
    fallback: NDArray[np.bool_]


def _matrix(
    value: ArrayLike | None, default: list[float], field: str, width_name: str
) -> NDArray[np.float64]:
    if value is None:
        return np.asarray([default], dtype=np.float64)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        msg = (
            f"{field}: not a numeric array; give an array of {len(default)} {width_name} per member"
        )
        raise InputError(msg) from None
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != len(default) or array.shape[0] == 0:
        msg = (
            f"{field}: shape {np.shape(value)} does not fit; give (n_members, {len(default)}) "
            f"or ({len(default)},), one column per {width_name[:-1]} in model order"
        )
        raise InputError(msg)
    if not np.isfinite(array).all():
        rows = sorted({int(r) for r in np.argwhere(~np.isfinite(array))[:, 0]})
        msg = (
            f"{field}: non-finite values in row(s) {rows[:5]}; every value must be a finite number"
        )
        raise InputError(msg)
    return np.ascontiguousarray(array)


def _times(times: ArrayLike) -> NDArray[np.float64]:
    try:
        array = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError):
        msg = "times: not a numeric array; give output times as a 1-D array of numbers"
        raise InputError(msg) from None
    if array.ndim != 1 or array.size == 0:
        msg = f"times: shape {array.shape} does not fit; give a non-empty 1-D array of output times"
        raise InputError(msg)
    if not np.isfinite(array).all():
        msg = "times: non-finite values; every output time must be a finite number"
        raise InputError(msg)
    if (array < 0).any():
        msg = f"times: negative time {array.min()}; simulations start at time 0, give times >= 0"
        raise InputError(msg)
    if (np.diff(array) < 0).any():
        msg = "times: not in increasing order; sort the output times"
        raise InputError(msg)
    return np.ascontiguousarray(array)


def _doses(
    spec: ModelSpec, doses: Sequence[Dose]
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    index = {name: i for i, name in enumerate(spec.species_names)}
    rows = []
    check_doses(spec, doses)
    for dose in doses:
        rows.append((float(dose.time), index[dose.species], float(dose.amount)))
    rows.sort(key=lambda r: r[0])  # stable: same-time doses keep their order
    return (
        np.array([r[0] for r in rows], dtype=np.float64),
        np.array([r[1] for r in rows], dtype=np.int64),
        np.array([r[2] for r in rows], dtype=np.float64),
    )


def _tolerance(value: float, field: str) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        msg = f"{field}: {value!r} must be a positive finite number"
        raise InputError(msg)
    return float(value)


def solve(
    spec: ModelSpec,
    *,
    times: ArrayLike,
    parameters: ArrayLike | None = None,
    initial: ArrayLike | None = None,
    doses: Sequence[Dose] = (),
    rtol: float = 1e-6,
    atol: float = 1e-9,
    method: str = "auto",
    max_steps: int = 100_000,
    explicit_steps: int = 20_000,
    parallel: bool = True,
    lanes: bool = True,
) -> Solution:
    """As :func:`simulate`, returning the integrators' statistics with the states.

    ``lanes``: DOPRI5 (``"dopri5"``, ``"auto"``) on cohorts of at least 16 members per thread
    runs eight members side by side in SIMD lanes (:mod:`senox.model._lanes`), with results
    bit for bit those of one member at a time; ``False`` forces one member at a time.
    """
    given: object = spec
    if not isinstance(given, ModelSpec):
        msg = f"spec: {type(given).__name__} is not a model; give a ModelSpec (load_model)"
        raise InputError(msg)
    if method not in METHODS:
        msg = f"method: '{method}' is not known; use one of {', '.join(METHODS)}"
        raise InputError(msg)
    for field, value in (("max_steps", max_steps), ("explicit_steps", explicit_steps)):
        if not (isinstance(value, int) and value > 0):
            msg = f"{field}: {value!r} must be a positive integer"
            raise InputError(msg)
    grid = _times(times)
    params = _matrix(parameters, spec.parameter_values(), "parameters", "parameters")
    start = _matrix(initial, spec.initial_values(), "initial", "species")
    if (start < 0).any():
        msg = "initial: negative amounts; species are amounts and must be >= 0"
        raise InputError(msg)
    n_members = max(params.shape[0], start.shape[0])
    for field, array in (("parameters", params), ("initial", start)):
        if array.shape[0] not in (1, n_members):
            msg = (
                f"{field}: {array.shape[0]} rows, but other inputs have {n_members}; "
                "give one row per member or a single row for all"
            )
            raise InputError(msg)
    dose_t, dose_s, dose_a = _doses(spec, doses)
    r, a = _tolerance(rtol, "rtol"), _tolerance(atol, "atol")
    compiled = compile_model(spec)
    out = np.empty((n_members, grid.size, compiled.n_species), dtype=np.float64)
    counts = np.zeros((n_members, 5), dtype=np.int64)
    status = np.zeros(n_members, dtype=np.int64)
    threads = numba.get_num_threads()
    numba.set_num_threads(threads if parallel else 1)  # thread-local: callers' threads are safe
    try:
        if (
            lanes
            and method in ("dopri5", "auto")
            and n_members >= 2 * LANES * (threads if parallel else 1)
        ):
            from senox.model._lanes import lane_ensemble  # imports this module

            lane_ensemble(
                compiled, auto=method == "auto", times=grid, doses=(dose_t, dose_s, dose_a),
                params=params, y0=start, rtol=r, atol=a, max_steps=max_steps,
                explicit_steps=explicit_steps, out=out, counts=counts, status=status,
            )  # fmt: skip
        else:
            _ensemble(
                compiled.derive,
                compiled.n_extended,
                compiled.rhs,
                compiled.jac,
                METHODS.index(method),
                int(compiled.autonomous),
                grid,
                dose_t,
                dose_s,
                dose_a,
                params,
                start,
                r,
                a,
                max_steps,
                explicit_steps,
                out,
                counts,
                status,
            )
    finally:
        numba.set_num_threads(threads)
    return Solution(
        states=out,
        status=status,
        steps=counts[:, 0],
        rejected=counts[:, 1],
        evaluations=counts[:, 2],
        jacobians=counts[:, 3],
        fallback=counts[:, 4] > 0,
    )


def simulate(
    spec: ModelSpec,
    *,
    times: ArrayLike,
    parameters: ArrayLike | None = None,
    initial: ArrayLike | None = None,
    doses: Sequence[Dose] = (),
    rtol: float = 1e-6,
    atol: float = 1e-9,
    method: str = "auto",
    max_steps: int = 100_000,
    explicit_steps: int = 20_000,
    parallel: bool = True,
) -> NDArray[np.float64]:
    """Simulate a virtual cohort: one trajectory per member, each with its own steps.

    Parameters
    ----------
    spec
        The model.
    times
        Output times (model time unit), increasing, >= 0. Integration starts at time 0 from
        ``initial``.
    parameters
        ``(n_members, n_parameters)`` in model order, or one row (or a 1-D vector) shared by all
        members; default: the model's values.
    initial
        ``(n_members, n_species)`` initial amounts, or one row shared by all; default: the
        model's initial values.
    doses
        Boluses: at ``dose.time``, ``dose.amount`` is added to ``dose.species``; the state at an
        output time equal to a dose time includes the dose. Doses after the last output time
        have no effect.
    rtol, atol
        Relative and absolute local error tolerances.
    method
        ``"auto"`` (default): DOPRI5, and for a member that needs more than
        ``explicit_steps`` steps (a stiff one), RODAS4 from the start; ``"dopri5"``,
        ``"rodas"`` or ``"rkc"`` (Runge-Kutta-Chebyshev, order 2, stabilised explicit) to force
        one.
    max_steps
        Steps allowed per member and method; a member that needs more is NaN from there on.
    explicit_steps
        With ``method="auto"``: the explicit steps a member may take before it is redone with
        the stiff method.
    parallel
        Spread members over numba's threads (``False``: run on the calling thread only, for
        callers that parallelise themselves, e.g. dask workers).

    Returns
    -------
    ``(n_members, n_times, n_species)`` amounts; members are independent, so simulating a
    cohort in chunks gives the same numbers as simulating it whole.

    Raises
    ------
    InputError
        For inputs of the wrong shape, non-finite values, negative times or amounts, unknown
        dose species, unknown methods.
    """
    return solve(
        spec,
        times=times,
        parameters=parameters,
        initial=initial,
        doses=doses,
        rtol=rtol,
        atol=atol,
        method=method,
        max_steps=max_steps,
        explicit_steps=explicit_steps,
        parallel=parallel,
    ).states


def warm_up(spec: ModelSpec, *, parallel: bool = True) -> None:
    """Compile the model and the ensemble kernel now (numba compiles at first use).

    The first :func:`simulate` of a model in a process pays this compilation (seconds); the
    benchmark times it separately with this function.
    """
    solve(spec, times=[0.0, 1.0], method="auto", parallel=parallel)
