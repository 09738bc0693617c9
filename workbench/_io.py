"""Read what users hand in (pandas, polars, pyarrow, CSV, parquet) into one pandas frame.

Every failure becomes an :class:`~workbench.exceptions.InputFileError` or
:class:`~workbench.exceptions.DataError` that says what came and how to fix it.
Imports pandas, pyarrow, polars (lazily) and ``workbench.exceptions``.
"""

from __future__ import annotations

import csv
import io
import os
import zlib
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.exceptions import DataError, EmptyDataError, InputFileError

__all__ = ["SUPPORTED_SUFFIXES", "read_table", "sniff_csv"]

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".parquet", ".pq")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def sniff_csv(head: bytes) -> tuple[str, str]:
    """Guess (encoding, delimiter) of CSV bytes.

    Examples
    --------
    >>> sniff_csv(b"a;b\\n1;2\\n")
    ('utf-8', ';')
    """
    encoding = "utf-8"
    if head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    try:
        text = head.decode(encoding)
    except UnicodeDecodeError:
        # Cut multi-byte characters at the end of the sample are fine; real errors are not.
        try:
            text = head[:-4].decode(encoding)
        except UnicodeDecodeError:
            encoding = "latin-1"
            text = head.decode(encoding)
    try:
        delimiter = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    return encoding, delimiter


def _read_csv(source: Path | bytes, name: str) -> pd.DataFrame:
    raw = source if isinstance(source, bytes) else None
    if raw is not None and name.endswith(".gz"):
        import gzip

        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputFileError(
                f"Could not read {name!r}: {exc}. Expected a complete CSV file compressed with "
                "gzip; check that the upload finished and the file is of the type its name says."
            ) from None
        name = name[: -len(".gz")]
    if raw is None:
        assert isinstance(source, Path)
        try:
            if name.endswith(".gz"):
                import gzip

                with gzip.open(source, "rb") as fh:
                    head = fh.read(65536)
            else:
                with open(source, "rb") as fh:
                    head = fh.read(65536)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputFileError(
                f"Could not read {name!r}: {exc}. Expected a readable CSV file"
                + (" compressed with gzip" if name.endswith(".gz") else "")
                + "; check that the file is complete and of the type its name says."
            ) from None
    else:
        head = raw[:65536]
    if not head.strip():
        raise EmptyDataError(
            f"The file {name!r} is empty. Expected a CSV with a header row and at least one "
            "data row. Check that the export finished writing."
        )
    encoding, delimiter = sniff_csv(head)
    try:
        buffer: Any = io.BytesIO(raw) if raw is not None else source
        return pd.read_csv(
            buffer,
            sep=delimiter,
            encoding=encoding,
            compression="gzip" if name.endswith(".gz") else None,
            low_memory=False,
        )
    except (
        pd.errors.ParserError,
        UnicodeDecodeError,
        ValueError,
        OSError,
        EOFError,
        zlib.error,
    ) as exc:
        raise InputFileError(
            f"Could not read {name!r} as CSV (encoding {encoding}, delimiter {delimiter!r}): "
            f"{exc}. Expected a delimited text table with one header row; re-export it as "
            "UTF-8 CSV or parquet."
        ) from None
    except pd.errors.EmptyDataError:
        raise EmptyDataError(
            f"The file {name!r} has no columns. Expected a CSV with a header row."
        ) from None


def _read_parquet(source: Path | bytes, name: str) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(
            f"Could not read {name!r} as parquet: {exc}. Expected a valid parquet file; "
            "check that it is not truncated, or export the data again."
        ) from None
    return table.to_pandas()


def read_table(data: Any, *, name: str | None = None) -> pd.DataFrame:
    """Return ``data`` as a pandas DataFrame with string column names.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame, pyarrow.Table, str, os.PathLike or bytes
        The table, or a path to a CSV/TSV (optionally gzipped) or parquet file.
        Bytes are the content of such a file; pass ``name`` so the type can be told.
    name : str, optional
        A file name for bytes input (its suffix picks the reader).

    Examples
    --------
    >>> read_table(pd.DataFrame({"a": [1, 2]})).shape
    (2, 1)
    """
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, (str, os.PathLike)):
        path = Path(data)
        suffix = _suffix(path)
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
        reader = _read_parquet if suffix in (".parquet", ".pq") else _read_csv
        frame = reader(path, path.name)
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
        reader = _read_parquet if suffix in (".parquet", ".pq") else _read_csv
        frame = reader(data, fname)
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
    if frame.columns.duplicated().any():
        dups = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise DataError(
            f"Column names must be unique. Got duplicates: {dups}. Rename them before loading."
        )
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns={c: str(c) for c in frame.columns})
    return frame
