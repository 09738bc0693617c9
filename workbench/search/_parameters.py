"""The scan parameters, declared once: name, default, constraint and help text.

Every front end reads this one table: :class:`~workbench.search.SliceSearch` (its
signature defaults, its validation in ``fit``), ``Workbench.scan``, the CLI's
``workbench scan`` flags, and the explorer's and the app's scan controls. A value
therefore means the same thing everywhere: ``min_support=2.7`` is refused with the
same message by all of them, and ``50.0`` typed into a float box is 50 rows
everywhere.

To add a parameter: add a :class:`ScanParameter` to ``_TABLE`` and a field to
:class:`ResolvedParameters`, accept it in ``SliceSearch.__init__`` (with the table's
default; not for ``search=False`` parameters, which choose where a stored scan counts)
and in ``Workbench.scan``; the CLI, explorer and app pick it up from here.

Imports ``workbench._validation`` and ``workbench.exceptions`` only.
"""

from __future__ import annotations

import difflib
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from workbench._validation import Constraint, Interval, Options, validate_params
from workbench.exceptions import ParameterError

__all__ = [
    "SCAN_PARAMETERS",
    "ResolvedParameters",
    "ScanParameter",
    "check_scan_parameters",
    "parse_parameter",
    "scan_defaults",
]


@dataclass(frozen=True)
class ScanParameter:
    """One scan parameter as every front end shows and checks it.

    Parameters
    ----------
    name : str
        Keyword of ``SliceSearch`` and ``Workbench.scan``.
    default : object
        Default value (the signature defaults are these values).
    constraints : tuple
        Accepted values (any one of them), as :mod:`workbench._validation` constraints.
    help : str
        One sentence for people: CLI ``--help``, tooltips and docs.
    label : str
        Short label of a form field ("Min support").
    cli : str
        The ``workbench scan`` flag.
    front_end : bool
        Whether ``Workbench.scan``, the CLI, the explorer and the app offer it (the
        others tune ``SliceSearch`` itself).
    search : bool
        Whether ``SliceSearch`` takes it (the others, ``engine`` and ``memory_limit``,
        choose where ``Workbench.scan`` counts a stored dataset: a ``SliceSearch`` counts
        where its ``fit`` method says).
    """

    name: str
    default: Any
    constraints: tuple[Constraint, ...]
    help: str
    label: str
    cli: str
    front_end: bool = True
    search: bool = True

    @property
    def choices(self) -> tuple[Any, ...] | None:
        """The allowed values when the parameter is one of a fixed set, else None."""
        for c in self.constraints:
            if isinstance(c, Options):
                return c.values
        return None


_TABLE: tuple[ScanParameter, ...] = (
    ScanParameter(
        "ranking",
        "excess",
        (Options(("excess", "sliceline")),),
        "\"excess\": how far the slice's error is above the rest's at the least (the lower "
        "end of its 95 % interval minus the rest's error), which does not bury small groups; "
        '"sliceline": SliceLine\'s score, which trades error against size with alpha',
        "Ranking",
        "--ranking",
    ),
    ScanParameter(
        "distinct",
        True,
        (Options((True, False)),),
        "report distinct groups: a slice whose rows overlap a better one's by more than "
        "max_overlap (Jaccard) becomes one of its alternative descriptions, and the list is "
        "refilled to k; False gives the exact top-k",
        "Distinct groups",
        "--distinct",
    ),
    ScanParameter(
        "max_overlap",
        0.5,
        (Interval("real", 0, 1, "left"),),
        "Jaccard overlap of two slices' rows above which they count as one group",
        "Max overlap",
        "--max-overlap",
    ),
    ScanParameter(
        "k",
        10,
        (Interval("int", 1),),
        "number of slices to report (more when scores tie)",
        "Slices",
        "--top-k",
    ),
    ScanParameter(
        "max_predicates",
        3,
        (Interval("int", 1),),
        "most conditions in a slice",
        "Max conditions",
        "--max-predicates",
    ),
    ScanParameter(
        "min_support",
        0.01,
        (Interval("whole", 1), Interval("real", 0, 1, "neither")),
        "fewest rows of a reported slice: a whole number counts rows, a number in (0, 1) "
        "is a fraction of the rows searched",
        "Min support",
        "--min-support",
    ),
    ScanParameter(
        "min_rows",
        20,
        (Interval("int", 1),),
        "fewest rows of a reported slice when min_support is a fraction (a floor: 1 % of "
        "172 rows is not a group)",
        "Min rows",
        "--min-rows",
    ),
    ScanParameter(
        "min_errors",
        5,
        (Interval("int", 0),),
        "fewest erring rows a slice needs on the statistics rows to be called significant: "
        "its errors for 0/1 errors and the fairness rates; for continuous or weighted errors "
        "(absolute error, WER) the effective number of rows carrying the error, "
        "sum(error)^2 / sum(error^2) (the nonzero-error rows when their errors are equal, "
        "about one for one outlier)",
        "Min errors",
        "--min-errors",
    ),
    ScanParameter(
        "alpha",
        0.95,
        (Interval("real", 0, 1, "right"),),
        "weight of the error term against the size term in SliceLine's score, in (0, 1] "
        '(used by ranking="sliceline")',
        "Alpha",
        "--alpha",
    ),
    ScanParameter(
        "fdr",
        0.05,
        (Interval("real", 0, 1, "neither"),),
        "false discovery rate under which a slice is called significant",
        "FDR",
        "--fdr",
    ),
    ScanParameter(
        "confirm",
        "auto",
        (Options((True, False, "auto")),),
        'hold out a confirmation split for the statistics; "auto" does so from '
        "min_confirm_rows rows on",
        "Confirmation split",
        "--confirm",
    ),
    ScanParameter(
        "confirm_fraction",
        0.5,
        (Interval("real", 0, 1, "neither"),),
        "share of rows held out for confirmation",
        "Held-out share",
        "--confirm-fraction",
        front_end=False,
    ),
    ScanParameter(
        "min_confirm_rows",
        2000,
        (Interval("int", 0),),
        'rows needed for confirm="auto" to hold out a confirmation split',
        "Rows to split",
        "--min-confirm-rows",
        front_end=False,
    ),
    ScanParameter(
        "random_state",
        0,
        (Interval("int", 0), None),
        "seed of the confirmation split; None draws one (the seed used is stored)",
        "Seed",
        "--seed",
    ),
    ScanParameter(
        "aggregator",
        "auto",
        (Options(("auto", "numpy", "duckdb")),),
        "where counting happens: numpy in memory, DuckDB streamed",
        "Aggregator",
        "--aggregator",
        front_end=False,
    ),
    ScanParameter(
        "n_jobs",
        1,
        (Interval("int", 1), Options((-1,))),
        "cores that count in memory (-1: every core)",
        "Cores",
        "--n-jobs",
    ),
    ScanParameter(
        "engine",
        "auto",
        (Options(("auto", "numpy", "duckdb", "spark")),),
        "where a stored scan counts: numpy in memory, DuckDB streamed out of the store, or "
        'Spark (the active session); "auto" takes numpy when the codes fit memory_limit, '
        "DuckDB otherwise",
        "Engine",
        "--engine",
        search=False,
    ),
    ScanParameter(
        "memory_limit",
        None,
        (Interval("real", 0, None, "neither"), str, None),
        "memory the in-memory search may use, in bytes or e.g. '4GB' (None: half of what "
        "this process can still get)",
        "Memory limit",
        "--memory-limit",
        search=False,
    ),
)

#: The scan parameters by name, in the order front ends show them.
SCAN_PARAMETERS: Mapping[str, ScanParameter] = MappingProxyType({p.name: p for p in _TABLE})


def scan_defaults(*, front_end: bool = False, search: bool = False) -> dict[str, Any]:
    """The default of every scan parameter (only the front ends' ones with ``front_end``,
    only ``SliceSearch``'s with ``search``).

    Examples
    --------
    >>> scan_defaults(front_end=True)["min_support"]
    0.01
    >>> "engine" in scan_defaults(search=True)
    False
    """
    return {
        p.name: p.default
        for p in _TABLE
        if (p.front_end or not front_end) and (p.search or not search)
    }


@dataclass(frozen=True)
class ResolvedParameters:
    """Validated parameters, normalised: ``min_support`` is an int (rows) or a float
    fraction, ``random_state`` is the seed actually used (drawn when None was given)."""

    ranking: str
    distinct: bool
    max_overlap: float
    k: int
    max_predicates: int
    min_support: int | float
    min_rows: int
    min_errors: int
    alpha: float
    fdr: float
    confirm: bool | str
    confirm_fraction: float
    min_confirm_rows: int
    random_state: int
    aggregator: str
    n_jobs: int
    engine: str = "auto"
    memory_limit: int | str | None = None
    seed_drawn: bool = False

    def min_support_rows(self, n_rows: int) -> int:
        """``min_support`` in rows for ``n_rows`` searched rows (a fraction rounds down,
        at least ``min_rows``; a row count is used as given)."""
        if isinstance(self.min_support, float):
            return max(self.min_rows, int(self.min_support * n_rows))
        return self.min_support


def check_scan_parameters(
    params: Mapping[str, Any], owner: str = "SliceSearch"
) -> ResolvedParameters:
    """Validate scan parameters against the table and normalise them.

    Missing names take their defaults; unknown names are refused with the closest
    known one.

    Examples
    --------
    >>> check_scan_parameters({"min_support": 50.0}).min_support
    50
    >>> check_scan_parameters({"min_support": 2.7})
    Traceback (most recent call last):
    ...
    workbench.exceptions.ParameterError: The 'min_support' parameter of SliceSearch must be a whole number >= 1 or a float in (0, 1). Got 2.7 instead.
    """
    unknown = [name for name in params if name not in SCAN_PARAMETERS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(SCAN_PARAMETERS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(
            f"{owner} got an unknown parameter {unknown[0]!r}.{hint} Expected one of "
            f"{', '.join(SCAN_PARAMETERS)}."
        )
    values = {**scan_defaults(), **params}
    validate_params(owner, values, {p.name: list(p.constraints) for p in _TABLE})
    min_support = values["min_support"]
    min_support = float(min_support) if 0 < min_support < 1 else int(min_support)
    seed = values["random_state"]
    drawn = seed is None
    if drawn:
        seed = secrets.randbits(63)
    return ResolvedParameters(
        ranking=str(values["ranking"]),
        distinct=bool(values["distinct"]),
        max_overlap=float(values["max_overlap"]),
        k=int(values["k"]),
        max_predicates=int(values["max_predicates"]),
        min_support=min_support,
        min_rows=int(values["min_rows"]),
        min_errors=int(values["min_errors"]),
        alpha=float(values["alpha"]),
        fdr=float(values["fdr"]),
        confirm=values["confirm"],
        confirm_fraction=float(values["confirm_fraction"]),
        min_confirm_rows=int(values["min_confirm_rows"]),
        random_state=int(seed),
        aggregator=str(values["aggregator"]),
        n_jobs=int(values["n_jobs"]),
        engine=str(values["engine"]),
        memory_limit=values["memory_limit"],
        seed_drawn=drawn,
    )


def parse_parameter(name: str, text: str) -> Any:
    """Read a parameter's value typed as text (a CLI flag, a text box) into the value
    the table checks: ``"50"`` -> 50, ``"0.01"`` -> 0.01, ``"2.7"`` -> 2.7 (refused
    later, with the same message as anywhere else), ``"auto"``/``"true"``/``"none"``.

    Examples
    --------
    >>> parse_parameter("min_support", "50"), parse_parameter("confirm", "false")
    (50, False)
    """
    if name not in SCAN_PARAMETERS:
        raise ParameterError(
            f"Unknown scan parameter {name!r}. Expected one of {', '.join(SCAN_PARAMETERS)}."
        )
    raw = text.strip()
    lowered = raw.lower()
    words = {"true": True, "yes": True, "false": False, "no": False, "none": None}
    if lowered in words:
        return words[lowered]
    choices = SCAN_PARAMETERS[name].choices
    if choices and raw in choices:
        return raw
    try:
        number = float(raw)
    except ValueError:
        return raw  # refused by the check, which names what is expected
    if math.isfinite(number) and number.is_integer() and "." not in raw and "e" not in lowered:
        return int(raw)
    return number
