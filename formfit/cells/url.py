"""Engine URLs and input references, parsed before anything is read (no engine imported here).

An engine URL names where the rows live: ``duckdb://`` (in-memory, the default for files),
``duckdb:///path/to.db``, ``postgres://user:pass@host:5432/db`` (``postgresql://`` too),
``pyspark://`` (a local Spark session), ``bigquery://project/dataset``,
``snowflake://user:pass@account/database/schema?warehouse=W``. Its password never appears in
any output: :attr:`EngineURL.masked` replaces it with ``***``.

An input reference is a file path, or with an engine ``table:NAME`` or ``sql:SELECT ...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from formfit.errors import UsageError

SCHEMES: dict[str, str] = {
    "duckdb": "duckdb",
    "postgres": "postgres",
    "postgresql": "postgres",
    "pyspark": "pyspark",
    "spark": "pyspark",
    "bigquery": "bigquery",
    "snowflake": "snowflake",
}
#: the pip extra that brings each engine's driver (DuckDB is a core dependency)
EXTRAS: dict[str, str] = {"postgres": "postgres", "pyspark": "spark", "bigquery": "bigquery",
                          "snowflake": "snowflake"}

_PASSWORD = re.compile(r"(?P<pre>://)[^:/?#@\s]*:[^@/?#\s]*(?P<post>@)")
_SECRET_PARAM = re.compile(r"(?i)(?P<pre>[?&](?:password|passwd|pwd|token|secret|"
                           r"private_key[a-z_]*|credentials[a-z_]*)=)(?P<pw>[^&#\s]*)")


def mask_secrets(text: str) -> str:
    """``text`` with every URL's user and password (when it has a password) and every secret
    query parameter replaced by ``***``."""
    text = _PASSWORD.sub(lambda m: f"{m['pre']}***{m['post']}", text)
    return _SECRET_PARAM.sub(lambda m: f"{m['pre']}***", text)


@dataclass(frozen=True)
class EngineURL:
    """A parsed engine URL: ``kind`` is duckdb, postgres, pyspark, bigquery or snowflake."""

    url: str
    kind: str

    @property
    def masked(self) -> str:
        return mask_secrets(self.url)

    def duckdb_path(self) -> str:
        """The database file of a ``duckdb://`` URL ('' in memory). ``duckdb:///abs/x.db`` is
        absolute and ``duckdb://x.db`` relative; ``duckdb:///x.db`` (as SQLAlchemy writes a
        relative path) is taken relative when no such absolute file exists."""
        rest = self.url.split("://", 1)[1]
        if not rest.startswith("/"):
            return rest
        absolute = "/" + rest.lstrip("/")
        if Path(absolute).exists() or not Path(rest.lstrip("/")).exists():
            return absolute
        return rest.lstrip("/")

    def __repr__(self) -> str:  # never show the password, even in a debugger
        return f"EngineURL({self.masked!r})"

    __str__ = __repr__


def parse_engine(url: str) -> EngineURL:
    """Check an engine URL's scheme (a bare ``duckdb`` or ``pyspark`` is accepted too)."""
    text = str(url).strip()
    if text.lower() in ("duckdb", "pyspark", "spark"):
        text += "://"
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    kind = SCHEMES.get(scheme)
    if kind is None:
        raise UsageError(
            f"--engine {mask_secrets(text)!r} is not an engine URL formfit knows.",
            "Use duckdb:///file.db, postgres://user@host/db, bigquery://project/dataset, "
            "snowflake://user@account/db/schema or pyspark:// (see the README's "
            "\"Bigger data\").")
    return EngineURL(url=scheme + text[len(scheme):], kind=kind)


@dataclass(frozen=True)
class InputRef:
    """Where one input comes from: a file, a table in the engine, or a query in the engine."""

    kind: Literal["file", "table", "sql"]
    value: str  # the path as given, the table name, or the SQL text

    @property
    def path(self) -> Path:
        if self.kind != "file":
            raise TypeError(f"{self.kind} input has no path")
        return Path(self.value)

    @property
    def label(self) -> str:
        """How messages and the JSON settings name it: a file's name, never a local path."""
        if self.kind == "file":
            return Path(self.value).name
        if self.kind == "table":
            return f"table:{self.value}"
        one_line = " ".join(self.value.split())
        return f"sql:{one_line if len(one_line) <= 80 else one_line[:77] + '...'}"

    def __str__(self) -> str:
        return self.label


def parse_input(value: str | Path | InputRef, role: str) -> InputRef:
    """``table:NAME`` and ``sql:SELECT ...`` are engine inputs; anything else is a file path."""
    if isinstance(value, InputRef):
        return value
    if isinstance(value, Path):
        return InputRef("file", str(value))
    text = str(value)
    low = text[:6].lower()
    if low.startswith("table:"):
        name = text[6:].strip()
        if not name:
            raise UsageError(f"--{role} table: names no table.", f"Write --{role} table:NAME.")
        return InputRef("table", name)
    if low.startswith("sql:"):
        query = text[4:].strip()
        if not query:
            raise UsageError(f"--{role} sql: holds no query.",
                             f"Write --{role} 'sql:SELECT ... FROM ...'.")
        _one_query(query, role)
        return InputRef("sql", query)
    return InputRef("file", text)


#: tokens a read-only query starts with (DuckDB also reads "FROM t SELECT ...")
_QUERY_STARTS = frozenset({"SELECT", "WITH", "L_PAREN", "FROM", "VALUES"})


def _one_query(query: str, role: str) -> None:
    """``sql:`` holds one query, nothing else: formfit only reads, and a second statement
    ("SELECT ...; DROP TABLE deals") would run in the user's database. Told by sqlglot's
    tokenizer (quotes and comments understood; no dialect's grammar needed)."""
    import sqlglot
    from sqlglot.errors import TokenError

    try:
        tokens = sqlglot.tokenize(query)
    except TokenError as exc:
        raise UsageError(f"--{role} sql: cannot be read as SQL ({exc}).",
                         "Check its quotes and comments.") from None
    kinds = [t.token_type.name for t in tokens]
    while kinds and kinds[-1] == "SEMICOLON":
        kinds.pop()
    if "SEMICOLON" in kinds:
        raise UsageError(f"--{role} sql: holds more than one statement.",
                         "Give one query (SELECT ... FROM ...): formfit only reads, and runs "
                         "nothing else in your database.")
    if not kinds or kinds[0] not in _QUERY_STARTS:
        raise UsageError(f"--{role} sql: is not a query.",
                         f"Write --{role} 'sql:SELECT ... FROM ...': formfit only reads.")
