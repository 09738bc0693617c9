"""The bundled sample data (the repository's ``sample_data/`` folder) and its generators.

The samples ship with the source tree, not inside the wheel (they are data, and
several megabytes). They are found, in order: in ``$WORKBENCH_SAMPLE_DATA``,
next to the installed package (an editable install or a checkout), or in the
current folder and its parents. Imports only the standard library and pandas.

:func:`render_faces` draws the procedural faces of the image sample (it needs
the ``[image]`` extra and is imported on first use).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.exceptions import InputFileError

__all__ = [
    "IMAGE_FEATURES",
    "SAMPLES",
    "load_sample",
    "render_faces",
    "sample_data_dir",
    "sample_path",
]

#: The bundled samples: name -> file relative to sample_data/.
SAMPLES = {
    "adult": "adult/adult_test_predictions.parquet",
    "adult_train": "adult/adult_train.parquet",
    "speech": "speech/speech_clips.parquet",
    "speech_new_site": "speech/new_site_clips.parquet",
    "images": "images/image_predictions.parquet",
}

#: The image sample's measured descriptors that its scans search over (the app, the
#: sample's build script and its tests): the true attributes and file columns are not.
IMAGE_FEATURES = (
    "skin_tone",
    "lighting",
    "contrast",
    "color_cast",
    "scene",
    "luminance_mean",
    "sharpness",
    "colourfulness",
)


def sample_data_dir() -> Path:
    """The ``sample_data`` folder."""
    candidates = []
    if os.environ.get("WORKBENCH_SAMPLE_DATA"):
        candidates.append(Path(os.environ["WORKBENCH_SAMPLE_DATA"]))
    candidates.append(Path(__file__).resolve().parents[2] / "sample_data")
    here = Path.cwd().resolve()
    candidates += [p / "sample_data" for p in (here, *here.parents)]
    for candidate in candidates:
        if (candidate / "adult").is_dir():
            return candidate
    raise InputFileError(
        "The bundled sample data was not found (looked in $WORKBENCH_SAMPLE_DATA, next to the "
        "package, and in the current folder and its parents). Run from a checkout of the "
        "repository, or set WORKBENCH_SAMPLE_DATA to its sample_data folder."
    )


def sample_path(name: str) -> Path:
    """Path of a bundled sample file, by name (see ``SAMPLES``).

    Examples
    --------
    >>> sample_path("adult").name
    'adult_test_predictions.parquet'
    """
    if name not in SAMPLES:
        raise InputFileError(f"Unknown sample {name!r}. Expected one of {', '.join(SAMPLES)}.")
    path = sample_data_dir() / SAMPLES[name]
    if not path.exists():
        raise InputFileError(
            f"The sample {name!r} is not in {str(path.parent)!r}. Rebuild it with the script "
            "named in sample_data/README.md."
        )
    return path


def load_sample(name: str) -> pd.DataFrame:
    """A bundled sample as a DataFrame (``"adult"``, ``"speech"``, ``"images"``, ...)."""
    return pd.read_parquet(sample_path(name))


def __getattr__(name: str) -> Any:
    if name == "render_faces":
        from workbench.samples._faces import render_faces

        return render_faces
    raise AttributeError(f"module 'workbench.samples' has no attribute {name!r}")
