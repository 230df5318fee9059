"""Rows to cells: versions by date, one row per cell, and invariance to how rows are cut."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formfit.aggregate import view_cells
from formfit.inputs import FormsConfig, FormSpec, FormVersion, Inputs
from formfit.models.effects import drop_effects

FORMS = FormsConfig(forms={
    "a": FormSpec("a", (FormVersion(None, ("email", "phone")),), experiment="x"),
    "b": FormSpec("b", (FormVersion(None, ("email",)),), experiment="x"),
    "pricing": FormSpec("pricing", (FormVersion(date(2025, 1, 1), ("email", "budget")),
                                    FormVersion(date(2025, 1, 10), ("email",)))),
}, fields={})


def inputs(vc: pd.DataFrame | None, segments: tuple[str, ...] = ("device",)) -> Inputs:
    return Inputs(submissions=pd.DataFrame(), fields=("email", "phone", "budget"),
                  forms=FORMS, view_counts=vc, segments=segments)


def views(seed: int = 0, days: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for d in pd.date_range("2025-01-01", periods=days, freq="D"):
        for f in ("a", "b", "pricing"):
            for dev in ("desktop", "mobile"):
                n = int(rng.integers(50, 150))
                rows.append({"form_id": f, "date": d, "device": dev, "views": n,
                             "submissions": int(rng.binomial(n, 0.1))})
    out = pd.DataFrame(rows)
    out["form_id"] = out["form_id"].astype("str")
    out["device"] = out["device"].astype("str")
    return out


def test_cells_carry_the_version_in_force_and_are_unique() -> None:
    vc = views()
    cells = view_cells(inputs(vc))
    assert list(cells.columns) == ["form_id", "version", "date", "device", "views",
                                   "submissions"]
    assert not cells.duplicated(["form_id", "version", "date", "device"]).any()
    p = cells[cells["form_id"] == "pricing"]
    assert set(p.loc[p["date"] < "2025-01-10", "version"]) == {0}
    assert set(p.loc[p["date"] >= "2025-01-10", "version"]) == {1}
    assert cells["views"].sum() == vc["views"].sum()
    assert cells["date"].dtype == "datetime64[ns]"


def test_unknown_forms_and_missing_dates() -> None:
    vc = pd.DataFrame({"form_id": ["a", "zzz", "pricing"], "date": [pd.NaT] * 3,
                       "device": ["d", "d", "d"], "views": [10, 5, 7],
                       "submissions": [1, 0, 1]})
    cells = view_cells(inputs(vc))
    v = dict(zip(cells["form_id"], cells["version"], strict=True))
    assert v["zzz"] == -1
    assert v["a"] == 0
    assert v["pricing"] == FORMS.forms["pricing"].version_index(None)


def test_no_views_gives_an_empty_frame_with_the_columns() -> None:
    cells = view_cells(inputs(None))
    assert cells.empty and {"form_id", "version", "date", "views", "submissions"} <= set(
        cells.columns)


def split_rows(vc: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Cut every row in two random parts (views and submissions) and shuffle."""
    k = rng.integers(0, vc["views"].to_numpy() + 1)
    s = np.minimum(vc["submissions"].to_numpy(), rng.integers(0, vc["submissions"] + 1))
    s = np.minimum(s, k)
    rest_s = vc["submissions"].to_numpy() - s
    rest_n = vc["views"].to_numpy() - k
    ok = rest_s <= rest_n
    s = np.where(ok, s, vc["submissions"].to_numpy())
    k = np.where(ok, k, vc["views"].to_numpy())
    a = vc.assign(views=k, submissions=s)
    b = vc.assign(views=vc["views"].to_numpy() - k, submissions=vc["submissions"].to_numpy() - s)
    return pd.concat([a, b]).sample(frac=1.0, random_state=int(rng.integers(1000)))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_aggregation_is_order_free_and_additive(seed: int) -> None:
    vc = views(seed % 7, days=6)
    base = view_cells(inputs(vc))
    cut = view_cells(inputs(split_rows(vc, np.random.default_rng(seed))))
    pd.testing.assert_frame_equal(base, cut)


def test_splitting_rows_of_view_counts_changes_no_estimate() -> None:
    vc = views(3)
    rng = np.random.default_rng(4)
    a = view_cells(inputs(vc))
    b = view_cells(inputs(split_rows(split_rows(vc, rng), rng)))
    kw = {"successes": "submissions", "trials": "views", "forms": FORMS,
          "fields": ["phone", "budget"], "segments": ("device",)}
    ea, eb = drop_effects(a, **kw).effects, drop_effects(b, **kw).effects
    for f in ("phone", "budget"):
        assert ea[f].estimate.estimate is not None
        for attr in ("estimate", "ci_low", "ci_high", "p_value"):
            assert getattr(eb[f].estimate, attr) == pytest.approx(
                getattr(ea[f].estimate, attr), abs=1e-6)


def test_row_level_and_daily_views_of_a_simulated_world_give_the_same_estimates(
        tmp_path: Path) -> None:
    """formfit simulate writes the same views twice: views.csv (one row per view) and
    views_daily.csv (aggregated). Through io and view_cells they must give the same effects."""
    pytest.importorskip("formfit.simulation")
    from formfit.config import Settings
    from formfit.io import load_inputs
    from formfit.simulation import write_world

    write_world(tmp_path, seed=11, views=20_000)
    out = {}
    for name in ("views.csv", "views_daily.csv"):
        inp = load_inputs(Settings(submissions=tmp_path / "submissions.csv",
                                   views=tmp_path / name, forms=tmp_path / "forms.yaml",
                                   segments=("device", "channel")))
        cells = view_cells(inp)
        out[name] = (cells, drop_effects(cells, successes="submissions", trials="views",
                                         forms=inp.forms, fields=list(inp.forms.shown_fields()),
                                         segments=inp.segments))
    (ca, fa), (cb, fb) = out["views.csv"], out["views_daily.csv"]
    assert ca["views"].sum() == cb["views"].sum()
    assert ca["submissions"].sum() == cb["submissions"].sum()
    for f, e in fa.effects.items():
        g = fb.effects[f]
        assert e.evidence == g.evidence
        if e.estimate.estimate is None:
            assert g.estimate.estimate is None
            continue
        assert g.estimate.estimate == pytest.approx(e.estimate.estimate, abs=1e-6)
        assert g.estimate.ci_low == pytest.approx(e.estimate.ci_low, abs=1e-6)
