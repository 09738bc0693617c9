"""Files are read as written: values, types, structure errors with line numbers, formats."""

from __future__ import annotations

import gzip
import io
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench._io import read_columns, read_table, sniff_csv


def read(text: str | bytes, **options: object) -> pd.DataFrame:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_table(data, name="data.csv", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("spelling", ["NA", "None", "null", "N/A", "nan", "NaN", "n/a", "-"])
def test_na_spellings_are_values_by_default(spelling: str) -> None:
    frame = read(f"country,x\n{spelling},1\nGB,2\n,3\n")
    assert frame["country"].tolist()[:2] == [spelling, "GB"]
    assert frame["country"].isna().tolist() == [False, False, True]


def test_na_values_names_the_missing_spellings() -> None:
    frame = read("country,x\nNA,1\nnull,2\nGB,\n", na_values=["NA", "null"])
    assert frame["country"].isna().tolist() == [True, True, False]
    assert frame["x"].isna().tolist() == [False, False, True]
    assert frame.attrs["csv_format"]["na_values"] == ["NA", "null"]


def test_nan_text_among_numbers_keeps_the_column_as_written() -> None:
    frame = read("score,label\n0.5,a\nnan,b\n")
    assert frame["score"].tolist() == ["0.5", "nan"]
    assert read("score,label\n0.5,a\nnan,b\n", na_values="nan")["score"].dtype == np.float64


def test_leading_zeros_survive() -> None:
    frame = read("zip,id,n,signed\n02134,007,1,-05\n10001,123,2,3\n")
    assert frame["zip"].tolist() == ["02134", "10001"]
    assert frame["id"].tolist() == ["007", "123"]
    assert frame["signed"].tolist() == ["-05", "3"]
    assert frame["n"].dtype == np.int64


def test_plain_numbers_and_booleans_keep_their_types() -> None:
    frame = read("i,f,e,b,t\n1,0.5,1e3,True,x\n-2,,inf,False,y\n0,3,-1.5E-2,,z\n")
    assert frame["i"].dtype == np.int64
    assert frame["f"].dtype == np.float64 and np.isnan(frame["f"][1])
    assert frame["e"].tolist()[:2] == [1000.0, np.inf]
    assert frame["b"].tolist()[:2] == [True, False] and pd.isna(frame["b"][2])
    assert pd.api.types.is_string_dtype(frame["t"])


BAD_FILES = [
    # (id, content, exception, message fragments)
    (
        "duplicate header",
        "sex,age,sex\nF,1,M\n",
        wb.DataError,
        ["names the column 'sex' twice", "columns 1 and 3", "rename"],
    ),
    ("empty header name", "a,,c\n1,2,3\n", wb.DataError, ["Column 2 of the header", "has no name"]),
    (
        "trailing delimiter in header",
        "a,b,\n1,2,\n",
        wb.DataError,
        ["Column 3", "trailing delimiter"],
    ),
    (
        "trailing delimiter in rows",
        "a,b\n1,2\n3,4,\n5,6,\n",
        wb.DataError,
        ["Line 3", "trailing delimiter ','", "1 more line"],
    ),
    (
        "short row",
        "a,b,c\n1,2,3\n4,5\n",
        wb.DataError,
        ["Line 3", "has 2 fields but the header has 3", "'4,5'"],
    ),
    ("long row", "a,b\n1,2\n3,4\n5,6,7,8\n", wb.DataError, ["Line 4", "has 4 fields"]),
    ("unclosed quote", 'a,b\n"x,1\n', wb.InputFileError, ["line 2 has an unclosed quote"]),
    ("letter case clash", "Sex,sex\nF,M\n", wb.DataError, ["differ only in letter case"]),
    ("empty file", "", wb.EmptyDataError, ["is empty"]),
    ("blank header", "\n\n1,2\n", wb.EmptyDataError, ["no header row"]),
]


@pytest.mark.parametrize(
    ("content", "error", "fragments"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_files_are_reported_with_the_line(
    content: str, error: type[Exception], fragments: list[str]
) -> None:
    with pytest.raises(error) as info:
        read(content)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "\n" not in message


BAD_OPTIONS = [
    ({"decimal": ";"}, "decimal must be '.' or ','"),
    ({"delimiter": ";;"}, "delimiter must be one character"),
    ({"thousands": "x"}, "thousands must be"),
    ({"decimal": ",", "thousands": ","}, "both ','"),
    ({"encoding": "klingon"}, "Unknown encoding 'klingon'"),
]


@pytest.mark.parametrize(("options", "fragment"), BAD_OPTIONS)
def test_bad_options(options: dict[str, str], fragment: str) -> None:
    with pytest.raises(wb.ParameterError, match=fragment):
        read("a,b\n1,2\n", **options)


EURO = "name;betrag;stadt;anzahl;plz\nA;1.234,5;Köln;3;01067\nB;0,25;München;4;80331\nC;12;Zürich;5;8001\n"


def test_european_file_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "euro.csv"
    path.write_bytes(EURO.encode("latin-1"))
    frame = read_table(path)
    assert len(frame) == 3
    assert frame["betrag"].tolist() == [1234.5, 0.25, 12.0]
    assert frame["anzahl"].dtype == np.int64
    assert frame["stadt"].tolist() == ["Köln", "München", "Zürich"]
    assert frame["plz"].tolist() == ["01067", "80331", "8001"]
    fmt = frame.attrs["csv_format"]
    assert (fmt["delimiter"], fmt["decimal"], fmt["thousands"]) == (";", ",", ".")
    assert fmt["encoding"] in ("latin-1", "cp1252")


def test_european_file_with_explicit_options(tmp_path: Path) -> None:
    path = tmp_path / "euro.csv"
    path.write_bytes(EURO.encode("latin-1"))
    frame = read_table(path, delimiter=";", decimal=",", thousands=".", encoding="latin-1")
    assert frame["betrag"].tolist() == [1234.5, 0.25, 12.0]
    assert frame.shape == (3, 5)
    # Said otherwise, the same column stays text instead of being misread.
    assert read_table(path, decimal=".")["betrag"].tolist() == ["1.234,5", "0,25", "12"]


def test_european_thousands_only_is_read_as_thousands() -> None:
    frame = read("x;n\na;1.234\nb;12.500\n")
    assert frame["n"].tolist() == [1234.0, 12500.0]


def test_us_thousands_are_read_as_numbers() -> None:
    frame = read('label,amount\na,"1,234"\nb,"12,345,678.5"\nc,7\n')
    assert frame["amount"].tolist() == [1234.0, 12345678.5, 7.0]
    assert read('a,b\nx,"1,234"\n', thousands="")["b"].tolist() == ["1,234"]


def test_windows_1252_after_the_sampled_head(tmp_path: Path) -> None:
    rows = "".join(f"r{i},{i}\n" for i in range(100_000))
    path = tmp_path / "late.csv"
    path.write_bytes(("name,n\n" + rows + "Caf\u00e9 \u20ac,1\n").encode("cp1252"))
    frame = read_table(path)
    assert frame["name"].iloc[-1] == "Caf\u00e9 \u20ac"
    assert len(frame) == 100_001


def test_sniff_csv_tab_and_semicolon() -> None:
    assert sniff_csv(b"a\tb\n1,5\t2\n") == ("utf-8", "\t")
    assert sniff_csv(b"a;b;c\n1,5;2,5;x\n3;4;y\n") == ("utf-8", ";")
    assert sniff_csv(b"\xef\xbb\xbfa,b\n1,2\n") == ("utf-8-sig", ",")


def test_one_huge_line_gives_a_short_message(tmp_path: Path) -> None:
    path = tmp_path / "line.csv"
    path.write_bytes(b"x," * 400_000)
    with pytest.raises(wb.DataError, match="no line break") as info:
        read_table(path)
    assert len(str(info.value)) < 400


def test_gzip_bomb_is_refused_quickly() -> None:
    bomb = gzip.compress(b"a,b\n" + b"1,2\n" * 50_000_000, 9)
    assert len(bomb) < 2_000_000
    start = time.perf_counter()
    with pytest.raises(wb.InputFileError, match="more than 20 MB of data once unpacked"):
        read_table(bomb, name="x.csv.gz", max_bytes=20_000_000)
    assert time.perf_counter() - start < 3


def test_size_limits_of_plain_and_parquet_files(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": np.arange(100_000), "b": np.arange(100_000) * 0.5})
    with pytest.raises(wb.InputFileError, match="once unpacked"):
        read_table(frame.to_csv(index=False).encode(), name="x.csv", max_bytes=100_000)
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    with pytest.raises(wb.InputFileError, match="once unpacked"):
        read_table(buffer.getvalue(), name="x.parquet", max_bytes=100_000)
    assert read_table(buffer.getvalue(), name="x.parquet", max_bytes=10_000_000).shape == (
        100_000,
        2,
    )


def test_home_in_paths_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    assert read_table("~/x.csv").shape == (1, 2)


def test_round_trip_of_a_pandas_export(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "f": rng.normal(size=1000),
            "i": rng.integers(-5, 5, 1000),
            "s": rng.choice(["NA", "x", "None"], 1000),
        }
    )
    frame.loc[::7, "f"] = np.nan
    path = tmp_path / "x.csv"
    frame.to_csv(path, index=False)
    back = read_table(path)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


NOT_TABLES = [
    ("png", _png, "photo.csv", "an image (PNG)"),
    ("png-in-gzip", lambda: gzip.compress(_png()), "photo.csv.gz", "an image (PNG)"),
    ("png-as-parquet", _png, "photo.parquet", "an image (PNG)"),
    ("jpeg", lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200), "a.tsv", "an image (JPEG)"),
    ("pdf", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "report.csv", "a PDF document"),
    ("zip", lambda: b"PK\x03\x04\x14\x00" + bytes(40), "data.csv", "a ZIP archive"),
    (
        "xlsx",
        lambda: b"PK\x03\x04\x14\x00" + b"xl/workbook.xml" + bytes(20),
        "b.csv",
        "an Excel workbook",
    ),
    ("gzip-not-named", lambda: gzip.compress(b"a,b\n1,2\n"), "data.csv", "a gzip-compressed file"),
    ("nul-bytes", lambda: bytes(range(256)) * 4, "blob.txt", "binary data"),
]


@pytest.mark.parametrize(
    ("make", "name", "kind"), [case[1:] for case in NOT_TABLES], ids=[c[0] for c in NOT_TABLES]
)
def test_binary_files_are_named_not_parsed(
    tmp_path: Path, make: object, name: str, kind: str
) -> None:
    content = make()  # type: ignore[operator]
    path = tmp_path / name
    path.write_bytes(content)
    for source in (content, path):
        with pytest.raises(wb.NotATableError) as info:
            read_table(source, name=name)
        message = str(info.value)
        assert f"looks like {kind}" in message and "not a table" in message, message
        assert "fix: upload (or pass) a CSV, TSV or Parquet file" in message
        for internal in ("C error", "latin-1", "utf-8", "ArrowInvalid", "Parquet magic"):
            assert internal not in message, message
    if name.endswith(".parquet"):  # loading reads parquet column by column: same check
        with pytest.raises(wb.NotATableError, match=f"looks like {re.escape(kind)}"):
            read_columns(path)


def test_utf16_with_a_byte_order_mark_is_text() -> None:
    frame = read_table("a,b\n1,2\n".encode("utf-16"), name="wide.csv")
    assert frame.to_dict("list") == {"a": [1], "b": [2]}


def test_a_leading_zero_group_is_never_thousands() -> None:
    # 0.125 is not a valid thousands grouping: '.' is this file's decimal mark.
    frame = read("id;score;n\na;0.125;3\nb;0.5;4\nc;1.234;5\n")
    assert frame["score"].tolist() == [0.125, 0.5, 1.234]
    fmt = frame.attrs["csv_format"]
    assert (fmt["delimiter"], fmt["decimal"], fmt["notes"]) == (";", ".", [])


def test_a_leading_zero_group_stays_text_when_the_decimal_mark_is_a_comma() -> None:
    frame = read("id;score\na;0.125\nb;1.234\n", decimal=",")
    assert frame["score"].tolist() == ["0.125", "1.234"]
    notes = frame.attrs["csv_format"]["notes"]
    assert len(notes) == 1 and "column 'score' kept as text: '0.125'" in notes[0]
    # Two marks in one file: the column written otherwise stays as written, and says so.
    frame = read("id;score;rate\na;0.125;2,5\nb;0.25;3\n")
    assert frame["score"].tolist() == [0.125, 0.25]
    assert frame["rate"].tolist() == ["2,5", "3"]
    fmt = frame.attrs["csv_format"]
    described = wb.CsvFormat(**{**fmt, "na_values": (), "notes": tuple(fmt["notes"])}).describe()
    assert "decimal point" in described and "column 'rate' kept as text: '2,5'" in described


@pytest.mark.parametrize("grouped", ["12.34", "1.2345", "1234.567", "-0.125", ".125"])
def test_values_not_grouped_in_threes_are_decimals(grouped: str) -> None:
    frame = read(f"id;v\na;{grouped}\nb;7\n")
    assert frame["v"].tolist() == [float(grouped), 7.0]
    assert frame.attrs["csv_format"]["decimal"] == "."


def test_decimal_comma_with_thousands_dot_is_still_read() -> None:
    frame = read("id;betrag\na;1.234,5\nb;0,25\nc;-12.345.678,9\n")
    assert frame["betrag"].tolist() == [1234.5, 0.25, -12345678.9]
    fmt = frame.attrs["csv_format"]
    assert (fmt["decimal"], fmt["thousands"], fmt["notes"]) == (",", ".", [])


def test_thousands_dot_alone_next_to_a_decimal_comma_elsewhere() -> None:
    frame = read("id;n;rate\na;1.234;2,5\nb;12.500;3\n")
    assert frame["n"].tolist() == [1234.0, 12500.0]
    assert frame["rate"].tolist() == [2.5, 3.0]
    assert frame.attrs["csv_format"]["notes"] == []


def test_an_assumed_thousands_separator_is_said() -> None:
    frame = read("x;n\na;1.234\n")
    assert frame["n"].tolist() == [1234.0]
    (note,) = frame.attrs["csv_format"]["notes"]
    assert "read '.' as thousands separator" in note and "decimal='.'" in note
    assert read("x;n\na;1.234\n", decimal=".")["n"].tolist() == [1.234]
