"""Shared fixtures: a private user database for every test, the path of ../shared, and the
hypothesis profile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

#: The shared folder beside the repository (seed review, real data); absent on a bare clone.
SHARED = Path(os.environ.get("SENOX_SHARED", Path(__file__).resolve().parents[2] / "shared"))
SEED = SHARED / "seed" / "000_923e3db2d7f368f8.txt"

# Property-based tests explore new examples on each local run; in CI (CI=true) they replay a
# fixed sequence, so a landing never hinges on a lucky draw. A failure found locally is a bug.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip tests marked ``needs_shared`` where ../shared is not there, saying why."""
    if SEED.exists():
        return
    skip = pytest.mark.skip(reason=f"{SHARED} not found (set SENOX_SHARED to the shared folder)")
    for item in items:
        if "needs_shared" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def user_db(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the user database at a fresh temporary file, so no test touches the real one."""
    path = tmp_path_factory.mktemp("userdb") / "user_kb.sqlite"
    monkeypatch.setenv("SENOX_USER_DB", str(path))
    return path
