from __future__ import annotations

import pytest

from senox._errors import OutputExistsError
from senox.io import atomic_dir, atomic_write_text


def test_atomic_write_text_refuses_to_overwrite_without_force(tmp_path):
    target = tmp_path / "out.tsv"
    atomic_write_text(target, "first\n")
    with pytest.raises(OutputExistsError, match="--force"):
        atomic_write_text(target, "second\n")
    assert target.read_text() == "first\n"
    atomic_write_text(target, "second\n", force=True)
    assert target.read_text() == "second\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.tsv"]


def _export_half_then_fail(target):
    with atomic_dir(target) as tmp:
        (tmp / "half.tsv").write_text("partial")
        raise RuntimeError


def test_atomic_dir_leaves_nothing_when_the_body_fails(tmp_path):
    with pytest.raises(RuntimeError):
        _export_half_then_fail(tmp_path / "export")
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_replaces_only_when_forced(tmp_path):
    target = tmp_path / "export"
    with atomic_dir(target) as tmp:
        (tmp / "a.tsv").write_text("a")
    with pytest.raises(OutputExistsError), atomic_dir(target):
        pass
    with atomic_dir(target, force=True) as tmp:
        (tmp / "b.tsv").write_text("b")
    assert sorted(p.name for p in target.iterdir()) == ["b.tsv"]
