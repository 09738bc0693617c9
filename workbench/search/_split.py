"""Seeded discovery/confirmation split that can be computed chunk by chunk.

The one job of this module is to decide, row by row, whether a row belongs to the
discovery split (searched) or to the confirmation split (held out for statistics).
Rows are stratified on ``error > 0``: within each stratum, consecutive runs of
``BLOCK`` rows are split by a permutation seeded with ``(seed, stratum, block)``,
so every complete block sends exactly ``round(fraction * BLOCK)`` rows to discovery.
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
            rows = np.flatnonzero(positive == bool(stratum))
            if len(rows) == 0:
                continue
            position = self._seen[stratum] + np.arange(len(rows), dtype=np.int64)
            self._seen[stratum] += len(rows)
            block = position // BLOCK
            first, last = int(block[0]), int(block[-1])
            ranks = np.stack(
                [
                    np.random.default_rng([self.seed, stratum, b]).permutation(BLOCK)
                    for b in range(first, last + 1)
                ]
            )
            out[rows] = ranks[block - first, position % BLOCK] < self.n_discovery_per_block
        return out
