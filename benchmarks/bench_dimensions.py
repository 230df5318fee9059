"""Write a large synthetic world along one dimension at a time, and time analyze on it (by hand).

    python benchmarks/bench_dimensions.py --forms 1000 --versions 3          # many forms
    python benchmarks/bench_dimensions.py --forms 1000 --versions 3 --versioned 0.1
    python benchmarks/bench_dimensions.py --days 1825 --versions 20          # long span
    python benchmarks/bench_dimensions.py --segment-levels 500               # many segments
    python benchmarks/bench_dimensions.py --freetext 3 --fields 40           # wide, free text
    python benchmarks/bench_dimensions.py --deals-per-lead 20 --subs-per-email 5
    python benchmarks/bench_dimensions.py --experiments 300                  # many A/B tests
    python benchmarks/bench_dimensions.py --forms 100 --run validate --run analyze

`formfit simulate` grows a world only in its number of views; this script grows the other
dimensions: forms in forms.yaml and their versions over time, days covered, levels of a
segment column (`country`, in views and submissions), fields in the catalogue and per form,
free-text fields (every lead's answer distinct), deals per lead and submissions per email,
and experiments (`experiment:` pairs of variants). It writes views (row level, with
session_id), submissions, outcomes and forms.yaml under a temporary directory (or --out),
then runs each requested command as a child process under FORMFIT_STAGE_TIMES, and prints
wall time, CPU time, peak RSS and the three slowest stages. Not a test: figures depend on the
machine and its load (compare CPU time, and ratios between sizes run on the same machine).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

START = date(2021, 1, 1)
CHOICES = ("a", "b", "c", "d")


def write_world(args: argparse.Namespace, out: Path) -> dict[str, int]:
    """Write forms.yaml, views.csv, submissions.csv and outcomes.csv; return their row counts."""
    rng = np.random.default_rng(args.seed)
    pool = ["email"] + [f"f{i:03d}" for i in range(args.fields)]
    text_fields = set(pool[1:1 + args.freetext])
    per_form = min(args.fields_per_form, args.fields)

    # forms: experiments first (pairs of variants that differ in one field), then plain forms
    forms: dict[str, dict[str, object]] = {}
    form_ids: list[str] = []
    form_versions: list[list[tuple[int, list[str]]]] = []  # (since day, fields)
    for e in range(args.experiments):
        base = sorted(rng.choice(pool[1:], size=per_form, replace=False).tolist())
        for arm, fields in (("a", base), ("b", base[1:])):
            fid = f"exp{e:04d}-{arm}"
            forms[fid] = {"experiment": f"exp{e:04d}", "fields": ["email", *fields]}
            form_ids.append(fid)
            form_versions.append([(0, ["email", *fields])])
    for i in range(args.forms):
        fid = f"form{i:05d}"
        n_versions = args.versions if i < args.versioned * args.forms else 1
        spans = sorted(rng.choice(np.arange(1, args.days), size=n_versions - 1,
                                  replace=False).tolist()) if n_versions > 1 else []
        versions = []
        for since in [0, *spans]:
            fields = sorted(rng.choice(pool[1:], size=per_form, replace=False).tolist())
            versions.append((since, ["email", *fields]))
        form_versions.append(versions)
        form_ids.append(fid)
        if len(versions) == 1:
            forms[fid] = {"fields": versions[0][1]}
        else:
            forms[fid] = {"versions": [
                {"since": (START + timedelta(days=s)).isoformat(), "fields": f}
                for s, f in versions]}
    config = {"version": 1, "fields": {"email": {"protected": "needed to contact the lead"}},
              "forms": forms}
    (out / "forms.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    # views: uniform over forms and days
    n = args.views
    form = rng.integers(0, len(form_ids), n)
    day = rng.integers(0, args.days, n)
    secs = rng.integers(0, 86400, n)
    ts = (np.datetime64(START.isoformat(), "s") + day.astype("timedelta64[D]")
          + secs.astype("timedelta64[s]"))
    session = np.char.add("s", np.arange(n).astype(str))
    seg = rng.integers(0, args.segment_levels, n)
    seg_names = np.char.add("c", np.arange(args.segment_levels).astype(str))
    fid_arr = np.array(form_ids)
    views = pd.DataFrame({"session_id": session, "form_id": fid_arr[form],
                          "viewed_at": pd.Series(ts).dt.strftime("%Y-%m-%dT%H:%M:%S"),
                          "device": np.where(rng.random(n) < 0.5, "mobile", "desktop"),
                          "country": seg_names[seg]})
    views.to_csv(out / "views.csv", index=False)

    # submissions: 10% of views convert; people may submit several times (same email)
    conv = np.flatnonzero(rng.random(n) < args.conversion)
    m = len(conv)
    people = max(1, m // args.subs_per_email)
    person = rng.integers(0, people, m) if args.subs_per_email > 1 else np.arange(m)
    email = np.char.add(np.char.add("p", person.astype(str)), "@example.com")
    sub_ts = ts[conv] + rng.integers(0, 600, m).astype("timedelta64[s]")
    subs = {"email": email, "form_id": fid_arr[form[conv]],
            "submitted_at": pd.Series(sub_ts).dt.strftime("%Y-%m-%d %H:%M:%S"),
            "session_id": session[conv], "device": views["device"].to_numpy()[conv],
            "country": seg_names[seg[conv]]}
    # which fields each submission shows: the version of its form on its day
    shown = np.zeros((m, len(pool)), dtype=bool)
    pos = {f: j for j, f in enumerate(pool)}
    sub_form, sub_day = form[conv], day[conv]
    for k, versions in enumerate(form_versions):
        rows = np.flatnonzero(sub_form == k)
        if not len(rows):
            continue
        sinces = np.array([s for s, _ in versions])
        which = np.searchsorted(sinces, sub_day[rows], side="right") - 1
        for v, (_, fields) in enumerate(versions):
            r = rows[which == v]
            for f in fields:
                shown[r, pos[f]] = True
    for j, f in enumerate(pool[1:], start=1):
        if f in text_fields:
            vals = np.char.add(f"said {f} ", rng.integers(0, 1 << 40, m).astype(str))
        else:
            vals = np.array(CHOICES)[rng.integers(0, len(CHOICES), m)]
        subs[f] = np.where(shown[:, j], vals, "")
    submissions = pd.DataFrame(subs)
    submissions.to_csv(out / "submissions.csv", index=False)

    # outcomes: a third of leads get deals, each with up to deals-per-lead deals
    has = rng.random(m) < 0.3
    counts = np.where(has, rng.integers(1, args.deals_per_lead + 1, m), 0)
    idx = np.repeat(np.arange(m), counts)
    d = len(idx)
    created = sub_ts[idx] + rng.integers(0, 30, d).astype("timedelta64[D]")
    closed = created + rng.integers(1, 90, d).astype("timedelta64[D]")
    outcome = np.array(["won", "lost", "open"])[rng.choice(3, d, p=[0.25, 0.6, 0.15])]
    deals = pd.DataFrame({"deal_id": np.char.add("D", np.arange(d).astype(str)),
                          "email": email[idx],
                          "created_at": pd.Series(created).dt.strftime("%Y-%m-%d"),
                          "closed_at": np.where(outcome == "open", "",
                                                pd.Series(closed).dt.strftime("%Y-%m-%d")),
                          "outcome": outcome,
                          "amount": np.where(outcome == "won",
                                             np.round(rng.gamma(2, 2000, d), 2).astype(str),
                                             "")})
    deals.to_csv(out / "outcomes.csv", index=False)
    return {"forms": len(form_ids), "views": n, "submissions": m, "deals": d}


def run(cmd: str, out: Path, args: argparse.Namespace) -> dict[str, object]:
    """Run one formfit command as a child; return its wall/CPU/peak RSS and slowest stages."""
    times = out / f"stages_{cmd}.json"
    argv = [sys.executable, "-m", "formfit", cmd, "--submissions", str(out / "submissions.csv"),
            "--views", str(out / "views.csv"), "--outcomes", str(out / "outcomes.csv"),
            "--forms", str(out / "forms.yaml"), "--as-of",
            (START + timedelta(days=args.days + 120)).isoformat(), "-q"]
    for s in args.segment:
        argv += ["--segment", s]
    if cmd == "analyze":
        argv += ["--format", "json", "--out", str(out / "result.json")]
    env = dict(os.environ, FORMFIT_STAGE_TIMES=str(times))
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    stages = json.loads(times.read_text())["stages"] if times.exists() else []
    top = sorted((s for s in stages if s["stage"] != "total"), key=lambda s: -s["wall_s"])[:3]
    return {"cmd": cmd, "exit": os.waitstatus_to_exitcode(status), "wall_s": round(wall, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "top": [(s["stage"], s["wall_s"], s["cpu_s"]) for s in top]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--views", type=lambda s: int(float(s)), default=200_000)
    p.add_argument("--conversion", type=float, default=0.1)
    p.add_argument("--forms", type=int, default=5, help="plain forms (besides experiments)")
    p.add_argument("--versions", type=int, default=1, help="versions over time per plain form")
    p.add_argument("--versioned", type=float, default=1.0,
                   help="share of plain forms that have --versions (the rest never change)")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--segment-levels", type=int, default=4, help="levels of `country`")
    p.add_argument("--segment", action="append", default=[], help="passed to --segment")
    p.add_argument("--fields", type=int, default=12, help="fields in the catalogue")
    p.add_argument("--fields-per-form", type=int, default=6)
    p.add_argument("--freetext", type=int, default=0, help="fields whose every answer differs")
    p.add_argument("--deals-per-lead", type=int, default=1, help="most deals a lead has")
    p.add_argument("--subs-per-email", type=int, default=1, help="mean submissions per email")
    p.add_argument("--experiments", type=int, default=1, help="A/B pairs in forms.yaml")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run", action="append", choices=["analyze", "validate"], default=[])
    p.add_argument("--out", type=Path, help="directory to write to (default: a temp dir)")
    args = p.parse_args()
    args.segment_levels = max(1, args.segment_levels)
    out = args.out or Path(tempfile.mkdtemp(prefix="formfit_dims_"))
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    sizes = write_world(args, out)
    print(json.dumps({"out": str(out), **sizes,
                      "generate_s": round(time.perf_counter() - t0, 1)}))
    for cmd in args.run:
        print(json.dumps(run(cmd, out, args)))


if __name__ == "__main__":
    main()
