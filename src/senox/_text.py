"""Reading a user's text file (a model, a strategy, an SBML file) as UTF-8, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from senox._errors import InputError

if TYPE_CHECKING:
    from pathlib import Path


def read_utf8(path: Path, what: str, *, fix: str) -> str:
    """The text of ``path``; a missing, unreadable or non-UTF-8 file is a one-line InputError.

    ``what`` names the kind of file in the messages; ``fix`` ends the message of a file that is
    not UTF-8 text.
    """
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        msg = f"{path}: no such {what} file"
    except OSError as exc:
        msg = f"{path}: cannot read the {what} file ({exc.strerror or exc})"
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        msg = f"{path}: not UTF-8 text (byte 0x{byte:02x} at offset {exc.start}); {fix}"
    raise InputError(msg)
