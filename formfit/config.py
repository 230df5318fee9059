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
      all_closed: true  # an `is_won` export without `is_closed` holds closed deals only
    as_of: 2025-12-31
    maturity_days: 90
    margin: "2%"
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from formfit.cells.url import parse_engine, parse_input
from formfit.errors import InputError, UsageError

DEFAULT_MARGIN = "2%"


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
    margin: str = DEFAULT_MARGIN
    # show a progress bar on long loads (the CLI turns it on for terminals)
    progress: bool = False
    # where table:/sql: inputs are read and grouped: an ibis URL, or (library) an ibis backend
    # the caller already holds; None: the embedded DuckDB
    engine: str | Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings with file paths reduced to their names (no local paths leak)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "progress":
                continue
            if f.name in ("submissions", "views", "outcomes") and v is not None:
                v = parse_input(v, f.name).label
            elif f.name == "engine" and v is not None:
                v = (parse_engine(v).masked if isinstance(v, str)
                     else f"{getattr(v, 'name', 'ibis')} backend")
            elif isinstance(v, Path):
                v = v.name
            elif isinstance(v, date):
                v = v.isoformat()
            elif isinstance(v, tuple):
                v = [list(x) if isinstance(x, tuple) else x for x in v]
            out[f.name] = v
        return out


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
    return tuple(out)


def parse_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        raise UsageError(f"{what} {text!r} is not a date.", "Give it as YYYY-MM-DD.") from None


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise InputError(f"config file {path} does not exist.", "Check the path given to --config.")
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
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
             "maturity_days", "margin", "submissions", "views", "forms", "engine"}
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
    return tuple((str(k).strip(), str(v).strip()) for k, v in value.items())


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def build_settings(*, config: Path | None = None, **flags: Any) -> Settings:
    """Settings from an optional config file, overridden by flags that are not None/empty."""
    base = Settings(config=config)
    if config is not None:
        data = _read_config_file(config)
        outcomes = data.get("outcomes") or {}
        stages = tuple((k.casefold(), v.casefold())
                       for k, v in _pairs(data.get("stages"), "stages", config))
        bad = sorted({v for _, v in stages} - {"won", "lost", "open"})
        if bad:
            raise InputError(
                f"config file {config.name}: stage map values {bad} are not won, lost or open.",
                "Map every CRM stage to one of won, lost, open.",
            )
        base = replace(
            base,
            column_map=_pairs(data.get("columns"), "columns", config),
            stage_map=stages,
            segments=_strings(data.get("segments")),
            ignore_columns=_strings(data.get("ignore")),
            constants=_pairs(data.get("constants"), "constants", config),
            all_closed=(bool(outcomes.get("all_closed", False))
                        if isinstance(outcomes, dict) else False),
            as_of=parse_date(str(data["as_of"]), "as_of") if data.get("as_of") else None,
            maturity_days=int(data["maturity_days"]) if data.get("maturity_days") else None,
            margin=str(data.get("margin", DEFAULT_MARGIN)),
            engine=str(data["engine"]) if data.get("engine") else None,
        )
    updates: dict[str, Any] = {}
    for key, value in flags.items():
        if value is None or value == () or value == []:
            continue
        if key == "column_map":
            value = tuple(base.column_map) + tuple(value)  # flags after file: flags win on clash
        if key == "segments":
            value = tuple(dict.fromkeys(tuple(base.segments) + tuple(value)))
        updates[key] = value
    settings = replace(base, **updates)
    if isinstance(settings.engine, str):
        parse_engine(settings.engine)  # a bad URL fails now, before any input is read
    for role in ("submissions", "views", "outcomes"):
        value = getattr(settings, role)
        if value is not None:
            parse_input(value, role)
    if settings.maturity_days is not None and settings.maturity_days <= 0:
        raise UsageError(f"--maturity-days {settings.maturity_days} must be positive.",
                         "Give the number of days a lead needs to be judged, e.g. 90.")
    return settings


