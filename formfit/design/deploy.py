"""The forms config to deploy a designed experiment: every form of the evidence, with each form
that hosts the experiment replaced by its arms, and an ``experiments:`` entry per form.

It is the contract's forms file (``formfit.io.forms`` reads it back; a test holds this), so
`formfit check --base forms.yaml --head design/forms.yaml` can gate the change and `analyze`
reads the experiment's data with it once ``started:`` is set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from formfit.results import AnalysisResult
from formfit.results_design import DesignArm

STARTED_COMMENT = "  # set to the day the arms go live (YYYY-MM-DD)"


def forms_config(result: AnalysisResult, arms: Sequence[DesignArm],
                 experiments: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The config as data (what the YAML holds)."""
    protected = result.models.get("protected", {}) if isinstance(result.models, Mapping) else {}
    catalogue: dict[str, Any] = {}
    for f in result.fields:
        if f.protected:
            reason = protected.get(f.field) if isinstance(protected, Mapping) else None
            catalogue[f.field] = {"protected": str(reason) if reason else True}
    hosts = {a.base_form for a in arms}
    optional = {f.field for f in result.fields if not f.required}
    remaining: dict[str, list[str]] = {}
    for form in result.forms:
        if form.form_id not in hosts and form.experiment:
            remaining.setdefault(form.experiment, []).append(form.form_id)
    planned = _planned_shares(result)
    forms: dict[str, Any] = {}
    for form in result.forms:
        if form.form_id in hosts:
            for a in (x for x in arms if x.base_form == form.form_id):
                spec: dict[str, Any] = {"experiment": a.experiment, "traffic": a.traffic,
                                        "fields": list(a.fields)}
                if a.optional:
                    spec["optional"] = list(a.optional)
                forms[a.form_id] = spec
            continue
        spec = {}
        kept = remaining.get(form.experiment or "", [])
        if form.experiment and len(kept) > 1:
            spec["experiment"] = form.experiment
            if all(fid in planned for fid in kept):
                # the variants left of an experiment keep their relative shares
                spec["traffic"] = planned[form.form_id] / sum(planned[fid] for fid in kept)
        spec["fields"] = list(form.fields)
        opt = [f for f in form.fields if f in optional]
        if opt:
            spec["optional"] = opt
        forms[form.form_id] = spec
    out: dict[str, Any] = {"version": 1}
    if catalogue:
        out["fields"] = catalogue
    out["forms"] = forms
    out["experiments"] = {name: dict(e) for name, e in experiments.items()}
    return out


def _planned_shares(result: AnalysisResult) -> dict[str, float]:
    srm = result.models.get("srm", []) if isinstance(result.models, Mapping) else []
    out: dict[str, float] = {}
    for check in srm if isinstance(srm, list) else []:
        for v in check.get("variants", []) if isinstance(check, Mapping) else []:
            share = v.get("planned_share") if isinstance(v, Mapping) else None
            if isinstance(share, (int, float)) and not isinstance(share, bool):
                out[str(v.get("form_id"))] = float(share)
    return out


class _Dumper(yaml.SafeDumper):
    """Lists of field names in flow style (``fields: [email, phone]``), mappings in blocks."""


def _flow_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(list, _flow_list)


def forms_yaml(config: Mapping[str, Any], header: Sequence[str]) -> str:
    """The config as YAML text, with a header comment and a comment on each ``started:``."""
    body = yaml.dump(dict(config), Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)
    # only this writer's own `started: null` key sits alone on a line like this: a user
    # string that reads so would be quoted by the dumper
    body = re.sub(r"(?m)^(    started: null)$", r"\1" + STARTED_COMMENT, body)
    lines = [" ".join(str(x).split()) for x in header]  # no line break can end a comment
    comments = "".join(f"# {line}\n" if line else "#\n" for line in lines)
    return comments + body
