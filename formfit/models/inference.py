"""Which covariance an interval uses, and the interval itself.

The rule (``se_method="auto"``; its simulation evidence is in :mod:`formfit.models.effects`),
per evidence block with G days as clusters:

- G >= ``MIN_CLUSTERS``, or G >= ``MIN_CLUSTERS_RANDOMIZED`` in a randomized block: the
  day-clustered sandwich with t(G-1) intervals;
- ``MIN_CLUSTERS_RANDOMIZED`` <= G < ``MIN_CLUSTERS`` in an observational block: the larger of
  that and the quasi-binomial variance;
- fewer days, or no dates: the quasi-binomial variance (Pearson scale on form-days, floored at
  1), t(df) when the scale is above 1;
- never below the binomial variance (normal interval when that floor binds).
"""

from __future__ import annotations

from typing import Literal

from scipy import stats

from formfit.models.glm import CellFit, FloatArray, quad
from formfit.models.stats import Z95
from formfit.results import Estimate

SeMethod = Literal["auto", "cluster", "quasi", "binomial"]
#: fewest days for cluster-robust errors (below: quasi-binomial scale)
MIN_CLUSTERS = 10
#: fewest days for cluster-robust errors alone in a randomized block
MIN_CLUSTERS_RANDOMIZED = 5

Rule = list[tuple[FloatArray, str, float | None]]


def covariance_rule(fit: CellFit, se_method: SeMethod,
               kind: str) -> Rule:
    """The covariances an interval is judged by (the largest variance wins), each with its
    name and t degrees of freedom (None: normal). See the module docstring for the rule."""
    if se_method == "binomial":
        return [(fit.cov_binomial, "binomial", None)]
    quasi = (fit.cov_quasi, "quasi", float(fit.dispersion_df) if fit.dispersion > 1.0 else None)
    if se_method == "quasi" or fit.cov_cluster is None:
        return [quasi]
    cluster = (fit.cov_cluster, "cluster", float(fit.clusters - 1))
    if se_method == "cluster":
        return [cluster]
    floor = (fit.cov_binomial, "binomial", None)
    g = fit.clusters
    if g >= MIN_CLUSTERS or (g >= MIN_CLUSTERS_RANDOMIZED and kind == "randomized"):
        return [cluster, floor]
    if g >= MIN_CLUSTERS_RANDOMIZED:
        return [cluster, quasi]
    return [quasi]


def rule_variance(grad: FloatArray, rule: Rule) -> tuple[float, float | None]:
    """The largest variance of ``grad`` under the rule's covariances, with its t df."""
    best = max(((quad(grad, cov), df) for cov, _, df in rule), key=lambda t: t[0])
    return best[0], best[1]


def interval(est: float, se: float, df: float | None, scale: float,
              code: str | None) -> Estimate:
    q = float(stats.t.ppf(0.975, df)) if df is not None else Z95
    e, s = est * scale, se * scale
    if s > 0:
        z = abs(e) / s
        p = float(2 * (stats.t.sf(z, df) if df is not None else stats.norm.sf(z)))
    else:
        p = 1.0 if e == 0 else 0.0
    return Estimate(estimate=e, ci_low=e - q * s, ci_high=e + q * s, p_value=p, code=code,
                    df=df)
