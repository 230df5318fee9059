"""Sample ratio mismatch and per-form summaries on hand-made counts.

Reference: ``scipy.stats.chisquare([5000, 4000], [4500, 4500])`` gives chi2 = 111.1,
p = 5.5e-26 (a broken split); ``[5030, 4970]`` gives chi2 = 0.36, p = 0.55 (a clean one).
"""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from formfit.inputs import FormsConfig, FormSpec, FormVersion
from formfit.models.forms_summary import form_summaries
from formfit.models.srm import planned_shares, sample_ratio_checks, views_without_submissions
from formfit.models.stats import wilson


def forms(traffic: tuple[float | None, ...] = (None, None)) -> FormsConfig:
    out = {f"v{i}": FormSpec(f"v{i}", (FormVersion(None, ("email",)),), experiment="demo",
                             traffic=t) for i, t in enumerate(traffic)}
    out["solo"] = FormSpec("solo", (FormVersion(None, ("email", "phone")),))
    return FormsConfig(forms=out, fields={})


def vc(counts: dict[str, int]) -> pd.DataFrame:
    rows = []
    for f, n in counts.items():  # split over two days to check summing
        rows += [{"form_id": f, "date": pd.Timestamp("2025-01-01"), "views": n // 2,
                  "submissions": n // 20},
                 {"form_id": f, "date": pd.Timestamp("2025-01-02"), "views": n - n // 2,
                  "submissions": n // 20}]
    return pd.DataFrame(rows)


def test_broken_split_is_flagged() -> None:
    checks, notices = sample_ratio_checks(vc({"v0": 5000, "v1": 4000, "solo": 99}), forms())
    (c,) = checks
    ref = stats.chisquare([5000, 4000], [4500, 4500])
    assert c["experiment"] == "demo" and c["status"] == "mismatch"
    assert c["chi2"] == pytest.approx(ref.statistic)
    assert c["p_value"] == pytest.approx(ref.pvalue)
    assert [v["planned_share"] for v in c["variants"]] == [0.5, 0.5]
    assert c["variants"][0]["observed_share"] == pytest.approx(5000 / 9000)
    (n,) = notices
    assert n.code == "SAMPLE_RATIO_MISMATCH"
    assert "randomization is in doubt" in n.message and "not trust" in n.message


def test_clean_split_is_not_flagged() -> None:
    checks, notices = sample_ratio_checks(vc({"v0": 5030, "v1": 4970}), forms())
    assert checks[0]["status"] == "ok" and not notices
    assert checks[0]["p_value"] == pytest.approx(stats.chisquare([5030, 4970]).pvalue)


def test_planned_traffic_is_the_reference() -> None:
    f = forms((0.7, 0.3))
    ok, n_ok = sample_ratio_checks(vc({"v0": 7010, "v1": 2990}), f)
    bad, n_bad = sample_ratio_checks(vc({"v0": 5000, "v1": 5000}), f)
    assert ok[0]["status"] == "ok" and not n_ok
    assert bad[0]["status"] == "mismatch" and n_bad


def test_planned_shares_normalise_and_fill() -> None:
    assert planned_shares([None, None, None]) == pytest.approx([1 / 3] * 3)
    assert planned_shares([0.5, None, None]) == pytest.approx([0.5, 0.25, 0.25])
    assert planned_shares([2.0, 2.0]) == pytest.approx([0.5, 0.5])


def test_no_views_no_checks() -> None:
    assert sample_ratio_checks(None, forms()) == ([], [])
    assert sample_ratio_checks(vc({"solo": 10}), forms()) == ([], [])


def test_a_variant_without_views_is_a_mismatch() -> None:
    checks, notices = sample_ratio_checks(vc({"v0": 5000}), forms())
    assert checks[0]["status"] == "mismatch" and notices


def test_form_summaries_with_wilson_intervals() -> None:
    out = form_summaries(vc({"v0": 1000, "v1": 800}), {"v0": 100, "v1": 80, "solo": 7,
                                                       "other": 3}, forms())
    by = {s.form_id: s for s in out}
    assert [s.form_id for s in out] == ["v0", "v1", "solo", "other"]
    assert by["v0"].views == 1000 and by["v0"].submissions == 100
    assert by["v0"].conversion_rate == pytest.approx(100 / 1000)
    assert (by["v0"].ci_low, by["v0"].ci_high) == pytest.approx(wilson(100, 1000))
    assert by["v0"].experiment == "demo" and by["solo"].fields == ("email", "phone")
    assert by["solo"].views is None and by["solo"].conversion_rate is None
    assert by["solo"].submissions == 7


def test_form_summaries_without_views() -> None:
    out = form_summaries(None, pd.Series({"v0": 4}), forms())
    assert all(s.views is None and s.conversion_rate is None for s in out)
    assert {s.form_id: s.submissions for s in out}["v0"] == 4


@pytest.mark.parametrize("k, n", [(0, 7), (0, 2770), (7, 7), (313, 313)])
def test_wilson_bounds_at_zero_and_all_successes_are_exact(k: int, n: int) -> None:
    """At 0 successes the lower bound is 0 exactly (rounding printed 4.3e-19 in the JSON),
    at n the upper bound 1, and the other bound is the Wilson one."""
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = wilson(k, n)
    ref_lo, ref_hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    if k == 0:
        assert lo == 0.0 and hi == pytest.approx(ref_hi, rel=1e-9)
    else:
        assert hi == 1.0 and lo == pytest.approx(ref_lo, rel=1e-9)


def _cells(rows: list[tuple[str, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["form_id", "version", "views", "submissions"])


def test_a_form_with_views_and_no_submission_is_named() -> None:
    # v1 converts at 5% (the lowest other rate): 200 views with none has chance
    # 0.95^200 = 3.5e-5 < 0.001, a tracking break; 100 views (0.95^100 = 0.006) is chance
    cells = _cells([("v0", 0, 1000, 100), ("v1", 0, 1000, 50), ("solo", 0, 200, 0)])
    (n,) = views_without_submissions(cells, forms())
    assert n.code == "NO_SUBMISSIONS_TRACKED"
    assert n.details["form_id"] == "solo" and n.details["version"] is None
    assert n.details["views"] == 200 and n.details["reference_rate"] == pytest.approx(0.05)
    assert "Form solo had 200 views but no submission" in n.message
    assert "about 10" in n.message
    assert views_without_submissions(_cells([("v0", 0, 1000, 100), ("v1", 0, 1000, 50),
                                ("solo", 0, 100, 0)]), forms()) == []


def test_a_reference_needs_100_views_and_a_converting_form() -> None:
    # the only other form has 99 views: no rate to compare with, no claim
    few = _cells([("v0", 0, 99, 30), ("solo", 0, 5000, 0)])
    assert views_without_submissions(few, forms()) == []
    # a form that converts nobody is no reference either
    none = _cells([("v0", 0, 1000, 0), ("solo", 0, 5000, 0)])
    assert views_without_submissions(none, forms()) == []


def test_a_silent_form_version_is_named_with_its_start() -> None:
    from datetime import date

    spec = FormSpec("p", (FormVersion(None, ("email",)),
                          FormVersion(date(2025, 5, 1), ("email", "phone"))))
    config = FormsConfig(forms={"p": spec}, fields={})
    (n,) = views_without_submissions(_cells([("p", 0, 3000, 300), ("p", 1, 500, 0)]), config)
    assert n.details == {"form_id": "p", "version": 1, "views": 500, "reference_rate": 0.1}
    assert "Form p (its version from 2025-05-01) had 500 views" in n.message
    assert "other versions (10.00%)" in n.message
    # a version that converts is not flagged, nor is the whole form twice over
    assert views_without_submissions(_cells([("p", 0, 3000, 300), ("p", 1, 500, 3)]), config) == []


def _days(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["form_id", "date", "views", "submissions"])
    return out.assign(date=pd.to_datetime(out["date"]), version=0)


def test_views_past_the_last_submission_are_named_and_left_out_of_the_form_check() -> None:
    # 10% conversion on 1-3 Jan; 4-5 Jan: 40 views, none converted (expected 4: chance
    # e^-4 = 0.018, not named); 4-6 Jan with 100 views (expected 10: e^-10 < 0.001) is named
    base = [("v0", "2025-01-01", 100, 10), ("v1", "2025-01-02", 100, 10),
            ("v0", "2025-01-03", 100, 10)]
    assert views_without_submissions(_days(base + [("v0", "2025-01-04", 20, 0),
                                      ("v1", "2025-01-05", 20, 0)]), forms()) == []
    late = [("v0", "2025-01-04", 40, 0), ("v1", "2025-01-05", 30, 0),
            ("solo", "2025-01-06", 30, 0)]
    (n,) = views_without_submissions(_days(base + late), forms())
    assert n.code == "VIEWS_OUTSIDE_SUBMISSIONS"
    assert n.details == {"side": "after", "first_day": "2025-01-04", "last_day": "2025-01-06",
                         "days": 3, "views": 100, "expected_submissions": 10.0}
    assert n.message.startswith("The views go on for 3 days after the last submission "
                                "(2025-01-03): 100 views from 2025-01-04 to 2025-01-06")
    # solo's views all fall after the submissions: the window, not its tracking, is named


def test_views_before_the_first_submission_need_two_days() -> None:
    base = [("v0", "2025-01-05", 100, 10), ("v1", "2025-01-06", 100, 10)]
    one_day = [("v0", "2025-01-04", 500, 0)]  # a time-zone edge can empty one day
    assert views_without_submissions(_days(one_day + base), forms()) == []
    two_days = [("v0", "2025-01-03", 250, 0), ("v1", "2025-01-04", 250, 0)]
    (n,) = views_without_submissions(_days(two_days + base), forms())
    assert n.details["side"] == "before" and n.details["views"] == 500
    assert "start 2 days before the first submission (2025-01-05)" in n.message


def test_both_checks_share_the_binomial_rule() -> None:
    """At 10% conversion, 66 views without a submission have chance 0.9^66 = 0.00096 and are
    named, 65 views (0.0011) are not: the same for a silent form and for uncovered days."""
    assert 0.9 ** 66 < 0.001 < 0.9 ** 65
    base = [("v0", "2025-01-03", 500, 50), ("v1", "2025-01-04", 500, 50)]
    for views, named in ((66, True), (65, False)):
        days = [("v0", "2025-01-05", views // 2, 0), ("v1", "2025-01-06", views - views // 2, 0)]
        assert bool(views_without_submissions(_days(base + days), forms())) is named
        form = _cells([("v0", 0, 1000, 100), ("v1", 0, 1000, 100), ("solo", 0, views, 0)])
        assert bool(views_without_submissions(form, forms())) is named
