"""What peeking costs, and what confidence sequences buy back: daily looks at a running test.

A two-arm experiment (arm A shows the field, arm B does not) is simulated as daily cells:
per arm and day, views ~ Poisson(V), submissions ~ Binomial(views, c_arm), won deals ~
Binomial(submissions, q_arm). Removing the field raises conversion and lowers the win rate
per lead. Every day (day 1 to 8 weeks) the team re-runs the analysis on the cells so far and
drops the field the first day formfit says ``drop``.

Each look goes through formfit's own functions: the drop effect on wins per 1,000 views and
its 95% interval from :func:`formfit.models.inference.interval` (``--estimator table``: the
difference of proportions, which is what the friction GLM returns on a two-arm table;
``--estimator glm``: :func:`formfit.models.effects.drop_effects` itself, the binomial GLM with
day-clustered errors, slow), widened by :func:`formfit.models.sequential.widen` for the
sequential rule, and judged by :func:`formfit.decide.decide` (the real drop rule, with the
always-valid p-value for sequential intervals). N* is what ``formfit analyze`` derives without
a pinned value: twice the views per arm of the test plan for the margin
(:func:`formfit.models.power.views_per_arm`).

* Null: removing the field costs exactly the margin (the non-inferiority boundary). Reported:
  the share of experiments ever called ``drop`` over the daily looks, with the sequential rule
  (target below 2.5%) and with fixed-horizon intervals on the same looks (peeking).
* Effect: removing the field costs nothing. Reported: the median week at which the
  sequential rule calls ``drop`` (experiments not stopped by 8 weeks count as later), and the
  share stopped by then.

Run:  python scripts/validate_sequential.py [--reps 2000] [--days 56] [--views-per-day 3000]
          [--margin 1.5] [--seed 1] [--estimator table|glm] [--n-star N]
(default: about a minute on a free core; --estimator glm needs about 60 ms per look.)
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

BASE_CONVERSION = 0.10  # arm A: submissions per view
BASE_WIN_RATE = 0.10  # arm A: won deals per submission -> 10 won deals per 1,000 views
LIFT_CONVERSION = 0.115  # arm B (field removed): conversion up, win rate per lead down


@dataclass(frozen=True)
class Scenario:
    name: str
    effect_per_1k: float  # true change in won deals per 1,000 views when the field is removed


def simulate_cells(rng: np.random.Generator, reps: int, days: int, views_per_day: float,
                   effect_per_1k: float) -> tuple[np.ndarray, np.ndarray]:
    """(views, wins), each (reps, days, 2 arms): daily cells of A (shown) and B (removed)."""
    p_a = BASE_CONVERSION * BASE_WIN_RATE
    p_b = p_a + effect_per_1k / 1000.0
    conv = np.array([BASE_CONVERSION, LIFT_CONVERSION])
    win_rate = np.array([BASE_WIN_RATE, p_b / LIFT_CONVERSION])
    views = rng.poisson(views_per_day, size=(reps, days, 2))
    subs = rng.binomial(views, conv)
    wins = rng.binomial(subs, win_rate)
    return views, wins


def _table_effect(views: np.ndarray, wins: np.ndarray) -> tuple[float, float] | None:
    """Drop effect (B - A) on wins per view and its binomial SE, from cumulative counts."""
    n_a, n_b = float(views[0]), float(views[1])
    if n_a <= 0 or n_b <= 0:
        return None
    p_a, p_b = wins[0] / n_a, wins[1] / n_b
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    return (p_b - p_a, se) if se > 0 else None


class GlmLooks:
    """drop_effects (the friction GLM with day-clustered errors) on the cells up to a day."""

    def __init__(self) -> None:
        from formfit.inputs import FieldSpec, FormsConfig, FormSpec, FormVersion

        self.forms = FormsConfig(
            forms={"a": FormSpec("a", (FormVersion(None, ("email", "field")),),
                                 experiment="t", traffic=0.5),
                   "b": FormSpec("b", (FormVersion(None, ("email",)),), experiment="t",
                                 traffic=0.5)},
            fields={"email": FieldSpec("email"), "field": FieldSpec("field")})

    def estimate(self, views: np.ndarray, wins: np.ndarray) -> Any:
        import pandas as pd

        from formfit.models.effects import drop_effects

        days = views.shape[0]
        dates = pd.date_range("2026-01-05", periods=days)
        cells = pd.DataFrame({"form_id": np.repeat([["a", "b"]], days, axis=0).ravel(),
                              "date": np.repeat(dates, 2),
                              "views": views.ravel(), "wins": wins.ravel()})
        fit = drop_effects(cells, successes="wins", trials="views", forms=self.forms,
                           fields=["email", "field"], scale=1000.0)
        return fit.effects["field"].estimate


def verdict(est: Any, *, margin: float, baseline: float, n: float | None,
            n_star: float) -> str:
    """formfit's verdict on one look: fixed interval when ``n`` is None, else the sequence."""
    from formfit.config import Margin
    from formfit.decide import FieldContext, decide
    from formfit.models.sequential import widen
    from formfit.results import DropEffect, FieldResult

    kwargs: dict[str, Any] = {}
    if n is not None:
        est = widen(est, n, n_star)
        kwargs = {"interval": "sequential",
                  "sequential": {"experiment": "t", "n": n, "n_star": n_star,
                                 "estimates": ["wins_per_1k_views"]}}
    field = FieldResult(field="field", forms=("a", "b"), required=False,
                        drop_effect=DropEffect(evidence="randomized", wins_per_1k_views=est,
                                               **kwargs))
    (out,) = decide([field], margin=Margin("absolute", margin),
                    context={"field": FieldContext(baseline_wins_per_1k=baseline)})
    return out.verdict


def run(*, reps: int = 1000, days: int = 56, views_per_day: float = 3000.0,
        margin: float = 1.5, seed: int = 1, estimator: str = "table",
        n_star: float | None = None) -> dict[str, Any]:
    """Both scenarios; returns the figures (shares and weeks) and the settings used."""
    from formfit.models.inference import interval
    from formfit.models.power import views_per_arm

    baseline = 1000.0 * BASE_CONVERSION * BASE_WIN_RATE
    per_arm = views_per_arm(baseline, margin)
    assert per_arm is not None
    n_star = 2.0 * per_arm if n_star is None else float(n_star)
    rng = np.random.default_rng(seed)
    glm = GlmLooks() if estimator == "glm" else None
    out: dict[str, Any] = {"reps": reps, "days": days, "views_per_arm_per_day": views_per_day,
                           "baseline_wins_per_1k": baseline, "margin_per_1k": margin,
                           "n_star": n_star, "estimator": estimator, "seed": seed}
    for sc in (Scenario("null", -margin), Scenario("effect", 0.0)):
        views, wins = simulate_cells(rng, reps, days, views_per_day, sc.effect_per_1k)
        cv, cw = views.cumsum(axis=1), wins.cumsum(axis=1)
        first_seq = np.full(reps, -1)
        first_fixed = np.full(reps, -1)
        for r in range(reps):
            for d in range(days):
                if first_seq[r] >= 0 and first_fixed[r] >= 0:
                    break
                if glm is not None:
                    est = glm.estimate(views[r, :d + 1], wins[r, :d + 1])
                    if not est.known:
                        continue
                else:
                    e = _table_effect(cv[r, d], cw[r, d])
                    if e is None:
                        continue
                    est = interval(e[0], e[1], None, 1000.0, None)
                n = float(cv[r, d].sum())
                if first_seq[r] < 0 and verdict(est, margin=margin, baseline=baseline, n=n,
                                                n_star=n_star) == "drop":
                    first_seq[r] = d
                if first_fixed[r] < 0 and verdict(est, margin=margin, baseline=baseline,
                                                  n=None, n_star=n_star) == "drop":
                    first_fixed[r] = d
        if sc.name == "null":
            out["null_false_drop_sequential"] = float((first_seq >= 0).mean())
            out["null_false_drop_fixed_peeking"] = float((first_fixed >= 0).mean())
            # the fixed rule looked at once, on the last day: its nominal 2.5%
            last = np.array([verdict(interval(*(_table_effect(cv[r, -1], cw[r, -1]) or
                                                (0.0, 1.0)), None, 1000.0, None),
                                     margin=margin, baseline=baseline, n=None, n_star=n_star)
                             for r in range(reps)])
            out["null_false_drop_fixed_one_look"] = float((last == "drop").mean())
        else:
            weeks = np.where(first_seq >= 0, first_seq // 7 + 1, np.iinfo(np.int64).max)
            stopped = first_seq >= 0
            out["effect_stopped_share"] = float(stopped.mean())
            med = float(np.median(weeks))
            out["effect_median_stop_week"] = med if med <= days // 7 + 1 else None
            out["effect_median_stop_week_fixed_peeking"] = float(
                np.median(np.where(first_fixed >= 0, first_fixed // 7 + 1, 10**9)))
    return out


def _mc_se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-12) / n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--days", type=int, default=56)
    ap.add_argument("--views-per-day", type=float, default=3000.0, help="per arm")
    ap.add_argument("--margin", type=float, default=1.5, help="won deals per 1,000 views")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--estimator", choices=("table", "glm"), default="table")
    ap.add_argument("--n-star", type=float, default=None,
                    help="N* (default: twice the test plan's views per arm, as analyze derives)")
    a = ap.parse_args()
    t0 = time.time()
    res = run(reps=a.reps, days=a.days, views_per_day=a.views_per_day, margin=a.margin,
              seed=a.seed, estimator=a.estimator, n_star=a.n_star)
    n = res["reps"]
    print(f"{n} experiments per scenario, daily looks for {res['days']} days, "
          f"{res['views_per_arm_per_day']:,.0f} views per arm per day, baseline "
          f"{res['baseline_wins_per_1k']:g} won deals per 1,000 views, margin "
          f"{res['margin_per_1k']:g}, N* {res['n_star']:,.0f} ({res['estimator']} estimator)")
    for key, label in (("null_false_drop_sequential", "sequential, daily looks"),
                       ("null_false_drop_fixed_peeking", "fixed-horizon, daily looks"),
                       ("null_false_drop_fixed_one_look", "fixed-horizon, one look at the end")):
        p = res[key]
        print(f"  null (removal costs exactly the margin), ever called drop, {label}: "
              f"{p:.3f} (MC SE {_mc_se(p, n):.3f})")
    med = res["effect_median_stop_week"]
    print(f"  effect (removal costs nothing): median stopping week, sequential: "
          f"{'after the last look' if med is None else f'{med:g}'}; stopped by the end: "
          f"{res['effect_stopped_share']:.3f}; fixed-horizon with peeking: "
          f"{res['effect_median_stop_week_fixed_peeking']:g}")
    print(f"  ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
