"""Does a test of the planned size have the power the plan promises? Simulated two-arm tests.

For each baseline (won deals per 1,000 views) and margin: ``views_per_arm`` from
``formfit.models.power``, then ``reps`` simulated A/B tests of that size with binomial wins:

- ``power_detect``: the true change is -margin (removing the field costs the margin); the share
  of tests whose two-sided 5% Wald z-test (unpooled) finds the change. Target 0.80; the plan
  uses the baseline variance 2p(1-p), so with the lower rate in one arm it is a little above.
- ``power_noninferiority``: the true change is 0 (the field costs nothing); the share of tests
  whose one-sided 2.5% non-inferiority test (the drop rule: lower end of the 95% interval above
  -margin) calls it droppable. Target 0.80.

Run:  python scripts/validate_test_plans.py [--reps 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

Z975 = 1.959963984540054
CASES = ((10.0, 1.0), (10.0, 0.2), (50.0, 5.0), (200.0, 4.0), (2.0, 0.4))


def simulate(baseline_per_1k: float, margin_per_1k: float, reps: int,
             rng: np.random.Generator) -> dict[str, Any]:
    """Power of ``reps`` simulated tests at the planned size (see the module docstring)."""
    from formfit.models.power import views_per_arm

    n = views_per_arm(baseline_per_1k, margin_per_1k)
    if n is None:
        raise ValueError("no plan for this baseline and margin")
    p, m = baseline_per_1k / 1000.0, margin_per_1k / 1000.0

    def diff_and_se(p_a: float, p_b: float) -> tuple[np.ndarray, np.ndarray]:
        a = rng.binomial(n, p_a, size=reps) / n
        b = rng.binomial(n, p_b, size=reps) / n
        se = np.sqrt(a * (1 - a) / n + b * (1 - b) / n)
        return b - a, se

    d, se = diff_and_se(p, p - m)  # B removes the field and costs the margin
    detect = float(np.mean(np.abs(d) > Z975 * se))
    d, se = diff_and_se(p, p)  # B removes the field and costs nothing
    noninferior = float(np.mean(d - Z975 * se > -m))
    return {"baseline_per_1k": baseline_per_1k, "margin_per_1k": margin_per_1k,
            "views_per_arm": n, "reps": reps, "power_detect": detect,
            "power_noninferiority": noninferior,
            "mc_se": float(np.sqrt(0.8 * 0.2 / reps))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"{'wins/1k':>8} {'margin':>7} {'views/arm':>11} {'power detect':>13} "
          f"{'power non-inf.':>15}   (target 0.80; Monte Carlo s.e. "
          f"{np.sqrt(0.16 / args.reps):.3f})")
    for base, margin in CASES:
        r = simulate(base, margin, args.reps, rng)
        print(f"{base:>8.1f} {margin:>7.2f} {r['views_per_arm']:>11,} "
              f"{r['power_detect']:>13.3f} {r['power_noninferiority']:>15.3f}")


if __name__ == "__main__":
    main()
