"""Engine URLs and input references, parsed before anything is read (no engine imported here).

An engine URL names where the rows live: ``duckdb://`` (in-memory, the default for files),
``duckdb:///path/to.db``, ``postgres://user:pass@host:5432/db`` (``postgresql://`` too),
``pyspark://`` (a local Spark session), ``bigquery://project/dataset``,
``snowflake://user:pass@account/database/schema?warehouse=W``. Its user-info never appears in
any output: :attr:`EngineURL.masked` replaces the user name and password with ``***`` (a
password is a secret, and a user name is often a person's name or email address, as
Snowflake's are).

An input reference is a file path, or with an engine ``table:NAME`` or ``sql:SELECT ...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

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

#: what may follow the ``@`` that ends a URL's user-info: a host (or IPv6 literal, or nothing,
#: as in ``duckdb://user:pw@/x.db``), a port, then the path, query, end or a closing quote
_AFTER_USERINFO = re.compile(r"(?:\[[0-9A-Fa-f:.]*\]|[A-Za-z0-9._~%-]*)(?::\d*)?"
                             r"(?=$|[/?#\s\"'),;>\]])")
#: a query parameter whose name suggests a secret (matched anywhere in the name, any case)
_SECRET_NAME = re.compile(r"(?i)pass|pwd|token|secret|key|credential|auth|private|sig")
#: a user name without a password, up to its ``@``
_BARE_USER = re.compile(r"[^/?#\s:@\"'<>]+@")
_PARAM = re.compile(r"(?P<pre>[?&;](?P<name>[A-Za-z0-9_.\-]+)=)(?P<value>[^&\s\"'<>]*)")


def _userinfo_end(rest: str) -> int:
    """Where the user-info of a URL ends in ``rest`` (the text after ``scheme://``), -1 when
    there is none. With a password, the LAST ``@`` that a host can follow (a password may hold
    ``@ / ? #`` and spaces); a bare user name holds none of them, so its ``@`` is the first."""
    for at in range(len(rest) - 1, -1, -1):
        if rest[at] == "@" and _AFTER_USERINFO.match(rest, at + 1):
            if ":" in rest[:at]:
                return at
            break
    bare = _BARE_USER.match(rest)
    if bare and _AFTER_USERINFO.match(rest, bare.end()):
        return bare.end() - 1
    return -1


def userinfo_password(url: str) -> tuple[str, str] | None:
    """``(user, password)`` of a URL whose user-info holds a password, else None."""
    if "://" not in url:
        return None
    rest = url.split("://", 1)[1]
    at = _userinfo_end(rest)
    if at < 0 or ":" not in rest[:at]:
        return None
    user, _, password = rest[:at].partition(":")
    return user, password


def _mask_params(text: str) -> str:
    return _PARAM.sub(lambda m: f"{m['pre']}***" if _SECRET_NAME.search(m["name"])
                      else m[0], text)


def mask_secrets(text: str) -> str:
    """``text`` with every URL's user-info (user name and password) and every secret query
    parameter replaced by ``***``. In free text a URL's user-info may run to the last ``@`` of
    its line that a host can follow: more is masked rather than a password shown."""
    lines = []
    for line in text.split("\n"):
        out, pos = [], 0
        while (i := line.find("://", pos)) >= 0:
            out.append(line[pos:i + 3])
            rest = line[i + 3:]
            at = _userinfo_end(rest)
            pos = i + 3
            if at >= 0:
                out.append("***")
                pos += at
        out.append(line[pos:])
        lines.append(_mask_params("".join(out)))
    return "\n".join(lines)


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
        return InputRef("sql", one_query(query, role))
    return InputRef("file", text)


#: tokens a read-only query starts with (DuckDB also reads "FROM t SELECT ...")
_QUERY_STARTS = frozenset({"SELECT", "WITH", "L_PAREN", "FROM", "VALUES"})
#: sqlglot's dialect of each engine kind (also of a library caller's ibis backend, by its name)
DIALECTS: dict[str, str] = {"duckdb": "duckdb", "postgres": "postgres", "pyspark": "spark",
                            "bigquery": "bigquery", "snowflake": "snowflake"}


def one_query(query: str, role: str, dialect: str | None = None) -> str:
    """``sql:`` holds one query, nothing else: formfit only reads, and a second statement
    ("SELECT ...; DROP TABLE deals") would run in the user's database. Told by sqlglot's
    tokenizer (quotes and comments understood; no dialect's grammar needed), in the engine's
    ``dialect`` when it is known. Returns the query without what follows its last token
    (semicolons, white space, comments), which ibis cannot wrap as a subquery.

    Before the engine is known (``dialect`` None) a query the plain tokenizer splits is still
    accepted when it holds ``$$`` and DuckDB's tokenizer (dollar quoting, as PostgreSQL's and
    Snowflake's) sees one statement: :meth:`~formfit.cells.engine.Engine.table` checks it again
    in the engine's own dialect before it runs."""
    tokens = _tokens(query, role, dialect)
    if dialect is None and "$$" in query and _statements(tokens) > 1:
        tokens = _tokens(query, role, "duckdb")
    kinds = [t.token_type.name for t in tokens]
    if _statements(tokens) > 1:
        raise UsageError(f"--{role} sql: holds more than one statement.",
                         "Give one query (SELECT ... FROM ...): formfit only reads, and runs "
                         "nothing else in your database.")
    if not kinds or kinds[0] not in _QUERY_STARTS:
        raise UsageError(f"--{role} sql: is not a query.",
                         f"Write --{role} 'sql:SELECT ... FROM ...': formfit only reads.")
    last = max(i for i, k in enumerate(kinds) if k != "SEMICOLON")
    return query[:tokens[last].end + 1]


def _tokens(query: str, role: str, dialect: str | None) -> list[Any]:
    import sqlglot
    from sqlglot.errors import TokenError

    try:
        return list(sqlglot.tokenize(query, read=dialect))
    except TokenError as exc:
        raise UsageError(f"--{role} sql: cannot be read as SQL ({' '.join(str(exc).split())}).",
                         "Check its quotes and comments.") from None


def _statements(tokens: list[Any]) -> int:
    """How many statements the tokens hold (semicolons at the end do not start one)."""
    kinds = [t.token_type.name for t in tokens]
    while kinds and kinds[-1] == "SEMICOLON":
        kinds.pop()
    return 1 + sum(1 for i, k in enumerate(kinds) if k == "SEMICOLON"
                   and (i == 0 or kinds[i - 1] != "SEMICOLON"))
