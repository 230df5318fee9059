"""The hand-made fast paths give pandas' own answers: duplicate rows, grouped sums, group order."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

import formfit.cells.groups as groups
from formfit.cells.groups import group_index, sorted_groups
from formfit.cells.leads import lead_cells
from formfit.io.table import duplicated_rows


def _frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    nat = np.datetime64("NaT", "ns")
    days = [np.datetime64("2025-01-02", "ns"), np.datetime64("2025-01-01", "ns"), nat]
    df = pd.DataFrame({
        "form_id": pd.Series(rng.choice(["b", "a", "Z", "\u00e9"], n), dtype="str"),
        "version": rng.integers(0, 3, n).astype("int64"),
        "date": pd.Series(rng.choice(days, n)),
        "device": pd.Series(rng.choice(["x", "(missing)", "y"], n), dtype="str"),
        "leads": np.ones(n, dtype="int64"),
        "revenue": rng.normal(size=n) * 1e6,
    })
    df.loc[rng.random(n) < 0.2, "form_id"] = None
    return df


def _leads(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Per-lead outcomes as lead_outcomes hands them to lead_cells."""
    df = _frame(rng, n).drop(columns=["leads", "revenue"])
    df["form_id"] = df["form_id"].fillna("c")
    df["deal_state"] = pd.Series(rng.choice(["won", "open", "lost", "none"], n), dtype="str")
    rev = rng.lognormal(8, 2, n)
    rev[rng.random(n) < 0.3] = np.nan
    df["win_revenue"] = np.where(df["deal_state"] == "won", rev, np.nan)
    event = pd.Series(rng.integers(0, 3, n), dtype="Int64")
    event[rng.random(n) < 0.2] = pd.NA
    df["event"] = event
    df["event_days"] = np.where(event.isna(), np.nan, rng.integers(0, 40, n) + rng.random(n))
    return df


@pytest.mark.parametrize("limit", [1 << 62, 16])  # 16: the codes are re-packed on the way
def test_lead_cells_equal_pandas_groupby(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """Counts by bincount and events numbered by (cell, day) are pandas' groupby sums, in its
    order, to the last bit (revenue sums included)."""
    monkeypatch.setattr(groups, "_LIMIT", limit)
    rng = np.random.default_rng(3)
    for trial in range(120):
        df = _leads(rng, int(rng.integers(1, 60)))
        segs = ["device"] if trial % 2 else []
        keys = ["form_id", "version", "date", *segs]
        got = lead_cells(df, segs, date(2025, 3, 1))
        ref = df[keys].copy()
        for s in ("won", "open", "lost"):
            ref[s] = (df["deal_state"] == s).astype("int64")
        ref["no_deal"] = (df["deal_state"] == "none").astype("int64")
        ref["leads"] = 1
        has = df["win_revenue"].notna() & (df["deal_state"] == "won")
        ref["rev_n"] = has.astype("int64")
        ref["rev_sum"] = df["win_revenue"].where(has, 0.0)
        ref["rev_sumsq"] = ref["rev_sum"] ** 2
        counts = ["leads", "won", "open", "lost", "no_deal", "rev_n", "rev_sum", "rev_sumsq"]
        want = ref.groupby(keys, dropna=False, sort=True)[counts].sum().reset_index()
        want["age_days"] = (pd.Timestamp("2025-03-01") - want["date"]).dt.days.astype(float)
        pd.testing.assert_frame_equal(got.cells, want, check_exact=True)

        ok = df["event"].notna() & df["date"].notna()
        ev = df.loc[ok, keys].assign(t=np.floor(df.loc[ok, "event_days"]).astype("int64"))
        code = df.loc[ok, "event"].astype("int64")
        for name, value in (("won", 1), ("lost", 2), ("censored", 0)):
            ev[name] = (code == value).astype("int64")
        if ev.empty:
            assert got.events.empty
            continue
        want_ev = ev.groupby([*keys, "t"], dropna=False, sort=True)[
            ["won", "lost", "censored"]].sum().reset_index()
        pd.testing.assert_frame_equal(got.events, want_ev, check_exact=True)


def test_group_index_orders_groups_as_groupby_iterates() -> None:
    df = _frame(np.random.default_rng(5), 200)
    gid, keys = group_index(df, ["form_id", "version"])
    for j, (key, g) in enumerate(df.groupby(["form_id", "version"], sort=True, dropna=False)):
        assert np.array_equal(np.flatnonzero(gid == j), df.index.get_indexer(g.index))
        got = tuple(keys.iloc[j])
        assert (pd.isna(got[0]) and pd.isna(key[0])) or got[0] == key[0]
        assert got[1] == key[1]


def test_duplicated_rows_equals_pandas_with_and_without_seed() -> None:
    rng = np.random.default_rng(1)
    for trial in range(200):
        n = int(rng.integers(0, 50))
        df = pd.DataFrame({f"c{j}": pd.Series(rng.choice(["a", "b", None], n), dtype="str")
                           for j in range(int(rng.integers(1, 4)))})
        if trial % 3 == 0 and n:
            df["d"] = pd.Series(rng.choice([np.datetime64("2025-01-01", "ns"),
                                            np.datetime64("NaT", "ns")], n))
        want = df.duplicated(keep="first").to_numpy()
        assert np.array_equal(duplicated_rows(df), want)
        # a seed computed from the row's own first cell only narrows the comparison
        seed = pd.factorize(df.iloc[:, 0], use_na_sentinel=False)[0] if n else None
        assert np.array_equal(duplicated_rows(df, seed=seed), want)


def test_lead_outcomes_still_refuses_two_rows_for_one_lead() -> None:
    from dataclasses import replace

    from formfit.config import Settings
    from formfit.leads import lead_outcomes
    from formfit.models.censoring import demo_world

    inputs, _ = demo_world(1, leads_per_day=2.0)
    twice = pd.concat([inputs.submissions, inputs.submissions.iloc[[5]]], ignore_index=True)
    with pytest.raises(ValueError, match="one row per lead_key"):
        lead_outcomes(replace(inputs, submissions=twice), Settings(maturity_days=90))
    out = lead_outcomes(inputs, Settings(maturity_days=90))  # and joins deals by position
    deals = inputs.deals
    won_keys = set(deals.loc[deals["outcome"] == "won", "lead_key"])
    assert set(out.leads.loc[out.leads["deal_state"] == "won", "lead_key"]) == won_keys


def test_sorted_groups_are_numpys_unique() -> None:
    """The hashing shortcut the lead cells and the LR test's cells rest on gives exactly
    np.unique's inverse and first positions (so the fits see the same cells in order)."""
    key = np.random.default_rng(4).integers(-50, 400, 20_000)
    gid, first = sorted_groups(key)
    _, first_np, inv_np = np.unique(key, return_index=True, return_inverse=True)
    assert gid.tolist() == inv_np.ravel().tolist()
    assert first.tolist() == first_np.tolist()
