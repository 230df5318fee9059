"""`formfit check` in every format: text, json, markdown, github (workflow commands), sarif.

The gate hands over rules and numbers; the sentences are written here, once, and every format
carries the same sentence. Form ids and field names come from users' files, so each format
escapes them its own way: GitHub workflow commands percent-encode (``%25``, ``%0D``, ``%0A``,
and ``:``/``,`` in properties), Markdown uses :func:`md_escape`, and the text format shows
control characters as escapes so that no user string can start a line (e.g. with ``::``, which
GitHub would run as a workflow command) or break one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from formfit.renderers.plans import closing_text, weeks_text, years_text
from formfit.renderers.text import days_text, md_escape, num
from formfit.results_check import CheckReport, Finding

RULE_TITLES: dict[str, str] = {
    "removed_protected": "protected field removed",
    "removed_keep": "field sales depend on removed",
    "removed_make_optional": "field removed: make it optional instead",
    "removed_test": "field removed with its cost unsettled",
    "removed_unknown": "field removed that the evidence does not know",
    "removed_drop": "field removed, as the evidence supports",
    "joint_harm": "fields removed together cost won deals",
    "joint_unsure": "fields removed together: a loss beyond the margin is possible",
    "joint_ok": "fields removed together, within the margin",
    "joint_unjudged": "fields removed together, not judged as one change",
    "added_field": "field added",
    "made_required": "field made required",
    "made_optional": "field made optional",
    "form_added": "form added",
    "form_removed": "form removed",
    "form_renamed": "form renamed",
    "form_added_protected": "new form lacks a protected field",
    "experiment_changed": "experiment changed",
    "experiment_invalid": "experiment is not sound",
    "experiment_planned": "experiment planned",
    "policy_changed": "policy changed",
    "evidence_stale": "evidence out of date",
    "evidence_future": "evidence dated in the future",
    "evidence_forms": "evidence is for other forms",
    "evidence_schema": "evidence of another schema version",
    "evidence_srm": "evidence experiment failed its sample-ratio check",
}


def _s(x: Any) -> str:
    return num(x, sign=True)


def _ci(d: Any) -> str:
    kind = "95% always-valid CI" if d.get("interval") == "sequential" else "95% CI"
    return f"{_s(d.get('estimate'))} ({kind} {_s(d.get('ci_low'))} to {_s(d.get('ci_high'))})"


def _wins(d: Any) -> str:
    if d.get("estimate") is None:
        return "its effect on won deals was not estimated"
    return f"won deals per 1,000 views {_ci(d)}, {d.get('evidence')} evidence"


def _because(d: Any) -> str:
    reason = str(d.get("reason") or "").strip()
    return f" The evidence says: {reason}" if reason else ""


def _form(f: Finding) -> str:
    """The form's id, and the id it had in the base when the head renames it."""
    was = f.details.get("renamed_from")
    return f"{f.form_id or ''} (formerly {was})" if was else (f.form_id or "")


def sentence(f: Finding) -> str:
    """One or two plain sentences saying what changed and what the evidence says of it."""
    d, form = f.details, _form(f)
    name = ", ".join(f.fields)
    rule = f.rule
    if rule == "removed_protected":
        why = f" ({d['reason']})" if d.get("reason") else ""
        return f"{name} is removed from {form}, but it is protected{why}. Keep it on the form."
    if rule == "removed_keep":
        return (f"{name} is removed from {form}, but the evidence says keep it: "
                f"{_wins(d)}.{_because(d)}")
    if rule == "removed_make_optional":
        return (f"{name} is removed from {form}; the evidence says make it optional instead, "
                f"so the leads who answer it still tell sales.{_because(d)}")
    if rule == "removed_drop":
        return f"{name} is removed from {form}, as the evidence supports: {_wins(d)}."
    if rule == "removed_test":
        plan = ""
        weeks, h = d.get("weeks"), d.get("horizon_days")
        closing = closing_text(h)
        if weeks is not None and d.get("feasible"):
            plan = (f" An A/B test of {weeks_text(weeks)} of current traffic{closing} with and "
                    f"without {name} would settle it.")
        elif weeks is not None and d.get("feasible") is False:
            small = d.get("feasible_margin_12_weeks")
            plan = (f" An A/B test with and without {name} could not settle it at current "
                    f"traffic (it would take about {years_text(weeks)})"
                    + (f"; 12 weeks{closing} could detect a change of {num(small)} won deals "
                       "per 1,000 views." if small is not None else "."))
        elif d.get("views_per_arm"):
            days = d.get("days")
            when = (f" (about {days:,} days at current traffic"
                    + (": not feasible as it stands)" if days > 730 else ")")) if days else ""
            plan = (f" An A/B test of {d['views_per_arm']:,} views per arm{when} with and "
                    f"without {name} would settle it.")
        basis = f" ({d['basis']})" if d.get("basis") else ""
        return (f"{name} is removed from {form}, but the evidence cannot yet tell whether "
                f"that costs won deals: {_wins(d)}{basis}.{plan}")
    if rule == "removed_unknown":
        return (f"{name} is removed from {form}, but the evidence (as of {d.get('as_of')}) "
                f"does not know {name}: what it costs in submissions and won deals is "
                f"unmeasured. Re-run formfit analyze with the base's forms file, which shows "
                f"{name}, so that the evidence knows it; then an A/B test of {form} with and "
                f"without {name} would settle it (formfit design --fields {name} sizes it).")
    if rule.startswith("joint_"):
        return _joint(f)
    if rule == "added_field":
        return _added(f)
    return _listed(f)


def _joint(f: Finding) -> str:
    d, form = f.details, _form(f)
    what = f"{len(f.fields)} fields leave {form} together ({', '.join(f.fields)})"
    if f.rule == "joint_unjudged":
        return (f"{what}; the evidence cannot judge them as one change, so each was judged "
                "on its own (effects on the probability scale do not add up).")
    head = (f"{what}, judged as one change: won deals per 1,000 views {_ci(d)} against "
            f"{num(d.get('baseline'))} today")
    if f.rule == "joint_harm":
        return f"{head}: a loss, with 95% confidence."
    margin = num(d.get("margin"))
    if f.rule == "joint_ok":
        return f"{head}: no loss beyond the margin of {margin}, with 95% confidence."
    return f"{head}: a loss beyond the margin of {margin} cannot be ruled out."


def _added(f: Finding) -> str:
    d, form, name = f.details, _form(f), ", ".join(f.fields)
    if d.get("measured") == "this_form":
        return (f"{name} is added to {form}: conversion changes by {_ci(d)} percentage points, "
                "measured on this form's experiment.")
    if d.get("measured") == "other_forms":
        return (f"{name} is added to {form}: showing it changed conversion by {_ci(d)} "
                f"percentage points on {', '.join(d.get('forms') or [])} "
                f"({d.get('evidence')} evidence); on {form} it is unmeasured.")
    return (f"{name} is added to {form}: cost unmeasured (the evidence never saw {name} shown "
            "and hidden). Consider adding it as an A/B variant first.")


def _listed(f: Finding) -> str:
    d, form, name = f.details, _form(f), ", ".join(f.fields)
    simple: dict[str, Callable[[], str]] = {
        "made_required": lambda: f"{name} becomes required on {form}: expect some friction.",
        "made_optional": lambda: f"{name} becomes optional on {form}.",
        "form_added": lambda: f"form {form} is new: the evidence has nothing on it yet.",
        "form_removed": lambda: f"form {form} is no longer configured.",
        "form_renamed": lambda: _renamed(f),
        "form_added_protected": lambda: _lacks_protected(f),
        "experiment_changed": lambda: _experiment(f),
        "experiment_invalid": lambda: _invalid(f),
        "experiment_planned": lambda: _planned(f),
        "policy_changed": lambda: ("the policy section changes; this check applies the base's "
                                   "policy, the new one applies once merged."),
        "evidence_schema": lambda: (
            f"the evidence has schema_version {d.get('found')}; this formfit reads "
            f"{d.get('expected')}. Re-run formfit analyze with this version."),
        "evidence_srm": lambda: (
            f"the evidence's experiment {d.get('experiment')} failed its sample-ratio check "
            f"(p {num(d.get('p_value'))}): its randomized effects may be biased."),
    }
    if f.rule in simple:
        return simple[f.rule]()
    if f.rule == "evidence_stale":
        if d.get("age_days") is None:
            return ("the evidence has no as_of date, so its age is unknown. Re-run formfit "
                    "analyze on current data.")
        return (f"the evidence is {d['age_days']:,} days old (as of {d.get('as_of')}; the "
                f"limit is {d.get('max_age_days')}). Re-run formfit analyze on current data.")
    if f.rule == "evidence_future":
        ahead = int(d.get("days_ahead") or 0)
        return (f"the evidence is dated {d.get('as_of')}, {days_text(ahead)} after this "
                f"check's date ({d.get('checked_on')}), so its age is unknown: its "
                "as_of is wrong (analyze --as-of) or a clock is off. Re-run formfit analyze on "
                "current data without a future --as-of, or give check --as-of the date it "
                "should be judged at.")
    if f.rule == "evidence_forms":
        parts = []
        if d.get("missing"):
            parts.append(f"it has no {', '.join(d['missing'])}")
        if d.get("extra"):
            parts.append(f"it has {', '.join(d['extra'])}, which the base no longer configures")
        if d.get("changed"):
            parts.append(f"it saw other fields on {', '.join(d['changed'])}")
        return ("the evidence was computed for a different set of forms than the base: "
                f"{'; '.join(parts)}. Re-run formfit analyze with the current forms file.")
    return f.rule


_PAIRED_BY = {
    "only": "it is the only form added and {was} the only form removed",
    "experiment": "it is the only arm added to experiment {exp} and {was} the only arm removed",
    "fields": "it shares the most fields with {was}, which is removed",
}


def _renamed(f: Finding) -> str:
    d, form, was = f.details, f.form_id or "", f.details.get("renamed_from")
    why = _PAIRED_BY.get(str(d.get("paired_by")), "").format(was=was, exp=d.get("experiment"))
    return (f"form {form} is taken as {was} renamed ({why}), so its fields are judged as "
            f"changes of {was}. If {form} is a new form and not {was} renamed, retire {was} "
            "in a change of its own.")


def _lacks_protected(f: Finding) -> str:
    d, form, names = f.details, _form(f), ", ".join(f.fields)
    reasons = d.get("reasons") or {}
    why = "; ".join(str(v) if len(reasons) == 1 else f"{k}: {v}"
                    for k, v in reasons.items() if v)
    return (f"form {form} is new and does not show {names}, which the forms file protects"
            + (f" ({why})" if why else "")
            + f" and every other form shows. Show {names} on {form}.")


def _experiment(f: Finding) -> str:
    d, form = f.details, _form(f)

    def side(exp: Any, traffic: Any) -> str:
        if exp is None:
            return "no experiment"
        share = f", traffic {num(traffic)}" if traffic is not None else ""
        return f"experiment {exp}{share}"

    return (f"form {form} changes from {side(d.get('old_experiment'), d.get('old_traffic'))} "
            f"to {side(d.get('new_experiment'), d.get('new_traffic'))}: a running test's "
            "arms may no longer compare, and its sample-ratio check changes.")


def _invalid(f: Finding) -> str:
    d, arm, names = f.details, f.form_id or "", ", ".join(f.fields)
    exp = f"experiment {d.get('experiment')}"
    problem = d.get("problem")
    if problem == "traffic":
        rest = d.get("without_traffic") or []
        if rest:
            return (f"{exp}: the arms with traffic take {num(d.get('total'))} of its views, "
                    f"leaving nothing for {', '.join(rest)}. Lower the shares so that they "
                    "leave some, or give every arm its share.")
        return (f"{exp}: the traffic of its arms ({', '.join(d.get('arms') or [])}) sums to "
                f"{num(d.get('total'))}, not 1. Make the shares add up to 1.")
    if problem == "undesigned_difference":
        designed = ", ".join(d.get("designed") or []) or "none"
        parts = []
        if d.get("shows"):
            parts.append(f"shows {', '.join(d['shows'])}, which the other arms do not")
        if d.get("lacks"):
            parts.append(f"lacks {', '.join(d['lacks'])}, which the other arms show")
        return (f"{exp}: arm {arm} {' and '.join(parts)}, but the design varies only "
                f"{designed}: the effect of {names} would be confounded with the designed "
                f"fields. Make the arms agree on {names}, or add it to the experiment's "
                "fields.")
    if problem == "protected_designed":
        return (f"{exp} varies {names}, which the forms file protects: some arms would drop "
                "it. Take it out of the experiment's fields and show it on every arm.")
    return (f"{exp}: arm {arm} does not show {names}, which the forms file protects and "
            "other arms show. Put it on every arm.")


def _planned(f: Finding) -> str:
    d = f.details
    arms = d.get("arms") or []
    designed = d.get("designed_fields") or []
    varies = f", varying {', '.join(designed)}" if designed else ""
    days = d.get("planned_days")
    runtime = (f"planned to run {days:,} days" if isinstance(days, int)
               else "no planned runtime (add planned_days under experiments:)")
    if d.get("sequential"):
        n_star = d.get("n_star")
        tuned = (f", N* {n_star:,}" if isinstance(n_star, int)
                 else "; pin n_star under experiments: so that N* stays fixed")
        watch = (f"running since {d.get('started')}: analyze watches it with always-valid "
                 f"intervals (confidence sequences{tuned}), so it can be looked at daily")
    else:
        watch = ("not started: give it started: YYYY-MM-DD when it goes live, so that "
                 "analyze watches it with always-valid intervals")
    return (f"experiment {d.get('experiment')} ({len(arms)} arms: {', '.join(arms)}{varies}), "
            f"{runtime}; {watch}.")


def title(f: Finding) -> str:
    where = " ".join(x for x in (f.form_id or "", ", ".join(f.fields)) if x)
    return f"formfit: {RULE_TITLES.get(f.rule, f.rule)}" + (f" ({where})" if where else "")


def summary(report: CheckReport) -> str:
    c = report.counts()
    ev = report.evidence
    h = f", h = {ev.horizon_days} days" if ev.horizon_days is not None else ""
    verdict = "fails the policy" if report.exit_code else "passes the policy"
    counts = ", ".join(f"{c[k]} {k}{'' if c[k] == 1 else 's'}"
                       for k in ("error", "warning", "notice"))
    return (f"formfit check {report.base} -> {report.head}: {verdict} ({counts}; evidence "
            f"{ev.source} as of {ev.as_of or 'unknown'}{h})")


# --- text ---------------------------------------------------------------------------------------

# The escaping rules live in formfit.renderers.escape, one per channel; these names are the
# ones this module (and the CLI) always used. Imported where used: the import block is shared.

def plain(text: Any) -> str:
    """The terminal rule: control characters (newlines included) shown as escapes."""
    from formfit.renderers.escape import terminal

    return terminal(text)


def render_text(report: CheckReport) -> str:
    lines = [plain(summary(report))]
    for f in report.findings:
        where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "-")
        lines.append(f"  {f.level.upper():7} {plain(where)}  {plain(sentence(f))}")
    from formfit.renderers.escape import no_commands

    return no_commands("\n".join(lines) + "\n")


# --- GitHub workflow commands -------------------------------------------------------------------

def gh_data(text: Any) -> str:
    """Escape a workflow command's message, as GitHub's toolkit does."""
    from formfit.renderers import escape

    return escape.gh_data(text)


def gh_property(text: Any) -> str:
    """Escape a workflow command's property value (``:`` and ``,`` too)."""
    from formfit.renderers import escape

    return escape.gh_property(text)


def render_github(report: CheckReport) -> str:
    lines = []
    for f in report.findings:
        props = []
        if f.file:
            props.append(f"file={gh_property(f.file)}")
            if f.line:
                props.append(f"line={f.line}")
        props.append(f"title={gh_property(title(f))}")
        lines.append(f"::{f.level} {','.join(props)}::{gh_data(sentence(f))}")
    # the summary is printed as data too: a base named '::x' must not become a command
    lines.append(gh_data(summary(report)))
    return "\n".join(lines) + "\n"


# --- Markdown -----------------------------------------------------------------------------------

_ICON = {"error": "❌ error", "warning": "⚠️ warning", "notice": "ℹ️ notice"}


def _age(days: int | None) -> str:
    if days is None:
        return ""
    if days < 0:
        return f" (dated {-days:,} day{'' if days == -1 else 's'} after this check)"
    return f" ({days:,} day{'' if days == 1 else 's'} old)"


def render_markdown(report: CheckReport) -> str:
    ev = report.evidence
    rows = ["## formfit check", "", f"**{md_escape(summary(report))}**", ""]
    if report.findings:
        rows += ["| level | where | change | what the evidence says |", "|---|---|---|---|"]
        for f in report.findings:
            where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "")
            rows.append(f"| {_ICON[f.level]} | {md_escape(where)} | "
                        f"{md_escape(RULE_TITLES.get(f.rule, f.rule))} | "
                        f"{md_escape(sentence(f))} |")
    else:
        rows.append("No form changes.")
    rows += ["", f"Evidence: {md_escape(ev.source)}, as of {md_escape(ev.as_of or 'unknown')}"
             + _age(ev.age_days)
             + f", schema {ev.schema_version}, margin {md_escape(ev.margin or 'unknown')}. "
             "Intervals are 95% and fixed-horizon: re-running the gate on accumulating data "
             "is peeking."]
    return "\n".join(rows) + "\n"


# --- JSON and SARIF -----------------------------------------------------------------------------

def render_json(report: CheckReport) -> str:
    data = report.to_dict()
    for f, d in zip(report.findings, data["findings"], strict=True):
        d["title"] = title(f)
        d["message"] = sentence(f)
    data["summary"] = summary(report)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


_SARIF_LEVEL = {"error": "error", "warning": "warning", "notice": "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif_uri(path: str) -> str:
    """A file path as the URI reference SARIF requires: an absolute path as a ``file://`` URI,
    a relative one percent-encoded (spaces, ``#``, ``%``, ``?``, ``:`` ...), with ``/``
    between its segments."""
    from pathlib import Path, PureWindowsPath
    from urllib.parse import quote

    if Path(path).is_absolute():
        return Path(path).as_uri()
    if PureWindowsPath(path).is_absolute():  # C:/forms.yaml read on another system
        return PureWindowsPath(path).as_uri()
    return quote(path.replace("\\", "/"), safe="/")


def render_sarif(report: CheckReport) -> str:
    """SARIF 2.1.0 (OASIS), for GitHub code scanning and other dashboards."""
    used = sorted({f.rule for f in report.findings})
    index = {r: i for i, r in enumerate(used)}
    rules = [{"id": r, "name": r, "shortDescription": {"text": RULE_TITLES.get(r, r)},
              "defaultConfiguration": {"level": _SARIF_LEVEL.get(
                  str(report.policy.get(r, "warning")), "warning")}} for r in used]
    results = []
    for f in report.findings:
        res: dict[str, Any] = {"ruleId": f.rule, "ruleIndex": index[f.rule],
                               "level": _SARIF_LEVEL[f.level],
                               "message": {"text": sentence(f)}}
        if f.file:  # a forms file read from stdin has no location to point at
            res["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": sarif_uri(f.file)},
                "region": {"startLine": f.line or 1}}}]
        res["properties"] = {"form_id": f.form_id, "fields": list(f.fields)}
        results.append(res)
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "formfit",
                                         "version": report.formfit_version,
                                         "rules": rules}},
                     "results": results}]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_github_error(message: str, hint: str) -> str:
    """Bad input as an annotation, so that a failing check says why on the pull request."""
    text = f"{message} Hint: {hint}" if hint else message
    return f"::error title={gh_property('formfit check: bad input')}::{gh_data(text)}\n"


RENDERERS: dict[str, Callable[[CheckReport], str]] = {
    "text": render_text, "json": render_json, "markdown": render_markdown,
    "github": render_github, "sarif": render_sarif,
}
