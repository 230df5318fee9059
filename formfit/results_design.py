"""What `formfit design` decided: the experiment's arms, aliases and sizing, as frozen data.

:mod:`formfit.design` decides; :mod:`formfit.renderers.design` writes text and Markdown from
``DesignResult.to_dict()``; the JSON is that dict. Numbers go through :func:`clean`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from formfit.results import clean

DESIGN_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class DesignField:
    """One designed field: its factor letter, traffic and what the design can detect."""

    name: str
    letter: str
    verdict: str
    evidence: str
    forms: tuple[str, ...]  # forms the experiment runs it on
    views_per_day: float
    baseline_wins_per_1k: float | None
    margin_wins_per_1k: float | None
    weeks_needed: int | None  # weeks of traffic to detect the margin (80% power, 5% 2-sided)
    # (weeks, calendar days until readable, detectable change in wins per 1,000 views)
    detectable: tuple[tuple[int, int, float | None], ...]
    aliases: tuple[tuple[str, ...], ...]  # interactions (of 2 or 3 fields) confounded with it
    # the change detectable at the planned runtime when the experiment is watched daily with
    # always-valid intervals (started: set), its N* being the planned views
    detectable_watched: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.name, "factor": self.letter, "verdict": self.verdict,
            "evidence": self.evidence, "forms": list(self.forms),
            "views_per_day": self.views_per_day,
            "baseline_wins_per_1k_views": self.baseline_wins_per_1k,
            "margin_wins_per_1k_views": self.margin_wins_per_1k,
            "weeks_to_detect_margin": self.weeks_needed,
            "detectable_by_week": [{"weeks": w, "readable_after_days": d,
                                    "detectable_wins_per_1k_views": x}
                                   for w, d, x in self.detectable],
            "detectable_watched_at_planned_weeks": self.detectable_watched,
            "aliases": [list(a) for a in self.aliases],
        }


@dataclass(frozen=True)
class DesignArm:
    """One variant to deploy: a form, the fields it shows, its share of the form's views."""

    form_id: str  # the variant's own form id
    base_form: str  # the form it replaces
    experiment: str
    traffic: float
    runs: tuple[int, ...]  # run numbers of the design (1-based) it carries on this form
    fields: tuple[str, ...]
    optional: tuple[str, ...]
    shown: Mapping[str, bool]  # designed field -> shown in this arm

    def to_dict(self) -> dict[str, Any]:
        return {"form_id": self.form_id, "base_form": self.base_form,
                "experiment": self.experiment, "traffic": self.traffic, "runs": list(self.runs),
                "shown": dict(self.shown), "fields": list(self.fields),
                "optional": list(self.optional)}


@dataclass(frozen=True)
class DesignResult:
    """The designed experiment, its sizing and the comparison with one-at-a-time tests."""

    formfit_version: str
    evidence: str  # file name of the evidence
    as_of: str | None
    design: Mapping[str, Any]  # fraction, generators, defining relation, resolution, runs
    # code: SMALLEST_IS_IV, TRAFFIC_ALLOWS_IV, TRAFFIC_TOO_LOW_FOR_IV or NO_WINS_FOR_IV
    resolution_reason: str
    weeks: int
    # "flag", "margins" (weeks to detect every margin), "default" (none fits a year) or
    # "no_wins" (no won deals to size with)
    weeks_source: str
    horizon_days: int
    fields: tuple[DesignField, ...]
    arms: tuple[DesignArm, ...]
    experiments: Mapping[str, Mapping[str, Any]]  # name -> n_star, planned_days, fields
    estimable: bool  # main effects + a per-form intercept: full column rank
    one_at_a_time: Mapping[str, Any]
    forms_config: str = ""  # the YAML to deploy
    notes: tuple[str, ...] = field(default_factory=tuple)  # codes with no numbers

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = clean({
            "schema_version": DESIGN_SCHEMA_VERSION,
            "formfit_version": self.formfit_version,
            "evidence": self.evidence, "as_of": self.as_of,
            "design": dict(self.design),
            "resolution_reason": self.resolution_reason,
            "weeks": self.weeks, "weeks_source": self.weeks_source,
            "horizon_days": self.horizon_days,
            "estimable": self.estimable,
            "fields": [f.to_dict() for f in self.fields],
            "arms": [a.to_dict() for a in self.arms],
            "experiments": {k: dict(v) for k, v in self.experiments.items()},
            "one_at_a_time": dict(self.one_at_a_time),
            "notes": list(self.notes),
        })
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def __repr__(self) -> str:
        return (f"<DesignResult: {len(self.fields)} fields, {self.design.get('runs')} runs, "
                f"resolution {self.design.get('resolution')}, {len(self.arms)} arms>")
