"""The output policy: senox replaces only what it wrote itself, and writes all or nothing.

Every command that writes goes through this module:

- A file or folder senox writes is recorded in a manifest, ``.senox-manifest.json``, in the
  folder that holds it (name, size and modification time of each file). ``--force`` replaces
  an existing output only when the manifest says senox wrote it and it has not changed since.
  Anything else (a user's file, a folder holding files senox did not write, a link) is refused,
  with or without ``--force``.
- An output may never be the current folder or one of its parents, an input, or a folder
  holding an input.
- All outputs of one call are staged under hidden names (``.NAME.senox-PID-XXXX.tmp``) beside
  their final names, then renamed into place together. If anything fails before that, nothing
  is left behind; staging names of killed runs (their process gone) are removed on the next run
  that writes beside them.
- Errors while writing (a full disk, a read-only folder) are one-line errors (:class:`OutputError`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from senox._errors import OutputExistsError, SenoxError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

#: The file, in each folder senox writes into, that lists what senox wrote there.
MANIFEST = ".senox-manifest.json"

_STAGING = re.compile(r"^\.(?P<name>.+)\.senox-(?P<pid>\d+)-[^.]+\.tmp$")
_REFUSE_FIX = "choose a new path (senox only replaces outputs it wrote itself)"

Kind = Literal["file", "folder"]


class OutputError(SenoxError):
    """An output cannot be written where the user asked, or writing it failed."""


# ----------------------------------------------------------------------------- manifests


def _stat_record(path: Path) -> dict[str, int]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _read_manifest(folder: Path) -> dict[str, dict[str, int]]:
    try:
        record = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = record["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return files if isinstance(files, dict) else {}


def _write_manifest(folder: Path, files: dict[str, dict[str, int]]) -> None:
    from senox import __version__

    text = json.dumps({"written_by": f"senox {__version__}", "files": files}, indent=1) + "\n"
    tmp = folder / f"{_stage_name(folder / MANIFEST)}manifest.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(folder / MANIFEST)


def _written_by_senox(path: Path, manifest: dict[str, dict[str, int]]) -> bool:
    """Whether ``path`` is a plain file the manifest lists, unchanged since senox wrote it."""
    if path.is_symlink() or not path.is_file():
        return False
    return manifest.get(path.name) == _stat_record(path)


def _foreign_entries(folder: Path) -> list[str]:
    """Entries of ``folder`` that senox did not write (its manifest aside)."""
    manifest = _read_manifest(folder)
    return sorted(
        entry.name + ("/" if entry.is_dir() else "")
        for entry in folder.iterdir()
        if entry.name != MANIFEST and not _written_by_senox(entry, manifest)
    )


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` while its manifest is read and rewritten."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, the manifest is still replaced atomically
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- checks


def _describe(entries: list[str]) -> str:
    shown = ", ".join(entries[:3])
    return shown + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop: RuntimeError before Python 3.13
        msg = (
            f"{path}: cannot be resolved (a symbolic link loop?); fix the link or name another path"
        )
        raise OutputError(msg) from None


def _refuse_places(path: Path, inputs: Iterable[Path | str | None]) -> None:
    """Refuse the current folder and its parents, links, inputs and folders holding an input."""
    if path.is_symlink():
        msg = f"{path}: is a symbolic link; senox does not write through links: {_REFUSE_FIX}"
        raise OutputError(msg)
    resolved = _resolved(path)
    if Path.cwd().resolve().is_relative_to(resolved):
        msg = f"{path}: is the current folder or holds it; name a new folder for the outputs"
        raise OutputError(msg)
    if path.name == MANIFEST or _STAGING.match(path.name):
        msg = f"{path}: this name is senox's own bookkeeping; {_REFUSE_FIX}"
        raise OutputError(msg)
    for item in inputs:
        if item is None or not os.path.lexists(item):
            continue
        source = _resolved(Path(item))
        if source == resolved:
            msg = f"{path}: is the input {item}; writing there would destroy it: {_REFUSE_FIX}"
            raise OutputError(msg)
        if source.is_relative_to(resolved):
            msg = f"{path}: holds the input {item}; writing there could destroy it: {_REFUSE_FIX}"
            raise OutputError(msg)


def _refuse_existing(path: Path, kind: Kind, *, force: bool) -> None:
    """Refuse an existing output unless senox wrote it and ``force`` is given."""
    if not path.exists():
        return
    if kind == "folder":
        if not path.is_dir():
            msg = f"{path}: exists and is not a folder; {_REFUSE_FIX}"
            raise OutputError(msg)
        foreign = _foreign_entries(path)
        if foreign:
            msg = (
                f"{path}: holds files senox did not write ({_describe(foreign)}); "
                f"name a new folder (senox never deletes what it did not write)"
            )
            raise OutputError(msg)
        if not any(path.iterdir()):
            return
    elif not _written_by_senox(path, _read_manifest(path.parent)):
        what = "a folder" if path.is_dir() else "a file senox did not write (or one changed since)"
        msg = f"{path}: exists and is {what}; {_REFUSE_FIX}"
        raise OutputError(msg)
    if not force:
        msg = f"{path}: already exists (written by senox); pass --force to replace it"
        raise OutputExistsError(msg)


def check_outputs(
    paths: Sequence[Path | None],
    *,
    kind: Kind = "file",
    force: bool = False,
    inputs: Iterable[Path | str | None] = (),
) -> None:
    """Refuse, before any work, outputs that senox may not write.

    Parameters
    ----------
    paths
        The outputs of one call (``None`` entries are skipped).
    kind
        ``"file"`` or ``"folder"``.
    force
        Replace outputs that senox wrote itself.
    inputs
        The call's input files and folders: never written, nor any folder holding one.

    Raises
    ------
    OutputExistsError
        An output senox wrote exists and ``force`` is false.
    OutputError
        The output is the current folder or a parent of it, an input or a folder holding one,
        a link, a user's file, or a folder holding files senox did not write.
    """
    inputs = list(inputs)
    for given in paths:
        if given is not None:
            path = lexical(given)
            _refuse_places(path, inputs)
            _refuse_existing(path, kind, force=force)
            _probe_writable(path)


def lexical(path: Path | str) -> Path:
    """``path`` with ``.`` and ``..`` collapsed as a shell's ``cd`` does (``out/../out`` → ``out``).

    Staging and renaming go through the parent folder: a ``..`` after a folder senox creates
    or moves aside would point elsewhere half-way through a write.
    """
    return Path(os.path.normpath(path))


def _probe_writable(path: Path) -> None:
    """Fail now, not after the work, if the folder that will hold ``path`` cannot be written."""
    folder = next(p for p in path.absolute().parents if p.exists())
    try:
        fd, probe = tempfile.mkstemp(prefix=_stage_name(path), suffix=".tmp", dir=folder)
        os.close(fd)
        Path(probe).unlink()
    except OSError as exc:
        raise _cannot_write(path, exc) from None


# ----------------------------------------------------------------------------- staging


def _owner_gone(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def remove_stale_staging(folder: Path) -> list[Path]:
    """Remove staging files and folders that killed senox runs left in ``folder``."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            match = _STAGING.match(entry.name)
            if match and _owner_gone(int(match["pid"])) and not entry.is_symlink():
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed.append(entry)
    return removed


def _make_parent(path: Path) -> list[Path]:
    """Create the folders above ``path`` that are missing; return those created (deepest last)."""
    created = []
    for parent in reversed(path.absolute().parents):
        if not parent.exists():
            parent.mkdir()
            created.append(parent)
    return created


def _remove_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _stage_name(path: Path) -> str:
    return f".{path.name}.senox-{os.getpid()}-"


def _usual_mode(path: Path, base: int) -> None:
    """Give a staged file or folder the permissions a plain ``open``/``mkdir`` would."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(base & ~umask)


def _cannot_write(path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or type(exc).__name__
    msg = (
        f"{path}: could not write ({reason}); free space, fix the permissions "
        "or choose another path"
    )
    return OutputError(msg)


def _stage(path: Path, kind: Kind) -> Path:
    if kind == "folder":
        staged = Path(tempfile.mkdtemp(prefix=_stage_name(path), suffix=".tmp", dir=path.parent))
        _usual_mode(staged, 0o777)
        return staged
    fd, name = tempfile.mkstemp(prefix=_stage_name(path), suffix=".tmp", dir=path.parent)
    os.close(fd)
    _usual_mode(Path(name), 0o666)
    return Path(name)


def _discard(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _retire(path: Path) -> Path | None:
    """Move a replaceable old output aside; it is deleted once the new one is in place."""
    if not path.exists():
        return None
    aside = path.with_name(f"{_stage_name(path)}old.tmp")
    path.rename(aside)
    return aside


def _delete_retired(aside: Path, kind: Kind) -> None:
    """Delete an old output: for a folder, only the files its manifest lists, then the folder."""
    if kind == "file":
        aside.unlink(missing_ok=True)
        return
    for name in [*_read_manifest(aside), MANIFEST]:
        (aside / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        aside.rmdir()


def _commit(finals: list[Path], staged: list[Path], kind: Kind, *, force: bool) -> None:
    """Move every staged output into place, or restore the old ones if any move fails."""
    moved: list[tuple[Path, Path | None]] = []
    try:
        for final in finals:
            _refuse_existing(final, kind, force=force)
        for final, stage in zip(finals, staged, strict=True):
            aside = _retire(final)
            moved.append((final, aside))
            stage.rename(final)
    except BaseException:
        for final, aside in reversed(moved):
            if aside is not None:
                if final.exists():
                    _discard(final)
                aside.rename(final)
        raise
    for _final, aside in moved:
        if aside is not None:
            _delete_retired(aside, kind)


def _record(finals: list[Path]) -> None:
    """List written files in their folder's manifest (a folder output carries its own)."""
    for final in finals:
        folder = final.parent
        with _locked(folder):
            files = _read_manifest(folder)
            files[final.name] = _stat_record(final)
            _write_manifest(folder, files)


@contextmanager
def write_outputs(
    paths: Sequence[Path],
    *,
    kind: Kind = "file",
    force: bool = False,
    inputs: Iterable[Path | str | None] = (),
) -> Iterator[list[Path]]:
    """Stage the outputs of one call; on success they replace their final names together.

    Yields one staging path per output (an empty file, or an empty folder for
    ``kind="folder"``) for the body to fill. If the body raises, every staging path is removed
    and no output changes. Then all staged outputs are renamed into place; each final folder's
    manifest records them, and a staged folder gets a manifest of its own files.

    Raises
    ------
    OutputError, OutputExistsError
        As :func:`check_outputs`, checked again here, and when writing fails (full disk,
        no permission): nothing is left behind.
    """
    finals = [lexical(p) for p in paths]
    check_outputs(finals, kind=kind, force=force, inputs=inputs)
    created: list[Path] = []
    staged: list[Path] = []
    try:
        for final in finals:
            created += _make_parent(final)
            remove_stale_staging(final.parent)
            staged.append(_stage(final, kind))
        yield staged
        if kind == "folder":
            for stage in staged:
                _write_manifest(stage, {p.name: _stat_record(p) for p in stage.iterdir()})
        _commit(finals, staged, kind, force=force)
        if kind == "file":
            _record(finals)
    except OSError as exc:
        _clean_up(staged, created)
        raise _cannot_write(_final_of(exc.filename, finals, staged), exc) from None
    except BaseException:
        _clean_up(staged, created)
        raise


def _final_of(filename: object, finals: list[Path], staged: list[Path]) -> Path:
    """The output a failed write belongs to, named by its final path rather than its stage."""
    failed = Path(os.fsdecode(filename)) if isinstance(filename, str | bytes) else None
    for final, stage in zip(finals, staged, strict=False):
        if failed is not None and (failed == stage or failed.is_relative_to(stage)):
            return final
    return failed if failed is not None and failed.name != "" else finals[0]


def _clean_up(staged: list[Path], created: list[Path]) -> None:
    for stage in staged:
        _discard(stage)
    _remove_empty(created)


@contextmanager
def output_folder(
    path: Path, *, force: bool = False, inputs: Iterable[Path | str | None] = ()
) -> Iterator[Path]:
    """Yield a staging folder that becomes ``path`` (with its manifest) when the body succeeds."""
    with write_outputs([path], kind="folder", force=force, inputs=inputs) as (staged,):
        yield staged


def write_text_outputs(
    texts: dict[Path, str], *, force: bool = False, inputs: Iterable[Path | str | None] = ()
) -> list[Path]:
    """Write several text files (UTF-8) together: all of them appear, or none."""
    finals = list(texts)
    with write_outputs(finals, force=force, inputs=inputs) as staged:
        for final, stage in zip(finals, staged, strict=True):
            stage.write_text(texts[final], encoding="utf-8", newline="")
    return finals


def atomic_write_text(
    path: Path, text: str, *, force: bool = False, inputs: Iterable[Path | str | None] = ()
) -> Path:
    """Write one text file (UTF-8) under the output policy; see :func:`write_outputs`."""
    (written,) = write_text_outputs({Path(path): text}, force=force, inputs=inputs)
    return written
