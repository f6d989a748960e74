"""``x ** y`` for generated model code, in operations that vectorise.

Hill terms put a fractional power in every right-hand side (``L ** n / (K ** n + L ** n)``),
and the C library's ``pow`` is a call that LLVM cannot vectorise: in the lane engine
(:mod:`senox.model._lanes`) eight scalar calls per power were a third of the run time. This
module writes ``exp(y * log(x))`` as straight-line LLVM IR that works on a double or on a
vector of doubles alike:

* ``log``: the exponent is taken from the bits, the mantissa brought into
  ``[sqrt(2)/2, sqrt(2))``, and ``log(1 + f)`` evaluated by the reduction
  ``s = f / (2 + f)`` and a degree-14 polynomial in ``s``, with ``ln 2`` split in two parts;
* ``exp``: ``k = round(z / ln 2)``, the remainder ``r = z - k ln 2`` (``ln 2`` in two parts),
  a rational approximation of ``exp(r)`` with a degree-10 polynomial, and ``2**k`` added to
  the exponent bits.

Method and coefficients are those of Sun Microsystems' fdlibm (``e_log.c``, ``e_exp.c``;
freely distributable, the basis of most C libraries' ``log`` and ``exp``), each good to
within one unit in the last place. Their composition is within ``(2 + 2 |y ln x|)`` units
in the last place of the exact power (``y * log(x)`` carries the log's relative error into the
exponent; measured: at most ``1 + |y ln x|``). For Hill terms (``x`` in ``[1e-4, 50]``,
``y`` in ``[0.5, 6]``) that is a median of 1.5 units and at most ``3.3e-15`` relative, against
the ``2e-16`` of the C library's correctly rounded ``pow``: far below any tolerance an ODE
solver is given. ``tests/model/test_pow.py`` checks both.

Inputs off the fast path -- ``x`` not a positive normal number (zero, negative, subnormal,
infinite, NaN), ``y`` not finite, or ``|y ln x| > 708`` (over- or underflow) -- take the C
library's ``pow``, so every special case keeps its IEEE/C99 result. A vector takes the call
only when one of its lanes needs it.
"""

from __future__ import annotations

from typing import Any

import numba
from llvmlite import ir
from numba import types
from numba.core.extending import intrinsic

# fdlibm e_log.c
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_LG = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)
# fdlibm e_exp.c
_INV_LN2 = 1.44269504088896338700e00
_P = (
    1.66666666666666019037e-01,
    -2.77777777770155933842e-03,
    6.61375632143793436117e-05,
    -1.65339022054652515390e-06,
    4.13813679705723846039e-08,
)
_SMALLEST_NORMAL = 2.2250738585072014e-308
_LARGEST_EXPONENT = 708.0  # exp of it and of its negative are normal numbers


class _Emitter:
    """Constants and integer views for one type: ``double`` or ``<n x double>``."""

    def __init__(self, builder: ir.IRBuilder, like: ir.Value) -> None:
        self.b = builder
        self.real = like.type
        width = self.real.count if isinstance(self.real, ir.VectorType) else None
        self.int = ir.IntType(64) if width is None else ir.VectorType(ir.IntType(64), width)
        self.width = width

    def real_constant(self, value: float) -> ir.Constant:
        if self.width is None:
            return ir.Constant(self.real, value)
        return ir.Constant(self.real, [value] * self.width)

    def int_constant(self, value: int) -> ir.Constant:
        if self.width is None:
            return ir.Constant(self.int, value)
        return ir.Constant(self.int, [value] * self.width)

    def horner(self, x: ir.Value, coefficients: tuple[float, ...]) -> ir.Value:
        """``c0 + x * (c1 + x * (c2 + ...))``."""
        b = self.b
        value = self.real_constant(coefficients[-1])
        for c in reversed(coefficients[:-1]):
            value = b.fadd(self.real_constant(c), b.fmul(x, value))
        return value

    def log(self, x: ir.Value) -> ir.Value:
        """``log(x)`` for positive normal ``x`` (fdlibm's ``__ieee754_log`` without branches)."""
        b, c, i = self.b, self.real_constant, self.int_constant
        bits = b.bitcast(x, self.int)
        high = b.lshr(bits, i(32))
        k = b.sub(b.lshr(high, i(20)), i(1023))
        mantissa_high = b.and_(high, i(0x000FFFFF))
        # bit 20 set when the mantissa is above sqrt(2): then halve it (and add 1 to k)
        above = b.and_(b.add(mantissa_high, i(0x95F64)), i(0x100000))
        new_high = b.or_(mantissa_high, b.xor(above, i(0x3FF00000)))
        m_bits = b.or_(b.shl(new_high, i(32)), b.and_(bits, i(0xFFFFFFFF)))
        k = b.add(k, b.lshr(above, i(20)))
        f = b.fsub(b.bitcast(m_bits, self.real), c(1.0))
        dk = b.sitofp(k, self.real)
        s = b.fdiv(f, b.fadd(c(2.0), f))
        z = b.fmul(s, s)
        w = b.fmul(z, z)
        t1 = b.fmul(w, self.horner(w, (_LG[1], _LG[3], _LG[5])))
        t2 = b.fmul(z, self.horner(w, (_LG[0], _LG[2], _LG[4], _LG[6])))
        r = b.fadd(t2, t1)
        hi = b.fmul(dk, c(_LN2_HI))
        lo = b.fmul(dk, c(_LN2_LO))
        # fdlibm's two forms: with 0.5 f^2 split off when f is not small, without it when it is
        hfsq = b.fmul(b.fmul(c(0.5), f), f)
        wide = b.fsub(hi, b.fsub(b.fsub(hfsq, b.fadd(b.fmul(s, b.fadd(hfsq, r)), lo)), f))
        narrow = b.fsub(hi, b.fsub(b.fsub(b.fmul(s, b.fsub(f, r)), lo), f))
        j = b.or_(b.sub(mantissa_high, i(0x6147A)), b.sub(i(0x6B851), mantissa_high))
        not_small = b.icmp_signed(">", b.trunc(j, self._int32()), self._int32_zero())
        return b.select(not_small, wide, narrow)

    def _int32(self) -> ir.Type:
        i32 = ir.IntType(32)
        return i32 if self.width is None else ir.VectorType(i32, self.width)

    def _int32_zero(self) -> ir.Constant:
        i32 = self._int32()
        return ir.Constant(i32, 0 if self.width is None else [0] * self.width)

    def exp(self, z: ir.Value) -> ir.Value:
        """``exp(z)`` for ``|z| <= 708`` (fdlibm's ``__ieee754_exp`` without branches)."""
        b, c, i = self.b, self.real_constant, self.int_constant
        negative = b.fcmp_ordered("<", z, c(0.0))
        half = b.select(negative, c(-0.5), c(0.5))
        k = b.fptosi(b.fadd(b.fmul(z, c(_INV_LN2)), half), self.int)
        dk = b.sitofp(k, self.real)
        hi = b.fsub(z, b.fmul(dk, c(_LN2_HI)))
        lo = b.fmul(dk, c(_LN2_LO))
        r = b.fsub(hi, lo)
        t = b.fmul(r, r)
        cr = b.fsub(r, b.fmul(t, self.horner(t, _P)))
        y = b.fsub(c(1.0), b.fsub(b.fsub(lo, b.fdiv(b.fmul(r, cr), b.fsub(c(2.0), cr))), hi))
        scaled = b.add(b.bitcast(y, self.int), b.shl(k, i(52)))
        return b.bitcast(scaled, self.real)


def _c_pow(builder: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    module = builder.module
    real = x.type
    suffix = f"v{real.count}f64" if isinstance(real, ir.VectorType) else "f64"
    name = f"llvm.pow.{suffix}"
    function = module.globals.get(name) or ir.Function(
        module, ir.FunctionType(real, [real, real]), name
    )
    return builder.call(function, [x, y])


def emit_pow(builder: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """``x ** y`` (doubles or vectors of doubles; see the module's docstring)."""
    e = _Emitter(builder, x)
    b, c = builder, e.real_constant
    z = b.fmul(y, e.log(x))
    fast = e.exp(z)
    usable = b.and_(
        b.and_(
            b.fcmp_ordered(">=", x, c(_SMALLEST_NORMAL)), b.fcmp_ordered("<", x, c(float("inf")))
        ),
        b.and_(
            b.fcmp_ordered("<=", z, c(_LARGEST_EXPONENT)),
            b.fcmp_ordered(">=", z, c(-_LARGEST_EXPONENT)),
        ),
    )  # NaN anywhere compares false; infinite y makes z infinite or NaN
    if e.width is None:
        any_special = b.not_(usable)
    else:
        reduce_and = builder.module.globals.get(f"llvm.vector.reduce.and.v{e.width}i1")
        if reduce_and is None:
            mask = usable.type
            reduce_and = ir.Function(
                builder.module,
                ir.FunctionType(ir.IntType(1), [mask]),
                f"llvm.vector.reduce.and.v{e.width}i1",
            )
        any_special = b.not_(b.call(reduce_and, [usable]))
    entry = b.block
    with b.if_then(any_special, likely=False):
        special_block = b.block
        special = b.select(usable, fast, _c_pow(b, x, y))
    result = b.phi(x.type)
    result.add_incoming(fast, entry)
    result.add_incoming(special, special_block)
    return result


@intrinsic
def _pow_intrinsic(typingctx: Any, x: Any, y: Any) -> Any:  # pragma: no cover (compiled)
    signature = types.float64(types.float64, types.float64)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return emit_pow(builder, *args)

    return signature, codegen


@numba.njit(inline="always", error_model="numpy")
def fast_pow(x: float, y: float) -> float:  # pragma: no cover (compiled)
    """``x ** y`` by :func:`emit_pow`; generated model code calls it for fractional powers."""
    return _pow_intrinsic(x, y)  # type: ignore[call-arg]
