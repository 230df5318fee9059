"""The command line: parse options, call one library function, render, choose the exit code.

No statistics and no pandas here. Payloads go to stdout (or --out); everything else to stderr.
"""

from __future__ import annotations

import enum
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from formfit.errors import EXIT_ERROR, EXIT_OK, FormfitError

app = typer.Typer(
    name="formfit",
    help=(
        "What each lead-form field costs in submissions and is worth in won deals.\n\n"
        "Start with `formfit demo`, then point `formfit analyze` at your own exports:\n\n"
        "  formfit analyze --submissions subs.csv --views views.csv --outcomes deals.csv "
        "--forms forms.yaml"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _stderr() -> Console:
    return Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")) or None, highlight=False)


class Fmt(enum.StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


class ValidateFmt(enum.StrEnum):
    table = "table"
    json = "json"


class CheckFmt(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    github = "github"


# Shared input options (analyze and validate take the same ones).
SubmissionsOpt = Annotated[Path | None, typer.Option(
    "--submissions", "-s", help="Form submissions export (CSV, TSV, Parquet, XLSX, JSONL; .gz ok). "
    "Needs lead_id or email, and form_id.")]
ViewsOpt = Annotated[Path | None, typer.Option(
    "--views", "-v", help="Form views: one row per view (form_id, viewed_at) or daily counts "
    "(form_id, date, views, submissions). Needed for conversion effects.")]
OutcomesOpt = Annotated[Path | None, typer.Option(
    "--outcomes", "-o", help="CRM deals: lead_id or email, and outcome (won/lost/open), or "
    "is_won/is_closed, or stage with a stage map. Needed for win effects.")]
FormsOpt = Annotated[Path | None, typer.Option(
    "--forms", "-f", help="Form configuration (YAML/JSON): fields per form, experiments, "
    "versions, protected fields. Without it, fields are inferred from submissions.")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", "-c", help="Settings file (YAML/JSON): columns, stages, segments, ignore, "
    "constants, as_of, maturity_days, margin. Flags override it.")]
MapOpt = Annotated[list[str] | None, typer.Option(
    "--map", metavar="'EXPORT NAME=name'",
    help='Rename a column in every input: --map "Prospect ID=lead_id". Repeatable.')]
SegmentOpt = Annotated[list[str] | None, typer.Option(
    "--segment", metavar="COLUMN",
    help="A column that shifts conversion (device, channel); the models adjust "
    "for it. Repeatable.")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", metavar="YYYY-MM-DD",
    help="Date the exports were taken (YYYY-MM-DD). Default: latest date in inputs.")]
MaturityOpt = Annotated[int | None, typer.Option(
    "--maturity-days", metavar="DAYS",
    help="h: wins are counted within h days of submission; young leads count with "
    "completion factors. Default: when wins stop arriving, estimated from every lead.")]
MarginOpt = Annotated[str | None, typer.Option(
    "--margin", metavar="2%|0.5",
    help="Largest loss of won deals you accept to drop a field: '2%' of the "
    "baseline (default) or an absolute '0.5' wins per 1,000 views.")]


def _build(**kw: Any) -> Any:
    from formfit.api import _settings

    as_of = kw.pop("as_of", None)
    if as_of is not None:
        from formfit.config import parse_date

        kw["as_of"] = parse_date(as_of, "--as-of")
    kw["column_map"] = tuple(kw.pop("column_map") or ())
    kw["segments"] = tuple(kw.pop("segments") or ())
    return _settings(None, **kw)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        _stderr().print(f"wrote {out}")


def _fail(exc: FormfitError) -> typer.Exit:
    err = _stderr()
    err.print(f"Error: {exc.message}", markup=False, soft_wrap=True)
    if exc.hint:
        err.print(f"Hint: {exc.hint}", markup=False, soft_wrap=True)
    return typer.Exit(EXIT_ERROR)


def _require_submissions(s: Any) -> None:
    if s.submissions is None:
        from formfit.errors import UsageError

        raise UsageError("no submissions file given.",
                         "Pass --submissions FILE (or `submissions:` in the config file); "
                         "try `formfit demo` to see a full run.")


@app.command(epilog=(
    "Examples:\n\n\b\n"
    "  formfit analyze -s subs.csv -v views.csv -o deals.csv -f forms.yaml \\\n"
    "                  --segment device --segment channel\n"
    "  formfit analyze ... --format html --out report.html\n"
    "  formfit analyze -s Leads.csv --map 'Prospect ID=lead_id' --map 'Lead Origin=form_id'"))
def analyze(
    submissions: SubmissionsOpt = None,
    views: ViewsOpt = None,
    outcomes: OutcomesOpt = None,
    forms: FormsOpt = None,
    config: ConfigOpt = None,
    column_map: MapOpt = None,
    segments: SegmentOpt = None,
    as_of: AsOfOpt = None,
    maturity_days: MaturityOpt = None,
    margin: MarginOpt = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="table (terminal), json (the contract), "
                                     "markdown (PRs, $GITHUB_STEP_SUMMARY) or html (report).")]
    = Fmt.table,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report here instead of "
                                             "stdout.")] = None,
) -> None:
    """Estimate every field's friction, qualification and net effect, and recommend."""
    try:
        s = _build(submissions=submissions, views=views, outcomes=outcomes, forms=forms,
                   config=config, column_map=column_map, segments=segments, as_of=as_of,
                   maturity_days=maturity_days, margin=margin,
                   progress=sys.stderr.isatty() or None)
        _require_submissions(s)
        from formfit.api import analyze as run
        from formfit.renderers import render

        result = run(settings=s)
        _emit(render(result, fmt.value, width=_width(out)), out)
    except FormfitError as exc:
        raise _fail(exc) from None
    raise typer.Exit(EXIT_OK)


def _width(out: Path | None) -> int | None:
    return 100 if out is not None or not sys.stdout.isatty() else None


@app.command()
def validate(
    submissions: SubmissionsOpt = None,
    views: ViewsOpt = None,
    outcomes: OutcomesOpt = None,
    forms: FormsOpt = None,
    config: ConfigOpt = None,
    column_map: MapOpt = None,
    segments: SegmentOpt = None,
    as_of: AsOfOpt = None,
    maturity_days: MaturityOpt = None,
    margin: MarginOpt = None,
    fmt: Annotated[ValidateFmt, typer.Option("--format", help="table or json.")]
    = ValidateFmt.table,
) -> None:
    """Load and check every input; print where every row went. Exit 0 if usable, 2 if not."""
    try:
        s = _build(submissions=submissions, views=views, outcomes=outcomes, forms=forms,
                   config=config, column_map=column_map, segments=segments, as_of=as_of,
                   maturity_days=maturity_days, margin=margin,
                   progress=sys.stderr.isatty() or None)
        _require_submissions(s)
        from formfit.api import validate as run
        from formfit.renderers.validation import render_validation

        result = run(settings=s)
        _emit(render_validation(result, fmt.value, width=_width(None)), None)
    except FormfitError as exc:
        raise _fail(exc) from None
    raise typer.Exit(EXIT_OK)


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the synthetic world to.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same bytes.")] = 0,
    views: Annotated[int | None, typer.Option(
        "--views", help="Approximate number of form views to simulate.")] = None,
) -> None:
    """Write a synthetic world with planted field effects, and truth.json with the answers."""
    try:
        from formfit.api import simulate as run

        info = run(out, seed=seed, views=views)
        _stderr().print(f"wrote {len(info.get('files', []))} files to {out}", markup=False)
    except FormfitError as exc:
        raise _fail(exc) from None
    raise typer.Exit(EXIT_OK)


@app.command()
def demo(
    fmt: Annotated[Fmt, typer.Option("--format", help="table, json, markdown or html.")]
    = Fmt.table,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report here.")] = None,
) -> None:
    """Run analyze on the bundled sample data (a simulated world with known answers)."""
    try:
        from formfit.api import analyze as run
        from formfit.renderers import render
        from formfit.sample import sample_settings

        result = run(settings=sample_settings())
        _emit(render(result, fmt.value, width=_width(out)), out)
    except FormfitError as exc:
        raise _fail(exc) from None
    _stderr().print(
        "Next: formfit demo --format html --out report.html   (open it in a browser), or\n"
        "      formfit analyze --submissions YOUR_EXPORT.csv --views ... --outcomes ... "
        "--forms forms.yaml", markup=False)
    raise typer.Exit(EXIT_OK)


@app.command()
def check(
    base: Annotated[Path, typer.Option("--base", help="The form config before the change.")],
    head: Annotated[Path, typer.Option("--head", help="The form config after the change.")],
    evidence: Annotated[Path, typer.Option(
        "--evidence", help="RESULT.json from `formfit analyze --format json`.")],
    fmt: Annotated[CheckFmt, typer.Option("--format", help="text, json, markdown or github "
                                          "(annotations).")] = CheckFmt.text,
) -> None:
    """CI gate: fail (exit 1) when a form-config change would remove a field sales depend on."""
    try:
        from formfit.gate import check as run
        from formfit.gate import render_check

        report = run(base, head, evidence)
        sys.stdout.write(render_check(report, fmt.value))
    except FormfitError as exc:
        raise _fail(exc) from None
    raise typer.Exit(report.exit_code)


def _version(value: bool) -> None:
    if value:
        from formfit import __version__

        typer.echo(f"formfit {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """What each lead-form field costs in submissions and is worth in won deals."""


def main() -> None:
    """Console-script entry point. Never shows a traceback with locals."""
    try:
        app()
    except FormfitError as exc:  # raised outside a command (e.g. option parsing hooks)
        _fail(exc)
        sys.exit(EXIT_ERROR)


