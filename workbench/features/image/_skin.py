"""Skin tone of the faces in a photo: face detection, exposure normalisation, ITA.

ITA mixes skin tone with the light it was photographed under (a gamma-1.6
darkening moves a very light face to "intermediate"), so the skin is measured
as follows:

1. Find every face (:func:`~workbench.features.image._detect.detect_faces`).
   **No face, no skin tone**: a photo without a detected face gets
   ``skin_tone = "no_face"`` and a missing ITA, never a tone read off a coffee
   cup or a motorcycle.
2. Exposure: the light is scaled so that the image's bright end (the
   brightest area of its luminance at 64 pixels across, a white-patch
   estimate; :func:`bright_end`) sits at ``WHITE_TARGET``. Multiplying the
   light by any factor is undone exactly (up to 8-bit rounding and clipped
   highlights), and a border or plain background added around a picture does
   not move it. ``WHITE_TARGET`` is the median bright end of the real
   photographs with faces that ship in registry packages, so on those the
   correction is unbiased: it moved their ITA by -0.9 to +0.7 degrees, except
   the astronaut (-8.8: her white spacesuit is saturated, so the reference
   reads the photo as overexposed). The earlier sclera-based correction
   darkened every real face by 4 to 27 degrees. It is a white-patch
   assumption: a face in front of a bright window comes out darker than in
   front of a dark wall. When the gain would leave ``[1 / MAX_GAIN,
   MAX_GAIN]`` (a nearly black photo) the ITA is reported uncorrected and
   ``skin_reference`` says ``"too_dark"``.
3. Skin pixels: the forehead and both cheeks of each face (patches placed
   from the detector's eye and mouth landmarks, rotated with the face), kept
   when their colour is skin-like, trimmed of the darkest and lightest tails
   (shadows, highlights, stray hair). ITA comes from their median L* and b*.

This module imports numpy, OpenCV and the package's colour and face helpers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from workbench.features.image._color import (
    ita_degrees,
    ita_to_skin_tone,
    linear_to_lab,
    linear_to_srgb_uint8,
)
from workbench.features.image._detect import Face, detect_faces, face_patches

__all__ = ["NO_FACE", "FaceSkin", "SkinMeasurement", "exposure_gain", "measure_skin"]

#: The skin-tone label of a photo in which no face was found.
NO_FACE = "no_face"
#: The linear luminance the photo's bright end (:func:`bright_end`) is brought
#: to: the median over the real face photographs (0.68-0.99, median 0.71).
WHITE_TARGET = 0.71
#: The bright end is the brightest area of the image at this many pixels across.
BRIGHT_SIDE = 64
#: Gains beyond this factor are not trusted (too little signal).
MAX_GAIN = 8.0
MIN_SKIN_PIXELS = 30
#: Below this median chroma (C*ab) the face is greyscale: no skin tone.
MIN_CHROMA = 3.0
_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
_TAN_15 = math.tan(math.radians(15))
_TAN_85 = math.tan(math.radians(85))


@dataclass(frozen=True)
class FaceSkin:
    """One face's box (original pixels) and the skin measured on it."""

    face: Face
    ita_deg: float
    ita_deg_uncorrected: float
    skin_tone: str
    skin_pixels: int


@dataclass(frozen=True)
class SkinMeasurement:
    """What :func:`measure_skin` found: every face (largest first) and the exposure gain."""

    faces: tuple[FaceSkin, ...]
    gain: float
    reference: str  # "white_patch" or "too_dark"

    @property
    def main(self) -> FaceSkin | None:
        """The largest face, or None."""
        return self.faces[0] if self.faces else None


def _skin_like(lab: np.ndarray) -> np.ndarray:
    lightness, a_star, b_star = lab[..., 0], lab[..., 1], lab[..., 2]
    # hue angle between 15 and 85 degrees, chroma between 4 and 60 (no trigonometry: speed)
    chroma2 = a_star * a_star + b_star * b_star
    return (
        (a_star > 0)
        & (b_star > _TAN_15 * a_star)
        & (b_star < _TAN_85 * a_star)
        & (chroma2 > 16.0)
        & (chroma2 < 3600.0)
        & (lightness > 8)
        & (lightness < 97)
    )


def _median_lb(values: np.ndarray) -> tuple[float, float]:
    lightness = values[:, 0]
    low, high = np.percentile(lightness, [50, 95])
    kept = values[(lightness >= low) & (lightness <= high)]
    if len(kept) < MIN_SKIN_PIXELS // 2:
        kept = values
    return float(np.median(kept[:, 0])), float(np.median(kept[:, 2]))


def bright_end(linear: np.ndarray) -> float:
    """The image's bright end: the brightest area of its luminance at 64 pixels across.

    Averaging over areas of 1/64 of the longer side ignores single hot pixels
    and noise; taking the brightest of them (not a percentile of pixels)
    keeps the estimate when a border or a plain background is added around
    the same picture.
    """
    height, width = linear.shape[:2]
    luminance: np.ndarray = (linear.reshape(-1, 3) @ _LUMA).reshape(height, width)
    scale = BRIGHT_SIDE / max(height, width)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        luminance = cv2.resize(luminance, size, interpolation=cv2.INTER_AREA)
    return float(luminance.max())


def exposure_gain(linear: np.ndarray) -> tuple[float, str]:
    """The brightening factor of a linear RGB image and what it rests on.

    Returns ``(gain, reference)``: the gain brings the image's bright end
    (:func:`bright_end`) to ``WHITE_TARGET``; reference is ``"white_patch"``,
    or ``"too_dark"`` when the gain would exceed ``MAX_GAIN`` (the gain is
    then 1: not corrected).

    Examples
    --------
    >>> import numpy as np
    >>> exposure_gain(np.full((4, 4, 3), 0.25, np.float32))
    (2.84, 'white_patch')
    """
    bright = bright_end(linear)
    if bright * MAX_GAIN < WHITE_TARGET:
        return 1.0, "too_dark"
    return round(WHITE_TARGET / bright, 4), "white_patch"


def measure_skin(linear: np.ndarray, rgb: np.ndarray) -> SkinMeasurement:
    """Detect the faces of an image and measure the skin tone of each.

    Parameters
    ----------
    linear : numpy.ndarray
        float32 linear RGB image in [0, 1].
    rgb : numpy.ndarray
        The same image, 8-bit sRGB.

    Returns
    -------
    SkinMeasurement
    """
    gain, reference = exposure_gain(linear)
    normalised = linear if gain == 1.0 else np.clip(linear * gain, 0.0, 1.0)
    # faces are searched on the exposure-normalised picture: the same photo
    # under less light then gives the same boxes and landmarks, and a dim
    # photo's faces are not left in the lowest grey levels
    faces = detect_faces(rgb if gain == 1.0 else linear_to_srgb_uint8(normalised))
    if not faces:
        return SkinMeasurement(faces=(), gain=gain, reference=reference)
    lab_raw = linear_to_lab(linear)
    lab = lab_raw if gain == 1.0 else linear_to_lab(normalised)
    skin_like = _skin_like(lab)
    measured = []
    for face in faces:
        patches = face_patches(face, rgb.shape[:2])
        mask = patches & skin_like
        if mask.sum() < MIN_SKIN_PIXELS:
            mask = patches  # unusual colour (a strong cast, paint): trim and take the median
        count = int(mask.sum())
        # a greyscale photo has no skin colour to measure
        chroma = (
            float(np.median(np.hypot(lab_raw[mask][:, 1], lab_raw[mask][:, 2]))) if count else 0.0
        )
        if count < MIN_SKIN_PIXELS or chroma < MIN_CHROMA:
            ita = ita_raw = math.nan
        else:
            ita = ita_degrees(*_median_lb(lab[mask]))
            ita_raw = ita_degrees(*_median_lb(lab_raw[mask]))
        measured.append(
            FaceSkin(
                face=face,
                ita_deg=ita,
                ita_deg_uncorrected=ita_raw,
                skin_tone=ita_to_skin_tone(ita),
                skin_pixels=count,
            )
        )
    return SkinMeasurement(faces=tuple(measured), gain=gain, reference=reference)
