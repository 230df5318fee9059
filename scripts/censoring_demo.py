"""Open deals counted as lost bias the later period; the maturity cut-off and Aalen-Johansen do not.

The world (:func:`formfit.models.censoring.demo_world`): leads over one year, won deals closing
slower (~75 days) than lost ones (~25 days), and the form ``pricing`` dropping the field
``how_did_you_hear`` on 1 July, after which leads win more often. ``as_of`` is 31 December, so
many deals of the later version are still open.

For the later version (v1) and for the change v1 - v0 (the observational drop effect of
``how_did_you_hear`` on P(won within h)) the script compares, over many seeds:

* ``open_as_lost``: every lead, won = has a won deal at export (open deals count as lost);
* ``closed_only``: leads with an open deal dropped, the rest as above;
* ``maturity_cutoff``: :func:`formfit.leads.lead_outcomes` (judged leads: older than h);
* ``aalen_johansen``: its cumulative incidence at h per form version (every lead).

Run:  python scripts/censoring_demo.py --seeds 200
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd

from formfit.config import Settings
from formfit.leads import lead_outcomes
from formfit.models.censoring import demo_world
from formfit.models.stats import Z95

METHODS = ("open_as_lost", "closed_only", "maturity_cutoff", "aalen_johansen")


def _binomial(won: pd.Series) -> tuple[float, float]:
    n = len(won)
    p = float(won.mean()) if n else float("nan")
    return p, float(np.sqrt(p * (1 - p) / n)) if n else float("nan")


def estimates(seed: int, horizon_days: int = 120, leads_per_day: float = 12.0,
              ) -> tuple[dict[tuple[str, int], dict[str, tuple[float, float]]],
                         dict[tuple[str, int], float]]:
    """Per (form, version): method -> (estimate, se) of P(won within h); and the truth."""
    inputs, truth = demo_world(seed, leads_per_day=leads_per_day, horizon_days=horizon_days)
    out = lead_outcomes(inputs, Settings(maturity_days=horizon_days))
    leads = out.leads
    assert inputs.deals is not None
    deals = inputs.deals
    won_any = leads["lead_key"].isin(deals.loc[deals["outcome"] == "won", "lead_key"])
    has_open = leads["lead_key"].isin(deals.loc[deals["outcome"] == "open", "lead_key"])
    cif = out.cumulative_incidence
    res: dict[tuple[str, int], dict[str, tuple[float, float]]] = {}
    for key in truth.q_h:
        form, ver = key
        g = (leads["form_id"] == form) & (leads["version"] == ver)
        row = cif.loc[(cif["form_id"] == form) & (cif["version"] == ver)].iloc[0]
        res[key] = {
            "open_as_lost": _binomial(won_any[g].astype(float)),
            "closed_only": _binomial(won_any[g & ~has_open].astype(float)),
            "maturity_cutoff": _binomial(leads.loc[g & leads["judged"], "won"]),
            "aalen_johansen": (float(row["cif"]), float(row["se"])),
        }
    return res, dict(truth.q_h)


def summarise(seeds: range, horizon_days: int = 120, leads_per_day: float = 12.0,
              ) -> pd.DataFrame:
    """Bias, spread and 95% coverage of each method, for v1 and for the effect v1 - v0."""
    rows: list[dict[str, Any]] = []
    for seed in seeds:
        est, truth = estimates(seed, horizon_days, leads_per_day)
        v0, v1 = est[("pricing", 0)], est[("pricing", 1)]
        t1 = truth[("pricing", 1)]
        td = t1 - truth[("pricing", 0)]
        for m in METHODS:
            e1, s1 = v1[m]
            e0, s0 = v0[m]
            rows.append({"seed": seed, "target": "Q_h(v1)", "method": m, "truth": t1,
                         "estimate": e1, "se": s1})
            rows.append({"seed": seed, "target": "v1 - v0", "method": m, "truth": td,
                         "estimate": e1 - e0, "se": float(np.hypot(s1, s0))})
    df = pd.DataFrame(rows)
    df["covered"] = (df["estimate"] - Z95 * df["se"] <= df["truth"]) & (
        df["truth"] <= df["estimate"] + Z95 * df["se"])
    g = df.groupby(["target", "method"], observed=True, sort=False)
    table = pd.DataFrame({
        "truth": g["truth"].mean(),
        "mean_estimate": g["estimate"].mean(),
        "bias": g["estimate"].mean() - g["truth"].mean(),
        "mc_se_of_bias": g["estimate"].std(ddof=1) / np.sqrt(g.size()),
        "empirical_sd": g["estimate"].std(ddof=1),
        "mean_se": g["se"].mean(),
        "coverage": g["covered"].mean(),
    })
    table["bias_in_mc_se"] = table["bias"] / table["mc_se_of_bias"]
    return table.reset_index()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--horizon", type=int, default=120)
    ap.add_argument("--leads-per-day", type=float, default=12.0)
    a = ap.parse_args()
    t0 = time.time()
    table = summarise(range(a.seeds), a.horizon, a.leads_per_day)
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.4f}".format):
        print(f"{a.seeds} seeds, h = {a.horizon} days, truth = P(won within h), "
              f"{time.time() - t0:.0f} s")
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
