"""Turn columns into slice features: binning, categories, and media extractors."""

from workbench.features._extractors import Extractor, run_extractor

__all__ = ["Extractor", "run_extractor"]
