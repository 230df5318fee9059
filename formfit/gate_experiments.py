"""`formfit check` on designed and running experiments: is the experiment the head deploys sound?

An experiment is *designed* when the forms file describes it under ``experiments:`` (as
``formfit design`` writes it: ``fields``, ``planned_days``, ``n_star``, ``design``) and
*running* when it has a ``started:`` date. When the head adds such an experiment, or changes
one (its arms, their fields or traffic, or its entry), the gate checks:

* ``experiment_invalid`` (error), one finding per problem, naming the experiment and the arm:
  - traffic: the arms' planned shares must sum to 1 (within 1e-6). Arms without ``traffic``
    split what the others leave equally, so they must leave something; with none given the
    split is equal and sound;
  - arms that differ in a field the design does not vary (when ``fields`` is given): the
    comparison would confound that field with the designed ones;
  - a protected field missing from an arm, or listed among the designed fields: the
    experiment would remove a field the forms file protects.
* ``experiment_planned`` (notice): its arms, designed fields, planned runtime, and whether its
  intervals are always-valid (a ``started:`` date makes ``analyze`` watch it with confidence
  sequences; see :mod:`formfit.watch`).

This module decides; it does not print (the sentences are in :mod:`formfit.renderers.check`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from formfit.inputs import ExperimentSpec, FormsConfig, FormSpec

TRAFFIC_TOLERANCE = 1e-6


@dataclass(frozen=True)
class ExperimentFinding:
    """One finding about an experiment; the gate gives it a policy level and a line."""

    rule: str  # experiment_invalid | experiment_planned
    experiment: str
    arm: str | None  # the form id the finding points at (None: the experiment as a whole)
    fields: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


def _arms(cfg: FormsConfig, name: str) -> dict[str, FormSpec]:
    return {fid: s for fid, s in sorted(cfg.forms.items()) if s.experiment == name}


def _signature(cfg: FormsConfig, name: str) -> tuple[Any, ...]:
    arms = tuple((fid, s.versions[-1].fields, s.versions[-1].optional, s.traffic, s.started)
                 for fid, s in _arms(cfg, name).items())
    spec = cfg.experiments.get(name)
    entry = (None if spec is None else
             (spec.started, spec.n_star, spec.fields, spec.planned_days, repr(spec.design)))
    return arms, entry


def _watched(cfg: FormsConfig, name: str) -> bool:
    """Designed (an `experiments:` entry) or running (a started date)."""
    return name in cfg.experiments or any(s.started for s in _arms(cfg, name).values())


def _traffic(name: str, arms: Mapping[str, FormSpec]) -> list[ExperimentFinding]:
    given = {fid: s.traffic for fid, s in arms.items() if s.traffic is not None}
    if not given:
        return []
    total = sum(v for v in given.values() if v is not None)
    rest = [fid for fid in arms if fid not in given]
    if rest and total < 1 - TRAFFIC_TOLERANCE:
        return []
    if not rest and abs(total - 1.0) <= TRAFFIC_TOLERANCE:
        return []
    return [ExperimentFinding("experiment_invalid", name, (rest or sorted(given))[0], (), {
        "problem": "traffic", "total": total, "arms": sorted(arms),
        "without_traffic": rest})]


def _differences(name: str, arms: Mapping[str, FormSpec], designed: tuple[str, ...],
                 protected: Mapping[str, str]) -> list[ExperimentFinding]:
    """Arms that differ from the rest in a field the design does not vary; each such field
    is blamed on the arms on its smaller side (protected fields: see :func:`_protected`)."""
    if not designed or len(arms) < 2:
        return []
    shown = {fid: set(s.versions[-1].fields) for fid, s in arms.items()}
    union, common = set.union(*shown.values()), set.intersection(*shown.values())
    extra: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {}
    for f in sorted(union - common - set(designed) - set(protected)):
        on = [fid for fid in arms if f in shown[fid]]
        off = [fid for fid in arms if f not in shown[fid]]
        for fid in (on if len(on) <= len(off) else off):
            (extra if fid in on else missing).setdefault(fid, []).append(f)
    return [ExperimentFinding("experiment_invalid", name, fid,
                              tuple(extra.get(fid, []) + missing.get(fid, [])), {
                                  "problem": "undesigned_difference",
                                  "designed": list(designed), "shows": extra.get(fid, []),
                                  "lacks": missing.get(fid, [])})
            for fid in arms if fid in extra or fid in missing]


def _protected(name: str, arms: Mapping[str, FormSpec], designed: tuple[str, ...],
               protected: Mapping[str, str]) -> list[ExperimentFinding]:
    out = []
    bad = sorted(f for f in designed if f in protected)
    if bad:
        out.append(ExperimentFinding("experiment_invalid", name, None, tuple(bad), {
            "problem": "protected_designed", "reasons": {f: protected[f] for f in bad}}))
    on_some = {f for s in arms.values() for f in s.versions[-1].fields if f in protected}
    for fid, s in arms.items():
        missing = sorted(on_some - set(s.versions[-1].fields) - set(bad))
        if missing:
            out.append(ExperimentFinding("experiment_invalid", name, fid, tuple(missing), {
                "problem": "protected_missing",
                "reasons": {f: protected[f] for f in missing}}))
    return out


def _planned(name: str, arms: Mapping[str, FormSpec], spec: ExperimentSpec | None
             ) -> ExperimentFinding:
    started = (spec.started if spec is not None and spec.started else
               next((s.started for s in arms.values() if s.started), None))
    return ExperimentFinding("experiment_planned", name, next(iter(arms), None), (), {
        "arms": sorted(arms), "designed_fields": list(spec.fields) if spec else [],
        "planned_days": spec.planned_days if spec else None,
        "started": started.isoformat() if started else None,
        "sequential": started is not None,
        "n_star": spec.n_star if spec else None})


def experiment_findings(base: FormsConfig, head: FormsConfig, protected: Mapping[str, str]
                        ) -> list[ExperimentFinding]:
    """Findings for every designed or running experiment the head adds or changes."""
    names = sorted({s.experiment for s in head.forms.values() if s.experiment})
    out: list[ExperimentFinding] = []
    for name in names:
        if not _watched(head, name):
            continue
        if _watched(base, name) and _signature(base, name) == _signature(head, name):
            continue
        arms = _arms(head, name)
        spec = head.experiments.get(name)
        designed = spec.fields if spec is not None else ()
        out += _traffic(name, arms)
        out += _differences(name, arms, designed, protected)
        out += _protected(name, arms, designed, protected)
        out.append(_planned(name, arms, spec))
    return out
