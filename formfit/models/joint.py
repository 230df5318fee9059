"""One joint contrast for a form-config change, read back from an analyze result's ``models``.

A change that removes several fields from a form is judged as one contrast (the new field set
against the old: one estimate, one interval), never as a sum of per-field effects, which do not
add on the probability scale and whose intervals do not add either. The estimand is the change
in won deals per 1,000 views on that form (``models.wins.wins_per_1k_views``); see
:func:`formfit.models.contrast.joint_contrast_forms` for the computation and its assumptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from formfit.models.contrast import joint_contrast


def joint_drop_effect(models: Mapping[str, Any], form_id: str, removed: Iterable[str]
                      ) -> tuple[float, float, float] | None:
    """(estimate, ci_low, ci_high) in wins per 1,000 views of removing ``removed`` together
    from ``form_id``, or None when the evidence cannot identify that change."""
    gone = set(removed)
    fit = (models.get("wins") or {}).get("wins_per_1k_views") or {}
    scale = float(fit.get("scale", 1000.0))
    for block in fit.get("blocks", []):
        if block.get("status") != "fitted" or not gone <= set(block.get("field_columns", [])):
            continue
        profiles = [p for p in block.get("profiles", []) if p.get("form_id") == form_id]
        if not profiles:
            continue
        latest = profiles[-1]["fields"]
        est = joint_contrast(block, form_id, [f for f in latest if f not in gone], scale)
        if est.known:
            assert est.estimate is not None and est.ci_low is not None and est.ci_high is not None
            return est.estimate, est.ci_low, est.ci_high
    return None


def form_change(fit: Mapping[str, Any], form_id: str, current: Iterable[str],
                removed: Iterable[str] = (), added: Iterable[str] = ()
                ) -> tuple[float, float, float, float] | None:
    """(estimate, ci_low, ci_high, baseline) on the fit's scale of changing ``form_id`` from
    its ``current`` field set by removing ``removed`` and adding ``added``, as one contrast.

    It uses the first fitted block in which every changed field varies and which holds cells
    of the form showing exactly ``current`` (older versions of the form are left out: their
    field sets differ in more than this change). None when no block identifies the change.
    ``fit`` is ``models.conversion`` or ``models.wins.wins_per_1k_views``; ``baseline`` is
    the observed rate of those cells on the fit's scale.
    """
    gone, new, now = set(removed), set(added), set(current)
    scale = float(fit.get("scale") or 1.0)
    for block in fit.get("blocks", []):
        if block.get("status") != "fitted" or not (gone | new) <= set(block["field_columns"]):
            continue
        mine = [p for p in block.get("profiles", [])
                if p.get("form_id") == form_id and set(p["fields"]) == now]
        if not mine:
            continue
        others = [p for p in block["profiles"] if p.get("form_id") != form_id]
        est = joint_contrast({**block, "profiles": others + mine}, form_id,
                             sorted((now - gone) | new), scale)
        if est.known:
            assert est.estimate is not None and est.ci_low is not None and est.ci_high is not None
            trials = sum(float(p["trials"]) for p in mine)
            base = scale * sum(float(p["successes"]) for p in mine) / trials if trials else 0.0
            return est.estimate, est.ci_low, est.ci_high, base
    return None
