"""`formfit design` in text (terminal) and Markdown, from ``DesignResult.to_dict()``.

Field and form names come from evidence files: in Markdown every one goes through
``md_escape``; in text, control and bidi characters are shown as escapes
(:func:`~formfit.renderers.escape.terminal`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from formfit.renderers.escape import terminal
from formfit.renderers.text import md_escape
from formfit.results_design import DesignResult

_FEWEST_ARMS = ("the design keeps to the fewest arms (resolution III): read its main effects "
                "as clean only if two-field interactions are small")
REASONS = {
    "SMALLEST_IS_IV": "the smallest fraction for this many fields is already resolution IV "
                      "or more",
    "TRAFFIC_ALLOWS_IV": "every field's margin is detectable within the planned weeks, so "
                         "the design keeps main effects clear of two-field interactions",
    "TRAFFIC_TOO_LOW_FOR_IV": "not every field's margin is detectable within the planned "
                              f"weeks, so {_FEWEST_ARMS}",
    "NO_WINS_FOR_IV": "the evidence has no won deals within the maturity window, so no "
                      f"field's margin can be sized; {_FEWEST_ARMS}",
}


def _num(x: Any, digits: int = 2) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) >= 100):
        return f"{int(x):,}"
    return f"{float(x):,.{digits}f}"


def _detectable(x: Any, baseline: Any) -> str:
    """A change as large as the whole baseline cannot be told from losing every win."""
    if x is not None and baseline is not None and x >= baseline:
        return "none"
    return _num(x)


def _weeks(w: Any) -> str:
    if w is None:
        return "unknown"
    years = w / 52.0
    return f"{w:,} weeks" + (f" (about {years:,.0f} years)" if years >= 2 else "")


def alias_sentence(field: str, aliases: Sequence[Sequence[str]], esc: Callable[[Any], str]
                   ) -> str:
    """"phone's effect is confounded with the message x timeline interaction" (and more)."""
    if not aliases:
        return f"{esc(field)}'s effect is confounded with no interaction of two or three fields."
    first = " x ".join(esc(x) for x in aliases[0])
    more = len(aliases) - 1
    tail = f" (and {more} more interaction{'s' if more > 1 else ''})" if more else ""
    return f"{esc(field)}'s effect is confounded with the {first} interaction{tail}."


def _lines(d: Mapping[str, Any], esc: Callable[[Any], str], md: bool) -> list[str]:
    design = d["design"]
    names = [f["field"] for f in d["fields"]]
    h = d["horizon_days"]
    out = []
    kind = (f"full factorial 2^{len(names)}" if design["resolution"] == "full" else
            f"{design['fraction']} fractional factorial, resolution {design['resolution']}")
    title = (f"Experiment design: {kind}, {design['runs']} runs over {len(names)} "
             f"field{'s' if len(names) != 1 else ''}")
    out += [f"# {title}" if md else title, ""]
    out.append(f"Fields: {', '.join(esc(n) for n in names)}. Generators: "
               f"{', '.join(design['generators']) or 'none (full factorial)'}; defining "
               f"relation: {', '.join(design['defining_relation']) or 'none'}.")
    reason = d["resolution_reason"]
    out.append(f"Why this resolution: {REASONS.get(reason, reason)}.")
    src = {"flag": "as asked (--weeks)", "margins": "the weeks that detect every field's margin",
           "default": "the default: at today's traffic no margin-sized test fits in a year",
           "no_wins": "the default: the evidence has no won deals to size a test with, so "
                      "set --weeks to the runtime you can afford"}
    out.append(f"Planned runtime: {d['weeks']} weeks ({src.get(d['weeks_source'], '')}), "
               f"then the {h}-day maturity window: readable after {7 * d['weeks'] + h} days.")
    out.append("Main effects with one intercept per form: "
               + ("estimable (full column rank)." if d["estimable"] else "NOT estimable."))
    out.append("")
    out += [("## " if md else "") + "Detectable drop in won deals per 1,000 views", ""]
    weeks = [w["weeks"] for w in d["fields"][0]["detectable_by_week"]] if d["fields"] else []
    head = ["field", "views/day", "margin"] + [f"{w} wk (+{h} d)" for w in weeks] + [
        f"{d['weeks']} wk watched", "weeks for margin"]
    rows = [[esc(f["field"]), _num(f["views_per_day"], 0), _num(f["margin_wins_per_1k_views"])]
            + [_detectable(x["detectable_wins_per_1k_views"], f["baseline_wins_per_1k_views"])
               for x in f["detectable_by_week"]]
            + [_detectable(f.get("detectable_watched_at_planned_weeks"),
                           f["baseline_wins_per_1k_views"])]
            + [_weeks(f["weeks_to_detect_margin"])] for f in d["fields"]]
    out += _table(head, rows, md)
    out.append("")
    out.append("Each main effect compares the half of the views whose arm shows the field with "
               "the half whose arm hides it (80% power, 5% two-sided); \"none\": no drop short "
               "of every win is detectable yet. \"watched\": read daily with always-valid "
               "intervals once started: is set (N* = the planned views), the planned runtime "
               "detects this much, a wider change than one look at the end.")
    one = d["one_at_a_time"]
    seq, every = one["sequential_weeks"], one["design_weeks_to_detect_every_margin"]
    if seq is None or every is None:
        # no estimate of the weeks (no won deals to size the test on, or no detectable
        # margin): say so, rather than "unknown of traffic"
        out.append("One field at a time against this design: the weeks cannot be estimated "
                   "from this evidence (see the detectable drops above).")
    else:
        out.append(f"One field at a time, one after another: {_weeks(seq)} of traffic; this "
                   f"design: {_weeks(every)} to detect every margin, all fields at once.")
    out += ["", ("## " if md else "") + "Aliases", ""]
    for f in d["fields"]:
        out.append(("- " if md else "  ") + alias_sentence(f["field"], f["aliases"], esc))
    out += ["", ("## " if md else "") + "Arms", ""]
    head = ["arm", "form", "traffic", "runs", "shows"]
    rows = [[esc(a["form_id"]), esc(a["base_form"]), f"{a['traffic']:.4g}",
             ",".join(str(r) for r in a["runs"]),
             ", ".join(esc(k) for k, v in a["shown"].items() if v) or "(none of them)"]
            for a in d["arms"]]
    out += _table(head, rows, md)
    out.append("")
    return out


def _table(head: list[str], rows: list[list[str]], md: bool) -> list[str]:
    if md:
        return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(head)] + [line(r) for r in rows]


def render_design(result: DesignResult, fmt: str = "text") -> str:
    """The design report: ``text``, ``markdown`` or ``json``."""
    d = result.to_dict()
    if fmt == "json":
        return result.to_json()
    if fmt == "markdown":
        return "\n".join(_lines(d, md_escape, True)) + "\n"
    return "\n".join(_lines(d, terminal, False)) + "\n"
