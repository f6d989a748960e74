"""Property-based tests of the strategy and model TOML parsers: whatever the file holds (any
bytes, any text, any value in any field), reading it either succeeds or raises a SenoxError
whose message is one line."""

from __future__ import annotations

import copy
import tempfile
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from senox._errors import SenoxError
from senox.model import load_strategy, read_model
from senox.model._spec import parse_model
from senox.model._strategy import parse_strategy
from tests.model.test_spec import TOY as TOY_TEXT

if TYPE_CHECKING:
    from collections.abc import Callable

#: Every kind of value TOML can hold, the awkward numbers (nan, inf, huge integers) included.
_SCALARS = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(),
    st.text(max_size=12),
    st.datetimes(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
#: Text that looks like an expression: names, numbers, operators, the functions, brackets.
_TOKENS = [*"Xkt0123456789.e+-*/(), ", "exp", "log", "sqrt", "pow", "**", "time", "1e999"]
_EXPRESSIONS = st.lists(st.sampled_from(_TOKENS), max_size=30).map("".join)

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _succeeds_or_refuses_in_one_line(call: Callable[[], object]) -> None:
    try:
        call()
    except SenoxError as exc:
        message = str(exc)
    else:
        return
    assert message.isprintable(), message  # one line: no line breaks or control characters


def _read_file(reader: Callable[[Path], object], content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.toml"
        path.write_bytes(content)
        _succeeds_or_refuses_in_one_line(lambda: reader(path))


_CONTENTS = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8")),
    st.sampled_from(["[strategy]\nname = ", "[model]\nname = ", "[[doses]]\n", "a = "]).flatmap(
        lambda head: st.text(max_size=100).map(lambda tail: (head + tail).encode("utf-8"))
    ),
)


@_SETTINGS
@given(_CONTENTS)
def test_any_strategy_file_is_read_or_refused(content: bytes) -> None:
    _read_file(load_strategy, content)


@_SETTINGS
@given(_CONTENTS)
def test_any_model_file_is_read_or_refused(content: bytes) -> None:
    _read_file(read_model, content)


_DOSE_FIELDS = ["agent", "action", "class", "start", "every", "count", "amount", "other"]


@_SETTINGS
@given(
    st.dictionaries(st.sampled_from(["name", "description", "source"]), _VALUES, max_size=3),
    st.lists(st.dictionaries(st.sampled_from(_DOSE_FIELDS), _VALUES, max_size=5), max_size=3),
    st.dictionaries(st.sampled_from(_DOSE_FIELDS), _VALUES, max_size=3),
)
def test_any_strategy_fields_are_parsed_or_refused(
    header: dict[str, object], rows: list[dict[str, object]], change: dict[str, object]
) -> None:
    valid = {"action": "genotoxic", "start": 0, "every": 7, "count": 3, "amount": 1.0}
    data: dict[str, object] = {
        "strategy": {"name": "s", **header},
        "doses": [*rows, {**valid, **change}],
    }
    _succeeds_or_refuses_in_one_line(lambda: parse_strategy(data, "s.toml"))


TOY = tomllib.loads(TOY_TEXT)
#: Every field of the toy model: (table, field).
_FIELDS = [("model", "name"), ("model", "time_unit")] + [
    (table, key)
    for table in ("species", "parameters", "assignments", "reactions")
    for key in TOY[table][0]
]


@_SETTINGS
@given(st.lists(st.tuples(st.sampled_from(_FIELDS), _VALUES), min_size=1, max_size=3))
def test_any_model_field_values_are_parsed_or_refused(
    changes: list[tuple[tuple[str, str], object]],
) -> None:
    data = copy.deepcopy(TOY)
    for (table, key), value in changes:
        target = data[table] if table == "model" else data[table][0]
        target[key] = value
    _succeeds_or_refuses_in_one_line(lambda: parse_model(data, "toy.toml"))


@_SETTINGS
@given(_EXPRESSIONS, _EXPRESSIONS)
def test_any_expression_is_parsed_or_refused(rate: str, expression: str) -> None:
    data = copy.deepcopy(TOY)
    data["reactions"][0]["rate"] = rate
    data["assignments"][0]["expression"] = expression
    _succeeds_or_refuses_in_one_line(lambda: parse_model(data, "toy.toml"))
