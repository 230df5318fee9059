"""Errors that teach: every failure a user can cause carries what went wrong and what to do.

The CLI catches :class:`FormfitError`, prints ``Error: <message>`` and ``Hint: <hint>`` to stderr
and exits with status 2. Nothing else in formfit prints or exits.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


class FormfitError(Exception):
    """A problem the user can fix: bad usage or bad input (exit status 2)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} Hint: {self.hint}" if self.hint else self.message


class InputError(FormfitError):
    """An input file cannot be used as it is (missing, unreadable, wrong columns, bad values)."""


class UsageError(FormfitError):
    """Options that do not fit together or cannot be parsed."""


def closest(name: str, candidates: Iterable[str], n: int = 1) -> list[str]:
    """The candidates that look most like ``name`` (case-insensitive), best first."""
    pool = {c.lower().strip(): c for c in candidates}
    hits = difflib.get_close_matches(name.lower().strip(), list(pool), n=n, cutoff=0.5)
    return [pool[h] for h in hits]
