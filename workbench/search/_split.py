"""Seeded discovery/confirmation split that can be computed chunk by chunk.

The one job of this module is to decide, row by row, whether a row belongs to the
discovery split (searched) or to the confirmation split (held out for statistics).
Rows are stratified on ``error > 0``: within each stratum, consecutive runs of
``BLOCK`` rows are ranked by a SplitMix64 hash of ``(seed, stratum, position)`` and
the lowest ``round((1 - fraction) * BLOCK)`` ranks go to discovery, so every
complete block is split exactly.
The decision depends only on the seed and the row's position in its stratum, so a
stream of record batches gets exactly the split the whole array gets at once.

It imports only numpy.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SplitAssigner"]

BLOCK = 1024


class SplitAssigner:
    """Assign rows to discovery (``True``) or confirmation (``False``), batch after batch.

    Parameters
    ----------
    fraction : float
        Share of rows held out for confirmation, in (0, 1).
    seed : int
        Seed of the split.

    Examples
    --------
    >>> import numpy as np
    >>> positive = np.arange(10) % 3 == 0
    >>> whole = SplitAssigner(0.5, seed=1).assign(positive)
    >>> splitter = SplitAssigner(0.5, seed=1)
    >>> chunked = np.concatenate([splitter.assign(positive[:4]), splitter.assign(positive[4:])])
    >>> bool((whole == chunked).all())
    True
    """

    def __init__(self, fraction: float, seed: int) -> None:
        self.seed = int(seed)
        self.n_discovery_per_block = round((1.0 - fraction) * BLOCK)
        self._seen = [0, 0]  # rows seen so far in each stratum

    def assign(self, positive: np.ndarray) -> np.ndarray:
        """Discovery mask for the next rows; ``positive`` is ``error > 0`` for each row."""
        positive = np.asarray(positive, dtype=bool)
        out = np.empty(len(positive), dtype=bool)
        for stratum in (0, 1):
            # by index: several times faster than assigning through a boolean mask
            rows = np.flatnonzero(positive if stratum else ~positive)
            count = len(rows)
            if count == 0:
                continue
            # The stratum's next rows hold its consecutive positions start, start + 1, ...
            start = self._seen[stratum]
            self._seen[stratum] += count
            first, last = start // BLOCK, (start + count - 1) // BLOCK
            chosen = self._block_discovery(stratum, first, last)
            at = start - first * BLOCK
            out[rows] = chosen[at : at + count]
        return out

    def _block_discovery(self, stratum: int, first: int, last: int) -> np.ndarray:
        """Whether each position of blocks ``first..last`` goes to discovery (flat).

        Within a block, the ``n_discovery_per_block`` positions of lowest seeded hash do
        (the hash is a bijection of the position, so no two positions of a block tie):
        a selection of the lowest keys, done a bounded run of blocks at a time.
        """
        n_blocks = last - first + 1
        out = np.empty(n_blocks * BLOCK, dtype=bool)
        take = self.n_discovery_per_block
        if take <= 0 or take >= BLOCK:
            out[:] = take > 0
            return out
        salt = np.uint64(_splitmix64_scalar(self.seed * 2 + stratum))
        step = 256  # blocks per run: the keys stay in cache
        for lo in range(0, n_blocks, step):
            hi = min(n_blocks, lo + step)
            positions = np.arange((first + lo) * BLOCK, (first + hi) * BLOCK, dtype=np.uint64)
            keys = _splitmix64(positions ^ salt).reshape(-1, BLOCK)
            cut = np.partition(keys, take - 1, axis=1)[:, take - 1 : take]
            out[lo * BLOCK : hi * BLOCK] = (keys <= cut).ravel()
        return out


_MASK64 = (1 << 64) - 1


def _splitmix64_scalar(value: int) -> int:
    z = (value + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    z = values + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))
