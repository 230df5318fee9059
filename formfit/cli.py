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
from formfit.limits import DEFAULT_INPUT_MB

app = typer.Typer(
    name="formfit",
    help=(
        "What each lead-form field costs in submissions and is worth in won deals.\n\n"
        "Start with `formfit demo`, then point `formfit analyze` at your own exports:\n\n"
        "\b\n"  # click: keep the example's lines as written, so it can be copied
        "  formfit analyze --submissions subs.csv --views views.csv \\\n"
        "      --outcomes deals.csv --forms forms.yaml"
    ),
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
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
    "--views", metavar="FILE|table:NAME|sql:QUERY",
    help="Form views: one row per view (form_id, viewed_at) or daily counts "
    "(form_id, date, views, submissions). Needed for conversion effects.")]
OutcomesOpt = Annotated[str | None, typer.Option(
    "--outcomes", metavar="FILE|table:NAME|sql:QUERY",
    help="CRM deals: lead_id or email, and outcome (won/lost/open), or "
    "is_won/is_closed, or stage with a stage map. Needed for win effects.")]
FormsOpt = Annotated[Path | None, typer.Option(
    "--forms", "-f", help="Form configuration (YAML/JSON): fields per form, experiments, "
    "versions, protected fields. Without it, fields are inferred from submissions.")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", "-c", help="Settings file (YAML/JSON): columns, stages, segments, ignore, "
    "constants, as_of, maturity_days, margin, limits (input caps). Flags override it.")]
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
SequentialOpt = Annotated[bool, typer.Option(
    "--sequential",
    help="For tests you look at while they run: give every randomized experiment "
    "always-valid intervals (confidence sequences), so that stopping on the first "
    "good-looking day does not inflate false drops. Wider than fixed intervals (1.55x at "
    "best); tuned by n_star under experiments: in the forms file. An experiment with "
    "started: is watched without this flag.")]
PresetOpt = Annotated[str | None, typer.Option(
    "--preset", metavar="hubspot|salesforce|marketo|ga4",
    help="Read a vendor's export as it comes: its column names, stage names and report "
    "footers mapped to the contract.")]
DateFormatOpt = Annotated[str | None, typer.Option(
    "--date-format", metavar="FORMAT",
    help="strptime format for date columns that are not ISO and whose day/month order cannot "
    "be told, e.g. '%d/%m/%Y'. Default: detected per column.")]
MaxInputOpt = Annotated[int | None, typer.Option(
    "--max-input-mb", metavar="MB",
    help="Refuse an input that formfit must hold in memory (XLSX, JSON Lines, odd encodings, "
    f"after gzip) when larger than this. Default {DEFAULT_INPUT_MB}; other caps: `limits:` in "
    "the config.")]
QuietOpt = Annotated[bool, typer.Option(
    "--quiet", "-q", help="No progress display and no notes on stderr; errors still show.")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", "-o", metavar="PATH",
    help="Write the report to this file instead of stdout. Its extension picks the format "
    "(.txt table, .json, .md markdown, .html) unless --format is given.")]
FormatOpt = Annotated[Fmt | None, typer.Option(
    "--format", help="table (terminal), json (the contract), markdown (PRs, "
    "$GITHUB_STEP_SUMMARY) or html (report). Default: from --out's extension, else table.")]

# --out's extension -> report format (the contract: -o/--out picks the format)
_EXT_FORMAT = {".txt": Fmt.table, ".text": Fmt.table, ".json": Fmt.json, ".md": Fmt.markdown,
               ".markdown": Fmt.markdown, ".html": Fmt.html, ".htm": Fmt.html}


def _format(fmt: Fmt | None, out: Path | None) -> Fmt:
    """The report format: --format, else --out's extension, else the table.

    A --format that contradicts the extension is an error rather than, say, a table written
    into report.html."""
    if out is None:
        return fmt or Fmt.table
    from formfit.errors import UsageError

    implied = _EXT_FORMAT.get(out.suffix.lower())
    if fmt is None:
        if implied is None:
            raise UsageError(
                f"cannot tell the report format from --out {out.name}.",
                "Name the file .txt, .json, .md or .html, or pass --format "
                "table|json|markdown|html.")
        return implied
    if implied is not None and implied != fmt:
        raise UsageError(
            f"--format {fmt.value} does not match --out {out.name} (a {implied.value} file name).",
            f"Drop --format to write {implied.value}, or name the file "
            f"{out.stem}{_suffix(fmt)}.")
    return fmt


def _suffix(fmt: Fmt) -> str:
    return {Fmt.table: ".txt", Fmt.json: ".json", Fmt.markdown: ".md", Fmt.html: ".html"}[fmt]


def _progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def _color(fmt: Fmt, out: Path | None) -> bool:
    """Colour verdicts only in a table written to a terminal, and never under NO_COLOR."""
    return (fmt == Fmt.table and out is None and sys.stdout.isatty()
            and not os.environ.get("NO_COLOR"))


def _build(**kw: Any) -> Any:
    from formfit.api import _settings

    as_of = kw.pop("as_of", None)
    if as_of is not None:
        from formfit.config import parse_date

        kw["as_of"] = parse_date(as_of, "--as-of")
    if kw.get("margin") is not None:
        from formfit.config import Margin

        kw["margin"] = Margin.parse(kw["margin"], "--margin")
    if kw.get("preset") is not None:
        from formfit.config import parse_preset

        kw["preset"] = parse_preset(kw["preset"], "--preset")
    if kw.get("date_format") is not None:
        from formfit.config import parse_date_format

        kw["date_format"] = parse_date_format(kw["date_format"], "--date-format")
    kw["column_map"] = tuple(kw.pop("column_map") or ())
    kw["segments"] = tuple(kw.pop("segments") or ())
    return _settings(None, **kw)


def _emit(text: str, out: Path | None, quiet: bool = False) -> None:
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as exc:  # a directory, a path under a file, a full disk, no permission
            from formfit.errors import UsageError

            raise UsageError(f"cannot write --out {out}: {exc.strerror or exc}.",
                             "Give --out the path of a file in a writable directory with free "
                             "space.") from None
        if not quiet:
            _stderr().print(_term(f"wrote {out}"), markup=False, soft_wrap=True)


def _term(text: str) -> str:
    """A line for stderr: the terminal escaping rule (no control characters, no '::')."""
    from formfit.renderers.escape import terminal_block

    return terminal_block(text)


def _fail(exc: FormfitError) -> typer.Exit:
    err = _stderr()
    from formfit.renderers.escape import terminal_block

    err.print(terminal_block(f"Error: {exc.message}"), markup=False, soft_wrap=True)
    if exc.hint:
        err.print(terminal_block(f"Hint: {exc.hint}"), markup=False, soft_wrap=True)
    return typer.Exit(EXIT_ERROR)


def _out_of_memory() -> FormfitError:
    """The named error for a run that exhausted memory (inputs under the caps can still be
    more than a small machine holds: about six times a CSV's size while it is read)."""
    from formfit.errors import InputError

    return InputError(
        "formfit ran out of memory on these inputs.",
        "Use a machine with more memory, or read the inputs where they live with --engine; a "
        "lower input cap (--max-input-mb) refuses oversized files by name before reading them.")


def _require_submissions(s: Any) -> None:
    if s.submissions is None:
        from formfit.errors import UsageError

        raise UsageError("no submissions file given.",
                         "Pass --submissions FILE (or `submissions:` in the config file); "
                         "try `formfit demo` to see a full run.")


@app.command(epilog=(
    "Examples:\n\n\b\n"
    "  formfit analyze -s subs.csv --views views.csv --outcomes deals.csv -f forms.yaml \\\n"
    "                  --segment device --segment channel\n"
    "  formfit analyze ... -o report.html        (format from the extension)\n"
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
    preset: PresetOpt = None,
    date_format: DateFormatOpt = None,
    sequential: SequentialOpt = False,
    max_input_mb: MaxInputOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Estimate every field's friction, qualification and net effect, and recommend."""
    try:
        chosen = _format(fmt, out)
        s = _build(submissions=submissions, views=views, outcomes=outcomes, forms=forms,
                   config=config, column_map=column_map, segments=segments, as_of=as_of,
                   maturity_days=maturity_days, margin=margin, engine=engine, preset=preset,
                   date_format=date_format, progress=_progress(quiet),
                   sequential=sequential or None, max_input_mb=max_input_mb)
        _require_submissions(s)
        from formfit.api import analyze_settings
        from formfit.renderers import render

        result = analyze_settings(s)
        _emit(render(result, chosen.value, width=_width(out), color=_color(chosen, out)),
              out, quiet)
    except FormfitError as exc:
        raise _fail(exc) from None
    except MemoryError:
        raise _fail(_out_of_memory()) from None
    raise typer.Exit(EXIT_OK)


def _width(out: Path | None) -> int:
    """A report file is 100 columns wide; a terminal or pipe follows COLUMNS / the terminal."""
    if out is not None:
        return 100
    import shutil

    return max(40, shutil.get_terminal_size((100, 24)).columns)


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
    preset: PresetOpt = None,
    date_format: DateFormatOpt = None,
    max_input_mb: MaxInputOpt = None,
    fmt: Annotated[ValidateFmt, typer.Option("--format", help="table or json.")]
    = ValidateFmt.table,
    quiet: QuietOpt = False,
) -> None:
    """Load and check every input; print where every row went. Exit 0 if usable, 2 if not."""
    try:
        s = _build(submissions=submissions, views=views, outcomes=outcomes, forms=forms,
                   config=config, column_map=column_map, segments=segments, as_of=as_of,
                   maturity_days=maturity_days, margin=margin, engine=engine, preset=preset,
                   date_format=date_format, max_input_mb=max_input_mb,
                   progress=_progress(quiet))
        _require_submissions(s)
        from formfit.api import validate_settings
        from formfit.renderers.validation import render_validation

        result = validate_settings(s)
        _emit(render_validation(result, fmt.value, width=_width(None)), None)
    except FormfitError as exc:
        raise _fail(exc) from None
    except MemoryError:
        raise _fail(_out_of_memory()) from None
    raise typer.Exit(EXIT_OK)


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the synthetic world to.")],
    seed: Annotated[int, typer.Option("--seed", min=0,
                                      help="Random seed: same seed, same bytes.")] = 0,
    views: Annotated[int | None, typer.Option(
        "--views", help="Approximate number of form views to simulate, at least 1,000 "
        "(default 60,000; with --design 200,000).")] = None,
    fmt: Annotated[list[SimFmt] | None, typer.Option(
        "--format", metavar="csv|parquet", help="Table files: csv (default) or parquet; "
        "repeat for both. Views come row level (views.*) and as daily counts (views_daily.*).")]
    = None,
    design: Annotated[Path | None, typer.Option(
        "--design", metavar="DESIGN", help="A forms.yaml written by `formfit design`: "
        "simulate running that experiment (its arms are the forms; daily view counts).")]
    = None,
) -> None:
    """Write a synthetic world with planted field effects, and truth.json with the answers."""
    try:
        if design is not None:
            from formfit.simulation.designed import write_design_world

            names = write_design_world(out, design, seed=seed, views=views)
            _stderr().print(f"wrote {len(names)} files to {out}", markup=False)
            raise typer.Exit(EXIT_OK)
        from formfit.api import simulate as run

        formats = [f.value for f in fmt] if fmt else ["csv"]
        info = run(out, seed=seed, views=views, formats=formats)
        _stderr().print(_term(f"wrote {len(info.get('files', []))} files to {out}"), markup=False)
    except FormfitError as exc:
        raise _fail(exc) from None
    raise typer.Exit(EXIT_OK)


@app.command(epilog=(
    "Examples:\n\n\b\n"
    "  formfit analyze ... --format json --out evidence.json\n"
    "  formfit design --evidence evidence.json --out design/\n"
    "  formfit design --evidence evidence.json --fields phone,timeline --weeks 8 --out design/"))
def design(
    evidence: Annotated[Path, typer.Option(
        "--evidence", metavar="RESULT.json",
        help="The JSON of `formfit analyze --format json`: verdicts, traffic and margins.")],
    fields: Annotated[str | None, typer.Option(
        "--fields", metavar="F,G,...", help="Fields to vary (1 to 10). Default: every `test` "
        "field and every field without evidence, unless protected.")] = None,
    weeks: Annotated[int | None, typer.Option(
        "--weeks", metavar="N", help="Planned runtime in weeks. Default: the weeks that detect "
        "every field's margin, or 12 when that exceeds a year.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", metavar="DIR", help="Write forms.yaml (the config to deploy), design.json and "
        "design.md into this directory.")] = None,
) -> None:
    """Design one fractional factorial experiment that measures the unmeasured fields."""
    try:
        from formfit.design import design_from_file
        from formfit.renderers.design import render_design

        names = [x.strip() for x in fields.split(",") if x.strip()] if fields else None
        result = design_from_file(evidence, names, weeks)
        if out is not None:
            from formfit.outdir import prepare_out

            # --out names a directory: a file there is the user's mix-up, said as such
            # (not "cannot write FILE/forms.yaml: File exists")
            prepare_out(out, "forms.yaml, design.json and design.md")
            _emit(result.forms_config, out / "forms.yaml")
            _emit(render_design(result, "json"), out / "design.json")
            _emit(render_design(result, "markdown"), out / "design.md")
        _emit(render_design(result, "text", width=_width(None)), None)
        if out is None:
            _stderr().print("Pass --out DIR to write the forms config to deploy (forms.yaml), "
                            "design.json and design.md.", markup=False, soft_wrap=True)
    except FormfitError as exc:
        raise _fail(exc) from None
    raise typer.Exit(EXIT_OK)


@app.command()
def demo(
    fmt: FormatOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Run analyze on the bundled sample data (a simulated world with known answers)."""
    try:
        chosen = _format(fmt, out)
        from dataclasses import replace

        from formfit.api import analyze_settings
        from formfit.renderers import render
        from formfit.sample import sample_settings

        result = analyze_settings(replace(sample_settings(), progress=_progress(quiet)))
        _emit(render(result, chosen.value, width=_width(out), color=_color(chosen, out)),
              out, quiet)
    except FormfitError as exc:
        raise _fail(exc) from None
    if not quiet:
        # one command per line, never wrapped inside a command (soft_wrap: the terminal may
        # fold a long line, but no line break is ever inserted into what is to be pasted)
        _stderr().print(
            "Next: open the report in a browser:\n"
            "  formfit demo --out report.html\n"
            "then run it on your own exports:\n"
            "  formfit analyze --submissions YOUR_EXPORT.csv --views views.csv "
            "--outcomes deals.csv --forms forms.yaml", markup=False, soft_wrap=True)
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
        "--strict", help="Stale or future-dated evidence, evidence for other forms or of "
        "another schema, and a failed sample-ratio check become errors (exit 1), not "
        "warnings.")] = False,
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
        _stderr().print(_term(f"{path}: not committed yet, nothing to compare with."), markup=False)
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
    from formfit.memory import share_heap_with_arrow

    share_heap_with_arrow()
    if not sys.warnoptions:  # PYTHONWARNINGS / -W still show everything, for debugging
        import warnings

        # formfit itself never warns through Python: what matters is in its messages and
        # notices. A library's warning (with its site-packages path, or pointing at the line
        # of formfit that called it) tells a user nothing they can act on
        warnings.simplefilter("ignore")
    try:
        app()
    except FormfitError as exc:  # raised outside a command (e.g. option parsing hooks)
        _fail(exc)
        sys.exit(EXIT_ERROR)


