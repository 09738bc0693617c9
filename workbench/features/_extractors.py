"""The plug-in interface for media extractors, and the batch runner.

An extractor turns media (image or audio paths, bytes, arrays) into a few
interpretable descriptor columns (``skin_tone``, ``snr_db``, ...), which the
workbench then bins and searches like any other feature. It has one small
interface::

    class MyExtractor:
        name = "my_descriptors"            # cache key in the store
        columns = ("brightness", "scene")  # the columns extract() returns
        version = "1"                      # bump when the output changes

        def extract(self, batch):          # a list of media items
            return pandas.DataFrame(...)   # len(batch) rows, exactly `columns`

This module imports only numpy, pandas and the standard library.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from workbench.exceptions import DataError

__all__ = ["Extractor", "run_extractor", "stderr_progress"]


@runtime_checkable
class Extractor(Protocol):
    """Anything with ``name``, ``columns`` and ``extract(batch) -> DataFrame``."""

    name: str
    columns: Sequence[str]

    def extract(self, batch: Sequence[Any]) -> pd.DataFrame: ...


ProgressCallback = Callable[[int, int], None]


def stderr_progress(done: int, total: int, label: str = "") -> None:
    """Draw a one-line progress bar on stderr (``label`` goes before it)."""
    width = 30
    filled = int(width * done / max(total, 1))
    prefix = f"{label} " if label else ""
    sys.stderr.write(f"\r  {prefix}[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run_extractor(
    extractor: Extractor,
    items: Sequence[Any],
    *,
    batch_size: int = 64,
    progress: ProgressCallback | bool | None = None,
) -> pd.DataFrame:
    """Run ``extractor`` over ``items`` in batches and check what it returns.

    Parameters
    ----------
    extractor : Extractor
        The plug-in to run.
    items : sequence
        One media item per row (paths, bytes or arrays).
    batch_size : int
        Items per call of ``extractor.extract``.
    progress : callable, bool or None
        ``progress(done, total)`` after each batch; ``True`` draws a bar on stderr.

    Returns
    -------
    pandas.DataFrame
        ``len(items)`` rows with exactly ``extractor.columns``, in order.
    """
    if progress is True:
        progress = stderr_progress
    total = len(items)
    parts: list[pd.DataFrame] = []
    columns = list(extractor.columns)
    for start in range(0, total, batch_size):
        batch = list(items[start : start + batch_size])
        out = extractor.extract(batch)
        if not isinstance(out, pd.DataFrame) or len(out) != len(batch):
            got = f"{type(out).__name__} with {len(out) if hasattr(out, '__len__') else '?'} rows"
            raise DataError(
                f"Extractor {extractor.name!r} must return a pandas DataFrame with one row per "
                f"item ({len(batch)} rows). Got {got} instead. Fix its extract() method."
            )
        missing = [c for c in columns if c not in out.columns]
        if missing:
            raise DataError(
                f"Extractor {extractor.name!r} declares columns {columns} but its output lacks "
                f"{missing}. Got columns {list(out.columns)}. Fix its `columns` or extract()."
            )
        parts.append(out[columns].reset_index(drop=True))
        if callable(progress):
            progress(min(start + batch_size, total), total)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    return pd.concat(parts, ignore_index=True)
