"""Image descriptors for slice search (the ``[image]`` extra).

Turns images (paths, bytes, PIL images or arrays) into interpretable columns
(skin tone, lighting, colour cast, indoor/outdoor, sharpness, ...) that the
workbench bins and searches like any other feature::

    from workbench.features.image import ImageDescriptors, load_image_folder

    images = load_image_folder("photos/")            # image_path (+ label)
    with ImageDescriptors(n_jobs=2) as extractor:
        descriptors = extractor.extract(images["image_path"].tolist())

This package needs Pillow, scikit-image and OpenCV; without them importing it
raises :class:`~workbench.exceptions.MissingExtraError` naming the
``pip install`` to run. The core package never imports it.

It imports numpy, pandas, Pillow, OpenCV and the package's exceptions and
extractor interface.
"""

from __future__ import annotations

from workbench.exceptions import MissingExtraError

for _module, _package in (
    ("PIL", "pillow"),
    ("skimage", "scikit-image"),
    ("cv2", "opencv-python-headless"),
):
    try:
        __import__(_module)
    except ImportError as _exc:
        raise MissingExtraError.for_extra("image", "workbench.features.image", _package) from _exc

from workbench.features.image._color import (  # noqa: E402
    SKIN_TONE_BINS,
    SKIN_TONE_ORDER,
    ita_degrees,
    ita_to_skin_tone,
)
from workbench.features.image._descriptors import (  # noqa: E402
    ImageDescriptors,
    describe_faces,
    describe_image,
)
from workbench.features.image._io import load_image, load_image_folder  # noqa: E402

__all__ = [
    "SKIN_TONE_BINS",
    "SKIN_TONE_ORDER",
    "ImageDescriptors",
    "describe_faces",
    "describe_image",
    "ita_degrees",
    "ita_to_skin_tone",
    "load_image",
    "load_image_folder",
]
