"""One kind of evidence per field: a field's won-deal effects rest on the comparison its
conversion effect rests on, never on a weaker one standing in for it.

The world: a control form; form ``p`` dropped ``phone`` on day 100 (before/after: conversion
10% -> 15%, win rate 30% both); and, in the last 15 days, an A/B experiment ``e`` where the
arm without phone converts 12% against 10% but wins 10% of its leads against 30% (12 against
30 won deals per 1,000 views). Deals close 40 days after submission, so at the export date
every deal of the experiment is still open.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

from daily_world import Day, write_daily_world
from typer.testing import CliRunner

from formfit.cli import app

START = dt.date(2025, 1, 1)
DAYS = 200
FORMS = """version: 1
forms:
  c:
    fields: [email]
  p:
    versions:
      - since: 2025-01-01
        fields: [email, phone]
      - since: 2025-04-11
        fields: [email]
  ea:
    experiment: e
    fields: [email, phone]
  eb:
    experiment: e
    fields: [email]
"""


def _world(out: Path, export: dt.date) -> None:
    def days() -> Iterator[Day]:
        for d in range(DAYS):
            day = START + dt.timedelta(days=d)
            yield ("c", day, 500, 50, 0.3, False)
            yield ("p", day, 500, 50 if d < 100 else 75, 0.3, d < 100)
            if d >= DAYS - 15:
                yield ("ea", day, 1000, 100, 0.3, True)
                yield ("eb", day, 1000, 120, 0.1, False)

    write_daily_world(out, days(), close_after=lambda won: 40 if won else 20, export=export)
    (out / "forms.yaml").write_text(FORMS)


def _phone(tmp_path: Path, export: dt.date) -> dict:  # type: ignore[type-arg]
    _world(tmp_path, export)
    r = CliRunner().invoke(app, [
        "analyze", "--submissions", str(tmp_path / "submissions.csv"),
        "--views", str(tmp_path / "views.csv"), "--outcomes", str(tmp_path / "outcomes.csv"),
        "--forms", str(tmp_path / "forms.yaml"), "--as-of", export.isoformat(),
        "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    return {"field": next(f for f in result["fields"] if f["field"] == "phone"),
            "models": result["models"]}


def test_young_experiment_gives_no_won_deal_effect_from_before_after(tmp_path: Path) -> None:
    got = _phone(tmp_path, START + dt.timedelta(days=DAYS))
    phone, de = got["field"], got["field"]["drop_effect"]
    # labelled randomized, its conversion effect is the experiment's: +2 pp
    assert de["evidence"] == "randomized"
    assert abs(de["conversion_pp"]["estimate"] - 2.0) < 1e-6
    # before, form p's before/after (+15 per 1,000 views, the wrong sign) stood in for the
    # experiment's unknown won deals, and phone was dropped "on randomized evidence"
    for key in ("win_rate_pp", "wins_per_1k_views", "revenue_per_1k_views"):
        assert de[key]["estimate"] is None, key
    assert de["wins_per_1k_views"]["code"] == "NOT_MATURE"
    assert phone["verdict"] == "test"
    assert "not known yet" in phone["reason"] and "too young" in phone["reason"]


def test_mature_experiment_gives_its_own_won_deal_effect(tmp_path: Path) -> None:
    # the same world exported 60 days after its last submission: the experiment's deals are in
    got = _phone(tmp_path, START + dt.timedelta(days=DAYS + 60))
    de = got["field"]["drop_effect"]
    assert de["evidence"] == "randomized"
    w = de["wins_per_1k_views"]
    # the experiment's truth: 12 - 30 = -18 won deals per 1,000 views
    assert w["ci_low"] < -18.0 < w["ci_high"]
    blocks = [b["id"] for b in got["models"]["wins"]["wins_per_1k_views"]["blocks"]]
    assert any("experiment e" in b for b in blocks), blocks
