"""Text keys as integers: codes and look-ups over millions of strings, hashed on every core.

Arrow's and pandas' hash tables over text hash each string in one thread: about a second per
two million e-mail addresses on the benchmark's machine, and a lead's key was hashed that way
three times (its submission's de-duplication, the check that keys are unique, each deal's
look-up). DuckDB's ``hash()`` runs in parallel, 20 times faster, and a hash table over 64-bit
integers is cheap. Two strings can share a 64-bit hash, so every answer is checked against the
text itself (each code's strings are equal; each match is the same string) and, if a check
fails, computed again the exact slow way: the answers are always the ones pandas and Arrow
give, only sooner.

``NULL`` never matches anything and has no code (-1), as in ``pandas.factorize``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

def _duckdb() -> Any:
    """A private in-memory DuckDB for one query (not the user's default connection; closed
    after it, so that its buffers do not outlive the query: 40 MB held at 10M views)."""
    import duckdb

    return duckdb.connect(":memory:")


def arrow_text(values: pd.Series | pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """A text column as Arrow large strings (no copy of the text when it is Arrow-backed
    already)."""
    import pyarrow as pa

    if isinstance(values, pd.Series):
        arr = pa.array(values.astype("str"), from_pandas=True)
    else:
        arr = values
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())  # one type, so that two columns compare
    return arr


def text_hashes(values: pa.ChunkedArray) -> np.ndarray:
    """DuckDB's 64-bit hash of every string (uint64; nulls get a hash too: mask them)."""
    import pyarrow as pa

    if len(values) == 0:
        return np.zeros(0, dtype=np.uint64)
    table = pa.table({"k": values})
    con = _duckdb()
    try:
        out = con.from_arrow(table).project("hash(k) AS h").to_arrow_table().column("h")
    finally:
        con.close()
    return np.asarray(out.to_numpy(), dtype=np.uint64)


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """Per code (0..k-1, numbered in order of first appearance), the row where it first
    appears."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    top = np.maximum.accumulate(codes)
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    new[1:] = top[1:] > top[:-1]
    return np.flatnonzero(new)


def _all_equal(left: pa.ChunkedArray, right: pa.ChunkedArray | pa.Array) -> bool:
    import pyarrow.compute as pc

    if len(left) == 0:
        return True
    return bool(pc.all(pc.equal(left, right)).as_py())


def _valid(arr: pa.ChunkedArray) -> np.ndarray | None:
    """Where ``arr`` is not null (None when it holds no null)."""
    if arr.null_count == 0:
        return None
    return np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def text_codes(values: pd.Series | pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The codes of ``pandas.factorize(values)`` for text (int64, -1 for null, numbered in order
    of first appearance), and per code the row where it first appears."""
    import pyarrow as pa

    arr = arrow_text(values)
    valid = _valid(arr)
    rows = np.arange(len(arr)) if valid is None else np.flatnonzero(valid)
    present = arr if valid is None else arr.filter(pa.array(valid))
    codes = np.asarray(pd.factorize(text_hashes(present))[0], dtype=np.int64)
    first = _first_rows(codes)
    # only strings that share a code with another row can differ from it
    shared = np.bincount(codes)[codes] > 1 if len(codes) else np.zeros(0, dtype=bool)
    if shared.any() and not _all_equal(present.filter(pa.array(shared)),
                                       present.take(pa.array(first[codes[shared]]))):
        codes = np.asarray(pd.factorize(pd.Series(present, dtype="str"))[0], dtype=np.int64)
        first = _first_rows(codes)  # two strings shared a hash: Arrow's own table decides
    if valid is None:
        return codes, first
    out = np.full(len(arr), -1, dtype=np.int64)
    out[valid] = codes
    return out, rows[first]


def factorize_text(values: pd.Series | pa.Array | pa.ChunkedArray
                   ) -> tuple[np.ndarray, pa.ChunkedArray]:
    """``pandas.factorize(values)`` for text: per row an int64 code (-1 for null), numbered in
    order of first appearance, and the distinct strings in that order (Arrow)."""
    import pyarrow as pa

    arr = arrow_text(values)
    codes, first = text_codes(arr)
    return codes, arr.take(pa.array(first))


def positions_in(values: pd.Series | pa.Array | pa.ChunkedArray,
                 among: pd.Series | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Per value, the position of the same string in ``among`` (int64), or -1 (null: -1).

    ``among`` must hold each string once, and no null: a :class:`ValueError` says so
    otherwise."""
    vals, keys = arrow_text(values), arrow_text(among)
    pos = _lookup(vals, keys)
    if pos is None:  # a repeated key, or two keys sharing a hash
        return _exact_positions(vals, keys)
    return pos


def is_in_text(values: pd.Series | pa.Array | pa.ChunkedArray,
               among: pd.Series | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Per value, whether the same string is in ``among`` (bool; null: False)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    vals, keys = arrow_text(values), arrow_text(among)
    pos = _lookup(vals, keys)
    if pos is None:  # keys repeat (or share a hash): look up among their distinct strings
        distinct = keys.take(pa.array(text_codes(keys)[1]))
        pos = _lookup(vals, distinct)
        if pos is None:  # a value shares a hash with another string
            found = pc.is_in(vals, value_set=distinct.combine_chunks(), skip_nulls=True)
            return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    out: np.ndarray = pos >= 0
    return out


def _lookup(vals: pa.ChunkedArray, keys: pa.ChunkedArray) -> np.ndarray | None:
    """positions_in by hashes, checked on the text; None when the keys' hashes repeat."""
    import pyarrow as pa

    index = pd.Index(text_hashes(keys))
    if keys.null_count or not index.is_unique:
        return None
    pos = np.asarray(index.get_indexer(text_hashes(vals)), dtype=np.int64)
    valid = _valid(vals)
    if valid is not None:
        pos[~valid] = -1
    hit = pos >= 0
    if not _all_equal(vals.filter(pa.array(hit)), keys.take(pa.array(pos[hit]))):
        return None  # a value shares a hash with a key but is another string
    return pos


def _exact_positions(vals: pa.ChunkedArray, keys: pa.ChunkedArray) -> np.ndarray:
    """positions_in from Arrow's own (single-threaded) text hash table."""
    import pyarrow.compute as pc

    keys_arr = keys.combine_chunks()
    self_pos = pc.index_in(keys_arr, value_set=keys_arr)
    if keys.null_count or not np.array_equal(
            np.asarray(self_pos.to_numpy(zero_copy_only=False)), np.arange(len(keys_arr))):
        raise ValueError("the keys looked up among must be distinct and not null")
    found = pc.index_in(vals.combine_chunks(), value_set=keys_arr,
                        skip_nulls=True)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
