"""Slice Workbench: find the data slices where a model fails.

>>> import workbench as wb
>>> bench = wb.Workbench.from_predictions("data.parquet", label="y", prediction="pred")  # doctest: +SKIP
>>> findings = bench.scan()  # doctest: +SKIP
"""

from workbench._io import SUPPORTED_SUFFIXES, CsvFormat, read_table, sniff_csv
from workbench._version import __version__
from workbench._workbench import Workbench
from workbench.bounty import Bounty
from workbench.exceptions import (
    ColumnNotFoundError,
    DataError,
    EmptyDataError,
    InputFileError,
    InvalidClaimError,
    LabelError,
    MissingExtraError,
    ModelError,
    NotATableError,
    ParameterError,
    SliceNotFoundError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
    WorkbenchError,
)
from workbench.features import Extractor, run_extractor
from workbench.findings import FINDINGS_COLUMNS, Findings, Predicate, Slice
from workbench.metrics import Metric
from workbench.samples import load_sample, sample_path
from workbench.search import ChangedSlice, ChangeFindings, SliceSearch

__all__ = [
    "FINDINGS_COLUMNS",
    "SUPPORTED_SUFFIXES",
    "Bounty",
    "ChangeFindings",
    "ChangedSlice",
    "ColumnNotFoundError",
    "CsvFormat",
    "DataError",
    "EmptyDataError",
    "Extractor",
    "Findings",
    "InputFileError",
    "InvalidClaimError",
    "LabelError",
    "Metric",
    "MissingExtraError",
    "ModelError",
    "NotATableError",
    "ParameterError",
    "Predicate",
    "Slice",
    "SliceNotFoundError",
    "SliceSearch",
    "StoreError",
    "StoreLockedError",
    "StoreVersionError",
    "Workbench",
    "WorkbenchError",
    "__version__",
    "load_sample",
    "read_table",
    "run_extractor",
    "sample_path",
    "sniff_csv",
]
