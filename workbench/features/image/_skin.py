"""Skin tone from an image: face detection, illumination correction, ITA.

ITA mixes skin tone with the light it was photographed under (a gamma-1.6
darkening moves a very light face to "intermediate"), so the light is
estimated first and divided out, in linear RGB (a von Kries correction):

1. Find the largest frontal face with OpenCV's Haar cascade.
2. Reference white: the sclera. In the eye band of the face box, the
   brightest most neutral pixels are the whites of the eyes; their colour is
   the illuminant's colour times the sclera's reflectance (taken as
   ``SCLERA_REFLECTANCE``). Dividing by it removes both the exposure and
   the colour cast.
3. Without a face (or without a plausible sclera), fall back to a grey-world
   cast estimate on the non-skin pixels and an exposure estimate from the
   image's bright percentile (a white-patch assumption).
4. Skin pixels: in the face box, the pixels whose corrected colour is
   skin-like (hue, chroma and lightness ranges), trimmed of eyes, brows,
   lips and hair; without a face, the skin-like pixels of the image's centre.
   ITA comes from their median L* and b*.

This module imports numpy, OpenCV and the package's colour helpers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from workbench.features.image._color import (
    boundary_distance,
    ita_degrees,
    ita_to_skin_tone,
    linear_to_lab,
)

__all__ = ["SkinMeasurement", "detect_face", "measure_skin"]

SCLERA_REFLECTANCE = 0.5
# A white patch (paper, a white shirt, clouds) at normal exposure, in linear light.
WHITE_PATCH_TARGET = 0.75
MIN_SKIN_PIXELS = 40
_GAIN_RANGE = (0.25, 8.0)
_DETECT_SIDE = 160
_TAN_15 = math.tan(math.radians(15))
_TAN_85 = math.tan(math.radians(85))

_cascade: cv2.CascadeClassifier | None = None


def _face_cascade() -> cv2.CascadeClassifier:
    global _cascade
    if _cascade is None:
        folder = cv2.data.haarcascades  # type: ignore[attr-defined]
        path = folder + "haarcascade_frontalface_default.xml"
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():  # pragma: no cover - only with a broken OpenCV build
            raise RuntimeError(f"OpenCV could not load its Haar cascade from {path!r}.")
        _cascade = cascade
    return _cascade


def detect_face(gray: np.ndarray) -> tuple[int, int, int, int] | None:
    """Largest frontal face ``(x, y, w, h)`` in an 8-bit single-channel image, or None.

    Pass the red channel rather than the luma: skin is brightest in red, which
    keeps the eye/cheek contrast the cascade looks for on dark skin (measured on
    the rendered faces: 36 % of dark faces found on red vs 11 % on luma).
    """
    height, width = gray.shape
    scale = min(1.0, _DETECT_SIDE / max(height, width))
    small = gray
    if scale < 1.0:
        small = cv2.resize(
            gray, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA
        )
    small = cv2.equalizeHist(small)
    side = min(small.shape)
    faces = _face_cascade().detectMultiScale(
        small, scaleFactor=1.15, minNeighbors=4, minSize=(max(20, side // 7),) * 2
    )
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
    return (round(x / scale), round(y / scale), round(w / scale), round(h / scale))


@dataclass(frozen=True)
class SkinMeasurement:
    """What :func:`measure_skin` found (angles in degrees, gains per RGB channel)."""

    ita_deg: float
    ita_deg_uncorrected: float
    skin_tone: str
    confidence: float
    face_found: bool
    skin_pixels: int
    reference: str  # "sclera", "white_patch" or "none"
    gains: tuple[float, float, float]


def _skin_like(lab: np.ndarray) -> np.ndarray:
    lightness, a_star, b_star = lab[..., 0], lab[..., 1], lab[..., 2]
    # hue angle between 15 and 85 degrees, chroma between 6 and 60 (no trigonometry: speed)
    chroma2 = a_star * a_star + b_star * b_star
    return (
        (a_star > 0)
        & (b_star > _TAN_15 * a_star)
        & (b_star < _TAN_85 * a_star)
        & (chroma2 > 36.0)
        & (chroma2 < 3600.0)
        & (lightness > 12)
        & (lightness < 95)
    )


def _white_patch_gains(linear: np.ndarray, skin: np.ndarray) -> np.ndarray:
    background = linear[~skin] if (~skin).sum() > 100 else linear.reshape(-1, 3)
    background = background.reshape(-1, 3)
    mean = background.mean(axis=0) + 1e-4
    cast = mean / mean.mean()  # grey world: the background averages to grey
    luminance = background @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    bright = float(np.percentile(luminance, 97)) + 1e-4
    return (WHITE_PATCH_TARGET / bright) / cast


def _skin_median(lab: np.ndarray, mask: np.ndarray) -> tuple[float, float, int]:
    values = lab[mask]
    if len(values) < MIN_SKIN_PIXELS:
        return math.nan, math.nan, len(values)
    # trim features (eyes, brows, lips, hair) that passed the colour test
    lightness = values[:, 0]
    low, high = np.percentile(lightness, [20, 90])
    kept = values[(lightness >= low) & (lightness <= high)]
    if len(kept) < MIN_SKIN_PIXELS // 2:
        kept = values
    return float(np.median(kept[:, 0])), float(np.median(kept[:, 2])), len(values)


def _skin_blob(
    skin: np.ndarray, *, central_only: bool = True
) -> tuple[np.ndarray, np.ndarray] | None:
    """The central skin-coloured blob and its enclosed holes (eyes, mouth)."""
    height, width = skin.shape
    mask = cv2.morphologyEx(skin.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    best, best_area = 0, 0
    for index in range(1, count):
        cx, cy = centroids[index]
        area = stats[index, cv2.CC_STAT_AREA]
        central = not central_only or (
            0.15 * width < cx < 0.85 * width and 0.1 * height < cy < 0.9 * height
        )
        if central and area > best_area:
            best, best_area = index, area
    if best_area < MIN_SKIN_PIXELS:
        return None
    blob = (labels == best).astype(np.uint8)
    contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(blob)
    cv2.drawContours(filled, contours, -1, 1, -1)
    # keep the head, not the neck below it
    rows = np.flatnonzero(blob.any(axis=1))
    cut = rows[0] + int(0.7 * (rows[-1] - rows[0] + 1))
    blob[cut:] = 0
    filled[cut:] = 0
    return blob.astype(bool), (filled > 0) & (blob == 0)


def _brightest_neutral(pixels: np.ndarray, share: float, context: float) -> np.ndarray | None:
    if len(pixels) < 4:
        return None
    luminance = pixels @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    neutral = pixels.min(axis=1) / np.maximum(pixels.max(axis=1), 1e-4)
    # bright first, then neutral: a plain neutrality score would favour the
    # blend of a cool-lit sclera with warm skin at its border
    score = luminance * np.where(neutral > 0.5 * neutral.max(), 1.0, 0.1)
    k = max(3, int(len(pixels) * share))
    top = np.argpartition(score, -k)[-k:]
    reference = np.median(pixels[top], axis=0)
    # a white of the eye is clearly brighter than the skin around it
    if reference.min() <= 0.0 or float(luminance[top].mean()) < 1.05 * context:
        return None
    return reference


def _luminance(pixels: np.ndarray) -> np.ndarray:
    return pixels @ np.array([0.2126, 0.7152, 0.0722], np.float32)


def measure_skin(
    linear: np.ndarray, rgb: np.ndarray, lab_uncorrected: np.ndarray
) -> tuple[SkinMeasurement, np.ndarray]:
    """Measure the ITA of the main face (or of the image's skin) after correcting the light.

    Parameters
    ----------
    linear : numpy.ndarray
        float32 linear RGB image in [0, 1].
    rgb : numpy.ndarray
        The same image, 8-bit sRGB.
    lab_uncorrected : numpy.ndarray
        CIELab of ``linear``.

    Returns
    -------
    measurement : SkinMeasurement
    gains : numpy.ndarray
        The per-channel correction applied (multiply linear RGB by it).
    """
    height, width = rgb.shape[:2]
    face = detect_face(np.ascontiguousarray(rgb[..., 0]))
    skin_colour = _skin_like(lab_uncorrected)
    reference = None
    if face is not None:
        x, y, w, h = face
        region = np.zeros((height, width), np.uint8)
        # cheeks, nose and forehead: inside the box, away from its edges
        cv2.ellipse(
            region,
            (x + w // 2, y + int(0.55 * h)),
            (max(1, int(0.34 * w)), max(1, int(0.4 * h))),
            0,
            0,
            360,
            1,
            -1,
        )
        skin_region = region.astype(bool)
        band = linear[y + int(0.22 * h) : y + int(0.55 * h), x + int(0.12 * w) : x + int(0.88 * w)]
        inside = skin_region & skin_colour
        context = float(np.median(_luminance(linear[inside]))) if inside.any() else 0.0
        reference = _brightest_neutral(band.reshape(-1, 3), 1 / 100, context)
        if reference is None:
            box = np.zeros((height, width), bool)
            box[max(0, y - h // 10) : y + h + h // 10, max(0, x - w // 10) : x + w + w // 10] = True
            found = _skin_blob(skin_colour & box, central_only=False)
            if found is not None:
                blob, holes = found
                context = float(np.median(_luminance(linear[blob])))
                reference = _brightest_neutral(linear[holes], 1 / 10, context)
    else:
        central = np.zeros((height, width), bool)
        central[int(0.05 * height) : int(0.95 * height), int(0.1 * width) : int(0.9 * width)] = True
        found = _skin_blob(skin_colour & central)
        if found is None:
            skin_region = central
        else:
            skin_region, holes = found
            context = float(np.median(_luminance(linear[skin_region])))
            reference = _brightest_neutral(linear[holes], 1 / 10, context)
    skin_before = skin_region & skin_colour
    if reference is not None:
        gains = (SCLERA_REFLECTANCE / reference).astype(np.float32)
        reference_kind = "sclera"
    else:
        gains = _white_patch_gains(linear, skin_before).astype(np.float32)
        reference_kind = "white_patch"
    gains = np.clip(gains, *_GAIN_RANGE)
    corrected = linear_to_lab(np.clip(linear * gains, 0.0, 1.0))
    skin = skin_region & _skin_like(corrected)
    lightness, b_star, count = _skin_median(corrected, skin)
    raw_l, raw_b, _ = _skin_median(lab_uncorrected, skin_before if skin_before.any() else skin)
    ita = ita_degrees(lightness, b_star) if math.isfinite(lightness) else math.nan
    ita_raw = ita_degrees(raw_l, raw_b) if math.isfinite(raw_l) else math.nan
    tone = ita_to_skin_tone(ita)
    if tone == "unknown":
        confidence = 0.0
    else:
        support = min(1.0, count / 400.0)
        margin = min(1.0, boundary_distance(ita) / 6.0)
        source = 1.0 if reference_kind == "sclera" else 0.5
        confidence = round(support * (0.4 + 0.6 * margin) * source, 3)
    return (
        SkinMeasurement(
            ita_deg=ita,
            ita_deg_uncorrected=ita_raw,
            skin_tone=tone,
            confidence=confidence,
            face_found=face is not None,
            skin_pixels=int(count),
            reference=reference_kind,
            gains=(float(gains[0]), float(gains[1]), float(gains[2])),
        ),
        gains,
    )
