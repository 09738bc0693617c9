"""Audio descriptors and speech-recognition helpers (the ``[audio]`` extra).

Needs ``soundfile`` and ``jiwer`` (``pocketsphinx`` only for
:class:`PocketSphinxASR`); without them, importing this package raises an
``ImportError`` naming ``pip install 'slice-workbench[audio]'``. The core
package never imports it.
"""

from __future__ import annotations

from workbench.exceptions import MissingExtraError

for _module in ("soundfile", "jiwer"):
    try:
        __import__(_module)
    except ImportError as _err:
        raise MissingExtraError.for_extra("audio", "Audio descriptors", _module) from _err

from workbench.features.audio._asr import PocketSphinxASR, build_bigram_arpa, transcribe  # noqa: E402
from workbench.features.audio._descriptors import AudioDescriptors, describe_audio  # noqa: E402
from workbench.features.audio._io import load_audio  # noqa: E402

__all__ = [
    "AudioDescriptors",
    "PocketSphinxASR",
    "build_bigram_arpa",
    "describe_audio",
    "load_audio",
    "transcribe",
]
