"""Hand-built worlds with exact answers: daily view counts, one lead per submission, and each
lead's deal, written as the three CSV files analyze reads (views.csv, submissions.csv,
outcomes.csv)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

#: one form's day: form id, day, views, submissions, share of its leads won, shows phone
Day = tuple[str, dt.date, int, int, float, bool]


def write_daily_world(out: Path, days: Iterable[Day], *, close_after: Callable[[bool], int],
                      export: dt.date | None = None) -> None:
    """Write the world. The first round(subs x q) leads of a form's day win, the rest lose;
    a deal closes ``close_after(won)`` days after submission, and one that would close on or
    after ``export`` is still open (no close date)."""
    with open(out / "views.csv", "w", newline="") as v, \
            open(out / "submissions.csv", "w", newline="") as s, \
            open(out / "outcomes.csv", "w", newline="") as o:
        vw, sw, ow = csv.writer(v), csv.writer(s), csv.writer(o)
        vw.writerow(["form_id", "date", "views", "submissions"])
        sw.writerow(["lead_id", "form_id", "submitted_at", "email", "phone"])
        ow.writerow(["lead_id", "outcome", "amount", "created_at", "closed_at"])
        n = 0
        for form, day, views, subs, q, phone in days:
            vw.writerow([form, day.isoformat(), views, subs])
            for k in range(subs):
                n += 1
                sw.writerow([f"L{n}", form, f"{day} 10:00:00", f"l{n}@x.example",
                             "555 0100" if phone else ""])
                won = k < round(subs * q)
                closed = day + dt.timedelta(days=close_after(won))
                if export is not None and closed >= export:
                    ow.writerow([f"L{n}", "open", "", day.isoformat(), ""])
                else:
                    ow.writerow([f"L{n}", "won" if won else "lost", 1000 if won else "",
                                 day.isoformat(), closed.isoformat()])
