"""Data-health checks beside the win effects, on lead cells: join rates and deal sizes.

* **Join rate.** Within an experiment, leads must join to CRM deals at the same rate in every
  variant (a variant without the email field can lose its leads at the join). A chi-square test
  of (leads with a lost deal, leads with no deal) across variants, among leads with no won and
  no open deal at as_of, with p < 0.001 raises JOIN_RATE_MISMATCH. Restricted so: tested over
  all leads, the check fired on 11 of 12 simulated worlds without any join problem (the phone
  variants simply win more), and still caught a 15% join loss in one variant at p < 1e-13.
* **Deal size.** ``revenue_per_1k_views`` assumes removing a field changes how many deals are
  won, not their size. A Welch test of won leads' (winsorised) revenue with vs without each
  field, within the experiments and forms where the field varies, from the cells' n, sum and
  sum of squares; p < 0.001 raises DEAL_SIZE_DIFFERS.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from formfit.inputs import FormsConfig, Notice

JOIN_ALPHA = 0.001
DEAL_SIZE_ALPHA = 0.001  # as the SRM and join-rate alarms: several fields are tested at once
MIN_LEADS_PER_VARIANT = 20
MIN_DEALS_PER_SIDE = 10


def join_rate_checks(cells: pd.DataFrame, forms: FormsConfig) -> list[Notice]:
    """Per experiment: do leads join to a CRM deal at the same rate in every variant?

    ``cells``: lead cells with ``form_id``, ``lost`` and ``no_deal`` counts.
    """
    if not len(cells) or "lost" not in cells.columns:
        return []
    per_form = cells.groupby("form_id", sort=True)[["lost", "no_deal"]].sum()
    experiments: dict[str, list[str]] = {}
    for fid, spec in forms.forms.items():
        if spec.experiment:
            experiments.setdefault(spec.experiment, []).append(fid)
    notices: list[Notice] = []
    for exp, variants in sorted(experiments.items()):
        table = per_form.loc[per_form.index.isin(variants)]
        table = table.loc[(table["lost"] + table["no_deal"]) >= MIN_LEADS_PER_VARIANT]
        if len(table) < 2:
            continue
        obs = table[["lost", "no_deal"]].to_numpy(dtype=float)
        if (obs.sum(axis=0) == 0).any():
            continue
        p = float(stats.chi2_contingency(obs, correction=False).pvalue)
        if p >= JOIN_ALPHA:
            continue
        sets = [set(forms.forms[v].all_fields()) for v in table.index]
        differ = sorted(set().union(*sets) - sets[0].intersection(*sets[1:]))
        rates = {str(v): round(float(r["lost"] / (r["lost"] + r["no_deal"])), 4)
                 for v, r in table.iterrows()}
        notices.append(Notice("JOIN_RATE_MISMATCH", (
            f"In experiment {exp}, leads that have not won found a CRM deal at different rates "
            f"per variant ({', '.join(f'{k}: {v:.1%}' for k, v in rates.items())}; chi-square "
            f"p = {p:.2g}). Leads may be lost at the join (a variant without the email field?); "
            f"the win estimates of {', '.join(differ) if differ else 'this experiment'} are in "
            "doubt until the join is checked."),
            {"experiment": exp, "p_value": p, "deal_rate_not_won": rates, "fields": differ}))
    return notices


def _side(stats_: pd.DataFrame) -> tuple[float, float, float]:
    n = float(stats_["rev_n"].sum())
    s = float(stats_["rev_sum"].sum())
    ss = float(stats_["rev_sumsq"].sum())
    mean = s / n if n else float("nan")
    var = max(ss - n * mean * mean, 0.0) / (n - 1) if n > 1 else float("nan")
    return mean, float(np.sqrt(var)), n


def deal_size_check(cells: pd.DataFrame, forms: FormsConfig, fields: Sequence[str],
                    ) -> list[Notice]:
    """Welch test of won leads' revenue with vs without each field, within varying groups."""
    rev = cells.loc[cells["rev_n"] > 0]
    if rev.empty:
        return []
    per = rev.groupby(["form_id", "version"], sort=True)[["rev_n", "rev_sum", "rev_sumsq"]].sum(
    ).reset_index()
    per["group"] = [forms.forms[f].experiment or f if f in forms.forms else f
                    for f in per["form_id"]]
    flagged: dict[str, float] = {}
    for f in fields:
        shown = np.array(forms.shown_mask(per["form_id"], per["version"], f), dtype=bool)
        s = pd.Series(shown, index=per.index)
        varying = s.groupby(per["group"]).agg(lambda x: 0 < x.sum() < len(x))
        sel = per["group"].map(varying).fillna(False).to_numpy(dtype=bool)
        m1, s1, n1 = _side(per.loc[sel & shown])
        m0, s0, n0 = _side(per.loc[sel & ~shown])
        if n1 < MIN_DEALS_PER_SIDE or n0 < MIN_DEALS_PER_SIDE:
            continue
        p = float(stats.ttest_ind_from_stats(m1, s1, int(n1), m0, s0, int(n0),
                                             equal_var=False).pvalue)
        if p < DEAL_SIZE_ALPHA:
            flagged[f] = p
    if not flagged:
        return []
    return [Notice("DEAL_SIZE_DIFFERS", (
        "Won deals are larger or smaller where these fields are shown: "
        f"{', '.join(sorted(flagged))}. revenue_per_1k_views assumes a drop changes how many "
        "deals are won, not their size; read it with care for these fields."),
        {"fields": {k: flagged[k] for k in sorted(flagged)}})]
