"""Validate `formfit design`'s fractions for k = 3..10 fields (README: Designs).

For every design of the table (the smallest resolution III and the smallest resolution IV):

1. rank: the main-effect design with one intercept per form is full rank (the friction model's
   QR test), on one form and on two forms that each show part of the fields;
2. aliases: the alias structure from the defining relation equals the one found by brute force
   (multiplying columns of the run matrix, up to three-field interactions);
3. recovery: cell-level simulations of running the design (two forms with their own base rate,
   every run on each form, binomial wins per cell) estimate each field's main effect on won
   deals per view by weighted least squares with form intercepts and binomial (sandwich)
   standard errors. Each field's true effect is the change the plan says is detectable
   (``formfit.models.power.detectable_change_per_1k`` with half the views per arm), so 95%
   intervals should cover it 93-97% of the time and detect it (interval excluding 0) about 80%
   of the time: the plan's power, within 3 points.

Usage: python scripts/validate_designs.py [--reps 2000] [--views 400000] [--seed 1]
Prints a Markdown table; exit 1 if any check fails.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from formfit.design.factorial import Fraction, brute_force_aliases, candidates
from formfit.design.plan import estimable
from formfit.models.power import detectable_change_per_1k
from formfit.results_design import DesignArm

BASE = (0.055, 0.075)  # won deals per view on the two forms, averaged over the runs
Z = 1.959964


def arms(frac: Fraction, forms: dict[str, list[int]]) -> list[DesignArm]:
    x = frac.run_matrix()
    return [DesignArm(f"{form}-{r}", form, form, 1 / frac.runs, (r + 1,), (), (),
                      {f"f{j}": bool(x[r, j] > 0) for j in cols})
            for form, cols in forms.items() for r in range(frac.runs)]


def rank_ok(frac: Fraction) -> bool:
    k, names = frac.k, [f"f{j}" for j in range(frac.k)]
    return estimable(arms(frac, {"a": list(range(k))}), names) and estimable(
        arms(frac, {"a": list(range(k - 1)), "b": list(range(1, k))}), names)


def aliases_ok(frac: Fraction) -> bool:
    x, letters = frac.run_matrix(), frac.letters
    return all({frozenset(letters.index(c) for c in w) for w in frac.aliases(letter)}
               == set(brute_force_aliases(x, j)) for j, letter in enumerate(letters))


def recovery(frac: Fraction, reps: int, views: int, rng: np.random.Generator
             ) -> dict[str, Any]:
    """Coverage and power of each main effect over ``reps`` simulated runs of the design."""
    x = (frac.run_matrix() > 0).astype(float)  # 1 = field shown
    runs, k = x.shape
    n_cell = views / (2 * runs)  # two forms, equal traffic per run
    mean_base = float(np.mean(BASE))
    # the plan: each main effect compares half the views with the other half
    delta = detectable_change_per_1k(1000 * mean_base, views / 2)
    assert delta is not None
    effect = np.full(k, delta / 1000.0)  # showing a field costs this many wins per view
    rows = np.vstack([x, x])
    form = np.repeat([0.0, 1.0], runs)
    design = np.column_stack([1 - form, form, rows])
    # effects centred on the plan's baseline: the design's mean rate on each form is its base
    p = np.concatenate([BASE[0] + (0.5 - x) @ effect, BASE[1] + (0.5 - x) @ effect])
    n = np.full(2 * runs, round(n_cell))
    wins = rng.binomial(n[:, None].astype(np.int64), p[:, None], size=(2 * runs, reps))
    rate = wins / n[:, None]
    xtwx_inv = np.linalg.inv(design.T @ (design * n[:, None]))
    beta = xtwx_inv @ (design.T @ (n[:, None] * rate))  # WLS, all reps at once
    meat_w = n[:, None] * rate * (1 - rate)  # n^2 * var(rate) = n p(1-p)
    se = np.empty((k, reps))
    a = xtwx_inv @ design.T  # (cols x cells)
    for r in range(reps):
        cov = (a * meat_w[:, r]) @ a.T
        se[:, r] = np.sqrt(np.diag(cov)[2:])
    est = -beta[2:]  # drop effect: removing the field gains `effect`
    lo, hi = est - Z * se, est + Z * se
    cover = (lo <= effect[:, None]) & (effect[:, None] <= hi)
    power = lo > 0
    return {"delta_per_1k": delta, "coverage": cover.mean(axis=1), "power": power.mean(axis=1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--views", type=int, default=400_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    ok = True
    print("| k | fraction | runs | resolution | full rank (1 and 2 forms) | aliases = brute "
          "force | detectable /1k | coverage (min-max over fields) | power (min-max; plan "
          "0.80) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k in range(3, 11):
        for frac in candidates(k):
            d = frac.describe()
            r, al = rank_ok(frac), aliases_ok(frac)
            rec = recovery(frac, args.reps, args.views, rng)
            cov, pw = rec["coverage"], rec["power"]
            good = (r and al and cov.min() >= 0.93 and cov.max() <= 0.97
                    and float(np.max(np.abs(pw - 0.80))) <= 0.03)
            ok &= good
            print(f"| {k} | {d['fraction']} | {frac.runs} | {d['resolution']} | "
                  f"{'yes' if r else 'NO'} | {'yes' if al else 'NO'} | "
                  f"{rec['delta_per_1k']:.2f} | {cov.mean():.3f} ({cov.min():.3f}-"
                  f"{cov.max():.3f}) | {pw.mean():.3f} ({pw.min():.3f}-{pw.max():.3f})"
                  f"{'' if good else ' FAIL'} |")
    print(f"\n{args.reps} simulated runs per design, {args.views:,} views in all "
          f"(two forms, base {BASE[0]:.3f} and {BASE[1]:.3f} won deals per view), seed "
          f"{args.seed}.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
