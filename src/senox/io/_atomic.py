"""Atomic output: a result appears whole under its final name, or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from senox._errors import OutputExistsError

if TYPE_CHECKING:
    from collections.abc import Iterator


def _refuse_existing(path: Path, *, force: bool) -> None:
    if path.exists() and not force:
        msg = f"{path}: already exists; choose another path or pass --force to overwrite it"
        raise OutputExistsError(msg)


def _usual_mode(path: Path, base: int) -> None:
    """Give a temporary file or folder the permissions a plain ``open``/``mkdir`` would."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(base & ~umask)


def atomic_write_text(path: Path, text: str, *, force: bool = False) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename.

    Raises :class:`~senox._errors.OutputExistsError` if ``path`` exists and ``force`` is false.
    """
    path = Path(path)
    _refuse_existing(path, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _usual_mode(Path(tmp), 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@contextmanager
def atomic_dir(path: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path`` whole.

    If the body raises, the temporary folder is removed and ``path`` is left untouched.
    """
    path = Path(path)
    _refuse_existing(path, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    _usual_mode(tmp, 0o777)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if path.exists():
        shutil.rmtree(path)
    tmp.rename(path)
