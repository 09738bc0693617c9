"""The compiled histogram kernels (numba, ``nogil``): import through ``_kernels.kernels()``.

Each kernel runs one loop over rows in row order and holds no Python object, so it
releases the GIL and adds exactly as ``np.bincount`` does (see ``_kernels``). Compiled
on first use for the argument types seen and cached on disk.

It imports numpy and numba.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

__all__ = [
    "add",
    "add_at",
    "add_product_at",
    "count",
    "count_at",
    "count_step",
    "start_key",
    "step_key",
]

_jit = numba.njit(nogil=True, cache=True)


@_jit
def start_key(
    key: np.ndarray, first: np.ndarray, card: int, column: np.ndarray
) -> None:  # pragma: no cover
    """``key = first * card + column``."""
    for i in range(key.shape[0]):
        key[i] = first[i] * card + column[i]


@_jit
def step_key(key: np.ndarray, card: int, column: np.ndarray) -> None:  # pragma: no cover
    """``key = key * card + column``, in place."""
    for i in range(key.shape[0]):
        key[i] = key[i] * card + column[i]


@_jit
def count_step(
    key: np.ndarray, card: int, column: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover
    """``out += bincount(key * card + column)`` without writing the combined key."""
    for i in range(key.shape[0]):
        out[key[i] * card + column[i]] += 1


@_jit
def count(key: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """``out += bincount(key)``."""
    for i in range(key.shape[0]):
        out[key[i]] += 1


@_jit
def count_at(key: np.ndarray, rows: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """``out += bincount(key[rows])``."""
    for i in range(rows.shape[0]):
        out[key[rows[i]]] += 1


@_jit
def add(key: np.ndarray, values: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """``out += bincount(key, weights=values)``, adding in row order."""
    for i in range(key.shape[0]):
        out[key[i]] += values[i]


@_jit
def add_at(
    key: np.ndarray, rows: np.ndarray, values: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover
    """``out += bincount(key[rows], weights=values[rows])``, adding in row order."""
    for i in range(rows.shape[0]):
        r = rows[i]
        out[key[r]] += values[r]


@_jit
def add_product_at(
    key: np.ndarray, rows: np.ndarray, left: np.ndarray, right: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover
    """``out += bincount(key[rows], weights=left[rows] * right[rows])``, in row order."""
    for i in range(rows.shape[0]):
        r = rows[i]
        out[key[r]] += left[r] * right[r]


def _types() -> Any:  # pragma: no cover - for readers: the dispatchers' compiled signatures
    return {name: globals()[name].signatures for name in __all__}
