"""The Markdown report, for pull requests and ``$GITHUB_STEP_SUMMARY``.

A one-line summary, the field table, details in ``<details>`` blocks, and warnings. Every
user-supplied string (field names, form ids, values, messages, file names) goes through
:func:`~formfit.renderers.text.md_escape`, so nothing from the data can break a table row, open a
tag or a link, or run as HTML.
"""

from __future__ import annotations

import re

from formfit.renderers.plans import plan_rows, plan_summary
from formfit.renderers.text import (
    EVIDENCE_MEANING,
    VERDICT_LABEL,
    accounting_rows,
    count,
    header_facts,
    input_files,
    margin_text,
    md_escape,
    num,
    pct,
    predictive_text,
    pval,
    sort_fields,
    srm_bad,
    srm_rows,
    summary_line,
    warning_text,
    watched_text,
)
from formfit.renderers.words import natural_order, plain
from formfit.results import AnalysisResult, Estimate, FieldResult

E = md_escape


def _est(est: Estimate) -> str:
    """'+1.8 (0.6 to 3.0)': parentheses, which need no escaping in a table."""
    if est.estimate is None:
        return "—"
    if est.ci_low is None or est.ci_high is None:
        return num(est.estimate, sign=True)
    return f"{num(est.estimate, sign=True)} ({num(est.ci_low)} to {num(est.ci_high)})"


def _code(code: str) -> str:
    """A warning code as a code span when it is one of ours (A-Z, digits, _), else escaped."""
    return f"`{code}`" if re.fullmatch(r"[A-Z0-9_]+", code) else E(code)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _field_table(result: AnalysisResult) -> list[str]:
    head = ["field", "verdict", "Δ conversion pp (95% CI)", "Δ win rate pp",
            "Δ wins / 1k views (95% CI)", "predictive (IV, q)", "evidence", "fill", "junk",
            "forms"]
    lines = [_row(head), _row(["---", "---", "---:", "---:", "---:", "---", "---", "---:",
                               "---:", "---"])]
    for f in sort_fields(result.fields):
        de = f.drop_effect
        lines.append(_row([
            f"**{E(f.field)}**",
            E(VERDICT_LABEL.get(f.verdict, f.verdict)),
            E(_est(de.conversion_pp)),
            E(num(de.win_rate_pp.estimate, sign=True)),
            E(_est(de.wins_per_1k_views)),
            E(predictive_text(f)),
            E(de.evidence),
            E(pct(f.fill_rate)),
            E(pct(f.junk_rate)),
            E(", ".join(f.forms)),
        ]))
    return lines


def _details_field(f: FieldResult) -> list[str]:
    de = f.drop_effect
    out = [f"#### {E(f.field)}: {E(VERDICT_LABEL.get(f.verdict, f.verdict))}", "",
           E(f.reason_text or "No reason given."), ""]
    facts = [f"evidence: {E(de.basis or de.evidence)}"]
    if de.aliased_with:
        facts.append("always shown together with " + ", ".join(E(a) for a in de.aliased_with))
    facts.append("forms: " + (", ".join(E(x) for x in f.forms) or "none"))
    facts.append(f"required: {'yes' if f.required else 'no'}; protected: "
                 f"{'yes' if f.protected else 'no'}")
    if f.test_plan is not None:
        facts.append(f"test plan: {E(plan_summary(f.test_plan))}")
    out += [f"- {x}" for x in facts] + [""]
    if f.test_plan is not None and f.test_plan.detectable_by_week:
        out += ["Smallest change a test detects (80% power, 5% two-sided, today's traffic "
                "split in two):", "",
                _row(["test runs", "read out", "Δ won deals per 1,000 views", "Δ conversion"]),
                _row(["---", "---", "---:", "---:"])]
        out += [_row([E(r["runtime"]), E(r["readout"]), E(r["wins"]), E(r["conversion"])])
                for r in plan_rows(f.test_plan)] + [""]
    rows = [("Δ conversion (pp)", de.conversion_pp), ("Δ win rate (pp)", de.win_rate_pp),
            ("Δ won deals per 1,000 views", de.wins_per_1k_views),
            ("Δ revenue per 1,000 views", de.revenue_per_1k_views)]
    out += [_row(["if removed", "estimate", "95% CI", "p", "note"]),
            _row(["---", "---:", "---", "---:", "---"])]
    for label, est in rows:
        interval = (f"{num(est.ci_low, sign=True)} to {num(est.ci_high, sign=True)}"
                    if est.ci_low is not None and est.ci_high is not None else "—")
        out.append(_row([label, E(num(est.estimate, sign=True)), E(interval),
                         E(pval(est.p_value)) if est.with_p else "",
                         E(plain(est.code) if est.code else "")]))
    p = f.predictive
    out += ["", f"Predictive value of its values: IV {E(num(p.information_value))}, "
                f"LR p {E(pval(p.lr_p_value))}, q {E(pval(p.q_value))}, kind {E(p.kind)}, "
                f"{count(p.leads)} mature leads"
            + (f"; notes: {', '.join(E(plain(c)) for c in p.codes)}" if p.codes else "") + ".",
            ""]
    if p.win_rate_by_value:
        out += [_row(["value", "leads", "wins", "win rate", "95% CI"]),
                _row(["---", "---:", "---:", "---:", "---"])]
        for v in natural_order(list(p.win_rate_by_value),
                               [x.value for x in p.win_rate_by_value]):
            interval = (f"{pct(v.ci_low)} to {pct(v.ci_high)}"
                        if v.ci_low is not None and v.ci_high is not None else "—")
            out.append(_row([E(v.value), count(v.leads), count(v.wins), E(pct(v.win_rate)),
                             E(interval)]))
        out.append("")
    return out


def _accounting(result: AnalysisResult) -> list[str]:
    rows = accounting_rows(result)
    if not rows:
        return []
    out = ["<details><summary>Inputs: where every row went</summary>", "",
           _row(["input", "file", "rows read", "rows used", "excluded", "notes"]),
           _row(["---", "---", "---:", "---:", "---", "---"])]
    for r in rows:
        excluded = "; ".join(f"{E(k)}: {n}" for k, n in r["excluded"]) or "—"
        notes = "; ".join(f"{E(k)}: {E(n)}" for k, n in r["notes"]) or "—"
        out.append(_row([E(r["role"]), E(r["file"]) or "—", r["rows_read"], r["rows_used"],
                         excluded, notes]))
    return out + ["", "</details>", ""]


def _srm(result: AnalysisResult) -> list[str]:
    rows = srm_rows(result)
    if not rows:
        return []
    out = ["<details><summary>Experiments: sample ratio checks</summary>", "",
           _row(["experiment", "views per variant", "chi²", "p", "status"]),
           _row(["---", "---", "---:", "---:", "---"])]
    for r in rows:
        status = E(r["status"])
        out.append(_row([E(r["experiment"]), E(r["variants"]), E(r["chi2"]), E(r["p_value"]),
                         f"**{status}**" if srm_bad(r["status"]) else status]))
    return out + ["", "</details>", ""]


def render_markdown(result: AnalysisResult) -> str:
    """The Markdown report text (GitHub-flavoured), ending in a newline."""
    n_warn = len(result.warnings)
    files = ", ".join(f"{role} {E(name)}" for role, name in input_files(result))
    lines = [
        "## formfit: what each form field costs and is worth", "",
        f"**{E(summary_line(result))}** · {n_warn} warning{'s' if n_warn != 1 else ''}", "",
        " · ".join(E(x) for x in header_facts(result))
        + (f" · inputs: {files}" if files else ""), "",
    ]
    lines += _field_table(result)
    lines += ["", "Δ is the change if the field were removed from the forms that show it; "
              "intervals are 95%, fixed-horizon. Decide on Δ wins / 1k views: won deals per "
              f"1,000 form views. Margin: {E(margin_text(result))}.", ""]
    watched = watched_text(result)
    if watched:
        lines += [f"**Watched experiments.** {E(watched)}", ""]
    lines += ["<details><summary>Why: one sentence per field</summary>", ""]
    lines += [f"- **{E(f.field)}**: {E(VERDICT_LABEL.get(f.verdict, f.verdict))}. "
              f"{E(f.reason_text)}" for f in sort_fields(result.fields)]
    lines += ["", "</details>", ""]
    lines += ["<details><summary>Field details</summary>", ""]
    for f in sort_fields(result.fields):
        lines += _details_field(f)
    lines += ["</details>", ""]
    lines += _srm(result)
    lines += [f"### Warnings ({n_warn})" if n_warn else "### Warnings: none", ""]
    for wd in result.warnings:
        code, message = warning_text(wd)
        lines.append(f"- {_code(code)}: {E(message)}")
    if n_warn:
        lines.append("")
    lines += _accounting(result)
    lines += ["<details><summary>Method</summary>", ""]
    lines += [f"- **{k}**: {E(v)}" for k, v in EVIDENCE_MEANING.items()]
    lines += [(f"- {E(watched)}" if watched else "- Intervals are 95% and fixed-horizon (not "
               "corrected for re-running on accumulating data).")
              + " Drop decisions are held together across fields with Holm.",
              f"- Margin: {E(margin_text(result))}: the largest loss of won deals accepted "
              "to drop a field.",
              "- Maturity window: wins are counted within that many days of submission, the "
              "time by which wins stop arriving; younger leads count in proportion to the "
              "share of wins their age has shown, open deals are never counted as lost.",
              "", "</details>", ""]
    return "\n".join(lines)
