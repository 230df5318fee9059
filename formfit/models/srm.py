"""Sample ratio mismatch: did each experiment's variants get the views they were planned to?

For each experiment (forms sharing ``experiment`` in the forms configuration) with at least two
variants and some views, a chi-square goodness-of-fit test of the observed views per variant
against the planned ``traffic`` shares (default: an equal split; variants without a share split
what the others leave; shares are normalised to sum to 1). A p-value below 0.001 (the usual
alarm threshold, as in GrowthBook and Statsig) means the randomization itself is in doubt: a
variant lost or gained views for a reason other than chance (a redirect, a bot filter, a
tracking bug), and the experiment's estimates should not be trusted until that is explained.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from formfit.inputs import FormsConfig, Notice

SRM_ALPHA = 0.001


def planned_shares(traffic: list[float | None]) -> list[float]:
    """Planned shares for variants, normalised to sum to 1 (None: an equal part of the rest)."""
    given = [t for t in traffic if t is not None and t > 0]
    missing = sum(1 for t in traffic if t is None)
    s = float(sum(given))
    if missing:
        fill = (1.0 - s) / missing if s < 1.0 and given else (
            1.0 / len(traffic) if not given else s / len(given))
        raw = [fill if t is None else max(0.0, float(t)) for t in traffic]
    else:
        raw = [max(0.0, float(t)) for t in traffic if t is not None]
    total = sum(raw)
    return [r / total for r in raw] if total > 0 else [1.0 / len(traffic)] * len(traffic)


def sample_ratio_checks(view_counts: pd.DataFrame | None,
                        forms: FormsConfig) -> tuple[list[dict[str, Any]], list[Notice]]:
    """One check per experiment with views; a SAMPLE_RATIO_MISMATCH notice when p < 0.001."""
    checks: list[dict[str, Any]] = []
    notices: list[Notice] = []
    if view_counts is None or view_counts.empty:
        return checks, notices
    views = view_counts.groupby(view_counts["form_id"].astype(str))["views"].sum()
    experiments: dict[str, list[str]] = {}
    for form_id, spec in forms.forms.items():
        if spec.experiment:
            experiments.setdefault(spec.experiment, []).append(form_id)
    for name in sorted(experiments):
        variants = experiments[name]
        if len(variants) < 2:
            continue
        observed = np.array([float(views.get(v, 0)) for v in variants])
        total = float(observed.sum())
        if total <= 0:
            continue
        shares = planned_shares([forms.forms[v].traffic for v in variants])
        expected = np.array(shares) * total
        ok = expected > 0
        chi2 = float(np.sum((observed[ok] - expected[ok]) ** 2 / expected[ok]))
        if np.any(~ok & (observed > 0)):
            chi2, p = float("inf"), 0.0
        else:
            p = float(stats.chi2.sf(chi2, df=int(ok.sum()) - 1)) if ok.sum() > 1 else 1.0
        status = "mismatch" if p < SRM_ALPHA else "ok"
        rows = [{"form_id": v, "views": int(o), "planned_share": s, "observed_share": o / total}
                for v, o, s in zip(variants, observed, shares, strict=True)]
        checks.append({"experiment": name, "variants": rows,
                       "chi2": chi2 if np.isfinite(chi2) else None, "p_value": p,
                       "status": status})
        if status == "mismatch":
            split = ", ".join(f"{r['form_id']} {r['observed_share']:.1%} (planned "
                              f"{r['planned_share']:.1%})" for r in rows)
            notices.append(Notice(
                "SAMPLE_RATIO_MISMATCH",
                f"Experiment {name}: the views per variant ({split}) are not the planned split "
                f"(chi-square p = {p:.2g}). The randomization is in doubt: do not trust this "
                "experiment's estimates until the split is explained (redirects, bot filters, "
                "tracking that fails on one variant).",
                {"experiment": name, "p_value": p, "chi2": chi2 if np.isfinite(chi2) else None}))
    return checks, notices
