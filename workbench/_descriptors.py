"""Media descriptors: compute, cache in the store, and make them slice features.

Runs an extractor (see :class:`~workbench.features.Extractor`) over a media column,
caches the result in the store, appends the descriptor columns to the dataset and
re-encodes its features with the dataset's stored binning. Imports the store,
features and ``_ingest``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._ingest import encode_dataset, require_columns
from workbench.exceptions import DataError
from workbench.store import Store

__all__ = ["add_descriptors"]


def add_descriptors(
    store: Store,
    dataset_id: int,
    extractor: Any,
    column: str,
    *,
    base_dir: str | os.PathLike[str] | None = None,
    prefix: str = "",
    batch_size: int = 64,
    progress: Callable[[int, int], None] | bool | None = True,
) -> pd.DataFrame:
    """Compute media descriptors for a column and make them slice features.

    ``extractor`` follows the :class:`~workbench.Extractor` interface (``name``,
    ``columns``, ``extract(batch)``), for example
    ``workbench.features.audio.AudioDescriptors()`` or
    ``workbench.features.image.ImageDescriptors()``. Items of ``column`` are
    paths (relative ones resolved against ``base_dir``), bytes or arrays; rows
    without an item get missing descriptors. Results are cached in the store
    (per extractor name and version), added to the dataset as columns named
    ``prefix + column``, and binned like any other feature.

    Returns the descriptor columns (one row per dataset row).
    """
    from workbench.features import run_extractor

    columns = store.dataset_columns(dataset_id)
    require_columns(pd.DataFrame(columns=columns), "media", [column])
    new_names = [f"{prefix}{c}" for c in extractor.columns]
    clash = [c for c in new_names if c in columns]
    version = str(getattr(extractor, "version", "1"))
    cache = f"descriptors_{dataset_id}_{_safe_name(extractor.name)}_v{_safe_name(version)}"
    if store.has_table(cache):
        result = store.read_table(cache, order_by="__row").drop(columns="__row")
    else:
        if clash:
            raise DataError(
                f"The dataset already has columns {clash}, which {extractor.name!r} would "
                "overwrite. Pass prefix='...' to name the descriptors apart, or leave those "
                "columns out of the data."
            )
        items = store.read_dataset(dataset_id, [column])[column]
        root = Path(base_dir) if base_dir is not None else Path.cwd()

        def resolve(item: Any) -> Any:
            if isinstance(item, str) and not Path(item).is_absolute():
                return str(root / item)
            return item

        present = items.notna().to_numpy()
        values = [resolve(v) for v in items[present]]
        computed = run_extractor(extractor, values, batch_size=batch_size, progress=progress)
        computed.index = np.flatnonzero(present)
        result = computed.reindex(range(len(items)))
        result.columns = new_names
        cached = result.assign(__row=np.arange(len(result)))
        store.save_table(cache, cached)
    if not all(c in columns for c in new_names):
        store.add_columns(dataset_id, result)
    frame = store.read_dataset(dataset_id)
    # Same binning as when the dataset was loaded, so earlier scans' categories still match.
    encoding = store.dataset(dataset_id)["encoding"]
    encode_dataset(
        store,
        dataset_id,
        frame,
        list(frame.columns),
        int(encoding.get("n_bins", 5)),
        int(encoding.get("max_categories", 20)),
    )
    return result


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)
