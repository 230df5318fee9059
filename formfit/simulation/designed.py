"""Simulate running a designed experiment (`formfit simulate --design design/forms.yaml`).

The world's forms are the design's arms (every form of an experiment that carries ``fields:``
in the config's ``experiments:`` block); each designed field gets a known friction and
qualification, each hosting form its own base rates:

    logit P(submit | arm)          = a_form - sum_{f shown} c_f
    logit P(win | submitted, arm)  = b_form + sum_{f shown} g_f

(c_f > 0 costs submissions; g_f > 0: leads who filled the field win more). Views arrive daily
(Poisson around the planned traffic), submissions are binomial per (arm, day), and each
submitted lead wins with its arm's probability; wins close 10-60 days after submission and
the export is taken 90 days after the last view, so no deal is still open.

``truth.json`` holds, per designed field, the drop effect formfit estimates, from the
generating probabilities over the simulated views of the arms that show it (as
:mod:`formfit.simulation.truth` defines it): with p, q as shown and p0, q0 with the field
removed from the arm, ``wins_per_1k_views = 1000 * mean(p0 q0 - p1 q1)`` and
``conversion_pp = 100 * mean(p0 - p1)``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from formfit.errors import UsageError
from formfit.inputs import FormsConfig
from formfit.simulation import text
from formfit.simulation.write import prepare_out

START = date(2025, 1, 1)
FOLLOW_UP_DAYS = 90
DEFAULT_VIEWS = 200_000


def _sigmoid(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


@dataclass(frozen=True)
class Arm:
    form_id: str
    base: str  # the experiment (one per hosting form)
    traffic: float
    shown: tuple[bool, ...]  # per designed field


def read_design(path: Path) -> tuple[FormsConfig, tuple[str, ...], tuple[Arm, ...], int]:
    """The design's arms, designed fields and planned days, from its forms config."""
    from formfit.io.forms import read_forms_file

    config = read_forms_file(path, "--design")
    designed = {n: e for n, e in config.experiments.items() if e.fields}
    if not designed:
        raise UsageError(f"--design {path.name} has no designed experiment (an entry under "
                         "`experiments:` with `fields:`).",
                         "Pass the forms.yaml written by `formfit design --out DIR`.")
    fields = tuple(dict.fromkeys(f for e in designed.values() for f in e.fields))
    arms = []
    for spec in config.forms.values():
        if spec.experiment not in designed:
            continue
        shows = set(spec.versions[-1].fields)
        n_arms = sum(1 for s in config.forms.values() if s.experiment == spec.experiment)
        arms.append(Arm(spec.form_id, spec.experiment,
                        spec.traffic if spec.traffic is not None else 1.0 / n_arms,
                        tuple(f in shows for f in fields)))
    days = max((e.planned_days or 0) for e in designed.values()) or 84
    return config, fields, tuple(arms), max(30, days)


def simulate_design(path: Path, seed: int = 0, views: int | None = None
                    ) -> dict[str, Any]:
    """Simulate the design in memory: tables, forms config and truth."""
    config, fields, arms, n_days = read_design(path)
    rng = np.random.default_rng(seed)
    n_views = DEFAULT_VIEWS if views is None else views
    if n_views < 1000:
        raise UsageError(f"--views {n_views} is too few to simulate an experiment.",
                         "Use --views 1000 or more (the default is 200,000).")
    k = len(fields)
    cost = rng.uniform(0.05, 0.35, k)  # friction on the logit of submitting
    qual = rng.uniform(-0.25, 0.35, k)  # logit shift of winning among submitters
    bases = sorted({a.base for a in arms})
    a_form = dict(zip(bases, rng.uniform(-1.4, -0.6, len(bases)), strict=True))
    b_form = dict(zip(bases, rng.uniform(-1.8, -1.0, len(bases)), strict=True))
    per_base = n_views / len(bases)
    shown = np.array([a.shown for a in arms], dtype=bool).reshape(len(arms), k)
    logit_p = np.array([a_form[a.base] for a in arms]) - shown @ cost
    logit_q = np.array([b_form[a.base] for a in arms]) + shown @ qual
    p, q = _sigmoid(logit_p), _sigmoid(logit_q)
    lam = np.array([per_base * a.traffic / n_days for a in arms])
    daily_views = rng.poisson(lam[:, None], size=(len(arms), n_days))
    daily_subs = rng.binomial(daily_views, p[:, None])
    truth = _truth(fields, arms, shown, cost, qual, logit_p, logit_q,
                   daily_views.sum(axis=1))
    truth.update({"seed": seed, "views": int(daily_views.sum()),
                  "days": n_days, "forms": {b: {"conversion_logit": float(a_form[b]),
                                                "win_logit": float(b_form[b])} for b in bases}})
    tables = _tables(rng, arms, fields, daily_views, daily_subs, q, n_days)
    return {"config": config, "truth": truth, **tables}


def _truth(fields: tuple[str, ...], arms: tuple[Arm, ...], shown: np.ndarray[Any, Any],
           cost: np.ndarray[Any, Any], qual: np.ndarray[Any, Any], logit_p: np.ndarray[Any, Any],
           logit_q: np.ndarray[Any, Any], views: np.ndarray[Any, Any]) -> dict[str, Any]:
    out = []
    p1, q1 = _sigmoid(logit_p), _sigmoid(logit_q)
    for j, name in enumerate(fields):
        rows = shown[:, j]
        w = views[rows].astype(float)
        p0, q0 = _sigmoid(logit_p[rows] + cost[j]), _sigmoid(logit_q[rows] - qual[j])
        total = w.sum()
        out.append({
            "field": name, "friction_logit": round(float(cost[j]), 6),
            "qualification_logit": round(float(qual[j]), 6),
            "views": int(total),
            "conversion_pp": round(float(100 * np.sum(w * (p0 - p1[rows])) / total), 6),
            "wins_per_1k_views": round(float(
                1000 * np.sum(w * (p0 * q0 - p1[rows] * q1[rows])) / total), 6),
        })
    return {"schema": "formfit-simulate-design-truth/1", "estimands": (
        "per designed field over the views of the arms that show it: conversion_pp = "
        "100*mean(p0-p1); wins_per_1k_views = 1000*mean(p0 q0 - p1 q1); 1: the arm as "
        "designed, 0: the same arm without the field"), "fields": out,
        "arms": [{"form_id": a.form_id, "experiment": a.base, "traffic": a.traffic}
                 for a in arms]}


def _tables(rng: np.random.Generator, arms: tuple[Arm, ...], fields: tuple[str, ...],
            daily_views: np.ndarray[Any, Any], daily_subs: np.ndarray[Any, Any],
            q: np.ndarray[Any, Any], n_days: int) -> dict[str, pd.DataFrame]:
    ids = [a.form_id for a in arms]
    arm_idx, day_idx = np.nonzero(daily_views)
    views_daily = pd.DataFrame({
        "form_id": [ids[i] for i in arm_idx], "date": text.dates(START, day_idx),
        "views": daily_views[arm_idx, day_idx].astype(np.int64),
        "submissions": daily_subs[arm_idx, day_idx].astype(np.int64)})
    lead_arm = np.repeat(np.arange(len(arms)).repeat(n_days), daily_subs.ravel())
    lead_day = np.repeat(np.tile(np.arange(n_days), len(arms)), daily_subs.ravel())
    n = lead_arm.size
    sec = lead_day * 86400 + rng.integers(0, 86400, n)
    order = np.argsort(sec, kind="stable")
    lead_arm, lead_day, sec = lead_arm[order], lead_day[order], sec[order]
    lead_id = pd.Series([f"L{i:07d}" for i in range(1, n + 1)], dtype="str")
    subs = pd.DataFrame({"lead_id": lead_id, "form_id": [ids[i] for i in lead_arm],
                         "submitted_at": text.timestamps(START, sec, sep=" ")})
    shown = np.array([a.shown for a in arms], dtype=bool).reshape(len(arms), len(fields))
    for j, name in enumerate(fields):
        values = np.where(rng.random(n) < 0.5, "a", "b").astype(object)
        values[~shown[lead_arm, j]] = ""
        subs[name] = values
    won = rng.random(n) < q[lead_arm]
    close = lead_day + np.where(won, rng.integers(10, 61, n), rng.integers(5, 41, n))
    outcomes = pd.DataFrame({"lead_id": lead_id, "outcome": np.where(won, "won", "lost"),
                             "created_at": text.dates(START, lead_day + 1),
                             "closed_at": text.dates(START, close)})
    return {"submissions": subs.astype("str"), "views_daily": views_daily,
            "outcomes": outcomes.astype("str")}


def write_design_world(out: Path, design: Path, seed: int = 0, views: int | None = None
                       ) -> list[str]:
    """Write the simulated run of ``design`` into ``out``; return the file names."""
    world = simulate_design(design, seed, views)
    prepare_out(out)
    for table in ("submissions", "views_daily", "outcomes"):
        world[table].to_csv(out / f"{table}.csv", index=False, lineterminator="\n")
    if design.resolve() != (out / "forms.yaml").resolve():
        shutil.copyfile(design, out / "forms.yaml")
    as_of = START + timedelta(days=world["truth"]["days"] + FOLLOW_UP_DAYS)
    world["truth"]["as_of"] = as_of.isoformat()
    (out / "truth.json").write_text(json.dumps(world["truth"], indent=2, allow_nan=False) + "\n",
                                    encoding="utf-8")
    return ["submissions.csv", "views_daily.csv", "outcomes.csv", "forms.yaml", "truth.json"]
