"""Deals in the CRM: zero to two per lead, with realistic and *bounded* timing.

A lead that wins has one won deal (sometimes after a lost one); a lead that does not win has
no deal, one lost deal or two. Won deals close 20..horizon days after the submission, lost ones
3..45 days after (wins take longer), so at the export date (``as_of``) some deals are still
open and recent leads look worse than they will: the censoring the estimators must handle.
Deals created after ``as_of`` are not in the export at all.

The timing of wins does not depend on the lead or its form, so the eventual win probability
and the probability of a win within h days differ by one factor, :func:`win_share_by`
(the share of eventual wins closed within h days of submission).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from formfit.simulation.behaviour import BoolArray, IntArray
from formfit.simulation.design import WorldParams

#: P(a lead that does not win has no deal at all), by whether it came from the newsletter.
NO_DEAL = {"newsletter": 0.85, "other": 0.45}
TWO_LOST = 0.08  # share of deal-holding losers with a second lost deal
LOST_BEFORE_WIN = 0.12  # share of winners whose won deal follows a lost one


def _beta_days(rng: np.random.Generator, lo: int, hi: IntArray | int, a: float, b: float,
               n: int) -> IntArray:
    span = np.asarray(hi) - lo + 1
    out: IntArray = lo + np.floor(rng.beta(a, b, n) * span).astype(np.int64)
    return out


def make_deals(rng: np.random.Generator, params: WorldParams, sub_day: IntArray, won: BoolArray,
               newsletter: BoolArray) -> pd.DataFrame:
    """Every deal every lead will ever have: columns lead (row index), created, closed, won.

    Days count from ``params.start``; ``sub_day`` is each lead's submission day.
    """
    n = sub_day.shape[0]
    h = params.horizon_days
    u = rng.random(n)
    no_deal = np.where(newsletter, NO_DEAL["newsletter"], NO_DEAL["other"])
    lost_one = ~won & (u >= no_deal)
    lost_two = lost_one & (rng.random(n) < TWO_LOST)
    lost_first = won & (rng.random(n) < LOST_BEFORE_WIN)

    parts = []
    # plain wins: created 0..7 days after submission, closed 20..h days after submission
    w = np.nonzero(won & ~lost_first)[0]
    c = sub_day[w] + rng.integers(0, 8, w.shape[0])
    k = sub_day[w] + _beta_days(rng, 20, h, 2.0, 2.5, w.shape[0])
    parts.append((w, c, k, True))
    # a lost deal, then the win
    lw = np.nonzero(lost_first)[0]
    c1 = sub_day[lw] + rng.integers(0, 4, lw.shape[0])
    k1 = c1 + rng.integers(3, 21, lw.shape[0])
    c2 = k1 + rng.integers(1, 6, lw.shape[0])
    lo = np.maximum(c2 - sub_day[lw] + 3, 20)
    k2 = sub_day[lw] + lo + np.floor(rng.random(lw.shape[0]) * (h - lo + 1)).astype(np.int64)
    parts += [(lw, c1, k1, False), (lw, c2, k2, True)]
    # one or two lost deals: closed 3..45 days after submission
    lo1 = np.nonzero(lost_one)[0]
    c = sub_day[lo1] + rng.integers(0, 3, lo1.shape[0])
    k = np.maximum(sub_day[lo1] + _beta_days(rng, 3, 45, 1.5, 3.0, lo1.shape[0]), c + 1)
    parts.append((lo1, c, k, False))
    second = lost_two[lo1]
    c2 = k[second] + rng.integers(2, 11, int(second.sum()))
    k2 = c2 + rng.integers(3, 21, int(second.sum()))
    parts.append((lo1[second], c2, k2, False))

    frames = [pd.DataFrame({"lead": rows, "created": cr, "closed": cl,
                            "won": np.full(rows.shape[0], is_won)})
              for rows, cr, cl, is_won in parts]
    deals = pd.concat(frames, ignore_index=True)
    return deals.sort_values(["created", "lead", "closed"], kind="stable").reset_index(drop=True)


@functools.lru_cache(maxsize=16)
def _win_offsets(horizon_days: int, draws: int = 400_000) -> np.ndarray:
    """Sorted submission-to-win days of ``draws`` simulated winners, drawn exactly as
    :func:`make_deals` draws them (fixed seed: the same answer every time)."""
    rng = np.random.default_rng(12345)
    h = horizon_days
    first = rng.random(draws) < LOST_BEFORE_WIN
    plain = 20 + np.floor(rng.beta(2.0, 2.5, draws) * (h - 19)).astype(np.int64)
    c1 = rng.integers(0, 4, draws)
    k1 = c1 + rng.integers(3, 21, draws)
    c2 = k1 + rng.integers(1, 6, draws)
    lo = np.maximum(c2 + 3, 20)
    late = lo + np.floor(rng.random(draws) * (h - lo + 1)).astype(np.int64)
    out = np.sort(np.where(first, late, plain))
    out.flags.writeable = False
    return out


def win_share_by(horizon_days: int, days: float) -> float:
    """Share of eventual wins that close within ``days`` of the submission."""
    off = _win_offsets(horizon_days)
    return float(np.searchsorted(off, days, side="right") / off.size)


def days_to_share(horizon_days: int, share: float) -> int:
    """The first whole day by which ``share`` of eventual wins have closed."""
    off = _win_offsets(horizon_days)
    return int(off[min(off.size - 1, int(np.ceil(share * off.size)) - 1)])
