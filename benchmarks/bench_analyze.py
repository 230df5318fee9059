"""Time `formfit analyze` against a bare pyarrow read of the same files (run by hand).

    python benchmarks/bench_analyze.py                      # 1M and 10M views, CSV and Parquet
    python benchmarks/bench_analyze.py --views 1e6 --formats csv --json out.json

For each size it simulates one world (`formfit simulate --format csv --format parquet`), then,
for each format and each views shape (row level `views.*`, daily counts `views_daily.*`), runs
as separate processes: a bare pyarrow read of submissions, views and outcomes, and the whole
`formfit analyze --format json`. Each process is timed from outside: wall time, CPU time
(user + sys of that child, from os.wait4) and its peak RSS. When `formfit analyze` writes
per-stage timings to the file named by FORMFIT_STAGE_TIMES (JSON {"stages": [{"stage",
"wall_s", "cpu_s", "peak_rss_mb", "rss_mb"}, ...]}), they are shown under its row, with
the memory each stage leaves held (rss_mb) beside the peak so far.

Also measured: `formfit --help` wall time and which heavy libraries `import formfit` loads.
Prints a Markdown table and writes the figures as JSON. The targets are issue 8's: analyze
within 3x the read for CSV, 2x for Parquet and for daily counts, time at 10x the views at most
11x, peak RSS under 2 GB, --help under 0.3 s, no engine or scipy on `import formfit`.
The figures depend on the machine and its load: quote them with both. On a busy machine the
CPU-time ratio (also shown) is steadier than the wall-time ratio the targets are stated in.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

TABLES = ("submissions", "views", "outcomes")
HEAVY = ("duckdb", "ibis", "scipy", "statsmodels", "pandas", "pyarrow")
TARGET_RATIO = {("csv", "rows"): 3.0, ("parquet", "rows"): 2.0, ("csv", "daily"): 2.0,
                ("parquet", "daily"): 2.0}
TARGET_RSS_MB = 2048.0
TARGET_HELP_S = 0.3
SCALING_SLACK = 1.1  # time at 10x the views: at most 11x

# The bare read: the least any tool must do to see the same bytes. Run in its own process so
# its time and memory are measured like analyze's; it reports the read alone (no imports).
READ_SNIPPET = """
import json, resource, sys, time
import pyarrow.csv as pacsv, pyarrow.dataset, pyarrow.parquet as pq  # read_table uses dataset
t0, c0 = time.perf_counter(), time.process_time()
rows = 0
for path in sys.argv[1:]:
    table = pq.read_table(path) if path.endswith(".parquet") else pacsv.read_csv(path)
    rows += table.num_rows
    del table
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "rows": rows}))
"""


@dataclass
class Run:
    """One child process: what it was, how long it took, what it used."""

    stage: str
    views: int
    fmt: str = ""
    shape: str = ""
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    exit_code: int = 0
    inner: dict[str, Any] = field(default_factory=dict)  # the child's own report, if any
    stages: list[dict[str, Any]] = field(default_factory=list)  # FORMFIT_STAGE_TIMES rows


def run_child(cmd: list[str], *, env: dict[str, str] | None = None,
              stdout: Path | None = None) -> tuple[float, float, float, int, str]:
    """Run ``cmd``; return wall s, CPU s (user+sys of exactly this child), peak RSS MB, exit
    code and stderr text. os.wait4 gives the child's own rusage, not a running maximum."""
    with tempfile.TemporaryFile() as err, (stdout.open("wb") if stdout
                                           else open(os.devnull, "wb")) as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        message = err.read().decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024.0, proc.returncode, message


def formfit_cmd() -> list[str]:
    """The `formfit` console script next to this Python, else `python -m formfit`."""
    script = Path(sys.executable).with_name("formfit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "formfit"]


def help_time(repeat: int = 3) -> float:
    """Median wall time of `formfit --help` (after one warm-up run)."""
    cmd = formfit_cmd() + ["--help"]
    run_child(cmd)
    return statistics.median(run_child(cmd)[0] for _ in range(repeat))


def import_check() -> list[str]:
    """Which heavy libraries `import formfit` loads."""
    code = ("import sys, json, formfit\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    loaded: list[str] = json.loads(out.stdout)
    return loaded


def generate(views: int, seed: int, formats: list[str], out: Path) -> Run:
    """`formfit simulate` of one world in every format."""
    cmd = formfit_cmd() + ["simulate", "--out", str(out), "--seed", str(seed),
                           "--views", str(views)]
    for fmt in formats:
        cmd += ["--format", fmt]
    wall, cpu, rss, code, err = run_child(cmd)
    if code != 0:
        raise SystemExit(f"formfit simulate failed (exit {code}):\n{err}")
    return Run("generate", views, ",".join(formats), "", wall, cpu, rss, code)


def files(world: Path, fmt: str, shape: str) -> dict[str, Path]:
    views = "views_daily" if shape == "daily" else "views"
    return {"submissions": world / f"submissions.{fmt}", "views": world / f"{views}.{fmt}",
            "outcomes": world / f"outcomes.{fmt}"}


def bare_read(views: int, fmt: str, shape: str, world: Path) -> Run:
    """The bare pyarrow read of the three files; ``wall_s`` is the read alone (the child
    reports it), the process totals are kept in ``inner``."""
    paths = [str(p) for p in files(world, fmt, shape).values()]
    out = world / f"read_{fmt}_{shape}.json"
    wall, cpu, rss, code, err = run_child([sys.executable, "-c", READ_SNIPPET, *paths],
                                          stdout=out)
    if code != 0:
        raise SystemExit(f"bare read failed (exit {code}):\n{err}")
    inner = json.loads(out.read_text())
    inner.update(process_wall_s=wall, process_cpu_s=cpu)
    return Run("bare read", views, fmt, shape, inner["wall_s"], inner["cpu_s"], rss, code,
               inner)


def analyze(views: int, fmt: str, shape: str, world: Path) -> Run:
    """The whole `formfit analyze --format json`, as a user runs it."""
    f = files(world, fmt, shape)
    result = world / f"result_{fmt}_{shape}.json"
    stage_file = world / f"stages_{fmt}_{shape}.json"
    stage_file.unlink(missing_ok=True)
    cmd = formfit_cmd() + ["analyze", "--submissions", str(f["submissions"]),
                           "--views", str(f["views"]), "--outcomes", str(f["outcomes"]),
                           "--forms", str(world / "forms.yaml"), "--segment", "device",
                           "--segment", "channel", "--format", "json", "--out", str(result)]
    env = dict(os.environ, FORMFIT_STAGE_TIMES=str(stage_file))
    wall, cpu, rss, code, err = run_child(cmd, env=env)
    run = Run("analyze", views, fmt, shape, wall, cpu, rss, code)
    if code != 0:
        run.inner["error"] = err.strip()[-2000:]
    if stage_file.exists():
        try:
            run.stages = list(json.loads(stage_file.read_text()).get("stages", []))
        except (json.JSONDecodeError, AttributeError):
            run.inner["stages_error"] = "FORMFIT_STAGE_TIMES file is not the expected JSON"
    return run


def repeated(runs: list[Run]) -> Run:
    """One row for several runs of the same thing: the median wall and CPU time (the wall of
    the lower-median run, whose stages are shown), the highest peak RSS, the worst exit code,
    and every run's figures under ``inner["repeats"]``. On a busy or noisy machine a single
    run's wall time swings by a quarter; the median of three does not."""
    if len(runs) == 1:
        return runs[0]
    mid = sorted(runs, key=lambda r: r.wall_s)[(len(runs) - 1) // 2]
    inner = dict(mid.inner, repeats=[{"wall_s": r.wall_s, "cpu_s": r.cpu_s,
                                      "peak_rss_mb": r.peak_rss_mb, "exit_code": r.exit_code}
                                     for r in runs])
    return Run(mid.stage, mid.views, mid.fmt, mid.shape, mid.wall_s,
               statistics.median(r.cpu_s for r in runs), max(r.peak_rss_mb for r in runs),
               max(r.exit_code for r in runs), inner, mid.stages)


def same_fields(world: Path, fmt: str, shape: str) -> bool | None:
    """Does this analyze give the same per-field results as the CSV row-level one?"""
    ref, this = world / "result_csv_rows.json", world / f"result_{fmt}_{shape}.json"
    if not (ref.exists() and this.exists()):
        return None
    return bool(json.loads(ref.read_text())["fields"] == json.loads(this.read_text())["fields"])


def parse_sizes(text: str) -> list[int]:
    """'1e6,1e7' or '1000000,10000000' -> [1000000, 10000000]."""
    try:
        sizes = [int(float(x)) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SystemExit(f"--views {text!r}: give sizes like 1e6,1e7") from None
    if not sizes or min(sizes) < 1000:
        raise SystemExit(f"--views {text!r}: each size must be at least 1000 views")
    return sizes


def summarise(runs: list[Run], sizes: list[int], formats: list[str],
              shapes: list[str]) -> dict[str, Any]:
    """Ratios against the targets."""
    by = {(r.stage, r.views, r.fmt, r.shape): r for r in runs}
    ratios = []
    for n in sizes:
        for fmt in formats:
            for shape in shapes:
                a, b = by.get(("analyze", n, fmt, shape)), by.get(("bare read", n, fmt, shape))
                if a is None or b is None or a.exit_code != 0:
                    continue
                target = TARGET_RATIO[(fmt, shape)]
                ratio = a.wall_s / b.wall_s if b.wall_s > 0 else None
                cpu_ratio = a.cpu_s / b.cpu_s if b.cpu_s > 0 else None
                ratios.append({"views": n, "format": fmt, "shape": shape,
                               "analyze_over_read": ratio, "cpu_ratio": cpu_ratio,
                               "target": target,
                               "met": ratio is not None and ratio <= target,
                               "peak_rss_mb": a.peak_rss_mb,
                               "rss_met": a.peak_rss_mb < TARGET_RSS_MB})
    scaling = []
    if len(sizes) > 1:
        lo, hi = min(sizes), max(sizes)
        for fmt in formats:
            for shape in shapes:
                a, b = by.get(("analyze", lo, fmt, shape)), by.get(("analyze", hi, fmt, shape))
                if a is None or b is None or a.exit_code or b.exit_code:
                    continue
                target = SCALING_SLACK * hi / lo
                ratio = b.wall_s / a.wall_s
                cpu = b.cpu_s / a.cpu_s if a.cpu_s > 0 else None
                scaling.append({"format": fmt, "shape": shape, "views": [lo, hi],
                                "time_ratio": ratio, "cpu_ratio": cpu, "target": target,
                                "met": ratio <= target})
    return {"analyze_over_read": ratios, "scaling": scaling}


def _n(views: int) -> str:
    return f"{views / 1e6:g}M" if views >= 1_000_000 else f"{views / 1e3:g}k"


def markdown(report: dict[str, Any]) -> str:
    """The figures as a Markdown table and a list of the targets."""
    lines = ["| views | format | views shape | stage | wall s | CPU s | peak RSS MB | "
             "analyze / read (wall; CPU) | fields as CSV rows |",
             "|---|---|---|---|---|---|---|---|---|"]
    ratio = {(r["views"], r["format"], r["shape"]): r for r in
             report["summary"]["analyze_over_read"]}
    for r in report["runs"]:
        note = ""
        if r["stage"] == "analyze":
            x = ratio.get((r["views"], r["fmt"], r["shape"]))
            if r["exit_code"]:
                note = f"failed (exit {r['exit_code']})"
            elif x and x["analyze_over_read"] is not None:
                note = (f"{x['analyze_over_read']:.1f}x (target {x['target']:g}x: "
                        f"{'met' if x['met'] else 'not met'})")
                if x["cpu_ratio"] is not None:
                    note += f"; CPU {x['cpu_ratio']:.1f}x"
        same = {True: "same", False: "DIFFERENT", None: ""}[r["fields_match_csv_rows"]]
        lines.append(f"| {_n(r['views'])} | {r['fmt']} | {r['shape']} | {r['stage']} | "
                     f"{r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['peak_rss_mb']:.0f} | {note} | "
                     f"{same} |")
        for s in r["stages"]:
            def num(key: str, fmt: str, s: dict[str, Any] = s) -> str:
                v = s.get(key)
                return format(v, fmt) if isinstance(v, int | float) else ""
            lines.append(f"| | | | &nbsp;&nbsp;{s.get('stage', '?')} | {num('wall_s', '.2f')} | "
                         f"{num('cpu_s', '.2f')} | {num('peak_rss_mb', '.0f')} | "
                         f"{'holds ' + num('rss_mb', '.0f') + ' MB after' if 'rss_mb' in s else ''}"
                         " | |")
    env = report["environment"]
    out = ["\n".join(lines), ""]
    for sc in report["summary"]["scaling"]:
        out.append(f"- analyze time at {_n(sc['views'][1])} / at {_n(sc['views'][0])} "
                   f"({sc['format']}, {sc['shape']}): {sc['time_ratio']:.1f} "
                   f"(target at most {sc['target']:g}: {'met' if sc['met'] else 'not met'}; "
                   f"CPU time {sc['cpu_ratio'] or 0:.1f})")
    rss = [r for r in report["runs"] if r["stage"] == "analyze" and not r["exit_code"]]
    if rss:
        worst = max(r["peak_rss_mb"] for r in rss)
        out.append(f"- analyze peak RSS, largest: {worst:.0f} MB (target under "
                   f"{TARGET_RSS_MB:.0f} MB: {'met' if worst < TARGET_RSS_MB else 'not met'})")
    out.append(f"- `formfit --help`: {env['help_wall_s']:.2f} s (target under {TARGET_HELP_S} s:"
               f" {'met' if env['help_wall_s'] < TARGET_HELP_S else 'not met'})")
    heavy = [m for m in env["import_formfit_loads"] if m in ("duckdb", "ibis", "scipy")]
    out.append(f"- `import formfit` loads: {', '.join(env['import_formfit_loads']) or 'none'} "
               f"of {', '.join(HEAVY)} (target: no duckdb, ibis or scipy: "
               f"{'not met' if heavy else 'met'})")
    if report.get("repeat", 1) > 1:
        out.append(f"- each bare read and analyze ran {report['repeat']} times: median wall "
                   "and CPU time, highest peak RSS (every run in the JSON)")
    out.append(f"- machine: {env['cpus']} CPUs, load average {env['load_average']}, "
               f"Python {env['python']}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--views", default="1e6,1e7", help="world sizes, comma-separated "
                    "(default 1e6,1e7)")
    ap.add_argument("--formats", default="csv,parquet", help="csv, parquet or both")
    ap.add_argument("--shapes", default="rows,daily",
                    help="views shapes: rows (one per view), daily (counts), or both")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--workdir", type=Path, default=None,
                    help="write the worlds here and keep them (default: a temp dir, removed)")
    ap.add_argument("--json", type=Path, default=Path("bench_analyze.json"),
                    help="where to write the figures (default bench_analyze.json)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each bare read and analyze N times, alternating, and report "
                         "the median wall and CPU time and the highest peak (default 1)")
    args = ap.parse_args(argv)
    sizes = parse_sizes(args.views)
    formats = [f for f in args.formats.split(",") if f]
    shapes = [s for s in args.shapes.split(",") if s]
    if not formats or set(formats) - {"csv", "parquet"}:
        raise SystemExit("--formats: csv, parquet or csv,parquet")
    if not shapes or set(shapes) - {"rows", "daily"}:
        raise SystemExit("--shapes: rows, daily or rows,daily")
    if args.repeat < 1:
        raise SystemExit("--repeat: at least 1")

    root = args.workdir or Path(tempfile.mkdtemp(prefix="formfit-bench-"))
    runs: list[Run] = []
    env: dict[str, Any] = {
        "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(), "platform": platform.platform()}

    def save() -> dict[str, Any]:  # after every run: a long run stopped early keeps its figures
        env["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        rows = [dict(asdict(r), fields_match_csv_rows=r.inner.get("fields_match_csv_rows"))
                for r in runs]
        report = {"schema": "formfit-bench-analyze/1", "seed": args.seed, "views": sizes,
                  "repeat": args.repeat, "environment": env, "runs": rows,
                  "summary": summarise(runs, sizes, formats, shapes)}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        return report

    try:
        env["help_wall_s"] = help_time()
        env["import_formfit_loads"] = import_check()
        for n in sizes:
            world = root / f"world_{n}"
            runs.append(generate(n, args.seed, formats, world))
            save()
            print(f"generated {_n(n)} views in {runs[-1].wall_s:.1f} s", file=sys.stderr)
            for fmt in formats:
                for shape in shapes:
                    reads: list[Run] = []
                    analyses: list[Run] = []
                    for _ in range(args.repeat):  # alternating: drifts hit both alike
                        reads.append(bare_read(n, fmt, shape, world))
                        analyses.append(analyze(n, fmt, shape, world))
                    runs += [repeated(reads), repeated(analyses)]
                    for r in runs:
                        if r.views == n and r.stage == "analyze":
                            r.inner["fields_match_csv_rows"] = same_fields(world, r.fmt,
                                                                           r.shape)
                    save()
                    print(f"  {fmt} {shape}: read {runs[-2].wall_s:.1f} s, analyze "
                          f"{runs[-1].wall_s:.1f} s", file=sys.stderr)
            if args.workdir is None:  # keep at most one big world on disk at a time
                shutil.rmtree(world, ignore_errors=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    report = save()
    sys.stdout.write(markdown(report))
    print(f"figures written to {args.json}", file=sys.stderr)
    return 1 if any(r.exit_code for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
