"""When do won deals arrive? Completion factors and the win horizon, from every lead.

Estimand: G(t), the share of a lead cohort's wins (within the longest follow-up the data
support, ``followup_days``) that have arrived within t days of submission, and the horizon h by
which G has stopped growing. The win models (:mod:`formfit.models.wins`) divide by the
completion ``F(a) = G(min(a, h)) / G(h)`` of a cohort aged a days at ``as_of``: a cohort with
F = 0.4 has shown 40% of the wins it will bring within h, whatever its field set.

Method: chain-ladder development factors, as actuaries develop insurance claims. Cohorts are
submission days; C_d(t) their cumulative first wins by follow-up day t, read daily for the first
four weeks and weekly after (:func:`timing_grid`).
Between grid points g_k and g_{k+1} the factor is ``sum_d C_d(g_k) / sum_d C_d(g_{k+1})`` over
the cohorts old enough to show g_{k+1}; G is their product from the end of the follow-up back.
Leads with open deals, no deal yet, or lost are simply not (yet) won: nothing is counted lost,
and no lead is dropped for being young (it enters the factors up to its age).

Why this method (the issue's three candidates; see the simulations named below): all three
need the day-clustered cell GLM to stay usable for before/after comparisons (week effects,
control forms) and for the ``check`` gate's joint contrasts. Completion factors keep it whole:
the per-field models stay the one binomial GLM on cells with trials = views x F, so every
estimate, interval rule and joint contrast carries over; per-(field set) Aalen-Johansen curves
and a discrete-time competing-risks model would each need a second estimator with its own
designs, variance and gate. Among completion curves, ``scripts/completion_compare.py`` (50
worlds, 30 leads a day, win probability 0.15 before 1 July and 0.35 after, wins at 20-300
days) compared chain-ladder factors with one pooled Aalen-Johansen curve, against the true
G(120 days) = 0.376:

====================================  ==================  ==================
losses close                          chain-ladder        pooled AJ
====================================  ==================  ==================
3-45 days (early)                     0.376 (sd 0.015)    0.375 (sd 0.010)
3-300 days (as slow as wins)          0.372 (sd 0.020)    0.434 (sd 0.016)
====================================  ==================  ==================

A pooled curve needs every cohort to share its cause-specific hazards; when the win
probability changes over the year and losses are slow, the young cohorts (the edited form's)
are censored early and the pooled curve is 15% off. The factors are ratios *within* each
cohort, so a change in how many win does not touch them; they cost some precision, which the
bootstrap below carries into every interval. The assumption is that the *timing* of wins is
shared across forms and field sets (only how many win differs); the maturity cut-off reported
beside the main estimate checks it. Coverage of the eventual truth on slow-win worlds:
``scripts/coverage_eventual.py`` (README, "How we know the numbers are honest").

Horizon: the first grid week g >= 28 days at which the share of wins still to come before
``followup_days`` (1 - G(g)) is at most 2%, or within its cohort-bootstrap standard error (never
more than 5%), and the follow-up reaches at least a quarter of g (and 4 weeks) past g: so the
curve is seen flat over a stretch, not just at the end of the data. If no week qualifies, h is
the longest follow-up, and if G still grew over its last quarter by more than that tolerance
there is no plateau: WIN_HORIZON_NO_PLATEAU says so (the estimand is then wins within h, and
eventual wins are higher).
The uncertainty of F comes from a bootstrap over cohort days (the same day clusters as the
effect models), kept as ``boot`` for the models to add to their variance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from formfit.cells.leads import LeadCells, cohort_wins
from formfit.inputs import Notice

STEP_DAYS = 7
MIN_HORIZON_DAYS = 28
PLATEAU_SHARE = 0.02
PLATEAU_SHARE_MAX = 0.05
ROOM_SHARE = 0.25
MIN_ROOM_DAYS = 28
MIN_TAIL_WINS = 30
MIN_TAIL_COHORTS = 14
BOOTSTRAP = 200
BOOT_SEED = 20251

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class WinTiming:
    """G on the grid, the horizon h and how it was chosen, with bootstrap replicates."""

    grid: FloatArray
    share: FloatArray  # G(grid), relative to followup_days
    boot: FloatArray  # BOOTSTRAP x len(grid) replicates of G
    followup_days: int
    horizon_days: int
    basis: str
    plateau: bool
    notices: tuple[Notice, ...] = ()
    set_by_user: bool = False
    wins: int = 0
    cohorts: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def share_by_h(self) -> float:
        return float(np.interp(self.horizon_days, self.grid, self.share))

    def completion(self, age: npt.ArrayLike) -> FloatArray:
        """F(a) = G(min(a, h)) / G(h): the share of within-h wins a cohort aged a has shown."""
        return self._f(np.asarray(age, dtype=float), self.share)

    def completion_boot(self, age: npt.ArrayLike) -> FloatArray:
        """F(a) under each bootstrap replicate: BOOTSTRAP x len(age)."""
        a = np.asarray(age, dtype=float)
        return np.vstack([self._f(a, b) for b in self.boot]) if len(self.boot) else (
            np.zeros((0, a.size)))

    def _f(self, a: FloatArray, share: FloatArray) -> FloatArray:
        h = float(self.horizon_days)
        gh = float(np.interp(h, self.grid, share))
        if not gh > 0:
            return np.zeros(a.shape)
        out: FloatArray = np.interp(np.clip(a, 0.0, h), self.grid, share) / gh
        out[~np.isfinite(a)] = np.nan
        return np.clip(out, 0.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        se = self.boot.std(axis=0, ddof=1) if len(self.boot) > 1 else np.full(
            self.grid.size, np.nan)
        return {
            "method": "chain-ladder completion factors over submission-day cohorts "
                      "(formfit.models.completion)",
            "horizon_days": self.horizon_days, "horizon_basis": self.basis,
            "plateau": self.plateau, "followup_days": self.followup_days,
            "share_of_wins_by_h": round(self.share_by_h, 6),
            "wins": self.wins, "cohorts": self.cohorts,
            "share_by_day": [{"days": int(g), "share": round(float(s), 6),
                              "se": None if not np.isfinite(e) else round(float(e), 6)}
                             for g, s, e in zip(self.grid, self.share, se, strict=True)],
            **self.details,
        }


def _develop(cum: FloatArray, age: FloatArray, grid: FloatArray, kmax: int) -> FloatArray:
    """G on grid[:kmax+1] from cohort cumulative wins (chain-ladder, backwards from kmax)."""
    g = np.zeros(grid.size)
    g[kmax] = 1.0
    # the cohorts old enough for step k are the oldest few: running sums over cohorts from
    # the oldest give every step's sums at once (the bootstrap calls this 200 times). Win
    # counts are whole numbers, so these sums are exact, as the masked sums were.
    oldest = np.argsort(-age, kind="stable")
    sums = np.cumsum(cum[oldest][:, :kmax + 1], axis=0)
    old_enough = np.searchsorted(-age[oldest], -grid[1:kmax + 1], side="right")
    for k in range(kmax - 1, -1, -1):
        m = int(old_enough[k])
        den = float(sums[m - 1, k + 1]) if m else 0.0
        g[k] = g[k + 1] * (float(sums[m - 1, k]) / den if den > 0 else 0.0)
    g[kmax + 1:] = 1.0
    return g


def timing_grid(max_age: float) -> FloatArray:
    """The follow-up days G is read on: every day up to MIN_HORIZON_DAYS, then every week.

    F is interpolated linearly between grid points, and early on G is steep and curved: with
    deals closing in a few days, a weekly grid gave a one-day-old cohort F = 0.41 where the
    data said 0.62, and its wins were divided by too small an F (a win rate 0.5 pp too far
    from an exact truth, outside its interval). Daily points there make young cohorts' F
    exact; past four weeks the curve is flat enough for weeks, and the horizon is a week."""
    weekly = np.arange(0.0, max(max_age, STEP_DAYS) + STEP_DAYS, STEP_DAYS)
    daily = np.arange(0.0, min(float(MIN_HORIZON_DAYS), weekly[-1]))
    out: FloatArray = np.union1d(daily, weekly)
    return out


def win_timing(lc: LeadCells, *, horizon_days: int | None = None) -> WinTiming | None:
    """Completion factors and the horizon from lead cells; None without dated wins."""
    if not lc.dated or lc.events.empty or float(lc.events["won"].sum()) == 0:
        return None
    max_age = float(np.nanmax(lc.cells["age_days"].to_numpy(dtype=float)))
    grid = timing_grid(max_age)
    _, _, age, cum = cohort_wins(lc, [int(x) for x in grid])
    kmax = 0
    for k in range(grid.size):
        ok = age >= grid[k]
        if float(cum[ok, k].sum()) >= MIN_TAIL_WINS and int(ok.sum()) >= MIN_TAIL_COHORTS:
            kmax = k
    if kmax == 0:
        return None
    share = _develop(cum, age, grid, kmax)
    rng = np.random.default_rng(BOOT_SEED)
    n = age.size
    boot = np.vstack([_develop(cum[i], age[i], grid, kmax)
                      for i in (rng.integers(0, n, n) for _ in range(BOOTSTRAP))])
    after_se = boot.std(axis=0, ddof=1)
    follow = int(grid[kmax])
    notices: list[Notice] = []
    plateau = True
    details: dict[str, Any] = {}
    if horizon_days is not None:
        h = int(horizon_days)
        basis = "set by maturity_days"
        if h > follow:
            notices.append(Notice("WIN_HORIZON_BEYOND_FOLLOWUP", (
                f"maturity_days is {h}, but the data follow enough leads for only {follow} "
                f"days; wins are estimated within {follow} days."),
                {"maturity_days": h, "followup_days": follow}))
            h = follow
        return WinTiming(grid, share, boot, follow, h, basis, True, tuple(notices),
                         set_by_user=True, wins=int(cum[:, -1].sum()), cohorts=n)
    h = follow
    for k in range(kmax + 1):
        tol = max(PLATEAU_SHARE, min(float(after_se[k]), PLATEAU_SHARE_MAX))
        # the follow-up must reach well past g, or any curve looks flat at its end
        room = follow - grid[k] >= max(MIN_ROOM_DAYS, grid[k] * ROOM_SHARE)
        if grid[k] >= MIN_HORIZON_DAYS and room and 1.0 - share[k] <= tol:
            h = int(grid[k])
            break
    if h < follow:
        basis = (f"first week h by which the share of wins still to come over the rest of the "
                 f"{follow}-day follow-up (at least a quarter of h more) is within "
                 f"{PLATEAU_SHARE:.0%} or its standard error (chain-ladder completion factors "
                 f"over {n:,} submission days)")
    else:
        q = int(np.searchsorted(grid, 0.75 * follow))
        grow = float(share[kmax] - share[q])
        se_grow = float(np.std(boot[:, kmax] - boot[:, q], ddof=1))
        plateau = grow <= max(PLATEAU_SHARE, se_grow)
        basis = (f"the longest follow-up the data support ({follow} days); wins "
                 f"{'had stopped' if plateau else 'were still'} growing over its last quarter")
        details["growth_last_quarter"] = round(grow, 6)
        if not plateau:
            notices.append(Notice("WIN_HORIZON_NO_PLATEAU", (
                f"Won deals were still arriving at the end of the {follow}-day follow-up the "
                f"data support ({grow:.0%} of them in its last quarter), so wins are estimated "
                f"within {follow} days; eventual wins will be higher. Wait for more follow-up "
                "or set --maturity-days to a horizon you know."),
                {"followup_days": follow, "growth_last_quarter": grow}))
    return WinTiming(grid, share, boot, follow, h, basis, plateau, tuple(notices),
                     wins=int(cum[:, -1].sum()), cohorts=n, details=details)
