"""Coverage of an observational conversion effect estimated from two forms that drop a field at
different times, beside two forms that never change (README, "How we know the numbers are
honest").

Each world: forms p1 and p2 drop field x on days 60 and 120 of 180; c1 and c2 never change; about
300 views per form and day; every form-day gets its own logit shock (sd ``--form-day-sd``), and
every day one shared by all forms (``--day-sd``); removing x adds 0.25 on the logit scale. The
truth is the view-weighted average change in conversion over the views that showed x. Both
forms' estimates lean on the same control forms and week effects, so they covary: the
combination must carry that covariance (formfit.models.effects._cross_variance).

    python scripts/coverage_staggered.py --worlds 200
    python scripts/coverage_staggered.py --worlds 300 --day-sd 0.15
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy.special import expit

from formfit.io.forms import parse_forms
from formfit.models.effects import drop_effects

EFFECT = 0.25  # logit change when x is removed
CHANGES = {"p1": date(2025, 3, 2), "p2": date(2025, 5, 1)}
BASE = {"p1": -1.2, "p2": -1.5, "c1": -1.0, "c2": -1.8}
FORMS = parse_forms({"version": 1, "forms": {
    "p1": {"versions": [{"since": "2025-01-01", "fields": ["email", "x"]},
                        {"since": "2025-03-02", "fields": ["email"]}]},
    "p2": {"versions": [{"since": "2025-01-01", "fields": ["email", "x"]},
                        {"since": "2025-05-01", "fields": ["email"]}]},
    "c1": {"fields": ["email", "y"]}, "c2": {"fields": ["email"]}}}, "forms.yaml")


def world(seed: int, day_sd: float, form_day_sd: float) -> tuple[float, float, float, float]:
    """(estimate, ci_low, ci_high, truth) of x's conversion_pp in one world."""
    cells, truth = world_cells(seed, day_sd, form_day_sd)
    e = drop_effects(cells, successes="submissions", trials="views", forms=FORMS,
                     fields=["x"]).effects["x"].estimate
    assert e.estimate is not None and e.ci_low is not None and e.ci_high is not None
    return e.estimate, e.ci_low, e.ci_high, truth


def world_cells(seed: int, day_sd: float, form_day_sd: float) -> tuple[pd.DataFrame, float]:
    """One world's view cells (form_id, version, date, views, submissions) and the truth."""
    rng = np.random.default_rng(seed)
    rows, gain, shown = [], 0.0, 0.0
    for d in range(180):
        day = date(2025, 1, 1) + timedelta(days=d)
        shock = rng.normal(0, day_sd)
        for form, a in BASE.items():
            has_x = form in CHANGES and day < CHANGES[form]
            eta = a + shock + rng.normal(0, form_day_sd) - (EFFECT if has_x else 0.0)
            n = int(rng.poisson(300))
            rows.append((form, FORMS.forms[form].version_index(day), pd.Timestamp(day), n,
                         int(rng.binomial(n, expit(eta)))))
            if has_x:
                gain += n * (expit(eta + EFFECT) - expit(eta))
                shown += n
    cells = pd.DataFrame(rows, columns=["form_id", "version", "date", "views", "submissions"])
    return cells, 100 * gain / shown


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worlds", type=int, default=200)
    ap.add_argument("--day-sd", type=float, default=0.0)
    ap.add_argument("--form-day-sd", type=float, default=0.1)
    a = ap.parse_args()
    r = np.array([world(s, a.day_sd, a.form_day_sd) for s in range(a.worlds)])
    est, lo, hi, truth = r.T
    cover = float(np.mean((lo <= truth) & (truth <= hi)))
    err = est - truth
    print(f"{a.worlds} worlds, day sd {a.day_sd}, form-day sd {a.form_day_sd}: coverage "
          f"{cover:.3f} (Monte Carlo SE {np.sqrt(cover * (1 - cover) / a.worlds):.3f}); bias "
          f"{err.mean():+.3f} pp; error sd {err.std(ddof=1):.3f} pp against mean SE "
          f"{np.mean((hi - lo) / 2 / 1.96):.3f} pp")


if __name__ == "__main__":
    main()
