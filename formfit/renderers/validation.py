"""Render a :class:`ValidationResult`: rich tables for people, the result's JSON for machines."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from formfit.renderers.escape import no_commands, terminal
from formfit.renderers.text import counted
from formfit.results import ValidationResult

ROLES = ("submissions", "views", "outcomes")


def T(value: Any) -> Text:
    """A user string as an inert table cell: no markup, control characters escaped."""
    return Text(terminal(value))


def render_validation(result: ValidationResult, fmt: str, width: int | None = None) -> str:
    """``fmt`` "table": accounting, forms, fields and warnings as text tables; "json": JSON."""
    if fmt == "json":
        return result.to_json()
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}; use table or json")
    buf = io.StringIO()
    console = Console(file=buf, width=width or 100, no_color=bool(os.environ.get("NO_COLOR")),
                      force_terminal=False, highlight=False, soft_wrap=False, markup=False,
                      emoji=False)
    console.print(_inputs_table(result.inputs))
    console.print(_forms_table(result))
    console.print(_warnings_table(result.warnings))
    usable = result.inputs.get("submissions", {}).get("rows_used", 0)
    console.print(f"{counted(len(result.fields), 'field')} on "
                  f"{counted(len(result.forms), 'form')}; {counted(usable, 'lead')} will be "
                  "analysed.", markup=False)
    return no_commands(buf.getvalue())


def _inputs_table(inputs: Mapping[str, Any]) -> Table:
    table = Table(title="Where every input row went", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("input")
    table.add_column("rows read", justify="right")
    table.add_column("rows used", justify="right")
    table.add_column("excluded", justify="right")
    table.add_column("reason")
    roles = [r for r in ROLES if r in inputs] + sorted(set(inputs) - set(ROLES))
    for role in roles:
        acc = inputs[role]
        excluded: Mapping[str, int] = acc.get("excluded", {})
        table.add_row(role, f"{acc['rows_read']:,}", f"{acc['rows_used']:,}",
                      f"{sum(excluded.values()):,}" if excluded else "0",
                      "" if excluded else "-")
        for reason, n in excluded.items():
            table.add_row("", "", "", f"{n:,}", T(reason))
    return table


def _forms_table(result: ValidationResult) -> Table:
    how = "inferred from submissions" if result.forms_inferred else "from the forms file"
    table = Table(title=f"Forms and the fields they show ({how})", box=box.SIMPLE_HEAD,
                  title_justify="left")
    table.add_column("form")
    table.add_column("experiment")
    table.add_column("since")
    table.add_column("n", justify="right")
    table.add_column("fields (optional ones marked ?)", overflow="fold")
    for form in result.forms:
        exp = form.get("experiment") or ""
        traffic = form.get("traffic")
        if exp and traffic is not None:
            exp = f"{exp} ({traffic:g})"
        for i, v in enumerate(form.get("versions", [])):
            optional = set(v.get("optional", []))
            shown = ", ".join(f"{f}?" if f in optional else f for f in v.get("fields", []))
            table.add_row(T(form["form_id"]) if i == 0 else "", T(exp) if i == 0 else "",
                          v.get("since") or "", str(len(v.get("fields", []))),
                          T(shown or "(none)"))
    return table


def _warnings_table(warnings: Any) -> Table:
    table = Table(title=f"Warnings ({len(warnings)})", box=box.SIMPLE_HEAD,
                  title_justify="left")
    table.add_column("code")
    table.add_column("message", overflow="fold")
    for w in warnings:
        table.add_row(T(w.get("code", "")), T(w.get("message", "")))
    if not warnings:
        table.add_row("-", "none")
    return table
