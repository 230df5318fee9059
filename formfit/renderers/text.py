"""Helpers every renderer shares: number formats, verdict order and labels, Markdown escaping.

Pure functions of result objects and plain values; nothing here knows about an output format
except :func:`md_escape`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from formfit.renderers.escape import no_commands as no_commands  # for table.py
from formfit.renderers.escape import terminal as terminal
from formfit.renderers.escape import visible
from formfit.renderers.words import plain
from formfit.results import VERDICT_ORDER, AnalysisResult, Estimate, FieldResult

VERDICT_LABEL: dict[str, str] = {
    "keep": "keep",
    "make_optional": "make optional",
    "test": "test",
    "drop": "drop",
    "protected": "protected",
}
EVIDENCE_SHORT: dict[str, str] = {
    "randomized": "rand.",
    "observational": "obs.",
    "aliased": "aliased",
    "none": "none",
}
EVIDENCE_MEANING: dict[str, str] = {
    "randomized": "the field's presence differs between variants of one A/B test that ran at "
                  "the same time: a causal comparison.",
    "observational": "the field was added or removed in a form's history (versions over time): "
                     "quasi-causal at best, since campaigns often coincide with form edits.",
    "aliased": "the field always appears together with other fields, so only the effect of "
               "removing the whole group can be estimated; the group gets one verdict.",
    "none": "the field was never removed from any form: its effect cannot be estimated from "
            "these data (different forms are not compared: their audiences differ).",
}
INPUT_ROLES = ("submissions", "views", "outcomes", "forms", "config")


# --- numbers ------------------------------------------------------------------------------------

def num(x: float | None, *, sign: bool = False) -> str:
    """A number with as many decimals as its size needs (1,234, 12.3, 2.1, 0.34, 0.034).

    ``None`` (and NaN) is shown as an em dash: unknown, never invented.
    """
    if x is None or not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 100:
        text = f"{x:,.0f}"
    elif a >= 0.95:
        text = f"{x:.1f}"
    else:
        text = f"{x:.{max(1, 1 - math.floor(math.log10(a)))}f}"
        text = text.rstrip("0").rstrip(".")
    if text in ("0", "-0"):
        return "0"
    return "+" + text if sign and not text.startswith("-") else text


def pct(x: float | None) -> str:
    """A share as a percentage: 0.934 -> '93%', 0.004 -> '0.4%'."""
    if x is None or not math.isfinite(x):
        return "—"
    v = 100.0 * x
    if v == 0:
        return "0%"
    if abs(v) < 10:
        return f"{v:.1f}%".replace(".0%", "%") if abs(v) >= 1 else f"{v:.1f}%"
    return f"{v:.0f}%"


def pval(p: float | None) -> str:
    """A p- or q-value: '<0.001', '0.004', '0.41'."""
    if p is None or not math.isfinite(p):
        return "—"
    if p < 0.001:
        return "<0.001"
    if p < 0.1:
        return f"{p:.3f}"
    return f"{p:.2f}"


def days_text(n: int) -> str:
    """'1 day', '84 days', '1,200 days'."""
    return "1 day" if n == 1 else f"{n:,} days"


def count(n: Any) -> str:
    """An integer count with thousands separators; '—' when unknown."""
    if n is None or isinstance(n, bool):
        return "—"
    try:
        return f"{int(n):,}"
    except (TypeError, ValueError):
        return str(n)


def ci(est: Estimate, *, sign: bool = True) -> str:
    """'[+0.6, +3.0]', or '' when the interval is unknown."""
    if est.ci_low is None or est.ci_high is None:
        return ""
    return f"[{num(est.ci_low, sign=sign)}, {num(est.ci_high, sign=sign)}]"


def est_ci(est: Estimate, *, sign: bool = True) -> str:
    """'+1.8 [+0.6, +3.0]', or '—' when unknown."""
    if est.estimate is None:
        return "—"
    interval = ci(est, sign=sign)
    return f"{num(est.estimate, sign=sign)} {interval}".strip()


def predictive_text(f: FieldResult) -> str:
    """'IV 0.12, q 0.003' or '—'."""
    p = f.predictive
    if p.information_value is None and p.q_value is None:
        return "—"
    return f"IV {num(p.information_value)}, q {pval(p.q_value)}"


# --- ordering and summaries ---------------------------------------------------------------------

def verdict_rank(verdict: str) -> int:
    return VERDICT_ORDER.index(verdict) if verdict in VERDICT_ORDER else len(VERDICT_ORDER)


def sort_fields(fields: Iterable[FieldResult]) -> list[FieldResult]:
    """By verdict (keep, make optional, test, drop, protected), then by net effect.

    Within a verdict the field whose removal costs most won deals per 1,000 views comes first;
    unknown effects last; ties by name.
    """
    def key(f: FieldResult) -> tuple[int, int, float, str]:
        w = f.drop_effect.wins_per_1k_views.estimate
        known = w is not None and math.isfinite(w)
        return (verdict_rank(f.verdict), 0 if known else 1, w if known and w is not None else 0.0,
                f.field)

    return sorted(fields, key=key)


def counted(n: int, noun: str) -> str:
    """'1 field', '7 fields', '1,200 leads': a count and its noun, singular for one."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def summary_line(result: AnalysisResult) -> str:
    """'7 fields: 1 keep, 1 make optional, 2 test, 2 drop, 1 protected'."""
    counts = result.verdict_counts()
    n = len(result.fields)
    parts = [f"{counts[v]} {VERDICT_LABEL.get(v, v)}" for v in VERDICT_ORDER if counts.get(v)]
    head = counted(n, "field")
    return head + (": " + ", ".join(parts) if parts else "")


def horizon_days(result: AnalysisResult) -> int | None:
    """The win horizon h actually used, from settings or models."""
    for value in (result.settings.get("maturity_days_used"), result.models.get("horizon_days"),
                  result.settings.get("maturity_days")):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
    return None


def win_share_by_horizon(result: AnalysisResult) -> float | None:
    """The estimated share of eventual wins that arrive within the horizon, if known."""
    wins = result.models.get("wins")
    timing = wins.get("timing") if isinstance(wins, dict) else None
    share = timing.get("share_of_wins_by_h") if isinstance(timing, dict) else None
    return float(share) if isinstance(share, (int, float)) else None


def margin_text(result: AnalysisResult) -> str:
    """The non-inferiority margin as the user gave it, in words."""
    margin = str(result.settings.get("margin", "")).strip()
    if margin.endswith("%"):
        return f"{margin} of today's won deals per 1,000 views"
    return f"{margin} won deals per 1,000 views"


FIXED_INTERVALS = ("All intervals are 95% and fixed-horizon: they assume the data were looked "
                   "at once, not re-checked daily as they accumulate.")


def watched_text(result: AnalysisResult) -> str | None:
    """The watched experiments and what their intervals are, in words; None when none is."""
    parts = []
    for e in result.experiments:
        days, planned = e.get("days_running"), e.get("planned_days")
        when = f"day {days}" + (f" of {planned} planned" if planned is not None else "")
        size, n_star = e.get("size_so_far"), e.get("n_star")
        unit = e.get("unit") or "views"
        sized = (f", {size:,} {unit} so far, N* {n_star:,}"
                 if isinstance(size, int) and isinstance(n_star, int) else "")
        parts.append(f"{e.get('name')} ({when}{sized}, {e.get('n_star_source')})")
    if not parts:
        return None
    return ("The randomized effects of experiment " + ", ".join(parts) + " have 95% "
            "always-valid intervals (confidence sequences, as GrowthBook computes them): "
            "they stay valid however often the report is re-run while the experiment runs, "
            "and are wider than fixed-horizon ones (at best 1.55x, at N*). All other "
            "intervals are 95% and fixed-horizon.")


def input_files(result: AnalysisResult) -> list[tuple[str, str]]:
    """(role, file name) for every input named in the settings, in a fixed order."""
    out = []
    for role in INPUT_ROLES:
        name = result.settings.get(role)
        if name:
            out.append((role, str(name)))
    return out


def header_facts(result: AnalysisResult) -> list[str]:
    """Short facts for a report header: as-of date, win horizon, margin."""
    h = horizon_days(result)
    share = win_share_by_horizon(result)
    if h is None:
        why = _no_horizon_reason(result)
        horizon = f"win horizon: none ({why})" if why else "win horizon: none"
    elif share is not None:
        horizon = f"wins counted to {days_text(h)} ({share:.0%} of eventual wins)"
    else:
        horizon = f"win horizon {days_text(h)}"
    facts = [f"as of {result.as_of or 'unknown'}", horizon,
             f"margin {result.settings.get('margin', '')}"]
    if result.settings.get("forms_inferred"):
        facts.append("fields per form inferred from submissions (no forms file)")
    return facts


def _no_horizon_reason(result: AnalysisResult) -> str:
    """Why the result has no win horizon, in words, from the basis the analysis recorded
    (``models.horizon_basis``): no outcomes file, no submission dates, or what it says."""
    basis = (result.horizon.basis or "").strip()
    if basis == "no outcomes":
        return "no outcomes file"
    if basis.startswith("no submission dates"):
        return "no submission dates"
    return basis


def warning_text(w: Mapping[str, Any]) -> tuple[str, str]:
    """(code, message) of a coded warning; extra keys are appended to the message, in plain
    words. The code stays as it is: a documented identifier, searchable in the README."""
    code = str(w.get("code") or "WARNING")
    message = str(w.get("message") or "")
    extra = [f"{plain(k)}: {_plain(v)}" for k, v in sorted(w.items(), key=lambda kv: str(kv[0]))
             if k not in ("code", "message") and v not in (None, "", [], {})]
    if extra:
        message = f"{message} ({'; '.join(extra)})" if message else "; ".join(extra)
    return code, message


def _plain(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return count(v)
    if isinstance(v, float):
        return num(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(_plain(x) for x in v)
    if isinstance(v, Mapping):
        return ", ".join(f"{plain(k)} {_plain(x)}" for k, x in v.items())
    return str(v)


def accounting_rows(result: AnalysisResult) -> list[dict[str, Any]]:
    """One row per input role: file, rows read and used, and every exclusion with its count."""
    rows = []
    files = dict(input_files(result))
    for role in sorted(result.inputs, key=lambda r: (INPUT_ROLES.index(r)
                                                     if r in INPUT_ROLES else 99, r)):
        acc = result.inputs[role]
        if not isinstance(acc, Mapping):
            continue
        excluded = acc.get("excluded") or {}
        notes: list[tuple[str, str]] = []
        for key, value in sorted(acc.items(), key=lambda kv: str(kv[0])):
            if key in ("rows_read", "rows_used", "excluded"):
                continue
            if isinstance(value, Mapping):
                for k, v in sorted(value.items(), key=lambda kv: str(kv[0])):
                    notes.append((f"{plain(key)}: {plain(k)}", count(v)))
            elif value not in (None, "", [], {}):
                notes.append((plain(key), _plain(value)))
        rows.append({
            "role": str(role),
            "file": files.get(str(role), ""),
            "rows_read": count(acc.get("rows_read")),
            "rows_used": count(acc.get("rows_used")),
            "excluded": [(plain(k), count(v)) for k, v in sorted(
                excluded.items(), key=lambda kv: str(kv[0]))] if isinstance(excluded, Mapping)
            else [],
            "notes": notes,
        })
    return rows


def srm_rows(result: AnalysisResult) -> list[dict[str, str]]:
    """Sample-ratio checks from ``result.models['srm']`` as display strings; [] when absent."""
    raw = result.models.get("srm") if isinstance(result.models, Mapping) else None
    if not isinstance(raw, Sequence) or isinstance(raw, (str, bytes)):
        return []
    rows = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        chi2 = item.get("chi2")
        rows.append({
            "experiment": str(item.get("experiment", "")),
            "variants": _variants(item.get("variants")),
            "chi2": num(chi2) if isinstance(chi2, (int, float)) else "—",
            "p_value": pval(item.get("p_value")) if isinstance(item.get("p_value"), (int, float))
            else "—",
            "status": str(item.get("status", "")),
        })
    return rows


def _variants(v: Any) -> str:
    if isinstance(v, Mapping):
        parts = []
        for k, x in v.items():
            if isinstance(x, Mapping):
                inner = ", ".join(f"{plain(a)} {_plain(b)}" for a, b in x.items())
                parts.append(f"{k} ({inner})")
            else:
                parts.append(f"{k} {_plain(x)}")
        return "; ".join(parts)
    if isinstance(v, (list, tuple)):
        out = []
        for x in v:
            if isinstance(x, Mapping):
                name = x.get("form_id", x.get("variant", x.get("name", "")))
                rest = ", ".join(f"{plain(k)} {_plain(y)}" for k, y in x.items()
                                 if k not in ("form_id", "variant", "name"))
                out.append(f"{name} ({rest})" if rest else str(name))
            else:
                out.append(str(x))
        return "; ".join(out)
    return "" if v is None else str(v)


def srm_bad(status: str) -> bool:
    """Whether an SRM status string signals a problem."""
    s = status.lower()
    return any(w in s for w in ("mismatch", "fail", "alarm", "srm", "bad"))


# --- Markdown -----------------------------------------------------------------------------------

_MD = {
    "\\": "\\\\", "|": "\\|", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]",
    "`": "&#96;", "<": "&lt;", ">": "&gt;", "&": "&amp;", "~": "\\~",
}


# what makes a line a heading, a list item or a rule (a mark followed by a space, or alone)
_BLOCK_START = re.compile(r"(#{1,6}|[-+])(\s|$)|=+\s*$")
_NUMBERED = re.compile(r"(\d{1,9})[.)](\s|$)")


def md_escape(text: Any) -> str:
    """Make any user-supplied string inert in Markdown (tables included) and in GitHub's HTML.

    ``|`` cannot end a table cell, ``<``/``>``/``&`` cannot open tags or entities, backticks
    cannot open code, ``*``/``_``/``~`` cannot emphasise, ``[``/``]`` cannot link, newlines
    become spaces so a cell stays on its row, and a leading ``#``, ``-``, ``+``, ``=`` or
    ``1.`` cannot make a heading, a list item or a rule. Other control characters and bidi
    controls are shown as escapes (:func:`~formfit.renderers.escape.visible`), their
    backslash then escaped as Markdown's.
    """
    s = visible(str(text).replace("\r\n", " ").replace("\r", " ").replace("\n", " "))
    out = "".join(_MD.get(ch, ch) for ch in s)
    # where a string starts a line, '#', '-', '+', '=' and '1.' would make a heading, a list
    # or a rule: escape the first such mark (harmless mid-line)
    lead = len(out) - len(out.lstrip(" "))
    body = out[lead:]
    if _BLOCK_START.match(body):
        return out[:lead] + "\\" + body
    numbered = _NUMBERED.match(body)
    if numbered:
        return out[:lead] + numbered.group(1) + "\\" + body[len(numbered.group(1)):]
    return out
