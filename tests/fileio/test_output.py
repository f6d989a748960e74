"""The output policy: senox replaces only what it wrote, refuses inputs and the current folder,
and writes all outputs of a call or none."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from senox._errors import OutputExistsError
from senox.io import (
    MANIFEST,
    OutputError,
    atomic_write_text,
    check_outputs,
    output_folder,
    write_outputs,
    write_text_outputs,
)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_file_senox_wrote_is_replaced_only_with_force(tmp_path):
    target = tmp_path / "out.tsv"
    atomic_write_text(target, "first\n")
    with pytest.raises(OutputExistsError, match="--force"):
        atomic_write_text(target, "second\n")
    assert target.read_text() == "first\n"
    atomic_write_text(target, "second\n", force=True)
    assert target.read_text() == "second\n"
    assert _names(tmp_path) == [MANIFEST, "out.tsv"]


def test_a_users_file_is_never_replaced_even_with_force(tmp_path):
    target = tmp_path / "data.csv"
    target.write_text("precious\n")
    with pytest.raises(OutputError, match="did not write"):
        atomic_write_text(target, "scores\n", force=True)
    assert target.read_text() == "precious\n"
    assert _names(tmp_path) == ["data.csv"]


def test_a_file_changed_after_senox_wrote_it_is_the_users(tmp_path):
    target = tmp_path / "out.tsv"
    atomic_write_text(target, "first\n")
    target.write_text("edited by hand, now longer\n")
    with pytest.raises(OutputError, match="changed since"):
        atomic_write_text(target, "second\n", force=True)
    assert target.read_text() == "edited by hand, now longer\n"


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_the_input_and_folders_holding_it_are_refused(tmp_path, kind):
    data = tmp_path / "my10x"
    data.mkdir()
    (data / "matrix.mtx").write_text("%%MatrixMarket\n")
    with pytest.raises(OutputError, match="my10x: is the input"):
        check_outputs([data], kind=kind, force=True, inputs=[data])
    with pytest.raises(OutputError, match="holds the input"):
        check_outputs([tmp_path], kind=kind, force=True, inputs=[data])
    with pytest.raises(OutputError, match=r"matrix\.mtx: exists and is"):
        check_outputs([data / "matrix.mtx"], kind=kind, force=True, inputs=[data])
    assert (data / "matrix.mtx").read_text() == "%%MatrixMarket\n"


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_the_current_folder_and_its_parents_are_refused(tmp_path, monkeypatch, kind):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for out in [Path(), Path(".."), work]:
        with pytest.raises(OutputError, match="is the current folder or holds it"):
            check_outputs([out], kind=kind, force=True)


def test_a_folder_holding_files_senox_did_not_write_is_refused_with_force(tmp_path):
    out = tmp_path / "report"
    with output_folder(out) as staged:
        (staged / "report.html").write_text("<html>")
    (out / "thesis.txt").write_text("four years of work")
    (out / "sub").mkdir()
    with pytest.raises(OutputError, match=r"did not write \(sub/, thesis.txt\)"):
        check_outputs([out], kind="folder", force=True)
    assert (out / "thesis.txt").read_text() == "four years of work"
    assert (out / "report.html").exists()


def test_a_folder_senox_wrote_is_replaced_whole_with_force(tmp_path):
    out = tmp_path / "report"
    with output_folder(out) as staged:
        (staged / "a.tsv").write_text("a")
    with pytest.raises(OutputExistsError), output_folder(out):
        pass
    with output_folder(out, force=True) as staged:
        (staged / "b.tsv").write_text("b")
    assert _names(out) == [MANIFEST, "b.tsv"]
    assert _names(tmp_path) == ["report"]


def test_an_empty_folder_is_used_without_force(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    with output_folder(out) as staged:
        (staged / "a.tsv").write_text("a")
    assert _names(out) == [MANIFEST, "a.tsv"]


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_links_and_things_of_the_other_kind_are_refused(tmp_path, kind):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(OutputError, match="symbolic link"):
        check_outputs([link], kind=kind, force=True)
    other = tmp_path / ("a_folder" if kind == "file" else "a_file")
    if kind == "file":
        other.mkdir()
    else:
        other.write_text("x")
    with pytest.raises(OutputError, match="exists and is"):
        check_outputs([other], kind=kind, force=True)


def _fill_then_fail(target: Path) -> None:
    with output_folder(target) as staged:
        (staged / "half.tsv").write_text("partial")
        raise RuntimeError


def test_a_failing_body_leaves_nothing_behind(tmp_path):
    with pytest.raises(RuntimeError):
        _fill_then_fail(tmp_path / "new" / "export")
    assert _names(tmp_path) == []


def test_all_outputs_of_a_call_appear_together_or_not_at_all(tmp_path):
    tsv, h5ad = tmp_path / "s.tsv", tmp_path / "s.h5ad"
    full = r"s\.h5ad: could not write \(No space left on device\)"
    with pytest.raises(OutputError, match=full), write_outputs([tsv, h5ad]) as staged:  # noqa: PT012
        staged[0].write_text("obs\tscore\n")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(staged[1]))
    assert _names(tmp_path) == []


def test_old_outputs_come_back_when_a_later_rename_fails(tmp_path, monkeypatch):
    first, second = tmp_path / "a.tsv", tmp_path / "b.tsv"
    write_text_outputs({first: "old a", second: "old b"})
    real_rename = Path.rename

    def fail_on_b(self: Path, target: Path) -> Path:
        if Path(target) == second and "old" not in self.name:
            raise OSError(errno.EIO, "Input/output error", str(target))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", fail_on_b)
    with pytest.raises(OutputError, match="could not write"):
        write_text_outputs({first: "new a", second: "new b"}, force=True)
    assert first.read_text() == "old a"
    assert second.read_text() == "old b"
    assert _names(tmp_path) == [MANIFEST, "a.tsv", "b.tsv"]


def test_the_manifest_keeps_every_file_of_concurrent_writers(tmp_path):
    code = (
        "import sys; from pathlib import Path; from senox.io import atomic_write_text\n"
        "for i in range(15): atomic_write_text(Path(sys.argv[1]) / f'{sys.argv[2]}{i}.tsv', 'x')"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), tag]) for tag in "abcd"]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    for name in [f"{tag}{i}.tsv" for tag in "abcd" for i in range(15)]:
        atomic_write_text(tmp_path / name, "y", force=True)  # refused if the manifest lost it


def test_staging_left_by_a_killed_run_is_removed_on_the_next_run(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    stale = tmp_path / f".report.senox-{dead}-abc123.tmp"
    stale.mkdir()
    (stale / "report.html").write_text("partial")
    mine = tmp_path / f".report.senox-{os.getpid()}-xyz.tmp"
    mine.mkdir()
    with output_folder(tmp_path / "report") as staged:
        (staged / "report.html").write_text("whole")
    assert not stale.exists()
    assert mine.exists()  # a live process's staging is left alone


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_fails_before_any_work(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="could not write"):
            check_outputs([locked / "out.tsv"])
    finally:
        locked.chmod(0o755)


def test_a_folder_that_cannot_be_written_fails_before_any_work(tmp_path, monkeypatch):
    import tempfile

    def no_space(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tempfile, "mkstemp", no_space)
    with pytest.raises(OutputError, match=r"out\.tsv: could not write \(No space left"):
        check_outputs([tmp_path / "out.tsv"])


def test_senox_bookkeeping_names_are_refused(tmp_path):
    for name in [MANIFEST, ".report.senox-1-abc.tmp"]:
        with pytest.raises(OutputError, match=r"is senox's own bookkeeping"):
            check_outputs([tmp_path / name])
