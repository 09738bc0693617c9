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
   front of a dark wall. When the gain would exceed ``MAX_GAIN`` (a nearly
   black photo) there is no usable reference: ``skin_reference`` says
   ``"too_dark"`` and the face gets no ITA (``skin_tone`` ``"unknown"``;
   the raw reading stays in ``skin_ita_deg_uncorrected``). Read raw, a light
   face at 1/12 of the light measured -73 to -78 degrees, "dark".
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
    srgb_to_linear,
)
from workbench.features.image._detect import Face, detect_faces, face_patches

__all__ = [
    "NO_FACE",
    "FaceSkin",
    "SkinMeasurement",
    "bright_end",
    "exposure_gain",
    "measure_skin",
    "white_reference",
]

#: The skin-tone label of a photo in which no face was found.
NO_FACE = "no_face"
#: The linear luminance the photo's bright end (:func:`bright_end`) is brought
#: to: the median over the real face photographs (0.68-0.99, median 0.71).
WHITE_TARGET = 0.71
#: The bright end is the brightest area of the image at this many pixels across.
BRIGHT_SIDE = 64
#: Above this chroma (C*ab) of the brightest areas the light is called coloured.
CAST_LIMIT = 10.0
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
    white_a_star: float = 0.0
    white_b_star: float = 0.0

    @property
    def correction(self) -> str:
        """What the skin tone could be corrected for.

        ``"exposure"``: the exposure was normalised and the brightest areas are
        near grey (no sign of a coloured light); ``"cannot_correct_cast"``:
        the brightest areas are tinted (a warm or cool light, or a coloured
        wall) and ITA is not corrected for it; ``"cannot_correct_dark"``: the
        photo is too dark to normalise, and no ITA is given; ``"no_face"``. Gamma-like tone curves
        cannot be detected from one picture and are not corrected.
        """
        if not self.faces:
            return NO_FACE
        if self.reference == "too_dark":
            return "cannot_correct_dark"
        if math.hypot(self.white_a_star, self.white_b_star) > CAST_LIMIT:
            return "cannot_correct_cast"
        return "exposure"

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


def _cells(linear: np.ndarray) -> np.ndarray:
    height, width = linear.shape[:2]
    scale = BRIGHT_SIDE / max(height, width)
    if scale >= 1.0:
        return linear
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(linear, size, interpolation=cv2.INTER_AREA)


def bright_end(linear: np.ndarray) -> float:
    """The image's bright end: the brightest area of its luminance at 64 pixels across.

    Averaging over areas of 1/64 of the longer side ignores single hot pixels
    and noise; taking the brightest of them (not a percentile of pixels)
    keeps the estimate when a border or a plain background is added around
    the same picture.
    """
    return float((_cells(linear) @ _LUMA).max())


def white_reference(linear: np.ndarray) -> tuple[float, float, float]:
    """The bright end and the colour (a*, b*) of the areas within 80 % of it.

    Under a neutral light the brightest things in a picture (walls, paper,
    clothes, sky) are near grey; a warm or cool light tints them. A tint of
    the bright areas is also what a coloured wall gives, so it is reported as
    a reason the skin tone cannot be trusted, never used to change it.

    Examples
    --------
    >>> import numpy as np
    >>> bright, a_star, b_star = white_reference(np.full((4, 4, 3), 0.5, np.float32))
    >>> round(bright, 2), abs(a_star) < 0.01, abs(b_star) < 0.01
    (0.5, True, True)
    """
    cells = _cells(linear)
    luminance = cells @ _LUMA
    bright = float(luminance.max())
    if bright <= 0.0:
        return 0.0, 0.0, 0.0
    colour = cells[luminance >= 0.8 * bright].mean(axis=0) / bright
    lab = linear_to_lab(np.clip(colour * 0.7, 0.0, 1.0).reshape(1, 1, 3).astype(np.float32))
    return bright, float(lab[0, 0, 1]), float(lab[0, 0, 2])


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
    return _gain(bright_end(linear))


def _gain(bright: float) -> tuple[float, str]:
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
    bright, white_a, white_b = white_reference(linear)
    gain, reference = _gain(bright)
    # faces are searched on the exposure-normalised picture: the same photo
    # under less light then gives the same boxes and landmarks, and a dim
    # photo's faces are not left in the lowest grey levels (a table lookup on
    # the 8-bit values is the same as scaling the light)
    faces = detect_faces(rgb if gain == 1.0 else cv2.LUT(rgb, _gain_table(gain)))
    if not faces:
        return SkinMeasurement(
            faces=(), gain=gain, reference=reference, white_a_star=white_a, white_b_star=white_b
        )
    height, width = rgb.shape[:2]
    measured = []
    for face in faces:
        patches = face_patches(face, (height, width))
        rows, cols = np.nonzero(patches.any(axis=1))[0], np.nonzero(patches.any(axis=0))[0]
        if len(rows) == 0:
            measured.append(FaceSkin(face, math.nan, math.nan, ita_to_skin_tone(math.nan), 0))
            continue
        # Lab only around the patches: most of a picture is not skin
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        patches = patches[box]
        lab_raw = linear_to_lab(linear[box])
        lab = lab_raw if gain == 1.0 else linear_to_lab(np.clip(linear[box] * gain, 0.0, 1.0))
        mask = patches & _skin_like(lab)
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
            ita_raw = ita_degrees(*_median_lb(lab_raw[mask]))
            # too dark to normalise: the raw angle is the light, not the skin
            ita = math.nan if reference == "too_dark" else ita_degrees(*_median_lb(lab[mask]))
        measured.append(
            FaceSkin(
                face=face,
                ita_deg=ita,
                ita_deg_uncorrected=ita_raw,
                skin_tone=ita_to_skin_tone(ita),
                skin_pixels=count,
            )
        )
    return SkinMeasurement(
        faces=tuple(measured),
        gain=gain,
        reference=reference,
        white_a_star=white_a,
        white_b_star=white_b,
    )


def _gain_table(gain: float) -> np.ndarray:
    return linear_to_srgb_uint8(srgb_to_linear(np.arange(256, dtype=np.uint8)) * gain)
