"""Media descriptors become slice features, cached in the store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

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


class Threshold(FileSize):
    """FileSize with a setting that changes its output."""

    def __init__(self, cutoff: int = 500) -> None:
        super().__init__()
        self.cutoff = cutoff
        self.n_jobs = 1  # a speed setting: not part of the cache key

    def extract(self, batch: Sequence[Any]) -> pd.DataFrame:
        self.calls += 1
        sizes = [Path(p).stat().st_size for p in batch]
        return pd.DataFrame({"size_bytes": sizes, "large": [s > self.cutoff for s in sizes]})


def _two_column_bench(tmp_path: Path, n: int = 40) -> wb.Workbench:
    media = tmp_path / "media"
    media.mkdir()
    for i in range(n):
        (media / f"a{i}.bin").write_bytes(b"x" * (10 + i))
        (media / f"b{i}.bin").write_bytes(b"y" * (1000 + 10 * i))
    frame = pd.DataFrame(
        {
            "front": [f"media/a{i}.bin" for i in range(n)],
            "back": [f"media/b{i}.bin" for i in range(n)],
            "label": [i % 2 for i in range(n)],
            "pred": [(i // 2) % 2 for i in range(n)],
        }
    )
    return wb.Workbench.from_predictions(frame, label="label", prediction="pred", path=":memory:")


def test_two_media_columns_give_two_descriptor_sets(tmp_path: Path) -> None:
    bench = _two_column_bench(tmp_path)
    extractor = FileSize()
    front = bench.add_descriptors(
        extractor, "front", base_dir=tmp_path, prefix="front_", progress=False
    )
    back = bench.add_descriptors(
        extractor, "back", base_dir=tmp_path, prefix="back_", progress=False
    )
    assert extractor.calls == 2  # the second column is not served from the first one's cache
    assert front["front_size_bytes"].max() < 100 <= back["back_size_bytes"].min()
    data = bench._store.read_dataset(bench.dataset_id)
    assert {"front_size_bytes", "back_size_bytes", "front_large", "back_large"} <= set(data.columns)
    assert (data["front_size_bytes"] != data["back_size_bytes"]).all()
    bench.close()


def test_a_changed_setting_or_file_recomputes(tmp_path: Path) -> None:
    bench = _two_column_bench(tmp_path)
    first = Threshold(cutoff=25)
    bench.add_descriptors(first, "front", base_dir=tmp_path, progress=False)
    bench.add_descriptors(first, "front", base_dir=tmp_path, progress=False)
    assert first.calls == 1  # same key: cached
    faster = Threshold(cutoff=25)
    faster.n_jobs = 4
    bench.add_descriptors(faster, "front", base_dir=tmp_path, progress=False)
    assert faster.calls == 0  # a speed setting does not change the key

    second = Threshold(cutoff=40)
    out = bench.add_descriptors(second, "front", base_dir=tmp_path, progress=False)
    assert second.calls == 1
    assert int(out["large"].sum()) == 9  # sizes 10..49 above 40; the columns are replaced
    assert int(bench._store.read_dataset(bench.dataset_id)["large"].sum()) == 9

    (tmp_path / "media" / "a0.bin").write_bytes(b"x" * 99)
    again = Threshold(cutoff=40)
    out = bench.add_descriptors(again, "front", base_dir=tmp_path, progress=False)
    assert again.calls == 1  # the file changed (size and modification time)
    assert int(out.loc[0, "size_bytes"]) == 99
    bench.close()


def test_user_columns_are_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "f.bin").write_bytes(b"x" * 10)
    frame = pd.DataFrame(
        {"file": ["f.bin"] * 20, "size_bytes": range(20), "label": [0, 1] * 10, "pred": [0] * 20}
    )
    bench = wb.Workbench.from_predictions(frame, label="label", prediction="pred", path=":memory:")
    with pytest.raises(wb.DataError, match="prefix"):
        bench.add_descriptors(FileSize(), "file", base_dir=tmp_path, progress=False)
    bench.add_descriptors(FileSize(), "file", base_dir=tmp_path, prefix="file_", progress=False)
    assert bench._store.read_dataset(bench.dataset_id)["size_bytes"].tolist() == list(range(20))
    bench.close()
