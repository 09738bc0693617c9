"""The ``ImageDescriptors`` extractor: interpretable columns for image slices.

One image in, one row of descriptors out (skin tone of the largest face, the
face count and box, lighting, colour cast, scene, sharpness, colourfulness,
size), in batches, optionally spread over threads; :func:`describe_faces`
gives one row per face instead. It follows the extractor interface of
:mod:`workbench.features._extractors`.

This module imports numpy, pandas, OpenCV, the standard library's
``concurrent.futures`` and the package's image helpers and exceptions.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cv2
import numpy as np
import pandas as pd

from workbench.exceptions import ParameterError, WorkbenchError
from workbench.features.image._color import linear_to_lab, srgb_to_linear
from workbench.features.image._io import load_image
from workbench.features.image._scene import (
    contrast_label,
    lighting_label,
    scene_label,
    scene_shares,
)
from workbench.features.image._skin import NO_FACE, measure_skin

__all__ = ["ImageDescriptors", "describe_faces", "describe_image"]

SceneClassifier = Callable[[np.ndarray], str]

COLUMNS: tuple[str, ...] = (
    "skin_ita_deg",
    "skin_tone",
    "face_found",
    "face_count",
    "face_x",
    "face_y",
    "face_w",
    "face_h",
    "skin_reference",
    "skin_correction",
    "skin_ita_deg_uncorrected",
    "white_a_star",
    "white_b_star",
    "luminance_mean",
    "luminance_std",
    "underexposed_share",
    "overexposed_share",
    "lighting",
    "contrast",
    "color_cast",
    "cast_a_star",
    "cast_b_star",
    "exposure_gain",
    "scene",
    "sky_share",
    "vegetation_share",
    "sharpness",
    "colourfulness",
    "width",
    "height",
    "aspect_ratio",
)
_WORK_SIDE = 512
#: Sharpness is measured on the image brought to this longer side, so it does
#: not grow when a picture is downscaled.
SHARPNESS_SIDE = 256
_WARM_COOL_B = 4.0
FACE_COLUMNS: tuple[str, ...] = (
    "face_index",
    "face_count",
    "face_x",
    "face_y",
    "face_w",
    "face_h",
    "face_angle",
    "face_score",
    "skin_ita_deg",
    "skin_ita_deg_uncorrected",
    "skin_tone",
    "skin_pixels",
)


def _failed_row(width: float = math.nan, height: float = math.nan) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, math.nan)
    row.update(
        skin_tone="unknown",
        face_found=False,
        skin_reference="none",
        skin_correction="unknown",
        lighting="unknown",
        contrast="unknown",
        color_cast="unknown",
        scene="unknown",
        width=width,
        height=height,
    )
    return row


def _colourfulness(rgb: np.ndarray) -> float:
    # Hasler & Süsstrunk (2003) on 8-bit sRGB opponent channels
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    return float(
        math.hypot(float(rg.std()), float(yb.std()))
        + 0.3 * math.hypot(float(rg.mean()), float(yb.mean()))
    )


def describe_image(item: Any, *, scene_classifier: SceneClassifier | None = None) -> dict[str, Any]:
    """Compute the descriptor row of one image.

    Parameters
    ----------
    item : path, bytes, PIL image or numpy.ndarray
        Anything :func:`load_image` reads.
    scene_classifier : callable, optional
        Maps the RGB uint8 array to a scene label; replaces the built-in
        indoor/outdoor rule.

    Returns
    -------
    dict
        One value per column of :attr:`ImageDescriptors.columns`.

    Examples
    --------
    >>> import numpy as np
    >>> grey = np.full((64, 64, 3), 128, np.uint8)
    >>> grey[:8, :8] = 255  # a white patch: the exposure reference
    >>> row = describe_image(grey)
    >>> row["lighting"], row["skin_tone"], row["face_count"]
    ('normal', 'no_face', 0)
    """
    rgb = load_image(item)
    height, width = rgb.shape[:2]
    rgb_work, scale = _work_image(rgb)
    gray = cv2.cvtColor(rgb_work, cv2.COLOR_RGB2GRAY)
    luma = gray.astype(np.float32) / 255.0
    linear = srgb_to_linear(rgb_work)

    skin = measure_skin(linear, rgb_work)
    lab = linear_to_lab(np.clip(linear * skin.gain, 0.0, 1.0))
    # The light's colour, grey world: what the image's average looks like.
    mean = linear.reshape(-1, 3).mean(axis=0) + 1e-4
    illuminant = (mean / mean.max()).astype(np.float32)
    light_lab = linear_to_lab(illuminant.reshape(1, 1, 3))[0, 0]
    cast_b = float(light_lab[2])
    cast_a = float(light_lab[1])
    if cast_b > _WARM_COOL_B:
        cast = "warm"
    elif cast_b < -_WARM_COOL_B:
        cast = "cool"
    else:
        cast = "neutral"

    sky_share, vegetation_share = scene_shares(lab)
    if scene_classifier is not None:
        scene = str(scene_classifier(rgb))
    else:
        scene = scene_label(sky_share, vegetation_share)

    luminance_mean = float(luma.mean())
    luminance_std = float(luma.std())
    main = skin.main
    box: tuple[float, ...]
    if main is None:
        tone, ita, ita_raw, box = NO_FACE, math.nan, math.nan, (math.nan,) * 4
    else:
        tone, ita, ita_raw = main.skin_tone, main.ita_deg, main.ita_deg_uncorrected
        face = main.face
        box = tuple(round(v / scale) for v in (face.x, face.y, face.w, face.h))
    return {
        "skin_ita_deg": round(ita, 2),
        "skin_tone": tone,
        "face_found": main is not None,
        "face_count": len(skin.faces),
        "face_x": box[0],
        "face_y": box[1],
        "face_w": box[2],
        "face_h": box[3],
        "skin_reference": skin.reference if main is not None else "none",
        "skin_correction": skin.correction,
        "skin_ita_deg_uncorrected": round(ita_raw, 2),
        "white_a_star": round(skin.white_a_star, 2),
        "white_b_star": round(skin.white_b_star, 2),
        "luminance_mean": round(luminance_mean, 4),
        "luminance_std": round(luminance_std, 4),
        "underexposed_share": round(float((gray < 20).mean()), 4),
        "overexposed_share": round(float((gray > 245).mean()), 4),
        "lighting": lighting_label(luminance_mean, skin.gain),
        "contrast": contrast_label(luminance_std),
        "color_cast": cast,
        "cast_a_star": round(cast_a, 2),
        "cast_b_star": round(cast_b, 2),
        "exposure_gain": round(skin.gain, 3),
        "scene": scene,
        "sky_share": round(sky_share, 4),
        "vegetation_share": round(vegetation_share, 4),
        "sharpness": round(_sharpness(rgb), 2),
        "colourfulness": round(_colourfulness(rgb_work), 2),
        "width": int(width),
        "height": int(height),
        "aspect_ratio": round(width / height, 4),
    }


def _work_image(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    height, width = rgb.shape[:2]
    scale = min(1.0, _WORK_SIDE / max(height, width))
    if scale >= 1.0:
        return rgb, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale


def _sharpness(rgb: np.ndarray) -> float:
    # variance of the Laplacian at a fixed size: a downscaled copy of a photo
    # must not look sharper than the photo, nor a thumbnail the sharpest of all
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    height, width = gray.shape
    scale = SHARPNESS_SIDE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return float(
        cv2.Laplacian(cv2.resize(gray, size, interpolation=interpolation), cv2.CV_64F).var()
    )


def describe_faces(item: Any) -> pd.DataFrame:
    """One row per face found in an image (largest first): its box and skin tone.

    Parameters
    ----------
    item : path, bytes, PIL image or numpy.ndarray
        Anything :func:`load_image` reads.

    Returns
    -------
    pandas.DataFrame
        Columns ``FACE_COLUMNS``: the face's index (0 is the largest), the
        image's face count, the box in the image's pixels, the in-plane
        angle (from the eye line), the detector's score, ITA (exposure-normalised and raw), the skin-tone
        bin and the number of skin pixels measured. No rows when no face is found.

    Examples
    --------
    >>> import numpy as np
    >>> len(describe_faces(np.full((64, 64, 3), 90, np.uint8)))
    0
    """
    rgb = load_image(item)
    rgb_work, scale = _work_image(rgb)
    skin = measure_skin(srgb_to_linear(rgb_work), rgb_work)
    rows = [
        {
            "face_index": index,
            "face_count": len(skin.faces),
            "face_x": round(found.face.x / scale),
            "face_y": round(found.face.y / scale),
            "face_w": round(found.face.w / scale),
            "face_h": round(found.face.h / scale),
            "face_angle": found.face.angle,
            "face_score": found.face.score,
            "skin_ita_deg": round(found.ita_deg, 2),
            "skin_ita_deg_uncorrected": round(found.ita_deg_uncorrected, 2),
            "skin_tone": found.skin_tone,
            "skin_pixels": found.skin_pixels,
        }
        for index, found in enumerate(skin.faces)
    ]
    return pd.DataFrame(rows, columns=list(FACE_COLUMNS))


def _describe_many(
    items: Sequence[Any], scene_classifier: SceneClassifier | None, on_error: str
) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        try:
            rows.append(describe_image(item, scene_classifier=scene_classifier))
        except WorkbenchError:
            if on_error == "raise":
                raise
            rows.append(_failed_row())
    return rows


class ImageDescriptors:
    """Interpretable image descriptors for slice search (the ``[image]`` extra).

    Skin tone (ITA on the forehead and cheeks of the largest detected face,
    after normalising the exposure; ``no_face`` and a missing ITA when no face
    is found; ``skin_correction`` says ``cannot_correct_cast`` when the
    brightest areas are tinted by a coloured light, which is not corrected,
    and ``cannot_correct_dark``, with no ITA, for a photo too dark to
    normalise), the face count and the largest face's box, lighting, contrast,
    colour cast, indoor/outdoor scene, sharpness, colourfulness and size, one
    row per image. :func:`describe_faces` gives one row per face.

    Parameters
    ----------
    n_jobs : int
        Worker threads; ``1`` runs in the calling thread, ``-1`` uses one per
        core. Batches of at most ``chunk_size`` images run in the calling
        thread. Threads need no ``if __name__ == "__main__"`` guard in
        scripts and cost nothing to start; the face network (about 70 % of
        the time), colour conversions and resizing run in OpenCV, which
        releases the interpreter lock, so the threads share the cores.
    scene_classifier : callable, optional
        ``scene_classifier(rgb) -> str`` maps an RGB uint8 array of shape
        (height, width, 3) to a scene label and replaces the built-in
        indoor/outdoor rule. Any callable works (a notebook cell's function
        too); with ``n_jobs > 1`` it is called from several threads at once.
    on_error : {"raise", "skip"}
        ``"raise"`` stops at the first unreadable item with a message saying
        which; ``"skip"`` gives it a row of missing values and ``unknown``
        categories.
    chunk_size : int
        Most images per task given to a worker thread; smaller batches run in
        the calling thread.

    Attributes
    ----------
    name : str
        Cache key of the extractor (``"image_descriptors"``).
    columns : tuple of str
        The columns :meth:`extract` returns, in order.
    version : str
        Bumped whenever the output changes.

    Examples
    --------
    >>> import numpy as np
    >>> from workbench.features.image import ImageDescriptors
    >>> frame = ImageDescriptors().extract([np.full((32, 48, 3), 200, np.uint8)])
    >>> frame.loc[0, "lighting"], int(frame.loc[0, "width"]), float(frame.loc[0, "aspect_ratio"])
    ('bright', 48, 1.5)
    """

    name = "image_descriptors"
    columns: tuple[str, ...] = COLUMNS
    version = "4"

    def __init__(
        self,
        *,
        n_jobs: int = 1,
        scene_classifier: SceneClassifier | None = None,
        on_error: str = "raise",
        chunk_size: int = 32,
    ) -> None:
        self.n_jobs = n_jobs
        self.scene_classifier = scene_classifier
        self.on_error = on_error
        self.chunk_size = chunk_size

    def _validate(self) -> int:
        n_jobs = self.n_jobs
        if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs == 0 or n_jobs < -1:
            raise ParameterError(
                "The 'n_jobs' parameter of ImageDescriptors must be an int >= 1 or -1 "
                f"(every core). Got {n_jobs!r} instead."
            )
        if self.on_error not in ("raise", "skip"):
            raise ParameterError(
                "The 'on_error' parameter of ImageDescriptors must be 'raise' or 'skip'. "
                f"Got {self.on_error!r} instead."
            )
        if not isinstance(self.chunk_size, int) or self.chunk_size < 1:
            raise ParameterError(
                "The 'chunk_size' parameter of ImageDescriptors must be an int >= 1. "
                f"Got {self.chunk_size!r} instead."
            )
        if self.scene_classifier is not None and not callable(self.scene_classifier):
            raise ParameterError(
                "The 'scene_classifier' parameter of ImageDescriptors must be a callable "
                f"mapping an RGB array to a label, or None. Got {self.scene_classifier!r}."
            )
        return (os.cpu_count() or 1) if n_jobs == -1 else n_jobs

    def extract(self, batch: Sequence[Any]) -> pd.DataFrame:
        """Describe every image of ``batch``.

        Parameters
        ----------
        batch : sequence
            Image paths (str or Path), encoded image bytes, PIL images or RGB
            arrays.

        Returns
        -------
        pandas.DataFrame
            ``len(batch)`` rows with exactly :attr:`columns`.

        Examples
        --------
        >>> import numpy as np
        >>> ImageDescriptors().extract([np.zeros((8, 8, 3), np.uint8)])["lighting"].tolist()
        ['dim']
        """
        workers = self._validate()
        items = list(batch)
        # OpenCV's own threads gain little on small images and, on a busy machine,
        # made face detection 20x slower: one OpenCV thread per worker, restored after
        threads = cv2.getNumThreads()
        cv2.setNumThreads(1)
        try:
            if workers == 1 or len(items) <= self.chunk_size:
                rows = _describe_many(items, self.scene_classifier, self.on_error)
            else:
                # Threads, not processes: OpenCV releases the interpreter lock in the
                # face network, resizing and colour conversion, nothing is pickled or
                # re-imported, and scripts need no `if __name__ == "__main__"` guard
                # (worker processes re-ran an unguarded script and died).
                # at least four chunks per thread, so one slow chunk does not leave a core idle
                size = min(self.chunk_size, math.ceil(len(items) / (4 * workers)))
                chunks = [items[i : i + size] for i in range(0, len(items), size)]
                with ThreadPoolExecutor(max_workers=min(workers, len(chunks))) as pool:
                    rows = [
                        row
                        for part in pool.map(
                            lambda chunk: _describe_many(
                                chunk, self.scene_classifier, self.on_error
                            ),
                            chunks,
                        )
                        for row in part
                    ]
        finally:
            cv2.setNumThreads(threads)
        return _to_frame(rows)

    def close(self) -> None:
        """Nothing to release (worker threads end with each batch); kept for ``with`` blocks."""

    def __enter__(self) -> ImageDescriptors:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"ImageDescriptors(n_jobs={self.n_jobs!r}, scene_classifier="
            f"{self.scene_classifier!r}, on_error={self.on_error!r})"
        )


def _to_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(COLUMNS))
    for column in ("width", "height", "face_count", "face_x", "face_y", "face_w", "face_h"):
        frame[column] = frame[column].astype("Int64")
    frame["face_found"] = frame["face_found"].astype(bool)
    return frame
