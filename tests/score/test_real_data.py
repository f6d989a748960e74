"""The senescence program on the real labelled data in ../shared (skipped where it is absent)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED

pytestmark = pytest.mark.needs_shared


@pytest.fixture(scope="module")
def validation():
    """The validation script's loaders, so the test checks what docs/validation.md reports."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "validation"))
    return importlib.import_module("score_real_data")


@pytest.mark.parametrize("method", ["rank", "mean"])
def test_senescence_separates_replicative_senescence_in_bulk(validation, method):
    from senox.score import score_programs

    adata, senescent = validation.marthandan(SHARED)
    score_programs(adata, ["senescence"], method=method)
    assert validation.auroc(adata.obs["senox_senescence"].to_numpy(), senescent) > 0.9
