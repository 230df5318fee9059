"""`formfit design` in text (terminal, fit to its width with rich) and Markdown, from
``DesignResult.to_dict()``.

Field and form names come from evidence files: in Markdown every one goes through
``md_escape``; in text, control and bidi characters are shown as escapes
(:func:`~formfit.renderers.escape.terminal`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from formfit.renderers.escape import no_commands, terminal
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


#: the report as blocks, for Markdown and the terminal alike: ("title", text), ("heading",
#: text), ("para", text), ("item", text), ("table", head, rows) and ("blank",)
Block = tuple[Any, ...]


def _blocks(d: Mapping[str, Any], esc: Callable[[Any], str]) -> list[Block]:
    design = d["design"]
    names = [f["field"] for f in d["fields"]]
    h = d["horizon_days"]
    out: list[Block] = []
    kind = (f"full factorial 2^{len(names)}" if design["resolution"] == "full" else
            f"{design['fraction']} fractional factorial, resolution {design['resolution']}")
    title = (f"Experiment design: {kind}, {design['runs']} runs over {len(names)} "
             f"field{'s' if len(names) != 1 else ''}")
    out += [("title", title), ("blank",)]
    out.append(("para", f"Fields: {', '.join(esc(n) for n in names)}. Generators: "
                        f"{', '.join(design['generators']) or 'none (full factorial)'}; "
                        f"defining relation: {', '.join(design['defining_relation']) or 'none'}."))
    reason = d["resolution_reason"]
    out.append(("para", f"Why this resolution: {REASONS.get(reason, reason)}."))
    src = {"flag": "as asked (--weeks)", "margins": "the weeks that detect every field's margin",
           "default": "the default: at today's traffic no margin-sized test fits in a year",
           "no_wins": "the default: the evidence has no won deals to size a test with, so "
                      "set --weeks to the runtime you can afford"}
    out.append(("para", f"Planned runtime: {d['weeks']} weeks "
                        f"({src.get(d['weeks_source'], '')}), then the {h}-day maturity window: "
                        f"readable after {7 * d['weeks'] + h} days."))
    out.append(("para", "Main effects with one intercept per form: "
                + ("estimable (full column rank)." if d["estimable"] else "NOT estimable.")))
    out += [("blank",), ("heading", "Detectable drop in won deals per 1,000 views"), ("blank",)]
    weeks = [w["weeks"] for w in d["fields"][0]["detectable_by_week"]] if d["fields"] else []
    head = ["field", "views/day", "margin"] + [f"{w} wk (+{h} d)" for w in weeks] + [
        f"{d['weeks']} wk watched", "weeks for margin"]
    rows = [[esc(f["field"]), _num(f["views_per_day"], 0), _num(f["margin_wins_per_1k_views"])]
            + [_detectable(x["detectable_wins_per_1k_views"], f["baseline_wins_per_1k_views"])
               for x in f["detectable_by_week"]]
            + [_detectable(f.get("detectable_watched_at_planned_weeks"),
                           f["baseline_wins_per_1k_views"])]
            + [_weeks(f["weeks_to_detect_margin"])] for f in d["fields"]]
    # narrow terminals leave out columns: the early weeks first, then traffic, the watched
    # reading and the planned weeks; the field and its margin always stay
    n_weeks = len(weeks)
    drop = [*range(3, 3 + max(n_weeks - 1, 0)), 1, 3 + n_weeks, 2 + n_weeks, 4 + n_weeks]
    out += [("table", head, rows, drop), ("blank",)]
    out.append(("para", "Each main effect compares the half of the views whose arm shows the "
                        "field with the half whose arm hides it (80% power, 5% two-sided); "
                        "\"none\": no drop short of every win is detectable yet. \"watched\": "
                        "read daily with always-valid intervals once started: is set (N* = the "
                        "planned views), the planned runtime detects this much, a wider change "
                        "than one look at the end."))
    one = d["one_at_a_time"]
    seq, every = one["sequential_weeks"], one["design_weeks_to_detect_every_margin"]
    if seq is None or every is None:
        # no estimate of the weeks (no won deals to size the test on, or no detectable
        # margin): say so, rather than "unknown of traffic"
        out.append(("para", "One field at a time against this design: the weeks cannot be "
                            "estimated from this evidence (see the detectable drops above)."))
    else:
        out.append(("para", f"One field at a time, one after another: {_weeks(seq)} of "
                            f"traffic; this design: {_weeks(every)} to detect every margin, "
                            "all fields at once."))
    out += [("blank",), ("heading", "Aliases"), ("blank",)]
    for f in d["fields"]:
        out.append(("item", alias_sentence(f["field"], f["aliases"], esc)))
    out += [("blank",), ("heading", "Arms"), ("blank",)]
    head = ["arm", "form", "traffic", "runs", "shows"]
    rows = [[esc(a["form_id"]), esc(a["base_form"]), f"{a['traffic']:.4g}",
             ",".join(str(r) for r in a["runs"]),
             ", ".join(esc(k) for k, v in a["shown"].items() if v) or "(none of them)"]
            for a in d["arms"]]
    out += [("table", head, rows, [3, 2, 1]), ("blank",)]
    return out


def _markdown(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        kind = b[0]
        if kind == "title":
            out.append(f"# {b[1]}")
        elif kind == "heading":
            out.append(f"## {b[1]}")
        elif kind == "item":
            out.append(f"- {b[1]}")
        elif kind == "table":
            head, rows = b[1], b[2]
            out += (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                    + ["| " + " | ".join(r) + " |" for r in rows])
        elif kind == "para":
            out.append(b[1])
        else:
            out.append("")
    return "\n".join(out) + "\n"


#: table columns that may fold onto more lines (names, lists); numbers never break
_FOLDS = {"field", "arm", "form", "shows", "weeks for margin"}
_FOLD_MIN = 12  # a folding column keeps at least this many cells (or its widest value)
_GAP = 2  # cells between columns


def _fit_columns(head: Sequence[str], rows: Sequence[Sequence[str]], drop: Sequence[int],
                 width: int) -> tuple[list[int], list[str]]:
    """The columns that fit ``width`` (indices) and the headers left out, dropping columns in
    ``drop`` order; a number column needs its widest value, its header may wrap at spaces."""
    def need(i: int) -> int:
        words = max((cell_len(w) for w in _words(head[i])), default=0)
        data = max((cell_len(r[i]) for r in rows), default=0)
        if head[i] in _FOLDS:
            return max(words, min(max(data, cell_len(head[i])), _FOLD_MIN))
        return max(words, data)

    keep = list(range(len(head)))
    for i in drop:
        if sum(need(j) for j in keep) + _GAP * (len(keep) - 1) <= width:
            break
        keep.remove(i)
    return keep, [head[i] for i in range(len(head)) if i not in keep]


def _words(header: str) -> list[str]:
    """A header's words, a parenthesis kept whole: ``["2", "wk", "(+84 d)"]``."""
    return re.findall(r"\([^)]*\)|[^\s(]+", header)


def _header(name: str, rows: Sequence[Sequence[str]], i: int) -> str:
    """A number column's header wrapped at spaces to its values' width (``2 wk\\n(+84 d)``)."""
    if name in _FOLDS:
        return name
    data = max((cell_len(r[i]) for r in rows), default=0)
    lines: list[str] = []
    for word in _words(name):
        if lines and cell_len(lines[-1]) + 1 + cell_len(word) <= data:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def _text(blocks: Sequence[Block], width: int) -> str:
    """The terminal report at most ``width`` columns wide (rich measures CJK and emoji by
    their cell width): prose wraps, tables shrink their columns and fold long names, and a
    row keeps its cells together."""
    console = Console(file=io.StringIO(), width=width, no_color=True, force_terminal=False,
                      highlight=False, emoji=False, markup=False, color_system=None,
                      legacy_windows=False, soft_wrap=False)
    parts: list[RenderableType] = []
    for b in blocks:
        kind = b[0]
        if kind == "table":
            head, rows = b[1], b[2]
            keep, left_out = _fit_columns(head, rows, b[3], width)
            table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, _GAP, 0, 0),
                          show_edge=False, header_style="", expand=False)
            for i in keep:
                folds = head[i] in _FOLDS
                table.add_column(_header(head[i], rows, i), overflow="fold", no_wrap=not folds,
                                 justify="left" if folds else "right",
                                 min_width=None if not folds else min(
                                     _FOLD_MIN, max((cell_len(r[i]) for r in rows),
                                                    default=0)))
            for row in rows:
                table.add_row(*(Text(row[i]) for i in keep))
            parts.append(table)
            if left_out:
                parts.append(Text(f"Left out at {width} columns: {'; '.join(left_out)} "
                                  "(a wider terminal shows them; --out writes them all to "
                                  "design.md)."))
        elif kind == "item":
            parts.append(Padding(Text(b[1]), (0, 0, 0, 2)))
        elif kind == "blank":
            parts.append(Text(""))
        else:
            parts.append(Text(b[1]))
    console.print(Group(*parts))
    text: str = console.file.getvalue()  # type: ignore[attr-defined]
    return no_commands("\n".join(line.rstrip() for line in text.splitlines()) + "\n")


def render_design(result: DesignResult, fmt: str = "text", width: int | None = None) -> str:
    """The design report: ``text`` (at most ``width`` columns, default 100), ``markdown`` or
    ``json``."""
    d = result.to_dict()
    if fmt == "json":
        return result.to_json()
    if fmt == "markdown":
        return _markdown(_blocks(d, md_escape))
    return _text(_blocks(d, terminal), width or 100)
