"""Time the predictive-value stage against the number of fields (run by hand).

    python benchmarks/bench_predictive_fields.py                    # K = 10, 30, 100, 300
    python benchmarks/bench_predictive_fields.py --fields 10 100 --leads 100000 --timeout 600

For each K it builds a synthetic set of judged leads (``--leads`` of them on ``--forms`` forms,
every form showing every field; K fields of 3 to 6 answers each, the first three of them truly
predictive, the rest noise) and calls :func:`formfit.models.predictive.assess_fields`, the
library path of ``formfit analyze``'s "measuring what field values predict" stage. Each K runs
in its own process (killed after ``--timeout`` seconds) and reports the wall time of the whole
stage, of the likelihood-ratio tests within it (``lr_tests``), and the design the tests ran
on. ``--json`` writes the figures, including every field's LR statistic and p-value, so two
versions of formfit can be compared number for number. Figures depend on the machine and its
load: quote both.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SEED = 0


def world(k: int, leads: int, forms: int, seed: int = SEED) -> tuple[Any, list[str], Any]:
    """Submissions (a column per field and ``form_id``), the field names, and won (0/1)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    logit = np.full(leads, -1.0)
    for j in range(k):
        n_levels = int(rng.integers(3, 7))
        codes = rng.choice(n_levels, leads, p=rng.dirichlet(np.full(n_levels, 5.0)))
        cols[f"f{j:03d}"] = np.array([f"v{c}" for c in range(n_levels)])[codes]
        if j < 3:  # predictive: a spread of log odds over the levels
            logit += np.linspace(-0.6, 0.6, n_levels)[codes] * (1.0 - 0.3 * j)
    form = rng.integers(0, forms, leads)
    logit += 0.3 * form
    df = pd.DataFrame(cols, dtype="str")
    df["form_id"] = pd.Series(form).map(lambda i: f"form{i}").astype("str")
    won = pd.Series((rng.random(leads) < 1.0 / (1.0 + np.exp(-logit))).astype(float),
                    index=df.index)
    return df, list(cols), won


def run_one(k: int, leads: int, forms: int) -> dict[str, Any]:
    """Time the stage for one K, in this process."""
    import pandas as pd

    from formfit.models import predictive, predictive_lr

    df, fields, won = world(k, leads, forms)
    shown = pd.DataFrame(True, index=df.index, columns=fields)
    lr_time = [0.0]
    real = predictive.lr_tests

    def timed(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            lr_time[0] += time.perf_counter() - t

    predictive.lr_tests = timed  # type: ignore[assignment]
    t0 = time.perf_counter()
    res = predictive.assess_fields(df, fields, shown, won)
    wall = time.perf_counter() - t0
    predictive.lr_tests = real
    width = 2 + sum(df[f].nunique() + 1 for f in fields) + forms
    used = min(leads, max(predictive_lr.MAX_DESIGN_ENTRIES // width, 1000))
    return {"fields": k, "leads": leads, "forms": forms, "stage_s": wall,
            "lr_tests_s": lr_time[0], "leads_in_test": used, "design_width": width,
            "p_values": {f: res[f].predictive.lr_p_value for f in fields},
            "codes": {f: list(res[f].predictive.codes) for f in fields}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fields", type=int, nargs="+", default=[10, 30, 100, 300])
    ap.add_argument("--leads", type=int, default=100_000, help="judged leads (default 100000)")
    ap.add_argument("--forms", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per K")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child: one K, JSON to stdout
    args = ap.parse_args(argv)
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.leads, args.forms)))
        return 0

    rows: list[dict[str, Any]] = []
    print("| fields | leads | leads in test | design width | stage s | lr_tests s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for k in args.fields:
        cmd = [sys.executable, __file__, "--one", str(k), "--leads", str(args.leads),
               "--forms", str(args.forms)]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout,
                                 check=True)
        except subprocess.TimeoutExpired:
            print(f"| {k} | {args.leads:,} | | | > {args.timeout:.0f} (timed out) | |")
            rows.append({"fields": k, "leads": args.leads, "timed_out": args.timeout})
            continue
        except subprocess.CalledProcessError as exc:
            sys.stderr.write(exc.stderr)
            return 1
        row = json.loads(out.stdout)
        rows.append(row)
        print(f"| {k} | {args.leads:,} | {row['leads_in_test']:,} | {row['design_width']} | "
              f"{row['stage_s']:.2f} | {row['lr_tests_s']:.2f} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
