"""Property: every input row is accounted for, whatever duplicates, repeats, unknown forms and
blank keys the exports hold: ``rows_read == rows_used + sum(excluded)``, and rows_used is the
number of rows that reach the frames."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formfit.config import Settings
from formfit.io import load_inputs

KEYS = st.sampled_from(["L1", "L2", "L3", "L4", "L5", ""])
FORMS = st.sampled_from(["a", "b", "c", "zz", ""])
DATES = st.sampled_from(["2025-01-01", "2025-01-02T10:00:00", "2025-01-03", ""])
VALUES = st.sampled_from(["", "x", "y"])
SUB_ROW = st.tuples(KEYS, FORMS, DATES, VALUES, VALUES)
DEAL_ROW = st.tuples(st.sampled_from(["L1", "L2", "L9", ""]),
                     st.sampled_from(["won", "lost", "open", "WON"]),
                     st.sampled_from(["", "10", "2.5"]))
VIEW_ROW = st.tuples(FORMS, st.sampled_from(["2025-01-01 09:00", "2025-01-02 10:00", ""]),
                     st.sampled_from(["0", "1"]))


def _csv(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    pd.DataFrame(rows, columns=header, dtype="str").to_csv(path, index=False)


def _rows(base: list[tuple[str, ...]], dup_idx: list[int]) -> list[tuple[str, ...]]:
    """Append exact copies of some rows, as export glitches do."""
    return base + [base[i % len(base)] for i in dup_idx]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subs=st.lists(SUB_ROW, min_size=1, max_size=25),
       sub_dups=st.lists(st.integers(0, 50), max_size=5),
       deals=st.lists(DEAL_ROW, min_size=1, max_size=15),
       deal_dups=st.lists(st.integers(0, 50), max_size=3),
       views=st.lists(VIEW_ROW, min_size=1, max_size=20),
       with_forms=st.booleans())
def test_rows_read_equals_used_plus_excluded(subs: list[tuple[str, ...]], sub_dups: list[int],
                                            deals: list[tuple[str, ...]],
                                            deal_dups: list[int],
                                            views: list[tuple[str, ...]],
                                            with_forms: bool) -> None:
    # at least one analysable submission, so that the file is a valid export
    subs = [("L1", "a", "2025-01-01", "x", "y"), *subs]
    sub_rows = _rows(subs, sub_dups)
    deal_rows = _rows(deals, deal_dups)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        _csv(d / "subs.csv", ["lead_id", "form_id", "submitted_at", "f1", "f2"], sub_rows)
        _csv(d / "deals.csv", ["lead_id", "outcome", "amount"], deal_rows)
        _csv(d / "views.csv", ["form_id", "viewed_at", "submitted"], views)
        forms = None
        if with_forms:
            forms = d / "forms.yaml"
            forms.write_text("forms:\n  a: {fields: [f1, f2]}\n  b: {fields: [f1]}\n"
                             "  c: {fields: [f2, f3]}\n", encoding="utf-8")
        inputs = load_inputs(Settings(submissions=d / "subs.csv", outcomes=d / "deals.csv",
                                      views=d / "views.csv", forms=forms))

    frames = {"submissions": inputs.submissions, "outcomes": inputs.deals}
    read = {"submissions": len(sub_rows), "outcomes": len(deal_rows), "views": len(views)}
    for role, acc in inputs.accounting.items():
        assert acc.rows_read == read[role]
        assert acc.rows_read == acc.rows_used + sum(acc.excluded.values())
        assert all(n > 0 for n in acc.excluded.values())
        frame = frames.get(role)
        if frame is not None:
            assert acc.rows_used == len(frame)
    assert inputs.view_counts is not None
    # row-level views: each used row is one view
    assert int(inputs.view_counts["views"].sum()) == inputs.accounting["views"].rows_used
    subs_frame = inputs.submissions
    assert subs_frame["lead_key"].is_unique
    assert set(subs_frame["form_id"]) <= set(inputs.forms.forms)
    if inputs.deals is not None:
        assert set(inputs.deals["lead_key"]) <= set(subs_frame["lead_key"])
    for reason in inputs.accounting["submissions"].excluded:
        assert reason in {"duplicate_row", "missing_lead_key", "missing_form_id",
                          "unknown_form", "repeat_submission"}
