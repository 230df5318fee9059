"""viewed_at as DuckDB reads it: the shortcut (a plain TIMESTAMP cast for strings of the usual
ISO shapes, told by LIKE) must give what the full reading gives (a plain cast where a pattern
finds no offset, else the time-zone-aware cast), offsets and zone names included, for any
string of those shapes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from formfit.cells.views import PLAIN_ISO_RE, PLAIN_SHAPES, parse_timestamp

ODD = ["2025-03-14", "2025-03-14T10:20:30", "2025-03-14 10:20:30", "2025-03-14T10:20:30Z",
       "2025-03-14 10:20:30+02:00", "2025-03-14T10:20:30-05", "2025-03-14T10:20+05:00",
       "2025-03-14T10:20-0500", "2025-03-14 10:20:30 UTC", "2025-03-14 10:20:30 Europe/Paris",
       "2025-03-14T10:20:30.5+01:00", "2025-03-14T10:20:30.123456789", "2025-3-1",
       "2025-03-14T24:00:00", "2025-13-01", "14/03/2025", "2025-03-14T1:2:3", "2025-03-1+",
       "2025-03-14T10:20:+5", "2025-03-14 10:20:3Z", "infinity", "epoch", None]


def _agree_on(con: object, strings: list[str | None]) -> list[tuple[object, ...]]:
    """The strings whose reading differs from the full reading's."""
    import ibis

    t = ibis.memtable(pa.table({"s": pa.array(strings, pa.string())}))
    utc, naive = ibis.dtype("timestamp('UTC')"), ibis.dtype("timestamp")
    fast = parse_timestamp(t.s, "duckdb")
    slow = ibis.ifelse(t.s.re_search(PLAIN_ISO_RE), t.s.try_cast(naive),
                       t.s.try_cast(utc).cast(naive))
    expr = t.filter(~fast.identical_to(slow)).select(
        s=t.s, fast=fast.cast("string"), slow=slow.cast("string"))
    df = con.to_pandas(expr)  # type: ignore[attr-defined]
    return list(df.itertuples(index=False))


@pytest.fixture(scope="module")
def con() -> object:
    from formfit.cells.engine import Engine

    engine = Engine()
    yield engine.local()
    engine.close()


def test_offsets_zones_and_odd_strings_read_as_before(con: object) -> None:
    assert _agree_on(con, ODD) == []


def test_any_string_of_the_plain_shapes_reads_as_before(con: object) -> None:
    """Random strings of each shape, one to four characters replaced by digits, signs,
    separators and letters (offsets and zone names need them): all read as before."""
    rng = np.random.default_rng(7)
    alphabet = np.array(list("0123456789 +-:.ZTzaUCtE/_éW"))
    weights = np.r_[np.full(10, 8.0), np.ones(len(alphabet) - 10)]
    strings: list[str | None] = []
    for shape, example in zip(PLAIN_SHAPES, ["2025-03-14", "2025-03-14T10:20:30",
                                             "2025-03-14 10:20:30"], strict=True):
        n = 40_000
        chars = np.tile(np.array(list(example)), (n, 1))
        for _ in range(4):
            pos = rng.integers(0, len(shape), n)
            new = rng.choice(alphabet, n, p=weights / weights.sum())
            hit = rng.random(n) < 0.6
            chars[np.flatnonzero(hit), pos[hit]] = new[hit]
        strings += ["".join(row) for row in chars]
    assert _agree_on(con, strings) == []
