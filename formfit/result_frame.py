"""An :class:`~formfit.results.AnalysisResult` the way a pandas user reads it: a frame indexed
by field, a lifelines-style printed summary, and an HTML table for notebooks."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from formfit.renderers.text import num, pval
from formfit.results import VERDICT_ORDER, Estimate

if TYPE_CHECKING:
    import pandas as pd

    from formfit.results import AnalysisResult

EFFECTS = ("conversion_pp", "win_rate_pp", "wins_per_1k_views", "revenue_per_1k_views")
NUMERIC = ("fill_rate", "junk_rate", *(f"{n}{s}" for n in EFFECTS
                                       for s in ("", "_ci_low", "_ci_high", "_p_value")),
           "information_value", "lr_p_value", "q_value", "margin_wins_per_1k_views",
           "test_views_per_arm", "test_days", "test_weeks_to_detect_margin",
           "test_feasible_margin_12_weeks")
EVIDENCE_ORDER = ("randomized", "observational", "aliased", "none")


def to_frame(result: AnalysisResult) -> pd.DataFrame:
    """One row per field, indexed by ``field``: numbers as floats (NaN when unknown), ``forms``
    as a list, ``verdict`` and ``evidence`` as ordered categoricals."""
    import pandas as pd

    rows = []
    for f in result.fields:
        de = f.drop_effect
        row: dict[str, Any] = {"field": f.field, "forms": list(f.forms),
                               "protected": f.protected, "required": f.required,
                               "fill_rate": f.fill_rate, "junk_rate": f.junk_rate,
                               "evidence": de.evidence}
        for name in EFFECTS:
            est: Estimate = getattr(de, name)
            row[name] = est.estimate
            row[f"{name}_ci_low"] = est.ci_low
            row[f"{name}_ci_high"] = est.ci_high
            row[f"{name}_p_value"] = est.p_value
        plan = f.test_plan
        row.update(information_value=f.predictive.information_value,
                   lr_p_value=f.predictive.lr_p_value, q_value=f.predictive.q_value,
                   margin_wins_per_1k_views=f.margin_wins_per_1k, verdict=f.verdict,
                   reason_code=f.reason_code, reason=f.reason_text,
                   test_views_per_arm=plan.views_per_arm if plan else None,
                   test_days=plan.days if plan and plan.days is not None else None,
                   test_weeks_to_detect_margin=plan.weeks_to_detect_margin if plan else None,
                   test_feasible_margin_12_weeks=(plan.feasible_margin_12_weeks if plan
                                                  else None))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["field", "forms", "protected", "required", *NUMERIC[:2],
                                        "evidence", *NUMERIC[2:], "verdict", "reason_code",
                                        "reason"])
    for col in NUMERIC:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["verdict"] = pd.Categorical(frame["verdict"], categories=list(VERDICT_ORDER),
                                      ordered=True)
    frame["evidence"] = pd.Categorical(frame["evidence"], categories=list(EVIDENCE_ORDER),
                                       ordered=True)
    return frame.set_index("field")


def _n(x: float | None) -> str:
    return num(x)


def _p(x: float | None) -> str:
    return pval(x)


def _table(result: AnalysisResult) -> list[dict[str, str]]:
    rows = []
    for f in result.fields:
        de = f.drop_effect
        w, c = de.wins_per_1k_views, de.conversion_pp
        rows.append({
            "field": f.field, "verdict": f.verdict, "evidence": de.evidence,
            "Δconv pp": _n(c.estimate), "lower 0.95": _n(c.ci_low), "upper 0.95": _n(c.ci_high),
            "p": _p(c.p_value),
            "Δwins/1k": _n(w.estimate), "lower 0.95 ": _n(w.ci_low), "upper 0.95 ": _n(w.ci_high),
            "margin": _n(f.margin_wins_per_1k),
            "IV": _n(f.predictive.information_value), "q": _p(f.predictive.q_value),
        })
    return rows


def summary_text(result: AnalysisResult) -> str:
    """A lifelines-style summary: the settings that shaped the result, then one line per field
    with its drop effects and 95% intervals, then what the columns mean."""
    settings = result.settings
    counts = result.verdict_counts()
    head = [
        ("model", "formfit drop effects (friction, qualification, won deals per 1,000 views)"),
        ("as of", str(result.as_of or "-")),
        ("margin", f"{settings.get('margin', '-')}"),
        ("maturity window (days)", str(settings.get("maturity_days_used")
                                       or result.models.get("horizon_days") or "-")),
        ("inputs", ", ".join(f"{r} {settings[r]}" for r in ("submissions", "views", "outcomes",
                                                             "forms") if settings.get(r))),
        ("fields", f"{len(result.fields)}: " + ", ".join(
            f"{counts[v]} {v}" for v in VERDICT_ORDER if counts.get(v))),
        ("warnings", str(len(result.warnings))),
    ]
    width = max(len(k) for k, _ in head)
    lines = [f"<formfit.AnalysisResult: {len(result.fields)} fields>"]
    lines += [f"{k:>{width}} = {v}" for k, v in head]
    lines.append("")
    rows = _table(result)
    if rows:
        cols = list(rows[0])
        widths = {c: max(len(c.strip()), *(len(r[c]) for r in rows)) for c in cols}
        lines.append("  ".join(c.strip().ljust(widths[c]) if c in ("field", "verdict",
                                                                    "evidence")
                               else c.strip().rjust(widths[c]) for c in cols))
        for r in rows:
            lines.append("  ".join(r[c].ljust(widths[c]) if c in ("field", "verdict", "evidence")
                                   else r[c].rjust(widths[c]) for c in cols).rstrip())
    lines += ["---",
              "Δ: the change if the field is removed from the forms that show it; 95% intervals.",
              "Δconv pp: submissions per view, percentage points; Δwins/1k: won deals per 1,000 "
              "views (the number decided on); margin: the loss of won deals per 1,000 views "
              "accepted to drop it; IV / q: information value of its values and the "
              "FDR-adjusted p of their link to winning."]
    return "\n".join(lines) + "\n"


def repr_html(result: AnalysisResult) -> str:
    """A compact table for Jupyter; every user string is escaped."""
    rows = _table(result)
    e = html.escape
    head = (f"<p><b>formfit</b> · as of {e(str(result.as_of or '-'))} · margin "
            f"{e(str(result.settings.get('margin', '-')))} · {len(result.fields)} fields</p>")
    if not rows:
        return head
    cols = list(rows[0])
    thead = "".join(f"<th>{e(c.strip())}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{e(r[c])}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return f"{head}<table><thead><tr>{thead}</tr></thead><tbody>{body}</tbody></table>"
