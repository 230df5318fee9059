"""Errors that teach: every failure a user can cause carries what went wrong and what to do.

The CLI catches :class:`FormfitError`, prints ``Error: <message>`` and ``Hint: <hint>`` to stderr
and exits with status 2. Nothing else in formfit prints or exits.
"""

from __future__ import annotations

import difflib
import re
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


class UnknownField(FormfitError, KeyError):
    """``result["name"]`` for a field the result does not have (also a KeyError)."""


# Command-line flag -> Python parameter, for errors raised under the library API: the same
# check speaks of --map on the command line and of columns= in a notebook.
_PARAMETER = {"map": "columns", "segment": "segments", "as-of": "as_of",
              "maturity-days": "maturity_days", "date-format": "date_format"}
_MAP_FLAG = re.compile(r"""--map\s+(["'])\s*([^"'=]+?)\s*=\s*([^"']+?)\s*\1""")
_SEGMENTS = re.compile(r"--segment\s+\w[\w-]*(?:\s+--segment\s+\w[\w-]*)*")
_FLAG_VALUE = re.compile(r"--([a-z][a-z-]*)\s+(?=[A-Z0-9'\"\[{.~/])([^\s,;)]+)")
_FLAG = re.compile(r"--([a-z][a-z-]*)")


def library_words(text: str) -> str:
    """Rewrite command-line flags in a message as the library's parameters:
    ``--map "Prospect ID=lead_id"`` -> ``columns={"Prospect ID": "lead_id"}``,
    ``--maturity-days 90`` -> ``maturity_days=90``, ``--config`` -> ``config``."""
    def name(flag: str) -> str:
        return _PARAMETER.get(flag, flag.replace("-", "_"))

    text = _MAP_FLAG.sub(lambda m: f'columns={{"{m.group(2)}": "{m.group(3)}"}}', text)
    text = _SEGMENTS.sub(lambda m: "segments=[" + ", ".join(
        f'"{n}"' for n in m.group(0).split()[1::2]) + "]", text)
    text = _FLAG_VALUE.sub(lambda m: f"{name(m.group(1))}={m.group(2)}", text)
    return _FLAG.sub(lambda m: name(m.group(1)), text)


def in_library_words(exc: FormfitError) -> FormfitError:
    """A copy of ``exc`` (same class) whose message and hint name parameters, not flags."""
    new = type(exc)(library_words(exc.message), library_words(exc.hint))
    return new
