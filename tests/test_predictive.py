"""Predictive value of field values: IV, LR tests, BH, Firth, separation, leakage, privacy."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from script_loader import load_script

from formfit.models.firth import fit_logit
from formfit.models.predictive import (
    MAX_DISPLAY_LEVELS,
    assess_fields,
    information_value,
    level_auc,
)
from formfit.models.predictive_lr import independent_columns
from formfit.models.stats import benjamini_hochberg

DATA = Path(__file__).parent / "data" / "predictive"
ROOT = Path(__file__).resolve().parents[1]


def _table(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Two forms, a predictive dropdown (with Select and blanks), a weak one, and noise."""
    rng = np.random.default_rng(seed)
    form = rng.choice(["a", "b"], n, p=[0.6, 0.4])
    size = rng.choice(["1-9", "10-49", "50-249", "250+"], n, p=[0.3, 0.3, 0.25, 0.15])
    size_eff = pd.Series(size).map({"1-9": -0.6, "10-49": 0.0, "50-249": 0.4, "250+": 0.8})
    role = rng.choice(["Owner", "Manager", "Staff"], n)
    noise = rng.choice(["Red", "Green", "Blue"], n)
    logit = -0.8 + 0.4 * (form == "b") + size_eff.to_numpy() + 0.2 * (role == "Owner")
    won = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    size_val = size.astype(object)
    u = rng.random(n)
    size_val[u < 0.07] = "Select"
    size_val[(u >= 0.07) & (u < 0.14)] = None
    df = pd.DataFrame({"form_id": form, "company_size": size_val, "role": role,
                       "colour": noise}).astype("str")
    return df, pd.Series(won, index=df.index)


def _all_shown(df: pd.DataFrame, fields: list[str]) -> pd.DataFrame:
    return pd.DataFrame(True, index=df.index, columns=fields)


def test_information_value_matches_hand_computation() -> None:
    df, won = _table(2000, 1)
    fields = ["company_size", "role", "colour"]
    res = assess_fields(df, fields, _all_shown(df, fields), won)
    # by hand: levels are the values, blank and 'Select' (junk); +0.5 per cell; minus the bias
    level = df["company_size"].fillna("blank").replace({"Select": "junk"})
    g = won.groupby(level).agg(wins="sum", leads="size")
    g["losses"] = g["leads"] - g["wins"]
    k, big_w, big_l = len(g), g["wins"].sum(), g["losses"].sum()
    pw = (g["wins"] + 0.5) / (big_w + 0.5 * k)
    pl = (g["losses"] + 0.5) / (big_l + 0.5 * k)
    raw = float(((pw - pl) * np.log(pw / pl)).sum())
    expected = raw - (k - 1) * (1 / big_w + 1 / big_l)
    assert res["company_size"].predictive.information_value == pytest.approx(expected, abs=1e-9)
    assert information_value(g["wins"].to_numpy(), g["leads"].to_numpy())[0] == \
        pytest.approx(raw, abs=1e-12)
    # the table lists the same counts, biggest first, blank and junk last
    table = res["company_size"].predictive.win_rate_by_value
    assert [v.value for v in table][-2:] == ["blank", "junk"]
    leads = [v.leads for v in table[:-2]]
    assert leads == sorted(leads, reverse=True)
    for v in table:
        assert v.leads == g.loc[v.value, "leads"] and v.wins == g.loc[v.value, "wins"]
        lo, hi = sps.binomtest(v.wins, v.leads).proportion_ci(method="wilson")
        assert (v.ci_low, v.ci_high) == pytest.approx((lo, hi), abs=1e-9)


def test_iv_bias_correction_floors_at_zero() -> None:
    raw, corrected = information_value(np.array([10, 10, 10]), np.array([30, 30, 30]))
    assert raw == pytest.approx(0.0) and corrected == 0.0
    raw, corrected = information_value(np.array([0, 5]), np.array([5, 5]))
    assert np.isfinite(raw) and raw > 0  # smoothing keeps empty cells finite
    assert np.isnan(information_value(np.array([0, 0]), np.array([5, 5]))[0])


def test_lr_p_value_matches_statsmodels() -> None:
    """Reference: statsmodels 0.15 row-level logits on dummies with the form fixed effect,

        full = sm.Logit(y, sm.add_constant(X_form_role_size)).fit(disp=0)
        red  = sm.Logit(y, sm.add_constant(X_form_role)).fit(disp=0)
        p = scipy.stats.chi2.sf(2 * (full.llf - red.llf), df=full.df_model - red.df_model)
    """
    import statsmodels.api as sm

    df, won = _table(1500, 7)
    fields = ["company_size", "role"]
    res = assess_fields(df, fields, _all_shown(df, fields), won)

    size = df["company_size"].fillna("blank").replace({"Select": "junk"})
    d_form = pd.get_dummies(df["form_id"], drop_first=True, dtype=float)
    d_size = pd.get_dummies(size, prefix="s", drop_first=True, dtype=float)
    d_role = pd.get_dummies(df["role"], prefix="r", drop_first=True, dtype=float)
    y = won.to_numpy()
    full = sm.Logit(y, sm.add_constant(pd.concat([d_form, d_role, d_size], axis=1))).fit(disp=0)
    for name, without in (("company_size", d_role), ("role", d_size)):
        red = sm.Logit(y, sm.add_constant(pd.concat([d_form, without], axis=1))).fit(disp=0)
        stat = 2 * (full.llf - red.llf)
        p = float(sps.chi2.sf(stat, full.df_model - red.df_model))
        assert res[name].predictive.lr_p_value == pytest.approx(p, rel=1e-6, abs=1e-300)
    assert res["company_size"].predictive.lr_p_value < 1e-6


def test_q_values_are_benjamini_hochberg() -> None:
    from statsmodels.stats.multitest import multipletests

    df, won = _table(1200, 3)
    fields = ["company_size", "role", "colour"]
    res = assess_fields(df, fields, _all_shown(df, fields), won)
    p = [res[f].predictive.lr_p_value for f in fields]
    q = [res[f].predictive.q_value for f in fields]
    assert q == benjamini_hochberg(p)
    ref = multipletests(np.array(p, dtype=float), method="fdr_bh")[1]
    assert np.allclose(np.array(q, dtype=float), ref, atol=1e-12)


def test_firth_matches_r_brglm2() -> None:
    """Reference (tests/data/predictive/firth_brglm2.R): R 4.2.2, brglm2 0.9,
    glm(cbind(s, n - s) ~ g + x, binomial, method = "brglmFit", type = "MPL_Jeffreys")."""
    ref = json.loads((DATA / "firth_brglm2.json").read_text())
    d = pd.read_csv(DATA / "firth_cells.csv")
    x = np.column_stack([np.ones(len(d)), d["g"] == "b", d["g"] == "c", d["x"]]).astype(float)
    full = fit_logit(x, d["s"].to_numpy(), d["n"].to_numpy(), firth=True)
    red = fit_logit(x[:, [0, 3]], d["s"].to_numpy(), d["n"].to_numpy(), firth=True)
    assert full.converged and red.converged
    assert full.beta == pytest.approx(ref["full_coef"], abs=1e-7)
    assert red.beta == pytest.approx(ref["reduced_coef"], abs=1e-7)
    assert full.penalised_loglik == pytest.approx(ref["full_pll"], abs=1e-8)
    assert red.penalised_loglik == pytest.approx(ref["reduced_pll"], abs=1e-8)
    # level c has no wins: maximum likelihood runs off, Firth stays finite
    assert fit_logit(x, d["s"].to_numpy(), d["n"].to_numpy()).diverged


def test_restricted_firth_fit_keeps_the_full_penalty() -> None:
    """The restricted fit of a penalised LR test maximises the *full* model's penalised
    likelihood with the tested coefficients at zero (checked by a general-purpose optimiser)."""
    from scipy.optimize import minimize
    from scipy.special import expit

    d = pd.read_csv(DATA / "firth_cells.csv")
    x = np.column_stack([np.ones(len(d)), d["g"] == "b", d["g"] == "c", d["x"]]).astype(float)
    s_, n_ = d["s"].to_numpy(float), d["n"].to_numpy(float)
    red = fit_logit(x[:, [0, 3]], s_, n_, firth=True, penalty_x=x)

    def neg_pll(b: np.ndarray) -> float:
        eta = x[:, [0, 3]] @ b
        p = expit(eta)
        info = (x * (n_ * p * (1 - p))[:, None]).T @ x
        ll = float(np.sum(s_ * eta - n_ * np.logaddexp(0, eta)))
        return -(ll + 0.5 * float(np.linalg.slogdet(info)[1]))

    ref = minimize(neg_pll, np.zeros(2), method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 10_000})
    assert red.converged
    assert red.beta == pytest.approx(ref.x, abs=1e-5)
    assert red.penalised_loglik == pytest.approx(-ref.fun, abs=1e-8)
    full = fit_logit(x, s_, n_, firth=True)
    assert full.penalised_loglik >= red.penalised_loglik


def test_firth_saturated_2x2_is_haldane() -> None:
    """Firth on a saturated 2x2 table adds 1/2 to every cell (a closed form)."""
    a, b, c, d = 12.0, 0.0, 7.0, 9.0  # wins/losses in x=1 and x=0
    x = np.array([[1.0, 1.0], [1.0, 0.0]])
    fit = fit_logit(x, np.array([a, c]), np.array([a + b, c + d]), firth=True)
    expected = np.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))
    assert fit.beta[1] == pytest.approx(expected, abs=1e-9)


def test_independent_columns_drops_aliased() -> None:
    x = np.array([[1, 1, 0, 1], [1, 0, 1, 0], [1, 1, 0, 1], [1, 0, 1, 0], [1, 1, 0, 1.0]])
    kept = independent_columns(x)
    assert len(kept) == 2


def test_separation_gives_code_notice_and_finite_numbers() -> None:
    df, won = _table(1500, 11)
    plan = np.array(["Basic"] * 1500, dtype=object)
    plan[:600] = "Pro"
    plan[1400:] = "Enterprise"
    won.iloc[1400:] = 1.0  # every Enterprise lead won: quasi-complete separation
    df["plan"] = pd.Series(plan, index=df.index, dtype="str")
    fields = ["company_size", "role", "plan"]
    res = assess_fields(df, fields, _all_shown(df, fields), won)
    p = res["plan"].predictive
    assert "SEPARATION" in p.codes
    assert any(nt.code == "SEPARATION" and nt.details["field"] == "plan"
               for nt in res["plan"].notices)
    assert p.lr_p_value is not None and np.isfinite(p.lr_p_value)
    assert p.information_value is not None and np.isfinite(p.information_value)
    for v in p.win_rate_by_value:
        assert v.ci_low is not None and v.ci_high is not None
    json.dumps(p.to_dict(), allow_nan=False)
    # the other fields' tests still run (penalised), with finite p-values
    assert all(res[f].predictive.lr_p_value is not None for f in fields)


def test_penalised_test_agrees_with_ml_when_wins_are_plenty() -> None:
    """A zero-win level elsewhere switches every test to Firth; with ~500 wins the penalised LR
    test of a field must agree with the ML one (statsmodels GLM on the same dummies). With each
    model penalised by its own Jeffreys prior instead, it did not (p 1e-9 against 0.18 on the
    X Education data)."""
    import statsmodels.api as sm

    df, won = _table(2000, 13)
    plan = np.array(["Basic"] * 2000, dtype=object)
    plan[:800] = "Pro"
    plan[1900:] = "Legacy"
    won.iloc[1900:] = 0.0  # no Legacy lead ever won
    df["plan"] = pd.Series(plan, index=df.index, dtype="str")
    fields = ["company_size", "role", "colour", "plan"]
    res = assess_fields(df, fields, _all_shown(df, fields), won)
    assert "SEPARATION" in res["plan"].predictive.codes

    size = df["company_size"].fillna("blank").replace({"Select": "junk"})
    dummies = {name: pd.get_dummies(col, prefix=name, drop_first=True, dtype=float)
               for name, col in (("form", df["form_id"]), ("size", size), ("role", df["role"]),
                                 ("colour", df["colour"]), ("plan", df["plan"]))}
    endog = won.to_numpy()

    def llf(names: list[str]) -> float:
        x = sm.add_constant(pd.concat([dummies[k] for k in names], axis=1))
        return float(sm.GLM(endog, x, family=sm.families.Binomial()).fit(maxiter=200).llf)

    everything = list(dummies)
    for field, name in (("colour", "colour"), ("role", "role"), ("company_size", "size")):
        stat = 2 * (llf(everything) - llf([k for k in everything if k != name]))
        p_ml = float(sps.chi2.sf(stat, dummies[name].shape[1]))
        assert res[field].predictive.lr_p_value == pytest.approx(p_ml, rel=0.15), field


def test_small_sample() -> None:
    df, won = _table(60, 5)
    won[:] = 0.0
    won.iloc[:8] = 1.0
    fields = ["company_size", "role"]
    res = assess_fields(df, fields, _all_shown(df, fields), won)
    for f in fields:
        p = res[f].predictive
        assert "SMALL_SAMPLE" in p.codes
        assert p.lr_p_value is None or np.isfinite(p.lr_p_value)
        assert any(nt.code == "SMALL_SAMPLE" for nt in res[f].notices)


def test_no_outcomes_and_no_variation() -> None:
    df, won = _table(300, 2)
    fields = ["company_size", "role"]
    res = assess_fields(df, fields, _all_shown(df, fields), pd.Series(np.nan, index=df.index))
    p = res["company_size"].predictive
    assert p.codes == ("NO_OUTCOMES",) and p.leads == 0
    assert p.information_value is None and p.lr_p_value is None and p.q_value is None
    assert res["company_size"].fill_rate is not None  # fill rates need no outcomes
    # deals given, but no lead old enough to judge: not "needs outcomes"
    res = assess_fields(df, fields, _all_shown(df, fields), pd.Series(np.nan, index=df.index),
                        outcomes_given=True)
    assert res["company_size"].predictive.codes == ("NO_JUDGED_LEADS",)
    res = assess_fields(df, fields, _all_shown(df, fields), pd.Series(0.0, index=df.index))
    p = res["role"].predictive
    assert p.leads == 300 and p.lr_p_value is None and p.information_value is None


def test_fill_and_junk_rates_count_only_forms_that_show_the_field() -> None:
    df = pd.DataFrame({"form_id": ["a"] * 6 + ["b"] * 4,
                       "budget": ["10k", "Select", None, "20k", "asdf", "10k",
                                  None, None, None, None]}, dtype="str")
    shown = pd.DataFrame({"budget": [True] * 6 + [False] * 4})
    won = pd.Series([1, 0, 0, 1, 0, np.nan, 1, 0, 1, 0], dtype=float)
    res = assess_fields(df, ["budget"], shown, won)["budget"]
    assert res.fill_rate == pytest.approx(3 / 6)
    assert res.junk_rate == pytest.approx(2 / 6)
    assert res.predictive.leads == 5  # judged leads of form a only


def test_constant_and_aliased_fields() -> None:
    df, won = _table(800, 4)
    df["magazine"] = "No"
    df["size_copy"] = df["company_size"]
    fields = ["company_size", "size_copy", "role", "magazine"]
    res = assess_fields(df, fields, _all_shown(df, fields), won)
    m = res["magazine"].predictive
    assert m.kind == "constant" and "CONSTANT" in m.codes
    assert m.lr_p_value is None and m.information_value == 0.0
    for f in ("company_size", "size_copy"):  # each tells nothing given the other
        assert "ALIASED" in res[f].predictive.codes
        assert res[f].predictive.lr_p_value is None
    assert res["role"].predictive.lr_p_value is not None


def test_table_has_at_most_twelve_levels() -> None:
    rng = np.random.default_rng(9)
    n = 4000
    df = pd.DataFrame({"country": rng.choice([f"Country {i:02d}" for i in range(20)], n)},
                      dtype="str")
    df.loc[df.index[:200], "country"] = pd.NA
    won = pd.Series((rng.random(n) < 0.3).astype(float))
    res = assess_fields(df, ["country"], _all_shown(df, ["country"]), won)
    table = res["country"].predictive.win_rate_by_value
    assert len(table) <= MAX_DISPLAY_LEVELS
    assert [v.value for v in table][-2:] == ["other", "blank"]
    assert sum(v.leads for v in table) == n
    assert sum(v.wins for v in table) == int(won.sum())


def test_leakage_is_flagged_by_name_only() -> None:
    df, won = _table(2000, 8)
    rng = np.random.default_rng(8)
    follow = np.where(won == 1, rng.choice(["Signed contract", "Call back"], 2000, p=[.8, .2]),
                      rng.choice(["Not interested", "Call back"], 2000, p=[.7, .3]))
    df["follow_up"] = pd.Series(follow, index=df.index, dtype="str")
    fields = ["company_size", "role", "follow_up"]
    res = assess_fields(df, fields, _all_shown(df, fields), won)
    assert "POSSIBLE_LEAKAGE" in res["follow_up"].predictive.codes
    notes = [nt for nt in res["follow_up"].notices if nt.code == "POSSIBLE_LEAKAGE"]
    assert len(notes) == 1 and "follow_up" in notes[0].message
    text = json.dumps([nt.to_dict() for nt in res["follow_up"].notices])
    assert "Signed" not in text and "interested" not in text and "Call back" not in text
    assert "POSSIBLE_LEAKAGE" not in res["company_size"].predictive.codes
    assert "POSSIBLE_LEAKAGE" not in res["role"].predictive.codes


def test_level_auc() -> None:
    assert level_auc(np.array([10, 0]), np.array([10, 10])) == pytest.approx(1.0)
    assert level_auc(np.array([5, 5]), np.array([10, 10])) == pytest.approx(0.5)


def test_privacy_no_personal_or_text_values_in_output() -> None:
    rng = np.random.default_rng(12)
    n = 600
    first = ["Anna", "Ben", "Carla", "Dev", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun"]
    last = ["Berg", "Cruz", "Diaz", "Eng", "Fox", "Gill", "Hart", "Iqbal", "Joshi", "Kim"]
    df = pd.DataFrame({
        "email": [f"person{i}@corp{i % 9}.com" for i in range(n)],
        "Phone": [f"+1 415 555 {1000 + i}" for i in range(n)],
        "full_name": [f"{rng.choice(first)} {rng.choice(last)}" for _ in range(n)],
        "contact": [f"someone{i}@mail.org" for i in range(n)],  # personal by content only
        "comments": [" ".join(rng.choice(["call", "me", "re", "pricing", "asap"], 6))
                     + f" ref {i}" for i in range(n)],
    }, dtype="str")
    df.loc[df.index[:40], "email"] = "test@test.com"
    df.loc[df.index[40:90], "comments"] = pd.NA
    # make the personal values predictive, so nothing is hidden by a null result
    won = pd.Series((np.arange(n) % 3 == 0).astype(float))
    won.iloc[:40] = 0.0
    fields = list(df.columns)
    res = assess_fields(df, fields, _all_shown(df, fields), won)
    payload = json.dumps({f: {"p": a.predictive.to_dict(),
                              "n": [nt.to_dict() for nt in a.notices]}
                          for f, a in res.items()})
    for f in fields:
        assert res[f].predictive.kind in ("personal", "text"), f
        labels = {v.value for v in res[f].predictive.win_rate_by_value}
        assert labels <= {"filled", "junk", "blank"}, (f, labels)
        for value in df[f].dropna().unique():
            assert str(value) not in payload
    assert {v.value for v in res["email"].predictive.win_rate_by_value} == {"filled", "junk"}


def test_kind_override() -> None:
    df, won = _table(500, 6)
    fields = ["company_size", "role"]
    res = assess_fields(df, fields, _all_shown(df, fields), won, kinds={"role": "personal"})
    assert res["role"].predictive.kind == "personal"
    assert {v.value for v in res["role"].predictive.win_rate_by_value} == {"filled"}
    with pytest.raises(ValueError, match="kind of field 'role'"):
        assess_fields(df, fields, _all_shown(df, fields), won, kinds={"role": "dropdown"})


def test_twenty_fields_ten_thousand_leads_finds_the_planted_one() -> None:
    rng = np.random.default_rng(0)
    n, k = 10_000, 20
    cols = {f"f{j:02d}": rng.choice(["A", "B", "C", "D", "E"], n) for j in range(k)}
    df = pd.DataFrame(cols, dtype="str")
    df["form_id"] = rng.choice(["x", "y", "z"], n)
    logit = -1 + 0.5 * (df["f00"] == "A") - 0.4 * (df["f01"] == "B")
    won = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float))
    fields = list(cols)
    res = assess_fields(df, fields, _all_shown(df, fields), won)
    assert res["f00"].predictive.q_value is not None and res["f00"].predictive.q_value < 0.01


def test_many_fields_reduced_fits_reach_the_newton_maximum(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With 40 fields the reduced models are fitted by quasi-Newton steps from the full fit
    (formfit/models/predictive_lr.py, ``_Group.fit_reduced``). Each LR statistic must be the one
    of fits run to convergence: statsmodels' Newton fits on the leads, here with strong effects
    that move the reduced maximum well away from the starting point."""
    import statsmodels.api as sm

    from formfit.models import predictive
    from formfit.models.firth import LogitFit
    from formfit.models.predictive_lr import LRTest, _Group
    from formfit.models.threads import single_threaded_blas

    rng = np.random.default_rng(3)
    n, k = 3000, 40
    cols = {f"f{j:02d}": rng.choice(["A", "B", "C", "D"][: 3 + j % 2], n) for j in range(k)}
    df = pd.DataFrame(cols, dtype="str")
    df["form_id"] = rng.choice(["x", "y", "z"], n)
    logit = (-0.5 + 1.5 * (df["f00"] == "A") - 1.2 * (df["f01"] == "B")
             + 0.8 * (df["f02"] == "C") + 0.3 * (df["form_id"] == "y"))
    won = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float))
    fields = list(cols)

    tests: dict[str, LRTest] = {}
    quasi_newton: list[int] = []
    real_lr, real_qn = predictive.lr_tests, _Group._quasi_newton_fit

    def spy_lr(*args: Any, **kwargs: Any) -> dict[str, LRTest]:
        tests.update(real_lr(*args, **kwargs))
        return tests

    def spy_qn(self: _Group, *args: Any) -> LogitFit | None:
        fit = real_qn(self, *args)
        if fit is not None:
            quasi_newton.append(fit.iterations)
        return fit

    monkeypatch.setattr(predictive, "lr_tests", spy_lr)
    monkeypatch.setattr(_Group, "_quasi_newton_fit", spy_qn)
    assess_fields(df, fields, _all_shown(df, fields), won)
    assert len(quasi_newton) == k  # every reduced fit took the quasi-Newton path
    assert max(quasi_newton) > 3  # and needed several steps to get there

    dummies = {f: pd.get_dummies(df[f], prefix=f, drop_first=True, dtype=float)
               for f in ["form_id", *fields]}
    y = won.to_numpy()

    def llf(names: list[str]) -> float:
        x = sm.add_constant(pd.concat([dummies[f] for f in names], axis=1))
        return float(sm.Logit(y, x).fit(disp=0, method="newton", maxiter=100).llf)

    with single_threaded_blas():  # statsmodels' products on a busy machine: see threads.py
        full = llf(list(dummies))
        reference = {f: 2 * (full - llf([g for g in dummies if g != f])) for f in fields}
    for f, stat in reference.items():
        test = tests[f]
        assert test.df == dummies[f].shape[1]
        # converged fits agree to ~1e-11; stopping at steps of 1e-3 (1e-2) was off by 1e-8 (2e-6)
        assert test.statistic == pytest.approx(stat, rel=1e-9), f
    assert (tests["f00"].statistic or 0.0) > 100


def _fpr_script() -> ModuleType:
    return load_script("predictive_fpr")


def test_planted_field_found_and_noise_at_nominal_rate() -> None:
    """20 seeds of scripts/predictive_fpr.py (200 seeds there: see its docstring)."""
    out = _fpr_script().run(20)
    assert out["kinds"] == {"industry": ["categorical"], "employees": ["numeric"],
                            "seniority": ["categorical"], "noise30": ["categorical"],
                            "noise_num": ["numeric"], "email": ["personal"],
                            "comments": ["text"]}
    assert out["power_q_lt_0.01"]["industry"] >= 0.95
    assert out["power_q_lt_0.01"]["employees"] >= 0.8
    rej = out["rejection_p_lt_0.05"]
    false_pos = sum(round(rej[f] * 20) for f in ("noise30", "noise_num", "email", "comments"))
    assert false_pos <= 9  # 80 null tests at 5%: P(X >= 10) < 0.01
    assert out["noise30_iv_mean_raw"] > 0.03  # the bias the correction removes
    assert abs(out["noise30_iv_mean_corrected"]) < 0.015


def test_row_order_does_not_matter() -> None:
    df, won = _table(1500, 21)
    fields = ["company_size", "role", "colour"]
    a = assess_fields(df, fields, _all_shown(df, fields), won)
    order = np.random.default_rng(0).permutation(len(df))
    df2, won2 = df.iloc[order], won.iloc[order]
    b = assess_fields(df2, fields, _all_shown(df2, fields), won2)
    for f in fields:
        pa, pb = a[f].predictive, b[f].predictive
        assert pa.win_rate_by_value == pb.win_rate_by_value
        assert pa.information_value == pytest.approx(pb.information_value, abs=1e-12)
        assert pa.lr_p_value == pytest.approx(pb.lr_p_value, rel=1e-7)
        assert pa.codes == pb.codes
