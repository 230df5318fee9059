"""The terminal report (rich): header, one row per field, reasons, accounting, warnings.

Readable at 100 columns: each number's 95% interval sits on a second line of its cell, and the
one-sentence reasons go in their own section below the table, wrapped. No user string is ever
read as rich markup (cells are :class:`rich.text.Text`). Rendered into a string without
terminal codes; ``NO_COLOR`` is honoured as well.
"""

from __future__ import annotations

import io
import os

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from formfit.renderers.plans import plan_compact
from formfit.renderers.text import (
    EVIDENCE_SHORT,
    VERDICT_LABEL,
    accounting_rows,
    ci,
    header_facts,
    input_files,
    no_commands,
    num,
    pct,
    pval,
    sort_fields,
    srm_bad,
    srm_rows,
    summary_line,
    terminal,
    warning_text,
)
from formfit.results import AnalysisResult, Estimate, FieldResult

S = terminal  # every user string in a cell: the terminal escaping rule

VERDICT_STYLE = {"keep": "bold blue", "make_optional": "bold magenta", "test": "bold yellow",
                 "drop": "bold red", "protected": "bold"}


def _cell(est: Estimate) -> Text:
    """Estimate on the first line, its interval dimmed on the second."""
    if est.estimate is None:
        return Text("—", style="dim")
    t = Text(num(est.estimate, sign=True))
    interval = ci(est, sign=False)
    if interval:
        t.append("\n" + interval, style="dim")
    return t


def _field_cell(f: FieldResult) -> Text:
    """The field's name, and on a second line how many forms show it."""
    t = Text(S(f.field))
    n = len(f.forms)
    t.append(f"\n{n} form{'s' if n != 1 else ''}", style="dim")
    return t


def _predictive(f: FieldResult) -> Text:
    p = f.predictive
    if p.information_value is None and p.q_value is None:
        return Text("—", style="dim")
    t = Text(num(p.information_value))
    t.append(f"\nq {pval(p.q_value)}", style="dim")
    return t


#: the columns of the field table by the terminal width they need (the field and its verdict
#: always stay: a row must say which field it is about)
_COLUMNS_BY_WIDTH: tuple[tuple[int, tuple[str, ...]], ...] = (
    (96, ("fill", "junk", "conv", "win", "wins", "iv", "evid")),
    (72, ("conv", "wins", "iv", "evid")),
    (48, ("wins", "evid")),
    (0, ()),
)


def _field_table(result: AnalysisResult, width: int) -> Table:
    """One row per field. Narrower terminals leave out columns, the net (wins per 1,000
    views) and its evidence last, the field and its verdict never (:data:`_COLUMNS_BY_WIDTH`);
    the "Why" section below says it all in words."""
    cols = next(c for w, c in _COLUMNS_BY_WIDTH if width >= w)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0), show_edge=False,
                  header_style="bold", expand=False)
    table.add_column("field", overflow="fold", min_width=min(10, max(width - 12, 4)))
    table.add_column("verdict", no_wrap=True, min_width=9)
    heads = {"fill": "fill", "junk": "junk", "conv": "Δconv pp", "win": "Δwin pp",
             "wins": "Δwins/1k", "iv": "IV / q", "evid": "evid."}
    for c in cols:
        if c == "evid":
            table.add_column(heads[c], no_wrap=True)
        else:
            table.add_column(heads[c], justify="right", no_wrap=True)
    ordered = sort_fields(result.fields)
    for i, f in enumerate(ordered):
        verdict = Text(VERDICT_LABEL.get(f.verdict, f.verdict).replace("make optional",
                                                                       "optional"),
                       style=VERDICT_STYLE.get(f.verdict, ""))
        cells: list[Text] = [_field_cell(f), verdict, *(_column_cell(c, f) for c in cols)]
        table.add_row(*cells, end_section=i < len(ordered) - 1)
    return table


def _column_cell(column: str, f: FieldResult) -> Text:
    """The cell of one of :data:`_COLUMNS_BY_WIDTH`'s columns for field ``f``."""
    de = f.drop_effect
    if column == "fill":
        return Text(pct(f.fill_rate))
    if column == "junk":
        return Text(pct(f.junk_rate))
    if column == "conv":
        return _cell(de.conversion_pp)
    if column == "win":
        return Text(num(de.win_rate_pp.estimate, sign=True))
    if column == "wins":
        return _cell(de.wins_per_1k_views)
    if column == "iv":
        return _predictive(f)
    return Text(EVIDENCE_SHORT.get(de.evidence, de.evidence))


def _reasons(result: AnalysisResult) -> list[RenderableType]:
    out: list[RenderableType] = [Text("Why", style="bold")]
    for f in sort_fields(result.fields):
        t = Text()
        t.append(S(f.field), style="bold")
        t.append(f" ({', '.join(S(x) for x in f.forms)})" if f.forms else "", style="dim")
        t.append(" — ")
        t.append(VERDICT_LABEL.get(f.verdict, f.verdict), style=VERDICT_STYLE.get(f.verdict, ""))
        t.append(": " + S(f.reason_text or "no reason given."))
        out.append(Padding(t, (0, 0, 0, 2)))
        compact = plan_compact(f.test_plan) if f.test_plan is not None else ""
        if compact:
            out.append(Padding(Text(compact, style="dim"), (0, 0, 0, 4)))
    return out


def _accounting(result: AnalysisResult) -> list[RenderableType]:
    rows = accounting_rows(result)
    if not rows:
        return []
    out: list[RenderableType] = [Text("Inputs: where every row went", style="bold")]
    for r in rows:
        t = Text()
        t.append(f"{r['role']}", style="bold")
        if r["file"]:
            t.append(f" ({S(r['file'])})")
        t.append(f": {r['rows_read']} rows read, {r['rows_used']} used")
        if r["excluded"]:
            t.append("; excluded: " + ", ".join(f"{S(k)} {n}" for k, n in r["excluded"]))
        for k, n in r["notes"]:
            t.append(f"; {S(k)} {S(n)}")
        out.append(Padding(t, (0, 0, 0, 2)))
    return out


def _srm(result: AnalysisResult) -> list[RenderableType]:
    rows = srm_rows(result)
    if not rows:
        return []
    out: list[RenderableType] = [Text("Experiments: sample ratio checks", style="bold")]
    for r in rows:
        t = Text()
        t.append(S(r["experiment"]), style="bold")
        t.append(f": {S(r['variants'])}; chi² {r['chi2']}, p {r['p_value']} — ")
        t.append(r["status"], style="bold red" if srm_bad(r["status"]) else "green")
        out.append(Padding(t, (0, 0, 0, 2)))
    return out


def _warnings(result: AnalysisResult) -> list[RenderableType]:
    if not result.warnings:
        return [Text("Warnings: none", style="bold")]
    out: list[RenderableType] = [Text(f"Warnings ({len(result.warnings)})", style="bold")]
    for wd in result.warnings:
        code, message = warning_text(wd)
        t = Text()
        t.append(S(code), style="bold yellow")
        t.append(" " + S(message))
        out.append(Padding(t, (0, 0, 0, 2)))
    return out


def _header(result: AnalysisResult) -> list[RenderableType]:
    title = Text(f"formfit {result.formfit_version}", style="bold")
    title.append(" · " + " · ".join(S(x) for x in header_facts(result)))
    files = input_files(result)
    inputs = Text("inputs: " + (", ".join(f"{role} {S(name)}" for role, name in files)
                                if files else "none named"))
    n_warn = len(result.warnings)
    summary = Text(S(summary_line(result)), style="bold")
    summary.append(f" · {n_warn} warning{'s' if n_warn != 1 else ''}"
                   + (" (see below)" if n_warn else ""),
                   style="yellow" if n_warn else "")
    return [title, inputs, summary]


LEGEND = ("Δ: the change if the field is removed from the forms that show it, with its 95% "
          "interval below. fill / junk: share of submissions with a usable / placeholder value. "
          "conv pp: submissions per view, in percentage points; win pp: "
          "won leads per submission; wins/1k: won deals per 1,000 views (the number decided "
          "on). IV / q: information value of the field's values and its FDR-adjusted p. "
          "evid.: rand. = A/B test, obs. = form versions over time, aliased = only jointly "
          "with other fields, none = never removed.")


def render_table(result: AnalysisResult, width: int | None = None,
                 no_color: bool | None = None, color: bool = False) -> str:
    """The terminal report, at most ``width`` (default 100) columns wide.

    Plain text unless ``color`` (a terminal): then verdicts and warnings carry ANSI colours,
    still never under ``NO_COLOR``.
    """
    if no_color is None:
        no_color = bool(os.environ.get("NO_COLOR"))
    color = color and not no_color
    width = width or 100
    console = Console(file=io.StringIO(), width=width, force_terminal=color,
                      no_color=not color, highlight=False, emoji=False, markup=False,
                      color_system="standard" if color else None, legacy_windows=False,
                      soft_wrap=False)
    parts: list[RenderableType] = [*_header(result), Text(""), _field_table(result, width),
                                   Text(""), Text(LEGEND, style="dim"), Text("")]
    parts += _reasons(result) + [Text("")]
    for section in (_srm(result), _accounting(result), _warnings(result)):
        if section:
            parts += section + [Text("")]
    console.print(Group(*parts[:-1]))
    text: str = console.file.getvalue()  # type: ignore[attr-defined]
    return no_commands("\n".join(line.rstrip() for line in text.splitlines()) + "\n")
