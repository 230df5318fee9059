"""Predictive value of a field's values: how much they tell about whether a lead is won.

Estimands, per field f, on judged leads (won is 0 or 1, not NaN) whose form showed f:

* ``win_rate_by_value``: P(won | level of f) per level, with Wilson 95% intervals. Levels come
  from :func:`formfit.models.values.encode_field`: values (rare ones, and a literal "Other",
  pooled into "other"), numeric quantile bins, and "blank" (left empty) and "junk"
  (placeholder such as "Select", or filler) as levels of their own. Rows: biggest level first
  (numeric bins in their natural order instead), then "other", "blank", "junk"; at most 12.
  Text and personal fields are shown only as "filled", "junk", "blank": their values never
  appear in any output, notice or log.
* ``information_value``: IV = sum over levels of (w_i/W - l_i/L) * ln((w_i/W) / (l_i/L)) with
  0.5 added to every cell's wins and losses (so empty cells are finite), **bias-corrected**:
  under no association E[IV] ~ (k - 1)(1/W + 1/L) for k levels, W wins and L losses (the
  expectation of the chi-square-like sum (p_i - q_i)^2 / pi_i), so a 30-level noise field on a
  few thousand leads would otherwise read "medium". We report max(0, IV - (k-1)(1/W + 1/L)).
  The uncorrected value is available from :func:`information_value`. IV uses the model's
  levels: a pooled "other", "blank" or "junk" level with fewer than ``min_level_size`` leads
  counts with the largest level (it is listed on its own in the table all the same).
* ``lr_p_value``: the likelihood-ratio test of f's levels added to a logistic model with the
  form (fixed effects; forms with few leads pooled) and every other field's levels: f's value
  *given the rest*, so a field redundant with another shows a large p-value, and two fields
  that carry the same information can both look unimportant given each other (read IV, the
  marginal measure, beside it). See :mod:`formfit.models.predictive_lr`. Fields flagged
  POSSIBLE_LEAKAGE are not adjusted for in other fields' models: they are filled in after
  the outcome and conditioning on them would be wrong.
* ``q_value``: Benjamini-Hochberg across the fields tested in one call (exploratory "which
  fields carry signal"; not a basis for drop decisions).

``fill_rate`` and ``junk_rate`` are shares of *all* submissions whose form showed the field
(judged or not): usable answers, and placeholder or junk answers.

Assumptions: leads are independent; judged leads are representative of the leads whose
outcome is not yet known (maturity is handled upstream); the field's values were entered by
the lead at submission (the leakage rule below catches the common violation).

Codes in ``Predictive.codes``: NO_OUTCOMES (no outcomes input), NO_JUDGED_LEADS (outcomes, but
no lead old enough to judge), SMALL_SAMPLE (fewer than 20 wins or 20 losses), SEPARATION (a
level with no wins or no losses, or a fit that ran off to infinity: the test then uses Firth-
penalised likelihoods), POSSIBLE_LEAKAGE, CONSTANT (one level: nothing to learn), ALIASED (the
field's levels are a function of the other fields' and the form: no test), SUBSAMPLED (a giant
design: the LR test used a seeded random subsample). Notices name fields, never values.

Leakage rule (a field whose values know the outcome, e.g. a sales status): any of
(a) the field alone has an AUC of at least 0.9 over its levels; (b) one answer level holding at
least max(30, 2%) of the leads wins at >= 90% and covers >= 10% of the wins, and another wins
at <= 10% and covers >= 10% of the losses (certain wins and certain losses side by side);
(c) the field's name reads like a CRM-maintained attribute (tag, status, stage, quality,
activity, disposition, owner, score, ...) and its AUC alone is at least 0.65.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from formfit.inputs import Notice
from formfit.models.field_values import JUNK_CLASS, USABLE_CLASS, FieldValues
from formfit.models.predictive_lr import SMALL, lr_tests
from formfit.models.stats import benjamini_hochberg, wilson
from formfit.models.value_levels import BLANK, JUNK, OTHER, Encoded, encode_values
from formfit.models.values import KINDS, detect_kind_codes
from formfit.results import Predictive, ValueRate

MAX_DISPLAY_LEVELS = 12
SMOOTHING = 0.5
LEAK_AUC = 0.9
LEAK_NAME_AUC = 0.65
_LEAK_NAME_TOKENS = frozenset({
    "tag", "tags", "status", "stage", "quality", "activity", "disposition", "owner",
    "outcome", "converted", "conversion", "won", "lost", "closed", "reason", "assigned",
    "score", "grade", "qualified", "qualification", "mql", "sql", "rating",
})


@dataclass(frozen=True)
class FieldAssessment:
    fill_rate: float | None  # usable values / submissions of forms that show the field
    junk_rate: float | None  # placeholder or junk / same denominator
    predictive: Predictive
    notices: tuple[Notice, ...]


def information_value(wins: np.ndarray, leads: np.ndarray,
                      smoothing: float = SMOOTHING) -> tuple[float, float]:
    """(raw IV, bias-corrected IV) from wins and leads per level.

    Levels with no leads are ignored. ``raw = sum (pw_i - pl_i) ln(pw_i / pl_i)`` with
    ``pw_i = (w_i + s) / (W + k s)``, ``pl_i = (l_i + s) / (L + k s)``; corrected =
    ``max(0, raw - (k - 1)(1/W + 1/L))``. Returns (nan, nan) without wins or without losses.
    """
    w = np.asarray(wins, dtype=float)
    n = np.asarray(leads, dtype=float)
    keep = n > 0
    w, n = w[keep], n[keep]
    lo = n - w
    big_w, big_l, k = float(w.sum()), float(lo.sum()), len(n)
    if big_w <= 0 or big_l <= 0 or k == 0:
        return float("nan"), float("nan")
    pw = (w + smoothing) / (big_w + k * smoothing)
    pl = (lo + smoothing) / (big_l + k * smoothing)
    raw = float(np.sum((pw - pl) * np.log(pw / pl)))
    corrected = max(0.0, raw - (k - 1) * (1.0 / big_w + 1.0 / big_l))
    return raw, corrected


def level_auc(wins: np.ndarray, leads: np.ndarray) -> float:
    """In-sample AUC of scoring each lead by its level's win rate (ties count one half)."""
    w = np.asarray(wins, dtype=float)
    n = np.asarray(leads, dtype=float)
    keep = n > 0
    w, n = w[keep], n[keep]
    lo = n - w
    if w.sum() <= 0 or lo.sum() <= 0:
        return float("nan")
    rate = w / n
    rates, inv = np.unique(rate, return_inverse=True)
    gw = np.bincount(inv, weights=w, minlength=len(rates))
    gl = np.bincount(inv, weights=lo, minlength=len(rates))
    below = np.concatenate([[0.0], np.cumsum(gl)[:-1]])
    return float(np.sum(gw * (below + 0.5 * gl)) / (w.sum() * lo.sum()))


def win_rate_table(display: Sequence[str], wins: np.ndarray, leads: np.ndarray, *,
                   keep_order: bool = False) -> tuple[ValueRate, ...]:
    """Per display label: leads, wins, rate, Wilson interval.

    Biggest level first (``keep_order``: in the given order, for numeric bins), then "other",
    "blank", "junk"; levels without leads are left out; at most :data:`MAX_DISPLAY_LEVELS`
    rows (the smallest regular levels are merged into "other" beyond that).
    """
    agg: dict[str, list[float]] = {}
    for label, w, n in zip(display, wins, leads, strict=True):
        cell = agg.setdefault(label, [0.0, 0.0])
        cell[0] += float(w)
        cell[1] += float(n)
    agg = {k: v for k, v in agg.items() if v[1] > 0}
    specials = (OTHER, BLANK, JUNK)
    regular = [k for k in agg if k not in specials]
    if not keep_order:
        regular.sort(key=lambda k: (-agg[k][1], k))
    n_special = sum(s in agg for s in specials)
    if len(regular) + n_special > MAX_DISPLAY_LEVELS:
        room = MAX_DISPLAY_LEVELS - n_special - (0 if OTHER in agg else 1)
        by_size = sorted(regular, key=lambda k: (-agg[k][1], k))
        other = agg.setdefault(OTHER, [0.0, 0.0])
        for k in by_size[room:]:
            other[0] += agg[k][0]
            other[1] += agg[k][1]
        kept = set(by_size[:room])
        regular = [k for k in regular if k in kept]
    rows = []
    for k in [*regular, *(s for s in specials if s in agg)]:
        w, n = agg[k]
        lo, hi = wilson(w, n)
        rows.append(ValueRate(value=k, leads=int(n), wins=int(w), win_rate=w / n,
                              ci_low=lo, ci_high=hi))
    return tuple(rows)


def _leak_name(name: str) -> bool:
    tokens = re.split(r"[^0-9a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).casefold())
    return any(t in _LEAK_NAME_TOKENS for t in tokens)


def leakage_reason(name: str, enc: Encoded, wins: np.ndarray, leads: np.ndarray,
                   auc: float) -> str | None:
    """Why a field looks filled in after the outcome, in words, or None (rules: module doc)."""
    if np.isfinite(auc) and auc >= LEAK_AUC:
        return f"on its own it separates won from not-won leads almost perfectly (AUC {auc:.2f})"
    total_w, total_n = float(wins.sum()), float(leads.sum())
    total_l = total_n - total_w
    if total_w > 0 and total_l > 0:
        big = leads >= max(30.0, 0.02 * total_n)
        regular = np.array([lab not in (OTHER, BLANK, JUNK) for lab in enc.levels])
        rate = np.divide(wins, leads, out=np.zeros_like(wins), where=leads > 0)
        sure_win = big & regular & (rate >= 0.9) & (wins >= 0.1 * total_w)
        sure_loss = big & regular & (rate <= 0.1) & (leads - wins >= 0.1 * total_l)
        if sure_win.any() and sure_loss.any():
            return ("some of its answers go with near-certain wins and others with "
                    "near-certain losses")
    if _leak_name(name) and np.isfinite(auc) and auc >= LEAK_NAME_AUC:
        return (f"its name reads like a sales-maintained attribute and it predicts strongly "
                f"(AUC {auc:.2f})")
    return None


def _aligned(series: pd.Series, idx: pd.Index) -> pd.Series:
    """``series`` in the order of ``idx`` (as is when the indexes already agree, which also
    admits duplicate labels)."""
    return series if series.index.equals(idx) else series.reindex(idx)


def _notice(code: str, field: str, message: str, **details: object) -> Notice:
    return Notice(code=code, message=message, details={"field": field, **details})


def assess_fields(submissions: pd.DataFrame, fields: Sequence[str], shown: pd.DataFrame,
                  won: pd.Series, *,
                  kinds: Mapping[str, str] | None = None,
                  outcomes_given: bool = False) -> dict[str, FieldAssessment]:
    """Fill rate, junk rate and predictive value of each field (see the module docstring).

    ``submissions``: one row per analysed lead, a column per field (raw str, <NA> blank) and
    optionally ``form_id``; ``shown``: bool per lead and field (a missing column means shown
    everywhere); ``won``: 1.0 / 0.0 / NaN (not judged), same index. ``kinds`` overrides the
    detected kind of named fields; ``outcomes_given``: whether there were deals at all (a
    field with no judged lead is then NO_JUDGED_LEADS: every lead too young, not NO_OUTCOMES).
    """
    idx = submissions.index
    n = len(idx)
    y_all = pd.to_numeric(_aligned(won, idx), errors="coerce").to_numpy(dtype=float,
                                                                        na_value=np.nan)
    judged = np.isfinite(y_all)
    y = np.where(judged & (y_all >= 0.5), 1.0, 0.0)
    forms = None
    if "form_id" in submissions.columns:
        fc, _ = pd.factorize(submissions["form_id"].astype("str").fillna(""), sort=True)
        forms = np.asarray(fc, dtype=np.int64)

    encoded: dict[str, Encoded] = {}
    shown_masks: dict[str, np.ndarray] = {}
    rates: dict[str, tuple[float | None, float | None]] = {}
    for f in fields:
        # one factorisation per field: every rule below runs per distinct value. One field at
        # a time: two at once in threads saved about 0.5 s at 10M views but held two fields'
        # factorisations together and lifted the peak past 2 GB (measured 2026-12-02)
        fv = (FieldValues.factorize(submissions[f].astype("str")) if f in submissions.columns
              else FieldValues.missing(n))
        if f in shown.columns:
            sh = _aligned(shown[f], idx).fillna(False).to_numpy(dtype=bool)
        else:
            sh = np.ones(n, dtype=bool)
        cls = fv.classes
        n_shown = int(sh.sum())
        rates[f] = ((float(np.sum(sh & (cls == USABLE_CLASS)) / n_shown),
                     float(np.sum(sh & (cls == JUNK_CLASS)) / n_shown)) if n_shown
                    else (None, None))
        kind = (kinds or {}).get(f)
        if kind is None:
            kind = detect_kind_codes(f, fv.distinct, fv.codes[sh & (cls == USABLE_CLASS)])
        elif kind not in KINDS:
            raise ValueError(f"kind of field '{f}' must be one of {', '.join(KINDS)}, "
                             f"not {kind!r}")
        encoded[f] = encode_values(fv, cls, sh, judged, kind)
        shown_masks[f] = sh

    empty = "NO_JUDGED_LEADS" if outcomes_given else "NO_OUTCOMES"
    partial = {f: _describe(f, encoded[f], shown_masks[f] & judged, y, empty) for f in fields}
    samples = {f: part.sample for f, part in partial.items() if part.testable}
    firth_fields = {f for f, part in partial.items() if part.penalise}
    leaky = {f for f, part in partial.items() if "POSSIBLE_LEAKAGE" in part.codes}
    covariates = [f for f in fields if f not in leaky and f in samples]
    tests = lr_tests(encoded, samples, y, forms, covariates, firth_fields)
    p_values: list[float | None] = [tests[f].p_value if f in tests else None for f in fields]
    q_values = benjamini_hochberg(p_values)

    out: dict[str, FieldAssessment] = {}
    for f, p, q in zip(fields, p_values, q_values, strict=True):
        part = partial[f]
        codes_f = list(part.codes)
        notes = list(part.notes)
        test = tests.get(f)
        if test is not None:
            if test.diverged and f not in covariates:
                codes_f.append("SEPARATION")
            if test.df == 0 and "CONSTANT" not in codes_f:
                codes_f.append("ALIASED")
            if test.leads_used < test.leads_sampled and test.p_value is not None:
                codes_f.append("SUBSAMPLED")
                notes.append(_notice(
                    "SUBSAMPLED", f,
                    f"The likelihood-ratio test of field '{f}' used a random {test.leads_used:,} "
                    f"of its {test.leads_sampled:,} judged leads to bound memory; the win rates "
                    f"and information value use all of them.",
                    leads_used=test.leads_used, leads=test.leads_sampled))
        if "SEPARATION" in codes_f:
            notes.append(_notice(
                "SEPARATION", f,
                f"Field '{f}' has an answer level (alone or with other fields' answers) that "
                f"never or always wins among judged leads: its test uses Firth's penalised "
                f"likelihood, and such a level's win rate rests on few leads."))
        pred = Predictive(information_value=part.iv, lr_p_value=p, q_value=q,
                          win_rate_by_value=part.table, kind=encoded[f].kind,
                          leads=part.leads, codes=tuple(dict.fromkeys(codes_f)))
        fill, junk = rates[f]
        out[f] = FieldAssessment(fill_rate=fill, junk_rate=junk, predictive=pred,
                                 notices=tuple(notes))
    return out


@dataclass
class _Described:
    """What one field's levels show on its own, before the joint model."""

    sample: np.ndarray
    leads: int
    table: tuple[ValueRate, ...]
    iv: float | None = None
    codes: list[str] = field(default_factory=list)
    notes: list[Notice] = field(default_factory=list)
    testable: bool = False  # has wins and losses: an LR test is possible
    penalise: bool = False  # small sample or a zero cell: test with Firth from the start


def _describe(f: str, enc: Encoded, sample: np.ndarray, y: np.ndarray,
              empty: str = "NO_OUTCOMES") -> _Described:
    k = len(enc.levels)
    codes = enc.codes[sample]
    leads = np.bincount(codes, minlength=k).astype(float)
    wins = np.bincount(codes, weights=y[sample], minlength=k)
    table = win_rate_table(enc.display, wins, leads, keep_order=enc.kind == "numeric")
    total_w, total_n = float(wins.sum()), float(leads.sum())
    total_l = total_n - total_w
    out = _Described(sample=sample, leads=int(total_n), table=table)
    if total_n == 0:
        out.codes.append(empty)
        return out
    # IV, separation and leakage on the model's levels (tiny pooled levels merged)
    if enc.kind == "constant":
        out.codes.append("CONSTANT")
    mcodes = enc.model_codes[sample]
    m_leads = np.bincount(mcodes, minlength=k).astype(float)
    m_wins = np.bincount(mcodes, weights=y[sample], minlength=k)
    if int(np.sum(m_leads > 0)) <= 1 and "CONSTANT" not in out.codes:
        out.codes.append("CONSTANT")  # one level with leads: nothing to learn
    _, iv = information_value(m_wins, m_leads)
    out.iv = iv if np.isfinite(iv) else None
    small = total_w < SMALL or total_l < SMALL
    zero = bool(np.any((m_leads > 0) & ((m_wins == 0) | (m_wins == m_leads))))
    if small:
        out.codes.append("SMALL_SAMPLE")
        out.notes.append(_notice(
            "SMALL_SAMPLE", f,
            f"Field '{f}' rests on {int(total_w)} won and {int(total_l)} not-won judged "
            f"leads: its predictive value is rough (penalised estimates).",
            wins=int(total_w), losses=int(total_l)))
    out.testable = total_w > 0 and total_l > 0
    if zero and out.testable:
        out.codes.append("SEPARATION")
    out.penalise = small or zero
    auc = level_auc(m_wins, m_leads)
    reason = leakage_reason(f, enc, m_wins, m_leads, auc)
    if reason is not None:
        out.codes.append("POSSIBLE_LEAKAGE")
        out.notes.append(_notice(
            "POSSIBLE_LEAKAGE", f,
            f"Field '{f}' is probably filled in or changed after the lead came in: {reason}. "
            f"Treat its predictive value with suspicion; it is left out of the other fields' "
            f"models.", auc=round(auc, 4)))
    return out
