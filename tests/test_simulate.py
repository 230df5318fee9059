"""The simulator: deterministic files in the contract's formats, and a truth the data agree with.

The consistency tests run one large world (300k views, about 5 s) and compare realised
quantities with the generating probabilities and with truth.json's estimands, within 4
standard errors (a fixed seed, so the outcome is reproducible, not flaky).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

from formfit.cli import app
from formfit.errors import FormfitError
from formfit.simulation import FILES, World, WorldParams, simulate_world, write_world

BIG = 300_000
Z = 4.0  # tolerance in standard errors


def _digests(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir())}


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("world")
    write_world(d, seed=3, views=8000)
    return d


@pytest.fixture(scope="module")
def big() -> World:
    return simulate_world(WorldParams(seed=11, n_views=BIG))


@pytest.fixture(scope="module")
def truth(big: World) -> dict[str, dict]:
    return {f["field"]: f for f in big.truth["fields"]}


def _key(s: pd.Series) -> pd.Series:
    return s.str.strip().str.lower()


@pytest.fixture(scope="module")
def leads(big: World) -> pd.DataFrame:
    """First submission per normalised email, with its view's latent quantities and won flag."""
    s = big.submissions.drop_duplicates().assign(key=lambda d: _key(d["email"]))
    s = s.sort_values(["submitted_at", "session_id"], kind="stable").drop_duplicates("key")
    o = big.outcomes
    won_keys = set(_key(o["email"])[o["outcome"].str.lower() == "won"])
    s = s.assign(won=s["key"].isin(won_keys))
    return s.merge(big.latent, on=["session_id", "form_id"], how="left", validate="1:1")


# ---------------------------------------------------------------- determinism and files


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    info = write_world(a, seed=5, views=4000)
    write_world(b, seed=5, views=4000)
    assert info["files"] == list(FILES)
    assert sorted(p.name for p in a.iterdir()) == sorted(FILES)
    assert _digests(a) == _digests(b)


def test_different_seeds_differ(tmp_path: Path) -> None:
    write_world(tmp_path / "a", seed=5, views=4000)
    write_world(tmp_path / "b", seed=6, views=4000)
    da, db = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    for name in ("submissions.csv", "views.csv", "outcomes.csv", "truth.json"):
        assert da[name] != db[name], name


def test_cli_simulate_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = CliRunner().invoke(app, ["simulate", "--out", str(out), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert len(pd.read_csv(out / "views.csv")) == WorldParams().n_views


def test_csv_bytes_are_pandas_bytes_also_when_a_value_needs_quoting(tmp_path: Path) -> None:
    """The fast pyarrow writer must write what DataFrame.to_csv wrote (sample_data/ and every
    seeded world were made that way); a value pyarrow cannot write unquoted falls back."""
    from formfit.simulation.write import _csv

    plain = pd.DataFrame({"a": pd.Series(["x", None, " y ", ""], dtype="str"),
                          "n": [1, 2, 3, 4]})
    quoted = plain.assign(a=pd.Series(['x,1', 'say "hi"', "two\nlines", None], dtype="str"))
    for name, df in (("plain", plain), ("quoted", quoted)):
        _csv(df, tmp_path / f"{name}.csv")
        ref = df.to_csv(index=False, lineterminator="\n").encode()
        assert (tmp_path / f"{name}.csv").read_bytes() == ref, name
    assert b'"x,1"' in (tmp_path / "quoted.csv").read_bytes()


def test_parquet_holds_the_csv_tables(tmp_path: Path) -> None:
    info = write_world(tmp_path, seed=5, views=4000, formats=("parquet", "csv"))
    tables = ("submissions", "views", "views_daily", "outcomes")
    assert info["files"] == [f"{t}.parquet" for t in tables] + [f"{t}.csv" for t in tables] + [
        "forms.yaml", "truth.json"]
    for t in tables:
        from_csv = pd.read_csv(tmp_path / f"{t}.csv", dtype=str, keep_default_na=False)
        from_pq = pd.read_parquet(tmp_path / f"{t}.parquet")
        assert list(from_pq) == list(from_csv), t
        if t == "views_daily":
            assert str(from_pq["views"].dtype) == "int64"
        as_text = from_pq.astype("str").where(from_pq.notna(), "")
        pd.testing.assert_frame_equal(as_text.astype(object), from_csv.astype(object),
                                      check_dtype=False)
    # empty text is null in Parquet, as a warehouse column would be
    assert pd.read_parquet(tmp_path / "outcomes.parquet")["amount"].isna().any()


def test_cli_simulate_parquet_and_bad_format(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = CliRunner().invoke(app, ["simulate", "--out", str(out), "--seed", "3", "--views",
                                      "3000", "--format", "parquet"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["submissions.parquet", "views.parquet", "views_daily.parquet", "outcomes.parquet",
         "forms.yaml", "truth.json"])
    bad = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path / "x"), "--format", "xml"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    with pytest.raises(FormfitError, match="unknown simulate format"):
        write_world(tmp_path / "y", seed=1, views=3000, formats=("xlsx",))
    assert not (tmp_path / "y").exists()


def test_cli_simulate_bad_views_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), "--views", "10"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    with pytest.raises(FormfitError):
        simulate_world(WorldParams(n_views=10))


def test_files_have_the_contract_columns(small_dir: Path) -> None:
    subs = pd.read_csv(small_dir / "submissions.csv", keep_default_na=False)
    assert {"email", "form_id", "submitted_at", "session_id", "device", "channel"} <= set(subs)
    assert "lead_id" not in subs
    views = pd.read_csv(small_dir / "views.csv")
    assert list(views) == ["session_id", "form_id", "viewed_at", "device", "channel"]
    daily = pd.read_csv(small_dir / "views_daily.csv")
    assert list(daily) == ["form_id", "date", "device", "channel", "views", "submissions"]
    deals = pd.read_csv(small_dir / "outcomes.csv", keep_default_na=False)
    assert {"email", "outcome", "amount", "created_at", "closed_at"} <= set(deals)
    assert set(deals["outcome"].str.lower()) == {"won", "lost", "open"}
    pd.to_datetime(subs["submitted_at"], format="ISO8601")
    pd.to_datetime(views["viewed_at"], format="ISO8601")
    forms = yaml.safe_load((small_dir / "forms.yaml").read_text())
    assert forms["version"] == 1
    assert forms["fields"]["email"]["protected"] and forms["fields"]["consent"]["protected"]
    assert {f["experiment"] for k, f in forms["forms"].items() if k.startswith("demo")} == {"demo"}
    assert len(forms["forms"]["pricing"]["versions"]) == 3
    shown = {x for f in forms["forms"].values()
             for x in f.get("fields", []) + [y for v in f.get("versions", []) for y in v["fields"]]}
    # every shown field is a submissions column, and every non-key column is a shown field
    keys = {"email", "form_id", "submitted_at", "session_id", "device", "channel"}
    assert set(subs) - keys == shown - {"email"}
    truth = json.loads((small_dir / "truth.json").read_text())
    assert {f["field"] for f in truth["fields"]} == shown


def test_views_daily_is_views_aggregated(small_dir: Path) -> None:
    views = pd.read_csv(small_dir / "views.csv")
    subs = pd.read_csv(small_dir / "submissions.csv").drop_duplicates()
    views["date"] = views["viewed_at"].str[:10]
    views["submissions"] = views["session_id"].isin(subs["session_id"]).astype(int)
    agg = (views.groupby(["form_id", "date", "device", "channel"], observed=True, sort=True)
           .agg(views=("session_id", "size"), submissions=("submissions", "sum")).reset_index())
    daily = pd.read_csv(small_dir / "views_daily.csv")
    pd.testing.assert_frame_equal(agg, daily, check_dtype=False)
    assert subs["session_id"].isin(views["session_id"]).all()


def test_data_mess_is_planted(small_dir: Path) -> None:
    subs = pd.read_csv(small_dir / "submissions.csv", keep_default_na=False, dtype=str)
    emails = subs["email"]
    assert (emails != emails.str.strip()).any()
    assert (emails.str.strip() != emails.str.strip().str.lower()).any()
    assert (_key(emails).str.split("@").str[1].str.endswith(("example.com", "example.org",
                                                            "example.net", ".example"))).all()
    for col, junk in (("company_size", "Select"), ("phone", "0000000000"),
                      ("how_did_you_hear", "Select"), ("job_title", "asdf")):
        assert (subs[col] == junk).any(), col
    truth = json.loads((small_dir / "truth.json").read_text())
    assert subs.duplicated().sum() == truth["counts"]["duplicate_rows"] > 0
    unique = subs.drop_duplicates()
    assert len(unique) - _key(unique["email"]).nunique() == truth["counts"]["repeat_submissions"]
    assert truth["counts"]["repeat_submissions"] > 0


# ---------------------------------------------------------------- the truth and the design


def test_evidence_labels(truth: dict[str, dict]) -> None:
    assert truth["phone"]["evidence"] == truth["how_did_you_hear"]["evidence"] == "randomized"
    assert truth["timeline"]["evidence"] == "observational"
    assert truth["job_title"]["evidence"] == "aliased"
    assert truth["job_title"]["aliased_with"] == ["seniority"]
    assert truth["seniority"]["aliased_with"] == ["job_title"]
    assert truth["job_title"]["wins_per_1k_views"] == truth["seniority"]["wins_per_1k_views"]
    for f in ("email", "consent", "first_name", "last_name", "company_size", "budget"):
        assert truth[f]["evidence"] == "none" and not truth[f]["estimable"], f
    assert truth["first_name"]["always_with"] == ["last_name"]
    assert truth["email"]["protected"] and truth["consent"]["protected"]


def test_planted_verdict_directions(truth: dict[str, dict]) -> None:
    phone, hdyh = truth["phone"], truth["how_did_you_hear"]
    assert phone["conversion_pp"] > 2 and phone["wins_per_1k_views"] < -8
    assert hdyh["conversion_pp"] > 2 and hdyh["wins_per_1k_views"] > 5
    # friction selects: removing a required field lowers the submitters' win rate
    assert hdyh["win_rate_pp"] < 0 and truth["budget"]["win_rate_pp"] < 0
    assert truth["email"]["wins_per_1k_views"] < 0  # no email, no follow-up


def test_truth_formulas_from_latent(big: World, truth: dict[str, dict]) -> None:
    """Baseline rates in truth.json are the latent probabilities averaged over V_f."""
    lat = big.latent
    phone_forms = truth["phone"]["forms"]
    m = lat["form_id"].isin(phone_forms)
    p, q = lat.loc[m, "p_submit"], lat.loc[m, "q_win"]
    base = truth["phone"]["baseline"]
    assert truth["phone"]["views"] == int(m.sum())
    assert base["conversion_rate"] == pytest.approx(p.mean(), abs=1e-6)
    assert base["win_rate"] == pytest.approx((p * q).sum() / p.sum(), abs=1e-6)
    assert base["wins_per_1k_views"] == pytest.approx(1000 * (p * q).mean(), abs=1e-5)
    assert truth["phone"]["revenue_per_1k_views"] == pytest.approx(
        truth["phone"]["wins_per_1k_views"] * big.truth["amount_mean"], rel=1e-5)


def _arms(field: str, truth: dict[str, dict]) -> tuple[list[str], list[str]]:
    demo = ["demo-a", "demo-b", "demo-c", "demo-d"]
    with_f = [f for f in demo if f in truth[field]["forms"]]
    return with_f, [f for f in demo if f not in with_f]


@pytest.mark.parametrize("field", ["phone", "how_did_you_hear"])
def test_randomized_conversion_matches_truth(big: World, truth: dict[str, dict],
                                             field: str) -> None:
    lat = big.latent
    with_f, without = _arms(field, truth)
    a = lat.loc[lat["form_id"].isin(with_f), "submitted"].astype(float)
    b = lat.loc[lat["form_id"].isin(without), "submitted"].astype(float)
    diff = 100 * (b.mean() - a.mean())
    se = 100 * np.sqrt(a.var() / len(a) + b.var() / len(b))
    assert abs(diff - truth[field]["conversion_pp"]) < Z * se, (diff, se)


@pytest.mark.parametrize("field", ["phone", "how_did_you_hear"])
def test_randomized_wins_match_truth(big: World, truth: dict[str, dict], leads: pd.DataFrame,
                                     field: str) -> None:
    """Wins per 1k mature views, from the exported deals, against the mature truth."""
    last = (pd.Timestamp(big.truth["as_of"]) - pd.Timestamp(big.params.start)).days \
        - big.truth["horizon_days"] - 1
    lat = big.latent[big.latent["day"] <= last]
    won = lat["session_id"].isin(leads.loc[leads["won"], "session_id"]).astype(float)
    with_f, without = _arms(field, truth)
    a, b = won[lat["form_id"].isin(with_f)], won[lat["form_id"].isin(without)]
    diff = 1000 * (b.mean() - a.mean())
    se = 1000 * np.sqrt(a.var() / len(a) + b.var() / len(b))
    assert abs(diff - truth[field]["mature"]["wins_per_1k_views"]) < Z * se, (diff, se)
    assert abs(diff) > 3 * se  # the planted effect is detectable


def test_realised_rates_match_generating_probabilities(big: World, leads: pd.DataFrame) -> None:
    lat = big.latent
    n = len(lat)
    cr = lat["submitted"].mean()
    assert abs(cr - lat["p_submit"].mean()) < Z * np.sqrt(cr * (1 - cr) / n)
    last = (pd.Timestamp(big.truth["as_of"]) - pd.Timestamp(big.params.start)).days \
        - big.truth["horizon_days"] - 1
    mature = leads[leads["day"] <= last]
    q = mature["q_win"].mean()
    assert abs(mature["won"].mean() - q) < Z * np.sqrt(q * (1 - q) / len(mature))
    for form in ("demo-a", "pricing", "newsletter", "contact"):
        m = mature[mature["form_id"] == form]
        qf = m["q_win"].mean()
        assert abs(m["won"].mean() - qf) < Z * np.sqrt(qf * (1 - qf) / len(m)), form


def test_friction_selects_weaker_leads(big: World) -> None:
    lat = big.latent
    sub = lat[lat["submitted"]]
    # demo-d (fewest fields) converts best and its submitters have the lowest intent
    by_form = sub.groupby("form_id", observed=True)["intent"].mean()
    conv = lat.groupby("form_id", observed=True)["submitted"].mean()
    assert conv["demo-d"] > conv["demo-a"]
    assert by_form["demo-d"] < by_form["demo-a"]


def test_predictive_and_noise_fields(leads: pd.DataFrame) -> None:
    def p_value(col: str) -> float:
        d = leads[leads[col].notna()]
        table = pd.crosstab(d[col], d["won"])
        return float(stats.chi2_contingency(table.to_numpy())[1])

    assert p_value("company_size") < 1e-10
    assert p_value("seniority") < 1e-4
    assert p_value("how_did_you_hear") > 1e-3


def test_deal_timing_is_bounded(big: World, leads: pd.DataFrame) -> None:
    o = big.outcomes.assign(key=_key(big.outcomes["email"]))
    assert o["key"].isin(set(leads["key"])).all()
    d = o.merge(leads[["key", "submitted_at"]], on="key")
    sub_day = pd.to_datetime(d["submitted_at"]).dt.normalize()
    created = pd.to_datetime(d["created_at"])
    as_of = pd.Timestamp(big.truth["as_of"])
    assert (created <= as_of).all() and (created >= sub_day).all()
    closed = pd.to_datetime(d["closed_at"].replace("", None))
    kind = d["outcome"].str.lower()
    assert closed[kind == "open"].isna().all() and closed[kind != "open"].notna().all()
    assert (closed[kind != "open"] <= as_of).all()
    days = (closed - sub_day).dt.days
    horizon = big.truth["horizon_days"]
    assert days[kind == "won"].between(20, horizon).all()
    assert days[kind == "lost"].between(3, 75).all()
    assert days[kind == "won"].median() > days[kind == "lost"].median()
    per_lead = o.groupby("key", observed=True).size()
    assert per_lead.max() <= 2
    amount = pd.to_numeric(d["amount"].replace("", None))
    assert amount[kind == "won"].notna().all() and amount[kind != "won"].isna().all()


def test_broken_split_is_a_sample_ratio_mismatch() -> None:
    def srm_p(broken: bool) -> float:
        w = simulate_world(WorldParams(seed=2, n_views=20_000, broken_split=broken))
        demo = w.views[w.views["form_id"].str.startswith("demo")]
        counts = demo["form_id"].value_counts().sort_index().to_numpy()
        return float(stats.chisquare(counts).pvalue)

    assert srm_p(True) < 1e-3
    assert srm_p(False) > 1e-3


def test_day_shock_sd_zero_disables_shocks() -> None:
    w = simulate_world(WorldParams(seed=4, n_views=5000, day_shock_sd=0.0))
    assert w.truth["day_shock_sd"] == 0.0
    assert len(w.views) == 5000
