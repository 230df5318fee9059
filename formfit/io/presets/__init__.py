"""Vendor export presets: HubSpot, Salesforce, Marketo, GA4 (``--preset`` / ``preset:``).

Each preset is a YAML file beside this module that maps the vendor's exported column names,
stage names, blank markers and date formats to the contract, and cites, entry by entry, where
the mapping comes from (V = seen in the source, I = inferred). A preset only fills gaps: a
column the export already names by its contract name, and anything the user maps with
``--map`` / ``columns:`` or ``stages:``, wins.

One export name can mean different things in different files (HubSpot's "Record ID" is the
contact in a submissions export and the deal in a deals export), so a preset may give, under
``roles:``, what holds for one input only (``submissions``, ``views`` or ``outcomes``):

``columns``  renames for that input, tried before the preset's common ``columns``;
``split``    a column that holds several values in one cell (``;``-separated contact ids): the
             outcomes' lead key only, see :func:`formfit.io.outcomes.load_outcomes`;
``keep``     rows to keep by a column's value; the others are counted under ``reason``
             (Marketo's activity extract: only activity type 2 is a form fill);
``expand``   a JSON column whose object under ``key`` becomes one column per entry
             (Marketo's ``attributes`` -> "Form Fields"); the JSON column itself is dropped;
``hints``    advice added to the error when that input lacks a contract column.

``session_key`` (top level) names the export columns whose values together identify a session
when one of them alone is unique only within the others (GA4: ``ga_session_id`` is unique only
per ``user_pseudo_id``). One of them is the column the preset maps to ``session_id``; where an
input holds them all, its ``session_id`` becomes their values joined by ``.``, see
:mod:`formfit.io.sessions`.

Everything is applied in one place, :func:`prepare_table`, before any column is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from formfit.config import PRESETS, Settings
from formfit.errors import InputError
from formfit.inputs import Notice
from formfit.io.columns import fold
from formfit.io.table import RawTable

__all__ = ["PRESETS", "Preset", "RolePreset", "apply_preset", "drop_footer_rows", "load_preset",
           "prepare_table", "preset_column_map"]

ROLES = ("submissions", "views", "outcomes")


@dataclass(frozen=True)
class RowFilter:
    """Keep the rows whose ``column`` holds one of ``values``; the rest leave as ``reason``."""

    column: str
    values: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class JsonExpand:
    """Cells of ``column`` hold JSON; the object under ``key`` becomes one column per entry."""

    column: str
    key: str


@dataclass(frozen=True)
class RolePreset:
    """What a preset says about one input only (see the module's docstring)."""

    columns: tuple[tuple[str, str], ...] = ()  # export column -> contract column
    split: tuple[tuple[str, str], ...] = ()  # export column -> separator of its values
    keep: tuple[RowFilter, ...] = ()
    expand: tuple[JsonExpand, ...] = ()
    hints: tuple[tuple[str, str], ...] = ()  # contract column -> advice when it is missing


@dataclass(frozen=True)
class Preset:
    """A vendor's conventions: each pair maps an export name to a contract name."""

    name: str
    columns: tuple[tuple[str, str], ...] = ()  # export column -> contract column, any input
    ignore: tuple[str, ...] = ()  # export columns that are never form fields
    stages: tuple[tuple[str, str], ...] = ()  # stage -> won / lost / open
    blanks: tuple[str, ...] = ()  # values that mean "blank" (Marketo's null)
    dates: tuple[tuple[str, str], ...] = ()  # contract column -> strptime format
    roles: tuple[tuple[str, RolePreset], ...] = ()  # input role -> what holds for it only
    session_key: tuple[str, ...] = ()  # export columns that identify a session together

    def role(self, name: str) -> RolePreset:
        return dict(self.roles).get(name) or RolePreset()


def _entries(data: Any, key: str) -> list[dict[str, Any]]:
    items = data.get(key) or []
    for item in items:
        if not isinstance(item, dict) or "source" not in item:
            raise ValueError(f"preset entry {item!r} under {key} cites no source")
    return list(items)


def _renames(data: Any, key: str) -> tuple[tuple[str, str], ...]:
    return tuple((str(e["from"]), str(e["to"])) for e in _entries(data, key))


def _role(role: str, data: Any) -> RolePreset:
    if role not in ROLES:
        raise ValueError(f"preset role {role!r} is not one of {ROLES}")
    keep = tuple(RowFilter(str(e["column"]), tuple(str(v) for v in e["values"]),
                           str(e["reason"])) for e in _entries(data, "keep"))
    expand = tuple(JsonExpand(str(e["column"]), str(e["key"])) for e in _entries(data, "expand"))
    if role == "views" and (keep or expand):
        # views files are scanned by the engine, never loaded as rows here
        raise ValueError("a preset cannot filter or expand the rows of views")
    return RolePreset(columns=_renames(data, "columns"),
                      split=tuple((str(e["column"]), str(e["separator"]))
                                  for e in _entries(data, "split")),
                      keep=keep, expand=expand,
                      hints=tuple((str(e["column"]), str(e["text"]))
                                  for e in _entries(data, "hints")))


@cache
def load_preset(name: str) -> Preset:
    """The preset called ``name`` (one of :data:`PRESETS`), read from its YAML file."""
    text = resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return Preset(
        name=str(data["name"]),
        columns=_renames(data, "columns"),
        ignore=tuple(str(e["column"]) for e in _entries(data, "ignore")),
        stages=tuple((str(e["from"]).casefold(), str(e["to"]))
                     for e in _entries(data, "stages")),
        blanks=tuple(str(b) for b in data.get("blanks") or ()),
        dates=tuple((str(e["column"]), str(e["format"])) for e in _entries(data, "dates")),
        roles=tuple((str(r), _role(str(r), d or {}))
                    for r, d in (data.get("roles") or {}).items()),
        session_key=_session_key(data),
    )


def _session_key(data: Any) -> tuple[str, ...]:
    """The export columns of ``session_key:``: two or more, exactly one of which the preset's
    common ``columns`` map to ``session_id`` (the key is written there)."""
    parts = tuple(str(e["column"]) for e in _entries(data, "session_key"))
    if not parts:
        return ()
    to_session = {fold(old) for old, new in _renames(data, "columns")
                  if fold(new) == "session_id"}
    if len(parts) < 2 or sum(fold(p) in to_session for p in parts) != 1:
        raise ValueError("a preset's session_key names two or more columns, exactly one of "
                         "which its columns map to session_id")
    return parts


def preset_column_map(preset: Preset, columns: Iterable[str],
                      user_map: Sequence[tuple[str, str]],
                      role: str = "submissions") -> list[tuple[str, str]]:
    """The preset's renames that apply to ``role``'s table with ``columns``: the role's own
    first, then the common ones; only for export columns present, each renamed once, whose
    target the table does not already have, and that the user does not map."""
    present = {fold(c) for c in columns}
    user_from = {fold(old) for old, _ in user_map}
    user_to = {fold(new) for _, new in user_map}
    taken: set[str] = set()
    moved: set[str] = set()
    out = []
    for old, new in (*preset.role(role).columns, *preset.columns):
        if (fold(old) in present and fold(old) not in user_from and fold(old) not in moved
                and fold(new) not in present and fold(new) not in user_to
                and fold(new) not in taken):
            out.append((old, new))
            taken.add(fold(new))
            moved.add(fold(old))
    return out


def prepare_table(preset: Preset, table: RawTable) -> list[Notice]:
    """Apply the preset's row filters and JSON expansions for ``table``'s role, in place, by
    the export's own column names (before any mapping); return notices."""
    spec = preset.role(table.role)
    notices: list[Notice] = []
    for rule in spec.keep:
        _keep_rows(table, rule)
    for expand in spec.expand:
        notices.extend(_expand_json(table, expand, preset.blanks))
    return notices


def _column(table: RawTable, name: str) -> str | None:
    return next((str(c) for c in table.frame.columns if fold(c) == fold(name)), None)


def _keep_rows(table: RawTable, rule: RowFilter) -> None:
    """Keep the rows whose ``rule.column`` is one of its values (as text, or as a number:
    ``2`` and ``2.0`` alike); count the others under ``rule.reason`` in ``table.excluded``.
    The kept rows keep their own row numbers for messages."""
    col = _column(table, rule.column)
    if col is None:  # the export was filtered before: every row is kept
        return
    text = table.frame[col].astype("str").str.strip()
    wanted = [float(v) for v in rule.values if _number(v) is not None]
    keep = (text.isin(list(rule.values)).fillna(False).to_numpy(dtype=bool)
            | pd.to_numeric(text, errors="coerce").isin(wanted).to_numpy(dtype=bool))
    dropped = int((~keep).sum())
    if not dropped:
        return
    n = len(table.frame)
    numbers = (table.numbers if table.numbers is not None
               else np.arange(table.first_number, table.first_number + n, dtype=np.int64))
    table.numbers = np.asarray(numbers)[keep]
    table.frame = table.frame.loc[keep].reset_index(drop=True)
    table.excluded[rule.reason] = table.excluded.get(rule.reason, 0) + dropped


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _expand_json(table: RawTable, rule: JsonExpand, blanks: Sequence[str]) -> list[Notice]:
    """Replace the JSON column ``rule.column`` by one text column per entry of the object under
    ``rule.key`` (names matched case-insensitively; the first spelling seen names the column).
    A cell that is not JSON, or whose entry is not an object, is an InputError naming the row,
    never its content (the JSON holds IP addresses and answers)."""
    col = _column(table, rule.column)
    if col is None:
        return []
    blank = {b.casefold() for b in blanks}
    cells = table.frame[col].tolist()
    n = len(cells)
    names: dict[str, str] = {}  # folded name -> column name
    values: dict[str, list[str | None]] = {}
    filled = 0
    for pos, cell in enumerate(cells):
        if cell is None or cell is pd.NA or (isinstance(cell, float) and cell != cell):
            continue
        text = str(cell).strip()
        if not text or text.casefold() in blank:
            continue
        filled += 1
        try:
            entries = _entries_under(json.loads(text), rule.key)
        except json.JSONDecodeError as err:
            raise InputError(
                f"{table.where(pos)}: {col} is not valid JSON ({err.msg} at character "
                f"{err.pos + 1}).", _expand_hint(table, col, rule)) from None
        except ValueError as err:
            raise InputError(f"{table.where(pos)}: {col}: {err}.",
                             _expand_hint(table, col, rule)) from None
        for name, value in entries.items():
            key = fold(name)
            if not key:
                continue
            if key not in values:
                names[key] = str(name).strip()
                values[key] = [None] * n
            values[key][pos] = value
    frame = table.frame.drop(columns=[col])
    taken = {fold(c) for c in frame.columns}
    added: dict[str, pd.Series] = {}
    for key, name in names.items():
        if key in taken:  # a form field named like a column of the extract
            name = f"{name} ({rule.key})"
        added[name] = pd.Series(values[key], dtype="str")
    table.frame = pd.concat([frame, pd.DataFrame(added, index=frame.index)], axis=1)
    if filled and not names:
        return [Notice("NO_FORM_FIELDS",
                       f"No row of {table.name} has {rule.key!r} in its {col} column, so no "
                       "form fields could be read from it and none are analysed.",
                       {"input": table.role, "column": col})]
    return []


def _expand_hint(table: RawTable, col: str, rule: JsonExpand) -> str:
    return (f"The preset reads {col} as the JSON of the export (an object, or a list of "
            f"{{\"name\": ..., \"value\": ...}} pairs) and {rule.key!r} in it as an object of "
            "field names and answers. Fix or remove that row, or drop the column and give the "
            "form fields as columns of their own.")


def _entries_under(data: Any, key: str) -> dict[str, str | None]:
    """The object under ``key`` in ``data`` (an object, or the REST API's list of
    ``{"name": ..., "value": ...}`` pairs), as field name -> text; {} when ``key`` is absent."""
    found = _lookup(data, key, "the cell")
    if found is None:
        return {}
    if isinstance(found, str):
        text = found.strip()
        if not text:
            return {}
        if text[0] in "{[":
            try:
                found = json.loads(text)
            except json.JSONDecodeError as err:
                raise ValueError(f"{key!r} is not valid JSON ({err.msg} at character "
                                 f"{err.pos + 1})") from None
        elif re.match(r"a:\d+:\{", text):
            found = _php_array(text)
            if found is None:
                raise ValueError(f"{key!r} is neither JSON nor a readable serialised array")
        else:
            raise ValueError(f"{key!r} holds text that is not a JSON object")
    if isinstance(found, list):
        found = _pairs(found, repr(key))
    if not isinstance(found, dict):
        raise ValueError(f"{key!r} is a JSON {type(found).__name__}, not an object of fields")
    return {str(k): _text(v) for k, v in found.items()}


def _lookup(data: Any, key: str, what: str) -> Any:
    if isinstance(data, list):
        data = _pairs(data, what)
    if not isinstance(data, dict):
        raise ValueError(f"{what} is a JSON {type(data).__name__}, not an object")
    return next((v for k, v in data.items() if fold(k) == fold(key)), None)


def _pairs(items: list[Any], what: str) -> dict[str, Any]:
    """The REST API's shape, ``[{"name": "Form Fields", "value": ...}, ...]``, as an object."""
    if not all(isinstance(i, dict) and "name" in i for i in items):
        raise ValueError(f"{what} is a JSON list, but not of {{\"name\", \"value\"}} pairs")
    return {str(i["name"]): i.get("value") for i in items}


def _text(value: Any) -> str | None:
    """A form answer as text: blank -> None, true/false, numbers as written, lists (several
    checkboxes) joined with ';'."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        parts = [t for t in (_text(v) for v in value) if t is not None]
        return ";".join(parts) or None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


def _php_array(text: str) -> dict[str, Any] | None:
    """A PHP-serialised array (``a:2:{s:9:"FirstName";s:3:"Ann";...}``) of scalars, as some
    Marketo activities hold their form fields (I: inferred, not in exports.md); string
    lengths count UTF-8 bytes."""
    data = text.encode("utf-8")
    pos = 0

    def value() -> Any:
        nonlocal pos
        kind = data[pos:pos + 2]
        if kind == b"N;":
            pos += 2
            return None
        end = data.find(b";" if kind != b"a:" and kind != b"s:" else b":", pos + 2)
        if kind in (b"i:", b"d:", b"b:"):
            raw = data[pos + 2:end].decode()
            pos = end + 1
            return bool(int(raw)) if kind == b"b:" else raw
        if kind == b"s:":
            size = int(data[pos + 2:end])
            start = end + 2  # past ':"'
            out = data[start:start + size].decode("utf-8")
            if data[start + size:start + size + 2] != b'";':
                raise ValueError
            pos = start + size + 2
            return out
        if kind == b"a:":
            count = int(data[pos + 2:end])
            pos = end + 2  # past ':{'
            items = {}
            for _ in range(count):
                k = value()
                items[str(k)] = value()
            if data[pos:pos + 1] != b"}":
                raise ValueError
            pos += 1
            return items
        raise ValueError

    try:
        out = value()
    except (ValueError, IndexError, UnicodeDecodeError):
        out = None
    return out if isinstance(out, dict) and pos == len(data) else None


def apply_preset(settings: Settings, tables: Sequence[RawTable]) -> Settings:
    """Settings with the preset's ignore list (columns present only) and stage map added;
    the user's own stage map wins. Blank markers are applied to the tables in place."""
    if settings.preset is None:
        return settings
    preset = load_preset(settings.preset)
    cols = {fold(c) for t in tables for c in (*t.frame.columns, *t.original.values())}
    ignore = tuple(c for c in preset.ignore if fold(c) in cols)
    for t in tables:
        if preset.blanks:
            t.frame = t.frame.replace(list(preset.blanks), None)
        for column, fmt in preset.dates:
            if column in t.frame.columns:
                t.date_formats[column] = fmt
        # a column holding several values per cell, by its name after mapping
        split = {fold(old): sep for old, sep in preset.role(t.role).split}
        for col in t.frame.columns:
            sep = split.get(fold(t.original.get(col, col)))
            if sep is not None:
                t.separators[col] = sep
    return replace(settings, ignore_columns=tuple(settings.ignore_columns) + ignore,
                   stage_map=tuple(preset.stages) + tuple(settings.stage_map))


# Report footers (Salesforce report CSV exports, exports.md V): the first cell holds the text,
# every other cell is blank.
_FOOTER = re.compile(r"^\s*(grand totals?\s*\(\d[\d,.]*\s+records?\)|confidential information\b"
                     r"|copyright\s*(\(c\)|©)?\s*\d{4})", re.I)


def drop_footer_rows(table: RawTable) -> int:
    """Remove trailing report-footer rows (and blank rows among them); return how many."""
    frame = table.frame
    if len(frame) == 0 or len(frame.columns) == 0:
        return 0
    n = len(frame)
    # footers sit at the end: look at a window of the last rows, widened only while every
    # row in it could still be a footer or a blank (a full scan cost a second per million)
    width = 64
    while True:
        start = max(0, n - width)
        cut, seen_footer, stopped = _footer_cut(frame.iloc[start:], start, n)
        if stopped or start == 0:
            break
        width *= 8
    if not seen_footer or cut == n:
        return 0
    table.frame = frame.iloc[:cut].reset_index(drop=True)
    return n - cut


def _footer_cut(tail: pd.DataFrame, start: int, n: int) -> tuple[int, bool, bool]:
    """Walk ``tail`` (rows ``start``..``n`` of the frame) up from the bottom: the first row of
    the footer block, whether a footer was seen, and whether a data row ended the walk."""
    first = [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
             for v in tail.iloc[:, 0].tolist()]
    rest_blank = (tail.iloc[:, 1:].isna().all(axis=1).to_numpy() if tail.shape[1] > 1
                  else np.ones(len(tail), dtype=bool))
    cut = n
    seen_footer = False
    for pos in range(len(tail) - 1, -1, -1):
        cell = first[pos]
        blank_row = rest_blank[pos] and (cell is None or not cell.strip())
        if rest_blank[pos] and cell is not None and _FOOTER.match(cell):
            seen_footer = True
            cut = start + pos
        elif blank_row:
            cut = start + pos if seen_footer else cut
        else:
            return cut, seen_footer, True
    return cut, seen_footer, False


_QUOTED_CELL = re.compile(r'^\s*"?(.*?)"?\s*[,;\t|]*\s*$')


def strip_footer_bytes(data: bytes) -> bytes:
    """``data`` (a UTF-8 CSV) without trailing report-footer lines: one cell whose text is a
    footer, or a blank line among them. For readers that reject rows shorter than the header;
    :func:`drop_footer_rows` does the same on a frame."""
    tail_start = max(0, len(data) - 4096)
    lines = data[tail_start:].split(b"\n")
    cut = len(lines)
    seen_footer = False
    for i in range(len(lines) - 1, 0 if tail_start else -1, -1):
        text = lines[i].decode("utf-8", "replace").strip()
        cell = _QUOTED_CELL.match(text)
        value = cell.group(1) if cell else text
        if not text or not value.strip():
            cut = i if seen_footer else cut
            continue
        if _FOOTER.match(value):
            seen_footer, cut = True, i
            continue
        break
    if not seen_footer:
        return data
    return data[:tail_start] + b"\n".join(lines[:cut]) + b"\n"
