"""Property-based tests of the output policy: whatever the path and whatever is already there,
senox either writes its outputs whole or refuses with a SenoxError, and never changes or
deletes a file it did not write."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from senox._errors import SenoxError
from senox.io import MANIFEST, output_folder, write_text_outputs

#: Path parts a user might type, the awkward ones included.
_PART = st.one_of(
    st.sampled_from([".", "..", "out", "report", "data.csv", "sub", " ", "-x", "é", ".hidden"]),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="/\0"),
        min_size=1,
        max_size=12,
    ),
)
_RELATIVE = st.lists(_PART, min_size=1, max_size=3).map(lambda parts: str(Path(*parts)))
#: What the user's working folder holds before senox is called: name -> file, folder or link.
_EXISTING = st.dictionaries(
    st.sampled_from(["out", "report", "data.csv", "sub", "notes.txt"]),
    st.sampled_from(["file", "folder", "folder with a file", "link"]),
    max_size=4,
)


def _lay_out(root: Path, existing: dict[str, str]) -> None:
    for name, kind in existing.items():
        path = root / name
        if kind == "file":
            path.write_text(f"user's {name}")
        elif kind == "link":
            path.symlink_to(root / "data.csv")
        else:
            path.mkdir()
            if kind == "folder with a file":
                (path / "mine.txt").write_text("user's")


def _snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root`` senox did not write, with its content."""
    entries = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            if name == MANIFEST or ".senox-" in name:
                continue
            rel = str(path.relative_to(root))
            if path.is_symlink():
                entries[rel] = f"-> {path.readlink()}"
            elif path.is_file():
                entries[rel] = path.read_text(errors="replace")
            else:
                entries[rel] = "/"
    return entries


def _call(
    root: Path, out: str, *, folder: bool, force: bool, input_: str = "data.csv"
) -> Path | None:
    """Write like a senox command would; return the output, or None when refused."""
    cwd = Path.cwd()
    os.chdir(root)
    try:
        target = Path(out)
        if folder:
            with output_folder(target, force=force, inputs=[root / input_]) as staged:
                (staged / "report.html").write_text("report")
        else:
            write_text_outputs({target: "scores"}, force=force, inputs=[root / input_])
        return (root / target).resolve()
    except SenoxError:
        return None
    finally:
        os.chdir(cwd)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(existing=_EXISTING, out=_RELATIVE, folder=st.booleans(), force=st.booleans())
# found by a local run: ``out/..`` stopped resolving once senox had moved the empty ``out`` aside,
# and the staged folder was left behind
@example(existing={}, out="out/../out", folder=True, force=False)
def test_senox_never_touches_what_it_did_not_write(existing, out, folder, force):
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        _lay_out(work, existing)
        before = _snapshot(Path(tmp))
        written = _call(work, out, folder=folder, force=force)
        after = _snapshot(Path(tmp))
        if written is None:
            assert after == before
            return
        new = {k: v for k, v in after.items() if k not in before}
        assert {k: after[k] for k in before} == before  # nothing of the user's changed
        expected = "report" if folder else "scores"
        assert (written / "report.html" if folder else written).read_text() == expected
        assert all(v in {"/", expected} for v in new.values())
        assert not [p for p in Path(tmp).rglob("*.tmp")]  # no staging left behind


@settings(max_examples=40, deadline=None)
@given(out=_RELATIVE, folder=st.booleans())
def test_a_second_forced_write_replaces_the_first(out, folder):
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        (work / "input.csv").write_text("data")
        first = _call(work, out, folder=folder, force=False, input_="input.csv")
        if first is None:
            return
        assert _call(work, out, folder=folder, force=False, input_="input.csv") is None
        assert _call(work, out, folder=folder, force=True, input_="input.csv") == first
