"""Exact top-k slice search with honest statistics.

``SliceSearch`` finds the conjunctions of categorical predicates where a model's
error is highest (SliceLine's score, exact under sound pruning), counts through an
aggregator (numpy in memory, DuckDB streamed for data larger than memory) and
attaches confidence intervals, p-values and Benjamini--Hochberg control. This
package imports ``workbench.findings`` and ``workbench.exceptions``; never the store.
"""

from workbench.search._aggregators import (
    Aggregator,
    DataProfile,
    DuckDBAggregator,
    NumpyAggregator,
)
from workbench.search._change import ChangedSlice, ChangeFindings, OverallChange
from workbench.search._counts import SliceCounts
from workbench.search._overlap import fold_near_duplicates, jaccard_of_masks
from workbench.search._parameters import SCAN_PARAMETERS, ScanParameter, scan_defaults
from workbench.search._search import SliceSearch
from workbench.search._split import SplitAssigner
from workbench.search._stats import benjamini_hochberg, error_rows, slice_statistics

__all__ = [
    "SCAN_PARAMETERS",
    "Aggregator",
    "ChangeFindings",
    "ChangedSlice",
    "DataProfile",
    "DuckDBAggregator",
    "NumpyAggregator",
    "OverallChange",
    "ScanParameter",
    "SliceCounts",
    "SliceSearch",
    "SplitAssigner",
    "benjamini_hochberg",
    "error_rows",
    "fold_near_duplicates",
    "jaccard_of_masks",
    "scan_defaults",
    "slice_statistics",
]
