"""From evidence to a designed experiment: which fields, which fraction, how long, which arms.

Sizing: each main effect of a two-level design compares the views of the arms that show the
field with those of the arms that hide it, half and half, whatever the other fields do (the
design is balanced and orthogonal), so a field's detectable change after w weeks is that of a
two-arm test with ``views_per_day * 7 * w / 2`` views per arm on the forms that show it:
:func:`formfit.models.power.detectable_change_per_1k`, the same rule as the test plans (80%
power, 5% two-sided), from the same baseline (wins per 1,000 views) and margin. Results are
readable ``horizon_days`` after the last view (the maturity window). Once its arms go live
with ``started:`` set, ``analyze`` reads the experiment with always-valid intervals tuned to
its planned views (N*); the change detectable that way at the planned runtime is wider, by
:func:`formfit.models.power.sequential_factor` (about 1.39x), and is reported beside.

Resolution: IV (main effects clear of two-field interactions) when every field's margin is
detectable within the planned weeks; otherwise the smallest resolution III fraction, whose
main effects are clear only if two-field interactions are small (the report says so). Power
per main effect is the same in both; IV costs more arms, which is worth it only when the
experiment can settle the fields at all.

Blocking: each form that shows a designed field runs the same runs (one experiment per form,
so the friction model gives each form its own intercept); on a form, fields it does not show
stay off, and runs that coincide there are merged into one arm with their summed traffic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from formfit.design.factorial import MAX_FACTORS, Fraction, smallest
from formfit.errors import UsageError
from formfit.results import AnalysisResult, FieldResult
from formfit.results_design import DesignArm, DesignField

WEEKS_SHOWN = (2, 4, 8, 12)
DEFAULT_WEEKS = 12  # when the margins cannot be reached within a year
MAX_WEEKS = 52


@dataclass(frozen=True)
class FieldFacts:
    """What the evidence says about one field to be designed."""

    result: FieldResult
    forms: tuple[str, ...]
    views_per_day: float
    baseline: float | None
    margin: float | None

    def weeks_needed(self) -> int | None:
        from formfit.models.power import views_per_arm

        if self.baseline is None or self.margin is None or not self.views_per_day > 0:
            return None
        n = views_per_arm(self.baseline, self.margin)
        return None if n is None else int(math.ceil(2 * n / (7 * self.views_per_day)))

    def detectable(self, weeks: int) -> float | None:
        from formfit.models.power import detectable_change_per_1k

        if self.baseline is None:
            return None
        return detectable_change_per_1k(self.baseline, self.views_per_day * 7 * weeks / 2)

    def detectable_watched(self, weeks: int) -> float | None:
        """:meth:`detectable` when read daily with a confidence sequence tuned to the planned
        views (the ``n_star`` the deployed config carries)."""
        from formfit.models.power import sequential_factor

        fixed = self.detectable(weeks)
        n = self.views_per_day * 7 * weeks
        return None if fixed is None or not n > 0 else fixed * sequential_factor(n / 2, n)


def default_fields(result: AnalysisResult) -> tuple[str, ...]:
    """Every `test` field and every field with no evidence, unless protected."""
    return tuple(f.field for f in result.fields if not f.protected and (
        f.verdict == "test" or f.drop_effect.evidence == "none"))


def choose_fields(result: AnalysisResult, asked: Sequence[str] | None, source: str
                  ) -> tuple[FieldResult, ...]:
    """The fields to design, checked: known, not protected, 1..10 of them, on some form."""
    by_name = {f.field: f for f in result.fields}
    folded = {f.field.casefold(): f.field for f in result.fields}
    names = list(asked) if asked else list(default_fields(result))
    unknown = [n for n in names if n not in by_name and n.casefold() not in folded]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], list(by_name), n=1)
        raise UsageError(
            f"--fields names {', '.join(repr(n) for n in unknown)}, not a field of evidence "
            f"{source}" + (f"; did you mean {close[0]!r}?" if close else "."),
            "Fields in the evidence: " + ", ".join(by_name) + ".")
    chosen = [by_name.get(n) or by_name[folded[n.casefold()]] for n in names]
    chosen = list({f.field: f for f in chosen}.values())  # each once
    protected = [f.field for f in chosen if f.protected]
    if protected:
        raise UsageError(f"{', '.join(protected)} {'is' if len(protected) == 1 else 'are'} "
                         "protected: an experiment may not hide it.",
                         "Leave protected fields out of --fields; they stay on in every arm.")
    if not chosen:
        raise UsageError(f"evidence {source} has no field to design an experiment for (no "
                         "`test` verdict and no field without evidence).",
                         "Name the fields to test with --fields F,G,...")
    if len(chosen) > MAX_FACTORS:
        raise UsageError(f"{len(chosen)} fields to design; at most {MAX_FACTORS} fit one "
                         "two-level fractional factorial here.",
                         f"Pick the {MAX_FACTORS} that matter most with --fields F,G,...; test "
                         "the rest in a second experiment.")
    off_form = [f.field for f in chosen if not f.forms]
    if off_form:
        raise UsageError(f"{', '.join(off_form)} is shown on no form in evidence {source}.",
                         "An experiment can only vary fields that a form shows or showed; "
                         "leave it out of --fields.")
    return tuple(chosen)


def _relative_margin(result: AnalysisResult) -> float | None:
    text = str(result.settings.get("margin") or "2%").strip()
    if text.endswith("%"):
        try:
            value = float(text[:-1]) / 100.0
        except ValueError:
            return None
        return value if value > 0 else None
    return None


def _form_baselines(result: AnalysisResult) -> dict[str, float]:
    """Wins per 1,000 views per form from the cumulative incidence of winning and conversion:
    the baseline when the margin is absolute (a relative one gives the field's own baseline)."""
    wins = result.models.get("wins") if isinstance(result.models, Mapping) else None
    rows = wins.get("cumulative_incidence", []) if isinstance(wins, Mapping) else []
    conv = {f.form_id: f.conversion_rate for f in result.forms}
    out: dict[str, float] = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, Mapping) and row.get("version") is None:
            fid, cif = str(row.get("form_id")), row.get("cif")
            rate = conv.get(fid)
            if isinstance(cif, (int, float)) and rate is not None:
                out[fid] = 1000.0 * float(cif) * rate
    return out


def field_facts(result: AnalysisResult, chosen: Sequence[FieldResult], source: str
                ) -> tuple[FieldFacts, ...]:
    """Traffic, baseline and margin per chosen field; UsageError when traffic is unknown."""
    daily = {f.form_id: f.views_per_day for f in result.forms}
    missing = sorted({fid for f in chosen for fid in f.forms if daily.get(fid) is None})
    if missing:
        raise UsageError(
            f"evidence {source} has no daily views for form {', '.join(missing)}: an "
            "experiment cannot be sized without today's traffic.",
            "Run analyze with a views file that has dates (--views), with this version of "
            "formfit, and pass its JSON as --evidence.")
    rel = _relative_margin(result)
    form_base = _form_baselines(result) if rel is None else {}
    out = []
    for f in chosen:
        vpd = float(sum(daily[fid] or 0.0 for fid in f.forms))
        margin = f.margin_wins_per_1k
        baseline: float | None = None
        if rel is not None and margin is not None:
            baseline = margin / rel
        elif form_base and all(fid in form_base for fid in f.forms) and vpd > 0:
            baseline = sum(form_base[fid] * (daily[fid] or 0.0) for fid in f.forms) / vpd
        out.append(FieldFacts(f, tuple(f.forms), vpd, baseline, margin))
    if not any(x.views_per_day > 0 for x in out):
        raise UsageError(f"evidence {source}: the forms that show these fields had no views "
                         "in their last 28 days of data.",
                         "Size the experiment on evidence with recent views.")
    return tuple(out)


def plan_weeks(facts: Sequence[FieldFacts], weeks: int | None) -> tuple[int, str]:
    """The planned weeks: --weeks, else the weeks that detect every margin (if within a
    year), else 12."""
    if weeks is not None:
        if not 1 <= weeks <= 104:
            raise UsageError(f"--weeks {weeks} is not between 1 and 104.",
                             "Give the planned runtime in whole weeks, e.g. --weeks 8.")
        return weeks, "flag"
    needed = [x.weeks_needed() for x in facts]
    if needed and all(n is not None for n in needed):
        most = max(n for n in needed if n is not None)
        if most <= MAX_WEEKS:
            return max(1, most), "margins"
    if not _any_wins(facts):
        return DEFAULT_WEEKS, "no_wins"
    return DEFAULT_WEEKS, "default"


def _any_wins(facts: Sequence[FieldFacts]) -> bool:
    """Whether any designed field's forms won deals: without, no test can be sized at all."""
    return any(x.baseline is not None and x.baseline > 0 for x in facts)


def choose_fraction(k: int, facts: Sequence[FieldFacts], weeks: int) -> tuple[Fraction, str]:
    """Resolution IV (or more) when every margin is detectable in ``weeks``, else III."""
    needed = [x.weeks_needed() for x in facts]
    small = smallest(k, 3)
    if small.resolution is None or small.resolution >= 4:
        return small, "SMALLEST_IS_IV"
    if all(n is not None and n <= weeks for n in needed):
        return smallest(k, 4), "TRAFFIC_ALLOWS_IV"
    if not _any_wins(facts):
        return small, "NO_WINS_FOR_IV"
    return small, "TRAFFIC_TOO_LOW_FOR_IV"


def arms_for(result: AnalysisResult, facts: Sequence[FieldFacts], fraction: Fraction
             ) -> tuple[DesignArm, ...]:
    """Each form that shows a designed field gets the design's runs (merged where equal)."""
    names = [x.result.field for x in facts]
    matrix = fraction.run_matrix()
    order = [f.field for f in result.fields]
    optional = {f.field for f in result.fields if not f.required}
    taken = {f.form_id for f in result.forms}
    arms: list[DesignArm] = []
    for form in result.forms:
        cols = [j for j, x in enumerate(facts) if form.form_id in x.forms]
        if not cols:
            continue
        experiment = _fresh(f"{form.form_id}-design", taken)
        base = [f for f in form.fields if f not in names]
        patterns: dict[tuple[bool, ...], list[int]] = {}
        for run in range(fraction.runs):
            key = tuple(bool(matrix[run, j] > 0) for j in cols)
            patterns.setdefault(key, []).append(run + 1)
        for i, (key, runs) in enumerate(patterns.items(), start=1):
            on = [names[j] for j, shown in zip(cols, key, strict=True) if shown]
            fields = _with(list(form.fields), base, on, order)
            arms.append(DesignArm(
                form_id=_fresh(f"{form.form_id}-arm{i}", taken), base_form=form.form_id,
                experiment=experiment, traffic=len(runs) / fraction.runs, runs=tuple(runs),
                fields=tuple(fields), optional=tuple(f for f in fields if f in optional),
                shown={names[j]: shown for j, shown in zip(cols, key, strict=True)}))
    return tuple(arms)


def _with(shown: list[str], base: list[str], on: Sequence[str], order: Sequence[str]
          ) -> list[str]:
    """The form's own field order, without the designed fields it hides; a designed field it
    shows that the form does not show today goes after the last field that precedes it in
    the evidence's field order."""
    out = [f for f in shown if f in base or f in on]
    rank = {f: i for i, f in enumerate(order)}
    for f in on:
        if f in out:
            continue
        before = [i for i, g in enumerate(out) if rank.get(g, -1) < rank.get(f, -1)]
        out.insert(before[-1] + 1 if before else 0, f)
    return out


def _fresh(name: str, taken: set[str]) -> str:
    out, i = name, 2
    while out in taken:
        out, i = f"{name}-{i}", i + 1
    taken.add(out)
    return out


def estimable(arms: Sequence[DesignArm], names: Sequence[str]) -> bool:
    """Full column rank of [one intercept per form | presence of each designed field] over the
    arms, by the friction model's own pivoted-QR rank test (``formfit.models.design``)."""
    from formfit.models.design import _independent

    x = design_matrix(arms, names)
    return bool(len(_independent(x.T @ x)) == x.shape[1])


def design_matrix(arms: Sequence[DesignArm], names: Sequence[str]) -> np.ndarray[Any, Any]:
    """Rows: arms; columns: a 0/1 intercept per form, then 0/1 presence of each field."""
    forms = list(dict.fromkeys(a.base_form for a in arms))
    rows = [[1.0 if a.base_form == f else 0.0 for f in forms]
            + [1.0 if a.shown.get(n, False) else 0.0 for n in names] for a in arms]
    return np.asarray(rows, dtype=np.float64).reshape(len(arms), len(forms) + len(names))


def field_entry(x: FieldFacts, letter: str, aliases: tuple[tuple[str, ...], ...],
                weeks: int, horizon: int) -> DesignField:
    """The design's facts for one field: traffic, margin, detectable change by week."""
    shown = sorted({*WEEKS_SHOWN, weeks})
    return DesignField(
        name=x.result.field, letter=letter, verdict=x.result.verdict,
        evidence=x.result.drop_effect.evidence, forms=x.forms, views_per_day=x.views_per_day,
        baseline_wins_per_1k=x.baseline, margin_wins_per_1k=x.margin,
        weeks_needed=x.weeks_needed(),
        detectable=tuple((w, 7 * w + horizon, x.detectable(w)) for w in shown),
        aliases=aliases, detectable_watched=x.detectable_watched(weeks))
