"""Open deals and young leads: the Aalen-Johansen helper, and the censoring bias demonstration.

The demonstration is a fast version of ``scripts/censoring_demo.py``: on worlds where won deals
close slower than lost ones and the form ``pricing`` changed on 1 July, the later version's
P(won within h) and the change v1 - v0 are biased when open deals count as lost (the sign of
the change even flips), and unbiased with the maturity cut-off and with Aalen-Johansen.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from script_loader import load_script

from formfit.models.censoring import cumulative_incidence, cumulative_incidence_table


def _demo_module() -> ModuleType:
    return load_script("censoring_demo")


def _aalen_johansen_by_hand(t: np.ndarray, s: np.ndarray, h: float) -> float:
    """CIF_won(h) = sum over event times u <= h of S(u-) * d_won(u) / n(u)."""
    surv, cif = 1.0, 0.0
    for u in np.unique(t):
        if u > h:
            break
        at_risk = np.sum(t >= u)
        d_won = np.sum((t == u) & (s == 1))
        d_all = np.sum((t == u) & (s > 0))
        cif += surv * d_won / at_risk
        surv *= 1 - d_all / at_risk
    return cif


def test_no_censoring_is_the_plain_proportion_and_binomial_se() -> None:
    rng = np.random.default_rng(3)
    t = rng.integers(0, 200, 1500).astype(float)
    s = rng.integers(1, 3, 1500)
    cif, se = cumulative_incidence(t, s, 100)
    p = float(np.mean((s == 1) & (t <= 100)))
    assert cif == pytest.approx(p, abs=1e-12)
    assert se == pytest.approx(np.sqrt(p * (1 - p) / 1500), rel=1e-6)


def test_matches_a_hand_computation_with_censoring() -> None:
    rng = np.random.default_rng(4)
    n = 800
    t_event = rng.integers(0, 150, n)
    cens = rng.integers(0, 250, n)
    s = np.where(cens < t_event, 0, rng.integers(1, 3, n))
    t = np.minimum(t_event, cens).astype(float)
    for h in (10, 60, 120, 400):
        cif, se = cumulative_incidence(t, s, h)
        assert cif == pytest.approx(_aalen_johansen_by_hand(t, s, h), abs=1e-12)
        assert 0 < se < 0.05


def test_edge_cases() -> None:
    assert all(np.isnan(cumulative_incidence([], [], 30)))
    assert cumulative_incidence([5, 9], [2, 0], 30) == (0.0, 0.0)  # no wins
    assert cumulative_incidence([50, 60], [1, 1], 30) == (0.0, 0.0)  # wins only after h
    cif, se = cumulative_incidence([1, 2, 3], [1, 1, 2], 30)  # risk set empties before h
    assert cif == pytest.approx(2 / 3) and np.isfinite(se)
    with pytest.raises(ValueError):
        cumulative_incidence([1, -1], [1, 0], 30)
    with pytest.raises(ValueError):
        cumulative_incidence([1, 2], [1, 3], 30)


def test_table_groups_and_counts() -> None:
    frame = pd.DataFrame({"form_id": ["a", "a", "a", "b", "b"],
                          "event": [1, 2, 0, 1, 1], "event_days": [3.0, 4.0, 10.0, 1.0, 2.0]})
    tab = cumulative_incidence_table(frame, ["form_id"], 30)
    assert tab["form_id"].tolist() == ["a", "b"]
    assert tab[["leads", "won", "lost", "censored"]].to_numpy().tolist() == [
        [3, 1, 1, 1], [2, 2, 0, 0]]
    assert tab["cif"].tolist() == pytest.approx([1 / 3, 1.0])


def test_open_as_lost_is_biased_and_ours_is_not() -> None:
    demo = _demo_module()
    table = demo.summarise(range(8), horizon_days=120, leads_per_day=12.0)
    by = table.set_index(["target", "method"])
    for target in ("Q_h(v1)", "v1 - v0"):
        naive = by.loc[(target, "open_as_lost")]
        # biased beyond its standard error, by many Monte Carlo SEs
        assert abs(naive["bias"]) > 2 * naive["mean_se"]
        assert abs(naive["bias_in_mc_se"]) > 10
        for ours in ("maturity_cutoff", "aalen_johansen"):
            row = by.loc[(target, ours)]
            assert abs(row["bias"]) < row["mean_se"], (target, ours)
            assert abs(row["bias_in_mc_se"]) < 3, (target, ours)
    # the naive count flips the sign of the later version's improvement
    assert by.loc[("v1 - v0", "open_as_lost"), "mean_estimate"] < 0
    assert by.loc[("v1 - v0", "open_as_lost"), "truth"] > 0
