"""Coverage of the *eventual* truth by the win effects, on worlds where wins are slow.

Each world (``formfit.simulation``, seed = world number): a year of views (365 days), won
deals closing 20..300 days after submission (Beta(2, 2.5) spread: ~46% of wins arrive after
150 days), about 18% of deals still open at export, and the pricing form edited twice
mid-year (days 110 and 182). Files are written and read back through ``load_inputs`` like a
user's exports, then ``lead_outcomes`` (horizon derived from the data, no --maturity-days) ->
``view_cells`` -> ``win_effects``. Per field and metric the interval is checked against the
eventual truth of truth.json (``truth``) and against the truth within the h formfit chose
(``truth_h`` = eventual x the true share of wins closing within h).

Methods compared on the same worlds (``method`` column):

* ``eventual``: formfit's estimator (chain-ladder completion factors, trials x F);
* ``pooled_aj``: the same models with F from one pooled Aalen-Johansen curve
  (CIF(t) / CIF(follow-up), no bootstrap) instead of chain-ladder factors;
* ``cutoff``: the maturity cut-off at the same h (view days at least h old), wins per 1,000
  views only (the sensitivity check formfit reports beside the main estimate).

Run:  python scripts/coverage_eventual.py --worlds 200 --views 30000 --jobs 2 [--compare]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

METRICS = ("win_rate_pp", "wins_per_1k_views", "revenue_per_1k_views")
N_DAYS, WIN_DAYS = 365, 300


def _pooled_aj(timing: Any, lc: Any) -> Any:
    """The same WinTiming with G from a pooled Aalen-Johansen curve (daily, all leads)."""
    ev = lc.events.groupby("t", sort=True)[["won", "lost", "censored"]].sum()
    t = ev.index.to_numpy(dtype=float)
    n_all = float(ev.to_numpy().sum())
    exits = ev.sum(axis=1).to_numpy(dtype=float)
    at_risk = n_all - np.concatenate([[0.0], np.cumsum(exits)[:-1]])
    d_won = ev["won"].to_numpy(dtype=float)
    d_any = (ev["won"] + ev["lost"]).to_numpy(dtype=float)
    surv = np.cumprod(1.0 - np.where(at_risk > 0, d_any / np.maximum(at_risk, 1), 0.0))
    surv_before = np.concatenate([[1.0], surv[:-1]])
    cif = np.cumsum(surv_before * np.where(at_risk > 0, d_won / np.maximum(at_risk, 1), 0))
    g = np.interp(timing.grid, t, cif)
    g = g / np.interp(timing.followup_days, timing.grid, g)
    return replace(timing, share=np.clip(g, 0, 1), boot=np.zeros((0, g.size)))


def one_world(seed: int, views: int = 30_000, compare: bool = False) -> list[dict[str, Any]]:
    """Per method, field and metric: truths, estimate, interval for one simulated world."""
    from formfit.aggregate import view_cells
    from formfit.config import Settings
    from formfit.io import load_inputs
    from formfit.leads import lead_outcomes
    from formfit.models.wins import win_effects
    from formfit.simulation import write_world
    from formfit.simulation.crm import win_share_by
    from formfit.simulation.design import WorldParams

    params = WorldParams(n_days=N_DAYS, horizon_days=WIN_DAYS)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_world(d, seed=seed, views=views, params=params)
        truth = json.loads((d / "truth.json").read_text())
        settings = Settings(
            submissions=d / "submissions.csv", views=d / "views_daily.csv",
            outcomes=d / "outcomes.csv", forms=d / "forms.yaml",
            segments=tuple(truth["segments"]), as_of=date.fromisoformat(truth["as_of"]))
        inputs = load_inputs(settings)
    out = lead_outcomes(inputs, settings)
    vc = view_cells(inputs)
    h = int(out.horizon_days or 0)
    share_h = win_share_by(WIN_DAYS, h)
    counts = truth["counts"]
    world = {"seed": seed, "h": h, "h_share_est": out.timing.share_by_h if out.timing else None,
             "h_share_true": share_h, "open_share": counts["deals_open"] / counts["deals"],
             "plateau": bool(out.timing.plateau) if out.timing else None}
    fits = {"eventual": win_effects(out.cells, out.timing, vc, forms=inputs.forms,
                                    fields=list(inputs.fields), horizon_days=h)}
    if compare and out.timing is not None and out.cells is not None:
        fits["pooled_aj"] = win_effects(out.cells, _pooled_aj(out.timing, out.cells), vc,
                                        forms=inputs.forms, fields=list(inputs.fields),
                                        horizon_days=h)
    rows: list[dict[str, Any]] = []
    for method, we in fits.items():
        ests = {"win_rate_pp": we.win_rate_pp, "wins_per_1k_views": we.wins_per_1k_views,
                "revenue_per_1k_views": we.revenue_per_1k_views}
        if method == "eventual":
            ests_cut = {"wins_per_1k_views": dict(we.maturity_check)}
        for f in truth["fields"]:
            for m in METRICS:
                for meth, table in ((method, ests),) + (
                        (("cutoff", ests_cut),) if method == "eventual" else ()):
                    e = table.get(m, {}).get(f["field"])
                    if e is None or not e.known:
                        continue
                    assert e.ci_low is not None and e.ci_high is not None
                    tv = float(f[m])
                    rows.append({**world, "method": meth, "field": f["field"],
                                 "evidence": f["evidence"], "metric": m, "truth": tv,
                                 "truth_h": tv * share_h, "estimate": e.estimate,
                                 "ci_low": e.ci_low, "ci_high": e.ci_high,
                                 "covered": e.ci_low <= tv <= e.ci_high,
                                 "covered_h": e.ci_low <= tv * share_h <= e.ci_high})
    return rows


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    g = rows.groupby(["method", "evidence", "field", "metric"], observed=True, sort=True)
    out = pd.DataFrame({
        "n": g.size(),
        "coverage": g["covered"].mean(),
        "coverage_h": g["covered_h"].mean(),
        "mean_truth": g["truth"].mean(),
        # bias relative to the effect: mean(estimate - truth) / mean |truth|
        "rel_bias": g.apply(lambda x: float((x["estimate"] - x["truth"]).mean()
                                            / x["truth"].abs().mean()), include_groups=False),
        # its Monte Carlo standard error, in the same units
        "rel_bias_se": g.apply(lambda x: float((x["estimate"] - x["truth"]).std()
                                               / np.sqrt(len(x)) / x["truth"].abs().mean()),
                               include_groups=False),
        "mean_ci_width": g.apply(lambda x: float((x["ci_high"] - x["ci_low"]).mean()),
                                 include_groups=False),
    })
    return out.reset_index()


def report(rows: pd.DataFrame, views: int, seconds: float | None = None) -> None:
    """Print the world facts, the summary table and the coverage lines."""
    worlds = rows.drop_duplicates("seed")
    took = f", {seconds:.0f} s" if seconds is not None else ""
    print(f"{len(worlds)} worlds (seeds {worlds['seed'].min()}..{worlds['seed'].max()}, "
          f"{views:,} views, {N_DAYS} days, wins within {WIN_DAYS} days){took}")
    lo, hi = worlds["open_share"].min(), worlds["open_share"].max()
    print(f"open deals at export: {lo:.1%}..{hi:.1%}"
          f"; derived h: {worlds['h'].min()}..{worlds['h'].max()} days (median "
          f"{worlds['h'].median():.0f}); true share of eventual wins by h: "
          f"{worlds['h_share_true'].mean():.3f} (estimated {worlds['h_share_est'].mean():.3f});"
          f" no plateau in {int((worlds['plateau'] == False).sum())} worlds")  # noqa: E712
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:.4g}".format):
        print(summarise(rows).to_string(index=False))
    for method in sorted(set(rows["method"])):
        ev = rows.loc[rows["method"] == method]
        for m in METRICS:
            for kind in ("randomized", "observational", "aliased"):
                r = ev.loc[(ev["evidence"] == kind) & (ev["metric"] == m), "covered"]
                if len(r):
                    c = float(r.mean())
                    print(f"{method} {kind} {m}: coverage {c:.3f} over {len(r)} intervals "
                          f"(Monte Carlo SE {np.sqrt(c * (1 - c) / len(r)):.3f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", type=int, default=200)
    ap.add_argument("--start", type=int, default=0, help="first seed")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--views", type=int, default=30_000, help="views per world")
    ap.add_argument("--compare", action="store_true",
                    help="also fit with a pooled Aalen-Johansen completion curve")
    ap.add_argument("--save", type=Path, default=None,
                    help="append per-world rows (CSV) as worlds finish")
    ap.add_argument("--report", type=Path, default=None,
                    help="only print the summary of rows saved earlier with --save")
    a = ap.parse_args()
    if a.report:
        report(pd.read_csv(a.report), a.views)
        return
    t0 = time.time()
    seeds = list(range(a.start, a.start + a.worlds))
    parts: list[list[dict[str, Any]]] = []
    with ProcessPoolExecutor(max_workers=a.jobs) as ex:
        futures = [ex.submit(one_world, s, a.views, a.compare) for s in seeds]
        for fut in as_completed(futures):
            part = fut.result()
            parts.append(part)
            if a.save:
                pd.DataFrame(part).to_csv(a.save, mode="a", index=False,
                                          header=not a.save.exists())
    rows = pd.DataFrame([r for p in parts for r in p]).sort_values(
        ["seed", "method", "field", "metric"], kind="mergesort")
    report(rows, a.views, time.time() - t0)


if __name__ == "__main__":
    main()
