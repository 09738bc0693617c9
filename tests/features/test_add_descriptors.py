"""Media descriptors become slice features, cached in the store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import workbench as wb


class FileSize:
    """A small real extractor: the size of each file on disk, and whether it is large."""

    name = "file_size"
    columns = ("size_bytes", "large")
    version = "1"

    def __init__(self) -> None:
        self.calls = 0

    def extract(self, batch: Sequence[Any]) -> pd.DataFrame:
        self.calls += 1
        sizes = [Path(p).stat().st_size for p in batch]
        return pd.DataFrame({"size_bytes": sizes, "large": [s > 500 for s in sizes]})


def test_descriptors_are_searched_and_cached(tmp_path: Path, rng: np.random.Generator) -> None:
    n = 400
    sizes = rng.integers(10, 1000, n)
    media = tmp_path / "media"
    media.mkdir()
    for i, size in enumerate(sizes):
        (media / f"f{i}.bin").write_bytes(b"x" * int(size))
    label = rng.integers(0, 2, n)
    wrong = rng.random(n) < np.where(sizes > 500, 0.5, 0.05)
    frame = pd.DataFrame(
        {
            "file": [f"media/f{i}.bin" if i % 50 else None for i in range(n)],
            "label": label,
            "pred": np.where(wrong, 1 - label, label),
        }
    )
    path = tmp_path / "m.duckdb"
    bench = wb.Workbench.from_predictions(frame, label="label", prediction="pred", path=path)
    extractor = FileSize()
    added = bench.add_descriptors(extractor, "file", base_dir=tmp_path, progress=False)
    assert list(added.columns) == ["size_bytes", "large"]
    assert added["size_bytes"].isna().sum() == 8  # rows without a file
    assert set(bench.features["feature"]) >= {"size_bytes", "large"}
    findings = bench.scan(confirm=False)
    assert "large" in findings[0].conditions or "size_bytes" in findings[0].conditions
    members = bench.members(findings[0])
    assert len(members) == findings[0].slice_size
    bench.close()

    again = wb.Workbench.open(path)
    calls = extractor.calls
    again.add_descriptors(extractor, "file", base_dir=tmp_path, progress=False)
    assert extractor.calls == calls  # served from the store's cache
    again.close()


def test_descriptors_keep_the_datasets_binning(tmp_path: Path, rng: np.random.Generator) -> None:
    n = 300
    media = tmp_path / "media"
    media.mkdir()
    for i in range(n):
        (media / f"f{i}.bin").write_bytes(b"x" * int(rng.integers(10, 1000)))
    frame = pd.DataFrame(
        {
            "file": [f"media/f{i}.bin" for i in range(n)],
            "age": rng.integers(18, 90, n),
            "label": rng.integers(0, 2, n),
            "pred": rng.integers(0, 2, n),
        }
    )
    bench = wb.Workbench.from_predictions(
        frame, label="label", prediction="pred", path=":memory:", n_bins=3
    )
    before = bench.features.set_index("feature").loc["age", "categories"]
    bench.add_descriptors(FileSize(), "file", base_dir=tmp_path, progress=False)
    features = bench.features.set_index("feature")
    assert features.loc["age", "categories"] == before
    assert features.loc["size_bytes", "n_categories"] == 3
    bench.close()
