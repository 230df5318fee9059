"""Plain words for internal keys, and the natural order of a field's values.

Reports are read by marketers: ``planned_share``, ``too_young`` or ``NO_VARIATION`` mean nothing
to them. :func:`plain` turns every key formfit writes into words (unknown keys lose their
underscores and capitals, so even a new code never shows raw). JSON keeps the keys.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TypeVar

PLAIN: dict[str, str] = {
    # accounting: where rows went
    "duplicate_row": "exact duplicate rows",
    "missing_lead_key": "no lead id or email",
    "missing_form_id": "no form id",
    "unknown_form": "form not in the forms file",
    "repeat_submission": "later submissions by the same lead",
    "missing_date": "no date",
    "repeat_view": "repeated views in one session",
    "no_matching_lead": "deals matching no analysed lead",
    "not_a_form_fill": "activities other than a form fill",
    "too_young": "leads too young to judge",
    "open": "deals still open",
    # sample-ratio checks
    "planned_share": "planned",
    "observed_share": "observed",
    "form_id": "form",
    "views": "views",
    # estimate and predictive codes
    "NO_VARIATION": "never removed, so no effect can be estimated",
    "NOT_IDENTIFIED": "cannot be separated from other changes",
    "NO_VIEWS": "needs a views file",
    "NO_OUTCOMES": "needs outcomes",
    "NO_AMOUNTS": "no deal amounts",
    "NOT_FITTED": "model not fitted",
    "NO_DATA": "no data",
    "SEPARATION": "some values always or never win (estimate unstable)",
    "SMALL_SAMPLE": "few leads",
    "POSSIBLE_LEAKAGE": "probably filled in after the lead was worked",
    "CONSTANT": "always the same value",
    "SUBSAMPLED": "estimated on a sample",
    "NO_SUCCESSES": "no wins",
    "NO_FAILURES": "no losses",
    "NO_JUDGED_LEADS": "no leads old enough to judge",
    "NOT_MATURE": "its comparison's deals are too young to judge yet",
    "NO_LEADS": "no leads",
    "NO_MATURITY_WINDOW": "no maturity window (no submission dates)",
    "NO_SUBMISSION_DATE": "no submission dates",
    "NO_TIME_CONTROL": "no time control",
    "WINS_PER_VIEW_UNDATED": "wins per view without dates",
    # warnings
    "SAMPLE_RATIO_MISMATCH": "Sample ratio mismatch",
    "NO_SUBMISSIONS_TRACKED": "Views without any submission",
    "VIEWS_OUTSIDE_SUBMISSIONS": "Views outside the submissions' period",
    "CONVERSIONS_DIFFER": "Submissions differ between views and submissions files",
    "LIKELY_SEGMENT": "Probably a segment, not a field",
    "NOT_A_FORM_FIELD": "Probably not a form field",
    "FORMS_INFERRED": "Fields per form inferred",
    "EMPTY_COLUMNS": "Empty columns",
    "UNKNOWN_FORM": "Unknown forms",
    "FORM_WITHOUT_DATA": "Forms without data",
    "SETTING_NOT_USED": "Settings that matched nothing",
    "UNMATCHED_OUTCOMES": "Deals matching no lead",
    "SHARED_DEALS": "Deals shared by several leads",
    "NO_FORM_FIELDS": "No form fields found",
    "NO_SESSION_MATCHES": "No sessions matched",
    "SESSIONS_MAY_MERGE": "Sessions of different users may merge",
    "SESSION_KEYS_DIFFER": "Submissions not linked by session",
    "DEAL_SIZE_DIFFERS": "Deal size differs",
    "JOIN_RATE_MISMATCH": "Join rates differ",
    "WON_WITHOUT_CLOSE_DATE": "Won deals without a close date",
    "WON_BEFORE_SUBMISSION": "Won deals closed before the submission",
    "IMMATURE_VIEWS_LEFT_OUT": "Recent views left out",
}


def plain(key: object) -> str:
    """Words for ``key``: from :data:`PLAIN`, else the key with spaces for underscores."""
    text = str(key)
    if text in PLAIN:
        return PLAIN[text]
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:].lower() if text.isupper() else words


T = TypeVar("T")
_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*([kKmM]?)")


def _first_number(text: str) -> float | None:
    m = _NUMBER.search(text)
    if m is None:
        return None
    value = float(m.group(1).replace(",", ""))
    scale = {"k": 1e3, "m": 1e6}.get(m.group(2).lower(), 1.0)
    below = text.lstrip().startswith(("<", "under", "Under", "less", "Less", "up to", "Up to"))
    return value * scale - (0.5 if below else 0.0)


def natural_order(items: Sequence[T], label: Sequence[str]) -> list[T]:
    """``items`` in the natural order of their labels when the labels are numbers or ranges
    (``1-10, 11-50, 51-200, 201-1000, 1000+``; ``<10``, ``10k-50k``), else as given.
    Labels without a number (``Other``, ``(blank)``) go last, in their given order."""
    keys = [_first_number(str(x)) for x in label]
    numbered = [k for k in keys if k is not None]
    if len(numbered) < 2 or len(numbered) < 0.6 * len(keys):
        return list(items)
    order = sorted(range(len(items)), key=lambda i: (keys[i] is None,
                                                     keys[i] if keys[i] is not None else math.inf,
                                                     i))
    return [items[i] for i in order]
