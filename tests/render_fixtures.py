"""A hand-built AnalysisResult for renderer tests: every verdict, every evidence label, nulls,
an aliased pair, hostile strings, and warnings including SAMPLE_RATIO_MISMATCH.

Built by hand (not by the pipeline or `decide`) so renderer tests depend on `formfit.results`
alone.
"""

from __future__ import annotations

from formfit.results import (
    AnalysisResult,
    DropEffect,
    Estimate,
    FieldResult,
    FormSummary,
    Predictive,
    TestPlan,
    ValueRate,
)

HOSTILE = "<script>alert(1)</script>"
PIPE = "| pipe"


def est(e: float | None, lo: float | None, hi: float | None, p: float | None = None,
        with_p: bool = True) -> Estimate:
    return Estimate(e, lo, hi, p if with_p else None, with_p=with_p)


def w(e: float, lo: float, hi: float) -> Estimate:
    return Estimate(e, lo, hi, with_p=False)


def vr(value: str, leads: int, wins: int, lo: float, hi: float) -> ValueRate:
    return ValueRate(value, leads, wins, wins / leads if leads else None, lo, hi)


def build_result() -> AnalysisResult:
    """Eight fields: keep, make_optional, test (x2), drop (aliased pair + one), protected."""
    phone = FieldResult(
        field="phone", forms=("demo-a",), required=True, fill_rate=0.97, junk_rate=0.04,
        drop_effect=DropEffect(
            evidence="randomized", basis="randomized: experiment demo, 2 variants",
            conversion_pp=est(1.8, 0.6, 3.0, 0.003), win_rate_pp=est(-1.9, -3.1, -0.7, 0.002),
            wins_per_1k_views=w(-2.1, -3.3, -0.9),
            revenue_per_1k_views=w(-41000.0, -70000.0, -12000.0)),
        predictive=Predictive(information_value=0.02, lr_p_value=0.3, q_value=0.41,
                              kind="personal", leads=3200),
        verdict="keep",
        reason="Removing phone would cost 2.1 won deals per 1,000 views (95% CI 0.9 to 3.3), "
               "more than the 0.2 margin, for 1.8 pp more submissions: keep it.")
    company = FieldResult(
        field="company_size", forms=("demo-a", "demo-b"), required=True, fill_rate=0.99,
        junk_rate=0.01,
        drop_effect=DropEffect(
            evidence="randomized", basis="randomized: experiment sizes, 2 variants",
            conversion_pp=est(2.4, 1.1, 3.7, 0.0004), win_rate_pp=est(-0.8, -2.0, 0.4, 0.2),
            wins_per_1k_views=w(-0.2, -0.9, 0.5)),
        predictive=Predictive(
            information_value=0.31, lr_p_value=0.0001, q_value=0.0008, kind="categorical",
            leads=3100,
            win_rate_by_value=(vr("1-10", 900, 45, 0.038, 0.066), vr("11-50", 1100, 121, 0.092,
                                                                        0.131),
                               vr("51-200", 700, 119, 0.144, 0.198),
                               vr("201+", 400, 92, 0.191, 0.273),
                               vr("(not filled)", 20, 0, 0.0, 0.161))),
        verdict="make_optional",
        reason="Requiring company_size costs 2.4 pp of submissions (95% CI 1.1 to 3.7) but its "
               "values predict winning (q < 0.001): make it optional and test that with "
               "41,210 views per arm (about 152 days, including the 90 days its wins need to "
               "arrive).",
        test_plan=TestPlan(views_per_arm=41210, days=152))
    hear = FieldResult(
        field="how_did_you_hear", forms=("pricing",), required=False, fill_rate=0.62,
        junk_rate=0.18,
        drop_effect=DropEffect(evidence="none"),
        predictive=Predictive(information_value=0.01, lr_p_value=0.7, q_value=0.81,
                              kind="text", leads=800),
        verdict="test",
        reason="how_did_you_hear was never removed from any form, so its cost is unmeasured, and "
               "its values do not clearly predict winning (q 0.81); test removing it with "
               "98,000 views per arm (duration unknown without daily views).",
        test_plan=TestPlan(views_per_arm=98000, days=None))
    hostile = FieldResult(
        field=HOSTILE, forms=(PIPE,), required=True, fill_rate=0.5, junk_rate=None,
        drop_effect=DropEffect(
            evidence="observational", basis="observational: versions of form | pipe",
            conversion_pp=est(0.4, -0.6, 1.4, 0.43), win_rate_pp=est(None, None, None),
            wins_per_1k_views=w(0.1, -1.2, 1.4)),
        predictive=Predictive(
            information_value=0.05, lr_p_value=0.2, q_value=0.3, kind="categorical", leads=400,
            win_rate_by_value=(vr(HOSTILE, 200, 20, 0.066, 0.149), vr(PIPE, 150, 9, 0.032, 0.11),
                               vr("a*b_c[d]`e`\nf & g", 50, 1, 0.004, 0.105))),
        verdict="test",
        reason=f"Removing {HOSTILE} would change won deals by +0.1 per 1,000 views (95% CI -1.2 "
               "to +1.4): too uncertain to call against the 0.2 margin; test removing it with "
               "120,000 views per arm (about 160 days, including the 90 days its wins need to "
               "arrive).",
        test_plan=TestPlan(views_per_arm=120000, days=160))
    joint = DropEffect(
        evidence="aliased", basis="aliased: first_name and last_name always appear together",
        conversion_pp=est(1.1, 0.3, 1.9, 0.007), win_rate_pp=est(0.2, -0.5, 0.9, 0.6),
        wins_per_1k_views=w(0.15, -0.05, 0.35))
    first = FieldResult(
        field="first_name", forms=("demo-a", "demo-b"), required=True, fill_rate=1.0,
        junk_rate=0.0, drop_effect=DropEffect(**{**joint.__dict__, "aliased_with": ("last_name",),
                                                 "group": ("first_name", "last_name")}),
        predictive=Predictive(kind="personal", leads=3200),
        verdict="drop",
        reason="Removing first_name and last_name would change won deals by +0.15 per 1,000 "
               "views (95% CI -0.05 to +0.35), within the 0.2 margin, for 1.1 pp more "
               "submissions: drop them (decided together with last_name: they always appear "
               "together).")
    last = FieldResult(
        field="last_name", forms=("demo-a", "demo-b"), required=True, fill_rate=0.99,
        junk_rate=0.0, drop_effect=DropEffect(**{**joint.__dict__, "aliased_with": ("first_name",),
                                                "group": ("first_name", "last_name")}),
        predictive=Predictive(kind="personal", leads=3200),
        verdict="drop",
        reason="Removing first_name and last_name would change won deals by +0.15 per 1,000 "
               "views (95% CI -0.05 to +0.35), within the 0.2 margin, for 1.1 pp more "
               "submissions: drop them (decided together with first_name: they always appear "
               "together).")
    fax = FieldResult(
        field="fax", forms=("pricing",), required=False, fill_rate=0.08, junk_rate=0.6,
        drop_effect=DropEffect(
            evidence="observational", basis="observational: pricing versions since 2025-07-01",
            conversion_pp=est(0.7, 0.1, 1.3, 0.02), win_rate_pp=est(0.3, -0.4, 1.0, 0.4),
            wins_per_1k_views=w(0.05, -0.1, 0.2)),
        predictive=Predictive(information_value=0.0, lr_p_value=0.9, q_value=0.95, kind="text",
                              leads=1200),
        verdict="drop",
        reason="Removing fax would change won deals by +0.05 per 1,000 views (95% CI -0.1 to "
               "+0.2), within the 0.2 margin, for 0.7 pp more submissions: drop it.")
    email = FieldResult(
        field="email", forms=("demo-a", "demo-b", "pricing"), protected=True, required=True,
        fill_rate=1.0, junk_rate=0.02,
        drop_effect=DropEffect(evidence="none"),
        predictive=Predictive(kind="personal", leads=4400, codes=("CONSTANT",)),
        verdict="protected",
        reason="email is protected in the forms config (needed to contact the lead): never "
               "recommended for removal.")
    fields = (phone, company, hear, hostile, first, last, fax, email)
    return AnalysisResult(
        formfit_version="0.1.0",
        as_of="2025-12-31",
        settings={"submissions": "subs.csv", "views": "views.csv", "outcomes": "deals.csv",
                  "forms": "forms.yaml", "config": None, "margin": "2%", "maturity_days": None,
                  "maturity_days_used": 90, "segments": ["device"], "forms_inferred": False},
        inputs={
            "submissions": {"rows_read": 4620, "rows_used": 4400,
                            "excluded": {"duplicate row": 120, "later submission by the same "
                                         "lead": 100},
                            "held_out_from_win_analysis": {"younger than 90 days": 610}},
            "views": {"rows_read": 365, "rows_used": 365, "excluded": {}},
            "outcomes": {"rows_read": 1500, "rows_used": 1460,
                         "excluded": {f"no matching lead {HOSTILE}": 40}},
        },
        forms=(
            FormSummary("demo-a", 52000, 2300, 0.0442, 0.0425, 0.0460, "demo",
                        ("email", "first_name", "last_name", "company_size", "phone")),
            FormSummary("demo-b", 48000, 2210, 0.0460, 0.0442, 0.0479, "demo",
                        ("email", "first_name", "last_name", "company_size")),
            FormSummary("pricing", None, 800, None, None, None, None,
                        ("email", "how_did_you_hear", "fax")),
            FormSummary(PIPE, 1000, 12, 0.012, 0.0069, 0.0209, None, (HOSTILE,)),
        ),
        fields=fields,
        warnings=(
            {"code": "SAMPLE_RATIO_MISMATCH",
             "message": "experiment demo: 52,000 vs 48,000 views against a planned 50/50 split "
                        "(p < 0.001); its randomized comparisons may be biased."},
            {"code": "SEPARATION", "message": f"field {HOSTILE}: a value has no wins; levels "
                                              "were pooled."},
            {"code": "FEW_WINS", "message": "only 12 wins | on form pricing", "field": "fax"},
        ),
        models={
            "srm": [{"experiment": "demo", "variants": {"demo-a": 52000, "demo-b": 48000},
                     "chi2": 160.0, "p_value": 8.1e-37, "status": "mismatch"},
                    {"experiment": HOSTILE, "variants": {PIPE: 500, "b": 510}, "chi2": 0.099,
                     "p_value": 0.75, "status": "ok"}],
            "horizon_days": 90,
            "protected": {"email": "needed to contact the lead"},
        },
    )


def build_minimal() -> AnalysisResult:
    """The emptiest result a run can give: one field, no views, no outcomes, no models."""
    f = FieldResult(field="email", forms=("crm",), protected=True,
                    reason="email is protected in the forms config: never recommended for "
                           "removal.", verdict="protected")
    return AnalysisResult(formfit_version="0.1.0", as_of=None,
                          settings={"submissions": "subs.csv", "margin": "0.5"},
                          inputs={"submissions": {"rows_read": 1, "rows_used": 1,
                                                  "excluded": {}}},
                          forms=(FormSummary("crm", None, 1, None),), fields=(f,))
