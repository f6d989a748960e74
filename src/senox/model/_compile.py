"""Model expressions turned into code: Python for numba, LLVM IR, and SBML/Antimony infix.

A :class:`~senox.model._spec.ModelSpec` holds its equations as expression strings. This module
parses them once (with :mod:`ast`) and writes them out in three dialects:

* **Python for numba** -- ``rhs(t, y, p, dydt)``: species are read from ``y``, parameters
  from ``p``, the assignments are computed in their order, then the reaction rates, then
  ``dydt[i] = sum(change * rate)``. Every model name is prefixed (``s_``, ``p_``, ``a_``,
  ``r_`` for species, parameters, assignments and reactions) so that no model name can clash
  with the function's own names. The same generator writes the exact Jacobian
  ``jac(t, y, p, J)`` (``J[i * n + j] = d dydt[i] / d y[j]``), differentiated symbolically,
  chain rule through the assignments included, and ``derive(t, y, p, q)``, which computes once
  per member everything that depends on parameters only (``pow(K, n)`` of a Hill term,
  assignments of parameters...) so that ``rhs`` and ``jac`` read it from ``q``. This source
  is what the functions compute, and it runs as plain Python (``py_rhs``...) for checks.
* **LLVM IR** -- :func:`function_ir` writes each of the three as LLVM IR on raw ``float64``
  pointers, the same operations numba would emit for the source, and numba's LLVM compiles
  them (:func:`compile_ir`: a fraction of a second, where numba's own front end took seconds).
  The solver kernels take them as first-class function arguments, so the kernels are
  compiled only once. The same writer gives the lane right-hand side (:func:`compile_lanes`)
  on vectors of :data:`LANES` doubles, one member per lane, for :mod:`senox.model._lanes`;
  fractional powers go through :mod:`senox.model._pow` in both, so they agree bit for bit.
* **Infix for SBML Level 3 and Antimony** -- ``**`` and ``pow`` become ``^``, ``log`` becomes
  ``ln`` (in SBML's infix syntax ``log(x)`` means the base-10 logarithm), every compound operand
  is parenthesised so that no precedence rule of either syntax matters.

Compiled models are cached by the generated source, i.e. by the content of the equations (not
by the descriptions, units or sources), so the same model read twice compiles once.
"""

from __future__ import annotations

import ast
import hashlib
import linecache
import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from senox.model._spec import ModelSpec, expression_names

if TYPE_CHECKING:
    from collections.abc import Callable

#: Prefixes that keep model names apart from each other and from the generated code's names.
PREFIX = {"species": "s_", "parameter": "p_", "assignment": "a_", "reaction": "r_"}
_MATH = {"exp": "exp", "log": "log", "sqrt": "sqrt"}
_INFIX_FUNCTIONS = {"exp": "exp", "log": "ln", "sqrt": "sqrt"}


def _parse(expression: str) -> ast.expr:
    return ast.parse(expression, mode="eval").body


def _value(node: ast.Constant) -> float:
    """A numeric constant's value (the spec's checks let only numbers through)."""
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"constant {value!r} is not a number"
        raise TypeError(msg)
    return float(value)


# --------------------------------------------------------------------------------------------
# Python (numba) dialect
# --------------------------------------------------------------------------------------------


def _namespace(spec: ModelSpec) -> dict[str, str]:
    """Model name -> Python name in generated code (``time`` -> ``t``)."""
    names = {"time": "t"}
    names.update({s: PREFIX["species"] + s for s in spec.species_names})
    names.update({p: PREFIX["parameter"] + p for p in spec.parameter_names})
    names.update({a.name: PREFIX["assignment"] + a.name for a in spec.assignments})
    return names


class _ToPython(ast.NodeTransformer):
    """Rename model names, map functions to :mod:`math`, make constants floats."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id.startswith("'"):  # a value lifted out by _Hoister: its local's name
            return ast.Name(id=node.id[1:], ctx=ast.Load())
        return ast.Name(id=self.names[node.id], ctx=ast.Load())

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        return ast.Constant(value=_value(node))

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        if isinstance(node.op, ast.Pow):
            return _power(self.visit(node.left), node.right, self.visit)
        return ast.BinOp(left=self.visit(node.left), op=node.op, right=self.visit(node.right))

    def visit_Call(self, node: ast.Call) -> ast.expr:
        assert isinstance(node.func, ast.Name)
        if node.func.id == "pow":
            return _power(self.visit(node.args[0]), node.args[1], self.visit)
        args = [self.visit(a) for a in node.args]
        func = ast.Attribute(value=ast.Name("math", ast.Load()), attr=_MATH[node.func.id])
        return ast.Call(func=func, args=args, keywords=[])


def _power(base: ast.expr, exponent: ast.expr, visit: Callable[[ast.expr], Any]) -> ast.expr:
    """``base ** exponent`` for numba.

    A fractional one is ``_pow(base, exponent)`` (:func:`senox.model._pow.fast_pow`). An
    integer exponent stays an integer, so that numba multiplies instead of calling ``pow``;
    a negative one is written ``1.0 / base ** k``, the division numba would do, but under the
    functions' NumPy error model (``0 ** -k`` is ``inf``; numba's own inversion raises
    ZeroDivisionError, which a C callback cannot pass on).
    """
    k = _small_integer(exponent)
    if k is None:  # a fractional power: senox.model._pow, which vectorises in the lanes
        return ast.Call(
            func=ast.Name("_pow", ast.Load()), args=[base, visit(exponent)], keywords=[]
        )
    power = ast.BinOp(left=base, op=ast.Pow(), right=ast.Constant(abs(k)))
    return ast.BinOp(left=ast.Constant(1.0), op=ast.Div(), right=power) if k < 0 else power


def _small_integer(node: ast.expr) -> int | None:
    """The value of an integer-valued constant exponent (``2``, ``3.0``, ``-1``), else None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        sign, node = -1, node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        value = float(node.value)
        if value.is_integer() and abs(value) <= 16:
            return sign * int(value)
    return None


def python_expression(expression: str | ast.expr, names: dict[str, str]) -> str:
    """An expression as Python source for numba, with names mapped through ``names``.

    >>> python_expression("k * pow(X, 2) / (K + exp(-X))", {"k": "p_k", "X": "s_X", "K": "p_K"})
    'p_k * s_X ** 2 / (p_K + math.exp(-s_X))'
    """
    tree = _parse(expression) if isinstance(expression, str) else expression
    return ast.unparse(ast.fix_missing_locations(_ToPython(names).visit(tree)))


def _change_terms(coefficient: float, name: str) -> str:
    if coefficient == 1.0:
        return f" + {name}"
    if coefficient == -1.0:
        return f" - {name}"
    sign = "+" if coefficient > 0 else "-"
    return f" {sign} {abs(coefficient)!r} * {name}"


class _Hoister:
    """Lifts sub-expressions that depend on parameters only out of the per-step functions.

    Assignments that read only parameters (and earlier such assignments) are computed once per
    member, and so is every maximal sub-expression of the rates and derivatives that reads only
    those (``pow(K, n)`` of a Hill term, ``1 - f``...). They are stored after the parameters in
    the extended parameter vector ``q`` that ``derive(t, y, p, q)`` fills once per member; the
    right-hand side and Jacobian read them from there. The arithmetic is the same, only done
    once: results are bit-for-bit those of the unlifted code.
    """

    def __init__(self, spec: ModelSpec) -> None:
        self.constant = set(spec.parameter_names)
        self.lifted_assignments: list[str] = []
        for assignment in spec.assignments:
            if expression_names(assignment.expression) <= self.constant:
                self.constant.add(assignment.name)
                self.lifted_assignments.append(assignment.name)
        self.table: dict[str, tuple[str, ast.expr]] = {}

    def __call__(self, node: ast.expr) -> ast.expr:
        names = _read_names(node)
        if not isinstance(node, ast.Name | ast.Constant) and names and names <= self.constant:
            key = ast.dump(node)
            if key not in self.table:
                self.table[key] = (f"h_{len(self.table)}", node)
            return ast.Name(f"'{self.table[key][0]}", ast.Load())
        if isinstance(node, ast.BinOp):
            return ast.BinOp(self(node.left), node.op, self(node.right))
        if isinstance(node, ast.UnaryOp):
            return ast.UnaryOp(node.op, self(node.operand))
        if isinstance(node, ast.Call):
            return ast.Call(node.func, [self(a) for a in node.args], [])
        return node


def _read_names(node: ast.expr) -> set[str]:
    """The names a tree reads (function names excluded)."""
    called = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and id(n) not in called}


@dataclass(frozen=True)
class Sources:
    """The generated functions of a model, as Python source.

    ``derive`` fills the extended parameter vector (``n_extended`` long: the parameters, then
    the lifted values) once per member; ``rhs`` and ``jac`` take that vector as ``p``.
    """

    rhs: str
    jac: str
    derive: str
    n_extended: int


def _loads(spec: ModelSpec, hoister: _Hoister) -> list[str]:
    n_p = len(spec.parameters)
    lines = [f"    {PREFIX['parameter']}{q} = p[{i}]" for i, q in enumerate(spec.parameter_names)]
    lines += [f"    {PREFIX['assignment']}{a} = p[{n_p + i}]"
              for i, a in enumerate(hoister.lifted_assignments)]  # fmt: skip
    offset = n_p + len(hoister.lifted_assignments)
    lines += [
        f"    {local} = p[{offset + i}]" for i, (local, _) in enumerate(hoister.table.values())
    ]
    return lines


def _rhs_body(spec: ModelSpec, hoister: _Hoister, names: dict[str, str]) -> list[str]:
    lines = []
    for assignment in spec.assignments:
        if assignment.name in hoister.lifted_assignments:
            continue
        tree = hoister(_parse(assignment.expression))
        lines.append(f"    {names[assignment.name]} = {python_expression(tree, names)}")
    for reaction in spec.reactions:
        tree = hoister(_parse(reaction.rate))
        lines.append(f"    {PREFIX['reaction']}{reaction.name} = {python_expression(tree, names)}")
    for i, species in enumerate(spec.species_names):
        terms = "".join(
            _change_terms(r.change[species], PREFIX["reaction"] + r.name)
            for r in spec.reactions
            if r.change.get(species, 0.0) != 0.0
        )
        lines.append(f"    dydt[{i}] = 0.0{terms}")
    return lines


def generate(spec: ModelSpec) -> Sources:
    """Generate ``rhs``, ``jac`` and ``derive`` for a model (see :class:`Sources`)."""
    hoister = _Hoister(spec)
    names = _namespace(spec)
    rhs_body = _rhs_body(spec, hoister, names)
    jac_body = _jacobian_body(spec, hoister, dict(names))
    species_loads = [
        f"    {PREFIX['species']}{s} = y[{i}]" for i, s in enumerate(spec.species_names)
    ]
    loads = _loads(spec, hoister)
    rhs = "\n".join(["def rhs(t, y, p, dydt):", *species_loads, *loads, *rhs_body]) + "\n"
    jac = "\n".join(["def jac(t, y, p, J):", *species_loads, *loads, *jac_body]) + "\n"
    n_p = len(spec.parameters)
    derive = ["def derive(t, y, p, q):"]
    derive += [f"    {PREFIX['parameter']}{q} = p[{i}]" for i, q in enumerate(spec.parameter_names)]
    derive += [f"    for i in range({n_p}):", "        q[i] = p[i]"]
    slot = n_p
    for assignment in spec.assignments:
        if assignment.name in hoister.lifted_assignments:
            local = names[assignment.name]
            derive.append(f"    {local} = {python_expression(assignment.expression, names)}")
            derive.append(f"    q[{slot}] = {local}")
            slot += 1
    for local, tree in hoister.table.values():
        derive.append(f"    {local} = {python_expression(tree, names)}")
        derive.append(f"    q[{slot}] = {local}")
        slot += 1
    return Sources(rhs=rhs, jac=jac, derive="\n".join(derive) + "\n", n_extended=slot)  # fmt: skip


def rhs_source(spec: ModelSpec) -> str:
    """Python source of ``rhs(t, y, p, dydt)`` (``p``: the extended parameters of ``derive``).

    >>> from senox.model._spec import parse_model
    >>> spec = parse_model({"model": {"name": "m"},
    ...     "species": [{"name": "X", "initial": 1.0}],
    ...     "parameters": [{"name": n, "value": 1.0, "unit": "1/day", "range": [0.5, 2.0],
    ...                     "source": "toy"} for n in ("k", "K", "n")],
    ...     "reactions": [{"name": "decay", "rate": "k * X / (pow(K, n) + X)",
    ...                    "change": {"X": -1}}]})
    >>> print(rhs_source(spec))
    def rhs(t, y, p, dydt):
        s_X = y[0]
        p_k = p[0]
        p_K = p[1]
        p_n = p[2]
        h_0 = p[3]
        r_decay = p_k * s_X / (h_0 + s_X)
        dydt[0] = 0.0 - r_decay
    <BLANKLINE>
    """
    return generate(spec).rhs


# --------------------------------------------------------------------------------------------
# Symbolic derivatives (for the Jacobian)
# --------------------------------------------------------------------------------------------

_ZERO = ast.Constant(0.0)
_ONE = ast.Constant(1.0)


def _is_const(node: ast.expr, value: float) -> bool:
    return isinstance(node, ast.Constant) and node.value == value


def _add(a: ast.expr, b: ast.expr) -> ast.expr:
    if _is_const(a, 0.0):
        return b
    if _is_const(b, 0.0):
        return a
    return ast.BinOp(a, ast.Add(), b)


def _sub(a: ast.expr, b: ast.expr) -> ast.expr:
    if _is_const(b, 0.0):
        return a
    if _is_const(a, 0.0):
        return ast.UnaryOp(ast.USub(), b)
    return ast.BinOp(a, ast.Sub(), b)


def _mul(a: ast.expr, b: ast.expr) -> ast.expr:
    if _is_const(a, 0.0) or _is_const(b, 0.0):
        return _ZERO
    if _is_const(a, 1.0):
        return b
    if _is_const(b, 1.0):
        return a
    return ast.BinOp(a, ast.Mult(), b)


def _div(a: ast.expr, b: ast.expr) -> ast.expr:
    if _is_const(a, 0.0):
        return _ZERO
    if _is_const(b, 1.0):
        return a
    return ast.BinOp(a, ast.Div(), b)


def _call(name: str, arg: ast.expr) -> ast.expr:
    return ast.Call(ast.Name(name, ast.Load()), [arg], [])


def derivative(node: ast.expr, wrt: Callable[[str], ast.expr]) -> ast.expr:
    """The symbolic derivative of an expression tree (in model names).

    ``wrt(name)`` gives the derivative of a name (a constant 0 or 1, or the name of a variable
    that holds a derivative already computed); the result is simplified where trivially
    possible (``0 * x``, ``x + 0``, ``1 * x``).

    >>> d = derivative(_parse("k * X ** 2 / (K + X)"), lambda n: _ONE if n == "X" else _ZERO)
    >>> ast.unparse(d)
    '(k * (2 * X) * (K + X) - k * X ** 2) / (K + X) ** 2.0'
    """
    if isinstance(node, ast.Constant):
        return _ZERO
    if isinstance(node, ast.Name):
        return wrt(node.id)
    if isinstance(node, ast.UnaryOp):
        inner = derivative(node.operand, wrt)
        if isinstance(node.op, ast.UAdd) or _is_const(inner, 0.0):
            return inner
        return ast.UnaryOp(ast.USub(), inner)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        if node.func.id == "pow":
            return derivative(ast.BinOp(node.args[0], ast.Pow(), node.args[1]), wrt)
        arg = node.args[0]
        inner = derivative(arg, wrt)
        if _is_const(inner, 0.0):
            return _ZERO
        if node.func.id == "exp":
            return _mul(node, inner)
        if node.func.id == "log":
            return _div(inner, arg)
        # sqrt
        return _div(inner, _mul(ast.Constant(2.0), node))
    assert isinstance(node, ast.BinOp)
    a, b = node.left, node.right
    da, db = derivative(a, wrt), derivative(b, wrt)
    if isinstance(node.op, ast.Add):
        return _add(da, db)
    if isinstance(node.op, ast.Sub):
        return _sub(da, db)
    if isinstance(node.op, ast.Mult):
        return _add(_mul(da, b), _mul(a, db))
    if isinstance(node.op, ast.Div):
        if _is_const(db, 0.0):
            return _div(da, b)
        return _div(_sub(_mul(da, b), _mul(a, db)), ast.BinOp(b, ast.Pow(), ast.Constant(2.0)))
    assert isinstance(node.op, ast.Pow)
    # d(a^b) = b a^(b-1) da + a^b ln(a) db
    first: ast.expr = _ZERO
    if not _is_const(da, 0.0):
        exponent = ast.Constant(_value(b) - 1) if isinstance(b, ast.Constant) else _sub(b, _ONE)
        power = a if _is_const(exponent, 1.0) else ast.BinOp(a, ast.Pow(), exponent)
        first = _mul(_mul(b, power), da)
    second: ast.expr = _ZERO
    if not _is_const(db, 0.0):
        second = _mul(_mul(node, _call("log", a)), db)
    return _add(first, second)


def _dependencies(spec: ModelSpec) -> dict[str, set[str]]:
    """For each assignment and reaction: the species it depends on, through assignments too."""
    species = set(spec.species_names)
    deps: dict[str, set[str]] = {}
    for assignment in spec.assignments:
        names = expression_names(assignment.expression)
        deps[assignment.name] = (names & species).union(*(deps[n] for n in names if n in deps))
    for reaction in spec.reactions:
        names = expression_names(reaction.rate)
        deps["reaction:" + reaction.name] = (names & species).union(
            *(deps[n] for n in names if n in deps)
        )
    return deps


def _jacobian_body(spec: ModelSpec, hoister: _Hoister, names: dict[str, str]) -> list[str]:
    index = {s: i for i, s in enumerate(spec.species_names)}
    deps = _dependencies(spec)
    n = len(spec.species)
    lines = [f"    for i in range({n * n}):", "        J[i] = 0.0"]

    def wrt_factory(j: str) -> Callable[[str], ast.expr]:
        def wrt(name: str) -> ast.expr:
            if name == j:
                return _ONE
            if name in deps and j in deps[name]:
                # not an identifier, so no model name can clash with it; renamed below
                return ast.Name(f"{name}'{index[j]}", ast.Load())
            return _ZERO

        return wrt

    for assignment in spec.assignments:
        if assignment.name in hoister.lifted_assignments:
            continue
        tree = _parse(assignment.expression)
        lines.append(f"    {names[assignment.name]} = {python_expression(hoister(tree), names)}")
        for j in sorted(deps[assignment.name], key=index.__getitem__):
            d = hoister(derivative(tree, wrt_factory(j)))
            local = f"d_{assignment.name}_{index[j]}"
            names[f"{assignment.name}'{index[j]}"] = local
            lines.append(f"    {local} = {python_expression(d, names)}")
    entries: dict[tuple[int, int], list[str]] = {}
    for r, reaction in enumerate(spec.reactions):
        tree = _parse(reaction.rate)
        for j in sorted(deps["reaction:" + reaction.name], key=index.__getitem__):
            d = derivative(tree, wrt_factory(j))
            if _is_const(d, 0.0):
                continue
            local = f"dr_{r}_{index[j]}"
            lines.append(f"    {local} = {python_expression(hoister(d), names)}")
            for species, coefficient in reaction.change.items():
                if coefficient != 0.0:
                    entries.setdefault((index[species], index[j]), []).append(
                        _change_terms(coefficient, local)
                    )
    for (row, col), terms in sorted(entries.items()):
        lines.append(f"    J[{row * n + col}] = 0.0{''.join(terms)}")
    return lines


def jacobian_source(spec: ModelSpec) -> str:
    """Python source of ``jac(t, y, p, J)``: ``J[i * n + j] = d dydt[i] / d y[j]`` (exact).

    ``J`` is the row-major flat ``n x n`` matrix, ``p`` the extended parameters of ``derive``.
    Derivatives are written symbolically, propagated through the assignments by the chain rule
    (``d_<assignment>_<j>`` locals), and only the non-zero entries of ``J`` are assigned after
    it is zeroed.
    """
    return generate(spec).jac


# --------------------------------------------------------------------------------------------
# Infix dialect (SBML L3 formulas, Antimony)
# --------------------------------------------------------------------------------------------

_ATOM, _POWER, _UNARY, _PRODUCT, _SUM = 5, 4, 3, 2, 1


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _infix(node: ast.expr, rename: Callable[[str], str]) -> tuple[str, int]:
    if isinstance(node, ast.Constant):
        return _number(_value(node)), _ATOM
    if isinstance(node, ast.Name):
        return rename(node.id), _ATOM
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        args = [_infix(a, rename) for a in node.args]
        if node.func.id == "pow":
            return _infix(ast.BinOp(node.args[0], ast.Pow(), node.args[1]), rename)
        return f"{_INFIX_FUNCTIONS[node.func.id]}({args[0][0]})", _ATOM
    if isinstance(node, ast.UnaryOp):
        text, level = _infix(node.operand, rename)
        sign = "-" if isinstance(node.op, ast.USub) else ""
        return (f"{sign}{text}" if level == _ATOM else f"{sign}({text})"), _UNARY
    assert isinstance(node, ast.BinOp)
    (left, left_level), (right, right_level) = _infix(node.left, rename), _infix(node.right, rename)
    if isinstance(node.op, ast.Pow):
        left = left if left_level == _ATOM else f"({left})"
        right = right if right_level == _ATOM else f"({right})"
        return f"{left}^{right}", _POWER
    level = _SUM if isinstance(node.op, ast.Add | ast.Sub) else _PRODUCT
    symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
    # unary operands are always bracketed; the right operand also when at the same level
    if left_level < level or left_level == _UNARY:
        left = f"({left})"
    if right_level <= level or right_level == _UNARY:
        right = f"({right})"
    return f"{left} {symbol} {right}", level


def infix(expression: str, rename: Callable[[str], str] | None = None) -> str:
    """An expression in the infix syntax shared by SBML Level 3 formulas and Antimony.

    >>> infix("-k * X ** 2 / (K + pow(X, n)) + log(time) - (a - b)")
    '(-k) * X^2 / (K + X^n) + ln(time) - (a - b)'
    """
    return _infix(_parse(expression), rename or (lambda name: name))[0]


# --------------------------------------------------------------------------------------------
# Compilation and its cache
# --------------------------------------------------------------------------------------------


def _signature() -> Any:
    """``void(float64, float64*, float64*, float64*)``: the C signature of ``rhs`` and ``jac``."""
    from numba import types

    pointer = types.CPointer(types.float64)  # type: ignore[no-untyped-call]
    return types.void(types.float64, pointer, pointer, pointer)


@dataclass
class CompiledModel:
    """A model's generated code and its compiled functions.

    ``derive``, ``rhs`` and ``jac`` are compiled from LLVM IR (:class:`NativeFunction`) and
    take raw pointers to the state, parameter and output vectors. The solver kernels receive
    them as first-class function arguments, so the kernels are compiled once per process (and
    cached on disk), whatever the model; only these small functions are compiled per model.

    Attributes
    ----------
    key
        SHA-256 of the generated source: equal for models with equal equations.
    source
        The generated Python source of ``derive``, ``rhs`` and ``jac``.
    n_extended
        Length of the extended parameter vector ``derive`` fills.
    derive, rhs, jac
        ``derive(t, y, p, q)`` (``q``: the parameters ``p`` and the values that depend on
        parameters only; ``t`` and ``y`` are not read), ``rhs(t, y, q, dydt)`` and
        ``jac(t, y, q, J)`` compiled (``J`` flat, row-major).
    py_derive, py_rhs, py_jac
        The same functions as plain Python, on NumPy arrays (for checks and debugging).
    autonomous
        True when no expression reads ``time`` (the Rosenbrock method then skips ``df/dt``).
    compile_seconds
        Wall time to write and compile the three.
    """

    key: str
    source: str
    n_species: int
    n_parameters: int
    n_extended: int
    derive: Any
    rhs: Any
    jac: Any
    py_derive: Callable[..., None]
    py_rhs: Callable[..., None]
    py_jac: Callable[..., None]
    autonomous: bool
    compile_seconds: float

    def extend(self, parameters: Any) -> Any:
        """The extended parameter vector ``rhs`` and ``jac`` take, for one parameter vector."""
        import numpy as np

        p = np.asarray(parameters, dtype=np.float64)
        q = np.empty(self.n_extended)
        self.py_derive(0.0, p, p, q)
        return q


_CACHE: dict[str, CompiledModel] = {}
#: The last compiled model of each ModelSpec object (kept alive here, so its id is not reused).
_BY_SPEC: dict[int, tuple[ModelSpec, CompiledModel]] = {}
_CACHE_LOCK = threading.Lock()


def model_source(spec: ModelSpec) -> str:
    """The generated module: ``derive``, ``rhs`` and ``jac`` of the model, as Python source."""
    sources = generate(spec)
    return "\n\n".join(["import math\n", sources.derive, sources.rhs, sources.jac])


def reads_time(spec: ModelSpec) -> bool:
    """Whether any assignment or rate reads ``time`` (the model is not autonomous)."""
    expressions = [a.expression for a in spec.assignments] + [r.rate for r in spec.reactions]
    return any("time" in expression_names(e) for e in expressions)


def compile_model(spec: ModelSpec) -> CompiledModel:
    """Generate and compile a model's functions, once per distinct set of equations."""
    import time

    from senox.model._pow import fast_pow

    known = _BY_SPEC.get(id(spec))
    if known is not None and known[0] is spec:  # the same object: skip regenerating its source
        return known[1]
    source = model_source(spec)
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _BY_SPEC[id(spec)] = (spec, cached)
            return cached
        filename = f"<senox model {spec.name} {key[:12]}>"
        # let tracebacks show the generated lines of the Python versions
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        namespace: dict[str, Any] = {"math": math, "_pow": fast_pow}
        exec(compile(source, filename, "exec"), namespace)  # our own generated code
        start = time.perf_counter()
        symbols = {f"senox_{name}_{key[:16]}": name for name in ("derive", "rhs", "jac")}
        functions = compile_ir(source, len(spec.species), symbols, lanes=1)
        compiled = CompiledModel(
            key=key,
            source=source,
            n_species=len(spec.species),
            n_parameters=len(spec.parameters),
            n_extended=generate(spec).n_extended,
            derive=functions["derive"],
            rhs=functions["rhs"],
            jac=functions["jac"],
            py_derive=namespace["derive"],
            py_rhs=namespace["rhs"],
            py_jac=namespace["jac"],
            autonomous=not reads_time(spec),
            compile_seconds=time.perf_counter() - start,
        )
        _CACHE[key] = compiled
        _BY_SPEC[id(spec)] = (spec, compiled)
        return compiled


# --------------------------------------------------------------------------------------------
# LLVM IR: the generated functions compiled without numba's front end, for one member or lanes
# --------------------------------------------------------------------------------------------

#: Members the lane right-hand side evaluates at once (one AVX-512 register of float64).
LANES = 8


class _Emitter:
    """Translate numba-dialect expressions into LLVM IR on doubles or vectors of doubles.

    Each operation is the one numba emits for the same source (``fadd``, ``fdiv``, the
    ``llvm.exp``/``log``/``sqrt`` intrinsics, integer powers by the same unrolled squaring as
    numba's ``static_power_impl``, fractional ones by :func:`senox.model._pow.emit_pow`), so
    the one-member functions compute what numba would, and every lane of the vector ones
    computes bit for bit what the one-member function computes for its member.
    """

    def __init__(self, builder: Any, lanes: int, loads: Callable[[str], Any]):
        from llvmlite import ir

        from senox.model._pow import emit_pow

        self.power = emit_pow
        self.builder = builder
        self.module = builder.module
        self.lanes = lanes
        double = ir.DoubleType()
        self.type = double if lanes == 1 else ir.VectorType(double, lanes)
        self.suffix = "f64" if lanes == 1 else f"v{lanes}f64"
        self.values: dict[str, Any] = {}
        self.loads = loads

    def _intrinsic(self, name: str) -> Any:
        from llvmlite import ir

        full = f"llvm.{name}.{self.suffix}"
        if full in self.module.globals:
            return self.module.globals[full]
        return ir.Function(self.module, ir.FunctionType(self.type, [self.type]), full)

    def constant(self, value: float) -> Any:
        from llvmlite import ir

        if self.lanes == 1:
            return ir.Constant(self.type, float(value))
        return ir.Constant(self.type, [float(value)] * self.lanes)

    def name(self, name: str) -> Any:
        if name not in self.values:
            self.values[name] = self.loads(name)
        return self.values[name]

    def integer_power(self, base: Any, exponent: int) -> Any:
        """``base ** exponent``, ``exponent >= 0`` (negative ones are divisions in the source)."""
        b = self.builder
        result = self.constant(1.0)
        value = base
        while exponent:
            if exponent & 1:
                result = b.fmul(result, value)
            exponent >>= 1
            if exponent:
                value = b.fmul(value, value)
        return result

    def __call__(self, node: ast.expr) -> Any:
        b = self.builder
        if isinstance(node, ast.Constant):
            return self.constant(_value(node))
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp):
            operand = self(node.operand)
            return b.fneg(operand) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left = self(node.left)
            if isinstance(node.op, ast.Pow):  # fractional powers are calls of _pow
                assert isinstance(node.right, ast.Constant)
                assert isinstance(node.right.value, int)
                return self.integer_power(left, node.right.value)
            operation = {ast.Add: b.fadd, ast.Sub: b.fsub, ast.Mult: b.fmul, ast.Div: b.fdiv}
            return operation[type(node.op)](left, self(node.right))
        assert isinstance(node, ast.Call)
        if isinstance(node.func, ast.Name):
            assert node.func.id == "_pow"
            return self.power(b, self(node.args[0]), self(node.args[1]))
        assert isinstance(node.func, ast.Attribute)
        return b.call(self._intrinsic(node.func.attr), [self(node.args[0])])


def function_ir(
    module: Any, source: str, function: str, n_species: int, lanes: int, name: str
) -> None:
    """Add ``void name(double t, double* y, double* p, double* out)`` to an llvmlite ``module``.

    ``function`` (``"derive"``, ``"rhs"`` or ``"jac"``) of a generated module's ``source``
    (:func:`model_source`), statement by statement. With ``lanes > 1`` it works on ``lanes``
    members at once, every vector lane-major: element ``i`` of the members side by side at
    ``[i * lanes, (i + 1) * lanes)``; ``y`` then ends with a row of the members' times, which
    stands for ``t`` (the argument itself is not read).
    """
    from llvmlite import ir

    (tree,) = (
        f for f in ast.parse(source).body if isinstance(f, ast.FunctionDef) and f.name == function
    )
    double = ir.DoubleType()
    pointer = ir.PointerType(double)
    signature = ir.FunctionType(ir.VoidType(), [double, pointer, pointer, pointer])
    compiled = ir.Function(module, signature, name=name)
    builder = ir.IRBuilder(compiled.append_basic_block("entry"))
    arguments = dict(zip([a.arg for a in tree.args.args], compiled.args, strict=True))
    width = ir.VectorType(double, lanes) if lanes > 1 else double

    def element(array: str, index: int) -> Any:
        address = builder.gep(arguments[array], [ir.Constant(ir.IntType(64), index * lanes)])
        return builder.bitcast(address, ir.PointerType(width)) if lanes > 1 else address

    rows: dict[str, tuple[str, int]] = {}

    def load(local: str) -> Any:
        if local == "t" and lanes == 1:
            return arguments["t"]
        array, index = rows[local] if local != "t" else ("y", n_species)
        return builder.load(element(array, index), align=8)

    emit = _Emitter(builder, lanes, load)
    for statement in tree.body:
        if isinstance(statement, ast.For):  # out[i] = constant, or out[i] = p[i], for every i
            (assignment,) = statement.body
            assert isinstance(statement.iter, ast.Call)
            assert isinstance(assignment, ast.Assign)
            (target,) = assignment.targets
            assert isinstance(target, ast.Subscript)
            assert isinstance(target.value, ast.Name)
            value = assignment.value
            for k in range(int(_value(statement.iter.args[0]))):  # type: ignore[arg-type]
                if isinstance(value, ast.Subscript):
                    assert isinstance(value.value, ast.Name)
                    item = builder.load(element(value.value.id, k), align=8)
                else:
                    item = emit(value)
                builder.store(item, element(target.value.id, k), align=8)
            continue
        assert isinstance(statement, ast.Assign)
        (target,), value = statement.targets, statement.value
        if isinstance(value, ast.Subscript):  # a species or parameter read
            assert isinstance(target, ast.Name)
            assert isinstance(value.value, ast.Name)
            rows[target.id] = (value.value.id, int(_value(value.slice)))  # type: ignore[arg-type]
        elif isinstance(target, ast.Name):
            emit.values[target.id] = emit(value)
        else:
            assert isinstance(target, ast.Subscript)
            assert isinstance(target.value, ast.Name)
            index = int(_value(target.slice))  # type: ignore[arg-type]
            builder.store(emit(value), element(target.value.id, index), align=8)
    builder.ret_void()


@dataclass(frozen=True)
class NativeFunction:
    """A generated function compiled from :func:`function_ir` by numba's LLVM.

    Passed to numba kernels like a ``numba.cfunc`` (the same first-class function type,
    through numba's ``WrapperAddressProtocol``); ``library`` keeps the machine code alive.
    """

    address: int
    library: Any

    def __wrapper_address__(self) -> int:
        return self.address

    def signature(self) -> Any:
        return _signature()


def compile_ir(
    source: str, n_species: int, functions: dict[str, str], lanes: int
) -> dict[str, NativeFunction]:
    """Compile ``functions`` (symbol -> generated function) of ``source`` into one library."""
    import llvmlite.binding as llvm
    import numba.experimental.function_type  # noqa: F401 (registers typeof for the protocol)
    from llvmlite import ir
    from numba.core import registry
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.types import WrapperAddressProtocol

    module = ir.Module(name=next(iter(functions)))
    for symbol, function in functions.items():
        function_ir(module, source, function, n_species, lanes, symbol)
    library = registry.cpu_target.target_context.codegen().create_library(module.name)
    with global_compiler_lock:
        library.add_llvm_module(llvm.parse_assembly(str(module)))
        library.finalize()
    WrapperAddressProtocol.register(NativeFunction)
    return {
        function: NativeFunction(library.get_pointer_to_function(symbol), library)
        for symbol, function in functions.items()
    }


_LANES: dict[str, NativeFunction] = {}


def compile_lanes(compiled: CompiledModel) -> NativeFunction:
    """The lane right-hand side of a compiled model, built once per model (about 0.1 s)."""
    with _CACHE_LOCK:
        known = _LANES.get(compiled.key)
        if known is None:
            symbol = f"senox_lanes_{compiled.key[:16]}"
            functions = compile_ir(compiled.source, compiled.n_species, {symbol: "rhs"}, LANES)
            known = _LANES[compiled.key] = functions["rhs"]
        return known
