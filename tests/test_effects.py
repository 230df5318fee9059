"""The drop-effect estimator on hand-made cells, against hand computations.

Reference for a two-variant experiment (one cell per variant, no segments or time effects):
removing a field shown on variant 1 (n1 views, rate p1) but not on variant 0 (n0, p0) changes
conversion by ``diff = p0 - p1`` with the textbook standard error
``se = sqrt(p0 (1 - p0) / n0 + p1 (1 - p1) / n1)`` and interval ``diff +- 1.959964 se``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from script_loader import load_script

from formfit.inputs import FormsConfig, FormSpec, FormVersion
from formfit.models.effects import drop_effects, joint_contrast
from formfit.results import clean

Z = float(stats.norm.ppf(0.975))


def cfg(**forms: tuple[tuple[str, ...], str | None]) -> FormsConfig:
    """forms=(fields, experiment) per form id (one version each)."""
    return FormsConfig(forms={k: FormSpec(k, (FormVersion(None, f),), experiment=e)
                              for k, (f, e) in forms.items()}, fields={})


def cells(rows: list[tuple[Any, ...]], date: str = "2025-03-03") -> pd.DataFrame:
    """rows of (form_id, views, submissions[, date])."""
    out = []
    for r in rows:
        out.append({"form_id": r[0], "version": 0,
                    "date": pd.Timestamp(r[3] if len(r) > 3 else date),
                    "views": r[1], "submissions": r[2]})
    return pd.DataFrame(out)


def textbook(n0: int, y0: int, n1: int, y1: int) -> tuple[float, float]:
    p0, p1 = y0 / n0, y1 / n1
    return (p0 - p1) * 100, 100 * np.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1)


TWO = cfg(a=(("email", "phone"), "demo"), b=(("email",), "demo"))


def fit(c: pd.DataFrame, forms: FormsConfig, fields: list[str], **kw: Any) -> Any:
    return drop_effects(c, successes="submissions", trials="views", forms=forms,
                        fields=fields, **kw)


def test_two_variants_equal_the_textbook_difference_of_proportions() -> None:
    res = fit(cells([("a", 1000, 100), ("b", 1200, 150)]), TWO, ["email", "phone"])
    e = res.effects["phone"]
    diff, se = textbook(1200, 150, 1000, 100)
    assert e.evidence == "randomized"
    assert e.estimate.estimate == pytest.approx(diff, abs=1e-6)
    assert e.se == pytest.approx(se, abs=1e-6)
    assert e.estimate.ci_low == pytest.approx(diff - Z * se, abs=1e-6)
    assert e.estimate.ci_high == pytest.approx(diff + Z * se, abs=1e-6)
    assert e.estimate.p_value == pytest.approx(2 * stats.norm.sf(abs(diff / se)), abs=1e-9)
    assert e.baseline == pytest.approx(10.0, abs=1e-6)
    assert e.trials == 1000
    assert e.basis == "randomized: experiment demo (2 variants, 2,200 views)"
    assert e.estimate.code is None


@pytest.mark.parametrize("days", [3, 12])
def test_under_dispersed_days_floor_at_the_binomial_interval(days: int) -> None:
    """Identical daily rates (dispersion 0 < 1): quasi (3 days) and clustered (12 days) errors
    are floored at the binomial ones, so the textbook interval on the pooled counts holds
    exactly."""
    dates = pd.date_range("2025-03-03", periods=days, freq="D")
    rows = [(v, 100, y, d) for d in dates for v, y in (("a", 10), ("b", 15))]
    res = fit(cells(rows), TWO, ["phone"], time_control=False)
    diff, se = textbook(100 * days, 15 * days, 100 * days, 10 * days)
    e = res.effects["phone"]
    assert e.estimate.estimate == pytest.approx(diff, abs=1e-6)
    assert e.se == pytest.approx(se, abs=1e-6)
    # the binomial floor is a known variance: a normal interval, as in the textbook
    assert e.estimate.ci_high == pytest.approx(diff + Z * se, abs=1e-6)


def test_over_dispersed_days_widen_the_interval() -> None:
    rng = np.random.default_rng(3)
    dates = pd.date_range("2025-03-03", periods=30, freq="D")
    rows = []
    for d in dates:
        for v, base in (("a", -2.0), ("b", -1.8)):
            p = 1 / (1 + np.exp(-(base + rng.normal(0, 0.3))))  # a shock per variant-day
            rows.append((v, 500, int(rng.binomial(500, p)), d))
    c = cells(rows)
    auto = fit(c, TWO, ["phone"], time_control=False).effects["phone"]
    naive = fit(c, TWO, ["phone"], time_control=False, se_method="binomial").effects["phone"]
    assert auto.se is not None and naive.se is not None
    assert auto.se > 1.5 * naive.se
    assert auto.estimate.estimate == pytest.approx(naive.estimate.estimate, abs=1e-9)


def test_fields_that_always_appear_together_are_aliased_with_their_joint_effect() -> None:
    forms = cfg(a=(("email", "phone", "company"), "demo"), b=(("email",), "demo"))
    res = fit(cells([("a", 1000, 100), ("b", 1200, 150)]), forms,
              ["email", "phone", "company"])
    diff, se = textbook(1200, 150, 1000, 100)
    for f, partner in (("phone", "company"), ("company", "phone")):
        e = res.effects[f]
        assert e.evidence == "aliased"
        assert e.aliased_with == (partner,)
        assert set(e.group) == {"phone", "company"}
        assert e.estimate.estimate == pytest.approx(diff, abs=1e-6)
        assert e.se == pytest.approx(se, abs=1e-6)
        assert "together" in e.basis
    assert res.effects["email"].evidence == "none"


def test_variants_with_equal_field_counts_identify_only_differences() -> None:
    """A {a, b}, B {b, c}, C {a, c}: a + b + c is constant, so removing any field (or all of
    them) from a variant leads to a field set never observed: not identified."""
    forms = cfg(A=(("a", "b"), "x"), B=(("b", "c"), "x"), C=(("a", "c"), "x"))
    res = fit(cells([("A", 900, 90), ("B", 1000, 120), ("C", 1100, 99)]), forms, ["a", "b", "c"])
    for f in "abc":
        e = res.effects[f]
        assert e.evidence == "aliased"
        assert set(e.aliased_with) == set("abc") - {f}
        assert e.estimate.estimate is None and e.estimate.code == "NOT_IDENTIFIED"
        assert "only differences" in e.basis


def test_swapping_one_field_for_another_is_not_a_drop_effect() -> None:
    forms = cfg(A=(("email", "phone"), "x"), B=(("email", "company"), "x"))
    res = fit(cells([("A", 900, 90), ("B", 1000, 120)]), forms, ["phone", "company"])
    for f in ("phone", "company"):
        assert res.effects[f].estimate.code == "NOT_IDENTIFIED"
        assert res.effects[f].estimate.ci_low is None


def test_field_varying_only_across_forms_is_no_evidence() -> None:
    forms = cfg(demo=(("email", "phone"), None), contact=(("email",), None))
    res = fit(cells([("demo", 1000, 100), ("contact", 1200, 150)]), forms,
              ["email", "phone", "missing"])
    e = res.effects["phone"]
    assert e.evidence == "none" and e.estimate.code == "NO_VARIATION"
    assert e.estimate.estimate is None and e.se is None
    assert "different forms" in e.basis
    assert res.effects["email"].estimate.code == "NO_VARIATION"
    assert res.effects["missing"].evidence == "none"
    assert res.effects["missing"].estimate.code == "NO_VIEWS"


def versioned(control: bool = True) -> tuple[FormsConfig, pd.DataFrame]:
    d0, d1 = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")
    forms = {"pricing": FormSpec("pricing", (FormVersion(d0.date(), ("email", "budget")),
                                             FormVersion(d1.date(), ("email",))))}
    if control:
        forms["contact"] = FormSpec("contact", (FormVersion(None, ("email",)),))
    rng = np.random.default_rng(0)
    rows = []
    for day in pd.date_range(d0, periods=60, freq="D"):
        v = 0 if day < d1 else 1
        rows.append({"form_id": "pricing", "version": v, "date": day, "views": 300,
                     "submissions": int(rng.binomial(300, 0.10 if v == 0 else 0.12))})
        if control:
            rows.append({"form_id": "contact", "version": 0, "date": day, "views": 300,
                         "submissions": int(rng.binomial(300, 0.2))})
    return FormsConfig(forms=forms, fields={}), pd.DataFrame(rows)


def test_version_change_is_observational_with_its_caveat() -> None:
    forms, c = versioned()
    e = fit(c, forms, ["budget"]).effects["budget"]
    assert e.evidence == "observational"
    assert "confounded by season and campaigns" in e.basis
    assert "1 unchanged form(s) used as controls" in e.basis
    assert e.estimate.code is None and e.estimate.estimate is not None
    assert e.estimate.ci_low is not None and e.estimate.ci_low < e.estimate.estimate


def test_version_change_without_controls_says_time_is_not_adjusted() -> None:
    forms, c = versioned(control=False)
    e = fit(c, forms, ["budget"]).effects["budget"]
    assert e.evidence == "observational"
    assert e.estimate.code == "NO_TIME_CONTROL" and e.estimate.estimate is not None
    assert "not adjusted for time" in e.basis


def test_zero_submissions_on_one_side_is_separation_not_a_crash() -> None:
    res = fit(cells([("a", 1000, 0), ("b", 1200, 150)]), TWO, ["phone"])
    e = res.effects["phone"]
    assert e.evidence == "randomized"
    assert e.estimate.code == "SEPARATION" and e.estimate.estimate is None
    assert any(n.code == "SEPARATION" for n in res.notices)


def test_no_successes_anywhere_is_coded() -> None:
    res = fit(cells([("a", 1000, 0), ("b", 1200, 0)]), TWO, ["phone"])
    assert res.effects["phone"].estimate.code == "NO_SUCCESSES"


def test_empty_and_unknown_cells_do_not_crash() -> None:
    res = fit(cells([("a", 0, 0), ("zzz", 10, 1)]), TWO, ["phone"])
    assert res.effects["phone"].evidence == "none"
    assert any(n.code == "UNKNOWN_FORM" for n in res.notices)
    empty = fit(cells([]).reindex(columns=["form_id", "version", "date", "views",
                                            "submissions"]), TWO, ["phone"])
    assert empty.effects["phone"].estimate.estimate is None


def test_splitting_and_reordering_cells_changes_nothing() -> None:
    rng = np.random.default_rng(1)
    dates = pd.date_range("2025-03-03", periods=20, freq="D")
    forms = cfg(a=(("email", "phone"), "demo"), b=(("email",), "demo"),
                c=(("email", "phone", "budget"), "demo"))
    rows = [{"form_id": f, "version": 0, "date": d, "device": dev,
             "views": 200, "submissions": int(rng.binomial(200, 0.1))}
            for d in dates for f in "abc" for dev in ("desktop", "mobile")]
    c = pd.DataFrame(rows)
    half = c.copy()
    half["views"] = c["views"] // 2
    half["submissions"] = c["submissions"] // 2
    rest = c.copy()
    rest["views"] = c["views"] - half["views"]
    rest["submissions"] = c["submissions"] - half["submissions"]
    split = pd.concat([half, rest]).sample(frac=1.0, random_state=2)
    a = fit(c, forms, ["phone", "budget"], segments=("device",))
    b = fit(split, forms, ["phone", "budget"], segments=("device",))
    for f in ("phone", "budget"):
        ea, eb = a.effects[f], b.effects[f]
        assert eb.estimate.estimate == pytest.approx(ea.estimate.estimate, abs=1e-6)
        assert eb.estimate.ci_low == pytest.approx(ea.estimate.ci_low, abs=1e-6)
        assert eb.se == pytest.approx(ea.se, abs=1e-6)


def test_generic_columns_and_scale() -> None:
    c = cells([("a", 1000, 100), ("b", 1200, 150)]).rename(
        columns={"views": "leads", "submissions": "wins"})
    res = drop_effects(c, successes="wins", trials="leads", forms=TWO, fields=["phone"],
                       scale=1000.0)
    diff, se = textbook(1200, 150, 1000, 100)
    assert res.effects["phone"].estimate.estimate == pytest.approx(diff * 10, abs=1e-5)
    assert "leads" in res.effects["phone"].basis


def test_two_experiments_combine_by_trials() -> None:
    forms = cfg(a=(("phone",), "one"), b=((), "one"), c=(("phone", "x"), "two"),
                d=(("x",), "two"))
    res = fit(cells([("a", 1000, 100), ("b", 1000, 130), ("c", 3000, 300), ("d", 3000, 330)]),
              forms, ["phone"])
    d1, s1 = textbook(1000, 130, 1000, 100)
    d2, s2 = textbook(3000, 330, 3000, 300)
    e = res.effects["phone"]
    assert e.estimate.estimate == pytest.approx((1000 * d1 + 3000 * d2) / 4000, abs=1e-6)
    assert e.se == pytest.approx(np.sqrt((s1 / 4) ** 2 + (3 * s2 / 4) ** 2), abs=1e-6)
    assert "experiment one" in e.basis and "experiment two" in e.basis


def test_randomized_evidence_wins_over_a_version_change() -> None:
    """phone is randomized in the experiment and also dropped from pricing over time: only the
    experiment's cells count."""
    d0, d1 = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-15")
    forms = FormsConfig(forms={
        "a": FormSpec("a", (FormVersion(None, ("phone",)),), experiment="e"),
        "b": FormSpec("b", (FormVersion(None, ()),), experiment="e"),
        "pricing": FormSpec("pricing", (FormVersion(d0.date(), ("phone",)),
                                        FormVersion(d1.date(), ()))),
    }, fields={})
    rows = [{"form_id": "a", "version": 0, "date": d0, "views": 1000, "submissions": 100},
            {"form_id": "b", "version": 0, "date": d0, "views": 1200, "submissions": 150},
            {"form_id": "pricing", "version": 0, "date": d0, "views": 500, "submissions": 10},
            {"form_id": "pricing", "version": 1, "date": d1, "views": 500, "submissions": 90}]
    e = fit(pd.DataFrame(rows), forms, ["phone"]).effects["phone"]
    assert e.evidence == "randomized"
    assert e.estimate.estimate == pytest.approx(textbook(1200, 150, 1000, 100)[0], abs=1e-6)


def test_variants_that_never_overlap_are_not_randomized() -> None:
    rows = [("a", 1000, 100, "2025-01-01"), ("b", 1200, 150, "2025-03-01")]
    res = fit(cells(rows), TWO, ["phone"])
    assert res.effects["phone"].evidence == "observational"
    assert any(n.code == "EXPERIMENT_NOT_CONCURRENT" for n in res.notices)


def test_against_statsmodels_glm_with_segments_and_clusters() -> None:
    """Reference: ``sm.GLM(np.column_stack([y, n - y]), X, family=Binomial()).fit(
    cov_type="cluster", cov_kwds={"groups": day, "use_correction": False})``, covariance times
    G/(G-1), AME and its delta-method gradient computed by hand from those numbers."""
    import statsmodels.api as sm

    rng = np.random.default_rng(7)
    forms = cfg(a=(("phone", "x"), "e"), b=(("x",), "e"), c=(("phone",), "e"))
    dates = pd.date_range("2025-03-03", periods=14, freq="D")
    rows = []
    for d in dates:
        shock = rng.normal(0, 0.2)
        for f, eta in (("a", -2.0), ("b", -1.7), ("c", -1.9)):
            for dev, g in (("desktop", 0.0), ("mobile", -0.3)):
                n = int(rng.poisson(300))
                rows.append({"form_id": f, "version": 0, "date": d, "device": dev, "views": n,
                             "submissions": int(rng.binomial(n, 1 / (1 + np.exp(-(eta + g
                                                                                   + shock)))))})
    c = pd.DataFrame(rows)
    res = fit(c, forms, ["phone", "x"], segments=("device",), time_control=False,
              se_method="cluster")
    auto = fit(c, forms, ["phone", "x"], segments=("device",), time_control=False)
    X = np.column_stack([np.ones(len(c)), (c["device"] == "mobile").to_numpy(float),
                         c["form_id"].isin(["a", "c"]).to_numpy(float),
                         c["form_id"].isin(["a", "b"]).to_numpy(float)])
    y, n = c["submissions"].to_numpy(float), c["views"].to_numpy(float)
    day = pd.factorize(c["date"])[0]
    r = sm.GLM(np.column_stack([y, n - y]), X, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": day, "use_correction": False})
    G = len(dates)
    cov = np.asarray(r.cov_params()) * G / (G - 1)
    cov_binomial = np.asarray(sm.GLM(np.column_stack([y, n - y]), X,
                                     family=sm.families.Binomial()).fit().cov_params())
    b = np.asarray(r.params)
    for f, col in (("phone", 2), ("x", 3)):
        rows_f = X[:, col] == 1
        X1 = X[rows_f]
        X0 = X1.copy()
        X0[:, col] = 0
        w = n[rows_f] / n[rows_f].sum()
        p1, p0 = 1 / (1 + np.exp(-X1 @ b)), 1 / (1 + np.exp(-X0 @ b))
        est = np.sum(w * (p0 - p1))
        grad = X0.T @ (w * p0 * (1 - p0)) - X1.T @ (w * p1 * (1 - p1))
        se = np.sqrt(grad @ cov @ grad)
        e = res.effects[f]
        assert e.estimate.estimate == pytest.approx(100 * est, abs=1e-6)
        assert e.se == pytest.approx(100 * se, abs=1e-6)
        half = stats.t.ppf(0.975, G - 1) * 100 * se
        assert e.estimate.ci_high == pytest.approx(100 * est + half, abs=1e-6)
        # the default never reports less than binomial noise
        floor = max(se, np.sqrt(grad @ cov_binomial @ grad))
        assert auto.effects[f].se == pytest.approx(100 * floor, abs=1e-6)


def test_model_is_json_ready_and_joint_contrast_matches_the_effect() -> None:
    res = fit(cells([("a", 1000, 100), ("b", 1200, 150)]), TWO, ["phone"])
    text = json.dumps(clean(res.model), allow_nan=False)
    model = json.loads(text)
    (block,) = model["blocks"]
    assert block["kind"] == "randomized" and block["field_columns"] == ["phone"]
    j = joint_contrast(block, "a", ["email"], scale=100.0)
    e = res.effects["phone"]
    assert j.estimate == pytest.approx(e.estimate.estimate, rel=1e-4)
    assert j.ci_low == pytest.approx(e.estimate.ci_low, rel=1e-4)
    assert joint_contrast(block, "a", ["email", "phone", "budget"]).code == "NOT_IDENTIFIED"


def test_one_hundred_thousand_cells_fit_with_labels() -> None:

    rng = np.random.default_rng(5)
    forms = FormsConfig(forms={
        **{f"v{i}": FormSpec(f"v{i}", (FormVersion(None, tuple(
            f for f, on in zip(("phone", "company", "budget"), (i & 1, i & 2, i & 4),
                               strict=True) if on)),), experiment="big") for i in range(8)},
        "pricing": FormSpec("pricing", (FormVersion(pd.Timestamp("2024-01-01").date(),
                                                    ("email", "title")),
                                        FormVersion(pd.Timestamp("2024-07-01").date(),
                                                    ("email",)))),
        **{f"c{i}": FormSpec(f"c{i}", (FormVersion(None, ("email",)),)) for i in range(10)},
    }, fields={})
    dates = pd.date_range("2024-01-01", periods=365, freq="D")
    ids = list(forms.forms)
    k = 100_000
    form = rng.choice(ids, k)
    date = dates[rng.integers(0, 365, k)]
    c = pd.DataFrame({"form_id": form, "date": date,
                      "device": rng.choice(["desktop", "mobile", "tablet"], k),
                      "channel": rng.choice(list("abcdefgh"), k),
                      "views": rng.integers(1, 50, k)})
    c["version"] = [forms.forms[f].version_index(d.date()) for f, d in zip(c["form_id"],
                                                                           c["date"],
                                                                           strict=True)]
    c["submissions"] = rng.binomial(c["views"].to_numpy(), 0.1)
    res = fit(c, forms, ["phone", "company", "budget", "title"], segments=("device", "channel"))
    assert res.effects["phone"].evidence == "randomized"
    assert res.effects["title"].evidence == "observational"


def test_observational_blocks_sharing_controls_add_their_covariance() -> None:
    """Forms p1 and p2 drop field x 60 days apart beside two unchanged forms (form-day logit
    shocks): their before/after estimates share the control forms and week effects, so their
    errors are correlated; their combination's variance adds the covariance estimated from
    the per-day influences (over 200 such worlds the interval covered 0.95, against 0.925
    without it: the README's coverage section). Here: the combined variance is the variance
    of the per-day sum of the weighted influences, as the day-clustered rule computes it."""
    from formfit.models.design import build_block, plan_blocks, prepare
    from formfit.models.effects import _block_parts, _cross_variance, _fit_block, _Part

    staggered = load_script("coverage_staggered")  # the script's worlds, one of them here
    cells, _ = staggered.world_cells(3, 0.0, 0.1)
    forms = staggered.FORMS
    prep = prepare(cells, successes="submissions", trials="views", forms=forms, segments=[])
    specs, _ = plan_blocks(prep, time_control=True)
    parts: list[_Part] = []
    for spec in specs:
        d = build_block(prep, spec)
        fit, status = _fit_block(d)
        assert fit is not None and fit.cluster_scores is not None
        part = _block_parts(d, fit, status, "auto")["x"]
        assert part.influence is not None and part.var is not None
        codes, psi = part.influence
        g = len(codes)
        # the influence reproduces the cluster-robust variance the part was given
        assert float(np.sum(psi ** 2)) * g / (g - 1) == pytest.approx(part.var, rel=1e-9)
        parts.append(part)
    assert len(parts) == 2 and all(p.block.spec.kind == "observational" for p in parts)
    total = sum(p.trials for p in parts)
    w = [p.trials / total for p in parts]
    stacked = pd.concat([pd.Series(wi * p.influence[1], index=p.influence[0])  # type: ignore[index]
                         for wi, p in zip(w, parts, strict=True)], axis=1).fillna(0.0).sum(axis=1)
    g = len(stacked)
    independent = sum(wi ** 2 * (p.var or 0.0) for wi, p in zip(w, parts, strict=True))
    combined = independent + _cross_variance(parts, total)
    assert combined > independent  # the shared controls make the errors move together
    assert combined == pytest.approx(float(np.sum(stacked ** 2)) * g / (g - 1), rel=0.02)
    effect = drop_effects(cells, successes="submissions", trials="views", forms=forms,
                          fields=["x"]).effects["x"]
    assert effect.se == pytest.approx(100 * np.sqrt(combined), rel=1e-9)
