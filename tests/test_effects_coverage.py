"""Coverage of drop-effect intervals on a cell-level world with known truth.

The world (``cell_world``): an experiment ``demo`` with three concurrent variants
(A: email, name, phone, company_size; B: without phone; C: without company_size), a form
``pricing`` that dropped ``how_heard`` half-way, and two unchanged forms as controls. Per cell
(form, day, device, channel): views ~ Poisson, and

    logit P(submit) = alpha_group + sum_f beta_f [f shown] + gamma_device + gamma_channel
                      + u_(form, day),        u ~ N(0, shock_sd^2)

The truth of a drop effect is the trial-weighted AME over the focal cells showing the field,
computed from the shock-free linear predictor (the day-shock Jensen term is below 1e-4 pp).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from formfit.inputs import FormsConfig, FormSpec, FormVersion
from formfit.models.effects import drop_effects

BETA = {"email": -0.10, "name": -0.05, "phone": -0.30, "company_size": -0.15,
        "how_heard": -0.20}
DEVICE = {"desktop": 0.0, "mobile": -0.40}
CHANNEL = {"ads": 0.0, "organic": 0.25, "email": 0.40}


def world_forms(change_day: int = 30) -> FormsConfig:
    start = pd.Timestamp("2025-01-01").date()
    change = (pd.Timestamp("2025-01-01") + pd.Timedelta(days=change_day)).date()
    return FormsConfig(forms={
        "demo-a": FormSpec("demo-a", (FormVersion(None, ("email", "name", "phone",
                                                         "company_size")),), experiment="demo"),
        "demo-b": FormSpec("demo-b", (FormVersion(None, ("email", "name", "company_size")),),
                           experiment="demo"),
        "demo-c": FormSpec("demo-c", (FormVersion(None, ("email", "name", "phone")),),
                           experiment="demo"),
        "pricing": FormSpec("pricing", (FormVersion(start, ("email", "how_heard")),
                                        FormVersion(change, ("email",)))),
        "contact": FormSpec("contact", (FormVersion(None, ("email", "name")),)),
        "newsletter": FormSpec("newsletter", (FormVersion(None, ("email",)),)),
    }, fields={})


ALPHA = {"demo-a": -1.6, "demo-b": -1.6, "demo-c": -1.6, "pricing": -2.2, "contact": -1.4,
         "newsletter": -0.9}
GROUP = {"demo-a": "demo", "demo-b": "demo", "demo-c": "demo"}


def cell_world(seed: int, *, days: int = 60, views_per_day: float = 400.0,
               shock_sd: float = 0.15, shock: str = "form_day",
               segments: bool = True, season: float = 0.3) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Cells and truth; ``shock`` is "form_day" (independent per form-day) or "day"."""
    rng = np.random.default_rng(seed)
    forms = world_forms(days // 2)
    dates = pd.date_range("2025-01-01", periods=days, freq="D")
    seasonal = season * np.sin(np.arange(days) / days * 2 * np.pi)
    day_shock = rng.normal(0, shock_sd, days)
    rows = []
    devs = list(DEVICE) if segments else ["desktop"]
    chans = list(CHANNEL) if segments else ["ads"]
    seg_share = np.full(len(devs) * len(chans), 1.0 / (len(devs) * len(chans)))
    for form_id, spec in forms.forms.items():
        for t, day in enumerate(dates):
            ver = spec.version_index(day.date())
            shown = spec.versions[ver].fields
            u = day_shock[t] if shock == "day" else rng.normal(0, shock_sd)
            base = ALPHA[form_id] + sum(BETA[f] for f in shown) + seasonal[t] + u
            total = rng.poisson(views_per_day)
            counts = rng.multinomial(total, seg_share)
            k = 0
            for d in devs:
                for c in chans:
                    n = int(counts[k])
                    k += 1
                    eta = base + DEVICE[d] + CHANNEL[c]
                    y = rng.binomial(n, expit(eta))
                    rows.append((form_id, ver, day, d, c, n, y,
                                 base - u + DEVICE[d] + CHANNEL[c]))
    cells = pd.DataFrame(rows, columns=["form_id", "version", "date", "device", "channel",
                                        "views", "submissions", "eta"])
    truth: dict[str, float] = {}
    for f, focal in (("phone", ["demo-a", "demo-c"]), ("company_size", ["demo-a", "demo-b"]),
                     ("how_heard", ["pricing"])):
        sel = cells[cells["form_id"].isin(focal)]
        if f == "how_heard":
            sel = sel[sel["version"] == 0]
        n = sel["views"].to_numpy(float)
        eta = sel["eta"].to_numpy()
        truth[f] = float(np.sum(n * (expit(eta - BETA[f]) - expit(eta))) / n.sum() * 100)
    return cells.drop(columns="eta"), {"truth": truth, "forms": forms}


def covered(world_seed: int, se_method: str = "auto", **kw: Any) -> dict[str, bool]:
    cells, w = cell_world(world_seed, **kw)
    segs = ("device", "channel") if kw.get("segments", True) else ()
    fit = drop_effects(cells, successes="submissions", trials="views", forms=w["forms"],
                       fields=["phone", "company_size", "how_heard"], segments=segs,
                       se_method=se_method)  # type: ignore[arg-type]
    out = {}
    for f, t in w["truth"].items():
        e = fit.effects[f].estimate
        assert e.ci_low is not None and e.ci_high is not None
        out[f] = e.ci_low <= t <= e.ci_high
    return out


def test_world_labels_and_truth_recovered() -> None:
    cells, w = cell_world(1)
    fit = drop_effects(cells, successes="submissions", trials="views", forms=w["forms"],
                       fields=["email", "name", "phone", "company_size", "how_heard"],
                       segments=("device", "channel"))
    ev = {f: e.evidence for f, e in fit.effects.items()}
    assert ev == {"email": "none", "name": "none", "phone": "randomized",
                  "company_size": "randomized", "how_heard": "observational"}
    assert "season and campaigns" in fit.effects["how_heard"].basis
    for f, t in w["truth"].items():
        e = fit.effects[f].estimate
        assert e.estimate is not None and abs(e.estimate - t) < 4 * (fit.effects[f].se or 0)


def _run(seeds: range, se_method: str, **kw: Any) -> tuple[int, int, float, float]:
    """Covered randomized intervals, their number, mean SE and SD of the estimates."""
    hits, ses, errs = [], [], []
    for s in seeds:
        cells, w = cell_world(s, **kw)
        fit = drop_effects(cells, successes="submissions", trials="views", forms=w["forms"],
                           fields=["phone", "company_size"], segments=("device", "channel"),
                           se_method=se_method)  # type: ignore[arg-type]
        for f in ("phone", "company_size"):
            e, t = fit.effects[f], w["truth"][f]
            assert e.estimate.ci_low is not None and e.estimate.ci_high is not None
            assert e.estimate.estimate is not None and e.se is not None
            hits.append(e.estimate.ci_low <= t <= e.estimate.ci_high)
            ses.append(e.se)
            errs.append(e.estimate.estimate - t)
    return sum(hits), len(hits), float(np.mean(ses)), float(np.std(errs))


@pytest.mark.slow
def test_coverage_40_worlds_with_day_shocks() -> None:
    """Day shocks of sd 0.15 on the logit per form-day, 60 days: 95% intervals of the
    randomized effects cover the truth in at least 70 of 80 (P(X < 70 | 80, 0.95) < 0.01).
    Over seeds 0-799 coverage was 0.955 (phone) and 0.950 (company_size); seeds 0-39 give
    78/80 (other runs of 40 seeds gave 71/80 to 78/80)."""
    hits, n, _, _ = _run(range(0, 40), "auto")
    assert n == 80 and hits >= 70, hits


@pytest.mark.slow
def test_naive_binomial_intervals_undercover_where_ours_do_not() -> None:
    """A 14-day test with 1,500 views per form-day and day shocks (sd 0.15, per form-day):
    binomial standard errors are about half the real spread (over 300 worlds: coverage 0.63,
    quasi-binomial on cells 0.80), the default day-clustered ones match it (0.96)."""
    kw = {"days": 14, "views_per_day": 1500.0}
    ours = _run(range(3000, 3020), "auto", **kw)
    naive = _run(range(3000, 3020), "binomial", **kw)
    assert ours[0] >= 34, ours
    assert naive[0] <= 32, naive
    assert naive[2] < 0.7 * naive[3]  # mean naive SE well below the spread of the estimates
    assert ours[2] > 0.8 * ours[3]
