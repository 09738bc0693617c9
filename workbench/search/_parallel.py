"""Count on several cores: threads around the compiled kernels, else worker processes.

The one job of this module is to run a counting plan on ``n_jobs`` cores. A level's
counting plan is shared out by joint histogram (each thread or process counts some of
the histograms, and marginalises them, on all rows), or by row ranges when the plan has
one histogram; the counts are added up (each candidate is counted by one piece, or its
counts are added over row ranges in a fixed order, so the result equals the one-core
count up to the order of float sums, and is the same from run to run).

**Threads** when the compiled kernels are loaded (``_kernels``: numba, for searches of
at least ``_kernels.MIN_ROWS`` rows): they release the GIL, so ``n_jobs`` threads count
one copy of the rows with nothing handed over, from :data:`MIN_ROWS_PER_THREAD` rows per
thread.

**Processes** otherwise: numpy's ``bincount`` holds the GIL for its whole run, so
threads would not help. The rows of one part are written once per search
to memory-mapped ``.npy`` files (in ``/dev/shm`` when it exists, so nothing touches a
disk) and each worker maps them read-only, from :data:`MIN_ROWS_PER_JOB` rows per
process. The parent counts one piece itself and adds the workers' counts.

Workers are plain Python processes (``python -c``; never a fork of a process that may
run DuckDB's or BLAS's threads, and the caller's ``__main__`` is not re-imported) that
read calls as pickles on stdin; they are kept for the process's lifetime, so only the
first parallel search pays for starting them (importing numpy, not the whole package).

It imports numpy and the sibling ``_counts`` and ``_kernels`` modules.
"""

from __future__ import annotations

import atexit
import itertools
import math
import os
import pickle
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from workbench.search._counts import CountingPlan, RowBlock, SliceCounts
from workbench.search._kernels import loaded

__all__ = ["SharedRows", "effective_jobs"]

#: Fewer rows than this per worker process (no compiled kernels) are counted in the calling
#: process: sharing the rows with a worker (writing them to shared memory, the worker
#: reading them) and the serial parts of a level cost more than the counting saved.
#: Measured on 2 cores with the default scan: 1M x 20 rows searched on two processes took
#: 0.67 s against 0.39 s on one, 10M x 20 3.19 s against 3.34 s; on 2 Dec, at load average
#: 3.5-3.8, 10M x 20 3.42 s on two processes against 3.22 s on one (benchmarks/README.md).
MIN_ROWS_PER_JOB = 2_500_000

#: Fewer rows than this per thread (compiled kernels loaded) are counted in the calling
#: thread: below, each histogram's fixed costs (clearing and marginalising up to 2^17
#: bins) outweigh the rows shared out. Measured on 2 cores at load average 4 with a level
#: of 30 joint histograms of 0/1 errors: 500,000 rows 46-51 ms on one thread, 48-53 ms on
#: two; 1,000,000 rows 85-117 ms on one, 73-82 ms on two.
MIN_ROWS_PER_THREAD = 500_000

_WORKERS: list[Any] = []
#: One search at a time talks to the workers (scans may run in background threads).
_LOCK = threading.Lock()


def effective_jobs(n_jobs: int) -> int:
    """``n_jobs`` as a number of processes (-1: the cores this process may use).

    Examples
    --------
    >>> effective_jobs(3)
    3
    >>> effective_jobs(-1) >= 1
    True
    """
    if n_jobs == -1:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not Linux
            return max(1, os.cpu_count() or 1)
    return max(1, int(n_jobs))


class _Worker:
    """A Python process that runs :func:`_count_range` calls sent as pickles on its stdin.

    Started with ``python -c`` (not fork, not multiprocessing), so it never copies a
    process that runs other threads and never re-imports the caller's ``__main__``.
    """

    def __init__(self) -> None:
        import subprocess
        import sys

        # Import only this module and _counts (numpy), not the package's __init__ (pandas,
        # DuckDB, ...): the packages are registered as bare namespaces first.
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        code = (
            "import sys, types\n"
            f"for name, path in (('workbench', {package!r}), "
            f"('workbench.search', {os.path.join(package, 'search')!r})):\n"
            "    module = types.ModuleType(name); module.__path__ = [path]; sys.modules[name] = module\n"
            "from workbench.search._parallel import _serve\n"
            "_serve()\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def send(self, args: tuple[Any, ...]) -> None:
        assert self.process.stdin is not None
        pickle.dump(args, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.flush()

    def receive(self) -> SliceCounts:
        assert self.process.stdout is not None
        try:
            ok, value = pickle.load(self.process.stdout)
        except EOFError:
            raise RuntimeError(
                f"A counting worker process ended unexpectedly (exit code {self.process.poll()}). "
                "Expected it to return counts. Run with n_jobs=1 to count in this process."
            ) from None
        if not ok:
            raise RuntimeError(f"A counting worker process failed:\n{value}")
        return value

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait()


def _workers(n: int) -> list[_Worker]:
    """``n`` running worker processes, started once and kept for this process's lifetime."""
    _WORKERS[:] = [w for w in _WORKERS if w.alive()]
    while len(_WORKERS) < n:
        if not _WORKERS:
            atexit.register(_stop_workers)
        _WORKERS.append(_Worker())
    return _WORKERS[:n]


def _stop_workers() -> None:
    for worker in _WORKERS:
        worker.stop()
    _WORKERS.clear()


def _serve() -> None:  # pragma: no cover - runs in the worker processes
    """Worker loop: read a call, count, write ``(ok, counts or traceback)``."""
    import sys
    import traceback

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            args = pickle.load(stdin)
        except EOFError:
            return
        try:
            result: tuple[bool, Any] = (True, _count_range(*args))
        except Exception:
            result = (False, traceback.format_exc())
        pickle.dump(result, stdout, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()


# The arrays a worker has mapped, by directory (the latest search's only).
_MAPPED: dict[str, tuple[list[np.ndarray], np.ndarray, np.ndarray | None]] = {}


def _map(directory: str, n_columns: int, has_weights: bool) -> tuple[Any, ...]:
    if directory not in _MAPPED:
        _MAPPED.clear()
        columns = [
            np.load(os.path.join(directory, f"c{j}.npy"), mmap_mode="r") for j in range(n_columns)
        ]
        errors = np.load(os.path.join(directory, "e.npy"), mmap_mode="r")
        weights = np.load(os.path.join(directory, "w.npy"), mmap_mode="r") if has_weights else None
        _MAPPED[directory] = (columns, errors, weights)
    return _MAPPED[directory]


def _count_range(
    directory: str,
    n_columns: int,
    has_weights: bool,
    binary: bool,
    start: int,
    stop: int,
    plan: CountingPlan,
    moments: bool,
) -> SliceCounts:
    """Worker: count ``plan`` on rows ``start:stop`` of the mapped arrays."""
    columns, errors, weights = _map(directory, n_columns, has_weights)
    rows = RowBlock(
        [c[start:stop] for c in columns],
        np.asarray(errors[start:stop]),
        None if weights is None else np.asarray(weights[start:stop]),
        binary,
    )
    return plan.count(rows, moments=moments)


_POOL: list[ThreadPoolExecutor] = []


def _pool(n: int) -> ThreadPoolExecutor:
    """A pool of at least ``n`` threads, kept for the process's lifetime (a smaller one
    is kept too, never shut down: a search running at the same time may still use it)."""
    with _POOL_LOCK:
        if not _POOL or _POOL[-1]._max_workers < n:
            _POOL.append(ThreadPoolExecutor(max_workers=n, thread_name_prefix="workbench-count"))
        return _POOL[-1]


_POOL_LOCK = threading.Lock()


def _rows_between(rows: RowBlock, start: int, stop: int) -> RowBlock:
    """Rows ``start:stop`` of ``rows`` as views."""
    return RowBlock(
        [c[start:stop] for c in rows.columns],
        rows.errors[start:stop],
        None if rows.weights is None else rows.weights[start:stop],
        rows.binary,
    )


def _split_plan(plan: CountingPlan, n_pieces: int, n_rows: int) -> list[CountingPlan]:
    """Share a plan's joint histograms out into at most ``n_pieces`` plans of similar cost."""
    units: list[tuple[float, Any, bool]] = []
    for sup in plan.supers:
        bins = math.prod(plan.cardinalities[f] for f in sup.features)
        units.append((n_rows * (len(sup.features) + 3) + bins * len(sup.groups), sup, False))
    for group in plan.sparse_groups:
        units.append((n_rows * (2 * len(group.features) + 4), group, True))
    if len(units) < 2:
        return [plan]
    n_pieces = min(n_pieces, len(units))
    load = [0.0] * n_pieces
    supers: list[list[Any]] = [[] for _ in range(n_pieces)]
    sparse: list[list[Any]] = [[] for _ in range(n_pieces)]
    for cost, unit, is_sparse in sorted(units, key=lambda u: -u[0]):
        i = load.index(min(load))
        load[i] += cost
        (sparse if is_sparse else supers)[i].append(unit)
    return [
        CountingPlan(plan.n_candidates, tuple(sup), tuple(spa), plan.cardinalities)
        for sup, spa in zip(supers, sparse, strict=True)
    ]


class SharedRows:
    """One part's rows, counted on ``n_jobs`` threads or processes.

    Parameters
    ----------
    rows : RowBlock
        The rows (kept for counting in the calling process when they are few).
    n_jobs : int
        Threads or processes to count with (already made effective, >= 2).

    Threads are used when the compiled kernels are loaded when the rows are handed
    over (see ``_kernels``), processes otherwise.
    """

    def __init__(self, rows: RowBlock, n_jobs: int) -> None:
        self.rows = rows
        self.n_jobs = n_jobs
        self._directory: str | None = None
        self._write_failed = False
        self._ranges: list[tuple[int, int]] = []
        self.threads = loaded() is not None
        n = rows.n_rows
        jobs = min(n_jobs, n // (MIN_ROWS_PER_THREAD if self.threads else MIN_ROWS_PER_JOB))
        if jobs >= 2:
            bounds = np.linspace(0, n, jobs + 1).astype(np.int64)
            self._ranges = [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
        # Each thread's row range as one block kept for the whole search (its erring
        # rows and error bits are found once).
        self._blocks = [_rows_between(rows, a, b) for a, b in self._ranges] if self.threads else []

    @property
    def parallel(self) -> bool:
        return bool(self._ranges)

    def _write(self) -> str | None:
        """The rows as .npy files for the workers: in /dev/shm, else the temporary folder
        (a container's /dev/shm is often 64 MB); None when neither has room."""
        if self._directory is None and not self._write_failed:
            shm = "/dev/shm"
            bases = [shm] if os.path.isdir(shm) and os.access(shm, os.W_OK) else []
            for base in [*bases, None]:
                directory = tempfile.mkdtemp(prefix="workbench-rows-", dir=base)
                try:
                    for j, column in enumerate(self.rows.columns):
                        np.save(os.path.join(directory, f"c{j}.npy"), column)
                    np.save(os.path.join(directory, "e.npy"), self.rows.errors)
                    if self.rows.weights is not None:
                        np.save(os.path.join(directory, "w.npy"), self.rows.weights)
                except OSError:  # no room: try the next place
                    shutil.rmtree(directory, ignore_errors=True)
                    continue
                self._directory = directory
                break
            else:
                self._write_failed = True  # count in this process from now on
        return self._directory

    def count_moments(self, plan: CountingPlan) -> SliceCounts:
        """Count ``plan`` with second moments (the profile's counts)."""
        return self.count(plan, True)

    def count(self, plan: CountingPlan, moments: bool) -> SliceCounts:
        """Count ``plan`` on the rows, in parallel when there are enough rows.

        A plan of several joint histograms is shared out by histogram (each process
        counts some histograms on all rows, so the marginalising is shared out too); a
        plan of one histogram is shared out by row ranges.
        """
        if not self._ranges or plan.n_candidates == 0:
            return plan.count(self.rows, moments=moments)
        n = self.rows.n_rows
        pieces = _split_plan(plan, len(self._ranges), n)
        if len(pieces) >= 2:
            calls = [(piece, 0, n) for piece in pieces]
        else:
            calls = [(plan, start, stop) for start, stop in self._ranges]
        if self.threads:
            return self._count_threads(plan, pieces, moments)
        directory = self._write()
        if directory is None:
            return plan.count(self.rows, moments=moments)
        with _LOCK:
            return self._count_calls(directory, calls, moments)

    def _count_threads(
        self, plan: CountingPlan, pieces: list[CountingPlan], moments: bool
    ) -> SliceCounts:
        """Count on threads: each piece of the plan on all rows, or (one piece) the plan
        on each row range; the calling thread counts the first itself."""
        if len(pieces) >= 2:
            calls = [(piece, self.rows) for piece in pieces]
        else:
            calls = [(plan, block) for block in self._blocks]
        pool = _pool(len(calls) - 1)
        futures = [pool.submit(piece.count, rows, moments=moments) for piece, rows in calls[1:]]
        piece, rows = calls[0]
        total = piece.count(rows, moments=moments)
        for future in futures:  # added in a fixed order: the same sums every run
            total = total + future.result()
        return total

    def _count_calls(
        self, directory: str, calls: list[tuple[CountingPlan, int, int]], moments: bool
    ) -> SliceCounts:
        n = self.rows.n_rows
        # the calling process counts the first piece itself while the workers count the rest
        workers = _workers(len(calls) - 1)
        for worker, (piece, start, stop) in zip(workers, calls[1:], strict=True):
            worker.send(
                (
                    directory,
                    len(self.rows.columns),
                    self.rows.weights is not None,
                    self.rows.binary,
                    start,
                    stop,
                    piece,
                    moments,
                )
            )
        piece, start, stop = calls[0]
        rows = self.rows if (start, stop) == (0, n) else _rows_between(self.rows, start, stop)
        total = piece.count(rows, moments=moments)
        for worker in workers:
            total = total + worker.receive()
        return total

    def close(self) -> None:
        """Remove the mapped files (workers drop their mappings at the next search)."""
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None
