"""Property tests: whatever the bytes or the table, formfit answers with a result or with its own
error (InputError / UsageError, exit 2), never an unhandled exception, and every row read is
accounted for (rows_read == rows_used + sum(excluded)).

Random bytes go to every reader (CSV, TSV, JSON Lines, XLSX, Parquet, gzip), the forms file
parser, the config parser and the evidence parser; random tables (random columns, values,
missing cells, odd types) go through ``load_inputs`` and ``analyze``.
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from formfit.api import analyze
from formfit.config import Settings, build_settings
from formfit.errors import FormfitError
from formfit.evidence import read_evidence
from formfit.io import load_inputs
from formfit.io.forms import read_forms_file
from formfit.io.readers import read_table

FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# bytes that look a little like the real thing, so the parsers get past their first line
PREFIXES = st.sampled_from([b"", b"lead_id,form_id,submitted_at\n", b"lead_id\tform_id\n",
                            b'{"lead_id": 1, "form_id": "a"}\n', b"PK\x03\x04", b"PAR1",
                            b"\xef\xbb\xbf", b"\xff\xfe", b"version: 1\nforms:\n",
                            b'{"schema_version": 1, "fields": ['])
BYTES = st.builds(lambda p, b: p + b, PREFIXES, st.binary(max_size=300))


def _in_tmp(name: str, data: bytes) -> tuple[tempfile.TemporaryDirectory[str], Path]:
    tmp = tempfile.TemporaryDirectory()
    path = Path(tmp.name) / name
    path.write_bytes(data)
    return tmp, path


def _answers(fn: Any, *args: Any, **kw: Any) -> Any:
    """fn's result, or None when it raised formfit's own error (anything else propagates)."""
    try:
        return fn(*args, **kw)
    except FormfitError as exc:
        assert str(exc.message).strip()  # a message, not an empty error
        return None


@FAST
@given(data=BYTES, ext=st.sampled_from(["csv", "tsv", "jsonl", "xlsx", "parquet", "csv.gz"]))
@example(data=b"\xff\xfe\x00", ext="csv")  # a UTF-16 mark, then a cut-short file: a traceback
@example(data=b"\xfe\xff\x00", ext="jsonl")
def test_readers_take_any_bytes(data: bytes, ext: str) -> None:
    payload = gzip.compress(data) if ext.endswith(".gz") else data
    tmp, path = _in_tmp(f"subs.{ext}", payload)
    with tmp:
        table = _answers(read_table, path, "submissions")
        event("read" if table is not None else "clear error")
        if table is not None:
            assert len(table.frame) > 0 and len(table.frame.columns) > 0


@FAST
@given(data=BYTES, ext=st.sampled_from(["yaml", "json"]))
def test_forms_config_and_evidence_parsers_take_any_bytes(data: bytes, ext: str) -> None:
    tmp, path = _in_tmp(f"file.{ext}", data)
    with tmp:
        _answers(read_forms_file, path)
        _answers(build_settings, config=path)
        _answers(read_evidence, path)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=BYTES)
def test_analyze_takes_any_bytes(data: bytes) -> None:
    tmp, path = _in_tmp("subs.csv", data)
    with tmp:
        _answers(analyze, path)


# --- random tables -----------------------------------------------------------------------------

CELL = st.one_of(st.none(), st.sampled_from(["", " ", "L1", "L2", "a", "b", "won", "lost",
                                              "2025-01-01", "2025-13-45", "9999-12-31", "1e308",
                                              "-1", "NaN", "true", "=1+1", "café", "x\ny",
                                              "susan@acme.example"]),
                 st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                 st.booleans(), st.text(max_size=12))
COLUMN = st.sampled_from(["lead_id", "email", "form_id", "submitted_at", "outcome", "amount",
                          "stage", "views", "date", "viewed_at", "budget", "Company Size",
                          "", " lead_id ", "Phone", "phone"])


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    cols = draw(st.lists(COLUMN, min_size=1, max_size=6))
    n = draw(st.integers(1, 12))
    # duplicate names are what exports do; pandas needs them unique to build the frame
    names = [c if cols.index(c) == i else f"{c}.{i}" for i, c in enumerate(cols)]
    data = {c: [draw(CELL) for _ in range(n)] for c in names}
    return pd.DataFrame(data)


_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _write(df: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".xlsx":
        # XML cannot hold these characters at all, so no spreadsheet can contain them
        clean = df.map(lambda v: _XML_ILLEGAL.sub("", v) if isinstance(v, str) else v)
        clean.columns = [_XML_ILLEGAL.sub("", str(c)) for c in df.columns]
        clean.to_excel(path, index=False)
    elif path.suffix == ".tsv":
        df.to_csv(path, index=False, sep="\t")
    elif path.suffix == ".jsonl":
        path.write_text("\n".join(json.dumps(r, default=str)
                                  for r in df.to_dict(orient="records")) + "\n",
                        encoding="utf-8")
    else:
        df.to_csv(path, index=False)


@FAST
@given(subs=tables(), deals=tables(), views=tables(),
       ext=st.sampled_from(["csv", "tsv", "jsonl", "xlsx"]))
def test_random_tables_load_or_fail_clearly_and_reconcile(subs: pd.DataFrame,
                                                          deals: pd.DataFrame,
                                                          views: pd.DataFrame,
                                                          ext: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        paths = {}
        for role, df in (("submissions", subs), ("outcomes", deals), ("views", views)):
            paths[role] = d / f"{role}.{ext}"
            _write(df, paths[role])
        inputs = _answers(load_inputs, Settings(**paths))
    event("loaded" if inputs is not None else "clear error")
    if inputs is None:
        return
    for role, acc in inputs.accounting.items():
        assert acc.rows_read == acc.rows_used + sum(acc.excluded.values()), (role, acc)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subs=tables(), deals=tables())
def test_random_tables_analyze_or_fail_clearly(subs: pd.DataFrame, deals: pd.DataFrame) -> None:
    # a lead key and a form id, so that some examples get past the column check
    subs = subs.assign(lead_id=[f"L{i % 5}" for i in range(len(subs))], form_id="web")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        _write(subs, d / "subs.csv")
        _write(deals, d / "deals.csv")
        result = _answers(analyze, d / "subs.csv", outcomes=d / "deals.csv")
    event("analysed" if result is not None else "clear error")
    if result is None:
        return
    for role, acc in result.to_dict()["inputs"].items():
        excluded = sum(acc.get("excluded", {}).values())
        assert acc["rows_read"] == acc["rows_used"] + excluded, (role, acc)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subs=tables(), ext=st.sampled_from(["csv", "jsonl", "xlsx"]), data=BYTES,
       raw=st.booleans(), fmt=st.sampled_from(["table", "json"]))
def test_cli_exits_0_or_2(subs: pd.DataFrame, ext: str, data: bytes, raw: bool,
                          fmt: str) -> None:
    """Through the CLI: exit 0 or 2 with a message, never a traceback."""
    from typer.testing import CliRunner

    from formfit.cli import app

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"subs.{ext}"
        if raw:
            path.write_bytes(data)
        else:
            _write(subs, path)
        res = CliRunner().invoke(app, ["validate", "--submissions", str(path), "--format", fmt])
    assert res.exit_code in (0, 2), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    if res.exit_code == 2:
        assert res.stderr.startswith("Error: "), res.stderr
