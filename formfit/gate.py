"""`formfit check`: a CI gate that holds a form-config change against the evidence.

It diffs the latest field set of every form between two forms files (base = before, head =
after) and judges each removed field with the verdicts of an earlier `formfit analyze --format
json` result:

| removed field's status in the evidence      | gate   |
|---------------------------------------------|--------|
| protected (either forms file, or evidence)  | fail   |
| verdict keep                                | fail   |
| verdict make_optional                       | fail: make it optional instead |
| verdict test, or not in the evidence        | warn: the cost was never settled |
| verdict drop                                | pass   |

When one form loses several fields at once the change is one joint contrast, not a sum of
per-field effects: the gate re-judges the whole new field set with the evidence's models when they
allow it (`formfit.models.joint`), and otherwise says that it judged field by field.
Exit status: 1 when anything fails, else 0; bad files exit 2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from formfit.errors import EXIT_FAIL, EXIT_OK, InputError
from formfit.inputs import FormsConfig

Status = Literal["fail", "warn", "pass", "info"]


@dataclass(frozen=True)
class Finding:
    form_id: str
    field: str | None
    # removed | added | made_optional | made_required | form_removed | form_added | joint
    change: str
    status: Status
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"form_id": self.form_id, "field": self.field, "change": self.change,
                "status": self.status, "message": self.message}


@dataclass(frozen=True)
class CheckReport:
    base: str
    head: str
    evidence: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def exit_code(self) -> int:
        return EXIT_FAIL if any(f.status == "fail" for f in self.findings) else EXIT_OK

    def counts(self) -> dict[str, int]:
        out = {"fail": 0, "warn": 0, "pass": 0, "info": 0}
        for f in self.findings:
            out[f.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "head": self.head, "evidence": self.evidence,
                "exit_code": self.exit_code, "counts": self.counts(),
                "findings": [f.to_dict() for f in self.findings]}


def _load_evidence(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise InputError(f"evidence file {path} does not exist.",
                         "Make it with `formfit analyze ... --format json --out RESULT.json`.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"evidence file {path.name} is not JSON ({exc}).",
                         "Pass the output of `formfit analyze --format json`.") from None
    if not isinstance(data, dict) or "fields" not in data or "schema_version" not in data:
        raise InputError(f"evidence file {path.name} is not a formfit result (no `fields`/"
                         "`schema_version`).",
                         "Pass the output of `formfit analyze --format json`.")
    if data["schema_version"] != 1:
        raise InputError(f"evidence file {path.name} has schema_version "
                         f"{data['schema_version']}; this formfit reads 1.",
                         "Re-run `formfit analyze` with this version of formfit.")
    return data


def _latest(cfg: FormsConfig) -> dict[str, tuple[set[str], set[str]]]:
    """form_id -> (fields shown now, optional fields now)."""
    return {fid: (set(s.versions[-1].fields), set(s.versions[-1].optional))
            for fid, s in cfg.forms.items()}


def _removal(form_id: str, name: str, ev: dict[str, Any] | None, protected: str | None
             ) -> Finding:
    if protected:
        return Finding(form_id, name, "removed", "fail",
                       f"{name} is protected ({protected}) and may not be removed.")
    if ev is None:
        return Finding(form_id, name, "removed", "warn",
                       f"{name} has no evidence in the result: its cost to sales was never "
                       "measured. Re-run formfit analyze on current data.")
    verdict = ev.get("verdict")
    reason = ev.get("reason") or ""
    if verdict == "protected":
        return Finding(form_id, name, "removed", "fail", f"{name} is protected. {reason}")
    if verdict == "keep":
        return Finding(form_id, name, "removed", "fail",
                       f"sales depend on {name}: {reason}")
    if verdict == "make_optional":
        return Finding(form_id, name, "removed", "fail",
                       f"{name} carries information sales use: make it optional instead of "
                       f"removing it. {reason}")
    if verdict == "drop":
        return Finding(form_id, name, "removed", "pass", f"removing {name} is supported: {reason}")
    plan = ev.get("test_plan") or {}
    extra = (f" A test of {plan['views_per_arm']:,} views per arm would settle it."
             if plan.get("views_per_arm") else "")
    return Finding(form_id, name, "removed", "warn",
                   f"the evidence cannot yet tell whether removing {name} costs sales.{extra}")


def check(base: Path, head: Path, evidence: Path) -> CheckReport:
    """Judge the change from ``base`` to ``head`` forms files against ``evidence``."""
    from formfit.io.forms import read_forms_file as read_forms

    ev = _load_evidence(evidence)
    old, new = read_forms(base), read_forms(head)
    by_field = {f["field"]: f for f in ev.get("fields", []) if isinstance(f, dict)}
    in_evidence = (ev.get("models", {}) or {}).get("protected", {})
    protected = {**{k: str(v) for k, v in in_evidence.items()},
                 **{n: s.protected for n, s in old.fields.items() if s.protected},
                 **{n: s.protected for n, s in new.fields.items() if s.protected}}
    before, after = _latest(old), _latest(new)
    findings: list[Finding] = []
    for fid in sorted(set(before) | set(after)):
        if fid not in after:
            findings.append(Finding(fid, None, "form_removed", "info",
                                    f"form {fid} is no longer configured."))
            continue
        if fid not in before:
            findings.append(Finding(fid, None, "form_added", "info", f"form {fid} is new."))
            continue
        (b_fields, b_opt), (a_fields, a_opt) = before[fid], after[fid]
        removed = sorted(b_fields - a_fields)
        for name in removed:
            findings.append(_removal(fid, name, by_field.get(name), protected.get(name)))
        for name in sorted(a_fields - b_fields):
            findings.append(Finding(fid, name, "added", "info",
                                    f"{name} is new on {fid}: its friction is unmeasured; "
                                    "consider adding it as an A/B variant first."))
        for name in sorted((a_opt - b_opt) & a_fields & b_fields):
            findings.append(Finding(fid, name, "made_optional", "pass",
                                    f"{name} becomes optional on {fid}."))
        for name in sorted((b_opt - a_opt) & a_fields & b_fields):
            findings.append(Finding(fid, name, "made_required", "info",
                                    f"{name} becomes required on {fid}: expect some friction."))
        if len(removed) > 1:
            findings.append(_joint(fid, removed, ev))
    return CheckReport(base=base.name, head=head.name, evidence=evidence.name,
                       findings=tuple(findings))


def _joint(form_id: str, removed: list[str], ev: dict[str, Any]) -> Finding:
    """One contrast for several fields removed from one form, when the evidence allows it."""
    from formfit.models.joint import joint_drop_effect

    found = joint_drop_effect(ev.get("models", {}) or {}, form_id, removed)
    if found is not None:
        est, lo, hi = found
        status: Status = "fail" if hi < 0 else "info"
        return Finding(form_id, ",".join(removed), "joint", status,
                       f"removing {', '.join(removed)} together from {form_id}: {est:+.2f} won "
                       f"deals per 1,000 views (95% CI {lo:+.2f} to {hi:+.2f}).")
    return Finding(form_id, ",".join(removed), "joint", "warn",
                   f"{len(removed)} fields leave {form_id} at once; the evidence cannot judge "
                   "them as one change, so they were judged field by field (effects on the "
                   "probability scale do not add up).")


def render_check(report: CheckReport, fmt: str) -> str:
    """text | json | markdown | github (workflow annotations) rendering of a check report."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    c = report.counts()
    summary = (f"formfit check {report.base} -> {report.head}: {c['fail']} failing, "
               f"{c['warn']} warnings, {c['pass']} passing changes")
    if fmt == "github":
        lines = []
        for f in report.findings:
            if f.status in ("fail", "warn"):
                level = "error" if f.status == "fail" else "warning"
                title = f"{f.form_id}: {f.field or ''} {f.change}".strip()
                lines.append(f"::{level} title={_gh(title, prop=True)}::{_gh(f.message)}")
        lines.append(summary)
        return "\n".join(lines) + "\n"
    if fmt == "markdown":
        from formfit.renderers.text import md_escape

        icon = {"fail": "❌", "warn": "⚠️", "pass": "✅", "info": "ℹ️"}
        rows = [f"**{md_escape(summary)}**", "", "| | form | field | change | note |",
                "|---|---|---|---|---|"]
        for f in report.findings:
            rows.append(f"| {icon[f.status]} | {md_escape(f.form_id)} | {md_escape(f.field or '')}"
                        f" | {f.change} | {md_escape(f.message)} |")
        return "\n".join(rows) + "\n"
    lines = [summary]
    for f in report.findings:
        what = f"{f.form_id} {f.field or ''} ({f.change})"
        lines.append(f"  {f.status.upper():5} {what}: {f.message}")
    return "\n".join(lines) + "\n"


def _gh(text: str, prop: bool = False) -> str:
    """Escape for GitHub workflow commands (properties also escape ':' and ',')."""
    out = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return out.replace(":", "%3A").replace(",", "%2C") if prop else out
