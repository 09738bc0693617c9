"""Media descriptors: compute, cache in the store, and make them slice features.

Runs an extractor (see :class:`~workbench.features.Extractor`) over a media column,
caches the result in the store, appends the descriptor columns to the dataset and
re-encodes its features with the dataset's stored binning. Imports the store,
features and ``_ingest``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._ingest import encode_dataset, require_columns
from workbench.exceptions import DataError
from workbench.store import Store

__all__ = ["add_descriptors", "extractor_settings"]


def add_descriptors(
    store: Store,
    dataset_id: int,
    extractor: Any,
    column: str,
    *,
    base_dir: str | os.PathLike[str] | None = None,
    prefix: str = "",
    text_column: str | None = None,
    batch_size: int = 64,
    progress: Callable[[int, int], None] | bool | None = True,
) -> pd.DataFrame:
    """Compute media descriptors for a column and make them slice features.

    ``extractor`` follows the :class:`~workbench.Extractor` interface (``name``,
    ``columns``, ``extract(batch)``), for example
    ``workbench.features.audio.AudioDescriptors()`` or
    ``workbench.features.image.ImageDescriptors()``. Items of ``column`` are
    paths (relative ones resolved against ``base_dir``), bytes or arrays; rows
    without an item get missing descriptors. Results are added to the dataset
    as columns named ``prefix + column`` and binned like any other feature.
    With ``text_column``, each item is passed as ``{"audio": item, "text":
    transcript}`` (how :class:`~workbench.features.audio.AudioDescriptors` gets
    the reference transcript it needs for ``speaking_rate_wps``).

    Results are cached in the store under a key made of the media column, the
    prefix, the extractor's name, version and settings (:func:`extractor_settings`)
    and the items themselves (a file's resolved path, size and modification time;
    the bytes of in-memory items). Running again with the same key reuses the
    cache; any change (another column, another setting, an edited file)
    recomputes, and the new values replace the columns of the earlier run.

    Returns the descriptor columns (one row per dataset row).
    """
    from workbench.features import run_extractor

    columns = store.dataset_columns(dataset_id)
    require_columns(pd.DataFrame(columns=columns), "media", [column])
    if text_column is not None:
        require_columns(pd.DataFrame(columns=columns), "transcript", [text_column])
    new_names = [f"{prefix}{c}" for c in extractor.columns]
    registry = _registry_name(dataset_id)
    runs = store.read_table(registry) if store.has_table(registry) else _empty_registry()
    ours = {c for names in runs["columns"] for c in json.loads(names)}
    clash = [c for c in new_names if c in columns and c not in ours]
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
    if text_column is not None:
        texts = store.read_dataset(dataset_id, [text_column])[text_column][present]
        values = [
            {"audio": v, "text": None if pd.isna(t) else str(t)}
            for v, t in zip(values, texts, strict=True)
        ]
    settings = extractor_settings(extractor)
    version = str(getattr(extractor, "version", "1"))
    key = _cache_key(column, prefix, str(extractor.name), version, settings, present, values)
    cache = f"descriptors_{dataset_id}_{_safe_name(extractor.name)}_{key[:16]}"
    if store.has_table(cache):
        result = store.read_table(cache, order_by="__row").drop(columns="__row")
    else:
        computed = run_extractor(extractor, values, batch_size=batch_size, progress=progress)
        computed.index = np.flatnonzero(present)
        result = computed.reindex(range(len(items)))
        result.columns = new_names
        store.save_table(cache, result.assign(__row=np.arange(len(result))))
        run = pd.DataFrame(
            {
                "cache_table": [cache],
                "media_column": [column],
                "prefix": [prefix],
                "extractor": [str(extractor.name)],
                "version": [version],
                "settings": [json.dumps(settings, sort_keys=True)],
                "columns": [json.dumps(new_names)],
            }
        )
        store.save_table(
            registry, pd.concat([runs[runs["cache_table"] != cache], run], ignore_index=True)
        )
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


#: Extractor attributes that change how fast descriptors are computed, not what they are.
RUNTIME_SETTINGS = frozenset(
    {"n_jobs", "chunk_size", "batch_size", "min_items_per_job", "progress", "verbose"}
)


def extractor_settings(extractor: Any) -> dict[str, Any]:
    """The settings of an extractor that can change its output (part of the cache key).

    An extractor may say it with a ``cache_settings()`` method returning a
    JSON-serialisable dict. Otherwise, as in scikit-learn, the settings are the
    arguments of its ``__init__`` read back from the attributes of the same
    name, minus those that only change speed (``RUNTIME_SETTINGS``). A callable
    setting is named by its module and qualified name.

    Examples
    --------
    >>> class Loudness:
    ...     name, columns = "loudness", ("lufs",)
    ...     def __init__(self, window_s=0.4, n_jobs=1):
    ...         self.window_s, self.n_jobs, self.calls = window_s, n_jobs, 0
    >>> extractor_settings(Loudness(window_s=0.2))
    {'window_s': 0.2}
    """
    declared = getattr(extractor, "cache_settings", None)
    if callable(declared):
        return {str(k): _jsonable(v) for k, v in dict(declared()).items()}
    try:
        parameters = inspect.signature(type(extractor).__init__).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return {}
    return {
        name: _jsonable(getattr(extractor, name))
        for name in sorted(parameters)
        if name != "self" and name not in RUNTIME_SETTINGS and hasattr(extractor, name)
    }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in sorted(value.items())}
    if callable(value):
        module = getattr(value, "__module__", "") or ""
        name = getattr(value, "__qualname__", type(value).__qualname__)
        return f"{module}.{name}"
    return repr(value)


def _item_fingerprint(item: Any) -> str:
    if isinstance(item, (str, os.PathLike)):
        path = Path(item)
        try:
            stat = path.stat()
        except OSError:
            return f"path:{path}:missing"
        return f"path:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    digest = hashlib.sha256()
    if isinstance(item, (bytes, bytearray, memoryview)):
        digest.update(bytes(item))
    elif isinstance(item, np.ndarray):
        digest.update(f"{item.dtype}{item.shape}".encode())
        digest.update(np.ascontiguousarray(item).tobytes())
    elif isinstance(item, tuple):
        return "tuple:" + ",".join(_item_fingerprint(part) for part in item)
    elif isinstance(item, dict):
        return "dict:" + ",".join(f"{k}={_item_fingerprint(v)}" for k, v in sorted(item.items()))
    else:
        digest.update(repr(item).encode())
    return f"{type(item).__name__}:{digest.hexdigest()}"


def _cache_key(
    column: str,
    prefix: str,
    name: str,
    version: str,
    settings: dict[str, Any],
    present: np.ndarray,
    values: list[Any],
) -> str:
    digest = hashlib.sha256()
    head = {"column": column, "prefix": prefix, "extractor": name, "version": version}
    digest.update(json.dumps({**head, "settings": settings}, sort_keys=True).encode())
    digest.update(np.packbits(present).tobytes())
    for value in values:
        digest.update(_item_fingerprint(value).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _registry_name(dataset_id: int) -> str:
    return f"descriptor_runs_{dataset_id}"


def _empty_registry() -> pd.DataFrame:
    names = ("cache_table", "media_column", "prefix", "extractor", "version", "settings", "columns")
    return pd.DataFrame({n: pd.Series(dtype=object) for n in names})


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)
