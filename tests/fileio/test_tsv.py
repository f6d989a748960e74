"""senox.io.tsv_text against pandas' own to_csv, character for character."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from senox.io import tsv_text

HARD = [
    0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, 0.5, 2.5, 0.125, 999999.5, 9999995.0, 99999.95,
    123456.5, 1234565.0, 12345.65, 1e-4, 1e-5, 0.0001234565, 1e16, 0.1, 0.3, 1 / 3,
    5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e-300, 9.999999999e22, 1e23,
]  # fmt: skip


def _pandas(frame: pd.DataFrame, digits: int) -> str:
    return frame.to_csv(sep="\t", index=False, float_format=f"%.{digits}g")


def _numbers(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.choice([-1.0, 1.0], n) * np.exp(rng.uniform(np.log(1e-323), np.log(1e307), n))
    values[: len(HARD)] = HARD
    return values


@pytest.mark.parametrize("digits", [1, 4, 6, 8, 10])
def test_floats_over_the_whole_range_are_pandas_own_text(digits):
    frame = pd.DataFrame({"x": _numbers(200_000, digits), "y": _numbers(200_000, digits + 1)[::-1]})
    assert tsv_text(frame, digits) == _pandas(frame, digits)


def test_a_mixed_table_like_senox_writes():
    rng = np.random.default_rng(0)
    n = 50_000
    frame = pd.DataFrame(
        {
            "strategy": rng.choice(["chemo", "chemo+senolytic", "ünïcode"], n),
            "patient": rng.integers(-(10**12), 10**12, n),
            "time_days": np.arange(n) * 7.0,
            "burden": rng.lognormal(0.0, 3.0, n),
            "relapse": np.where(rng.random(n) < 0.3, np.nan, rng.uniform(0, 365, n)),
            "flag": rng.random(n) < 0.5,
            "small": rng.integers(0, 9, n).astype(np.uint8),
            "arm": pd.Categorical(rng.choice(["control", "KRAS"], n)),
            "label": pd.array(rng.choice(["a", "b"], n), dtype="string"),
        }
    )
    assert tsv_text(frame) == _pandas(frame, 6)
    assert tsv_text(frame.iloc[:0]) == _pandas(frame.iloc[:0], 6)  # header only
    long_names = frame.assign(strategy=frame["strategy"] + "x" * 300)  # wide slots: small chunks
    assert tsv_text(long_names) == _pandas(long_names, 6)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"a": ["x\ty", "z"], "b": [1.5, 2.5]}),  # a tab: pandas quotes it
        pd.DataFrame({"a": ['say "hi"', "z"], "b": [1.5, 2.5]}),
        pd.DataFrame({"a": ["x", None], "b": [1.5, 2.5]}),  # not all text
        pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": [1.5, 2.5]}),
        pd.DataFrame({"a\tb": [1.5]}),
        pd.DataFrame(index=range(3)),
        pd.DataFrame({"a": np.array([np.iinfo(np.int64).min, 0])}),
        pd.DataFrame({"a": np.array([2**64 - 1, 0], dtype=np.uint64)}),
        pd.DataFrame([[1.5, 2.5]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])),
    ],
    ids=[
        "tab",
        "quote",
        "none",
        "nullable",
        "name",
        "no-columns",
        "int64-min",
        "uint64-max",
        "multiindex",
    ],
)
def test_what_it_does_not_format_is_left_to_pandas(frame):
    assert tsv_text(frame, 6) == _pandas(frame, 6)


def test_digits_out_of_range_are_refused():
    with pytest.raises(ValueError, match="digits"):
        tsv_text(pd.DataFrame({"x": [1.0]}), 12)
