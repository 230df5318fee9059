"""Input caps: how much of an input formfit will hold before it refuses, and how to raise them.

Each cap stops a hostile or broken file (a gzip bomb, a 50 MB cell, a sheet padded to 16,384
columns) before memory is spent, with a message naming the cap and the two ways to raise it:
the flag ``--max-input-mb`` (for the input size) and ``limits:`` in the config file::

    limits: {max_input_mb: 8192, max_cell_mb: 64, max_columns: 5000}

formfit.io's readers take the caps of the run in progress from :func:`current`; ``load_inputs`` sets
them with :func:`using` from ``Settings.limits``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from formfit.errors import UsageError

#: the input-size cap when neither the flag, the config nor FORMFIT_MAX_INPUT_MB sets one:
#: reading a CSV takes about six times its size in memory, so 512 MB (some 7 million leads)
#: keeps a run within 4 GB, and a gzip bomb is stopped long before that
DEFAULT_INPUT_MB = 512


def _env_input_mb() -> int:
    """FORMFIT_MAX_INPUT_MB, kept working from before --max-input-mb existed."""
    raw = os.environ.get("FORMFIT_MAX_INPUT_MB", "").strip()
    if raw.isdigit() and int(raw) > 0:
        return positive(raw, "FORMFIT_MAX_INPUT_MB", MOST["max_input_mb"])
    return DEFAULT_INPUT_MB


@dataclass(frozen=True)
class Limits:
    """The caps of one run. Every value is a positive whole number."""

    # bytes formfit's own readers hold for one input (after gzip inflates), in MB
    max_input_mb: int = field(default_factory=_env_input_mb)
    # one cell (a CSV field, a JSON value, an XLSX cell), in MB
    max_cell_mb: int = 16
    # columns in one input's header (exports have tens)
    max_columns: int = 1000
    # rows of an XLSX sheet, as its dimension declares them
    max_xlsx_rows: int = 2_000_000
    # distinct form ids analysed without a forms file (forms and A/B variants: a handful)
    max_forms: int = 1000
    # a workbook's XML once unzipped, in MB: openpyxl parses about 10 MB of it a second, so a
    # bigger sheet (or a zip bomb) would take minutes; CSV reads far faster
    max_xlsx_xml_mb: int = 512


KEYS: tuple[str, ...] = tuple(f.name for f in fields(Limits))
#: the largest value each cap takes. Past these a cap no longer guards anything, and the
#: value overflows where it is used: the input cap sizes a read buffer (an index-sized
#: integer), and a CSV block must hold two capped cells in pyarrow's int32 block_size
#: ((2 * 1000 + 1) MB < 2 GiB)
MOST: dict[str, int] = {"max_input_mb": 1_000_000, "max_cell_mb": 1000,
                        "max_columns": 1_000_000, "max_xlsx_rows": 1_000_000_000,
                        "max_forms": 1_000_000, "max_xlsx_xml_mb": 1_000_000}
_current: ContextVar[Limits | None] = ContextVar("formfit_limits", default=None)


def current() -> Limits:
    """The caps of the run in progress (defaults, with FORMFIT_MAX_INPUT_MB, outside a run)."""
    return _current.get() or Limits()


@contextmanager
def using(limits: Limits | None) -> Iterator[None]:
    """Run a block with these caps (None: the defaults)."""
    token = _current.set(limits)
    try:
        yield
    finally:
        _current.reset(token)


def how_to_raise(key: str, value: int, needed: int = 0) -> str:
    """The sentence that says how to raise one cap (to at least ``needed``), for the hint of
    the error it causes."""
    bigger = max(value * 2, value + 1, needed + 1)
    flag = f"--max-input-mb {bigger} or " if key == "max_input_mb" else ""
    return (f"If the file is right, raise the cap with "
            f"{flag}`limits: {{{key}: {bigger}}}` in the config file.")


def parse_limits(value: Any, where: str, base: Limits | None = None) -> Limits:
    """``limits:`` from a config file (a mapping of cap name -> positive whole number)."""
    if value is None:
        return base or Limits()
    if not isinstance(value, Mapping):
        raise UsageError(f"{where}: `limits` must be a mapping, not {type(value).__name__}.",
                         "Write it as `limits: {max_input_mb: 8192}`.")
    updates: dict[str, int] = {}
    for key, v in value.items():
        if str(key) not in KEYS:
            raise UsageError(f"{where}: `limits` has an unknown key {str(key)[:40]!r}.",
                             f"Known keys: {', '.join(KEYS)}.")
        updates[str(key)] = positive(v, f"{where}: limits.{key}", MOST[str(key)])
    return with_caps(base, **updates)


def with_caps(base: Limits | None, **caps: int) -> Limits:
    """``base`` (None: the defaults) with these caps set. A cap given here is not read from
    the environment: a bad FORMFIT_MAX_INPUT_MB does not stop a run whose flag or config
    sets the input cap."""
    return replace(base, **caps) if base is not None else Limits(**caps)


def positive(value: Any, what: str, most: int | None = None) -> int:
    """A positive whole number (at most ``most``), or a UsageError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) \
            or not str(value).strip().isdigit() or int(str(value).strip()) <= 0:
        raise UsageError(f"{what} is {str(value)[:40]!r}, not a positive whole number.",
                         f"Write it as a whole number above 0, e.g. {what.split(':')[-1].strip()}"
                         " 8192.")
    number = int(str(value).strip())
    if most is not None and number > most:
        shown = str(number) if len(str(number)) <= 40 else f"{str(number)[:20]}... " \
            f"({len(str(number))} digits)"
        raise UsageError(f"{what} is {shown}, more than the largest value formfit accepts "
                         f"({most:,}).",
                         f"Give a whole number from 1 to {most:,}; a higher cap would guard "
                         "nothing (no input that large fits in memory).")
    return number


def not_a_file(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file to read whole ('a pipe (FIFO)', 'a
    device', 'a socket'), else None. A link to /dev/zero never ends and a FIFO blocks forever,
    so a settings or evidence file is checked before it is read."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # the caller's own read says what is wrong
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return ("a pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device")


def too_large(path: Path) -> int | None:
    """The size in MB of a settings or evidence file past the input cap, else None."""
    try:
        size = path.stat().st_size
    except OSError:
        return None
    cap = current().max_input_mb
    return size >> 20 if size > cap << 20 else None


def refuse_special(path: Path, role: str, error: type[Exception]) -> None:
    """Raise ``error`` (a FormfitError class) for a forms, config or evidence file that is a
    device or a FIFO, or larger than the input cap, before it is read."""
    kind = not_a_file(path)
    if kind is not None:
        raise error(f"{role} file {path} is {kind}, not a regular file.",
                    "Save it to a file first and give its path.")
    size = too_large(path)
    if size is not None:
        cap = current().max_input_mb
        raise error(f"{role} file {path.name} is {size:,} MB, more than the input-size cap "
                    f"(max_input_mb: {cap:,}); a {role} file is a few KB.",
                    "Check that it is the file you meant. " + how_to_raise("max_input_mb", cap,
                                                                            size))
