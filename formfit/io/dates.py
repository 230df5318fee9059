"""Which date format a column is written in, decided once from its distinct values.

:func:`detect_date_format` is the one place formats are told apart, so that pandas here and
the DuckDB engine (which parses dates inside the database) read every column the same way:
give it a column's distinct values, get a strptime format back, or an error that carries an
example value. Recognised:

- ISO 8601 dates and date-times, with or without ``T``, seconds, fractions, ``Z`` or an offset
  (returned as :data:`ISO`; parse with ``pandas.to_datetime(format="ISO8601")``);
- US ``M/D/YYYY`` and European ``D/M/YYYY``, ``D.M.YYYY`` or ``D-M-YYYY``, with an optional
  ``H:MM[:SS]`` and ``AM/PM`` (values with and without a time may mix: :func:`date_part`),
  when some value tells day from month (a number above 12); all-ambiguous columns raise
  :class:`AmbiguousDates`, columns that write dates two ways :class:`MixedDates`;
- ``YYYY. MM. DD`` (Salesforce reports in some locales), ``YYYYMMDD`` (GA4's event_date);
- Excel serial day numbers (:data:`EXCEL_SERIAL`) when ``excel`` is true (XLSX inputs), also
  among date cells (:data:`ISO_OR_SERIAL`: a cell formatted as a number).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

ISO = "ISO8601"
EXCEL_SERIAL = "EXCEL_SERIAL"
#: an XLSX column of date cells (read as ISO text) with some cells holding serial day numbers
ISO_OR_SERIAL = "ISO8601_OR_EXCEL_SERIAL"

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}"
                  r"([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s?(Z|[+-]\d{2}(:?\d{2})?)?)?$")
_DMY = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})"
                  r"(?:,?[ T](\d{1,2}):(\d{2})(:\d{2})?\s*([AaPp][Mm])?)?$")
_YMD_DOTS = re.compile(r"^\d{4}\. ?\d{1,2}\. ?\d{1,2}\.?$")
_COMPACT = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_SERIAL = re.compile(r"^\d{4,5}(\.\d+)?$")


class DateFormatError(ValueError):
    """A column whose values are not dates in one recognised format; ``example`` is a value
    that shows it (the caller finds its row)."""

    def __init__(self, message: str, example: str) -> None:
        super().__init__(message)
        self.example = example


class AmbiguousDates(DateFormatError):
    """Every value reads as both day/month and month/day (e.g. 03/04/2025)."""


class MixedDates(DateFormatError):
    """Every value is a date formfit knows, but not all in one way (day first and month
    first, two separators, two ways of writing the time): the message says how they differ,
    ``example`` is a value written the other way."""


def detect_date_format(values: Iterable[str], *, excel: bool = False) -> str:
    """The format of a column's distinct non-blank text ``values``: :data:`ISO`,
    :data:`EXCEL_SERIAL`, :data:`ISO_OR_SERIAL` or a strptime format such as ``%m/%d/%Y %I:%M %p``.

    Raises :class:`AmbiguousDates` when day and month cannot be told apart, and
    :class:`DateFormatError` for values that fit no single format (``example`` is the first).
    """
    vals = [str(v).strip() for v in values if v is not None and str(v).strip()]
    if not vals:
        return ISO
    if all(_ISO.match(v) for v in vals):
        return ISO
    if all(_YMD_DOTS.match(v) for v in vals):
        return _ymd_dots(vals)
    if all(_COMPACT.match(v) for v in vals):
        return "%Y%m%d"
    if excel and all(_SERIAL.match(v) and 20000 <= float(v) <= 80000 for v in vals):
        return EXCEL_SERIAL
    if excel and all(_ISO.match(v) or looks_like_serial(v) for v in vals):
        return ISO_OR_SERIAL  # a cell formatted as a number in a column of date cells
    return _day_month(vals)


def looks_like_serial(value: object) -> bool:
    """A value such as 45292 (or 45292.5): an Excel serial day number, counted from
    1899-12-30, as a spreadsheet saves a date column formatted as numbers."""
    text = str(value).strip()
    return bool(_SERIAL.match(text)) and 20000 <= float(text) <= 80000


SERIAL_NOTE = (" (it looks like an Excel serial day number: days counted from 1899-12-30, "
               "which is how Excel stores a date formatted as a number)")
XLSX_SERIAL_HINT = ("In the workbook, format the whole column as a date (Format Cells > Date, "
                    "e.g. yyyy-mm-dd), so that every cell holds a date, and save it again.")
SERIAL_HINT = ("In Excel, format the column as a date (Format Cells > Date, e.g. yyyy-mm-dd) "
               "and save the CSV again, or give formfit the .xlsx workbook itself: it reads "
               "Excel serial dates there.")


def _ymd_dots(vals: list[str]) -> str:
    """``YYYY. MM. DD`` as written: spaced or not, with the trailing dot of the Korean locale
    (``2025. 01. 13.``) or without; one way for the whole column."""
    def shape(v: str) -> tuple[bool, bool]:
        return " " in v, v.endswith(".")

    spaced, dotted = shape(vals[0])
    other = next((v for v in vals if shape(v) != (spaced, dotted)), None)
    if other is not None:
        raise MixedDates(f"dates are written in different ways ({vals[0]!r} and {other!r})",
                         other)
    return ("%Y. %m. %d" if spaced else "%Y.%m.%d") + ("." if dotted else "")


def _day_month(vals: list[str]) -> str:
    matches = []
    for v in vals:
        m = _DMY.match(v)
        if m is None:
            other = next((w for w in vals if _DMY.match(w)), None)
            if other is not None and (_ISO.match(v) or _YMD_DOTS.match(v)) and all(
                    _real(m) for m in map(_DMY.match, vals) if m is not None):
                raise MixedDates(f"some dates are written year first ({v!r}) and others not "
                                 f"({other!r})", other if _ISO.match(vals[0]) else v)
            raise DateFormatError(f"{v!r} is not a date in a format formfit knows", v)
        matches.append(m)
    seps = {m.group(2) for m in matches}
    if len(seps) > 1:
        odd = next(m.group(0) for m in matches if m.group(2) != matches[0].group(2))
        raise MixedDates(f"dates are written with different separators ({vals[0]!r} and "
                         f"{odd!r})", odd)
    sep = seps.pop()
    first_big = [m for m in matches if int(m.group(1)) > 12]
    second_big = [m for m in matches if int(m.group(3)) > 12]
    if first_big and second_big and all(_real(m) for m in first_big + second_big):
        raise MixedDates(f"some dates put the day first ({first_big[0].group(0)!r}) and others "
                         f"the month first ({second_big[0].group(0)!r})", second_big[0].group(0))
    if first_big and second_big:  # and one is no date at all (31/02/2025): say that
        raise DateFormatError("a value is not a date", vals[0])
    if first_big:
        order = f"%d{sep}%m{sep}%Y"
    elif second_big:
        order = f"%m{sep}%d{sep}%Y"
    else:
        raise AmbiguousDates("no value tells the day from the month", vals[0])
    # values with a time and without may mix, as in ISO columns: the format is the timed
    # values' one, and parse_in_format reads a date-only value by its date part
    timed = [m for m in matches if m.group(5) is not None]
    if not timed:
        return order
    ampm = {m.group(8) is not None for m in timed}
    seconds = {m.group(7) is not None for m in timed}
    if len(ampm) > 1 or len(seconds) > 1:
        clock = next(m.group(0) for m in timed
                     if (m.group(8) is not None, m.group(7) is not None)
                     != (timed[0].group(8) is not None, timed[0].group(7) is not None))
        raise MixedDates(f"times are written in different ways ({timed[0].group(0)!r} and "
                         f"{clock!r})", clock)
    clock = ("%I" if ampm.pop() else "%H") + ":%M" + (":%S" if seconds.pop() else "")
    if timed[0].group(8) is not None:
        clock += " %p"
    joiner = "T" if "T" in timed[0].group(0) else (", " if "," in timed[0].group(0) else " ")
    return f"{order}{joiner}{clock}"


def _real(m: re.Match[str]) -> bool:
    """A D/M/Y or M/D/Y match that is a date in one order or the other (31/02/2025 is none):
    only real dates show that a column writes dates two ways."""
    a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
    for month, day in ((b, a), (a, b)):
        try:
            date(year, month, day)
        except ValueError:
            continue
        return True
    return False


_CLOCK = re.compile(r"(?:T|,? )%[HI]")


def date_part(fmt: str) -> str | None:
    """The date part of a strptime format that also reads a time (``%m/%d/%Y %I:%M %p`` ->
    ``%m/%d/%Y``), for the date-only values of a column that mixes both; None when the format
    has no time after a full date."""
    m = _CLOCK.search(fmt)
    if m is None:
        return None
    head = fmt[:m.start()]
    if not all(d in head for d in ("%d", "%m")) or not ("%Y" in head or "%y" in head):
        return None
    return head
