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

4. with ``--analyze-worlds N``: the same through formfit itself. For k = 3..10 fields of the
   bundled sample's evidence, ``formfit design`` (8 weeks, blocked by form) ->
   ``simulate --design`` (N seeds, random per-field friction and qualification) ->
   ``analyze``; the share of 95% intervals (``wins_per_1k_views``, ``conversion_pp``) holding
   the planted truth, and whether every designed field came out randomized.

Usage: python scripts/validate_designs.py [--reps 2000] [--views 400000] [--seed 1]
                                          [--analyze-worlds N]
Prints Markdown tables; exit 1 if any check fails.
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


SAMPLE_FIELDS = ("first_name", "last_name", "phone", "company_size", "how_did_you_hear",
                 "budget", "job_title", "seniority", "timeline", "message")


def analyze_recovery(worlds: int, views: int) -> bool:
    """Design -> simulate --design -> analyze with formfit itself, for k = 3..10."""
    import json
    import tempfile
    from dataclasses import replace
    from pathlib import Path

    from formfit.api import analyze, analyze_settings
    from formfit.design import design_experiment
    from formfit.sample import sample_settings
    from formfit.simulation.designed import write_design_world

    evidence = analyze_settings(replace(sample_settings(), progress=False))
    ok = True
    print("\n| k | resolution | runs | arms | worlds | randomized | coverage wins per 1k "
          "| coverage conversion pp |")
    print("|---|---|---|---|---|---|---|---|")
    for k in range(3, 11):
        d = design_experiment(evidence, SAMPLE_FIELDS[:k], weeks=8)
        hits = {"wins_per_1k_views": 0, "conversion_pp": 0}
        total = randomized = 0
        with tempfile.TemporaryDirectory() as tmp:
            design = Path(tmp) / "forms.yaml"
            design.write_text(d.forms_config, encoding="utf-8")
            for seed in range(worlds):
                sim = Path(tmp) / f"w{seed}"
                write_design_world(sim, design, seed=seed, views=views)
                r = analyze(sim / "submissions.csv", sim / "views_daily.csv",
                            sim / "outcomes.csv", sim / "forms.yaml").to_dict()
                truth = {f["field"]: f for f in json.loads(
                    (sim / "truth.json").read_text(encoding="utf-8"))["fields"]}
                for f in r["fields"]:
                    if f["field"] not in truth:
                        continue
                    total += 1
                    de = f["drop_effect"]
                    randomized += de["evidence"] == "randomized"
                    for key in hits:
                        e, t = de[key], truth[f["field"]][key]
                        hits[key] += (e["ci_low"] is not None
                                      and e["ci_low"] <= t <= e["ci_high"])
        ok &= randomized == total
        print(f"| {k} | {d.design['resolution']} | {d.design['runs']} | {len(d.arms)} | "
              f"{worlds} | {randomized}/{total} | "
              + " | ".join(f"{hits[x] / total:.3f} ({hits[x]}/{total})" for x in hits) + " |",
              flush=True)
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--views", type=int, default=400_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--analyze-worlds", type=int, default=0,
                    help="also run N simulated designs per k through formfit analyze")
    ap.add_argument("--analyze-views", type=int, default=150_000)
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
    if args.analyze_worlds:
        ok &= analyze_recovery(args.analyze_worlds, args.analyze_views)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
