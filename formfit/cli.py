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


class SimFmt(enum.StrEnum):
    csv = "csv"
    parquet = "parquet"


class CheckFmt(enum.StrEnum):  # check's share of formfit.renderers.Format
    text = "text"
    json = "json"
    markdown = "markdown"
    github = "github"
    sarif = "sarif"


# Shared input options (analyze and validate take the same ones).
SubmissionsOpt = Annotated[str | None, typer.Option(
    "--submissions", "-s", metavar="FILE|table:NAME|sql:QUERY",
    help="Form submissions export (CSV, TSV, Parquet, XLSX, JSONL; .gz ok), or with --engine "
    "a table or query. Needs lead_id or email, and form_id.")]
ViewsOpt = Annotated[str | None, typer.Option(
    "--views", "-v", metavar="FILE|table:NAME|sql:QUERY",
    help="Form views: one row per view (form_id, viewed_at) or daily counts "
    "(form_id, date, views, submissions). Needed for conversion effects.")]
OutcomesOpt = Annotated[str | None, typer.Option(
    "--outcomes", "-o", metavar="FILE|table:NAME|sql:QUERY",
    help="CRM deals: lead_id or email, and outcome (won/lost/open), or "
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
EngineOpt = Annotated[str | None, typer.Option(
    "--engine", metavar="URL",
    help="Where table:/sql: inputs live and are grouped: duckdb:///file.db, "
    "postgres://user@host/db, bigquery://project/dataset, snowflake://..., pyspark://. "
    "Default: files are scanned by an embedded DuckDB.")]
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
    engine: EngineOpt = None,
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
                   maturity_days=maturity_days, margin=margin, engine=engine,
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
    engine: EngineOpt = None,
    margin: MarginOpt = None,
    fmt: Annotated[ValidateFmt, typer.Option("--format", help="table or json.")]
    = ValidateFmt.table,
) -> None:
    """Load and check every input; print where every row went. Exit 0 if usable, 2 if not."""
    try:
        s = _build(submissions=submissions, views=views, outcomes=outcomes, forms=forms,
                   config=config, column_map=column_map, segments=segments, as_of=as_of,
                   maturity_days=maturity_days, margin=margin, engine=engine,
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
    fmt: Annotated[list[SimFmt] | None, typer.Option(
        "--format", metavar="csv|parquet", help="Table files: csv (default) or parquet; "
        "repeat for both. Views come row level (views.*) and as daily counts (views_daily.*).")]
    = None,
) -> None:
    """Write a synthetic world with planted field effects, and truth.json with the answers."""
    try:
        from formfit.api import simulate as run

        formats = [f.value for f in fmt] if fmt else ["csv"]
        info = run(out, seed=seed, views=views, formats=formats)
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


@app.command(epilog=(
    "Examples:\n\n\b\n"
    "  # in a pull request: the forms file on main against the working copy\n"
    "  formfit check --base main:forms.yaml --head forms.yaml --evidence evidence.json\n"
    "  # annotations on the changed lines of the diff, in GitHub Actions\n"
    "  formfit check --base origin/main:forms.yaml --head forms.yaml \\\n"
    "                --evidence evidence.json --format github\n"
    "  # a job summary, and a SARIF file for code scanning\n"
    "  formfit check ... --format markdown >> \"$GITHUB_STEP_SUMMARY\"\n"
    "  formfit check ... --format sarif > formfit.sarif\n"
    "  # the last commit's change, failing on stale evidence too\n"
    "  formfit check --base HEAD~1:forms.yaml --head HEAD:forms.yaml \\\n"
    "                --evidence evidence.json --strict --max-age-days 30\n"
    "  # a forms file piped in\n"
    "  git show v1.2:forms.yaml | formfit check --base - --head forms.yaml --evidence e.json\n"
    "\n\b\n"
    "Exit status: 0 the change passes the policy; 1 it breaks the policy; 2 bad usage or "
    "input.\n"
    "Rules and levels: the `policy:` section of the base forms file (README: Use it in CI)."))
def check(
    evidence: Annotated[Path, typer.Option(
        "--evidence", metavar="RESULT.json",
        help="The JSON of `formfit analyze --format json`: verdicts and models to judge by.")],
    base: Annotated[str | None, typer.Option(
        "--base", metavar="OLD_FORMS", help="The forms file before the change: a path, `-` "
        "for stdin, or REV:PATH read from git (main:forms.yaml).")] = None,
    head: Annotated[str | None, typer.Option(
        "--head", metavar="NEW_FORMS", help="The forms file after the change: a path (the "
        "working copy), `-`, or REV:PATH. Annotations point at its lines.")] = None,
    files: Annotated[list[str] | None, typer.Argument(
        metavar="FORMS_FILE", help="Instead of --base/--head (as the pre-commit hook "
        "does): each file against its committed version, HEAD:FILE.")] = None,
    fmt: Annotated[CheckFmt, typer.Option(
        "--format", help="text, json, markdown (job summary), github (annotations on the "
        "diff) or sarif (code scanning).")] = CheckFmt.text,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Stale evidence, evidence for other forms or of another schema, and "
        "a failed sample-ratio check become errors (exit 1), not warnings.")] = False,
    max_age_days: Annotated[int, typer.Option(
        "--max-age-days", metavar="DAYS",
        help="Evidence older than this (by its as_of date) is stale.")] = 90,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="YYYY-MM-DD",
        help="Measure the evidence's age at this date (default: today).")] = None,
) -> None:
    """CI gate: fail (exit 1) when a forms-file change breaks the policy for the evidence."""
    try:
        from formfit.gate import run_check
        from formfit.renderers import render_check

        today = None
        if as_of is not None:
            from formfit.config import parse_date

            today = parse_date(as_of, "--as-of")
        if files:
            code = _check_files(files, base, head, evidence, fmt, strict, max_age_days, today)
            raise typer.Exit(code)
        if base is None or head is None:
            from formfit.errors import UsageError

            raise UsageError("check needs --base and --head (or forms files, as the pre-commit "
                             "hook passes them).",
                             "e.g. formfit check --base main:forms.yaml --head forms.yaml "
                             "--evidence evidence.json")
        report = run_check(base, head, evidence, strict=strict, max_age_days=max_age_days,
                           today=today)
        _emit(render_check(report, fmt.value), None)
    except FormfitError as exc:
        from formfit.renderers.check import plain, render_github_error

        # forms files come from pull requests: their strings must not start log lines
        exc.message, exc.hint = plain(exc.message), plain(exc.hint)
        if fmt is CheckFmt.github:
            _emit(render_github_error(exc.message, exc.hint), None)
        raise _fail(exc) from None
    raise typer.Exit(report.exit_code)


def _check_files(files: list[str], base: str | None, head: str | None, evidence: Path,
                 fmt: CheckFmt, strict: bool, max_age_days: int, today: Any) -> int:
    from formfit.errors import UsageError
    from formfit.gate import run_check_files
    from formfit.renderers import render_check

    if base is not None or head is not None:
        raise UsageError("give either --base/--head or forms files, not both.",
                         "Files are each checked against their committed version (HEAD:FILE).")
    if len(files) > 1 and fmt in (CheckFmt.json, CheckFmt.sarif):
        raise UsageError(f"--format {fmt.value} writes one report; {len(files)} forms files "
                         "were given.", "Check one file at a time, or use text, markdown or "
                         "github.")
    reports, new = run_check_files(files, evidence, strict=strict, max_age_days=max_age_days,
                                   today=today)
    for path in new:
        _stderr().print(f"{path}: not committed yet, nothing to compare with.", markup=False)
    _emit("".join(render_check(r, fmt.value) for r in reports), None)
    return max((r.exit_code for r in reports), default=EXIT_OK)


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


