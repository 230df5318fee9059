"""Small pure statistics helpers shared by the models (no statsmodels import here)."""

from __future__ import annotations

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float | None, float | None]:
    """Wilson score 95% interval for a binomial proportion; (None, None) when n == 0."""
    if n <= 0:
        return None, None
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # at 0 (or n) successes the bound is exactly 0 (or 1); rounding left 4e-19 in the JSON
    lo = 0.0 if successes <= 0 else max(0.0, centre - half)
    hi = 1.0 if successes >= n else min(1.0, centre + half)
    return float(lo), float(hi)


def benjamini_hochberg(p_values: list[float | None]) -> list[float | None]:
    """BH q-values (step-up, monotone); None entries stay None and do not count as tests."""
    idx = [i for i, p in enumerate(p_values) if p is not None and np.isfinite(p)]
    out: list[float | None] = [None] * len(p_values)
    if not idx:
        return out
    p = np.array([p_values[i] for i in idx], dtype=float)
    m = len(p)
    order = np.argsort(p, kind="mergesort")
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    for j, i in enumerate(idx):
        out[i] = float(q[j])
    return out


def holm(p_values: list[float | None]) -> list[float | None]:
    """Holm step-down adjusted p-values (family-wise error); None entries are not tests."""
    idx = [i for i, p in enumerate(p_values) if p is not None and np.isfinite(p)]
    out: list[float | None] = [None] * len(p_values)
    if not idx:
        return out
    p = np.array([p_values[i] for i in idx], dtype=float)
    m = len(p)
    order = np.argsort(p, kind="mergesort")
    adj_sorted = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    adj = np.empty(m)
    adj[order] = np.minimum(adj_sorted, 1.0)
    for j, i in enumerate(idx):
        out[i] = float(adj[j])
    return out


def normal_p(estimate: float, se: float) -> float:
    """Two-sided p-value of estimate/se against a standard normal."""
    if se <= 0 or not np.isfinite(se):
        return float("nan")
    return float(2 * stats.norm.sf(abs(estimate / se)))
