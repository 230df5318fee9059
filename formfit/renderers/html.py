"""The HTML report: one self-contained file (inline CSS and SVG, no scripts, no network).

Python computes every coordinate; the Jinja2 template (autoescape on for everything, SVG text
included) only places them. Sections: summary, the trade-off chart (conversion gained against
won deals lost if a field is removed), the field table, per-field details with win rate by
value, forms, experiments' sample-ratio checks, accounting, warnings and the method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from formfit.renderers.charts import (
    free_to_drop_floor,
    ordered_values,
    predictive_chart,
    regions,
)
from formfit.renderers.escape import visible
from formfit.renderers.plans import plan_rows, plan_summary
from formfit.renderers.text import (
    EVIDENCE_MEANING,
    FIXED_INTERVALS,
    VERDICT_LABEL,
    accounting_rows,
    count,
    est_ci,
    header_facts,
    input_files,
    margin_text,
    num,
    pct,
    predictive_text,
    pval,
    sort_fields,
    srm_bad,
    srm_rows,
    summary_line,
    warning_text,
    watched_text,
)
from formfit.renderers.words import plain
from formfit.results import VERDICT_ORDER, AnalysisResult, Estimate, FieldResult

# Okabe-Ito colours (safe for colour-blind readers), and a distinct marker shape per verdict.
COLOR = {"keep": "#0072B2", "make_optional": "#CC79A7", "test": "#E69F00", "drop": "#D55E00",
         "protected": "#444444"}
SHAPE = {"keep": "circle", "make_optional": "diamond", "test": "square", "drop": "triangle",
         "protected": "ring"}

# chart geometry (px)
CW, CH = 860, 540
ML, MR, MT, MB = 78, 24, 24, 64
PW, PH = CW - ML - MR, CH - MT - MB
CHAR_W = 6.6  # approximate width of one 12px sans-serif character


def _f(x: float) -> str:
    """A coordinate with one decimal: stable text across runs."""
    return f"{x:.1f}"


def marker(shape: str, cx: float, cy: float, r: float = 6.5) -> str:
    """An SVG path for a marker centred on (cx, cy); numbers only, never user text."""
    if shape == "diamond":
        r *= 1.25
        return (f"M{_f(cx)},{_f(cy - r)} L{_f(cx + r)},{_f(cy)} L{_f(cx)},{_f(cy + r)} "
                f"L{_f(cx - r)},{_f(cy)} Z")
    if shape == "square":
        r *= 0.9
        return (f"M{_f(cx - r)},{_f(cy - r)} H{_f(cx + r)} V{_f(cy + r)} H{_f(cx - r)} Z")
    if shape == "triangle":
        r *= 1.2
        return (f"M{_f(cx)},{_f(cy + r)} L{_f(cx + r)},{_f(cy - r * 0.8)} "
                f"L{_f(cx - r)},{_f(cy - r * 0.8)} Z")
    # circle and ring: two arcs
    return (f"M{_f(cx - r)},{_f(cy)} a{_f(r)},{_f(r)} 0 1,0 {_f(2 * r)},0 "
            f"a{_f(r)},{_f(r)} 0 1,0 {_f(-2 * r)},0 Z")


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^k) covering [lo, hi]."""
    span = hi - lo
    if not span > 0:
        return [lo]
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step - 1e-9)
    ticks = []
    k = start
    while k * step <= hi + 1e-9 * step:
        v = k * step
        ticks.append(0.0 if abs(v) < step * 1e-9 else v)
        k += 1
    return ticks


@dataclass(frozen=True)
class _Scale:
    lo: float
    hi: float
    a: float  # pixel of lo
    b: float  # pixel of hi

    def __call__(self, v: float) -> float:
        return self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)


def _range(values: Sequence[float], pad: float = 0.08) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if not hi > lo:
        lo, hi = lo - 1.0, hi + 1.0
    span = hi - lo
    return lo - pad * span, hi + pad * span


def _point_key(f: FieldResult) -> tuple[str, ...]:
    de = f.drop_effect
    if de.aliased_with:
        return tuple(sorted({f.field, *de.aliased_with}))
    return (f.field,)


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _chart_margin(placed: Sequence[FieldResult]) -> float | None:
    """The margin line: the strictest per-field margin (won deals per 1,000 views) decide used
    among the fields on the chart. Relative margins differ by field (their baselines differ)."""
    ms = [f.margin_wins_per_1k for f in placed
          if f.margin_wins_per_1k is not None and math.isfinite(f.margin_wins_per_1k)
          and f.margin_wins_per_1k > 0]
    return min(ms) if ms else None


def _unplaced_reason(f: FieldResult) -> str:
    de = f.drop_effect
    if de.evidence == "none":
        return "never removed from a form: effect not estimable"
    missing = []
    if not de.conversion_pp.known:
        missing.append("conversion" + (f" ({plain(de.conversion_pp.code)})"
                                       if de.conversion_pp.code else ""))
    if not de.wins_per_1k_views.known:
        missing.append("won deals" + (f" ({plain(de.wins_per_1k_views.code)})"
                                      if de.wins_per_1k_views.code else ""))
    return "no estimate of " + " or ".join(missing)


def chart(result: AnalysisResult) -> dict[str, Any]:
    """Everything the template needs to draw the trade-off chart, as numbers and strings."""
    placed: dict[tuple[str, ...], list[FieldResult]] = {}
    unplaced: list[dict[str, Any]] = []  # fields not on the chart, grouped by why
    for f in sort_fields(result.fields):
        de = f.drop_effect
        if de.conversion_pp.known and de.wins_per_1k_views.known:
            placed.setdefault(_point_key(f), []).append(f)
        else:
            why = _unplaced_reason(f)
            if not unplaced or unplaced[-1]["why"] != why:
                unplaced.append({"why": why, "fields": []})
            unplaced[-1]["fields"].append(
                {"field": f.field, "verdict": VERDICT_LABEL.get(f.verdict, f.verdict),
                 "color": COLOR.get(f.verdict, "#444"), "protected": f.verdict == "protected"})
    margin = _chart_margin([f for ms in placed.values() for f in ms])
    xs: list[float] = [0.0]
    ys: list[float] = [0.0] + ([-1.3 * margin] if margin else [])  # room below the line
    for members in placed.values():
        de = members[0].drop_effect
        for e, bucket in ((de.conversion_pp, xs), (de.wins_per_1k_views, ys)):
            bucket += [v for v in (e.estimate, e.ci_low, e.ci_high) if v is not None]
    x0, x1 = _range(xs)
    y0, y1 = _range(ys)
    sx, sy = _Scale(x0, x1, ML, ML + PW), _Scale(y0, y1, MT + PH, MT)
    px0, py0 = sx(0.0), sy(0.0)
    right, bottom = ML + PW, MT + PH

    placed_fields = [f for ms in placed.values() for f in ms]
    floor = free_to_drop_floor(placed_fields, margin)
    quadrants = regions(sx, sy, (ML, MT, right, bottom), margin, floor)

    points = []
    boxes: list[tuple[float, float, float, float]] = []
    for members in sorted(placed.values(), key=lambda ms: sy(ms[0].drop_effect
                                                               .wins_per_1k_views.estimate or 0)):
        f = members[0]
        de = f.drop_effect
        c, w = de.conversion_pp, de.wins_per_1k_views
        assert c.estimate is not None and w.estimate is not None
        cx, cy = sx(c.estimate), sy(w.estimate)
        label = " + ".join(m.field for m in members)
        short = _short(label)
        lw, lh = len(short) * CHAR_W, 14.0
        lx, ly, anchor = _place_label(cx, cy, lw, lh, boxes)
        verdict = f.verdict
        points.append({
            "cx": _f(cx), "cy": _f(cy),
            "x_lo": _f(sx(c.ci_low if c.ci_low is not None else c.estimate)),
            "x_hi": _f(sx(c.ci_high if c.ci_high is not None else c.estimate)),
            "y_lo": _f(sy(w.ci_low if w.ci_low is not None else w.estimate)),
            "y_hi": _f(sy(w.ci_high if w.ci_high is not None else w.estimate)),
            "cap_x1": _f(cx - 4), "cap_x2": _f(cx + 4), "cap_y1": _f(cy - 4), "cap_y2": _f(cy + 4),
            "color": COLOR.get(verdict, "#444"), "verdict": verdict,
            "path": marker(SHAPE.get(verdict, "circle"), cx, cy),
            "hollow": SHAPE.get(verdict) == "ring",
            "label": short, "lx": _f(lx), "ly": _f(ly), "anchor": anchor,
            "title": (f"{label}: {VERDICT_LABEL.get(verdict, verdict)}; Δ conversion "
                      f"{est_ci(c)} pp; Δ won deals per 1,000 views {est_ci(w)}"),
        })

    x_ticks = [{"x": _f(sx(t)), "label": num(t, sign=t > 0)} for t in nice_ticks(x0, x1)]
    y_ticks = [{"y": _f(sy(t)), "label": num(t, sign=t > 0)} for t in nice_ticks(y0, y1)]
    legend = [{"label": VERDICT_LABEL[v], "color": COLOR[v], "hollow": SHAPE[v] == "ring",
               "path": marker(SHAPE[v], 10, 13 + 26 * i), "y": 18 + 26 * i}
              for i, v in enumerate(VERDICT_ORDER)]
    return {
        "w": CW, "h": CH, "left": ML, "top": MT, "right": right, "bottom": bottom,
        "pw": PW, "ph": PH, "px0": _f(px0), "py0": _f(py0),
        "x_label_x": _f(ML + PW / 2), "x_label_y": _f(CH - 16),
        "y_label_x": _f(18), "y_label_y": _f(MT + PH / 2),
        "quadrants": quadrants, "points": points, "x_ticks": x_ticks, "y_ticks": y_ticks,
        "margin_y": _f(sy(-margin)) if margin else None,
        "margin_label": f"-{num(margin)} margin" if margin else "",
        "legend": legend, "unplaced": _grouped(unplaced),
        "predictive": predictive_chart([f for f in result.fields
                                        if _point_key(f) not in placed], COLOR),
    }


def _grouped(unplaced: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per reason (in first-seen order), listing its fields."""
    by_why: dict[str, list[dict[str, Any]]] = {}
    for group in unplaced:
        by_why.setdefault(group["why"], []).extend(group["fields"])
    return [{"why": why, "fields": fs} for why, fs in by_why.items()]


def _place_label(cx: float, cy: float, w: float, h: float,
                 boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, str]:
    """Greedy label placement beside a point, avoiding earlier labels and the plot edges."""
    candidates = []
    for dy in (-9.0, 17.0, -23.0, 31.0, -37.0, 45.0):
        candidates.append((cx + 10, cy + dy, "start"))
        candidates.append((cx - 10, cy + dy, "end"))
    best = candidates[0]
    for x, y, anchor in candidates:
        left = x if anchor == "start" else x - w
        box = (left, y - h + 3, left + w, y + 3)
        if box[0] < ML + 2 or box[2] > ML + PW - 2 or box[1] < MT + 2 or box[3] > MT + PH - 2:
            continue
        if any(not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3])
               for b in boxes):
            continue
        best = (x, y, anchor)
        boxes.append(box)
        return best
    x, y, anchor = best
    left = x if anchor == "start" else x - w
    boxes.append((left, y - h + 3, left + w, y + 3))
    return best


def value_bars(f: FieldResult) -> dict[str, Any] | None:
    """Win rate by value as horizontal bars with Wilson 95% intervals; None without values."""
    values = ordered_values(f)
    if not values:
        return None
    label_w, bar_w, row_h, text_w = 170, 300, 22, 120
    tops = [v.ci_high if v.ci_high is not None else (v.win_rate or 0.0) for v in values]
    top = max([0.05, *tops]) * 1.05
    leads = sum(v.leads for v in values)
    wins = sum(v.wins for v in values)
    overall = wins / leads if leads else None

    def sx(r: float) -> float:
        return label_w + min(max(r, 0.0), top) / top * bar_w

    rows = []
    for i, v in enumerate(values):
        y = 8 + i * row_h
        rate = v.win_rate if v.win_rate is not None else 0.0
        rows.append({
            "label": _short(v.value, 26), "full": v.value, "y": _f(y), "ty": _f(y + 13),
            "bar_x": _f(label_w), "bar_w": _f(sx(rate) - label_w), "bar_h": _f(row_h - 8),
            "lo": _f(sx(v.ci_low if v.ci_low is not None else rate)),
            "hi": _f(sx(v.ci_high if v.ci_high is not None else rate)),
            "mid": _f(y + (row_h - 8) / 2),
            "cap1": _f(y + 2), "cap2": _f(y + row_h - 10),
            "text": f"{pct(v.win_rate)} of {count(v.leads)}",
            "tx": _f(label_w + bar_w + 8),
            "known": v.win_rate is not None,
        })
    height = 8 + len(values) * row_h + 22
    ticks = [{"x": _f(sx(t)), "label": pct(t)} for t in nice_ticks(0.0, top, 4) if t <= top]
    return {"w": label_w + bar_w + text_w, "h": height, "rows": rows, "ticks": ticks,
            "axis_y": _f(height - 18), "tick_y": _f(height - 4),
            "overall_x": _f(sx(overall)) if overall is not None else None,
            "overall": pct(overall), "top_y": "4", "plot_x": label_w, "plot_w": bar_w}


def _est_row(label: str, e: Estimate) -> dict[str, str]:
    return {"label": label, "estimate": num(e.estimate, sign=True),
            "ci": (f"{num(e.ci_low, sign=True)} to {num(e.ci_high, sign=True)}"
                   if e.ci_low is not None and e.ci_high is not None else "—"),
            "p": pval(e.p_value) if e.with_p else "", "code": plain(e.code) if e.code else ""}


def _field_view(f: FieldResult) -> dict[str, Any]:
    de = f.drop_effect
    p = f.predictive
    plan = plan_summary(f.test_plan) if f.test_plan is not None else None
    plan_weeks = plan_rows(f.test_plan) if f.test_plan is not None else []
    return {
        "name": f.field, "verdict": f.verdict,
        "verdict_label": VERDICT_LABEL.get(f.verdict, f.verdict),
        "color": COLOR.get(f.verdict, "#444"), "reason": f.reason_text,
        "forms": ", ".join(f.forms), "n_forms": len(f.forms),
        "evidence": de.evidence, "basis": de.basis or de.evidence,
        "aliased_with": ", ".join(de.aliased_with),
        "required": "yes" if f.required else "no", "protected": f.protected,
        "fill": pct(f.fill_rate), "junk": pct(f.junk_rate),
        "conv": est_ci(de.conversion_pp), "win_pp": num(de.win_rate_pp.estimate, sign=True),
        "wins": est_ci(de.wins_per_1k_views), "predictive": predictive_text(f),
        "estimates": [_est_row("Δ conversion (pp)", de.conversion_pp),
                      _est_row("Δ win rate (pp)", de.win_rate_pp),
                      _est_row("Δ won deals per 1,000 views", de.wins_per_1k_views),
                      _est_row("Δ revenue per 1,000 views", de.revenue_per_1k_views)],
        "iv": num(p.information_value), "lr_p": pval(p.lr_p_value), "q": pval(p.q_value),
        "kind": p.kind, "leads": count(p.leads), "codes": ", ".join(plain(c) for c in p.codes),
        "plan": plan, "plan_weeks": plan_weeks, "bars": value_bars(f),
    }


def _finalize(value: Any) -> Any:
    """Every value the template prints, before autoescaping: control and bidi characters shown
    as escapes (:func:`~formfit.renderers.escape.visible`), SVG text and titles included."""
    if isinstance(value, markupsafe.Markup):  # already HTML (a macro's output): keep it so
        return markupsafe.Markup(visible(str(value)))
    return visible(value) if isinstance(value, str) else value


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True, finalize=_finalize)


def render_html(result: AnalysisResult) -> str:
    """The self-contained HTML report."""
    n_warn = len(result.warnings)
    warnings = [dict(zip(("code", "message"), warning_text(w), strict=True))
                for w in result.warnings]
    forms = [{"form_id": fs.form_id, "experiment": fs.experiment or "—",
              "views": count(fs.views), "submissions": count(fs.submissions),
              "rate": pct(fs.conversion_rate),
              "ci": (f"{pct(fs.ci_low)} to {pct(fs.ci_high)}"
                     if fs.ci_low is not None and fs.ci_high is not None else ""),
              "fields": ", ".join(fs.fields)} for fs in result.forms]
    srm = [{**r, "bad": srm_bad(r["status"])} for r in srm_rows(result)]
    context = {
        "version": result.formfit_version,
        "summary": summary_line(result),
        "facts": header_facts(result),
        "files": input_files(result),
        "n_warn": n_warn,
        "chart": chart(result),
        "fields": [_field_view(f) for f in sort_fields(result.fields)],
        "forms": forms,
        "srm": srm,
        "accounting": accounting_rows(result),
        "warnings": warnings,
        "evidence_meaning": list(EVIDENCE_MEANING.items()),
        "margin": margin_text(result),
        "intervals": watched_text(result) or FIXED_INTERVALS,
        "colors": COLOR,
    }
    text: str = _environment().get_template("report.html.j2").render(**context)
    return text
