"""The exception hierarchy of senox.

Every error a user can cause is a :class:`SenoxError` whose message is one line naming the
file or field at fault, the problem, and the fix. The command line turns it into that line and
exit code 2, never a traceback.
"""

from __future__ import annotations


class SenoxError(Exception):
    """A problem with the user's input or request, explained in one line."""


class EvidenceQueryError(SenoxError):
    """A query of the evidence base names something it does not know."""


class EvidenceDataError(SenoxError):
    """Evidence data (curated or user-supplied) breaks the schema or vocabularies."""


class OutputExistsError(SenoxError):
    """An output path exists and overwriting was not asked for."""


class InputError(SenoxError):
    """An input file is missing, unreadable or holds data senox cannot use."""
