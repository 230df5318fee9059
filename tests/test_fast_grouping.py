"""The hand-made fast paths give pandas' own answers: duplicate rows, grouped sums, group order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import formfit.cells.groups as groups
from formfit.cells.groups import group_index, grouped_sums, sorted_groups
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


@pytest.mark.parametrize("limit", [1 << 62, 16])  # 16: the codes are re-packed on the way
def test_grouped_sums_equal_pandas_groupby(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    monkeypatch.setattr(groups, "_LIMIT", limit)
    rng = np.random.default_rng(3)
    for trial in range(150):
        df = _frame(rng, int(rng.integers(1, 60)))
        keys = ["form_id", "version", "date", "device"] if trial % 3 else ["form_id"]
        want = df.groupby(keys, dropna=False, sort=True, observed=True)[
            ["leads", "revenue"]].sum().reset_index()
        pd.testing.assert_frame_equal(grouped_sums(df, keys, ["leads", "revenue"]), want,
                                      check_exact=True)


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
