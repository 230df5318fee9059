"""Watched experiments: which ones, how big, their N*, and the one place intervals are widened.

An experiment is *watched* when the forms config gives it a ``started:`` date (it is running
and people look at it as data arrive) or when ``analyze --sequential`` is given (then every
randomized experiment is). The effects whose evidence rests on a watched experiment (the
randomized drop effects ``conversion_pp``, ``win_rate_pp``, ``wins_per_1k_views``,
``revenue_per_1k_views``) get confidence-sequence intervals instead of fixed-horizon ones
(:func:`formfit.models.sequential.widen`), before :mod:`formfit.decide` judges them, so the
drop rule uses the always-valid interval.

The experiment's size ``n`` is the views in its arms (submissions when there is no views
file): the sample its randomized effects rest on. ``N*`` (the size at which the sequence is
tightest) must not move with the data, so it is taken, first match wins, from:

1. ``experiments: NAME: n_star:`` in the forms config (``config``);
2. ``planned_days`` x the experiment's mean daily views so far (``planned_days``);
3. twice the views per arm of the test plan for the margin, the largest over the fields the
   experiment varies (``test_plan``: the size the experiment needs to settle them all), but
   at most a year of its traffic so far: a plan no one can reach would tune the sequence to
   a size never seen and widen every interval before it;
4. gbstats' default, 5,000 (``default``).

Only the first is fixed for certain; for the others the result carries a notice
(``SEQUENTIAL_N_STAR_DERIVED``) asking to pin the number in the forms config, and the value
used is recorded in the result's ``experiments`` section either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

import pandas as pd

from formfit.config import Margin
from formfit.inputs import ExperimentSpec, Inputs, Notice
from formfit.models import sequential
from formfit.models.power import views_per_arm
from formfit.results import DropEffect, FieldResult

ESTIMATES = ("conversion_pp", "win_rate_pp", "wins_per_1k_views", "revenue_per_1k_views")
NStarSource = Literal["config", "planned_days", "test_plan", "default"]


@dataclass(frozen=True)
class Watch:
    """One watched experiment, as recorded in the result's ``experiments`` section."""

    name: str
    why: Literal["started", "--sequential"]
    started: date | None
    days_running: int | None  # as_of - started + 1; without started: days with data
    size: int  # views (or submissions) in its arms so far: the sequence's n
    unit: Literal["views", "submissions"]
    n_star: int
    n_star_source: NStarSource
    planned_days: int | None
    fields: tuple[str, ...] = ()  # the fields a designed experiment varies

    @property
    def widening(self) -> float:
        return sequential.widening(self.size, self.n_star)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "watched_because": self.why,
                "started": self.started.isoformat() if self.started else None,
                "days_running": self.days_running, "planned_days": self.planned_days,
                "size_so_far": self.size, "unit": self.unit, "n_star": self.n_star,
                "n_star_source": self.n_star_source, "rho": sequential.rho(self.n_star),
                "widening": self.widening, "interval": "sequential",
                "fields": list(self.fields)}

    def effect_info(self, widened: Sequence[str]) -> dict[str, Any]:
        """What a drop effect records about the sequence its intervals come from."""
        return {"experiment": self.name, "n": self.size, "unit": self.unit,
                "n_star": self.n_star, "widening": self.widening,
                "days_running": self.days_running, "planned_days": self.planned_days,
                "estimates": list(widened)}


def watched_names(inputs: Inputs, sequential_flag: bool) -> dict[str, Literal["started",
                                                                              "--sequential"]]:
    """Experiments to watch and why: ``started:`` in the config, or every one with --sequential."""
    forms = inputs.forms
    names = sorted({s.experiment for s in forms.forms.values() if s.experiment})
    out: dict[str, Literal["started", "--sequential"]] = {}
    for name in names:
        if forms.running(name) is not None:
            out[name] = "started"
        elif sequential_flag:
            out[name] = "--sequential"
    return out


def _size(inputs: Inputs, name: str) -> tuple[int, Literal["views", "submissions"], int]:
    """(n, unit, days with data) of the experiment's arms."""
    arms = [fid for fid, s in inputs.forms.forms.items() if s.experiment == name]
    vc = inputs.view_counts
    if vc is not None and len(vc):
        sub = vc[vc["form_id"].astype(str).isin(arms)]
        days = int(pd.Series(sub["date"]).dropna().nunique())
        return int(sub["views"].sum()), "views", days
    subs = inputs.submissions
    sub = subs[subs["form_id"].astype(str).isin(arms)]
    days = int(pd.to_datetime(sub["submitted_at"]).dt.normalize().dropna().nunique())
    return int(len(sub)), "submissions", days


def _n_star(spec: ExperimentSpec | None, size: int, days: int, plan_views: int | None
            ) -> tuple[int, NStarSource]:
    if spec is not None and spec.n_star:
        return int(spec.n_star), "config"
    if spec is not None and spec.planned_days and days > 0 and size > 0:
        return max(1, round(spec.planned_days * size / days)), "planned_days"
    if plan_views:
        year = round(365 * size / days) if days > 0 else None
        return min(2 * plan_views, year) if year else 2 * plan_views, "test_plan"
    return sequential.DEFAULT_N_STAR, "default"


def _plan_views(name: str, results: Sequence[FieldResult],
                experiments_of: Mapping[str, Mapping[str, tuple[str, ...]]],
                baselines: Mapping[str, float | None], margin: Margin) -> int | None:
    sizes: list[int] = []
    for f in results:
        if f.protected or name not in experiments_of.get(f.field, {}).get(
                "wins_per_1k_views", ()):
            continue
        base = baselines.get(f.field)
        m = margin.per_1k(base)
        n = views_per_arm(base, m) if base is not None and m is not None else None
        if n:
            sizes.append(n)
    return max(sizes) if sizes else None


def watch_experiments(inputs: Inputs, *, sequential_flag: bool, as_of: date | None,
                      results: Sequence[FieldResult],
                      experiments_of: Mapping[str, Mapping[str, tuple[str, ...]]],
                      baselines: Mapping[str, float | None], margin: Margin
                      ) -> tuple[dict[str, Watch], list[Notice]]:
    """The watched experiments with their size and N*, and notices about how N* was chosen."""
    watches: dict[str, Watch] = {}
    notices: list[Notice] = []
    for name, why in watched_names(inputs, sequential_flag).items():
        spec = inputs.forms.experiments.get(name)
        size, unit, days = _size(inputs, name)
        if size <= 0:
            notices.append(Notice("SEQUENTIAL_NO_DATA", (
                f"Experiment {name} is watched, but its arms have no {unit} yet: nothing to "
                "interval."), {"experiment": name}))
            continue
        started = spec.started if spec is not None else None
        running = ((as_of - started).days + 1 if started is not None and as_of is not None
                   else days)
        plan = _plan_views(name, results, experiments_of, baselines, margin)
        n_star, source = _n_star(spec, size, days, plan)
        w = Watch(name=name, why=why, started=started, days_running=running, size=size,
                  unit=unit, n_star=n_star, n_star_source=source,
                  planned_days=spec.planned_days if spec is not None else None,
                  fields=spec.fields if spec is not None else ())
        watches[name] = w
        if source != "config":
            how = {"planned_days": f"its planned {w.planned_days} days at today's traffic",
                   "test_plan": "the test plan for the margin",
                   "default": "gbstats' default (no plan, no planned_days)"}[source]
            notices.append(Notice("SEQUENTIAL_N_STAR_DERIVED", (
                f"Experiment {name} is watched with confidence sequences tuned to N* = "
                f"{n_star:,} {unit}, from {how}. N* must stay fixed while the experiment "
                f"runs: pin it in the forms file (experiments: {name}: n_star: {n_star})."),
                {"experiment": name, "n_star": n_star, "n_star_source": source}))
    return watches, notices


def widen_field(f: FieldResult, experiments: Mapping[str, tuple[str, ...]],
                watches: Mapping[str, Watch]) -> FieldResult:
    """The field with each estimate that rests on a watched experiment widened to its
    confidence sequence; others untouched. A field whose estimates rest on several watched
    experiments gets the widest of their sequences for all of them (one n and N* per field,
    which the drop rule then uses)."""
    de = f.drop_effect
    if not watches or de.evidence not in ("randomized", "aliased"):
        return f
    keys = [k for k in ESTIMATES if getattr(de, k).known
            and any(e in watches for e in experiments.get(k, ()))]
    ws = {e for k in keys for e in experiments.get(k, ()) if e in watches}
    if not ws:
        return f
    w = max((watches[e] for e in sorted(ws)), key=lambda x: x.widening)
    new: dict[str, Any] = {k: sequential.widen(getattr(de, k), w.size, w.n_star)
                           for k in keys}
    new.update(interval="sequential", sequential=w.effect_info(keys))
    drop: DropEffect = replace(de, **new)
    return replace(f, drop_effect=drop)
