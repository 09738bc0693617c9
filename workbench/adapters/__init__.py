"""Model adapters: an estimator, a callable or a speech recogniser in, predictions out.

The speech-recognition helpers (:class:`PocketSphinxASR`, :func:`transcribe`,
:func:`build_bigram_arpa`) need the ``[audio]`` extra and are imported on
first use, so ``import workbench.adapters`` stays light.
"""

from typing import Any

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
    "PocketSphinxASR",
    "Predictions",
    "Probabilities",
    "SklearnAdapter",
    "adapt_model",
    "build_bigram_arpa",
    "transcribe",
    "voice_segments",
]

_SPEECH = ("PocketSphinxASR", "build_bigram_arpa", "transcribe", "voice_segments")


def __getattr__(name: str) -> Any:
    if name in _SPEECH:
        from workbench.adapters import _asr

        return getattr(_asr, name)
    raise AttributeError(f"module 'workbench.adapters' has no attribute {name!r}")
