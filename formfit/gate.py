"""`formfit check`: hold a form-config change against the evidence of `formfit analyze`.

It diffs the latest field set of every form between two forms files (base = before, head =
after) and judges each change with a policy: one rule per kind of change, each at a level.

| rule                   | change or fact                                            | default |
|------------------------|-----------------------------------------------------------|---------|
| removed_protected      | a protected field removed                                 | error   |
| removed_keep           | a field the evidence says to keep removed                 | error   |
| removed_make_optional  | removed where the evidence says make it optional          | error   |
| removed_test           | removed, and the evidence cannot yet tell its cost        | warning |
| removed_unknown        | removed, and the evidence does not know the field         | warning |
| removed_drop           | removed, and the evidence supports dropping it            | notice  |
| joint_harm             | several fields removed from a form: a loss, 95% sure      | error   |
| joint_unsure           | ... a loss beyond the margin cannot be ruled out          | warning |
| joint_ok               | ... no loss beyond the margin, 95% sure                   | notice  |
| joint_unjudged         | ... and the evidence cannot judge them as one change      | warning |
| added_field            | a field added (with its measured conversion cost)         | warning |
| made_required / made_optional / form_added / form_removed / experiment_changed | listed | notice |
| form_renamed           | a form removed and a new one added in its place: the new  | notice  |
|                        | form is judged as a change of the old (every rule above)  |         |
| form_added_protected   | a new (or renamed) form lacks a protected field that the  | error   |
|                        | base shows on every form                                  |         |
| experiment_invalid     | a designed/running experiment the head adds or changes is | error   |
|                        | unsound: traffic not summing to 1, arms differing in a    |         |
|                        | field not designed, a protected field not in every arm    |         |
| experiment_planned     | ... its arms, designed fields, planned runtime, and       | notice  |
|                        | whether its intervals are always-valid (started:)         |         |
| policy_changed         | the head changes the `policy:` section                    | notice  |
| evidence_stale         | evidence older than --max-age-days (or of unknown age)    | warning |
| evidence_future        | evidence dated more than a day after the check's date     | warning |
| evidence_forms         | evidence computed for a different set of forms            | warning |
| evidence_schema        | evidence of another schema_version                        | warning |
| evidence_srm           | the evidence's experiment failed its sample-ratio check   | warning |

`--strict` raises the evidence_* rules from warning to error. A `policy:` section in the base
forms file sets any rule to error, warning, notice or off; the base's policy is the one applied,
so that a change cannot loosen the gate that judges it (a changed policy is listed, and applies
once merged). Exit status: 1 when any finding is an error, else 0; bad input exits 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import IO, Any, Literal

from formfit.errors import UsageError, closest
from formfit.inputs import FormsConfig
from formfit.io.forms_marks import FormsDocument
from formfit.results import SCHEMA_VERSION, AnalysisResult, FieldResult
from formfit.results_check import CheckReport, EvidenceInfo, Finding, Level

RuleLevel = Level | Literal["off"]
RULES: dict[str, Level] = {
    "removed_protected": "error", "removed_keep": "error", "removed_make_optional": "error",
    "removed_test": "warning", "removed_unknown": "warning", "removed_drop": "notice",
    "joint_harm": "error", "joint_unsure": "warning", "joint_ok": "notice",
    "joint_unjudged": "warning", "added_field": "warning", "made_required": "notice",
    "made_optional": "notice", "form_added": "notice", "form_removed": "notice",
    "form_renamed": "notice", "form_added_protected": "error",
    "experiment_changed": "notice", "experiment_invalid": "error",
    "experiment_planned": "notice", "policy_changed": "notice",
    "evidence_stale": "warning", "evidence_future": "warning", "evidence_forms": "warning",
    "evidence_schema": "warning", "evidence_srm": "warning",
}
EVIDENCE_RULES = ("evidence_stale", "evidence_future", "evidence_forms", "evidence_schema",
                  "evidence_srm")
FUTURE_GRACE_DAYS = 1  # as_of a day ahead is a time zone (analyze in UTC, check in UTC-8)
POLICY_LEVELS = ("error", "warning", "notice", "off")


def policy_levels(raw: Any, source: str, strict: bool) -> dict[str, RuleLevel]:
    """Every rule's level: the defaults, the forms file's ``policy:`` section, then --strict."""
    levels: dict[str, RuleLevel] = dict(RULES)
    if raw is not None:
        if not isinstance(raw, Mapping):
            raise UsageError(f"forms file {source}: `policy` must be a mapping of rule to level.",
                             "Write `policy:` then `  added_field: error` (levels: "
                             f"{', '.join(POLICY_LEVELS)}).")
        for rule, level in raw.items():
            name = str(rule).strip()
            if name not in RULES:
                near = closest(name, RULES)
                raise UsageError(
                    f"forms file {source}: policy names an unknown rule {name!r}"
                    + (f"; did you mean {near[0]!r}?" if near else "."),
                    f"Rules: {', '.join(RULES)}.")
            value = str(level).strip().lower() if level is not False else "off"
            if value not in POLICY_LEVELS:
                raise UsageError(f"forms file {source}: policy {name}: {level!r} is not a level.",
                                 f"Use one of {', '.join(POLICY_LEVELS)}.")
            levels[name] = value  # type: ignore[assignment]
    if strict:
        for name in EVIDENCE_RULES:
            if levels[name] == "warning":
                levels[name] = "error"
    return levels


class _Judge:
    """Collects findings at their policy levels, each pointing at a line of the head file."""

    def __init__(self, levels: Mapping[str, RuleLevel], head: FormsDocument,
                 head_path: str | None) -> None:
        self.levels, self.head, self.path = levels, head, head_path
        self.findings: list[Finding] = []

    def add(self, rule: str, form_id: str | None, fields: tuple[str, ...], line: int | None,
            **details: Any) -> None:
        level = self.levels[rule]
        if level == "off":
            return
        self.findings.append(Finding(rule=rule, level=level, form_id=form_id, fields=fields,
                                     file=self.path, line=line, details=details))


def _latest(cfg: FormsConfig) -> dict[str, tuple[tuple[str, ...], set[str]]]:
    """form_id -> (fields shown now, in order; optional fields now)."""
    return {fid: (s.versions[-1].fields, set(s.versions[-1].optional))
            for fid, s in cfg.forms.items()}


def _wins(f: FieldResult) -> dict[str, Any]:
    e = f.drop_effect.wins_per_1k_views
    out: dict[str, Any] = {"estimate": e.estimate, "ci_low": e.ci_low,
                           "ci_high": e.ci_high, "evidence": f.drop_effect.evidence}
    if f.drop_effect.interval == "sequential":  # a watched experiment's always-valid interval
        out["interval"] = "sequential"
    return out


def _removal(j: _Judge, fid: str, name: str, ev: AnalysisResult,
             by_field: Mapping[str, FieldResult], protected: Mapping[str, str],
             **renamed: str) -> None:
    line = j.head.marks.fields_list.get(fid) or j.head.marks.of_form(fid)
    f = by_field.get(name)
    if name in protected or (f is not None and (f.protected or f.verdict == "protected")):
        reason = protected.get(name) or (f.reason if f is not None else "")
        j.add("removed_protected", fid, (name,), line, reason=reason, **renamed)
    elif f is None:
        j.add("removed_unknown", fid, (name,), line, as_of=ev.as_of,
              known_fields=len(ev.fields), **renamed)
    elif f.verdict in ("keep", "make_optional", "drop"):
        j.add(f"removed_{f.verdict}", fid, (name,), line, reason=f.reason, **_wins(f),
              **renamed)
    else:
        plan = f.test_plan
        j.add("removed_test", fid, (name,), line, reason=f.reason, **_wins(f), **renamed,
              basis=f.drop_effect.basis,
              views_per_arm=plan.views_per_arm if plan else None,
              days=plan.days if plan else None,
              weeks=plan.weeks_to_detect_margin if plan else None,
              feasible=plan.feasible if plan else None,
              feasible_margin_12_weeks=plan.feasible_margin_12_weeks if plan else None,
              horizon_days=plan.horizon_days if plan else None)


def _margin(settings: Mapping[str, Any], baseline: float) -> float:
    """The analysis margin in wins per 1,000 views ('2%' of the baseline, or absolute)."""
    text = str(settings.get("margin") or "2%").strip()
    try:
        if text.endswith("%"):
            return float(text[:-1]) / 100 * baseline
        return float(text)
    except ValueError:
        return 0.0


def _joint(j: _Judge, fid: str, current: tuple[str, ...], removed: list[str],
           ev: AnalysisResult, was: str, **renamed: str) -> None:
    from formfit.models.joint import form_change

    line = j.head.marks.fields_list.get(fid) or j.head.marks.of_form(fid)
    fit = (ev.models.get("wins") or {}).get("wins_per_1k_views") or {}
    try:  # the evidence knows the form by its base id (``was``, the old name of a rename)
        found = form_change(fit, was, current, removed=removed)
    except (KeyError, TypeError, ValueError, IndexError):  # hand-edited model blocks
        found = None
    if found is None:
        j.add("joint_unjudged", fid, tuple(removed), line, **renamed)
        return
    est, lo, hi, base = found
    m = _margin(ev.settings, base)
    rule = "joint_harm" if hi < 0 else "joint_ok" if lo > -m else "joint_unsure"
    j.add(rule, fid, tuple(removed), line, estimate=est, ci_low=lo, ci_high=hi,
          baseline=base, margin=m, **renamed)


def _addition(j: _Judge, fid: str, current: tuple[str, ...], name: str, ev: AnalysisResult,
              by_field: Mapping[str, FieldResult], was: str, **renamed: str) -> None:
    from formfit.models.joint import form_change

    line = j.head.marks.of_field(fid, name)
    try:
        found = form_change(ev.models.get("conversion") or {}, was, current, added=[name])
    except (KeyError, TypeError, ValueError, IndexError):
        found = None
    if found is not None:
        est, lo, hi, _ = found
        j.add("added_field", fid, (name,), line, measured="this_form", estimate=est,
              ci_low=lo, ci_high=hi, **renamed)
        return
    f = by_field.get(name)
    conv = f.drop_effect.conversion_pp if f is not None else None
    if f is not None and conv is not None and conv.known and f.drop_effect.evidence != "none":
        assert conv.estimate is not None and conv.ci_low is not None and conv.ci_high is not None
        # the drop effect's mirror: showing the field changes conversion by -(drop effect)
        j.add("added_field", fid, (name,), line, measured="other_forms",
              estimate=-conv.estimate, ci_low=-conv.ci_high, ci_high=-conv.ci_low,
              forms=list(f.forms), evidence=f.drop_effect.evidence, **renamed)
    else:
        j.add("added_field", fid, (name,), line, measured=None, **renamed)


def _form_changes(j: _Judge, fid: str, base: FormsDocument, ev: AnalysisResult,
                  by_field: Mapping[str, FieldResult], protected: Mapping[str, str],
                  was: str | None = None) -> None:
    """The change of form ``fid`` from the base to the head; ``was`` is its base id when
    the head renames it (the findings then carry ``renamed_from``)."""
    was = was or fid
    renamed = {"renamed_from": was} if was != fid else {}
    (b_fields, b_opt) = _latest(base.config)[was]
    (a_fields, a_opt) = _latest(j.head.config)[fid]
    removed = [f for f in b_fields if f not in a_fields]
    for name in removed:
        _removal(j, fid, name, ev, by_field, protected, **renamed)
    if len(removed) > 1:
        _joint(j, fid, b_fields, removed, ev, was, **renamed)
    for name in (f for f in a_fields if f not in b_fields):
        _addition(j, fid, b_fields, name, ev, by_field, was, **renamed)
    marks = j.head.marks
    for name in (f for f in a_fields if f in b_fields):
        if name in a_opt and name not in b_opt:
            line = marks.optional_item.get((fid, name.casefold())) or marks.of_field(fid, name)
            j.add("made_optional", fid, (name,), line, **renamed)
        elif name in b_opt and name not in a_opt:
            j.add("made_required", fid, (name,), marks.of_field(fid, name), **renamed)
    old, new = base.config.forms[was], j.head.config.forms[fid]
    if (old.experiment, old.traffic) != (new.experiment, new.traffic):
        j.add("experiment_changed", fid, (), marks.of_form(fid),
              old_experiment=old.experiment, new_experiment=new.experiment,
              old_traffic=old.traffic, new_traffic=new.traffic, **renamed)


def renames(base: FormsConfig, head: FormsConfig, protected: Mapping[str, str] | None = None
            ) -> dict[str, tuple[str, str]]:
    """New form id -> (the removed form id it most likely renames, why).

    A form that leaves the head while another appears is most often the same form renamed,
    and judging the pair as unrelated would let a rename drop any field unchecked. Pairs,
    each removed form with at most one new form: the only form removed with the only form
    added (``only``); else the only removed with the only added arm of one experiment
    (``experiment``); else, greedily, the new form sharing the most fields with a removed
    one, when it shares at least half of that form's fields (``fields``). Protected fields
    are left out of that count: every form shows them, so they say nothing of identity."""
    gone = sorted(set(base.forms) - set(head.forms))
    new = sorted(set(head.forms) - set(base.forms))
    pairs: dict[str, tuple[str, str]] = {}
    if len(gone) == 1 and len(new) == 1:
        return {new[0]: (gone[0], "only")}
    for exp in sorted({s.experiment for s in base.forms.values() if s.experiment}):
        arms_gone = [f for f in gone if base.forms[f].experiment == exp]
        arms_new = [f for f in new if head.forms[f].experiment == exp]
        if len(arms_gone) == 1 and len(arms_new) == 1:
            pairs[arms_new[0]] = (arms_gone[0], "experiment")
    keep_out = set(protected or {})
    old_fields = {f: set(s.versions[-1].fields) - keep_out
                  for f, s in base.forms.items() if f in gone}
    new_fields = {f: set(s.versions[-1].fields) - keep_out
                  for f, s in head.forms.items() if f in new}
    taken = {was for was, _ in pairs.values()}
    scored = []
    for g in gone:
        for n in new:
            shared = len(old_fields[g] & new_fields[n])
            if shared and 2 * shared >= len(old_fields[g]):
                union = len(old_fields[g] | new_fields[n])
                scored.append((-shared / union, -shared, g, n))
    for _, _, g, n in sorted(scored):
        if g not in taken and n not in pairs:
            pairs[n] = (g, "fields")
            taken.add(g)
    return pairs


def _new_form_protected(j: _Judge, fid: str, base: FormsConfig, protected: Mapping[str, str],
                        flagged: set[tuple[str, str]], was: str | None) -> None:
    """A new form must show every protected field the base shows on every form: a rule the
    config keeps everywhere (consent on every form) binds a new form too, while a field some
    base form already lacks is no such rule (a field the rename removes is already a
    removed_protected finding; an experiment arm's is experiment_invalid's)."""
    latest = [set(s.versions[-1].fields) for s in base.forms.values()]
    shown_in_base = set.intersection(*latest) if latest else set()
    now = set(_latest(j.head.config)[fid][0])
    before = set(_latest(base)[was][0]) if was else set()
    missing = sorted(f for f in protected if f in shown_in_base and f not in now
                     and f not in before and (fid, f) not in flagged)
    if missing:
        details: dict[str, Any] = {"reasons": {f: protected[f] for f in missing}}
        if was:
            details["renamed_from"] = was
        j.add("form_added_protected", fid, tuple(missing), j.head.marks.of_form(fid),
              **details)


def _evidence_facts(j: _Judge, ev: AnalysisResult, base: FormsDocument, today: date,
                    max_age_days: int, source: str) -> int | None:
    """Findings about the evidence itself; returns its age in days (None if unknown)."""
    if ev.schema_version != SCHEMA_VERSION:
        j.add("evidence_schema", None, (), None, found=ev.schema_version,
              expected=SCHEMA_VERSION)
    age: int | None = None
    if ev.as_of is not None:
        try:
            age = (today - date.fromisoformat(ev.as_of[:10])).days
        except ValueError:
            raise UsageError(f"evidence {source}: `as_of` is {ev.as_of!r}, not a date "
                             "(YYYY-MM-DD).", "Re-run formfit analyze to regenerate it.") from None
    if age is None or age > max_age_days:
        j.add("evidence_stale", None, (), None, age_days=age, as_of=ev.as_of,
              max_age_days=max_age_days)
    elif age < -FUTURE_GRACE_DAYS:  # a wrong as_of, or a clock that is off: age unknown
        j.add("evidence_future", None, (), None, days_ahead=-age, as_of=ev.as_of,
              checked_on=today.isoformat())
    seen = {f.form_id: set(f.fields) for f in ev.forms}
    now = {fid: set(fields) for fid, (fields, _) in _latest(base.config).items()}
    missing, extra = sorted(set(now) - set(seen)), sorted(set(seen) - set(now))
    changed = sorted(fid for fid in set(now) & set(seen) if seen[fid] and seen[fid] != now[fid])
    if missing or extra or changed:
        j.add("evidence_forms", None, (), j.head.marks.forms, missing=missing, extra=extra,
              changed=changed)
    for c in ev.srm_checks:
        if c.mismatch:
            j.add("evidence_srm", None, (), None, experiment=c.experiment, p_value=c.p_value)
    return age


def check(base: FormsDocument, head: FormsDocument, evidence: AnalysisResult, *,
          base_label: str, head_label: str, head_path: str | None, evidence_label: str,
          strict: bool = False, max_age_days: int = 90, today: date | None = None
          ) -> CheckReport:
    """Judge the change from ``base`` to ``head`` against ``evidence`` under the base's policy."""
    from formfit import __version__

    if max_age_days < 0:
        raise UsageError(f"--max-age-days {max_age_days} is negative.",
                         "Give the oldest evidence you accept in days, e.g. 90.")
    today = today or date.today()
    levels = policy_levels(base.policy, base.source, strict)
    policy_levels(head.policy, head.source, strict)  # a broken head policy is bad input too
    j = _Judge(levels, head, head_path)
    age = _evidence_facts(j, evidence, base, today, max_age_days, evidence_label)
    if (base.policy or None) != (head.policy or None):
        j.add("policy_changed", None, (), head.marks.policy or head.marks.forms)
    by_field = {f.field: f for f in evidence.fields}
    protected = {**{str(k): str(v) for k, v in (evidence.models.get("protected") or {}).items()},
                 **{n: s.protected for n, s in base.config.fields.items() if s.protected},
                 **{n: s.protected for n, s in head.config.fields.items() if s.protected}}
    from formfit.gate_experiments import experiment_findings

    found = experiment_findings(base.config, head.config, protected)
    flagged = {(ef.arm, f) for ef in found if ef.details.get("problem") == "protected_missing"
               for f in ef.fields if ef.arm}
    before, after = set(base.config.forms), set(head.config.forms)
    paired = renames(base.config, head.config, protected)
    was_renamed = {was for was, _ in paired.values()}
    for fid in sorted(before | after):
        if fid not in after:
            if fid not in was_renamed:
                j.add("form_removed", fid, (), head.marks.forms)
        elif fid in paired:
            was, why = paired[fid]
            j.add("form_renamed", fid, (), head.marks.of_form(fid), renamed_from=was,
                  paired_by=why, experiment=head.config.forms[fid].experiment)
            _form_changes(j, fid, base, evidence, by_field, protected, was=was)
            _new_form_protected(j, fid, base.config, protected, flagged, was)
        elif fid not in before:
            j.add("form_added", fid, (), head.marks.of_form(fid))
            _new_form_protected(j, fid, base.config, protected, flagged, None)
        else:
            _form_changes(j, fid, base, evidence, by_field, protected)
    for ef in found:
        line = head.marks.of_form(ef.arm) if ef.arm else head.marks.forms
        j.add(ef.rule, ef.arm, ef.fields, line, experiment=ef.experiment, **ef.details)
    info = EvidenceInfo(source=evidence_label, as_of=evidence.as_of, age_days=age,
                        schema_version=evidence.schema_version,
                        formfit_version=evidence.formfit_version,
                        horizon_days=evidence.horizon.days,
                        margin=None if evidence.settings.get("margin") is None
                        else str(evidence.settings.get("margin")))
    rank = {"error": 0, "warning": 1, "notice": 2}
    findings = sorted(j.findings, key=lambda f: rank[f.level])  # errors first; stable
    return CheckReport(base=base_label, head=head_label, evidence=info,
                       findings=tuple(findings), policy=levels, strict=strict,
                       max_age_days=max_age_days, checked_on=today.isoformat(),
                       formfit_version=__version__)


def run_check(base: str, head: str, evidence: Path | str, *, strict: bool = False,
              max_age_days: int = 90, today: date | None = None,
              stdin: IO[str] | None = None) -> CheckReport:
    """`formfit check` as a library call: ``base``/``head`` are a path, ``-`` or ``REV:PATH``."""
    from formfit.evidence import read_evidence
    from formfit.io.forms_marks import read_forms_text
    from formfit.io.sources import read_source

    if base == "-" and head == "-":
        raise UsageError("--base and --head cannot both be `-` (stdin).",
                         "Read one of them from a file or from git (REV:PATH).")
    ev_path = Path(evidence)
    ev = read_evidence(ev_path)
    docs = []
    for spec, option in ((base, "--base"), (head, "--head")):
        src = read_source(spec, option, stdin)
        docs.append((read_forms_text(src.text, src.label, src.is_json), src))
    (old, _), (new, head_src) = docs
    return check(old, new, ev, base_label=base, head_label=head, head_path=head_src.path,
                 evidence_label=str(evidence), strict=strict, max_age_days=max_age_days,
                 today=today)


def run_check_files(files: list[str], evidence: Path | str, *, rev: str = "HEAD",
                    strict: bool = False, max_age_days: int = 90, today: date | None = None
                    ) -> tuple[list[CheckReport], list[str]]:
    """The pre-commit form of check: each forms file against its committed version.

    Returns the reports and the files skipped because ``rev`` does not hold them yet (a new
    forms file has nothing to be judged against). Each file is named as git names it in
    ``REV:PATH``, relative to the repository's top level (git would read a bare PATH from the
    top level, not from the current directory), so that ``sub/forms.yaml`` given as
    ``forms.yaml`` from ``sub/``, or as an absolute path, is compared with its own history."""
    from formfit.io.sources import committed, repository_path

    reports, new = [], []
    for path in files:
        rel = repository_path(path)
        if rel is None or not committed(rev, rel):
            new.append(path)
            continue
        reports.append(run_check(f"{rev}:{rel}", path, evidence, strict=strict,
                                 max_age_days=max_age_days, today=today))
    return reports, new
