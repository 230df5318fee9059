"""The forms file (YAML or JSON) as a :class:`FormsConfig`, or one inferred from submissions.

The schema is the contract's::

    version: 1
    fields:   {email: {protected: "reason"}, phone: {owner: sales}}
    forms:
      demo-a: {experiment: demo, traffic: 0.5, started: 2026-11-02, fields: [...], optional: [...]}
      pricing:
        versions: [{since: 2025-01-01, fields: [...], optional: [...]}, ...]
    experiments:   # optional; written by `formfit design`
      demo: {started: 2026-11-02, n_star: 120000, fields: [phone], planned_days: 56, design: {...}}

Schema errors name the form and the key, so that the fix is obvious.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from formfit.errors import InputError
from formfit.inputs import ExperimentSpec, FieldSpec, FormsConfig, FormSpec, FormVersion
from formfit.limits import refuse_special
from formfit.safe_yaml import ANY, KEYS, YAMLValueError, date_problem, load_json, load_yaml

FORM_KEYS = ("experiment", "traffic", "started", "fields", "optional", "versions")
VERSION_KEYS = ("since", "fields", "optional")
FIELD_KEYS = ("protected", "owner")
EXPERIMENT_KEYS = ("started", "n_star", "fields", "planned_days", "design")
# policy: read by `formfit check` only
TOP_KEYS = ("version", "fields", "forms", "experiments", "policy")
_HINT = "See the forms file schema in the README (and docs/contract)."
# Where a forms file names a form, a field or an experiment: YAML must keep these as written
# (form id 012 is not the number 10, field `on` is not true). experiment: null is no experiment.
NAMES = {
    ("forms", KEYS): "form id",
    ("forms", ANY, "fields", ANY): "field name",
    ("forms", ANY, "optional", ANY): "field name",
    ("forms", ANY, "versions", ANY, "fields", ANY): "field name",
    ("forms", ANY, "versions", ANY, "optional", ANY): "field name",
    ("forms", ANY, "experiment"): "experiment name",
    ("fields", KEYS): "field name",
    ("experiments", KEYS): "experiment name",
    ("experiments", ANY, "fields", ANY): "field name",
}
NULLABLE = (("forms", ANY, "experiment"),)


def read_forms_file(path: Path, flag: str = "--forms") -> FormsConfig:
    """Parse a forms file; raise InputError (with the line for syntax errors) if it is bad.
    ``flag``: the option that named the file, for the hints."""
    if not path.exists():
        raise InputError(f"forms file {path} does not exist.", f"Check the path given to {flag}.")
    if path.is_dir():
        raise InputError(f"forms file {path} is a directory.", f"Give {flag} a YAML or JSON file.")
    refuse_special(path, "forms", InputError)
    data = load_forms_data(decode_text(path.read_bytes()), path.name,
                           path.suffix.lower() == ".json")
    return parse_forms(data, path.name)


def decode_text(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1252: the encodings editors save YAML in."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def load_forms_data(text: str, source: str, is_json: bool) -> Any:
    """The parsed YAML/JSON of a forms file's text; InputError naming the line if it is bad."""
    if not text.strip():
        raise InputError(f"forms file {source} is empty.",
                         "It needs at least `forms:` with one form and its `fields:`.")
    try:
        return load_json(text) if is_json else load_yaml(text, NAMES, NULLABLE)
    except YAMLValueError as exc:  # well-formed, but a value cannot be used as written
        where = f" line {exc.line}" if exc.line is not None else ""
        raise InputError(f"forms file {source}{where}: {exc.problem}", exc.hint) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"forms file {source} line {exc.lineno} is not valid JSON: "
                         f"{exc.msg}.", "Fix the JSON syntax (commas, quotes, brackets).") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        context = getattr(exc, "context_mark", None)
        if context is not None and mark is not None and context.line != mark.line:
            problem += f" (in the block that starts on line {context.line + 1})"
        raise InputError(f"forms file {source}{where} is not valid YAML: {problem}.",
                         "Check the indentation (spaces, not tabs), the colons after keys, and "
                         "quotes around values that contain ': ' or start with '*', '&', '!'."
                         ) from None


def _err(source: str, where: str, problem: str, hint: str = _HINT) -> InputError:
    return InputError(f"forms file {source}: {where} {problem}", hint)


def _names(value: Any, source: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise _err(source, where, f"must be a list of field names, not "
                   f"{type(value).__name__}.", f"Write it as `[{value}]` or one `- name` per line."
                   if isinstance(value, str) else _HINT)
    out: list[str] = []
    for v in value:
        if v is None or isinstance(v, (dict, list)) or not str(v).strip():
            raise _err(source, where, "holds an entry that is not a field name.")
        name = str(v).strip()
        if name.casefold() in (o.casefold() for o in out):
            raise _err(source, where, f"lists {name!r} twice.", "List each field once.")
        out.append(name)
    return tuple(out)


def _since(value: Any, source: str, where: str, key: str = "since") -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        if key == "started" and text.upper() in ("YYYY-MM-DD", "TODO", "TBD"):
            raise _err(source, where, f"started {text!r} is still the placeholder.",
                       "Set started: to the day the experiment went live (YYYY-MM-DD), or "
                       "remove it (or write started: null) until it does.") from None
        why = date_problem(text)  # quoted: '2025-02-30' reaches here as text
        raise _err(source, where, f"{key} {value!r} is not a date{': ' + why if why else ''}.",
                   f"Write {key}: YYYY-MM-DD.") from None


def _version(raw: Any, source: str, where: str, need_since: bool) -> FormVersion:
    if not isinstance(raw, Mapping):
        raise _err(source, where, "must be a mapping with since, fields and optional.")
    unknown = sorted(set(map(str, raw)) - set(VERSION_KEYS))
    if unknown:
        raise _err(source, where, f"has unknown keys {unknown}.",
                   f"A version takes {', '.join(VERSION_KEYS)}.")
    if "fields" not in raw:
        raise _err(source, where, "has no `fields` list.", "List the fields the form shows.")
    fields = _names(raw.get("fields"), source, f"{where} fields")
    optional = _names(raw.get("optional"), source, f"{where} optional")
    shown = {f.casefold(): f for f in fields}
    stray = [o for o in optional if o.casefold() not in shown]
    if stray:
        raise _err(source, where, f"optional names {stray}, which its fields do not show.",
                   "Optional fields must also be listed in `fields`.")
    optional = tuple(shown[o.casefold()] for o in optional)
    since: date | None = None
    if "since" in raw and raw["since"] is not None:
        since = _since(raw["since"], source, where)
    elif need_since:
        raise _err(source, where, "has no `since` date.",
                   "Each entry under versions needs `since: YYYY-MM-DD`, the first day it was "
                   "live.")
    return FormVersion(since=since, fields=fields, optional=optional)


def _form(form_id: str, raw: Any, source: str) -> FormSpec:
    where = f"form {form_id!r}"
    if raw is None or not isinstance(raw, Mapping):
        raise _err(source, where, "must be a mapping with `fields` (or `versions`).")
    unknown = sorted(set(map(str, raw)) - set(FORM_KEYS))
    if unknown:
        raise _err(source, where, f"has unknown keys {unknown}.",
                   f"A form takes {', '.join(FORM_KEYS)}.")
    if "versions" in raw:
        if "fields" in raw or "optional" in raw:
            raise _err(source, where, "has both `versions` and `fields`.",
                       "Put the fields inside each version.")
        vraw = raw["versions"]
        if not isinstance(vraw, list) or not vraw:
            raise _err(source, f"{where} versions", "must be a non-empty list.")
        versions = [_version(v, source, f"{where} versions[{i}]", True)
                    for i, v in enumerate(vraw)]
        versions.sort(key=lambda v: v.since or date.min)
        days = [v.since for v in versions]
        dup = sorted({str(d) for d in days if days.count(d) > 1})
        if dup:
            raise _err(source, f"{where} versions", f"has two versions since {dup[0]}.",
                       "Give each version its own since date.")
    elif "fields" in raw:
        versions = [_version({k: raw[k] for k in ("fields", "optional") if k in raw}, source,
                             where, False)]
    else:
        raise _err(source, where, "has neither `fields` nor `versions`.",
                   "List the fields it shows: `fields: [email, company_size]`.")
    experiment = raw.get("experiment")
    if experiment is not None and not str(experiment).strip():
        experiment = None
    traffic = raw.get("traffic")
    if traffic is not None:
        if isinstance(traffic, bool) or not isinstance(traffic, (int, float)):
            raise _err(source, f"{where} traffic", f"{traffic!r} is not a number.",
                       "Give the planned share of views, e.g. traffic: 0.5.")
        if not 0 < float(traffic) <= 1:
            raise _err(source, f"{where} traffic", f"{traffic} is not in (0, 1].",
                       "traffic is a share of the experiment's views, e.g. 0.5.")
        if experiment is None:
            raise _err(source, f"{where} traffic", "is set but the form has no experiment.",
                       "Name the experiment its variants share: experiment: demo.")
    started = raw.get("started")
    if started is not None:
        if experiment is None:
            raise _err(source, f"{where} started", "is set but the form has no experiment.",
                       "started: marks a running experiment; name it: experiment: demo.")
        started = _since(started, source, where, "started")
    return FormSpec(form_id=form_id, versions=tuple(versions),
                    experiment=None if experiment is None else str(experiment).strip(),
                    traffic=None if traffic is None else float(traffic), started=started)


def _catalogue(raw: Any, source: str) -> dict[str, FieldSpec]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _err(source, "`fields`", "must be a mapping of field name to facts.",
                   "Write `fields:` then `  email: {protected: \"needed to contact\"}`.")
    out: dict[str, FieldSpec] = {}
    for name, facts in raw.items():
        fname = str(name).strip()
        facts = {} if facts is None else facts
        if not isinstance(facts, Mapping):
            raise _err(source, f"field {fname!r}", "must be a mapping (protected, owner).")
        unknown = sorted(set(map(str, facts)) - set(FIELD_KEYS))
        if unknown:
            raise _err(source, f"field {fname!r}", f"has unknown keys {unknown}.",
                       f"A field takes {', '.join(FIELD_KEYS)}.")
        prot = facts.get("protected")
        reason: str | None
        if prot is True:
            reason = "protected"
        elif prot in (None, False) or (isinstance(prot, str) and not prot.strip()):
            reason = None
        elif isinstance(prot, str):
            reason = prot.strip()
        else:
            raise _err(source, f"field {fname!r} protected", f"{prot!r} is not a reason.",
                       'Write protected: "why it must stay" (or protected: true).')
        owner = facts.get("owner")
        out[fname] = FieldSpec(name=fname, protected=reason,
                               owner=None if owner is None else str(owner))
    return out


def parse_forms(data: Any, source: str) -> FormsConfig:
    """Validate the parsed YAML/JSON of a forms file and build a FormsConfig."""
    if not isinstance(data, Mapping):
        raise _err(source, "the top level", "must be a mapping with `forms:`.")
    unknown = sorted(set(map(str, data)) - set(TOP_KEYS))
    if unknown:
        raise _err(source, "the top level", f"has unknown keys {unknown}.",
                   f"Known keys: {', '.join(TOP_KEYS)}.")
    version = data.get("version", 1)
    if version not in (1, "1"):
        raise _err(source, "`version`", f"{version!r} is not supported.", "Use version: 1.")
    forms_raw = data.get("forms")
    if not isinstance(forms_raw, Mapping) or not forms_raw:
        raise _err(source, "`forms`", "must be a mapping of form ids to their fields.",
                   "Write `forms:` then `  my-form: {fields: [email, phone]}`.")
    forms = {str(fid).strip(): _form(str(fid).strip(), spec, source)
             for fid, spec in forms_raw.items()}
    catalogue = _catalogue(data.get("fields"), source)
    # one spelling per field: the catalogue's, else the first form's
    spelling = {n.casefold(): n for n in catalogue}
    for spec in forms.values():
        for f in spec.all_fields():
            spelling.setdefault(f.casefold(), f)
    forms = {fid: _respell(spec, spelling) for fid, spec in forms.items()}
    _check_traffic(forms, source)
    experiments = _experiments(data.get("experiments"), forms, spelling, source)
    return FormsConfig(forms=forms, fields=catalogue, inferred=False, source=source,
                       experiments=experiments)


def _positive_int(value: Any, source: str, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _err(source, where, f"{value!r} is not a positive whole number.",
                   "Write a number such as 120000, or leave it out.")
    return int(value)


def _experiments(raw: Any, forms: Mapping[str, FormSpec], spelling: Mapping[str, str],
                 source: str) -> dict[str, ExperimentSpec]:
    """The `experiments:` block merged with the variants' own `started:` dates."""
    variants: dict[str, list[FormSpec]] = {}
    for spec in forms.values():
        if spec.experiment is not None:
            variants.setdefault(spec.experiment, []).append(spec)
    if raw is not None and not isinstance(raw, Mapping):
        raise _err(source, "`experiments`", "must be a mapping of experiment names to facts.",
                   "Write `experiments:` then `  demo: {started: 2026-11-02}`.")
    out: dict[str, ExperimentSpec] = {}
    for name, facts in (raw or {}).items():
        exp = str(name).strip()
        where = f"experiment {exp!r}"
        if exp not in variants:
            raise _err(source, where, "is described under `experiments:` but no form has "
                       f"experiment: {exp}.", "Give its variants `experiment: "
                       f"{exp}`, or remove the entry.")
        facts = {} if facts is None else facts
        if not isinstance(facts, Mapping):
            raise _err(source, where, f"must be a mapping ({', '.join(EXPERIMENT_KEYS)}).")
        unknown = sorted(set(map(str, facts)) - set(EXPERIMENT_KEYS))
        if unknown:
            raise _err(source, where, f"has unknown keys {unknown}.",
                       f"An experiment takes {', '.join(EXPERIMENT_KEYS)}.")
        started = facts.get("started")
        design = facts.get("design") or {}
        if not isinstance(design, Mapping):
            raise _err(source, f"{where} design", "must be a mapping.",
                       "It is written by `formfit design`; regenerate it rather than edit it.")
        names = _names(facts.get("fields"), source, f"{where} fields")
        out[exp] = ExperimentSpec(
            name=exp, started=None if started is None else _since(started, source, where,
                                                                  "started"),
            n_star=_positive_int(facts.get("n_star"), source, f"{where} n_star"),
            fields=tuple(spelling.get(n.casefold(), n) for n in names),
            planned_days=_positive_int(facts.get("planned_days"), source,
                                       f"{where} planned_days"),
            design={str(k): v for k, v in design.items()})
    for exp, specs in sorted(variants.items()):
        dates = sorted({s.started for s in specs if s.started is not None})
        if len(dates) > 1:
            raise _err(source, f"experiment {exp!r}", "has variants with different started "
                       f"dates ({', '.join(map(str, dates))}).", "Its variants went live "
                       "together: give them one started: date (or put it under experiments:).")
        if not dates:
            continue
        base = out.get(exp, ExperimentSpec(name=exp))
        if base.started is not None and base.started != dates[0]:
            raise _err(source, f"experiment {exp!r}", f"is started {base.started} under "
                       f"experiments: but {dates[0]} on its variants.", "Give one date.")
        out[exp] = replace(base, started=dates[0])
    return out


def _respell(spec: FormSpec, spelling: Mapping[str, str]) -> FormSpec:
    versions = tuple(FormVersion(since=v.since,
                                 fields=tuple(spelling[f.casefold()] for f in v.fields),
                                 optional=tuple(spelling[f.casefold()] for f in v.optional))
                     for v in spec.versions)
    return replace(spec, versions=versions)


def _check_traffic(forms: Mapping[str, FormSpec], source: str) -> None:
    totals: dict[str, list[str]] = {}
    shares: dict[str, float] = {}
    for spec in forms.values():
        if spec.experiment is not None and spec.traffic is not None:
            totals.setdefault(spec.experiment, []).append(spec.form_id)
            shares[spec.experiment] = shares.get(spec.experiment, 0.0) + spec.traffic
    variants: dict[str, list[str]] = {}
    for spec in forms.values():
        if spec.experiment is not None:
            variants.setdefault(spec.experiment, []).append(spec.form_id)
    for exp, ids in sorted(variants.items()):
        if len(ids) == 1:
            raise _err(source, f"experiment {exp!r}",
                       f"has a single variant ({ids[0]}): there is nothing to compare it with.",
                       "Give each variant of the A/B test the same `experiment:` name, or remove "
                       "`experiment:` from a form that is not part of a test.")
    for exp, total in sorted(shares.items()):
        if total > 1 + 1e-9:
            raise _err(source, f"experiment {exp!r}",
                       f"has variants {', '.join(totals[exp])} whose traffic sums to "
                       f"{total:g}, more than 1.",
                       "traffic is each variant's planned share of the experiment's views; "
                       "the shares must add up to at most 1.")


def infer_forms(rows: pd.DataFrame, candidates: Sequence[str]) -> FormsConfig:
    """Forms inferred from submissions: a field is on a form if any of its rows has a value.

    ``rows`` holds form_id and the candidate columns (blank = missing). One version per form,
    no experiments, no catalogue.
    """
    forms: dict[str, FormSpec] = {}
    if len(rows):
        filled = rows[list(candidates)].notna()  # grouped by an array: no column inserted
        any_filled = filled.groupby(rows["form_id"].to_numpy(), sort=True).any()
        for fid, flags in any_filled.iterrows():
            shown_fields = tuple(c for c in candidates if bool(flags[c]))
            forms[str(fid)] = FormSpec(form_id=str(fid),
                                       versions=(FormVersion(since=None, fields=shown_fields),))
    return FormsConfig(forms=forms, fields={}, inferred=True, source=None)
