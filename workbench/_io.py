"""Read what users hand in (pandas, polars, pyarrow, CSV, parquet) into one pandas frame.

Files are read as written:

* only empty cells are missing; ``NA``, ``None``, ``null``, ``N/A`` and ``nan`` are values
  unless the caller names them in ``na_values``;
* a column whose numbers carry leading zeros (zip codes, ids) stays text;
* duplicate or empty header names, ragged rows and trailing delimiters are errors that
  name the line;
* delimiter, decimal mark, thousands separator and encoding are detected for the common
  US (``,`` and ``1,234.5``) and European (``;`` and ``1.234,5``, latin-1) forms, and
  can be set;
* decompressed sizes can be capped (``max_bytes``), read in a streaming fashion, so a
  small compressed file cannot expand without bound.

A parquet file can also be read one column or one batch of rows at a time
(:class:`ParquetColumns`, what loading uses, so a large file never becomes one frame).
CSV keeps this careful reader: DuckDB's CSV reader would type ``02134`` as a number,
rename duplicate headers instead of refusing them and has no thousands separator.

Every failure becomes an :class:`~workbench.exceptions.InputFileError` or
:class:`~workbench.exceptions.DataError` that says what came and how to fix it.
Imports numpy, pandas, pyarrow, polars (lazily) and ``workbench.exceptions``.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import (
    DataError,
    EmptyDataError,
    InputFileError,
    NotATableError,
    ParameterError,
)

__all__ = [
    "SUPPORTED_SUFFIXES",
    "CsvFormat",
    "ParquetColumns",
    "read_columns",
    "read_table",
    "sniff_csv",
]

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".parquet", ".pq")

_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_HEAD_BYTES = 65536
_BOOL_VALUES = {"True": True, "False": False, "true": True, "false": False}
_BOOL_VALUES.update({"TRUE": True, "FALSE": False})


@dataclass(frozen=True)
class CsvFormat:
    """How a delimited text file is written (detected, or as the caller said).

    Attributes
    ----------
    encoding : str
        Text encoding (``utf-8``, ``utf-8-sig``, ``utf-16``, ``cp1252``, ``latin-1`` ...).
    delimiter : str
        Field separator.
    decimal : str
        Decimal mark of numbers (``.`` or ``,``).
    thousands : str
        Thousands separator accepted in numbers (``""`` for none).
    na_values : tuple of str
        Cell texts read as missing besides the empty cell.
    notes : tuple of str
        What the reader noticed and did about it, e.g. a column of numbers kept as text
        because its marks fit neither the decimal mark nor the thousands separator.
    """

    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."
    thousands: str = ","
    na_values: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for people, e.g. ``encoding utf-8, delimiter semicolon, decimal comma``."""
        names = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", ".": "point", "": "none"}
        names[" "] = "space"
        text = (
            f"encoding {self.encoding}, delimiter {names.get(self.delimiter, repr(self.delimiter))}"
            f", decimal {names.get(self.decimal, repr(self.decimal))}"
            f", thousands {names.get(self.thousands, repr(self.thousands))}"
        )
        if self.na_values:
            text += f", missing also {', '.join(repr(v) for v in self.na_values)}"
        if self.notes:
            text += "; " + "; ".join(self.notes)
        return text

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "na_values": list(self.na_values), "notes": list(self.notes)}


def _short(text: object, limit: int = 80) -> str:
    """``repr`` of a value, cut to ``limit`` characters so messages stay one readable line."""
    shown = repr(text)
    return (
        shown if len(shown) <= limit else shown[: limit - 5] + "...'" + f" ({len(str(text))} chars)"
    )


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _detect_encoding(head: bytes) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is fine; others are not.
        if exc.reason == "unexpected end of data":
            return "utf-8"
    # Windows-1252 is latin-1 plus printable characters (euro sign, quotes) in 0x80-0x9f.
    if any(0x80 <= b <= 0x9F for b in head):
        try:
            head.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    return "latin-1"


#: Signatures of files that are not text tables: (offset, magic bytes, what it is).
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "an image (PNG)"),
    (0, b"\xff\xd8\xff", "an image (JPEG)"),
    (0, b"GIF87a", "an image (GIF)"),
    (0, b"GIF89a", "an image (GIF)"),
    (0, b"II*\x00", "an image (TIFF)"),
    (0, b"MM\x00*", "an image (TIFF)"),
    (0, b"%PDF-", "a PDF document"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document (.xls or .doc)"),
    (0, b"PAR1", "a Parquet file (name it .parquet)"),
    (0, b"\x1f\x8b", "a gzip-compressed file (name it .csv.gz)"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (0, b"Rar!\x1a\x07", "a RAR archive"),
    (0, b"\xfd7zXZ\x00", "an xz-compressed file"),
    (0, b"SQLite format 3\x00", "a SQLite database"),
    (8, b"DUCK", "a DuckDB database"),
    (0, b"ID3", "a sound file (MP3)"),
    (0, b"fLaC", "a sound file (FLAC)"),
    (0, b"OggS", "a sound file (Ogg)"),
    (4, b"ftyp", "a video or sound file (MP4)"),
)


def binary_kind(head: bytes, *, compressed_ok: bool = False) -> str | None:
    r"""What a file that is not a text table looks like, from its first bytes; None if text.

    ``compressed_ok`` accepts gzip data (a ``.gz`` name says the file is compressed).

    Examples
    --------
    >>> binary_kind(bytes.fromhex("89504e470d0a1a0a") + b"...")
    'an image (PNG)'
    >>> binary_kind(b"age,income\n38,50K\n") is None
    True
    """
    for offset, magic, kind in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if magic == b"\x1f\x8b" and compressed_ok:
                return None
            return kind
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "an image (WebP)", b"WAVE": "a sound file (WAV)"}.get(
            head[8:12], "a video (AVI)"
        )
    if head.startswith(b"PK\x03\x04"):
        if b"xl/" in head[:4096]:
            return "an Excel workbook (.xlsx; save it as CSV from Excel)"
        if b"word/" in head[:4096]:
            return "a Word document (.docx)"
        return "a ZIP archive (unpack it first)"
    # Text has no NUL bytes, except UTF-16/32, which starts with a byte order mark.
    start = head[:4096]
    controls = sum(start.count(bytes([b])) for b in (*range(9), *range(14, 32)))
    if (b"\x00" in start or controls > len(start) // 10) and not start.startswith(
        (b"\xff\xfe", b"\xfe\xff")
    ):
        return "binary data, not text"
    return None


def _refuse_binary(head: bytes, name: str, *, compressed_ok: bool = False) -> None:
    kind = binary_kind(head, compressed_ok=compressed_ok)
    if kind is not None:
        raise NotATableError(
            f"The file {name!r} looks like {kind}, not a table. Expected a CSV, TSV or Parquet "
            "file of rows and columns; fix: upload (or pass) a CSV, TSV or Parquet file, "
            "exported from the program that holds the table."
        )


def _sample_lines(text: str, limit: int = 200) -> list[str]:
    lines = text.splitlines()
    if len(lines) > 1:
        lines = lines[:-1]  # the last line of a sample may be cut
    return [line for line in lines[:limit] if line.strip()]


def _detect_delimiter(text: str) -> str:
    lines = _sample_lines(text)
    if not lines:
        return ","
    best: tuple[int, int, int] | None = None
    choice = ","
    for rank, delimiter in enumerate(_DELIMITERS):
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        # Prefer delimiters that split every line into as many fields as the header.
        consistent = sum(c == counts[0] for c in counts)
        key = (consistent, counts[0], -rank)
        if best is None or key > best:
            best, choice = key, delimiter
    return choice


def sniff_csv(head: bytes) -> tuple[str, str]:
    """Guess (encoding, delimiter) of CSV bytes.

    Examples
    --------
    >>> sniff_csv(b"a;b\\n1;2\\n")
    ('utf-8', ';')
    >>> sniff_csv("x;y\\n1,5;caf\\u00e9\\n".encode("latin-1"))
    ('latin-1', ';')
    """
    encoding = _detect_encoding(head)
    text = head.decode(encoding, errors="replace")
    return encoding, _detect_delimiter(text)


# -- bounded reading -------------------------------------------------------------------------


class _TooLarge(Exception):
    def __init__(self, name: str, limit: int) -> None:
        super().__init__(name, limit)
        self.name, self.limit = name, limit

    def error(self) -> InputFileError:
        return InputFileError(
            f"The file {self.name!r} holds more than {self.limit / 1e6:,.0f} MB of data once "
            f"unpacked; expected at most {self.limit / 1e6:,.0f} MB here. Upload a sample of "
            "the rows, or run the scan from Python or the command line, which have no limit."
        )


def _read_all(stream: Any, limit: int | None, name: str) -> bytes:
    """Read a (decompressing) stream in chunks, stopping as soon as ``limit`` is passed."""
    chunks: list[bytes] = []
    seen = 0
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return b"".join(chunks)
        seen += len(chunk)
        if limit is not None and seen > limit:
            raise _TooLarge(name, limit)
        chunks.append(chunk)


def _gunzip(raw: bytes, name: str, limit: int | None) -> bytes:
    try:
        return _read_all(gzip.GzipFile(fileobj=io.BytesIO(raw)), limit, name)
    except _TooLarge as exc:
        raise exc.error() from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(
            f"Could not read {name!r}: could not unpack it ({_short(str(exc))}). Expected a "
            "complete CSV file compressed with gzip; check that the upload finished and the "
            "file is of the type its name says."
        ) from None


# -- CSV -------------------------------------------------------------------------------------


def _check_options(
    delimiter: str | None,
    decimal: str | None,
    thousands: str | None,
    encoding: str | None,
    na_values: Sequence[str] | str | None,
) -> tuple[str, ...]:
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ParameterError(
            f"delimiter must be one character such as ',' ';' '\\t' or '|'. Got {_short(delimiter)}."
        )
    if decimal is not None and decimal not in (".", ","):
        raise ParameterError(f"decimal must be '.' or ','. Got {_short(decimal)}.")
    if thousands is not None and thousands not in ("", ".", ",", " ", "'", "\u00a0", "\u202f"):
        raise ParameterError(
            f"thousands must be '' (none), '.', ',', ' ' or \"'\". Got {_short(thousands)}."
        )
    if thousands and decimal and thousands == decimal:
        raise ParameterError(
            f"decimal and thousands are both {decimal!r}. Pass different marks, e.g. "
            "decimal=',' thousands='.' for 1.234,5."
        )
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            raise ParameterError(
                f"Unknown encoding {_short(encoding)}. Expected a name such as 'utf-8', "
                "'latin-1' or 'cp1252'."
            ) from None
    if na_values is None:
        return ()
    if isinstance(na_values, str):
        na_values = [na_values]
    values = tuple(str(v) for v in na_values)
    return values


def _number_pattern(decimal: str, thousands: str) -> str:
    """A number as written with these marks.

    Thousands groups must be valid: a first group of 1-3 digits not starting with 0, then
    groups of exactly three, so ``0.125`` or ``1.23`` are never taken for thousands.
    """
    d = re.escape(decimal)
    grouped = rf"[1-9]\d{{0,2}}(?:{re.escape(thousands)}\d{{3}})+|" if thousands else ""
    return rf"^[+-]?(?:(?:{grouped}\d+)(?:{d}\d*)?|{d}\d+)(?:[eE][+-]?\d+)?$"


# Evidence of the decimal mark. A single mark followed by three digits after a first group
# of 1-3 digits not starting with 0 (1.234, 12,500) could be either, and tells nothing.
_ONE_DOT = r"^[+-]?\d*\.\d+$"
_ONE_COMMA = r"^[+-]?\d*,\d+$"
_DOT_GROUP = r"^[+-]?[1-9]\d{0,2}\.\d{3}$"
_COMMA_GROUP = r"^[+-]?[1-9]\d{0,2},\d{3}$"
_DOT_GROUPS = r"^[+-]?[1-9]\d{0,2}(?:\.\d{3}){2,}$|^[+-]?[1-9]\d{0,2}(?:\.\d{3})+,\d*$"
_COMMA_GROUPS = r"^[+-]?[1-9]\d{0,2}(?:,\d{3}){2,}$|^[+-]?[1-9]\d{0,2}(?:,\d{3})+\.\d*$"
# Numbers as written in any form; only such columns get a note when they stay text.
_NUMBER_LIKE = r"^[+-]?[\d.,]*\d[\d.,]*$"


def _any_match(values: Any, *patterns: str) -> bool:
    import pyarrow.compute as pc

    return any(bool(pc.any(pc.match_substring_regex(values, p)).as_py()) for p in patterns)


def _any_match_but(values: Any, pattern: str, but: str) -> bool:
    """Whether any value matches ``pattern`` and not ``but`` (RE2 has no lookahead)."""
    import pyarrow.compute as pc

    hits = pc.and_(
        pc.match_substring_regex(values, pattern),
        pc.invert(pc.match_substring_regex(values, but)),
    )
    return bool(pc.any(hits).as_py())


def _detect_decimal(columns: Iterable[Any], delimiter: str) -> tuple[str, bool]:
    """``,`` when the numbers are written 1.234,5 / 0,25; ``.`` when 1,234.5 / 0.25.

    The second item says whether any value showed it (else it follows the delimiter).
    """
    import pyarrow as pa

    comma = dot = 0
    for column in columns:
        sample = column.drop_null().slice(0, 20000)
        if len(sample) == 0 or not pa.types.is_string(sample.type):
            continue
        # Unambiguous: a single mark that cannot group thousands (0.125, 12.5, 1234.5)
        # is a decimal mark; two of the same mark, or one before the other, are thousands.
        if _any_match(sample, _DOT_GROUPS) or _any_match_but(sample, _ONE_COMMA, _COMMA_GROUP):
            comma += 1
        if _any_match(sample, _COMMA_GROUPS) or _any_match_but(sample, _ONE_DOT, _DOT_GROUP):
            dot += 1
    if comma and not dot:
        return ",", True
    if dot:
        return ".", True
    # Nothing tells: spreadsheets that write ';' do so because ',' is their decimal mark.
    return ("," if delimiter == ";" else "."), False


def _leading_zeros(values: Any) -> bool:
    """Whether any number is written with a leading zero (``02134``, ``-007``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    zeros = pa.array([f"0{d}" for d in range(10)])
    if pc.any(pc.is_in(pc.utf8_slice_codeunits(values, 0, 2), value_set=zeros)).as_py():
        return True
    signed = values.filter(pc.is_in(pc.utf8_slice_codeunits(values, 0, 1), pa.array(["+", "-"])))
    if len(signed) == 0:
        return False
    return bool(pc.any(pc.is_in(pc.utf8_slice_codeunits(signed, 1, 3), value_set=zeros)).as_py())


def _marks_note(values: Any, decimal: str, thousands: str, why: str) -> str | None:
    """Why a column of numbers stays text, or None when it does not look like numbers."""
    import pyarrow.compute as pc

    if not pc.all(pc.match_substring_regex(values, _NUMBER_LIKE)).as_py():
        return None
    marks = f"decimal {decimal!r}" + (f", thousands {thousands!r}" if thousands else "")
    return (
        f"kept as text: {why} (read with {marks}); pass decimal=... / thousands=... "
        "if it holds numbers"
    )


def _convert(column: Any, decimal: str, thousands: str) -> tuple[Any, str | None]:
    """An arrow string column as int64, float64 or bool when every value is one, else text.

    Text stays text when any value is not a number as written: ``nan`` or ``NA`` among
    numbers, a leading zero, a decimal mark or a thousands separator out of place. The
    second item says why a column of numbers stayed text (None otherwise).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = column.drop_null()
    if len(values) == 0:
        return column, None

    def casts(to: Any) -> bool:
        # A failing cast is slow on millions of values: try the first thousand first.
        try:
            pc.cast(values.slice(0, 1000), to)
            pc.cast(values, to)
        except (pa.ArrowInvalid, OverflowError):
            return False
        return True

    if casts(pa.int64()):
        return (column if _leading_zeros(values) else pc.cast(column, pa.int64())), None
    text = column
    try:
        if thousands and pc.any(pc.match_substring(values, thousands)).as_py():
            # A thousands separator only where every value is validly grouped: never read
            # 0.125 as 125.
            pattern = _number_pattern(decimal, thousands)
            fits = pc.match_substring_regex(values, pattern)
            if not pc.all(fits).as_py():
                odd = values.filter(pc.invert(fits))[0].as_py()
                why = f"{odd!r} is not a number grouped in thousands of {thousands!r}"
                return column, _marks_note(values, decimal, thousands, why)
            text = pc.replace_substring(text, thousands, "")
        if decimal != ".":
            if pc.any(pc.match_substring(pc.drop_null(text), ".")).as_py():
                why = f"'.' appears where the decimal mark is {decimal!r}"
                return column, _marks_note(values, decimal, thousands, why)
            text = pc.replace_substring(text, decimal, ".")
        pc.cast(pc.drop_null(text).slice(0, 1000), pa.float64())
        numbers = pc.cast(text, pa.float64())
    except (pa.ArrowInvalid, OverflowError):
        truth = pa.array([k for k, v in _BOOL_VALUES.items() if v])
        if pc.all(pc.is_in(values, value_set=pa.array(list(_BOOL_VALUES)))).as_py():
            return pc.if_else(
                pc.is_null(column), pa.scalar(None, pa.bool_()), pc.is_in(column, value_set=truth)
            ), None
        return column, None
    # 'nan' or 'NaN' written in a cell is a value, not a number (only empty cells are missing).
    if pc.any(pc.is_nan(numbers)).as_py() or _leading_zeros(values):
        return column, None
    return numbers, None


def _header(text: str, delimiter: str, name: str) -> list[str]:
    first = text.split("\n", 1)[0] if "\n" in text else text
    try:
        rows = csv.reader(io.StringIO(text), delimiter=delimiter)
        header = next(rows)
    except (csv.Error, StopIteration):
        header = first.rstrip("\r").split(delimiter)
    if not header or header == [""]:
        raise EmptyDataError(
            f"The file {name!r} has no header row (line 1 is empty). Expected a CSV whose "
            "first line names the columns."
        )
    return header


def _check_header(header: list[str], delimiter: str, name: str) -> None:
    seen: dict[str, int] = {}
    for position, column in enumerate(header, start=1):
        if column.strip() == "":
            hint = (
                " (line 1 ends with a delimiter: remove the trailing delimiter from every line)"
                if position == len(header)
                else ""
            )
            raise DataError(
                f"Column {position} of the header of {name!r} has no name{hint}. Expected a "
                "name for every column; name it or delete the empty column."
            )
        if column in seen:
            raise DataError(
                f"The header of {name!r} (line 1) names the column {_short(column)} twice "
                f"(columns {seen[column]} and {position}). Expected unique column names; "
                "rename one of them. The workbench does not rename columns for you."
            )
        seen[column] = position


def _bad_rows_error(
    bad: list[Any], n_bad: int, n_columns: int, delimiter: str, name: str
) -> Exception:
    row = bad[0]
    # pyarrow counts records from the header on, leaving out blank lines.
    line = f"Line {row.number}" if row.number is not None else "A line"
    shown = {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}.get(delimiter, repr(delimiter))
    more = f" ({n_bad - 1} more line{'s' if n_bad > 2 else ''} like it)" if n_bad > 1 else ""
    fields = f"{row.actual_columns} field{'s' if row.actual_columns != 1 else ''}"
    if row.text.count('"') % 2:
        return InputFileError(
            f"Could not read {name!r} as CSV: {line.lower()} has an unclosed quote: "
            f"{_short(row.text, 60)}. Expected every quoted value to end with a quote; fix "
            "the line or re-export the file."
        )
    if row.actual_columns == n_columns + 1 and row.text.rstrip("\r\n").endswith(delimiter):
        why = (
            f"ends with a trailing delimiter {shown}: it has {fields} but the header has "
            f"{n_columns}{more}. Remove the trailing delimiter (or add the missing column name "
            "to the header)"
        )
    else:
        why = (
            f"has {fields} but the header has {n_columns}{more}: {_short(row.text, 60)}. "
            f"Expected every row to have as many fields as the header (delimiter {shown}). "
            "Quote values that contain the delimiter, or fix the row"
        )
    return DataError(f"{line} of {name!r} {why}; pass delimiter=... if {shown} is wrong.")


def _read_csv(
    source: Path | bytes,
    name: str,
    *,
    delimiter: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    encoding: str | None = None,
    na_values: Sequence[str] | str | None = None,
    max_bytes: int | None = None,
) -> tuple[pd.DataFrame, CsvFormat]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    na = _check_options(delimiter, decimal, thousands, encoding, na_values)
    gz = name.endswith(".gz")
    if isinstance(source, bytes):
        _refuse_binary(source[:_HEAD_BYTES], name, compressed_ok=gz)
        raw = _gunzip(source, name, max_bytes) if gz else source
        if max_bytes is not None and len(raw) > max_bytes:
            raise _TooLarge(name, max_bytes).error()
        head = raw[: 4 * _HEAD_BYTES]
    else:
        stored_head = b""
        with contextlib.suppress(OSError), open(source, "rb") as stored:
            stored_head = stored.read(_HEAD_BYTES)
        _refuse_binary(stored_head, name, compressed_ok=gz)
        try:
            with gzip.open(source, "rb") if gz else open(source, "rb") as fh:
                head = fh.read(4 * _HEAD_BYTES)
            if gz and max_bytes is not None:
                with gzip.open(source, "rb") as fh:
                    raw = _read_all(fh, max_bytes, name)
            elif max_bytes is not None and source.stat().st_size > max_bytes:
                raise _TooLarge(name, max_bytes)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputFileError(
                f"Could not read {name!r}: "
                + ("could not unpack it " if gz else "")
                + f"({_short(str(exc))}). Expected a readable CSV file"
                + (" compressed with gzip" if gz else "")
                + "; check that the file is complete and of the type its name says."
            ) from None
        except _TooLarge as exc:
            raise exc.error() from None
    if gz:
        _refuse_binary(head, name)  # what the gzip file holds
    if not head.strip():
        raise EmptyDataError(
            f"The file {name!r} is empty. Expected a CSV with a header row and at least one "
            "data row. Check that the export finished writing."
        )
    detected_encoding = encoding or _detect_encoding(head)
    text = head.decode(detected_encoding, errors="replace")
    if detected_encoding in ("utf-8-sig", "utf-16"):
        text = text.lstrip("\ufeff")
    sep = delimiter or _detect_delimiter(text)
    if "\n" not in text.strip("\r\n") and len(head) >= 4 * _HEAD_BYTES:
        raise DataError(
            f"The first line of {name!r} is longer than {4 * _HEAD_BYTES // 1024} KB and has no "
            "line break. Expected a header row of column names followed by data rows; check "
            "that the file is a CSV table with one row per line."
        )
    header = _header(text, sep, name)
    _check_header(header, sep, name)

    bad: list[Any] = []
    n_bad = 0

    def on_bad(row: Any) -> str:
        nonlocal n_bad
        n_bad += 1
        if len(bad) < 3:
            bad.append(row)
        return "skip"

    def parse(enc: str) -> Any:
        nonlocal n_bad
        bad.clear()
        n_bad = 0
        stream: Any = (
            io.BytesIO(raw)
            if isinstance(source, bytes) or (gz and max_bytes is not None)
            else pa.input_stream(str(source), compression="gzip" if gz else None)
        )
        names = [f"c{i}" for i in range(len(header))]
        return pacsv.read_csv(
            stream,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, encoding=enc, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, newlines_in_values=True, invalid_row_handler=on_bad
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    used_encoding = detected_encoding
    try:
        try:
            table = parse(detected_encoding)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            # A non-UTF-8 character after the sampled head: read it as Windows-1252/latin-1.
            if encoding is None and detected_encoding == "utf-8" and "UTF8" in str(exc).upper():
                used_encoding = "cp1252"
                try:
                    table = parse(used_encoding)
                except (pa.ArrowInvalid, UnicodeDecodeError):
                    used_encoding = "latin-1"
                    table = parse(used_encoding)
            else:
                raise
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:
        raise InputFileError(
            f"Could not read {name!r} as CSV (encoding {used_encoding}, delimiter {sep!r}): "
            f"{_short(str(exc).splitlines()[0] if str(exc) else exc, 160)}. Expected a delimited "
            "text table with one header row; pass encoding=... / delimiter=..., or re-export "
            "it as UTF-8 CSV or parquet."
        ) from None
    if bad:
        raise _bad_rows_error(bad, n_bad, len(header), sep, name)
    missing = ("", *na)
    columns = []
    for column in table.columns:
        column = column.combine_chunks() if hasattr(column, "combine_chunks") else column
        columns.append(_null_where(column, missing))
    dec, shown = (decimal, True) if decimal else _detect_decimal(columns, sep)
    thou = ("," if dec == "." else ".") if thousands is None else thousands
    converted = []
    notes = []
    for column_name, column in zip(header, columns, strict=True):
        values, note = _convert(column, dec, thou)
        converted.append(values)
        if note is not None:
            notes.append(f"column {_short(column_name, 40)} {note}")
        elif (
            thousands is None
            and not shown
            and thou
            and pa.types.is_floating(values.type)
            and pc.any(pc.match_substring(column.drop_null(), thou)).as_py()
        ):
            # No value told the marks apart (1.234 may be 1234 or 1.234): say what was assumed.
            notes.append(
                f"column {_short(column_name, 40)} read {thou!r} as thousands separator "
                f"(no value showed the decimal mark; {dec!r} assumed for a "
                f"{_DELIMITER_NAMES.get(sep, repr(sep))}-delimited file); pass "
                f"decimal='{thou}' if it is the decimal mark"
            )
    frame = pa.table(
        dict(zip([f"c{i}" for i in range(len(header))], converted, strict=True))
    ).to_pandas()
    frame.columns = pd.Index(header)
    fmt = CsvFormat(
        encoding=used_encoding,
        delimiter=sep,
        decimal=dec,
        thousands=thou,
        na_values=na,
        notes=tuple(notes),
    )
    return frame, fmt


def _null_where(column: Any, missing: tuple[str, ...]) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = pc.is_in(column, value_set=pa.array(list(missing), pa.string()))
    return pc.if_else(mask, pa.scalar(None, pa.string()), column)


def _parquet_error(name: str, exc: Exception) -> InputFileError:
    return InputFileError(
        f"Could not read {name!r} as parquet: {_short(str(exc), 160)}. Expected a valid "
        "parquet file; check that it is not truncated, or export the data again."
    )


def _open_parquet(source: Path | bytes, name: str, max_bytes: int | None) -> Any:
    """A ``pyarrow.parquet.ParquetFile`` of ``source``, once its first bytes and size pass.

    A file that is not parquet is named by its first bytes; one whose data exceed
    ``max_bytes`` is refused before any row is read.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(source, bytes):
        head = source[:_HEAD_BYTES]
    else:
        with open(source, "rb") as stored:
            head = stored.read(_HEAD_BYTES)
    if not head.startswith(b"PAR1"):
        _refuse_binary(head, name)
    try:
        handle = pq.ParquetFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        if max_bytes is not None:
            meta = handle.metadata
            size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
            if size > max_bytes:
                raise _TooLarge(name, max_bytes).error()
    except (pa.ArrowInvalid, OSError) as exc:
        raise _parquet_error(name, exc) from None
    return handle


def _read_parquet(source: Path | bytes, name: str, max_bytes: int | None) -> pd.DataFrame:
    import pyarrow as pa

    handle = _open_parquet(source, name, max_bytes)
    try:
        table = handle.read()
    except (pa.ArrowInvalid, OSError) as exc:
        raise _parquet_error(name, exc) from None
    return table.to_pandas()


class ParquetColumns:
    """A parquet file read one column (or one batch of rows) at a time.

    Behaves like the part of a pandas frame that loading needs: ``columns``, ``len()``
    and ``frame[name]`` (a column as the whole file's ``to_pandas()`` would give it), so
    a 10M-row file never sits in memory as one frame. ``keep`` (a boolean mask over the
    file's rows) leaves rows out of every column and batch.

    Examples
    --------
    >>> buffer = io.BytesIO()
    >>> pd.DataFrame({"a": [1, 2, 3], "b": list("xyz")}).to_parquet(buffer)
    >>> table = ParquetColumns(buffer.getvalue(), "f.parquet")
    >>> list(table.columns), len(table), table["b"].tolist()
    (['a', 'b'], 3, ['x', 'y', 'z'])
    >>> table.filtered(np.array([True, False, True]))["a"].tolist()
    [1, 3]
    """

    #: Columns read are kept (first come, first kept) up to this many bytes, since
    #: loading reads every column a few times (fingerprint, leakage guard, binning).
    cache_bytes = 512 * 2**20

    def __init__(
        self,
        source: Path | bytes,
        name: str,
        max_bytes: int | None = None,
        keep: Any = None,
    ) -> None:
        import pyarrow as pa

        self._source, self.name, self._max_bytes = source, name, max_bytes
        self._file = _open_parquet(source, name, max_bytes)
        meta = self._file.metadata
        try:
            schema = self._file.schema_arrow
            # Columns a pandas index was stored in are not data (to_pandas makes them the index).
            index = (schema.pandas_metadata or {}).get("index_columns", [])
            in_index = {i for i in index if isinstance(i, str)}
            positions = [i for i, f in enumerate(schema.names) if f not in in_index]
            names = [schema.names[i] for i in positions]
            # The pandas dtype of every column, from the schema alone (no rows read).
            empty = schema.empty_table().select(positions).to_pandas()
        except (pa.ArrowInvalid, OSError) as exc:
            raise _parquet_error(name, exc) from None
        self._names = names
        _check_columns(empty)  # duplicate, empty and case-clashing names
        self.columns = pd.Index([str(c) for c in empty.columns], dtype=object)
        self.dtypes = dict(zip(self.columns, empty.dtypes, strict=True))
        self._keep = None if keep is None else np.asarray(keep, dtype=bool)
        self._n = int(meta.num_rows) if self._keep is None else int(self._keep.sum())
        self._cache: dict[str, pd.Series] = {}
        self._cached = 0

    def __len__(self) -> int:
        return self._n

    def filtered(self, keep: Any) -> ParquetColumns:
        """The same file without the rows where ``keep`` (over the rows kept so far) is False."""
        keep = np.asarray(keep, dtype=bool)
        if self._keep is not None:
            full = self._keep.copy()
            full[full] = keep
            keep = full
        return ParquetColumns(self._source, self.name, self._max_bytes, keep)

    def __getitem__(self, column: str) -> pd.Series:
        if column not in self.dtypes:
            raise KeyError(column)
        if column in self._cache:
            return self._cache[column]
        series = self._read(column)
        size = int(series.memory_usage(index=False, deep=False))
        if self._cached + size <= self.cache_bytes:
            self._cache[column] = series
            self._cached += size
        return series

    def clear_cache(self) -> None:
        """Forget the columns read so far (they are read again when asked for)."""
        self._cache.clear()
        self._cached = 0

    def _read(self, column: str) -> pd.Series:
        import pyarrow as pa

        field = self._names[list(self.columns).index(column)]
        try:
            table = self._file.read(columns=[field], use_pandas_metadata=False)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputFileError(
                f"Could not read column {column!r} of {self.name!r}: {_short(str(exc), 160)}. "
                "Expected a valid parquet file; check that it is not truncated."
            ) from None
        if self._keep is not None:
            table = table.filter(pa.array(self._keep))
        # The file's pandas metadata (categories, extension types) applies as for the whole.
        table = table.replace_schema_metadata(self._file.schema_arrow.metadata)
        series = table.to_pandas().iloc[:, 0]
        del table
        if str(series.dtype) != str(self.dtypes[column]):
            series = series.astype(self.dtypes[column])
        return series.rename(column)

    def record_batches(self, batch_size: int = 262_144) -> Any:
        """The kept rows as a ``pyarrow.RecordBatchReader`` (column names as strings)."""
        import pyarrow as pa

        names = [str(c) for c in self.columns]
        schema = pa.schema(
            [
                self._file.schema_arrow.field(f).with_name(n)
                for f, n in zip(self._names, names, strict=True)
            ]
        )

        def batches() -> Any:
            start = 0
            for batch in self._file.iter_batches(batch_size=batch_size, columns=self._names):
                end = start + batch.num_rows
                if self._keep is not None:
                    batch = batch.filter(pa.array(self._keep[start:end]))
                start = end
                yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)

        return pa.RecordBatchReader.from_batches(schema, batches())


def read_columns(data: Any, **options: Any) -> pd.DataFrame | ParquetColumns:
    """Like :func:`read_table`, but a parquet file comes back as :class:`ParquetColumns`.

    Loading reads a parquet file column by column and hands its rows to the store in
    record batches, so no frame of the whole file is built. Other inputs (frames, CSV,
    which keeps its careful reader) are read by :func:`read_table`.
    """
    if isinstance(data, (str, os.PathLike)):
        path = Path(os.path.expanduser(os.fspath(data)))
        if _suffix(path) in (".parquet", ".pq") and path.is_file() and os.access(path, os.R_OK):
            return ParquetColumns(path, path.name, options.get("max_bytes"))
    return read_table(data, **options)


def _check_columns(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.columns.duplicated().any():
        dups = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise DataError(
            f"Column names must be unique. Got duplicates: {[_short(d, 40) for d in dups[:10]]}. "
            "Rename them before loading."
        )
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns={c: str(c) for c in frame.columns})
    empty = [i for i, c in enumerate(frame.columns, start=1) if not str(c).strip()]
    if empty:
        raise DataError(
            f"Column {empty[0]} has an empty name. Expected a name for every column; "
            "rename it (or drop it) before loading."
        )
    folded = Counter(str(c).casefold() for c in frame.columns)
    clashes = [c for c in frame.columns if folded[str(c).casefold()] > 1]
    if clashes:
        raise DataError(
            f"Columns {[_short(c, 40) for c in clashes[:4]]} differ only in letter case. The "
            "workbench's store does not tell upper from lower case in column names; rename one "
            "of them before loading."
        )
    return frame


def read_table(
    data: Any,
    *,
    name: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    encoding: str | None = None,
    na_values: Sequence[str] | str | None = None,
    max_bytes: int | None = None,
) -> pd.DataFrame:
    """Return ``data`` as a pandas DataFrame with string column names.

    A CSV's detected (or given) format is kept in ``frame.attrs["csv_format"]`` as a dict
    of :class:`CsvFormat` fields.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame, pyarrow.Table, str, os.PathLike or bytes
        The table, or a path to a CSV/TSV (optionally gzipped) or parquet file.
        Bytes are the content of such a file; pass ``name`` so the type can be told.
    name : str, optional
        A file name for bytes input (its suffix picks the reader).
    delimiter : str, optional
        Field separator of a CSV; detected among ``,`` ``;`` tab ``|`` when omitted.
    decimal : {".", ","}, optional
        Decimal mark of a CSV's numbers; detected when omitted (``,`` for 1.234,5 or
        0,25; ``.`` otherwise).
    thousands : str, optional
        Thousands separator; the other of ``.`` / ``,`` when omitted, ``""`` for none.
    encoding : str, optional
        Text encoding of a CSV; detected (UTF-8, UTF-16 with a byte order mark,
        Windows-1252 or latin-1) when omitted.
    na_values : str or list of str, optional
        Cell texts to read as missing besides the empty cell, e.g. ``["NA", "null"]``.
        By default ``NA``, ``None``, ``null``, ``N/A`` and ``nan`` are values.
    max_bytes : int, optional
        Refuse files holding more than this many bytes once unpacked (gzip is read in a
        streaming fashion and stopped at the limit).

    Examples
    --------
    >>> read_table(pd.DataFrame({"a": [1, 2]})).shape
    (2, 1)
    >>> frame = read_table(b"zip;code;score\\n02134;NA;0,5\\n10001;GB;1.234,5\\n", name="f.csv")
    >>> frame["zip"].tolist(), frame["code"].tolist(), frame["score"].tolist()
    (['02134', '10001'], ['NA', 'GB'], [0.5, 1234.5])
    """
    csv_options = {
        "delimiter": delimiter,
        "decimal": decimal,
        "thousands": thousands,
        "encoding": encoding,
        "na_values": na_values,
        "max_bytes": max_bytes,
    }
    fmt: CsvFormat | None = None
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, (str, os.PathLike)):
        path = Path(os.path.expanduser(os.fspath(data)))
        suffix = _suffix(path)
        if path.is_dir():
            raise InputFileError(
                f"{str(data)!r} is a folder, expected a CSV or parquet file. Pass the path of "
                "the file inside it."
            )
        if suffix not in SUPPORTED_SUFFIXES:
            raise InputFileError(
                f"Unsupported file type {suffix or '(no suffix)'!r} for {str(path)!r}. Expected "
                f"one of {', '.join(SUPPORTED_SUFFIXES)}. Convert the file to CSV or parquet."
            )
        if not path.is_file():
            raise InputFileError(
                f"The file {str(path)!r} does not exist or is not a file. Check the path "
                f"(the current directory is {os.getcwd()!r})."
            )
        if not os.access(path, os.R_OK):
            raise InputFileError(
                f"The file {str(path)!r} cannot be read (permission denied). "
                "Fix its permissions or copy it somewhere readable."
            )
        if suffix in (".parquet", ".pq"):
            frame = _read_parquet(path, path.name, max_bytes)
        else:
            frame, fmt = _read_csv(path, path.name, **csv_options)  # type: ignore[arg-type]
    elif isinstance(data, bytes):
        fname = name or "upload"
        suffix = _suffix(Path(fname))
        if suffix not in SUPPORTED_SUFFIXES:
            raise InputFileError(
                f"Unsupported file type {suffix or '(no suffix)'!r} for {fname!r}. Expected one of "
                f"{', '.join(SUPPORTED_SUFFIXES)}. Convert the file to CSV or parquet."
            )
        if not data:
            raise EmptyDataError(f"The file {fname!r} is empty. Expected a CSV or parquet table.")
        if suffix in (".parquet", ".pq"):
            frame = _read_parquet(data, fname, max_bytes)
        else:
            frame, fmt = _read_csv(data, fname, **csv_options)  # type: ignore[arg-type]
    else:
        module = type(data).__module__.split(".")[0]
        if module == "polars" or module == "pyarrow":
            frame = data.to_pandas()
        elif isinstance(data, dict):
            frame = pd.DataFrame(data)
        else:
            raise DataError(
                f"Expected a table (pandas, polars or pyarrow) or a path to a CSV/parquet file. "
                f"Got {type(data).__name__} instead. Convert it with pandas.DataFrame(...)."
            )
    frame = _check_columns(frame)
    if fmt is not None:
        frame.attrs["csv_format"] = fmt.to_dict()
    return frame
