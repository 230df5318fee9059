"""Regenerate the golden outputs of `formfit check` under tests/data/check/golden/.

    python scripts/regenerate_check_golden.py             # golden outputs from the fixtures
    python scripts/regenerate_check_golden.py --evidence  # also re-trim evidence.json first

Each case in tests/data/check/cases.json runs `formfit check` in every format (in a copy of
tests/data/check outside any repository, or in a fresh git repository for cases marked "git",
with a fixed --as-of) and its stdout, or for bad input its stderr, is written to
golden/<case>.<format>. Read the diff (`git diff tests/data/check`) before
committing. ``--evidence`` re-makes the fixture evidence.json from `formfit demo --format json`,
trimmed to what the gate reads (the randomized blocks of models.conversion and
models.wins.wins_per_1k_views); only do that when the evidence layout changes on purpose.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "check"
GOLDEN = DATA / "golden"
HEADER = "regenerate with: python scripts/regenerate_check_golden.py (then review git diff)"
FORMATS = ("text", "json", "markdown", "github", "sarif")


def trimmed_evidence() -> dict[str, Any]:
    """The demo's analyze JSON with only what `check` reads, so the fixture stays small."""
    out = subprocess.run([sys.executable, "-m", "formfit", "demo", "--format", "json"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    data: dict[str, Any] = json.loads(out.stdout)
    models = data["models"]
    wins = models["wins"]
    for key in ("cumulative_incidence", "win_rate"):
        wins.pop(key, None)
    for fit in (models["conversion"], wins["wins_per_1k_views"]):
        fit["blocks"] = [b for b in fit["blocks"] if b["kind"] == "randomized"]
    for f in data["fields"]:
        f["predictive"]["win_rate_by_value"] = f["predictive"]["win_rate_by_value"][:3]
    return data


def cases() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads((DATA / "cases.json").read_text("utf-8"))
    return result


def sandbox(case: dict[str, Any], where: Path) -> Path:
    """A directory outside any git repository holding the case's files (and, for cases
    marked ``git``, a repository with base.yaml committed as forms.yaml), so that paths in
    the output are the same on every machine."""
    where.mkdir(parents=True, exist_ok=True)
    for p in DATA.iterdir():
        if p.suffix in (".yaml", ".json") and p.name != "cases.json":
            shutil.copy(p, where / p.name)
    if case.get("git"):
        shutil.copy(DATA / "base.yaml", where / "forms.yaml")
        for args in (["init", "-q"], ["add", "forms.yaml"],
                     ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit",
                      "-q", "-m", "forms"]):
            subprocess.run(["git", *args], cwd=where, check=True, capture_output=True)
    return where


def run_case(case: dict[str, Any], fmt: str, cwd: Path) -> tuple[int, str]:
    """(exit code, golden text) of one case in one format, run in-process from ``cwd``:
    stdout, or for bad input (exit 2) stderr."""
    from typer.testing import CliRunner

    from formfit.cli import app

    old = Path.cwd()
    os.chdir(cwd)
    try:
        res = CliRunner().invoke(app, ["check", *case["args"], "--format", fmt],
                                 env={"NO_COLOR": "1", "GIT_CEILING_DIRECTORIES":
                                      str(cwd.parent)})
    finally:
        os.chdir(old)
    return res.exit_code, res.stdout if res.exit_code != 2 else res.stderr


def golden_name(case: dict[str, Any], fmt: str) -> str:
    return f"{case['name']}.stderr" if case["exit"] == 2 else f"{case['name']}.{fmt}"


def case_formats(case: dict[str, Any]) -> tuple[str, ...]:
    return ("text",) if case["exit"] == 2 else FORMATS


def main() -> None:
    if "--evidence" in sys.argv[1:]:
        # compact: the covariance matrices are most of it, and nobody reads them by eye
        text = json.dumps(trimmed_evidence(), separators=(",", ":"), ensure_ascii=False) + "\n"
        (DATA / "evidence.json").write_text(text, encoding="utf-8")
        print(f"wrote {DATA / 'evidence.json'}")
    GOLDEN.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases():
            where = sandbox(case, Path(tmp) / case["name"])
            for fmt in case_formats(case):
                code, text = run_case(case, fmt, where)
                if code != case["exit"]:
                    raise SystemExit(f"{case['name']} --format {fmt}: exit {code}, expected "
                                     f"{case['exit']}:\n{text}")
                path = GOLDEN / golden_name(case, fmt)
                path.write_text(f"{HEADER}\n{text}", encoding="utf-8")
                print(f"wrote {path}")


if __name__ == "__main__":
    main()
