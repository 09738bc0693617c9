"""Slice Workbench: find where a model fails."""

from workbench._version import __version__
from workbench.findings import Findings, Predicate, Slice

__all__ = ["Findings", "Predicate", "Slice", "__version__"]
