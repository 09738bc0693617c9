"""Count slices on integer-coded rows: size, error sum and weight sum per slice.

This module's one job is integer histogramming. A *counting plan* groups a level's
candidate slices by their feature tuple and packs several feature tuples into one
wider "super tuple" whose joint histogram (one ``np.bincount`` over mixed-radix
combined codes) is marginalised into the histogram of every tuple it covers: one
pass over the rows counts e.g. the ten feature pairs inside a five-feature block.
Counts are additive over row chunks, so the same plan runs on one in-memory array
or chunk by chunk on streamed record batches.

It imports numpy and the sibling ``_kernels`` module (compiled kernels when loaded).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.search._kernels import loaded

__all__ = ["CountingPlan", "RowBlock", "SliceCounts", "make_plan"]

#: Most bins one joint histogram may have (a bincount over up to 2**18 bins costs
#: about the same per row as one over 400 bins: the table stays in cache).
MAX_BINS = 1 << 18


@dataclass(frozen=True)
class SliceCounts:
    """Per-slice sums, additive over row chunks.

    ``size`` counts rows; ``error_sum`` and ``weight_sum`` sum the per-row error and
    weight. The three second moments are filled only when asked for (they feed the
    t-based statistics of continuous or weighted errors).
    """

    size: np.ndarray
    error_sum: np.ndarray
    weight_sum: np.ndarray
    error_sq_sum: np.ndarray | None = None
    error_weight_sum: np.ndarray | None = None
    weight_sq_sum: np.ndarray | None = None

    @property
    def has_moments(self) -> bool:
        return self.error_sq_sum is not None

    def __len__(self) -> int:
        return len(self.size)

    def __add__(self, other: SliceCounts) -> SliceCounts:
        def add(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
            return None if a is None or b is None else a + b

        return SliceCounts(
            self.size + other.size,
            self.error_sum + other.error_sum,
            self.weight_sum + other.weight_sum,
            add(self.error_sq_sum, other.error_sq_sum),
            add(self.error_weight_sum, other.error_weight_sum),
            add(self.weight_sq_sum, other.weight_sq_sum),
        )

    def take(self, index: np.ndarray) -> SliceCounts:
        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[index]

        return SliceCounts(
            self.size[index],
            self.error_sum[index],
            self.weight_sum[index],
            pick(self.error_sq_sum),
            pick(self.error_weight_sum),
            pick(self.weight_sq_sum),
        )

    @classmethod
    def zeros(cls, n: int, moments: bool) -> SliceCounts:
        z = np.zeros(n)
        return cls(
            np.zeros(n, dtype=np.int64),
            z.copy(),
            z.copy(),
            z.copy() if moments else None,
            z.copy() if moments else None,
            z.copy() if moments else None,
        )

    @classmethod
    def concat(cls, parts: Sequence[SliceCounts], moments: bool) -> SliceCounts:
        if not parts:
            return cls.zeros(0, moments)

        def cat(name: str) -> np.ndarray | None:
            arrays = [getattr(p, name) for p in parts]
            return None if arrays[0] is None else np.concatenate(arrays)

        return cls(
            np.concatenate([p.size for p in parts]),
            np.concatenate([p.error_sum for p in parts]),
            np.concatenate([p.weight_sum for p in parts]),
            cat("error_sq_sum"),
            cat("error_weight_sum"),
            cat("weight_sq_sum"),
        )


@dataclass
class RowBlock:
    """Integer codes (one 1-D array per feature), errors and optional weights of some rows."""

    columns: list[np.ndarray]
    errors: np.ndarray
    weights: np.ndarray | None
    binary: bool = False  # errors are 0/1 and weights are all 1
    _nonzero: np.ndarray | None = field(default=None, repr=False)
    _error_bits: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_rows(self) -> int:
        return len(self.errors)

    @property
    def nonzero(self) -> np.ndarray:
        # rows with error 0 add nothing to an error sum: skip them
        if self._nonzero is None:
            self._nonzero = np.flatnonzero(self.errors)
        return self._nonzero

    @property
    def error_bits(self) -> np.ndarray:
        # 0/1 errors as one byte per row (the top digit of the binary joint histogram)
        if self._error_bits is None:
            self._error_bits = (self.errors != 0).view(np.uint8)
        return self._error_bits

    def subset(self, mask: np.ndarray) -> RowBlock:
        return RowBlock(
            [c[mask] for c in self.columns],
            self.errors[mask],
            None if self.weights is None else self.weights[mask],
            self.binary,
        )


@dataclass(frozen=True)
class _Group:
    features: tuple[int, ...]  # sorted feature indices of the candidates in this group
    members: np.ndarray  # candidate positions in the level's candidate arrays
    keys: np.ndarray  # mixed-radix code of each member over ``features``


@dataclass(frozen=True)
class _Super:
    features: tuple[int, ...]  # sorted; the joint histogram is over these
    groups: tuple[_Group, ...]


@dataclass(frozen=True)
class CountingPlan:
    """How to count one level's candidates: joint histograms and their marginals."""

    n_candidates: int
    supers: tuple[_Super, ...]
    sparse_groups: tuple[_Group, ...]  # too many bins even alone: counted by lookup
    cardinalities: tuple[int, ...]

    def count(self, rows: RowBlock, *, moments: bool = False) -> SliceCounts:
        """Count every candidate of the plan on ``rows``."""
        out = SliceCounts.zeros(self.n_candidates, moments)
        for sup in self.supers:
            _count_super(sup, rows, self.cardinalities, out, moments)
        for group in self.sparse_groups:
            _count_sparse(group, rows, self.cardinalities, out, moments)
        return out


def _mixed_radix(codes: np.ndarray, cards: Sequence[int]) -> np.ndarray:
    key = np.zeros(codes.shape[0], dtype=np.int64)
    for j, card in enumerate(cards):
        key = key * card + codes[:, j]
    return key


def _unique_rows(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(features, axis=0, return_inverse=True)`` (rows in lexicographic
    order), through one integer key per row when it fits: about 20x faster."""
    base = int(features.max()) + 1 if features.size else 1
    if features.ndim != 2 or features.min(initial=0) < 0 or base ** features.shape[1] >= 1 << 62:
        tuples, inverse = np.unique(features, axis=0, return_inverse=True)
        return tuples, inverse.ravel()
    key = np.zeros(features.shape[0], dtype=np.int64)
    for j in range(features.shape[1]):
        key = key * base + features[:, j]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return features[first], inverse.ravel()


def make_plan(
    features: np.ndarray,
    codes: np.ndarray,
    cardinalities: Sequence[int],
    max_bins: int = MAX_BINS,
) -> CountingPlan:
    """Plan the counting of candidates ``features[i], codes[i]`` (both ``(c, L)``).

    Feature tuples are packed greedily into super tuples whose joint histogram has
    at most ``max_bins`` bins, each step adding the feature that completes the most
    still-uncounted tuples.
    """
    cards = tuple(int(c) for c in cardinalities)
    n_candidates = features.shape[0]
    if n_candidates == 0:
        return CountingPlan(0, (), (), cards)
    tuples, inverse = _unique_rows(features)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(tuples) + 1))
    groups: list[_Group] = []
    for g, feats in enumerate(tuples):
        members = order[bounds[g] : bounds[g + 1]]
        ftuple = tuple(int(f) for f in feats)
        keys = _mixed_radix(codes[members], [cards[f] for f in ftuple])
        groups.append(_Group(ftuple, members, keys))

    log_cards = np.log2(np.maximum(np.asarray(cards, dtype=float), 1.0))
    log_limit = math.log2(max_bins) + 1e-9
    dense = [g for g in groups if log_cards[list(g.features)].sum() <= log_limit]
    sparse = tuple(g for g in groups if log_cards[list(g.features)].sum() > log_limit)

    supers: list[_Super] = []
    if dense:
        # Plan over the features the candidates use only (wide data: a few hundred of
        # thousands of columns), then map back to the feature ids.
        used = np.unique(np.concatenate([np.asarray(g.features) for g in dense]))
        position = {int(f): i for i, f in enumerate(used)}
        m = len(used)
        log_cards = log_cards[used]
        membership = np.zeros((len(dense), m), dtype=bool)
        for i, dense_group in enumerate(dense):
            membership[i, [position[f] for f in dense_group.features]] = True
        uncovered = np.ones(len(dense), dtype=bool)
        while uncovered.any():
            first = int(np.flatnonzero(uncovered)[0])
            chosen = membership[first].copy()
            log_size = log_cards[chosen].sum()
            while True:
                outside = membership[uncovered][:, ~chosen]
                n_out = outside.sum(axis=1)
                one_missing = n_out == 1
                if not one_missing.any():
                    break
                missing = np.flatnonzero(~chosen)[outside[one_missing].argmax(axis=1)]
                gain = np.bincount(missing, minlength=m).astype(float)
                gain[log_size + log_cards > log_limit] = 0
                if gain.max() <= 0:
                    break
                best = int(np.argmax(gain - 1e-6 * log_cards))
                chosen[best] = True
                log_size += log_cards[best]
            covered = uncovered & ~(membership & ~chosen).any(axis=1)
            supers.append(
                _Super(
                    tuple(int(used[f]) for f in np.flatnonzero(chosen)),
                    tuple(dense[i] for i in np.flatnonzero(covered)),
                )
            )
            uncovered &= ~covered
    return CountingPlan(n_candidates, tuple(supers), sparse, cards)


def _row_sums(
    key: np.ndarray, rows: RowBlock, n_bins: int, moments: bool
) -> tuple[np.ndarray, ...]:
    """Histograms over ``key`` (one per row): size, error, weight [, moments].

    With the compiled kernels loaded (``_kernels.loaded()``) each histogram is one
    loop over the rows that releases the GIL and adds in row order, as ``np.bincount``
    does: the same sums, bit for bit.
    """
    compiled = loaded()
    if compiled is not None:
        return _row_sums_compiled(compiled, key, rows, n_bins, moments)
    size: np.ndarray = np.bincount(key, minlength=n_bins)
    nz = rows.nonzero
    error: np.ndarray
    if rows.binary:
        error = np.bincount(key[nz], minlength=n_bins).astype(np.float64)
    else:
        error = np.bincount(key[nz], weights=rows.errors[nz], minlength=n_bins)
    weight: np.ndarray
    if rows.weights is None:
        weight = size.astype(np.float64)
    else:
        weight = np.bincount(key, weights=rows.weights, minlength=n_bins)
    if not moments:
        return size, error, weight
    if rows.binary:  # 0/1 errors, unit weights: e*e = e*w = e and w*w = w (same sums)
        return size, error, weight, error.copy(), error.copy(), weight.copy()
    e = rows.errors
    w = np.ones_like(e) if rows.weights is None else rows.weights
    return (
        size,
        error,
        weight,
        np.bincount(key[nz], weights=e[nz] * e[nz], minlength=n_bins),
        np.bincount(key[nz], weights=e[nz] * w[nz], minlength=n_bins),
        weight.copy()
        if rows.weights is None
        else np.bincount(key, weights=w * w, minlength=n_bins),
    )


def _row_sums_compiled(
    compiled: Any, key: np.ndarray, rows: RowBlock, n_bins: int, moments: bool
) -> tuple[np.ndarray, ...]:
    """:func:`_row_sums` with the compiled kernels (the same sums in the same order)."""
    size = np.zeros(n_bins, dtype=np.int64)
    compiled.count(key, size)
    nz = rows.nonzero
    error = np.zeros(n_bins)
    if rows.binary:
        error_rows = np.zeros(n_bins, dtype=np.int64)
        compiled.count_at(key, nz, error_rows)
        error = error_rows.astype(np.float64)
    else:
        compiled.add_at(key, nz, rows.errors, error)
    weight: np.ndarray
    if rows.weights is None:
        weight = size.astype(np.float64)
    else:
        weight = np.zeros(n_bins)
        compiled.add(key, rows.weights, weight)
    if not moments:
        return size, error, weight
    if rows.binary:
        return size, error, weight, error.copy(), error.copy(), weight.copy()
    e = rows.errors
    error_sq = np.zeros(n_bins)
    compiled.add_product_at(key, nz, e, e, error_sq)
    error_weight = np.zeros(n_bins)
    if rows.weights is None:
        compiled.add_at(key, nz, e, error_weight)  # e * 1.0 is e
        weight_sq = weight.copy()
    else:
        compiled.add_product_at(key, nz, e, rows.weights, error_weight)
        weight_sq = np.zeros(n_bins)
        compiled.add_product_at(key, np.arange(len(key)), rows.weights, rows.weights, weight_sq)
    return size, error, weight, error_sq, error_weight, weight_sq


_FIELDS = (
    "size",
    "error_sum",
    "weight_sum",
    "error_sq_sum",
    "error_weight_sum",
    "weight_sq_sum",
)


#: Fewest rows per chunk of the binary joint histogram: the chunk's keys stay in cache.
_CHUNK_ROWS = 1 << 16


def binary_joint(rows: RowBlock, features: Sequence[int], cards: Sequence[int]) -> np.ndarray:
    """Sizes and error counts of every cell of the joint histogram over ``features``,
    for 0/1 errors: shape ``(2, prod(cards))``, int64.

    One histogram over keys whose top digit is the row's error, so the error counts
    need no second pass over the erring rows; the keys are built a chunk of rows at a
    time (in cache), the histograms of the chunks added (integers: exact in any order).
    With the compiled kernels loaded, the last digit is added while counting (the full
    key is never written) and the GIL is released throughout.
    """
    n_bins = math.prod(cards[f] for f in features)
    flat = np.zeros(2 * n_bins, dtype=np.int64)
    n = rows.n_rows
    chunk = min(n, max(_CHUNK_ROWS, 4 * n_bins))
    if n == 0:
        return flat.reshape(2, n_bins)
    bits = rows.error_bits
    columns = [rows.columns[f] for f in features]
    radix = [int(cards[f]) for f in features]
    # uint32 keys when they fit (dense histograms: always): less to write than intp
    buffer = np.empty(chunk, dtype=np.uint32 if 2 * n_bins <= 1 << 32 else np.int64)
    compiled = loaded()
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        key = buffer[: stop - start]
        if compiled is not None:
            if len(columns) == 1:
                compiled.count_step(bits[start:stop], radix[0], columns[0][start:stop], flat)
                continue
            compiled.start_key(key, bits[start:stop], radix[0], columns[0][start:stop])
            for column, card in zip(columns[1:-1], radix[1:-1], strict=True):
                compiled.step_key(key, card, column[start:stop])
            compiled.count_step(key, radix[-1], columns[-1][start:stop], flat)
            continue
        np.copyto(key, bits[start:stop], casting="unsafe")
        for column, card in zip(columns, radix, strict=True):
            np.multiply(key, card, out=key, casting="unsafe")
            np.add(key, column[start:stop], out=key, casting="unsafe")
        flat += np.bincount(key, minlength=2 * n_bins)
    # cells: [no error, error] -> [size, error count]
    joint = flat.reshape(2, n_bins)
    joint[0] += joint[1]
    return joint


def _count_super(
    sup: _Super, rows: RowBlock, cards: Sequence[int], out: SliceCounts, moments: bool
) -> None:
    feats = sup.features
    shape = tuple(cards[f] for f in feats)
    n_bins = math.prod(shape)
    if rows.binary:
        _count_super_binary(sup, binary_joint(rows, feats, cards), shape, out, moments)
        return
    dtype = np.uint32 if n_bins < (1 << 32) else np.int64
    key = rows.columns[feats[0]].astype(dtype)
    for f in feats[1:]:
        np.multiply(key, cards[f], out=key, casting="unsafe")
        np.add(key, rows.columns[f], out=key, casting="unsafe")
    sums = _row_sums(key, rows, n_bins, moments)
    for group in sup.groups:
        drop = tuple(a for a, f in enumerate(feats) if f not in group.features)
        for name, hist in zip(_FIELDS, sums, strict=False):
            marginal = hist.reshape(shape).sum(axis=drop) if drop else hist.reshape(shape)
            target = getattr(out, name)
            target[group.members] += marginal.ravel()[group.keys]


def _count_super_binary(
    sup: _Super,
    joint: np.ndarray,
    shape: tuple[int, ...],
    out: SliceCounts,
    moments: bool,
) -> None:
    """0/1 errors and unit weights: only sizes and error counts are histogrammed.

    Both are integers, so the marginals may be summed in any order: each group's
    marginal is reduced from the smallest one already computed that covers it, one
    axis at a time (largest first), and every intermediate is kept for the next group.
    The weight sum equals the size and the second moments equal the first ones.
    """
    feats = sup.features
    cache: dict[tuple[int, ...], np.ndarray] = {feats: joint.reshape((2, *shape))}
    card = dict(zip(feats, shape, strict=True))
    for group in sup.groups:
        target = group.features
        if target not in cache:
            kept = min(
                (k for k in cache if set(target) <= set(k)),
                key=lambda k: math.prod(card[f] for f in k),
            )
            hist = cache[kept]
            for f in sorted(set(kept) - set(target), key=lambda f: -card[f]):
                hist = hist.sum(axis=1 + kept.index(f))
                kept = tuple(g for g in kept if g != f)
                cache[kept] = hist
        marginal = cache[target].reshape(2, -1)[:, group.keys]
        out.size[group.members] += marginal[0]
        error = marginal[1].astype(np.float64)
        out.error_sum[group.members] += error
        weight = marginal[0].astype(np.float64)
        out.weight_sum[group.members] += weight
        if moments:
            assert out.error_sq_sum is not None and out.error_weight_sum is not None
            assert out.weight_sq_sum is not None
            out.error_sq_sum[group.members] += error
            out.error_weight_sum[group.members] += error
            out.weight_sq_sum[group.members] += weight


def _count_sparse(
    group: _Group, rows: RowBlock, cards: Sequence[int], out: SliceCounts, moments: bool
) -> None:
    # Huge joint domain: keep only rows whose codes are all among the candidates'
    # values, renumber those values compactly, then histogram (or sort) the keys.
    keep = np.ones(rows.n_rows, dtype=bool)
    compact_cols = []
    compact_cards = []
    member_codes = []
    radix = [cards[f] for f in group.features]
    # recover each member's per-feature codes from its mixed-radix key
    rest = group.keys.copy()
    per_feature = [np.empty(0, dtype=np.int64)] * len(group.features)
    for j in range(len(group.features) - 1, -1, -1):
        per_feature[j] = rest % radix[j]
        rest //= radix[j]
    for j, f in enumerate(group.features):
        values = np.unique(per_feature[j])
        lut = np.full(cards[f], -1, dtype=np.int64)
        lut[values] = np.arange(len(values))
        col = lut[rows.columns[f]]
        keep &= col >= 0
        compact_cols.append(col)
        compact_cards.append(len(values))
        member_codes.append(lut[per_feature[j]])
    idx = np.flatnonzero(keep)
    sub = RowBlock(
        [c[idx] for c in compact_cols],
        rows.errors[idx],
        None if rows.weights is None else rows.weights[idx],
        rows.binary,
    )
    if math.prod(compact_cards) >= (1 << 62):  # pragma: no cover - astronomically many values
        for i, member in enumerate(group.members):
            mask = np.ones(len(idx), dtype=bool)
            for col, mcode in zip(sub.columns, member_codes, strict=True):
                mask &= col == mcode[i]
            sums = _row_sums(np.zeros(int(mask.sum()), dtype=np.intp), sub.subset(mask), 1, moments)
            for name, hist in zip(_FIELDS, sums, strict=False):
                getattr(out, name)[member] += hist[0]
        return
    key = np.zeros(len(idx), dtype=np.int64)
    member_key = np.zeros(len(group.members), dtype=np.int64)
    for col, card, mcode in zip(sub.columns, compact_cards, member_codes, strict=True):
        key = key * card + col
        member_key = member_key * card + mcode
    uniq, inv = np.unique(key, return_inverse=True)
    sub_key = inv.ravel()
    sums = _row_sums(sub_key, sub, len(uniq), moments)
    if len(uniq) == 0:
        return
    pos = np.minimum(np.searchsorted(uniq, member_key), len(uniq) - 1)
    found = uniq[pos] == member_key
    for name, hist in zip(_FIELDS, sums, strict=False):
        getattr(out, name)[group.members] += np.where(found, hist[pos], 0)
