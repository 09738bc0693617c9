"""Per-row error functions (0/1, log loss, absolute/squared error, WER, CER)."""

from workbench.metrics._metrics import METRICS, Metric, choose_metric, get_metric

__all__ = ["METRICS", "Metric", "choose_metric", "get_metric"]
