"""Audio descriptors (the ``[audio]`` extra).

Needs ``soundfile`` and ``jiwer``; without them, importing this package raises
an ``ImportError`` naming ``pip install 'slice-workbench[audio]'``. The core
package never imports it. The speech recogniser is a model, so it lives with
the adapters: :mod:`workbench.adapters` (``PocketSphinxASR``, ``transcribe``).
"""

from __future__ import annotations

from workbench.exceptions import MissingExtraError

for _module in ("soundfile", "jiwer"):
    try:
        __import__(_module)
    except ImportError as _err:
        raise MissingExtraError.for_extra("audio", "Audio descriptors", _module) from _err

from workbench.features.audio._descriptors import AudioDescriptors, describe_audio  # noqa: E402
from workbench.features.audio._io import load_audio, load_manifest, resample  # noqa: E402

__all__ = [
    "AudioDescriptors",
    "describe_audio",
    "load_audio",
    "load_manifest",
    "resample",
]
