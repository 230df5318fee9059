"""Completion curves when the win probability changes mid-year: chain-ladder vs pooled AJ.

Leads arrive evenly over a year (``--leads-per-day``); a lead wins with probability 0.15 before
1 July and 0.35 after (a form edit that works), at 20 + Beta(2, 2.5) * 280 days after
submission, loses otherwise at 3..45 days (``--slow-losses``: 3..300); the export is on
31 December. The share of eventual
wins that arrive within t days, G(t), is the same for every lead. Over ``--seeds`` worlds the
script prints the mean of each estimate of G(t) (normalised at the longest supported follow-up
``followup_days``, as formfit uses it) against the truth, for

* ``chain_ladder``: :func:`formfit.models.completion.win_timing` (within-cohort ratios);
* ``pooled_aj``: one Aalen-Johansen cumulative incidence over all leads (open censored).

Run:  python scripts/completion_compare.py --seeds 50 [--slow-losses]
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

AS_OF = date(2025, 12, 31)
POINTS = (60, 120, 180, 240)


def _world(seed: int, leads_per_day: float, slow_losses: bool) -> tuple[Any, Any]:
    from formfit.cells.leads import lead_cells
    from formfit.models.completion import win_timing

    rng = np.random.default_rng(seed)
    n_days = 365
    counts = rng.poisson(leads_per_day, n_days)
    day = np.repeat(np.arange(n_days), counts)
    n = day.size
    p = np.where(day < 181, 0.15, 0.35)
    won = rng.random(n) < p
    lose = (3 + np.floor(rng.beta(1.2, 2.0, n) * 298)) if slow_losses else rng.integers(3, 46, n)
    t_event = np.where(won, 20 + np.floor(rng.beta(2.0, 2.5, n) * 281), lose).astype(float)
    age = (n_days - 1 - day).astype(float)
    seen = t_event <= age
    event = np.where(seen, np.where(won, 1, 2), 0)
    frame = pd.DataFrame({
        "form_id": "f", "version": 0,
        "date": pd.Timestamp(AS_OF) - pd.to_timedelta(age, unit="D"),
        "deal_state": np.where(seen, np.where(won, "won", "lost"), "open"),
        "win_revenue": np.nan, "event": event,
        "event_days": np.where(seen, t_event, age)})
    lc = lead_cells(frame, [], AS_OF)
    return lc, win_timing(lc)


def _pooled_aj_share(lc: Any, grid: np.ndarray, follow: float) -> np.ndarray:
    ev = lc.events.groupby("t", sort=True)[["won", "lost", "censored"]].sum()
    t = ev.index.to_numpy(dtype=float)
    exits = ev.sum(axis=1).to_numpy(dtype=float)
    at_risk = exits.sum() - np.concatenate([[0.0], np.cumsum(exits)[:-1]])
    d_won = ev["won"].to_numpy(dtype=float)
    d_any = (ev["won"] + ev["lost"]).to_numpy(dtype=float)
    surv = np.cumprod(1.0 - d_any / np.maximum(at_risk, 1.0))
    cif = np.cumsum(np.concatenate([[1.0], surv[:-1]]) * d_won / np.maximum(at_risk, 1.0))
    g = np.interp(grid, t, cif)
    out: np.ndarray = g / np.interp(follow, grid, g)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--leads-per-day", type=float, default=30.0)
    ap.add_argument("--slow-losses", action="store_true",
                    help="losses close 3..300 days after submission (Beta(1.2, 2))")
    a = ap.parse_args()
    rows = []
    rng = np.random.default_rng(0)
    true_t = 20 + np.floor(rng.beta(2.0, 2.5, 2_000_000) * 281)
    for seed in range(a.seeds):
        lc, timing = _world(seed, a.leads_per_day, a.slow_losses)
        assert timing is not None
        follow = float(timing.followup_days)
        aj = _pooled_aj_share(lc, timing.grid, follow)
        truth_follow = float(np.mean(true_t <= follow))
        for x in POINTS:
            truth = float(np.mean(true_t <= x)) / truth_follow
            rows.append({"t": x, "truth": truth,
                         "chain_ladder": float(np.interp(x, timing.grid, timing.share)),
                         "pooled_aj": float(np.interp(x, timing.grid, aj))})
    df = pd.DataFrame(rows)
    g = df.groupby("t")
    out = pd.DataFrame({"truth": g["truth"].mean(),
                        "chain_ladder": g["chain_ladder"].mean(),
                        "chain_ladder_sd": g["chain_ladder"].std(),
                        "pooled_aj": g["pooled_aj"].mean(),
                        "pooled_aj_sd": g["pooled_aj"].std()})
    print(f"{a.seeds} worlds, {a.leads_per_day} leads/day, win probability 0.15 -> 0.35 on "
          f"1 July, losses at {'3-300' if a.slow_losses else '3-45'} days; G(t) = share of "
          "wins (within the follow-up) arriving by t days")
    with pd.option_context("display.float_format", "{:.4f}".format):
        print(out.to_string())


if __name__ == "__main__":
    main()
