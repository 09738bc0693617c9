"""The one definition of near-duplicate slices, and the walk that folds them.

Two slices are near-duplicates when the Jaccard index of their rows (over all rows
of the data) exceeds ``max_overlap``. Walking down a ranked list, a slice that is a
near-duplicate of an already kept slice becomes an alternative description of the
kept slice it overlaps most; otherwise it is kept. The search's distinct groups
(``SliceSearch(distinct=True)``, overlaps counted from the slices' codes) and
``Workbench.distinct`` (overlaps of stored findings' row masks) both use
:func:`fold_near_duplicates`. Imports numpy only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["fold_near_duplicates", "jaccard_of_masks"]

#: Pairs ``(kept, candidate)`` of positions -> their Jaccard index over the rows.
Overlaps = Callable[[list[tuple[int, int]]], dict[tuple[int, int], float]]


def fold_near_duplicates(
    n: int,
    overlaps: Overlaps,
    *,
    max_overlap: float,
    k: int | None = None,
    block: int = 50,
) -> tuple[list[int], dict[int, list[int]]]:
    """Walk down ``n`` ranked slices and fold near-duplicates into the kept ones.

    A slice is kept unless its rows overlap a kept slice's by more than
    ``max_overlap`` (Jaccard index); such a slice is attached to the kept slice it
    overlaps most, as an alternative description. The walk stops at the ``k``-th
    kept slice (never with ``k=None``), so the alternatives are the slices ranked
    above it. ``overlaps`` is asked for the Jaccard indices of a batch of position
    pairs at a time (``block`` candidates per batch), so a counting engine can
    measure them in one pass.

    Returns the kept positions (in rank order) and, per kept position, the
    positions of its alternatives (in rank order).

    Examples
    --------
    >>> masks = [np.array(m, dtype=bool) for m in ([1, 1, 1, 0], [1, 1, 1, 1], [0, 0, 0, 1])]
    >>> fold_near_duplicates(3, jaccard_of_masks(masks), max_overlap=0.5)
    ([0, 2], {0: [1], 2: []})
    """
    kept: list[int] = []
    attached: dict[int, list[int]] = {}
    for start in range(0, n, block):
        members = range(start, min(start + block, n))
        known = overlaps(
            [(j, i) for i in members for j in kept]
            + [(j, i) for i in members for j in members if j < i]
        )
        for i in members:
            if kept:
                shared = [known[j, i] for j in kept]
                best = int(np.argmax(shared))
                if shared[best] > max_overlap:
                    attached[kept[best]].append(i)
                    continue
            kept.append(i)
            attached[i] = []
            if k is not None and len(kept) == k:
                return kept, attached
    return kept, attached


def jaccard_of_masks(masks: Sequence[np.ndarray]) -> Overlaps:
    """Jaccard indices of slices given as boolean row masks (0 when both are empty)."""
    sizes = [int(m.sum()) for m in masks]

    def overlaps(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], float]:
        out = {}
        for i, j in pairs:
            common = int(np.count_nonzero(masks[i] & masks[j]))
            union = sizes[i] + sizes[j] - common
            out[i, j] = common / union if union else 0.0
        return out

    return overlaps
