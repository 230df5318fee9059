"""benchmarks/bench_analyze.py runs end to end at a tiny size (no timings asserted: the figures
depend on the machine; what must hold is that every stage ran, was measured, and compared like
with like)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_analyze.py"


def _bench() -> ModuleType:
    if "bench_analyze" in sys.modules:
        return sys.modules["bench_analyze"]
    spec = importlib.util.spec_from_file_location("bench_analyze", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_analyze"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_smoke_run_measures_every_stage(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    work = tmp_path / "work"
    code = _bench().main(["--views", "2000", "--formats", "csv,parquet", "--shapes", "rows",
                          "--workdir", str(work), "--json", str(out)])
    assert code == 0
    report = json.loads(out.read_text())
    stages = [(r["stage"], r["fmt"], r["shape"]) for r in report["runs"]]
    assert stages == [("generate", "csv,parquet", ""), ("bare read", "csv", "rows"),
                      ("analyze", "csv", "rows"), ("bare read", "parquet", "rows"),
                      ("analyze", "parquet", "rows")]
    for r in report["runs"]:
        assert r["exit_code"] == 0 and r["wall_s"] > 0 and r["peak_rss_mb"] > 50, r
    for r in report["runs"][2::2]:  # analyze: each stage's memory held after it, and the peak
        assert r["stages"] and all(50 < s["rss_mb"] <= s["peak_rss_mb"] + 1 for s in r["stages"])
    # the bare read saw every row of the three files the analyze run was given
    truth = json.loads((work / "world_2000" / "truth.json").read_text())["counts"]
    expected_rows = truth["submission_rows"] + truth["views"] + truth["deals"]
    reads = [r for r in report["runs"] if r["stage"] == "bare read"]
    assert [r["inner"]["rows"] for r in reads] == [expected_rows, expected_rows]
    # Parquet and CSV of one world must give the same answer, or the timings compare nothing
    parquet = report["runs"][-1]
    assert parquet["fields_match_csv_rows"] is True
    ratios = report["summary"]["analyze_over_read"]
    assert [(x["format"], x["target"]) for x in ratios] == [("csv", 3.0), ("parquet", 2.0)]
    env = report["environment"]
    assert env["help_wall_s"] > 0 and "import_formfit_loads" in env
    table = capsys.readouterr().out
    assert "| views | format | views shape | stage |" in table
    assert "`formfit --help`" in table and "| 2k | parquet | rows | analyze |" in table


def test_stage_times_from_analyze_are_shown_under_its_row() -> None:
    """FORMFIT_STAGE_TIMES rows (written by analyze when it knows its stages) are listed under
    the analyze row; missing keys leave blank cells rather than failing."""
    bench = _bench()
    run = bench.Run("analyze", 1_000_000, "csv", "rows", 10.0, 12.0, 900.0, 0,
                    stages=[{"stage": "read", "wall_s": 2.5, "cpu_s": 3.0, "peak_rss_mb": 400,
                             "rss_mb": 350.4},
                            {"stage": "cells", "wall_s": 1.25}])
    read = bench.Run("bare read", 1_000_000, "csv", "rows", 2.0, 2.5, 300.0, 0)
    runs = [read, run]
    report = {"runs": [dict(vars(r), fields_match_csv_rows=None) for r in runs],
              "summary": bench.summarise(runs, [1_000_000], ["csv"], ["rows"]),
              "environment": {"help_wall_s": 0.2, "import_formfit_loads": ["scipy"], "cpus": 2,
                              "load_average": [1.0, 1.0, 1.0], "python": "3.11"}}
    text = bench.markdown(report)
    assert ("| 1M | csv | rows | analyze | 10.00 | 12.00 | 900 | "
            "5.0x (target 3x: not met); CPU 4.8x") in text
    assert "&nbsp;&nbsp;read | 2.50 | 3.00 | 400 | holds 350 MB after |" in text
    assert "&nbsp;&nbsp;cells | 1.25 |  |  |" in text
    assert "scipy of" in text and "not met" in text.split("import formfit")[1]


def test_sizes_parse_like_the_docs_say() -> None:
    bench = _bench()
    assert bench.parse_sizes("1e6,1e7") == [1_000_000, 10_000_000]
    assert bench.parse_sizes("5000") == [5000]
    with pytest.raises(SystemExit, match="at least 1000"):
        bench.parse_sizes("10")
    with pytest.raises(SystemExit, match="give sizes like"):
        bench.parse_sizes("lots")


def test_repeated_runs_report_median_times_and_the_highest_peak() -> None:
    bench = _bench()
    runs = [bench.Run("analyze", 1000, "csv", "rows", wall, cpu, rss, code,
                      stages=[{"stage": "read", "wall_s": wall}])
            for wall, cpu, rss, code in [(30.0, 40.0, 900.0, 0), (10.0, 14.0, 1200.0, 0),
                                         (20.0, 25.0, 800.0, 0), (50.0, 60.0, 700.0, 0)]]
    one = bench.repeated(runs)
    assert one.wall_s == 20.0  # the lower median of four is a run that happened
    assert one.stages == [{"stage": "read", "wall_s": 20.0}]  # and its stages are shown
    assert one.cpu_s == 32.5 and one.peak_rss_mb == 1200.0 and one.exit_code == 0
    assert [r["wall_s"] for r in one.inner["repeats"]] == [30.0, 10.0, 20.0, 50.0]
    failed = bench.repeated([*runs[:2], bench.Run("analyze", 1000, "csv", "rows", 5.0, 5.0,
                                                  100.0, 1)])
    assert failed.exit_code == 1  # a failure in any repeat is not hidden by the median
    assert bench.repeated(runs[:1]) is runs[0]


def test_repeat_runs_each_pair_n_times(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    code = _bench().main(["--views", "2000", "--formats", "csv", "--shapes", "daily",
                          "--repeat", "2", "--workdir", str(tmp_path / "w"),
                          "--json", str(out)])
    assert code == 0
    report = json.loads(out.read_text())
    assert report["repeat"] == 2
    read, analyze = report["runs"][1:]
    for r in (read, analyze):
        walls = [x["wall_s"] for x in r["inner"]["repeats"]]
        assert len(walls) == 2 and r["wall_s"] == min(walls)  # lower median of two
        assert r["peak_rss_mb"] == max(x["peak_rss_mb"] for x in r["inner"]["repeats"])
    assert "ran 2 times: median wall" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="--repeat: at least 1"):
        _bench().main(["--views", "2000", "--repeat", "0", "--json", str(out)])
