"""Coverage of the 95% intervals of win effects on simulated worlds with known truth.

The sample-like worlds (wins within 90 days, 240 days of views); for slow wins and the
eventual truth see ``scripts/coverage_eventual.py``.

For each seed: ``formfit.simulation.write_world`` -> ``formfit.io.load_inputs`` (maturity_days =
truth's horizon_days, as_of = truth's as_of) -> ``lead_outcomes`` -> ``view_cells`` ->
``win_effects``; each field's ``win_rate_pp``, ``wins_per_1k_views`` and
``revenue_per_1k_views`` interval is checked against truth.json. The target is 92-98% for the
randomized fields (phone, how_did_you_hear); observational fields are reported too.

Run:  python scripts/coverage_wins.py --worlds 200 [--jobs 2] [--no-segments] [--views N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

METRICS = ("win_rate_pp", "wins_per_1k_views", "revenue_per_1k_views")


def one_world(seed: int, segments: bool = True, views: int | None = None) -> list[dict[str, Any]]:
    """Per field and metric: truth, estimate, interval and evidence for one simulated world."""
    from formfit.aggregate import view_cells
    from formfit.config import Settings
    from formfit.io import load_inputs
    from formfit.leads import lead_outcomes
    from formfit.models.wins import win_effects
    from formfit.simulation import write_world

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_world(d, seed=seed, views=views)
        truth = json.loads((d / "truth.json").read_text())
        settings = Settings(
            submissions=d / "submissions.csv", views=d / "views_daily.csv",
            outcomes=d / "outcomes.csv", forms=d / "forms.yaml",
            segments=tuple(truth["segments"]) if segments else (),
            maturity_days=int(truth["horizon_days"]),
            as_of=date.fromisoformat(truth["as_of"]))
        inputs = load_inputs(settings)
    outcomes = lead_outcomes(inputs, settings)
    we = win_effects(outcomes.cells, outcomes.timing, view_cells(inputs), forms=inputs.forms,
                     fields=list(inputs.fields), horizon_days=outcomes.horizon_days)
    rows: list[dict[str, Any]] = []
    ests = {"win_rate_pp": we.win_rate_pp, "wins_per_1k_views": we.wins_per_1k_views,
            "revenue_per_1k_views": we.revenue_per_1k_views}
    for f in truth["fields"]:
        for m in METRICS:
            e = ests[m].get(f["field"])
            if e is None or not e.known:
                continue
            assert e.estimate is not None and e.ci_low is not None and e.ci_high is not None
            rows.append({"seed": seed, "field": f["field"], "evidence": f["evidence"],
                         "metric": m, "truth": float(f[m]), "estimate": e.estimate,
                         "ci_low": e.ci_low, "ci_high": e.ci_high,
                         "covered": e.ci_low <= float(f[m]) <= e.ci_high})
    return rows


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    g = rows.groupby(["evidence", "field", "metric"], observed=True, sort=True)
    out = pd.DataFrame({
        "worlds": g.size(),
        "coverage": g["covered"].mean(),
        "mean_truth": g["truth"].mean(),
        "mean_bias": g.apply(lambda x: float((x["estimate"] - x["truth"]).mean()),
                             include_groups=False),
        "sd_estimate_minus_truth": g.apply(lambda x: float((x["estimate"] - x["truth"]).std()),
                                           include_groups=False),
        "mean_half_width_/1.96": g.apply(
            lambda x: float(((x["ci_high"] - x["ci_low"]) / 2 / 1.96).mean()),
            include_groups=False),
    })
    return out.reset_index()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", type=int, default=200)
    ap.add_argument("--start", type=int, default=0, help="first seed")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--views", type=int, default=None, help="views per world (default 60,000)")
    ap.add_argument("--no-segments", action="store_true", help="fit without device/channel")
    ap.add_argument("--save", type=Path, default=None, help="write per-world rows (CSV)")
    a = ap.parse_args()
    t0 = time.time()
    seeds = list(range(a.start, a.start + a.worlds))
    with ProcessPoolExecutor(max_workers=a.jobs) as ex:
        parts = list(ex.map(one_world, seeds, [not a.no_segments] * len(seeds),
                            [a.views] * len(seeds)))
    rows = pd.DataFrame([r for p in parts for r in p])
    if a.save:
        rows.to_csv(a.save, index=False)
    table = summarise(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:.4g}".format):
        print(f"{a.worlds} worlds (seeds {seeds[0]}..{seeds[-1]}), segments "
              f"{'off' if a.no_segments else 'on'}, {time.time() - t0:.0f} s")
        print(table.to_string(index=False))
    for m in METRICS:
        r = rows.loc[(rows["evidence"] == "randomized") & (rows["metric"] == m), "covered"]
        if len(r):
            c = float(r.mean())
            print(f"randomized {m}: coverage {c:.3f} over {len(r)} intervals "
                  f"(Monte Carlo SE {np.sqrt(c * (1 - c) / len(r)):.3f})")


if __name__ == "__main__":
    main()
