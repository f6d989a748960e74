"""The order in which the groups of an ``obs`` column are shown, in one place."""

from __future__ import annotations

import pandas as pd


def group_order(values: pd.Series) -> list[str]:
    """The groups of ``values`` as text, in the order a reader expects them.

    A categorical column keeps its categories' order (those present); a numeric one is sorted
    by value (population doublings 16, 26, 74, not 16, 74, 26 as first met; nor 100 before 16
    as text would sort); any other keeps the order of first appearance. Missing values are left
    out.
    """
    present = values.dropna()
    if isinstance(present.dtype, pd.CategoricalDtype):
        found = set(present.astype(str))
        return [str(c) for c in present.cat.categories if str(c) in found]
    if pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present):
        return [str(v) for v in pd.unique(present.sort_values(kind="stable"))]
    return [str(v) for v in pd.unique(present.astype(str))]
