"""The query engine that holds the rows: an embedded DuckDB, or the user's engine through ibis.

:class:`Engine` opens lazily (nothing is imported until the first table is asked for), turns an
:class:`~formfit.cells.url.InputRef` into an ibis table (a file scanned by the embedded DuckDB;
``table:NAME`` or ``sql:SELECT ...`` in the user's engine), runs expressions, and turns every
engine or driver failure into an :class:`~formfit.errors.InputError` that names the engine, the
input and what to check, with credentials masked. Files always go to the embedded DuckDB, also
when ``--engine`` names another engine: they live on this machine, not in the warehouse.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from formfit.cells.url import (
    DIALECTS,
    EXTRAS,
    EngineURL,
    InputRef,
    mask_secrets,
    one_query,
    parse_engine,
    userinfo_password,
)
from formfit.errors import InputError, UsageError

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

T = TypeVar("T")


class ScanFailed(Exception):
    """DuckDB could not read a file it scanned unchecked (a ragged row or a byte that is not
    UTF-8 far into it): the file must be read again by formfit's reader, whose messages name
    the row and the fix."""

    def __init__(self, ref: InputRef) -> None:
        super().__init__(ref.label)
        self.ref = ref


class Engine:
    """One ibis connection (opened on first use) plus the embedded DuckDB for files."""

    def __init__(self, url: str | EngineURL | None = None, backend: Any = None) -> None:
        self.url: EngineURL | None = (parse_engine(url) if isinstance(url, str) else url)
        self._backend = backend  # an ibis backend handed in by a library caller
        self._owned = backend is None  # close only what formfit opened
        self._local: Any = None  # the embedded DuckDB (files)
        self._spill: str | None = None  # its private directory for what does not fit
        self._cap: str | None = None  # its memory limit, as DuckDB prints it ("381.4 MiB")
        self._n = 0
        self._spark_dir: Path | None = None  # the JVM log and warehouse of a Spark we started
        self._failed = False  # an engine error was reported: keep the JVM log for the user
        self._temporary: list[tuple[Any, str]] = []  # (backend, name) made by materialize
        # files scanned without a full pass to check them: a failure reading one is raised as
        # ScanFailed, so that formfit's reader can read it again and say exactly what is wrong
        self.unchecked: set[InputRef] = set()

    # --- naming -------------------------------------------------------------------------
    @property
    def label(self) -> str:
        """How messages name the engine: its masked URL, or 'the embedded DuckDB'."""
        if self.url is not None:
            return f"engine {self.url.masked}"
        if not self._owned:
            return f"engine {getattr(self._backend, 'name', 'ibis')}"
        return "the embedded DuckDB"  # connected or not yet

    @property
    def kind(self) -> str:
        if self.url is not None:
            return self.url.kind
        if self._backend is not None:
            return str(getattr(self._backend, "name", "ibis"))
        return "duckdb"

    # --- connections --------------------------------------------------------------------
    def local(self) -> Any:
        """The embedded DuckDB (in memory, time zone UTC) that scans files."""
        if self._local is None:
            if self._backend is None and (self.url is None or self.url.kind == "duckdb"):
                self._local = self.remote()
            else:
                self._local = self._embedded()
        return self._local

    def _embedded(self) -> Any:
        """A new in-memory DuckDB whose spill files go to a private temporary directory
        (DuckDB's default is ``.tmp`` in the working directory), removed on close."""
        import tempfile
        import weakref

        if self._spill is None:
            self._spill = tempfile.mkdtemp(prefix="formfit-duckdb-")
            # also when a caller never closes the engine (removed at the latest on exit)
            weakref.finalize(self, shutil.rmtree, self._spill, True)
        con = _duckdb_connect("", self._spill)
        self._cap = str(duckdb_exec(con, "SELECT current_setting('memory_limit')")[0][0])
        return con

    def remote(self) -> Any:
        """The user's engine (the embedded DuckDB when none was named)."""
        if self._backend is None:
            self._backend = self._connect()
        return self._backend

    def _connect(self) -> Any:
        if self.url is None:
            return self._embedded()
        kind = self.url.kind
        try:
            import ibis
        except ImportError as exc:  # pragma: no cover - ibis is a core dependency
            raise UsageError("ibis is not installed.", "pip install formfit") from exc
        path = _existing_database(self.url) if kind == "duckdb" else ""
        try:
            if kind == "duckdb":
                return _duckdb_connect(path, read_only=True)
            if kind == "pyspark":
                con, self._spark_dir = _spark_connect(self.url)
                return con
            con = ibis.connect(_quoted_password(self.url.url))
            if kind == "postgres":
                con.raw_sql("SET TIME ZONE 'UTC'")
            return con
        except ImportError as exc:
            extra = EXTRAS.get(kind, kind)
            raise UsageError(
                f"{self.label} needs a driver that is not installed "
                f"({exc.name or _describe(exc, first_line=True)}).",
                f'Install it with: pip install "formfit[{extra}]"') from None
        except Exception as exc:  # drivers raise their own kinds; none may leak credentials
            raise InputError(
                f"could not connect to {self.label}: {_describe(exc)}.",
                "Check the host, port, database, user and password (or the credentials your "
                "environment provides), and that the server accepts connections.") from None

    # --- inputs -------------------------------------------------------------------------
    def table(self, ref: InputRef, role: str) -> ir.Table:
        """The ibis table of an engine input (``table:`` or ``sql:``)."""
        if ref.kind == "file":
            raise TypeError("files are read by formfit.cells.files.scan_file")
        if self.url is None and self._backend is None:
            raise UsageError(
                f"--{role} {ref.label} reads from a query engine, but no --engine was given.",
                "Pass --engine URL (e.g. --engine postgres://user@host/db, or "
                "--engine duckdb:///marketing.db), or give a file path.")
        # checked again in the engine's own dialect (dollar quoting, ...), end stripped
        query = one_query(ref.value, role, DIALECTS.get(self.kind)) if ref.kind == "sql" else ""
        con = self.remote()
        with self.errors(role, ref):
            if ref.kind == "table":
                return _named_table(con, ref.value)
            return con.sql(query)

    def materialize(self, expr: ir.Table, role: str, ref: InputRef | None) -> ir.Table:
        """``expr`` computed once into a temporary table of the engine that holds it (so the
        queries after it do not scan and parse the source again)."""
        con = expr._find_backend(use_default=False)
        name = self.unique_name(f"{role}_cache")

        def create() -> ir.Table:
            try:
                made = con.create_table(name, expr, temp=True)
            except NotImplementedError:  # Spark has no temporary tables: it recomputes
                return expr
            self._temporary.append((con, name))
            return made

        return self.run(create, role, ref)

    def drop_temporary(self) -> None:
        """Drop the tables :meth:`materialize` made, once their queries have run: the 10M-view
        benchmark's grouped views held a gigabyte of the embedded DuckDB's memory to the end."""
        while self._temporary:
            con, name = self._temporary.pop()
            with suppress(Exception):  # best effort: the session's end drops them anyway
                con.drop_table(name, force=True)

    def unique_name(self, stem: str) -> str:
        self._n += 1
        return f"formfit_{stem}_{self._n}"

    # --- running ------------------------------------------------------------------------
    @contextmanager
    def errors(self, role: str, ref: InputRef | None, what: str = "read") -> Iterator[None]:
        """Turn engine and driver failures into InputErrors naming the engine and the input.

        Library deprecation chatter (ibis on pandas 4, duckdb renames) is silenced here: it is
        not the user's to act on."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        except (InputError, UsageError):
            raise
        except Exception as exc:
            where = f"{role} {ref.label}" if ref is not None else role
            if type(exc).__name__ == "OutOfMemoryException":  # DuckDB's: not the file's fault
                self._failed = True
                raise self._out_of_memory(where) from None
            if ref is not None and ref in self.unchecked:
                raise ScanFailed(ref) from exc
            self._failed = True
            jvm = (f" Spark's own log: {self._spark_dir / 'jvm.log'}."
                   if self._spark_dir is not None else "")
            raise InputError(
                f"{self.label} could not {what} {where}: {_describe(exc)}.",
                "Check that the table or query exists and that its columns are named as the "
                "contract says (map others with --map); run the query in the engine itself to "
                "see the full error." + jvm) from None

    def _out_of_memory(self, where: str) -> UsageError:
        """DuckDB hit its memory limit in a step that cannot spill to disk. Reading the file
        again by formfit's reader (as for a bad row) would only need more memory."""
        if self._cap is not None and self.url is None and self._owned:  # formfit's own
            return UsageError(
                f"{self.label} ran out of memory reading {where}: formfit caps it at "
                f"{self._cap}, and this step must fit in memory.",
                f"Give it more with the environment variable {MEMORY_ENV} (e.g. "
                f"{MEMORY_ENV}=4GB), as far as this machine's memory allows.")
        return UsageError(
            f"{self.label} ran out of memory reading {where}.",
            "Raise the engine's memory limit (DuckDB: SET memory_limit = '8GB' in the "
            "database, or its default of 80% of the machine), or run on a machine with more "
            "memory.")

    def run(self, fn: Callable[[], T], role: str, ref: InputRef | None, what: str = "read"
            ) -> T:
        with self.errors(role, ref, what):
            return fn()

    def to_pandas(self, expr: ir.Table, role: str, ref: InputRef | None) -> pd.DataFrame:
        frame: pd.DataFrame = self.run(lambda: expr.to_pandas(), role, ref)
        return frame

    def close(self) -> None:
        """Disconnect what formfit opened (a caller's backend stays open). Closing twice is
        harmless, and a query after closing connects again."""
        opened = [self._local] + ([self._backend] if self._owned else [])
        for con in {id(c): c for c in opened if c is not None}.values():
            with suppress(Exception):  # closing is best effort
                con.disconnect()
        self._local = None
        if self._owned:
            self._backend = None
        self._temporary.clear()
        if self._spark_dir is not None and not self._failed:
            shutil.rmtree(self._spark_dir, ignore_errors=True)
            self._spark_dir = None
        if self._spill is not None:
            shutil.rmtree(self._spill, ignore_errors=True)
            self._spill = None


def _named_table(con: Any, name: str) -> ir.Table:
    """``schema.table`` or ``project.dataset.table`` names are split for ibis."""
    parts = [p.strip('`"') for p in name.split(".")]
    if len(parts) == 1:
        return con.table(parts[0])
    return con.table(parts[-1], database=tuple(parts[:-1]) if len(parts) > 2 else parts[0])


def is_backend(obj: object) -> bool:
    """Whether ``obj`` is an ibis backend (a connection a library caller hands in)."""
    from ibis.backends import BaseBackend

    return isinstance(obj, BaseBackend)


def _existing_database(url: EngineURL) -> str:
    """The path of the DuckDB database file a ``duckdb://`` URL names, which must exist:
    connecting would otherwise create an empty one there (a typo leaves a stray file and a
    baffling "table not found"). The message shows the path of the masked URL: a token in its
    query or a password in its user-info is not shown."""
    path = url.duckdb_path()
    if path and path != ":memory:" and not Path(path).is_file():
        shown = EngineURL(url.masked, url.kind).duckdb_path()
        raise UsageError(f"--engine duckdb: the database file {shown} does not exist.",
                         "Check the path: duckdb:///abs/path.db is absolute, "
                         "duckdb://rel/path.db relative to the current directory.")
    return path


def _duckdb_connect(path: str, spill: str | None = None, *, read_only: bool = False) -> Any:
    """A DuckDB connection; the user's database file is opened ``read_only``: formfit only
    reads (its temporary tables live in DuckDB's temp catalog, which read-only allows)."""
    import ibis

    con = ibis.duckdb.connect(path or ":memory:", read_only=read_only and bool(path))
    duckdb_exec(con, "SET TimeZone = 'UTC'")
    duckdb_exec(con, "SET enable_progress_bar = false")  # formfit shows its own progress
    if spill is not None:
        # Beyond memory_limit hash tables and temporary tables spill here.
        duckdb_exec(con, "SET temp_directory = '{}'".format(spill.replace("'", "''")))
        _limit_memory(con)
    return con


#: the embedded DuckDB's memory, as DuckDB reads it ("2GB"); unset: DUCKDB_MB_PER_THREAD per
#: thread, at least DUCKDB_MIN_MB
MEMORY_ENV = "FORMFIT_DUCKDB_MEMORY"
DUCKDB_MB_PER_THREAD = 150
DUCKDB_MIN_MB = 400


def _limit_memory(con: Any) -> None:
    """Cap the embedded DuckDB's memory, so that it spills to disk instead of growing beside
    the lead frames formfit holds in Python. DuckDB's own default, 80% of RAM, let it take
    1.3 GB at 10M views (a 3.3-3.4 GB peak for the whole run; 2.2 GB with this cap, and 1,740
    MB once formfit's own frames shrank). On 2 cores the cap makes it spill while it groups
    those views: counting them took 21.8 s against 17.8 s with 800 MB, whose run peaked at
    1,921 MB (README, "Bigger data")."""
    import os

    limit = os.environ.get(MEMORY_ENV, "").strip()
    if not limit:
        threads = int(duckdb_exec(con, "SELECT current_setting('threads')")[0][0])
        limit = f"{max(DUCKDB_MIN_MB, DUCKDB_MB_PER_THREAD * threads)}MB"
    try:
        duckdb_exec(con, "SET memory_limit = '{}'".format(limit.replace("'", "''")))
    except Exception as exc:  # DuckDB's parser error names the accepted units
        raise UsageError(f"{MEMORY_ENV}={limit!r} is not a memory size DuckDB reads "
                         f"({_describe(exc)}).",
                         f"Give a size such as 2GB or 800MB, or unset {MEMORY_ENV}.") from None


def duckdb_exec(con: Any, sql: str) -> list[Any]:
    """Run one statement on an ibis DuckDB backend and fetch it whole (DuckDB 2 refuses new
    work on a connection while a result is unfinished)."""
    return list(con.con.execute(sql).fetchall())


def duckdb_function(name: str, args: Sequence[str], returns: str) -> Callable[..., Any]:
    """DuckDB's own function ``name`` as an ibis expression builder, for what ibis does not
    write (or writes slower): ``duckdb_function("trim", ["string", "string"], "string")(col,
    chars)`` compiles to ``trim(col, chars)``. Only for queries run on DuckDB."""
    import inspect

    import ibis
    import ibis.expr.datatypes as dt

    def call(*values: Any) -> Any:  # the engine's function is called; this body never runs
        raise NotImplementedError

    call.__name__ = f"duckdb_{name}"
    # ibis reads the arity from the Python signature: one parameter per argument
    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(f"a{i}", inspect.Parameter.POSITIONAL_OR_KEYWORD)
         for i in range(len(args))])
    fn: Callable[..., Any] = ibis.udf.scalar.builtin(
        call, name=name, signature=(tuple(dt.dtype(a) for a in args), dt.dtype(returns)))
    return fn


def _spark_connect(url: EngineURL) -> tuple[Any, Path]:
    import ibis

    from formfit.cells.spark import session

    rest = url.url.split("://", 1)[1]
    master = f"spark://{rest}" if rest.strip("/") else "local[2]"
    spark, work = session(master)
    return ibis.pyspark.connect(spark), work


def _quoted_password(url: str) -> str:
    """``url`` with the characters of its password that end a URL's parts (``@ / ? #``, white
    space) percent-encoded, as the drivers' URL parsers need (ibis decodes the password): a
    password holding them was cut, and the driver's error quoted the pieces."""
    found = userinfo_password(url)
    if found is None:
        return url
    user, password = found
    scheme, rest = url.split("://", 1)
    at = len(user) + 1 + len(password)
    quoted = "".join(f"%{ord(c):02X}" if c in "@/?#" or c.isspace() else c for c in password)
    return f"{scheme}://{user}:{quoted}{rest[at:]}"


def _one_paragraph(text: str) -> str:
    """``text`` on one line: drivers' messages span paragraphs (install instructions, query
    context), and formfit's errors are one paragraph."""
    return " ".join(text.split())


def _describe(exc: BaseException, *, first_line: bool = False) -> str:
    """An engine's error on one line (or only its first line), credentials masked, values
    never quoted at length."""
    text = mask_secrets(str(exc).strip())  # masked line by line, before the lines are joined
    text = _one_paragraph(text.splitlines()[0] if first_line and text else text)
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__
