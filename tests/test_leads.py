"""Which leads are won: hand-made leads and deals, each row named by the rule it shows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from formfit.config import Settings
from formfit.inputs import FieldSpec, FormsConfig, FormSpec, FormVersion, Inputs
from formfit.leads import lead_outcomes

AS_OF = date(2025, 12, 31)
FORMS = FormsConfig(
    forms={
        "demo": FormSpec("demo", (FormVersion(None, ("email", "phone")),)),
        "pricing": FormSpec("pricing", (FormVersion(date(2025, 1, 1), ("email", "budget")),
                                        FormVersion(date(2025, 7, 1), ("email",)))),
    },
    fields={"email": FieldSpec("email", protected="contact")},
)


def _day(offset_from_as_of: int) -> pd.Timestamp:
    return pd.Timestamp(AS_OF) - pd.Timedelta(days=offset_from_as_of)


# lead key -> (form, days before as_of it was submitted)
LEADS = {
    "won_in_h": ("demo", 200),
    "won_after_h": ("demo", 200),
    "open_mature": ("demo", 200),
    "lost_mature": ("demo", 200),
    "no_deal_mature": ("demo", 200),
    "open_young": ("demo", 30),
    "no_deal_young": ("demo", 30),
    "won_young": ("demo", 30),
    "two_wins": ("pricing", 250),
    "lost_then_won": ("pricing", 100),
    "after_as_of": ("demo", -3),
}


def _deal(key: str, outcome: str, created: int, closed: int | None,
          amount: float = np.nan) -> dict[str, object]:
    sub = _day(LEADS[key][1])
    return {"lead_key": key, "outcome": outcome, "amount": amount,
            "created_at": sub + pd.Timedelta(days=created),
            "closed_at": sub + pd.Timedelta(days=closed) if closed is not None else pd.NaT}


DEALS = [
    _deal("won_in_h", "won", 5, 60, 1000.0),
    _deal("won_after_h", "won", 5, 150, 2000.0),
    _deal("open_mature", "open", 5, None),
    _deal("lost_mature", "lost", 5, 20),
    _deal("open_young", "open", 2, None),
    _deal("won_young", "won", 2, 20, 500.0),
    _deal("two_wins", "won", 1, 10, 100.0),
    _deal("two_wins", "won", 1, 30, 300.0),
    _deal("lost_then_won", "lost", 1, 10),
    _deal("lost_then_won", "won", 20, 80, 50.0),
]


def _inputs(*, deals: bool = True, dates: bool = True, index: list[int] | None = None) -> Inputs:
    subs = pd.DataFrame({
        "lead_key": list(LEADS),
        "form_id": [f for f, _ in LEADS.values()],
        "submitted_at": [_day(d) + pd.Timedelta(hours=13) for _, d in LEADS.values()],
        "device": ["mobile", "desktop"] * 5 + ["mobile"],
        "email": "x@y.z",
    }, index=index)
    if not dates:
        subs["submitted_at"] = pd.NaT
    return Inputs(submissions=subs, fields=("email", "phone", "budget"), forms=FORMS,
                  deals=pd.DataFrame(DEALS) if deals else None, segments=("device",),
                  as_of=AS_OF)


def test_maturity_window_rules() -> None:
    out = lead_outcomes(_inputs(), Settings(maturity_days=90))
    leads = out.leads.set_index("lead_key")
    assert out.horizon_days == 90 and out.horizon_basis == "set by maturity_days"
    expect_won = {"won_in_h": 1.0, "won_after_h": 0.0, "open_mature": 0.0, "lost_mature": 0.0,
                  "no_deal_mature": 0.0, "two_wins": 1.0, "lost_then_won": 1.0}
    for key, w in expect_won.items():
        assert leads.loc[key, "judged"], key
        assert leads.loc[key, "won"] == w, key
    for key in ("open_young", "no_deal_young", "won_young"):
        assert not leads.loc[key, "judged"]
        assert np.isnan(leads.loc[key, "won"])
        assert leads.loc[key, "held_out_reason"] == "too_young"
    assert leads.loc["after_as_of", "held_out_reason"] == "submitted_after_as_of"
    assert dict(out.held_out) == {"submitted_after_as_of": 1, "too_young": 3}
    # revenue: won deals within h only
    assert leads.loc["won_in_h", "revenue"] == 1000.0
    assert leads.loc["won_after_h", "revenue"] == 0.0
    assert leads.loc["two_wins", "revenue"] == 400.0
    assert leads["has_deal"].sum() == 8


def test_columns_index_versions_and_dates() -> None:
    inp = _inputs(index=list(range(100, 100 + len(LEADS))))
    out = lead_outcomes(inp, Settings(maturity_days=90))
    leads = out.leads
    assert leads.index.equals(inp.submissions.index)
    for col in ("lead_key", "form_id", "version", "date", "device", "judged", "won", "revenue",
                "held_out_reason"):
        assert col in leads.columns
    assert leads["date"].dtype == "datetime64[ns]"
    assert (leads["date"] == leads["date"].dt.normalize()).all()
    v = leads.set_index("lead_key")["version"]
    assert v["two_wins"] == 0  # submitted in April, before pricing's 1 July change
    assert v["lost_then_won"] == 1  # submitted in September
    assert v["won_in_h"] == 0


def test_settings_as_of_reads_deals_as_they_stood() -> None:
    # as_of 101 days earlier: won_in_h (submitted 200 days before 31 Dec, closed at day 60)
    # is known; won_after_h (closed at day 150, i.e. 50 days before 31 Dec) was still open.
    early = date(2025, 9, 21)
    out = lead_outcomes(_inputs(), Settings(maturity_days=90, as_of=early))
    leads = out.leads.set_index("lead_key")
    assert out.as_of == early
    assert leads.loc["won_in_h", "won"] == 1.0
    assert leads.loc["won_after_h", "won"] == 0.0
    assert leads.loc["won_after_h", "event"] == 0  # censored in the competing-risks view
    assert leads.loc["lost_then_won", "held_out_reason"] == "submitted_after_as_of"


def test_too_few_wins_for_completion_factors_fall_back_to_a_stated_default() -> None:
    out = lead_outcomes(_inputs(), Settings())
    # five dated wins cannot say when wins stop arriving: the default, said so
    assert out.horizon_days == 90 and out.timing is None
    assert "too few dated wins" in out.horizon_basis
    assert "WIN_HORIZON_DEFAULT" in [n.code for n in out.notices]
    assert out.cells is not None and int(out.cells.cells["leads"].sum()) == len(LEADS) - 1


def test_no_dates_holds_out_open_deals_never_counts_them_lost() -> None:
    out = lead_outcomes(_inputs(dates=False), Settings())
    leads = out.leads.set_index("lead_key")
    assert [n.code for n in out.notices] == ["NO_MATURITY_WINDOW"]
    assert not out.window and out.horizon_days is None
    for key in ("open_mature", "open_young"):
        assert leads.loc[key, "held_out_reason"] == "open_deal_no_dates"
        assert np.isnan(leads.loc[key, "won"])
    assert leads.loc["won_after_h", "won"] == 1.0  # no window: won is won
    assert leads.loc["no_deal_young", "won"] == 0.0  # no deal: not won (contract)
    assert leads.loc["lost_mature", "won"] == 0.0
    assert dict(out.held_out) == {"open_deal_no_dates": 2}
    assert out.cumulative_incidence.empty


def test_no_outcomes_judges_nothing() -> None:
    out = lead_outcomes(_inputs(deals=False), Settings())
    assert [n.code for n in out.notices] == ["NO_OUTCOMES"]
    assert out.leads["won"].isna().all()
    assert not out.leads["judged"].any()
    assert dict(out.held_out) == {"no_outcomes": len(LEADS)}


def test_competing_risks_coding() -> None:
    out = lead_outcomes(_inputs(), Settings(maturity_days=90))
    leads = out.leads.set_index("lead_key")
    ev = leads["event"]
    assert ev["won_in_h"] == 1 and leads.loc["won_in_h", "event_days"] == 60
    assert ev["won_young"] == 1 and leads.loc["won_young", "event_days"] == 20
    assert ev["lost_mature"] == 2 and leads.loc["lost_mature", "event_days"] == 20
    assert ev["open_mature"] == 0 and leads.loc["open_mature", "event_days"] == 200
    assert ev["no_deal_young"] == 0 and leads.loc["no_deal_young", "event_days"] == 30
    assert ev["lost_then_won"] == 1 and leads.loc["lost_then_won", "event_days"] == 80
    assert pd.isna(ev["after_as_of"])
    cif = out.cumulative_incidence
    demo = cif.loc[(cif["form_id"] == "demo") & cif["version"].isna()].iloc[0]
    assert demo["leads"] == 8 and demo["won"] == 3
    assert demo["cutoff_leads"] == 5 and demo["cutoff_rate"] == pytest.approx(0.2)


def test_aalen_johansen_equals_cutoff_when_every_lead_is_mature() -> None:
    from formfit.models.censoring import demo_world

    inp, _ = demo_world(5, leads_per_day=3.0)
    inp.submissions = inp.submissions.loc[
        inp.submissions["submitted_at"] <= pd.Timestamp("2025-06-30")].copy()
    out = lead_outcomes(inp, Settings(maturity_days=120, as_of=date(2025, 12, 31)))
    # leads of H1 2025 are all older than 183 days; AJ at h has no censoring before h
    cif = out.cumulative_incidence.dropna(subset=["version"])
    assert np.allclose(cif["cif"], cif["cutoff_rate"], atol=1e-12)


def test_revenue_cap_is_p999_of_won_revenue() -> None:
    out = lead_outcomes(_inputs(), Settings(maturity_days=90))
    # every lead won by as_of with a known amount, whatever its age or win time
    won_rev = [1000.0, 2000.0, 500.0, 400.0, 50.0]
    assert out.revenue_cap == pytest.approx(float(np.quantile(won_rev, 0.999)))
    assert (out.leads["revenue_capped"] <= out.revenue_cap + 1e-9).all()
    assert out.cells is not None
    assert float(out.cells.cells["rev_n"].sum()) == 5
    assert float(out.cells.cells["rev_sum"].sum()) == pytest.approx(
        sum(min(r, out.revenue_cap) for r in won_rev))


def test_wins_closed_before_the_submission_are_named(tmp_path: Path) -> None:
    """A lead whose won deal closed before it submitted the form (an existing customer) counts
    as won at submission, as before, and a warning now says how many such leads there are."""
    import json

    from typer.testing import CliRunner

    from formfit.cli import app

    rows = ["email,form_id,submitted_at,company_size"]
    deals = ["email,outcome,created_at,closed_at"]
    for i in range(40):
        rows.append(f"p{i}@acme.example,f1,2025-03-{1 + i % 28:02d} 10:00,{10 + i % 3}")
        closed = "2025-02-01" if i < 3 else f"2025-04-{1 + i % 28:02d}"
        deals.append(f"p{i}@acme.example,{'won' if i % 2 == 0 else 'lost'},2025-01-15,{closed}")
    (tmp_path / "s.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "o.csv").write_text("\n".join(deals) + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["analyze", "-s", str(tmp_path / "s.csv"), "--outcomes",
                                   str(tmp_path / "o.csv"), "--format", "json", "-q"])
    assert res.exit_code == 0, res.output
    early = [w for w in json.loads(res.stdout)["warnings"] if w["code"] == "WON_BEFORE_SUBMISSION"]
    assert len(early) == 1 and early[0]["leads"] == 2  # p0 and p2 won; p1 lost
    assert early[0]["message"].startswith("2 won leads' first won deal closed before")
