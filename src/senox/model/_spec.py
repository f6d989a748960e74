"""Models declared as data: species, parameters, derived quantities and reactions in TOML.

A model file is the single source of a model's equations. The ODE engine, the SBML and
Antimony exports and the documentation are all generated from it, so they cannot drift apart.

Layout of a model file::

    [model]
    name = "toy"
    time_unit = "day"
    description = "..."

    [[species]]
    name = "X"            # a state variable
    initial = 1.0
    unit = "..."
    description = "..."

    [[parameters]]
    name = "k"
    value = 0.5
    unit = "1/day"
    range = [0.25, 1.0]   # the plausible range a virtual cohort samples from
    source = "PMID 123 / rationale"
    basis = "measured"    # optional: measured, seed or assumed (see BASES)
    description = "..."

    [[assignments]]       # derived quantities, evaluated in order (SBML assignment rules)
    name = "B"
    expression = "X + Y"

    [[reactions]]         # d(species)/dt += change[species] * rate
    name = "decay"
    rate = "k * X"
    change = { X = -1 }

Expressions use numbers, names (species, parameters, earlier assignments, and ``time``),
``+ - * / **``, unary minus and the functions ``exp``, ``log``, ``sqrt`` and ``pow``.
"""

from __future__ import annotations

import ast
import math
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from senox._errors import InputError
from senox._text import read_utf8

if TYPE_CHECKING:
    from collections.abc import Sequence

T = TypeVar("T")

#: What a parameter's value rests on (the optional ``basis`` field): a cited number
#: (``measured``), the seed review's qualitative statement with a chosen strength (``seed``), or
#: a stated rationale only (``assumed``). Fitted values are not a basis of the model file: they
#: belong to a calibration (``validation/results/calibration``).
BASES = ("measured", "seed", "assumed")
#: Functions an expression may call, with their number of arguments.
FUNCTIONS = {"exp": 1, "log": 1, "sqrt": 1, "pow": 2}
#: Deepest nesting of an expression's syntax tree (the compiler walks it recursively).
MAX_EXPRESSION_DEPTH = 100
_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Call,
    ast.Name,
    ast.Constant,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.USub,
    ast.UAdd,
)


@dataclass(frozen=True)
class Species:
    """A state variable of the model."""

    name: str
    initial: float
    unit: str
    description: str


@dataclass(frozen=True)
class Parameter:
    """A constant, with its unit, plausible range and where its value comes from."""

    name: str
    value: float
    unit: str
    low: float
    high: float
    source: str
    description: str
    basis: str = ""  # one of BASES, or "" where the model file does not say


@dataclass(frozen=True)
class Assignment:
    """A derived quantity, recomputed from the state at every instant."""

    name: str
    expression: str
    description: str = ""


@dataclass(frozen=True)
class Reaction:
    """A flux ``rate`` that changes each species in ``change`` by ``change[s] * rate``."""

    name: str
    rate: str
    change: dict[str, float]
    description: str = ""


@dataclass(frozen=True)
class ModelSpec:
    """A whole model: everything the solvers and exporters need, and nothing about solvers."""

    name: str
    time_unit: str
    description: str
    species: tuple[Species, ...]
    parameters: tuple[Parameter, ...]
    assignments: tuple[Assignment, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    source: str = field(default="", compare=False)

    @property
    def species_names(self) -> list[str]:
        """Names of the state variables, in the order of the state vector."""
        return [s.name for s in self.species]

    @property
    def parameter_names(self) -> list[str]:
        """Names of the parameters, in the order of a parameter vector."""
        return [p.name for p in self.parameters]

    def parameter_values(self) -> list[float]:
        """The default parameter vector."""
        return [p.value for p in self.parameters]

    def initial_values(self) -> list[float]:
        """The default initial state vector."""
        return [s.initial for s in self.species]


def expression_names(expression: str) -> set[str]:
    """The names an expression reads (function names excluded).

    >>> sorted(expression_names("k * X / (K + pow(X, 2))"))
    ['K', 'X', 'k']
    """
    tree = ast.parse(expression, mode="eval")
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def _depth(tree: ast.AST) -> int:
    depth, level = 0, [tree]
    while level:
        depth += 1
        level = [child for node in level for child in ast.iter_child_nodes(node)]
    return depth


def _parse_expression(where: str, expression: str) -> ast.Expression:
    if not expression.isprintable():
        msg = f"{where}: expression {expression!r} holds a line break or control character"
        raise InputError(msg)
    problem = f"nested deeper than {MAX_EXPRESSION_DEPTH} levels"
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        problem = exc.msg
    except (MemoryError, RecursionError):
        pass
    else:
        if _depth(tree) <= MAX_EXPRESSION_DEPTH:
            return tree
    msg = (
        f"{where}: expression '{expression}' is not valid ({problem}); use + - * / ** and "
        "exp, log, sqrt, pow"
    )
    raise InputError(msg)


def finite(value: float, what: str) -> float:
    """``value`` as a float; refused in one line starting with ``what`` unless finite."""
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the floats
        number = math.inf
    if not math.isfinite(number):
        msg = f"{what} is {number:g}; give a finite number"
        raise InputError(msg)
    return number


def _check_expression(where: str, expression: str, known: set[str]) -> None:
    tree = _parse_expression(where, expression)
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            msg = (
                f"{where}: '{ast.unparse(node)}' is not allowed in an expression; use + - * / ** "
                "and exp, log, sqrt, pow"
            )
            raise InputError(msg)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                msg = f"{where}: constant {value!r} is not a number; expressions hold numbers only"
                raise InputError(msg)
            finite(value, f"{where}: constant")
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            if FUNCTIONS.get(name) != len(node.args) or node.keywords:
                msg = (
                    f"{where}: call '{ast.unparse(node)}' is not allowed; functions: exp(x), "
                    "log(x), sqrt(x), pow(x, y)"
                )
                raise InputError(msg)
    unknown = sorted(expression_names(expression) - known)
    if unknown:
        msg = (
            f"{where}: unknown name(s) {', '.join(unknown)} in '{expression}'; define them as "
            "species, parameters or earlier assignments"
        )
        raise InputError(msg)


def _get(table: dict[str, object], key: str, kind: type[T], where: str) -> T:
    if key not in table:
        msg = f"{where}: field '{key}' is missing"
        raise InputError(msg)
    value = table[key]
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        value = finite(value, f"{where}: field '{key}'")
    if not isinstance(value, kind):
        msg = f"{where}: field '{key}' must be a {kind.__name__}, not {value!r}"
        raise InputError(msg)
    if isinstance(value, str) and not value.isprintable():
        msg = f"{where}: field '{key}' is {value!r}; give text on one line"
        raise InputError(msg)
    return value


def _numbers(values: list[object] | dict[str, object], where: str, field: str) -> list[float]:
    items = list(values.values()) if isinstance(values, dict) else values
    if not items or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in items):
        msg = f"{where}: field '{field}' must hold numbers"
        raise InputError(msg)
    return [finite(v, f"{where}: field '{field}'") for v in items]  # type: ignore[arg-type]


def _species(table: dict[str, object], where: str) -> Species:
    initial = _get(table, "initial", float, where)
    if initial < 0:
        msg = f"{where}: initial value {initial} is negative; species are amounts and cannot be"
        raise InputError(msg)
    return Species(
        name=_get(table, "name", str, where),
        initial=initial,
        unit=str(table.get("unit", "")),
        description=str(table.get("description", "")),
    )


def _parameter(table: dict[str, object], where: str) -> Parameter:
    value = _get(table, "value", float, where)
    bounds = _numbers(_get(table, "range", list, where), where, "range")
    if len(bounds) != 2:
        msg = f"{where}: field 'range' must be [low, high]"
        raise InputError(msg)
    low, high = bounds
    if not low <= value <= high:
        msg = f"{where}: value {value} lies outside its range [{low}, {high}]"
        raise InputError(msg)
    if not str(table.get("source", "")).strip():
        msg = (
            f"{where}: field 'source' is empty; every parameter needs a source or a stated "
            "rationale"
        )
        raise InputError(msg)
    return Parameter(
        name=_get(table, "name", str, where),
        value=value,
        unit=_get(table, "unit", str, where),
        low=low,
        high=high,
        source=str(table["source"]),
        description=str(table.get("description", "")),
        basis=_basis(table, where),
    )


def _basis(table: dict[str, object], where: str) -> str:
    if "basis" not in table:
        return ""
    basis = table["basis"]
    if basis not in BASES:
        msg = (
            f"{where} ('{table.get('name', '?')}'): basis {basis!r} is not one of "
            f"{', '.join(BASES)}; give one of them or leave 'basis' out"
        )
        raise InputError(msg)
    return str(basis)


def _reaction(table: dict[str, object], where: str) -> Reaction:
    change = _get(table, "change", dict, where)
    values = _numbers(change, where, "change")
    return Reaction(
        name=_get(table, "name", str, where),
        rate=_get(table, "rate", str, where),
        change={str(k): v for k, v in zip(change, values, strict=True)},
        description=str(table.get("description", "")),
    )


def _check_names(spec: ModelSpec, label: str) -> None:
    seen: set[str] = {"time"}
    groups = [
        ("species", spec.species_names),
        ("parameter", spec.parameter_names),
        ("assignment", [a.name for a in spec.assignments]),
        ("reaction", [r.name for r in spec.reactions]),
    ]
    for kind, names in groups:
        for name in names:
            if not name.isidentifier() or name in FUNCTIONS:
                msg = f"{label}: {kind} name '{name}' is not a valid identifier"
                raise InputError(msg)
            if name in seen:
                msg = (
                    f"{label}: {kind} name '{name}' is used twice (or is reserved); names must be "
                    "unique"
                )
                raise InputError(msg)
            seen.add(name)


def _check_expressions(spec: ModelSpec, label: str) -> None:
    known = {"time", *spec.species_names, *spec.parameter_names}
    for assignment in spec.assignments:
        _check_expression(f"{label}: assignment '{assignment.name}'", assignment.expression, known)
        known.add(assignment.name)
    species = set(spec.species_names)
    for reaction in spec.reactions:
        where = f"{label}: reaction '{reaction.name}'"
        _check_expression(where, reaction.rate, known)
        unknown = sorted(set(reaction.change) - species)
        if unknown:
            msg = f"{where}: 'change' names {', '.join(map(repr, unknown))}, which are not species"
            raise InputError(msg)


def parse_model(data: dict[str, object], label: str = "model") -> ModelSpec:
    """Build and check a :class:`ModelSpec` from a parsed TOML document."""
    header = data.get("model")
    if not isinstance(header, dict):
        msg = f"{label}: table [model] is missing"
        raise InputError(msg)

    def items(key: str) -> list[tuple[dict[str, object], str]]:
        rows = data.get(key, [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            msg = f"{label}: [[{key}]] must be an array of tables"
            raise InputError(msg)
        return [(row, f"{label}: {key}[{i}]") for i, row in enumerate(rows)]

    spec = ModelSpec(
        name=str(_get(header, "name", str, f"{label}: [model]")),
        time_unit=str(header.get("time_unit", "day")),
        description=str(header.get("description", "")),
        species=tuple(_species(r, w) for r, w in items("species")),
        parameters=tuple(_parameter(r, w) for r, w in items("parameters")),
        assignments=tuple(
            Assignment(
                name=str(_get(r, "name", str, w)),
                expression=str(_get(r, "expression", str, w)),
                description=str(r.get("description", "")),
            )
            for r, w in items("assignments")
        ),
        reactions=tuple(_reaction(r, w) for r, w in items("reactions")),
        source=label,
    )
    if not spec.species:
        msg = f"{label}: the model has no [[species]]"
        raise InputError(msg)
    _check_names(spec, label)
    _check_expressions(spec, label)
    return spec


def read_toml(path: Path, what: str) -> dict[str, object]:
    """The contents of a TOML file; a missing, unreadable, non-UTF-8 or invalid one is refused."""
    text = read_utf8(path, what, fix=f"save the {what} file as UTF-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = str(exc)
    except ValueError:  # an integer of more than 4300 digits
        problem = "a number too long"
    except RecursionError:
        problem = "nested too deeply"
    msg = f"{path}: not valid TOML ({problem}); is it a {what} file?"
    raise InputError(msg)


def read_model(path: str | Path) -> ModelSpec:
    """Read a model file (TOML); errors name the file and field."""
    path = Path(path)
    return parse_model(read_toml(path, "model"), label=str(path))


#: senox's own models, shipped in ``senox/model/data``, by name.
BUILTIN_MODELS = {"redox_senescence": "redox_senescence.toml"}


def load_model(name_or_path: str | Path) -> ModelSpec:
    """A shipped model by name (``redox_senescence``) or a model file by path."""
    if str(name_or_path) in BUILTIN_MODELS:
        text = (files("senox.model") / "data" / BUILTIN_MODELS[str(name_or_path)]).read_text(
            "utf-8"
        )
        return parse_model(tomllib.loads(text), label=str(name_or_path))
    path = Path(name_or_path)
    if path.suffix.lower() != ".toml":
        msg = f"{path}: not a model name ({', '.join(BUILTIN_MODELS)}) nor a .toml model file"
        raise InputError(msg)
    return read_model(path)


@dataclass(frozen=True)
class Dose:
    """An instantaneous dose: at ``time`` (model time unit), add ``amount`` to ``species``."""

    time: float
    species: str
    amount: float


def check_doses(spec: ModelSpec, doses: Sequence[Dose]) -> None:
    """Refuse doses of species the model lacks, or with negative or non-finite times or amounts."""
    species = set(spec.species_names)
    for k, dose in enumerate(doses):
        if dose.species not in species:
            msg = (
                f"doses[{k}]: species '{dose.species}' is not in model '{spec.name}'; "
                f"give one of {', '.join(spec.species_names)}"
            )
            raise InputError(msg)
        if not (math.isfinite(dose.time) and dose.time >= 0):
            msg = f"doses[{k}]: time {dose.time} must be a finite number >= 0"
            raise InputError(msg)
        if not (math.isfinite(dose.amount) and dose.amount >= 0):
            msg = f"doses[{k}]: amount {dose.amount} must be a finite number >= 0"
            raise InputError(msg)
