"""The library API: each function is one step of the one-way flow, callable from Python.

files or DataFrames -> io.load_inputs -> analysis.run_analysis (cells, models, decide) ->
results -> render. Errors are :class:`~formfit.errors.FormfitError` subclasses whose messages
name this API's parameters (``columns=``, ``as_of``), not the command line's flags.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from formfit.config import Margin, Settings, build_settings, mapped_twice, parse_map
from formfit.errors import FormfitError, UsageError, in_library_words
from formfit.safe_yaml import date_problem

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from formfit.inputs import Inputs
    from formfit.results import AnalysisResult, ValidationResult

PathLike: TypeAlias = "str | Path"
#: An input: a file path, a pandas DataFrame or an Arrow table.
Data: TypeAlias = "str | Path | pd.DataFrame | pa.Table"
DateLike: TypeAlias = "str | date | datetime"
ROLES = ("submissions", "views", "outcomes")


@contextmanager
def _library_errors() -> Iterator[None]:
    """Re-raise FormfitErrors in the library's words (parameters, not flags)."""
    try:
        yield
    except FormfitError as exc:
        raise in_library_words(exc) from None


def _not_given(value: object) -> bool:
    """None, NaN, pandas.NaT / pandas.NA, numpy.datetime64('NaT'): a missing value, as a
    pandas column holds one, means the option was not given."""
    if value is None:
        return True
    if isinstance(value, str) or (isinstance(value, date) and not isinstance(value, datetime)):
        return False
    try:
        return bool(value != value)  # NaN and NaT are the values unequal to themselves
    except (TypeError, ValueError):  # pandas.NA has no truth value
        return type(value).__name__ == "NAType"


def _as_of(value: DateLike | None) -> date | None:
    """``as_of`` as a date; a missing value (None, NaT, NaN) is not given: the latest date in
    the inputs. pandas.NaT is a datetime whose .date() is NaT again, which read as a date no
    deal reaches ("as_of": "NaT", every win dropped)."""
    if _not_given(value):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, (str, datetime)):  # 20250101 read as a date, 3 refused
        raise UsageError(f"as_of {value!r} is of type {type(value).__name__}, not a date.",
                         "Give it as 'YYYY-MM-DD' or a datetime.date.")
    if isinstance(value, datetime):  # includes pandas.Timestamp
        return value.date()
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        why = date_problem(str(value))  # "February 2025 has 28 days"
        raise UsageError(f"as_of {value!r} is not a date{': ' + why if why else ''}.",
                         "Give it as 'YYYY-MM-DD' or a datetime.date.") from None


def _inputs(**given: Any) -> tuple[dict[str, Path | str | None], tuple[tuple[str, Any], ...]]:
    """Split inputs into file paths and in-memory tables."""
    from formfit.io.frames import frame_kind

    paths: dict[str, Path | str | None] = {}
    frames = []
    for role, value in given.items():
        if value is None:
            paths[role] = None
        elif isinstance(value, Path) or (isinstance(value, str) and role not in ROLES):
            paths[role] = Path(value)
        elif isinstance(value, str):  # a path, or table:NAME / sql:SELECT ... with an engine
            paths[role] = value
        elif role in ROLES and frame_kind(value) is not None:
            paths[role] = None
            frames.append((role, value))
        else:
            kinds = "a file path, a pandas DataFrame or an Arrow table" if role in ROLES \
                else "a file path"
            raise UsageError(f"{role} is a {type(value).__name__}, not {kinds}.",
                             f"Pass {role} as {kinds}.")
    return paths, tuple(frames)


def make_settings(
    submissions: Data | None = None,
    views: Data | None = None,
    outcomes: Data | None = None,
    forms: PathLike | None = None,
    *,
    config: PathLike | None = None,
    columns: Mapping[str, str] | Sequence[str] | None = None,
    segments: Sequence[str] | str = (),
    ignore: Sequence[str] | str = (),
    constants: Mapping[str, str] | None = None,
    margin: str | float | Margin | None = None,
    maturity_days: int | None = None,
    as_of: DateLike | None = None,
    engine: str | Any = None,
    preset: str | None = None,
    date_format: str | None = None,
    progress: bool = False,
    sequential: bool = False,
    max_input_mb: int | None = None,
) -> Settings:
    """Parse every option into :class:`~formfit.config.Settings` (a config file first, then
    the arguments). Bad values raise here, before any input is read."""
    paths, frames = _inputs(submissions=submissions, views=views, outcomes=outcomes,
                            forms=forms)
    if isinstance(columns, Mapping):
        column_map = _text_pairs(columns, "columns", values=(str,))
    else:
        column_map = parse_map(list(columns or ()))
    if maturity_days is not None and (isinstance(maturity_days, bool)
                                      or not isinstance(maturity_days, int)):
        raise UsageError(f"maturity_days {maturity_days!r} is not a whole number of days.",
                         "Give it as an int, e.g. 90.")
    _check_engine(engine)
    flags: dict[str, Any] = dict(
        column_map=column_map,
        segments=_names(segments, "segments"), ignore_columns=_names(ignore, "ignore"),
        constants=_text_pairs(constants or {}, "constants", values=(str, int, float)),
        margin=None if margin is None else Margin.parse(str(margin) if isinstance(
            margin, (int, float)) else margin),
        maturity_days=maturity_days, as_of=_as_of(as_of), engine=engine, preset=preset,
        date_format=date_format, progress=progress or None, sequential=sequential or None,
        max_input_mb=max_input_mb,
        **paths)
    s = build_settings(config=Path(config) if config is not None else None, **flags)
    return replace(s, frames=frames) if frames else s


def _names(given: object, what: str) -> tuple[str, ...]:
    """``segments`` / ``ignore``: a column name or a list of them (not 5, not [5])."""
    if isinstance(given, str):
        return (given,)
    if isinstance(given, Iterable) and not isinstance(given, bytes | Mapping):
        names = tuple(given)  # a list, a tuple, a pandas Index
        if all(isinstance(n, str) for n in names):
            return names
    raise UsageError(f"{what} is {str(given)[:40]!r} (of type {type(given).__name__}), not a "
                     "column name or a list of them.",
                     f"Pass {what} as a string or a list of strings, e.g. "
                     f"{what}=['device', 'channel'].")


def _text_pairs(given: object, what: str, *, values: tuple[type, ...]
                ) -> tuple[tuple[str, str], ...]:
    """A mapping of names to text (``columns``: export name -> contract name; ``constants``:
    column -> value) as pairs; anything else is a usage error, not a rename to '5'."""
    if not isinstance(given, Mapping):
        raise UsageError(f"{what} is of type {type(given).__name__}, not a mapping.",
                         f"Pass {what} as a dict, e.g. {{'Form ID': 'form_id'}}.")
    for k, v in given.items():
        if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, values):
            raise UsageError(f"{what}: {k!r}: {v!r} is not a name and its text.",
                             f"Give every key and value of {what} as a string.")
    pairs = tuple((k, str(v)) for k, v in given.items())
    twice = mapped_twice(pairs) if what == "columns" else None
    if twice is not None:
        (old1, new1), (old2, new2) = twice
        raise UsageError(f"columns: {old1!r}: {new1!r} and {old2!r}: {new2!r} map one column "
                         "twice (names are matched ignoring case and surrounding spaces).",
                         "Give one entry per export column.")
    return pairs


def _check_engine(engine: object) -> None:
    """``engine``: None, a URL or an ibis backend (a connection the caller holds)."""
    if engine is None or isinstance(engine, str):
        return
    from formfit.cells.engine import is_backend

    if not is_backend(engine):
        raise UsageError(f"engine is of type {type(engine).__name__}, not a URL or an ibis "
                         "backend.",
                         "Pass engine='duckdb:///path.db' (or another URL), or a connection "
                         "from ibis.connect(...).")


def _settings(settings: Settings | None, **kwargs: Any) -> Settings:
    """Settings as given, or parsed from keyword arguments (the CLI's and older callers')."""
    if settings is not None:
        return _given_settings(settings)
    if "column_map" in kwargs:
        kwargs["columns"] = kwargs.pop("column_map")
    return make_settings(**kwargs)


def _given_settings(settings: object) -> Settings:
    """``settings=``: a :class:`~formfit.config.Settings`, or a usage error (not an
    AttributeError from deep inside the loaders)."""
    if not isinstance(settings, Settings):
        raise UsageError(f"settings is of type {type(settings).__name__}, not formfit "
                         "Settings.",
                         "Pass the Settings that formfit.api.make_settings(...) returns, or leave "
                         "settings out and give the options as arguments.")
    return settings


def load_inputs(submissions: Data | None = None, *, settings: Settings | None = None,
                **kwargs: Any) -> Inputs:
    """Read, map, validate and account for every input. Raises FormfitError on bad input.

    Takes the same arguments as :func:`analyze`."""
    from formfit.io import load_inputs as _load

    with _library_errors():
        return _load(_settings(settings, submissions=submissions, **kwargs))


def validate_settings(settings: Settings) -> ValidationResult:
    """The accounting for parsed settings (the CLI's entry; errors in command-line words)."""
    from formfit.analysis import validation_result
    from formfit.io import load_inputs as _load

    return validation_result(_load(settings), settings)


def analyze_settings(settings: Settings) -> AnalysisResult:
    """The whole job for parsed settings (the CLI's entry; errors in command-line words)."""
    from formfit.analysis import run_analysis
    from formfit.io import load_inputs as _load
    from formfit.models.threads import single_threaded_blas
    from formfit.progress import tracking

    with tracking(settings.progress):
        inputs = _load(settings)
        with single_threaded_blas():
            return run_analysis(inputs, settings)


def validate(submissions: Data | None = None, *, settings: Settings | None = None,
             **kwargs: Any) -> ValidationResult:
    """Load everything and return the accounting and warnings, without fitting models.

    Takes the same arguments as :func:`analyze`."""
    with _library_errors():
        return validate_settings(_settings(settings, submissions=submissions, **kwargs))


def analyze(
    submissions: Data | None = None,
    views: Data | None = None,
    outcomes: Data | None = None,
    forms: PathLike | None = None,
    *,
    config: PathLike | None = None,
    columns: Mapping[str, str] | Sequence[str] | None = None,
    segments: Sequence[str] | str = (),
    ignore: Sequence[str] | str = (),
    constants: Mapping[str, str] | None = None,
    margin: str | float | Margin | None = None,
    maturity_days: int | None = None,
    as_of: DateLike | None = None,
    engine: str | Any = None,
    preset: str | None = None,
    date_format: str | None = None,
    progress: bool = False,
    sequential: bool = False,
    max_input_mb: int | None = None,
    settings: Settings | None = None,
) -> AnalysisResult:
    """Estimate every field's friction, qualification and net effect on won deals, and
    recommend drop / keep / make_optional / test / protected.

    Args:
        submissions: one row per submitted form (needs ``lead_id`` or ``email``, and
            ``form_id``): a file path (CSV, TSV, Parquet, XLSX, JSON Lines; ``.gz`` ok), a
            pandas DataFrame or an Arrow table. Required.
        views: form views, one row per view (``form_id``, ``viewed_at``) or daily counts
            (``form_id``, ``date``, ``views``, ``submissions``); needed for conversion effects.
        outcomes: CRM deals (``lead_id`` or ``email``, and ``outcome`` won/lost/open, or
            ``is_won``/``is_closed``, or ``stage`` with ``stages:`` in the config); needed for
            win effects.
        forms: path of the forms configuration (YAML/JSON). Without it, which fields a form
            shows is inferred from the submissions.
        config: path of a settings file (YAML/JSON); the arguments here override it.
        columns: renames applied to every input, export name -> contract name, e.g.
            ``{"Prospect ID": "lead_id"}`` (or ``["Prospect ID=lead_id"]``).
        segments: columns that shift conversion (``device``, ``channel``); models adjust.
        ignore: submission columns that are not form fields.
        constants: columns to add to submissions, e.g. ``{"form_id": "contact"}``.
        margin: the largest loss of won deals accepted to drop a field: ``"2%"`` of today's
            won deals per 1,000 views (the default), or an absolute number such as ``0.5``.
        maturity_days: h: leads are judged on deals won within h days; younger leads are held
            out. Default: derived from the observed days to a win.
        as_of: the date the exports were taken (``"YYYY-MM-DD"`` or a date). Default (also
            for a missing value: ``None``, ``pd.NaT``, NaN): the latest date in the inputs.
        engine: where ``table:NAME`` / ``sql:SELECT ...`` inputs are read and grouped: an ibis
            URL (``duckdb:///marketing.db``, ``postgres://...``) or an ibis backend you hold.
        preset: a vendor export's conventions: ``"hubspot"``, ``"salesforce"``,
            ``"marketo"`` or ``"ga4"`` (column names, stage names, report footers).
        date_format: strptime format for date columns that are not ISO 8601 and whose day and
            month order cannot be told from the data, e.g. ``"%d/%m/%Y"``.
        progress: show progress on stderr while loading.
        sequential: watch every randomized experiment with always-valid intervals
            (confidence sequences), as for experiments with ``started:`` in the forms file.
        max_input_mb: the most megabytes formfit holds for one input file (default 512; see
            "Input limits" in the README).
        settings: ready-made :class:`~formfit.config.Settings`; the other arguments are then
            ignored.

    Returns:
        An :class:`~formfit.results.AnalysisResult`: ``result.to_frame()``,
        ``result["phone"]``, ``result.summary()``, ``result.to_dict()``.

    Raises:
        FormfitError: (``UsageError``, ``InputError``) bad arguments or bad input; the message
            names the input, row or column and the fix.
    """
    with _library_errors():
        s = _given_settings(settings) if settings is not None else make_settings(
            submissions, views, outcomes, forms, config=config, columns=columns,
            segments=segments, ignore=ignore, constants=constants, margin=margin,
            maturity_days=maturity_days, as_of=as_of, engine=engine, preset=preset,
            date_format=date_format, progress=progress, sequential=sequential,
            max_input_mb=max_input_mb)
        return analyze_settings(s)


def simulate(out: PathLike, *, seed: int = 0, views: int | None = None,
             formats: Sequence[str] = ("csv",)) -> dict[str, Any]:
    """Write a synthetic world (inputs in the contract's formats plus truth.json) to ``out``;
    ``formats``: ``csv``, ``parquet`` or both."""
    from formfit.simulation import write_world

    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"seed {seed!r} is not a whole number from 0.",
                         "Give seed as an int, e.g. 0 or 42.")
    return write_world(Path(out), seed=seed, views=views, formats=formats)


def render(result: AnalysisResult, fmt: str = "json") -> str:
    """Render a result as table, json, markdown or html text."""
    from formfit.renderers import render as _render
    from formfit.results import AnalysisResult as Result

    if not isinstance(result, Result):
        raise UsageError(f"render() takes the result of formfit.analyze(), not a "
                         f"{type(result).__name__}.",
                         "Pass the AnalysisResult (or AnalysisResult.from_dict(json_dict)).")
    with _library_errors():
        return _render(result, fmt)
