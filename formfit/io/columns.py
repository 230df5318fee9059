"""Column names: case-insensitive matching, the user's column map, and required columns.

Every input goes through :func:`map_columns` before anything reads a column: contract names are
matched after trimming and case-folding, and ``settings.column_map`` (export name -> contract
name, also case-insensitive) renames anything else. Missing required columns are reported all at
once, with the closest existing name and the ``--map`` option that fixes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from formfit.errors import InputError, closest
from formfit.inputs import Notice
from formfit.io.readers import REPEAT_MARK, RawTable
from formfit.io.table import other_sheets_note
from formfit.personal import masked, quoted

# Every name the contract gives a meaning to, in any input.
CONTRACT_NAMES: tuple[str, ...] = (
    "lead_id", "email", "form_id", "submitted_at", "session_id",
    "viewed_at", "submitted", "date", "views", "submissions",
    "outcome", "is_won", "is_closed", "stage", "amount", "created_at", "closed_at",
)
# Submission columns that are never form fields, unless a forms file shows them.
OUTCOME_LIKE: tuple[str, ...] = ("is_won", "is_closed", "outcome", "stage", "amount",
                                 "created_at", "closed_at")
KEY_LIKE: tuple[str, ...] = ("lead_id", "email", "form_id", "submitted_at", "session_id",
                             "lead_key")

# Names a preset gives to columns that are never a lead key (a deal's own id): never offered
# as the closest match for one.
NOT_KEYS: tuple[str, ...] = ("deal_id",)

MAX_LISTED = 25
BLANK_SEGMENT = "(blank)"  # a blank segment value is its own level, never silently dropped


def listing(names: Sequence[str], limit: int = 8) -> str:
    """Names for a message: 'a', 'b' and 3 more (a name that could identify a person, such as
    a header cell that is really data, by its kind)."""
    shown = ", ".join(quoted(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def fold(name: str) -> str:
    """The matching key of a column name: trimmed and case-folded."""
    return str(name).strip().casefold()


def map_columns(table: RawTable, column_map: Sequence[tuple[str, str]],
                segments: Sequence[str] = ()) -> set[str]:
    """Rename ``table.frame``'s columns to contract names in place; return the map keys used.

    A column named in the map takes the mapped name; any column whose name matches a contract
    name or a declared segment (case-insensitively) takes that name's canonical spelling.
    """
    user = {fold(old): new.strip() for old, new in column_map}
    canonical = {fold(n): n for n in (*CONTRACT_NAMES, *segments)}
    used: set[str] = set()
    renamed: list[str] = []
    moved: list[bool] = []  # renamed by the map, or to a contract name's or segment's spelling
    for col in table.frame.columns:
        base = str(col).split(REPEAT_MARK)[0]  # a repeated header name is its twin's name
        name = base
        key = fold(name)
        if key in user:
            used.add(key)
            name = user[key]
        if fold(name) in canonical:
            name = canonical[fold(name)]
            moved.append(True)
        else:
            # other columns keep their own (de-duplicated) names: they are never ambiguous
            moved.append(name != base)
            name = str(col).strip() if name == base else name.strip()
        renamed.append(name)
    _check_clashes(table, renamed, moved)
    table.original = {new: str(old) for new, old in zip(renamed, table.frame.columns, strict=True)}
    table.frame.columns = renamed
    return used


def _check_clashes(table: RawTable, renamed: Sequence[str], moved: Sequence[bool]) -> None:
    """Several columns whose new names are one name once case and surrounding spaces are
    ignored (as every name is matched), where at least one of them was renamed: an error
    naming each by its own name and position. (Columns that clash as the export names them
    are fields, refused by :func:`formfit.io.submissions.fold_clash`.)"""
    groups: dict[str, list[int]] = {}
    for pos, name in enumerate(renamed):
        groups.setdefault(fold(name), []).append(pos)
    clashes = [g for g in groups.values() if len(g) > 1 and any(moved[p] for p in g)]
    if not clashes:
        return
    columns = list(table.frame.columns)

    def shown(pos: int) -> str:
        own = str(columns[pos]).split(REPEAT_MARK)[0]
        return f"{quoted(own)} (column {pos + 1})"

    parts = []
    for g in clashes:
        names = list(dict.fromkeys(renamed[p] for p in g))
        parts.append(f"{' and '.join(shown(p) for p in g)} all become "
                     f"{' / '.join(quoted(n) for n in names)}")
    case = any(len({renamed[p] for p in g}) > 1 for g in clashes)
    raise InputError(
        f"{table.role} file {table.name}: several columns end up with one name: "
        f"{'; '.join(parts)}{' (names are matched ignoring case)' if case else ''}.",
        "Map only one of them to that name (check --map and `columns:` in the config), or "
        "rename or remove the others in the export.")


def require(table: RawTable, needed: Sequence[str | tuple[str, ...]], *,
            extra_hint: Mapping[str, str] | None = None) -> None:
    """Raise one InputError listing every needed column the table lacks.

    ``needed`` items are a column name or a tuple of alternatives (any one will do).
    ``extra_hint`` adds advice for particular missing names (e.g. constants for form_id).
    """
    have = {fold(c) for c in table.frame.columns}
    missing: list[tuple[str, ...]] = []
    for item in needed:
        alts = (item,) if isinstance(item, str) else tuple(item)
        if not any(fold(a) in have for a in alts):
            missing.append(alts)
    if not missing:
        return
    raise missing_columns_error(table, missing, extra_hint or {})


def missing_columns_error(table: RawTable, missing: Sequence[tuple[str, ...]],
                          extra_hint: Mapping[str, str]) -> InputError:
    """The teaching error for missing columns: what exists, what is closest, how to map."""
    # a header row that is really a row of data holds a person's details: never echo them
    existing = [masked(c) for c in table.frame.columns]
    names = [" or ".join(alts) for alts in missing]
    guesses: list[tuple[str, str]] = []  # (existing column, contract name)
    for alts in missing:
        for alt in alts:
            hit = closest(alt, [c for c in existing
                                if fold(c) not in CONTRACT_NAMES and fold(c) not in NOT_KEYS
                                and not c.startswith("<")])
            if hit:
                guesses.append((hit[0], alt))
                break
    noun = "a required column" if len(missing) == 1 else f"{len(missing)} required columns"
    source = (f"{table.role} {table.name}" if table.engine_label is not None
              else f"{table.role} file {table.name}")
    msg = f"{source} lacks {noun}: {'; '.join(names)}."
    if table.header_looks_like_data:
        msg += (" Its first line looks like data, not column names, so the file probably has "
                "no header row.")
        return InputError(msg, "Add a header row with the column names the contract uses "
                               "(see `formfit validate --help`), then map any others with --map.")
    shown = ", ".join(repr(c) for c in existing[:MAX_LISTED])
    if len(existing) > MAX_LISTED:
        shown += f", ... ({len(existing) - MAX_LISTED} more)"
    msg += f" Its columns are: {shown}."
    msg = msg[:-1] + other_sheets_note(table.other_sheets) + "."
    if guesses:
        msg += " Closest match: " + "; ".join(f"{g!r} for {n}" for g, n in guesses) + "."
        example = " ".join(f'--map "{g}={n}"' for g, n in guesses)
    else:
        example = f'--map "Your Column={missing[0][0]}"'
    hint = (f"Map export names to contract names with {example} (repeatable, applies to "
            "every input) or with `columns:` in the config file.")
    extras: dict[str, None] = {}
    for alts in missing:
        for alt in alts:
            if alt in extra_hint:
                extras[extra_hint[alt]] = None
    for extra in extras:
        hint += " " + extra
    return InputError(msg, hint)


def present(table: RawTable, name: str) -> bool:
    """Whether the (already mapped) table has a column named ``name``."""
    return name in table.frame.columns


# --- columns that look like metadata, not answers -------------------------------------------
# An export's conversion date, page URL or record id is not a question on the form; analysed as
# a field it is "on every form" and its values predict nothing useful. (HubSpot's
# "Conversion Date" became a field on every form.)
_NAME_HINTS = (
    ("date", re.compile(r"(date|time|timestamp|(^|_)at$|created|updated|modified)", re.I)),
    ("URL", re.compile(r"(url|page|link|referr?er|landing)", re.I)),
    ("id", re.compile(r"(^|[\s_])(id|ids|guid|uuid|key)$|^id[\s_]|(?<=[a-z])Id$", re.I)),
)
_VALUE_HINTS = (
    ("date", re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T]\d{1,2}:\d{2}.*)?$"
                        r"|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}([ T,]+\d{1,2}:\d{2}.*)?$")),
    ("URL", re.compile(r"^(https?://|www\.)\S+$", re.I)),
    ("id", re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                      r"|[0-9a-f]{24,}|[A-Za-z0-9]{15}|[A-Za-z0-9]{18}|\d{6,})$", re.I)),
)


def _looks_like(name: str, values: Sequence[str],
                distinct_share: Callable[[], float]) -> str | None:
    n = len(values)
    for kind, pattern in _VALUE_HINTS:
        share = sum(1 for v in values if pattern.match(v)) / n if n else 0.0
        named = any(k == kind and p.search(name) for k, p in _NAME_HINTS)
        if share >= 0.9 or (named and share >= 0.5):
            # ids: only when nearly every value is different (a 6-digit zip code repeats)
            if kind == "id" and distinct_share() < 0.9:
                continue
            return kind
    return None


def _first_distinct(values: Any, k: int) -> list[str]:
    """The first ``k`` distinct values (as text) in order of appearance, from as few rows as
    it takes: counting every distinct value of a million-row column costs a quarter second."""
    m = 4 * k
    while True:
        seen = values.iloc[:m].astype("str").unique()
        if len(seen) >= k or m >= len(values):
            return [str(v) for v in seen[:k]]
        m *= 8


def not_form_like(frame: Any, fields: Sequence[str], original: Mapping[str, str],
                  sample: int = 500) -> list[Notice]:
    """A warning for each analysed field whose values look like dates, timestamps, URLs or
    ids, naming it and the ``ignore:`` line that leaves it out."""
    hits: list[tuple[str, str]] = []
    for f in fields:
        if f not in frame.columns:
            continue
        values = frame[f].dropna()
        if len(values) == 0:
            continue
        def share(values: Any = values) -> float:
            return len(values.astype("str").unique()) / len(values)

        kind = _looks_like(original.get(f, f), _first_distinct(values, sample), share)
        if kind is not None:
            hits.append((original.get(f, f), kind))
    if not hits:
        return []
    names = [n for n, _ in hits]
    what = "; ".join(f"{n!r} looks like {'an' if k in ('id', 'URL') else 'a'} {k}"
                     for n, k in hits)
    line = "ignore: [" + ", ".join(json.dumps(n, ensure_ascii=False) for n in names) + "]"
    it = "it is" if len(hits) == 1 else "they are"
    return [Notice("NOT_A_FORM_FIELD",
                   f"{what}, not an answer on a form, yet {it} analysed as a form field. If "
                   f"{it} not a question on the form, add this line to the config file: {line}",
                   {"columns": names, "ignore_line": line})]
