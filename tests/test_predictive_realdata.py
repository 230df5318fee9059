"""Predictive value on real exports: X Education leads and the Maven CRM pipeline (null case).

The files live in shared/realdata (see their SOURCE.md); the tests skip when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from formfit.models.predictive import FieldAssessment, assess_fields
from formfit.models.values import min_level_size

ROOT = Path(__file__).resolve().parents[1]
REAL = next((p / "shared" / "realdata" for p in (ROOT.parent, ROOT, Path("/work"))
             if (p / "shared" / "realdata").is_dir()), ROOT.parent / "shared" / "realdata")
LEADS = REAL / "x_education_leads" / "Leads.csv"
MAVEN = REAL / "maven_crm_sales_opportunities"

DROPDOWNS = ["Specialization", "How did you hear about X Education",
             "What is your current occupation", "What matters most to you in choosing a course",
             "City", "Country", "Lead Source", "Do Not Email",
             "A free copy of Mastering The Interview"]
LEAKY = ["Tags", "Lead Quality", "Last Activity", "Last Notable Activity"]
CONSTANT = ["Magazine", "Receive More Updates About Our Courses",
            "I agree to pay the amount through cheque", "Update me on Supply Chain Content",
            "Get updates on DM Content"]


@pytest.fixture(scope="module")
def xed() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, dict[str, FieldAssessment]]:
    if not LEADS.exists():
        pytest.skip("shared/realdata is not available")
    d = pd.read_csv(LEADS, dtype="str", keep_default_na=False, na_values=[""])
    d = d.set_index("Prospect ID")
    d["form_id"] = d["Lead Origin"]  # the capture path is the closest thing to a form
    won = d["Converted"].astype(float)  # every lead is judged
    fields = DROPDOWNS + LEAKY + CONSTANT + ["TotalVisits"]
    # a field is on a form when any of that form's leads has a value (as formfit infers it)
    shown = pd.DataFrame({f: d.groupby("form_id")[f].transform(lambda s: s.notna().any())
                          for f in fields}).astype(bool)
    return d, shown, won, assess_fields(d, fields, shown, won)


def _hand_iv(values: pd.Series, won: pd.Series) -> float:
    """IV by plain pandas, with formfit's level rules written out: 'Select' is junk, empty is
    blank, values with fewer than max(30, 1%) leads (here 93) pool into 'other', and a pooled
    'other' / 'blank' / 'junk' level that is still that small counts with the largest level.
    A real answer 'Other' joins the pooled 'other'."""
    level = values.fillna("blank").where(values != "Select", "junk").replace({"Other": "other"})
    limit = min_level_size(len(values))
    counts = level.value_counts()
    rare = counts.index[(counts < limit) & ~counts.index.isin(["blank", "junk", "other"])]
    level = level.where(~level.isin(rare), "other")
    counts = level.value_counts()
    largest = counts.idxmax()
    small = counts.index[(counts < limit) & counts.index.isin(["other", "blank", "junk"])]
    level = level.where(~level.isin(small), largest)
    g = won.groupby(level).agg(["sum", "size"])
    w, lo = g["sum"], g["size"] - g["sum"]
    k, big_w, big_l = len(g), w.sum(), lo.sum()
    pw, pl = (w + 0.5) / (big_w + 0.5 * k), (lo + 0.5) / (big_l + 0.5 * k)
    return max(0.0, float(((pw - pl) * np.log(pw / pl)).sum())
               - (k - 1) * (1 / big_w + 1 / big_l))


def test_select_is_junk(xed: tuple[pd.DataFrame, pd.DataFrame, pd.Series,
                                   dict[str, FieldAssessment]]) -> None:
    d, shown, _, res = xed
    for f in ("Specialization", "How did you hear about X Education", "City"):
        on = shown[f]
        assert res[f].junk_rate == pytest.approx(float((d.loc[on, f] == "Select").mean()))
        assert res[f].fill_rate == pytest.approx(
            float((d.loc[on, f].notna() & (d.loc[on, f] != "Select")).mean()))
        assert res[f].junk_rate > 0.2
        junk = [v for v in res[f].predictive.win_rate_by_value if v.value == "junk"]
        assert junk and junk[0].leads == int((d.loc[on, f] == "Select").sum())


def test_dropdowns_get_predictive_values(xed: tuple[pd.DataFrame, pd.DataFrame, pd.Series,
                                                    dict[str, FieldAssessment]]) -> None:
    _, _, _, res = xed
    for f in ("Specialization", "How did you hear about X Education",
              "What is your current occupation", "City", "Country", "Lead Source"):
        p = res[f].predictive
        assert p.kind == "categorical", f
        assert p.information_value is not None and p.lr_p_value is not None, f
        assert "POSSIBLE_LEAKAGE" not in p.codes, f
        assert 2 <= len(p.win_rate_by_value) <= 12
    assert res["What is your current occupation"].predictive.q_value < 1e-10
    assert res["TotalVisits"].predictive.kind == "numeric"


def test_leaky_fields_flagged(xed: tuple[pd.DataFrame, pd.DataFrame, pd.Series,
                                         dict[str, FieldAssessment]]) -> None:
    _, _, _, res = xed
    for f in LEAKY:
        assert "POSSIBLE_LEAKAGE" in res[f].predictive.codes, f
        assert any(nt.code == "POSSIBLE_LEAKAGE" and nt.details["field"] == f
                   for nt in res[f].notices)
    flagged = {f for f, a in res.items() if "POSSIBLE_LEAKAGE" in a.predictive.codes}
    assert flagged == set(LEAKY)


def test_constant_columns(xed: tuple[pd.DataFrame, pd.DataFrame, pd.Series,
                                     dict[str, FieldAssessment]]) -> None:
    _, _, _, res = xed
    for f in CONSTANT:
        p = res[f].predictive
        assert p.kind == "constant" and "CONSTANT" in p.codes, f
        assert p.lr_p_value is None and p.information_value == 0.0


def test_iv_ranking_matches_hand_computation(
        xed: tuple[pd.DataFrame, pd.DataFrame, pd.Series, dict[str, FieldAssessment]]) -> None:
    d, shown, won, res = xed
    top = ["What is your current occupation", "How did you hear about X Education",
           "Specialization", "City", "Country", "Do Not Email"]
    hand = {f: _hand_iv(d.loc[shown[f], f], won[shown[f]]) for f in top}
    for f in top:
        assert res[f].predictive.information_value == pytest.approx(hand[f], abs=1e-9), f
    ours = sorted(top, key=lambda f: -(res[f].predictive.information_value or 0.0))
    assert ours == sorted(top, key=lambda f: -hand[f])
    assert ours[0] == "What is your current occupation"


def test_maven_deals_null_case() -> None:
    """Maven CRM: win rates are flat across accounts (61-65% by sector). With each closed deal
    as a lead carrying its account's attributes, no attribute should carry signal."""
    if not MAVEN.exists():
        pytest.skip("shared/realdata is not available")
    acc = pd.read_csv(MAVEN / "accounts.csv", dtype="str")
    pipe = pd.read_csv(MAVEN / "sales_pipeline.csv", dtype="str")
    closed = pipe[pipe["deal_stage"].isin(["Won", "Lost"])]
    d = closed.merge(acc, on="account", how="left").reset_index(drop=True)
    fields = ["sector", "year_established", "revenue", "employees", "office_location",
              "subsidiary_of"]
    won = (d["deal_stage"] == "Won").astype(float)
    shown = pd.DataFrame(True, index=d.index, columns=fields)
    res = assess_fields(d[fields], fields, shown, won)
    for f in fields:
        q = res[f].predictive.q_value
        assert q is not None and q > 0.05, (f, q)
    # the 85 accounts as leads: every account has a win, so nothing can be tested
    by_acc = acc.set_index("account")
    won_acc = closed.groupby("account")["deal_stage"].agg(lambda s: float((s == "Won").any()))
    won_acc = won_acc.reindex(by_acc.index)
    res = assess_fields(by_acc, fields, pd.DataFrame(True, index=by_acc.index, columns=fields),
                        won_acc)
    for f in fields:
        p = res[f].predictive
        assert p.lr_p_value is None and "SMALL_SAMPLE" in p.codes
