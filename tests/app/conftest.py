"""Fixtures for the audit app's tests: data files as a user would upload them.

``upload`` sets the FileUpload's state exactly as the browser does (a list of
file dicts with the content as bytes), so the app's observer runs as in Voilà.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.app import AuditApp

ADULT_ROLES = {"label": "income", "prediction": "pred_v1", "score": "proba_v1"}


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    return wb.load_sample("adult")


@pytest.fixture(scope="session")
def adult_csv(adult: pd.DataFrame) -> bytes:
    return adult.to_csv(index=False).encode("utf-8")


def _upload_entry(content: bytes, name: str, mime: str = "text/csv") -> dict[str, Any]:
    """One file as the browser sends it (ipywidgets' FileUpload JSON)."""
    return {
        "name": name,
        "type": mime,
        "size": len(content),
        "content": memoryview(content),
        "last_modified": int(time.time() * 1000),
    }


@pytest.fixture
def upload() -> Callable[[AuditApp, bytes, str], None]:
    def _upload(app: AuditApp, content: bytes, name: str) -> None:
        app.upload.set_state({"value": [_upload_entry(content, name)]})

    return _upload


@pytest.fixture
def app(tmp_path: Path) -> Iterator[AuditApp]:
    audit = AuditApp(workdir=tmp_path / "app")
    try:
        yield audit
    finally:
        if audit.scan_inputs.thread is not None:
            audit.scan_inputs.thread.join(timeout=60)
        if audit.bench is not None:
            audit.bench.close()


@pytest.fixture(scope="session")
def linked() -> pd.DataFrame:
    """Classes with errors concentrated in ``group = a AND kind = u``.

    ``kind = u`` never occurs together with ``group = b``, so replacing
    ``group = a`` by ``group = b`` in that slice selects no rows.
    """
    n = 3000
    rng = np.random.default_rng(7)
    group = rng.choice(["a", "b", "c"], size=n)
    kind = np.where(group == "b", "v", rng.choice(["u", "v"], size=n))
    noise = rng.choice(["x", "y", "z", "w"], size=n)
    label = rng.choice(["yes", "no"], size=n)
    wrong = np.where((group == "a") & (kind == "u"), 0.6, 0.05) > rng.random(n)
    other = np.where(label == "yes", "no", "yes")
    prediction = np.where(wrong, other, label)
    return pd.DataFrame(
        {"group": group, "kind": kind, "noise": noise, "label": label, "prediction": prediction}
    )


@pytest.fixture
def parquet_bytes() -> Callable[[pd.DataFrame], bytes]:
    def _bytes(frame: pd.DataFrame) -> bytes:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()

    return _bytes
