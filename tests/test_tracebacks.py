"""The bad inputs of the reliability table (docs/reliability.md): each one clear line,
no traceback, from the API and from the command line."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import workbench as wb


def _frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "age": rng.integers(18, 70, n),
            "label": rng.choice([0, 1], n),
            "pred": rng.choice([0, 1], n),
            "score": rng.random(n),
        }
    )


def _raises_in_metric(label: Any, prediction: Any, score: Any) -> Any:
    raise ZeroDivisionError("division by zero")


API_CASES: list[tuple[str, Callable[[pd.DataFrame], Any], type[Exception], str]] = [
    (
        "string score column",
        lambda f: wb.Workbench.from_predictions(
            f.assign(score="high"), label="label", prediction="pred", score="score", path=":memory:"
        ),
        wb.DataError,
        "The score column 'score' must hold numbers",
    ),
    (
        "custom metric that raises",
        lambda f: wb.Workbench.from_predictions(
            f, label="label", prediction="pred", metric=_raises_in_metric, path=":memory:"
        ),
        wb.ParameterError,
        "raised ZeroDivisionError: division by zero",
    ),
    (
        "empty column name",
        lambda f: wb.Workbench.from_predictions(
            f.rename(columns={"sex": ""}), label="label", prediction="pred", path=":memory:"
        ),
        wb.DataError,
        "Column 1 has an empty name",
    ),
    (
        "Sex next to sex",
        lambda f: wb.Workbench.from_predictions(
            f.assign(Sex=f["sex"]), label="label", prediction="pred", path=":memory:"
        ),
        wb.DataError,
        "differ only in letter case",
    ),
    (
        "infinite labels",
        lambda f: wb.Workbench.from_predictions(
            f.assign(label=np.where(f.index % 50 == 0, np.inf, f["label"])),
            label="label",
            prediction="pred",
            path=":memory:",
        ),
        wb.LabelError,
        "6 rows have an infinite label",
    ),
    (
        "evaluate(None)",
        lambda f: wb.Workbench.from_predictions(
            f, label="label", prediction="pred", path=":memory:"
        ).evaluate(None),
        wb.ParameterError,
        "Slice conditions must be a dict",
    ),
    (
        "reserved column name",
        lambda f: wb.Workbench.from_predictions(
            f.assign(__wb_error=1.0), label="label", prediction="pred", path=":memory:"
        ),
        wb.DataError,
        "starts with '__wb_'",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "fragment"), [c[1:] for c in API_CASES], ids=[c[0] for c in API_CASES]
)
def test_api_bad_inputs(
    call: Callable[[pd.DataFrame], Any], error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error) as info:
        call(_frame())
    message = str(info.value)
    assert fragment in message and "\n" not in message and len(message) < 600


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    _frame().to_csv(folder / "data.csv", index=False)
    (folder / "folder.csv").mkdir()
    (folder / "line.csv").write_bytes(b"x," * 300_000)
    (folder / "ragged.csv").write_text("sex,label,pred\nF,1,0\nM,1,0,\n")
    (folder / "dup.csv").write_text("sex,sex,label,pred\nF,M,1,0\n")
    return folder


SCAN = ("--label", "label", "--prediction", "pred", "--db", "s.duckdb")
CLI_CASES = [
    (
        "--out in a missing folder",
        ("scan", "data.csv", *SCAN, "--out", "nope/x.csv"),
        "does not exist",
    ),
    ("--out is a folder", ("scan", "data.csv", *SCAN, "--out", "folder.csv"), "is a folder"),
    ("DATA is a folder", ("scan", "folder.csv", *SCAN), "is a folder, expected a CSV"),
    ("one-line 600 KB CSV", ("scan", "line.csv", *SCAN), "no line break"),
    ("ragged row", ("scan", "ragged.csv", *SCAN), "Line 3"),
    ("duplicate header", ("scan", "dup.csv", *SCAN), "names the column 'sex' twice"),
    ("bad --decimal", ("scan", "data.csv", *SCAN, "--thousands", "x"), "thousands must be"),
    ("SQLite file as --db", ("show", "--db", "sqlite.db"), "is a SQLite database"),
    ("folder as --db", ("show", "--db", "folder.csv"), "is a folder, not a workbench store"),
]


@pytest.mark.parametrize("args_fragment", [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_bad_inputs(files: Path, args_fragment: tuple[tuple[str, ...], str]) -> None:
    args, fragment = args_fragment
    if "sqlite.db" in args and not (files / "sqlite.db").exists():
        import sqlite3

        con = sqlite3.connect(files / "sqlite.db")
        con.execute("CREATE TABLE t (x)")
        con.commit()
        con.close()
    done = _cli(*args, cwd=files)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and fragment in lines[-1], done.stderr
    assert "Traceback" not in done.stderr and len(lines[-1]) < 600
    assert not (files / "s.duckdb").exists() or "show" in args  # failed before the scan


def test_show_into_a_closed_pipe(files: Path) -> None:
    done = _cli("scan", "data.csv", *SCAN, "--max-predicates", "1", cwd=files)
    assert done.returncode == 0, done.stderr
    shell = subprocess.run(
        f"{sys.executable} -m workbench show --db s.duckdb | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=files,
        check=False,
    )
    assert "Traceback" not in shell.stderr and "BrokenPipe" not in shell.stderr
    assert shell.stdout.count("\n") == 1
    (files / "s.duckdb").unlink()
