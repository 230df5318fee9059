"""Benchmark formfit on generated data of realistic size (not a unit test: run it by hand).

    python scripts/benchmark.py --views 1000000 [--daily] [--keep DIR]

Generates a world with `formfit.simulate`, writes it to a temp dir, then times each stage of
`formfit analyze`: loading (read, map, validate, account), aggregation and models, rendering.
Prints one line per stage and the peak memory. Targets (issue 3/4 context: "aggregate before
you model"): 1M row-level views with ~200k submissions analysed end to end in under 60 s on
2 cores; pre-aggregated daily views in under 15 s.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--views", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--daily", action="store_true", help="use the daily-count views file")
    ap.add_argument("--keep", type=Path, default=None, help="write the world here and keep it")
    args = ap.parse_args()

    from formfit.analysis import run_analysis
    from formfit.config import Settings
    from formfit.io import load_inputs
    from formfit.renderers import render
    from formfit.simulation import write_world

    tmp = tempfile.TemporaryDirectory()
    out = args.keep or Path(tmp.name)
    t = time.perf_counter()
    write_world(out, seed=args.seed, views=args.views)
    print(f"simulate+write  {time.perf_counter() - t:7.2f} s  ({args.views:,} views)")
    sizes = {p.name: p.stat().st_size for p in out.iterdir()}
    print("files           " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(sizes.items())))

    settings = Settings(
        submissions=out / "submissions.csv",
        views=out / ("views_daily.csv" if args.daily else "views.csv"),
        outcomes=out / "outcomes.csv",
        forms=out / "forms.yaml",
        segments=("device", "channel"),
    )
    t0 = time.perf_counter()
    inputs = load_inputs(settings)
    t1 = time.perf_counter()
    result = run_analysis(inputs, settings)
    t2 = time.perf_counter()
    text = render(result, "json") + render(result, "html")
    t3 = time.perf_counter()
    subs = inputs.accounting["submissions"].rows_read
    print(f"load            {t1 - t0:7.2f} s  ({subs:,} submission rows)")
    print(f"analyze         {t2 - t1:7.2f} s  ({len(result.fields)} fields)")
    print(f"render json+html{t3 - t2:7.2f} s  ({len(text) / 1e3:.0f} kB)")
    print(f"total           {t3 - t0:7.2f} s  (load + analyze + render)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory     {peak:7.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
