"""Run the bad-input corpus: every case of tests/data/bad/manifest.yaml through the real CLI.

Used by tests/test_bad_corpus.py (one test per case) and scripts/run_bad_corpus.py (the counts
for issue 12). A case names the command line (``{bad}``: tests/data/bad, ``{check}``:
tests/data/check, ``{tmp}``: the folder :func:`write_generated` fills), the exit status it must
give and regular expressions its output (stdout and stderr together) must match.

Cases marked ``isolate: true`` (large or special files: a FIFO, /dev/zero, a gzip bomb) run in
a subprocess under a timeout and an address-space cap, two at a time; the rest run in-process
with typer's CliRunner, which is much faster. Each run is classified: ``clear_error`` (exit 2 with
the expected message), ``clean_run`` (the expected exit 0 or 1), or a failure: ``traceback``,
``hang``, ``memory``, ``library_warning`` (a Python warning on stderr), ``wrong_exit``,
``missing_message``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import time
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
CHECK = ROOT / "tests" / "data" / "check"
MANIFEST = BAD / "manifest.yaml"
TIMEOUT_S = 60
MEMORY_CAP_MB = 4096  # DuckDB alone needs more than 2 GB of address space to start
FAILURES = ("traceback", "hang", "memory", "library_warning", "wrong_exit", "missing_message")
_WARNING_LINE = re.compile(r"^\S+:\d+: \w*Warning: ", re.M)


@dataclass(frozen=True)
class Case:
    """One corpus input and what it must give."""

    name: str
    kind: str  # which part of issue 12's list it stands for
    args: tuple[str, ...]
    exit: int
    messages: tuple[str, ...]  # regular expressions the output must match (case-insensitive)
    isolate: bool = False
    env: tuple[tuple[str, str], ...] = ()
    known: str | None = None  # a failure left to another part of the work, and why

    def argv(self, tmp: Path) -> list[str]:
        """The arguments with their folders filled in."""
        return [a.replace("{bad}", str(BAD)).replace("{check}", str(CHECK))
                .replace("{tmp}", str(tmp)) for a in self.args]


@dataclass
class Outcome:
    """How one case ran."""

    case: Case
    status: str
    exit: int | None
    output: str
    seconds: float
    problems: list[str] = field(default_factory=list)


def load_cases(path: Path = MANIFEST) -> list[Case]:
    """The manifest's cases, in order; names are unique."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for item in data["cases"]:
        msgs = item.get("message", [])
        cases.append(Case(
            name=str(item["name"]), kind=str(item["kind"]),
            args=tuple(str(a) for a in item["args"]), exit=int(item["exit"]),
            messages=tuple([msgs] if isinstance(msgs, str) else msgs),
            isolate=bool(item.get("isolate", False)),
            env=tuple((str(k), str(v)) for k, v in (item.get("env") or {}).items()),
            known=item.get("known")))
    in_process_env = [c.name for c in cases if c.env and not c.isolate]
    if in_process_env:
        raise ValueError(f"env needs isolate: true (a subprocess): {in_process_env}")
    names = [c.name for c in cases]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"manifest names repeated: {dupes}")
    return cases


# --- files made at test time ------------------------------------------------------------------

def write_generated(tmp: Path) -> None:
    """The corpus inputs too large or too special for git, written under ``tmp``."""
    tmp.mkdir(parents=True, exist_ok=True)
    header = "lead_id,form_id,submitted_at,notes\n"
    with open(tmp / "cell_50mb.csv", "w", encoding="utf-8") as fh:
        fh.write(header)
        for i in range(40):
            cell = '"' + "x" * (50 << 20) + '"' if i == 7 else "ok"
            fh.write(f"L{i},demo-a,2025-01-05,{cell}\n")
    with open(tmp / "cell_50mb.jsonl", "w", encoding="utf-8") as fh:
        for i in range(20):
            notes = "y" * (50 << 20) if i == 3 else "ok"
            fh.write(json.dumps({"lead_id": f"L{i}", "form_id": "demo-a", "notes": notes}) + "\n")
    row = b"L1,demo-a,2025-01-05,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    with gzip.open(tmp / "gzip_bomb.csv.gz", "wb", compresslevel=1) as gz:
        gz.write(header.encode())
        block = row * (1 << 14)
        for _ in range(60 << 20 // len(block) + 1):  # ~60 MB inflated, well under 1 MB stored
            gz.write(block)
    with gzip.open(tmp / "gzip_bomb_600mb.csv.gz", "wb", compresslevel=1) as gz:
        gz.write(header.encode())
        block = row * (1 << 14)
        for _ in range((600 << 20) // len(block) + 1):  # past the default 512 MB cap
            gz.write(block)
    with open(tmp / "plain_30mb.csv", "wb") as fh:
        fh.write(header.encode())
        fh.write(row * ((30 << 20) // len(row)))
    _xlsx_far_cell(tmp / "far_cell_xfd.xlsx")
    _xlsx_no_dimension(tmp / "far_cell_no_dimension.xlsx")
    _xlsx_big_xml(tmp / "big_sheet_xml.xlsx", mb=600)
    _xlsx_good(tmp / "good.xlsx")
    _typed_files(tmp)
    (tmp / "deep.jsonl").write_text('{"lead_id": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    (tmp / "deep_forms.yaml").write_text("forms: " + "[" * 20_000 + "]" * 20_000 + "\n")
    (tmp / "random_bytes.csv").write_bytes(os.urandom(1 << 20))
    for name, target in (("zero.csv", "/dev/zero"), ("urandom.csv", "/dev/urandom")):
        link = tmp / name
        if not link.is_symlink():
            link.symlink_to(target)
    fifo = tmp / "fifo.csv"
    if not fifo.exists():
        os.mkfifo(fifo)
    (tmp / "a_directory.json").mkdir(exist_ok=True)
    (tmp / "a_file").write_text("not a directory\n")
    _evidence_variants(tmp)


def _xlsx_far_cell(path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["lead_id", "form_id"])
    ws.append(["L1", "demo-a"])
    ws["XFD1048576"] = "stray"
    wb.save(path)


def _xlsx_no_dimension(path: Path) -> None:
    """A stray far cell in a sheet without a dimension tag (openpyxl cannot see its size)."""
    _xlsx_good(path.with_suffix(".tmp.xlsx"))
    with zipfile.ZipFile(path.with_suffix(".tmp.xlsx")) as zin, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', b"", data).replace(
                    b"</sheetData>", b'<row r="70"><c r="XFD70" t="inlineStr"><is><t>stray</t>'
                    b"</is></c></row></sheetData>")
            zout.writestr(item, data)


def _xlsx_good(path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    lines = (BAD / "good" / "subs.csv").read_text().splitlines()
    for line in lines:
        ws.append(line.split(","))
    wb.save(path)


def _typed_files(tmp: Path) -> None:
    """XLSX and Parquet with typed placeholder dates, serial dates and too many columns."""
    import datetime as dt

    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    def stamp(i: int, bad: dt.datetime) -> dt.datetime:
        return bad if i == 5 else dt.datetime(2025, 1, 2 + i % 20)

    for name, bad in (("typed_9999", dt.datetime(9999, 12, 31)),
                      ("typed_0001", dt.datetime(1, 1, 1))):
        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(["lead_id", "form_id", "submitted_at"])
        for i in range(30):
            ws.append([f"L{i}", "demo-a", stamp(i, bad)])
        wb.save(tmp / f"{name}.xlsx")
        pq.write_table(pa.table({
            "lead_id": [f"L{i}" for i in range(30)], "form_id": ["demo-a"] * 30,
            "submitted_at": pa.array([stamp(i, bad) for i in range(30)], pa.timestamp("us"))}),
            tmp / f"{name}.parquet")
    pq.write_table(pa.table({
        "form_id": ["demo-a"] * 30,
        "viewed_at": pa.array([stamp(i, dt.datetime(9999, 12, 31)) for i in range(30)],
                              pa.timestamp("us"))}), tmp / "views_9999.parquet")
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["lead_id", "form_id", "submitted_at"])
    for i in range(30):
        ws.append([f"L{i}", "demo-a", 45658 + i])  # dates saved as numbers: Excel serials
    wb.save(tmp / "serial_dates.xlsx")
    wide = {f"c{j}": ["x"] * 3 for j in range(1500)}
    pq.write_table(pa.table({"lead_id": ["a", "b", "c"], "form_id": ["f"] * 3, **wide}),
                   tmp / "wide.parquet")
    (tmp / "wide.jsonl").write_text(json.dumps({"lead_id": "a", "form_id": "f",
                                                **dict.fromkeys(wide, 1)}) + "\n")


def _xlsx_big_xml(path: Path, mb: int) -> None:
    """A workbook whose one sheet's XML inflates to ``mb`` MB (a few MB zipped), streamed."""
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{"z" * 200}</t></is></c></row>'
                   for r in range(1, 1001)).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                     b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for _ in range((mb << 20) // len(rows) + 1):
                fh.write(rows)
            fh.write(b"</sheetData></worksheet>")


def _evidence_variants(tmp: Path) -> None:
    """Hand edits of a real evidence file: the kinds a person makes in a text editor."""
    good = json.loads((CHECK / "evidence.json").read_text(encoding="utf-8"))

    def variant(name: str, edit: Any) -> None:
        e = json.loads(json.dumps(good))
        edit(e)
        (tmp / name).write_text(json.dumps(e), encoding="utf-8")

    variant("ev_schema_string.json", lambda e: e.__setitem__("schema_version", "1"))
    variant("ev_schema_2.json", lambda e: e.__setitem__("schema_version", 2))
    variant("ev_no_field.json", lambda e: e["fields"][0].pop("field"))
    variant("ev_models_list.json", lambda e: e.__setitem__("models", []))
    variant("ev_fields_dict.json", lambda e: e.__setitem__("fields", {"a": 1}))
    variant("ev_as_of_bad.json", lambda e: e.__setitem__("as_of", "someday"))

    def lots(e: dict[str, Any]) -> None:
        for f in e["fields"]:
            if f.get("test_plan"):
                f["test_plan"]["views_per_arm"] = "lots"
                return
        e["fields"][0]["test_plan"] = {"views_per_arm": "lots", "days": 3}

    variant("ev_views_per_arm_lots.json", lots)
    (tmp / "ev_a_list.json").write_text("[1, 2, 3]\n")
    (tmp / "ev_not_json.json").write_text("{schema_version: 1,\n")
    (tmp / "ev_deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp / "ev_empty.json").write_text("")


# --- running ------------------------------------------------------------------------------------

def _limit_memory() -> None:  # runs in the child, before exec
    import resource

    cap = MEMORY_CAP_MB << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _run_subprocess(case: Case, tmp: Path) -> tuple[int | None, str, str, bool]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", **dict(case.env)}
    env.pop("FORMFIT_MAX_INPUT_MB", None) if "FORMFIT_MAX_INPUT_MB" not in dict(case.env) \
        else None
    try:
        proc = subprocess.run([sys.executable, "-m", "formfit", *case.argv(tmp)],
                              capture_output=True, text=True, errors="replace", env=env,
                              timeout=TIMEOUT_S, preexec_fn=_limit_memory, cwd=tmp)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        return None, out, "", True
    return proc.returncode, proc.stdout, proc.stderr, False


def _run_in_process(case: Case, tmp: Path) -> tuple[int | None, str, str, str | None]:
    from typer.testing import CliRunner

    from formfit.cli import app

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        result = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "100"}).invoke(app, case.argv(tmp))
    shown = [w for w in caught if not issubclass(w.category, (DeprecationWarning,
                                                               PendingDeprecationWarning))]
    stderr = result.stderr + "".join(
        f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}\n" for w in shown)
    crash = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        crash = f"{type(result.exception).__name__}: {result.exception}"
    return result.exit_code, result.stdout, stderr, crash


def run_case(case: Case, tmp: Path) -> Outcome:
    """Run one case and classify what happened."""
    start = time.monotonic()
    crash: str | None = None
    if case.isolate:
        code, out, err, hung = _run_subprocess(case, tmp)
    else:
        code, out, err, crash = _run_in_process(case, tmp)
        hung = False
    seconds = time.monotonic() - start
    text = out + "\n" + err
    outcome = Outcome(case, "", code, text, seconds)
    if hung:
        outcome.status = "hang"
    elif "MemoryError" in text or "Out of Memory" in text or (code is not None and code < 0):
        outcome.status = "memory"
    elif crash is not None or "Traceback (most recent call last)" in text \
            or code not in (0, 1, 2):
        outcome.status = "traceback"
        outcome.problems.append(crash or err[-2000:])
    elif _WARNING_LINE.search(err) or "site-packages" in err:
        outcome.status = "library_warning"
        outcome.problems.append(err[-1000:])
    elif code != case.exit:
        outcome.status = "wrong_exit"
        outcome.problems.append(f"exit {code}, expected {case.exit}")
    else:
        missing = [m for m in case.messages if not re.search(m, text, re.I | re.S)]
        if code == 2 and "Error:" not in err and "Usage:" not in err:
            missing.append("an 'Error:' line on stderr")
        if missing:
            outcome.status = "missing_message"
            outcome.problems.extend(f"no match for {m!r}" for m in missing)
        else:
            outcome.status = "clear_error" if code == 2 else "clean_run"
    return outcome


def run_all(cases: list[Case], tmp: Path, workers: int = 2) -> list[Outcome]:
    """Every case: isolated ones ``workers`` at a time, then the in-process ones in turn."""
    isolated = [c for c in cases if c.isolate]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = dict(zip([c.name for c in isolated],
                        pool.map(lambda c: run_case(c, tmp), isolated), strict=True))
    for case in cases:
        if not case.isolate:
            done[case.name] = run_case(case, tmp)
    return [done[c.name] for c in cases]


def counts(outcomes: list[Outcome]) -> dict[str, int]:
    """The figures issue 12's closing note asks for."""
    mine = [o for o in outcomes if o.case.known is None or o.status not in FAILURES]
    by = {s: sum(1 for o in mine if o.status == s) for s in ("clear_error", "clean_run", *FAILURES)}
    known = len(outcomes) - len(mine)
    return {"inputs_tried": len(outcomes), **by, "known_failures_left_to_others": known}
