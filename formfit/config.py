"""Settings: one frozen dataclass, filled from a config file and then from flags (flags win).

A config file (YAML or JSON) may hold::

    columns:            # rename columns in every input: export name -> contract name
      Prospect ID: lead_id
      Lead Origin: form_id
    stages:             # CRM stage -> won / lost / open, for outcomes with a `stage` column
      Closed Won: won
      Closed Lost: lost
    segments: [device, channel]
    ignore: [Lead Number, TotalVisits]      # submission columns that are not form fields
    constants:          # columns to add to submissions when the export lacks them
      form_id: crm
    outcomes:
      all_closed: true  # an `is_won` export without `is_closed` or a stage map holds no open deal
    as_of: 2025-12-31
    maturity_days: 90
    margin: "2%"
    preset: hubspot     # a vendor export's column names and stages (hubspot, salesforce, ...)
    date_format: "%d/%m/%Y"   # for date columns whose day and month order cannot be told
    limits: {max_input_mb: 8192, max_cell_mb: 64}   # input caps (formfit.limits)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml

from formfit.cells.url import parse_engine, parse_input
from formfit.errors import InputError, UsageError
from formfit.limits import (
    DEFAULT_INPUT_MB,
    MOST,
    Limits,
    parse_limits,
    positive,
    refuse_special,
    using,
    with_caps,
)
from formfit.safe_yaml import ANY, KEYS, YAMLValueError, date_problem, load_json, load_yaml

# Where a config file names columns, CRM stages or cell values: YAML must keep them as written
# (a column `on` is not true, a constant form_id 012 is not the number 10).
NAMES = {
    ("columns", KEYS): "column name", ("columns", ANY): "column name",
    ("stages", KEYS): "CRM stage",
    ("segments",): "column name", ("segments", ANY): "column name",
    ("ignore",): "column name", ("ignore", ANY): "column name",
    ("constants", KEYS): "column name", ("constants", ANY): "constant value",
}
NULLABLE = (("segments",), ("ignore",))  # `segments:` left blank: none
_MARGIN = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(%?)\s*$")


@dataclass(frozen=True)
class Margin:
    """The non-inferiority margin for drop decisions, parsed once from ``"2%"`` or ``"0.5"``.

    ``relative``: a share of the field's baseline (won deals per 1,000 views today on the forms
    that show it); ``absolute``: won deals per 1,000 views.
    """

    kind: Literal["relative", "absolute"]
    value: float  # a share (0.02) when relative; wins per 1,000 views when absolute

    @classmethod
    def parse(cls, text: str | float | Margin, what: str = "margin") -> Margin:
        """``"2%"`` -> relative 0.02; ``"0.5"`` -> absolute 0.5. ``what`` names the setting in
        the error (``--margin`` on the command line, ``margin`` in Python)."""
        if isinstance(text, Margin):
            return text
        match = _MARGIN.match(str(text))
        hint = (f"Give {what} as a percentage of today's won deals per 1,000 views, e.g. '2%', "
                "or as an absolute number of won deals per 1,000 views, e.g. '0.5'.")
        if not match:
            raise UsageError(f"{what} {str(text)!r} is not a margin.", hint)
        value = float(match.group(1))
        if match.group(2):
            if not 0 < value <= 100:
                raise UsageError(f"{what} {text!r} must be above 0% and at most 100%.", hint)
            return cls("relative", value / 100.0)
        if value <= 0:
            raise UsageError(f"{what} {text!r} must be above 0.", hint)
        return cls("absolute", value)

    def per_1k(self, baseline_wins_per_1k: float | None) -> float | None:
        """The margin in won deals per 1,000 views; None when relative and the baseline is
        unknown or zero."""
        if self.kind == "absolute":
            return self.value
        if baseline_wins_per_1k is None or not baseline_wins_per_1k > 0:
            return None
        return self.value * baseline_wins_per_1k

    def __str__(self) -> str:
        if self.kind == "relative":
            return f"{self.value * 100:g}%"
        return f"{self.value:g}"


# The one place the default margin is written.
DEFAULT_MARGIN = Margin("relative", 0.02)


@dataclass(frozen=True)
class Settings:
    """Everything that shapes a result. Reported verbatim in the JSON ``settings``."""

    # inputs: a file path, or with an engine ``table:NAME`` / ``sql:SELECT ...``
    submissions: Path | str | None = None
    views: Path | str | None = None
    outcomes: Path | str | None = None
    forms: Path | None = None
    config: Path | None = None
    # export column name -> contract name, applied to every input (case-insensitive, trimmed)
    column_map: tuple[tuple[str, str], ...] = ()
    # CRM stage (case-folded) -> "won" | "lost" | "open"
    stage_map: tuple[tuple[str, str], ...] = ()
    # columns that split views and submissions into segments (device, channel, ...)
    segments: tuple[str, ...] = ()
    # submission columns that are neither keys nor form fields
    ignore_columns: tuple[str, ...] = ()
    # columns added to submissions with a constant value (column -> value)
    constants: tuple[tuple[str, str], ...] = ()
    # outcomes with is_won but no is_closed: every deal is closed (only if the user says so)
    all_closed: bool = False
    # the date the exports were taken; None: the latest date in the inputs
    as_of: date | None = None
    # h: a lead is judged on deals won within h days of submission; None: derived from data
    maturity_days: int | None = None
    # non-inferiority margin for drop decisions: "2%" (relative) or "0.5" (wins per 1k views)
    margin: Margin = DEFAULT_MARGIN
    # show a progress bar on long loads (the CLI turns it on for terminals)
    progress: bool = False
    # where table:/sql: inputs are read and grouped: an ibis URL, or (library) an ibis backend
    # the caller already holds; None: the embedded DuckDB
    engine: str | Any = None
    # a vendor export preset (hubspot, salesforce, marketo, ga4): column names, stages
    preset: str | None = None
    # strptime format of non-ISO date columns (e.g. "%d/%m/%Y"); None: detected per column
    date_format: str | None = None
    # watch every randomized experiment with confidence sequences (analyze --sequential);
    # experiments with `started:` in the forms file are watched whatever this says
    sequential: bool = False
    # inputs given in memory (library API): role -> pandas DataFrame or Arrow table
    frames: tuple[tuple[str, Any], ...] = field(default=(), compare=False, repr=False)
    # input caps (--max-input-mb, `limits:`); None: the defaults. They refuse an input or not,
    # never change a result, so the JSON settings leave them out
    limits: Limits | None = None

    def frame(self, role: str) -> Any | None:
        """The in-memory table given for ``role``, or None."""
        return next((obj for r, obj in self.frames if r == role), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings with file paths reduced to their names (no local paths leak)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("progress", "frames", "limits"):
                continue
            if f.name in ("submissions", "views", "outcomes") and v is not None:
                v = parse_input(v, f.name).label
            elif f.name == "engine" and v is not None:
                v = (parse_engine(v).masked if isinstance(v, str)
                     else f"{getattr(v, 'name', 'ibis')} backend")
            elif isinstance(v, Path):
                v = v.name
            elif isinstance(v, Margin):
                v = str(v)
            elif isinstance(v, date):
                v = v.isoformat()
            elif isinstance(v, tuple):
                v = [list(x) if isinstance(x, tuple) else x for x in v]
            out[f.name] = v
        for role, obj in self.frames:  # name what was given, never its contents
            out[role] = f"({type(obj).__name__})"
        return out


PRESETS = ("hubspot", "salesforce", "marketo", "ga4")


def parse_preset(name: str, what: str = "preset") -> str:
    """A known vendor preset name (case-insensitive)."""
    key = str(name).strip().casefold()
    if key not in PRESETS:
        raise UsageError(f"{what} {name!r} is not a known preset.",
                         f"Use one of: {', '.join(PRESETS)}.")
    return key


def parse_date_format(fmt: str, what: str = "date_format") -> str:
    """A strptime format that reads at least a year, a month and a day, e.g. '%d/%m/%Y'."""
    text = str(fmt).strip()
    if not all(d in text for d in ("%Y", "%m", "%d")) and "%y" not in text:
        raise UsageError(f"{what} {fmt!r} is not a date format.",
                         f"Give {what} as a strptime format with %d, %m and %Y, e.g. "
                         "'%d/%m/%Y' (31/12/2025) or '%m/%d/%Y %H:%M' (12/31/2025 17:45).")
    return text


def parse_map(items: list[str] | tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Parse ``--map "Old Name=new_name"`` options."""
    out = []
    for item in items:
        if "=" not in item:
            raise UsageError(
                f"--map {item!r} has no '='.",
                'Write --map "Column In Export=contract_name", e.g. --map "Prospect ID=lead_id".',
            )
        old, new = item.rsplit("=", 1)
        if not old.strip() or not new.strip():
            raise UsageError(f"--map {item!r} has an empty side.", 'Write --map "Old=new".')
        out.append((old.strip(), new.strip()))
    pairs = tuple(out)
    twice = mapped_twice(pairs)
    if twice is not None:
        (old1, new1), (old2, new2) = twice
        raise UsageError(
            f'--map "{old1}={new1}" and --map "{old2}={new2}" map one column twice (names are '
            "matched ignoring case and surrounding spaces), so formfit cannot tell which name "
            "is meant.",
            "Give one --map per export column. To use one export column as two inputs, copy it "
            "into a second column of the export.")
    return pairs


def mapped_twice(pairs: tuple[tuple[str, str], ...]
                 ) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """The first two entries of a column map that rename one export column (matched ignoring
    case and surrounding spaces) to different names; None when there are none. The same
    rename twice is harmless."""
    seen: dict[str, tuple[str, str]] = {}
    for old, new in pairs:
        key = old.strip().casefold()
        first = seen.setdefault(key, (old, new))
        if first[1].strip().casefold() != new.strip().casefold():
            return first, (old, new)
    return None


def parse_date(text: str, what: str) -> date:
    try:
        day = date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        why = date_problem(str(text))  # "February 2025 has 28 days"
        raise UsageError(f"{what} {text!r} is not a date{': ' + why if why else ''}.",
                         "Give it as YYYY-MM-DD.") from None
    if not 1900 <= day.year <= 2199:  # the years the input readers accept (io.values)
        raise UsageError(f"{what} {text!r} is outside the years formfit reads (1900 to 2199).",
                         "Give the date the exports were taken, as YYYY-MM-DD.")
    return day


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise InputError(f"config file {path} does not exist.", "Check the path given to --config.")
    # read before any cap is known: held to the default cap, not to FORMFIT_MAX_INPUT_MB,
    # which the file itself may override (a config file is a few KB)
    with using(Limits(max_input_mb=DEFAULT_INPUT_MB)):
        refuse_special(path, "config", InputError)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # saved by an editor in the Windows code page
        text = raw.decode("cp1252", errors="replace")
    try:
        data = (load_json(text) if path.suffix.lower() == ".json"
                else load_yaml(text, NAMES, NULLABLE))
    except YAMLValueError as exc:  # well-formed, but a value cannot be used as written
        where = f" line {exc.line}" if exc.line is not None else ""
        raise InputError(f"config file {path.name}{where}: {exc.problem}", exc.hint) from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(
            f"config file {path.name}{where} is not valid YAML/JSON: {exc}",
            "Fix the syntax (indentation, colons, quotes) and run formfit validate again.",
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(
            f"config file {path.name} must be a mapping of settings, not {type(data).__name__}.",
            "Start it with keys such as `columns:` or `segments:`.",
        )
    known = {"columns", "stages", "segments", "ignore", "constants", "outcomes", "as_of",
             "maturity_days", "margin", "submissions", "views", "forms", "engine",
             "preset",
             "date_format", "limits"}
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise InputError(
            f"config file {path.name} has unknown keys: {', '.join(unknown)}.",
            f"Known keys: {', '.join(sorted(known))}.",
        )
    return data


def _pairs(value: Any, key: str, path: Path) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise InputError(f"config file {path.name}: `{key}` must be a mapping.",
                         f"Write it as `{key}:` followed by `  old: new` lines.")
    nested = next((k for k, v in value.items() if isinstance(v, (dict, list))), None)
    if nested is not None:
        raise InputError(f"config file {path.name}: `{key}` maps {str(nested)[:40]!r} to a "
                         f"{'mapping' if isinstance(value[nested], dict) else 'list'}, not a "
                         "name.", f"Write it as `{key}:` followed by `  old: new` lines.")
    return tuple((str(k).strip(), str(v).strip()) for k, v in value.items())


def _column_map(pairs: tuple[tuple[str, str], ...], path: Path) -> tuple[tuple[str, str], ...]:
    """``columns:``; two lines that rename one export column (as names are matched: ignoring
    case and surrounding spaces) to different names are an error, not the last one silently
    winning."""
    twice = mapped_twice(pairs)
    if twice is not None:
        (old1, new1), (old2, new2) = twice
        raise InputError(
            f"config file {path.name}: `columns:` maps one column twice, {old1!r}: {new1} and "
            f"{old2!r}: {new2}; names are matched ignoring case and surrounding spaces, so "
            "formfit cannot tell which name is meant.",
            f"Keep one line for that column under `columns:` in {path.name}.")
    return pairs


def _stage_map(pairs: tuple[tuple[str, str], ...], path: Path) -> tuple[tuple[str, str], ...]:
    """``stages:`` as (case-folded stage, case-folded outcome). Stages match ignoring case and
    surrounding spaces, so two lines that differ only in those name one stage: the same
    outcome twice is harmless, two different ones are an error (the last would silently win,
    a won deal counted lost)."""
    seen: dict[str, tuple[str, str]] = {}
    out = []
    for stage, outcome in pairs:
        key = stage.strip().casefold()
        if key in seen and seen[key][1].casefold() != outcome.casefold():
            first, meant = seen[key]
            raise InputError(
                f"config file {path.name}: `stages:` names one stage twice with different "
                f"outcomes, {first!r}: {meant} and {stage!r}: {outcome}; stages are matched "
                "ignoring case and surrounding spaces, so formfit cannot tell which is meant.",
                f"Keep one line for that stage under `stages:` in {path.name}, with the outcome "
                "its deals really have (won, lost or open).")
        seen.setdefault(key, (stage, outcome))
        out.append((key, outcome.casefold()))
    return tuple(dict(out).items())


def _strings(value: Any, key: str = "", path: Path | None = None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        where = f"config file {path.name}: " if path is not None else ""
        raise InputError(f"{where}`{key}` must be a name or a list of names, not "
                         f"{type(value).__name__}.", f"Write it as `{key}: [device, channel]`.")
    return tuple(str(v) for v in value)


def _inputs_from_config(data: dict[str, Any], config: Path) -> dict[str, Any]:
    """``submissions:``, ``views:``, ``outcomes:`` (when a path, not options) and ``forms:`` in
    a config file: paths relative to the config file's folder, or ``table:``/``sql:``
    references; flags win."""
    out: dict[str, Any] = {}
    for role in ("submissions", "views", "outcomes", "forms"):
        value = data.get(role)
        if value is None or value == "" or (role == "outcomes" and isinstance(value, dict)):
            continue  # `outcomes: {all_closed: true}` holds options, not a path
        if not isinstance(value, str):
            raise InputError(f"config file {config.name}: `{role}` must be a file path, not "
                             f"{type(value).__name__}.",
                             f"Write it as `{role}: exports/{role}.csv`.")
        ref = parse_input(value, role) if role != "forms" else None
        if ref is not None and ref.kind != "file":
            out[role] = value
        else:
            path = Path(value).expanduser()
            out[role] = path if path.is_absolute() else config.parent / path
    return out


def _flag(value: Any, key: str, path: Path) -> bool:
    if not isinstance(value, bool):  # bool("maybe") is True: a typo must not switch it on
        raise InputError(f"config file {path.name}: `{key}` is {str(value)[:40]!r}, not true "
                         "or false.", f"Write it as `{key.split('.')[-1]}: true`.")
    return value


def _days(value: Any, path: Path) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise InputError(f"config file {path.name}: `maturity_days` is {str(value)[:40]!r}, "
                         "not a whole number of days.", "Write it as `maturity_days: 90`.")
    return int(value)


def build_settings(*, config: Path | None = None, **flags: Any) -> Settings:
    """Settings from an optional config file, overridden by flags that are not None/empty."""
    base = Settings(config=config)
    if config is not None:
        data = _read_config_file(config)
        outcomes = data.get("outcomes") or {}
        stages = _stage_map(_pairs(data.get("stages"), "stages", config), config)
        bad = sorted({v for _, v in stages} - {"won", "lost", "open"})
        if bad:
            raise InputError(
                f"config file {config.name}: stage map values {bad} are not won, lost or open.",
                "Map every CRM stage to one of won, lost, open.",
            )
        base = replace(
            base,
            column_map=_column_map(_pairs(data.get("columns"), "columns", config), config),
            stage_map=stages,
            segments=_strings(data.get("segments"), "segments", config),
            ignore_columns=_strings(data.get("ignore"), "ignore", config),
            constants=_pairs(data.get("constants"), "constants", config),
            all_closed=_flag(outcomes.get("all_closed", False), "outcomes.all_closed", config)
            if isinstance(outcomes, dict) else False,
            as_of=parse_date(str(data["as_of"]), "as_of") if data.get("as_of") else None,
            maturity_days=_days(data.get("maturity_days"), config),
            margin=Margin.parse(data.get("margin", DEFAULT_MARGIN),
                                f"config file {config.name}: margin"),
            preset=parse_preset(data["preset"], f"config file {config.name}: preset")
            if data.get("preset") else None,
            date_format=parse_date_format(str(data["date_format"]),
                                          f"config file {config.name}: date_format")
            if data.get("date_format") else None,
            engine=str(data["engine"]) if data.get("engine") else None,
            limits=parse_limits(data["limits"], f"config file {config.name}")
            if data.get("limits") is not None else None,
            **_inputs_from_config(data, config),
        )
    updates: dict[str, Any] = {}
    for key, value in flags.items():
        if value is None or value == () or value == []:
            continue
        if key == "column_map":
            value = tuple(base.column_map) + tuple(value)  # flags after file: flags win on clash
        if key == "segments":
            value = tuple(dict.fromkeys(tuple(base.segments) + tuple(value)))
        if key == "margin":
            value = Margin.parse(value)
        if key == "preset":
            value = parse_preset(value)
        if key == "date_format":
            value = parse_date_format(value)
        if key == "max_input_mb":  # a flag: raises one cap of the config's limits
            key, value = "limits", with_caps(base.limits,
                                             max_input_mb=positive(value, "--max-input-mb",
                                                                   MOST["max_input_mb"]))
        updates[key] = value
    settings = replace(base, **updates)
    if isinstance(settings.engine, str):
        parse_engine(settings.engine)  # a bad URL fails now, before any input is read
    for role in ("submissions", "views", "outcomes"):
        value = getattr(settings, role)
        if value is not None:
            parse_input(value, role)
    _check_segments(settings.segments)
    if settings.maturity_days is not None and settings.maturity_days <= 0:
        raise UsageError(f"--maturity-days {settings.maturity_days} must be positive.",
                         "Give the number of days a lead needs to be judged, e.g. 90.")
    return settings


def _check_segments(segments: tuple[str, ...]) -> None:
    """A segment splits views and submissions (device, channel); a column the contract gives
    a meaning (form_id, date, views, ...) cannot also be one."""
    from formfit.io.columns import CONTRACT_NAMES, fold

    reserved = {fold(n): n for n in CONTRACT_NAMES}
    for seg in segments:
        if fold(seg) in reserved:
            raise UsageError(
                f"--segment {seg}: {reserved[fold(seg)]} is one of formfit's own columns "
                "(the form, the date, the counts, the lead key, the outcome...), not a segment.",
                "Name a column that splits views and submissions, such as device or channel; "
                "remove it from --segment (or from `segments:` in the config file).")
