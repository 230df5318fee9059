"""The cells stage on an engine: a DuckDB database file holding the exports as tables.

The same world read from files (scanned by the embedded DuckDB) and from tables of a DuckDB
database (``--engine duckdb:///world.db``, inputs ``table:NAME`` and ``sql:SELECT ...``) must give
the same JSON, settings aside. Errors name the engine, the table and the column; a URL's
password never appears in any output.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

import formfit
from formfit.cli import app
from formfit.config import Settings
from formfit.errors import InputError, UsageError
from formfit.io import load_inputs

SEGMENTS = ["--segment", "device", "--segment", "channel"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    formfit.simulate(out, seed=11, views=20000)
    db = duckdb.connect(str(out / "world.db"))
    for name in ("submissions", "views", "outcomes"):
        # every column as text, as an export loaded into a warehouse usually is
        db.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{out / (name + '.csv')}', "
                   "all_varchar = true)")
    db.close()
    return out


def close(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where two JSON documents differ (numbers to 1e-9 relative)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a.keys() ^ b.keys())}"]
        return [d for k in a for d in close(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: lengths {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in close(x, y, f"{path}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            return [f"{path}: {a} != {b}"]
        return []
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_tables_in_a_duckdb_file_give_the_file_run(world: Path) -> None:
    files = ["--submissions", str(world / "submissions.csv"), "--views",
             str(world / "views.csv"), "--outcomes", str(world / "outcomes.csv")]
    code, out, err = run("analyze", *files, "--forms", str(world / "forms.yaml"), *SEGMENTS,
                         "--format", "json")
    assert code == 0, err
    tables = ["--engine", f"duckdb:///{world / 'world.db'}", "--submissions",
              "table:submissions", "--views", "sql:SELECT * FROM views", "--outcomes",
              "table:outcomes"]
    code2, out2, err2 = run("analyze", *tables, "--forms", str(world / "forms.yaml"), *SEGMENTS,
                            "--format", "json")
    assert code2 == 0, err2
    a, b = json.loads(out), json.loads(out2)
    assert b["settings"]["submissions"] == "table:submissions"
    assert b["settings"]["views"] == "sql:SELECT * FROM views"
    a.pop("settings")
    b.pop("settings")
    assert close(a, b) == []
    assert a["inputs"]["views"]["rows_read"] == 20000 + a["inputs"]["views"]["excluded"].get(
        "duplicate_row", 0) or a["inputs"]["views"]["rows_read"] > 0


def test_missing_table_names_engine_and_table(world: Path) -> None:
    code, _, err = run("validate", "--engine", f"duckdb:///{world / 'world.db'}",
                       "--submissions", "table:no_such_table")
    assert code == 2
    assert "no_such_table" in err and "duckdb" in err and "Traceback" not in err


def test_missing_column_in_a_table_is_named(world: Path) -> None:
    code, _, err = run("validate", "--engine", f"duckdb:///{world / 'world.db'}",
                       "--submissions", "table:submissions", "--views",
                       "sql:SELECT session_id, viewed_at FROM views")
    assert code == 2
    assert "form_id" in err and "sql:SELECT session_id, viewed_at FROM views" in err


@pytest.mark.parametrize("query, words", [
    ("sql:SELECT * FROM submissions; DROP TABLE outcomes", "more than one statement"),
    ("sql:DROP TABLE outcomes", "is not a query"),
    ("sql:DELETE FROM outcomes", "is not a query"),
])
def test_sql_inputs_only_read(world: Path, tmp_path: Path, query: str, words: str) -> None:
    """A second statement after the query ran in the user's database (a DROP TABLE went
    through). sql: now holds one query, and the database file is opened read-only."""
    db = tmp_path / "copy.db"
    db.write_bytes((world / "world.db").read_bytes())
    code, _, err = run("validate", "--engine", f"duckdb:///{db}", "--submissions", query)
    assert code == 2 and words in err, err
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == {"submissions", "views", "outcomes"}
    # a query with a semicolon inside a string and a trailing one is still one query
    code, _, err = run("validate", "--engine", f"duckdb:///{db}", "--submissions",
                       "sql:SELECT * FROM submissions WHERE form_id <> 'a;b';")
    assert code == 0, err


@pytest.mark.parametrize("query", [
    "SELECT * FROM submissions;;",
    "SELECT * FROM submissions; -- done",
    "SELECT * FROM submissions /* all */ ;\n -- done\n",
    "SELECT * FROM submissions WHERE email <> $$a;b$$",
])
def test_a_query_ending_in_semicolons_or_comments_or_dollar_quoted_is_one_query(
        world: Path, query: str) -> None:
    """ibis could not wrap a query ending in ';;' or '; -- ...' (AttributeError: 'Block' has
    no 'subquery'), and DuckDB's dollar-quoted string holding ';' was taken for two
    statements."""
    code, _, err = run("validate", "--engine", f"duckdb:///{world / 'world.db'}",
                       "--submissions", f"sql:{query}")
    assert code == 0, err


@pytest.mark.parametrize("role", ["submissions", "views", "outcomes"])
@pytest.mark.parametrize("kind", ["table", "sql"])
def test_an_engine_input_without_rows_is_refused_as_an_empty_file_is(
        world: Path, tmp_path: Path, role: str, kind: str) -> None:
    """Empty deals or views from an engine were taken (every lead never won or never viewed,
    no warning), and empty submissions failed with 'none of its 0 rows can be analysed ()'."""
    db = tmp_path / "empty.db"
    with duckdb.connect(str(db)) as con:
        for name in ("submissions", "views", "outcomes"):
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv("
                        f"'{world / (name + '.csv')}', all_varchar = true)")
        con.execute(f"CREATE TABLE empty_{role} AS SELECT * FROM {role} LIMIT 0")
    source = f"table:empty_{role}" if kind == "table" else f"sql:SELECT * FROM {role} WHERE false"
    inputs = {r: f"table:{r}" for r in ("submissions", "views", "outcomes")} | {role: source}
    code, out, err = run("analyze", "--engine", f"duckdb://{db}", "--forms",
                         str(world / "forms.yaml"), "--format", "json",
                         *[a for r, v in inputs.items() for a in (f"--{r}", v)])
    assert code == 2 and out == "", err
    assert f"{role} {source} in engine duckdb://{db} has columns but no data rows" in err, err


def test_a_missing_duckdb_file_is_named_and_not_created(tmp_path: Path) -> None:
    db = tmp_path / "typo.db"
    code, _, err = run("validate", "--engine", f"duckdb:///{db}", "--submissions",
                       "table:submissions")
    assert code == 2 and "does not exist" in err and str(db) in err, err
    assert not db.exists()


def test_engine_input_without_engine_is_a_usage_error(world: Path) -> None:
    with pytest.raises(UsageError, match="--engine"):
        load_inputs(Settings(submissions="table:submissions"))


def test_password_is_masked_everywhere(world: Path) -> None:
    url = "postgres://analyst:s3cr3t-pw@127.0.0.1:1/nowhere"
    code, out, err = run("analyze", "--engine", url, "--submissions", "table:submissions",
                         "--format", "json")
    assert code == 2
    assert "s3cr3t-pw" not in out + err
    assert "postgres://***@127.0.0.1" in err
    settings = Settings(engine=url).to_dict()
    assert settings["engine"] == "postgres://***@127.0.0.1:1/nowhere"


def test_unknown_engine_scheme_fails_before_reading(world: Path) -> None:
    code, _, err = run("analyze", "--engine", "oracle://u:pw@h/db", "--submissions",
                       str(world / "submissions.csv"))
    assert code == 2
    assert "pw@" not in err and "engine URL" in err


def test_bad_viewed_at_in_a_table_names_the_table_not_a_row(world: Path) -> None:
    db = world / "world.db"
    with pytest.raises(InputError) as err:
        load_inputs(Settings(engine=f"duckdb:///{db}", submissions="table:submissions",
                             views="sql:SELECT session_id, form_id, 'soon' AS viewed_at "
                                   "FROM views"))
    assert "sql:SELECT session_id" in err.value.message and "not a date" in err.value.message


def test_embedded_duckdb_spills_to_a_private_directory_removed_on_close(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB's default spill directory is ``.tmp`` in the working directory: formfit's
    embedded engine uses a directory of its own and removes it when it closes."""
    from formfit.cells.engine import Engine, duckdb_exec

    monkeypatch.chdir(tmp_path)
    engine = Engine()
    con = engine.local()
    spill = Path(duckdb_exec(con, "SELECT current_setting('temp_directory')")[0][0])
    assert spill.is_dir() and spill.name.startswith("formfit-duckdb-")
    assert tmp_path not in spill.parents
    engine.close()
    assert not spill.exists()
    assert list(tmp_path.iterdir()) == []


def test_padded_and_blank_cells_of_a_csv_scan_read_as_trimmed(world: Path,
                                                              tmp_path: Path) -> None:
    """The embedded DuckDB trims spaces around every value of a CSV and reads a cell of spaces
    as blank, as the readers do: a views file padded with spaces (and with blank-looking
    session ids) gives the same cells and accounting as the clean file."""
    import pandas as pd

    views = pd.read_csv(world / "views.csv", dtype=str, keep_default_na=False)
    padded = views.copy()
    for col in padded.columns:
        padded[col] = " " + padded[col] + "  "
    padded.loc[padded.index[::50], "session_id"] = "   "  # no session: a view of its own
    views.loc[views.index[::50], "session_id"] = ""
    views.to_csv(tmp_path / "clean.csv", index=False)
    padded.to_csv(tmp_path / "padded.csv", index=False)
    runs = []
    for name in ("clean.csv", "padded.csv"):
        code, out, err = run("analyze", "--submissions", str(world / "submissions.csv"),
                             "--views", str(tmp_path / name), "--outcomes",
                             str(world / "outcomes.csv"), "--forms", str(world / "forms.yaml"),
                             "--format", "json", "-q")
        assert code == 0, err
        runs.append(json.loads(out))
    clean, pad = runs
    assert pad["inputs"]["views"] == clean["inputs"]["views"]
    assert clean["inputs"]["views"]["rows_read"] == len(views)
    assert close(clean["fields"], pad["fields"]) == []


PADDED = ["x", " x", "x ", "\tx\t", "\u00a0x\u00a0", "\u3000x", "\u2003x\u2029", "\u0085x",
          " ", "\t", "\u2003\u2003", "", "a b", "é", "x\u200b", "\u00a0é\t"]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet", "duckdb table"])
def test_every_path_into_duckdb_trims_what_the_readers_trim(fmt: str, tmp_path: Path) -> None:
    """Tab, no-break space, ideographic space and the other characters Python calls white
    space are stripped from either end, and a cell of them is blank, whichever way a value
    reaches DuckDB: as formfit's readers do (a form id exported as "pricing\u00a0" is form
    pricing). Inner spaces and zero-width characters (not white space) stay."""
    import pandas as pd

    from formfit.cells.engine import Engine
    from formfit.cells.files import engine_table, scan_file
    from formfit.cells.url import parse_input
    from formfit.io.readers import read_table

    frame = pd.DataFrame({"id": [str(i) for i in range(len(PADDED))], "v": PADDED})
    text = tmp_path / "t.csv"
    text.write_text("id,v\n" + "".join(f'{i},"{v}"\n' for i, v in enumerate(PADDED)),
                    encoding="utf-8")
    want = read_table(text, "views").frame["v"].tolist()
    assert want[:8] == ["x"] * 8 and want[12:] == ["a b", "é", "x\u200b", "é"]
    assert all(pd.isna(w) for w in want[8:12])
    if fmt == "duckdb table":
        db = tmp_path / "t.db"
        with duckdb.connect(str(db)) as con:
            con.register("f", frame)
            con.execute("CREATE TABLE t AS SELECT * FROM f")
        engine = Engine(f"duckdb:///{db}")
        table = engine_table(engine, parse_input("table:t", "views"), "views")
    else:
        path = tmp_path / f"t.{fmt}"
        if fmt == "parquet":
            frame.to_parquet(path)
        elif fmt == "tsv":
            path.write_text("id\tv\n" + "".join(f'{i}\t"{v}"\n'
                                                for i, v in enumerate(PADDED)))
        engine = Engine(None)
        table = scan_file(engine, parse_input(str(path), "views"), "views")
    got = engine.to_pandas(table.mapped(), "views", table.ref)["v"]
    engine.close()
    assert [None if pd.isna(g) else g for g in got] == [None if pd.isna(w) else w
                                                        for w in want]


def test_embedded_duckdb_memory_is_capped_and_can_be_set(monkeypatch: pytest.MonkeyPatch,
                                                         world: Path) -> None:
    """The embedded DuckDB spills beyond a cap (150 MB a thread, at least 400 MB) instead of
    taking DuckDB's default 80% of RAM beside formfit's own frames; FORMFIT_DUCKDB_MEMORY
    sets another, and a size DuckDB cannot read is a usage error naming the variable."""
    from formfit.cells.engine import MEMORY_ENV, Engine, duckdb_exec

    def setting(name: str) -> str:
        engine = Engine()
        try:
            return str(duckdb_exec(engine.local(), f"SELECT current_setting('{name}')")[0][0])
        finally:
            engine.close()

    monkeypatch.delenv(MEMORY_ENV, raising=False)
    threads = int(setting("threads"))
    mib = max(400, 150 * threads) * 1000**2 / 1024**2  # DuckDB shows MiB, cut to 0.1
    assert setting("memory_limit") == f"{math.floor(mib * 10) / 10:.1f} MiB"

    monkeypatch.setenv(MEMORY_ENV, "1GB")
    assert setting("memory_limit") == "953.6 MiB"

    monkeypatch.setenv(MEMORY_ENV, "lots")
    code, out, err = run("analyze", "--submissions", str(world / "submissions.csv"),
                         "--views", str(world / "views.csv"), "-q")
    assert code == 2, err
    assert "FORMFIT_DUCKDB_MEMORY='lots' is not a memory size" in err
    assert "Traceback" not in err


def test_duckdb_out_of_memory_names_the_cap_and_the_variable(
        monkeypatch: pytest.MonkeyPatch, world: Path) -> None:
    """A step that cannot spill and does not fit the cap is no bad row: formfit says so, names
    the cap and the variable that raises it, and does not read the file again by its own
    reader (which took 3.6 GB at 10M views, then failed the same way)."""
    import formfit.io as fio
    from formfit.cells.engine import MEMORY_ENV

    loads: list[object] = []
    load = fio._load
    monkeypatch.setattr(fio, "_load", lambda *a, **k: loads.append(k) or load(*a, **k))
    monkeypatch.setenv(MEMORY_ENV, "2MB")
    code, out, err = run("analyze", "--submissions", str(world / "submissions.csv"),
                         "--views", str(world / "views.csv"), "-q")
    assert code == 2, err
    assert "the embedded DuckDB ran out of memory reading views" in err
    assert "formfit caps it at 1.9 MiB" in err
    assert "FORMFIT_DUCKDB_MEMORY=4GB" in err
    assert "Traceback" not in err
    assert len(loads) == 1  # no second pass by formfit's reader


def test_counting_views_leaves_no_table_behind_and_close_is_repeatable(world: Path) -> None:
    """The grouped views are a temporary table only while their queries run: dropped once
    the cells are out (they held a gigabyte at 10M views), whatever the engine. Closing the
    engine twice is harmless, and a query after closing connects again."""
    from formfit.cells.engine import Engine, duckdb_exec
    from formfit.cells.views import row_view_cells

    db = world / "world.db"
    engine = Engine(f"duckdb:///{db}")
    table = _views_table(engine, "table:views")
    got = row_view_cells(table, segments=["device", "channel"],
                         known_forms=["demo-a", "demo-b", "demo-c", "demo-d", "pricing",
                                      "newsletter"], inferred=False, session_pairs=None)
    assert int(got.counts["views"].sum()) > 0
    temp = duckdb_exec(engine.remote(), "SELECT table_name FROM duckdb_tables() "
                                        "WHERE temporary")
    assert temp == []
    engine.close()
    engine.close()
    assert duckdb_exec(engine.remote(), "SELECT 1") == [(1,)]
    engine.close()


def _views_table(engine: Any, ref_text: str) -> Any:
    from formfit.cells.files import engine_table
    from formfit.cells.url import parse_input

    return engine_table(engine, parse_input(ref_text, "views"), "views")


def _big_views(world: Path, path: Path, late_row: str | None = None,
               encoding: str = "utf-8") -> int:
    """The world's views ten times over with a padding column (past DuckDB's first buffers,
    about 30 MB), ``late_row`` put in near the end; returns its row number in the file."""
    lines = (world / "views.csv").read_text().splitlines()
    pad = "x" * 120
    rows = [f"{r},{pad}" for r in lines[1:]] * 10
    at = len(rows) - 5
    if late_row is not None:
        rows.insert(at, late_row)
    path.write_bytes((f"{lines[0]},note\n" + "\n".join(rows) + "\n").encode(encoding))
    assert path.stat().st_size > 30_000_000
    return at + 2  # the header is row 1


def test_a_ragged_row_far_into_a_scanned_csv_is_named_by_the_reader(world: Path,
                                                                     tmp_path: Path) -> None:
    """The embedded DuckDB checks only a CSV's first rows before scanning it (a full count was
    a whole extra pass); a bad row further in fails the scan, and formfit's reader reads the
    file again to name the row, as it would have from the start."""
    first = (world / "views.csv").read_text().splitlines()[1]
    row = _big_views(world, tmp_path / "views.csv", late_row=f"{first},pad,one too many")
    code, out, err = run("analyze", "--submissions", str(world / "submissions.csv"),
                         "--views", str(tmp_path / "views.csv"), "-q")
    assert code == 2, err
    assert (f"views file views.csv row {row:,} (the header is row 1) has 7 values but the "
            "header names 6 columns") in err
    assert "Traceback" not in err


def test_a_late_cp1252_byte_in_a_scanned_csv_is_read_by_the_reader(world: Path,
                                                                   tmp_path: Path) -> None:
    """A byte that is not UTF-8 past the first rows fails DuckDB's scan; the reader reads the
    file as cp1252, and the analysis equals that of the same file with the byte spelled in
    UTF-8."""
    first = (world / "views.csv").read_text().splitlines()[1]
    runs = []
    for name, encoding in (("utf8.csv", "utf-8"), ("cp1252.csv", "cp1252")):
        _big_views(world, tmp_path / name, late_row=f"{first},caf\u00e9", encoding=encoding)
        code, out, err = run("analyze", "--submissions", str(world / "submissions.csv"),
                             "--views", str(tmp_path / name), "--outcomes",
                             str(world / "outcomes.csv"), "--forms", str(world / "forms.yaml"),
                             *SEGMENTS, "--format", "json", "-q")
        assert code == 0, err
        runs.append(json.loads(out))
    assert not close(runs[0]["fields"], runs[1]["fields"])
    assert runs[0]["inputs"] == runs[1]["inputs"]
    # and the scan did fail, past the rows checked first: the reader's path was taken
    from formfit.cells.engine import Engine, ScanFailed
    from formfit.cells.files import scan_file
    from formfit.cells.url import parse_input

    engine = Engine()
    ref = parse_input(str(tmp_path / "cp1252.csv"), "views")
    table = scan_file(engine, ref, "views")
    assert ref in engine.unchecked
    with pytest.raises(ScanFailed):
        engine.run(lambda: table.expr.distinct().count().execute(), "views", ref)
    engine.close()


def test_plain_iso_shortcut_reads_every_value_as_the_zone_aware_cast() -> None:
    """DuckDB reads offset-free ISO date-times as plain TIMESTAMPs (ICU's zone-aware cast is
    5x slower); every value must come out as the zone-aware cast in a UTC session gives it."""
    import ibis
    import pandas as pd

    from formfit.cells.views import parse_timestamp

    values = ["2025-01-01", "2025-01-01 10:00", "2025-01-01T10:00:00.123456789",
              "2025-01-01 24:00", "2025-02-29", "2024-02-29 23:59:59", "2025-01-01 10:60",
              "2025-01-01T10:00:00+02:00", "2025-01-01 10:00:00Z", "2025-01-01 10:00:00-0500",
              "2025-01-01T10:00:00+02:30", "1582-10-10 12:00", "x", "", None]
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    t = con.create_table("v", pd.DataFrame({"s": pd.Series(values, dtype="object")}))
    got = t.select(fast=parse_timestamp(t.s, "duckdb"),
                   tz=parse_timestamp(t.s, "zone-aware")).to_pandas()
    assert got["fast"].notna().sum() == 10  # all but 02-29 in 2025, minute 60 and the non-dates
    pd.testing.assert_series_equal(got["fast"], got["tz"], check_names=False)
    assert "REGEXP" in ibis.to_sql(t.select(x=parse_timestamp(t.s, "duckdb")), dialect="duckdb")


@pytest.mark.parametrize(("url", "secret"), [
    ("postgres://bob:p@ssw0rd9@127.0.0.1:1/db", "ssw0rd9"),
    ("postgres://bob:TOP SECRET@127.0.0.1:1/db", "SECRET"),
    ("postgres://bob:pa/ss@127.0.0.1:1/db", "pa/ss"),
    ("postgres://bob:pa#ss@127.0.0.1:1/db", "pa#ss"),
    ("postgres://bob:pa?ss@127.0.0.1:1/db", "pa?ss"),
    ("bigquery://proj/ds?credentials_base64=TOPSECRET", "TOPSECRET"),
    ("duckdb:///s.db?motherduck_token=SECRETTOK", "SECRETTOK"),
    ("duckdb://bob:SECRETPW@/tmp/x.db", "SECRETPW"),
])
def test_no_part_of_a_secret_is_shown_and_the_error_is_one_paragraph(url: str,
                                                                      secret: str) -> None:
    code, out, err = run("analyze", "--engine", url, "--submissions", "table:submissions",
                         "--format", "json")
    assert code == 2, err
    for part in {secret, *secret.replace("/", " ").replace("@", " ").replace("#", " ")
                 .replace("?", " ").split()} - {"pa", "ss", "p"}:
        assert part not in out + err, (part, err)
    assert "***" in err and "\n\n" not in err.strip(), err
    assert json.loads(json.dumps(Settings(engine=url).to_dict()))["engine"].count("***") == 1
    assert secret not in json.dumps(Settings(engine=url).to_dict())
