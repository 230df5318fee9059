"""Read one input file into a :class:`RawTable`: CSV, TSV, Parquet, XLSX or JSON Lines, gzip ok.

The format is chosen by extension. CSV and TSV (UTF-8 with or without BOM, UTF-16 with BOM, or
cp1252; delimiter sniffed from the header line) are parsed by pyarrow, which keeps million-row
exports fast. Every cell arrives as text; the callers parse the columns they need and report
bad values by the row number a spreadsheet user sees.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from formfit.errors import InputError
from formfit.io.formats import read_jsonl, read_parquet, read_xlsx
from formfit.io.table import (
    REPEAT_MARK,
    RawTable,
    arrow_to_frame,
    decode,
    drop_blank_unnamed,
    looks_like_data,
    unique_names,
)
from formfit.limits import current, how_to_raise

__all__ = ["FORMATS", "REPEAT_MARK", "RawTable", "check_regular_file", "decode", "format_of",
           "read_table", "sniff_delimiter"]

# extension (after removing .gz) -> reader kind
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
SUPPORTED_TEXT = ".csv, .tsv, .parquet, .xlsx, .jsonl (each also as .gz, e.g. .csv.gz)"
_DELIMITERS = (",", ";", "\t", "|")


def format_of(path: Path) -> tuple[str, bool]:
    """The reader kind for ``path`` and whether it is gzip-compressed, from its extension."""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] in (".gz", ".gzip")
    if gz:
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    kind = FORMATS.get(ext)
    if kind is None:
        shown = "".join(path.suffixes[-2:]) if path.suffixes else "(none)"
        hint = f"Supported: {SUPPORTED_TEXT}."
        if ext == ".xls":
            hint += " Save the old .xls workbook as .xlsx or CSV first."
        raise InputError(f"{path.name}: unknown file type {shown}.", hint)
    return kind, gz


def check_regular_file(path: Path, role: str) -> None:
    """Only regular files are read: a directory, a device (/dev/zero never ends) or a FIFO
    (blocks forever) is refused by name before a byte is read."""
    import stat

    try:
        mode = path.stat().st_mode  # follows symlinks: a link to /dev/zero is a device
    except FileNotFoundError:
        raise InputError(f"{role} file {path} does not exist.",
                         f"Check the path given to --{role}.") from None
    except OSError as exc:
        raise InputError(f"{role} file {path} cannot be opened ({exc.strerror}).",
                         "Check the path and its permissions.") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{role} file {path} is a directory, not a file.",
                         f"Give --{role} the path of one export file.")
    if not stat.S_ISREG(mode):
        kind = ("a pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device")
        raise InputError(f"{role} file {path} is {kind}, not a regular file.",
                         "Save the export to a file first and give its path.")


def read_table(path: Path, role: str) -> RawTable:
    """Read ``path`` (chosen by extension) into a :class:`RawTable`. Raises InputError."""
    check_regular_file(path, role)
    kind, gz = format_of(path)
    data = _read_bytes(path, gz)
    if not data or data.isspace():  # (data.strip() would copy the whole file)
        raise InputError(f"{role} file {path.name} is empty.",
                         "Export it again: it needs a header row and at least one data row.")
    if kind in ("csv", "tsv"):
        tbl, table = _read_delimited(data, path, role, tab=kind == "tsv")
        del data  # the file's bytes are parsed: let them go before the frame is made
        table.frame = arrow_to_frame(tbl, table.frame.columns.tolist())
        del tbl
    elif kind == "parquet":
        table = read_parquet(data, path, role)
    elif kind == "xlsx":
        table = read_xlsx(data, path, role)
    else:
        table = read_jsonl(data, path, role)
    table.frame = drop_blank_unnamed(table.frame)
    if len(table.frame.columns) == 0:
        raise InputError(f"{role} file {path.name} has no columns.",
                         "Export it again with a header row of column names.")
    if len(table.frame) == 0:
        raise InputError(f"{role} file {path.name} has a header but no data rows.",
                         "Export it again with the rows included (check any filters).")
    return table


def _read_bytes(path: Path, gz: bool) -> bytes:
    """The file's bytes (decompressed), refused past the input cap: a 7 MB gzip can expand to
    gigabytes, and is stopped at the cap rather than after memory runs out."""
    limit_mb = current().max_input_mb
    limit = limit_mb * 1024 * 1024
    try:
        if not gz:
            on_disk = path.stat().st_size
            if on_disk > limit:
                raise _too_big(path, limit_mb, compressed=False)
            with open(path, "rb") as fh:
                # one read into one buffer (chunks then b"".join held the file twice), sized
                # by the file: read(n) allocates n bytes first, and a high cap is not memory
                data = fh.read(on_disk + 1)
                if len(data) > on_disk:  # it grew since (or its size is not known: /proc)
                    data = b"".join([data, *_chunks(fh.read, limit, len(data), path, gz=False)])
            if len(data) > limit:
                raise _too_big(path, limit_mb, compressed=False)
            return data
        with gzip.open(path, "rb") as fh:
            return b"".join(_chunks(fh.read, limit, 0, path, gz=True))
    except (OSError, EOFError, zlib.error) as exc:
        what = "a valid gzip file" if gz else "readable"
        raise InputError(f"{path.name} is not {what}: {exc.__class__.__name__}.",
                         "Check that the file is complete (not still downloading) and not "
                         "renamed from another format.") from None


def _chunks(read: Callable[[int], bytes], limit: int, size: int, path: Path, *,
            gz: bool) -> Iterator[bytes]:
    """The rest of a file (its ``read``) in chunks of at most 16 MB, refused once ``size``
    plus what it yields passes ``limit`` bytes."""
    while chunk := read(min(1 << 24, limit + 1 - size)):
        size += len(chunk)
        if size > limit:
            raise _too_big(path, limit >> 20, compressed=gz)
        yield chunk


def _too_big(path: Path, limit_mb: int, *, compressed: bool) -> InputError:
    grown = " once decompressed" if compressed else ""
    return InputError(
        f"{path.name} is larger than {limit_mb:,} MB{grown}, the input-size cap "
        "(max_input_mb) for files formfit reads into memory.",
        "Check that it is the export you meant. " + how_to_raise("max_input_mb", limit_mb)
        + " (The environment variable FORMFIT_MAX_INPUT_MB sets the default.)")


# --- CSV / TSV --------------------------------------------------------------------------------

def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line most often (outside quotes); ',' on a tie."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _read_delimited(data: bytes, path: Path, role: str, *,
                    tab: bool) -> tuple[pa.Table, RawTable]:
    """The parsed Arrow table, and the RawTable to hold it (its frame has the column names and
    no rows yet: :func:`arrow_to_frame` fills it once ``data`` can be let go)."""
    text, encoding = decode(data, f"{role} file {path.name}")
    check_text(text, path, role)
    if encoding in ("cp1252", "latin-1"):
        check_one_encoding(data, path, role)
    cr = "\n" not in text[:1 << 20] and "\r" in text[:1 << 20]
    if cr:
        # old Mac line ends (CR only): read as the line ends they are
        text, encoding = text.replace("\r", "\n"), "cr"
    # blank lines above the header (some exports add them) are not part of the table
    lead = len(text[:4096]) - len(text[:4096].lstrip("\r\n"))
    head = text[lead:lead + (1 << 20)]  # the header is at the top: no need to copy it all
    delimiter = "\t" if tab else sniff_delimiter(head.split("\n", 1)[0].rstrip("\r"))
    reader = csv.reader(io.StringIO(head), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise InputError(f"{role} file {path.name} has no header row.",
                         "The first line must hold the column names.") from None
    header_lines = reader.line_num
    check_columns(len(header), path, role)
    names = unique_names(header)
    # pyarrow parses UTF-8 only; re-encode other code pages once (cheap next to parsing)
    utf8 = data if encoding == "utf-8" else text.encode("utf-8")
    if utf8.startswith(b"\xef\xbb\xbf"):
        utf8 = utf8[3:]
    utf8 = utf8[lead:]  # the blank lines are ASCII: as many bytes as characters
    del text  # a second copy of the file: rebuilt only to locate a parse error

    def full_text() -> str:
        again = decode(data, f"{role} file {path.name}")[0]
        return (again.replace("\r", "\n") if cr else again)[lead:]

    from formfit.io.presets import strip_footer_bytes  # report footers are not rows

    utf8 = strip_footer_bytes(utf8)
    internal = [f"c{i}" for i in range(len(names))]
    cell_mb = current().max_cell_mb
    try:
        tbl = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(column_names=internal, skip_rows=header_lines,
                                           # a row must fit in a block: room for a capped cell
                                           block_size=min(max(1 << 24, (2 * cell_mb + 1) << 20),
                                                              (1 << 31) - 1),  # an int32
                                           # threads only pay off on big files
                                           use_threads=len(utf8) > 1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(internal, pa.string()),
                strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        # pyarrow's message quotes the offending row (personal data): locate it ourselves
        raise _csv_shape_error(full_text(), path, role, delimiter, names) from exc
    check_cells(tbl, names, path, role, first_number=header_lines + 1)
    decimal_comma = delimiter == ";"
    return tbl, RawTable(pd.DataFrame(columns=names), path, role, decimal_comma=decimal_comma,
                         header_looks_like_data=looks_like_data(header))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def check_text(text: str, path: Path, role: str) -> None:
    """A CSV must be text: NUL bytes or many control characters mean a binary file (a
    workbook or archive renamed .csv, a truncated download), named as such rather than as a
    quoting problem."""
    sample = text[:1 << 16]
    bad = len(_CONTROL.findall(sample))
    if bad > 0.01 * len(sample) or sample.count("\x00") > 0.001 * len(sample):
        raise InputError(
            f"{role} file {path.name} is not a text file: it holds binary bytes (such as NUL or "
            "other control characters) where a CSV has only text.",
            "Check that it is the export itself, not a workbook, archive or other file renamed "
            ".csv, and that the download finished; save it again as CSV (UTF-8).")


_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                       rb"|[\xf0-\xf4][\x80-\xbf]{3}")


def check_one_encoding(data: bytes, path: Path, role: str) -> None:
    """A file that is not UTF-8 but holds UTF-8 characters too was pasted together from two
    exports: read in one encoding, 'Café' from one part and 'CafÃ©' from the other would be
    two answers. Refused, naming a line of each."""
    utf8_hit = _UTF8_SEQ.search(data)
    if utf8_hit is None:
        return
    other = next((i for i, line in enumerate(data.split(b"\n"), start=1)
                  if _not_utf8(line)), None)
    if other is None:
        return
    utf8_line = data.count(b"\n", 0, utf8_hit.start()) + 1
    where = (f"line {utf8_line:,} is UTF-8 but line {other:,} is not (it reads as Windows "
             "cp1252)" if utf8_line != other else
             f"line {other:,} holds both UTF-8 and Windows cp1252 characters")
    raise InputError(
        f"{role} file {path.name} mixes two text encodings: {where}, so one answer would be "
        "counted as two (such as 'Café' and 'CafÃ©').",
        "Open the file in a text editor and save it as UTF-8 (fixing the lines that show odd "
        "characters), or export it again in one piece.")


def _not_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def check_columns(width: int, path: Path, role: str) -> None:
    """An input's header must be a table's, not thousands of columns (a stray value far to
    the right, or a file that is not a table), refused before any row is read."""
    cap = current().max_columns
    if width > cap:
        raise InputError(
            f"{role} file {path.name} has {width:,} columns, more than the column cap "
            f"(max_columns: {cap:,}).",
            "Delete the columns or stray cells beyond the export's table, or export only the "
            "needed columns. " + how_to_raise("max_columns", cap, width))


def cell_too_big(path: Path, role: str, where: str, size: int) -> InputError:
    """The message for one cell past the cell-size cap."""
    cap = current().max_cell_mb
    return InputError(
        f"{role} file {path.name} {where} holds a cell of {size / 2**20:,.1f} MB, more than "
        f"the cell-size cap (max_cell_mb: {cap:,}).",
        "Form answers are short: check that the column is the one meant (not a pasted "
        "document or a file in a cell). " + how_to_raise("max_cell_mb", cap, size >> 20))


def check_cells(tbl: pa.Table, names: list[str], path: Path, role: str, *,
                first_number: int, unit: str = "row") -> None:
    """No cell longer than the cell-size cap (a document pasted into a cell, a runaway
    quote that swallowed the rest of the file), naming the first such cell's row and column."""
    import pyarrow.compute as pc

    cap = current().max_cell_mb << 20
    for name, col in zip(names, tbl.columns, strict=True):
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        lengths = pc.binary_length(col)
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > cap:
            pos = pc.index(lengths, longest).as_py()
            raise cell_too_big(path, role, f"{unit} {pos + first_number:,} column {name!r}",
                               int(longest))


def _csv_shape_error(text: str, path: Path, role: str, delimiter: str,
                     names: list[str]) -> InputError:
    width = len(names)
    cap = current().max_cell_mb << 20
    csv.field_size_limit(max(cap, 1 << 17) + 1)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    number = 1
    try:
        for number, row in enumerate(reader, start=1):
            if number > 1 and row and len(row) != width:
                return InputError(
                    f"{role} file {path.name} row {number:,} (the header is row 1) has "
                    f"{len(row)} values but the header names {width} columns.",
                    "Quote values that contain the delimiter "
                    f"({_delimiter_name(delimiter)}), or export the file again.")
            big = next((i for i, v in enumerate(row) if len(v.encode("utf-8")) > cap), None)
            if big is not None:
                column = names[big] if big < width else f"column {big + 1}"
                return cell_too_big(path, role, f"row {number:,} column {column!r}",
                                    len(row[big].encode("utf-8")))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            return cell_too_big(path, role, f"row {number + 1:,} (the header is row 1)",
                                cap + 1)
    return InputError(f"{role} file {path.name} cannot be parsed as "
                      f"{_delimiter_name(delimiter)}-separated text.",
                      "Check for an unclosed quote, or export the file again as UTF-8 CSV.")


def _delimiter_name(d: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(d, repr(d))
