"""Per-row error functions (0/1, log loss, absolute/squared error, WER, CER).

The word-level helpers (``word_errors``, ``align_words``, ...) need the
``[audio]`` extra (jiwer) and are imported on first use.
"""

from typing import Any

from workbench.metrics._metrics import METRICS, Metric, choose_metric, get_metric

__all__ = [
    "METRICS",
    "Metric",
    "align_words",
    "char_errors",
    "choose_metric",
    "error_rate",
    "get_metric",
    "normalize_text",
    "word_errors",
]

_TEXT = (
    "align_words",
    "char_errors",
    "error_rate",
    "normalize_text",
    "word_errors",
)


def __getattr__(name: str) -> Any:
    if name in _TEXT:
        from workbench.metrics import _wer

        return getattr(_wer, name)
    raise AttributeError(f"module 'workbench.metrics' has no attribute {name!r}")
