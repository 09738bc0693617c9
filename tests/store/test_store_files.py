"""Opening what is not a workbench store says so; store connections cannot reach files,
the network or extensions, and cannot be reconfigured to."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import duckdb
import pytest

import workbench as wb
from workbench.store import Store


def _sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE a (x)")
    con.commit()
    con.close()


def _truncated(path: Path) -> None:
    good = path.with_name("good.duckdb")
    Store(good).close()
    path.write_bytes(good.read_bytes()[:5000])


NOT_STORES = [
    ("sqlite", _sqlite, "is a SQLite database, not a workbench store"),
    ("folder", lambda p: p.mkdir(), "is a folder, not a workbench store"),
    ("text", lambda p: p.write_text("name,age\nx,1\n"), "not a DuckDB database file"),
    ("empty", lambda p: p.write_bytes(b""), "is an empty file"),
    ("truncated", _truncated, "truncated or damaged"),
]


@pytest.mark.parametrize(
    ("make", "fragment"), [c[1:] for c in NOT_STORES], ids=[c[0] for c in NOT_STORES]
)
@pytest.mark.parametrize("read_only", [False, True])
def test_not_a_store(tmp_path: Path, make: object, fragment: str, read_only: bool) -> None:
    path = tmp_path / "x.duckdb"
    make(path)  # type: ignore[operator]
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(wb.StoreError, match=fragment) as info:
        Store(path, read_only=read_only)
    assert "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created or fetched


def test_home_path_opens_what_it_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    Store("~/work.duckdb").close()
    assert (tmp_path / "work.duckdb").is_file()
    Store("~/work.duckdb", read_only=True).close()


HOSTILE = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "COPY (SELECT 42) TO '{out}'",
    "ATTACH '{other}' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "SET autoinstall_known_extensions = true",
]


@pytest.mark.parametrize("statement", HOSTILE)
def test_store_connection_is_locked_down(tmp_path: Path, statement: str) -> None:
    out, other = tmp_path / "out.csv", tmp_path / "other.duckdb"
    with Store(tmp_path / "s.duckdb") as store:
        for con in (store.con, store.con.cursor()):
            with pytest.raises(duckdb.Error):
                con.execute(statement.format(out=out, other=other))
    assert not out.exists() and not other.exists()


def test_in_memory_store_is_locked_down_too() -> None:
    with Store(":memory:") as store, pytest.raises(duckdb.Error, match="disabled"):
        store.con.execute("SELECT * FROM read_csv('/etc/passwd')")


def test_unreadable_store_says_so(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    Store(path).close()
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):  # running as root: permissions do not apply
            pytest.skip("file permissions are not enforced for this user")
        with pytest.raises(wb.StoreError, match="permission"):
            Store(path)
    finally:
        path.chmod(0o644)
