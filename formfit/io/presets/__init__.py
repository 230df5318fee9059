"""Vendor export presets: HubSpot, Salesforce, Marketo, GA4 (``--preset`` / ``preset:``).

Each preset is a YAML file beside this module that maps the vendor's exported column names,
stage names, blank markers and date formats to the contract, and cites, entry by entry, where
the mapping comes from (V = seen in the source, I = inferred). A preset only fills gaps: a
column the export already names by its contract name, and anything the user maps with
``--map`` / ``columns:`` or ``stages:``, wins.
"""

from __future__ import annotations

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
from formfit.io.columns import fold
from formfit.io.table import RawTable

__all__ = ["PRESETS", "Preset", "apply_preset", "drop_footer_rows", "load_preset",
           "preset_column_map"]


@dataclass(frozen=True)
class Preset:
    """A vendor's conventions: each pair maps an export name to a contract name."""

    name: str
    columns: tuple[tuple[str, str], ...] = ()  # export column -> contract column
    ignore: tuple[str, ...] = ()  # export columns that are never form fields
    stages: tuple[tuple[str, str], ...] = ()  # stage -> won / lost / open
    blanks: tuple[str, ...] = ()  # values that mean "blank" (Marketo's null)
    dates: tuple[tuple[str, str], ...] = ()  # contract column -> strptime format


def _entries(data: Any, key: str) -> list[dict[str, Any]]:
    items = data.get(key) or []
    for item in items:
        if not isinstance(item, dict) or "source" not in item:
            raise ValueError(f"preset entry {item!r} under {key} cites no source")
    return list(items)


@cache
def load_preset(name: str) -> Preset:
    """The preset called ``name`` (one of :data:`PRESETS`), read from its YAML file."""
    text = resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return Preset(
        name=str(data["name"]),
        columns=tuple((str(e["from"]), str(e["to"])) for e in _entries(data, "columns")),
        ignore=tuple(str(e["column"]) for e in _entries(data, "ignore")),
        stages=tuple((str(e["from"]).casefold(), str(e["to"]))
                     for e in _entries(data, "stages")),
        blanks=tuple(str(b) for b in data.get("blanks") or ()),
        dates=tuple((str(e["column"]), str(e["format"])) for e in _entries(data, "dates")),
    )


def preset_column_map(preset: Preset, columns: Iterable[str],
                      user_map: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The preset's renames that apply to a table with ``columns``: only for export columns
    present, whose target the table does not already have, and that the user does not map."""
    present = {fold(c) for c in columns}
    user_from = {fold(old) for old, _ in user_map}
    user_to = {fold(new) for _, new in user_map}
    taken: set[str] = set()
    out = []
    for old, new in preset.columns:
        if (fold(old) in present and fold(old) not in user_from and fold(new) not in present
                and fold(new) not in user_to and fold(new) not in taken):
            out.append((old, new))
            taken.add(fold(new))
    return out


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
