"""Model adapters: an estimator or a callable in, predictions (and a fingerprint) out."""

from workbench.adapters._adapters import (
    CallableAdapter,
    ModelAdapter,
    Predictions,
    Probabilities,
    SklearnAdapter,
    adapt_model,
)

__all__ = [
    "CallableAdapter",
    "ModelAdapter",
    "Predictions",
    "Probabilities",
    "SklearnAdapter",
    "adapt_model",
]
