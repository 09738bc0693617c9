"""Where the real photographs and recordings used by the tests are found.

Nothing here is committed to the repository: the files come from packages
(scikit-image's bundled data; Debian's ``pocketsphinx-testdata`` and
``alsa-utils``; the ``insightface`` wheel's sample images, whose licence does
not allow shipping copies). ``scripts/get_real_media.sh`` fetches the last two
into ``$WORKBENCH_REAL_MEDIA`` (default ``~/.cache/slice-workbench/real-media``).
Tests that need a missing file are skipped with the command to run.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

POCKETSPHINX_DATA = Path("/usr/share/pocketsphinx/test/data")
ALSA_SOUNDS = Path("/usr/share/sounds/alsa")

#: Centres (x, y) of the six faces of insightface's ``t1.jpg`` (1280 x 886), checked by
#: eye: from the left, a tilted head, a downcast head, then four more upright or tilted.
T1_FACES = ((113, 328), (312, 215), (515, 341), (784, 413), (939, 131), (1175, 337))


def snr_benchmark() -> ModuleType:
    """``benchmarks/snr_real_speech.py`` as a module (its clips, transcripts and mixes)."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "snr_real_speech.py"
    spec = importlib.util.spec_from_file_location("snr_real_speech", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def real_media_dir() -> Path:
    return Path(
        os.environ.get("WORKBENCH_REAL_MEDIA", Path.home() / ".cache/slice-workbench/real-media")
    )


def insightface_image(name: str) -> Path:
    path = real_media_dir() / "insightface" / name
    if not path.exists():
        pytest.skip(f"{path} not found: run scripts/get_real_media.sh")
    return path


def pocketsphinx_data() -> Path:
    if not (POCKETSPHINX_DATA / "cards" / "001.wav").exists():
        pytest.skip(
            "Debian's pocketsphinx-testdata is not installed (apt-get install pocketsphinx-testdata)"
        )
    return POCKETSPHINX_DATA
