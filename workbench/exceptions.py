"""Every error Slice Workbench raises on purpose.

One tree, rooted at :class:`WorkbenchError`, so a caller (the CLI, the app) can
catch everything the tool says about bad input in one ``except`` and show the
message without a traceback::

    WorkbenchError
    ├── ParameterError          (ValueError)  a parameter outside its declared range
    ├── DataError               (ValueError)  the data cannot be used as given
    │   ├── ColumnNotFoundError (KeyError)    a named column is not there
    │   ├── EmptyDataError                    no rows, or nothing left to learn from
    │   └── LabelError                        label/prediction unusable for the metric
    ├── InputFileError          (OSError)     a file cannot be read, or its type is unknown
    │   ├── InvalidClaimError                 a claim file is malformed or contradicts itself
    │   └── NotATableError                    an image, archive or other binary, not a table
    ├── ModelError              (TypeError)   the model cannot produce predictions
    ├── StoreError                            the DuckDB store cannot be used
    │   ├── StoreLockedError                  another process holds the file
    │   └── StoreVersionError                 written by a newer release
    ├── SliceNotFoundError      (KeyError)    no slice or scan with that id
    └── MissingExtraError       (ImportError) an optional extra is not installed

Every message says what was expected, what came, and how to fix it.
This module imports nothing from the package.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ColumnNotFoundError",
    "DataError",
    "EmptyDataError",
    "InputFileError",
    "InvalidClaimError",
    "LabelError",
    "MissingExtraError",
    "ModelError",
    "NotATableError",
    "ParameterError",
    "SliceNotFoundError",
    "StoreError",
    "StoreLockedError",
    "StoreVersionError",
    "WorkbenchError",
]


class WorkbenchError(Exception):
    """Base class of every error Slice Workbench raises about its input."""

    def __str__(self) -> str:
        # KeyError's str() wraps the message in quotes; keep messages readable.
        return str(self.args[0]) if self.args else ""


class ParameterError(WorkbenchError, ValueError):
    """A parameter is outside the range its function declares."""


class DataError(WorkbenchError, ValueError):
    """The data cannot be used as given."""


class ColumnNotFoundError(DataError, KeyError):
    """A column named by the caller is not in the data."""

    @classmethod
    def for_column(cls, role: str, name: object, columns: Iterable[str]) -> ColumnNotFoundError:
        columns = [str(c) for c in columns]
        close = difflib.get_close_matches(str(name), columns, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        shown = ", ".join(repr(c) for c in columns[:20])
        if len(columns) > 20:
            shown += f", ... ({len(columns)} columns)"
        return cls(
            f"The {role} column {name!r} was not found in the data.{hint} "
            f"Columns: {shown}. Pass one of these names as {role}=..."
        )


class EmptyDataError(DataError):
    """There are no rows, or nothing left to learn from."""


class LabelError(DataError):
    """The label or prediction cannot be used with the chosen metric."""


class InputFileError(WorkbenchError, OSError):
    """A file cannot be read, or its type is not supported."""


class InvalidClaimError(InputFileError):
    """A claim is not well formed, or its predicates, text and SQL disagree."""


class NotATableError(InputFileError):
    """The file is an image, an archive, a PDF or other binary data, not a text table."""


class ModelError(WorkbenchError, TypeError):
    """The model cannot produce predictions."""


class StoreError(WorkbenchError):
    """The DuckDB store cannot be used."""


class StoreLockedError(StoreError):
    """Another process holds the store file open for writing."""


class StoreVersionError(StoreError):
    """The store was written by a newer release of Slice Workbench."""


class SliceNotFoundError(WorkbenchError, KeyError):
    """No slice or scan has the given id."""


class MissingExtraError(WorkbenchError, ImportError):
    """An optional extra is not installed."""

    @classmethod
    def for_extra(cls, extra: str, feature: str, missing: str) -> MissingExtraError:
        return cls(
            f"{feature} needs the optional package {missing!r}, which is not installed. "
            f"Install it with: pip install 'slice-workbench[{extra}]'"
        )
