"""Chart pieces for the HTML report: the trade-off chart's regions, drawn from the margin, and
the predictive-value chart shown when drop effects cannot be placed.

Coordinates are computed here, as numbers and plain strings; the template only places them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from formfit.renderers.text import VERDICT_LABEL, num, pct, pval
from formfit.renderers.words import natural_order
from formfit.results import FieldResult

GREEN, BAND, ORANGE, RED, BLUE = "#e8f4ec", "#f7f3e3", "#fdf0e6", "#fbe6e6", "#eef1f6"


def _f(x: float) -> str:
    return f"{x:.1f}"


def free_to_drop_floor(points: Sequence[FieldResult], margin: float | None) -> float:
    """The lowest Δ won deals per 1,000 views of the "Free to drop" region.

    It starts at the margin line (-m; 0 when no margin is known) and is raised above every
    field on the right of the chart that is *not* dropped, so that a `test` field never sits
    inside "Free to drop": whether to drop depends on the whole interval, not the point."""
    floor = -margin if margin is not None else 0.0
    others = [f.drop_effect.wins_per_1k_views.estimate for f in points
              if f.verdict != "drop" and (f.drop_effect.conversion_pp.estimate or 0.0) >= 0
              and f.drop_effect.wins_per_1k_views.estimate is not None]
    highest = max((w for w in others if w is not None), default=None)
    if highest is not None and highest >= floor:
        return highest
    return floor


def regions(sx: Callable[[float], float], sy: Callable[[float], float], box: tuple[float, ...],
            margin: float | None, floor: float) -> list[dict[str, Any]]:
    """Shaded regions: right of x=0, "Free to drop" above ``floor``, a "within the margin, not
    sure" band down to the margin line, "Costs sales" below it; left, split at y=0."""
    left, top, right, bottom = box
    px0 = min(max(sx(0.0), left), right)
    py0 = min(max(sy(0.0), top), bottom)
    line = sy(-margin) if margin is not None else py0
    line = min(max(line, top), bottom)
    pfloor = min(max(sy(floor), top), line)
    # pixel gap above the highest non-drop point, so its marker is not on the edge
    pfloor = max(top, pfloor - 10.0) if pfloor < line else pfloor
    specs = [
        (px0, top, right - px0, pfloor - top, GREEN, "Free to drop",
         "more submissions, won deals within the margin", "tr"),
        (px0, pfloor, right - px0, line - pfloor, BAND, "Within the margin, not yet sure",
         "the interval still reaches below the line: test", "br"),
        (px0, line, right - px0, bottom - line, ORANGE, "Costs sales",
         "more submissions, fewer won deals than the margin allows", "br"),
        (left, py0, px0 - left, bottom - py0, RED, "Costs leads and sales",
         "fewer submissions and fewer won deals", "bl"),
        (left, top, px0 - left, py0 - top, BLUE, "Fewer, better leads",
         "fewer submissions, more won deals", "tl"),
    ]
    out = []
    for qx, qy, qw, qh, fill, title, sub, corner in specs:
        if qw <= 1 or qh <= 1:
            continue
        show = qw > 150 and qh > 44
        tx = qx + qw - 8 if corner[1] == "r" else qx + 8
        ty = qy + 18 if corner[0] in "tm" else qy + qh - 24
        out.append({"x": _f(qx), "y": _f(qy), "w": _f(qw), "h": _f(qh), "fill": fill,
                    "title": title, "sub": sub, "show": show, "tx": _f(tx), "ty": _f(ty),
                    "ty2": _f(ty + 14), "anchor": "end" if corner[1] == "r" else "start"})
    return out


# Information value thresholds conventional in credit scoring (Siddiqi, 2006).
IV_LEVELS = ((0.02, "weak"), (0.1, "medium"), (0.3, "strong"))


def predictive_chart(fields: Sequence[FieldResult], colors: dict[str, str]
                     ) -> dict[str, Any] | None:
    """How much each field's values tell about winning: information value as a bar, its
    FDR-adjusted q, and the value with the highest win rate against the overall rate. None
    when no field has an information value."""
    known = [f for f in fields if f.predictive.information_value is not None
             and math.isfinite(f.predictive.information_value)]
    rows_in = [f for f in known if (f.predictive.information_value or 0.0) > 0]
    if not rows_in:
        return None
    rows_in.sort(key=lambda f: (-(f.predictive.information_value or 0.0), f.field))
    label_w, bar_w, text_w, row_h, top_pad = 180, 260, 340, 24, 26
    # square-root scale capped at IV 1: the 0.02 / 0.1 / 0.3 thresholds stay apart, and one
    # leaky field (IV 4.7) does not flatten the others; its number is in the text
    cap = 1.0

    def sx(v: float) -> float:
        return label_w + math.sqrt(min(max(v, 0.0), cap) / cap) * bar_w

    rows = []
    for i, f in enumerate(rows_in):
        p = f.predictive
        iv = p.information_value or 0.0
        y = top_pad + i * row_h
        significant = p.q_value is not None and p.q_value < 0.05
        leaky = "POSSIBLE_LEAKAGE" in p.codes
        rows.append({
            "label": f.field if len(f.field) <= 25 else f.field[:24] + "…", "full": f.field,
            "y": _f(y), "ty": _f(y + 13), "bar_x": _f(label_w),
            "bar_w": _f(max(1.0, sx(iv) - label_w)), "bar_h": _f(row_h - 8),
            "color": colors.get(f.verdict, "#444"), "opacity": "0.9" if significant else "0.35",
            "text": f"IV {num(iv)} · q {pval(p.q_value)}" + (
                " · likely leakage: answered after the fact" if leaky else ""),
            "lift": "" if leaky else _lift(f), "tx": _f(label_w + bar_w + 10),
            "verdict": VERDICT_LABEL.get(f.verdict, f.verdict),
        })
    height = top_pad + len(rows) * row_h + 26
    levels = [{"x": _f(sx(v)), "label": name} for v, name in IV_LEVELS]
    return {"w": label_w + bar_w + text_w, "h": height, "rows": rows, "levels": levels,
            "plot_top": "18", "plot_bottom": _f(height - 22), "axis_y": _f(height - 8),
            "left": label_w, "zero": [f.field for f in known if f not in rows_in]}


def _lift(f: FieldResult) -> str:
    """'51-200: 31% won vs 12% overall': the value with the highest win rate."""
    values = [v for v in f.predictive.win_rate_by_value if v.win_rate is not None and v.leads]
    if len(values) < 2:
        return ""
    leads = sum(v.leads for v in values)
    wins = sum(v.wins for v in values)
    best = max(values, key=lambda v: (v.win_rate or 0.0, v.leads))
    label = best.value if len(best.value) <= 18 else best.value[:17] + "…"
    return f"{label}: {pct(best.win_rate)} won vs {pct(wins / leads)} overall"


def ordered_values(f: FieldResult) -> list[Any]:
    """A field's win rate by value in natural order (numbers and ranges by value)."""
    values = list(f.predictive.win_rate_by_value)
    return natural_order(values, [v.value for v in values])
