"""Turn columns into slice features: binning, categories, and media extractors."""

from workbench.features._binning import encode_categories
from workbench.features._extractors import Extractor, run_extractor

__all__ = ["Extractor", "encode_categories", "run_extractor"]
