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
