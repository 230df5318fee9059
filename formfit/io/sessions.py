"""A preset's ``session_key``: sessions identified by several columns together.

GA4's ``ga_session_id`` is the session's start time in seconds, unique only per user
(``user_pseudo_id``); two users who start a session in the same second share it (exports.md,
GA4). Keyed on it alone, their views merge into one (``repeat_view``) and a submission by one
converts the other's view. So where a preset declares ``session_key`` (the ga4 preset:
``[user_pseudo_id, ga_session_id]``) and an input holds every part, its ``session_id`` becomes
the parts joined by ``.`` (``111.2.1735700000``): in the views inside the engine's expression
(files scanned by DuckDB, ``table:`` and ``sql:`` inputs of any engine), in the submissions in
pandas. Only row-level views have sessions; aggregated views leave everything as it is.

The two sides must be keyed alike, else no view would match:

- views and submissions both hold every part: both keyed by the pair, joined on it;
- views hold every part, the submissions a session id without the user: the views are counted
  by the pair, and the submissions are not joined by session (a ``ga_session_id`` alone would
  convert the view of every user who started a session in that second) but counted per form
  and day from the submissions file, with ``SESSION_KEYS_DIFFER`` saying why and how to link
  them;
- views without the user part: both sides keep the session id alone (as before), with
  ``SESSIONS_MAY_MERGE`` saying that sessions of different users may merge.

Blank in any part: no session id (the view is a view of its own, joined to nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from formfit.inputs import Notice
from formfit.io.columns import fold
from formfit.io.presets import Preset
from formfit.io.table import RawTable
from formfit.io.values import blank_to_na

if TYPE_CHECKING:
    from formfit.cells.files import EngineTable

__all__ = ["SEPARATOR", "SessionKeys", "apply_session_key"]

SEPARATOR = "."


@dataclass
class SessionKeys:
    """What :func:`apply_session_key` decided: whether the submissions' session ids may be
    joined to the views', and the notices saying why not or what to beware of."""

    join: bool = True
    notices: list[Notice] = field(default_factory=list)


def _to_session(preset: Preset) -> set[str]:
    """The export names the preset maps to session_id (folded)."""
    return {fold(old) for old, new in preset.columns if fold(new) == "session_id"}


def _parts(preset: Preset, table: RawTable) -> list[str] | None:
    """The mapped column names of the key's parts in ``table``, in the preset's order (the
    part the preset maps to session_id found as ``session_id``); None if one is missing."""
    to_session = _to_session(preset)
    have = {fold(c): str(c) for c in table.frame.columns}
    out = []
    for part in preset.session_key:
        name = have.get("session_id" if fold(part) in to_session else fold(part))
        if name is None:
            return None
        out.append(name)
    return out


def apply_session_key(preset: Preset, subs: RawTable, views: EngineTable | None
                      ) -> SessionKeys:
    """Key sessions by the preset's ``session_key`` (see the module docstring), in place, on
    the mapped tables."""
    if (not preset.session_key or views is None or "views" in views.raw.frame.columns
            or "session_id" not in views.raw.frame.columns):
        return SessionKeys()
    users = [p for p in preset.session_key if fold(p) not in _to_session(preset)]
    view_parts = _parts(preset, views.raw)
    if view_parts is None:
        return SessionKeys(notices=[Notice(
            "SESSIONS_MAY_MERGE",
            f"The views have session ids but no {' or '.join(users)} column: a session id is "
            f"unique only per user ({preset.name} preset), so the views of different users "
            "whose sessions share an id (started in the same second) count as one view, and a "
            f"submission converts all of them. Export {', '.join(users)} with the views (and "
            "with the submissions) to tell them apart.",
            {"input": "views", "missing": users})])
    views.join_columns("session_id", view_parts, SEPARATOR)
    sub_parts = _parts(preset, subs)
    if sub_parts is not None:
        frame = subs.frame
        key = blank_to_na(frame[sub_parts[0]])
        for part in sub_parts[1:]:
            key = key + SEPARATOR + blank_to_na(frame[part])
        frame["session_id"] = key
        return SessionKeys()
    if "session_id" not in subs.frame.columns:
        return SessionKeys()  # nothing to join: submissions are counted from their file
    return SessionKeys(join=False, notices=[Notice(
        "SESSION_KEYS_DIFFER",
        f"The views identify a session by {' and '.join(preset.session_key)} together, but "
        f"the submissions have a session id without {' or '.join(users)}, which matches the "
        "views of every user whose session started in the same second; so submissions are "
        "not linked to views by session but counted per form and day from the submissions "
        f"file. Export {', '.join(users)} with the submissions to link them by session.",
        {"input": "submissions", "missing": users})])
