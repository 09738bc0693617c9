"""Pick where a stored scan counts: numpy in memory, DuckDB streamed, or Spark.

The one job of this module is the decision (and its reason, which the scan's notes
carry): numpy when the codes, errors and the split's copies fit a memory budget,
DuckDB streaming record batches out of the store otherwise. ``engine=`` overrides the
choice and ``memory_limit=`` sets the budget (default: half the memory this process can
still get: available RAM, or the address-space limit when one is set, e.g. by
``prlimit --as``). It imports only the standard library and ``workbench.exceptions``.
"""

from __future__ import annotations

import os
import re
import resource
from collections.abc import Sequence

from workbench.exceptions import ParameterError

__all__ = ["ENGINES", "choose_engine", "memory_budget", "numpy_bytes", "parse_memory"]

ENGINES = ("auto", "numpy", "duckdb", "spark")

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}


def parse_memory(value: int | float | str | None) -> int | None:
    """Bytes from ``4_000_000_000``, ``"4GB"``, ``"1.5 GiB"`` or ``"500MB"`` (None: None).

    Examples
    --------
    >>> parse_memory("1.5GB"), parse_memory("2 GiB"), parse_memory(1000)
    (1500000000, 2147483648, 1000)
    """
    if value is None:
        return None
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int | float) and value > 0:
        return int(value)
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(value))
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS or float(match.group(1)) <= 0:
        raise ParameterError(
            "The 'memory_limit' parameter must be a number of bytes > 0 or a size such as "
            f"'4GB' or '512MiB'. Got {value!r} instead."
        )
    return int(float(match.group(1)) * _UNITS[unit])


def _available_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return None


def _address_space_left() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return max(0, soft - int(line.split()[1]) * 1024)
    except OSError:  # pragma: no cover - not Linux
        pass
    return soft


def memory_budget(memory_limit: int | float | str | None = None) -> tuple[int, str]:
    """Bytes the in-memory search may use, and where the figure comes from."""
    given = parse_memory(memory_limit)
    if given is not None:
        return given, f"memory_limit={given / 1e9:.3g} GB"
    candidates = []
    available = _available_bytes()
    if available is not None:
        candidates.append((available // 2, f"half the available RAM ({available / 1e9:.3g} GB)"))
    left = _address_space_left()
    if left is not None:
        candidates.append((left // 2, f"half the address space left ({left / 1e9:.3g} GB)"))
    if not candidates:  # pragma: no cover - neither /proc nor sysconf
        return 4 * 10**9, "a default of 4 GB"
    return min(candidates)


def numpy_bytes(n_rows: int, code_bytes: Sequence[int], weighted: bool) -> int:
    """Peak bytes of the in-memory search on ``n_rows`` rows (codes loaded, stacked and
    copied into the split's two parts; errors and weights likewise; one uint32 key and
    the histograms' temporaries)."""
    per_row = 3 * sum(code_bytes) + 3 * 8 * (2 if weighted else 1) + 8
    return int(n_rows * per_row + 64 * 2**20)


def choose_engine(
    engine: str,
    n_rows: int,
    code_bytes: Sequence[int],
    weighted: bool,
    memory_limit: int | float | str | None = None,
) -> tuple[str, str]:
    """``(engine, reason)``: the engine that runs and why.

    Examples
    --------
    >>> choose_engine("auto", 1000, [1, 1], False, "1GB")[0]
    'numpy'
    >>> choose_engine("auto", 10**9, [1] * 20, False, "1GB")[0]
    'duckdb'
    """
    if engine not in ENGINES:
        raise ParameterError(
            f"The 'engine' parameter must be one of {', '.join(map(repr, ENGINES))}. "
            f"Got {engine!r} instead."
        )
    need = numpy_bytes(n_rows, code_bytes, weighted)
    if engine != "auto":
        parse_memory(memory_limit)  # refuse a bad value whichever engine runs
        return engine, f"engine={engine!r} was asked for"
    budget, source = memory_budget(memory_limit)
    if need <= budget:
        return "numpy", (
            f"the codes need about {need / 1e9:.3g} GB in memory, within {source} "
            f"({budget / 1e9:.3g} GB)"
        )
    return "duckdb", (
        f"the codes would need about {need / 1e9:.3g} GB in memory, more than {source} "
        f"({budget / 1e9:.3g} GB): streamed out of the store in record batches"
    )
