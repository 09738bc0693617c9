"""Histogram kernels compiled with numba, which release the GIL while they run.

The one job of this module is the innermost loops of the counting: build a
mixed-radix key from code columns and add each row's one (or its weight) to the key's
bin. numpy's ``bincount`` does the same but holds the GIL for its whole run, so
threads cannot share it out; these kernels release the GIL, so several threads count
row ranges or joint histograms of one copy of the rows at once, and they skip
``bincount``'s extra passes (the key written and read again per feature, a copy of the
erring rows' keys), which makes one core faster too.

Every kernel adds in row order, as ``np.bincount`` does, so integer and float
histograms are bit for bit those of the numpy path. The kernels are compiled on first
use and cached on disk (numba's ``cache=True``); :func:`kernels` returns ``None`` when
numba is not installed (or :data:`ENABLED` is false), and the callers then use numpy.
Loading numba costs a few tenths of a second once per process, so a search asks for the
kernels (:func:`kernels`) only when it has enough rows to repay it (:data:`MIN_ROWS`),
and :func:`warm_up` loads them in a background thread while the rows are read; the
counting itself uses them whenever they are loaded (:func:`loaded`).

It imports numpy, and numba lazily.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

import numpy as np

__all__ = ["ENABLED", "MIN_ROWS", "kernels", "loaded", "warm_up"]

#: Whether the compiled kernels may be used (tests and benchmarks switch them off to
#: compare with the numpy path).
ENABLED = True

#: Fewest rows for which a search asks for the compiled kernels: below, loading numba
#: (about 0.45 s of CPU once per process) costs more than the faster counting saves: a
#: first 1M x 20 scan in a fresh process took 0.88-1.24 s of CPU with them against
#: 0.51-0.69 s without (2 cores, load average 3-6).
MIN_ROWS = 2_000_000


_KERNELS: list[Any] = []
_LOCK = threading.Lock()


def kernels() -> Any:
    """The compiled kernels (the module :mod:`workbench.search._compiled`), or ``None``
    when numba is missing or unusable (no folder to cache the kernels in) or
    :data:`ENABLED` is false: the counting then uses numpy, with the same counts.

    The first call imports numba (once per process, under a lock: threads may ask at
    once).

    Examples
    --------
    >>> k = kernels()
    >>> k is None or callable(k.count)
    True
    """
    if not ENABLED:
        return None
    if not _KERNELS:
        with _LOCK:
            if not _KERNELS:
                try:
                    compiled = importlib.import_module("workbench.search._compiled")
                except ImportError:  # numba is not installed (or not for this numpy)
                    compiled = None
                except RuntimeError:  # numba found no folder to cache the kernels in
                    compiled = None
                _KERNELS.append(compiled)
    return _KERNELS[0]


def loaded() -> Any:
    """The kernels if a search of this process has loaded them (see :func:`kernels`),
    else ``None``: the counting uses them whenever they are there, at no cost."""
    return _KERNELS[0] if ENABLED and _KERNELS else None


def warm_up() -> threading.Thread | None:
    """Load numba and the usual kernels in a daemon thread (``None`` if there is
    nothing to do): what a search on many rows does while it reads its rows."""
    if not ENABLED or _KERNELS:
        return None

    def load() -> None:
        k = kernels()
        if k is None:
            return
        key = np.zeros(1, dtype=np.uint32)
        column = np.zeros(1, dtype=np.uint8)
        bits = np.zeros(1, dtype=np.uint8)
        out = np.zeros(2, dtype=np.int64)
        k.start_key(key, bits, 1, column)
        k.step_key(key, 1, column)
        k.count_step(key, 1, column, out)

    thread = threading.Thread(target=load, name="workbench-kernels", daemon=True)
    thread.start()
    return thread
